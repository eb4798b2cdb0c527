"""Spec-driven sizing of an op-amp subcircuit across process corners (``chipsmith size``).

Problem, algorithm and termination apart (as pymoo does it):

- :class:`SizingSpec` (loaded from YAML) says which ``.param`` cards of the design vary and
  how far, how the op-amp is driven (:class:`~chipsmith.spice.ampbench.AmpBench`), the targets,
  the PDK and the corners/temperatures every target must hold at.
- Evaluation: a batch of candidates runs as one ngspice process per (corner, temperature)
  (:func:`~chipsmith.spice.variants.simulate_variants`: the PDK's models load once per batch;
  with only the core MOSFETs in the design, a cut-down copy of the library loads in ~0.1 s
  instead of ~3.5 s, :mod:`chipsmith.spice.pdk_core`), the processes fanned out over dask.
  A candidate's cost is its worst corner's summed, normalized target violation (0 = every
  target met at every corner).
- Corner screening (``screen=True``): the batch runs at the spec's first point (tt) first;
  only a candidate that meets every target there pays for the other points. Meeting tt is
  necessary for success, so screening never loses a success; a screened-out candidate's
  cost is its tt violation (a lower bound of its worst corner's) and it ranks behind every
  candidate simulated at all points (:attr:`Evaluation.objective`).
- Algorithm: CMA-ES started at the gm/Id point, its candidates pre-selected by per-target
  margin models (``method="cmaes"``, the default; :mod:`chipsmith.spice.sizing_cmaes`),
  Optuna's TPE sampler (``"tpe"``) or its random sampler (``"random"``, the baseline), asked
  for ``batch`` candidates at a time; the start point comes from gm/Id tables (variables with
  a ``gmid`` hint get W from the PDK's own lookup table) and the design's own values.
- Termination: the first candidate that meets every target at every corner, or the budget.
"""
from __future__ import annotations

import math
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from chipsmith.errors import ChipsmithError, InputError, SimulationError
from chipsmith.spice.ampbench import FIGURES, AmpBench, figures, subckt_ports

_OPS = (">=", "<=")


@dataclass(frozen=True)
class Target:
    figure: str
    op: str
    value: float

    def violation(self, measured: float | None) -> float:
        """0 when met; else the shortfall relative to the target (a missing figure counts 1)."""
        if measured is None or not math.isfinite(measured):
            return 1.0
        scale = abs(self.value) or 1.0
        gap = (self.value - measured) if self.op == ">=" else (measured - self.value)
        return max(0.0, gap / scale)

    def __str__(self) -> str:
        return f"{self.figure} {self.op} {self.value:g} {FIGURES[self.figure]}"


@dataclass(frozen=True)
class GmIdHint:
    """Size a width from the PDK's gm/Id table: W = id / (I_D/W at gm_id, L)."""

    polarity: str
    l: float
    gm_id: float
    id: float
    vds: float = 0.9


@dataclass(frozen=True)
class Variable:
    name: str
    low: float
    high: float
    log: bool = False
    integer: bool = False
    gmid: GmIdHint | None = None
    design_value: float | None = None   # the design's own .param value, when numeric and inside [low, high]


@dataclass(frozen=True)
class SizingSpec:
    bench: AmpBench
    targets: tuple[Target, ...]
    variables: tuple[Variable, ...]
    pdk: str = "sky130"
    corners: tuple[str, ...] = ("tt",)
    temps: tuple[float, ...] = (27.0,)

    @property
    def needs_tran(self) -> bool:
        return any(t.figure == "slew_v_per_us" for t in self.targets)


def _where(path: Path | None, key: str) -> str:
    return f"{path}: {key}" if path else key


def _design_value(text: str, low: float, high: float) -> float | None:
    """A .param value as a number inside [low, high], or None (an expression, or out of range)."""
    from chipsmith.spice.units import parse_quantity

    try:
        value = parse_quantity(text.strip("{}'\""), "param")
    except ChipsmithError:
        return None
    return value if low <= value <= high else None


def load_spec(data: Mapping[str, Any], design: str, path: Path | None = None) -> SizingSpec:
    """A :class:`SizingSpec` from a parsed YAML mapping, checked against the design text."""
    from chipsmith.spice.pdk import get_pdk, parse_corners, parse_temps
    from chipsmith.spice.units import parse_quantity
    from chipsmith.spice.variants import declared_params

    if not isinstance(data, Mapping):
        raise InputError("the spec is not a mapping", where=str(path) if path else None,
                         fix="write YAML keys: ports, targets, variables, ...")
    known = {"design", "pdk", "corners", "temps", "ports", "bias", "bias_voltage", "supply", "vcm", "load_cap",
             "targets", "variables", "noise_freq", "noise_band"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise InputError(f"unknown spec key(s) {', '.join(unknown)}", where=str(path) if path else None,
                         fix=f"use: {', '.join(sorted(known))}")

    def q(value: Any, key: str) -> float:
        try:
            return parse_quantity(value, _where(path, key))
        except ChipsmithError as exc:
            raise InputError(exc.message, fix=exc.fix) from None

    name, ports = subckt_ports(design, data.get("design"))
    ports = tuple(p.lower() for p in ports)
    roles = {k: str(v).lower() for k, v in (data.get("ports") or {}).items()}
    bias = {str(k).lower(): q(v, f"bias.{k}") for k, v in (data.get("bias") or {}).items()}
    bias_v = {str(k).lower(): q(v, f"bias_voltage.{k}") for k, v in (data.get("bias_voltage") or {}).items()}
    pdk = get_pdk(str(data.get("pdk", "sky130")))
    noise_freq, noise_band = _noise_settings(data, q, path)
    bench = AmpBench(
        name, ports, roles.get("inp", "inp"), roles.get("inn", "inn"), roles.get("out", "out"),
        roles.get("vdd", "vdd"), roles.get("gnd", "gnd"), supply_v=q(data.get("supply", pdk.supply_v), "supply"),
        vcm=q(data.get("vcm", pdk.supply_v / 2), "vcm"), cload=q(data.get("load_cap", "1pF"), "load_cap"),
        bias={**bias, **bias_v}, bias_is_voltage={k: True for k in bias_v}, noise_freq=noise_freq,
        noise_band=noise_band)
    targets = []
    for figure, text in (data.get("targets") or {}).items():
        if figure not in FIGURES:
            raise InputError(f"unknown target figure {figure!r}", where=str(path) if path else None,
                             fix=f"use one of: {', '.join(FIGURES)}")
        text = str(text).strip()
        op = next((o for o in _OPS if text.startswith(o)), None)
        if op is None:
            raise InputError(f"target {figure}: {text!r} needs a comparison", fix=f'write e.g. "{figure}: >= 60"')
        targets.append(Target(figure, op, q(text[len(op):], f"targets.{figure}")))
        _check_extra_target(targets[-1], bench, path)
    if not targets:
        raise InputError("the spec has no targets", fix="add e.g. targets: {gain_db: '>= 60'}")
    declared = declared_params(design)
    variables = []
    for vname, spec in (data.get("variables") or {}).items():
        key = f"variables.{vname}"
        if str(vname).lower() not in declared:
            raise InputError(f"variable {vname!r} is not a .param card of the design",
                             where=str(path) if path else None,
                             fix=f"declare it in the design or use one of: {', '.join(sorted(declared))}")
        if not isinstance(spec, Mapping) or "low" not in spec or "high" not in spec:
            raise InputError(f"{key} needs low and high", fix=f"write {vname}: {{low: 1, high: 10}}")
        low, high = q(spec["low"], f"{key}.low"), q(spec["high"], f"{key}.high")
        log = bool(spec.get("log", False))
        if not low < high or (log and low <= 0):
            raise InputError(f"{key}: need 0 < low < high for log, low < high otherwise (got {low:g}, {high:g})")
        hint = None
        if "gmid" in spec:
            h = spec["gmid"]
            try:
                hint = GmIdHint(str(h["polarity"]), q(h["l"], f"{key}.gmid.l"), q(h["gm_id"], f"{key}.gmid.gm_id"),
                                q(h["id"], f"{key}.gmid.id"), q(h.get("vds", 0.9), f"{key}.gmid.vds"))
            except (KeyError, TypeError):
                raise InputError(f"{key}.gmid needs polarity, l, gm_id and id",
                                 fix="e.g. gmid: {polarity: nmos, l: 0.5, gm_id: 15, id: 10uA}") from None
        variables.append(Variable(str(vname).lower(), low, high, log, bool(spec.get("int", False)), hint,
                                  _design_value(declared[str(vname).lower()], low, high)))
    if not variables:
        raise InputError("the spec has no variables", fix="add e.g. variables: {wdp: {low: 1, high: 50, log: true}}")
    corners = parse_corners(",".join(map(str, data.get("corners") or ["tt"])), pdk)
    temps = parse_temps(",".join(map(str, data.get("temps") or [27])))
    return SizingSpec(bench, tuple(targets), tuple(variables), pdk.name, corners, temps)


#: the comparison a noise or swing target must use (less noise, more swing is better)
_EXTRA_OP = {"noise_nv_rthz": "<=", "noise_uv_rms": "<=", "swing_v": ">="}


def _noise_settings(data: Mapping[str, Any], q, path: Path | None) -> tuple[float, tuple[float, float] | None]:
    """The spec's ``noise_freq`` (default 1 kHz) and ``noise_band`` ([low, high] or None), checked."""
    where = str(path) if path else None
    freq = q(data.get("noise_freq", 1e3), "noise_freq")
    if not (math.isfinite(freq) and freq > 0):
        raise InputError(f"noise_freq must be a positive frequency, got {freq:g}", where=where,
                         fix="write e.g. noise_freq: 1kHz")
    band = data.get("noise_band")
    if band is None:
        return freq, None
    if not isinstance(band, (list, tuple)) or len(band) != 2:
        raise InputError("noise_band must be [low, high]", where=where, fix="write e.g. noise_band: [1Hz, 1MHz]")
    lo, hi = q(band[0], "noise_band[0]"), q(band[1], "noise_band[1]")
    if not (math.isfinite(lo) and math.isfinite(hi) and 0 < lo < hi):
        raise InputError(f"noise_band needs 0 < low < high, got {lo:g}..{hi:g} Hz", where=where,
                         fix="write e.g. noise_band: [1Hz, 1MHz]")
    return freq, (lo, hi)


def _check_extra_target(target: Target, bench: AmpBench, path: Path | None) -> None:
    """A noise or swing target: positive, compared the useful way, with the band it needs."""
    if target.figure not in _EXTRA_OP:
        return
    where = str(path) if path else None
    op = _EXTRA_OP[target.figure]
    if target.op != op:
        raise InputError(f"target {target.figure} must be '{op} value' (got {target.op})", where=where,
                         fix=f'write e.g. "{target.figure}: {op} {target.value:g}"')
    if not (math.isfinite(target.value) and target.value > 0):
        raise InputError(f"target {target.figure} must be a positive number, got {target.value:g}", where=where)
    if target.figure == "noise_uv_rms" and bench.noise_band is None:
        raise InputError("target noise_uv_rms needs the band to integrate over", where=where,
                         fix="add noise_band: [1Hz, 1MHz] to the spec")
    if target.figure == "swing_v" and target.value >= bench.supply_v:
        raise InputError(f"target swing_v {target.value:g} V is not below the supply {bench.supply_v:g} V",
                         where=where, fix="ask for less swing than the supply")


@dataclass(frozen=True)
class Evaluation:
    """One candidate at every corner: its figures per (corner, temp), cost, and worst corner."""

    index: int
    params: Mapping[str, float]
    per_corner: Mapping[str, Mapping[str, float | None]]
    cost: float
    worst: str
    error: str | None = None
    screened_out: bool = False   # failed the screening point; the other points were not simulated

    @property
    def feasible(self) -> bool:
        return self.cost == 0.0 and self.error is None and not self.screened_out

    @property
    def objective(self) -> float:
        """What the optimiser minimises: lexicographic (simulated everywhere, then cost) in one
        number. cost/(1+cost) is in [0, 1) and keeps the order of the costs (TPE and random
        only use the order); a screened-out candidate adds 1, so it ranks behind every
        candidate simulated at all points, ordered by its screening violation."""
        return (1.0 if self.screened_out else 0.0) + self.cost / (1.0 + self.cost)

    @property
    def simulations(self) -> int:
        """(corner, temperature) points this candidate was simulated at."""
        return len(self.per_corner) or 1


def _cost(spec: SizingSpec, figs: Mapping[str, float | None]) -> float:
    return sum(t.violation(figs.get(t.figure)) for t in spec.targets)


#: the copies of :class:`~chipsmith.spice.ampbench.AmpBench`'s deck (its ``deck`` arguments):
#: ``dm`` measures gain, GBW, PM, -3 dB and power; the others one figure each
_COPIES = {"dm": (True, "0", False, False), "cm": (True, "cm_inp", False, False), "ps": (False, "0", True, False),
           "sr": (False, "0", False, True)}
_COPY_OF = {"cmrr_db": "cm", "psrr_db": "ps", "slew_v_per_us": "sr", "noise_nv_rthz": "nz", "noise_uv_rms": "nz",
            "swing_v": "sw"}
#: copies simulated in a second ngspice run of their own (.noise and a DC sweep), only on demand
_EXTRA_COPIES = ("nz", "sw")


def bench_copies(spec: SizingSpec) -> tuple[str, ...]:
    """The bench copies the spec's targets need: the copies share only ground, so leaving out
    the unused ones changes no figure and cuts the matrix (and the .op/.ac time) up to 4x."""
    need = {_COPY_OF.get(t.figure, "dm") for t in spec.targets}
    return tuple(c for c in _COPIES if c == "dm" or c in need)


def extra_copies(spec: SizingSpec) -> tuple[str, ...]:
    """The noise/swing copies the targets need (none: no second ngspice run)."""
    need = {_COPY_OF.get(t.figure) for t in spec.targets}
    return tuple(c for c in _EXTRA_COPIES if c in need)


def _extra_batch(deck: str, bench: AmpBench, copies: Sequence[str], batch: Sequence[Mapping[str, float]],
                 timeout: float, include_dirs: Sequence[Path], source: str) -> list[dict | str]:
    """Noise and swing figures of each candidate, from one ngspice run of the ``nz``/``sw``
    copies (the runner's analyses have no .noise, so this writes its own control block, in
    the manner of :func:`~chipsmith.spice.variants.simulate_variants`)."""
    from chipsmith.spice import measure
    from chipsmith.spice.results import plot_to_waveform, read_rawfile
    from chipsmith.spice.runner import ngspice_errors, prepare_circuit, resolve_includes
    from chipsmith.spice.variants import declared_params, run_batch

    body = resolve_includes(prepare_circuit(deck, source), include_dirs)
    defaults = declared_params(body)
    touched = sorted({name.lower() for variant in batch for name in variant})
    f1, f2 = bench.noise_sweep()
    lo, hi, step = bench.swing_sweep()
    commands = ["set filetype=binary"]
    for k, variant in enumerate(batch):
        values = {name: defaults[name] for name in touched} | {n.lower(): repr(float(v)) for n, v in variant.items()}
        commands += ["destroy all", *(f"alterparam {n}={v}" for n, v in values.items()), "reset"]
        if "sw" in copies:
            commands += [f"dc vswin {lo!r} {hi!r} {step!r}", f"write v{k}/dc.raw v(sw_out)"]
        if "nz" in copies:  # after `destroy all` the spectrum plot is noise1 again
            commands += [f"noise v(nz_out) vnzin dec 20 {f1!r} {f2!r}", "setplot noise1",
                         f"write v{k}/noise.raw inoise_spectrum"]
    def read(folder: Path, log: str, _seconds: float) -> dict | str:
        figs: dict[str, float | None] = {}
        try:
            if "sw" in copies:
                dc = _read_wave(folder / "dc.raw", "dc", log, read_rawfile, plot_to_waveform)
                swing_lo, swing_hi = measure.output_swing(dc, "v(sw_out)", bench.swing_fraction)
                figs["swing_v"] = swing_hi - swing_lo
            if "nz" in copies:
                nz = _read_wave(folder / "noise.raw", "noise", log, read_rawfile, plot_to_waveform)
                density = np.asarray(nz.get("inoise_spectrum")).real
                figs["noise_nv_rthz"] = measure.noise_density_at(nz.x, density, bench.noise_freq) * 1e9
                if bench.noise_band is not None:
                    figs["noise_uv_rms"] = measure.integrated_noise(nz.x, density, *bench.noise_band) * 1e6
        except SimulationError as exc:
            return exc.one_line() if not ngspice_errors(log) else f"{exc.message}: {ngspice_errors(log)}"
        return figs

    results = run_batch(body, commands, len(batch), timeout, f"the {len(batch)}-candidate noise/swing batch", read,
                        prefix="chipsmith-noise-")
    return [r.one_line() if isinstance(r, SimulationError) else r for r in results]


def _read_wave(path: Path, kind: str, log: str, read_rawfile, plot_to_waveform):
    if not path.exists():
        raise SimulationError(f"ngspice {kind} analysis wrote no results")
    return plot_to_waveform(read_rawfile(path.read_bytes(), source=path.name))


def _bench_deck(bench: AmpBench, design: str, copies: Sequence[str]) -> str:
    lines = ["* chipsmith sizing bench", design.strip()]
    for copy in copies:
        lines += bench._copy(copy, *_COPIES[copy])
    return "\n".join(lines) + "\n"


def _figures(bench: AmpBench, result, copies: Sequence[str]) -> dict[str, float | None]:
    """:func:`~chipsmith.spice.ampbench.figures` for a deck holding only ``copies`` (None for
    the figures of the copies left out)."""
    if set(copies) == set(_COPIES):
        return figures(bench, result)
    from chipsmith.spice import measure
    from chipsmith.spice.ampbench import _safe, _slew

    ac, op, tran = result.ac, result.op, result.tran
    if ac is None or op is None:
        raise SimulationError("the op-amp bench needs op and ac results")
    dm = "v(dm_out)"
    figs: dict[str, float | None] = dict.fromkeys(FIGURES)
    figs.update({"gain_db": measure.dc_gain_db(ac, dm), "gbw_hz": _safe(measure.unity_gain_frequency, ac, dm),
                 "pm_deg": _safe(measure.phase_margin, ac, dm), "f3db_hz": _safe(measure.bandwidth_3db, ac, dm),
                 "power_w": abs(op.i("vdmdd")) * bench.supply_v})
    if "cm" in copies:
        figs["cmrr_db"] = figs["gain_db"] - measure.dc_gain_db(ac, "v(cm_out)")
    if "ps" in copies:
        figs["psrr_db"] = figs["gain_db"] - measure.dc_gain_db(ac, "v(ps_out)")
    if "sr" in copies and tran is not None:
        figs["slew_v_per_us"] = _slew(tran.x, np.asarray(tran.get("v(sr_out)")).real, bench)
    return figs


def _corner_task(args: tuple) -> list[dict | str]:
    """Run one batch at one (corner, temp): figures per candidate, or the error text."""
    design, spec, corner, temp, batch, timeout, lean = args
    from chipsmith.spice.flows import with_models
    from chipsmith.spice.pdk import get_pdk
    from chipsmith.spice.pdk_core import core_pdk
    from chipsmith.spice.runner import Ac, Op, Tran
    from chipsmith.spice.variants import simulate_variants

    pdk = core_pdk(get_pdk(spec.pdk), design) if lean else get_pdk(spec.pdk)
    bench = spec.bench
    analyses = [Op(), Ac(1.0, 10e9, 10)]
    if spec.needs_tran:
        analyses.append(Tran(bench.tran_stop / 500, bench.tran_stop))
    copies = bench_copies(spec) if lean else tuple(_COPIES)
    deck = with_models(_bench_deck(bench, design, copies), pdk.model_lines(corner, temp))
    results = simulate_variants(deck, analyses, batch, timeout_s=timeout, trusted=True, include_dirs=pdk.model_dirs,
                                source=f"sizing {corner} {temp:g}C")
    extra = extra_copies(spec)
    if extra:
        lines = ["* chipsmith noise/swing bench", design.strip()]
        lines += bench.noise_copy() if "nz" in extra else []
        lines += bench.swing_copy() if "sw" in extra else []
        extra_deck = with_models("\n".join(lines) + "\n", pdk.model_lines(corner, temp))
        extras = _extra_batch(extra_deck, bench, extra, batch, timeout, pdk.model_dirs,
                              f"sizing noise/swing {corner} {temp:g}C")
    else:
        extras = [{} for _ in batch]
    out: list[dict | str] = []
    for r, x in zip(results, extras):
        if isinstance(r, SimulationError):
            out.append(r.one_line())
            continue
        if isinstance(x, str):
            out.append(x)
            continue
        try:
            out.append({**_figures(bench, r, copies), **x})
        except SimulationError as exc:
            out.append(exc.one_line())
    return out


def _run_points(design: str, spec: SizingSpec, points: Sequence[tuple[str, float]],
                batch: Sequence[Mapping[str, float]], client, timeout: float, lean: bool) -> list[list[dict | str]]:
    tasks = [(design, spec, c, t, list(batch), timeout, lean) for c, t in points]
    if not batch or not tasks:
        return [[] for _ in tasks]
    if client is None or len(tasks) == 1:
        return [_corner_task(task) for task in tasks]
    from chipsmith.parallel import map_unordered

    return map_unordered(_corner_task, tasks, client)


def evaluate(design: str, spec: SizingSpec, batch: Sequence[Mapping[str, float]], *, client=None, start_index: int = 0,
             timeout: float = 600.0, screen: bool = False, lean: bool = True) -> list[Evaluation]:
    """Evaluate a batch of candidates at every (corner, temperature) of the spec.

    ``screen``: simulate the first point for the whole batch and the others only for the
    candidates that meet every target there. ``lean``: load only the PDK's core MOSFET
    models when the design needs nothing else, and simulate only the bench copies the
    targets need (the same figures, several times faster; ``lean=False`` is the full bench
    with the full library)."""
    points = [(c, t) for c in spec.corners for t in spec.temps]
    screen = screen and len(points) > 1
    first = _run_points(design, spec, points[:1] if screen else points, batch, client, timeout, lean)
    if screen:
        passed = [k for k, r in enumerate(first[0]) if not isinstance(r, str) and _cost(spec, r) == 0.0]
        rest = _run_points(design, spec, points[1:], [batch[k] for k in passed], client, timeout, lean)
        per_point: list[list[dict | str | None]] = [first[0]] + [[None] * len(batch) for _ in points[1:]]
        for j, results in enumerate(rest, start=1):
            for k, r in zip(passed, results):
                per_point[j][k] = r
    else:
        per_point = first
    evaluations = []
    for k, params in enumerate(batch):
        per_corner, worst, worst_cost, error, skipped = {}, "", -1.0, None, False
        for (corner, temp), results in zip(points, per_point):
            key = f"{corner}/{temp:g}C"
            r = results[k]
            if r is None:  # screened out: this point was never simulated
                skipped = True
                continue
            if isinstance(r, str):
                per_corner[key], cost, error = {}, 10.0 * len(spec.targets), r
            else:
                per_corner[key], cost = r, _cost(spec, r)
            if cost > worst_cost:
                worst, worst_cost = key, cost
        evaluations.append(Evaluation(start_index + k, dict(params), per_corner, worst_cost, worst, error, skipped))
    return evaluations


def gmid_start(spec: SizingSpec) -> dict[str, float] | None:
    """A first candidate from gm/Id tables for variables that carry a hint; the others keep the
    design's own .param value (the designer's starting point) or, failing that, mid-range."""
    hinted = [v for v in spec.variables if v.gmid is not None]
    if not hinted:
        return None
    from chipsmith.spice.gmid import build_table
    from chipsmith.spice.pdk import get_pdk
    from chipsmith.spice.pdk_core import core_pdk

    pdk = get_pdk(spec.pdk)
    pdk = core_pdk(pdk, f"{pdk.nmos.name} {pdk.pmos.name}")  # the table needs only the core MOSFETs
    start = default_start(spec)
    tables: dict[tuple[str, float], Any] = {}
    for v in hinted:
        h = v.gmid
        key = (h.polarity, h.l)
        if key not in tables:
            tables[key] = build_table(pdk, h.polarity, lengths=(h.l,), corner=spec.corners[0], temp_c=spec.temps[0])
        table = tables[key]
        point = table.lookup(table.lengths[0], h.gm_id, h.vds)
        width = h.id / point["id_w"]
        start[v.name] = min(max(width, v.low), v.high)
    for v in spec.variables:
        if v.integer:
            start[v.name] = float(round(start[v.name]))
    return start


@dataclass
class SizingResult:
    method: str
    seed: int
    evaluations: list[Evaluation] = field(default_factory=list)
    seconds: float = 0.0
    start: dict[str, float] | None = None

    @property
    def best(self) -> Evaluation | None:
        ok = [e for e in self.evaluations if e.error is None] or self.evaluations
        return min(ok, key=lambda e: (e.objective, e.index)) if ok else None

    @property
    def simulations(self) -> int:
        """Candidate x (corner, temperature) simulations run (screening makes this smaller)."""
        return sum(e.simulations for e in self.evaluations)

    @property
    def success(self) -> bool:
        return any(e.feasible for e in self.evaluations)

    @property
    def evaluations_to_success(self) -> int | None:
        first = next((e for e in self.evaluations if e.feasible), None)
        return None if first is None else first.index + 1


METHODS = ("cmaes", "tpe", "random")


def _sampler(method: str, seed: int, budget: int, multivariate: bool):
    import optuna

    if method == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    # multivariate TPE models the joint density of the sizes (a width only works with its
    # length and bias); constant_liar keeps the candidates of one batch apart
    return optuna.samplers.TPESampler(seed=seed, n_startup_trials=min(startup_trials(budget), budget),
                                      constant_liar=True, multivariate=multivariate)


def startup_trials(budget: int) -> int:
    """Random candidates TPE draws before it models the good ones."""
    return 16 if budget >= 64 else max(1, budget // 4)


def default_start(spec: SizingSpec) -> dict[str, float]:
    """The design's own .param values where usable, else mid-range (geometric for log variables)."""
    def value(v) -> float:
        x = v.design_value if v.design_value is not None else math.sqrt(v.low * v.high) if v.log else (v.low + v.high) / 2
        return float(round(x)) if v.integer else x

    return {v.name: value(v) for v in spec.variables}


class _OptunaProposer:
    """Optuna's ask/tell behind the interface :class:`~chipsmith.spice.sizing_cmaes.CmaSearch` has."""

    def __init__(self, spec: SizingSpec, study) -> None:
        self.spec, self.study, self.trials = spec, study, []

    def ask(self, n: int) -> list[dict[str, float]]:
        self.trials = [self.study.ask() for _ in range(n)]
        return [{v.name: (float(t.suggest_int(v.name, int(math.ceil(v.low)), int(math.floor(v.high))))
                          if v.integer else t.suggest_float(v.name, v.low, v.high, log=v.log))
                 for v in self.spec.variables} for t in self.trials]

    def tell(self, objectives: Sequence[float], evaluations: Sequence | None = None) -> None:
        for trial, y in zip(self.trials, objectives):
            self.study.tell(trial, y)


def size(design: str, spec: SizingSpec, *, budget: int = 64, batch: int = 8, method: str = "cmaes", seed: int = 0,
         client=None, use_gmid: bool = True, stop_at_success: bool = True, screen: bool = True,
         multivariate: bool = True, lean: bool = True, surrogate: bool = True, on_batch=None) -> SizingResult:
    """Search the spec's variables for a candidate that meets every target at every corner.
    ``surrogate``: CMA-ES pre-selects its candidates with per-target margin models."""
    if method not in METHODS:
        raise InputError(f"unknown sizing method {method!r}", fix=f"use one of: {', '.join(METHODS)}")
    if budget < 1 or batch < 1:
        raise InputError("budget and batch must be >= 1")
    result = SizingResult(method, seed)
    if use_gmid and method != "random":
        result.start = gmid_start(spec)
    if method == "cmaes":
        from chipsmith.spice.sizing_cmaes import CmaSearch

        proposer = CmaSearch(spec.variables, result.start or default_start(spec), seed, batch,
                             targets=spec.targets, surrogate=surrogate)
        return _search(design, spec, proposer, result, budget=budget, batch=batch, client=client,
                       stop_at_success=stop_at_success, screen=screen, lean=lean, on_batch=on_batch)
    import logging

    import optuna

    optuna.logging.set_verbosity(logging.WARNING)
    with warnings.catch_warnings():  # multivariate TPE and constant_liar are marked experimental in Optuna
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        study = optuna.create_study(direction="minimize", sampler=_sampler(method, seed, budget, multivariate))
        if result.start is not None:
            study.enqueue_trial(result.start)
        return _search(design, spec, _OptunaProposer(spec, study), result, budget=budget, batch=batch, client=client,
                       stop_at_success=stop_at_success, screen=screen, lean=lean, on_batch=on_batch)


def _search(design: str, spec: SizingSpec, proposer, result: SizingResult, *, budget: int, batch: int, client,
            stop_at_success: bool, screen: bool, lean: bool, on_batch) -> SizingResult:
    start_time = time.perf_counter()
    while len(result.evaluations) < budget:
        candidates = proposer.ask(min(batch, budget - len(result.evaluations)))
        evals = evaluate(design, spec, candidates, client=client, start_index=len(result.evaluations), screen=screen,
                         lean=lean)
        proposer.tell([ev.objective for ev in evals], evals)
        result.evaluations.extend(evals)
        if on_batch is not None:
            on_batch(len(result.evaluations), result)
        if stop_at_success and result.success:
            break
    result.seconds = time.perf_counter() - start_time
    return result


def result_summary(spec: SizingSpec, result: SizingResult) -> dict:
    best = result.best
    return {
        "method": result.method, "seed": result.seed, "pdk": spec.pdk, "corners": list(spec.corners),
        "temps": list(spec.temps), "targets": [str(t) for t in spec.targets],
        "success": result.success, "evaluations": len(result.evaluations), "simulations": result.simulations,
        "evaluations_to_success": result.evaluations_to_success, "seconds": result.seconds,
        "gmid_start": result.start,
        "best": None if best is None else {
            "params": dict(best.params), "cost": best.cost, "worst_corner": best.worst, "error": best.error,
            "screened_out": best.screened_out,
            "per_corner": {k: dict(v) for k, v in best.per_corner.items()},
            "margins": {k: {str(t): _margin(t, v.get(t.figure)) for t in spec.targets}
                        for k, v in best.per_corner.items()},
        },
        # the search objective's running best: 0 = met everywhere, below 1 = simulated at every
        # point (cost/(1+cost) of the worst one), 1 and above = failed the screening point
        "convergence": [min(e.objective for e in result.evaluations[:i + 1]) for i in range(len(result.evaluations))],
    }


def _margin(target: Target, measured: float | None) -> float | None:
    """Measured minus required (positive = met with room), in the figure's unit."""
    if measured is None or not math.isfinite(measured):
        return None
    return measured - target.value if target.op == ">=" else target.value - measured


def sized_design(design: str, params: Mapping[str, float]) -> str:
    """The design text with its .param values replaced by ``params``."""
    import re

    def replace(match: "re.Match[str]") -> str:
        name = match.group(1)
        if name.lower() in params:
            return f"{name}={params[name.lower()]:.6g}"
        return match.group(0)

    lines = []
    for line in design.splitlines():
        if line.lstrip().lower().startswith(".param"):
            line = re.sub(r"([A-Za-z_]\w*)\s*=\s*([^\s=]+)", replace, line)
        lines.append(line)
    return "\n".join(lines) + "\n"


def plot_convergence(summary: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(range(1, len(summary["convergence"]) + 1), summary["convergence"], drawstyle="steps-post")
    ax.set(xlabel="candidates simulated", ylabel="best objective (0 = met; >= 1: failed tt)", yscale="symlog",
           title=f"{summary['method']} sizing, {len(summary['corners'])} corner(s)")
    ax.grid(True, alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def size_flow(design_path: Path, spec_path: Path, out: Path, *, pdk: str | None = None, corners: str | None = None,
              temps: str | None = None, budget: int = 64, batch: int = 8, method: str = "cmaes", seed: int = 0,
              workers: int | None = None, scheduler: str | None = None, quiet: bool = False) -> dict:
    """Read the design and spec, size, and write summary.json, sized.cir and convergence.png into ``out``."""
    import yaml

    from chipsmith.artifacts import atomic_write_text, staged_output, write_json
    from chipsmith.options import resolve_workers
    from chipsmith.parallel import ClusterConfig, get_client
    from chipsmith.spice.check import read_netlist_file
    from chipsmith.spice.safety import check_safe

    design = read_netlist_file(design_path)
    check_safe(design, str(design_path), allowed_include_dirs=())  # untrusted, and models come from the PDK
    if not spec_path.is_file():
        raise InputError("spec file not found", where=str(spec_path), fix="pass a YAML file with --spec")
    try:
        data = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read the spec as YAML ({type(exc).__name__})", where=str(spec_path),
                         fix="check its syntax") from None
    data = dict(data or {})
    if pdk:
        data["pdk"] = pdk
    if corners:
        data["corners"] = [c for c in corners.split(",") if c.strip()]
    if temps:
        data["temps"] = [t for t in temps.split(",") if t.strip()]
    spec = load_spec(data, design, spec_path)
    from chipsmith.spice.pdk import get_pdk
    from chipsmith.spice.retarget import retarget_text

    design = retarget_text(design, get_pdk(spec.pdk), str(design_path))  # generic devices become the PDK's
    n_workers = resolve_workers(workers, scheduler)
    points = len(spec.corners) * len(spec.temps)
    progress = None if quiet else (lambda n, r: print(f"  {n} candidates, best cost {r.best.cost:.4g}", flush=True))
    if n_workers == 1 or points == 1:
        result = size(design, spec, budget=budget, batch=batch, method=method, seed=seed, on_batch=progress)
    else:
        config = ClusterConfig.from_env(scheduler=scheduler, workers=min(n_workers or points, points))
        with get_client(config) as client:
            result = size(design, spec, budget=budget, batch=batch, method=method, seed=seed, client=client,
                          on_batch=progress)
    summary = {"design": str(design_path), "spec": str(spec_path), **result_summary(spec, result),
               "files": ["summary.json", "sized.cir", "convergence.png"]}
    with staged_output(out) as stage:
        best = result.best
        atomic_write_text(stage / "sized.cir", sized_design(design, best.params if best else {}))
        plot_convergence(summary, stage / "convergence.png")
        write_json(stage / "summary.json", summary)
    return summary
