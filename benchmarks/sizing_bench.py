"""`chipsmith bench sizing`: TPE (with its gm/Id start) against random search at equal evaluations.

For each problem (a design + spec under ``benchmarks/sizing/``) and seed, both methods get
the same budget; the figures are success counts, evaluations to success (a failure counts as
the budget, so medians stay honest), and the ratio random/TPE of the median evaluations.
Whether a candidate meets the spec is decided by the same corner evaluation for both
methods, and the winning netlist of each success is re-simulated in a fresh run to confirm.
"""
from __future__ import annotations

import statistics
import time
from pathlib import Path
from typing import Sequence

import yaml

PROBLEMS = Path(__file__).resolve().parent / "sizing"
_SKY130 = ("sky130_two_stage", "sky130_folded_cascode", "sky130_telescopic", "sky130_nmc", "sky130_dfcfc")
SETS = {"generic": ("generic_two_stage",), "sky130": _SKY130, "sky130-tt": _SKY130}
#: sets that run their problems at these corners instead of the specs' own (a quicker look)
CORNERS = {"sky130-tt": ("tt",)}


def _confirm(design: str, spec, params: dict) -> bool:
    """Re-simulate the sized design alone (no batching, no alterparam) and re-check every corner."""
    from chipsmith.spice.sizing import evaluate, sized_design

    sized = sized_design(design, params)
    (ev,) = evaluate(sized, spec, [{}])
    return ev.feasible


def run_with_workers(problem_set: str, seeds: int, budget: int, batch: int, *, workers: int | None = None,
                     scheduler: str | None = None, on_run=None) -> dict:
    """:func:`run` with a problem's corner/temperature evaluations fanned out over dask
    (``--workers``, default all cores; 1 = in-process), as ``chipsmith size`` does."""
    from chipsmith.options import resolve_workers
    from chipsmith.parallel import ClusterConfig, get_client

    n_workers = resolve_workers(workers, scheduler)
    if n_workers == 1 or problem_set == "generic" or problem_set in CORNERS:   # one corner: nothing to fan out
        return run(problem_set, seeds, budget, batch, on_run=on_run)
    with get_client(ClusterConfig.from_env(scheduler=scheduler, workers=n_workers)) as client:
        summary = run(problem_set, seeds, budget, batch, client=client, on_run=on_run)
    return {**summary, "workers": n_workers}


def run(problem_set: str = "generic", seeds: int = 4, budget: int = 96, batch: int = 8,
        methods: Sequence[str] = ("tpe", "random"), client=None, on_run=None) -> dict:
    from chipsmith.errors import InputError
    from chipsmith.spice.pdk import get_pdk
    from chipsmith.spice.retarget import retarget_text
    from chipsmith.spice.sizing import load_spec, size

    if problem_set not in SETS:
        raise InputError(f"unknown sizing set {problem_set!r}", fix=f"choose one of: {', '.join(SETS)}")
    rows = []
    for name in SETS[problem_set]:
        design = (PROBLEMS / f"{name}.cir").read_text()
        data = yaml.safe_load((PROBLEMS / f"{name}.yaml").read_text())
        if problem_set in CORNERS:
            data["corners"] = list(CORNERS[problem_set])
        spec = load_spec(data, design)
        design = retarget_text(design, get_pdk(spec.pdk), name)
        for method in methods:
            for seed in range(seeds):
                start = time.perf_counter()
                result = size(design, spec, budget=budget, batch=batch, method=method, seed=seed, client=client)
                wall = time.perf_counter() - start
                confirmed = result.success and _confirm(design, spec, dict(result.best.params))
                rows.append({"problem": name, "method": method, "seed": seed, "success": result.success,
                             "confirmed": confirmed, "evaluations_to_success": result.evaluations_to_success,
                             "evaluations": len(result.evaluations), "wall_s": wall,
                             "best_cost": result.best.cost if result.best else None})
                if on_run is not None:
                    on_run(rows[-1])
    per = {}
    for name in SETS[problem_set]:
        for method in methods:
            mine = [r for r in rows if r["problem"] == name and r["method"] == method]
            evals = [r["evaluations_to_success"] or budget for r in mine]
            per[f"{name}/{method}"] = {
                "runs": len(mine), "successes": sum(r["success"] for r in mine),
                "confirmed": sum(r["confirmed"] for r in mine),
                "false_successes": sum(r["success"] and not r["confirmed"] for r in mine),
                "median_evaluations": statistics.median(evals), "median_wall_s": statistics.median(
                    r["wall_s"] for r in mine)}
    ratios = {}
    for name in SETS[problem_set]:
        if "tpe" in methods and "random" in methods:
            t, r = per[f"{name}/tpe"], per[f"{name}/random"]
            ratios[name] = {"random_over_tpe_median_evaluations": r["median_evaluations"] / t["median_evaluations"],
                            "random_over_tpe_median_wall": r["median_wall_s"] / t["median_wall_s"]}
    return {"set": problem_set, "seeds": seeds, "budget": budget, "batch": batch, "per_problem": per,
            "ratios": ratios, "runs": rows,
            "caveat": "evaluations to success count a failure as the whole budget; wall times on a shared machine"}
