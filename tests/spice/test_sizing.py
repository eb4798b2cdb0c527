"""`chipsmith size`: spec loading, batched corner evaluation, TPE search, and an independent re-check."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from chipsmith.errors import InputError
from chipsmith.spice.ampbench import AmpBench, figures, subckt_ports
from chipsmith.spice.flows import with_models
from chipsmith.spice.pdk import get_pdk
from chipsmith.spice.runner import Ac, Op, simulate
from chipsmith.spice.sizing import evaluate, load_spec, size, sized_design

DATA = Path(__file__).parent / "data"
DESIGN = (DATA / "generic_two_stage.cir").read_text()
SPEC = yaml.safe_load((DATA / "generic_two_stage.yaml").read_text())


def _recheck(sized: str) -> dict:
    """Re-simulate a sized design outside the sizing loop: its own bench, one plain run."""
    name, ports = subckt_ports(sized)
    bench = AmpBench(name, ports, "inp", "inn", "out", bias={"ibias": 10e-6}, cload=2e-12)
    pdk = get_pdk("generic")
    deck = with_models(bench.deck(sized), pdk.model_lines("tt"))
    return figures(bench, simulate(deck, [Op(), Ac(1.0, 10e9, 10)], trusted=True, include_dirs=pdk.model_dirs))


@pytest.mark.ngspice
def test_size_meets_the_spec_and_the_sized_netlist_rechecks(cli, tmp_path, ngspice_bin):
    out = tmp_path / "size"
    res = cli("size", DATA / "generic_two_stage.cir", "--spec", DATA / "generic_two_stage.yaml", "--budget", "96",
              "--workers", "1", "--json", "--out", out)
    assert res.code == 0, res.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert summary["success"] and summary["evaluations_to_success"] <= 96
    assert all(m >= 0 for m in summary["best"]["margins"]["tt/27C"].values())
    assert summary["convergence"][-1] == 0.0 and summary["convergence"] == sorted(summary["convergence"], reverse=True)
    figs = _recheck((out / "sized.cir").read_text())
    assert figs["gain_db"] >= 75 and figs["gbw_hz"] >= 20e6 and figs["pm_deg"] >= 60 and figs["power_w"] <= 0.25e-3
    assert (out / "convergence.png").stat().st_size > 1000


@pytest.mark.ngspice
def test_same_seed_same_candidates(ngspice_bin):
    spec = load_spec(SPEC, DESIGN)
    a = size(DESIGN, spec, budget=16, seed=3, stop_at_success=False)
    b = size(DESIGN, spec, budget=16, seed=3, stop_at_success=False)
    assert [e.params for e in a.evaluations] == [e.params for e in b.evaluations]
    assert [e.cost for e in a.evaluations] == [e.cost for e in b.evaluations]


@pytest.mark.ngspice
def test_a_non_converging_candidate_fails_alone(ngspice_bin):
    spec = load_spec(SPEC, DESIGN)
    good = {"wdp": 4.0, "cc": 1e-12}
    evals = evaluate(DESIGN, spec, [good, {"wdp": 4.0, "cc": -1.0}, good])
    assert evals[0].error is None and evals[2].error is None
    assert evals[0].per_corner == evals[2].per_corner


def test_sized_design_replaces_only_param_values():
    text = sized_design(DESIGN, {"wdp": 12.5, "cc": 2e-12})
    assert ".param wdp=12.5 ldp=1 " in text and "cc=2e-12" in text
    assert "M1 x inn tail gnd nch W={wdp*1e-6}" in text


@pytest.mark.parametrize("patch,needle", [
    ({"variables": {"nope": {"low": 1, "high": 2}}}, "not a .param card"),
    ({"targets": {"gain_db": "60"}}, "needs a comparison"),
    ({"targets": {"bandwidth": ">= 1"}}, "unknown target figure"),
    ({"ports": {"inp": "vin"}}, "has no port(s) vin"),
    ({"bias": {}}, "have no role"),
    ({"corners": ["ff"]}, "no corner 'ff'"),
    ({"colour": "red"}, "unknown spec key"),
])
def test_bad_specs_are_refused(patch, needle):
    with pytest.raises(InputError, match=None) as err:
        load_spec({**SPEC, **patch}, DESIGN)
    assert needle in str(err.value)


def test_bad_input_through_the_cli_is_one_line(cli, tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump({**SPEC, "targets": {"gain_db": "more please"}}))
    out = tmp_path / "out"
    res = cli("size", DATA / "generic_two_stage.cir", "--spec", spec, "--out", out)
    assert res.code == 2 and res.stderr.count("\n") == 1 and not out.exists()
    hostile = tmp_path / "hostile.cir"
    hostile.write_text(DESIGN + ".control\nshell rm -rf /\n.endc\n")
    res = cli("size", hostile, "--spec", DATA / "generic_two_stage.yaml", "--out", out)
    assert res.code == 2 and "control" in res.stderr.lower() and not out.exists()


@pytest.mark.ngspice
def test_sky130_corners_move_the_figures_the_right_way(ngspice_bin):
    design = (Path(__file__).resolve().parents[2] / "spice" / "designs" / "sky130_two_stage.cir").read_text()
    spec = load_spec({"pdk": "sky130", "corners": ["ff", "ss"], "bias": {"ibias": "10uA"}, "load_cap": "2pF",
                      "targets": {"gbw_hz": ">= 1MHz"}, "variables": {"cc": {"low": "0.5pF", "high": "2pF"}}}, design)
    (ev,) = evaluate(design, spec, [{"cc": 1e-12}])
    assert ev.error is None
    ff, ss = ev.per_corner["ff/27C"], ev.per_corner["ss/27C"]
    assert ff["gbw_hz"] > ss["gbw_hz"] > 1e6  # fast devices: more gm at the same bias current
    assert ev.worst == "ss/27C" or ev.cost == 0.0


@pytest.mark.ngspice
def test_bench_sizing_compares_methods_at_equal_budget(cli, tmp_path, ngspice_bin):
    results = tmp_path / "results" / "sizing_generic.json"
    res = cli("bench", "sizing", "--seeds", "1", "--budget", "40", "--workers", "1", "--json", "--out", tmp_path / "b",
              "--results", results)
    assert res.code == 0, res.stderr
    summary = json.loads(res.stdout)
    assert json.loads(results.read_text())["per_problem"] == summary["per_problem"]
    tpe, rnd = summary["per_problem"]["generic_two_stage/cmaes"], summary["per_problem"]["generic_two_stage/random"]
    assert tpe["runs"] == rnd["runs"] == 1
    assert all(r["evaluations"] <= 40 for r in summary["runs"])
    for row in (tpe, rnd):  # every claimed success survives a fresh re-simulation
        assert row["false_successes"] == 0 and row["confirmed"] == row["successes"]
        assert row["median_censored"] == (row["successes"] == 0)


@pytest.mark.ngspice
def test_gmid_start_keeps_the_designs_own_values_for_unhinted_variables(ngspice_bin):
    from chipsmith.spice.sizing import gmid_start

    data = dict(SPEC)
    data["variables"] = {"wdp": {"low": 1, "high": 40, "log": True,
                                 "gmid": {"polarity": "nmos", "l": 1, "gm_id": 12, "id": "5uA"}},
                         "w6": {"low": 4, "high": 80, "log": True},          # design: 20
                         "cc": {"low": "0.2pF", "high": "4pF", "log": True},  # design: 1e-12
                         "ldp": {"low": 1.5, "high": 2}}                      # design 1 is out of range: mid
    spec = load_spec(data, DESIGN)
    start = gmid_start(spec)
    assert start["w6"] == 20 and start["cc"] == pytest.approx(1e-12)
    assert start["ldp"] == pytest.approx(1.75)
    assert 1 <= start["wdp"] <= 40 and start["wdp"] != pytest.approx(4)    # from the gm/Id table, not the .param
