"""Streaming parser for PDN netlists: the ICCAD 2023 contest format and generic SPICE R/C/I/V.

Why streaming: a 5M-element PDN must parse in bounded memory. Lines are read one at a
time (gzip or plain, detected by magic bytes, not by the file name), element fields go
into ``array.array`` buffers that grow geometrically (8 bytes per number, no Python
object per element), and node names go into one name → index dict.

Node names carry the node's place, in one of two styles:

* contest: ``n<net>_m<layer>_<x>_<y>`` (e.g. ``n1_m4_4000_9600``), x and y in dbu;
* BeGAN-style: ``n<net>_<x>_<y>_<layer>`` with the layer as ``m1`` or ``1``.

``0`` and ``gnd`` are ground. Any other name is an error with its line number unless
``strict=False`` (then the node has no location and is left out of maps).
"""
from __future__ import annotations

import array
import gzip
import io
import math
import re
import zlib
from pathlib import Path
from typing import Iterator, TextIO

import numpy as np

from chipsmith.errors import NetlistError, PDNError
from chipsmith.irdrop.pdn import GROUND, PDN

CONTEST_NAME = re.compile(r"^[a-z][a-z0-9]*?_m(\d+)_(-?\d+)_(-?\d+)$", re.IGNORECASE)
BEGAN_NAME = re.compile(r"^[a-z][a-z0-9]*?_(-?\d+)_(-?\d+)_(?:m|metal)?(\d+)$", re.IGNORECASE)
GROUND_NAMES = frozenset({"0", "gnd", "gnd!"})

_SUFFIX = re.compile(r"^([-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?)(meg|mil|[tgkmunpf])?[a-z]*$", re.IGNORECASE)
_SCALE = {"t": 1e12, "g": 1e9, "meg": 1e6, "k": 1e3, "m": 1e-3, "mil": 25.4e-6, "u": 1e-6,
          "n": 1e-9, "p": 1e-12, "f": 1e-15, None: 1.0}


def parse_value(token: str) -> float:
    """A SPICE number: ``4.46``, ``1e-3``, ``10m``, ``2.2k``, ``1meg``; ValueError if not one."""
    try:
        return float(token)
    except ValueError:
        pass
    m = _SUFFIX.match(token)
    if m is None:
        raise ValueError(token)
    suffix = m.group(2).lower() if m.group(2) else None
    return float(m.group(1)) * _SCALE[suffix]


def parse_node_name(name: str) -> tuple[int, int, int] | None:
    """(layer, x_dbu, y_dbu) from a contest or BeGAN-style node name, or None."""
    m = CONTEST_NAME.match(name)
    if m:
        return int(m.group(1)), int(m.group(2)), int(m.group(3))
    m = BEGAN_NAME.match(name)
    if m:
        return int(m.group(3)), int(m.group(1)), int(m.group(2))
    return None


class _Builder:
    """Growable element buffers plus the node table."""

    def __init__(self, strict: bool) -> None:
        self.strict = strict
        self.index: dict[str, int] = {}
        self.layer = array.array("h")
        self.x = array.array("q")
        self.y = array.array("q")
        self.r_a, self.r_b, self.r_v = array.array("q"), array.array("q"), array.array("d")
        self.c_a, self.c_b, self.c_v = array.array("q"), array.array("q"), array.array("d")
        self.i_p, self.i_n, self.i_v = array.array("q"), array.array("q"), array.array("d")
        self.i_names: list[str] = []
        self.i_pwl: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        self.v_node, self.v_v = array.array("q"), array.array("d")
        self.v_names: list[str] = []
        self.v_line: list[int] = []

    def node(self, name: str, where: str) -> int:
        idx = self.index.get(name)
        if idx is not None:
            return idx
        key = name.lower()
        if key in GROUND_NAMES:
            return GROUND
        idx = self.index.get(key)
        if idx is not None:
            return idx
        loc = parse_node_name(key)
        if loc is None:
            if self.strict:
                raise NetlistError(
                    f"node name '{name}' has no location", where=where,
                    fix="name PDN nodes n<net>_m<layer>_<x>_<y> (contest) or n<net>_<x>_<y>_<layer> "
                        "(BeGAN), or parse with strict=False / --lenient-names")
            loc = (-1, 0, 0)
        idx = len(self.index)
        self.index[key] = idx
        self.layer.append(loc[0])
        self.x.append(loc[1])
        self.y.append(loc[2])
        return idx


def _open_text(path: Path) -> TextIO:
    try:
        fh = open(path, "rb")
    except FileNotFoundError as exc:
        raise NetlistError("netlist file not found", where=str(path), fix="check the path") from exc
    except OSError as exc:
        raise NetlistError(f"cannot read netlist: {exc.strerror}", where=str(path)) from exc
    magic = fh.read(2)
    fh.seek(0)
    raw = gzip.GzipFile(fileobj=fh, mode="rb") if magic == b"\x1f\x8b" else fh
    return io.TextIOWrapper(raw, encoding="utf-8", errors="replace")


def _logical_lines(fh: TextIO, path: str) -> Iterator[tuple[int, str]]:
    """(first line number, text) with ``+`` continuation lines joined and comments dropped."""
    pending: str | None = None
    pending_no = 0
    lineno = 0
    try:
        for lineno, line in enumerate(fh, 1):
            if line[:1] == "+":
                if pending is None:
                    raise NetlistError("continuation line '+' with nothing to continue",
                                       where=f"{path}:{lineno}", fix="join it to an element line")
                pending += " " + line[1:].strip()
                continue
            if pending is not None:
                yield pending_no, pending
                pending = None
            text = line.strip()
            if not text or text[0] in "*;#":
                continue
            cut = text.find("$")
            if cut >= 0:
                text = text[:cut].strip()
                if not text:
                    continue
            pending, pending_no = text, lineno
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise NetlistError(f"compressed netlist is truncated or corrupt after line {lineno} ({exc})",
                           where=f"{path}:{lineno + 1}", fix="re-copy or re-compress the file") from exc
    except UnicodeDecodeError as exc:  # pragma: no cover - errors='replace' prevents it
        raise NetlistError("netlist is not text", where=f"{path}:{lineno + 1}") from exc
    if pending is not None:
        yield pending_no, pending


def _value(tok: str, where: str, what: str) -> float:
    try:
        v = parse_value(tok)
    except ValueError:
        raise NetlistError(f"{what} '{tok}' is not a number", where=where,
                           fix="write a SPICE number such as 1.5, 2e-3 or 10m") from None
    return v


def _parse_pwl(text: str, where: str) -> tuple[np.ndarray, np.ndarray]:
    inner = text[text.find("(") + 1:]
    close = inner.find(")")
    if close < 0:
        raise NetlistError("PWL( without closing parenthesis", where=where, fix="close the PWL list")
    toks = inner[:close].replace(",", " ").split()
    if len(toks) < 2 or len(toks) % 2:
        raise NetlistError("PWL needs time/value pairs", where=where, fix="write PWL(t1 v1 t2 v2 ...)")
    nums = np.array([_value(t, where, "PWL entry") for t in toks])
    times, vals = nums[0::2], nums[1::2]
    if not np.all(np.isfinite(nums)):
        raise NetlistError("PWL has a NaN or infinite entry", where=where, fix="give finite times and currents")
    if np.any(np.diff(times) <= 0):
        raise NetlistError("PWL times must increase strictly", where=where, fix="sort the breakpoints")
    return times, vals


def parse_pdn(path: str | Path, *, strict: bool = True, dbu_per_um: float = 2000.0,
              text: str | None = None) -> PDN:
    """Parse a PDN netlist (plain or gzip) into a :class:`PDN`.

    ``text`` parses a string instead of reading ``path`` (``path`` then only names it in
    errors). Raises :class:`NetlistError` naming ``file:line`` for syntax and value
    errors, and :class:`PDNError` when the network has no pads or no resistors.
    """
    path = Path(path)
    name = str(path)
    fh: TextIO = io.StringIO(text) if text is not None else _open_text(path)
    b = _Builder(strict)
    try:
        for lineno, line in _logical_lines(fh, name):
            where = f"{name}:{lineno}"
            head = line[0]
            if head == ".":
                word = line.split()[0].lower()
                if word == ".end":
                    break
                if word in (".include", ".inc", ".lib", ".subckt", ".control"):
                    raise NetlistError(f"'{word}' is not supported in a PDN netlist", where=where,
                                       fix="flatten the PDN into R, C, I and V lines")
                continue
            toks = line.split()
            kind = head.upper()
            if kind == "R" or kind == "C":
                if len(toks) < 4:
                    raise NetlistError(f"{kind} element needs two nodes and a value", where=where,
                                       fix=f"write '{kind}<name> <node> <node> <value>'")
                a = b.node(toks[1], where)
                c = b.node(toks[2], where)
                val = _value(toks[3], where, "resistance" if kind == "R" else "capacitance")
                if kind == "R":
                    if not (val > 0) or math.isinf(val):
                        raise NetlistError(f"resistance {toks[3]} of {toks[0]} must be positive and finite",
                                           where=where, fix="give every R a value > 0 ohm")
                    if a == c:
                        continue  # a resistor shorted onto itself carries no current
                    if a == GROUND or c == GROUND:
                        raise NetlistError(f"resistor {toks[0]} connects the grid to ground", where=where,
                                           fix="model loads as I sources; a PDN has no resistive path to 0")
                    b.r_a.append(a), b.r_b.append(c), b.r_v.append(val)
                else:
                    if not (val >= 0) or math.isinf(val):
                        raise NetlistError(f"capacitance {toks[3]} of {toks[0]} must be >= 0 and finite",
                                           where=where, fix="give every C a value >= 0 F")
                    if a != c and val > 0:
                        b.c_a.append(a), b.c_b.append(c), b.c_v.append(val)
            elif kind == "I":
                if len(toks) < 4:
                    raise NetlistError("I element needs two nodes and a value", where=where,
                                       fix="write 'I<name> <node> 0 <amps>'")
                p = b.node(toks[1], where)
                n = b.node(toks[2], where)
                rest = toks[3:]
                pwl = None
                dc = None
                if rest and rest[0].lower() == "dc":
                    if len(rest) < 2:
                        raise NetlistError("I element has 'DC' but no value", where=where, fix="write DC <amps>")
                    dc = _value(rest[1], where, "current")
                    rest = rest[2:]
                if rest and rest[0].lower().startswith("pwl"):
                    low = line.lower()
                    pwl = _parse_pwl(line[low.index("pwl", low.index(rest[0][:3].lower(), len(toks[0]))):], where)
                    if dc is None:
                        dc = float(pwl[1][0])
                elif dc is None:
                    if not rest:
                        raise NetlistError("I element has no value", where=where, fix="add the current in A")
                    dc = _value(rest[0], where, "current")
                if not math.isfinite(dc):
                    raise NetlistError(f"current of {toks[0]} is {toks[3]}", where=where,
                                       fix="give every current source a finite value")
                if p == n:
                    continue
                if pwl is not None:
                    b.i_pwl[len(b.i_v)] = pwl
                b.i_p.append(p), b.i_n.append(n), b.i_v.append(dc)
                b.i_names.append(toks[0].lower())
            elif kind == "V":
                if len(toks) < 4:
                    raise NetlistError("V element needs two nodes and a value", where=where,
                                       fix="write 'V<name> <node> 0 <volts>'")
                p = b.node(toks[1], where)
                n = b.node(toks[2], where)
                rest = toks[3:]
                if rest[0].lower() == "dc" and len(rest) > 1:
                    rest = rest[1:]
                val = _value(rest[0], where, "voltage")
                if not math.isfinite(val):
                    raise NetlistError(f"voltage of {toks[0]} is {rest[0]}", where=where,
                                       fix="give every pad a finite DC voltage")
                if (p == GROUND) == (n == GROUND):
                    raise NetlistError(f"voltage source {toks[0]} must connect one grid node to ground 0",
                                       where=where, fix="pads are 'V<name> <node> 0 <volts>'")
                node, volts = (p, val) if n == GROUND else (n, -val)
                b.v_node.append(node), b.v_v.append(volts)
                b.v_names.append(toks[0].lower())
                b.v_line.append(lineno)
            else:
                raise NetlistError(f"element '{toks[0]}' is not an R, C, I or V", where=where,
                                   fix="a PDN netlist holds only R, C, I and V elements")
    finally:
        fh.close()
    return _finish(b, name, dbu_per_um)


def _finish(b: _Builder, name: str, dbu_per_um: float) -> PDN:
    if len(b.v_v) == 0:
        raise PDNError("no supply pads: the netlist has no V element", where=name,
                       fix="add pads as 'V<k> <top-layer node> 0 <vdd>'")
    if len(b.r_v) == 0:
        raise PDNError("no resistors: nothing connects the pads to the loads", where=name,
                       fix="add the grid's R elements")
    v_node = np.frombuffer(b.v_node, dtype=np.int64).copy()
    v_volt = np.frombuffer(b.v_v, dtype=np.float64).copy()
    order = np.argsort(v_node, kind="stable")
    dup = np.flatnonzero(np.diff(v_node[order]) == 0)
    for k in dup:
        i, j = order[k], order[k + 1]
        if v_volt[i] != v_volt[j]:
            raise PDNError(f"pads {b.v_names[i]} and {b.v_names[j]} force the same node to "
                           f"{v_volt[i]:g} V and {v_volt[j]:g} V", where=f"{name}:{b.v_line[j]}",
                           fix="keep one voltage per pad node")

    def arr(buf: array.array, dtype) -> np.ndarray:
        return np.frombuffer(buf, dtype=dtype).copy() if len(buf) else np.zeros(0, dtype)

    return PDN(
        node_index=b.index,
        node_layer=arr(b.layer, np.int16),
        node_x=arr(b.x, np.int64),
        node_y=arr(b.y, np.int64),
        r_a=arr(b.r_a, np.int64), r_b=arr(b.r_b, np.int64), r_ohm=arr(b.r_v, np.float64),
        i_pos=arr(b.i_p, np.int64), i_neg=arr(b.i_n, np.int64), i_amp=arr(b.i_v, np.float64),
        i_names=b.i_names,
        v_node=v_node, v_volt=v_volt, v_names=b.v_names,
        c_a=arr(b.c_a, np.int64), c_b=arr(b.c_b, np.int64), c_farad=arr(b.c_v, np.float64),
        i_pwl=b.i_pwl, dbu_per_um=dbu_per_um, source=name,
    )
