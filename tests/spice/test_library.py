"""The subcircuit library: every block loads, parses, passes ERC and, simulated in
ngspice, does what its description says.

Two layers of checks on the simulated figures: the block's own YAML ``expect`` ranges
(tuned for the level-1 card), and the per-kind CONTRACT below that no YAML can loosen
(a mirror copies within 5%, a CS stage has |gain| > 1, ...). Both model cards run.
"""
from __future__ import annotations

import math
import shutil
from pathlib import Path

import pytest

from chipsmith.errors import LibraryError, SimulationError
from chipsmith.spice.library import (
    BLOCKS_DIR,
    TYPES,
    VDD,
    Block,
    build_testbench,
    load_library,
    model_include,
    models_path,
    run_testbench,
)
from chipsmith.spice.library.core import _number

LIB = load_library()
NAMES = LIB.names()


def _contract(block: Block, f: dict) -> list[str]:
    """Properties every block of a testbench kind must show, whatever its YAML says."""
    kind, stim = block.testbench.kind, block.testbench.stimulus
    bad = []

    def need(ok: bool, what: str) -> None:
        if not ok:
            bad.append(f"{block.name}: {what} ({', '.join(f'{k}={v:.4g}' for k, v in f.items())})")

    if kind == "mirror":
        need(abs(f["ratio"] - 1) <= 0.05, "mirror copies its input current within 5%")
    elif kind == "gain":
        if "follower" in block.tags:
            need(0.6 <= f["gain"] <= 1.0, "follower gain between 0.6 and 1")
        elif float(stim["sign"]) < 0:
            need(f["gain"] < -1, "inverting stage has gain < -1")
        else:
            need(f["gain"] > 1, "non-inverting stage has gain > 1")
    elif kind == "diffpair":
        need(f["adm"] > 1 and f["adm"] > f["acm"], "differential gain > 1 and > common-mode gain")
    elif kind == "ota":
        need(f["adm"] > 10 and f["cmrr"] > 1, "OTA: open-loop gain > 10 and differential > common-mode gain")
    elif kind == "tail":
        need(f["i_mid"] > 1e-6 and f["variation"] < 0.25, "tail source: current nearly independent of Vout")
    elif kind == "bias":
        need(f["iout"] > 1e-6 and abs(f["startup"] - 1) < 0.1, "bias generator starts up from a supply ramp")
    elif kind == "impedance":
        c = _number(block.params["c"])
        z0 = 1 / (2 * math.pi * float(stim["freqs"][0]) * c)
        need(abs(f["z_0"] / z0 - 1) < 0.05, f"|Z| at {stim['freqs'][0]} Hz is 1/(2 pi f C) within 5%")
        if "r" in block.params:
            need(abs(f["z_1"] / _number(block.params["r"]) - 1) < 0.05, "|Z| at high frequency is the nulling R")
    elif kind == "inverter":
        need(f["voh"] > 0.95 * VDD and f["vol"] < 0.05 * VDD, "inverter swings rail to rail")
        need(abs(f["vm"] - VDD / 2) < 0.15 * VDD, "switching threshold near mid-supply")
    elif kind == "switch":
        need(f["err_0"] < 0.05 and f["err_vdd"] < 0.05, "switch passes both 0 and VDD")
        need(f["off_leak"] < 0.01, "switch isolates when off")
    elif kind == "latch":
        need(f["vdiff_pos"] > 0.8 * VDD and f["vdiff_neg"] < -0.8 * VDD, "latch regenerates to opposite rails")
    elif kind == "pass":
        need(f["dropout"] < 0.3 and f["v_off"] < 0.1, "pass device sources the load current with low dropout")
    elif kind == "classab":
        need(0.6 <= f["gain"] <= 1.0, "output stage follows its input")
        need(f["i_source"] > 0 and f["i_sink"] < 0 and f["peak_over_iq"] > 1,
             "class AB: sources and sinks more than its quiescent current")
    elif kind == "bandgap":
        need(0.9 < f["vref"] < 1.4 and f["flatness"] < 0.2,
             "bandgap: ~1.1 V and temperature drift well below a diode's")
    else:  # pragma: no cover - a new kind must get a contract here
        bad.append(f"{block.name}: no contract for testbench kind {kind}")
    return bad




@pytest.mark.ngspice
@pytest.mark.parametrize("name", NAMES)
def test_block_level1(name, ngspice_bin):
    """Every block, generic level-1 models: YAML expectations and the kind contract."""
    block = LIB.get(name)
    report = run_testbench(block)
    assert report.passed, f"{name}: " + "; ".join(report.failures())
    assert not _contract(block, dict(report.figures)), _contract(block, dict(report.figures))


@pytest.mark.ngspice
@pytest.mark.parametrize("name", NAMES)
def test_block_level3(name, ngspice_bin):
    """Every block also works with the level-3 card (the contract, not the tuned YAML ranges)."""
    block = LIB.get(name)
    report = run_testbench(block, models=3)
    assert not _contract(block, dict(report.figures)), _contract(block, dict(report.figures))


@pytest.mark.ngspice
def test_beta_multiplier_beats_resistor_bias(ngspice_bin):
    beta = run_testbench(LIB.get("bias_beta_multiplier")).figures["sensitivity"]
    res = run_testbench(LIB.get("bias_resistor_n")).figures["sensitivity"]
    assert abs(beta) < 0.5 * abs(res), (beta, res)


@pytest.mark.ngspice
def test_beta_multiplier_needs_its_start_up(ngspice_bin, tmp_path):
    """Without m6-m8 the supply ramp leaves the core in its zero-current state."""
    for ext in (".yaml", ".cir"):
        shutil.copy(BLOCKS_DIR / f"bias_beta_multiplier{ext}", tmp_path)
    cir = tmp_path / "bias_beta_multiplier.cir"
    cir.write_text("\n".join(l for l in cir.read_text().splitlines() if not l.startswith(("m6 ", "m7 ", "m8 "))))
    figures = run_testbench(load_library(tmp_path).get("bias_beta_multiplier")).figures
    assert figures["startup"] < 0.1 < figures["iout"] * 1e6


@pytest.mark.ngspice
@pytest.mark.parametrize("with_start_up", [True, False])
def test_bandgap_starts_from_a_supply_ramp(ngspice_bin, with_start_up):
    from chipsmith.spice.runner import Tran, simulate

    block = LIB.get("bandgap_core")
    text = block.subckt_text
    if not with_start_up:
        text = "\n".join(l for l in text.splitlines() if not l.startswith(("ms1 ", "ms2 ", "ms3 ")))
    deck = "\n".join(["* bandgap start-up", model_include(1), text, "vdd vdd 0 dc 1.8 pwl(0 0 10u 1.8)",
                      block.instantiate("xbg", {"vref": "vref", "vdd": "vdd", "gnd": "0"})])
    vref = simulate(deck, [Tran(0.2e-6, 40e-6)], trusted=True).tran.get("v(vref)")[-1]
    target = run_testbench(block).figures["vref"]
    if with_start_up:
        assert abs(vref - target) < 0.02 * target
    else:
        assert vref < 0.5 * target


@pytest.mark.ngspice
def test_cascode_raises_output_resistance(ngspice_bin):
    plain = run_testbench(LIB.get("tail_n")).figures["variation"]
    cascode = run_testbench(LIB.get("tail_n_cascode")).figures["variation"]
    assert cascode < plain / 10


@pytest.mark.ngspice
def test_a_broken_block_fails_its_testbench(ngspice_bin, tmp_path):
    """The testbench can fail: a 'mirror' whose output device is 2x wide copies 2x."""
    src = BLOCKS_DIR / "mirror_n_simple"
    text = src.with_suffix(".cir").read_text().replace("m2 iout iin gnd gnd nch w={w}", "m2 iout iin gnd gnd nch w={2*w}")
    (tmp_path / "mirror_n_simple.cir").write_text(text)
    shutil.copy(src.with_suffix(".yaml"), tmp_path / "mirror_n_simple.yaml")
    block = load_library(tmp_path).get("mirror_n_simple")
    report = run_testbench(block)
    assert not report.passed and report.figures["ratio"] > 1.9
    assert _contract(block, dict(report.figures))


@pytest.mark.ngspice
def test_own_model_file(ngspice_bin, tmp_path):
    """A user's model file defining nch/pch is used; one lacking them fails loudly."""
    own = tmp_path / "my_models.lib"
    own.write_text(".model nch nmos (level=1 vto=0.5 kp=250u lambda=0.05)\n"
                   ".model pch pmos (level=1 vto=-0.5 kp=60u lambda=0.05)\n")
    report = run_testbench(LIB.get("mirror_n_simple"), models=own)
    assert report.passed and report.figures["iout"] > 0
    assert f'"{own.resolve()}"' in build_testbench(LIB.get("inverter"), models=own)[0].deck
    wrong = tmp_path / "wrong.lib"
    wrong.write_text(".model nfet nmos (level=1 vto=0.5 kp=250u)\n")
    with pytest.raises(SimulationError):
        run_testbench(LIB.get("mirror_n_simple"), models=wrong)
    with pytest.raises(LibraryError, match="does not exist"):
        model_include(tmp_path / "missing.lib")
    assert model_include(own, "tt").startswith(".lib ")


# --- loader, metadata, registry ------------------------------------------------------------

def test_library_size_and_coverage():
    assert len(LIB) >= 30
    required = ["diff_pair_n", "diff_pair_p", "diff_pair_n_cascode", "diff_pair_p_cascode", "mirror_n_simple",
                "mirror_p_simple", "mirror_n_cascode", "mirror_n_wideswing", "mirror_n_wilson", "active_load_p",
                "active_load_n", "cs_res_n", "cs_diode_n", "cs_isrc_n", "cg_n", "cd_n", "cascode_stage_n", "tail_n",
                "bias_beta_multiplier", "bias_resistor_n", "miller_c", "miller_rc", "inverter", "tgate",
                "folded_cascode_core", "classab_output", "latch_strongarm", "latch_cross_coupled", "bandgap_core",
                "ldo_pass_p", "ota_5t", "cg_p", "cd_p", "tail_p", "tail_n_cascode", "mirror_p_wilson",
                "mirror_p_wideswing", "mirror_p_cascode", "active_load_p_cascode"]
    assert not [n for n in required if n not in LIB]
    assert {b.type for b in LIB} <= set(TYPES)


@pytest.mark.parametrize("name", NAMES)
def test_block_metadata_matches_subckt(name):
    from chipsmith.spice.erc import has_errors, run_erc
    from chipsmith.spice.parser import parse_netlist

    block = LIB.get(name)
    netlist = parse_netlist(block.subckt_text, source=str(block.path), first_line_is_title=False)
    sub = netlist.subckt(name)
    assert list(sub.ports) == list(block.port_names)
    assert set(sub.params) == set(block.params)
    findings = run_erc(netlist, known_models={"nch": "nmos", "pch": "pmos"})
    assert not has_errors(findings), findings
    # devices only use the generic model names (or a model local to the block)
    models = {e.model.lower() for e in sub.elements if e.kind in "MDQ" and e.model}
    assert models <= {"nch", "pch"} | set(sub.models), models
    assert block.description and "\n" not in block.description and block.tags


def test_models_path():
    assert models_path(1).name == "generic_l1.lib" and models_path(1).is_file()
    assert models_path(3).is_file()
    for level in (1, 3):
        text = models_path(level).read_text().lower()
        assert ".model nch nmos" in text and ".model pch pmos" in text and f"level={level}" in text
    with pytest.raises(LibraryError, match="use one of: 1, 3"):
        models_path(7)


def test_get_miss_lists_valid_names():
    with pytest.raises(LibraryError) as err:
        LIB.get("mirror_x")
    assert "mirror_n_simple" in str(err.value) and "\n" not in str(err.value)
    assert LIB.get("MIRROR_N_SIMPLE").name == "mirror_n_simple"
    from chipsmith.spice.library import Library

    with pytest.raises(LibraryError, match="appears twice"):
        Library([LIB.get("tgate"), LIB.get("tgate")])


def test_by_type_and_search():
    mirrors = LIB.by_type("current_mirror", "pmos")
    assert mirrors and all(b.type == "current_mirror" and b.polarity == "pmos" for b in mirrors)
    with pytest.raises(LibraryError, match="use one of"):
        LIB.by_type("opamp")
    assert LIB.search("nmos current mirror")[0].name.startswith("mirror_n")
    assert {b.name for b in LIB.search("comparator latch", k=2)} == {"latch_strongarm", "latch_cross_coupled"}
    assert LIB.search("strongarm sense amplifier")[0].name == "latch_strongarm"
    assert LIB.search("bandgap voltage reference")[0].name == "bandgap_core"
    assert LIB.search("LDO pass transistor")[0].name == "ldo_pass_p"
    assert LIB.search("miller compensation nulling resistor")[0].name == "miller_rc"
    assert LIB.search("source follower", k=2)[0].type == "gain_stage"
    assert len(LIB.search("amplifier", k=3)) == 3
    assert LIB.search("xyzzy plugh") == []


def test_ports_and_instantiate():
    block = LIB.get("cs_isrc_n")
    assert block.port("input").name == "in" and block.port("bias").name == "vbp"
    assert block.roles == {"in": "input", "out": "output", "vbp": "bias", "vdd": "supply", "gnd": "ground"}
    line = block.instantiate("amp1", {"in": "a", "out": "b", "vbp": "vb", "vdd": "vdd", "gnd": "0"}, w_n="8u", l_n=1e-6)
    assert line == "Xamp1 a b vb vdd 0 cs_isrc_n w_n=8u l_n=1e-06"
    with pytest.raises(LibraryError, match="not connected"):
        block.instantiate("x1", {"in": "a"})
    with pytest.raises(LibraryError, match="unknown port"):
        block.instantiate("x1", {"in": "a", "out": "b", "vbp": "c", "vdd": "vdd", "gnd": "0", "foo": "x"})
    with pytest.raises(LibraryError, match="valid parameters"):
        block.instantiate("x1", {"in": "a", "out": "b", "vbp": "c", "vdd": "vdd", "gnd": "0"}, nope=1)
    with pytest.raises(LibraryError, match="bad net name"):
        block.instantiate("x1", {"in": "a b", "out": "b", "vbp": "c", "vdd": "vdd", "gnd": "0"})
    with pytest.raises(LibraryError, match="no ground port"):
        LIB.get("ldo_pass_p").port("ground")


@pytest.mark.ngspice
def test_instance_runs_in_a_user_netlist(ngspice_bin):
    """instantiate + subckt text + model include make a netlist the runner simulates."""
    from chipsmith.spice.runner import Op, simulate

    inv = LIB.get("inverter")
    deck = "\n".join(["* two inverters", model_include(1), LIB.subckt_texts(["inverter", "inverter"]),
                      "vdd vdd 0 1.8", "vin a 0 0",
                      inv.instantiate("i1", {"in": "a", "out": "b", "vdd": "vdd", "gnd": "0"}),
                      inv.instantiate("i2", {"in": "b", "out": "c", "vdd": "vdd", "gnd": "0"}, w_p="7.5u")])
    op = simulate(deck, [Op()], trusted=True).op
    assert op.voltages["b"] > 1.75 and op.voltages["c"] < 0.05


# --- malformed entries: LibraryError naming the file and field -------------------------------

def _copy(tmp_path: Path, name: str = "mirror_n_simple") -> tuple[Path, Path]:
    for ext in (".yaml", ".cir"):
        shutil.copy(BLOCKS_DIR / f"{name}{ext}", tmp_path / f"{name}{ext}")
    return tmp_path / f"{name}.yaml", tmp_path / f"{name}.cir"


@pytest.mark.parametrize("old, new, field", [
    ("role: input", "role: sideways", "ports[0].role"),
    ("kind: current_in", "kind: water", "ports[0].kind"),
    ("type: current_mirror", "type: gizmo", "'type'"),
    ("polarity: nmos", "polarity: both", "'polarity'"),
    ("name: iout", "name: out2", "does not match the .subckt ports"),
    ("w: 4u,", "w: 4u, extra: 1u,", "'params'"),
    ("w: 4u,", "w: lots,", "params.w"),
    ("kind: mirror", "kind: vibes", "testbench.kind"),
    ("ratio: [0.95, 1.05]", "ratio: 0.95", "testbench.expect.ratio"),
    ("name: mirror_n_simple", "name: other", "'name'"),
    ("tags: [", "tagz: [", "unknown field 'tagz'"),
    ("kind: mirror", "kind: diffpair", "needs ports named inp, inn, dp, dn"),
    ("vout: 0.7}", "vout: 0.7, bias: {nope: 1}}", "names unknown port 'nope'"),
])
def test_malformed_yaml_names_file_and_field(tmp_path, old, new, field):
    yaml_path, _ = _copy(tmp_path)
    text = yaml_path.read_text()
    assert old in text, old
    yaml_path.write_text(text.replace(old, new, 1))
    with pytest.raises(LibraryError) as err:
        load_library(tmp_path)
    message = str(err.value)
    assert "mirror_n_simple.yaml" in message and field in message and "\n" not in message


def test_malformed_files(tmp_path):
    yaml_path, cir_path = _copy(tmp_path)
    good_yaml, good_cir = yaml_path.read_text(), cir_path.read_text()
    yaml_path.write_text("name: [unclosed\n")
    with pytest.raises(LibraryError, match=r"mirror_n_simple.yaml:\d+: invalid YAML"):
        load_library(tmp_path)
    yaml_path.write_text(good_yaml)
    cir_path.write_text(good_cir.replace(".ends mirror_n_simple", ""))
    with pytest.raises(LibraryError, match="mirror_n_simple.cir: expected exactly one .subckt"):
        load_library(tmp_path)
    cir_path.write_text(good_cir.replace("m1 ", ".control\nshell rm -rf /\n.endc\nm1 ", 1))
    with pytest.raises(LibraryError, match=r"mirror_n_simple.cir:\d+: card .control is not allowed"):
        load_library(tmp_path)
    cir_path.write_text(good_cir + ".include /etc/passwd\n")
    with pytest.raises(LibraryError, match="not allowed in a library block"):
        load_library(tmp_path)
    cir_path.write_text(good_cir.replace("m1 iin iin gnd gnd nch w={w} l={l}", "m1 iin iin gnd gnd nch w={w l={l}"))
    with pytest.raises(LibraryError, match="does not parse"):
        load_library(tmp_path)
    cir_path.write_text(good_cir.replace("m1 ", "shell rm -rf /\nm1 ", 1))
    with pytest.raises(LibraryError, match="safety whitelist"):
        load_library(tmp_path)
    cir_path.unlink()
    with pytest.raises(LibraryError, match="cannot read the block's subcircuit"):
        load_library(tmp_path)
    yaml_path.unlink()
    with pytest.raises(LibraryError, match="holds no"):
        load_library(tmp_path)
    with pytest.raises(LibraryError, match="does not exist"):
        load_library(tmp_path / "nope")


def test_cli_lib_lists_the_blocks(cli):
    import json

    result = cli("spice", "lib", "--json")
    assert result.code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["count"] == len(LIB)
    assert {r["name"] for r in data["blocks"]} == set(NAMES)
