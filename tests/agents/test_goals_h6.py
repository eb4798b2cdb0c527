"""Goal requests (issue 12): reading, the judge's goal check, the optimiser, and the CLI end to end."""
from __future__ import annotations

import json

import pytest

from chipsmith.agents.goals import ALTERNATIVES, alternatives_for, build, run_goal, search
from chipsmith.agents.reader import read_request
from chipsmith.agents.request import PortList
from chipsmith.spice.judge import judge
from chipsmith.spice.requirements import Interface, Port, Request, Requirement

SE = PortList(("Vi",), ("Vo",), ())
DIFF = PortList(("INP", "INM"), ("OUT",), ())


def _atoms(req):
    return {(r.kind, tuple(sorted(r.params.to_plain().items()))) for r in req.requirements}


def _goal(req):
    return next(((r.params["figure"], r.params["direction"]) for r in req.requirements if r.kind == "goal"), None)


# --- reading (our own paraphrases, not the public task texts) -------------------------------------

@pytest.mark.parametrize("text, ports, figure", [
    ("one-stage amplifier giving the largest possible voltage gain", SE, "gain_vv"),
    ("I want the highest gain you can get out of a single stage", SE, "gain_vv"),
    ("common-source stage, optimise for gain", SE, "gain_vv"),
    ("an amplifier whose DC gain is as high as possible", SE, "gain_vv"),
    ("op-amp with the biggest gain-bandwidth product", DIFF, "gbw_hz"),
    ("two-stage op-amp; GBW should be maximized", DIFF, "gbw_hz"),
    ("an opamp that maximises unity-gain bandwidth", DIFF, "gbw_hz"),
    ("best GBW per mW from a multistage op-amp", DIFF, "gbw_per_w"),
    ("op-amp maximizing the figure of merit (GBW/power)", DIFF, "gbw_per_w"),
    ("an OTA with the highest bandwidth per watt", DIFF, "gbw_per_w"),
    ("multistage op-amp, best power efficiency (GBW per unit power)", DIFF, "gbw_per_w"),
    ("design an opamp to maximize FoM = GBW/P", DIFF, "gbw_per_w"),
])
def test_goal_phrases_are_read_and_consumed(text, ports, figure):
    req = read_request(text, ports)
    assert _goal(req) == (figure, "maximize")
    assert req.unconsumed == ()
    goal = next(r for r in req.requirements if r.kind == "goal")
    assert goal.source.phrase and goal.source.phrase.lower() in text.lower()


@pytest.mark.parametrize("text, ports", [
    ("a one-stage amplifier, maximum voltage gain, avoiding positive feedback", SE),
    ("single-stage OTA without positive feedback", DIFF),
    ("a single stage op-amp that must not use positive feedback", DIFF),
])
def test_no_positive_feedback_is_a_negative_structure(text, ports):
    req = read_request(text, ports)
    assert ("structure", (("feature", "positive_feedback"), ("present", False))) in _atoms(req)
    assert not any(r.kind == "structure" and r.params["feature"] == "feedback" for r in req.requirements)
    assert req.unconsumed == ()


def test_multi_stage_reads_as_at_least_two_stages_and_family_comes_from_ports():
    req = read_request("multistage design with the best GBW per watt", DIFF)
    assert ("stage_count", (("count", 2), ("op", ">="))) in _atoms(req)
    assert any(r.kind == "family" and r.params["family"] == "opamp" for r in req.requirements)
    alts = {a.name for a in alternatives_for(req)}
    assert alts and all(a.stages >= 2 for a in ALTERNATIVES if a.name in alts)
    one = read_request("the highest gain you can get from one stage", SE)
    assert {a.name for a in alternatives_for(one)} == {"cs_resistor", "cs_current_source", "cascode_resistor"}


def test_a_number_after_the_figure_is_a_target_not_a_goal():
    req = read_request("op-amp with maximum gain of 60 dB", DIFF)
    assert _goal(req) is None
    assert any(r.kind == "target" and r.params["figure"] == "gain_db" for r in req.requirements)


# --- the judge ------------------------------------------------------------------------------

_AMP = Interface((Port("Vi", "signal_in"), Port("Vo", "out")))


def _req(figure="gain_vv", baseline=None, extra=()):
    params = {"figure": figure, "direction": "maximize", **({"baseline": baseline} if baseline is not None else {})}
    return Request("goal", _AMP, (Requirement("family", "family", {"family": "amplifier"}),
                                  Requirement("goal_1", "goal", params), *extra))


def test_judge_measures_the_goal_and_holds_it_to_the_baseline():
    alt = next(a for a in ALTERNATIVES if a.name == "cs_current_source")
    text = build(alt, None, {"inputs": ("Vi",), "outputs": ("Vo",), "bias": ()}).netlist_text("t")
    v = judge(text, _req())
    res = next(r for r in v.results if r.id == "goal_1")
    assert res.status == "pass" and 30 < res.figure < 200
    lower = judge(text, _req(baseline=res.figure * 0.5))
    higher = judge(text, _req(baseline=res.figure * 1.5))
    assert next(r for r in lower.results if r.id == "goal_1").passed
    assert not next(r for r in higher.results if r.id == "goal_1").passed


LATCH = """* a cross-coupled latch posing as a high-gain amplifier
.subckt design Vi Vo vdd gnd
M1 Vo Vi gnd gnd nch W=2u L=1u
M2 x Vo gnd gnd nch W=2u L=1u
M3 Vo x vdd vdd pch W=4u L=1u
M4 x Vo vdd vdd pch W=4u L=1u
M5 Vo x gnd gnd nch W=2u L=1u
.model nch nmos level=1 vto=0.45 kp=200u lambda=0.05
.model pch pmos level=1 vto=-0.45 kp=80u lambda=0.05
.ends design
"""


def test_judge_refuses_positive_feedback():
    no_pf = Requirement("npf", "structure", {"feature": "positive_feedback", "present": False})
    v = judge(LATCH, _req(extra=(no_pf,)))
    by_id = {r.id: r for r in v.results}
    assert not by_id["npf"].passed and "cross-coupled" in by_id["npf"].detail
    assert not by_id["goal_1"].passed
    assert not v.success


# --- the optimiser --------------------------------------------------------------------------

def test_optimiser_beats_the_untuned_template_on_a_tiny_budget():
    req = read_request("single-stage amplifier that maximizes gain", SE)
    alt = next(a for a in ALTERNATIVES if a.name == "cs_resistor")
    ports = {"inputs": ("Vi",), "outputs": ("Vo",), "bias": ()}
    res = search(alt, ports, "gain_vv", "maximize", budget=8, batch=4, seed=3)
    assert res.template.feasible
    best = res.best(1)[0]
    assert best.figure > 1.5 * res.template.figure
    again = search(alt, ports, "gain_vv", "maximize", budget=8, batch=4, seed=3)
    assert [e.knobs for e in again.evaluations] == [e.knobs for e in res.evaluations]  # seeded
    assert req is not None


def test_run_goal_judges_every_topology_and_beats_templates():
    req = read_request("a single-stage op-amp with the best gain-bandwidth product", DIFF)
    g, (chosen, ok) = run_goal(req, budget=5, refine_budget=4, workers=1)
    assert ok and chosen is not None
    names = {row["topology"] for row in g.judged}
    assert names == {a.name for a in alternatives_for(req)} and "two_stage_miller_rz" not in names
    assert g.best["beats_template"] and g.best["best"] > g.best["template"]
    assert chosen[1].success
    json.dumps(g.summary(), allow_nan=False)


# --- the CLI --------------------------------------------------------------------------------

def test_cli_goal_end_to_end(tmp_path):
    from chipsmith.cli import main

    out = tmp_path / "g"
    rc = main(["goal", "the largest voltage gain from one stage, preventing positive feedback", "--inputs", "a",
               "--outputs", "y", "--budget", "4", "--workers", "1", "--seed", "1", "--out", str(out), "--quiet"])
    assert rc == 0
    s = json.loads((out / "summary.json").read_text())
    assert s["success"] and s["goal"]["beats_template"] and s["goal"]["figure"] == "gain_vv"
    assert {r["status"] for r in s["requirements"]} == {"pass"}
    assert ".subckt design a y vdd gnd" in (out / "design.cir").read_text()


def test_cli_goal_bad_input_exits_2(tmp_path, capsys):
    from chipsmith.cli import main

    rc = main(["goal", "a common-source amplifier", "--inputs", "a", "--outputs", "y", "--out",
               str(tmp_path / "x")])
    assert rc == 2 and "no goal" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_synth_routes_goal_requests(tmp_path):
    from chipsmith.agents.synth_flow import synth

    s = synth("a multi-stage op-amp with GBW as high as possible", out=tmp_path / "s", inputs="p,n", outputs="o",
              budget=4)
    assert s["success"] and s["goal"]["figure"] == "gbw_hz"
    assert all(row["topology"].startswith("two_stage") for row in s["goal"]["front"])


def test_unreachable_target_beside_a_goal_exits_1_with_the_best_attempt(tmp_path):
    from chipsmith.cli import main

    out = tmp_path / "u"
    rc = main(["goal", "one-stage amplifier with the highest gain, at least 200 dB", "--inputs", "a", "--outputs",
               "y", "--budget", "2", "--workers", "1", "--out", str(out), "--quiet"])
    assert rc == 1
    s = json.loads((out / "summary.json").read_text())
    assert not s["success"] and (out / "design.cir").exists()
    gap = next(t for t in s["goal"]["targets"] if t["requirement"].startswith("gain_db"))
    assert gap["status"] == "fail" and gap["margin"] < 0


def test_goal_problems_are_hand_written_goal_requests():
    from chipsmith.benchmarks.goals_bench import load

    problems = load()
    figures = {next(r.params["figure"] for r in p["request"].requirements if r.kind == "goal") for p in problems}
    assert {"gain_vv", "gbw_hz", "gbw_per_w"} <= figures
    assert all(alternatives_for(p["request"]) for p in problems)


@pytest.mark.slow
def test_bench_goals_one_problem_beats_random_and_template():
    from chipsmith.benchmarks.goals_bench import run

    s = run(budget=20, random_budget=60, limit=1)
    row = s["rows"][0]
    assert row["success"] and row["ratio_vs_template"] > 1 and row["ratio_vs_random"] > 1
    json.dumps(s, allow_nan=False)


def test_topologies_that_cannot_use_a_bias_port_are_left_out():
    req = read_request("a one-stage amplifier with maximum gain", PortList(("vin",), ("vout",), ("Ibias",)))
    g, (chosen, ok) = run_goal(req, budget=6, refine_budget=4, workers=1)
    assert [row["topology"] for row in g.judged] == ["cs_current_source"]
    assert ok and ".subckt design vin vout Ibias vdd gnd" in chosen[2]
