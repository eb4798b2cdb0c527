"""Spec schema validation and free-text understanding (no simulation)."""
from __future__ import annotations

import pytest

from chipsmith.agents.spec import Spec, load_spec, parse_quantity, spec_from_dict, with_ports
from chipsmith.agents.text_understanding import understand
from chipsmith.errors import InputError


@pytest.mark.parametrize("text,value", [("10MHz", 1e7), ("60 dB", 60.0), ("1mW", 1e-3), ("20uA", 20e-6),
                                        ("1.8V", 1.8), (2.5, 2.5), ("1meg", 1e6), ("45deg", 45.0)])
def test_quantities(text, value):
    assert parse_quantity(text, "x") == pytest.approx(value)


def test_spec_yaml_and_json(tmp_path):
    y = tmp_path / "s.yaml"
    y.write_text("kind: two-stage opamp\ninputs: [a, b]\noutputs: o\nbias: {ibias: 10uA}\n"
                 "targets: {gain: 70dB, gbw: 5MHz, phase_margin: 60}\nvdd: 3.3V\n")
    spec = load_spec(y)
    assert spec.kind == "two_stage_opamp" and spec.inputs == ("a", "b") and spec.outputs == ("o",)
    assert spec.bias_value("ibias") == pytest.approx(10e-6) and spec.vdd == 3.3
    assert (spec.targets.gain_db, spec.targets.gbw_hz, spec.targets.pm_deg) == (70, 5e6, 60)
    j = tmp_path / "s.json"
    j.write_text('{"kind": "integrator", "time_constant_s": "2us"}')
    assert load_spec(j).time_constant_s == pytest.approx(2e-6)


@pytest.mark.parametrize("data,needle", [
    ({"kind": "opamp", "colour": "red"}, "unknown spec field 'colour'"),
    ({"kind": "flux_capacitor"}, "unknown circuit kind"),
    ({}, "'kind' is missing"),
    ({"kind": "ota5t", "input_polarity": "cmos"}, "input_polarity"),
    ({"kind": "ota5t", "targets": {"noise": 1}}, "unknown target"),
    ({"kind": "ota5t", "stages": 7}, "stages"),
    ({"kind": "ota5t", "vdd": "lots"}, "vdd"),
    ({"kind": "ota5t", "inputs": ["a b"]}, "not a valid node name"),
])
def test_spec_errors_name_the_field(data, needle):
    with pytest.raises(InputError) as info:
        spec_from_dict(data, "s.yaml")
    assert needle in str(info.value) and "s.yaml" in str(info.value)


def test_invalid_yaml_has_line(tmp_path):
    y = tmp_path / "bad.yaml"
    y.write_text("kind: ota5t\ntargets: [unclosed\n")
    with pytest.raises(InputError) as info:
        load_spec(y)
    assert "bad.yaml:" in str(info.value)


def test_with_ports_defaults_and_counts():
    spec = with_ports(Spec(kind="two_stage_opamp"))
    assert spec.inputs == ("inp", "inn") and spec.bias == ("ibias",)
    with pytest.raises(InputError):
        with_ports(Spec(kind="inverter"), ("a", "b"))
    with pytest.raises(InputError):
        with_ports(Spec(kind="inverter"), ("a",), ("a",))


@pytest.mark.parametrize("text,kind,extra", [
    ("a two-stage op-amp with NMOS input pair, PMOS mirror load and Miller compensation", "two_stage_opamp",
     {"input_polarity": "nmos", "compensation": "miller", "stages": 2}),
    ("op-amp with PMOS input pair, gain above 70 dB, GBW of 10 MHz, phase margin 60 degrees, power under 1 mW",
     "two_stage_opamp", {"input_polarity": "pmos"}),
    ("folded cascode amplifier", "folded_cascode", {}),
    ("wide output resistance Wilson mirror", "mirror_wilson", {}),
    ("non-inverting amplifier with a gain of 4", "noninverting_amp", {"closed_loop_gain": 4.0}),
    ("inverting amplifier, gain of -10", "inverting_amp", {"closed_loop_gain": 10.0}),
    ("a ring oscillator at 300 MHz", "ring_oscillator", {}),
    ("bandgap reference on a 3.3 V supply", "bandgap", {"vdd": 3.3}),
    ("a circuit that copies a reference current to its output", "mirror_simple", {}),
])
def test_understanding(text, kind, extra):
    u = understand(text)
    assert u.spec.kind == kind and u.reasons
    for key, value in extra.items():
        assert getattr(u.spec, key) == value


def test_understanding_targets():
    t = understand("op-amp with gain above 70 dB, GBW of 10 MHz, phase margin 60 degrees, power under 1 mW").spec.targets
    assert (t.gain_db, t.gbw_hz, t.pm_deg, t.power_w) == (70, 10e6, 60, 1e-3)
    assert understand("a ring oscillator at 300 MHz").spec.targets.frequency_hz == 300e6


def test_unknown_text_lists_examples():
    with pytest.raises(InputError) as info:
        understand("a flux capacitor")
    assert "two-stage op-amp" in str(info.value)


def test_normalize_maps_choices_to_kinds():
    assert with_ports(spec_from_dict({"kind": "current mirror", "mirror": "wilson"})).kind == "mirror_wilson"
    assert with_ports(spec_from_dict({"kind": "opamp", "feedback": "inverting",
                                      "closed_loop_gain": 3})).kind == "inverting_amp"
    for bad, field in (({"kind": "cs_amp", "input_type": "differential"}, "input_type"),
                       ({"kind": "ota5t", "stages": 2}, "stages"),
                       ({"kind": "ota5t", "output_type": "differential"}, "output_type")):
        with pytest.raises(InputError) as info:
            with_ports(spec_from_dict(bad))
        assert field in str(info.value)
