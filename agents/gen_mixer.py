"""Mixers: passive switching, single-balanced and Gilbert cell (NMOS, resistor loads).

The first signal input is RF, the second LO (the interface's order). The LO switching
pairs compare LO with an internal level of 1.3 V (or the user's bias voltage port), so
their common source sits high enough for the RF transconductors below them to stay in
saturation; the large LO swing still switches them fully. The IF output is one side's
load (single-ended). Passive: an NMOS switch driven by LO from RF into a resistor to a
mid-rail reference.
"""
from __future__ import annotations

from dataclasses import dataclass

from chipsmith.agents.circuit import Builder, Design, Port
from chipsmith.agents.gen_base import Pins, finish, mos_params, net
from chipsmith.errors import InputError

VARIANTS = ("gilbert", "single_balanced", "passive")


@dataclass(frozen=True)
class MixerParams:
    variant: str = "gilbert"
    i_tail: float = 200e-6
    r_load: float = 4e3
    v_lo_ref: float = 1.3
    vdd: float = 1.8
    model_file: str | None = None


def mixer(pins: Pins, p: MixerParams) -> Design:
    ins = pins.inputs
    if len(ins) != 2 or len(pins.outputs) != 1:
        raise InputError("a mixer here has two signal inputs (RF first, then LO) and one IF output")
    if p.variant not in VARIANTS:
        raise InputError(f"unknown mixer {p.variant!r}", fix=f"use one of: {', '.join(VARIANTS)}")
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
        if p.variant == "single_balanced":
            b.block("rf_transconductor", "NMOS whose drain current follows RF")
            b.m(net("x"), rf, net("s"), "gnd", "n", w_rf * 2, 1e-6)
            b.r(net("s"), "gnd", 0.2 / i)
            b.block("lo_switching_pair", "LO steers the RF current between the loads")
            b.m(op, lo, net("x"), "gnd", "n", w_lo, 0.5e-6)
            b.m(on, lo_ref, net("x"), "gnd", "n", w_lo, 0.5e-6)
        else:
            rf_ref = level(pins.level(rf), "RF pair reference")
            b.block("rf_diff_pair", "RF pair with a resistor tail")
            b.m(net("x1"), rf, net("t"), "gnd", "n", w_rf, 1e-6)
            b.m(net("x2"), rf_ref, net("t"), "gnd", "n", w_rf, 1e-6)
            b.r(net("t"), "gnd", 0.2 / i)
            b.block("lo_switching_quad", "two LO pairs, cross-connected: the RF current changes sign with LO")
            b.m(op, lo, net("x1"), "gnd", "n", w_lo, 0.5e-6)
            b.m(on, lo_ref, net("x1"), "gnd", "n", w_lo, 0.5e-6)
            b.m(on, lo, net("x2"), "gnd", "n", w_lo, 0.5e-6)
            b.m(op, lo_ref, net("x2"), "gnd", "n", w_lo, 0.5e-6)
    if free_v or pins.bias_i:
        raise InputError(f"a {p.variant} mixer has no use for bias port(s) {', '.join(free_v + list(pins.bias_i))}")
    io[rf] = Port(rf, "voltage_in", pins.level(rf), "V", "RF input")
    io[lo] = Port(lo, "voltage_in", pins.level(lo), "V", "LO input (large swing)")
    io[out] = Port(out, "voltage_out", p.vdd - p.i_tail / 2 * p.r_load, "V", "IF output")
    return finish("mixer", p.variant, b, pins, io, vdd=p.vdd, model_file=p.model_file)
