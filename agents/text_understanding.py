"""Free text -> :class:`~chipsmith.agents.spec.Spec`: rules first, retrieval second.

Rules know the circuit families (patterns for kinds, input polarity, stage count,
compensation, load, targets with units, supply, closed-loop gain, time constant,
oscillation frequency). When no rule names a kind, the text is matched against the kind
catalog (descriptions and synonyms) and the subcircuit library's block descriptions and
tags by token overlap (idf-weighted); a library hit maps to a kind through its block
type. Every decision is recorded as a reason for the transcript.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

from chipsmith.agents.kinds import KINDS, get_kind
from chipsmith.agents.spec import Spec, Targets, parse_quantity
from chipsmith.errors import InputError

# Most specific first: the first pattern that matches names the kind.
KIND_RULES: tuple[tuple[str, str], ...] = (
    (r"folded[- ]?cascode", "folded_cascode"),
    (r"telescopic", "telescopic"),
    (r"\bldo\b|low[- ]?dropout|linear regulator|voltage regulator", "ldo"),
    (r"schmitt|hysteresis", "schmitt"),
    (r"ring[- ]?osc|oscillat|\bvco\b", "ring_oscillator"),
    (r"band[- ]?gap|\bbgr\b", "bandgap"),
    (r"beta[- ]?multiplier|constant[- ]?gm|current reference|self[- ]biased", "beta_multiplier"),
    (r"comparator", "comparator"),
    (r"integrator", "integrator"),
    (r"differentiator", "differentiator"),
    (r"summ(er|ing)|adder", "summer"),
    (r"subtract|difference amplifier", "subtractor"),
    (r"non[- ]?inverting (amp|amplifier|gain|stage|configuration)", "noninverting_amp"),
    (r"(?<!non-)(?<!non)(?<!non )inverting (amp|amplifier|gain stage|configuration)", "inverting_amp"),
    (r"wilson", "mirror_wilson"),
    (r"cascode[d]? (current )?mirror", "mirror_cascode"),
    (r"current mirror|\bmirror\b(?! load)|current sink", "mirror_simple"),
    (r"two[- ]stage|2[- ]stage|miller", "two_stage_opamp"),
    (r"\b5t\b|five[- ]transistor|\bota\b|(mirror|active) load", "ota5t"),
    (r"cascode", "cascode_amp"),
    (r"source[- ]follower|common[- ]drain|voltage buffer|level shifter", "source_follower"),
    (r"common[- ]source|\bcs (amp|amplifier|stage)\b|single[- ]transistor amplifier", "cs_amp"),
    (r"differential (amp|amplifier|pair)|diff[- ]?(amp|pair)|long[- ]tailed", "diff_amp"),
    (r"\binverter\b|not gate", "inverter"),
    (r"op[- ]?amp|operational amplifier", "two_stage_opamp"),
)

_NUM = r"([-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?)"


@dataclass(frozen=True)
class Understanding:
    """The spec read from text and why (one reason per decision)."""

    spec: Spec
    reasons: tuple[str, ...]
    retrieved: tuple[tuple[str, float], ...] = ()


def _tokens(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def retrieve(text: str, library=None, top: int = 3) -> list[tuple[str, float]]:
    """Kinds ranked by idf-weighted token overlap with their catalog entries and library blocks."""
    docs: dict[str, list[str]] = {k.name: _tokens(k.description + " " + " ".join(k.synonyms) + " " +
                                                  k.name.replace("_", " ")) for k in KINDS}
    if library is not None:
        for block in getattr(library, "blocks", {}).values() if isinstance(getattr(library, "blocks", None), dict) \
                else getattr(library, "blocks", ()):
            kind = block_kind(block)
            if kind:
                docs[kind] = docs[kind] + _tokens(f"{block.description} {' '.join(block.tags)}")
    n = len(docs)
    df: dict[str, int] = {}
    for words in docs.values():
        for w in set(words):
            df[w] = df.get(w, 0) + 1
    query = set(_tokens(text)) - {"a", "an", "the", "with", "and", "of", "for", "to", "in", "that", "i", "want",
                                  "need", "design", "circuit", "please", "me", "make", "build"}
    scores = []
    for name, words in docs.items():
        have = set(words)
        hits = [w for w in query if w in have]
        # one shared word is chance ("a flux capacitor"), two or more is evidence
        s = sum(math.log(1 + n / df[w]) for w in hits) if len(hits) >= 2 else 0.0
        scores.append((name, s))
    scores.sort(key=lambda t: -t[1])
    return [(k, round(s, 3)) for k, s in scores[:top] if s > 0]


_TYPE_TO_KIND = {"current_mirror": "mirror_simple", "mirror": "mirror_simple", "inverter": "inverter",
                 "comparator": "comparator", "bandgap": "bandgap", "reference": "beta_multiplier",
                 "bias": "beta_multiplier", "diff_pair": "diff_amp", "differential_pair": "diff_amp",
                 "cs_stage": "cs_amp", "common_source": "cs_amp", "common_drain": "source_follower",
                 "source_follower": "source_follower", "cascode": "cascode_amp", "folded_cascode": "folded_cascode",
                 "opamp": "two_stage_opamp", "ota": "ota5t"}


def block_kind(block) -> str | None:
    """The circuit kind a library block's type and name suggest (None: no kind of its own)."""
    text = f"{getattr(block, 'type', '')} {getattr(block, 'name', '')}".lower()
    if "wilson" in text:
        return "mirror_wilson"
    if "cascode" in text and "mirror" in text:
        return "mirror_cascode"
    if "beta" in text:
        return "beta_multiplier"
    for key, kind in _TYPE_TO_KIND.items():
        if key in text:
            return kind
    return None


def _load_library():
    try:
        from chipsmith.spice.library import load_library

        return load_library()
    except Exception:  # the library is optional for understanding; rules still work
        return None


def understand(text: str, *, library=None, use_library: bool = True) -> Understanding:
    """Read a design request. Raises ``InputError`` naming the known kinds when nothing fits."""
    raw = " ".join(str(text).split())
    low = raw.lower()
    reasons: list[str] = []
    kind = None
    for pattern, name in KIND_RULES:
        match = re.search(pattern, low)
        if match:
            kind = name
            reasons.append(f"rule: '{match.group(0)}' -> kind {name}")
            break
    retrieved: list[tuple[str, float]] = []
    if kind is None:
        lib = library if library is not None else (_load_library() if use_library else None)
        retrieved = retrieve(low, lib)
        if retrieved and retrieved[0][1] >= 3.0:
            kind = retrieved[0][0]
            reasons.append(f"retrieval: best match {kind} (score {retrieved[0][1]:g}; others "
                           + ", ".join(f"{k} {s:g}" for k, s in retrieved[1:]) + ")")
    if kind is None:
        raise InputError(f"cannot tell which circuit {raw[:60]!r} asks for",
                         fix="name a circuit such as: two-stage op-amp, folded cascode, current mirror, "
                             "inverting amplifier, integrator, Schmitt trigger, ring oscillator, bandgap "
                             "(or pass a spec file with kind:)")
    fields: dict = {"kind": kind, "text": raw}
    k = get_kind(kind)
    if re.search(r"pmos[- ]input|pmos (differential |diff |input )?pair|p-?channel input|pmos-input", low):
        fields["input_polarity"] = "pmos"
        reasons.append("rule: PMOS input pair")
    elif re.search(r"nmos[- ]input|nmos (differential |diff |input )?pair|n-?channel input", low):
        fields["input_polarity"] = "nmos"
        reasons.append("rule: NMOS input pair")
    if re.search(r"two[- ]stage|2[- ]stage", low):
        fields["stages"] = 2
    elif re.search(r"single[- ]stage|one[- ]stage", low):
        fields["stages"] = 1
    if "nulling resistor" in low or "zero[- ]nulling" in low:
        fields["compensation"] = "miller_rz"
        reasons.append("rule: Miller compensation with nulling resistor")
    elif "miller" in low and k.family == "opamp":
        fields["compensation"] = "miller"
        reasons.append("rule: Miller compensation")
    if re.search(r"current[- ]source load|active load", low) and kind == "cs_amp":
        fields["load"] = "current_source"
    elif re.search(r"resistor load|resistive load|resistively loaded", low) and kind == "cs_amp":
        fields["load"] = "resistor"
    targets: dict[str, float] = {}
    m = re.search(_NUM + r"\s*db", low)
    if m and k.family in ("opamp", "amplifier"):
        targets["gain_db"] = float(m.group(1))
    m = re.search(r"(gbw|gain[- ]bandwidth|unity[- ]gain (?:frequency|bandwidth)|ugf|bandwidth)\D{0,25}?"
                  + _NUM + r"\s*(ghz|mhz|khz|hz)", low)
    if m:
        targets["gbw_hz"] = parse_quantity(m.group(2) + {"ghz": "GHz", "mhz": "MHz", "khz": "kHz",
                                                          "hz": "Hz"}[m.group(3)], "GBW")
    m = re.search(r"phase margin\D{0,20}?" + _NUM, low) or re.search(_NUM + r"\s*(?:deg|°)\w*\s*(?:of )?phase",
                                                                      low)
    if m:
        targets["pm_deg"] = float(m.group(1))
    m = re.search(r"power\D{0,25}?" + _NUM + r"\s*(m|u|µ)?w\b", low)
    if m:
        targets["power_w"] = float(m.group(1)) * {"m": 1e-3, "u": 1e-6, "µ": 1e-6, None: 1.0}[m.group(2)]
    m = re.search(r"swing\D{0,20}?" + _NUM + r"\s*v\b", low)
    if m:
        targets["swing_v"] = float(m.group(1))
    if k.family == "oscillator":
        m = re.search(_NUM + r"\s*(ghz|mhz|khz)", low)
        if m:
            targets["frequency_hz"] = float(m.group(1)) * {"ghz": 1e9, "mhz": 1e6, "khz": 1e3}[m.group(2)]
    if targets:
        fields["targets"] = Targets(**targets)
        reasons.append("targets: " + ", ".join(f"{a}={b:g}" for a, b in targets.items()))
    m = re.search(_NUM + r"\s*v\s+supply|supply\D{0,12}?" + _NUM + r"\s*v\b|vdd\s*=\s*" + _NUM, low)
    if m:
        fields["vdd"] = float(next(g for g in m.groups() if g))
        reasons.append(f"supply {fields['vdd']:g} V")
    if k.family == "regulator":
        m = re.search(_NUM + r"\s*v\s+(?:output|out)\b|(?:output|vout)\D{0,12}?" + _NUM + r"\s*v\b", low)
        if m:
            fields["vout"] = float(next(g for g in m.groups() if g))
            reasons.append(f"regulated output {fields['vout']:g} V")
    if k.family == "opamp_app":
        m = re.search(r"gain (?:of )?" + _NUM + r"(?!\s*db)", low)
        if m:
            fields["closed_loop_gain"] = abs(float(m.group(1)))
            reasons.append(f"closed-loop gain {fields['closed_loop_gain']:g}")
        m = re.search(r"(?:time constant|tau|rc)\D{0,12}?" + _NUM + r"\s*(ms|us|µs|ns|s)\b", low)
        if m:
            fields["time_constant_s"] = float(m.group(1)) * {"ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9,
                                                              "s": 1.0}[m.group(2)]
    return Understanding(Spec(**fields), tuple(reasons), tuple(retrieved))
