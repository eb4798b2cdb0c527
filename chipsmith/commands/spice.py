"""`chipsmith spice`: check netlists, simulate them with ngspice, list the block library.

Every verb treats its input file as untrusted: ``check`` and ``sim`` run the safety
policy before anything else, so a hostile netlist gets one error line (exit 2) and
ngspice is never started. Heavy imports happen inside the commands.
"""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Optional

import typer

from chipsmith.errors import InputError

app = typer.Typer(help="SPICE netlists: check (parse + safety + ERC), sim (ngspice), lib (block library).",
                  no_args_is_help=True)

_JSON = typer.Option(False, "--json", help="Print the summary as JSON.")
_OUT = typer.Option(None, "--out", help="Write summary.json (and result files) into this directory.")
_QUIET = typer.Option(False, "--quiet", help="No progress output.")
_INCLUDE_DIR = typer.Option([], "--include-dir", help="Directory .include/.lib may read from (repeatable).")


def _read(path: Path) -> str:
    from chipsmith.spice.check import read_netlist_file

    return read_netlist_file(path)


def _write_outputs(out: Optional[Path], summary: dict, files: dict[str, str] | None = None) -> None:
    if out is None:
        return
    from chipsmith.artifacts import atomic_write_text, staged_output, write_json

    with staged_output(out) as stage:
        for name, text in (files or {}).items():
            atomic_write_text(stage / name, text)
        write_json(stage / "summary.json", summary)


def _echo_json(summary: dict) -> None:
    from chipsmith.artifacts import _json_default

    typer.echo(json.dumps(summary, indent=2, default=_json_default))


# --- check --------------------------------------------------------------------------------

@app.command()
def check(
    file: Path = typer.Argument(..., help="SPICE netlist to check."),
    include_dir: list[Path] = _INCLUDE_DIR,
    as_json: bool = _JSON,
    out: Optional[Path] = _OUT,
    quiet: bool = _QUIET,
) -> None:
    """Parse, apply the safety policy and run ERC. Exit 0 clean, 1 ERC errors, 2 unreadable/unsafe."""
    from chipsmith.spice import check as checker

    report = checker.check_file(file, allowed_include_dirs=tuple(include_dir))
    findings = [_finding_dict(f) for f in report.findings]
    netlist = report.netlist
    summary = {
        "file": str(file),
        "ok": bool(report.ok),
        "elements": len(getattr(netlist, "elements", ()) or ()),
        "subckts": len(getattr(netlist, "subckts", ()) or ()),
        "models": len(getattr(netlist, "models", ()) or ()),
        "nets": len(netlist.nets()) if hasattr(netlist, "nets") else None,
        "errors": sum(f["severity"] == "error" for f in findings),
        "warnings": sum(f["severity"] != "error" for f in findings),
        "findings": findings,
    }
    _write_outputs(out, summary)
    if as_json:
        _echo_json(summary)
    else:
        status = "ok" if report.ok else "ERC errors"
        typer.echo(f"{file}: {status} ({summary['elements']} elements, {summary['subckts']} subcircuits, "
                   f"{summary['errors']} errors, {summary['warnings']} warnings)")
        for f in findings:
            typer.echo(f"  {f['severity']:<7} {f['code']:<22} {f['where'] or '-'}: {f['message']}")
    if not report.ok:
        raise typer.Exit(1)


def _finding_dict(finding) -> dict:
    return {"code": str(getattr(finding, "code", "")), "severity": str(getattr(finding, "severity", "error")),
            "message": str(getattr(finding, "message", finding)), "where": getattr(finding, "where", None)}


# --- sim ----------------------------------------------------------------------------------

def _split_option(text: str, parts: tuple[int, int], name: str, example: str) -> list[str]:
    fields = text.split(":")
    if not parts[0] <= len(fields) <= parts[1] or not all(f.strip() for f in fields):
        raise InputError(f"bad {name} value {text!r}", fix=f"use e.g. {name} {example}")
    return [f.strip() for f in fields]


def parse_cli_analyses(op: bool, ac: Optional[str], dc: Optional[str], tran: Optional[str]) -> list:
    """Analyses from the --op/--ac/--dc/--tran options (values take SPICE suffixes)."""
    from chipsmith.spice.runner import Op, parse_analysis

    analyses = []
    if op:
        analyses.append(Op())
    if ac:
        fields = _split_option(ac, (2, 3), "--ac", "1:1g:20 (FSTART:FSTOP[:POINTS_PER_DECADE])")
        ppd = fields[2] if len(fields) == 3 else "20"
        analyses.append(parse_analysis("ac", ["dec", ppd, fields[0], fields[1]], "--ac"))
    if dc:
        fields = _split_option(dc, (4, 4), "--dc", "vin:0:1.8:0.01 (SOURCE:START:STOP:STEP)")
        analyses.append(parse_analysis("dc", fields, "--dc"))
    if tran:
        fields = _split_option(tran, (2, 3), "--tran", "1n:1u (STEP:STOP[:START])")
        analyses.append(parse_analysis("tran", fields, "--tran"))
    return analyses


def _finite(x: float) -> Optional[float]:
    return float(x) if x is not None and math.isfinite(x) else None


def _ac_figures(ac) -> dict:
    """Per-vector AC figures that exist inside the sweep (missing ones are left out)."""
    import numpy as np

    from chipsmith.errors import SimulationError
    from chipsmith.spice import measure

    figures = {}
    for name in ac.names():
        if not name.startswith("v(") or not np.any(np.abs(ac.get(name)) > 0):
            continue  # currents and nodes without AC signal (supplies, bias) have no figures
        entry = {"gain": measure.dc_gain_signed(ac, name), "gain_db": measure.dc_gain_db(ac, name)}
        for key, fn in (("f3db_hz", measure.bandwidth_3db), ("unity_gain_hz", measure.unity_gain_frequency),
                        ("phase_margin_deg", measure.phase_margin)):
            try:
                entry[key] = fn(ac, name)
            except SimulationError:
                pass
        figures[name] = entry
    return figures


def _dc_figures(dc) -> dict:
    """Per node voltage: the largest slope dV/dsweep and the output swing where the slope
    stays above half of it (meaningful when the swept source drives an amplifier)."""
    from chipsmith.errors import SimulationError
    from chipsmith.spice import measure

    figures = {}
    for name in dc.names():
        if not name.startswith("v(") or dc.x.size < 3:
            continue
        try:
            slope = measure.max_gain_dc(dc, name)
            if slope < 1e-6:  # a node the sweep does not move (supply, bias)
                continue
            lo, hi = measure.output_swing(dc, name, fraction=0.5)
            figures[name] = {"max_slope": slope, "swing_lo": lo, "swing_hi": hi}
        except SimulationError:
            pass
    return figures


def _range_figures(wave) -> dict:
    return {name: {"min": float(wave.get(name).real.min()), "max": float(wave.get(name).real.max()),
                   "last": float(wave.get(name).real[-1])} for name in wave.names()}


def _csv(wave, complex_: bool) -> str:
    import numpy as np

    header = [wave.x_name]
    cols = [wave.x]
    for name in wave.names():
        vec = wave.get(name)
        if complex_:
            header += [f"{name}.re", f"{name}.im"]
            cols += [vec.real, vec.imag]
        else:
            header.append(name)
            cols.append(np.asarray(vec).real)
    table = np.column_stack(cols)
    lines = [",".join(header)]
    lines += [",".join(f"{v:.12g}" for v in row) for row in table]
    return "\n".join(lines) + "\n"


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
    as_json: bool = _JSON,
    out: Optional[Path] = _OUT,
    quiet: bool = _QUIET,
) -> None:
    """Simulate a netlist with ngspice and print the operating point and figures."""
    from chipsmith.spice.runner import MODES, check_save, simulate, split_analyses
    from chipsmith.spice.safety import check_safe

    if mode not in MODES:
        raise InputError(f"unknown --mode {mode!r}", fix=f"use one of: {', '.join(MODES)}")
    if not (math.isfinite(timeout) and timeout > 0):
        raise InputError(f"--timeout must be a positive number of seconds, got {timeout}")
    requested = parse_cli_analyses(op, ac, dc, tran)
    save_list = check_save([s for s in (save or "").split(",") if s.strip()])
    text = _read(file)
    dirs = (file.resolve().parent, *include_dir)  # as `spice check`: the file's folder first
    check_safe(text, str(file), allowed_include_dirs=dirs)  # untrusted: before anything else
    body, from_cards = split_analyses(text, str(file))
    analyses = requested or from_cards
    if not analyses:
        raise InputError("no analysis requested", where=str(file),
                         fix="add --op, --ac, --dc or --tran (or .op/.ac/.dc/.tran cards in the file)")
    result = simulate(body, analyses, save=save_list, timeout_s=timeout, mode=mode, include_dirs=dirs,
                      source=str(file))
    summary: dict = {"file": str(file), "mode": result.mode, "seconds": result.seconds,
                     "analyses": [type(a).__name__.lower() for a in analyses]}
    files: dict[str, str] = {}
    if result.op is not None:
        from chipsmith.spice.measure import quiescent_power

        summary["op"] = {
            "voltages": dict(result.op.voltages),
            "currents": dict(result.op.currents),
            "devices": {name: {k: _finite(getattr(d, k)) if k not in ("name", "model", "polarity", "region")
                               else getattr(d, k) for k in d.__dataclass_fields__}
                        for name, d in result.op.devices.items()},
            "power_w": {src: quiescent_power(result.op, src) for src in result.op.currents
                        if src in result.op.source_nodes},
        }
    if result.ac is not None:
        summary["ac"] = {"points": int(result.ac.x.size), "fstart": float(result.ac.x[0]),
                         "fstop": float(result.ac.x[-1]), "figures": _ac_figures(result.ac)}
        files["ac.csv"] = _csv(result.ac, True)
    if result.dc is not None:
        summary["dc"] = {"points": int(result.dc.x.size), "sweep": result.dc.x_name,
                         "ranges": _range_figures(result.dc), "transfer": _dc_figures(result.dc)}
        files["dc.csv"] = _csv(result.dc, False)
    if result.tran is not None:
        summary["tran"] = {"points": int(result.tran.x.size), "stop": float(result.tran.x[-1]),
                           "ranges": _range_figures(result.tran)}
        files["tran.csv"] = _csv(result.tran, False)
    summary["files"] = sorted(files) + ["summary.json"] if out is not None else []
    _write_outputs(out, summary, files)
    if as_json:
        _echo_json(summary)
        return
    _print_sim(summary)


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


# --- lib ----------------------------------------------------------------------------------

@app.command("lib")
def lib(
    tag: Optional[str] = typer.Option(None, "--tag", help="Only blocks carrying this tag."),
    search: Optional[str] = typer.Option(None, "--search", help="Only blocks matching this text."),
    as_json: bool = _JSON,
    out: Optional[Path] = _OUT,
    quiet: bool = _QUIET,
) -> None:
    """List the subcircuit blocks of the built-in library."""
    from chipsmith.spice.library import load_library

    library = load_library()
    blocks = list(library.search(search, k=len(library)) if search else library.blocks)
    if tag:
        tagged = {b.name for b in library.by_tag(tag)}
        blocks = [b for b in blocks if b.name in tagged]
    rows = [{"name": b.name, "type": b.type, "polarity": b.polarity,
             "ports": [{"name": p.name, "role": p.role, "kind": p.kind} for p in b.ports],
             "tags": list(b.tags), "params": dict(b.params), "description": b.description}
            for b in blocks]
    summary = {"blocks": rows, "count": len(rows), "tag": tag, "search": search}
    _write_outputs(out, summary)
    if as_json:
        _echo_json(summary)
    elif not rows:
        typer.echo(f"no block matches (tags in the library: {', '.join(sorted({t for b in library for t in b.tags}))})")
    if not rows:
        raise typer.Exit(1)
    if as_json:
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"chipsmith block library ({len(rows)} blocks)")
    for col in ("name", "type", "polarity", "ports (name:role)", "description"):
        table.add_column(col)
    for r in rows:
        ports = " ".join(f"{p['name']}:{p['role']}" for p in r["ports"])
        table.add_row(r["name"], str(r["type"]), str(r["polarity"]), ports, r["description"])
    Console(width=max(Console().width, 140)).print(table)  # tags and params: see --json
