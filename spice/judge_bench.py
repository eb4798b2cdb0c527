"""The judge's own testbenches: a harness around ``.subckt design`` and the measurements.

Every bench is written here from the interface's port roles and the request's conditions
(see the conventions in :mod:`chipsmith.spice.requirements`), simulated through
:func:`chipsmith.spice.runner.simulate` (the design text passed the safety policy before
any bench is built; the harness lines are the judge's own, so the runs are ``trusted``).
Results are cached per bench so that several requirements share one simulation.

Why the operating point is found by a sweep then held by a servo: a high-gain stage's
output sits at a rail for almost every fixed input level. A coarse DC sweep of the main
input finds where the output crosses mid-supply and with which slope sign; then an
E-source feeds the output error back to the input's DC level through a huge inductor
(a DC short, open at test frequencies) onto a node held at AC ground by a huge capacitor,
so the AC analysis sees the circuit's own, open (or its own closed-loop) gain.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable, Mapping, Sequence

import numpy as np

from chipsmith.errors import ChipsmithError, SimulationError
from chipsmith.spice import measure
from chipsmith.spice.requirements import Interface, PortRole, Request
from chipsmith.spice.runner import Ac, Dc, Op, Tran, simulate

DEFAULT_VDD = 1.8
DEFAULT_IBIAS = 20e-6
DEFAULT_CLOCK_HZ = 1e6
DEFAULT_LOAD_CAP = 1e-12
_LOADED_FAMILIES = ("amplifier", "opamp", "opamp_app")


class Unverifiable(Exception):
    """A figure the judge cannot measure on this design (says why)."""


@dataclass
class Harness:
    """Everything needed to write benches around the design."""

    design_text: str                 # the design's subckt (and support subckts, models)
    port_order: tuple[str, ...]      # .subckt design port names, in order (lower case)
    interface: Interface
    request: Request
    vdd: float = DEFAULT_VDD
    timeout_s: float = 30.0
    models: str = ""                 # a PDK's model cards (chipsmith.spice.judge_pdk), loaded by every bench
    include_dirs: tuple = ()         # the directories those cards read
    temp_c: float | None = None      # the corner's temperature (a bench's own .temp wins)
    runs: int = 0
    sim_seconds: float = 0.0
    _cache: dict = field(default_factory=dict)

    # --- conditions -------------------------------------------------------------------
    def condition(self, name: str, port: str | None = None) -> float | None:
        for r in self.request.by_kind("condition"):
            p = r.params
            at = p.get("port")
            if p["name"] == name and (port is None or at is None or at.lower() == port.lower()):
                return float(p["value"])
        return None

    @property
    def inputs(self) -> list[str]:
        return [p.name for p in self.interface.by_role(PortRole.SIGNAL_IN)]

    @property
    def diff_inputs(self) -> tuple[str, str] | None:
        p = self.interface.names_by_role(PortRole.DIFF_IN_P)
        n = self.interface.names_by_role(PortRole.DIFF_IN_N)
        return (p[0], n[0]) if p and n else None

    def main_input(self) -> str | None:
        diff = self.diff_inputs
        if diff:
            return diff[0]
        ins = self.inputs
        return ins[0] if ins else None

    def main_output(self) -> str | None:
        outs = self.interface.names_by_role(PortRole.OUT, PortRole.DIFF_OUT_P)
        return outs[0] if outs else None

    def out_expr(self, out: str | None = None) -> str:
        """The output node (or differential expression) to read."""
        out = out or self.main_output()
        if out is None:
            raise Unverifiable("the interface has no output port")
        n = self.interface.names_by_role(PortRole.DIFF_OUT_N)
        if self.interface.role_of(out) is PortRole.DIFF_OUT_P and n:
            return f"v({net(out)},{net(n[0])})"
        return net(out)

    def input_dc(self, name: str) -> float:
        v = self.condition("input_dc_v", name)
        if v is None:
            v = self.condition("input_cm_v", name)
        return self.vdd / 2 if v is None else v

    def amplifier_like(self) -> bool:
        """Amplifiers, op-amps and op-amp circuits drive a 1 pF load unless the request says
        otherwise: an unloaded output's bandwidth and phase margin describe nothing real."""
        return any(r.params["family"] in _LOADED_FAMILIES for r in self.request.by_kind("family"))

    # --- deck ---------------------------------------------------------------------------
    def deck(self, overrides: Mapping[str, str] | None = None, extra: Sequence[str] = (), *,
             vdd: float | None = None, temp: float | None = None, supply_ac: bool = False) -> str:
        """The harness netlist. ``overrides``: port name (lower) -> source cards replacing
        the default stimulus of that port (use ``{n}`` for the port's net)."""
        overrides = {k.lower(): v for k, v in (overrides or {}).items()}
        vdd = self.vdd if vdd is None else vdd
        lines = ["* chipsmith judge harness", *([self.models.rstrip()] if self.models else []),
                 self.design_text.rstrip(),
                 f"vsup jvdd 0 dc {vdd!r}" + (" ac 1" if supply_ac else ""),
                 f"vsupb jvddb 0 dc {vdd!r}"]
        temp = self.temp_c if temp is None else temp
        if temp is not None:
            lines.append(f".temp {temp!r}")
        for p in self.interface.ports:
            name = p.name.lower()
            if p.role in (PortRole.SUPPLY, PortRole.GROUND):
                continue
            n = net(p.name)
            if name in overrides:
                lines.extend(c.format(n=n) for c in overrides[name].split("\n") if c)
                continue
            lines.extend(self._default_source(p.name, p.role, n, self.vdd))
        load_c = self.condition("load_cap_f")
        if load_c is None and self.amplifier_like():
            load_c = DEFAULT_LOAD_CAP  # datasheet convention: amplifier figures with a 1 pF load
        load_r = self.condition("load_res_ohm")
        if any(r.params["family"] in ("current_source", "current_mirror") for r in self.request.by_kind("family")):
            load_r = None  # a source's stated load is the design's own load resistor (swept by the judge), not an extra one
        for out in self.interface.names_by_role(PortRole.OUT, PortRole.DIFF_OUT_P, PortRole.DIFF_OUT_N):
            if out.lower() in overrides:
                continue
            if load_c:
                lines.append(f"cl_{out.lower()} {net(out)} 0 {load_c!r}")
            if load_r:
                lines.append(f"rl_{out.lower()} {net(out)} 0 {load_r!r}")
        lines.extend(extra)
        nodes = []
        supplies = {"vdd"} | {n.lower() for n in self.interface.names_by_role(PortRole.SUPPLY)}
        grounds = {"gnd", "0"} | {n.lower() for n in self.interface.names_by_role(PortRole.GROUND)}
        for port in self.port_order:
            if port in supplies:
                nodes.append("jvdd")
            elif port in grounds:
                nodes.append("0")
            else:
                nodes.append(net(port))
        lines.append(f"xdut {' '.join(nodes)} design")
        return "\n".join(lines) + "\n"

    def _default_source(self, name: str, role: PortRole, n: str, vdd: float) -> list[str]:
        tag = name.lower()
        if role in (PortRole.SIGNAL_IN, PortRole.DIFF_IN_P, PortRole.DIFF_IN_N):
            return [f"vin_{tag} {n} 0 dc {self.input_dc(name)!r}"]
        if role is PortRole.BIAS_V:
            v = self.condition("bias_voltage_v", name)
            return [f"vb_{tag} {n} 0 dc {(vdd / 2 if v is None else v)!r}"]
        if role is PortRole.REFERENCE:
            v = self.condition("ref_voltage_v", name)
            if v is None:
                v = self.condition("bias_voltage_v", name)
            return [f"vr_{tag} {n} 0 dc {(vdd / 2 if v is None else v)!r}"]
        if role is PortRole.CONTROL:
            v = self.condition("control_v", name)
            return [f"vc_{tag} {n} 0 dc {(vdd / 2 if v is None else v)!r}"]
        if role is PortRole.BIAS_I:
            i = self.condition("bias_current_a", name)
            if i is None:
                i = self.condition("ref_current_a", name)
            i = DEFAULT_IBIAS if i is None else i
            if i >= 0:
                return [f"ib_{tag} jvddb {n} dc {i!r}"]
            return [f"ib_{tag} {n} 0 dc {-i!r}"]
        if role is PortRole.CLOCK:
            f = self.condition("clock_hz") or DEFAULT_CLOCK_HZ
            per = 1.0 / f
            tr = per / 100
            return [f"vclk_{tag} {n} 0 pulse(0 {vdd!r} 0 {tr!r} {tr!r} {per / 2 - tr!r} {per!r})"]
        return []  # outputs: no source

    def bias_current(self, name: str) -> float:
        i = self.condition("bias_current_a", name)
        if i is None:
            i = self.condition("ref_current_a", name)
        return abs(DEFAULT_IBIAS if i is None else i)

    # --- running ------------------------------------------------------------------------
    def run(self, key: str, deck_fn: Callable[[], str], analyses, save: Sequence[str] = ()):
        if key in self._cache:
            value = self._cache[key]
            if isinstance(value, Exception):
                raise value
            return value
        try:
            result = simulate(deck_fn(), analyses, save=save, timeout_s=self.timeout_s, trusted=True,
                              include_dirs=self.include_dirs, source="<judge>")
            self.runs += 1
            self.sim_seconds += result.seconds
        except ChipsmithError as exc:
            err = SimulationError(f"simulation failed: {exc.message}"[:300])
            self._cache[key] = err
            raise err from None
        self._cache[key] = result
        return result

    # --- measurements -------------------------------------------------------------------
    def op(self):
        return self.run("op", lambda: self.deck(), [Op()]).op

    def working_op(self):
        """The operating point the circuit works at: the one the gain is measured around when
        there is a signal path (a stage biased by its input is off at an arbitrary input
        level, and a power figure there would be meaningless), else the default one."""
        if self.main_input() is not None and self.main_output() is not None:
            try:
                res, _, _, _ = self.small_signal()
                if res.op is not None:
                    return res.op
            except (Unverifiable, ChipsmithError):
                pass
        return self.op()

    def power(self) -> float:
        return max(0.0, -self.working_op().currents["vsup"] * self.vdd)

    def supply_current(self) -> float:
        return max(0.0, -self.working_op().currents["vsup"])

    def sweep(self, inp: str | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Output vs the input's DC level from 0 to vdd (other inputs at their defaults)."""
        inp = inp or self.main_input()
        if inp is None:
            raise Unverifiable("the interface has no signal input")
        out = self.out_expr()
        step = self.vdd / 360

        def deck() -> str:
            return self.deck({inp: f"vsw {{n}} 0 dc {self.input_dc(inp)!r}"})
        res = self.run(f"sweep:{inp}", deck, [Dc("vsw", 0.0, self.vdd, step)], save=[_save(out)])
        return np.asarray(res.dc.x), np.real(np.asarray(res.dc.get(_save(out))))

    def operating_point(self, inp: str | None = None) -> tuple[float, float, float]:
        """(input level, output level, slope sign) where the output crosses mid-supply (or,
        when it never does, the input level of the steepest slope)."""
        x, y = self.sweep(inp)
        mid = self.vdd / 2 if "," not in self.out_expr() else 0.0
        slope = np.gradient(y, x)
        sign = np.sign(y - mid)
        cross = np.nonzero(np.diff(sign) != 0)[0]
        if cross.size:
            # the crossing with the steepest slope (a real transition, not a ripple)
            k = int(max(cross, key=lambda i: abs(slope[i])))
            t = 0.0 if y[k + 1] == y[k] else (mid - y[k]) / (y[k + 1] - y[k])
            x0 = float(x[k] + t * (x[k + 1] - x[k]))
            s = float(np.sign(slope[k] if slope[k] != 0 else slope[k + 1]))
            return x0, mid, s or 1.0
        k = int(np.argmax(np.abs(slope)))
        if abs(slope[k]) < 1e-3:
            raise Unverifiable("the output does not respond to the input over 0..vdd")
        return float(x[k]), float(y[k]), float(np.sign(slope[k]))

    def refined_point(self, inp: str | None = None) -> tuple[float, float, float]:
        """:meth:`operating_point` refined by two finer DC sweeps around the crossing, so a
        fixed input level (to about 1e-8 V) puts even a 100 dB amplifier's output mid-range."""
        inp = inp or self.main_input()
        x0, y0, sgn = self.operating_point(inp)
        out = self.out_expr()
        for k, (half, step) in enumerate(((0.01, 1e-5), (2e-5, 1e-8))):
            lo, hi = max(-0.5, x0 - half), x0 + half

            def deck() -> str:
                return self.deck({inp: f"vsw {{n}} 0 dc {x0!r}"})
            res = self.run(f"fine{k}:{inp}:{x0!r}", deck, [Dc("vsw", lo, hi, step)], save=[_save(out)])
            x = np.asarray(res.dc.x)
            y = np.real(np.asarray(res.dc.get(_save(out))))
            c = _cross_input(x, y, y0)
            if c is None:
                break
            x0 = c
        return x0, y0, sgn

    def small_signal(self, inp: str | None = None, fstop: float = 1e10):
        """AC response (out / in) around the operating point: (result, out vector, in node,
        gain sign). The input sits at the refined mid-output level; when that op still
        leaves the output at a rail, a DC servo holds it (see the module doc)."""
        inp = inp or self.main_input()
        if inp is None:
            raise Unverifiable("the interface has no signal input")
        out = self.out_expr()
        x0, y0, sgn = self.refined_point(inp)
        saves = [net(inp)] + _nodes(out)
        res = self.run(f"acfix:{inp}:{fstop}", lambda: self.deck({inp: f"vac {{n}} 0 dc {x0!r} ac 1"}),
                       [Op(), Ac(0.1, fstop, 20)], save=saves)
        if not self._settled(res.op, out, y0):
            plus, minus = tuple(_nodes(out)) if "," in out else (out, "jref")
            if sgn > 0:
                plus, minus = minus, plus
            servo = (f"vac {{n}} jdcin dc 0 ac 1\nljfb jdcin jctl 1e9\ncjfb jdcin 0 1e3\n"
                     f"ejsv jctl jc0 {plus} {minus} 100\nvjc0 jc0 0 dc {x0!r}\nvjref jref 0 dc {y0!r}")
            res2 = self.run(f"acservo:{inp}:{fstop}", lambda: self.deck({inp: servo}), [Op(), Ac(0.1, fstop, 20)],
                            save=saves)
            vin = res2.op.voltages.get(net(inp), math.nan)
            if self._settled(res2.op, out, y0) and -0.5 <= vin <= self.vdd + 0.5:
                res = res2
            else:
                raise Unverifiable(f"no operating point with the output between the rails "
                                   f"(output {self._out_v(res.op, out):.3g} V)")
        return _with_diff(res, out), "jout" if "," in out else out, net(inp), sgn

    def _out_v(self, op, out: str) -> float:
        nodes = _nodes(out)
        v = op.voltages.get(nodes[0], math.nan)
        return v - op.voltages.get(nodes[1], 0.0) if len(nodes) > 1 else v

    def _settled(self, op, out: str, target: float) -> bool:
        v = self._out_v(op, out)
        lo, hi = (0.03 * self.vdd, 0.97 * self.vdd) if "," not in out else (-0.97 * self.vdd, 0.97 * self.vdd)
        return math.isfinite(v) and lo < v < hi

    def filter_response(self, inp: str | None = None) -> tuple[np.ndarray, np.ndarray]:
        """|out/in| in dB from 0.01 Hz to 10 GHz with the input at its DC level (no servo:
        a band-pass has no DC gain to servo on)."""
        inp = inp or self.main_input()
        if inp is None:
            raise Unverifiable("the interface has no signal input")
        out = self.out_expr()
        src = f"vac {{n}} 0 dc {self.input_dc(inp)!r} ac 1"
        res = self.run(f"filter:{inp}", lambda: self.deck({inp: src}), [Ac(0.01, 1e10, 20)], save=[out])
        h = np.asarray(res.ac.get(out), dtype=complex)
        return np.asarray(res.ac.x), np.asarray(measure.db(h), dtype=float)

    def linear_coefficients(self, inputs: Sequence[str], delta: float = 0.02) -> tuple[dict[str, float], float, float]:
        """d(out)/d(in_i) by central differences at the default DC levels, the output at the
        base point and the base input levels' weighted sum."""
        out = self.out_expr()
        base = {i: self.input_dc(i) for i in inputs}
        coefs: dict[str, float] = {}
        y0 = None
        for inp in inputs:
            v0 = base[inp]
            res = self.run(f"lin:{inp}:{delta}", lambda: self.deck({inp: f"vsw {{n}} 0 dc {v0!r}"}),
                           [Dc("vsw", v0 - delta, v0 + delta, delta)], save=[_save(out)])
            y = np.real(np.asarray(res.dc.get(_save(out))))
            if len(y) < 3:
                raise Unverifiable("the DC sweep returned too few points")
            coefs[inp] = float((y[-1] - y[0]) / (2 * delta))
            y0 = float(y[len(y) // 2])
        return coefs, float(y0), float(sum(coefs[i] * base[i] for i in inputs))

    def ramp_thresholds(self, inp: str | None = None) -> tuple[float | None, float | None, float, float]:
        """Slow up/down ramp of the input (transient): the input level where the output
        crosses mid-supply going up and going down, and the output's low/high levels."""
        inp = inp or self.main_input()
        if inp is None:
            raise Unverifiable("the interface has no signal input")
        out = self.out_expr()
        t = 200e-6
        src = f"vramp {{n}} 0 pwl(0 0 {t!r} {self.vdd!r} {2 * t!r} 0)"
        res = self.run(f"ramp:{inp}", lambda: self.deck({inp: src}), [Tran(t / 2000, 2 * t)],
                       save=[_save(out), net(inp)])
        time = np.asarray(res.tran.x)
        y = np.real(np.asarray(res.tran.get(_save(out))))
        x = np.real(np.asarray(res.tran.get(net(inp))))
        mid = (float(y.max()) + float(y.min())) / 2
        up, down = time <= t, time > t
        return _cross_input(x[up], y[up], mid), _cross_input(x[down], y[down], mid), float(y.min()), float(y.max())

    def oscillation(self, f_hint: float | None = None, overrides: Mapping[str, str] | None = None,
                    tag: str = "") -> tuple[float | None, float]:
        """(frequency, amplitude) of the output in the settled second half of a transient that
        starts from zero initial conditions (the kick); frequency None when it does not
        oscillate."""
        out = self.out_expr()
        # with a hint: 100 periods (slow start-ups such as a Wien bridge need many), then the
        # generic spans from GHz rings down to audio-range RC oscillators
        spans = [(100.0 / f_hint, 1.0 / (f_hint * 40))] if f_hint else []
        spans += [sp for sp in ((2e-6, 0.5e-9), (2e-3, 0.5e-6), (0.2, 50e-6)) if not f_hint or sp[0] <= 1e4 / f_hint]
        best: tuple[float | None, float] = (None, 0.0)
        for stop, step in spans:
            key = f"osc:{tag}:{stop}"
            res = self.run(key, lambda: self.deck(overrides), [Tran(step, stop, 0.0, True)], save=[_save(out)])
            t = np.asarray(res.tran.x)
            y = np.real(np.asarray(res.tran.get(_save(out))))
            f, amp = _frequency(t, y)
            if f is not None:
                return f, amp
            best = (None, max(best[1], amp))
            if amp >= 0.05 and not f_hint:
                # it moves on this time scale but not periodically: a longer span would only
                # simulate millions of fast cycles
                break
        return best

    def rejection(self, kind: str) -> float:
        """CMRR or PSRR in dB: the differential gain over the gain from both inputs moving
        together (cmrr) or from the supply (psrr), at the lowest AC frequency, around the
        same operating point as the gain measurement."""
        res, out, innode, sgn = self.small_signal()
        a_dm = measure.dc_gain(res.ac, out, innode)
        inp = self.main_input()
        x0, y0, _ = self.refined_point(inp)
        over = {inp: f"vac {{n}} 0 dc {x0!r} ac {1 if kind == 'cmrr' else 0}"}
        diff = self.diff_inputs
        if kind == "cmrr":
            if not diff:
                raise Unverifiable("CMRR needs a differential input pair")
            over[diff[1]] = f"vacn {{n}} 0 dc {self.input_dc(diff[1])!r} ac 1"
        res2 = self.run(f"rej:{kind}", lambda: self.deck(over, supply_ac=(kind == "psrr")), [Ac(0.1, 1e3, 5)],
                        save=_nodes(out))
        nodes = _nodes(out)
        h = np.asarray(res2.ac.get(nodes[0]), dtype=complex)
        if len(nodes) > 1:
            h = h - np.asarray(res2.ac.get(nodes[1]), dtype=complex)
        a_x = max(float(abs(h[0])), 1e-30)
        return float(20 * math.log10(a_dm / a_x))

    def output_resistance(self, current_output: bool) -> float:
        """Small-signal resistance seen at the output (ohm): a 1 A AC current into the
        output node. A current output (mirror, current source) is held at vdd/2 through a
        huge inductor (a DC short, open at the test frequency); a voltage output sits at
        the gain measurement's operating point."""
        out = self.main_output()
        if out is None:
            raise Unverifiable("no output port")
        n = net(out)
        if current_output:
            over = {out: f"ljh {{n}} jhold 1e9\nvjhold jhold 0 dc {self.vdd / 2!r}\nijac 0 {{n}} dc 0 ac 1"}
        else:
            inp = self.main_input()
            if inp is None:
                raise Unverifiable("no input to set the operating point")
            x0, _, _ = self.refined_point(inp)
            over = {inp: f"vjin {{n}} 0 dc {x0!r}", out: "ijac 0 {n} dc 0 ac 1"}
        res = self.run(f"rout:{current_output}", lambda: self.deck(over), [Ac(1.0, 10.0, 1)], save=[n])
        return float(abs(np.asarray(res.ac.get(n), dtype=complex)[0]))

    def input_resistance(self) -> float:
        """Small-signal resistance seen at the main input (ohm): 1 V AC on the input at its
        working DC level, over the AC current the source delivers."""
        inp = self.main_input()
        if inp is None:
            raise Unverifiable("no signal input")
        try:
            x0, _, _ = self.refined_point(inp)
        except Unverifiable:
            x0 = self.input_dc(inp)
        res = self.run("rin", lambda: self.deck({inp: f"vjrin {{n}} 0 dc {x0!r} ac 1"}), [Ac(1.0, 10.0, 1)],
                       save=["i(vjrin)"])
        i = abs(np.asarray(res.ac.get("i(vjrin)"), dtype=complex)[0])
        return float(1.0 / i) if i > 0 else math.inf

    def _step_response(self) -> tuple[np.ndarray, np.ndarray]:
        """Output for an input stepping 0.35 -> 0.65 vdd at 2 us and back at 4 us (an op-amp
        with differential inputs is wired by the bench as a unity-gain follower)."""
        inp = self.main_input()
        out = self.out_expr()
        if inp is None or "," in out:
            raise Unverifiable("a step response needs a signal input and a single-ended output")
        lo, hi, t_step = 0.35 * self.vdd, 0.65 * self.vdd, 2e-6
        over = {inp: f"vjs {{n}} 0 pulse({lo!r} {hi!r} {t_step!r} 1e-10 1e-10 {t_step!r} {2 * t_step!r})"}
        diff = self.diff_inputs
        if diff:
            over[diff[1]] = f"rjfb {{n}} {out} 1"
        res = self.run("step", lambda: self.deck(over), [Tran(2e-10, 2 * t_step + 1.9e-6)], save=[_save(out)])
        return np.asarray(res.tran.x), np.real(np.asarray(res.tran.get(_save(out))))

    def settling(self, band: float = 0.01) -> float:
        """Time after the rising input step until the output stays within ``band`` (of the
        step) of its final value (the value just before the falling step)."""
        t, y = self._step_response()
        t_step = 2e-6
        keep = (t >= t_step) & (t <= 2 * t_step)
        tt, yy = t[keep], y[keep]
        final, start = float(yy[-1]), float(yy[0])
        if abs(final - start) < 0.05 * self.vdd:
            raise Unverifiable("the output does not follow a step at the input")
        outside = np.nonzero(np.abs(yy - final) > band * abs(final - start))[0]
        if outside.size == 0:
            return 0.0
        k = int(outside[-1])
        if k >= len(tt) - 2:
            raise Unverifiable("the output has not settled within 2 us")
        return float(tt[k + 1] - t_step)

    def slew(self) -> float:
        """Slew rate (V/s) of a large step at the input: an op-amp (differential inputs) is
        wired as a unity-gain follower by the bench; any other circuit is stepped as it is.
        The 20%..80% transition; the slower of the rising and falling edges."""
        lo, hi = 0.35 * self.vdd, 0.65 * self.vdd
        t_step = 2e-6
        t, y = self._step_response()
        rates = []
        for t0, t1 in ((t_step, 2 * t_step), (2 * t_step, 2 * t_step + 1.9e-6)):
            keep = (t >= t0) & (t <= t1)
            tt, yy = t[keep], y[keep]
            if tt.size < 5:
                continue
            a, b = float(yy[0]), float(yy[-1])
            if abs(b - a) < 0.1 * (hi - lo):
                continue
            l20, l80 = a + 0.2 * (b - a), a + 0.8 * (b - a)
            k20 = np.nonzero((yy - l20) * np.sign(b - a) >= 0)[0]
            k80 = np.nonzero((yy - l80) * np.sign(b - a) >= 0)[0]
            if k20.size and k80.size and tt[k80[0]] > tt[k20[0]]:
                rates.append(abs(l80 - l20) / (tt[k80[0]] - tt[k20[0]]))
        if not rates:
            raise Unverifiable("the output does not follow a step at the input")
        return float(min(rates))

    def op_at(self, vdd: float | None = None, temp: float | None = None, overrides: Mapping[str, str] | None = None,
              tag: str = ""):
        key = f"op:{vdd}:{temp}:{tag}"
        return self.run(key, lambda: self.deck(overrides, vdd=vdd, temp=temp), [Op()]).op

    def node_v(self, op, name: str) -> float:
        expr = self.out_expr(name)
        if "," in expr:
            a, b = expr[2:-1].split(",")
            return op.voltages.get(a, 0.0) - op.voltages.get(b, 0.0)
        return op.voltages.get(expr, math.nan)


def net(port: str) -> str:
    return f"jn_{port.lower()}"


def _nodes(expr: str) -> list[str]:
    """Node names of an output expression: ``n`` or ``v(a,b)``."""
    if expr.startswith("v(") and "," in expr:
        return expr[2:-1].split(",")
    return [expr]


def _with_diff(res, out: str):
    """The result with a ``jout`` AC vector = v(a) - v(b) for a differential output."""
    if "," not in out:
        return res
    from dataclasses import replace as _replace

    from chipsmith.spice.results import Waveform as _W

    a, b = _nodes(out)
    vec = dict(res.ac.vectors)
    vec["v(jout)"] = np.asarray(res.ac.get(a)) - np.asarray(res.ac.get(b))
    return _replace(res, ac=_W(res.ac.x_name, res.ac.x, vec))


def _save(expr: str) -> str:
    return expr if expr.startswith("v(") else f"v({expr})"


def _cross_input(x: np.ndarray, y: np.ndarray, level: float) -> float | None:
    s = np.sign(y - level)
    idx = np.nonzero(np.diff(s) != 0)[0]
    if idx.size == 0:
        return None
    k = int(idx[0])
    t = 0.0 if y[k + 1] == y[k] else (level - y[k]) / (y[k + 1] - y[k])
    return float(x[k] + t * (x[k + 1] - x[k]))


def _frequency(t: np.ndarray, y: np.ndarray) -> tuple[float | None, float]:
    half = t >= t[-1] / 2
    t, y = t[half], y[half]
    if y.size < 20:
        return None, 0.0
    amp = float(y.max() - y.min()) / 2
    if amp < 0.05:
        return None, amp
    mean = (float(y.max()) + float(y.min())) / 2
    s = y >= mean
    rising = np.nonzero(~s[:-1] & s[1:])[0]
    if rising.size < 4:
        return None, amp
    times = []
    for k in rising:
        frac = (mean - y[k]) / (y[k + 1] - y[k]) if y[k + 1] != y[k] else 0.0
        times.append(t[k] + frac * (t[k + 1] - t[k]))
    periods = np.diff(times)
    if periods.mean() <= 0 or periods.std() / periods.mean() > 0.25:
        return None, amp
    return float(1.0 / periods.mean()), amp


__all__ = ["Harness", "Unverifiable", "net", "DEFAULT_VDD"]
