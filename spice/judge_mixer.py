"""The judge's mixer bench: a two-tone transient and the spectrum of the IF output.

Ports (read from the interface alone). The inputs (signal, differential or clock roles)
are RF and LO: a port with ``rf`` in its name (or ``x`` first, a multiplier's X) is RF,
with ``lo`` (or ``y``) is LO; otherwise the first half of the list is RF. Each is one
port (single-ended drive) or two ports (differential drive; the halves told apart by a
``p``/``+``/``pos`` versus ``n``/``-``/``neg``/``b``/``m`` suffix, else listed order).
The IF output is the ``diff_out_p``/``diff_out_n`` pair, or two outputs told apart the
same way (read differentially), or the single output.

Drive: every input sits at its DC level (``input_dc_v`` condition, else vdd/2, the
judge's convention) plus its tone: ``a sin`` on a single-ended port, ``+-a/2 sin`` on the
two halves of a pair (``a`` is the differential peak amplitude). RF 1.0 MHz, LO 1.2 MHz:
every tone and product (0.2, 1.0, 1.2, 2.2 MHz) is a whole number of cycles in the 10 us
window read after 5 us of settling, so a one-bin DFT at each frequency is exact for a
periodic steady state.

Runs (each a transient; all cached by the harness):
- ``large``: LO 0.8 V (differential: switching, as mixers are driven), RF 20 mV.
- ``rf_half``: the same with RF 10 mV: a mixer is linear in RF, the |LO-RF| product
  halves (0.35..0.65 of the first).
- Gilbert cell (double-balanced multiplier) only: ``small``: LO 40 mV, RF 20 mV, and
  ``lo_half``: LO 20 mV: in its multiplier region the product halves with LO as well
  (0.35..0.65): multiply, not add.

Passes: the |LO-RF| product is at least -20 dB of the RF amplitude (conversion gain
figure in dB); for the Gilbert cell also the LO+RF product, both at least 20 dB above
the RF and the LO tones in the output (the balanced cell cancels the feed-through), and
three source-coupled pairs in the netlist. An adder has no product at all; a single
device squaring RF + LO has them, but buried under the feed-through.
"""
from __future__ import annotations

import math
import re
from typing import Any

import numpy as np

from chipsmith.spice.judge_bench import net
from chipsmith.spice.requirements import PortRole
from chipsmith.spice.runner import Tran

F_RF, F_LO = 1.0e6, 1.2e6
T_SETTLE, T_WINDOW = 5e-6, 10e-6

Result = tuple[Any, Any, str]

_P = re.compile(r"(?:p|\+|pos|plus)$")
_N = re.compile(r"(?:n|-|neg|minus|m|b|bar)$")


def _sign(name: str, stem: str) -> str | None:
    low = name.lower()
    rest = low[low.rfind(stem) + len(stem):] if stem and stem in low else low
    rest = rest.lstrip("_")
    if _P.search(rest):
        return "p"
    if _N.search(rest):
        return "n"
    return None


def _pair(names: list[str], stem: str) -> tuple[str, str | None]:
    if len(names) == 1:
        return names[0], None
    a, b = names
    if _sign(a, stem) == "n" or _sign(b, stem) == "p":
        return b, a
    return a, b


def mixer_ports(interface) -> tuple[tuple[str, str | None], tuple[str, str | None], tuple[str, str | None]] | str:
    """((rf+, rf-), (lo+, lo-), (if+, if-)); a string saying why when the ports do not fit."""
    ins = [p.name for p in interface.ports if p.role in (PortRole.SIGNAL_IN, PortRole.DIFF_IN_P, PortRole.DIFF_IN_N,
                                                          PortRole.CLOCK)]
    if len(ins) not in (2, 3, 4):
        return f"a mixer needs an RF and an LO input (one port or a pair each), the interface has {len(ins)} input(s)"
    rf = [n for n in ins if "rf" in n.lower() or re.match(r"^v?x", n.lower())]
    lo = [n for n in ins if n not in rf and ("lo" in n.lower() or re.match(r"^v?y", n.lower()))]
    if len(rf) + len(lo) != len(ins) or not rf or not lo or len(rf) > 2 or len(lo) > 2:
        half = 1 if len(ins) == 3 else len(ins) // 2
        rf, lo = ins[:half], ins[half:]
    p_out = interface.names_by_role(PortRole.DIFF_OUT_P)
    n_out = interface.names_by_role(PortRole.DIFF_OUT_N)
    if p_out and n_out:
        out: tuple[str, str | None] = (p_out[0], n_out[0])
    else:
        outs = interface.names_by_role(PortRole.OUT, PortRole.DIFF_OUT_P, PortRole.DIFF_OUT_N)
        if len(outs) not in (1, 2):
            return f"a mixer has one IF output or a pair, the interface has {len(outs)}"
        out = _pair(list(outs), "out" if all("out" in n.lower() for n in outs) else "")
    stem_rf = "rf" if all("rf" in n.lower() for n in rf) else ""
    stem_lo = "lo" if all("lo" in n.lower() for n in lo) else ""
    return _pair(rf, stem_rf), _pair(lo, stem_lo), out


def _drive(h, ports: tuple[str, str | None], amp: float, freq: float, tag: str) -> dict[str, str]:
    p, n = ports
    over = {}
    if n is None:
        over[p] = f"vjm{tag}p {{n}} 0 sin({h.input_dc(p)!r} {amp!r} {freq!r})"
    else:
        over[p] = f"vjm{tag}p {{n}} 0 sin({h.input_dc(p)!r} {amp / 2!r} {freq!r})"
        over[n] = f"vjm{tag}n {{n}} 0 sin({h.input_dc(n)!r} {amp / 2!r} {freq!r} 0 0 180)"
    return over


def spectrum_run(h, ports, a_rf: float, a_lo: float, key: str) -> dict[float, float]:
    """Amplitudes (V) of the IF output at RF, LO, |LO-RF| and LO+RF for one two-tone drive."""
    rf, lo, (op, on) = ports
    over = {**_drive(h, rf, a_rf, F_RF, "r"), **_drive(h, lo, a_lo, F_LO, "l")}
    saves = [f"v({net(op)})"] + ([f"v({net(on)})"] if on else [])
    step = 1.0 / (F_LO * 100)
    res = h.run(f"mixer:{key}", lambda: h.deck(over), [Tran(step, T_SETTLE + T_WINDOW)], save=saves)
    t = np.asarray(res.tran.x)
    y = np.real(np.asarray(res.tran.get(saves[0])))
    if on:
        y = y - np.real(np.asarray(res.tran.get(saves[1])))
    # resample the window on a uniform grid (ngspice's steps are not uniform)
    n = 4000
    tu = T_SETTLE + np.arange(n) * (T_WINDOW / n)
    yu = np.interp(tu, t, y)
    yu = yu - yu.mean()
    out = {}
    for f in (F_RF, F_LO, abs(F_LO - F_RF), F_LO + F_RF):
        out[f] = float(2 * abs(np.mean(yu * np.exp(-2j * math.pi * f * tu))))
    return out


def check_mixer(ctx, variant: str | None) -> Result:
    h, s = ctx.h, ctx.s
    ports = mixer_ports(h.interface)
    if isinstance(ports, str):
        return False, None, ports
    rf, lo, out = ports
    diff_lo = lo[1] is not None
    f_if, f_sum = abs(F_LO - F_RF), F_LO + F_RF
    balanced = variant == "gilbert"
    # a large LO: 0.8 V differential across a pair; a single-ended LO swings 0.45 vdd about its level
    a_lo = 0.8 if diff_lo else 0.45 * h.vdd
    a_rf = 0.02
    big = spectrum_run(h, ports, a_rf, a_lo, "large")
    half = spectrum_run(h, ports, a_rf / 2, a_lo, "rf_half")
    prod, prod_sum = big[f_if], big[f_sum]
    conv = 20 * math.log10(max(prod, 1e-12) / a_rf)
    facts = [f"{'RF ' + '/'.join(x for x in rf if x)} {F_RF / 1e6:g} MHz {a_rf * 1e3:g} mV, "
             f"{'LO ' + '/'.join(x for x in lo if x)} {F_LO / 1e6:g} MHz {a_lo:g} V: "
             f"|LO-RF| {prod * 1e3:.3g} mV, LO+RF {prod_sum * 1e3:.3g} mV, RF feed-through {big[F_RF] * 1e3:.3g} mV, "
             f"LO feed-through {big[F_LO] * 1e3:.3g} mV (conversion gain {conv:.1f} dB)"]
    problems = []
    if prod < 0.1 * a_rf:
        problems.append("no mixing product (|LO-RF| conversion gain below -20 dB)")
    ratio_rf = half[f_if] / prod if prod > 0 else 0.0
    facts.append(f"halving RF scales the product by {ratio_rf:.2f}")
    if not problems and not 0.35 <= ratio_rf <= 0.65:
        problems.append("the product does not follow the RF amplitude (a mixer is linear in RF)")
    if balanced:
        feed = max(big[F_RF], big[F_LO])
        facts.append(f"products {20 * math.log10(max(min(prod, prod_sum), 1e-15) / max(feed, 1e-15)):.1f} dB above "
                     f"the feed-through")
        if min(prod, prod_sum) < 10 * feed:
            problems.append("the |LO-RF| and LO+RF products are not 20 dB above the RF/LO feed-through "
                            "(not double-balanced)")
        if len(s.diff_pairs()) < 3:
            problems.append("a Gilbert cell has three differential pairs")
        small = spectrum_run(h, ports, a_rf, 0.04, "small")
        small_half = spectrum_run(h, ports, a_rf, 0.02, "lo_half")
        ratio_lo = small_half[f_if] / small[f_if] if small[f_if] > 0 else 0.0
        facts.append(f"with a small LO (40 mV) the product is {small[f_if] * 1e3:.3g} mV; halving LO scales it by "
                     f"{ratio_lo:.2f}")
        if small[f_if] < 0.01 * a_rf:
            problems.append("no product with a small LO (not a multiplier)")
        elif not 0.35 <= ratio_lo <= 0.65:
            problems.append("with a small LO the product does not follow the LO amplitude (not a multiplier)")
    detail = "; ".join(facts)
    if problems:
        detail += "; NOT: " + "; ".join(problems)
    return not problems, conv, detail


__all__ = ["check_mixer", "mixer_ports", "spectrum_run", "F_RF", "F_LO"]
