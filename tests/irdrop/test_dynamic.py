"""Transient solver properties: settles to the static solution, integrators agree as dt → 0,
one factorization for any number of steps, tile and instance currents."""
from __future__ import annotations

import numpy as np
import pytest

from chipsmith.errors import InputError, PDNError
from chipsmith.irdrop import dynamic as dyn_mod
from chipsmith.irdrop.dynamic import (CurrentProfile, instance_profile, load_profile, solve_transient,
                                      tile_profile)
from chipsmith.irdrop.pdn import PWL
from chipsmith.irdrop.static import solve_static


def test_constant_currents_settle_to_static(small_case):
    pdn = small_case.pdn
    static = solve_static(pdn).voltage
    d = solve_transient(pdn, None, dt=2e-10, t_stop=8e-8, initial="vdd", integrator="be")
    assert np.abs(d.final_voltage - static).max() < 1e-9
    assert d.worst_drop.max() == pytest.approx((pdn.vdd - static).max(), rel=1e-6)
    # trapezoidal too, and starting from the DC point nothing moves at all
    d2 = solve_transient(pdn, None, dt=2e-11, t_stop=4e-10, initial="dc")
    assert np.abs(d2.final_voltage - static).max() < 1e-12


def test_trap_and_be_agree_as_dt_shrinks(small_case):
    pdn, prof = small_case.pdn, small_case.profile
    probes = np.arange(pdn.n_nodes)
    diffs = []
    for dt in (2e-11, 5e-12, 1.25e-12):
        a = solve_transient(pdn, prof, dt=dt, t_stop=1e-9, integrator="trap", probes=probes)
        b = solve_transient(pdn, prof, dt=dt, t_stop=1e-9, integrator="be", probes=probes)
        step = int(round(1e-10 / dt))  # compare on a common 0.1 ns grid
        diffs.append(np.abs(a.probe_voltages[::step] - b.probe_voltages[::step]).max())
    assert diffs[0] > diffs[1] > diffs[2]
    assert diffs[2] < 0.2 * diffs[0] and diffs[2] < 5e-6


def test_one_factorization_reused(small_case, monkeypatch):
    calls = []
    real = dyn_mod.factorize

    def counting(A, *a, **k):
        calls.append(A.shape)
        return real(A, *a, **k)

    monkeypatch.setattr(dyn_mod, "factorize", counting)
    for steps in (10, 100):
        calls.clear()
        d = solve_transient(small_case.pdn, small_case.profile, dt=1e-9 / steps, t_stop=1e-9)
        assert d.n_steps == steps
        assert len(calls) == 2 == d.factorizations  # DC operating point + the transient matrix
    calls.clear()
    solve_transient(small_case.pdn, small_case.profile, dt=1e-11, t_stop=1e-9, initial="vdd")
    assert len(calls) == 1


def test_tile_profile_preserves_tile_totals(small_case):
    pdn = small_case.pdn
    tv = np.zeros((4, 4, 2))
    tv[1, 2] = [1e-3, 3e-3]
    prof = tile_profile(pdn, np.array([0.0, 1e-9]), tv, 10.0)
    amps = prof.amps(0.5e-9)
    assert amps.sum() == pytest.approx(2e-3)
    x = pdn.node_x[pdn.i_pos] / 2000
    y = pdn.node_y[pdn.i_pos] / 2000
    inside = (x >= 10) & (x < 20) & (y >= 20) & (y < 30)
    assert np.all(amps[~inside] == 0) and np.all(amps[inside] >= 0)


def test_instance_profile_csv_and_errors(small_case, tmp_path):
    pdn = small_case.pdn
    f = tmp_path / "cur.csv"
    f.write_text("name,0,1e-9\ni3,1e-4,2e-4\n")
    prof = load_profile(f, pdn)
    assert prof.amps(0.5e-9)[3] == pytest.approx(1.5e-4)
    assert prof.amps(0.0)[4] == pdn.i_amp[4]
    f.write_text("name,0,1e-9\nI999999,1e-4,2e-4\n")
    with pytest.raises(InputError, match="'I999999' is not in the netlist"):
        load_profile(f, pdn)
    f.write_text("name,0,1e-9\ni3,nan,2e-4\n")
    with pytest.raises(InputError, match="is nan"):
        load_profile(f, pdn)
    with pytest.raises(InputError, match="strictly increasing"):
        instance_profile(pdn, ["i1"], np.array([1.0, 0.0]), np.array([[1.0, 2.0]]))


def test_static_only_netlist_refuses_transient():
    from chipsmith.irdrop.parser import parse_pdn

    from .conftest import TINY

    with pytest.raises(PDNError, match="no capacitors"):
        solve_transient(parse_pdn("t.sp", text=TINY), None, dt=1e-12, t_stop=1e-10)


def test_pwl_evaluation():
    w = PWL(np.array([0.0, 1.0, 3.0]), np.array([[0.0, 2.0, 0.0]]))
    assert w.at(-1)[0] == 0 and w.at(0.5)[0] == 1 and w.at(2.0)[0] == 1 and w.at(9)[0] == 0
    assert CurrentProfile(pwl=w).t_end == 3.0
