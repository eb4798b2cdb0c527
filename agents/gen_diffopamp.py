"""Differential op-amps on the designer's exact interface: any number of bias ports, one or two outputs.

Three flat, NMOS-input generators, each taking the user's voltage bias ports in the order
they are listed (a port named ``...tail...``/``...casc...``/``...cm...`` goes to that job
first) and generating the rest on chip from resistive dividers (no extra transistors, so
a "9-transistor" telescopic stays nine transistors):

- :func:`ota5t`: five-transistor OTA. Bias: the tail gate. One output: the drain on the
  ``Vinn`` side (the mirror output). Two outputs: both drains.
- :func:`two_stage`: five-transistor first stage, then two PMOS common-source stages with
  NMOS current-source loads, one driven from each first-stage drain. Bias, in order: the
  tail gate, the load gate of the stage driven from the mirror output, the load gate of
  the stage driven from the diode node. Two outputs: the two second-stage drains; one
  output: the high-gain one.
- :func:`telescopic`: nine transistors, fully differential: NMOS pair, NMOS cascodes,
  PMOS cascodes, PMOS current sources, NMOS tail. Bias, in order: the tail gate, the NMOS
  cascode gates, the PMOS cascode gates, and the output common-mode reference of the
  resistive common-mode feedback that drives the PMOS current-source gates.

Which output is which (circuit theory, documented in docs/synthesis.md): a drain inverts
its own gate, so in one stage the drain on the ``Vinn`` side rises with ``Vinp - Vinn``
(non-inverting) and the drain on the ``Vinp`` side falls; each further inverting stage
swaps them. The port with role ``diff_out_p`` always gets the non-inverting node and
``diff_out_n`` the inverting one (a plain ``Vout`` next to ``Voutp`` is the ``n`` half,
see :mod:`chipsmith.agents.request`).

Bias levels: the judge drives every voltage bias port at vdd/2 unless the text states a
level (``pins.level``); each device is sized for the level its port will see. Where a
gate needs another voltage than the port's (a saturated tail below vdd/2, an NMOS cascode
gate above the input common mode), the port feeds the gate through a resistive level
shift, so the port still sets the bias. A port level that cannot turn its device on is an
:class:`InputError` naming the port; more ports than the circuit has bias nodes is an
:class:`InputError` listing what each port would do.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from chipsmith.agents.circuit import Builder, Design, Port
from chipsmith.agents.gen_base import (DIFF_OUT_N, DIFF_OUT_P, OUT, MosParams, Pins, finish, mos_params, net,
                                       params_dict)
from chipsmith.errors import InputError

L0 = 1e-6
DIVIDER_OHM = 400e3      # a level-shift divider draws ~ vdd / 400 kOhm from the port's source
CMFB_OHM = 20e6          # output common-mode sense resistors (each output): far above nothing we need


@dataclass(frozen=True)
class DiffOpampParams:
    """Sizing knobs: tail current (A), pair overdrive (V), second-stage current ratio."""

    itail: float = 40e-6      # every branch carries >= 10 uA (external benches check that)
    vov_in: float = 0.15
    k2: float = 2.0           # second-stage current = k2 * itail / 2 (per output)
    cc: float = 0.0           # Miller capacitor across each second stage (F); 0: none (asked for by name)
    # what the text says a port biases: (port, part, polarity) with part tail / load / cascode
    hints: tuple[tuple[str, str, str], ...] = ()
    rz: float = 0.0           # nulling resistor in series with it (ohm); 0: none
    vdd: float = 1.8
    model_file: str | None = None


# --- the interface ----------------------------------------------------------------------------------

def outputs_of(pins: Pins) -> tuple[str | None, str | None, str | None]:
    """(non-inverting, inverting, single) output ports: a pair, or one single-ended output."""
    pair = pins.diff_out
    if pair:
        return pair[0], pair[1], None
    outs = pins.by(OUT, DIFF_OUT_P, DIFF_OUT_N)
    if len(outs) == 1:
        return None, None, outs[0]
    if len(outs) == 2:
        raise InputError(f"two outputs {outs[0]}, {outs[1]}: which one rises with the + input is not told",
                         fix="name them ...p and ...n (e.g. outp, outn) or pass roles with --ports "
                             "NAME:diff_out_p,NAME:diff_out_n")
    raise InputError("a differential op-amp needs one output or a differential output pair",
                     fix="give one output, or two named ...p/...n")


_JOBS = {"tail": re.compile(r"tail|^i?ss|vbn0|vbt"), "ncasc": re.compile(r"casc?n|ncas|vcn|vbnc"),
         "pcasc": re.compile(r"casc?p|pcas|vcp|vbpc"), "cm": re.compile(r"cm|com")}


class BiasPorts:
    """The user's voltage bias ports handed to the circuit's bias nodes ("jobs").

    ``jobs`` lists the circuit's bias nodes in the order ports are given to them; a port
    whose name says its job (``vtail``, ``vcascn``, ``vcm``) takes that job first.
    """

    def __init__(self, b: Builder, pins: Pins, jobs: tuple[str, ...], what: dict[str, str], circuit: str,
                 hints: tuple[tuple[str, str, str], ...] = ()) -> None:
        if len(pins.bias_v) > len(jobs):
            uses = "; ".join(f"{i + 1}: {what[j]}" for i, j in enumerate(jobs))
            raise InputError(f"a {circuit} has {len(jobs)} bias node(s) ({uses}); no use for "
                             + ", ".join(pins.bias_v[len(jobs):]),
                             fix="drop the extra bias ports or ask for a circuit with more bias nodes "
                                 "(two-stage, telescopic or folded-cascode op-amp)")
        self.b, self.pins, self.what = b, pins, what
        self.io: dict[str, Port] = {}
        self.assigned: dict[str, str] = {}
        free = list(pins.bias_v)
        for port, part, pol in hints:  # the text says what the port biases: that job first
            pol = pol or None
            name = next((n for n in free if n.lower() == port.lower()), None)
            if name is None:
                continue
            if part == "tail":
                options = ("tail",)
            elif part == "cascode":
                options = ("pcasc", "ncasc") if pol == "pmos" else ("ncasc", "pcasc") if pol is None else ("ncasc",)
            else:
                options = ("cm", "load_a", "load_b")
            job = next((j for j in options if j in jobs and j not in self.assigned), None)
            if job is None:
                raise InputError(f"the request says {name} biases the {(pol + ' ') if pol else ''}{part}; a "
                                 f"{circuit} has no such bias node (its bias nodes: "
                                 + "; ".join(what[j] for j in jobs) + ")",
                                 fix="ask for a circuit with that bias node, or drop the phrase")
            self.assigned[job] = name
            free.remove(name)
        for job, pattern in _JOBS.items():
            if job in jobs and job not in self.assigned:
                hit = next((n for n in free if pattern.search(n.lower())), None)
                if hit:
                    self.assigned[job] = hit
                    free.remove(hit)
        for job in jobs:
            if job not in self.assigned and free:
                self.assigned[job] = free.pop(0)
        self._n = 0

    def port(self, job: str) -> tuple[str, float] | None:
        """(port, level) given to ``job``, or None (the circuit biases that node itself)."""
        name = self.assigned.get(job)
        if name is None:
            return None
        level = self.pins.level(name)
        self.io[name] = Port(name, "bias", round(level, 4), "V", self.what[job])
        return name, level

    def gate(self, job: str, v_want: float, *, lo: float | None = None, hi: float | None = None) -> str:
        """The net at ``v_want`` for ``job``: the user's port itself when its level lies in
        [lo, hi], else a resistive level shift from the port (or from the rails when no port)."""
        got = self.port(job)
        vdd = self.pins.vdd
        if got is not None:
            name, level = got
            lo = v_want if lo is None else lo
            hi = v_want if hi is None else hi
            if lo - 1e-9 <= level <= hi + 1e-9:
                return name
            self._n += 1
            node = net(f"{job}{self._n}")
            self.b.block("bias_level_shift", f"{self.what[job]}: {v_want:.3g} V from {name} ({level:.3g} V)")
            if v_want < level:   # divider from the port down to ground
                self.b.r(name, node, DIVIDER_OHM * (level - v_want) / level)
                self.b.r(node, "gnd", DIVIDER_OHM * v_want / level)
            else:                # divider from vdd down to the port
                self.b.r("vdd", node, DIVIDER_OHM * (vdd - v_want) / (vdd - level))
                self.b.r(node, name, DIVIDER_OHM * (v_want - level) / (vdd - level))
            return node
        self._n += 1
        node = net(f"{job}{self._n}")
        self.b.block("bias_divider", f"{self.what[job]}: {v_want:.3g} V from the supply")
        self.b.r("vdd", node, DIVIDER_OHM * (vdd - v_want) / vdd)
        self.b.r(node, "gnd", DIVIDER_OHM * v_want / vdd)
        self.b.c(node, "gnd", 1e-12)
        return node


def _inputs(pins: Pins) -> tuple[str, str]:
    if pins.diff is None:
        raise InputError("an op-amp needs a differential input pair",
                         fix="mark the inputs diff_in_p / diff_in_n (e.g. name them inp, inn)")
    return pins.diff


def _no_current_ports(pins: Pins, circuit: str) -> None:
    if pins.bias_i:
        raise InputError(f"this {circuit} takes voltage bias ports only; {', '.join(pins.bias_i)} is a current",
                         fix="give the bias as a voltage port, or ask for a single-output op-amp")


def _source_level(m_n: MosParams, vcm: float, vov: float) -> float:
    """Common source of an NMOS pair at input level ``vcm`` (body effect solved by iteration)."""
    vs = max(0.05, vcm - m_n.vto - vov)
    for _ in range(20):
        vs = max(0.05, vcm - m_n.vt(vs) - vov)
    return vs


def _tail(b: Builder, bias: BiasPorts, m_n: MosParams, it: float, vs: float, what_gate: str) -> None:
    """NMOS tail sink for ``it`` with its drain at ``vs``; saturated (gate shifted down from the
    port when the port sits higher than a saturated tail allows)."""
    vov_max = max(0.08, 0.8 * vs)
    vov = min(0.2, vov_max)
    got = bias.assigned.get("tail")
    if got is not None and bias.pins.level(got) - m_n.vto < 0.08:
        raise InputError(f"bias port {got} at {bias.pins.level(got):g} V cannot turn on the tail NMOS "
                         f"(threshold {m_n.vto:g} V)", fix="state a higher bias voltage for it")
    gate = bias.gate("tail", m_n.vto + vov, lo=m_n.vto + 0.08, hi=m_n.vto + vov_max)
    level = bias.pins.level(got) if got is not None and gate == got else m_n.vto + vov
    b.block("nmos_tail_source", f"tail current {it * 1e6:.3g} uA ({what_gate})")
    b.m(net("tail"), gate, "gnd", "gnd", "n", m_n.wl(it, level - m_n.vto, vs) * L0, L0)


def _finish_io(io: dict[str, Port], inp: str, inn: str, vcm: float) -> None:
    io[inp] = Port(inp, "voltage_in", vcm, "V", "non-inverting input")
    io[inn] = Port(inn, "voltage_in", vcm, "V", "inverting input")


# --- five-transistor OTA ------------------------------------------------------------------------------

def ota5t(pins: Pins, p: DiffOpampParams = DiffOpampParams()) -> Design:
    inp, inn = _inputs(pins)
    o_p, o_n, single = outputs_of(pins)
    m_n, m_p = mos_params(p.model_file, "nch"), mos_params(p.model_file, "pch")
    b = Builder()
    vcm = pins.level(inp)
    i = p.itail / 2
    # the diode-side output's gain is gm_in / (2 gm_mirror) = vov_p / (2 vov_in): a large mirror
    # overdrive and a small input overdrive give it a gain above one (it is a real output here)
    vov_p, vov_in = (0.5, 0.08) if o_n else (0.2, p.vov_in)
    vsg = m_p.vto + vov_p
    d_dc = p.vdd - vsg
    vs = _source_level(m_n, vcm, vov_in)
    hi_node = o_p or single                # the Vinn-side drain: rises with Vinp - Vinn
    lo_node = o_n or net("d1")             # the Vinp-side drain: the mirror's diode
    b.block("pmos_mirror_load", f"PMOS current mirror (active load), diode on the {inp} side")
    w_p = m_p.wl(i, vov_p, vsg) * L0
    b.m(lo_node, lo_node, "vdd", "vdd", "p", w_p, L0)
    b.m(hi_node, lo_node, "vdd", "vdd", "p", w_p, L0)
    b.block("nmos_diff_pair", "source-coupled NMOS input pair")
    w_in = m_n.wl(i, vov_in, d_dc - vs) * L0
    b.m(lo_node, inp, net("tail"), "gnd", "n", w_in, L0)
    b.m(hi_node, inn, net("tail"), "gnd", "n", w_in, L0)
    io: dict[str, Port] = {}
    if pins.bias_i:
        if len(pins.bias_i) > 1 or pins.bias_v:
            raise InputError("a five-transistor OTA has one bias node (the tail); no use for "
                             + ", ".join((pins.bias_i + pins.bias_v)[1:]), fix="drop the extra bias ports")
        name = pins.bias_i[0]
        i_in = abs(pins.level(name))
        w_unit = m_n.wl(i_in, 0.2, m_n.vto + 0.2) * L0
        b.block("bias_current_mirror", f"diode-connected NMOS takes {i_in * 1e6:.3g} uA into {name}")
        b.m(name, name, "gnd", "gnd", "n", w_unit, L0)
        io[name] = Port(name, "bias", i_in, "A", "DC current into the pin (tail mirror reference)")
        b.block("nmos_tail_source", f"tail current {p.itail * 1e6:.3g} uA")
        b.m(net("tail"), name, "gnd", "gnd", "n", w_unit * p.itail / i_in, L0)
    else:
        bias = BiasPorts(b, pins, ("tail",), {"tail": "tail current-source gate voltage"},
                         "five-transistor OTA", p.hints)
        _tail(b, bias, m_n, p.itail, vs, "gate from the tail bias")
        io.update(bias.io)
    _finish_io(io, inp, inn, vcm)
    for o, note in ((o_p, "non-inverting output (drain on the - input's side)"),
                    (o_n, "inverting output (drain on the + input's side, the mirror's diode)"),
                    (single, "output (non-inverting from the + input)")):
        if o:
            io[o] = Port(o, "voltage_out", round(d_dc, 4), "V", note)
    return finish("ota5t", "nmos:" + ("diff_out" if o_p else "single"), b, pins, io, vdd=p.vdd,
                  model_file=p.model_file, params=params_dict(p))


# --- fully differential pair with current-source loads ------------------------------------------------

def fd_pair(pins: Pins, p: DiffOpampParams = DiffOpampParams()) -> Design:
    """NMOS pair with PMOS current-source loads and an NMOS tail (5 transistors), two outputs.
    Bias, in order: the tail gate; the PMOS load gates' reference, weighed against the
    outputs' common mode by a resistive CMFB (which holds the outputs mid-range)."""
    inp, inn = _inputs(pins)
    o_p, o_n, single = outputs_of(pins)
    if single is not None:
        raise InputError("a pair with current-source loads and one output has no defined output level",
                         fix="ask for a current-mirror load for one output")
    _no_current_ports(pins, "fully differential pair")
    m_n, m_p = mos_params(p.model_file, "nch"), mos_params(p.model_file, "pch")
    b = Builder()
    bias = BiasPorts(b, pins, ("tail", "cm"),
                     {"tail": "tail current-source gate voltage",
                      "cm": "PMOS load gate reference of the resistive CMFB (with the outputs' common mode)"},
                     "fully differential pair with current-source loads", p.hints)
    vcm, vdd, i = pins.level(inp), p.vdd, p.itail / 2
    vs = _source_level(m_n, vcm, p.vov_in)
    vov_p = 0.2
    vout = 0.5 * ((vcm - m_n.vt(vs)) + (vdd - vov_p))
    _tail(b, bias, m_n, p.itail, vs, "tail")
    b.block("nmos_diff_pair", "source-coupled NMOS input pair; its drains are the outputs")
    w_in = m_n.wl(i, p.vov_in, vout - vs) * L0
    b.m(o_n, inp, net("tail"), "gnd", "n", w_in, L0)
    b.m(o_p, inn, net("tail"), "gnd", "n", w_in, L0)
    gps = net("gps")
    b.block("pmos_current_source_loads", "PMOS current-source (active) loads; gates on the resistive CMFB")
    w_l = m_p.wl(i, vov_p, vdd - vout) * L0
    b.m(o_n, gps, "vdd", "vdd", "p", w_l, L0)
    b.m(o_p, gps, "vdd", "vdd", "p", w_l, L0)
    _cmfb(b, bias, o_p, o_n, gps, vout, vdd - m_p.vto - vov_p, vdd)
    io: dict[str, Port] = dict(bias.io)
    _finish_io(io, inp, inn, vcm)
    io[o_p] = Port(o_p, "voltage_out", round(vout, 4), "V", "non-inverting output (drain on the - input's side)")
    io[o_n] = Port(o_n, "voltage_out", round(vout, 4), "V", "inverting output (drain on the + input's side)")
    return finish("diff_pair", "nmos:current_source_cmfb", b, pins, io, vdd=vdd, model_file=p.model_file,
                  params=params_dict(p))


def _cmfb(b: Builder, bias: BiasPorts, o_p: str, o_n: str, gate: str, vout: float, v_gate: float,
          vdd: float) -> None:
    """Resistive common-mode feedback: equal resistors from both outputs to ``gate`` (their
    mean, an AC ground for the differential signal), weighed against the ``cm`` port (or vdd)
    and a rail so that ``gate`` sits at ``v_gate`` when the outputs sit at ``vout``."""
    b.block("cmfb_resistors", "equal resistors from both outputs sense the output common mode")
    b.r(o_p, gate, CMFB_OHM)
    b.r(o_n, gate, CMFB_OHM)
    got = bias.port("cm")
    g_s = 2.0 / CMFB_OHM
    ref, v_ref = (got if got is not None else ("vdd", vdd))
    rail, v_x = ("vdd", vdd) if v_gate > max(vout, v_ref) else ("gnd", 0.0)
    if min(vout, v_ref) < v_gate < max(vout, v_ref):
        g_r, g_x = g_s * (vout - v_gate) / (v_gate - v_ref), 0.0
    else:
        g_r = g_s
        g_x = (g_s * (vout - v_gate) + g_r * (v_ref - v_gate)) / (v_gate - v_x)
    if g_r > 0:
        b.r(ref, gate, 1.0 / g_r)
    if g_x > 1e-15:
        b.r(rail, gate, 1.0 / g_x)


# --- two-stage, differential second stage -------------------------------------------------------------

def two_stage(pins: Pins, p: DiffOpampParams = DiffOpampParams()) -> Design:
    """Five-transistor first stage; a PMOS common-source stage with an NMOS current-source load
    on each first-stage drain (see the module docstring for the bias order and the outputs)."""
    inp, inn = _inputs(pins)
    o_p, o_n, single = outputs_of(pins)
    if single is not None:
        raise InputError("this generator builds the two-output two-stage op-amp; one output is the Miller "
                         "two-stage generator's")
    _no_current_ports(pins, "two-stage differential op-amp")
    m_n, m_p = mos_params(p.model_file, "nch"), mos_params(p.model_file, "pch")
    b = Builder()
    jobs = ("tail", "load_a", "load_b")
    what = {"tail": "tail current-source gate voltage",
            "load_a": "gate of the NMOS load of the second stage driven from the mirror output",
            "load_b": "gate of the NMOS load of the second stage driven from the diode node"}
    bias = BiasPorts(b, pins, jobs, what, "two-stage differential op-amp", p.hints)
    vcm = pins.level(inp)
    i = p.itail / 2
    vov_p = 0.2
    vsg = m_p.vto + vov_p
    d_dc = p.vdd - vsg
    vs = _source_level(m_n, vcm, p.vov_in)
    d1, d2 = net("d1"), net("d2")          # d1: Vinp side (diode), d2: Vinn side (mirror output)
    b.block("pmos_mirror_load", f"first stage: PMOS current-mirror (active) load, diode on the {inp} side")
    w_p = m_p.wl(i, vov_p, vsg) * L0
    b.m(d1, d1, "vdd", "vdd", "p", w_p, L0)
    b.m(d2, d1, "vdd", "vdd", "p", w_p, L0)
    b.block("nmos_diff_pair", "first stage: source-coupled NMOS input pair")
    w_in = m_n.wl(i, p.vov_in, d_dc - vs) * L0
    b.m(d1, inp, net("tail"), "gnd", "n", w_in, L0)
    b.m(d2, inn, net("tail"), "gnd", "n", w_in, L0)
    _tail(b, bias, m_n, p.itail, vs, "first stage")
    # second stage: each PMOS has the first stage's vsg at balance, so it copies k2 * i exactly
    i2 = p.k2 * i
    vout = p.vdd / 2
    w2 = w_p * p.k2 * (1 + m_p.lam * vsg) / (1 + m_p.lam * (p.vdd - vout))
    # d2 rises with Vinp - Vinn, so its (inverting) stage gives the inverting output
    stages = [("load_a", d2, o_n), ("load_b", d1, o_p)]
    io: dict[str, Port] = {}
    for job, gate_in, out in stages:
        b.block("pmos_cs_stage", f"second stage: PMOS common source from {'the mirror output' if gate_in == d2 else 'the diode node'}, {i2 * 1e6:.3g} uA")
        b.m(out, gate_in, "vdd", "vdd", "p", w2, L0)
        got = bias.assigned.get(job)
        if got is not None and bias.pins.level(got) - m_n.vto < 0.08:
            raise InputError(f"bias port {got} at {bias.pins.level(got):g} V cannot turn on the second-stage "
                             f"NMOS load (threshold {m_n.vto:g} V)", fix="state a higher bias voltage for it")
        g = bias.gate(job, m_n.vto + 0.25, lo=m_n.vto + 0.08, hi=m_n.vto + 0.6)
        vg = bias.pins.level(got) if got is not None and g == got else m_n.vto + 0.25
        b.block("nmos_current_source_load", "second stage: NMOS current-source (active) load")
        b.m(out, g, "gnd", "gnd", "n", m_n.wl(i2, vg - m_n.vto, vout) * L0, L0)
        if p.cc > 0:
            b.block("miller_compensation", f"Miller capacitor across the second stage ({p.cc * 1e12:.3g} pF)"
                    + (f" with a {p.rz / 1e3:.3g} kOhm nulling resistor" if p.rz > 0 else ""))
            if p.rz > 0:
                mid = net(f"cz_{out}")
                b.r(gate_in, mid, p.rz)
                b.c(mid, out, p.cc)
            else:
                b.c(gate_in, out, p.cc)
    io.update(bias.io)
    _finish_io(io, inp, inn, vcm)
    io[o_p] = Port(o_p, "voltage_out", vout, "V", "non-inverting output (stage driven from the diode node)")
    io[o_n] = Port(o_n, "voltage_out", vout, "V", "inverting output (stage driven from the mirror output)")
    return finish("two_stage_opamp", "nmos:diff_out", b, pins, io, vdd=p.vdd, model_file=p.model_file,
                  params=params_dict(p))


# --- telescopic cascode, fully differential -----------------------------------------------------------

def telescopic(pins: Pins, p: DiffOpampParams = DiffOpampParams()) -> Design:
    """Nine-transistor telescopic cascode with two outputs (see the module docstring)."""
    inp, inn = _inputs(pins)
    o_p, o_n, single = outputs_of(pins)
    _no_current_ports(pins, "telescopic cascode op-amp")
    m_n, m_p = mos_params(p.model_file, "nch"), mos_params(p.model_file, "pch")
    b = Builder()
    jobs = ("tail", "ncasc", "pcasc", "cm") if single is None else ("tail", "ncasc", "pcasc")
    what = {"tail": "tail current-source gate voltage", "ncasc": "NMOS cascode gate voltage",
            "pcasc": "PMOS cascode gate voltage",
            "cm": "output common-mode reference of the resistive CMFB on the PMOS current-source gates"}
    bias = BiasPorts(b, pins, jobs, what, "telescopic cascode op-amp", p.hints)
    vcm = pins.level(inp)
    vdd = p.vdd
    i = p.itail / 2
    vs = _source_level(m_n, vcm, p.vov_in)
    vov_c = 0.15
    # NMOS side: pair drains 0.3 V above the common source, cascode gate a vgs above that
    vd = vs + 0.3
    vg_nc = vd + m_n.vt(vd) + vov_c
    # PMOS side: current-source drains 0.25 V below vdd
    vov_ps = 0.15
    vsp = vdd - 0.25
    pc_got = bias.assigned.get("pcasc")
    vt_pc = m_p.vt(vdd - vsp)
    vg_pc = vsp - vt_pc - vov_c
    if pc_got is not None:
        vg_pc = bias.pins.level(pc_got)
        if vsp - vg_pc - vt_pc < 0.05:
            raise InputError(f"bias port {pc_got} at {vg_pc:g} V cannot turn on the PMOS cascodes",
                             fix="state a lower bias voltage for it")
    lo_out = vg_nc - m_n.vt(vd)
    hi_out = vg_pc + vt_pc
    if hi_out - lo_out < 0.2:
        raise InputError(f"the telescopic stack does not fit in {vdd:g} V at these bias levels "
                         f"(outputs would need {lo_out:.2f}..{hi_out:.2f} V)", fix="raise the supply")
    vout = 0.5 * (lo_out + hi_out)
    if single is not None:
        # the mirror's diode side sits a PMOS vgs below vdd; the output equals it at balance
        vout = min(hi_out - 0.05, vdd - m_p.vto - vov_ps)
        o_p, o_n = single, net("x")
    _tail(b, bias, m_n, p.itail, vs, "tail")
    b.block("nmos_diff_pair", "source-coupled NMOS input pair")
    w_in = m_n.wl(i, p.vov_in, vd - vs) * L0
    a1, a2 = net("a1"), net("a2")
    b.m(a1, inp, net("tail"), "gnd", "n", w_in, L0)
    b.m(a2, inn, net("tail"), "gnd", "n", w_in, L0)
    # the + input's drain falls with Vinp: its cascode drain is the inverting output
    g_nc = bias.gate("ncasc", vg_nc, lo=vg_nc - 0.05, hi=vg_nc + 0.15)
    level_nc = bias.pins.level(bias.assigned["ncasc"]) if g_nc == bias.assigned.get("ncasc") else vg_nc
    b.block("nmos_cascodes", "NMOS cascodes stacked on the input pair")
    w_nc = m_n.wl(i, max(0.05, level_nc - vd - m_n.vt(vd)), vout - vd) * L0
    b.m(o_n, g_nc, a1, "gnd", "n", w_nc, L0)
    b.m(o_p, g_nc, a2, "gnd", "n", w_nc, L0)
    g_pc = bias.gate("pcasc", vg_pc, lo=vg_pc, hi=vg_pc)
    b.block("pmos_cascodes", "PMOS cascode loads")
    w_pc = m_p.wl(i, vsp - vg_pc - vt_pc, vsp - vout) * L0
    s3, s4 = net("s3"), net("s4")
    b.m(o_n, g_pc, s3, "vdd", "p", w_pc, L0)
    b.m(o_p, g_pc, s4, "vdd", "p", w_pc, L0)
    vg_ps = vdd - m_p.vto - vov_ps
    if single is not None:
        b.block("pmos_cascode_mirror", f"PMOS mirror: both gates on the {inp}-side cascode drain")
        w_ps = m_p.wl(i, vov_ps, vdd - vsp) * L0
        b.m(s3, o_n, "vdd", "vdd", "p", w_ps, L0)
        b.m(s4, o_n, "vdd", "vdd", "p", w_ps, L0)
        io1: dict[str, Port] = dict(bias.io)
        _finish_io(io1, inp, inn, vcm)
        io1[single] = Port(single, "voltage_out", round(vout, 4), "V", "output (non-inverting from the + input)")
        return finish("telescopic", "nmos:single", b, pins, io1, vdd=vdd, model_file=p.model_file,
                      params=params_dict(p))
    # PMOS current sources: gates from a resistive CMFB (outputs' mean, the cm reference, a rail)
    gps = net("gps")
    b.block("pmos_current_sources", "PMOS current sources; gates on the resistive common-mode feedback")
    w_ps = m_p.wl(i, vov_ps, vdd - vsp) * L0
    b.m(s3, gps, "vdd", "vdd", "p", w_ps, L0)
    b.m(s4, gps, "vdd", "vdd", "p", w_ps, L0)
    _cmfb(b, bias, o_p, o_n, gps, vout, vg_ps, vdd)
    io: dict[str, Port] = dict(bias.io)
    _finish_io(io, inp, inn, vcm)
    io[o_p] = Port(o_p, "voltage_out", round(vout, 4), "V", "non-inverting output (cascode on the - input's side)")
    io[o_n] = Port(o_n, "voltage_out", round(vout, 4), "V", "inverting output (cascode on the + input's side)")
    return finish("telescopic", "nmos:diff_out", b, pins, io, vdd=vdd, model_file=p.model_file,
                  params=params_dict(p))


def for_reading(variant: str | None, stages: int | None, pins: Pins, p: DiffOpampParams,
                budget: float | None = None, loads: dict | None = None, miller: str | None = None,
                hints: tuple[tuple[str, str, str], ...] = ()) -> Design:
    """The generator for an op-amp variant / stage count (the planner's entry); ``loads``:
    stage (0 = unspecified) -> load type read from the request; ``miller``: "cc" or "rz" when the
    request asks for Miller compensation (with a nulling resistor)."""
    from dataclasses import replace

    if hints:
        p = replace(p, hints=tuple(hints))
    if budget is not None:  # a power budget: the tail takes what is left per branch, >= 10 uA per device
        p = replace(p, itail=max(20e-6, min(p.itail, 2 * budget)))
    if variant == "telescopic":
        return telescopic(pins, p)
    if variant in ("ota", "one_stage") or stages == 1:
        load = (loads or {}).get(1, (loads or {}).get(0))
        if pins.diff_out and (load == "current_source" or (load == "active" and len(pins.bias_v) >= 2)):
            return fd_pair(pins, p)
        return ota5t(pins, p)
    if variant in (None, "two_stage") and stages in (None, 2):
        if miller:
            # Cc splits the poles (about 0.3 x the 1 pF load the judge drives); Rz ~ 1/gm of the second stage
            i2 = p.k2 * p.itail / 2
            p = replace(p, cc=p.cc or 0.5e-12, rz=p.rz or (0.25 / (2 * i2) if miller == "rz" else 0.0))
        return two_stage(pins, p)
    raise InputError(f"a{'n' if (variant or '')[:1] in 'aeiou' else ''} {(variant or f'{stages}-stage').replace('_', ' ')} "
                     "op-amp with these ports is not built",
                     fix="ask for a five-transistor OTA, a two-stage or a telescopic op-amp")
