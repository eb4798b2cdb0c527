"""Requirements as data: what a design request asks for, in checkable atoms.

This module is the contract between the request reader (``chipsmith.agents``), the
planner and the independent judge (:mod:`chipsmith.spice.judge`). It holds DATA ONLY:
frozen dataclasses, validation and JSON (de)serialization. It never imports the agent.

A :class:`Request` is the designer's text, the designer's port list with a role per port
(:class:`Interface`), the list of :class:`Requirement` atoms read from it, and the phrases
the reader could not consume (``unconsumed``; anything there forbids a success claim).

Requirement kinds form a closed set (:data:`KINDS`); each kind documents its parameters
(:data:`KIND_PARAMS`: required keys, optional keys) and closed value sets for the
enumerated ones. ``from_dict`` rejects unknown kinds, unknown or missing keys and values
outside the closed sets, naming the valid choices.

Parameters per kind (``?`` = optional; ports are referred to by name):

- ``family``: ``family`` (:data:`FAMILIES` key), ``variant?`` (one of that family's
  variants; absent = any variant).
- ``stage_count``: ``count`` (int, gain stages along the signal path), ``op?`` (``==``
  default, ``>=``, ``<=``).
- ``load_type``: ``load`` (:data:`LOAD_TYPES`), ``stage?`` (1-based; absent = some stage).
- ``input_type``: ``device`` (``nmos``/``pmos``/``npn``/``pnp``), ``pair?`` (bool:
  differential input pair).
- ``device_count``: ``device`` (:data:`DEVICE_TYPES`), ``min?``, ``max?`` (ints), ``role?``
  (:data:`DEVICE_ROLES`: count only the devices playing that part: ``input_pair`` = the
  input pair and the cascodes stacked on it, ``load`` = the devices between the outputs
  and the supply rail, ``tail`` = the pair's tail source).
- ``named_component``: ``name`` (instance name as written, e.g. ``R1``, ``Cf``),
  ``element?`` (:data:`DEVICE_TYPES`).
- ``structure``: ``feature`` (:data:`FEATURES`: cascode, diode_connected, feedback...),
  ``present?`` (bool, default true), ``device?`` (``nmos``/``pmos`` for polarity-specific
  features such as a PMOS diode-connected device).
- ``polarity``: ``sense`` (``inverting``/``non_inverting``), ``input?``, ``output?``.
- ``linear_relation``: ``output`` (port), ``coefficients`` (mapping port -> float),
  ``offset?`` (volts, default 0), ``rel_tol?`` (default 0.1), ``abs_tol?`` (volts).
  Means ``V(output) = sum(coef_i * V(input_i)) + offset`` around the operating point.
- ``threshold``: ``value`` (volts at ``input``), ``input?``, ``output?``,
  ``direction?`` (``rising``/``falling``/``any``), ``tol?`` (volts, default 0.05).
- ``hysteresis``: ``op`` (:data:`OPS`), ``value`` (volts of hysteresis width),
  ``input?``, ``output?``, ``tol?`` (relative, for ``~``).
- ``filter``: ``response`` (:data:`FILTER_RESPONSES`), ``order?`` (int),
  ``implementation?`` (``passive``/``active``), ``corner_hz?`` (float; center for band
  responses), ``tol?`` (relative, default 0.3), ``input?``, ``output?``.
- ``oscillation``: ``frequency_hz?``, ``tol?`` (relative, default 0.3),
  ``min_amplitude_v?``, ``output?``.
- ``control_moves_frequency``: ``control`` (port), ``min_ratio?`` (f_max/f_min over
  the control range, default 1.1), ``direction?`` (``increasing``/``decreasing``/``any``).
- ``target``: ``figure`` (:data:`FIGURES` key), ``op`` (:data:`OPS`), ``value`` (float in
  the figure's SI unit), ``unit?`` (as the text wrote it, informative), ``tol?``
  (relative, for ``~``, default 0.1), ``input?``, ``output?``.
- ``supply``: ``voltage`` (volts between vdd and gnd).
- ``bias_port``: ``port`` (a bias-voltage port), ``drives`` (``tail``, ``load``,
  ``cascode``), ``device?`` (nmos/pmos): "the PMOS loads biased by Vb2", "Vb1 for the
  tail": the port reaches the gates of the devices playing that part (directly or
  through resistors only).
- ``goal``: a figure to optimise rather than meet (issue 12, goals): ``figure``
  (:data:`GOAL_FIGURES`: gain_vv, gain_db, gbw_hz, gbw_per_w), ``direction``
  (``maximize``/``minimize``), ``baseline?`` (the figure to beat, e.g. the untuned
  template's, measured by this judge; absent = any sane working value passes),
  ``input?``, ``output?``. The judge measures the figure itself and passes it only with
  the design working as an amplifier (output between the rails, no positive feedback,
  every MOSFET conducting >= 10 uA; op-amps also phase margin >= 45 deg).
- ``condition``: a test/operating condition the request states (not a figure to meet):
  ``name`` (:data:`CONDITIONS`), ``value`` (SI), ``port?`` (e.g. the bias port the
  current or voltage is applied to). The judge applies conditions in its testbenches.

``named_component`` also takes ``value?`` (SI: ohm, F, H).

Judge conventions for ports (documented here because the reader, the planner and the
judge must agree): the ``.subckt design`` ports are the interface's names in order, then
``vdd`` and ``gnd`` (supply/ground ports of the interface map to those). Unless a
``condition`` says otherwise: supply 1.8 V (or the ``supply`` requirement); ``bias_v``,
``reference`` and ``control`` ports and the input common mode sit at vdd/2; a ``bias_i``
port receives 20 uA flowing into the pin from vdd (a negative ``bias_current_a`` /
``ref_current_a`` value means the current flows out of the pin to ground); a ``clock``
port gets a 0..vdd square wave at 1 MHz; the outputs of amplifiers, op-amps and op-amp
circuits (families amplifier, opamp, opamp_app) drive a 1 pF load (``load_cap_f`` overrides).
A PLL's reference port (its clock, else reference, else signal input port) gets a 0..vdd
square wave at ``clock_hz``, else 10 MHz (see :mod:`chipsmith.spice.judge_pll`).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Iterator, Mapping

from chipsmith.errors import InputError

SCHEMA_VERSION = 1


class PortRole(str, Enum):
    """What a port of the designer's interface is for."""

    SIGNAL_IN = "signal_in"
    DIFF_IN_P = "diff_in_p"
    DIFF_IN_N = "diff_in_n"
    BIAS_V = "bias_v"
    BIAS_I = "bias_i"  # a current input (Iref, Ibias)
    REFERENCE = "reference"
    CONTROL = "control"
    CLOCK = "clock"
    OUT = "out"
    DIFF_OUT_P = "diff_out_p"
    DIFF_OUT_N = "diff_out_n"
    SUPPLY = "supply"
    GROUND = "ground"


INPUT_ROLES = frozenset({PortRole.SIGNAL_IN, PortRole.DIFF_IN_P, PortRole.DIFF_IN_N})
OUTPUT_ROLES = frozenset({PortRole.OUT, PortRole.DIFF_OUT_P, PortRole.DIFF_OUT_N})

# family -> its variants (empty: no variants). A requirement may leave the variant out.
FAMILIES: dict[str, tuple[str, ...]] = {
    "amplifier": ("common_source", "common_gate", "common_drain", "cascode", "differential", "multistage",
                  "push_pull", "tia"),
    "opamp": ("one_stage", "two_stage", "three_stage", "folded_cascode", "telescopic", "ota"),
    "current_mirror": ("simple", "cascode", "wilson", "widlar", "wide_swing"),
    "current_source": (),
    "comparator": ("continuous", "latched"),
    "schmitt": ("inverting", "non_inverting"),
    "inverter": (),
    "oscillator": ("ring", "rc_phase_shift", "wien", "lc", "relaxation", "crystal"),
    "vco": ("ring", "relaxation", "lc"),
    "filter": (),
    "opamp_app": ("inverting", "non_inverting", "summer", "subtractor", "integrator", "differentiator",
                  "buffer", "instrumentation", "transimpedance"),
    "bandgap": (),
    "ldo": (),
    "reference": ("voltage", "current"),
    "mixer": ("gilbert", "single_balanced", "passive"),
    "sample_hold": (),
    "pll": (),
    "dac": ("r2r", "binary_weighted", "current_steering"),
    "adc": ("flash", "sar"),
    "switch": ("nmos", "pmos", "transmission_gate"),
    "latch": (),
    "buffer": (),
}

LOAD_TYPES = ("resistor", "diode", "nmos_diode", "pmos_diode", "current_source", "mirror", "active", "cascode")
DEVICE_TYPES = ("nmos", "pmos", "mosfet", "npn", "pnp", "bjt", "resistor", "capacitor", "inductor", "diode",
                "transistor")
FEATURES = ("cascode", "diode_connected", "diff_pair", "tail_source", "current_mirror", "miller_compensation",
            "feedback", "source_degeneration", "source_follower", "cross_coupled", "push_pull",
            "positive_feedback")
DEVICE_ROLES = ("input_pair", "load", "tail")
FILTER_RESPONSES = ("lowpass", "highpass", "bandpass", "bandstop", "allpass")
OPS = (">=", "<=", "~", "==")
# figure -> SI unit of ``value``.
FIGURES: dict[str, str] = {
    "gain_db": "dB", "gain_vv": "V/V", "gbw_hz": "Hz", "ugb_hz": "Hz", "pm_deg": "deg", "f3db_hz": "Hz",
    "power_w": "W", "supply_current_a": "A", "vout_v": "V", "iout_a": "A", "mirror_ratio": "A/A",
    "freq_hz": "Hz", "slew_vps": "V/s", "line_reg_vpv": "V/V", "load_reg_ohm": "V/A", "output_swing_v": "V",
    "offset_v": "V", "cmrr_db": "dB", "psrr_db": "dB", "dropout_v": "V", "load_current_a": "A",
    "amplitude_v": "V", "center_hz": "Hz", "tempco_ppm": "ppm/K", "rout_ohm": "Ohm", "rin_ohm": "Ohm",
    "transimpedance_ohm": "Ohm", "settling_s": "s", "conversion_gain_db": "dB", "delay_s": "s",
    "noise_vrthz": "V/sqrt(Hz)", "lsb_v": "V", "bits": "bit", "duty": "1", "time_constant_s": "s",
    "gbw_per_w": "Hz/W",
    "freq_ratio": "1",  # output over reference frequency (a PLL's N)
}
# figures a ``goal`` requirement may ask to maximise or minimise
GOAL_FIGURES = ("gain_vv", "gain_db", "gbw_hz", "gbw_per_w", "power_w")
CONDITIONS = ("load_cap_f", "load_res_ohm", "load_current_a", "input_cm_v", "input_dc_v", "bias_current_a",
              "bias_voltage_v", "ref_current_a", "ref_voltage_v", "control_v", "clock_hz", "temperature_c")

_PORT = str
# kind -> (required keys, optional keys)
KIND_PARAMS: dict[str, tuple[frozenset[str], frozenset[str]]] = {
    "family": (frozenset({"family"}), frozenset({"variant"})),
    "stage_count": (frozenset({"count"}), frozenset({"op"})),
    "load_type": (frozenset({"load"}), frozenset({"stage"})),
    "input_type": (frozenset({"device"}), frozenset({"pair"})),
    "device_count": (frozenset({"device"}), frozenset({"min", "max", "role"})),
    "named_component": (frozenset({"name"}), frozenset({"element", "value"})),
    "structure": (frozenset({"feature"}), frozenset({"present", "device"})),
    "polarity": (frozenset({"sense"}), frozenset({"input", "output"})),
    "linear_relation": (frozenset({"output", "coefficients"}), frozenset({"offset", "rel_tol", "abs_tol"})),
    "threshold": (frozenset({"value"}), frozenset({"input", "output", "direction", "tol"})),
    "hysteresis": (frozenset({"op", "value"}), frozenset({"input", "output", "tol"})),
    "filter": (frozenset({"response"}), frozenset({"order", "implementation", "corner_hz", "tol", "input",
                                                   "output"})),
    "oscillation": (frozenset(), frozenset({"frequency_hz", "tol", "min_amplitude_v", "output"})),
    "control_moves_frequency": (frozenset({"control"}), frozenset({"min_ratio", "direction"})),
    "target": (frozenset({"figure", "op", "value"}), frozenset({"unit", "tol", "input", "output"})),
    "supply": (frozenset({"voltage"}), frozenset()),
    "condition": (frozenset({"name", "value"}), frozenset({"port"})),
    "bias_port": (frozenset({"port", "drives"}), frozenset({"device"})),
    "goal": (frozenset({"figure", "direction"}), frozenset({"baseline", "input", "output"})),
}
KINDS = tuple(KIND_PARAMS)

# Closed value sets of enumerated parameters, per (kind, key).
_CHOICES: dict[tuple[str, str], tuple[str, ...]] = {
    ("family", "family"): tuple(FAMILIES),
    ("stage_count", "op"): ("==", ">=", "<="),
    ("load_type", "load"): LOAD_TYPES,
    ("input_type", "device"): ("nmos", "pmos", "npn", "pnp"),
    ("device_count", "device"): DEVICE_TYPES,
    ("device_count", "role"): ("input_pair", "load", "tail"),
    ("bias_port", "drives"): ("tail", "load", "cascode"),
    ("bias_port", "device"): ("nmos", "pmos"),
    ("named_component", "element"): DEVICE_TYPES,
    ("structure", "feature"): FEATURES,
    ("structure", "device"): ("nmos", "pmos"),
    ("polarity", "sense"): ("inverting", "non_inverting"),
    ("threshold", "direction"): ("rising", "falling", "any"),
    ("hysteresis", "op"): OPS,
    ("filter", "response"): FILTER_RESPONSES,
    ("filter", "implementation"): ("passive", "active"),
    ("control_moves_frequency", "direction"): ("increasing", "decreasing", "any"),
    ("target", "figure"): tuple(FIGURES),
    ("target", "op"): OPS,
    ("condition", "name"): CONDITIONS,
    ("goal", "figure"): GOAL_FIGURES,
    ("goal", "direction"): ("maximize", "minimize"),
}
_INTS = {("stage_count", "count"), ("load_type", "stage"), ("device_count", "min"), ("device_count", "max"),
         ("filter", "order")}
_FLOATS = {("linear_relation", "offset"), ("linear_relation", "rel_tol"), ("linear_relation", "abs_tol"),
           ("threshold", "value"), ("threshold", "tol"), ("hysteresis", "value"), ("hysteresis", "tol"),
           ("filter", "corner_hz"), ("filter", "tol"), ("oscillation", "frequency_hz"), ("oscillation", "tol"),
           ("oscillation", "min_amplitude_v"), ("control_moves_frequency", "min_ratio"), ("target", "value"),
           ("target", "tol"), ("supply", "voltage"), ("condition", "value"), ("named_component", "value"),
           ("goal", "baseline")}
_BOOLS = {("input_type", "pair"), ("structure", "present")}


def _bad(message: str, fix: str | None = None) -> InputError:
    return InputError(message, where="requirements", fix=fix)


class Params(Mapping[str, Any]):
    """An immutable, hashable mapping of plain values (str, int, float, bool, None,
    tuples of those, nested Params). Lists become tuples and dicts become Params."""

    __slots__ = ("_items",)

    def __init__(self, data: Mapping[str, Any] | None = None, **kwargs: Any) -> None:
        merged = dict(data or {}, **kwargs)
        object.__setattr__(self, "_items", tuple(sorted((str(k), _freeze(v)) for k, v in merged.items())))

    def __setattr__(self, name: str, value: Any) -> None:  # immutability
        raise AttributeError("Params is immutable")

    def __getitem__(self, key: str) -> Any:
        for k, v in self._items:
            if k == key:
                return v
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return (k for k, _ in self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __hash__(self) -> int:
        return hash(self._items)

    def __reduce__(self):  # pickling (dask workers) without going through __setattr__
        return (Params, (self.to_plain(),))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Params):
            return self._items == other._items
        if isinstance(other, Mapping):
            return dict(self) == dict(other)
        return NotImplemented

    def __repr__(self) -> str:
        return f"Params({dict(self._items)!r})"

    def to_plain(self) -> dict[str, Any]:
        return {k: _thaw(v) for k, v in self._items}


def _freeze(value: Any) -> Any:
    if isinstance(value, Params):
        return value
    if isinstance(value, Mapping):
        return Params(value)
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v) for v in value)
    if isinstance(value, Enum):
        return value.value
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    raise _bad(f"parameter value {value!r} is not a plain value", fix="use str, int, float, bool, lists or dicts")


def _thaw(value: Any) -> Any:
    if isinstance(value, Params):
        return value.to_plain()
    if isinstance(value, tuple):
        return [_thaw(v) for v in value]
    return value


@dataclass(frozen=True)
class Port:
    """One port of the designer's interface: its exact name and its role."""

    name: str
    role: PortRole

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.strip() or any(c.isspace() for c in self.name):
            raise _bad(f"port name {self.name!r} is not a single word")
        try:
            object.__setattr__(self, "role", PortRole(self.role))
        except ValueError:
            raise _bad(f"port {self.name}: unknown role {self.role!r}",
                       fix="use one of " + ", ".join(r.value for r in PortRole)) from None

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "role": self.role.value}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Port":
        if not isinstance(data, Mapping) or set(data) != {"name", "role"}:
            raise _bad(f"port entry {data!r} must have exactly name and role")
        return cls(data["name"], data["role"])


@dataclass(frozen=True)
class Interface:
    """The designer's port list (the design's ``.subckt design`` ports, in this order,
    with supply and ground ports listed when the request names them)."""

    ports: tuple[Port, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "ports", tuple(self.ports))
        seen: set[str] = set()
        for p in self.ports:
            if not isinstance(p, Port):
                raise _bad(f"interface entry {p!r} is not a Port")
            if p.name.lower() in seen:
                raise _bad(f"port {p.name} is listed twice")
            seen.add(p.name.lower())

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.ports)

    def by_role(self, *roles: PortRole | str) -> tuple[Port, ...]:
        wanted = {PortRole(r) for r in roles}
        return tuple(p for p in self.ports if p.role in wanted)

    def names_by_role(self, *roles: PortRole | str) -> tuple[str, ...]:
        return tuple(p.name for p in self.by_role(*roles))

    def role_of(self, name: str) -> PortRole | None:
        for p in self.ports:
            if p.name.lower() == name.lower():
                return p.role
        return None

    @property
    def inputs(self) -> tuple[Port, ...]:
        return tuple(p for p in self.ports if p.role in INPUT_ROLES)

    @property
    def outputs(self) -> tuple[Port, ...]:
        return tuple(p for p in self.ports if p.role in OUTPUT_ROLES)

    def to_dict(self) -> list[dict[str, str]]:
        return [p.to_dict() for p in self.ports]

    @classmethod
    def from_dict(cls, data: Any) -> "Interface":
        if not isinstance(data, (list, tuple)):
            raise _bad(f"interface must be a list of ports, got {type(data).__name__}")
        return cls(tuple(Port.from_dict(p) for p in data))


@dataclass(frozen=True)
class Source:
    """Where a requirement came from: a span ``[start, end)`` of the request text and the
    quoted phrase, or ``Source.spec()`` for a structured spec or a hand annotation."""

    phrase: str = "spec"
    span: tuple[int, int] | None = None

    def __post_init__(self) -> None:
        if self.span is not None:
            span = tuple(self.span)
            if len(span) != 2 or not all(isinstance(x, int) for x in span) or not 0 <= span[0] <= span[1]:
                raise _bad(f"source span {self.span!r} must be two ints 0 <= start <= end")
            object.__setattr__(self, "span", span)

    @classmethod
    def spec(cls) -> "Source":
        return cls("spec", None)

    @property
    def is_spec(self) -> bool:
        return self.span is None

    def to_dict(self) -> Any:
        if self.span is None and self.phrase == "spec":
            return "spec"
        return {"phrase": self.phrase, "span": list(self.span) if self.span is not None else None}

    @classmethod
    def from_dict(cls, data: Any) -> "Source":
        if data is None or data == "spec":
            return cls.spec()
        if isinstance(data, Mapping) and set(data) <= {"phrase", "span"} and "phrase" in data:
            span = data.get("span")
            return cls(str(data["phrase"]), tuple(span) if span is not None else None)
        raise _bad(f"source {data!r} must be 'spec' or {{phrase, span}}")


def _check_params(kind: str, params: Params, rid: str) -> None:
    required, optional = KIND_PARAMS[kind]
    keys = set(params)
    missing = required - keys
    if missing:
        raise _bad(f"requirement {rid} ({kind}) lacks {', '.join(sorted(missing))}")
    extra = keys - required - optional
    if extra:
        raise _bad(f"requirement {rid} ({kind}) has unknown parameter(s) {', '.join(sorted(extra))}",
                   fix="valid: " + ", ".join(sorted(required | optional)))
    for key in keys:
        value = params[key]
        choices = _CHOICES.get((kind, key))
        if choices is not None and value not in choices:
            raise _bad(f"requirement {rid} ({kind}): {key}={value!r} is not valid",
                       fix="use one of " + ", ".join(choices))
        if (kind, key) in _INTS and (isinstance(value, bool) or not isinstance(value, int)):
            raise _bad(f"requirement {rid} ({kind}): {key} must be an integer, got {value!r}")
        if (kind, key) in _FLOATS and (isinstance(value, bool) or not isinstance(value, (int, float))):
            raise _bad(f"requirement {rid} ({kind}): {key} must be a number, got {value!r}")
        if (kind, key) in _BOOLS and not isinstance(value, bool):
            raise _bad(f"requirement {rid} ({kind}): {key} must be true or false, got {value!r}")
    if kind == "family" and params.get("variant") is not None:
        variants = FAMILIES[params["family"]]
        if params["variant"] not in variants:
            raise _bad(f"requirement {rid}: {params['family']} has no variant {params['variant']!r}",
                       fix="use one of " + (", ".join(variants) or "(no variants: leave it out)"))
    if kind == "linear_relation":
        coefs = params["coefficients"]
        if not isinstance(coefs, Params) or not coefs:
            raise _bad(f"requirement {rid}: coefficients must be a non-empty mapping port -> number")
        for port, c in coefs.items():
            if isinstance(c, bool) or not isinstance(c, (int, float)):
                raise _bad(f"requirement {rid}: coefficient of {port} must be a number, got {c!r}")
    if kind == "device_count" and "min" not in keys and "max" not in keys:
        raise _bad(f"requirement {rid} (device_count) needs min or max")


@dataclass(frozen=True)
class Requirement:
    """One atomic, checkable requirement. ``must`` false marks a preference (reported,
    not needed for success)."""

    id: str
    kind: str
    params: Params = field(default_factory=Params)
    source: Source = field(default_factory=Source.spec)
    must: bool = True

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id:
            raise _bad(f"requirement id {self.id!r} must be a non-empty string")
        if self.kind not in KIND_PARAMS:
            raise _bad(f"requirement {self.id}: unknown kind {self.kind!r}", fix="use one of " + ", ".join(KINDS))
        if not isinstance(self.params, Params):
            if not isinstance(self.params, Mapping):
                raise _bad(f"requirement {self.id}: params must be a mapping")
            object.__setattr__(self, "params", Params(self.params))
        if not isinstance(self.source, Source):
            object.__setattr__(self, "source", Source.from_dict(self.source))
        if not isinstance(self.must, bool):
            raise _bad(f"requirement {self.id}: must is true or false")
        _check_params(self.kind, self.params, self.id)

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "params": self.params.to_plain(), "source": self.source.to_dict(),
                "must": self.must}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Requirement":
        if not isinstance(data, Mapping):
            raise _bad(f"requirement entry {data!r} is not an object")
        extra = set(data) - {"id", "kind", "params", "source", "must"}
        if extra or "id" not in data or "kind" not in data:
            raise _bad(f"requirement entry {dict(data)!r} needs id and kind, and only params/source/must besides")
        return cls(data["id"], data["kind"], Params(data.get("params") or {}), Source.from_dict(data.get("source")),
                   bool(data.get("must", True)))

    def describe(self) -> str:
        """A short human-readable form, e.g. ``target gbw_hz >= 2e+07``."""
        p = self.params
        if self.kind == "target":
            return f"{p['figure']} {p['op']} {p['value']:g}"
        if self.kind == "goal":
            return f"{p['direction']} {p['figure']}" + (f" (beat {p['baseline']:.4g})" if "baseline" in p else "")
        if self.kind == "family":
            return "family " + p["family"] + (f"/{p['variant']}" if p.get("variant") else "")
        return self.kind + " " + ", ".join(f"{k}={_thaw(v)}" for k, v in p.items())


@dataclass(frozen=True)
class Request:
    """A design request: text, interface, requirements and the phrases not consumed."""

    text: str
    interface: Interface
    requirements: tuple[Requirement, ...] = ()
    unconsumed: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "requirements", tuple(self.requirements))
        object.__setattr__(self, "unconsumed", tuple(self.unconsumed))
        ids = [r.id for r in self.requirements]
        dup = {i for i in ids if ids.count(i) > 1}
        if dup:
            raise _bad(f"requirement id(s) {', '.join(sorted(dup))} repeated")
        names = {n.lower() for n in self.interface.names}
        for r in self.requirements:
            for port in _ports_named(r):
                if port.lower() not in names:
                    raise _bad(f"requirement {r.id} names port {port!r}, which is not in the interface",
                               fix="ports: " + ", ".join(self.interface.names))

    def by_kind(self, kind: str) -> tuple[Requirement, ...]:
        return tuple(r for r in self.requirements if r.kind == kind)

    @property
    def supply_voltage(self) -> float | None:
        for r in self.by_kind("supply"):
            return float(r.params["voltage"])
        return None

    def to_dict(self) -> dict[str, Any]:
        return {"schema": SCHEMA_VERSION, "text": self.text, "interface": self.interface.to_dict(),
                "requirements": [r.to_dict() for r in self.requirements], "unconsumed": list(self.unconsumed)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Request":
        if not isinstance(data, Mapping):
            raise _bad("a request must be a JSON object")
        extra = set(data) - {"schema", "text", "interface", "requirements", "unconsumed"}
        if extra:
            raise _bad(f"request has unknown field(s) {', '.join(sorted(extra))}")
        if data.get("schema", SCHEMA_VERSION) != SCHEMA_VERSION:
            raise _bad(f"request schema {data.get('schema')!r} is not {SCHEMA_VERSION}")
        return cls(str(data.get("text", "")), Interface.from_dict(data.get("interface", [])),
                   tuple(Requirement.from_dict(r) for r in data.get("requirements", [])),
                   tuple(str(u) for u in data.get("unconsumed", [])))

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "Request":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise _bad(f"request is not JSON: {exc}") from None
        return cls.from_dict(data)


def _ports_named(r: Requirement) -> list[str]:
    """Port names a requirement refers to (so a request can check them)."""
    p = r.params
    names = [p[k] for k in ("input", "output", "control", "port") if isinstance(p.get(k), str)]
    if r.kind == "linear_relation":
        names.append(p["output"])
        names.extend(p["coefficients"])
    return names


__all__ = ["PortRole", "Port", "Interface", "Source", "Requirement", "Request", "Params", "KINDS", "KIND_PARAMS",
           "FAMILIES", "LOAD_TYPES", "DEVICE_TYPES", "FEATURES", "FILTER_RESPONSES", "OPS", "FIGURES",
           "INPUT_ROLES", "OUTPUT_ROLES", "SCHEMA_VERSION", "CONDITIONS", "GOAL_FIGURES"]
