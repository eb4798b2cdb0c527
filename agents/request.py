"""The request model: the designer's text (and/or spec file) plus the designer's port list.

Every port gets a :class:`~chipsmith.spice.requirements.PortRole` from, in this order:
an explicit role (``--ports "Vin:signal_in,Vb:bias_v"``), the option it came in
(``--inputs`` / ``--outputs`` / ``--bias``) refined by its name, its name alone, and what
the text says about it ("Vc is the control voltage"). A port whose role none of these
settle is asked about (:class:`InputError`, exit 2), never guessed. The design uses
exactly these names, in this order, then ``vdd`` and ``gnd``; a supply or ground name in
the list (``VDD``, ``VSS``) is recognised as that role and not repeated.

An empty input list is valid (oscillators, references, regulators). No port list is
refused because it differs from a circuit template: the interface IS the requirement.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from chipsmith.errors import InputError
from chipsmith.spice.requirements import Interface, Port, PortRole

# Role names accepted after a colon in --ports (aliases people write).
ROLE_ALIASES: dict[str, PortRole] = {
    **{r.value: r for r in PortRole},
    "in": PortRole.SIGNAL_IN, "input": PortRole.SIGNAL_IN, "signal": PortRole.SIGNAL_IN,
    "inp": PortRole.DIFF_IN_P, "in_p": PortRole.DIFF_IN_P, "in+": PortRole.DIFF_IN_P, "diffp": PortRole.DIFF_IN_P,
    "inn": PortRole.DIFF_IN_N, "in_n": PortRole.DIFF_IN_N, "in-": PortRole.DIFF_IN_N, "diffn": PortRole.DIFF_IN_N,
    "out": PortRole.OUT, "output": PortRole.OUT, "outp": PortRole.DIFF_OUT_P, "outn": PortRole.DIFF_OUT_N,
    "bias": PortRole.BIAS_V, "vbias": PortRole.BIAS_V, "ibias": PortRole.BIAS_I, "current": PortRole.BIAS_I,
    "iref": PortRole.BIAS_I, "ref": PortRole.REFERENCE, "vref": PortRole.REFERENCE,
    "ctrl": PortRole.CONTROL, "control": PortRole.CONTROL, "tune": PortRole.CONTROL,
    "clk": PortRole.CLOCK, "clock": PortRole.CLOCK,
    "vdd": PortRole.SUPPLY, "power": PortRole.SUPPLY, "gnd": PortRole.GROUND, "vss": PortRole.GROUND,
}

_SUPPLY = re.compile(r"^(a|d)?(vdd|vcc|vpwr|vsupply|supply|vdda|vddd|avdd|dvdd)$")
_GROUND = re.compile(r"^(?:(?:a|d)?(?:gnd|vss|ground)|vssa|0)$")
_CLOCK = re.compile(r"^(clk\w*|clock\w*|phi\d*|ck|sample|s_?h)$")
_CONTROL = re.compile(r"^(v?ctrl\w*|v?cont\w*|vtune\w*|tune|vc|vctl|ctl|vcon|en|enable|sel\w*)$")
_REFERENCE = re.compile(r"^(v?ref\w*|vbg|vth|vtrip)$")
_BIAS_I = re.compile(r"^(i_?bias\w*|i_?ref\w*|ib\d*|i_?in\d*|i_?src\w*|i_?tail|iss)$")
_BIAS_V = re.compile(r"^(v_?bias\w*|v_?tail\w*|vb\d*[np]?\d*|vb_?\w+|v?casc?\w*|vcm\w*|vcas\w*|bias\w*|vbn\w*|vbp\w*)$")
_DIFF_P = re.compile(r"^(v?in_?p\d*|vi_p|v?inplus|v?in\+|vp|v?pos|v?plus|vip|vinp\d*|in_pos)$")
_DIFF_N = re.compile(r"^(v?in_?n\d*|vi_n|v?inminus|v?in-|vn|v?neg|v?minus|vim|vinn\d*|in_neg)$")
_SIGNAL = re.compile(r"^(v?in\d*|vi\d*|v?input\w*|v?sig\w*|v\d+|va|vb|x\d*|a|b|c|d|v?in_?\d+|v?in[a-z]$|data\w*|d\d+)$")
_OUT_P = re.compile(r"^(v?out_?p\w*|vop|v?o_?p|voutplus|v?out\+)$")
_OUT_N = re.compile(r"^(v?out_?n\w*|von|v?o_?n|voutminus|v?out-)$")
_OUT = re.compile(r"^(v?out\w*|vo\d*|y\d*|q|qb|v?output\w*|i_?out\w*|io\d*|vbg|vreg\w*|z)$")


def split_names(text: str | None) -> tuple[str, ...]:
    """``"inp, inn"`` -> ``("inp", "inn")``; empty, ``none`` or ``-`` -> ``()`` (no ports)."""
    if not text or str(text).strip().lower() in ("none", "-", "--", "n/a", "null", "nil", '""', "''"):
        return ()
    return tuple(t.strip() for t in str(text).split(",") if t.strip())


_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def check_name(name: str, where: str) -> str:
    """A port name as the designer wrote it: a SPICE identifier without ``__``."""
    if not _NAME.match(name):
        raise InputError(f"{name!r} is not a valid port name", where=where,
                         fix="use letters, digits and _ (starting with a letter)")
    if "__" in name:
        raise InputError(f"port {name!r} contains '__', which chipsmith keeps for internal nets", where=where,
                         fix="use single underscores")
    return name


def role_from_name(name: str, group: str | None = None) -> PortRole | None:
    """The role a port name suggests inside an option group (``inputs``, ``outputs``,
    ``bias``) or alone (``None``); ``None`` when the name says nothing."""
    key = name.lower()
    if _SUPPLY.match(key):
        return PortRole.SUPPLY
    if _GROUND.match(key):
        return PortRole.GROUND
    if group == "outputs":
        if _OUT_P.match(key):
            return PortRole.DIFF_OUT_P
        if _OUT_N.match(key):
            return PortRole.DIFF_OUT_N
        return PortRole.OUT
    if group == "bias":
        if _CLOCK.match(key):
            return PortRole.CLOCK
        if _CONTROL.match(key):
            return PortRole.CONTROL
        if _REFERENCE.match(key):
            return PortRole.REFERENCE
        if key.startswith("i"):
            return PortRole.BIAS_I
        return PortRole.BIAS_V
    if group == "inputs":
        if _CLOCK.match(key):
            return PortRole.CLOCK
        if _CONTROL.match(key):
            return PortRole.CONTROL
        if _BIAS_I.match(key):
            return PortRole.BIAS_I  # Iref into a mirror is a current input
        if _BIAS_V.match(key) and key not in ("vb", "b"):
            return PortRole.BIAS_V
        if _REFERENCE.match(key):
            return PortRole.REFERENCE
        if _DIFF_P.match(key):
            return PortRole.DIFF_IN_P
        if _DIFF_N.match(key):
            return PortRole.DIFF_IN_N
        return PortRole.SIGNAL_IN
    # a name alone (``--ports`` without a role)
    for pattern, role in ((_CLOCK, PortRole.CLOCK), (_CONTROL, PortRole.CONTROL), (_OUT_P, PortRole.DIFF_OUT_P),
                          (_OUT_N, PortRole.DIFF_OUT_N), (_OUT, PortRole.OUT), (_BIAS_I, PortRole.BIAS_I),
                          (_REFERENCE, PortRole.REFERENCE), (_BIAS_V, PortRole.BIAS_V), (_DIFF_P, PortRole.DIFF_IN_P),
                          (_DIFF_N, PortRole.DIFF_IN_N), (_SIGNAL, PortRole.SIGNAL_IN)):
        if pattern.match(key):
            return role
    return None


_TEXT_ROLE = (
    (r"control(?:ling)?(?: voltage| input| port| signal)?|tuning(?: voltage| input)?", PortRole.CONTROL),
    (r"clock(?: input| signal)?", PortRole.CLOCK),
    (r"reference(?: voltage| input)?", PortRole.REFERENCE),
    (r"(?:bias|reference) current|current (?:input|bias|reference)", PortRole.BIAS_I),
    (r"bias(?: voltage| input| port)?", PortRole.BIAS_V),
    (r"non-?inverting input|positive input", PortRole.DIFF_IN_P),
    (r"inverting input|negative input", PortRole.DIFF_IN_N),
    (r"output", PortRole.OUT),
    (r"input", PortRole.SIGNAL_IN),
)


def role_from_text(name: str, text: str) -> PortRole | None:
    """What the text says a port is: "Vx is the control voltage", "control voltage Vx",
    "Vx (bias)". ``None`` when the text does not say."""
    n = re.escape(name)
    low = text.lower()
    # a current into or out of the pin ("reference 10uA into ref") makes it a current input
    if re.search(rf"\d\s*(?:[munpµ]a|(?:micro|milli|nano)amps?)\b\s*(?:(?:is|are) )?(?:flows? |flowing |sunk |sourced "
                 rf"|pulled |drawn |taken |injected |forced )?(?:into|out of)\s*(?:the )?(?:(?:reference|bias|input) )?"
                 rf"(?:pin |port |node )?\b{n}\b", low, re.IGNORECASE):
        return PortRole.BIAS_I
    # "a switch controlled by Vg", "clocked by PHI" (only in this direction: "LO, controlled by ..." says nothing)
    by = re.search(rf"\b(?:(controlled|gated|enabled|tuned|switched)|(clocked)) by\s*(?:the\s*)?(?:(?:gate|control|"
                   rf"enable|clock)\s*)?(?:(?:voltage|signal|input)\s*)?\b{n}\b", low, re.IGNORECASE)
    if by:
        return PortRole.CLOCK if by.group(2) else PortRole.CONTROL
    # "the gate is held at Vb", "gate biased by VB": a bias voltage
    if re.search(rf"\bgates?(?: voltage)?\s*(?:is |are )?(?:held|tied|biased|set|fixed|kept|connected)\s*(?:at|to|by|from)\s*"
                 rf"(?:the\s*)?(?:bias\s*)?\b{n}\b", low, re.IGNORECASE):
        return PortRole.BIAS_V
    for words, role in _TEXT_ROLE:
        if re.search(rf"\b{n}\b\s*(?:is|as|=|:|\()?\s*(?:the|a|an)?\s*(?:{words})\b", low, re.IGNORECASE) or \
                re.search(rf"\b(?:{words})\s*(?:port|pin|node)?\s*(?:called|named|at|on)?\s*\(?\b{n}\b", low,
                          re.IGNORECASE):
            return role
    return None


@dataclass(frozen=True)
class PortList:
    """The port list as the designer gave it (names per option, ``--ports`` entries)."""

    inputs: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()
    bias: tuple[str, ...] = ()
    ports: tuple[str, ...] = ()  # "Name" or "Name:role"

    @property
    def empty(self) -> bool:
        return not (self.inputs or self.outputs or self.bias or self.ports)


def build_interface(ports: PortList, text: str = "", *, differential: bool | None = None) -> Interface:
    """Roles for every port of ``ports`` (see module docstring), then ``vdd`` and ``gnd``.

    ``differential``: the text asks for a differential input (an op-amp, comparator,
    differential pair): two plain signal inputs then become the + and - inputs, in order.
    Raises :class:`InputError` for a port whose role cannot be determined.
    """
    entries: list[tuple[str, PortRole, str]] = []  # (name, role, how)
    for group, names in (("inputs", ports.inputs), ("outputs", ports.outputs), ("bias", ports.bias)):
        for raw in names:
            name = check_name(raw, f"--{group}")
            told = role_from_text(name, text) if group == "bias" else None
            if told not in (PortRole.CONTROL, PortRole.REFERENCE, PortRole.BIAS_I, PortRole.BIAS_V, PortRole.CLOCK):
                told = None  # the text may refine a bias port, never turn it into a signal
            role = told or role_from_name(name, group)
            if group == "inputs" and role == PortRole.SIGNAL_IN and (not _SIGNAL.match(name.lower())
                                                                     or name.lower() == "vb"):
                # an input whose name says nothing: the text may call it a clock or a control
                # ("a switch driven by clock SMP", "controlled by Vg")
                # ("Vb" alone may be a summer's second input; "the gate is held at Vb" says bias)
                said = role_from_text(name, text)
                role = said if said in (PortRole.CLOCK, PortRole.CONTROL, PortRole.BIAS_V) else role
            entries.append((name, role, group))
    for raw in ports.ports:
        name, _, role_text = raw.partition(":")
        name = check_name(name.strip(), "--ports")
        if role_text.strip():
            key = role_text.strip().lower()
            if key not in ROLE_ALIASES:
                raise InputError(f"port {name}: unknown role {role_text.strip()!r}", where="--ports",
                                 fix="use one of " + ", ".join(r.value for r in PortRole))
            entries.append((name, ROLE_ALIASES[key], "explicit"))
            continue
        role = role_from_text(name, text) or role_from_name(name)
        if role is None:
            raise InputError(f"cannot tell what port {name!r} is for", where="--ports",
                             fix=f"write it as {name}:ROLE (ROLE one of "
                                 + ", ".join(r.value for r in PortRole if r not in (PortRole.SUPPLY, PortRole.GROUND))
                                 + ") or pass it with --inputs/--outputs/--bias")
        entries.append((name, role, "name"))
    seen: set[str] = set()
    for name, _, _ in entries:
        if name.lower() in seen:
            raise InputError(f"port {name!r} is listed twice", where="port list",
                             fix="give every input, output and bias port its own name")
        seen.add(name.lower())
    entries = _pair_inputs(entries, differential)
    entries = _pair_outputs(entries)
    lone = [i for i, (_, r, how) in enumerate(entries) if how == "outputs"]
    if len(lone) == 1 and entries[lone[0]][1] in (PortRole.DIFF_OUT_P, PortRole.DIFF_OUT_N):
        # a lone "outp" is just the output: a pair needs two
        entries[lone[0]] = (entries[lone[0]][0], PortRole.OUT, entries[lone[0]][2])
    outs = [i for i, (_, r, how) in enumerate(entries) if how == "outputs" and r is PortRole.OUT]
    if differential and len(outs) == 2 and len([e for e in entries if e[2] == "outputs"]) == 2:
        # a differential circuit's two outputs (Vo1, Vo2): the + and - halves of one output, in order
        for i, role in zip(outs, (PortRole.DIFF_OUT_P, PortRole.DIFF_OUT_N)):
            entries[i] = (entries[i][0], role, entries[i][2])
    body = [Port(n, r) for n, r, _ in entries if r not in (PortRole.SUPPLY, PortRole.GROUND)]
    for reserved in ("vdd", "gnd"):
        if any(p.name.lower() == reserved for p in body):
            raise InputError(f"port {reserved!r} is reserved for the supply/ground", where="port list",
                             fix="pick another name; vdd and gnd are always the last two ports")
    return Interface(tuple(body) + (Port("vdd", PortRole.SUPPLY), Port("gnd", PortRole.GROUND)))


def _pair_inputs(entries: list[tuple[str, PortRole, str]], differential: bool | None
                 ) -> list[tuple[str, PortRole, str]]:
    """Two inputs of a differential circuit: + then - unless their names already say."""
    ins = [i for i, (_, r, how) in enumerate(entries) if how in ("inputs", "name")
           and r in (PortRole.SIGNAL_IN, PortRole.DIFF_IN_P, PortRole.DIFF_IN_N)]
    roles = [entries[i][1] for i in ins]
    out = list(entries)
    if len(ins) == 2 and differential:
        if set(roles) == {PortRole.DIFF_IN_P, PortRole.DIFF_IN_N}:
            return out
        if PortRole.DIFF_IN_N in roles or PortRole.DIFF_IN_P in roles:
            p_first = roles[0] == PortRole.DIFF_IN_P or roles[1] == PortRole.DIFF_IN_N
        else:
            p_first = True
        (a, b) = ins
        out[a] = (entries[a][0], PortRole.DIFF_IN_P if p_first else PortRole.DIFF_IN_N, entries[a][2])
        out[b] = (entries[b][0], PortRole.DIFF_IN_N if p_first else PortRole.DIFF_IN_P, entries[b][2])
        return out
    if len(ins) != 2:
        # a lone "vp"/"inp" is just an input: a pair needs two
        for i in ins:
            if entries[i][1] in (PortRole.DIFF_IN_P, PortRole.DIFF_IN_N):
                out[i] = (entries[i][0], PortRole.SIGNAL_IN, entries[i][2])
    return out


def _pair_outputs(entries: list[tuple[str, PortRole, str]]) -> list[tuple[str, PortRole, str]]:
    """Two outputs, one named as a half of a pair (``Voutp``) and one plain (``Vout``): the
    plain one is the other half (``Voutp, Vout`` is ``Voutp, Voutn`` written short). The
    ``p`` half is the non-inverting one (it rises with the + input), as in ``outp/outn``."""
    outs = [i for i, (_, r, how) in enumerate(entries) if how == "outputs"
            and r in (PortRole.OUT, PortRole.DIFF_OUT_P, PortRole.DIFF_OUT_N)]
    if len(outs) != 2:
        return entries
    roles = {entries[i][1] for i in outs}
    out = list(entries)
    for half, other in ((PortRole.DIFF_OUT_P, PortRole.DIFF_OUT_N), (PortRole.DIFF_OUT_N, PortRole.DIFF_OUT_P)):
        if roles == {half, PortRole.OUT}:
            i = next(i for i in outs if entries[i][1] is PortRole.OUT)
            out[i] = (entries[i][0], other, entries[i][2])
    return out


def describe(interface: Interface) -> str:
    return ", ".join(f"{p.name} ({p.role.value})" for p in interface.ports)

