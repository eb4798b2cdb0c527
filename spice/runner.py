"""Run ngspice on a netlist body and return parsed results.

``simulate(circuit, analyses)`` appends a ``.control`` block that chipsmith generates
itself (the analyses, ``write`` of the requested vectors into raw files, ``show`` of the
MOSFET operating points), runs ``ngspice -b`` in a fresh temp directory with a timeout
that kills the whole process group, and reads the files back. Untrusted circuit text is
checked by :func:`chipsmith.spice.safety.check_safe` first, so ngspice never sees a
control block, shell command or file write that chipsmith did not write.

``mode="shared"`` runs the same commands in-process through PySpice's ngspice shared
library (:mod:`chipsmith.spice.shared`): faster in loops, same results.
"""
from __future__ import annotations

import math
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Sequence, Union

from chipsmith.errors import InputError, SimulationError, SimulationTimeout
from chipsmith.spice.results import (
    MOS_PARAMS,
    DeviceOp,
    OpResult,
    SimResult,
    Waveform,
    plot_to_op,
    plot_to_waveform,
    read_rawfile,
    read_show_table,
    to_float,
)


# --- analyses ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Op:
    """DC operating point (node voltages, source currents, MOSFET op points)."""

    def command(self) -> str:
        return "op"


@dataclass(frozen=True)
class Ac:
    """Small-signal AC sweep, logarithmic (``points_per_decade``) from fstart to fstop in Hz."""

    fstart: float = 1.0
    fstop: float = 1e9
    points_per_decade: int = 20

    def __post_init__(self) -> None:
        if not (_finite(self.fstart) and _finite(self.fstop)) or self.fstart <= 0 or self.fstop <= self.fstart:
            raise InputError(f"AC sweep needs 0 < fstart < fstop, got {self.fstart:g}..{self.fstop:g} Hz",
                             fix="e.g. Ac(1, 1e9)")
        if int(self.points_per_decade) != self.points_per_decade or self.points_per_decade < 1:
            raise InputError(f"AC points per decade must be a positive integer, got {self.points_per_decade}")

    def command(self) -> str:
        return f"ac dec {int(self.points_per_decade)} {self.fstart!r} {self.fstop!r}"


_IDENT = re.compile(r"^[A-Za-z][A-Za-z0-9_.:#$-]*$")


@dataclass(frozen=True)
class Dc:
    """DC sweep of one independent source's value from start to stop in steps of step."""

    source: str
    start: float
    stop: float
    step: float

    def __post_init__(self) -> None:
        if not _IDENT.match(self.source or "") or self.source[0].lower() not in "vi":
            raise InputError(f"DC sweep source must be a V or I source name, got {self.source!r}",
                             fix="e.g. Dc('vin', 0, 1.8, 0.01)")
        if not all(map(_finite, (self.start, self.stop, self.step))) or self.step == 0:
            raise InputError("DC sweep needs finite start/stop and a non-zero step")
        if (self.stop - self.start) / self.step < 0:
            raise InputError(f"DC sweep step {self.step:g} goes away from stop {self.stop:g}",
                             fix="flip the sign of the step")
        if abs((self.stop - self.start) / self.step) > 1e6:
            raise InputError("DC sweep has more than a million points", fix="use a larger step")

    def command(self) -> str:
        return f"dc {self.source.lower()} {self.start!r} {self.stop!r} {self.step!r}"


@dataclass(frozen=True)
class Tran:
    """Transient analysis to ``stop`` seconds with print step ``step``; ``uic`` skips the op."""

    step: float
    stop: float
    start: float = 0.0
    uic: bool = False

    def __post_init__(self) -> None:
        if not all(map(_finite, (self.step, self.stop, self.start))) or self.step <= 0 \
                or self.stop <= self.start or self.start < 0:
            raise InputError(f"transient needs step > 0 and 0 <= start < stop, got step={self.step:g} "
                             f"stop={self.stop:g} start={self.start:g}", fix="e.g. Tran(1e-9, 1e-6)")

    def command(self) -> str:
        text = f"tran {self.step!r} {self.stop!r} {self.start!r}"
        return text + (" uic" if self.uic else "")


Analysis = Union[Op, Ac, Dc, Tran]

_KIND = {Op: "op", Ac: "ac", Dc: "dc", Tran: "tran"}
_PLOTNAME = {"op": "operating point", "ac": "ac analysis", "dc": "dc transfer characteristic",
             "tran": "transient analysis"}
MODES = ("subprocess", "shared")


def _finite(x: float) -> bool:
    try:
        return math.isfinite(float(x))
    except (TypeError, ValueError):
        return False


# --- deck generation --------------------------------------------------------------------

# A saved vector is a node voltage, a differential voltage, a branch current or a device
# parameter; nothing with spaces or separators, because these names go into the control
# block that chipsmith writes.
_SAVE = re.compile(
    r"^(?:v\([\w.:#$+-]+(?:,[\w.:#$+-]+)?\)|i\([\w.:#$+-]+\)|@[\w.:#$+-]+\[\w+\]|[\w.:$+-]+#branch|[\w.:$+-]+)$",
    re.IGNORECASE)

_FORBIDDEN_CARDS = re.compile(
    r"^\s*\.(op|ac|dc|tran|noise|tf|pz|sens|four|disto|meas|measure|print|plot|save|probe|control|endc|"
    r"width|exec)\b", re.IGNORECASE)


def prepare_circuit(circuit: str, source: str = "<circuit>") -> str:
    """Return the netlist body without ``.end`` (chipsmith appends its own control block).

    Analysis and output cards are refused: the analyses come from ``simulate``'s
    arguments so that every result is read back from files chipsmith asked for.
    """
    lines = circuit.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    body = []
    for number, line in enumerate(lines, start=1):
        if number > 1:
            if re.match(r"^\s*\.end\s*$", line, re.IGNORECASE):
                break
            match = _FORBIDDEN_CARDS.match(line)
            if match:
                raise InputError(f"the circuit contains an analysis/output card .{match.group(1).lower()}",
                                 where=f"{source}:{number}",
                                 fix="remove it and pass the analysis to simulate() (or --op/--ac/--dc/--tran)")
        body.append(line)
    if not body or not body[0].strip():
        body = body or [""]
        body[0] = body[0] or "* chipsmith circuit"
    return "\n".join(body).rstrip() + "\n"


_ANALYSIS_CARD = re.compile(r"^\s*\.(op|ac|dc|tran)\b(.*)$", re.IGNORECASE)


def _number(text: str, where: str) -> float:
    from chipsmith.spice.units import parse_value

    try:
        return float(parse_value(text))
    except Exception as exc:  # units raises NetlistError/ValueError; one message for both
        raise InputError(f"bad number {text!r} in an analysis card", where=where,
                         fix="use a SPICE number such as 10k, 1meg, 2.5u") from exc


def parse_analysis(kind: str, args: Sequence[str], where: str = "<analysis>") -> Analysis:
    """Build an analysis from SPICE card arguments (``.ac dec 20 1 1g`` -> ``Ac(1, 1e9, 20)``)."""
    kind = kind.lower()
    if kind == "op":
        return Op()
    if kind == "ac":
        if len(args) != 4 or args[0].lower() != "dec":
            raise InputError("only `.ac dec POINTS FSTART FSTOP` sweeps are supported", where=where)
        return Ac(_number(args[2], where), _number(args[3], where), int(_number(args[1], where)))
    if kind == "dc":
        if len(args) != 4:
            raise InputError("only single-source `.dc SRC START STOP STEP` sweeps are supported", where=where)
        return Dc(args[0], *(_number(a, where) for a in args[1:4]))
    if kind == "tran":
        uic = any(a.lower() == "uic" for a in args)
        nums = [a for a in args if a.lower() != "uic"]
        if not 2 <= len(nums) <= 4:
            raise InputError("`.tran STEP STOP [START [TMAX]] [uic]` expected", where=where)
        values = [_number(a, where) for a in nums]
        return Tran(values[0], values[1], values[2] if len(values) > 2 else 0.0, uic)
    raise InputError(f"unsupported analysis .{kind}", where=where, fix="use .op, .ac dec, .dc or .tran")


def split_analyses(text: str, source: str = "<circuit>") -> tuple[str, list[Analysis]]:
    """Remove ``.op/.ac/.dc/.tran`` cards (with their ``+`` lines) and ``.end`` from a deck.

    Returns the body for :func:`simulate` and the analyses the cards asked for, so that a
    complete SPICE deck can be simulated by the same generated control block.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    body: list[str] = []
    analyses: list[Analysis] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        match = _ANALYSIS_CARD.match(line) if i > 0 else None
        if i > 0 and re.match(r"^\s*\.end\s*$", line, re.IGNORECASE):
            break
        if match:
            args = match.group(2).split()
            start = i
            while i + 1 < len(lines) and lines[i + 1].lstrip().startswith("+"):
                i += 1
                args += lines[i].lstrip()[1:].split()
            args = [a for a in " ".join(args).replace("(", " ").replace(")", " ").split() if a]
            analyses.append(parse_analysis(match.group(1), args, f"{source}:{start + 1}"))
        else:
            body.append(line)
        i += 1
    return "\n".join(body).rstrip() + "\n", analyses


_INCLUDE_CARD = re.compile(r"""^(\s*\.(?:include|inc|lib)\s+)(["']?)([^"'\s]+)\2(.*)$""", re.IGNORECASE)


def resolve_includes(body: str, include_dirs: Sequence[Path]) -> str:
    """Make relative ``.include``/``.lib`` paths absolute by searching ``include_dirs`` in order.

    ngspice runs in a fresh temp directory, so a relative path would otherwise be looked
    up there. Paths that are absolute or not found are left as written (ngspice then
    reports the missing file itself).
    """
    if not include_dirs:
        return body
    out = []
    for line in body.split("\n"):
        match = _INCLUDE_CARD.match(line)
        if match and not Path(match.group(3)).is_absolute():
            for folder in include_dirs:
                candidate = Path(folder) / match.group(3)
                if candidate.is_file():
                    line = f'{match.group(1)}"{candidate.resolve()}"{match.group(4)}'
                    break
        out.append(line)
    return "\n".join(out)


def check_save(save: Sequence[str]) -> list[str]:
    names = []
    for name in save:
        text = str(name).strip()
        if not _SAVE.match(text):
            raise InputError(f"cannot save vector {name!r}",
                             fix="use names like v(out), v(a,b), i(vdd), vdd#branch or @m1[gm]")
        names.append(text.lower())
    return names


def control_commands(analyses: Sequence[Analysis], save: Sequence[str], outdir: str,
                     max_len: int | None = None) -> list[str]:
    """The control-block lines chipsmith runs: each analysis, then a write of its vectors.

    MOSFET op points are read with ``show`` (all instances, also inside subcircuits) and
    model polarities with ``showmod``, both redirected into ``outdir``. Both modes run
    ngspice with its temp directory as working directory and pass ``"."``: ngspice's
    ``write`` cannot take a quoted path, so a temp path with spaces would break.
    """
    vectors = " ".join(save) if save else "all"
    if max_len is not None and len(vectors) + len(outdir) + 20 > max_len:
        vectors = "all"  # too long for one command: write everything, collect() filters
    commands = ["set filetype=binary"]
    for analysis in analyses:
        kind = _KIND[type(analysis)]
        commands.append(analysis.command())
        if kind == "op":
            commands.append(f"write {outdir}/op.raw all")
            commands.append(f"show m : {' '.join(MOS_PARAMS)} > {outdir}/mos.txt")
            commands.append(f"showmod m : type > {outdir}/mod.txt")
        else:
            commands.append(f"write {outdir}/{kind}.raw {vectors}")
    return commands


def build_deck(body: str, commands: Sequence[str]) -> str:
    return body + ".control\n" + "\n".join(commands) + "\n.endc\n.end\n"


def validate_analyses(analyses: Sequence[Analysis]) -> list[Analysis]:
    if isinstance(analyses, (Op, Ac, Dc, Tran)):
        analyses = [analyses]
    seen = set()
    out = []
    for analysis in analyses:
        kind = _KIND.get(type(analysis))
        if kind is None:
            raise InputError(f"unknown analysis {analysis!r}", fix="use Op(), Ac(...), Dc(...) or Tran(...)")
        if kind in seen:
            raise InputError(f"two {kind} analyses in one simulation", fix="run them in separate simulate() calls")
        seen.add(kind)
        out.append(analysis)
    if not out:
        raise InputError("no analysis requested", fix="pass e.g. [Op()] or --op")
    return out


# --- reading results back ---------------------------------------------------------------

def source_nodes(body: str) -> dict[str, tuple[str, str]]:
    """(+, -) nodes of every top-level voltage source, for power computations."""
    nodes, depth = {}, 0
    for line in body.split("\n")[1:]:
        tokens = line.split()
        if not tokens:
            continue
        head = tokens[0].lower()
        if head == ".subckt":
            depth += 1
        elif head == ".ends":
            depth = max(0, depth - 1)
        elif depth == 0 and head[0] == "v" and len(tokens) >= 3:
            nodes[head] = (tokens[1].lower(), tokens[2].lower())
    return nodes


_PMOS_HINT = re.compile(r"(pmos|pch|pfet|^p_|_p$|^p\d|^mp)", re.IGNORECASE)


def _model_types(body: str) -> dict[str, str]:
    types = {}
    for match in re.finditer(r"^\s*\.model\s+(\S+)\s+\(?\s*(nmos|pmos)\b", body, re.IGNORECASE | re.MULTILINE):
        types[match.group(1).lower()] = match.group(2).lower()
    return types


def _polarity(model: str, showmod: dict[str, dict[str, str]], declared: dict[str, str]) -> str:
    key = model.lower()
    kind = showmod.get(key, {}).get("type", "").lower()
    if kind in ("nmos", "pmos"):
        return kind
    if key in declared:
        return declared[key]
    base = key.split(".")[0]  # binned models: name.0, name.1 ...
    if base in declared:
        return declared[base]
    if _PMOS_HINT.search(base):
        return "pmos"
    if re.search(r"(nmos|nch|nfet|^n_|_n$|^n\d)", base, re.IGNORECASE):
        return "nmos"
    return "unknown"


def _instance_subckt(body: str, instance: str) -> str:
    """The subcircuit an ``X`` instance line of ``body`` calls ("" when not found)."""
    match = re.search(rf"^\s*{re.escape(instance)}\s+([^=\n]*?)\s+\w+\s*=", body, re.IGNORECASE | re.MULTILINE)
    if match is None:
        match = re.search(rf"^\s*{re.escape(instance)}\s+(.*?)\s*$", body, re.IGNORECASE | re.MULTILINE)
    return match.group(1).split()[-1] if match and match.group(1).split() else ""


def device_ops(show_text: str, showmod_text: str, body: str) -> dict[str, DeviceOp]:
    """MOSFET op points from ``show``/``showmod`` tables, converted to the SPICE sign convention.

    ngspice reports vgs, vds and id type-normalized (positive for a PMOS that is on) for
    every MOSFET model; level 1-3 report the threshold (``von``) and vdsat with the
    device's sign, BSIM reports them normalized. With the polarity known, all values are
    mapped to the SPICE convention (PMOS on: vgs, vds, vth, vdsat, id negative).
    """
    from chipsmith.spice.measure import mosfet_region

    table = read_show_table(show_text, MOS_PARAMS)
    showmod = read_show_table(showmod_text, ("type",))
    declared = _model_types(body)
    devices = {}
    for name, row in table.items():
        model = row.get("model", "")
        polarity = _polarity(model, showmod, declared)
        instance, _, _ = model.rpartition(":")
        if instance:
            # a PDK device is a subcircuit around a binned BSIM model: ngspice shows the
            # model as "xm1:nshort_model.32" and cuts the device name at 20 characters, so the
            # X instance names the device and its subcircuit (..._nfet_/..._pfet_) the polarity
            name = instance
            if polarity == "unknown":
                polarity = _polarity(_instance_subckt(body, instance.split(".")[-1]), {}, declared)
        sign = -1.0 if polarity == "pmos" else 1.0
        vth = to_float(row.get("vth"))
        if math.isnan(vth):
            vth = to_float(row.get("von"))
        dev = DeviceOp(
            name=name.lower(), model=model.lower(), polarity=polarity,
            id=sign * to_float(row.get("id")), vgs=sign * to_float(row.get("vgs")),
            vds=sign * to_float(row.get("vds")), vth=sign * abs(vth),
            vdsat=sign * abs(to_float(row.get("vdsat"))),
            gm=to_float(row.get("gm")), gds=to_float(row.get("gds")))
        devices[dev.name] = replace(dev, region=mosfet_region(dev))
    return devices


_ERROR_LINE = re.compile(
    r"(error|abort|singular|too small|iteration limit|no convergence|not converge|unknown|"
    r"not available|no such|can't|cannot|could not|failed|fatal|unrecognized|undefined)", re.IGNORECASE)


def ngspice_errors(log: str) -> str:
    """ngspice's own error lines, joined into one line (empty when there are none)."""
    lines, seen = [], set()
    for line in log.splitlines():
        text = re.sub(r"^.*?(Warning|Error)", r"\1", line.strip()) if "Trying gmin" in line else line.strip()
        if not text or not _ERROR_LINE.search(text) or "compatibility mode" in text:
            continue
        shape = re.sub(r"[-+0-9.eE]+", "#", text)  # gmin/source-stepping repeats differ only in numbers
        if shape not in seen:
            seen.add(shape)
            lines.append(text)
    return "; ".join(lines[:6])


def _save_key(name: str) -> str:
    key = name.strip().lower()
    if key.endswith("#branch"):
        return f"i({key[:-7]})"
    if key.startswith(("v(", "i(", "@")):
        return key
    return f"v({key})"


def collect(outdir: Path, analyses: Sequence[Analysis], body: str, log: str, seconds: float,
            mode: str, save: Sequence[str] = ()) -> SimResult:
    """Read the files the control block wrote; a missing or wrong plot is a SimulationError.

    With ``save`` given, AC/DC/transient vectors are limited to those names (the written
    file may hold more when the save list was too long for one ngspice command).
    """
    keep = {_save_key(n) for n in save}
    parts: dict[str, object] = {}
    for analysis in analyses:
        kind = _KIND[type(analysis)]
        path = outdir / f"{kind}.raw"
        if not path.exists():
            raise SimulationError(f"ngspice {kind} analysis failed: {ngspice_errors(log) or 'no results written'}",
                                  fix="check the circuit (models, connections, source values)")
        plot = read_rawfile(path.read_bytes(), source=str(path.name))
        if plot.plotname.lower() != _PLOTNAME[kind]:
            raise SimulationError(
                f"ngspice {kind} analysis failed: {ngspice_errors(log) or 'it produced no ' + kind + ' plot'}",
                fix="check the circuit (convergence, models, source values)")
        if kind == "op":
            voltages, currents = plot_to_op(plot)
            mos = outdir / "mos.txt"
            mod = outdir / "mod.txt"
            devices = device_ops(mos.read_text("latin-1") if mos.exists() else "",
                                 mod.read_text("latin-1") if mod.exists() else "", body)
            parts["op"] = OpResult(voltages, currents, devices, source_nodes(body))
        else:
            wave = plot_to_waveform(plot)
            if keep and not keep >= set(wave.vectors):
                wave = Waveform(wave.x_name, wave.x, {k: v for k, v in wave.vectors.items() if k in keep})
            if wave.x.size == 0:
                raise SimulationError(f"ngspice {kind} analysis returned no points: {ngspice_errors(log)}")
            parts[kind] = wave
    return SimResult(seconds=seconds, log=log, mode=mode, **parts)


# --- running ----------------------------------------------------------------------------

def ngspice_path() -> str:
    path = os.environ.get("CHIPSMITH_NGSPICE") or shutil.which("ngspice")
    if not path:
        raise SimulationError("ngspice is not installed",
                              fix="apt-get install ngspice (make test does it) or set CHIPSMITH_NGSPICE")
    return path


def _clean_log(text: str) -> str:
    return "\n".join(line for line in text.splitlines()
                     if line.strip() and "No compatibility mode selected" not in line)


def run_ngspice_batch(tmp: Path, timeout_s: float, what: str = "the analysis") -> tuple[str, float]:
    """Run ``tmp/deck.cir`` with ``ngspice -b`` in ``tmp``: (cleaned log, seconds).

    ngspice gets its own process group, so a timeout kills it and anything it started
    (raising :class:`SimulationTimeout`); a crash raises :class:`SimulationError`.
    """
    exe = ngspice_path()
    start = time.perf_counter()
    proc = subprocess.Popen([exe, "-n", "-b", "deck.cir"], cwd=tmp, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
                            env={**os.environ, "LC_ALL": "C"})
    try:
        out, err = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        _kill_group(proc)
        raise SimulationTimeout(f"ngspice ran past the {timeout_s:g} s time limit and was killed",
                                fix=f"raise timeout_s/--timeout or shorten {what}") from None
    seconds = time.perf_counter() - start
    log = _clean_log(out.decode("latin-1") + "\n" + err.decode("latin-1"))
    if proc.returncode not in (0, 1):
        raise SimulationError(f"ngspice crashed (exit {proc.returncode}): {ngspice_errors(log) or log[-300:]}")
    return log, seconds


def _run_subprocess(body: str, analyses: Sequence[Analysis], save: Sequence[str], timeout_s: float) -> SimResult:
    with tempfile.TemporaryDirectory(prefix="chipsmith-ngspice-") as tmp:
        outdir = Path(tmp)
        (outdir / "deck.cir").write_text(build_deck(body, control_commands(analyses, save, ".")))
        log, seconds = run_ngspice_batch(outdir, timeout_s)
        return collect(outdir, analyses, body, log, seconds, "subprocess", save)


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    try:
        proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:  # pragma: no cover - a process that ignores SIGKILL
        pass


def simulate(circuit: str, analyses: Sequence[Analysis] | Analysis, *, save: Sequence[str] = (),
             timeout_s: float = 30.0, mode: str = "subprocess", trusted: bool = False,
             include_dirs: Sequence[Path] = (), source: str = "<circuit>") -> SimResult:
    """Simulate ``circuit`` (title line, elements, models; no analysis cards) with ngspice.

    Untrusted text (the default) passes :func:`chipsmith.spice.safety.check_safe` first
    (``include_dirs`` are the directories ``.include``/``.lib`` may read from); hostile
    text raises ``UnsafeNetlistError`` and ngspice is never started. ``save`` restricts
    the AC/DC/transient vectors returned (the op point always has every node). Errors and
    non-convergence raise ``SimulationError`` carrying ngspice's message; a run longer
    than ``timeout_s`` is killed and raises ``SimulationTimeout``.
    """
    if mode not in MODES:
        raise InputError(f"unknown simulation mode {mode!r}", fix=f"use one of: {', '.join(MODES)}")
    if not (_finite(timeout_s) and timeout_s > 0):
        raise InputError(f"timeout must be a positive number of seconds, got {timeout_s!r}")
    analyses = validate_analyses(analyses)
    save = check_save(save)
    if not trusted:
        from chipsmith.spice.safety import check_safe

        check_safe(circuit, source, allowed_include_dirs=tuple(Path(d) for d in include_dirs))
    body = resolve_includes(prepare_circuit(circuit, source), include_dirs)
    if mode == "shared":
        from chipsmith.spice.shared import run_shared

        return run_shared(body, analyses, save, timeout_s)
    return _run_subprocess(body, analyses, save, timeout_s)


def simulate_deck(deck: str, analyses: Sequence[Analysis] | Analysis = (), **kwargs) -> SimResult:
    """Simulate a complete SPICE deck: its ``.op/.ac/.dc/.tran`` cards are the analyses
    unless ``analyses`` is given (then the cards are dropped). Keyword arguments as for
    :func:`simulate`; untrusted text is safety-checked before the cards are taken apart.
    """
    source = kwargs.get("source", "<deck>")
    if not kwargs.get("trusted", False):
        from chipsmith.spice.safety import check_safe

        check_safe(deck, source, allowed_include_dirs=tuple(Path(d) for d in kwargs.get("include_dirs", ())))
    body, from_cards = split_analyses(deck, source)
    if isinstance(analyses, (Op, Ac, Dc, Tran)):
        analyses = [analyses]
    return simulate(body, list(analyses) or from_cards, **kwargs)


__all__ = ["Op", "Ac", "Dc", "Tran", "Analysis", "simulate", "SimResult", "Waveform", "OpResult", "DeviceOp",
           "MODES", "prepare_circuit", "control_commands", "collect", "split_analyses", "parse_analysis",
           "simulate_deck", "resolve_includes"]
