"""The judge's waveform benches: the signals a designer puts on a bench for switching and
op-amp application circuits, and what the output must look like.

- comparator: a DC sweep of the input over 0..vdd switches the output exactly once, sharply
  (10 %..90 % of the swing within 100 mV of input), and, where the reference is a port (or
  the other input of a pair), driving that port at a second level moves the decision level
  by the same amount (within 50 mV): the threshold follows the reference.
- Schmitt trigger: a sine over most of the supply (0.05..0.95 vdd, 10 kHz) gives a
  two-level output (>= 90 % of the time within 15 % of vdd of a rail), switching twice
  per period, at input levels that differ between the rising and the falling edge.
- integrator: a square wave (+-0.1 V about the input level that centres the output, at
  twice the unity-gain frequency) gives a triangle: in each half period the output is a
  straight line (rms deviation <= 5 % of its excursion), the slope opposes the input
  (inverting; the same sign when non-inverting was asked), equal in size on both halves
  (within 30 %).
- differentiator: a triangle (+-0.3 V, a quarter of the unity-gain frequency) gives a
  square wave: flat in each half period (spread <= 20 % of the step), the level below the
  mean while the input rises (inverting; above when non-inverting was asked).
- linear relations: the output moves by ``sum(c_i * dv_i)`` for three joint input steps
  about the base point (within the relation's tolerance): linear over a range, not just
  at one point.
"""
from __future__ import annotations

import math

import numpy as np

from chipsmith.spice.judge_bench import Unverifiable, net
from chipsmith.spice.runner import Dc, Op, Tran


def _save(expr: str) -> str:
    return expr if expr.startswith("v(") else f"v({expr})"


def _crossings(y: np.ndarray, level: float) -> np.ndarray:
    s = np.sign(y - level)
    s[s == 0] = 1
    return np.nonzero(np.diff(s) != 0)[0]


# --- comparators -------------------------------------------------------------------------------

def _sweep_with(h, inp: str, other: str | None, level: float | None, tag: str):
    out = h.out_expr()
    over = {inp: f"vsw {{n}} 0 dc {h.input_dc(inp)!r}"}
    if other is not None and level is not None:
        over[other] = f"vjref {{n}} 0 dc {level!r}"
    res = h.run(f"cmpsweep:{tag}", lambda: h.deck(over), [Dc("vsw", 0.0, h.vdd, h.vdd / 360)], save=[_save(out)])
    return np.asarray(res.dc.x), np.real(np.asarray(res.dc.get(_save(out))))


def _decision(x: np.ndarray, y: np.ndarray) -> tuple[int, float | None, float | None]:
    """(number of switchings, input level of the first, 10..90 % width) of a DC transfer."""
    lo, hi = float(y.min()), float(y.max())
    mid, swing = (lo + hi) / 2, hi - lo
    idx = _crossings(y, mid)
    if idx.size == 0 or swing <= 0:
        return 0, None, None
    k = int(idx[0])
    x0 = float(x[k] + (mid - y[k]) / (y[k + 1] - y[k]) * (x[k + 1] - x[k])) if y[k + 1] != y[k] else float(x[k])
    start, end = float(y[0]), float(y[-1])
    before = np.nonzero(np.abs(y[:k + 1] - start) <= 0.1 * swing)[0]
    after = np.nonzero(np.abs(y[k + 1:] - end) <= 0.1 * swing)[0]
    width = None
    if before.size and after.size:
        width = float(x[k + 1 + int(after[0])] - x[int(before[-1])])
    return int(idx.size), x0, width


def comparator_checks(h, other: str | None, level: float | None) -> tuple[list[str], list[str]]:
    """(problems, facts) of the sweep checks (see the module docstring)."""
    inp = h.main_input()
    if inp is None:
        raise Unverifiable("a comparator needs a signal input")
    problems, facts = [], []
    x, y = _sweep_with(h, inp, None, None, "base")
    n, x0, width = _decision(x, y)
    if n == 0:
        return ["the output never switches over the input range"], facts
    facts.append(f"a DC sweep of {inp} switches the output {n} time(s), first at {x0:.3g} V"
                 + (f", 10-90% within {width * 1e3:.0f} mV" if width is not None else ""))
    if n != 1:
        problems.append(f"the output switches {n} times over 0..vdd (a comparator switches once)")
    if width is None or width > 0.1:
        problems.append("the transition is not sharp (10-90% of the swing over more than 100 mV of input)")
    if other is not None and level is not None and not problems:
        # a second level 0.25 V away (upwards first); an input stage may run out of common-mode
        # range on one side, so the other side is tried before calling it a failure
        seconds = [v for v in (level + 0.25, level - 0.25) if 0.3 <= v <= h.vdd - 0.4]
        tried = []
        for second in seconds:
            x2, y2 = _sweep_with(h, inp, other, second, f"ref{second!r}")
            _, x02, _ = _decision(x2, y2)
            tried.append((second, x02))
            if x02 is not None and abs((x02 - x0) - (second - level)) <= 0.05:
                facts.append(f"with {other} at {second:.3g} V instead of {level:.3g} V the decision moves to "
                             f"{x02:.3g} V")
                break
        else:
            if not seconds:
                facts.append(f"{other} at {level:.3g} V leaves no room for a second reference level")
            else:
                seen = ", ".join(f"{x02:.3g} V with {other} at {v:.3g} V" if x02 is not None else
                                 f"no switching with {other} at {v:.3g} V" for v, x02 in tried)
                problems.append(f"the threshold does not follow {other} (decision {seen}; {x0:.3g} V with "
                                f"{other} at {level:.3g} V)")
    return problems, facts


# --- Schmitt trigger: sine in, square out ---------------------------------------------------------

def schmitt_sine(h) -> tuple[list[str], list[str], float | None]:
    inp = h.main_input()
    if inp is None:
        raise Unverifiable("a Schmitt trigger needs a signal input")
    out = h.out_expr()
    f, amp, mid = 10e3, 0.45 * h.vdd, h.vdd / 2
    per = 1.0 / f
    src = f"vjsin {{n}} 0 sin({mid!r} {amp!r} {f!r})"
    res = h.run("schmitt_sine", lambda: h.deck({inp: src}), [Tran(per / 1000, 3 * per)], save=[_save(out), net(inp)])
    t = np.asarray(res.tran.x)
    keep = t >= per
    t = t[keep]
    y = np.real(np.asarray(res.tran.get(_save(out))))[keep]
    xin = np.real(np.asarray(res.tran.get(net(inp))))[keep]
    tu = np.linspace(per, 3 * per, 4001)
    yu, xu = np.interp(tu, t, y), np.interp(tu, t, xin)
    near_rail = np.mean((yu < 0.15 * h.vdd) | (yu > 0.85 * h.vdd))
    idx = _crossings(yu, h.vdd / 2)
    problems, facts = [], [f"sine {mid - amp:.2f}..{mid + amp:.2f} V at {f / 1e3:g} kHz: output at a rail "
                           f"{near_rail * 100:.0f}% of the time, {idx.size} switchings in 2 periods"]
    if near_rail < 0.9:
        problems.append("the output is not a two-level (square) wave")
    if idx.size != 4:
        problems.append("the output does not switch exactly twice per input period")
        return problems, facts, None
    ups = [float(xu[k]) for k in idx if yu[k + 1] > yu[k]]
    downs = [float(xu[k]) for k in idx if yu[k + 1] < yu[k]]
    width = abs(float(np.mean(ups)) - float(np.mean(downs)))
    facts.append(f"output rises at input {np.mean(ups):.3g} V, falls at {np.mean(downs):.3g} V "
                 f"(hysteresis {width * 1e3:.0f} mV)")
    if width < 0.01:
        problems.append("no hysteresis between the rising and the falling switching levels")
    return problems, facts, width


# --- integrator / differentiator --------------------------------------------------------------------

def _pwl_square(x0: float, a: float, per: float, periods: int) -> str:
    """Square about x0 starting at x0 (so the operating point is centred), first half period short."""
    tr = per / 400
    pts = [(0.0, x0), (tr, x0 + a)]
    t, level = per / 4, x0 + a
    for _ in range(2 * periods):
        nxt = x0 - a if level > x0 else x0 + a
        pts += [(t, level), (t + tr, nxt)]
        t += per / 2
        level = nxt
    return " ".join(f"{p!r} {v!r}" for p, v in pts)


def _pwl_triangle(x0: float, a: float, per: float, periods: int) -> str:
    pts = [(0.0, x0), (per / 4, x0 + a)]
    t, level = per / 4, x0 + a
    for _ in range(2 * periods):
        t += per / 2
        level = x0 - a if level > x0 else x0 + a
        pts.append((t, level))
    return " ".join(f"{p!r} {v!r}" for p, v in pts)


def _halves(t: np.ndarray, y: np.ndarray, per: float, periods: int, skip: float):
    """(rising input?, t, y) of each half period after the first period, trimmed by ``skip``."""
    out = []
    for k in range(2, 2 * periods):
        t0 = per / 4 + (k - 1) * per / 2
        t1 = t0 + per / 2
        a, b = t0 + skip * per / 2, t1 - skip * per / 2
        sel = (t >= a) & (t <= b)
        if sel.sum() >= 8:
            rising_in = (k % 2) == 0  # first half period rises, then they alternate (square: level +a)
            out.append((rising_in, t[sel], y[sel]))
    return out


def integrator_square(h, f_unity: float, x0: float, inverting: bool) -> tuple[list[str], list[str]]:
    inp = h.main_input()
    out = h.out_expr()
    a, f, periods = 0.1, 2 * f_unity, 5
    per = 1.0 / f
    src = f"vjsq {{n}} 0 pwl({_pwl_square(x0, a, per, periods)})"
    res = h.run("integ_square", lambda: h.deck({inp: src}), [Tran(per / 400, periods * per)], save=[_save(out)])
    t, y = np.asarray(res.tran.x), np.real(np.asarray(res.tran.get(_save(out))))
    problems, facts = [], []
    slopes, devs = [], []
    for high_in, tt, yy in _halves(t, y, per, periods, 0.1):
        p = np.polyfit(tt, yy, 1)
        resid = yy - np.polyval(p, tt)
        span = abs(p[0]) * (tt[-1] - tt[0])
        slopes.append((high_in, float(p[0])))
        devs.append(float(np.sqrt(np.mean(resid ** 2)) / span) if span > 0 else math.inf)
    if not slopes:
        raise Unverifiable("the transient returned too few points")
    pp = float(y[t >= per].max() - y[t >= per].min())
    mags = [abs(s) for _, s in slopes]
    facts.append(f"square +-{a:g} V at {f:.4g} Hz: triangle {pp * 1e3:.3g} mV p-p, slopes "
                 f"{min(mags):.3g}..{max(mags):.3g} V/s, straight within {max(devs) * 100:.1f}%")
    want = -1 if inverting else 1
    wrong = [s for high_in, s in slopes if np.sign(s) != want * (1 if high_in else -1)]
    if pp < 0.02:
        problems.append("no triangle at the output")
    elif max(devs) > 0.05:
        problems.append("the output is not a straight ramp between the input edges (not a triangle)")
    if wrong:
        problems.append("the ramp has the wrong sign for an " + ("inverting" if inverting else "non-inverting")
                        + " integrator")
    if min(mags) <= 0 or max(mags) / min(mags) > 1.3:
        problems.append("the up and down ramps differ in slope")
    return problems, facts


def differentiator_triangle(h, f_unity: float, inverting: bool) -> tuple[list[str], list[str]]:
    inp = h.main_input()
    out = h.out_expr()
    x0 = h.input_dc(inp)
    a, f, periods = 0.3, f_unity / 4, 5
    per = 1.0 / f
    src = f"vjtri {{n}} 0 pwl({_pwl_triangle(x0, a, per, periods)})"
    res = h.run("diff_triangle", lambda: h.deck({inp: src}), [Tran(per / 400, periods * per)], save=[_save(out)])
    t, y = np.asarray(res.tran.x), np.real(np.asarray(res.tran.get(_save(out))))
    halves = _halves(t, y, per, periods, 0.2)
    if not halves:
        raise Unverifiable("the transient returned too few points")
    mean = float(np.mean(y[t >= per]))
    levels = [(rising, float(np.median(yy)), float(yy.max() - yy.min())) for rising, tt, yy in halves]
    ups = [lv for r, lv, _ in levels if r]
    downs = [lv for r, lv, _ in levels if not r]
    step = abs(np.mean(ups) - np.mean(downs)) if ups and downs else 0.0
    spread = max(sp for _, _, sp in levels)
    problems = []
    facts = [f"triangle +-{a:g} V at {f:.4g} Hz: output {np.mean(ups):.3g} V while the input rises, "
             f"{np.mean(downs):.3g} V while it falls (step {step * 1e3:.3g} mV, ripple {spread * 1e3:.3g} mV)"]
    if step < 0.01:
        problems.append("no square wave at the output")
    else:
        if spread > 0.2 * step:
            problems.append("the output is not flat between the input's corners (not a square wave)")
        rising_low = np.mean(ups) < mean
        if rising_low != inverting:
            problems.append("the output level has the wrong sign for an "
                            + ("inverting" if inverting else "non-inverting") + " differentiator")
    return problems, facts


# --- filters: the floor of a notch ----------------------------------------------------------------

def notch_floor(h, inp: str | None, f_notch: float) -> float:
    """Lowest |out/in| (dB) on a fine AC sweep around a notch the 20-points-per-decade sweep found:
    a sharp notch falls between its points."""
    from chipsmith.spice import measure
    from chipsmith.spice.runner import Ac

    inp = inp or h.main_input()
    out = h.out_expr()
    src = f"vac {{n}} 0 dc {h.input_dc(inp)!r} ac 1"
    res = h.run(f"notch:{inp}:{f_notch!r}", lambda: h.deck({inp: src}), [Ac(f_notch / 1.15, f_notch * 1.15, 4000)],
                save=[out])
    mag = np.asarray(measure.db(np.asarray(res.ac.get(out), dtype=complex)), dtype=float)
    return float(mag.min())


# --- linear relations over a range ------------------------------------------------------------------

def linear_points(h, coefs: dict[str, float], rel: float, abs_tol: float) -> tuple[list[str], str]:
    """(problems, detail): the output change for three joint input steps versus the relation."""
    names = list(coefs)
    base = {n: h.input_dc(n) for n in names}
    out = h.out_expr()
    patterns = [[1.0] * len(names), [1.0 if k % 2 == 0 else -0.5 for k in range(len(names))],
                [-1.0] * len(names)]

    def out_at(levels: dict[str, float], tag: str) -> float:
        over = {n: f"vjl_{n.lower()} {{n}} 0 dc {v!r}" for n, v in levels.items()}
        op = h.run(f"linpt:{tag}", lambda: h.deck(over), [Op()]).op
        return h.node_v(op, h.main_output()) if "," in out else op.voltages.get(out, math.nan)

    y0 = out_at(base, "base")
    problems, parts = [], []
    for k, pat in enumerate(patterns):
        steps = {n: 0.1 * s for n, s in zip(names, pat)}
        pred = sum(coefs[n] * steps[n] for n in names)
        if abs(pred) > 0.3 * h.vdd:  # keep the output inside the rails
            scale = 0.3 * h.vdd / abs(pred)
            steps = {n: v * scale for n, v in steps.items()}
            pred *= scale
        y = out_at({n: base[n] + steps[n] for n in names}, str(k))
        got = y - y0
        parts.append(f"{got * 1e3:+.0f} mV for {pred * 1e3:+.0f} mV")
        if not abs(got - pred) <= max(rel * abs(pred), abs_tol):
            problems.append(f"joint step {k + 1}: output moved {got * 1e3:+.0f} mV, the relation says "
                            f"{pred * 1e3:+.0f} mV")
    return problems, "joint input steps: " + ", ".join(parts)


__all__ = ["comparator_checks", "schmitt_sine", "integrator_square", "differentiator_triangle", "linear_points",
           "notch_floor"]
