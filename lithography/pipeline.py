"""One call from a layout to printed contours: mask → aerial → resist → contours + CD/EPE.

:func:`plan` decides the simulation grid (window, pixel, kernels, resist model) from a
preset or the ICCAD13 kernels, :func:`simulate` runs it. The CLI verb ``litho simulate``
is a thin shell around these two.

Dose convention: the threshold model follows ICCAD13 (the mask amplitude is multiplied
by the dose, so intensity scales with dose^2); the chemical and film models apply the
dose to the exposure energy ``E`` (linear), with the aerial image taken at dose 1. The
film model (``resist='film'``, :mod:`resist_film`) images its own focal planes from the
mask; ``aerial`` is then the nominal-focus image, for display.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from chipsmith.errors import LithoError
from chipsmith.lithography import aerial as aerial_mod
from chipsmith.lithography import contours as contours_mod
from chipsmith.lithography.kernels import ICCAD13_THRESHOLD, SocsKernels, resolve_kernels
from chipsmith.lithography.layout_io import Layout, Window, rasterize
from chipsmith.lithography.presets import ProcessPreset
from chipsmith.lithography.resist import ChemResist, ThresholdResist, resist_image
from chipsmith.lithography.resist_film import FilmResist

# Hopkins kernels are computed per window; their cost grows with the window area, so one
# simulation covers at most this many preset clips per side (use --window to pick a part).
MAX_WINDOW_CLIPS = 4


@dataclass(frozen=True)
class SimPlan:
    """Everything fixed before imaging: grid, kernels, resist model and dose."""

    window: Window
    pixel_nm: float
    kernels: SocsKernels
    resist: ThresholdResist | ChemResist | FilmResist
    dose: float
    contact_max_nm: float
    # The preset whose parameters this plan uses: None when SOCS kernels replace the preset's
    # optics and the threshold resist is used (nothing of the preset is left then).
    preset: str | None
    resist_name: str = "threshold"
    # The film model needs the whole preset (optics, chemistry, film) at this window and pixel.
    film_preset: ProcessPreset | None = None

    @property
    def grid(self) -> int:
        return int(round((self.window[2] - self.window[0]) / self.pixel_nm))


@dataclass(frozen=True, eq=False)
class SimResult:
    plan: SimPlan
    mask: np.ndarray
    aerial: np.ndarray
    resist: np.ndarray
    regions: list = field(default_factory=list)
    contacts: list = field(default_factory=list)
    epe: np.ndarray = field(default_factory=lambda: np.zeros(0))

    @property
    def level(self) -> float:
        return self.plan.resist.level

    def printed_area_nm2(self) -> float:
        return float((self.resist >= self.level).sum() * self.plan.pixel_nm ** 2)


def _check_dose(dose: float) -> None:
    if not (math.isfinite(dose) and dose > 0):
        raise LithoError(f"dose must be > 0, got {dose}", fix="pass --dose with a positive relative dose (1.0 nominal)")


def _fit_window(layout: Layout, side: float, window: Window | None) -> Window:
    if window is not None:
        x0, y0, x1, y1 = window
        if abs((x1 - x0) - side) > 1e-6 or abs((y1 - y0) - side) > 1e-6:
            raise LithoError(f"window {window} must be a {side:g} nm square for these kernels",
                             fix=f"pass --window x0,y0,x0+{side:g},y0+{side:g}")
        return window
    bx0, by0, bx1, by1 = layout.bbox
    if bx1 - bx0 > side or by1 - by0 > side:
        raise LithoError(f"layout spans {bx1 - bx0:g} x {by1 - by0:g} nm, more than the {side:g} nm simulation window",
                         where=layout.source, fix="pass --window to simulate one part of it")
    if bx0 >= 0 and by0 >= 0 and bx1 <= side / 2 and by1 <= side / 2:
        # The ICCAD13 convention: a 1024 nm clip at the centre of a 2048 nm canvas.
        return (-side / 4, -side / 4, 3 * side / 4, 3 * side / 4)
    cx, cy = (bx0 + bx1) / 2, (by0 + by1) / 2
    return (math.floor(cx - side / 2), math.floor(cy - side / 2), math.floor(cx - side / 2) + side,
            math.floor(cy - side / 2) + side)


def plan(layout: Layout, preset: ProcessPreset, *, kernels: str | None = None, kernel_offset: int = 24,
         resist: str = "threshold", pixel_nm: float | None = None, window: Window | None = None,
         dose: float = 1.0, threshold: float | None = None) -> SimPlan:
    """Choose grid, kernels and resist for ``layout``.

    ``kernels='iccad13[:focus|:defocus]'`` (or a kernel folder) uses those SOCS kernels on
    their 2048 nm window (pixel default 1 nm, threshold default 0.225); otherwise the
    preset's optics give Hopkins kernels for a square window around the layout (side a
    multiple of 64 pixels, at least the preset clip). ``resist`` is 'threshold', 'chem'
    (lumped) or 'film' (3-D reaction-diffusion + development front; preset optics only).
    """
    _check_dose(dose)
    if resist not in ("threshold", "chem", "film"):
        raise LithoError(f"unknown resist model {resist!r}", fix="use --resist threshold, chem or film")
    if resist == "film" and kernels is not None:
        raise LithoError("the film resist model images its own focal planes with the preset's optics",
                         fix="drop --kernels (or use --resist threshold/chem with SOCS kernel files)")
    if kernels is not None:
        ks = resolve_kernels(kernels, offset=kernel_offset)
        pixel = pixel_nm or 1.0
        side = ks.period_nm
        n = side / pixel
        if abs(n - round(n)) > 1e-9:
            raise LithoError(f"pixel {pixel} nm does not divide the {side:g} nm kernel window",
                             fix="use a pixel that divides 2048 (1, 2, 4, 8)")
        win = _fit_window(layout, side, window)
        thr = ThresholdResist(threshold if threshold is not None else ICCAD13_THRESHOLD, 0.0)
    else:
        pixel = pixel_nm or preset.pixel_nm
        if window is not None:
            x0, y0, x1, y1 = window
            side = max(x1 - x0, y1 - y0)
            if abs((x1 - x0) - (y1 - y0)) > 1e-6:
                raise LithoError(f"window {window} must be square", fix="pass a square --window")
            win = window
        else:
            bx0, by0, bx1, by1 = layout.bbox
            margin = 2 * preset.min_pitch_nm
            need = max(bx1 - bx0, by1 - by0) + 2 * margin
            block = 64 * pixel
            side = max(preset.clip_nm, math.ceil(need / block) * block)
            cx, cy = (bx0 + bx1) / 2, (by0 + by1) / 2
            sx, sy = math.floor((cx - side / 2) / pixel) * pixel, math.floor((cy - side / 2) / pixel) * pixel
            win = (sx, sy, sx + side, sy + side)
        if abs(side / pixel - round(side / pixel)) > 1e-9:
            raise LithoError(f"window side {side:g} nm is not a whole number of {pixel} nm pixels",
                             fix="adjust --window or --pixel")
        limit = MAX_WINDOW_CLIPS * preset.clip_nm
        if side > limit:
            bx0, by0, bx1, by1 = layout.bbox
            cx, cy = round((bx0 + bx1) / 2), round((by0 + by1) / 2)
            h = int(preset.clip_nm // 2)
            raise LithoError(f"simulation window of {side:g} nm exceeds the {limit:g} nm limit of preset {preset.name}",
                             where=layout.source,
                             fix=f"pass --window to simulate a part, e.g. --window {cx - h},{cy - h},{cx + h},{cy + h}")
        if side / pixel > 8192:
            raise LithoError(f"grid of {side / pixel:.0f} pixels is too large", fix="use a coarser --pixel or a smaller --window")
        ks = preset.kernels(side)
        thr = preset.threshold if threshold is None else replace(preset.threshold, threshold=threshold)
    model = thr if resist == "threshold" else preset.film if resist == "film" else preset.chem
    uses_preset = kernels is None or resist == "chem"
    film_preset = None
    if resist == "film":
        film_preset = replace(preset, pixel_nm=float(pixel), clip_nm=float(win[2] - win[0]))
    return SimPlan(win, float(pixel), ks, model, float(dose), 3 * preset.contact_nm,
                   preset.name if uses_preset else None, resist, film_preset)


def simulate(layout: Layout, sim: SimPlan, *, device: str | None = None, measure: bool = True) -> SimResult:
    """Rasterize, image, develop, contour and measure one layout."""
    mask = rasterize(layout.polygons, sim.window, sim.pixel_nm)
    if mask.max() <= 0:
        raise LithoError("layout is empty inside the simulation window", where=layout.source,
                         fix="pass a --window that overlaps the shapes")
    chem = not isinstance(sim.resist, ThresholdResist)
    aer = aerial_mod.aerial_image(mask, sim.kernels, sim.pixel_nm, dose=1.0 if chem else sim.dose, device=device)
    if sim.film_preset is not None:
        from chipsmith.lithography.resist_film import film_resist

        res = film_resist(mask, sim.film_preset, device=device, dose=sim.dose).cpu().numpy()
    else:
        res = resist_image(aer, sim.resist, sim.pixel_nm, dose=sim.dose).cpu().numpy()
    aer_np = aer.cpu().numpy()
    if not measure:
        return SimResult(sim, mask, aer_np, res)
    level = sim.resist.level
    regions = contours_mod.extract_contours(res, level, sim.window, sim.pixel_nm)
    contacts = [p for p in layout.polygons if contours_mod.is_rectangle(p)
                and max(np.ptp(p[:, 0]), np.ptp(p[:, 1])) <= sim.contact_max_nm]
    measures = contours_mod.measure_contacts(res, level, contacts, sim.window, sim.pixel_nm)
    epe = contours_mod.edge_epe(res, level, layout.polygons, sim.window, sim.pixel_nm, min_edge_nm=2 * sim.pixel_nm)
    return SimResult(sim, mask, aer_np, res, regions, measures, epe)


def save_png(path: Path | str, image: np.ndarray, *, vmin: float | None = None, vmax: float | None = None) -> None:
    """8-bit grayscale PNG, +y up (row 0 of the array at the bottom)."""
    from PIL import Image

    img = np.asarray(image, dtype=np.float64)
    lo = float(img.min()) if vmin is None else vmin
    hi = float(img.max()) if vmax is None else vmax
    scaled = np.clip((img - lo) / (hi - lo if hi > lo else 1.0), 0, 1)
    Image.fromarray((np.flipud(scaled) * 255).round().astype(np.uint8), mode="L").save(str(path))
