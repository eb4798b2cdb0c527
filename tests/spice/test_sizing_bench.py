"""`bench sizing`'s bookkeeping and its independent judge: censored medians, ratios that are
lower bounds when random search never succeeds, and a judge that refutes a bad sizing."""
from __future__ import annotations

import pytest

from chipsmith.benchmarks.sizing_bench import _summarise, censored_median, confirm, load_problem, table


def test_censored_median_flags_a_median_that_reaches_a_failed_run():
    assert censored_median([10, 20, 30], [False, False, True]) == (20, False)
    assert censored_median([10, 128, 128], [False, True, True]) == (128, True)
    assert censored_median([10, 20, 128, 128], [False, False, True, True]) == (74, True)


def _row(problem, method, seed, success, evals, budget=100):
    return {"problem": problem, "method": method, "seed": seed, "success": success, "confirmed": success,
            "false_success": False, "judge_errors": [], "evaluations_to_success": evals if success else None,
            "evaluations": evals if success else budget, "simulations": 5, "wall_s": 60.0}


def test_a_never_successful_baseline_gives_a_lower_bound_ratio_and_a_censored_cell():
    rows = [_row("p", "tpe", s, True, e) for s, e in enumerate((20, 25, 30))]
    rows += [_row("p", "random", 0, True, 90), _row("p", "random", 1, False, 0), _row("p", "random", 2, False, 0)]
    per, ratios = _summarise(rows, ["p"], ["tpe", "random"], 100)
    assert per["p/tpe"]["median_evaluations"] == 25 and not per["p/tpe"]["median_censored"]
    assert per["p/random"]["successes"] == 1 and per["p/random"]["median_censored"]
    assert ratios["p"]["random_over_method_median_evaluations"] == pytest.approx(4.0) and ratios["p"]["lower_bound"]
    lines = table({"budget": 100, "problems": ["p"], "per_problem": per, "ratios": ratios})
    assert ">=100" in lines[1] and ">=4.0x" in lines[1]


@pytest.mark.ngspice
def test_the_judge_refutes_a_sizing_that_misses_the_spec(ngspice_bin):
    design, spec = load_problem("generic_two_stage", "generic")
    verdict = confirm(design, spec, {"wdp": 1.0, "cc": 4e-12, "w6": 4.0, "m7": 2})   # far too slow for 20 MHz
    assert not verdict["confirmed"] and not verdict["errors"]
    assert any("gbw_hz" in f for f in verdict["failures"])


def test_a_summary_from_the_runs_of_a_benchmark_stopped_early_lists_only_the_problems_it_reached():
    from chipsmith.benchmarks.sizing_bench import summarise

    rows = [_row("a", "tpe", 0, True, 12), _row("a", "random", 0, False, 0)]
    summary = summarise(rows, "sky130", 1, 100, 4, ["a", "b"], ["tpe", "random"])
    assert summary["problems"] == ["a"] and summary["success_rate"] == 1.0
    assert summary["ratios"]["a"]["lower_bound"] and summary["false_successes"] == 0


def test_expected_evaluations_uses_the_draws_of_failed_random_runs():
    """Random search: 2 successes after 10 and 30 draws plus two failed runs of 100 draws ->
    p = 2 / 240, E = 120; the method: mean of 5, 7, 9 and a failure at 100 -> 30.25."""
    from chipsmith.benchmarks.sizing_bench import expected_evaluations

    def row(method, seed, ets, ok):
        return {"problem": "amp", "method": method, "seed": seed, "evaluations_to_success": ets if ok else None,
                "success": ok}

    rows = [row("random", 0, 10, True), row("random", 1, 30, True), row("random", 2, 0, False),
            row("random", 3, 0, False), row("cmaes", 0, 5, True), row("cmaes", 1, 7, True), row("cmaes", 2, 9, True),
            row("cmaes", 3, 0, False)]
    exp = expected_evaluations(rows, "cmaes", budget=100, resamples=200)
    amp = exp["per_problem"]["amp"]
    assert amp["random"] == 120.0 and amp["method"] == 30.25 and not amp["random_lower_bound"]
    assert exp["random_over_method"] == 120.0 / 30.25
    assert 0 < exp["bootstrap_p05"] <= exp["bootstrap_median"]
    # no random success at all: the draws themselves are the (lower-bound) estimate
    never = [r for r in rows if r["method"] == "cmaes"] + [row("random", s, 0, False) for s in range(4)]
    assert expected_evaluations(never, "cmaes", budget=100, resamples=50)["per_problem"]["amp"] == {
        "random": 400.0, "method": 30.25, "random_over_method": 400.0 / 30.25, "random_lower_bound": True}
    assert expected_evaluations(rows, "random", budget=100) is None
