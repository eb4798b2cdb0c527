"""ACIM compiler benchmark: exploration speed, NSGA-II vs random search, front ranges vs EasyACIM,
and the analytical models' error against ngspice.

Figures are ratios against baselines measured in the same process:
- exploration wall time (dask LocalCluster, 2 workers by default) vs the 60 s target and
  vs a vectorized random search with the same number of evaluations;
- hypervolume of the NSGA-II archive vs random search with the same number of
  evaluations (per generation and final, several seeds), and both against the exact
  optimum, which this model's space (28 800 designs for 256x256) lets us enumerate;
- the front's TOPS/W, F²/bit and SNR ranges next to EasyACIM's reported 50-750 TOPS/W
  and 1500-7500 F²/bit (28 nm, ~30 min exploration per array size);
- calibration: model SNR and energy against ngspice column simulations.
"""
from __future__ import annotations

import itertools
import math
import os
import platform
import tempfile
import time
from pathlib import Path

import numpy as np

EASYACIM = {"process": "28 nm (foundry)", "tops_w": [50.0, 750.0], "f2_per_bit": [1500.0, 7500.0],
            "exploration_minutes": 30.0}


def exhaustive_hv(problem, params, req) -> tuple[float, int]:
    """Hypervolume of the true feasible front (the whole space evaluated at once)."""
    from chipsmith.layout.architecture import Space
    from chipsmith.layout.explore import constraint_violation
    from chipsmith.layout.models import evaluate
    from chipsmith.layout.pareto import front_hypervolume

    space = Space.for_problem(problem)
    genes = np.array(list(itertools.product(*[range(len(c)) for c in space.choices])))
    m = evaluate(space.decode(genes), params, problem)
    return front_hypervolume(m, constraint_violation(m, req) == 0.0), len(genes)


def run_exploration(rows: int, cols: int, pop: int, gens: int, workers: int, seeds: int, min_snr: float | None,
                    quiet: bool = True) -> dict:
    from chipsmith.layout.architecture import Problem, Space
    from chipsmith.layout.cells import load_cells
    from chipsmith.layout.explore import ExploreConfig, explore, pymoo_search, random_search
    from chipsmith.layout.flow import run_explore
    from chipsmith.layout.models import ModelParams
    from chipsmith.layout.pareto import Requirements

    from chipsmith.layout.flow import default_calibration, load_calibration

    lib = load_cells()
    params = ModelParams.from_library(lib, **load_calibration(default_calibration(None)))  # as `acim explore`
    problem = Problem(rows, cols)
    req = Requirements(min_snr_db=min_snr)
    # 1. the real command path: dask LocalCluster, all artifacts written
    with tempfile.TemporaryDirectory(prefix="acim-bench-") as tmp:
        t0 = time.perf_counter()
        summary = run_explore(rows=rows, cols=cols, min_snr=min_snr, pop=pop, gens=gens, seed=0, workers=workers,
                              serial=workers == 1,
                              out=Path(tmp) / "front", quiet=quiet)
        wall = time.perf_counter() - t0
    # 2. random search with the same number of evaluations (vectorized, in-process)
    evaluations = summary["evaluations"]
    hv_rand, curve_rand, t_rand = random_search(problem, params, req, evaluations, 0, checkpoints=gens + 1)
    # 3. more seeds in-process for the statistics: NSGA-II (deap) vs random search vs NSGA-III
    # (pymoo, a second maintained optimiser), all at the same number of evaluations
    per_seed = []
    for seed in range(seeds):
        res = explore(ExploreConfig(problem, req, pop=pop, gens=gens, seed=seed), params)
        hv_r, _c, _t = random_search(problem, params, req, res.evaluations, seed)
        hv_3, t_3 = pymoo_search(problem, params, req, res.evaluations, seed, pop=pop)
        per_seed.append({"seed": seed, "evaluations": res.evaluations, "nsga2_hv": res.hv_history[-1],
                         "random_hv": hv_r, "nsga3_hv": hv_3, "nsga2_seconds_in_process": res.seconds,
                         "nsga3_seconds_in_process": t_3})
    space = Space.for_problem(problem).size()
    # the whole space is enumerated only where that is affordable (the widened space is ~1e8)
    hv_opt = exhaustive_hv(problem, params, req)[0] if space <= 2_000_000 else None
    hv_ga = summary["hypervolume"]
    mean = lambda key: float(np.mean([s[key] for s in per_seed]))  # noqa: E731
    return {
        "rows": rows, "cols": cols, "pop": pop, "gens": gens, "workers": workers, "min_snr": min_snr,
        "evaluations": evaluations, "unique_evaluations": summary["unique_evaluations"], "space_size": space,
        "wall_seconds": wall, "explore_seconds": summary["seconds"], "backend": summary["backend"],
        "target_seconds": 60.0, "wall_over_target": wall / 60.0,
        "random_search_seconds": t_rand, "wall_over_random_search": wall / t_rand,
        "speedup_vs_easyacim_reported": EASYACIM["exploration_minutes"] * 60.0 / wall,
        "hv_history": summary["hv_history"], "hv_random_curve": curve_rand,
        "nsga2_hv": hv_ga, "random_hv": hv_rand, "optimum_hv": hv_opt,
        "nsga2_over_random": hv_ga / hv_rand if hv_rand else float("inf"),
        "nsga2_gap_to_optimum": 1.0 - hv_ga / hv_opt if hv_opt else None,
        "random_gap_to_optimum": 1.0 - hv_rand / hv_opt if hv_opt else None,
        "seeds": per_seed, "nsga2_wins": sum(s["nsga2_hv"] > s["random_hv"] for s in per_seed),
        "nsga2_beats_nsga3": sum(s["nsga2_hv"] > s["nsga3_hv"] for s in per_seed),
        "mean_hv": {"nsga2": mean("nsga2_hv"), "random": mean("random_hv"), "nsga3": mean("nsga3_hv")},
        "mean_nsga2_over_random": mean("nsga2_hv") / mean("random_hv"),
        "mean_nsga2_over_nsga3": mean("nsga2_hv") / mean("nsga3_hv"),
        "front_size": summary["front_size"], "front_ranges": summary["front_ranges"],
        "front_col_mux": summary["front_col_mux"],
        "front_col_mux_share_k_gt_1": (sum(n for k, n in summary["front_col_mux"].items() if int(k) > 1)
                                       / max(1, summary["front_size"])),
    }


def run_calibration(quick: bool, quiet: bool = True) -> dict:
    from chipsmith.layout.calibrate import LARGE_CONFIGS, QUICK_CONFIGS, calibrate
    from chipsmith.layout.cells import load_cells
    from chipsmith.progress import progress_bar

    configs = QUICK_CONFIGS if quick else LARGE_CONFIGS
    draws = 2 if quick else 3
    t0 = time.perf_counter()
    with progress_bar("acim calibrate (ngspice)", len(configs) * draws, quiet=quiet) as advance:
        result = calibrate(load_cells(), configs, patterns=24, draws=draws, seed=0, advance=advance)
    result["seconds"] = time.perf_counter() - t0
    return result


def run_layout(sizes: tuple[int, ...] = (64, 128, 256), connectivity_max: int = 128, flat_drc_at: int = 64) -> dict:
    """Layout generator scaling: n x n macros (one bank, L=4, 4-bit ADC): build time (GDS +
    netlist written), GDS and netlist bytes, rule-check time (hierarchical, and flat once
    as the in-process baseline), connectivity-check time up to ``connectivity_max``."""
    import tempfile
    from pathlib import Path

    from chipsmith.layout.cells import load_cells
    from chipsmith.layout.connectivity import check
    from chipsmith.layout.drc import run_drc
    from chipsmith.layout.macro import MacroSpec, build_layout, netlist, terminals
    from chipsmith.layout.rules import load_rules

    lib, deck = load_cells(), load_rules()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            spec = MacroSpec(n, n, n, n, 4, min(4, (n // 4).bit_length() - 1), 1)  # 4-bit ADC from 64 rows up
            gds = Path(tmp) / f"m{n}.gds"
            t0 = time.perf_counter()
            built = build_layout(spec, lib, deck)
            built.library.write_gds(str(gds))
            cir = netlist(spec, lib)
            (Path(tmp) / f"m{n}.cir").write_text(cir)
            t_build = time.perf_counter() - t0
            drc = run_drc(gds, deck)
            row = {"n": n, "bits": n * n, "build_s": t_build, "gds_bytes": gds.stat().st_size, "cir_bytes": len(cir),
                   "drc_s": drc["seconds"], "drc_clean": drc["clean"]}
            if n == flat_drc_at:
                flat = run_drc(gds, deck, deep=False)
                row["drc_flat_s"] = flat["seconds"]
                row["drc_flat_over_deep"] = flat["seconds"] / drc["seconds"]
            if n <= connectivity_max:
                lvs = check(gds, cir, "acim_macro", terminals(spec, built), deck, [c.name for c in lib.cells.values()])
                row.update(connectivity_s=lvs["seconds"], connectivity_match=lvs["match"], terminals=lvs["terminals"],
                           cells_lvs_s=lvs.get("cells_seconds"), cells_lvs_match=lvs.get("cells_match"))  # once per distinct cell
            rows.append(row)
    first, last = rows[0], rows[-1]
    return {"sizes": rows, "build_over_10s_target": last["build_s"] / 10.0,
            "drc_over_60s_target": last["drc_s"] / 60.0,
            "gds_growth_exponent": (math.log(last["gds_bytes"] / first["gds_bytes"]) / math.log(last["bits"] / first["bits"])
                                    if last["bits"] > first["bits"] else None),
            "note": "GDS bytes ~ bits**exponent; exponent < 1 is sublinear (arrays are references)"}


def run_type_axes(rows: int = 256, cols: int = 256, pop: int = 100, gens: int = 50, seeds: int = 3) -> dict:
    """What the circuit-type genes (bitcell, capacitor, ADC type) bring: NSGA-II at the same
    budget on the space with them and on the same space restricted to the base circuits
    (the library without its optional kinds), same seeds, same fixed hypervolume reference;
    and how often each type value is on the front found with them."""
    import collections

    import yaml

    from chipsmith.layout.architecture import TYPE_VARIABLES, VARIABLES, Problem, Space
    from chipsmith.layout.cells import DEFAULT_CELLS, OPTIONAL, load_cells, parse_cells
    from chipsmith.layout.explore import Evaluator, ExploreConfig, explore
    from chipsmith.layout.flow import default_calibration, load_calibration
    from chipsmith.layout.models import ModelParams

    lib = load_cells()
    params = ModelParams.from_library(lib, **load_calibration(default_calibration(None)))
    data = yaml.safe_load(DEFAULT_CELLS.read_text())
    for kind in OPTIONAL:
        del data["cells"][kind]
    problem = Problem(rows, cols)
    spaces = {"with_types": Space.for_problem(problem, lib), "base_circuits_only": Space.for_problem(problem, parse_cells(data))}
    runs = []
    for seed in range(seeds):
        for name, space in spaces.items():
            res = explore(ExploreConfig(problem, pop=pop, gens=gens, seed=seed), params, Evaluator(params, problem, space))
            row = {"seed": seed, "space": name, "hypervolume": res.hv_history[-1], "front_size": len(res.front),
                   "evaluations": res.evaluations, "seconds": res.seconds}
            if name == "with_types":
                row["front_types"] = {v: {str(k): n for k, n in sorted(collections.Counter(
                    int(g[VARIABLES.index(v)]) for g, _m in res.front).items())} for v in TYPE_VARIABLES}
            runs.append(row)
    mean = {n: float(np.mean([r["hypervolume"] for r in runs if r["space"] == n])) for n in spaces}
    return {"rows": rows, "cols": cols, "pop": pop, "gens": gens, "seeds": seeds,
            "space_size": {n: s.size() for n, s in spaces.items()}, "runs": runs, "mean_hypervolume": mean,
            "with_types_over_base": mean["with_types"] / mean["base_circuits_only"],
            "with_types_wins": sum(a["hypervolume"] > b["hypervolume"] for a, b in zip(runs[::2], runs[1::2]))}


def run_mux_axis(rows: int = 256, cols: int = 256, pop: int = 100, gens: int = 50, seeds: int = 3,
                 min_snr: float | None = None) -> dict:
    """What the column-mux gene brings: NSGA-II at the same budget and seeds on the space with
    k in {1, 2, 4, 8} and on the same space with k = 1 only, hypervolume against the same fixed
    reference (as :func:`run_type_axes`); the share of each k on the fronts found with the gene,
    and what the muxed front designs give up in throughput (TOPS is not an objective)."""
    import collections
    from dataclasses import replace

    from chipsmith.layout.architecture import Problem, Space
    from chipsmith.layout.cells import load_cells
    from chipsmith.layout.explore import Evaluator, ExploreConfig, explore
    from chipsmith.layout.flow import default_calibration, load_calibration
    from chipsmith.layout.models import ModelParams, evaluate
    from chipsmith.layout.pareto import Requirements

    lib = load_cells()
    params = ModelParams.from_library(lib, **load_calibration(default_calibration(None)))
    problem = Problem(rows, cols)
    req = Requirements(min_snr_db=min_snr)
    full = Space.for_problem(problem, lib)
    spaces = {"with_mux": full, "k1_only": replace(full, col_mux=(1,))}
    runs = []
    for seed in range(seeds):
        for name, space in spaces.items():
            res = explore(ExploreConfig(problem, req, pop=pop, gens=gens, seed=seed), params,
                          Evaluator(params, problem, space))
            row = {"seed": seed, "space": name, "hypervolume": res.hv_history[-1], "front_size": len(res.front),
                   "evaluations": res.evaluations, "seconds": res.seconds}
            if name == "with_mux":
                genes = np.array([g for g, _m in res.front])
                ks = space.decode(genes)["col_mux"]
                row["front_col_mux"] = {str(k): int(n) for k, n in sorted(collections.Counter(ks.tolist()).items())}
                row["front_share_k_gt_1"] = float(np.mean(ks > 1))
                m = evaluate(space.decode(genes), params, problem)
                row["front_tops_median"] = {str(k): float(np.median(m["tops"][ks == k])) for k in sorted(set(ks.tolist()))}
            runs.append(row)
    mean = {n: float(np.mean([r["hypervolume"] for r in runs if r["space"] == n])) for n in spaces}
    with_mux = [r for r in runs if r["space"] == "with_mux"]
    return {"rows": rows, "cols": cols, "pop": pop, "gens": gens, "seeds": seeds, "min_snr": min_snr,
            "space_size": {n: s.size() for n, s in spaces.items()}, "runs": runs, "mean_hypervolume": mean,
            "with_mux_over_k1": mean["with_mux"] / mean["k1_only"],
            "with_mux_wins": sum(a["hypervolume"] > b["hypervolume"] for a, b in zip(runs[::2], runs[1::2])),
            "mean_front_share_k_gt_1": float(np.mean([r["front_share_k_gt_1"] for r in with_mux]))}


def run(*, rows: int = 256, cols: int = 256, pop: int = 100, gens: int = 50, workers: int = 2, seeds: int = 3,
        min_snr: float | None = None, calibration: str = "full", quiet: bool = True,
        layout_sizes: tuple[int, ...] = (64, 128, 256)) -> dict:
    """The whole suite; returns the summary written to summary.json."""
    out = {"suite": "acim", "machine": {"python": platform.python_version(), "platform": platform.platform(),
                                        "cpus": os.cpu_count()},
           "easyacim_reported": EASYACIM}
    out["exploration"] = run_exploration(rows, cols, pop, gens, workers, seeds, None, quiet)
    if min_snr is not None:
        out["exploration_min_snr"] = run_exploration(rows, cols, pop, gens, workers, 1, min_snr, quiet)
    out["mux_axis"] = run_mux_axis(rows, cols, pop, gens, seeds=min(seeds, 3))
    if calibration != "none":
        out["calibration"] = run_calibration(calibration == "quick", quiet)
    if layout_sizes:
        out["layout"] = run_layout(tuple(layout_sizes))
    return out
