"""Reading goal requests (issue 12): "maximise the gain", "best GBW per mW", "no positive feedback".

:func:`read_goals` is one pass of :mod:`chipsmith.agents.reader`: it claims, with their
spans,

- a ``goal`` requirement (figure + direction) for phrases such as "maximizes voltage
  gain", "the highest gain you can get", "optimise for gain", "maximizes Gain-Bandwidth
  Product (GBW)", "GBW as high as possible", "maximizes GBW/Power (FoM)", "best GBW per
  mW", "the best figure of merit";
- ``stage_count >= 2`` for "multi-stage" / "multistage" / "multiple stages";
- ``structure positive_feedback present=false`` for "preventing / avoiding / without /
  no positive feedback";
- the family when the request names none ("the highest gain you can get from one stage"
  with one input is an amplifier, with a differential pair an op-amp).

A figure followed by a number ("maximum gain of 60 dB") is a target, not a goal, and is
left to the quantity reader.
"""
from __future__ import annotations

import re

from chipsmith.spice.requirements import PortRole

# (figure, pattern); the first that matches a span wins, so the figure of merit comes before
# GBW and GBW before gain ("gain-bandwidth" is not a gain)
_FIGURES: tuple[tuple[str, str], ...] = (
    ("gbw_per_w",
     r"(?:gbw|gbp|ugb|gain[- ]bandwidth(?:[- ]product)?|bandwidth)\s*(?:/|per|over|to|-to-)\s*"
     r"(?:power(?: consumption| dissipation)?|mw|milliwatts?|watts?|w|unit power|µw|uw)\b"
     r"(?:\s*\((?:fom|figure[- ]of[- ]merit)\))?|figures?[- ]of[- ]merit(?:\s*\((?:fom|gbw\s*/\s*power)\))?|"
     r"\bfom\b(?:\s*\((?:gbw|gain[- ]bandwidth)[^)]{0,20}\))?|power[- ]efficien(?:cy|t)(?:\s*\((?:gbw|gain[- ]bandwidth)"
     r"[^)]{0,30}\))?"),
    ("gbw_hz",
     r"gain[- ]bandwidth(?:[- ]product)?(?:\s*\((?:gbw|gbp)\))?|\bgbw\b|\bgbp\b|"
     r"unity[- ]gain (?:bandwidth|frequency)(?:\s*\((?:ugb|ugbw|ugf)\))?|\bugbw?\b|\bugf\b"),
    ("gain_vv",
     r"(?:(?:open[- ]loop|dc|voltage|small[- ]signal|low[- ]frequency|differential|intrinsic)[- ])*gain\b"
     r"(?:\s*\((?:av|a_v|a0|dc gain)\))?"),
)
_BEFORE = (r"(?:maximi[sz]\w*|optimi[sz]\w*(?: (?:for|toward|towards))?|highest|largest|greatest|maximum|"
           r"maximal|\bmax\b|best|most|biggest|as (?:much|high|large) (?:\w+ )?as possible|push(?:es|ing)? up)")
_AFTER = (r"\s*(?:is |should be |to be |gets |are )?(?:maximi[sz]ed|as (?:high|large|big) as possible|"
          r"at (?:its|a|the) maximum|optimi[sz]ed|maximal)")
_FILLER = r"(?:\s+(?:the|its|a|an|possible|achievable|attainable|overall|total|for|of|in|on))*\s+"
_NUMBER_AFTER = re.compile(r"\s*(?:of|=|:|at least|above|over|>=?|around|about|near)?\s*[-+]?\d")
_NO_POSITIVE_FEEDBACK = re.compile(
    r"(?:prevent(?:ing|s)?|avoid(?:ing|s)?|without|with no|no|free (?:of|from)|must not (?:use|have|contain)|"
    r"(?:do|does|should|must) not (?:use|have|contain|rely on)|don'?t (?:use|have)|never (?:use|uses)|"
    r"exclud(?:e|ing)|forbid(?:s|ding)?|disallow(?:s|ing)?|but no)\s+(?:any\s+|the\s+|a\s+)?"
    r"positive[- ]feedback(?: loops?| paths?)?")
_MULTI = re.compile(r"multi-?\s?stage|multiple (?:gain )?stages|several (?:gain )?stages|more than one (?:gain )?stage")


def _figure_at(low: str, start: int) -> tuple[str, int, int] | None:
    """The goal figure whose phrase starts at ``start`` (after fillers), or None."""
    for figure, pattern in _FIGURES:
        m = re.compile(pattern).match(low, start)
        if m:
            return figure, m.start(), m.end()
    return None


def read_goals(r) -> None:
    """Claim goal atoms on the reader ``r`` (a ``chipsmith.agents.reader._Reader``)."""
    low = r.low
    for m in _NO_POSITIVE_FEEDBACK.finditer(low):
        r.claim("structure", {"feature": "positive_feedback", "present": False}, m.start(), m.end())
    for m in _MULTI.finditer(low):
        if r.free(m.start(), m.end()):
            r.claim("stage_count", {"count": 2, "op": ">="}, m.start(), m.end())
    goals = []
    for m in re.finditer(_BEFORE, low):
        f = re.compile(_FILLER).match(low, m.end())
        at = f.end() if f else m.end() + (1 if low[m.end():m.end() + 1] == " " else 0)
        hit = _figure_at(low, at)
        if hit is None:
            continue
        figure, _, end = hit
        if _NUMBER_AFTER.match(low, end):
            continue  # "maximum gain of 60 dB": a target for the quantity reader
        goals.append((figure, m.start(), end))
    for figure, pattern in _FIGURES:
        for m in re.finditer("(?:" + pattern + ")" + _AFTER, low):
            goals.append((figure, m.start(), m.end()))
    seen = set()
    for figure, s, e in sorted(goals, key=lambda g: (g[1], -g[2])):
        if not r.free(s, e) or figure in seen:
            continue
        seen.add(figure)
        r.claim("goal", {"figure": figure, "direction": "maximize"}, s, e)
        r.notes.append(f"goal: maximize {figure} from '{r.text[s:e]}'")
    if seen and r.family is None:
        diff = r.interface is not None and bool(r.interface.by_role(PortRole.DIFF_IN_P, PortRole.DIFF_IN_N))
        fam = "opamp" if diff else "amplifier"
        s, e = next((c.start, c.end) for c in r.claims if c.kind == "goal")
        r.family, r.family_span = fam, (s, e)
        r.claim("family", {"family": fam}, s, e)
        r.notes.append(f"family {fam} from the goal and the ports (no circuit named)")


def goal_of(requirements) -> tuple[str, str] | None:
    """(figure, direction) of the first goal requirement, or None."""
    for q in requirements:
        if q.kind == "goal":
            return str(q.params["figure"]), str(q.params["direction"])
    return None
