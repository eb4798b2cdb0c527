"""Measurement benches for an op-amp given as a subcircuit: the figures a sizing spec asks for.

One deck holds four copies of the design, so one ngspice run (one model load) measures all:

- ``dm``: open loop for AC, closed for DC through a 1 GH inductor from the output to the
  inverting input (whose 1 F capacitor to AC ground makes the loop open above ~5 µHz):
  differential gain, unity-gain frequency (GBW), phase margin, -3 dB bandwidth;
  its supply current at the operating point gives the power.
- ``cm``: the same, with the capacitor returned to the driven input: common-mode gain → CMRR.
- ``ps``: inputs AC-grounded, the AC source on its own supply: supply gain → PSRR.
- ``sr``: a unity-gain follower with a 2·``step`` input step: slew rate (10-90 %).

Two more copies, simulated in their own ngspice run by the sizer only when a target needs
them (:func:`chipsmith.spice.sizing.evaluate`; the runner's analyses have no ``.noise``):

- ``nz``: dm's open-loop bench, ``.noise v(nz_out) vnzin``: input-referred voltage noise
  density at ``noise_freq`` (nV/√Hz) and its rms over ``noise_band`` (µV). The feedback
  inductor and capacitors are noiseless, so the noise is the design's own.
- ``sw``: an inverting amplifier of closed-loop gain ``swing_gain`` (1 GΩ feedback, so it
  barely loads the output), its input swept so the ideal output covers 0..supply: the
  output swing is the contiguous output range over which the small-signal gain
  |dVout/dVin| stays at or above ``swing_fraction`` (50 %) of its peak
  (:func:`chipsmith.spice.measure.output_swing`). Closed-loop gain falls to half when the
  open-loop gain falls to about ``swing_gain + 1``, so this is the range where the op-amp
  still has that much gain.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Mapping

import numpy as np

from chipsmith.errors import InputError, SimulationError
from chipsmith.spice.runner import Ac, Op, SimResult, Tran

#: The figures :func:`figures` returns, with their units.
FIGURES = {"gain_db": "dB", "gbw_hz": "Hz", "pm_deg": "deg", "f3db_hz": "Hz", "power_w": "W", "cmrr_db": "dB",
           "psrr_db": "dB", "slew_v_per_us": "V/us", "noise_nv_rthz": "nV/rtHz", "noise_uv_rms": "uV",
           "swing_v": "V"}
#: figures measured by the ``nz``/``sw`` copies (not in :meth:`AmpBench.deck`)
EXTRA_FIGURES = ("noise_nv_rthz", "noise_uv_rms", "swing_v")


@dataclass(frozen=True)
class AmpBench:
    """How the design is driven: its subcircuit and port names, supply, common mode, load, biases.

    ``ports`` is the subcircuit's port order; ``inp``/``inn``/``out``/``vdd``/``gnd`` name
    which of them play those roles. ``bias`` maps other ports to a DC current (A, positive
    = into the design, e.g. the drain of an NMOS bias diode) or, with ``bias_is_voltage``,
    to a DC voltage.
    """

    subckt: str
    ports: tuple[str, ...]
    inp: str
    inn: str
    out: str
    vdd: str = "vdd"
    gnd: str = "gnd"
    supply_v: float = 1.8
    vcm: float = 0.9
    cload: float = 1e-12
    bias: Mapping[str, float] = field(default_factory=dict)
    bias_is_voltage: Mapping[str, bool] = field(default_factory=dict)
    step: float = 0.2  # half the follower's input step (V)
    tran_stop: float = 2e-6
    noise_freq: float = 1e3                           # spot-noise frequency (Hz)
    noise_band: tuple[float, float] | None = None     # integration band of noise_uv_rms (Hz)
    swing_gain: float = 10.0                          # closed-loop gain of the swing bench
    swing_fraction: float = 0.5                       # of the peak gain, bounding the swing

    def __post_init__(self) -> None:
        named = {self.inp, self.inn, self.out, self.vdd, self.gnd, *self.bias}
        missing = sorted(named - set(self.ports))
        if missing:
            raise InputError(f"subcircuit {self.subckt} has no port(s) {', '.join(missing)}",
                             fix=f"its ports are: {' '.join(self.ports)}")
        unused = sorted(set(self.ports) - named)
        if unused:
            raise InputError(f"port(s) {', '.join(unused)} of {self.subckt} have no role",
                             fix="give each a bias current or voltage in the spec's `bias:` map")
        for name, value in {"supply_v": self.supply_v, "vcm": self.vcm, "cload": self.cload}.items():
            if not (math.isfinite(value) and value >= 0):
                raise InputError(f"{name}={value!r} must be a finite non-negative number")

    def _instance(self, copy: str, nodes: Mapping[str, str]) -> str:
        return f"X{copy} " + " ".join(nodes[p] for p in self.ports) + f" {self.subckt}"

    def _copy(self, copy: str, inp_ac: bool, c_return: str, vdd_ac: bool, follower: bool) -> list[str]:
        n = lambda node: f"{copy}_{node}"  # noqa: E731
        nodes = {self.inp: n("inp"), self.inn: n("inn"), self.out: n("out"), self.vdd: n("vdd"), self.gnd: "0"}
        lines = [f"V{copy}dd {n('vdd')} 0 DC {self.supply_v!r}" + (" AC 1" if vdd_ac else "")]
        for port, value in self.bias.items():
            nodes[port] = n(port)
            if self.bias_is_voltage.get(port):
                lines.append(f"V{copy}_{port} {n(port)} 0 DC {value!r}")
            else:  # positive current flows from the supply into the port
                lines.append(f"I{copy}_{port} {n('vdd')} {n(port)} DC {value!r}")
        if follower:
            nodes[self.inn] = n("out")
            lo, hi = self.vcm - self.step, self.vcm + self.step
            lines.append(f"V{copy}in {n('inp')} 0 DC {lo!r} PULSE({lo!r} {hi!r} "
                         f"{self.tran_stop / 10!r} 1e-10 1e-10 {self.tran_stop!r} {2 * self.tran_stop!r})")
        else:
            lines.append(f"V{copy}in {n('inp')} 0 DC {self.vcm!r}" + (" AC 1" if inp_ac else ""))
            lines.append(f"L{copy}fb {n('out')} {n('inn')} 1e9")
            lines.append(f"C{copy}fb {n('inn')} {c_return} 1")
        lines.append(f"C{copy}load {n('out')} 0 {self.cload!r}")
        lines.append(self._instance(copy, nodes))
        return lines

    def deck(self, design: str, title: str = "* chipsmith op-amp bench") -> str:
        """The bench netlist around ``design`` (which defines the subcircuit and may hold .param
        cards); models are added by the caller (e.g. :meth:`Pdk.model_lines`)."""
        lines = [title, design.strip()]
        lines += self._copy("dm", True, "0", False, False)
        lines += self._copy("cm", True, "cm_inp", False, False)
        lines += self._copy("ps", False, "0", True, False)
        lines += self._copy("sr", False, "0", False, True)
        return "\n".join(lines) + "\n"

    def noise_copy(self) -> list[str]:
        """``nz``: dm's bench; its input source ``vnzin`` is the ``.noise`` reference."""
        return self._copy("nz", True, "0", False, False)

    def swing_copy(self) -> list[str]:
        """``sw``: inverting amplifier of gain ``swing_gain`` around vcm, input source ``vswin``."""
        n = lambda node: f"sw_{node}"  # noqa: E731
        nodes = {self.inp: n("inp"), self.inn: n("inn"), self.out: n("out"), self.vdd: n("vdd"), self.gnd: "0"}
        lines = [f"Vswdd {n('vdd')} 0 DC {self.supply_v!r}", f"Vswcm {n('inp')} 0 DC {self.vcm!r}",
                 f"Vswin {n('in')} 0 DC {self.vcm!r}", f"Rswin {n('in')} {n('inn')} {1e9 / self.swing_gain!r}",
                 f"Rswfb {n('out')} {n('inn')} 1e9", f"Cswload {n('out')} 0 {self.cload!r}"]
        for port, value in self.bias.items():
            nodes[port] = n(port)
            if self.bias_is_voltage.get(port):
                lines.append(f"Vsw_{port} {n(port)} 0 DC {value!r}")
            else:
                lines.append(f"Isw_{port} {n('vdd')} {n(port)} DC {value!r}")
        lines.append(self._instance("sw", nodes))
        return lines

    def swing_sweep(self, points: int = 200) -> tuple[float, float, float]:
        """(start, stop, step) of vswin: the ideal output vcm - gain·(vin - vcm) spans the
        supply with 10 % to spare on each side."""
        lo = self.vcm - 1.1 * (self.supply_v - self.vcm) / self.swing_gain
        hi = self.vcm + 1.1 * self.vcm / self.swing_gain
        return lo, hi, (hi - lo) / points

    def noise_sweep(self) -> tuple[float, float]:
        """(fstart, fstop) of the ``.noise`` sweep: the band and the spot frequency, or a
        decade either side of the spot frequency."""
        lo, hi = self.noise_band or (self.noise_freq / 10, self.noise_freq * 10)
        return min(lo, self.noise_freq), max(hi, self.noise_freq)

    def analyses(self, fstop: float = 10e9) -> list:
        return [Op(), Ac(1.0, fstop, 20), Tran(self.tran_stop / 1000, self.tran_stop)]


def _safe(fn, *args) -> float | None:
    try:
        value = fn(*args)
    except SimulationError:
        return None
    return float(value) if value is not None and math.isfinite(value) else None


def figures(bench: AmpBench, result: SimResult) -> dict[str, float | None]:
    """Every figure of :data:`FIGURES`; None where it does not exist (no unity-gain crossing,
    no slewing edge...)."""
    from chipsmith.spice import measure

    ac, op, tran = result.ac, result.op, result.tran
    if ac is None or op is None:
        raise SimulationError("the op-amp bench needs op and ac results (and tran for the slew rate)")
    out = {"dm": "v(dm_out)", "cm": "v(cm_out)", "ps": "v(ps_out)"}
    figs: dict[str, float | None] = dict.fromkeys(FIGURES)
    figs.update({
        "gain_db": measure.dc_gain_db(ac, out["dm"]),
        "gbw_hz": _safe(measure.unity_gain_frequency, ac, out["dm"]),
        "pm_deg": _safe(measure.phase_margin, ac, out["dm"]),
        "f3db_hz": _safe(measure.bandwidth_3db, ac, out["dm"]),
    })
    # dm's supply delivers the design's quiescent current (its bias sources are fed from it too)
    figs["power_w"] = abs(op.i("vdmdd")) * bench.supply_v
    figs["cmrr_db"] = figs["gain_db"] - measure.dc_gain_db(ac, out["cm"])
    figs["psrr_db"] = figs["gain_db"] - measure.dc_gain_db(ac, out["ps"])
    figs["slew_v_per_us"] = None if tran is None else _slew(tran.x, np.asarray(tran.get("v(sr_out)")).real, bench)
    return figs


def _slew(t: np.ndarray, v: np.ndarray, bench: AmpBench) -> float | None:
    """10-90 % slope of the follower's rising edge (V/µs); None when it never gets there."""
    edge = t >= bench.tran_stop / 10
    t, v = t[edge], v[edge]
    lo, hi = bench.vcm - bench.step, bench.vcm + bench.step
    a, b = lo + 0.1 * (hi - lo), lo + 0.9 * (hi - lo)
    above_a, above_b = np.nonzero(v >= a)[0], np.nonzero(v >= b)[0]
    if not above_a.size or not above_b.size or t[above_b[0]] <= t[above_a[0]]:
        return None
    return float((b - a) / (t[above_b[0]] - t[above_a[0]]) * 1e-6)


_SUBCKT = re.compile(r"^\s*\.subckt\s+(\S+)\s+(.*)$", re.IGNORECASE | re.MULTILINE)


def subckt_ports(design: str, name: str | None = None) -> tuple[str, tuple[str, ...]]:
    """(name, ports) of the subcircuit called ``name`` in ``design``, or of its only one."""
    found = {m.group(1): tuple(t for t in m.group(2).split() if "=" not in t) for m in _SUBCKT.finditer(design)}
    if not found:
        raise InputError("the design defines no .subckt", fix="wrap the op-amp in .subckt NAME PORTS ... .ends")
    if name is None:
        if len(found) > 1:
            raise InputError(f"the design defines several subcircuits ({', '.join(found)})",
                             fix="name the op-amp with `subckt:` in the spec")
        name = next(iter(found))
    matches = [k for k in found if k.lower() == name.lower()]
    if not matches:
        raise InputError(f"the design has no subcircuit {name!r}", fix=f"choose one of: {', '.join(found)}")
    return matches[0], found[matches[0]]
