"""SOCS kernel sets: the container every imaging path uses, and the ICCAD 2013 loader.

A SOCS (sum of coherent systems) model writes the aerial intensity of a mask ``m`` as
``I = sum_k w_k |IFFT(FFT(m) * H_k)|^2``, each ``H_k`` a small frequency-domain kernel
centred on DC. Because ``H_k`` is sampled at the frequency spacing ``1/period_nm`` of the
mask grid, a kernel set only fits masks whose side times the pixel size equals
``period_nm``; the pixel size itself may vary (a coarser pixel just crops fewer
high frequencies, which the kernels do not reach anyway).

ICCAD 2013 files (``fh0.bin .. fh23.bin``, ``scales.txt``): a 24-byte header of six
big-endian int32 (35, 35, 2, ...), then 35 x 35 big-endian complex64. Read from byte 24
the kernels are orthonormal (the default here); some public loaders read from byte 20,
which shifts every value by one float and loses orthonormality. ``offset=20`` reproduces
those loaders ("compat mode") so published numbers can be matched.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from chipsmith.errors import LithoError

ICCAD13_SIZE = 35
ICCAD13_HEADER = 24
ICCAD13_PERIOD_NM = 2048.0
ICCAD13_THRESHOLD = 0.225
_FILE_BYTES = ICCAD13_HEADER + ICCAD13_SIZE * ICCAD13_SIZE * 8


@dataclass(frozen=True, eq=False)
class SocsKernels:
    """Frequency-domain SOCS kernels ``(K, n, n)`` (n odd, DC at the centre) and weights ``(K,)``.

    ``period_nm``: physical side of the mask grid the kernels are sampled for.
    ``name``/``source``: provenance, copied into summaries.
    """

    kernels: np.ndarray
    weights: np.ndarray
    period_nm: float
    name: str = "socs"
    source: str = ""

    def __post_init__(self) -> None:
        k = np.asarray(self.kernels)
        if k.ndim != 3 or k.shape[1] != k.shape[2] or k.shape[1] % 2 == 0:
            raise LithoError(f"kernels must have shape (K, n, n) with n odd, got {k.shape}",
                             where=self.source or self.name, fix="pass a valid kernel set")
        if len(self.weights) != k.shape[0]:
            raise LithoError(f"{len(self.weights)} weights for {k.shape[0]} kernels", where=self.source or self.name,
                             fix="give one weight per kernel")

    @property
    def count(self) -> int:
        return int(self.kernels.shape[0])

    @property
    def size(self) -> int:
        return int(self.kernels.shape[1])

    def truncated(self, count: int) -> "SocsKernels":
        """The ``count`` kernels with the largest weights (weights are kept sorted)."""
        order = np.argsort(-self.weights)[:count]
        return SocsKernels(self.kernels[order], self.weights[order], self.period_nm, self.name, self.source)

    def clear_field(self) -> float:
        """Intensity of a fully open mask (``sum_k w_k |H_k(0)|^2``)."""
        c = self.size // 2
        return float(np.sum(self.weights * np.abs(self.kernels[:, c, c]) ** 2))


def gram_error(kernels: np.ndarray) -> float:
    """``max |G - I|`` of the Gram matrix of the flattened kernels (0 for an orthonormal set)."""
    flat = np.asarray(kernels).reshape(len(kernels), -1)
    gram = flat.conj() @ flat.T
    return float(np.abs(gram - np.eye(len(flat))).max())


def _read_kernel_file(path: Path, offset: int) -> np.ndarray:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise LithoError(f"cannot read kernel file: {exc.strerror}", where=str(path),
                         fix="point --kernels at a folder with fh0.bin .. fhN.bin and scales.txt") from exc
    if len(raw) != _FILE_BYTES:
        raise LithoError(f"kernel file has {len(raw)} bytes, expected {_FILE_BYTES} "
                         f"(24-byte header + {ICCAD13_SIZE}x{ICCAD13_SIZE} complex64)", where=str(path),
                         fix="use the ICCAD 2013 fh*.bin kernel files")
    header = np.frombuffer(raw[:ICCAD13_HEADER], dtype=">i4")
    if tuple(header[:3]) != (ICCAD13_SIZE, ICCAD13_SIZE, 2):
        raise LithoError(f"kernel header starts {tuple(int(h) for h in header[:3])}, expected (35, 35, 2)",
                         where=str(path), fix="use the ICCAD 2013 fh*.bin kernel files")
    n_vals = ICCAD13_SIZE * ICCAD13_SIZE * 2
    vals = np.frombuffer(raw[offset:offset + 4 * n_vals], dtype=">f4").astype(np.float64)
    if not np.all(np.isfinite(vals)):
        raise LithoError("kernel file holds non-finite values", where=str(path), fix="the file is corrupt; re-fetch it")
    return (vals[0::2] + 1j * vals[1::2]).reshape(ICCAD13_SIZE, ICCAD13_SIZE)


def load_iccad13(directory: Path | str, *, offset: int = 24, count: int | None = None) -> SocsKernels:
    """Load an ICCAD 2013 kernel folder (``fh*.bin`` + ``scales.txt``).

    ``offset``: 24 (header skipped, orthonormal; default) or 20 (compat with loaders that
    read one float early). ``count`` keeps the first (largest) kernels. Kernel files of the
    wrong size, header or count raise :class:`LithoError`.
    """
    directory = Path(directory)
    if offset not in (20, 24):
        raise LithoError(f"kernel byte offset must be 24 (default) or 20 (compat), got {offset}",
                         fix="pass --kernel-offset 24 or 20")
    scales_path = directory / "scales.txt"
    if not scales_path.is_file():
        raise LithoError("no scales.txt in the kernel folder", where=str(directory),
                         fix="point at a folder with fh0.bin .. fhN.bin and scales.txt")
    try:
        tokens = scales_path.read_text().split()
        n = int(tokens[0])
        weights = np.array([float(t) for t in tokens[1:1 + n]])
    except (ValueError, IndexError) as exc:
        raise LithoError("scales.txt must hold a count then one weight per kernel", where=str(scales_path),
                         fix="use the ICCAD 2013 scales.txt") from exc
    if len(weights) != n or n < 1:
        raise LithoError(f"scales.txt announces {n} weights but holds {len(weights)}", where=str(scales_path),
                         fix="use the ICCAD 2013 scales.txt")
    if count is not None:
        if not 1 <= count <= n:
            raise LithoError(f"kernel count must be in 1..{n}, got {count}", fix=f"pass a count in 1..{n}")
        n = count
    kernels = []
    for k in range(n):
        f = directory / f"fh{k}.bin"
        if not f.is_file():
            raise LithoError(f"missing kernel file fh{k}.bin", where=str(directory),
                             fix="the folder needs fh0.bin .. fh{n-1}.bin as listed in scales.txt")
        kernels.append(_read_kernel_file(f, offset))
    mode = "orthonormal" if offset == 24 else "compat20"
    return SocsKernels(np.stack(kernels), weights[:n], ICCAD13_PERIOD_NM, f"iccad13-{directory.name}-{mode}",
                       str(directory))


def iccad13_dir(corner: str = "focus") -> Path:
    """The registered dataset's kernel folder for ``corner`` ('focus' or 'defocus')."""
    from chipsmith import data

    if corner not in ("focus", "defocus"):
        raise LithoError(f"unknown ICCAD13 kernel corner {corner!r}", fix="use iccad13, iccad13:focus or iccad13:defocus")
    return Path(data.resolve("iccad13-litho")) / "kernels" / corner


def resolve_kernels(spec: str, *, offset: int = 24, count: int | None = None) -> SocsKernels:
    """``iccad13`` / ``iccad13:focus`` / ``iccad13:defocus`` or a folder path → kernels."""
    if spec.startswith("iccad13"):
        corner = spec.split(":", 1)[1] if ":" in spec else "focus"
        return load_iccad13(iccad13_dir(corner), offset=offset, count=count)
    path = Path(spec)
    if not path.exists():
        raise LithoError(f"unknown kernel set {spec!r}", fix="use iccad13, iccad13:focus, iccad13:defocus or a kernel folder")
    if path.is_file():
        raise LithoError("expected a kernel folder, got a file", where=str(path),
                         fix="point --kernels at the folder holding fh*.bin and scales.txt")
    return load_iccad13(path, offset=offset, count=count)
