"""Resist models: blur, Dill exposure, acid-quencher PEB invariants, Mack development, dose trend."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from chipsmith.errors import LithoError
from chipsmith.lithography import resist as R


def _spot(n=64, pixel=8.0, width=60.0):
    x = (np.arange(n) + 0.5) * pixel - n * pixel / 2
    xx, yy = np.meshgrid(x, x)
    return torch.from_numpy(0.3 * np.exp(-(xx ** 2 + yy ** 2) / (2 * width ** 2))).float()


def test_gaussian_blur_conserves_mass_and_smooths():
    img = torch.zeros(64, 64)
    img[32, 32] = 1.0
    out = R.gaussian_blur(img, 16.0, 4.0)
    assert out.sum().item() == pytest.approx(1.0, abs=1e-5)
    var = (out * (torch.arange(64)[None, :] - 32.0) ** 2).sum().item() * 16
    assert var == pytest.approx(16.0 ** 2, rel=0.02)


def test_peb_conserves_acid_minus_quencher_and_deprotects():
    model = R.ChemResist()
    acid0 = R.exposure(_spot(), model)
    a, q, m = R.peb(acid0, model, 8.0)
    # Neutralisation removes acid and quencher one for one, diffusion conserves both: sum(A - Q) is invariant.
    assert (a - q).sum().item() == pytest.approx((acid0 - model.quencher).sum().item(), rel=2e-3)  # float32 + clamps
    assert a.min() >= 0 and q.min() >= 0
    assert 0 < m.min() < m.max() <= 1.0
    assert m[32, 32] < m[0, 0]  # most deprotected at the exposed centre


def test_chem_cd_grows_with_dose_and_zero_dose_is_an_error():
    model = R.ChemResist()
    areas = [(R.chem_resist(_spot(), model, 8.0, dose=d) >= 1.0).sum().item() for d in (0.9, 1.0, 1.2)]
    assert areas[0] < areas[1] < areas[2]
    with pytest.raises(LithoError, match="dose must be > 0"):
        R.chem_resist(_spot(), model, 8.0, dose=0.0)


def test_mack_rate_limits_and_parameter_validation():
    model = R.ChemResist()
    r = R.mack_rate(torch.tensor([0.0, model.mack_m_th, 1.0]), model)
    assert r[0].item() == pytest.approx(model.r_max_nm_s + model.r_min_nm_s, rel=1e-6)
    assert r[2].item() == pytest.approx(model.r_min_nm_s)
    assert r[0] > r[1] > r[2]
    with pytest.raises(LithoError, match="peb_time_s"):
        dataclasses.replace(model, peb_time_s=0.0)
    with pytest.raises(LithoError, match="threshold must be > 0"):
        R.ThresholdResist(threshold=0.0)
