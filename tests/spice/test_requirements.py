"""Requirements schema: validation and JSON round trip."""
from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chipsmith.errors import InputError
from chipsmith.spice.requirements import (FAMILIES, FIGURES, KINDS, OPS, Interface, Params, Port, PortRole,
                                          Request, Requirement, Source)

_names = st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,6}", fullmatch=True)
_floats = st.floats(min_value=-1e9, max_value=1e9, allow_nan=False, allow_infinity=False)


@st.composite
def _requirement(draw, ports):
    kind = draw(st.sampled_from(["family", "stage_count", "target", "linear_relation", "filter", "structure",
                                 "device_count", "named_component", "polarity"]))
    rid = f"r{draw(st.integers(0, 10**6))}"
    if kind == "family":
        fam = draw(st.sampled_from(sorted(FAMILIES)))
        params = {"family": fam}
        if FAMILIES[fam] and draw(st.booleans()):
            params["variant"] = draw(st.sampled_from(FAMILIES[fam]))
    elif kind == "stage_count":
        params = {"count": draw(st.integers(1, 5)), "op": draw(st.sampled_from(["==", ">=", "<="]))}
    elif kind == "target":
        params = {"figure": draw(st.sampled_from(sorted(FIGURES))), "op": draw(st.sampled_from(OPS)),
                  "value": draw(_floats)}
    elif kind == "linear_relation":
        coefs = draw(st.dictionaries(st.sampled_from(ports), _floats, min_size=1))
        params = {"output": ports[0], "coefficients": coefs, "offset": draw(_floats)}
    elif kind == "filter":
        params = {"response": draw(st.sampled_from(["lowpass", "highpass", "bandpass", "bandstop"])),
                  "order": draw(st.integers(1, 4)), "corner_hz": draw(st.floats(1, 1e9))}
    elif kind == "structure":
        params = {"feature": "diode_connected", "device": draw(st.sampled_from(["nmos", "pmos"])), "present": True}
    elif kind == "device_count":
        params = {"device": "pmos", "min": draw(st.integers(0, 5))}
    elif kind == "named_component":
        params = {"name": draw(_names), "element": "resistor"}
    else:
        params = {"sense": draw(st.sampled_from(["inverting", "non_inverting"]))}
    span = draw(st.one_of(st.none(), st.tuples(st.integers(0, 50), st.integers(0, 50)).map(lambda t: tuple(sorted(t)))))
    source = Source.spec() if span is None else Source(draw(st.text(max_size=20)), span)
    return Requirement(rid, kind, params, source, draw(st.booleans()))


@st.composite
def _request(draw):
    names = draw(st.lists(_names, min_size=1, max_size=5, unique_by=str.lower))
    ports = tuple(Port(n, draw(st.sampled_from(list(PortRole)))) for n in names)
    reqs = draw(st.lists(_requirement(names), max_size=6, unique_by=lambda r: r.id))
    return Request(draw(st.text(max_size=60)), Interface(ports), tuple(reqs),
                   tuple(draw(st.lists(st.text(max_size=10), max_size=3))))


@given(_request())
def test_request_json_round_trip(req: Request) -> None:
    text = req.to_json()
    back = Request.from_json(text)
    assert back == req
    assert back.to_json() == text
    assert hash(back.requirements) == hash(req.requirements)


def test_unknown_kind_rejected_with_choices() -> None:
    with pytest.raises(InputError, match="unknown kind 'magic'.*target"):
        Requirement.from_dict({"id": "a", "kind": "magic", "params": {}})


@pytest.mark.parametrize("params, match", [
    ({"figure": "gain_db", "op": ">="}, "lacks value"),
    ({"figure": "gain_db", "op": "gt", "value": 3}, "op='gt'"),
    ({"figure": "gainz", "op": ">=", "value": 3}, "figure='gainz'"),
    ({"figure": "gain_db", "op": ">=", "value": "3"}, "must be a number"),
    ({"figure": "gain_db", "op": ">=", "value": 3, "colour": 1}, "unknown parameter"),
])
def test_bad_target_params(params, match) -> None:
    with pytest.raises(InputError, match=match):
        Requirement("t", "target", params)


def test_family_variant_checked() -> None:
    Requirement("f", "family", {"family": "oscillator", "variant": "wien"})
    with pytest.raises(InputError, match="no variant"):
        Requirement("f", "family", {"family": "oscillator", "variant": "common_gate"})


def test_request_rejects_unknown_port_and_duplicate_ids() -> None:
    iface = Interface((Port("Vin", "signal_in"), Port("Vout", PortRole.OUT)))
    rel = Requirement("l", "linear_relation", {"output": "Vout", "coefficients": {"Vin2": -1.0}})
    with pytest.raises(InputError, match="Vin2"):
        Request("x", iface, (rel,))
    g = Requirement("g", "target", {"figure": "gain_db", "op": ">=", "value": 20})
    with pytest.raises(InputError, match="repeated"):
        Request("x", iface, (g, g))
    with pytest.raises(InputError, match="unknown role"):
        Port("Vin", "input")


def test_interface_helpers_and_params_frozen() -> None:
    iface = Interface.from_dict([{"name": "Vinp", "role": "diff_in_p"}, {"name": "Vinn", "role": "diff_in_n"},
                                 {"name": "Vbias1", "role": "bias_v"}, {"name": "Vout", "role": "out"}])
    assert [p.name for p in iface.inputs] == ["Vinp", "Vinn"]
    assert iface.names_by_role("bias_v") == ("Vbias1",)
    assert iface.role_of("vout") is PortRole.OUT
    p = Params({"a": [1, 2], "b": {"c": 1}})
    assert p["a"] == (1, 2) and p["b"]["c"] == 1
    with pytest.raises(AttributeError):
        p.x = 1
    assert json.loads(json.dumps(p.to_plain())) == {"a": [1, 2], "b": {"c": 1}}
    assert set(KINDS) >= {"family", "target", "linear_relation", "hysteresis", "oscillation", "supply"}
