"""Expert backend end to end through the CLI with real ngspice: every kind it knows."""
from __future__ import annotations

import json
import re

import pytest

pytestmark = pytest.mark.ngspice

from chipsmith.agents.examples import EXAMPLES

# (free text, --inputs, --outputs, --bias, expected kind, a figure that must be present)
CASES = [(e.text, e.inputs, e.outputs, e.bias, e.kind, e.figure) for e in EXAMPLES]


@pytest.mark.parametrize("text,inputs,outputs,bias,kind,figure", CASES,
                         ids=[e.kind + ":" + e.text[:24] for e in EXAMPLES])
def test_expert_synthesizes_and_verifies(cli, ngspice_bin, tmp_path, text, inputs, outputs, bias, kind, figure):
    out = tmp_path / "d"
    args = ["synth", text, "--outputs", outputs, "--out", out, "--json"]
    if inputs:
        args += ["--inputs", inputs]
    if bias:
        args += ["--bias", bias]
    r = cli(*args)
    assert r.code == 0, r.stderr + r.stdout[-2000:]
    summary = json.loads(r.stdout)
    assert summary["success"] and summary["kind"] == kind
    assert all(c["passed"] for c in summary["checks"])
    assert summary["figures"].get(figure) is not None
    assert summary["simulations"] >= 1
    names = [n for n in (inputs.split(",") if inputs else []) + outputs.split(",") + (bias.split(",") if bias else [])]
    assert [p["name"] for p in summary["ports"]] == [*names, "vdd", "gnd"]
    assert {p["kind"] for p in summary["ports"]} <= {"voltage_in", "current_in", "voltage_out", "current_out",
                                                     "bias", "supply", "ground"}
    design = (out / "design.cir").read_text()
    head = re.search(r"^\.subckt design (.*)$", design, re.MULTILINE | re.IGNORECASE).group(1).split()
    assert head == [*names, "vdd", "gnd"]
    assert ".model nch" in design and ".ends design" in design
    assert not re.search(r"^\s*\.(op|ac|dc|tran|control)\b", design, re.MULTILINE | re.IGNORECASE)
    assert (out / "testbench.cir").read_text().startswith("*")
    assert "## Round 1" in (out / "transcript.md").read_text()


def test_demo_prints_gain_gbw_pm(cli, ngspice_bin, tmp_path):
    r = cli("synth", EXAMPLES[0].text, "--inputs", "inp,inn", "--outputs", "out", "--bias", "ibias",
            "--out", tmp_path / "demo")
    assert r.code == 0, r.stderr
    for label in ("DC gain", "GBW", "phase margin"):
        assert label in r.stdout
    summary = json.loads((tmp_path / "demo" / "summary.json").read_text())
    f = summary["figures"]
    assert f["gain_db"] > 60 and f["gbw_hz"] > 1e6 and f["pm_deg"] > 45


def test_spec_file_with_targets_drives_sizing(cli, ngspice_bin, tmp_path):
    spec = tmp_path / "opamp.yaml"
    spec.write_text("kind: two_stage_opamp\ninput_polarity: nmos\ncompensation: miller_rz\n"
                    "inputs: [vip, vin]\noutputs: [vo]\nbias: {ib: 20uA}\n"
                    "targets:\n  gain_db: 80\n  gbw_hz: 10MHz\n  pm_deg: 60\n  power_w: 1mW\n")
    r = cli("synth", spec, "--out", tmp_path / "o", "--json")
    assert r.code == 0, r.stderr + r.stdout[-1500:]
    s = json.loads(r.stdout)
    assert s["figures"]["gain_db"] >= 80 and s["figures"]["gbw_hz"] >= 10e6 and s["figures"]["pm_deg"] >= 60
    assert s["rounds"] > 1  # the default sizing misses 80 dB; the loop had to resize
    assert {c["name"] for c in s["checks"]} >= {"target:gain_db", "target:gbw_hz", "target:pm_deg",
                                                "target:power_w"}


def test_oscillator_frequency_target(cli, ngspice_bin, tmp_path):
    spec = tmp_path / "osc.json"
    spec.write_text(json.dumps({"kind": "ring_oscillator", "outputs": ["clk"],
                                "targets": {"frequency_hz": "200MHz", "tolerance": 0.05}}))
    r = cli("synth", spec, "--out", tmp_path / "o", "--json")
    assert r.code == 0, r.stderr
    s = json.loads(r.stdout)
    assert abs(s["figures"]["frequency_hz"] - 200e6) <= 0.05 * 200e6


def test_unreachable_target_exits_1_with_best_attempt(cli, ngspice_bin, tmp_path):
    spec = tmp_path / "hard.yaml"
    spec.write_text("kind: ota5t\ntargets: {gain_db: 150}\n")
    r = cli("synth", spec, "--out", tmp_path / "o")
    assert r.code == 1
    assert "no verified design" in r.stderr and "Traceback" not in r.stderr
    s = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert s["success"] is False and "gain_db" in s["reason"]
    assert (tmp_path / "o" / "design.cir").read_text().count(".subckt design ") == 1


@pytest.mark.parametrize("args,needle", [
    (["a flux capacitor"], "cannot tell which circuit"),
    (["a current mirror", "--inputs", "Iref", "--outputs", "Iout", "--bias", "clk"], "clock"),
    (["two-stage op-amp", "--inputs", "a,b__c"], "__"),
    (["common-gate amplifier", "--ports", "Vin,Vfoo"], "cannot tell what port 'Vfoo' is for"),
    (["a passive amplifier with 40 dB gain"], "passive"),
    (["common-source amplifier that is both inverting and non-inverting"], "inverting"),
    (["  "], "empty request"),
    (["two-stage op-amp", "--backend", "gpt"], "unknown backend"),
    (["missing.yaml"], "spec file not found"),
])
def test_bad_input_exits_2_one_line(cli, tmp_path, args, needle):
    r = cli("synth", *args, "--out", tmp_path / "o")
    assert r.code == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0] and "Traceback" not in r.stderr
    assert not (tmp_path / "o").exists()


def test_bad_spec_field_named(cli, tmp_path):
    spec = tmp_path / "s.yaml"
    spec.write_text("kind: two_stage_opamp\ncompensation: magic\n")
    r = cli("synth", spec, "--out", tmp_path / "o")
    assert r.code == 2 and "compensation" in r.stderr and "miller" in r.stderr
