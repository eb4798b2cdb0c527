"""The independent judge: does a netlist do what the requirements say?

``judge(netlist_text, request)`` (or ``judge(text, (interface, requirements))``) checks
every requirement against the design alone:

- structurally, on the flattened topology graph (:mod:`chipsmith.spice.judge_structure`):
  stage count, load per stage, input devices, diode connections and their polarity,
  device counts, named components, cascodes, mirrors, pairs, feedback, passive/active;
- functionally, with ngspice testbenches the judge writes itself
  (:mod:`chipsmith.spice.judge_bench`): gain, GBW, UGB, phase margin, -3 dB, power,
  linear input/output relations, polarity, thresholds and hysteresis, filter response
  and order, oscillation frequency and amplitude, a control moving the frequency,
  output voltage and line regulation, output current and mirror ratio.

It reads only the requirements, the port roles and the netlist: it never imports the
agent and ignores comments and metadata in the file. A requirement the judge cannot
measure is ``unverifiable``, which counts as NOT passed. ``Verdict.success`` is true only
when every ``must`` requirement passes (and the request left nothing unconsumed).
The design text passes the safety policy before any simulation.
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any, Callable, Sequence

import numpy as np

from chipsmith.errors import ChipsmithError, InputError
from chipsmith.spice import measure
from chipsmith.spice.judge_bench import Harness, Unverifiable
from chipsmith.spice.judge_structure import Structure, design_structure
from chipsmith.spice.requirements import (INPUT_ROLES, Interface, PortRole, Request, Requirement)

PASS, FAIL, UNVERIFIABLE = "pass", "fail", "unverifiable"


@dataclass(frozen=True)
class RequirementResult:
    """The judge's finding on one requirement: status, the measured figure, and why."""

    id: str
    kind: str
    status: str
    figure: float | None = None
    detail: str = ""
    must: bool = True

    @property
    def passed(self) -> bool:
        return self.status == PASS

    def to_dict(self) -> dict[str, Any]:
        fig = self.figure
        if fig is not None and not (isinstance(fig, (int, float)) and math.isfinite(fig)):
            fig = None
        return {"id": self.id, "kind": self.kind, "status": self.status, "figure": fig, "detail": self.detail,
                "must": self.must}


@dataclass(frozen=True)
class Verdict:
    """Per-requirement results; ``success`` when every must-requirement passes."""

    results: tuple[RequirementResult, ...]
    problems: tuple[str, ...] = ()     # design-level problems (no design subckt, port mismatch...)
    unconsumed: tuple[str, ...] = ()
    seconds: float = 0.0
    simulations: int = 0

    @property
    def success(self) -> bool:
        return (not self.problems and not self.unconsumed and bool(self.results)
                and all(r.passed for r in self.results if r.must))

    @property
    def failures(self) -> tuple[RequirementResult, ...]:
        return tuple(r for r in self.results if r.must and not r.passed)

    def to_dict(self) -> dict[str, Any]:
        return {"success": self.success, "problems": list(self.problems), "unconsumed": list(self.unconsumed),
                "results": [r.to_dict() for r in self.results], "seconds": round(self.seconds, 3),
                "simulations": self.simulations}

    def summary_line(self) -> str:
        passed = sum(r.passed for r in self.results)
        text = f"{passed}/{len(self.results)} requirements pass"
        if self.failures:
            text += "; failing: " + "; ".join(f"{r.id} ({r.kind}): {r.detail}" for r in self.failures[:4])
        if self.problems:
            text += "; " + "; ".join(self.problems)
        return text


# --- entry point ------------------------------------------------------------------------

def judge(netlist_text: str, request: Request | tuple[Interface, Sequence[Requirement]], *,
          timeout: float = 30.0, models=None) -> Verdict:
    """Judge ``netlist_text`` (a self-contained ``.subckt design``) against the request.

    ``timeout`` is the limit of each ngspice run in seconds. ``models``: a
    :class:`chipsmith.spice.judge_pdk.Models` (a PDK's cards at one corner and
    temperature) loaded by every testbench; None: the design carries its own models.
    """
    start = time.perf_counter()
    if not isinstance(request, Request):
        interface, requirements = request
        request = Request("", interface, tuple(requirements))
    reqs = request.requirements
    prepared = _prepare(netlist_text, request, timeout, models)
    if isinstance(prepared, str):
        results = tuple(RequirementResult(r.id, r.kind, FAIL, None, prepared, r.must) for r in reqs)
        return Verdict(results, (prepared,), request.unconsumed, time.perf_counter() - start, 0)
    harness, structure = prepared
    ctx = _Context(harness, structure, request)
    results = tuple(_evaluate(ctx, r) for r in reqs)
    return Verdict(results, (), request.unconsumed, time.perf_counter() - start, harness.runs)


def _prepare(text: str, request: Request, timeout: float, models=None) -> tuple[Harness, Structure] | str:
    from chipsmith.spice.parser import parse_netlist
    from chipsmith.spice.safety import check_safe

    if not isinstance(text, str) or not text.strip():
        return "the netlist is empty"
    # the first line of a netlist is its title (ignored by SPICE): the judge writes its own
    first, _, rest = text.lstrip("\n").partition("\n")
    body = "* design\n" + (rest if first.lstrip().startswith("*") else text.lstrip("\n"))
    try:
        check_safe(body, "<design>")
        netlist = parse_netlist(body, "<design>")
    except ChipsmithError as exc:
        return f"the netlist is not accepted: {exc.one_line()}"[:300]
    if netlist.elements:
        return (f"the netlist has top-level elements ({', '.join(e.name for e in netlist.elements[:4])}); "
                "a design is one .subckt design")
    sub = netlist.subckt("design")
    if sub is None:
        return "the netlist has no .subckt design"
    iface = request.interface
    design_ports = list(sub.ports)
    wanted = []
    for p in iface.ports:
        name = p.name.lower()
        if p.role is PortRole.SUPPLY and name not in design_ports:
            name = "vdd"
        if p.role is PortRole.GROUND and name not in design_ports:
            name = "gnd"
        wanted.append(name)
    missing = [n for n in wanted if n not in design_ports]
    extra = [n for n in design_ports if n not in wanted and n not in ("vdd", "gnd", "0")]
    if missing or extra:
        parts = []
        if missing:
            parts.append("lacks port(s) " + ", ".join(missing))
        if extra:
            parts.append("has port(s) not in the interface: " + ", ".join(extra))
        return "the design " + " and ".join(parts)
    supply_names = {"vdd"} | {n.lower() for n in iface.names_by_role(PortRole.SUPPLY)}
    ground_names = {"gnd", "0"} | {n.lower() for n in iface.names_by_role(PortRole.GROUND)}
    if not supply_names & set(design_ports):
        return "the design has no vdd port"
    lines = [ln for ln in body.splitlines()[1:] if ln.strip().lower() not in (".end",)]
    vdd = request.supply_voltage or 1.8
    harness = Harness("\n".join(lines), tuple(design_ports), iface, request, vdd=vdd, timeout_s=timeout)
    if models is not None:  # a PDK: its cards load in every bench; its devices read as MOSFETs
        from chipsmith.spice.judge_pdk import structure_view

        harness.models, harness.include_dirs, harness.temp_c = models.lines, models.include_dirs, models.temp_c
        netlist = structure_view(netlist, dict(models.devices))
        sub = netlist.subckt("design")
    inputs = [p.name for p in iface.ports if p.role in INPUT_ROLES]
    outputs = [p.name for p in iface.outputs]
    dc = [p.name for p in iface.by_role(PortRole.BIAS_V, PortRole.BIAS_I, PortRole.REFERENCE)]
    if not ground_names & set(design_ports):
        return "the design has no gnd port"
    vdd_port = next(n for n in design_ports if n in supply_names)
    ground_port = next(n for n in design_ports if n in ground_names)
    try:
        structure = design_structure(netlist, sub, vdd=vdd_port, inputs=inputs, outputs=outputs, dc_nets=dc,
                                     ground=ground_port)
    except Exception as exc:  # noqa: BLE001 - an unreadable design fails, it never crashes the judge
        msg = exc.one_line() if isinstance(exc, ChipsmithError) else f"{type(exc).__name__}: {exc}"
        return f"the design cannot be read as a circuit: {msg}"[:300]
    return harness, structure


@dataclass
class _Context:
    h: Harness
    s: Structure
    request: Request

    def family(self) -> tuple[str | None, str | None]:
        for r in self.request.by_kind("family"):
            return r.params["family"], r.params.get("variant")
        return None, None


def _result(r: Requirement, ok: bool | None, figure: float | None, detail: str) -> RequirementResult:
    status = UNVERIFIABLE if ok is None else (PASS if ok else FAIL)
    return RequirementResult(r.id, r.kind, status, figure, detail, r.must)


def _evaluate(ctx: _Context, r: Requirement) -> RequirementResult:
    check = _CHECKS.get(r.kind)
    if ctx.family()[0] == "pll":  # a PLL's family and frequencies are measured locked to its reference
        from chipsmith.spice.judge_pll import pll_check

        check = pll_check(r) or check
    if check is None:
        return _result(r, None, None, f"the judge has no check for {r.kind}")
    try:
        ok, figure, detail = check(ctx, r)
    except Unverifiable as exc:
        return _result(r, None, None, str(exc))
    except ChipsmithError as exc:
        return _result(r, False, None, exc.one_line()[:300])
    except Exception as exc:  # noqa: BLE001 - a measurement that breaks is not a pass, and never a crash
        return _result(r, None, None, f"measurement failed: {type(exc).__name__}: {exc}"[:300])
    if figure is not None and not (isinstance(figure, (int, float)) and math.isfinite(float(figure))):
        figure = None
    return _result(r, ok, None if figure is None else float(figure), detail)


# --- comparisons --------------------------------------------------------------------------

def compare(value: float, op: str, target: float, tol: float) -> bool:
    if value is None or not math.isfinite(value):
        return False
    if op == ">=":
        return value >= target
    if op == "<=":
        return value <= target
    scale = max(abs(target), 1e-30)
    if op == "==":
        return abs(value - target) <= max(scale * min(tol, 0.01), 1e-12)
    return abs(value - target) <= scale * tol


# --- structural checks ----------------------------------------------------------------------

def _check_stage_count(ctx: _Context, r: Requirement):
    fam, variant = ctx.family()
    if fam in ("oscillator", "vco") and not ctx.s.inputs:
        # a ring's "N-stage" counts the inverting stages in the loop (there is no input)
        from chipsmith.spice.judge_family import ring_stages

        n = ring_stages(ctx)
        if n is None:
            return False, None, "no loop of inverting stages"
        want, op = r.params["count"], r.params.get("op", "==")
        ok = n == want if op == "==" else (n >= want if op == ">=" else n <= want)
        return ok, n, f"{n} inverting stage(s) in the ring"
    n = ctx.s.stage_count()
    if n is None:
        return False, None, "no signal path from the input ports to the output ports"
    want, op = r.params["count"], r.params.get("op", "==")
    ok = n == want if op == "==" else (n >= want if op == ">=" else n <= want)
    return ok, n, f"{n} gain stage(s) on the signal path"


def _check_load_type(ctx: _Context, r: Requirement):
    if ctx.family()[0] in ("current_mirror", "current_source") and ctx.h.main_output():
        # a source's load is what its output drives: a resistor from a rail to the output port
        from chipsmith.spice.judge_source import load_resistor

        dev = load_resistor(ctx.s, ctx.h.main_output())
        if r.params["load"] == "resistor":
            from chipsmith.spice.judge_source import load_value_problem

            bad = load_value_problem(ctx, dev) if dev is not None else None
            return dev is not None and not bad, None, (bad or f"load resistor {dev.name} at the output" if dev else
                                                       "no resistor from a rail to the output")
        return False, None, f"a {r.params['load']} load on a current source's output is not checked"
    stages = ctx.s.stage_devices()
    if not stages:
        return False, None, "no gain stage found on the signal path"
    want = r.params["load"]
    idx = r.params.get("stage")
    pool = [stages[idx - 1]] if idx is not None and idx <= len(stages) else (stages if idx is None else [])
    if not pool:
        return False, None, f"the design has {len(stages)} stage(s), no stage {idx}"
    seen: set[str] = set()
    for devs in pool:
        for dev in devs:
            seen |= ctx.s.load_types(dev)
    ok = want in seen
    where = f"stage {idx}" if idx else "the gain stages"
    return ok, None, f"loads of {where}: {', '.join(sorted(seen)) or 'none found'}"


def _check_input_type(ctx: _Context, r: Requirement):
    device = r.params["device"]
    if ctx.family()[0] == "current_source" and ctx.h.main_output():
        # a current source's device is the transistor whose drain is the output
        out = ctx.h.main_output().lower()
        kinds = {d.label for d in ctx.s.devices if (d.is_mos and d.pins.get("d") == out)
                 or (d.label in ("npn", "pnp") and d.pins.get("c") == out)}
        return device in kinds, None, f"output devices: {', '.join(sorted(kinds)) or 'none'}"
    first = [d for d in ctx.s.devices if (d.is_mos and d.pins.get("g") in ctx.s.inputs)
             or (d.label in ("npn", "pnp") and d.pins.get("b") in ctx.s.inputs)]
    stages = ctx.s.stage_devices()
    if stages:
        first += [d for d in stages[0] if d not in first]
    kinds = {d.label for d in first}
    ok = device in kinds
    if r.params.get("pair"):
        pairs = [p for p in ctx.s.diff_pairs(device) if {p[0].pins["g"], p[1].pins["g"]} <= set(ctx.s.inputs)]
        ok = ok and bool(pairs)
    return ok, None, f"input devices: {', '.join(sorted(kinds)) or 'none'}"


def _check_device_count(ctx: _Context, r: Requirement):
    if r.params.get("role"):  # "4 nmos as cascode input pair": count the devices playing that role
        from chipsmith.spice.judge_diffopamp import check_role_count

        return check_role_count(ctx, r)
    n = ctx.s.count(r.params["device"])
    lo, hi = r.params.get("min"), r.params.get("max")
    ok = (lo is None or n >= lo) and (hi is None or n <= hi)
    return ok, n, f"{n} {r.params['device']} device(s)"


_ELEMENT_LETTER = {"resistor": "r", "capacitor": "c", "inductor": "l", "diode": "d", "nmos": "m", "pmos": "m",
                   "mosfet": "m", "transistor": "mq", "npn": "q", "pnp": "q", "bjt": "q"}


def _check_named_component(ctx: _Context, r: Requirement):
    name = r.params["name"].lower()
    hits = [d for d in ctx.s.devices if d.name == name or d.name.endswith("/" + name)]
    if not hits:
        return False, None, f"no component named {r.params['name']}"
    element = r.params.get("element")
    if element:
        letters = _ELEMENT_LETTER[element]
        hits = [d for d in hits if d.name.rsplit("/", 1)[-1][0] in letters
                and (element not in ("nmos", "pmos", "npn", "pnp") or d.label == element)]
        if not hits:
            return False, None, f"{r.params['name']} is not a {element}"
    if r.params.get("value") is not None:
        value = _element_value(ctx, hits[0].name)
        if value is None:
            return None, None, f"the value of {r.params['name']} is an expression the judge does not evaluate"
        ok = compare(value, "~", float(r.params["value"]), 0.02)
        return ok, value, f"{r.params['name']} = {value:g}"
    return True, None, f"{r.params['name']} present"


def _element_value(ctx: _Context, flat_name: str) -> float | None:
    from chipsmith.spice.parser import parse_netlist

    netlist = parse_netlist("* d\n" + ctx.h.design_text, "<design>")
    sub = netlist.subckt("design")
    e = sub.find(flat_name) if sub is not None and "/" not in flat_name else None
    return float(e.value) if e is not None and isinstance(e.value, float) else None


def _check_structure(ctx: _Context, r: Requirement):
    feature, present = r.params["feature"], r.params.get("present", True)
    pol = r.params.get("device")
    s = ctx.s
    found: list[str]
    if feature == "diode_connected":
        found = [d.name for d in s.diode_devices(pol)]
    elif feature == "cascode":
        found = [f"{a.name}/{b.name}" for a, b in s.cascode_pairs(pol)]
    elif feature == "diff_pair":
        found = [f"{a.name}/{b.name}" for a, b in s.diff_pairs(pol)]
    elif feature == "tail_source":
        found = [d.name for d in s.tail_sources() if pol is None or d.label == pol]
    elif feature == "current_mirror":
        found = [f"{a.name}->{b.name}" for a, b in s.mirrors(pol)]
    elif feature == "miller_compensation":
        from chipsmith.spice.judge_source import compensation_caps

        found = compensation_caps(s)
    elif feature == "feedback":
        found = s.feedback_paths()
    elif feature == "source_degeneration":
        found = [d.name for d in s.degenerated() if pol is None or d.label == pol]
    elif feature == "source_follower":
        found = [d.name for d in s.followers() if pol is None or d.label == pol]
    elif feature == "cross_coupled":
        found = [f"{a.name}/{b.name}" for a, b in s.cross_coupled()]
    elif feature == "push_pull":
        found = [f"{a.name}/{b.name}" for a, b in s.push_pull()]
    elif feature == "positive_feedback":
        from chipsmith.spice.judge_goal import positive_feedback

        found = positive_feedback(ctx)
    else:  # pragma: no cover - the schema's closed set
        return None, None, f"unknown feature {feature}"
    has = bool(found)
    what = feature.replace("_", " ") + (f" ({pol})" if pol else "")
    detail = f"{what}: {', '.join(found[:4])}" if found else f"no {what} found"
    return has == present, len(found), detail


# --- functional checks ----------------------------------------------------------------------

def _in_out(ctx: _Context, r: Requirement) -> tuple[str | None, str | None]:
    return r.params.get("input"), r.params.get("output")


def _check_polarity(ctx: _Context, r: Requirement):
    inp, _ = _in_out(ctx, r)
    fam, _variant = ctx.family()
    if fam in ("schmitt", "comparator", "inverter", "buffer", "switch"):
        # switching circuits: the sense of the large-signal transfer (input 0 -> vdd)
        x, y = ctx.h.sweep(inp)
        swing = float(y[-1] - y[0])
        want = -1 if r.params["sense"] == "inverting" else 1
        ok = np.sign(swing) == want and abs(swing) > 0.3 * ctx.h.vdd
        return bool(ok), swing, f"output {y[0]:.2f} V at input 0, {y[-1]:.2f} V at input {x[-1]:.2f} V"
    x0, y0, sign = ctx.h.operating_point(inp)
    res, out, innode, sgn = ctx.h.small_signal(inp)
    g = measure.dc_gain_signed(res.ac, out, innode)
    want = -1 if r.params["sense"] == "inverting" else 1
    ok = np.sign(g) == want and abs(g) > 0.05
    return bool(ok), g, f"small-signal gain {g:.3g} V/V at input {x0:.3g} V"


def _check_linear(ctx: _Context, r: Requirement):
    want = {k: float(v) for k, v in r.params["coefficients"].items()}
    h = ctx.h
    if r.params["output"].lower() != (h.main_output() or "").lower():
        raise Unverifiable("linear relations are measured on the main output only")
    coefs, y0, base_sum = h.linear_coefficients(list(want))
    rel = float(r.params.get("rel_tol", 0.1))
    abs_tol = float(r.params.get("abs_tol", 0.02))
    bad = [k for k in want if abs(coefs[k] - want[k]) > max(rel * abs(want[k]), abs_tol)]
    # inputs not in the relation must not move the output
    others = [p.name for p in h.interface.ports if p.role in INPUT_ROLES and p.name not in want]
    if others:
        more, _, _ = h.linear_coefficients(others)
        bad += [f"{k} (should be 0)" for k, v in more.items() if abs(v) > max(abs_tol, 0.05)]
        coefs.update(more)
    detail = "measured " + ", ".join(f"{k}: {v:+.3g}" for k, v in coefs.items())
    if not bad:
        from chipsmith.spice.judge_waveform import linear_points

        more, span = linear_points(h, want, rel, abs_tol)
        bad += more
        detail += "; " + span
    if "offset" in r.params:
        offset = y0 - base_sum
        off_ok = abs(offset - float(r.params["offset"])) <= max(abs_tol, 0.05 * h.vdd)
        detail += f"; offset {offset:+.3g} V"
        if not off_ok:
            bad.append("offset")
    return not bad, None, detail + (f"; wrong: {', '.join(bad)}" if bad else "")


def _check_threshold(ctx: _Context, r: Requirement):
    inp, _ = _in_out(ctx, r)
    up, down, lo, hi = ctx.h.ramp_thresholds(inp)
    if hi - lo < 0.5 * ctx.h.vdd:
        return False, None, f"the output swings only {lo:.2f}..{hi:.2f} V over the input ramp"
    d = r.params.get("direction", "any")
    vals = {"rising": up, "falling": down}
    if d == "any":
        vals_ = [v for v in (up, down) if v is not None]
        value = sum(vals_) / len(vals_) if vals_ else None
    else:
        value = vals[d]
    if value is None:
        return False, None, "the output never switches on the input ramp"
    tol = float(r.params.get("tol", 0.05))
    ok = abs(value - float(r.params["value"])) <= tol
    return ok, value, f"switches at {value:.3g} V (up {up}, down {down})"


def _check_hysteresis(ctx: _Context, r: Requirement):
    inp, _ = _in_out(ctx, r)
    up, down, lo, hi = ctx.h.ramp_thresholds(inp)
    if up is None or down is None or hi - lo < 0.5 * ctx.h.vdd:
        return False, None, "the output does not switch both ways over the input ramp"
    width = abs(up - down)
    ok = compare(width, r.params["op"], float(r.params["value"]), float(r.params.get("tol", 0.25)))
    return ok, width, f"switches up at {up:.3g} V, down at {down:.3g} V: hysteresis {width * 1e3:.1f} mV"


def _analyse_filter(f: np.ndarray, mag: np.ndarray, corner_hint: float | None = None) -> dict[str, Any]:
    if corner_hint:
        # judge the response within two decades of the asked corner: an active filter's
        # op-amp runs out of gain decades above it, which is not the filter's response
        keep = (f >= corner_hint / 100) & (f <= corner_hint * 100)
        if keep.sum() >= 20:
            f, mag = f[keep], mag[keep]
    peak = float(mag.max())
    band = mag >= peak - 3.0103
    lo_in, hi_in = bool(band[0]), bool(band[-1])
    info: dict[str, Any] = {"peak_db": peak}
    if peak < -60:
        info["response"] = "none"
        return info
    kpk = int(np.argmax(mag))
    notch = float(mag.min())
    kmin = int(np.argmin(mag))
    if 0 < kmin < len(mag) - 1 and lo_in and notch < mag[:kmin].max() - 10 and notch < mag[kmin:].max() - 10:
        # a notch with pass bands on both sides (the high one may roll off later: an
        # active notch's op-amp runs out of gain far above the notch)
        info.update(response="bandstop", corner=float(f[kmin]),
                    depth_db=float(min(mag[:kmin].max(), mag[kmin:].max()) - notch), notch_db=notch)
        return info
    if lo_in and hi_in:
        if notch < min(mag[0], mag[-1]) - 10:
            info.update(response="bandstop", corner=float(f[int(np.argmin(mag))]),
                        depth_db=float(min(mag[0], mag[-1]) - notch), notch_db=notch)
        else:
            info.update(response="allpass" if band.all() else "flat", corner=None)
        return info
    if lo_in:
        k = int(np.nonzero(~band)[0][0])
        info.update(response="lowpass", corner=_interp_cross(f, mag, k, mag[0] - 3.0103))
        info["order"] = _slope_order(f, mag, info["corner"], +1)
    elif hi_in:
        k = int(np.nonzero(band)[0][0])
        info.update(response="highpass", corner=_interp_cross(f, mag, k, mag[-1] - 3.0103))
        info["order"] = _slope_order(f, mag, info["corner"], -1)
    else:
        info.update(response="bandpass", corner=float(f[kpk]), reject_db=float(peak - max(mag[0], mag[-1])))
        info["order"] = _slope_order(f, mag, float(f[kpk]), +1, peak=True) + _slope_order(f, mag, float(f[kpk]), -1,
                                                                                           peak=True)
    return info


def _interp_cross(f: np.ndarray, mag: np.ndarray, k: int, level: float) -> float:
    if k == 0:
        return float(f[0])
    x0, x1, y0, y1 = math.log10(f[k - 1]), math.log10(f[k]), mag[k - 1], mag[k]
    t = 0.0 if y1 == y0 else (level - y0) / (y1 - y0)
    return float(10 ** (x0 + t * (x1 - x0)))


def _slope_order(f: np.ndarray, mag: np.ndarray, corner: float, direction: int, peak: bool = False) -> int:
    """Roll-off in units of 20 dB/decade, measured one to two decades past the corner
    (past the peak for band-pass), kept away from the sweep's ends and numeric floors."""
    lf = np.log10(f)
    start, stop = (1.0, 2.0) if not peak else (1.5, 2.5)
    a = math.log10(corner) + direction * start
    b = math.log10(corner) + direction * stop
    lo, hi = min(a, b), max(a, b)
    if lo < lf[0] or hi > lf[-1]:
        lo, hi = max(lo, lf[0]), min(hi, lf[-1])
        if hi - lo < 0.3:
            return 0
    m_lo, m_hi = float(np.interp(lo, lf, mag)), float(np.interp(hi, lf, mag))
    slope = abs(m_hi - m_lo) / (hi - lo)
    return int(round(slope / 20.0))


def _active(ctx: _Context) -> bool:
    return any(d.label not in ("r", "c", "l") for d in ctx.s.devices)


def _check_filter(ctx: _Context, r: Requirement):
    p = r.params
    f, mag = ctx.h.filter_response(p.get("input"))
    info = _analyse_filter(f, mag, p.get("corner_hz"))
    problems = []
    if info["response"] != p["response"]:
        problems.append(f"response is {info['response']}, not {p['response']}")
    if p.get("implementation"):
        active = _active(ctx)
        if (p["implementation"] == "active") != active:
            problems.append("it is " + ("active" if active else "passive"))
    if info["response"] == "bandstop" and info.get("depth_db", 99.0) < 20 and info.get("corner"):
        from chipsmith.spice.judge_waveform import notch_floor

        floor = notch_floor(ctx.h, p.get("input"), info["corner"])
        info["depth_db"] += max(0.0, info["notch_db"] - floor)
    if not problems:
        # the shape a designer means by the word: a deep notch between pass bands, a peak
        # with real rejection on both sides, and a pass band that passes the signal
        if info["response"] == "bandstop" and info.get("depth_db", 0.0) < 20:
            problems.append(f"the notch is only {info.get('depth_db', 0.0):.1f} dB deep (a band-stop needs >= 20 dB)")
        if info["response"] == "bandpass" and info.get("reject_db", 0.0) < 20:
            problems.append(f"only {info.get('reject_db', 0.0):.1f} dB of rejection away from the peak "
                            "(a band-pass needs >= 20 dB on both sides)")
        if info["peak_db"] < -6:
            problems.append(f"the pass band is at {info['peak_db']:.1f} dB (loses more than half the signal)")
    order = info.get("order")
    if p.get("order") is not None and not problems:
        if order is None:
            problems.append("order not measured for this response")
        elif order != p["order"]:
            problems.append(f"order {order} (roll-off {20 * order} dB/dec), not {p['order']}")
    corner = info.get("corner")
    if p.get("corner_hz") is not None and not problems:
        tol = float(p.get("tol", 0.3))
        if corner is None or abs(math.log(corner / float(p["corner_hz"]))) > math.log(1 + tol):
            problems.append(f"corner {corner:.4g} Hz, not {float(p['corner_hz']):.4g} Hz" if corner else "no corner")
    detail = f"{info['response']}, peak {info['peak_db']:.1f} dB"
    if info.get("depth_db") is not None:
        detail += f", notch {info['depth_db']:.1f} dB deep"
    if corner:
        detail += f", corner/center {corner:.4g} Hz"
    if order is not None:
        detail += f", order {order}"
    return not problems, corner, detail + ("; " + "; ".join(problems) if problems else "")


def _check_oscillation(ctx: _Context, r: Requirement):
    f0 = r.params.get("frequency_hz")
    freq, amp = ctx.h.oscillation(f0)
    if freq is None:
        return False, None, f"no sustained oscillation (output amplitude {amp:.3g} V)"
    problems = []
    min_amp = float(r.params.get("min_amplitude_v", 0.1))
    if amp < min_amp:
        problems.append(f"amplitude {amp:.3g} V < {min_amp:g} V")
    if f0 is not None:
        tol = float(r.params.get("tol", 0.3))
        if abs(freq - f0) > tol * f0:
            problems.append(f"frequency off target {f0:.4g} Hz")
    return not problems, freq, f"oscillates at {freq:.4g} Hz, amplitude {amp:.3g} V" + (
        "; " + "; ".join(problems) if problems else "")


def _check_control(ctx: _Context, r: Requirement):
    h = ctx.h
    ctrl = r.params["control"]
    role = h.interface.role_of(ctrl)
    if role is None:
        return False, None, f"no port {ctrl}"
    center = h.condition("control_v", ctrl)
    center = h.vdd / 2 if center is None else center
    freqs, levels = [], []
    for k, sign in enumerate((-1, 1)):
        # 0.2 vdd either side of the centre; closer in when the oscillator stops out there
        for span in (0.2, 0.1):
            v = min(h.vdd, max(0.0, center + sign * span * h.vdd))
            f, amp = h.oscillation(None, {ctrl: f"vcx {{n}} 0 dc {v!r}"}, tag=f"ctl{k}{span}")
            if f is not None:
                break
        if f is None:
            return False, None, f"no oscillation with {ctrl} = {v:.3g} V"
        freqs.append(f)
        levels.append(v)
    ratio = max(freqs) / min(freqs)
    need = float(r.params.get("min_ratio", 1.1))
    direction = r.params.get("direction", "any")
    ok = ratio >= need
    if direction == "increasing":
        ok = ok and freqs[1] > freqs[0]
    elif direction == "decreasing":
        ok = ok and freqs[1] < freqs[0]
    return ok, ratio, (f"f = {freqs[0]:.4g} Hz at {levels[0]:.3g} V, {freqs[1]:.4g} Hz at {levels[1]:.3g} V "
                       f"(ratio {ratio:.3g})")


def _check_supply(ctx: _Context, r: Requirement):
    return True, ctx.h.vdd, f"tested with a {ctx.h.vdd:g} V supply"


def _check_condition(ctx: _Context, r: Requirement):
    return True, float(r.params["value"]), f"applied {r.params['name']} = {float(r.params['value']):g}"


# --- targets --------------------------------------------------------------------------------

def _figure(ctx: _Context, name: str, r: Requirement) -> tuple[float, str]:
    h = ctx.h
    if name == "power_w":
        return h.power(), "quiescent power from the vdd pin at the working operating point"
    if name == "supply_current_a":
        return h.supply_current(), "quiescent vdd current at the working operating point"
    if name == "gbw_per_w":
        from chipsmith.spice.judge_goal import _value

        return _value(ctx, name, r), "GBW (as gbw_hz) over the quiescent power"
    if name in ("gain_db", "gain_vv"):
        res, out, inp, sgn = h.small_signal(r.params.get("input"))
        g = measure.dc_gain(res.ac, out, inp)
        return (float(measure.db(g)) if name == "gain_db" else g), "low-frequency small-signal gain"
    if name in ("gbw_hz", "ugb_hz", "pm_deg", "f3db_hz"):
        res, out, inp, sgn = h.small_signal(r.params.get("input"))
        if name == "gbw_hz":
            # A0 * f3db, but never more than the measured unity-gain frequency: with more
            # than one pole the gain runs out before the one-pole extrapolation says
            gbw = measure.gain_bandwidth(res.ac, out, inp)
            try:
                gbw = min(gbw, measure.unity_gain_frequency(res.ac, out, inp))
            except ChipsmithError:
                pass
            return gbw, "A0 x f3db, capped at the unity-gain frequency"
        fn = {"ugb_hz": measure.unity_gain_frequency, "pm_deg": measure.phase_margin,
              "f3db_hz": measure.bandwidth_3db}[name]
        return fn(res.ac, out, inp), "from the AC response around the operating point"
    if name == "vout_v":
        op = h.op()
        return h.node_v(op, h.main_output()), "output DC voltage at the operating point"
    if name == "line_reg_vpv":
        a = h.node_v(h.op_at(vdd=h.vdd), h.main_output())
        b = h.node_v(h.op_at(vdd=h.vdd * 1.1), h.main_output())
        return abs(b - a) / (0.1 * h.vdd), "output change per supply change (vdd +10%)"
    if name == "tempco_ppm":
        vs = [h.node_v(h.op_at(temp=t), h.main_output()) for t in (-20.0, 27.0, 85.0)]
        return (max(vs) - min(vs)) / abs(vs[1]) / 105.0 * 1e6, "output drift -20..85 C"
    if name in ("iout_a", "mirror_ratio"):
        out = h.main_output()
        if out is None:
            raise Unverifiable("no output port")
        vo = h.condition("input_dc_v", out)
        vo = h.vdd / 2 if vo is None else vo
        op = h.op_at(overrides={out: f"vjout {{n}} 0 dc {vo!r}"}, tag="iout")
        iout = abs(op.currents["vjout"])
        if name == "iout_a":
            return iout, f"output current with the output held at {vo:.3g} V"
        refs = h.interface.names_by_role(PortRole.BIAS_I)
        if not refs:
            raise Unverifiable("no current input port to take the ratio against")
        return iout / h.bias_current(refs[0]), f"output current / {refs[0]} current"
    if name in ("freq_hz", "amplitude_v"):
        f, amp = h.oscillation(r.params["value"] if name == "freq_hz" else None)
        if f is None:
            raise_fail = f"no sustained oscillation (amplitude {amp:.3g} V)"
            raise _Fail(raise_fail)
        return (f if name == "freq_hz" else amp), "transient from zero initial conditions"
    if name == "output_swing_v":
        x, y = h.sweep(r.params.get("input"))
        return float(y.max() - y.min()), "output range over an input sweep 0..vdd"
    if name in ("cmrr_db", "psrr_db"):
        return h.rejection(name[:4]), "differential gain over common-mode (or supply) gain at low frequency"
    if name == "load_reg_ohm":
        out = h.main_output()
        i_load = h.condition("load_current_a") or 1e-3
        a = h.node_v(h.op(), out)
        b = h.node_v(h.op_at(overrides={out: f"ijld {{n}} 0 dc {i_load!r}"}, tag="ldreg"), out)
        return abs(a - b) / i_load, f"output change for a {i_load * 1e3:g} mA load"
    if name == "dropout_v":
        out = h.main_output()
        i_load = h.condition("load_current_a") or 0.0  # at the stated load current, else unloaded
        over = {out: f"ijld {{n}} 0 dc {i_load!r}"} if i_load else None
        v_nom = h.node_v(h.op_at(overrides=over, tag="dropnom"), out)
        lo, hi = max(v_nom, 0.0), h.vdd  # the supply where regulation fails lies in between
        for k in range(8):
            mid = (lo + hi) / 2
            v = h.node_v(h.op_at(vdd=mid, overrides=over, tag=f"drop{k}"), out)
            ok = abs(v - v_nom) <= 0.01 * max(abs(v_nom), 0.1)
            lo, hi = (lo, mid) if ok else (mid, hi)
        return hi - v_nom, (f"lowest supply keeping the output within 1% at {i_load * 1e3:g} mA, minus the output")
    if name == "bits":
        fam, variant = ctx.family()
        if fam == "dac":
            n = len(h.interface.names_by_role(PortRole.SIGNAL_IN))
            return float(n), "bit inputs of the DAC"
        if fam == "adc":
            n = len(h.interface.names_by_role(PortRole.OUT))
            bits = math.log2(n + 1) if variant == "flash" else float(n)
            return float(bits), "flash: log2(thermometer outputs + 1); else one output per bit"
        raise Unverifiable("bits are measured on DACs and ADCs")
    if name == "rin_ohm":
        r_in = h.input_resistance()
        if not math.isfinite(r_in):
            return 1e15, "no AC current flows into the input (capped at 1e15 ohm)"
        return r_in, "1 V AC at the input over the current it draws"
    if name == "rout_ohm":
        fam, variant = ctx.family()
        current = fam in ("current_mirror", "current_source") or (fam == "reference" and variant == "current")
        return h.output_resistance(current), "AC current into the output" + (
            " held at vdd/2" if current else " at the operating point")
    if name == "settling_s":
        return h.settling(), "to 1% of a 0.3 vdd step (op-amps wired as unity-gain followers)"
    if name == "slew_vps":
        return h.slew(), "20%..80% of a 0.3 vdd step (op-amps wired as unity-gain followers), slower edge"
    if name == "center_hz":
        f, mag = h.filter_response(r.params.get("input"))
        return float(f[int(np.argmax(mag))]), "frequency of the peak response"
    if name == "offset_v":
        x0, y0, sign = h.operating_point(r.params.get("input"))
        diff = h.diff_inputs
        ref = h.input_dc(diff[1]) if diff else h.vdd / 2
        # a magnitude: "offset below 10 mV" bounds it either way
        return abs(x0 - ref), "|input level where the output crosses mid-supply, minus the other input|"
    if name == "time_constant_s":
        fam, variant = ctx.family()
        if variant == "differentiator":
            # no DC gain to find an operating point on: the input sits at its DC level
            f, mag = h.filter_response(r.params.get("input"))
            idx = np.nonzero(np.diff(np.sign(mag)) != 0)[0]
            if idx.size == 0:
                raise _Fail("the response never crosses unity gain")
            k = int(idx[0])
            t = 0.0 if mag[k + 1] == mag[k] else -mag[k] / (mag[k + 1] - mag[k])
            fu = float(10 ** (math.log10(f[k]) + t * (math.log10(f[k + 1]) - math.log10(f[k]))))
        else:
            res, out, inp, sgn = h.small_signal(r.params.get("input"))
            fu = measure.unity_gain_frequency(res.ac, out, inp)
        return 1.0 / (2 * math.pi * fu), "1/(2 pi f_unity) of the integrator/differentiator response"
    if name == "conversion_gain_db":
        from chipsmith.spice.judge_family import check_family

        ok, conv, detail = check_family(ctx, "mixer", None)
        if conv is None:
            raise _Fail(detail)
        return conv, "IF amplitude / RF amplitude with a large LO"
    raise Unverifiable(f"the judge does not measure {name}")


class _Fail(Exception):
    pass


def _check_target(ctx: _Context, r: Requirement):
    p = r.params
    try:
        value, how = _figure(ctx, p["figure"], r)
    except _Fail as exc:
        return False, None, str(exc)
    tol = float(p.get("tol", 0.1))
    ok = compare(value, p["op"], float(p["value"]), tol)
    return ok, value, f"{p['figure']} = {value:.4g} ({how}); wanted {p['op']} {float(p['value']):.4g}"


# --- family ---------------------------------------------------------------------------------

def _check_goal(ctx: _Context, r: Requirement):
    from chipsmith.spice.judge_goal import check_goal

    return check_goal(ctx, r)


def _check_family(ctx: _Context, r: Requirement):
    from chipsmith.spice.judge_family import check_family

    return check_family(ctx, r.params["family"], r.params.get("variant"))


_CHECKS: dict[str, Callable[[_Context, Requirement], tuple]] = {
    "family": _check_family, "stage_count": _check_stage_count, "load_type": _check_load_type,
    "input_type": _check_input_type, "device_count": _check_device_count,
    "named_component": _check_named_component, "structure": _check_structure, "polarity": _check_polarity,
    "linear_relation": _check_linear, "threshold": _check_threshold, "hysteresis": _check_hysteresis,
    "filter": _check_filter, "oscillation": _check_oscillation, "control_moves_frequency": _check_control,
    "target": _check_target, "supply": _check_supply, "condition": _check_condition,
    "goal": _check_goal,
    "bias_port": lambda ctx, r: __import__("chipsmith.spice.judge_diffopamp",
                                           fromlist=["check_bias_port"]).check_bias_port(ctx, r),
}


def judge_file(path: str, request_path: str, *, timeout: float = 30.0) -> Verdict:
    """Judge a netlist file against a request JSON file (``Request.to_json`` format)."""
    from pathlib import Path

    try:
        text = Path(path).read_text()
        req = Request.from_json(Path(request_path).read_text())
    except OSError as exc:
        raise InputError(f"cannot read {exc.filename}: {exc.strerror}") from None
    return judge(text, req, timeout=timeout)


__all__ = ["judge", "judge_file", "Verdict", "RequirementResult", "PASS", "FAIL", "UNVERIFIABLE", "compare"]
