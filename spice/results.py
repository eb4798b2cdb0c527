"""Simulation results and the readers that turn ngspice's output files into them.

ngspice writes each analysis as a rawfile (``write FILE vectors``) and the MOSFET
operating-point table as text (``show m : ... > FILE``); both are written by a control
block that chipsmith generates into its own temp directory, so these readers never see
untrusted text. The result objects are plain frozen dataclasses over numpy arrays so
that the subprocess and the shared-library mode return the same thing.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Iterable, Mapping

import numpy as np

from chipsmith.errors import SimulationError


def _canonical(name: str) -> str:
    """Canonical, case-insensitive vector name: ``V(Out)`` -> ``v(out)``, ``vdd#branch`` -> ``i(vdd)``."""
    key = name.strip().lower()
    if key.endswith("#branch"):
        return f"i({key[: -len('#branch')]})"
    return key


@dataclass(frozen=True)
class Waveform:
    """One analysis' vectors over a common scale (frequency, sweep value or time).

    ``x`` is the scale (real), ``vectors`` maps lower-case ngspice names (``v(out)``,
    ``i(vdd)``) to arrays (complex for AC, real otherwise). ``get`` is case-insensitive
    and accepts a bare node name (``out`` -> ``v(out)``) and ``vdd#branch``.
    """

    x_name: str
    x: np.ndarray
    vectors: Mapping[str, np.ndarray]

    def get(self, name: str) -> np.ndarray:
        key = _canonical(name)
        for candidate in (key, f"v({key})", f"i({key})"):
            if candidate in self.vectors:
                return self.vectors[candidate]
        if key == self.x_name or key in ("x", "frequency", "time", "sweep"):
            return self.x
        valid = ", ".join(sorted(self.vectors)) or "(none)"
        raise SimulationError(f"no vector {name!r} in the {self.x_name} results",
                              fix=f"save one of: {valid}")

    def names(self) -> list[str]:
        return sorted(self.vectors)

    def to_dict(self) -> dict:
        """JSON-friendly form: complex vectors as {re, im} lists."""
        out: dict = {"x_name": self.x_name, "x": self.x.tolist(), "vectors": {}}
        for key, vec in self.vectors.items():
            if np.iscomplexobj(vec):
                out["vectors"][key] = {"re": vec.real.tolist(), "im": vec.imag.tolist()}
            else:
                out["vectors"][key] = vec.tolist()
        return out


@dataclass(frozen=True)
class DeviceOp:
    """A MOSFET's operating point in the SPICE sign convention.

    For a PMOS that is on, ``vgs``, ``vds``, ``vth``, ``vdsat`` and ``id`` are negative
    (``id`` is the current into the drain). ``polarity`` is ``"nmos"``, ``"pmos"`` or
    ``"unknown"`` (then the values are ngspice's type-normalized ones, which classify
    like an NMOS). ``region`` is filled by :func:`chipsmith.spice.measure.mosfet_region`.
    """

    name: str
    model: str = ""
    polarity: str = "nmos"
    id: float = math.nan
    vgs: float = math.nan
    vds: float = math.nan
    vth: float = math.nan
    vdsat: float = math.nan
    gm: float = math.nan
    gds: float = math.nan
    region: str = ""


@dataclass(frozen=True)
class OpResult:
    """DC operating point: node voltages, voltage-source currents, MOSFET op points.

    ``currents`` follows SPICE: the current flowing into the source's + terminal, so a
    supply that delivers power has a negative current. ``source_nodes`` maps each
    top-level voltage source to its (+, -) nodes so that power can be computed.
    """

    voltages: Mapping[str, float]
    currents: Mapping[str, float]
    devices: Mapping[str, DeviceOp] = field(default_factory=dict)
    source_nodes: Mapping[str, tuple[str, str]] = field(default_factory=dict)

    def v(self, node: str) -> float:
        key = node.strip().lower()
        if key.startswith("v(") and key.endswith(")"):
            key = key[2:-1]
        if key in ("0", "gnd"):
            return self.voltages.get(key, 0.0)
        try:
            return self.voltages[key]
        except KeyError:
            raise SimulationError(f"no node {node!r} in the operating point",
                                  fix=f"use one of: {', '.join(sorted(self.voltages))}") from None

    def i(self, source: str) -> float:
        key = _canonical(source)
        if key.startswith("i(") and key.endswith(")"):
            key = key[2:-1]
        try:
            return self.currents[key]
        except KeyError:
            raise SimulationError(f"no voltage source {source!r} in the operating point",
                                  fix=f"use one of: {', '.join(sorted(self.currents))}") from None

    def to_dict(self) -> dict:
        return {"voltages": dict(self.voltages), "currents": dict(self.currents),
                "devices": {k: _asdict(d) for k, d in self.devices.items()},
                "source_nodes": {k: list(v) for k, v in self.source_nodes.items()}}


def _asdict(obj) -> dict:
    return {f: getattr(obj, f) for f in obj.__dataclass_fields__}


@dataclass(frozen=True)
class SimResult:
    """Everything one :func:`chipsmith.spice.runner.simulate` call produced."""

    op: OpResult | None = None
    ac: Waveform | None = None
    dc: Waveform | None = None
    tran: Waveform | None = None
    seconds: float = 0.0
    log: str = ""
    mode: str = "subprocess"

    def to_dict(self) -> dict:
        """JSON-friendly summary (waveforms included in full)."""
        return {"mode": self.mode, "seconds": self.seconds,
                "op": self.op.to_dict() if self.op else None,
                "ac": self.ac.to_dict() if self.ac else None,
                "dc": self.dc.to_dict() if self.dc else None,
                "tran": self.tran.to_dict() if self.tran else None}


# --- rawfile reader ---------------------------------------------------------------------

@dataclass(frozen=True)
class RawPlot:
    """One plot of an ngspice rawfile: names in file order and one array per name."""

    plotname: str
    names: tuple[str, ...]
    data: Mapping[str, np.ndarray]
    complex: bool


def read_rawfile(blob: bytes, source: str = "<raw>") -> RawPlot:
    """Parse one ngspice rawfile (binary or ASCII; real or complex) into a :class:`RawPlot`."""
    header: dict[str, str] = {}
    names: list[str] = []
    pos = 0
    in_vars = False
    while True:
        end = blob.find(b"\n", pos)
        if end < 0:
            raise SimulationError("truncated rawfile (no data section)", where=source)
        line = blob[pos:end].decode("latin-1").rstrip("\r")
        pos = end + 1
        if in_vars and line.startswith(("\t", " ")) and line.strip():
            parts = line.split()
            names.append(_canonical(parts[1]))
            continue
        in_vars = False
        key, _, value = line.partition(":")
        key = key.strip()
        if key == "Variables":
            in_vars = True
        elif key in ("Binary", "Values"):
            mode = key
            break
        else:
            header[key] = value.strip()
    nvars = len(names)
    is_complex = "complex" in header.get("Flags", "").lower()
    if nvars == 0:
        raise SimulationError("rawfile lists no variables", where=source)
    if mode == "Binary":
        width = 16 if is_complex else 8
        usable = (len(blob) - pos) // (width * nvars) * (width * nvars)
        flat = np.frombuffer(blob, dtype="<f8", count=usable // 8, offset=pos)
        if is_complex:
            flat = flat[0::2] + 1j * flat[1::2]
        table = flat.reshape(-1, nvars)
    else:
        table = _ascii_values(blob[pos:].decode("latin-1"), nvars, is_complex)
    data = {}
    for k, name in enumerate(names):
        col = np.array(table[:, k])
        # the scale (frequency) of an AC plot is stored complex; it is real by meaning
        data[name] = col.real.copy() if (k == 0 and is_complex) else col
    return RawPlot(header.get("Plotname", ""), tuple(names), data, is_complex)


def _ascii_values(text: str, nvars: int, is_complex: bool) -> np.ndarray:
    tokens = text.split()
    rows, row = [], []
    i = 0
    while i < len(tokens):
        if not row:  # a point starts with its index
            i += 1
            if i >= len(tokens):
                break
        tok = tokens[i]
        if is_complex:
            re_s, _, im_s = tok.partition(",")
            row.append(complex(float(re_s), float(im_s or 0.0)))
        else:
            row.append(float(tok))
        i += 1
        if len(row) == nvars:
            rows.append(row)
            row = []
    dtype = complex if is_complex else float
    return np.array(rows, dtype=dtype).reshape(-1, nvars)


def plot_to_waveform(plot: RawPlot) -> Waveform:
    """The first variable is the scale; the rest become the waveform's vectors."""
    x_name = plot.names[0]
    x = np.asarray(plot.data[x_name]).real.astype(float)
    vectors = {n: plot.data[n] for n in plot.names[1:]}
    return Waveform(x_name, x, vectors)


def plot_to_op(plot: RawPlot) -> tuple[dict[str, float], dict[str, float]]:
    """Split an operating-point plot into node voltages and source currents."""
    voltages, currents = {}, {}
    for name in plot.names:
        value = float(np.asarray(plot.data[name]).real[0])
        if name.startswith("v(") and name.endswith(")"):
            voltages[name[2:-1]] = value
        elif name.startswith("i(") and name.endswith(")"):
            currents[name[2:-1]] = value
        else:
            voltages[name] = value
    return voltages, currents


# --- `show` / `showmod` table reader ------------------------------------------------------

MOS_PARAMS = ("id", "vgs", "vds", "vth", "von", "vdsat", "gm", "gds")


def _show_tokens(text: str) -> list[list[str]]:
    text = re.sub(r"<<[^>]*>>", "nan", text)
    return [line.split() for line in text.splitlines() if line.strip()]


def read_show_table(text: str, keys: Iterable[str]) -> dict[str, dict[str, str]]:
    """Parse ngspice's ``show``/``showmod`` column tables into {column name: {key: value}}.

    ngspice prints groups of columns headed by a ``device`` (or ``model``) row followed
    by one row per parameter; when redirected to a file, several rows may share a line.
    Rows are recognized by their leading keyword, anything else is a group header.
    """
    keys = set(keys)
    out: dict[str, dict[str, str]] = {}
    columns: list[str] = []
    head = None
    for tokens in _show_tokens(text):
        if tokens[0] not in keys and tokens[0] not in ("device", "model"):
            columns, head = [], None
            continue
        i = 0
        while i < len(tokens):
            word = tokens[i]
            if word == "device" or (word == "model" and head != "device"):
                head = word
                columns = []
                i += 1
                while i < len(tokens) and tokens[i] not in keys and tokens[i] != "model":
                    columns.append(tokens[i])
                    i += 1
                for c in columns:
                    out.setdefault(c, {})
                continue
            n = len(columns)
            values = tokens[i + 1: i + 1 + n]
            for c, v in zip(columns, values):
                out[c][word] = v
            i += 1 + n
    return out


def to_float(text: str | None) -> float:
    if text is None:
        return math.nan
    try:
        return float(text)
    except ValueError:
        return math.nan
