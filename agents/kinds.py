"""The circuit kinds the synthesis agent knows: names, families, descriptions, default ports.

One frozen record per kind. The free-text understanding retrieves over the descriptions
and synonyms, the planner has one generator per kind, and the functional checks pick the
testbench by ``family``. The registry resolves names and, on a miss, lists the valid ones.
"""
from __future__ import annotations

from dataclasses import dataclass

from chipsmith.errors import InputError


@dataclass(frozen=True)
class Kind:
    """A circuit kind: what it is, how it is tested, which ports it has by default."""

    name: str
    family: str  # amplifier | opamp | mirror | logic | opamp_app | oscillator | reference | comparator | regulator
    description: str
    synonyms: tuple[str, ...]
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    bias: tuple[str, ...] = ()
    inverting: bool | None = None  # expected sign of the low-frequency gain, None: not an amplifier


KINDS: tuple[Kind, ...] = (
    Kind("cs_amp", "amplifier", "common-source amplifier stage: one transistor, gate input, drain output, "
         "resistor or current-source load; inverting voltage gain",
         ("common source", "common-source", "cs amplifier", "cs stage", "cs amp", "single transistor amplifier"),
         ("in",), ("out",), (), True),
    Kind("source_follower", "amplifier", "source follower (common-drain) voltage buffer with a current-source "
         "bias; gain just below one, non-inverting, low output impedance",
         ("source follower", "common drain", "common-drain", "voltage buffer", "level shifter"),
         ("in",), ("out",), (), False),
    Kind("cascode_amp", "amplifier", "cascode amplifier: common-source transistor with a common-gate cascode "
         "on top, high output impedance, inverting gain",
         ("cascode amplifier", "cascode amp", "cascode stage", "telescopic stage"),
         ("in",), ("out",), (), True),
    Kind("diff_amp", "amplifier", "resistively loaded differential pair with a tail current source; "
         "differential input, differential output",
         ("differential amplifier", "differential pair", "diff amp", "diff pair", "long-tailed pair"),
         ("inp", "inn"), ("outp", "outn"), (), False),
    Kind("ota5t", "opamp", "five-transistor OTA: differential pair with a current-mirror (active) load and a "
         "tail current source, single-ended output",
         ("5t ota", "five-transistor ota", "five transistor ota", "simple ota", "ota", "mirror load",
          "diff amp with mirror load", "differential amplifier with current mirror load", "active load"),
         ("inp", "inn"), ("out",), ("ibias",), False),
    Kind("two_stage_opamp", "opamp", "two-stage Miller-compensated op-amp: differential pair with mirror load, "
         "common-source second stage, Miller capacitor with nulling resistor",
         ("two-stage", "two stage", "2-stage", "miller", "op-amp", "opamp", "operational amplifier"),
         ("inp", "inn"), ("out",), ("ibias",), False),
    Kind("folded_cascode", "opamp", "folded-cascode op-amp (OTA): NMOS input pair folded into PMOS cascodes "
         "and a cascoded NMOS mirror, single high-impedance stage",
         ("folded cascode", "folded-cascode"),
         ("inp", "inn"), ("out",), ("ibias",), False),
    Kind("telescopic", "opamp", "telescopic cascode OTA: NMOS input pair with NMOS cascodes and a cascoded "
         "PMOS mirror load, one high-gain stage",
         ("telescopic", "telescopic cascode", "telescopic ota", "telescopic op-amp"),
         ("inp", "inn"), ("out",), ("ibias",), False),
    Kind("ldo", "regulator", "low-dropout regulator: error amplifier, PMOS pass device and resistive feedback; "
         "regulated output from a reference voltage",
         ("ldo", "low-dropout", "low dropout", "linear regulator", "voltage regulator"),
         (), ("vout",), ("vref",)),
    Kind("mirror_simple", "mirror", "simple two-transistor NMOS current mirror: diode-connected reference, "
         "output copies the reference current",
         ("current mirror", "simple mirror", "basic mirror", "current sink", "current source"),
         ("iin",), ("iout",), ()),
    Kind("mirror_cascode", "mirror", "cascode NMOS current mirror: stacked diode pairs, high output impedance",
         ("cascode mirror", "cascode current mirror", "cascoded mirror"),
         ("iin",), ("iout",), ()),
    Kind("mirror_wilson", "mirror", "Wilson current mirror: three-transistor feedback mirror with high output "
         "impedance",
         ("wilson", "wilson mirror", "wilson current mirror"),
         ("iin",), ("iout",), ()),
    Kind("inverter", "logic", "static CMOS inverter: PMOS pull-up, NMOS pull-down, logic output",
         ("inverter", "not gate", "cmos inverter", "logic inverter"),
         ("in",), ("out",), ()),
    Kind("inverting_amp", "opamp_app", "inverting amplifier: op-amp with input and feedback resistors, "
         "closed-loop gain -Rf/Rin",
         ("inverting amplifier", "inverting amp", "inverting gain stage"),
         ("in",), ("out",), ("ibias",), True),
    Kind("noninverting_amp", "opamp_app", "non-inverting amplifier: op-amp with a resistive divider in the "
         "feedback, closed-loop gain 1+Rf/Rg",
         ("non-inverting amplifier", "noninverting amplifier", "non inverting amplifier", "non-inverting amp"),
         ("in",), ("out",), ("ibias",), False),
    Kind("integrator", "opamp_app", "inverting integrator: op-amp with input resistor and feedback capacitor "
         "(large resistor in parallel for a DC path), H = -1/(sRC)",
         ("integrator", "miller integrator", "inverting integrator"),
         ("in",), ("out",), ("ibias",), True),
    Kind("differentiator", "opamp_app", "differentiator: op-amp with input capacitor and feedback resistor, "
         "H = -sRC at low frequency",
         ("differentiator", "differentiating amplifier"),
         ("in",), ("out",), ("ibias",), True),
    Kind("summer", "opamp_app", "inverting summing amplifier: op-amp adding two inputs through resistors, "
         "out = -Rf (v1/R1 + v2/R2)",
         ("summer", "summing amplifier", "adder", "summing"),
         ("in1", "in2"), ("out",), ("ibias",), True),
    Kind("subtractor", "opamp_app", "difference amplifier (subtractor): op-amp with four resistors, "
         "out = (R2/R1)(v1 - v2)",
         ("subtractor", "difference amplifier", "differential to single-ended amplifier", "subtracting"),
         ("in1", "in2"), ("out",), ("ibias",), False),
    Kind("schmitt", "logic", "CMOS Schmitt trigger (six transistors): inverting logic gate with hysteresis",
         ("schmitt", "schmitt trigger", "hysteresis"),
         ("in",), ("out",), ()),
    Kind("ring_oscillator", "oscillator", "ring oscillator: odd chain of CMOS inverters closed in a loop, "
         "rail-to-rail periodic output",
         ("ring oscillator", "oscillator", "ring osc", "vco"),
         (), ("out",), ()),
    Kind("comparator", "comparator", "open-loop voltage comparator: differential pair with mirror load and a "
         "gain stage, logic output high when inp > inn",
         ("comparator", "voltage comparator"),
         ("inp", "inn"), ("out",), ("ibias",), False),
    Kind("beta_multiplier", "reference", "beta-multiplier (constant-gm) current reference with start-up: "
         "supply-independent bias current and NMOS bias voltage",
         ("beta multiplier", "beta-multiplier", "constant gm", "constant-gm", "current reference",
          "bias generator", "self-biased"),
         (), ("vbn",), ()),
    Kind("bandgap", "reference", "bandgap voltage reference: PTAT and CTAT (diode) voltages summed by an "
         "op-amp loop, about 1.2 V, low temperature coefficient",
         ("bandgap", "band-gap", "voltage reference", "bgr"),
         (), ("vref",), ()),
)

_BY_NAME = {k.name: k for k in KINDS}


def get_kind(name: str) -> Kind:
    """The kind called ``name`` (case-insensitive, '-' and ' ' as '_'); a miss lists the valid names."""
    key = name.strip().lower().replace("-", "_").replace(" ", "_")
    if key in _BY_NAME:
        return _BY_NAME[key]
    loose = " ".join(name.strip().lower().replace("_", " ").split())
    for kind in KINDS:  # exact synonyms ("current mirror", "op-amp", "ldo") are accepted too
        if loose in kind.synonyms or loose.replace(" ", "-") in kind.synonyms:
            return kind
    try:
        return _BY_NAME[key]
    except KeyError:
        raise InputError(f"unknown circuit kind {name!r}",
                         fix=f"use one of: {', '.join(k.name for k in KINDS)}") from None


def kind_names() -> tuple[str, ...]:
    return tuple(k.name for k in KINDS)
