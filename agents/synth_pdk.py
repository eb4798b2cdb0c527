"""``chipsmith synth --pdk sky130 --corners ... --temps ...``: a planned design moved onto a real process.

The planner designs with the generic level-1 cards as always; then:

1. :func:`flatten` expands the design's library blocks into one ``.subckt design`` of
   primitive devices with numeric sizes (so every device can be sized on its own grid);
2. :func:`sized_text` scales it by a handful of knobs (NMOS width, PMOS width, the input
   devices' width, channel length, resistor and capacitor values), clamps each device to the PDK's limits and moves
   it onto the PDK's devices (:func:`chipsmith.spice.retarget.retarget`: names, µm, grid);
3. the independent judge (:func:`chipsmith.spice.judge_pdk.judge_corners`) checks every
   requirement at every requested corner x temperature on the PDK's models;
4. when it fails, Optuna's TPE sampler searches the knobs (the generic sizing at knobs 1,
   then a few designer's moves a real process usually needs, then TPE), each candidate
   judged at the first corner first and at the others only once that passes. The first
   candidate that passes everywhere is the design; none within the budget: no success.

Why global knobs rather than one variable per device: the planner's ratios (mirror ratios,
pair matching, stage ratios) carry the topology's intent and must survive the move; what
changes between level-1 cards and sky130 is mostly how strong each polarity is (PMOS are
much weaker, thresholds higher) and how much output resistance a length buys.
"""
from __future__ import annotations

import ast
import math
import operator
import re
import time
from dataclasses import dataclass, field, replace
from typing import Any, Callable, Sequence

from chipsmith.errors import InputError
from chipsmith.spice.netlist import Element, Netlist, Subckt
from chipsmith.spice.pdk import Pdk

KNOBS = {  # name: (low, high), all searched on a log scale; 1 = the generic design's own sizing
    "sn": (0.25, 8.0),   # NMOS widths
    "sp": (0.25, 16.0),  # PMOS widths
    "si": (0.25, 16.0),  # input devices' widths again (gates on a signal input port): gm against the loads;
                         # up to 16: a PMOS pair on sky130 at a mid-rail input needs weak inversion (fingers)
    "kl": (0.5, 8.0),    # every channel length
    "lp": (0.15, 4.0),   # PMOS lengths again: sky130's pfet_01v8 threshold rolls off at short L (at
                         # |Vgs| 0.9 V, 0.12 uA at L=1 vs 41 uA at L=0.15 for W=7), so a PMOS source
                         # biased mid-rail, starved at the planner's L, conducts when shortened
    "kr": (0.2, 5.0),    # every resistor
    "kc": (0.25, 4.0),   # every capacitor
}
# each judge ngspice run on BSIM4 cards: the judge's fine DC sweeps of a two-stage op-amp take
# seconds on an idle core and tens of seconds on a shared one; a time-out fails the candidate
PDK_TIMEOUT_S = 120.0
# designer's first moves on sky130 (after the generic sizing itself): stronger PMOS, longer
# channels for output resistance, both
SEEDS = ({}, {"sp": 3.0}, {"si": 3.0}, {"sp": 2.0, "kl": 2.0})


# what a designer changes first when a figure falls short on the PDK (after the generic
# sizing and SEEDS): each a multiplier on the best candidate's knobs so far. Why these:
# speed (GBW/UGB/bandwidth/slew) wants gm per capacitance: wider, shorter input devices and
# more current; gain wants output resistance: longer channels; phase margin wants the
# nulling resistor's left-half-plane zero and a larger Miller cap (or a faster output
# stage: shorter channels); a power ceiling wants less current (narrower current sources);
# a circuit that does not work as its family at all (the family check fails) is first
# suspected of a starved PMOS source (shorter PMOS: see "lp").
MOVES: dict[str, tuple[dict[str, float], ...]] = {
    "speed": ({"si": 4.0, "kl": 0.5}, {"sn": 2.0, "sp": 2.0, "si": 2.0, "kl": 0.5}),
    "gain": ({"kl": 2.5}, {"kl": 2.5, "si": 2.0}),
    "bias": ({"lp": 0.2},),
    "pm": ({"kr": 3.0}, {"kr": 3.0, "kc": 1.5, "kl": 0.6}),
    "power": ({"sn": 0.5, "sp": 0.5},),
}
_MOVE_OF = {"gbw_hz": "speed", "ugb_hz": "speed", "f3db_hz": "speed", "slew_vps": "speed", "settling_s": "speed",
            "gain_db": "gain", "gain_vv": "gain", "pm_deg": "pm", "power_w": "power", "supply_current_a": "power"}


def moves_for(request, verdict, knobs: dict[str, float], names: Sequence[str]) -> list[dict[str, float]]:
    """The designer's moves for what ``verdict`` (the best candidate's, at its failing
    point) failed: :data:`MOVES` applied to ``knobs``, only over the knobs ``names`` the design
    has, clamped to :data:`KNOBS`. A low open-loop gain found by the family check counts as gain."""
    if verdict is None:
        return []
    reqs = {r.id: r for r in request.requirements}
    wanted: list[str] = []
    for res in verdict.failures:
        req = reqs.get(res.id)
        kind = None
        if req is not None and req.kind == "target":
            kind = _MOVE_OF.get(req.params["figure"])
            if kind in ("speed", "gain") and req.params["op"] not in (">=", ">") and req.params["figure"] != "settling_s":
                kind = None  # an upper bound or a ~ target: the direction is not "more"
        elif res.kind == "family":
            kind = "bias"
            if "gain" in (res.detail or "").lower() and "gain" not in wanted:
                wanted.append("gain")
        if kind and kind not in wanted:
            wanted.insert(0 if kind == "bias" else len(wanted), kind)
    out = []
    for kind in wanted:
        for move in MOVES[kind]:
            point = {k: knobs.get(k, 1.0) for k in names}
            for k, factor in move.items():
                if k in point:
                    point[k] = _clamp(point[k] * factor, *KNOBS[k])
            if point != {k: knobs.get(k, 1.0) for k in names}:
                out.append(point)
    return out


# --- flattening ----------------------------------------------------------------------------

_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
        ast.Pow: operator.pow, ast.USub: operator.neg, ast.UAdd: operator.pos}
_TOKEN = re.compile(r"(?<![\w.])(\d+\.?\d*(?:e[+-]?\d+)?|\.\d+(?:e[+-]?\d+)?)(meg|mil|[tgkmunpfa])?[a-z]*"
                    r"|([a-z_]\w*)", re.IGNORECASE)


def _eval(value, env: dict[str, float], where: str) -> float:
    """A netlist value (a number, or a ``{expr}`` of + - * / ** over params and SPICE numbers)."""
    from chipsmith.spice.units import parse_value

    if isinstance(value, (int, float)):
        return float(value)
    text = str(value).strip().strip("{}'\"")
    try:
        return parse_value(text)
    except Exception:  # noqa: BLE001 - not a plain number: an expression
        pass

    def sub(m: re.Match) -> str:
        if m.group(3):
            name = m.group(3).lower()
            if name not in env:
                raise InputError(f"parameter {name!r} has no value", where=where)
            return repr(env[name])
        return repr(parse_value(m.group(0)))

    expr = _TOKEN.sub(sub, text)

    def walk(node):
        if isinstance(node, ast.Expression):
            return walk(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return float(node.value)
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            return _OPS[type(node.op)](walk(node.left), walk(node.right))
        if isinstance(node, ast.UnaryOp) and type(node.op) in _OPS:
            return _OPS[type(node.op)](walk(node.operand))
        raise ValueError(ast.dump(node))

    try:
        return float(walk(ast.parse(expr, mode="eval")))
    except (SyntaxError, ValueError, ZeroDivisionError, OverflowError):
        raise InputError(f"cannot evaluate {value!r}", where=where,
                         fix="sizes must be numbers or arithmetic of .param values") from None


def _scope(sub: Subckt, inst: dict[str, Any], parent: dict[str, float], where: str) -> dict[str, float]:
    env = dict(parent)
    for k, v in sub.params.items():
        env[k.lower()] = _eval(v, parent, where)
    for k, v in inst.items():
        env[k.lower()] = _eval(v, parent, where)
    for k, v in sub.local_params.items():
        env[k.lower()] = _eval(v, env, where)
    return env


def flatten(netlist: Netlist, top: str = "design") -> Netlist:
    """``netlist`` with its ``top`` subcircuit's X instances of local subcircuits expanded,
    every size and value a number. Nested names are ``<name>_<instance path>``, or the
    bare ``<name>`` where no other element has it (top-level names, which a request may
    name, stay as written); generic models move into ``top``."""
    design = netlist.subckt(top)
    if design is None:
        raise InputError(f"the design has no .subckt {top}")
    models = dict(netlist.models)
    out: list[Element] = []
    originals: list[Element] = []  # each flat element's element as written in its block

    def expand(sub: Subckt, netmap: dict[str, str], prefix: str, env: dict[str, float], depth: int) -> None:
        models.update(sub.models)
        for e in sub.elements:
            where = e.where
            definition = netlist.subckt(e.model or "") if e.kind == "X" else None
            nodes = tuple(netmap.get(n, "0" if n == "0" else f"{n}_{prefix}" if prefix else n) for n in e.nodes)
            if definition is not None:
                if depth > 16 or len(definition.ports) != len(e.nodes):
                    raise InputError(f"instance {e.name} does not fit subcircuit {definition.name}", where=where)
                inner = dict(zip(definition.ports, nodes))
                expand(definition, inner, f"{e.name}_{prefix}" if prefix else e.name,
                       _scope(definition, dict(e.params), env, where), depth + 1)
                continue
            value = None if e.value is None else _eval(e.value, env, where) if e.kind in "RCL" else e.value
            params = {k: (_eval(v, env, where) if k.lower() in ("w", "l", "m", "nf") else v)
                      for k, v in e.params.items()}
            name = f"{e.name}_{prefix}" if prefix else e.name
            out.append(replace(e, name=name, nodes=nodes, value=value, params=params))
            originals.append(e)

    expand(design, {p: p for p in design.ports}, "", _scope(design, {}, {k.lower(): _eval(v, {}, "param")
                                                                         for k, v in netlist.params.items()},
                                                                 "design"), 0)
    # a block's element whose own name is unique in the whole design keeps it: a request
    # that names a component ("Miller capacitor named Cc") finds the block's `cc` in the
    # hierarchy on generic cards, and must find it in the flat PDK design too
    counts: dict[str, int] = {}
    for b in originals:
        counts[b.name.lower()] = counts.get(b.name.lower(), 0) + 1
    taken = {e.name.lower() for e in out}
    out = [replace(e, name=b.name) if e.name != b.name and counts[b.name.lower()] == 1
           and b.name.lower() not in taken else e for e, b in zip(out, originals)]
    flat = Subckt(design.name, design.ports, tuple(out), models)
    return Netlist(netlist.title, (), {design.name: flat}, {}, {}, ())


def parse_design(text: str) -> Netlist:
    from chipsmith.spice.parser import parse_netlist

    first, _, rest = text.lstrip("\n").partition("\n")
    body = "* design\n" + (rest if first.lstrip().startswith("*") else text.lstrip("\n"))
    return parse_netlist(body, "<design>", allowed_include_dirs=None)


# --- sizing knobs -> a PDK netlist ---------------------------------------------------------

def knobs_for(flat: Netlist, inputs: Sequence[str] = ()) -> list[str]:
    """The knobs that move something in ``flat`` (no resistor: no ``kr``, ...); ``inputs``:
    the signal input ports (their devices get ``si`` on top of their polarity's knob)."""
    from chipsmith.spice.retarget import _polarities

    pol = _polarities(flat)
    elements = flat.subckt("design").elements
    kinds = {pol.get((e.model or "").lower()) for e in elements if e.kind == "M"}
    names = [k for k, p in (("sn", "nmos"), ("sp", "pmos")) if p in kinds]
    wanted = {i.lower() for i in inputs}
    if any(e.kind == "M" and len(e.nodes) > 1 and e.nodes[1].lower() in wanted for e in elements):
        names.append("si")
    if any(e.kind == "M" for e in elements):
        names.append("kl")
    if "pmos" in kinds:
        names.append("lp")
    if any(e.kind == "R" for e in elements):
        names.append("kr")
    if any(e.kind == "C" for e in elements):
        names.append("kc")
    return names


def _clamp(v: float, lo: float, hi: float) -> float:
    return min(max(v, lo), hi)


#: most parallel fingers one device is split into (a 100 um finger x 64: 6.4 mm of gate)
MAX_FINGERS = 64


def _fingers(total_w: float, m: int, dev) -> tuple[float, int]:
    """(W per finger in um, fingers) for a device of ``total_w`` um of gate width drawn as at
    least ``m`` fingers. A width past the PDK's per-finger limit becomes more fingers rather
    than being clipped: the planner's wide output and mirror devices (hundreds of um on
    level-1 cards) keep their current ratios and gm on the PDK."""
    m = max(1, m)
    m = min(MAX_FINGERS, max(m, math.ceil(total_w / dev.w_max - 1e-9)))
    return _clamp(total_w / m, dev.w_min, dev.w_max), m


def sized_text(flat: Netlist, pdk: Pdk, knobs: dict[str, float], title: str = "design",
               inputs: Sequence[str] = ()) -> str:
    """The flat design scaled by ``knobs``, clamped to the PDK's limits and moved onto its devices."""
    from chipsmith.spice.retarget import _polarities, retarget
    from chipsmith.spice.writer import write_netlist

    pol = _polarities(flat)
    design = flat.subckt("design")
    elements = []
    for e in design.elements:
        if e.kind == "M" and (e.model or "").lower() in pol:
            dev = pdk.device(pol[(e.model or "").lower()])
            params = {k.lower(): v for k, v in e.params.items()}
            scale_w = knobs.get("sn" if dev.polarity == "nmos" else "sp", 1.0)
            if e.nodes[1].lower() in {i.lower() for i in inputs}:
                scale_w *= knobs.get("si", 1.0)
            m = max(1, int(round(float(params.get("m", 1) or 1))))  # W is per finger: m x W of gate in all
            w, m = _fingers(float(params["w"]) * 1e6 * scale_w * m, m, dev)
            scale_l = knobs.get("kl", 1.0) * (knobs.get("lp", 1.0) if dev.polarity == "pmos" else 1.0)
            l = _clamp(float(params["l"]) * 1e6 * scale_l, dev.l_min, dev.l_max) * 1e-6
            params = {**params, "w": w * 1e-6, "l": l}
            if m > 1:
                params["m"] = m
            else:
                params.pop("m", None)
            elements.append(replace(e, params=params))
        elif e.kind == "R" and isinstance(e.value, float):
            elements.append(replace(e, value=e.value * knobs.get("kr", 1.0)))
        elif e.kind == "C" and isinstance(e.value, float):
            elements.append(replace(e, value=e.value * knobs.get("kc", 1.0)))
        else:
            elements.append(e)
    moved = retarget(replace(flat, subckts={"design": replace(design, elements=tuple(elements))}), pdk)
    left = list(moved.models) + [m for s in moved.subckts.values() for m in s.models]
    if left:
        raise Unmappable(f"the design uses device model(s) {', '.join(sorted(set(left)))} that have no {pdk.name} "
                         "device in chipsmith (only MOSFETs, resistors and capacitors move onto a PDK)")
    return f"* {title}\n" + write_netlist(replace(moved, title=""), end=False).lstrip("\n")


class Unmappable(InputError):
    """The design cannot be moved onto the PDK (a family/device the PDK flow does not cover)."""


# --- the search ----------------------------------------------------------------------------

@dataclass
class Candidate:
    index: int
    knobs: dict[str, float]
    cost: float
    passed_points: int
    verdict: Any = None  # CornerVerdict
    text: str = ""
    error: str = ""


@dataclass
class PdkResult:
    pdk: str
    corners: tuple[str, ...]
    temps: tuple[float, ...]
    candidates: list[Candidate] = field(default_factory=list)
    final: Any = None     # CornerVerdict of the chosen design at every point
    text: str = ""        # the chosen (or best) PDK netlist
    knobs: dict[str, float] = field(default_factory=dict)
    success: bool = False
    reason: str = ""
    seconds: float = 0.0

    @property
    def best(self) -> Candidate | None:
        ok = [c for c in self.candidates if not c.error]
        return min(ok, key=lambda c: (c.cost, c.index)) if ok else None


def _evaluate(flat: Netlist, pdk: Pdk, request, corners, temps, knobs: dict[str, float], index: int,
              title: str, timeout: float, inputs: Sequence[str] = ()) -> Candidate:
    from chipsmith.spice.judge_pdk import judge_corners

    try:
        text = sized_text(flat, pdk, knobs, title, inputs)
    except Unmappable:
        raise
    except InputError as exc:
        return Candidate(index, dict(knobs), math.inf, 0, None, "", exc.one_line())
    verdict = judge_corners(text, request, pdk, corners, temps, timeout=timeout, stop_at_failure=True)
    n_points = len(corners) * len(temps)
    done = len(verdict.verdicts)
    cost = verdict.cost()
    if done < n_points:  # the later points were not simulated: count them as failing like the last one
        last = verdict.verdicts[-1]
        reqs = {r.id: r for r in request.requirements}
        from chipsmith.spice.judge_pdk import shortfall

        last_cost = sum(shortfall(reqs[r.id], r) for r in last.results if r.must and r.id in reqs) + len(last.problems)
        cost += (n_points - done) * last_cost
    passed = sum(v.success for v in verdict.verdicts)
    return Candidate(index, dict(knobs), cost, passed, verdict, text)


def size_on_pdk(design_text: str, request, pdk: Pdk, corners: Sequence[str], temps: Sequence[float], *,
                budget: int = 30, seed: int = 0, title: str = "design", timeout: float = PDK_TIMEOUT_S,
                on_candidate: Callable[[Candidate], None] | None = None) -> PdkResult:
    """Move ``design_text`` (a generic chipsmith design) onto ``pdk`` and size it until the
    judge passes every requirement at every corner x temperature, or ``budget`` candidates."""
    import logging

    import optuna

    start = time.perf_counter()
    result = PdkResult(pdk.name, tuple(corners), tuple(float(t) for t in temps))
    flat = flatten(parse_design(design_text))
    from chipsmith.spice.requirements import INPUT_ROLES

    inputs = [p.name for p in request.interface.ports if p.role in INPUT_ROLES]
    names = knobs_for(flat, inputs)
    # the first corner (the user's first, usually tt) decides most candidates; the hottest
    # and coldest temperatures first among the rest is not needed: order as requested
    optuna.logging.set_verbosity(logging.WARNING)
    sampler = optuna.samplers.TPESampler(seed=seed, n_startup_trials=min(4, budget))
    study = optuna.create_study(direction="minimize", sampler=sampler)
    seen: set[tuple] = set()
    for s in SEEDS:
        point = {k: float(s.get(k, 1.0)) for k in names}
        key = tuple(sorted(point.items()))
        if key not in seen:
            seen.add(key)
            study.enqueue_trial(point)
    moved = False
    while len(result.candidates) < max(1, budget):
        if not moved and len(result.candidates) >= min(len(SEEDS), budget - 1) and result.best is not None:
            # the seeds are spent: the designer's moves for what the best one still fails
            moved = True
            best = result.best
            worst = None
            if best.verdict is not None and best.verdict.verdicts:
                worst = best.verdict.verdicts[-1]
            for point in moves_for(request, worst, best.knobs, names):
                key = tuple(sorted(point.items()))
                if key not in seen:
                    seen.add(key)
                    study.enqueue_trial(point)
        trial = study.ask()
        knobs = {k: trial.suggest_float(k, *KNOBS[k], log=True) for k in names}
        cand = _evaluate(flat, pdk, request, corners, temps, knobs, len(result.candidates), title, timeout, inputs)
        study.tell(trial, cand.cost if math.isfinite(cand.cost) else 1e6)
        result.candidates.append(cand)
        if on_candidate:
            on_candidate(cand)
        if cand.verdict is not None and cand.verdict.success:
            break
    best = result.best
    result.seconds = time.perf_counter() - start
    if best is None:
        result.reason = result.candidates[-1].error if result.candidates else "no candidate"
        return result
    result.knobs, result.text = best.knobs, best.text
    result.success = bool(best.verdict.success)
    if best.verdict.success:
        result.final = best.verdict
    else:  # judge the best one at every point, so the table shows every corner
        from chipsmith.spice.judge_pdk import judge_corners

        result.final = judge_corners(best.text, request, pdk, corners, temps, timeout=timeout)
        result.success = result.final.success
    if not result.success:
        worst = result.final.worst()
        idx = result.final.verdicts.index(worst)
        corner, temp = result.final.points[idx]
        result.reason = (f"no sizing of {len(result.candidates)} tried on {pdk.name} passes at every corner; "
                         f"worst {corner}/{temp:g}C: {worst.summary_line()}")
    result.seconds = time.perf_counter() - start
    return result


# --- the synth flow's PDK stage and its files ------------------------------------------------

def _requirement_rows(request, final) -> list[dict]:
    """summary.json's requirement rows: passed only if every corner passed; the figure and
    status shown are the worst point's."""
    from chipsmith.spice.judge_pdk import margin

    rows = []
    for r in request.requirements:
        row = {"id": r.id, "kind": r.kind, "requirement": r.describe(), "params": r.params.to_plain(),
               "source": r.source.to_dict(), "must": r.must, "status": "not_checked", "passed": False}
        if final is not None and final.verdicts:
            worst, worst_key = None, None
            for (corner, temp), v in zip(final.points, final.verdicts):
                res = next((x for x in v.results if x.id == r.id), None)
                if res is None:
                    continue
                fig = res.figure if isinstance(res.figure, (int, float)) and math.isfinite(res.figure) else None
                key = (res.passed, margin(r, fig) if margin(r, fig) is not None else math.inf)
                if worst is None or key < worst_key:
                    worst, worst_key = (res, fig, f"{corner}/{temp:g}C"), key
            if worst is not None:
                res, fig, point = worst
                row.update(status=res.status, passed=all(
                    next((x.passed for x in v.results if x.id == r.id), False) for v in final.verdicts),
                    figure=fig, detail=f"worst at {point}: {res.detail}", worst_point=point)
        rows.append(row)
    return rows


def run_pdk(outcome, request, pdk: Pdk, corners: Sequence[str], temps: Sequence[float], *, out, title: str,
            budget: int = 30, seed: int = 0, on_round: Callable[[str], None] | None = None) -> dict:
    """Move the synthesis outcome's design onto ``pdk``, size and judge it at every corner,
    and write design.cir / testbench.cir / summary.json / transcript.md into ``out``."""
    from chipsmith.agents.output import summary as generic_summary
    from chipsmith.artifacts import atomic_write_text, staged_output, write_json
    from chipsmith.spice.judge_pdk import point_key

    start = time.perf_counter()
    log = [f"## Moving the design onto {pdk.name} ({pdk.description})", "",
           f"Corners {', '.join(corners)}; temperatures {', '.join(f'{t:g}' for t in temps)} C. The generic design "
           f"{'passed' if outcome.success else 'did not pass'} the judge on the generic cards.", ""]
    result: PdkResult | None = None
    reason = ""
    if request.unconsumed:
        reason = outcome.reason
    elif not outcome.text:
        reason = f"no design to move onto {pdk.name}: {outcome.reason or 'the planner produced none'}"
    else:
        def note(c: Candidate) -> None:
            knobs = ", ".join(f"{k}={v:.3g}" for k, v in c.knobs.items()) or "generic sizing"
            n = len(c.verdict.points) if c.verdict is not None else len(corners) * len(temps)
            log.append(f"- candidate {c.index + 1}: {knobs}: "
                       + (f"rejected: {c.error}" if c.error
                          else f"{c.passed_points}/{n} points pass, cost {c.cost:.3g}"))
            if on_round:
                on_round(f"{pdk.name} candidate {c.index + 1}")

        try:
            result = size_on_pdk(outcome.text, request, pdk, corners, temps, budget=budget, seed=seed,
                                 title=title[:70], on_candidate=note)
            reason = result.reason
        except Unmappable as exc:
            reason = exc.message
        except InputError as exc:  # the generic design cannot be read as sizes (an LLM's expression...)
            reason = f"cannot move the design onto {pdk.name}: {exc.one_line()}"
    success = bool(result is not None and result.success and not request.unconsumed)
    log += ["", f"Result: {'every requirement passes at every corner' if success else 'FAILED: ' + reason}", ""]
    outcome.seconds += time.perf_counter() - start
    data = generic_summary(outcome)
    final = result.final if result is not None else None
    figures = {}
    for row in _requirement_rows(request, final):
        if row["kind"] == "target" and row.get("figure") is not None:
            figures[row["params"]["figure"]] = row["figure"]
    data.update({
        "success": success,
        "seconds": round(outcome.seconds, 3),
        "requirements": _requirement_rows(request, final),
        "figures": figures,
        "generic_success": bool(outcome.success),
        "pdk": {"name": pdk.name, "description": pdk.description, "licence": pdk.licence,
                "corners": list(corners), "temps": [float(t) for t in temps],
                "model_file": str(pdk.model_file), "supply_v": pdk.supply_v},
        "corners": ([{"point": point_key(c, t), "corner": c, "temp_c": t, "success": v.success,
                      "failed": [r.id for r in v.failures], "problems": list(v.problems),
                      "simulations": v.simulations}
                     for (c, t), v in zip(final.points, final.verdicts)] if final is not None else []),
        "corner_table": final.table() if final is not None else [],
        "pdk_sizing": ({"candidates": len(result.candidates), "knobs": result.knobs,
                        "seconds": round(result.seconds, 3),
                        "history": [{"index": c.index, "knobs": c.knobs, "passed_points": c.passed_points,
                                     "cost": c.cost if math.isfinite(c.cost) else None, "error": c.error or None}
                                    for c in result.candidates]} if result is not None else None),
        "simulations": data.get("simulations", 0) + sum(
            c.verdict.simulations for c in (result.candidates if result else []) if c.verdict is not None),
    })
    if success:
        data.pop("reason", None)
    else:
        data["reason"] = reason or outcome.reason or "no design passed at every corner"
    design_text = (result.text if result is not None and result.text else outcome.text
                   or "* chipsmith synth: no netlist was produced\n")
    body = design_text.split("\n", 1)[1] if design_text.startswith("*") else design_text
    # a sized PDK design loads its own models from models/ (a copy of the PDK's cut-down
    # library, relative includes), so `.include design.cir` simulates with plain ngspice
    export = bool(result is not None and result.text and pdk.section_per_corner)
    header = f"* chipsmith synth --pdk {pdk.name}: {title[:70]}\n"
    if export:
        from chipsmith.spice.pdk_core import EXPORT_CORNER

        lib = f"models/{EXPORT_CORNER.format(pdk=pdk.name, corner=corners[0])}"
        header += (f"* devices: {pdk.nmos.name}, {pdk.pmos.name}; models: the PDK's own, copied into models/, "
                   f"corner {corners[0]}\n* another corner: include models/{pdk.name}_<corner>.spice "
                   f"({', '.join(pdk.corners)}) instead\n.include \"{lib}\"\n")
    else:
        header += (f"* devices: {pdk.nmos.name}, {pdk.pmos.name}; load the models first, e.g.\n"
                   f"* {pdk.model_lines(corners[0]).strip()}\n")
    with staged_output(out) as stage:
        atomic_write_text(stage / "design.cir", header + body)
        files = ["design.cir", "summary.json", "transcript.md"]
        if export:
            from chipsmith.spice.pdk_core import export_core_library

            export_core_library(pdk, (pdk.nmos.name, pdk.pmos.name), stage / "models")
            files.append("models/")
            data["pdk"]["design_models"] = lib
        tb = outcome.proof.testbench if outcome.proof is not None else None
        if tb is not None and result is not None and result.text:
            body = tb.file_text(f"testbench for {title[:70]} on {pdk.name} at corner {corners[0]}")
            first, rest = body.split("\n", 1)
            # design.cir loads the models itself when exported: the testbench only sets the temperature
            models = pdk.model_lines(corners[0], temps[0]) if not export else f".temp {temps[0]:g}\n"
            atomic_write_text(stage / "testbench.cir", f"{first}\n{models}{rest}")
            files.append("testbench.cir")
        data["files"] = files
        atomic_write_text(stage / "transcript.md", "# chipsmith synth transcript\n\n" + "\n".join(outcome.transcript)
                          + "\n" + "\n".join(log) + "\n")
        write_json(stage / "summary.json", data)
    return data
