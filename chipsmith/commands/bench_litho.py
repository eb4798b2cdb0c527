"""`chipsmith bench litho`: SOCS aerial-image speed as ratios to bare FFTs, fast-path error, throughput."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

import typer

from chipsmith.options import JsonOpt, OptionalOutOpt, QuietOpt, SeedOpt, WorkersOpt


def register(app: typer.Typer) -> None:
    app.command("litho")(litho)
    app.command("litho-model")(litho_model)


def litho(
    size: int = typer.Option(2048, "--size", min=64, help="Clip side in pixels (the 2048 nm ICCAD13 window)."),
    kernels: int = typer.Option(24, "--kernels", min=1, help="SOCS kernels used."),
    batch: Optional[int] = typer.Option(None, "--batch", min=1, help="Clips per batch for throughput "
                                        "(default 2 on CPU, 16 on CUDA)."),
    device: str = typer.Option("cpu", "--device", help="cpu or cuda."),
    repeats: int = typer.Option(3, "--repeats", min=1, help="Timing repeats (best is kept)."),
    workers: WorkersOpt = None,
    as_json: JsonOpt = False,
    out: OptionalOutOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Aerial image of a size x size clip with K kernels: time as a ratio to the bare FFTs of the same
    size and count on that device (goal <= 1.5), the band-limited fast path and its error, and
    batched throughput."""
    from chipsmith.artifacts import emit_summary
    from chipsmith.benchmarks import litho_bench

    import torch

    # In-process benchmark: --workers is torch's CPU thread count (default: all cores).
    torch.set_num_threads(workers or max(1, os.cpu_count() or 1))
    summary = litho_bench.run(size=size, kernels=kernels, batch=batch, device=device, repeats=repeats,
                              quiet=quiet or as_json)
    if emit_summary(summary, out, as_json):
        return
    from rich.console import Console
    from rich.table import Table

    s = summary
    table = Table(title=f"SOCS aerial image, {s['size']}x{s['size']}, {s['kernels']} kernels on {s['device_name']} "
                        f"({s['workload']})")
    for col in ("path", "seconds", "ratio vs bare FFTs", "max |dI|/max I", "print flips (px)", "clips/s (batch)"):
        table.add_column(col, justify="left" if col == "path" else "right")
    table.add_row("bare FFTs (1 fwd + K inv)", f"{s['bare_fft_s']:.4f}", "1.00x", "", "", "")
    table.add_row(f"full ({s['full_impl']})", f"{s['full_s']:.4f}", f"{s['full_ratio']:.2f}x", "0 (reference)", "0",
                  f"{s['throughput_full_clips_s']:.2f} ({s['batch']})")
    e = s["bandlimited_error"]
    table.add_row(f"band-limited ({s['bandlimited_grid']}^2 + Fourier)", f"{s['bandlimited_s']:.4f}",
                  f"{s['bandlimited_ratio']:.3f}x", f"{e['max_abs_err_rel']:.1e}", str(e["print_flips_px"]),
                  f"{s['throughput_bandlimited_clips_s']:.2f} ({s['batch']})")
    b = s["bilinear_error"]
    table.add_row("  same grid, bilinear instead", "", "", f"{b['max_abs_err_rel']:.1e}", str(b["print_flips_px"]), "")
    Console().print(table)
    for name, ratio in s.get("full_impl_ratios", {}).items():
        typer.echo(f"  full path, {name} implementation: {ratio:.2f}x bare FFTs")
    typer.echo(f"goal: full path <= {s['goal_full_ratio']}x bare FFTs: "
               f"{'met' if s['full_ratio'] <= s['goal_full_ratio'] else 'NOT met'} ({s['full_ratio']:.2f}x)")


def litho_model(
    source: Optional[Path] = typer.Option(None, "--source", help="Older-node dataset (litho generate); "
                                          "default: generated here with --count clips."),
    target: Optional[Path] = typer.Option(None, "--target", help="Newer-node pool to label from; default: generated."),
    test: Optional[Path] = typer.Option(None, "--test", help="Held-out newer-node clips; default: generated."),
    count: int = typer.Option(200, "--count", min=4, help="Clips per generated set (test: half)."),
    budgets: str = typer.Option("20,40,80,160,320,640", "--budgets", help="Labelled target contacts per point."),
    seeds: int = typer.Option(3, "--seeds", min=1, help="Seeds per point (mean and std)."),
    steps: int = typer.Option(400, "--steps", min=1, help="Training steps per model."),
    pretrain_steps: int = typer.Option(1500, "--pretrain-steps", min=1, help="Steps on the older node."),
    rounds: int = typer.Option(4, "--rounds", min=1, help="Acquisition rounds per budget."),
    fcn_clips: int = typer.Option(64, "--fcn-clips", min=1, help="Labelled clips for the fully convolutional model."),
    device: str = typer.Option("cpu", "--device", help="cpu or cuda."),
    seed: SeedOpt = 0,
    workers: WorkersOpt = None,
    out: OptionalOutOpt = None,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Learning curves (CD RMSE, EPE vs labelled newer-node contacts) for {scratch, transfer} x
    {random, active}, data-reduction factor, FCN IoU and speed vs the lumped resist simulation."""
    from chipsmith.lithography import flows

    s = flows.bench_model(source=source, target=target, test=test, count=count, budgets=budgets, seeds=seeds,
                          steps=steps, pretrain_steps=pretrain_steps, rounds=rounds, fcn_clips=fcn_clips,
                          device=device, seed=seed, workers=workers, out=out, quiet=quiet or as_json)
    from chipsmith.artifacts import dumps_json

    if as_json:
        typer.echo(dumps_json(s))
        return
    typer.echo(flows.model_table(s))
