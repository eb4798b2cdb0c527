"""Moving generic nch/pch netlists onto a PDK's devices."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chipsmith.errors import InputError
from chipsmith.spice.parser import parse_netlist
from chipsmith.spice.pdk import get_pdk
from chipsmith.spice.retarget import retarget_text

DESIGN = (Path(__file__).parent / "data" / "generic_two_stage.cir").read_text()


def test_two_stage_becomes_sky130_subcircuit_devices():
    text = retarget_text(DESIGN, get_pdk("sky130"))
    net = parse_netlist(text, allowed_include_dirs=None)
    devices = [e for e in net.subckts["opamp"].elements if e.kind == "X"]
    assert len(devices) == 8 and not [e for e in net.subckts["opamp"].elements if e.kind == "M"]
    assert {e.model for e in devices} == {"sky130_fd_pr__nfet_01v8", "sky130_fd_pr__pfet_01v8"}
    m1 = next(e for e in devices if e.name.lower() == "xm1")
    assert m1.nodes == ("x", "inn", "tail", "gnd") and m1.params["w"] == "{(wdp*1e-6)*1e6}"
    assert next(e for e in devices if e.name.lower() == "xm7").params["m"] == "{m7}"
    body = text.split("\n", 1)[1]  # the title still says what the design was written for
    assert " nch " not in body and " pch " not in body


@given(w=st.floats(0.42, 50), l=st.floats(0.15, 20))
def test_numeric_sizes_convert_to_snapped_microns(w, l):
    text = retarget_text(f"* t\nM1 d g 0 0 nch W={w}u L={l}u\n", get_pdk("sky130"))
    (dev,) = parse_netlist(text, allowed_include_dirs=None).elements
    assert abs(dev.params["w"] - w) <= 0.0026 and abs(dev.params["l"] - l) <= 0.0026


def test_out_of_limit_size_is_refused_with_its_place():
    with pytest.raises(InputError, match="outside the PDK's limits") as err:
        retarget_text("* t\nM1 d g 0 0 nch W=0.1u L=1u\n", get_pdk("sky130"), "amp.cir")
    assert "amp.cir:2" in str(err.value)


def test_own_model_cards_are_recognized_and_dropped():
    text = retarget_text("* t\n.model mynfet nmos (level=1 vto=0.5)\nM1 d g 0 0 mynfet W=1u L=1u\n", get_pdk("sky130"))
    assert ".model" not in text and "sky130_fd_pr__nfet_01v8" in text


@pytest.mark.ngspice
def test_generic_netlist_simulates_on_sky130_corners(cli, tmp_path, ngspice_bin):
    deck = tmp_path / "cs.cir"
    deck.write_text("* cs amp\nM1 out in 0 0 nch W=2u L=0.5u\nR1 vdd out 20k\nV1 vdd 0 1.8\nV2 in 0 0.75\n")
    res = cli("spice", "sim", deck, "--op", "--pdk", "sky130", "--corners", "ss,ff", "--json")
    assert res.code == 0, res.stderr
    ids = {e["corner"]: e["op"]["devices"]["xm1"]["id"] for e in json.loads(res.stdout)["corners"]}
    assert ids["ff"] > ids["ss"] > 0
