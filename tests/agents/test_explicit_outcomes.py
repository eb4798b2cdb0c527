"""Issue 10 item 4: measurements that fail are reported, never swallowed; model files are
used or refused; the LLM prompt states no device figure the model in use does not say."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from chipsmith.agents.functional import target_checks, testbench
from chipsmith.agents.planner import _nmos_params, generate
from chipsmith.agents.prompts import system_text
from chipsmith.agents.spec import Spec, Targets, with_ports
from chipsmith.errors import InputError
from chipsmith.spice.results import Waveform


def test_unmeasured_target_names_the_reason():
    spec = Spec(kind="cs_amp", targets=Targets(gbw_hz=1e6))
    [check] = target_checks(spec, {"gain": 3.0}, {"gbw_hz": "needs bw_hz: never drops 3 dB"})
    assert not check.passed and "never drops 3 dB" in check.detail


@pytest.mark.ngspice
def test_unmeasurable_phase_margin_fails_stability(ngspice_bin):
    """A real op-amp simulation whose AC sweep ends before the unity-gain crossing: the
    phase margin cannot be measured, so the stability check must fail, not be skipped."""
    from chipsmith.agents.checks import _run

    spec = with_ports(Spec(kind="two_stage_opamp"))
    design = generate(spec)
    tb, sim = _run(design, spec)
    [ok] = tb.evaluate(sim)
    assert ok.passed and "pm_deg" in ok.figures
    keep = np.asarray(sim.ac.x) < 1e3  # far below the unity-gain frequency
    short = Waveform(sim.ac.x_name, np.asarray(sim.ac.x)[keep],
                     {k: np.asarray(v)[keep] for k, v in sim.ac.vectors.items()})
    [bad] = tb.evaluate(replace(sim, ac=short))
    assert not bad.passed
    assert "phase margin could not be measured" in bad.detail
    assert "pm_deg" in bad.unmeasured and "pm_deg" in bad.to_dict()["unmeasured"]


def _card(tmp_path, nch: str) -> str:
    path = tmp_path / "models.lib"
    path.write_text(f".model nch nmos ({nch})\n.model pch pmos (level=1 vto=-0.6 kp=70u)\n")
    return str(path)


def test_user_model_file_is_used(tmp_path):
    vto, kp, lam = _nmos_params(_card(tmp_path, "level=1 vto=0.7 kp=120u lambda=0.05"))
    assert (vto, kp, lam) == pytest.approx((0.7, 120e-6, 0.05))


def test_bsim_style_card_derives_kp_from_u0_tox(tmp_path):
    vto, kp, _ = _nmos_params(_card(tmp_path, "level=8 vth0=0.5 u0=400 tox=4e-9"))
    assert vto == pytest.approx(0.5)
    assert kp == pytest.approx(400e-4 * 3.9 * 8.854e-12 / 4e-9)


def test_user_model_without_threshold_is_refused(tmp_path):
    with pytest.raises(InputError, match="vto"):
        _nmos_params(_card(tmp_path, "level=1 kp=120u"))


def test_prompt_states_the_threshold_of_the_model_in_use(tmp_path):
    text = system_text(Spec(kind="cs_amp", model_file=_card(tmp_path, "level=1 vto=0.7 kp=120u")))
    assert "vto=0.7" in text and "0.45" not in text
    generic = system_text(Spec(kind="cs_amp"))
    assert ".model nch" in generic
