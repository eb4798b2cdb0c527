"""Batched aerial imaging with SOCS kernels in torch (CPU or CUDA).

``I = dose^2 * sum_k w_k |IFFT(FFT(m) * H_k)|^2`` for a batch of square masks.

Two exact evaluation orders:

* ``full``: one forward FFT per mask; the ``n x n`` kernel window is applied to the
  cropped spectrum; each kernel's field comes back by a *pruned* separable inverse FFT
  (first along y over the ``n`` non-zero columns only, then along x, the contiguous
  axis, over every row), which costs about half a full 2-D inverse FFT. Kernels go in
  chunks to bound memory; the intensity is accumulated in place.
* ``bandlimited``: the fields are band-limited to the kernel window, so the intensity is
  band-limited to twice it. The fields are evaluated on a small ``M x M`` grid
  (``M >= 2n``, "at the optical cutoff"), the intensity is formed there, and one FFT,
  zero-padding and one inverse FFT interpolate it to the full grid. This is Fourier
  interpolation of a band-limited signal, so it is exact up to float rounding, and far
  cheaper (``K`` tiny FFTs instead of ``K`` full ones).

``auto`` picks ``bandlimited`` whenever the grid is larger than ``M``.
"""
from __future__ import annotations

from typing import Literal

import numpy as np
import torch

from chipsmith.errors import LithoError
from chipsmith.lithography.kernels import SocsKernels
from chipsmith.lithography.spectral import fft2, ifft2

Method = Literal["auto", "full", "bandlimited"]


def resolve_device(device: str | torch.device | None) -> torch.device:
    """``None``/'cpu'/'cuda'/'cuda:N' → a torch device; asking for CUDA without one is an error."""
    if device is None:
        return torch.device("cpu")
    dev = torch.device(device)
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise LithoError("CUDA device requested but torch sees no GPU", fix="use --device cpu")
    return dev


def _as_batch(masks, device: torch.device) -> tuple[torch.Tensor, bool]:
    t = masks if isinstance(masks, torch.Tensor) else torch.from_numpy(np.ascontiguousarray(masks))
    squeeze = t.ndim == 2
    if squeeze:
        t = t[None]
    if t.ndim != 3:
        raise LithoError(f"masks must be (H, W) or (B, H, W), got shape {tuple(t.shape)}", fix="pass 2-D or 3-D arrays")
    return t.to(device=device, dtype=torch.float32), squeeze


def check_grid(shape: tuple[int, int], pixel_nm: float, kernels: SocsKernels) -> None:
    """The mask must be square, span the kernels' period, and hold the kernel window."""
    h, w = shape
    if h != w:
        raise LithoError(f"mask must be square, got {h}x{w}", fix="rasterize a square window")
    if abs(h * pixel_nm - kernels.period_nm) > 1e-6 * kernels.period_nm:
        raise LithoError(f"mask spans {h * pixel_nm:g} nm but kernels {kernels.name} are sampled for "
                         f"{kernels.period_nm:g} nm", fix=f"use a {kernels.period_nm:g} nm window (size x pixel)")
    if h < kernels.size:
        raise LithoError(f"mask grid {h} is smaller than the {kernels.size}-point kernel window",
                         fix="use a finer pixel")


def bandlimited_size(kernels: SocsKernels) -> int:
    """Smallest even grid ``M >= 2n`` that samples the intensity without aliasing."""
    m = 2 * kernels.size
    return m + (m % 2)


def chosen_method(size: int, kernels: SocsKernels, method: Method = "auto") -> str:
    """The evaluation order :func:`aerial_image` uses for a ``size x size`` grid."""
    m = bandlimited_size(kernels)
    if method == "auto":
        return "bandlimited" if size > m else "full"
    if method == "bandlimited" and size < m:
        return "full"
    return method


def _wrap_index(h: int, n: int, device: torch.device) -> torch.Tensor:
    return torch.arange(-h, h + 1, device=device) % n


def _kernel_tensors(kernels: SocsKernels, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    k = torch.from_numpy(np.ascontiguousarray(kernels.kernels)).to(device=device, dtype=torch.complex64)
    w = torch.from_numpy(np.ascontiguousarray(kernels.weights)).to(device=device, dtype=torch.float32)
    return k, w


def cropped_spectrum(masks: torch.Tensor, n: int) -> torch.Tensor:
    """FFT of each mask cropped to the centred ``n x n`` window (``(B, n, n)``)."""
    size = masks.shape[-1]
    idx = _wrap_index(n // 2, size, masks.device)
    # Pruned separable transform (1-D passes only, see chipsmith.lithography.spectral):
    # along x over every row, keep the n kernel-window columns, then along y on those.
    rows = torch.fft.fft(masks, dim=-1).index_select(-1, idx)
    return torch.fft.fft(rows, dim=-2).index_select(-2, idx)


def aerial_image(masks, kernels: SocsKernels, pixel_nm: float, *, dose: float = 1.0,
                 device: str | torch.device | None = None, method: Method = "auto",
                 chunk: int = 4, full_impl: str | None = None) -> torch.Tensor:
    """Aerial intensity of ``masks`` (``(H, W)`` or ``(B, H, W)``, values 0..1) as float32.

    ``pixel_nm`` times the mask side must equal ``kernels.period_nm``. Returns a tensor on
    ``device`` with the input's batch shape. ``full_impl`` picks the ``full`` method's
    inverse transform: 'fft' (pruned separable FFT, default on CPU), 'fused' (padded FFTs
    and one norm reduction) or 'gemm' (the x stage as a DFT matrix product, default on CUDA).
    """
    if not dose > 0:
        raise LithoError(f"dose must be > 0, got {dose}", fix="pass a positive relative dose (1.0 = nominal)")
    dev = resolve_device(device)
    batch, squeeze = _as_batch(masks, dev)
    check_grid(tuple(batch.shape[-2:]), pixel_nm, kernels)
    if full_impl is not None and full_impl not in FULL_IMPLS:
        raise LithoError(f"unknown full-imaging implementation {full_impl!r}", fix=f"use one of: {', '.join(FULL_IMPLS)}")
    if method not in ("auto", "full", "bandlimited"):
        raise LithoError(f"unknown imaging method {method!r}", fix="use auto, full or bandlimited")
    m = bandlimited_size(kernels)
    method = chosen_method(batch.shape[-1], kernels, method)
    k, w = _kernel_tensors(kernels, dev)
    spec = cropped_spectrum(batch, kernels.size)
    if method == "full":
        image = FULL_IMPLS[full_impl or ("gemm" if dev.type == "cuda" else "fft")](spec, k, w, batch.shape[-1], chunk)
    else:
        image = upsample_bandlimited(_small(spec, k, w, m, batch.shape[-1]), batch.shape[-1])
    image = image * (dose * dose)
    return image[0] if squeeze else image


def aerial_small(masks, kernels: SocsKernels, pixel_nm: float, *, dose: float = 1.0,
                 device: str | torch.device | None = None) -> torch.Tensor:
    """The intensity sampled on the ``M x M`` band-limit grid only (pixel = period / M)."""
    dev = resolve_device(device)
    batch, squeeze = _as_batch(masks, dev)
    check_grid(tuple(batch.shape[-2:]), pixel_nm, kernels)
    k, w = _kernel_tensors(kernels, dev)
    image = _small(cropped_spectrum(batch, kernels.size), k, w, bandlimited_size(kernels), batch.shape[-1])
    image = image * (dose * dose)
    return image[0] if squeeze else image


def _full(spec: torch.Tensor, k: torch.Tensor, w: torch.Tensor, size: int, chunk: int) -> torch.Tensor:
    b, n = spec.shape[0], k.shape[-1]
    idx = _wrap_index(n // 2, size, spec.device)
    out = torch.zeros((b, size, size), dtype=torch.float32, device=spec.device)
    chunk = max(1, min(chunk, k.shape[0]))
    # Zeroed once: every chunk rewrites the same n columns, the rest stays zero.
    buf = torch.zeros((b, chunk, size, size), dtype=torch.complex64, device=spec.device)
    weights = w.tolist()
    for start in range(0, k.shape[0], chunk):
        kc = k[start:start + chunk]
        c = kc.shape[0]
        prod = spec[:, None] * kc[None]  # (B, c, ky, kx)
        cols = torch.zeros((b, c, size, n), dtype=prod.dtype, device=spec.device)
        cols.index_copy_(-2, idx, prod)
        cols = torch.fft.ifft(cols, dim=-2)  # cheap stage: n columns only, y back in space
        part = buf[:, :c]
        part.index_copy_(-1, idx, cols)
        field = torch.fft.ifft(part, dim=-1)  # expensive stage on the contiguous axis
        power = torch.view_as_real(field)
        power.square_()
        for j in range(c):
            out.add_(power[:, j, ..., 0], alpha=weights[start + j])
            out.add_(power[:, j, ..., 1], alpha=weights[start + j])
    return out


def _full_fused(spec: torch.Tensor, k: torch.Tensor, w: torch.Tensor, size: int, chunk: int) -> torch.Tensor:
    """GPU variant of :func:`_full`: fewer, larger kernels (launches and memory passes dominate there).

    ``sqrt(w_k)`` is folded into the kernels so the weighted sum of intensities becomes one
    norm reduction over (kernel, re/im). The kernel window is kept in centred order and
    zero-padded by the FFT itself (``n=size``): that shifts every field by a constant
    frequency, i.e. multiplies it by a unit-modulus phase ramp, which leaves ``|E|^2`` unchanged.
    """
    b = spec.shape[0]
    ks = k * w.sqrt().to(k.dtype)[:, None, None]
    per_kernel = b * size * size * 8
    chunk = max(1, min(k.shape[0], int(2 ** 31 // max(per_kernel, 1))))  # ~2 GiB of fields at a time
    out = torch.zeros((b, size, size), dtype=torch.float32, device=spec.device)
    for start in range(0, k.shape[0], chunk):
        prod = spec[:, None] * ks[None, start:start + chunk]
        field = torch.fft.ifft(torch.fft.ifft(prod, n=size, dim=-2), n=size, dim=-1)
        out += torch.linalg.vector_norm(torch.view_as_real(field), dim=(1, -1)).square_()
    return out


def _full_gemm(spec: torch.Tensor, k: torch.Tensor, w: torch.Tensor, size: int, chunk: int) -> torch.Tensor:
    """:func:`_full_fused` with the x stage as a matrix product by the ``n x size`` inverse DFT.

    With only ``n`` non-zero frequencies per row, ``E = T @ D`` (``D[j, x] = e^{2 pi i
    (j - h) x / size} / size``) replaces a zero-padded FFT; on a GPU the complex GEMM is
    cheaper than padding plus a full-length FFT pass.
    """
    b, n = spec.shape[0], k.shape[-1]
    ks = k * w.sqrt().to(k.dtype)[:, None, None]
    freqs = torch.arange(-(n // 2), n // 2 + 1, device=spec.device, dtype=torch.float64)
    x = torch.arange(size, device=spec.device, dtype=torch.float64)
    dft = (torch.polar(torch.ones(1, dtype=torch.float64, device=spec.device), 2 * torch.pi * freqs[:, None] * x[None] / size)
           / size).to(torch.complex64)
    per_kernel = b * size * size * 8
    chunk = max(1, min(k.shape[0], int(2 ** 31 // max(per_kernel, 1))))
    out = torch.zeros((b, size, size), dtype=torch.float32, device=spec.device)
    for start in range(0, k.shape[0], chunk):
        prod = spec[:, None] * ks[None, start:start + chunk]
        cols = torch.fft.ifft(prod, n=size, dim=-2)  # (B, c, H, n)
        field = torch.matmul(cols, dft)  # (B, c, H, W)
        out += torch.linalg.vector_norm(torch.view_as_real(field), dim=(1, -1)).square_()
    return out


def _small(spec: torch.Tensor, k: torch.Tensor, w: torch.Tensor, m: int, size: int) -> torch.Tensor:
    b, n = spec.shape[0], k.shape[-1]
    idx = _wrap_index(n // 2, m, spec.device)
    prod = spec[:, None] * k[None]
    grid = torch.zeros((b, k.shape[0], m, m), dtype=prod.dtype, device=spec.device)
    grid[:, :, idx[:, None], idx[None, :]] = prod
    # ifft on the small grid divides by m^2; the full-grid field is divided by size^2.
    field = ifft2(grid) * (float(m * m) / float(size * size))
    return torch.einsum("bkyx,k->byx", field.real ** 2 + field.imag ** 2, w)


FULL_IMPLS = {"fft": _full, "fused": _full_fused, "gemm": _full_gemm}


def upsample_bandlimited(small: torch.Tensor, size: int) -> torch.Tensor:
    """Fourier-interpolate ``(B, M, M)`` band-limited images to ``(B, size, size)``.

    The zero-padded spectrum has only ``M - 1`` non-zero rows and columns, so the inverse
    is pruned like :func:`_full`'s: first along y over those ``M - 1`` columns, then along
    x over every row; 1-D transforms only (see :mod:`chipsmith.lithography.spectral`).
    """
    m = small.shape[-1]
    if size == m:
        return small
    spec = fft2(small.to(torch.complex64))
    half = m // 2
    dev = small.device
    # Bin m/2 carries no energy (the intensity band ends at n-1 < m/2); drop it.
    src = torch.cat([torch.arange(0, half, device=dev), torch.arange(m - half + 1, m, device=dev)])
    dst = torch.cat([torch.arange(0, half, device=dev), torch.arange(size - half + 1, size, device=dev)])
    kept = spec.index_select(-2, src).index_select(-1, src)  # (B, M-1, M-1)
    cols = torch.zeros((small.shape[0], size, kept.shape[-1]), dtype=kept.dtype, device=dev)
    cols.index_copy_(-2, dst, kept)
    cols = torch.fft.ifft(cols, dim=-2)  # y back in space, M-1 columns only
    rows = torch.zeros((small.shape[0], size, size), dtype=kept.dtype, device=dev)
    rows.index_copy_(-1, dst, cols)
    return torch.fft.ifft(rows, dim=-1).real * (float(size * size) / float(m * m))


def bilinear_upsample(small: torch.Tensor, size: int) -> torch.Tensor:
    """Periodic bilinear interpolation of ``(B, M, M)`` to ``(B, size, size)`` (the cheap, inexact option)."""
    m = small.shape[-1]
    pos = torch.arange(size, device=small.device, dtype=torch.float32) * (m / size)
    i0 = torch.floor(pos).long() % m
    i1 = (i0 + 1) % m
    t = pos - torch.floor(pos)
    rows = small[:, i0, :] * (1 - t)[None, :, None] + small[:, i1, :] * t[None, :, None]
    return rows[:, :, i0] * (1 - t)[None, None, :] + rows[:, :, i1] * t[None, None, :]
