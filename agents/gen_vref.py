"""A simple resistorless voltage reference: a long-channel PMOS (gate at ground) feeding
diode-connected NMOS devices, placed by simulation.

For "a simple voltage reference", "built from stacked diode-connected MOSFETs",
"resistor-divider-free", or a power budget a bandgap cannot meet. The PMOS works in
triode as a current-limiting element; the output is the gate-source drop of the
diode-connected NMOS stack (one device up to about 1.1 V, two stacked above). The output
follows the supply only through the PMOS's current, divided down by the diodes' small
resistance (line regulation about 0.3 V/V). The NMOS width is then trimmed with ngspice
operating points so the output lands on the requested voltage with the model cards in use.
"""
from __future__ import annotations

import math

from chipsmith.agents.circuit import Builder, Design, Port, fmt
from chipsmith.agents.gen_base import Pins, finish, mos_params
from chipsmith.errors import InputError
from chipsmith.spice.runner import Op, simulate

L_N = 2e-6


def _vout(design: Design) -> float:
    out = next(p.name for p in design.ports if p.kind == "voltage_out")
    nodes = ["0" if p.kind == "ground" else f"n_{p.name}" for p in design.ports]
    deck = "\n".join(["* simple reference", design.subckt_text(), f"Vsup n_vdd 0 DC {fmt(design.vdd)}",
                      f"Xdut {' '.join(nodes)} design"]) + "\n"
    return simulate(deck, [Op()], trusted=True).op.v(f"n_{out}")


def _build(pins: Pins, out: str, current: float, vout: float, stack: int, w_n: float, vdd: float,
           model_file: str | None) -> Design:
    m_p = mos_params(model_file, "pch")
    b = Builder()
    vsd = vdd - vout
    vov_p = vdd - m_p.vto
    wl_p = m_p.wl_any(current, vov_p, vsd)
    l_p = max(1e-6, min(200e-6, 1e-6 / wl_p))
    b.block("pmos_current_limiter", f"long-channel PMOS, gate at ground: about {current * 1e6:.3g} uA")
    b.m(out, "gnd", "vdd", "vdd", "p", l_p * wl_p, l_p, region="triode")
    b.block("nmos_diode_stack", f"{stack} stacked diode-connected NMOS: the output is their gate-source drops")
    node = out
    for k in range(stack):
        low = "gnd" if k == stack - 1 else f"ds{k + 1}__"
        b.m(node, node, low, "gnd", "n", w_n, L_N)
        node = low
    io = {out: Port(out, "voltage_out", round(vout, 4), "V", "reference output")}
    return finish("reference", f"diode_stack{stack}", b, pins, io, vdd=vdd, model_file=model_file,
                  params={"current": current, "w_n": w_n, "stack": float(stack)})


def simple_reference(pins: Pins, vout: float | None, *, vdd: float = 1.8, power: float | None = None,
                     model_file: str | None = None, rounds: int = 6) -> Design:
    """The reference for ``vout`` (None: 0.9 V) drawing at most ``power`` (None: about 15 uW)."""
    if len(pins.outputs) != 1 or [n for n in pins.external if n not in pins.outputs]:
        raise InputError("a simple voltage reference here has exactly one output port and no other port",
                         fix="drop the extra ports")
    out = pins.outputs[0]
    vout = 0.9 if vout is None else float(vout)
    m_n = mos_params(model_file, "nch")
    if not m_n.vto + 0.08 <= vout <= vdd - 0.35:
        raise InputError(f"a diode-stack reference cannot give {vout:g} V from {vdd:g} V "
                         f"(between {m_n.vto + 0.08:.2f} and {vdd - 0.35:.2f} V)",
                         fix="ask for a bandgap or another output voltage")
    current = min(8e-6, 0.5 * power / vdd) if power else 8e-6
    # one diode while its overdrive stays moderate; two stacked (body effect on the upper one) above
    stack = 1 if vout - m_n.vto <= 0.6 else 2
    vgs = vout / stack
    vov = vgs - m_n.vt(0.0)
    if vov < 0.04:
        stack, vgs, vov = 1, vout, vout - m_n.vto
    w_n = max(0.5e-6, min(200e-6, m_n.wl(current, vov, vgs) * L_N))
    design = _build(pins, out, current, vout, stack, w_n, vdd, model_file)
    for _ in range(rounds):
        got = _vout(design)
        if not math.isfinite(got):
            break
        if abs(got - vout) <= 0.01 * vout:
            break
        # the diodes' overdrive goes as 1/sqrt(W): aim the width at the measured miss
        over = max(0.02, (got / stack) - m_n.vt(0.0))
        want = max(0.02, (vout / stack) - m_n.vt(0.0))
        w_n = max(0.2e-6, min(400e-6, w_n * (over / want) ** 2))
        design = _build(pins, out, current, vout, stack, w_n, vdd, model_file)
    return design


__all__ = ["simple_reference"]
