"""Example requests the expert backend must solve: one or more per circuit kind.

Used by the end-to-end tests and by ``python -m chipsmith.agents.examples`` which
synthesizes every example with the expert and prints a markdown table of what was
measured (the table in the README comes from that command).
"""
from __future__ import annotations

import sys
from dataclasses import dataclass


@dataclass(frozen=True)
class Example:
    """A request as a user would type it, with its node names and what must come out."""

    text: str
    inputs: str
    outputs: str
    bias: str
    kind: str
    figure: str  # a figure the summary must contain


EXAMPLES: tuple[Example, ...] = (
    Example("a two-stage op-amp with NMOS input pair, PMOS mirror load and Miller compensation",
            "inp,inn", "out", "ibias", "two_stage_opamp", "pm_deg"),
    Example("two-stage opamp with a PMOS input pair and Miller compensation with nulling resistor",
            "vp,vn", "vo", "ib", "two_stage_opamp", "gbw_hz"),
    Example("folded-cascode OTA", "inp,inn", "out", "ibias", "folded_cascode", "gain_db"),
    Example("five-transistor OTA", "inp,inn", "out", "ibias", "ota5t", "cmrr_db"),
    Example("telescopic cascode OTA", "inp,inn", "out", "ibias", "telescopic", "pm_deg"),
    Example("LDO regulator with a 1.5 V output", "", "vout", "vref,ibias", "ldo", "line_regulation"),
    Example("common-source amplifier with resistor load", "in", "out", "", "cs_amp", "gain"),
    Example("common-source amplifier with a current-source load", "vin", "vout", "ibias", "cs_amp", "gain"),
    Example("source follower buffer", "in", "out", "vbias", "source_follower", "gain"),
    Example("cascode amplifier", "in", "out", "", "cascode_amp", "gain"),
    Example("differential pair amplifier with resistor loads", "inp,inn", "outp,outn", "ibias", "diff_amp",
            "cmrr_db"),
    Example("simple current mirror", "iref", "iout", "", "mirror_simple", "max_error"),
    Example("cascode current mirror", "iref", "iout", "", "mirror_cascode", "rout_ohm"),
    Example("Wilson current mirror", "iref", "iout", "", "mirror_wilson", "rout_ohm"),
    Example("CMOS inverter", "a", "y", "", "inverter", "vm_v"),
    Example("inverting amplifier with a gain of 4", "in", "out", "ibias", "inverting_amp", "gain"),
    Example("non-inverting amplifier with gain of 3", "in", "out", "", "noninverting_amp", "gain"),
    Example("integrator with a time constant of 2 us", "in", "out", "ibias,vref", "integrator", "phase_deg"),
    Example("differentiator", "in", "out", "ibias", "differentiator", "phase_deg"),
    Example("summing amplifier adding two inputs", "a,b", "out", "ibias", "summer", "gain_1"),
    Example("subtractor (difference amplifier)", "in1,in2", "out", "ibias", "subtractor", "cm_gain"),
    Example("Schmitt trigger", "in", "out", "", "schmitt", "hysteresis_v"),
    Example("5-stage ring oscillator", "", "clk", "", "ring_oscillator", "frequency_hz"),
    Example("voltage comparator", "inp,inn", "out", "ibias", "comparator", "offset_v"),
    Example("beta-multiplier current reference", "", "vbn", "", "beta_multiplier", "supply_sensitivity"),
    Example("bandgap voltage reference", "", "vref", "", "bandgap", "tempco_ppm"),
)

_SHOW = (("gain_db", "{:.1f} dB"), ("gain", "gain {:.3g}"), ("gain_1", "gain in1 {:.3g}"),
         ("gain_2", "gain in2 {:.3g}"), ("gbw_hz", "GBW {:.3g} Hz"), ("pm_deg", "PM {:.0f}°"),
         ("cmrr_db", "CMRR {:.0f} dB"), ("max_error", "error {:.1%}"), ("rout_ohm", "Rout {:.3g} Ω"),
         ("vm_v", "VM {:.2f} V"), ("hysteresis_v", "hysteresis {:.3f} V"), ("frequency_hz", "f {:.3g} Hz"),
         ("offset_v", "offset {:.4f} V"), ("error", "transfer error {:.1%}"), ("phase_deg", "phase {:.0f}°"),
         ("supply_sensitivity", "Δ over vdd±20% {:.2%}"), ("tempco_ppm", "{:.0f} ppm/K"),
         ("vref_v", "vref {:.3f} V"), ("vout_v", "vout {:.3f} V"), ("line_regulation", "line {:.2%}"),
         ("load_regulation", "load {:.2%}"), ("power_w", "P {:.3g} W"))


def table() -> str:
    """Synthesize every example with the expert; a markdown table of the measured figures."""
    from chipsmith.agents.loop import synthesize_request
    from chipsmith.agents.spec import split_nodes

    rows = ["| request | kind (variant) | verified | rounds | ngspice runs | seconds | measured |",
            "|---|---|---|---|---|---|---|"]
    for ex in EXAMPLES:
        o = synthesize_request(ex.text, inputs=split_nodes(ex.inputs), outputs=split_nodes(ex.outputs),
                               bias=split_nodes(ex.bias))
        f = o.proof.figures() if o.proof else {}
        shown = ", ".join(fmt.format(f[k]) for k, fmt in _SHOW if f.get(k) is not None)
        sims = sum(r.proof.simulations for r in o.rounds)
        rows.append(f"| {ex.text} | `{o.spec.kind}` ({o.design.variant if o.design else '-'}) | "
                    f"{'yes' if o.success else 'NO'} | {len(o.rounds)} | {sims} | {o.seconds:.2f} | {shown} |")
    return "\n".join(rows)


if __name__ == "__main__":  # python -m chipsmith.agents.examples
    sys.stdout.write(table() + "\n")
