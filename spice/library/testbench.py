"""Testbenches that prove each library block does what its description says.

A block's YAML ``testbench`` names a ``kind`` (mirror, gain, diffpair, ...), the
``stimulus`` values (bias voltages, reference currents, sweep limits) and the
``expect``ed ranges of the figures that kind measures. :func:`build_testbench` writes the
ngspice deck(s) around the block (models, supply, sources, loads); :func:`run_testbench`
simulates them with :func:`chipsmith.spice.runner.simulate` and returns the figures and
the pass/fail of every expectation. One ngspice run per block, except the bandgap, which
needs one operating point per temperature.

Why the gain benches use a DC servo: a high-gain stage's output moves rail to rail for
millivolts of input offset, so a fixed input bias is fragile. An E-source sets the input's
DC level so that the output sits at the requested voltage, through an inductor (DC
short) onto a node held at AC ground by a large capacitor; at the AC test frequencies the
loop is open and the gain is the stage's own.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Mapping, Sequence

import numpy as np

from chipsmith.errors import LibraryError
from chipsmith.spice.library.core import TESTBENCH_PORTS, VDD, Block, model_include
from chipsmith.spice.runner import Ac, Analysis, Dc, Op, Tran, simulate


@dataclass(frozen=True)
class Check:
    """One expectation: ``lo <= value <= hi`` (a None bound is open)."""

    figure: str
    value: float
    lo: float | None
    hi: float | None

    @property
    def passed(self) -> bool:
        if self.value is None or not math.isfinite(self.value):
            return False
        return (self.lo is None or self.value >= self.lo) and (self.hi is None or self.value <= self.hi)

    def describe(self) -> str:
        lo = "-inf" if self.lo is None else f"{self.lo:g}"
        hi = "+inf" if self.hi is None else f"{self.hi:g}"
        return f"{self.figure}={self.value:.4g} in [{lo}, {hi}]: {'ok' if self.passed else 'FAIL'}"


@dataclass(frozen=True)
class TestbenchReport:
    """Figures measured on one block and the verdict of each expectation."""

    __test__ = False  # not a pytest class

    block: str
    kind: str
    figures: Mapping[str, float]
    checks: tuple[Check, ...]
    seconds: float
    decks: tuple[str, ...] = field(default=(), repr=False)

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    def failures(self) -> list[str]:
        return [c.describe() for c in self.checks if not c.passed]

    def to_dict(self) -> dict:
        return {"block": self.block, "kind": self.kind, "passed": self.passed,
                "figures": {k: float(v) for k, v in self.figures.items()},
                "checks": [{"figure": c.figure, "value": c.value, "lo": c.lo, "hi": c.hi, "passed": c.passed}
                           for c in self.checks], "seconds": self.seconds}


class PdkModels(str):
    """Model cards of a PDK at one corner, used in place of the generic ``nch``/``pch`` file."""


def on_pdk(block: Block, pdk_name: str, corner: str = "tt") -> tuple[Block, PdkModels, tuple[Path, ...]]:
    """``block`` moved onto a PDK's devices (generic ``M`` elements become the PDK's, sizes in
    its units, snapped and limit-checked), the PDK's model cards at ``corner``, and the
    directories those cards may read."""
    from dataclasses import replace

    from chipsmith.spice.pdk import get_pdk
    from chipsmith.spice.retarget import retarget_text

    pdk = get_pdk(pdk_name)
    text = retarget_text(block.subckt_text, pdk, str(block.path or block.name))
    return replace(block, subckt_text=text), PdkModels(pdk.model_lines(corner)), pdk.model_dirs


@dataclass(frozen=True)
class Run:
    """One ngspice run of a testbench: the deck and its analyses."""

    deck: str
    analyses: tuple[Analysis, ...]


# --- helpers ------------------------------------------------------------------------------

def _stim(block: Block, key: str, default: object = None) -> object:
    value = block.testbench.stimulus.get(key, default)
    if value is None:
        raise LibraryError(f"block {block.name}: testbench.stimulus.{key} is required for a "
                           f"{block.testbench.kind} testbench", where=str(block.path or block.name))
    return value


def _f(block: Block, key: str, default: float | None = None) -> float:
    value = _stim(block, key, default)
    from chipsmith.spice.library.core import _number

    number = _number(str(value)) if not isinstance(value, (int, float)) else float(value)
    if number is None:
        raise LibraryError(f"block {block.name}: testbench.stimulus.{key} = {value!r} is not a number",
                           where=str(block.path or block.name))
    return float(number)


def _nets(block: Block, suffix: str = "", fixed: Mapping[str, str] | None = None) -> dict[str, str]:
    """Port -> testbench net: supplies on ``vdd``, grounds on ``0``, bias ports on shared
    nets named after the port, the rest on ``<port><suffix>``."""
    nets = {}
    for p in block.ports:
        if fixed and p.name in fixed:
            nets[p.name] = fixed[p.name]
        elif p.role == "supply":
            nets[p.name] = "vdd"
        elif p.role == "ground":
            nets[p.name] = "0"
        elif p.role == "bias" and p.name in _bias(block):
            nets[p.name] = p.name
        else:
            nets[p.name] = p.name + suffix
    return nets


def _bias(block: Block) -> dict[str, float]:
    from chipsmith.spice.library.core import _number

    raw = block.testbench.stimulus.get("bias", {}) or {}
    return {str(k).lower(): float(v) if isinstance(v, (int, float)) else float(_number(str(v))) for k, v in raw.items()}


def _header(block: Block, models: object, section: str | None, vdd_card: str | None = None) -> list[str]:
    vdd = VDD if block.testbench.stimulus.get("vdd") is None else _f(block, "vdd")
    # a PDK's own cards (see on_pdk) come as text; otherwise the shipped or user model file
    card = models.rstrip() if isinstance(models, PdkModels) else model_include(models, section)
    lines = [f"* chipsmith testbench: {block.name} ({block.testbench.kind})", card,
             block.subckt_text.rstrip(), vdd_card or f"vdd vdd 0 dc {vdd!r}"]
    for port, volts in _bias(block).items():
        lines.append(f"vb_{port} {port} 0 dc {volts!r}")
    return lines


def _one_port(block: Block, role: str, kind: str | None = None, name: str | None = None) -> str:
    """The single port with ``role`` (and ``kind``), or the one called ``name``."""
    if name is not None:
        if name not in block.port_names:
            raise LibraryError(f"block {block.name}: testbench names port {name!r} that does not exist",
                               where=str(block.path or block.name))
        return name
    found = [p.name for p in block.ports if p.role == role and (kind is None or p.kind == kind)]
    if len(found) != 1:
        raise LibraryError(f"block {block.name}: a {block.testbench.kind} testbench needs exactly one "
                           f"{role} port{' of kind ' + kind if kind else ''}, found {found or 'none'}",
                           where=str(block.path or block.name), fix="name it in testbench.stimulus")
    return found[0]


def _at(x: np.ndarray, y: np.ndarray, x0: float) -> float:
    order = np.argsort(x)
    return float(np.interp(x0, x[order], np.real(y)[order]))


def _ac_at(x: np.ndarray, y: np.ndarray, f0: float) -> complex:
    lx = np.log10(x)
    return complex(np.interp(math.log10(f0), lx, y.real), np.interp(math.log10(f0), lx, y.imag))


def _servo(sign: float, inp: str, out: str, vin0: float, vout: float, ac: str = "ac 1", tag: str = "") -> list[str]:
    """Input source on ``inp`` whose DC level holds ``out`` at ``vout`` (see module doc)."""
    plus, minus = (out, f"ref{tag}") if sign < 0 else (f"ref{tag}", out)
    return [f"vac{tag} {inp} dcin{tag} dc 0 {ac}", f"lfb{tag} dcin{tag} ctl{tag} 1e9", f"cfb{tag} dcin{tag} 0 1e3",
            f"esv{tag} ctl{tag} c0{tag} {plus} {minus} 100", f"vc0{tag} c0{tag} 0 dc {vin0!r}",
            f"vref{tag} ref{tag} 0 dc {vout!r}"]


# --- builders: block -> runs; measures: (block, results) -> figures -------------------------

def _mirror(block: Block) -> list[str]:
    inp = _one_port(block, "input", "current_in", block.testbench.stimulus.get("in_port"))
    out = _one_port(block, "output", "current_out", block.testbench.stimulus.get("out_port"))
    iref, vout = _f(block, "iref"), _f(block, "vout")
    nets = _nets(block)
    sink = block.polarity == "nmos"
    src = f"iref vdd {nets[inp]} dc {iref!r}" if sink else f"iref {nets[inp]} 0 dc {iref!r}"
    return [src, f"vout {nets[out]} 0 dc {vout!r}", block.instantiate("xdut", nets)]


def _mirror_measure(block, results) -> dict[str, float]:
    op = results[0].op
    iref = _f(block, "iref")
    iout = abs(op.currents["vout"])
    return {"iout": iout, "ratio": iout / iref / _f(block, "ratio", 1.0)}


def _gain(block: Block) -> list[str]:
    inp = _one_port(block, "input", None, block.testbench.stimulus.get("in_port"))
    out = _one_port(block, "output", None, block.testbench.stimulus.get("out_port"))
    nets = _nets(block)
    lines = _servo(_f(block, "sign"), nets[inp], nets[out], _f(block, "vin0"), _f(block, "vout"))
    if block.testbench.stimulus.get("cload") is not None:
        lines.append(f"cload {nets[out]} 0 {_f(block, 'cload')!r}")
    return lines + [block.instantiate("xdut", nets)]


def _gain_measure(block, results) -> dict[str, float]:
    res = results[0]
    out = _nets(block)[_one_port(block, "output", None, block.testbench.stimulus.get("out_port"))]
    inp = _nets(block)[_one_port(block, "input", None, block.testbench.stimulus.get("in_port"))]
    gain = res.ac.get(f"v({out})")[0] / res.ac.get(f"v({inp})")[0]
    return {"gain": float(gain.real), "gain_abs": float(abs(gain)), "vin_dc": res.op.voltages[inp],
            "vout_dc": res.op.voltages[out]}


def _diffpair(block: Block) -> list[str]:
    vcm, itail, rtail, rload = _f(block, "vcm"), _f(block, "itail"), _f(block, "rtail"), _f(block, "rload")
    tail = _one_port(block, "bias", None, _stim(block, "tail_port", "tail"))
    lines = []
    for tag, ap, an in (("d", "ac 0.5", "ac -0.5"), ("c", "ac 1", "ac 1")):
        nets = _nets(block, "_" + tag)
        t = nets[tail]
        if block.polarity == "nmos":
            lines += [f"itail{tag} {t} 0 dc {itail!r}", f"rtail{tag} {t} 0 {rtail!r}"]
            load_to = "vdd"
        else:
            lines += [f"itail{tag} vdd {t} dc {itail!r}", f"rtail{tag} vdd {t} {rtail!r}"]
            load_to = "0"
        lines += [f"vinp{tag} {nets['inp']} 0 dc {vcm!r} {ap}", f"vinn{tag} {nets['inn']} 0 dc {vcm!r} {an}",
                  f"rlp{tag} {nets['dp']} {load_to} {rload!r}", f"rln{tag} {nets['dn']} {load_to} {rload!r}",
                  block.instantiate(f"xdut{tag}", nets)]
    return lines


def _diffpair_measure(block, results) -> dict[str, float]:
    ac, op = results[0].ac, results[0].op
    adm = ac.get("v(dn_d)")[0] - ac.get("v(dp_d)")[0]
    acm = 0.5 * (ac.get("v(dp_c)")[0] + ac.get("v(dn_c)")[0])
    return {"adm": float(adm.real), "acm": float(abs(acm)), "cmrr": float(abs(adm) / max(abs(acm), 1e-12)),
            "vout_dc": float(op.voltages["dp_d"])}


def _ota(block: Block) -> list[str]:
    vcm = _f(block, "vcm")
    lines = []
    for tag, ap, an in (("d", "ac 1", "ac 0"), ("c", "ac 1", "ac 1")):
        nets = _nets(block, "_" + tag)
        lines += [f"vinp{tag} {nets['inp']} 0 dc {vcm!r} {ap}",
                  # inn follows out at DC (unity feedback through the inductor), AC-grounded otherwise
                  f"vinn{tag} {nets['inn']} fb{tag} dc 0 {an}", f"lfb{tag} fb{tag} {nets['out']} 1e9",
                  f"cfb{tag} fb{tag} 0 1e3", block.instantiate(f"xdut{tag}", nets)]
        if block.testbench.stimulus.get("cload") is not None:
            lines.append(f"cl{tag} {nets['out']} 0 {_f(block, 'cload')!r}")
    return lines


def _ota_measure(block, results) -> dict[str, float]:
    ac, op = results[0].ac, results[0].op
    adm, acm = ac.get("v(out_d)")[0], ac.get("v(out_c)")[0]
    figures = {"adm": float(adm.real), "acm": float(abs(acm)), "cmrr": float(abs(adm) / max(abs(acm), 1e-12)),
               "vout_dc": float(op.voltages["out_d"])}
    mag = np.abs(ac.get("v(out_d)"))
    below = np.nonzero(mag < 1.0)[0]
    if below.size:
        figures["ugf"] = float(ac.x[below[0]])
    return figures


def _tail(block: Block) -> list[str]:
    out = _one_port(block, "output", "current_out")
    nets = _nets(block)
    return [f"vout {nets[out]} 0 dc {_f(block, 'vmid')!r}", block.instantiate("xdut", nets)]


def _tail_measure(block, results) -> dict[str, float]:
    dc = results[0].dc
    i = np.abs(dc.get("i(vout)"))
    mid = _at(dc.x, i, _f(block, "vmid"))
    return {"i_mid": mid, "variation": float((i.max() - i.min()) / mid)}


def _tail_analyses(block: Block) -> tuple[Analysis, ...]:
    lo, hi = _f(block, "vlo"), _f(block, "vhi")
    return (Dc("vout", lo, hi, (hi - lo) / 40),)


def _bias_gen(block: Block) -> list[str]:
    out = _one_port(block, "output", "current_out")
    nets = _nets(block)
    return [f"vout {nets[out]} 0 dc {_f(block, 'vmeas')!r}", block.instantiate("xdut", nets)]


def _bias_vdd(block: Block) -> str:
    vdd = VDD if block.testbench.stimulus.get("vdd") is None else _f(block, "vdd")
    return f"vdd vdd 0 dc {vdd!r} pwl(0 0 10u {vdd!r})"


def _bias_analyses(block: Block) -> tuple[Analysis, ...]:
    lo, hi = _f(block, "vlo"), _f(block, "vhi")
    return (Dc("vdd", lo, hi, (hi - lo) / 20), Tran(0.2e-6, 40e-6))


def _bias_measure(block, results) -> dict[str, float]:
    dc, tran = results[0].dc, results[0].tran
    lo, hi = _f(block, "vlo"), _f(block, "vhi")
    vdd = VDD if block.testbench.stimulus.get("vdd") is None else _f(block, "vdd")
    i = np.abs(dc.get("i(vout)"))
    nominal = _at(dc.x, i, vdd)
    started = abs(float(tran.get("i(vout)")[-1]))
    return {"iout": nominal, "sensitivity": float((_at(dc.x, i, hi) - _at(dc.x, i, lo)) / nominal / (hi - lo)),
            "startup": started / nominal}


def _impedance(block: Block) -> list[str]:
    a, b = block.port_names[0], block.port_names[1]
    return [f"vac {a} 0 dc 0 ac 1", block.instantiate("xdut", {a: a, b: "0"})]


def _impedance_measure(block, results) -> dict[str, float]:
    ac = results[0].ac
    i = ac.get("i(vac)")
    freqs = block.testbench.stimulus.get("freqs") or []
    return {f"z_{k}": float(1.0 / abs(_ac_at(ac.x, i, float(f)))) for k, f in enumerate(freqs)}


def _inverter(block: Block) -> list[str]:
    _one_port(block, "output")  # the measure step reads it; fail early when it is ambiguous
    nets = _nets(block)
    return [f"vin {nets[_one_port(block, 'input')]} 0 dc 0", block.instantiate("xdut", nets)]


def _inverter_measure(block, results) -> dict[str, float]:
    dc = results[0].dc
    out = dc.get(f"v({_one_port(block, 'output')})").real
    x = dc.x
    diff = out - x
    k = int(np.nonzero(diff < 0)[0][0]) if np.any(diff < 0) else len(x) - 1
    vm = float(np.interp(0.0, [diff[k], diff[k - 1]], [x[k], x[k - 1]])) if k > 0 else float(x[0])
    return {"voh": float(out[0]), "vol": float(out[-1]), "vm": vm,
            "gain_max": float(np.max(np.abs(np.diff(out) / np.diff(x))))}


def _switch(block: Block) -> list[str]:
    a = _one_port(block, "input", None, block.testbench.stimulus.get("in_port", "a"))
    b = _one_port(block, "output", None, block.testbench.stimulus.get("out_port", "b"))
    on, off = _stim(block, "on"), _stim(block, "off")
    vmid = VDD / 2
    lines = ["va va 0 dc 0", f"vmid vmid 0 dc {vmid!r}"]
    for tag, ctrl in (("on", on), ("off", off)):
        fixed = {a: "va", b: f"b_{tag}"}
        for port, volts in ctrl.items():
            fixed[str(port)] = f"{port}_{tag}"
            lines.append(f"v{port}_{tag} {port}_{tag} 0 dc {float(volts)!r}")
        lines += [f"rl_{tag} b_{tag} vmid {_f(block, 'rload')!r}", block.instantiate(f"x{tag}", _nets(block, fixed=fixed))]
    return lines


def _switch_measure(block, results) -> dict[str, float]:
    dc = results[0].dc
    on, off = dc.get("v(b_on)").real, dc.get("v(b_off)").real
    err = np.abs(on - dc.x)
    return {"err_0": float(err[0]), "err_vdd": float(err[-1]), "err_max": float(err.max()),
            "off_leak": float(np.max(np.abs(off - VDD / 2)))}


def _latch(block: Block) -> list[str]:
    vcm, vid, period = _f(block, "vcm"), _f(block, "vid"), _f(block, "period")
    clk = _one_port(block, "input", None, _stim(block, "clk_port", "clk"))
    lines = [f"vclk {clk} 0 pulse(0 {VDD!r} {period / 2!r} 20p 20p {period / 2!r} {period!r})"]
    for tag, sign in (("a", 1), ("b", -1)):
        nets = _nets(block, "_" + tag, fixed={clk: clk})
        lines += [f"vinp{tag} {nets['inp']} 0 dc {vcm + sign * vid / 2!r}",
                  f"vinn{tag} {nets['inn']} 0 dc {vcm - sign * vid / 2!r}",
                  f"clp{tag} {nets['outp']} 0 5f", f"cln{tag} {nets['outn']} 0 5f",
                  block.instantiate(f"x{tag}", nets)]
    return lines


def _latch_analyses(block: Block) -> tuple[Analysis, ...]:
    period = _f(block, "period")
    return (Tran(period / 200, 2 * period),)


def _latch_measure(block, results) -> dict[str, float]:
    tran = results[0].tran
    period = _f(block, "period")
    # clk is high (evaluate) over [P/2, P) and [3P/2, 2P): sample late in the 2nd
    # evaluation and late in the reset phase between them
    t_eval, t_reset = 1.95 * period, 1.45 * period
    def diff(tag: str, t: float) -> float:
        return _at(tran.x, tran.get(f"v(outp_{tag})"), t) - _at(tran.x, tran.get(f"v(outn_{tag})"), t)
    reset = [_at(tran.x, tran.get(f"v({n}_a)"), t_reset) for n in ("outp", "outn")]
    return {"vdiff_pos": diff("a", t_eval), "vdiff_neg": diff("b", t_eval),
            "reset_diff": abs(reset[0] - reset[1])}


def _pass(block: Block) -> list[str]:
    gate = _one_port(block, "input")
    out = _one_port(block, "output")
    lines = []
    for tag, vg in (("on", _f(block, "vgate_on")), ("off", _f(block, "vgate_off"))):
        nets = _nets(block, "_" + tag)
        lines += [f"vg_{tag} {nets[gate]} 0 dc {vg!r}", block.instantiate(f"x{tag}", nets)]
    lines += [f"iload {_nets(block, '_on')[out]} 0 dc {_f(block, 'iload')!r}",
              f"rload {_nets(block, '_off')[out]} 0 {_f(block, 'roff')!r}"]
    return lines


def _pass_measure(block, results) -> dict[str, float]:
    op = results[0].op
    out = _one_port(block, "output")
    vdd = VDD if block.testbench.stimulus.get("vdd") is None else _f(block, "vdd")
    return {"dropout": vdd - op.voltages[f"{out}_on"], "v_off": op.voltages[f"{out}_off"]}


def _classab(block: Block) -> list[str]:
    inp, out = _one_port(block, "input"), _one_port(block, "output")
    nets = _nets(block)
    return [f"vin {nets[inp]} 0 dc {VDD / 2!r}", f"vmid vmid 0 dc {VDD / 2!r}",
            f"rload {nets[out]} vmid {_f(block, 'rload')!r}", block.instantiate("xdut", nets)]


def _classab_analyses(block: Block) -> tuple[Analysis, ...]:
    lo, hi = _f(block, "vlo"), _f(block, "vhi")
    return (Dc("vin", lo, hi, (hi - lo) / 40),)


def _classab_measure(block, results) -> dict[str, float]:
    dc = results[0].dc
    out = dc.get(f"v({_one_port(block, 'output')})").real
    iload = (out - VDD / 2) / _f(block, "rload")
    isup = np.abs(dc.get("i(vdd)").real)
    slope = np.gradient(out, dc.x)
    iq = _at(dc.x, isup, VDD / 2)
    return {"gain": _at(dc.x, slope, VDD / 2), "i_source": float(iload.max()), "i_sink": float(iload.min()),
            "iq": iq, "peak_over_iq": float(max(iload.max(), -iload.min()) / iq)}


_TEMPS = (-40.0, 27.0, 125.0)


def _bandgap_runs(block: Block, models: object, section: str | None) -> list[Run]:
    out = _one_port(block, "output")
    runs = []
    for temp in _TEMPS:
        lines = _header(block, models, section) + [
            f".temp {temp!r}", "* reference diode: the temperature drift the core must cancel",
            "idref vdd dref dc 10u", "dref dref 0 dtb", ".model dtb d (is=1e-17 n=1 eg=1.11 xti=3)",
            block.instantiate("xdut", _nets(block))]
        runs.append(Run("\n".join(lines) + "\n", (Op(),)))
    return runs


def _bandgap_measure(block, results) -> dict[str, float]:
    out = _nets(block)[_one_port(block, "output")]
    vref = [r.op.voltages[out] for r in results]
    vd = [r.op.voltages["dref"] for r in results]
    return {"vref": vref[1], "dv_ref": max(vref) - min(vref), "dv_diode": abs(vd[0] - vd[-1]),
            "flatness": (max(vref) - min(vref)) / abs(vd[0] - vd[-1])}


@dataclass(frozen=True)
class _Kind:
    build: Callable[[Block], list[str]]
    analyses: Callable[[Block], tuple[Analysis, ...]]
    measure: Callable[[Block, list], dict[str, float]]
    vdd_card: Callable[[Block], str | None] = lambda block: None


_AC = lambda block: (Op(), Ac(10.0, 1e9, 10))  # noqa: E731 - small table of analyses
_OP = lambda block: (Op(),)  # noqa: E731

_BENCHES: dict[str, _Kind] = {
    "mirror": _Kind(_mirror, _OP, _mirror_measure),
    "gain": _Kind(_gain, _AC, _gain_measure),
    "diffpair": _Kind(_diffpair, _AC, _diffpair_measure),
    "ota": _Kind(_ota, _AC, _ota_measure),
    "tail": _Kind(_tail, _tail_analyses, _tail_measure),
    "bias": _Kind(_bias_gen, _bias_analyses, _bias_measure, _bias_vdd),
    "impedance": _Kind(_impedance, lambda b: (Ac(1e3, 1e10, 10),), _impedance_measure),
    "inverter": _Kind(_inverter, lambda b: (Dc("vin", 0.0, VDD, VDD / 180),), _inverter_measure),
    "switch": _Kind(_switch, lambda b: (Dc("va", 0.0, VDD, VDD / 36),), _switch_measure),
    "latch": _Kind(_latch, _latch_analyses, _latch_measure),
    "pass": _Kind(_pass, _OP, _pass_measure),
    "classab": _Kind(_classab, _classab_analyses, _classab_measure),
}


def build_testbench(block: Block, *, models: Path | str | int | None = None, section: str | None = None) -> list[Run]:
    """The ngspice run(s) that test ``block``: decks (model include, the block's subckt,
    sources, loads, the instance) and their analyses. ``models`` as in
    :func:`~chipsmith.spice.library.core.model_include`."""
    kind = block.testbench.kind
    missing = [p for p in TESTBENCH_PORTS.get(kind, ()) if p not in block.port_names]
    if missing or (kind == "impedance" and len(block.ports) != 2):
        raise LibraryError(f"block {block.name}: a {kind} testbench needs ports "
                           f"{', '.join(TESTBENCH_PORTS.get(kind, ('two terminals',)))}",
                           where=str(block.path or block.name), fix="rename the ports or pick another testbench kind")
    if kind == "bandgap":
        return _bandgap_runs(block, models, section)
    spec = _BENCHES.get(kind)
    if spec is None:
        raise LibraryError(f"block {block.name}: no testbench of kind {kind!r}",
                           fix=f"use one of: {', '.join([*_BENCHES, 'bandgap'])}")
    lines = _header(block, models, section, spec.vdd_card(block)) + spec.build(block)
    return [Run("\n".join(lines) + "\n", tuple(spec.analyses(block)))]


def measure(block: Block, results: Sequence) -> dict[str, float]:
    """Figures of ``block``'s testbench from the simulation results of its runs."""
    if block.testbench.kind == "bandgap":
        return _bandgap_measure(block, results)
    return _BENCHES[block.testbench.kind].measure(block, list(results))


def run_testbench(block: Block, *, models: Path | str | int | None = None, section: str | None = None,
                  mode: str = "subprocess", timeout_s: float = 30.0, pdk: str | None = None,
                  corner: str = "tt") -> TestbenchReport:
    """Simulate ``block`` in its testbench and check every ``expect``ed figure range.

    The testbench decks are generated here (trusted); ``models`` selects the shipped
    level-1 (default) or level-3 card, or the user's own model file; ``pdk`` (e.g. sky130)
    moves the block onto that PDK's devices and models at ``corner`` instead. The expected
    ranges are the block's own (written for the generic models), so a PDK run says which
    of them still hold there.
    """
    include_dirs: tuple[Path, ...] = ()
    if pdk and pdk != "generic":
        block, models, include_dirs = on_pdk(block, pdk, corner)
    runs = build_testbench(block, models=models, section=section)
    results = [simulate(run.deck, run.analyses, trusted=True, mode=mode, timeout_s=timeout_s,
                        include_dirs=include_dirs, source=f"<testbench {block.name}>") for run in runs]
    figures = measure(block, results)
    checks = []
    for fig, (lo, hi) in block.testbench.expect.items():
        if fig not in figures:
            raise LibraryError(f"block {block.name}: testbench.expect names figure {fig!r} that a "
                               f"{block.testbench.kind} testbench does not measure",
                               where=str(block.path or block.name), fix=f"measured: {', '.join(figures)}")
        checks.append(Check(fig, float(figures[fig]), lo, hi))
    return TestbenchReport(block.name, block.testbench.kind, dict(figures), tuple(checks),
                           sum(r.seconds for r in results), tuple(r.deck for r in runs))
