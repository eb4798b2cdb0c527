"""Bandgap voltage reference placed by simulation: zero temperature drift, any output up to ~1.2 V.

The core is the template planner's op-amp bandgap (PMOS sources driven by an error
amplifier that equalises a 1:n diode pair; output = diode + PTAT current x R2). The
PTAT resistor R2 is solved from the drift measured with ngspice at -20, 27 and 85 C
(dV/dT is linear in R2), so the output is first-order temperature compensated with the
model cards in use; a requested output below the bandgap voltage is taken from a
resistive divider of it (the drift ratio is kept).
"""
from __future__ import annotations

import math
from dataclasses import replace

from chipsmith.agents.circuit import Design, fmt
from chipsmith.agents.gen_base import Pins
from chipsmith.errors import InputError
from chipsmith.spice.runner import Op, simulate

TEMPS = (-20.0, 27.0, 85.0)
K_OVER_Q = 8.617e-5


def _vout_at(design: Design, temp: float) -> float:
    out = next(p.name for p in design.ports if p.kind == "voltage_out")
    nodes = ["0" if p.kind == "ground" else f"n_{p.name}" for p in design.ports]
    deck = "\n".join(["* bandgap drift", design.subckt_text(), f".temp {temp!r}", f"Vsup n_vdd 0 DC {fmt(design.vdd)}",
                      f"Xdut {' '.join(nodes)} design"]) + "\n"
    r = simulate(deck, [Op()], trusted=True)
    return r.op.v(f"n_{out}")


def drift(design: Design) -> tuple[float, float]:
    """(output at 27 C, slope dV/dT in V/K between -20 and 85 C)."""
    lo, mid, hi = (_vout_at(design, t) for t in TEMPS)
    return mid, (hi - lo) / (TEMPS[2] - TEMPS[0])


def bandgap(pins: Pins, vout: float | None, *, vdd: float = 1.8, model_file: str | None = None,
            rounds: int = 4, v_min: float = 1.0) -> Design:
    from chipsmith.agents.planner import RECIPES, generate
    from chipsmith.agents.spec import Spec

    if len(pins.outputs) != 1 or [n for n in pins.external if n not in pins.outputs]:
        raise InputError("a bandgap here has exactly one output port and no other port",
                         fix="drop the extra ports")
    out = pins.outputs[0]
    spec = Spec(kind="bandgap", outputs=(out.lower(),), vdd=vdd, model_file=model_file)
    knobs = dict(RECIPES["bandgap"].knobs)
    design = generate(spec, knobs, "diode")
    history = []
    for _ in range(rounds):
        v27, slope = drift(design)
        history.append((knobs["r2"], v27))
        if abs(slope) / max(v27, 1e-3) < 20e-6:
            break
        ptat_per_ohm = K_OVER_Q * math.log(knobs["n"]) / knobs["r1"]   # dV/dT per ohm of R2
        knobs["r2"] = max(knobs["r1"], knobs["r2"] - slope / ptat_per_ohm)
        design = generate(spec, knobs, "diode")
    v27, slope = drift(design)
    history.append((knobs["r2"], v27))
    floor = v_min if vout is None else min(v_min, vout)
    (ra, va), (rb, vb) = history[0], history[-1]
    if v27 < floor and abs(rb - ra) > 1.0 and abs(vb - va) > 1e-4:
        # the zero-drift point of these cards sits low: trade a little drift for the level a
        # bandgap is expected at (the output rises linearly with R2)
        knobs["r2"] = rb + (floor + 0.02 - vb) * (rb - ra) / (vb - va)
        design = generate(spec, knobs, "diode")
        v27, slope = drift(design)
    body = design.body
    if vout is not None and vout < v27 - 0.01:
        # divide the reference: the design's output net becomes internal, a divider makes vout
        body = " \n".join(body.splitlines())  # keep as is; rename below
        lines = []
        for line in design.body.splitlines():
            tokens = line.split()
            if tokens and not line.lstrip().startswith("*"):
                tokens = ["bg__" if t.lower() == out.lower() else t for t in tokens]
                line = " ".join(tokens)
            lines.append(line)
        total = 20e6  # far above the core's output resistance: the divider does not load it
        lines += ["* block output_divider: the bandgap voltage divided to the requested output",
                  f"Rdiv1 bg__ {out} {fmt(total * (1 - vout / v27))}", f"Rdiv2 {out} gnd {fmt(total * vout / v27)}"]
        body = "\n".join(lines) + "\n"
    elif vout is not None and vout > v27 + 0.01:
        if vout > vdd - 0.3:
            raise InputError(f"a {vout:g} V reference from a {vdd:g} V supply leaves the output stage no headroom",
                             fix="ask for an output at least 0.3 V below the supply")
        # a non-inverting op-amp stage scales the (temperature-compensated) core up: 1 + Rf/Rg
        from chipsmith.agents.gen_base import mos_params, net
        from chipsmith.agents.gen_opamp import OpampParams, _core
        from chipsmith.agents.circuit import Builder

        lines = []
        for line in design.body.splitlines():
            tokens = line.split()
            if tokens and not line.lstrip().startswith("*"):
                line = " ".join("bg__" if t.lower() == out.lower() else t for t in tokens)
            lines.append(line)
        b = Builder()
        b.block("output_gain_stage", f"non-inverting gain {vout / v27:.4g}: the core's {v27:.4g} V to {vout:g} V")
        b.r(out, net("fbg"), 100e3 * (vout / v27 - 1))
        b.r(net("fbg"), "gnd", 100e3)
        _core(b, [], {}, [], "bg__", net("fbg"), out, OpampParams(vcm=v27, vdd=vdd, model_file=model_file),
              mos_params(model_file, "nch"), mos_params(model_file, "pch"), prefix="g")
        stage = [(line if line.lstrip().startswith("*") or not line.strip() else
                  " ".join([line.split()[0] + "g"] + line.split()[1:]))  # names apart from the core's
                 for line in b.body().splitlines()]
        body = "\n".join(lines) + "\n" + "\n".join(stage) + "\n"
    ports = tuple(replace(p, name=out) if p.name.lower() == out.lower() else p for p in design.ports)
    return replace(design, body=body, ports=ports, params={**design.params, "r2": knobs["r2"]})
