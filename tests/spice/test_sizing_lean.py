"""The sizing loop's speed-ups change no verdict: the cut-down sky130 library gives the PDK's
own numbers, the lean bench the full bench's figures, and tt screening never drops a success."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from chipsmith.spice.pdk import get_pdk
from chipsmith.spice.pdk_core import core_pdk, devices_in, uses_only
from chipsmith.spice.sizing import Evaluation, bench_copies, evaluate, load_spec

DATA = Path(__file__).parent / "data"
DESIGN = (DATA / "generic_two_stage.cir").read_text()
SPEC = yaml.safe_load((DATA / "generic_two_stage.yaml").read_text())
NMOS, PMOS = "sky130_fd_pr__nfet_01v8", "sky130_fd_pr__pfet_01v8"


def test_only_a_design_of_core_mosfets_gets_the_cut_down_library():
    pdk = get_pdk("sky130")
    core = f"XM1 d g 0 0 {NMOS} W=2 L=0.5\nXM2 d g vdd vdd {PMOS} W=2 L=0.5\n"
    assert devices_in(core) == {NMOS, PMOS} and uses_only(core, pdk)
    cut = core_pdk(pdk, core)
    assert cut.model_file != pdk.model_file and cut.corners == pdk.corners and cut.nmos == pdk.nmos
    with_res = core + "XR1 a b 0 sky130_fd_pr__res_high_po_0p35 L=10\n"
    assert not uses_only(with_res, pdk) and core_pdk(pdk, with_res) is pdk
    assert core_pdk(get_pdk("generic"), core).name == "generic"


def _drain_currents(pdk, corner: str) -> list[float]:
    from chipsmith.spice.flows import with_models
    from chipsmith.spice.runner import Op, simulate

    deck = with_models(f"* core check\nXM1 d g 0 0 {NMOS} W=2 L=0.5\nXM2 e g vdd vdd {PMOS} W=3 L=0.15\n"
                       "vg g 0 0.9\nvd d 0 1.2\nve e 0 0.4\nvdd vdd 0 1.8\n", pdk.model_lines(corner, 27))
    op = simulate(deck, [Op()], trusted=True, include_dirs=pdk.model_dirs, timeout_s=300).op
    return [op.i("vd"), op.i("ve")]


@pytest.mark.ngspice
@pytest.mark.parametrize("corner", ["tt", "sf"])
def test_cut_down_library_gives_the_full_librarys_currents(ngspice_bin, corner):
    full = get_pdk("sky130")
    cut = core_pdk(full, f"{NMOS} {PMOS}")
    a, b = _drain_currents(full, corner), _drain_currents(cut, corner)
    assert all(abs(x) > 1e-7 for x in a)
    assert a == pytest.approx(b, rel=1e-9)


def test_bench_copies_follow_the_targets():
    spec = load_spec(SPEC, DESIGN)
    assert bench_copies(spec) == ("dm",)
    data = dict(SPEC, targets={**SPEC["targets"], "cmrr_db": ">= 40", "slew_v_per_us": ">= 1"})
    assert bench_copies(load_spec(data, DESIGN)) == ("dm", "cm", "sr")


@pytest.mark.ngspice
def test_lean_bench_measures_what_the_full_bench_measures(ngspice_bin):
    data = dict(SPEC, targets={**SPEC["targets"], "psrr_db": ">= 40"})
    spec = load_spec(data, DESIGN)
    cands = [{"wdp": 4.0, "cc": 1e-12}, {"wdp": 20.0, "cc": 2e-12}]
    lean = evaluate(DESIGN, spec, cands, lean=True)
    full = evaluate(DESIGN, spec, cands, lean=False)
    for a, b in zip(lean, full):
        fa, fb = a.per_corner["tt/27C"], b.per_corner["tt/27C"]
        for fig in ("gain_db", "gbw_hz", "pm_deg", "power_w", "psrr_db"):
            assert fa[fig] == pytest.approx(fb[fig], rel=1e-6), fig
        assert fa["cmrr_db"] is None and fb["cmrr_db"] is not None   # the cm copy was left out
        assert a.cost == pytest.approx(b.cost)


@pytest.mark.ngspice
def test_screening_simulates_only_tt_passers_elsewhere_and_keeps_every_verdict(ngspice_bin):
    data = dict(SPEC, temps=[27, 100], targets={"gain_db": ">= 60", "gbw_hz": ">= 5MHz"})
    spec = load_spec(data, DESIGN)
    cands = [{"wdp": 4.0, "cc": 1e-12}, {"wdp": 1.0, "cc": 4e-12, "w6": 4.0}, {"wdp": 10.0, "cc": 0.5e-12}]
    screened = evaluate(DESIGN, spec, cands, screen=True)
    plain = evaluate(DESIGN, spec, cands, screen=False)
    assert [e.feasible for e in screened] == [e.feasible for e in plain]
    for s, p in zip(screened, plain):
        first = p.per_corner["tt/27C"]
        assert s.per_corner["tt/27C"] == first
        if s.screened_out:   # failed the first point: nothing else simulated, cost = that point's
            assert set(s.per_corner) == {"tt/27C"} and s.simulations == 1 and 0 < s.cost <= p.cost
        else:
            assert s.per_corner == p.per_corner and s.cost == p.cost
    assert any(e.screened_out for e in screened) and not all(e.screened_out for e in screened)


def test_objective_ranks_every_fully_simulated_candidate_before_a_screened_out_one():
    full_bad = Evaluation(0, {}, {"tt": {}, "ss": {}}, 50.0, "ss")
    screened_good = Evaluation(1, {}, {"tt": {}}, 0.01, "tt", screened_out=True)
    screened_bad = Evaluation(2, {}, {"tt": {}}, 3.0, "tt", screened_out=True)
    met = Evaluation(3, {}, {"tt": {}, "ss": {}}, 0.0, "tt")
    order = sorted([screened_bad, full_bad, met, screened_good], key=lambda e: e.objective)
    assert order == [met, full_bad, screened_good, screened_bad]
    assert met.feasible and not screened_good.feasible and met.objective == 0.0
