"""Low-dropout regulator with a requested output voltage.

A PMOS-input error amplifier (5T OTA with an NMOS mirror) compares the divided output
with the reference and drives the gate of a PMOS pass device; ``vout = vref * (R1 +
R2) / R2`` (a reference above the output is divided down first). The reference is the
user's reference (or voltage bias) port at the level the testbench applies, else an
on-chip PN-diode reference whose voltage is solved from the diode equation (so vout is
placed by numbers, not by tuning). Miller capacitance from gate to output plus an
output capacitor keep the loop stable without a load.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from chipsmith.agents.circuit import DIODE_MODEL, Builder, Design, Port
from chipsmith.agents.gen_base import REFERENCE, Pins, finish, mos_params, net
from chipsmith.errors import InputError

VT_300K = 0.025852


@dataclass(frozen=True)
class LdoParams:
    vout: float = 1.2
    i_ref: float = 20e-6
    r_div: float = 200e3          # total feedback divider resistance
    w_pass: float = 20e-6
    i_min: float = 50e-6          # bleeder current: the pass device never runs near cut-off
    cc: float = 5e-12
    cout: float = 100e-12
    vdd: float = 1.8
    model_file: str | None = None


def diode_reference(vdd: float, current: float, i_s: float = 1e-16) -> tuple[float, float]:
    """(resistor, diode voltage) for a resistor-fed PN diode carrying about ``current``."""
    vd = VT_300K * math.log(current / i_s)
    r = (vdd - vd) / current
    for _ in range(30):
        i = (vdd - vd) / r
        vd = VT_300K * math.log(i / i_s + 1)
    return r, vd


def ldo(pins: Pins, p: LdoParams) -> Design:
    if len(pins.outputs) != 1:
        raise InputError("an LDO has one output port", fix="give one out port")
    out = pins.outputs[0]
    extra = pins.by("signal_in", "diff_in_p", "diff_in_n", "control", "clock")
    if extra:
        raise InputError(f"an LDO regulates from vdd; no use for input port(s) {', '.join(extra)}",
                         fix="name the unregulated input as the supply port")
    if not 0.2 <= p.vout <= p.vdd - 0.2:
        raise InputError(f"an LDO output of {p.vout:g} V from a {p.vdd:g} V supply leaves under 0.2 V of dropout",
                         fix="lower the output voltage or raise the supply")
    m_n, m_p = mos_params(p.model_file, "nch"), mos_params(p.model_file, "pch")
    b = Builder()
    io: dict[str, Port] = {}
    refs = pins.by(REFERENCE) or pins.bias_v
    diode = False
    if refs:
        ref = refs[0]
        vref = pins.level(ref)
        io[ref] = Port(ref, "bias", vref, "V", "reference voltage")
    else:
        r, vd = diode_reference(p.vdd / 2 + 0.45, p.i_ref)  # half of the two-diode stack's share
        vref = 2 * vd
        r = (p.vdd - vref) / p.i_ref
        ref = net("ref")
        b.block("diode_reference", f"resistor-fed stack of two PN diodes: {vref:.4g} V")
        b.r("vdd", ref, r)
        b.d(ref, net("dm"))
        b.d(net("dm"), "gnd")
        b.c(ref, "gnd", 1e-12)
        diode = True
    # the error amplifier compares at vc: vout itself when low, else 0.9 V (NMOS-input range)
    vc = p.vout if p.vout < 0.75 else min(0.9, p.vout)
    if abs(vref - vc) > 1e-3:
        b.block("reference_divider", f"reference {vref:.4g} V divided to {vc:.4g} V" if vref > vc else
                f"reference {vref:.4g} V")
    if vref > vc + 1e-3:
        b.r(ref, net("rd"), 200e3 * (1 - vc / vref))
        b.r(net("rd"), "gnd", 200e3 * vc / vref)
        ref = net("rd")
    else:
        vc = vref
    fb_target = vc
    nmos_in = vc >= 0.75
    cur = pins.bias_i
    ib = abs(pins.level(cur[0])) if cur else 10e-6
    it = 2 * ib
    w_nd = m_n.wl(ib, 0.2, 0.65) * 1e-6
    if cur:
        b.block("bias_current_mirror", f"{ib * 1e6:.3g} uA into an NMOS diode")
        b.m(cur[0], cur[0], "gnd", "gnd", "n", w_nd, 1e-6)
        io[cur[0]] = Port(cur[0], "bias", ib, "A", "DC current into the pin")
        nb = cur[0]
    else:
        nb = net("nb")
        b.block("bias_resistor", "resistor into an NMOS diode sets the error-amplifier current")
        b.m(nb, nb, "gnd", "gnd", "n", w_nd, 1e-6)
        b.r("vdd", nb, (p.vdd - m_n.vgs(ib, w_nd, 1e-6)) / ib)
    w_pl = m_p.wl(it / 2, 0.25, 0.7) * 1e-6
    if nmos_in:
        # output referenced to vdd through the PMOS mirror: the pass gate follows vdd (good PSRR)
        b.block("error_amplifier", "NMOS-input OTA, PMOS mirror: the pass gate rises when feedback > reference")
        b.m(net("tail"), nb, "gnd", "gnd", "n", 2 * w_nd, 1e-6)
        w_in = m_n.wl(it / 2, 0.15, 0.5) * 1e-6
        b.m(net("d1"), net("fb"), net("tail"), "gnd", "n", w_in, 1e-6)
        b.m(net("gate"), ref, net("tail"), "gnd", "n", w_in, 1e-6)
        b.m(net("d1"), net("d1"), "vdd", "vdd", "p", w_pl, 1e-6)
        b.m(net("gate"), net("d1"), "vdd", "vdd", "p", w_pl, 1e-6)
    else:
        # a low reference: PMOS-input OTA (its output y falls when the feedback rises), then an
        # NMOS common-source stage with a resistor to vdd, so the pass gate can reach vdd
        b.block("error_amplifier", "PMOS-input OTA + NMOS gain stage: the pass gate rises when feedback > reference")
        spare = [n for n in pins.bias_v if n != ref]
        if spare:
            pgate = spare[0]
            vb = pins.level(pgate)
            io[pgate] = Port(pgate, "bias", vb, "V", "PMOS tail gate voltage of the error amplifier")
            w_tail = m_p.wl(it, max(p.vdd - vb - m_p.vto, 0.05), 0.5) * 1e-6
        else:
            pgate = net("pb")
            b.m(net("pb"), nb, "gnd", "gnd", "n", w_nd, 1e-6)
            b.m(net("pb"), net("pb"), "vdd", "vdd", "p", w_pl, 1e-6)
            w_tail = 2 * w_pl
        b.m(net("tail"), pgate, "vdd", "vdd", "p", w_tail, 1e-6)
        w_in = m_p.wl(it / 2, 0.15, 0.5) * 1e-6
        b.m(net("d1"), ref, net("tail"), "vdd", "p", w_in, 1e-6)
        b.m(net("y"), net("fb"), net("tail"), "vdd", "p", w_in, 1e-6)
        w_nm = m_n.wl(it / 2, 0.2, 0.65) * 1e-6
        b.m(net("d1"), net("d1"), "gnd", "gnd", "n", w_nm, 1e-6)
        b.m(net("y"), net("d1"), "gnd", "gnd", "n", w_nm, 1e-6)
        b.m(net("gate"), net("y"), "gnd", "gnd", "n", w_nm, 1e-6)
        b.r("vdd", net("gate"), 0.9 / (it / 2))
        b.c(net("y"), "gnd", 1e-12)
    b.block("pmos_pass_device", "PMOS from vdd to the output")
    b.m(out, net("gate"), "vdd", "vdd", "p", p.w_pass, 0.2e-6)
    ratio = p.vout / fb_target
    b.block("feedback_divider", f"vout = {fb_target:.4g} V x {ratio:.4g}")
    if ratio > 1.0001:
        b.r(out, net("fb"), p.r_div * (1 - 1 / ratio))
        b.r(net("fb"), "gnd", p.r_div / ratio)
    else:
        b.r(out, net("fb"), 1.0)
        b.r(net("fb"), "gnd", p.r_div)
    b.block("bleeder", f"{p.i_min * 1e6:.3g} uA minimum load")
    b.r(out, "gnd", p.vout / p.i_min)
    b.block("compensation", "Miller capacitor gate-output and an output capacitor")
    b.c(net("gate"), out, p.cc)
    b.c(out, "gnd", p.cout)
    unused = tuple(n for n in pins.bias_v if n not in io)
    if unused or len(cur) > 1:
        raise InputError(f"an LDO has no use for bias port(s) {', '.join(tuple(unused) + tuple(cur[1:]))}")
    io[out] = Port(out, "voltage_out", p.vout, "V", "regulated output")
    design = finish("ldo", "pmos_pass", b, pins, io, vdd=p.vdd, model_file=p.model_file,
                    params={"vout": p.vout, "vref": vref}, diode=diode)
    return design


__all__ = ["LdoParams", "ldo", "diode_reference", "DIODE_MODEL"]
