"""Device-level LVS of the leaf cells with klayout.db: extracted transistors against the cell's SPICE.

Per leaf cell (once per distinct cell, not per instance):

- **extraction** (``klayout.db.LayoutVsSchematic``): n/p diffusion = active under the n/p
  implant outside/inside the n-well, gates = diffusion under poly; NMOS and PMOS are
  ``DeviceExtractorMOS4Transistor`` devices (bulk = p-well / n-well) whose W and L are
  measured from the drawn gate; the stack poly/diffusion/taps - contact - metal1 - via1 -
  metal2 - via2 - metal3 and the wells through their taps is connected; pin labels name
  the nets;
- **reference**: the cell's ``.subckt`` (the library YAML's ``spice``) read with
  ``klayout.db.NetlistSpiceReader``;
- **compare** (``klayout.db.NetlistComparer``): topology, pins by name, and W/L of every
  device (to half a grid step). Parallel fingers are combined on both sides first.

The report per cell: devices and nets matched (layout/schematic counts), and every
mismatch with the layout location (µm, cell coordinates) of the net or device.
"""
from __future__ import annotations

import tempfile
import time
from pathlib import Path

from chipsmith.layout.rules import RuleDeck

TOL_UM = 0.00125  # W/L tolerance: half the 0.0025 um drawing grid


def _spice_for_reader(spice: str) -> str:
    # klayout's reader wants the subcircuit plus a top line; models are not needed (the model
    # name becomes the device class: nch -> NCH)
    return "* chipsmith leaf cell\n" + spice.strip() + "\n.end\n"


def reference_netlist(spice: str):
    import klayout.db as db

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cell.cir"
        path.write_text(_spice_for_reader(spice))
        ref = db.Netlist()
        ref.read(str(path), db.NetlistSpiceReader())
    return ref


def _models(spice: str) -> dict[str, str]:
    """Device class name (upper-case model) -> polarity, from the M cards."""
    from chipsmith.layout.device_draw import parse_subckt

    return {d.model.upper(): d.polarity for d in parse_subckt(spice)[2]}


def extract(layout, cell, deck: RuleDeck, models: dict[str, str]):
    """LayoutVsSchematic with the cell's devices and nets extracted."""
    import klayout.db as db

    lvs = db.LayoutVsSchematic(db.RecursiveShapeIterator(layout, cell, []))
    lay = {}
    for name in ("active", "poly", "contact", "nwell", "pwell", "nimplant", "pimplant", "m1", "via1", "m2", "via2",
                 "m3"):
        g = deck.gds(name)
        li = layout.find_layer(g[0], g[1])
        if li is None:
            li = layout.layer(g[0], g[1])
        lay[name] = lvs.make_layer(li, name)
        if name in ("m1", "m2", "m3"):
            lay[name + "_lbl"] = lvs.make_text_layer(li, name + "_lbl")
    nact = lay["active"] & lay["nimplant"]
    pact = lay["active"] & lay["pimplant"]
    nw, pw, poly = lay["nwell"], lay["pwell"], lay["poly"]
    ngate = (nact & poly) - nw
    pgate = (pact & poly) & nw
    nsd = (nact - nw) - poly
    psd = (pact & nw) - poly
    ntap = nact & nw
    ptap = pact - nw
    for name, reg in (("ngate", ngate), ("pgate", pgate), ("nsd", nsd), ("psd", psd), ("ntap", ntap), ("ptap", ptap)):
        lvs.register(reg, name)
        lay[name] = reg
    for cls, pol in sorted(models.items()):
        if pol == "n":
            lvs.extract_devices(db.DeviceExtractorMOS4Transistor(cls), {"SD": nsd, "G": ngate, "P": poly, "W": pw})
        else:
            lvs.extract_devices(db.DeviceExtractorMOS4Transistor(cls), {"SD": psd, "G": pgate, "P": poly, "W": nw})
    for reg in (nsd, psd, ntap, ptap, poly, lay["contact"], lay["m1"], lay["via1"], lay["m2"], lay["via2"], lay["m3"],
                nw, pw):
        lvs.connect(reg)
    for reg in (nsd, psd, ntap, ptap, poly, lay["m1"]):
        lvs.connect(lay["contact"], reg)
    lvs.connect(ntap, nw)
    lvs.connect(ptap, pw)
    lvs.connect(lay["m1"], lay["via1"])
    lvs.connect(lay["via1"], lay["m2"])
    lvs.connect(lay["m2"], lay["via2"])
    lvs.connect(lay["via2"], lay["m3"])
    for m in ("m1", "m2", "m3"):
        lvs.connect(lay[m], lay[m + "_lbl"])
    lvs.extract_netlist()
    return lvs, lay


def _tolerances(netlist) -> None:
    import klayout.db as db

    for dc in netlist.each_device_class():
        if isinstance(dc, db.DeviceClassMOS4Transistor):
            dc.equal_parameters = (db.EqualDeviceParameters(db.DeviceClassMOS4Transistor.PARAM_W, TOL_UM, 0.0)
                                   + db.EqualDeviceParameters(db.DeviceClassMOS4Transistor.PARAM_L, TOL_UM, 0.0))


def _box_um(box, dbu: float) -> list[float]:
    return [round(box.left * dbu, 4), round(box.bottom * dbu, 4), round(box.right * dbu, 4), round(box.top * dbu, 4)]


def _net_where(lvs, lay, net, dbu: float) -> dict | None:
    """Where a layout net is: the bounding box of its shapes on every layer, and those layers."""
    import klayout.db as db

    box, layers = db.Box(), []
    for name, reg in lay.items():
        if name.endswith("_lbl"):
            continue
        shapes = lvs.shapes_of_net(net, reg, True)
        if not shapes.is_empty():
            box += shapes.bbox()
            layers.append(name)
    if box.empty():
        return None
    return {"layers": layers, "x": round(box.center().x * dbu, 4), "y": round(box.center().y * dbu, 4),
            "box_um": _box_um(box, dbu)}


def _device_desc(dev) -> dict:
    import klayout.db as db

    out = {"name": dev.expanded_name(), "class": dev.device_class().name}
    if isinstance(dev.device_class(), db.DeviceClassMOS4Transistor):
        out["w_um"] = round(dev.parameter("W"), 4)
        out["l_um"] = round(dev.parameter("L"), 4)
    return out


def lvs_cell(layout, cell, spice: str, deck: RuleDeck, max_report: int = 20) -> dict:
    """Device-level LVS of one cell of a klayout ``layout`` against its SPICE subcircuit."""
    import klayout.db as db

    start = time.perf_counter()
    dbu = layout.dbu
    models = _models(spice)
    lvs, lay = extract(layout, cell, deck, models)
    ext = lvs.netlist()
    ext.combine_devices()
    ext.make_top_level_pins()
    ext.purge()
    ref = reference_netlist(spice)
    ref.combine_devices()
    _tolerances(ext)
    _tolerances(ref)
    lvs.reference = ref
    comparer = db.NetlistComparer()
    a = ext.circuit_by_name(cell.name) or next(ext.each_circuit_top_down())
    b = next(ref.each_circuit_top_down())
    comparer.same_circuits(a, b)
    match = lvs.compare(comparer)
    xref = lvs.xref()
    ok_status = (db.NetlistCrossReference.Match.to_i(), db.NetlistCrossReference.MatchWithWarning.to_i())
    nets_ok = devices_ok = pins_ok = 0
    mismatches = []
    for cp in xref.each_circuit_pair():
        for np_ in xref.each_net_pair(cp):
            if np_.status().to_i() in ok_status:
                nets_ok += 1
                continue
            first, second = np_.first(), np_.second()
            item = {"kind": "net", "layout": first.expanded_name() if first else None,
                    "schematic": second.expanded_name() if second else None}
            if first is not None:
                item["where"] = _net_where(lvs, lay, first, dbu)
            mismatches.append(item)
        for dp in xref.each_device_pair(cp):
            if dp.status().to_i() in ok_status:
                devices_ok += 1
                continue
            first, second = dp.first(), dp.second()
            item = {"kind": "device", "layout": _device_desc(first) if first else None,
                    "schematic": _device_desc(second) if second else None}
            if first is not None:
                t = first.trans
                item["where"] = {"x": round(t.disp.x, 4), "y": round(t.disp.y, 4)}
            mismatches.append(item)
        for pp in xref.each_pin_pair(cp):
            if pp.status().to_i() in ok_status:
                pins_ok += 1
            else:
                first, second = pp.first(), pp.second()
                mismatches.append({"kind": "pin", "layout": first.expanded_name() if first else None,
                                   "schematic": second.expanded_name() if second else None})
    n_dev_l = sum(1 for _ in a.each_device())
    n_dev_s = sum(1 for _ in b.each_device())
    return {"cell": cell.name, "match": bool(match) and not mismatches, "devices_layout": n_dev_l,
            "devices_schematic": n_dev_s, "devices_matched": devices_ok, "nets_layout": sum(1 for _ in a.each_net()),
            "nets_schematic": sum(1 for _ in b.each_net()), "nets_matched": nets_ok, "pins_matched": pins_ok,
            "mismatches": len(mismatches), "mismatch": mismatches[:max_report],
            "seconds": round(time.perf_counter() - start, 4)}


def lvs_gds(gds, cell_name: str, spice: str, deck: RuleDeck) -> dict:
    import klayout.db as db

    layout = db.Layout()
    layout.read(str(gds))
    return lvs_cell(layout, layout.cell(cell_name), spice, deck)


def check_cells(gds, cells: dict[str, str], device_level: dict[str, bool], deck: RuleDeck) -> dict:
    """Per-cell LVS of every leaf cell of a GDS: ``cells`` maps GDS cell name -> its SPICE,
    ``device_level`` says which are drawn at device level (the others are listed as black
    boxes). Each distinct cell is checked once, whatever its instance count."""
    import klayout.db as db

    start = time.perf_counter()
    layout = gds if isinstance(gds, db.Layout) else db.Layout()
    if not isinstance(gds, db.Layout):
        layout.read(str(gds))
    out, black = {}, []
    for name in sorted(cells):
        c = layout.cell(name)
        if c is None:
            continue
        if not device_level.get(name):
            black.append(name)
            continue
        out[name] = lvs_cell(layout, c, cells[name], deck)
    return {"match": all(r["match"] for r in out.values()), "checked": len(out),
            "clean": sorted(n for n, r in out.items() if r["match"]),
            "failing": sorted(n for n, r in out.items() if not r["match"]), "black_boxes": black,
            "cells": out, "seconds": round(time.perf_counter() - start, 4)}
