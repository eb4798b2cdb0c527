"""Between the request model and the structured :class:`~chipsmith.agents.spec.Spec`.

:func:`spec_for_request` turns a :class:`~chipsmith.spice.requirements.Request` into the
spec the expert planner's kind generators take (family/variant -> kind, port roles ->
inputs/outputs/bias, targets, stage count, loads ...); the request rides along on the
spec so every proofreading round ends with the judge. A request no kind generator can
build raises :class:`Refusal` naming what is missing: an honest "no design" (exit 1),
never bad input. :func:`requirements_from_spec` goes the other way for spec files, so a
spec file is judged like a text request (sources say ``spec``).
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any

from chipsmith.agents.spec import Spec, Targets
from chipsmith.errors import ChipsmithError
from chipsmith.spice.requirements import FAMILIES, Interface, PortRole, Request, Requirement, Source


class Refusal(ChipsmithError):
    """The planner cannot build what the request asks for (reported, exit 1)."""


_KIND = {
    ("opamp", "folded_cascode"): "folded_cascode", ("opamp", "telescopic"): "telescopic",
    ("opamp", "ota"): "ota5t", ("opamp", "one_stage"): "ota5t", ("opamp", "two_stage"): "two_stage_opamp",
    ("opamp", None): "two_stage_opamp",
    ("amplifier", "common_source"): "cs_amp", ("amplifier", "common_drain"): "source_follower",
    ("amplifier", "cascode"): "cascode_amp", ("amplifier", "differential"): "diff_amp",
    ("amplifier", None): "cs_amp",
    ("current_mirror", None): "mirror_simple", ("current_mirror", "simple"): "mirror_simple",
    ("current_mirror", "cascode"): "mirror_cascode", ("current_mirror", "wilson"): "mirror_wilson",
    ("inverter", None): "inverter", ("schmitt", None): "schmitt", ("schmitt", "inverting"): "schmitt",
    ("comparator", None): "comparator", ("comparator", "continuous"): "comparator",
    ("oscillator", "ring"): "ring_oscillator", ("oscillator", None): "ring_oscillator",
    ("opamp_app", "inverting"): "inverting_amp", ("opamp_app", "non_inverting"): "noninverting_amp",
    ("opamp_app", "integrator"): "integrator", ("opamp_app", "differentiator"): "differentiator",
    ("opamp_app", "summer"): "summer", ("opamp_app", "subtractor"): "subtractor",
    ("bandgap", None): "bandgap", ("ldo", None): "ldo",
    ("reference", "current"): "beta_multiplier", ("reference", None): "beta_multiplier",
}

# spec kind -> (family, variant) for spec files
_FAMILY = {
    "cs_amp": ("amplifier", "common_source"), "source_follower": ("amplifier", "common_drain"),
    "cascode_amp": ("amplifier", "cascode"), "diff_amp": ("amplifier", "differential"),
    "ota5t": ("opamp", "ota"), "two_stage_opamp": ("opamp", "two_stage"), "folded_cascode": ("opamp", "folded_cascode"),
    "telescopic": ("opamp", "telescopic"), "ldo": ("ldo", None), "mirror_simple": ("current_mirror", "simple"),
    "mirror_cascode": ("current_mirror", "cascode"), "mirror_wilson": ("current_mirror", "wilson"),
    "inverter": ("inverter", None), "inverting_amp": ("opamp_app", "inverting"),
    "noninverting_amp": ("opamp_app", "non_inverting"), "integrator": ("opamp_app", "integrator"),
    "differentiator": ("opamp_app", "differentiator"), "summer": ("opamp_app", "summer"),
    "subtractor": ("opamp_app", "subtractor"), "schmitt": ("schmitt", None),
    "ring_oscillator": ("oscillator", "ring"), "comparator": ("comparator", None),
    "beta_multiplier": ("reference", "current"), "bandgap": ("bandgap", None),
}


def family_of(request: Request) -> tuple[str | None, str | None]:
    for r in request.by_kind("family"):
        return r.params["family"], r.params.get("variant")
    return None, None


def kind_for(request: Request) -> str:
    """The expert planner's kind for the request's family and variant, or :class:`Refusal`."""
    family, variant = family_of(request)
    if family is None:
        raise Refusal("the request names no circuit family the expert knows",
                      fix="name the circuit (e.g. common-source amplifier, two-stage op-amp, current mirror)")
    kind = _KIND.get((family, variant))
    if kind is None:
        what = family.replace("_", " ") + (f" ({variant.replace('_', ' ')})" if variant else "")
        article = "an" if what[0] in "aeiou" else "a"
        raise Refusal(f"the expert planner has no design for {article} {what}")
    counts = [r.params["count"] for r in request.by_kind("stage_count")]
    if family == "opamp" and counts and variant is None:
        kind = {1: "ota5t", 2: "two_stage_opamp"}.get(counts[0], "")
        if not kind:
            raise Refusal(f"the expert planner has no {counts[0]}-stage op-amp")
    if family == "amplifier" and variant in (None, "differential"):
        ins = request.interface.by_role(PortRole.DIFF_IN_P, PortRole.DIFF_IN_N)
        if len(ins) == 2 and variant is None:
            kind = "diff_amp"
    if family == "amplifier" and any(c != 1 for c in counts) and kind != "diff_amp":
        raise Refusal(f"the expert planner builds single-stage amplifiers only, the request asks for "
                      f"{counts[0]} stages")
    return kind


def _first(request: Request, kind: str, **match: Any) -> Requirement | None:
    for r in request.by_kind(kind):
        if all(r.params.get(k) == v for k, v in match.items()):
            return r
    return None


def spec_for_request(request: Request, *, model_file: str | None = None, vdd: float | None = None) -> Spec:
    """The :class:`Spec` the expert planner builds from (request attached), or :class:`Refusal`."""
    kind = kind_for(request)
    ins, outs, bias = ports_for(request, kind)
    # SPICE names are case-insensitive; the kind generators work in lower case
    fields: dict[str, Any] = {"kind": kind, "inputs": tuple(n.lower() for n in ins),
                              "outputs": tuple(n.lower() for n in outs), "bias": tuple(n.lower() for n in bias),
                              "text": request.text}
    return _spec_fields(request, kind, fields, model_file=model_file, vdd=vdd)


def ports_for(request: Request, kind: str) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """(inputs, outputs, bias) of the interface as the kind generators take them; a
    :class:`Refusal` when their order is not the interface's."""
    from chipsmith.agents.kinds import get_kind

    k = get_kind(kind)
    iface = request.interface
    ins = list(iface.names_by_role(PortRole.DIFF_IN_P)) + list(iface.names_by_role(PortRole.DIFF_IN_N)) \
        if iface.by_role(PortRole.DIFF_IN_P) else list(iface.names_by_role(PortRole.SIGNAL_IN))
    if iface.by_role(PortRole.DIFF_IN_P) and iface.by_role(PortRole.SIGNAL_IN):
        ins += list(iface.names_by_role(PortRole.SIGNAL_IN))
    outs = list(iface.names_by_role(PortRole.OUT, PortRole.DIFF_OUT_P, PortRole.DIFF_OUT_N))
    bias = list(iface.names_by_role(PortRole.BIAS_I, PortRole.BIAS_V, PortRole.REFERENCE, PortRole.CONTROL))
    if k.family == "mirror" and not ins:
        cur = list(iface.names_by_role(PortRole.BIAS_I))
        ins, bias = cur[:1], [b for b in bias if b not in cur[:1]]
    if iface.by_role(PortRole.CLOCK):
        raise Refusal(f"the expert {kind} has no clock input")
    wanted = [p.name for p in iface.ports if p.role not in (PortRole.SUPPLY, PortRole.GROUND)]
    if sorted([*ins, *outs, *bias]) != sorted(wanted):  # the design lists them in the interface's order
        raise Refusal(f"the expert {kind} has no place for port(s) "
                      + ", ".join(n for n in wanted if n not in (*ins, *outs, *bias)))
    return tuple(ins), tuple(outs), tuple(bias)


def _spec_fields(request: Request, kind: str, fields: dict[str, Any], *, model_file: str | None,
                 vdd: float | None) -> Spec:
    from chipsmith.agents.kinds import get_kind

    k = get_kind(kind)
    counts = [r.params["count"] for r in request.by_kind("stage_count")]
    if counts and k.family == "opamp":
        fields["stages"] = counts[0]
    it = request.by_kind("input_type")
    if it and it[0].params["device"] in ("nmos", "pmos"):
        fields["input_polarity"] = it[0].params["device"]
    loads = [r.params["load"] for r in request.by_kind("load_type")]
    if loads and kind == "cs_amp":
        if loads[0] in ("resistor", "current_source"):
            fields["load"] = loads[0]
        elif loads[0] == "active":
            fields["load"] = "current_source"
        else:
            raise Refusal(f"the expert common-source stage has no {loads[0].replace('_', ' ')} load")
    if _first(request, "structure", feature="miller_compensation"):
        fields["compensation"] = "miller_rz" if _first(request, "named_component", name="Rz") else "miller"
    targets: dict[str, float] = {}
    for r in request.by_kind("target"):
        fig, value = r.params["figure"], float(r.params["value"])
        if fig in ("gain_db", "pm_deg") and r.params["op"] == ">=":
            targets[fig] = value
        elif fig in ("gbw_hz", "ugb_hz") and r.params["op"] == ">=":
            targets["gbw_hz"] = max(value, targets.get("gbw_hz", 0.0))
        elif fig == "power_w" and r.params["op"] == "<=":
            targets["power_w"] = value
        elif fig == "output_swing_v" and r.params["op"] == ">=":
            targets["swing_v"] = value
        elif fig == "vout_v" and kind == "ldo":
            fields["vout"] = value
        elif fig == "time_constant_s":
            fields["time_constant_s"] = value
        elif fig == "ugb_hz" and kind in ("integrator", "differentiator") and value > 0:
            fields.setdefault("time_constant_s", 1.0 / (2 * 3.141592653589793 * value))
    for r in request.by_kind("oscillation"):
        if r.params.get("frequency_hz"):
            targets["frequency_hz"] = float(r.params["frequency_hz"])
    if targets:
        fields["targets"] = Targets(**targets)
    gain = _closed_loop_gain(request, kind)
    if gain is not None:
        fields["closed_loop_gain"] = gain
    supply = request.supply_voltage
    if vdd:
        fields["vdd"] = float(vdd)
    elif supply:
        fields["vdd"] = float(supply)
    values = []
    for r in request.by_kind("condition"):
        port = r.params.get("port")
        if port and r.params["name"] in ("bias_current_a", "ref_current_a", "bias_voltage_v", "ref_voltage_v"):
            values.append((str(port).lower(), float(r.params["value"])))
    if values:
        fields["bias_values"] = tuple(sorted(values))
    if model_file:
        fields["model_file"] = model_file
    from chipsmith.agents.spec import with_ports

    try:
        spec = with_ports(Spec(**fields))
    except ChipsmithError as exc:
        raise Refusal(f"the expert {kind} does not fit this interface: {exc.message}") from exc
    return replace(spec, request=request)


def _closed_loop_gain(request: Request, kind: str) -> float | None:
    rels = request.by_kind("linear_relation")
    if not rels:
        gains = [r for r in request.by_kind("target") if r.params["figure"] == "gain_vv"]
        return abs(float(gains[0].params["value"])) if gains and kind in ("inverting_amp", "noninverting_amp") \
            else None
    coefs = [float(c) for c in rels[0].params["coefficients"].values()]
    offset = float(rels[0].params.get("offset", 0.0) or 0.0)
    if offset:
        raise Refusal(f"the expert {kind} has no output offset (the relation asks for {offset:+g} V)")
    if kind in ("inverting_amp", "summer"):
        if any(c >= 0 for c in coefs) or max(coefs) - min(coefs) > 1e-9:
            raise Refusal(f"the expert {kind} gives equal negative coefficients; '{rels[0].source.phrase}' asks "
                          "for others")
        return -coefs[0]
    if kind == "noninverting_amp":
        if coefs[0] < 1:
            raise Refusal(f"a non-inverting amplifier has gain >= 1; '{rels[0].source.phrase}' asks for {coefs[0]:g}")
        return coefs[0]
    if kind == "subtractor":
        if len(coefs) != 2 or abs(coefs[0] + coefs[1]) > 1e-9 or coefs[0] <= 0:
            raise Refusal(f"the expert subtractor gives g*(in1 - in2); '{rels[0].source.phrase}' asks for others")
        return coefs[0]
    raise Refusal(f"the expert {kind} has no linear input/output relation to set")


def requirements_from_spec(spec: Spec, interface: Interface) -> tuple[Requirement, ...]:
    """The requirements a structured spec states (sources ``spec``), for the judge."""
    out: list[Requirement] = []

    def add(kind: str, params: dict[str, Any]) -> None:
        n = sum(r.kind == kind for r in out) + 1
        out.append(Requirement(f"{kind}_{n}" if kind != "family" else "family", kind, params, Source.spec()))

    family, variant = _FAMILY.get(spec.kind, (None, None))
    if family:
        add("family", {"family": family, **({"variant": variant} if variant in FAMILIES[family] else {})})
    if spec.stages and family == "opamp":
        add("stage_count", {"count": int(spec.stages)})
    if spec.input_polarity:
        add("input_type", {"device": spec.input_polarity, "pair": family in ("opamp", "comparator")})
    if spec.load and spec.kind == "cs_amp":
        add("load_type", {"load": spec.load})
    if spec.compensation in ("miller", "miller_rz"):
        add("structure", {"feature": "miller_compensation"})
    figures = {"gain_db": ("gain_db", ">="), "gbw_hz": ("gbw_hz", ">="), "pm_deg": ("pm_deg", ">="),
               "power_w": ("power_w", "<="), "swing_v": ("output_swing_v", ">=")}
    for name, value in spec.targets.stated().items():
        if name in figures:
            fig, op = figures[name]
            add("target", {"figure": fig, "op": op, "value": float(value)})
        elif name == "frequency_hz":
            add("oscillation", {"frequency_hz": float(value), "tol": spec.targets.tolerance})
    if spec.vout is not None and spec.kind == "ldo":
        add("target", {"figure": "vout_v", "op": "~", "value": float(spec.vout), "tol": 0.05})
    if spec.time_constant_s is not None:
        add("target", {"figure": "time_constant_s", "op": "~", "value": float(spec.time_constant_s), "tol": 0.2})
    if spec.closed_loop_gain is not None and spec.kind in ("inverting_amp", "noninverting_amp", "summer",
                                                           "subtractor"):
        g = float(spec.closed_loop_gain)
        ins = [p.name for p in interface.inputs]
        outs = [p.name for p in interface.outputs]
        if outs and ins:
            coefs = {"inverting_amp": {ins[0]: -g}, "noninverting_amp": {ins[0]: g},
                     "summer": {n: -g for n in ins},
                     "subtractor": {ins[0]: g, ins[-1]: -g} if len(ins) == 2 else {}}[spec.kind]
            if coefs:
                add("linear_relation", {"output": outs[0], "coefficients": coefs})
    if spec.vdd != 1.8:
        add("supply", {"voltage": float(spec.vdd)})
    return tuple(out)


def interface_for_spec(spec: Spec) -> Interface:
    """The interface of a port-complete spec (roles from the kind and the names)."""
    from chipsmith.agents.kinds import get_kind
    from chipsmith.agents.request import PortList, build_interface

    k = get_kind(spec.kind)
    ins = spec.inputs
    ports = PortList(ins, spec.outputs, spec.bias)
    iface = build_interface(ports, spec.text, differential=k.family in ("opamp", "comparator")
                            or spec.kind == "diff_amp" or spec.input_type == "differential")
    if k.family == "mirror":  # the mirror's input is a current
        from chipsmith.spice.requirements import Port

        iface = Interface(tuple(Port(p.name, PortRole.BIAS_I) if p.name in ins else p for p in iface.ports))
    return iface
