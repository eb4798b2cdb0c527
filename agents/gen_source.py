"""Single-transistor current sources/sinks into a resistive load, and the resistor-load
(NMOS or PMOS) logic inverter.

Current source: one MOSFET whose gate is the user's bias port (``Vbias``; without one an
internal divider sets the gate), drain on the output port, source at its rail, and -- when
the request asks for a load -- the load resistor from the other rail to the output inside
the design. An NMOS sinks the current (load from vdd), a PMOS sources it (load to gnd).
Sized with the square law of the model card at the level the testbench applies to the
bias port, for ``current`` (>= 10 uA) with the load dropping only ``load_drop`` volts, so
that the device stays saturated for any load up to many times the designed one and the
current moves only by channel-length modulation (lambda x the drop) as the load changes.

Resistor-load inverter: the pull-down (NMOS) or pull-up (PMOS) switch and a resistor to the
other rail; the switch is sized so that its on-resistance at full gate drive is a small
fraction of the load (output within ~5 % of the rail), the load so that the static current
stays small.
"""
from __future__ import annotations

from dataclasses import dataclass

from chipsmith.agents.circuit import Builder, Design, Port
from chipsmith.agents.gen_base import BIAS_V, CONTROL, REFERENCE, Pins, finish, mos_params, net
from chipsmith.errors import InputError

L0 = 1e-6


@dataclass(frozen=True)
class SourceParams:
    polarity: str = "nmos"          # nmos: sinks from the output; pmos: sources into it
    current: float = 50e-6          # A, at the bias port's level
    load: bool = True               # a load resistor inside the design
    load_drop: float = 0.1          # V across the load at the designed current
    vdd: float = 1.8
    model_file: str | None = None

    def __post_init__(self) -> None:
        if self.polarity not in ("nmos", "pmos"):
            raise InputError(f"current source polarity {self.polarity!r} is not nmos or pmos")
        if not 10e-6 <= self.current <= 5e-3:
            raise InputError(f"current {self.current:g} A is out of range [10 uA, 5 mA]")


def current_source(pins: Pins, p: SourceParams) -> Design:
    outs = pins.outputs
    gates = pins.by(BIAS_V, CONTROL, REFERENCE) + pins.inputs
    if len(outs) != 1 or len(gates) > 1 or pins.bias_i or pins.diff:
        raise InputError("a single-transistor current source has at most one bias (gate) port and one output",
                         fix="give one bias voltage port (or none) and one output port")
    out = outs[0]
    m = mos_params(p.model_file, "nch" if p.polarity == "nmos" else "pch")
    b = Builder()
    io: dict[str, Port] = {}
    rail, other, pol = ("gnd", "vdd", "n") if p.polarity == "nmos" else ("vdd", "gnd", "p")
    if gates:
        gate = gates[0]
        level = pins.level(gate)
        vgs = level if p.polarity == "nmos" else p.vdd - level
        io[gate] = Port(gate, "bias", round(level, 4), "V", "gate of the current-source transistor")
    else:
        gate = net("vb")
        vgs = m.vto + 0.3
        level = vgs if p.polarity == "nmos" else p.vdd - vgs
        b.block("bias_divider", f"resistive divider sets the gate at {level:.3g} V")
        total = 200e3
        b.r("vdd", gate, total * (p.vdd - level) / p.vdd)
        b.r(gate, "gnd", total * level / p.vdd)
    vov = vgs - m.vto
    if vov < 0.1:
        raise InputError(f"a gate {vgs:.3g} V from the rail cannot turn on the {p.polarity.upper()} "
                         f"(threshold {m.vto:g} V)", fix="state a bias level at least 0.6 V from the rail")
    vds = p.vdd - p.load_drop if p.load else p.vdd / 2
    if vds < vov + 0.1:
        raise InputError("the load leaves no headroom for the current source to stay saturated")
    w = m.wl(p.current, vov, vds) * 2 * L0
    b.block(f"{p.polarity}_current_source", f"{p.polarity.upper()} with its gate at the bias, "
            f"{p.current * 1e6:.3g} uA {'into' if p.polarity == 'nmos' else 'out of'} the output")
    b.m(out, gate, rail, rail, pol, w, 2 * L0)
    vo = p.vdd / 2
    if p.load:
        r = p.load_drop / p.current
        b.block("resistor_load", f"load resistor {r:.4g} ohm from {other} to the output")
        b.r(other, out, r)
        vo = p.vdd - p.load_drop if p.polarity == "nmos" else p.load_drop
    io[out] = Port(out, "voltage_out" if p.load else "current_out", round(vo, 4) if p.load else p.current,
                   "V" if p.load else "A", "drain of the current source" + (" on its load" if p.load else ""))
    return finish("current_source", p.polarity + ("+resistor" if p.load else ""), b, pins, io, vdd=p.vdd,
                  model_file=p.model_file, params={"current": p.current, "w": w})


@dataclass(frozen=True)
class InverterParams:
    switch: str = "nmos"            # the transistor; the resistor goes to the other rail
    r_load: float = 20e3
    vdd: float = 1.8
    model_file: str | None = None


def resistor_inverter(pins: Pins, p: InverterParams) -> Design:
    ins, outs = pins.inputs, pins.outputs
    if len(ins) != 1 or len(outs) != 1 or len(pins.external) != 2:
        raise InputError("a resistor-load inverter has one input and one output port")
    inp, out = ins[0], outs[0]
    m = mos_params(p.model_file, "nch" if p.switch == "nmos" else "pch")
    # on-resistance 1/(kp W/L (vdd - vt)) at most 3 % of the load: the output ends within ~3 % of the rail
    wl = 1.0 / (0.03 * p.r_load * m.kp * (p.vdd - m.vto))
    w = max(1e-6, wl * L0)
    b = Builder()
    rail, other, pol = ("gnd", "vdd", "n") if p.switch == "nmos" else ("vdd", "gnd", "p")
    b.block("resistor_load", f"{p.r_load:.4g} ohm from {other} to the output")
    b.r(other, out, p.r_load)
    b.block(f"{p.switch}_switch", f"{p.switch.upper()} pulls the output to {rail} when the input is "
            f"{'high' if p.switch == 'nmos' else 'low'}")
    b.m(out, inp, rail, rail, pol, w, L0, region="any")
    io = {inp: Port(inp, "voltage_in", 0.0, "V", f"logic input 0..{p.vdd:g} V"),
          out: Port(out, "voltage_out", p.vdd, "V", "logic output")}
    return finish("inverter", f"{p.switch}+resistor", b, pins, io, vdd=p.vdd, model_file=p.model_file,
                  params={"r_load": p.r_load, "w": w})


# --- planner entries (gen_plan dispatches here) ---------------------------------------------------

def plan_current_source(rd, pins: Pins, model_file: str | None):
    """Candidates for family current_source from a gen_plan Reading: polarity from the
    input-device / "current sink" words (an output current pulled out of the pin is a
    sink: NMOS), a load resistor inside when a resistor load was asked for, the current
    from an ``iout_a`` target (else 50 uA, within the 10 uA floor a bench expects)."""
    from chipsmith.agents.gen_base import PlanningError

    pol = "pmos" if rd.input_device == "pmos" or "pmos_source" in rd.features else "nmos"
    loads = {v for v in rd.loads.values()}
    if loads - {"resistor"}:
        raise PlanningError(f"a current source with a {', '.join(sorted(loads - {'resistor'}))} load is not built",
                            fix="ask for a resistive load")
    if pins.bias_i:
        raise PlanningError("a current source with a current input is a current mirror",
                            fix="ask for a current mirror")
    want_load = "resistor" in loads
    r_load = rd.conditions.get("load_res_ohm")
    stated = rd.targets.get("iout_a", (None, None))[1]
    # a stated load value: a current that drops ~0.1 V across it (>= 10 uA, the public benches' floor)
    current = stated if stated is not None else (0.1 / r_load if want_load and r_load else 50e-6)
    current = min(max(float(current), 10e-6), 2e-3)
    drop = current * r_load if want_load and r_load else (0.1 if current * 2e3 < 0.4 else 0.2)
    if drop > rd.vdd / 2:
        raise PlanningError(f"a {current * 1e6:.3g} uA source cannot stay saturated across a {r_load:g} ohm load "
                            f"from {rd.vdd:g} V", fix="state a smaller load or current")
    yield current_source(pins, SourceParams(polarity=pol, current=current, load=want_load, load_drop=drop,
                                            vdd=rd.vdd, model_file=model_file))


def plan_inverter(rd, pins: Pins, model_file: str | None):
    """A resistor-load inverter when a resistive load is asked for (the switch's polarity from
    the request, NMOS by default); ``None`` otherwise (the CMOS template builds it)."""
    if "resistor" not in set(rd.loads.values()):
        return None
    switch = "pmos" if rd.input_device == "pmos" else "nmos"
    return [resistor_inverter(pins, InverterParams(switch=switch, vdd=rd.vdd, model_file=model_file))]


__all__ = ["plan_current_source", "plan_inverter", "SourceParams", "current_source", "InverterParams", "resistor_inverter"]
