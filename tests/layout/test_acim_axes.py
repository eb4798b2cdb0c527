"""Design-space axes of issue 13: bitcell type (8T/10T), capacitor type (MOM/MIM), ADC type
(SAR/flash). Each new leaf cell is rule-clean with its library pins on shapes; a 16x16 macro
for each new type value is rule-clean with matching connectivity; the explorer's area is the
drawn area; the model terms move the way the circuits do; the explorer searches the axes."""
from __future__ import annotations

import json

import gdstk
import numpy as np
import pytest

from chipsmith.errors import InputError, LibraryError
from chipsmith.layout.architecture import ADC_TYPES, BITCELLS, CAP_TYPES, TYPE_VARIABLES, VARIABLES, Problem, Space
from chipsmith.layout.cells import DEFAULT_CELLS, OPTIONAL, parse_cells
from chipsmith.layout.connectivity import check
from chipsmith.layout.drc import run_drc
from chipsmith.layout.leafcells import Template, draw_cell
from chipsmith.layout.macro import MacroSpec, bank_geometry, build_layout, netlist, terminals
from chipsmith.layout.models import ModelParams, evaluate, mim_unit_ff


def _write(cell, path, deck):
    out = gdstk.Library(unit=1e-6, precision=deck.dbu_um * 1e-6)
    out.add(cell)
    out.write_gds(str(path))
    return path


@pytest.mark.parametrize("kind", sorted(OPTIONAL))
def test_every_variant_leaf_cell_is_rule_clean_with_its_pins(kind, lib, deck, tmpl, tmp_path):
    drawn = draw_cell(kind, lib.get(kind), tmpl)
    report = run_drc(_write(drawn.cell, tmp_path / f"{kind}.gds", deck), deck)
    assert report["clean"], report["first_violations"][:3]
    cell = lib.get(kind)
    assert {p.name for p in cell.pins} == set(drawn.pins)
    polys = drawn.cell.get_polygons()
    for pin in cell.pins:
        layer, x, y = drawn.pins[pin.name]
        assert (layer, x, y) == (pin.layer, pytest.approx(pin.x), pytest.approx(pin.y))
        assert any((p.layer, p.datatype) == deck.gds(layer) and p.contain((x, y)) for p in polys), pin.name


def test_mim_plate_is_checked_by_the_sky130_capm_rules(lib, deck, tmpl, tmp_path):
    """The drawn MIM cell carries capm; a plate narrower than capm.1 or closer than capm.2a is caught."""
    drawn = draw_cell("mim_cap", lib.get("mim_cap"), tmpl, width=2.1)
    assert any((p.layer, p.datatype) == deck.gds("capm") for p in drawn.cell.get_polygons())
    bad = drawn.cell.copy("mim_bad", deep_copy=True)
    bad.add(gdstk.rectangle((0.5, 0.05), (0.9, 0.3), *deck.gds("capm")))  # 0.4 um wide, 0.13 from the plate
    report = run_drc(_write(bad, tmp_path / "bad.gds", deck), deck)
    assert report["by_rule"]["capm.1"] >= 1 and report["by_rule"]["capm.2a"] >= 1
    assert report["by_rule"]["capm.3.inside"] >= 1  # and it is not over metal3
    with pytest.raises(LibraryError, match="capm"):
        draw_cell("mim_cap", lib.get("mim_cap"), tmpl, width=1.6)  # no room for a 1.0 um plate + 0.84 spacing


AXIS_SPECS = {
    "sram10t": MacroSpec(16, 16, 16, 16, 2, 2, 1, 1, bitcell=1),
    "mim_cap": MacroSpec(16, 16, 16, 16, 4, 2, 2, 2, cap_type=1),
    "flash": MacroSpec(16, 16, 16, 16, 4, 2, 1, 1, adc_type=1),
}


def _build(spec, lib, deck, path):
    built = build_layout(spec, lib, deck)
    built.library.write_gds(str(path))
    return built


@pytest.mark.parametrize("axis", sorted(AXIS_SPECS))
def test_16x16_macro_of_each_new_axis_value_is_clean_and_matches(axis, lib, deck, tmp_path):
    spec = AXIS_SPECS[axis]
    path = tmp_path / "m.gds"
    built = _build(spec, lib, deck, path)
    drc = run_drc(path, deck)
    assert drc["clean"], drc["first_violations"][:3]
    cir = netlist(spec, lib)
    lvs = check(path, cir, "acim_macro", terminals(spec, built), deck, [c.name for c in lib.cells.values()])
    assert lvs["match"], (lvs["open_nets"][:2], lvs["short_nets"][:2])
    assert lvs["missing_instances"] == []
    used = {"sram10t": "sram10t", "mim_cap": "mim_cap", "flash": "flash_comparator"}[axis]
    assert f"{used}\n" in cir or f" {used} " in cir or cir.count(f" {used}") > 0
    leaf_names = {c.name for c in built.library.cells}
    assert any(n.startswith(used) for n in leaf_names)


def test_all_three_variants_in_a_multi_bank_macro(lib, deck, tmp_path):
    spec = MacroSpec(32, 32, 16, 16, 2, 3, 1, 1, bitcell=1, cap_type=1, adc_type=1)  # 2x2 banks, 7 comparators
    path = tmp_path / "m.gds"
    built = _build(spec, lib, deck, path)
    assert run_drc(path, deck)["clean"]
    lvs = check(path, netlist(spec, lib), "acim_macro", terminals(spec, built), deck, [c.name for c in lib.cells.values()])
    assert lvs["match"], (lvs["open_nets"][:2], lvs["short_nets"][:2])


def test_flash_column_line_gap_left_open_is_an_open_on_the_column_line(lib, deck, tmp_path):
    """The column line crosses the stacked flash comparators only through the column's m2 bridges:
    dropping them is caught as an open of the cl net."""
    spec = AXIS_SPECS["flash"]
    built = build_layout(spec, lib, deck)
    col = next(c for c in built.library.cells if c.name == "acim_column")
    x_cl = Template.from_deck(deck, lib.get("sram8t").width).trk(4)
    m2 = deck.gds("m2")
    bridges = [p for p in col.polygons if (p.layer, p.datatype) == m2 and abs(p.bounding_box()[0][0] + 0.035 - x_cl) < 1e-6
               and p.bounding_box()[1][1] - p.bounding_box()[0][1] < 0.3]
    assert len(bridges) == spec.adc_outputs - 1
    col.remove(*bridges)
    path = tmp_path / "open.gds"
    built.library.write_gds(str(path))
    lvs = check(path, netlist(spec, lib), "acim_macro", terminals(spec, built), deck, [c.name for c in lib.cells.values()])
    assert not lvs["match"] and lvs["opens"] >= 1
    assert any(o["net"].endswith(".cl") for o in lvs["open_nets"])


@pytest.mark.parametrize("spec", [MacroSpec(64, 64, 64, 32, 2, 4, 1, 4, bitcell=1),
                                  MacroSpec(64, 64, 64, 64, 4, 2, 2, 1, cap_type=1),
                                  MacroSpec(64, 64, 64, 64, 4, 4, 1, 1, cap_type=1),
                                  MacroSpec(256, 256, 128, 64, 16, 3, 1, 2, adc_type=1),
                                  MacroSpec(64, 64, 32, 32, 1, 1, 4, 1, 1, 1, 1)])
def test_explorer_area_is_the_layout_area_for_every_type(spec, lib, deck):
    geo = bank_geometry(spec, lib, Template.from_deck(deck, lib.get("sram8t").width))
    br, bc = spec.banks
    v = {k: [getattr(spec, k)] for k in ("H", "W", "L", "B_ADC", "input_bits_per_cycle", "cap_mult") + TYPE_VARIABLES}
    m = evaluate(v, ModelParams.from_library(lib), Problem(spec.rows, spec.cols))
    assert m["area_um2"][0] == pytest.approx(br * bc * geo.bank_w * geo.bank_h, rel=1e-9)
    assert m["col_pitch"][0] == pytest.approx(geo.pitch, abs=1e-9)


def test_mim_netlist_value_is_the_drawn_plate_and_the_model_unit(lib, deck):
    spec = MacroSpec(16, 16, 16, 16, 2, 2, 1, 1, cap_type=1)
    geo = bank_geometry(spec, lib, Template.from_deck(deck, lib.get("sram8t").width))
    xcap = next(line for line in netlist(spec, lib).splitlines() if line.startswith("xcap0"))
    cu = float(xcap.split("cu=")[1].rstrip("f"))
    p = ModelParams.from_library(lib)
    assert cu == pytest.approx(float(mim_unit_ff(np.array([geo.pitch]), p)[0]), rel=1e-3)
    assert cu == pytest.approx(2.0 * (geo.pitch - 0.84) * (geo.cap_h - 0.84), rel=1e-3)


def _metrics(lib, **types):
    v = {"H": [128], "W": [64], "L": [8], "B_ADC": [3], "input_bits_per_cycle": [1], "cap_mult": [1], **types}
    return {k: float(x[0]) for k, x in evaluate(v, ModelParams.from_library(lib), Problem(256, 256)).items()
            if np.ndim(x) and len(x) == 1}


def test_model_terms_follow_the_circuits(lib):
    base = _metrics(lib)
    t10 = _metrics(lib, bitcell=[1])
    lvt8, lvt10 = _metrics(lib, read_vt=[1]), _metrics(lib, bitcell=[1], read_vt=[1])
    # 10T: taller cell (more area), slower read, ~20x less leakage per stack -> 400x less leakage noise
    assert t10["f2_per_bit"] > base["f2_per_bit"] and t10["t_compute_ps"] > base["t_compute_ps"]
    assert lvt8["n_leak"] > base["n_leak"] > 0 and lvt10["n_leak"] < lvt8["n_leak"] / 100
    mim = _metrics(lib, cap_type=[1])
    # MIM: a bigger unit (the plate at the pitch), better matching, less kT/C noise
    assert mim["cu"] > base["cu"] and mim["n_mismatch"] < base["n_mismatch"] and mim["n_thermal"] < base["n_thermal"]
    flash = _metrics(lib, adc_type=[1])
    # flash: one comparison instead of B SAR steps, no CDAC switching, 7 comparators' area and offsets
    assert flash["t_convert_ps"] < base["t_convert_ps"] / 2 and flash["e_cdac_fj"] == 0.0 < base["e_cdac_fj"]
    assert flash["bottom_h"] == pytest.approx(7 * lib.get("flash_comparator").height) and flash["f2_per_bit"] > base["f2_per_bit"]
    assert flash["n_offset"] == pytest.approx(6e-3 ** 2) and base["n_offset"] == 0.0
    assert flash["tops"] > base["tops"]


def test_flash_needs_no_cdac_units_but_stops_at_four_bits(lib):
    v = {"H": [16, 16, 16], "W": [16] * 3, "L": [8] * 3, "B_ADC": [3, 3, 5], "input_bits_per_cycle": [1] * 3,
         "cap_mult": [1] * 3, "adc_type": [0, 1, 1]}
    viol = evaluate(v, ModelParams.from_library(lib), Problem(16, 16))["violation"]
    assert viol[0] > 0 and viol[1] == 0 and viol[2] > 0  # SAR: 2 LAs < 8 units; flash 3 bits fine; 5 bits not
    MacroSpec(16, 16, 16, 16, 8, 3, 1, 1, adc_type=1)
    with pytest.raises(InputError, match="flash"):
        MacroSpec(16, 16, 16, 16, 2, 5, 1, 1, adc_type=1)
    with pytest.raises(InputError, match="bitcell"):
        MacroSpec(16, 16, 16, 16, 2, 1, 1, 1, bitcell=2)


def test_space_has_the_type_axes_and_a_base_library_collapses_them(lib):
    problem = Problem(256, 256)
    full = Space.for_problem(problem, lib)
    assert set(TYPE_VARIABLES) <= set(VARIABLES)
    assert full.bitcell == (0, 1) and full.cap_type == (0, 1) and full.adc_type == (0, 1)
    assert full.size() >= 8 * 10 ** 8
    import yaml

    data = yaml.safe_load(DEFAULT_CELLS.read_text())
    for kind in OPTIONAL:
        del data["cells"][kind]
    base = Space.for_problem(problem, parse_cells(data))
    assert base.bitcell == base.cap_type == base.adc_type == (0,) and base.size() * 8 == full.size()
    names = {"bitcell": BITCELLS, "cap_type": CAP_TYPES, "adc_type": ("comparator", "flash_comparator")}
    assert all(lib.has(k) for kinds in names.values() for k in kinds) and ADC_TYPES == ("sar", "flash")


def test_explorer_searches_the_new_axes_and_builds_a_chosen_design(tmp_path):
    from chipsmith.layout.build import run_build
    from chipsmith.layout.flow import run_explore

    s = run_explore(rows=32, cols=32, pop=16, gens=4, seed=1, serial=True, out=tmp_path / "front", quiet=True)
    assert s["space_size"] > 10 ** 6
    doc = json.loads((tmp_path / "front" / "pareto.json").read_text())
    assert all(set(TYPE_VARIABLES) <= set(d["variables"]) for d in doc["designs"])
    # the search evaluated both values of every type axis
    from chipsmith.layout.cells import load_cells as _lc
    from chipsmith.layout.explore import Evaluator, ExploreConfig, explore

    problem = Problem(32, 32)
    space = Space.for_problem(problem, _lc())
    ev = Evaluator(ModelParams.from_library(_lc()), problem, space)
    explore(ExploreConfig(problem, pop=16, gens=4, seed=1), ev.params, ev)
    genomes = np.array(list(ev.cache))
    for var in TYPE_VARIABLES:
        assert set(genomes[:, VARIABLES.index(var)]) == {0, 1}, var
    # build the front's design with the most non-default types, from DIR#INDEX
    d = max(doc["designs"], key=lambda d: (sum(d["variables"][v] for v in TYPE_VARIABLES), -d["metrics"]["area_um2"]))
    b = run_build(source=f"{tmp_path / 'front'}#{d['id']}", out=tmp_path / "build", quiet=True)
    assert b["drc"]["clean"] and b["connectivity"]["match"]
    assert b["types"] == {"bitcell": BITCELLS[d["variables"]["bitcell"]], "cap_type": CAP_TYPES[d["variables"]["cap_type"]],
                          "adc_type": ADC_TYPES[d["variables"]["adc_type"]]}
    assert abs(b["model_area_rel_error"]) < 1e-9


def test_type_axes_benchmark_runs_on_both_spaces():
    from chipsmith.benchmarks.acim_bench import run_type_axes

    r = run_type_axes(rows=32, cols=32, pop=8, gens=2, seeds=1)
    assert r["space_size"]["with_types"] == 8 * r["space_size"]["base_circuits_only"]
    assert {x["space"] for x in r["runs"]} == {"with_types", "base_circuits_only"}
    assert r["with_types_over_base"] > 0 and set(r["runs"][0]["front_types"]) == set(TYPE_VARIABLES)


def test_cli_builds_explicit_types_and_refuses_bad_ones(tmp_path, cli):
    res = cli("acim", "build", "--rows", "16", "--cols", "16", "--local", "4", "--adc-bits", "2", "--bitcell", "10t",
              "--cap-type", "mim", "--adc-type", "flash", "--out", tmp_path / "m", "--json")
    assert res.code == 0, res.stderr
    s = json.loads(res.stdout)
    assert s["types"] == {"bitcell": "sram10t", "cap_type": "mim_cap", "adc_type": "flash"}
    assert s["drc"]["clean"] and s["connectivity"]["match"]
    assert s["leaf_instances"]["flash_comparator"] == 16 * 3 and s["leaf_instances"]["sram10t"] == 256
    for args, needle in ((["--adc-type", "ramp"], "--adc-type 'ramp' is not a choice"),
                         (["--adc-type", "flash", "--adc-bits", "5"], "too many for a flash ADC")):
        base = ["--rows", "16", "--cols", "16", "--local", "4"] + ([] if "--adc-bits" in args else ["--adc-bits", "2"])
        res = cli("acim", "build", *base, *args, "--out", tmp_path / "x")
        assert res.code == 2 and needle in res.stderr and "Traceback" not in res.stderr
        assert not (tmp_path / "x").exists()


@pytest.mark.parametrize("kind", ["sram10t", "flash_comparator"])
def test_wired_variant_cells_match_their_spice_at_device_level(kind, lib, deck, tmpl, tmp_path):
    """The variants with transistors are drawn by the generic device-level drawer; the device
    LVS (klayout NetlistComparer) finds every transistor of the cell's SPICE, wired the same."""
    from chipsmith.layout.device_lvs import lvs_gds

    drawn = draw_cell(kind, lib.get(kind), tmpl)
    path = _write(drawn.cell, tmp_path / f"{kind}.gds", deck)
    r = lvs_gds(path, drawn.cell.name, lib.get(kind).spice, deck)
    n = sum(1 for line in lib.get(kind).spice.splitlines() if line.strip()[:1].lower() == "m")
    assert r["match"] and r["devices_layout"] == r["devices_schematic"] == n, r["mismatch"][:3]
