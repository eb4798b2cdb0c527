"""Cell library: the shipped default validates; malformed libraries fail naming the field."""
from __future__ import annotations

import copy
import re

import pytest
import yaml

from chipsmith.errors import LibraryError
from chipsmith.layout.cells import DEFAULT_CELLS, KINDS, REQUIRED, load_cells, parse_cells


@pytest.fixture(scope="module")
def raw() -> dict:
    return yaml.safe_load(DEFAULT_CELLS.read_text())


def test_default_library_loads_with_process_facts():
    lib = load_cells()
    assert lib.process.feature_nm == 45
    assert "FreePDK45" in lib.process.rule_source
    assert set(lib.cells) == set(KINDS)  # every base kind and every design-space variant
    assert len(lib.sha256) == 64


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_cell_is_consistent(kind):
    cell = load_cells().get(kind)
    assert cell.area_um2 > 0
    for pin in cell.pins:
        assert 0 <= pin.x <= cell.width and 0 <= pin.y <= cell.height
    header = next(line for line in cell.spice.splitlines() if line.lower().startswith(".subckt"))
    ports = [t for t in header.split()[2:] if "=" not in t]
    assert sorted(ports) == sorted(p.name for p in cell.pins)
    assert set(KINDS[kind]["pins"]) <= {p.name for p in cell.pins}


def test_missing_kind_lists_valid_kinds():
    with pytest.raises(LibraryError, match="valid kinds"):
        load_cells().get("dram1t")


def _break(raw: dict, mutate) -> str:
    data = copy.deepcopy(raw)
    mutate(data)
    with pytest.raises(LibraryError) as info:
        parse_cells(data, source="lib.yaml")
    msg = info.value.one_line()
    assert "\n" not in msg and msg.startswith("lib.yaml")
    return msg


def test_missing_pin_names_the_field(raw):
    def drop(d):
        d["cells"]["sram8t"]["pins"] = [p for p in d["cells"]["sram8t"]["pins"] if p["name"] != "RBL"]
    msg = _break(raw, drop)
    assert "cells.sram8t.pins" in msg and "RBL" in msg


def test_negative_size_names_the_field(raw):
    msg = _break(raw, lambda d: d["cells"]["comparator"]["footprint"].__setitem__("width", -1.2))
    assert "cells.comparator.footprint.width" in msg and "> 0" in msg


def test_negative_capacitance_names_the_field(raw):
    msg = _break(raw, lambda d: d["cells"]["compute_cap"]["capacitance_ff"].__setitem__("unit", -1))
    assert "cells.compute_cap.capacitance_ff.unit" in msg


@pytest.mark.parametrize("mutate, field", [
    (lambda d: d["cells"].pop("comparator"), "field cells:"),
    (lambda d: d["process"].pop("feature_nm"), "process.feature_nm"),
    (lambda d: d["cells"]["sram8t"]["pins"][0].__setitem__("layer", "m99"), "cells.sram8t.pins[0].layer"),
    (lambda d: d["cells"]["sram8t"]["pins"][0].__setitem__("x", 50.0), "cells.sram8t.pins[0]"),
    (lambda d: d["cells"]["wl_driver"]["params"].pop("ron_ohm"), "cells.wl_driver.params.ron_ohm"),
    (lambda d: d["cells"]["precharge"].__setitem__("spice", ".subckt precharge LBL VDD\n.ends"),
     "cells.precharge.spice"),
    (lambda d: d["cells"]["sar_logic"].__setitem__("delay_ps", "fast"), "cells.sar_logic.delay_ps"),
])
def test_other_malformations_name_the_field(raw, mutate, field):
    assert field in _break(raw, mutate)


def test_bad_yaml_points_at_the_line(tmp_path):
    bad = tmp_path / "cells.yaml"
    bad.write_text("library: x\nprocess: {name: [unclosed\n")
    with pytest.raises(LibraryError) as info:
        load_cells(bad)
    assert re.search(r"cells\.yaml:\d+", info.value.one_line())
