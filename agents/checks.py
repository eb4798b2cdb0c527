"""The proofreading checks every round runs, in order, each a typed :class:`CheckResult`.

parse -> safety -> ERC -> structure (subckt ``design`` with the requested ports in order,
required blocks, stage count, compensation, block budget) -> ngspice operating point
(convergence, every transistor in its intended region) -> functional test for the
circuit type -> stated targets. A failure stops the chain; the rest are reported as
skipped. Untrusted text (an LLM's answer) never reaches ngspice unless the safety policy
passed it, and the testbench around it is always generated here.
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass, replace
from typing import Any, Mapping, Sequence

import numpy as np

from chipsmith.agents.circuit import Design, Port, model_cards, models_text
from chipsmith.agents.functional import Testbench, target_checks, testbench
from chipsmith.agents.kinds import get_kind
from chipsmith.agents.planner import I0, LN0, WN0, diode_vgs
from chipsmith.agents.spec import Spec
from chipsmith.agents.verdict import STAGES, CheckResult
from chipsmith.errors import ChipsmithError, NetlistError, UnsafeNetlistError
from chipsmith.spice.netlist import Element, Subckt
from chipsmith.spice.runner import Op, SimResult, simulate

ANALOG_FAMILIES = ("amplifier", "opamp", "opamp_app", "mirror")


@dataclass(frozen=True)
class Proof:
    """Everything one proofreading round produced."""

    results: tuple[CheckResult, ...]
    design: Design | None = None
    testbench: Testbench | None = None
    sim: SimResult | None = None
    simulations: int = 0
    seconds: float = 0.0
    blocks: tuple[str, ...] = ()
    verdict: Any = None  # the judge's Verdict (chipsmith.spice.judge) when it ran

    @property
    def passed(self) -> bool:
        return bool(self.results) and all(r.passed for r in self.results)

    def figures(self) -> dict[str, float]:
        out: dict[str, float] = {}
        for r in self.results:
            out.update({k: v for k, v in r.figures.items()})
        return out

    def score(self) -> tuple[int, int]:
        """How far the design got (checks passed in order), for picking the best attempt."""
        passed = 0
        for r in self.results:
            if not r.passed:
                break
            passed += 1
        return passed, sum(r.passed for r in self.results)


# --- default ports (for netlists that did not come with a Design) ----------------------------------

def default_ports(spec: Spec) -> tuple[Port, ...]:
    """Ports with kinds and DC conditions from the spec alone (used for LLM netlists)."""
    kind = get_kind(spec.kind)
    fam = kind.family
    vdd = spec.vdd
    ports: list[Port] = []
    for name in spec.inputs:
        if fam == "mirror":
            ports.append(Port(name, "current_in", spec.bias_value(name) or I0, "A"))
        elif fam == "logic":
            ports.append(Port(name, "voltage_in", 0.0, "V"))
        elif kind.name == "source_follower":
            ports.append(Port(name, "voltage_in", 0.75 * vdd, "V"))
        elif kind.name in ("cs_amp", "cascode_amp"):
            ports.append(Port(name, "voltage_in", 0.4 * vdd, "V"))
        else:
            ports.append(Port(name, "voltage_in", vdd / 2, "V"))
    for name in spec.outputs:
        if fam == "mirror":
            ports.append(Port(name, "current_out", I0, "A"))
        else:
            ports.append(Port(name, "voltage_out", vdd / 2, "V"))
    for name in spec.bias:
        given = spec.bias_value(name)
        if name.startswith("i"):
            ports.append(Port(name, "bias", given or I0, "A"))
        elif fam == "opamp_app":
            ports.append(Port(name, "bias", given or vdd / 2, "V"))
        else:
            ports.append(Port(name, "bias", given or round(diode_vgs(I0, WN0, LN0, spec.model_file), 4), "V"))
    ports += [Port("vdd", "supply", vdd), Port("gnd", "ground", 0.0)]
    return tuple(ports)


# --- turning netlist text into a Design --------------------------------------------------------------

_FENCE = re.compile(r"```[a-zA-Z]*\n(.*?)```", re.DOTALL)


def extract_netlist(answer: str) -> str | None:
    """The netlist in an LLM answer: the fenced block holding ``.subckt design``, else the
    span from ``.subckt design`` to ``.ends``; ``None`` when there is none."""
    for block in _FENCE.findall(answer or ""):
        if re.search(r"^\s*\.subckt\s+design\b", block, re.IGNORECASE | re.MULTILINE):
            return block
    match = re.search(r"^\s*\.subckt\s+design\b.*?^\s*\.ends\b[^\n]*", answer or "",
                      re.IGNORECASE | re.MULTILINE | re.DOTALL)
    return match.group(0) if match else None


def _with_title(text: str) -> str:
    """SPICE's first line is a title: make sure it is a comment, not the subckt card."""
    return text if text.lstrip().startswith("*") else "* candidate design\n" + text


def design_from_netlist(text: str, spec: Spec, sub: Subckt, *, kind_blocks: Sequence[str] = ()) -> Design:
    """A :class:`Design` around a parsed ``.subckt design``: its body, the model cards it
    uses (its own, else the generic ones) and every other subckt of the text as support."""
    lines = _with_title(text).splitlines()
    start = sub.line - 1
    end = next((i for i in range(start + 1, len(lines))
                if re.match(r"^\s*\.ends\b", lines[i], re.IGNORECASE)), len(lines))
    body_lines = [ln for ln in lines[start + 1:end]]
    body = "\n".join(ln for ln in body_lines if not re.match(r"^\s*\.model\b", ln, re.IGNORECASE)
                     and not (ln.lstrip().startswith("+") and _in_model(body_lines, ln)))
    cards = dict(model_cards(models_text(spec.model_file, diode=True)))
    cards.update(model_cards(text))
    used = {e.model for e in sub.elements if e.model}
    models = "\n".join(card for name, card in cards.items() if name in used)
    support, inside = [], False
    for i, ln in enumerate(lines):
        if start <= i <= end:
            continue
        if re.match(r"^\s*\.subckt\b", ln, re.IGNORECASE):
            inside = True
        if inside:
            support.append(ln)
        if re.match(r"^\s*\.ends\b", ln, re.IGNORECASE):
            inside = False
    return Design(kind=spec.kind, ports=default_ports(spec), body=body + "\n", models=models,
                  blocks=tuple(kind_blocks), vdd=spec.vdd, variant="netlist",
                  support="\n".join(support) + ("\n" if support else ""))


_X_LINE = re.compile(r"^\s*x\S*\s+(.*)$", re.IGNORECASE)


def complete_with_library(text: str, model_file: str | None = None) -> tuple[str, tuple[str, ...]]:
    """Append the definitions of library blocks that ``text`` instantiates but does not define.

    An LLM may write ``X1 a b c diff_pair_n w=4u`` (or the ``design_`` names the expert
    uses); the block's subckt is added under the name it used, with the model cards
    inside. Returns the completed text and the library blocks added.
    """
    from chipsmith.agents.circuit import library

    try:
        lib = library()
    except ChipsmithError:
        return text, ()
    defined = {m.lower() for m in re.findall(r"^\s*\.subckt\s+(\S+)", text, re.IGNORECASE | re.MULTILINE)}
    added: list[str] = []
    extra = []
    for line in text.splitlines():
        match = _X_LINE.match(line)
        if not match:
            continue
        tokens = [t for t in match.group(1).split() if "=" not in t and t.lower() != "params:"]
        if not tokens:
            continue
        used = tokens[-1].lower()
        name = used[len("design_"):] if used.startswith("design_") else used
        if used in defined or name not in lib:
            continue
        block = lib.get(name)
        body = block.subckt_text.rstrip().splitlines()
        out = []
        for ln in body:
            low = ln.strip().lower()
            if low.startswith(".subckt"):
                tokens2 = ln.split()
                tokens2[1] = used
                ln = " ".join(tokens2)
            elif low.startswith(".ends"):
                own = model_cards(block.subckt_text)
                for key, card in model_cards(models_text(model_file)).items():
                    if key not in own and re.search(rf"\b{key}\b", block.subckt_text, re.IGNORECASE):
                        out.append(card)
                ln = f".ends {used}"
            out.append(ln)
        extra.append("\n".join(out))
        defined.add(used)
        added.append(block.name)
    if not extra:
        return text, ()
    return text.rstrip() + "\n" + "\n".join(extra) + "\n", tuple(added)


def _in_model(lines: list[str], target: str) -> bool:
    current = False
    for ln in lines:
        if re.match(r"^\s*\.model\b", ln, re.IGNORECASE):
            current = True
        elif not ln.lstrip().startswith("+"):
            current = False
        if ln is target:
            return current
    return False


# --- structural recognition ------------------------------------------------------------------------

def _polarity(e: Element, sub: Subckt) -> str:
    model = (e.model or "").lower()
    m = sub.models.get(model)
    if m is not None and m.type in ("nmos", "pmos"):
        return m.type
    return "pmos" if model.startswith("p") else "nmos"


def flatten(sub: Subckt, subckts: Mapping[str, Subckt], prefix: str = "", depth: int = 0) -> list[Element]:
    """The primitive elements of ``sub`` with X instances expanded (nets of the instance
    renamed ``<inst>.<net>``, ports mapped to the outer nets)."""
    out: list[Element] = []
    for e in sub.elements:
        if e.kind != "X":
            out.append(e)
            continue
        inner = subckts.get((e.model or "").lower())
        if inner is None or depth > 8:
            continue
        mapping = dict(zip(inner.ports, e.nodes))
        for f in flatten(inner, subckts, f"{e.name}.", depth + 1):
            nodes = tuple(n if n in ("0", "gnd") and n not in mapping else mapping.get(n, f"{e.name}.{n}")
                          for n in f.nodes)
            out.append(replace(f, name=f"{e.name}.{f.name}", nodes=nodes))
    return out


def recognize_blocks(sub: Subckt, inputs: Sequence[str], outputs: Sequence[str],
                     subckts: Mapping[str, Subckt] | None = None) -> tuple[set[str], int]:
    """Functional blocks found in the transistor netlist and the number of gain stages.

    Names: ``<pol>_diff_pair``, ``<pol>_current_mirror``, ``<pol>_mirror_load``,
    ``miller_compensation``, ``cs_stage`` (each also without the polarity prefix).
    X instances are flattened first, so library blocks are seen through.
    """
    elements = flatten(sub, subckts or {})
    sub = replace(sub, elements=tuple(elements))
    mos = [e for e in sub.elements if e.kind == "M" and len(e.nodes) >= 4]
    found: set[str] = set()
    supplies = {"vdd", "gnd", "0"}
    diode_nets = {e.nodes[0] for e in mos if e.nodes[0] == e.nodes[1]}
    pair_drains: set[str] = set()
    ins = set(inputs)
    for i, a in enumerate(mos):
        for b in mos[i + 1:]:
            pa, pb = _polarity(a, sub), _polarity(b, sub)
            if pa != pb:
                continue
            if a.nodes[2] == b.nodes[2] and a.nodes[2] not in supplies and a.nodes[1] != b.nodes[1] \
                    and a.nodes[1] not in diode_nets and b.nodes[1] not in diode_nets:
                found.update({f"{pa}_diff_pair", "diff_pair"})
                pair_drains.update({a.nodes[0], b.nodes[0]})
            if a.nodes[1] == b.nodes[1] and a.nodes[2] == b.nodes[2] and a.nodes[1] in diode_nets:
                found.update({f"{pa}_current_mirror", "current_mirror"})
    for a in mos:
        for b in mos:
            if a is not b and a.nodes[1] == b.nodes[1] and a.nodes[0] == a.nodes[1] and a.nodes[2] == b.nodes[2] \
                    and a.nodes[0] in pair_drains and b.nodes[0] in pair_drains:
                pol = _polarity(a, sub)
                found.update({f"{pol}_mirror_load", "mirror_load"})
    outs = set(outputs)
    stages = 1
    for e in mos:
        # a second stage is driven by a first-stage output; the output half of a mirror load
        # (gate on the diode net, drain on a pair drain) belongs to the first stage
        if e.nodes[0] in outs and e.nodes[1] in pair_drains and e.nodes[1] not in ins \
                and e.nodes[1] not in diode_nets and e.nodes[0] not in pair_drains:
            stages = 2
            found.update({f"{_polarity(e, sub)}_cs_stage", "cs_stage"})
    # Miller: a capacitor (possibly through one resistor) from an output to a first-stage node
    nets_r = {}
    for e in sub.elements:
        if e.kind == "R":
            nets_r.setdefault(e.nodes[0], set()).add(e.nodes[1])
            nets_r.setdefault(e.nodes[1], set()).add(e.nodes[0])
    for e in sub.elements:
        if e.kind != "C":
            continue
        a, b = e.nodes
        for x, y in ((a, b), (b, a)):
            if y in outs:
                reach = {x} | nets_r.get(x, set())
                if reach & pair_drains:
                    found.add("miller_compensation")
                    if x not in pair_drains:
                        found.add("miller_rz")
    return found, stages


# --- the chain ---------------------------------------------------------------------------------------

def _skipped(after: str) -> list[CheckResult]:
    names = list(STAGES[STAGES.index(after) + 1:])
    return [CheckResult(n, False, "skipped (an earlier check failed)", skipped=True) for n in names]


def _parse(text: str):
    from chipsmith.spice.parser import parse_netlist

    return parse_netlist(_with_title(text), "design.cir", allowed_include_dirs=())


def static_checks(text: str, spec: Spec) -> tuple[list[CheckResult], Subckt | None, set[str], int]:
    """parse, safety, ERC and structure on netlist text; no simulation."""
    from chipsmith.spice.erc import ERROR, run_erc
    from chipsmith.spice.safety import check_safe

    results: list[CheckResult] = []
    titled = _with_title(text)
    try:
        netlist = _parse(text)
        parse_error = None
    except NetlistError as exc:
        netlist, parse_error = None, exc
    try:
        check_safe(titled, "design.cir")
        unsafe = None
    except UnsafeNetlistError as exc:
        unsafe = exc
    except ChipsmithError as exc:
        unsafe = exc
    if unsafe is not None:
        results.append(CheckResult("parse", parse_error is None,
                                   parse_error.one_line() if parse_error else "parsed"))
        results.append(CheckResult("safety", False, f"refused by the safety policy: {unsafe.one_line()}"))
        return results + _skipped("safety"), None, set(), 0
    if parse_error is not None:
        results.append(CheckResult("parse", False, parse_error.one_line()))
        return results + _skipped("parse"), None, set(), 0
    results.append(CheckResult("parse", True, f"{sum(len(s.elements) for s in netlist.subckts.values())} elements"))
    results.append(CheckResult("safety", True, "only whitelisted cards"))
    sub = netlist.subckt("design")
    if sub is None:
        results.append(CheckResult("erc", False, "there is no `.subckt design` in the netlist"))
        return results + _skipped("erc"), None, set(), 0
    models = model_cards(models_text(spec.model_file, diode=True))
    known = set(models) | set(sub.models)
    findings = run_erc(netlist, known_models=sorted(known), known_subckts=sorted(netlist.subckts))
    errors = [f for f in findings if f.severity == ERROR]
    if errors:
        text_errors = "; ".join(f"{f.code}: {f.message}" + (f" ({f.where})" if f.where else "")
                                for f in errors[:6])
        results.append(CheckResult("erc", False, text_errors, {"erc_errors": len(errors)}))
        return results + _skipped("erc"), sub, set(), 0
    warnings = [f for f in findings if f.severity != ERROR]
    results.append(CheckResult("erc", True, f"no errors, {len(warnings)} warning(s)"
                               + (": " + "; ".join(f.message for f in warnings[:3]) if warnings else "")))
    blocks, stages = recognize_blocks(sub, spec.inputs, spec.outputs, netlist.subckts)
    return results, sub, blocks, stages


def port_order(spec: Spec) -> tuple[str, ...]:
    """The ``.subckt design`` port order: the designer's interface order when the spec came
    from a request (the kind generators group inputs, outputs, bias), else that grouping."""
    grouped = (*spec.inputs, *spec.outputs, *spec.bias, "vdd", "gnd")
    if spec.request is None:
        return grouped
    by_lower = {n.lower(): n for n in grouped}
    wanted = tuple(p.name.lower() for p in spec.request.interface.ports)
    if set(wanted) != set(by_lower):
        return grouped
    return tuple(by_lower[n] for n in wanted)


def in_port_order(design: Design, spec: Spec) -> Design:
    """``design`` with its ports listed in :func:`port_order` (the body is unchanged)."""
    order = [n.lower() for n in port_order(spec)]
    if [p.name.lower() for p in design.ports] == order or {p.name.lower() for p in design.ports} != set(order):
        return design
    by = {p.name.lower(): p for p in design.ports}
    return replace(design, ports=tuple(by[n] for n in order))


def structure_check(spec: Spec, sub: Subckt, blocks: set[str], stages: int,
                    declared: Sequence[str] = ()) -> CheckResult:
    want = port_order(spec)
    problems = []
    if tuple(sub.ports) != tuple(want):
        problems.append(f"the subckt ports are `{' '.join(sub.ports)}`, they must be exactly "
                        f"`{' '.join(want)}` in this order")
    have = set(blocks) | set(declared)
    missing = [b for b in spec.required_blocks if b.lower() not in have]
    if missing:
        problems.append(f"required block(s) missing: {', '.join(missing)} (found: {', '.join(sorted(have)) or 'none'})")
    fam = get_kind(spec.kind).family
    if spec.stages and fam == "opamp" and stages != spec.stages:
        problems.append(f"{stages} gain stage(s) found, the spec asks for {spec.stages}")
    if spec.compensation in ("miller", "miller_rz") and fam == "opamp" and "miller_compensation" not in have:
        problems.append("no Miller compensation capacitor between the second-stage output and the first-stage "
                        "output was found")
    if spec.compensation == "miller_rz" and fam == "opamp" and "miller_rz" not in have \
            and "miller_compensation" in have and not declared:
        problems.append("the Miller capacitor has no nulling resistor in series")
    n_blocks = len(declared) if declared else len({b for b in blocks if "_" in b})
    if spec.max_blocks is not None and n_blocks > spec.max_blocks:
        problems.append(f"{n_blocks} blocks used, at most {spec.max_blocks} allowed")
    figs = {"stages": float(stages), "blocks": float(n_blocks)}
    if problems:
        return CheckResult("structure", False, "; ".join(problems), figs)
    return CheckResult("structure", True, f"ports in order, {stages} stage(s), blocks: "
                       + ", ".join(sorted(have)), figs)


def _op_check(design: Design, sim: SimResult, spec: Spec) -> CheckResult:
    fam = get_kind(design.kind).family
    wrong = []
    regions = {}
    for name, dev in sim.op.devices.items():
        if not name.startswith("m.x1."):
            continue
        local = name[len("m.x1."):]
        regions[local] = dev.region
        intended = design.regions.get(local)
        if intended is None:
            intended = "saturation" if (fam in ANALOG_FAMILIES and not design.regions) else "any"
        if intended == "saturation" and dev.region != "saturation":
            wrong.append(f"{local} is in {dev.region} (vgs={dev.vgs:.3f} V, vds={dev.vds:.3f} V, "
                         f"vdsat={dev.vdsat:.3f} V), it should be in saturation")
        elif intended == "off" and dev.region not in ("cutoff", "subthreshold"):
            wrong.append(f"{local} conducts ({dev.region}) but should be off")
    figs = {"devices": float(len(regions)),
            "saturated": float(sum(r == "saturation" for r in regions.values()))}
    if wrong:
        return CheckResult("op", False, "operating point converged but " + "; ".join(wrong[:4]), figs)
    return CheckResult("op", True, f"converged; {int(figs['saturated'])}/{len(regions)} transistors in "
                                   "saturation", figs)


def _run(design: Design, spec: Spec) -> tuple[Testbench, SimResult]:
    tb = testbench(design, spec)
    deck = tb.deck(design.subckt_text())
    # the candidate already passed the safety policy; the rest of the deck is ours
    return tb, simulate(deck, tb.analyses, save=tb.save, trusted=True, timeout_s=30.0)


def _temperature_check(design: Design, tb: Testbench, spec: Spec, limit_ppm: float = 100.0) -> CheckResult:
    """References: the output across ``tb.temps`` (one op run per temperature)."""
    out = design.ports_of("voltage_out", "current_out")[0]
    values = []
    for temp in tb.temps:
        deck = tb.deck(design.subckt_text()) + f".temp {temp:g}\n"
        values.append(simulate(deck, [Op()], trusted=True, timeout_s=30.0).op.v(f"{out.name}_1"))
    v = np.asarray(values)
    span = float(tb.temps[-1] - tb.temps[0])
    nominal = float(np.mean(v))
    ppm = float(np.ptp(v) / abs(nominal) / span * 1e6)
    slope = float((v[-1] - v[0]) / span)
    figs = {"tempco_ppm": ppm, "dvdt_v_per_k": slope}
    text = f"{ppm:.0f} ppm/K over {tb.temps[0]:g}..{tb.temps[-1]:g} C (values " + \
        ", ".join(f"{x:.4f}" for x in v) + " V)"
    if ppm > limit_ppm:
        return CheckResult("functional", False, f"temperature coefficient {text} is above {limit_ppm:g} ppm/K", figs)
    return CheckResult("functional", True, f"temperature coefficient {text}", figs)


_BIAS_TARGET = {"cs_amp": 0.5, "cascode_amp": 0.5, "source_follower": 0.4}


def _bias_search(design: Design, spec: Spec, tb: Testbench, sim: SimResult) -> Design | None:
    """Amplifiers: pick the input DC level that puts the output at its target from the DC sweep."""
    if design.kind not in _BIAS_TARGET or sim.dc is None:
        return None
    inp = design.ports_of("voltage_in")[0]
    out = design.ports_of("voltage_out")[0]
    x = np.asarray(sim.dc.x)
    y = np.asarray(sim.dc.get(f"{out.name}_1")).real
    target = _BIAS_TARGET[design.kind] * design.vdd
    sign = np.sign(y - target)
    idx = np.nonzero(np.diff(sign) != 0)[0]
    if idx.size == 0:
        return None
    k = int(idx[0])
    x0, x1, y0, y1 = x[k], x[k + 1], y[k], y[k + 1]
    vin = float(x0 + (target - y0) * (x1 - x0) / (y1 - y0)) if y1 != y0 else float(x0)
    if abs(vin - inp.dc) < 1e-4:
        return None
    ports = tuple(replace(p, dc=round(vin, 5)) if p.name == inp.name else
                  (replace(p, dc=round(target, 4)) if p.name == out.name else p) for p in design.ports)
    return replace(design, ports=ports)


def proofread(text: str, spec: Spec, design: Design | None = None) -> Proof:
    """Run every check on ``text`` (the design.cir candidate). ``design`` carries the
    expert's port DC conditions and intended regions; without it they come from the spec."""
    start = time.perf_counter()
    added: tuple[str, ...] = ()
    if design is None:
        text, added = complete_with_library(text, spec.model_file)
    elif spec.request is not None:
        ordered = in_port_order(design, spec)
        if ordered is not design:
            design, text = ordered, ordered.netlist_text(spec.text or spec.kind)
    results, sub, blocks, stages = static_checks(text, spec)
    if sub is None or not all(r.passed for r in results):
        return Proof(tuple(results), design, seconds=time.perf_counter() - start)
    declared = tuple(design.blocks) if design is not None else ()
    structure = structure_check(spec, sub, blocks, stages, declared)
    results.append(structure)
    found = tuple(sorted(set(blocks) | set(declared)))
    if not structure.passed:
        return Proof(tuple(results + _skipped("structure")), design, seconds=time.perf_counter() - start,
                     blocks=found)
    if design is None:
        design = in_port_order(replace(design_from_netlist(text, spec, sub), library_blocks=added), spec)
    sims = 0
    try:
        tb, sim = _run(design, spec)
        sims += 1
        better = _bias_search(design, spec, tb, sim)
        if better is not None:
            design = better
            tb, sim = _run(design, spec)
            sims += 1
    except ChipsmithError as exc:
        results.append(CheckResult("op", False, f"ngspice failed: {exc.one_line()}"))
        return Proof(tuple(results + _skipped("op")), design, simulations=sims,
                     seconds=time.perf_counter() - start, blocks=found)
    op = _op_check(design, sim, spec)
    results.append(op)
    if not op.passed:
        return Proof(tuple(results + _skipped("op")), design, tb, sim, sims, time.perf_counter() - start, found)
    try:
        functional = tb.evaluate(sim)
        if tb.temps and all(r.passed for r in functional):
            functional.append(_temperature_check(design, tb, spec))
            sims += len(tb.temps)
    except ChipsmithError as exc:
        functional = [CheckResult("functional", False, f"could not measure: {exc.one_line()}")]
    results.extend(functional)
    if not all(r.passed for r in functional):
        return Proof(tuple(results + _skipped("functional")), design, tb, sim, sims,
                     time.perf_counter() - start, found)
    figs: dict[str, float] = {}
    unmeasured: dict[str, str] = {}
    for r in results:
        figs.update(r.figures)
        unmeasured.update(r.unmeasured)
    targets = target_checks(spec, figs, unmeasured)
    results.extend(targets)
    if not targets:
        results.append(CheckResult("targets", True, "no targets stated"))
    if spec.request is None:
        return Proof(tuple(results), design, tb, sim, sims, time.perf_counter() - start, found)
    if not all(r.passed for r in results):
        results.append(CheckResult("requirements", False, "skipped (an earlier check failed)", skipped=True))
        return Proof(tuple(results), design, tb, sim, sims, time.perf_counter() - start, found)
    check, verdict = judge_check(design.netlist_text(spec.text or spec.kind), spec.request)
    results.append(check)
    return Proof(tuple(results), design, tb, sim, sims + verdict.simulations, time.perf_counter() - start, found,
                 verdict)


def judge_check(text: str, request) -> tuple[CheckResult, Any]:
    """The independent judge (:mod:`chipsmith.spice.judge`) on ``text`` against every
    requirement of ``request``, as one ``requirements`` check whose detail lists each
    failing requirement with its source phrase (what the next round is asked to fix)."""
    from chipsmith.spice.judge import judge

    verdict = judge(text, request)
    by_id = {r.id: r for r in request.requirements}
    lines = []
    for res in verdict.failures:
        req = by_id.get(res.id)
        quoted = f" (asked for by '{req.source.phrase}')" if req is not None and not req.source.is_spec else ""
        lines.append(f"requirement {res.id} [{req.describe() if req else res.kind}]{quoted} {res.status}: "
                     f"{res.detail}")
    lines += [f"design problem: {p}" for p in verdict.problems]
    figs: dict[str, float] = {}
    for r in verdict.results:
        if isinstance(r.figure, (int, float)) and not isinstance(r.figure, bool):
            figs[f"req:{r.id}"] = float(r.figure)
            req = by_id.get(r.id)
            if req is not None and req.kind == "target":  # the figure under its own name (gain_db, pm_deg ...)
                figs.setdefault(str(req.params["figure"]), float(r.figure))
    passed = sum(r.passed for r in verdict.results)
    if verdict.failures or verdict.problems or not verdict.results:
        detail = (f"{passed}/{len(verdict.results)} requirements pass; " + "; ".join(lines)) if lines else \
            "no requirement could be checked"
        # a judged target the sizing loop knows a move for: name the check after it, with the judge's
        # figure, so the next round resizes for what the judge measured
        sizing = {"gain_db": "gain_db", "gbw_hz": "gbw_hz", "ugb_hz": "gbw_hz", "pm_deg": "pm_deg",
                  "power_w": "power_w"}
        first = verdict.failures[0] if verdict.failures and not verdict.problems else None
        req = by_id.get(first.id) if first is not None else None
        if req is not None and req.kind == "target" and req.params["figure"] in sizing and \
                isinstance(first.figure, (int, float)) and first.status == "fail":
            name = sizing[str(req.params["figure"])]
            figs[name] = float(first.figure)
            return CheckResult(f"target:{name}", False, "judge: " + detail, figs), verdict
        return CheckResult("requirements", False, detail, figs), verdict
    return CheckResult("requirements", True, f"all {len(verdict.results)} requirements pass (independent judge)",
                       figs), verdict
