"""Filters at a requested corner: passive RC ladders and RLC sections, active Sallen-Key / MFB.

Passive (``implementation="passive"``):
- low/high-pass of order N: an RC (or CR) ladder whose sections step up in impedance
  by ``k`` so they load each other little; the corner is placed exactly by solving the
  ladder's transfer function (ABCD matrices) for the -3 dB frequency and scaling C.
- band-pass: a series-RLC section (order 2: +-20 dB/decade each side) at the centre
  frequency with the requested Q; "RC" asked: a CR high-pass at f0/3 into an RC low-pass at
  3 f0 (no inductor).
- band-stop: a twin-T RC notch at the centre frequency (no inductor: an RLC notch at audio
  frequencies needs inductors of hundreds of henries); "RLC"/"LC" asked: a series-LC notch.
Active:
- low/high-pass order 1: RC/CR section into a unity-gain op-amp buffer; order 2: unity-gain
  Sallen-Key with Butterworth Q (corner = f0 exactly); order 3/4: a buffered first-order
  section or a second Sallen-Key in front.
- band-pass: multiple-feedback (MFB) section; band-stop: input minus the MFB band-pass in
  an op-amp summer (a notch at the centre).
Op-amps are the flat two-stage Miller op-amp of :mod:`chipsmith.agents.gen_opamp`,
referenced to mid-rail (an internal divider or the user's reference port).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from chipsmith.agents.circuit import Builder, Design, Port
from chipsmith.agents.gen_base import REFERENCE, Pins, finish, mos_params, net
from chipsmith.agents.gen_opamp import OpampParams, _core
from chipsmith.errors import InputError

RESPONSES = ("lowpass", "highpass", "bandpass", "bandstop")


@dataclass(frozen=True)
class FilterParams:
    response: str = "lowpass"
    corner_hz: float = 10e3       # -3 dB corner (low/high-pass) or centre (band-pass/stop)
    order: int = 1
    active: bool = False
    q: float = 0.707              # band-pass/stop quality factor (centre / bandwidth)
    gain: float = 1.0             # pass-band gain (active only: a non-inverting stage after the filter)
    inductor: bool = False        # passive low/high-pass order 2 as an RLC section; band-stop as a series-LC notch
    rc_only: bool = False         # passive band-pass from resistors and capacitors (no inductor)
    r: float = 100e3              # base resistor (ohm): high, so op-amp output impedance feeds little through
    step: float = 10.0            # impedance step between passive ladder sections
    vdd: float = 1.8
    model_file: str | None = None

    def __post_init__(self) -> None:
        if self.response not in RESPONSES:
            raise InputError(f"unknown filter response {self.response!r}", fix=f"use one of: {', '.join(RESPONSES)}")
        if not 1 <= self.order <= 4:
            raise InputError(f"filter order {self.order} is not offered", fix="use order 1 to 4")
        if not 1e-3 <= self.corner_hz <= 1e9:
            raise InputError(f"filter corner {self.corner_hz:g} Hz is out of range [1 mHz, 1 GHz]")
        if self.active and self.corner_hz > 1e6:
            raise InputError(f"an active filter at {self.corner_hz:g} Hz is beyond the op-amp's bandwidth",
                             fix="ask for a passive filter or a corner below 1 MHz")


def ladder_response(f: np.ndarray, rs: list[float], cs: list[float], highpass: bool) -> np.ndarray:
    """|H| of an unloaded RC (or CR when ``highpass``) ladder, by ABCD matrices."""
    w = 2j * np.pi * np.asarray(f, dtype=float)
    a = np.ones_like(w)
    b = np.zeros_like(w)
    c = np.zeros_like(w)
    d = np.ones_like(w)
    for r, cap in zip(rs, cs):
        zs = 1 / (w * cap) if highpass else r + 0 * w
        ys = 1 / r + 0 * w if highpass else w * cap
        # series element then shunt element
        a, b, c, d = a, a * zs + b, c, c * zs + d
        a, b, c, d = a + b * ys, b, c + d * ys, d
    return np.abs(1 / a)


def _ladder(corner: float, order: int, r: float, step: float, highpass: bool) -> tuple[list[float], list[float]]:
    """Resistors and capacitors of an N-section ladder with its -3 dB point at ``corner``."""
    rs = [r * step ** i for i in range(order)]
    cs0 = [1.0 / (2 * math.pi * corner * r) / step ** i for i in range(order)]
    # f3db scales as 1/C for a fixed resistor set: find it at C = cs0 and rescale
    f = np.logspace(math.log10(corner) - 4, math.log10(corner) + 4, 4000)
    h = ladder_response(f, rs, cs0, highpass)
    ref = h[-1] if highpass else h[0]
    band = h >= ref / math.sqrt(2)
    k = int(np.argmax(band)) if highpass else int(np.argmin(band))
    f3 = float(f[k])
    scale = f3 / corner if not highpass else f3 / corner
    return rs, [c * scale for c in cs0]


def _reference(b: Builder, pins: Pins) -> tuple[str, float]:
    refs = pins.by(REFERENCE)
    if refs:
        return refs[0], pins.level(refs[0])
    b.block("reference_divider", "mid-rail reference for the op-amp circuit")
    b.r("vdd", net("vr"), 20e3)
    b.r(net("vr"), "gnd", 20e3)
    b.c(net("vr"), "gnd", 100e-12)
    return net("vr"), pins.vdd / 2


def filter_design(pins: Pins, p: FilterParams) -> Design:
    if len(pins.inputs) != 1 or len(pins.outputs) != 1:
        raise InputError("a filter has one signal input and one output", fix="give one signal_in and one out port")
    inp, out = pins.inputs[0], pins.outputs[0]
    final = out
    if abs(p.gain - 1.0) > 1e-6:
        if not p.active or p.gain < 1.0:
            raise InputError(f"a pass-band gain of {p.gain:g} needs an active filter and a gain >= 1",
                             fix="ask for an active filter, or drop the gain")
        out = net("f")
    b = Builder()
    io: dict[str, Port] = {}
    # a fast op-amp (about 100 MHz GBW): the filter's stop-band holds further above the corner
    op = OpampParams(itail=50e-6, k2=8.0, cc=0.5e-12, vdd=p.vdd, model_file=p.model_file)
    m_n, m_p = mos_params(p.model_file, "nch"), mos_params(p.model_file, "pch")
    bias_v, bias_i = list(pins.bias_v), list(pins.bias_i)
    ops = [0]

    def opamp(plus: str, minus: str, o: str) -> None:
        ops[0] += 1
        _core(b, bias_v if ops[0] == 1 else [], io, bias_i if ops[0] == 1 else [], plus, minus, o, op, m_n, m_p,
              prefix=f"a{ops[0]}", level=pins.level)

    uses_ref = False
    w0 = 2 * math.pi * p.corner_hz
    if p.response in ("lowpass", "highpass"):
        hp = p.response == "highpass"
        if not p.active and p.inductor:
            if p.order != 2:
                raise InputError("an RLC low/high-pass section is second order", fix="ask for order 2")
            lval = min(10e-3, max(1e-9, 1e-3 * 1e6 / p.corner_hz))
            cval = 1 / (w0 ** 2 * lval)
            rval = math.sqrt(lval / cval) / 0.7071  # Butterworth: Q = sqrt(L/C) / R
            b.block(f"passive_rlc_{p.response}", f"series R-L-C, Butterworth, corner {p.corner_hz:.4g} Hz")
            if hp:
                b.r(inp, net("a"), rval)
                b.c(net("a"), out, cval)
                b.ind(out, "gnd", lval)
            else:
                b.r(inp, net("a"), rval)
                b.ind(net("a"), out, lval)
                b.c(out, "gnd", cval)
        elif not p.active:
            rs, cs = _ladder(p.corner_hz, p.order, p.r, p.step, hp)
            b.block(f"passive_rc_{p.response}_order{p.order}", f"{p.order}-section {'CR' if hp else 'RC'} ladder, "
                    f"-3 dB at {p.corner_hz:.4g} Hz")
            node = inp
            for i, (r, c) in enumerate(zip(rs, cs)):
                nxt = out if i == p.order - 1 else net(f"l{i + 1}")
                if hp:
                    b.c(node, nxt, c)
                    b.r(nxt, "gnd", r)
                else:
                    b.r(node, nxt, r)
                    b.c(nxt, "gnd", c)
                node = nxt
        else:
            # order 2k: k Sallen-Key sections; odd order: a buffered first-order section first
            vr, vr_v = (None, None)
            if hp:
                vr, vr_v = _reference(b, pins)
                uses_ref = True
            node = inp
            sections = []
            if p.order % 2:
                sections.append(1)
            sections += [2] * (p.order // 2)
            qs = _butterworth_qs(p.order)
            for n_sec, order in enumerate(sections):
                last = n_sec == len(sections) - 1
                o = out if last else net(f"s{n_sec + 1}")
                x, y = net(f"x{n_sec + 1}"), net(f"y{n_sec + 1}")
                if order == 1:
                    b.block("first_order_section", f"{'CR' if hp else 'RC'} section into a unity-gain buffer")
                    c = 1 / (w0 * p.r)
                    if hp:
                        b.c(node, y, c)
                        b.r(y, vr, p.r)
                    else:
                        b.r(node, y, p.r)
                        b.c(y, "gnd", c)
                else:
                    q = qs.pop(0)
                    b.block("sallen_key_" + ("highpass" if hp else "lowpass"), f"unity-gain Sallen-Key, Q {q:.3g}")
                    if hp:
                        c = 1 / (w0 * p.r)
                        b.c(node, x, c)
                        b.c(x, y, c)
                        b.r(x, o, 1 / (2 * q * w0 * c))
                        b.r(y, vr, 2 * q / (w0 * c))
                    else:
                        r = p.r
                        b.r(node, x, r)
                        b.r(x, y, r)
                        b.c(x, o, 2 * q / (w0 * r))
                        b.c(y, "gnd", 1 / (2 * q * w0 * r))
                opamp(y, o, o)
                node = o
    elif p.response == "bandpass":
        if not p.active and p.rc_only:
            _rc_bandpass(b, inp, out, p)
        elif not p.active:
            _rlc(b, inp, out, p, notch=False)
        else:
            vr, _ = _reference(b, pins)
            uses_ref = True
            _mfb_bandpass(b, inp, out, vr, p, opamp)
    else:  # bandstop
        if not p.active and p.inductor:
            _rlc(b, inp, out, p, notch=True)
        elif not p.active:
            _twin_t(b, inp, out, p)
        else:
            vr, _ = _reference(b, pins)
            uses_ref = True
            bp = net("bp")
            _mfb_bandpass(b, inp, bp, vr, p, opamp)
            # MFB band-pass has gain -1 at the centre: out = -(in + bp) about vr is zero there
            b.block("summer", "out = -(in + bandpass): the band-pass cancels the input at the centre")
            b.r(inp, net("sn"), 20e3)
            b.r(bp, net("sn"), 20e3)
            b.r(net("sn"), out, 20e3)
            opamp(vr, net("sn"), out)
    if final != out:
        # pass-band gain: a non-inverting stage after the filter, gain 1 + Rf/Rg about the reference
        vr_g, _ = _reference(b, pins) if not pins.by(REFERENCE) else (pins.by(REFERENCE)[0], None)
        uses_ref = True
        b.block("gain_stage", f"non-inverting gain {p.gain:g} about the reference")
        rth = 0.0 if pins.by(REFERENCE) else 10e3  # the internal divider's own resistance
        b.r(net("g"), vr_g, 20e3 - rth)
        b.r(net("g"), final, 20e3 * (p.gain - 1))
        opamp(out, net("g"), final)
        out = final
    if bias_v or bias_i:
        raise InputError(f"a filter has no use for bias port(s) {', '.join(bias_v + bias_i)}")
    for name in pins.by(REFERENCE):
        if not uses_ref:
            raise InputError(f"a {'active' if p.active else 'passive'} {p.response} filter has no use for "
                             f"reference port {name}")
        io[name] = Port(name, "bias", pins.level(name), "V", "signal reference")
    io[inp] = Port(inp, "voltage_in", pins.level(inp), "V")
    io[out] = Port(out, "voltage_out", pins.level(inp), "V")
    kind = f"filter_{p.response}"
    return finish(kind, f"{'active' if p.active else 'passive'}:order{p.order}", b, pins, io, vdd=p.vdd,
                  model_file=p.model_file, params={"corner_hz": p.corner_hz, "order": p.order, "q": p.q})


def _butterworth_qs(order: int) -> list[float]:
    """Q of each second-order section of a Butterworth filter of ``order``."""
    return [1 / (2 * math.sin((2 * k + 1) * math.pi / (2 * order))) for k in range(order // 2)]


def _rlc(b: Builder, inp: str, out: str, p: FilterParams, notch: bool) -> None:
    """Series R then (series L-C to the output / to ground): band-pass or notch at the centre."""
    w0 = 2 * math.pi * p.corner_hz
    r = p.r
    if notch:
        # notch: R in series, L-C series to ground at the output; -3 dB width = R/L... Q = w0 L / R
        l_ = r / (w0 * p.q)
        c = 1 / (w0 ** 2 * l_)
        b.block("passive_rlc_bandstop", f"series LC to ground notches {p.corner_hz:.4g} Hz")
        b.r(inp, out, r)
        b.ind(out, net("lc"), l_)
        b.c(net("lc"), "gnd", c)
    else:
        l_ = p.q * r / w0
        c = 1 / (w0 ** 2 * l_)
        b.block("passive_rlc_bandpass", f"series LC into a resistor passes {p.corner_hz:.4g} Hz")
        b.ind(inp, net("lc"), l_)
        b.c(net("lc"), out, c)
        b.r(out, "gnd", r)


def _twin_t(b: Builder, inp: str, out: str, p: FilterParams) -> None:
    """Passive twin-T notch: R-R with 2C to ground in parallel with C-C with R/2 to ground; the two
    paths cancel at f0 = 1 / (2 pi R C) (a deep notch), pass at DC and at high frequency."""
    r = p.r
    c = 1 / (2 * math.pi * p.corner_hz * r)
    b.block("passive_twin_t_notch", f"twin-T, notch at {p.corner_hz:.4g} Hz (resistors and capacitors only)")
    b.r(inp, net("ta"), r)
    b.r(net("ta"), out, r)
    b.c(net("ta"), "gnd", 2 * c)
    b.c(inp, net("tb"), c)
    b.c(net("tb"), out, c)
    b.r(net("tb"), "gnd", r / 2)


def _rc_bandpass(b: Builder, inp: str, out: str, p: FilterParams) -> None:
    """Passive RC band-pass: a CR high-pass at f0/3 into an RC low-pass at 3 f0 whose impedance is
    ``step`` times higher (little loading): a pass band a decade wide centred on f0, about -1 dB
    there, 20 dB/decade on each side (coinciding corners would cost 10 dB at the centre)."""
    w0 = 2 * math.pi * p.corner_hz
    r1, r2 = p.r, p.r * p.step
    b.block("passive_rc_bandpass", f"CR high-pass at {p.corner_hz / 3:.4g} Hz into RC low-pass at "
            f"{p.corner_hz * 3:.4g} Hz")
    b.c(inp, net("hp"), 3 / (w0 * r1))
    b.r(net("hp"), "gnd", r1)
    b.r(net("hp"), out, r2)
    b.c(out, "gnd", 1 / (3 * w0 * r2))


def _mfb_bandpass(b: Builder, inp: str, out: str, vr: str, p: FilterParams, opamp) -> None:
    """Multiple-feedback band-pass, centre gain -1 (inverting), centre ``corner_hz``, quality ``q``."""
    w0 = 2 * math.pi * p.corner_hz
    q = max(p.q, 0.5)
    c = 1 / (w0 * p.r)  # pick C from the base R, then solve the three resistors (gain -1)
    r3 = 2 * q / (w0 * c)
    r1 = r3 / 2
    r2 = r3 / (4 * q * q - 2) if 4 * q * q > 2 else None
    b.block("mfb_bandpass", f"multiple-feedback band-pass, centre {p.corner_hz:.4g} Hz, Q {q:.3g}")
    b.r(inp, net("m"), r1)
    if r2:
        b.r(net("m"), vr, r2)
    b.c(net("m"), net("mn"), c)
    b.c(net("m"), out, c)
    b.r(net("mn"), out, r3)
    opamp(vr, net("mn"), out)
