"""The ICCAD13 kernels reproduce a sensible print of the shared contest clip M1_test1."""
from __future__ import annotations

import numpy as np
import pytest
from scipy.ndimage import binary_dilation

from chipsmith.lithography.aerial import aerial_image
from chipsmith.lithography.kernels import ICCAD13_THRESHOLD, load_iccad13
from chipsmith.lithography.layout_io import rasterize, read_glp


@pytest.mark.parametrize("offset", [24, 20])
def test_m1_test1_prints_on_its_shapes(iccad13_dir, offset):
    lay = read_glp(iccad13_dir / "layouts" / "ICCAD2013" / "M1_test1.glp")
    ks = load_iccad13(iccad13_dir / "kernels" / "focus", offset=offset)
    pixel = 2.0  # 1024 x 1024 covering the 2048 nm canvas (ICCAD convention: clip at offset 512)
    mask = rasterize(lay.polygons, (-512, -512, 1536, 1536), pixel)
    aerial = aerial_image(mask, ks, pixel).numpy()
    printed = aerial >= ICCAD13_THRESHOLD
    drawn = mask >= 0.5
    ratio = printed.sum() / drawn.sum()
    # Measured 0.659 (offset 24) and 0.663 (offset 20): line ends pull back, corners round.
    assert 0.55 < ratio < 0.8
    near = binary_dilation(drawn, iterations=10)  # within 20 nm of a drawn shape
    assert (printed & near).sum() / printed.sum() > 0.98
    # Every one of the ten polygons prints somewhere.
    from scipy.ndimage import label

    _, n_regions = label(printed)
    assert n_regions >= 8
    # Nothing prints in the invalid border of the canvas.
    assert not printed[:128].any() and not printed[-128:].any()


def test_defocus_prints_less_than_focus(iccad13_dir):
    lay = read_glp(iccad13_dir / "layouts" / "ICCAD2013" / "M1_test1.glp")
    mask = rasterize(lay.polygons, (-512, -512, 1536, 1536), 4.0)
    focus = aerial_image(mask, load_iccad13(iccad13_dir / "kernels" / "focus"), 4.0).numpy()
    defocus = aerial_image(mask, load_iccad13(iccad13_dir / "kernels" / "defocus"), 4.0).numpy()
    assert defocus.max() < focus.max()
    assert (defocus >= ICCAD13_THRESHOLD).sum() < (focus >= ICCAD13_THRESHOLD).sum()
    # Process corners: dose 1.02 at focus prints more than nominal.
    hi = aerial_image(mask, load_iccad13(iccad13_dir / "kernels" / "focus"), 4.0, dose=1.02).numpy()
    assert (hi >= ICCAD13_THRESHOLD).sum() > (focus >= ICCAD13_THRESHOLD).sum()
    assert np.allclose(hi, focus * 1.02 ** 2, rtol=1e-4, atol=1e-6)
