"""Contours out: marching squares on a resist image → polygons in nm → GDS; CD and EPE.

Contours come from contourpy's marching squares (the filled region ``image >= level``,
with holes), pixel centres at ``x0 + (c + 1/2) p``. Measurements sample the image
bilinearly along lines, so they resolve edges to a fraction of a pixel:

* EPE (edge placement error) at the midpoint of every drawn edge: the signed distance
  along the outward normal from the drawn edge to the nearest ``level`` crossing
  (positive = printed outside the drawn shape).
* per contact (rectangles): CD in x and y through the contact centre, the four edge
  EPEs, whether it printed, and its printed area (connected component).
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from chipsmith.errors import LithoError
from chipsmith.lithography.layout_io import Window, signed_area


def _grid_coords(shape: tuple[int, int], window: Window, pixel_nm: float) -> tuple[np.ndarray, np.ndarray]:
    x0, y0 = window[0], window[1]
    return x0 + (np.arange(shape[1]) + 0.5) * pixel_nm, y0 + (np.arange(shape[0]) + 0.5) * pixel_nm


def extract_contours(image: np.ndarray, level: float, window: Window, pixel_nm: float) -> list[list[np.ndarray]]:
    """Regions where ``image >= level`` as ``[outer, hole, hole, ...]`` lists of ``(k, 2)`` nm arrays."""
    import contourpy

    image = np.asarray(image, dtype=np.float64)
    if image.ndim != 2:
        raise LithoError(f"contours need a 2-D image, got {image.shape}", fix="pass one image, not a batch")
    xs, ys = _grid_coords(image.shape, window, pixel_nm)
    if image.max() < level:
        return []
    gen = contourpy.contour_generator(xs, ys, image, fill_type=contourpy.FillType.OuterOffset)
    points, offsets = gen.filled(level, np.inf)
    regions = []
    for pts, offs in zip(points, offsets):
        rings = [pts[offs[i]:offs[i + 1]] for i in range(len(offs) - 1)]
        rings = [r[:-1] if len(r) > 1 and np.allclose(r[0], r[-1]) else r for r in rings]
        rings = [r for r in rings if len(r) >= 3]
        if rings:
            regions.append(rings)
    return regions


def regions_to_polygons(regions: Sequence[Sequence[np.ndarray]]):
    """gdstk polygons (holes subtracted) of :func:`extract_contours` output."""
    import gdstk

    out = []
    for rings in regions:
        outer = gdstk.Polygon(rings[0])
        if len(rings) > 1:
            out.extend(gdstk.boolean(outer, [gdstk.Polygon(r) for r in rings[1:]], "not", precision=1e-3))
        else:
            out.append(outer)
    return out


def contour_area(regions: Sequence[Sequence[np.ndarray]]) -> float:
    """Area (nm^2) enclosed by the contours, holes subtracted."""
    return float(sum(p.area() for p in regions_to_polygons(regions)))


def write_gds(path: Path | str, regions: Sequence[Sequence[np.ndarray]], *, drawn: Sequence[np.ndarray] = (),
              layer: int = 1, drawn_layer: int = 0, cell: str = "LITHO") -> int:
    """Write contours (``layer``/0) and optionally the drawn shapes (``drawn_layer``/0) to GDS.

    Database unit 0.1 nm, user unit 1 nm (coordinates stay in nm). Returns the number of
    contour polygons written.
    """
    import gdstk

    lib = gdstk.Library(unit=1e-9, precision=1e-10)
    top = lib.new_cell(cell)
    polys = regions_to_polygons(regions)
    for p in polys:
        p.layer, p.datatype = layer, 0
        top.add(p)
    for d in drawn:
        top.add(gdstk.Polygon(np.asarray(d), layer=drawn_layer))
    lib.write_gds(str(path))
    return len(polys)


def sample(image: np.ndarray, x: np.ndarray, y: np.ndarray, window: Window, pixel_nm: float) -> np.ndarray:
    """Bilinear samples of ``image`` at nm positions (clamped to the grid)."""
    from scipy.ndimage import map_coordinates

    col = (np.asarray(x) - window[0]) / pixel_nm - 0.5
    row = (np.asarray(y) - window[1]) / pixel_nm - 0.5
    return map_coordinates(np.asarray(image, dtype=np.float64), [row.ravel(), col.ravel()], order=1,
                           mode="nearest").reshape(np.shape(x))


def _crossing(values: np.ndarray, t: np.ndarray, level: float) -> float:
    """Signed position of the ``level`` crossing nearest to ``t = 0`` (nan if none)."""
    d = values - level
    idx = np.nonzero(np.signbit(d[:-1]) != np.signbit(d[1:]))[0]
    if len(idx) == 0:
        return float("nan")
    pos = t[idx] + (t[idx + 1] - t[idx]) * d[idx] / (d[idx] - d[idx + 1])
    return float(pos[np.argmin(np.abs(pos))])


def edge_epe(image: np.ndarray, level: float, polygons: Sequence[np.ndarray], window: Window, pixel_nm: float,
             *, search_nm: float | None = None, min_edge_nm: float = 0.0) -> np.ndarray:
    """EPE (nm) at the midpoint of every drawn edge longer than ``min_edge_nm``; nan where unresolved."""
    search = search_nm if search_nm is not None else 12 * pixel_nm
    step = pixel_nm / 4
    t = np.arange(-search, search + step / 2, step)
    epes = []
    for p in polygons:
        p = np.asarray(p, dtype=np.float64)
        if signed_area(p) < 0:
            p = p[::-1]
        q = np.roll(p, -1, axis=0)
        for a, b in zip(p, q):
            d = b - a
            length = float(np.hypot(*d))
            if length <= min_edge_nm or length == 0:
                continue
            normal = np.array([d[1], -d[0]]) / length
            mid = (a + b) / 2
            vals = sample(image, mid[0] + t * normal[0], mid[1] + t * normal[1], window, pixel_nm)
            # Inside the shape (t<0) should print; the crossing is where it stops.
            epes.append(_crossing(vals, t, level))
    return np.asarray(epes, dtype=np.float64)


@dataclass(frozen=True)
class ContactMeasure:
    """Printed size of one drawn contact (nm; EPEs positive outward; nan where unresolved)."""

    x: float
    y: float
    w: float
    h: float
    printed: bool
    cd_x: float
    cd_y: float
    epe_left: float
    epe_right: float
    epe_bottom: float
    epe_top: float
    area_nm2: float


def is_rectangle(p: np.ndarray) -> bool:
    p = np.asarray(p)
    if len(p) != 4:
        return False
    xs, ys = np.unique(np.round(p[:, 0], 6)), np.unique(np.round(p[:, 1], 6))
    return len(xs) == 2 and len(ys) == 2


def measure_contacts(image: np.ndarray, level: float, contacts: Sequence[np.ndarray], window: Window,
                     pixel_nm: float, *, search_nm: float | None = None) -> list[ContactMeasure]:
    """CD/EPE of each rectangular drawn contact against the printed ``image >= level``."""
    from scipy.ndimage import label

    image = np.asarray(image, dtype=np.float64)
    labels, _ = label(image >= level)
    counts = np.bincount(labels.ravel())
    out = []
    step = pixel_nm / 4
    for p in contacts:
        p = np.asarray(p, dtype=np.float64)
        x0, x1, y0, y1 = p[:, 0].min(), p[:, 0].max(), p[:, 1].min(), p[:, 1].max()
        cx, cy, w, h = (x0 + x1) / 2, (y0 + y1) / 2, x1 - x0, y1 - y0
        reach = search_nm if search_nm is not None else max(w, h)
        col = int(np.clip((cx - window[0]) // pixel_nm, 0, image.shape[1] - 1))
        row = int(np.clip((cy - window[1]) // pixel_nm, 0, image.shape[0] - 1))
        printed = bool(sample(image, np.array([cx]), np.array([cy]), window, pixel_nm)[0] >= level)
        if not printed:
            nan = float("nan")
            out.append(ContactMeasure(cx, cy, w, h, False, 0.0, 0.0, nan, nan, nan, nan, 0.0))
            continue
        t = np.arange(0.0, w / 2 + reach + step / 2, step)
        right = _first_drop(sample(image, cx + t, np.full_like(t, cy), window, pixel_nm), t, level)
        left = _first_drop(sample(image, cx - t, np.full_like(t, cy), window, pixel_nm), t, level)
        t = np.arange(0.0, h / 2 + reach + step / 2, step)
        top = _first_drop(sample(image, np.full_like(t, cx), cy + t, window, pixel_nm), t, level)
        bottom = _first_drop(sample(image, np.full_like(t, cx), cy - t, window, pixel_nm), t, level)
        lab = labels[row, col]
        area = float(counts[lab] * pixel_nm ** 2) if lab else 0.0
        out.append(ContactMeasure(cx, cy, w, h, True, left + right, bottom + top, left - w / 2, right - w / 2,
                                  bottom - h / 2, top - h / 2, area))
    return out


def _first_drop(vals: np.ndarray, t: np.ndarray, level: float) -> float:
    below = np.nonzero(vals < level)[0]
    if len(below) == 0:
        return float("nan")
    i = below[0]
    if i == 0:
        return 0.0
    return float(t[i - 1] + (t[i] - t[i - 1]) * (vals[i - 1] - level) / (vals[i - 1] - vals[i]))


def contact_stats(measures: Sequence[ContactMeasure]) -> dict:
    """Summary statistics (JSON-ready) over contacts."""
    n = len(measures)
    printed = [m for m in measures if m.printed]
    cds = np.array([[m.cd_x, m.cd_y] for m in printed]) if printed else np.zeros((0, 2))
    epes = np.array([[m.epe_left, m.epe_right, m.epe_bottom, m.epe_top] for m in printed]).ravel() if printed \
        else np.zeros(0)
    epes = epes[np.isfinite(epes)]
    cds = cds[np.all(np.isfinite(cds), axis=1)] if len(cds) else cds
    return {
        "contacts": n,
        "printed": len(printed),
        "missing": n - len(printed),
        "cd_x_mean_nm": float(cds[:, 0].mean()) if len(cds) else None,
        "cd_y_mean_nm": float(cds[:, 1].mean()) if len(cds) else None,
        "cd_std_nm": float(cds.std()) if len(cds) else None,
        "cd_min_nm": float(cds.min()) if len(cds) else None,
        "cd_max_nm": float(cds.max()) if len(cds) else None,
        "epe_mean_nm": float(epes.mean()) if len(epes) else None,
        "epe_rms_nm": float(np.sqrt((epes ** 2).mean())) if len(epes) else None,
        "epe_max_abs_nm": float(np.abs(epes).max()) if len(epes) else None,
    }


def epe_stats(epes: np.ndarray) -> dict:
    finite = epes[np.isfinite(epes)]
    return {
        "edges": int(len(epes)),
        "unresolved": int(len(epes) - len(finite)),
        "mean_nm": float(finite.mean()) if len(finite) else None,
        "rms_nm": float(np.sqrt((finite ** 2).mean())) if len(finite) else None,
        "max_abs_nm": float(np.abs(finite).max()) if len(finite) else None,
    }


def measures_to_rows(measures: Sequence[ContactMeasure]) -> list[dict]:
    return [asdict(m) for m in measures]
