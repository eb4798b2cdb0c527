"""`chipsmith bench acim`: exploration speed and quality (NSGA-II vs random search), front vs EasyACIM,
model error vs ngspice."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from chipsmith.options import WorkersOpt, resolve_workers


def register(app: typer.Typer) -> None:
    app.command("acim")(acim)


def acim(
    rows: int = typer.Option(256, "--rows", help="Macro rows."),
    cols: int = typer.Option(256, "--cols", help="Macro columns."),
    pop: int = typer.Option(100, "--pop", help="NSGA-II population."),
    gens: int = typer.Option(50, "--gens", help="NSGA-II generations."),
    workers: WorkersOpt = None,
    seeds: int = typer.Option(3, "--seeds", help="Seeds for the NSGA-II vs random statistics."),
    min_snr: Optional[float] = typer.Option(20.0, "--min-snr", help="Also run with this SNR constraint (dB)."),
    calibration: str = typer.Option("quick", "--calibration", help="quick (one 8-cell column, ~1 min) | full (the 64-128-cell 6-7-bit set, ~30-40 min on 2 cores) | none."),
    layout_sizes: str = typer.Option("64,128,256", "--layout-sizes",
                                     help="n x n macros to build and check (comma list; empty: skip the layout part)."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
    out: Optional[Path] = typer.Option(None, "--out", help="Write summary.json into this directory."),
    quiet: bool = typer.Option(False, "--quiet", help="No progress bars."),
) -> None:
    """ACIM exploration time (ratio to the 60 s target and to random search), hypervolume NSGA-II vs random
    search, front ranges next to EasyACIM's, and the calibration error against ngspice."""
    from chipsmith.artifacts import emit_summary
    from chipsmith.benchmarks import acim_bench
    from chipsmith.errors import InputError

    if calibration not in ("full", "quick", "none"):
        raise InputError(f"--calibration {calibration!r} is not one of full, quick, none")
    try:
        sizes = tuple(int(x) for x in layout_sizes.split(",") if x.strip())
    except ValueError:
        raise InputError(f"--layout-sizes {layout_sizes!r} is not a comma list of sizes", fix="e.g. 64,128,256") from None
    workers = resolve_workers(workers) or 1
    summary = acim_bench.run(rows=rows, cols=cols, pop=pop, gens=gens, workers=workers, seeds=seeds, min_snr=min_snr,
                             calibration=calibration, quiet=quiet or as_json, layout_sizes=sizes)
    if emit_summary(summary, out, as_json):
        return
    _print(summary)


def _print(summary: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=150)
    for key in ("exploration", "exploration_min_snr"):
        if key not in summary:
            continue
        e = summary[key]
        title = f"ACIM exploration {e['rows']}x{e['cols']}, pop {e['pop']}, {e['gens']} gens"
        title += f", min SNR {e['min_snr']:g} dB" if e["min_snr"] is not None else ", unconstrained"
        t = Table(title=title)
        t.add_column("figure")
        t.add_column("value", justify="right")
        t.add_row("wall time (s), incl. dask start + artifacts", f"{e['wall_seconds']:.2f}")
        t.add_row("ratio to the 60 s target", f"{e['wall_over_target']:.3f}x")
        t.add_row(f"ratio to random search ({e['evaluations']} evals, {e['random_search_seconds']:.3f} s, in-process)",
                  f"{e['wall_over_random_search']:.1f}x")
        t.add_row("in-process NSGA-II time (s), mean over seeds",
                  f"{sum(s['nsga2_seconds_in_process'] for s in e['seeds']) / len(e['seeds']):.2f}")
        t.add_row("speed-up vs EasyACIM's reported ~30 min", f"{e['speedup_vs_easyacim_reported']:.0f}x")
        t.add_row("hypervolume NSGA-II / random (same evals)", f"{e['nsga2_over_random']:.4f}")
        if e["nsga2_gap_to_optimum"] is not None:
            t.add_row("gap to exact optimum: NSGA-II | random",
                      f"{100 * e['nsga2_gap_to_optimum']:.3f} % | {100 * e['random_gap_to_optimum']:.3f} %")
        mh = e["mean_hv"]
        t.add_row("mean HV over seeds: NSGA-II | random | NSGA-III (pymoo)",
                  f"{mh['nsga2']:.4f} | {mh['random']:.4f} | {mh['nsga3']:.4f}")
        t.add_row("mean HV ratio NSGA-II / random | NSGA-II / NSGA-III",
                  f"{e['mean_nsga2_over_random']:.3f} | {e['mean_nsga2_over_nsga3']:.3f}")
        t.add_row("seeds where NSGA-II beats random | beats NSGA-III",
                  f"{e['nsga2_wins']}/{len(e['seeds'])} | {e['nsga2_beats_nsga3']}/{len(e['seeds'])}")
        t.add_row("space size | unique designs evaluated", f"{e['space_size']} | {e['unique_evaluations']}")
        hv = e["hv_history"]
        rc = e["hv_random_curve"]
        marks = sorted({0, len(hv) // 10, len(hv) // 4, len(hv) // 2, len(hv) - 1})
        t.add_row("HV by generation (NSGA-II / random)",
                  ", ".join(f"g{g}: {hv[g]:.4f}/{rc[g]:.4f}" for g in marks if g < len(rc)))
        r = e["front_ranges"]
        ez = summary["easyacim_reported"]
        t.add_row(f"front: TOPS/W (EasyACIM {ez['tops_w'][0]:.0f}-{ez['tops_w'][1]:.0f})",
                  f"{r['tops_w'][0]:.0f}-{r['tops_w'][1]:.0f}")
        t.add_row(f"front: F²/bit (EasyACIM {ez['f2_per_bit'][0]:.0f}-{ez['f2_per_bit'][1]:.0f})",
                  f"{r['f2_per_bit'][0]:.0f}-{r['f2_per_bit'][1]:.0f}")
        t.add_row("front: SNR (dB)", f"{r['snr_db'][0]:.1f}-{r['snr_db'][1]:.1f}")
        t.add_row("front size", str(e["front_size"]))
        console.print(t)
    if "layout" in summary:
        lay = summary["layout"]
        t = Table(title="ACIM layout generator: n x n macro (one bank, L=4, 4-bit ADC)")
        for col in ("n", "build s", "GDS bytes", "netlist bytes", "rule check s (deep)", "flat/deep",
                    "connectivity s", "match"):
            t.add_column(col, justify="right")
        for r in lay["sizes"]:
            t.add_row(str(r["n"]), f"{r['build_s']:.2f}", str(r["gds_bytes"]), str(r["cir_bytes"]), f"{r['drc_s']:.2f}",
                      f"{r['drc_flat_over_deep']:.1f}x" if "drc_flat_over_deep" in r else "",
                      f"{r['connectivity_s']:.1f}" if "connectivity_s" in r else "",
                      str(r.get("connectivity_match", "")))
        console.print(t)
        console.print(f"build / 10 s target {lay['build_over_10s_target']:.3f}, rule check / 60 s target "
                      f"{lay['drc_over_60s_target']:.3f}" + (f", GDS bytes ~ bits^{lay['gds_growth_exponent']:.2f}"
                                                      if lay["gds_growth_exponent"] is not None else ""))
    if "calibration" in summary:
        c = summary["calibration"]
        t = Table(title=f"model vs ngspice ({c['draws']} mismatch draws x {c['patterns']} patterns per config, "
                        f"{c['seconds']:.0f} s)")
        for col in ("N", "L", "B", "cap", "SNR spice", "SNR model", "err dB", "analog SNR spice/model(fit)",
                    "energy spice fJ", "model fJ", "err"):
            t.add_column(col, justify="right")
        for r in c["configs"]:
            t.add_row(str(r["n_la"]), str(r["L"]), str(r["B_ADC"]), f"{r['cap_mult']}x", f"{r['snr_spice_db']:.2f}",
                      f"{r['snr_model_db']:.2f}", f"{r['snr_error_db']:+.2f}",
                      f"{r['snr_analog_spice_db']:.1f}/{r['snr_analog_model_db']:.1f}({r['snr_analog_model_fitted_db']:.1f})",
                      f"{r['energy_spice_fj']:.1f}", f"{r['energy_model_fj']:.1f}", f"{100 * r['energy_rel_error']:+.1f} %")
        console.print(t)
        err = c["error"]
        console.print(f"max |SNR error| {err['snr_max_abs_db']:.2f} dB, max |energy error| "
                      f"{100 * err['energy_max_rel']:.1f} %, fitted k_mismatch {c['fitted']['k_mismatch']:.2f} "
                      f"(default {c['fitted']['k_mismatch_default']:.3f})")
