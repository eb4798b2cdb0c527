"""Cross-check with real ngspice on a small generated grid: static and a short transient."""
from __future__ import annotations

import numpy as np

from chipsmith.irdrop.dynamic import solve_transient
from chipsmith.irdrop.ngspice_check import run_ngspice
from chipsmith.irdrop.static import solve_static


def test_static_matches_ngspice(small_case, ngspice_bin):
    pdn = small_case.pdn
    ours = solve_static(pdn)
    ref = run_ngspice(pdn, ngspice=ngspice_bin)
    assert ref.voltages.shape == (1, pdn.n_nodes)
    assert np.abs(ref.voltages[0] - ours.voltage).max() < 1e-6
    assert ours.drop.max() > 1e-4  # the comparison is not trivially between two flat grids


def test_transient_matches_ngspice(small_case, ngspice_bin):
    pdn, prof = small_case.pdn, small_case.profile
    dt, t_stop = 2e-12, 0.6e-9
    ours = solve_transient(pdn, prof, dt=dt, t_stop=t_stop, integrator="trap", probes=np.arange(pdn.n_nodes))
    ref = run_ngspice(pdn, tran=(dt, t_stop), profile=prof, ngspice=ngspice_bin)
    theirs = np.array([np.interp(ours.times, ref.times, ref.voltages[:, k]) for k in range(pdn.n_nodes)]).T
    assert np.abs(theirs - ours.probe_voltages).max() < 1e-6
    swing = ours.probe_voltages.max(axis=0) - ours.probe_voltages.min(axis=0)
    assert swing.max() > 1e-5  # the currents really vary in time
