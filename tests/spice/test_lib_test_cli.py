"""`chipsmith spice lib --test`: every block in its own testbench, on the generic models or moved
onto sky130 at a corner; a block that cannot be drawn in the PDK is reported, not hidden."""
from __future__ import annotations

import json

import pytest

from chipsmith.spice.flows import lib_test_flow
from chipsmith.spice.library import load_library
from chipsmith.spice.library.testbench import on_pdk


@pytest.mark.ngspice
def test_generic_block_tests_pass_and_write_a_summary(cli, tmp_path, ngspice_bin):
    res = cli("spice", "lib", "--test", "--block", "mirror_n_simple,active_load_p", "--workers", "2",
              "--out", tmp_path / "o")
    assert res.code == 0, res.stdout + res.stderr
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert summary["pdk"] == "generic" and summary["runs"] == 2 and summary["passed"] == 2
    assert all(r["status"] == "passed" and r["figures"] for r in summary["results"])


@pytest.mark.ngspice
def test_a_block_on_sky130_uses_the_pdk_devices_and_is_judged_by_its_own_ranges(ngspice_bin):
    block = load_library().get("active_load_n")
    moved, models, dirs = on_pdk(block, "sky130", "ss")
    assert "sky130_fd_pr__nfet_01v8" in moved.subckt_text and " nch " not in moved.subckt_text
    assert '.lib "' in models and models.rstrip().endswith(" ss")
    result = lib_test_flow(names="active_load_n", pdk_name="sky130", corners="tt", workers=1)
    (row,) = result.summary["results"]
    assert row["corner"] == "tt" and row["status"] in ("passed", "failed") and row["figures"]


def test_a_size_the_pdk_cannot_draw_is_an_error_row_not_a_crash(tmp_path):
    # bandgap_core's start-up sink is 40 um long; sky130's models end at 20 um
    result = lib_test_flow(names="bandgap_core", pdk_name="sky130", corners="tt", workers=1)
    (row,) = result.summary["results"]
    assert row["status"] == "error" and "outside the PDK's limits" in row["failures"][0]
    assert not result.ok


def test_pdk_without_test_is_refused(cli):
    res = cli("spice", "lib", "--pdk", "sky130")
    assert res.code == 2 and "--test" in res.stderr
