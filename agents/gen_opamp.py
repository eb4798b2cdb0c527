"""Two-stage Miller op-amp, flat transistor level, sized toward explicit targets.

:func:`two_stage` builds an NMOS-input pair with a PMOS mirror load and a PMOS
common-source second stage with an NMOS sink, Miller capacitor and nulling resistor.
User bias ports are used in their listed order: a current bias port feeds the NMOS
diode that biases every sink; voltage bias ports drive, in turn, the tail gate, the
second-stage sink gate and the gate of an NMOS cascode on that sink (every device then
carries the stage's current); more bias ports than that are refused with the list of
what each one does.

:func:`size_for_targets` meets gain / GBW (UGB) / phase margin / power targets
together: an analytic first sizing (power budget -> currents, GBW -> gm1/Cc, phase
margin -> gm6 vs. CL and Cc, Rz cancels the RHP zero), then ngspice measurements and
moves; when the targets cannot all be met it returns the best design with every
figure that falls short (:class:`Sizing.shortfalls`), never a silent success.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Callable

import numpy as np

from chipsmith.agents.circuit import Builder, Design, Port, fmt
from chipsmith.agents.gen_base import MosParams, Pins, finish, mos_params, net, params_dict
from chipsmith.errors import InputError
from chipsmith.spice.runner import Ac, Op, simulate

L0 = 1e-6


@dataclass(frozen=True)
class OpampParams:
    """Sizing knobs: tail current (A), second-stage current ratio, Miller C (F), pair overdrive (V)."""

    itail: float = 24e-6       # >= 12 uA in every first-stage device (external benches ask 10 uA)
    k2: float = 5.0            # I2 = k2 * itail / 2 ... times two: second stage current = k2 * itail
    cc: float = 1e-12
    rz_factor: float = 1.0     # Rz = rz_factor * (1 + CL/Cc) / gm6
    vov_in: float = 0.12
    cl: float = 1e-12          # load the sizing assumes (F)
    vcm: float = 0.9
    vdd: float = 1.8
    model_file: str | None = None
    # the voltage bias ports in the order their jobs come (tail, sink, sink cascode); () = as listed
    bias_order: tuple[str, ...] = ()


def _core(b: Builder, bias_ports: list[str], io: dict[str, Port], pins_i: list[str], inp: str, inn: str,
          out: str, p: OpampParams, m_n: MosParams, m_p: MosParams, prefix: str = "",
          level: Callable[[str], float] | None = None) -> None:
    """Two-stage op-amp between ``inp``/``inn`` and ``out`` (non-inverting from inp).

    ``level(port)``: the DC the testbench applies to a user bias port (V, or A for a
    current port); the devices it drives are sized for it.
    """
    q = lambda s: net(prefix + s)  # noqa: E731
    level = level or (lambda name: 20e-6 if name in pins_i else p.vdd / 2)
    it, i2 = p.itail, p.k2 * p.itail
    vov_t, vov_p = 0.2, 0.25
    vsg = m_p.vto + vov_p
    x_dc = p.vdd - vsg
    vs = p.vcm - m_n.vt(0.3) - p.vov_in
    w_in = m_n.wl(it / 2, p.vov_in, x_dc - vs) * L0
    w_p = m_p.wl(it / 2, vov_p, vsg) * L0
    w_t = m_n.wl(it, vov_t, vs) * L0
    w6 = w_p * 2 * i2 / it
    w7 = m_n.wl(i2, vov_t, p.vdd / 2) * L0
    gm6 = m_p.gm(i2, w6, L0)
    rz = p.rz_factor * (1.0 + p.cl / p.cc) / gm6
    # bias: a current port -> one diode for every sink; voltage ports -> tail, sink, Rz gate in turn
    unit_w = m_n.wl(it, vov_t, m_n.vto + vov_t) * L0
    if pins_i:
        name = pins_i.pop(0)
        i_in = abs(level(name))
        unit_w = m_n.wl(i_in, vov_t, m_n.vto + vov_t) * L0
        b.block("bias_current_mirror", f"diode-connected NMOS takes {i_in * 1e6:.3g} uA into {name}")
        b.m(name, name, "gnd", "gnd", "n", unit_w, L0)
        io[name] = Port(name, "bias", i_in, "A", "DC current into the pin")
        g_tail = g_sink = name
        w_t = unit_w * it / i_in
        w7 = unit_w * i2 / i_in
    else:
        vgs_t = m_n.vto + vov_t
        if bias_ports:
            g_tail = bias_ports.pop(0)
            vb = level(g_tail)
            if vb - m_n.vto < 0.05:
                raise InputError(f"bias port {g_tail} at {vb:g} V cannot turn on the tail NMOS")
            io[g_tail] = Port(g_tail, "bias", round(vb, 4), "V", "tail current-source gate voltage")
            w_t = m_n.wl_any(it, vb - m_n.vto, max(vs, 0.05)) * L0
        else:
            g_tail = q("nb")
            b.block("bias_resistor", "resistor into a diode-connected NMOS sets the bias")
            b.m(g_tail, g_tail, "gnd", "gnd", "n", unit_w, L0)
            b.r("vdd", g_tail, (p.vdd - m_n.vgs(it, unit_w, L0, vds=vgs_t)) / it)
            w_t = unit_w
        if bias_ports:
            g_sink = bias_ports.pop(0)
            vb = level(g_sink)
            if vb - m_n.vto < 0.05:
                raise InputError(f"bias port {g_sink} at {vb:g} V cannot turn on the second-stage sink")
            io[g_sink] = Port(g_sink, "bias", round(vb, 4), "V", "second-stage sink gate voltage")
            w7 = m_n.wl(i2, vb - m_n.vto, p.vcm) * L0
        else:
            g_sink = g_tail
            w7 = w_t * i2 / it if g_tail.endswith("__") else m_n.wl(i2, level(g_tail) - m_n.vto, p.vcm) * L0
    b.block("nmos_tail_source", f"tail current {it * 1e6:.3g} uA")
    b.m(q("tail"), g_tail, "gnd", "gnd", "n", w_t, L0)
    b.block("nmos_diff_pair", "input pair (diode side driven by the inverting input)")
    b.m(q("d1"), inn, q("tail"), "gnd", "n", w_in, L0)
    b.m(q("x"), inp, q("tail"), "gnd", "n", w_in, L0)
    b.block("pmos_mirror_load", "PMOS current-mirror load")
    b.m(q("d1"), q("d1"), "vdd", "vdd", "p", w_p, L0)
    b.m(q("x"), q("d1"), "vdd", "vdd", "p", w_p, L0)
    b.block("pmos_cs_stage", f"second stage {i2 * 1e6:.3g} uA with NMOS sink")
    b.m(out, q("x"), "vdd", "vdd", "p", w6, L0)
    sink_top = out
    if bias_ports and g_sink in io:
        # a third bias port: the gate of an NMOS cascode on the second-stage sink (it carries the
        # stage's current, so it conducts like every other device); the sink's gate then comes
        # from its port through a divider, so the sink stays saturated under the cascode
        g_casc = bias_ports.pop(0)
        vc = level(g_casc)
        vov_c = 0.15
        vt_c = m_n.vt(0.25)
        v_mid = vc - vt_c - vov_c
        if v_mid < 0.12:
            raise InputError(f"bias port {g_casc} at {vc:g} V is too low for the second-stage sink cascode",
                             fix="state a higher bias voltage for it")
        io[g_casc] = Port(g_casc, "bias", round(vc, 4), "V", "second-stage sink cascode gate voltage")
        vb = level(g_sink)
        vov_s = min(0.2, 0.8 * v_mid, vb - m_n.vto)
        v_g = m_n.vto + vov_s
        if vb - v_g > 0.02:
            b.block("bias_level_shift", f"second-stage sink gate {v_g:.3g} V from {g_sink} ({vb:.3g} V)")
            node = q("sg")
            b.r(g_sink, node, 400e3 * (vb - v_g) / vb)
            b.r(node, "gnd", 400e3 * v_g / vb)
            g_sink = node
        w7 = m_n.wl(i2, vov_s, v_mid) * L0
        sink_top = q("sc")
        b.block("nmos_sink_cascode", "cascode on the second-stage sink")
        b.m(out, g_casc, sink_top, "gnd", "n", m_n.wl(i2, vov_c, p.vcm - v_mid) * L0, L0)
    b.m(sink_top, g_sink, "gnd", "gnd", "n", w7, L0)
    b.block("miller_compensation", f"Cc {fmt(p.cc)}F with nulling resistor {fmt(rz)} ohm")
    b.r(q("x"), q("cz"), rz)   # Rz on the first-stage side: Cc sits directly on the output
    b.c(q("cz"), out, p.cc)


def _opamp_io(pins: Pins) -> tuple[str, str, str]:
    """(+, -, out) of an op-amp's interface: a differential input pair and one output."""
    if pins.diff is None or len(pins.outputs) != 1:
        raise InputError("an op-amp needs a differential input pair and one output",
                         fix="mark the inputs diff_in_p / diff_in_n and give one output")
    inp, inn = pins.diff
    (out,) = pins.outputs
    return inp, inn, out


def bias_order(ports: tuple[str, ...], hints: tuple[tuple[str, str, str], ...]) -> tuple[str, ...]:
    """The voltage bias ports reordered so that what the text says each one biases lands on that
    job: tail first, then the second-stage sink ("load"), then its cascode; the rest as listed."""
    rank = {"tail": 0, "load": 1, "cascode": 2}
    said = {port.lower(): rank.get(part, 3) for port, part, _ in hints}
    told = sorted((n for n in ports if n.lower() in said), key=lambda n: said[n.lower()])
    rest = [n for n in ports if n.lower() not in said]
    out: list[str] = []
    for job in range(len(ports)):  # a told port takes its job's slot; the others fill the gaps in order
        hit = next((n for n in told if said[n.lower()] == job), None)
        if hit is not None:
            told.remove(hit)
            out.append(hit)
        elif rest:
            out.append(rest.pop(0))
    return tuple(out + told + rest)


def two_stage(pins: Pins, p: OpampParams) -> Design:
    inp, inn, out = _opamp_io(pins)
    m_n, m_p = mos_params(p.model_file, "nch"), mos_params(p.model_file, "pch")
    b = Builder()
    bias_v, bias_i = list(pins.bias_v), list(pins.bias_i)
    if sorted(p.bias_order) == sorted(bias_v):
        bias_v = list(p.bias_order)
    io: dict[str, Port] = {}
    _core(b, bias_v, io, bias_i, inp, inn, out, p, m_n, m_p, level=pins.level)
    left = bias_v + bias_i
    if left:
        raise InputError(f"a two-stage op-amp uses at most three voltage bias ports (tail gate, second-stage "
                         f"sink gate, second-stage sink cascode gate) or one current bias port; no use for "
                         f"{', '.join(left)}", fix="drop the extra bias ports")
    io[inp] = Port(inp, "voltage_in", p.vcm, "V", "non-inverting input")
    io[inn] = Port(inn, "voltage_in", p.vcm, "V", "inverting input")
    io[out] = Port(out, "voltage_out", p.vcm, "V")
    return finish("two_stage_opamp", "nmos:miller_rz", b, pins, io, vdd=p.vdd, model_file=p.model_file,
                  params=params_dict(p))


# --- measurement and sizing --------------------------------------------------------------------------

@dataclass(frozen=True)
class OpampFigures:
    gain_db: float
    ugb_hz: float
    pm_deg: float
    power_w: float

    def as_dict(self) -> dict[str, float]:
        return {"gain_db": self.gain_db, "ugb_hz": self.ugb_hz, "gbw_hz": self.ugb_hz, "pm_deg": self.pm_deg,
                "power_w": self.power_w}


def measure(design: Design, cl: float = 1e-12) -> OpampFigures:
    """Open-loop gain, unity-gain frequency, phase margin and quiescent power (ngspice).

    The loop is closed at DC through 1 Gohm and opened for AC by 1 F at the inverting
    input, so the operating point is the unity-feedback one and the AC response is the
    open-loop gain.
    """
    ports = {p.kind: p for p in design.ports}
    ins = [p for p in design.ports if p.kind == "voltage_in"]
    out = next(p for p in design.ports if p.kind == "voltage_out")
    inp, inn = ins[0].name, ins[1].name
    lines = ["* op-amp open-loop bench", design.subckt_text()]
    nodes = []
    for p in design.ports:
        nodes.append("0" if p.kind == "ground" else f"n_{p.name}")
        if p.kind == "supply":
            lines.append(f"Vsup n_{p.name} 0 DC {fmt(p.dc)}")
        elif p.name == inp:
            lines.append(f"Vinp n_{p.name} 0 DC {fmt(p.dc)} AC 1")
        elif p.kind == "bias" and p.unit == "V":
            lines.append(f"V_{p.name} n_{p.name} 0 DC {fmt(p.dc)}")
        elif p.kind == "bias":
            lines.append(f"I_{p.name} n_{ports['supply'].name} n_{p.name} DC {fmt(p.dc)}")
    lines += [f"Rfb n_{out.name} n_{inn} 1g", f"Cfb n_{inn} 0 1", f"Cl n_{out.name} 0 {fmt(cl)}",
              f"Xdut {' '.join(nodes)} design"]
    r = simulate("\n".join(lines) + "\n", [Op(), Ac(1.0, 1e10, 40)], trusted=True)
    f = np.real(np.asarray(r.ac.get("frequency")))
    h = np.asarray(r.ac.get(f"n_{out.name}"), dtype=complex)
    mag = np.abs(h)
    gain_db = float(20 * np.log10(max(mag[0], 1e-12)))
    below = np.where(mag < 1.0)[0]
    if mag[0] <= 1.0 or len(below) == 0:
        ugb, pm = 0.0, 0.0
    else:
        k = below[0]
        t = (0.0 - np.log(mag[k - 1])) / (np.log(mag[k]) - np.log(mag[k - 1]))
        ugb = float(np.exp(np.log(f[k - 1]) + t * (np.log(f[k]) - np.log(f[k - 1]))))
        phase = np.degrees(np.unwrap(np.angle(h)))
        ph = phase[k - 1] + t * (phase[k] - phase[k - 1])
        pm = float(180.0 + (ph - phase[0]) if phase[0] > -90 else 180.0 + ph)
    power = abs(r.op.i("vsup")) * design.vdd
    return OpampFigures(gain_db, ugb, pm, float(power))


@dataclass(frozen=True)
class Targets:
    """Op-amp targets; None: not asked for."""

    gain_db: float | None = None
    ugb_hz: float | None = None      # GBW and UGB are the same figure for a one-pole-dominant op-amp
    pm_deg: float | None = None
    power_w: float | None = None
    cl: float = 1e-12


@dataclass(frozen=True)
class Sizing:
    design: Design
    figures: OpampFigures
    shortfalls: tuple[str, ...]      # "pm_deg 52.1 < 65" ... empty when every target is met
    evaluations: int

    @property
    def met(self) -> bool:
        return not self.shortfalls


def shortfalls(fig: OpampFigures, t: Targets) -> tuple[str, ...]:
    out = []
    if t.gain_db is not None and fig.gain_db < t.gain_db:
        out.append(f"gain_db {fig.gain_db:.1f} < {t.gain_db:g}")
    if t.ugb_hz is not None and fig.ugb_hz < t.ugb_hz:
        out.append(f"ugb_hz {fig.ugb_hz:.3g} < {t.ugb_hz:.3g}")
    if t.pm_deg is not None and fig.pm_deg < t.pm_deg:
        out.append(f"pm_deg {fig.pm_deg:.1f} < {t.pm_deg:g}")
    if t.power_w is not None and fig.power_w > t.power_w:
        out.append(f"power_w {fig.power_w:.3g} > {t.power_w:.3g}")
    return tuple(out)


def initial_params(t: Targets, base: OpampParams) -> OpampParams:
    """Analytic first sizing from the targets (Allen-Holberg style rules)."""
    p = replace(base, cl=t.cl)
    if t.power_w is not None:
        # supply current budget: tail + second stage (k2 * tail) + bias branch (one tail's worth)
        budget = 0.7 * t.power_w / p.vdd
        p = replace(p, itail=min(200e-6, max(1e-6, budget / (p.k2 + 2.0))))
    if t.ugb_hz is not None:
        # GBW = gm1 / (2 pi Cc), Cc >= 0.25 CL for phase margin; gm1 = 2 * (itail/2) / vov_in
        cc = max(0.25 * t.cl, 0.3e-12)
        need_gm1 = 2 * math.pi * t.ugb_hz * cc * 1.3
        it = need_gm1 * p.vov_in
        if t.power_w is None:
            p = replace(p, itail=max(p.itail, it))
        else:
            vov = max(0.05, p.itail / need_gm1)
            p = replace(p, vov_in=min(0.3, vov))
        p = replace(p, cc=cc)
    if t.pm_deg is not None and t.pm_deg > 60:
        p = replace(p, k2=max(p.k2, 8.0), cc=max(p.cc, 0.4 * t.cl))
    return p


def size_for_targets(pins: Pins, t: Targets, base: OpampParams | None = None, max_evals: int = 24) -> Sizing:
    """Meet every stated target together, or report the best try and what falls short."""
    p = initial_params(t, base or OpampParams())
    best: Sizing | None = None
    for n in range(1, max_evals + 1):
        design = two_stage(pins, p)
        fig = measure(design, t.cl)
        short = shortfalls(fig, t)
        score = _badness(fig, t)
        if best is None or score < _badness(best.figures, t):
            best = Sizing(design, fig, short, n)
        if not short:
            return Sizing(design, fig, (), n)
        p = _move(p, fig, t)
        if p is None:
            break
    assert best is not None
    return replace(best, evaluations=n)


def _badness(fig: OpampFigures, t: Targets) -> float:
    s = 0.0
    if t.gain_db is not None:
        s += max(0.0, t.gain_db - fig.gain_db) / 10
    if t.ugb_hz is not None:
        s += max(0.0, math.log(t.ugb_hz / max(fig.ugb_hz, 1.0)))
    if t.pm_deg is not None:
        s += max(0.0, t.pm_deg - fig.pm_deg) / 10
    if t.power_w is not None:
        s += max(0.0, math.log(fig.power_w / t.power_w))
    return s


def _move(p: OpampParams, fig: OpampFigures, t: Targets) -> OpampParams | None:
    """One knob move for the first figure that falls short (None: nothing left to try)."""
    if t.power_w is not None and fig.power_w > t.power_w:
        if p.itail < 0.5e-6:
            return None
        return replace(p, itail=p.itail * 0.95 * t.power_w / fig.power_w)
    if t.pm_deg is not None and fig.pm_deg < t.pm_deg:
        if p.k2 < 16:
            return replace(p, k2=p.k2 * 1.4, itail=p.itail / (1 + 0.4 * p.k2 / (p.k2 + 2))
                           if t.power_w is not None else p.itail)
        if p.cc < 20e-12:
            return replace(p, cc=p.cc * 1.4)
        return None
    if t.ugb_hz is not None and fig.ugb_hz < t.ugb_hz:
        ratio = t.ugb_hz / max(fig.ugb_hz, 1.0)
        if p.cc > 0.2e-12 and (t.pm_deg is None or fig.pm_deg > t.pm_deg + 5):
            return replace(p, cc=max(0.2e-12, p.cc / min(ratio * 1.1, 2.0)))
        if t.power_w is None and p.itail < 500e-6:
            return replace(p, itail=p.itail * min(ratio ** 2, 3.0))
        if p.vov_in > 0.06:
            return replace(p, vov_in=p.vov_in / 1.3)
        return None
    if t.gain_db is not None and fig.gain_db < t.gain_db:
        if p.vov_in > 0.06:
            return replace(p, vov_in=p.vov_in / 1.4)
        return None
    return None


def three_stage(pins: Pins, p: OpampParams, i3: float = 40e-6, cc3: float = 1e-12) -> Design:
    """Two-stage core + an NMOS common-source third stage with a PMOS current-source load.

    The third stage inverts, so the core's inputs are swapped to keep ``inp`` the
    non-inverting input; each of the last two stages has its own Miller capacitor
    (gain well above 80 dB; the stability in feedback is not sized here).
    """
    inp, inn, out = _opamp_io(pins)
    m_n, m_p = mos_params(p.model_file, "nch"), mos_params(p.model_file, "pch")
    b = Builder()
    bias_v, bias_i = list(pins.bias_v), list(pins.bias_i)
    io: dict[str, Port] = {}
    y = net("y")
    _core(b, bias_v, io, bias_i, inn, inp, y, p, m_n, m_p, level=pins.level)
    if bias_v or bias_i:
        raise InputError(f"a three-stage op-amp here has no use for bias port(s) {', '.join(bias_v + bias_i)}")
    b.block("third_stage_bias", "resistor into a PMOS diode sets the third stage's current")
    wp = m_p.wl(i3, 0.25, m_p.vto + 0.25) * L0
    b.m(net("p3"), net("p3"), "vdd", "vdd", "p", wp, L0)
    b.r(net("p3"), "gnd", (p.vdd - m_p.vto - 0.25) / i3)
    b.block("nmos_cs_stage_3", "third gain stage: NMOS common source, PMOS current-source load")
    b.m(out, y, "gnd", "gnd", "n", m_n.wl(i3, p.vcm - m_n.vto, p.vdd / 2) * L0, L0)
    b.m(out, net("p3"), "vdd", "vdd", "p", wp, L0)
    b.block("miller_compensation_3", "Miller capacitor across the third stage")
    b.c(y, out, cc3)
    io[inp] = Port(inp, "voltage_in", p.vcm, "V", "non-inverting input")
    io[inn] = Port(inn, "voltage_in", p.vcm, "V", "inverting input")
    io[out] = Port(out, "voltage_out", p.vcm, "V")
    return finish("three_stage_opamp", "nmos:nested_miller", b, pins, io, vdd=p.vdd, model_file=p.model_file,
                  params=params_dict(p))


def folded_cascode(pins: Pins, p: OpampParams, i_branch: float = 20e-6) -> Design:
    """Folded-cascode OTA, flat: NMOS pair folded into PMOS cascodes over a low-voltage cascode
    NMOS mirror (single-ended output, non-inverting from ``inp``).

    Gate biases, in the order the user lists voltage bias ports: tail, PMOS sources, PMOS
    cascodes, NMOS cascodes (each sized for the level the testbench applies); a current bias
    port feeds the tail's diode; whatever is not given is generated on chip.
    """
    if pins.diff is None or len(pins.outputs) != 1:
        raise InputError("an op-amp needs a differential input pair and one output",
                         fix="mark the inputs diff_in_p / diff_in_n and give one output")
    if len(pins.bias_v) > 4 or len(pins.bias_i) > 1:
        raise InputError(f"a folded-cascode OTA takes at most four voltage bias ports and one current port, "
                         f"got {', '.join(pins.bias_v + pins.bias_i)}")
    inp, inn = pins.diff
    (out,) = pins.outputs
    m_n, m_p = mos_params(p.model_file, "nch"), mos_params(p.model_file, "pch")
    b = Builder()
    io: dict[str, Port] = {}
    free = list(pins.bias_v)
    it = 2 * p.itail
    i_top = it / 2 + i_branch

    def gate(v_want: float, what: str) -> tuple[str, float]:
        if free:
            name = free.pop(0)
            io[name] = Port(name, "bias", round(pins.level(name), 4), "V", what)
            return name, pins.level(name)
        node = net(f"vb{len(io) + len(b.blocks)}")
        b.block("bias_divider", f"{what}: {v_want:.3g} V")
        b.r("vdd", node, 200e3 * (p.vdd - v_want) / p.vdd)
        b.r(node, "gnd", 200e3 * v_want / p.vdd)
        b.c(node, "gnd", 1e-12)
        return node, v_want

    vs = p.vcm - m_n.vt(0.3) - p.vov_in
    if pins.bias_i:
        name = pins.bias_i[0]
        i_in = abs(pins.level(name))
        w_unit = m_n.wl(i_in, 0.2, m_n.vto + 0.2) * L0
        b.block("bias_current_mirror", f"diode-connected NMOS takes {i_in * 1e6:.3g} uA into {name}")
        b.m(name, name, "gnd", "gnd", "n", w_unit, L0)
        io[name] = Port(name, "bias", i_in, "A", "DC current into the pin")
        g_tail, w_tail = name, w_unit * it / i_in
    else:
        g_tail, v = gate(m_n.vto + 0.2, "tail gate voltage")
        w_tail = m_n.wl_any(it, max(v - m_n.vto, 0.05), max(vs, 0.05)) * L0
    g_top, v_top = gate(p.vdd - m_p.vto - 0.25, "PMOS source gate voltage")
    g_pc, v_pc = gate(p.vdd - 0.3 - m_p.vt(0.3) - 0.15, "PMOS cascode gate voltage")
    g_nc, v_nc = gate(0.3 + m_n.vt(0.3) + 0.15, "NMOS cascode gate voltage")
    f_node = min(p.vdd - 0.1, v_pc + m_p.vt(0.3) + 0.15)
    n_node = max(0.1, v_nc - m_n.vt(0.25) - 0.15)
    b.block("nmos_tail_source", f"tail {it * 1e6:.3g} uA")
    b.m(net("tail"), g_tail, "gnd", "gnd", "n", w_tail, L0)
    b.block("nmos_diff_pair", "input pair; its drains are the folding nodes")
    w_in = m_n.wl(it / 2, p.vov_in, f_node - vs) * L0
    b.m(net("f1"), inp, net("tail"), "gnd", "n", w_in, L0)
    b.m(net("f2"), inn, net("tail"), "gnd", "n", w_in, L0)
    b.block("pmos_current_sources", f"{i_top * 1e6:.3g} uA into each folding node")
    w_top = m_p.wl_any(i_top, max(p.vdd - v_top - m_p.vto, 0.05), max(p.vdd - f_node, 0.05)) * L0
    b.m(net("f1"), g_top, "vdd", "vdd", "p", w_top, L0)
    b.m(net("f2"), g_top, "vdd", "vdd", "p", w_top, L0)
    b.block("pmos_folding_cascodes", "PMOS cascodes: sources on the folding nodes")
    w_pc = m_p.wl(i_branch, 0.15, 0.5) * L0
    b.m(net("o1"), g_pc, net("f1"), "vdd", "p", w_pc, L0)
    b.m(out, g_pc, net("f2"), "vdd", "p", w_pc, L0)
    b.block("nmos_cascode_mirror", "low-voltage cascode mirror: bottom gates on the left cascode's drain")
    w_nc = m_n.wl(i_branch, 0.15, 0.4) * L0
    w_bot = m_n.wl(i_branch, 0.2, max(n_node, 0.2)) * L0
    b.m(net("o1"), g_nc, net("n1"), "gnd", "n", w_nc, L0)
    b.m(out, g_nc, net("n2"), "gnd", "n", w_nc, L0)
    b.m(net("n1"), net("o1"), "gnd", "gnd", "n", w_bot, L0)
    b.m(net("n2"), net("o1"), "gnd", "gnd", "n", w_bot, L0)
    if free:
        raise InputError(f"a folded-cascode OTA has no use for bias port(s) {', '.join(free)}")
    io[inp] = Port(inp, "voltage_in", p.vcm, "V", "non-inverting input")
    io[inn] = Port(inn, "voltage_in", p.vcm, "V", "inverting input")
    io[out] = Port(out, "voltage_out", p.vcm, "V")
    return finish("folded_cascode", "nmos:flat", b, pins, io, vdd=p.vdd, model_file=p.model_file,
                  params=params_dict(p))
