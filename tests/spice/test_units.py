"""Engineering-notation numbers: parse SPICE suffixes, write exact shortest forms."""
from __future__ import annotations

import math

import pytest
from hypothesis import given, strategies as st

from chipsmith.errors import NetlistError
from chipsmith.spice.units import format_value, is_number, parse_value


@pytest.mark.parametrize("text, value", [
    ("10k", 1e4), ("1meg", 1e6), ("1MEG", 1e6), ("1Meg", 1e6), ("2.5u", 2.5e-6), ("10kOhm", 1e4), ("1uF", 1e-6),
    ("1M", 1e-3), ("1m", 1e-3), ("3ms", 3e-3), ("1g", 1e9), ("1t", 1e12), ("4.7n", 4.7e-9), ("100p", 1e-10),
    ("1f", 1e-15), ("1a", 1e-18), ("1mil", 25.4e-6), ("-3.3", -3.3), ("+5", 5.0), (".5", 0.5), ("5.", 5.0),
    ("1e-12", 1e-12), ("1E3", 1e3), ("1.5e3k", 1.5e6), ("0", 0.0), ("5V", 5.0), ("10Hz", 10.0),
    ("  7k  ", 7e3), ("1x", 1.0),
])
def test_parse_value(text: str, value: float):
    assert parse_value(text) == value


@pytest.mark.parametrize("text", ["", "k", "abc", "1.2.3", "--1", "1 k", "{w}", "e3", "inf", "nan"])
def test_parse_value_rejects(text: str):
    with pytest.raises(NetlistError):
        parse_value(text)
    assert not is_number(text)


def test_parse_value_error_names_place():
    with pytest.raises(NetlistError) as info:
        parse_value("abc", where="a.cir:3")
    assert info.value.one_line().startswith("a.cir:3: not a number")


def test_parse_value_overflow_is_an_error():
    with pytest.raises(NetlistError, match="out of range"):
        parse_value("1e400")


@pytest.mark.parametrize("value, text", [
    (1e4, "10k"), (1e6, "1meg"), (2.5e-6, "2.5u"), (4.7e-9, "4.7n"), (1e-3, "1m"), (0.0, "0"), (-3.3, "-3.3"),
    (1.8, "1.8"), (100e-12, "100p"), (1e-15, "1f"), (123456789.0, "123.456789meg"), (1e12, "1t"),
])
def test_format_value(value: float, text: str):
    assert format_value(value) == text


def test_format_value_outside_suffix_range_uses_exponent():
    assert parse_value(format_value(1.5e-18)) == 1.5e-18
    assert parse_value(format_value(2e20)) == 2e20


@pytest.mark.parametrize("bad", [math.inf, -math.inf, math.nan])
def test_format_value_refuses_non_finite(bad: float):
    with pytest.raises(NetlistError):
        format_value(bad)


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_format_parse_round_trip_is_exact(x: float):
    assert parse_value(format_value(x)) == x


@given(st.floats(min_value=1e-15, max_value=1e14), st.sampled_from(["", "f", "p", "n", "u", "m", "k", "meg", "g"]))
def test_suffix_scaling_matches_decimal_arithmetic(x: float, suffix: str):
    scale = {"": 1, "f": 1e-15, "p": 1e-12, "n": 1e-9, "u": 1e-6, "m": 1e-3, "k": 1e3, "meg": 1e6, "g": 1e9}[suffix]
    assert math.isclose(parse_value(repr(x) + suffix), x * scale, rel_tol=1e-12)
