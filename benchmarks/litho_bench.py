"""`chipsmith bench litho`: SOCS aerial imaging speed as ratios to bare FFTs on the same device.

Figures (all measured in one process, best of ``repeats``):

* ``full_ratio``: time of :func:`aerial_image` (method ``full``) for one ``size x size``
  clip with ``K`` kernels, divided by the time of the bare FFTs of the same size and
  count (one forward FFT of the mask and ``K`` full inverse 2-D complex FFTs; in chunks
  of 4 on CPU, all K in one batched call on CUDA). Goal <= 1.5.
* ``bandlimited_ratio`` and its error: the fast path (fields on the ``2n x 2n`` grid at
  the optical cutoff, Fourier interpolation to the full grid) against the full
  computation: max |dI| relative to max I, and the pixels whose print (I >= 0.225) flips.
  A bilinear-interpolation variant of the same small grid is reported for contrast.
* throughput: clips/s for a batch of clips, both paths.
"""
from __future__ import annotations

import time
from typing import Callable

import numpy as np
import torch

from chipsmith.lithography import aerial as A
from chipsmith.lithography.kernels import SocsKernels


def _mask(size: int) -> tuple[np.ndarray, SocsKernels, str]:
    """M1_test1 on the ICCAD13 canvas with the ICCAD13 focus kernels, or a synthetic stand-in."""
    from chipsmith import data
    from chipsmith.lithography.kernels import load_iccad13
    from chipsmith.lithography.layout_io import rasterize, read_glp

    root = data.find("iccad13-litho")
    if root is not None:
        ks = load_iccad13(root / "kernels" / "focus")
        lay = read_glp(root / "layouts" / "ICCAD2013" / "M1_test1.glp")
        pixel = ks.period_nm / size
        # The contest polygons do not overlap, so no union (and no gdstk) is needed.
        return rasterize(lay.polygons, (-512, -512, 1536, 1536), pixel, merge=False), ks, "iccad13 focus kernels, M1_test1"
    from chipsmith.lithography.hopkins import Optics, Source, socs_kernels
    from chipsmith.lithography.layout_io import rect

    ks = socs_kernels(Optics(193, 1.35, 1.44, Source("annular", 0.9, 0.6)), 2048.0, energy=1.0, max_kernels=24)
    rng = np.random.default_rng(0)
    polys = [rect(x, y, x + 65, y + 65) for x, y in rng.uniform(200, 1800, size=(60, 2))]
    return rasterize(polys, (0, 0, 2048, 2048), 2048.0 / size), ks, "synthetic Hopkins kernels, random contacts"


def _timeit(fn: Callable[[], object], device: torch.device, repeats: int) -> float:
    def sync() -> None:
        if device.type == "cuda":
            torch.cuda.synchronize(device)

    fn()  # warm-up (plans, allocator)
    sync()
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        sync()
        best = min(best, time.perf_counter() - t)
    return best


def run(size: int = 2048, kernels: int = 24, batch: int | None = None, device: str = "cpu", repeats: int = 3,
        chunk: int = 4, quiet: bool = False) -> dict:
    dev = A.resolve_device(device)
    mask_np, ks, what = _mask(size)
    ks = ks.truncated(min(kernels, ks.count))
    pixel = ks.period_nm / size
    mask = torch.from_numpy(mask_np).to(dev)
    k = ks.count
    batch = batch or (16 if dev.type == "cuda" else 2)

    # The baseline batches its inverse FFTs the way that is fastest on the device: in chunks
    # of ``chunk`` on CPU (cache-sized), all K in one call on CUDA.
    bare_chunk = k if dev.type == "cuda" else min(chunk, k)
    buf = torch.ones((1, bare_chunk, size, size), dtype=torch.complex64, device=dev)

    def bare() -> None:
        torch.fft.fft2(mask[None])
        for start in range(0, k, bare_chunk):
            c = min(bare_chunk, k - start)
            torch.fft.ifft2(buf[:, :c])

    t_bare = _timeit(bare, dev, repeats)
    t_full = _timeit(lambda: A.aerial_image(mask, ks, pixel, device=dev, method="full", chunk=chunk), dev, repeats)
    # On CUDA also time every implementation of the full path, so the default's choice is visible.
    impl_s = {}
    if dev.type == "cuda":
        for impl in A.FULL_IMPLS:
            impl_s[impl] = _timeit(lambda: A.aerial_image(mask, ks, pixel, device=dev, method="full", chunk=chunk,
                                                          full_impl=impl), dev, repeats)
    t_band = _timeit(lambda: A.aerial_image(mask, ks, pixel, device=dev, method="bandlimited"), dev, repeats)
    full = A.aerial_image(mask, ks, pixel, device=dev, method="full", chunk=chunk).double()
    band = A.aerial_image(mask, ks, pixel, device=dev, method="bandlimited").double()
    small = A.aerial_small(mask, ks, pixel, device=dev)
    bil = A.bilinear_upsample(small[None], size)[0].double()
    peak = float(full.max())
    thr = 0.225 if "iccad13" in what else 0.3 * peak  # the ICCAD13 print threshold

    def errors(img: torch.Tensor) -> dict:
        return {"max_abs_err_rel": float((img - full).abs().max()) / peak,
                "rms_err_rel": float(((img - full) ** 2).mean().sqrt()) / peak,
                "print_flips_px": int(((img >= thr) != (full >= thr)).sum())}

    masks = mask[None].repeat(batch, 1, 1)
    t_batch_full = _timeit(lambda: A.aerial_image(masks, ks, pixel, device=dev, method="full", chunk=max(1, chunk // 2)),
                           dev, max(1, repeats - 1))
    t_batch_band = _timeit(lambda: A.aerial_image(masks, ks, pixel, device=dev, method="bandlimited"), dev,
                           max(1, repeats - 1))
    return {
        "workload": what, "size": size, "kernels": k, "kernel_window": ks.size, "device": str(dev),
        "device_name": torch.cuda.get_device_name(dev) if dev.type == "cuda" else "cpu",
        "torch": torch.__version__, "threads": torch.get_num_threads(), "repeats": repeats,
        "bare_fft_s": t_bare,
        "full_impl": "gemm" if dev.type == "cuda" else "fft",
        "full_s": t_full, "full_ratio": t_full / t_bare,
        "full_impl_ratios": {name: t / t_bare for name, t in impl_s.items()},
        "bandlimited_s": t_band, "bandlimited_ratio": t_band / t_bare,
        "bandlimited_grid": A.bandlimited_size(ks),
        "bandlimited_error": errors(band), "bilinear_error": errors(bil),
        "print_threshold": thr, "printed_px_full": int((full >= thr).sum()),
        "batch": batch,
        "throughput_full_clips_s": batch / t_batch_full,
        "throughput_bandlimited_clips_s": batch / t_batch_band,
        "goal_full_ratio": 1.5,
    }
