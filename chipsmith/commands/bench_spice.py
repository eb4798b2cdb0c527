"""`chipsmith bench spice`: ngspice runner throughput (shared vs subprocess) and netlist parse/write speed."""
from __future__ import annotations

import typer

from chipsmith.options import JsonOpt, OptionalOutOpt, QuietOpt


def register(app: typer.Typer) -> None:
    app.command("spice")(spice)


def spice(
    count: int = typer.Option(200, "--count", min=1, help="Simulations per mode."),
    as_json: JsonOpt = False,
    out: OptionalOutOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Runner throughput: simulations/s of one .op+.ac deck in subprocess and shared mode (ratio), and
    parse/write speed of a 10k-element netlist."""
    from chipsmith.artifacts import emit_summary
    from chipsmith.benchmarks import spice_bench

    summary = spice_bench.run(count, quiet=quiet or as_json)
    if emit_summary(summary, out, as_json):
        return
    _print(summary)


def _print(summary: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    runner = summary["runner"]
    table = Table(title=f"ngspice runner: {runner['deck']}, {summary['n']} runs per mode")
    for col in ("mode", "sims/s", "ms/sim (mean)", "ms/sim (median)", "throughput vs subprocess"):
        table.add_column(col, justify="right" if col != "mode" else "left")
    base = runner["subprocess"]["sims_per_s"]
    for mode in ("subprocess", "shared"):
        r = runner[mode]
        table.add_row(mode, f"{r['sims_per_s']:.1f}", f"{r['ms_per_sim']:.2f}", f"{r['median_ms']:.2f}",
                      f"{r['sims_per_s'] / base:.2f}x")
    console.print(table)
    console.print(f"modes agree on v(out): {runner['modes_agree']}")
    parse = summary["parse_write"]
    if parse.get("status") != "ok":
        console.print(f"parse/write bench: {parse.get('status')} ({parse.get('reason', '')})")
        return
    table = Table(title="netlist parse/write")
    table.add_column("figure")
    table.add_column("value", justify="right")
    for key, value in parse.items():
        if key == "status" or isinstance(value, (dict, list)):
            continue
        table.add_row(key, f"{value:.4g}" if isinstance(value, float) else str(value))
    console.print(table)
