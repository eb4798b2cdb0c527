"""The planner's own quick measurements of a generated design (ngspice, its own testbenches).

These are the agent's self-checks that the generators and the target loop use to size
and to say which figure falls short; they are not the independent judge
(:mod:`chipsmith.spice.judge`). Every port is driven from the DC condition the
generator recorded on it: voltage ports by a voltage source, current bias ports by a
current source from vdd, and a chosen input also gets the AC (or step) stimulus.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Sequence

import numpy as np

from chipsmith.agents.circuit import Design, fmt
from chipsmith.spice.runner import Analysis, Op, SimResult, Tran, simulate


@dataclass(frozen=True)
class Bench:
    """A testbench deck around ``design`` and the analyses to run on it."""

    text: str
    analyses: tuple[Analysis, ...]


def bench(design: Design, *, ac: Mapping[str, float] | None = None, dc: Mapping[str, float] | None = None,
          tran: Mapping[str, str] | None = None, load_cap: float = 1e-12, load_res: Mapping[str, float] | None = None,
          analyses: Sequence[Analysis] = (Op(),)) -> Bench:
    """Testbench text: every input/bias port driven, outputs loaded by ``load_cap``.

    ``ac``: AC magnitude per port; ``dc``: DC overrides per port; ``tran``: a SPICE
    waveform (``PULSE(...)``/``SIN(...)``) replacing a port's DC source.
    """
    ac, dc, tran, load_res = dict(ac or {}), dict(dc or {}), dict(tran or {}), dict(load_res or {})
    lines = [f"* planner self-check: {design.kind} ({design.variant})", design.subckt_text()]
    nodes = []
    for p in design.ports:
        name = p.name
        nodes.append("0" if p.kind == "ground" else f"n_{name}")
        node = f"n_{name}"
        value = dc.get(name, p.dc)
        if p.kind == "supply":
            lines.append(f"V_{name} {node} 0 DC {fmt(value)}")
        elif p.kind in ("voltage_in", "bias") and p.unit == "V":
            wave = f" {tran[name]}" if name in tran else ""
            acs = f" AC {ac[name]:g}" if name in ac else ""
            lines.append(f"V_{name} {node} 0 DC {fmt(value)}{acs}{wave}")
        elif p.kind in ("current_in", "bias"):
            supply = next(q.name for q in design.ports if q.kind == "supply")
            lines.append(f"I_{name} n_{supply} {node} DC {fmt(value)}")
        elif p.kind in ("voltage_out", "current_out"):
            if load_cap:
                lines.append(f"C_{name} {node} 0 {fmt(load_cap)}")
            if name in load_res:
                lines.append(f"R_{name} {node} 0 {fmt(load_res[name])}")
            if p.kind == "current_out":
                lines.append(f"V_{name} {node} 0 DC {fmt(value)}")
    lines.append(f"Xdut {' '.join(nodes)} design")
    return Bench("\n".join(lines) + "\n", tuple(analyses))


def run(b: Bench, timeout_s: float = 60.0) -> SimResult:
    return simulate(b.text, list(b.analyses), trusted=True, timeout_s=timeout_s)


def oscillation(design: Design, out: str, stop: float, step: float, *,
                dc: Mapping[str, float] | None = None) -> tuple[float, float]:
    """(frequency Hz, peak-to-peak V) of ``out`` over the last half of a transient from zero initial conditions."""
    r = run(bench(design, dc=dc, analyses=(Tran(step, stop, 0.0, True),)), timeout_s=120.0)
    t = np.real(np.asarray(r.tran.get("time")))
    v = np.real(np.asarray(r.tran.get(f"n_{out}")))
    keep = t >= stop / 2
    t, v = t[keep], v[keep]
    if len(v) < 10:
        return 0.0, 0.0
    pp = float(v.max() - v.min())
    mid = 0.5 * (v.max() + v.min())
    s = np.sign(v - mid)
    rising = np.where((s[:-1] < 0) & (s[1:] >= 0))[0]
    if len(rising) < 3 or pp < 1e-3:
        return 0.0, pp
    times = t[rising] + (mid - v[rising]) * (t[rising + 1] - t[rising]) / (v[rising + 1] - v[rising])
    return float((len(times) - 1) / (times[-1] - times[0])), pp
