"""gm/Id tables: square-law theory on the generic level-1 cards, physics on sky130, the CLI verb."""
from __future__ import annotations

import json

import numpy as np
import pytest

from chipsmith.errors import InputError
from chipsmith.spice.gmid import GmIdTable, build_table
from chipsmith.spice.pdk import get_pdk

VTO, LAMBDA = 0.45, 0.08  # spice/library/models/generic_l1.lib, nch


@pytest.mark.ngspice
def test_level1_table_matches_square_law(ngspice_bin, tmp_path):
    table = build_table(get_pdk("generic"), "nmos", lengths=(0.5, 1.0))
    assert table.id.shape == (2, table.vds.size, table.vgs.size)
    for gm_id in (5.0, 10.0, 15.0):
        point = table.lookup(1.0, gm_id, vds=1.2)
        vov = 2.0 / gm_id  # square law: gm/Id = 2/Vov
        assert point["vgs"] == pytest.approx(VTO + vov, abs=2e-3)
        assert point["gm_gds"] == pytest.approx(2 * (1 + LAMBDA * point["vds"]) / (LAMBDA * vov), rel=0.02)
        # Id/W = kp/2 / L * Vov^2 (1 + lambda Vds), kp = 300u
        assert point["id_w"] == pytest.approx(150e-6 / 1.0 * vov**2 * (1 + LAMBDA * point["vds"]), rel=0.02)
    table.save(tmp_path / "t.npz")
    again = GmIdTable.load(tmp_path / "t.npz")
    assert again.lengths == table.lengths and np.array_equal(again.gm, table.gm)
    with pytest.raises(InputError, match="outside what this device reaches"):
        table.lookup(1.0, 5000.0, vds=1.2)
    with pytest.raises(InputError, match="not in the table"):
        table.lookup(0.7, 10.0, vds=1.2)


@pytest.mark.ngspice
def test_sky130_gmid_physics_and_cli(cli, tmp_path, ngspice_bin):
    out = tmp_path / "gmid"
    res = cli("spice", "gmid", "--pdk", "sky130", "--lengths", "0.15,1", "--json", "--out", out)
    assert res.code == 0, res.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert sorted(p.name for p in out.iterdir()) == ["gmid.png", "gmid_nmos.npz", "gmid_pmos.npz", "summary.json"]
    nmos = summary["tables"]["nmos"]["lengths"]
    for row in nmos:
        # below the thermal limit q/kT = 38.7 1/V at 27 C, and well into weak inversion
        assert 15 < row["peak_gm_id"] < 38.7
    short, long_ = (row["at_gm_id_10"] for row in nmos)
    assert long_["gm_gds"] > 3 * short["gm_gds"]  # channel-length modulation falls with L
    assert short["id_w"] > 2 * long_["id_w"]
    table = GmIdTable.load(out / "gmid_pmos.npz")
    assert table.device == "sky130_fd_pr__pfet_01v8" and np.all(table.id >= 0)


def test_gmid_bad_input_is_one_line(cli, tmp_path):
    res = cli("spice", "gmid", "--pdk", "sky130", "--corner", "xx", "--out", tmp_path / "g")
    assert res.code == 2 and "no corner 'xx'" in res.stderr and res.stderr.count("\n") == 1
    res = cli("spice", "gmid", "--pdk", "generic", "--lengths", "0.01", "--out", tmp_path / "g")
    assert res.code == 2 and "outside the PDK's limits" in res.stderr
    assert not (tmp_path / "g").exists()
