"""`chipsmith bench litho`: SOCS aerial-image speed as ratios to bare FFTs, fast-path error, throughput."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer


def register(app: typer.Typer) -> None:
    app.command("litho")(litho)


def litho(
    size: int = typer.Option(2048, "--size", min=64, help="Clip side in pixels (the 2048 nm ICCAD13 window)."),
    kernels: int = typer.Option(24, "--kernels", min=1, help="SOCS kernels used."),
    batch: Optional[int] = typer.Option(None, "--batch", min=1, help="Clips per batch for throughput "
                                        "(default 2 on CPU, 16 on CUDA)."),
    device: str = typer.Option("cpu", "--device", help="cpu or cuda."),
    repeats: int = typer.Option(3, "--repeats", min=1, help="Timing repeats (best is kept)."),
    threads: Optional[int] = typer.Option(None, "--threads", min=1, help="torch CPU threads (default: torch's)."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
    out: Optional[Path] = typer.Option(None, "--out", help="Write summary.json into this directory."),
    quiet: bool = typer.Option(False, "--quiet", help="No progress output."),
) -> None:
    """Aerial image of a size x size clip with K kernels: time as a ratio to the bare FFTs of the same
    size and count on that device (goal <= 1.5), the band-limited fast path and its error, and
    batched throughput."""
    from chipsmith.artifacts import emit_summary
    from chipsmith.benchmarks import litho_bench

    if threads is not None:
        import torch

        torch.set_num_threads(threads)
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
