"""A charge-pump phase-locked loop composed from transistor-level blocks.

Blocks, in signal order (each written through :class:`~chipsmith.agents.circuit.Builder`):

- ``reference_buffer``: a skewed inverter (strong NMOS, weak long PMOS) whose switching
  level sits near 0.5 V, then a plain inverter: the reference works when driven 0..1 V
  (as external testbenches often do) as well as 0..vdd.
- ``pfd``: phase-frequency detector, two positive-edge D flip-flops (the classical
  six-NAND edge-triggered cell, D tied high) set by the reference and the feedback
  edges; a NAND of both outputs clears them (the NAND delay is the anti-dead-zone pulse).
- ``charge_pump``: matched PMOS source / NMOS sink copies of one reference current,
  switched onto the control net by UP (inverted) and DN.
- ``loop_filter``: R in series with C1, with C2 across (third order, type II); values
  from :func:`loop_filter` for a loop bandwidth of ``f_ref / 10`` and 60 degrees of
  phase margin with the VCO gain measured by ngspice.
- ``vco``: the current-starved ring of :func:`chipsmith.agents.gen_osc.vco_core` with a
  floor current that keeps it at ~0.6 ``N f_ref`` at 0 V control (the loop starts there,
  from zero initial conditions, below lock), its load capacitors placed so that
  ``N f_ref`` sits at a control level of about 0.9 V; 0.8 ``N f_ref`` (the judge's second
  reference) lies at ~0.7 V, inside the linear range. A small VCO gain (~0.85 ``N f_ref`` per
  volt) keeps the filter capacitors small, so the control net slews to lock quickly.
- ``divider`` (N > 1, a power of two): a chain of toggle flip-flops (the same six-NAND
  cell with D fed from Q-bar).

The output port is the VCO's buffered output; the loop is verified by the judge
(:mod:`chipsmith.spice.judge_pll`), which drives the reference itself and checks lock at
two reference frequencies.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from chipsmith.agents.circuit import Builder, Design, Port
from chipsmith.agents.gen_base import CLOCK, CONTROL, REFERENCE, SIGNAL_IN, Pins, PlanningError, finish, net
from chipsmith.agents.gen_osc import VcoParams, vco, vco_core

DEFAULT_REF_HZ = 10e6
_L = 0.35e-6          # logic channel length
_WN, _WP = 1e-6, 2e-6  # logic widths (NAND: series NMOS, parallel PMOS)
# every logic node carries this capacitance: edges of ~0.5 ns that any simulator time step
# resolves (level-1 cards have no junction capacitance; bare gates switch in tens of ps and
# a coarse-step transient then misses the PFD's reset race)
_C_NODE = 15e-15
_VCTL_CENTER = 0.9    # control level the VCO is placed at for N f_ref (V)
_I_FLOOR = 25e-6      # VCO starving current at 0 V control: the ring idles at ~0.6 N f_ref
_C_PARASITIC = 31e-15  # ring node capacitance besides the load capacitor (fitted: f ~ 1 / (C + Cpar))


@dataclass(frozen=True)
class LoopFilter:
    """A third-order type-II loop filter: ``r`` in series with ``c1``, ``c2`` across both."""

    r: float
    c1: float
    c2: float
    bandwidth_hz: float
    phase_margin_deg: float


def loop_filter(icp: float, kvco_hz_per_v: float, n: int, bandwidth_hz: float,
                phase_margin_deg: float = 60.0) -> LoopFilter:
    """R, C1, C2 of a charge-pump PLL's loop filter for a crossover ``bandwidth_hz`` and a
    phase margin ``phase_margin_deg`` (continuous-time approximation).

    Open loop: ``G(s) = Icp/(2 pi) * Z(s) * Kvco/(N s)`` with ``Z(s) = (1 + s R C1) /
    (s (C1 + C2) (1 + s R Cs))``, ``Cs = C1 C2 / (C1 + C2)``. The zero ``1/(R C1)`` and the
    pole ``1/(R Cs)`` are placed symmetrically around the crossover ``wc``, a factor
    ``g = tan(PM) + sec(PM)`` either side, which maximises the phase at ``wc`` (= PM); then
    ``|G(j wc)| = 1`` gives ``C1 + C2 = Icp Kvco g / (2 pi N wc^2)`` (``Kvco`` in rad/s/V),
    ``C2 = (C1 + C2) / g^2`` and ``R = g / (wc C1)``.
    """
    if icp <= 0 or kvco_hz_per_v <= 0 or n < 1 or bandwidth_hz <= 0 or not 0 < phase_margin_deg < 90:
        raise ValueError("loop filter needs positive Icp, Kvco, bandwidth, N >= 1 and 0 < PM < 90 degrees")
    pm = math.radians(phase_margin_deg)
    g = math.tan(pm) + 1.0 / math.cos(pm)
    wc = 2 * math.pi * bandwidth_hz
    kv = 2 * math.pi * kvco_hz_per_v
    ctot = icp * kv * g / (2 * math.pi * n * wc ** 2)
    c2 = ctot / g ** 2
    c1 = ctot - c2
    r = g / (wc * c1)
    return LoopFilter(r, c1, c2, bandwidth_hz, phase_margin_deg)


def phase_margin(icp: float, kvco_hz_per_v: float, n: int, lf: LoopFilter) -> tuple[float, float]:
    """(crossover Hz, phase margin degrees) of the open loop with filter ``lf`` (numeric check of
    :func:`loop_filter`, used by the tests)."""
    kv = 2 * math.pi * kvco_hz_per_v
    cs = lf.c1 * lf.c2 / (lf.c1 + lf.c2)

    def gain(w: float) -> complex:
        s = 1j * w
        z = (1 + s * lf.r * lf.c1) / (s * (lf.c1 + lf.c2) * (1 + s * lf.r * cs))
        return icp / (2 * math.pi) * z * kv / (n * s)

    lo, hi = 1.0, 1e13
    for _ in range(200):  # |G| falls monotonically: bisect on a log scale
        mid = math.sqrt(lo * hi)
        lo, hi = (mid, hi) if abs(gain(mid)) > 1 else (lo, mid)
    w = math.sqrt(lo * hi)
    return w / (2 * math.pi), 180.0 + math.degrees(math.atan2(gain(w).imag, gain(w).real))


@dataclass(frozen=True)
class PllParams:
    ref_hz: float = DEFAULT_REF_HZ
    n: int = 1                      # output = n x reference
    icp: float = 20e-6              # charge-pump current (A)
    bandwidth_ratio: float = 10.0   # loop bandwidth = ref_hz / bandwidth_ratio
    phase_margin_deg: float = 60.0
    vdd: float = 1.8
    model_file: str | None = None
    measure_vco: bool = True        # place the VCO with ngspice (else the fitted model only)

    @property
    def f_out(self) -> float:
        return self.n * self.ref_hz


def plan_numbers(targets, conditions, oscillation) -> dict:
    """``ref_hz`` and ``n`` from the planner's reading: the ``clock_hz`` condition (else 10 MHz),
    a ``freq_ratio`` target, else the output frequency (oscillation or ``freq_hz`` target) over
    the reference. A ratio that is not a whole number is refused (integer-N loop)."""
    ref = next((float(v) for k, v in (conditions or {}).items() if k.split(":")[0] == "clock_hz"), DEFAULT_REF_HZ)
    ratio = (targets or {}).get("freq_ratio", (None, None))[1]
    if ratio is None:
        f_out = (oscillation or {}).get("frequency_hz") or (targets or {}).get("freq_hz", (None, None))[1]
        ratio = float(f_out) / ref if f_out else 1.0
    n = int(round(ratio))
    if n < 1 or abs(ratio - n) > 0.005 * ratio:
        raise PlanningError(f"an output of {ratio:.4g} x the {ref / 1e6:.4g} MHz reference needs a fractional-N "
                            "loop, which is not built", fix="ask for a whole multiple of the reference")
    return {"ref_hz": ref, "n": n}


def check_params(p: PllParams) -> None:
    """Refuse what the blocks cannot do, naming the limit (an honest refusal, exit 1)."""
    if p.n < 1 or p.n & (p.n - 1):
        raise PlanningError(f"a divide-by-{p.n} is not built (the divider is a chain of toggle flip-flops)",
                            fix="ask for N = 1, 2, 4, 8 or 16")
    if p.n > 16:
        raise PlanningError(f"a divide-by-{p.n} is not built", fix="ask for N <= 16")
    if not 100e3 <= p.ref_hz <= 50e6:
        raise PlanningError(f"a {p.ref_hz:.3g} Hz reference is outside what this PLL is built for (100 kHz..50 MHz)",
                            fix="ask for a reference between 100 kHz and 50 MHz")
    if not 1e6 <= p.f_out <= 100e6:
        raise PlanningError(f"an output of {p.f_out:.3g} Hz is outside the ring VCO's range here (1..100 MHz)",
                            fix="ask for an output between 1 and 100 MHz")


# --- logic built from transistors ---------------------------------------------------------------------

def _inv(b: Builder, a: str, y: str, wn: float = _WN, wp: float = _WP, l: float = _L) -> None:
    b.m(y, a, "vdd", "vdd", "p", wp, l, region="any")
    b.m(y, a, "gnd", "gnd", "n", wn, l, region="any")
    b.c(y, "gnd", _C_NODE)


def _nand(b: Builder, ins: tuple[str, ...], y: str, tag: str) -> None:
    """A static CMOS NAND: parallel PMOS pull-ups, a series NMOS stack (wider by the stack height)."""
    for a in ins:
        b.m(y, a, "vdd", "vdd", "p", _WP, _L, region="any")
    nodes = [y] + [net(f"{tag}_s{k}") for k in range(1, len(ins))] + ["gnd"]
    for k, a in enumerate(ins):
        b.m(nodes[k], a, nodes[k + 1], "gnd", "n", _WN * len(ins), _L, region="any")
    b.c(y, "gnd", _C_NODE)


def _dff(b: Builder, clk: str, q: str, tag: str, *, d: str | None = None, clear_n: str | None = None) -> str:
    """The classical positive-edge D flip-flop of six NANDs (three SR latches), D tied high when
    ``d`` is None, with an active-low clear; returns the Q-bar net."""
    g1, g2, g3, g4, qb = (net(f"{tag}_{x}") for x in ("g1", "g2", "g3", "g4", "qb"))
    clr = (clear_n,) if clear_n else ()
    _nand(b, (g4, g2), g1, f"{tag}_1")
    _nand(b, (g1, clk) + clr, g2, f"{tag}_2")
    _nand(b, (g2, clk, g4), g3, f"{tag}_3")
    _nand(b, (g3,) + clr + ((d,) if d else ()), g4, f"{tag}_4")
    _nand(b, (g2, qb), q, f"{tag}_5")
    _nand(b, (q, g3) + clr, qb, f"{tag}_6")
    return qb


# --- the VCO placement -----------------------------------------------------------------------------

def _vco_fit(f_target: float) -> float:
    """Load capacitor that puts the ring at ``f_target`` for a control at ``_VCTL_CENTER``
    (the fitted model f = g(Vctl) / (C + Cpar), g(0.9 V) = 4.45e-6 Hz F, generic models)."""
    return max(5e-15, 4.45e-6 / f_target - _C_PARASITIC)


def _vco_curve(cload: float, levels: tuple[float, ...], f_hint: float, p: PllParams) -> list[float]:
    """Measured VCO frequency at each control level (ngspice, transient from zero)."""
    from chipsmith.agents.gen_verify import oscillation

    pins = Pins.of([("vctl", CONTROL), ("fout", "out")], vdd=p.vdd)
    design = vco(pins, VcoParams(cload=cload, i_floor=_I_FLOOR, vdd=p.vdd, model_file=p.model_file))
    out = []
    for v in levels:
        f, _pp = oscillation(design, "fout", stop=30.0 / f_hint, step=1.0 / (80.0 * f_hint), dc={"vctl": v})
        out.append(f)
    return out


def place_vco(p: PllParams) -> tuple[float, float]:
    """(load capacitor, Kvco in Hz/V) for a VCO centred on ``N f_ref``; measured with ngspice
    when ``p.measure_vco`` (one correction of the fit), else from the fit alone."""
    f0 = p.f_out
    cload = _vco_fit(f0)
    if not p.measure_vco:
        return cload, 4.1e-6 / (cload + _C_PARASITIC)  # fitted dg/dVctl = 4.1e-6 Hz F / V
    lo, hi = _VCTL_CENTER - 0.15, _VCTL_CENTER + 0.15
    f_lo, f_mid, f_hi = _vco_curve(cload, (lo, _VCTL_CENTER, hi), f0, p)
    if f_mid > 0:
        cload = max(5e-15, (cload + _C_PARASITIC) * f_mid / f0 - _C_PARASITIC)
        scale = f0 / f_mid
        f_lo, f_hi = f_lo * scale, f_hi * scale
    if not (f_hi > f0 > f_lo > 0):
        raise PlanningError(f"the ring VCO does not tune around {f0:.3g} Hz", fix="ask for another output frequency")
    return cload, (f_hi - f_lo) / (hi - lo)


# --- the PLL ---------------------------------------------------------------------------------------

def pll(pins: Pins, p: PllParams) -> Design:
    """The charge-pump PLL on the user's reference and output ports (see the module docstring)."""
    check_params(p)
    refs = pins.by(CLOCK) or pins.by(REFERENCE) or pins.by(SIGNAL_IN)
    if len(refs) != 1 or len(pins.outputs) != 1:
        raise PlanningError("a PLL needs one reference input port and one output port",
                            fix="give e.g. --inputs clk_ref --outputs clk_out")
    ref, out = refs[0], pins.outputs[0]
    extra = [n for n in pins.external if n not in (ref, out)]
    if extra:
        raise PlanningError(f"this PLL has no use for port(s) {', '.join(extra)}", fix="drop them")
    cload, kvco = place_vco(p)
    lf = loop_filter(p.icp, kvco, p.n, p.ref_hz / p.bandwidth_ratio, p.phase_margin_deg)
    b = Builder()
    vctl, fb, up, dn = net("vctl"), net("fb"), net("up"), net("dn")

    b.block("reference_buffer", "skewed inverter switching near 0.5 V (works for 0..1 V and 0..vdd clocks)")
    b.m(net("refb"), ref, "vdd", "vdd", "p", 0.5e-6, 1e-6, region="any")
    b.m(net("refb"), ref, "gnd", "gnd", "n", 4e-6, 0.5e-6, region="any")
    _inv(b, net("refb"), net("refi"))

    b.block("pfd", "phase-frequency detector: two edge-triggered D flip-flops (D high), NAND reset")
    _dff(b, net("refi"), up, "fu", clear_n=net("clr"))
    _dff(b, fb, dn, "fd", clear_n=net("clr"))
    _nand(b, (up, dn), net("rst"), "rs")
    # two inverters delay the clear: both pump switches turn fully on before the reset (no dead zone)
    _inv(b, net("rst"), net("rsd"))
    _inv(b, net("rsd"), net("clr"))

    b.block("charge_pump", f"matched {p.icp * 1e6:.3g} uA source and sink switched by UP and DN")
    vov = 0.2
    wn_cp = 2 * p.icp / (300e-6 * vov ** 2) * 1e-6
    wp_cp = 2 * p.icp / (80e-6 * vov ** 2) * 1e-6
    b.r("vdd", net("nb"), (p.vdd - 0.45 - vov) / p.icp)
    b.m(net("nb"), net("nb"), "gnd", "gnd", "n", wn_cp, 1e-6)
    b.m(net("pb"), net("nb"), "gnd", "gnd", "n", wn_cp, 1e-6)
    b.m(net("pb"), net("pb"), "vdd", "vdd", "p", wp_cp, 1e-6)
    b.c(net("nb"), "gnd", 0.2e-12)
    b.c(net("pb"), "vdd", 0.2e-12)
    _inv(b, up, net("upb"))
    b.m(net("cps"), net("pb"), "vdd", "vdd", "p", wp_cp, 1e-6, region="any")
    b.m(vctl, net("upb"), net("cps"), "vdd", "p", 4e-6, _L, region="any")
    b.m(net("cpn"), net("nb"), "gnd", "gnd", "n", wn_cp, 1e-6, region="any")
    b.m(vctl, dn, net("cpn"), "gnd", "n", 2e-6, _L, region="any")
    b.c(net("cps"), "vdd", 5e-15)
    b.c(net("cpn"), "gnd", 5e-15)

    b.block("loop_filter", f"R {lf.r:.4g} ohm + C1 {lf.c1 * 1e12:.4g} pF, C2 {lf.c2 * 1e12:.4g} pF: "
                           f"bandwidth {lf.bandwidth_hz:.4g} Hz, phase margin {lf.phase_margin_deg:g} deg")
    b.r(vctl, net("lfz"), lf.r)
    b.c(net("lfz"), "gnd", lf.c1)
    b.c(vctl, "gnd", lf.c2)

    vp = vco_core(b, vctl, net("vco"), VcoParams(cload=cload, i_floor=_I_FLOOR, vdd=p.vdd, model_file=p.model_file),
                  prefix="v")
    b.block("output_buffer", f"drives {out}; the VCO runs at N x f_ref = {p.f_out:.4g} Hz")
    _inv(b, net("vco"), net("vcob"), 2e-6, 4e-6)
    _inv(b, net("vcob"), out, 4e-6, 8e-6)

    stages = int(round(math.log2(p.n)))
    if stages == 0:
        b.block("feedback", "no divider (N = 1): the VCO feeds the PFD")
        _inv(b, net("vcob"), fb)
    else:
        b.block("divider", f"divide by {p.n}: {stages} toggle flip-flop(s)")
        # a sharp clock (the buffered VCO) so that each flip-flop sees one clean edge per period
        _inv(b, net("vcob"), net("vclk"), 2e-6, 4e-6)
        clk = net("vclk")
        for k in range(stages):
            q = fb if k == stages - 1 else net(f"dv{k}")
            # D from Q-bar: the flip-flop toggles on every rising edge of its clock
            _dff(b, clk, q, f"dv{k}", d=net(f"dv{k}_qb"))
            if k < stages - 1:  # the next stage gets a buffered (sharp) copy of this stage's Q
                _inv(b, q, net(f"dv{k}_cb"))
                _inv(b, net(f"dv{k}_cb"), net(f"dv{k}_ck"))
                clk = net(f"dv{k}_ck")
    io = {ref: Port(ref, "voltage_in", 0.0, "V", f"reference clock, {p.ref_hz:.4g} Hz, switching level ~0.5 V"),
          out: Port(out, "voltage_out", p.vdd / 2, "V", f"locks at {p.n} x the reference ({p.f_out:.4g} Hz)")}
    return finish("pll", "charge_pump", b, pins, io, vdd=p.vdd, model_file=p.model_file,
                  params={"ref_hz": p.ref_hz, "n": float(p.n), "f_out_hz": p.f_out, "icp": p.icp, "kvco_hz_per_v": kvco,
                          "r": lf.r, "c1": lf.c1, "c2": lf.c2, "bandwidth_hz": lf.bandwidth_hz,
                          "cload": cload, "vco_stages": float(vp.stages)})


__all__ = ["PllParams", "LoopFilter", "loop_filter", "phase_margin", "place_vco", "pll", "check_params",
           "DEFAULT_REF_HZ"]
