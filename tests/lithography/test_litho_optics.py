"""Hopkins/SOCS against Abbe, textbook resolution limits, and the exactness of the fast path."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from chipsmith.errors import LithoError
from chipsmith.lithography import aerial as A
from chipsmith.lithography.abbe import abbe_aerial
from chipsmith.lithography.hopkins import Optics, Source, socs_kernels, source_points, tcc_matrix
from chipsmith.lithography.kernels import gram_error
from chipsmith.lithography.layout_io import rasterize, rect

PIX, N = 8.0, 64


def _mask():
    polys = [rect(100, 100, 165, 165), rect(230, 100, 295, 165), rect(300, 300, 365, 380), rect(40, 400, 300, 440)]
    return rasterize(polys, (0, 0, N * PIX, N * PIX), PIX)


@pytest.mark.parametrize("source,defocus", [
    (Source("conventional", 0.6, step=0.1), 0.0),
    (Source("annular", 0.8, 0.5, step=0.1), 40.0),
    (Source("quasar", 0.9, 0.6, opening_deg=40, step=0.1), 0.0),
    (Source("dipole", 0.9, 0.5, opening_deg=60, orientation="y", step=0.1), 25.0),
])
def test_hopkins_socs_matches_abbe(source, defocus):
    optics = Optics(193.0, 1.35, 1.44, source, defocus_nm=defocus)
    mask = _mask()
    ref = abbe_aerial(mask, optics, PIX)
    ks = socs_kernels(optics, N * PIX, energy=0.99999)
    assert gram_error(ks.kernels) < 1e-9
    for method in ("full", "bandlimited"):
        img = A.aerial_image(mask, ks, PIX, method=method).double().numpy()
        assert np.abs(img - ref).max() < 1e-4 * max(ref.max(), 1e-3) + 1e-5
    # Truncation by energy trades accuracy for kernels, monotonically.
    errs = []
    for energy in (0.9, 0.97, 0.995):
        k = socs_kernels(optics, N * PIX, energy=energy)
        errs.append(np.abs(A.aerial_image(mask, k, PIX).double().numpy() - ref).max())
    assert errs[0] >= errs[1] >= errs[2]


def test_tcc_hermitian_and_clear_field(small_optics):
    tcc = tcc_matrix(small_optics, 512.0)
    assert np.abs(tcc - tcc.conj().T).max() < 1e-12
    ks = socs_kernels(small_optics, 512.0, energy=1.0)
    assert ks.clear_field() == pytest.approx(1.0, abs=1e-9)
    open_field = A.aerial_image(np.ones((N, N), np.float32), ks, PIX).numpy()
    np.testing.assert_allclose(open_field, 1.0, atol=1e-5)


def _lines(pitch: float, cells: int = 8, sub: int = 16) -> tuple[np.ndarray, float]:
    pixel = pitch / sub
    size = cells * sub
    polys = [rect(i * pitch, 0, i * pitch + pitch / 2, size * pixel) for i in range(cells)]
    return rasterize(polys, (0, 0, size * pixel, size * pixel), pixel), pixel


@pytest.mark.parametrize("sigma", [0.3, 0.7])
def test_resolution_limit(sigma):
    optics = Optics(193.0, 1.35, 1.44, Source("conventional", sigma, step=0.05))
    p_min = 193.0 / (1.35 * (1 + sigma))  # lambda / (NA (1 + sigma)); k1 = 0.5 / (1 + sigma)
    assert optics.min_pitch_nm == pytest.approx(p_min)
    for factor, resolves in ((0.93, False), (1.1, True)):
        mask, pixel = _lines(factor * p_min)
        ks = socs_kernels(optics, mask.shape[0] * pixel, energy=1.0)
        img = A.aerial_image(mask, ks, pixel, method="full").double().numpy()
        modulation = (img.max() - img.min()) / (img.max() + img.min())
        if resolves:
            assert modulation > 0.05
        else:
            assert modulation < 1e-3  # float32 rounding only


def test_bandlimited_is_fourier_exact_on_large_grid(small_optics):
    polys = [rect(300 + 97 * i, 400 + 53 * i, 365 + 97 * i, 465 + 53 * i) for i in range(6)]
    mask = rasterize(polys, (0, 0, 1024, 1024), 4.0)
    ks = socs_kernels(small_optics, 1024.0, energy=0.99)
    full = A.aerial_image(mask, ks, 4.0, method="full").double()
    fast = A.aerial_image(mask, ks, 4.0, method="bandlimited").double()
    assert (full - fast).abs().max().item() < 1e-5 * full.max().item()
    batch = A.aerial_image(np.stack([mask, mask[::-1].copy()]), ks, 4.0)
    assert torch.allclose(batch[0], fast.float(), atol=1e-6)
    for impl in A.FULL_IMPLS:  # every implementation of the full path agrees
        other = A.aerial_image(mask, ks, 4.0, method="full", full_impl=impl).double()
        assert (other - full).abs().max().item() < 1e-5 * full.max().item()


def test_source_shapes_and_errors():
    for shape in ("conventional", "annular", "dipole", "quasar"):
        sx, sy, w = source_points(Source(shape, 0.9, 0.5 if shape != "conventional" else 0.0))
        assert w.sum() == pytest.approx(1.0) and np.all(np.hypot(sx, sy) <= 0.9 + 1e-9)
    sx, sy, _ = source_points(Source("dipole", 0.9, 0.5, orientation="x"))
    assert np.all(np.abs(sy) < np.abs(sx) + 1e-9)
    with pytest.raises(LithoError, match="unknown source shape 'hexapole'.*quasar"):
        Source("hexapole")
    with pytest.raises(LithoError, match="NA must be"):
        Optics(193, 1.5, 1.44)
    ks = socs_kernels(Optics(), 512.0, energy=0.9)
    with pytest.raises(LithoError, match="spans 1024 nm"):
        A.aerial_image(np.zeros((128, 128), np.float32), ks, 8.0)
    with pytest.raises(LithoError, match="dose must be > 0"):
        A.aerial_image(np.zeros((64, 64), np.float32), ks, 8.0, dose=0.0)


@pytest.mark.gpu
def test_cuda_matches_cpu(small_optics):
    ks = socs_kernels(small_optics, 1024.0, energy=0.99)
    masks = np.stack([rasterize([rect(300 + 40 * i, 300, 365 + 40 * i, 365)], (0, 0, 1024, 1024), 4.0) for i in range(4)])
    for method in ("full", "bandlimited"):
        cpu = A.aerial_image(masks, ks, 4.0, method=method)
        gpu = A.aerial_image(masks, ks, 4.0, method=method, device="cuda").cpu()
        assert torch.allclose(cpu, gpu, atol=1e-6)
