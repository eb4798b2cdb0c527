"""Seeded synthetic PDNs in the ICCAD 2023 contest format, static and dynamic.

The default stack copies the contest's Nangate45 grids (measured from the shared
netlists): m1 horizontal rails every 2.4 µm tapped every 2.4 µm, m4 vertical straps
(pitch 14 µm, or a multiple), m7 horizontal every 40 µm, m8/m9 every 11.2 µm, vias of
15, 9, 1 and 1 Ω, wire resistance per µm from the same files, 1.1 V pads on m9 in a
50 µm bump grid with one pad picked per 3×3 block. Loads sit on m1 nodes: a smooth
random background plus Gaussian hotspots, scaled to a chosen total current.

Dynamic cases add cell and decap capacitance on m1 (C to ground) and per-tile
switching activity: each tile's current follows clock-synchronous triangular pulses
whose height varies per cycle, so hotspots move in time.

Everything is vectorised numpy (a 4M-node grid builds in seconds) and every random
choice comes from one ``numpy.random.Generator`` seeded by the caller.
"""
from __future__ import annotations

import dataclasses
import gzip
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from chipsmith.errors import InputError
from chipsmith.irdrop.dynamic import CurrentProfile, tile_profile
from chipsmith.irdrop.pdn import GROUND, PDN

DBU = 2000  # database units per micrometre, as in the contest


@dataclass(frozen=True)
class LayerSpec:
    """One routing layer: stripes every ``pitch_um`` from ``offset_um``."""

    layer: int
    horizontal: bool
    pitch_um: float
    offset_um: float
    ohm_per_um: float


NANGATE45 = (
    LayerSpec(1, True, 2.4, 0.0, 2.2317645833),
    LayerSpec(4, False, 14.0, 2.0, 0.5833333333),
    LayerSpec(7, True, 40.0, 2.0, 0.0530571429),
    LayerSpec(8, False, 11.2, 2.0, 0.0107142857),
    LayerSpec(9, True, 11.2, 2.0, 0.0085714286),
)
NANGATE45_VIAS = (15.0, 9.0, 1.0, 1.0)


LOAD_STYLES = ("smooth", "clustered")
STYLES = ("uniform", "contest", "mixed")


@dataclass(frozen=True)
class GeneratorConfig:
    """Parameters of one synthetic PDN (all lengths in µm, currents in A, caps in F)."""

    width_um: float = 200.0
    height_um: float = 200.0
    layers: tuple[LayerSpec, ...] = NANGATE45
    via_ohm: tuple[float, ...] = NANGATE45_VIAS
    tap_um: float = 2.4
    pad_pitch_um: float = 50.0
    pad_offset_um: float = 25.0
    pad_block: int = 3
    vdd: float = 1.1
    current_density: float = 7.8e-8  # A per µm², the real cases' average
    n_hotspots: int = 3
    hotspot_gain: float = 4.0
    # dynamic part
    cell_cap_per_amp: float = 2e-9  # F of switching-cell cap per A of average current
    decap_per_um2: float = 2e-15  # F/µm² of explicit decap cells
    t_stop: float = 2e-9
    n_times: int = 41
    clock_period: float = 0.5e-9
    tile_um: float = 10.0
    activity_swing: float = 1.5
    # contest-like variation (``style="contest"`` in :func:`random_config`): the real designs
    # change their m4 template region by region (straps of a 14 um grid kept every 1-4th, in
    # blocks of ~100 um) and their loads are clustered cells beside empty macro areas.
    # region_mults: m4 pitch multiple per region, a (rx, ry) grid over the die flattened
    # [ix * ry + iy]; empty = one template (layers[1].pitch_um) everywhere
    region_grid: tuple[int, int] = (1, 1)
    region_mults: tuple[int, ...] = ()
    load_style: str = "smooth"  # smooth | clustered

    def __post_init__(self) -> None:
        if self.width_um <= 0 or self.height_um <= 0:
            raise InputError(f"die size {self.width_um}x{self.height_um} um must be positive",
                             fix="pass a positive --size-um")
        if len(self.via_ohm) != len(self.layers) - 1:
            raise InputError("need one via resistance per pair of adjacent layers",
                             fix="give len(layers) - 1 via values")
        if self.region_mults and len(self.region_mults) != self.region_grid[0] * self.region_grid[1]:
            raise InputError(f"region_mults has {len(self.region_mults)} entries for a {self.region_grid} grid",
                             fix="give one m4 pitch multiple per region")
        if self.load_style not in LOAD_STYLES:
            raise InputError(f"load style '{self.load_style}' is not one of {', '.join(LOAD_STYLES)}",
                             fix=f"use {LOAD_STYLES[0]}")


@dataclass(frozen=True)
class SyntheticCase:
    """A generated PDN with its optional time-varying currents and the config that made it."""

    pdn: PDN
    config: GeneratorConfig
    seed: int
    profile: CurrentProfile | None = None
    tile_values: np.ndarray | None = None  # (tx, ty, K) per-tile currents
    times: np.ndarray | None = None


def _stripes(extent: float, pitch: float, offset: float) -> np.ndarray:
    n = int(np.floor((extent - offset) / pitch + 1e-9)) + 1
    return np.round((offset + pitch * np.arange(max(n, 0))) * DBU).astype(np.int64)


def random_config(rng: np.random.Generator, *, size_um: tuple[float, float] = (150.0, 350.0),
                  dynamic: bool = False, style: str = "uniform") -> GeneratorConfig:
    """A contest-like config with randomised size, strap pitch, loads and pad choice.

    ``style``: ``uniform`` (one m4 template, smooth loads with Gaussian hotspots),
    ``contest`` (m4 template per ~100 um region, clustered loads, as in the real contest
    designs) or ``mixed`` (either, half and half). ``uniform`` draws exactly what earlier
    versions drew, so its cases are unchanged."""
    if style not in STYLES:
        raise InputError(f"generator style '{style}' is not one of {', '.join(STYLES)}", fix="use uniform or contest")
    w = float(np.round(rng.uniform(*size_um) / 2.4) * 2.4)
    h = w if rng.random() < 0.7 else float(np.round(rng.uniform(*size_um) / 2.4) * 2.4)
    m4_mult = int(rng.integers(1, 5))  # the contest's four m4 templates: 14, 28, 42, 56 um
    layers = list(NANGATE45)
    layers[1] = dataclasses.replace(layers[1], pitch_um=14.0 * m4_mult)
    scale = rng.uniform(0.7, 1.3, size=len(layers))
    layers = [dataclasses.replace(spec, ohm_per_um=spec.ohm_per_um * s) for spec, s in zip(layers, scale)]
    cfg = GeneratorConfig(width_um=w, height_um=h, layers=tuple(layers),
                          current_density=float(7.8e-8 * rng.uniform(0.5, 1.6)),
                          n_hotspots=int(rng.integers(1, 6)), hotspot_gain=float(rng.uniform(2.0, 6.0)),
                          activity_swing=float(rng.uniform(1.0, 2.0)) if dynamic else 1.5)
    if style == "mixed":
        style = "contest" if rng.random() < 0.5 else "uniform"
    if style == "uniform":
        return cfg
    # contest: the m4 straps sit on the 14 um grid and each ~100 um region keeps every 1st..4th
    # (the real netlists' templates); loads are clusters of cells, with empty macro areas
    layers[1] = dataclasses.replace(layers[1], pitch_um=14.0)
    rx = max(1, int(round(w / rng.uniform(80.0, 150.0))))
    ry = max(1, int(round(h / rng.uniform(80.0, 150.0))))
    mults = tuple(int(m) for m in rng.integers(1, 5, size=rx * ry))
    return dataclasses.replace(cfg, layers=tuple(layers), region_grid=(rx, ry), region_mults=mults,
                               load_style="clustered", current_density=float(7.8e-8 * rng.uniform(0.6, 1.8)))


def _smooth_field(rng: np.random.Generator, x_um: np.ndarray, y_um: np.ndarray, cfg: GeneratorConfig) -> np.ndarray:
    """Positive load density at the given points: low-frequency background plus hotspots."""
    w, h = cfg.width_um, cfg.height_um
    dens = np.ones_like(x_um, dtype=float) * 0.6
    for _ in range(4):  # a few random cosine modes make a smooth, non-uniform background
        kx, ky = rng.uniform(0.5, 3.0, 2)
        px, py = rng.uniform(0, 2 * np.pi, 2)
        dens += 0.15 * np.cos(2 * np.pi * kx * x_um / w + px) * np.cos(2 * np.pi * ky * y_um / h + py)
    for _ in range(cfg.n_hotspots):
        cx, cy = rng.uniform(0.1, 0.9) * w, rng.uniform(0.1, 0.9) * h
        sig = rng.uniform(0.04, 0.12) * min(w, h)
        dens += cfg.hotspot_gain * rng.uniform(0.3, 1.0) * np.exp(-((x_um - cx) ** 2 + (y_um - cy) ** 2) / (2 * sig**2))
    return np.maximum(dens, 0.05)


def _clustered_field(rng: np.random.Generator, x_um: np.ndarray, y_um: np.ndarray, cfg: GeneratorConfig) -> np.ndarray:
    """Load density of a placed design: clusters of busy cells (blobs or a lattice of small
    dense cells, as in the real contest cases) over a thin background, and 0-3 empty
    rectangles (macros) drawing nothing."""
    w, h = cfg.width_um, cfg.height_um
    dens = np.full_like(x_um, rng.uniform(0.05, 0.3), dtype=float)
    if rng.random() < 0.6:  # blobs of 5-25 um, like testcase1/2
        for _ in range(int(rng.integers(8, 40))):
            cx, cy = rng.uniform(0, w), rng.uniform(0, h)
            sig = rng.uniform(3.0, 12.0)
            dens += rng.uniform(0.5, 3.0) * np.exp(-((x_um - cx) ** 2 + (y_um - cy) ** 2) / (2 * sig**2))
    else:  # a jittered lattice of small dense cells, like testcase11/12
        pitch = rng.uniform(10.0, 25.0)
        jx, jy = rng.uniform(0, pitch, 2)
        on = (np.mod(x_um - jx, pitch) < rng.uniform(2.0, 5.0)) & (np.mod(y_um - jy, pitch) < rng.uniform(2.0, 5.0))
        dens += on * rng.uniform(1.0, 4.0)
        for _ in range(int(rng.integers(0, 4))):  # a few broad busy areas on top
            cx, cy = rng.uniform(0, w), rng.uniform(0, h)
            sig = rng.uniform(0.05, 0.2) * min(w, h)
            dens += rng.uniform(0.3, 1.5) * np.exp(-((x_um - cx) ** 2 + (y_um - cy) ** 2) / (2 * sig**2))
    for _ in range(int(rng.integers(0, 4))):
        x0, y0 = rng.uniform(0, w), rng.uniform(0, h)
        mw, mh = rng.uniform(0.1, 0.35) * w, rng.uniform(0.1, 0.35) * h
        dens[(x_um >= x0) & (x_um < x0 + mw) & (y_um >= y0) & (y_um < y0 + mh)] = 0.0
    return dens


def _region_keep(cfg: GeneratorConfig, node_layer: np.ndarray, node_x: np.ndarray, node_y: np.ndarray) -> np.ndarray:
    """Which nodes stay when the m4 template changes per region: an m4 node on strap k of the
    14 um grid stays where k is a multiple of its region's pitch multiple (strap 0 always
    stays, so every m1 rail keeps a path up)."""
    keep = np.ones(len(node_layer), bool)
    if not cfg.region_mults:
        return keep
    spec = cfg.layers[1]
    rx, ry = cfg.region_grid
    on = node_layer == spec.layer
    x, y = node_x[on] / DBU, node_y[on] / DBU
    k = np.round(((y if spec.horizontal else x) - spec.offset_um) / spec.pitch_um).astype(np.int64)
    ix = np.clip((x / cfg.width_um * rx).astype(np.int64), 0, rx - 1)
    iy = np.clip((y / cfg.height_um * ry).astype(np.int64), 0, ry - 1)
    mult = np.asarray(cfg.region_mults, np.int64)[ix * ry + iy]
    keep[on] = (k % mult) == 0
    return keep


def generate_pdn(config: GeneratorConfig, seed: int = 0, *, dynamic: bool = False,
                 with_names: bool = True) -> SyntheticCase:
    """Build one synthetic PDN (and, if ``dynamic``, its capacitances and tile currents)."""
    rng = np.random.default_rng(seed)
    cfg = config
    W, H = cfg.width_um, cfg.height_um
    layers = cfg.layers
    stripes = [_stripes(H if s.horizontal else W, s.pitch_um, s.offset_um) for s in layers]
    base = 0
    per_layer = []  # (along positions, stripe positions, first id)
    xs_all, ys_all, lay_all = [], [], []
    r_a, r_b, r_v = [], [], []
    for li, spec in enumerate(layers):
        cross = [stripes[j] for j in (li - 1, li + 1) if 0 <= j < len(layers)
                 and layers[j].horizontal != spec.horizontal]
        if li == 0:
            cross.append(_stripes(W if spec.horizontal else H, cfg.tap_um, 0.0))
        along = np.unique(np.concatenate(cross)) if cross else np.zeros(1, np.int64)
        across = stripes[li]
        n_al, n_ac = len(along), len(across)
        ids = base + np.arange(n_ac * n_al).reshape(n_ac, n_al)
        A_al, A_ac = np.meshgrid(along, across)  # shape (n_ac, n_al)
        if spec.horizontal:
            xs_all.append(A_al.ravel()), ys_all.append(A_ac.ravel())
        else:
            xs_all.append(A_ac.ravel()), ys_all.append(A_al.ravel())
        lay_all.append(np.full(n_ac * n_al, spec.layer, np.int16))
        seg = np.diff(along) / DBU
        r_a.append(ids[:, :-1].ravel()), r_b.append(ids[:, 1:].ravel())
        r_v.append(np.tile(np.maximum(seg, 1e-3) * spec.ohm_per_um, n_ac))
        per_layer.append((along, across, base))
        base += n_ac * n_al
    node_x = np.concatenate(xs_all)
    node_y = np.concatenate(ys_all)
    node_layer = np.concatenate(lay_all)

    def lookup(li: int, along_pos: np.ndarray, across_pos: np.ndarray) -> np.ndarray:
        along, across, b0 = per_layer[li]
        ia = np.searchsorted(along, along_pos)
        ic = np.searchsorted(across, across_pos)
        ok = (ia < len(along)) & (ic < len(across))
        ok[ok] &= (along[ia[ok]] == along_pos[ok]) & (across[ic[ok]] == across_pos[ok])
        return np.where(ok, b0 + ic * len(along) + np.minimum(ia, len(along) - 1), -1)

    for li in range(len(layers) - 1):
        lo, hi = layers[li], layers[li + 1]
        if lo.horizontal == hi.horizontal:
            continue
        ys = stripes[li] if lo.horizontal else stripes[li + 1]
        xs = stripes[li + 1] if lo.horizontal else stripes[li]
        gx, gy = np.meshgrid(xs, ys)
        gx, gy = gx.ravel(), gy.ravel()
        a = lookup(li, gx if lo.horizontal else gy, gy if lo.horizontal else gx)
        b = lookup(li + 1, gx if hi.horizontal else gy, gy if hi.horizontal else gx)
        ok = (a >= 0) & (b >= 0)
        r_a.append(a[ok]), r_b.append(b[ok]), r_v.append(np.full(int(ok.sum()), cfg.via_ohm[li]))
    r_a_arr = np.concatenate(r_a).astype(np.int64)
    r_b_arr = np.concatenate(r_b).astype(np.int64)
    r_v_arr = np.round(np.concatenate(r_v), 6)  # what a 6-decimal netlist would hold
    r_v_arr = np.maximum(r_v_arr, 1e-6)
    keep = _region_keep(cfg, node_layer, node_x, node_y)
    if not keep.all():  # drop the straps a region's template leaves out, with their resistors
        new_id = np.cumsum(keep) - 1
        ok = keep[r_a_arr] & keep[r_b_arr]
        r_a_arr, r_b_arr, r_v_arr = new_id[r_a_arr[ok]], new_id[r_b_arr[ok]], r_v_arr[ok]
        node_x, node_y, node_layer = node_x[keep], node_y[keep], node_layer[keep]

    # pads: bump grid on the top layer, one per block, snapped to the nearest top-layer node
    top = len(layers) - 1
    bx = np.arange(cfg.pad_offset_um, W + 1e-9, cfg.pad_pitch_um)
    by = np.arange(cfg.pad_offset_um, H + 1e-9, cfg.pad_pitch_um)
    if len(bx) == 0:
        bx = np.array([W / 2])
    if len(by) == 0:
        by = np.array([H / 2])
    pads = []
    top_ids = np.flatnonzero(node_layer == layers[top].layer)
    top_pts = np.column_stack([node_x[top_ids], node_y[top_ids]]) / DBU
    blk = max(cfg.pad_block, 1)
    for i0 in range(0, len(bx), blk):
        for j0 in range(0, len(by), blk):
            cand = [(x, y) for x in bx[i0:i0 + blk] for y in by[j0:j0 + blk]]
            x, y = cand[int(rng.integers(len(cand)))]
            k = int(np.argmin((top_pts[:, 0] - x) ** 2 + (top_pts[:, 1] - y) ** 2))
            pads.append(int(top_ids[k]))
    v_node = np.unique(np.array(pads, np.int64))

    # loads on m1 nodes
    m1 = np.flatnonzero(node_layer == layers[0].layer)
    xu, yu = node_x[m1] / DBU, node_y[m1] / DBU
    field = _clustered_field if cfg.load_style == "clustered" else _smooth_field
    dens = field(rng, xu, yu, cfg) * rng.uniform(0.5, 1.5, size=len(m1))
    total = cfg.current_density * W * H
    amps = np.round(dens / max(dens.sum(), 1e-30) * total, 13)
    keep = amps > 0
    i_node = m1[keep]
    i_amp = amps[keep]

    c_a = c_b = np.zeros(0, np.int64)
    c_f = np.zeros(0)
    profile = tile_values = times = None
    if dynamic:
        area = cfg.tap_um * layers[0].pitch_um
        c_f = np.round(i_amp * cfg.cell_cap_per_amp + cfg.decap_per_um2 * area * rng.uniform(0.2, 1.8, len(i_node)), 21)
        c_a, c_b = i_node.copy(), np.full(len(i_node), GROUND, np.int64)

    if with_names:
        names = _names(node_layer, node_x, node_y)
        index = {nm: i for i, nm in enumerate(names)}
    else:
        index = {}
    pdn = PDN(node_index=index, node_layer=node_layer, node_x=node_x, node_y=node_y,
              r_a=r_a_arr, r_b=r_b_arr, r_ohm=r_v_arr,
              i_pos=i_node.astype(np.int64), i_neg=np.full(len(i_node), GROUND, np.int64), i_amp=i_amp,
              i_names=[f"i{k}" for k in range(len(i_node))],
              v_node=v_node, v_volt=np.full(len(v_node), cfg.vdd), v_names=[f"v{k}" for k in range(len(v_node))],
              c_a=c_a, c_b=c_b, c_farad=c_f, dbu_per_um=float(DBU), source=f"<synthetic seed {seed}>")
    if dynamic:
        times, activity = _tile_waveforms(rng, cfg)
        tile_values = scaled_tile_values(pdn, activity, cfg.tile_um)
        profile = tile_profile(pdn, times, tile_values, cfg.tile_um, where="<synthetic>")
    return SyntheticCase(pdn=pdn, config=cfg, seed=seed, profile=profile, tile_values=tile_values, times=times)


def _tile_waveforms(rng: np.random.Generator, cfg: GeneratorConfig) -> tuple[np.ndarray, np.ndarray]:
    """Per-tile activity multipliers over time (tx, ty, K): clocked switching bursts.

    :func:`scaled_tile_values` turns them into tile currents from the DC loads, and
    :func:`tile_profile` spreads those over each tile's sources by their DC share.
    """
    tx = int(np.ceil(cfg.width_um / cfg.tile_um))
    ty = int(np.ceil(cfg.height_um / cfg.tile_um))
    times = np.linspace(0.0, cfg.t_stop, cfg.n_times)
    phase = rng.uniform(0, 1, size=(tx, ty, 1))
    cycles = int(np.ceil(cfg.t_stop / cfg.clock_period)) + 2
    height = rng.uniform(0.2, 1.0, size=(tx, ty, cycles)) * cfg.activity_swing
    u = times[None, None, :] / cfg.clock_period + phase
    cyc = np.floor(u).astype(int)
    frac = u - cyc
    tri = np.maximum(0.0, 1.0 - np.abs(frac - 0.3) / 0.2)  # a switching burst early in each cycle
    h = np.take_along_axis(height, np.clip(cyc, 0, cycles - 1), axis=2)
    act = 0.3 + h * tri
    # unit time-average per tile, so the static map is the average of the dynamic one
    return times, act / act.mean(axis=2, keepdims=True)


def _names(layer: np.ndarray, x: np.ndarray, y: np.ndarray) -> list[str]:
    return [f"n1_m{l}_{a}_{b}" for l, a, b in zip(layer.tolist(), x.tolist(), y.tolist())]


def scaled_tile_values(pdn: PDN, multipliers: np.ndarray, tile_um: float) -> np.ndarray:
    """Turn per-tile activity multipliers into per-tile currents (A) from the DC loads."""
    tx, ty, _ = multipliers.shape
    node = pdn.i_pos
    ix = np.clip((pdn.node_x[node] / pdn.dbu_per_um // tile_um).astype(int), 0, tx - 1)
    iy = np.clip((pdn.node_y[node] / pdn.dbu_per_um // tile_um).astype(int), 0, ty - 1)
    dc = np.bincount(ix * ty + iy, pdn.i_amp, tx * ty).reshape(tx, ty)
    return multipliers * dc[:, :, None]


def write_netlist(pdn: PDN, path: str | Path, *, compress: bool | None = None, chunk: int = 200_000) -> None:
    """Write the PDN in the contest format (R, then C, then I, then V; ``.op``/``.end``).

    Streams in chunks (bounded memory for multi-million-element grids) to a temp file that
    is renamed into place; gzip output has a fixed header time, so files are reproducible.
    """
    import os
    import tempfile

    path = Path(path)
    compress = path.suffix == ".gz" if compress is None else compress
    names = np.array(pdn.names() + ["0"], dtype=object)  # index -1 → ground
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as raw:
            out = gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) if compress else raw
            groups = [
                ("R", pdn.r_a, pdn.r_b, pdn.r_ohm, "{:f}"),
                ("C", pdn.c_a, pdn.c_b, pdn.c_farad, "{:e}"),
                ("I", pdn.i_pos, pdn.i_neg, pdn.i_amp, "{:e}"),
                ("V", pdn.v_node, np.full(len(pdn.v_node), -1), pdn.v_volt, "{:f}"),
            ]
            for letter, a, b, vals, fmt in groups:
                for lo in range(0, len(vals), chunk):
                    hi = min(lo + chunk, len(vals))
                    line = f"{letter}{{}} {{}} {{}} {fmt} \n".format
                    text = "".join(line(k, x, y, v) for k, x, y, v in zip(
                        range(lo, hi), names[a[lo:hi]], names[b[lo:hi]], vals[lo:hi].tolist()))
                    out.write(text.encode())
            out.write(b".op\n.end\n")
            if compress:
                out.close()
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def nodes_per_um2(config: GeneratorConfig) -> float:
    """Approximate node density of a config (for sizing scaling runs)."""
    probe = dataclasses.replace(config, width_um=100.0, height_um=100.0)
    case = generate_pdn(probe, 0, with_names=False)
    return case.pdn.n_nodes / 1e4


def config_for_nodes(n_nodes: int, base: GeneratorConfig | None = None) -> GeneratorConfig:
    """A square die sized so the PDN has about ``n_nodes`` nodes."""
    base = base or GeneratorConfig()
    side = float(np.sqrt(n_nodes / nodes_per_um2(base)))
    return dataclasses.replace(base, width_um=side, height_um=side)


__all__ = ["LayerSpec", "GeneratorConfig", "SyntheticCase", "generate_pdn", "random_config", "write_netlist",
           "config_for_nodes", "NANGATE45", "scaled_tile_values"]
