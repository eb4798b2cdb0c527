"""Switches, sample-and-hold and resistor DACs.

- switch: an NMOS pass transistor, a PMOS one, or a transmission gate (NMOS + PMOS in
  parallel; the PMOS gate takes the complementary enable port when there is one, else an
  on-chip inverter of the enable).
- sample-and-hold: such a switch into a hold capacitor on the output.
- R-2R DAC: the classic ladder (R series, 2R shunts, 2R termination); bit k of N weighs
  2^(k - N) at the unloaded output, i.e. the MSB 1/2. Bits are ordered by the trailing digit
  of their port names (B0 the LSB), else in the order listed (first = LSB).
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from chipsmith.agents.circuit import Builder, Design, Port
from chipsmith.agents.gen_base import CLOCK, CONTROL, Pins, finish, net
from chipsmith.errors import InputError


@dataclass(frozen=True)
class SwitchParams:
    variant: str = "transmission_gate"   # nmos | pmos | transmission_gate
    hold_cap: float | None = None        # sample-and-hold: capacitor on the output (F)
    w: float = 4e-6
    vdd: float = 1.8
    model_file: str | None = None


_ENABLE = re.compile(r"^(en|enb|enable|g|vg|gate|ctrl|ctl|clk|phi|sel|s|c|vc|ck|sw|on)(b|n|_?bar|x)?\d*$",
                     re.IGNORECASE)


def _roles_for_switch(pins: Pins) -> Pins:
    """Enable ports the interface labelled as signal inputs (by their names: EN, ENB, Vg, CLK, PHI ...)
    become control ports, so a switch has one signal input left."""
    ins = pins.inputs
    if len(ins) <= 1:
        return pins
    roles = dict(pins.roles)
    for name in ins:
        if _ENABLE.match(name) and sum(r == "signal_in" for r in roles.values()) > 1:
            roles[name] = CONTROL
    return Pins(pins.order, roles, dict(pins.levels), pins.vdd)


def switch(pins: Pins, p: SwitchParams) -> Design:
    pins = _roles_for_switch(pins)
    ctrl = pins.by(CLOCK, CONTROL)
    if len(pins.inputs) != 1 or len(pins.outputs) != 1 or not ctrl:
        raise InputError("a switch has one input, one output and an enable (control or clock) port")
    inp, out, en = pins.inputs[0], pins.outputs[0], ctrl[0]
    enb = ctrl[1] if len(ctrl) > 1 else None
    if len(ctrl) > 2 or (enb and p.variant != "transmission_gate"):
        raise InputError(f"a {p.variant} switch has no use for enable port(s) {', '.join(ctrl[1:])}")
    b = Builder()
    if p.variant in ("nmos", "transmission_gate"):
        b.block("nmos_pass_device", f"on when {en} is high")
        b.m(out, en, inp, "gnd", "n", p.w, 0.18e-6, region="any")
    if p.variant in ("pmos", "transmission_gate"):
        gate = en if p.variant == "pmos" else enb
        if gate is None:
            gate = net("enb")
            b.block("enable_inverter", f"complement of {en} for the PMOS")
            b.m(gate, en, "vdd", "vdd", "p", 2e-6, 0.18e-6, region="any")
            b.m(gate, en, "gnd", "gnd", "n", 1e-6, 0.18e-6, region="any")
        b.block("pmos_pass_device", "on when its gate is low")
        b.m(out, gate, inp, "vdd", "p", p.w * 3, 0.18e-6, region="any")
    if p.hold_cap:
        b.block("hold_capacitor", f"{p.hold_cap * 1e12:.3g} pF holds the sample")
        b.c(out, "gnd", p.hold_cap)
    io = {inp: Port(inp, "voltage_in", pins.level(inp), "V"), out: Port(out, "voltage_out", pins.level(inp), "V"),
          en: Port(en, "voltage_in", p.vdd, "V", "enable, high = on" if p.variant != "pmos" else "enable, low = on")}
    if enb:
        io[enb] = Port(enb, "voltage_in", 0.0, "V", "complementary enable, low = on")
    kind = "sample_hold" if p.hold_cap else "switch"
    return finish(kind, p.variant, b, pins, io, vdd=p.vdd, model_file=p.model_file)


def bit_order(names: tuple[str, ...]) -> tuple[str, ...]:
    """Bits LSB first: by the trailing number of each name when all have one, else as listed."""
    nums = [re.search(r"(\d+)$", n) for n in names]
    if all(nums) and len({int(m.group(1)) for m in nums}) == len(names):
        return tuple(n for _, n in sorted(zip((int(m.group(1)) for m in nums), names)))
    return names


def r2r_dac(pins: Pins, r: float = 10e3, vdd: float = 1.8, model_file: str | None = None) -> Design:
    bits = bit_order(pins.inputs)
    if len(bits) < 2 or len(pins.outputs) != 1:
        raise InputError("an R-2R DAC has two or more bit inputs and one output")
    out = pins.outputs[0]
    n = len(bits)
    b = Builder()
    b.block("r2r_ladder", f"{n}-bit R-2R ladder, MSB {bits[-1]} weighs 1/2")
    nodes = [net(f"n{k}") for k in range(n - 1)] + [out]
    b.r(nodes[0], "gnd", 2 * r)                       # termination at the LSB end
    for k, bit in enumerate(bits):
        b.r(bit, nodes[k], 2 * r)                     # each bit through 2R into its node
        if k < n - 1:
            b.r(nodes[k], nodes[k + 1], r)            # series R towards the MSB/output
    io = {bit: Port(bit, "voltage_in", 0.0, "V", f"bit {k} (weight 1/{2 ** (n - k)})") for k, bit in enumerate(bits)}
    io[out] = Port(out, "voltage_out", 0.0, "V", "unloaded ladder output")
    return finish("dac", "r2r", b, pins, io, vdd=vdd, model_file=model_file)


def flash_adc(pins: Pins, lo: float = 0.8, hi: float = 1.4, vdd: float = 1.8,
              model_file: str | None = None) -> Design:
    """Thermometer flash ADC: a resistor ladder sets N taps evenly between ``lo`` and ``hi`` (inside
    the NMOS comparators' input range); comparator k (open-loop two-stage op-amp + two inverters)
    drives the k-th listed output high when the input is above tap k."""
    from chipsmith.agents.gen_base import mos_params
    from chipsmith.agents.gen_opamp import OpampParams, _core

    if len(pins.inputs) != 1 or len(pins.outputs) < 2:
        raise InputError("a flash ADC here has one input and two or more thermometer outputs")
    inp, outs = pins.inputs[0], pins.outputs
    n = len(outs)
    b = Builder()
    taps = [lo + (hi - lo) * k / (n - 1) for k in range(n)]
    b.block("reference_ladder", "resistor ladder: taps " + ", ".join(f"{t:.3g} V" for t in taps))
    nodes = ["gnd"] + [net(f"tap{k}") for k in range(n)] + ["vdd"]
    levels = [0.0] + taps + [vdd]
    unit = 10e3
    for k in range(len(nodes) - 1):
        b.r(nodes[k], nodes[k + 1], unit * (levels[k + 1] - levels[k]) / 0.1)
    m_n, m_p = mos_params(model_file, "nch"), mos_params(model_file, "pch")
    op = OpampParams(itail=10e-6, k2=4.0, cc=0.1e-12, vdd=vdd, model_file=model_file)
    for k, out in enumerate(outs):
        _core(b, [], {}, [], inp, nodes[k + 1], net(f"c{k}"), op, m_n, m_p, prefix=f"k{k}")
        b.block(f"output_inverters_{k}", f"{out}: high when {inp} > {taps[k]:.3g} V")
        for a, y in ((net(f"c{k}"), net(f"d{k}")), (net(f"d{k}"), out)):
            b.m(y, a, "vdd", "vdd", "p", 3e-6, 0.5e-6, region="any")
            b.m(y, a, "gnd", "gnd", "n", 1e-6, 0.5e-6, region="any")
    io = {inp: Port(inp, "voltage_in", vdd / 2, "V", "analog input")}
    io.update({o: Port(o, "voltage_out", 0.0, "V", f"thermometer bit, threshold {t:.3g} V")
               for o, t in zip(outs, taps)})
    return finish("adc", "flash", b, pins, io, vdd=vdd, model_file=model_file)
