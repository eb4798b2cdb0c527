"""`chipsmith spice check/sim/lib` through the real entry point."""
from __future__ import annotations

import json

import pytest

from chipsmith.spice import runner

DIVIDER = """divider with its own analysis cards
v1 in 0 dc 2 ac 1
r1 in out 1k
r2 out 0 3k
c1 out 0 1n
.op
.ac dec 10 1k 10meg
.end
"""

CS = """cs amplifier
vdd vdd 0 1.8
vin in 0 dc 0.7 ac 1
rd vdd out 50k
m1 out in 0 0 nch w=10u l=1u
.model nch nmos level=1 vto=0.5 kp=100u lambda=0.05
.end
"""

HOSTILE = {
    "control": "t\nr1 a 0 1k\n.control\nshell touch /tmp/chipsmith-pwned\n.endc\n.end\n",
    "include": "t\n.include /etc/passwd\nr1 a 0 1k\n.end\n",
    "continuation": "t\nr1 a 0 1k\n+ shell ls\n.end\n",
}


def one_error_line(res) -> str:
    assert res.code == 2, (res.stdout, res.stderr)
    lines = [line for line in res.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, res.stderr
    assert "Traceback" not in res.stderr + res.stdout
    return lines[0]


@pytest.fixture
def no_ngspice(monkeypatch):
    """Fail the test if anything tries to start ngspice or make its temp deck."""
    def fail(*args, **kwargs):  # pragma: no cover - reaching it is the failure
        raise AssertionError("ngspice was started")

    monkeypatch.setattr(runner.subprocess, "Popen", fail)
    monkeypatch.setattr(runner.tempfile, "TemporaryDirectory", fail)
    import chipsmith.spice.shared as shared

    monkeypatch.setattr(shared, "run_shared", fail)


def test_sim_uses_the_cards_in_the_file(cli, tmp_path, ngspice_bin):
    deck = tmp_path / "divider.cir"
    deck.write_text(DIVIDER)
    res = cli("spice", "sim", deck, "--json")
    assert res.code == 0, res.stderr
    summary = json.loads(res.stdout)
    assert summary["analyses"] == ["op", "ac"]
    assert summary["op"]["voltages"]["out"] == pytest.approx(1.5)
    assert summary["op"]["power_w"]["v1"] == pytest.approx(2 * 0.5e-3)
    fig = summary["ac"]["figures"]["v(out)"]
    assert fig["gain"] == pytest.approx(0.75, rel=1e-4)  # 1 kHz is 2 decades below the pole
    # 750 ohm || 1 nF
    assert fig["f3db_hz"] == pytest.approx(1 / (2 * 3.141592653589793 * 750 * 1e-9), rel=0.01)


def test_sim_options_override_cards_and_write_outputs(cli, tmp_path, ngspice_bin):
    deck = tmp_path / "divider.cir"
    deck.write_text(DIVIDER)
    out = tmp_path / "run"
    res = cli("spice", "sim", deck, "--dc", "v1:0:2:0.5", "--tran", "10n:2u", "--save", "v(out),i(v1)",
              "--out", out)
    assert res.code == 0, res.stderr
    assert "dc: 5 points" in res.stdout
    summary = json.loads((out / "summary.json").read_text())
    assert summary["analyses"] == ["dc", "tran"]
    assert summary["dc"]["ranges"]["v(out)"]["max"] == pytest.approx(1.5)
    assert sorted(summary["dc"]["ranges"]) == ["i(v1)", "v(out)"]
    transfer = summary["dc"]["transfer"]["v(out)"]  # a divider: slope 3/4 everywhere
    assert transfer["max_slope"] == pytest.approx(0.75)
    assert (transfer["swing_lo"], transfer["swing_hi"]) == pytest.approx((0.0, 1.5), abs=1e-9)
    rows = (out / "dc.csv").read_text().splitlines()
    assert rows[0] == "v(v-sweep),i(v1),v(out)"
    assert len(rows) == 6
    assert (out / "tran.csv").exists() and not (out / "ac.csv").exists()


def test_sim_prints_mosfet_table_in_shared_mode(cli, tmp_path, ngspice_bin):
    deck = tmp_path / "cs.cir"
    deck.write_text(CS)
    res = cli("spice", "sim", deck, "--op", "--ac", "1:1g", "--mode", "shared")
    assert res.code == 0, res.stderr
    assert "saturation" in res.stdout and "m1" in res.stdout
    assert "(shared)" in res.stdout
    assert res.stderr == ""  # PySpice's version warning is silenced


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_sim_refuses_hostile_netlists_without_running_ngspice(cli, tmp_path, no_ngspice, kind):
    deck = tmp_path / f"{kind}.cir"
    deck.write_text(HOSTILE[kind])
    out = tmp_path / "out"
    line = one_error_line(cli("spice", "sim", deck, "--op", "--out", out))
    assert str(deck) in line
    assert not out.exists()


@pytest.mark.parametrize("args, needle", [
    (["--ac", "1"], "--ac"),
    (["--ac", "1:x"], "number"),
    (["--dc", "v1:0:1"], "--dc"),
    (["--tran", "1n"], "--tran"),
    (["--tran", "0:1u"], "transient"),
    (["--mode", "spectre", "--op"], "mode"),
    (["--timeout", "-1", "--op"], "timeout"),
    (["--save", "v(out);shell", "--op"], "save"),
])
def test_sim_bad_options_are_one_line_errors(cli, tmp_path, no_ngspice, args, needle):
    deck = tmp_path / "d.cir"
    deck.write_text(DIVIDER)
    assert needle in one_error_line(cli("spice", "sim", deck, *args))


def test_sim_unreadable_inputs(cli, tmp_path, no_ngspice):
    assert "not found" in one_error_line(cli("spice", "sim", tmp_path / "nope.cir", "--op"))
    binary = tmp_path / "bin.cir"
    binary.write_bytes(b"t\n\xff\xfe r1 a 0 1k\n")
    assert "UTF-8" in one_error_line(cli("spice", "sim", binary, "--op"))
    empty = tmp_path / "noana.cir"
    empty.write_text("t\nr1 a 0 1k\n.end\n")
    assert "no analysis" in one_error_line(cli("spice", "sim", empty))


def test_sim_reports_ngspice_errors_and_timeouts(cli, tmp_path, ngspice_bin):
    bad = tmp_path / "bad.cir"
    bad.write_text("t\nv1 a 0 1\nm1 a a 0 0 nope w=1u l=1u\n.end\n")
    assert "can't find model 'nope'" in one_error_line(cli("spice", "sim", bad, "--op"))
    hang = tmp_path / "hang.cir"
    hang.write_text("hang\nv1 a 0 sin(0 1 1g)\nr1 a b 1k\nc1 b 0 1p\n.end\n")
    assert "time limit" in one_error_line(cli("spice", "sim", hang, "--tran", "0.1p:1", "--timeout", "0.5"))


# --- check ----------------------------------------------------------------------------------

def test_check_clean_netlist(cli, tmp_path):
    deck = tmp_path / "cs.cir"
    deck.write_text(CS)
    res = cli("spice", "check", deck, "--json")
    assert res.code == 0, res.stdout + res.stderr
    summary = json.loads(res.stdout)
    assert summary["ok"] is True and summary["errors"] == 0
    assert summary["elements"] == 4


def test_check_erc_errors_exit_1_with_findings(cli, tmp_path):
    deck = tmp_path / "float.cir"
    # m1's gate net `g` connects to nothing else, and there is no model nch
    deck.write_text("t\nvdd vdd 0 1.8\nrd vdd out 10k\nm1 out g 0 0 nch w=1u l=1u\n.end\n")
    out = tmp_path / "report"
    res = cli("spice", "check", deck, "--out", out)
    assert res.code == 1, res.stdout + res.stderr
    assert "error" in res.stdout
    summary = json.loads((out / "summary.json").read_text())
    assert summary["ok"] is False and summary["errors"] >= 1
    assert all(f["code"] and f["message"] for f in summary["findings"])


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_check_unsafe_is_exit_2(cli, tmp_path, kind):
    deck = tmp_path / f"{kind}.cir"
    deck.write_text(HOSTILE[kind])
    line = one_error_line(cli("spice", "check", deck))
    assert str(deck) in line


def test_check_parse_error_names_the_line(cli, tmp_path):
    deck = tmp_path / "broken.cir"
    deck.write_text("t\nr1 a 0 1k\nr2 a\n.end\n")
    assert f"{deck}:3" in one_error_line(cli("spice", "check", deck))


# --- lib ------------------------------------------------------------------------------------

def test_lib_lists_blocks(cli, tmp_path):
    out = tmp_path / "lib"
    res = cli("spice", "lib", "--json", "--out", out)
    assert res.code == 0, res.stderr
    summary = json.loads(res.stdout)
    assert summary["count"] >= 30
    assert all(b["ports"] and b["description"] for b in summary["blocks"])
    assert json.loads((out / "summary.json").read_text())["count"] == summary["count"]
    tag = summary["blocks"][0]["tags"][0]
    tagged = json.loads(cli("spice", "lib", "--json", "--tag", tag).stdout)
    assert 1 <= tagged["count"] <= summary["count"]
    assert all(tag in b["tags"] for b in tagged["blocks"])
    table = cli("spice", "lib")
    assert table.code == 0 and summary["blocks"][0]["name"] in table.stdout


OTA = """5T OTA from the library, open loop at AC, unity feedback at DC
.include generic_l1.lib
.include ota_5t.cir
vdd vdd 0 1.8
vbn vbn 0 0.63
vin inp 0 dc 0.9 ac 1
lfb out inn 1g
cfb inn 0 1
cl out 0 1p
x1 inp inn out vbn vdd 0 ota_5t
.op
.ac dec 20 1 1g
.end
"""


def test_sim_library_block_through_include_dirs(cli, tmp_path, ngspice_bin):
    from chipsmith.spice.library import BLOCKS_DIR, MODELS_DIR

    deck = tmp_path / "ota.cir"
    deck.write_text(OTA)
    dirs = ["--include-dir", MODELS_DIR, "--include-dir", BLOCKS_DIR]
    assert cli("spice", "check", deck, *dirs).code == 0
    res = cli("spice", "sim", deck, *dirs, "--json")
    assert res.code == 0, res.stderr
    summary = json.loads(res.stdout)
    assert {d["region"] for d in summary["op"]["devices"].values()} == {"saturation"}
    assert summary["op"]["devices"]["m.x1.m3"]["polarity"] == "pmos"
    out = summary["ac"]["figures"]["v(out)"]
    assert out["gain"] > 30 and 45 < out["phase_margin_deg"] < 100
    assert "v(vdd)" not in summary["ac"]["figures"]  # no AC signal there
    # without the include dirs the model file is outside what the netlist may read
    assert "generic_l1.lib" in one_error_line(cli("spice", "sim", deck))


def test_sim_relative_include_next_to_the_file(cli, tmp_path, ngspice_bin):
    (tmp_path / "models.lib").write_text(".model nch nmos level=1 vto=0.5 kp=100u\n")
    deck = tmp_path / "inc.cir"
    deck.write_text("inc\nvdd d 0 1\nvg g 0 1\nm1 d g 0 0 nch w=1u l=1u\n.include models.lib\n.op\n.end\n")
    res = cli("spice", "sim", deck, "--json")
    assert res.code == 0, res.stderr
    assert json.loads(res.stdout)["op"]["devices"]["m1"]["id"] == pytest.approx(12.5e-6, rel=1e-4)


def test_bench_spice_reports_ratio_and_parse_speed(cli, tmp_path, ngspice_bin):
    out = tmp_path / "bench"
    res = cli("bench", "spice", "--count", "3", "--json", "--out", out)
    assert res.code == 0, res.stderr
    summary = json.loads(res.stdout)
    runner_part = summary["runner"]
    assert runner_part["modes_agree"] is True
    assert runner_part["subprocess"]["runs"] == runner_part["shared"]["runs"] == 3
    assert runner_part["shared_over_subprocess"] == pytest.approx(
        runner_part["shared"]["sims_per_s"] / runner_part["subprocess"]["sims_per_s"])
    assert summary["parse_write"]["status"] == "ok"
    assert summary["parse_write"]["n_elements"] == 10_000
    assert json.loads((out / "summary.json").read_text())["n"] == 3


def test_lib_search_and_empty_filter(cli):
    found = json.loads(cli("spice", "lib", "--json", "--search", "wilson current mirror").stdout)
    assert found["blocks"] and "wilson" in found["blocks"][0]["name"]
    res = cli("spice", "lib", "--tag", "no-such-tag")
    assert res.code == 1 and "no block matches" in res.stdout
