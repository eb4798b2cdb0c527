"""PDKs: the registry, size snapping and limits, and corner/temperature simulation with real sky130 models."""
from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chipsmith.errors import InputError
from chipsmith.spice.flows import with_models
from chipsmith.spice.pdk import get_pdk, parse_corners, parse_temps, pdk_names


def test_unknown_pdk_lists_the_valid_names():
    with pytest.raises(InputError) as err:
        get_pdk("tsmc7")
    assert "generic" in str(err.value) and "sky130" in str(err.value)


def test_sky130_model_library_is_installed_and_has_every_corner():
    pdk = get_pdk("sky130")
    text = pdk.model_file.read_text(errors="replace")
    for corner in pdk.corners:
        assert f".lib {corner}" in text
    assert pdk.model_lines("ss", 125).splitlines() == [f'.lib "{pdk.model_file}" ss', ".temp 125"]


@given(w=st.floats(0.42, 100.0), l=st.floats(0.15, 20.0))
def test_sky130_sizes_snap_to_the_5nm_grid_within_limits(w, l):
    line = get_pdk("sky130").mosfet("M1", "d", "g", "s", "b", "nmos", w, l)
    name, *_nodes, device, w_card, l_card = line.split()
    assert name == "XM1" and device == "sky130_fd_pr__nfet_01v8"
    w_snapped, l_snapped = float(w_card[2:]), float(l_card[2:])
    assert abs(w_snapped - w) <= 0.0025 + 1e-9 and abs(l_snapped - l) <= 0.0025 + 1e-9
    assert abs(w_snapped / 0.005 - round(w_snapped / 0.005)) < 1e-6


@pytest.mark.parametrize("w,l", [(0.2, 0.5), (2.0, 0.1), (float("nan"), 1.0), (1.0, 40.0)])
def test_sizes_outside_the_limits_are_refused_not_clipped(w, l):
    with pytest.raises(InputError, match="outside the PDK's limits"):
        get_pdk("sky130").mosfet("M1", "d", "g", "s", "b", "pmos", w, l)


def test_generic_pdk_writes_m_elements_with_micron_units():
    assert get_pdk("generic").mosfet("M3", "d", "g", "s", "b", "pmos", 2.0, 0.5, m=2) == \
        "M3 d g s b pch W=2u L=0.5u m=2"


def test_corner_and_temperature_lists_are_checked():
    pdk = get_pdk("sky130")
    assert parse_corners("tt, ff,tt", pdk) == ("tt", "ff")
    assert parse_temps("-40,27") == (-40.0, 27.0)
    with pytest.raises(InputError, match="no corner 'xx'"):
        parse_corners("tt,xx", pdk)
    with pytest.raises(InputError, match="not a number"):
        parse_temps("hot")
    with pytest.raises(InputError, match="no corner 'ff'"):
        parse_corners("ff", get_pdk("generic"))


def test_models_go_right_after_the_title():
    assert with_models("* title\nR1 a 0 1k\n", ".temp 27\n") == "* title\n.temp 27\nR1 a 0 1k\n"


INVERTER = """* sky130 inverter at its input midpoint
XM1 out in 0 0 sky130_fd_pr__nfet_01v8 W=1 L=0.15
XM2 out in vdd vdd sky130_fd_pr__pfet_01v8 W=2 L=0.15
vdd vdd 0 1.8
vin in 0 0.9
"""


@pytest.mark.ngspice
def test_sky130_corners_order_thresholds_like_the_process(cli, tmp_path, ngspice_bin):
    deck = tmp_path / "inv.cir"
    deck.write_text(INVERTER)
    out = tmp_path / "sim"
    res = cli("spice", "sim", deck, "--op", "--pdk", "sky130", "--corners", "tt,ss,ff", "--temps", "27,125",
              "--workers", "2", "--json", "--out", out)
    assert res.code == 0, res.stderr
    summary = json.loads((out / "summary.json").read_text())
    assert json.loads(res.stdout) == summary
    vth = {(e["corner"], e["temp_c"]): e["op"]["devices"]["xm1"]["vth"] for e in summary["corners"]}
    pol = {name: d["polarity"] for name, d in summary["corners"][0]["op"]["devices"].items()}
    assert pol == {"xm1": "nmos", "xm2": "pmos"}
    # slow NMOS has the higher threshold, fast the lower; heat lowers it
    assert vth[("ss", 27.0)] > vth[("tt", 27.0)] > vth[("ff", 27.0)]
    assert vth[("tt", 125.0)] < vth[("tt", 27.0)]
    assert 0.4 < vth[("tt", 27.0)] < 1.0


def test_corners_without_a_pdk_are_bad_input(cli, tmp_path):
    deck = tmp_path / "inv.cir"
    deck.write_text(INVERTER)
    res = cli("spice", "sim", deck, "--op", "--corners", "tt,ff")
    assert res.code == 2 and "--pdk" in res.stderr and res.stderr.count("\n") == 1


def test_user_netlist_cannot_include_pdk_files_itself(cli, tmp_path):
    pdk = get_pdk("sky130")
    deck = tmp_path / "sneaky.cir"
    deck.write_text(f'* sneaky\n.lib "{pdk.model_file}" tt\nR1 a 0 1k\nV1 a 0 1\n')
    res = cli("spice", "sim", deck, "--op", "--pdk", "sky130")
    assert res.code == 2 and res.stderr.count("\n") == 1
    assert "outside the allowed directories" in res.stderr


def test_pdk_names():
    assert pdk_names() == ("generic", "sky130")


@pytest.mark.ngspice
def test_sky130_limits_are_inside_the_model_bins(ngspice_bin):
    """The corners of the size box simulate (each has a model bin); 40 um is refused above."""
    from chipsmith.spice.runner import Op, simulate

    pdk = get_pdk("sky130")
    lines = [pdk.model_lines("tt"), "vd d 0 0.9", "vg g 0 0.9"]
    for k, (w, l) in enumerate([(0.42, 0.15), (0.42, 20.0), (100.0, 0.15), (100.0, 20.0)]):
        lines.append(pdk.mosfet(f"M{k}", "d", "g", "0", "0", "nmos", w, l))
    result = simulate("* bins\n" + "\n".join(lines) + "\n", Op(), trusted=True, include_dirs=pdk.model_dirs,
                      timeout_s=120)
    assert result.op is not None


@pytest.mark.parametrize("corner", ["ss", "fs"])
def test_exported_core_library_is_self_contained_and_gives_the_full_librarys_currents(ngspice_bin, tmp_path,
                                                                                       corner):
    """`synth --pdk` copies the cut-down library into the design folder: relative includes
    only, loadable as `.include sky130_<corner>.spice` or `.lib sky130_core.lib.spice <corner>`,
    and the currents are the installed full library's."""
    import re
    import subprocess

    from chipsmith.spice.pdk_core import export_core_library

    pdk = get_pdk("sky130")
    lib = export_core_library(pdk, (pdk.nmos.name, pdk.pmos.name), tmp_path / "models")
    for f in (tmp_path / "models").iterdir():
        body = [ln for ln in f.read_text().splitlines() if not ln.startswith("*")]
        assert not any("/" in ln for ln in body if ln.startswith(".include")), f
    assert "Apache License" in lib.read_text() and (tmp_path / "models" / f"sky130_{corner}.spice").is_file()
    deck = ("* i\n{models}\nxn dn g 0 0 sky130_fd_pr__nfet_01v8 w=2 l=0.5\n"
            "xp dp gp vdd vdd sky130_fd_pr__pfet_01v8 w=3 l=0.35 m=2\nvdd vdd 0 1.8\nvg g 0 0.8\nvgp gp 0 0.7\n"
            "vd dn 0 0.9\nvdp dp 0 0.9\n.control\nop\nprint i(vd) i(vdp)\n.endc\n.end\n")
    got = {}
    for tag, models in (("include", f'.include "{tmp_path}/models/sky130_{corner}.spice"'),
                        ("lib", f'.lib "{lib}" {corner}'), ("full", f'.lib "{pdk.model_file}" {corner}')):
        path = tmp_path / f"{tag}.cir"
        path.write_text(deck.format(models=models))
        log = subprocess.run([ngspice_bin, "-b", str(path)], capture_output=True, text=True, timeout=120,
                             cwd="/").stdout
        got[tag] = [float(v) for v in re.findall(r"^i\(vdp?\)\s*=\s*(\S+)", log, re.MULTILINE)]
    assert len(got["full"]) == 2 and abs(got["full"][0]) > 1e-6
    assert got["include"] == pytest.approx(got["full"], rel=1e-9) and got["lib"] == pytest.approx(got["full"], rel=1e-9)
