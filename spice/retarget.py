"""Move a netlist written for generic MOSFET models onto a PDK's devices.

chipsmith's planner, library blocks and ACIM columns write ``M`` elements with the generic
``nch``/``pch`` models (W and L in metres). :func:`retarget` rewrites each into the PDK's own
device (for sky130, ``XM1 d g s b sky130_fd_pr__nfet_01v8 W=2 L=0.5`` in µm, snapped to the
grid and checked against its limits), drops the generic ``.model``/``.include`` cards, and
leaves everything else as it was. Which models are "generic" comes from the netlist's own
``.model`` cards (their nmos/pmos type) plus the names ``nch``/``pch``.
"""
from __future__ import annotations

from dataclasses import replace

from chipsmith.errors import InputError
from chipsmith.spice.netlist import Element, Include, Model, Netlist, Value
from chipsmith.spice.pdk import Pdk

GENERIC_MODELS = {"nch": "nmos", "pch": "pmos"}


def _polarities(netlist: Netlist) -> dict[str, str]:
    polarity = dict(GENERIC_MODELS)
    models: list[Model] = list(netlist.models.values())
    for sub in netlist.subckts.values():
        models += list(sub.models.values())
    for m in models:
        if m.type.lower() in ("nmos", "pmos"):
            polarity[m.name.lower()] = m.type.lower()
    return polarity


def _microns(value: Value, what: str, where: str) -> Value:
    """A size in metres as µm: numbers exactly, expressions wrapped (``{w}`` -> ``{(w)*1e6}``)."""
    if isinstance(value, str):
        inner = value.strip()
        inner = inner[1:-1] if inner.startswith("{") and inner.endswith("}") else inner
        return f"{{({inner})*1e6}}"
    if value <= 0:
        raise InputError(f"{what}={value!r} must be positive", where=where)
    return value * 1e6


def _device(e: Element, pdk: Pdk, polarity: str) -> Element:
    if "w" not in {k.lower() for k in e.params} or "l" not in {k.lower() for k in e.params}:
        raise InputError(f"MOSFET {e.name} has no W/L", where=e.where,
                         fix="give every MOSFET W= and L= before moving it onto a PDK")
    params = {k.lower(): v for k, v in e.params.items()}
    w, l = _microns(params.pop("w"), "W", e.where), _microns(params.pop("l"), "L", e.where)
    dev = pdk.device(polarity)
    if isinstance(w, float) and isinstance(l, float):
        w, l = dev.snap(w, l, where=e.where)
    # junction geometry (ad/as/pd/ps) is the PDK's to compute; m and nf carry over
    kept = {k: v for k, v in params.items() if k in ("m", "nf", "mult")}
    if dev.subckt:
        name = e.name if e.name[:1].lower() == "x" else f"x{e.name}"
        return Element(name=name, kind="X", nodes=e.nodes[:4], model=dev.name, params={"w": w, "l": l, **kept},
                       line=e.line, source=e.source)
    um = lambda v: v * 1e-6 if isinstance(v, float) else f"{{({v.strip('{}')})*1e-6}}"  # noqa: E731
    return replace(e, model=dev.name, params={"w": um(w), "l": um(l), **kept})


def _elements(elements, pdk: Pdk, polarity: dict[str, str]) -> tuple[Element, ...]:
    out = []
    for e in elements:
        if e.kind == "M" and (e.model or "").lower() in polarity:
            out.append(_device(e, pdk, polarity[(e.model or "").lower()]))
        else:
            out.append(e)
    return tuple(out)


def retarget(netlist: Netlist, pdk: Pdk) -> Netlist:
    """``netlist`` with its generic MOSFETs replaced by ``pdk``'s devices (see the module text)."""
    polarity = _polarities(netlist)
    subckts = {name: replace(sub, elements=_elements(sub.elements, pdk, polarity),
                             models={k: m for k, m in sub.models.items() if k.lower() not in polarity})
               for name, sub in netlist.subckts.items()}
    includes = tuple(i for i in netlist.includes if not _is_generic_models(i))
    return replace(netlist, elements=_elements(netlist.elements, pdk, polarity), subckts=subckts, includes=includes,
                   models={k: m for k, m in netlist.models.items() if k.lower() not in polarity})


def _is_generic_models(inc: Include) -> bool:
    from pathlib import Path

    from chipsmith.spice.library.core import MODELS_DIR

    try:
        return Path(inc.path).resolve().parent == MODELS_DIR.resolve()
    except OSError:
        return False


def retarget_text(text: str, pdk: Pdk, source: str = "<netlist>") -> str:
    """:func:`retarget` on SPICE text; the result is SPICE text without ``.end``."""
    from chipsmith.spice.parser import parse_netlist
    from chipsmith.spice.writer import write_netlist

    netlist = parse_netlist(text, source, allowed_include_dirs=None)
    return write_netlist(retarget(netlist, pdk), end=False)
