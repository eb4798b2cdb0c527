"""`chipsmith acim`: ACIM compiler — analytical models, NSGA-II exploration, picking, calibration, layout.

Verbs: ``explore`` (design-space exploration of an array size → pareto.json/csv/png),
``pick`` (distill a front by requirements), ``calibrate`` (ngspice column simulation
checking the analytical SNR and energy models), ``build`` (GDS + netlist + abstract of one
design, with the rule check and the connectivity check).
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from chipsmith.options import JsonOpt, OutOpt, QuietOpt, SchedulerOpt, SeedOpt, WorkersOpt, resolve_workers

app = typer.Typer(help="ACIM compiler: architecture models, NSGA-II design-space exploration, calibration.",
                  no_args_is_help=True)

_CELLS = typer.Option(None, "--cells", help="Cell library YAML (default: the shipped generic 45 nm library).")
_OUT_HELP = "Output directory (written atomically; summary.json always)."


def _emit(summary: dict, as_json: bool, lines: list[str]) -> None:
    from chipsmith.artifacts import dumps_json

    if as_json:
        typer.echo(dumps_json(summary))
    else:
        for line in lines:
            typer.echo(line)


@app.command("explore")
def explore_cmd(
    rows: int = typer.Option(..., "--rows", help="Weight rows of the macro (power of two)."),
    cols: int = typer.Option(..., "--cols", help="Weight columns of the macro (power of two)."),
    cells: Optional[Path] = _CELLS,
    min_snr: Optional[float] = typer.Option(None, "--min-snr", help="Constraint: SNR >= this (dB)."),
    max_area: Optional[float] = typer.Option(None, "--max-area", help="Constraint: macro area <= this (µm²)."),
    min_tops_w: Optional[float] = typer.Option(None, "--min-tops-w", help="Constraint: TOPS/W >= this (1b ops)."),
    min_tops: Optional[float] = typer.Option(None, "--min-tops", help="Constraint: TOPS >= this (1b ops)."),
    max_f2_bit: Optional[float] = typer.Option(None, "--max-f2-bit", help="Constraint: F²/bit <= this."),
    fixed_shape: bool = typer.Option(False, "--fixed-shape",
                                     help="One bank of exactly rows x cols (else banks of H x W tile the macro)."),
    input_bits: int = typer.Option(4, "--input-bits", help="Activation precision (bits)."),
    weight_bits: int = typer.Option(4, "--weight-bits", help="Weight precision (bits, sliced over columns)."),
    pop: int = typer.Option(100, "--pop", help="NSGA-II population (multiple of 4)."),
    gens: int = typer.Option(50, "--gens", help="NSGA-II generations."),
    seed: SeedOpt = 0,
    calibration: Optional[Path] = typer.Option(None, "--calibration",
                                               help="calibration.json from `acim calibrate` (fitted coefficients)."),
    col_mux: Optional[str] = typer.Option(None, "--col-mux", help="Columns per ADC the search may use, comma-"
                                          "separated from 1,2,4,8 (default: all; 1 = an ADC per column)."),
    scheduler: SchedulerOpt = None,
    workers: WorkersOpt = None,
    out: OutOpt = ...,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Explore H, W, L, B_ADC, input bits per cycle, cap size, device sizes, circuit types and column muxing
    (columns per ADC) for a rows x cols macro with NSGA-II.

    Writes pareto.json (each front design's variables, objectives, metrics and derived
    floorplan), pareto.csv, pareto.png and summary.json into --out.
    """
    from chipsmith.layout.flow import run_explore

    n_workers = resolve_workers(workers, scheduler)
    summary = run_explore(rows=rows, cols=cols, cells=cells, min_snr=min_snr, max_area=max_area,
                          min_tops_w=min_tops_w, min_tops=min_tops, max_f2_bit=max_f2_bit, fixed_shape=fixed_shape,
                          input_bits=input_bits, weight_bits=weight_bits, pop=pop, gens=gens, seed=seed,
                          calibration=calibration, scheduler=scheduler, workers=n_workers, serial=n_workers == 1,
                          col_mux=col_mux, out=out,
                          quiet=quiet or as_json)
    r = summary["front_ranges"]
    _emit(summary, as_json, [
        f"front: {summary['front_size']} designs from {summary['evaluations']} evaluations "
        f"({summary['unique_evaluations']} unique) in {summary['seconds']:.2f} s",
        f"  SNR {r['snr_db'][0]:.1f}..{r['snr_db'][1]:.1f} dB, TOPS/W {r['tops_w'][0]:.0f}..{r['tops_w'][1]:.0f}, "
        f"F²/bit {r['f2_per_bit'][0]:.0f}..{r['f2_per_bit'][1]:.0f}, hypervolume {summary['hypervolume']:.4f}",
        "  columns per ADC on the front: " + ", ".join(f"{k}: {n}" for k, n in summary["front_col_mux"].items()),
        f"wrote {out}/pareto.json, pareto.csv, pareto.png, summary.json",
    ])


@app.command("pick")
def pick_cmd(
    front_dir: Path = typer.Argument(..., help="Directory written by `acim explore` (holds pareto.json)."),
    min_snr: Optional[float] = typer.Option(None, "--min-snr", help="Keep designs with SNR >= this (dB)."),
    max_area: Optional[float] = typer.Option(None, "--max-area", help="Keep designs with area <= this (µm²)."),
    min_tops_w: Optional[float] = typer.Option(None, "--min-tops-w", help="Keep designs with TOPS/W >= this."),
    min_tops: Optional[float] = typer.Option(None, "--min-tops", help="Keep designs with TOPS >= this."),
    max_f2_bit: Optional[float] = typer.Option(None, "--max-f2-bit", help="Keep designs with F²/bit <= this."),
    sort_by: str = typer.Option("tops_w", "--sort-by", help="snr_db, tops_w, f2_per_bit, tops, area_um2, tops_mm2."),
    top: Optional[int] = typer.Option(None, "--top", help="Keep only the best N after sorting."),
    out: Optional[Path] = typer.Option(None, "--out", help="Output directory (default: FRONT_DIR/pick)."),
    as_json: bool = typer.Option(False, "--json", help="Print summary.json to stdout."),
    quiet: bool = typer.Option(False, "--quiet", help="Accepted for symmetry (pick is instant)."),
) -> None:
    """Distill a Pareto front by requirements: writes picked.json (same record format), picked.csv, summary.json."""
    from chipsmith.layout.flow import run_pick

    out = out or (front_dir / "pick")
    summary = run_pick(front_dir, min_snr=min_snr, max_area=max_area, min_tops_w=min_tops_w, min_tops=min_tops,
                       max_f2_bit=max_f2_bit, sort_by=sort_by, top=top, out=out)
    lines = [f"picked {summary['picked']} of {summary['front_size']} designs (sorted by {sort_by}):"]
    for d in summary["designs"][:10]:
        v, o = d["variables"], d["objectives"]
        lines.append(f"  #{d['id']}: H={v['H']} W={v['W']} L={v['L']} B_ADC={v['B_ADC']} "
                     f"in/cycle={v['input_bits_per_cycle']} cap={v['cap_mult']}x"
                     + (f" mux={v['col_mux']}" if v.get("col_mux", 1) > 1 else "") + f" -> SNR {o['snr_db']:.1f} dB, "
                     f"{o['tops_w']:.0f} TOPS/W, {o['f2_per_bit']:.0f} F²/bit, {d['area_um2']:.0f} µm²")
    lines.append(f"wrote {out}/picked.json, picked.csv, summary.json")
    _emit(summary, as_json, lines)


@app.command("calibrate")
def calibrate_cmd(
    cells: Optional[Path] = _CELLS,
    seed: SeedOpt = 0,
    patterns: int = typer.Option(24, "--patterns", help="MAC patterns per configuration and mismatch draw."),
    draws: Optional[int] = typer.Option(None, "--draws", help="Capacitor-mismatch draws per configuration "
                                        "(default 2; 3 for --size small)."),
    quick: bool = typer.Option(False, "--quick", help="One small configuration only (same as --size quick)."),
    size: str = typer.Option("default", "--size", help="Configuration set: quick (N=8, 2 bits), small (8-32 cells, "
                             "2-4 bits), large (64-128 cells, 6-7 bits), default (16-128 cells, 3-7 bits: the "
                             "shipped model), full (large + 256 cells, 8 bits)."),
    pdk: str = typer.Option("generic", "--pdk", help="Transistors of the columns: generic (the cell library's own "
                            "cards) or sky130 (SkyWater 130 nm devices, 1.8 V)."),
    corners: Optional[str] = typer.Option(None, "--corners", help="Process corners, e.g. tt,ff,ss,fs,sf (default tt); "
                                          "each gets its own fit and residuals."),
    out: OutOpt = ...,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Simulate columns (local arrays, compute caps, charge sharing, closed SAR loop with a transistor comparator)
    in ngspice, take the error apart, fit each model term and report the residual per figure, fitted and held
    out; writes calibration.json (usable as `explore --calibration`)."""
    from chipsmith.layout.calibrate import run_calibrate

    summary = run_calibrate(cells=cells, seed=seed, patterns=patterns, quick=quick, size=size, out=out,
                            quiet=quiet or as_json, draws=draws, pdk=pdk, corners=corners)
    lines = []
    for corner, res in summary["corners"].items():
        lines.append(f"{summary['pdk']} {corner}:")
        for c in res["configs"]:
            r = c.get("residual_heldout") or c["residual_fitted"]
            d = r["delay_rel_max_abs"]
            lines.append(f"  {c['label']}: SNR spice {c['snr_spice_db']:.2f} dB, model {r['model']['snr_db']:.2f} dB "
                         f"({r['snr_db']:+.2f}); energy {c['energy_spice_fj']:.1f} fJ ({100 * r['energy_rel']:+.1f} %)"
                         + (f"; delay max |{100 * d:.0f}| %" if d is not None else ""))
        e = res["residuals"]
        lines.append(f"  residual ({e['basis'].split(' (')[0]}): SNR max |{e['snr_db_max_abs']:.2f}| dB, energy max "
                     f"|{100 * e['energy_rel_max_abs']:.1f}| %"
                     + (f", delay max |{100 * e['delay_rel_max_abs']:.0f}| %" if e["delay_rel_max_abs"] is not None else ""))
    lines.append(f"wrote {out}/calibration.json, summary.json")
    _emit(summary, as_json, lines)


@app.command("build")
def build_cmd(
    design: Optional[str] = typer.Argument(None, help="DIR#INDEX: design INDEX of the front in DIR (pareto.json "
                                           "or picked.json). Or give the variables below instead."),
    rows: Optional[int] = typer.Option(None, "--rows", help="Weight rows of the macro."),
    cols: Optional[int] = typer.Option(None, "--cols", help="Weight columns of the macro."),
    bank_rows: Optional[int] = typer.Option(None, "--bank-rows", help="H: rows of one bank (default: --rows)."),
    bank_cols: Optional[int] = typer.Option(None, "--bank-cols", help="W: columns of one bank (default: --cols)."),
    local: Optional[int] = typer.Option(None, "--local", help="L: cells per local array (share one capacitor)."),
    adc_bits: Optional[int] = typer.Option(None, "--adc-bits", help="B_ADC: ADC bits per column."),
    cap_mult: int = typer.Option(1, "--cap-mult", help="Unit capacitors per compute capacitor."),
    input_bits_per_cycle: int = typer.Option(1, "--input-bits-per-cycle", help="1 (bit-serial), 2 or 4 (PWM)."),
    bitcell: Optional[str] = typer.Option(None, "--bitcell", help="Bitcell: 8t (default) or 10t (read buffer)."),
    cap_type: Optional[str] = typer.Option(None, "--cap-type", help="Compute capacitor: mom (default) or mim."),
    adc_type: Optional[str] = typer.Option(None, "--adc-type", help="ADC: sar (default) or flash (2**B - 1 "
                                           "comparators per column, B <= 4)."),
    col_mux: Optional[int] = typer.Option(None, "--col-mux", help="Columns per ADC: 1 (default), 2, 4 or 8 "
                                          "(k columns share one SAR ADC through a column mux)."),
    cells: Optional[Path] = _CELLS,
    rules: Optional[Path] = typer.Option(None, "--rules", help="Rule deck YAML (default: the FreePDK45 subset)."),
    checks: bool = typer.Option(True, "--checks/--no-checks", help="Run the rule and connectivity checks."),
    out: OutOpt = ...,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Lay out one design: macro.gds, macro.cir (same hierarchy), macro.lef, macro.png, drc.json (rule check),
    lvs.json (connectivity: opens and shorts with locations) and summary.json (area, aspect, counts, F²/bit)."""
    from chipsmith.layout.build import run_build

    s = run_build(source=design, rows=rows, cols=cols, bank_rows=bank_rows, bank_cols=bank_cols, local=local,
                  adc_bits=adc_bits, cap_mult=cap_mult, input_bits_per_cycle=input_bits_per_cycle, bitcell=bitcell,
                  cap_type=cap_type, adc_type=adc_type, col_mux=col_mux, cells=cells, rules=rules, checks=checks, out=out,
                  quiet=quiet or as_json)
    sp = s["spec"]
    lines = [f"macro {sp['rows']}x{sp['cols']} (banks {s['banks']['rows']}x{s['banks']['cols']} of H={sp['H']} "
             f"W={sp['W']}, L={sp['L']}, B_ADC={sp['B_ADC']}, cap {sp['cap_mult']}x"
             + (f", {sp['col_mux']} columns per ADC" if sp.get("col_mux", 1) > 1 else "") + f"): {s['width_um']:.1f} x "
             f"{s['height_um']:.1f} um, {s['area_um2']:.0f} um2, {s['f2_per_bit']:.0f} F2/bit, "
             f"{s['leaf_instance_total']} leaf cells in {s['gds_cells']} GDS cells ({s['gds_bytes']} bytes), "
             f"built in {s['seconds']['build']:.2f} s"]
    if s["drc"]:
        d, c = s["drc"], s["connectivity"]
        lines.append(f"rule check: {'clean' if d['clean'] else str(d['violations']) + ' violations'} "
                     f"({d['seconds']:.2f} s); connectivity: {'match' if c['match'] else 'MISMATCH'} "
                     f"({c['schematic_nets']} nets, {c['opens']} opens, {c['shorts']} shorts, {c['seconds']:.2f} s)")
    lines.append(f"wrote {out}/" + ", ".join(s["files"]))
    _emit(s, as_json, lines)
