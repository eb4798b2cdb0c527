"""Phrasings a designer uses for a diode-connected load, the device the input drives, and a
bias pin named only in the text ("the gate is held at Vb"), read without inventing parts."""
from __future__ import annotations

import pytest

from chipsmith.agents.reader import read
from chipsmith.agents.request import PortList, build_interface
from chipsmith.spice.requirements import PortRole as R


def _reqs(text: str) -> list[tuple[str, dict]]:
    rd = read(text)
    assert rd.unconsumed == (), rd.unconsumed
    return [(c.kind, dict(c.params)) for c in rd.requirements]


@pytest.mark.parametrize("text,load", [
    ("A common-source amplifier whose load is an NMOS transistor connected as a diode", "nmos_diode"),
    ("A common-source amplifier with an NMOS transistor connected as a diode as its load", "nmos_diode"),
    ("A CS stage whose load is a PMOS device wired as a diode", "pmos_diode"),
    ("An NMOS common-source amplifier whose load is a PMOS transistor tied as a diode", "pmos_diode"),
])
def test_a_transistor_connected_as_a_diode_is_the_load_not_a_diode_or_the_input(text, load):
    reqs = _reqs(text)
    assert ("load_type", {"load": load}) in reqs
    assert ("structure", {"feature": "diode_connected", "device": load[:4]}) in reqs
    assert not any(k == "device_count" and p.get("device") == "diode" for k, p in reqs)   # no diode element
    assert ("input_type", {"device": load[:4]}) not in reqs or load == "nmos_diode" and "NMOS common" in text


def test_a_real_diode_is_still_counted():
    reqs = _reqs("a common-source amplifier with a diode and a resistor")
    assert ("device_count", {"device": "diode", "min": 1}) in reqs


@pytest.mark.parametrize("text,dev", [
    ("A common-gate stage: the signal enters at the source of the NMOS, resistive drain load", "nmos"),
    ("A common-gate amplifier with the input applied to the source of the PMOS transistor and a resistor load",
     "pmos"),
])
def test_the_device_the_input_enters_is_the_input_device(text, dev):
    assert ("input_type", {"device": dev}) in _reqs(text)


def test_the_text_can_make_vb_a_bias_pin_and_leaves_a_summers_vb_a_signal():
    i = build_interface(PortList(("Vin", "Vb"), ("Vout",)), "a common-gate stage, the gate is held at Vb")
    assert i.role_of("Vb") == R.BIAS_V and i.role_of("Vin") == R.SIGNAL_IN
    i = build_interface(PortList(("Va", "Vb"), ("Vout",)), "an op-amp adder with Vout = -(Va + Vb)")
    assert i.role_of("Vb") != R.BIAS_V


@pytest.mark.parametrize("level,sense", [("high", "non_inverting"), ("low", "inverting")])
def test_a_comparators_sense_with_the_input_named_in_words(level, sense):
    reqs = _reqs(f"A comparator whose output goes {level} when the input rises above an internal reference "
                 "of half the supply")
    assert ("polarity", {"sense": sense}) in reqs
    assert ("threshold", {"value": 0.9, "direction": "any", "tol": 0.1}) in reqs


def test_half_the_stated_supply_is_the_internal_threshold():
    reqs = _reqs("A comparator against an internal reference at mid-supply; output high when Vin is above it, "
                 "3.3 V supply")
    assert ("threshold", {"value": 1.65, "direction": "any", "tol": 0.1}) in reqs


@pytest.mark.parametrize("variant,first,second", [("differentiator", "capacitor", "resistor"),
                                                   ("integrator", "resistor", "capacitor")])
def test_where_the_parts_of_an_integrator_or_differentiator_sit(variant, first, second):
    text = f"An op-amp {variant}: {first} in series with the input, {second} in the feedback path"
    reqs = _reqs(text)
    assert ("device_count", {"device": "capacitor", "min": 1}) in reqs
    # the parts the other way round are not this circuit: left unread, so no success is claimed
    swapped = read(f"An op-amp {variant}: {second} in series with the input, {first} in the feedback path")
    assert swapped.unconsumed


@pytest.mark.parametrize("text,ins,family", [
    ("A telescopic NMOS cascode amplifier (input device plus a cascode device) with a load resistor R",
     ("Vin", "Vbias"), ("amplifier", "cascode")),
    ("A telescopic cascode amplifier", ("Vinp", "Vinn"), ("opamp", "telescopic")),
    ("a telescopic op-amp", ("Vin", "Vbias"), ("opamp", "telescopic")),
])
def test_a_telescopic_cascode_amplifier_with_one_input_is_the_single_ended_stage(text, ins, family):
    from chipsmith.agents.reader import read_request

    req = read_request(text, PortList(ins, ("Vout",)))
    (fam,) = [dict(r.params) for r in req.requirements if r.kind == "family"]
    assert (fam["family"], fam.get("variant")) == family and not req.unconsumed
