"""End to end through the CLI: solve (static, dynamic), generate, bad inputs (exit 2, one line)."""
from __future__ import annotations

import gzip
import hashlib
import json

import numpy as np
import pytest

from .conftest import TINY


def _one_line_error(res):
    lines = [l for l in res.stderr.strip().splitlines() if l.strip()]
    assert res.code == 2, (res.code, res.stderr)
    assert len(lines) == 1 and "Traceback" not in res.stderr, res.stderr
    return lines[0]


def test_solve_contest_case(cli, iccad23_dir, tmp_path):
    case = iccad23_dir / "real" / "testcase11"
    out = tmp_path / "out"
    res = cli("irdrop", "solve", case / "netlist.sp.gz", "--out", out, "--like", case / "current_map.csv.gz", "--json")
    assert res.code == 0, res.stderr
    summary = json.loads(res.stdout)
    assert set(summary["files"]) == {"ir_drop_map.csv", "ir_drop_map.npy", "ir_drop_map.png", "summary.json"}
    for f in summary["files"]:
        assert (out / f).stat().st_size > 0
    m = np.load(out / "ir_drop_map.npy")
    golden = np.loadtxt(case / "ir_drop_map.csv.gz", delimiter=",")
    assert m.shape == golden.shape == tuple(summary["map_shape"])
    assert np.abs(m - golden).mean() < 3e-5
    assert np.allclose(np.loadtxt(out / "ir_drop_map.csv", delimiter=","), m, rtol=1e-5)
    assert summary["method"] == "direct" and summary["hotspot_count"] >= 1
    assert summary["max_drop_V"] == pytest.approx(m.max())
    assert m[tuple(summary["worst_pixel_xy_um"])] == m.max()
    assert (out / "ir_drop_map.png").read_bytes()[:4] == b"\x89PNG"


def test_solve_image_orientation(cli, tmp_path):
    f = tmp_path / "tiny.sp"
    f.write_text(TINY)
    assert cli("irdrop", "solve", f, "--out", tmp_path / "a", "--quiet").code == 0
    assert cli("irdrop", "solve", f, "--out", tmp_path / "b", "--orientation", "image", "--quiet").code == 0
    a, b = np.load(tmp_path / "a" / "ir_drop_map.npy"), np.load(tmp_path / "b" / "ir_drop_map.npy")
    assert np.array_equal(np.flipud(a.T), b)


def test_generate_then_dynamic_solve(cli, tmp_path):
    data = tmp_path / "ds"
    res = cli("irdrop", "generate", "--count", "3", "--workers", "1", "--dynamic", "--seed", "1", "--size-um", "60:90",
              "--out", data, "--quiet")
    assert res.code == 0, res.stderr
    summary = json.loads((data / "summary.json").read_text())
    assert summary["cases"] == 3 and len(summary["records"]) == 3
    case = data / "case0001"
    for name in ("netlist.sp", "current_map.csv", "eff_dist_map.csv", "ir_drop_map.csv", "currents.npz",
                 "dynamic_ir_drop_map.csv", "dynamic_slices.npy", "case.json"):
        assert (case / name).is_file(), name
    rec = summary["records"][1]
    assert rec["dynamic_max_drop_V"] > 0 and rec["static_max_drop_V"] > 0
    out = tmp_path / "dyn"
    res = cli("irdrop", "solve", case / "netlist.sp", "--currents", case / "currents.npz", "--out", out,
              "--slices", "4", "--json")
    assert res.code == 0, res.stderr
    s = json.loads(res.stdout)
    assert s["analysis"] == "dynamic" and s["factorizations"] == 2 and s["time_steps"] == 200
    slices = np.load(out / "ir_drop_slices.npy")
    worst = np.load(out / "ir_drop_map.npy")
    assert slices.shape == (4, *worst.shape)
    assert worst.max() >= slices.max() - 1e-12  # the worst case bounds every slice


def test_same_seed_same_dataset(cli, tmp_path):
    def digest(d):
        h = {}
        for p in sorted(d.rglob("*")):
            if p.is_file() and p.name != "summary.json":
                h[str(p.relative_to(d))] = hashlib.sha256(p.read_bytes()).hexdigest()
        return h

    args = ("irdrop", "generate", "--count", "2", "--workers", "1", "--dynamic", "--size-um", "50:70", "--quiet")
    assert cli(*args, "--seed", "7", "--out", tmp_path / "a").code == 0
    assert cli(*args, "--seed", "7", "--out", tmp_path / "b").code == 0
    assert cli(*args, "--seed", "8", "--out", tmp_path / "c").code == 0
    a, b, c = digest(tmp_path / "a"), digest(tmp_path / "b"), digest(tmp_path / "c")
    assert a == b and len(a) == 16
    assert a["case0000/netlist.sp"] != c["case0000/netlist.sp"]


@pytest.mark.parametrize("mutate, pattern", [
    (lambda t: t.replace("1.0\nR1", "-1.0\nR1", 1), r"bad\.sp:2: resistance -1\.0 of R0 must be positive"),
    (lambda t: t.replace("n1_m1_0_4000", "bogus"), r"bad\.sp:5: node name 'bogus' has no location"),
    (lambda t: t.replace("0 2e-3", "0 NaN"), r"bad\.sp:7: current of I1 is NaN"),
    (lambda t: t.replace("V0 n1_m4_8000_0 0 1.1", "*"), r"no supply pads"),
    (lambda t: t.replace("I1 n1_m1_0_4000 0 2e-3", "R8 n1_m1_50000_0 n1_m1_52000_0 1"),
     r"floating island.*'n1_m1_50000_0'"),
])
def test_bad_netlists_exit_2_nothing_written(cli, tmp_path, mutate, pattern):
    import re

    f = tmp_path / "bad.sp"
    f.write_text(mutate(TINY))
    out = tmp_path / "out"
    line = _one_line_error(cli("irdrop", "solve", f, "--out", out))
    assert re.search(pattern, line), line
    assert not out.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]


def test_truncated_gzip_and_bad_options(cli, tmp_path):
    body = TINY.replace(".op\n.end\n", "") * 300
    data = gzip.compress(body.encode())
    f = tmp_path / "cut.sp.gz"
    f.write_bytes(data[: len(data) // 2])
    line = _one_line_error(cli("irdrop", "solve", f, "--out", tmp_path / "o"))
    assert "truncated" in line and "cut.sp.gz:" in line
    g = tmp_path / "ok.sp"
    g.write_text(TINY)
    assert "--method" in _one_line_error(cli("irdrop", "solve", g, "--out", tmp_path / "o", "--method", "lu"))
    assert "--shape" in _one_line_error(cli("irdrop", "solve", g, "--out", tmp_path / "o", "--shape", "12by3"))
    assert "not found" in _one_line_error(cli("irdrop", "solve", tmp_path / "nope.sp", "--out", tmp_path / "o"))
    assert "capacitors" in _one_line_error(cli("irdrop", "solve", g, "--out", tmp_path / "o", "--dynamic",
                                              "--tstop", "1e-9"))
    assert "--size-um" in _one_line_error(cli("irdrop", "generate", "--out", tmp_path / "o", "--size-um", "9"))
    assert not (tmp_path / "o").exists()


def test_generate_contest_style_through_the_cli(cli, tmp_path):
    out = tmp_path / "contest"
    res = cli("irdrop", "generate", "--count", "1", "--workers", "1", "--style", "contest", "--seed", "3",
              "--size-um", "120:140", "--out", out, "--quiet")
    assert res.code == 0, res.stderr
    assert json.loads((out / "summary.json").read_text())["style"] == "contest"
    config = json.loads((out / "case0000" / "case.json").read_text())["config"]
    assert config["load_style"] == "clustered" and config["region_mults"]
    line = _one_line_error(cli("irdrop", "generate", "--count", "1", "--style", "fancy", "--out", tmp_path / "x"))
    assert "--style" in line and not (tmp_path / "x").exists()
