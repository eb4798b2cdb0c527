"""Reading of single-ended structure phrases (a pass of :mod:`chipsmith.agents.reader`).

Each rule turns a phrase into requirements a design can be checked against, so that a
design satisfying the family by an incidental element (a decoupling capacitor counted
as "the Miller capacitor", a CMOS inverter for an "NMOS inverter with a resistive load")
does not pass:

- "NMOS/PMOS inverter": the switching device's polarity (``input_type``) and, with a
  resistive load, no device of the other polarity (``device_count max 0``); "CMOS
  inverter": one of each.
- "(simple) NMOS (constant) current source / sink": the polarity of the output device;
  a "sink" is NMOS unless said otherwise.
- Mirrors: "N stacked at the input side (diode-connected)", "N stacked at the output
  side", "reference current (source) input Iref (connected to Vdd)": cascode stacks,
  diode connections, and the reference pin being a current input fed from vdd (the
  judge's convention for a current input, so nothing more to require).
- "Miller (compensation) capacitor/cap", "compensation capacitor", "pole-splitting
  capacitor", "compensated with Cc": the ``structure miller_compensation`` feature (a
  capacitor around a gain stage), besides the capacitor count.
- "differential common-source (op-amp)": a differential pair; "single output",
  "single-ended output", "dual/two resistive loads": read with the ports and the loads.

The pass runs after the reader's own passes; every claim consumes its span.
"""
from __future__ import annotations

import re

_RESISTIVE = re.compile(r"resist(?:ive|or)[- ](?:load|pull-?up|pull-?down)|(?:load|pull-?up|pull-?down) resistor|"
                        r"resistor (?:as|for) (?:the |a )?load", re.IGNORECASE)


def read(r) -> None:
    """Add the claims of this module's phrases to reader ``r`` (a ``reader._Reader``)."""
    _inverter(r)
    _inverter_switch(r)
    _inverter_load(r)
    _current_source(r)
    _mirror_words(r)
    _miller(r)
    _stability(r)
    _differential_cs(r)
    _element_roles(r)


def _inverter(r) -> None:
    if r.family != "inverter":
        return
    resistive = bool(_RESISTIVE.search(r.low))
    for m in re.finditer(r"\b(nmos|pmos|cmos|n-?channel|p-?channel)(?:[- ]only)?[- ](?:logic |static |digital )?"
                         r"(?:inverter|not gate)\b", r.low):
        word = m.group(1).replace("-", "")
        dev = {"nchannel": "nmos", "pchannel": "pmos"}.get(word, word)
        if dev == "cmos":
            r.claim("device_count", {"device": "nmos", "min": 1}, m.start(), m.end())
            r.claim("device_count", {"device": "pmos", "min": 1}, m.start(), m.end())
            continue
        r.claim("input_type", {"device": dev}, m.start(), m.end())
        if resistive:
            other = "pmos" if dev == "nmos" else "nmos"
            r.claim("device_count", {"device": other, "max": 0}, m.start(), m.end())


def _inverter_switch(r) -> None:
    """"an NMOS pull-down", "a PMOS pull-up (switch)": the switching device of a resistor-load inverter."""
    if r.family != "inverter":
        return
    resistive = bool(_RESISTIVE.search(r.low))
    for m in re.finditer(r"(?:an? |the |one )?(nmos|pmos|n-?channel|p-?channel)[- ](?:transistor |device |mosfet )?"
                         r"(?:as (?:the |a )?)?(?:(?:pull[- ]?down|pull[- ]?up)(?: switch| device| transistor)?|"
                         r"switch(?:ing)?(?: device| transistor)?|driver)\b", r.low):
        if all(r.used[m.start():m.end()]):
            continue
        word = m.group(1).replace("-", "")
        dev = {"nchannel": "nmos", "pchannel": "pmos"}.get(word, word)
        r.claim("input_type", {"device": dev}, m.start(), m.end())
        if resistive:
            r.claim("device_count", {"device": "pmos" if dev == "nmos" else "nmos", "max": 0}, m.start(), m.end())


def _inverter_load(r) -> None:
    if r.family != "inverter":
        return
    for m in _RESISTIVE.finditer(r.low):
        if not all(r.used[m.start():m.end()]):
            r.claim("load_type", {"load": "resistor"}, m.start(), m.end())


def _current_source(r) -> None:
    if r.family != "current_source":
        return
    pat = (r"(?:(simple|basic|single[- ]transistor|one[- ]transistor)[- ])?(?:(nmos|pmos|n-?channel|p-?channel)[- ])?"
           r"(?:(?:constant|dc|fixed)[- ])?current (source|sink)\b")
    for m in re.finditer(pat, r.low):
        pol = (m.group(2) or "").replace("-", "")
        pol = {"nchannel": "nmos", "pchannel": "pmos"}.get(pol, pol)
        if not pol and m.group(3) == "sink":
            pol = "nmos"
        if pol:
            r.claim("input_type", {"device": pol}, m.start(), m.end())
        elif m.group(1):
            r.consume(m.start(), m.end())
        if m.group(1) and m.group(1).startswith(("single", "one")):
            r.claim("device_count", {"device": "transistor", "max": 1}, m.start(), m.end())


def _mirror_words(r) -> None:
    if r.family not in ("current_mirror", "current_source"):
        return
    num = r"(\d+|two|three|four)"
    for m in re.finditer(r"\(?" + num + r" (?:transistors? |devices? |mosfets? |nmos |pmos )?stacked "
                         r"(?:(?:at|on|in) )?(?:the )?(input|output|reference|ref|copy|mirror)[- ]?(?:side|branch)?"
                         r"(?:(?:,)? (?:with|both|all|each|and) (?:(?:both|all|each|are|being) )?"
                         r"diode[- ]connected)?\)?", r.low):
        side = m.group(2)
        if "diode" in m.group(0):
            r.claim("structure", {"feature": "diode_connected"}, m.start(), m.end())
        if side in ("output", "copy", "mirror"):
            r.claim("structure", {"feature": "cascode"}, m.start(), m.end())
        else:
            r.consume(m.start(), m.end())
    for m in re.finditer(r"(?:with |and )?diode[- ]connected(?: (?:transistors?|devices?|mosfets?|input side))?",
                         r.low):
        if all(r.used[m.start():m.end()]):
            continue
        r.claim("structure", {"feature": "diode_connected"}, m.start(), m.end())
    for m in re.finditer(r"(?:an? |the )?cascoded? (?:output|copy|out)(?: stage| side| branch| devices?| transistors?)?",
                         r.low):
        r.claim("structure", {"feature": "cascode"}, m.start(), m.end())
    refs = [p.name.lower() for p in (r.interface.ports if r.interface else ()) if p.role.value == "bias_i"]
    for m in re.finditer(r"(?:an? |the )?(?:reference|ref\.?|input) current(?: source)?(?: input| port| pin)?"
                         r"(?: (\w+))?(?: \((?:connected|tied) (?:to|from) (?:the )?vdd\)| (?:connected|tied) "
                         r"(?:to|from) (?:the )?vdd| from (?:the )?vdd)?", r.low):
        name = m.group(1)
        if not refs or (name and name not in refs and name not in ("and", "with", "into", "at")):
            continue
        end = m.end() if not name or name in refs or "vdd" in m.group(0) else m.start(1) - 1
        # a reference current into the pin from vdd is the judge's convention for a current input
        r.consume(m.start(), end)


def _miller(r) -> None:
    if r.family not in ("amplifier", "opamp", "ldo", "comparator"):
        return
    pat = (r"(?:(?:a|the|one|with) )?(?:miller[- ](?:compensation[- ])?|compensation[- ]|pole[- ]splitting[- ]|"
           r"frequency[- ]compensation[- ])(?:capacitor|cap)\b(?: (?:cc|cm|ccomp|c_c)\b)?|"
           r"compensated (?:with|by|using) (?:a |the )?(?:miller )?(?:capacitor |cap )?(?:cc|cm|ccomp|c_c)\b|"
           r"compensated (?:with|by|using) (?:a |the )?(?:miller )?(?:capacitor|cap)\b|"
           r"pole[- ]splitting(?: compensation)?|miller[- ]compensated")
    for m in re.finditer(pat, r.low):
        r.claim("structure", {"feature": "miller_compensation"}, m.start(), m.end())


STABLE_PM_DEG = 45.0  # the textbook margin of "stable" (unity-gain feedback without ringing to speak of)


def _stability(r) -> None:
    """"(unity-gain) stable", "for stability", "stabilized": a phase-margin target (the judge
    measures it on the open-loop response) unless the request states a margin itself."""
    if r.family not in ("amplifier", "opamp"):
        return
    stated = bool(re.search(r"phase[- ]margin|\bpm\b", r.low))  # a stated margin is read with its number
    pat = (r"(?:(?:to be |and |is |it is |must be |remain |remains )?(?:unity[- ]gain[- ])?stable(?: in (?:unity[- ]gain )?"
           r"(?:negative )?feedback| with unity[- ]gain feedback| as a (?:unity[- ]gain )?(?:follower|buffer))?)|"
           r"(?:for|to ensure|ensuring|to guarantee|guaranteeing) (?:closed-loop |loop )?stability|"
           r"stabili[sz]ed|(?:frequency[- ])?compensated for stability")
    for m in re.finditer(pat, r.low):
        # "unity-gain stable" is a stability statement, not a gain of one
        r.claims[:] = [c for c in r.claims if not (c.start >= m.start() and c.end <= m.end() and (
            c.kind == "polarity" or (c.kind == "target" and c.params.get("figure") == "gain_vv")))]
        if stated:
            r.consume(m.start(), m.end())
        else:
            r.claim("target", {"figure": "pm_deg", "op": ">=", "value": STABLE_PM_DEG}, m.start(), m.end())


def _differential_cs(r) -> None:
    if r.family not in ("opamp", "amplifier"):
        return
    for m in re.finditer(r"differential (?:common[- ]source|cs)(?: (?:stage|pair|amplifier))?", r.low):
        r.claim("structure", {"feature": "diff_pair"}, m.start(), m.end())
    for m in re.finditer(r"(?:and |with )?(?:a )?(?:single|one|single-ended) output\b", r.low):
        outs = [p for p in (r.interface.outputs if r.interface else ())]
        if len(outs) <= 1:
            r.consume(m.start(), m.end())  # the port list has one output: that is what the design gets
    for m in re.finditer(r"\b(?:dual|two|twin|a pair of) (?=resist(?:ive|or) loads?)", r.low):
        r.consume(m.start(), m.end())
        # "two resistor loads" says what loads the pair, not that the whole design has two resistors
        # (an internal bias resistor is no load): the load requirement covers it
        r.claims[:] = [c for c in r.claims if not (c.kind == "device_count" and c.params.get("device") == "resistor"
                                                   and c.start == m.start())]


# an element named by its role is that structure, not just one more element of its kind: a bias
# resistor must not count as "the feedback resistor", nor a divider resistor as "the degeneration resistor"
_ROLE_STRUCTURES = (
    (r"\bfeedback\b", ("amplifier", "opamp_app", "schmitt", "comparator"), ("structure", {"feature": "feedback"})),
    (r"\b(?:degeneration|source|emitter|emitter/source)\b", ("amplifier",),
     ("structure", {"feature": "source_degeneration"})),
    (r"\b(?:load|drain)\b(?= resistor)", ("amplifier",), ("load_type", {"load": "resistor"})),
)


def _element_roles(r) -> None:
    for c in list(r.claims):
        if c.kind != "device_count" or c.params.get("min") != 1 or c.params.get("max") is not None:
            continue
        phrase = r.low[c.start:c.end]
        for pattern, families, (kind, params) in _ROLE_STRUCTURES:
            if r.family in families and re.search(pattern, phrase):
                if kind == "structure" and params["feature"] == "source_degeneration" and \
                        c.params.get("device") != "resistor":
                    continue
                if kind == "load_type" and c.params.get("device") != "resistor":
                    continue
                r.claim(kind, dict(params), c.start, c.end)


__all__ = ["read"]
