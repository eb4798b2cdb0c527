"""Transistor amplifiers by composition: N-stage common-source cascades with a load per stage,
common-gate, source follower, cascode and differential pairs, on the user's ports.

Every stage is sized by hand with the square law of the model card in use
(:func:`~chipsmith.agents.gen_base.mos_params`, level-1 exact: ``lambda`` and body effect
included) so that each DC-coupled stage maps the input level ``vin_dc`` onto the same
output level: a cascade of any length then has its operating point at ``vin_dc`` on
every gate, and a single stage has its output where the load type allows the most gain.

Bias: a user voltage bias port drives the gate it is named for (current-sink gate,
cascode gate, PMOS load gate, in the order the user listed them); a user current bias
port feeds a diode-connected NMOS whose gate biases the sinks; without bias ports the
stage biases itself (resistor into a diode-connected device). The DC each bias port
expects is recorded on its :class:`~chipsmith.agents.circuit.Port`.
"""
from __future__ import annotations

from dataclasses import dataclass

from chipsmith.agents.circuit import Builder, Design, Port
from chipsmith.agents.gen_base import MosParams, Pins, finish, mos_params, net, params_dict
from chipsmith.errors import InputError

LOADS = ("resistor", "nmos_diode", "pmos_diode", "current_source")
L0 = 1e-6


@dataclass(frozen=True)
class Stage:
    """One common-source stage: load type and drain current (A)."""

    load: str = "resistor"
    current: float = 40e-6
    vov: float | None = None       # input overdrive (V); None: the cascade's level
    degeneration: float = 0.0      # source resistor (ohm); 0: source at ground

    def __post_init__(self) -> None:
        if self.load not in LOADS:
            raise InputError(f"unknown stage load {self.load!r}", fix=f"use one of: {', '.join(LOADS)}")
        if not 1e-7 <= self.current <= 5e-3:
            raise InputError(f"stage current {self.current:g} A is out of range [0.1 uA, 5 mA]")


@dataclass(frozen=True)
class CascadeParams:
    """An N-stage common-source cascade, DC-coupled, every gate at ``vin_dc``."""

    stages: tuple[Stage, ...] = (Stage(),)
    vin_dc: float = 0.7
    follower: bool = False        # an NMOS source-follower output buffer after the last stage
    miller: float = 0.0           # compensation capacitor (F) around every stage after the first; 0: none
    miller_rz: float = 0.0        # its series (nulling) resistor (ohm); 0: none
    vdd: float = 1.8
    model_file: str | None = None

    def __post_init__(self) -> None:
        if not 1 <= len(self.stages) <= 6:
            raise InputError(f"a cascade has 1..6 stages, got {len(self.stages)}")


class _Bias:
    """Hands out the user's bias ports in their listed order; internal bias when they run out.

    A user port's DC is what the testbench applies (``pins.level``: vdd/2 or a stated
    condition), so devices are sized for that level; an internal bias is designed for
    the level the stage wants.
    """

    def __init__(self, b: Builder, pins: Pins, m_n: MosParams, m_p: MosParams, vdd: float) -> None:
        self.b, self.pins, self.m_n, self.m_p, self.vdd = b, pins, m_n, m_p, vdd
        self.free_v = list(pins.bias_v)
        self.free_i = list(pins.bias_i)
        self.io: dict[str, Port] = {}
        self._nsink: tuple[str, float] | None = None  # (gate net, NMOS width per ampere at L0)
        self._count = 0

    def _internal(self, tag: str) -> str:
        self._count += 1
        return net(f"{tag}{self._count}")

    def voltage(self, v: float, what: str) -> tuple[str, float]:
        """(net, volts) of a gate bias: the next user voltage bias port (at its level), else a divider at ``v``."""
        if self.free_v:
            name = self.free_v.pop(0)
            level = self.pins.level(name)
            self.io[name] = Port(name, "bias", round(level, 4), "V", what)
            return name, level
        node = self._internal("vb")
        self.b.block("bias_divider", f"resistive divider sets the {what} ({v:.3g} V)")
        total = 400e3
        self.b.r("vdd", node, total * (self.vdd - v) / self.vdd)
        self.b.r(node, "gnd", total * v / self.vdd)
        self.b.c(node, "gnd", 1e-12)
        return node, v

    def nsink(self, current: float) -> tuple[str, float]:
        """(gate net, width at L0) of an NMOS sink carrying ``current``; every sink shares one gate."""
        if self._nsink is None:
            vov = 0.2
            if self.free_i:
                name = self.free_i.pop(0)
                i_in = abs(self.pins.level(name))
                w_unit = self.m_n.wl(i_in, vov, self.m_n.vto + vov) * L0
                self.b.block("bias_current_mirror", f"diode-connected NMOS takes {i_in * 1e6:.3g} uA into {name}")
                self.b.m(name, name, "gnd", "gnd", "n", w_unit, L0)
                self.io[name] = Port(name, "bias", i_in, "A", "DC current into the pin")
                self._nsink = (name, w_unit / i_in)
            elif self.free_v:
                gate, level = self.voltage(self.m_n.vto + vov, "NMOS current-sink gate voltage")
                vov = level - self.m_n.vto
                if vov < 0.05:
                    raise InputError(f"bias port {gate} at {level:g} V cannot turn on an NMOS sink "
                                     f"(threshold {self.m_n.vto:g} V)", fix="state a higher bias voltage")
                self._nsink = (gate, self.m_n.wl(1.0, vov, 0.5) * L0)
            else:
                node = self._internal("nb")
                w_unit = self.m_n.wl(current, vov, self.m_n.vto + vov) * L0
                self.b.block("bias_resistor", f"resistor into a diode-connected NMOS sets {current * 1e6:.3g} uA")
                self.b.m(node, node, "gnd", "gnd", "n", w_unit, L0)
                self.b.r("vdd", node, (self.vdd - self.m_n.vto - vov) / current)
                self._nsink = (node, w_unit / current)
        gate, w_per_amp = self._nsink
        return gate, w_per_amp * current

    def leftover(self) -> tuple[str, ...]:
        return tuple(self.free_v + self.free_i)


def _pmos_gate(bias: "_Bias", current: float, vov: float, vds: float, what: str) -> tuple[str, float]:
    """(gate net, width) of a PMOS current source from vdd carrying ``current``."""
    m_p = bias.m_p
    if bias.free_i and not bias.free_v:
        # a current bias port: NMOS diode takes it, an NMOS copy feeds a PMOS diode the load mirrors
        ngate, wn = bias.nsink(current)
        gate = bias._internal("pg")
        bias.b.block("pmos_bias_mirror", "NMOS copy of the bias current into a PMOS diode")
        bias.b.m(gate, ngate, "gnd", "gnd", "n", wn, L0)
        w = m_p.wl(current, vov, m_p.vto + vov) * L0
        bias.b.m(gate, gate, "vdd", "vdd", "p", w, L0)
        return gate, m_p.wl(current, vov, vds) * L0
    gate, vg = bias.voltage(bias.vdd - m_p.vto - vov, what)
    vov = bias.vdd - vg - m_p.vto
    if vov < 0.05:
        raise InputError(f"bias port {gate} at {vg:g} V cannot turn on a PMOS source from {bias.vdd:g} V",
                         fix="state a lower bias voltage")
    return gate, m_p.wl(current, vov, vds) * L0


def _load(b: Builder, bias: _Bias, load: str, out: str, current: float, vo: float, vi: float,
          m_n: MosParams, m_p: MosParams, vdd: float) -> None:
    """The load of one stage between vdd and ``out`` carrying ``current`` with ``out`` at ``vo``."""
    if load == "resistor":
        b.block("resistor_load", f"drain resistor, output at {vo:.2f} V")
        b.r("vdd", out, (vdd - vo) / current)
    elif load == "nmos_diode":
        vov = vdd - vo - m_n.vt(vo)
        if vov < 0.05:
            raise InputError(f"an NMOS diode load cannot hold the output at {vo:.2f} V from {vdd:g} V")
        b.block("nmos_diode_load", "diode-connected NMOS from vdd (gate and drain at vdd)")
        b.m("vdd", "vdd", out, "gnd", "n", m_n.wl(current, vov, vdd - vo) * L0, L0)
    elif load == "pmos_diode":
        vov = vdd - vo - m_p.vto
        if vov < 0.05:
            raise InputError(f"a PMOS diode load cannot hold the output at {vo:.2f} V from {vdd:g} V")
        b.block("pmos_diode_load", "diode-connected PMOS (gate tied to drain)")
        b.m(out, out, "vdd", "vdd", "p", m_p.wl(current, vov, vdd - vo) * L0, L0)
    else:  # current_source: PMOS whose gate voltage puts its current equal to the stage's at vo
        if bias.free_v or bias.free_i:
            gate, w = _pmos_gate(bias, current, 0.3, vdd - vo, "PMOS current-source gate voltage")
        else:
            # replica: an NMOS at the stage's input level feeds a PMOS diode that the load mirrors,
            # so the output sits where the replica's diode sits when the input is at its level
            vov = 0.3
            gate = bias._internal("pg")
            ref, _ = bias.voltage(vi, "replica input level")
            vg = vdd - m_p.vto - vov
            b.block("pmos_bias_replica", "replica of the stage feeds a PMOS diode (mirror for the load)")
            b.m(gate, ref, "gnd", "gnd", "n", m_n.wl(current, vi - m_n.vto, vg) * L0, L0)
            b.m(gate, gate, "vdd", "vdd", "p", m_p.wl(current, vov, vdd - vg) * L0, L0)
            w = m_p.wl(current, vov, vdd - vo) * L0
        b.block("pmos_current_source_load", "PMOS current source from vdd")
        b.m(out, gate, "vdd", "vdd", "p", w, L0)


def _vo(load: str, vi: float, vdd: float, last: bool) -> float:
    """Output level of a stage: the next gate's level inside a cascade, the best-swing level at the end."""
    if not last:
        return vi
    return {"resistor": vdd / 2, "nmos_diode": min(vi, vdd / 2), "pmos_diode": vdd / 2,
            "current_source": vdd / 2}[load]


def cascade(pins: Pins, p: CascadeParams) -> Design:
    """N common-source NMOS stages in a chain, each with its own load type."""
    (inp,), (out,) = _one_in_one_out(pins, "common-source amplifier")
    m_n, m_p = mos_params(p.model_file, "nch"), mos_params(p.model_file, "pch")
    b = Builder()
    bias = _Bias(b, pins, m_n, m_p, p.vdd)
    node, n = inp, len(p.stages)
    # input level of each stage: its source voltage + threshold (body effect) + overdrive; a
    # stage's output sits at the next stage's input level so the DC-coupled chain is consistent
    levels = []
    for st in p.stages:
        vov = st.vov if st.vov is not None else p.vin_dc - m_n.vto
        if vov < 0.04:
            raise InputError(f"input overdrive {vov:g} V is too small to bias a stage")
        vs = st.current * st.degeneration
        levels.append((vs + m_n.vt(vs) + vov, vov, vs))
    w_f = 40e-6
    i_f = 40e-6
    # with a follower the last stage's output sits one gate-source drop above the output level
    vo_follow = p.vdd / 2 + m_n.vgs(i_f, w_f, L0)
    for i, st in enumerate(p.stages):
        last = i == n - 1
        nxt = out if last and not p.follower else net(f"s{i + 1}")
        vi, vov, vs = levels[i]
        vo = (vo_follow if p.follower else _vo(st.load, vi, p.vdd, True)) if last else levels[i + 1][0]
        _load(b, bias, st.load, nxt, st.current, vo, vi, m_n, m_p, p.vdd)
        src = "gnd"
        if st.degeneration:
            src = net(f"src{i + 1}")
            b.block(f"source_degeneration_{i + 1}", f"source resistor {st.degeneration:.4g} ohm")
            b.r(src, "gnd", st.degeneration)
        b.block(f"nmos_cs_stage_{i + 1}", f"common-source NMOS, stage {i + 1} of {n}")
        b.m(nxt, node, src, "gnd", "n", m_n.wl(st.current, vov, vo - vs) * L0, L0)
        if p.miller and i >= 1:
            # pole splitting: Cc from the previous stage's output (this gate) to this stage's output
            b.block(f"miller_compensation_{i + 1}", f"Miller capacitor around stage {i + 1}")
            if p.miller_rz:
                mid = net(f"cz{i + 1}")
                b.r(node, mid, p.miller_rz)
                b.c(mid, nxt, p.miller)
            else:
                b.c(node, nxt, p.miller)
        node = nxt
    if p.follower:
        gate, w_sink = bias.nsink(i_f)
        b.block("source_follower_output", "NMOS follower (body tied to source) buffers the last stage")
        b.m("vdd", node, out, out, "n", w_f, L0)
        b.m(out, gate, "gnd", "gnd", "n", w_sink, L0)
    _no_leftover(bias, f"a {n}-stage common-source amplifier")
    io = {inp: Port(inp, "voltage_in", round(levels[0][0], 4), "V", "gate of the first stage"),
          out: Port(out, "voltage_out", round(_vo(p.stages[-1].load, levels[-1][0], p.vdd, True), 4), "V"),
          **bias.io}
    variant = "+".join(s.load for s in p.stages)
    return finish("cs_amp" if n == 1 else "multistage_amp", variant, b, pins, io, vdd=p.vdd, model_file=p.model_file,
                  params={"stages": n, "vin_dc": p.vin_dc, **{f"i{k + 1}": s.current for k, s in enumerate(p.stages)}})


# --- common gate ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CommonGateParams:
    """NMOS common-gate stage: input at the source, gate at a bias voltage, resistor load."""

    current: float = 50e-6
    vov: float = 0.2
    vout_dc: float = 0.9
    load: str = "resistor"        # resistor | current_source
    vdd: float = 1.8
    model_file: str | None = None


def common_gate(pins: Pins, p: CommonGateParams) -> Design:
    (inp,), (out,) = _one_in_one_out(pins, "common-gate amplifier")
    m_n, m_p = mos_params(p.model_file, "nch"), mos_params(p.model_file, "pch")
    b = Builder()
    bias = _Bias(b, pins, m_n, m_p, p.vdd)
    gate, vg = bias.voltage(0.3 + m_n.vt(0.3) + p.vov, "common-gate gate voltage")
    vov = min(p.vov, vg - m_n.vt(0.1) - 0.1)  # leave the input (source) at least 0.1 V above ground
    vin = vg - vov - m_n.vt(0.2)
    for _ in range(20):  # source level with the body effect: vin = vg - vov - vt(vin)
        vin = vg - vov - m_n.vt(max(vin, 0.0))
    if vin < 0.05:
        raise InputError(f"a common-gate stage with its gate at {vg:g} V has no room for its input "
                         f"(threshold {m_n.vto:g} V)", fix="state a higher bias voltage")
    if p.load == "current_source":
        gp, wp = _pmos_gate(bias, p.current, 0.3, p.vdd - p.vout_dc, "PMOS current-source load gate voltage")
        b.block("pmos_current_source_load", "PMOS current source")
        b.m(out, gp, "vdd", "vdd", "p", wp, L0)
    else:
        b.block("resistor_load", "drain resistor")
        b.r("vdd", out, (p.vdd - p.vout_dc) / p.current)
    b.block("nmos_cg_stage", "common-gate NMOS: input at the source, gate at the bias")
    b.m(out, gate, inp, "gnd", "n", m_n.wl(p.current, vov, p.vout_dc - vin) * L0, L0)
    _no_leftover(bias, "a common-gate amplifier")
    io = {inp: Port(inp, "voltage_in", round(vin, 4), "V", "source of the common-gate device"),
          out: Port(out, "voltage_out", p.vout_dc, "V"), **bias.io}
    return finish("common_gate", p.load, b, pins, io, vdd=p.vdd, model_file=p.model_file,
                  params=params_dict(p))


# --- source follower ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class FollowerParams:
    """NMOS source follower with its body tied to its source (gain close to one) and an NMOS sink."""

    current: float = 50e-6
    w_over_l: float = 60.0
    load: str = "sink"            # sink (NMOS current source) | resistor (to ground)
    vdd: float = 1.8
    model_file: str | None = None


def source_follower(pins: Pins, p: FollowerParams) -> Design:
    (inp,), (out,) = _one_in_one_out(pins, "source follower")
    m_n, m_p = mos_params(p.model_file, "nch"), mos_params(p.model_file, "pch")
    b = Builder()
    bias = _Bias(b, pins, m_n, m_p, p.vdd)
    b.block("nmos_source_follower", "common-drain NMOS, body tied to source (no body effect)")
    b.m("vdd", inp, out, out, "n", p.w_over_l * L0, L0)
    if p.load == "resistor":
        b.block("resistor_source_load", "resistor from the source to ground")
        b.r(out, "gnd", (p.vdd / 2) / p.current)
    else:
        gate, wsink = bias.nsink(p.current)
        b.block("nmos_current_sink", "NMOS current sink")
        b.m(out, gate, "gnd", "gnd", "n", wsink, L0)
    _no_leftover(bias, "a source follower")
    vout = p.vdd / 2
    vin = vout + m_n.vgs(p.current, p.w_over_l * L0, L0)
    io = {inp: Port(inp, "voltage_in", round(vin, 4), "V"), out: Port(out, "voltage_out", vout, "V"), **bias.io}
    return finish("source_follower", f"nmos_body_tied:{p.load}", b, pins, io, vdd=p.vdd, model_file=p.model_file,
                  params=params_dict(p))


# --- cascode -----------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CascodeParams:
    """NMOS cascode (CS + common-gate) with a resistor, PMOS current-source or PMOS cascode load."""

    load: str = "resistor"   # resistor | current_source | cascode_current_source
    current: float = 40e-6
    vov1: float = 0.12
    vdd: float = 1.8
    model_file: str | None = None


def cascode(pins: Pins, p: CascodeParams) -> Design:
    (inp,), (out,) = _one_in_one_out(pins, "cascode amplifier")
    m_n, m_p = mos_params(p.model_file, "nch"), mos_params(p.model_file, "pch")
    b = Builder()
    bias = _Bias(b, pins, m_n, m_p, p.vdd)
    vo = p.vdd / 2
    vov2 = 0.12
    gate_c, vc = bias.voltage(p.vov1 + 0.2 + m_n.vt(p.vov1 + 0.2) + vov2, "NMOS cascode gate voltage")
    vx = p.vov1 + 0.2
    for _ in range(20):  # drain of the input device: vx = vc - vov2 - vt(vx)
        vx = vc - vov2 - m_n.vt(max(vx, 0.0))
    if vx < p.vov1 + 0.03:
        raise InputError(f"a cascode gate at {vc:g} V leaves the input device out of saturation",
                         fix="state a higher cascode bias voltage")
    if p.load == "resistor":
        b.block("resistor_load", "drain resistor")
        b.r("vdd", out, (p.vdd - vo) / p.current)
    elif p.load == "cascode_current_source":
        gp, wp = _pmos_gate(bias, p.current, 0.2, 0.2, "PMOS current-source gate voltage")
        gpc, vgc = bias.voltage(p.vdd - 0.45 - m_p.vt(0.45) - 0.15, "PMOS cascode gate voltage")
        b.block("pmos_cascode_current_source_load", "PMOS current source under a PMOS cascode")
        b.m(net("yp"), gp, "vdd", "vdd", "p", wp, L0)
        b.m(out, gpc, net("yp"), "vdd", "p", m_p.wl(p.current, 0.15, 0.4) * L0, L0)
    else:
        gp, wp = _pmos_gate(bias, p.current, 0.25, p.vdd - vo, "PMOS current-source gate voltage")
        b.block("pmos_current_source_load", "PMOS current source")
        b.m(out, gp, "vdd", "vdd", "p", wp, L0)
    b.block("nmos_cascode_stage", "common-source NMOS under a common-gate NMOS cascode")
    b.m(out, gate_c, net("x"), "gnd", "n", m_n.wl(p.current, vov2, vo - vx) * L0, L0)
    b.m(net("x"), inp, "gnd", "gnd", "n", m_n.wl(p.current, p.vov1, vx) * L0, L0)
    _no_leftover(bias, "a cascode amplifier")
    io = {inp: Port(inp, "voltage_in", round(m_n.vto + p.vov1, 4), "V"),
          out: Port(out, "voltage_out", round(vo, 4), "V"), **bias.io}
    return finish("cascode_amp", p.load, b, pins, io, vdd=p.vdd, model_file=p.model_file, params=params_dict(p))


# --- differential pair ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class DiffParams:
    """NMOS differential pair with a tail sink; loads: resistor, pmos_diode, mirror (single output)."""

    load: str = "resistor"
    tail: float = 80e-6
    vcm: float = 0.9
    vdd: float = 1.8
    model_file: str | None = None
    vov_in: float = 0.15          # input-pair overdrive: the resistor-loaded gain is ~ 2 vdrop / vov_in
    vdrop: float = 0.45           # drop across each load resistor


def diff_pair(pins: Pins, p: DiffParams) -> Design:
    if pins.diff is None:
        raise InputError("a differential amplifier needs a differential input pair",
                         fix="mark the two inputs as diff_in_p and diff_in_n")
    inp, inn = pins.diff
    outs = pins.diff_out or (pins.outputs[:2] if len(pins.outputs) == 2 else None)
    single = pins.outputs[0] if outs is None and len(pins.outputs) == 1 else None
    if outs is None and single is None:
        raise InputError("a differential amplifier needs one output or a differential output pair")
    m_n, m_p = mos_params(p.model_file, "nch"), mos_params(p.model_file, "pch")
    b = Builder()
    bias = _Bias(b, pins, m_n, m_p, p.vdd)
    i = p.tail / 2
    vov_in = p.vov_in
    vs = p.vcm - m_n.vt(0.3) - vov_in
    outp, outn = outs if outs else (single, net("dn"))
    # outp rises with inp: it is the drain of the device driven by inn
    if p.load == "mirror":
        if outs:
            raise InputError("a mirror-loaded pair has a single-ended output",
                             fix="ask for one output, or a resistor/diode load for two")
        vd = p.vdd - m_p.vgs(i, 16e-6, L0)
        b.block("pmos_mirror_load", "PMOS current mirror (active load), diode on the inp side")
        b.m(net("d1"), net("d1"), "vdd", "vdd", "p", 16e-6, L0)
        b.m(single, net("d1"), "vdd", "vdd", "p", 16e-6, L0)
        b.block("nmos_diff_pair", "source-coupled NMOS pair")
        w_in = m_n.wl(i, vov_in, vd - vs) * L0
        b.m(net("d1"), inp, net("tail"), "gnd", "n", w_in, L0)
        b.m(single, inn, net("tail"), "gnd", "n", w_in, L0)
        vo = vd
    else:
        vo = p.vdd - p.vdrop if p.load == "resistor" else p.vdd - m_p.vto - 0.5
        for o in (outp, outn):
            if p.load == "resistor":
                b.block("resistor_load", "drain resistor")
                b.r("vdd", o, (p.vdd - vo) / i)
            elif p.load == "pmos_diode":
                b.block("pmos_diode_load", "diode-connected PMOS")
                b.m(o, o, "vdd", "vdd", "p", m_p.wl(i, 0.5, p.vdd - vo) * L0, L0)
            else:
                raise InputError(f"load {p.load!r} is not offered for a differential pair",
                                 fix="use resistor, pmos_diode or mirror")
        b.block("nmos_diff_pair", "source-coupled NMOS pair")
        w_in = m_n.wl(i, vov_in, vo - vs) * L0
        b.m(outn, inp, net("tail"), "gnd", "n", w_in, L0)
        b.m(outp, inn, net("tail"), "gnd", "n", w_in, L0)
    gate, wt = bias.nsink(p.tail)
    if gate in pins.bias_v:
        # a tail gate at a stated voltage: the sink may sit in triode at the pair's source level
        vov_t = pins.level(gate) - m_n.vto
        if 0.05 < vs < vov_t:
            wt *= m_n.wl_any(1.0, vov_t, vs) / m_n.wl(1.0, vov_t, 0.5)
    b.block("nmos_tail_source", "tail current sink")
    b.m(net("tail"), gate, "gnd", "gnd", "n", wt, L0)
    _no_leftover(bias, "a differential amplifier")
    io = {inp: Port(inp, "voltage_in", p.vcm, "V"), inn: Port(inn, "voltage_in", p.vcm, "V"), **bias.io}
    for o in (outs or (single,)):
        io[o] = Port(o, "voltage_out", round(vo, 4), "V")
    kind = "ota5t" if p.load == "mirror" else "diff_amp"
    return finish(kind, p.load + (":single" if single else ":diff"), b, pins, io, vdd=p.vdd,
                  model_file=p.model_file, params=params_dict(p))


# --- push-pull (CMOS inverter as an amplifier) -------------------------------------------------------

def push_pull(pins: Pins, vdd: float = 1.8, model_file: str | None = None, l: float = 1e-6) -> Design:
    """Complementary common-source pair sharing the output (an inverter in its linear region):
    gain (gm_n + gm_p) / (gds_n + gds_p); the PMOS is wider by the kp ratio so the switching
    point sits at mid-supply."""
    (inp,), (out,) = _one_in_one_out(pins, "push-pull stage")
    m_n, m_p = mos_params(model_file, "nch"), mos_params(model_file, "pch")
    b = Builder()
    b.block("push_pull_stage", "NMOS and PMOS common-source devices, gates on the input, drains on the output")
    b.m(out, inp, "gnd", "gnd", "n", 2e-6, l)
    b.m(out, inp, "vdd", "vdd", "p", 2e-6 * m_n.kp / m_p.kp, l)
    io = {inp: Port(inp, "voltage_in", vdd / 2, "V", "biased at the switching point"),
          out: Port(out, "voltage_out", vdd / 2, "V")}
    return finish("push_pull", "cmos", b, pins, io, vdd=vdd, model_file=model_file)


# --- digital buffer ---------------------------------------------------------------------------------

def digital_buffer(pins: Pins, vdd: float = 1.8, model_file: str | None = None) -> Design:
    """Two CMOS inverters in series (the second one wider): a non-inverting logic buffer."""
    (inp,), (out,) = _one_in_one_out(pins, "digital buffer")
    b = Builder()
    b.block("inverter_1", "CMOS inverter")
    b.m(net("x"), inp, "vdd", "vdd", "p", 3.5e-6, 0.5e-6, region="any")
    b.m(net("x"), inp, "gnd", "gnd", "n", 1e-6, 0.5e-6, region="any")
    b.block("inverter_2", "CMOS inverter, 4x wider")
    b.m(out, net("x"), "vdd", "vdd", "p", 14e-6, 0.5e-6, region="any")
    b.m(out, net("x"), "gnd", "gnd", "n", 4e-6, 0.5e-6, region="any")
    io = {inp: Port(inp, "voltage_in", 0.0, "V", f"logic input 0..{vdd:g} V"),
          out: Port(out, "voltage_out", 0.0, "V", "logic output")}
    return finish("buffer", "two_inverters", b, pins, io, vdd=vdd, model_file=model_file)


# --- helpers ---------------------------------------------------------------------------------------------

def _one_in_one_out(pins: Pins, what: str) -> tuple[tuple[str], tuple[str]]:
    ins, outs = pins.inputs, pins.outputs
    if len(ins) != 1 or len(outs) != 1:
        raise InputError(f"a {what} has one signal input and one output, the interface has "
                         f"{len(ins)} input(s) ({', '.join(ins) or '-'}) and {len(outs)} output(s) "
                         f"({', '.join(outs) or '-'})", fix="give one signal input and one output port")
    return (ins[0],), (outs[0],)


def _no_leftover(bias: _Bias, what: str) -> None:
    if bias.leftover():
        raise InputError(f"{what} has no use for bias port(s) {', '.join(bias.leftover())}",
                         fix="drop them, or ask for a load or cascode that takes a bias")
