"""`chipsmith bench topology --pdk sky130 --corners ... --family ...`: designs moved onto sky130 and
scored by the judge at every corner against the problems' hand-written requirements."""
from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.ngspice

PROBLEM = {"id": "p-cs", "family": "amplifiers",
           "text": "Design a common-source amplifier with a resistive load. Input Vin, output Vout. Voltage gain of "
                   "at least 20 dB from a 1.8 V supply.",
           "interface": [{"name": "Vin", "role": "signal_in"}, {"name": "Vout", "role": "out"}],
           "requirements": [
               {"id": "r1", "kind": "family", "params": {"family": "amplifier", "variant": "common_source"}},
               {"id": "r2", "kind": "load_type", "params": {"load": "resistor"}},
               {"id": "r3", "kind": "target", "params": {"figure": "gain_db", "op": ">=", "value": 20.0}}]}


def _set(tmp_path, *problems):
    path = tmp_path / "set.jsonl"
    path.write_text("".join(json.dumps(p) + "\n" for p in problems))
    return path


def test_bench_on_sky130_scores_at_every_corner(cli, ngspice_bin, tmp_path):
    out = tmp_path / "b"
    r = cli("bench", "topology", "--set", _set(tmp_path, PROBLEM), "--pdk", "sky130", "--corners", "tt,ss",
            "--workers", "1", "--out", out, "--json", "--quiet")
    assert r.code == 0, r.stderr
    s = json.loads((out / "summary.json").read_text())
    assert s["pdk"]["name"] == "sky130" and s["pdk"]["corners"] == ["tt", "ss"]
    rec = json.loads((out / "results.jsonl").read_text().splitlines()[0])
    assert rec["status"] == "solved" and rec["pdk"]["points"] == {"tt/27C": True, "ss/27C": True}
    assert s["solved"] == 1 and s["false_success"] == 0
    assert "on sky130 at every corner of tt, ss" in (out / "report.md").read_text()


@pytest.mark.parametrize("args, message", [
    (["--pdk", "foo"], "unknown PDK 'foo'"),
    (["--pdk", "sky130", "--corners", "zz"], "has no corner 'zz'"),
    (["--family", "nonsense"], "unknown family nonsense"),
])
def test_bench_bad_pdk_input_is_exit_2(cli, tmp_path, args, message):
    out = tmp_path / "b"
    r = cli("bench", "topology", "--set", _set(tmp_path, PROBLEM), "--workers", "1", "--out", out, *args)
    assert r.code == 2 and message in r.stderr
    assert not out.exists()
