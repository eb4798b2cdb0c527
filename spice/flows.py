"""The flows behind `chipsmith spice check | sim | lib`: files in, a summary dict and result files out.

Every flow treats its input file as untrusted: the safety policy runs before anything else,
so a hostile netlist raises :class:`~chipsmith.errors.UnsafeNetlistError` and ngspice is
never started.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Sequence

from chipsmith.errors import InputError


@dataclass(frozen=True)
class FlowResult:
    """A flow's summary (what summary.json holds), the extra files it writes, and whether
    the command succeeded (False: exit 1, the input was read but the answer is "no")."""

    summary: dict
    files: dict[str, str] = field(default_factory=dict)
    ok: bool = True


def check_flow(file: Path, include_dirs: Sequence[Path] = ()) -> FlowResult:
    """Parse, apply the safety policy and run ERC on a netlist file."""
    from chipsmith.spice import check as checker

    report = checker.check_file(file, allowed_include_dirs=tuple(include_dirs))
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
    return FlowResult(summary, ok=bool(report.ok))


def _finding_dict(finding) -> dict:
    return {"code": str(getattr(finding, "code", "")), "severity": str(getattr(finding, "severity", "error")),
            "message": str(getattr(finding, "message", finding)), "where": getattr(finding, "where", None)}


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
        if not name.startswith("v(") or "#" in name or not np.any(np.abs(ac.get(name)) > 0):
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
        if not name.startswith("v(") or "#" in name or dc.x.size < 3:  # '#': a device's internal node
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


def sim_flow(file: Path, *, op: bool = False, ac: Optional[str] = None, dc: Optional[str] = None,
             tran: Optional[str] = None, save: Optional[str] = None, mode: str = "subprocess",
             timeout: float = 30.0, include_dirs: Sequence[Path] = (), write_files: bool = True,
             pdk: Optional[str] = None, corners: Optional[str] = None, temps: Optional[str] = None,
             workers: Optional[int] = None) -> FlowResult:
    """Simulate a netlist file with ngspice: the operating point and per-analysis figures,
    with the waveforms as CSV files.

    With ``pdk`` the file's devices are simulated with that PDK's models, once per corner and
    temperature (``corners="tt,ff"``, ``temps="-40,27,125"``); the summary then holds one
    entry per (corner, temperature) under ``"corners"`` and the files carry that suffix.
    """
    from chipsmith.spice.check import read_netlist_file
    from chipsmith.spice.runner import MODES, check_save, split_analyses
    from chipsmith.spice.safety import check_safe

    if mode not in MODES:
        raise InputError(f"unknown --mode {mode!r}", fix=f"use one of: {', '.join(MODES)}")
    if not (math.isfinite(timeout) and timeout > 0):
        raise InputError(f"--timeout must be a positive number of seconds, got {timeout}")
    if pdk is None and (corners or temps):
        raise InputError("--corners/--temps need a process", fix="add --pdk sky130 (or --pdk generic)")
    requested = parse_cli_analyses(op, ac, dc, tran)
    save_list = check_save([s for s in (save or "").split(",") if s.strip()])
    text = read_netlist_file(file)
    dirs = (file.resolve().parent, *include_dirs)  # as `spice check`: the file's folder first
    check_safe(text, str(file), allowed_include_dirs=dirs)  # untrusted: before anything else
    body, from_cards = split_analyses(text, str(file))
    analyses = requested or from_cards
    if not analyses:
        raise InputError("no analysis requested", where=str(file),
                         fix="add --op, --ac, --dc or --tran (or .op/.ac/.dc/.tran cards in the file)")
    head = {"file": str(file), "analyses": [type(a).__name__.lower() for a in analyses]}
    if pdk is None:
        summary, files = _simulate_one(body, analyses, save_list, timeout, mode, dirs, str(file))
        summary = {**head, **summary}
        summary["files"] = sorted(files) + ["summary.json"] if write_files else []
        return FlowResult(summary, files)
    return _simulate_corners(body, analyses, save_list, timeout, mode, dirs, str(file), head, write_files,
                             pdk, corners, temps, workers)


def _simulate_one(body: str, analyses: list, save: list[str], timeout: float, mode: str,
                  dirs: Sequence[Path], source: str, trusted: bool = False) -> tuple[dict, dict[str, str]]:
    from chipsmith.spice.runner import simulate

    result = simulate(body, analyses, save=save, timeout_s=timeout, mode=mode, include_dirs=dirs, source=source,
                      trusted=trusted)
    summary: dict = {"mode": result.mode, "seconds": result.seconds}
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
    return summary, files


def with_models(body: str, model_lines: str) -> str:
    """``body`` (title line first) with the model cards inserted right after the title."""
    title, _, rest = body.partition("\n")
    return f"{title}\n{model_lines}{rest}"


def _simulate_corners(body: str, analyses: list, save: list[str], timeout: float, mode: str,
                      dirs: Sequence[Path], source: str, head: dict, write_files: bool, pdk_name: str,
                      corners_text: Optional[str], temps_text: Optional[str],
                      workers: Optional[int]) -> FlowResult:
    from concurrent.futures import ThreadPoolExecutor

    from chipsmith.options import resolve_workers
    from chipsmith.spice.pdk import get_pdk, parse_corners, parse_temps

    from chipsmith.spice.retarget import retarget_text

    pdk = get_pdk(pdk_name)
    points = [(c, t) for c in parse_corners(corners_text, pdk) for t in parse_temps(temps_text)]
    all_dirs = (*dirs, *pdk.model_dirs)
    body = retarget_text(body, pdk, source)  # generic nch/pch devices become the PDK's

    def one(point: tuple[str, float]) -> tuple[dict, dict[str, str]]:
        corner, temp = point
        deck = with_models(body, pdk.model_lines(corner, temp))
        # the user's text passed the safety policy above; the model cards are the PDK's own files
        return _simulate_one(deck, analyses, save, timeout, mode, all_dirs, f"{source} [{corner}, {temp:g} C]",
                             trusted=True)

    # each point is its own ngspice process, so threads overlap them; shared mode is one library
    n_threads = 1 if mode == "shared" else min(len(points), resolve_workers(workers) or 1)
    with ThreadPoolExecutor(max_workers=n_threads) as pool:
        results = list(pool.map(one, points))
    entries, files = [], {}
    for (corner, temp), (summary, point_files) in zip(points, results):
        suffix = f"_{corner}_{temp:g}C"
        entries.append({"corner": corner, "temp_c": temp, **summary})
        files.update({name.replace(".csv", f"{suffix}.csv"): text for name, text in point_files.items()})
    summary = {**head, "pdk": pdk.name, "pdk_description": pdk.description,
               "mode": entries[0]["mode"], "seconds": sum(e["seconds"] for e in entries), "corners": entries,
               "files": sorted(files) + ["summary.json"] if write_files else []}
    return FlowResult(summary, files)


def lib_flow(tag: Optional[str] = None, search: Optional[str] = None) -> FlowResult:
    """The library's blocks, optionally filtered by tag and text; not ok when none matches."""
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
    summary = {"blocks": rows, "count": len(rows), "tag": tag, "search": search,
               "library_tags": sorted({t for b in library for t in b.tags})}
    return FlowResult(summary, ok=bool(rows))


def lib_test_flow(tag: Optional[str] = None, search: Optional[str] = None, *, pdk_name: str = "generic",
                  corners: Optional[str] = None, workers: Optional[int] = None, timeout: float = 120.0,
                  names: Optional[str] = None, on_result=None) -> FlowResult:
    """Every matching block in its own testbench (the library's proof that a block does what
    it says), on the generic models or moved onto a PDK at each requested corner. A block
    that cannot be drawn in the PDK (a size outside its limits) is reported as such. Not ok
    when any block fails anywhere."""
    import time
    from concurrent.futures import ThreadPoolExecutor

    from chipsmith.errors import ChipsmithError
    from chipsmith.options import resolve_workers
    from chipsmith.spice.library.testbench import run_testbench
    from chipsmith.spice.pdk import get_pdk, parse_corners

    pdk = get_pdk(pdk_name)
    corner_list = parse_corners(corners, pdk) if corners else ("tt",)
    listed = lib_flow(tag, search)
    if not listed.ok:
        return FlowResult({**listed.summary, "pdk": pdk.name, "results": []}, ok=False)
    from chipsmith.spice.library import load_library

    library = load_library()
    blocks = [library.get(row["name"]) for row in listed.summary["blocks"]]
    if names:   # exact block names (comma-separated), e.g. one block in CI
        wanted = [n.strip() for n in names.split(",") if n.strip()]
        blocks = [library.get(n) for n in wanted]
    jobs = [(b, c) for b in blocks for c in corner_list]

    def one(job) -> dict:
        block, corner = job
        start = time.perf_counter()
        row = {"block": block.name, "kind": block.testbench.kind, "corner": corner}
        try:
            rep = run_testbench(block, pdk=None if pdk.name == "generic" else pdk.name, corner=corner,
                                timeout_s=timeout)
            row.update(status="passed" if rep.passed else "failed", failures=rep.failures(),
                       figures={k: float(v) for k, v in rep.figures.items()})
        except ChipsmithError as exc:   # not drawable in this PDK, or ngspice refused the deck
            row.update(status="error", failures=[exc.one_line()], figures={})
        row["seconds"] = time.perf_counter() - start
        if on_result is not None:
            on_result(row)
        return row

    n = max(1, min(resolve_workers(workers, None) or 1, len(jobs)))
    if n == 1:
        results = [one(j) for j in jobs]
    else:   # each testbench is its own ngspice process: threads only wait on them
        with ThreadPoolExecutor(n) as pool:
            results = list(pool.map(one, jobs))
    counts = {s: sum(r["status"] == s for r in results) for s in ("passed", "failed", "error")}
    per_corner = {c: {s: sum(r["status"] == s for r in results if r["corner"] == c)
                      for s in ("passed", "failed", "error")} for c in corner_list}
    summary = {"pdk": pdk.name, "corners": list(corner_list), "blocks": len(blocks), "runs": len(results),
               **counts, "per_corner": per_corner, "results": results,
               "caveat": "expected ranges are each block's own, written for the generic level-1 models"
                         if pdk.name != "generic" else None}
    return FlowResult(summary, ok=counts["failed"] == 0 and counts["error"] == 0)


def gmid_flow(pdk_name: str, *, corner: str = "tt", temp_c: float = 27.0, lengths: Optional[str] = None,
              w: float = 5.0, vds: Optional[float] = None, workers: Optional[int] = None,
              timeout: float = 300.0) -> tuple[FlowResult, dict]:
    """gm/Id tables of both MOSFET flavours of a PDK at one corner: the summary, and the tables
    by polarity (for the caller to save as ``gmid_<polarity>.npz`` with a plot)."""
    from concurrent.futures import ThreadPoolExecutor

    from chipsmith.options import resolve_workers
    from chipsmith.spice.gmid import DEFAULT_LENGTHS, build_table, table_summary
    from chipsmith.spice.pdk import get_pdk, parse_temps

    pdk = get_pdk(pdk_name)
    pdk.check_corner(corner)
    (temp_c,) = parse_temps(str(temp_c))
    if lengths:
        try:
            ls = tuple(float(v) for v in lengths.split(",") if v.strip())
        except ValueError:
            raise InputError(f"--lengths {lengths!r} is not a list of numbers", fix="use e.g. --lengths 0.15,0.5,1")
    else:
        ls = DEFAULT_LENGTHS
    threads = min(2, resolve_workers(workers) or 1)
    with ThreadPoolExecutor(max_workers=threads) as pool:
        tables = dict(zip(("nmos", "pmos"), pool.map(
            lambda pol: build_table(pdk, pol, lengths=ls, corner=corner, temp_c=temp_c, w=w, timeout_s=timeout),
            ("nmos", "pmos"))))
    summary = {"pdk": pdk.name, "corner": corner, "temp_c": temp_c,
               "tables": {pol: table_summary(t, vds) for pol, t in tables.items()},
               "files": ["gmid_nmos.npz", "gmid_pmos.npz", "gmid.png", "summary.json"]}
    return FlowResult(summary), tables


def plot_gmid(tables: dict, path: Path) -> None:
    """gm/Id against current density, and intrinsic gain against gm/Id, per L (at mid V_DS)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from chipsmith.spice.gmid import MIN_ID_W

    fig, axes = plt.subplots(len(tables), 2, figsize=(10, 4 * len(tables)), squeeze=False)
    for row, (pol, t) in zip(axes, tables.items()):
        j = t.vds.size // 2
        for i, l in enumerate(t.lengths):
            ok = t.id_w[i, j] > MIN_ID_W
            row[0].semilogx(t.id_w[i, j][ok], t.gm_id[i, j][ok], label=f"L={l:g} um")
            row[1].plot(t.gm_id[i, j][ok], t.intrinsic_gain[i, j][ok], label=f"L={l:g} um")
        row[0].set(xlabel="I_D/W (A/um)", ylabel="gm/I_D (1/V)", title=f"{t.device} {t.corner} {t.temp_c:g} C, "
                   f"|V_DS|={t.vds[j]:g} V")
        row[1].set(xlabel="gm/I_D (1/V)", ylabel="gm/gds", yscale="log", title="intrinsic gain")
        for ax in row:
            ax.grid(True, which="both", alpha=0.3)
            ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
