"""SPICE numbers: engineering suffixes in, shortest exact engineering notation out.

SPICE writes ``10k``, ``1meg``, ``2.5u``, ``10kOhm`` (letters after the scale are
ignored) and is case-insensitive, so ``M`` means milli and ``MEG`` means mega.
:func:`parse_value` builds one decimal string and lets ``float`` round it once, so a
value written by :func:`format_value` reads back as the identical double.
"""
from __future__ import annotations

import math
import re
from decimal import Decimal

from chipsmith.errors import NetlistError

# Scale letters as ngspice reads them (case-insensitive); "meg" and "mil" are checked
# before the one-letter table because "m" alone is milli.
_SCALE: dict[str, int] = {"t": 12, "g": 9, "k": 3, "m": -3, "u": -6, "n": -9, "p": -12, "f": -15, "a": -18}
_MIL = 25.4e-6

_NUMBER = re.compile(r"^([+-]?)(\d+\.?\d*|\.\d+)(?:[eE]([+-]?\d+))?([a-zA-Z_]*)$")

# Exponent -> suffix written by format_value (``a`` is read but never written).
_SUFFIX: dict[int, str] = {12: "t", 9: "g", 6: "meg", 3: "k", 0: "", -3: "m", -6: "u", -9: "n",
                           -12: "p", -15: "f"}


def parse_value(text: str, *, where: str | None = None) -> float:
    """Read a SPICE number: ``"10k" -> 10000.0``, ``"1meg" -> 1e6``, ``"2.5uF" -> 2.5e-6``.

    Raises :class:`NetlistError` (with ``where`` when given) for anything that is not a
    number with an optional scale suffix and unit letters.
    """
    if not isinstance(text, str):
        if isinstance(text, (int, float)) and not isinstance(text, bool):
            return float(text)
        raise NetlistError(f"expected a number, got {text!r}", where=where)
    match = _NUMBER.match(text.strip())
    if not match:
        raise NetlistError(f"not a number: {text!r}", where=where,
                           fix="write a SPICE number such as 10k, 1meg, 2.5u or 1e-12")
    sign, digits, exp, tail = match.groups()
    exponent = int(exp) if exp else 0
    tail = tail.lower()
    if tail.startswith("meg"):
        exponent += 6
    elif tail.startswith("mil"):
        return float(f"{sign}{digits}e{exponent}") * _MIL
    elif tail[:1] in _SCALE:
        exponent += _SCALE[tail[:1]]
    try:
        value = float(f"{sign}{digits}e{exponent}")
    except OverflowError:  # pragma: no cover - float() returns inf rather than raising
        value = math.inf
    if not math.isfinite(value):
        raise NetlistError(f"number out of range: {text!r}", where=where)
    return value


def is_number(text: str) -> bool:
    """True when ``text`` reads as a SPICE number (see :func:`parse_value`)."""
    return bool(_NUMBER.match(text.strip())) if isinstance(text, str) else False


def format_value(value: float) -> str:
    """Write ``value`` in engineering notation: ``1e4 -> "10k"``, ``4.7e-9 -> "4.7n"``.

    The mantissa is the shortest decimal that names the double (Python's ``repr``),
    shifted exactly, so ``parse_value(format_value(x)) == x`` for every finite ``x``.
    """
    value = float(value)
    if not math.isfinite(value):
        raise NetlistError(f"cannot write a non-finite number ({value!r}) into a netlist")
    if value == 0.0:
        return "0"
    exact = Decimal(repr(value))
    exponent = exact.adjusted()
    group = 3 * math.floor(exponent / 3)
    if group not in _SUFFIX:
        text = repr(value)
        return text[:-2] if text.endswith(".0") else text
    mantissa = exact.scaleb(-group).normalize()
    text = format(mantissa, "f")
    return text + _SUFFIX[group]


__all__ = ["parse_value", "format_value", "is_number"]


_QUANTITY = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(meg|[fpnuµmkgtM])?\s*"
                       r"(db|deg|degrees?|°|hz|v/us|v/µs|v|a|w|f|ohms?|Ω|s)?\s*$", re.IGNORECASE)


def parse_quantity(value: object, what: str = "value") -> float:
    """A figure as people write it in a spec: ``"10MHz"`` -> 1e7, ``"60 dB"`` -> 60, ``"1mW"`` -> 1e-3.

    Unlike SPICE, a capital ``M`` followed by a unit means mega (``10MHz``); ``m`` is milli.
    Units are checked for shape only: the caller knows which figure it asked for.
    """
    if isinstance(value, bool):
        raise NetlistError(f"{what}: expected a number, got {value!r}")
    if isinstance(value, (int, float)):
        if not math.isfinite(float(value)):
            raise NetlistError(f"{what}: expected a finite number, got {value!r}")
        return float(value)
    match = _QUANTITY.match(str(value))
    if not match:
        raise NetlistError(f"{what}: cannot read {value!r} as a number with a unit",
                           fix="write e.g. 60dB, 10MHz, 1mW, 20uA, 2pF, 1.8V")
    prefix = match.group(2) or ""
    if prefix == "M" and match.group(3):
        exponent = 6
    else:
        exponent = {"meg": 6, "µ": -6}.get(prefix.lower(), _SCALE.get(prefix.lower(), 0))
    return float(Decimal(match.group(1)).scaleb(exponent))
