"""Calibration against a real ngspice run of one small column."""
from __future__ import annotations

import json

import pytest


@pytest.mark.ngspice
def test_calibrate_quick_matches_ngspice(ngspice_bin, tmp_path, cli):
    res = cli("acim", "calibrate", "--quick", "--patterns", "16", "--out", tmp_path, "--json", "--seed", "3")
    assert res.code == 0, res.stderr
    cal = json.loads((tmp_path / "calibration.json").read_text())
    (row,) = cal["configs"]
    assert row["n_la"] == 8 and row["B_ADC"] == 2
    # stated error bounds (README): conversions of the simulated column vs the analytical model
    assert abs(row["snr_error_db"]) < 1.5, row
    assert abs(row["energy_rel_error"]) < 0.25, row
    # the replayed SAR sequence must end within about one LSB of the threshold
    assert -1.2 < row["residue_lsb_min"] and row["residue_lsb_max"] < 1.2
    # the precharge reference trim found the signal range close to the model's V_PRE
    assert row["v_pre_trimmed"] == pytest.approx(row["v_pre_model"], rel=0.2)
    assert cal["fitted"]["k_mismatch"] > 0
    assert json.loads(res.stdout)["command"] == "acim calibrate"


@pytest.mark.ngspice
def test_calibrated_coefficients_feed_explore(ngspice_bin, tmp_path, cli):
    cal = tmp_path / "cal.json"
    cal.write_text(json.dumps({"fitted": {"k_mismatch": 3.0}}))
    res = cli("acim", "explore", "--rows", "64", "--cols", "64", "--pop", "16", "--gens", "2", "--workers", "1",
              "--calibration", cal, "--out", tmp_path / "f", "--json")
    assert res.code == 0, res.stderr
    doc = json.loads((tmp_path / "f" / "pareto.json").read_text())
    assert doc["model_params"]["k_mismatch"] == 3.0
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    res = cli("acim", "explore", "--rows", "64", "--cols", "64", "--workers", "1", "--calibration", bad, "--out", tmp_path / "g")
    assert res.code == 2 and "bad.json" in res.stderr
