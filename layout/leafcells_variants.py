"""Leaf cells of the design-space variants (issue 13), drawn on the same track template as
:mod:`chipsmith.layout.leafcells` so that they abut the base cells:

- ``sram10t``: the 10T read-buffer compute cell; the 8T's tracks and row lines (WBL, WBLB,
  RBL on m2; RWL, WWL on m3 at the same heights) in a taller footprint holding 10 devices;
- ``mim_cap``: a MIM plate capacitor: metal3 bottom plate (BOT) under a capm top plate,
  drawn as wide as it is asked (the column pitch), with the SKY130 capm width, spacing and
  enclosure rules: the plate is inset by half the capm spacing on every side so that plates
  of abutting cells keep capm.2a, and the metal3 encloses it by MR_capm.ENC.1. The top
  plate is a device layer (like the transistors, its contact is inside the black box); the
  cell's TOP terminal is the m2 TOP track that runs through it;
- ``flash_comparator``: a comparator that stacks: its INP is the column line (CL track)
  running through the cell (from a metal2 space above its bottom edge, so that the lowest
  one keeps its distance to the bank below; the column bridges the gaps between them), OUTP on the CMP
  track in the lower half, CLK on the SAR clock row height (so the timing block's clock
  line continues into the lowest one), INN (its ladder tap) on a full-width m3 row line.
"""
from __future__ import annotations

from chipsmith.errors import LibraryError
from chipsmith.layout.leafcells import (TRK_CL, TRK_CMP, TRK_TOP, TRK_WBL, TRK_WBLB, Y, Painter, Template,
                                        _feed, _hpin, _rails, _vpin, bitcell_frame, snap)
from chipsmith.layout.rules import RuleDeck

VARIANTS = ("sram10t", "mim_cap", "flash_comparator")
# Row-line heights (µm from the cell bottom), as leafcells.Y for the base cells.
VY = {"sram10t": dict(Y["sram8t"]), "flash_comparator": {"CLK": Y["sar_logic"]["CLK"], "INN": 4.50}}
FLASH_OUTP_STUB = 0.75  # y of the via2 + m3 stub that takes OUTP from the CMP track into the channel


def mim_rules(deck: RuleDeck) -> tuple[float, float, float]:
    """(capm min width, capm spacing, metal3 enclosure of capm) from the deck."""
    return (deck.rule("width", "capm"), deck.rule("space", "capm"), deck.rule("enclosure2", "capm", "m3"))


def mim_min_pitch(deck: RuleDeck) -> float:
    """Narrowest column that holds a legal MIM plate: capm width + capm spacing."""
    w, s, _e = mim_rules(deck)
    return snap(w + s)


def mim_plate(deck: RuleDeck, w: float, h: float) -> tuple[float, float, float, float]:
    """The capm plate (x0, y0, x1, y1) of a w x h MIM cell: inset by half the capm spacing."""
    _w, s, _e = mim_rules(deck)
    return snap(s / 2), snap(s / 2), snap(w - s / 2), snap(h - s / 2)


def mim_exit_y(h: float) -> float:
    """Height of the BOT terminal (where the column's m3 stub meets the bottom plate)."""
    return snap(h / 2)


def _devices(p: Painter, t: Template, cell, w: float, h: float, pins: dict):
    """The transistors of a variant cell: wired at device level from its SPICE by the generic
    drawer (chipsmith.layout.device_draw) where the tree has it, else placeholders."""
    from chipsmith.layout import leafcells

    if cell is not None and hasattr(leafcells, "DEVICE_LEVEL"):
        if cell.kind in leafcells.DEVICE_LEVEL:  # registered there: draw_cell wires it (and cell LVS checks it)
            return None
        from chipsmith.layout.device_draw import draw as draw_wired

        draw_wired(p, t, cell, w, h, pins, column_cell=True)
        return None
    return (0.0, 0.0, w, h)


def draw_variant(kind: str, p: Painter, t: Template, w: float, h: float, pins: dict, cell=None):
    """Draw a variant cell into ``p``; returns the box to fill with device placeholders (or None)."""
    if kind == "sram10t":
        bitcell_frame(p, t, w, h, pins, VY[kind])
        return _devices(p, t, cell, w, h, pins)
    if kind == "mim_cap":
        cw, s, e = mim_rules(t.deck)
        x0, y0, x1, y1 = mim_plate(t.deck, w, h)
        if x1 - x0 < cw - 1e-9 or y1 - y0 < cw - 1e-9:
            raise LibraryError(f"mim_cap {w:g} x {h:g} um holds no {cw:g} um capm plate with {s:g} um spacing",
                               fix=f"make the cell at least {cw + s:g} um in both directions")
        _feed(p, t, h, TRK_WBL, TRK_WBLB, TRK_CL)
        _vpin(p, t, pins, "TOP", TRK_TOP, 0, h)
        p.rect("capm", x0, y0, x1, y1)
        p.rect("m3", x0 - e, y0 - e, x1 + e, y1 + e)
        pins["BOT"] = ("m3", snap(x1 + e - t.w3), mim_exit_y(h))  # on the bottom plate, near its right edge
        return None
    if kind == "flash_comparator":
        _rails(p, t, w, h, pins)
        p.vline("m2", t.trk(TRK_CL), t.s2, h, t.w2)
        pins["INP"] = ("m2", t.trk(TRK_CL), snap((t.s2 + h) / 2))
        _vpin(p, t, pins, "OUTP", TRK_CMP, 0, h / 2)
        _vpin(p, t, pins, "OUTN", TRK_WBLB, 1.0, 2.0)
        for n, y in VY[kind].items():
            _hpin(p, t, pins, n, y, 0, w)
        return _devices(p, t, cell, w, h, pins)
    raise LibraryError(f"no layout generator for cell kind {kind!r}",
                       fix=f"kinds with a generator: the base kinds and {', '.join(VARIANTS)}")
