"""The 4-arm IR-drop report: means and reductions checked against hand-computed values."""
from __future__ import annotations

import json

import pytest

from chipsmith.benchmarks.irdrop_arms import ARMS, report

# real-case MAE (V) per arm and split; every arm also has one generated case at half its real MAE
REAL = {"unet_n": (4e-4, 2e-4), "pdnnet_n": (3e-4, 1e-4), "unet_p": (5e-5, 3e-5), "pdnnet_p": (6e-5, 4e-5)}


def _write(root, arm, split, mae):
    d = root / f"{arm}_{split}"
    (d / "eval").mkdir(parents=True)
    (d / "train").mkdir()
    cases = [{"case": f"iccad23-irdrop/real/tc{split}", "group": "real", "mae_V": mae, "hotspot_f1": 0.5,
              "forward_seconds": 0.01, "predict_seconds": 0.1},
             {"case": f"gen/{split}", "group": "generated", "mae_V": mae / 2, "hotspot_f1": 0.7,
              "forward_seconds": 0.03, "predict_seconds": 0.2,
              **({"dynamic_mae_V": mae, "dynamic_hotspot_f1": 0.25} if arm.startswith("pdnnet") else {})}]
    (d / "eval" / "summary.json").write_text(json.dumps({"cases": cases}))
    (d / "train" / "summary.json").write_text(json.dumps({"epochs_run": 3, "train_seconds": 10.0}))


def test_report_means_and_reductions(tmp_path):
    for arm, (a, b) in REAL.items():
        _write(tmp_path, arm, "a", a)
        _write(tmp_path, arm, "b", b)
    r = report(tmp_path)
    assert set(r["per_arm"]) == set(ARMS)
    u, p = r["per_arm"]["unet_n"], r["per_arm"]["pdnnet_p"]
    assert u["real_mean_mae_V"] == pytest.approx(3e-4) and u["all_mean_mae_V"] == pytest.approx(2.25e-4)
    assert u["dynamic_cases"] == 0 and u["dynamic_mean_mae_V"] is None
    assert p["dynamic_cases"] == 2 and p["dynamic_mean_mae_V"] == pytest.approx(5e-5)
    assert p["real_mean_hotspot_f1"] == 0.5 and p["all_mean_hotspot_f1"] == pytest.approx(0.6)
    assert p["median_forward_seconds"] == pytest.approx(0.02)
    red = r["mae_reduction"]
    assert red["pdnnet_p_vs_unet_n"]["real"] == pytest.approx(1 - 5e-5 / 3e-4)
    assert red["pdnnet_n_vs_unet_n"]["all"] == pytest.approx(1 - 1.5e-4 / 2.25e-4)
    assert red["pdnnet_p_vs_unet_p"]["real"] == pytest.approx(1 - 5e-5 / 4e-5)  # negative: worse than the U-Net


def test_report_skips_missing_arm_runs(tmp_path):
    _write(tmp_path, "unet_n", "a", 4e-4)
    for arm in ("pdnnet_n", "unet_p", "pdnnet_p"):
        _write(tmp_path, arm, "a", 1e-4)
        _write(tmp_path, arm, "b", 1e-4)
    r = report(tmp_path)
    assert r["per_arm"]["unet_n"]["splits"] == ["a"] and r["per_arm"]["pdnnet_n"]["splits"] == ["a", "b"]
