"""The layout rule deck: GDS layers and design rules as data (YAML), loaded and validated.

The shipped deck (``cells/rules_freepdk45.yaml``) is the subset of the NCSU FreePDK45
design rules the ACIM leaf cells and templates use, each rule under its manual name. The
leaf-cell generator reads its widths/spacings/enclosures from here, so a deck with larger
rules draws larger cells; the checker (:mod:`chipsmith.layout.drc`) runs the same rules.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from chipsmith.errors import LibraryError

DEFAULT_RULES = Path(__file__).resolve().parent / "cells" / "rules_freepdk45.yaml"
CHECKS = ("width", "space", "inside", "enclosure2", "enclosure", "separation", "overlap")
NO_VALUE = ("inside", "overlap")  # checks that take no distance


@dataclass(frozen=True)
class Layer:
    name: str
    gds: tuple[int, int]
    kind: str  # device | metal | via | marker
    below: str | None = None
    above: str | None = None


@dataclass(frozen=True)
class Rule:
    name: str
    check: str
    layer: str
    value: float = 0.0
    other: str | None = None
    text: str = ""


@dataclass(frozen=True)
class RuleDeck:
    name: str
    source: str
    dbu_um: float
    grid_um: float
    layers: Mapping[str, Layer]
    rules: tuple[Rule, ...]
    path: str = "<deck>"
    drawing: Mapping[str, float] = field(default_factory=dict)  # rules honoured by construction, not checked

    def draw(self, name: str) -> float:
        """A ``drawing:`` value of the deck (a rule the generator keeps but the checker does not test)."""
        if name not in self.drawing:
            raise LibraryError(f"rule deck has no drawing value {name}", where=self.path,
                               fix=f"add '{name}: <um>' under drawing:")
        return self.drawing[name]

    def rule(self, check: str, layer: str, other: str | None = None) -> float:
        """The value of the first rule of this kind (what the generator must honour)."""
        for r in self.rules:
            if r.check == check and r.layer == layer and (other is None or r.other == other):
                return r.value
        raise LibraryError(f"rule deck has no {check} rule for {layer}{'/' + other if other else ''}",
                           where=self.path, fix="add it to the deck's rules list")

    def width(self, layer: str) -> float:
        return self.rule("width", layer)

    def space(self, layer: str) -> float:
        return self.rule("space", layer)

    def gds(self, layer: str) -> tuple[int, int]:
        return self.layers[layer].gds

    def describe(self) -> dict:
        return {"deck": self.name, "source": self.source, "path": self.path,
                "rules": [r.name for r in self.rules]}


def load_rules(path: Path | str | None = None) -> RuleDeck:
    """Load and validate a rule deck YAML (``None``: the shipped FreePDK45 subset)."""
    import yaml

    path = Path(path) if path is not None else DEFAULT_RULES
    try:
        data = yaml.safe_load(path.read_text())
    except OSError as exc:
        raise LibraryError(f"cannot read rule deck: {exc.strerror or exc}", where=str(path),
                           fix="pass an existing YAML rule deck") from None
    except yaml.YAMLError as exc:
        raise LibraryError(f"rule deck is not valid YAML ({exc})", where=str(path), fix="fix the YAML syntax") from None
    return parse_rules(data, str(path))


def parse_rules(data: Any, source: str = "<deck>") -> RuleDeck:
    def fail(field: str, problem: str, fix: str) -> None:
        raise LibraryError(f"field {field}: {problem}", where=source, fix=fix)

    if not isinstance(data, dict):
        fail("(top level)", "must be a mapping", "see layout/cells/rules_freepdk45.yaml")
    for key in ("deck", "source", "dbu_um", "grid_um", "layers", "rules"):
        if key not in data:
            fail(key, "is missing", f"add {key}")
    layers: dict[str, Layer] = {}
    for name, raw in dict(data["layers"]).items():
        gds = raw.get("gds") if isinstance(raw, dict) else None
        if not (isinstance(gds, list) and len(gds) == 2 and all(isinstance(g, int) and g >= 0 for g in gds)):
            fail(f"layers.{name}.gds", f"must be [layer, datatype], got {gds!r}", "e.g. gds: [11, 0]")
        layers[name] = Layer(name, (gds[0], gds[1]), str(raw.get("kind", "metal")), raw.get("below"), raw.get("above"))
    rules = []
    for i, raw in enumerate(data["rules"]):
        f = f"rules[{i}]"
        if not isinstance(raw, dict):
            fail(f, "must be a mapping", "write {name: X, check: width, layer: m1, value: 0.065}")
        check, layer = raw.get("check"), raw.get("layer")
        if check not in CHECKS:
            fail(f"{f}.check", f"unknown check {check!r}", f"use one of: {', '.join(CHECKS)}")
        if layer not in layers or (raw.get("other") is not None and raw["other"] not in layers):
            fail(f"{f}.layer", f"unknown layer {layer!r}/{raw.get('other')!r}", f"use one of: {', '.join(layers)}")
        value = raw.get("value", 0.0)
        if check not in NO_VALUE and (not isinstance(value, (int, float)) or value <= 0):
            fail(f"{f}.value", f"must be a positive number, got {value!r}", "give the rule value in um")
        rules.append(Rule(str(raw.get("name", f"rule{i}")), check, layer, float(value), raw.get("other"),
                          str(raw.get("text", ""))))
    drawing = data.get("drawing") or {}
    if not isinstance(drawing, dict) or not all(isinstance(v, (int, float)) and v > 0 for v in drawing.values()):
        fail("drawing", "must map rule names to positive um values", "e.g. drawing: {POLY.3: 0.055}")
    return RuleDeck(str(data["deck"]), str(data["source"]), float(data["dbu_um"]), float(data["grid_um"]),
                    layers, tuple(rules), source, {str(k): float(v) for k, v in drawing.items()})
