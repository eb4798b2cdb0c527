"""Layouts in: `.glp` text, GDSII and OASIS (via gdstk), rasterized to anti-aliased masks.

A :class:`Layout` is a flat, immutable list of polygons in nanometres on one layer. The
rasterizer gives every pixel the exact fraction of its area covered by the layout
(Manhattan edges exactly; sloped edges by a staircase of ``sub`` steps per pixel), so a
mask keeps sub-pixel edge positions that an optical model can resolve.

Image convention used by the whole package: ``mask[row, col]`` with ``row`` along +y and
``col`` along +x; pixel ``(r, c)`` covers ``[x0 + c*p, x0 + (c+1)*p) x [y0 + r*p, ...)``
of the window ``(x0, y0, x1, y1)``. Mask value 1 means "transmits" (a contact opening).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from chipsmith.errors import LithoError

Window = tuple[float, float, float, float]


@dataclass(frozen=True, eq=False)
class Layout:
    """Polygons (each an ``(k, 2)`` float array of vertices in nm) on one layer."""

    polygons: tuple[np.ndarray, ...]
    layer: str = "0"
    source: str = "<memory>"
    available_layers: tuple[str, ...] = field(default_factory=tuple)

    def __len__(self) -> int:
        return len(self.polygons)

    @property
    def bbox(self) -> Window:
        """``(xmin, ymin, xmax, ymax)`` over all vertices; raises on an empty layout."""
        if not self.polygons:
            raise LithoError("layout has no polygons", where=self.source,
                             fix="check the layer and window, or pass a non-empty layout")
        pts = np.concatenate(self.polygons)
        return (float(pts[:, 0].min()), float(pts[:, 1].min()), float(pts[:, 0].max()), float(pts[:, 1].max()))

    @property
    def area(self) -> float:
        """Total drawn area in nm^2 (overlaps counted once)."""
        return float(sum(abs(signed_area(p)) for p in union(self.polygons)))

    def scaled(self, factor: float) -> "Layout":
        return Layout(tuple(p * factor for p in self.polygons), self.layer, self.source, self.available_layers)


def rect(x0: float, y0: float, x1: float, y1: float) -> np.ndarray:
    """A rectangle polygon, counter-clockwise."""
    return np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], dtype=np.float64)


# --------------------------------------------------------------------------- readers
_GLP_RECT = re.compile(r"^\s*RECT\s+\S+\s+(\S+)\s+(.*)$", re.IGNORECASE)
_GLP_PGON = re.compile(r"^\s*PGON\s+\S+\s+(\S+)\s+(.*)$", re.IGNORECASE)


def read_glp(path: Path | str, layer: str | None = None) -> Layout:
    """Parse a `.glp` file (ICCAD13 / LithoBench text format; 1 unit = 1 nm).

    Lines ``RECT N <layer> x y w h`` and ``PGON N <layer> x1 y1 x2 y2 ...``; everything
    else (BEGIN, EQUIV, CELL, ENDMSG) is header. ``layer`` keeps only that layer name;
    ``None`` keeps all shapes.
    """
    path = Path(path)
    try:
        lines = path.read_text(errors="replace").splitlines()
    except OSError as exc:
        raise LithoError(f"cannot read layout: {exc.strerror}", where=str(path), fix="pass an existing .glp file") from exc
    polys: list[np.ndarray] = []
    layers: set[str] = set()
    for lineno, line in enumerate(lines, 1):
        m_rect, m_pgon = _GLP_RECT.match(line), _GLP_PGON.match(line)
        if not (m_rect or m_pgon):
            continue
        m = m_rect or m_pgon
        name, rest = m.group(1), m.group(2)
        try:
            nums = [float(t) for t in rest.split()]
        except ValueError as exc:
            raise LithoError(f"non-numeric coordinate in {line.split()[0]}", where=f"{path}:{lineno}",
                             fix="coordinates must be integers in nm") from exc
        layers.add(name)
        if layer is not None and name != layer:
            continue
        if m_rect:
            if len(nums) != 4 or nums[2] <= 0 or nums[3] <= 0:
                raise LithoError("RECT needs x y w h with w, h > 0", where=f"{path}:{lineno}",
                                 fix="write RECT N <layer> x y w h")
            x, y, w, h = nums
            polys.append(rect(x, y, x + w, y + h))
        else:
            if len(nums) < 6 or len(nums) % 2:
                raise LithoError("PGON needs at least 3 x y pairs", where=f"{path}:{lineno}",
                                 fix="write PGON N <layer> x1 y1 x2 y2 x3 y3 ...")
            polys.append(np.asarray(nums, dtype=np.float64).reshape(-1, 2))
    if layer is not None and layer not in layers:
        raise LithoError(f"unknown layer {layer!r}", where=str(path),
                         fix=f"valid layers: {', '.join(sorted(layers)) or '(none: file has no shapes)'}")
    return Layout(tuple(polys), layer or ",".join(sorted(layers)) or "0", str(path), tuple(sorted(layers)))


def _parse_layer(spec: str | int | None) -> tuple[int, int] | None:
    if spec is None:
        return None
    text = str(spec)
    m = re.fullmatch(r"(\d+)(?:[/:](\d+))?", text.strip())
    if not m:
        raise LithoError(f"bad layer spec {text!r}", fix="write LAYER or LAYER/DATATYPE, e.g. 10 or 10/0")
    return int(m.group(1)), int(m.group(2) or 0)


def read_gds(path: Path | str, layer: str | int | None = None, cell: str | None = None,
             window: Window | None = None) -> Layout:
    """Read GDSII or OASIS (by suffix) with gdstk, flatten ``cell`` (default: the top cell)
    and keep ``layer`` ("L" or "L/D"), clipped to ``window`` (nm) when given.

    Database units are converted to nm. Asking for a layer that is not in the cell lists
    the layers that are.
    """
    import gdstk

    path = Path(path)
    if not path.exists():
        raise LithoError("layout file not found", where=str(path), fix="check the path")
    try:
        lib = gdstk.read_oas(str(path)) if path.suffix.lower() in (".oas", ".oasis") else gdstk.read_gds(str(path))
    except Exception as exc:  # gdstk raises plain errors on corrupt files
        raise LithoError(f"cannot read layout: {exc}", where=str(path), fix="pass a valid GDSII/OASIS file") from exc
    tops = lib.top_level()
    if cell is None:
        if not tops:
            raise LithoError("layout has no cells", where=str(path), fix="pass a non-empty GDS/OASIS")
        top = max(tops, key=lambda c: len(c.get_polygons()))
    else:
        match = [c for c in lib.cells if c.name == cell]
        if not match:
            raise LithoError(f"unknown cell {cell!r}", where=str(path),
                             fix=f"valid cells: {', '.join(sorted(c.name for c in lib.cells))}")
        top = match[0]
    to_nm = lib.unit / 1e-9
    all_polys = top.get_polygons()
    available = sorted({(p.layer, p.datatype) for p in all_polys})
    names = tuple(f"{l}/{d}" for l, d in available)
    want = _parse_layer(layer)
    if want is None:
        if len(available) > 1:
            raise LithoError("layout has several layers; choose one", where=str(path),
                             fix=f"pass --layer with one of: {', '.join(names)}")
        chosen = all_polys
        want = available[0] if available else (0, 0)
    else:
        if want not in available:
            raise LithoError(f"unknown layer {want[0]}/{want[1]}", where=str(path),
                             fix=f"valid layers: {', '.join(names) or '(none)'}")
        chosen = [p for p in all_polys if (p.layer, p.datatype) == want]
    pts = [np.asarray(p.points, dtype=np.float64) * to_nm for p in chosen]
    layout = Layout(tuple(pts), f"{want[0]}/{want[1]}", str(path), names)
    return clip_window(layout, window) if window is not None else layout


def read_layout(path: Path | str, layer: str | None = None, window: Window | None = None,
                cell: str | None = None) -> Layout:
    """Dispatch on suffix: `.glp` → :func:`read_glp`, `.gds`/`.oas` → :func:`read_gds`."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".glp":
        layout = read_glp(path, layer)
        layout = clip_window(layout, window) if window is not None else layout
    elif suffix in (".gds", ".gdsii", ".gds2", ".oas", ".oasis"):
        layout = read_gds(path, layer, cell, window)
    else:
        raise LithoError(f"unknown layout format {suffix or '(no suffix)'!r}", where=str(path),
                         fix="use .glp, .gds or .oas")
    if not layout.polygons:
        where = f"{path} window {window}" if window is not None else str(path)
        raise LithoError("layout is empty" + (" inside the window" if window is not None else ""), where=where,
                         fix="pass a window that overlaps the shapes, or another layer")
    return layout


def clip_window(layout: Layout, window: Window) -> Layout:
    """Keep only the parts of the polygons inside ``window`` (boolean AND with gdstk)."""
    import gdstk

    x0, y0, x1, y1 = window
    if not (x1 > x0 and y1 > y0):
        raise LithoError(f"empty window {window}", fix="window is x0,y0,x1,y1 with x1>x0 and y1>y0 (nm)")
    if not layout.polygons:
        return layout
    box = gdstk.rectangle((x0, y0), (x1, y1))
    res = gdstk.boolean([gdstk.Polygon(p) for p in layout.polygons], box, "and", precision=1e-3)
    return Layout(tuple(np.asarray(p.points, dtype=np.float64) for p in res), layout.layer, layout.source,
                  layout.available_layers)


# --------------------------------------------------------------------------- geometry helpers
def signed_area(p: np.ndarray) -> float:
    """Shoelace area, positive for counter-clockwise vertices."""
    x, y = p[:, 0], p[:, 1]
    return 0.5 * float(np.dot(x, np.roll(y, -1)) - np.dot(np.roll(x, -1), y))


def union(polygons: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Merge overlapping polygons (gdstk OR) so coverage is never counted twice."""
    import gdstk

    if not polygons:
        return []
    res = gdstk.boolean([gdstk.Polygon(p) for p in polygons], [], "or", precision=1e-3)
    return [np.asarray(p.points, dtype=np.float64) for p in res]


# --------------------------------------------------------------------------- rasterizer
def rasterize(polygons: Iterable[np.ndarray], window: Window, pixel_nm: float, *, sub: int = 16,
              merge: bool = True) -> np.ndarray:
    """Area-weighted rasterization: each pixel holds the covered fraction of its area.

    Works by the winding-number decomposition: a polygon's indicator is the sum over its
    non-horizontal edges of ``±1[x >= x_edge]`` over the edge's y-span. Each edge adds its
    exact y-overlap per row and fractional x-position to a derivative image, one cumulative
    sum along x integrates it. Vertical edges are exact; sloped edges are cut into ``sub``
    vertical steps per pixel row (error ≲ pixel/sub along the edge). ``merge`` unions
    overlapping polygons first so overlaps are not counted twice.

    Returns a float32 array of shape ``(ny, nx)`` with ``ny = round((y1-y0)/pixel_nm)``.
    """
    x0, y0, x1, y1 = window
    if pixel_nm <= 0:
        raise LithoError(f"pixel size must be > 0 nm, got {pixel_nm}", fix="pass --pixel with a positive nm value")
    nx, ny = int(round((x1 - x0) / pixel_nm)), int(round((y1 - y0) / pixel_nm))
    if nx < 1 or ny < 1:
        raise LithoError(f"window {window} is smaller than one pixel of {pixel_nm} nm", fix="enlarge the window")
    polys = [np.asarray(p, dtype=np.float64) for p in polygons]
    if merge and len(polys) > 1:
        polys = union(polys)
    deriv = np.zeros((ny, nx + 2), dtype=np.float64)
    for p in polys:
        if len(p) < 3:
            continue
        orient = 1.0 if signed_area(p) > 0 else -1.0
        # Pixel coordinates: u along x, v along y, pixels are unit squares.
        u = (p[:, 0] - x0) / pixel_nm
        v = (p[:, 1] - y0) / pixel_nm
        ua, va, ub, vb = u, v, np.roll(u, -1), np.roll(v, -1)
        for a_u, a_v, b_u, b_v in zip(ua, va, ub, vb):
            if abs(b_v - a_v) < 1e-12:
                continue
            # CCW polygon: downward edges are left boundaries (+1), upward right boundaries (-1).
            sign = -orient * np.sign(b_v - a_v)
            if abs(b_u - a_u) < 1e-12:
                _add_vertical(deriv, a_u, min(a_v, b_v), max(a_v, b_v), sign, ny, nx)
            else:
                lo, hi = min(a_v, b_v), max(a_v, b_v)
                steps = max(1, int(np.ceil((hi - lo) * sub)))
                edges = np.linspace(lo, hi, steps + 1)
                mids = 0.5 * (edges[:-1] + edges[1:])
                us = a_u + (mids - a_v) * (b_u - a_u) / (b_v - a_v)
                for k in range(steps):
                    _add_vertical(deriv, us[k], edges[k], edges[k + 1], sign, ny, nx)
    img = np.cumsum(deriv, axis=1)[:, :nx]
    return np.clip(img, 0.0, 1.0).astype(np.float32)


def _add_vertical(deriv: np.ndarray, u: float, v_lo: float, v_hi: float, sign: float, ny: int, nx: int) -> None:
    """Add ``sign * 1[x >= u]`` over rows ``[v_lo, v_hi)`` to the x-derivative image."""
    v_lo, v_hi = max(v_lo, 0.0), min(v_hi, float(ny))
    if v_hi <= v_lo:
        return
    r0, r1 = int(np.floor(v_lo)), int(np.ceil(v_hi))
    rows = np.arange(r0, r1)
    overlap = np.minimum(rows + 1, v_hi) - np.maximum(rows, v_lo)
    if u <= 0:
        deriv[r0:r1, 0] += sign * overlap
        return
    if u >= nx:
        return
    c = int(np.floor(u))
    frac = u - c  # pixel c is covered over (c+1-u) of its width
    deriv[r0:r1, c] += sign * overlap * (1.0 - frac)
    deriv[r0:r1, c + 1] += sign * overlap * frac


# --------------------------------------------------------------------------- clips
@dataclass(frozen=True, eq=False)
class Clip:
    """A square window of a layout centred on a feature, with the polygons inside it."""

    window: Window
    center: tuple[float, float]
    layout: Layout


def feature_centers(layout: Layout) -> np.ndarray:
    """Centres (bbox centres) of every polygon, ``(n, 2)`` nm."""
    if not layout.polygons:
        return np.zeros((0, 2))
    return np.array([[(p[:, 0].min() + p[:, 0].max()) / 2, (p[:, 1].min() + p[:, 1].max()) / 2]
                     for p in layout.polygons])


def extract_clips(layout: Layout, size_nm: float, centers: np.ndarray | None = None, *,
                  min_separation_nm: float = 0.0, max_clips: int | None = None) -> list[Clip]:
    """Square clips of side ``size_nm`` around ``centers`` (default: every feature centre).

    ``min_separation_nm`` drops centres closer than that to an already taken one (so clips
    of a dense array do not repeat each other). Clips with no polygon are skipped.
    """
    if size_nm <= 0:
        raise LithoError(f"clip size must be > 0 nm, got {size_nm}", fix="pass a positive clip size")
    centers = feature_centers(layout) if centers is None else np.asarray(centers, dtype=np.float64)
    taken: list[np.ndarray] = []
    clips: list[Clip] = []
    half = size_nm / 2
    for c in centers:
        if min_separation_nm > 0 and any(np.max(np.abs(c - t)) < min_separation_nm for t in taken):
            continue
        win = (float(c[0] - half), float(c[1] - half), float(c[0] + half), float(c[1] + half))
        sub = clip_window(layout, win)
        if not sub.polygons:
            continue
        taken.append(c)
        clips.append(Clip(win, (float(c[0]), float(c[1])), sub))
        if max_clips is not None and len(clips) >= max_clips:
            break
    return clips
