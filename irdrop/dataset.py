"""Synthetic IR-drop datasets: many seeded PDN cases, each with inputs and exact labels.

One case directory mirrors the contest layout so that the same loaders read both:
``netlist.sp``, ``current_map.csv``, ``eff_dist_map.csv`` (inputs) and
``ir_drop_map.csv`` (static label from :func:`solve_static`), all [x][y] at 1 µm.
Dynamic cases add ``currents.npz`` (per-tile PWL: ``times``, ``values`` (tx, ty, K),
``tile_um``), C elements in the netlist, ``dynamic_ir_drop_map.csv`` (worst case over
time) and ``dynamic_slices.npy`` (S, nx, ny). ``case.json`` records the seed and the
full generator config, so a case can be rebuilt; no timings go into case files, so the
same seed gives byte-identical files.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from chipsmith.artifacts import atomic_write_text, write_json
from chipsmith.irdrop.dynamic import solve_transient
from chipsmith.irdrop.generate import generate_pdn, random_config, write_netlist
from chipsmith.irdrop.maps import MapBuilder, current_map, eff_dist_map
from chipsmith.irdrop.outputs import csv_text, npy_bytes, write_npz
from chipsmith.irdrop.static import solve_static


@dataclass(frozen=True)
class CaseTask:
    """Everything one worker needs to build one case (picklable for dask)."""

    index: int
    seed: int
    out_dir: str
    dynamic: bool = False
    size_um: tuple[float, float] = (150.0, 350.0)
    steps_per_interval: int = 2
    n_slices: int = 8
    style: str = "uniform"  # generator style, see generate.random_config


def case_seeds(seed: int, n: int) -> list[int]:
    """Independent per-case seeds derived from one dataset seed (stable across runs)."""
    return [int(s.generate_state(1)[0]) for s in np.random.SeedSequence(seed).spawn(n)]


def make_case(task: CaseTask) -> dict:
    """Generate, solve and write one case; returns its record for the dataset summary."""
    from chipsmith.artifacts import atomic_write_bytes

    rng = np.random.default_rng(task.seed)
    cfg = random_config(rng, size_um=task.size_um, dynamic=task.dynamic, style=task.style)
    case = generate_pdn(cfg, task.seed, dynamic=task.dynamic)
    pdn = case.pdn
    d = Path(task.out_dir) / f"case{task.index:04d}"
    d.mkdir(parents=True, exist_ok=True)
    write_netlist(pdn, d / "netlist.sp")
    builder = MapBuilder(pdn)
    static = solve_static(pdn)
    ir = builder(static.drop)
    atomic_write_text(d / "ir_drop_map.csv", csv_text(ir))
    atomic_write_text(d / "current_map.csv", csv_text(current_map(pdn, shape=builder.shape)))
    atomic_write_text(d / "eff_dist_map.csv", csv_text(eff_dist_map(pdn, shape=builder.shape)))
    record = {"case": d.name, "seed": task.seed, "nodes": pdn.n_nodes, "resistors": len(pdn.r_ohm),
              "sources": len(pdn.i_amp), "pads": len(pdn.v_node), "map_shape": list(builder.shape),
              "static_max_drop_V": float(ir.max())}
    if task.dynamic:
        times = case.times
        dt = float(times[1] - times[0]) / task.steps_per_interval
        dyn = solve_transient(pdn, case.profile, dt=dt, t_stop=float(times[-1]), n_slices=task.n_slices)
        worst = builder(dyn.worst_drop)
        slices = builder(dyn.slice_node_values(pdn.n_nodes))
        write_npz(d / "currents.npz", times=times, values=case.tile_values, tile_um=np.array(cfg.tile_um))
        atomic_write_text(d / "dynamic_ir_drop_map.csv", csv_text(worst))
        atomic_write_bytes(d / "dynamic_slices.npy", npy_bytes(slices))
        record.update(dynamic_max_drop_V=float(worst.max()), time_steps=dyn.n_steps, dt_s=dt,
                      slice_times_s=dyn.slice_times.tolist(), capacitors=len(pdn.c_farad))
    write_json(d / "case.json", {**record, "config": dataclasses.asdict(cfg)})
    return record
