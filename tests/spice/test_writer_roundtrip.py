"""Property tests: generated netlists survive write -> parse unchanged in meaning, and
the parser/safety/check entry points raise nothing but NetlistError on random text."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from chipsmith.errors import NetlistError
from chipsmith.spice.check import check_text
from chipsmith.spice.netlist import Directive, Element, Include, Model, Netlist, Subckt, Waveform
from chipsmith.spice.parser import parse_netlist
from chipsmith.spice.safety import check_safe
from chipsmith.spice.writer import write_netlist

_WORD = st.from_regex(r"[a-z][a-z0-9_]{0,5}", fullmatch=True)
_NET = st.sampled_from(["0", "1", "2", "a", "b", "out", "in", "vdd", "n_3", "x.y"])
_FLOAT = st.floats(allow_nan=False, allow_infinity=False, min_value=-1e30, max_value=1e30)
_EXPR = st.builds(lambda a, op, b: "{" + f"{a}{op}{b}" + "}", _WORD, st.sampled_from(["*", "+", "/", "-"]),
                  st.sampled_from(["2", "w", "1e-6"]))
_VALUE = st.one_of(_FLOAT, _EXPR)
_PARAM_VALUE = st.one_of(_FLOAT, _EXPR, _WORD.filter(lambda w: w not in ("params",)))
_KEYS = _WORD.filter(lambda k: k not in ("dc", "ac", "acphase", "area", "r", "c", "l", "params"))


def _params(max_size: int = 3):
    return st.dictionaries(_KEYS, _PARAM_VALUE, max_size=max_size)


@st.composite
def elements(draw, name: str):
    kind = name[0].upper()
    if kind in "RCL":
        value = draw(st.one_of(st.none(), _VALUE))
        model = draw(_WORD) if value is None or draw(st.booleans()) else None
        return Element(name, kind, tuple(draw(st.lists(_NET, min_size=2, max_size=2))), value, model, draw(_params()))
    if kind in "VI":
        params = {}
        if draw(st.booleans()):
            params["ac"] = draw(_VALUE)
            if draw(st.booleans()):
                params["acphase"] = draw(_VALUE)
        waveform = None
        if draw(st.booleans()):
            waveform = Waveform(draw(st.sampled_from(["pulse", "sin", "pwl", "exp"])),
                                tuple(draw(st.lists(_VALUE, max_size=7))))
        return Element(name, kind, tuple(draw(st.lists(_NET, min_size=2, max_size=2))),
                       draw(st.one_of(st.none(), _VALUE)), None, params, waveform=waveform)
    if kind in "EG":
        return Element(name, kind, tuple(draw(st.lists(_NET, min_size=4, max_size=4))), draw(_VALUE))
    if kind in "FH":
        return Element(name, kind, tuple(draw(st.lists(_NET, min_size=2, max_size=2))), draw(_VALUE),
                       control="v" + draw(_WORD))
    if kind == "D":
        params = draw(_params())
        if draw(st.booleans()):
            params = {"area": draw(_VALUE), **params}
        return Element(name, kind, tuple(draw(st.lists(_NET, min_size=2, max_size=2))), None, draw(_WORD), params)
    if kind == "M":
        return Element(name, kind, tuple(draw(st.lists(_NET, min_size=4, max_size=4))), None, draw(_WORD),
                       draw(_params()))
    if kind == "Q":
        params = draw(_params())
        if draw(st.booleans()):
            params = {"area": draw(_VALUE), **params}
        count = draw(st.sampled_from([3, 4]))
        return Element(name, kind, tuple(draw(st.lists(_NET, min_size=count, max_size=count))), None, draw(_WORD),
                       params)
    return Element(name, "X", tuple(draw(st.lists(_NET, max_size=5))), None, draw(_WORD), draw(_params()))


@st.composite
def element_lists(draw, max_size: int = 8):
    kinds = draw(st.lists(st.sampled_from("rclvuiefghdmqx"), max_size=max_size))
    result = []
    for index, letter in enumerate(kinds):
        letter = "v" if letter == "u" else letter
        result.append(draw(elements(f"{letter}{index}")))
    return tuple(result)


_MODELS = st.dictionaries(_WORD, st.tuples(st.sampled_from(["nmos", "pmos", "d", "npn", "pnp", "r"]),
                                           _params(4)), max_size=3)


def _model_dict(raw: dict) -> dict:
    return {name: Model(name, mtype, params) for name, (mtype, params) in raw.items()}


@st.composite
def subckts(draw):
    name = draw(_WORD)
    ports = tuple(draw(st.lists(_WORD.filter(lambda p: p != "params"), unique=True, max_size=5)))
    return Subckt(name, ports, draw(element_lists(5)), _model_dict(draw(_MODELS)), draw(_params()), draw(_params()))


@st.composite
def netlists(draw):
    title = draw(st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=30)).strip()
    subs = {s.name: s for s in draw(st.lists(subckts(), max_size=2))}
    includes = tuple(draw(st.lists(st.one_of(
        st.builds(lambda p: Include(p + ".lib"), _WORD),
        st.builds(lambda p, s: Include(p + ".lib", s, kind="lib"), _WORD, _WORD)), max_size=2)))
    directives = tuple(draw(st.lists(st.builds(lambda n, a: Directive(n, tuple(a)),
                                               st.sampled_from(["op", "tran", "option", "temp"]),
                                               st.lists(_WORD, max_size=3)), max_size=2)))
    return Netlist(title, draw(element_lists()), subs, _model_dict(draw(_MODELS)), draw(_params()), includes,
                   directives)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(netlists())
def test_write_then_parse_gives_the_same_netlist(netlist: Netlist):
    text = write_netlist(netlist)
    again = parse_netlist(text, allowed_include_dirs=None)
    assert again == netlist, text
    assert write_netlist(again) == text


def test_round_trip_of_a_real_netlist():
    text = ("ota bench\n.model nch nmos (level=1 vto=0.5)\n.subckt amp in out vdd gnd params: w=1u\n"
            "m1 out in gnd gnd nch w={w} l=1u\nr1 vdd out 10k\n.ends amp\nvdd vdd 0 1.8\n"
            "vin in 0 dc 0.9 ac 1 sin(0.9 1m 1k)\nx1 in out vdd 0 amp w=2u\n.op\n.end\n")
    netlist = parse_netlist(text)
    assert parse_netlist(write_netlist(netlist)) == netlist


_SPICE_BITS = st.sampled_from([
    "r1", "m1", "x1", "v1", "q1", "e1", "f1", "d1", "a", "0", "1k", "2.5u", "{w", "}", "(", ")", "=", "'", '"',
    ".subckt", ".ends", ".model", ".param", ".include", ".lib", ".endl", ".end", ".control", "nmos", "dc", "ac",
    "pulse(", "params:", "+", "*", ";", "$", "\n", "\n+", " ", "\t", "\r", "\x00", "\u0441", "~/x", "../..",
    "/etc/passwd", "w=", "1e999", "-", ".", "..", "shell", "a" * 300, "x/" * 200, "\f", "\u200b",
])


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=200), st.lists(_SPICE_BITS, max_size=40).map(" ".join),
                 st.lists(_SPICE_BITS, max_size=40).map("".join)))
def test_random_text_raises_only_netlist_errors(text: str):
    for call in (lambda: parse_netlist(text, "r.cir", allowed_include_dirs=None),
                 lambda: parse_netlist(text, "r.cir"),
                 lambda: parse_netlist(text, "r.cir", first_line_is_title=False, allowed_include_dirs=["/tmp"]),
                 lambda: check_safe(text, "r.cir"),
                 lambda: check_text(text, "r.cir")):
        try:
            call()
        except NetlistError as exc:
            assert "\n" not in exc.one_line()


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_writer_refuses_non_finite_values(bad: float):
    with pytest.raises(NetlistError):
        write_netlist(Netlist("t", (Element("r1", "R", ("a", "0"), bad),)))
