"""The `acim explore` and `acim pick` flows: validate inputs, run, write every artifact atomically.

Kept apart from the CLI so that benchmarks and tests call the same code; all inputs are
validated before any work starts, and outputs go through ``staged_output`` so a failure
(bad cells, infeasible constraints) leaves nothing behind.
"""
from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from chipsmith.errors import InputError
from chipsmith.layout.architecture import Design, Problem, Space
from chipsmith.layout.cells import load_cells
from chipsmith.layout.explore import KEEP, Evaluator, ExploreConfig, constraint_violation, explore, infeasibility_message
from chipsmith.layout.models import ModelParams
from chipsmith.layout.pareto import Requirements, distill, plot_front
from chipsmith.layout.report import pareto_csv, pareto_document, ranges

from chipsmith.layout.models import FITTED as FITTABLE  # noqa: E402  (the coefficients `acim calibrate` fits)


def default_calibration(cells: Path | None) -> Path | None:
    """The shipped calibration (fitted on >= 64-cell columns with 6-7-bit ADCs and the
    transistor comparator) when the shipped library is used; a user library has none."""
    from chipsmith.layout.calibrate import SHIPPED_CALIBRATION

    return SHIPPED_CALIBRATION if cells is None and SHIPPED_CALIBRATION.exists() else None


def calibration_info(path: Path | None) -> dict | None:
    """What summary.json says about the model's calibration: source, fitted values, residuals per figure."""
    if path is None:
        return None
    data = json.loads(Path(path).read_text())
    return {"source": str(path), "fitted": data.get("fitted"), "residuals": data.get("residuals"),
            "size": data.get("size")}


def load_calibration(path: Path | None) -> dict[str, float]:
    """Fitted coefficients from a calibration.json (``acim calibrate``); {} when no path."""
    if path is None:
        return {}
    try:
        data = json.loads(Path(path).read_text())
        fitted = data["fitted"]
        out = {k: float(fitted[k]) for k in FITTABLE if k in fitted}
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise InputError(f"not a calibration.json ({type(exc).__name__}: {exc})", where=str(path),
                         fix="pass the calibration.json written by `chipsmith acim calibrate`") from None
    for k, v in out.items():
        if not np.isfinite(v) or v < 0 or (v == 0 and k in ("k_mismatch", "n_ktc")):
            raise InputError(f"fitted.{k} = {v!r} is not a positive number", where=str(path),
                             fix="rerun `chipsmith acim calibrate`")
    return out


def run_explore(*, rows: int, cols: int, cells: Path | None = None, min_snr: float | None = None,
                max_area: float | None = None, min_tops_w: float | None = None, min_tops: float | None = None,
                max_f2_bit: float | None = None, fixed_shape: bool = False, input_bits: int = 4, weight_bits: int = 4,
                pop: int = 100, gens: int = 50, seed: int = 0, calibration: Path | None = None,
                scheduler: str | None = None, workers: int | None = None, serial: bool = False,
                col_mux: str | None = None, out: Path, quiet: bool = False) -> dict[str, Any]:
    """Explore, then write pareto.json, pareto.csv, pareto.png and summary.json into ``out``.

    ``col_mux``: the columns-per-ADC choices the search may use ("1,2,4,8", "1" = no muxing,
    "4" = always 4); default: every choice the library (col_mux cell) and the width allow."""
    from chipsmith.artifacts import atomic_write_text, staged_output, write_json
    from chipsmith.progress import progress_bar

    req = Requirements(min_snr_db=min_snr, min_tops_w=min_tops_w, max_area_um2=max_area,
                       max_f2_per_bit=max_f2_bit, min_tops=min_tops)
    problem = Problem(rows, cols, input_bits=input_bits, weight_bits=weight_bits, fixed_shape=fixed_shape)
    config = ExploreConfig(problem, req, pop=pop, gens=gens, seed=seed)
    if workers is not None and workers < 1:
        raise InputError(f"--workers {workers} must be >= 1", fix="e.g. --workers 2")
    lib = load_cells(cells)
    calibration = calibration if calibration is not None else default_calibration(cells)
    params = ModelParams.from_library(lib, **load_calibration(calibration))
    space = Space.for_problem(problem, lib)  # type axes: the variants this library has cells for
    if col_mux is not None:
        space = restrict_col_mux(space, col_mux)
    start = time.perf_counter()
    with staged_output(out) as stage:
        with progress_bar("acim explore", gens + 1, quiet=quiet) as advance:
            def on_gen(gen: int, hv: float) -> None:
                advance(1, description=f"acim explore gen {gen}/{gens} HV {hv:.4f}")

            if serial:
                evaluator = Evaluator(params, problem, space, chunks=1)
                result = explore(config, params, evaluator, on_gen)
                backend = "in-process"
            else:
                from chipsmith.parallel import ClusterConfig, get_client, map_unordered

                with get_client(ClusterConfig.from_env(scheduler, workers)) as client:
                    n_workers = max(1, len(client.nthreads()))
                    evaluator = Evaluator(params, problem, space,
                                          mapper=lambda fn, items: map_unordered(fn, items, client), chunks=n_workers)
                    result = explore(config, params, evaluator, on_gen)
                    backend = f"dask ({'scheduler ' + scheduler if scheduler else f'LocalCluster, {n_workers} workers'})"
        if not result.front:
            raise InputError(infeasibility_message(result, req), fix="relax the constraint or change --rows/--cols")
        designs = [Design.from_dict({k: int(v[0]) for k, v in space.decode(np.asarray(g)).items()})
                   for g, _m in result.front]
        run_info = {"algorithm": "NSGA-II (deap), constrained domination", "seed": seed, "pop": pop, "gens": gens,
                    "evaluations": result.evaluations, "unique_evaluations": result.unique_evaluations,
                    "space_size": space.size(), "col_mux_choices": list(space.col_mux),
                    "hypervolume": result.hv_history[-1]}
        doc = pareto_document(designs, params, problem, lib, req.to_dict(), run_info)
        write_json(stage / "pareto.json", doc)
        atomic_write_text(stage / "pareto.csv", pareto_csv(doc["designs"]))
        rows_cache = list(evaluator.cache.values())
        cloud_m = {k: np.array([r[k] for r in rows_cache]) for k in KEEP}
        feas = constraint_violation(cloud_m, req) == 0.0
        front = {k: np.array([d["objectives"][k] for d in doc["designs"]]) for k in ("snr_db", "tops_w", "f2_per_bit")}
        plot_front(stage / "pareto.png", front, {k: cloud_m[k][feas] for k in ("snr_db", "tops_w", "f2_per_bit")},
                   result.hv_history, title=f"ACIM {rows}x{cols}, {lib.name}, seed {seed}")
        summary = {
            "command": "acim explore", "rows": rows, "cols": cols, "cells": lib.describe(), "constraints": req.to_dict(),
            "fixed_shape": fixed_shape, "seed": seed, "pop": pop, "gens": gens, "backend": backend,
            "evaluations": result.evaluations, "unique_evaluations": result.unique_evaluations,
            "space_size": space.size(), "col_mux_choices": list(space.col_mux),
            "front_col_mux": {str(k): sum(1 for d in designs if d.col_mux == k) for k in space.col_mux},
            "feasible_evaluated": result.feasible_seen,
            "front_size": len(doc["designs"]), "hypervolume": result.hv_history[-1],
            "population_hypervolume": result.population_hv, "hv_history": result.hv_history,
            "front_ranges": ranges(doc["designs"]), "calibration": calibration_info(calibration),
            "seconds": time.perf_counter() - start, "files": ["pareto.json", "pareto.csv", "pareto.png", "summary.json"],
        }
        write_json(stage / "summary.json", summary)
    return summary


def restrict_col_mux(space: Space, text: str) -> Space:
    """The space with the col_mux gene limited to the comma-separated choices in ``text``."""
    from dataclasses import replace

    from chipsmith.layout.architecture import COL_MUX

    try:
        ks = tuple(sorted({int(x) for x in str(text).split(",") if x.strip()}))
    except ValueError:
        ks = ()
    if not ks or any(k not in COL_MUX for k in ks):
        raise InputError(f"--col-mux {text!r} is not a list of columns per ADC",
                         fix=f"use values from {', '.join(map(str, COL_MUX))}, e.g. --col-mux 1,2,4")
    missing = [k for k in ks if k not in space.col_mux]
    if missing:
        raise InputError(f"--col-mux {missing[0]} is not possible here", fix=f"this space offers "
                         f"{', '.join(map(str, space.col_mux))} (a library without a col_mux cell, or a "
                         "narrower macro, offers fewer)")
    return replace(space, col_mux=ks)


def load_front(front_dir: Path) -> dict:
    """Read and sanity-check a pareto.json (a directory or the file itself)."""
    from chipsmith.layout.report import SCHEMA

    path = Path(front_dir)
    path = path / "pareto.json" if path.is_dir() else path
    try:
        doc = json.loads(path.read_text())
    except OSError as exc:
        raise InputError(f"cannot read the front: {exc.strerror or exc}", where=str(path),
                         fix="pass the --out directory of `chipsmith acim explore`") from None
    except ValueError as exc:
        raise InputError(f"pareto.json is not valid JSON ({exc})", where=str(path), fix="rerun acim explore") from None
    if not isinstance(doc, dict) or doc.get("schema") != SCHEMA or not isinstance(doc.get("designs"), list):
        raise InputError(f"not an ACIM front (schema {SCHEMA} expected)", where=str(path),
                         fix="pass the --out directory of `chipsmith acim explore`")
    return doc


SORT_KEYS = ("snr_db", "tops_w", "f2_per_bit", "tops", "area_um2", "tops_mm2", "um2_per_bit", "cycles_per_mac")


def run_pick(front_dir: Path, *, min_snr: float | None = None, max_area: float | None = None,
             min_tops_w: float | None = None, min_tops: float | None = None, max_f2_bit: float | None = None,
             sort_by: str = "tops_w", top: int | None = None, out: Path) -> dict[str, Any]:
    """Filter a front by requirements; write picked.json (pareto.json format), picked.csv, summary.json."""
    from chipsmith.artifacts import atomic_write_text, staged_output, write_json

    if sort_by not in SORT_KEYS:
        raise InputError(f"--sort-by {sort_by!r} is not a metric", fix=f"use one of: {', '.join(SORT_KEYS)}")
    if top is not None and top < 1:
        raise InputError(f"--top {top} must be >= 1", fix="e.g. --top 5")
    req = Requirements(min_snr_db=min_snr, min_tops_w=min_tops_w, max_area_um2=max_area,
                       max_f2_per_bit=max_f2_bit, min_tops=min_tops)
    doc = load_front(front_dir)
    picked = distill(doc["designs"], req, sort_by=sort_by, top=top, source=str(Path(front_dir)))
    with staged_output(out) as stage:
        write_json(stage / "picked.json", {**doc, "picked_by": {**req.to_dict(), "sort_by": sort_by, "top": top},
                                           "designs": picked})
        atomic_write_text(stage / "picked.csv", pareto_csv(picked))
        summary = {"command": "acim pick", "front": str(front_dir), "requirements": req.to_dict(), "sort_by": sort_by,
                   "top": top, "front_size": len(doc["designs"]), "picked": len(picked),
                   "designs": [{"id": d["id"], "variables": d["variables"], "objectives": d["objectives"],
                                "area_um2": d["metrics"]["area_um2"], "tops": d["metrics"]["tops"]} for d in picked],
                   "files": ["picked.json", "picked.csv", "summary.json"]}
        write_json(stage / "summary.json", summary)
    return summary
