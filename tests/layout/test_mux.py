"""Column muxing (issue 13): k columns share one SAR ADC through a col_mux cell, through every layer:
the leaf cell (rule-clean, device-level LVS-clean), the macro (folded ADC, bus, same hierarchy in
macro.cir; rule-clean and connectivity-matching for k = 2 and 4; a cut bus caught as an open), the
models (area = drawn area, k conversions per cycle, k CDACs switching, the mux's noise terms), the
explorer gene and the CLI."""
from __future__ import annotations

import json
import re

import gdstk
import numpy as np
import pytest

from chipsmith.errors import InputError
from chipsmith.layout.architecture import COL_MUX, VARIABLES, Design, Problem, Space, structural_violation
from chipsmith.layout.connectivity import check
from chipsmith.layout.device_lvs import lvs_gds
from chipsmith.layout.drc import run_drc
from chipsmith.layout.leafcells_mux import draw_mux, select_y
from chipsmith.layout.macro import MUX_BRIDGE_H, MacroSpec, bank_geometry, build_layout, netlist, terminals
from chipsmith.layout.models import ModelParams, evaluate


def _write(cell, path, deck):
    out = gdstk.Library(unit=1e-6, precision=deck.dbu_um * 1e-6)
    out.add(cell)
    out.write_gds(str(path))
    return path


@pytest.mark.parametrize("k,j", [(2, 0), (2, 1), (8, 7)])
def test_mux_cell_is_rule_clean_and_lvs_clean(k, j, lib, deck, tmpl, tmp_path):
    d = draw_mux(lib.get("col_mux"), tmpl, k, j)
    path = _write(d.cell, tmp_path / "mux.gds", deck)
    assert run_drc(path, deck)["clean"]
    r = lvs_gds(path, d.name, lib.get("col_mux").spice, deck)
    assert r["match"], r["mismatch"][:3]
    assert r["devices_matched"] == 2 and r["pins_matched"] == 6
    # its select pins sit on select lines 2j / 2j+1 of the 2k that run through the cell
    assert d.pins["EN"][2] == select_y(2 * j) and d.pins["ENB"][2] == select_y(2 * j + 1)
    m3 = [p for p in d.cell.get_polygons() if (p.layer, p.datatype) == deck.gds("m3")]
    assert sum(1 for p in m3 if p.bounding_box()[1][0] - p.bounding_box()[0][0] >= d.width - 1e-6) >= 2 * k


def test_mux_cell_refuses_a_bad_position(lib, tmpl):
    from chipsmith.errors import LibraryError

    with pytest.raises(LibraryError):
        draw_mux(lib.get("col_mux"), tmpl, 3, 0)


def _build(spec, lib, deck, path):
    built = build_layout(spec, lib, deck)
    built.library.write_gds(str(path))
    return built


@pytest.mark.parametrize("k", [2, 4])
def test_muxed_macro_is_rule_clean_and_matches(k, lib, deck, tmp_path):
    spec = MacroSpec(16, 16, 16, 16, 2, 3, 1, col_mux=k)
    path = tmp_path / "m.gds"
    built = _build(spec, lib, deck, path)
    drc = run_drc(path, deck)
    assert drc["clean"], drc["first_violations"][:3]
    cir = netlist(spec, lib)
    lvs = check(path, cir, "acim_macro", terminals(spec, built), deck, [c.name for c in lib.cells.values()],
                device_lvs=k == 2)
    assert lvs["connectivity_match"], (lvs["open_nets"][:2], lvs["short_nets"][:2], lvs["missing_instances"][:2])
    if k == 2:  # the mux cells are LVS-checked like the other device-level cells
        cells = lvs["cells"]["cells"]
        assert cells["col_mux_k2_s0"]["match"] and cells["col_mux_k2_s1"]["match"] and lvs["cells"]["match"]
    # same hierarchy in GDS and SPICE: one group cell / subcircuit repeated W/k times
    names = {c.name for c in built.library.cells}
    assert {"acim_group", *(f"col_mux_k{k}_s{j}" for j in range(k))} <= names and "acim_column" not in names
    assert ".subckt acim_group" in cir and ".subckt acim_column" not in cir
    assert cir.count(" acim_group\n") == 16 // k and cir.count(" col_mux\n") == k
    # one comparator and B SAR slices per group, B bits out per group
    assert len([p for p in built.pins if re.fullmatch(r"D\d+_\d+", p[0])]) == 16 // k * 3
    assert {f"SEL{j}" for j in range(k)} <= {p[0] for p in built.pins}


def test_cut_adc_bus_is_an_open(lib, deck, tmp_path):
    spec = MacroSpec(16, 16, 16, 16, 2, 3, 1, col_mux=2)
    built = build_layout(spec, lib, deck)
    geo = built.geometry
    yb = geo.y_cmp + geo.cmp_h + MUX_BRIDGE_H / 2
    grp = next(c for c in built.library.cells if c.name == "acim_group")
    bus = [p for p in grp.polygons if (p.layer, p.datatype) == deck.gds("m3")
           and abs((p.bounding_box()[0][1] + p.bounding_box()[1][1]) / 2 - yb) < 1e-6]
    assert len(bus) == 1
    grp.remove(*bus)
    path = tmp_path / "cut.gds"
    built.library.write_gds(str(path))
    lvs = check(path, netlist(spec, lib), "acim_macro", terminals(spec, built), deck,
                [c.name for c in lib.cells.values()], device_lvs=False)
    assert not lvs["connectivity_match"] and lvs["shorts"] == 0
    assert {o["net"] for o in lvs["open_nets"]} == {f"xb0_0.xgrp{g}.adc" for g in range(8)}


@pytest.mark.parametrize("k", COL_MUX)
def test_model_area_is_the_drawn_area(k, lib, deck, tmpl):
    p = ModelParams.from_library(lib)
    for B, cap_type, bitcell in ((3, 0, 0), (4, 1, 1), (2, 0, 0)):
        d = Design(H=32, W=16, L=2, B_ADC=B, input_bits_per_cycle=1, cap_mult=1, cap_type=cap_type, bitcell=bitcell,
                   col_mux=k)
        m = evaluate(d.arrays(), p, Problem(64, 64))
        g = bank_geometry(MacroSpec(64, 64, 32, 16, 2, B, 1, cap_type=cap_type, bitcell=bitcell, col_mux=k), lib, tmpl)
        assert m["bank_area"][0] == pytest.approx(g.bank_w * g.bank_h, rel=1e-9)
        assert m["violation"][0] == 0


def test_mux_costs_time_and_cdac_energy_and_adds_its_noise(lib):
    p = ModelParams.from_library(lib)
    base = dict(H=64, W=64, L=2, B_ADC=4, input_bits_per_cycle=1, cap_mult=1)
    m = {k: {n: float(v[0]) for n, v in evaluate(Design(**base, col_mux=k).arrays(), p, Problem(64, 64)).items()}
         for k in COL_MUX}
    assert m[1]["n_mux_injection"] == m[1]["n_mux_crosstalk"] == m[1]["e_mux_fj"] == m[1]["c_bus"] == 0.0
    for k in COL_MUX[1:]:
        # k conversions one after the other, each with its mux settling
        assert m[k]["t_convert_ps"] > k * m[1]["t_convert_ps"]
        assert m[k]["t_cycle_ps"] > m[1]["t_cycle_ps"] and m[k]["tops"] < m[1]["tops"]
        assert m[k]["n_mux_injection"] > 0 and m[k]["n_mux_crosstalk"] > 0 and m[k]["e_mux_fj"] > 0
        # the DAC lines drive all k columns' bottom plates: k CDACs switch per conversion
        assert m[k]["e_cdac_fj"] == pytest.approx(k * m[1]["e_cdac_fj"], rel=0.05)
        assert m[k]["area_um2"] < m[1]["area_um2"]  # fewer comparators and SAR slices, folded
        assert m[k]["ops_per_cycle_bank"] == m[1]["ops_per_cycle_bank"]  # every column still converts


def test_structure_and_space():
    v = {k: np.array([x]) for k, x in dict(H=64, W=8, L=2, B_ADC=3).items()}
    assert structural_violation({**v, "col_mux": np.array([8])})[0] == 0
    assert structural_violation({**v, "W": np.array([4]), "col_mux": np.array([8])})[0] > 0  # k must divide W
    assert structural_violation({**v, "adc_type": np.array([1]), "col_mux": np.array([2])})[0] > 0  # SAR only
    assert VARIABLES[-1] == "col_mux"
    full = Space.for_problem(Problem(256, 256))
    assert full.col_mux == COL_MUX and full.size() >= 3 * 10 ** 9
    assert Space.for_problem(Problem(16, 4)).col_mux == (1, 2, 4)
    assert Design.from_dict({"H": 16, "W": 8, "L": 1, "B_ADC": 2, "input_bits_per_cycle": 1, "cap_mult": 1}).col_mux == 1


def test_library_without_the_mux_offers_k1_and_build_refuses(tmp_path):
    import yaml

    from chipsmith.layout.build import run_build
    from chipsmith.layout.cells import DEFAULT_CELLS, parse_cells
    from chipsmith.layout.flow import restrict_col_mux

    data = yaml.safe_load(DEFAULT_CELLS.read_text())
    del data["cells"]["col_mux"]
    assert Space.for_problem(Problem(64, 64), parse_cells(data)).col_mux == (1,)
    lib_path = tmp_path / "nomux.yaml"
    lib_path.write_text(yaml.safe_dump(data))
    with pytest.raises(InputError, match="col_mux"):
        run_build(rows=16, cols=16, local=2, adc_bits=3, col_mux=2, cells=lib_path, out=tmp_path / "o")
    assert not (tmp_path / "o").exists()
    space = Space.for_problem(Problem(64, 64))
    assert restrict_col_mux(space, "1,4").col_mux == (1, 4)
    for bad in ("3", "x", ""):
        with pytest.raises(InputError):
            restrict_col_mux(space, bad)


def test_cli_build_with_col_mux_2(tmp_path, cli):
    out = tmp_path / "m"
    res = cli("acim", "build", "--rows", "16", "--cols", "16", "--local", "2", "--adc-bits", "3", "--col-mux", "2",
              "--out", out, "--json")
    assert res.code == 0, res.stderr
    s = json.loads(res.stdout)
    assert s["drc"]["clean"] and s["connectivity"]["match"]
    assert s["spec"]["col_mux"] == 2 and s["col_mux"] == {"columns_per_adc": 2, "adcs_per_bank": 8, "sar_rows": 2}
    assert s["leaf_instances"]["col_mux"] == 16 and s["leaf_instances"]["comparator"] == 8
    assert s["leaf_instances"]["sar_logic"] == 24
    lvs = json.loads((out / "lvs.json").read_text())
    assert lvs["cells"]["match"] and "col_mux_k2_s1" in lvs["cells"]["cells"]
    p = ModelParams.from_library(__import__("chipsmith.layout.cells", fromlist=["load_cells"]).load_cells())
    m = evaluate(Design(H=16, W=16, L=2, B_ADC=3, input_bits_per_cycle=1, cap_mult=1, col_mux=2).arrays(), p,
                 Problem(16, 16))
    assert m["area_um2"][0] == pytest.approx(s["area_um2"], rel=1e-9)  # the explorer's area is the layout's


@pytest.mark.parametrize("args,msg", [(["--col-mux", "3"], "col-mux"), (["--col-mux", "4", "--adc-type", "flash"], "SAR"),
                                      (["--col-mux", "32"], "col-mux")])
def test_cli_build_bad_col_mux_exits_2(args, msg, tmp_path, cli):
    res = cli("acim", "build", "--rows", "16", "--cols", "16", "--local", "2", "--adc-bits", "2", *args,
              "--no-checks", "--out", tmp_path / "m")
    assert res.code == 2 and msg in res.stderr and "Traceback" not in res.stderr
    assert not (tmp_path / "m").exists()


def test_cli_explore_col_mux_choices(tmp_path, cli):
    res = cli("acim", "explore", "--rows", "32", "--cols", "32", "--pop", "16", "--gens", "3", "--workers", "1",
              "--col-mux", "1,4", "--out", tmp_path / "x", "--json")
    assert res.code == 0, res.stderr
    s = json.loads(res.stdout)
    assert s["col_mux_choices"] == [1, 4] and set(s["front_col_mux"]) == {"1", "4"}
    doc = json.loads((tmp_path / "x" / "pareto.json").read_text())
    assert {d["variables"]["col_mux"] for d in doc["designs"]} <= {1, 4}
    assert sum(s["front_col_mux"].values()) == s["front_size"]
    bad = cli("acim", "explore", "--rows", "32", "--cols", "32", "--col-mux", "5", "--out", tmp_path / "y")
    assert bad.code == 2 and "col-mux" in bad.stderr


def test_a_front_without_the_gene_reads_as_k1(lib, tmp_path):
    """pareto.json files written before the gene existed: k = 1 in the CSV, the pick and the build spec."""
    from chipsmith.layout.build import spec_from_front
    from chipsmith.layout.report import pareto_csv, pareto_document

    problem = Problem(64, 64)
    p = ModelParams.from_library(lib)
    doc = pareto_document([Design(H=64, W=64, L=2, B_ADC=4, input_bits_per_cycle=1, cap_mult=1, col_mux=2)], p,
                          problem, lib, {}, {})
    assert doc["designs"][0]["variables"]["col_mux"] == 2
    assert doc["designs"][0]["derived"]["col_mux"]["adcs_per_bank"] == 32
    (tmp_path / "pareto.json").write_text(json.dumps(doc))
    assert spec_from_front(f"{tmp_path}#0")[0].col_mux == 2
    del doc["designs"][0]["variables"]["col_mux"]
    (tmp_path / "pareto.json").write_text(json.dumps(doc))
    assert spec_from_front(f"{tmp_path}#0")[0].col_mux == 1
    header, row = pareto_csv(doc["designs"]).splitlines()
    assert dict(zip(header.split(","), row.split(",")))["col_mux"] == "1"


@pytest.mark.slow
@pytest.mark.parametrize("spec", [MacroSpec(32, 32, 16, 16, 2, 3, 1, 2, bitcell=1, cap_type=1, col_mux=4),
                                  MacroSpec(32, 32, 32, 16, 2, 4, 2, 1, col_mux=2)], ids=["2x2banks-10t-mim-pwm-k4", "b4-k2"])
def test_muxed_macro_with_the_other_axes_and_banks(spec, lib, deck, tmp_path):
    """Muxing with the 10T cell, the MIM capacitor, PWM drivers and 2x2 banks (bank pins suffixed),
    and B > k (two full SAR rows): rule-clean, connectivity-matching."""
    path = tmp_path / "m.gds"
    built = _build(spec, lib, deck, path)
    assert run_drc(path, deck)["clean"]
    lvs = check(path, netlist(spec, lib), "acim_macro", terminals(spec, built), deck,
                [c.name for c in lib.cells.values()], device_lvs=False)
    assert lvs["connectivity_match"], (lvs["open_nets"][:2], lvs["short_nets"][:2])
