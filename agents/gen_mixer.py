"""Mixers: Gilbert cell (double-balanced multiplier), single-balanced, passive switching.

Ports. RF and LO inputs are told apart by name (``rf``/``lo`` in it; ``x``/``y`` of a
multiplier), else by order (RF first). Each of RF and LO is either one single-ended port
or a differential pair whose halves are told apart by suffix (``p``/``+``/``pos`` versus
``n``/``-``/``neg``/``b``/``m``), else by order. The IF output is one port (single-ended)
or a pair (``diff_out_p/n`` roles, or two outputs told apart the same way).

Gilbert cell (``variant="gilbert"``, also "double-balanced", "four-quadrant
multiplier"): an NMOS tail current source (a mirror from a resistor-fed diode, or the
user's bias port), the RF differential pair on it, two cross-connected LO pairs (the
quad) on the RF pair's drains, resistor loads to vdd. The differential output current
is ``i_rf x sgn(LO)`` (hard-switched) or ``i_rf x v_lo`` (small LO): RF and LO feed
through cancel in the balanced cell, so only the products at ``|f_LO - f_RF|`` and
``f_LO + f_RF`` are left.

Input biasing: the input ports are AC-coupled (a 20 pF capacitor into each gate, the gate
held at its bias level through 5 Mohm; corner 1.6 Hz, 0.1 ms to settle), so the cell works whatever DC
common mode a testbench gives the ports (vdd/2 by the judge's convention, 0 V for a
``sin(0 ...)`` source, or any other). The RF pair's gates sit at the level that leaves the
tail device its headroom; the LO quad's gates sit one gate-source drop above the RF pair's
drains; both come from one resistor divider. A single-ended RF or LO drives one gate of
its pair; the other gate stays at the bias level (AC ground).

Single-balanced (one RF transconductor, one LO pair) and passive (an NMOS switch) mixers
keep their DC-coupled form: LO compared with an internal 1.3 V level (or the user's bias
voltage port), a large LO swing switching the pair.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

from chipsmith.agents.circuit import Builder, Design, Port
from chipsmith.agents.gen_base import DIFF_IN_N, DIFF_IN_P, Pins, finish, mos_params, net
from chipsmith.errors import InputError

VARIANTS = ("gilbert", "single_balanced", "passive")


@dataclass(frozen=True)
class MixerParams:
    variant: str = "gilbert"
    i_tail: float = 200e-6        # tail current (A)
    r_load: float = 4e3           # load resistors of the single-balanced cell (the Gilbert cell solves its own)
    v_lo_ref: float = 1.3         # LO comparison level of the single-balanced cell (V)
    v_tail: float = 0.3           # Gilbert: drain-source headroom of the tail device (V)
    c_couple: float = 20e-12      # Gilbert: input coupling capacitor (F)
    r_gate: float = 5e6           # Gilbert: gate bias resistor (ohm); corner 1/(2 pi r_gate c_couple) = 1.6 Hz
    conversion_gain_db: float | None = None  # Gilbert: wanted |LO-RF| / RF at the (listed) output, switching LO
    vdd: float = 1.8
    model_file: str | None = None


# --- which port is which ------------------------------------------------------------------------

_P_SUFFIX = re.compile(r"(?:_?p|\+|_?pos|_?plus)$")
_N_SUFFIX = re.compile(r"(?:_?n|-|_?neg|_?minus|_?m|_?b|_?bar)$")


def _side(name: str, stem: str) -> str | None:
    """'p' / 'n' from what follows the group word (``Vrfp`` -> p, ``LO_b`` -> n)."""
    low = name.lower()
    tail = low[low.rfind(stem) + len(stem):] if stem and stem in low else low
    if _P_SUFFIX.search(tail) or tail in ("p", "+"):
        return "p"
    if _N_SUFFIX.search(tail) or tail in ("n", "-"):
        return "n"
    return None


def _ordered_pair(names: list[str], stem: str) -> tuple[str, str | None]:
    """(positive, negative or None) of one or two ports of a group."""
    if len(names) == 1:
        return names[0], None
    a, b = names
    sa, sb = _side(a, stem), _side(b, stem)
    if sa == "n" or sb == "p":
        return b, a
    return a, b


def mixer_ports(pins: Pins) -> tuple[tuple[str, str | None], tuple[str, str | None], tuple[str, str | None]]:
    """((rf+, rf-), (lo+, lo-), (out+, out-)) on the user's names; a missing half is None."""
    ins = list(pins.by("signal_in", DIFF_IN_P, DIFF_IN_N, "clock"))
    if len(ins) not in (2, 3, 4):
        raise InputError(f"a mixer has an RF and an LO input (one port or a pair each); the interface has "
                         f"{len(ins)} input(s): {', '.join(ins) or 'none'}")
    rf = [n for n in ins if "rf" in n.lower() or re.match(r"^v?x", n.lower())]
    lo = [n for n in ins if n not in rf and ("lo" in n.lower() or re.match(r"^v?y", n.lower()))]
    if len(rf) + len(lo) != len(ins) or not rf or not lo or len(rf) > 2 or len(lo) > 2:
        half = (len(ins) + 1) // 2 if len(ins) != 3 else 1
        rf, lo = ins[:half], ins[half:]
        if len(ins) == 3:
            rf, lo = ins[:1], ins[1:]
    outs = list(pins.by("diff_out_p")) + list(pins.by("diff_out_n"))
    if not outs:
        outs = list(pins.outputs)
    if len(outs) not in (1, 2):
        raise InputError(f"a mixer has one IF output or a differential pair; the interface has {len(outs)}")
    stem_rf = "rf" if all("rf" in n.lower() for n in rf) else ""
    stem_lo = "lo" if all("lo" in n.lower() for n in lo) else ""
    if pins.by("diff_out_p") and pins.by("diff_out_n"):
        out = (pins.by("diff_out_p")[0], pins.by("diff_out_n")[0])
    else:
        out = _ordered_pair(outs, "out" if all("out" in n.lower() for n in outs) else "")
    return _ordered_pair(rf, stem_rf), _ordered_pair(lo, stem_lo), out


# --- generators ------------------------------------------------------------------------------------

def mixer(pins: Pins, p: MixerParams) -> Design:
    if p.variant not in VARIANTS:
        raise InputError(f"unknown mixer {p.variant!r}", fix=f"use one of: {', '.join(VARIANTS)}")
    if p.variant == "gilbert":
        return gilbert(pins, p)
    ins = pins.inputs
    if len(ins) != 2 or len(pins.outputs) != 1:
        raise InputError(f"a {p.variant.replace('_', '-')} mixer here has two signal inputs (RF first, then LO) "
                         "and one IF output", fix="ask for a Gilbert cell for differential ports")
    rf, lo = ins
    out = pins.outputs[0]
    m_n = mos_params(p.model_file, "nch")
    b = Builder()
    io: dict[str, Port] = {}
    free_v = list(pins.bias_v)

    def level(v: float, what: str) -> str:
        if free_v:
            name = free_v.pop(0)
            io[name] = Port(name, "bias", pins.level(name), "V", what)
            return name
        node = net(f"ref{int(v * 100)}")
        b.block("reference_divider", f"{what}: {v:.3g} V")
        b.r("vdd", node, 100e3 * (p.vdd - v) / p.vdd)
        b.r(node, "gnd", 100e3 * v / p.vdd)
        b.c(node, "gnd", 10e-12)
        return node

    if p.variant == "passive":
        vr = level(p.vdd / 2, "IF reference")
        b.block("nmos_switch", "LO switches RF onto the IF node")
        b.m(out, lo, rf, "gnd", "n", 10e-6, 0.18e-6, region="any")
        b.block("if_load", "resistor to the reference")
        b.r(out, vr, 10e3)
    else:
        lo_ref = level(p.v_lo_ref, "LO switching-pair reference")
        i = p.i_tail
        w_rf = m_n.wl(i / 2, 0.2, 0.4) * 1e-6
        w_lo = m_n.wl(i / 2, 0.3, 0.4) * 1e-6
        op, on = out, net("on")
        for o in (op, on):
            b.block("resistor_load", "IF load resistor")
            b.r("vdd", o, p.r_load)
        b.block("rf_transconductor", "NMOS whose drain current follows RF")
        b.m(net("x"), rf, net("s"), "gnd", "n", w_rf * 2, 1e-6)
        b.r(net("s"), "gnd", 0.2 / i)
        b.block("lo_switching_pair", "LO steers the RF current between the loads")
        b.m(op, lo, net("x"), "gnd", "n", w_lo, 0.5e-6)
        b.m(on, lo_ref, net("x"), "gnd", "n", w_lo, 0.5e-6)
    if free_v or pins.bias_i:
        raise InputError(f"a {p.variant} mixer has no use for bias port(s) {', '.join(free_v + list(pins.bias_i))}")
    io[rf] = Port(rf, "voltage_in", pins.level(rf), "V", "RF input")
    io[lo] = Port(lo, "voltage_in", pins.level(lo), "V", "LO input (large swing)")
    io[out] = Port(out, "voltage_out", p.vdd - p.i_tail / 2 * p.r_load, "V", "IF output")
    return finish("mixer", p.variant, b, pins, io, vdd=p.vdd, model_file=p.model_file)


@dataclass(frozen=True)
class GilbertBias:
    """The Gilbert cell's operating point, solved from the model card (volts, ohms, W/L)."""

    v_tail: float     # tail node
    v_rf: float       # RF pair gates
    v_x: float        # RF pair drains = LO quad sources
    v_lo: float       # LO quad gates
    v_out: float      # outputs at rest
    r_load: float
    wl_tail: float
    wl_rf: float
    wl_lo: float


def gilbert_bias(p: MixerParams, vov_rf: float = 0.2) -> GilbertBias:
    """Levels that keep the tail, the RF pair and the quad in saturation with margin (square law,
    body effect included), and the load that puts the outputs midway in what is left."""
    m_n = mos_params(p.model_file, "nch")
    i = p.i_tail
    vov_tail, vov_lo = 0.2, 0.15
    wl_tail = m_n.wl(i, vov_tail, p.v_tail)
    wl_rf = m_n.wl(i / 2, vov_rf, 0.3)
    wl_lo = m_n.wl(i / 4, vov_lo, 0.3)
    v_rf = p.v_tail + m_n.vt(p.v_tail) + vov_rf
    v_x = v_rf - m_n.vt(p.v_tail) + 0.15          # RF pair drains 150 mV above the edge of saturation
    v_lo = v_x + m_n.vt(v_x) + vov_lo
    v_min_out = v_lo - m_n.vt(v_x) + 0.1          # the quad stays saturated above this
    v_out = 0.5 * (v_min_out + p.vdd)             # half the room for the IF swing either way
    if p.vdd - v_out < 0.15:
        raise InputError(f"a Gilbert cell with these devices needs more than a {p.vdd:g} V supply "
                         f"(the outputs would sit at {v_out:.2f} V)", fix="raise the supply")
    r_load = (p.vdd - v_out) / (i / 2)
    return GilbertBias(p.v_tail, v_rf, v_x, v_lo, v_out, r_load, wl_tail, wl_rf, wl_lo)


def gilbert(pins: Pins, p: MixerParams) -> Design:
    """Double-balanced Gilbert cell on the user's ports (see the module docstring)."""
    (rfp, rfn), (lop, lon), (outp, outn) = mixer_ports(pins)
    g = gilbert_bias(p)
    if p.conversion_gain_db is not None:
        # hard-switched conversion gain (differential) = (2/pi) gm R = (4/pi) (vdd - v_out) / Vov(RF pair);
        # one output alone carries half. The RF pair's overdrive sets it (25 % margin), within 40..300 mV.
        want = 10 ** (p.conversion_gain_db / 20) * (2.0 if outn is None else 1.0) * 1.25
        vov = 0.2
        for _ in range(3):
            vov = min(0.3, max(0.04, 4 / math.pi * (p.vdd - g.v_out) / want))
            g = gilbert_bias(p, vov)
    b = Builder()
    io: dict[str, Port] = {}
    vdd = p.vdd

    b.block("bias_divider", f"gate bias: LO quad {g.v_lo:.3g} V, RF pair {g.v_rf:.3g} V")
    lo_b, rf_b = net("lob"), net("rfb")
    i_div = 20e-6
    b.r("vdd", lo_b, (vdd - g.v_lo) / i_div)
    b.r(lo_b, rf_b, (g.v_lo - g.v_rf) / i_div)
    b.r(rf_b, "gnd", g.v_rf / i_div)
    b.c(lo_b, "gnd", 10e-12)
    b.c(rf_b, "gnd", 10e-12)

    def coupled(port: str | None, bias: str, gate: str) -> str:
        """The gate net of one pair side: the port AC-coupled onto the bias level, or the bias net."""
        if port is None:
            return bias
        b.c(port, gate, p.c_couple)
        b.r(gate, bias, p.r_gate)
        return gate

    b.block("input_coupling", "ports AC-coupled onto the gate bias (any input common mode works)")
    g_rfp, g_rfn = coupled(rfp, rf_b, net("grfp")), coupled(rfn, rf_b, net("grfn"))
    g_lop, g_lon = coupled(lop, lo_b, net("glop")), coupled(lon, lo_b, net("glon"))

    tail, x1, x2 = net("tail"), net("x1"), net("x2")
    free_v, free_i = list(pins.bias_v), list(pins.bias_i)
    m_n = mos_params(p.model_file, "nch")
    if free_v:
        vb = free_v.pop(0)
        level = pins.level(vb)
        vov = level - m_n.vt()
        if vov < 0.05:
            raise InputError(f"bias port {vb} at {level:.3g} V leaves the tail source off",
                             fix="give it a level above the threshold, or drop the port")
        b.block("tail_current_source", f"NMOS tail, gate on {vb}")
        b.m(tail, vb, "gnd", "gnd", "n", m_n.wl(p.i_tail, vov, g.v_tail) * 1e-6, 1e-6)
        io[vb] = Port(vb, "bias", level, "V", "tail current source gate")
    else:
        ref = net("tref")
        if free_i:
            ii = free_i.pop(0)
            i_ref = abs(pins.level(ii))
            feed = ii
            io[ii] = Port(ii, "current_in", i_ref, "A", "tail reference current into the pin")
        else:
            i_ref = p.i_tail / 10
            feed = None
        b.block("tail_current_source", f"NMOS mirror: tail {p.i_tail * 1e6:.0f} uA from {i_ref * 1e6:.0f} uA")
        wl_ref = g.wl_tail * i_ref / p.i_tail
        if feed is None:
            v_ref = m_n.vgs(i_ref, wl_ref, 1.0, vds=m_n.vto + 0.2)
            b.r("vdd", ref, (vdd - v_ref) / i_ref)
        else:
            ref = feed
        b.m(ref, ref, "gnd", "gnd", "n", wl_ref * 1e-6, 1e-6)
        b.m(tail, ref, "gnd", "gnd", "n", g.wl_tail * 1e-6, 1e-6)
    if free_v or free_i:
        raise InputError(f"a Gilbert cell has no use for bias port(s) {', '.join(free_v + free_i)}")

    b.block("rf_diff_pair", "RF transconductor pair on the tail")
    b.m(x1, g_rfp, tail, "gnd", "n", g.wl_rf * 1e-6, 1e-6)
    b.m(x2, g_rfn, tail, "gnd", "n", g.wl_rf * 1e-6, 1e-6)
    o_p = outp
    o_n = outn if outn is not None else net("outn")
    b.block("lo_switching_quad", "two LO pairs, cross-connected: the RF current changes sign with LO")
    b.m(o_p, g_lop, x1, "gnd", "n", g.wl_lo * 0.5e-6, 0.5e-6)
    b.m(o_n, g_lon, x1, "gnd", "n", g.wl_lo * 0.5e-6, 0.5e-6)
    b.m(o_n, g_lop, x2, "gnd", "n", g.wl_lo * 0.5e-6, 0.5e-6)
    b.m(o_p, g_lon, x2, "gnd", "n", g.wl_lo * 0.5e-6, 0.5e-6)
    b.block("resistor_load", f"IF load resistors {g.r_load:.4g} ohm")
    b.r("vdd", o_p, g.r_load)
    b.r("vdd", o_n, g.r_load)

    for name, what in ((rfp, "RF +"), (rfn, "RF -"), (lop, "LO +"), (lon, "LO -")):
        if name is not None:
            io[name] = Port(name, "voltage_in", pins.level(name), "V", f"{what} (AC-coupled: any DC level)")
    io[outp] = Port(outp, "voltage_out", round(g.v_out, 4), "V", "IF output" + (" +" if outn else ""))
    if outn is not None:
        io[outn] = Port(outn, "voltage_out", round(g.v_out, 4), "V", "IF output -")
    return finish("mixer", "gilbert", b, pins, io, vdd=vdd, model_file=p.model_file,
                  params={"i_tail": p.i_tail, "r_load": g.r_load, "v_lo_bias": g.v_lo, "v_rf_bias": g.v_rf})
