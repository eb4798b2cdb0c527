"""The judge's checks for goal requests (issue 12): a figure to maximise, and no positive feedback.

A ``goal`` requirement ("maximise the voltage gain", "the best GBW per watt") has no
number to meet, so what the judge can say is: here is the figure, measured by the judge's
own testbenches (:meth:`~chipsmith.spice.judge_bench.Harness.small_signal`, the same ones
as a ``target`` of that figure), and the design is a *sane* amplifier while it delivers it:

- the output sits between the rails at the operating point (else there is no figure);
- every MOSFET conducts at least :data:`MIN_DEVICE_CURRENT` and is in saturation there
  (a starved or triode device is not an amplifier's, and external op-amp testbenches
  check the same current floor);
- no positive feedback: no cross-coupled pair, and the DC transfer swept up and down
  lands on the same curve (a latch shows hysteresis; its "gain" would be unbounded);
- op-amps (and any bandwidth goal): phase margin >= :data:`MIN_PHASE_MARGIN` with the
  judge's 1 pF load, so the figure is not bought with instability; op-amps also amplify a
  differential signal more than a common-mode one (CMRR > 0 dB).

With a ``baseline`` (the figure of the untuned template of the same topology, measured by
this judge) the goal passes only when the design beats it; without one, a sane design
with a positive figure passes. This module never imports ``chipsmith.agents``.
"""
from __future__ import annotations

import math

import numpy as np

from chipsmith.spice.judge_bench import Unverifiable, _save
from chipsmith.spice.runner import Dc

MIN_DEVICE_CURRENT = 10e-6   # A
MIN_PHASE_MARGIN = 45.0      # degrees
_HYSTERESIS_FRACTION = 0.05  # of vdd: up and down DC sweeps further apart than this = bistable


def positive_feedback(ctx) -> list[str]:
    """Evidence of positive feedback in the design (empty: none found)."""
    found = [f"cross-coupled {a.name}/{b.name}" for a, b in ctx.s.cross_coupled()]
    h = ctx.h
    inp, out = h.main_input(), h.main_output()
    if inp is None or out is None:
        return found
    try:
        gap, at = _hysteresis(h, inp)
    except Unverifiable:
        return found
    if gap > _HYSTERESIS_FRACTION * h.vdd:
        found.append(f"hysteresis: the output differs by {gap:.3g} V between up and down input sweeps "
                     f"(at {inp} = {at:.3g} V)")
    return found


def _hysteresis(h, inp: str) -> tuple[float, float]:
    """Largest output difference between an up and a down DC sweep of ``inp`` (V, at input V)."""
    out = h.out_expr()
    step = h.vdd / 360
    x_up, y_up = h.sweep(inp)

    def deck() -> str:
        return h.deck({inp: f"vsw {{n}} 0 dc {h.vdd!r}"})
    res = h.run(f"sweepdown:{inp}", deck, [Dc("vsw", h.vdd, 0.0, -step)], save=[_save(out)])
    x_dn = np.asarray(res.dc.x)
    y_dn = np.real(np.asarray(res.dc.get(_save(out))))
    order = np.argsort(x_dn)
    y_dn_on_up = np.interp(x_up, x_dn[order], y_dn[order])
    diff = np.abs(y_up - y_dn_on_up)
    k = int(np.argmax(diff))
    return float(diff[k]), float(x_up[k])


def _value(ctx, figure: str, r) -> float:
    from chipsmith.spice.judge import _figure

    if figure == "gain_vv":
        return abs(_figure(ctx, "gain_vv", r)[0])
    if figure == "gbw_per_w":
        gbw = _figure(ctx, "gbw_hz", r)[0]
        power = _figure(ctx, "power_w", r)[0]
        if not power > 0:
            raise Unverifiable("the design draws no supply power: GBW per watt is undefined")
        return gbw / power
    return float(_figure(ctx, figure, r)[0])


def sanity_problems(ctx, figure: str, r) -> list[str]:
    """Why the design is not a working amplifier while it shows ``figure`` (empty: it is)."""
    from chipsmith.spice.judge import _figure

    problems = []
    op = ctx.h.working_op()
    weak = sorted(n for n, d in op.devices.items() if not abs(d.id) >= MIN_DEVICE_CURRENT)
    if weak:
        problems.append(f"{len(weak)} MOSFET(s) conduct under {MIN_DEVICE_CURRENT * 1e6:g} uA "
                        f"({', '.join(weak[:4])})")
    linear = sorted(n for n, d in op.devices.items() if d.region != "saturation" and n not in weak)
    if linear:
        problems.append(f"MOSFET(s) out of saturation: {', '.join(linear[:4])}")
    fam = ctx.family()[0]
    if fam == "opamp" or figure in ("gbw_hz", "gbw_per_w"):
        try:
            pm = _figure(ctx, "pm_deg", r)[0]
        except Exception as exc:  # noqa: BLE001 - an unmeasurable margin is not a stable design
            problems.append(f"phase margin not measurable ({type(exc).__name__})")
        else:
            if not (math.isfinite(pm) and pm >= MIN_PHASE_MARGIN):
                problems.append(f"phase margin {pm:.1f} deg < {MIN_PHASE_MARGIN:g} deg")
    if fam == "opamp" and ctx.h.diff_inputs:
        try:
            cmrr = ctx.h.rejection("cmrr")
        except Exception as exc:  # noqa: BLE001 - unmeasurable rejection is not a working op-amp
            problems.append(f"CMRR not measurable ({type(exc).__name__})")
        else:
            if not (math.isfinite(cmrr) and cmrr > 0.0):
                problems.append(f"common-mode gain not below the differential gain (CMRR {cmrr:.1f} dB)")
    evidence = positive_feedback(ctx)
    if evidence:
        problems.append("positive feedback: " + "; ".join(evidence[:2]))
    return problems


def check_goal(ctx, r):
    """(ok, figure, detail) for a ``goal`` requirement (see the module docstring)."""
    p = r.params
    figure, direction = p["figure"], p["direction"]
    value = _value(ctx, figure, r)
    if not math.isfinite(value):
        return False, None, f"{figure} is not finite"
    problems = sanity_problems(ctx, figure, r)
    base = p.get("baseline")
    better = (value > base if direction == "maximize" else value < base) if base is not None else \
        (value > (1.0 if figure == "gain_vv" else 0.0) if direction == "maximize" else value > 0)
    detail = f"{figure} = {value:.4g} ({direction})"
    if base is not None:
        detail += f"; baseline {base:.4g}, ratio {value / base:.3g}" if base else f"; baseline {base:.4g}"
    if problems:
        detail += "; not a working amplifier: " + "; ".join(problems)
    elif not better:
        detail += "; does not beat the baseline" if base is not None else "; no useful figure"
    return (better and not problems), value, detail
