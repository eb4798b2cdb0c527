"""Limit OpenBLAS threads around vector-heavy loops (AMG-CG).

Why: pyamg's CG and eigenvalue estimates call ``numpy.dot`` on vectors of 1e4–1e6
entries thousands of times. OpenBLAS then wakes its thread pool for every call, and on a
loaded machine the hand-offs cost far more than the arithmetic: measured 1.3–2.0 s
instead of 0.2 s for a 19k-unknown AMG-CG solve on the shared 2-core box. This is what
``threadpoolctl`` does, reduced to the one call we need (no extra dependency): find the
OpenBLAS builds loaded in this process and set their thread count, then restore it.
Linux only; anywhere else it is a no-op.
"""
from __future__ import annotations

import contextlib
import ctypes
from typing import Iterator

_SET = ("scipy_openblas_set_num_threads64_", "scipy_openblas_set_num_threads", "openblas_set_num_threads64_",
        "openblas_set_num_threads")
_GET = ("scipy_openblas_get_num_threads64_", "scipy_openblas_get_num_threads", "openblas_get_num_threads64_",
        "openblas_get_num_threads")


def _loaded_openblas() -> list[tuple[object, object]]:
    """(setter, getter) pairs for every OpenBLAS library mapped into this process."""
    try:
        with open("/proc/self/maps") as fh:
            paths = {line.split()[-1] for line in fh if "openblas" in line.lower() and "/" in line}
    except OSError:
        return []
    found = []
    for path in sorted(paths):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        setter = next((getattr(lib, n) for n in _SET if hasattr(lib, n)), None)
        getter = next((getattr(lib, n) for n in _GET if hasattr(lib, n)), None)
        if setter is not None and getter is not None:
            found.append((setter, getter))
    return found


@contextlib.contextmanager
def blas_threads(n: int = 1) -> Iterator[None]:
    """Run the body with at most ``n`` OpenBLAS threads, then restore the previous counts."""
    libs = _loaded_openblas()
    previous = []
    for setter, getter in libs:
        try:
            previous.append(int(getter()))
            setter(int(n))
        except Exception:  # pragma: no cover - an unexpected ABI: leave that library alone
            previous.append(None)
    try:
        yield
    finally:
        for (setter, _), old in zip(libs, previous):
            if old is not None:
                setter(old)
