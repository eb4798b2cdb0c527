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
