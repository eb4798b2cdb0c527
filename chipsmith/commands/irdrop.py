"""`chipsmith irdrop`: exact IR drop of PDN netlists, synthetic datasets, learned predictors.

Each command parses its options and calls one flow in :mod:`chipsmith.irdrop.flows`;
heavy imports happen inside the commands.
"""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

from chipsmith.options import JsonOpt, LimitOpt, OutOpt, QuietOpt, SchedulerOpt, SeedOpt, WorkersOpt, resolve_workers

app = typer.Typer(help="IR drop: exact solves of PDN netlists (static/dynamic), synthetic datasets, "
                       "GNN-CNN and U-Net predictors (train, predict, eval).", no_args_is_help=True)

DeviceOpt = typer.Option("auto", "--device", help="cpu, cuda, cuda:N or auto (GPU when visible).")


def _echo(summary: dict, as_json: bool, line: str) -> None:
    from chipsmith.artifacts import dumps_json

    if as_json:
        typer.echo(dumps_json(summary))
    else:
        typer.echo(line)


@app.command()
def solve(
    netlist: Path = typer.Argument(..., help="PDN netlist (.sp or .sp.gz): R, C, I, V lines."),
    out: OutOpt = ...,
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
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Solve a PDN netlist exactly and write its IR-drop map (first index x, 1 um pixels, volts)."""
    from chipsmith.irdrop import flows

    s = flows.solve(netlist, out, currents=currents, dynamic=dynamic, method=method, integrator=integrator, dt=dt,
                    t_stop=t_stop, slices=slices, shape=shape, like=like, map_method=map_method,
                    orientation=orientation, lenient_names=lenient_names, hotspot_fraction=hotspot_fraction,
                    quiet=quiet or as_json)
    wx, wy = s["worst_pixel_xy_um"]
    _echo(s, as_json, f"{netlist.name}: max drop {s['max_drop_V'] * 1e3:.4f} mV at ({wx}, {wy}) um, "
          f"mean {s['mean_drop_V'] * 1e3:.4f} mV, {s['hotspot_count']} hotspot pixels, "
          f"{s['method']} in {s['solve_seconds']:.3f} s -> {out}")


@app.command()
def generate(
    out: OutOpt = ...,
    count: int = typer.Option(10, "--count", min=1, max=100000, help="Number of cases."),
    dynamic: bool = typer.Option(False, "--dynamic", help="Add capacitances, per-tile PWL currents and dynamic maps."),
    seed: SeedOpt = 0,
    size_um: str = typer.Option("150:350", "--size-um", help="Die side range MIN:MAX in um."),
    style: str = typer.Option("uniform", "--style", help="uniform (even straps and loads), contest (per-region "
                              "strap thinning, clustered loads, empty macros: like the contest's real cases) or mixed."),
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Write a seeded dataset of synthetic PDNs in the contest format with exact IR-drop maps."""
    from chipsmith.irdrop import flows

    s = flows.generate(out, count=count, dynamic=dynamic, seed=seed, size_um=size_um, style=style,
                       workers=resolve_workers(workers, scheduler), scheduler=scheduler, quiet=quiet or as_json)
    _echo(s, as_json, f"{count} {'dynamic' if dynamic else 'static'} cases (seed {seed}) in {s['seconds']:.1f} s -> {out}")


@app.command()
def train(
    out: OutOpt = ...,
    data: List[str] = typer.Option(..., "--data", help="Case directories or dataset names (repeatable), e.g. "
                                   "iccad23-irdrop and the output of `irdrop generate`."),
    model: str = typer.Option("pdnnet", "--model", help="pdnnet (dual-branch GNN-CNN) or unet (baseline)."),
    config: str = typer.Option("cpu", "--config", help="Preset: cpu (small, tests), gpu (real runs), gpu-ft "
                               "(gpu with a final fine-tuning phase on contest designs), gpu-prior (gpu with "
                               "the physics prior) or gpu-prior128 (128 prior steps, pooled prior map)."),
    prior_iters: Optional[int] = typer.Option(None, "--prior-iters", min=0, help="Physics prior: truncated-CG "
                                              "steps whose drop map the model gets and corrects (0 = none; "
                                              "overrides the preset)."),
    prior_map: Optional[str] = typer.Option(None, "--prior-map", help="How the prior's node drops become its "
                                            "map: pool (scatter + normalised convolution, ms) or linear "
                                            "(Delaunay interpolation; overrides the preset)."),
    init: Optional[str] = typer.Option(None, "--init", help="Start from this checkpoint (a path or a shipped "
                                       "model name, e.g. pdnnet); it must be of the same --model."),
    finetune_fraction: Optional[float] = typer.Option(None, "--finetune-fraction", min=0.0, max=1.0,
                                                      help="Share of the run spent fine-tuning on contest designs "
                                                      "(overrides the preset; 1 = fine-tune only)."),
    epochs: Optional[int] = typer.Option(None, "--epochs", min=1, help="Override the preset's epochs."),
    size: Optional[int] = typer.Option(None, "--size", min=8, help="Model grid S (maps are resampled to SxS)."),
    batch_size: Optional[int] = typer.Option(None, "--batch-size", min=1, help="Override the preset's batch size."),
    lr: Optional[float] = typer.Option(None, "--lr", help="Override the preset's learning rate."),
    test_case: Optional[List[str]] = typer.Option(None, "--test-case", help="Held-out case (end of its name; "
                                                   "repeatable; default real/testcase2 and real/testcase12)."),
    time_budget: Optional[float] = typer.Option(None, "--time-budget", help="Stop training after this many seconds."),
    cache: Optional[Path] = typer.Option(None, "--cache", help="Processed-graph cache (default ~/.cache/chipsmith)."),
    device: str = DeviceOpt,
    no_eval: bool = typer.Option(False, "--no-eval", help="Skip the held-out evaluation after training."),
    seed: SeedOpt = 0,
    limit: LimitOpt = None,
    workers: WorkersOpt = None,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Train an IR-drop predictor; writes model.pt (config + data version inside), history, test metrics.

    Several GPUs: `torchrun --nproc_per_node N -m chipsmith irdrop train ...` (DDP; rank 0 writes).
    """
    from chipsmith.irdrop import flows

    s = flows.train(data, out, model=model, preset=config, epochs=epochs, size=size, batch_size=batch_size, lr=lr,
                    seed=seed, test_cases=tuple(test_case) if test_case else None, time_budget_s=time_budget,
                    cache=cache, limit=limit, workers=resolve_workers(workers), device=device,
                    evaluate_test=not no_eval, quiet=quiet or as_json, init=init,
                    finetune_fraction=finetune_fraction, prior_iters=prior_iters, prior_map=prior_map)
    if "rank" in s:  # a torchrun worker other than rank 0: rank 0 reports
        _echo(s, as_json, f"{s['model']}: rank {s['rank']} of {s['world_size']} done ({s['epochs_run']} epochs)")
        return
    line = (f"{s['model']}: {s['splits']['train']} train / {s['splits']['val']} val / {s['splits']['test']} test cases, "
            f"{s['epochs_run']} epochs in {s['train_seconds']:.1f} s on {s['device']}")
    if "test" in s:
        a = s["test"]["all"]
        line += f"; test MAE {a['mean_mae_V']:.3e} V, F1 {a['mean_hotspot_f1']:.3f}"
    _echo(s, as_json, line + f" -> {out}")


@app.command()
def predict(
    source: Path = typer.Argument(..., help="PDN netlist, a case directory (netlist.sp, optional currents.npz), or "
                                  "feature maps (the features.npz a predict run writes; a U-Net trained without "
                                  "the physics prior reads them)."),
    out: OutOpt = ...,
    model: Optional[str] = typer.Option(None, "--model", help="Training output directory, model.pt, or a shipped "
                                        "model: pdnnet (default for a netlist), unet, unet-maps (default for "
                                        "feature maps: trained on the contest maps alone)."),
    shape: Optional[str] = typer.Option(None, "--shape", help="Map size NXxNY in um (default from the extent)."),
    like: Optional[Path] = typer.Option(None, "--like", help="Take the map size from this map."),
    orientation: str = typer.Option("xy", "--orientation", help="xy (contest) or image."),
    device: str = DeviceOpt,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Predict the IR-drop map of a netlist or of feature maps with a trained model (CSV/NPY/PNG + summary)."""
    from chipsmith.irdrop import flows

    s = flows.predict(model, source, out, device=device, orientation=orientation, shape=shape, like=like)
    wx, wy = s["worst_pixel_xy_um"]
    _echo(s, as_json, f"{source.name}: predicted max drop {s['max_drop_V'] * 1e3:.4f} mV at ({wx}, {wy}) um "
          f"({s['model']}, forward {s['forward_seconds'] * 1e3:.1f} ms) -> {out}")


@app.command("eval")
def evaluate(
    out: OutOpt = ...,
    data: List[str] = typer.Option(..., "--data", help="Case directories or dataset names (repeatable)."),
    model: str = typer.Option("pdnnet", "--model", help="Training output directory, model.pt or shipped name."),
    split: str = typer.Option("test", "--split", help="The checkpoint's test, val or train cases, or all given cases."),
    no_timing: bool = typer.Option(False, "--no-timing", help="Skip timing the exact solver."),
    cache: Optional[Path] = typer.Option(None, "--cache", help="Processed-graph cache."),
    device: str = DeviceOpt,
    limit: LimitOpt = None,
    workers: WorkersOpt = None,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """MAE, max error, hotspot F1 (90% of max), correlation and speed vs the exact solver, per case."""
    from chipsmith.irdrop import flows

    s = flows.evaluate(model, data, out, split=split, cache=cache, limit=limit, workers=resolve_workers(workers),
                       device=device, exact_timing=not no_timing, quiet=quiet or as_json)
    a = s["summary"]["all"]
    speed = f", exact/predict {a['median_exact_over_predict']:.1f}x" if "median_exact_over_predict" in a else ""
    _echo(s, as_json, f"{s['model']} on {a['cases']} {split} case(s): MAE {a['mean_mae_V']:.3e} V, "
          f"F1 {a['mean_hotspot_f1']:.3f}{speed} -> {out}")
