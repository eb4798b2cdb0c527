"""An outside scorer for `chipsmith synth`, in the style of the public LLM-circuit benchmarks.

It plays the part of a user with their own testbenches: it calls the CLI the way a user
does (``chipsmith synth TEXT --inputs ... --outputs ...``), takes the ``design.cir`` that
comes out, and checks it with ngspice testbenches written here by hand. It shares no code
with chipsmith's agent or its judge (not the reader, not the requirements, not the
testbench writers): it knows only the task (text, port names, a circuit type) and the
documented interface conventions of a chipsmith design:

- the design is ``.subckt design <the user's ports in order: inputs, outputs, bias> vdd gnd``;
- the supply is 1.8 V unless the task says otherwise;
- bias-voltage ports are driven at vdd/2 and signal inputs of op-amp circuits sit at a
  common mode of vdd/2 (single supply), as docs/synthesis.md documents.

Task types (the ``Type`` column of the public problem sets): Amplifier, Inverter,
CurrentMirror, Opamp, Oscillator, VCO, PLL, Integrator, Differentiator, Adder,
Subtractor, Schmitt, Comparator, LowPass, HighPass, BandPass, BandStop, Mixer.

Each task ends as ``solved`` (synth claimed success, the scorer agrees), ``false_success``
(synth claimed success, the scorer disagrees) or ``refused`` (synth exit != 0).

Task files: JSON Lines (``{"id", "text", "inputs": [...], "outputs": [...], "type",
"vdd"?, "min_gain"?, "coefficients"?}``) or the public TSV layout
(``Id  Level  Circuit  Input  Output  Type ...``, inputs "-" for none).
"""
from __future__ import annotations

import csv
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np

from chipsmith.errors import InputError

NGSPICE_TIMEOUT_S = 120
SYNTH_TIMEOUT_S = 600
MIN_DEVICE_CURRENT_A = 10e-6      # an amplifier's transistors all conduct (public benchmarks use 10 uA)


@dataclass(frozen=True)
class Task:
    id: str
    text: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    type: str
    vdd: float = 1.8
    min_gain: float | None = None                  # |Av| at 100 Hz, amplifiers
    coefficients: tuple[float, ...] | None = None  # adders/subtractors: Vout = sum(c_i Vin_i)


@dataclass
class Verdict:
    ok: bool
    reason: str
    figures: dict[str, Any] = field(default_factory=dict)


# --- loading tasks ---------------------------------------------------------------------------------

def _ports(cell: str) -> tuple[str, ...]:
    cell = cell.strip()
    if cell in ("", "-", "none"):
        return ()
    return tuple(p.strip() for p in cell.split(",") if p.strip())


def load_tasks(path: Path) -> list[Task]:
    if not path.is_file():
        raise InputError(f"task file {path} does not exist", fix="give a .jsonl or public-style .tsv task file")
    tasks: list[Task] = []
    if path.suffix == ".tsv":
        with path.open(newline="") as fh:
            for row in csv.DictReader(fh, delimiter="\t"):
                if not row.get("Circuit") or not row.get("Type"):
                    continue
                tasks.append(Task(id=str(row["Id"]), text=row["Circuit"], inputs=_ports(row["Input"]),
                                  outputs=_ports(row["Output"]), type=row["Type"]))
        return tasks
    for n, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        try:
            d = json.loads(line)
            coeffs = d.get("coefficients")
            tasks.append(Task(id=str(d["id"]), text=d["text"], inputs=tuple(d["inputs"]), outputs=tuple(d["outputs"]),
                              type=d["type"], vdd=float(d.get("vdd", 1.8)), min_gain=d.get("min_gain"),
                              coefficients=tuple(coeffs) if coeffs else None))
        except (ValueError, KeyError, TypeError) as exc:
            raise InputError(f"{path}:{n}: bad task line ({exc})", fix="see benchmarks/external_scorer.py for the format")
    return tasks


# --- ngspice ---------------------------------------------------------------------------------------

def subckt_ports(design: str) -> list[str]:
    """Port names of ``.subckt design`` (continuation lines joined), lower-case."""
    text = re.sub(r"\n\+", " ", design)
    m = re.search(r"^\s*\.subckt\s+design\s+([^\n]*)$", text, re.I | re.M)
    if not m:
        raise ValueError("no .subckt design in design.cir")
    return [t.lower() for t in m.group(1).split() if "=" not in t and t.lower() != "params:"]


def run_ngspice(netlist: str, workdir: Path, vectors: list[str], analysis: str) -> dict[str, np.ndarray]:
    """Run ``analysis`` (a control command such as ``tran 1n 1u``) and return the vectors."""
    deck = workdir / "scorer.cir"
    data = workdir / "scorer.out"
    lower = [v.lower() for v in vectors]
    # complex (AC) vectors would take two columns each; write magnitudes under plain names
    wrap = "mag" if analysis.strip().lower().startswith("ac") else ""
    lets = "\n".join(f"let s{i} = {wrap}({v})" for i, v in enumerate(lower))
    names = " ".join(f"s{i}" for i in range(len(lower)))
    deck.write_text(netlist + "\n.control\nset wr_singlescale\nset wr_vecnames\noption numdgt=9\n"
                    f"{analysis}\n{lets}\nwrdata {data.name} {names}\n.endc\n.end\n")
    if data.exists():
        data.unlink()
    proc = subprocess.run(["ngspice", "-b", deck.name], cwd=workdir, capture_output=True, text=True,
                          timeout=NGSPICE_TIMEOUT_S)
    if not data.exists():
        tail = (proc.stdout + proc.stderr).strip().splitlines()[-3:]
        raise RuntimeError(f"ngspice produced no data ({' | '.join(tail)})")
    lines = data.read_text().split("\n")
    header = lines[0].split()
    rows = np.array([[float(x) for x in ln.split()] for ln in lines[1:] if ln.strip()])
    if rows.size == 0:
        raise RuntimeError("ngspice produced an empty result")
    out = {name.lower(): rows[:, i] for i, name in enumerate(header)}
    for i, v in enumerate(lower):
        out[v] = out.pop(f"s{i}")
    return out


def op_currents(netlist: str, workdir: Path) -> dict[str, float]:
    """Drain current of every MOSFET at the operating point (flattened names)."""
    deck = workdir / "op.cir"
    deck.write_text(netlist + "\n.control\nop\nshow m : id\n.endc\n.end\n")
    proc = subprocess.run(["ngspice", "-b", deck.name], cwd=workdir, capture_output=True, text=True,
                          timeout=NGSPICE_TIMEOUT_S)
    currents: dict[str, float] = {}
    names: list[str] = []
    for line in proc.stdout.splitlines():
        parts = line.split()
        if not parts:
            continue
        if parts[0] == "device":
            names = parts[1:]
        elif parts[0] == "id" and names:
            for name, val in zip(names, parts[1:]):
                try:
                    currents[name] = float(val)
                except ValueError:
                    pass
            names = []
    return currents


# --- testbench building ----------------------------------------------------------------------------

@dataclass
class Bench:
    task: Task
    design_path: Path
    ports: list[str]

    @property
    def vdd(self) -> float:
        return self.task.vdd

    def header(self, drives: dict[str, str], extra: str = "", *, supply: str | None = None) -> str:
        """The design instance with every port on a node named after it; ``drives`` maps a
        port (lower-case) to the source line body (``DC 0.9``, ``PULSE(...)``)."""
        nodes = []
        for p in self.ports:
            nodes.append("0" if p == "gnd" else p)
        lines = [f"* external scorer bench for task {self.task.id}", f".include {self.design_path}",
                 f"X1 {' '.join(nodes)} design", f"Vsupply vdd 0 {supply or f'DC {self.vdd}'}"]
        for port, body in drives.items():
            lines.append(f"Vdrv_{port} {port} 0 {body}")
        lines.append(extra)
        return "\n".join(lines)

    @property
    def signal_inputs(self) -> list[str]:
        """The inputs that carry the signal: the public task lists put bias pins among the
        inputs, so a pin named like a bias (vbias, vb1, bias2) is a bias pin, not a signal."""
        return [i.lower() for i in self.task.inputs if not _is_bias(i)]

    def bias_drives(self) -> dict[str, str]:
        """Every port that is neither a signal input, an output, a current pin nor a supply,
        driven at vdd/2 (the documented convention)."""
        outs = {o.lower() for o in self.task.outputs}
        sig = set(self.signal_inputs)
        return {p: f"DC {self.vdd / 2}" for p in self.ports
                if p not in outs and p not in sig and p not in ("vdd", "gnd") and not p.startswith("i")}


def _is_bias(name: str) -> bool:
    return bool(re.fullmatch(r"v?(bias|b)\d*|vbias\w*|bias\w*", name.lower()))


def _crossing_times(t: np.ndarray, y: np.ndarray, level: float) -> np.ndarray:
    idx = np.where((y[:-1] < level) & (y[1:] >= level))[0]
    return t[idx] + (level - y[idx]) * (t[idx + 1] - t[idx]) / np.maximum(y[idx + 1] - y[idx], 1e-30)


def periodic(t: np.ndarray, y: np.ndarray, vdd: float) -> tuple[bool, float, str]:
    """Steady periodic oscillation in the second half of a transient: (ok, frequency, why)."""
    half = t >= t[-1] / 2
    tt, yy = t[half], y[half]
    swing = float(yy.max() - yy.min())
    if swing < 0.1 * vdd:
        return False, 0.0, f"swing {swing:.3g} V < 10% of vdd"
    rises = _crossing_times(tt, yy, float(yy.min() + yy.max()) / 2)
    if len(rises) < 4:
        return False, 0.0, f"only {len(rises)} rising crossings in the second half"
    periods = np.diff(rises)
    spread = float(np.std(periods) / np.mean(periods))
    if spread > 0.05:
        return False, 1 / float(np.mean(periods)), f"period spread {spread:.1%} > 5%"
    return True, 1 / float(np.mean(periods)), ""


def _oscillation(bench: Bench, wd: Path, drives: dict[str, str], out: str) -> tuple[bool, float, str]:
    """Power up from 0 V (supply ramp) and look for oscillation on two time scales."""
    vdd = bench.vdd
    for stop, step in ((4e-6, 0.2e-9), (40e-3, 2e-6)):
        net = bench.header(drives, supply=f"PWL(0 0 {step * 5} {vdd})")
        try:
            v = run_ngspice(net, wd, [f"v({out})"], f"tran {step} {stop} 0 {step}")
        except (RuntimeError, subprocess.TimeoutExpired) as exc:
            return False, 0.0, f"transient failed: {exc}"
        ok, f, why = periodic(v["time"], v[f"v({out})"], vdd)
        if ok:
            return ok, f, why
    return False, 0.0, why


# --- checks per task type --------------------------------------------------------------------------

def _amplifier(bench: Bench, wd: Path) -> Verdict:
    task = bench.task
    vin, vout = bench.signal_inputs[0], task.outputs[0].lower()
    drives = bench.bias_drives()
    drives[vin] = "DC 0"
    sweep = run_ngspice(bench.header(drives), wd, [f"v({vout})"], f"dc Vdrv_{vin} 0 {bench.vdd} {bench.vdd / 360}")
    x, y = sweep["v-sweep"], sweep[f"v({vout})"]
    # the operating point a designer picks: the input level that puts the output in the
    # middle of its range (widest swing both ways)
    lo, hi = float(y.min()), float(y.max())
    if hi - lo < 0.05 * bench.vdd:
        return Verdict(False, f"the output moves only {hi - lo:.3g} V over the whole input range")
    best = int(np.argmin(np.abs(y - (lo + hi) / 2)))
    vbias = float(x[best])
    drives[vin] = f"DC {vbias} AC 1"
    currents = op_currents(bench.header(drives), wd)
    weakest = min((abs(i) for i in currents.values()), default=None)
    ac = run_ngspice(bench.header(drives), wd, [f"v({vout})"], "ac dec 2 100 1k")
    gain = float(abs(ac[f"v({vout})"][0])) if f"v({vout})" in ac else float("nan")
    figs = {"input_bias_v": vbias, "gain_100hz": gain, "min_device_current_a": weakest}
    if weakest is not None and weakest < MIN_DEVICE_CURRENT_A:
        return Verdict(False, f"a transistor carries only {weakest:.3g} A at the operating point", figs)
    need = task.min_gain if task.min_gain is not None else 1e-5
    if not gain >= need:
        return Verdict(False, f"gain {gain:.3g} at 100 Hz < {need}", figs)
    return Verdict(True, "", figs)


def _inverter(bench: Bench, wd: Path) -> Verdict:
    vin, vout = bench.task.inputs[0].lower(), bench.task.outputs[0].lower()
    v = run_ngspice(bench.header({vin: "DC 0"}), wd, [f"v({vout})"], f"dc Vdrv_{vin} 0 {bench.vdd} {bench.vdd / 100}")
    y = v[f"v({vout})"]
    figs = {"vout_at_0": float(y[0]), "vout_at_vdd": float(y[-1])}
    if y[0] > 0.8 * bench.vdd and y[-1] < 0.2 * bench.vdd:
        return Verdict(True, "", figs)
    return Verdict(False, "not an inverting logic transfer (high at 0 V in, low at vdd in)", figs)


def _flat_resistors(design: str, top_ports: list[str]) -> list[tuple[str, str, str]]:
    """(flattened name, node a, node b) of every resistor, nodes named in the top design's terms."""
    text = re.sub(r"\n\+", " ", design)
    subckts: dict[str, tuple[list[str], list[str]]] = {}
    cur = None
    for line in text.splitlines():
        s = line.strip()
        if not s or s.startswith("*"):
            continue
        low = s.lower().split()
        if low[0] == ".subckt":
            ports = [t for t in low[2:] if "=" not in t and t != "params:"]
            cur = low[1]
            subckts[cur] = (ports, [])
        elif low[0] == ".ends":
            cur = None
        elif cur:
            subckts[cur][1].append(s.lower())
    found: list[tuple[str, str, str]] = []

    def walk(name: str, prefix: str, mapping: dict[str, str]) -> None:
        ports, body = subckts[name]
        for line in body:
            toks = line.split()
            el = toks[0]
            def node(n: str) -> str:
                return mapping.get(n, f"{prefix}{n}")
            if el.startswith("r") and len(toks) >= 3:
                found.append((_flat(el, prefix), node(toks[1]), node(toks[2])))
            elif el.startswith("x"):
                args = [t for t in toks[1:] if "=" not in t and t != "params:"]
                sub = args[-1]
                if sub in subckts:
                    inner_ports = subckts[sub][0]
                    walk(sub, f"{prefix}{el}.", {p: node(a) for p, a in zip(inner_ports, args[:-1])})
    walk("design", "x1.", {p: ("0" if p == "gnd" else p) for p in top_ports})
    return found


def _flat(el: str, prefix: str) -> str:
    # ngspice names a resistor r1 inside x1.x2 as r.x1.x2.r1
    return f"r.{prefix}{el}"


def _current_source(bench: Bench, wd: Path) -> Verdict:
    """The current in the design's load resistor stays put while the resistor changes."""
    task = bench.task
    out = task.outputs[0].lower()
    design = bench.design_path.read_text()
    loads = [r for r in _flat_resistors(design, bench.ports) if out in (r[1], r[2])]
    if not loads:
        return Verdict(False, f"no load resistor on the output {out}")
    rname, a, b = loads[0]
    drives = bench.bias_drives()
    iref = [p for p in bench.ports if p.startswith("i") and p != out and p in {i.lower() for i in task.inputs}]
    # a current input gets 20 uA from the supply into the pin (documented convention)
    for p in [i.lower() for i in task.inputs if i.lower() not in iref]:
        drives.setdefault(p, f"DC {bench.vdd / 2}")
    def load_current(iref_a: float, r: float) -> float:
        lines = [f"Iref_{p} vdd {p} DC {iref_a}" for p in iref]
        probes = [f"v({n})" for n in (a, b) if n != "0"]
        meas = run_ngspice(bench.header(drives, "\n".join(lines)), wd, probes, f"alter {rname} = {r}\nop")
        va = float(meas[f"v({a})"][0]) if a != "0" else 0.0
        vb = float(meas[f"v({b})"][0]) if b != "0" else 0.0
        return abs(va - vb) / r

    currents = [load_current(20e-6, r) for r in (100, 300, 500, 750, 1000)]
    spread = (max(currents) - min(currents)) / max(max(currents), 1e-30)
    figs: dict[str, Any] = {"load_currents_a": currents, "spread": spread}
    if min(currents) < MIN_DEVICE_CURRENT_A:
        return Verdict(False, f"output current {min(currents):.3g} A < 10 uA", figs)
    if spread > 0.02:
        return Verdict(False, f"output current varies {spread:.1%} over a 100-1000 ohm load", figs)
    if iref:  # a mirror: doubling the reference must move the output
        doubled = load_current(40e-6, 500)
        figs["current_at_double_iref_a"] = doubled
        if abs(doubled - currents[2]) < 0.2 * currents[2]:
            return Verdict(False, "the output current does not follow Iref", figs)
    return Verdict(True, "", figs)


def _opamp(bench: Bench, wd: Path) -> Verdict:
    task = bench.task
    inp, inn = bench.signal_inputs[0], bench.signal_inputs[1]
    outs = [o.lower() for o in task.outputs]
    cm = bench.vdd / 2
    drives = bench.bias_drives()
    drives[inp], drives[inn] = f"DC {cm} AC 0.5", f"DC {cm} AC 0.5 180"
    currents = op_currents(bench.header(drives), wd)
    weakest = min((abs(i) for i in currents.values()), default=None)
    figs: dict[str, Any] = {"min_device_current_a": weakest}
    if weakest is not None and weakest < MIN_DEVICE_CURRENT_A:
        return Verdict(False, f"a transistor carries only {weakest:.3g} A at the operating point", figs)
    diff = run_ngspice(bench.header(drives), wd, [f"v({o})" for o in outs], "ac dec 2 100 1k")
    drives[inn] = f"DC {cm} AC 0.5"
    common = run_ngspice(bench.header(drives), wd, [f"v({o})" for o in outs], "ac dec 2 100 1k")
    for o in outs:
        gd, gc = float(abs(diff[f"v({o})"][0])), float(abs(common[f"v({o})"][0]))
        figs[f"{o}_diff_gain"], figs[f"{o}_cm_gain"] = gd, gc
        if not (gd > 1.0 and gd > gc):
            return Verdict(False, f"{o}: differential gain {gd:.3g} vs common-mode gain {gc:.3g}", figs)
    return Verdict(True, "", figs)


def _oscillator(bench: Bench, wd: Path) -> Verdict:
    out = bench.task.outputs[0].lower()
    ok, f, why = _oscillation(bench, wd, bench.bias_drives(), out)
    return Verdict(ok, why, {"frequency_hz": f})


def _vco(bench: Bench, wd: Path) -> Verdict:
    ctrl, out = bench.task.inputs[0].lower(), bench.task.outputs[0].lower()
    freqs = []
    for frac in (0.4, 0.55, 0.7):
        drives = bench.bias_drives()
        drives[ctrl] = f"DC {frac * bench.vdd}"
        ok, f, why = _oscillation(bench, wd, drives, out)
        if not ok:
            return Verdict(False, f"control at {frac * bench.vdd:.2f} V: {why}", {"frequencies_hz": freqs})
        freqs.append(f)
    steps = np.diff(freqs)
    mono = bool(np.all(steps > 0.02 * freqs[0]) or np.all(steps < -0.02 * freqs[0]))
    return Verdict(mono, "" if mono else "frequency does not move monotonically with the control voltage",
                   {"frequencies_hz": freqs})


def _pll(bench: Bench, wd: Path) -> Verdict:
    ref, out = bench.task.inputs[0].lower(), bench.task.outputs[0].lower()
    figs: dict[str, Any] = {}
    for f_ref in (10e6, 8e6):
        period = 1 / f_ref
        drives = bench.bias_drives()
        drives[ref] = (f"PULSE(0 {bench.vdd} 30n {0.02 * period} {0.02 * period} {0.48 * period} {period})")
        try:
            v = run_ngspice(bench.header(drives), wd, [f"v({out})"], f"tran 0.2n 12u 0 0.2n")
        except (RuntimeError, subprocess.TimeoutExpired) as exc:
            return Verdict(False, f"transient failed: {exc}", figs)
        t, y = v["time"], v[f"v({out})"]
        late = t >= 9e-6
        rises = _crossing_times(t[late], y[late], bench.vdd / 2)
        if len(rises) < 3:
            return Verdict(False, f"no output clock at f_ref={f_ref:.3g}", figs)
        f_out = 1 / float(np.mean(np.diff(rises)))
        figs[f"f_out_at_{f_ref:.0e}"] = f_out
        if abs(f_out - f_ref) / f_ref > 0.05:
            return Verdict(False, f"output at {f_out:.4g} Hz for a {f_ref:.3g} Hz reference", figs)
    return Verdict(True, "", figs)


def _linear(bench: Bench, wd: Path) -> Verdict:
    """Adder/subtractor: Vout moves by sum(c_i * dVin_i) around the vdd/2 common mode."""
    task = bench.task
    ins, out = [i.lower() for i in task.inputs], task.outputs[0].lower()
    coeffs = task.coefficients or ((-1.0,) * len(ins) if task.type.lower() == "adder" else (-1.0, 1.0))
    cm = bench.vdd / 2
    base = {p: f"DC {cm}" for p in ins}
    base.update(bench.bias_drives())
    v0 = float(run_ngspice(bench.header(base), wd, [f"v({out})"], "op")[f"v({out})"][0])
    worst = 0.0
    for k, p in enumerate(ins):
        for d in (-0.1, 0.1):
            drives = dict(base)
            drives[p] = f"DC {cm + d}"
            v = float(run_ngspice(bench.header(drives), wd, [f"v({out})"], "op")[f"v({out})"][0])
            err = abs((v - v0) - coeffs[k] * d) / abs(coeffs[k] * d)
            worst = max(worst, err)
    figs = {"worst_relative_error": worst, "coefficients": list(coeffs)}
    return Verdict(worst <= 0.05, "" if worst <= 0.05 else f"linear relation off by {worst:.1%}", figs)


def _integrator_like(bench: Bench, wd: Path, *, integrate: bool) -> Verdict:
    vin, vout = bench.task.inputs[0].lower(), bench.task.outputs[0].lower()
    cm, amp = bench.vdd / 2, 0.05 * bench.vdd
    best: Verdict | None = None
    for period in (1e-5, 1e-4, 1e-3, 1e-2):
        drives = bench.bias_drives()
        # the wave starts at the common mode, so the circuit starts at rest, not railed
        hi, lo, e = cm + amp, cm - amp, period / 200
        if integrate:   # square in -> triangle out
            drives[vin] = (f"PWL(0 {cm} {e} {hi} {period / 2} {hi} {period / 2 + e} {lo} {period} {lo} "
                           f"{period + e} {hi} {1.5 * period} {hi}) r={period / 2}")
        else:           # triangle in -> square out
            drives[vin] = f"PWL(0 {cm} {period / 4} {hi} {0.75 * period} {lo} {1.25 * period} {hi}) r={period / 4}"
        # 30 periods, so a DC-stabilising leak resistor has settled; judge the last two
        v = run_ngspice(bench.header(drives), wd, [f"v({vout})"], f"tran {period / 200} {30 * period} 0 {period / 200}")
        t, y = v["time"], v[f"v({vout})"]
        last = t >= 28 * period
        tt, yy = t[last], y[last]
        swing = float(yy.max() - yy.min())
        if swing < 0.02 * bench.vdd or yy.max() > 0.97 * bench.vdd or yy.min() < 0.03 * bench.vdd:
            continue
        # inside each half period the integrator output is a straight ramp of opposite sign
        # to the input; the differentiator output is flat. Phase 0-0.5: the integrator's
        # input is high, the differentiator's input falls (its wave is a quarter period on).
        phase = (((tt - (0 if integrate else period / 4)) % period) / period)
        first = (phase > 0.1) & (phase < 0.4)
        second = (phase > 0.6) & (phase < 0.9)
        s1 = np.polyfit(tt[first], yy[first], 1)[0] if first.sum() > 3 else 0.0
        s2 = np.polyfit(tt[second], yy[second], 1)[0] if second.sum() > 3 else 0.0
        figs = {"period_s": period, "swing_v": swing, "slope_first": s1, "slope_second": s2}
        if integrate:
            ok = s1 < 0 < s2 and abs(abs(s1) - abs(s2)) < 0.3 * max(abs(s1), abs(s2))
        else:
            lvl1, lvl2 = float(np.median(yy[first])), float(np.median(yy[second]))
            figs.update(level_first=lvl1, level_second=lvl2)
            flat = abs(s1) * period / 2 < 0.2 * swing and abs(s2) * period / 2 < 0.2 * swing
            ok = flat and lvl1 > lvl2 and (lvl1 - lvl2) > 0.5 * swing   # falling input -> high (inverting)
        verdict = Verdict(ok, "" if ok else "waveform shape not as expected", figs)
        if ok:
            return verdict
        best = best or verdict
    return best or Verdict(False, "output saturated or flat at every test period")


def _schmitt(bench: Bench, wd: Path) -> Verdict:
    vin, vout = bench.task.inputs[0].lower(), bench.task.outputs[0].lower()
    drives = bench.bias_drives()
    drives[vin] = f"PWL(0 0 1m {bench.vdd} 2m 0)"
    v = run_ngspice(bench.header(drives), wd, [f"v({vout})", f"v({vin})"], "tran 1u 2m 0 1u")
    t, x, y = v["time"], v[f"v({vin})"], v[f"v({vout})"]
    mid = bench.vdd / 2
    up, down = t <= 1e-3, t > 1e-3
    high_at_top = y[np.argmin(np.abs(t - 1e-3))] > 0.8 * bench.vdd
    low_at_start = y[0] < 0.2 * bench.vdd
    try:
        th_up = float(x[up][np.where(y[up] > mid)[0][0]])
        th_down = float(x[down][np.where(y[down] < mid)[0][0]])
    except IndexError:
        return Verdict(False, "the output does not switch both ways")
    figs = {"threshold_rising_v": th_up, "threshold_falling_v": th_down}
    if not (high_at_top and low_at_start):
        return Verdict(False, "not non-inverting rail-to-rail switching", figs)
    if th_up - th_down < 0.02 * bench.vdd:
        return Verdict(False, f"hysteresis {th_up - th_down:.3g} V too small", figs)
    return Verdict(True, "", figs)


def _comparator(bench: Bench, wd: Path) -> Verdict:
    vin, vout = bench.task.inputs[0].lower(), bench.task.outputs[0].lower()
    drives = bench.bias_drives()
    drives[vin] = "DC 0"
    v = run_ngspice(bench.header(drives), wd, [f"v({vout})"], f"dc Vdrv_{vin} 0 {bench.vdd} {bench.vdd / 360}")
    x, y = v["v-sweep"], v[f"v({vout})"]
    high, low = y > 0.8 * bench.vdd, y < 0.2 * bench.vdd
    figs = {"vout_at_0": float(y[0]), "vout_at_vdd": float(y[-1])}
    if not (low[0] and high[-1]):
        return Verdict(False, "output not low below the reference and high above it", figs)
    edge = np.where(high)[0][0]
    start = np.where(low)[0][-1] if low.any() else 0
    figs["threshold_v"] = float(x[edge])
    width = float(x[edge] - x[start])
    figs["transition_width_v"] = width
    return Verdict(width < 0.05 * bench.vdd, "" if width < 0.05 * bench.vdd else "transition not sharp", figs)


def _filter(bench: Bench, wd: Path) -> Verdict:
    vin, vout = bench.task.inputs[0].lower(), bench.task.outputs[0].lower()
    drives = bench.bias_drives()
    drives[vin] = f"DC {bench.vdd / 2} AC 1"
    v = run_ngspice(bench.header(drives), wd, [f"v({vout})"], "ac dec 20 1 1g")
    f = v["frequency"]
    mag = 20 * np.log10(np.maximum(np.abs(v[f"v({vout})"]), 1e-30))
    peak = float(mag.max())
    lo, hi = float(mag[0]), float(mag[-1])
    kind = bench.task.type.lower()
    figs = {"db_at_1hz": lo, "db_at_1ghz": hi, "peak_db": peak, "min_db": float(mag.min())}
    if kind == "lowpass":
        ok = lo > peak - 3 and hi < lo - 20
    elif kind == "highpass":
        ok = hi > peak - 3 and lo < hi - 20
    elif kind == "bandpass":
        ok = lo < peak - 20 and hi < peak - 20
    else:  # bandstop: passes at both ends, a notch in between
        notch = int(np.argmin(mag))
        ok = 0 < notch < len(mag) - 1 and lo > peak - 3 and hi > peak - 3 and float(mag[notch]) < min(lo, hi) - 20
    return Verdict(ok, "" if ok else f"response is not {kind}", figs)


def _mixer(bench: Bench, wd: Path) -> Verdict:
    task = bench.task
    ins = [i.lower() for i in task.inputs]
    outs = [o.lower() for o in task.outputs]
    if len(ins) != 4 or len(outs) != 2:
        return Verdict(False, "scorer expects RF+, RF-, LO+, LO- inputs and two outputs")
    rfp, rfn, lop, lon = ins
    f_rf, f_lo, amp = 1e3, 1.2e3, 0.02
    cm = bench.vdd / 2
    lines = []
    drives = bench.bias_drives()
    # AC-coupled drive, so an internally biased input is not overridden; a 1 Mohm to vdd/2
    # gives an input that expects outside biasing a vdd/2 common mode
    for port, f, sign in ((rfp, f_rf, 1), (rfn, f_rf, -1), (lop, f_lo, 1), (lon, f_lo, -1)):
        lines += [f"Vsig_{port} s_{port} 0 SIN(0 {sign * amp} {f})", f"Cc_{port} s_{port} {port} 10u",
                  f"Rb_{port} {port} cm 1meg"]
    lines.append(f"Vcm cm 0 DC {cm}")
    v = run_ngspice(bench.header(drives, "\n".join(lines)), wd, [f"v({outs[0]})", f"v({outs[1]})"],
                    "tran 10u 60m 0 10u")
    t = v["time"]
    keep = t >= 10e-3
    grid = np.arange(10e-3, 60e-3, 10e-6)
    d = np.interp(grid, t[keep], (v[f"v({outs[0]})"] - v[f"v({outs[1]})"])[keep])
    spec = np.abs(np.fft.rfft((d - d.mean()) * np.hanning(len(d))))
    freqs = np.fft.rfftfreq(len(d), 10e-6)
    def at(fx: float) -> float:
        return float(spec[np.argmin(np.abs(freqs - fx))])
    prods = min(at(f_lo - f_rf), at(f_lo + f_rf))
    feed = max(at(f_rf), at(f_lo))
    figs = {"product_db_over_feedthrough": 20 * math.log10(max(prods, 1e-30) / max(feed, 1e-30))}
    ok = prods > 3 * feed
    return Verdict(ok, "" if ok else "mixing products not above RF/LO feed-through", figs)


CHECKS: dict[str, Callable[[Bench, Path], Verdict]] = {
    "amplifier": _amplifier, "inverter": _inverter, "currentmirror": _current_source, "opamp": _opamp,
    "oscillator": _oscillator, "vco": _vco, "pll": _pll, "adder": _linear, "subtractor": _linear,
    "integrator": lambda b, w: _integrator_like(b, w, integrate=True),
    "differentiator": lambda b, w: _integrator_like(b, w, integrate=False),
    "schmitt": _schmitt, "comparator": _comparator, "lowpass": _filter, "highpass": _filter,
    "bandpass": _filter, "bandstop": _filter, "mixer": _mixer,
}


def score_design(task: Task, design_path: Path) -> Verdict:
    check = CHECKS.get(task.type.lower())
    if check is None:
        return Verdict(False, f"no scorer for type {task.type!r}")
    try:
        ports = subckt_ports(design_path.read_text())
    except (OSError, ValueError) as exc:
        return Verdict(False, str(exc))
    wanted = {p.lower() for p in task.inputs + task.outputs}
    missing = wanted - set(ports)
    if missing:
        return Verdict(False, f"design lacks the requested port(s) {sorted(missing)}")
    with tempfile.TemporaryDirectory(prefix="chipsmith-score-") as tmp:
        try:
            return check(Bench(task, design_path.resolve(), ports), Path(tmp))
        except (RuntimeError, subprocess.TimeoutExpired, KeyError, IndexError, ValueError) as exc:
            return Verdict(False, f"testbench failed: {exc}")


def synth_command(task: Task, out: Path) -> list[str]:
    exe = Path(sys.executable).with_name("chipsmith")
    cmd = [str(exe) if exe.exists() else "chipsmith", "synth", task.text, "--out", str(out), "--quiet",
           "--inputs", ",".join(task.inputs) if task.inputs else "none", "--outputs", ",".join(task.outputs)]
    if task.vdd != 1.8:
        cmd += ["--vdd", str(task.vdd)]
    return cmd


def solve(task: Task, workdir: Path) -> dict[str, Any]:
    out = workdir / f"task-{re.sub(r'[^A-Za-z0-9_-]', '_', task.id)}"
    start = time.perf_counter()
    try:
        proc = subprocess.run(synth_command(task, out), capture_output=True, text=True, timeout=SYNTH_TIMEOUT_S)
        claimed, message = proc.returncode == 0, (proc.stderr.strip().splitlines() or [""])[-1]
    except subprocess.TimeoutExpired:
        claimed, message = False, f"synth timed out after {SYNTH_TIMEOUT_S} s"
    seconds = time.perf_counter() - start
    row: dict[str, Any] = {"id": task.id, "type": task.type, "text": task.text, "claimed": claimed,
                           "synth_seconds": seconds}
    if not claimed:
        row.update(status="refused", reason=message)
        return row
    verdict = score_design(task, out / "design.cir")
    row.update(status="solved" if verdict.ok else "false_success", reason=verdict.reason, figures=verdict.figures)
    return row


DEFAULT_TASKS = Path(__file__).parent / "problems" / "external_v1.jsonl"


def run(tasks_path: Path | None, *, out: Path, limit: int | None = None, quiet: bool = False) -> dict[str, Any]:
    from chipsmith.artifacts import staged_output, write_json

    tasks_path = tasks_path or DEFAULT_TASKS
    tasks = load_tasks(tasks_path)[:limit]
    if not tasks:
        raise InputError(f"{tasks_path} has no tasks", fix="give a task file with at least one task")
    rows = []
    with staged_output(out) as stage, tempfile.TemporaryDirectory(prefix="chipsmith-ext-") as tmp:
        for task in tasks:
            row = solve(task, Path(tmp))
            rows.append(row)
            if not quiet:
                print(f"{task.id:>6} {row['status']:<13} {row['reason'][:100]}", flush=True)
        by_type: dict[str, dict[str, int]] = defaultdict(lambda: {s: 0 for s in ("solved", "false_success", "refused")})
        for r in rows:
            by_type[r["type"]][r["status"]] += 1
        summary = {
            "tasks": str(tasks_path), "count": len(rows),
            "solved": sum(r["status"] == "solved" for r in rows),
            "false_success": sum(r["status"] == "false_success" for r in rows),
            "refused": sum(r["status"] == "refused" for r in rows),
            "median_synth_seconds": float(np.median([r["synth_seconds"] for r in rows])),
            "by_type": dict(by_type), "results": rows,
            "scorer": "benchmarks/external_scorer.py (hand-written testbenches; shares no code with the agent or judge)",
        }
        write_json(stage / "summary.json", summary)
    return summary
