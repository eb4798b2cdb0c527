"""`chipsmith bench irdrop`: contest accuracy, solve time vs bare spsolve, ngspice speedup,
direct vs AMG-CG scaling and transient time per step (all as ratios measured in-process)."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from chipsmith.errors import InputError


def register(app: typer.Typer) -> None:
    app.command("irdrop")(irdrop)


def irdrop(
    cases: str = typer.Option("all", "--cases", help="Contest cases: all, real, none, or the first N."),
    repeats: int = typer.Option(7, "--repeats", min=1, help="Timing repeats (best is kept)."),
    sizes: str = typer.Option("0.1M", "--sizes", help="Scaling grid sizes in unknowns, e.g. 0.1M,1M,4M ('' = none)."),
    direct_max: str = typer.Option("2M", "--direct-max", help="Skip the direct solver above this many unknowns."),
    dynamic_nodes: str = typer.Option("0.1M", "--dynamic-nodes", help="Grid size of the transient figure (0 = skip)."),
    dynamic_steps: int = typer.Option(100, "--dynamic-steps", min=0, help="Transient steps (e.g. 1000)."),
    ngspice_cases: str = typer.Option("real", "--ngspice-cases", help="Cases for the ngspice speedup: real, all, none, N."),
    graph_nodes: str = typer.Option("0", "--graph-nodes", help="Time a PDNGraph build on a grid of this size (e.g. 1M; 0 = skip)."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
    out: Optional[Path] = typer.Option(None, "--out", help="Write summary.json into this directory."),
    quiet: bool = typer.Option(False, "--quiet", help="No progress bars."),
) -> None:
    """IR drop: accuracy on every contest case and speed ratios (see README for the figures)."""
    from chipsmith.artifacts import emit_summary
    from chipsmith.benchmarks import irdrop_bench

    try:
        size_list = [irdrop_bench.parse_size(s) for s in sizes.split(",") if s.strip()]
        dmax = irdrop_bench.parse_size(direct_max)
        dyn_n = irdrop_bench.parse_size(dynamic_nodes)
        graph_n = irdrop_bench.parse_size(graph_nodes)
    except ValueError:
        raise InputError("sizes must look like 100k, 0.1M or 4M", fix="e.g. --sizes 0.1M,1M") from None
    if cases not in ("all", "real", "none") and not cases.isdigit():
        raise InputError(f"--cases '{cases}' is not all, real, none or a number", fix="e.g. --cases all")
    summary = irdrop_bench.run(cases=cases, repeats=repeats, sizes=size_list, direct_max=dmax,
                               dynamic_nodes=dyn_n, dynamic_steps=dynamic_steps, ngspice_cases=ngspice_cases,
                               graph_nodes=graph_n,
                               quiet=quiet or as_json)
    if emit_summary(summary, out, as_json):
        return
    _print(summary)


def _print(s: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    con = Console(width=120)
    if "accuracy" in s:
        t = Table(title="contest cases: map vs golden ir_drop_map, static solve vs bare spsolve (same matrix)")
        for col in ("case", "nodes", "MAE (V)", "max-drop err", "F1@90%", "solve/spsolve wall", "cpu"):
            t.add_column(col, justify="left" if col == "case" else "right")
        for r in s["accuracy"]:
            t.add_row(r["case"], str(r["nodes"]), f"{r['mae_V']:.2e}", f"{100 * r['max_drop_rel_error']:.3f}%",
                      f"{r['hotspot_f1']:.3f}", f"{r['ratio_vs_spsolve']:.2f}x", f"{r['cpu_ratio_vs_spsolve']:.2f}x")
        con.print(t)
        a = s["accuracy_summary"]
        con.print(f"{a['cases']} cases: max MAE {a['max_mae_V']:.2e} V (target < 3e-5), max max-drop error "
                  f"{100 * a['max_max_drop_rel_error']:.3f}% (target < 1%), solve/spsolve median "
                  f"{a['median_ratio_vs_spsolve']:.2f}x, max {a['max_ratio_vs_spsolve']:.2f}x wall (CPU time: median "
                  f"{a['median_cpu_ratio_vs_spsolve']:.2f}x, max {a['max_cpu_ratio_vs_spsolve']:.2f}x; target <= 1.5x); "
                  f"all pass: {a['all_pass']}")
    if s.get("ngspice"):
        t = Table(title="speedup over ngspice -b (same netlist, op)")
        for col in ("case", "nodes", "ngspice / ours", "max |dV| (V)"):
            t.add_column(col, justify="left" if col == "case" else "right")
        for r in s["ngspice"]:
            t.add_row(r["case"], str(r["nodes"]), f"{r['speedup']:.1f}x", f"{r['max_abs_diff_V']:.1e}")
        con.print(t)
    if s.get("scaling"):
        t = Table(title="scaling: direct LU vs AMG-CG (synthetic contest-like grids)")
        for col in ("unknowns", "direct (s)", "AMG-CG (s)", "AMG/direct wall", "AMG/direct CPU", "CG its",
                    "max |dV| (V)"):
            t.add_column(col, justify="right")
        for r in s["scaling"]:
            d = r.get("direct_s")
            t.add_row(f"{r['unknowns']:,}", f"{d:.2f}" if d else "skipped", f"{r['amg_s']:.2f}",
                      f"{r['amg_over_direct']:.2f}x" if r.get("amg_over_direct") else "-",
                      f"{r['amg_over_direct_cpu']:.2f}x" if r.get("amg_over_direct_cpu") else "-", str(r["amg_iterations"]),
                      f"{r['max_abs_diff_V']:.1e}" if "max_abs_diff_V" in r else "-")
        con.print(t)
    if s.get("graph"):
        g = s["graph"]
        con.print(f"PDNGraph: {g['nodes']:,} nodes, {g['edges']:,} edges built in {g['graph_build_s']:.2f} s "
                  f"({g['graph_build_cpu_s']:.2f} s CPU) = {g['graph_over_assembly']:.2f}x wall, "
                  f"{g['graph_over_assembly_cpu']:.2f}x CPU the conductance-matrix assembly of the same grid")
    if s.get("dynamic"):
        d = s["dynamic"]
        con.print(f"transient: {d['unknowns']:,} unknowns, {d['steps']} steps, {d['factorizations']} factorizations "
                  f"(DC + transient); per step {d['per_step_s'] * 1e3:.2f} ms wall, "
                  f"{d['per_step_cpu_s'] * 1e3:.2f} ms CPU = "
                  f"{d['per_step_over_factor']:.3f}x the factorization = "
                  f"{d['per_step_over_static_solve']:.3f}x a static direct solve")
