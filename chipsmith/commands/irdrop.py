"""`chipsmith irdrop`: exact static and dynamic IR drop of PDN netlists, and synthetic datasets.

``solve`` parses a PDN netlist (contest or generic SPICE R/C/I/V, gzip or plain), solves
it exactly (direct sparse or AMG-CG; transient with one factorization) and writes the
IR-drop map in the contest convention. ``generate`` writes a seeded dataset of synthetic
PDNs with their exact maps. Heavy imports happen inside the commands.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from chipsmith.errors import InputError

app = typer.Typer(help="IR drop: solve PDN netlists (static/dynamic), generate synthetic datasets.",
                  no_args_is_help=True)


def _parse_shape(shape: Optional[str], like: Optional[Path]) -> tuple[int, int] | None:
    if shape and like:
        raise InputError("give either --shape or --like, not both", fix="drop one of them")
    if like is not None:
        import numpy as np

        if not like.is_file():
            raise InputError("reference map not found", where=str(like), fix="check the --like path")
        try:
            ref = np.loadtxt(like, delimiter=",", ndmin=2) if like.suffix != ".npy" else np.load(like)
        except Exception as exc:  # numpy raises ValueError/OSError for unreadable maps
            raise InputError(f"cannot read reference map ({type(exc).__name__})", where=str(like),
                             fix="pass a comma-separated or .npy map") from None
        return int(ref.shape[0]), int(ref.shape[1])
    if shape:
        try:
            nx, ny = (int(v) for v in shape.lower().split("x"))
        except ValueError:
            raise InputError(f"--shape '{shape}' is not NXxNY", fix="write e.g. --shape 298x298") from None
        if nx < 1 or ny < 1:
            raise InputError(f"--shape '{shape}' must be positive", fix="write e.g. --shape 298x298")
        return nx, ny
    return None


def _echo(summary: dict, as_json: bool, line: str) -> None:
    from chipsmith.artifacts import _json_default

    if as_json:
        typer.echo(json.dumps(summary, indent=2, default=_json_default))
    else:
        typer.echo(line)


@app.command()
def solve(
    netlist: Path = typer.Argument(..., help="PDN netlist (.sp or .sp.gz): R, C, I, V lines."),
    out: Path = typer.Option(..., "--out", help="Output directory (map .csv/.npy/.png, summary.json)."),
    currents: Optional[Path] = typer.Option(None, "--currents", help="Time-varying currents (.npz per instance "
                                            "or per tile, or .csv per instance); implies --dynamic."),
    dynamic: bool = typer.Option(False, "--dynamic", help="Transient solve (needs C elements); the map is the "
                                 "worst case over time, per-slice maps go to ir_drop_slices.npy."),
    method: str = typer.Option("auto", "--method", help="Static solver: auto, direct or amg."),
    integrator: str = typer.Option("trap", "--integrator", help="Transient integrator: trap or be."),
    dt: Optional[float] = typer.Option(None, "--dt", help="Time step (s); default t_stop/200."),
    t_stop: Optional[float] = typer.Option(None, "--tstop", help="Stop time (s); default the end of the currents."),
    slices: int = typer.Option(10, "--slices", min=1, help="Per-time-slice maps to keep (dynamic)."),
    shape: Optional[str] = typer.Option(None, "--shape", help="Map size NXxNY in um (default from the extent)."),
    like: Optional[Path] = typer.Option(None, "--like", help="Take the map size from this map (e.g. current_map.csv)."),
    map_method: str = typer.Option("cubic", "--map-method", help="cubic (contest), linear or nearest."),
    orientation: str = typer.Option("xy", "--orientation", help="xy: first index x, like the contest; image: rows = y, top row = max y."),
    lenient_names: bool = typer.Option(False, "--lenient-names", help="Accept nodes without a location (left out of maps)."),
    hotspot_fraction: float = typer.Option(0.9, "--hotspot-fraction", help="Hotspot = pixel above this fraction of the max."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
    quiet: bool = typer.Option(False, "--quiet", help="No progress output."),
) -> None:
    """Solve a PDN netlist exactly and write its IR-drop map (first index x, 1 um pixels, volts)."""
    import time

    import numpy as np

    from chipsmith.artifacts import staged_output, write_json
    from chipsmith.irdrop.dynamic import (INTEGRATORS, load_profile, netlist_profile, solve_transient,
                                          validate_transient)
    from chipsmith.irdrop.maps import MAP_METHODS, ORIENTATIONS, MapBuilder, hotspots
    from chipsmith.irdrop.outputs import npy_bytes, worst_pixel, write_map
    from chipsmith.irdrop.parser import parse_pdn
    from chipsmith.irdrop.static import METHODS, solve_static
    from chipsmith.progress import progress_bar

    for value, allowed, opt in ((method, METHODS, "--method"), (integrator, INTEGRATORS, "--integrator"),
                                (map_method, MAP_METHODS, "--map-method"), (orientation, ORIENTATIONS, "--orientation")):
        if value not in allowed:
            raise InputError(f"{opt} '{value}' is not one of {', '.join(allowed)}", fix=f"pass {opt} {allowed[0]}")
    if not 0 < hotspot_fraction < 1:
        raise InputError(f"--hotspot-fraction {hotspot_fraction} must be between 0 and 1", fix="e.g. 0.9")
    map_shape = _parse_shape(shape, like)
    dynamic = dynamic or currents is not None

    t0 = time.perf_counter()
    pdn = parse_pdn(netlist, strict=not lenient_names)
    parse_s = time.perf_counter() - t0
    builder = MapBuilder(pdn, shape=map_shape, method=map_method)
    summary: dict = {"netlist": str(netlist), "nodes": pdn.n_nodes, "resistors": len(pdn.r_ohm),
                     "current_sources": len(pdn.i_amp), "pads": len(pdn.v_node), "capacitors": len(pdn.c_farad),
                     "vdd_V": pdn.vdd, "parse_seconds": parse_s, "analysis": "dynamic" if dynamic else "static"}
    slices_map = None
    if not dynamic:
        sol = solve_static(pdn, method=method)
        node_drop = sol.drop
        summary.update(method=sol.method, unknowns=sol.n_unknowns, solve_seconds=sol.solve_seconds,
                       solve_phases=sol.seconds, cg_iterations=sol.iterations,
                       relative_residual=sol.relative_residual)
    else:
        profile = load_profile(currents, pdn) if currents is not None else netlist_profile(pdn)
        stop = t_stop if t_stop is not None else profile.t_end
        if not stop > 0:
            raise InputError("no stop time: the currents do not vary in time", where=str(currents or netlist),
                             fix="pass --tstop")
        step = dt if dt is not None else stop / 200
        n_steps = validate_transient(pdn, dt=step, t_stop=stop, integrator=integrator)
        with progress_bar("transient", n_steps, quiet=quiet or as_json) as advance:
            dyn = solve_transient(pdn, profile, dt=step, t_stop=stop, integrator=integrator, n_slices=slices,
                                  progress=advance)
        node_drop = dyn.worst_drop
        slices_map = builder(dyn.slice_node_values(pdn.n_nodes))
        summary.update(method="direct (one factorization)", integrator=integrator, dt_s=step, t_stop_s=stop,
                       time_steps=dyn.n_steps, factorizations=dyn.factorizations,
                       solve_seconds=float(sum(v for k, v in dyn.seconds.items() if k != "steps_cpu")), solve_phases=dyn.seconds,
                       seconds_per_step=dyn.seconds_per_step, currents_kind=profile.kind,
                       slice_times_s=dyn.slice_times.tolist(),
                       slice_max_drop_V=[float(m.max()) for m in slices_map])
    ir_map = builder(node_drop)
    wx, wy = worst_pixel(ir_map)
    worst_node = int(np.argmax(node_drop))
    hot = hotspots(ir_map, hotspot_fraction)
    summary.update(map_shape=list(builder.shape), orientation=orientation, map_method=map_method,
                   max_drop_V=float(ir_map.max()), mean_drop_V=float(ir_map.mean()),
                   worst_pixel_xy_um=[wx, wy], max_node_drop_V=float(node_drop[worst_node]),
                   worst_node=pdn.name_of(worst_node), worst_node_place=pdn.where(worst_node),
                   hotspot_fraction=hotspot_fraction, hotspot_count=int(hot.sum()))
    title = f"{netlist.name}: {'worst-case dynamic' if dynamic else 'static'} IR drop"
    with staged_output(out) as stage:
        files = write_map(stage, "ir_drop_map", ir_map, orientation=orientation, title=title)
        if slices_map is not None:
            from chipsmith.artifacts import atomic_write_bytes
            from chipsmith.irdrop.maps import orient

            arr = np.stack([orient(m, orientation) for m in slices_map])
            atomic_write_bytes(stage / "ir_drop_slices.npy", npy_bytes(arr))
            files.append("ir_drop_slices.npy")
        summary["files"] = files + ["summary.json"]
        write_json(stage / "summary.json", summary)
    _echo(summary, as_json, f"{netlist.name}: max drop {summary['max_drop_V'] * 1e3:.4f} mV at ({wx}, {wy}) um, "
          f"mean {summary['mean_drop_V'] * 1e3:.4f} mV, {summary['hotspot_count']} hotspot pixels, "
          f"{summary['method']} in {summary['solve_seconds']:.3f} s -> {out}")


@app.command()
def generate(
    out: Path = typer.Option(..., "--out", help="Dataset directory (case0000/, ..., summary.json)."),
    n: int = typer.Option(10, "--n", min=1, max=100000, help="Number of cases."),
    dynamic: bool = typer.Option(False, "--dynamic", help="Add capacitances, per-tile PWL currents and dynamic maps."),
    seed: int = typer.Option(0, "--seed", help="Dataset seed; same seed, same files."),
    size_um: str = typer.Option("150:350", "--size-um", help="Die side range MIN:MAX in um."),
    workers: int = typer.Option(1, "--workers", min=1, help="Parallel dask workers (1 = in process)."),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", help="dask scheduler address (default: local)."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
    quiet: bool = typer.Option(False, "--quiet", help="No progress output."),
) -> None:
    """Write a seeded dataset of synthetic PDNs in the contest format with exact IR-drop maps."""
    import time

    from chipsmith.artifacts import staged_output, write_json
    from chipsmith.irdrop.dataset import CaseTask, case_seeds, make_case
    from chipsmith.progress import progress_bar

    try:
        lo, hi = (float(v) for v in size_um.split(":"))
    except ValueError:
        raise InputError(f"--size-um '{size_um}' is not MIN:MAX", fix="write e.g. --size-um 150:350") from None
    if not (20 <= lo <= hi <= 5000):
        raise InputError(f"--size-um {size_um} must satisfy 20 <= MIN <= MAX <= 5000", fix="e.g. 150:350")
    t0 = time.perf_counter()
    with staged_output(out) as stage:
        tasks = [CaseTask(index=i, seed=s, out_dir=str(stage), dynamic=dynamic, size_um=(lo, hi))
                 for i, s in enumerate(case_seeds(seed, n))]
        with progress_bar("generate", n, quiet=quiet or as_json) as advance:
            if workers > 1 or scheduler:
                from chipsmith.parallel import ClusterConfig, parallel_map

                records = parallel_map(make_case, tasks, ClusterConfig.from_env(scheduler=scheduler, workers=workers),
                                       on_result=lambda i, r: advance(1))
            else:
                records = []
                for task in tasks:
                    records.append(make_case(task))
                    advance(1)
        summary = {"cases": n, "seed": seed, "dynamic": dynamic, "size_um": [lo, hi],
                   "seconds": time.perf_counter() - t0, "records": records}
        write_json(stage / "summary.json", summary)
    _echo(summary, as_json, f"{n} {'dynamic' if dynamic else 'static'} cases (seed {seed}) -> {out}")
