"""Artifacts of an exploration: the pareto.json records (the layout generator's input), CSV and summary.

A design record is complete on its own: the variables, the objectives, every model
metric with its breakdown (noise powers, energy per component, phase timing), and the
derived floorplan (:func:`chipsmith.layout.architecture.floorplan`), plus, once per file,
the problem, constraints, process and cell-library identity (path + sha256).
"""
from __future__ import annotations

import csv
import io
from typing import Mapping, Sequence

import numpy as np

from chipsmith.layout.architecture import VARIABLES, Design, Problem, floorplan
from chipsmith.layout.cells import CellLibrary
from chipsmith.layout.models import ModelParams, evaluate

SCHEMA = "chipsmith.acim.pareto/1"
OBJECTIVES = {"snr_db": "max", "tops_w": "max", "f2_per_bit": "min"}
METRIC_KEYS = ("tops", "tops_precision", "tops_mm2", "area_um2", "um2_per_bit", "sqnr_db", "cycles_per_mac",
               "conversions_per_dot", "ops_per_cycle_bank")
NOISE_KEYS = ("fs_v", "p_signal", "n_quant", "n_thermal", "n_comparator", "n_mismatch", "n_injection", "n_pwm",
              "n_mux_injection", "n_mux_crosstalk")
ENERGY_KEYS = ("e_mac_fj", "e_switch_fj", "e_cdac_fj", "e_adc_logic_fj", "e_drivers_fj", "e_leak_fj", "e_ctrl_fj",
               "e_mux_fj", "e_cycle_fj")
TIMING_KEYS = ("t_precharge_ps", "t_compute_ps", "t_share_ps", "t_bit_ps", "t_mux_ps", "t_convert_ps", "t_cycle_ps")
CAP_KEYS = ("cu", "c_lbl", "c_cl", "c_bus", "c_s", "c_t")


def design_record(index: int, design: Design, params: ModelParams, problem: Problem) -> dict:
    """One front member as a JSON-ready dict (variables, objectives, metrics, derived geometry)."""
    m = {k: float(v[0]) for k, v in evaluate(design.arrays(), params, problem).items()}
    return {
        "id": index,
        "variables": design.to_dict(),
        "objectives": {k: m[k] for k in OBJECTIVES},
        "metrics": {**{k: m[k] for k in METRIC_KEYS}, "t_cycle_ns": m["t_cycle_ps"] * 1e-3,
                    "e_cycle_pj": m["e_cycle_fj"] * 1e-3},
        "noise_v2": {k: m[k] for k in NOISE_KEYS},
        "energy_fj_per_cycle_bank": {k: m[k] for k in ENERGY_KEYS},
        "timing_ps": {k: m[k] for k in TIMING_KEYS},
        "capacitance_ff": {k: m[k] for k in CAP_KEYS},
        "derived": floorplan(design, params, problem),
    }


def pareto_document(designs: Sequence[Design], params: ModelParams, problem: Problem, lib: CellLibrary,
                    constraints: Mapping, run: Mapping) -> dict:
    """The whole pareto.json: problem, constraints, library identity, model parameters, designs."""
    return {
        "schema": SCHEMA,
        "problem": {"rows": problem.rows, "cols": problem.cols, "input_bits": problem.input_bits,
                    "weight_bits": problem.weight_bits, "fixed_shape": problem.fixed_shape,
                    "input_activity": problem.input_activity, "weight_activity": problem.weight_activity},
        "objectives": OBJECTIVES,
        "constraints": dict(constraints),
        "run": dict(run),
        "cells": lib.describe(),
        "model_params": params.to_dict(),
        "variables": list(VARIABLES),
        "designs": [design_record(i, d, params, problem) for i, d in enumerate(designs)],
    }


def pareto_csv(designs: Sequence[Mapping]) -> str:
    """Flat CSV: one row per design, variables then objectives then headline metrics."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    header = ["id", *VARIABLES, *OBJECTIVES, *METRIC_KEYS, "t_cycle_ns", "e_cycle_pj", "banks"]
    w.writerow(header)
    for d in designs:
        v = Design.from_dict(d["variables"]).to_dict()  # an older front lacks the later genes: their defaults
        w.writerow([d["id"], *(v[k] for k in VARIABLES), *(_fmt(d["objectives"][k]) for k in OBJECTIVES),
                    *(_fmt(d["metrics"][k]) for k in METRIC_KEYS), _fmt(d["metrics"]["t_cycle_ns"]),
                    _fmt(d["metrics"]["e_cycle_pj"]), d["derived"]["banks"]["count"]])
    return buf.getvalue()


def _fmt(x: float) -> str:
    return f"{x:.6g}"


def ranges(designs: Sequence[Mapping]) -> dict:
    """Min/max of the headline figures over a set of design records."""
    out = {}
    for key in ("snr_db", "tops_w", "f2_per_bit", "tops", "area_um2"):
        vals = np.array([d["objectives"].get(key, d["metrics"].get(key)) for d in designs], float)
        out[key] = [float(vals.min()), float(vals.max())] if len(vals) else None
    return out
