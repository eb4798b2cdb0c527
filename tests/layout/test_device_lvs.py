"""Device-level leaf cells: wired transistors, LVS-clean against their SPICE with klayout.db, DRC-clean with
the device rules, and broken cells (a missing contact, a metal1 bridge, a wrong W) caught at the right place."""
from __future__ import annotations

import gdstk
import klayout.db as db
import pytest

from chipsmith.layout.cells import load_cells
from chipsmith.layout.connectivity import leaf_cells_lvs
from chipsmith.layout.device_draw import parse_subckt
from chipsmith.layout.device_lvs import lvs_gds
from chipsmith.layout.drc import run_drc
from chipsmith.layout.leafcells import DEVICE_LEVEL

# role in draw_library -> library kind, for every device-level cell
ROLES = {"sram8t": "sram8t", "precharge": "precharge", "sample": "sample_switch", "share": "sample_switch",
         "wl_driver": "wl_driver", "comparator": "comparator", "sar_logic": "sar_logic"}


def _write(cell, path, deck, name=None):
    out = gdstk.Library(unit=1e-6, precision=deck.dbu_um * 1e-6)
    out.add(cell if name is None else cell.copy(name, deep_copy=True))
    out.write_gds(str(path))
    return path


def test_every_base_transistor_cell_is_device_level():
    assert set(ROLES.values()) == set(DEVICE_LEVEL)


@pytest.mark.parametrize("role", sorted(ROLES))
def test_device_level_cell_is_lvs_clean(role, drawn, lib, deck, tmp_path):
    d = drawn[role]
    spice = lib.get(ROLES[role]).spice
    r = lvs_gds(_write(d.cell, tmp_path / "c.gds", deck), d.name, spice, deck)
    n_dev = len(parse_subckt(spice)[2])
    assert r["match"], r["mismatch"][:4]
    assert r["devices_layout"] == r["devices_schematic"] == r["devices_matched"] == n_dev
    assert r["nets_layout"] == r["nets_schematic"] == r["nets_matched"]
    assert r["pins_matched"] == len(d.pins)


@pytest.mark.parametrize("role", sorted(ROLES))
def test_device_level_cell_is_drc_clean_and_has_the_device_layers(role, drawn, deck, tmp_path):
    path = _write(drawn[role].cell, tmp_path / "c.gds", deck)
    report = run_drc(path, deck)
    assert report["clean"], report["first_violations"][:3]
    for rule in ("CONTACT.2", "CONTACT.4", "CONTACT.6", "METAL1.3", "ACTIVE.3", "POLY.5", "IMPLANT.5"):
        assert rule in report["by_rule"]
    layout = db.Layout()
    layout.read(str(path))
    have = {(info.layer, info.datatype) for li, info in zip(layout.layer_indexes(), layout.layer_infos())
            if not layout.top_cells()[0].shapes(li).is_empty()}
    need = ["active", "poly", "contact", "m1", "nimplant", "pimplant", "nwell"]
    need += ["pwell"] if role != "precharge" else []  # the PMOS precharge has no NMOS
    assert {deck.gds(n) for n in need} <= have


def _sram(drawn):
    return drawn["sram8t"].cell.copy("sram8t", deep_copy=True)


def _layer(cell, deck, name):
    return [p for p in cell.polygons if (p.layer, p.datatype) == deck.gds(name)]


def _inside(box, x, y, tol=1e-6):
    return box[0] - tol <= x <= box[2] + tol and box[1] - tol <= y <= box[3] + tol


def test_missing_contact_is_an_open_at_that_contact(drawn, lib, deck, tmp_path):
    cell = _sram(drawn)
    act = _layer(cell, deck, "active")
    diff = [c for c in _layer(cell, deck, "contact") if any(a.contain(tuple(c.points.mean(0))) for a in act)]
    victim = diff[3]
    x, y = victim.points.mean(0)
    cell.remove(victim)
    r = lvs_gds(_write(cell, tmp_path / "open.gds", deck), "sram8t", lib.get("sram8t").spice, deck)
    assert not r["match"]
    # the diffusion left without its contact is a layout net of its own, located where the contact was
    nets = [m for m in r["mismatch"] if m["kind"] == "net" and m.get("where")]
    assert any(_inside(m["where"]["box_um"], x, y) and m["where"]["layers"] == ["nsd"] for m in nets), r["mismatch"]
    # and a transistor on the cut net no longer matches; it is reported with its place in the cell
    # (in the packed bitcell the comparer reports the devices on the broken q/qb loop: the
    # cross-coupled pair sits on the columns next to the cut, the pull-ups 0.5 um above it)
    devs = [m for m in r["mismatch"] if m["kind"] == "device" and m["layout"]]
    assert devs and any(abs(m["where"]["x"] - x) < 0.25 for m in devs)
    assert all(0 <= m["where"]["x"] <= cell.bounding_box()[1][0] and abs(m["where"]["y"] - y) < 0.6 for m in devs)
    assert run_drc(tmp_path / "open.gds", deck)["clean"]  # no rule sees a missing contact: only LVS does


def test_metal1_bridge_is_a_short_between_two_nets(drawn, lib, deck, tmp_path):
    cell = _sram(drawn)
    def is_track(p):  # a horizontal metal1 channel track: one wire high, longer than a stub
        (x0, y0), (x1, y1) = p.bounding_box()
        return abs((y1 - y0) - 0.065) < 1e-6 and x1 - x0 > 0.3

    tracks = sorted((p for p in _layer(cell, deck, "m1") if is_track(p)), key=lambda p: p.bounding_box()[0][1])
    a, b = tracks[0], tracks[1]  # two neighbouring channel tracks of the lowest band
    (ax0, ay0), (ax1, ay1) = a.bounding_box()
    (bx0, by0), (bx1, by1) = b.bounding_box()
    x = max(ax0, bx0) + 0.1
    cell.add(gdstk.rectangle((x, ay0), (x + 0.065, by1), *deck.gds("m1")))
    r = lvs_gds(_write(cell, tmp_path / "short.gds", deck), "sram8t", lib.get("sram8t").spice, deck)
    assert not r["match"]
    assert r["nets_layout"] == r["nets_schematic"] - 1  # two nets became one
    merged = [m for m in r["mismatch"] if m["kind"] == "net" and m.get("where")]
    assert any(_inside(m["where"]["box_um"], x + 0.03, (ay1 + by0) / 2) for m in merged)


def test_wrong_width_is_a_device_mismatch_naming_the_device(drawn, lib, deck, tmp_path):
    spice = lib.get("sram8t").spice.replace("mrd RBL RWL rx VSS nch w=0.20u", "mrd RBL RWL rx VSS nch w=0.30u")
    assert spice != lib.get("sram8t").spice
    r = lvs_gds(_write(_sram(drawn), tmp_path / "c.gds", deck), "sram8t", spice, deck)
    assert not r["match"]
    bad = [m for m in r["mismatch"] if m["kind"] == "device" and m["schematic"] and m["schematic"]["name"] == "RD"]
    assert bad and bad[0]["schematic"]["w_um"] == pytest.approx(0.30)
    # the layout transistor it should have been: drawn at 0.20 um, with its location
    drawn_rd = [m for m in r["mismatch"] if m["kind"] == "device" and m["layout"] and m["layout"]["w_um"] == 0.2]
    assert drawn_rd and all("where" in m for m in drawn_rd)


def test_macro_lvs_has_a_cells_section_with_black_boxes(drawn, lib, deck, tmp_path):
    from chipsmith.layout.macro import MacroSpec, build_layout, netlist

    spec = MacroSpec(16, 16, 16, 16, 2, 2, 1)
    built = build_layout(spec, lib, deck)
    path = tmp_path / "m.gds"
    built.library.write_gds(str(path))
    cells = leaf_cells_lvs(path, netlist(spec, lib), [c.name for c in lib.cells.values()], deck)
    assert cells["match"] and cells["failing"] == []
    base = {"sram8t", "precharge", "comparator", "sar_logic", "sample_switch", "sample_switch_share"}
    assert base <= set(cells["clean"])
    assert any(n.startswith("wl_driver") for n in cells["clean"])
    assert set(cells["black_boxes"]) == {"compute_cap", "timing_ctrl"}
    assert all(r["devices_matched"] == r["devices_schematic"] > 0 for r in cells["cells"].values())


def test_contact_off_its_diffusion_is_a_drc_error_and_a_missing_well_an_lvs_error(drawn, deck, tmp_path):
    cell = _sram(drawn)
    act = _layer(cell, deck, "active")
    victim = next(c for c in _layer(cell, deck, "contact") if any(a.contain(tuple(c.points.mean(0))) for a in act))
    island = next(a for a in act if a.contain(tuple(victim.points.mean(0))))
    x, y = victim.points.mean(0)
    dx = -0.03 if x - island.bounding_box()[0][0] < island.bounding_box()[1][0] - x else 0.03
    victim.translate(dx, 0)  # half off the end of its diffusion island
    rep = run_drc(_write(cell, tmp_path / "c.gds", deck), deck)
    hits = [v for v in rep["first_violations"] if v["rule"] == "CONTACT.4"]
    assert hits and all(abs(v["x"] - (x + dx)) < 0.05 and abs(v["y"] - y) < 0.05 for v in hits)
    cell = _sram(drawn)
    for p in _layer(cell, deck, "nwell"):
        cell.remove(p)
    # without the n-well the p diffusion is no PMOS any more: LVS misses the two pull-ups
    r = lvs_gds(_write(cell, tmp_path / "w.gds", deck), "sram8t", load_cells().get("sram8t").spice, deck)
    assert not r["match"] and r["devices_layout"] < r["devices_schematic"]
    assert not any(m["layout"] and m["layout"]["class"] == "PCH" for m in r["mismatch"] if m["kind"] == "device")


def test_a_width_below_the_deck_minimum_is_refused_with_the_drawable_minimum(lib, deck):
    import dataclasses

    from chipsmith.errors import LibraryError
    from chipsmith.layout.leafcells import Template, draw_cell

    cell = lib.get("precharge")
    thin = dataclasses.replace(cell, spice=cell.spice.replace("w=0.30u", "w=0.05u"))
    with pytest.raises(LibraryError, match=r"mp: W=0.05 um is below .* 0.09 um"):
        draw_cell("precharge", thin, Template.from_deck(deck, lib.get("sram8t").width))


@pytest.mark.slow  # ~30 s on the shared 2-core machine (rule check + connectivity + preview); the default run
# covers the cells section through test_macro_lvs_has_a_cells_section_with_black_boxes
def test_acim_build_lvs_json_has_the_per_cell_device_lvs(tmp_path, cli):
    import json

    res = cli("acim", "build", "--rows", "16", "--cols", "16", "--local", "2", "--adc-bits", "2",
              "--input-bits-per-cycle", "2", "--out", tmp_path / "m", "--quiet")
    assert res.code == 0, res.stderr
    lvs = json.loads((tmp_path / "m" / "lvs.json").read_text())
    assert lvs["match"] and lvs["connectivity_match"] and lvs["cells_match"]
    cells = lvs["cells"]
    # a PWM macro widens the WL driver: the widened cell is checked as its own distinct cell
    assert any(n.startswith("wl_driver_w") for n in cells["clean"]) and cells["checked"] == 7
    for name, r in cells["cells"].items():
        assert r["match"] and r["mismatches"] == 0 and r["devices_matched"] == r["devices_schematic"], name
