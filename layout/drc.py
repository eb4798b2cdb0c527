"""Design-rule check of a GDS with klayout.db Region operations, rules from the deck (YAML).

Checks: ``width`` (Region.width_check), ``space`` (Region.space_check, merged shapes, so
touching shapes of one net are one polygon), ``inside`` (a via not fully covered by a
metal), ``enclosure`` (a shape touching ``other`` lies inside it with the margin on every
side: contacts in active/poly, active in nwell), ``separation`` (shapes not touching
``other`` keep the distance from it: field poly to active, diffusion contact to poly, active
outside nwell to nwell), ``overlap`` (two layers that must not overlap: n and p implant) and
``enclosure2`` (the FreePDK45 "enclosure on two opposite sides": a via is
fine if the metal extends by the value beyond both its left and right edges, or beyond
both its top and bottom edges). Every violation carries its rule name, the measured
box and its location in µm, so a report points at the place to fix.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from chipsmith.layout.rules import RuleDeck


@dataclass(frozen=True)
class Violation:
    rule: str
    text: str
    layer: str
    x: float
    y: float
    box: tuple[float, float, float, float]

    def to_dict(self) -> dict:
        return {"rule": self.rule, "text": self.text, "layer": self.layer, "x": self.x, "y": self.y,
                "box_um": list(self.box)}


def _layout(gds: Path | str | object):
    import klayout.db as db

    if isinstance(gds, db.Layout):
        return gds
    layout = db.Layout()
    layout.read(str(gds))
    return layout


def top_cell(layout):
    tops = layout.top_cells()
    if len(tops) != 1:
        from chipsmith.errors import InputError

        raise InputError(f"GDS has {len(tops)} top cells ({', '.join(c.name for c in tops)})",
                         fix="write one top cell (the macro)")
    return tops[0]


def regions(layout, deck: RuleDeck, cell=None, dss=None) -> dict:
    """Merged Region per deck layer: hierarchical ("deep", klayout's DeepShapeStore) when
    ``dss`` is given, so a cell arrayed 65536 times is checked once plus its neighbourhoods;
    flat otherwise."""
    import klayout.db as db

    cell = cell or top_cell(layout)
    out = {}
    for name, layer in deck.layers.items():
        li = layout.find_layer(layer.gds[0], layer.gds[1])
        if li is None:
            reg = db.Region()
        elif dss is not None:
            reg = db.Region(cell.begin_shapes_rec(li), dss)
        else:
            reg = db.Region(cell.begin_shapes_rec(li))
        reg.merged_semantics = True
        out[name] = reg
    return out


def run_drc(gds, deck: RuleDeck, *, cell_name: str | None = None, max_per_rule: int = 50, deep: bool = True) -> dict:
    """All deck rules on one cell (the top cell by default). Returns a JSON-ready report:
    ``clean``, ``violations`` (total), ``by_rule`` counts, the first ``max_per_rule``
    violations of each rule with locations, and the time taken."""
    start = time.perf_counter()
    layout = _layout(gds)
    cell = layout.cell(cell_name) if cell_name else top_cell(layout)
    dbu = layout.dbu
    import klayout.db as db

    dss = db.DeepShapeStore() if deep else None
    if dss is not None:
        dss.threads = 1
    reg = regions(layout, deck, cell, dss)
    found: list[Violation] = []
    by_rule: dict[str, int] = {}
    for rule in deck.rules:
        shapes = _check(rule, reg, dbu)
        by_rule[rule.name] = len(shapes)
        for box in shapes[:max_per_rule]:
            x0, y0, x1, y1 = (round(v * dbu, 4) for v in box)
            found.append(Violation(rule.name, rule.text, rule.layer, round((x0 + x1) / 2, 4), round((y0 + y1) / 2, 4),
                                   (x0, y0, x1, y1)))
    total = sum(by_rule.values())
    return {"deck": deck.describe(), "cell": cell.name, "mode": "deep" if deep else "flat", "clean": total == 0, "violations": total,
            "by_rule": by_rule, "first_violations": [v.to_dict() for v in found],
            "seconds": time.perf_counter() - start}


def _check(rule, reg: dict, dbu: float) -> list[tuple[int, int, int, int]]:
    """Bounding boxes (dbu) of the violations of one rule."""
    d = int(round(rule.value / dbu))
    r = reg[rule.layer]
    if rule.check == "width":
        return _boxes_ep(r.width_check(d))
    if rule.check == "space":
        return _boxes_ep(r.space_check(d))
    other = reg[rule.other]
    if rule.check == "inside":
        return _boxes_region(r.not_inside(other))
    if rule.check == "enclosure":  # shapes that touch ``other`` lie inside it with margin d on every side
        return _boxes_region(r.interacting(other).sized(d).not_inside(other))
    if rule.check == "separation":  # shapes of layer that do not touch ``other`` keep d away from it
        return _boxes_ep(r.not_interacting(other).separation_check(other, d))
    if rule.check == "overlap":  # the two layers must not overlap
        return _boxes_region(r & other)
    if rule.check == "enclosure2":
        ok_x = r.sized(d, 0, 2).inside(other)
        ok_y = r.sized(0, d, 2).inside(other)
        return _boxes_region(r.not_interacting(ok_x + ok_y))
    raise ValueError(rule.check)


def _boxes_ep(edge_pairs) -> list[tuple[int, int, int, int]]:
    out = []
    for ep in edge_pairs.each():
        b = ep.bbox()
        out.append((b.left, b.bottom, b.right, b.top))
    return out


def _boxes_region(region) -> list[tuple[int, int, int, int]]:
    out = []
    for poly in region.each():
        b = poly.bbox()
        out.append((b.left, b.bottom, b.right, b.top))
    return out
