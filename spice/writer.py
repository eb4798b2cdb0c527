"""Write a :class:`chipsmith.spice.netlist.Netlist` back to SPICE text (ngspice dialect).

Numbers go out in engineering notation (:func:`chipsmith.spice.units.format_value`,
exact), names lower-case, one card per line; ``parse_netlist(write_netlist(n)) == n``.
Order: title, ``.param``, includes, models, subcircuits, elements, other directives,
library sections, ``.end``.
"""
from __future__ import annotations

from typing import Iterable

from chipsmith.spice.netlist import Directive, Element, Include, Model, Netlist, Subckt, Value
from chipsmith.spice.units import format_value


def value_text(value: Value) -> str:
    """A value as SPICE text: numbers in engineering notation, expressions as written."""
    if isinstance(value, str):
        return value
    return format_value(value)


def _params(params: dict[str, Value]) -> str:
    return " ".join(f"{k}={value_text(v)}" for k, v in params.items())


def element_card(e: Element) -> str:
    """One element as a single SPICE card."""
    parts = [e.name, *e.nodes]
    params = dict(e.params)
    if e.kind in "RCL":
        if e.value is not None:
            parts.append(value_text(e.value))
        if e.model is not None:
            parts.append(e.model)
    elif e.kind in "VI":
        if e.value is not None:
            parts += ["dc", value_text(e.value)]
        if "ac" in params:
            parts += ["ac", value_text(params.pop("ac"))]
            if "acphase" in params:
                parts.append(value_text(params.pop("acphase")))
        elif "acphase" in params:
            parts += ["ac", "1", value_text(params.pop("acphase"))]
        if e.waveform is not None:
            parts.append(f"{e.waveform.kind}({' '.join(value_text(a) for a in e.waveform.args)})")
    elif e.kind in "EG":
        parts.append(value_text(e.value))
    elif e.kind in "FH":
        parts += [e.control or "", value_text(e.value)]
    elif e.kind in "DQ":
        parts.append(e.model or "")
        if "area" in params:
            parts.append(value_text(params.pop("area")))
    elif e.kind == "M":
        parts.append(e.model or "")
    elif e.kind == "X":
        parts.append(e.model or "")
    text = " ".join(parts)
    if params:
        text += " " + _params(params)
    return text


def model_card(m: Model) -> str:
    text = f".model {m.name} {m.type}"
    return text + (f" ({_params(m.params)})" if m.params else "")


def include_card(inc: Include) -> str:
    path = f'"{inc.path}"' if " " in inc.path else inc.path
    if inc.kind == "lib" or inc.section:
        return f".lib {path} {inc.section or ''}".rstrip()
    return f".include {path}"


def directive_card(d: Directive) -> str:
    return " ".join([f".{d.name}", *d.args])


def subckt_lines(s: Subckt) -> list[str]:
    header = " ".join([".subckt", s.name, *s.ports])
    if s.params:
        header += " params: " + _params(s.params)
    lines = [header]
    if s.local_params:
        lines.append(".param " + _params(s.local_params))
    lines += [model_card(m) for m in s.models.values()]
    lines += [element_card(e) for e in s.elements]
    lines.append(f".ends {s.name}")
    return lines


def _body(n: Netlist) -> list[str]:
    lines: list[str] = []
    if n.params:
        lines.append(".param " + _params(n.params))
    lines += [include_card(i) for i in n.includes]
    lines += [model_card(m) for m in n.models.values()]
    for sub in n.subckts.values():
        lines += subckt_lines(sub)
    lines += [element_card(e) for e in n.elements]
    lines += [directive_card(d) for d in n.directives]
    return lines


def write_netlist(netlist: Netlist, *, end: bool = True) -> str:
    """The netlist as SPICE text (title line first, ``.end`` last unless ``end=False``)."""
    lines = [netlist.title]
    lines += _body(netlist)
    for name, section in netlist.sections.items():
        lines.append(f".lib {name}")
        lines += _body(section)
        lines.append(".endl")
    if end:
        lines.append(".end")
    return "\n".join(lines) + "\n"


def write_subckt(subckt: Subckt) -> str:
    """One subcircuit definition as text (no title, no ``.end``)."""
    return "\n".join(subckt_lines(subckt)) + "\n"


def write_elements(elements: Iterable[Element]) -> str:
    return "\n".join(element_card(e) for e in elements) + "\n"


__all__ = ["write_netlist", "write_subckt", "write_elements", "element_card", "model_card", "value_text"]
