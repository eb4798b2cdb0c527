"""Oscillators by family, and a VCO whose control port moves the frequency.

- ``ring``: an odd chain of CMOS inverters with load capacitors, buffered out.
- ``rc_phase_shift``: three CR sections around an inverting op-amp amplifier
  (f = 1 / (2 pi sqrt(6) R C), loop gain needs Rf/R >= 29; 40 for a quick start).
- ``wien``: a Wien-bridge (series RC, parallel RC) around a non-inverting op-amp
  amplifier (f = 1 / (2 pi R C), gain 3.3 > 3 so it starts; the rails limit the swing).
- ``relaxation``: an op-amp Schmitt trigger charging an RC
  (f = 1 / (2 R C ln 3) with half the output fed back).
- ``lc``: a cross-coupled NMOS pair with an LC tank per side and a tail current source
  (f = 1 / (2 pi sqrt(L C))).
- VCO (:func:`vco`): a current-starved ring whose starving current is a floor current
  plus a current the control voltage sets through a degenerated NMOS, so it runs over
  the whole control range and the frequency rises with the control voltage.

Frequencies are placed by the formula first, then (``tune=True``) refined with ngspice
transients from zero initial conditions, the way an external testbench starts them.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace

from chipsmith.agents.circuit import Builder, Design, Port
from chipsmith.agents.gen_base import CONTROL, REFERENCE, Pins, finish, mos_params, net
from chipsmith.agents.gen_opamp import OpampParams, _core
from chipsmith.errors import InputError

FAMILIES = ("ring", "rc_phase_shift", "wien", "relaxation", "lc")
DEFAULT_HZ = {"ring": 50e6, "rc_phase_shift": 20e3, "wien": 20e3, "relaxation": 20e3, "lc": 50e6}


@dataclass(frozen=True)
class OscParams:
    family: str = "ring"
    frequency_hz: float | None = None
    stages: int = 5
    cload: float = 20e-15          # ring: capacitor per stage (tuned)
    r: float = 100e3               # RC families: resistor (C from the frequency)
    gain_margin: float = 1.4       # loop gain over the minimum needed to oscillate
    vdd: float = 1.8
    model_file: str | None = None

    def __post_init__(self) -> None:
        if self.family not in FAMILIES:
            raise InputError(f"unknown oscillator family {self.family!r}", fix=f"use one of: {', '.join(FAMILIES)}")
        if self.stages < 3 or self.stages % 2 == 0:
            raise InputError(f"a ring needs an odd number (>= 3) of inverters, got {self.stages}")

    @property
    def f(self) -> float:
        return self.frequency_hz or DEFAULT_HZ[self.family]


def _inverter(b: Builder, a: str, y: str, wn: float, l: float, *, top: str = "vdd", bottom: str = "gnd") -> None:
    b.m(y, a, top, "vdd", "p", wn * 3.5, l, region="any")
    b.m(y, a, bottom, "gnd", "n", wn, l, region="any")


def oscillator(pins: Pins, p: OscParams) -> Design:
    diff_out = pins.diff_out if p.family == "lc" else None
    if len(pins.outputs) != 1 and not diff_out:
        raise InputError("an oscillator has one output port" + (" (or, LC, a differential pair)" if p.family == "lc"
                         else ""), fix="give one out port")
    extra = pins.by("signal_in", "diff_in_p", "diff_in_n", "clock") + (pins.by("control")[1:] if p.family == "lc"
                                                                      else pins.by("control"))
    if extra:
        raise InputError(f"a free-running {p.family} oscillator has no use for input port(s) {', '.join(extra)}",
                         fix="drop them, or ask for a VCO when one is a control input")
    tune = pins.by("control")[0] if p.family == "lc" and pins.by("control") else None
    out = diff_out[0] if diff_out else pins.outputs[0]
    b = Builder()
    io: dict[str, Port] = {}
    m_n, m_p = mos_params(p.model_file, "nch"), mos_params(p.model_file, "pch")
    bias_v, bias_i = list(pins.bias_v), list(pins.bias_i)
    op = OpampParams(itail=50e-6, k2=8.0, cc=0.5e-12, vdd=p.vdd, model_file=p.model_file)
    if p.f > 200e3:  # a faster op-amp (gain x bandwidth well above 40 x f) for high-frequency RC oscillators
        op = OpampParams(itail=200e-6, k2=8.0, cc=0.3e-12, vdd=p.vdd, model_file=p.model_file)
    uses_ref = False

    def vref() -> str:
        nonlocal uses_ref
        uses_ref = True
        refs = pins.by(REFERENCE)
        if refs:
            io[refs[0]] = Port(refs[0], "bias", pins.level(refs[0]), "V", "signal reference")
            return refs[0]
        b.block("reference_divider", "mid-rail reference")
        b.r("vdd", net("vr"), 20e3)
        b.r(net("vr"), "gnd", 20e3)
        b.c(net("vr"), "gnd", 10e-12)
        return net("vr")

    def opamp(plus: str, minus: str, o: str) -> None:
        _core(b, bias_v, io, bias_i, plus, minus, o, op, m_n, m_p, level=pins.level)

    f = p.f
    if p.family == "ring":
        n = p.stages
        nodes = [net(f"r{i}") for i in range(n)]
        b.block(f"inverter_ring_{n}", f"{n} CMOS inverters in a loop, {p.cload * 1e15:.3g} fF per stage")
        for i in range(n):
            _inverter(b, nodes[i - 1], nodes[i], 1e-6, 0.5e-6)
            b.c(nodes[i], "gnd", p.cload)
        b.block("output_buffer", "inverter isolates the ring from the load")
        _inverter(b, nodes[-1], out, 4e-6, 0.5e-6)
    elif p.family == "rc_phase_shift":
        c = 1 / (2 * math.pi * math.sqrt(6) * p.r * f)
        vr = vref()
        b.block("rc_phase_shift_network", f"three CR sections, 180 degrees at {f:.4g} Hz")
        b.c(out, net("a"), c)
        b.r(net("a"), vr, p.r)
        b.c(net("a"), net("b"), c)
        b.r(net("b"), vr, p.r)
        b.c(net("b"), net("c"), c)
        b.block("inverting_amplifier", f"gain -{29 * p.gain_margin:.3g} (29 needed)")
        b.r(net("c"), net("n"), p.r)
        b.r(net("n"), out, 29 * p.gain_margin * p.r)
        opamp(vr, net("n"), out)
    elif p.family == "wien":
        c = 1 / (2 * math.pi * p.r * f)
        vr = vref()
        b.block("wien_bridge", f"series RC and parallel RC, zero phase at {f:.4g} Hz")
        b.r(out, net("w"), p.r)
        b.c(net("w"), net("p"), c)
        b.r(net("p"), vr, p.r)
        b.c(net("p"), vr, c)
        gain = 3.0 * min(p.gain_margin, 1.15)
        b.block("non_inverting_amplifier", f"gain {gain:.3g} (3 needed)")
        b.r(net("n"), vr, 20e3)
        b.r(net("n"), out, 20e3 * (gain - 1))
        opamp(net("p"), net("n"), out)
    elif p.family == "relaxation":
        beta = 0.25  # small feedback fraction keeps both op-amp inputs near mid-rail (input range)
        c = 1 / (2 * p.r * f * math.log((1 + beta) / (1 - beta)))
        vr = vref()
        b.block("schmitt_feedback", f"{beta:g} of the output fed back to the non-inverting input")
        b.r(out, net("p"), 100e3 * (1 - beta) / beta)
        b.r(net("p"), vr, 100e3)
        b.block("rc_timing", f"R {p.r:.3g} ohm charges C toward the output")
        b.r(out, net("n"), p.r)
        b.c(net("n"), vr, c)
        opamp(net("p"), net("n"), out)
    else:  # lc
        lval = min(10e-6, max(1e-9, 10e-9 * 1e9 / f))  # ~ 60 ohm reactance: Q ~ 30 with 2 ohm
        ctot = 1 / ((2 * math.pi * f) ** 2 * lval)
        cpar = 0.7e-12  # the pair's and the tail's capacitance on each tank (measured at 1 GHz)
        if ctot <= 1.5 * cpar:
            raise InputError(f"an LC oscillator at {f:.3g} Hz needs under {1.5 * cpar * 1e12:.2g} pF per tank",
                             fix="ask for a lower frequency")
        b.block("lc_tanks", f"{lval * 1e9:.3g} nH and {ctot * 1e12:.3g} pF per side; the outputs are the tanks")
        sides = diff_out or (out, net("b"))
        for k, side in enumerate(sides):
            # a 2-ohm winding resistance (Q ~ 30 at 1 GHz): real, and it keeps the transient from
            # zero initial conditions solvable
            b.r("vdd", net(f"lw{k}"), 2.0)
            b.ind(net(f"lw{k}"), side, lval)
            # 2 % mismatch between the sides: a perfectly symmetric pair started from zero
            # stays balanced forever in simulation (a real one starts from noise)
            b.c(side, "gnd", (ctot - cpar) * (1.0 + 0.02 * k))
        if tune:
            # tuning without varactors: a capacitor per side switched to ground through an NMOS whose
            # gate is the control; as the control rises the switch conducts and the tank slows down
            b.block("switched_capacitor_tuning", f"{tune} connects 30 % more tank capacitance per side")
            # the switches' sources sit at 0.5 V (decoupled): they turn on as the control passes ~1 V
            b.r("vdd", net("ts"), 13e3)
            b.r(net("ts"), "gnd", 5e3)
            b.c(net("ts"), "gnd", 20e-12)
            for k, side in enumerate(sides):
                b.c(side, net(f"tc{k}"), 0.3 * (ctot - cpar))
                # wide switch: its on-resistance must stay small against the capacitor's reactance
                b.m(net(f"tc{k}"), tune, net("ts"), "gnd", "n", 200e-6, 0.18e-6, region="any")
            io[tune] = Port(tune, "voltage_in", pins.level(tune), "V", "control: frequency falls as it rises")
        b.block("cross_coupled_pair", "NMOS pair, each gate on the other drain: negative resistance")
        b.m(sides[0], sides[1], net("t"), "gnd", "n", 20e-6, 0.5e-6, region="any")
        b.m(sides[1], sides[0], net("t"), "gnd", "n", 20e-6, 0.5e-6, region="any")
        b.block("tail_source", "tail current source")
        b.c(net("t"), "gnd", 20e-15)
        if bias_v:
            gate = bias_v.pop(0)
            vb = pins.level(gate)
            if vb - m_n.vto < 0.1:
                raise InputError(f"tail bias {gate} at {vb:g} V cannot turn the tail on")
            io[gate] = Port(gate, "bias", vb, "V", "tail current-source gate voltage")
            b.m(net("t"), gate, "gnd", "gnd", "n", m_n.wl(400e-6, vb - m_n.vto, 0.5) * 1e-6, 1e-6)
        else:
            b.m(net("nb"), net("nb"), "gnd", "gnd", "n", 10e-6, 1e-6)
            b.r("vdd", net("nb"), 20e3)
            b.m(net("t"), net("nb"), "gnd", "gnd", "n", 40e-6, 1e-6)
    if bias_v or bias_i:
        raise InputError(f"a {p.family} oscillator has no use for bias port(s) {', '.join(bias_v + bias_i)}")
    refs = pins.by(REFERENCE)
    if refs and not uses_ref:
        raise InputError(f"a {p.family} oscillator has no use for reference port {refs[0]}")
    for o in (diff_out or (out,)):
        io[o] = Port(o, "voltage_out", p.vdd if p.family == "lc" else p.vdd / 2, "V", f"oscillates at about {f:.4g} Hz")
    kind = "ring_oscillator" if p.family == "ring" else ("vco" if tune else f"oscillator_{p.family}")
    return finish(kind, p.family, b, pins, io, vdd=p.vdd, model_file=p.model_file,
                  params={"frequency_hz": f, "cload": p.cload, "r": p.r})


# --- VCO ----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class VcoParams:
    stages: int = 5
    cload: float = 20e-15
    i_floor: float = 10e-6        # starving current with the control at 0 V
    r_ctl: float = 15e3           # degeneration of the control NMOS: I ~ (Vctl - Vt) / R
    frequency_hz: float | None = None   # at the control's mid level (tuned)
    vdd: float = 1.8
    model_file: str | None = None


def vco(pins: Pins, p: VcoParams) -> Design:
    ctl = pins.by(CONTROL) or pins.by("bias_v")
    if not ctl or len(pins.outputs) != 1:
        raise InputError("a VCO needs a control input port and one output port",
                         fix="mark the tuning input with role control")
    ctrl, out = ctl[0], pins.outputs[0]
    extra = [n for n in pins.external if n not in (ctrl, out)]
    if extra:
        raise InputError(f"a VCO has no use for port(s) {', '.join(extra)}")
    b = Builder()
    p = vco_core(b, ctrl, out, p)
    io = {ctrl: Port(ctrl, "voltage_in", pins.level(ctrl), "V", "control: frequency rises with it"),
          out: Port(out, "voltage_out", p.vdd / 2, "V")}
    return finish("vco", "current_starved_ring", b, pins, io, vdd=p.vdd, model_file=p.model_file,
                  params={"cload": p.cload, "i_floor": p.i_floor, "r_ctl": p.r_ctl})


def vco_core(b: Builder, ctrl: str, out: str, p: VcoParams, prefix: str = "") -> VcoParams:
    """Write the current-starved ring VCO into ``b`` (control net ``ctrl``, buffered output
    ``out``; internal nets ``net(prefix + ...)``) so that a larger circuit (a PLL) can embed it;
    returns the parameters actually used (a 3-stage ring above 100 MHz)."""
    m_p = mos_params(p.model_file, "pch")
    k = 1.0
    if p.frequency_hz and p.frequency_hz > 100e6 and p.stages == 5:
        p = replace(p, stages=3)
        k = 3.0  # starving devices three times the bias devices: three times the current
    b.block("control_to_current", "floor resistor + degenerated NMOS: current rises with the control voltage")
    pd, nd = net(prefix + "pd"), net(prefix + "nd")
    b.m(pd, pd, "vdd", "vdd", "p", 8e-6, 1e-6)
    b.r(pd, "gnd", (p.vdd - m_p.vgs(p.i_floor, 8e-6, 1e-6)) / p.i_floor)
    b.m(pd, ctrl, net(prefix + "s"), "gnd", "n", 10e-6, 1e-6)
    b.r(net(prefix + "s"), "gnd", p.r_ctl)
    b.c(net(prefix + "s"), "gnd", 100e-15)
    b.block("nmos_bias_copy", "PMOS copy into an NMOS diode for the pull-down starving devices")
    b.m(nd, pd, "vdd", "vdd", "p", 8e-6, 1e-6)
    b.m(nd, nd, "gnd", "gnd", "n", 3e-6, 1e-6)
    b.c(pd, "vdd", 50e-15)  # bias nodes hold still while the ring switches
    b.c(nd, "gnd", 50e-15)
    n = p.stages
    nodes = [net(f"{prefix}r{i}") for i in range(n)]
    b.block(f"current_starved_ring_{n}", "inverters between a PMOS source and an NMOS sink")
    for i in range(n):
        top, bot = net(f"{prefix}t{i}"), net(f"{prefix}u{i}")
        b.m(top, pd, "vdd", "vdd", "p", 8e-6 * k, 1e-6)
        b.m(bot, nd, "gnd", "gnd", "n", 3e-6 * k, 1e-6)
        _inverter(b, nodes[i - 1], nodes[i], 1e-6 * k, 0.5e-6, top=top, bottom=bot)
        b.c(nodes[i], "gnd", p.cload)
        b.c(top, "vdd", 2e-15)  # junction capacitance the level-1 cards leave out: every node
        b.c(bot, "gnd", 2e-15)  # needs some for a transient from zero initial conditions
    b.block("output_buffer", "inverter restores full logic levels")
    _inverter(b, nodes[-1], out, 2e-6, 0.5e-6)
    return p


def _retune(build, p, f_target: float, out: str, rounds: int = 4, dc: dict | None = None):
    """Scale the per-stage load capacitor until the measured frequency is within 5 % of the target
    (f ~ 1 / (C_load + C_parasitic)); returns the last design."""
    from chipsmith.agents.gen_verify import oscillation

    cpar = 8e-15
    design = build(p)
    for _ in range(rounds):
        f, _pp = oscillation(design, out, stop=40.0 / f_target, step=1.0 / (60.0 * f_target), dc=dc)
        if f <= 0 or abs(f - f_target) <= 0.05 * f_target:
            break
        p = replace(p, cload=max(1e-15, (p.cload + cpar) * f / f_target - cpar))
        design = build(p)
    return design


def tuned(pins: Pins, p: OscParams) -> Design:
    """A ring oscillator placed at ``p.frequency_hz`` by ngspice (see :func:`_retune`)."""
    return _retune(lambda q: oscillator(pins, q), p, p.f, pins.outputs[0])


def tuned_vco(pins: Pins, p: VcoParams) -> Design:
    """A VCO whose frequency at the control's mid level is ``p.frequency_hz``."""
    if not p.frequency_hz:
        return vco(pins, p)
    ctl = (pins.by(CONTROL) or pins.by("bias_v"))[0]
    return _retune(lambda q: vco(pins, q), p, p.frequency_hz, pins.outputs[0], dc={ctl: pins.level(ctl)})


@dataclass(frozen=True)
class RelaxVcoParams:
    frequency_hz: float = 30e3     # at the control's mid level
    hysteresis: float = 0.45       # Schmitt window the capacitor swings across (V)
    i_floor: float = 10e-6
    r_ctl: float = 15e3
    vdd: float = 1.8
    model_file: str | None = None


def relaxation_vco(pins: Pins, p: RelaxVcoParams) -> Design:
    """A capacitor charged and discharged by currents the control sets, between the thresholds of
    an op-amp Schmitt trigger: f = I / (2 C dV), I = floor + (Vctl - Vt) / R through a degenerated
    NMOS, mirrored to a PMOS source and an NMOS sink that the Schmitt output switches."""
    ctl = pins.by(CONTROL) or pins.by("bias_v")
    if not ctl or len(pins.outputs) != 1:
        raise InputError("a VCO needs a control input port and one output port")
    ctrl, out = ctl[0], pins.outputs[0]
    extra = [n for n in pins.external if n not in (ctrl, out)]
    if extra:
        raise InputError(f"a relaxation VCO has no use for port(s) {', '.join(extra)}")
    m_n, m_p = mos_params(p.model_file, "nch"), mos_params(p.model_file, "pch")
    b = Builder()
    pd, nd = net("pd"), net("nd")
    b.block("control_to_current", "floor resistor + degenerated NMOS: current rises with the control voltage")
    b.m(pd, pd, "vdd", "vdd", "p", 8e-6, 1e-6)
    b.r(pd, "gnd", (p.vdd - m_p.vgs(p.i_floor, 8e-6, 1e-6)) / p.i_floor)
    b.m(pd, ctrl, net("s"), "gnd", "n", 10e-6, 1e-6)
    b.r(net("s"), "gnd", p.r_ctl)
    b.m(nd, pd, "vdd", "vdd", "p", 8e-6, 1e-6)
    b.m(nd, nd, "gnd", "gnd", "n", 3e-6, 1e-6)
    i_mid = p.i_floor + max(pins.level(ctrl) - m_n.vto - 0.1, 0.05) / p.r_ctl
    cap = i_mid / (2 * p.frequency_hz * p.hysteresis)
    n = net("n")
    b.block("switched_current_sources", "PMOS source charges, NMOS sink discharges the timing capacitor")
    b.m(net("pc"), pd, "vdd", "vdd", "p", 8e-6, 1e-6)
    b.m(n, net("ob"), net("pc"), "vdd", "p", 4e-6, 0.18e-6, region="any")
    b.m(net("nc"), nd, "gnd", "gnd", "n", 3e-6, 1e-6)
    b.m(n, net("ob"), net("nc"), "gnd", "n", 2e-6, 0.18e-6, region="any")
    b.block("timing_capacitor", f"{cap * 1e12:.4g} pF")
    b.c(n, "gnd", cap)
    b.block("reference_divider", "mid-rail reference")
    b.r("vdd", net("vr"), 20e3)
    b.r(net("vr"), "gnd", 20e3)
    b.c(net("vr"), "gnd", 10e-12)
    beta = p.hysteresis / p.vdd
    b.block("schmitt_feedback", f"thresholds mid-rail +- {p.hysteresis / 2:.3g} V")
    b.r(out, net("p"), 100e3 * (1 - beta) / beta)
    b.r(net("p"), net("vr"), 100e3)
    op = OpampParams(itail=20e-6, k2=5.0, cc=0.2e-12, vdd=p.vdd, model_file=p.model_file)
    _core(b, [], {}, [], net("p"), n, net("o1"), op, m_n, m_p, prefix="c")
    b.block("output_inverters", "rail-to-rail output; its complement drives the current switches")
    _inverter(b, net("o1"), net("ob"), 1e-6, 0.5e-6)
    _inverter(b, net("ob"), out, 2e-6, 0.5e-6)
    io = {ctrl: Port(ctrl, "voltage_in", pins.level(ctrl), "V", "control: frequency rises with it"),
          out: Port(out, "voltage_out", p.vdd / 2, "V")}
    return finish("vco", "relaxation", b, pins, io, vdd=p.vdd, model_file=p.model_file,
                  params={"frequency_hz": p.frequency_hz, "cap": cap})
