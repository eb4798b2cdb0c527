"""The held-out request set (heldout_v3) and the general fixes its first run and real_v2's
residual refusals called for (helper H7).

- the set loads through the benchmark's registry and scores end to end via the CLI;
- op words with a negation ("no more than 200 uW") were read as the opposite bound: the
  agent claimed success on a design the hand requirements reject (a false success);
- "two cascaded common-source stages" was read as one stage (a false success);
- a source follower's current-source bias is its load: the reader reads it and the judge
  finds it on a follower's source node (an NMOS sink is the same polarity as the follower);
- port roles the text gives: a clock or control input, a current into a pin, the two
  outputs of a differential amplifier.
"""
from __future__ import annotations

import json
from collections import Counter

import pytest

from chipsmith.agents.reader import read_request
from chipsmith.agents.request import PortList
from chipsmith.benchmarks.topology_bench import SETS, load_set
from chipsmith.spice.requirements import Interface, Port, PortRole, Request, Requirement


def _reqs(text: str, ins=(), outs=(), bias=()):
    req = read_request(text, PortList(tuple(ins), tuple(outs), tuple(bias)))
    return req, [(r.kind, r.params.to_plain()) for r in req.requirements]


def test_heldout_set_is_registered_and_spread_over_the_families():
    assert "heldout_v3" in SETS
    problems = load_set("heldout_v3")
    assert len(problems) >= 40
    fams = Counter(p["family"] for p in problems)
    for group in ("amplifiers", "op-amps", "mirrors+references", "op-amp applications", "filters", "comparators",
                  "oscillators", "VCOs", "mixers", "data-converter parts"):
        assert fams[group] >= 1, group
    assert any(r.kind == "family" and r.params["family"] in ("ldo", "bandgap")
               for p in problems for r in p["request"].requirements)
    # hand annotations: every problem states its family, and the texts are not real_v2's
    real = {p["text"] for p in load_set("real_v2")}
    for p in problems:
        assert p["request"].by_kind("family"), p["id"]
        assert p["text"] not in real, p["id"]


def test_heldout_scores_via_the_cli(tmp_path):
    from chipsmith.cli import main

    out = tmp_path / "held"
    rc = main(["bench", "topology", "--set", "heldout_v3", "--limit", "3", "--workers", "1", "--out", str(out),
               "--quiet"])
    assert rc == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["set"] == "heldout_v3" and summary["problems"] == 3
    assert summary["solved"] + summary["false_success"] + summary["refused"] == 3
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert [r["id"] for r in rows] == ["h3-001", "h3-002", "h3-003"]
    assert all(r["judge"] is not None for r in rows if r["status"] != "refused")


@pytest.mark.parametrize("text,figure,op", [
    ("op-amp burning no more than 200 uW", "power_w", "<="),
    ("op-amp with a phase margin no less than 55 degrees", "pm_deg", ">="),
    ("op-amp with a GBW no lower than 10 MHz", "gbw_hz", ">="),
    ("op-amp with a supply current not more than 2 mA", "supply_current_a", "<="),
    ("op-amp whose power is no higher than 1 mW", "power_w", "<="),
])
def test_a_negated_op_word_keeps_its_sense(text, figure, op):
    _, reqs = _reqs(text, ("inp", "inn"), ("out",), ("ibias",))
    assert [p["op"] for k, p in reqs if k == "target" and p["figure"] == figure] == [op]


def test_cascaded_stages_are_counted():
    req, reqs = _reqs("Two cascaded common-source stages with resistor loads, in -> out, gain above 30 dB.",
                      ("in",), ("out",))
    assert ("stage_count", {"count": 2}) in reqs and req.unconsumed == ()
    assert ("family", {"family": "amplifier", "variant": "multistage"}) in reqs


def test_a_followers_current_source_bias_is_its_load():
    req, reqs = _reqs("Source follower buffering IN to OUT with a current-source bias set by VB.", ("IN",), ("OUT",),
                      ("VB",))
    assert ("load_type", {"load": "current_source"}) in reqs and req.unconsumed == ()


_FOLLOWER = """.subckt design in out vb vdd gnd
m1 vdd in out gnd nch w=10u l=1u
{load}
.model nch nmos (level=1 vto=0.45 kp=300u gamma=0.4 phi=0.8 lambda=0.08)
.ends design
"""


@pytest.mark.parametrize("load,passes", [("m2 out vb gnd gnd nch w=4u l=1u", True), ("r1 out gnd 20k", False)])
def test_judge_finds_a_followers_current_sink(load, passes):
    from chipsmith.spice.judge import judge

    iface = Interface((Port("in", PortRole.SIGNAL_IN), Port("out", PortRole.OUT), Port("vb", PortRole.BIAS_V),
                       Port("vdd", PortRole.SUPPLY), Port("gnd", PortRole.GROUND)))
    req = Request("source follower with a current-source load", iface,
                  (Requirement("r1", "load_type", {"load": "current_source"}),))
    verdict = judge(_FOLLOWER.format(load=load), req)
    assert verdict.success is passes, verdict.to_dict()


def test_port_roles_the_text_gives():
    req, _ = _reqs("Sample-and-hold with an NMOS sampling switch driven by clock SMP and a hold capacitor; VIN, VOUT.",
                   ("VIN", "SMP"), ("VOUT",))
    assert req.interface.role_of("SMP") is PortRole.CLOCK and req.unconsumed == ()
    req, _ = _reqs("NMOS pass switch controlled by Vg; Vin, Vout.", ("Vin", "Vg"), ("Vout",))
    assert req.interface.role_of("Vg") is PortRole.CONTROL
    req, _ = _reqs("Mirror with output 3x the reference current; reference 10uA into ref, output out.", (),
                   ("out",), ("ref",))
    assert req.interface.role_of("ref") is PortRole.BIAS_I
    req, _ = _reqs("Differential amplifier with resistive loads; Vin1/Vin2 in, Vo1/Vo2 out.", ("Vin1", "Vin2"),
                   ("Vo1", "Vo2"))
    assert [req.interface.role_of(n) for n in ("Vo1", "Vo2")] == [PortRole.DIFF_OUT_P, PortRole.DIFF_OUT_N]
    # a plain signal name stays a signal even next to control words
    req, _ = _reqs("Gilbert cell mixer; RF input RF, LO input LO controlled by nothing; IF output IF.", ("RF", "LO"),
                   ("IF",))
    assert req.interface.role_of("LO") is PortRole.SIGNAL_IN


def test_a_current_out_of_a_pin_is_negative():
    _, reqs = _reqs("PMOS current mirror: the reference pulls 20 uA out of Iref, the copy flows out of Iout into the "
                    "load; 1:2 ratio.", (), ("Iout",), ("Iref",))
    assert ("condition", {"name": "ref_current_a", "value": -20e-6, "port": "Iref"}) in reqs


def test_resistorless_means_no_resistor():
    req, reqs = _reqs("Resistor-divider-free voltage reference built from stacked diode-connected MOSFETs, output "
                      "Vref around 0.9 V.", (), ("Vref",))
    assert ("device_count", {"device": "resistor", "max": 0}) in reqs and req.unconsumed == ()


def test_cascoded_loads_and_cascodes_named_in_a_common_source_request():
    _, reqs = _reqs("Telescopic-style single-ended cascode stage with a cascoded PMOS current-source load. Ports: Vin, "
                    "Vb1, Vb2, Vb3, Vout.", ("Vin",), ("Vout",), ("Vb1", "Vb2", "Vb3"))
    assert ("load_type", {"load": "current_source"}) in reqs
    assert ("structure", {"feature": "cascode", "device": "pmos"}) in reqs


def test_simple_reference_is_resistorless_low_power_and_on_target():
    """The diode-stack reference (ngspice in the loop): no resistor, the output within 3 % of
    the request, well under the power a bandgap burns, and the judge agrees."""
    from chipsmith.agents.gen_base import Pins
    from chipsmith.agents.gen_vref import simple_reference
    from chipsmith.spice.judge import judge

    design = simple_reference(Pins.of([("Vr", "out")]), 0.8, power=50e-6)
    text = design.netlist_text()
    assert "\nR" not in text.split(".subckt design", 1)[1].split(".ends", 1)[0]
    iface = Interface((Port("Vr", PortRole.OUT), Port("vdd", PortRole.SUPPLY), Port("gnd", PortRole.GROUND)))
    req = Request("simple voltage reference, 0.8 V, power below 50 uW", iface, (
        Requirement("f", "family", {"family": "reference", "variant": "voltage"}),
        Requirement("v", "target", {"figure": "vout_v", "op": "~", "value": 0.8, "tol": 0.03}),
        Requirement("p", "target", {"figure": "power_w", "op": "<=", "value": 50e-6}),
        Requirement("r", "device_count", {"device": "resistor", "max": 0})))
    verdict = judge(text, req)
    assert verdict.success, verdict.to_dict()


@pytest.mark.parametrize("text,ports,atom", [
    ("Current mirror giving twice the reference current; 10 uA reference into I_in; output I_out.", "I_in|I_out|",
     ("condition", {"name": "ref_current_a", "value": 10e-6, "port": "I_in"})),
    ("An NMOS current sink that mirrors 50 uA from IB into the output ISINK with unity ratio.", "IB|ISINK|",
     ("target", {"figure": "mirror_ratio", "op": "~", "value": 1.0, "tol": 0.1})),
    ("Inverting amplifier using an op-amp: Vout = -2.5 Vin.", "Vin|Vout|",
     ("linear_relation", {"output": "Vout", "coefficients": {"Vin": -2.5}})),
    ("VCO with control voltage vtune and output fo; the frequency must rise as vtune rises.", "vtune|fo|",
     ("control_moves_frequency", {"control": "vtune", "direction": "increasing"})),
    ("Relaxation oscillator (capacitor charged and discharged through a Schmitt trigger), output y near 50 kHz.",
     "|y|", ("device_count", {"device": "capacitor", "min": 1})),
    ("Design an inverting integrator with input resistor R = 10 kOhm and feedback capacitor C = 1 nF; Vin, Vout.",
     "Vin|Vout|", ("target", {"figure": "time_constant_s", "op": "~", "value": 1e-5, "tol": 0.1})),
    ("Design a ring oscillator with 9 inverter stages; output osc.", "|osc|", ("stage_count", {"count": 9})),
    ("Current-starved VCO, control input vc, output vo; the oscillation frequency should decrease as vc decreases.",
     "vc|vo|", ("control_moves_frequency", {"control": "vc", "direction": "increasing"})),
    ("Design a PMOS current mirror: 15 uA is pulled out of the reference pin IREFP and the output OUTP sources the "
     "same current.", "IREFP|OUTP|", ("condition", {"name": "ref_current_a", "value": -15e-6, "port": "IREFP"})),
])
def test_second_batch_phrasings(text, ports, atom):
    ins, outs, _ = ports.split("|")
    bias = (ins,) if ins.lower().startswith("i") else ()
    req, reqs = _reqs(text, () if bias or not ins else (ins,), (outs,), bias)
    assert atom in reqs and req.unconsumed == (), (reqs, req.unconsumed)
