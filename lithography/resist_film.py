"""Depth-resolved resist: 3-D reaction-diffusion PEB and a development front through the film.

This is the ground truth of ``litho generate`` (``--resist film``, the default). It is a
*3-D reaction-diffusion + development-front resist model, not calibrated to a real
resist*: every parameter sits in a published range for ArF chemically amplified resists,
none is fitted to measurements. Compared with the lumped model of :mod:`resist` (one
aerial image, 2-D PEB, development depth ``r(M) t_dev / T``), it adds what makes a real
resist's printed contact depend on its neighbourhood in three dimensions:

1. **Image in the film.** The film (thickness ``T``, index ``n``) is cut into ``layers``
   slices. The aerial image at depth ``z`` is the scalar Hopkins image at defocus
   ``z - focus_depth_nm`` *in the resist* (the pupil's defocus phase in a medium of index
   ``n``, :func:`hopkins.pupil`), computed exactly at ``focal_planes`` depths and linearly
   interpolated between them. It is multiplied by the absorption / standing-wave factor of
   a film on a reflecting substrate (amplitude reflectance ``rho``, absorption ``alpha``)::

       S(z) = e^{-alpha z} + rho^2 e^{-alpha (2T - z)} + 2 rho e^{-alpha T} cos(4 pi n (T - z) / lambda)

   (normal incidence; the top interface's transmission is folded into the dose).
2. **Exposure** (Dill C): ``A0 = 1 - exp(-C E I(x, y, z))``.
3. **PEB in 3-D**: acid and quencher diffuse (lengths ``L_A``, ``L_Q`` of the preset's
   ``chem`` section) laterally *and* through the film (no-flux top and bottom), neutralise
   (``k_q``) and the acid catalyses deprotection (``k_amp``); Strang splitting with the
   same closed-form reaction step as the lumped model; lateral diffusion exact in Fourier
   space, vertical diffusion the exact exponential of the Neumann finite-difference
   Laplacian.
4. **Development**: Mack's rate ``r(M(x, y, z))`` (chem section), and a development front
   started at the top surface and propagated through the film: the arrival time ``t(x)``
   solves the eikonal equation ``|grad t| = 1 / r`` (Godunov upwind scheme, Jacobi sweeps
   on the periodic lateral grid), so fronts bend round, undercut and slow down in
   under-exposed resist as a real development front does.
5. **Resist image**: ``t_dev / t(x, y, z_cd)`` at the CD depth (``cd_depth`` x thickness;
   1.0 = bottom of the film, where a contact must open); the contact is open where it is
   ``>= 1`` -- the same level as the lumped model, so datasets, contours and the learned
   models read both alike.

The model works from the *mask* (it needs the image at several depths), not from one
aerial image; it runs on CPU or GPU (torch).
"""
from __future__ import annotations

import functools
import math
from dataclasses import dataclass, fields, replace

import numpy as np
import torch

from chipsmith.errors import LithoError
from chipsmith.lithography.resist import ChemResist, _freq2, mack_rate, react_step
from chipsmith.lithography.spectral import fft2, ifft2


@dataclass(frozen=True)
class FilmResist:
    """The film's own parameters (the chemistry comes from the preset's ``chem`` section).

    ``dose_mj_cm2``: dose to size for this model; ``layers``: slices through the film;
    ``refractive_index``/``absorption_per_um``/``substrate_reflectance``: the film optics
    (``rho`` may be negative: a reflection phase of pi); ``focus_depth_nm``: depth of best
    focus below the top surface; ``focal_planes``: exact Hopkins images through the film
    (linear interpolation between); ``cd_depth``: where CD is taken, fraction of the
    thickness (1 = bottom); ``dev_sweeps``: eikonal sweeps (0 = enough for the front to
    cross the film and two contact widths sideways).
    """

    dose_mj_cm2: float = 40.0
    layers: int = 8
    refractive_index: float = 1.70
    absorption_per_um: float = 1.2
    substrate_reflectance: float = 0.10
    focus_depth_nm: float = 50.0
    focal_planes: int = 3
    cd_depth: float = 1.0
    dev_sweeps: int = 0

    def __post_init__(self) -> None:
        for name in ("dose_mj_cm2", "refractive_index"):
            v = getattr(self, name)
            if not (math.isfinite(v) and v > 0):
                raise LithoError(f"film parameter {name} must be > 0, got {v}", fix=f"fix film.{name} in the preset")
        if not (isinstance(self.layers, int) and 2 <= self.layers <= 64):
            raise LithoError(f"film layers must be an integer in 2..64, got {self.layers}", fix="set film.layers")
        if not (isinstance(self.focal_planes, int) and 1 <= self.focal_planes <= self.layers):
            raise LithoError(f"film focal_planes must be in 1..layers, got {self.focal_planes}",
                             fix="set film.focal_planes (e.g. 3)")
        if not (math.isfinite(self.absorption_per_um) and self.absorption_per_um >= 0):
            raise LithoError(f"absorption must be >= 0 /um, got {self.absorption_per_um}", fix="set film.absorption_per_um")
        if not abs(self.substrate_reflectance) < 1:
            raise LithoError(f"substrate reflectance must be in (-1, 1), got {self.substrate_reflectance}",
                             fix="set film.substrate_reflectance (amplitude, e.g. 0.1 with a BARC)")
        if not 0 <= self.cd_depth <= 1:
            raise LithoError(f"cd_depth must be in [0, 1], got {self.cd_depth}", fix="set film.cd_depth (1 = bottom)")
        if self.dev_sweeps < 0:
            raise LithoError(f"dev_sweeps must be >= 0, got {self.dev_sweeps}", fix="set film.dev_sweeps (0 = auto)")

    @property
    def level(self) -> float:
        """Contour level of :func:`film_resist`'s image (development time / front arrival time)."""
        return 1.0


def layer_depths(film: FilmResist, chem: ChemResist) -> np.ndarray:
    """Depths (nm below the top surface) of the layer centres."""
    dz = chem.thickness_nm / film.layers
    return (np.arange(film.layers) + 0.5) * dz


def standing_wave(film: FilmResist, chem: ChemResist, wavelength_nm: float) -> np.ndarray:
    """Relative intensity ``S(z)`` at the layer centres (1 = top of a non-absorbing, non-reflecting film)."""
    z = layer_depths(film, chem)
    t = chem.thickness_nm
    alpha = film.absorption_per_um * 1e-3
    rho = film.substrate_reflectance
    return (np.exp(-alpha * z) + rho ** 2 * np.exp(-alpha * (2 * t - z))
            + 2 * rho * np.exp(-alpha * t) * np.cos(4 * math.pi * film.refractive_index * (t - z) / wavelength_nm))


def plane_depths(film: FilmResist, chem: ChemResist) -> np.ndarray:
    """Depths of the exactly imaged focal planes: spread over the layer centres, ends included."""
    z = layer_depths(film, chem)
    if film.focal_planes == 1:
        return np.array([film.focus_depth_nm])
    return np.linspace(z[0], z[-1], film.focal_planes)


def interp_weights(film: FilmResist, chem: ChemResist) -> np.ndarray:
    """``(layers, planes)`` linear-interpolation weights from the focal planes to the layers."""
    z, p = layer_depths(film, chem), plane_depths(film, chem)
    w = np.zeros((len(z), len(p)))
    if len(p) == 1:
        w[:, 0] = 1.0
        return w
    for i, zi in enumerate(z):
        j = int(np.clip(np.searchsorted(p, zi) - 1, 0, len(p) - 2))
        f = float(np.clip((zi - p[j]) / (p[j + 1] - p[j]), 0, 1))
        w[i, j], w[i, j + 1] = 1 - f, f
    return w


def film_kernels(preset, period_nm: float | None = None) -> list:
    """SOCS kernels of each focal plane (defocus in the resist, index ``n``), cached."""
    film, chem = preset.film, preset.chem
    period = float(period_nm or preset.clip_nm)
    return [_plane_kernels(preset.optics, film.refractive_index, float(preset.optics.defocus_nm + d - film.focus_depth_nm),
                           period, preset.energy, preset.max_kernels) for d in plane_depths(film, chem)]


@functools.lru_cache(maxsize=64)
def _plane_kernels(optics, n_resist: float, defocus_nm: float, period_nm: float, energy: float, max_kernels: int):
    from chipsmith.lithography.hopkins import socs_kernels

    # The pupil's defocus phase in a medium of the resist's index: the image inside the film.
    inside = replace(optics, immersion_index=max(n_resist, optics.na * 1.0001), defocus_nm=defocus_nm)
    return socs_kernels(inside, period_nm, energy=energy, max_kernels=max_kernels)


def film_intensity(masks, preset, *, device: str | torch.device | None = None, kernels: list | None = None) -> torch.Tensor:
    """``(B, Z, H, W)`` intensity in the film (aerial image at each depth times ``S(z)``)."""
    from chipsmith.lithography.aerial import aerial_image

    ks = kernels if kernels is not None else film_kernels(preset)
    planes = [aerial_image(masks, k, preset.pixel_nm, device=device) for k in ks]
    stack = torch.stack(planes, dim=-3)  # (..., P, H, W)
    if stack.dim() == 3:
        stack = stack[None]
    w = torch.as_tensor(interp_weights(preset.film, preset.chem), dtype=stack.dtype, device=stack.device)
    s = torch.as_tensor(standing_wave(preset.film, preset.chem, preset.optics.wavelength_nm), dtype=stack.dtype,
                        device=stack.device)
    return torch.einsum("zp,bphw->bzhw", w, stack) * s[None, :, None, None]


@functools.lru_cache(maxsize=32)
def _z_diffusion(layers: int, dz: float, d_dt_half: float) -> np.ndarray:
    """Exact ``exp(D dt/2 L)`` of the no-flux (Neumann) finite-difference Laplacian in z."""
    lap = np.zeros((layers, layers))
    for i in range(layers):
        if i > 0:
            lap[i, i - 1] = 1.0
            lap[i, i] -= 1.0
        if i < layers - 1:
            lap[i, i + 1] = 1.0
            lap[i, i] -= 1.0
    vals, vecs = np.linalg.eigh(lap / dz ** 2)
    return (vecs * np.exp(d_dt_half * vals)) @ vecs.T


def peb3d(acid0: torch.Tensor, chem: ChemResist, pixel_nm: float, dz_nm: float) -> torch.Tensor:
    """3-D post-exposure bake of ``(B, Z, H, W)`` initial acid; returns the protected fraction ``M``."""
    steps = int(chem.peb_steps)
    dt = chem.peb_time_s / steps
    k2 = _freq2(tuple(acid0.shape[-2:]), pixel_nm, acid0.device)
    d_a = chem.acid_diffusion_nm ** 2 / (2 * chem.peb_time_s)
    d_q = chem.quencher_diffusion_nm ** 2 / (2 * chem.peb_time_s)
    layers = acid0.shape[-3]
    ops = []
    for d in (d_a, d_q):
        xy = torch.exp(-d * k2 * dt / 2)
        z = torch.as_tensor(_z_diffusion(layers, float(dz_nm), float(d * dt / 2)), dtype=acid0.dtype,
                            device=acid0.device)
        ops.append((xy, z))

    def diffuse(x: torch.Tensor, op) -> torch.Tensor:
        xy, z = op
        x = ifft2(fft2(x) * xy).real
        return torch.einsum("zk,bkhw->bzhw", z, x).clamp_min(0.0)

    a = acid0.clone()
    q = torch.full_like(acid0, chem.quencher)
    m = torch.ones_like(acid0)
    for _ in range(steps):
        a, q = diffuse(a, ops[0]), diffuse(q, ops[1])
        a, q, m = react_step(a, q, m, chem, dt)
        a, q = diffuse(a, ops[0]), diffuse(q, ops[1])
    return m


_BIG = 1.0e6  # "not reached" arrival time (s); finite so the upwind algebra never meets inf - inf


def _solve_eikonal_update(a: torch.Tensor, h: torch.Tensor, f: torch.Tensor) -> torch.Tensor:
    """Godunov upwind update: the ``t`` with ``sum_i ((t - a_i)^+ / h_i)^2 = f^2``.

    ``a``: (3, ...) smallest neighbour time per axis; ``h``: (3,) spacings; ``f``: slowness."""
    a_sorted, order = torch.sort(a, dim=0)
    hs = h[order]
    inv = 1.0 / hs ** 2
    a1, a2, a3 = a_sorted[0], a_sorted[1], a_sorted[2]
    i1, i2, i3 = inv[0], inv[1], inv[2]
    f2 = f * f
    t1 = a1 + f / inv[0].sqrt()
    # Two axes.
    qa = i1 + i2
    qb = a1 * i1 + a2 * i2
    qc = a1 * a1 * i1 + a2 * a2 * i2 - f2
    t2 = (qb + (qb * qb - qa * qc).clamp_min(0.0).sqrt()) / qa
    # Three axes.
    ra = qa + i3
    rb = qb + a3 * i3
    rc = qc + a3 * a3 * i3
    t3 = (rb + (rb * rb - ra * rc).clamp_min(0.0).sqrt()) / ra
    return torch.where(t1 <= a2, t1, torch.where(t2 <= a3, t2, t3))


def develop(rate: torch.Tensor, pixel_nm: float, dz_nm: float, sweeps: int) -> torch.Tensor:
    """Front arrival time (s) in ``(B, Z, H, W)`` resist of development rate ``rate`` (nm/s).

    The front starts at the top surface (a ghost plane above layer 0 that puts layer 0's
    centre at ``dz/2 / r``); the lateral grid is periodic like the imaging, the bottom a
    wall. Jacobi sweeps of the upwind update; every sweep moves information one voxel, so
    ``sweeps`` bounds how far (in voxels) a path may run."""
    f = 1.0 / rate
    t = torch.full_like(rate, _BIG)
    h = torch.tensor([dz_nm, pixel_nm, pixel_nm], dtype=rate.dtype, device=rate.device)
    top = -0.5 * dz_nm * f[:, :1]
    bottom = torch.full_like(top, _BIG)
    for _ in range(sweeps):
        padded = torch.cat([top, t, bottom], dim=1)
        az = torch.minimum(padded[:, :-2], padded[:, 2:])
        ay = torch.minimum(torch.roll(t, 1, dims=-2), torch.roll(t, -1, dims=-2))
        ax = torch.minimum(torch.roll(t, 1, dims=-1), torch.roll(t, -1, dims=-1))
        t = torch.minimum(t, _solve_eikonal_update(torch.stack([az, ay, ax]), h, f))
    return t


def auto_sweeps(film: FilmResist, contact_nm: float, pixel_nm: float) -> int:
    """Enough sweeps for a front to cross the film and run two contact widths sideways."""
    return film.dev_sweeps or int(film.layers + math.ceil(2 * contact_nm / pixel_nm) + 4)


def film_resist(masks, preset, *, device: str | torch.device | None = None, kernels: list | None = None,
                dose: float = 1.0, return_arrival: bool = False):
    """Resist image ``t_dev / t_arrival`` at the CD depth for ``(H, W)``/``(B, H, W)`` masks (opens ``>= 1``).

    ``preset``: a :class:`~chipsmith.lithography.presets.ProcessPreset` (its ``film``,
    ``chem`` and optics); ``kernels``: :func:`film_kernels` computed once by the caller."""
    from chipsmith.lithography.resist import _check_dose

    _check_dose(dose)
    film, chem = preset.film, preset.chem
    squeeze = (masks.dim() if isinstance(masks, torch.Tensor) else np.ndim(masks)) == 2
    intensity = film_intensity(masks, preset, device=device, kernels=kernels)
    acid0 = 1.0 - torch.exp(-chem.dill_c_cm2_mj * film.dose_mj_cm2 * dose * intensity)
    dz = chem.thickness_nm / film.layers
    protected = peb3d(acid0, chem, preset.pixel_nm, dz)
    rate = mack_rate(protected, chem)
    arrival = develop(rate, preset.pixel_nm, dz, auto_sweeps(film, preset.contact_nm, preset.pixel_nm))
    # Arrival time at the CD depth, linear between layer centres.
    pos = float(np.clip(film.cd_depth * film.layers - 0.5, 0, film.layers - 1))
    j = min(int(pos), film.layers - 2)
    frac = pos - j
    t_cd = (1 - frac) * arrival[:, j] + frac * arrival[:, j + 1]
    image = (chem.dev_time_s / t_cd).clamp(0.0, 100.0)
    if squeeze:
        image, arrival = image[0], arrival[0]
    return (image, arrival) if return_arrival else image


def calibrate_dose(preset, *, target_nm: float | None = None, device: str | None = None, iters: int = 18) -> float:
    """Dose (mJ/cm^2) at which an isolated contact prints at ``target_nm`` (default: drawn size).

    Bisection on log dose; used to set each preset's ``film.dose_mj_cm2`` "to size"."""
    from chipsmith.lithography.contours import measure_contacts
    from chipsmith.lithography.layout_io import rasterize, rect

    target = float(target_nm or preset.contact_nm)
    c, mid = preset.contact_nm, preset.clip_nm / 2
    box = rect(mid - c / 2, mid - c / 2, mid + c / 2, mid + c / 2)
    win = (0.0, 0.0, preset.clip_nm, preset.clip_nm)
    mask = rasterize([box], win, preset.pixel_nm)
    ks = film_kernels(preset)

    def cd(dose_mj: float) -> float:
        p = replace(preset, film=replace(preset.film, dose_mj_cm2=dose_mj))
        img = film_resist(mask, p, device=device, kernels=ks).cpu().numpy()
        m = measure_contacts(img, 1.0, [box], win, preset.pixel_nm)[0]
        return float(m.cd_x) if m.printed and math.isfinite(m.cd_x) else 0.0

    lo, hi = math.log(5.0), math.log(400.0)
    for _ in range(iters):
        x = 0.5 * (lo + hi)
        if cd(math.exp(x)) < target:
            lo = x
        else:
            hi = x
    return float(math.exp(0.5 * (lo + hi)))


def film_fields() -> list[str]:
    return [f.name for f in fields(FilmResist)]
