"""Abbe imaging: the source-point sum, an independent check of the Hopkins/SOCS path.

For every source point ``s`` the mask is imaged coherently through the shifted pupil,
``E_s = IFFT(FFT(m) P(f + s))``, and the intensities add: ``I = sum_s J_s |E_s|^2``.
It needs one inverse FFT per source point (hundreds), which is why production imaging
uses SOCS; on a small grid it is the reference that SOCS must match.
"""
from __future__ import annotations

import numpy as np

from chipsmith.errors import LithoError
from chipsmith.lithography.hopkins import Optics, pupil, source_points


def abbe_aerial(mask: np.ndarray, optics: Optics, pixel_nm: float, *, dose: float = 1.0) -> np.ndarray:
    """Aerial intensity of a square ``mask`` (``(N, N)``, pixel ``pixel_nm``) by Abbe summation."""
    mask = np.asarray(mask, dtype=np.float64)
    if mask.ndim != 2 or mask.shape[0] != mask.shape[1]:
        raise LithoError(f"Abbe imaging needs a square 2-D mask, got {mask.shape}", fix="pass an (N, N) mask")
    n = mask.shape[0]

    f = np.fft.fftfreq(n, d=pixel_nm)
    fx, fy = np.meshgrid(f, f, indexing="xy")
    spectrum = np.fft.fft2(mask * dose)
    sx, sy, w = source_points(optics.source)
    scale = optics.cutoff
    image = np.zeros_like(mask)
    for x, y, wt in zip(sx, sy, w):
        field = np.fft.ifft2(spectrum * pupil(fx + x * scale, fy + y * scale, optics))
        image += wt * (field.real ** 2 + field.imag ** 2)
    return image
