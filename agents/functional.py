"""Functional testbenches per circuit family, and their evaluation into checks.

Every testbench drives the design only through its ports (the DC conditions the design
declares), so the same bench works for an expert design and for an LLM's netlist. All
the copies of the design a family needs (open loop, common mode, unity follower ...)
sit in ONE deck so that one ngspice run per proofreading round gives the operating
point, the AC response and the DC or transient test together.

Families: amplifier (gain sign and |gain| > 1, a follower 0.5..1.05), opamp
(differential gain > common-mode gain, stable in unity feedback), mirror (output tracks
the reference within tolerance across the load range), logic (levels, threshold;
Schmitt: hysteresis), oscillator (periodic rail-to-rail output), comparator (decides
within +-10 mV), opamp_app (transfer within tolerance of the ideal one), reference
(output insensitive to the supply).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from chipsmith.agents.circuit import Design, fmt
from chipsmith.agents.kinds import get_kind
from chipsmith.agents.spec import Spec
from chipsmith.agents.verdict import CheckResult
from chipsmith.errors import ChipsmithError
from chipsmith.spice import measure
from chipsmith.spice.runner import Ac, Analysis, Dc, Op, SimResult, Tran

Evaluate = Callable[[SimResult], list[CheckResult]]


@dataclass(frozen=True)
class Testbench:
    """A deck around ``design`` (instances X1.. of subckt ``design``) plus its analyses."""

    stimulus: str                 # instances and sources, no design text
    analyses: tuple[Analysis, ...]
    save: tuple[str, ...]
    evaluate: Evaluate
    temps: tuple[float, ...] = ()  # extra runs at these temperatures (bandgap)

    def deck(self, design_text: str, title: str = "chipsmith synth testbench") -> str:
        """Netlist body for :func:`chipsmith.spice.runner.simulate` (design inlined)."""
        return f"* {title}\n{design_text.rstrip()}\n{self.stimulus}"

    def file_text(self, title: str = "chipsmith synth testbench") -> str:
        """testbench.cir: includes design.cir and lists the analyses as dot-cards."""
        cards = []
        for a in self.analyses:
            if isinstance(a, Op):
                cards.append(".op")
            elif isinstance(a, Ac):
                cards.append(f".ac dec {a.points_per_decade} {fmt(a.fstart)} {fmt(a.fstop)}")
            elif isinstance(a, Dc):
                cards.append(f".dc {a.source} {a.start:.6g} {a.stop:.6g} {a.step:.6g}")
            elif isinstance(a, Tran):
                cards.append(f".tran {a.step:.6g} {a.stop:.6g}" + (" uic" if a.uic else ""))
        return (f"* {title}\n.include design.cir\n{self.stimulus}" + "\n".join(cards) + "\n.end\n")


class _Bench:
    """Writes DUT copies with their supply and bias sources (one vdd source per copy)."""

    def __init__(self, design: Design, spec: Spec) -> None:
        self.design = design
        self.spec = spec
        self.lines: list[str] = []

    def copy(self, i: int, nodes: dict[str, str]) -> dict[str, str]:
        """Instance ``X{i}``; ``nodes`` maps port names to nets (default: ``<port>_{i}``)."""
        d = self.design
        net = {}
        for p in d.ports:
            if p.kind == "supply":
                net[p.name] = f"vdd_{i}"
            elif p.kind == "ground":
                net[p.name] = "0"
            else:
                net[p.name] = nodes.get(p.name, f"{p.name}_{i}")
        self.lines.append(f"X{i} {' '.join(net[p.name] for p in d.ports)} design")
        self.lines.append(f"Vdd_{i} vdd_{i} 0 DC {d.vdd:.6g}")
        for p in d.ports_of("bias"):
            if p.unit == "A":
                self.lines.append(f"Ib_{p.name}_{i} vdd_{i} {net[p.name]} DC {p.dc:.6g}")
            else:
                self.lines.append(f"Vb_{p.name}_{i} {net[p.name]} 0 DC {p.dc:.6g}")
        return net

    def add(self, line: str) -> None:
        self.lines.append(line)

    def load(self, node: str) -> None:
        if self.spec.load_cap > 0:
            self.lines.append(f"CL_{node} {node} 0 {self.spec.load_cap:.6g}")

    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def _fail(name: str, detail: str, _missing: dict[str, str] | None = None, **figs: float) -> CheckResult:
    return CheckResult(name, False, detail, figs, unmeasured=dict(_missing or {}))


def _ok(name: str, detail: str, _missing: dict[str, str] | None = None, **figs: float) -> CheckResult:
    return CheckResult(name, True, detail, figs, unmeasured=dict(_missing or {}))


def _measure(figs: dict[str, float], missing: dict[str, str], name: str, fn: Callable[[], float]) -> bool:
    """Store ``fn()`` as figure ``name``; a measurement error is recorded in ``missing`` (it
    reaches summary.json as ``unmeasured``) instead of being swallowed. Returns success."""
    try:
        figs[name] = float(fn())
        return True
    except (ChipsmithError, ValueError, IndexError, ZeroDivisionError, FloatingPointError) as exc:
        missing[name] = exc.one_line() if isinstance(exc, ChipsmithError) else f"{type(exc).__name__}: {exc}"
        return False


def _h(result: SimResult, node: str) -> np.ndarray:
    return np.asarray(result.ac.get(node), dtype=complex)


def _at(x: np.ndarray, y: np.ndarray, x0: float) -> float:
    return float(np.interp(x0, x, y))


def _power(result: SimResult) -> float:
    return abs(measure.quiescent_power(result.op, "vdd_1"))


def _signed(h0: complex) -> float:
    return float(abs(h0) * (1.0 if h0.real >= 0 else -1.0))


# --- families -------------------------------------------------------------------------------

def _amplifier(design: Design, spec: Spec) -> Testbench:
    b = _Bench(design, spec)
    inp, out = design.ports_of("voltage_in")[0], design.ports_of("voltage_out")[0]
    net = b.copy(1, {})
    b.add(f"Vin_1 {net[inp.name]} 0 DC {inp.dc:.6g} AC 1")
    b.load(net[out.name])
    kind = get_kind(design.kind)
    follower = kind.name == "source_follower"
    vdd = design.vdd

    def evaluate(r: SimResult) -> list[CheckResult]:
        h = _h(r, net[out.name])
        gain = _signed(h[0])
        figs = {"gain": gain, "gain_db": float(measure.db(gain)), "power_w": _power(r)}
        missing: dict[str, str] = {}

        def swing() -> float:
            lo, hi = measure.output_swing(r.dc, net[out.name])
            return hi - lo

        _measure(figs, missing, "swing_v", swing)
        if abs(gain) > 1:
            _measure(figs, missing, "ugf_hz", lambda: measure.unity_gain_frequency(r.ac, net[out.name]))
        if _measure(figs, missing, "bw_hz", lambda: measure.bandwidth_3db(r.ac, net[out.name])):
            figs["gbw_hz"] = abs(gain) * figs["bw_hz"]
        else:
            missing["gbw_hz"] = "needs bw_hz: " + missing["bw_hz"]
        vout = r.op.v(net[out.name])
        figs["vout_dc"] = vout
        if follower:
            if not 0.5 < gain < 1.05:
                return [_fail("functional", f"a source follower needs a gain between 0.5 and 1.05, measured "
                                            f"{gain:.3f}", missing, **figs)]
            return [_ok("functional", f"follower gain {gain:.3f}", missing, **figs)]
        if abs(gain) <= 1:
            return [_fail("functional", f"|gain| at low frequency is {abs(gain):.3f} (<= 1) with the input at "
                                        f"{inp.dc:g} V (output sits at {vout:.3f} V of {vdd:g} V)", missing, **figs)]
        if kind.inverting and gain > 0:
            return [_fail("functional", f"gain is +{gain:.2f}: a {kind.name} must invert", missing, **figs)]
        return [_ok("functional", f"gain {gain:.2f} ({figs['gain_db']:.1f} dB)", missing, **figs)]

    return Testbench(b.text(), (Op(), Ac(1.0, 1e10, 10), Dc("vin_1", 0.0, vdd, vdd / 180)),
                     (), evaluate)


def _diff_amp(design: Design, spec: Spec) -> Testbench:
    b = _Bench(design, spec)
    (inp, inn) = design.ports_of("voltage_in")
    outs = design.ports_of("voltage_out")
    n1 = b.copy(1, {})
    b.add(f"Vp_1 {n1[inp.name]} 0 DC {inp.dc:.6g} AC 0.5")
    b.add(f"Vn_1 {n1[inn.name]} 0 DC {inn.dc:.6g} AC -0.5")
    n2 = b.copy(2, {inp.name: "cm_2", inn.name: "cm_2"})
    b.add(f"Vcm_2 cm_2 0 DC {inp.dc:.6g} AC 1")
    for o in outs:
        b.load(n1[o.name])
        b.load(n2[o.name])

    def evaluate(r: SimResult) -> list[CheckResult]:
        hd = _h(r, n1[outs[0].name]) - (_h(r, n1[outs[1].name]) if len(outs) > 1 else 0)
        hc = _h(r, n2[outs[0].name])
        gd, gc = _signed(hd[0]), abs(hc[0])
        figs = {"gain": gd, "gain_db": float(measure.db(gd)), "cm_gain_db": float(measure.db(gc)),
                "cmrr_db": float(measure.db(abs(gd) / max(gc, 1e-12))), "power_w": _power(r)}
        if abs(gd) <= 1:
            return [_fail("functional", f"differential gain {abs(gd):.3f} is not above 1", **figs)]
        if gd < 0:
            return [_fail("functional", f"differential gain is negative ({gd:.2f}): {outs[0].name} must follow "
                                        f"{inp.name}", **figs)]
        if gc >= abs(gd):
            return [_fail("functional", f"common-mode gain {gc:.3f} is not below the differential gain {gd:.3f}",
                          **figs)]
        return [_ok("functional", f"differential gain {gd:.2f}, CMRR {figs['cmrr_db']:.1f} dB", **figs)]

    return Testbench(b.text(), (Op(), Ac(1.0, 1e10, 10)), (), evaluate)


def _opamp(design: Design, spec: Spec) -> Testbench:
    b = _Bench(design, spec)
    (inp, inn) = design.ports_of("voltage_in")
    out = design.ports_of("voltage_out")[0]
    vcm, vdd = inp.dc, design.vdd
    # 1: open loop at the unity-feedback operating point (DC through L, AC grounded by C)
    n1 = b.copy(1, {})
    b.add(f"Vp_1 {n1[inp.name]} 0 DC {vcm:.6g} AC 1")
    b.add(f"Lfb_1 {n1[out.name]} {n1[inn.name]} 1e9")
    b.add(f"Cfb_1 {n1[inn.name]} 0 1e3")
    b.load(n1[out.name])
    # 2: common mode: both inputs carry the same AC signal
    n2 = b.copy(2, {})
    b.add(f"Vp_2 {n2[inp.name]} 0 DC {vcm:.6g} AC 1")
    b.add(f"Lfb_2 {n2[out.name]} {n2[inn.name]} 1e9")
    b.add(f"Cfb_2 {n2[inn.name]} {n2[inp.name]} 1e3")
    b.load(n2[out.name])
    # 3: unity-gain follower, 200 mV step
    n3 = b.copy(3, {inn.name: f"{out.name}_3"})
    b.add(f"Vp_3 {n3[inp.name]} 0 DC {vcm - 0.1:.6g} PULSE({vcm - 0.1:.6g} {vcm + 0.1:.6g} 0.5u 1n 1n 10u 20u)")
    b.load(n3[out.name])
    stop = 3e-6

    def evaluate(r: SimResult) -> list[CheckResult]:
        o1 = n1[out.name]
        h = _h(r, o1)
        a0 = _signed(h[0])
        figs = {"gain": a0, "gain_db": float(measure.db(a0)), "power_w": _power(r),
                "cm_gain_db": float(measure.db(abs(_h(r, n2[out.name])[0])))}
        figs["cmrr_db"] = figs["gain_db"] - figs["cm_gain_db"]
        missing: dict[str, str] = {}
        if _measure(figs, missing, "ugf_hz", lambda: measure.unity_gain_frequency(r.ac, o1)):
            figs["gbw_hz"] = figs["ugf_hz"]
        else:
            missing["gbw_hz"] = "needs ugf_hz: " + missing["ugf_hz"]
        _measure(figs, missing, "pm_deg", lambda: measure.phase_margin(r.ac, o1))
        t = np.asarray(r.tran.x)
        y = np.asarray(r.tran.get(n3[out.name])).real
        tail = y[t > stop * 0.8]
        final = float(tail[-1]) if tail.size else float("nan")
        ripple = float(np.ptp(tail)) if tail.size else float("nan")
        figs["step_final_v"] = final
        figs["step_ripple_v"] = ripple
        settled = t[np.abs(y - (vcm + 0.1)) > 0.01 * 0.2 * 10]
        figs["settle_s"] = float(max(0.0, settled[-1] - 0.5e-6)) if settled.size else 0.0
        if r.dc is not None:  # unity-follower sweep: the output range over which it tracks the input
            xin = np.asarray(r.dc.x)
            yout = np.asarray(r.dc.get(n3[out.name])).real
            good = np.abs(yout - xin) < 0.02
            centre = int(np.argmin(np.abs(xin - vcm)))
            if good[centre]:
                lo_i = hi_i = centre
                while lo_i > 0 and good[lo_i - 1]:
                    lo_i -= 1
                while hi_i < good.size - 1 and good[hi_i + 1]:
                    hi_i += 1
                figs["swing_v"] = float(yout[hi_i] - yout[lo_i])
                figs["swing_low_v"], figs["swing_high_v"] = float(yout[lo_i]), float(yout[hi_i])
        if abs(a0) <= 1:
            return [_fail("functional", f"open-loop differential gain is {abs(a0):.3f} (<= 1)", missing, **figs)]
        if a0 < 0:
            return [_fail("functional", f"open-loop gain is negative ({a0:.1f}): {out.name} must rise with "
                                        f"{inp.name} (swap the inputs)", missing, **figs)]
        if figs["cm_gain_db"] >= figs["gain_db"]:
            return [_fail("functional", f"common-mode gain {figs['cm_gain_db']:.1f} dB is not below the "
                                        f"differential gain {figs['gain_db']:.1f} dB", missing, **figs)]
        if not (abs(final - (vcm + 0.1)) < 0.05 and ripple < 0.02):
            return [_fail("functional", f"unstable or not settling in unity feedback: step to {vcm + 0.1:.3f} V "
                                        f"ends at {final:.3f} V with {ripple * 1e3:.1f} mV ripple", missing, **figs)]
        if "pm_deg" not in figs:  # an unmeasured phase margin fails the stability check
            return [_fail("functional", f"stability not shown: phase margin could not be measured "
                                        f"({missing['pm_deg']})", missing, **figs)]
        if figs["pm_deg"] < 20:
            return [_fail("functional", f"phase margin {figs['pm_deg']:.1f} deg in unity feedback is too small "
                                        "(< 20 deg)", missing, **figs)]
        return [_ok("functional", f"gain {figs['gain_db']:.1f} dB, CMRR {figs['cmrr_db']:.1f} dB, unity "
                                  f"follower settles", missing, **figs)]

    return Testbench(b.text(), (Op(), Ac(1.0, 1e10, 10), Tran(5e-9, stop), Dc("vp_3", 0.0, vdd, vdd / 180)),
                     (), evaluate)


def _comparator(design: Design, spec: Spec) -> Testbench:
    b = _Bench(design, spec)
    (inp, inn) = design.ports_of("voltage_in")
    out = design.ports_of("voltage_out")[0]
    vcm, vdd = inn.dc, design.vdd
    n1 = b.copy(1, {})
    b.add(f"Vp_1 {n1[inp.name]} 0 DC {vcm:.6g}")
    b.add(f"Vn_1 {n1[inn.name]} 0 DC {vcm:.6g}")
    b.load(n1[out.name])

    def evaluate(r: SimResult) -> list[CheckResult]:
        x = np.asarray(r.dc.x)
        y = np.asarray(r.dc.get(n1[out.name])).real
        lo, hi = _at(x, y, vcm - 0.01), _at(x, y, vcm + 0.01)
        figs = {"vout_low": lo, "vout_high": hi, "power_w": _power(r)}
        above = np.nonzero(y > vdd / 2)[0]
        if above.size:
            figs["offset_v"] = float(x[above[0]] - vcm)
        if not (lo < 0.1 * vdd and hi > 0.9 * vdd):
            return [_fail("functional", f"output is {lo:.3f} V at {inp.name}={inn.name}-10mV and {hi:.3f} V at "
                                        f"+10mV; a comparator must swing below {0.1 * vdd:.2f} V and above "
                                        f"{0.9 * vdd:.2f} V", **figs)]
        return [_ok("functional", f"decides within 10 mV (offset {figs.get('offset_v', 0) * 1e3:.1f} mV)",
                    **figs)]

    return Testbench(b.text(), (Op(), Dc("vp_1", vcm - 0.05, vcm + 0.05, 0.0005)), (), evaluate)


def _mirror(design: Design, spec: Spec) -> Testbench:
    b = _Bench(design, spec)
    iin = design.ports_of("current_in")[0]
    iout = design.ports_of("current_out")[0]
    vdd = design.vdd
    vmin = float(design.params.get("vmin", 0.5))
    n1 = b.copy(1, {})
    b.add(f"Iref_1 vdd_1 {n1[iin.name]} DC {iin.dc:.6g}")
    b.add(f"Vload_1 {n1[iout.name]} 0 DC {(vmin + vdd) / 2:.6g}")
    tol = spec.targets.tolerance

    def evaluate(r: SimResult) -> list[CheckResult]:
        x = np.asarray(r.dc.x)
        i = -np.asarray(r.dc.get("vload_1#branch")).real
        sel = x >= vmin - 1e-9
        ratio = i[sel] / iout.dc
        err = float(np.max(np.abs(ratio - 1.0)))
        dv = float(x[sel][-1] - x[sel][0])
        di = float(i[sel][-1] - i[sel][0])
        figs = {"iout_a": float(_at(x, i, (vmin + vdd) / 2)), "max_error": err,
                "rout_ohm": dv / di if di > 0 else float("inf"), "compliance_v": vmin}
        if err > tol:
            worst = float(x[sel][int(np.argmax(np.abs(ratio - 1.0)))])
            return [_fail("functional", f"output current deviates {err * 100:.1f}% from {iout.dc * 1e6:g} uA at "
                                        f"{worst:.2f} V (tolerance {tol * 100:g}% over {vmin:g}..{vdd:g} V)",
                          **figs)]
        return [_ok("functional", f"tracks the reference within {err * 100:.1f}% over {vmin:g}..{vdd:g} V, "
                                  f"Rout {figs['rout_ohm'] / 1e6:.2f} Mohm", **figs)]

    return Testbench(b.text(), (Op(), Dc("vload_1", 0.0, vdd, vdd / 90)), ("vload_1#branch",), evaluate)


def _inverter(design: Design, spec: Spec) -> Testbench:
    b = _Bench(design, spec)
    inp, out = design.ports_of("voltage_in")[0], design.ports_of("voltage_out")[0]
    vdd = design.vdd
    n1 = b.copy(1, {})
    b.add(f"Vin_1 {n1[inp.name]} 0 DC 0")

    def evaluate(r: SimResult) -> list[CheckResult]:
        x = np.asarray(r.dc.x)
        y = np.asarray(r.dc.get(n1[out.name])).real
        voh, vol = float(y[0]), float(y[-1])
        cross = np.nonzero(y < vdd / 2)[0]
        vm = float(x[cross[0]]) if cross.size else float("nan")
        gain = float(np.max(np.abs(np.gradient(y, x))))
        figs = {"voh_v": voh, "vol_v": vol, "vm_v": vm, "gain": gain}
        if not (voh > 0.9 * vdd and vol < 0.1 * vdd):
            return [_fail("functional", f"logic levels VOH={voh:.3f} V, VOL={vol:.3f} V; need > {0.9 * vdd:.2f} "
                                        f"and < {0.1 * vdd:.2f} V", **figs)]
        if not 0.3 * vdd < vm < 0.7 * vdd or gain <= 1:
            return [_fail("functional", f"switching threshold {vm:.3f} V (gain {gain:.1f}) is outside "
                                        f"{0.3 * vdd:.2f}..{0.7 * vdd:.2f} V", **figs)]
        return [_ok("functional", f"VOH {voh:.2f} V, VOL {vol:.3f} V, threshold {vm:.3f} V", **figs)]

    return Testbench(b.text(), (Op(), Dc("vin_1", 0.0, vdd, vdd / 180)), (), evaluate)


def _schmitt(design: Design, spec: Spec) -> Testbench:
    b = _Bench(design, spec)
    inp, out = design.ports_of("voltage_in")[0], design.ports_of("voltage_out")[0]
    vdd = design.vdd
    n1 = b.copy(1, {})
    b.add(f"Vin_1 {n1[inp.name]} 0 DC 0 PWL(0 0 10u {vdd:.6g} 20u 0)")
    b.load(n1[out.name])

    def evaluate(r: SimResult) -> list[CheckResult]:
        t = np.asarray(r.tran.x)
        vin = np.asarray(r.tran.get(n1[inp.name])).real
        y = np.asarray(r.tran.get(n1[out.name])).real
        up, down = t <= 10e-6, t > 10e-6
        fall = np.nonzero(up & (y < vdd / 2))[0]
        rise = np.nonzero(down & (y > vdd / 2))[0]
        figs = {"voh_v": float(y[0]), "vol_v": float(np.min(y))}
        if not fall.size or not rise.size:
            return [_fail("functional", "output never switches both ways under a 0..vdd..0 input ramp", **figs)]
        vt_hi, vt_lo = float(vin[fall[0]]), float(vin[rise[0]])
        figs.update(vth_rise_v=vt_hi, vth_fall_v=vt_lo, hysteresis_v=vt_hi - vt_lo)
        if vt_hi - vt_lo < 0.05 * vdd:
            return [_fail("functional", f"hysteresis {1e3 * (vt_hi - vt_lo):.0f} mV is below {0.05 * vdd * 1e3:.0f} "
                                        f"mV (thresholds {vt_hi:.3f} / {vt_lo:.3f} V)", **figs)]
        if figs["voh_v"] < 0.9 * vdd or figs["vol_v"] > 0.1 * vdd:
            return [_fail("functional", f"logic levels {figs['voh_v']:.2f} / {figs['vol_v']:.2f} V are not "
                                        "rail to rail", **figs)]
        return [_ok("functional", f"thresholds {vt_hi:.3f} V up / {vt_lo:.3f} V down, hysteresis "
                                  f"{1e3 * (vt_hi - vt_lo):.0f} mV", **figs)]

    return Testbench(b.text(), (Op(), Tran(20e-9, 20e-6)), (), evaluate)


def _oscillator(design: Design, spec: Spec) -> Testbench:
    b = _Bench(design, spec)
    out = design.ports_of("voltage_out")[0]
    vdd = design.vdd
    n1 = b.copy(1, {})
    b.load(n1[out.name])
    f_want = spec.targets.frequency_hz
    stop = max(40e-9, 16.0 / f_want) if f_want else 40e-9
    step = stop / 4000

    def evaluate(r: SimResult) -> list[CheckResult]:
        t = np.asarray(r.tran.x)
        y = np.asarray(r.tran.get(n1[out.name])).real
        half = t > stop / 3
        tt, yy = t[half], y[half]
        above = yy > vdd / 2
        edges = np.nonzero(above[1:] & ~above[:-1])[0]
        figs = {"amplitude_v": float(np.ptp(yy)) if yy.size else 0.0}
        if edges.size < 4:
            return [_fail("functional", f"output is not periodic: {edges.size} rising edges in the last "
                                        f"{(stop * 2 / 3) * 1e9:.0f} ns (amplitude {figs['amplitude_v']:.2f} V)",
                          **figs)]
        te = tt[edges]
        periods = np.diff(te)
        period = float(np.mean(periods))
        figs.update(frequency_hz=1.0 / period, period_s=period,
                    jitter=float(np.ptp(periods) / period) if periods.size > 1 else 0.0)
        if figs["amplitude_v"] < 0.8 * vdd:
            return [_fail("functional", f"oscillation amplitude {figs['amplitude_v']:.2f} V is below "
                                        f"{0.8 * vdd:.2f} V", **figs)]
        if figs["jitter"] > 0.05:
            return [_fail("functional", f"period varies {figs['jitter'] * 100:.1f}% between cycles", **figs)]
        return [_ok("functional", f"oscillates at {figs['frequency_hz'] / 1e6:.1f} MHz, "
                                  f"{figs['amplitude_v']:.2f} V peak to peak", **figs)]

    return Testbench(b.text(), (Op(), Tran(step, stop, uic=True)), (), evaluate)


def _opamp_app(design: Design, spec: Spec) -> Testbench:
    b = _Bench(design, spec)
    ins = design.ports_of("voltage_in")
    out = design.ports_of("voltage_out")[0]
    kind = design.kind
    params = design.params
    g = float(params.get("gain", 1.0))
    tau = float(params.get("tau", 1e-6))
    tol = spec.targets.tolerance
    nets = []
    if kind in ("summer",):
        for j, _ in enumerate(ins):
            n = b.copy(j + 1, {})
            for k2, p in enumerate(ins):
                b.add(f"Vin_{j + 1}_{k2} {n[p.name]} 0 DC {p.dc:.6g}" + (" AC 1" if k2 == j else ""))
            b.load(n[out.name])
            nets.append(n)
    elif kind == "subtractor":
        n = b.copy(1, {})
        b.add(f"Vin_1_0 {n[ins[0].name]} 0 DC {ins[0].dc:.6g} AC 0.5")
        b.add(f"Vin_1_1 {n[ins[1].name]} 0 DC {ins[1].dc:.6g} AC -0.5")
        b.load(n[out.name])
        nets.append(n)
        n = b.copy(2, {ins[0].name: "cm_2", ins[1].name: "cm_2"})
        b.add(f"Vcm_2 cm_2 0 DC {ins[0].dc:.6g} AC 1")
        b.load(n[out.name])
        nets.append(n)
    else:
        n = b.copy(1, {})
        b.add(f"Vin_1 {n[ins[0].name]} 0 DC {ins[0].dc:.6g} AC 1")
        b.load(n[out.name])
        nets.append(n)
    f_lo = 100.0
    f_int = 0.5 / (2 * math.pi * tau)

    def ideal(f: float) -> complex:
        s = 2j * math.pi * f
        return {"inverting_amp": -g, "noninverting_amp": g, "integrator": -1 / (s * tau),
                "differentiator": -s * tau, "summer": -g, "subtractor": g}[kind]

    def evaluate(r: SimResult) -> list[CheckResult]:
        f = np.asarray(r.ac.x)
        figs: dict[str, float] = {"power_w": _power(r)}
        missing: dict[str, str] = {}
        checks = []
        probe = f_int if kind in ("integrator", "differentiator") else f_lo
        for j, n in enumerate(nets if kind != "subtractor" else nets[:1]):
            h = _h(r, n[out.name])
            hf = complex(np.interp(np.log10(probe), np.log10(f), h.real),
                         np.interp(np.log10(probe), np.log10(f), h.imag))
            want = ideal(probe)
            err = abs(hf - want) / abs(want)
            tag = f"_{j + 1}" if len(nets) > 1 and kind == "summer" else ""
            figs[f"gain{tag}"] = _signed(hf) if kind not in ("integrator", "differentiator") else abs(hf)
            figs[f"error{tag}"] = err
            if kind not in ("integrator", "differentiator"):
                figs["gain_db"] = float(measure.db(hf))
                _measure(figs, missing, "bw_hz", lambda: measure.bandwidth_3db(r.ac, n[out.name]))
            else:
                figs["phase_deg"] = float(np.degrees(np.angle(hf)))
            checks.append((err, probe, hf, want, ins[j].name if kind == "summer" else ins[0].name))
        if kind == "subtractor":
            cm = abs(_h(r, nets[1][out.name])[0])
            figs["cm_gain"] = cm
            if cm > g * 0.1:
                return [_fail("functional", f"common-mode gain {cm:.3f} is above 10% of the differential gain "
                                            f"{g:g}", missing, **figs)]
        for err, probe_f, got, want, name in checks:
            if err > tol:
                return [_fail("functional", f"transfer from {name} at {probe_f:.3g} Hz is {got.real:.3f}"
                                            f"{got.imag:+.3f}j, ideal {want.real:.3f}{want.imag:+.3f}j "
                                            f"(error {err * 100:.1f}% > {tol * 100:g}%)", missing, **figs)]
        worst = max(c[0] for c in checks)
        return [_ok("functional", f"transfer within {worst * 100:.1f}% of ideal", missing, **figs)]

    return Testbench(b.text(), (Op(), Ac(10.0, 1e9, 10)), (), evaluate)


def _reference(design: Design, spec: Spec) -> Testbench:
    b = _Bench(design, spec)
    out = design.ports[0]
    vdd = design.vdd
    n1 = b.copy(1, {})
    current = out.kind == "current_out"
    if current:
        b.add(f"Vload_1 {n1[out.name]} 0 DC {vdd / 2:.6g}")
    lo, hi = round(0.8 * vdd, 3), round(1.2 * vdd, 3)

    def value(r_vec) -> np.ndarray:
        return -np.asarray(r_vec).real if current else np.asarray(r_vec).real

    def evaluate(r: SimResult) -> list[CheckResult]:
        x = np.asarray(r.dc.x)
        y = value(r.dc.get("vload_1#branch" if current else n1[out.name]))
        nominal = float(_at(x, y, vdd))
        spread = float(np.ptp(y) / abs(nominal)) if nominal else float("inf")
        unit = "A" if current else "V"
        figs = {"nominal": nominal, "supply_sensitivity": spread, "power_w": _power(r)}
        if current and nominal < 1e-6 or (not current and nominal < 0.2):
            return [_fail("functional", f"reference did not start: output {nominal:.3g} {unit} at vdd={vdd:g} V",
                          **figs)]
        if spread > 0.05:
            return [_fail("functional", f"output changes {spread * 100:.1f}% for vdd {lo:g}..{hi:g} V "
                                        "(limit 5%)", **figs)]
        return [_ok("functional", f"output {nominal:.4g} {unit}, {spread * 100:.2f}% over vdd {lo:g}..{hi:g} V",
                    **figs)]

    save = ("vload_1#branch",) if current else ()
    return Testbench(b.text(), (Op(), Dc("vdd_1", lo, hi, 0.01)), save, evaluate)


def _bandgap(design: Design, spec: Spec) -> Testbench:
    b = _Bench(design, spec)
    out = design.ports[0]
    n1 = b.copy(1, {})
    b.load(n1[out.name])
    vdd = design.vdd
    lo, hi = round(0.9 * vdd, 3), round(1.2 * vdd, 3)

    def evaluate(r: SimResult) -> list[CheckResult]:
        x = np.asarray(r.dc.x)
        y = np.asarray(r.dc.get(n1[out.name])).real
        nominal = float(_at(x, y, vdd))
        spread = float(np.ptp(y) / nominal) if nominal else float("inf")
        figs = {"vref_v": nominal, "supply_sensitivity": spread, "power_w": _power(r)}
        if not 0.9 < nominal < 1.5:
            return [_fail("functional", f"reference is {nominal:.3f} V, a bandgap gives 1.1..1.4 V", **figs)]
        if spread > 0.05:
            return [_fail("functional", f"output changes {spread * 100:.1f}% for vdd {lo:g}..{hi:g} V", **figs)]
        return [_ok("functional", f"vref {nominal:.3f} V, {spread * 100:.2f}% over vdd {lo:g}..{hi:g} V", **figs)]

    return Testbench(b.text(), (Op(), Dc("vdd_1", lo, hi, 0.02)), (), evaluate, temps=(-20.0, 27.0, 85.0))


def _ldo(design: Design, spec: Spec) -> Testbench:
    b = _Bench(design, spec)
    out = design.ports_of("voltage_out")[0]
    n1 = b.copy(1, {})
    iload = float(design.params.get("iload", 1e-3))
    b.add(f"Iload_1 {n1[out.name]} 0 DC {iload / 10:.6g} PULSE({iload / 10:.6g} {iload:.6g} 1u 10n 10n 1.5u 4u)")
    b.load(n1[out.name])
    vdd = design.vdd
    lo, hi = round(vdd - 0.3, 3), round(vdd + 0.3, 3)
    target = out.dc

    def evaluate(r: SimResult) -> list[CheckResult]:
        vout = r.op.v(n1[out.name])
        y = np.asarray(r.dc.get(n1[out.name])).real
        line = float(np.ptp(y) / target)
        t = np.asarray(r.tran.x)
        yt = np.asarray(r.tran.get(n1[out.name])).real
        loaded = yt[(t > 2.2e-6) & (t < 2.5e-6)]
        unloaded = yt[t > 3.6e-6]
        load_reg = float(abs(np.mean(loaded) - np.mean(unloaded)) / target) if loaded.size and unloaded.size else 1.0
        ripple = float(np.ptp(loaded)) if loaded.size else float("inf")
        figs = {"vout_v": vout, "line_regulation": line, "load_regulation": load_reg, "ripple_v": ripple,
                "dropout_headroom_v": vdd - vout, "power_w": _power(r)}
        if abs(vout - target) > 0.03 * target:
            return [_fail("functional", f"output {vout:.3f} V is not within 3% of {target:g} V", **figs)]
        if line > 0.02:
            return [_fail("functional", f"output moves {line * 100:.2f}% for vdd {lo:g}..{hi:g} V (limit 2%)", **figs)]
        if load_reg > 0.02 or ripple > 0.01 * target:
            return [_fail("functional", f"load step {iload / 10 * 1e3:g}->{iload * 1e3:g} mA: output moves "
                                        f"{load_reg * 100:.2f}% and rings {ripple * 1e3:.1f} mV (limits 2%, 1%)",
                          **figs)]
        return [_ok("functional", f"vout {vout:.3f} V, line {line * 100:.2f}%, load {load_reg * 100:.2f}% for a "
                                  f"{iload * 1e3:g} mA step", **figs)]

    return Testbench(b.text(), (Op(), Dc("vdd_1", lo, hi, 0.02), Tran(2e-9, 4e-6)), (), evaluate)


_BUILDERS: dict[str, Callable[[Design, Spec], Testbench]] = {
    "telescopic": _opamp, "ldo": _ldo,
    "cs_amp": _amplifier, "source_follower": _amplifier, "cascode_amp": _amplifier,
    "diff_amp": _diff_amp, "ota5t": _opamp, "two_stage_opamp": _opamp, "folded_cascode": _opamp,
    "mirror_simple": _mirror, "mirror_cascode": _mirror, "mirror_wilson": _mirror,
    "inverter": _inverter, "schmitt": _schmitt, "ring_oscillator": _oscillator, "comparator": _comparator,
    "inverting_amp": _opamp_app, "noninverting_amp": _opamp_app, "integrator": _opamp_app,
    "differentiator": _opamp_app, "summer": _opamp_app, "subtractor": _opamp_app,
    "beta_multiplier": _reference, "bandgap": _bandgap,
}


def testbench(design: Design, spec: Spec) -> Testbench:
    """The functional testbench for ``design`` (its ``kind`` picks the family)."""
    return _BUILDERS[get_kind(design.kind).name](design, spec)


testbench.__test__ = False  # not a pytest test despite the name
Testbench.__test__ = False


def target_checks(spec: Spec, figs: dict[str, float], unmeasured: dict[str, str] | None = None) -> list[CheckResult]:
    """One ``target:<name>`` check per stated target, comparing with the measured figure."""
    out = []
    t = spec.targets
    rules: Sequence[tuple[str, float | None, str, str, str]] = (
        ("gain_db", t.gain_db, "gain_db", ">=", "dB"),
        ("gbw_hz", t.gbw_hz, "gbw_hz", ">=", "Hz"),
        ("pm_deg", t.pm_deg, "pm_deg", ">=", "deg"),
        ("power_w", t.power_w, "power_w", "<=", "W"),
        ("swing_v", t.swing_v, "swing_v", ">=", "V"),
        ("frequency_hz", t.frequency_hz, "frequency_hz", "~", "Hz"),
    )
    for name, want, fig, op, unit in rules:
        if want is None:
            continue
        got = figs.get(fig)
        if got is None or not math.isfinite(got):
            why = (unmeasured or {}).get(fig)
            out.append(CheckResult(f"target:{name}", False, f"{name} was not measured for this circuit "
                                                            f"(wanted {op} {want:g} {unit})"
                                   + (f": {why}" if why else "")))
            continue
        if op == ">=":
            ok = got >= want
        elif op == "<=":
            ok = got <= want
        else:
            ok = abs(got - want) <= t.tolerance * want
        text = f"{name} = {got:.4g} {unit}, target {op} {want:.4g} {unit}"
        out.append(CheckResult(f"target:{name}", ok, text, {name: got}))
    return out
