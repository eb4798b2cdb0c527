"""The ACIM macro architecture (after EasyACIM): design variables, design space and floorplan.

A macro stores ``rows x cols`` weight bits. It is built from ``banks`` identical
sub-arrays of ``H`` rows x ``W`` columns of 8T SRAM compute cells (``rows/H`` x ``cols/W``
banks; ``--fixed-shape`` forces one bank of exactly rows x cols). In every column, ``L``
consecutive cells form a *local array* sharing a local bitline (LBL) and one compute
capacitor of ``cap_mult`` unit capacitors; a column therefore has ``N = H / L`` compute
capacitors. One conversion cycle:

1. precharge: every LBL and its capacitor top plate go to VDD;
2. compute: the word-line drivers fire one row per local array; a cell whose input bit
   and weight are both 1 discharges its LBL (8T decoupled read port), so the capacitor
   holds the product (bit-serial input, 1 bit per cycle) or, with ``input_bits_per_cycle``
   = b > 1, a pulse of width proportional to the b-bit input code (PWM) discharges it
   proportionally;
3. share: the sample switches short the N top plates onto the column line; the voltage
   is the dot product of N inputs and N weights (charge-domain MAC);
4. convert: the same N capacitors, grouped binary (N / 2**B_ADC units per LSB), are the
   CDAC of a B_ADC-bit SAR ADC (top-plate sampling, bottom plates switched by the SAR
   logic, one comparator per column).

So N >= 2**B_ADC must hold (the CDAC needs 2**B_ADC units) and L <= H / 2. A full H-row
dot product takes L cycles (one row per local array each cycle) times
ceil(input_bits / input_bits_per_cycle) for the input bits; weights are bit-sliced across
columns.

Floorplan of a bank (µm, origin lower-left)::

    x=0        drv_w                                  drv_w + W*pitch
     +---------+--------------------------------------+  bank_h
     | WL drv  | N local arrays per column, each      |
     | (one    | bottom-up: L x sram8t, precharge,    |
     |  per    | sample switch, compute cap           |
     |  row)   | (cap_mult units), share switch       |
     +---------+--------------------------------------+  bottom_h
     | timing  | per column: comparator, B_ADC x SAR  |
     +---------+--------------------------------------+  0

Banks are tiled by abutment on a (rows/H) x (cols/W) grid.

Column muxing (gene ``col_mux`` = k in 1, 2, 4, 8): k adjacent columns share one SAR ADC
through a ``col_mux`` transmission gate under each column; the group's comparator sits under
its first column and its B SAR slices are folded into ceil(B/k) rows across the k columns, so
the bottom region is ceil(B/k) SAR rows + comparator + bridge + mux row instead of comparator +
B SAR rows. The k columns are converted one after the other in each cycle.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Mapping

import numpy as np

from chipsmith.errors import InputError

INPUT_BITS_PER_CYCLE = (1, 2, 4)
CAP_MULTS = (1, 2, 4, 8, 16)
# Electrical knobs (no change to the drawn geometry; device sizes fold into the fixed footprints):
VDD_MV = (650, 700, 800, 900, 1000, 1100, 1200)  # supply
SIZES = (1, 2, 3, 4, 6, 8)  # device size in half library sizes (2 = the library cell)
READ_VT = (0, 1)  # 8T read port: 0 standard-Vt, 1 low-Vt (faster discharge, more leakage)
L_CHOICES = tuple(2 ** k for k in range(0, 8))  # 1 .. 128
B_ADC_CHOICES = tuple(range(1, 11))  # 1 .. 10 bits
GEOMETRY_VARIABLES = ("H", "W", "L", "B_ADC", "input_bits_per_cycle", "cap_mult")
ELECTRICAL_VARIABLES = ("vdd_mv", "cmp_size", "sw_size", "drv_size", "read_vt")
# Circuit-type axes (issue 13), each an index into the tuple of library cell kinds below;
# appended last so that older genomes and pareto.json files keep their meaning (type 0).
BITCELLS = ("sram8t", "sram10t")  # 8T decoupled read / 10T read buffer (low LBL leakage)
CAP_TYPES = ("compute_cap", "mim_cap")  # MOM finger / MIM plate
ADC_TYPES = ("sar", "flash")  # SAR on the compute-cap CDAC / flash (2**B - 1 comparators)
TYPE_VARIABLES = ("bitcell", "cap_type", "adc_type")
# Column muxing (issue 13): k adjacent columns share one SAR ADC through a col_mux cell; the
# gene holds k itself (not an index). Appended after the type genes for the same reason.
COL_MUX = (1, 2, 4, 8)
MUX_VARIABLES = ("col_mux",)
MUX_BRIDGE_H = 0.30  # the bridge row under the mux row (chipsmith.layout.macro.MUX_BRIDGE_H)
VARIABLES = GEOMETRY_VARIABLES + ELECTRICAL_VARIABLES + TYPE_VARIABLES + MUX_VARIABLES
DEFAULTS = {"vdd_mv": 1000, "cmp_size": 2, "sw_size": 2, "drv_size": 2, "read_vt": 0,
            "bitcell": 0, "cap_type": 0, "adc_type": 0, "col_mux": 1}
FLASH_MAX_BITS = 4  # 15 comparators per column; beyond that a flash column is taller than its array
TYPE_KINDS = {"bitcell": BITCELLS, "cap_type": CAP_TYPES, "adc_type": ("comparator", "flash_comparator")}

MIN_ROWS, MAX_ROWS = 8, 8192
MIN_COLS, MAX_COLS = 1, 8192


def _is_pow2(n: int) -> bool:
    return n > 0 and (n & (n - 1)) == 0


@dataclass(frozen=True)
class Problem:
    """What the user asks for: macro capacity, operand precision and switching activity.

    ``input_bits`` (activations) and ``weight_bits`` only scale the precision-normalized
    throughput and the cycles per dot product; the headline TOPS and TOPS/W count 1b x 1b
    operations (2 ops per 1-bit MAC), the usual normalization in ACIM papers.
    """

    rows: int
    cols: int
    input_bits: int = 4
    weight_bits: int = 4
    fixed_shape: bool = False
    input_activity: float = 0.5
    weight_activity: float = 0.5

    def __post_init__(self) -> None:
        for name, value, lo, hi in (("--rows", self.rows, MIN_ROWS, MAX_ROWS), ("--cols", self.cols, MIN_COLS, MAX_COLS)):
            if isinstance(value, bool) or not isinstance(value, int) or not _is_pow2(value) or not lo <= value <= hi:
                raise InputError(f"{name} {value!r} is not a possible array size",
                                 fix=f"use a power of two between {lo} and {hi}")
        for name, value in (("--input-bits", self.input_bits), ("--weight-bits", self.weight_bits)):
            if not isinstance(value, int) or not 1 <= value <= 16:
                raise InputError(f"{name} {value!r} out of range", fix="use 1..16 bits")
        for name, value in (("input_activity", self.input_activity), ("weight_activity", self.weight_activity)):
            if not 0.0 < value <= 1.0:
                raise InputError(f"{name} {value!r} out of range", fix="use a probability in (0, 1]")


@dataclass(frozen=True)
class Space:
    """The discrete design space; a genome holds one index into each choice tuple."""

    H: tuple[int, ...]
    W: tuple[int, ...]
    L: tuple[int, ...] = L_CHOICES
    B_ADC: tuple[int, ...] = B_ADC_CHOICES
    input_bits_per_cycle: tuple[int, ...] = INPUT_BITS_PER_CYCLE
    cap_mult: tuple[int, ...] = CAP_MULTS
    vdd_mv: tuple[int, ...] = VDD_MV
    cmp_size: tuple[int, ...] = SIZES
    sw_size: tuple[int, ...] = SIZES
    drv_size: tuple[int, ...] = SIZES
    read_vt: tuple[int, ...] = READ_VT
    bitcell: tuple[int, ...] = (0, 1)
    cap_type: tuple[int, ...] = (0, 1)
    adc_type: tuple[int, ...] = (0, 1)
    col_mux: tuple[int, ...] = COL_MUX

    @classmethod
    def for_problem(cls, problem: Problem, lib=None) -> "Space":
        """The space of ``problem``; with a cell library ``lib``, a type axis offers only the
        variants the library has a cell for (a base library: one choice each)."""
        if problem.fixed_shape:
            hs, ws = (problem.rows,), (problem.cols,)
        else:
            hs = tuple(2 ** k for k in range(int(math.log2(min(16, problem.rows))), int(math.log2(problem.rows)) + 1))
            ws = tuple(2 ** k for k in range(int(math.log2(min(8, problem.cols))), int(math.log2(problem.cols)) + 1))
        types = {}
        if lib is not None:
            types = {var: tuple(i for i, kind in enumerate(kinds) if lib.has(kind)) for var, kinds in TYPE_KINDS.items()}
        # a library without the col_mux cell, or a fixed-shape bank too narrow, offers k = 1 only
        muxes = tuple(k for k in COL_MUX if k <= max(ws) and (k == 1 or lib is None or lib.has("col_mux")))
        return cls(H=hs, W=ws, **types, col_mux=muxes)

    @property
    def choices(self) -> tuple[tuple[int, ...], ...]:
        return tuple(getattr(self, v) for v in VARIABLES)

    @property
    def upper(self) -> tuple[int, ...]:
        """Largest index of each gene."""
        return tuple(len(c) - 1 for c in self.choices)

    def decode(self, genes: np.ndarray) -> dict[str, np.ndarray]:
        """Integer genomes (n, 6) -> variable arrays (n,) by name."""
        genes = np.asarray(genes, dtype=np.int64).reshape(-1, len(VARIABLES))
        return {v: np.asarray(c, dtype=np.int64)[np.clip(genes[:, i], 0, len(c) - 1)]
                for i, (v, c) in enumerate(zip(VARIABLES, self.choices))}

    def random(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` uniformly random genomes."""
        return np.stack([rng.integers(0, len(c), size=n) for c in self.choices], axis=1)

    def size(self) -> int:
        return int(np.prod([len(c) for c in self.choices]))


def structural_violation(v: Mapping[str, np.ndarray]) -> np.ndarray:
    """How far each design is from being buildable (0 = buildable), in bits.

    The SAR's CDAC needs 2**B_ADC unit groups from the N = H/L column capacitors (a flash
    ADC needs none, but stops at :data:`FLASH_MAX_BITS`), and a column needs at least two
    local arrays to share charge.
    """
    n_la = v["H"] / v["L"]
    flash = np.asarray(v.get("adc_type", 0)) == 1
    adc = np.where(flash, np.maximum(0.0, v["B_ADC"] - FLASH_MAX_BITS),
                   np.maximum(0.0, v["B_ADC"] - np.log2(np.maximum(n_la, 1e-9))))
    # column mux: k must divide the bank's W columns (powers of two: k <= W), SAR ADC only
    k = np.asarray(v.get("col_mux", 1), float)
    mux = np.maximum(0.0, np.log2(k) - np.log2(np.asarray(v["W"], float))) + np.where(flash & (k > 1), 1.0, 0.0)
    return adc + mux + np.maximum(0.0, np.log2(v["L"]) - np.log2(v["H"]) + 1.0)


@dataclass(frozen=True)
class Design:
    """One point of the design space (the layout generator's input, with :func:`floorplan`)."""

    H: int
    W: int
    L: int
    B_ADC: int
    input_bits_per_cycle: int
    cap_mult: int
    vdd_mv: int = DEFAULTS["vdd_mv"]
    cmp_size: int = DEFAULTS["cmp_size"]
    sw_size: int = DEFAULTS["sw_size"]
    drv_size: int = DEFAULTS["drv_size"]
    read_vt: int = DEFAULTS["read_vt"]
    bitcell: int = DEFAULTS["bitcell"]
    cap_type: int = DEFAULTS["cap_type"]
    adc_type: int = DEFAULTS["adc_type"]
    col_mux: int = DEFAULTS["col_mux"]

    def to_dict(self) -> dict:
        return asdict(self)

    def arrays(self) -> dict[str, np.ndarray]:
        return {k: np.asarray([v], dtype=np.int64) for k, v in asdict(self).items()}

    @classmethod
    def from_dict(cls, d: Mapping[str, int]) -> "Design":
        return cls(**{k: int(d.get(k, DEFAULTS.get(k))) for k in VARIABLES})


def _type(v: Mapping[str, np.ndarray], name: str, like: np.ndarray) -> np.ndarray:
    return np.broadcast_to(np.asarray(v.get(name, DEFAULTS[name])), np.shape(like)) == 1


def channel_tracks(v: Mapping[str, np.ndarray]) -> np.ndarray:
    """Routing-channel tracks right of a column: SAR: one per CDAC group (B bits + dummy);
    flash: one per thermometer output (2**B - 1) + the bottom-plate tie."""
    B = np.asarray(v["B_ADC"], dtype=float)
    return np.where(_type(v, "adc_type", B), 2.0 ** B, B + 1.0)


def column_pitch(v: Mapping[str, np.ndarray], p: "ModelParams") -> np.ndarray:  # noqa: F821
    """The drawn column pitch: the cell width plus the routing channel, at least the MIM
    plate's (capm width + spacing) when the compute capacitors are MIM."""
    pitch = p.col_pitch + channel_tracks(v) * p.chan_track + p.chan_margin
    return np.where(_type(v, "cap_type", pitch), np.maximum(pitch, p.mim_min_pitch), pitch)


def geometry(v: Mapping[str, np.ndarray], p: "ModelParams", problem: Problem) -> dict[str, np.ndarray]:  # noqa: F821
    """Vectorized bank and macro geometry (µm) shared by the area model and :func:`floorplan`."""
    H, W, L, B = (np.asarray(v[k], dtype=float) for k in ("H", "W", "L", "B_ADC"))
    bin_, cm = np.asarray(v["input_bits_per_cycle"], float), np.asarray(v["cap_mult"], float)
    n_la = H / L
    # the column pitch is what `acim build` draws: the cell width plus the routing channel
    # (CDAC group / thermometer tracks) right of every column
    pitch = column_pitch(v, p)
    mim, flash = _type(v, "cap_type", H), _type(v, "adc_type", H)
    cell_h = np.where(_type(v, "bitcell", H), p.cell10_h, p.cell_h)
    unit_h = np.where(mim, p.mim_h, p.cap_h)
    cap_h = cm * unit_h
    la_h = L * cell_h + p.pre_h + 2.0 * p.sw_h + cap_h  # sample switch + share switch
    array_h = n_la * la_h
    array_w = W * pitch
    drv_w = p.drv_w + np.where(bin_ > 1, bin_ * p.pwm_width_per_bit, 0.0)
    k = np.broadcast_to(np.asarray(v.get("col_mux", 1), float), H.shape)
    # a muxed ADC is folded over its k columns: ceil(B/k) SAR rows, the comparator, bridge and mux rows
    bottom_h = np.where(flash, (2.0 ** B - 1.0) * p.fcmp_h,
                        np.where(k > 1, np.ceil(B / k) * p.sar_h + p.cmp_h + MUX_BRIDGE_H + p.mux_h,
                                 p.cmp_h + B * p.sar_h))
    left = np.maximum(p.spine_w + drv_w, p.ctrl_w)  # control spine + WL drivers (timing block in the corner)
    bank_w = left + array_w + p.strap_w
    bank_h = bottom_h + array_h
    bank_area = bank_w * bank_h
    banks = (problem.rows / H) * (problem.cols / W)
    return {"n_la": n_la, "col_pitch": pitch * np.ones_like(H), "left_w": left, "cell_h": cell_h, "unit_cap_h": unit_h,
            "cap_h": cap_h, "la_h": la_h, "array_h": array_h,
            "array_w": array_w, "drv_w": drv_w, "bottom_h": bottom_h, "bank_w": bank_w, "bank_h": bank_h,
            "bank_area": bank_area, "banks": banks, "macro_area": banks * bank_area}


def floorplan(design: Design, p: "ModelParams", problem: Problem) -> dict:  # noqa: F821
    """The derived geometry of one design, JSON-ready: what the layout generator places.

    Coordinates are µm from the bank's lower-left corner; every block names the library
    cell kind it instantiates, how many and where.
    """
    g = {k: float(val[0]) for k, val in geometry(design.arrays(), p, problem).items()}
    n_la = int(design.H // design.L)
    bitcell, cap = BITCELLS[design.bitcell], CAP_TYPES[design.cap_type]
    flash = ADC_TYPES[design.adc_type] == "flash"
    cell_h = g["cell_h"]
    k = design.col_mux
    sar_rows = -(-design.B_ADC // k)
    units_per_lsb = n_la // (2 ** design.B_ADC) if n_la >= 2 ** design.B_ADC else 0
    groups = [units_per_lsb * 2 ** (design.B_ADC - 1 - j) for j in range(design.B_ADC)] + [units_per_lsb]
    bank_rows, bank_cols = problem.rows // design.H, problem.cols // design.W
    x0, y0 = g["left_w"], g["bottom_h"]
    la_stack = [
        {"cell": bitcell, "count": design.L, "y": 0.0, "height": design.L * cell_h},
        {"cell": "precharge", "count": 1, "y": design.L * cell_h, "height": p.pre_h},
        {"cell": "sample_switch", "role": "sample (LBL -> cap top)", "count": 1, "y": design.L * cell_h + p.pre_h,
         "height": p.sw_h},
        {"cell": cap, "count": design.cap_mult, "y": design.L * cell_h + p.pre_h + p.sw_h,
         "height": g["cap_h"]},
        {"cell": "sample_switch", "role": "share (cap top -> column line)", "count": 1,
         "y": design.L * cell_h + p.pre_h + p.sw_h + g["cap_h"], "height": p.sw_h},
    ]
    return {
        "banks": {"rows": bank_rows, "cols": bank_cols, "count": bank_rows * bank_cols,
                  "pitch_x": g["bank_w"], "pitch_y": g["bank_h"]},
        "bank": {"width": g["bank_w"], "height": g["bank_h"], "area_um2": g["bank_area"]},
        "macro": {"width": bank_cols * g["bank_w"], "height": bank_rows * g["bank_h"], "area_um2": g["macro_area"]},
        "column_pitch": g["col_pitch"],
        "local_array": {"cells": design.L, "height": g["la_h"], "per_column": n_la, "stack": la_stack},
        "types": {"bitcell": bitcell, "cap_type": cap, "adc_type": ADC_TYPES[design.adc_type]},
        "col_mux": {"columns_per_adc": k, "adcs_per_bank": design.W // k, "sar_rows": sar_rows,
                    "conversions_per_adc_per_cycle": k},
        "cdac": ({"unit_caps": n_la, "cap_mult": design.cap_mult, "units_per_lsb": units_per_lsb,
                  "groups_msb_first_plus_dummy": groups} if not flash else None),
        "blocks": [
            {"name": "array", "cell": bitcell, "x": x0, "y": y0, "width": g["array_w"], "height": g["array_h"],
             "repeat": {"columns": design.W, "local_arrays": n_la, "cells_per_local_array": design.L}},
            {"name": "wl_drivers", "cell": "wl_driver", "x": p.spine_w, "y": y0, "width": g["drv_w"],
             "height": g["array_h"], "count": design.H, "placement": "one per row, pitch-matched to the local array rows",
             "input_bits_per_cycle": design.input_bits_per_cycle},
            *([{"name": "flash_comparators", "cell": "flash_comparator", "x": x0, "y": 0.0, "width": g["array_w"],
                "height": g["bottom_h"], "count": design.W * (2 ** design.B_ADC - 1),
                "placement": "2**B_ADC - 1 stacked per column, one ladder tap each"}] if flash else
              [{"name": "comparators", "cell": "comparator", "x": x0, "y": p.sar_h * sar_rows,
                "width": g["array_w"], "height": p.cmp_h, "count": design.W // k,
                "placement": "one per column" if k == 1 else f"one per group of {k} columns, under its first"},
               {"name": "sar_logic", "cell": "sar_logic", "x": x0, "y": 0.0, "width": g["array_w"],
                "height": p.sar_h * sar_rows, "count": design.W // k * design.B_ADC,
                "placement": "B_ADC stacked bits per column" if k == 1 else
                f"B_ADC bits per group folded into {sar_rows} rows (bit j under column j % {k})"}]),
            *([{"name": "col_mux", "cell": "col_mux", "x": x0, "y": g["bottom_h"] - p.mux_h, "width": g["array_w"],
                "height": p.mux_h, "count": design.W,
                "placement": f"one per column; {2 * k} one-hot select row lines; outputs joined per group on a bridge-row bus"}]
              if k > 1 else []),
            {"name": "timing", "cell": "timing_ctrl", "x": 0.0, "y": 0.0, "width": p.ctrl_w, "height": p.ctrl_h,
             "count": 1, "placement": "bank corner under the word-line drivers"},
        ],
    }
