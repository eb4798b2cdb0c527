"""Measurements on analytic transfer functions and on real ngspice runs."""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import brentq

from chipsmith.errors import SimulationError
from chipsmith.spice import measure
from chipsmith.spice.results import DeviceOp, OpResult, Waveform
from chipsmith.spice.runner import Ac, Dc, Op, simulate


def two_pole(a0=1000.0, p1=1e3, p2=1e6, sign=1.0, ppd=200, f=(1.0, 1e10), extra_poles=()):
    freq = np.logspace(math.log10(f[0]), math.log10(f[1]), int(ppd * math.log10(f[1] / f[0])) + 1)
    s = 1j * freq
    h = sign * a0 / ((1 + s / p1) * (1 + s / p2))
    for p in extra_poles:
        h = h / (1 + s / p)
    return Waveform("frequency", freq, {"v(out)": h, "v(in)": np.ones_like(h)})


def analytic_fu(a0, poles):
    mag = lambda f: a0 / math.prod(math.hypot(1, f / p) for p in poles) - 1  # noqa: E731
    return brentq(mag, 1.0, 1e12, xtol=1e-6, rtol=1e-12)


def test_two_pole_gain_bandwidth_unity_and_margin():
    a0, p1, p2 = 1000.0, 1e3, 1e6
    ac = two_pole(a0, p1, p2)
    assert measure.dc_gain(ac, "out") == pytest.approx(a0, rel=1e-6)
    assert measure.dc_gain_db(ac, "out") == pytest.approx(60.0, abs=1e-4)
    assert measure.dc_gain_signed(ac, "out") > 0
    f3 = brentq(lambda f: 1 / (math.hypot(1, f / p1) * math.hypot(1, f / p2)) - 1 / math.sqrt(2), 1, 1e9)
    assert measure.bandwidth_3db(ac, "out") == pytest.approx(f3, rel=1e-3)
    fu = analytic_fu(a0, (p1, p2))
    assert measure.unity_gain_frequency(ac, "out") == pytest.approx(fu, rel=1e-3)
    pm = 180 - math.degrees(math.atan(fu / p1) + math.atan(fu / p2))
    assert measure.phase_margin(ac, "out") == pytest.approx(pm, abs=0.1)
    assert measure.phase_margin(ac, "out", "in") == pytest.approx(pm, abs=0.1)


def test_inverting_amplifier_has_the_same_margin():
    a0, p1, p2 = 500.0, 2e3, 3e5
    fu = analytic_fu(a0, (p1, p2))
    pm = 180 - math.degrees(math.atan(fu / p1) + math.atan(fu / p2))
    ac = two_pole(a0, p1, p2, sign=-1.0)
    assert measure.dc_gain_signed(ac, "out") == pytest.approx(-a0, rel=1e-6)
    assert measure.phase_margin(ac, "out") == pytest.approx(pm, abs=0.1)


def test_phase_is_unwrapped_past_minus_180_degrees():
    # three poles: the phase passes -180° before unity gain, so the margin is negative
    a0, poles = 1e4, (1e3, 1e5, 2e5)
    ac = two_pole(a0, poles[0], poles[1], extra_poles=(poles[2],))
    fu = analytic_fu(a0, poles)
    pm = 180 - math.degrees(sum(math.atan(fu / p) for p in poles))
    assert pm < 0
    assert measure.phase_margin(ac, "out") == pytest.approx(pm, abs=0.2)
    phase = measure.unwrapped_phase_deg(ac.get("out"))
    assert np.all(np.diff(phase) <= 1e-9)  # monotonic: no wrap jumps


def test_missing_crossings_are_errors_not_guesses():
    ac = two_pole(f=(1.0, 100.0))  # ends before the first pole
    with pytest.raises(SimulationError, match="extend"):
        measure.bandwidth_3db(ac, "out")
    with pytest.raises(SimulationError, match="extend"):
        measure.unity_gain_frequency(ac, "out")
    small = Waveform("frequency", ac.x, {"v(out)": 0.1 * ac.get("out") / 1000})
    with pytest.raises(SimulationError, match="below 1"):
        measure.unity_gain_frequency(small, "out")


def test_output_swing_on_a_tanh_transfer():
    x = np.linspace(0, 1.8, 1801)
    y = 0.9 + 0.8 * np.tanh(-5 * (x - 0.9))
    dc = Waveform("v(v-sweep)", x, {"v(out)": y})
    lo, hi = measure.output_swing(dc, "out", fraction=0.5)
    edge = 0.8 * math.tanh(math.acosh(math.sqrt(2)))
    assert lo == pytest.approx(0.9 - edge, abs=2e-3)
    assert hi == pytest.approx(0.9 + edge, abs=2e-3)
    assert measure.max_gain_dc(dc, "out") == pytest.approx(4.0, rel=1e-3)


def test_quiescent_power_uses_source_nodes():
    op = OpResult({"vdd": 1.8, "vss": -1.0, "out": 0.3}, {"vdd": -1e-3, "vss": 2e-3},
                  source_nodes={"vdd": ("vdd", "0"), "vss": ("vss", "0")})
    assert measure.quiescent_power(op, "vdd") == pytest.approx(1.8e-3)
    assert measure.quiescent_power(op, ["vdd", "vss"]) == pytest.approx(1.8e-3 + 2e-3)
    with pytest.raises(SimulationError, match="vdd"):
        measure.quiescent_power(op, "vcc")


@pytest.mark.parametrize("dev, region", [
    (DeviceOp("m1", polarity="nmos", vgs=1.0, vds=1.0, vth=0.5, vdsat=0.5, id=1e-5), "saturation"),
    (DeviceOp("m1", polarity="nmos", vgs=1.0, vds=0.2, vth=0.5, vdsat=0.5, id=1e-5), "triode"),
    (DeviceOp("m1", polarity="nmos", vgs=0.4, vds=1.0, vth=0.5, vdsat=0.05, id=1e-8), "subthreshold"),
    (DeviceOp("m1", polarity="nmos", vgs=0.0, vds=1.0, vth=0.5, vdsat=0.05, id=1e-15), "cutoff"),
    (DeviceOp("m1", polarity="nmos", vgs=0.45, vds=1.0, vth=0.5, id=0.0), "cutoff"),
    (DeviceOp("m2", polarity="pmos", vgs=-1.0, vds=-1.0, vth=-0.5, vdsat=-0.5, id=-1e-5), "saturation"),
    (DeviceOp("m2", polarity="pmos", vgs=-1.0, vds=-0.1, vth=-0.5, vdsat=-0.5, id=-1e-5), "triode"),
    (DeviceOp("m2", polarity="pmos", vgs=-0.4, vds=-1.0, vth=-0.5, vdsat=-0.05, id=-1e-8), "subthreshold"),
    (DeviceOp("m2", polarity="pmos", vgs=0.3, vds=-1.0, vth=-0.5, id=0.0), "cutoff"),
    # drain and source swapped: vds < 0 for an NMOS that conducts backwards
    (DeviceOp("m3", polarity="nmos", vgs=1.2, vds=-0.1, vth=0.5, vdsat=0.5, id=-1e-5), "triode"),
    (DeviceOp("m4", polarity="nmos", vgs=math.nan, vds=1.0, vth=0.5), "unknown"),
])
def test_mosfet_region(dev, region):
    assert measure.mosfet_region(dev) == region


# --- on real ngspice runs ------------------------------------------------------------------

def test_rc_lowpass_bandwidth_matches_1_over_2_pi_rc(ngspice_bin):
    r, c = 4.7e3, 2.2e-9
    ckt = f"rc\nvin in 0 dc 0 ac 1\nr1 in out {r}\nc1 out 0 {c}\n"
    res = simulate(ckt, [Ac(10, 1e9, 50)])
    f3 = 1 / (2 * math.pi * r * c)
    assert measure.bandwidth_3db(res.ac, "out", "in") == pytest.approx(f3, rel=0.01)
    assert measure.dc_gain(res.ac, "out") == pytest.approx(1.0, rel=1e-6)
    assert measure.phase_at(res.ac, f3, "out") == pytest.approx(-45.0, abs=0.5)


CS_AMP = """cs amplifier
vdd vdd 0 1.8
vin in 0 dc 0.7 ac 1
rd vdd out 50k
cl out 0 1p
m1 out in 0 0 nch w=10u l=1u
.model nch nmos level=1 vto=0.5 kp=100u lambda=0.05
"""


def test_common_source_amplifier_figures(ngspice_bin):
    res = simulate(CS_AMP, [Op(), Ac(1e3, 1e10, 20), Dc("vin", 0, 1.8, 0.005)])
    m1 = res.op.devices["m1"]
    assert m1.region == "saturation"
    rout = 1 / (1 / 50e3 + m1.gds)
    gain = measure.dc_gain_signed(res.ac, "out", "in")
    assert gain == pytest.approx(-m1.gm * rout, rel=0.01)  # inverting, |gm·(rd||ro)|
    assert abs(gain) > 1
    f3 = measure.bandwidth_3db(res.ac, "out")
    assert f3 == pytest.approx(1 / (2 * math.pi * rout * 1e-12), rel=0.02)
    fu = measure.unity_gain_frequency(res.ac, "out")
    assert fu == pytest.approx(f3 * math.sqrt(gain ** 2 - 1), rel=0.01)  # single pole
    pm = 180 - math.degrees(math.atan(fu / f3))  # one pole, lag measured from the inverting 180°
    assert measure.phase_margin(res.ac, "out") == pytest.approx(pm, abs=0.5)
    power = measure.quiescent_power(res.op, "vdd")
    assert power == pytest.approx(1.8 * m1.id, rel=1e-4)
    lo, hi = measure.output_swing(res.dc, "out", fraction=0.5)
    assert 0.0 < lo < res.op.v("out") < hi < 1.8
    # the swing ends where the slope has fallen to half of its peak
    slope = np.abs(np.gradient(res.dc.get("out"), res.dc.x))
    inside = (res.dc.get("out") >= lo) & (res.dc.get("out") <= hi)
    assert slope[inside].min() >= 0.5 * slope.max() - 1e-9
