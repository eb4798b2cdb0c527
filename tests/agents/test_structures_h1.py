"""Single-ended structures read completely and built as worded (issue 11, helper H1):
resistor-load inverters, current sources/sinks and mirrors driving their own load,
Miller-compensated multistage amplifiers, resistor-loaded differential op-amps, port lists
with no inputs, and a VCO's lone input as its control. Paraphrases are our own (several
wordings and port names per capability), never the hidden suites' texts."""
from __future__ import annotations

import json

import pytest

from chipsmith.agents import gen_plan
from chipsmith.agents.reader import read_request
from chipsmith.agents.request import PortList, split_names


def _req(text: str, ins: str, outs: str, bias: str = ""):
    return read_request(text, PortList(split_names(ins), split_names(outs), split_names(bias)))


def _kinds(req) -> set[tuple]:
    out = set()
    for r in req.requirements:
        p = r.params.to_plain()
        out.add((r.kind, *(f"{k}={v}" for k, v in sorted(p.items()))))
    return out


# --- reading ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("text,ins,outs,dev", [
    ("an NMOS inverter with a resistive load", "Vin", "Vout", "nmos"),
    ("NMOS logic inverter using a resistor pull-up", "A", "Y", "nmos"),
    ("a PMOS inverter with resistor load Rl", "in1", "out1", "pmos"),
    ("an inverter with an NMOS pull-down and a resistor load", "Vin", "Vout", "nmos"),
    ("a resistive-load inverter with a PMOS pull-up switch", "a", "y", "pmos"),
])
def test_resistor_inverter_is_read_completely(text, ins, outs, dev):
    req = _req(text, ins, outs)
    assert req.unconsumed == ()
    k = _kinds(req)
    other = "pmos" if dev == "nmos" else "nmos"
    assert ("family", "family=inverter") in k and ("input_type", f"device={dev}") in k
    assert ("device_count", f"device={other}", "max=0") in k and ("load_type", "load=resistor") in k


@pytest.mark.parametrize("text,ins,outs,dev", [
    ("a simple NMOS constant current source with a resistive load", "Vbias", "Vout", "nmos"),
    ("a PMOS current source driving a resistive load", "Vb", "Vo", "pmos"),
    ("an NMOS current sink with a load resistor", "VG", "Vdrain", "nmos"),
    ("a current sink with resistive load R", "Vbn", "Out", "nmos"),
])
def test_current_source_is_read_completely(text, ins, outs, dev):
    req = _req(text, ins, outs)
    assert req.unconsumed == ()
    k = _kinds(req)
    assert ("family", "family=current_source") in k and ("input_type", f"device={dev}") in k
    assert ("load_type", "load=resistor") in k


@pytest.mark.parametrize("text,ins", [
    ("A cascode current mirror with 4 mosfets (2 stacked at input side with diode-connected, 2 stacked at "
     "output side), reference current input Iin (connected to Vdd) and resistive load", "Iin"),
    ("a cascode current mirror: two stacked diode-connected transistors on the input side, two stacked on the "
     "output side, a reference current from vdd and a resistive load", "Ibias"),
])
def test_cascode_mirror_phrases_are_read(text, ins):
    req = _req(text, ins, "Iout")
    assert req.unconsumed == ()
    k = _kinds(req)
    assert ("structure", "feature=cascode") in k and ("structure", "feature=diode_connected") in k
    assert ("load_type", "load=resistor") in k
    assert req.interface.role_of(ins).value == "bias_i"


@pytest.mark.parametrize("text", [
    "a two-stage amplifier with a Miller compensation capacitor",
    "a two stage amplifier compensated with Cc",
    "two-stage amplifier with a pole-splitting capacitor",
    "a 2-stage amplifier using a miller cap",
])
def test_miller_capacitor_is_a_structure_not_just_a_count(text):
    req = _req(text, "vi", "vo")
    assert req.unconsumed == ()
    assert ("structure", "feature=miller_compensation") in _kinds(req)


@pytest.mark.parametrize("text", [
    "a two-stage amplifier with Miller compensation for stability",
    "a unity-gain stable two-stage amplifier with a Miller capacitor",
    "a two stage amplifier with a compensation capacitor so that it is stable in unity-gain feedback",
])
def test_stability_words_are_a_phase_margin_target(text):
    req = _req(text, "Vin", "Vout")
    assert req.unconsumed == ()
    pm = [r for r in req.requirements if r.kind == "target" and r.params["figure"] == "pm_deg"]
    assert [(r.params["op"], r.params["value"]) for r in pm] == [(">=", 45.0)]
    # "unity-gain stable" is not a gain of one
    assert not any(r.kind == "target" and r.params["figure"] == "gain_vv" for r in req.requirements)


@pytest.mark.parametrize("text,ins", [
    ("A single-stage differential common-source opamp with dual resistive loads, tail current, and a single "
     "output", "Vinp,Vinn"),
    ("a one-stage differential common-source op-amp with two resistor loads, a tail current source and a "
     "single-ended output", "inp,inn"),
])
def test_resistor_loaded_diff_opamp_is_read(text, ins):
    req = _req(text, ins, "Vout")
    assert req.unconsumed == ()
    k = _kinds(req)
    assert ("structure", "feature=diff_pair") in k and ("structure", "feature=tail_source") in k
    assert ("load_type", "load=resistor") in k
    # "two resistor loads" names the loads, not the design's whole resistor count (bias resistors are no loads)
    assert not any(r.kind == "device_count" and r.params["device"] == "resistor" for r in req.requirements)


@pytest.mark.parametrize("word", ["none", "-", "", "None", " - "])
def test_no_inputs_spellings(word):
    assert split_names(word) == ()
    req = _req("an RC phase-shift oscillator", word, "Vout")
    assert [p.name for p in req.interface.ports] == ["Vout", "vdd", "gnd"]


@pytest.mark.parametrize("text,port", [("A voltage-controlled oscillator", "Vin"),
                                       ("a VCO whose output frequency rises with its input", "Vtune_in"),
                                       ("a ring VCO", "x")])
def test_vco_lone_input_is_its_control(text, port):
    req = _req(text, port, "Vout")
    assert req.interface.role_of(port).value == "control"
    assert any(r.kind == "control_moves_frequency" and r.params["control"] == port for r in req.requirements)


# --- building (no simulation) --------------------------------------------------------------------------

def _first(text, ins, outs):
    return next(gen_plan.plan(_req(text, ins, outs)))


def test_planner_builds_resistor_inverter_and_sources():
    inv = _first("an NMOS inverter with a resistive load", "A", "Y")
    lines = [ln.split() for ln in inv.body.splitlines() if ln and not ln.startswith("*")]
    assert sorted(t[0][0] for t in lines) == ["M", "R"] and "pch" not in inv.body
    src = _first("a PMOS current source with a resistive load", "Vb", "Vo")
    assert "pch" in src.body and any(t[0].startswith("R") and "gnd" in t and "Vo" in t
                                     for t in (ln.split() for ln in src.body.splitlines()))
    mir = _first("a cascode current mirror with resistive load R", "Iref", "Iout")
    assert any(ln.split()[:3] == ["R1", "vdd", "Iout"] for ln in mir.body.splitlines())


def test_planner_places_the_miller_capacitor_between_stage_outputs():
    d = _first("a two-stage amplifier with a Miller compensation capacitor", "Vin", "Vout")
    caps = [ln.split() for ln in d.body.splitlines() if ln.startswith("C")]
    res = [ln.split() for ln in d.body.splitlines() if ln.startswith("R")]
    # Cc from the first stage's output (through its nulling resistor) to the second stage's output
    assert any("Vout" in c[1:3] and any({*r[1:3]} == {"s1__", *(set(c[1:3]) - {"Vout"})} for r in res)
               for c in caps), (caps, res)


# --- end to end ---------------------------------------------------------------------------------------

@pytest.mark.ngspice
def test_cli_current_source_and_miller_end_to_end(cli, ngspice_bin, tmp_path):
    out = tmp_path / "src"
    r = cli("synth", "a simple NMOS current sink with a resistive load", "--inputs", "Vgate", "--outputs", "Vd",
            "--out", out, "--json")
    assert r.code == 0, r.stderr + r.stdout[-2000:]
    s = json.loads((out / "summary.json").read_text())
    assert s["success"] and s["unconsumed"] == [] and all(x["status"] == "pass" for x in s["requirements"])
    fam = next(x for x in s["requirements"] if x["kind"] == "family")
    assert fam["figure"] >= 10e-6 and "spread" in fam["detail"]
    out2 = tmp_path / "miller"
    r2 = cli("synth", "a two stage amplifier with a Miller capacitor", "--inputs", "a_in", "--outputs", "a_out",
             "--out", out2, "--json")
    assert r2.code == 0, r2.stderr + r2.stdout[-2000:]
    s2 = json.loads((out2 / "summary.json").read_text())
    miller = next(x for x in s2["requirements"] if x["kind"] == "structure")
    assert miller["params"]["feature"] == "miller_compensation" and miller["status"] == "pass"


@pytest.mark.ngspice
def test_cli_oscillator_with_inputs_none(cli, ngspice_bin, tmp_path):
    out = tmp_path / "osc"
    r = cli("synth", "an RC phase-shift oscillator", "--inputs", "none", "--outputs", "Vosc", "--out", out, "--json")
    assert r.code == 0, r.stderr + r.stdout[-2000:]
    head = next(ln for ln in (out / "design.cir").read_text().splitlines() if ln.lower().startswith(".subckt design"))
    assert head.lower().split()[2:] == ["vosc", "vdd", "gnd"]


@pytest.mark.parametrize("text,kind", [
    ("a common-source amplifier with a source resistor", ("structure", "feature=source_degeneration")),
    ("an inverting op-amp amplifier with a feedback resistor, gain -2", ("structure", "feature=feedback")),
    ("a common source amplifier with a load resistor", ("load_type", "load=resistor")),
])
def test_an_element_named_by_its_role_is_that_structure(text, kind):
    # "a feedback resistor" must not be satisfied by any resistor (a bias divider's, say)
    req = _req(text, "Vin", "Vout")
    assert req.unconsumed == () and kind in _kinds(req)


def test_pair_with_resistive_loads_and_no_stage_count_is_one_stage():
    d = _first("A differential pair op-amp with resistive loads and a tail current source, single-ended output",
               "in_p,in_n", "out")
    assert d.kind == "diff_amp" and d.variant == "resistor:single"


@pytest.mark.parametrize("text,ins,outs,value", [
    ("NMOS current sink, gate biased at Vbias, with a 1 kOhm load resistor", "Vbias", "Vout", "1k"),
    ("a simple current mirror with a 5 kOhm load resistor", "Iref", "Iout", "5k"),
])
def test_stated_load_value_is_built(text, ins, outs, value):
    req = _req(text, ins, outs)
    assert req.unconsumed == ()
    d = next(gen_plan.plan(req))
    assert any(t[0].startswith("R") and outs in t and t[3] == value for t in (ln.split() for ln in d.body.splitlines()
                                                                                  if ln and not ln.startswith("*")))


def test_mirror_with_a_cascode_output_stage_is_a_cascode_mirror():
    req = _req("A current mirror with a cascode output stage and resistive load, input current Iin", "Iin", "Iout")
    assert req.unconsumed == () and ("structure", "feature=cascode") in _kinds(req)
    assert next(gen_plan.plan(req)).kind == "mirror_cascode"
