"""Model inputs computed from a PDN netlist: the maps image-based predictors use, resampled.

Every feature is computed by chipsmith from the netlist itself (never read from a
contest file), so that training cases from the contest and from ``irdrop generate``
mean the same thing pixel for pixel:

* ``current``: DC current drawn per 1 µm pixel (A), :func:`maps.current_map`;
* ``peak_current``: the same at the worst instant of the tile waveforms (dynamic cases;
  equal to ``current`` for static ones);
* ``eff_dist``: effective distance to the pads (µm), :func:`maps.eff_dist_map`;
* ``pdn_density``: length of PDN wire above the lowest layer per µm² in a 15 µm window.

Maps are ``[x][y]`` at 1 µm (contest convention). Models work on a fixed ``S × S`` grid:
:func:`downsample` averages pixel blocks (area weights, so a current map keeps its
total after rescaling) and :func:`upsample` brings a prediction back to the case's shape.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from chipsmith.irdrop.maps import current_map, eff_dist_map
from chipsmith.irdrop.pdn import PDN

#: bump when a feature's definition changes: processed datasets and checkpoints record it
FEATURE_VERSION = 1
#: channel order of the map branch input
MAP_CHANNELS = ("current", "peak_current", "eff_dist", "pdn_density", "width", "height")
DENSITY_WINDOW_UM = 15


@dataclass(frozen=True)
class TileCurrents:
    """Per-tile current waveforms: ``values`` (tx, ty, K) at ``times`` (K,), tiles of ``tile_um``."""

    times: np.ndarray
    values: np.ndarray
    tile_um: float

    @classmethod
    def load(cls, path) -> "TileCurrents":
        with np.load(path, allow_pickle=False) as z:
            return cls(np.asarray(z["times"], float), np.asarray(z["values"], float), float(np.asarray(z["tile_um"]).ravel()[0]))

    def slices(self, n: int) -> np.ndarray:
        """(tx, ty, n) tile currents at ``n`` evenly spaced instants (linear in between)."""
        t = np.linspace(self.times[0], self.times[-1], n)
        k = np.clip(np.searchsorted(self.times, t, side="right") - 1, 0, len(self.times) - 1)
        k1 = np.minimum(k + 1, len(self.times) - 1)
        span = self.times[k1] - self.times[k]
        w = np.where(span > 0, (t - self.times[k]) / np.where(span > 0, span, 1.0), 0.0)
        return self.values[:, :, k] * (1.0 - w) + self.values[:, :, k1] * w


def pdn_density_map(pdn: PDN, shape: tuple[int, int], window_um: int = DENSITY_WINDOW_UM) -> np.ndarray:
    """Wire length (µm) of same-layer segments above the lowest layer per µm², box-averaged."""
    from scipy.ndimage import uniform_filter

    la, lb = pdn.node_layer[pdn.r_a], pdn.node_layer[pdn.r_b]
    low = pdn.lowest_layer
    keep = (la == lb) & (la > low)
    xa, ya = pdn.node_x[pdn.r_a[keep]], pdn.node_y[pdn.r_a[keep]]
    xb, yb = pdn.node_x[pdn.r_b[keep]], pdn.node_y[pdn.r_b[keep]]
    length = np.hypot(xb - xa, yb - ya) / pdn.dbu_per_um
    px = np.clip(((xa + xb) / 2 / pdn.dbu_per_um).astype(int), 0, shape[0] - 1)
    py = np.clip(((ya + yb) / 2 / pdn.dbu_per_um).astype(int), 0, shape[1] - 1)
    out = np.zeros(shape)
    np.add.at(out, (px, py), length)
    return uniform_filter(out, size=window_um, mode="nearest")


def peak_ratio_map(tiles: TileCurrents | None, shape: tuple[int, int], pdn: PDN) -> np.ndarray:
    """Per-pixel factor peak tile current / DC tile current (1 for static cases).

    A tile's waveform is shared among its sources in proportion to their DC values
    (:func:`dynamic.tile_profile`), so pixel current at time t = DC pixel current × this
    tile's waveform / its DC total.
    """
    if tiles is None:
        return np.ones(shape)
    tx, ty, _ = tiles.values.shape
    dc_tile = _dc_per_tile(pdn, tiles)
    ratio = np.where(dc_tile > 0, tiles.values.max(axis=2) / np.where(dc_tile > 0, dc_tile, 1.0), 1.0)
    ix = np.clip((np.arange(shape[0]) // tiles.tile_um).astype(int), 0, tx - 1)
    iy = np.clip((np.arange(shape[1]) // tiles.tile_um).astype(int), 0, ty - 1)
    return ratio[np.ix_(ix, iy)]


def _dc_per_tile(pdn: PDN, tiles: TileCurrents) -> np.ndarray:
    tx, ty, _ = tiles.values.shape
    node = np.where(pdn.i_pos >= 0, pdn.i_pos, pdn.i_neg)
    ix = np.clip((pdn.node_x[node] / pdn.dbu_per_um // tiles.tile_um).astype(int), 0, tx - 1)
    iy = np.clip((pdn.node_y[node] / pdn.dbu_per_um // tiles.tile_um).astype(int), 0, ty - 1)
    out = np.zeros((tx, ty))
    np.add.at(out, (ix, iy), np.abs(pdn.i_amp))
    return out


@dataclass(frozen=True)
class CaseFeatures:
    """Native-resolution feature maps of one case plus the scalars used to normalise them."""

    maps: np.ndarray  # (len(MAP_CHANNELS) - 2, nx, ny), physical units
    total_current: float  # A, DC
    width_um: float
    height_um: float
    prior: np.ndarray | None = None  # (nx, ny) physics-prior drop map in V (:mod:`prior`), if asked for

    @property
    def shape(self) -> tuple[int, int]:
        return int(self.maps.shape[1]), int(self.maps.shape[2])


def case_features(pdn: PDN, shape: tuple[int, int], tiles: TileCurrents | None = None) -> CaseFeatures:
    """All map features of a case at its native ``shape`` ([x][y], 1 µm)."""
    cur = current_map(pdn, shape=shape)
    peak = cur * peak_ratio_map(tiles, shape, pdn)
    maps = np.stack([cur, peak, eff_dist_map(pdn, shape=shape), pdn_density_map(pdn, shape)])
    return CaseFeatures(maps=maps, total_current=float(np.abs(pdn.i_amp).sum()),
                        width_um=float(shape[0]), height_um=float(shape[1]))


def normalized_maps(f: CaseFeatures, size: int) -> np.ndarray:
    """The (C, S, S) float32 map-branch input: currents as fractions of the total times the
    pixel count (mean 1), distances in 100 µm, density as is, die size in mm as constants."""
    cur = downsample(f.maps[:2], size)
    cur = cur / max(f.total_current, 1e-30) * (size * size)
    rest = downsample(f.maps[2:], size)
    rest[0] /= 100.0
    const = np.stack([np.full((size, size), f.width_um / 1000.0), np.full((size, size), f.height_um / 1000.0)])
    return np.concatenate([cur, rest, const]).astype(np.float32)


def downsample(maps: np.ndarray, size: int) -> np.ndarray:
    """Area-average (..., nx, ny) maps onto (..., size, size)."""
    import torch
    import torch.nn.functional as F

    t = torch.as_tensor(np.ascontiguousarray(maps), dtype=torch.float64)
    lead = t.shape[:-2]
    t = t.reshape(1, -1, *t.shape[-2:])
    out = F.interpolate(t, size=(size, size), mode="area")
    return out.reshape(*lead, size, size).numpy()


def upsample(maps, shape: tuple[int, int]):
    """Bilinear (..., S, S) → (..., nx, ny); numpy in, numpy out; torch in, torch out."""
    import torch
    import torch.nn.functional as F

    is_np = isinstance(maps, np.ndarray)
    t = torch.as_tensor(maps) if is_np else maps
    lead = t.shape[:-2]
    t = t.reshape(1, -1, *t.shape[-2:])
    out = F.interpolate(t, size=tuple(shape), mode="bilinear", align_corners=False)
    out = out.reshape(*lead, *shape)
    return out.numpy() if is_np else out
