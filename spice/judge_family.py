"""Family checks of the judge: is this circuit the kind of circuit that was asked for?

Each family is checked by its defining structure (what a textbook would draw) AND its
defining behaviour (what a bench would show), so that neither a look-alike netlist that
does not work nor a working circuit of another family passes: a common-source stage
must have its input on a gate, its source at a rail and invert; an RC phase-shift
oscillator must oscillate and have the three-capacitor ladder; a ring oscillator must
have an odd loop of inverting stages. Families the judge cannot test are unverifiable
(which is not a pass).
"""
from __future__ import annotations

import math
from typing import Any

import networkx as nx
import numpy as np

from chipsmith.spice import measure
from chipsmith.spice.judge_bench import Unverifiable, net
from chipsmith.spice.requirements import PortRole
from chipsmith.spice.runner import Tran

Result = tuple[Any, Any, str]


def _reach_in(ctx) -> set[str]:
    s = ctx.s
    nets: set[str] = set()
    for i in s.inputs:
        nets |= s.passive_reach(i)
    return nets


def _reach_out(ctx) -> set[str]:
    s = ctx.s
    nets: set[str] = set()
    for o in s.outputs:
        nets |= s.passive_reach(o)
    # an output taken from a cascode device's drain still belongs to the stage below
    for lower, upper in s.cascode_pairs():
        if upper.pins["d"] in nets:
            nets.add(lower.pins["d"])
    return nets


def _verdict(problems: list[str], facts: list[str], figure: float | None = None) -> Result:
    detail = "; ".join(facts)
    if problems:
        detail = (detail + "; " if detail else "") + "NOT: " + "; ".join(problems)
    return not problems, figure, detail


def _gain(ctx) -> float:
    res, out, inp, sgn = ctx.h.small_signal()
    return measure.dc_gain_signed(res.ac, out, inp)


def _to_rail(ctx, netname: str) -> bool:
    s = ctx.s
    if netname in s.rails:
        return True
    return bool(s.passive_reach(netname) & s.rails) or any(
        d.label == "r" and netname in d.nets and set(d.nets) & s.rails for d in s.devices)


def _amplifier(ctx, variant: str | None) -> Result:
    s = ctx.s
    problems, facts = [], []
    rin, rout = _reach_in(ctx), _reach_out(ctx)
    if not s.mos() and not s.count("bjt"):
        return False, None, "no transistor"
    if not ctx.h.main_input():
        raise Unverifiable("an amplifier needs a signal input port")
    g = None
    if variant in (None, "common_source", "common_gate", "cascode", "multistage", "common_drain"):
        g = _gain(ctx)
        facts.append(f"small-signal gain {g:.3g} V/V")
    if variant == "common_source":
        hits = [d for d in s.mos() if d.pins["g"] in rin and d.pins["d"] in rout and _to_rail(ctx, d.pins["s"])
                and d.pins["s"] not in rin]
        if not hits:
            problems.append("no transistor with its gate at the input, source at a rail and drain at the output")
        if g is not None and not (g < -1.0):
            problems.append("a common-source stage inverts with |gain| > 1")
    elif variant == "common_gate":
        dc = s.dc_nets | s.diode_nets()
        hits = [d for d in s.mos() if d.pins["s"] in rin and d.pins["g"] in dc and d.pins["d"] in rout]
        if not hits:
            problems.append("no transistor with its source at the input, gate at a DC bias and drain at the output")
        if g is not None and not (g > 1.0):
            problems.append("a common-gate stage is non-inverting with gain > 1")
    elif variant == "common_drain":
        hits = [d for d in s.mos() if d.pins["g"] in rin and d.pins["s"] in rout and d.pins["d"] in s.rails]
        if not hits:
            problems.append("no transistor with its gate at the input, source at the output and drain at a rail")
        if g is not None and not (0.4 < g <= 1.05):
            problems.append("a source follower has a gain between 0.4 and 1")
    elif variant == "cascode":
        hits = [(a, b) for a, b in s.cascode_pairs() if a.pins["g"] in rin and b.pins["d"] in
                {x for o in s.outputs for x in s.passive_reach(o)}]
        if not hits:
            problems.append("no input transistor with a stacked common-gate device to the output")
        if g is not None and not (abs(g) > 1.0):
            problems.append("gain below 1")
    elif variant == "differential":
        diff = ctx.h.diff_inputs
        ins = set(s.inputs)
        pairs = [p for p in s.diff_pairs() if {p[0].pins["g"], p[1].pins["g"]} <= (rin | ins)]
        if not pairs:
            problems.append("no source-coupled pair driven by the two inputs")
        if diff:
            g = _gain(ctx)
            facts.append(f"gain from {diff[0]} {g:.3g} V/V")
            if not abs(g) > 1.0:
                problems.append("differential gain below 1")
    elif variant == "multistage":
        n = s.stage_count() or 0
        facts.append(f"{n} stages")
        if n < 2:
            problems.append("fewer than two gain stages")
        if g is not None and not abs(g) > 1:
            problems.append("gain below 1")
    elif variant == "push_pull":
        if not s.push_pull():
            problems.append("no complementary push-pull pair")
    elif variant == "tia":
        raise Unverifiable("the judge does not test transimpedance amplifiers")
    else:
        if g is not None and not abs(g) > 0.4:
            problems.append("no gain")
    from chipsmith.spice.judge_source import conduction_problem

    dead = conduction_problem(ctx, facts)  # every transistor of an amplifier conducts
    if dead:
        problems.append(dead)
    return _verdict(problems, facts, g)


def _opamp(ctx, variant: str | None) -> Result:
    s, h = ctx.s, ctx.h
    problems, facts = [], []
    diff = h.diff_inputs
    if not diff:
        return False, None, "an op-amp needs a differential input pair of ports (diff_in_p, diff_in_n)"
    rin = _reach_in(ctx)
    pairs = [p for p in s.diff_pairs() if {p[0].pins["g"], p[1].pins["g"]} <= rin]
    if not pairs:
        problems.append("no input differential pair on the input ports")
    g = _gain(ctx)
    gdb = float(measure.db(g))
    facts.append(f"open-loop gain {gdb:.1f} dB from {diff[0]}")
    if g <= 0:
        problems.append(f"{diff[0]} is not the non-inverting input")
    n = s.stage_count() or 0
    resistive = any(r.kind == "load_type" and r.params["load"] in ("resistor", "diode", "pmos_diode", "nmos_diode")
                    for r in ctx.request.requirements)
    if resistive and n <= 1:
        # a single stage with resistor/diode loads cannot reach 30 dB from a low supply (gm R / 2 with
        # the headroom of a resistor): it must amplify the difference and reject the common mode
        cmrr = h.rejection("cmrr")
        facts.append(f"CMRR {cmrr:.1f} dB")
        if g <= 1.0:
            problems.append("differential gain below 1")
        if cmrr <= 0:
            problems.append("the common-mode gain is not below the differential gain")
    elif gdb < 30:
        problems.append("open-loop gain below 30 dB")
    facts.append(f"{n} gain stage(s)")
    want = {"one_stage": 1, "ota": 1, "two_stage": 2, "three_stage": 3, "folded_cascode": 1, "telescopic": 1}
    if variant in want and n != want[variant]:
        problems.append(f"{variant.replace('_', ' ')} needs {want[variant]} gain stage(s)")
    if variant == "folded_cascode":
        pair_devs = [d for p in pairs for d in p]
        folded = [c for a in pair_devs for c in s.mos() if c.label != a.label and c.pins["s"] == a.pins["d"]]
        if not folded:
            problems.append("no folding cascode device (opposite polarity, source on the pair's drain)")
    if variant == "telescopic":
        pair_devs = {d.name for p in pairs for d in p}
        if not any(a.name in pair_devs for a, _ in s.cascode_pairs()):
            problems.append("no cascode device stacked on the input pair")
    from chipsmith.spice.judge_source import conduction_problem

    dead = conduction_problem(ctx, facts)  # every transistor of an op-amp conducts
    if dead:
        problems.append(dead)
    from chipsmith.spice.judge_diffopamp import bias_port_problems, output_problems

    for check in (output_problems, bias_port_problems):  # each output's sign, DM > CM gain; no idle bias port
        more, found = check(ctx)
        problems += more
        facts += found
    return _verdict(problems, facts, gdb)


def _mirror(ctx, variant: str | None) -> Result:
    s, h = ctx.s, ctx.h
    problems, facts = [], []
    refs = h.interface.names_by_role(PortRole.BIAS_I)
    mirrors = s.mirrors()
    if not mirrors:
        problems.append("no diode-connected transistor driving another transistor's gate")
    if refs:
        ref_net = refs[0].lower()
        fed = [m for m in mirrors if m[0].pins["d"] == ref_net or ref_net in s.passive_reach(m[0].pins["d"])
               or any(u.pins["d"] == ref_net for lo, u in s.cascode_pairs() if lo.pins["d"] == m[0].pins["d"])
               or any(d.pins["g"] == ref_net and d.pins["s"] == m[0].pins["d"] for d in s.mos())]
        if mirrors and not fed:
            problems.append(f"the reference current at {refs[0]} does not feed the mirror's diode side")
    out = h.main_output()
    if out is None:
        return False, None, "no output port"
    iout = None
    from chipsmith.spice.judge_source import load_resistor, source_behaviour

    if load_resistor(s, out) is not None:
        # the output drives the design's own load: its current must ignore the load and follow the reference
        more, found, iout = source_behaviour(ctx, proportional=variant != "widlar")
        problems += more
        facts += found
    else:
        try:
            vo = h.vdd / 2
            op = h.op_at(overrides={out: f"vjout {{n}} 0 dc {vo!r}"}, tag="iout")
            iout = abs(op.currents["vjout"])
            facts.append(f"output current {iout * 1e6:.3g} uA at {vo:.2g} V")
            if refs and iout < 0.1 * h.bias_current(refs[0]):
                problems.append("the output does not carry a copy of the reference current")
        except Exception as exc:  # noqa: BLE001 - reported as a failure
            problems.append(f"output current not measured: {exc}")
    if variant == "cascode" or variant == "wide_swing":
        if not s.cascode_pairs():
            problems.append("no cascode devices")
    elif variant == "wilson":
        def feeds(gate: str, drain: str) -> bool:  # the gate sits on the copy's drain (or one diode above it)
            return gate == drain or any(dd.diode_connected and dd.pins["d"] == gate and dd.pins["s"] == drain
                                        for dd in s.mos())
        ok = any(d.pins["s"] == m[0].pins["d"] and feeds(d.pins["g"], m[1].pins["d"]) for m in mirrors
                 for d in s.mos())
        if not ok:
            problems.append("no Wilson feedback device (source on the diode, gate on the copy's drain)")
    elif variant == "widlar":
        if not any(c.pins["s"] not in s.rails and _to_rail(ctx, c.pins["s"]) for _, c in mirrors):
            problems.append("no emitter/source resistor on the output device")
    elif variant == "simple":
        if s.cascode_pairs():
            problems.append("a simple mirror has no cascode devices")
    return _verdict(problems, facts, iout)


def _latched(ctx) -> Result:
    """A clocked comparator: the input steps from +20 mV to -20 mV around the other input;
    the output sampled at the end of each clock-high phase must follow the sign."""
    h = ctx.h
    clocks = h.interface.names_by_role(PortRole.CLOCK)
    inp = h.main_input()
    if not clocks or inp is None:
        return False, None, "a latched comparator needs a clock port and an input"
    diff = h.diff_inputs
    refs = h.interface.names_by_role(PortRole.REFERENCE)
    level = h.input_dc(diff[1]) if diff else (_ref_level(h, refs[0]) if refs else h.vdd / 2)
    f = h.condition("clock_hz") or 1e6
    per, n = 1.0 / f, 10
    t_half = n * per
    src = f"vjst {{n}} 0 pwl(0 {level + 0.02!r} {t_half!r} {level + 0.02!r} {t_half + per / 100!r} {level - 0.02!r})"
    out = h.out_expr()
    save = out if out.startswith("v(") else f"v({out})"
    res = h.run("latched", lambda: h.deck({inp: src}), [Tran(per / 200, 2 * t_half)], save=[save])
    t = np.asarray(res.tran.x)
    y = np.real(np.asarray(res.tran.get(save)))
    samples = [float(np.interp(k * per + 0.45 * per, t, y)) for k in range(2 * n)]
    first, second = samples[2:n], samples[n + 2:]
    hi = lambda v: v > 0.8 * h.vdd  # noqa: E731
    lo = lambda v: v < 0.2 * h.vdd  # noqa: E731
    follows = all(map(hi, first)) and all(map(lo, second))
    inverted = all(map(lo, first)) and all(map(hi, second))
    # with + and - inputs the output is high when + is above -; against a reference either
    # sense is a comparator (a polarity requirement pins it down)
    ok = follows or (inverted and not diff)
    detail = (f"output at the end of the clock-high phases: {first[0]:.2f} V for +20 mV, "
              f"{second[0]:.2f} V for -20 mV")
    if inverted and diff:
        return False, None, detail + f"; NOT: the output is low when {inp} is above {diff[1]}"
    return ok, None, detail if ok else detail + "; NOT: the decision does not follow the input"


def _ramp_family(ctx, family: str, variant: str | None) -> Result:
    h = ctx.h
    if family == "comparator" and (variant == "latched" or h.interface.by_role(PortRole.CLOCK)):
        return _latched(ctx)
    up, down, lo, hi = h.ramp_thresholds()
    facts = [f"output {lo:.2f}..{hi:.2f} V, switches up at {up}, down at {down}"]
    problems = []
    if hi - lo < 0.6 * h.vdd:
        problems.append("the output does not swing over most of the supply")
    if up is None or down is None:
        problems.append("the output does not switch both ways")
        return _verdict(problems, facts)
    x, y = h.sweep() if family != "schmitt" else (None, None)
    if family == "schmitt":
        width = abs(up - down)
        facts.append(f"hysteresis {width * 1e3:.1f} mV")
        if width < 0.01:
            problems.append("no hysteresis")
        if variant in ("inverting", "non_inverting"):
            xs, ys = h.sweep()
            inverting = ys[0] > ys[-1]
            if inverting != (variant == "inverting"):
                problems.append("it is " + ("inverting" if inverting else "non-inverting"))
        from chipsmith.spice.judge_waveform import schmitt_sine

        more, seen, _ = schmitt_sine(h)
        return _verdict(problems + more, facts + seen, width)
    if family == "comparator":
        diff = h.diff_inputs
        refs = h.interface.names_by_role(PortRole.REFERENCE)
        other = diff[1] if diff else (refs[0] if refs else None)
        level = h.input_dc(other) if diff else (None if other is None else _ref_level(h, other))
        mid = (up + down) / 2
        if level is not None:
            facts.append(f"decides at {mid:.3g} V against {other} = {level:.3g} V")
            if abs(mid - level) > 0.1:
                problems.append("the decision level is not the other input / the reference")
        if diff:
            xs, ys = h.sweep()
            if ys[0] > ys[-1]:
                problems.append(f"the output is high when {diff[0]} is below {diff[1]} (+ and - swapped)")
        if variant == "latched" and not h.interface.by_role(PortRole.CLOCK):
            problems.append("a latched comparator needs a clock port")
        from chipsmith.spice.judge_waveform import comparator_checks

        more, seen = comparator_checks(h, other, level)
        return _verdict(problems + more, facts + seen, mid)
    if family in ("inverter", "buffer"):
        low_in, high_in = float(y[0]), float(y[-1])
        inverting = family == "inverter"
        ok = (low_in > 0.9 * h.vdd and high_in < 0.1 * h.vdd) if inverting else (
            low_in < 0.1 * h.vdd and high_in > 0.9 * h.vdd)
        if not ok:
            problems.append(f"output {low_in:.2f} V at input 0 and {high_in:.2f} V at input vdd")
        return _verdict(problems, facts)
    raise Unverifiable(family)


def _ref_level(h, port: str) -> float:
    v = h.condition("ref_voltage_v", port)
    if v is None:
        v = h.condition("bias_voltage_v", port)
    return h.vdd / 2 if v is None else v


def _ring_loop(ctx) -> int | None:
    """Length of the shortest odd cycle of inverting stages (gate -> drain of a MOSFET
    whose source is at a rail or through a current-starving device), None when there is none."""
    s = ctx.s
    g = nx.DiGraph()
    for d in s.mos():
        if d.diode_connected or d.pins["d"] in s.rails or d.pins["g"] in s.rails:
            continue
        g.add_edge(d.pins["g"], d.pins["d"])
    best = None
    try:
        for cycle in nx.simple_cycles(g, length_bound=15):
            n = len(cycle)
            if n >= 3 and n % 2 == 1 and (best is None or n < best):
                best = n
    except TypeError:  # older networkx without length_bound
        for cycle in nx.simple_cycles(g):
            n = len(cycle)
            if n >= 3 and n % 2 == 1 and (best is None or n < best):
                best = n
    return best


def ring_stages(ctx) -> int | None:
    """Inverting stages in the design's ring (the shortest odd loop), None without one."""
    return _ring_loop(ctx)


def _rc_pairs(ctx) -> tuple[int, int]:
    """(series RC pairs, parallel RC pairs) among resistors and capacitors."""
    s = ctx.s
    rs = [d for d in s.devices if d.label == "r"]
    cs = [d for d in s.devices if d.label == "c"]
    parallel = sum(1 for r in rs for c in cs if set(r.nets) == set(c.nets))
    series = 0
    for r in rs:
        for c in cs:
            shared = set(r.nets) & set(c.nets)
            if len(shared) == 1:
                node = next(iter(shared))
                if node not in s.rails and len(s.on_net(node)) == 2:
                    series += 1
    return series, parallel


def _oscillator(ctx, family: str, variant: str | None) -> Result:
    s, h = ctx.s, ctx.h
    problems, facts = [], []
    f, amp = h.oscillation(None)
    if f is None:
        problems.append(f"no sustained oscillation (amplitude {amp:.3g} V)")
    else:
        facts.append(f"oscillates at {f:.4g} Hz, amplitude {amp:.3g} V")
    if variant == "ring":
        n = _ring_loop(ctx)
        facts.append(f"ring of {n} inverting stages" if n else "no odd ring of inverting stages")
        if not n:
            problems.append("no odd loop of inverting stages")
        if s.count("inductor"):
            problems.append("a ring oscillator has no inductor")
    elif variant == "rc_phase_shift":
        if s.count("capacitor") < 3 or s.count("resistor") < 3:
            problems.append("an RC phase-shift oscillator has at least three R-C sections")
        if s.count("inductor"):
            problems.append("no inductor in an RC oscillator")
        if _ring_loop(ctx) and s.count("capacitor") < 3:
            problems.append("this is an inverter ring")
    elif variant == "wien":
        series, parallel = _rc_pairs(ctx)
        facts.append(f"{series} series RC, {parallel} parallel RC")
        if not series or not parallel:
            problems.append("a Wien bridge needs a series RC and a parallel RC")
    elif variant == "lc":
        if not s.count("inductor") or not s.count("capacitor"):
            problems.append("an LC oscillator needs an inductor and a capacitor")
    elif variant == "relaxation":
        if not s.count("capacitor") or s.count("inductor"):
            problems.append("a relaxation oscillator charges a capacitor and has no inductor")
    elif variant == "crystal":
        raise Unverifiable("the judge has no crystal model")
    if family == "vco":
        ctrls = h.interface.names_by_role(PortRole.CONTROL)
        if not ctrls:
            problems.append("a VCO needs a control port")
        elif f is not None:
            fs = []
            for k, v in enumerate((0.3 * h.vdd, 0.7 * h.vdd)):
                fk, _ = h.oscillation(None, {ctrls[0]: f"vcx {{n}} 0 dc {v!r}"}, tag=f"vco{k}")
                fs.append(fk)
            if None in fs:
                problems.append(f"stops oscillating when {ctrls[0]} moves 0.3..0.7 vdd")
            else:
                ratio = max(fs) / min(fs)
                facts.append(f"{ctrls[0]} 0.3..0.7 vdd moves f by x{ratio:.3g}")
                if ratio < 1.1:
                    problems.append("the control does not move the frequency")
    return _verdict(problems, facts, f)


def _opamp_app(ctx, variant: str | None) -> Result:
    s, h = ctx.s, ctx.h
    problems, facts = [], []
    if not s.mos() and not s.count("bjt") and not any(d.label in ("e", "g") for d in s.devices):
        problems.append("no amplifier inside")
    fb = s.feedback_paths()
    if not fb:
        problems.append("no feedback from the output")
    ins = [p.name for p in h.interface.ports if p.role in (PortRole.SIGNAL_IN, PortRole.DIFF_IN_P,
                                                            PortRole.DIFF_IN_N)]
    figure = None
    if variant in ("inverting", "non_inverting", "buffer"):
        g = _gain(ctx)
        figure = g
        facts.append(f"closed-loop gain {g:.3g} V/V")
        if variant == "inverting" and not g < -0.5:
            problems.append("not an inverting gain")
        if variant == "non_inverting" and not g >= 0.95:
            problems.append("not a non-inverting gain >= 1")
        if variant == "buffer" and not 0.9 <= g <= 1.1:
            problems.append("not a unity-gain follower")
    elif variant in ("summer", "subtractor", "instrumentation"):
        if len(ins) < 2:
            problems.append(f"a {variant} needs two or more inputs")
        else:
            coefs, _, _ = h.linear_coefficients(ins)
            facts.append("coefficients " + ", ".join(f"{k} {v:+.3g}" for k, v in coefs.items()))
            signs = {np.sign(v) for v in coefs.values() if abs(v) > 0.1}
            if any(abs(v) <= 0.1 for v in coefs.values()):
                problems.append("an input does not reach the output")
            elif variant == "summer" and len(signs) != 1:
                problems.append("a summer weighs its inputs with one sign")
            elif variant in ("subtractor", "instrumentation") and len(signs) != 2:
                problems.append("a subtractor weighs its inputs with opposite signs")
    elif variant in ("integrator", "differentiator"):
        if not s.count("capacitor"):
            problems.append(f"an {variant} needs a capacitor")
        if variant == "integrator":
            res, out, inp, sgn = h.small_signal()
            f, hmag = res.ac.x, np.asarray(measure.db(measure.transfer(res.ac, out, inp)), dtype=float)
        else:
            f, hmag = h.filter_response()
        slope = _slope_at_unity(f, hmag)
        facts.append(f"slope {slope:+.1f} dB/dec around unity gain" if slope is not None else "no unity crossing")
        want = -20 if variant == "integrator" else 20
        if slope is None or abs(slope - want) > 8:
            problems.append(f"an {variant} has a {want:+d} dB/decade response around unity gain")
        figure = slope
        if not problems:
            more, seen = _waveform_test(ctx, variant, f, hmag)
            problems += more
            facts += seen
    elif variant == "transimpedance":
        raise Unverifiable("the judge does not test transimpedance amplifiers")
    return _verdict(problems, facts, figure)


def _waveform_test(ctx, variant: str, f: np.ndarray, mag_db: np.ndarray) -> tuple[list[str], list[str]]:
    """Square in -> triangle out (integrator), triangle in -> square out (differentiator)."""
    from chipsmith.spice import judge_waveform as W

    k = np.nonzero(np.diff(np.sign(mag_db)) != 0)[0]
    if k.size == 0:
        return ["no unity-gain frequency to time the waveform test"], []
    i = int(k[0])
    t = 0.0 if mag_db[i + 1] == mag_db[i] else -mag_db[i] / (mag_db[i + 1] - mag_db[i])
    fu = float(10 ** (math.log10(f[i]) + t * (math.log10(f[i + 1]) - math.log10(f[i]))))
    inverting = not any(r.params.get("sense") == "non_inverting" for r in ctx.request.by_kind("polarity"))
    if variant == "integrator":
        x0, _, _ = ctx.h.refined_point()
        return W.integrator_square(ctx.h, fu, x0, inverting)
    return W.differentiator_triangle(ctx.h, fu, inverting)


def _slope_at_unity(f: np.ndarray, mag: np.ndarray) -> float | None:
    lf = np.log10(f)
    idx = np.nonzero(np.diff(np.sign(mag)) != 0)[0]
    if idx.size == 0:
        return None
    k = int(idx[0])
    lo, hi = max(lf[0], lf[k] - 0.5), min(lf[-1], lf[k] + 0.5)
    if hi - lo < 0.2:
        return None
    return float((np.interp(hi, lf, mag) - np.interp(lo, lf, mag)) / (hi - lo))


def _bandgap(ctx, family: str, variant: str | None) -> Result:
    s, h = ctx.s, ctx.h
    problems, facts = [], []
    out = h.main_output()
    if out is None:
        return False, None, "no output port"
    vs = [h.node_v(h.op_at(temp=t), out) for t in (-20.0, 27.0, 85.0)]
    v27 = vs[1]
    facts.append(f"output {v27:.4g} V at 27 C")
    if family == "bandgap":
        drift = (max(vs) - min(vs)) / max(abs(v27), 1e-9) / 105 * 1e6
        facts.append(f"drift {drift:.0f} ppm/K over -20..85 C")
        if not 1.0 <= v27 <= 1.35:
            problems.append("a bandgap output sits near 1.2 V")
        if drift > 300:
            problems.append("the output is not temperature-compensated (> 300 ppm/K)")
        if s.count("diode") + s.count("bjt") < 2:
            problems.append("a bandgap needs two junction devices")
        return _verdict(problems, facts, v27)
    a = v27
    b = h.node_v(h.op_at(vdd=h.vdd * 1.1), out)
    reg = abs(b - a) / (0.1 * h.vdd)
    facts.append(f"line regulation {reg:.3g} V/V")
    if family == "ldo":
        pass_devs = [d for d in s.mos() if (d.pins["s"] == s.vdd or d.pins["d"] == s.vdd)
                     and out.lower() in (d.pins["d"], d.pins["s"])]
        if not pass_devs:
            problems.append("no pass transistor between vdd and the output")
        if reg > 0.1:
            problems.append("the output follows the supply (line regulation > 0.1 V/V)")
        # a load must not collapse the output
        rl = 1000.0
        c = h.node_v(h.op_at(overrides={out: f"rjl {{n}} 0 {rl!r}"}, tag="ldo_load"), out)
        facts.append(f"{c:.3g} V into {rl:g} ohm")
        if abs(c - a) > 0.05 * max(abs(a), 0.1):
            problems.append("the output drops by more than 5% under a 1 kohm load")
        if not s.feedback_paths() and not any(p for p in s.diff_pairs()):
            problems.append("no error amplifier / feedback")
        return _verdict(problems, facts, a)
    # reference
    if variant == "current":
        op = h.op_at(overrides={out: f"vjout {{n}} 0 dc {h.vdd / 2!r}"}, tag="iout")
        iout = abs(op.currents["vjout"])
        facts.append(f"output current {iout:.3g} A")
        if iout < 1e-7:
            problems.append("no output current")
        return _verdict(problems, facts, iout)
    if not 0.02 * h.vdd < a < 0.98 * h.vdd:
        problems.append("the output sits at a rail")
    if reg > 0.5:
        problems.append("the output follows the supply (line regulation > 0.5 V/V)")
    return _verdict(problems, facts, a)


def _mixer(ctx, variant: str | None) -> Result:
    """Two-tone spectrum of the IF output (see :mod:`chipsmith.spice.judge_mixer`)."""
    from chipsmith.spice.judge_mixer import check_mixer

    return check_mixer(ctx, variant)


def _switch_sh(ctx, family: str, variant: str | None) -> Result:
    h = ctx.h
    ctrl = (h.interface.names_by_role(PortRole.CLOCK) + h.interface.names_by_role(PortRole.CONTROL))
    inp, out = h.main_input(), h.main_output()
    if not ctrl or inp is None or out is None:
        return False, None, f"a {family.replace('_', ' ')} needs an input, an output and a clock/control port"
    c = ctrl[0]
    vin = 0.3 * h.vdd
    ons, offs = [], []
    for level in (h.vdd, 0.0):
        over = {c: f"vjc {{n}} 0 dc {level!r}", inp: f"vjin {{n}} 0 dc {vin!r}", out: "rjl {n} 0 1meg"}
        for k, other in enumerate(ctrl[1:]):  # further enables are the complements (EN / ENB)
            over[other] = f"vjcb{k} {{n}} 0 dc {h.vdd - level!r}"
        op = h.op_at(overrides=over, tag=f"sw{level}")
        (ons if level else offs).append(h.node_v(op, out))
    on, off = ons[0], offs[0]
    facts = [f"output {on:.3g} V with {c} high, {off:.3g} V with {c} low, input {vin:.3g} V"]
    problems = []
    conducts_high = abs(on - vin) < 0.05 * h.vdd
    conducts_low = abs(off - vin) < 0.05 * h.vdd
    if conducts_high == conducts_low:
        problems.append(f"{c} does not switch the input through")
    elif family == "switch" and variant in ("nmos", "transmission_gate") and not conducts_high:
        problems.append(f"an {variant.replace('_', ' ')} switch conducts with {c} high")
    elif family == "switch" and variant == "pmos" and not conducts_low:
        problems.append(f"a pmos switch conducts with {c} low")
    if family == "sample_hold":
        if not ctx.s.count("capacitor"):
            problems.append("no hold capacitor")
        elif not problems:
            problems += _hold_test(h, c, inp, out, facts, track_high=conducts_high)
    return _verdict(problems, facts)


def _hold_test(h, clk: str, inp: str, out: str, facts: list[str], *, track_high: bool) -> list[str]:
    """Input ramps 0.2 -> 0.8 vdd over 10 clock periods: in each hold phase the output must
    stay put (within 2% of vdd) while the input moves, and at the end of each track phase
    it must have caught up with the input (within 5% of vdd)."""
    per = 1.0 / (h.condition("clock_hz") or 1e6)
    n = 10
    lo, hi = 0.2 * h.vdd, 0.8 * h.vdd
    high, low = (h.vdd, 0.0) if track_high else (0.0, h.vdd)
    over = {inp: f"vjr {{n}} 0 pwl(0 {lo!r} {n * per!r} {hi!r})",
            clk: f"vjk {{n}} 0 pulse({high!r} {low!r} {per / 2!r} {per / 200!r} {per / 200!r} {per / 2 - per / 100!r} "
                 f"{per!r})"}
    save = [f"v({net(out)})", f"v({net(inp)})"]
    res = h.run("hold", lambda: h.deck(over), [Tran(per / 400, n * per)], save=save)
    t = np.asarray(res.tran.x)
    y = np.real(np.asarray(res.tran.get(save[0])))
    x = np.real(np.asarray(res.tran.get(save[1])))
    droop, lag = 0.0, 0.0
    for k in range(1, n):
        t_hold0, t_hold1 = k * per - per / 2 + per / 50, k * per - per / 50  # the hold half of period k
        droop = max(droop, abs(float(np.interp(t_hold1, t, y) - np.interp(t_hold0, t, y))))
        t_track = k * per + per / 2 - per / 50  # end of the track half
        if t_track < t[-1]:
            lag = max(lag, abs(float(np.interp(t_track, t, y) - np.interp(t_track, t, x))))
    facts.append(f"hold droop {droop * 1e3:.1f} mV, tracking error {lag * 1e3:.1f} mV")
    problems = []
    if droop > 0.02 * h.vdd:
        problems.append("the output does not hold while the switch is open")
    if lag > 0.05 * h.vdd:
        problems.append("the output does not track the input while the switch is closed")
    return problems


def _dac(ctx, variant: str | None) -> Result:
    h = ctx.h
    bits = [p.name for p in h.interface.by_role(PortRole.SIGNAL_IN)]
    if len(bits) < 2:
        return False, None, "a DAC needs two or more bit inputs"
    coefs, _, _ = h.linear_coefficients(bits)
    mags = sorted(abs(v) for v in coefs.values())
    facts = ["bit weights " + ", ".join(f"{k} {v:+.3g}" for k, v in coefs.items())]
    problems = []
    if mags[0] < 1e-3:
        problems.append("a bit does not reach the output")
    else:
        ratios = [mags[i + 1] / mags[i] for i in range(len(mags) - 1)]
        if any(abs(r - 2) > 0.3 for r in ratios):
            problems.append("the bit weights are not binary (x2 steps)")
    return _verdict(problems, facts)


def _filter_family(ctx, variant: str | None) -> Result:
    from chipsmith.spice.judge import _analyse_filter

    f, mag = ctx.h.filter_response()
    hint = next((r.params.get("corner_hz") for r in ctx.request.by_kind("filter") if r.params.get("corner_hz")), None)
    info = _analyse_filter(f, mag, hint)
    ok = info["response"] in ("lowpass", "highpass", "bandpass", "bandstop")
    detail = f"response {info['response']}"
    # the family's variant (when it names a response) and the filter requirement's response must agree
    wanted = {variant} | {r.params.get("response") for r in ctx.request.by_kind("filter")}
    wanted = {w for w in wanted if w in ("lowpass", "highpass", "bandpass", "bandstop")}
    if ok and wanted and info["response"] not in wanted:
        ok = False
        detail += f"; NOT: a {'/'.join(sorted(wanted))} filter was asked"
    return ok, info.get("corner"), detail


def _flash_adc(ctx, variant: str | None) -> Result:
    """Thermometer outputs: on a slow input ramp each output switches once, at thresholds
    that rise in the order the outputs are listed and are at least 50 mV apart."""
    h = ctx.h
    inp = h.main_input()
    outs = h.interface.names_by_role(PortRole.OUT)
    if inp is None or len(outs) < 2:
        return False, None, "a flash ADC needs an input and two or more outputs"
    t = 200e-6
    saves = [f"v({net(o)})" for o in outs]
    res = h.run("adc", lambda: h.deck({inp: f"vjr {{n}} 0 pwl(0 0 {t!r} {h.vdd!r})"}), [Tran(t / 2000, t)],
                save=saves + [f"v({net(inp)})"])
    x = np.real(np.asarray(res.tran.get(f"v({net(inp)})")))
    levels = []
    for o, sv in zip(outs, saves):
        y = np.real(np.asarray(res.tran.get(sv)))
        if y.max() - y.min() < 0.6 * h.vdd:
            return False, None, f"{o} does not switch over the input ramp"
        k = np.nonzero(np.diff(np.sign(y - h.vdd / 2)) != 0)[0]
        levels.append(float(x[k[0]]) if k.size else None)
    facts = ["thresholds " + ", ".join(f"{o} {v:.3g} V" if v is not None else f"{o} -" for o, v in zip(outs, levels))]
    problems = []
    if None in levels or any(b - a < 0.05 for a, b in zip(levels, levels[1:])):
        problems.append("the outputs do not form a thermometer code in the listed order")
    return _verdict(problems, facts)


def check_family(ctx, family: str, variant: str | None) -> Result:
    if family == "amplifier":
        return _amplifier(ctx, variant)
    if family == "opamp":
        return _opamp(ctx, variant)
    if family == "current_mirror":
        return _mirror(ctx, variant)
    if family in ("comparator", "schmitt", "inverter", "buffer"):
        return _ramp_family(ctx, family, variant)
    if family in ("oscillator", "vco"):
        return _oscillator(ctx, family, variant)
    if family == "opamp_app":
        return _opamp_app(ctx, variant)
    if family in ("bandgap", "ldo", "reference"):
        return _bandgap(ctx, family, variant)
    if family == "current_source":
        from chipsmith.spice.judge_source import current_source

        return current_source(ctx, variant)
    if family == "filter":
        return _filter_family(ctx, variant)
    if family == "mixer":
        return _mixer(ctx, variant)
    if family in ("switch", "sample_hold"):
        return _switch_sh(ctx, family, variant)
    if family == "dac":
        return _dac(ctx, variant)
    if family == "adc" and variant in (None, "flash"):
        return _flash_adc(ctx, variant)
    raise Unverifiable(f"the judge has no test for the {family} family")


__all__ = ["check_family"]
