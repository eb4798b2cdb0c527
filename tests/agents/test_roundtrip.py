"""Any netlist the expert emits re-parses (chipsmith.spice.parser) to the same graph."""
from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chipsmith.agents.kinds import KINDS
from chipsmith.agents.planner import RECIPES, generate, initial_knobs, variants_for
from chipsmith.agents.spec import Spec, with_ports
from chipsmith.spice.parser import parse_netlist
from chipsmith.spice.topology import equivalent
from chipsmith.spice.writer import write_netlist

_FIXED = {"stages", "vin", "vcm", "vcas", "vmin", "vout", "iref"}
names = st.from_regex(r"[a-z][a-z0-9]{0,3}(_[a-z0-9]{1,3})?", fullmatch=True).filter(
    lambda s: s not in ("vdd", "gnd", "vss", "0", "vref", "ibias"))


@st.composite
def designs(draw):
    kind = draw(st.sampled_from([k for k in KINDS]))
    n_in = len(kind.inputs) if kind.name != "summer" else draw(st.integers(2, 3))
    pool = draw(st.lists(names, min_size=n_in + len(kind.outputs), max_size=n_in + len(kind.outputs),
                         unique=True))
    needs_bias = kind.bias if kind.name == "ldo" else ()  # an LDO cannot work without its reference
    spec = with_ports(Spec(kind=kind.name), tuple(pool[:n_in]), tuple(pool[n_in:]), needs_bias)
    variant = draw(st.sampled_from(variants_for(spec)))
    knobs = initial_knobs(spec)
    scaled = {k: v * draw(st.floats(0.5, 2.0)) for k, v in knobs.items() if k not in _FIXED}
    return spec, variant, {**knobs, **scaled}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(designs())
def test_expert_netlist_reparses_to_the_same_graph(case):
    spec, variant, knobs = case
    design = generate(spec, knobs, variant)
    text = design.netlist_text()
    first = parse_netlist(text, "design.cir")
    sub = first.subckt("design")
    assert sub.ports == design.port_names
    again = parse_netlist(write_netlist(first), "rewritten.cir").subckt("design")
    assert again is not None and again.ports == sub.ports
    assert equivalent(sub, again, ports=design.port_names, subckts=first.subckts)
    # neither sizes nor port names change the topology: the default design has the same graph
    plain = with_ports(Spec(kind=spec.kind), *_default_names(spec))
    ref_design = generate(plain, None, variant)
    ref_netlist = parse_netlist(ref_design.netlist_text(), "ref.cir")
    reference = ref_netlist.subckt("design")
    # library blocks are flattened, so a block instance equals the same transistors written out
    assert equivalent(sub, reference, ports=(), subckts={**first.subckts, **ref_netlist.subckts})
    assert len(sub.elements) == sum(1 for ln in design.body.splitlines() if ln.strip() and not ln.startswith("*"))
    assert not re.search(r"^\s*\.(control|op|ac|tran|dc)\b", text, re.MULTILINE | re.IGNORECASE)


def _default_names(spec):
    # names that are internal nets of some generator, to provoke collisions if any remain
    # A name starting with "i" declares a current port (planner convention), which is part of
    # the topology, so the reference keeps each port's current/voltage nature.
    pool = ["x", "tail", "d1", "a", "c", "out", "nb", "pg", "st"]
    n_in, n_out = len(spec.inputs), len(spec.outputs)

    def keep_kind(new, old):
        return ("i" + new) if old.lower().startswith("i") else new

    inputs = tuple(keep_kind(n, o) for n, o in zip(pool[:n_in], spec.inputs))
    outputs = tuple(keep_kind(n, o) for n, o in zip(pool[n_in:n_in + n_out], spec.outputs))
    return inputs, outputs, spec.bias


def test_every_kind_has_a_recipe():
    assert {k.name for k in KINDS} == set(RECIPES)
