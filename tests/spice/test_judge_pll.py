"""The judge's PLL bench: lock is measured on the output, N comes from the requirements, and
look-alikes (a free-running oscillator, a buffer passing the reference through) fail."""
from __future__ import annotations

import numpy as np
import pytest

from chipsmith.spice.judge import judge
from chipsmith.spice.judge_bench import Harness
from chipsmith.spice.judge_pll import LOCK_TOL, lock_run, measure_lock, wanted_ratio
from chipsmith.spice.requirements import Interface, Port, Request, Requirement

MODELS = """.model nch nmos (level=1 vto=0.45 kp=300u lambda=0.08 tox=4n cgso=3e-10 cgdo=3e-10)
.model pch pmos (level=1 vto=-0.45 kp=80u lambda=0.1 tox=4n cgso=3e-10 cgdo=3e-10)"""


def _inv(name: str, a: str, y: str) -> str:
    return f"mp{name} {y} {a} vdd vdd pch W=2u L=0.5u\nmn{name} {y} {a} gnd gnd nch W=1u L=0.5u\n"


# a five-inverter ring that runs on its own; "ref" only drives a dummy gate (it is ignored)
RING = ("* free-running ring posing as a PLL\n.subckt design ref out vdd gnd\n"
        + "".join(_inv(str(i), f"r{(i - 1) % 5}", f"r{i}") + f"c{i} r{i} gnd 0.3p\n" for i in range(5))
        + _inv("o", "r4", "out") + "mdummy gnd ref gnd gnd nch W=1u L=1u\n" + MODELS + "\n.ends design\n")

# two inverters: the output IS the reference (locks at N = 1 at any reference frequency)
BUFFER = ("* buffer posing as a PLL\n.subckt design ref out vdd gnd\n" + _inv("1", "ref", "mid")
          + _inv("2", "mid", "out") + MODELS + "\n.ends design\n")

IFACE = Interface((Port("ref", "clock"), Port("out", "out"), Port("vdd", "supply"), Port("gnd", "ground")))


def _request(*extra: Requirement) -> Request:
    return Request("hand-written", IFACE, (Requirement("family", "family", {"family": "pll"}),) + extra)


def _square(freqs: np.ndarray, t: np.ndarray) -> np.ndarray:
    phase = 2 * np.pi * np.cumsum(freqs) * (t[1] - t[0])
    return 0.9 + 0.9 * np.sign(np.sin(phase))


def test_measure_lock_reads_frequency_and_lock_time_from_crossings() -> None:
    t = np.linspace(0, 10e-6, 200001)
    # 6 MHz rising linearly to 10 MHz at 3 us, then locked at 10 MHz
    f = np.where(t < 3e-6, 6e6 + 4e6 * t / 3e-6, 10e6)
    run = measure_lock(t, _square(f, t), 10e6, 1)
    assert run.f_out == pytest.approx(10e6, rel=1e-3)
    assert 2.7e-6 < run.lock_time < 3.6e-6
    assert measure_lock(t, _square(f, t), 10e6, 2).lock_time is None  # never near 20 MHz
    flat = measure_lock(t, np.full_like(t, 0.9), 10e6, 1)
    assert flat.f_out is None and flat.swing == 0.0


def test_n_comes_from_the_requirements_only() -> None:
    def ratio(*reqs: Requirement) -> float | None:
        return wanted_ratio(Harness("", ("ref", "out", "vdd", "gnd"), IFACE, _request(*reqs)))

    assert ratio() is None
    assert ratio(Requirement("n", "target", {"figure": "freq_ratio", "op": "==", "value": 4.0})) == 4.0
    # output frequency over the reference frequency (default reference 10 MHz)
    assert ratio(Requirement("o", "oscillation", {"frequency_hz": 40e6})) == pytest.approx(4.0)
    assert ratio(Requirement("o", "oscillation", {"frequency_hz": 40e6}),
                 Requirement("c", "condition", {"name": "clock_hz", "value": 20e6})) == pytest.approx(2.0)


def test_a_buffer_passing_the_reference_through_is_not_a_pll() -> None:
    v = judge(BUFFER, _request())
    assert not v.success
    detail = v.results[0].detail
    assert "x1.0000" in detail and "no oscillator of its own" in detail


def test_a_free_running_oscillator_at_the_reference_frequency_is_not_a_pll() -> None:
    # place the reference exactly on the ring's own frequency: the first check (lock at N = 1)
    # passes, tracking a 0.8x reference cannot
    h = Harness(RING.split("\n", 1)[1], ("ref", "out", "vdd", "gnd"), IFACE, _request())
    alone = lock_run(h, None, 1, periods=60)
    assert alone.f_out is not None
    at = Requirement("c", "condition", {"name": "clock_hz", "value": alone.f_out})
    v = judge(RING, _request(at))
    assert not v.success
    detail = v.results[0].detail
    assert "(x1.0" in detail and "does not track" in detail, detail
    # asked for N = 2 it does not even lock
    v2 = judge(RING, _request(at, Requirement("n", "target", {"figure": "freq_ratio", "op": "==", "value": 2.0})))
    assert not v2.success and [r.id for r in v2.results if not r.passed] == ["family", "n"]
    assert LOCK_TOL == 0.02
