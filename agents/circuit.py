"""The design object the agent produces and a small builder that emits its netlist.

A :class:`Design` is the immutable result of synthesis: the ``.subckt design`` text (with
every model card inlined, so it is self-contained), its ports with kinds and DC
conditions, the functional blocks it is made of, the sizing parameters, and the
operating region each transistor is meant to be in. The :class:`Builder` is how the
expert planner writes netlists: typed sizes in, SPICE text out (never hand-edited text).
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from chipsmith.errors import InputError, LibraryError

PORT_KINDS = ("voltage_in", "current_in", "voltage_out", "current_out", "bias", "supply", "ground")


@dataclass(frozen=True)
class Port:
    """An external node of the design: name, kind (:data:`PORT_KINDS`) and DC condition.

    ``dc`` is volts for voltage ports and amps for current ports (current into the pin
    for ``current_in``, out of the pin into the load for ``current_out``). ``unit`` is
    "V" or "A" so external testbenches need not guess.
    """

    name: str
    kind: str
    dc: float
    unit: str = "V"
    note: str = ""

    def to_dict(self) -> dict:
        out = {"name": self.name, "kind": self.kind, "dc": self.dc, "unit": self.unit}
        if self.note:
            out["note"] = self.note
        return out


@dataclass(frozen=True)
class Design:
    """A synthesized circuit: ``.subckt design`` text plus everything needed to test it."""

    kind: str
    ports: tuple[Port, ...]
    body: str                     # element lines inside the subckt (no .subckt/.ends)
    models: str                   # model cards, inlined in the subckt
    blocks: tuple[str, ...] = ()  # functional blocks, in netlist order
    params: Mapping[str, float] = field(default_factory=dict)
    regions: Mapping[str, str] = field(default_factory=dict)  # device -> intended region
    vdd: float = 1.8
    variant: str = ""
    support: str = ""             # library subckts the body instantiates (top level, after design)
    library_blocks: tuple[str, ...] = ()

    @property
    def port_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.ports)

    def port(self, name: str) -> Port:
        for p in self.ports:
            if p.name.lower() == name.lower():
                return p
        raise InputError(f"design has no port {name!r}", fix=f"use one of: {', '.join(self.port_names)}")

    def ports_of(self, *kinds: str) -> tuple[Port, ...]:
        return tuple(p for p in self.ports if p.kind in kinds)

    def subckt_text(self) -> str:
        """The self-contained ``.subckt design <ports> ... .ends design`` text."""
        head = f".subckt design {' '.join(self.port_names)}"
        models = self.models.strip()
        parts = [head, self.body.rstrip()]
        if models:
            parts.append(models)
        parts.append(".ends design")
        if self.support.strip():
            parts.append(self.support.rstrip())
        return "\n".join(parts) + "\n"

    def netlist_text(self, title: str | None = None) -> str:
        """design.cir: a title and comment header, then the subckt; no analysis cards."""
        lines = [f"* chipsmith synth: {title or self.kind}",
                 f"* ports: {' '.join(f'{p.name}({p.kind})' for p in self.ports)}",
                 f"* supply {self.vdd:g} V between vdd and gnd; blocks: {', '.join(self.blocks) or '-'}"]
        return "\n".join(lines) + "\n" + self.subckt_text()


def _fmt(value: float) -> str:
    """Compact SPICE number: 2e-06 -> 2u, 1.5e-12 -> 1.5p, 10000 -> 10k."""
    if value == 0:
        return "0"
    for scale, suffix in ((1e12, "t"), (1e9, "g"), (1e6, "meg"), (1e3, "k"), (1.0, ""), (1e-3, "m"),
                          (1e-6, "u"), (1e-9, "n"), (1e-12, "p"), (1e-15, "f")):
        if abs(value) >= scale * 0.9999999:
            text = f"{value / scale:.4g}"
            return text + suffix
    return f"{value:.4g}"


fmt = _fmt


class Builder:
    """Collects device lines grouped into named functional blocks; names devices M1, R1 ...

    Each device is tagged with the block it belongs to and the region it should work in
    (``saturation``, ``any``, ``off``), which the operating-point check verifies.
    """

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.blocks: list[str] = []
        self.regions: dict[str, str] = {}
        self._count: dict[str, int] = {}
        self._block = ""
        self.library: dict[str, str] = {}  # library block name -> its subckt text

    def block(self, name: str, note: str = "") -> None:
        """Start the next functional block (a comment line in the netlist)."""
        self._block = name
        self.blocks.append(name)
        self.lines.append(f"* block {name}" + (f": {note}" if note else ""))

    def _name(self, letter: str) -> str:
        self._count[letter] = self._count.get(letter, 0) + 1
        return f"{letter}{self._count[letter]}"

    def m(self, d: str, g: str, s: str, b: str, pol: str, w: float, l: float, *, region: str = "saturation",
          mult: int = 1) -> str:
        name = self._name("M")
        model = {"n": "nch", "p": "pch"}[pol]
        extra = f" m={mult}" if mult != 1 else ""
        self.lines.append(f"{name} {d} {g} {s} {b} {model} W={_fmt(w)} L={_fmt(l)}{extra}")
        self.regions[name.lower()] = region
        return name

    def r(self, a: str, b: str, value: float) -> str:
        name = self._name("R")
        self.lines.append(f"{name} {a} {b} {_fmt(value)}")
        return name

    def c(self, a: str, b: str, value: float) -> str:
        name = self._name("C")
        self.lines.append(f"{name} {a} {b} {_fmt(value)}")
        return name

    def ind(self, a: str, b: str, value: float) -> str:
        name = self._name("L")
        self.lines.append(f"{name} {a} {b} {_fmt(value)}")
        return name

    def d(self, a: str, k: str, model: str = "dpn", area: float = 1.0) -> str:
        name = self._name("D")
        self.lines.append(f"{name} {a} {k} {model}" + (f" {_fmt(area)}" if area != 1.0 else ""))
        return name

    def x(self, subckt: str, nodes: list[str]) -> str:
        name = self._name("X")
        self.lines.append(f"{name} {' '.join(nodes)} {subckt}")
        return name

    def lib(self, block: str, nets: Mapping[str, str], *, region: str = "saturation", **params: float) -> str:
        """Instantiate library block ``block`` (ports by name -> nets, size overrides).

        The definition is copied into the design as ``design_<block>`` with the model
        cards inside it, so design.cir stays self-contained and cannot clash with a
        user's own copy of the library. Devices inside inherit ``region``.
        """
        blk = library_block(block)
        name = self._name("X")
        line = blk.instantiate(name, nets, **{k: _fmt(v) for k, v in params.items()})
        tokens = line.split()
        tokens[1 + len(blk.port_names)] = f"design_{blk.name}"
        self.lines.append(" ".join(tokens))
        self.library[blk.name] = blk.subckt_text
        for device in library_devices(blk.name):
            self.regions[f"{name.lower()}.{device}"] = region
        return name

    def raw(self, text: str) -> None:
        self.lines.extend(text.rstrip().splitlines())

    def body(self) -> str:
        return "\n".join(self.lines) + "\n"


# --- device models --------------------------------------------------------------------------

DIODE_MODEL = ".model dpn d (is=1e-16 n=1 rs=10 cjo=10f)"


def _library_models_path(level: int = 1) -> Path:
    """The generic model file shipped with the subcircuit library."""
    try:
        from chipsmith.spice import library

        return Path(library.models_path(level))
    except (ImportError, AttributeError):
        here = Path(__file__).resolve().parent.parent / "spice" / "library" / "models"
        path = here / f"generic_l{level}.lib"
        if not path.is_file():
            raise LibraryError(f"generic model file {path.name} is missing", where=str(here),
                               fix="reinstall chipsmith (the library ships generic_l1.lib)") from None
        return path


_MODEL_START = re.compile(r"^\s*\.model\s+(\S+)", re.IGNORECASE)


def model_cards(text: str) -> dict[str, str]:
    """``.model`` cards (with their ``+`` continuation lines) in ``text``, by lower-case name."""
    cards: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text.splitlines():
        match = _MODEL_START.match(line)
        if match:
            current = [line.rstrip()]
            cards[match.group(1).lower()] = current
        elif current is not None and line.lstrip().startswith("+"):
            current.append(line.rstrip())
        else:
            current = None
    return {k: "\n".join(v) for k, v in cards.items()}


def models_text(model_file: str | None = None, *, diode: bool = False, level: int = 1) -> str:
    """Model cards for ``nch``/``pch`` (and ``dpn`` when ``diode``), from the library or a user file."""
    path = Path(model_file) if model_file else _library_models_path(level)
    cards = model_cards(path.read_text(encoding="utf-8", errors="replace"))
    missing = [m for m in ("nch", "pch") if m not in cards]
    if missing:
        raise InputError(f"model file defines no {', '.join(missing)} model", where=str(path),
                         fix="define `.model nch nmos (...)` and `.model pch pmos (...)`")
    text = cards["nch"] + "\n" + cards["pch"]
    if diode:
        text += "\n" + cards.get("dpn", DIODE_MODEL)
    return text


# --- the subcircuit library ------------------------------------------------------------------

@functools.lru_cache(maxsize=1)
def library():
    """The shipped subcircuit library (loaded once)."""
    from chipsmith.spice.library import load_library

    return load_library()


def library_block(name: str):
    """Library block ``name``; a miss raises ``LibraryError`` listing the valid names."""
    return library().get(name)


@functools.lru_cache(maxsize=None)
def library_devices(name: str) -> tuple[str, ...]:
    """Lower-case names of the MOSFETs inside library block ``name``."""
    from chipsmith.spice.parser import parse_netlist

    text = library_block(name).subckt_text
    sub = parse_netlist("* block\n" + text, f"{name}.cir").subckt(name)
    return tuple(e.name for e in sub.elements if e.kind == "M")


def support_text(blocks: Mapping[str, str], models: str) -> str:
    """Library subckts renamed ``design_<name>``, each with ``models`` inlined (local scope)."""
    parts = []
    for name, text in blocks.items():
        lines = text.rstrip().splitlines()
        out = []
        for line in lines:
            low = line.strip().lower()
            if low.startswith(".subckt"):
                tokens = line.split()
                tokens[1] = f"design_{name}"
                line = " ".join(tokens)
            elif low.startswith(".ends"):
                own = model_cards(text)
                extra = "\n".join(card for key, card in model_cards(models).items()
                                   if key not in own and re.search(rf"\b{re.escape(key)}\b", text, re.IGNORECASE))
                if extra:
                    out.append(extra)
                line = f".ends design_{name}"
            out.append(line)
        parts.append("\n".join(out))
    return "\n".join(parts) + ("\n" if parts else "")
