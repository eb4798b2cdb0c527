"""The outside scorer: task files, and its hand-written testbenches accepting right and
rejecting wrong hand-written netlists (real ngspice), plus one CLI run through synth."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from chipsmith.benchmarks import external_scorer as es
from chipsmith.cli import main
from chipsmith.errors import InputError

MODELS = """.model nch nmos (level=1 vto=0.45 kp=300u lambda=0.05)
.model pch pmos (level=1 vto=-0.45 kp=80u lambda=0.05)"""


def _design(tmp_path: Path, ports: str, body: str) -> Path:
    path = tmp_path / "design.cir"
    path.write_text(f".subckt design {ports} vdd gnd\n{body}\n{MODELS}\n.ends design\n")
    return path


def _task(type_: str, inputs: tuple[str, ...], outputs: tuple[str, ...], **kw) -> es.Task:
    return es.Task(id="t", text="-", inputs=inputs, outputs=outputs, type=type_, **kw)


def test_task_files_jsonl_and_public_tsv(tmp_path: Path) -> None:
    tsv = tmp_path / "set.tsv"
    tsv.write_text("Id\tLevel\tCircuit\tInput\tOutput\tType\n"
                   "1\tEasy\tan oscillator\t-\tVout\tOscillator\n"
                   "2\tHard\ta mirror\tIref\tIout\tCurrentMirror\n")
    tasks = es.load_tasks(tsv)
    assert [(t.inputs, t.outputs, t.type) for t in tasks] == [((), ("Vout",), "Oscillator"),
                                                             (("Iref",), ("Iout",), "CurrentMirror")]
    shipped = es.load_tasks(es.DEFAULT_TASKS)
    assert len(shipped) >= 30 and len({t.type for t in shipped}) >= 15
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": 1}\n')
    with pytest.raises(InputError, match="bad.jsonl:1"):
        es.load_tasks(bad)


def test_ports_and_bias_names() -> None:
    assert es.subckt_ports(".subckt design Vin Vbias\n+ Vout vdd gnd\n.ends") == ["vin", "vbias", "vout", "vdd", "gnd"]
    assert [n for n in ("Vbias", "VB2", "bias1", "Vin", "Vinp", "Vref") if es._is_bias(n)] == ["Vbias", "VB2", "bias1"]


def test_filters_pass_their_own_shape_only(tmp_path: Path) -> None:
    lowpass = _design(tmp_path, "vin vout", "R1 vin vout 10k\nC1 vout gnd 10n")
    assert es.score_design(_task("LowPass", ("Vin",), ("Vout",)), lowpass).ok
    for wrong in ("HighPass", "BandStop", "BandPass"):
        assert not es.score_design(_task(wrong, ("Vin",), ("Vout",)), lowpass).ok, wrong


def test_amplifier_gain_and_dead_devices(tmp_path: Path) -> None:
    cs = _design(tmp_path, "in out", "M1 out in gnd gnd nch w=4u l=1u\nR1 vdd out 20k")
    verdict = es.score_design(_task("Amplifier", ("IN",), ("OUT",), min_gain=2), cs)
    assert verdict.ok, verdict
    assert verdict.figures["gain_100hz"] > 2
    assert not es.score_design(_task("Amplifier", ("IN",), ("OUT",), min_gain=1000), cs).ok
    # a second transistor that never conducts: the amplifier is rejected
    dead = _design(tmp_path, "in out", "M1 out in gnd gnd nch w=4u l=1u\nR1 vdd out 20k\nM2 vdd gnd out gnd nch w=1u l=1u")
    verdict = es.score_design(_task("Amplifier", ("IN",), ("OUT",)), dead)
    assert not verdict.ok and "carries only" in verdict.reason
    missing = es.score_design(_task("Amplifier", ("Vin",), ("Vout",)), cs)
    assert not missing.ok and "lacks the requested port" in missing.reason


def test_current_source_must_hold_its_current(tmp_path: Path) -> None:
    sink = _design(tmp_path, "vbias vout", "M1 vout vbias gnd gnd nch w=2u l=2u\nRload vdd vout 500")
    verdict = es.score_design(_task("CurrentMirror", ("Vbias",), ("Vout",)), sink)
    assert verdict.ok, verdict
    resistor_only = _design(tmp_path, "vbias vout", "R9 vbias vout 1k\nRload vdd vout 500")
    assert not es.score_design(_task("CurrentMirror", ("Vbias",), ("Vout",)), resistor_only).ok


def test_summer_coefficients_are_checked(tmp_path: Path) -> None:
    # an ideal op-amp (VCVS) inverting summer around vdd/2 with gains -1 and -2
    body = ("Eop vout gnd ref n 1e6\nRr1 vdd ref 10k\nRr2 ref gnd 10k\n"
            "R1 va n 10k\nR2 vb n 5k\nRf n vout 10k")
    summer = _design(tmp_path, "va vb vout", body)
    assert es.score_design(_task("Adder", ("Va", "Vb"), ("Vout",), coefficients=(-1.0, -2.0)), summer).ok
    assert not es.score_design(_task("Adder", ("Va", "Vb"), ("Vout",), coefficients=(-1.0, -1.0)), summer).ok


def test_cli_runs_synth_and_scores_it(tmp_path: Path, capsys) -> None:
    tasks = tmp_path / "t.jsonl"
    tasks.write_text(json.dumps({"id": "lp", "type": "LowPass", "text": "a passive RC low-pass filter",
                                 "inputs": ["Vin"], "outputs": ["Vout"]}) + "\n"
                     + json.dumps({"id": "hp-as-lp", "type": "HighPass", "text": "a passive RC low-pass filter",
                                   "inputs": ["Vin"], "outputs": ["Vout"]}) + "\n")
    assert main(["bench", "external", "--tasks", str(tasks), "--out", str(tmp_path / "o"), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    status = {r["id"]: r["status"] for r in summary["results"]}
    # the scorer's type is the truth: a low-pass design for a high-pass task is a false success
    assert status == {"lp": "solved", "hp-as-lp": "false_success"}
    assert json.loads((tmp_path / "o" / "summary.json").read_text())["false_success"] == 1


def test_integrator_and_differentiator_waveforms(tmp_path: Path) -> None:
    ref = "Eop vout gnd ref n 1e5\nRr1 vdd ref 10k\nRr2 ref gnd 10k\n"
    integ = _design(tmp_path, "vin vout", ref + "R1 vin n 100k\nCf n vout 1n\nRleak n vout 10meg")
    assert es.score_design(_task("Integrator", ("Vin",), ("Vout",)), integ).ok
    assert not es.score_design(_task("Differentiator", ("Vin",), ("Vout",)), integ).ok
    (tmp_path / "d").mkdir()
    diff = _design(tmp_path / "d", "vin vout", ref + "Rs vin s 5k\nC1 s n 1n\nRf n vout 100k")
    assert es.score_design(_task("Differentiator", ("Vin",), ("Vout",)), diff).ok
    assert not es.score_design(_task("Integrator", ("Vin",), ("Vout",)), diff).ok
