"""Judge checks for differential amplifiers: each output's sign, DM vs CM gain, counts by role.

- :func:`output_problems`: for a circuit with a differential input pair, every output
  port is measured alone around the judge's operating point (the one the gain is
  measured at): a ``diff_out_p`` output must rise with ``diff_in_p - diff_in_n``
  (positive gain from the + input), a ``diff_out_n`` output must fall, and at every
  output the differential-mode gain must exceed the common-mode gain (both inputs
  driven together), as textbook and external benches require of a differential stage.
- :func:`role_devices` / :func:`check_role_count`: ``device_count`` with a ``role``
  ("4 nmos as cascode input pair", "4 pmos as cascode loads", "1 tail current"): the
  devices are found on the netlist graph: the input pair (gates on the input ports) and
  the same-polarity cascodes stacked on it; the loads (devices whose channel links an
  output, or a node of a stack above/below it, to a rail, excluding the input stack);
  the tail (the source under the input pair).

It reads only the netlist graph and the port roles (never the agent's metadata).
"""
from __future__ import annotations

import math

import numpy as np

from chipsmith.spice import measure
from chipsmith.spice.judge_bench import Unverifiable, net
from chipsmith.spice.requirements import PortRole
from chipsmith.spice.runner import Ac, Op


def _input_pairs(s):
    ins = set(s.inputs)
    return [p for p in s.diff_pairs() if {p[0].pins["g"], p[1].pins["g"]} <= ins]


def role_devices(s, role: str) -> list:
    """Devices playing ``role`` (input_pair, load, tail) in structure ``s``."""
    pairs = _input_pairs(s)
    stack = [d for p in pairs for d in p]
    grow = True
    while grow:  # cascodes stacked on the pair (same polarity, source on a stacked device's drain)
        grow = False
        for lower, upper in s.cascode_pairs():
            if lower in stack and upper not in stack:
                stack.append(upper)
                grow = True
    if role == "input_pair":
        return stack
    if role == "tail":
        tails = {a.pins["s"] for a, _ in pairs}
        return [d for d in s.mos() if d.pins["d"] in tails and d not in stack]
    # loads: from each output net up (or down) through channels to a rail, skipping the input stack
    found: list = []
    todo = list(s.outputs)
    seen = set(todo)
    while todo:
        node = todo.pop()
        for d in s.mos():
            if d in stack or d in found:
                continue
            if d.pins["d"] == node or (d.pins["s"] == node and node not in s.outputs):
                found.append(d)
                other = d.pins["s"] if d.pins["d"] == node else d.pins["d"]
                if other not in s.rails and other not in seen:
                    seen.add(other)
                    todo.append(other)
    # a load's gate is a bias or a mirror's diode, never a node the input stack drives (that is a gain device)
    driven = {d.pins["d"] for d in stack} - s.diode_nets()
    found = [d for d in found if d.pins["g"] not in driven and d.pins["g"] not in s.outputs]
    # the diode of a mirror load is part of the load
    for d in s.diode_devices():
        if d not in found and d not in stack and any(f.pins["g"] == d.pins["g"] for f in found):
            found.append(d)
    return found


def check_role_count(ctx, r):
    device, role = r.params["device"], r.params["role"]
    devs = role_devices(ctx.s, role)
    if device not in ("mosfet", "transistor"):
        devs = [d for d in devs if d.label == device]
    n = len(devs)
    lo, hi = r.params.get("min"), r.params.get("max")
    ok = (lo is None or n >= lo) and (hi is None or n <= hi)
    names = ", ".join(sorted(d.name for d in devs)) or "none"
    return ok, float(n), f"{n} {device} as {role.replace('_', ' ')} ({names})"


def output_problems(ctx) -> tuple[list[str], list[str]]:
    """(problems, facts) on every output's sign and on DM vs CM gain (see module doc)."""
    h = ctx.h
    diff = h.diff_inputs
    if not diff:
        return [], []
    outs = [(p.name, p.role) for p in h.interface.ports
            if p.role in (PortRole.OUT, PortRole.DIFF_OUT_P, PortRole.DIFF_OUT_N)]
    if not outs:
        return [], []
    problems, facts = [], []
    res, _, inp_node, sgn = h.small_signal()
    inp, inn = diff
    x0, y0, _ = h.refined_point(inp)
    vinn = f"vacn {{n}} 0 dc {h.input_dc(inn)!r} ac 1"
    saves = [net(o) for o, _ in outs]
    cm = h.run(f"cm:{inp}:{x0!r}", lambda: h.deck({inp: f"vac {{n}} 0 dc {x0!r} ac 1", inn: vinn}),
               [Op(), Ac(0.1, 1e3, 5)], save=saves)
    expr = h.out_expr()
    if not _inside(h, cm.op.voltages.get(net(outs[0][0]), math.nan)):
        # the gain bench needed its DC servo to hold the output mid-range: hold it the same way
        plus, minus = (expr[2:-1].split(",") if "," in expr else (expr, "jref"))
        if sgn > 0:
            plus, minus = minus, plus
        servo = (f"vac {{n}} jdcin dc 0 ac 1\nljfb jdcin jctl 1e9\ncjfb jdcin 0 1e3\n"
                 f"ejsv jctl jc0 {plus} {minus} 100\nvjc0 jc0 0 dc {x0!r}\nvjref jref 0 dc {y0!r}")
        cm = h.run(f"cmservo:{inp}:{x0!r}", lambda: h.deck({inp: servo, inn: vinn}), [Op(), Ac(0.1, 1e3, 5)],
                   save=saves)
    for name, role in outs:
        node = net(name)
        try:
            g = measure.dc_gain_signed(res.ac, node, inp_node)
        except (KeyError, ValueError, IndexError) as exc:
            raise Unverifiable(f"output {name} was not measured: {exc}") from None
        v = cm.op.voltages.get(node, math.nan)
        if not _inside(h, v):
            problems.append(f"output {name} sits at {v:.3g} V with both inputs at the operating point")
        a_cm = float(abs(np.asarray(cm.ac.get(node), dtype=complex)[0]))
        facts.append(f"{name}: gain {g:.3g} V/V from {inp}, common-mode gain {a_cm:.3g}")
        if role is PortRole.DIFF_OUT_P and not g > 0:
            problems.append(f"{name} (diff_out_p) does not rise with {inp} - {inn}")
        if role is PortRole.DIFF_OUT_N and not g < 0:
            problems.append(f"{name} (diff_out_n) does not fall with {inp} - {inn}")
        if not abs(g) > a_cm:
            problems.append(f"at {name} the common-mode gain ({a_cm:.3g}) is not below the differential gain "
                            f"({abs(g):.3g})")
    return problems, facts


def bias_port_problems(ctx, step: float = 0.05) -> tuple[list[str], list[str]]:
    """Every voltage bias / reference port must do something: moving it by ``step`` volts (at the
    operating point the gain is measured at) moves a node some transistor sits on, or the
    supply current. A port wired to nothing, or only to resistors that reach no transistor,
    moves nothing."""
    h = ctx.h
    ports = [p.name for p in h.interface.by_role(PortRole.BIAS_V, PortRole.REFERENCE)]
    if not ports:
        return [], []
    inp = h.main_input()
    base: dict[str, str] = {}
    if inp is not None and h.main_output() is not None:
        try:
            x0, _, _ = h.refined_point(inp)
            base[inp] = f"vjin {{n}} 0 dc {x0!r}"
        except Exception:  # noqa: BLE001 - without a crossing the default input level serves
            pass
    op0 = h.op_at(overrides=base, tag="bias_base")
    # only nodes a transistor sits on count: a divider or resistor to nowhere moves nothing that matters
    mos_nets = {n for d in ctx.s.mos() for n in d.pins.values()}
    problems, facts = [], []
    for name in ports:
        level = None
        for line in h._default_source(name, h.interface.role_of(name), net(name), h.vdd):
            level = float(line.split()[-1])
        if level is None:
            continue
        op1 = h.op_at(overrides={**base, name: f"vjbias {{n}} 0 dc {level + step!r}"}, tag=f"bias:{name}")
        moved = max((abs(v - op0.voltages.get(k, v)) for k, v in op1.voltages.items()
                     if _design_net(k) in mos_nets and _design_net(k) != name.lower()), default=0.0)
        di = abs(op1.currents.get("vsup", 0.0) - op0.currents.get("vsup", 0.0))
        i0 = abs(op0.currents.get("vsup", 0.0)) or 1e-12
        facts.append(f"{name} +{step * 1e3:.0f} mV moves nodes by up to {moved * 1e3:.3g} mV")
        if moved < 1e-3 and di < 1e-3 * i0:
            problems.append(f"bias port {name} does nothing (moving it changes no node and no supply current)")
    return problems, facts


def _design_net(key: str) -> str:
    """A harness vector name -> the design's net name (lower case): ``xdut.n1`` -> ``n1``, ``jn_vb`` -> ``vb``."""
    key = key.lower()
    if key.startswith("xdut."):
        return key[5:]
    if key.startswith("jn_"):
        return key[3:]
    return "\0" + key


def _inside(h, v: float) -> bool:
    return math.isfinite(v) and 0.03 * h.vdd < v < 0.97 * h.vdd


def check_bias_port(ctx, r):
    """``bias_port``: the port reaches, through resistors only, the gate of a device playing
    the named part (tail source, load, or an upper device of a cascode pair)."""
    s = ctx.s
    port, drives, pol = r.params["port"].lower(), r.params["drives"], r.params.get("device")
    if drives == "cascode":
        devs = [upper for _, upper in s.cascode_pairs(pol)]
    else:
        devs = [d for d in role_devices(s, drives) if pol is None or d.label == pol]
    reach = s.passive_reach(port) | {port}
    hit = sorted(d.name for d in devs if d.pins["g"] in reach)
    what = f"{pol + ' ' if pol else ''}{drives}"
    if hit:
        return True, None, f"{r.params['port']} biases the {what} ({', '.join(hit)})"
    return False, None, (f"{r.params['port']} reaches no gate of the {what} devices "
                         f"({', '.join(sorted(d.name for d in devs)) or 'none found'})")
