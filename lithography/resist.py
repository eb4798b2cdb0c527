"""Resist models: a fast constant-threshold model and a lumped chemically amplified one.

Fast model (:class:`ThresholdResist`)
    ``R = G_sigma * I`` (Gaussian acid-diffusion blur of the aerial image, ``sigma`` =
    ``diffusion_nm``); the resist prints (a contact hole opens) where ``R >= threshold``.

Lumped chemical model (:class:`ChemResist`), the ground truth for the ML models of part 2.
All concentrations are normalised to the photo-acid generator loading (acid 0..1).

1. Exposure (Dill C model, bleaching-free PAG decomposition)::

       A0(x) = 1 - exp(-C * E * I(x))

   ``E`` = dose (mJ/cm^2) times the relative dose, ``C`` = Dill C (cm^2/mJ), ``I`` the
   aerial intensity relative to clear field.
2. Post-exposure bake for ``t_peb`` seconds: acid and base quencher diffuse and
   neutralise; acid catalyses deprotection of the polymer's protected sites ``M``::

       dA/dt = D_A lap(A) - k_q A Q
       dQ/dt = D_Q lap(Q) - k_q A Q
       dM/dt = -k_amp A M,            A(0) = A0, Q(0) = Q0, M(0) = 1

   with ``D = L^2 / (2 t_peb)`` from the diffusion lengths ``L_A``, ``L_Q`` (nm).
   Solved by Strang operator splitting on the periodic grid: half a diffusion step
   (exact, in Fourier space: ``exp(-D |2 pi f|^2 dt/2)``), a full reaction step (the
   ``A``-``Q`` neutralisation solved in closed form: ``A - Q`` is conserved, so
   ``A(t) = d A / (A - (A - d) e^{-k_q d t})`` with ``d = A - Q``), the deprotection
   step ``M *= exp(-k_amp A dt)``, and another half diffusion step.
3. Development (Mack's rate model) of a resist of thickness ``T`` for ``t_dev``::

       r(m) = r_max (a + 1)(1 - m)^n / (a + (1 - m)^n) + r_min,
       a = (n + 1)/(n - 1) (1 - m_th)^n

   The resist image is the normalised development depth ``D(x) = r(M) t_dev / T``
   (lumped, vertical development): the resist clears, and the contact opens, where
   ``D >= 1``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np
import torch

from chipsmith.errors import LithoError
from chipsmith.lithography.spectral import fft2, ifft2


@dataclass(frozen=True)
class ThresholdResist:
    """Constant threshold on the Gaussian-blurred aerial image."""

    threshold: float = 0.225
    diffusion_nm: float = 0.0

    def __post_init__(self) -> None:
        if not 0 < self.threshold:
            raise LithoError(f"resist threshold must be > 0, got {self.threshold}", fix="pass a positive --threshold")
        if self.diffusion_nm < 0:
            raise LithoError(f"diffusion length must be >= 0 nm, got {self.diffusion_nm}", fix="set diffusion_nm >= 0")

    @property
    def level(self) -> float:
        """Contour level of :func:`threshold_resist`'s image."""
        return self.threshold


@dataclass(frozen=True)
class ChemResist:
    """Parameters of the chemically amplified resist model (units in the field names)."""

    dose_mj_cm2: float = 30.0
    dill_c_cm2_mj: float = 0.05
    quencher: float = 0.15
    peb_time_s: float = 60.0
    acid_diffusion_nm: float = 15.0
    quencher_diffusion_nm: float = 5.0
    k_neutral_per_s: float = 10.0
    k_amp_per_s: float = 0.05
    peb_steps: int = 24
    thickness_nm: float = 100.0
    dev_time_s: float = 30.0
    r_max_nm_s: float = 50.0
    r_min_nm_s: float = 0.05
    mack_n: float = 6.0
    mack_m_th: float = 0.5

    def __post_init__(self) -> None:
        may_be_zero = ("quencher", "acid_diffusion_nm", "quencher_diffusion_nm", "r_min_nm_s")
        for f in fields(self):
            value = getattr(self, f.name)
            zero_ok = f.name in may_be_zero
            if not math.isfinite(value) or value < 0 or (value == 0 and not zero_ok):
                raise LithoError(f"resist parameter {f.name} must be {'>= 0' if zero_ok else '> 0'}, got {value}",
                                 fix=f"fix {f.name} in the preset")
        if self.mack_n <= 1:
            raise LithoError(f"mack_n must be > 1, got {self.mack_n}", fix="set mack_n (typ. 3..10)")
        if not 0 < self.mack_m_th < 1:
            raise LithoError(f"mack_m_th must be in (0, 1), got {self.mack_m_th}", fix="set mack_m_th (typ. 0.3..0.7)")

    @property
    def level(self) -> float:
        """Contour level of :func:`chem_resist`'s image (development depth / thickness)."""
        return 1.0


def _check_dose(dose: float) -> None:
    if not (isinstance(dose, (int, float)) and math.isfinite(dose) and dose > 0):
        raise LithoError(f"dose must be > 0, got {dose}", fix="pass a positive relative dose (1.0 = nominal)")


def _freq2(shape: tuple[int, int], pixel_nm: float, device: torch.device) -> torch.Tensor:
    """``|2 pi f|^2`` on the FFT grid of ``shape`` (1/nm^2)."""
    fy = torch.fft.fftfreq(shape[0], d=pixel_nm, device=device, dtype=torch.float64)
    fx = torch.fft.fftfreq(shape[1], d=pixel_nm, device=device, dtype=torch.float64)
    return ((2 * math.pi) ** 2 * (fy[:, None] ** 2 + fx[None, :] ** 2)).to(torch.float32)


def gaussian_blur(image: torch.Tensor, sigma_nm: float, pixel_nm: float) -> torch.Tensor:
    """Periodic Gaussian blur (``sigma_nm``) of ``(..., H, W)`` images, by FFT."""
    if sigma_nm <= 0:
        return image
    k2 = _freq2(tuple(image.shape[-2:]), pixel_nm, image.device)
    return ifft2(fft2(image) * torch.exp(-0.5 * sigma_nm ** 2 * k2)).real


def _as_tensor(aerial) -> torch.Tensor:
    t = aerial if isinstance(aerial, torch.Tensor) else torch.from_numpy(np.ascontiguousarray(aerial))
    return t.to(torch.float32)


def threshold_resist(aerial, model: ThresholdResist, pixel_nm: float) -> torch.Tensor:
    """Resist image of the fast model (blurred intensity); prints where ``>= model.threshold``."""
    return gaussian_blur(_as_tensor(aerial), model.diffusion_nm, pixel_nm)


def exposure(aerial: torch.Tensor, model: ChemResist, dose: float = 1.0) -> torch.Tensor:
    """Initial acid ``A0 = 1 - exp(-C E I)``."""
    _check_dose(dose)
    return 1.0 - torch.exp(-model.dill_c_cm2_mj * model.dose_mj_cm2 * dose * aerial)


def peb(acid0: torch.Tensor, model: ChemResist, pixel_nm: float) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Post-exposure bake: returns ``(acid, quencher, protected)`` at the end of the bake."""
    steps = int(model.peb_steps)
    dt = model.peb_time_s / steps
    k2 = _freq2(tuple(acid0.shape[-2:]), pixel_nm, acid0.device)
    d_a = model.acid_diffusion_nm ** 2 / (2 * model.peb_time_s)
    d_q = model.quencher_diffusion_nm ** 2 / (2 * model.peb_time_s)
    half_a = torch.exp(-d_a * k2 * dt / 2)
    half_q = torch.exp(-d_q * k2 * dt / 2)

    def diffuse(x: torch.Tensor, factor: torch.Tensor) -> torch.Tensor:
        return ifft2(fft2(x) * factor).real.clamp_min(0.0)

    a = acid0.clone()
    q = torch.full_like(acid0, model.quencher)
    m = torch.ones_like(acid0)
    for _ in range(steps):
        a, q = diffuse(a, half_a), diffuse(q, half_q)
        a, q, m = react_step(a, q, m, model, dt)
        a, q = diffuse(a, half_a), diffuse(q, half_q)
    return a, q, m


def react_step(a: torch.Tensor, q: torch.Tensor, m: torch.Tensor, model: ChemResist,
               dt: float) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """One reaction step of length ``dt``: acid-quencher neutralisation in closed form
    (``A - Q`` is conserved) and deprotection by the step's mean acid (trapezoid)."""
    k = model.k_neutral_per_s
    a_start = a
    d = a - q
    small = d.abs() < 1e-6
    safe_d = torch.where(small, torch.ones_like(d), d)
    e = torch.exp(-k * safe_d * dt)
    a_gen = d * a / (a - (a - d) * e).clamp_min(1e-30)
    a_eq = a / (1 + k * a * dt)
    a = torch.where(small, a_eq, a_gen).clamp_min(0.0)
    q = (a - d).clamp_min(0.0)
    m = m * torch.exp(-model.k_amp_per_s * 0.5 * (a_start + a) * dt)
    return a, q, m


def mack_rate(protected: torch.Tensor, model: ChemResist) -> torch.Tensor:
    """Development rate (nm/s) of Mack's model as a function of the protected fraction."""
    n, mth = model.mack_n, model.mack_m_th
    a = (n + 1) / (n - 1) * (1 - mth) ** n
    x = (1 - protected.clamp(0, 1)) ** n
    return model.r_max_nm_s * (a + 1) * x / (a + x) + model.r_min_nm_s


def chem_resist(aerial, model: ChemResist, pixel_nm: float, *, dose: float = 1.0) -> torch.Tensor:
    """Resist image of the lumped chemical model: normalised development depth (clears where ``>= 1``)."""
    aerial = _as_tensor(aerial)
    acid0 = exposure(aerial, model, dose)
    _, _, protected = peb(acid0, model, pixel_nm)
    return mack_rate(protected, model) * model.dev_time_s / model.thickness_nm


def resist_image(aerial, model: ThresholdResist | ChemResist, pixel_nm: float, *, dose: float = 1.0) -> torch.Tensor:
    """Dispatch to the model's image; contours are taken at ``model.level``.

    For the threshold model the dose has already scaled the aerial image (``I ~ dose^2``);
    the chemical model takes ``dose`` here and expects an aerial image at dose 1.
    """
    if isinstance(model, ThresholdResist):
        return threshold_resist(aerial, model, pixel_nm)
    return chem_resist(aerial, model, pixel_nm, dose=dose)
