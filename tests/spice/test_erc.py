"""ERC: every check has a netlist that makes it fire and a fixed one that does not."""
from __future__ import annotations

from pathlib import Path

import pytest

from chipsmith.spice.check import check_file, check_text
from chipsmith.spice.erc import run_erc
from chipsmith.spice.parser import parse_netlist

MODELS = ".model nch nmos (level=1 vto=0.5 kp=100u)\n.model pch pmos (level=1 vto=-0.5 kp=50u)\n"

CLEAN = """common-source amplifier
vdd vdd 0 1.8
vin in 0 dc 0.8 ac 1
rd vdd out 10k
m1 out in 0 0 nch w=10u l=1u
cl out 0 1p
""" + MODELS


def codes(text: str, **kwargs) -> list[str]:
    return [f.code for f in run_erc(parse_netlist(text, "t.cir", allowed_include_dirs=None), **kwargs)]


def test_clean_circuit_has_no_findings():
    assert codes(CLEAN) == []


# (code, netlist that fires it, netlist with the mistake fixed)
CASES = [
    ("single-connection", CLEAN + "r2 out dangling 1k\n", CLEAN + "r2 out 0 1k\n"),
    ("mosfet-gate-open", CLEAN + "m2 out g2 0 0 nch\n", CLEAN + "m2 out in 0 0 nch\n"),
    ("mosfet-bulk-open", CLEAN + "m2 out in 0 bb nch\n", CLEAN + "m2 out in 0 0 nch\n"),
    ("no-dc-path", CLEAN + "c2 out mid 1p\nc3 mid 0 1p\n", CLEAN + "c2 out mid 1p\nr3 mid 0 1meg\n"),
    ("no-dc-path", CLEAN + "i2 0 x 1u\nc4 x 0 1p\n", CLEAN + "i2 0 x 1u\nr4 x 0 1k\n"),
    ("no-dc-path", CLEAN + "c5 out g 1p\nm5 out g 0 0 nch\n", CLEAN + "c5 out g 1p\nm5 out g 0 0 nch\nrb g in 1meg\n"),
    ("no-ground", "floating\nv1 a b 1\nr1 a b 1k\n", "grounded\nv1 a 0 1\nr1 a 0 1k\n"),
    ("shorted-supply", CLEAN + "v2 vdd 0 3.3\n", CLEAN + "v2 vdd2 0 3.3\nr5 vdd2 0 1k\n"),
    ("shorted-supply", CLEAN + "vz vdd 0 0\n", CLEAN + "vz vdd vdd_meas 0\nr5 vdd_meas 0 1k\n"),
    ("shorted-supply", CLEAN + "vs out out 1\n", CLEAN + "vs out 0 1\n".replace("out 0 1", "o2 0 1\nr6 o2 out 1k")),
    ("shorted-supply", CLEAN + "va vdd x 1\nvb x 0 0.8\n", CLEAN + "va vdd x 1\nrb x 0 1k\n"),
    ("voltage-loop", CLEAN + "l1 vdd 0 1u\n", CLEAN + "l1 vdd lx 1u\nr7 lx 0 1k\n"),
    ("voltage-loop", CLEAN + "e1 vdd 0 in 0 2\n", CLEAN + "e1 ex 0 in 0 2\nr8 ex 0 1k\n"),
    ("unknown-model", CLEAN + "m2 out in 0 0 nfet\n", CLEAN + "m2 out in 0 0 nch\n"),
    ("unknown-model", CLEAN + "d1 out 0 dx\n", CLEAN + "d1 out 0 dx\n.model dx d (is=1e-14)\n"),
    ("model-type-mismatch", CLEAN + "m2 out in 0 0 dx\n.model dx d\n", CLEAN + "m2 out in 0 0 nch\n"),
    ("unknown-subckt", CLEAN + "x1 in out buf\n",
     CLEAN + "x1 in out buf\n.subckt buf a y\nr1 a y 1k\n.ends buf\n"),
    ("port-count-mismatch", CLEAN + "x1 in out 0 buf\n.subckt buf a y\nr1 a y 1k\n.ends buf\n",
     CLEAN + "x1 in out buf\n.subckt buf a y\nr1 a y 1k\n.ends buf\n"),
    ("recursive-subckt", CLEAN + "x1 in out buf\n.subckt buf a y\nr1 a y 1k\nx9 a y buf\n.ends buf\n",
     CLEAN + "x1 in out buf\n.subckt buf a y\nr1 a y 1k\n.ends buf\n"),
    ("unknown-control", CLEAN + "f1 out 0 vnone 2\n", CLEAN + "f1 out 0 vdd 2\n"),
    ("unused-port", CLEAN + "x1 in out 0 buf\n.subckt buf a y spare\nr1 a y 1k\n.ends buf\n",
     CLEAN + "x1 in out 0 buf\n.subckt buf a y gnd\nr1 a y 1k\nr2 y gnd 1k\n.ends buf\n"),
]


@pytest.mark.parametrize("code, bad, good", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_check_fires_and_does_not_fire(code: str, bad: str, good: str):
    assert code in codes(bad)
    assert code not in codes(good), codes(good)


def test_findings_name_the_element_line():
    (finding,) = [f for f in run_erc(parse_netlist(CLEAN + "r2 out dangling 1k\n", "t.cir"))]
    assert finding.where == "t.cir:9" and finding.net == "dangling" and finding.severity == "error"
    assert "dangling" in finding.message


def test_subckt_scope_uses_ports_as_external_connections():
    text = ("lib\n.subckt ota inp inn out vdd gnd\nm1 x inp tail gnd nch\nm2 out inn tail gnd nch\n"
            "m3 x x vdd vdd pch\nm4 out x vdd vdd pch\nitail tail gnd 10u\n.ends ota\n" + MODELS)
    assert codes(text) == []
    broken = text.replace("m2 out inn tail gnd nch", "m2 out inn tail2 gnd nch")
    found = run_erc(parse_netlist(broken))
    assert {f.code for f in found} >= {"single-connection"}
    assert all(f.subckt == "ota" for f in found)


def test_dc_path_through_subcircuit_instance():
    sub = ".subckt rdiv a y\nr1 a y 1k\n.ends rdiv\n.subckt cap a y\nc1 a y 1p\n.ends cap\n"
    ok = "t\nv1 in 0 1\nx1 in mid rdiv\nr2 mid 0 1k\n" + sub
    assert codes(ok) == []
    bad = "t\nv1 in 0 1\nx1 in mid cap\nc2 mid 0 1p\n" + sub
    assert "no-dc-path" in codes(bad)


def test_binned_models_answer_to_their_base_name():
    text = CLEAN.replace(MODELS, "") + ".model nch.1 nmos (lmin=0.1u lmax=1u)\n.model nch.2 nmos (lmin=1u lmax=10u)\n"
    assert codes(text) == []


def test_unused_voltage_source_is_only_a_warning():
    (finding,) = run_erc(parse_netlist(CLEAN + "vbias spare 0 0.6\n"))
    assert (finding.code, finding.severity) == ("single-connection", "warning")
    (finding,) = run_erc(parse_netlist(CLEAN + "ibias spare 0 1u\n"))
    assert (finding.code, finding.severity) == ("single-connection", "error")


def test_top_ports_are_not_dangling():
    text = "t\nr1 in out 1k\nr2 out 0 1k\n"
    assert "single-connection" in codes(text)
    assert codes(text, top_ports=["in"]) == []


def test_include_makes_unknown_models_warnings_until_resolved():
    text = CLEAN.replace(MODELS, "") + ".include models.lib\n"
    findings = run_erc(parse_netlist(text, allowed_include_dirs=None))
    assert {(f.code, f.severity) for f in findings} == {("unknown-model", "warning")}
    assert run_erc(parse_netlist(text, allowed_include_dirs=None), known_models={"nch": "nmos"},
                   known_subckts={}) == []


def test_known_subckts_give_port_counts():
    text = CLEAN + "x1 in out lib_buf\n"
    assert "port-count-mismatch" in codes(text, known_subckts={"lib_buf": 3}, known_models={})
    assert codes(text, known_subckts={"lib_buf": ("a", "y")}, known_models={}) == []


def test_check_text_reads_included_models(tmp_path: Path):
    (tmp_path / "models.lib").write_text(MODELS)
    (tmp_path / "corners.lib").write_text(".lib tt\n" + MODELS + ".endl\n")
    text = CLEAN.replace(MODELS, "") + ".include models.lib\n"
    report = check_text(text, "c.cir", allowed_include_dirs=[tmp_path])
    assert report.ok and report.findings == () and report.included == (str((tmp_path / "models.lib").resolve()),)
    report = check_text(text.replace(".include models.lib", ".lib corners.lib tt"), allowed_include_dirs=[tmp_path])
    assert report.ok
    report = check_text(text.replace(".include models.lib", ".lib corners.lib ff"), allowed_include_dirs=[tmp_path])
    assert {f.code for f in report.findings} == {"include-unreadable", "unknown-model"} and report.ok
    report = check_text(text.replace("nch w", "nfet w") + "", allowed_include_dirs=[tmp_path])
    assert not report.ok and [f.code for f in report.errors] == ["unknown-model"]


def test_check_file_allows_its_own_directory(tmp_path: Path):
    (tmp_path / "models.lib").write_text(MODELS)
    path = tmp_path / "amp.cir"
    path.write_text(CLEAN.replace(MODELS, "") + ".include models.lib\n")
    report = check_file(path)
    assert report.ok and report.netlist.find("m1").model == "nch"
