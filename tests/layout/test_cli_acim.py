"""`chipsmith acim explore | pick | calibrate` end to end through the real entry point."""
from __future__ import annotations

import csv
import json

import pytest
import yaml

from chipsmith.layout.cells import DEFAULT_CELLS


def _one_line_error(res, *needles):
    assert res.code == 2, (res.code, res.stderr)
    lines = [line for line in res.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, res.stderr
    assert "Traceback" not in res.stderr
    for n in needles:
        assert n in lines[0], lines[0]


@pytest.fixture(scope="module")
def front(tmp_path_factory):
    """One real exploration through dask (LocalCluster, 2 workers), shared by the pick tests."""
    from chipsmith.cli import main

    out = tmp_path_factory.mktemp("acim") / "front"
    code = main(["acim", "explore", "--rows", "256", "--cols", "128", "--pop", "32", "--gens", "8", "--seed", "5",
                 "--workers", "2", "--min-snr", "15", "--out", str(out), "--quiet"])
    assert code == 0
    return out


def test_explore_writes_every_artifact(front):
    for name in ("pareto.json", "pareto.csv", "pareto.png", "summary.json"):
        assert (front / name).is_file()
    assert (front / "pareto.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    doc = json.loads((front / "pareto.json").read_text())
    summary = json.loads((front / "summary.json").read_text())
    rows = list(csv.DictReader((front / "pareto.csv").open()))
    assert len(rows) == len(doc["designs"]) == summary["front_size"] > 0
    assert summary["backend"].startswith("dask")
    assert all(d["objectives"]["snr_db"] >= 15 for d in doc["designs"])
    assert len(summary["hv_history"]) == 9


def test_dask_and_in_process_give_the_same_front(front, tmp_path, cli):
    res = cli("acim", "explore", "--rows", "256", "--cols", "128", "--pop", "32", "--gens", "8", "--seed", "5",
              "--min-snr", "15", "--workers", "1", "--out", tmp_path, "--quiet")
    assert res.code == 0, res.stderr
    assert (tmp_path / "pareto.json").read_bytes() == (front / "pareto.json").read_bytes()


def test_explore_json_flag_prints_summary(tmp_path, cli):
    res = cli("acim", "explore", "--rows", "64", "--cols", "64", "--pop", "16", "--gens", "2", "--workers", "1",
              "--out", tmp_path, "--json")
    assert res.code == 0
    assert json.loads(res.stdout)["command"] == "acim explore"


def test_pick_filters_and_sorts(front, tmp_path, cli):
    doc = json.loads((front / "pareto.json").read_text())
    snrs = sorted(d["objectives"]["snr_db"] for d in doc["designs"])
    bound = snrs[len(snrs) // 2]
    res = cli("acim", "pick", front, "--min-snr", bound, "--sort-by", "f2_per_bit", "--out", tmp_path, "--json")
    assert res.code == 0, res.stderr
    summary = json.loads(res.stdout)
    picked = json.loads((tmp_path / "picked.json").read_text())["designs"]
    assert 0 < len(picked) == summary["picked"] <= len(doc["designs"])
    assert all(d["objectives"]["snr_db"] >= bound for d in picked)
    f2 = [d["objectives"]["f2_per_bit"] for d in picked]
    assert f2 == sorted(f2)
    assert (tmp_path / "picked.csv").is_file() and (tmp_path / "summary.json").is_file()


def test_pick_impossible_requirement_is_one_line(front, tmp_path, cli):
    out = tmp_path / "nothing"
    _one_line_error(cli("acim", "pick", front, "--min-tops-w", "1e9", "--out", out), "--min-tops-w")
    assert not out.exists()


def test_infeasible_constraints_exit_2_nothing_written(tmp_path, cli):
    out = tmp_path / "x"
    res = cli("acim", "explore", "--rows", "64", "--cols", "64", "--pop", "16", "--gens", "2", "--workers", "1",
              "--min-snr", "150", "--out", out, "--quiet")
    _one_line_error(res, "--min-snr 150", "infeasible")
    assert not out.exists()
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("args, needle", [
    (["--rows", "100", "--cols", "64"], "--rows 100"),
    (["--rows", "64", "--cols", "0"], "--cols 0"),
    (["--rows", "64", "--cols", "64", "--pop", "10"], "--pop"),
    (["--rows", "64", "--cols", "64", "--max-area", "-5"], "--max-area"),
])
def test_impossible_inputs_exit_2(tmp_path, cli, args, needle):
    out = tmp_path / "x"
    _one_line_error(cli("acim", "explore", *args, "--workers", "1", "--out", out, "--quiet"), needle)
    assert not out.exists()


def test_malformed_cells_exit_2_naming_the_field(tmp_path, cli):
    data = yaml.safe_load(DEFAULT_CELLS.read_text())
    data["cells"]["sram8t"]["pins"] = [p for p in data["cells"]["sram8t"]["pins"] if p["name"] != "RWL"]
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(data))
    out = tmp_path / "x"
    _one_line_error(cli("acim", "explore", "--rows", "64", "--cols", "64", "--cells", bad, "--workers", "1", "--out", out, "--quiet"),
                    "cells.sram8t.pins", "RWL", "bad.yaml")
    data = yaml.safe_load(DEFAULT_CELLS.read_text())
    data["cells"]["sram8t"]["footprint"]["height"] = -0.9
    bad.write_text(yaml.safe_dump(data))
    _one_line_error(cli("acim", "explore", "--rows", "64", "--cols", "64", "--cells", bad, "--workers", "1", "--out", out, "--quiet"),
                    "cells.sram8t.footprint.height")
    assert not out.exists()


def test_custom_cells_change_the_result(tmp_path, cli):
    data = yaml.safe_load(DEFAULT_CELLS.read_text())
    data["cells"]["comparator"]["energy_fj"]["compare"] = 80.0
    path = tmp_path / "hot.yaml"
    path.write_text(yaml.safe_dump(data))
    args = ["acim", "explore", "--rows", "64", "--cols", "64", "--pop", "16", "--gens", "3", "--workers", "1", "--json"]
    base = json.loads(cli(*args, "--out", tmp_path / "a").stdout)
    hot = json.loads(cli(*args, "--cells", path, "--out", tmp_path / "b").stdout)
    assert hot["front_ranges"]["tops_w"][1] < base["front_ranges"]["tops_w"][1]
    assert hot["cells"]["sha256"] != base["cells"]["sha256"]
