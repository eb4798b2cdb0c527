"""The structured design spec: frozen dataclasses, YAML/JSON loading with field-named errors.

A spec says what circuit is wanted (``kind`` and its options), which external node names
the design must use, and optional targets. It is the single typed object that free text,
an LLM (``--mode hybrid``) or a file is turned into before the planner builds a netlist,
so every front end is validated by the same code. Numbers may carry units
(``"10MHz"``, ``"60 dB"``, ``"1mW"``, ``"20uA"``).
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Mapping

from chipsmith.errors import InputError
from chipsmith.agents.kinds import get_kind, kind_names

CHOICES: dict[str, tuple[str, ...]] = {
    "input_type": ("single", "differential"),
    "input_polarity": ("nmos", "pmos"),
    "output_type": ("single", "differential"),
    "load": ("resistor", "current_source", "mirror"),
    "mirror": ("simple", "cascode", "wilson"),
    "compensation": ("miller", "miller_rz", "none"),
    "feedback": ("none", "unity", "inverting", "non_inverting"),
}

_SI = {"f": 1e-15, "p": 1e-12, "n": 1e-9, "u": 1e-6, "µ": 1e-6, "m": 1e-3, "k": 1e3, "meg": 1e6,
       "g": 1e9, "t": 1e12}
_NUMBER = re.compile(r"^\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(meg|[fpnuµmkgt])?\s*"
                     r"(db|deg|degrees?|°|hz|v|a|w|f|ohms?|s|x|v/v)?\s*$", re.IGNORECASE)


def parse_quantity(value: Any, what: str) -> float:
    """A number with an optional SI prefix and unit (``"10MHz"`` -> 1e7, ``"60 dB"`` -> 60).

    ``M`` alone means milli as in SPICE; write ``meg`` or ``MHz``-style ``M`` followed by
    ``Hz`` for mega (``"10MHz"`` is read as 10 MHz because people mean that).
    """
    if isinstance(value, bool):
        raise InputError(f"{what}: expected a number, got {value!r}")
    if isinstance(value, (int, float)):
        if not math.isfinite(float(value)):
            raise InputError(f"{what}: expected a finite number, got {value!r}")
        return float(value)
    text = str(value).strip()
    mega = re.match(r"^(.*?\d)\s*M(Hz|W|V|A|ohms?)?$", text)  # 10MHz, 1MΩ-style mega
    if mega and mega.group(2):
        text = f"{mega.group(1)}meg{mega.group(2)}"
    match = _NUMBER.match(text)
    if not match:
        raise InputError(f"{what}: cannot read {value!r} as a number",
                         fix="write e.g. 60, 60dB, 10MHz, 1mW, 20uA, 1.8V")
    prefix = (match.group(2) or "").lower()
    unit = (match.group(3) or "").lower()
    if prefix == "m" and unit == "" and match.group(2) == "M":
        prefix = "m"
    scale = _SI.get(prefix, 1.0)
    if unit == "f" and not prefix:  # a bare "f" after a number is femto in SPICE, farad otherwise
        scale = 1.0
    return float(match.group(1)) * scale


@dataclass(frozen=True)
class Targets:
    """Optional performance targets; ``None`` means not asked for.

    gain_db: minimum low-frequency (open-loop for op-amps) gain in dB.
    gbw_hz: minimum unity-gain (or gain-bandwidth) frequency in Hz.
    pm_deg: minimum phase margin in degrees (unity feedback).
    power_w: maximum quiescent power in watts.
    swing_v: minimum output swing (peak-to-peak) in volts.
    frequency_hz: oscillation frequency wanted (oscillators), within ``tolerance``.
    tolerance: relative tolerance for transfer checks (default 0.1 = 10 %).
    """

    gain_db: float | None = None
    gbw_hz: float | None = None
    pm_deg: float | None = None
    power_w: float | None = None
    swing_v: float | None = None
    frequency_hz: float | None = None
    tolerance: float = 0.1

    def stated(self) -> dict[str, float]:
        return {f.name: getattr(self, f.name) for f in fields(self)
                if f.name != "tolerance" and getattr(self, f.name) is not None}


@dataclass(frozen=True)
class Spec:
    """What to synthesize. Every field but ``kind`` is optional.

    kind: one of :data:`chipsmith.agents.kinds.KINDS` (``two_stage_opamp``, ``cs_amp`` ...).
    inputs / outputs / bias: external node names, in the order they appear in the
      ``.subckt design`` line (empty: the kind's defaults).
    bias_values: DC condition per bias port (amps for current ports whose name starts
      with ``i``, volts otherwise); missing ones get the kind's defaults.
    stages, input_type, input_polarity, output_type, load, mirror, compensation, feedback:
      topology choices (see :data:`CHOICES`).
    closed_loop_gain: wanted gain of an op-amp application circuit (sign ignored; the
      kind fixes it).
    time_constant_s: R*C of an integrator or differentiator.
    vout: regulated output voltage of an LDO (volts).
    required_blocks: functional blocks that must appear (``miller_compensation``,
      ``nmos_diff_pair`` ...; see the summary's ``blocks``).
    max_blocks: upper bound on the number of functional blocks.
    targets: :class:`Targets`.
    vdd: supply voltage (V). load_cap: capacitive load on each output in tests (F).
    model_file: a SPICE file with ``nch``/``pch`` models to use instead of the generic ones.
    text: the free text the spec came from (kept for the transcript).
    """

    kind: str
    inputs: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()
    bias: tuple[str, ...] = ()
    bias_values: tuple[tuple[str, float], ...] = ()
    stages: int | None = None
    input_type: str | None = None
    input_polarity: str | None = None
    output_type: str | None = None
    load: str | None = None
    mirror: str | None = None
    compensation: str | None = None
    feedback: str | None = None
    closed_loop_gain: float | None = None
    time_constant_s: float | None = None
    vout: float | None = None
    required_blocks: tuple[str, ...] = ()
    max_blocks: int | None = None
    targets: Targets = field(default_factory=Targets)
    vdd: float = 1.8
    load_cap: float = 1e-12
    model_file: str | None = None
    text: str = ""
    # the Request (chipsmith.spice.requirements) this spec was planned from: every
    # proofreading round then ends with the judge checking its requirements
    request: Any = field(default=None, compare=False, repr=False)

    def bias_value(self, name: str) -> float | None:
        for key, value in self.bias_values:
            if key == name.lower():
                return value
        return None

    def to_dict(self) -> dict:
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "request"}
        out["targets"] = {k: v for k, v in (
            (f.name, getattr(self.targets, f.name)) for f in fields(Targets)) if v is not None}
        out["bias_values"] = dict(self.bias_values)
        for key in ("inputs", "outputs", "bias", "required_blocks"):
            out[key] = list(out[key])
        return {k: v for k, v in out.items() if v not in (None, (), [], "")}


SPEC_FIELDS = tuple(f.name for f in fields(Spec) if f.name != "request")
TARGET_FIELDS = tuple(f.name for f in fields(Targets))
_TARGET_ALIASES = {"gain": "gain_db", "gbw": "gbw_hz", "ugf": "gbw_hz", "phase_margin": "pm_deg", "pm": "pm_deg",
                   "power": "power_w", "swing": "swing_v", "frequency": "frequency_hz"}
_FIELD_ALIASES = {"type": "kind", "circuit": "kind", "supply": "vdd", "supply_voltage": "vdd",
                  "models": "model_file", "gain": "closed_loop_gain", "description": "text"}

_NODE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_RESERVED = {"vdd", "gnd", "0", "vss"}


def check_node_names(names: tuple[str, ...], what: str, where: str) -> tuple[str, ...]:
    """Lower-case node names, each a SPICE identifier, none reserved, no duplicates."""
    out = []
    for name in names:
        key = str(name).strip().lower()
        if not _NODE.match(key):
            raise InputError(f"{what}: {name!r} is not a valid node name", where=where,
                             fix="use letters, digits and _ (starting with a letter)")
        if "__" in key:
            raise InputError(f"{what}: {name!r} contains '__', which chipsmith keeps for internal nets",
                             where=where, fix="use single underscores")
        if key in _RESERVED:
            raise InputError(f"{what}: {name!r} is reserved for the supply/ground ports", where=where,
                             fix="pick another name; vdd and gnd are always the last two ports")
        if key in out:
            raise InputError(f"{what}: node {name!r} is named twice", where=where)
        out.append(key)
    return tuple(out)


def split_nodes(text: str | None) -> tuple[str, ...]:
    """``"inp, inn"`` -> ``("inp", "inn")``; empty or None -> ``()``."""
    if not text:
        return ()
    return tuple(t.strip() for t in str(text).split(",") if t.strip())


def _choice(name: str, value: Any, where: str) -> str | None:
    if value is None:
        return None
    key = str(value).strip().lower().replace("-", "_").replace(" ", "_")
    if key not in CHOICES[name]:
        raise InputError(f"spec field {name!r}: {value!r} is not allowed", where=where,
                         fix=f"use one of: {', '.join(CHOICES[name])}")
    return key


def _names(value: Any, name: str, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return split_nodes(value)
    if isinstance(value, (list, tuple)):
        return tuple(str(v) for v in value)
    raise InputError(f"spec field {name!r}: expected a list of names, got {type(value).__name__}", where=where)


def targets_from_dict(data: Any, where: str) -> Targets:
    if data is None:
        return Targets()
    if not isinstance(data, Mapping):
        raise InputError("spec field 'targets': expected a mapping such as {gain_db: 60}", where=where)
    values: dict[str, float] = {}
    for raw_key, raw in data.items():
        key = _TARGET_ALIASES.get(str(raw_key).lower(), str(raw_key).lower())
        if key not in TARGET_FIELDS:
            raise InputError(f"unknown target {raw_key!r}", where=where,
                             fix=f"use one of: {', '.join(TARGET_FIELDS)}")
        if raw is None:
            continue
        number = parse_quantity(raw, f"target {key}")
        if key != "gain_db" and number <= 0 and key != "tolerance":
            raise InputError(f"target {key} must be positive, got {raw!r}", where=where)
        values[key] = number
    if "tolerance" in values and not 0 < values["tolerance"] < 1:
        raise InputError(f"target tolerance must lie in (0, 1), got {values['tolerance']}", where=where)
    return Targets(**values)


def spec_from_dict(data: Mapping[str, Any], where: str = "<spec>") -> Spec:
    """Validate a mapping into a :class:`Spec`; every error names the field and lists choices."""
    try:
        return _spec_from_dict(data, where)
    except InputError as exc:
        if exc.where is None:  # helpers do not know the file; every error must name it
            raise InputError(exc.message, where=where, fix=exc.fix) from exc
        raise


def _spec_from_dict(data: Mapping[str, Any], where: str) -> Spec:
    if not isinstance(data, Mapping):
        raise InputError("a spec must be a mapping of fields", where=where,
                         fix=f"e.g. kind: two_stage_opamp; fields: {', '.join(SPEC_FIELDS)}")
    norm: dict[str, Any] = {}
    for raw_key, value in data.items():
        key = str(raw_key).strip().lower()
        key = _FIELD_ALIASES.get(key, key)
        if key not in SPEC_FIELDS:
            raise InputError(f"unknown spec field {raw_key!r}", where=where,
                             fix=f"use one of: {', '.join(SPEC_FIELDS)}")
        norm[key] = value
    if not norm.get("kind"):
        raise InputError("spec field 'kind' is missing", where=where,
                         fix=f"use one of: {', '.join(kind_names())}")
    kind = get_kind(str(norm["kind"])).name
    kwargs: dict[str, Any] = {"kind": kind}
    for key in ("inputs", "outputs", "required_blocks"):
        if key in norm:
            kwargs[key] = _names(norm[key], key, where)
    for key in ("inputs", "outputs"):
        if key in kwargs:
            kwargs[key] = check_node_names(kwargs[key], key, where)
    bias = norm.get("bias")
    bias_values: dict[str, float] = {}
    if isinstance(bias, Mapping):  # bias: {ibias: 20uA, vref: 0.9}
        names = check_node_names(tuple(str(k) for k in bias), "bias", where)
        for name, raw in zip(names, bias.values()):
            if raw is not None:
                bias_values[name] = parse_quantity(raw, f"bias {name}")
        kwargs["bias"] = names
    elif bias is not None:
        kwargs["bias"] = check_node_names(_names(bias, "bias", where), "bias", where)
    for name, raw in (norm.get("bias_values") or {}).items():
        bias_values[str(name).lower()] = parse_quantity(raw, f"bias_values {name}")
    kwargs["bias_values"] = tuple(sorted(bias_values.items()))
    for key in CHOICES:
        if key in norm:
            kwargs[key] = _choice(key, norm[key], where)
    if norm.get("stages") is not None:
        stages = norm["stages"]
        if isinstance(stages, bool) or not isinstance(stages, (int, str)) or not str(stages).isdigit() \
                or not 1 <= int(stages) <= 3:
            raise InputError(f"spec field 'stages': expected 1, 2 or 3, got {stages!r}", where=where)
        kwargs["stages"] = int(stages)
    if norm.get("max_blocks") is not None:
        mb = norm["max_blocks"]
        if isinstance(mb, bool) or not isinstance(mb, int) or mb < 1:
            raise InputError(f"spec field 'max_blocks': expected a positive integer, got {mb!r}", where=where)
        kwargs["max_blocks"] = mb
    for key, lo, hi in (("vdd", 0.5, 12.0), ("load_cap", 0.0, 1e-6), ("closed_loop_gain", -1e4, 1e4),
                        ("time_constant_s", 1e-12, 1.0), ("vout", 0.1, 12.0)):
        if norm.get(key) is not None:
            value = parse_quantity(norm[key], f"spec field {key!r}")
            if key == "closed_loop_gain":
                value = abs(value)
            if not lo <= value <= hi or (key != "load_cap" and value == 0):
                raise InputError(f"spec field {key!r}: {norm[key]!r} is out of range [{lo:g}, {hi:g}]", where=where)
            kwargs[key] = value
    if "targets" in norm:
        kwargs["targets"] = targets_from_dict(norm["targets"], where)
    if norm.get("model_file") is not None:
        path = Path(str(norm["model_file"])).expanduser()
        if not path.is_file():
            raise InputError(f"spec field 'model_file': {path} does not exist", where=where,
                             fix="give the path of a SPICE file defining nch and pch models")
        kwargs["model_file"] = str(path.resolve())
    if norm.get("text") is not None:
        kwargs["text"] = str(norm["text"])
    return Spec(**kwargs)


def load_spec_file(path: Path | str) -> dict[str, Any]:
    """Read a YAML (``.yaml``/``.yml``) or JSON spec file into a mapping (not yet validated)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read spec file: {exc.strerror}", where=str(path)) from exc
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"invalid JSON: {exc.msg}", where=f"{path}:{exc.lineno}",
                             fix="fix the JSON syntax") from exc
    else:
        import yaml

        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = f":{mark.line + 1}" if mark is not None else ""
            raise InputError(f"invalid YAML: {getattr(exc, 'problem', None) or exc}", where=f"{path}{line}",
                             fix="fix the YAML syntax") from exc
    if not isinstance(data, Mapping):
        raise InputError("a spec file must hold a mapping of fields", where=str(path),
                         fix="write e.g. `kind: two_stage_opamp` on its own line")
    return dict(data)


def load_spec(path: Path | str) -> Spec:
    """Load and validate a spec file."""
    return spec_from_dict(load_spec_file(path), where=str(path))


def normalize(spec: Spec, where: str = "spec") -> Spec:
    """Reconcile the topology choices with the kind.

    ``mirror`` picks the mirror kind; ``feedback`` turns a plain op-amp into the
    matching application circuit; ``input_type``/``output_type``/``stages`` that
    contradict the kind are errors naming the field.
    """
    kind = get_kind(spec.kind)
    name = kind.name
    if spec.mirror and kind.family == "mirror":
        name = f"mirror_{spec.mirror}"
    if spec.feedback and kind.family == "opamp":
        name = {"inverting": "inverting_amp", "non_inverting": "noninverting_amp"}.get(spec.feedback, name)
        if spec.feedback == "unity":
            raise InputError("feedback 'unity' is not a circuit of its own here", where=where,
                             fix="use kind noninverting_amp with closed_loop_gain >= 2, or leave feedback out "
                                 "(every op-amp is tested in unity feedback anyway)")
    if spec.feedback == "inverting" and kind.name == "noninverting_amp" or \
            spec.feedback == "non_inverting" and kind.name in ("inverting_amp", "integrator", "differentiator"):
        raise InputError(f"spec field 'feedback': {spec.feedback} contradicts kind {kind.name}", where=where)
    new = get_kind(name)
    n_in = len(spec.inputs) or len(new.inputs)
    if spec.input_type == "differential" and n_in != 2:
        raise InputError(f"spec field 'input_type': a {new.name} has {n_in} input(s), not a differential pair",
                         where=where, fix="drop input_type or pick a kind with inputs inp,inn")
    if spec.input_type == "single" and n_in == 2 and new.family in ("opamp", "comparator"):
        raise InputError(f"spec field 'input_type': a {new.name} has a differential input", where=where,
                         fix="drop input_type or pick a single-input kind")
    n_out = len(spec.outputs) or len(new.outputs)
    if spec.output_type == "differential" and n_out != 2:
        if new.name == "diff_amp":
            n_out = 2
        else:
            raise InputError(f"spec field 'output_type': a {new.name} has a single-ended output", where=where,
                             fix="use kind diff_amp for differential outputs")
    if spec.stages and new.family == "opamp":
        natural = 2 if new.name == "two_stage_opamp" else 1
        if spec.stages != natural:
            better = {1: "ota5t, telescopic or folded_cascode", 2: "two_stage_opamp"}.get(spec.stages, "none")
            raise InputError(f"spec field 'stages': a {new.name} has {natural} stage(s), not {spec.stages}",
                             where=where, fix=f"use kind {better}")
    return replace(spec, kind=new.name) if new.name != spec.kind else spec


def with_ports(spec: Spec, inputs: tuple[str, ...] = (), outputs: tuple[str, ...] = (),
               bias: tuple[str, ...] = (), where: str = "command line") -> Spec:
    """Override the spec's node names with the command line's (when given) and fill defaults.

    The number of inputs/outputs must match what the kind needs; bias ports are free
    (none: the design biases itself).
    """
    spec = normalize(spec)
    kind = get_kind(spec.kind)
    ins = check_node_names(inputs, "--inputs", where) if inputs else (spec.inputs or kind.inputs)
    outs = check_node_names(outputs, "--outputs", where) if outputs else (spec.outputs or kind.outputs)
    if bias:
        bias_names = check_node_names(bias, "--bias", where)
    elif spec.bias or spec.inputs or spec.outputs or inputs or outputs:
        bias_names = spec.bias
    else:
        bias_names = spec.bias or kind.bias
    wanted_in = len(kind.inputs)
    if kind.name == "summer":
        wanted_in = max(2, len(ins))
    if len(ins) != wanted_in:
        raise InputError(f"a {kind.name} needs {wanted_in} input node(s) ({', '.join(kind.inputs) or 'none'}), "
                         f"got {len(ins)}: {', '.join(ins) or '(none)'}", where=where,
                         fix=f"pass --inputs {','.join(kind.inputs)}" if kind.inputs else "drop --inputs")
    wanted_out = len(kind.outputs)
    if kind.name == "diff_amp" and len(outs) == 1 and spec.output_type != "differential":
        wanted_out = 1
    if len(outs) != wanted_out:
        raise InputError(f"a {kind.name} needs {wanted_out} output node(s), got {len(outs)}: "
                         f"{', '.join(outs) or '(none)'}", where=where,
                         fix=f"pass --outputs {','.join(kind.outputs)}")
    if len(bias_names) > 2:
        raise InputError(f"at most two bias ports are supported (one current, one voltage), got {len(bias_names)}",
                         where=where)
    all_names = list(ins) + list(outs) + list(bias_names)
    dup = {n for n in all_names if all_names.count(n) > 1}
    if dup:
        raise InputError(f"node {sorted(dup)[0]!r} is used for two ports", where=where,
                         fix="give every input, output and bias port its own name")
    return replace(spec, inputs=tuple(ins), outputs=tuple(outs), bias=tuple(bias_names))
