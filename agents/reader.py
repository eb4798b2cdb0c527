"""Free text -> atomic requirements with their source spans, and coverage accounting.

The reader turns a design request into :class:`~chipsmith.spice.requirements.Requirement`
atoms (circuit family and variant, stage count, loads, input devices, device counts,
named components, polarity, linear relations with coefficients, thresholds and
hysteresis, filter kind/order/implementation/corner, oscillator family and frequency, VCO
control, every figure with its unit, the supply) — each with the span of text it came
from. Coverage accounting: every number (with or without a unit) and every structural
phrase (a word from :data:`STRUCTURAL` such as "stage", "load", "cascode", "inverting",
"filter") must lie inside a span some requirement consumed; whatever does not is listed
in ``unconsumed``, and an unconsumed phrase forbids a success claim. The reader never
guesses what an unread phrase meant.

Contradictions ("a passive amplifier with 40 dB gain", two stage counts, inverting and
non-inverting at once) and empty requests raise :class:`InputError` (exit 2).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Iterable

from chipsmith.errors import InputError
from chipsmith.spice.requirements import (CONDITIONS, FAMILIES, FIGURES, Interface, PortRole, Request, Requirement,
                                          Source)

# --- quantities ---------------------------------------------------------------------------------

_PREFIX = {"f": 1e-15, "p": 1e-12, "n": 1e-9, "u": 1e-6, "µ": 1e-6, "μ": 1e-6, "m": 1e-3, "k": 1e3, "K": 1e3,
           "M": 1e6, "meg": 1e6, "Meg": 1e6, "MEG": 1e6, "g": 1e9, "G": 1e9, "T": 1e12, "": 1.0}
# long unit words -> (scale, unit)
_WORDS: dict[str, tuple[float, str]] = {}
for _stem, _unit in (("volt", "V"), ("amp", "A"), ("ampere", "A"), ("watt", "W"), ("ohm", "ohm"),
                     ("farad", "F"), ("henry", "H"), ("second", "s"), ("hertz", "Hz"), ("decibel", "dB"),
                     ("degree", "deg"), ("bit", "bit")):
    for _pfx, _scale in (("", 1.0), ("milli", 1e-3), ("micro", 1e-6), ("nano", 1e-9), ("pico", 1e-12),
                         ("femto", 1e-15), ("kilo", 1e3), ("mega", 1e6), ("giga", 1e9)):
        _WORDS[_pfx + _stem] = (_scale, _unit)
_WORDS.update({"kilohm": (1e3, "ohm"), "megohm": (1e6, "ohm"), "kohm": (1e3, "ohm"), "mohm": (1e6, "ohm"),
               "hertz": (1.0, "Hz"), "kilohertz": (1e3, "Hz"), "megahertz": (1e6, "Hz"), "gigahertz": (1e9, "Hz"),
               "percent": (1.0, "%"), "times": (1.0, "x")})
_UNIT_WORDS = "|".join(sorted((re.escape(w) for w in _WORDS), key=len, reverse=True))
_SYMBOL = (r"v/[uµμn]?s|v/v|a/a|v_?pp|vp-p|ppm/\s*°?\s*[ck]|ppm|dbc|dbm|db|degrees?|deg|°|hz|ohms?|Ω|ω|"
           r"v|a|w|f|h|s|bits?|%|x|m(?=\s*(?:process|technology|cmos|node|length|channel|devices?|l\b|w\b|,|\.|;|\)|$))")
_NUMBER = r"(?<![\w.])([-+−]?(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][-+]?\d+)?)"
_QTY = re.compile(_NUMBER + r"\s*-?\s*(?:(" + _UNIT_WORDS + r")s?\b|(meg|Meg|MEG|[fpnuµμmkKMgGT])?\s*(" + _SYMBOL
                  + r")(?![a-zA-Z0-9]))", re.IGNORECASE)
_BARE = re.compile(r"(?<![\w.])[-+−]?(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][-+]?\d+)?(?![\w])|(?<![\w.])\d+(?=(?:st|nd|rd|th)\b)")


@dataclass(frozen=True)
class Quantity:
    value: float  # SI
    unit: str     # V A W Hz dB deg ohm F H s V/s ppm % V/V A/A bit x
    start: int
    end: int
    raw: str


def _unit_of(symbol: str) -> str:
    s = symbol.lower().replace(" ", "")
    if s.startswith("v/") and s != "v/v":
        return "V/s"
    if s.startswith("ppm"):
        return "ppm"
    if s in ("db", "dbc", "dbm"):
        return "dB"
    if s in ("deg", "degree", "degrees", "°"):
        return "deg"
    if s in ("ohm", "ohms", "ω"):
        return "ohm"
    if s in ("bit", "bits"):
        return "bit"
    if s in ("vpp", "v_pp", "vp-p"):
        return "V"  # volts peak-to-peak
    return {"hz": "Hz", "v": "V", "a": "A", "w": "W", "f": "F", "h": "H", "s": "s", "%": "%", "x": "x",
            "v/v": "V/V", "a/a": "A/A", "m": "m"}.get(s, s)


def scan_quantities(text: str) -> list[Quantity]:
    """Every number followed by a unit, in SI (``"3 mW"`` -> 0.003 W, ``"10MHz"`` -> 1e7 Hz)."""
    out = []
    for m in _QTY.finditer(text):
        number = float(m.group(1).replace("−", "-"))
        if m.group(2):
            word = m.group(2).lower()
            scale, unit = _WORDS.get(word, _WORDS.get(word.rstrip("s"), (1.0, "")))
        else:
            prefix, symbol = m.group(3) or "", m.group(4)
            unit = _unit_of(symbol)
            if unit == "V/s":
                scale = {"u": 1e6, "µ": 1e6, "μ": 1e6, "n": 1e9}.get(symbol.lower()[2:3], 1.0)
            elif prefix in ("m", "M") and unit in ("Hz", "ohm"):
                scale = 1e6  # "10 mhz" / "1 Mohm": people mean mega
            elif prefix == "M" and unit in ("V", "A", "W", "F", "s"):
                scale = 1e-3  # "3 MW" in a chip request is a shouting milli
            else:
                scale = _PREFIX.get(prefix, _PREFIX.get(prefix.lower(), 1.0))
            if unit == "F" and prefix == "" and symbol == "f":
                continue  # "0.5 f" is no capacitor a request means
            if unit in ("s", "a", "x", "h") and prefix == "" and symbol.lower() in ("s", "a", "h") and \
                    not re.match(r"\s*\)?(?:[ ,.;]|$)", text[m.end():m.end() + 2]):
                continue
        if unit == "ohm" and m.group(3) and m.group(3) in ("M",):
            scale = 1e6
        out.append(Quantity(float(f"{number * scale:.12g}"), unit, m.start(), m.end(), m.group(0)))
    return out


# --- vocabulary ---------------------------------------------------------------------------------

# Phrases a design might ignore; each occurrence must be consumed by a requirement.
STRUCTURAL = re.compile(
    r"\b(?:stages?|loads?|loaded|cascoded?|mirrors?|diode|nmos|pmos|n-?channel|p-?channel|nfets?|pfets?|npn|pnp|"
    r"bjts?|mosfets?|transistors?|resistors?|resistive|capacitors?|capacitive|inductors?|non-?\s?inverting|"
    r"inverting|differential|single-ended|fully[- ]differential|folded|telescopic|miller|compensat\w*|filters?|"
    r"low-?\s?pass|high-?\s?pass|band-?\s?pass|band-?\s?stop|band-?\s?reject|notch|order|passive|active|"
    r"oscillat\w*|ring|phase-?\s?shift|wien|colpitts|hartley|relaxation|crystal|vco|control\w*|tun(?:ing|able)|"
    r"hysteresis|thresholds?|trip|schmitt|comparators?|followers?|buffers?|unity|integrat\w*|differentiat\w*|"
    r"adders?|summ\w+|sum|subtract\w*|difference|bandgap|band-gap|ldo|regulat\w*|references?|mixers?|gilbert|"
    r"sample|hold|pll|dac|adc|tail|degenerat\w*|feedback|cross-coupled|push-pull|class|rail-to-rail|cmfb|"
    r"gain-?boost\w*|sinks?|startup|start-up|common-?\s?(?:source|gate|drain)|latch\w*|switch\w*|"
    r"transmission|r-?2r|flash|sar|sallen-?key|biquad|butterworth|chebyshev|bessel|elliptic|pole|zeros?|"
    r"gain|bandwidth|margin|power|swing|offset|slew|noise|cmrr|psrr|dropout|amplitude|frequency|corner|"
    r"cut-?off|inverter|amplif\w*|op-?\s?amps?|opamps?|ota|wilson|widlar|beta-?multiplier|ptat|ctat|"
    r"push|pull|output stage|current[- ]sources?)\b", re.IGNORECASE)

_NUMWORDS = {"zero": 0, "no": 0, "one": 1, "single": 1, "two": 2, "dual": 2, "three": 3, "four": 4, "five": 5,
             "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "first": 1, "second": 2, "third": 3,
             "fourth": 4, "1st": 1, "2nd": 2, "3rd": 3, "4th": 4}
_COUNT = r"(\d+|zero|one|single|two|dual|three|four|five|six|seven|eight|nine|ten)"
_ORD = r"(\d+|first|second|third|fourth|1st|2nd|3rd|4th|one|two|three|four)"

# (pattern, family, variant); the first family found in this order is the circuit asked for.
FAMILY_RULES: tuple[tuple[str, str, str | None], ...] = (
    (r"\bpll\b|phase[- ]locked[- ]loop|frequency synthesi[sz]er|clock multiplier", "pll", None),
    (r"sample[- ](?:and|&)[- ]hold|track[- ](?:and|&)[- ]hold|\bs/h\b|\bs&h\b|sample[- ]hold", "sample_hold", None),
    (r"\bflash\b[\w -]{0,20}?\badc\b(?! comparator)|\bflash (?:converter)", "adc", "flash"),
    (r"\bsar\b[\w -]{0,20}?\badc\b|successive[- ]approximation", "adc", "sar"),
    (r"\b(?:adc|dac|line|cable|headphone|speaker) driver(?: amplifier)?", "amplifier", None),
    (r"\badc\b(?! comparator)|analog[- ]to[- ]digital(?: converter)?", "adc", None),
    (r"\br-?2r\b[\w -]{0,20}?\bdac\b|\br-?2r ladder", "dac", "r2r"),
    (r"binary[- ]weighted[\w -]{0,20}?\bdac\b", "dac", "binary_weighted"),
    (r"current[- ]steering[\w -]{0,20}?\bdac\b", "dac", "current_steering"),
    (r"\bdac\b|digital[- ]to[- ]analog(?: converter)?", "dac", None),
    (r"(?:flash[- ]?)?adc comparator(?: slice)?|comparator slice", "comparator", None),
    (r"telescopic[- ](?:style|like|type) (?:\w+[- ]?)*?(?:cascode )?(?:stage|amplifier|amp)", "amplifier", "cascode"),
    (r"gilbert(?:[- ]cell)?(?: mixer| multiplier)?", "mixer", "gilbert"),
    (r"double[- ]balanced (?:\w+ )?(?:mixer|multiplier)|four[- ]quadrant (?:analog(?:ue)? )?(?:multiplier|mixer)|"
     r"(?:analog(?:ue)?|voltage) multiplier", "mixer", "gilbert"),
    (r"single[- ]balanced (?:\w+ )?mixer", "mixer", "single_balanced"),
    (r"passive (?:[\w-]+ ){0,2}mixer", "mixer", "passive"),
    (r"\bmixer\b", "mixer", None),
    (r"ring[- ]oscillator[- ]based vco|ring vco|\bvco\b[\w -]{0,30}?\bring\b|ring[- ]oscillator vco", "vco", "ring"),
    (r"relaxation vco", "vco", "relaxation"),
    (r"\bvco\b \(ring(?:[- ]type| based)?\)|ring[- ]type vco|current[- ]starved (?:ring )?vco", "vco", "ring"),
    (r"\blc[- ]vco\b|lc vco", "vco", "lc"),
    (r"\bvco\b|voltage[- ]controlled (?:ring )?oscillator|current[- ]controlled oscillator|\bcco\b", "vco", None),
    (r"rc[- ]phase[- ]shift(?: oscillator)?|phase[- ]shift oscillator", "oscillator", "rc_phase_shift"),
    (r"wien[- ]bridge(?: oscillator)?|wien oscillator", "oscillator", "wien"),
    (r"\blc(?:[- ]tank)? oscillator|colpitts(?: oscillator)?|hartley(?: oscillator)?|cross[- ]coupled lc", "oscillator",
     "lc"),
    (r"relaxation oscillator|astable(?: multivibrator)?", "oscillator", "relaxation"),
    (r"crystal oscillator|pierce oscillator", "oscillator", "crystal"),
    (r"ring[- ]oscillator|ring osc|inverter ring|ring of (?:\w+ )?inverters", "oscillator", "ring"),
    (r"oscillator|oscillates", "oscillator", None),
    (r"\bldo\b|low[- ]drop[- ]?out(?: regulator)?|linear regulator|voltage regulator|\bregulator\b", "ldo", None),
    (r"band[- ]?gap(?: voltage)?(?: reference)?|\bbgr\b", "bandgap", None),
    (r"beta[- ]multiplier(?: current)?(?: reference)?|constant[- ]gm(?: bias)?(?: current)?(?: reference)?|"
     r"current reference|self[- ]biased current (?:source|reference)|ptat current", "reference", "current"),
    (r"(?:(?:simple|basic) )?(?:(?:ptat|ctat|bandgap)[- ]free |non[- ]bandgap )?voltage reference|"
     r"reference voltage (?:generator|source|circuit)", "reference", "voltage"),
    (r"sallen[- ]key|biquad|(?:low|high|band)[- ]?pass(?: filter)?|band[- ]?(?:stop|reject)(?: filter)?|"
     r"notch(?: filter)?|\bfilter\b", "filter", None),
    (r"schmitt(?:[- ]trigger)?", "schmitt", None),
    (r"latched comparator|clocked comparator|dynamic comparator|strongarm", "comparator", "latched"),
    (r"(?:(?:fully[- ])?differential(?:[- ]input)? |continuous[- ]time |open[- ]loop )?comparator", "comparator", None),
    (r"instrumentation amplifier|\bin-?amp\b", "opamp_app", "instrumentation"),
    (r"integrator|integrating amplifier", "opamp_app", "integrator"),
    (r"differentiator|differentiating amplifier", "opamp_app", "differentiator"),
    (r"summing amplifier|summing (?:circuit|amp)|\bsummer\b|\badder\b|adding amplifier|inverting summer", "opamp_app",
     "summer"),
    (r"subtractor|subtracting amplifier|\bsubtracts?\b|difference amplifier|differential[- ]to[- ]single[- ]ended "
     r"(?:difference )?amplifier",
     "opamp_app", "subtractor"),
    (r"transimpedance(?: amplifier)?|\btia\b", "amplifier", "tia"),
    (r"non-?\s?inverting (?:op-?amp )?(?:amplifier|amp|gain stage|configuration|stage)", "opamp_app",
     "non_inverting"),
    (r"(?<!non-)(?<!non)(?<!non )\binverting (?:op-?amp )?(?:amplifier|amp|gain stage|configuration|stage)",
     "opamp_app", "inverting"),
    (r"(?:voltage|unity[- ]gain|op-?amp) (?:follower|buffer)|unity[- ]gain (?:amplifier|configuration|stage)|"
     r"buffer amplifier|(?:output )?follows (?:its|the) input|^follower\b", "opamp_app", "buffer"),
    (r"current[- ](?:sink|source)s? (?:that|which) (?:mirrors|copies)", "current_mirror", None),
    (r"wilson(?: current)?(?: mirror)?", "current_mirror", "wilson"),
    (r"widlar(?: current)?(?: mirror| source)?", "current_mirror", "widlar"),
    (r"wide[- ]swing (?:cascode )?(?:current )?mirror", "current_mirror", "wide_swing"),
    (r"cascode(?:d)? (?:(?:nmos|pmos|n-?channel|p-?channel) )?(?:current )?mirror", "current_mirror", "cascode"),
    (r"(?:simple|basic|two[- ]transistor) (?:nmos |pmos )?(?:current )?mirror", "current_mirror", "simple"),
    (r"(?:nmos |pmos )?current mirror(?! load)(?!-load)|\bmirror\b(?! load)(?!-load)", "current_mirror", None),
    (r"folded[- ]?cascode(?: op-?amp| ota| amplifier)?", "opamp", "folded_cascode"),
    (r"telescopic(?: cascode)?(?: op-?amp| ota| amplifier)?", "opamp", "telescopic"),
    (r"\b5t ota\b|five[- ]transistor ota|\bota\b|operational transconductance amplifier", "opamp", "ota"),
    (r"op-?\s?amp|operational amplifier|\bopamp\b", "opamp", None),
    (r"common[- ]gate(?: amplifier| amp| stage)?|\bcg (?:amplifier|amp|stage)", "amplifier", "common_gate"),
    (r"common[- ]drain(?: amplifier| amp| stage)?|source[- ]follower(?: buffer| amplifier| stage)?|"
     r"(?:nmos|pmos) follower", "amplifier", "common_drain"),
    (r"cascode (?:amplifier|amp|stage|gain stage)", "amplifier", "cascode"),
    (r"common[- ]source(?: amplifier| amp| stage| gain stage)?|\bcs (?:amplifier|amp|stage|gain stage)", "amplifier",
     "common_source"),
    (r"cascode", "amplifier", "cascode"),
    (r"differential (?:amplifier|amp|pair|gain stage|stage)|diff[- ]?(?:amp|pair)|long[- ]tailed pair", "amplifier",
     "differential"),
    (r"push[- ]pull(?: output stage| stage| amplifier)?|class[- ]?ab(?: output stage| stage| amplifier)?",
     "amplifier", "push_pull"),
    (r"(?:two|three|four|\d)[- ]stage (?:\w+[- ])*?amplifier|multi-?stage amplifier|cascaded amplifier", "amplifier",
     "multistage"),
    (r"\binverter\b|not gate", "inverter", None),
    (r"transmission[- ]gate(?: switch)?|pass gate", "switch", "transmission_gate"),
    (r"nmos (?:pass )?switch|(?:nmos )?pass transistor switch", "switch", "nmos"),
    (r"pmos (?:pass )?switch", "switch", "pmos"),
    (r"analog switch|pass switch", "switch", None),
    (r"\blatch\b", "latch", None),
    (r"current (?:source|sink)(?! load)(?!-load)", "current_source", None),
    (r"amplifier|\bamp\b|gain stage", "amplifier", None),
    (r"\bbuffer\b", "buffer", None),
)

# Families a request may mention as parts of the one it asks for ("an inverting
# amplifier using an op-amp", "an LDO with a bandgap reference").
PARTS: dict[str, frozenset[str]] = {
    "opamp_app": frozenset({"opamp", "amplifier", "buffer"}),
    "ldo": frozenset({"opamp", "amplifier", "bandgap", "reference", "buffer"}),
    "bandgap": frozenset({"opamp", "amplifier", "reference", "current_mirror"}),
    "pll": frozenset({"vco", "oscillator", "filter", "comparator"}),
    "vco": frozenset({"oscillator", "inverter", "current_source", "current_mirror", "buffer"}),
    "oscillator": frozenset({"inverter", "opamp", "amplifier", "comparator", "buffer", "filter"}),
    "filter": frozenset({"opamp", "amplifier", "buffer"}),
    "comparator": frozenset({"opamp", "amplifier", "inverter", "latch", "buffer"}),
    "schmitt": frozenset({"comparator", "inverter", "opamp"}),
    "adc": frozenset({"comparator", "dac", "sample_hold", "opamp"}),
    "dac": frozenset({"opamp", "switch", "current_source", "buffer"}),
    "sample_hold": frozenset({"switch", "opamp", "buffer"}),
    "mixer": frozenset({"amplifier"}),
    "opamp": frozenset({"amplifier", "current_mirror", "current_source", "buffer"}),
    "amplifier": frozenset({"current_mirror", "current_source", "buffer", "amplifier"}),
    "current_mirror": frozenset({"current_source"}),
    "current_source": frozenset({"current_mirror"}),
    "reference": frozenset({"current_mirror", "opamp", "amplifier"}),
    "buffer": frozenset({"opamp", "amplifier"}),
    "inverter": frozenset(),
    "switch": frozenset(),
    "latch": frozenset({"inverter"}),
}

DIFFERENTIAL_FAMILIES = ("opamp", "comparator")
_NO_SIGNAL_IN = ("oscillator", "vco", "bandgap", "reference", "pll")
# parts named inside a larger circuit -> the structure feature the judge checks (None: nothing to check)
_PART_FEATURES: dict[tuple[str, str | None], str | None] = {
    ("amplifier", "push_pull"): "push_pull", ("amplifier", "cascode"): "cascode",
    ("amplifier", "common_drain"): "source_follower", ("amplifier", "differential"): "diff_pair",
    ("current_mirror", None): "current_mirror", ("current_mirror", "simple"): "current_mirror",
    ("amplifier", None): None, ("opamp", None): None, ("buffer", None): None, ("inverter", None): None,
    ("comparator", None): None, ("current_source", None): None, ("reference", None): None,
    ("bandgap", None): None, ("oscillator", None): None, ("vco", None): None, ("filter", None): None,
    ("switch", "transmission_gate"): None, ("latch", None): "cross_coupled", ("dac", None): None,
    ("sample_hold", None): None, ("opamp", "two_stage"): None, ("opamp", "ota"): None,
    # the stages of an op-amp or the amplifier inside a larger circuit: covered by its stage count / function
    ("amplifier", "common_source"): None, ("amplifier", "multistage"): None,
}

# figure keyword patterns per unit: (pattern, figure or special, default op)
# "when Vin rises above 1.2 V" / "once x drops below 0.4 V": the level a comparator or Schmitt
# trigger compares its input with (read so only in those families: elsewhere "exceeds 1 V"
# qualifies another figure)
_COMPARED_ABOVE = r"(?:rises|goes|climbs|is) above|exceeds|is (?:greater|higher) than|>"
_COMPARED_BELOW = r"(?:falls|drops|goes|is) below|is (?:less|lower) than|<"
# "decides within 10 mV of the other input": a comparator's offset
_DECIDES_WITHIN = r"(?:decision|decides|switch(?:es|ing)?|trips?)(?: point)? (?:is )?within"
_COMPARED = (_COMPARED_ABOVE, _COMPARED_BELOW, _DECIDES_WITHIN)

_KEYS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "dB": ((r"cmrr|common[- ]mode rejection(?: ratio)?", "cmrr_db", ">="),
           (r"psrr|(?:power[- ])?supply rejection(?: ratio)?", "psrr_db", ">="),
           (r"conversion gain", "conversion_gain_db", ">="),
           (r"(?:open[- ]loop |dc |voltage |differential |low[- ]frequency |small[- ]signal )*gain|amplif\w*",
            "gain_db", ">=")),
    "deg": ((r"phase margin|\bpm\b", "pm_deg", ">="),),
    "Hz": ((r"\bugb\b|\bugbw\b|\bugf\b|unity[- ]gain (?:bandwidth|frequency)|unity[- ]gain|crossover frequency|"
            r"transit frequency|\bft\b", "ugb_hz", ">="),
           (r"gbw|(?<!unity-)(?<!unity )gain[- ]bandwidth(?: product)?|\bgbp\b", "gbw_hz", ">="),
           (r"cent(?:er|re) frequency|center|centre|notch (?:frequency|at)|resonan\w*", "@center", "~"),
           (r"(?:-|−)?3[- ]?db(?: bandwidth| frequency| point| corner)?|cut-?off(?: frequency)?|corner(?: frequency)?|"
            r"bandwidth|\bbw\b|\bf3db\b|\bf_?c\b|pole", "@corner", ">="),
           (r"oscillat\w*|frequency|\bfreq\b|runs? at|clock|tuning range|output at|period", "@freq", "~")),
    "W": ((r"power(?: consumption| dissipation| budget)?|consum\w*|dissipat\w*|burns?|draws?", "power_w", "<="),),
    "A": ((r"(?:supply|quiescent|total) current|current (?:consumption|draw|budget)|consum\w*|draws?",
           "supply_current_a", "<="),
          (r"load current|(?:drive|deliver|source|supply|provide)s?(?: up to)?|max(?:imum)? load", "load_current_a",
           ">="),
          (r"(?:reference|input|tail) current|\biref\b|\bibias\b|\bib\b|biased (?:with|by|at)|bias(?:ed)?|"
           r"^\s*in\s*$", "@bias_current", "="),
          (r"(?:output|mirror(?:ed)?|copied|sink|sinks|sunk|copies|copy) current|\biout\b|outputs?|copies|"
           r"mirrors?|sinks?|produces?|generates?", "iout_a", "~")),
    "V": ((r"(?<!mid-)(?<!mid )(?<!half the )(?:power )?supply(?: voltage)?|\bvdd\b|\bvcc\b|powered (?:from|by|at)|"
           r"(?<!mid-)(?<!mid )rails?|runs? (?:from|on)|system|process|technology",
           "@supply", "="),
          (r"(?:output )?swing", "output_swing_v", ">="),
          (r"(?:input[- ]referred )?offset", "offset_v", "<="),
          (r"dropout", "dropout_v", "<="),
          (r"hysteresis(?: window| width| band)?", "@hysteresis", "~"),
          (r"upper threshold|rising threshold|high threshold|\bvth\+|\bvt\+|trip(?:s)? high|(?:switch(?:es)?|goes|"
           r"turns?|flips?) high (?:above|at|when)|high above|(?:switch(?:es)?|goes|turns?|flips?|trips?)(?: back)? "
           r"(?:high|low) (?:above|once (?:the input )?(?:rises|goes) above)", "@threshold_rising", "~"),
          (r"lower threshold|falling threshold|low threshold|\bvth-|\bvt-|trip(?:s)? low|(?:switch(?:es)?|goes|"
           r"turns?|flips?)? ?low (?:below|at|when)|low below|(?:switch(?:es)?|goes|turns?|flips?|trips?)?(?: back)? ?"
           r"(?:high|low) (?:below|once (?:the input )?(?:falls|drops|goes) below)", "@threshold_falling", "~"),
          (r"(?:switching |trip )?thresholds?|trip(?: point)?|switch(?:es|ing)? (?:at|point)", "@threshold", "~"),
          (_COMPARED_ABOVE, "@threshold_rising", "~"),
          (_COMPARED_BELOW, "@threshold_falling", "~"),
          (_DECIDES_WITHIN, "offset_v", "<="),
          (r"amplitude|peak[- ]to[- ]peak|\bvpp\b|\bpeak\b", "amplitude_v", ">="),
          (r"common[- ]mode|\bvcm\b|\bcm\b", "@input_cm", "="),
          (r"control(?:led)?(?: voltage)?(?: of| at)?|\bvctrl\b", "@control", "="),
          (r"(?:reference|vref)(?: voltage)?(?: of| at| is)?", "@reference", "="),
          (r"bias(?:ed)?(?: voltage)?(?: of| at| is)?|\bvbias\b", "@bias_voltage", "="),
          (r"\blsb\b", "lsb_v", "~"),
          (r"(?:output|regulated|produc\w*|generat\w*|deliver\w*|provid\w*|vout|outputs?|regulat\w*)"
           r"(?: voltage)?(?: of| at| is)?", "vout_v", "~"),
          (r"input(?: (?:dc|bias|level|voltage))?(?: of| at)?", "@input_dc", "=")),
    "ohm": ((r"output (?:resistance|impedance)|\brout\b", "rout_ohm", ">="),
            (r"input (?:resistance|impedance)|\brin\b", "rin_ohm", ">="),
            (r"transimpedance(?: gain)?|gain", "transimpedance_ohm", "~"),
            (r"load(?: resistance| resistor)?|driving|drives", "@load_res", "=")),
    "F": ((r"load(?: capacitance| capacitor)?|driving|drives|\bcl\b", "@load_cap", "="),),
    "s": ((r"settl\w*", "settling_s", "<="), (r"(?:propagation )?delay", "delay_s", "<="),
          (r"time constant|\brc\b|\btau\b|τ", "time_constant_s", "~"),
          (r"period", "@period", "~")),
    "V/s": ((r"slew(?:[- ]rate)?|\bsr\b", "slew_vps", ">="),),
    "ppm": ((r"temperature coefficient|tempco|\btc\b|drift", "tempco_ppm", "<="),),
    "V/V": ((r"line regulation|line reg", "line_reg_vpv", "<="),
            (r"(?:closed[- ]loop |voltage )?gain|amplif\w*", "gain_vv", "~"),),
    "x": ((r"(?:closed[- ]loop |voltage )?gain|amplif\w*", "gain_vv", "~"),),
    "%": ((r"duty(?: cycle)?", "duty", "~"),),
    "bit": ((r"resolution|bits?|\w*", "bits", "=="),),
}
_DEFAULT_FIG = {"dB": "gain_db", "V/s": "slew_vps", "ppm": "tempco_ppm", "W": "power_w", "bit": "bits",
                "V/V": "gain_vv", "x": "gain_vv", "deg": None}
_OP_WORDS = (
    (r"at least|minimum(?: of)?|\bmin\.?\b|more than|greater than|higher than|larger than|above|exceed(?:ing|s)?|"
     r"over|no less than|not less than|>=|≥|>|better than|in excess of|beyond|no (?:lower|smaller|worse) than|"
     r"not (?:lower|smaller|worse) than|not below|no fewer than", ">="),
    (r"at most|maximum(?: of)?|\bmax\.?\b|less than|lower than|smaller than|below|under|within|no more than|"
     r"not more than|up to|not exceed(?:ing)?|limited to|<=|≤|<|budget of|only|no (?:higher|greater|larger|bigger) than|"
     r"not (?:higher|greater|larger|bigger) than|not above", "<="),
    (r"about|around|approximately|approx\.?|roughly|nominal(?:ly)?|exactly|close to|near|~|≈|"
     r"centered at|centred at", "~"),
)


@dataclass
class _Claim:
    kind: str
    params: dict[str, Any]
    start: int
    end: int
    must: bool = True


@dataclass(frozen=True)
class Reading:
    """What the reader found: requirements (with spans), the phrases it could not read,
    the family/variant, the ports the text names (equations), and one note per decision."""

    text: str
    requirements: tuple[Requirement, ...]
    unconsumed: tuple[str, ...]
    family: str | None
    variant: str | None
    mentioned_ports: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    def by_kind(self, kind: str) -> tuple[Requirement, ...]:
        return tuple(r for r in self.requirements if r.kind == kind)


def normalize(text: str) -> str:
    """One space between words, typographic minus/quotes folded (spans refer to this text)."""
    text = str(text).replace("\u2212", "-").replace("\u2013", "-").replace("\u2014", "-")
    text = text.replace("\u2019", "'").replace("\u201c", '"').replace("\u201d", '"')
    return " ".join(text.split())


def _op_near(low: str, start: int, end: int, default: str) -> tuple[str, int, int]:
    """The comparison words right before (or after) a quantity, with the span they add."""
    before = low[max(0, start - 28):start]
    best = None
    for pattern, op in _OP_WORDS:
        for m in re.finditer(pattern, before):
            gap = before[m.end():].strip(" :=,")
            # "at most 3 mW power, 20 MHz GBW": an op word belongs to the nearest number only
            # the nearest op word wins; at the same end the longest ("no more than", not "more than")
            if len(gap) <= 14 and not re.search(r"\d", gap) and (best is None or (m.end(), -m.start()) >
                                                                 (best[2], -best[1])):
                best = (op, m.start(), m.end())
    if best:
        return best[0], max(0, start - 28) + best[1], end
    after = low[end:end + 16]
    m = re.match(r"\s*(or (?:more|less|higher|lower|better|above|below)|minimum|min\b|maximum|max\b|or so)", after)
    if m:
        word = m.group(1)
        op = ">=" if any(w in word for w in ("more", "higher", "better", "above", "minimum", "min")) else \
            ("~" if "so" in word else "<=")
        return op, start, end + m.end()
    return default, start, end


class _Reader:
    def __init__(self, text: str, interface: Interface | None) -> None:
        self.text = text
        self.low = text.lower()
        self.interface = interface
        self.used = [False] * len(text)
        self.claims: list[_Claim] = []
        self.notes: list[str] = []
        self.family: str | None = None
        self.variant: str | None = None
        self.family_span: tuple[int, int] = (0, 0)
        self.mentioned: list[str] = []
        # "-3 dB frequency/bandwidth" names a frequency, it is not a gain figure
        self.quantities = [q for q in scan_quantities(text) if not (
            q.unit == "dB" and abs(abs(q.value) - 3.0) < 1e-9 and re.match(
                r"\s*(?:bandwidth|frequency|point|corner|cut-?off|bw|roll-?off|at\b)", self.low[q.end:q.end + 12]))]
        self.q_used = [False] * len(self.quantities)

    # -- bookkeeping ------------------------------------------------------------------------
    def consume(self, start: int, end: int) -> None:
        for i in range(max(0, start), min(len(self.text), end)):
            self.used[i] = True

    def claim(self, kind: str, params: dict[str, Any], start: int, end: int, must: bool = True) -> _Claim:
        c = _Claim(kind, params, start, end, must)
        self.claims.append(c)
        self.consume(start, end)
        return c

    def free(self, start: int, end: int) -> bool:
        return not any(self.used[start:end])

    def port_names(self) -> tuple[str, ...]:
        if self.interface is None:
            return ()
        return tuple(p.name for p in self.interface.ports)

    def ports_of(self, *roles: PortRole) -> tuple[str, ...]:
        if self.interface is None:
            return ()
        return self.interface.names_by_role(*roles)

    def qty_in(self, start: int, end: int) -> list[int]:
        return [i for i, q in enumerate(self.quantities) if q.start >= start and q.end <= end]

    # -- passes -----------------------------------------------------------------------------
    def read_family(self) -> None:
        hits: list[tuple[int, str, str | None, int, int]] = []
        for prio, (pattern, fam, var) in enumerate(FAMILY_RULES):
            for m in re.finditer(pattern, self.low):
                hits.append((prio, fam, var, m.start(), m.end()))
        if not hits:
            return
        hits.sort()
        prio, fam, var, s, e = hits[0]
        if fam == "opamp_app" and var in ("inverting", "non_inverting") and not re.search(r"op-?\s?amp|operational",
                                                                                         self.low):
            # "a single-transistor inverting amplifier (common source)": a transistor-level stage
            stage = next((h for h in hits if h[1] == "amplifier" and h[2] is not None), None)
            if stage is not None or re.search(r"\bstages?\b|transistor", self.low):
                prio, fam, var, s, e = stage or (prio, "amplifier", None, s, e)
        if (fam, var) == ("opamp", "telescopic") and self.interface is not None and \
                re.search(r"amplifier", self.low[s:e + 40]) and not re.search(r"op-?\s?amp|\bota\b|operational", self.low) \
                and len(self.ports_of(PortRole.SIGNAL_IN)) == 1 and not self.ports_of(PortRole.DIFF_IN_P):
            # "a telescopic NMOS cascode amplifier" with one signal input: the single-ended cascode stage
            fam, var = "amplifier", "cascode"
        # an "X amplifier built around an op-amp": the app wins over its parts; two apps conflict
        self.family, self.variant, self.family_span = fam, var, (s, e)
        self.notes.append(f"family {fam}" + (f"/{var}" if var else "") + f" from '{self.text[s:e]}'")
        variants: dict[str, tuple[int, int]] = {}
        if var:
            variants[var] = (s, e)
        for prio2, fam2, var2, s2, e2 in hits[1:]:
            inside = s2 >= s and e2 <= e
            if fam2 == fam:
                if var2 and var2 != var and not inside:
                    if var is None:
                        var = var2
                        self.variant = var2
                        variants[var2] = (s2, e2)
                    elif not self._compatible_variant(fam, var, var2):
                        continue  # a second kind of the same family stays unread: no success on a guess
                self.consume(s2, e2)
            elif inside:
                self.consume(s2, e2)
            elif fam2 in PARTS.get(fam, frozenset()):
                # a named part ("a class-AB output stage") is a structure the design must have
                feature = _PART_FEATURES.get((fam2, var2), "?") if var2 else _PART_FEATURES.get((fam2, None))
                if feature == "?":
                    continue  # a part we cannot check stays unread
                if feature:
                    self.claim("structure", {"feature": feature}, s2, e2)
                self.consume(s2, e2)
                self.notes.append(f"'{self.text[s2:e2]}' read as a part of the {fam}")
            # any other family word stays unconsumed: the request may be two circuits
        self.claim("family", {"family": fam, **({"variant": self.variant} if self.variant else {})}, s, e)

    @staticmethod
    def _compatible_variant(fam: str, a: str, b: str) -> bool:
        compatible = {("opamp", "ota", "folded_cascode"), ("opamp", "ota", "telescopic"),
                      ("amplifier", "cascode", "common_source"), ("amplifier", "multistage", "common_source"),
                      ("amplifier", "differential", "cascode"), ("amplifier", "common_source", "cascode"),
                      ("amplifier", "common_source", "multistage"), ("amplifier", "cascode", "multistage"),
                      ("amplifier", "common_drain", "multistage"), ("amplifier", "common_gate", "cascode"),
                      ("amplifier", "differential", "multistage"), ("amplifier", "tia", "common_source"),
                      ("amplifier", "push_pull", "common_source"), ("amplifier", "push_pull", "common_drain"),
                      ("amplifier", "common_gate", "multistage"), ("amplifier", "tia", "common_gate")}
        return (fam, a, b) in compatible or (fam, b, a) in compatible

    def infer_family(self) -> None:
        """No circuit named but a linear relation given: the op-amp circuit it describes when
        that is unambiguous (one input >= 1: non-inverting; negative: inverting or summer;
        mixed signs: subtractor). A positive gain below 1 names nothing (a divider? a follower?)."""
        if self.family is not None:
            return
        rels = [c for c in self.claims if c.kind == "linear_relation"]
        if len(rels) != 1:
            return
        coefs = list(rels[0].params["coefficients"].values())
        variant = None
        if len(coefs) == 1:
            variant = "non_inverting" if coefs[0] >= 1 else ("inverting" if coefs[0] < 0 else None)
        elif all(c < 0 for c in coefs):
            variant = "summer"
        elif any(c < 0 for c in coefs) and any(c > 0 for c in coefs) and len(coefs) == 2:
            variant = "subtractor"
        elif all(c > 0 for c in coefs):
            variant = "summer"
        if variant is None:
            return
        self.family, self.variant = "opamp_app", variant
        self.family_span = (rels[0].start, rels[0].end)
        self.notes.append(f"family opamp_app/{variant} from the relation '{self.text[rels[0].start:rels[0].end]}'")
        self.claim("family", {"family": "opamp_app", "variant": variant}, rels[0].start, rels[0].end)

    def read_stages(self) -> None:
        pat = _COUNT + r"[- ]stages?\b|(\d+|two|three|four) (?:cascaded |identical )?(?:(?:common[- ](?:source|gate)|" \
                       r"cs|cg)[- ])?(?:gain |amplifier |amplifying )?stages\b|" \
                       r"(single|one)[- ]stage"
        counts = []
        for m in re.finditer(pat, self.low):
            word = next(g for g in m.groups() if g)
            n = _NUMWORDS.get(word, None) if not word.isdigit() else int(word)
            if n is None or not self.free(m.start(), m.end()) and False:
                continue
            counts.append((n, m.start(), m.end()))
        distinct = {c[0] for c in counts}
        if len(distinct) > 1:
            raise InputError(f"the request states {len(distinct)} different stage counts "
                             f"({', '.join(str(c) for c in sorted(distinct))})", where="request",
                             fix="state the number of gain stages once")
        for n, s, e in counts:
            if self.family == "opamp" and self.variant in (None, "ota") and n in (1, 2, 3):
                if self.variant is None or n > 1:  # "two-stage OTA": OTA as a loose word for op-amp
                    self.variant = {1: "one_stage", 2: "two_stage", 3: "three_stage"}[n]
            if self.family == "amplifier" and self.variant in (None, "common_source", "common_gate",
                                                               "common_drain") and n > 1:
                self.variant = "multistage"  # "three cascaded common-source stages": the stages are its parts
            self.claim("stage_count", {"count": int(n)}, s, e)
        # "second stage"/"output stage" words referring to parts are consumed by what uses them

    def read_loads(self) -> None:
        rules = (
            (r"(?:loaded (?:with|by) (?:an? )?)?(?:(pmos|p-?channel)[- ](?:transistor[- ])?diode[- ]connected"
             r"(?: transistors?| devices?| mosfets?)?(?: loads?)?|diode[- ]connected (?:pmos|p-?channel)"
             r"(?: transistors?| devices?| mosfets?)?(?: loads?)?)", "pmos_diode"),
            (r"(?:loaded (?:with|by) (?:an? )?)?(?:(nmos|n-?channel)[- ](?:transistor[- ])?diode[- ]connected"
             r"(?: transistors?| devices?| mosfets?)?(?: loads?)?|diode[- ]connected (?:nmos|n-?channel)"
             r"(?: transistors?| devices?| mosfets?)?(?: loads?)?)", "nmos_diode"),
            # "whose load is an NMOS transistor connected as a diode", "a PMOS wired as a diode as its load"
            (r"(?:(?:whose|its|the) load is |loaded (?:with|by) )?(?:an? )?(pmos|p-?channel)(?: transistor| device| mosfet)? "
             r"(?:connected|wired|tied) as a diode(?: as (?:its|the) load)?", "pmos_diode"),
            (r"(?:(?:whose|its|the) load is |loaded (?:with|by) )?(?:an? )?(nmos|n-?channel)(?: transistor| device| mosfet)? "
             r"(?:connected|wired|tied) as a diode(?: as (?:its|the) load)?", "nmos_diode"),
            (r"(?:loaded (?:with|by) (?:an? )?)?(pmos) diode loads?", "pmos_diode"),
            (r"(?:loaded (?:with|by) (?:an? )?)?(nmos) diode loads?", "nmos_diode"),
            (r"(?:loaded (?:with|by) (?:an? )?)?(?:diode[- ]connected(?: transistors?| devices?| mosfets?)? loads?|"
             r"diode loads?)", "diode"),
            (r"(?:resistive|resistor|passive|ohmic)[- ]loads?|resistor[- ]loaded|resistively[- ]loaded|"
             r"loaded (?:with|by) (?:a |an )?(?:drain |load )?resistors?|(?:drain|load|pull-?up) resistors?(?! of)|"
             r"resistors? (?:as|for) (?:the )?loads?", "resistor"),
            (r"cascode(?:d)? ((?:pmos |nmos )?current[- ]source loads?)", "cascoded_current_source"),
            (r"(?:pmos |nmos )?current[- ]source loads?|(?:pmos |nmos )?current[- ]source[- ]loaded|"
             r"(?:pmos |nmos )?current sources? as (?:the )?loads?", "current_source"),
            (r"(?:pmos |nmos )?(?:current[- ])?mirror[- ]loads?|(?:pmos |nmos )?(?:current[- ])?mirror[- ]loaded|"
             r"loaded (?:with|by) a (?:pmos |nmos )?(?:current )?mirror", "mirror"),
            (r"active[- ]loads?|actively[- ]loaded", "active"),
            (r"cascode(?:d)? loads?", "cascode"),
        )
        for pattern, load in rules:
            for m in re.finditer(pattern, self.low):
                # (a cascoded load's "cascoded" may be read already as the family's word)
                if not self.free(*(m.span(1) if load == "cascoded_current_source" else m.span())):
                    continue
                if self.family in ("current_mirror", "reference", "bandgap") and "diode" in load and \
                        "load" not in m.group(0):
                    continue  # "a diode-connected NMOS reference device": the mirror's own diode, not a load
                phrase = m.group(0)
                if load == "cascoded_current_source":
                    # "a cascoded PMOS current-source load": a current-source load with a cascode device
                    load = "current_source"
                    dev = "nmos" if "nmos" in phrase else "pmos"
                    self.claim("structure", {"feature": "cascode", "device": dev}, m.start(), m.end())
                params: dict[str, Any] = {"load": load}
                self.claim("load_type", params, m.start(), m.end())
                if load in ("pmos_diode", "nmos_diode"):
                    self.claim("structure", {"feature": "diode_connected", "device": load[:4]}, m.start(), m.end())
                elif load == "diode":
                    self.claim("structure", {"feature": "diode_connected"}, m.start(), m.end())
                if load in ("current_source", "mirror") and ("pmos" in phrase or "nmos" in phrase):
                    self.claim("device_count", {"device": "pmos" if "pmos" in phrase else "nmos", "min": 1},
                               m.start(), m.end())
        if self.family == "amplifier" and self.variant == "common_drain":
            # a follower's bias current source is its (source) load: "with a current-source bias"
            for m in re.finditer(r"(?:(?:pmos |nmos )?current[- ]source|current[- ]sink)[- ]bias(?:ed)?(?: current)?|"
                                 r"(?:biased|loaded) (?:by|with|from) (?:an? )?(?:nmos |pmos )?current[- ](?:source|sink)",
                                 self.low):
                if self.free(m.start(), m.end()):
                    self.claim("load_type", {"load": "current_source"}, m.start(), m.end())

    def read_each_stage(self) -> None:
        """"a resistive load in each stage": the load requirement holds for every stage."""
        counts = [c.params["count"] for c in self.claims if c.kind == "stage_count"]
        loads = [c for c in self.claims if c.kind == "load_type" and "stage" not in c.params]
        for m in re.finditer(r"(?:in |for |on )?(?:each|every|all(?: the)?|per) (?:gain )?stages?|"
                             r"(?:each|every) of the (?:\w+ )?stages", self.low):
            if counts and len(loads) == 1 and counts[0] <= 6:
                load = loads[0]
                self.claims.remove(load)
                for i in range(1, counts[0] + 1):
                    self.claims.append(_Claim("load_type", {"load": load.params["load"], "stage": i},
                                              min(load.start, m.start()), max(load.end, m.end())))
                self.consume(m.start(), m.end())
                loads = []

    def read_inputs(self) -> None:
        pat = (r"(nmos|pmos|n-?channel|p-?channel|npn|pnp)[- ](?:differential |diff )?input(?:[- ](?:differential |"
               r"diff )?(?:pair|stage|transistors?|devices?))?|(nmos|pmos|n-?channel|p-?channel|npn|pnp) "
               r"(?:differential |diff |input |source-coupled )+pair|input pair (?:of|made of|using|built from) "
               r"(nmos|pmos|npn|pnp)(?: transistors?| devices?)?|(nmos|pmos)[- ]input")
        for m in re.finditer(pat, self.low):
            word = next(g for g in m.groups() if g)
            dev = {"n-channel": "nmos", "nchannel": "nmos", "p-channel": "pmos", "pchannel": "pmos"}.get(
                word.replace("-", "-"), word.replace("-", ""))
            dev = "nmos" if dev.startswith("n") and dev != "npn" else ("pmos" if dev.startswith("p") and dev != "pnp"
                                                                       else dev)
            pair = "pair" in m.group(0) or self.family in DIFFERENTIAL_FAMILIES or self.variant == "differential"
            self.claim("input_type", {"device": dev, "pair": bool(pair)}, m.start(), m.end())
        for m in re.finditer(r"(?:a |the )?differential (?:input|inputs|input pair|pair)(?: stage)?|"
                             r"(?:source-coupled|input) (?:differential )?pair|(?:an? )?(?:(nmos|pmos) )?tail "
                             r"(?:current )?(?:source|sink|transistor|device)|(?:(nmos|pmos) )?tail current",
                             self.low):
            feature = "tail_source" if "tail" in m.group(0) else "diff_pair"
            dev = m.group(1) or m.group(2)
            self.claim("structure", {"feature": feature, **({"device": dev} if dev else {})}, m.start(), m.end())

    def read_structures(self) -> None:
        rules = (
            (r"miller[- ]compensat\w*(?: capacitor)?(?: with (?:a )?(?:zero-?nulling|nulling) resistor)?|"
             r"miller capacitor|compensated with a miller \w+|miller compensation|\bmiller\b", "miller_compensation"),
            (r"source degenerat\w*|degenerat\w* resistors?|resistive degeneration|degenerated", "source_degeneration"),
            (r"cross[- ]coupled(?: pair| transistors| inverters| latch)?", "cross_coupled"),
            (r"cascoded?(?! (?:current )?mirror)(?: devices?| transistors?| stages?)?", "cascode"),
            (r"(?:resistive |negative |positive |resistive positive )?feedback(?: network| resistors?| loop)?",
             "feedback"),
            (r"(?:and |with )?(?:a )?(?:zero-?)?nulling resistor", "miller_compensation"),
            (r"push[- ]pull(?: output)?(?: stage)?", "push_pull"),
            (r"source[- ]follower(?: output)?(?: stage| buffer)?", "source_follower"),
            (r"(?:current[- ])?mirror", "current_mirror"),
        )
        for pattern, feature in rules:
            for m in re.finditer(pattern, self.low):
                if all(self.used[m.start():m.end()]):
                    continue
                if feature == "current_mirror" and self.family not in ("opamp", "amplifier", "bandgap", "reference",
                                                                       "comparator", "ldo"):
                    continue
                self.claim("structure", {"feature": feature}, m.start(), m.end())
                if feature == "miller_compensation" and "nulling" in m.group(0):
                    self.claim("named_component", {"name": "Rz", "element": "resistor"}, m.start(), m.end(),
                               must=False)

    def read_counts(self) -> None:
        devices = {"nmos": "nmos", "pmos": "pmos", "transistor": "transistor", "mosfet": "mosfet",
                   "resistor": "resistor", "capacitor": "capacitor", "inductor": "inductor", "bjt": "bjt",
                   "npn": "npn", "pnp": "pnp", "diode": "diode", "nfet": "nmos", "pfet": "pmos", "device": "transistor"}
        pat = r"(?<![:\d.])" + _COUNT + r"[- ](?:(nmos|pmos|mos|cmos) )?(nmos|pmos|transistors?|mosfets?|resistors?|capacitors?|" \
                       r"inductors?|bjts?|npns?|pnps?|diodes?|nfets?|pfets?|devices?)\b"
        for m in re.finditer(pat, self.low):
            if any(c.kind in ("device_count", "load_type") and c.start <= m.start() and m.end() <= c.end
                   for c in self.claims):
                continue  # already counted with its role ("4 nmos as cascode input pair", "... wired as a diode" load)
            word, pol = m.group(1), m.group(2)
            dev = m.group(3).rstrip("s") if m.group(3) not in ("nmos", "pmos") else m.group(3)
            if pol in ("nmos", "pmos") and dev in ("transistor", "mosfet", "device"):
                dev = pol
            n = int(word) if word.isdigit() else _NUMWORDS[word]
            if dev == "diode" and re.match(r"[- ]connected", self.low[m.end():m.end() + 11]):
                continue
            if re.match(r"\s*(?:ota|operational transconductance)", self.low[m.end():m.end() + 30]):
                continue  # "five-transistor OTA" names the OTA topology (bias devices come on top)
            self.claim("device_count", {"device": devices.get(dev, dev), "min": n, "max": n}, m.start(), m.end())
        for m in re.finditer(r"\b(\d+)t\b(?= cell| sram)", self.low):
            self.claim("device_count", {"device": "transistor", "min": int(m.group(1)), "max": int(m.group(1))},
                       m.start(), m.end())
        for m in re.finditer(r"(?:only|all|purely|exclusively)[- ](nmos|pmos)(?: transistors| devices)?|"
                             r"(nmos|pmos)(?:[- ]only| (?:transistors|devices|mosfets) only)|without (?:any )?(resistors?|capacitors?|inductors?|pmos|nmos)|"
                             r"no (resistors?|capacitors?|inductors?)", self.low):
            word = next(g for g in m.groups() if g)
            if m.group(1) or m.group(2):
                other = "pmos" if word == "nmos" else "nmos"
                self.claim("device_count", {"device": other, "max": 0}, m.start(), m.end())
            else:
                self.claim("device_count", {"device": word.rstrip("s"), "max": 0}, m.start(), m.end())
        for m in re.finditer(r"\b(nmos|pmos)[- ](?:cascode(?:d)? |wilson |simple |basic )?(?:current[- ])?mirror\b"
                             r"(?! load)(?!-load)", self.low):
            self.claim("device_count", {"device": m.group(1), "min": 2}, m.start(), m.end())
        roles = (r"hold|feedback|input|output|load|source|drain|degeneration|emitter|emitter/source|integrating|"
                 r"compensation|miller|nulling|zero-nulling|timing|coupling|bypass|sampling|series|shunt|bias|tail|"
                 r"gate|bootstrap|reference|sense|pull-?up|pull-?down|filter|tank|ac-coupling|dc-blocking|mim|"
                 r"poly|on-chip|external|junction|frequency-setting|ptat|ctat|sensing|start-?up|divider")
        for m in re.finditer(r"(?:an?|one|the|its|with|and)\s+(?:(?:" + roles + r")[- ]){0,2}(capacitor|resistor|inductor|"
                             r"diode)(?!s)\b(?![- ]connected)", self.low):
            if any(c.kind == "load_type" and c.start <= m.start() and m.end() <= c.end for c in self.claims):
                continue  # "an NMOS wired as a diode" load: a diode-connected transistor, no diode element
            self.claim("device_count", {"device": m.group(1), "min": 1}, m.start(), m.end())
        for m in re.finditer(r"\b(diodes|capacitors|resistors|inductors)\b(?: as| for)?", self.low):
            if not all(self.used[m.start():m.end()]) and not re.search(r"\d|two|three|four|no |without",
                                                                     self.low[max(0, m.start() - 12):m.start()]):
                self.claim("device_count", {"device": m.group(1)[:-1], "min": 2 if m.group(1) == "diodes" else 1},
                           m.start(), m.end())
        if self.family == "filter":
            for m in re.finditer(r"\b(lc|rlc)\b", self.low):
                self.claim("device_count", {"device": "inductor", "min": 1}, m.start(), m.end())
            # "an RC band-pass", "a twin-T notch": resistors and capacitors only
            for m in re.finditer(r"\brc\b(?=[- ](?:low|high|band|notch|filter|network|ladder|section|only))|"
                                 r"\btwin[- ]t\b|without (?:an )?inductors?|no inductors?", self.low):
                self.claim("device_count", {"device": "inductor", "max": 0}, m.start(), m.end())
        if self.family == "switch" and self.variant == "transmission_gate":
            s0, e0 = self.family_span
            self.claim("device_count", {"device": "nmos", "min": 1}, s0, e0)
            self.claim("device_count", {"device": "pmos", "min": 1}, s0, e0)
        for m in re.finditer(r"(?:single|one)[- ]transistor", self.low):
            if self.free(m.start(), m.end()):
                self.claim("device_count", {"device": "transistor", "max": 1}, m.start(), m.end())

    _COMP = re.compile(r"\b(R[0-9]+|C[0-9]+|L[0-9]+|M[0-9]+|Q[0-9]+|D[0-9]+|R[fgsdzlFGSDZL]|R(?:in|IN|out|OUT|ref|REF|set|"
                       r"SET|fb|FB|b|B|h|H)|C[fcLlFC]|C(?:in|IN|out|OUT|fb|FB|b|B|h|H)|Lf|LF)\b(?! (?:gain|amp|amplifier|stage|mirror|ota|op-amp))")

    def read_components(self) -> None:
        ports = {n.lower() for n in self.port_names()}
        elements = {"R": "resistor", "C": "capacitor", "L": "inductor", "M": "transistor", "Q": "bjt", "D": "diode"}
        for m in self._COMP.finditer(self.text):
            name = m.group(1)
            if name.lower() in ports:
                continue
            if name == "RF" and (self.family == "mixer" or re.match(r"\s*(?:port|input|signal|in\b|at\b|drive|"
                                                                    r"frequency|path|pin|node)", self.text[m.end():])):
                continue  # the RF signal of a mixer, not a feedback resistor
            start, end = m.start(), m.end()
            params: dict[str, Any] = {"name": name, "element": elements[name[0]]}
            after = self.text[end:end + 24]
            value = re.match(r"\s*(?:=|of|is|:|with a value of|set to)?\s*", after)
            for qi in self.qty_in(end, end + 26):
                q = self.quantities[qi]
                if q.start - end <= len(value.group(0)) + 1 and q.unit in ("ohm", "F", "H") and not self.q_used[qi]:
                    params["value"] = q.value
                    self.q_used[qi] = True
                    end = q.end
                    break
            word = re.search(r"(resistors?|capacitors?|inductors?|transistors?)\s*(?:\(|called|named)?\s*$",
                             self.low[max(0, start - 22):start])
            if word:
                start = max(0, start - 22) + word.start()
                unit = {"r": "ohm", "c": "F", "l": "H"}.get(word.group(1)[0])
                for qi in self.qty_in(max(0, start - 34), start):
                    q = self.quantities[qi]
                    # "a 1 pF hold capacitor Ch": the value, at most one role word before the element word
                    if "value" not in params and q.unit == unit and not self.q_used[qi] and \
                            re.fullmatch(r"\s*(?:[\w-]+\s+)?", self.low[q.end:start]):
                        params["value"] = q.value
                        self.q_used[qi] = True
                        start = q.start
            if name in ("CL", "RL") and "value" in params and re.search(r"load", self.low[max(0, start - 20):start]):
                cond = "load_cap_f" if name == "CL" else "load_res_ohm"
                self.claim("condition", {"name": cond, "value": params["value"]}, max(0, start - 20), end)
                continue
            self.claim("named_component", params, start, end)

    def read_polarity(self) -> None:
        for m in re.finditer(r"non-?\s?inverting(?: input| terminal)?|(?<![a-z-])inverting(?: input| terminal)?",
                             self.low):
            phrase = m.group(0)
            if phrase.endswith(("input", "terminal")):
                self.consume(m.start(), m.end())  # an op-amp terminal, not a polarity
                continue
            sense = "non_inverting" if phrase.startswith("non") else "inverting"
            if self.family in _NO_SIGNAL_IN:
                self.consume(m.start(), m.end())  # the polarity of an inner amplifier: not checkable outside
                continue
            self.claim("polarity", {"sense": sense}, m.start(), m.end())
        senses = {c.params["sense"] for c in self.claims if c.kind == "polarity"}
        if len(senses) > 1:
            raise InputError("the request asks for an inverting and a non-inverting transfer at once",
                             where="request", fix="say which one")
        for m in re.finditer(r"(?:unity[- ]?ish|near[- ]unity|nearly unity|almost unity|roughly unity|approximately unity|"
                             r"close to unity)(?:[- ]gain)?(?: buffer| follower| amplifier| stage)?", self.low):
            if self.family in _NO_SIGNAL_IN:
                continue
            # a loose unity gain: a follower's 0.7..1.3 V/V
            self.claim("polarity", {"sense": "non_inverting"}, m.start(), m.end())
            self.claim("target", {"figure": "gain_vv", "op": "~", "value": 1.0, "tol": 0.3}, m.start(), m.end())
        for m in re.finditer(r"(?:output )?follows (?:its|the) input(?: with unity gain)?|unity[- ]gain(?! "
                             r"(?:bandwidth|frequency))(?: follower| buffer| amplifier| configuration| stage)?|"
                             r"(?:voltage|source) follower|\bgain of (?:\+?1|one)\b(?![\d.])", self.low):
            if "source" in m.group(0) and self.family == "amplifier":
                continue
            if self.family in _NO_SIGNAL_IN or (self.family == "opamp_app" and
                                                self.variant in ("summer", "subtractor", "instrumentation")):
                self.consume(m.start(), m.end())  # "unity gain" of a summer/subtractor: its relation says it
                continue
            self.claim("polarity", {"sense": "non_inverting"}, m.start(), m.end())
            self.claim("target", {"figure": "gain_vv", "op": "~", "value": 1.0, "tol": 0.1}, m.start(), m.end())
            ins, outs = self.ports_of(PortRole.SIGNAL_IN, PortRole.DIFF_IN_P), self.ports_of(PortRole.OUT)
            if self.family in ("opamp_app", "buffer") and len(ins) == 1 and len(outs) == 1:
                self.claim("linear_relation", {"output": outs[0], "coefficients": {ins[0]: 1.0}, "rel_tol": 0.05},
                           m.start(), m.end())

    def read_relations(self) -> None:
        """``Vout = -(Vin1 + Vin2)``, ``Vout = 2*Vin1 - 3*Vin2 + 0.5``, "gain of -5"."""
        eq = re.compile(r"\b([A-Za-z][A-Za-z0-9_]*)\s*(?:=|equals)\s*([-+(\w][^,;=]*?)(?=\s*(?:,|;|\.(?:\s|$)|$|\band\b"
                        r"(?!\s*[-+(\d])|\bwith\b|\busing\b|\bwhere\b|\bfor\b|\baround\b|\babout\b|\bat\b|"
                        r"\brelative\b|\bcentered\b|\bnear\b|\breferred\b|\bwithin\b|"
                        r"\s\((?=(?:relative|non|about|around|i\.e|with|at|for|referred|centered)\b)))")
        for m in eq.finditer(self.text):
            lhs, rhs = m.group(1), m.group(2).strip()
            if not re.search(r"[A-Za-z]", rhs) or (re.fullmatch(r"[-+\d.\s]*\w{0,4}", rhs) and not re.search(
                    r"\b(?:" + "|".join(re.escape(n) for n in self.port_names() or ("\x00",)) + r")\s*$", rhs,
                    re.IGNORECASE)):
                continue  # "VDD = 1.8 V", "R1 = 10k": not a relation
            try:
                terms = _linear(rhs)
            except ValueError:
                continue
            if not terms or set(terms) == {""}:
                continue
            offset = terms.pop("", 0.0)
            names = list(terms)
            self.mentioned += [lhs, *names]
            params = {"output": lhs, "coefficients": {n: float(c) for n, c in terms.items()}}
            if offset:
                params["offset"] = float(offset)
            self.claim("linear_relation", params, m.start(), m.end())
            for qi in self.qty_in(m.start(), m.end()):
                self.q_used[qi] = True
        if self.family in ("opamp_app", "buffer", "amplifier", "opamp", "oscillator", "filter", "mixer") or \
                self.family is None:
            self.read_gain_phrases()

    _GAIN = re.compile(
        r"(?:\|gain\||\|a_?v\||(?:(?:overall|total|closed[- ]loop|voltage|small[- ]signal|dc|low[- ]frequency|"
        r"pass[- ]?band|differential|open[- ]loop)\s+)*gain(?:\s+magnitude)?)(?:\s+(?:of|is|=|:|in the pass ?band|"
        r"just|set to|should be|must be))*\s*(?P<op>>=|<=|≥|≤|>|<|=|≈|~|at least|at most|above|below|over|under|"
        r"more than|less than|greater than|larger than|higher than|bigger than|smaller than|lower than|"
        r"no less than|not less than|no more than|not more than|no (?:lower|smaller) than|no (?:higher|greater|larger) than|"
        r"not (?:lower|smaller|higher|greater|larger) than|roughly|about|around|approximately|close to|near|exactly|between)?\s*"
        r"(?:[a-z]\w{0,5}\s*/\s*[a-z]\w{0,5}\s*=\s*)?(?:of\s+)?(?P<v>[-+]?\d+(?:\.\d+)?)(?:\s*(?:v/v|x|times))?(?!\d|\.\d|\s*(?:db|decibel|%|(?:meg|[munpfkgµ])?(?:v|a|w|hz|s|ohms?|f|°|deg)\b))"
        r"(?:\s+(?P<more>or (?:more|higher|above|better|less|lower|below)))?"
        r"(?:\s*and\s+(?P<v2>[-+]?\d+(?:\.\d+)?)(?!\d|\.\d|\s*(?:db|decibel|%|(?:meg|[munpfkgµ])?(?:v|a|w|hz|s|ohms?|f|°|deg)\b)))?", re.IGNORECASE)

    _WORD_GAIN = re.compile(r"gain[- ]of[- ](minus[- ]|negative[- ]|plus[- ])?(one|two|three|four|five|six|seven|eight|"
                            r"nine|ten)\b")

    def read_gain_phrases(self) -> None:
        for m in self._WORD_GAIN.finditer(self.low):  # "gain-of-minus-five"
            v = float(_NUMWORDS[m.group(2)]) * (-1.0 if (m.group(1) or "").startswith(("minus", "negative")) else 1.0)
            if self.family in ("opamp_app", "buffer"):
                self._gain_relation(v, m.start(), m.end())
            elif self.family not in _NO_SIGNAL_IN:
                self.claim("target", {"figure": "gain_vv", "op": ">=", "value": abs(v)}, m.start(), m.end())
        if self.family in _NO_SIGNAL_IN:  # the gain of an oscillator's inner amplifier is not checkable outside
            for m in self._GAIN.finditer(self.low):
                self.consume(m.start(), m.end())
                for qi in self.qty_in(m.start(), m.end()):
                    self.q_used[qi] = True
            return
        """Unit-less gains: "gain of 10", "|gain| at least 5", "gain > 0.6", "gain between 0.7
        and 1", "gain roughly 4 (±25%)", "gain 8 or more". Op-amp circuits with one input and
        an exact gain also get the linear relation."""
        for m in self._GAIN.finditer(self.low):
            if any(q.start <= m.start("v") < q.end and q.unit not in ("V/V", "x") for q in self.quantities):
                continue
            op_word = (m.group("op") or "").strip()
            v = float(m.group("v"))
            v2 = m.group("v2")
            op = {">=": ">=", "≥": ">=", ">": ">=", "at least": ">=", "above": ">=", "over": ">=",
                  "more than": ">=", "greater than": ">=", "no less than": ">=", "larger than": ">=",
                  "not less than": ">=", "no more than": "<=", "not more than": "<=",
                  "no lower than": ">=", "no smaller than": ">=", "not lower than": ">=", "not smaller than": ">=",
                  "no higher than": "<=", "no greater than": "<=", "no larger than": "<=", "not higher than": "<=",
                  "not greater than": "<=", "not larger than": "<=",
                  "higher than": ">=", "bigger than": ">=", "smaller than": "<=", "lower than": "<=",
                  "close to": "~", "near": "~",
                  "<=": "<=", "≤": "<=", "<": "<=", "at most": "<=", "below": "<=", "under": "<=",
                  "less than": "<=", "roughly": "~", "about": "~", "around": "~", "approximately": "~", "≈": "~",
                  "~": "~", "exactly": "=", "=": "=", "between": "between"}.get(op_word, "")
            more = m.group("more") or ""
            if more:
                op = ">=" if any(w in more for w in ("more", "higher", "above", "better")) else "<="
            if op == "between" and v2 is None:
                continue
            span = (m.start(), m.end())
            if op == "between":
                lo, hi = sorted((abs(v), abs(float(v2))))
                self.claim("target", {"figure": "gain_vv", "op": ">=", "value": lo}, *span)
                self.claim("target", {"figure": "gain_vv", "op": "<=", "value": hi}, *span)
            elif v2 is not None:
                continue  # "gain 3 and 4": not a phrase the reader knows
            elif self.family in ("opamp_app", "buffer") and op in ("", "=", "~"):
                self._gain_relation(v, *span)
            elif op in ("", "="):
                # an amplifier's "gain of 10": at least that much (op-amp circuits are exact)
                self.claim("target", {"figure": "gain_vv", "op": ">=" if self.family != "filter" else "~",
                                      "value": abs(v), **({"tol": 0.1} if self.family == "filter" else {})}, *span)
            else:
                loose = op_word in ("close to", "near", "roughly", "about", "around", "approximately", "≈", "~")
                self.claim("target", {"figure": "gain_vv", "op": op, "value": abs(v),
                                      **({"tol": 0.2 if loose else 0.1} if op == "~" else {})}, *span)
            if v < 0 and self.family not in ("opamp_app",):
                self.claim("polarity", {"sense": "inverting"}, *span)
            for qi in self.qty_in(*span):
                self.q_used[qi] = True

    def _gain_relation(self, g: float, start: int, end: int) -> None:
        ins = self.ports_of(PortRole.SIGNAL_IN, PortRole.DIFF_IN_P)
        outs = self.ports_of(PortRole.OUT)
        senses = {c.params["sense"] for c in self.claims if c.kind == "polarity"}
        inverting = g < 0 or "inverting" in senses or self.variant in ("inverting", "integrator")
        if g < 0 and "non_inverting" in senses:
            raise InputError(f"a non-inverting circuit cannot have the gain {g:g}", where="request",
                             fix="drop the sign or ask for an inverting amplifier")
        value = -abs(g) if inverting else abs(g)
        # gain_vv is a magnitude; the sign is the polarity / linear relation's business
        self.claim("target", {"figure": "gain_vv", "op": "~", "value": abs(value), "tol": 0.1}, start, end)
        if len(ins) == 1 and len(outs) == 1 and self.variant in ("inverting", "non_inverting", None):
            self.claim("linear_relation", {"output": outs[0], "coefficients": {ins[0]: value}}, start, end)
        for qi in self.qty_in(start, end):
            self.q_used[qi] = True

    def read_filter(self) -> None:
        if self.family != "filter" and not re.search(r"(?:low|high|band)[- ]?pass|band[- ]?stop|notch", self.low):
            return
        params: dict[str, Any] = {}
        spans = []
        band = re.search(r"band[- ]?pass|band[- ]?(?:stop|reject)|notch", self.low)
        for pattern, response in ((r"band[- ]?pass", "bandpass"), (r"band[- ]?(?:stop|reject)|notch", "bandstop"),
                                  (r"low[- ]?pass", "lowpass"), (r"high[- ]?pass", "highpass"),
                                  (r"all[- ]?pass", "allpass")):
            for m in re.finditer(pattern, self.low):
                if band and response in ("lowpass", "highpass"):
                    spans.append((m.start(), m.end()))  # the sections of a band filter
                    continue
                if "response" in params and params["response"] != response:
                    raise InputError(f"the request asks for a {params['response']} and a {response} filter at once",
                                     where="request", fix="describe one filter response")
                params["response"] = response
                spans.append((m.start(), m.end()))
        for m in re.finditer(_ORD + r"[- ]order|order (?:of )?(\d+)|(\d+)(?:st|nd|rd|th)?[- ]pole|"
                             r"(single|one|two)[- ]pole", self.low):
            word = next(g for g in m.groups() if g)
            params["order"] = int(word) if word.isdigit() else _NUMWORDS[word]
            spans.append((m.start(), m.end()))
        for m in re.finditer(r"\bpassive\b|\brc\b(?= (?:low|high|band|filter|network|ladder|section))|\brlc\b|"
                             r"\bactive\b|sallen[- ]key|op-?amp[- ]based|using an? op-?amp|with an? op-?amp|biquad|"
                             r"multiple[- ]feedback|\bmfb\b", self.low):
            word = m.group(0)
            params["implementation"] = "passive" if word in ("passive", "rc", "rlc") else "active"
            spans.append((m.start(), m.end()))
        if "response" not in params:
            if self.family == "filter":
                spans.append(self.family_span)
                raise_unknown = True
            else:
                return
        else:
            raise_unknown = False
        if raise_unknown:
            return  # "a filter" without a response: the family claim stands, nothing more to read
        self._filter_params = params
        for s, e in spans:
            self.consume(s, e)
        self._filter_spans = spans

    def read_ports(self) -> None:
        """Port names in the text, and role words right next to them, are read (they define
        the interface; the interface itself is a requirement the judge checks)."""
        role_words = (r"(?:differential |single[- ]ended )?(?:signal |voltage |current )?(?:input|output)s?"
                      r"(?: voltage| current| node| port| pin| signal)?|bias(?:ing)?(?: voltage| current| port| "
                      r"input| node)?|(?:reference|control|tuning|clock)(?: voltage| current| input| signal| port)?|"
                      r"(?:non-?inverting|inverting|positive|negative) inputs?|supply|ground|"
                      r"(?:reference|mirrored|output|input|bias|tail) current(?: (?:into|out of|out at|at|from|to))?|"
                      r"(?:for|on|of|at|to) the (?:load|gate|tail|cascode|source|drain|op-amp tail)|"
                      r"(?:load|cascode|tail) gate|gate bias|(?:first[- ]stage )?tail(?: bias)?|local oscillator|"
                      r"rf input|if output|lo input|(?:amplified|buffered|filtered|inverted|regulated|sampled|held)"
                      r"(?: signal| version| voltage)?(?: out(?:put)?)?|signal (?:in|out)|"
                      r"(?:into|out of|out at|at|from|to|on)")
        for name in self.port_names():
            for m in re.finditer(rf"(?<![\w]){re.escape(name)}(?![\w])", self.text, re.IGNORECASE):
                start, end = m.start(), m.end()
                before = re.search(rf"(?:{role_words})\s*(?:port|pin|node|terminal)?\s*(?:called|named|at|on|is|=|:)?"
                                   rf"\s*\(?\s*$", self.low[max(0, start - 40):start])
                if before:
                    start = max(0, start - 40) + before.start()
                after = re.match(rf"\s*\)?\s*(?:is|as|for|being)?\s*(?:the|an?)?\s*(?:{role_words})",
                                 self.low[end:end + 44])
                if after:
                    end += after.end()
                self.consume(start, end)
        # what a mirror's output does with its current: "the output sinks the copy at IOUT",
        # "the copy flows out of Iout into the load" (the judge's test load)
        if self.family in ("current_mirror", "current_source", "reference"):
            for m in re.finditer(r"(?:the )?(?:output|copy|mirrored current|copied current)(?: (?:sinks|sources|"
                                 r"delivers|carries|gives|provides|flows)(?: out)?)?(?: the (?:copy|current|mirrored "
                                 r"current))?(?: (?:at|on|into|out of|from) \w+)?(?: into the load)?|"
                                 r"into (?:the|a|an external) load", self.low):
                if re.search(r"sinks|sources|delivers|carries|gives|provides|flows|copy|load", m.group(0)):
                    self.consume(m.start(), m.end())
        # generic mentions of what every circuit has
        for m in re.finditer(r"(?:single|one|two|differential|single-ended) (?:inputs?|outputs?)|"
                             r"(?:an? |the |its )(?:input|output)(?! stage)|bias(?:ed)? (?:from|by|with) (?:an? )?"
                             r"(?:external )?(?:bias )?(?:voltage|current)", self.low):
            if m.group(0).startswith(("two", "differential")) and "input" in m.group(0) and \
                    len(self.ports_of(PortRole.SIGNAL_IN, PortRole.DIFF_IN_P, PortRole.DIFF_IN_N)) not in (0, 2):
                continue
            self.consume(m.start(), m.end())

    def read_hysteresis(self) -> None:
        m = re.search(r"hysteresis|schmitt", self.low)
        if not m:
            return
        if self.family in ("oscillator", "vco") and not re.search(r"hysteresis", self.low):
            return  # the Schmitt trigger inside a relaxation oscillator: a part (read with the capacitor)
        self._hyst_span = (m.start(), m.end())

    def read_control(self) -> None:
        if self.family not in ("vco", "pll", "oscillator"):
            return
        controls = self.ports_of(PortRole.CONTROL)
        for m in re.finditer(r"(?:voltage|current)[- ]controlled|control(?:led)?\b(?: voltage| input| port| current)?|"
                             r"(?:whose |the |its )?(?:output )?(?:frequency|freq) (?:is )?(?:set|controlled|tuned|"
                             r"adjusted|varied|changed) (?:by|with)|"
                             r"tun(?:ed|ing|able)(?: voltage| input| range| by)?|(?:(?:whose |the |its )?(?:output |"
                             r"oscillation )?(?:frequency|freq) )?(?:(?:must|should|will|shall) )?(?:increases?|rises?|"
                             r"goes up|go up|decreases?|falls?) (?:with|as)"
                             r"(?:[\w ]{0,30}?(?:control|voltage|input)| \w+)(?: (?:increases|rises|goes up|decreases|"
                             r"falls|drops|goes down))?|(?:sets|controls|tunes|sets the|"
                             r"controls the|tunes the) (?:output |oscillation )?(?:frequency|freq)(?: \(?monotonic(?:ally)?"
                             r" (?:increas\w*|decreas\w*)\)?)?", self.low):
            self.consume(m.start(), m.end())
            have = [c for c in self.claims if c.kind == "control_moves_frequency"]
            sense = re.match(r".*?(increas|rises?\b|go(?:es)? up|decreas|falls?\b)(?:.*\b(?:with|as)\b.*?"
                             r"(increases|rises|goes up|decreases|falls|drops|goes down)$)?", m.group(0))
            if have and "direction" not in have[0].params and sense:
                # "... control voltage vtune ...; the frequency must rise as vtune rises": the sense, read later;
                # "decrease as vc decreases" moves with the control (increasing)
                f_down = sense.group(1).startswith(("decreas", "fall"))
                c_down = bool(sense.group(2)) and sense.group(2).startswith(("decreas", "fall", "drop", "goes down"))
                have[0].params["direction"] = "decreasing" if f_down != c_down else "increasing"
            if controls and not any(c.kind == "control_moves_frequency" for c in self.claims):
                params: dict[str, Any] = {"control": controls[0]}
                if re.search(r"increas|rises|goes up", m.group(0)):
                    params["direction"] = "increasing"
                elif re.search(r"decreases|falls", m.group(0)):
                    params["direction"] = "decreasing"
                self.claim("control_moves_frequency", params, m.start(), m.end())
        if self.family == "vco" and controls and not any(c.kind == "control_moves_frequency" for c in self.claims):
            s, e = self.family_span
            self.claim("control_moves_frequency", {"control": controls[0]}, s, e)

    # -- quantities -------------------------------------------------------------------------
    def read_quantities(self) -> None:
        prev_end = 0
        for qi, q in enumerate(self.quantities):
            if self.q_used[qi]:
                prev_end = q.end
                continue
            nxt = self.quantities[qi + 1].start if qi + 1 < len(self.quantities) else len(self.text)
            self._quantity(qi, q, prev_end, nxt)
            if not (re.search(r"within\s*$", self.low[max(0, q.start - 8):q.start]) and
                    re.match(r"\s*of\s+[-+]?\d", self.low[q.end:q.end + 10])):
                prev_end = q.end

    def _keyword(self, q: Quantity, lo: int, hi: int) -> tuple[str, str, int, int] | None:
        """The nearest figure keyword for ``q`` inside [lo, hi): (figure, op, start, end)."""
        keys = _KEYS.get(q.unit, ())
        best = None
        win_lo = max(lo, q.start - 48)
        seg_before = self.low[win_lo:q.start]
        # a sentence or clause boundary ends the window
        cut = max(seg_before.rfind(". "), seg_before.rfind(";"), seg_before.rfind(", and "))
        if cut >= 0:
            win_lo += cut + 1
            seg_before = self.low[win_lo:q.start]
        seg_after = self.low[q.end:min(hi, q.end + 36)]
        cut = min([i for i in (seg_after.find(". "), seg_after.find(";"), seg_after.find(","),
                               seg_after.find(" and ")) if i >= 0] or [len(seg_after)])
        seg_after = seg_after[:cut]
        for rank, (pattern, fig, op) in enumerate(keys):
            if pattern in _COMPARED and self.family not in ("comparator", "schmitt"):
                continue
            for m in re.finditer(pattern, seg_before):
                dist = len(seg_before) - m.end()
                cand = (dist, rank, fig, op, win_lo + m.start(), win_lo + m.end())
                if best is None or cand[:2] < best[:2]:
                    best = cand
            for m in re.finditer(pattern, seg_after):
                # a keyword right after the number ("1.8 V supply") names it; further away it is weaker
                dist = 0 if not seg_after[:m.start()].strip() else m.start() + 2
                cand = (dist, rank, fig, op, q.end + m.start(), q.end + m.end())
                if best is None or cand[:2] < best[:2]:
                    best = cand
        if best is None:
            return None
        return best[2], best[3], best[4], best[5]

    def _trailing_keyword(self, q: Quantity) -> int:
        """End of a figure noun right after the quantity ("2 pF load", "3 mW power")."""
        end = q.end
        for pattern, _, _ in _KEYS.get(q.unit, ()):
            m = re.match(r"\s*(?:of\s+)?(?:" + pattern + r")\b", self.low[q.end:q.end + 40])
            if m and m.group(0).strip():
                end = max(end, q.end + m.end())
        return end

    def _quantity(self, qi: int, q: Quantity, lo: int, hi: int) -> None:
        if q.unit == "x" and re.match(r"\s*(?:tuning|frequency|control) range", self.low[q.end:q.end + 20]):
            return  # "2x tuning range": read with the VCO's control
        if re.search(r"within\s*$", self.low[max(0, q.start - 8):q.start]) and \
                re.match(r"\s*of\s+[-+]?\d", self.low[q.end:q.end + 10]):
            return  # "within 50 mV of 0.9 V": a tolerance, read with the value it belongs to
        found = self._keyword(q, lo, hi)
        fam = self.family
        if found is None:
            fig = _DEFAULT_FIG.get(q.unit)
            default_ops = {"gain_db": ">=", "slew_vps": ">=", "tempco_ppm": "<=", "power_w": "<=", "bits": "==",
                           "gain_vv": "~"}
            if q.unit == "V" and fam in ("ldo", "bandgap", "reference"):
                fig = "vout_v"
            elif q.unit == "Hz" and fam in ("oscillator", "vco"):
                fig = "@freq"
            elif q.unit == "Hz" and fam == "filter":
                fig = "@corner"
            elif q.unit == "A" and fam in ("current_mirror", "current_source", "reference"):
                fig = "iout_a"
            if fig is None:
                return
            found = (fig, default_ops.get(fig, "~"), q.start, q.end)
        fig, default_op, ks, ke = found
        op, os_, oe = _op_near(self.low, q.start, q.end, default_op)
        if fig == "load_current_a":
            op = ">="  # "load current up to 10 mA": the design must be able to deliver it
        ke = max(ke, self._trailing_keyword(q))
        start, end = min(ks, os_, q.start), max(ke, oe, q.end)
        value = q.value
        if fig.startswith("@"):
            if not self._special(fig[1:], q, value, op, start, end):
                return
        else:
            if fig not in FIGURES:
                return
            if fig == "gain_db" and fam in ("filter",) and value < 0:
                return
            params: dict[str, Any] = {"figure": fig, "op": op if fig != "bits" else "==", "value": float(value),
                                      "unit": q.raw[len(re.match(r"[-+\d.eE]+", q.raw.replace('−', '-')).group(0)):]
                                      .strip() or q.unit}
            if op == "~":
                params["tol"] = 0.1
            if fig == "gain_vv" and fam in ("opamp_app", "buffer"):
                self._gain_relation(value, start, end)
                self.q_used[qi] = True
                return
            if fig == "vout_v" and fam == "bandgap":
                params["tol"] = 0.1
            if fig in ("output_swing_v", "amplitude_v") and fam in ("oscillator", "vco"):
                # peak-to-peak swing -> the oscillation's amplitude (half of it)
                amp = value / 2 if fig == "output_swing_v" or "peak-to-peak" in self.low[start:end] or \
                    re.search(r"v_?pp|vp-p", q.raw.lower()) else value
                word = re.search(r"(?:output )?(?:swing|amplitude)\s*(?:of\s*)?$", self.low[max(0, start - 24):start])
                if word:  # "swing at least 1.2 V peak-to-peak": the noun before the op word
                    start = max(0, start - 24) + word.start()
                self.claim("oscillation", {"min_amplitude_v": float(amp)}, start, end)
                self.q_used[qi] = True
                return
            self.claim("target", params, start, end)
        self.q_used[qi] = True

    def _special(self, what: str, q: Quantity, value: float, op: str, start: int, end: int) -> bool:
        fam = self.family
        if what == "supply":
            self.claim("supply", {"voltage": float(value)}, start, end)
            return True
        if what in ("corner", "center", "freq") and fam == "filter" and \
                "corner_hz" in (getattr(self, "_filter_params", None) or {}):
            return False  # band edges ("1 kHz to 10 kHz"): one corner is all the schema holds; stays unread
        if what == "center" and fam in ("oscillator", "vco", "pll"):
            self.claim("oscillation", {"frequency_hz": float(value), "tol": 0.3}, start, end)
            return True
        if what in ("corner", "center"):
            if fam == "filter" and getattr(self, "_filter_params", None) is not None:
                self._filter_params["corner_hz"] = float(value)
                self._filter_spans.append((start, end))
                self.consume(start, end)
                return True
            if fam == "filter":
                return False
            if what == "center":
                self.claim("target", {"figure": "center_hz", "op": "~", "value": float(value), "tol": 0.2}, start, end)
                return True
            self.claim("target", {"figure": "f3db_hz", "op": op if op != "~" else ">=", "value": float(value)},
                       start, end)
            return True
        if what == "freq":
            if fam in ("oscillator", "vco", "pll"):
                params = {"frequency_hz": float(value), "tol": 0.3}
                self.claim("oscillation", params, start, end)
                return True
            if fam == "filter" and getattr(self, "_filter_params", None) is not None:
                self._filter_params["corner_hz"] = float(value)
                self._filter_spans.append((start, end))
                self.consume(start, end)
                return True
            if "clock" in self.low[start:end] and self.ports_of(PortRole.CLOCK):
                self.claim("condition", {"name": "clock_hz", "value": float(value)}, start, end)
                return True
            if fam in ("opamp_app",) and self.variant in ("integrator", "differentiator"):
                self.claim("target", {"figure": "ugb_hz", "op": "~", "value": float(value), "tol": 0.2}, start, end)
                return True
            return False
        if what == "period":
            if fam in ("oscillator", "vco"):
                self.claim("oscillation", {"frequency_hz": 1.0 / value, "tol": 0.3}, start, end)
                return True
            return False
        if what == "hysteresis":
            self.claim("hysteresis", {"op": op, "value": float(value), **({"tol": 0.3} if op == "~" else {})},
                       start, end)
            return True
        if what.startswith("threshold"):
            direction = {"threshold_rising": "rising", "threshold_falling": "falling"}.get(what, "any")
            self.claim("threshold", {"value": float(value), "direction": direction, "tol": 0.1}, start, end)
            return True
        if what == "bias_current":
            port = (self.ports_of(PortRole.BIAS_I) or (None,))[0]
            name = "ref_current_a" if fam in ("current_mirror",) or "ref" in self.low[start:end] else "bias_current_a"
            self.claim("condition", {"name": name, "value": float(value), **({"port": port} if port else {})},
                       start, end)
            return True
        if what in ("input_cm", "input_dc", "control", "reference", "bias_voltage", "load_res", "load_cap"):
            name = {"input_cm": "input_cm_v", "input_dc": "input_dc_v", "control": "control_v",
                    "reference": "ref_voltage_v", "bias_voltage": "bias_voltage_v", "load_res": "load_res_ohm",
                    "load_cap": "load_cap_f"}[what]
            if what == "reference" and fam in ("bandgap", "reference"):
                self.claim("target", {"figure": "vout_v", "op": "~", "value": float(value), "tol": 0.1}, start, end)
                return True
            role = {"control": PortRole.CONTROL, "reference": PortRole.REFERENCE, "bias_voltage": PortRole.BIAS_V}
            port = (self.ports_of(role[what]) or (None,))[0] if what in role else None
            self.claim("condition", {"name": name, "value": float(value), **({"port": port} if port else {})},
                       start, end)
            return True
        return False

    def finish_filter(self) -> None:
        params = getattr(self, "_filter_params", None)
        if params is None:
            return
        spans = self._filter_spans
        start, end = min(s for s, _ in spans), max(e for _, e in spans)
        self.claims.append(_Claim("filter", dict(params), start, end))

    def finish_hysteresis(self) -> None:
        span = getattr(self, "_hyst_span", None)
        if span is None:
            return
        self.consume(*span)
        for m in re.finditer(r"(?:with |and )?hysteresis", self.low):
            self.consume(m.start(), m.end())
        thresholds = [c for c in self.claims if c.kind == "threshold"]
        if not any(c.kind == "hysteresis" for c in self.claims):
            rising = [c.params["value"] for c in thresholds if c.params.get("direction") == "rising"]
            falling = [c.params["value"] for c in thresholds if c.params.get("direction") == "falling"]
            if rising and falling:
                self.claim("hysteresis", {"op": "~", "value": rising[0] - falling[0], "tol": 0.3}, *span)
            else:
                self.claim("hysteresis", {"op": ">=", "value": 0.01}, *span)

    def read_load_words(self) -> None:
        """Every "load" word not yet read: the load type named within a few words of it
        ("a resistor to ground as load", "resistive drain load", "load: active PMOS current
        source"). A "load" with no type nearby stays unread."""
        types = ((r"diode[- ]connected|diode", "diode"), (r"current[- ]?mirror|mirror", "mirror"),
                 (r"current[- ]source|current source|current sink", "current_source"),
                 (r"\bactive\b", "active"), (r"cascode", "cascode"),
                 (r"resistor|resistive|\bres\b|\br[ds]\b|\brl\b|\d\s*k\s*(?:ohm|Ω)?", "resistor"))
        for m in re.finditer(r"\bload(?:s|ed)?\b", self.low):
            if all(self.used[m.start():m.end()]):
                continue
            lo, hi = max(0, m.start() - 34), min(len(self.low), m.end() + 34)
            # stay inside the clause
            left = self.low[lo:m.start()]
            cut = max(left.rfind(";"), left.rfind(". "), left.rfind(", "))
            if cut >= 0:
                lo += cut + 1
            right = self.low[m.end():hi]
            cuts = [i for i in (right.find(";"), right.find(". "), right.find(", ")) if i >= 0]
            if cuts:
                hi = m.end() + min(cuts)
            window = self.low[lo:hi]
            if re.search(r"pf|nf|capacit|current (?:of|up to)|\bma\b|\bua\b|regulation", window):
                continue  # a test load (capacitance, current), read with the quantities
            for pattern, load in types:
                t = re.search(pattern, window)
                if t:
                    dev = re.search(r"\b(pmos|nmos)\b", window)
                    if load == "diode" and dev:
                        load = dev.group(1) + "_diode"
                        self.claim("structure", {"feature": "diode_connected", "device": dev.group(1)}, lo, hi)
                    self.claim("load_type", {"load": load}, min(m.start(), lo + t.start()),
                               max(m.end(), lo + t.end()))
                    if dev and load in ("current_source", "mirror", "active"):
                        self.claim("device_count", {"device": dev.group(1), "min": 1}, lo + dev.start(),
                                   lo + dev.end())
                    self.consume(lo + t.start(), lo + t.end())
                    break

    def read_device_words(self) -> None:
        """Polarity words on the circuit's own devices: "NMOS common-source", "a PMOS source
        follower", "CG stage (NMOS)", "NMOS input device", "an NMOS cascode", "NMOS tail"."""
        dev = r"(nmos|pmos|n-?channel|p-?channel)"
        main = (r"(?:common[- ](?:source|gate|drain)|source[- ]follower|follower|\bcs\b|\bcg\b|\bcd\b|"
                r"differential (?:pair|amplifier|amp|stage)|diff(?:erential)? pair|input (?:device|transistor|stage|"
                r"pair)s?|(?:amplifying|gain|input) (?:device|transistor)|device|transistor)")
        for m in re.finditer(rf"\b{dev}[- ](?:input )?{main}", self.low):
            if any(c.kind == "load_type" and c.start <= m.start() and m.end() <= c.end for c in self.claims):
                continue  # the device is the load ("whose load is an NMOS transistor connected as a diode")
            d = "nmos" if m.group(1).startswith("n") else "pmos"
            if self.family in ("amplifier", "opamp", "comparator", "buffer", "mixer", "opamp_app") and \
                    not re.search(r"cascode|tail|load|sink|source\b(?![- ]follower)|mirror|switch|pass",
                                  self.low[m.start():m.end() + 12]):
                self.claim("input_type", {"device": d, **({"pair": True} if "pair" in m.group(0) or
                                                           self.family in DIFFERENTIAL_FAMILIES else {})},
                           m.start(), m.end())
            else:
                self.claim("device_count", {"device": d, "min": 1}, m.start(), m.end())
        # "the signal enters at the source of the NMOS": the device the input drives
        for m in re.finditer(r"(?:at|into|to|on|drives) the (?:source|gate)(?: terminal)? of (?:the|an?) (nmos|pmos)"
                             r"(?: transistor| device| mosfet)?", self.low):
            if self.family == "amplifier" and self.free(m.start(), m.end()):
                self.claim("input_type", {"device": m.group(1)}, m.start(), m.end())
        for m in re.finditer(r"\(\s*(nmos|pmos)\s*\)", self.low):
            self.claim("input_type" if self.family in ("amplifier",) else "device_count",
                       {"device": m.group(1)} if self.family in ("amplifier",) else {"device": m.group(1), "min": 1},
                       m.start(), m.end())
        for m in re.finditer(rf"(?:an? )?{dev}[- ]cascode(?:d)?(?: devices?| transistors?| stage)?", self.low):
            d = "nmos" if m.group(1).startswith("n") else "pmos"
            self.claim("structure", {"feature": "cascode", "device": d}, m.start(), m.end())
        for m in re.finditer(r"(?:first[- ]stage )?(?:(nmos|pmos) )?tail(?: current)?(?: source| sink| transistor| device)?"
                             r"(?: (?:from|by|through|using) (?:an? )?(nmos|pmos)(?: transistor| device)?)?"
                             r"(?:[,;]? (?:bias(?:ed)?|set|held|gate)(?: (?:by|from|at|with))?)?|"
                             r"(?:bias|vbias|gate) (?:for|of) the (?:op-amp )?tail", self.low):
            if all(self.used[m.start():m.end()]):
                continue
            dev = m.group(1) or m.group(2)
            self.claim("structure", {"feature": "tail_source", **({"device": dev} if dev else {})},
                       m.start(), m.end())
        for m in re.finditer(r"complementary(?: (?:nmos/pmos|pmos/nmos|pair|devices|transistors))?|"
                             r"\(complementary[^)]*\)|nmos/pmos|pmos/nmos", self.low):
            self.claim("device_count", {"device": "nmos", "min": 1}, m.start(), m.end())
            self.claim("device_count", {"device": "pmos", "min": 1}, m.start(), m.end())
        for m in re.finditer(r"transistor[- ]level|cmos\b", self.low):
            self.consume(m.start(), m.end())  # every chipsmith design is a transistor-level CMOS netlist
        for m in re.finditer(r"(?:in |with |under )?unity[- ]gain feedback|(?:in |with |under )?unity feedback|"
                             r"unity[- ]feedback", self.low):
            if self.family in ("opamp", "ldo", "buffer", "opamp_app"):
                self.consume(m.start(), m.end())  # how op-amp stability is measured (the judge's convention)

    def read_ratios(self) -> None:
        """Mirror ratios: "1:2 ratio" (in:out), "ratio 1", "3x the reference current",
        "Iout = Iref/2", "twice the reference"."""
        if self.family not in ("current_mirror", "current_source", "reference"):
            return
        for m in re.finditer(r"(?:with )?(?:a |an )?(\d+(?:\.\d+)?)\s*:\s*(\d+(?:\.\d+)?)(?: current)?"
                             r"(?: mirror)?(?: ratio)?|(?:mirror |current )?ratio(?: of| is|=|:)?\s*(?:1\s*:\s*)?"
                             r"(\d+(?:\.\d+)?)|(\d+(?:\.\d+)?)\s*(?:x|times) the (?:reference|input)(?: current)?|"
                             r"(twice|half) the (?:reference|input)(?: current)?|(?:with )?(?:an? )?(unity|one)"
                             r"(?:[- ]to[- ](?:one|1))? (?:mirror |current )?ratio|"
                             r"\(?\s*i_?out\s*=\s*(?:(\d+(?:\.\d+)?)\s*\*?\s*)?i_?(?:ref|in)\s*(?:/\s*"
                             r"(\d+(?:\.\d+)?))?\s*\)?", self.low):
            g = m.groups()
            if g[0] and g[1]:
                ratio = float(g[1]) / float(g[0])
            elif g[2]:
                ratio = float(g[2])
            elif g[3]:
                ratio = float(g[3])
            elif g[4]:
                ratio = 2.0 if g[4] == "twice" else 0.5
            elif g[5]:
                ratio = 1.0  # "with unity ratio"
            elif m.group(0).strip(" ()").startswith(("iout", "i_out")):
                ratio = float(g[6] or 1.0) / float(g[7] or 1.0)
            else:
                continue
            self.claim("target", {"figure": "mirror_ratio", "op": "~", "value": round(ratio, 9), "tol": 0.1},
                       m.start(), m.end())
            for qi in self.qty_in(m.start(), m.end()):
                self.q_used[qi] = True

    def read_port_values(self) -> None:
        """A value given for a port: "Vb = 1.2 V", "ref held at 1.2 V", "Vtap (0.45 V)",
        "reference Vref (0.6 V)", "at VCTRL = 0.9 V", "Iref = 20 uA", "20 uA into Ibias"."""
        if self.interface is None:
            return
        names = {p.name.lower(): p for p in self.interface.ports}
        for qi, q in enumerate(self.quantities):
            if self.q_used[qi] or q.unit not in ("V", "A"):
                continue
            before = self.low[max(0, q.start - 26):q.start]
            after = self.low[q.end:q.end + 22]
            m = re.search(r"\b([a-z_][a-z0-9_]*)\s*(?:=|:|\(|is|of|at|held at|set to|tied to|fixed at)\s*"
                          r"(?:about |around |approximately )?$", before)
            after = self.low[q.end:q.end + 48]
            m2 = re.match(r"\s*(?:(?:reference|bias|input|tail) (?:current )?)?(?:(?:is|are) )?(?:flows |flowing |sunk |"
                          r"sourced |pulled |drawn |taken |injected |forced )?(?:into|out of|from|at|on|to) (?:the )?"
                          r"(?:(?:reference|bias|input|output) )?(?:pin |port |node )?([a-z_][a-z0-9_]*)\b", after)
            name = m.group(1) if m and m.group(1) in names else (m2.group(1) if m2 and m2.group(1) in names
                                                                  else None)
            if name is None:
                continue
            port = names[name]
            role = port.role
            if role == PortRole.OUT and q.unit == "A":
                # "sourcing about 10 uA into Iout": the output current asked for
                op, _, _ = _op_near(self.low, q.start, q.end, "~")
                self.claim("target", {"figure": "iout_a", "op": op, "value": q.value,
                                      **({"tol": 0.1} if op == "~" else {})}, q.start, q.end)
                span_hi = q.end + m2.end() if (m2 and m2.group(1) == name) else q.end
                self.consume(q.start, span_hi)
                self.q_used[qi] = True
                continue
            if role == PortRole.SUPPLY:
                self.claim("supply", {"voltage": q.value}, q.start, q.end)
            elif q.unit == "A":
                cond = "ref_current_a" if self.family in ("current_mirror",) or "ref" in name else "bias_current_a"
                # "pulls 20 uA out of Iref": the current leaves the pin (negative by the judge's convention)
                out_of = (m2 is not None and m2.group(1) == name and "out of" in m2.group(0)) or \
                    bool(re.search(r"out of\s*$", before)) and m is not None and m.group(1) == name
                self.claim("condition", {"name": cond, "value": -q.value if out_of else q.value, "port": port.name},
                           q.start, q.end)
            else:
                cond = {PortRole.BIAS_V: "bias_voltage_v", PortRole.REFERENCE: "ref_voltage_v",
                        PortRole.CONTROL: "control_v", PortRole.SIGNAL_IN: "input_dc_v",
                        PortRole.DIFF_IN_P: "input_cm_v", PortRole.DIFF_IN_N: "input_cm_v"}.get(role)
                if cond is None:
                    if role in (PortRole.OUT,) and self.family in ("ldo", "bandgap", "reference"):
                        self.claim("target", {"figure": "vout_v", "op": "~", "value": q.value, "tol": 0.05},
                                   q.start, q.end)
                        self.q_used[qi] = True
                    continue
                self.claim("condition", {"name": cond, "value": q.value, "port": port.name}, q.start, q.end)
            span_lo = max(0, q.start - 26) + m.start() if m and m.group(1) == name else q.start
            word = re.search(r"(?:reference|bias|control|input|tail|output)(?: current| voltage)?\s*(?:of\s*)?$",
                             self.low[max(0, span_lo - 24):span_lo])
            if word:  # "reference 10uA into ref": the role word belongs to the value
                span_lo = max(0, span_lo - 24) + word.start()
            span_hi = q.end + m2.end() if (m2 and m2.group(1) == name) else q.end
            self.consume(span_lo, span_hi)
            self.q_used[qi] = True

    def read_tolerances(self) -> None:
        """"(±25%)", "within 5%", "gain accuracy 5%", "±50%": the tolerance of the figure just before."""
        tol_kinds = {"target": "tol", "oscillation": "tol", "filter": "tol", "linear_relation": "rel_tol",
                     "hysteresis": "tol"}
        for qi, q in enumerate(self.quantities):
            if self.q_used[qi] or q.unit != "%":
                continue
            before = self.low[max(0, q.start - 20):q.start]
            if not re.search(r"(?:±|\+/-|\+-|within|accuracy|tolerance|error(?: of| below| under)?)\s*(?:of\s*)?$",
                             before):
                continue
            prior = [c for c in self.claims if c.kind in tol_kinds and c.end <= q.start + 2 and
                     q.start - c.end < (60 if not re.search(r"within\s*$", before) else 120)]
            if not prior:
                continue
            c = max(prior, key=lambda c: c.end)
            if c.kind == "target" and c.params.get("op") not in ("~",):
                continue
            c.params[tol_kinds[c.kind]] = q.value / 100.0
            m = re.search(r"\(?\s*(?:±|\+/-|\+-|within|(?:gain )?accuracy|tolerance)\s*(?:of\s*)?$", before)
            self.consume(max(0, q.start - 20) + (m.start() if m else 0), q.end + (1 if self.text[q.end:q.end + 1]
                                                                                    == ")" else 0))
            self.q_used[qi] = True
        # a threshold "within 50 mV of 0.9 V": the tolerance in volts
        for m in re.finditer(r"within (\d+(?:\.\d+)?)\s*(m?)v of", self.low):
            tol = float(m.group(1)) * (1e-3 if m.group(2) else 1.0)
            for c in self.claims:
                if c.kind in ("threshold", "target") and c.start <= m.end() + 20 and c.end >= m.start() - 30 and \
                        (c.kind == "threshold" or c.params.get("op") == "~"):
                    c.params["tol"] = tol if c.kind == "threshold" else round(tol / max(abs(c.params["value"]),
                                                                                           1e-12), 6)
                    self.consume(m.start(), m.end())
                    for qi in self.qty_in(m.start(), m.end()):
                        self.q_used[qi] = True

    def read_ranges(self) -> None:
        """"50 MHz to 2 GHz is acceptable": an oscillator's frequency window (geometric centre)."""
        if self.family not in ("oscillator", "vco"):
            return
        for i, a in enumerate(self.quantities[:-1]):
            b = self.quantities[i + 1]
            if self.q_used[i] or self.q_used[i + 1] or a.unit != "Hz" or b.unit != "Hz":
                continue
            if not re.fullmatch(r"\s*(?:to|-|–|and)\s*", self.low[a.end:b.start]) or b.value <= a.value:
                continue
            centre = (a.value * b.value) ** 0.5
            tol = round(max(b.value / centre - 1.0, 1.0 - a.value / centre), 4)
            start = a.start
            before = re.search(r"(?:between|from|in the range(?: of)?|range)\s*$", self.low[max(0, a.start - 22):a.start])
            if before:
                start = max(0, a.start - 22) + before.start()
            tail = re.match(r"\s*(?:is )?(?:acceptable|ok|fine|allowed)", self.low[b.end:b.end + 18])
            self.claim("oscillation", {"frequency_hz": round(centre, 3), "tol": tol}, start,
                       b.end + (tail.end() if tail else 0))
            self.q_used[i] = self.q_used[i + 1] = True

    def read_value_ranges(self) -> None:
        """"gain between 30 and 45 dB", "hysteresis 200 mV to 600 mV": a window, i.e. a lower
        and an upper bound on the same figure. Band-filter edges stay unread (one corner only)."""
        for bi, b in enumerate(self.quantities):
            if self.q_used[bi] or self.family in ("filter",):
                continue
            before = self.low[max(0, b.start - 34):b.start]
            prev = self.quantities[bi - 1] if bi > 0 else None
            lo_value, lo_start = None, None
            if prev is not None and not self.q_used[bi - 1] and prev.unit == b.unit and \
                    re.fullmatch(r"\s*(?:and|to|-|–)\s*", self.low[prev.end:b.start]):
                lo_value, lo_start = prev.value, prev.start
            else:
                m = re.search(r"([-+]?\d+(?:\.\d+)?)\s*(?:and|to|-|–)\s*$", before)
                if m and not any(q.end == max(0, b.start - 34) + m.end(1) for q in self.quantities):
                    number = float(re.match(r"[-+]?\d+(?:\.\d+)?", b.raw).group(0))
                    scale = b.value / number if number else 1.0
                    lo_value, lo_start = float(m.group(1)) * scale, max(0, b.start - 34) + m.start()
            if lo_value is None or lo_value >= b.value:
                continue
            found = self._keyword(b, 0, len(self.text))
            if found is None:
                continue
            fig, _, ks, ke = found
            word = re.search(r"(?:between|from)\s*$", self.low[max(0, lo_start - 9):lo_start])
            start = min(ks, max(0, lo_start - 9) + word.start() if word else lo_start)
            end = max(ke, b.end)
            if fig == "@hysteresis":
                self.claim("hysteresis", {"op": ">=", "value": lo_value}, start, end)
                self.claim("hysteresis", {"op": "<=", "value": b.value}, start, end)
            elif fig in FIGURES:
                self.claim("target", {"figure": fig, "op": ">=", "value": lo_value}, start, end)
                self.claim("target", {"figure": fig, "op": "<=", "value": b.value}, start, end)
            else:
                continue
            self.q_used[bi] = True
            if prev is not None and prev.start == lo_start:
                self.q_used[bi - 1] = True

    def read_comparator(self) -> None:
        """"output high when Vin > Vref": the comparator's sense; a reference held at a
        value is its threshold."""
        if self.family not in ("comparator",):
            return
        for m in re.finditer(r"(?:(?:switches|drives|pulls|sets|takes|puts) (?:its |the )?)?"
                             r"(?:output|out|\w+)? ?(?:goes |is |switches |turns |becomes |swings )?(high|low) "
                             r"(?:when|if|whenever|once) (?:the )?(\w+) (?:>|rises above|exceeds|is above|is greater than|"
                             r"goes above|is higher than|<|falls below|is below|drops below)(?: the)? (\w+)", self.low):
            level, a, b = m.groups()
            rel = self.low[m.start():m.end()]
            above = any(w in rel for w in (">", "rises above", "exceeds", "is above", "greater", "goes above",
                                           "higher"))
            sense = "non_inverting" if (level == "high") == above else "inverting"
            self.claim("polarity", {"sense": sense}, m.start(), m.end())
        refs = [c for c in self.claims if c.kind == "condition" and c.params["name"] == "ref_voltage_v"]
        if refs and not any(c.kind == "threshold" for c in self.claims):
            c = refs[0]
            self.claim("threshold", {"value": c.params["value"], "direction": "any", "tol": 0.05}, c.start, c.end)
        for m in re.finditer(r"compares? (\w+) (?:with|against|to) (?:the )?(?:\w+ )?(?:voltage )?(\w+)", self.low):
            self.consume(m.start(), m.end())

    def read_misc(self) -> None:
        """Smaller phrase families, each read only in the circuit it belongs to."""
        low, fam = self.low, self.family
        # per-stage descriptions of a multistage amplifier
        if fam == "amplifier":
            for m in re.finditer(r"(?:(?:three|two|four|\d) )?(?:cascaded |identical )?(?:common[- ]source|cs|common[- ]gate|"
                                 r"source[- ]follower)(?: gain)? stages|each stage (?:is )?an? (?:common[- ]source|cs)"
                                 r"(?: stage)?|(?:input|gain) stage", low):
                self.consume(m.start(), m.end())
            markers = [(m.start(), _NUMWORDS.get(m.group(1) or "", None) or (int(m.group(2)) if m.group(2) else None))
                       for m in re.finditer(r"\b(first|second|third|fourth|1st|2nd|3rd|4th)[- ]stage\b|"
                                            r"\bstage (\d)\b", low)]
            if markers:
                for c in [c for c in self.claims if c.kind == "load_type" and "stage" not in c.params]:
                    before = [n for pos, n in markers if pos <= c.start and low.rfind(";", pos, c.start) < 0
                              and low.rfind(". ", pos, c.start) < 0 and n]
                    if before:
                        c.params["stage"] = before[-1]
                for m in re.finditer(r"\b(?:first|second|third|fourth|1st|2nd|3rd|4th)[- ]stage(?: (?:cs|"
                                     r"common[- ]source|common[- ]gate))?", low):
                    if any(c.kind == "load_type" and c.params.get("stage") and 0 <= c.start - m.end() < 40
                           for c in self.claims):
                        self.consume(m.start(), m.end())
        # "a PMOS pass device" (LDO)
        if fam == "ldo":
            for m in re.finditer(r"(?:an? )?(pmos|nmos) pass (?:device|transistor|element|fet)", low):
                self.claim("device_count", {"device": m.group(1), "min": 1}, m.start(), m.end())
        # a diode-connected reference device in a mirror/reference is a structure, not a load
        if fam in ("current_mirror", "reference", "bandgap"):
            for m in re.finditer(r"(?:stacked )?diode[- ]connected (?:(nmos|pmos) )?(?:reference |input )?"
                                 r"(?:devices?|transistors?|mosfets?)", low):
                self.claim("structure", {"feature": "diode_connected", **({"device": m.group(1)} if m.group(1)
                                                                          else {})}, m.start(), m.end())
        # the sum of a summing amplifier
        if fam == "opamp_app" and self.variant == "summer":
            for m in re.finditer(r"(?:non-?inverting |inverting |weighted )?sum\b", low):
                self.consume(m.start(), m.end())
        # comparators have logic outputs
        if fam in ("comparator", "schmitt"):
            for m in re.finditer(r"(?:a )?(?:rail-to-rail )?(?:digital |logic )?output(?: swing)?(?= \w)|"
                                 r"rail-to-rail(?: digital| logic)?(?: output)?", low):
                self.consume(m.start(), m.end())
        # "differential RF, LO and IF": honoured by the port pairs (the judge drives and reads pairs)
        if fam == "mixer":
            ins = [n.lower() for n in self.ports_of(PortRole.SIGNAL_IN, PortRole.DIFF_IN_P, PortRole.DIFF_IN_N,
                                                    PortRole.CLOCK)]
            outs = self.ports_of(PortRole.OUT, PortRole.DIFF_OUT_P, PortRole.DIFF_OUT_N)
            for m in re.finditer(r"(?:fully[- ])?differential (?:rf|lo|if|inputs?|outputs?)(?:(?:,| and|, and) "
                                 r"(?:rf|lo|if|inputs?|outputs?))*(?: (?:inputs?|outputs?|ports?|signals?))?", low):
                words = m.group(0)
                pairs = {"rf": sum("rf" in n for n in ins) == 2 or len(ins) == 4,
                         "lo": sum("lo" in n for n in ins) == 2 or len(ins) == 4,
                         "input": len(ins) == 4, "if": len(outs) == 2, "output": len(outs) == 2}
                if all(ok for key, ok in pairs.items() if re.search(rf"\b{key}", words)):
                    self.consume(m.start(), m.end())
        # switches of sampling circuits and mixers
        if fam in ("switch", "sample_hold", "mixer", "dac"):
            for m in re.finditer(r"(?:an? )?(nmos|pmos|cmos|transmission[- ]gate)?[- ]?(?:sampling |sample |pass |series "
                                 r"|switching )?switch(?:es|ing)?(?: transistors?)?"
                                 r"(?: \(control \w+\))?(?: (?:driven|clocked|controlled|gated|switched) by)?", low):
                if m.group(1) in ("nmos", "pmos"):
                    self.claim("device_count", {"device": m.group(1), "min": 1}, m.start(), m.end())
                elif m.group(1) and m.group(1).startswith("transmission"):
                    self.claim("device_count", {"device": "nmos", "min": 1}, m.start(), m.end())
                    self.claim("device_count", {"device": "pmos", "min": 1}, m.start(), m.end())
                else:
                    self.consume(m.start(), m.end())
        # "NMOS and PMOS devices", "complementary NMOS and PMOS"
        for m in re.finditer(r"(?:complementary )?(?:nmos and pmos|pmos and nmos)(?: [\w-]+)?(?: devices| transistors)?",
                             low):
            self.claim("device_count", {"device": "nmos", "min": 1}, m.start(), m.end())
            self.claim("device_count", {"device": "pmos", "min": 1}, m.start(), m.end())
        # ring stages: "3 current-starved inverters", "a ring of five inverters"
        if fam in ("oscillator", "vco"):
            for m in re.finditer(r"(?:with )?" + _COUNT + r" (?:current[- ]starved |cmos |identical )?(?:inverters|"
                                 r"inverting stages|inverter stages|delay cells|delay stages|stages)", low):
                n = int(m.group(1)) if m.group(1).isdigit() else _NUMWORDS[m.group(1)]
                if not any(c.kind == "stage_count" for c in self.claims):
                    self.claim("stage_count", {"count": n}, m.start(), m.end())
                else:
                    self.consume(m.start(), m.end())
            for m in re.finditer(r"(?:at least )?(\d+(?:\.\d+)?)\s*(?:x|times|:1) (?:tuning|frequency) range"
                                 r"(?: over the control range)?", low):
                for c in self.claims:
                    if c.kind == "control_moves_frequency":
                        c.params["min_ratio"] = float(m.group(1))
                        self.consume(m.start(), m.end())
                        for qi in self.qty_in(m.start(), m.end()):
                            self.q_used[qi] = True
        # "the reference" names a node of the request (a port, the mid-supply reference), not a circuit
        for m in re.finditer(r"\(?(?:to |at |from |of )?the reference\b\)?", low):
            if not re.match(r"\s+(?:voltage|current)\s+(?:generator|source|circuit)", low[m.end():m.end() + 30]):
                self.consume(m.start(), m.end())
        # "capacitor in series with the input, resistor in the feedback path": the parts of an
        # integrator/differentiator where that circuit has them (the other way round stays unread)
        if fam == "opamp_app" and self.variant in ("integrator", "differentiator"):
            want = {"input": "capacitor" if self.variant == "differentiator" else "resistor",
                    "feedback": "resistor" if self.variant == "differentiator" else "capacitor"}
            for m in re.finditer(r"(?:an? |the )?(capacitor|resistor) (?:in series with|at|on|into) the input(?: path)?|"
                                 r"(?:an? |the )?(capacitor|resistor) (?:in|across|on) the feedback(?: path| loop)?|"
                                 r"(?:an? |the )?(input|feedback) (capacitor|resistor)", low):
                element = m.group(1) or m.group(2) or m.group(4)
                where = "input" if (m.group(1) or m.group(3) == "input") else "feedback"
                if want[where] == element:
                    self.claim("device_count", {"device": element, "min": 1}, m.start(), m.end())
        # "an internal reference of half the supply": a stated threshold at vdd/2
        if fam in ("comparator", "schmitt"):
            for m in re.finditer(r"(?:an? |the )?internal (?:reference|threshold)(?: voltage| level)?"
                                 r"(?: of| at| equal to| =)? (?:half (?:of )?(?:the supply|vdd)(?: voltage)?|"
                                 r"mid-?(?:supply|rail)|vdd ?/ ?2)", low):
                from chipsmith.spice.library.core import VDD

                vdd = next((c.params["voltage"] for c in self.claims if c.kind == "supply"), VDD)
                if not any(c.kind == "threshold" for c in self.claims):   # (its words may end the sense phrase)
                    self.claim("threshold", {"value": vdd / 2, "direction": "any", "tol": 0.1}, m.start(), m.end())
        # "(unity inverting)" restating a gain of -1
        if any(c.kind == "linear_relation" and list(c.params["coefficients"].values()) == [-1.0] for c in self.claims):
            for m in re.finditer(r"\(?unity[- ]gain inverting\)?|\(?unity inverting\)?", low):
                self.consume(m.start(), m.end())
        # the stages of an op-amp described one by one: "the first stage is a differential pair ..."
        if fam in ("opamp", "comparator"):
            for m in re.finditer(r"\b(?:the )?(?:first|second|third|1st|2nd|3rd|input|output) stage(?: is| uses)?"
                                 r"(?= (?:an? |the )?(?:\w+[- ]){0,3}(?:pair|amplifier|stage|follower|inverter|load|"
                                 r"sink|source|buffer))", low):
                self.consume(m.start(), m.end())
        # the RC sections of a phase-shift oscillator
        if fam == "oscillator" and self.variant == "rc_phase_shift":
            for m in re.finditer(_COUNT + r"(?:[- ]section)? rc (?:stages|sections|networks|ladder|legs)|" + _COUNT +
                                 r"[- ]section rc ladder", low):
                word = m.group(1) or m.group(2)
                n = int(word) if word.isdigit() else _NUMWORDS[word]
                self.claim("device_count", {"device": "capacitor", "min": n}, m.start(), m.end())
        # what a regulator does
        if fam == "ldo":
            for m in re.finditer(r"(?:that |which )?regulat\w*(?: (?:the|its) output)?(?: voltage)?(?: to| at)?", low):
                self.consume(m.start(), m.end())
        # ground at 0 V is the convention, not a figure
        for m in re.finditer(r"\b(?:vss|gnd|ground)\b\s*(?:=|:|at|is|of|\()?\s*0(?:\.0+)?\s*(?:v\b)?\)?|"
                             r"\b0(?:\.0+)?\s*v\s*(?:ground|gnd|vss)\b", low):
            self.consume(m.start(), m.end())
            for qi in self.qty_in(m.start(), m.end()):
                self.q_used[qi] = True
        # unit-less figures: "line regulation < 0.05", "line regulation below 0.1 V/V"
        for m in re.finditer(r"\(?line regulation (?:<|≤|below|under|of|at most|better than|less than)?\s*"
                             r"(\d+(?:\.\d+)?)(?:\s*v/v)?\)?", low):
            self.claim("target", {"figure": "line_reg_vpv", "op": "<=", "value": float(m.group(1))}, m.start(),
                       m.end())
            for qi in self.qty_in(m.start(), m.end()):
                self.q_used[qi] = True
        # an integrator's R and C that only restate its time constant
        taus = [c for c in self.claims if c.kind == "target" and c.params.get("figure") == "time_constant_s"]
        for m in re.finditer(r"\(?\s*r\s*=\s*([^,;)]+?),\s*c\s*=\s*([^,;)]+?)\s*\)?(?=[,;.)]|\s|$)", low):
            rq = [q for q in self.quantities if m.start(1) <= q.start < m.end(1) and q.unit == "ohm"]
            cq = [q for q in self.quantities if m.start(2) <= q.start < m.end(2) and q.unit == "F"]
            if taus and rq and cq and abs(rq[0].value * cq[0].value / taus[0].params["value"] - 1) < 0.01:
                end = max(m.end(), rq[0].end, cq[0].end)
                end += 1 if low[end:end + 1] == ")" else 0
                self.consume(m.start(), end)
                for qi in self.qty_in(m.start(), end):
                    self.q_used[qi] = True

    def read_designer_phrases(self) -> None:
        """Smaller phrasings designers use, each read only where it belongs: DAC bit weights
        ("b3 = 1/2, b2 = 1/4"), "amplify a signal", "frequency at Vc = 0.9 V", "an NMOS
        current sink" in a stage description."""
        low, fam = self.low, self.family
        ins = {n.lower(): n for n in self.ports_of(PortRole.SIGNAL_IN)}
        outs = self.ports_of(PortRole.OUT)
        if fam == "dac" and len(outs) == 1:
            weights, spans = {}, []
            for m in re.finditer(r"\b([a-z_][a-z0-9_]*)\s*(?:=|:|->|weighs?|has weight)\s*(\d+(?:\.\d+)?)\s*(?:/\s*"
                                 r"(\d+(?:\.\d+)?))?(?!\w|\.\d)", low):
                if m.group(1) in ins:
                    weights[ins[m.group(1)]] = float(m.group(2)) / float(m.group(3) or 1.0)
                    spans.append((m.start(), m.end()))
            if len(weights) >= 2:
                lo = min(s for s, _ in spans)
                word = re.search(r"(?:full[- ]scale |binary |bit )?weights?(?: of)?:?\s*$", low[max(0, lo - 24):lo])
                lo = max(0, lo - 24) + word.start() if word else lo
                self.claim("linear_relation", {"output": outs[0], "coefficients": weights, "rel_tol": 0.05}, lo,
                           max(e for _, e in spans))
                for s0, e0 in spans:
                    self.consume(s0, e0)
        if fam in ("amplifier", "opamp", "opamp_app", "buffer"):
            for m in re.finditer(r"\bamplif(?:y|ies|ying)\b(?: (?:a|the|an) (?:small[- ]?|weak |input )?signal)?", low):
                self.consume(m.start(), m.end())  # what every amplifier does
            for m in re.finditer(r"(?:common[- ](?:source|gate|drain)|follower) (?:transistor|device|mosfet)\b", low):
                if any(c.start <= m.start() < c.end for c in self.claims):
                    self.consume(m.start(), m.end())  # "an NMOS common-source transistor": the stage already read
        if fam == "current_mirror" and not any(c.kind == "target" and c.params.get("figure") == "mirror_ratio"
                                               for c in self.claims):
            for m in re.finditer(r"(?:sources|sinks|delivers|carries|gives|copies|outputs|provides) (?:the same|an "
                                 r"equal|an identical) current(?: (?:as|to) the (?:reference|input)(?: current)?)?", low):
                self.claim("target", {"figure": "mirror_ratio", "op": "~", "value": 1.0, "tol": 0.1}, m.start(),
                           m.end())
                break
        if fam == "opamp_app" and self.variant in ("integrator", "differentiator") and not any(
                c.kind == "target" and c.params.get("figure") == "time_constant_s" for c in self.claims):
            # "input resistor R = 10 kOhm and feedback capacitor C = 1 nF": the time constant they set
            found = {}
            for qi, q in enumerate(self.quantities):
                word = re.search(r"(?:(?:input |feedback |integrating )?(resistor|capacitor)\s*)?\b([rc])\s*(?:=|of)\s*$|"
                                 r"(resistor|capacitor)\s*(?:of|=)\s*$", low[max(0, q.start - 40):q.start])
                if word and not self.q_used[qi] and q.unit in ("ohm", "F"):
                    found.setdefault(q.unit, (qi, max(0, q.start - 40) + word.start(), q.end))
            if set(found) == {"ohm", "F"}:
                (ri, rs, re_), (ci, cs, ce) = found["ohm"], found["F"]
                tau = self.quantities[ri].value * self.quantities[ci].value
                self.claim("target", {"figure": "time_constant_s", "op": "~", "value": float(f"{tau:.6g}"), "tol": 0.1},
                           min(rs, cs), max(re_, ce))
                self.q_used[ri] = self.q_used[ci] = True
        if fam in ("current_mirror", "current_source"):
            for m in re.finditer(r"(?:an? )?(nmos|pmos) current[- ](?:sink|source|mirror)s?", low):
                if not all(self.used[m.start():m.end()]):
                    self.claim("device_count", {"device": m.group(1), "min": 1}, m.start(), m.end())
        if fam in ("opamp", "amplifier", "comparator"):
            # "output stage PMOS common source with NMOS current sink": the stage's load
            for m in re.finditer(r"(?:with |and )?(?:an? )?(nmos|pmos) current[- ](?:sink|source)(?: load)?", low):
                if not all(self.used[m.start():m.end()]):
                    self.claim("device_count", {"device": m.group(1), "min": 1}, m.start(), m.end())
                    if fam == "amplifier":
                        self.claim("load_type", {"load": "current_source"}, m.start(), m.end())
        if fam in ("oscillator", "vco"):
            # "a capacitor charged and discharged through a Schmitt trigger" (relaxation oscillator)
            for m in re.finditer(r"\(?(?:an? |the )?(?:timing )?capacitor (?:is )?(?:dis)?charged(?: and (?:dis)?charged)?"
                                 r"(?: (?:through|by|via|from) (?:an? |the )?(?:schmitt[- ]trigger|schmitt|comparator|"
                                 r"inverter|current (?:source|mirror)|resistor)s?)?\)?", low):
                self.claim("device_count", {"device": "capacitor", "min": 1}, m.start(), m.end())
        if fam in ("oscillator", "vco") and any(c.kind == "oscillation" and "frequency_hz" in c.params
                                                for c in self.claims):
            for m in re.finditer(r"(?:the )?(?:oscillation |output )?frequency (?:at|with|when)\b", low):
                self.consume(m.start(), m.end())  # "frequency at Vc = 0.9 V near 50 MHz": read with its values

    def read_without(self) -> None:
        """What a design must do without, in its checkable form: "resistor-divider-free",
        "resistorless", "without resistors" -> no resistor at all (stricter than the words,
        never weaker)."""
        for m in re.finditer(r"resistor(?:[- ]divider)?[- ]free|resistor[- ]?less|without (?:any )?resistors?|"
                             r"no resistors?\b|(?:uses|using|with) no resistors?", self.low):
            self.claim("device_count", {"device": "resistor", "max": 0}, m.start(), m.end())

    def read_adjectives(self) -> None:
        """"low-power", "high-gain", "fast": read only when a figure of that kind was
        stated (the figure is the checkable form); alone they stay unread."""
        figs = {c.params.get("figure") for c in self.claims if c.kind == "target"}
        table = ((r"low[- ]power|power[- ]efficient|micro[- ]?power", {"power_w", "supply_current_a"}),
                 (r"high[- ]gain", {"gain_db", "gain_vv"}),
                 (r"high[- ]speed|fast|wide[- ]?band(?:width)?|high[- ]bandwidth", {"gbw_hz", "ugb_hz", "f3db_hz",
                                                                                  "slew_vps", "settling_s"}),
                 (r"stable|well[- ]compensated", {"pm_deg"}),
                 (r"low[- ]offset|precision", {"offset_v"}))
        for pattern, needed in table:
            for m in re.finditer(pattern, self.low):
                if figs & needed:
                    self.consume(m.start(), m.end())

    def pair_thresholds(self) -> None:
        """"thresholds of 0.6 V and 1.2 V": the lower is the falling one, the higher the rising one."""
        generic = [c for c in self.claims if c.kind == "threshold" and c.params.get("direction") == "any"]
        plain = [q for i, q in enumerate(self.quantities) if not self.q_used[i] and q.unit == "V"]
        if len(generic) == 1 and plain and re.search(r"thresholds", self.low):
            q = plain[0]
            c = generic[0]
            lo, hi = sorted((c.params["value"], q.value))
            c.params.update(value=hi, direction="rising")
            self.claim("threshold", {"value": lo, "direction": "falling", "tol": 0.1}, q.start, q.end)
            self.q_used[self.quantities.index(q)] = True

    # -- coverage ---------------------------------------------------------------------------
    def unconsumed(self) -> list[str]:
        out: list[tuple[int, str]] = []
        for i, q in enumerate(self.quantities):
            if not self.q_used[i] and not all(self.used[q.start:q.end]):
                out.append((q.start, q.raw))
        for m in _BARE.finditer(self.text):
            if all(self.used[m.start():m.end()]):
                continue
            if any(q.start <= m.start() < q.end for q in self.quantities):
                continue
            out.append((m.start(), self._phrase(m.start(), m.end())))
        for m in STRUCTURAL.finditer(self.text):
            if all(self.used[m.start():m.end()]):
                continue
            out.append((m.start(), self._phrase(m.start(), m.end())))
        out.sort()
        seen, result = set(), []
        for _, phrase in out:
            if phrase not in seen:
                seen.add(phrase)
                result.append(phrase)
        return result

    def _phrase(self, start: int, end: int) -> str:
        """The word with its neighbours, so the message says which phrase was not read."""
        lo = self.text.rfind(" ", 0, max(0, start - 1))
        hi = self.text.find(" ", min(len(self.text), end + 1))
        return self.text[lo + 1 if lo >= 0 else 0:hi if hi >= 0 else len(self.text)].strip(" ,.;:")


_PLL_RATIO = re.compile(
    r"divide[- ]by[- ](\d+)|\u00f7\s*(\d+)|(?:integer-n|\bn)\s*=\s*(\d+)|"
    r"multipl(?:y|ies|ied|ying|ication)(?: factor)?(?: of)?(?:[\w ]{0,30}?\bby)? (\d+)\b(?![.\d]* ?[kmg]?hz)|"
    r"\b(\d+)\s*(?:x|\u00d7|times)(?: the)? (?:reference|ref\b|input)|\bx\s?(\d+)\b(?! ?[kmg]?hz)|"
    r"(?:divider|division|divide|feedback|multiplication)(?: ratio| factor| value)?(?: of| =|:| is)? (\d+)\b(?![.\d]* ?[kmg]?hz)",
    re.IGNORECASE)
_PLL_REF_AFTER = re.compile(r"\s*(?:-\s*)?(?:\w+ ){0,1}(?:reference|ref\b|input clock|crystal|xtal)")
_PLL_REF_BEFORE = re.compile(r"(?:reference|ref|input)(?: clock| frequency| input| signal)?(?: of| at| =|:| is| with)?"
                             r"(?: an?| the)?\s*$")


def _read_pll(r: "_Reader") -> None:
    """A PLL's multiplication ratio (``freq_ratio`` target), its reference frequency (the
    ``clock_hz`` condition on the reference port) and its output frequency (an oscillation
    at +-2 %, the judge's lock tolerance). A loop bandwidth is left unread: the judge does
    not measure it, so a request that states one is not claimed as met."""
    if r.family != "pll":
        return
    for m in _PLL_RATIO.finditer(r.low):
        n = next(int(g) for g in m.groups() if g)
        if n >= 1 and r.free(m.start(), m.end()):
            r.claim("target", {"figure": "freq_ratio", "op": "==", "value": float(n), "tol": 0.02},
                    m.start(), m.end())
            for qi in r.qty_in(m.start(), m.end()):
                if r.quantities[qi].unit != "Hz":  # "4x" is the ratio, not a gain
                    r.q_used[qi] = True
    refs = r.ports_of(PortRole.CLOCK, PortRole.REFERENCE, PortRole.SIGNAL_IN)
    for qi, q in enumerate(r.quantities):
        if q.unit != "Hz" or r.q_used[qi]:
            continue
        before = r.low[max(0, q.start - 40):q.start]
        after = r.low[q.end:q.end + 30]
        if re.search(r"(?:loop )?bandwidth\W*(?:of|=|:|is)?\s*(?:an?\s)?(?:about |around )?$", before) or \
                re.match(r"\s*(?:loop )?bandwidth", after):
            r.q_used[qi] = True  # left unread on purpose: "bandwidth" stays unconsumed (no success claim)
            continue
        m_after, m_before = _PLL_REF_AFTER.match(after), _PLL_REF_BEFORE.search(before)
        if m_after or m_before:
            start = q.start - (len(before) - m_before.start()) if m_before else q.start
            end = q.end + m_after.end() if m_after else q.end
            params = {"name": "clock_hz", "value": float(q.value)}
            if refs:
                params["port"] = refs[0]
            r.claim("condition", params, start, end)
        else:
            r.claim("oscillation", {"frequency_hz": float(q.value), "tol": 0.02}, q.start, q.end)
        r.q_used[qi] = True


def _linear(expr: str) -> dict[str, float]:
    """A linear expression over names -> {name: coefficient, "": constant}. ``ValueError``
    when it is not linear (a product of two names, a division by a name)."""
    tokens = re.findall(r"\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|[A-Za-z_][A-Za-z0-9_]*|[-+*/()]|\S", expr.replace("−", "-"))
    pos = 0

    def peek() -> str | None:
        return tokens[pos] if pos < len(tokens) else None

    def take() -> str:
        nonlocal pos
        pos += 1
        return tokens[pos - 1]

    def add(a: dict, b: dict, s: float = 1.0) -> dict:
        out = dict(a)
        for k, v in b.items():
            out[k] = out.get(k, 0.0) + s * v
        return out

    def scale(a: dict, s: float) -> dict:
        return {k: v * s for k, v in a.items()}

    def expression() -> dict:
        sign = 1.0
        while peek() in ("+", "-"):
            sign *= -1.0 if take() == "-" else 1.0
        value = scale(term(), sign)
        while peek() in ("+", "-"):
            s = -1.0 if take() == "-" else 1.0
            while peek() in ("+", "-"):
                s *= -1.0 if take() == "-" else 1.0
            value = add(value, term(), s)
        return value

    def term() -> dict:
        value = factor()
        while True:
            t = peek()
            if t in ("*", "/"):
                take()
                rhs = factor()
                if t == "*":
                    if set(value) <= {""}:
                        value = scale(rhs, value.get("", 0.0))
                    elif set(rhs) <= {""}:
                        value = scale(value, rhs.get("", 0.0))
                    else:
                        raise ValueError("product of two signals")
                else:
                    if not set(rhs) <= {""} or rhs.get("", 0.0) == 0:
                        raise ValueError("division by a signal")
                    value = scale(value, 1.0 / rhs[""])
            elif t is not None and (t == "(" or re.match(r"[A-Za-z_]", t)) and set(value) <= {""}:
                value = scale(factor(), value.get("", 0.0))  # implicit product: 2Vin1, 2 (a + b)
            else:
                return value

    def factor() -> dict:
        t = take() if peek() is not None else None
        if t is None:
            raise ValueError("unexpected end")
        if t == "(":
            value = expression()
            if peek() != ")":
                raise ValueError("missing )")
            take()
            return value
        if t in ("+", "-"):
            return scale(factor(), -1.0 if t == "-" else 1.0)
        if re.match(r"\d|\.", t):
            return {"": float(t)}
        if re.match(r"[A-Za-z_]", t):
            if t.lower() in ("v", "volt", "volts", "mv"):
                raise ValueError("unit, not a signal")
            return {t: 1.0}
        raise ValueError(f"unexpected {t!r}")

    result = expression()
    if pos != len(tokens):
        raise ValueError("trailing text")
    return {k: v for k, v in result.items() if v != 0.0 or k == ""}


def read(text: str, interface: Interface | None = None) -> Reading:
    """Read ``text`` (normalized by :func:`normalize`) against ``interface``."""
    text = normalize(text)
    if not text:
        raise InputError("empty request", where="request", fix="describe the circuit (and give its ports)")
    r = _Reader(text, interface)
    r.read_family()
    from chipsmith.agents.goal_words import read_goals

    read_goals(r)  # goals, "multi-stage", "no positive feedback" (before structures claim "feedback")
    r.read_polarity()
    r.read_relations()
    r.infer_family()
    r.read_stages()
    r.read_loads()
    r.read_each_stage()
    r.read_inputs()
    from chipsmith.agents import read_diffopamp  # differential op-amps: per-stage loads, counts with roles

    read_diffopamp.read(r)
    r.read_counts()
    r.read_components()
    r.read_filter()
    r.read_hysteresis()
    r.read_control()
    _read_pll(r)
    from chipsmith.agents import read_structures  # single-ended structure phrases (inverter, sources, Miller)

    read_structures.read(r)
    r.read_structures()
    r.read_ports()
    r.read_ratios()
    r.read_port_values()
    r.read_ranges()
    r.read_value_ranges()
    r.read_quantities()
    r.read_comparator()
    r.read_load_words()
    r.read_device_words()
    r.read_tolerances()
    r.pair_thresholds()
    r.read_misc()
    r.read_adjectives()
    r.read_without()
    r.read_designer_phrases()
    if r.family in ("oscillator", "vco") and not any(c.kind == "oscillation" for c in r.claims):
        r.claims.append(_Claim("oscillation", {}, *r.family_span))
    r.finish_filter()
    r.finish_hysteresis()
    _contradictions(r)
    requirements = _requirements(r)
    return Reading(text, requirements, tuple(r.unconsumed()), r.family, r.variant,
                   tuple(dict.fromkeys(r.mentioned)), tuple(r.notes))


def _contradictions(r: _Reader) -> None:
    low = r.low
    gains = [c for c in r.claims if c.kind == "target" and c.params["figure"] in ("gain_db", "gain_vv")
             and ((c.params["figure"] == "gain_db" and c.params["value"] > 0) or
                  (c.params["figure"] == "gain_vv" and abs(c.params["value"]) > 1.0))]
    if re.search(r"\bpassive\b", low) and r.family in ("amplifier", "opamp", "opamp_app") and gains:
        raise InputError("a passive circuit cannot have voltage gain above 1: 'passive' contradicts the gain asked "
                         "for", where="request", fix="drop 'passive' or the gain")
    counts = [c for c in r.claims if c.kind == "stage_count"]
    fam_variant = r.variant
    if counts and r.family == "opamp":
        n = counts[0].params["count"]
        if fam_variant in ("folded_cascode", "telescopic") and n > 1:
            raise InputError(f"a {fam_variant.replace('_', ' ')} op-amp has one gain stage, the request says {n}",
                             where="request", fix="drop the stage count or the op-amp type")
    devs = {}
    for c in r.claims:
        if c.kind == "device_count":
            devs.setdefault((c.params["device"], c.params.get("role")), []).append(c.params)
    for (dev, _role), items in devs.items():
        lo = max(p.get("min", 0) for p in items)
        hi = min(p.get("max", 10 ** 6) for p in items)
        if lo > hi:
            raise InputError(f"the request asks for at least {lo} and at most {hi} {dev} devices", where="request",
                             fix="state the device count once")
    supply = [c.params["voltage"] for c in r.claims if c.kind == "supply"]
    vouts = [c.params["value"] for c in r.claims if c.kind == "target" and c.params["figure"] == "vout_v"]
    if supply and vouts and r.family in ("ldo", "bandgap", "reference") and max(vouts) >= supply[0]:
        raise InputError(f"an output of {max(vouts):g} V cannot come from a {supply[0]:g} V supply", where="request",
                         fix="raise the supply or lower the output voltage")


def _requirements(r: _Reader) -> tuple[Requirement, ...]:
    out: list[Requirement] = []
    counters: dict[str, int] = {}
    seen: set[tuple] = set()
    for c in sorted(r.claims, key=lambda c: (c.start, c.kind)):
        key = (c.kind, repr(sorted(c.params.items())))
        if key in seen:
            continue
        seen.add(key)
        counters[c.kind] = counters.get(c.kind, 0) + 1
        rid = f"{c.kind}_{counters[c.kind]}" if c.kind != "family" else "family"
        params = dict(c.params)
        if c.kind == "family" and r.variant and params.get("variant") != r.variant:
            params["variant"] = r.variant
        if c.kind == "family" and params.get("variant") not in (None, *FAMILIES[params["family"]]):
            params.pop("variant")
        if c.kind == "condition" and params["name"] not in CONDITIONS:
            continue
        out.append(Requirement(rid, c.kind, params, Source(r.text[c.start:c.end], (c.start, c.end)), c.must))
    return tuple(out)


# --- the request ------------------------------------------------------------------------------

def family_of(text: str) -> tuple[str | None, str | None]:
    """Just the family and variant (used to give port roles before the full read)."""
    low = normalize(text).lower()
    for pattern, fam, var in FAMILY_RULES:
        if re.search(pattern, low):
            return fam, var
    return None, None


def wants_differential(text: str) -> bool:
    fam, var = family_of(text)
    low = normalize(text).lower()
    return fam in DIFFERENTIAL_FAMILIES or (fam == "amplifier" and var == "differential") or \
        bool(re.search(r"differential input|input pair|diff(?:erential)? pair", low)) or \
        (fam == "schmitt" and bool(re.search(r"comparator|op-?amp", low)))


def read_request(text: str, ports=None, *, spec_requirements: Iterable[Requirement] = ()) -> Request:
    """Text + the designer's port list -> :class:`Request` (interface with roles, requirements
    with spans, unconsumed phrases). ``ports``: a :class:`chipsmith.agents.request.PortList`.
    With no port list, the ports the text names (``Vout = Vin1 + Vin2``) or the family's
    usual ports are used."""
    from chipsmith.agents.request import PortList, build_interface, role_from_name

    text = normalize(text)
    if not text:
        raise InputError("empty request", where="request", fix="describe the circuit (and give its ports)")
    ports = ports or PortList()
    if ports.empty:
        first = read(text, None)
        names = []
        for name in first.mentioned_ports:
            role = role_from_name(name)
            names.append(f"{name}:{(role.value if role else 'signal_in')}")
        lhs = {r.params["output"] for r in first.by_kind("linear_relation")}
        names = [n if n.split(":")[0] not in lhs else n.split(":")[0] + ":out" for n in names]
        names = [n.replace(":out", ":signal_in") if n.split(":")[0] not in lhs and n.endswith(":out") else n
                 for n in names]
        ports = PortList(ports=tuple(dict.fromkeys(names))) if names else default_ports(first.family, first.variant)
    interface = _vco_control(build_interface(ports, text, differential=wants_differential(text)), text)
    reading = read(text, interface)
    _check_ports_usable(reading, interface)
    reqs = list(reading.requirements) + list(spec_requirements)
    return Request(text, interface, tuple(reqs), reading.unconsumed)


_USES_CONTROL = ("vco", "pll", "oscillator", "switch", "ldo", "sample_hold", "dac", "mixer", "latch", "amplifier",
                 "opamp", "filter", "reference", "current_source")
_USES_CLOCK = ("comparator", "sample_hold", "adc", "dac", "latch", "pll", "switch", "mixer", "filter")


def _vco_control(interface: Interface, text: str) -> Interface:
    """A VCO's one plain input (``Vin``) is what tunes it: its control port. A VCO has no signal input."""
    from chipsmith.spice.requirements import Port

    fam, _ = family_of(text)
    ins = interface.by_role(PortRole.SIGNAL_IN)
    if fam != "vco" or len(ins) != 1 or interface.by_role(PortRole.CONTROL):
        return interface
    return Interface(tuple(Port(p.name, PortRole.CONTROL) if p is ins[0] else p for p in interface.ports))


def _check_ports_usable(reading: Reading, interface: Interface) -> None:
    """Ports the circuit asked for cannot use are bad input (exit 2), named in the error."""
    fam = reading.family
    if fam is None:
        return
    for p in interface.ports:
        if p.role == PortRole.CLOCK and fam not in _USES_CLOCK:
            raise InputError(f"port {p.name} is a clock, but a {fam.replace('_', ' ')} has no clock input",
                             where="port list", fix=f"drop {p.name} or describe a clocked circuit")
    names = {p.name.lower() for p in interface.ports}
    for r in reading.by_kind("linear_relation"):
        missing = [n for n in (r.params["output"], *r.params["coefficients"]) if n.lower() not in names]
        if missing:
            raise InputError(f"the relation '{r.source.phrase}' names {', '.join(missing)}, which the port list "
                             "does not have", where="request",
                             fix="use the port names of --inputs/--outputs in the relation, or add the ports")


def default_ports(family: str | None, variant: str | None):
    """The usual port names of a family, for requests that give none."""
    from chipsmith.agents.request import PortList

    table = {
        "opamp": PortList(("inp", "inn"), ("out",), ("ibias",)),
        "comparator": PortList(("inp", "inn"), ("out",), ()),
        "current_mirror": PortList(("iref",), ("iout",), ()),
        "current_source": PortList((), ("iout",), ()),
        "oscillator": PortList((), ("out",), ()),
        "vco": PortList((), ("out",), ("vctrl",)),
        "bandgap": PortList((), ("vref",), ()),
        "reference": PortList((), ("vout",), ()),
        "ldo": PortList((), ("vout",), ("vref",)),
        "mixer": PortList(("rf", "lo"), ("if_out",), ()),
        "pll": PortList(("ref_clk",), ("out",), ()),
    }
    if family == "amplifier" and variant == "differential":
        return PortList(("inp", "inn"), ("outp", "outn"), ())
    if family == "opamp_app" and variant in ("summer", "subtractor"):
        return PortList(("in1", "in2"), ("out",), ())
    return table.get(family or "", PortList(("in",), ("out",), ()))
