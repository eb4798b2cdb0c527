"""Dynamic (transient) IR drop: grid capacitances, time-varying cell currents, one factorization.

The free-node equations are ``C dv/dt + A v = rhs(t)`` (pads eliminated as in
:mod:`chipsmith.irdrop.static`; a capacitor to a pad or to ground only adds to C's
diagonal because those ends do not move). With a fixed step ``h``:

* backward Euler: ``(C/h + A) v1 = C/h v0 + rhs(t1)``
* trapezoidal:    ``(2C/h + A) v1 = (2C/h - A) v0 + rhs(t0) + rhs(t1)``

The left-hand matrix is the same at every step, so it is factorized **once** and each
step costs a sparse matrix-vector product and two triangular solves. The initial state
is the DC operating point at t = 0 (as SPICE's ``.tran`` does; one more factorization)
or every node at VDD (``initial="vdd"``, useful to watch the grid settle).

Currents come from a :class:`CurrentProfile`: piecewise-linear waveforms per I source
(instance), or per tile of the die, each tile's waveform shared among the sources in
it in proportion to their DC value (equally when those are all zero).
"""
from __future__ import annotations

import csv
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from chipsmith.errors import InputError, PDNError
from chipsmith.irdrop.pdn import PDN, PWL
from chipsmith.irdrop.static import ReducedSystem, factorize, reduce_system

INTEGRATORS = ("trap", "be")


@dataclass(frozen=True)
class CurrentProfile:
    """Source currents over time: ``amps(t) = mix @ pwl.at(t)`` (one value per I source).

    ``mix`` is ``None`` when the PWL rows are the sources themselves (per instance), or
    a sparse (n_sources × n_tiles) matrix spreading tile waveforms onto sources.
    ``kind`` is ``"instance"``, ``"tile"`` or ``"netlist"``.
    """

    pwl: PWL
    mix: sp.csr_matrix | None = None
    kind: str = "instance"
    tile_um: float | None = None

    def amps(self, t: float) -> np.ndarray:
        w = self.pwl.at(t)
        return w if self.mix is None else self.mix @ w

    @property
    def t_end(self) -> float:
        return float(self.pwl.times[-1])


def _check_pwl(times: np.ndarray, values: np.ndarray, where: str) -> PWL:
    times = np.asarray(times, dtype=float).ravel()
    values = np.asarray(values, dtype=float)
    if values.ndim == 1:
        values = values[:, None] if len(times) == 1 else values[None, :]
    if values.shape[1] != len(times):
        raise InputError(f"current table has {values.shape[1]} columns but {len(times)} times", where=where,
                         fix="give one value per time point")
    if len(times) == 0 or not np.all(np.isfinite(times)) or np.any(np.diff(times) <= 0):
        raise InputError("current times must be finite and strictly increasing", where=where,
                         fix="sort the time points and remove duplicates")
    bad = ~np.isfinite(values)
    if bad.any():
        r, c = np.argwhere(bad)[0]
        raise InputError(f"current value at row {r}, time {times[c]:g} s is {values[r, c]}", where=where,
                         fix="give finite currents (A)")
    return PWL(times=times, values=values)


def instance_profile(pdn: PDN, names: list[str], times: np.ndarray, values: np.ndarray,
                     where: str = "currents") -> CurrentProfile:
    """Per-instance PWL: row k of ``values`` drives the I source called ``names[k]``.

    Sources not named keep their DC value from the netlist.
    """
    pwl = _check_pwl(times, values, where)
    lookup = {n: i for i, n in enumerate(pdn.i_names)}
    rows = []
    for n in names:
        i = lookup.get(str(n).lower())
        if i is None:
            raise InputError(f"current source '{n}' is not in the netlist", where=where,
                             fix="use the I element names of the netlist (e.g. I12)")
        rows.append(i)
    full = np.repeat(pdn.i_amp[:, None], len(pwl.times), axis=1)
    full[np.array(rows, dtype=np.int64)] = pwl.values
    return CurrentProfile(pwl=PWL(pwl.times, full), kind="instance")


def tile_profile(pdn: PDN, times: np.ndarray, tile_values: np.ndarray, tile_um: float,
                 where: str = "currents") -> CurrentProfile:
    """Per-tile PWL: ``tile_values`` is (tx, ty, K), tile ``[i][j]`` covers x in
    ``[i, i+1) * tile_um`` and y likewise; its current splits among the sources inside."""
    tile_values = np.asarray(tile_values, dtype=float)
    if tile_values.ndim != 3 or not tile_um > 0:
        raise InputError("tile currents must be a (tx, ty, K) array with tile_um > 0", where=where,
                         fix="save 'values' with shape (tiles_x, tiles_y, times) and a positive 'tile_um'")
    tx, ty, k = tile_values.shape
    pwl = _check_pwl(times, tile_values.reshape(tx * ty, k), where)
    node = np.where(pdn.i_pos >= 0, pdn.i_pos, pdn.i_neg)
    sign = np.where(pdn.i_pos >= 0, 1.0, -1.0)
    ix = np.clip((pdn.node_x[node] / pdn.dbu_per_um // tile_um).astype(np.int64), 0, tx - 1)
    iy = np.clip((pdn.node_y[node] / pdn.dbu_per_um // tile_um).astype(np.int64), 0, ty - 1)
    tile = ix * ty + iy
    weight = np.abs(pdn.i_amp)
    total = np.bincount(tile, weight, tx * ty)
    count = np.bincount(tile, minlength=tx * ty).astype(float)
    share = np.where(total[tile] > 0, weight / np.where(total[tile] > 0, total[tile], 1.0),
                     1.0 / np.maximum(count[tile], 1.0))
    mix = sp.csr_matrix((share * sign, (np.arange(len(tile)), tile)), shape=(len(tile), tx * ty))
    return CurrentProfile(pwl=pwl, mix=mix, kind="tile", tile_um=float(tile_um))


def netlist_profile(pdn: PDN) -> CurrentProfile:
    """The PWL sources written in the netlist (others constant), on one shared time grid."""
    if not pdn.i_pwl:
        return CurrentProfile(pwl=PWL(np.array([0.0]), pdn.i_amp[:, None].copy()), kind="netlist")
    times = np.unique(np.concatenate([t for t, _ in pdn.i_pwl.values()]))
    values = np.repeat(pdn.i_amp[:, None], len(times), axis=1)
    for i, (t, v) in pdn.i_pwl.items():
        values[i] = np.interp(times, t, v)
    return CurrentProfile(pwl=PWL(times, values), kind="netlist")


def load_profile(path: str | Path, pdn: PDN) -> CurrentProfile:
    """Read currents from ``.npz`` (``times`` + ``values`` + ``names`` per instance, or
    ``times`` + ``values`` (tx, ty, K) + ``tile_um`` per tile) or ``.csv`` (header
    ``name,t0,t1,...``; one row per I source)."""
    path = Path(path)
    where = str(path)
    if not path.is_file():
        raise InputError("currents file not found", where=where, fix="check the --currents path")
    if path.suffix == ".npz":
        try:
            data = np.load(path, allow_pickle=False)
            keys = set(data.files)
        except Exception as exc:  # numpy raises several types for a corrupt archive
            raise InputError(f"cannot read currents archive ({type(exc).__name__})", where=where,
                             fix="write it with numpy.savez") from exc
        if not {"times", "values"} <= keys:
            raise InputError("currents .npz needs 'times' and 'values'", where=where,
                             fix="add 'names' (per instance) or 'tile_um' (per tile)")
        if "tile_um" in keys:
            return tile_profile(pdn, data["times"], data["values"], float(data["tile_um"]), where)
        if "names" in keys:
            return instance_profile(pdn, [str(n) for n in data["names"]], data["times"], data["values"], where)
        raise InputError("currents .npz has neither 'names' nor 'tile_um'", where=where,
                         fix="per instance: save 'names'; per tile: save 'tile_um'")
    if path.suffix == ".csv":
        with open(path, newline="") as fh:
            rows = list(csv.reader(fh))
        if len(rows) < 2 or len(rows[0]) < 2:
            raise InputError("currents CSV needs a header 'name,t0,t1,...' and one row per source",
                             where=f"{where}:1", fix="see the README for the format")
        try:
            times = np.array([float(t) for t in rows[0][1:]])
        except ValueError:
            raise InputError("currents CSV header times must be numbers", where=f"{where}:1",
                             fix="header: name,<t0>,<t1>,...") from None
        names, values = [], []
        for ln, row in enumerate(rows[1:], 2):
            if not row:
                continue
            if len(row) != len(times) + 1:
                raise InputError(f"row has {len(row) - 1} values for {len(times)} times", where=f"{where}:{ln}",
                                 fix="one value per time column")
            try:
                values.append([float(v) for v in row[1:]])
            except ValueError:
                raise InputError("current value is not a number", where=f"{where}:{ln}",
                                 fix="write currents in A") from None
            names.append(row[0].strip())
        return instance_profile(pdn, names, times, np.array(values), where)
    raise InputError(f"unknown currents format '{path.suffix}'", where=where, fix="use .npz or .csv")


def capacitance_matrix(pdn: PDN, system: ReducedSystem) -> sp.csc_matrix:
    """Free-node capacitance matrix (a C to ground or to a pad only adds to the diagonal)."""
    nf = system.n_free
    fa = np.where(pdn.c_a >= 0, system.free_of[np.maximum(pdn.c_a, 0)], -1)
    fb = np.where(pdn.c_b >= 0, system.free_of[np.maximum(pdn.c_b, 0)], -1)
    c = pdn.c_farad
    ma, mb = fa >= 0, fb >= 0
    diag = np.bincount(fa[ma], c[ma], nf) + np.bincount(fb[mb], c[mb], nf)
    both = ma & mb
    rows = np.concatenate([fa[both], fb[both], np.arange(nf)])
    cols = np.concatenate([fb[both], fa[both], np.arange(nf)])
    vals = np.concatenate([-c[both], -c[both], diag])
    return sp.csc_matrix((vals, (rows, cols)), shape=(nf, nf))


@dataclass(frozen=True)
class DynamicSolution:
    """Result of a transient run.

    ``worst_drop`` is the per-node maximum drop over all time points (V);
    ``slice_drops`` (S × n_map_nodes) the drops of ``map_nodes`` at ``slice_times``;
    ``probe_voltages`` (T+1 × P) full waveforms of ``probes`` when requested.
    """

    times: np.ndarray
    worst_drop: np.ndarray
    final_voltage: np.ndarray
    vdd: float
    integrator: str
    dt: float
    map_nodes: np.ndarray
    slice_times: np.ndarray
    slice_drops: np.ndarray
    probes: np.ndarray
    probe_voltages: np.ndarray
    factorizations: int
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def n_steps(self) -> int:
        return len(self.times) - 1

    @property
    def seconds_per_step(self) -> float:
        return self.seconds.get("steps", 0.0) / max(self.n_steps, 1)

    @property
    def cpu_seconds_per_step(self) -> float:
        """CPU time per step (robust to other load on a shared machine)."""
        return self.seconds.get("steps_cpu", 0.0) / max(self.n_steps, 1)

    def slice_node_values(self, n_nodes: int) -> np.ndarray:
        """Full-length (n_nodes, S) drop array (zeros off the map layer) for map building."""
        out = np.zeros((n_nodes, len(self.slice_times)))
        out[self.map_nodes] = self.slice_drops.T
        return out


def validate_transient(pdn: PDN, *, dt: float, t_stop: float, integrator: str = "trap",
                       initial: str = "dc") -> int:
    """Check transient settings before any work starts; returns the number of steps."""
    if integrator not in INTEGRATORS:
        raise InputError(f"unknown integrator '{integrator}'", fix=f"use one of {', '.join(INTEGRATORS)}")
    if initial not in ("dc", "vdd"):
        raise InputError(f"unknown initial state '{initial}'", fix="use 'dc' or 'vdd'")
    if not (dt > 0 and t_stop > 0 and np.isfinite(dt) and np.isfinite(t_stop)):
        raise InputError(f"time step {dt:g} s and stop time {t_stop:g} s must be positive",
                         fix="pass --dt and --tstop > 0")
    n_steps = int(round(t_stop / dt))
    if n_steps < 1 or n_steps > 10_000_000:
        raise InputError(f"{n_steps} time steps is out of range", fix="choose dt and tstop for 1 to 1e7 steps")
    if len(pdn.c_farad) == 0:
        raise PDNError("the netlist has no capacitors, so a transient is just a sequence of static solves",
                       where=pdn.source, fix="add decap / cell capacitance (C elements) or run a static solve")

    return n_steps


def solve_transient(pdn: PDN, profile: CurrentProfile | None = None, *, dt: float, t_stop: float,
                    integrator: str = "trap", n_slices: int = 10, initial: str = "dc",
                    probes: np.ndarray | None = None, map_layer: int | None = None,
                    progress=None) -> DynamicSolution:
    """Fixed-step transient of the PDN from 0 to ``t_stop``; one factorization for all steps.

    ``n_slices`` evenly spaced time slices (including the end) keep the map-layer drops;
    ``probes`` (node indices) keep full waveforms. ``progress(n)`` is called per step.
    """
    n_steps = validate_transient(pdn, dt=dt, t_stop=t_stop, integrator=integrator, initial=initial)
    profile = profile if profile is not None else netlist_profile(pdn)

    secs: dict[str, float] = {}
    t0 = time.perf_counter()
    system = reduce_system(pdn)
    A = system.A
    C = capacitance_matrix(pdn, system)
    coords = system.coords(pdn)
    alpha = 2.0 if integrator == "trap" else 1.0
    K = (A + (alpha / dt) * C).tocsc()
    secs["assemble"] = time.perf_counter() - t0

    def rhs_at(t: float) -> np.ndarray:
        return system.rhs(pdn.injection(profile.amps(t)))

    factorizations = 0
    perm = None
    t1 = time.perf_counter()
    r0 = rhs_at(0.0)
    if initial == "dc":
        lu0 = factorize(A, coords=coords)
        factorizations += 1
        v = lu0.solve(r0)
        perm = lu0.perm  # same sparsity pattern as K (up to C's couplings): reuse the ordering
        del lu0
    else:
        v = np.full(system.n_free, pdn.vdd)
    secs["initial"] = time.perf_counter() - t1
    t2 = time.perf_counter()
    lu = factorize(K, coords=coords, perm=perm)
    factorizations += 1
    secs["factor"] = time.perf_counter() - t2

    layer = pdn.lowest_layer if map_layer is None else map_layer
    map_nodes = np.flatnonzero(pdn.node_layer == layer)
    map_free = system.free_of[map_nodes]
    map_fixed = system.fixed_voltage[map_nodes]
    probes = np.zeros(0, np.int64) if probes is None else np.asarray(probes, dtype=np.int64)
    probe_free = system.free_of[probes]
    probe_rec = np.zeros((n_steps + 1, len(probes)))

    def node_v(vf: np.ndarray, free_idx: np.ndarray, fixed_vals: np.ndarray) -> np.ndarray:
        return np.where(free_idx >= 0, vf[np.maximum(free_idx, 0)], fixed_vals)

    slice_steps = np.unique(np.linspace(0, n_steps, max(int(n_slices), 1) + 1).round().astype(int)[1:])
    slice_drops = np.zeros((len(slice_steps), len(map_nodes)))
    next_slice = 0
    vmin = v.copy()
    probe_rec[0] = node_v(v, probe_free, system.fixed_voltage[probes])
    Ch = (C * (alpha / dt)).tocsr()
    # trapezoidal's explicit half uses (2C/h - A); form it once, not per step
    explicit = Ch if integrator == "be" else (Ch - A).tocsr()
    t3, c3 = time.perf_counter(), time.process_time()
    r_prev = r0
    for k in range(1, n_steps + 1):
        r_next = rhs_at(k * dt)
        if integrator == "be":
            b = explicit @ v + r_next
        else:
            b = explicit @ v + r_prev + r_next
        v = lu.solve(b)
        np.minimum(vmin, v, out=vmin)
        r_prev = r_next
        if len(probes):
            probe_rec[k] = node_v(v, probe_free, system.fixed_voltage[probes])
        if next_slice < len(slice_steps) and k == slice_steps[next_slice]:
            slice_drops[next_slice] = pdn.vdd - node_v(v, map_free, map_fixed)
            next_slice += 1
        if progress is not None:
            progress(1)
    secs["steps"] = time.perf_counter() - t3
    secs["steps_cpu"] = time.process_time() - c3
    return DynamicSolution(
        times=np.arange(n_steps + 1) * dt, worst_drop=pdn.vdd - system.expand(vmin),
        final_voltage=system.expand(v), vdd=pdn.vdd, integrator=integrator, dt=dt,
        map_nodes=map_nodes, slice_times=slice_steps * dt, slice_drops=slice_drops,
        probes=probes, probe_voltages=probe_rec, factorizations=factorizations, seconds=secs)
