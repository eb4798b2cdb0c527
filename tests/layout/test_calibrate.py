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


@pytest.mark.ngspice
def test_transistor_comparator_closes_the_sar_loop(ngspice_bin):
    """The conversions are decided by the library's StrongARM comparator in ngspice: its codes agree
    with an ideal comparator on the same simulated voltages except within a fraction of an LSB."""
    import numpy as np

    from chipsmith.layout.calibrate import ColumnConfig, simulate_config
    from chipsmith.layout.cells import load_cells
    from chipsmith.layout.models import ModelParams

    lib = load_cells()
    r = simulate_config(ColumnConfig(16, 1, 3), lib, ModelParams.from_library(lib), 10, np.random.default_rng(1))
    assert np.mean(r["code"] == r["code_ideal_comparator"]) >= 0.6
    assert np.all(np.abs(r["code"] - r["code_ideal_comparator"]) <= 1)
    assert -1.3 < r["residue_lsb"].min() and r["residue_lsb"].max() < 0.3  # the loop ends just below the threshold


def test_explore_defaults_to_the_shipped_calibration(tmp_path):
    from chipsmith.layout.calibrate import SHIPPED_CALIBRATION
    from chipsmith.layout.flow import run_explore

    assert SHIPPED_CALIBRATION.exists(), "the shipped calibration_default.json is missing from the package"
    s = run_explore(rows=64, cols=64, pop=16, gens=2, seed=0, serial=True, quiet=True, out=tmp_path / "f")
    cal = s["calibration"]
    assert cal["source"] == str(SHIPPED_CALIBRATION) and cal["fitted"]["k_mismatch"] > 0
    assert "snr_db_max_abs" in cal["residuals"] and "energy_rel_max_abs" in cal["residuals"]
    assert min(int(c.split("_")[0][1:]) * int(c.split("_")[1][1:]) for c in cal["residuals"]["configs"]) >= 64


@pytest.mark.slow
@pytest.mark.ngspice
def test_large_calibration_columns(ngspice_bin, tmp_path, cli):
    """>= 64-cell columns with 6-7-bit ADCs and the transistor comparator (minutes: slow)."""
    res = cli("acim", "calibrate", "--size", "large", "--out", tmp_path, "--json", "--quiet")
    assert res.code == 0, res.stderr
    cal = json.loads((tmp_path / "calibration.json").read_text())
    assert all(r["n_la"] * r["L"] >= 64 and 6 <= r["B_ADC"] <= 8 for r in cal["configs"])
    # stated bounds (docs/acim.md): the fitted model is within 10 dB (SNR) and 25 % (energy) of ngspice
    assert cal["residuals"]["snr_db_max_abs"] < 10.0 and cal["residuals"]["energy_rel_max_abs"] < 0.25
