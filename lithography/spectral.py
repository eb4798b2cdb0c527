"""2-D FFTs built from 1-D transforms, correct at every grid size the simulator uses.

Why not ``torch.fft.fft2``/``ifft2``: with torch 2.13.0 on CPU, ``torch.fft.ifft2`` (and
``ifftn`` over the last two dims) of a *single* complex64 2048 x 2048 plane, unbatched or
with batch 1, returns the inverse scaled by ``1 / 2048^2`` a second time (measured: the
result is ``2.4e-7`` times the right one; batch 3, complex128, other sizes and 1-D
transforms are all correct). 2048 x 2048 is exactly the default ICCAD13 grid (2048 nm at
1 nm per pixel), so the band-limited imaging path and the resist diffusion returned
near-zero images there while every smaller test grid passed. Two passes of 1-D
transforms do the same arithmetic as the 2-D call, cost about the same, and are
correct at every size; every 2-D transform in :mod:`chipsmith.lithography` goes
through this module.
"""
from __future__ import annotations

import torch


def fft2(x: torch.Tensor) -> torch.Tensor:
    """Forward 2-D DFT over the last two dims (no normalisation), as two 1-D passes."""
    return torch.fft.fft(torch.fft.fft(x, dim=-1), dim=-2)


def ifft2(x: torch.Tensor) -> torch.Tensor:
    """Inverse 2-D DFT over the last two dims (divides by ``H*W``), as two 1-D passes."""
    return torch.fft.ifft(torch.fft.ifft(x, dim=-1), dim=-2)
