"""Op-amp application circuits whose resistor networks are solved from the requested relation.

:func:`solve_linear` turns ``out = sum(c_i * v_i) + c0`` (any signs, any number of
inputs) into one op-amp network: inputs with negative coefficients through resistors
into the inverting node, positive ones into the non-inverting node, plus at most one
balancing resistor to ground on one side, so that

    Vp = sum(a_i v_i) / G,   out = G * Vp - sum(|a_j| v_j),   G = 1 + sum|a_j| + g_ng

reproduces every coefficient exactly (conductances in units of 1/Rf). The constant is
one more "input" from the supply (coefficient ``c0 / vdd``).

Single supply: signals swing about a reference ``Vr`` (the user's reference port, else
mid-rail), so a requested ``out = sum(c_i v_i) + offset`` is built as
``out - Vr = sum(c_i (v_i - Vr)) + offset``: the coefficients hold for any input, and
with every input at ``Vr`` the output sits at ``Vr + offset``.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Mapping

from chipsmith.agents.circuit import Builder, Design, Port, fmt
from chipsmith.agents.gen_base import REFERENCE, Pins, finish, mos_params, net
from chipsmith.agents.gen_opamp import OpampParams, _core
from chipsmith.errors import InputError

SUPPLY_TERM = "__supply__"


@dataclass(frozen=True)
class Network:
    """Resistors of a solved network: (source net, "p" or "n", ohms), feedback Rf, balance legs."""

    legs: tuple[tuple[str, str, float], ...]
    rf: float


def solve_linear(coefs: Mapping[str, float], rf: float = 100e3) -> Network:
    """Resistor legs realising ``out = sum(coefs[name] * v(name))`` around one op-amp.

    ``name`` may be ``"gnd"`` (ignored: zero volts). Zero coefficients are skipped. A
    leg to ``"gnd"`` balances the sides. Raises when nothing drives the output.
    """
    pos = {k: v for k, v in coefs.items() if v > 0 and k != "gnd"}
    neg = {k: -v for k, v in coefs.items() if v < 0 and k != "gnd"}
    if not pos and not neg:
        raise InputError("the requested relation has no input with a non-zero coefficient")
    a, bsum = sum(pos.values()), sum(neg.values())
    g_ng = max(0.0, a - 1.0 - bsum)
    g = 1.0 + bsum + g_ng
    g_pg = g - a
    legs = [(k, "n", rf / v) for k, v in neg.items()]
    legs += [(k, "p", rf / v) for k, v in pos.items()]
    if g_ng > 1e-9:
        legs.append(("gnd", "n", rf / g_ng))
    if g_pg > 1e-9:
        legs.append(("gnd", "p", rf / g_pg))
    return Network(tuple(legs), rf)


@dataclass(frozen=True)
class LinearParams:
    """``out - Vr = sum(coefs[i] * (v_i - Vr)) + offset`` (volts); Vr = reference port or vdd/2."""

    coefs: Mapping[str, float] = field(default_factory=dict)
    offset: float = 0.0
    rf: float = 100e3
    opamp: OpampParams = OpampParams()
    vdd: float = 1.8
    model_file: str | None = None


def _opamp_pins(pins: Pins) -> tuple[list[str], list[str]]:
    return list(pins.bias_v), list(pins.bias_i)


def linear(pins: Pins, p: LinearParams) -> Design:
    """Summer / subtractor / inverting / non-inverting / buffer / scaled-offset amplifier."""
    outs = pins.outputs
    if len(outs) != 1:
        raise InputError(f"an op-amp circuit has one output, the interface has {len(outs)}")
    (out,) = outs
    signal = pins.by("signal_in", "diff_in_p", "diff_in_n", "control")
    unknown = [n for n in p.coefs if n not in signal and n not in pins.by(REFERENCE)]
    if unknown:
        raise InputError(f"the relation names {', '.join(unknown)}, which are not input ports",
                         fix=f"use the input ports: {', '.join(signal)}")
    unused = [n for n in signal if n not in p.coefs]
    if unused:
        raise InputError(f"input port(s) {', '.join(unused)} do not appear in the requested relation",
                         fix="give each input a coefficient, or drop the port")
    refs = pins.by(REFERENCE)
    coefs = {k: float(v) for k, v in p.coefs.items()}
    rest = 1.0 - sum(coefs.values())
    if refs:
        vr_net, vr = refs[0], p.vdd / 2
        coefs[vr_net] = coefs.get(vr_net, 0.0) + rest
        const = p.offset
    else:
        vr_net, vr = None, p.vdd / 2
        const = p.offset + rest * vr
    if abs(const) > 1e-12:
        coefs[SUPPLY_TERM] = const / p.vdd
    netw = solve_linear(coefs, p.rf)
    b = Builder()
    nodes = {"p": net("p"), "n": net("n")}
    b.block("resistor_network", "solved: " + ", ".join(f"{k if k != SUPPLY_TERM else 'vdd'}:{v:+.4g}"
                                                      for k, v in coefs.items()))
    for src, side, r in netw.legs:
        b.r("vdd" if src == SUPPLY_TERM else src, nodes[side], r)
    b.block("feedback_resistor", f"Rf {fmt(netw.rf)} ohm")
    b.r(nodes["n"], out, netw.rf)
    bias_v, bias_i = _opamp_pins(pins)
    io: dict[str, Port] = {}
    m_n, m_p = mos_params(p.model_file, "nch"), mos_params(p.model_file, "pch")
    op = replace(p.opamp, vdd=p.vdd, model_file=p.model_file)
    _core(b, bias_v, io, bias_i, nodes["p"], nodes["n"], out, op, m_n, m_p, level=pins.level)
    if bias_v or bias_i:
        raise InputError(f"an op-amp circuit has no use for bias port(s) {', '.join(bias_v + bias_i)}")
    for name in signal:
        io[name] = Port(name, "voltage_in", vr, "V", f"coefficient {p.coefs[name]:+.4g}")
    for name in refs:
        io[name] = Port(name, "bias", vr, "V", "signal reference (mid-rail)")
    io[out] = Port(out, "voltage_out", round(vr + p.offset, 4), "V")
    variant = "non_inverting" if all(v > 0 for v in p.coefs.values()) else (
        "inverting" if all(v < 0 for v in p.coefs.values()) else "mixed")
    c = list(p.coefs.values())
    kind = ("inverting_amp" if len(c) == 1 and c[0] < 0 else "noninverting_amp" if len(c) == 1 else
            "summer" if all(x < 0 for x in c) else "subtractor" if len(c) == 2 and min(c) < 0 < max(c)
            else "opamp_linear")
    return finish(kind, variant, b, pins, io, vdd=p.vdd, model_file=p.model_file,
                  params={**{f"c_{k}": float(v) for k, v in p.coefs.items()}, "offset": p.offset})


@dataclass(frozen=True)
class RcParams:
    """Integrator / differentiator: time constant R*C (s), resistor R (ohm)."""

    tau: float = 1e-4
    r: float = 100e3
    opamp: OpampParams = OpampParams()
    vdd: float = 1.8
    model_file: str | None = None


def integrator(pins: Pins, p: RcParams, *, differentiator: bool = False) -> Design:
    """Inverting integrator (R in, C feedback, 100R across C for DC) or differentiator."""
    (inp,), (out,) = _single(pins)
    b = Builder()
    vr, vr_net = _reference(b, pins, p.vdd)
    c = p.tau / p.r
    if differentiator:
        b.block("rc_differentiator_network", f"C in, R feedback, tau {p.tau:.3g} s; series R/20 limits HF gain")
        b.r(inp, net("s"), p.r / 20)
        b.c(net("s"), net("n"), c)
        b.r(net("n"), out, p.r)
    else:
        b.block("rc_integrator_network", f"R in, C feedback, tau {p.tau:.3g} s; 100R across C sets DC")
        b.r(inp, net("n"), p.r)
        b.c(net("n"), out, c)
        b.r(net("n"), out, 100 * p.r)
    bias_v, bias_i = _opamp_pins(pins)
    io: dict[str, Port] = {}
    op = replace(p.opamp, vdd=p.vdd, model_file=p.model_file)
    _core(b, bias_v, io, bias_i, vr_net, net("n"), out, op, mos_params(p.model_file, "nch"),
          mos_params(p.model_file, "pch"), level=pins.level)
    io[inp] = Port(inp, "voltage_in", vr, "V")
    io[out] = Port(out, "voltage_out", vr, "V")
    for name in pins.by(REFERENCE):
        io[name] = Port(name, "bias", vr, "V", "signal reference")
    kind = "differentiator" if differentiator else "integrator"
    return finish(kind, "inverting", b, pins, io, vdd=p.vdd, model_file=p.model_file,
                  params={"tau": p.tau, "r": p.r})


def _single(pins: Pins) -> tuple[tuple[str], tuple[str]]:
    if len(pins.inputs) != 1 or len(pins.outputs) != 1:
        raise InputError("this op-amp circuit has one signal input and one output",
                         fix="give one signal_in and one out port")
    return (pins.inputs[0],), (pins.outputs[0],)


def _reference(b: Builder, pins: Pins, vdd: float) -> tuple[float, str]:
    """(volts, net) of the signal reference: the user's reference port or a mid-rail divider."""
    refs = pins.by(REFERENCE)
    if refs:
        return vdd / 2, refs[0]
    b.block("reference_divider", "mid-rail signal reference")
    b.r("vdd", net("vr"), 20e3)
    b.r(net("vr"), "gnd", 20e3)
    b.c(net("vr"), "gnd", 100e-12)
    return vdd / 2, net("vr")


@dataclass(frozen=True)
class ComparatorParams:
    opamp: OpampParams = OpampParams(itail=20e-6, k2=5.0, cc=0.2e-12)
    inverting: bool = False       # output low when the signal is above the reference
    threshold: float | None = None  # internal reference (V) when the interface has no reference port
    vdd: float = 1.8
    model_file: str | None = None


def _comparator_preamp(pins: Pins, p) -> tuple[Builder, dict[str, Port], str, str]:
    """A comparator's open-loop op-amp core driving net o1: (builder, ports, +, -); every bias
    port the core does not take is refused. One signal input and no reference port: the
    reference is an internal divider at ``p.threshold`` (default vdd/2)."""
    b = Builder()
    if len(pins.inputs) == 1 and not pins.diff and not (pins.by(REFERENCE) or pins.bias_v):
        level = p.vdd / 2 if getattr(p, "threshold", None) is None else p.threshold
        if not 0.05 * p.vdd <= level <= 0.95 * p.vdd:
            raise InputError(f"a comparator threshold of {level:.3g} V is outside the {p.vdd:g} V supply range",
                             fix="state a threshold between the rails")
        vref = net("vref")
        b.block("reference_divider", f"internal reference {level:.4g} V (the threshold)")
        b.r("vdd", vref, 100e3 * (p.vdd - level) / p.vdd)
        b.r(vref, "gnd", 100e3 * level / p.vdd)
        b.c(vref, "gnd", 10e-12)
        plus, minus = (vref, pins.inputs[0]) if p.inverting else (pins.inputs[0], vref)
    else:
        plus, minus = _compared_inputs(pins, p.inverting)
    io: dict[str, Port] = {}
    bias_v = [n for n in pins.bias_v if n not in (plus, minus)]
    bias_i = list(pins.bias_i)
    op = replace(p.opamp, vdd=p.vdd, model_file=p.model_file)
    _core(b, bias_v, io, bias_i, plus, minus, net("o1"), op, mos_params(p.model_file, "nch"),
          mos_params(p.model_file, "pch"), level=pins.level)
    if bias_v or bias_i:
        raise InputError(f"a comparator has no use for bias port(s) {', '.join(bias_v + bias_i)}")
    return b, io, plus, minus


def _compared_inputs(pins: Pins, inverting: bool) -> tuple[str, str]:
    """(+, -) of a comparator: a differential pair, one input against a reference (or bias) port,
    or two inputs; swapped when the output must be high for + below -."""
    if pins.diff:
        plus, minus = pins.diff
    else:
        ins, refs = pins.inputs, pins.by(REFERENCE) or pins.bias_v[:1]
        if len(ins) == 1 and refs:
            plus, minus = ins[0], refs[0]
        elif len(ins) == 2:
            plus, minus = ins
        else:
            raise InputError("a comparator needs two inputs, or one input and a reference port")
    return (minus, plus) if inverting else (plus, minus)


def comparator(pins: Pins, p: ComparatorParams) -> Design:
    """Open-loop two-stage amplifier + two inverters: the output is high when the + input is above
    the - input (a reference port, or a differential pair's - side)."""
    if len(pins.outputs) != 1:
        raise InputError("a comparator has one output port")
    out = pins.outputs[0]
    b, io, plus, minus = _comparator_preamp(pins, p)
    b.block("inverter_buffers", "two CMOS inverters restore logic levels")
    for a, y in ((net("o1"), net("o2")), (net("o2"), out)):
        b.m(y, a, "vdd", "vdd", "p", 3e-6, 0.5e-6, region="any")
        b.m(y, a, "gnd", "gnd", "n", 1e-6, 0.5e-6, region="any")
    _comparator_io(pins, io, plus, minus)
    io[out] = Port(out, "voltage_out", p.vdd, "V", "logic output, high when + > -")
    return finish("comparator", "two_stage_open_loop", b, pins, io, vdd=p.vdd, model_file=p.model_file)


def _comparator_io(pins: Pins, io: dict[str, Port], plus: str, minus: str) -> None:
    """Port entries of the compared inputs (an internal reference net is no port)."""
    if plus in pins.roles:
        io[plus] = Port(plus, "voltage_in", pins.level(plus), "V", "non-inverting input")
    if minus in pins.roles:
        kind = "bias" if pins.roles.get(minus) in ("reference", "bias_v") else "voltage_in"
        io[minus] = Port(minus, kind, pins.level(minus), "V", "inverting input / reference")


@dataclass(frozen=True)
class SchmittParams:
    """Op-amp Schmitt trigger: hysteresis width (V) about the reference; inverting or not."""

    hysteresis: float = 0.3
    inverting: bool = True
    center: float | None = None   # reference level (V) of an internal divider; None: mid-rail
    r: float = 100e3
    opamp: OpampParams = OpampParams(itail=20e-6, k2=5.0, cc=0.2e-12)
    vdd: float = 1.8
    model_file: str | None = None


def schmitt(pins: Pins, p: SchmittParams) -> Design:
    """Positive feedback around an open-loop op-amp, thresholds Vr +- width/2 (rail-to-rail output).

    Inverting: input on the - input, + input = Vr + beta (out - Vr), beta = width / vdd.
    Non-inverting: input through R1 into the + input, R2 from there to the output, - input at
    Vr: thresholds Vr -+ (R1/R2) vdd/2, so R1/R2 = width / vdd.
    """
    (inp,), (out,) = _single(pins)
    if not 0.01 <= p.hysteresis <= 0.8 * p.vdd:
        raise InputError(f"a hysteresis of {p.hysteresis:g} V is out of range for a {p.vdd:g} V swing")
    b = Builder()
    if p.center is not None and not pins.by(REFERENCE):
        if not 0.6 <= p.center <= p.vdd - 0.3:
            raise InputError(f"a Schmitt reference at {p.center:.3g} V is outside the op-amp's input range")
        vr, vr_net = p.center, net("vr")
        b.block("reference_divider", f"reference {p.center:.3g} V")
        b.r("vdd", vr_net, 40e3 * (p.vdd - p.center) / p.vdd)
        b.r(vr_net, "gnd", 40e3 * p.center / p.vdd)
        b.c(vr_net, "gnd", 10e-12)
    else:
        vr, vr_net = _reference(b, pins, p.vdd)
    ratio = p.hysteresis / p.vdd
    if p.inverting:
        b.block("positive_feedback_divider", f"beta {ratio:.3g}: thresholds {vr:.3g} V +- {p.hysteresis / 2:.3g} V")
        b.r(out, net("p"), p.r * (1 - ratio) / ratio)
        b.r(net("p"), vr_net, p.r)
        plus, minus = net("p"), inp
    else:
        b.block("positive_feedback", f"R1/R2 {ratio:.3g}: thresholds {vr:.3g} V -+ {p.hysteresis / 2:.3g} V")
        b.r(inp, net("p"), p.r * ratio)
        b.r(net("p"), out, p.r)
        plus, minus = net("p"), vr_net
    bias_v, bias_i = _opamp_pins(pins)
    io: dict[str, Port] = {}
    op = replace(p.opamp, vdd=p.vdd, model_file=p.model_file)
    _core(b, bias_v, io, bias_i, plus, minus, net("o1"), op, mos_params(p.model_file, "nch"),
          mos_params(p.model_file, "pch"), level=pins.level)
    if bias_v or bias_i:
        raise InputError(f"a Schmitt trigger has no use for bias port(s) {', '.join(bias_v + bias_i)}")
    b.block("output_buffers", "two inverters: rail-to-rail output (the feedback sees full swing)")
    for a, y in ((net("o1"), net("o2")), (net("o2"), out)):
        b.m(y, a, "vdd", "vdd", "p", 3e-6, 0.5e-6, region="any")
        b.m(y, a, "gnd", "gnd", "n", 1e-6, 0.5e-6, region="any")
    io[inp] = Port(inp, "voltage_in", vr, "V")
    io[out] = Port(out, "voltage_out", 0.0 if p.inverting else p.vdd, "V", "logic output")
    for name in pins.by(REFERENCE):
        io[name] = Port(name, "bias", vr, "V", "threshold centre")
    return finish("schmitt", "opamp_inverting" if p.inverting else "opamp_non_inverting", b, pins, io, vdd=p.vdd,
                  model_file=p.model_file, params={"hysteresis": p.hysteresis})


def latched_comparator(pins: Pins, p: ComparatorParams) -> Design:
    """Preamplifier (open-loop two-stage op-amp) into a clocked latch: while the clock is high a
    transmission gate passes the preamp's decision into a pair of cross-coupled inverters; when it
    falls the pair holds it (the feedback inverter is weak, so the gate overrides it)."""
    from chipsmith.agents.gen_base import CLOCK

    clocks = pins.by(CLOCK)
    if not clocks or len(pins.outputs) != 1:
        raise InputError("a latched comparator needs a clock port and one output")
    clk, out = clocks[0], pins.outputs[0]
    b, io, plus, minus = _comparator_preamp(pins, p)

    def inv(a: str, y: str, wn: float) -> None:
        b.m(y, a, "vdd", "vdd", "p", 3 * wn, 0.5e-6, region="any")
        b.m(y, a, "gnd", "gnd", "n", wn, 0.5e-6, region="any")

    b.block("preamp_buffer", "inverter restores logic levels")
    inv(net("o1"), net("o2"), 1e-6)
    b.block("clock_inverter", "complement of the clock for the transmission gate")
    inv(clk, net("clkb"), 1e-6)
    b.block("sampling_gate", "transmission gate, open while the clock is high")
    b.m(net("q"), clk, net("o2"), "gnd", "n", 4e-6, 0.18e-6, region="any")
    b.m(net("q"), net("clkb"), net("o2"), "vdd", "p", 12e-6, 0.18e-6, region="any")
    b.block("cross_coupled_latch", "forward inverter and a weak feedback inverter, each gate on the other's output")
    inv(net("q"), net("qb"), 2e-6)
    b.m(net("q"), net("qb"), "vdd", "vdd", "p", 0.6e-6, 2e-6, region="any")
    b.m(net("q"), net("qb"), "gnd", "gnd", "n", 0.3e-6, 2e-6, region="any")
    b.block("output_inverter", "output high when + > - (q holds the inverted decision)")
    inv(net("q"), out, 2e-6)
    _comparator_io(pins, io, plus, minus)
    io[clk] = Port(clk, "voltage_in", 0.0, "V", "clock: samples while high, holds while low")
    io[out] = Port(out, "voltage_out", 0.0, "V", "latched decision")
    return finish("comparator", "latched", b, pins, io, vdd=p.vdd, model_file=p.model_file)
