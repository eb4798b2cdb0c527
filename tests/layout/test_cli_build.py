"""`chipsmith acim build` end to end: from a front (DIR#INDEX) and from explicit variables."""
from __future__ import annotations

import json

import pytest


@pytest.fixture(scope="module")
def front(tmp_path_factory):
    from chipsmith.cli import main

    out = tmp_path_factory.mktemp("front") / "f"
    assert main(["acim", "explore", "--rows", "32", "--cols", "32", "--pop", "16", "--gens", "3", "--workers", "1",
                 "--out", str(out), "--quiet"]) == 0
    return out


def test_build_from_a_front_design(front, tmp_path, cli):
    doc = json.loads((front / "pareto.json").read_text())
    d = min(doc["designs"], key=lambda d: d["metrics"]["area_um2"])
    out = tmp_path / "b"
    res = cli("acim", "build", f"{front}#{d['id']}", "--out", out, "--json")
    assert res.code == 0, res.stderr
    s = json.loads(res.stdout)
    for name in ("macro.gds", "macro.cir", "macro.lef", "macro.png", "drc.json", "lvs.json", "summary.json"):
        assert (out / name).is_file(), name
    assert s["drc"]["clean"] and s["connectivity"]["match"]
    assert s["spec"]["H"] == d["variables"]["H"] and s["spec"]["B_ADC"] == d["variables"]["B_ADC"]
    assert s["model_area_um2"] == pytest.approx(s["area_um2"], rel=1e-6)  # the explorer's area is the layout's
    assert s["f2_per_bit"] == pytest.approx(d["objectives"]["f2_per_bit"], rel=1e-6)
    assert (out / "macro.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    lef = (out / "macro.lef").read_text()
    assert f"SIZE {s['width_um']:.4f} BY {s['height_um']:.4f}" in lef and "PIN VDD" in lef


def test_build_from_variables_prints_the_checks(tmp_path, cli):
    res = cli("acim", "build", "--rows", "16", "--cols", "16", "--local", "2", "--adc-bits", "2", "--out", tmp_path / "m")
    assert res.code == 0, res.stderr
    assert "rule check: clean" in res.stdout and "connectivity: match" in res.stdout
    lvs = json.loads((tmp_path / "m" / "lvs.json").read_text())
    assert lvs["opens"] == lvs["shorts"] == 0


@pytest.mark.parametrize("args, needle", [
    (["--rows", "16", "--cols", "16", "--local", "2", "--adc-bits", "5"], "--adc-bits 5"),
    (["--rows", "16", "--cols", "16"], "missing --local, --adc-bits"),
])
def test_bad_build_inputs_exit_2_nothing_written(tmp_path, cli, args, needle):
    out = tmp_path / "x"
    res = cli("acim", "build", *args, "--out", out)
    assert res.code == 2 and needle in res.stderr and "Traceback" not in res.stderr
    assert len([ln for ln in res.stderr.splitlines() if ln.strip()]) == 1
    assert not out.exists()


def test_unknown_design_index_is_one_line(front, tmp_path, cli):
    res = cli("acim", "build", f"{front}#999", "--out", tmp_path / "x")
    assert res.code == 2 and "no design #999" in res.stderr
    assert not (tmp_path / "x").exists()


def test_preview_counts_polygons_through_the_hierarchy_without_flattening(tmp_path, cli):
    """The preview picks its depth from a count made through the references; the count must equal
    what flattening to that depth returns (a 1024x1024 macro flattened whole ran out of memory)."""
    import gdstk

    from chipsmith.layout.build import _polygon_count

    res = cli("acim", "build", "--rows", "16", "--cols", "16", "--local", "2", "--adc-bits", "3", "--col-mux", "2",
              "--no-checks", "--out", tmp_path / "m")
    assert res.code == 0, res.stderr
    top = gdstk.read_gds(str(tmp_path / "m" / "macro.gds")).top_level()[0]
    for depth in (None, 0, 1, 2, 3):
        assert _polygon_count(top, depth, {}) == len(top.get_polygons(depth=depth)), depth
    assert (tmp_path / "m" / "macro.png").stat().st_size > 1000
