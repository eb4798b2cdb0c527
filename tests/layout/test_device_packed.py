"""Packed leaf cells and diffusion sharing (issue 13): the packed 8T bitcell and its row-high WL
driver, chains of devices on one diffusion in the generic drawer, and the area they save --
measured against the generic drawer on the same netlist in the same process."""
from __future__ import annotations

import dataclasses

import gdstk
import klayout.db as db
import pytest

from chipsmith.errors import LibraryError
from chipsmith.layout.device_draw import Mos, chains, parse_subckt, plan
from chipsmith.layout.device_lvs import lvs_gds
from chipsmith.layout.drc import run_drc
from chipsmith.layout.leafcells import PACKED, Template, draw_cell
from chipsmith.layout.leafcells_packed import match_8t, match_driver, packed_kind, sram8t_height


def _gds(cell, path, deck):
    out = gdstk.Library(unit=1e-6, precision=deck.dbu_um * 1e-6)
    out.add(cell)
    out.write_gds(str(path))
    return path


def _islands(cell, deck) -> int:
    """Merged diffusion polygons of a drawn cell (well taps included)."""
    reg = db.Region()
    for p in cell.polygons:
        if (p.layer, p.datatype) == deck.gds("active"):
            reg.insert(db.Polygon([db.Point(round(x / deck.dbu_um), round(y / deck.dbu_um)) for x, y in p.points]))
    return reg.merged().count()


def _devices(spice):
    return parse_subckt(spice)[2]


def test_packed_cells_are_the_bitcell_and_driver_of_the_library(lib):
    assert set(PACKED) == {"sram8t", "wl_driver", "sample_switch", "precharge"}
    assert all(packed_kind(k, lib.get(k).spice) for k in PACKED)
    # the 10T is another topology: it stays with the generic drawer
    assert not packed_kind("sram8t", lib.get("sram10t").spice)


def test_packed_bitcell_area_bound_and_gain_over_the_generic_drawer(drawn, lib, deck):
    d = drawn["sram8t"]
    area = d.width * d.height
    assert area <= 2.5  # 2.40 x 1.025 um on the FreePDK45 subset (the old generic cell: 8.52 um2)
    assert d.height == pytest.approx(sram8t_height(deck, lib.get("sram8t").spice))
    # the generic drawer on the same netlist and width, same process: the height it needs
    t = Template.from_deck(deck, d.width)
    generic = plan(_devices(lib.get("sram8t").spice), d.width, deck, d.pins, [], t.rail_y(10.0)).height_needed
    assert generic / d.height > 2.0
    # the WL driver is exactly one bitcell row high, so drivers stack at the row pitch
    assert drawn["wl_driver"].height == pytest.approx(d.height)


def test_packed_cells_share_diffusion(drawn, lib, deck):
    # 8T: two NMOS strips and one PMOS strip (plus the two well taps) for eight devices
    assert _islands(drawn["sram8t"].cell, deck) == 3 + 2 < len(_devices(lib.get("sram8t").spice))
    # driver: one NMOS and one PMOS strip (plus taps) for six devices folded into ten fingers
    assert _islands(drawn["wl_driver"].cell, deck) == 2 + 2


@pytest.mark.parametrize("role", ["comparator", "sar_logic"])
def test_generic_drawer_chains_share_diffusion(role, drawn, lib, deck):
    n = len(_devices(lib.get(role).spice))
    assert _islands(drawn[role].cell, deck) - 2 < n  # fewer diffusion islands than devices


def test_chains_put_a_series_stack_on_one_diffusion_and_turn_devices():
    m = lambda n, d, g, s: Mos(n, d, g, s, "VSS", "nch", 0.2, 0.05, "n")  # noqa: E731
    # NAND2 pull-down + an unrelated device: the stack shares n1, the odd one is its own chain
    devs = [m("a", "out", "A", "n1"), m("b", "VSS", "B", "n1"), m("c", "x", "C", "y")]
    out = chains(devs)
    assert [sorted(d.name for d in ch) for ch in out] == [["a", "b"], ["c"]]
    left, right = out[0]
    assert left.d == right.s == "n1"  # turned so that the shared net sits between them
    assert {left.s, right.d} == {"out", "VSS"}


def test_a_series_stack_middle_node_gets_no_contact(lib, deck):
    # sram10t: mrd1 RBL RWL r1 / mrd2 r1 RWL rx -- r1 is only the shared diffusion of the stack
    cell = lib.get("sram10t")
    t = Template.from_deck(deck, lib.get("sram8t").width)
    pl = plan(_devices(cell.spice), cell.width, deck, {"RBL": ("m2", t.trk(2), 1.0)}, [], t.rail_y(cell.height))
    assert "r1" in pl.internal
    assert all("r1" not in b.track_of for b in pl.bands)


def test_packed_driver_widens_for_pwm_and_stays_clean(lib, deck, tmp_path):
    t = Template.from_deck(deck, lib.get("sram8t").width)
    drv = lib.get("wl_driver")
    d = draw_cell("wl_driver", drv, t, width=drv.width + 1.6)
    path = _gds(d.cell, tmp_path / "d.gds", deck)
    assert run_drc(path, deck)["clean"]
    r = lvs_gds(path, d.name, drv.spice, deck)
    assert r["match"] and r["devices_matched"] == 6  # mp3 (4 fingers) and mn3 (2) combine to one device each
    assert d.pins["RWL"][1] == pytest.approx(d.width - 0.4)


def test_packed_cells_refuse_a_footprint_too_small_with_the_size_needed(lib, deck):
    t = Template.from_deck(deck, lib.get("sram8t").width)
    low = dataclasses.replace(lib.get("sram8t"), height=0.9)
    with pytest.raises(LibraryError, match=r"needs a 2.4 x 1.025 um footprint"):
        draw_cell("sram8t", low, t)
    narrow = dataclasses.replace(lib.get("wl_driver"), width=2.4)
    with pytest.raises(LibraryError, match=r"needs a 3.475 x 1.025 um footprint"):
        draw_cell("wl_driver", narrow, t)


def test_topology_matchers_reject_other_netlists(lib):
    _n, ports, devs = parse_subckt(lib.get("sram8t").spice)
    assert match_8t(devs, ports) is not None
    broken = [dataclasses.replace(d, g="RWL") if d.name.lower() == "mpd1" else d for d in devs]
    assert match_8t(broken, ports) is None
    _n, ports, devs = parse_subckt(lib.get("wl_driver").spice)
    assert match_driver(devs, ports) is not None and match_driver(devs[:-1], ports) is None


def test_local_array_overhead_cells_are_packed_and_smaller_than_generic(drawn, lib, deck):
    """Precharge and the two transmission-gate switches: the packed cells against the generic
    drawer's height for the same netlist, width and pins (same process)."""
    t = Template.from_deck(deck, lib.get("sram8t").width)
    total_packed = total_generic = 0.0
    for role, kind in (("precharge", "precharge"), ("sample", "sample_switch"), ("share", "sample_switch")):
        d = drawn[role]
        generic = plan(_devices(lib.get(kind).spice), d.width, deck, d.pins, [], t.rail_y(10.0)).height_needed
        total_packed += d.height
        total_generic += generic
        assert d.height < generic
    assert total_generic / total_packed > 1.5  # 3.225 um against about 6.2 um per local array
