"""ACIM layout: leaf cells rule-clean, 16x16 macro rule-clean with matching connectivity, broken layouts
caught at the right place, the GDS read back with klayout.db, and the area model equal to the layout."""
from __future__ import annotations


import gdstk
import klayout.db as db
import numpy as np
import pytest

from chipsmith.errors import InputError
from chipsmith.layout.architecture import Problem
from chipsmith.layout.cells import load_cells
from chipsmith.layout.connectivity import check
from chipsmith.layout.drc import run_drc
from chipsmith.layout.leafcells import Template
from chipsmith.layout.macro import MacroSpec, bank_geometry, build_layout, netlist, terminals
from chipsmith.layout.models import ModelParams, evaluate
from chipsmith.layout.rules import load_rules

ROLES = ("sram8t", "precharge", "sample", "share", "compute_cap", "comparator", "sar_logic", "wl_driver",
         "timing_ctrl")


def _write(cells, path, deck):
    out = gdstk.Library(unit=1e-6, precision=deck.dbu_um * 1e-6)
    for c in cells:
        out.add(c)
    out.write_gds(str(path))
    return path


@pytest.mark.parametrize("role", ROLES)
def test_every_leaf_cell_is_rule_clean(role, drawn, deck, tmp_path):
    cell = drawn[role].cell
    report = run_drc(_write([cell], tmp_path / f"{role}.gds", deck), deck)
    assert report["clean"], report["first_violations"][:3]
    assert set(report["by_rule"]) == {r.name for r in deck.rules}


@pytest.mark.parametrize("role", ROLES)
def test_library_pins_are_the_drawn_pins(role, drawn, lib):
    """The YAML library is the contract: every pin it lists is a label on a shape of the same layer."""
    d = drawn[role]
    kind = {"sample": "sample_switch", "share": "sample_switch"}.get(role, role)
    cell = lib.get(kind)
    assert {p.name for p in cell.pins} == set(d.pins)
    polys = d.cell.get_polygons()
    labels = {lb.text: lb for lb in d.cell.labels}
    for name, (layer, x, y) in d.pins.items():
        gds = load_rules().gds(layer)
        assert labels[name].origin == pytest.approx((x, y)) and labels[name].layer == gds[0]
        hit = [p for p in polys if (p.layer, p.datatype) == gds and p.contain((x, y))]
        assert hit, f"pin {name} of {role} is not on a {layer} shape"
        if role != "share":
            lp = cell.pin(name)
            assert lp.layer == layer and lp.x == pytest.approx(x, abs=1e-9) and lp.y == pytest.approx(y, abs=1e-9)


SPEC16 = MacroSpec(16, 16, 16, 16, 2, 2, 1)


@pytest.fixture(scope="module")
def macro16(lib, deck, tmp_path_factory):
    built = build_layout(SPEC16, lib, deck)
    path = tmp_path_factory.mktemp("m16") / "macro.gds"
    built.library.write_gds(str(path))
    return built, path, netlist(SPEC16, lib)


def _lvs(path, cir, built, deck, lib, spec=SPEC16):
    return check(path, cir, "acim_macro", terminals(spec, built), deck, [c.name for c in lib.cells.values()])


def test_16x16_macro_is_rule_clean_and_connectivity_matches(macro16, deck, lib):
    built, path, cir = macro16
    drc = run_drc(path, deck)
    assert drc["clean"], drc["first_violations"][:3]
    lvs = _lvs(path, cir, built, deck, lib)
    assert lvs["match"], (lvs["open_nets"][:2], lvs["short_nets"][:2])
    assert lvs["leaf_instances"] == 833 and lvs["missing_instances"] == []
    assert lvs["schematic_nets"] == lvs["layout_nets"] > 400


def _flat_copy(built, deck, edit):
    """A flattened copy of the macro with one deliberate edit applied to the top cell."""
    lib2 = gdstk.Library(unit=1e-6, precision=deck.dbu_um * 1e-6)
    top = built.top.copy("acim_macro", deep_copy=True).flatten()
    edit(top)
    lib2.add(top)
    return lib2


def test_removed_via_is_an_open_at_that_via(macro16, deck, lib, tmp_path):
    built, _path, cir = macro16
    geo, t = built.geometry, Template.from_deck(deck, lib.get("sram8t").width)
    # the via2 joining the bottom plate of local array 3 in column 5 to its CDAC group track
    from chipsmith.layout.macro import cdac_group_of, la_rows
    from chipsmith.layout.leafcells import cap_exit_y
    g = cdac_group_of(SPEC16)[3]
    y_cap = [y for r, y in la_rows(SPEC16, geo) if r == "compute_cap"][0]
    vx = geo.x0 + 5 * geo.pitch + t.chan_x(g)
    vy = geo.bottom_h + 3 * geo.la_h + y_cap + cap_exit_y(t, geo.cap_h)

    def drop(top):
        victims = [p for p in top.polygons if (p.layer, p.datatype) == deck.gds("via2") and p.contain((vx, vy))]
        assert len(victims) == 1
        top.remove(*victims)

    path = tmp_path / "open.gds"
    _flat_copy(built, deck, drop).write_gds(str(path))
    lvs = _lvs(path, cir, built, deck, lib)
    assert not lvs["match"] and lvs["opens"] == 1 and lvs["shorts"] == 0
    o = lvs["open_nets"][0]
    assert o["net"] == f"xb0_0.xcol5.dac{g}"
    cut = [t for frag in o["where"].values() for t in frag if t["terminal"] == "xb0_0.xcol5.xla3.xcap0.BOT"]
    assert cut and cut[0]["y"] == pytest.approx(vy, abs=1e-3)
    assert run_drc(path, deck)["clean"]  # a missing via breaks no width/space rule: only the net check sees it


def test_shorted_rails_are_a_short_between_vdd_and_vss(macro16, deck, lib, tmp_path):
    built, _path, cir = macro16
    geo, t = built.geometry, Template.from_deck(deck, lib.get("sram8t").width)
    # in the routing channel right of column 2 (the rails cross it; the cell's own wiring does not)
    x = geo.x0 + 2 * geo.pitch + geo.cell_w + 0.1
    y0 = geo.bottom_h + 0.0  # first sram8t of local array 0, column 2: VSS rail at the bottom, VDD at the top
    yb, yt = t.rail_y(geo.cell_h)

    def bridge(top):
        top.add(gdstk.rectangle((x - 0.05, y0 + yb), (x + 0.05, y0 + yt), *deck.gds("m1")))

    path = tmp_path / "short.gds"
    _flat_copy(built, deck, bridge).write_gds(str(path))
    lvs = _lvs(path, cir, built, deck, lib)
    assert not lvs["match"] and lvs["shorts"] == 1 and lvs["opens"] == 0
    assert lvs["short_nets"][0]["nets"] == ["VDD", "VSS"]


def test_too_narrow_wire_is_a_width_violation_at_that_wire(macro16, deck, lib, tmp_path):
    built, _path, _cir = macro16
    geo, t = built.geometry, Template.from_deck(deck, lib.get("sram8t").width)
    # a metal2 wire 50 nm wide (METALINT.1 asks for 70 nm) on the free LBL track over the compute cap of
    # local array 2, column 7
    from chipsmith.layout.macro import la_rows
    x = geo.x0 + 7 * geo.pitch + t.trk(2) - 0.2
    y = geo.bottom_h + 2 * geo.la_h + [y for r, y in la_rows(SPEC16, geo) if r == "compute_cap"][0] + 0.05

    def narrow(top):
        top.add(gdstk.rectangle((x + 0.2 - 0.025, y), (x + 0.2 + 0.025, y + 0.5), *deck.gds("m2")))

    path = tmp_path / "narrow.gds"
    _flat_copy(built, deck, narrow).write_gds(str(path))
    drc = run_drc(path, deck)
    assert not drc["clean"]
    hits = [v for v in drc["first_violations"] if v["rule"] == "METALINT.1.m2"]
    assert drc["by_rule"]["METALINT.1.m2"] >= 1 and hits
    assert all(x + 0.19 <= v["x"] <= x + 0.26 and y - 0.01 <= v["y"] <= y + 0.51 for v in hits)


def test_gds_reads_back_with_hierarchy_and_pins(macro16, lib):
    built, path, _cir = macro16
    layout = db.Layout()
    layout.read(str(path))
    top = layout.top_cells()
    assert [c.name for c in top] == ["acim_macro"]
    names = {c.name for c in layout.each_cell()}
    assert {"acim_bank", "acim_column", "acim_la", "acim_drv_la", "sram8t", "compute_cap", "comparator"} <= names

    def children(name):
        cell = layout.cell(name)
        return {layout.cell(i.cell_index).name: i for i in cell.each_inst()}

    col = children("acim_column")
    la_inst = col["acim_la"]
    assert la_inst.is_regular_array() and la_inst.nb * la_inst.na == SPEC16.n_la  # arrays stay references
    bank = children("acim_bank")
    assert bank["acim_column"].na * bank["acim_column"].nb == SPEC16.W
    sram = children("acim_la")["sram8t"]
    assert sram.na * sram.nb == SPEC16.L
    texts = {}
    for layer in (13, 15):
        for shape in top[0].shapes(layout.layer(layer, 0)).each():
            if shape.is_text():
                texts[shape.text_string] = (layer, shape.text_dpos.x, shape.text_dpos.y)
    expected = {n: (13 if lay == "m2" else 15, x, y) for n, lay, x, y in built.pins}
    assert set(texts) == set(expected)
    for n, (layer, x, y) in expected.items():
        assert texts[n][0] == layer and texts[n][1] == pytest.approx(x, abs=1e-3) and texts[n][2] == pytest.approx(y, abs=1e-3)
    assert {f"IN{r}" for r in range(16)} | {f"WBL{c}" for c in range(16)} | {"VDD", "VSS", "VREF"} <= set(texts)
    for n in ("IN0", "WBL3", "D0_1"):  # edge pins sit on the macro boundary
        _layer, x, y = texts[n]
        w, h = top[0].dbbox().width(), top[0].dbbox().height()
        assert min(x, y, w - x, h - y) <= 0.06


@pytest.mark.parametrize("args", [(16, 16, 16, 16, 2, 2, 1, 1), (256, 256, 128, 64, 4, 3, 2, 2),
                                  (64, 64, 64, 32, 2, 4, 1, 4), (1024, 512, 1024, 256, 8, 6, 4, 1)])
def test_explorer_area_is_the_layout_area(lib, deck, args):
    """The area the explorer optimizes is the bounding box `acim build` draws."""
    spec = MacroSpec(*args)
    geo = bank_geometry(spec, lib, Template.from_deck(deck, lib.get("sram8t").width))
    br, bc = spec.banks
    m = evaluate({"H": [spec.H], "W": [spec.W], "L": [spec.L], "B_ADC": [spec.B_ADC],
                  "input_bits_per_cycle": [spec.input_bits_per_cycle], "cap_mult": [spec.cap_mult]},
                 ModelParams.from_library(lib), Problem(spec.rows, spec.cols))
    assert m["area_um2"][0] == pytest.approx(br * bc * geo.bank_w * geo.bank_h, rel=1e-9)


def test_layout_area_matches_the_built_gds(macro16):
    built, path, _cir = macro16
    layout = db.Layout()
    layout.read(str(path))
    box = layout.top_cells()[0].dbbox()
    g = built.geometry
    assert box.width() == pytest.approx(g.bank_w, abs=1e-3) and box.height() == pytest.approx(g.bank_h, abs=1e-3)


@pytest.mark.parametrize("args, needle", [((16, 16, 16, 16, 2, 4, 1), "--adc-bits 4"),
                                          ((16, 16, 16, 16, 16, 1, 1), "--local 16"),
                                          ((16, 16, 12, 16, 2, 1, 1), "does not tile")])
def test_impossible_specs_are_input_errors(args, needle):
    with pytest.raises(InputError, match=needle):
        MacroSpec(*args)


def test_multi_bank_macro_is_clean_and_matches(lib, deck, tmp_path):
    spec = MacroSpec(32, 32, 16, 16, 4, 2, 2, 2)  # 2x2 banks, PWM drivers (wider), 2 unit caps
    built = build_layout(spec, lib, deck)
    path = tmp_path / "m.gds"
    built.library.write_gds(str(path))
    assert run_drc(path, deck)["clean"]
    lvs = _lvs(path, netlist(spec, lib), built, deck, lib, spec)
    assert lvs["match"], (lvs["open_nets"][:2], lvs["short_nets"][:2])
    assert np.isfinite(lvs["seconds"])


def test_violation_inside_a_repeated_cell_is_reported_at_every_placement(lib, deck, tmp_path):
    """Hierarchical (deep) checking finds an error drawn once in the column cell at all W placements,
    the same as the flat check."""
    built = build_layout(SPEC16, lib, deck)
    geo = built.geometry
    from chipsmith.layout.macro import la_rows
    y = geo.bottom_h + [y for r, y in la_rows(SPEC16, geo) if r == "compute_cap"][0] + 0.05
    col = next(c for c in built.library.cells if c.name == "acim_column")
    col.add(gdstk.rectangle((0.475, y), (0.525, y + 0.45), *deck.gds("m2")))  # 50 nm on the free LBL track
    path = tmp_path / "rep.gds"
    built.library.write_gds(str(path))
    deep, flat = run_drc(path, deck), run_drc(path, deck, deep=False)
    assert deep["mode"] == "deep" and deep["by_rule"]["METALINT.1.m2"] == flat["by_rule"]["METALINT.1.m2"] == 16
    xs = sorted(v["x"] for v in deep["first_violations"] if v["rule"] == "METALINT.1.m2")
    assert xs == pytest.approx([geo.x0 + c * geo.pitch + 0.5 for c in range(16)], abs=0.03)


def test_cells_figure_is_a_png(lib, deck, tmp_path):
    from chipsmith.layout.build import cells_figure

    cells_figure(tmp_path / "cells.png", lib, deck)
    assert (tmp_path / "cells.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_a_library_can_bring_its_own_gds_per_cell(lib, deck, drawn, tmp_path):
    """A cell given as GDS (here: the drawn bitcell, exported and renamed) is used as is; a GDS
    missing a pin label is refused naming the pin."""
    import yaml

    from chipsmith.errors import LibraryError
    from chipsmith.layout.cells import DEFAULT_CELLS

    own = drawn["sram8t"].cell.copy("sram8t", deep_copy=True)
    _write([own], tmp_path / "bitcell.gds", deck)
    data = yaml.safe_load(DEFAULT_CELLS.read_text())
    data["cells"]["sram8t"]["gds"] = "bitcell.gds"
    (tmp_path / "lib.yaml").write_text(yaml.safe_dump(data))
    user = load_cells(tmp_path / "lib.yaml")
    built = build_layout(SPEC16, user, deck)
    assert "sram8t_user" in {c.name for c in built.library.cells}
    path = tmp_path / "m.gds"
    built.library.write_gds(str(path))
    assert run_drc(path, deck)["clean"]
    assert _lvs(path, netlist(SPEC16, user), built, deck, user)["match"]
    for lb in list(own.labels):
        if lb.text == "RBL":
            own.remove(lb)
    _write([own], tmp_path / "bitcell.gds", deck)
    with pytest.raises(LibraryError, match="RBL"):
        build_layout(SPEC16, load_cells(tmp_path / "lib.yaml"), deck)


def test_layout_benchmark_runs_and_gds_grows_sublinearly():
    from chipsmith.benchmarks.acim_bench import run_layout

    r = run_layout((16, 32), connectivity_max=32, flat_drc_at=16)
    assert all(s["drc_clean"] and s["connectivity_match"] for s in r["sizes"])
    assert r["sizes"][0]["drc_flat_over_deep"] > 0
    assert 0 < r["gds_growth_exponent"] < 1  # 4x the bits, far less than 4x the bytes
