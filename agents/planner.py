"""The expert planner: block selection by port roles, then block connection, per circuit kind.

Each kind has a generator: a pure function of the spec and a dict of sizing knobs
(typed numbers with defaults) that selects its functional blocks (differential pair,
mirror load, tail source, gain stage, compensation, feedback network ...), connects
them through named nets and returns a :class:`~chipsmith.agents.circuit.Design`. The
generators only write text through :class:`~chipsmith.agents.circuit.Builder`, so every
netlist is built from numbers, never edited as text (an LLM in ``--mode hybrid`` only
fills the spec). Alternatives (other blocks of the same type) are listed per kind and
tried by :mod:`chipsmith.agents.sizing` when checks fail.

Bias conventions: a bias port whose name starts with ``i`` takes a DC current into the
pin (a diode-connected NMOS sets the bias gate voltage); any other bias port is a
voltage: the NMOS bias gate voltage for amplifiers and op-amps, the mid-rail reference
for op-amp application circuits. Without bias ports the design biases itself.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable, Mapping

from chipsmith.agents.circuit import Builder, Design, Port, models_text, support_text
from chipsmith.agents.kinds import get_kind
from chipsmith.agents.spec import Spec
from chipsmith.errors import InputError

I0 = 20e-6          # unit bias current
WN0, LN0 = 6e-6, 1e-6   # NMOS unit diode at I0
WP0, LP0 = 16e-6, 1e-6  # PMOS unit diode at I0


@dataclass(frozen=True)
class Bias:
    """How a generator gets its NMOS bias gate voltage ``nb`` (carrying ``i0`` in a unit diode)."""

    nb: str
    ports: tuple[Port, ...]
    vref_port: str | None  # a voltage bias port usable as mid-rail reference (op-amp circuits)


def _is_current(name: str) -> bool:
    return name.lower().startswith("i")


def _nmos_params(model_file: str | None) -> tuple[float, float, float]:
    """(vto, kp, lambda) of ``nch`` from the model card, for hand estimates of bias voltages.

    A user model file is used or refused, never silently replaced by level-1 defaults:
    see :func:`chipsmith.agents.gen_base.mos_params` (one reader for every generator).
    """
    from chipsmith.agents.gen_base import mos_params

    m = mos_params(model_file, "nch")
    return m.vto, m.kp, m.lam


def diode_vgs(current: float, w: float, l: float, model_file: str | None = None) -> float:
    """Gate voltage of a diode-connected NMOS carrying ``current`` (square law, by bisection)."""
    vto, kp, lam = _nmos_params(model_file)
    lo, hi = vto, 3.0
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        i = 0.5 * kp * (w / l) * (mid - vto) ** 2 * (1 + lam * mid)
        lo, hi = (mid, hi) if i < current else (lo, mid)
    return 0.5 * (lo + hi)


def make_bias(b: Builder, spec: Spec, *, need_current: bool = True, vref_ok: bool = False) -> Bias:
    """Select and connect the bias block from the spec's bias ports (see module docstring)."""
    ports: list[Port] = []
    current = next((n for n in spec.bias if _is_current(n)), None)
    voltage = next((n for n in spec.bias if not _is_current(n)), None)
    vref = voltage if (vref_ok and voltage) else None
    nb = "nb"
    if not need_current:
        if vref:
            ports.append(Port(vref, "bias", spec.bias_value(vref) or spec.vdd / 2, "V", "mid-rail reference"))
        return Bias(nb, tuple(ports), vref)
    if current:
        i = spec.bias_value(current) or I0
        b.block("bias_mirror", f"diode-connected NMOS takes {i * 1e6:g} uA into {current}")
        b.m(current, current, "gnd", "gnd", "n", WN0 * i / I0, LN0)
        nb = current
        ports.append(Port(current, "bias", i, "A", "DC current into the pin (from vdd)"))
    elif voltage and not vref:
        v = spec.bias_value(voltage) or diode_vgs(I0, WN0, LN0, spec.model_file)
        nb = voltage
        ports.append(Port(voltage, "bias", round(v, 4), "V", "NMOS bias gate voltage"))
    else:
        b.block("bias_resistor", "resistor into a diode-connected NMOS sets the bias current")
        vgs = diode_vgs(I0, WN0, LN0, spec.model_file)
        b.r("vdd", nb, max(1e3, (spec.vdd - vgs) / I0))
        b.m(nb, nb, "gnd", "gnd", "n", WN0, LN0)
    if vref:
        ports.append(Port(vref, "bias", spec.bias_value(vref) or spec.vdd / 2, "V", "mid-rail reference"))
    return Bias(nb, tuple(ports), vref)


def _io_ports(spec: Spec, in_dc: float | Mapping[str, float], out_dc: float, in_kind: str = "voltage_in",
              out_kind: str = "voltage_out", in_unit: str = "V", out_unit: str = "V") -> list[Port]:
    ports = []
    for name in spec.inputs:
        dc = in_dc[name] if isinstance(in_dc, Mapping) else in_dc
        ports.append(Port(name, in_kind, round(float(dc), 6), in_unit))
    for name in spec.outputs:
        ports.append(Port(name, out_kind, round(float(out_dc), 6), out_unit))
    return ports


def _finish(spec: Spec, b: Builder, io: list[Port], bias: tuple[Port, ...], knobs: Mapping[str, float],
            variant: str, *, diode: bool = False) -> Design:
    by_name = {p.name: p for p in list(io) + list(bias)}
    ordered = [by_name[n] for n in (*spec.inputs, *spec.outputs)]
    ordered += [by_name[n] for n in spec.bias if n in by_name]
    missing = [n for n in spec.bias if n not in by_name]
    if missing:
        raise InputError(f"a {spec.kind} has no use for bias port(s) {', '.join(missing)}",
                         fix="drop them from --bias (a current bias name starts with i, a voltage one with v)")
    ordered += [Port("vdd", "supply", spec.vdd), Port("gnd", "ground", 0.0)]
    models = models_text(spec.model_file, diode=diode)
    return Design(kind=spec.kind, ports=tuple(ordered), body=b.body(), models=models, blocks=tuple(b.blocks),
                  params=dict(knobs), regions=dict(b.regions), vdd=spec.vdd, variant=variant,
                  support=support_text(b.library, models_text(spec.model_file)),
                  library_blocks=tuple(b.library))


# --- amplifier stages --------------------------------------------------------------------------

def gen_cs_amp(spec: Spec, k: Mapping[str, float], variant: str) -> Design:
    b = Builder()
    (inp,), (out,) = spec.inputs, spec.outputs
    if variant == "current_source":
        bias = make_bias(b, spec)
        b.block("pmos_current_source_load", "PMOS mirror from the bias current")
        b.m("nbp", bias.nb, "gnd", "gnd", "n", WN0, LN0)
        b.m("nbp", "nbp", "vdd", "vdd", "p", WP0, LP0)
        b.block("nmos_cs_stage", "common-source transistor with PMOS current-source load (library cs_isrc_n)")
        b.lib("cs_isrc_n", {"in": inp, "out": out, "vbp": "nbp", "vdd": "vdd", "gnd": "gnd"},
              w_n=k["w1"], l_n=k["l1"], w_p=WP0 * k["iload"], l_p=LP0)
        ports = bias.ports
    else:
        b.block("nmos_cs_stage", "common-source transistor with drain resistor (library cs_res_n)")
        b.lib("cs_res_n", {"in": inp, "out": out, "vdd": "vdd", "gnd": "gnd"}, w=k["w1"], l=k["l1"], r=k["rl"])
        ports = make_bias(b, spec, need_current=False).ports
    return _finish(spec, b, _io_ports(spec, k["vin"], spec.vdd / 2), ports, k, variant)


def gen_source_follower(spec: Spec, k: Mapping[str, float], variant: str) -> Design:
    b = Builder()
    (inp,), (out,) = spec.inputs, spec.outputs
    bias = make_bias(b, spec)
    b.block("nmos_source_follower", "common-drain transistor with current sink (library cd_n)")
    b.lib("cd_n", {"in": inp, "out": out, "vbn": bias.nb, "vdd": "vdd", "gnd": "gnd"},
          w=k["w1"], l=k["l1"], wb=WN0 * k["isink"], lb=LN0)
    return _finish(spec, b, _io_ports(spec, k["vin"], spec.vdd * 0.4), bias.ports, k, variant)


def gen_cascode_amp(spec: Spec, k: Mapping[str, float], variant: str) -> Design:
    b = Builder()
    (inp,), (out,) = spec.inputs, spec.outputs
    b.block("cascode_bias_divider", "resistive divider sets the cascode gate")
    b.r("vdd", "vc", k["rdiv"] * (spec.vdd - k["vcas"]) / spec.vdd)
    b.r("vc", "gnd", k["rdiv"] * k["vcas"] / spec.vdd)
    b.block("resistor_load", "drain resistor to vdd")
    b.r("vdd", out, k["rl"])
    b.block("nmos_cascode_stage", "common-source transistor under a common-gate cascode")
    b.m(out, "vc", "x", "gnd", "n", k["w1"] * 2, k["l1"])
    b.m("x", inp, "gnd", "gnd", "n", k["w1"], k["l1"])
    ports = make_bias(b, spec, need_current=False).ports
    return _finish(spec, b, _io_ports(spec, k["vin"], spec.vdd / 2), ports, k, variant)


def gen_diff_amp(spec: Spec, k: Mapping[str, float], variant: str) -> Design:
    b = Builder()
    inp, inn = spec.inputs
    outs = spec.outputs
    outp = outs[0]
    outn = outs[1] if len(outs) > 1 else "outn_int"
    bias = make_bias(b, spec)
    b.block("nmos_tail_source", "tail current source (library tail_n)")
    b.lib("tail_n", {"out": "tail", "vb": bias.nb, "gnd": "gnd"}, w=WN0 * 2 * k["itail"], l=LN0)
    b.block("resistor_loads", "matched drain resistors")
    b.r("vdd", outp, k["rl"])
    b.r("vdd", outn, k["rl"])
    b.block("nmos_diff_pair", "source-coupled pair (library diff_pair_n)")
    b.lib("diff_pair_n", {"inp": inp, "inn": inn, "dp": outn, "dn": outp, "tail": "tail", "gnd": "gnd"},
          w=k["w1"], l=k["l1"])
    out_dc = spec.vdd - k["rl"] * I0 * k["itail"]
    return _finish(spec, b, _io_ports(spec, k["vcm"], out_dc), bias.ports, k, variant)


# --- op-amps ----------------------------------------------------------------------------------

def _opamp_core(b: Builder, spec: Spec, nb: str, inp: str, inn: str, out: str, k: Mapping[str, float],
                *, polarity: str = "nmos", stages: int = 2, comp: str = "miller_rz", prefix: str = "") -> None:
    """Differential pair + mirror load (+ CS second stage + Miller compensation), from library blocks.

    The input on the diode side of the mirror is the inverting one for two stages (the
    second stage inverts again) and the non-inverting one for a single stage, so
    ``out`` rises with ``inp`` in both cases.
    """
    p = prefix
    ws, ratio, it = k["wpair"], k["k2"], k["itail"]
    first = out if stages == 1 else f"{p}x"
    diode_gate, out_gate = (inn, inp) if stages == 2 else (inp, inn)
    if polarity == "nmos":
        b.block("nmos_tail_source", "tail current 2*I0 (library tail_n)")
        b.lib("tail_n", {"out": f"{p}tail", "vb": nb, "gnd": "gnd"}, w=WN0 * 2 * it, l=LN0)
        b.block("nmos_diff_pair", "input pair (library diff_pair_n)")
        b.lib("diff_pair_n", {"inp": diode_gate, "inn": out_gate, "dp": f"{p}d1", "dn": first,
                              "tail": f"{p}tail", "gnd": "gnd"}, w=6e-6 * ws, l=1e-6)
        b.block("pmos_mirror_load", "active load (library active_load_p)")
        b.lib("active_load_p", {"d1": f"{p}d1", "d2": first, "vdd": "vdd"}, w=8e-6 * it, l=1e-6)
        if stages == 2:
            b.block("pmos_cs_stage", "second gain stage with NMOS current sink (library cs_isrc_p)")
            b.lib("cs_isrc_p", {"in": first, "out": out, "vbn": nb, "vdd": "vdd", "gnd": "gnd"},
                  w_p=8e-6 * ratio * it, l_p=1e-6, w_n=WN0 * ratio * it, l_n=LN0)
    else:
        b.block("pmos_bias_mirror", "NMOS to PMOS bias translation")
        b.m(f"{p}pb", nb, "gnd", "gnd", "n", WN0, LN0)
        b.m(f"{p}pb", f"{p}pb", "vdd", "vdd", "p", WP0, LP0)
        b.block("pmos_tail_source", "tail current 2*I0 (library tail_p)")
        b.lib("tail_p", {"out": f"{p}tail", "vb": f"{p}pb", "vdd": "vdd"}, w=WP0 * 2 * it, l=LP0)
        b.block("pmos_diff_pair", "input pair (library diff_pair_p)")
        b.lib("diff_pair_p", {"inp": diode_gate, "inn": out_gate, "dp": f"{p}d1", "dn": first,
                              "tail": f"{p}tail", "vdd": "vdd"}, w=16e-6 * ws, l=1e-6)
        b.block("nmos_mirror_load", "active load (library active_load_n)")
        b.lib("active_load_n", {"d1": f"{p}d1", "d2": first, "gnd": "gnd"}, w=3e-6 * it, l=1e-6)
        if stages == 2:
            b.block("nmos_cs_stage", "second gain stage with PMOS current source (library cs_isrc_n)")
            b.lib("cs_isrc_n", {"in": first, "out": out, "vbp": f"{p}pb", "vdd": "vdd", "gnd": "gnd"},
                  w_n=3e-6 * ratio * it, l_n=1e-6, w_p=WP0 * ratio * it, l_p=LP0)
    if stages == 2 and comp != "none":
        if comp == "miller_rz":
            b.block("miller_compensation", "Miller capacitor with nulling resistor (library miller_rc)")
            b.lib("miller_rc", {"a": first, "b": out}, region="any", r=k["rz"], c=k["cc"])
        else:
            b.block("miller_compensation", "Miller capacitor (library miller_c)")
            b.lib("miller_c", {"a": first, "b": out}, region="any", c=k["cc"])


def gen_ota5t(spec: Spec, k: Mapping[str, float], variant: str) -> Design:
    b = Builder()
    inp, inn = spec.inputs
    bias = make_bias(b, spec)
    _opamp_core(b, spec, bias.nb, inp, inn, spec.outputs[0], k, polarity=variant, stages=1)
    return _finish(spec, b, _io_ports(spec, k["vcm"], k["vcm"]), bias.ports, k, variant)


def gen_two_stage(spec: Spec, k: Mapping[str, float], variant: str) -> Design:
    b = Builder()
    inp, inn = spec.inputs
    bias = make_bias(b, spec)
    polarity, _, comp = variant.partition(":")
    _opamp_core(b, spec, bias.nb, inp, inn, spec.outputs[0], k, polarity=polarity, stages=2,
                comp=comp or "miller_rz")
    return _finish(spec, b, _io_ports(spec, k["vcm"], k["vcm"]), bias.ports, k, variant)


def gen_comparator(spec: Spec, k: Mapping[str, float], variant: str) -> Design:
    b = Builder()
    inp, inn = spec.inputs
    bias = make_bias(b, spec)
    _opamp_core(b, spec, bias.nb, inp, inn, "o1", k, polarity=variant, stages=2, comp="none")
    b.block("inverter_buffer", "two CMOS inverters restore logic levels (library inverter)")
    b.lib("inverter", {"in": "o1", "out": "o2", "vdd": "vdd", "gnd": "gnd"}, region="any",
          w_n=1e-6, w_p=3e-6, l=0.5e-6)
    b.lib("inverter", {"in": "o2", "out": spec.outputs[0], "vdd": "vdd", "gnd": "gnd"}, region="any",
          w_n=1e-6, w_p=3e-6, l=0.5e-6)
    for name in list(b.regions):
        b.regions[name] = "any"  # a comparator rails out: no small-signal region to hold
    return _finish(spec, b, _io_ports(spec, k["vcm"], spec.vdd), bias.ports, k, variant)


def gen_folded_cascode(spec: Spec, k: Mapping[str, float], variant: str) -> Design:
    b = Builder()
    inp, inn = spec.inputs
    out = spec.outputs[0]
    bias = make_bias(b, spec)
    nb = bias.nb
    it = k["itail"]
    b.block("cascode_bias", "PMOS source bias, PMOS and NMOS cascode gate voltages")
    b.m("pb1", nb, "gnd", "gnd", "n", WN0 * 2 * it, LN0)           # 2*I0*it from the PMOS diode
    b.m("pb1", "pb1", "vdd", "vdd", "p", WP0 * 2 * it, LP0)
    b.m("pb2", nb, "gnd", "gnd", "n", WN0, LN0)                      # I0 through a weak PMOS diode
    b.m("pb2", "pb2", "vdd", "vdd", "p", WP0 / 10, LP0)
    b.m("nb2", "pb1", "vdd", "vdd", "p", WP0, LP0)                   # I0 into a weak NMOS diode
    b.m("nb2", "nb2", "gnd", "gnd", "n", WN0 / 8, LN0)
    b.block("folded_cascode_core", "tail, NMOS pair folded into PMOS cascodes, NMOS cascode mirror "
                                   "(library folded_cascode_core)")
    b.lib("folded_cascode_core", {"inp": inp, "inn": inn, "out": out, "vbn": nb, "vbp": "pb1", "vbpc": "pb2",
                                  "vbnc": "nb2", "vdd": "vdd", "gnd": "gnd"},
          w_in=6e-6 * k["wpair"], l_in=1e-6, w_p=WP0 * 2 * it, wpc=WP0 * it * k["wcas"], w_n=WN0 * it, l=1e-6)
    return _finish(spec, b, _io_ports(spec, k["vcm"], k["vcm"]), bias.ports, k, variant)


def gen_telescopic(spec: Spec, k: Mapping[str, float], variant: str) -> Design:
    b = Builder()
    inp, inn = spec.inputs
    out = spec.outputs[0]
    bias = make_bias(b, spec)
    nb, it = bias.nb, k["itail"]
    b.block("cascode_bias", "stacked NMOS diodes for the NMOS cascode gate, weak PMOS diode for the PMOS one")
    b.m("vbcp", nb, "gnd", "gnd", "n", WN0, LN0)
    b.m("vbcp", "vbcp", "vdd", "vdd", "p", WP0 / k["pdiv"], LP0)
    b.m("pm", nb, "gnd", "gnd", "n", WN0, LN0)
    b.m("pm", "pm", "vdd", "vdd", "p", WP0, LP0)
    b.m("vbcn", "pm", "vdd", "vdd", "p", WP0, LP0)
    b.m("vbcn", "vbcn", "nd", "gnd", "n", WN0 * k["ndiode"], LN0)
    b.m("nd", "nd", "gnd", "gnd", "n", WN0 * k["ndiode"], LN0)
    b.block("nmos_tail_source", "tail current (library tail_n)")
    b.lib("tail_n", {"out": "tail", "vb": nb, "gnd": "gnd"}, w=WN0 * 2 * it, l=LN0)
    b.block("nmos_cascode_diff_pair", "input pair with NMOS cascodes (library diff_pair_n_cascode)")
    b.lib("diff_pair_n_cascode", {"inp": inp, "inn": inn, "dp": "d1", "dn": out, "vbc": "vbcn", "tail": "tail",
                                  "gnd": "gnd"}, w=6e-6 * k["wpair"], l=1e-6, wc=12e-6 * it, lc=1e-6)
    b.block("pmos_cascode_mirror_load", "wide-swing cascoded mirror load (library active_load_p_cascode)")
    b.lib("active_load_p_cascode", {"d1": "d1", "d2": out, "vbc": "vbcp", "vdd": "vdd"}, w=16e-6 * it, l=1e-6)
    return _finish(spec, b, _io_ports(spec, k["vcm"], k["vcm"]), bias.ports, k, variant)


def gen_ldo(spec: Spec, k: Mapping[str, float], variant: str) -> Design:
    """Error amplifier (5T OTA) + PMOS pass device + resistive feedback; vout = vref * (1 + R1/R2)."""
    b = Builder()
    (out,) = spec.outputs
    current = next((n for n in spec.bias if _is_current(n)), None)
    vref = next((n for n in spec.bias if not _is_current(n)), None)
    if vref is None:
        raise InputError("an LDO needs a reference voltage bias port", where="--bias",
                         fix="pass e.g. --bias vref (a voltage; add ibias for an external bias current)")
    ports = [Port(vref, "bias", spec.bias_value(vref) or k["vref"], "V", "reference voltage")]
    vr = ports[0].dc
    if current:
        i = spec.bias_value(current) or I0
        b.block("bias_mirror", "diode-connected NMOS takes the bias current")
        b.m(current, current, "gnd", "gnd", "n", WN0 * i / I0, LN0)
        nb = current
        ports.append(Port(current, "bias", i, "A", "DC current into the pin (from vdd)"))
    else:
        b.block("bias_resistor", "resistor into a diode-connected NMOS sets the bias current")
        nb = "nb"
        b.r("vdd", nb, (spec.vdd - diode_vgs(I0, WN0, LN0, spec.model_file)) / I0)
        b.m(nb, nb, "gnd", "gnd", "n", WN0, LN0)
    b.block("error_amplifier", "5T OTA: gate falls when the feedback is below the reference")
    b.lib("ota_5t", {"inp": "fb", "inn": vref, "out": "gate", "vbn": nb, "vdd": "vdd", "gnd": "gnd"},
          w_n=6e-6, l_n=1e-6, w_p=8e-6, l_p=1e-6, wt=12e-6, lt=1e-6)
    b.block("pmos_pass_device", "wide PMOS from vdd to the output (library ldo_pass_p)")
    b.lib("ldo_pass_p", {"gate": "gate", "vin": "vdd", "vout": out}, w=k["wpass"], l=0.2e-6)
    b.block("feedback_divider", f"vout = vref * {k['vout'] / vr:.3g}")
    ratio = k["vout"] / vr - 1.0
    b.r(out, "fb", k["rfb"] * ratio)
    b.r("fb", "gnd", k["rfb"])
    b.block("miller_compensation", "gate-to-output Miller capacitor makes the gate the dominant pole")
    b.c("gate", out, k["cc"])
    b.block("output_capacitor", "on-chip output capacitor")
    b.c(out, "gnd", k["cout"])
    ports_all = [Port(out, "voltage_out", k["vout"], "V", f"regulated output, load up to {k['iload'] * 1e3:g} mA")]
    return _finish(spec, b, ports_all, tuple(ports), k, variant)


# --- current mirrors ------------------------------------------------------------------------------

def gen_mirror(spec: Spec, k: Mapping[str, float], variant: str) -> Design:
    b = Builder()
    (iin,), (iout,) = spec.inputs, spec.outputs
    w, l = k["w"], k["l"]
    ratio = k["ratio"]
    if ratio == 1.0 and variant in ("simple", "cascode", "wilson"):
        block = {"simple": "mirror_n_simple", "cascode": "mirror_n_cascode", "wilson": "mirror_n_wilson"}[variant]
        b.block(f"nmos_{variant}_mirror", f"library {block}")
        b.lib(block, {"iin": iin, "iout": iout, "gnd": "gnd"}, w=w, l=l)
    elif variant == "simple":
        b.block("nmos_simple_mirror", "diode reference and output device")
        b.m(iin, iin, "gnd", "gnd", "n", w, l)
        b.m(iout, iin, "gnd", "gnd", "n", w * ratio, l)
    elif variant == "cascode":
        b.block("nmos_cascode_mirror", "stacked diode pairs")
        b.m("a", "a", "gnd", "gnd", "n", w, l)
        b.m(iin, iin, "a", "gnd", "n", w, l)
        b.m("c", "a", "gnd", "gnd", "n", w * ratio, l)
        b.m(iout, iin, "c", "gnd", "n", w * ratio, l)
    else:  # wilson
        b.block("nmos_wilson_mirror", "improved (four-transistor) Wilson mirror, scaled output")
        b.m("a", "x", "gnd", "gnd", "n", w, l)
        b.m(iin, iin, "a", "gnd", "n", w, l)
        b.m(iout, iin, "x", "gnd", "n", w * ratio, l)
        b.m("x", "x", "gnd", "gnd", "n", w * ratio, l)
    iref = spec.bias_value(iin) or I0
    ports = [Port(iin, "current_in", iref, "A", "reference current into the pin (from vdd)"),
             Port(iout, "current_out", iref * ratio, "A",
                  f"current sunk into the pin; keep the pin between {k['vmin']:g} V and vdd")]
    return _finish(spec, b, ports, (), k, variant)


# --- logic ---------------------------------------------------------------------------------------

def gen_inverter(spec: Spec, k: Mapping[str, float], variant: str) -> Design:
    b = Builder()
    (inp,), (out,) = spec.inputs, spec.outputs
    b.block("cmos_inverter", "PMOS pull-up, NMOS pull-down (library inverter)")
    b.lib("inverter", {"in": inp, "out": out, "vdd": "vdd", "gnd": "gnd"}, region="any",
          w_n=k["wn"], w_p=k["wn"] * k["beta"], l=k["l"])
    ports = [Port(inp, "voltage_in", 0.0, "V", f"logic input 0..{spec.vdd:g} V"),
             Port(out, "voltage_out", spec.vdd, "V", "logic output")]
    return _finish(spec, b, ports, (), k, variant)


def gen_schmitt(spec: Spec, k: Mapping[str, float], variant: str) -> Design:
    b = Builder()
    (inp,), (out,) = spec.inputs, spec.outputs
    wn, l, h = k["wn"], k["l"], k["hyst"]
    b.block("nmos_stack_with_feedback", "pull-down stack, feedback NMOS raises the upper threshold")
    b.m("sn", inp, "gnd", "gnd", "n", wn, l, region="any")
    b.m(out, inp, "sn", "gnd", "n", wn, l, region="any")
    b.m("vdd", out, "sn", "gnd", "n", wn * h, l, region="any")
    b.block("pmos_stack_with_feedback", "pull-up stack, feedback PMOS lowers the lower threshold")
    b.m("sp", inp, "vdd", "vdd", "p", wn * 3.5, l, region="any")
    b.m(out, inp, "sp", "vdd", "p", wn * 3.5, l, region="any")
    b.m("gnd", out, "sp", "vdd", "p", wn * 3.5 * h, l, region="any")
    ports = [Port(inp, "voltage_in", 0.0, "V", f"logic input 0..{spec.vdd:g} V"),
             Port(out, "voltage_out", spec.vdd, "V", "logic output")]
    return _finish(spec, b, ports, (), k, variant)


def gen_ring_oscillator(spec: Spec, k: Mapping[str, float], variant: str) -> Design:
    b = Builder()
    (out,) = spec.outputs
    n = int(k["stages"])
    nodes = [f"r{i}" for i in range(n)]
    nodes[-1] = "rl"
    b.block(f"inverter_ring_{n}", "odd chain of CMOS inverters with load capacitors")
    for i in range(n):
        a, y = nodes[i - 1], nodes[i]
        b.lib("inverter", {"in": a, "out": y, "vdd": "vdd", "gnd": "gnd"}, region="any",
              w_n=k["wn"], w_p=k["wn"] * 3.5, l=k["l"])
        b.c(y, "gnd", k["cload"])
    b.block("output_buffer", "two tapered inverters isolate the ring from the load")
    b.lib("inverter", {"in": "rl", "out": "rb", "vdd": "vdd", "gnd": "gnd"}, region="any",
          w_n=k["wn"] * 4, w_p=k["wn"] * 14, l=k["l"])
    b.lib("inverter", {"in": "rb", "out": out, "vdd": "vdd", "gnd": "gnd"}, region="any",
          w_n=k["wn"] * 16, w_p=k["wn"] * 56, l=k["l"])
    ports = [Port(out, "voltage_out", spec.vdd / 2, "V", "rail-to-rail square wave (DC: its mean)")]
    return _finish(spec, b, ports, (), k, variant)


# --- op-amp application circuits ------------------------------------------------------------------

def _app(spec: Spec, k: Mapping[str, float], variant: str, network: Callable[[Builder, str, str, str, float], None]
         ) -> Design:
    """Two-stage op-amp (inp/inn/oa) + reference + a feedback network; returns the design."""
    b = Builder()
    bias = make_bias(b, spec, vref_ok=True)
    vref = bias.vref_port
    rth = 0.0
    if vref is None:
        vref = "vref_int"
        b.block("reference_divider", "mid-rail reference")
        b.r("vdd", vref, k["rdiv"])
        b.r(vref, "gnd", k["rdiv"])
        rth = k["rdiv"] / 2  # the divider's own resistance is part of any resistor returned to it
    network(b, vref, "ninv", "pinv", rth)
    _opamp_core(b, spec, bias.nb, "pinv", "ninv", spec.outputs[0], k, polarity=variant, stages=2)
    return _finish(spec, b, _io_ports(spec, spec.vdd / 2, spec.vdd / 2), bias.ports, k, variant)


def gen_inverting_amp(spec: Spec, k: Mapping[str, float], variant: str) -> Design:
    (inp,), (out,) = spec.inputs, spec.outputs

    def net(b: Builder, vref: str, ninv: str, pinv: str, rth: float) -> None:
        b.block("resistive_feedback", f"gain -Rf/Rin = -{k['gain']:g}")
        b.r(inp, ninv, k["r"])
        b.r(ninv, out, k["r"] * k["gain"])
        b.r(vref, pinv, 1e3)
    return _app(spec, k, variant, net)


def gen_noninverting_amp(spec: Spec, k: Mapping[str, float], variant: str) -> Design:
    (inp,), (out,) = spec.inputs, spec.outputs

    def net(b: Builder, vref: str, ninv: str, pinv: str, rth: float) -> None:
        b.block("resistive_feedback", f"gain 1+Rf/Rg = {k['gain']:g}")
        b.r(inp, pinv, 1e3)
        b.r(ninv, vref, k["r"] - rth)
        b.r(ninv, out, k["r"] * (k["gain"] - 1))
    return _app(spec, k, variant, net)


def gen_integrator(spec: Spec, k: Mapping[str, float], variant: str) -> Design:
    (inp,), (out,) = spec.inputs, spec.outputs

    def net(b: Builder, vref: str, ninv: str, pinv: str, rth: float) -> None:
        b.block("rc_integrator_feedback", f"R*C = {k['tau']:g} s, DC resistor {k['rdc_ratio']:g}R")
        b.r(inp, ninv, k["r"])
        b.c(ninv, out, k["tau"] / k["r"])
        b.r(ninv, out, k["r"] * k["rdc_ratio"])
        b.r(vref, pinv, 1e3)
    return _app(spec, k, variant, net)


def gen_differentiator(spec: Spec, k: Mapping[str, float], variant: str) -> Design:
    (inp,), (out,) = spec.inputs, spec.outputs

    def net(b: Builder, vref: str, ninv: str, pinv: str, rth: float) -> None:
        b.block("rc_differentiator_feedback", f"R*C = {k['tau']:g} s, series resistor R/{k['rs_div']:g}")
        b.r(inp, "dci", k["r"] / k["rs_div"])
        b.c("dci", ninv, k["tau"] / k["r"])
        b.r(ninv, out, k["r"])
        b.r(vref, pinv, 1e3)
    return _app(spec, k, variant, net)


def gen_summer(spec: Spec, k: Mapping[str, float], variant: str) -> Design:
    (out,) = spec.outputs

    def net(b: Builder, vref: str, ninv: str, pinv: str, rth: float) -> None:
        b.block("summing_network", f"out = -{k['gain']:g} * (sum of inputs)")
        for name in spec.inputs:
            b.r(name, ninv, k["r"])
        b.r(ninv, out, k["r"] * k["gain"])
        b.r(vref, pinv, 1e3)
    return _app(spec, k, variant, net)


def gen_subtractor(spec: Spec, k: Mapping[str, float], variant: str) -> Design:
    in1, in2 = spec.inputs
    (out,) = spec.outputs

    def net(b: Builder, vref: str, ninv: str, pinv: str, rth: float) -> None:
        b.block("difference_network", f"out = {k['gain']:g} * (in1 - in2)")
        b.r(in1, pinv, k["r"])
        b.r(pinv, vref, k["r"] * k["gain"] - rth)
        b.r(in2, ninv, k["r"])
        b.r(ninv, out, k["r"] * k["gain"])
    return _app(spec, k, variant, net)


# --- references ------------------------------------------------------------------------------------

def gen_beta_multiplier(spec: Spec, k: Mapping[str, float], variant: str) -> Design:
    b = Builder()
    (out,) = spec.outputs
    w, kk = k["w1"], k["kratio"]
    vbn = out if not _is_current(out) else "vbn"
    b.block("beta_multiplier_core", "K:1 NMOS pair with source resistor, PMOS mirror")
    b.m(vbn, vbn, "gnd", "gnd", "n", w, 1e-6)
    b.m("pg", vbn, "rs", "gnd", "n", w * kk, 1e-6)
    b.r("rs", "gnd", k["rs"])
    b.m("pg", "pg", "vdd", "vdd", "p", WP0, LP0)
    b.m(vbn, "pg", "vdd", "vdd", "p", WP0, LP0)
    b.block("startup", "kicks the loop out of the zero-current state, then turns off")
    b.m("st", "gnd", "vdd", "vdd", "p", 1e-6, 20e-6, region="any")
    b.m("st", vbn, "gnd", "gnd", "n", 4e-6, 1e-6, region="any")
    b.m("pg", "st", vbn, "gnd", "n", 1e-6, 1e-6, region="any")
    ports: list[Port] = []
    if _is_current(out):
        b.block("output_mirror", "NMOS copy of the reference current")
        b.m(out, vbn, "gnd", "gnd", "n", w, 1e-6)
        ports.append(Port(out, "current_out", k["iref"], "A", "reference current sunk into the pin"))
    else:
        ports.append(Port(out, "voltage_out", k["vout"], "V", "NMOS bias gate voltage"))
    return _finish(spec, b, ports, (), k, variant)


def gen_bandgap(spec: Spec, k: Mapping[str, float], variant: str) -> Design:
    b = Builder()
    (out,) = spec.outputs
    if variant == "library":
        b.block("bandgap_core", "self-biased bandgap core with start-up (library bandgap_core)")
        b.lib("bandgap_core", {"vref": out, "vdd": "vdd", "gnd": "gnd"}, region="any", r1=k["r1"], r2=k["r2"])
        ports = [Port(out, "voltage_out", k["vout"], "V", "temperature-stable reference voltage")]
        return _finish(spec, b, ports, (), k, variant)
    n = k["n"]
    b.block("pmos_current_sources", "three matched PMOS sources driven by the op-amp")
    b.m("qa", "pgate", "vdd", "vdd", "p", k["wp"], 2e-6)
    b.m("qb", "pgate", "vdd", "vdd", "p", k["wp"], 2e-6)
    b.m(out, "pgate", "vdd", "vdd", "p", k["wp"], 2e-6)
    b.block("ptat_core", f"diodes 1:{n:g} with the PTAT resistor")
    b.d("qa", "gnd")
    b.r("qb", "qr", k["r1"])
    b.d("qr", "gnd", area=n)
    b.block("output_branch", "PTAT current into R2 plus a diode: CTAT + PTAT")
    b.r(out, "qo", k["r2"])
    b.d("qo", "gnd")
    b.block("error_amplifier", "5T OTA forces equal diode-branch voltages")
    b.m("ob", "ob", "gnd", "gnd", "n", WN0, LN0)
    b.r("vdd", "ob", (spec.vdd - 0.6) / I0)
    b.m("etail", "ob", "gnd", "gnd", "n", WN0 * 2, LN0)
    b.m("ed1", "qb", "etail", "gnd", "n", 6e-6, 1e-6)
    b.m("pgate", "qa", "etail", "gnd", "n", 6e-6, 1e-6)
    b.m("ed1", "ed1", "vdd", "vdd", "p", 8e-6, 1e-6)
    b.m("pgate", "ed1", "vdd", "vdd", "p", 8e-6, 1e-6)
    b.block("startup", "pulls the PMOS gates low when no current flows")
    b.m("bst", "gnd", "vdd", "vdd", "p", 1e-6, 20e-6, region="any")
    b.m("bst", "qa", "gnd", "gnd", "n", 4e-6, 1e-6, region="any")
    b.m("pgate", "bst", "gnd", "gnd", "n", 1e-6, 4e-6, region="any")
    for name in list(b.regions):
        if b.regions[name] == "saturation":
            b.regions[name] = "any"
    ports = [Port(out, "voltage_out", k["vout"], "V", "temperature-stable reference voltage")]
    return _finish(spec, b, ports, (), k, variant, diode=True)


# --- the registry -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Recipe:
    """A kind's generator, its default knobs and the variants to try in order."""

    generate: Callable[[Spec, Mapping[str, float], str], Design]
    knobs: Mapping[str, float]
    variants: tuple[str, ...]


_OPAMP_KNOBS = {"itail": 1.0, "wpair": 1.0, "k2": 6.0, "cc": 2e-12, "rz": 1.5e3, "vcm": 0.9}
_APP_KNOBS = {**_OPAMP_KNOBS, "rdiv": 20e3, "r": 100e3}

RECIPES: dict[str, Recipe] = {
    "cs_amp": Recipe(gen_cs_amp, {"w1": 4e-6, "l1": 1e-6, "rl": 20e3, "iload": 1.0, "vin": 0.75},
                     ("resistor", "current_source")),
    "source_follower": Recipe(gen_source_follower, {"w1": 10e-6, "l1": 1e-6, "isink": 2.0, "vin": 1.4},
                              ("nmos",)),
    "cascode_amp": Recipe(gen_cascode_amp, {"w1": 4e-6, "l1": 1e-6, "rl": 30e3, "rdiv": 200e3, "vcas": 1.1,
                                            "vin": 0.7}, ("resistor",)),
    "diff_amp": Recipe(gen_diff_amp, {"w1": 6e-6, "l1": 1e-6, "rl": 20e3, "itail": 1.0, "vcm": 1.0},
                       ("nmos",)),
    "ota5t": Recipe(gen_ota5t, {**_OPAMP_KNOBS}, ("nmos", "pmos")),
    "two_stage_opamp": Recipe(gen_two_stage, dict(_OPAMP_KNOBS),
                              ("nmos:miller_rz", "nmos:miller", "pmos:miller_rz", "pmos:miller")),
    "folded_cascode": Recipe(gen_folded_cascode, {"itail": 1.0, "wpair": 1.0, "wcas": 2.0, "vcm": 0.9},
                             ("nmos",)),
    "telescopic": Recipe(gen_telescopic, {"itail": 1.0, "wpair": 1.0, "pdiv": 10.0, "ndiode": 1.0, "vcm": 0.9},
                         ("nmos",)),
    "ldo": Recipe(gen_ldo, {"vref": 0.9, "vout": 1.2, "wpass": 200e-6, "rfb": 60e3, "cout": 100e-12, "cc": 10e-12,
                            "iload": 1e-3}, ("pmos_pass",)),
    "mirror_simple": Recipe(gen_mirror, {"w": 6e-6, "l": 1e-6, "ratio": 1.0, "vmin": 0.4}, ("simple",)),
    "mirror_cascode": Recipe(gen_mirror, {"w": 6e-6, "l": 1e-6, "ratio": 1.0, "vmin": 1.0}, ("cascode",)),
    "mirror_wilson": Recipe(gen_mirror, {"w": 6e-6, "l": 1e-6, "ratio": 1.0, "vmin": 1.0}, ("wilson",)),
    "inverter": Recipe(gen_inverter, {"wn": 1e-6, "l": 0.5e-6, "beta": 3.5}, ("cmos",)),
    "schmitt": Recipe(gen_schmitt, {"wn": 1e-6, "l": 0.5e-6, "hyst": 1.0}, ("cmos6t",)),
    "ring_oscillator": Recipe(gen_ring_oscillator, {"wn": 1e-6, "l": 0.5e-6, "cload": 50e-15, "stages": 5},
                              ("inverters",)),
    "comparator": Recipe(gen_comparator, dict(_OPAMP_KNOBS), ("nmos", "pmos")),
    "inverting_amp": Recipe(gen_inverting_amp, {**_APP_KNOBS, "gain": 5.0}, ("nmos", "pmos")),
    "noninverting_amp": Recipe(gen_noninverting_amp, {**_APP_KNOBS, "gain": 5.0}, ("nmos", "pmos")),
    "integrator": Recipe(gen_integrator, {**_APP_KNOBS, "r": 100e3, "tau": 1e-6, "rdc_ratio": 100.0},
                         ("nmos", "pmos")),
    "differentiator": Recipe(gen_differentiator, {**_APP_KNOBS, "r": 100e3, "tau": 1e-6, "rs_div": 20.0},
                             ("nmos", "pmos")),
    "summer": Recipe(gen_summer, {**_APP_KNOBS, "gain": 2.0}, ("nmos", "pmos")),
    "subtractor": Recipe(gen_subtractor, {**_APP_KNOBS, "gain": 2.0}, ("nmos", "pmos")),
    "beta_multiplier": Recipe(gen_beta_multiplier, {"w1": 4e-6, "kratio": 4.0, "rs": 4.6e3, "iref": I0,
                                                    "vout": 0.6}, ("startup",)),
    "bandgap": Recipe(gen_bandgap, {"n": 8.0, "r1": 5e3, "r2": 50e3, "wp": 8e-6, "vout": 1.2},
                      ("library", "diode")),
}


def variants_for(spec: Spec) -> tuple[str, ...]:
    """Variants to try for ``spec``, those the spec asks for first (block selection)."""
    recipe = RECIPES[get_kind(spec.kind).name]
    variants = list(recipe.variants)

    def score(v: str) -> int:
        s = 0
        if spec.input_polarity and spec.input_polarity not in v and ("nmos" in v or "pmos" in v):
            s += 10  # the wrong input polarity is never tried
        if spec.compensation and ":" in v and not v.endswith(spec.compensation):
            s += 1
        if spec.load and spec.kind == "cs_amp" and v != spec.load and spec.load != "mirror":
            s += 10
        return s

    ranked = sorted(variants, key=score)
    return tuple(v for v in ranked if score(v) < 10) or tuple(ranked[:1])


def initial_knobs(spec: Spec) -> dict[str, float]:
    """Default knobs for the kind, overridden by what the spec states (gain, time constant ...)."""
    knobs = dict(RECIPES[get_kind(spec.kind).name].knobs)
    if "vcm" in knobs and spec.kind != "diff_amp":
        knobs["vcm"] = spec.vdd / 2
    if spec.closed_loop_gain is not None and "gain" in knobs:
        g = spec.closed_loop_gain
        if spec.kind == "noninverting_amp" and g < 1:
            raise InputError(f"a non-inverting amplifier has gain >= 1, the spec asks for {g:g}",
                             fix="use an inverting amplifier or a gain >= 1")
        knobs["gain"] = g
    if spec.time_constant_s is not None and "tau" in knobs:
        knobs["tau"] = spec.time_constant_s
    if spec.vout is not None and spec.kind == "ldo":
        vref = next((spec.bias_value(n) for n in spec.bias if not _is_current(n) and spec.bias_value(n)),
                    knobs["vref"])
        if not vref < spec.vout <= spec.vdd - 0.25:
            raise InputError(f"an LDO output of {spec.vout:g} V needs vref ({vref:g} V) < vout <= vdd - 0.25 V "
                             f"({spec.vdd - 0.25:g} V)", fix="lower vout, raise vdd or lower the reference")
        knobs["vout"] = spec.vout
    return knobs


def generate(spec: Spec, knobs: Mapping[str, float] | None = None, variant: str | None = None) -> Design:
    """Build the design for ``spec`` with ``knobs`` (defaults: :func:`initial_knobs`).

    The generators run on aliased port names and their internal nets get a ``__``
    suffix afterwards, so a port the user calls ``x`` or ``tail`` can never merge with
    an internal net of the same name (user names may not contain ``__``).
    """
    recipe = RECIPES[get_kind(spec.kind).name]
    k = dict(initial_knobs(spec))
    k.update(knobs or {})
    v = variant or variants_for(spec)[0]
    names = (*spec.inputs, *spec.outputs, *spec.bias)
    alias = {n: f"{n[0]}__p{i}" for i, n in enumerate(names)}
    aliased = replace(spec, inputs=tuple(alias[n] for n in spec.inputs),
                      outputs=tuple(alias[n] for n in spec.outputs), bias=tuple(alias[n] for n in spec.bias),
                      bias_values=tuple((alias.get(n, n), val) for n, val in spec.bias_values))
    design = recipe.generate(aliased, k, v)
    back = {a: n for n, a in alias.items()}
    return replace(design, body=_rename_nets(design.body, back),
                   ports=tuple(replace(p, name=back.get(p.name, p.name)) for p in design.ports))


_NODE_SPAN = {"M": (1, 5), "R": (1, 3), "C": (1, 3), "L": (1, 3), "D": (1, 3)}


def _rename_nets(body: str, back: Mapping[str, str]) -> str:
    """Port aliases back to the user's names; every internal net gets a ``__`` suffix."""
    def net(name: str) -> str:
        if name in back:
            return back[name]
        if name in ("vdd", "gnd", "0") or name.endswith("__"):
            return name
        return name + "__"

    out = []
    for line in body.splitlines():
        tokens = line.split()
        if not tokens or line.lstrip().startswith("*"):
            for a, n in back.items():
                line = line.replace(a, n)
            out.append(line)
            continue
        if tokens[0][0].upper() == "X":
            first_param = next((i for i, t in enumerate(tokens) if "=" in t), len(tokens))
            lo, hi = 1, first_param - 1  # nodes end before the subckt name
        else:
            lo, hi = _NODE_SPAN.get(tokens[0][0].upper(), (1, 1))
        tokens[lo:hi] = [net(t) for t in tokens[lo:hi]]
        out.append(" ".join(tokens))
    return "\n".join(out) + "\n"


# --- requirement-driven planning (issue 11) ----------------------------------------------------------

from chipsmith.agents.gen_base import PlanningError  # noqa: E402  (re-exported for the loop)


def plan_request(request, *, model_file: str | None = None, feedback: tuple[str, ...] = ()):
    """Candidate designs for a :class:`chipsmith.spice.requirements.Request`, best first, on its
    interface's exact port names; :class:`PlanningError` (exit 1) names what cannot be built.
    See :mod:`chipsmith.agents.gen_plan`."""
    from chipsmith.agents.gen_plan import plan as _plan

    return _plan(request, model_file=model_file, feedback=feedback)

