"""NSGA-II explorer: reproducible, constraint-respecting, better than random search."""
from __future__ import annotations

import json

import pytest

from chipsmith.errors import InputError
from chipsmith.layout.architecture import Problem
from chipsmith.layout.cells import load_cells
from chipsmith.layout.explore import ExploreConfig, explore, random_search
from chipsmith.layout.flow import run_explore
from chipsmith.layout.models import ModelParams
from chipsmith.layout.pareto import Requirements, distill


@pytest.fixture(scope="module")
def params():
    return ModelParams.from_library(load_cells())


@pytest.mark.parametrize("seed", [0, 1])
def test_nsga2_beats_random_search_on_hypervolume(params, seed):
    problem = Problem(256, 128)
    req = Requirements(min_snr_db=20)
    res = explore(ExploreConfig(problem, req, pop=40, gens=25, seed=seed), params)
    hv_random, _curve, _t = random_search(problem, params, req, res.evaluations, seed)
    assert res.hv_history[-1] > hv_random
    assert all(b >= a for a, b in zip(res.hv_history, res.hv_history[1:]))  # the archive never loses volume


def test_front_respects_constraints_and_structure(params):
    req = Requirements(min_snr_db=30, min_tops_w=300, max_area_um2=1.0e6)  # device-level cells: ~5000 F2/bit
    res = explore(ExploreConfig(Problem(256, 256), req, pop=40, gens=15, seed=3), params)
    assert res.front
    for genome, m in res.front:
        assert m["violation"] == 0.0
        assert m["snr_db"] >= 30 and m["tops_w"] >= 300 and m["area_um2"] <= 1.0e6


def test_same_seed_same_pareto_json(tmp_path):
    kw = dict(rows=128, cols=128, pop=24, gens=6, seed=11, serial=True, quiet=True)
    run_explore(out=tmp_path / "a", **kw)
    run_explore(out=tmp_path / "b", **kw)
    run_explore(out=tmp_path / "c", **{**kw, "seed": 12})
    a, b, c = ((tmp_path / x / "pareto.json").read_bytes() for x in "abc")
    assert a == b
    assert a != c


def test_pareto_json_is_complete_for_the_layout_generator(tmp_path):
    run_explore(rows=128, cols=64, pop=16, gens=4, seed=0, serial=True, quiet=True, out=tmp_path)
    doc = json.loads((tmp_path / "pareto.json").read_text())
    assert doc["schema"] == "chipsmith.acim.pareto/1" and doc["cells"]["sha256"]
    d = doc["designs"][0]
    assert set(d["variables"]) == {"H", "W", "L", "B_ADC", "input_bits_per_cycle", "cap_mult", "vdd_mv", "cmp_size",
                                   "sw_size", "drv_size", "read_vt", "bitcell", "cap_type", "adc_type", "col_mux"}
    fp = d["derived"]
    assert fp["banks"]["count"] == (128 // d["variables"]["H"]) * (64 // d["variables"]["W"])
    assert fp["macro"]["area_um2"] == pytest.approx(d["metrics"]["area_um2"])
    if d["variables"]["adc_type"] == 0:  # a SAR's CDAC groups (a flash ADC has none)
        assert len(fp["cdac"]["groups_msb_first_plus_dummy"]) == d["variables"]["B_ADC"] + 1
    else:
        assert fp["cdac"] is None


def test_bad_configs_raise_input_errors():
    with pytest.raises(InputError, match="--rows"):
        Problem(100, 64)
    with pytest.raises(InputError, match="--pop"):
        ExploreConfig(Problem(64, 64), pop=10)
    with pytest.raises(InputError, match="--min-snr"):
        ExploreConfig(Problem(64, 64), Requirements(min_snr_db=-3))


def test_distill_sorts_and_reports_the_binding_bound():
    designs = [{"id": i, "objectives": {"snr_db": s, "tops_w": t, "f2_per_bit": 1000.0}, "metrics": {"area_um2": a}}
               for i, (s, t, a) in enumerate([(20, 900, 1e5), (30, 600, 2e5), (40, 300, 3e5)])]
    picked = distill(designs, Requirements(min_snr_db=25), sort_by="tops_w")
    assert [d["id"] for d in picked] == [1, 2]
    with pytest.raises(InputError, match=r"--max-area 50000 \(best remaining: 2e\+05\)"):
        distill(designs, Requirements(min_snr_db=25, max_area_um2=5e4))


def test_widened_space_is_large_and_nsga3_baseline_runs(params):
    from chipsmith.layout.architecture import Space
    from chipsmith.layout.explore import pymoo_search

    assert Space.for_problem(Problem(256, 256)).size() >= 10 ** 8
    hv, seconds = pymoo_search(Problem(64, 64), params, Requirements(min_snr_db=20), 400, seed=0, pop=40)
    assert 0.0 < hv < 1.0 and seconds > 0
