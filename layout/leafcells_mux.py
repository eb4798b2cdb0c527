"""The column multiplexer leaf cell (issue 13): k adjacent columns share one ADC through it.

One ``col_mux`` cell sits under every column, between the column's lowest local array and
the ADC region; it is a transmission gate (the library's ``col_mux`` subcircuit, drawn and
wired at device level by :mod:`chipsmith.layout.device_draw`, LVS-checked per cell):

- ``A``: the column's charge-sharing line, on the template's CL track (upper half; it meets
  the column line of the bitcell above by abutment);
- ``B``: the group's ADC input, on the TOP track (lower half; free there because the local
  arrays end above): the macro ties the k ``B`` tracks of a group together on a metal3 bus in
  a bridge row under the mux row, and brings the bus onto the comparator's INP (CL track) in
  the group's first column;
- select: 2k metal3 row lines run through every mux cell (``SEL0, SELB0, SEL1, SELB1, ...``
  bottom-up, one-hot, from bank pins on the left edge); the cell at position j of its group
  has its ``EN``/``ENB`` pins on lines ``SELj``/``SELBj`` and lets the others pass. So a
  group of k columns uses k drawn cells (``col_mux_k{k}_s{j}``), each a plain TG.

The decode that makes the one-hot select lines (a k-state counter stepped once per
conversion) is outside the bank, like the word-line inputs: the selects are bank pins.
"""
from __future__ import annotations

from chipsmith.errors import LibraryError
from chipsmith.layout.cells import Cell
from chipsmith.layout.leafcells import TRK_CL, TRK_TOP, Drawn, Painter, Template, _rails, _vpin, snap

MUX_CHOICES = (1, 2, 4, 8)  # columns per ADC
SEL_Y0, SEL_PITCH = 0.15, 0.15  # select row lines: y of the first and the spacing (>= w3 + s3)


def select_y(i: int) -> float:
    """y (from the cell bottom) of select row line i (2j: SELj, 2j + 1: SELBj)."""
    return snap(SEL_Y0 + i * SEL_PITCH)


def select_names(k: int) -> list[str]:
    return [f"{p}{j}" for j in range(k) for p in ("SEL", "SELB")]


def draw_mux(cell: Cell, t: Template, k: int, j: int) -> Drawn:
    """The mux cell for position ``j`` of a group of ``k`` columns (``k`` in 2, 4, 8)."""
    from chipsmith.layout.device_draw import draw as draw_wired

    if k not in MUX_CHOICES[1:] or not 0 <= j < k:
        raise LibraryError(f"no column mux for k={k} position {j}", fix=f"k in {MUX_CHOICES[1:]}, 0 <= j < k")
    w, h = snap(cell.width), cell.height
    top = select_y(2 * k - 1) + t.w3 / 2 + t.s3 / 2
    if top > h + 1e-9:
        raise LibraryError(f"col_mux {w:g} x {h:g} um holds no {2 * k} select lines", where=cell.name,
                           fix=f"make the footprint at least {snap(top):g} um tall")
    p = Painter(f"{cell.name}_k{k}_s{j}", t.deck)
    pins: dict[str, tuple[str, float, float]] = {}
    _rails(p, t, w, h, pins)
    _vpin(p, t, pins, "A", TRK_CL, h / 2, h)
    _vpin(p, t, pins, "B", TRK_TOP, 0, h / 2)
    for i in range(2 * k):
        p.hline("m3", select_y(i), 0, w, t.w3)
    pins["EN"] = ("m3", snap(w / 2), select_y(2 * j))
    pins["ENB"] = ("m3", snap(w / 2), select_y(2 * j + 1))
    draw_wired(p, t, cell, w, h, pins, column_cell=True)
    for n, (layer, x, y) in pins.items():
        p.label(n, layer, x, y)
    p.boundary(w, h)
    return Drawn(p.cell.name, "col_mux", w, h, p.cell, pins)


def draw_muxes(cell: Cell, t: Template, k: int) -> list[Drawn]:
    """The k mux cells of a group, by position."""
    return [draw_mux(cell, t, k, j) for j in range(k)]
