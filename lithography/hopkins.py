"""Hopkins imaging: illumination sources, the pupil, the TCC, and SOCS kernels from it.

Partially coherent imaging of a mask with spectrum ``M(f)``::

    I(x) = sum_{f1,f2} TCC(f1, f2) M(f1) M*(f2) exp(i 2 pi (f1 - f2) x)
    TCC(f1, f2) = sum_s J(s) P(f1 + s) P*(f2 + s)

with ``J`` the source (points ``s`` in frequency units, ``|s| <= sigma * NA/lambda``,
weights summing to 1) and ``P`` the pupil: ``circ(|f| <= NA/lambda)`` times the defocus
phase ``exp(i 2 pi dz (sqrt((n/lambda)^2 - |f|^2) - n/lambda))`` in a medium of index
``n`` (immersion). Writing ``A[s, f] = sqrt(J_s) P(f + s)`` gives ``TCC = A^T conj(A)``,
so the SVD ``A = U S Vh`` is the TCC's eigendecomposition: SOCS kernels are the rows
of ``Vh`` with weights ``S^2`` (sorted), truncated where their cumulative weight reaches
the requested energy fraction. The clear-field intensity is ``sum_s J_s = 1``.

Frequencies are those of the mask grid: ``f = k / period_nm``. The kernel window covers
``|f| <= (1 + sigma_out) NA / lambda``, beyond which every TCC entry is zero.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from chipsmith.errors import LithoError
from chipsmith.lithography.kernels import SocsKernels

SourceShape = Literal["conventional", "annular", "dipole", "quasar"]
SOURCE_SHAPES = ("conventional", "annular", "dipole", "quasar")


@dataclass(frozen=True)
class Source:
    """Illumination in sigma units (fractions of NA).

    ``shape``: conventional (disk of radius ``sigma_out``), annular (``sigma_in..sigma_out``),
    dipole (two poles of the annulus, ``opening_deg`` wide, on the x or y axis by
    ``orientation``), quasar (four poles at 45 deg, or on the axes with
    ``orientation='axis'``). ``step``: sampling pitch of the source grid in sigma.
    """

    shape: str = "conventional"
    sigma_out: float = 0.7
    sigma_in: float = 0.0
    opening_deg: float = 45.0
    orientation: str = "x"
    step: float = 0.05

    def __post_init__(self) -> None:
        if self.shape not in SOURCE_SHAPES:
            raise LithoError(f"unknown source shape {self.shape!r}", fix=f"use one of: {', '.join(SOURCE_SHAPES)}")
        if not 0 < self.sigma_out <= 1:
            raise LithoError(f"sigma_out must be in (0, 1], got {self.sigma_out}", fix="set 0 < sigma_out <= 1")
        if not 0 <= self.sigma_in < self.sigma_out:
            raise LithoError(f"sigma_in must be in [0, sigma_out), got {self.sigma_in}",
                             fix="set 0 <= sigma_in < sigma_out")
        if not 0 < self.opening_deg <= 90:
            raise LithoError(f"pole opening must be in (0, 90] deg, got {self.opening_deg}", fix="set opening_deg")
        if not 0 < self.step <= 0.5:
            raise LithoError(f"source step must be in (0, 0.5], got {self.step}", fix="set step (e.g. 0.05)")


@dataclass(frozen=True)
class Optics:
    """Projection optics: wavelength (nm), numerical aperture, immersion index, source, defocus (nm)."""

    wavelength_nm: float = 193.0
    na: float = 1.35
    immersion_index: float = 1.44
    source: Source = field(default_factory=Source)
    defocus_nm: float = 0.0

    def __post_init__(self) -> None:
        if self.wavelength_nm <= 0:
            raise LithoError(f"wavelength must be > 0 nm, got {self.wavelength_nm}", fix="set wavelength_nm")
        if not 0 < self.na < self.immersion_index:
            raise LithoError(f"NA must be in (0, immersion index {self.immersion_index}), got {self.na}",
                             fix="lower na or raise immersion_index (1.0 dry, 1.44 water)")

    @property
    def cutoff(self) -> float:
        """Coherent cutoff frequency NA/lambda (1/nm)."""
        return self.na / self.wavelength_nm

    @property
    def kernel_cutoff(self) -> float:
        """Highest frequency any kernel reaches: (1 + sigma_out) NA / lambda."""
        return (1.0 + self.source.sigma_out) * self.cutoff

    @property
    def min_pitch_nm(self) -> float:
        """Smallest pitch that images at all: lambda / (NA (1 + sigma_out))."""
        return 1.0 / self.kernel_cutoff

def source_points(source: Source) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sample the source on a square grid of pitch ``step`` (sigma units).

    Returns ``(sx, sy, w)``: point coordinates in sigma and weights summing to 1. The grid
    is centred on the origin so symmetric sources stay symmetric.
    """
    n = int(np.ceil(source.sigma_out / source.step))
    g = np.arange(-n, n + 1) * source.step
    sx, sy = np.meshgrid(g, g, indexing="xy")
    sx, sy = sx.ravel(), sy.ravel()
    r = np.hypot(sx, sy)
    keep = (r <= source.sigma_out + 1e-9) & (r >= source.sigma_in - 1e-9)
    ang = np.degrees(np.arctan2(sy, sx)) % 360.0
    half = source.opening_deg / 2.0

    def near(centres: tuple[float, ...]) -> np.ndarray:
        d = np.min([np.abs((ang - c + 180.0) % 360.0 - 180.0) for c in centres], axis=0)
        return d <= half + 1e-9

    if source.shape == "dipole":
        keep &= near((0.0, 180.0) if source.orientation == "x" else (90.0, 270.0))
    elif source.shape == "quasar":
        keep &= near((0.0, 90.0, 180.0, 270.0) if source.orientation == "axis" else (45.0, 135.0, 225.0, 315.0))
    if source.shape == "conventional":
        keep = r <= source.sigma_out + 1e-9
    if not keep.any():
        raise LithoError("source has no sample points", fix="reduce step or widen sigma_in..sigma_out / opening_deg")
    w = np.ones(int(keep.sum())) / keep.sum()
    return sx[keep], sy[keep], w


def pupil(fx: np.ndarray, fy: np.ndarray, optics: Optics) -> np.ndarray:
    """Pupil function at frequencies ``(fx, fy)`` (1/nm): circular aperture with defocus phase."""
    f2 = fx * fx + fy * fy
    inside = f2 <= optics.cutoff ** 2 * (1 + 1e-12)
    p = inside.astype(np.complex128)
    if optics.defocus_nm:
        k = optics.immersion_index / optics.wavelength_nm
        phase = 2 * np.pi * optics.defocus_nm * (np.sqrt(np.maximum(k * k - f2, 0.0)) - k)
        p = p * np.exp(1j * phase)
    return p


def kernel_half_width(optics: Optics, period_nm: float) -> int:
    """Half-width ``h`` (in frequency bins) of the kernel window: ``n = 2h + 1``."""
    return int(np.floor(optics.kernel_cutoff * period_nm + 1e-9))


def frequency_grid(h: int, period_nm: float) -> tuple[np.ndarray, np.ndarray]:
    """``(fx, fy)`` of the centred ``(2h+1)^2`` kernel window, indexed ``[row=y, col=x]``."""
    f = np.arange(-h, h + 1) / period_nm
    fx, fy = np.meshgrid(f, f, indexing="xy")
    return fx, fy


def source_matrix(optics: Optics, period_nm: float) -> tuple[np.ndarray, np.ndarray, int]:
    """``A[s, j] = sqrt(J_s) P(f_j + s)`` over the frequencies ``f_j`` inside the kernel circle.

    Returns ``(A, support_mask, h)`` where ``support_mask`` is the boolean ``(n, n)``
    window of the kept frequencies.
    """
    h = kernel_half_width(optics, period_nm)
    fx, fy = frequency_grid(h, period_nm)
    support = np.hypot(fx, fy) <= optics.kernel_cutoff * (1 + 1e-9)
    sx, sy, w = source_points(optics.source)
    scale = optics.cutoff
    a = pupil(fx[support][None, :] + sx[:, None] * scale, fy[support][None, :] + sy[:, None] * scale, optics)
    return a * np.sqrt(w)[:, None], support, h


def tcc_matrix(optics: Optics, period_nm: float) -> np.ndarray:
    """The TCC over the supported frequencies (Hermitian, ``(m, m)``); for inspection/tests."""
    a, _, _ = source_matrix(optics, period_nm)
    return a.T @ a.conj()


def socs_kernels(optics: Optics, period_nm: float, *, energy: float = 0.995,
                 max_kernels: int | None = None) -> SocsKernels:
    """SOCS kernels of the TCC for masks of side ``period_nm`` (any pixel size).

    Keeps the fewest kernels whose weights hold ``energy`` of the total (and at most
    ``max_kernels``). Kernels are unit-norm and mutually orthogonal.
    """
    if not 0 < energy <= 1:
        raise LithoError(f"energy fraction must be in (0, 1], got {energy}", fix="pass e.g. 0.995")
    if period_nm * optics.kernel_cutoff < 1:
        raise LithoError(f"clip of {period_nm} nm is too small for these optics "
                         f"(needs >= {optics.min_pitch_nm:.0f} nm)", fix="enlarge the clip")
    a, support, h = source_matrix(optics, period_nm)
    _, s, vh = np.linalg.svd(a, full_matrices=False)
    weights = s ** 2
    cum = np.cumsum(weights) / weights.sum()
    count = int(np.searchsorted(cum, energy - 1e-12) + 1)
    if max_kernels is not None:
        count = min(count, max_kernels)
    count = max(1, min(count, len(weights)))
    n = 2 * h + 1
    kernels = np.zeros((count, n, n), dtype=np.complex128)
    kernels[:, support] = vh[:count]
    src = optics.source
    name = (f"hopkins-{src.shape}-s{src.sigma_in:g}-{src.sigma_out:g}-na{optics.na:g}-"
            f"l{optics.wavelength_nm:g}-df{optics.defocus_nm:g}")
    return SocsKernels(kernels, weights[:count], float(period_nm), name, "hopkins")

