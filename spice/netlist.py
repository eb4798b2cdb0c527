"""The netlist data model: frozen dataclasses for elements, models, subcircuits, netlists.

Names, nodes, model names and parameter keys are stored lower-case (SPICE is
case-insensitive); include paths and the title keep their case. ``line`` and
``source`` say where a card came from and take no part in equality, so a netlist that
went through :func:`chipsmith.spice.writer.write_netlist` and back compares equal to the
original ("same meaning").

Values are ``float`` when the text was a number and ``str`` when it was an expression
(``"{w*2}"``) or a word (``"3.3.0"`` in a model card).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Union

Value = Union[float, str]

ELEMENT_KINDS = "RCLVIEFGHDMQX"
GROUND_NETS = frozenset({"0", "gnd"})

# Terminal role names per element kind, in node order (X uses its subcircuit's ports).
TERMINALS: dict[str, tuple[str, ...]] = {
    "R": ("p", "n"), "C": ("p", "n"), "L": ("p", "n"),
    "V": ("+", "-"), "I": ("+", "-"),
    "E": ("+", "-", "c+", "c-"), "G": ("+", "-", "c+", "c-"),
    "F": ("+", "-"), "H": ("+", "-"),
    "D": ("a", "k"),
    "M": ("d", "g", "s", "b"),
    "Q": ("c", "b", "e", "s"),
}


def is_ground(net: str) -> bool:
    """True for the ground node (``0``, or ``gnd`` which ngspice also maps to ground)."""
    return net in GROUND_NETS


@dataclass(frozen=True)
class Waveform:
    """A time-domain source function: ``PULSE(0 1 0 1n 1n 5n 10n)`` -> ("pulse", (0, 1, ...))."""

    kind: str
    args: tuple[Value, ...]


@dataclass(frozen=True)
class Element:
    """One device card.

    ``kind`` is the upper-case first letter of the name (R C L V I E F G H D M Q X).
    ``value`` holds the R/C/L value, the DC value of V/I, or the gain of E/F/G/H.
    ``model`` is the model name (D M Q, optional for R C L) or the subcircuit name (X).
    ``control`` is the controlling voltage source of F/H. For V/I, ``params`` may hold
    ``ac`` and ``acphase`` and ``waveform`` the transient function.
    """

    name: str
    kind: str
    nodes: tuple[str, ...]
    value: Value | None = None
    model: str | None = None
    params: dict[str, Value] = field(default_factory=dict)
    line: int = field(default=0, compare=False)
    source: str = field(default="<text>", compare=False)
    control: str | None = None
    waveform: Waveform | None = None

    @property
    def where(self) -> str:
        return f"{self.source}:{self.line}"

    def terminals(self) -> tuple[tuple[str, str], ...]:
        """(role, net) pairs; X terminals are named ``p0``, ``p1``... by position."""
        roles = TERMINALS.get(self.kind)
        if roles is None:
            return tuple((f"p{i}", n) for i, n in enumerate(self.nodes))
        return tuple(zip(roles, self.nodes))


@dataclass(frozen=True)
class Model:
    """A ``.model NAME TYPE (params)`` card; ``type`` is lower-case (nmos, pmos, npn, d, ...)."""

    name: str
    type: str
    params: dict[str, Value] = field(default_factory=dict)
    line: int = field(default=0, compare=False)
    source: str = field(default="<text>", compare=False)


@dataclass(frozen=True)
class Include:
    """An ``.include PATH`` (``kind="include"``) or ``.lib PATH SECTION`` (``kind="lib"``)."""

    path: str
    section: str | None = None
    line: int = field(default=0, compare=False)
    source: str = field(default="<text>", compare=False)
    kind: str = "include"


@dataclass(frozen=True)
class Directive:
    """Any other dot-card kept verbatim as tokens (``.option``, ``.temp``, ``.op``, ``.ac``...)."""

    name: str
    args: tuple[str, ...] = ()
    line: int = field(default=0, compare=False)
    source: str = field(default="<text>", compare=False)


@dataclass(frozen=True)
class Subckt:
    """A ``.subckt NAME PORTS... [params: k=v]`` definition.

    ``params`` are the header defaults (overridable per instance); ``local_params`` the
    ``.param`` cards inside the body.
    """

    name: str
    ports: tuple[str, ...]
    elements: tuple[Element, ...] = ()
    models: dict[str, Model] = field(default_factory=dict)
    params: dict[str, Value] = field(default_factory=dict)
    local_params: dict[str, Value] = field(default_factory=dict)
    line: int = field(default=0, compare=False)
    source: str = field(default="<text>", compare=False)

    def nets(self) -> list[str]:
        """Every net of the body plus the ports, sorted."""
        return sorted(set(self.ports).union(*(e.nodes for e in self.elements)))

    def find(self, name: str) -> Element | None:
        """The element called ``name`` (case-insensitive), or ``None``."""
        return _find(self.elements, name)


@dataclass(frozen=True)
class Netlist:
    """A parsed netlist: top-level elements plus definitions.

    ``sections`` holds ``.lib NAME`` ... ``.endl`` blocks of a model library file, each
    as a netlist of its own (title empty).
    """

    title: str = ""
    elements: tuple[Element, ...] = ()
    subckts: dict[str, Subckt] = field(default_factory=dict)
    models: dict[str, Model] = field(default_factory=dict)
    params: dict[str, Value] = field(default_factory=dict)
    includes: tuple[Include, ...] = ()
    directives: tuple[Directive, ...] = ()
    sections: dict[str, "Netlist"] = field(default_factory=dict)
    source: str = field(default="<text>", compare=False)

    def nets(self) -> list[str]:
        """Every net the top-level elements touch, sorted (ground included)."""
        return sorted(set().union(*(e.nodes for e in self.elements))) if self.elements else []

    def find(self, name: str) -> Element | None:
        """The top-level element called ``name`` (case-insensitive), or ``None``."""
        return _find(self.elements, name)

    def subckt(self, name: str) -> Subckt | None:
        """The subcircuit definition called ``name`` (case-insensitive), or ``None``."""
        return self.subckts.get(name.lower())

    def model(self, name: str) -> Model | None:
        """The top-level model called ``name`` (case-insensitive), or ``None``."""
        return self.models.get(name.lower())

def _find(elements: tuple[Element, ...], name: str) -> Element | None:
    key = name.lower()
    for element in elements:
        if element.name == key:
            return element
    return None


__all__ = ["Element", "Model", "Subckt", "Include", "Directive", "Netlist", "Waveform", "Value",
           "ELEMENT_KINDS", "GROUND_NETS", "TERMINALS", "is_ground"]
