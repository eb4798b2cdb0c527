"""ACIM cell library: a YAML file describing the process and every cell the compiler uses.

A library is data, passed explicitly (no global "active PDK"). Each cell carries its
footprint (µm), pins (name, layer, position in µm from the cell's lower-left corner),
capacitances (fF), energy per operation (fJ), delay (ps), leakage (nW), free numeric
parameters and its SPICE subcircuit. The analytical models read only numbers from here,
the calibration netlist instantiates the subcircuits, and the (later) layout generator
places the footprints and connects the pins. Validation is strict and every error names
the field (``cells.sram8t.pins``) and the file, so a malformed library never reaches the
explorer.
"""
from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

from chipsmith.errors import LibraryError

DEFAULT_CELLS = Path(__file__).resolve().parent / "cells" / "default.yaml"

LAYERS = ("poly", "m1", "m2", "m3", "m4", "m5", "m6")

# What the architecture needs from each kind of cell: pins (the SPICE port names too),
# capacitances, energies and parameters that the models read. Anything beyond is allowed.
REQUIRED: dict[str, dict[str, tuple[str, ...]]] = {
    "sram8t": {"pins": ("WWL", "WBL", "WBLB", "RWL", "RBL", "VDD", "VSS"),
               "capacitance_ff": ("rbl", "rwl"), "energy_fj": ("write",), "params": ()},
    "compute_cap": {"pins": ("TOP", "BOT"), "capacitance_ff": ("unit", "top_parasitic", "bottom_parasitic"),
                    "energy_fj": (), "params": ("matching_pct_sqrt_ff",)},
    "sample_switch": {"pins": ("A", "B", "EN", "ENB", "VDD", "VSS"), "capacitance_ff": ("junction", "gate"),
                      "energy_fj": (), "params": ("ron_ohm", "channel_charge_fc", "injection_mismatch")},
    "precharge": {"pins": ("LBL", "PREB", "VDD"), "capacitance_ff": ("junction", "gate"), "energy_fj": (),
                  "params": ("ron_ohm",)},
    "wl_driver": {"pins": ("IN", "EN", "RWL", "VDD", "VSS"), "capacitance_ff": ("input",),
                  "energy_fj": ("switch",), "params": ("ron_ohm", "pwm_unit_ps", "pwm_sigma_lsb",
                                                       "pwm_width_per_bit_um", "pwm_energy_per_bit_fj")},
    "comparator": {"pins": ("INP", "INN", "CLK", "OUTP", "OUTN", "VDD", "VSS"), "capacitance_ff": ("input",),
                   "energy_fj": ("compare",), "params": ("noise_uv_rms",)},
    "sar_logic": {"pins": ("CMP", "CLK", "RST", "D", "DAC", "VDD", "VSS"), "capacitance_ff": (),
                  "energy_fj": ("bit",), "params": ()},
    "timing_ctrl": {"pins": ("CLK", "START", "PREB", "EN", "SHARE", "SARCLK", "DONE", "VDD", "VSS"),
                    "capacitance_ff": (), "energy_fj": ("cycle",), "params": ()},
}

# Optional kinds: the design-space variants (issue 13). A library without one simply offers
# one choice on that axis (the explorer collapses it); the shipped library has them all.
OPTIONAL: dict[str, dict[str, tuple[str, ...]]] = {
    "sram10t": {"pins": ("WWL", "WBL", "WBLB", "RWL", "RBL", "VDD", "VSS"),
                "capacitance_ff": ("rbl", "rwl"), "energy_fj": ("write",), "params": ("read_leak_na",)},
    "mim_cap": {"pins": ("TOP", "BOT"), "capacitance_ff": ("top_parasitic", "bottom_parasitic"), "energy_fj": (),
                "params": ("matching_pct_sqrt_ff", "density_ff_um2")},
    "flash_comparator": {"pins": ("INP", "INN", "CLK", "OUTP", "OUTN", "VDD", "VSS"), "capacitance_ff": ("input",),
                         "energy_fj": ("compare",), "params": ("noise_uv_rms", "offset_mv_sigma", "ladder_ohm")},
}
# Column multiplexer (issue 13): k columns share one ADC through it (chipsmith.layout.leafcells_mux);
# a library without it offers only k = 1.
MUX: dict[str, dict[str, tuple[str, ...]]] = {
    "col_mux": {"pins": ("A", "B", "EN", "ENB", "VDD", "VSS"), "capacitance_ff": ("junction", "gate"),
                "energy_fj": (), "params": ("ron_ohm", "channel_charge_fc", "injection_mismatch")},
}
KINDS = {**REQUIRED, **OPTIONAL, **MUX}

PROCESS_FIELDS = ("name", "feature_nm", "vdd", "temperature_k", "rule_source", "origin",
                  "wire_cap_ff_per_um", "spice_models")


@dataclass(frozen=True)
class Pin:
    """A cell terminal: SPICE port name, routing layer and position (µm, from the lower-left)."""

    name: str
    layer: str
    x: float
    y: float


@dataclass(frozen=True)
class Cell:
    """One library cell. Numbers are in µm, fF, fJ per operation, ps, nW."""

    name: str
    kind: str
    width: float
    height: float
    pins: tuple[Pin, ...]
    capacitance_ff: Mapping[str, float]
    energy_fj: Mapping[str, float]
    delay_ps: float
    leakage_nw: float
    params: Mapping[str, float]
    spice: str
    description: str = ""
    gds: str = ""  # optional: a GDS file holding this cell's own layout (else it is drawn)

    @property
    def area_um2(self) -> float:
        return self.width * self.height

    def pin(self, name: str) -> Pin:
        for p in self.pins:
            if p.name == name:
                return p
        raise LibraryError(f"cell {self.name!r} has no pin {name!r}",
                           fix=f"valid pins: {', '.join(p.name for p in self.pins)}")

    def to_dict(self) -> dict:
        return {"name": self.name, "kind": self.kind, "width": self.width, "height": self.height,
                "pins": [vars_(p) for p in self.pins], "capacitance_ff": dict(self.capacitance_ff),
                "energy_fj": dict(self.energy_fj), "delay_ps": self.delay_ps, "leakage_nw": self.leakage_nw,
                "params": dict(self.params), "description": self.description}


def vars_(pin: Pin) -> dict:
    return {"name": pin.name, "layer": pin.layer, "x": pin.x, "y": pin.y}


@dataclass(frozen=True)
class Process:
    """The process the library is drawn for: feature size F (nm), supply, temperature, rule source."""

    name: str
    feature_nm: float
    vdd: float
    temperature_k: float
    rule_source: str
    origin: str
    wire_cap_ff_per_um: float
    spice_models: str

@dataclass(frozen=True)
class CellLibrary:
    """A validated library: process + cells by kind (one cell per kind)."""

    name: str
    process: Process
    cells: Mapping[str, Cell]
    source: str = "<library>"
    sha256: str = ""

    def get(self, kind: str) -> Cell:
        """The cell of ``kind``; a miss lists the valid kinds."""
        try:
            return self.cells[kind]
        except KeyError:
            raise LibraryError(f"library {self.name!r} has no cell of kind {kind!r}", where=self.source,
                               fix=f"valid kinds: {', '.join(sorted(self.cells))}") from None

    def has(self, kind: str) -> bool:
        return kind in self.cells

    def describe(self) -> dict:
        """JSON-friendly identity of the library (recorded in every pareto.json)."""
        p = self.process
        return {"name": self.name, "source": self.source, "sha256": self.sha256,
                "process": {"name": p.name, "feature_nm": p.feature_nm, "vdd": p.vdd,
                            "temperature_k": p.temperature_k, "rule_source": p.rule_source, "origin": p.origin}}


# --- loading and validation ---------------------------------------------------------------

def load_cells(path: Path | str | None = None) -> CellLibrary:
    """Load and validate a cell library YAML (``None``: the shipped default library)."""
    import yaml

    path = Path(path) if path is not None else DEFAULT_CELLS
    src = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise LibraryError(f"cannot read cell library: {exc.strerror or exc}", where=src,
                           fix="pass an existing YAML file to --cells") from None
    try:
        data = yaml.safe_load(raw.decode("utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{src}:{mark.line + 1}" if mark is not None else src
        raise LibraryError(f"cell library is not valid YAML ({getattr(exc, 'problem', None) or exc})",
                           where=where, fix="fix the YAML syntax") from None
    lib = parse_cells(data, source=src)
    return CellLibrary(lib.name, lib.process, lib.cells, src, hashlib.sha256(raw).hexdigest())


def parse_cells(data: Any, source: str = "<library>") -> CellLibrary:
    """Validate a parsed YAML mapping into a :class:`CellLibrary`; errors name the field."""
    ctx = _Ctx(source)
    root = ctx.mapping(data, "(top level)")
    name = ctx.string(root.get("library"), "library")
    process = _parse_process(ctx, ctx.mapping(root.get("process"), "process"))
    cells_raw = ctx.mapping(root.get("cells"), "cells")
    cells: dict[str, Cell] = {}
    for cname, craw in cells_raw.items():
        cell = _parse_cell(ctx, str(cname), ctx.mapping(craw, f"cells.{cname}"))
        if cell.kind in cells:
            ctx.fail(f"cells.{cname}.kind", f"a second cell of kind {cell.kind!r} (first: {cells[cell.kind].name})",
                     "keep one cell per kind")
        cells[cell.kind] = cell
    missing = [k for k in REQUIRED if k not in cells]
    if missing:
        ctx.fail("cells", f"missing cell kind(s): {', '.join(missing)}",
                 f"add a cell with kind: {missing[0]} (see layout/cells/default.yaml)")
    return CellLibrary(name, process, MappingProxyType(cells), source)


class _Ctx:
    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, field_: str, problem: str, fix: str) -> None:
        raise LibraryError(f"field {field_}: {problem}", where=self.source, fix=fix)

    def mapping(self, value: Any, field_: str) -> dict:
        if value is None:
            self.fail(field_, "is missing", "add it (see layout/cells/default.yaml)")
        if not isinstance(value, dict):
            self.fail(field_, f"must be a mapping, got {type(value).__name__}", "write it as key: value lines")
        return value

    def string(self, value: Any, field_: str) -> str:
        if value is None or (isinstance(value, str) and not value.strip()):
            self.fail(field_, "is missing or empty", "give it a non-empty text value")
        if not isinstance(value, str):
            self.fail(field_, f"must be text, got {type(value).__name__}", "quote the value")
        return value

    def number(self, value: Any, field_: str, *, positive: bool = False, nonneg: bool = True) -> float:
        if value is None:
            self.fail(field_, "is missing", "add a numeric value")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(float(value)):
            self.fail(field_, f"must be a finite number, got {value!r}", "write a plain number")
        value = float(value)
        if positive and value <= 0:
            self.fail(field_, f"must be > 0, got {value:g}", "use a positive size/value")
        if nonneg and value < 0:
            self.fail(field_, f"must be >= 0, got {value:g}", "negative values are not physical")
        return value

    def numbers(self, value: Any, field_: str, required: tuple[str, ...]) -> dict[str, float]:
        value = {} if value is None and not required else self.mapping(value, field_)
        out = {str(k): self.number(v, f"{field_}.{k}") for k, v in value.items()}
        missing = [k for k in required if k not in out]
        if missing:
            self.fail(f"{field_}.{missing[0]}", "is missing", f"add {field_}.{missing[0]}: <number>")
        return out


def _parse_process(ctx: _Ctx, raw: dict) -> Process:
    f = "process"
    for key in PROCESS_FIELDS:
        if key not in raw:
            ctx.fail(f"{f}.{key}", "is missing", f"add process.{key}")
    return Process(
        name=ctx.string(raw["name"], f"{f}.name"),
        feature_nm=ctx.number(raw["feature_nm"], f"{f}.feature_nm", positive=True),
        vdd=ctx.number(raw["vdd"], f"{f}.vdd", positive=True),
        temperature_k=ctx.number(raw["temperature_k"], f"{f}.temperature_k", positive=True),
        rule_source=ctx.string(raw["rule_source"], f"{f}.rule_source"),
        origin=ctx.string(raw["origin"], f"{f}.origin"),
        wire_cap_ff_per_um=ctx.number(raw["wire_cap_ff_per_um"], f"{f}.wire_cap_ff_per_um"),
        spice_models=ctx.string(raw["spice_models"], f"{f}.spice_models"),
    )


def _gds_path(ctx: "_Ctx", value: Any, field_: str) -> str:
    """A user GDS for the cell, relative to the library file; it must exist."""
    if value is None:
        return ""
    path = Path(ctx.string(value, field_))
    if not path.is_absolute() and ctx.source not in ("<library>",):
        path = Path(ctx.source).resolve().parent / path
    if not path.is_file():
        ctx.fail(field_, f"GDS file {str(path)!r} does not exist", "give a path relative to the library YAML")
    return str(path)


_SUBCKT = re.compile(r"^[ \t]*\.subckt[ \t]+(\S+)([^\n]*)$", re.IGNORECASE | re.MULTILINE)


def _parse_cell(ctx: _Ctx, name: str, raw: dict) -> Cell:
    f = f"cells.{name}"
    kind = ctx.string(raw.get("kind"), f"{f}.kind")
    if kind not in KINDS:
        ctx.fail(f"{f}.kind", f"unknown kind {kind!r}", f"use one of: {', '.join(KINDS)}")
    need = KINDS[kind]
    fp = ctx.mapping(raw.get("footprint"), f"{f}.footprint")
    width = ctx.number(fp.get("width"), f"{f}.footprint.width", positive=True)
    height = ctx.number(fp.get("height"), f"{f}.footprint.height", positive=True)
    pins_raw = raw.get("pins")
    if not isinstance(pins_raw, list) or not pins_raw:
        ctx.fail(f"{f}.pins", "is missing or not a list", "list pins as - {name: X, layer: m1, x: 0, y: 0}")
    pins: list[Pin] = []
    for i, praw in enumerate(pins_raw):
        pf = f"{f}.pins[{i}]"
        praw = ctx.mapping(praw, pf)
        pname = ctx.string(praw.get("name"), f"{pf}.name")
        layer = ctx.string(praw.get("layer"), f"{pf}.layer")
        if layer not in LAYERS:
            ctx.fail(f"{pf}.layer", f"unknown layer {layer!r}", f"use one of: {', '.join(LAYERS)}")
        x = ctx.number(praw.get("x"), f"{pf}.x")
        y = ctx.number(praw.get("y"), f"{pf}.y")
        if x > width + 1e-9 or y > height + 1e-9:
            ctx.fail(f"{pf}", f"pin {pname} at ({x:g}, {y:g}) lies outside the {width:g} x {height:g} footprint",
                     "place pins inside the footprint")
        if any(p.name == pname for p in pins):
            ctx.fail(f"{pf}.name", f"duplicate pin {pname!r}", "give each pin a unique name")
        pins.append(Pin(pname, layer, x, y))
    names = {p.name for p in pins}
    missing = [p for p in need["pins"] if p not in names]
    if missing:
        ctx.fail(f"{f}.pins", f"missing pin(s) {', '.join(missing)} required for kind {kind}",
                 f"add - {{name: {missing[0]}, layer: m1, x: 0, y: 0}}")
    spice = ctx.string(raw.get("spice"), f"{f}.spice")
    m = _SUBCKT.search(spice)
    if m is None or m.group(1).lower() != name.lower():
        ctx.fail(f"{f}.spice", f"must define '.subckt {name} <pins>'", "start the text with .subckt NAME PORTS")
    ports = [t for t in m.group(2).split() if "=" not in t]
    if sorted(p.upper() for p in ports) != sorted(n.upper() for n in names):
        ctx.fail(f"{f}.spice", f"subckt ports ({' '.join(ports)}) differ from the pins ({' '.join(sorted(names))})",
                 "make the .subckt port list equal to the pin names")
    if not re.search(r"^\s*\.ends\b", spice, re.IGNORECASE | re.MULTILINE):
        ctx.fail(f"{f}.spice", "has no .ends", "close the subcircuit with .ends")
    return Cell(
        name=name, kind=kind, width=width, height=height, pins=tuple(pins),
        capacitance_ff=MappingProxyType(ctx.numbers(raw.get("capacitance_ff"), f"{f}.capacitance_ff",
                                                    need["capacitance_ff"])),
        energy_fj=MappingProxyType(ctx.numbers(raw.get("energy_fj"), f"{f}.energy_fj", need["energy_fj"])),
        delay_ps=ctx.number(raw.get("delay_ps"), f"{f}.delay_ps"),
        leakage_nw=ctx.number(raw.get("leakage_nw", 0.0), f"{f}.leakage_nw"),
        params=MappingProxyType(ctx.numbers(raw.get("params"), f"{f}.params", need["params"])),
        spice=spice, description=str(raw.get("description", "")), gds=_gds_path(ctx, raw.get("gds"), f"{f}.gds"),
    )
