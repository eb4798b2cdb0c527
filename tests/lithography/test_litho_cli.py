"""`chipsmith litho simulate|generate` end to end, and bad inputs: exit 2, one line, nothing written."""
from __future__ import annotations

import json
import shutil

import gdstk
import klayout.db as kdb
import pytest


def _one_line_error(res):
    assert res.code == 2, res.stderr
    lines = [l for l in res.stderr.splitlines() if l.strip()]
    assert len(lines) == 1 and lines[0].startswith("chipsmith: error:"), res.stderr
    assert "Traceback" not in res.stderr


def test_simulate_stdcontact_chem_end_to_end(cli, iccad13_dir, tmp_path):
    out = tmp_path / "sim"
    clip = iccad13_dir / "layouts" / "StdContact" / "AND2_X4__0_0.glp"
    res = cli("litho", "simulate", clip, "--resist", "chem", "--out", out, "--json", "--quiet")
    assert res.code == 0, res.stderr
    summary = json.loads(res.stdout)
    assert summary == json.loads((out / "summary.json").read_text())
    for f in ("aerial.png", "resist.png", "contours.gds", "images.npz"):
        assert (out / f).stat().st_size > 0
    cd = summary["cd"]
    assert cd["contacts"] == 26 and cd["printed"] == 26
    assert 50 < cd["cd_x_mean_nm"] < 85 and summary["epe"]["rms_nm"] < 10
    layout = kdb.Layout()
    layout.read(str(out / "contours.gds"))
    region = kdb.Region(layout.top_cell().begin_shapes_rec(layout.layer(1, 0)))
    area = region.area() * layout.dbu ** 2 * 1e6
    assert area == pytest.approx(summary["printed_area_nm2"], rel=0.05)


def test_simulate_iccad13_kernels(cli, iccad13_dir, tmp_path):
    out = tmp_path / "m1"
    res = cli("litho", "simulate", iccad13_dir / "layouts" / "ICCAD2013" / "M1_test1.glp", "--kernels", "iccad13",
              "--pixel", "4", "--out", out, "--quiet")
    assert res.code == 0, res.stderr
    s = json.loads((out / "summary.json").read_text())
    assert s["kernel_count"] == 24 and s["grid"] == 512 and s["level"] == 0.225
    assert 0.55 < s["printed_area_nm2"] / s["drawn_area_nm2"] < 0.8


def test_generate_small(cli, tmp_path):
    out = tmp_path / "ds"
    # The old node's 20-slice film is slow on CPU; the film path has its own tests (test_litho_film.py).
    res = cli("litho", "generate", "--node", "old", "--count", "4", "--seed", "3", "--resist", "lumped", "--out", out,
              "--json", "--quiet")
    assert res.code == 0, res.stderr
    s = json.loads(res.stdout)
    assert s["n"] == 4 and s["resist"] == "lumped" and (out / "index.json").exists()
    assert (out / "shard-00000.npz").exists()


def _gds(tmp_path):
    lib = gdstk.Library(unit=1e-9, precision=1e-10)
    cell = lib.new_cell("TOP")
    cell.add(gdstk.rectangle((400, 400), (465, 465), layer=5))
    path = tmp_path / "one.gds"
    lib.write_gds(str(path))
    return path


@pytest.mark.parametrize("case", ["empty", "window", "layer", "kernels", "dose", "resist", "preset"])
def test_bad_inputs_exit_2_one_line_nothing_written(cli, iccad13_dir, tmp_path, case):
    out = tmp_path / "out"
    gds = _gds(tmp_path)
    empty = tmp_path / "empty.glp"
    empty.write_text("BEGIN\nEQUIV 1 1000 MICRON +X,+Y\nCELL T PRIME\nENDMSG\n")
    bad_k = tmp_path / "badk"
    shutil.copytree(iccad13_dir / "kernels" / "focus", bad_k)
    (bad_k / "fh0.bin").chmod(0o644)
    (bad_k / "fh0.bin").write_bytes(b"\0" * 100)
    args = {
        "empty": [empty],
        "window": [gds, "--layer", "5", "--window", "5000,5000,6024,6024"],
        "layer": [gds, "--layer", "7/0"],
        "kernels": [gds, "--kernels", bad_k],
        "dose": [gds, "--dose", "0"],
        "resist": [gds, "--resist", "magic"],
        "preset": [gds, "--preset", "ancient"],
    }[case]
    res = cli("litho", "simulate", *args, "--out", out, "--quiet")
    _one_line_error(res)
    assert not out.exists()
    assert not any(p.name.startswith(".out.staging") for p in tmp_path.iterdir())
    expect = {"empty": "empty", "window": "window", "layer": "unknown layer 7/0", "kernels": "9824",
              "dose": "dose must be > 0", "resist": "unknown resist model", "preset": "unknown preset"}[case]
    assert expect in res.stderr
