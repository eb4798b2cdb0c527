"""Connectivity check: nets extracted from the layout (klayout.db LayoutToNetlist) against macro.cir.

The layout side: the GDS is read back, flattened, and klayout's net extractor joins the
metal shapes through the vias (m1-via1-m2-via2-m3). The schematic side: macro.cir is
parsed and flattened into, for every leaf-cell instance, which net each of its terminals
is on. Each terminal is then located in the layout (the leaf cell's placement plus the
pin position the cell library lists), the extracted net under it is probed on the pin's
layer, and the two partitions are compared:

- **open**: one schematic net whose terminals lie on two or more layout nets (or on no
  metal at all), reported with the terminals of each fragment and their locations;
- **short**: one layout net that carries terminals of two or more schematic nets,
  reported with one located terminal per schematic net.

Leaf cells are black boxes here (their terminals are their pins); macro pins are checked
as terminals of the macro's port nets. Inside the leaf cells, the device-level LVS
(:mod:`chipsmith.layout.device_lvs`) checks every distinct leaf cell drawn with contacts
(wired transistors) against its ``.subckt`` in the netlist, once per cell (not per
instance): the ``cells`` section of the report. Cells without contacts (placeholder
transistors, the capacitor) are listed as black boxes. ``match`` is the macro-level
connectivity match and every device-level cell LVS-clean.
"""
from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Iterable, Mapping

from chipsmith.errors import DataError
from chipsmith.layout.rules import RuleDeck


@dataclass(frozen=True)
class Subckt:
    name: str
    ports: tuple[str, ...]
    instances: tuple[tuple[str, tuple[str, ...], str], ...]  # (name, nets, subckt)


def subckt_texts(text: str) -> dict[str, str]:
    """Raw text of every .subckt block of a netlist, by name (case as written)."""
    out, cur, lines = {}, None, []
    for raw in text.splitlines():
        tok = raw.split()
        low = tok[0].lower() if tok else ""
        if low == ".subckt":
            cur, lines = tok[1], [raw]
        elif cur is not None:
            lines.append(raw)
            if low == ".ends":
                out[cur] = "\n".join(lines) + "\n"
                cur = None
    return out


def leaf_cells_lvs(gds, netlist_text: str, leaves: Iterable[str], deck: RuleDeck) -> dict:
    """Device-level LVS of each leaf cell in the GDS (a cell named like a leaf subcircuit, or
    that name plus a ``_variant`` suffix, e.g. ``sample_switch_share``) against the leaf's
    subcircuit; cells without contact shapes are black boxes."""
    import klayout.db as db

    from chipsmith.layout.device_lvs import check_cells

    texts = subckt_texts(netlist_text)
    leaves = sorted((n for n in leaves if n in texts), key=len, reverse=True)
    layout = db.Layout()
    layout.read(str(gds))
    cont = deck.gds("contact") if "contact" in deck.layers else None
    li = layout.find_layer(*cont) if cont else None
    spice, wired = {}, {}
    for c in layout.each_cell():
        leaf = next((n for n in leaves if c.name == n or c.name.startswith(n + "_")), None)
        if leaf is None:
            continue
        spice[c.name] = texts[leaf]
        wired[c.name] = li is not None and not c.shapes(li).is_empty()
    return check_cells(layout, spice, wired, deck)


def parse_spice(text: str) -> dict[str, Subckt]:
    """The .subckt blocks of a netlist: ports and X instances (devices are ignored)."""
    subs: dict[str, Subckt] = {}
    cur = None
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("*"):
            continue
        tok = line.split()
        low = tok[0].lower()
        if low == ".subckt":
            cur = (tok[1], tuple(t for t in tok[2:] if "=" not in t), [])
        elif low == ".ends":
            if cur is not None:
                subs[cur[0]] = Subckt(cur[0], cur[1], tuple(cur[2]))
            cur = None
        elif cur is not None and low.startswith("x"):
            args = [t for t in tok[1:] if "=" not in t]
            cur[2].append((tok[0], tuple(args[:-1]), args[-1]))
    return subs


def flatten(subs: Mapping[str, Subckt], top: str, leaves: Iterable[str]) -> tuple[dict[str, tuple[str, dict]], list[str]]:
    """Leaf instances of ``top``: path -> (leaf subckt, {port: flat net}); and top's ports."""
    leaves = {x.lower() for x in leaves}
    if top not in subs:
        raise DataError(f"netlist has no subcircuit {top!r}", fix="pass the macro.cir written by acim build")
    out: dict[str, tuple[str, dict]] = {}

    def walk(name: str, path: str, binding: dict[str, str]) -> None:
        sub = subs[name]
        for inst, nets, child in sub.instances:
            mapped = [binding.get(n, f"{path}{n}") for n in nets]
            ipath = f"{path}{inst}"
            if child.lower() in leaves:
                out[ipath] = (child, dict(zip(subs[child].ports if child in subs else [], mapped)))
            elif child in subs:
                walk(child, ipath + ".", dict(zip(subs[child].ports, mapped)))
            else:
                raise DataError(f"instance {ipath} uses unknown subcircuit {child!r}")

    walk(top, "", {p: p for p in subs[top].ports})
    return out, list(subs[top].ports)


def extract(gds, deck: RuleDeck):
    """(LayoutToNetlist after extraction, {layer name: l2n region}) on the flattened top cell."""
    import klayout.db as db

    layout = db.Layout()
    layout.read(str(gds))
    top = layout.top_cells()[0]
    top.flatten(-1, True)
    l2n = db.LayoutToNetlist(db.RecursiveShapeIterator(layout, top, []))
    regs = {}
    for name, layer in deck.layers.items():
        if layer.kind in ("metal", "via"):
            li = layout.find_layer(layer.gds[0], layer.gds[1])
            if li is None:
                li = layout.layer(layer.gds[0], layer.gds[1])
            regs[name] = l2n.make_layer(li, name)
    for name, layer in deck.layers.items():
        if layer.kind == "metal":
            l2n.connect(regs[name])
        elif layer.kind == "via":
            l2n.connect(regs[name])
            l2n.connect(regs[layer.below], regs[name])
            l2n.connect(regs[name], regs[layer.above])
    l2n.extract_netlist()
    return l2n, regs


def check(gds, netlist_text: str, top: str, terminals: Iterable[tuple[str, str, str, float, float]],
          deck: RuleDeck, leaves: Iterable[str], max_report: int = 20, device_lvs: bool = True) -> dict:
    """Compare layout connectivity with the netlist.

    ``terminals``: (instance path or "" for a macro pin, pin name, layer, x, y) in µm.
    ``device_lvs``: also run the per-leaf-cell device-level LVS (the ``cells`` section).
    """
    import klayout.db as db

    start = time.perf_counter()
    leaves = list(leaves)
    subs = parse_spice(netlist_text)
    inst, ports = flatten(subs, top, leaves)
    l2n, regs = extract(gds, deck)
    t_extract = time.perf_counter() - start
    by_schematic: dict[str, list] = defaultdict(list)
    by_layout: dict[object, set] = defaultdict(set)
    where: dict[tuple, tuple] = {}
    missing = []
    n_terms = 0
    for path, pin, layer, x, y in terminals:
        if path:
            if path not in inst:
                missing.append(path)
                continue
            net = inst[path][1].get(pin)
            if net is None:
                continue
        else:
            net = pin
        n_terms += 1
        probed = l2n.probe_net(regs[layer], db.DPoint(x, y))
        key = probed.cluster_id if probed is not None else None
        term = {"terminal": f"{path}.{pin}" if path else pin, "layer": layer, "x": round(x, 4), "y": round(y, 4)}
        by_schematic[net].append((key, term))
        if key is not None:
            by_layout[key].add(net)
            where.setdefault((key, net), term)
    opens, shorts = [], []
    for net, terms in by_schematic.items():
        keys = {k for k, _ in terms}
        if len(keys) > 1 or None in keys:
            frags = defaultdict(list)
            for k, term in terms:
                frags["no metal" if k is None else f"layout net {k}"].append(term)
            opens.append({"net": net, "fragments": len(frags),
                          "where": {k: v[:4] for k, v in frags.items()}})
    for key, nets in by_layout.items():
        if len(nets) > 1:
            shorts.append({"layout_net": int(key), "nets": sorted(nets)[:8], "net_count": len(nets),
                           "where": [where[(key, n)] for n in sorted(nets)[:8]]})
    opens.sort(key=lambda o: o["net"])
    shorts.sort(key=lambda s: s["nets"])
    macro_match = not opens and not shorts and not missing
    cells = leaf_cells_lvs(gds, netlist_text, leaves, deck) if device_lvs else None
    return {"match": macro_match and (cells is None or cells["match"]), "connectivity_match": macro_match,
            "cells_match": cells["match"] if cells else None, "schematic_nets": len(by_schematic),
            "terminals": n_terms, "layout_nets": len(by_layout), "leaf_instances": len(inst),
            "missing_instances": missing[:max_report], "opens": len(opens), "shorts": len(shorts),
            "open_nets": opens[:max_report], "short_nets": shorts[:max_report],
            "extract_seconds": t_extract, "cells": cells,
            "cells_seconds": cells["seconds"] if cells else None, "seconds": time.perf_counter() - start}
