"""Figures of merit from simulation results: gain, bandwidth, phase margin, power, swing, regions.

Pure functions over :class:`~chipsmith.spice.results.Waveform` / ``OpResult`` /
``DeviceOp`` (or plain arrays), so they can be tested on analytic transfer functions as
well as on ngspice output. Frequencies in Hz, phases in degrees, gains linear unless the
name says ``_db``. A figure that does not exist (no crossing inside the sweep) raises
``SimulationError`` saying which sweep to widen, rather than returning a made-up value.
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from chipsmith.errors import SimulationError
from chipsmith.spice.results import DeviceOp, OpResult, Waveform

REGIONS = ("cutoff", "subthreshold", "triode", "saturation")


# --- AC -----------------------------------------------------------------------------------

def transfer(ac: Waveform, out: str, inp: str | None = None) -> np.ndarray:
    """Complex transfer function v(out)/v(inp) (or v(out) alone when the AC source is 1 V)."""
    h = np.asarray(ac.get(out), dtype=complex)
    if inp is not None:
        denom = np.asarray(ac.get(inp), dtype=complex)
        if np.any(np.abs(denom) == 0):
            raise SimulationError(f"input vector {inp!r} is zero at some frequency",
                                  fix="pass the node that carries the AC stimulus")
        h = h / denom
    return h


def dc_gain(ac: Waveform, out: str, inp: str | None = None) -> float:
    """Low-frequency gain magnitude |H(f_min)| (linear). Sign: see :func:`dc_gain_signed`."""
    return float(np.abs(transfer(ac, out, inp)[0]))


def dc_gain_signed(ac: Waveform, out: str, inp: str | None = None) -> float:
    """Low-frequency gain with sign: negative for an inverting stage (phase near 180°)."""
    h0 = transfer(ac, out, inp)[0]
    return float(abs(h0) * (1.0 if h0.real >= 0 else -1.0))


def db(x: float | np.ndarray) -> float | np.ndarray:
    """Magnitude in dB (20 log10 |x|)."""
    return 20.0 * np.log10(np.maximum(np.abs(x), 1e-300))


def dc_gain_db(ac: Waveform, out: str, inp: str | None = None) -> float:
    return float(db(dc_gain(ac, out, inp)))


def unwrapped_phase_deg(h: np.ndarray) -> np.ndarray:
    """Phase in degrees, unwrapped along the sweep so it is continuous (no ±360° jumps)."""
    return np.degrees(np.unwrap(np.angle(np.asarray(h, dtype=complex))))


def _crossing(x: np.ndarray, y: np.ndarray, level: float) -> float | None:
    """First x where y falls through ``level`` (log-x interpolation), None if it never does."""
    above = y >= level
    if not above[0]:
        return None
    idx = np.nonzero(~above)[0]
    if idx.size == 0:
        return None
    k = int(idx[0])
    x0, x1, y0, y1 = x[k - 1], x[k], y[k - 1], y[k]
    t = 0.0 if y1 == y0 else (level - y0) / (y1 - y0)
    if x0 > 0 and x1 > 0:
        return float(10 ** (math.log10(x0) + t * (math.log10(x1) - math.log10(x0))))
    return float(x0 + t * (x1 - x0))


def bandwidth_3db(ac: Waveform, out: str, inp: str | None = None) -> float:
    """Frequency where |H| first drops 3 dB below its low-frequency value."""
    mag_db = db(transfer(ac, out, inp))
    f = _crossing(ac.x, mag_db, mag_db[0] - 3.0103)
    if f is None:
        raise SimulationError(f"|{out}| never drops 3 dB below its DC value inside the sweep "
                              f"({ac.x[0]:g}..{ac.x[-1]:g} Hz)", fix="extend the AC sweep to higher frequencies")
    return f


def unity_gain_frequency(ac: Waveform, out: str, inp: str | None = None) -> float:
    """Frequency where |H| falls through 1 (0 dB)."""
    mag_db = db(transfer(ac, out, inp))
    if mag_db[0] < 0:
        raise SimulationError(f"gain of {out} is below 1 already at {ac.x[0]:g} Hz: no unity-gain crossing",
                              fix="check the amplifier's DC gain / bias point")
    f = _crossing(ac.x, mag_db, 0.0)
    if f is None:
        raise SimulationError(f"|{out}| stays above 1 up to {ac.x[-1]:g} Hz", fix="extend the AC sweep")
    return f


def phase_at(ac: Waveform, freq: float, out: str, inp: str | None = None) -> float:
    """Unwrapped phase (degrees) of H at ``freq``, interpolated in log frequency."""
    ph = unwrapped_phase_deg(transfer(ac, out, inp))
    return float(np.interp(math.log10(freq), np.log10(ac.x), ph))


def phase_margin(ac: Waveform, out: str, inp: str | None = None) -> float:
    """Phase margin in degrees of the loop gain H = v(out)/v(inp) at its unity-gain frequency.

    The phase is unwrapped along the sweep and referred to the low-frequency phase, so
    an inverting amplifier (phase starting near ±180°) is handled like a non-inverting
    one: PM = 180° - (phase lag accumulated between DC and the unity-gain frequency).
    """
    fu = unity_gain_frequency(ac, out, inp)
    ph = unwrapped_phase_deg(transfer(ac, out, inp))
    # reference: 0° for non-inverting, ±180° for inverting; measured from there
    ref = 180.0 * round(ph[0] / 180.0)
    lag = ref - float(np.interp(math.log10(fu), np.log10(ac.x), ph))
    return 180.0 - lag


def gain_bandwidth(ac: Waveform, out: str, inp: str | None = None) -> float:
    """DC gain times -3 dB bandwidth (Hz)."""
    return dc_gain(ac, out, inp) * bandwidth_3db(ac, out, inp)


# --- DC / op --------------------------------------------------------------------------------

def quiescent_power(op: OpResult, supply: str | Sequence[str] = "vdd") -> float:
    """Power (W) delivered by the named voltage source(s): sum of -V·I at the op point.

    The source voltage is v(n+) - v(n-) of its nodes; when the source's nodes are not
    known, the node with the source's name is used (``vdd`` for source ``vdd``).
    """
    names = [supply] if isinstance(supply, str) else list(supply)
    total = 0.0
    for name in names:
        key = name.strip().lower()
        current = op.i(key)
        if key in op.source_nodes:
            plus, minus = op.source_nodes[key]
            volts = _node_v(op, plus) - _node_v(op, minus)
        else:
            volts = op.v(key)
        total += -volts * current
    return total


def _node_v(op: OpResult, node: str) -> float:
    if node in ("0", "gnd", "gnd!"):
        return op.voltages.get(node, 0.0)
    return op.v(node)


def output_swing(dc: Waveform, out: str, fraction: float = 0.5) -> tuple[float, float]:
    """Output range (min, max of v(out)) over which the small-signal gain |dVout/dVin|
    stays above ``fraction`` of its maximum along the sweep.

    The contiguous region around the maximum-gain point is taken, so a second high-gain
    region (e.g. a rail-to-rail flip) does not merge into the swing.
    """
    if not 0 < fraction < 1:
        raise SimulationError(f"swing fraction must lie in (0, 1), got {fraction}")
    x = np.asarray(dc.x, dtype=float)
    y = np.asarray(dc.get(out), dtype=float).real
    if x.size < 3:
        raise SimulationError("DC sweep has fewer than 3 points", fix="use a smaller step")
    gain = np.abs(np.gradient(y, x))
    peak = int(np.argmax(gain))
    keep = gain >= fraction * gain[peak]
    lo = peak
    while lo > 0 and keep[lo - 1]:
        lo -= 1
    hi = peak
    while hi < x.size - 1 and keep[hi + 1]:
        hi += 1
    seg = y[lo:hi + 1]
    return float(seg.min()), float(seg.max())


# --- noise -----------------------------------------------------------------------------------

def _noise_arrays(freqs, density) -> tuple[np.ndarray, np.ndarray]:
    f = np.asarray(freqs, dtype=float)
    d = np.abs(np.asarray(density)).astype(float)
    if f.size < 2 or f.shape != d.shape or np.any(f <= 0) or np.any(np.diff(f) <= 0):
        raise SimulationError("a noise spectrum needs >= 2 increasing positive frequencies")
    return f, np.maximum(d, 1e-300)


def noise_density_at(freqs, density, freq: float) -> float:
    """Noise density (V/√Hz, as given) at ``freq``, interpolated log-log between the sweep's points."""
    f, d = _noise_arrays(freqs, density)
    if not f[0] * (1 - 1e-9) <= freq <= f[-1] * (1 + 1e-9):
        raise SimulationError(f"{freq:g} Hz is outside the noise sweep {f[0]:g}..{f[-1]:g} Hz",
                              fix="widen the .noise sweep")
    return float(np.exp(np.interp(np.log(freq), np.log(f), np.log(d))))


def integrated_noise(freqs, density, f_lo: float, f_hi: float, points_per_decade: int = 50) -> float:
    """RMS noise (V) over [f_lo, f_hi]: sqrt of the integral of density² df, the density
    interpolated log-log and integrated by the trapezoid rule in ln f (exact for 1/f and
    white noise alike, where a linear-f trapezoid over log-spaced points is not)."""
    if not 0 < f_lo < f_hi:
        raise SimulationError(f"noise band needs 0 < f_lo < f_hi, got {f_lo:g}..{f_hi:g} Hz")
    f, d = _noise_arrays(freqs, density)
    grid = np.geomspace(f_lo, f_hi, max(2, int(np.log10(f_hi / f_lo) * points_per_decade) + 1))
    psd = np.array([noise_density_at(f, d, x) for x in grid]) ** 2
    y, lnf = psd * grid, np.log(grid)
    return float(math.sqrt(np.sum((y[1:] + y[:-1]) / 2 * np.diff(lnf))))


def max_gain_dc(dc: Waveform, out: str) -> float:
    """Largest |dVout/dVin| along a DC sweep."""
    y = np.asarray(dc.get(out), dtype=float).real
    return float(np.max(np.abs(np.gradient(y, np.asarray(dc.x, dtype=float)))))


# --- MOSFET regions -------------------------------------------------------------------------

def mosfet_region(dev: DeviceOp, *, subthreshold_window: float = 0.2, leakage_a: float = 1e-12) -> str:
    """Classify a MOSFET operating point: cutoff, subthreshold, triode or saturation.

    Works in the device's own polarity: for a PMOS (SPICE convention, vgs/vds/vth
    negative when on) every quantity is negated first, so both types compare
    ``vgs > vth`` and ``vds >= vdsat``. A reversed device (vds < 0 after that) is
    classified with drain and source swapped. Below threshold it is ``subthreshold``
    when it still conducts (|id| > ``leakage_a``) within ``subthreshold_window`` volts
    of threshold, otherwise ``cutoff``. When vdsat is missing, vgs - vth stands in.
    """
    sign = -1.0 if dev.polarity == "pmos" else 1.0
    vgs, vds = sign * dev.vgs, sign * dev.vds
    vth = sign * dev.vth
    if any(math.isnan(v) for v in (vgs, vds, vth)):
        return "unknown"
    if vds < 0:  # source and drain exchange roles
        vgs, vds = vgs - vds, -vds
    vov = vgs - vth
    if vov <= 0:
        conducts = not math.isnan(dev.id) and abs(dev.id) > leakage_a
        return "subthreshold" if (conducts and vov > -subthreshold_window) else "cutoff"
    vdsat = abs(dev.vdsat) if not math.isnan(dev.vdsat) and dev.vdsat != 0 else vov
    return "saturation" if vds >= vdsat else "triode"
