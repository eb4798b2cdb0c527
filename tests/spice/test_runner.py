"""The ngspice runner: real ngspice runs for op/ac/dc/tran, errors, timeouts, safety, shared mode."""
from __future__ import annotations

import math
import os
import subprocess

import numpy as np
import pytest

from chipsmith.errors import InputError, SimulationError, SimulationTimeout, UnsafeNetlistError
from chipsmith.spice import runner
from chipsmith.spice.runner import Ac, Dc, Op, Tran, simulate

DIVIDER = """divider
v1 in 0 dc 2 ac 1
r1 in out 1k
r2 out 0 3k
"""

RC = """rc low-pass
vin in 0 dc 0 ac 1 pulse(0 1 0 1n 1n 1 2)
r1 in out 1k
c1 out 0 1n
"""

# NMOS common-source stage and a PMOS stage with a resistive load; level-1 cards so the
# expected op point follows from the square law by hand.
CS = """cs stages
vdd vdd 0 1.8
vin in 0 dc 0.8 ac 1
rd vdd out 10k
m1 out in 0 0 nch w=2u l=1u
vg2 g2 0 0.6
m2 d2 g2 vdd vdd pch w=2u l=1u
r2 d2 0 10k
m3 d3 0 0 0 nch w=2u l=1u
r3 vdd d3 1k
vg4 g4 0 1.8
m4 d4 g4 0 0 nch w=2u l=1u
r4 vdd d4 100k
.model nch nmos level=1 vto=0.5 kp=100u lambda=0.05
.model pch pmos level=1 vto=-0.5 kp=50u lambda=0.05
"""


def test_divider_op_voltages_and_source_current(ngspice_bin):
    res = simulate(DIVIDER, [Op()])
    assert res.op.v("out") == pytest.approx(1.5, rel=1e-9)
    assert res.op.v("in") == pytest.approx(2.0, rel=1e-12)
    # SPICE convention: current into the + terminal, negative for a source delivering power
    assert res.op.i("v1") == pytest.approx(-0.5e-3, rel=1e-9)
    assert res.op.source_nodes["v1"] == ("in", "0")
    assert res.ac is None and res.dc is None and res.tran is None
    assert res.seconds > 0


def test_mosfet_op_points_follow_square_law(ngspice_bin):
    res = simulate(CS, [Op()])
    m1 = res.op.devices["m1"]
    vout = res.op.v("out")
    expected_id = 0.5 * 100e-6 * 2 * 0.3 ** 2 * (1 + 0.05 * vout)
    assert m1.polarity == "nmos" and m1.model == "nch"
    assert m1.id == pytest.approx(expected_id, rel=1e-4)
    assert m1.vgs == pytest.approx(0.8, rel=1e-5) and m1.vth == pytest.approx(0.5, rel=1e-5)
    assert m1.vds == pytest.approx(vout, rel=1e-5)
    assert m1.gm == pytest.approx(2 * expected_id / 0.3, rel=1e-4)
    assert m1.region == "saturation"
    assert (1.8 - vout) / 10e3 == pytest.approx(m1.id, rel=1e-4)

    m2 = res.op.devices["m2"]  # PMOS: SPICE signs, negative when on
    assert m2.polarity == "pmos"
    assert m2.vgs == pytest.approx(0.6 - 1.8, rel=1e-5)
    assert m2.vds == pytest.approx(res.op.v("d2") - 1.8, rel=1e-5)
    assert m2.vth == pytest.approx(-0.5, rel=1e-5) and m2.vdsat < 0 and m2.id < 0
    assert m2.region == "saturation"
    assert res.op.devices["m3"].region == "cutoff"  # gate tied to source
    assert res.op.devices["m4"].region == "triode"  # hard on with a big load


def test_ac_dc_tran_in_one_run(ngspice_bin):
    res = simulate(RC, [Op(), Ac(1e3, 1e8, 10), Dc("vin", 0, 1, 0.25), Tran(1e-8, 3e-6)])
    f = res.ac.x
    assert f[0] == pytest.approx(1e3) and f[-1] == pytest.approx(1e8)
    assert len(f) == 51
    h = res.ac.get("V(OUT)")
    assert np.iscomplexobj(h)
    analytic = 1 / (1 + 2j * np.pi * f * 1e3 * 1e-9)
    assert np.allclose(h, analytic, rtol=1e-6)
    assert res.dc.get("out") == pytest.approx([0, 0.25, 0.5, 0.75, 1.0], abs=1e-9)
    assert res.dc.x == pytest.approx([0, 0.25, 0.5, 0.75, 1.0])
    t, v = res.tran.x, res.tran.get("v(out)")
    assert t[-1] == pytest.approx(3e-6)
    at_tau = np.interp(1e-6 + 1e-9, t, v)  # the pulse starts rising at 0 and is up after 1 ns
    assert at_tau == pytest.approx(1 - math.exp(-1), abs=0.01)


def test_save_restricts_vectors_and_accepts_branch_names(ngspice_bin):
    res = simulate(DIVIDER, [Op(), Dc("v1", 0, 1, 0.5)], save=["v(out)", "v1#branch"])
    assert res.dc.names() == ["i(v1)", "v(out)"]
    assert res.dc.get("i(v1)") == pytest.approx([0, -0.125e-3, -0.25e-3])
    assert len(res.op.voltages) == 2  # op always keeps every node


@pytest.mark.parametrize("bad", ["v(out) ; shell rm -rf /", "v(out)\nshell ls", "all > /tmp/x", "v(out) >x"])
def test_save_names_cannot_inject_commands(bad):
    with pytest.raises(InputError):
        simulate(DIVIDER, [Op()], save=[bad])


def test_missing_saved_vector_is_a_simulation_error(ngspice_bin):
    with pytest.raises(SimulationError, match="zz"):
        simulate(DIVIDER, [Dc("v1", 0, 1, 0.5)], save=["v(zz)"])


def test_ngspice_error_message_is_reported(ngspice_bin):
    with pytest.raises(SimulationError, match="can't find model 'nope'"):
        simulate("t\nv1 a 0 1\nm1 a a 0 0 nope w=1u l=1u\n", [Op()])


def test_non_convergence_is_a_simulation_error(ngspice_bin):
    with pytest.raises(SimulationError, match="singular|failed"):
        simulate("loop\nv1 a 0 1\nv2 a 0 2\nr1 a 0 1k\n", [Op()])


def test_timeout_kills_the_process_group(ngspice_bin, monkeypatch):
    started = []
    real_popen = subprocess.Popen

    def spy(*args, **kwargs):
        proc = real_popen(*args, **kwargs)
        started.append(proc)
        return proc

    monkeypatch.setattr(runner.subprocess, "Popen", spy)
    hang = "hang\nv1 a 0 sin(0 1 1g)\nr1 a b 1k\nc1 b 0 1p\n"
    with pytest.raises(SimulationTimeout, match="time limit"):
        simulate(hang, [Tran(1e-13, 1.0)], timeout_s=1.0)
    (proc,) = started
    assert proc.poll() is not None
    with pytest.raises(ProcessLookupError):
        os.killpg(proc.pid, 0)


def test_analysis_cards_in_the_circuit_are_refused():
    with pytest.raises(InputError, match=r":3"):
        simulate("t\nr1 a 0 1k\n.tran 1n 1u\n", [Op()], trusted=True)


def test_end_card_is_dropped(ngspice_bin):
    res = simulate(DIVIDER + ".end\n", [Op()])
    assert res.op.v("out") == pytest.approx(1.5)


@pytest.mark.parametrize("make", [lambda: Ac(10, 10), lambda: Ac(0, 1e3), lambda: Dc("vin", 0, 1, 0),
                                  lambda: Dc("vin; shell", 0, 1, 0.1), lambda: Dc("vin", 0, 1, -0.1),
                                  lambda: Tran(0, 1e-6), lambda: Tran(1e-9, -1)])
def test_bad_analyses_are_input_errors(make):
    with pytest.raises(InputError):
        make()


def test_analysis_list_is_validated():
    with pytest.raises(InputError, match="two op"):
        simulate(DIVIDER, [Op(), Op()])
    with pytest.raises(InputError, match="no analysis"):
        simulate(DIVIDER, [])
    with pytest.raises(InputError, match="mode"):
        simulate(DIVIDER, [Op()], mode="spectre")


def test_hostile_circuit_never_reaches_ngspice(monkeypatch, tmp_path):
    def fail(*args, **kwargs):  # pragma: no cover - reaching it is the failure
        raise AssertionError("ngspice was started for a hostile netlist")

    monkeypatch.setattr(runner.subprocess, "Popen", fail)
    monkeypatch.setattr(runner.tempfile, "TemporaryDirectory", fail)
    for hostile in ["t\nr1 a 0 1k\n.control\nshell touch /tmp/pwned\n.endc\n",
                    f"t\n.include /etc/passwd\nr1 a 0 1k\n",
                    "t\nr1 a 0 1k\n+ \n.exec rm\n"]:
        with pytest.raises(UnsafeNetlistError):
            simulate(hostile, [Op()])


# --- shared-library mode ------------------------------------------------------------------

def _assert_same(a, b, rel=1e-6):
    for node, value in a.op.voltages.items():
        assert b.op.voltages[node] == pytest.approx(value, rel=rel, abs=1e-12)
    for src, value in a.op.currents.items():
        assert b.op.currents[src] == pytest.approx(value, rel=rel, abs=1e-15)
    assert a.op.devices.keys() == b.op.devices.keys()
    for name, dev in a.op.devices.items():
        other = b.op.devices[name]
        assert other.region == dev.region and other.polarity == dev.polarity
        for field in ("id", "vgs", "vds", "vth", "vdsat", "gm", "gds"):
            assert getattr(other, field) == pytest.approx(getattr(dev, field), rel=rel, abs=1e-15)
    for kind in ("ac", "dc", "tran"):
        wa, wb = getattr(a, kind), getattr(b, kind)
        assert wa.names() == wb.names()
        assert np.allclose(wb.x, wa.x, rtol=rel, atol=0)
        for name in wa.names():
            va, vb = wa.get(name), wb.get(name)
            scale = max(np.max(np.abs(va)), 1e-15)
            assert np.max(np.abs(va - vb)) <= rel * scale, (kind, name)


def test_shared_and_subprocess_modes_agree(ngspice_bin):
    analyses = [Op(), Ac(1, 1e9, 10), Dc("vin", 0, 1.8, 0.05), Tran(1e-9, 2e-7)]
    circuit = CS.replace("vin in 0 dc 0.8 ac 1", "vin in 0 dc 0.8 ac 1 sin(0.8 0.1 10meg)")
    sub = simulate(circuit, analyses, mode="subprocess")
    shared = simulate(circuit, analyses, mode="shared")
    assert sub.mode == "subprocess" and shared.mode == "shared"
    _assert_same(sub, shared)
    assert len(shared.op.devices) == 4


def test_shared_mode_recovers_after_errors_and_timeouts(ngspice_bin):
    with pytest.raises(SimulationError, match="can't find model"):
        simulate("t\nv1 a 0 1\nm1 a a 0 0 nope w=1u l=1u\n", [Op()], mode="shared")
    hang = "hang\nv1 a 0 sin(0 1 1g)\nr1 a b 1k\nc1 b 0 1p\n"
    with pytest.raises(SimulationTimeout):
        simulate(hang, [Tran(1e-13, 1.0)], timeout_s=0.5, mode="shared")
    res = simulate(DIVIDER, [Op()], mode="shared")
    assert res.op.v("out") == pytest.approx(1.5)
    assert res.op.voltages.keys() == {"in", "out"}  # nothing left over from earlier circuits


def test_shared_mode_is_serialized_across_threads(ngspice_bin):
    from concurrent.futures import ThreadPoolExecutor

    values = [0.5 * k for k in range(1, 9)]

    def run(v):
        res = simulate(DIVIDER.replace("dc 2", f"dc {v}"), [Op(), Ac(1, 1e6, 5)], mode="shared")
        return res.op.v("out")

    with ThreadPoolExecutor(4) as pool:
        outs = list(pool.map(run, values))
    assert outs == pytest.approx([0.75 * v for v in values], rel=1e-9)


def test_relative_include_is_found_in_include_dirs(ngspice_bin, tmp_path):
    (tmp_path / "models.lib").write_text(".model nch nmos level=1 vto=0.5 kp=100u\n")
    ckt = "inc\nvdd d 0 1\nvg g 0 1\nm1 d g 0 0 nch w=1u l=1u\n.include models.lib\n"
    res = simulate(ckt, [Op()], include_dirs=[tmp_path])
    assert res.op.devices["m1"].id == pytest.approx(0.5 * 100e-6 * 0.25, rel=1e-4)
    assert runner.resolve_includes(ckt, [tmp_path]).count(str(tmp_path.resolve())) == 1


def test_bsim3_op_points_use_spice_signs(ngspice_bin):
    # BSIM3 reports vth/vdsat type-normalized and showmod has no type: the polarity comes
    # from the .model card and the signs must still follow SPICE.
    ckt = """bsim3
vdd vdd 0 1.8
vg2 g2 0 0.6
m2 d2 g2 vdd vdd pch w=2u l=0.5u
r2 d2 0 10k
vg1 g1 0 1.0
m1 d1 g1 0 0 nch w=2u l=0.5u
r1 vdd d1 10k
.model nch nmos level=8 version=3.3.0 vth0=0.5 tox=4n
.model pch pmos level=8 version=3.3.0 vth0=-0.5 tox=4n
"""
    res = simulate(ckt, [Op()])
    m1, m2 = res.op.devices["m1"], res.op.devices["m2"]
    assert m1.polarity == "nmos" and m2.polarity == "pmos"
    assert m1.vth > 0.4 and m2.vth < -0.4
    assert m2.vgs == pytest.approx(-1.2, rel=1e-5) and m2.vds == pytest.approx(res.op.v("d2") - 1.8, rel=1e-5)
    assert m2.id == pytest.approx(-res.op.v("d2") / 10e3, rel=1e-4)
    assert m1.id == pytest.approx((1.8 - res.op.v("d1")) / 10e3, rel=1e-4)
    assert m1.region == m2.region == "saturation"


def test_simulate_deck_takes_the_analysis_cards(ngspice_bin):
    deck = DIVIDER + ".op\n.dc v1 0 2 1\n.tran 1u 10u 0 uic\n.ac dec 5 1k\n+ 1meg\n.end\n"
    res = runner.simulate_deck(deck)
    assert res.op.v("out") == pytest.approx(1.5)
    assert res.dc.get("out") == pytest.approx([0, 0.75, 1.5])
    assert res.ac.x[0] == pytest.approx(1e3) and res.ac.x[-1] == pytest.approx(1e6)
    assert res.tran.x[-1] == pytest.approx(1e-5)
    only_op = runner.simulate_deck(deck, [Op()])
    assert only_op.dc is None and only_op.op.v("out") == pytest.approx(1.5)
    with pytest.raises(UnsafeNetlistError):
        runner.simulate_deck(deck.replace(".op", ".control\nshell ls\n.endc"))


@pytest.mark.parametrize("card, expected", [
    (".ac dec 20 1 1g", Ac(1.0, 1e9, 20)),
    (".dc vin 0 1.8 10m", Dc("vin", 0.0, 1.8, 0.01)),
    (".tran 1n 1u", Tran(1e-9, 1e-6)),
    (".tran 1n 1u 100n 1p uic", Tran(1e-9, 1e-6, 1e-7, True)),
    (".OP", Op()),
])
def test_split_analyses_parses_cards(card, expected):
    body, analyses = runner.split_analyses(f"t\nr1 a 0 1k\n{card}\n.end\nignored after end\n")
    assert analyses == [expected]
    assert body == "t\nr1 a 0 1k\n"


@pytest.mark.parametrize("card", [".ac lin 10 1 1k", ".dc vin 0 1 0.1 vdd 0 1 0.5", ".tran 1n", ".ac dec x 1 1k"])
def test_split_analyses_rejects_unsupported_cards(card):
    with pytest.raises(InputError, match=":3"):
        runner.split_analyses(f"t\nr1 a 0 1k\n{card}\n")


def test_long_save_lists_work_in_both_modes(ngspice_bin):
    n = 120  # a ladder whose save list is far longer than one shared-library command
    lines = ["ladder", "v1 n0 0 dc 1 ac 1"] + [f"r{k} n{k} n{k + 1} 1k" for k in range(n)] + [f"rl n{n} 0 1k"]
    save = [f"v(n{k})" for k in range(1, n + 1)]
    sub = simulate("\n".join(lines), [Dc("v1", 0, 1, 0.5)], save=save)
    shared = simulate("\n".join(lines), [Dc("v1", 0, 1, 0.5)], save=save, mode="shared")
    assert sorted(sub.dc.names()) == sorted(shared.dc.names()) == sorted(save)
    assert shared.dc.get(f"v(n{n})") == pytest.approx([0, 0.5 / (n + 1), 1 / (n + 1)], rel=1e-9)
