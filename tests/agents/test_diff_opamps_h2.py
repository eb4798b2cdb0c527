"""Differential op-amps on the designer's interface (issue 11, helper H2).

Reader: paraphrases of 5T / two-stage / telescopic requests with two outputs and several
bias ports are read completely (no unconsumed phrase) into the requirements a designer
means. Planner + judge: the designs built for them pass the independent judge on real
ngspice benches (each output's sign, DM > CM gain, every bias port doing something,
counts by role). Hand-written WRONG netlists (outputs swapped, an idle bias port, no
cascodes) are rejected by the judge. One CLI run end to end.
"""
from __future__ import annotations

import json

import pytest

from chipsmith.agents.reader import read_request
from chipsmith.agents.request import PortList
from chipsmith.spice.judge import judge
from chipsmith.spice.requirements import PortRole


def _req(text: str, ins: str, outs: str):
    split = lambda s: tuple(n.strip() for n in s.split(",") if n.strip())  # noqa: E731
    return read_request(text, PortList(split(ins), split(outs)))


def _kinds(req, kind: str) -> list[dict]:
    return [dict(r.params) for r in req.by_kind(kind)]


# --- port roles -----------------------------------------------------------------------------------

@pytest.mark.parametrize("outs, p, n", [("Voutp, Vout", "Voutp", "Vout"), ("OUTP, OUTN", "OUTP", "OUTN"),
                                        ("vout, voutn", "vout", "voutn"), ("vop, von", "vop", "von")])
def test_two_outputs_become_a_pair_p_non_inverting(outs, p, n):
    req = _req("a differential op-amp with a mirror load and a tail current source", "inp, inn, vbias", outs)
    iface = req.interface
    assert iface.role_of(p) is PortRole.DIFF_OUT_P
    assert iface.role_of(n) is PortRole.DIFF_OUT_N


def test_vtail_is_a_bias_port():
    req = _req("A single-stage differential OTA with a mirror load and tail current", "Vinp, Vinn, Vtail", "Vout")
    assert req.interface.role_of("Vtail") is PortRole.BIAS_V
    assert not req.unconsumed


# --- reader ---------------------------------------------------------------------------------------

FIVE_T = [
    ("A differential opamp with an active PMOS current mirror load, a tail current source, and two outputs",
     "Vinp, Vinn, Vbias", "Voutp, Vout"),
    ("differential op-amp using an active PMOS current-mirror load and a tail current sink; two outputs",
     "vip, vin_n, vbias", "vop, von"),
    ("A 5T OTA with an NMOS input pair, a PMOS current-mirror load and a tail current source, with two outputs",
     "INP, INN, VBN", "OUTP, OUTN"),
]


@pytest.mark.parametrize("text, ins, outs", FIVE_T)
def test_reader_five_transistor_ota(text, ins, outs):
    req = _req(text, ins, outs)
    assert not req.unconsumed, req.unconsumed
    assert _kinds(req, "family")[0]["family"] == "opamp"
    assert {"load": "mirror"} in _kinds(req, "load_type")
    assert any(s["feature"] == "tail_source" for s in _kinds(req, "structure"))


TWO_STAGE = [
    ("A two-stage differential opamp (first stage: common-source with an active load and a tail current, "
     "second stage: common-source with an active load)", "Vinp, Vinn, Vbias1, Vbias2, Vbias3", "Voutp, Vout"),
    ("Two-stage differential op-amp. First stage: differential pair with an active load and a tail current "
     "source. Second stage: common-source with an active load.", "INP, INN, VB1, VB2, VB3", "OUTP, OUTN"),
    ("A two stage differential opamp (1st stage: common-source with active load and tail current; 2nd stage: "
     "common-source with active load)", "Vinp, Vinn, Vb1, Vb2", "Voutp, Voutn"),
]


def test_reader_input_and_output_stage_words():
    req = _req("A two stage op amp whose input stage has a tail current source and a mirror load and whose output "
               "stage is a common source stage with a current source load", "Vinp, Vinn, Vbias", "Vout")
    assert not req.unconsumed, req.unconsumed
    stages = {(ld["load"], ld.get("stage")) for ld in _kinds(req, "load_type")}
    assert stages == {("mirror", 1), ("current_source", 2)}


@pytest.mark.parametrize("text, ins, outs", TWO_STAGE)
def test_reader_per_stage_loads(text, ins, outs):
    req = _req(text, ins, outs)
    assert not req.unconsumed, req.unconsumed
    assert _kinds(req, "stage_count") == [{"count": 2}]
    stages = {(ld["load"], ld.get("stage")) for ld in _kinds(req, "load_type")}
    assert ("active", 1) in stages and ("active", 2) in stages


TELESCOPIC = [
    ("A single-stage telescopic cascode opamp with two outputs (4 nmos as cascode input pair, 4 pmos as "
     "cascode loads, and 1 tail current)", "Vinp, Vinn, Vbias1, Vbias2, Vbias3, Vbias4", "Voutp, Vout"),
    ("a fully differential telescopic cascode op-amp: four NMOS transistors as the cascoded input pair, four "
     "PMOS transistors as cascode loads and one tail current source", "INP, INN, VB1, VB2, VB3, VB4", "OUTP, OUTN"),
    ("A telescopic cascode op-amp with differential outputs (four NMOS as the cascode input pair, four PMOS as "
     "cascode loads, one tail current)", "INP, INN, VB1, VB2", "OUTP, OUTN"),
]


@pytest.mark.parametrize("text, ins, outs", TELESCOPIC)
def test_reader_counts_with_roles(text, ins, outs):
    req = _req(text, ins, outs)
    assert not req.unconsumed, req.unconsumed
    counts = {(c["device"], c.get("role")): (c.get("min"), c.get("max")) for c in _kinds(req, "device_count")}
    assert counts[("nmos", "input_pair")] == (4, 4)
    assert counts[("pmos", "load")] == (4, 4)
    assert counts[("nmos", "tail")] == (1, 1)
    # the role-less total would be wrong (the tail is a fifth NMOS): it must not be read
    assert ("nmos", None) not in counts or counts[("nmos", None)][1] is None


# --- planner + judge ------------------------------------------------------------------------------

def _plan_and_judge(req):
    from chipsmith.agents.gen_plan import plan

    for design in plan(req):
        verdict = judge(design.netlist_text("t"), req)
        if verdict.success:
            return design, verdict
    return design, verdict


@pytest.mark.parametrize("text, ins, outs", [FIVE_T[0], TWO_STAGE[0], TELESCOPIC[0], TELESCOPIC[2]])
def test_planned_designs_pass_the_judge(text, ins, outs):
    req = _req(text, ins, outs)
    design, verdict = _plan_and_judge(req)
    assert verdict.success, verdict.summary_line()
    # exactly the user's ports, in order, then vdd gnd
    names = [p.name for p in design.ports]
    want = [n.strip() for n in (ins + "," + outs).split(",")]
    assert names == want + ["vdd", "gnd"]
    fam = next(r for r in verdict.results if r.kind == "family")
    assert "common-mode gain" in fam.detail


def test_fully_differential_pair_with_pmos_current_source_loads():
    req = _req("A differential pair op-amp with PMOS active loads biased by Vbias2 and an NMOS tail biased by Vbias1, "
               "differential outputs", "Vinp, Vinn, Vbias1, Vbias2", "Voutp, Voutn")
    assert not req.unconsumed, req.unconsumed
    design, verdict = _plan_and_judge(req)
    assert verdict.success, verdict.summary_line()
    assert design.kind == "diff_pair" and "Vbias2" in design.body


def test_two_output_two_stage_with_miller_compensation():
    req = _req("A two-stage differential opamp with Miller compensation (with a nulling resistor Rz) and two outputs",
               "INP, INN, VB1, VB2, VB3", "OUTP, OUTN")
    design, verdict = _plan_and_judge(req)
    assert verdict.success, verdict.summary_line()
    assert sum(line.startswith("C") for line in design.body.splitlines()) == 2   # one Cc per second stage
    assert any(line.startswith("Rz ") for line in design.body.splitlines())


def test_single_output_telescopic_with_three_bias_ports():
    req = _req("telescopic cascode OTA", "Vinp, Vinn, Vbias1, Vbias2, Vbias3", "Vout")
    design, verdict = _plan_and_judge(req)
    assert verdict.success, verdict.summary_line()
    assert design.kind == "telescopic"


def test_too_many_bias_ports_say_what_each_does():
    from chipsmith.agents import gen_diffopamp as D
    from chipsmith.agents.gen_base import Pins
    from chipsmith.errors import InputError

    pins = Pins.of([("inp", "diff_in_p"), ("inn", "diff_in_n"), ("vb1", "bias_v"), ("vb2", "bias_v"),
                    ("outp", "diff_out_p"), ("outn", "diff_out_n")])
    with pytest.raises(InputError, match="tail current-source gate"):
        D.ota5t(pins)


# --- hand-written WRONG netlists ------------------------------------------------------------------

MODELS = """.model nch nmos (level=1 vto=0.45 kp=300u gamma=0.4 phi=0.8 lambda=0.08)
.model pch pmos (level=1 vto=-0.45 kp=80u gamma=0.4 phi=0.8 lambda=0.1)
"""


def _five_t(out_on_diode: str, out_on_copy: str, tail_gate: str = "t1", extra: str = "") -> str:
    return f"""* 5T OTA
.subckt design Vinp Vinn Vbias Voutp Vout vdd gnd
M1 {out_on_diode} {out_on_diode} vdd vdd pch W=11.74u L=1u
M2 {out_on_copy} {out_on_diode} vdd vdd pch W=11.74u L=1u
M3 {out_on_diode} Vinp tail gnd nch W=5.527u L=1u
M4 {out_on_copy} Vinn tail gnd nch W=5.527u L=1u
R1 {'Vbias' if tail_gate == 't1' else 'vdd'} t1 111.7k
R2 t1 gnd 288.3k
M5 tail t1 gnd gnd nch W=6.63u L=1u
{extra}{MODELS}.ends design
"""


def test_judge_accepts_the_right_five_transistor_ota():
    req = _req(*FIVE_T[0])
    assert judge(_five_t("Vout", "Voutp"), req).success


def test_judge_rejects_swapped_outputs():
    req = _req(*FIVE_T[0])
    verdict = judge(_five_t("Voutp", "Vout"), req)   # Voutp on the diode (inverting) side
    assert not verdict.success
    assert "does not rise" in " ".join(r.detail for r in verdict.failures)


def test_judge_rejects_an_idle_bias_port():
    req = _req(*FIVE_T[0])
    # the tail is biased from vdd; Vbias only drives a resistor to ground
    verdict = judge(_five_t("Vout", "Voutp", tail_gate="vdd", extra="R9 Vbias gnd 100k\n"), req)
    assert not verdict.success
    assert "Vbias does nothing" in " ".join(r.detail for r in verdict.failures)


def test_judge_rejects_a_telescopic_without_cascodes():
    req = _req(*TELESCOPIC[0])
    # a fully differential pair with PMOS current sources and the same CMFB, but no cascodes
    flat = f"""* no cascodes
.subckt design Vinp Vinn Vbias1 Vbias2 Vbias3 Vbias4 Voutp Vout vdd gnd
R1 Vbias1 t1 111.7k
R2 t1 gnd 288.3k
M1 tail t1 gnd gnd nch W=6.63u L=1u
M2 Vout Vinp tail gnd nch W=5.787u L=1u
M3 Voutp Vinn tail gnd nch W=5.787u L=1u
M8 Vout gps vdd vdd pch W=21.68u L=1u
M9 Voutp gps vdd vdd pch W=21.68u L=1u
R5 Voutp gps 20meg
R6 Vout gps 20meg
R7 Vbias4 gps 10meg
R8 vdd gps 13.34meg
R9 Vbias2 gps 10meg
R10 Vbias3 gps 10meg
{MODELS}.ends design
"""
    verdict = judge(flat, req)
    assert not verdict.success
    failed = {r.id for r in verdict.failures}
    assert {"device_count_1", "device_count_2", "structure_1", "load_type_1"} <= failed, failed


# --- what the text says each bias port drives -----------------------------------------------------

BIAS_WORDS = [
    ("A telescopic cascode op-amp with two outputs; VB1 biases the tail, VB2 the NMOS cascodes, VB3 the PMOS "
     "cascodes and VB4 the PMOS current sources", {"VB1": "tail", "VB2": "cascode", "VB3": "cascode", "VB4": "load"}),
    ("A telescopic cascode op-amp with two outputs: tail bias VB4, NMOS cascode gate voltage VB1, PMOS cascode "
     "gate voltage VB2, PMOS current source bias VB3", {"VB4": "tail", "VB1": "cascode", "VB2": "cascode",
                                                         "VB3": "load"}),
]


def test_reader_bias_words_for_a_list_of_ports():
    req = _req("Two-stage differential op-amp with two outputs; Vbias1 for the tail current source, Vbias2 and "
               "Vbias3 for the second-stage loads", "Vinp, Vinn, Vbias1, Vbias2, Vbias3", "Voutp, Voutn")
    assert not req.unconsumed, req.unconsumed
    assert {b["port"]: b["drives"] for b in _kinds(req, "bias_port")} == {"Vbias1": "tail", "Vbias2": "load",
                                                                          "Vbias3": "load"}


@pytest.mark.parametrize("text, want", BIAS_WORDS)
def test_reader_and_planner_follow_the_bias_words(text, want):
    req = _req(text, "INP, INN, VB1, VB2, VB3, VB4", "OUTP, OUTN")
    assert not req.unconsumed, req.unconsumed
    assert {b["port"]: b["drives"] for b in _kinds(req, "bias_port")} == want
    design, verdict = _plan_and_judge(req)
    assert verdict.success, verdict.summary_line()


def test_miller_two_stage_follows_the_bias_words():
    req = _req("A two-stage op-amp; Vbias2 biases the tail, Vbias1 the second-stage load and Vbias3 its cascode",
               "Vinp, Vinn, Vbias1, Vbias2, Vbias3", "Vout")
    assert {b["port"]: b["drives"] for b in _kinds(req, "bias_port")} == {"Vbias2": "tail", "Vbias1": "load"}
    design, verdict = _plan_and_judge(req)
    assert verdict.success, verdict.summary_line()


def test_judge_rejects_bias_ports_wired_against_the_words():
    text = ("A differential pair op-amp with PMOS active loads biased by Vbias2 and an NMOS tail biased by Vbias1, "
            "differential outputs")
    right = _req(text, "Vinp, Vinn, Vbias1, Vbias2", "Voutp, Voutn")
    swapped = _req(text.replace("Vbias2", "VX").replace("Vbias1", "Vbias2").replace("VX", "Vbias1"),
                   "Vinp, Vinn, Vbias1, Vbias2", "Voutp, Voutn")
    design, verdict = _plan_and_judge(right)
    assert verdict.success, verdict.summary_line()
    wrong = judge(design.netlist_text("t"), swapped)   # the design of the other wording
    assert not wrong.success
    assert {r.kind for r in wrong.failures} == {"bias_port"}


# --- CLI ------------------------------------------------------------------------------------------

def test_cli_end_to_end(tmp_path, capsys):
    from chipsmith.cli import main

    out = tmp_path / "run"
    text = ("a fully differential telescopic cascode op-amp: four NMOS transistors as the cascoded input pair, "
            "four PMOS transistors as cascode loads and one tail current source")
    try:
        main(["synth", text, "--inputs", "INP,INN,VB1,VB2,VB3,VB4", "--outputs", "OUTP,OUTN", "--out", str(out),
              "--quiet"])
    except SystemExit as exc:
        assert exc.code in (0, None)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["success"] is True
    design = (out / "design.cir").read_text()
    assert ".subckt design INP INN VB1 VB2 VB3 VB4 OUTP OUTN vdd gnd" in design
