"""`chipsmith spice`: check netlists, simulate them with ngspice, list the block library.

The commands parse options and call one flow of :mod:`chipsmith.spice.flows`; every flow
treats its input file as untrusted (safety policy first, so a hostile netlist gets one
error line, exit 2, and ngspice is never started). Heavy imports happen inside the commands.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from chipsmith.options import JsonOpt, OptionalOutOpt, OutOpt, QuietOpt, WorkersOpt
from chipsmith.errors import InputError

app = typer.Typer(help="SPICE netlists: check (parse + safety + ERC), sim (ngspice), lib (block library).",
                  no_args_is_help=True)

_INCLUDE_DIR = typer.Option([], "--include-dir", help="Directory .include/.lib may read from (repeatable).")


def _emit(result, out: Optional[Path], as_json: bool) -> bool:
    """Write the flow's files and summary.json into ``out``; print JSON when asked.
    Returns True when JSON was printed."""
    from chipsmith.artifacts import atomic_write_text, dumps_json, staged_output, write_json

    if out is not None:
        with staged_output(out) as stage:
            for name, text in result.files.items():
                atomic_write_text(stage / name, text)
            write_json(stage / "summary.json", result.summary)
    if as_json:
        typer.echo(dumps_json(result.summary))
    return as_json


@app.command()
def check(
    file: Path = typer.Argument(..., help="SPICE netlist to check."),
    include_dir: list[Path] = _INCLUDE_DIR,
    as_json: JsonOpt = False,
    out: OptionalOutOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Parse, apply the safety policy and run ERC. Exit 0 clean, 1 ERC errors, 2 unreadable/unsafe."""
    from chipsmith.spice.flows import check_flow

    result = check_flow(file, include_dir)
    if not _emit(result, out, as_json):
        s = result.summary
        status = "ok" if result.ok else "ERC errors"
        typer.echo(f"{file}: {status} ({s['elements']} elements, {s['subckts']} subcircuits, "
                   f"{s['errors']} errors, {s['warnings']} warnings)")
        for f in s["findings"]:
            typer.echo(f"  {f['severity']:<7} {f['code']:<22} {f['where'] or '-'}: {f['message']}")
    if not result.ok:
        raise typer.Exit(1)


@app.command()
def sim(
    file: Path = typer.Argument(..., help="SPICE netlist (analysis cards in it are used when no option is given)."),
    op: bool = typer.Option(False, "--op", help="DC operating point."),
    ac: Optional[str] = typer.Option(None, "--ac", help="AC sweep FSTART:FSTOP[:POINTS_PER_DECADE], e.g. 1:1g:20."),
    dc: Optional[str] = typer.Option(None, "--dc", help="DC sweep SOURCE:START:STOP:STEP, e.g. vin:0:1.8:0.01."),
    tran: Optional[str] = typer.Option(None, "--tran", help="Transient STEP:STOP[:START], e.g. 1n:1u."),
    save: Optional[str] = typer.Option(None, "--save", help="Vectors to keep for ac/dc/tran, e.g. v(out),i(vdd)."),
    mode: str = typer.Option("subprocess", "--mode", help="subprocess (isolated) or shared (in-process)."),
    timeout: float = typer.Option(30.0, "--timeout", help="Seconds before ngspice is killed."),
    include_dir: list[Path] = _INCLUDE_DIR,
    pdk: Optional[str] = typer.Option(None, "--pdk", help="Simulate with this process's models: sky130 or "
                                      "generic (devices named as the PDK names them)."),
    corners: Optional[str] = typer.Option(None, "--corners", help="Process corners with --pdk, e.g. tt,ff,ss,fs,sf "
                                          "(default tt)."),
    temps: Optional[str] = typer.Option(None, "--temps", help="Temperatures in C with --pdk, e.g. -40,27,125 "
                                        "(default 27)."),
    workers: WorkersOpt = None,
    as_json: JsonOpt = False,
    out: OptionalOutOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Simulate a netlist with ngspice and print the operating point and figures (per corner with --pdk)."""
    from chipsmith.spice.flows import sim_flow

    result = sim_flow(file, op=op, ac=ac, dc=dc, tran=tran, save=save, mode=mode, timeout=timeout,
                      include_dirs=include_dir, write_files=out is not None, pdk=pdk, corners=corners,
                      temps=temps, workers=workers)
    if _emit(result, out, as_json):
        return
    if "corners" not in result.summary:
        _print_sim(result.summary)
        return
    for entry in result.summary["corners"]:
        typer.echo(f"--- {result.summary['pdk']} corner {entry['corner']}, {entry['temp_c']:g} C")
        _print_sim({**entry, "file": result.summary["file"], "analyses": result.summary["analyses"]})


def _print_sim(summary: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(width=max(Console().width, 150))  # the MOSFET table needs the room
    console.print(f"{summary['file']}: {', '.join(summary['analyses'])} in {summary['seconds'] * 1e3:.1f} ms "
                  f"({summary['mode']})")
    op = summary.get("op")
    if op:
        table = Table(title="operating point")
        table.add_column("node / source")
        table.add_column("value", justify="right")
        for node, v in sorted(op["voltages"].items()):
            table.add_row(f"v({node})", f"{v:.6g} V")
        for src, i in sorted(op["currents"].items()):
            table.add_row(f"i({src})", f"{i:.6g} A")
        for src, p in sorted(op["power_w"].items()):
            table.add_row(f"power({src})", f"{p:.6g} W")
        console.print(table)
        if op["devices"]:
            dev_table = Table(title="MOSFETs")
            for col in ("device", "model", "type", "region", "id", "vgs", "vds", "vth", "vdsat", "gm", "gds"):
                dev_table.add_column(col, justify="right" if col not in ("device", "model", "type", "region")
                                     else "left")
            for name, d in sorted(op["devices"].items()):
                dev_table.add_row(name, d["model"], d["polarity"], d["region"],
                                  *(_fmt(d[k]) for k in ("id", "vgs", "vds", "vth", "vdsat", "gm", "gds")))
            console.print(dev_table)
    ac = summary.get("ac")
    if ac:
        table = Table(title=f"ac: {ac['points']} points, {ac['fstart']:.3g} .. {ac['fstop']:.3g} Hz")
        for col in ("vector", "dc gain", "gain dB", "f-3dB (Hz)", "unity gain (Hz)", "phase margin (deg)"):
            table.add_column(col, justify="right" if col != "vector" else "left")
        for name, f in ac["figures"].items():
            table.add_row(name, _fmt(f["gain"]), f"{f['gain_db']:.2f}", _fmt(f.get("f3db_hz")),
                          _fmt(f.get("unity_gain_hz")), _fmt(f.get("phase_margin_deg")))
        console.print(table)
    for kind in ("dc", "tran"):
        part = summary.get(kind)
        if part:
            table = Table(title=f"{kind}: {part['points']} points")
            for col in ("vector", "min", "max", "last"):
                table.add_column(col, justify="right" if col != "vector" else "left")
            transfer = part.get("transfer", {})
            if transfer:
                table.add_column("max slope", justify="right")
                table.add_column("swing (slope > max/2)", justify="right")
            for name, r in part["ranges"].items():
                extra = []
                if transfer:
                    t = transfer.get(name)
                    extra = [_fmt(t["max_slope"]), f"{t['swing_lo']:.4g} .. {t['swing_hi']:.4g}"] if t else ["-", "-"]
                table.add_row(name, _fmt(r["min"]), _fmt(r["max"]), _fmt(r["last"]), *extra)
            console.print(table)


def _fmt(x) -> str:
    return "-" if x is None else f"{x:.4g}"


@app.command("gmid")
def gmid(
    pdk: str = typer.Option("sky130", "--pdk", help="Process: sky130 or generic."),
    corner: str = typer.Option("tt", "--corner", help="Process corner (sky130: tt, ff, ss, fs, sf)."),
    temp: float = typer.Option(27.0, "--temp", help="Temperature in C."),
    lengths: Optional[str] = typer.Option(None, "--lengths", help="Channel lengths in um, e.g. 0.15,0.5,1,2."),
    vds: Optional[float] = typer.Option(None, "--vds", help="|V_DS| of the summary's points (default mid-supply)."),
    timeout: float = typer.Option(300.0, "--timeout", help="Seconds before ngspice is killed."),
    workers: WorkersOpt = None,
    out: OutOpt = Path("out/gmid"),
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """gm/Id lookup tables of the PDK's NMOS and PMOS (ngspice sweeps), with a plot, for sizing."""
    from chipsmith.spice.flows import gmid_flow, plot_gmid

    result, tables = gmid_flow(pdk, corner=corner, temp_c=temp, lengths=lengths, vds=vds, workers=workers,
                               timeout=timeout)
    from chipsmith.artifacts import staged_output, write_json

    with staged_output(out) as stage:
        for pol, table in tables.items():
            table.save(stage / f"gmid_{pol}.npz")
        plot_gmid(tables, stage / "gmid.png")
        write_json(stage / "summary.json", result.summary)
    if _emit(result, None, as_json):
        return
    for pol, part in result.summary["tables"].items():
        typer.echo(f"{part['device']} ({pol}, {part['corner']}, {part['temp_c']:g} C, |V_DS|={part['vds']:g} V):")
        for row in part["lengths"]:
            cells = []
            for key in ("at_gm_id_5", "at_gm_id_10", "at_gm_id_15"):
                p = row[key]
                cells.append(f"gm/Id={key.rsplit('_', 1)[1]}: " + ("-" if p is None else
                             f"Id/W={p['id_w'] * 1e6:.3g} uA/um gm/gds={p['gm_gds']:.0f}"))
            typer.echo(f"  L={row['l_um']:g} um  peak gm/Id={row['peak_gm_id']:.1f}  " + "  ".join(cells))
    typer.echo(f"tables and plot in {out}")


@app.command("lib")
def lib(
    tag: Optional[str] = typer.Option(None, "--tag", help="Only blocks carrying this tag."),
    search: Optional[str] = typer.Option(None, "--search", help="Only blocks matching this text."),
    test: bool = typer.Option(False, "--test", help="Run every listed block's own testbench (exit 1 if any fails)."),
    block: Optional[str] = typer.Option(None, "--block", help="With --test: only these blocks (comma-separated names)."),
    pdk: str = typer.Option("generic", "--pdk", help="With --test: generic or sky130 (blocks moved onto its devices)."),
    corners: Optional[str] = typer.Option(None, "--corners", help="With --test: PDK corners, e.g. tt,ff,ss,fs,sf."),
    workers: WorkersOpt = None,
    as_json: JsonOpt = False,
    out: OptionalOutOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """List the subcircuit blocks of the built-in library (with --test: prove each one works)."""
    from chipsmith.spice.flows import lib_flow, lib_test_flow

    if test:
        def show(row: dict) -> None:
            if not (quiet or as_json):
                why = f": {row['failures'][0]}" if row["failures"] else ""
                typer.echo(f"  {row['block']:<28} {row['corner']:<3} {row['status']}{why}")

        result = lib_test_flow(tag, search, pdk_name=pdk, corners=corners, workers=workers, names=block,
                               on_result=show)
        if not _emit(result, out, as_json) and not quiet:
            s = result.summary
            typer.echo(f"{s.get('passed', 0)} passed, {s.get('failed', 0)} failed, {s.get('error', 0)} not buildable "
                       f"or not simulated, of {s.get('runs', 0)} runs ({s['pdk']}, corners {', '.join(s.get('corners', []))})")
        if not result.ok:
            raise typer.Exit(1)
        return
    if pdk != "generic" or corners or block:
        raise InputError("--pdk, --corners and --block apply to --test only", fix="add --test, or drop them")
    result = lib_flow(tag, search)
    rows = result.summary["blocks"]
    if _emit(result, out, as_json):
        if not rows:
            raise typer.Exit(1)
        return
    if not rows:
        typer.echo(f"no block matches (tags in the library: {', '.join(result.summary['library_tags'])})")
        raise typer.Exit(1)
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"chipsmith block library ({len(rows)} blocks)")
    for col in ("name", "type", "polarity", "ports (name:role)", "description"):
        table.add_column(col)
    for r in rows:
        ports = " ".join(f"{p['name']}:{p['role']}" for p in r["ports"])
        table.add_row(r["name"], str(r["type"]), str(r["polarity"]), ports, r["description"])
    Console(width=max(Console().width, 140)).print(table)  # tags and params: see --json
