"""Node values → 1 µm pixel maps, following the ICCAD 2023 contest convention exactly.

How the contest's golden ``ir_drop_map`` is formed (found by experiment on all 28 shared
cases, and matching the contest's published map script):

1. Take the nodes of the **lowest metal layer** only (m1), at (x, y) in micrometres.
2. Sample at integer micrometres: pixel ``[i][j]`` is the value at (x = i µm, y = j µm),
   *not* at the pixel centre. Arrays are indexed **[x][y]** (first index = x), so a map
   must be transposed before it is shown as an image with rows = y.
3. Interpolate with the piecewise-cubic Clough–Tocher scheme on the Delaunay
   triangulation of those nodes (``scipy.interpolate.griddata(method="cubic")``).
   Cubic, not nearest or linear: it reproduces the golden maps to MAE ~1–6 µV, linear
   and nearest are 4–10× worse, and the golden maximum overshoots the largest node drop
   by up to 0.3 % exactly as the cubic surface does.
4. Pixels outside the convex hull (NaN) copy the nearest interpolated pixel (Euclidean
   distance in pixels, ties to the first pixel in [x][y] order); negatives become 0.
5. Map shape: the contest takes it from the design's current map, which the netlist
   does not record. The default here, ``floor(max coordinate over all layers) + 1`` per
   axis, is exact for 14 of the 28 shared cases and 1–2 pixels short for the others;
   pass ``shape=`` (e.g. the shape of the case's ``current_map``) to match exactly.
   Cropping or padding never changes the pixels both shapes share.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.interpolate import CloughTocher2DInterpolator, LinearNDInterpolator, NearestNDInterpolator
from scipy.spatial import Delaunay, cKDTree

from chipsmith.errors import PDNError
from chipsmith.irdrop.pdn import PDN

MAP_METHODS = ("cubic", "linear", "nearest")
ORIENTATIONS = ("xy", "image")


def default_shape(pdn: PDN) -> tuple[int, int]:
    """``floor(max x) + 1, floor(max y) + 1`` in µm over every located node."""
    located = pdn.node_layer >= 0
    if not located.any():
        raise PDNError("no node has a location, so no map can be drawn", where=pdn.source,
                       fix="use located node names (n<net>_m<layer>_<x>_<y>)")
    nx = int(np.floor(pdn.node_x[located].max() / pdn.dbu_per_um)) + 1
    ny = int(np.floor(pdn.node_y[located].max() / pdn.dbu_per_um)) + 1
    return nx, ny


@dataclass
class MapBuilder:
    """Reusable node → pixel interpolation for one PDN: the triangulation and the NaN
    fill pattern are computed once and reused for every time slice of a dynamic run."""

    pdn: PDN
    shape: tuple[int, int] | None = None
    layer: int | None = None
    method: str = "cubic"

    def __post_init__(self) -> None:
        if self.method not in MAP_METHODS:
            raise PDNError(f"unknown map method '{self.method}'", fix=f"use one of {', '.join(MAP_METHODS)}")
        pdn = self.pdn
        self.layer = pdn.lowest_layer if self.layer is None else int(self.layer)
        self.nodes = np.flatnonzero(pdn.node_layer == self.layer)
        if len(self.nodes) < 3:
            raise PDNError(f"layer m{self.layer} has {len(self.nodes)} node(s); a map needs at least 3",
                           where=pdn.source, fix="check the layer numbers in the node names")
        self.shape = default_shape(pdn) if self.shape is None else (int(self.shape[0]), int(self.shape[1]))
        if min(self.shape) < 1:
            raise PDNError(f"map shape {self.shape} is empty", fix="give a positive shape")
        self.points = np.column_stack([pdn.node_x[self.nodes], pdn.node_y[self.nodes]]) / pdn.dbu_per_um
        nx, ny = self.shape
        xi, yi = np.meshgrid(np.arange(nx, dtype=float), np.arange(ny, dtype=float), indexing="ij")
        self.targets = np.column_stack([xi.ravel(), yi.ravel()])
        self._tri = Delaunay(self.points) if self.method != "nearest" else None
        self._fill_src: np.ndarray | None = None
        self._fill_dst: np.ndarray | None = None
        if self._tri is not None:
            outside = self._tri.find_simplex(self.targets) < 0
            if outside.any():
                self._prepare_fill(outside)

    def _prepare_fill(self, outside: np.ndarray) -> None:
        good = np.flatnonzero(~outside)
        bad = np.flatnonzero(outside)
        if len(good) == 0:
            self._fill_src, self._fill_dst = np.zeros(0, np.int64), bad
            return
        tree = cKDTree(self.targets[good])
        k = min(8, len(good))
        dist, idx = tree.query(self.targets[bad], k=k)
        dist = dist.reshape(len(bad), k)
        idx = idx.reshape(len(bad), k)
        # ties go to the first pixel in [x][y] order, as the contest's argmin does
        cand = np.where(dist <= dist[:, :1] + 1e-9, good[idx], np.iinfo(np.int64).max)
        self._fill_src = cand.min(axis=1)
        self._fill_dst = bad

    def __call__(self, node_values: np.ndarray) -> np.ndarray:
        """Map of full-length node values: shape ``(nx, ny)``, or ``(S, nx, ny)`` for (n, S) input."""
        vals = np.asarray(node_values, dtype=float)[self.nodes]
        multi = vals.ndim == 2
        if self.method == "cubic":
            z = CloughTocher2DInterpolator(self._tri, vals)(self.targets)
        elif self.method == "linear":
            z = LinearNDInterpolator(self._tri, vals)(self.targets)
        else:
            z = NearestNDInterpolator(self.points, vals)(self.targets)
        z = z.reshape(len(self.targets), -1)
        if self._fill_dst is not None and len(self._fill_dst):
            z[self._fill_dst] = z[self._fill_src] if len(self._fill_src) else 0.0
        z[z < 0] = 0.0
        nx, ny = self.shape
        if multi:
            return np.ascontiguousarray(z.T.reshape(-1, nx, ny))
        return z.reshape(nx, ny)


def ir_drop_map(pdn: PDN, drop: np.ndarray, *, shape: tuple[int, int] | None = None,
                method: str = "cubic", layer: int | None = None) -> np.ndarray:
    """The contest-convention IR-drop map ([x][y], 1 µm pixels) of node drops ``drop`` (V)."""
    return MapBuilder(pdn, shape=shape, layer=layer, method=method)(drop)


def current_map(pdn: PDN, *, shape: tuple[int, int] | None = None, amps: np.ndarray | None = None) -> np.ndarray:
    """Sum of current-source values per 1 µm pixel ([x][y]); pixel = floor(coordinate)."""
    shape = default_shape(pdn) if shape is None else shape
    amps = pdn.i_amp if amps is None else amps
    node = np.where(pdn.i_pos >= 0, pdn.i_pos, pdn.i_neg)
    ok = (node >= 0) & (pdn.node_layer[np.maximum(node, 0)] >= 0)
    px = np.clip((pdn.node_x[node[ok]] // pdn.dbu_per_um).astype(int), 0, shape[0] - 1)
    py = np.clip((pdn.node_y[node[ok]] // pdn.dbu_per_um).astype(int), 0, shape[1] - 1)
    out = np.zeros(shape)
    np.add.at(out, (px, py), np.abs(amps[ok]))
    return out


def eff_dist_map(pdn: PDN, *, shape: tuple[int, int] | None = None) -> np.ndarray:
    """Effective distance to the pads per pixel: ``1 / sum(1 / d_k)`` (0 on a pad), in µm."""
    shape = default_shape(pdn) if shape is None else shape
    px = pdn.node_x[pdn.v_node] / pdn.dbu_per_um
    py = pdn.node_y[pdn.v_node] / pdn.dbu_per_um
    xs = np.arange(shape[0], dtype=float)[:, None]
    ys = np.arange(shape[1], dtype=float)[None, :]
    inv = np.zeros(shape)
    on_pad = np.zeros(shape, bool)
    for x0, y0 in zip(px, py):
        d = np.hypot(xs - x0, ys - y0)
        on_pad |= d == 0
        inv += 1.0 / np.where(d == 0, np.inf, d)
    out = np.where(inv > 0, 1.0 / np.where(inv > 0, inv, 1.0), 0.0)
    out[on_pad] = 0.0
    return out


def orient(map_xy: np.ndarray, orientation: str = "xy") -> np.ndarray:
    """``"xy"``: as stored, [x][y] (contest). ``"image"``: rows = y with the top row at the
    largest y, columns = x, i.e. what a layout viewer shows (``flipud(map.T)``)."""
    if orientation == "xy":
        return map_xy
    if orientation == "image":
        return np.flipud(np.asarray(map_xy).T)
    raise PDNError(f"unknown orientation '{orientation}'", fix=f"use one of {', '.join(ORIENTATIONS)}")


def hotspots(map_xy: np.ndarray, fraction: float = 0.9) -> np.ndarray:
    """Boolean mask of pixels whose drop exceeds ``fraction`` of the map's maximum (contest F1)."""
    peak = float(np.max(map_xy))
    return map_xy > fraction * peak


def compare(pred: np.ndarray, golden: np.ndarray) -> dict[str, float]:
    """MAE, max absolute error and relative max-drop error of a map against a golden one."""
    if pred.shape != golden.shape:
        raise PDNError(f"map shapes differ: {pred.shape} vs golden {golden.shape}",
                       fix="build the map with shape= the golden map's shape")
    err = np.abs(pred - golden)
    gmax = float(golden.max())
    hp, hg = hotspots(pred), hotspots(golden)
    tp = float(np.sum(hp & hg))
    f1 = 2 * tp / max(float(hp.sum() + hg.sum()), 1.0)
    return {"mae": float(err.mean()), "max_abs_error": float(err.max()),
            "max_drop": float(pred.max()), "golden_max_drop": gmax,
            "max_drop_rel_error": abs(float(pred.max()) - gmax) / gmax if gmax > 0 else 0.0,
            "hotspot_f1": f1}
