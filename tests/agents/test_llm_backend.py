"""The openai backend against a local OpenAI-compatible server with scripted answers."""
from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.ngspice

GOOD = """Thinking: a 5T OTA needs a tail source, an NMOS pair and a PMOS mirror load.
```spice
.subckt design inp inn out ibias vdd gnd
M1 ibias ibias gnd gnd nch W=6u L=1u
M2 tail ibias gnd gnd nch W=12u L=1u
M3 d1 inp tail gnd nch W=6u L=1u
M4 out inn tail gnd nch W=6u L=1u
M5 d1 d1 vdd vdd pch W=8u L=1u
M6 out d1 vdd vdd pch W=8u L=1u
.ends design
```"""
MISWIRED = GOOD.replace("M4 out inn tail", "M4 out inq tail")
UNSAFE = GOOD.replace(".ends design", ".control\nshell touch /tmp/chipsmith-pwned\n.endc\n.ends design")
SELECTION = json.dumps({"blocks": ["tail_source_n", "diff_pair_n", "active_load_p"],
                        "reasoning": "pair, load, tail"})
TEXT = "five-transistor OTA"
ARGS = ["--inputs", "inp,inn", "--outputs", "out", "--bias", "ibias", "--backend", "openai", "--model", "scripted"]


def _run(cli, server, tmp_path, *extra):
    return cli("synth", TEXT, *ARGS, "--base-url", server.url, "--out", tmp_path / "o", "--json", *extra)


def test_correct_design_passes_first_round(cli, scripted_llm, ngspice_log, tmp_path):
    server = scripted_llm([SELECTION, GOOD])
    r = _run(cli, server, tmp_path)
    assert r.code == 0, r.stderr + r.stdout[-1500:]
    s = json.loads(r.stdout)
    assert s["success"] and s["backend"] == "openai" and s["mode"] == "full" and s["rounds"] == 1
    assert s["llm_tokens"] == 4  # the scripted server reports 2 tokens per answer
    assert len(server.requests) == 2  # selection, then connection
    assert "block selection" in server.user_messages(0)[-1].lower()
    assert "block connection" in server.user_messages(1)[-1].lower()
    assert ngspice_log.read_text().count("\n") >= 1  # really simulated
    transcript = (tmp_path / "o" / "transcript.md").read_text()
    assert "sk-test-secret" not in transcript and "sk-test-secret" not in r.stdout
    assert server.auth[0] == "Bearer sk-test-secret-0123456789"  # the key went only to the server


def test_wiring_error_is_caught_fed_back_and_fixed(cli, scripted_llm, ngspice_bin, tmp_path):
    server = scripted_llm([SELECTION, MISWIRED, GOOD])
    r = _run(cli, server, tmp_path)
    assert r.code == 0, r.stderr + r.stdout[-1500:]
    s = json.loads(r.stdout)
    assert s["rounds"] == 2 and s["round_log"][0]["failed"] == "erc"
    feedback = server.user_messages(2)[-1]
    assert "[erc]" in feedback and "inq" in feedback
    assert "corrected netlist" in feedback


def test_unsafe_netlist_is_refused_and_never_simulated(cli, scripted_llm, ngspice_log, tmp_path):
    server = scripted_llm([SELECTION, UNSAFE, UNSAFE])
    r = _run(cli, server, tmp_path, "--rounds", "2")
    assert r.code == 1
    s = json.loads(r.stdout)
    assert not s["success"] and s["checks"][1]["name"] == "safety" and not s["checks"][1]["passed"]
    feedback = server.user_messages(2)[-1]
    assert "[safety]" in feedback and ":" in feedback and ("control" in feedback.lower())
    assert not ngspice_log.exists()  # ngspice never started


def test_garbage_is_fed_back_then_fixed(cli, scripted_llm, ngspice_bin, tmp_path):
    server = scripted_llm(["no idea, sorry", "Here you go: lorem ipsum }{", GOOD])
    r = _run(cli, server, tmp_path)
    assert r.code == 0, r.stderr + r.stdout[-1500:]
    s = json.loads(r.stdout)
    assert s["rounds"] == 2 and s["round_log"][0]["failed"] == "parse"
    assert "no valid selection" in server.user_messages(1)[-1]
    assert "contains no netlist" in server.user_messages(2)[-1]


def test_only_garbage_exits_1(cli, scripted_llm, ngspice_bin, tmp_path):
    server = scripted_llm(["?"] * 5)
    r = _run(cli, server, tmp_path, "--rounds", "2")
    assert r.code == 1 and "no verified design" in r.stderr
    assert json.loads((tmp_path / "o" / "summary.json").read_text())["success"] is False


def test_hybrid_mode_llm_writes_spec_expert_designs(cli, scripted_llm, ngspice_bin, tmp_path):
    server = scripted_llm(["{\"kind\": \"two_stage_opamp\", \"compensation\": \"bogus\"}",
                           "{\"kind\": \"two_stage_opamp\", \"input_polarity\": \"pmos\", \"targets\": {\"pm_deg\": 55}}"])
    r = cli("synth", "an amplifier for my ADC driver", "--inputs", "inp,inn", "--outputs", "out", "--bias", "ibias",
            "--backend", "openai", "--mode", "hybrid", "--base-url", server.url, "--out", tmp_path / "o", "--json")
    assert r.code == 0, r.stderr + r.stdout[-1500:]
    s = json.loads(r.stdout)
    assert s["mode"] == "hybrid" and s["variant"].startswith("pmos") and s["figures"]["pm_deg"] >= 55
    assert "compensation" in server.user_messages(1)[-1]  # the invalid field was fed back


def test_unreachable_endpoint_exits_2_one_line(cli, monkeypatch, tmp_path):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-secret-0123456789")
    r = cli("synth", TEXT, *ARGS, "--base-url", "http://127.0.0.1:9/v1", "--retries", "1", "--out", tmp_path / "o")
    assert r.code == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot reach" in lines[0] and "sk-test" not in r.stderr
    assert not (tmp_path / "o").exists()


def test_missing_key_exits_2_one_line(cli, monkeypatch, tmp_path):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    r = cli("synth", TEXT, *ARGS, "--out", tmp_path / "o")
    assert r.code == 2 and "OPENAI_API_KEY" in r.stderr and len(r.stderr.strip().splitlines()) == 1


LIBRARY_BASED = """Using library blocks tail_n, diff_pair_n, active_load_p, cs_isrc_p and miller_rc:
```spice
.subckt design inp inn out ibias vdd gnd
M1 ibias ibias gnd gnd nch W=6u L=1u
X1 tail ibias gnd tail_n w=12u l=1u
X2 inn inp d1 x tail gnd diff_pair_n w=6u l=1u
X3 d1 x vdd active_load_p w=8u l=1u
X4 x out ibias vdd gnd cs_isrc_p w_p=48u l_p=1u w_n=36u l_n=1u
X5 x out miller_rc r=1.5k c=2p
.ends design
```"""


def test_design_from_library_blocks_is_completed_and_verified(cli, scripted_llm, ngspice_bin, tmp_path):
    server = scripted_llm([SELECTION, LIBRARY_BASED])
    r = cli("synth", "two-stage Miller op-amp", *ARGS, "--base-url", server.url, "--out", tmp_path / "o", "--json")
    assert r.code == 0, r.stderr + r.stdout[-1500:]
    s = json.loads(r.stdout)
    assert set(s["library_blocks"]) == {"tail_n", "diff_pair_n", "active_load_p", "cs_isrc_p", "miller_rc"}
    assert "miller_compensation" in s["blocks"] and s["figures"]["gain_db"] > 60
    design = (tmp_path / "o" / "design.cir").read_text()
    assert ".subckt diff_pair_n" in design and ".subckt design inp inn out ibias vdd gnd" in design
    # the catalog the model saw lists the library blocks with their port roles
    assert "diff_pair_n [diff_pair] ports(inp:input" in server.user_messages(0)[-1]


DIVIDER = """A resistive divider halves the input.
```spice
.subckt design Vin Vout vdd gnd
R1 Vin Vout 10k
R2 Vout gnd 10k
.ends design
```"""


def test_unclassified_request_goes_to_the_model_in_full_mode(cli, scripted_llm, ngspice_bin, tmp_path):
    """No rule names a circuit for "Vout = 0.5*Vin": the expert refuses (exit 2), the full
    LLM mode asks the model, and the judge checks the relation on its netlist."""
    r = cli("synth", "Vout = 0.5*Vin", "--inputs", "Vin", "--outputs", "Vout", "--out", tmp_path / "e")
    assert r.code == 2 and "cannot tell which circuit" in r.stderr
    server = scripted_llm([SELECTION, DIVIDER])
    r = cli("synth", "Vout = 0.5*Vin", "--inputs", "Vin", "--outputs", "Vout", "--backend", "openai", "--model",
            "scripted", "--base-url", server.url, "--out", tmp_path / "o", "--json")
    assert r.code == 0, r.stderr + r.stdout[-1500:]
    s = json.loads(r.stdout)
    [rel] = s["requirements"]
    assert rel["kind"] == "linear_relation" and rel["status"] == "pass" and s["judge"]["success"]
    prompt = server.user_messages(1)[-1]
    assert "Vout = 0.5*Vin" in prompt and "linear_relation" in prompt  # the model saw the requirement


def test_judge_failure_is_fed_back_to_the_model(cli, scripted_llm, ngspice_bin, tmp_path):
    wrong = DIVIDER.replace("R2 Vout gnd 10k", "R2 Vout gnd 30k")  # gain 0.75, not 0.5
    server = scripted_llm([SELECTION, wrong, DIVIDER])
    r = cli("synth", "Vout = 0.5*Vin", "--inputs", "Vin", "--outputs", "Vout", "--backend", "openai", "--model",
            "scripted", "--base-url", server.url, "--out", tmp_path / "o", "--json")
    assert r.code == 0, r.stderr + r.stdout[-1500:]
    s = json.loads(r.stdout)
    assert s["rounds"] == 2 and s["round_log"][0]["failed"] == "requirements"
    feedback = server.user_messages(2)[-1]
    assert "linear_relation" in feedback and "Vout = 0.5*Vin" in feedback
