"""Reader pass for differential op-amp descriptions (hooked into :func:`chipsmith.agents.reader.read`).

Reads, as requirements with their source spans:

- "differential op-amp/OTA/amplifier" in an op-amp request: the op-amp's input pair
  (``structure diff_pair``);
- "an active PMOS current-mirror load": the mirror load with its polarity
  (``load_type mirror`` + ``structure current_mirror`` on that polarity);
- per-stage descriptions, "(first stage: common-source with an active load and a tail
  current, second stage: common-source with an active load)": each load read inside a
  stage's segment becomes that stage's load (``load_type`` with ``stage``), and the stage
  words themselves are consumed by those requirements;
- counts with their role, "4 nmos as cascode input pair", "4 pmos as cascode loads",
  "1 tail current (source)": ``device_count`` scoped to the devices playing that role
  (``role`` input_pair / load / tail, checked by the judge on the netlist graph).
"""
from __future__ import annotations

import re

_NUM = {"one": 1, "single": 1, "two": 2, "dual": 2, "three": 3, "four": 4, "five": 5, "six": 6, "eight": 8}
_COUNT = r"(\d+|one|single|two|dual|three|four|five|six|eight)"
_DEV = r"(nmos|pmos|n-?channel|p-?channel|nfets?|pfets?|transistors?|mosfets?|devices?)"
_ORDINAL = {"first": 1, "1st": 1, "input": 1, "second": 2, "2nd": 2, "output": 2, "third": 3, "3rd": 3}

# role words -> role; "cascode input pair" = the pair and the cascodes stacked on it
_ROLES = (
    (r"(?:(?:the |a )?(?:cascoded? )?(?:differential )?input (?:differential )?pair|(?:cascoded? )?input "
     r"(?:transistors|devices)|(?:cascoded? )?differential pair)", "input_pair"),
    (r"(?:(?:the |a )?(?:cascoded? |active |current[- ]source )?loads?|(?:cascoded? )?load (?:transistors|devices))",
     "load"),
    (r"(?:(?:the |a )?tail(?: current)?(?: source| sink| transistor| device)?)", "tail"),
)


def _device(word: str) -> str:
    w = word.lower()
    w = w[:-1] if w.endswith("s") and w not in ("nmos", "pmos") else w
    if w.startswith(("n-", "nch", "nfet")) or w == "nmos":
        return "nmos"
    if w.startswith(("p-", "pch", "pfet")) or w == "pmos":
        return "pmos"
    return "mosfet"


def read(r) -> None:
    """Claim the differential op-amp phrases of reader ``r`` (a ``reader._Reader``)."""
    if r.family not in ("opamp", "amplifier", "comparator"):
        return
    low = r.low
    if r.family == "opamp":
        for m in re.finditer(r"\b(?:fully[- ])?differential(?=[- ](?:(?:two|three|single|one|\d)[- ]stage )?"
                             r"(?:op-?\s?amps?|opamps?|operational|ota|cascode|telescopic|folded|amplifier))", low):
            if r.free(m.start(), m.end()):
                r.claim("structure", {"feature": "diff_pair"}, m.start(), m.end())
        # "..., fully differential": both outputs (the interface's pair) move in opposite senses
        for m in re.finditer(r"\bfully[- ]differential(?: outputs?)?|\bdifferential outputs?", low):
            if r.free(m.start(), m.end()):
                r.claim("structure", {"feature": "diff_pair"}, m.start(), m.end())
    for m in re.finditer(r"\bactive (?:(nmos|pmos) )?(?:current[- ])?mirror(?:[- ]loads?)?|"
                         r"\b(?:(nmos|pmos) )?active (?:current[- ])?mirror(?:[- ]loads?)?", low):
        dev = m.group(1) or m.group(2)
        if not all(r.used[m.start():m.end()]):
            r.claim("load_type", {"load": "mirror"}, m.start(), m.end())
            r.claim("structure", {"feature": "current_mirror", **({"device": dev} if dev else {})},
                    m.start(), m.end())
    for m in re.finditer(r"\b(nmos|pmos)[- ](?:active|current[- ]source)[- ]loads?", low):
        if not all(r.used[m.start():m.end()]):  # "PMOS active loads": the loads' polarity
            r.claim("device_count", {"device": m.group(1), "min": 1}, m.start(), m.end())
            if r.free(m.start() + len(m.group(1)) + 1, m.end()):
                r.claim("load_type", {"load": "active"}, m.start(), m.end())
    _read_role_counts(r)
    _read_stage_segments(r)
    _read_bias_jobs(r)


def _read_role_counts(r) -> None:
    """"4 nmos as cascode input pair" -> device_count (nmos, 4, role input_pair)."""
    low = r.low
    for pattern, role in _ROLES:
        pat = (r"(?<![\w.])" + _COUNT + r"[- ](?:" + _DEV + r"[- ])?(?:(?:transistors?|devices?|mosfets?)[- ])?"
               r"(?:(?:as|for|in|forming|form|making up|used as|acting as)(?: the| an?)?[- ])?" + pattern + r"\b")
        for m in re.finditer(pat, low):
            word, dev_word = m.group(1), m.group(2)
            n = int(word) if word.isdigit() else _NUM[word]
            dev = _device(dev_word) if dev_word else ("nmos" if role == "tail" else "mosfet")
            if role == "tail" and dev_word is None and n == 1:
                r.claim("structure", {"feature": "tail_source"}, m.start(), m.end())
            r.claim("device_count", {"device": dev, "min": n, "max": n, "role": role}, m.start(), m.end())
            if "cascode" in m.group(0) and role == "load":
                r.claim("load_type", {"load": "cascode"}, m.start(), m.end())
            elif "cascode" in m.group(0):
                r.claim("structure", {"feature": "cascode"}, m.start(), m.end())


def _read_stage_segments(r) -> None:
    """Per-stage descriptions: loads inside "first stage: ..." belong to stage 1, and so on."""
    low = r.low
    words = "first|1st|second|2nd|third|3rd" + ("|input|output" if r.family == "opamp" else "")
    counts = [c.params["count"] for c in r.claims if c.kind == "stage_count"]
    last = counts[0] if counts else 2
    marks = [(m.start(), m.end(), last if m.group(1) == "output" else _ORDINAL[m.group(1)]) for m in
             re.finditer(r"\b(" + words + r")[- ]stage\b\s*(?:[:(,-]|is|uses|has|with)?", low)]
    if not marks:
        return
    for k, (s, e, stage) in enumerate(marks):
        end = marks[k + 1][0] if k + 1 < len(marks) else len(low)
        # a segment ends at the closing bracket or sentence end that follows it
        stop = re.search(r"[).;]", low[e:end])
        seg_end = e + stop.start() if stop else end
        loads = [c for c in r.claims if c.kind == "load_type" and "stage" not in c.params
                 and s <= c.start < seg_end]
        for c in loads:
            c.params["stage"] = stage
        if loads or any(c.start >= s and c.end <= seg_end and c.kind in ("structure", "load_type")
                        for c in r.claims):
            r.consume(s, e)
            # "common-source with": the stage kind the stage count and its load describe
            for m in re.finditer(r"(?:an? )?common[- ]source(?: stage| amplifier)?(?: with)?", low[e:seg_end]):
                r.consume(e + m.start(), e + m.end())
    # the opening bracket and separators between stages carry no meaning of their own
    for m in re.finditer(r"\(\s*(?=first|1st)", low):
        r.consume(m.start(), m.end())


_PART = (r"(?:(?:the|a|an|its) )?(?:(?:first|second|1st|2nd|input|output)[- ]stage(?:'s)? )?(?:(nmos|pmos) )?"
         r"(?:(?:the|a|an) )?"
         r"(tail(?: current)?(?: source| sink| transistor| device)?|(?:active |current[- ]source |cascode(?:d)? )?loads?"
         r"(?: transistors| devices)?|(?:input |output )?cascodes?(?: devices| transistors| gates)?|"
         r"current[- ]sources?(?! loads?))(?: gates?(?: voltages?)?| bias(?: voltages?)?)?")


def _read_bias_jobs(r) -> None:
    """"the PMOS loads biased by Vb2", "Vb1 biases the tail", "cascode gate voltage VB3":
    ``bias_port`` (the judge checks the port reaches those devices' gates)."""
    if r.interface is None:
        return
    from chipsmith.spice.requirements import PortRole

    low = r.low
    names = r.ports_of(PortRole.BIAS_V)
    for name in names:
        n = re.escape(name.lower())
        others = "|".join(re.escape(o.lower()) for o in names if o != name) or "(?!)"
        forms = (_PART + r"\s+(?:is |are )?(?:biased|driven|set|controlled|fed) (?:by|from|with|through|at|via) "
                 r"(?:the )?(?:bias (?:voltage|port|input) )?(?:port )?" + r"(" + n + r")(?![\w])",
                 r"(?<![\w])(" + n + r")\s*(?:\)\s*)?(?:biases|drives|sets|controls|feeds|is for|for|as|is|=)\s+"
                 r"(?:the )?(?:bias (?:voltage )?(?:of|for) |gate (?:voltage )?(?:of|for) )?" + _PART,
                 _PART + r"\s*(?:\(|:|=|is|at)?\s*(" + n + r")(?![\w])",
                 # the rest of a list: "VB1 biases the tail, VB2 the NMOS cascodes and VB3 ..."
                 r"(?<![\w])(" + n + r")\s+the\s+" + _PART,
                 # "Vb2 and Vb3 for the second-stage loads": every port of the list
                 r"(?<![\w])(" + n + r")(?:(?:\s*,\s*|\s+and\s+|\s*,\s*and\s+)(?:" + others + r"))+\s+"
                 r"(?:are |is )?(?:for|bias|biases|drive|drives|set|sets)\s+(?:the )?" + _PART,
                 r"(?<![\w])(?:(?:" + others + r")(?:\s*,\s*|\s+and\s+|\s*,\s*and\s+))+(" + n + r")\s+"
                 r"(?:are |is )?(?:for|bias|biases|drive|drives|set|sets)\s+(?:the )?" + _PART)
        for k, pattern in enumerate(forms):
            for m in re.finditer(pattern, low):
                if k == 3 and not re.search(r"\b(?:biases|bias|drives|sets|controls|feeds)\b",
                                            low[max(0, m.start() - 120):m.start()]):
                    continue
                if k in (1, 3, 4, 5):
                    port_g, pol, part = m.group(1), m.group(2), m.group(3)
                else:
                    pol, part, port_g = m.group(1), m.group(2), m.group(3)
                if k == 2 and not re.search(r"bias|gate", m.group(0)):
                    continue  # "the tail Vb1" alone says nothing about biasing
                drives = "tail" if part.startswith("tail") else ("cascode" if part.startswith(
                    ("cascode", "input cascode", "output cascode")) and "load" not in part else "load")
                params = {"port": name, "drives": drives, **({"device": pol} if pol else {})}
                if any(c.kind == "bias_port" and c.params == params for c in r.claims):
                    r.consume(m.start(), m.end())
                    continue
                r.claim("bias_port", params, m.start(), m.end())
