"""Judge checks for current sources and mirrors that drive a load, and for amplifiers'
operating points (every transistor conducts).

A current source (or a mirror's output) is a current that does not depend on what it
drives: the judge sweeps the load resistor over a range (the design's own load resistor,
found in the netlist as a resistor from a rail to the output port, has its value
rewritten; a design without one gets the judge's own resistor at the output) and
requires the current through it to stay within a few percent, to be large enough to
measure (>= 10 uA by default), and to follow what sets it: the reference current of a
current input port (more reference, proportionally more output) or the bias voltage of
a bias port. The load range is the decade below the design's own value joined with
100..1000 ohm (the textbook bench), so a design cannot pass by choosing an odd value.

Operating points: an amplifier or op-amp transistor that carries no current is a dead
device (a design error even when the gain figure happens to pass); :func:`conduction`
reports the smallest |Id| of every MOSFET at the working operating point.
"""
from __future__ import annotations

import math
import re
from dataclasses import replace
from typing import Any

import numpy as np

from chipsmith.spice.judge_bench import Unverifiable, net
from chipsmith.spice.judge_structure import Dev
from chipsmith.spice.requirements import PortRole

Result = tuple[Any, Any, str]

MIN_CURRENT_A = 10e-6      # a current source must deliver at least this much
CONSTANT_TOL = 0.02        # (max - min) / median of the load current over the sweep (the public benches: 2 %)
MIN_CONDUCTION_A = 1e-6    # below this |Id| a transistor of an amplifier is dead
TEXTBOOK_LOADS = (100.0, 1000.0)


def load_resistor(s, out: str) -> Dev | None:
    """The resistor from a rail to the output net (the design's own load), if there is one."""
    out = out.lower()
    for d in s.devices:
        if d.label == "r" and out in d.nets and "/" not in d.name and (set(d.nets) - {out}) & s.rails:
            return d
    return None


def _resistor_value(design_text: str, name: str) -> float | None:
    from chipsmith.spice.parser import parse_netlist

    sub = parse_netlist("* d\n" + design_text, "<design>").subckt("design")
    e = sub.find(name) if sub is not None else None
    return float(e.value) if e is not None and isinstance(e.value, float) else None


def _with_value(design_text: str, name: str, value: float) -> str:
    """The design text with element ``name`` of ``.subckt design`` set to ``value``."""
    out, inside = [], False
    for line in design_text.splitlines():
        low = line.strip().lower()
        if low.startswith(".subckt") and len(low.split()) > 1 and low.split()[1] == "design":
            inside = True
        elif low.startswith(".ends"):
            inside = False
        tokens = line.split()
        if inside and tokens and tokens[0].lower() == name.lower() and len(tokens) >= 4:
            tokens[3] = repr(float(value))
            line = " ".join(tokens[:4])  # R name n1 n2 value: drop any trailing parameters
        out.append(line)
    return "\n".join(out)


def _sweep_values(r0: float | None) -> list[float]:
    lo, hi = TEXTBOOK_LOADS
    if r0 is not None and r0 > 0:
        lo, hi = min(lo, r0 / 10), max(hi, r0)
    return [float(v) for v in np.geomspace(lo, hi, 5)]


def load_currents(ctx, overrides: dict[str, str] | None = None, tag: str = "") -> tuple[list[float], list[float], str]:
    """(load values, currents through the load, how) with the load resistor swept."""
    h, s = ctx.h, ctx.s
    out = h.main_output()
    if out is None:
        raise Unverifiable("no output port")
    dev = load_resistor(s, out)
    values, currents = [], []
    if dev is not None:
        r0 = _resistor_value(h.design_text, dev.name)
        rail = next(iter(set(dev.nets) - {out.lower()}))
        v_rail = h.vdd if rail == s.vdd else 0.0
        for k, rl in enumerate(_sweep_values(r0)):
            for nudge in (1.0, 1.013, 0.987, 1.1, 0.9):
                # ngspice's level-1 operating point can land on a non-physical solution (a node
                # volts outside the rails); the same load nudged by ~1% finds the real one
                rl_k = rl * nudge
                hk = replace(h, design_text=_with_value(h.design_text, dev.name, rl_k), _cache={}, runs=0)
                op = hk.op_at(overrides=overrides, tag=f"load{k}")
                h.runs += hk.runs
                if _physical(op, h.vdd):
                    break
            rl = rl_k
            v = h.node_v(op, out)
            values.append(rl)
            currents.append(abs(v_rail - v) / rl)
        return values, currents, f"the design's load {dev.name} swept {values[0]:.3g}..{values[-1]:.3g} ohm"
    # no load inside: the judge's own, from the rail the output current comes from
    probe = h.op_at(overrides={**(overrides or {}), out: f"vjout {{n}} 0 dc {h.vdd / 2!r}"}, tag=f"probe{tag}")
    sinks = probe.currents["vjout"] < 0  # current flows into the pin: the load hangs from vdd
    for k, rl in enumerate(_sweep_values(None)):
        card = f"rjload jvdd {{n}} {rl!r}" if sinks else f"rjload {{n}} 0 {rl!r}"
        op = h.op_at(overrides={**(overrides or {}), out: card}, tag=f"xload{tag}{k}")
        v = h.node_v(op, out)
        values.append(rl)
        currents.append(abs((h.vdd - v) if sinks else v) / rl)
    return values, currents, f"a load from {'vdd' if sinks else 'gnd'} swept {values[0]:.3g}..{values[-1]:.3g} ohm"


def load_value_problem(ctx, dev: Dev) -> str | None:
    """The stated load value (condition ``load_res_ohm``) against the design's load resistor."""
    want = ctx.h.condition("load_res_ohm")
    if want is None:
        return None
    got = _resistor_value(ctx.h.design_text, dev.name)
    if got is None or abs(got - want) > 0.02 * want:
        return f"load resistor {dev.name} is {got if got is not None else '?'} ohm, the request says {want:g} ohm"
    return None


def _physical(op, vdd: float) -> bool:
    return all(-0.5 <= v <= vdd + 0.5 for v in op.voltages.values())


def _spread(currents: list[float]) -> float:
    med = float(np.median(currents))
    return (max(currents) - min(currents)) / med if med > 0 else math.inf


def source_behaviour(ctx, *, ratio: float | None = None,
                     proportional: bool = True) -> tuple[list[str], list[str], float | None]:
    """(problems, facts, current) of a current source / mirror output driving a swept load.

    ``ratio``: the expected output/reference ratio of a mirror (None: not checked);
    ``proportional``: the output follows the reference in proportion (a Widlar source only
    moves the same way, logarithmically)."""
    h = ctx.h
    problems, facts = [], []
    values, currents, how = load_currents(ctx, tag="")
    i_mid = float(np.median(currents))
    spread = _spread(currents)
    facts.append(f"load current {min(currents) * 1e6:.4g}..{max(currents) * 1e6:.4g} uA with {how} "
                 f"(spread {spread * 100:.2f}%)")
    if spread > CONSTANT_TOL:
        problems.append(f"the current changes by {spread * 100:.1f}% as the load changes (a source keeps it "
                        f"within {CONSTANT_TOL * 100:.0f}%)")
    if i_mid < MIN_CURRENT_A:
        problems.append(f"the current {i_mid * 1e6:.3g} uA is below {MIN_CURRENT_A * 1e6:g} uA")
    refs = h.interface.names_by_role(PortRole.BIAS_I)
    biases = h.interface.names_by_role(PortRole.BIAS_V, PortRole.CONTROL, PortRole.REFERENCE, PortRole.SIGNAL_IN)
    if refs:
        ref = refs[0]
        i0 = h.bias_current(ref)
        sign = 1.0 if (h.condition("bias_current_a", ref) or h.condition("ref_current_a", ref) or 1.0) > 0 else -1.0
        i1 = 1.5 * i0
        card = f"ibj_{ref.lower()} jvddb {{n}} dc {i1!r}" if sign > 0 else f"ibj_{ref.lower()} {{n}} 0 dc {i1!r}"
        _, cur1, _ = load_currents(ctx, overrides={ref: card}, tag="ref")
        change = float(np.median(cur1)) / i_mid - 1 if i_mid > 0 else 0.0
        facts.append(f"{ref} x1.5 -> output x{1 + change:.3f}")
        if not (0.3 <= change <= 0.7 if proportional else change >= 0.1):
            problems.append(f"the output does not follow {ref} (x1.5 reference gave x{1 + change:.3f})")
        if ratio is not None and i0 > 0:
            got = i_mid / i0
            facts.append(f"output/reference {got:.3f}")
            if abs(got - ratio) > 0.2 * ratio:
                problems.append(f"the output is {got:.3f} x the reference, not {ratio:g} x")
    elif biases:
        port = biases[0]
        level = h.input_dc(port) if h.interface.role_of(port) is PortRole.SIGNAL_IN else (
            h.condition("bias_voltage_v", port) or h.condition("control_v", port) or h.condition(
                "ref_voltage_v", port) or h.vdd / 2)
        card = f"vbj_{port.lower()} {{n}} 0 dc {level + 0.1!r}"
        _, cur1, _ = load_currents(ctx, overrides={port: card}, tag="bias")
        change = float(np.median(cur1)) / i_mid - 1 if i_mid > 0 else 0.0
        facts.append(f"{port} +0.1 V -> current x{1 + change:.3f}")
        if abs(change) < 0.05:
            problems.append(f"the current does not depend on {port} (it is not what sets the current)")
    return problems, facts, i_mid


def current_source(ctx, variant: str | None) -> Result:
    """Family current_source: a transistor output whose current ignores its load."""
    s = ctx.s
    problems, facts = [], []
    out = ctx.h.main_output()
    if out is None:
        return False, None, "no output port"
    drivers = [d for d in s.mos() + [d for d in s.devices if d.label in ("npn", "pnp")]
               if out.lower() in (d.pins.get("d"), d.pins.get("c"))]
    if not drivers:
        problems.append("no transistor drives the output (a current source is a transistor's drain/collector)")
    more, facts2, i_mid = source_behaviour(ctx)
    problems += more
    facts += facts2
    detail = "; ".join(facts) + ("; NOT: " + "; ".join(problems) if problems else "")
    return not problems, i_mid, detail


def conduction(ctx) -> tuple[float | None, str | None]:
    """(smallest |Id| over the MOSFETs, its device) at the working operating point: the
    input at the level the gain is measured around (else the default stimulus)."""
    from chipsmith.spice.runner import Dc

    h, s = ctx.h, ctx.s
    mos = s.mos()
    if not mos:
        return None, None
    overrides = {}
    inp = h.main_input()
    if inp is not None and h.main_output() is not None:
        try:
            res, _, innode, _ = h.small_signal()
            vin = res.op.voltages.get(innode)
            if vin is not None and math.isfinite(vin):
                overrides[inp] = f"vjin {{n}} 0 dc {vin!r}"
        except Exception:  # noqa: BLE001 - no working point: the default stimulus
            pass
    names = {d.name: f"@m.xdut.{d.name.replace('/', '.')}" for d in mos}
    saves = [f"{v}[{q}]" for v in names.values() for q in ("id", "vds")]
    # a one-step DC sweep of a dummy source: the operating point with every device current saved
    res = h.run("conduction", lambda: h.deck(overrides, extra=["vjdum jdum 0 dc 0", "rjdum jdum 0 1"]),
                [Dc("vjdum", 0.0, 1e-3, 1e-3)], save=saves)
    ids = []
    for name, vec in names.items():
        try:
            i = abs(float(np.real(np.asarray(res.dc.get(f"{vec}[id]")))[0]))
            vds = abs(float(np.real(np.asarray(res.dc.get(f"{vec}[vds]")))[0]))
        except Exception:  # noqa: BLE001 - a device ngspice does not report is not judged here
            continue
        if vds < 1e-3:
            continue  # no voltage across it: a MOS resistor/switch in a DC-blocked branch, not a biased device
        ids.append((i, name))
    if not ids:
        return None, None
    return min(ids)


def conduction_problem(ctx, facts: list[str]) -> str | None:
    """A problem line when a MOSFET of the design conducts less than MIN_CONDUCTION_A."""
    if not ctx.s.mos():
        return None
    try:
        i, name = conduction(ctx)
    except Exception:  # noqa: BLE001 - no operating point: the other checks say why
        return None
    if i is None:
        return None
    facts.append(f"min |Id| {i * 1e6:.3g} uA ({name})")
    if i < MIN_CONDUCTION_A:
        return f"transistor {name} carries {i * 1e6:.3g} uA at the operating point (dead device)"
    return None


__all__ = ["load_value_problem", "load_resistor", "load_currents", "source_behaviour", "current_source", "conduction",
           "conduction_problem", "MIN_CURRENT_A", "CONSTANT_TOL", "MIN_CONDUCTION_A"]


def compensation_caps(s) -> list[str]:
    """Capacitors around a GAIN STAGE of the signal path: from a gain transistor's drain back
    to its gate, directly or through a series (nulling) resistor; a capacitor with an end on
    a rail (decoupling, load) or around a bias device is not compensation."""
    gain = {d.name for stage in s.stage_devices() for d in stage if d.is_mos}
    found = []
    for dev in s.mos():
        if dev.name not in gain:
            continue
        g, d = dev.pins["g"], dev.pins["d"]
        if g == d or g in s.rails or d in s.rails:
            continue
        reach = s.passive_reach(g, stop=[d])
        for cap in s.devices:
            if cap.label != "c" or d not in cap.nets or set(cap.nets) & s.rails:
                continue
            if (set(cap.nets) - {d}) & reach and f"{cap.name} ({dev.name})" not in found:
                found.append(f"{cap.name} ({dev.name})")
    return found
