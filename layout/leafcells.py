"""Leaf cells of the ACIM macro drawn with gdstk from the cell library and the rule deck.

Every cell is drawn inside its library footprint on a fixed track template so that cells
connect by abutment, the way SRAM arrays are built:

- m1: VSS and VDD rails along the bottom and top edge of every cell row (inset by half a
  metal1 spacing, so abutting rows never merge rails);
- m2: vertical column tracks at ``width/6`` pitch: WBL, WBLB, LBL (the local read
  bitline), TOP (compute-capacitor top plate), CL (column charge-sharing line), CMP
  (comparator output into the SAR slices). A signal that must continue into the next
  cell of the column runs to the cell edge; one that must stop is kept inside;
- m3: horizontal row lines (word lines, precharge, switch enables, SAR clock and reset),
  full cell width so that they continue into the next column; the compute capacitor is
  an interdigitated m3 finger (MOM) capacitor whose BOT comb exits at the right edge.

Transistors: the cells of :data:`DEVICE_LEVEL` (8T bitcell, precharge, sample switch, WL
driver, comparator, SAR slice) are drawn at device level by
:mod:`chipsmith.layout.device_draw` -- diffusion, implants, wells and taps, poly gates,
contacts, metal1 channel tracks and metal2 spines -- wired to implement exactly the
transistor netlist of the cell's ``spice``, and :mod:`chipsmith.layout.device_lvs` checks
each against that netlist. The other kinds (timing block; the design-space variants unless
they say otherwise) keep placeholder transistors: gates on diffusion, rule-spaced, not
wired; the connectivity check treats them as black boxes whose terminals are their pins,
the way a macro-level LVS uses abstracts. Pins are text labels on the pin's shape, at the
position the cell library lists.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from chipsmith.errors import LibraryError
from chipsmith.layout.cells import Cell, CellLibrary
from chipsmith.layout.leafcells_packed import draw_precharge, draw_sram8t, draw_switch, draw_wl_driver, packed_kind
from chipsmith.layout.rules import RuleDeck

# Device-placeholder rules (FreePDK45 manual names; drawn, width/space checked by the deck):
POLY_EXT = 0.055  # POLY.3 poly extension beyond active
SD_EXT = 0.07  # POLY.4 active enclosure of a gate
GATE_SPACE = 0.14  # POLY.2 poly spacing on active (leaves room for a contact between gates)
DEVICE_W = 0.10  # transistor width drawn for every placeholder device (>= ACTIVE.1)


def snap(x: float, grid: float = 0.0025) -> float:
    return round(round(x / grid) * grid, 6)


@dataclass
class Drawn:
    """A drawn cell: the gdstk cell, footprint, and its pins (name -> (layer, x, y))."""

    name: str
    kind: str
    width: float
    height: float
    cell: object  # gdstk.Cell
    pins: dict[str, tuple[str, float, float]] = field(default_factory=dict)


@dataclass(frozen=True)
class Template:
    """Track template derived from the rule deck and the column pitch of the library."""

    deck: RuleDeck
    cell_w: float  # width of a column cell (library sram8t width)
    w1: float
    s1: float
    w2: float
    s2: float
    w3: float
    s3: float
    via: float
    enc: float

    @classmethod
    def from_deck(cls, deck: RuleDeck, cell_w: float) -> "Template":
        t = cls(deck, cell_w, deck.width("m1"), deck.space("m1"), deck.width("m2"), deck.space("m2"),
                deck.width("m3"), deck.space("m3"), max(deck.width("via1"), deck.width("via2")),
                max(r.value for r in deck.rules if r.check == "enclosure2" and deck.layers[r.layer].kind == "via"))
        if cell_w / 6 < t.w2 + t.s2:
            raise LibraryError(f"column cell width {cell_w:g} um holds no 6 metal2 tracks at pitch {t.w2 + t.s2:g} um",
                               where=deck.path, fix="widen the sram8t footprint or use a deck with finer metal2")
        return t

    @property
    def rail_w(self) -> float:
        return snap(max(self.w1, 1.25 * self.w1))

    def rail_y(self, h: float) -> tuple[float, float]:
        """Centers of the VSS (bottom) and VDD (top) rails of a row of height h."""
        return snap(self.s1 / 2 + self.rail_w / 2), snap(h - self.s1 / 2 - self.rail_w / 2)

    def trk(self, k: int) -> float:
        """x center of column track k (0 WBL, 1 WBLB, 2 LBL, 3 TOP, 4 CL, 5 CMP)."""
        return snap(self.cell_w / 12 + k * self.cell_w / 6)

    @property
    def chan_pitch(self) -> float:
        return snap(self.w2 + self.s2)

    def chan_x(self, j: int) -> float:
        """x center (from the column origin) of channel track j (CDAC group / data bit j)."""
        return snap(self.cell_w + self.s2 + self.w2 / 2 + j * self.chan_pitch)

    def chan_width(self, bits: int) -> float:
        """Width of the CDAC routing channel right of a column with ``bits`` SAR bits (+ dummy)."""
        return snap((bits + 1) * self.chan_pitch + self.s2)

    @property
    def reach(self) -> float:
        """How far a wire runs past a via center: half the via plus the enclosure."""
        return snap(self.via / 2 + self.enc)


TRK_WBL, TRK_WBLB, TRK_LBL, TRK_TOP, TRK_CL, TRK_CMP = range(6)


class Painter:
    """Collects rectangles and labels for one gdstk cell (µm)."""

    def __init__(self, name: str, deck: RuleDeck) -> None:
        import gdstk

        self.gdstk = gdstk
        self.deck = deck
        self.cell = gdstk.Cell(name)

    def rect(self, layer: str, x0: float, y0: float, x1: float, y1: float) -> None:
        lay, dt = self.deck.gds(layer)
        self.cell.add(self.gdstk.rectangle((snap(x0), snap(y0)), (snap(x1), snap(y1)), layer=lay, datatype=dt))

    def vline(self, layer: str, x: float, y0: float, y1: float, w: float) -> None:
        self.rect(layer, x - w / 2, y0, x + w / 2, y1)

    def hline(self, layer: str, y: float, x0: float, x1: float, w: float) -> None:
        self.rect(layer, x0, y - w / 2, x1, y + w / 2)

    def via(self, layer: str, x: float, y: float, size: float) -> None:
        self.rect(layer, x - size / 2, y - size / 2, x + size / 2, y + size / 2)

    def label(self, text: str, layer: str, x: float, y: float) -> None:
        lay, dt = self.deck.gds(layer)
        self.cell.add(self.gdstk.Label(text, (snap(x), snap(y)), layer=lay, texttype=dt))

    def boundary(self, w: float, h: float) -> None:
        if "boundary" in self.deck.layers:
            self.rect("boundary", 0, 0, w, h)


def transistor_count(cell: Cell) -> int:
    return sum(1 for line in cell.spice.splitlines() if line.strip()[:1].lower() == "m")


def draw_devices(p: Painter, n: int, x0: float, y0: float, x1: float, y1: float, deck: RuleDeck) -> int:
    """Fill a box with ``n`` placeholder transistors: chains of gates on shared diffusion.

    Returns how many fit (the caller checks it equals ``n``)."""
    lg = deck.width("poly")
    pitch = lg + GATE_SPACE
    row_h = DEVICE_W + 2 * POLY_EXT
    row_pitch = row_h + deck.space("poly")
    x0, x1 = x0 + deck.space("active") / 2, x1 - deck.space("active") / 2
    y0, y1 = y0 + deck.space("poly") / 2, y1 - deck.space("poly") / 2
    per_row = int((x1 - x0 - 2 * SD_EXT + GATE_SPACE) // pitch + 1e-9)
    rows = int((y1 - y0 + deck.space("poly")) // row_pitch + 1e-9)
    if per_row < 1 or rows < 1:
        return 0
    placed = 0
    for r in range(rows):
        k = min(per_row, n - placed)
        if k <= 0:
            break
        ya = y0 + r * row_pitch + POLY_EXT
        length = 2 * SD_EXT + k * lg + (k - 1) * GATE_SPACE
        p.rect("active", x0, ya, x0 + length, ya + DEVICE_W)
        for g in range(k):
            gx = x0 + SD_EXT + g * pitch
            p.rect("poly", gx, ya - POLY_EXT, gx + lg, ya + DEVICE_W + POLY_EXT)
        placed += k
    return placed


# --- the cells -----------------------------------------------------------------------------

def _rails(p: Painter, t: Template, w: float, h: float, pins: dict, vss: bool = True, vdd: bool = True) -> None:
    yb, yt = t.rail_y(h)
    if vss:
        p.hline("m1", yb, 0, w, t.rail_w)
        pins["VSS"] = ("m1", w / 2, yb)
    if vdd:
        p.hline("m1", yt, 0, w, t.rail_w)
        pins["VDD"] = ("m1", w / 2, yt)


def _feed(p: Painter, t: Template, h: float, *tracks: int) -> None:
    for k in tracks:
        p.vline("m2", t.trk(k), 0, h, t.w2)


def _vpin(p: Painter, t: Template, pins: dict, name: str, k: int, y0: float, y1: float) -> None:
    p.vline("m2", t.trk(k), y0, y1, t.w2)
    pins[name] = ("m2", t.trk(k), snap((y0 + y1) / 2))


def _hpin(p: Painter, t: Template, pins: dict, name: str, y: float, x0: float, x1: float) -> None:
    p.hline("m3", y, x0, x1, t.w3)
    pins[name] = ("m3", snap((x0 + x1) / 2), y)


# Row-line y positions (fractions are not used: these are the template's fixed tracks, µm
# from the cell's bottom edge, each >= s3/2 + w3/2 from the edges and >= s3 + w3 apart).
Y = {
    "sram8t": {"RWL": 0.25, "WWL": 0.65},
    "wl_driver": {"EN": 0.105, "RWL": 0.25, "IN": 0.45, "WWL": 0.65},
    "precharge": {"PREB": 0.225},
    "sample_switch": {"EN": 0.15, "ENB": 0.655},  # ENB on the packed PMOS gate pad (leafcells_packed)
    "comparator": {"CLK": 1.50, "INN": 4.50},
    "sar_logic": {"RST": 0.25, "D": 0.60, "CLK": 1.25, "DAC": 2.00},
    "compute_cap": {"BOT": None},
}
# Kinds drawn at device level (chipsmith.layout.device_draw): wired transistors that the
# per-cell LVS (chipsmith.layout.device_lvs) checks against the cell's SPICE. Other kinds keep
# placeholder devices and are black boxes (macro-level connectivity only).
DEVICE_LEVEL = ("sram8t", "precharge", "sample_switch", "wl_driver", "comparator", "sar_logic")
# Kinds drawn in the packed arrangement of chipsmith.layout.leafcells_packed when their netlist
# has the topology it draws (else by the generic drawer): the bitcell and the WL driver that
# shares its row height set the array's area, the precharge and the two switches the local
# array's overhead.
PACKED = {"sram8t": draw_sram8t, "wl_driver": draw_wl_driver, "sample_switch": draw_switch,
          "precharge": draw_precharge}
CAP_EXIT_FINGER = 1  # the BOT finger that runs out of the right edge into the channel


def user_cell(kind: str, cell: Cell, deck: RuleDeck) -> Drawn:
    """A leaf cell the library brings as GDS (``gds:`` in the YAML): the cell named like the
    library cell (else the file's single top cell); its pins are its text labels, which must
    name every pin of the library cell on a deck layer. It must keep the drawn cells'
    abutment template to connect; the rule and connectivity checks say if it does not."""
    import gdstk

    try:
        lib = gdstk.read_gds(cell.gds)
    except Exception as exc:  # gdstk raises plain RuntimeError/OSError on bad files
        raise LibraryError(f"cannot read GDS of cell {cell.name}: {exc}", where=cell.gds) from None
    cells = {c.name: c for c in lib.cells}
    gc = cells.get(cell.name) or (lib.top_level()[0] if len(lib.top_level()) == 1 else None)
    if gc is None:
        raise LibraryError(f"GDS has no cell named {cell.name!r}", where=cell.gds, fix="name the cell like the library cell")
    gc = gc.copy(cell.name + "_user", deep_copy=True)
    by_gds = {lay.gds: name for name, lay in deck.layers.items()}
    pins = {}
    for lb in gc.labels:
        layer = by_gds.get((lb.layer, lb.texttype))
        if layer is not None and lb.text in {p.name for p in cell.pins}:
            pins[lb.text] = (layer, snap(lb.origin[0]), snap(lb.origin[1]))
    missing = [p.name for p in cell.pins if p.name not in pins]
    if missing:
        raise LibraryError(f"GDS of cell {cell.name} has no label for pin(s) {', '.join(missing)}", where=cell.gds,
                           fix="add a text label per pin on the pin's metal layer")
    return Drawn(gc.name, kind, cell.width, cell.height, gc, pins)


def bitcell_frame(p: Painter, t: Template, w: float, h: float, pins: dict, rows: dict[str, float]) -> None:
    """What every bitcell shares: rails, the write and read bit lines, the column feed, its word lines."""
    _rails(p, t, w, h, pins)
    _vpin(p, t, pins, "WBL", TRK_WBL, 0, h)
    _vpin(p, t, pins, "WBLB", TRK_WBLB, 0, h)
    _vpin(p, t, pins, "RBL", TRK_LBL, 0, h)
    _feed(p, t, h, TRK_CL)
    for n, y in rows.items():
        _hpin(p, t, pins, n, y, 0, w)


def draw_cell(kind: str, cell: Cell, t: Template, *, variant: str = "", width: float | None = None) -> Drawn:
    """Draw one leaf cell (``variant`` "share" for the share switch, ``width`` for a wider WL driver);
    a cell whose library entry names a GDS file is read from it instead (except the share variant
    and a widened driver, which are always drawn)."""
    if cell.gds and not variant and not width:
        return user_cell(kind, cell, t.deck)
    w = snap(width or cell.width)
    h = cell.height
    name = cell.name + (f"_{variant}" if variant else "") + (f"_w{int(round(w * 1000))}" if width else "")
    p = Painter(name, t.deck)
    pins: dict[str, tuple[str, float, float]] = {}
    device_box = (0.0, 0.0, w, h)
    if kind == "sram8t":
        bitcell_frame(p, t, w, h, pins, Y[kind])
    elif kind == "precharge":
        _rails(p, t, w, h, pins, vss=True)
        pins.pop("VSS")
        _feed(p, t, h, TRK_WBL, TRK_WBLB, TRK_CL)
        _vpin(p, t, pins, "LBL", TRK_LBL, 0, h)
        _hpin(p, t, pins, "PREB", Y[kind]["PREB"], 0, w)
    elif kind == "sample_switch":
        _rails(p, t, w, h, pins)
        _feed(p, t, h, TRK_WBL, TRK_WBLB)
        if variant == "share":
            _vpin(p, t, pins, "A", TRK_TOP, 0, h / 2)
            _vpin(p, t, pins, "B", TRK_CL, 0, h)
        else:
            _vpin(p, t, pins, "A", TRK_LBL, 0, h / 2)
            _vpin(p, t, pins, "B", TRK_TOP, h / 2, h)
            _feed(p, t, h, TRK_CL)
        for n, y in Y[kind].items():
            _hpin(p, t, pins, n, y, 0, w)
    elif kind == "compute_cap":
        _feed(p, t, h, TRK_WBL, TRK_WBLB, TRK_CL)
        _vpin(p, t, pins, "TOP", TRK_TOP, 0, h)
        _mom(p, t, w, h, pins)
        device_box = None
    elif kind == "comparator":
        _rails(p, t, w, h, pins)
        _vpin(p, t, pins, "INP", TRK_CL, h / 2, h)
        _vpin(p, t, pins, "OUTP", TRK_CMP, 0, h / 2)
        _vpin(p, t, pins, "OUTN", TRK_WBLB, 1.0, 2.0)
        for n, y in Y[kind].items():
            _hpin(p, t, pins, n, y, 0, w)
    elif kind == "sar_logic":
        _rails(p, t, w, h, pins)
        _vpin(p, t, pins, "CMP", TRK_CMP, 0, h)
        y = Y[kind]
        _hpin(p, t, pins, "RST", y["RST"], 0, w)
        _hpin(p, t, pins, "CLK", y["CLK"], 0, w)
        _hpin(p, t, pins, "D", y["D"], w - 0.5, w)
        _hpin(p, t, pins, "DAC", y["DAC"], w - 0.5, w)
    elif kind == "wl_driver":
        _rails(p, t, w, h, pins)
        y = Y[kind]
        _hpin(p, t, pins, "EN", y["EN"], 0, 0.8)
        _hpin(p, t, pins, "IN", y["IN"], 0, 0.8)
        _hpin(p, t, pins, "RWL", y["RWL"], w - 0.8, w)
        p.hline("m3", y["WWL"], 0, w, t.w3)  # write word line passes through to the bank edge
    elif kind == "timing_ctrl":
        _timing(p, t, w, h, pins)
    else:  # design-space variants (sram10t, mim_cap, flash_comparator) live in their own module
        from chipsmith.layout.leafcells_variants import draw_variant

        device_box = draw_variant(kind, p, t, w, h, pins, cell)
    if kind in PACKED and packed_kind(kind, cell.spice):  # compact arrangement (leafcells_packed)
        PACKED[kind](p, t, cell, w, h, pins)
    elif kind in DEVICE_LEVEL:  # wired transistors, LVS-checked against the cell's SPICE
        from chipsmith.layout.device_draw import draw as draw_wired

        draw_wired(p, t, cell, w, h, pins, column_cell=kind != "wl_driver")
    elif device_box is not None:
        need = transistor_count(cell)
        got = draw_devices(p, need, *device_box, t.deck)
        if got < need:
            raise LibraryError(f"cell {cell.name}: {need} transistors do not fit a {w:g} x {h:g} um footprint "
                               f"on the deck's poly pitch (room for {got})", fix="enlarge the footprint")
    for n, (layer, x, y) in pins.items():
        p.label(n, layer, x, y)
    p.boundary(w, h)
    return Drawn(name, kind, w, h, p.cell, pins)


def _mom(p: Painter, t: Template, w: float, h: float, pins: dict) -> None:
    """Interdigitated m3 finger capacitor: TOP comb from the left, BOT comb from the right."""
    bar = 0.10
    edge = t.s3 / 2
    nf = int((h - t.s3 + t.s3) // (t.w3 + t.s3) + 1e-9)
    if nf < 2:
        raise LibraryError(f"compute_cap height {h:g} um holds fewer than two m3 fingers", fix="make it taller")
    ys = [snap(edge + t.w3 / 2 + k * (t.w3 + t.s3)) for k in range(nf)]
    top_x0, top_x1 = edge, edge + bar
    bot_x0, bot_x1 = w - edge - bar, w - edge
    y_lo, y_hi = ys[0] - t.w3 / 2, ys[-1] + t.w3 / 2
    p.rect("m3", top_x0, y_lo, top_x1, y_hi)
    p.rect("m3", bot_x0, y_lo, bot_x1, y_hi)
    for k, y in enumerate(ys):
        if k % 2 == 0:
            p.hline("m3", y, top_x0, bot_x0 - t.s3, t.w3)
        else:
            p.hline("m3", y, top_x1 + t.s3, w if k == CAP_EXIT_FINGER else bot_x1, t.w3)
    p.via("via2", t.trk(TRK_TOP), ys[0], t.via)  # TOP comb up to the m2 TOP track
    pins["BOT"] = ("m3", snap((bot_x0 + bot_x1) / 2), ys[CAP_EXIT_FINGER])


def cap_exit_y(t: Template, h: float) -> float:
    return snap(t.s3 / 2 + t.w3 / 2 + CAP_EXIT_FINGER * (t.w3 + t.s3))


SPINE = ("EN", "PREB", "SAMPLE", "SAMPLEB", "SHARE", "SHAREB")


def spine_x(t: Template, k: int) -> float:
    """x of spine track k (bank left edge region, one per control signal in :data:`SPINE`)."""
    return snap(t.s2 + t.w2 / 2 + k * t.chan_pitch)


def spine_width(t: Template) -> float:
    return snap(math.ceil((len(SPINE) * t.chan_pitch + t.s2) / 0.6) * 0.6)


SARCLK_X, SARRST_X = 2.0, 2.2  # x of the SAR clock / reset risers inside the timing block


def _timing(p: Painter, t: Template, w: float, h: float, pins: dict) -> None:
    """Timing block: pitch-matched to SAR slice 0 (its rails and clock/reset rows continue into it)."""
    _rails(p, t, w, h, pins)
    for k, name in enumerate(SPINE):
        _vpin_x(p, t, pins, name, spine_x(t, k), h - 0.6, h)
    for name, x in (("CLK", 0.3), ("START", 0.6), ("DONE", 0.9)):
        _vpin_x(p, t, pins, name, x, 0, 0.6)
    sy = Y["sar_logic"]
    for name, x, y in (("SARCLK", SARCLK_X, sy["CLK"]), ("SARRST", SARRST_X, sy["RST"])):
        p.hline("m3", y, x - t.reach, w, t.w3)
        p.via("via2", x, y, t.via)
        p.vline("m2", x, y - t.reach, h, t.w2)
        pins[name] = ("m2", x, snap((y + h) / 2))


def _vpin_x(p: Painter, t: Template, pins: dict, name: str, x: float, y0: float, y1: float) -> None:
    p.vline("m2", x, y0, y1, t.w2)
    pins[name] = ("m2", x, snap((y0 + y1) / 2))


def draw_library(lib: CellLibrary, deck: RuleDeck, drv_w: float | None = None) -> dict[str, Drawn]:
    """Every leaf cell the macro uses, by role: sram8t, precharge, sample, share, compute_cap,
    comparator, sar_logic, wl_driver, timing_ctrl."""
    t = Template.from_deck(deck, lib.get("sram8t").width)
    out = {}
    for kind in ("sram8t", "precharge", "compute_cap", "comparator", "sar_logic", "timing_ctrl"):
        out[kind] = draw_cell(kind, lib.get(kind), t)
    out["sample"] = draw_cell("sample_switch", lib.get("sample_switch"), t)
    out["share"] = draw_cell("sample_switch", lib.get("sample_switch"), t, variant="share")
    drv = lib.get("wl_driver")
    out["wl_driver"] = draw_cell("wl_driver", drv, t, width=drv_w if drv_w and abs(drv_w - drv.width) > 1e-9 else None)
    return out
