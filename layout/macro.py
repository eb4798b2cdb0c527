"""Template-based hierarchical placement and routing of an ACIM macro (gdstk) and its netlist.

Hierarchy (GDS cells and SPICE subcircuits alike)::

    acim_macro    banks_r x banks_c banks (one GDS reference with repetition)
     acim_bank    spine + WL drivers + W columns (one reference, W repetitions) + timing + straps
      acim_column ADC (comparator, B SAR slices), N local arrays (one reference, N rows),
                  the CDAC routing channel (one m2 track per SAR bit + dummy) right of it
       acim_la    L x sram8t, precharge, sample switch, cap_mult x compute cap, share switch

Routing: column nets (WBL, WBLB, LBL, TOP, CL, CMP) run on m2 through abutting cells;
row nets (RWL, WWL, precharge and switch phases, SAR clock/reset, VREF) on m3 across the
columns; the left spine (m2) brings the timing block's phases to every row with a via2;
each compute capacitor's bottom plate reaches its CDAC group track in the channel on m3 +
via2 and each SAR slice drives its group track (DAC) and its data-bit track (D); the dummy
group is tied to the comparator's VSS rail (via1). Every row's m1 rails end on a VDD and a
VSS m2 strap at the bank's right edge (via1). Bank pins are labels on their shapes: IN/WWL
per row and VREF on the left edge, WBL/WBLB per column on the top edge, D per column and
bit and CLK/START/DONE on the bottom edge, VDD/VSS on the straps.

The geometry here is the single source of the area model: :func:`bank_geometry` is what
:func:`chipsmith.layout.architecture.geometry` evaluates (vectorized) for the explorer.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

from chipsmith.errors import InputError
from chipsmith.layout.architecture import ADC_TYPES, BITCELLS, CAP_TYPES, FLASH_MAX_BITS
from chipsmith.layout.cells import CellLibrary
from chipsmith.layout.leafcells import (SARCLK_X, SARRST_X, SPINE, Drawn, Painter, Template, cap_exit_y, draw_cell,
                                        draw_library, snap, spine_width, spine_x, Y)
from chipsmith.layout.leafcells_mux import MUX_CHOICES, draw_muxes, select_names, select_y
from chipsmith.layout.leafcells_variants import FLASH_OUTP_STUB, VY, mim_exit_y, mim_min_pitch
from chipsmith.layout.rules import RuleDeck

STRAP_W, STRAP_REGION = 0.30, 0.90
# column mux (k > 1): the bridge row between the comparator row and the mux row holds the m3
# bus of the group's ADC input; the folded SAR rows hold their m3 buses above the slices' pins
MUX_BRIDGE_H = 0.30
BUS_Y0, BUS_PITCH = 2.35, 0.15  # in a SAR row: comparator-output bus, then one DAC bus per column


@dataclass(frozen=True)
class MacroSpec:
    rows: int
    cols: int
    H: int
    W: int
    L: int
    B_ADC: int
    cap_mult: int
    input_bits_per_cycle: int = 1
    bitcell: int = 0  # index into architecture.BITCELLS
    cap_type: int = 0  # index into architecture.CAP_TYPES
    adc_type: int = 0  # index into architecture.ADC_TYPES
    col_mux: int = 1  # columns per ADC (1 = an ADC per column; k > 1: k columns through a col_mux)

    def __post_init__(self) -> None:
        for name in ("rows", "cols", "H", "W", "L", "B_ADC", "cap_mult", "input_bits_per_cycle", "col_mux"):
            v = getattr(self, name)
            if not isinstance(v, int) or v < 1:
                raise InputError(f"--{name.lower().replace('_', '-')} {v!r} must be a positive integer")
        for name, choices in (("bitcell", BITCELLS), ("cap_type", CAP_TYPES), ("adc_type", ADC_TYPES)):
            v = getattr(self, name)
            if not isinstance(v, int) or not 0 <= v < len(choices):
                raise InputError(f"{name} {v!r} is not a choice",
                                 fix=f"use an index: {', '.join(f'{i} = {c}' for i, c in enumerate(choices))}")
        if self.rows % self.H or self.cols % self.W:
            raise InputError(f"bank {self.H}x{self.W} does not tile a {self.rows}x{self.cols} macro",
                             fix="use bank sizes that divide --rows and --cols")
        if self.H % self.L or self.H // self.L < 2:
            raise InputError(f"--local {self.L} must divide H={self.H} with at least two local arrays per column",
                             fix="use a smaller --local")
        n = self.H // self.L
        if self.col_mux not in MUX_CHOICES:
            raise InputError(f"--col-mux {self.col_mux} is not a choice", fix=f"use one of {MUX_CHOICES}")
        if self.col_mux > 1 and self.W % self.col_mux:
            raise InputError(f"--col-mux {self.col_mux} does not divide the bank's W={self.W} columns",
                             fix="use a --col-mux that divides the bank width")
        if self.col_mux > 1 and self.flash:
            raise InputError("--col-mux > 1 needs the SAR ADC (a flash ADC is not muxed)",
                             fix="use --adc-type sar or --col-mux 1")
        if self.flash:
            if self.B_ADC > FLASH_MAX_BITS:
                raise InputError(f"--adc-bits {self.B_ADC} is too many for a flash ADC ({2 ** self.B_ADC - 1} "
                                 "comparators per column)", fix=f"use --adc-bits <= {FLASH_MAX_BITS} or the SAR ADC")
        elif n < 2 ** self.B_ADC or n % 2 ** self.B_ADC:
            raise InputError(f"--adc-bits {self.B_ADC} needs {2 ** self.B_ADC} CDAC units but a column has N={n} "
                             "local arrays", fix=f"use --adc-bits <= {max(1, n.bit_length() - 1)} or a smaller --local")

    @property
    def flash(self) -> bool:
        return ADC_TYPES[self.adc_type] == "flash"

    @property
    def mim(self) -> bool:
        return CAP_TYPES[self.cap_type] == "mim_cap"

    @property
    def bitcell_kind(self) -> str:
        return BITCELLS[self.bitcell]

    @property
    def cap_kind(self) -> str:
        return CAP_TYPES[self.cap_type]

    @property
    def adc_outputs(self) -> int:
        """Data outputs per column: B SAR bits, or 2**B - 1 flash thermometer bits."""
        return 2 ** self.B_ADC - 1 if self.flash else self.B_ADC

    @property
    def tie_track(self) -> int:
        """Channel track of the bottom plates tied to VSS (the SAR's dummy group; every flash cap)."""
        return self.adc_outputs

    @property
    def n_la(self) -> int:
        return self.H // self.L

    @property
    def sar_rows(self) -> int:
        """Rows of SAR slices under a column: B stacked, or folded over the k muxed columns."""
        return -(-self.B_ADC // self.col_mux)

    @property
    def adc_groups(self) -> int:
        """ADCs per bank (W / k)."""
        return self.W // self.col_mux

    @property
    def banks(self) -> tuple[int, int]:
        return self.rows // self.H, self.cols // self.W

    def to_dict(self) -> dict:
        return dict(self.__dict__)


@dataclass(frozen=True)
class BankGeometry:
    """Coordinates (µm) of one bank's template, from the library footprints and the deck."""

    cell_w: float
    cell_h: float
    pre_h: float
    sw_h: float
    cap_h: float
    cmp_h: float
    sar_h: float
    spine_w: float
    drv_w: float
    ctrl_w: float
    pitch: float
    la_h: float
    bottom_h: float
    x0: float
    x_strap: float
    bank_w: float
    bank_h: float
    mux_h: float = 0.0  # column-mux row (k > 1), with the bridge row under it
    y_cmp: float = 0.0  # comparator row
    y_mux: float = 0.0  # mux row (k > 1)


def bank_geometry(spec: MacroSpec, lib: CellLibrary, t: Template) -> BankGeometry:
    g = lib.get
    cell_w, cell_h = g("sram8t").width, g(spec.bitcell_kind).height
    pre_h, sw_h, cap_h = g("precharge").height, g("sample_switch").height, g(spec.cap_kind).height
    cmp_h = g("flash_comparator" if spec.flash else "comparator").height
    sar_h = g("sar_logic").height
    drv = g("wl_driver")
    drv_w = snap(drv.width + (spec.input_bits_per_cycle * drv.params["pwm_width_per_bit_um"]
                              if spec.input_bits_per_cycle > 1 else 0.0))
    spine_w = spine_width(t)
    pitch = snap(cell_w + t.chan_width(spec.tie_track))
    if spec.mim:  # the MIM plate needs capm width + spacing per column
        pitch = max(pitch, mim_min_pitch(t.deck))
    la_h = snap(spec.L * cell_h + pre_h + 2 * sw_h + spec.cap_mult * cap_h)
    bottom_h = snap(spec.adc_outputs * cmp_h if spec.flash else cmp_h + spec.B_ADC * sar_h)
    mux_h = y_mux = 0.0
    y_cmp = snap(spec.sar_rows * sar_h)
    if spec.col_mux > 1:  # ADC folded over k columns: ceil(B/k) SAR rows, comparator, bridge, mux
        mux_h = g("col_mux").height
        y_mux = snap(y_cmp + cmp_h + MUX_BRIDGE_H)
        bottom_h = snap(y_mux + mux_h)
    x0 = snap(max(spine_w + drv_w, g("timing_ctrl").width))
    x_strap = snap(x0 + spec.W * pitch)
    return BankGeometry(cell_w, cell_h, pre_h, sw_h, cap_h, cmp_h, sar_h, spine_w, drv_w, g("timing_ctrl").width,
                        pitch, la_h, bottom_h, x0, x_strap, snap(x_strap + STRAP_REGION),
                        snap(bottom_h + spec.n_la * la_h), mux_h, y_cmp, y_mux)


def cdac_group_of(spec: MacroSpec) -> list[int]:
    """CDAC group (channel track) of each local array (bottom-up): MSB group first (nearest
    the ADC), dummy last; a flash ADC ties every bottom plate to VSS (the tie track)."""
    if spec.flash:
        return [spec.tie_track] * spec.n_la
    unit = spec.n_la // 2 ** spec.B_ADC
    sizes = [unit * 2 ** (spec.B_ADC - 1 - j) for j in range(spec.B_ADC)] + [unit]
    return [g for g, s in enumerate(sizes) for _ in range(s)]


# --- layout -------------------------------------------------------------------------------

@dataclass
class BuiltLayout:
    library: object  # gdstk.Library
    top: object
    geometry: BankGeometry
    cells: dict[str, Drawn]
    pins: list[tuple[str, str, float, float]]  # macro pins: (name, layer, x, y)


def _ref(cell, origin=(0.0, 0.0), columns=1, rows=1, spacing=(0.0, 0.0)):
    import gdstk

    if columns == 1 and rows == 1:
        return gdstk.Reference(cell, origin)
    return gdstk.Reference(cell, origin, columns=columns, rows=rows, spacing=spacing)


def la_rows(spec: MacroSpec, geo: BankGeometry) -> list[tuple[str, float]]:
    """(role, y) of the leaf cells of one local array, bottom-up."""
    out = [("sram8t", k * geo.cell_h) for k in range(spec.L)]
    y = spec.L * geo.cell_h
    out.append(("precharge", y))
    y += geo.pre_h
    out.append(("sample", y))
    y += geo.sw_h
    for u in range(spec.cap_mult):
        out.append(("compute_cap", y + u * geo.cap_h))
    out.append(("share", y + spec.cap_mult * geo.cap_h))
    return out


def build_layout(spec: MacroSpec, lib: CellLibrary, deck: RuleDeck, name: str = "acim_macro") -> BuiltLayout:
    import gdstk

    t = Template.from_deck(deck, lib.get("sram8t").width)
    geo = bank_geometry(spec, lib, t)
    cells = variant_cells(spec, lib, t, geo, draw_library(lib, deck, drv_w=geo.drv_w))
    if spec.col_mux > 1:
        cells.update({f"col_mux_{j}": d for j, d in enumerate(draw_muxes(lib.get("col_mux"), t, spec.col_mux))})
    B, N, L = spec.B_ADC, spec.n_la, spec.L
    K = spec.adc_outputs
    groups = cdac_group_of(spec)
    rr = t.reach

    # local array
    la = Painter("acim_la", deck)  # the L cells and the cap_mult unit caps as repetitions
    la.cell.add(_ref(cells["sram8t"].cell, (0, 0), rows=L, spacing=(0, geo.cell_h)))
    for role, y in la_rows(spec, geo):
        if role == "compute_cap":
            la.cell.add(_ref(cells[role].cell, (0, y), rows=spec.cap_mult, spacing=(0, geo.cap_h)))
            break
        if role != "sram8t":
            la.cell.add(_ref(cells[role].cell, (0, y)))
    la.cell.add(_ref(cells["share"].cell, (0, la_rows(spec, geo)[-1][1])))
    # channel piece of one local array: rail and row-line continuations to the next column
    chan = Painter("acim_chan_la", deck)
    for role, y in la_rows(spec, geo):
        _continue(chan, t, cells[role], geo.cell_w, geo.pitch, y)
    sy = Y["sar_logic"]
    if spec.col_mux > 1:  # k columns share one folded ADC through the column mux
        col = _mux_group(spec, t, geo, cells, la, chan, deck)
    else:
        # column: ADC, N local arrays, channel tracks and stubs
        col = Painter("acim_column", deck)
        if spec.flash:
            fc = cells["flash_comparator"]
            for k in range(K):
                yk = k * geo.cmp_h
                col.cell.add(_ref(fc.cell, (0, yk)))
                _continue(col, t, fc, geo.cell_w, geo.pitch, yk)
                if k:  # the column line (INP) starts half a space above each comparator's bottom: bridge the gap
                    col.vline("m2", t.trk(TRK_CL_), yk - rr, yk + t.s2 + rr, t.w2)
                y_o, x = snap(yk + FLASH_OUTP_STUB), t.chan_x(k)  # thermometer bit k down the channel
                col.via("via2", t.trk(TRK_CMP_), y_o, t.via)
                col.hline("m3", y_o, t.trk(TRK_CMP_) - rr, x + rr, t.w3)
                col.via("via2", x, y_o, t.via)
                col.vline("m2", x, 0, y_o + rr, t.w2)
            y_cmp = (K - 1) * geo.cmp_h  # the top comparator: the VSS tie track starts on its rail
        else:
            for j in range(B):
                col.cell.add(_ref(cells["sar_logic"].cell, (0, j * geo.sar_h)))
                _continue(col, t, cells["sar_logic"], geo.cell_w, geo.pitch, j * geo.sar_h)
            y_cmp = B * geo.sar_h
            col.cell.add(_ref(cells["comparator"].cell, (0, y_cmp)))
            _continue(col, t, cells["comparator"], geo.cell_w, geo.pitch, y_cmp)
        col.cell.add(_ref(la.cell, (0, geo.bottom_h), rows=N, spacing=(0, geo.la_h)))
        col.cell.add(_ref(chan.cell, (0, geo.bottom_h), rows=N, spacing=(0, geo.la_h)))
        sy = Y["sar_logic"]
        cap_rows = [y for role, y in la_rows(spec, geo) if role == "compute_cap"]
        exit_y = mim_exit_y(geo.cap_h) if spec.mim else cap_exit_y(t, geo.cap_h)
        top_stub = [0.0] * (spec.tie_track + 1)
        for i, g in enumerate(groups):
            for yc in cap_rows:
                y = snap(geo.bottom_h + i * geo.la_h + yc + exit_y)
                x = t.chan_x(g)
                col.hline("m3", y, geo.cell_w, x + rr, t.w3)
                col.via("via2", x, y, t.via)
                top_stub[g] = max(top_stub[g], y)
        for j in range(0 if spec.flash else B):
            x = t.chan_x(j)
            y_d, y_dac = j * geo.sar_h + sy["D"], j * geo.sar_h + sy["DAC"]
            for y in (y_d, y_dac):
                col.hline("m3", y, geo.cell_w, x + rr, t.w3)
                col.via("via2", x, y, t.via)
            col.vline("m2", x, 0, y_d + rr, t.w2)  # data bit down to the bank's bottom edge
            col.vline("m2", x, y_dac - rr, top_stub[j] + rr, t.w2)
        vss_y = y_cmp + t.rail_y(geo.cmp_h)[0]
        tie = spec.tie_track
        col.via("via1", t.chan_x(tie), vss_y, t.via)
        col.vline("m2", t.chan_x(tie), vss_y - rr, top_stub[tie] + rr, t.w2)
    # WL drivers of one local array + row-line extensions to the spine (left of the columns)
    drv = Painter("acim_drv_la", deck)
    dy = Y["wl_driver"]
    sx = {n: spine_x(t, k) for k, n in enumerate(SPINE)}
    drv_h = cells["wl_driver"].height
    jog_x = _free_column(cells["wl_driver"], deck, t, t.rail_y(drv_h)[1] - rr, drv_h) if geo.cell_h > drv_h else 0.0
    for role, y in la_rows(spec, geo):
        if role == "sram8t":
            drv.cell.add(_ref(cells["wl_driver"].cell, (geo.spine_w, y)))
            if abs(geo.cell_h - drv_h) > 1e-9:  # taller bitcell row: jog its VDD rail down to the driver's
                y_hi, y_lo = y + t.rail_y(geo.cell_h)[1], y + t.rail_y(drv_h)[1]
                xj = geo.spine_w + jog_x
                drv.hline("m1", y_hi, xj - rr, geo.x0, t.rail_w)
                drv.via("via1", xj, y_hi, t.via)
                drv.vline("m2", xj, y_lo - rr, y_hi + rr, t.w2)
                drv.via("via1", xj, y_lo, t.via)
            drv.hline("m3", y + dy["IN"], 0, geo.spine_w, t.w3)
            drv.hline("m3", y + dy["WWL"], 0, geo.spine_w, t.w3)
            drv.hline("m3", y + dy["EN"], sx["EN"] - rr, geo.spine_w, t.w3)
            drv.via("via2", sx["EN"], y + dy["EN"], t.via)
            if geo.x0 > geo.spine_w + geo.drv_w:  # drivers narrower than the timing block: bridge
                _bridge(drv, t, cells["sram8t"], geo.spine_w + geo.drv_w, geo.x0, y)
        else:
            lines = {"precharge": (("PREB", "PREB"),), "sample": (("EN", "SAMPLE"), ("ENB", "SAMPLEB")),
                     "share": (("EN", "SHARE"), ("ENB", "SHAREB"))}.get(role, ())
            for pin, signal in lines:
                yy = y + Y["precharge" if role == "precharge" else "sample_switch"][pin]
                drv.hline("m3", yy, sx[signal] - rr, geo.x0, t.w3)
                drv.via("via2", sx[signal], yy, t.via)
    # bank
    bank = Painter("acim_bank", deck)
    bank.cell.add(_ref(col.cell, (geo.x0, 0), columns=spec.adc_groups, spacing=(spec.col_mux * geo.pitch, 0)))
    bank.cell.add(_ref(drv.cell, (0, geo.bottom_h), rows=N, spacing=(0, geo.la_h)))
    bank.cell.add(_ref(cells["timing_ctrl"].cell, (0, 0)))
    top = snap(geo.bank_h - 0.05)
    last = {"EN": None, "PREB": "precharge", "SAMPLE": "sample", "SAMPLEB": "sample", "SHARE": "share",
            "SHAREB": "share"}
    rows_la = la_rows(spec, geo)
    for k, signal in enumerate(SPINE):
        role = last[signal]
        if role is None:
            y_last = max(y for r, y in rows_la if r == "sram8t") + dy["EN"]
        else:
            pin = {"PREB": "PREB", "SAMPLE": "EN", "SAMPLEB": "ENB", "SHARE": "EN", "SHAREB": "ENB"}[signal]
            y_last = max(y for r, y in rows_la if r == role) + Y["precharge" if role == "precharge" else "sample_switch"][pin]
        bank.vline("m2", spine_x(t, k), cells["timing_ctrl"].height,
                   min(top, geo.bottom_h + (N - 1) * geo.la_h + y_last + rr), t.w2)
    ctrl_h = cells["timing_ctrl"].height
    if spec.flash:
        # comparator clocks: row 0 continues the timing block's clock line; a riser feeds the rest
        fy = VY["flash_comparator"]
        if K > 1:
            bank.vline("m2", SARCLK_X, ctrl_h, (K - 1) * geo.cmp_h + fy["CLK"] + rr, t.w2)
        for k in range(1, K):
            yy = k * geo.cmp_h + fy["CLK"]
            bank.hline("m3", yy, SARCLK_X - rr, geo.x0, t.w3)
            bank.via("via2", SARCLK_X, yy, t.via)
        for k in range(K):  # ladder taps in from the left edge
            bank.hline("m3", k * geo.cmp_h + fy["INN"], 0, geo.x0, t.w3)
        # the timing block's VDD rail (pitch-matched to a SAR slice) up to comparator 0's
        xv = snap(geo.ctrl_w - 0.6)
        y_lo, y_hi = t.rail_y(ctrl_h)[1], t.rail_y(geo.cmp_h)[1]
        bank.via("via1", xv, y_lo, t.via)
        bank.vline("m2", xv, y_lo - rr, y_hi + rr, t.w2)
        bank.via("via1", xv, y_hi, t.via)
        bank.hline("m1", y_hi, xv - rr, geo.x0, t.rail_w)
        if geo.x0 > geo.ctrl_w:
            _bridge(bank, t, fc, geo.ctrl_w, geo.x0, 0.0)
    else:
        # SAR clock / reset risers and the ADC rows above slice 0
        cy = Y["comparator"]
        y_cmpclk = geo.y_cmp + cy["CLK"]
        bank.vline("m2", SARCLK_X, ctrl_h, y_cmpclk + rr, t.w2)
        S = spec.sar_rows
        if S > 1:
            bank.vline("m2", SARRST_X, ctrl_h, (S - 1) * geo.sar_h + sy["RST"] + rr, t.w2)
        for j in range(1, S):
            for pin, x in (("CLK", SARCLK_X), ("RST", SARRST_X)):
                yy = j * geo.sar_h + sy[pin]
                bank.hline("m3", yy, x - rr, geo.x0, t.w3)
                bank.via("via2", x, yy, t.via)
        bank.hline("m3", y_cmpclk, SARCLK_X - rr, geo.x0, t.w3)
        bank.via("via2", SARCLK_X, y_cmpclk, t.via)
        y_vref = geo.y_cmp + cy["INN"]
        bank.hline("m3", y_vref, 0, geo.x0, t.w3)
        for i in range(2 * spec.col_mux if spec.col_mux > 1 else 0):  # mux selects in from the left edge
            bank.hline("m3", geo.y_mux + select_y(i), 0, geo.x0, t.w3)
        if geo.x0 > geo.ctrl_w:  # slice 0 row: bridge the timing block to the first column
            _bridge(bank, t, cells["sar_logic"], geo.ctrl_w, geo.x0, 0.0)
    # straps and rail ends
    xs = geo.x_strap
    vdd_x, vss_x = xs + 0.1 + STRAP_W / 2, xs + 0.5 + STRAP_W / 2
    bank.vline("m2", vdd_x, 0, geo.bank_h, STRAP_W)
    bank.vline("m2", vss_x, 0, geo.bank_h, STRAP_W)
    for y0, drawn in _rail_rows(spec, geo, cells):
        yb, yt = t.rail_y(drawn.height)
        if "VDD" in drawn.pins:
            bank.hline("m1", y0 + yt, xs, vdd_x + STRAP_W / 2, t.rail_w)
            bank.via("via1", vdd_x, y0 + yt, t.via)
        if "VSS" in drawn.pins:
            bank.hline("m1", y0 + yb, xs, vss_x + STRAP_W / 2, t.rail_w)
            bank.via("via1", vss_x, y0 + yb, t.via)
    pins = bank_pins(spec, geo, t, cells)
    for pname, layer, x, y in pins:
        bank.label(pname, layer, x, y)
    bank.boundary(geo.bank_w, geo.bank_h)
    # macro
    br, bc = spec.banks
    macro = Painter(name, deck)
    macro.cell.add(_ref(bank.cell, (0, 0), columns=bc, rows=br, spacing=(geo.bank_w, geo.bank_h)))
    mpins = []
    for R in range(br):
        for C in range(bc):
            for pname, layer, x, y in pins:
                if pname in ("VDD", "VSS"):
                    if R == 0:
                        mpins.append((f"{pname}_b{C}" if bc > 1 else pname, layer, x + C * geo.bank_w, y))
                    continue
                mname = f"{pname}_b{R}_{C}" if br * bc > 1 else pname
                mpins.append((mname, layer, x + C * geo.bank_w, y + R * geo.bank_h))
    for pname, layer, x, y in mpins:
        macro.label(pname, layer, x, y)
    macro.boundary(bc * geo.bank_w, br * geo.bank_h)
    lib_out = gdstk.Library(name="chipsmith_acim", unit=1e-6, precision=deck.dbu_um * 1e-6)
    for c in macro.cell.dependencies(True):
        lib_out.add(c)
    lib_out.add(macro.cell)
    return BuiltLayout(lib_out, macro.cell, geo, cells, mpins)


def _mux_group(spec: MacroSpec, t: Template, geo: BankGeometry, cells: dict[str, Drawn], la, chan,
               deck: RuleDeck) -> Painter:
    """k columns sharing one SAR ADC (``acim_group``): the group's local arrays, a col_mux under
    each column, a bridge row whose m3 bus joins the muxes' outputs (TOP track) and the
    comparator's input (CL track of the first column), the comparator under the first column,
    and the B SAR slices folded into ceil(B/k) rows (bit j under column j % k). The slices
    drive the CDAC groups of all k columns at once: each bit's DAC line reaches its channel
    track in every column of the group on an m3 bus in its SAR row, so the unselected columns'
    bottom plates switch too (their column lines float, charge is kept; the models count the
    energy). The slices' comparator inputs (CMP track) are joined on a bus in SAR row 0."""
    k, B, N, P = spec.col_mux, spec.B_ADC, spec.n_la, geo.pitch
    rr = t.reach
    groups = cdac_group_of(spec)
    sar, cmp_ = cells["sar_logic"], cells["comparator"]
    sy = Y["sar_logic"]
    g = Painter("acim_group", deck)
    for row in range(spec.sar_rows):  # folded SAR slices; an empty slot keeps the rails and row lines
        for c in range(k):
            x, y = c * P, row * geo.sar_h
            if row * k + c < B:
                g.cell.add(_ref(sar.cell, (x, y)))
                _continue(g, t, sar, x + geo.cell_w, x + P, y)
            else:
                _continue(g, t, sar, x, x + P, y)
    g.cell.add(_ref(cmp_.cell, (0, geo.y_cmp)))
    _continue(g, t, cmp_, geo.cell_w, P, geo.y_cmp)
    for c in range(1, k):
        _continue(g, t, cmp_, c * P, (c + 1) * P, geo.y_cmp)
    # bridge row: the ADC input bus
    y_br = snap(geo.y_cmp + geo.cmp_h)
    yb = snap(y_br + MUX_BRIDGE_H / 2)
    x_cl, x_top = t.trk(TRK_CL_), t.trk(TRK_TOP_)
    g.hline("m3", yb, min(x_cl, x_top) - rr, max(x_cl, (k - 1) * P + x_top) + rr, t.w3)
    g.vline("m2", x_cl, y_br, yb + rr, t.w2)
    g.via("via2", x_cl, yb, t.via)
    for c in range(k):
        g.via("via2", c * P + x_top, yb, t.via)
        g.vline("m2", c * P + x_top, yb - rr, geo.y_mux, t.w2)
    # mux row: one TG per column, the select lines and rails across the channels
    mux_h = geo.mux_h
    yv, yd = t.rail_y(mux_h)
    for c in range(k):
        g.cell.add(_ref(cells[f"col_mux_{c}"].cell, (c * P, geo.y_mux)))
        x0, x1 = c * P + geo.cell_w, (c + 1) * P
        g.hline("m1", geo.y_mux + yv, x0, x1, t.rail_w)
        g.hline("m1", geo.y_mux + yd, x0, x1, t.rail_w)
        for i in range(2 * k):
            g.hline("m3", geo.y_mux + select_y(i), x0, x1, t.w3)
    # the columns' local arrays and their channel pieces; bottom plates to the CDAC tracks
    cap_rows = [y for role, y in la_rows(spec, geo) if role == "compute_cap"]
    exit_y = mim_exit_y(geo.cap_h) if spec.mim else cap_exit_y(t, geo.cap_h)
    top_stub = [0.0] * (spec.tie_track + 1)
    for c in range(k):
        g.cell.add(_ref(la.cell, (c * P, geo.bottom_h), rows=N, spacing=(0, geo.la_h)))
        g.cell.add(_ref(chan.cell, (c * P, geo.bottom_h), rows=N, spacing=(0, geo.la_h)))
        for i, grp in enumerate(groups):
            for yc in cap_rows:
                y = snap(geo.bottom_h + i * geo.la_h + yc + exit_y)
                x = c * P + t.chan_x(grp)
                g.hline("m3", y, c * P + geo.cell_w, x + rr, t.w3)
                g.via("via2", x, y, t.via)
                top_stub[grp] = max(top_stub[grp], y)
    # SAR outputs: data bit down to the bank edge, DAC up to the group track of every column
    for j in range(B):
        row, c = divmod(j, k)
        xj = t.chan_x(j)
        y_d, y_dac = row * geo.sar_h + sy["D"], row * geo.sar_h + sy["DAC"]
        for y in (y_d, y_dac):
            g.hline("m3", y, c * P + geo.cell_w, c * P + xj + rr, t.w3)
            g.via("via2", c * P + xj, y, t.via)
        g.vline("m2", c * P + xj, 0, y_d + rr, t.w2)
        g.vline("m2", c * P + xj, y_dac - rr, top_stub[j] + rr, t.w2)
        y_bus = snap(row * geo.sar_h + BUS_Y0 + (1 + c) * BUS_PITCH)
        g.hline("m3", y_bus, xj - rr, (k - 1) * P + xj + rr, t.w3)
        for c2 in range(k):
            g.via("via2", c2 * P + xj, y_bus, t.via)
            if c2 != c:
                g.vline("m2", c2 * P + xj, y_bus - rr, top_stub[j] + rr, t.w2)
    # comparator output to the slices of the other columns (their CMP tracks run through their stacks)
    held = min(k, B)
    if held > 1:
        x_cmp = t.trk(TRK_CMP_)
        g.hline("m3", BUS_Y0, x_cmp - rr, (held - 1) * P + x_cmp + rr, t.w3)
        for c in range(held):
            g.via("via2", c * P + x_cmp, BUS_Y0, t.via)
    # dummy CDAC group tied to VSS on the comparator row's rail, in every column
    vss_y = geo.y_cmp + t.rail_y(geo.cmp_h)[0]
    tie = spec.tie_track
    for c in range(k):
        x = c * P + t.chan_x(tie)
        g.via("via1", x, vss_y, t.via)
        g.vline("m2", x, vss_y - rr, top_stub[tie] + rr, t.w2)
    return g


def _continue(p: Painter, t: Template, drawn: Drawn, x0: float, x1: float, y: float) -> None:
    """Continue a cell row's rails and full-width m3 row lines across the channel [x0, x1]."""
    yb, yt = t.rail_y(drawn.height)
    if "VSS" in drawn.pins:
        p.hline("m1", y + yb, x0, x1, t.rail_w)
    if "VDD" in drawn.pins:
        p.hline("m1", y + yt, x0, x1, t.rail_w)
    for name, (layer, _x, yy) in drawn.pins.items():
        if layer == "m3" and name in FULL_WIDTH.get(drawn.kind, ()):
            p.hline("m3", y + yy, x0, x1, t.w3)


FULL_WIDTH = {"sram8t": ("RWL", "WWL"), "sram10t": ("RWL", "WWL"), "precharge": ("PREB",),
              "sample_switch": ("EN", "ENB"), "comparator": ("CLK", "INN"), "flash_comparator": ("CLK", "INN"),
              "sar_logic": ("RST", "CLK")}
TRK_TOP_, TRK_CL_, TRK_CMP_ = 3, 4, 5  # column tracks (leafcells.TRK_TOP, TRK_CL, TRK_CMP)


def _free_column(drawn: Drawn, deck: RuleDeck, t: Template, y0: float, y1: float) -> float:
    """An x inside a drawn cell where a metal2 jog over [y0, y1] with via1s at its ends keeps
    its spacing from every metal2 and via1 shape of the cell (the cell's own wiring is not
    known in advance: device-level cells route their own metal2)."""
    boxes = [p.bounding_box() for p in drawn.cell.get_polygons()
             if (p.layer, p.datatype) in (deck.gds("m2"), deck.gds("via1"))]
    half = max(t.w2, t.via) / 2 + max(t.s2, deck.space("via1"))
    x = snap(drawn.width - half - 0.05)
    while x > half:
        if not any(b[0][0] < x + half and b[1][0] > x - half and b[0][1] < y1 + half and b[1][1] > y0 - half
                   for b in boxes):
            return x
        x = snap(x - 0.0025)
    raise InputError(f"no room for a rail jog in the {drawn.name} cell", fix="use a bitcell as tall as the WL driver")


def variant_cells(spec: MacroSpec, lib: CellLibrary, t: Template, geo: BankGeometry,
                  cells: dict[str, Drawn]) -> dict[str, Drawn]:
    """The drawn cells by role with the design's type choices: the bitcell role holds the
    chosen bitcell, the compute_cap role the chosen capacitor (a MIM plate drawn at the
    column pitch), plus the flash comparator when the ADC is a flash."""
    out = dict(cells)
    if spec.bitcell_kind != "sram8t":
        out["sram8t"] = draw_cell(spec.bitcell_kind, lib.get(spec.bitcell_kind), t)
    if spec.mim:
        out["compute_cap"] = draw_cell("mim_cap", lib.get("mim_cap"), t, width=geo.pitch)
    if spec.flash:
        out["flash_comparator"] = draw_cell("flash_comparator", lib.get("flash_comparator"), t)
    return out


def _bridge(p: Painter, t: Template, drawn: Drawn, x0: float, x1: float, y: float) -> None:
    _continue(p, t, drawn, x0, x1, y)


def _rail_rows(spec: MacroSpec, geo: BankGeometry, cells: dict[str, Drawn]) -> Iterator[tuple[float, Drawn]]:
    """(y, drawn cell) of every cell row of a bank that carries rails."""
    if spec.flash:
        for k in range(spec.adc_outputs):
            yield k * geo.cmp_h, cells["flash_comparator"]
    else:
        for j in range(spec.sar_rows):
            yield j * geo.sar_h, cells["sar_logic"]
        yield geo.y_cmp, cells["comparator"]
        if spec.col_mux > 1:
            yield geo.y_mux, cells["col_mux_0"]
    for i in range(spec.n_la):
        for role, y in la_rows(spec, geo):
            if role != "compute_cap":
                yield snap(geo.bottom_h + i * geo.la_h + y), cells[role]


def bank_pins(spec: MacroSpec, geo: BankGeometry, t: Template, cells: dict[str, Drawn]) -> list:
    """Bank pins (name, layer, x, y) in bank coordinates, each on its shape."""
    out = []
    dy = Y["wl_driver"]
    for i in range(spec.n_la):
        for k in range(spec.L):
            r = i * spec.L + k
            y = geo.bottom_h + i * geo.la_h + k * geo.cell_h
            out.append((f"IN{r}", "m3", 0.05, snap(y + dy["IN"])))
            out.append((f"WWL{r}", "m3", 0.05, snap(y + dy["WWL"])))
    if spec.flash:
        for k in range(spec.adc_outputs):
            out.append((f"VREF{k}", "m3", 0.05, snap(k * geo.cmp_h + VY["flash_comparator"]["INN"])))
    else:
        out.append(("VREF", "m3", 0.05, snap(geo.y_cmp + Y["comparator"]["INN"])))
    k = spec.col_mux
    for c in range(spec.W):
        xc = geo.x0 + c * geo.pitch
        out.append((f"WBL{c}", "m2", snap(xc + t.trk(0)), snap(geo.bank_h - 0.05)))
        out.append((f"WBLB{c}", "m2", snap(xc + t.trk(1)), snap(geo.bank_h - 0.05)))
        if k == 1:
            for j in range(spec.adc_outputs):
                out.append((f"D{c}_{j}", "m2", snap(xc + t.chan_x(j)), 0.05))
    if k > 1:  # data bits per ADC: bit j leaves from column j % k of its group
        for g in range(spec.adc_groups):
            for j in range(spec.B_ADC):
                out.append((f"D{g}_{j}", "m2", snap(geo.x0 + (g * k + j % k) * geo.pitch + t.chan_x(j)), 0.05))
        for i, name in enumerate(select_names(k)):
            out.append((name, "m3", 0.05, snap(geo.y_mux + select_y(i))))
    for n in ("CLK", "START", "DONE"):
        layer, x, _y = cells["timing_ctrl"].pins[n]
        out.append((n, layer, x, 0.05))
    out.append(("VDD", "m2", snap(geo.x_strap + 0.1 + STRAP_W / 2), snap(geo.bank_h / 2)))
    out.append(("VSS", "m2", snap(geo.x_strap + 0.5 + STRAP_W / 2), snap(geo.bank_h / 2)))
    return out


# --- netlist ------------------------------------------------------------------------------

def netlist(spec: MacroSpec, lib: CellLibrary, name: str = "acim_macro") -> str:
    """The macro as hierarchical SPICE, subcircuit for subcircuit the GDS hierarchy."""
    B, N, W, L, H = spec.B_ADC, spec.n_la, spec.W, spec.L, spec.H
    groups = cdac_group_of(spec)
    K = spec.adc_outputs
    out = [f"* {name}: {spec.rows}x{spec.cols} ACIM macro, banks {spec.banks[0]}x{spec.banks[1]} of "
           f"H={H} W={W}, L={L}, B_ADC={B}, cap_mult={spec.cap_mult}, {spec.bitcell_kind}, {spec.cap_kind}, "
           f"{ADC_TYPES[spec.adc_type]} ADC (chipsmith acim build)"]
    adc_kinds = ("flash_comparator",) if spec.flash else ("comparator", "sar_logic")
    for kind in (spec.bitcell_kind, "precharge", "sample_switch", spec.cap_kind) + adc_kinds + ("wl_driver",
                                                                                                  "timing_ctrl"):
        out.append(lib.get(kind).spice.strip())
    bitcell, cap = lib.get(spec.bitcell_kind).name, lib.get(spec.cap_kind).name
    cap_param = ""
    if spec.mim:  # the unit value of the plate drawn at this pitch (what the models use)
        from chipsmith.layout.leafcells import Template
        from chipsmith.layout.leafcells_variants import mim_plate
        from chipsmith.layout.rules import load_rules

        deck = load_rules()
        geo = bank_geometry(spec, lib, Template.from_deck(deck, lib.get("sram8t").width))
        x0, y0, x1, y1 = mim_plate(deck, geo.pitch, geo.cap_h)
        cap_param = f" cu={lib.get('mim_cap').params['density_ff_um2'] * (x1 - x0) * (y1 - y0):.4g}f"
    rw = " ".join(f"RWL{k}" for k in range(L))
    ww = " ".join(f"WWL{k}" for k in range(L))
    out.append(f".subckt acim_la {rw} {ww} WBL WBLB PREB SMP SMPB SHR SHRB BOT CL VDD VSS")
    for k in range(L):
        out.append(f"x{k} WWL{k} WBL WBLB RWL{k} lbl VDD VSS {bitcell}")
    out.append("xpre lbl PREB VDD precharge")
    out.append("xsmp lbl top SMP SMPB VDD VSS sample_switch")
    for u in range(spec.cap_mult):
        out.append(f"xcap{u} top BOT {cap}{cap_param}")
    out.append("xshr top CL SHR SHRB VDD VSS sample_switch")
    out.append(".ends")
    rwc = " ".join(f"RWL{r}" for r in range(H))
    wwc = " ".join(f"WWL{r}" for r in range(H))
    ds = " ".join(f"D{j}" for j in range(K))
    adc_ports = (" ".join(f"VREF{k}" for k in range(K)) if spec.flash else "SARRST VREF")
    out.append(f".subckt acim_column {rwc} {wwc} WBL WBLB PREB SMP SMPB SHR SHRB SARCLK {adc_ports} {ds} VDD VSS")
    for i in range(N):
        rows = " ".join(f"RWL{i * L + k}" for k in range(L))
        wrows = " ".join(f"WWL{i * L + k}" for k in range(L))
        bot = "VSS" if groups[i] == spec.tie_track else f"dac{groups[i]}"
        out.append(f"xla{i} {rows} {wrows} WBL WBLB PREB SMP SMPB SHR SHRB {bot} cl VDD VSS acim_la")
    if spec.flash:  # thermometer: comparator k against ladder tap k
        fname = lib.get("flash_comparator").name
        for k in range(K):
            out.append(f"xfc{k} cl VREF{k} SARCLK D{k} outn{k} VDD VSS {fname}")
    else:
        out.append("xcmp cl VREF SARCLK outp outn VDD VSS comparator")
        for j in range(B):
            out.append(f"xsar{j} outp SARCLK SARRST D{j} dac{j} VDD VSS sar_logic")
    out.append(".ends")
    if spec.col_mux > 1:
        start = next(i for i, line in enumerate(out) if line.startswith(".subckt acim_column "))
        out = out[:start]  # the muxed group replaces the per-column subcircuit
        out += _group_netlist(spec, lib, groups)
    bank_ports = bank_port_names(spec)
    out.append(f".subckt acim_bank {' '.join(bank_ports)}")
    for r in range(H):
        out.append(f"xdrv{r} IN{r} en rwl{r} VDD VSS wl_driver")
    rwl = " ".join(f"rwl{r}" for r in range(H))
    for c in range(W if spec.col_mux == 1 else 0):
        d = " ".join(f"D{c}_{j}" for j in range(K))
        refs = " ".join(f"VREF{k}" for k in range(K)) if spec.flash else "sarrst VREF"
        out.append(f"xcol{c} {rwl} {wwc} WBL{c} WBLB{c} preb smp smpb shr shrb sarclk {refs} {d} VDD VSS acim_column")
    k = spec.col_mux
    sels = " ".join(select_names(k)) if k > 1 else ""
    for grp in range(spec.adc_groups if k > 1 else 0):
        wb = " ".join(f"WBL{grp * k + c}" for c in range(k)) + " " + " ".join(f"WBLB{grp * k + c}" for c in range(k))
        d = " ".join(f"D{grp}_{j}" for j in range(B))
        out.append(f"xgrp{grp} {rwl} {wwc} {wb} preb smp smpb shr shrb sarclk sarrst VREF {sels} {d} VDD VSS acim_group")
    out.append("xctrl CLK START preb en smp smpb shr shrb sarclk sarrst DONE VDD VSS timing_ctrl")
    out.append(".ends")
    br, bc = spec.banks
    macro_ports, inst, seen = [], [], set()
    for R in range(br):
        for C in range(bc):
            conn = []
            for p in bank_ports:
                if p in ("VDD", "VSS"):
                    conn.append(f"{p}_b{C}" if bc > 1 else p)
                else:
                    conn.append(f"{p}_b{R}_{C}" if br * bc > 1 else p)
            macro_ports += [c for c in conn if c not in seen]
            seen.update(conn)
            inst.append(f"xb{R}_{C} {' '.join(conn)} acim_bank")
    out.append(f".subckt {name} {' '.join(macro_ports)}")
    out += inst
    out.append(".ends")
    return "\n".join(out) + "\n"


def _group_netlist(spec: MacroSpec, lib: CellLibrary, groups: list[int]) -> list[str]:
    """``acim_group``: k columns' local arrays, their muxes onto the shared ADC input, one comparator
    and B SAR slices whose DAC lines drive the bottom plates of all k columns."""
    k, B, N, L, H = spec.col_mux, spec.B_ADC, spec.n_la, spec.L, spec.H
    rwc = " ".join(f"RWL{r}" for r in range(H))
    wwc = " ".join(f"WWL{r}" for r in range(H))
    wb = " ".join(f"WBL{c}" for c in range(k)) + " " + " ".join(f"WBLB{c}" for c in range(k))
    ds = " ".join(f"D{j}" for j in range(B))
    out = [lib.get("col_mux").spice.strip(),
           f".subckt acim_group {rwc} {wwc} {wb} PREB SMP SMPB SHR SHRB SARCLK SARRST VREF "
           f"{' '.join(select_names(k))} {ds} VDD VSS"]
    mux = lib.get("col_mux").name
    for c in range(k):
        for i in range(N):
            rows = " ".join(f"RWL{i * L + r}" for r in range(L))
            wrows = " ".join(f"WWL{i * L + r}" for r in range(L))
            bot = "VSS" if groups[i] == spec.tie_track else f"dac{groups[i]}"
            out.append(f"xla{c}_{i} {rows} {wrows} WBL{c} WBLB{c} PREB SMP SMPB SHR SHRB {bot} cl{c} VDD VSS acim_la")
        out.append(f"xmux{c} cl{c} adc SEL{c} SELB{c} VDD VSS {mux}")
    out.append("xcmp adc VREF SARCLK outp outn VDD VSS comparator")
    for j in range(B):
        out.append(f"xsar{j} outp SARCLK SARRST D{j} dac{j} VDD VSS sar_logic")
    out.append(".ends")
    return out


def bank_port_names(spec: MacroSpec) -> list[str]:
    ports = [f"IN{r}" for r in range(spec.H)] + [f"WWL{r}" for r in range(spec.H)]
    ports += [f"WBL{c}" for c in range(spec.W)] + [f"WBLB{c}" for c in range(spec.W)]
    if spec.col_mux > 1:
        ports += [f"D{g}_{j}" for g in range(spec.adc_groups) for j in range(spec.B_ADC)]
        return ports + ["VREF"] + select_names(spec.col_mux) + ["CLK", "START", "DONE", "VDD", "VSS"]
    ports += [f"D{c}_{j}" for c in range(spec.W) for j in range(spec.adc_outputs)]
    refs = [f"VREF{k}" for k in range(spec.adc_outputs)] if spec.flash else ["VREF"]
    return ports + refs + ["CLK", "START", "DONE", "VDD", "VSS"]


def leaf_placements(spec: MacroSpec, geo: BankGeometry) -> Iterator[tuple[str, str, float, float]]:
    """(instance path as in the flattened netlist, drawn-cell role, x, y) of every leaf cell."""
    br, bc = spec.banks
    rows = la_rows(spec, geo)
    inst = {"sram8t": None, "precharge": "xpre", "sample": "xsmp", "share": "xshr"}
    for R in range(br):
        for C in range(bc):
            bx, by = C * geo.bank_w, R * geo.bank_h
            b = f"xb{R}_{C}"
            yield f"{b}.xctrl", "timing_ctrl", bx, by
            for r in range(spec.H):
                i, k = divmod(r, spec.L)
                yield f"{b}.xdrv{r}", "wl_driver", bx + geo.spine_w, by + geo.bottom_h + i * geo.la_h + k * geo.cell_h
            km = spec.col_mux
            for c in range(spec.W):
                cx = bx + geo.x0 + c * geo.pitch
                col = f"{b}.xcol{c}"
                grp, pos = divmod(c, km)
                if km > 1:  # muxed group: the ADC is placed once, with the group's first column
                    col = f"{b}.xgrp{grp}"
                    yield f"{col}.xmux{pos}", f"col_mux_{pos}", cx, by + geo.y_mux
                    if pos == 0:
                        for j in range(spec.B_ADC):
                            yield f"{col}.xsar{j}", "sar_logic", cx + (j % km) * geo.pitch, by + (j // km) * geo.sar_h
                        yield f"{col}.xcmp", "comparator", cx, by + geo.y_cmp
                elif spec.flash:
                    for k in range(spec.adc_outputs):
                        yield f"{col}.xfc{k}", "flash_comparator", cx, by + k * geo.cmp_h
                else:
                    for j in range(spec.B_ADC):
                        yield f"{col}.xsar{j}", "sar_logic", cx, by + j * geo.sar_h
                    yield f"{col}.xcmp", "comparator", cx, by + spec.B_ADC * geo.sar_h
                for i in range(spec.n_la):
                    ly = by + geo.bottom_h + i * geo.la_h
                    la_name = f"xla{pos}_{i}" if km > 1 else f"xla{i}"
                    k = u = 0
                    for role, y in rows:
                        if role == "sram8t":
                            name = f"x{k}"
                            k += 1
                        elif role == "compute_cap":
                            name = f"xcap{u}"
                            u += 1
                        else:
                            name = inst[role]
                        yield f"{col}.{la_name}.{name}", role, cx, ly + y


def terminals(spec: MacroSpec, built: BuiltLayout) -> Iterator[tuple[str, str, str, float, float]]:
    """Every leaf-cell terminal and macro pin, located: (instance path, pin, layer, x, y)."""
    for path, role, x, y in leaf_placements(spec, built.geometry):
        for pin, (layer, px, py) in built.cells[role].pins.items():
            yield path, pin, layer, x + px, y + py
    for name, layer, x, y in built.pins:
        yield "", name, layer, x, y
