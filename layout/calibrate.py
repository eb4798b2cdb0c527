"""Calibration of the analytical models against ngspice: one column, transistor level.

The netlist is one column of ``N`` local arrays: ``L`` 8T SRAM cells each (the library's
``sram8t`` subcircuit, weights set by initial conditions on the storage nodes), a PMOS
precharge of the local bitline to V_PRE, a sample switch (LBL -> compute capacitor), the
compute capacitor drawn from the capacitor-mismatch distribution (matching coefficient
of the library), a share switch onto the column line, and bottom-plate drivers powered
by the reference supply that make the capacitors the SAR CDAC. Library parasitics are
added as explicit capacitors; the MOSFET cards add their own overlap capacitance and
channel charge (charge injection) on top. The transistors are the cell library's own
cards (``--pdk generic``) or a PDK's devices at a corner (``--pdk sky130``: every MOSFET
becomes the PDK's 1.8 V device, sizes scaled onto its grid and limits; supply 1.8 V).

Three transient runs per mismatch draw (after a trim run that sets V_PRE):

1. *MAC pass*: P patterns (row, input bits) with MAC values spread uniformly over the
   range, plus one characterization period per CDAC group (all products 0, then one
   group raised) that measures the zero-input level and each group's actual step, hence
   the comparator threshold. An ideal comparator on these voltages gives reference codes.
2. *Conversion pass*, closed loop: the same patterns converted by the SAR loop around the
   library's transistor-level StrongARM comparator (:func:`sar_loop`); its decisions,
   sampled into a bit register, switch the bottom plates. ngspice gives the codes, the
   energy drawn from the reference supply and the final residue.

The simulated error is taken apart (:func:`compare`), each part against its own model
term (:func:`chipsmith.layout.models.calibration_noise`) with its own coefficient:
capacitor mismatch (computed exactly from the drawn capacitors), the bowed transfer of
the charge sharing (the part of the analog error a cubic in the shared voltage removes:
the share switches' channel charge follows the shared voltage), the remaining
pattern-dependent analog error (read-port and switch charge sharing), quantization of the
noisy levels (exact, not fitted), and the transistor comparator's decision error (codes
against the ideal comparator's on the same voltages: kickback and input loading).
Energy: precharge + CDAC (+ the bottom-plate drivers' own capacitance, fitted). Delay:
local-bitline discharge, charge-sharing settling and the comparator's decision, measured
on the waveforms. Every residual is reported twice: fitted on all columns, and held out
(the coefficients fitted on the other columns only), so the held-out figure is not a
training residual.

Edges of the sampling and sharing switches take 80 ps: the level-1 cards' (Meyer) gate
charge is not conserved by ngspice's integration, and a 20 ps edge resolved by two time
steps moved the charge a switch leaves on its capacitor by about 1 % of V_PRE with the
step size (an error that is the same for all local arrays of a period, so it added a
pseudo-random MAC error that grew with N and depended on ngspice's tolerances).
"""
from __future__ import annotations

import math
import re
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from chipsmith.errors import InputError, SimulationError
from chipsmith.layout.architecture import Problem
from chipsmith.layout.cells import CellLibrary, load_cells
from chipsmith.layout.models import CALIBRATED, ModelParams, cdac_conversion, evaluate, quantization_noise

# phase timing inside one period (ns)
T_SHARE_OFF, T_BOT_RESET, T_PRE_ON, T_PRE_OFF = 0.0, 0.1, 0.2, 1.0
T_RWL_ON, T_RWL_OFF, T_SAMPLE_OFF, T_SHARE_ON = 1.1, 2.4, 2.6, 2.8
T_MEASURE, T_SAR0, T_SAR_STEP = 3.8, 4.0, 1.0
T_CLK = 0.30  # comparator clock rises this long into a SAR step
EDGE = 0.08  # ns, PWL edge (see the module text: shorter edges make level-1 charge step-size dependent)


@dataclass(frozen=True)
class ColumnConfig:
    """One calibration column: N local arrays of L cells, a B-bit CDAC, cap_mult unit caps."""

    n_la: int
    L: int
    B_ADC: int
    cap_mult: int = 1

    def __post_init__(self) -> None:
        if self.n_la < 2 ** self.B_ADC or self.n_la & (self.n_la - 1):
            raise InputError(f"calibration config N={self.n_la} B_ADC={self.B_ADC}: N must be a power of two >= 2**B_ADC")

    @property
    def H(self) -> int:
        return self.n_la * self.L

    @property
    def label(self) -> str:
        return f"N{self.n_la}_L{self.L}_B{self.B_ADC}_c{self.cap_mult}"


SMALL_CONFIGS = (ColumnConfig(8, 1, 2), ColumnConfig(16, 2, 3), ColumnConfig(16, 1, 3, 2), ColumnConfig(32, 1, 4))
# columns of >= 64 cells with 6-8-bit ADCs: what the fitted (default) model is calibrated on
LARGE_CONFIGS = (ColumnConfig(64, 1, 6), ColumnConfig(64, 2, 6, 2), ColumnConfig(128, 1, 7))
FULL_CONFIGS = LARGE_CONFIGS + (ColumnConfig(256, 1, 8),)
QUICK_CONFIGS = (ColumnConfig(8, 1, 2),)
# the shipped default model: the large columns plus small ones, so that every coefficient is
# checked held out on columns of other sizes (N 16..128, 3..7 bits, 1x/2x caps)
DEFAULT_SET = SMALL_CONFIGS[1:] + LARGE_CONFIGS
DEFAULT_CONFIGS = LARGE_CONFIGS
CONFIG_SETS = {"quick": QUICK_CONFIGS, "small": SMALL_CONFIGS, "large": LARGE_CONFIGS, "default": DEFAULT_SET,
               "full": FULL_CONFIGS}
SHIPPED_CALIBRATION = Path(__file__).resolve().parent / "cells" / "calibration_default.json"


# --- the transistors a column is simulated with ---------------------------------------------

@dataclass(frozen=True)
class Devices:
    """The MOSFETs of the calibration column: the cell library's own cards (``pdk`` generic)
    or a PDK's devices at a corner, with the supply the column runs at."""

    pdk: str = "generic"
    corner: str = "tt"
    vdd: float = 1.0
    models: str = ""  # model cards (generic) or the PDK's .lib line
    kit: Any = field(default=None, compare=False, repr=False)  # chipsmith.spice.pdk.Pdk, None for generic
    scale: float = 1.0  # library W and L -> PDK sizes (before snapping to its limits)

    def describe(self) -> dict:
        return {"pdk": self.pdk, "corner": self.corner, "vdd": self.vdd, "size_scale": self.scale,
                "devices": None if self.kit is None else [self.kit.nmos.name, self.kit.pmos.name]}


def devices(lib: CellLibrary, pdk: str = "generic", corner: str = "tt") -> Devices:
    """Resolve ``pdk`` (an unknown or not-installed PDK and an unknown corner are InputErrors)."""
    from chipsmith.spice.pdk import get_pdk

    kit = get_pdk(pdk)  # lists the valid names on a miss; a PDK without its files says how to install it
    kit.check_corner(corner)
    if kit.name == "generic":
        # the calibration's generic process is the cell library's own cards (their overlap and
        # channel charge are what the library's numbers describe), at the library's supply
        return Devices("generic", corner, lib.process.vdd, lib.process.spice_models.strip() + "\n")
    lib_l = min(float(m[8]) for m in _MOS.findall("\n".join(lib.get(k).spice for k in _SIMULATED)))
    return Devices(kit.name, corner, kit.supply_v, kit.model_lines(corner), kit, kit.nmos.l_min / lib_l)


_SIMULATED = ("sram8t", "compute_cap", "sample_switch", "precharge", "comparator")
_MOS = re.compile(r"^(\s*)(m\S*)\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(nch|pch)\s+w=([0-9.eE+-]+)u\s+l=([0-9.eE+-]+)u\s*$",
                  re.IGNORECASE | re.MULTILINE)


def on_devices(text: str, dev: Devices) -> str:
    """``text`` with every library MOSFET (``M... nch|pch w=..u l=..u``) as ``dev``'s device.

    W and L are multiplied by ``dev.scale`` (the PDK's minimum L over the library's), raised
    to the PDK's minimum, snapped to its grid, and a W above its per-finger maximum is split
    into fingers (``m``). Generic devices leave the text as it is."""
    if dev.kit is None:
        return text

    def sub(mo: re.Match) -> str:
        indent, name, d, g, s, b, model, w, l = mo.groups()
        mos = dev.kit.device("nmos" if model.lower() == "nch" else "pmos")
        w_um, l_um = max(float(w) * dev.scale, mos.w_min), max(float(l) * dev.scale, mos.l_min)
        fingers = max(1, math.ceil(w_um / mos.w_max - 1e-9))
        return indent + dev.kit.mosfet(name, d, g, s, b, mos.polarity, w_um / fingers, l_um, fingers)

    return _MOS.sub(sub, text)


def column_params(lib: CellLibrary, dev: Devices, **fitted: float) -> ModelParams:
    """The model's library digest for a column on ``dev`` (its supply; fitted coefficients)."""
    return replace(ModelParams.from_library(lib, **fitted), vdd=dev.vdd)


def _period(cfg: ColumnConfig) -> float:
    return T_SAR0 + (cfg.B_ADC + 1) * T_SAR_STEP + 0.3


def _pwl(points: list[tuple[float, float]]) -> str:
    """PWL text from (t_ns, v) points (sorted, strictly increasing times)."""
    out, last = [], -1.0
    for t, v in points:
        t = max(t, last + 1e-4)
        out.append(f"{t:.4f}n {v:.4g}")
        last = t
    return "pwl(" + " ".join(out) + ")"


def _pulses(intervals: Sequence[tuple[float, float]], high: float, low: float = 0.0) -> str:
    """PWL that is ``high`` inside each (start, stop) ns interval and ``low`` outside."""
    pts = [(0.0, low)]
    for a, b in intervals:
        pts += [(a, low), (a + EDGE, high), (b, high), (b + EDGE, low)]
    return _pwl(pts)
@dataclass(frozen=True)
class Patterns:
    """Per period: row selected in each local array, input bits, products (1 = discharge)."""

    rows: np.ndarray  # (P,)
    inputs: np.ndarray  # (P, N)
    weights: np.ndarray  # (N, L) stored bit that enables discharge
    products: np.ndarray  # (P, N)


def make_patterns(cfg: ColumnConfig, n_patterns: int, rng: np.random.Generator) -> Patterns:
    """MAC values spread uniformly over 0..(ones in the row), weights random with p = 0.75."""
    weights = (rng.random((cfg.n_la, cfg.L)) < 0.75).astype(int)
    rows = np.arange(n_patterns) % cfg.L
    inputs = np.zeros((n_patterns, cfg.n_la), int)
    for p in range(n_patterns):
        ones = np.flatnonzero(weights[:, rows[p]])
        k = rng.integers(0, len(ones) + 1)
        inputs[p, rng.permutation(ones)[:k]] = 1
        zeros = np.flatnonzero(weights[:, rows[p]] == 0)
        inputs[p, zeros] = rng.integers(0, 2, size=len(zeros))  # read ports fire on weight 0 too
    products = inputs * weights[:, rows].T
    return Patterns(rows, inputs, weights, products)


def cdac_groups(cfg: ColumnConfig) -> list[list[int]]:
    """Capacitor indices of each binary group, MSB first, then the dummy LSB group."""
    unit = cfg.n_la // 2 ** cfg.B_ADC
    sizes = [unit * 2 ** (cfg.B_ADC - 1 - j) for j in range(cfg.B_ADC)] + [unit]
    out, start = [], 0
    for s in sizes:
        out.append(list(range(start, start + s)))
        start += s
    return out


def column_netlist(cfg: ColumnConfig, lib: CellLibrary, params: ModelParams, pats: Patterns, caps_ff: np.ndarray,
                   bottom_high: list[list[tuple[float, float]]], n_periods: int, v_pre: float | None = None,
                   sar_threshold_v: float | None = None, dev: Devices | None = None) -> str:
    """The column netlist body (title, models, subcircuits, instances, sources; no analyses).

    ``bottom_high[g]`` lists the (start, stop) ns intervals in which group g's bottom plates
    are at the reference; periods beyond the patterns are characterization periods.
    ``dev`` (default: the library's own cards) gives the transistors and the supply.
    """
    dev = dev or Devices("generic", "tt", lib.process.vdd, lib.process.spice_models.strip() + "\n")
    vdd = dev.vdd
    period = _period(cfg)
    m = model_column(cfg, params)
    # explicit capacitors only for what the MOSFET cards lack: wiring, fringe, and the read
    # ports' junctions (level-1 cards here carry no junction area); switch and precharge
    # devices bring their own overlap and channel capacitance.
    c_lbl = cfg.L * params.c_rbl
    c_top = cfg.cap_mult * params.c_top_par
    c_cl = m["array_h"] * params.wire_cap_ff_per_um + params.c_cmp_in
    v_pre = m["v_pre"] if v_pre is None else v_pre
    n, P = cfg.n_la, len(pats.rows)
    lines = [f"* chipsmith acim calibration column N={n} L={cfg.L} B={cfg.B_ADC} cap_mult={cfg.cap_mult}",
             dev.models.strip()]
    for kind in ("sram8t", "compute_cap", "sample_switch", "precharge") + (("comparator",) if sar_threshold_v else ()):
        lines.append(lib.get(kind).spice.strip())
    lines += [f"vdd vdd 0 {vdd}", f"vpre vpre 0 {v_pre:.6g}", f"vref vref 0 {vdd}", "vzero wz 0 0"]
    pre_on = [(k * period + T_PRE_ON, k * period + T_PRE_OFF) for k in range(n_periods)]
    samp_on = [(k * period + T_PRE_ON, k * period + T_SAMPLE_OFF) for k in range(n_periods)]
    share_on = [(k * period + T_SHARE_ON, (k + 1) * period - 0.05) for k in range(n_periods)]
    # active-low precharge: low inside the precharge window
    lines.append(f"vpreb preb 0 {_pulses(pre_on, 0.0, vdd)}")
    lines.append(f"vsmp smp 0 {_pulses(samp_on, vdd)}")
    lines.append(f"vsmpb smpb 0 {_pulses(samp_on, 0.0, vdd)}")
    lines.append(f"vshr shr 0 {_pulses(share_on, vdd)}")
    lines.append(f"vshrb shrb 0 {_pulses(share_on, 0.0, vdd)}")
    lines.append(f"vclr clr 0 {_pulses(samp_on, vdd)}")
    lines.append("mclr cl clr 0 0 nch w=0.4u l=0.05u")
    lines.append(f"ccl cl 0 {c_cl:.6g}f")
    group_of = {i: g for g, idx in enumerate(cdac_groups(cfg)) for i in idx}
    if sar_threshold_v is not None:
        lines += sar_loop(cfg, n_periods, sar_threshold_v, vdd, m["c_t"])
        bottom_high = [[] for _ in bottom_high]  # the loop below only draws the drivers
    for g, intervals in enumerate(bottom_high):
        units = len(cdac_groups(cfg)[g])
        # inverter from the reference: control low -> bottom plates at vref
        if sar_threshold_v is None or g == cfg.B_ADC:
            lines.append(f"vctl{g} ctl{g} 0 {_pulses(intervals, 0.0, vdd)}")
        lines.append(f"mpb{g} bot{g} ctl{g} vref vref pch w={0.4 * units:.3g}u l=0.05u")
        lines.append(f"mnb{g} bot{g} ctl{g} 0 0 nch w={0.2 * units:.3g}u l=0.05u")
    ics = []
    for i in range(n):
        for r in range(cfg.L):
            row_on = [(k * period + T_RWL_ON, k * period + T_RWL_OFF) for k in range(P)
                      if pats.rows[k] == r and pats.inputs[k, i]]
            rwl = f"rwl{i}_{r}"
            lines.append(f"v{rwl} {rwl} 0 {_pulses(row_on, vdd) if row_on else 0}")
            lines.append(f"x{i}_{r} wz wz wz {rwl} lbl{i} vdd 0 sram8t")
            w = pats.weights[i, r]  # stored bit enabling discharge sits on qb (gate of the read stack)
            ics += [f"v(x{i}_{r}.qb)={vdd if w else 0}", f"v(x{i}_{r}.q)={0 if w else vdd}"]
        lines.append(f"xp{i} lbl{i} preb vpre precharge")
        lines.append(f"clbl{i} lbl{i} 0 {c_lbl:.6g}f")
        lines.append(f"xs{i} lbl{i} top{i} smp smpb vdd 0 sample_switch")
        lines.append(f"ctop{i} top{i} 0 {c_top:.6g}f")
        lines.append(f"xc{i} top{i} bot{group_of[i]} compute_cap cu={caps_ff[i]:.6g}f")
        lines.append(f"xh{i} top{i} cl shr shrb vdd 0 sample_switch")
    for k in range(0, len(ics), 8):
        lines.append(".ic " + " ".join(ics[k:k + 8]))
    return on_devices("\n".join(lines) + "\n", dev)


def sar_loop(cfg: ColumnConfig, n_periods: int, threshold_v: float, vdd: float, c_node_ff: float) -> list[str]:
    """Closed-loop SAR around the library's transistor (StrongARM) comparator.

    Per SAR step j: group j's bottom plates go up at the step start; the comparator
    (INP = column line, INN = the threshold) is clocked 0.30-0.95 ns into the step; its
    decision (OUTN above OUTP: the column line is below the threshold, keep the bit) is
    sampled onto a bit capacitor at 0.80-0.90 ns; from the next step on, group j stays up only if its bit
    is 1. The register (sample switches + bit capacitors) resets at every period start.
    Bottom-plate control ``ctl`` is active low (it drives the bottom-plate inverters).
    The threshold reaches INN through 100 kOhm onto a capacitor as large as the column line's,
    so the latch's clock kickback moves both inputs alike (as a matched reference DAC would);
    an ideal source on INN would leave the kickback as a ~2 LSB offset on the column line."""
    period = _period(cfg)
    lines = [f".model sarsw sw(vt={vdd / 2:.3g} vh=0.05 ron=200 roff=1e12)", f"vthr vthr 0 {threshold_v:.6g}",
             "rthr vthr refn 100k", f"cref refn 0 {c_node_ff:.6g}f", ".ic v(refn)=" + f"{threshold_v:.6g}",
             "xcmp cl refn cclk outp outn vdd 0 comparator",
             f"boutn outnb 0 v = (v(outn) > v(outp)) ? {vdd} : 0",
             f"vrst rst 0 {_pulses([(k * period + 0.02, k * period + 0.12) for k in range(n_periods)], vdd)}"]
    clk = []
    for j in range(cfg.B_ADC):
        starts = [k * period + T_SAR0 + j * T_SAR_STEP for k in range(n_periods)]
        clk += [(t + T_CLK, t + 0.95) for t in starts]
        lines += [f"vra{j} ra{j} 0 {_pulses([(t, (k + 1) * period - 0.15) for k, t in enumerate(starts)], vdd)}",
                  f"vbf{j} bf{j} 0 {_pulses([(t, t + T_SAR_STEP) for t in starts], vdd)}",
                  f"vsa{j} sa{j} 0 {_pulses([(t + 0.80, t + 0.90) for t in starts], vdd)}",
                  f"s{j} bit{j} outnb sa{j} 0 sarsw", f"sr{j} bit{j} 0 rst 0 sarsw", f"cbit{j} bit{j} 0 5f",
                  f"bctl{j} ctl{j} 0 v = ((v(ra{j}) > {vdd / 2}) && ((v(bf{j}) > {vdd / 2}) || (v(bit{j}) > {vdd / 2})))"
                  f" ? 0 : {vdd}"]
    lines.append(f"vcclk cclk 0 {_pulses(sorted(clk), vdd)}")
    return lines


def _simulate(body: str, stop_ns: float, extra: Sequence[str] = ()) -> Any:
    from chipsmith.spice.runner import Tran, simulate

    return simulate(body, [Tran(10e-12, stop_ns * 1e-9, uic=True)], save=["v(cl)", "i(vpre)", "i(vref)", *extra],
                    trusted=True, timeout_s=1800.0)


def _at(t: np.ndarray, y: np.ndarray, when_ns: float) -> float:
    return float(np.interp(when_ns * 1e-9, t, y))


def _charge(t: np.ndarray, i: np.ndarray, a_ns: float, b_ns: float) -> float:
    """Charge (C) delivered by a source between two times (ngspice's source current is negative when supplying)."""
    mask = (t >= a_ns * 1e-9) & (t <= b_ns * 1e-9)
    return float(-np.trapezoid(i[mask], t[mask])) if mask.sum() > 1 else 0.0


def _crossing_ps(t: np.ndarray, y: np.ndarray, a_ns: float, b_ns: float, level: float, rising: bool) -> float | None:
    """Time (ps) from ``a_ns`` to the last crossing of ``level`` (upwards if ``rising``) before
    ``b_ns``, interpolated between time points; None if ``y`` does not end on the far side."""
    mask = (t >= a_ns * 1e-9) & (t <= b_ns * 1e-9)
    tt, yy = t[mask], (y[mask] - level) * (1.0 if rising else -1.0)
    if len(tt) < 2 or yy[-1] <= 0:
        return None
    below = np.flatnonzero(yy <= 0)
    if len(below) == 0:
        return 0.0
    i = below[-1]
    when = tt[i] + (tt[i + 1] - tt[i]) * (-yy[i]) / (yy[i + 1] - yy[i])
    return float((when - a_ns * 1e-9) * 1e12)


def sar_threshold(v0: float, steps: np.ndarray, n_la: int) -> float:
    """Comparator threshold: the zero-MAC level plus half a MAC step, so that every decision
    boundary falls midway between two MAC levels (N / 2**B levels per LSB)."""
    bits = len(steps) - 1
    return v0 + 0.5 * steps[-1] * 2 ** bits / n_la


def sar_decisions(v_share: np.ndarray, thr: float, steps: np.ndarray) -> np.ndarray:
    """Conventional SAR on simulated voltages: bits (P, B) MSB first.

    The top plate starts at ``v_share``; raising group j adds ``steps[j]`` (measured);
    the bit is kept while the top plate stays at or below the threshold ``thr``."""
    bits = np.zeros((len(v_share), len(steps) - 1), int)
    level = v_share.copy()
    for j in range(len(steps) - 1):
        trial = level + steps[j]
        keep = trial <= thr
        bits[:, j] = keep
        level = np.where(keep, trial, level)
    return bits


def simulate_config(cfg: ColumnConfig, lib: CellLibrary, params: ModelParams, n_patterns: int,
                    rng: np.random.Generator, dev: Devices | None = None) -> dict:
    """Three ngspice runs for one mismatch draw: trim, MAC, conversion replay.

    Trim: with every weight 1, one period with all inputs 1 (MAC = N) and B+1 periods
    with inputs 0 (one CDAC group raised in each) give the per-MAC drop and the unit step;
    V_PRE is scaled so that the signal range equals the CDAC range (what the design's
    precharge reference trim does). MAC: the patterns, then B+1 characterization periods
    (zero level and each group's step at the trimmed V_PRE). Conversions: the closed SAR
    loop. Also measured: the local-bitline discharge, the charge-sharing settling and the
    comparator's decision times (ps).
    """
    dev = dev or Devices("generic", "tt", lib.process.vdd, lib.process.spice_models.strip() + "\n")
    pats = make_patterns(cfg, n_patterns, rng)
    cu = cfg.cap_mult * params.c_unit
    sigma = params.match_pct / 100.0 / math.sqrt(cu)
    caps = cu * (1.0 + sigma * rng.standard_normal(cfg.n_la))
    period = _period(cfg)
    B = cfg.B_ADC
    groups = cdac_groups(cfg)
    G = len(groups)
    P = n_patterns
    vdd = dev.vdd
    m = model_column(cfg, params)
    seconds = 0.0

    def char_periods(first: int) -> list[list[tuple[float, float]]]:
        return [[((first + j) * period + T_SAR0, (first + j + 1) * period - 0.15)] for j in range(G)]

    def measure(res, k: int) -> tuple[float, float]:
        t, v = res.tran.x, res.tran.get("v(cl)")
        return _at(t, v, k * period + T_MEASURE), _at(t, v, (k + 1) * period - 0.2)

    def netlist(p: Patterns, bottom, n_periods, v_pre, thr=None) -> str:
        return column_netlist(cfg, lib, params, p, caps, bottom, n_periods, v_pre, sar_threshold_v=thr, dev=dev)

    # run 0: trim
    ones = Patterns(np.zeros(1 + G, int), np.vstack([np.ones((1, cfg.n_la), int), np.zeros((G, cfg.n_la), int)]),
                    np.ones((cfg.n_la, cfg.L), int), np.vstack([np.ones((1, cfg.n_la), int), np.zeros((G, cfg.n_la), int)]))
    res0 = _simulate(netlist(ones, char_periods(1), 1 + G, m["v_pre"]), (1 + G) * period)
    seconds += res0.seconds
    v_full = measure(res0, 0)[0]
    zero = [measure(res0, 1 + j) for j in range(G)]
    v0 = float(np.mean([z[0] for z in zero]))
    unit = float(sum(z[1] - z[0] for z in zero)) / cfg.n_la
    drop = (v0 - v_full) / cfg.n_la
    if not (drop > 0 and unit > 0):
        raise SimulationError(f"calibration column N={cfg.n_la} on {dev.pdk}/{dev.corner} did not respond "
                              f"(drop {drop:.3g} V, step {unit:.3g} V)",
                              fix="check the cell library's SPICE subcircuits and process models")
    v_pre = m["v_pre"] * unit / drop
    # run 1: MAC patterns + characterization at the trimmed V_PRE
    n_periods = P + G
    all_pats = Patterns(np.concatenate([pats.rows, np.zeros(G, int)]),
                        np.concatenate([pats.inputs, np.zeros((G, cfg.n_la), int)]), pats.weights,
                        np.concatenate([pats.products, np.zeros((G, cfg.n_la), int)]))
    res1 = _simulate(netlist(all_pats, char_periods(P), n_periods, v_pre), n_periods * period, extra=["v(lbl0)"])
    seconds += res1.seconds
    meas = [measure(res1, k) for k in range(n_periods)]
    v_share = np.array([x[0] for x in meas])
    v0 = float(v_share[P:].mean())
    steps = np.array([meas[P + j][1] - meas[P + j][0] for j in range(G)])
    thr = sar_threshold(v0, steps, cfg.n_la)
    bits = sar_decisions(v_share[:P], thr, steps)
    codes_ideal = bits @ (2 ** np.arange(B - 1, -1, -1))
    t1, cl1, lbl0 = res1.tran.x, res1.tran.get("v(cl)"), res1.tran.get("v(lbl0)")
    read, share = [], []
    for k in range(1, P):
        a = k * period + T_RWL_ON + EDGE / 2
        if pats.products[k, 0]:  # local array 0 discharges: time to 5 % of its precharged level (3 tau)
            start = _at(t1, lbl0, a - EDGE / 2)
            read.append(_crossing_ps(t1, lbl0, a, k * period + T_RWL_OFF, 0.05 * start, rising=False))
        # the column line rises from 0 (cleared) to the shared level: within 1 % of it
        a = k * period + T_SHARE_ON + EDGE / 2
        share.append(_crossing_ps(t1, cl1, a, k * period + T_MEASURE, 0.99 * v_share[k], rising=True))
    # run 2: the conversions, closed loop: the library's transistor comparator decides every bit
    res2 = _simulate(netlist(pats, [[] for _ in groups], P, v_pre, thr), P * period,
                     extra=[f"v(bit{j})" for j in range(B)] + ["v(outp)", "v(outn)"])
    seconds += res2.seconds
    t2, vcl2 = res2.tran.x, res2.tran.get("v(cl)")
    bits_spice = np.array([[_at(t2, res2.tran.get(f"v(bit{j})"), (k + 1) * period - 0.2) > vdd / 2 for j in range(B)]
                           for k in range(P)], dtype=int)
    split = np.abs(res2.tran.get("v(outp)") - res2.tran.get("v(outn)"))
    cmp_ps = [_crossing_ps(t2, split, s + T_CLK + EDGE / 2, s + 0.95, vdd / 2, rising=True)
              for k in range(1, P) for s in (k * period + T_SAR0 + j * T_SAR_STEP for j in range(B))]
    v_share_loop = np.array([_at(t2, vcl2, k * period + T_MEASURE) for k in range(P)])
    codes = bits_spice @ (2 ** np.arange(B - 1, -1, -1))
    ipre, iref = res2.tran.get("i(vpre)"), res2.tran.get("i(vref)")
    # both supplies are charged at VDD (V_PRE comes from VDD through its reference)
    e_pre = np.array([vdd * _charge(t2, ipre, k * period + T_PRE_ON - 0.05, k * period + T_SAMPLE_OFF) for k in range(P)])
    e_cdac = np.array([vdd * _charge(t2, iref, k * period + T_SAR0 - 0.05, (k + 1) * period - 0.1) for k in range(P)])
    residue = np.array([_at(t2, vcl2, (k + 1) * period - 0.2) for k in range(P)]) - thr
    # capacitor mismatch alone, exactly: the MAC each pattern gives through the drawn capacitors
    mac_caps = pats.products @ (caps / caps.mean())

    def median(xs):
        xs = [x for x in xs if x is not None]
        return float(np.median(xs)) if xs else None

    return {"mac": pats.products.sum(axis=1), "mac_caps": mac_caps, "code": codes, "code_ideal_comparator": codes_ideal,
            "v_share_loop": v_share_loop, "v_share_run1": v_share[:P], "threshold_v": thr, "v_share": v_share[:P] - v0,
            "e_pre_fj": e_pre * 1e15, "e_cdac_fj": e_cdac * 1e15,
            "residue_lsb": residue / steps[-1], "steps_v": steps, "v0": v0, "v_pre": v_pre, "caps_ff": caps,
            "delay_ps": {"read": median(read), "share": median(share), "comparator": median(cmp_ps)},
            "seconds": seconds,
            # the first pattern starts from 0 V everywhere (uic), not from a previous cycle
            "valid": np.arange(P) > 0, "valid_energy": np.arange(P) > 0}


def model_column(cfg: ColumnConfig, params: ModelParams) -> dict:
    """The model's view of the same column (W = 1, at the column's supply)."""
    m = evaluate({"H": [cfg.H], "W": [1], "L": [cfg.L], "B_ADC": [cfg.B_ADC], "input_bits_per_cycle": [1],
                  "cap_mult": [cfg.cap_mult], "vdd_mv": [int(round(float(params.vdd) * 1000))]},
                 params, Problem(max(8, cfg.H), 1))
    return {k: float(np.asarray(v).ravel()[0]) for k, v in m.items() if np.size(v) == 1 or np.ndim(v) == 1}


def _trim_mse(x: np.ndarray | list, y: np.ndarray) -> float:
    """Mean-square error of y after the best gain/offset (and extra columns) fit of x to it."""
    A = np.column_stack([*(x if isinstance(x, list) else [x]), np.ones_like(y)])
    coef, *_ = np.linalg.lstsq(A, y, rcond=None)
    return float(np.mean((y - A @ coef) ** 2))


# the noise terms a noiseless transient contains, each with its coefficient (MAC² per unit)
NOISE_TERMS = {"mismatch": "k_mismatch", "bow": "k_bow", "analog": "k_analog", "comparator": "k_cmp"}
DELAYS = {"read": "k_t_read", "share": "k_t_share", "comparator": "k_t_cmp"}


def noise_units(cfg: ColumnConfig, params: ModelParams) -> dict[str, float]:
    """The model's noise terms for this column with their coefficients at 1, in MAC²."""
    mu = model_column(cfg, replace(params, **{k: 1.0 for k in NOISE_TERMS.values()}))
    to_mac = (cfg.n_la / mu["fs_v"]) ** 2  # V² on the column line -> MAC units²
    return {"mismatch": mu["n_mismatch"] * to_mac, "bow": mu["n_bow"] * to_mac, "analog": mu["n_analog"] * to_mac,
            "comparator": mu["n_cmp_decision"] * to_mac}


def compare(cfg: ColumnConfig, draws: list[dict], params: ModelParams) -> dict:
    """The simulated column's error taken apart, the model's units for each part, energy and delays.

    All noise figures in MAC² (one MAC step = 1): ``measured`` parts and ``units`` (the
    model term with its coefficient 1), so that fitting and held-out prediction need no
    more simulation. The signal power is the model's: MAC uniform over the full scale N.
    """
    ok = np.concatenate([d["valid"] for d in draws])
    mac = np.concatenate([d["mac"] for d in draws]).astype(float)[ok]

    def cat(key):
        return np.concatenate([d[key] for d in draws]).astype(float)[ok]

    n = cfg.n_la
    mse_code = _trim_mse(cat("code"), mac)
    mse_ideal = _trim_mse(cat("code_ideal_comparator"), mac)
    volts = cat("v_share")
    mse_analog = _trim_mse(volts, mac)
    mse_smooth = _trim_mse([volts, volts ** 2, volts ** 3], mac)  # what a cubic transfer leaves
    mse_mis = _trim_mse(cat("mac_caps"), mac)
    # raw differences (a part below the sampling noise can come out negative; the fit averages them)
    measured = {"mismatch": mse_mis, "bow": mse_analog - mse_smooth,
                "analog": mse_smooth - mse_mis, "comparator": mse_code - mse_ideal,
                "quantization": mse_ideal - mse_analog, "analog_total": mse_analog, "conversion_total": mse_code}
    units = noise_units(cfg, params)
    # energy: per pattern, the model's precharge and CDAC energy for the same MAC sequence
    m = model_column(cfg, params)
    vdd = float(params.vdd)
    e_pre_model, e_cdac_model, e_drv_unit, e_pre_spice, e_cdac_spice = [], [], [], [], []
    for d in draws:
        k = d["mac"].astype(float)
        k_prev = np.concatenate([[0.0], k[:-1]])
        v_share_prev = m["v_pre"] * (n - k_prev) * m["c_s"] / m["c_t"]
        e_pre = vdd * (n * m["c_s"] * (m["v_pre"] - v_share_prev) + k_prev * m["c_lbl"] * m["v_pre"])
        _c, e_rel = cdac_conversion(cfg.B_ADC, 1.0 - k / n, m["c_t"] / (n * m["cu"]))
        good = d["valid_energy"]
        raised = n * (1.0 - 2.0 ** -cfg.B_ADC)  # unit capacitors raised once per conversion
        e_pre_model.append(e_pre[good])
        e_cdac_model.append((e_rel * n * m["cu"] * vdd ** 2 + raised * cfg.cap_mult * params.c_bot_par * vdd ** 2)[good])
        e_drv_unit.append(np.full(int(good.sum()), raised * vdd ** 2))  # the drivers' own capacitance, per fF
        e_pre_spice.append(d["e_pre_fj"][good])
        e_cdac_spice.append(d["e_cdac_fj"][good])
    ep_m, ec_m = float(np.mean(np.concatenate(e_pre_model))), float(np.mean(np.concatenate(e_cdac_model)))
    ep_s, ec_s = float(np.mean(np.concatenate(e_pre_spice))), float(np.mean(np.concatenate(e_cdac_spice)))
    residues = np.concatenate([d["residue_lsb"][d["valid"]] for d in draws])
    agree = float(np.mean(np.concatenate([(d["code"] == d["code_ideal_comparator"])[d["valid"]] for d in draws])))

    def delay(key):
        xs = [d["delay_ps"][key] for d in draws if d["delay_ps"][key] is not None]
        return float(np.mean(xs)) if xs else None

    mu1 = model_column(cfg, replace(params, **{k: 1.0 for k in DELAYS.values()}))
    return {
        **asdict(cfg), "label": cfg.label, "patterns": int(len(mac)), "draws": len(draws),
        "p_signal_mac2": n ** 2 / 12.0, "lsb_mac": n / 2 ** cfg.B_ADC, "measured_mac2": measured,
        "units_mac2": units, "snr_spice_db": 10 * math.log10(n ** 2 / 12.0 / max(mse_code, 1e-12)),
        "snr_analog_spice_db": 10 * math.log10(n ** 2 / 12.0 / max(mse_analog, 1e-12)),
        "energy": {"precharge_spice_fj": ep_s, "precharge_model_fj": ep_m, "cdac_spice_fj": ec_s,
                   "cdac_model_fj": ec_m, "driver_unit_fj_per_ff": float(np.mean(np.concatenate(e_drv_unit)))},
        "energy_spice_fj": ep_s + ec_s,
        "delay_spice_ps": {k: delay(k) for k in DELAYS},
        # the model's delays with their coefficients at 1 (ps): bitline discharge to 5 % (3 tau),
        # charge-sharing settling, comparator decision
        "delay_units_ps": {"read": mu1["t_read_ps"], "share": mu1["t_share_ps"],
                           "comparator": mu1["t_cmp_ps"]},
        "residue_lsb_min": float(residues.min()), "residue_lsb_max": float(residues.max()),
        "comparator_agreement": agree,
        "v_pre_model": m["v_pre"], "v_pre_trimmed": float(np.mean([d["v_pre"] for d in draws])),
        "spice_seconds": float(sum(d["seconds"] for d in draws)),
    }


def _positive_mean(values: list[float], default: float) -> float:
    """Geometric mean of the positive finite estimates (a ratio fit); ``default`` if none."""
    xs = [v for v in values if v is not None and np.isfinite(v) and v > 0]
    return float(np.exp(np.mean(np.log(xs)))) if xs else default


def fit(rows: Sequence[dict], params: ModelParams) -> dict[str, float]:
    """Every coefficient from its own measured part, over ``rows``.

    Noise terms: the median over columns of measured part / model unit (parts below the
    sampling noise enter with their sign; the median keeps one column's rare large error,
    e.g. a wrong MSB decision, from setting the coefficient of all), floored at 0. Energy:
    the mean extra energy per raised unit capacitor and VDD². Delays: geometric mean of the
    ratios."""
    out: dict[str, float] = {}
    for term, name in NOISE_TERMS.items():
        est = [r["measured_mac2"][term] / r["units_mac2"][term] for r in rows if r["units_mac2"][term] > 0]
        out[name] = max(float(np.median(est)), 0.0) if est else float(getattr(params, name))
    if out["k_mismatch"] <= 0:
        out["k_mismatch"] = float(params.k_mismatch)  # must stay positive (explore --calibration)
    extra = [(r["energy"]["cdac_spice_fj"] + r["energy"]["precharge_spice_fj"] - r["energy"]["cdac_model_fj"]
              - r["energy"]["precharge_model_fj"]) / r["energy"]["driver_unit_fj_per_ff"] for r in rows]
    out["c_drv_par"] = max(float(np.mean(extra)), 0.0) if extra else float(params.c_drv_par)
    for key, name in DELAYS.items():
        est = [r["delay_spice_ps"][key] / r["delay_units_ps"][key] for r in rows
               if r["delay_spice_ps"][key] is not None and r["delay_units_ps"][key] > 0]
        out[name] = _positive_mean(est, float(getattr(params, name)))
    return out


def predict(row: dict, coef: dict[str, float]) -> dict:
    """The model's SNR (transient terms + quantization of the noisy levels), energy and delays
    for one compared column with coefficients ``coef``."""
    parts = {term: coef[name] * row["units_mac2"][term] for term, name in NOISE_TERMS.items()}
    analog = parts["mismatch"] + parts["bow"] + parts["analog"]
    # quantization acts on the analog error and the comparator's decision error together
    q = float(quantization_noise(row["lsb_mac"], 1.0, analog + parts["comparator"]))
    total = analog + parts["comparator"] + q
    e = row["energy"]
    energy = e["precharge_model_fj"] + e["cdac_model_fj"] + coef["c_drv_par"] * e["driver_unit_fj_per_ff"]
    delays = {k: coef[name] * row["delay_units_ps"][k] for k, name in DELAYS.items()}
    return {"snr_db": 10 * math.log10(row["p_signal_mac2"] / max(total, 1e-12)),
            "snr_analog_db": 10 * math.log10(row["p_signal_mac2"] / max(analog, 1e-12)),
            "parts_mac2": {**parts, "quantization": q}, "energy_fj": energy, "delay_ps": delays}


def residual(row: dict, coef: dict[str, float]) -> dict:
    """Model minus ngspice for one column: SNR (dB), energy and each delay (relative)."""
    p = predict(row, coef)
    delays = {k: (p["delay_ps"][k] / row["delay_spice_ps"][k] - 1.0) if row["delay_spice_ps"][k] else None
              for k in DELAYS}
    known = [abs(v) for v in delays.values() if v is not None]
    return {"snr_db": p["snr_db"] - row["snr_spice_db"], "snr_analog_db": p["snr_analog_db"] - row["snr_analog_spice_db"],
            "energy_rel": p["energy_fj"] / row["energy_spice_fj"] - 1.0, "delay_rel": delays,
            "delay_rel_max_abs": max(known) if known else None, "model": p}


def assess(rows: list[dict], params: ModelParams) -> dict:
    """Fit on all columns, and for each column its held-out residual (fitted on the others)."""
    coef = fit(rows, params)
    before = {name: float(getattr(params, name)) for name in CALIBRATED}
    for r in rows:
        r["residual_fitted"] = residual(r, coef)
        r["residual_default"] = residual(r, before)
        others = [o for o in rows if o is not r]
        r["fitted_without_this"] = fit(others, params) if others else None
        r["residual_heldout"] = residual(r, r["fitted_without_this"]) if others else None
    return coef


def _flat_figures(rows: list[dict]) -> dict:
    """Per-row and overall figures under the names `bench acim` prints (held out when available)."""
    for r in rows:
        best = r.get("residual_heldout") or r["residual_fitted"]
        r.update(snr_model_db=best["model"]["snr_db"], snr_error_db=best["snr_db"],
                 snr_analog_model_db=r["residual_default"]["model"]["snr_analog_db"],
                 snr_analog_model_fitted_db=r["residual_fitted"]["model"]["snr_analog_db"],
                 energy_model_fj=best["model"]["energy_fj"], energy_rel_error=best["energy_rel"])
    return {"snr_max_abs_db": max(abs(r["snr_error_db"]) for r in rows),
            "energy_max_rel": max(abs(r["energy_rel_error"]) for r in rows)}


def _summary(rows: list[dict], key: str) -> dict:
    got = [r[key] for r in rows if r.get(key)]
    if not got:
        return {}
    snr = [g["snr_db"] for g in got]
    delays = [g["delay_rel_max_abs"] for g in got if g["delay_rel_max_abs"] is not None]
    return {"snr_db_max_abs": max(map(abs, snr)), "snr_db_mean": float(np.mean(snr)),
            "energy_rel_max_abs": max(abs(g["energy_rel"]) for g in got),
            "delay_rel_max_abs": max(delays) if delays else None}


def calibrate(lib: CellLibrary, configs: Sequence[ColumnConfig] = DEFAULT_CONFIGS, *, patterns: int = 24,
              draws: int = 3, seed: int = 0, advance=None, dev: Devices | None = None) -> dict:
    """Run every configuration, take the error apart, fit each term; JSON-ready result."""
    dev = dev or devices(lib)
    params = column_params(lib, dev)
    rng = np.random.default_rng(seed)
    rows, raw = [], {}
    for cfg in configs:
        sims = []
        for _ in range(draws):
            sims.append(simulate_config(cfg, lib, params, patterns, rng, dev))
            if advance:
                advance(1)
        rows.append(compare(cfg, sims, params))
        raw[cfg.label] = [{k: d[k] for k in ("mac", "mac_caps", "code", "code_ideal_comparator", "v_share",
                                              "e_pre_fj", "e_cdac_fj", "residue_lsb", "caps_ff", "v_pre",
                                              "delay_ps")} for d in sims]
    coef = assess(rows, params)
    return {
        "configs": rows, "fitted": {**coef, "k_mismatch_default": ModelParams.from_library(lib).k_mismatch},
        "error": _flat_figures(rows),
        "residuals": residuals({"configs": rows}), "devices": dev.describe(),
        "cells": lib.describe(), "seed": seed, "patterns": patterns, "draws": draws, "raw": raw,
    }


def refit(result: dict, lib: CellLibrary) -> dict:
    """``result`` (a calibration.json) fitted again with the current model terms, from its
    stored measurements (no simulation): units recomputed, coefficients, residuals."""
    dev_info = result.get("devices") or {}
    params = replace(ModelParams.from_library(lib), vdd=float(dev_info.get("vdd", lib.process.vdd)))
    rows = result["configs"]
    for r in rows:
        r["units_mac2"] = noise_units(ColumnConfig(r["n_la"], r["L"], r["B_ADC"], r["cap_mult"]), params)
    coef = assess(rows, params)
    out = dict(result)
    out["fitted"] = {**coef, "k_mismatch_default": ModelParams.from_library(lib).k_mismatch}
    out["residuals"] = residuals({"configs": rows})
    out["error"] = _flat_figures(rows)
    return out


def residuals(result: dict) -> dict:
    """Per-figure residual error of the fitted model against ngspice (what summary.json reports):
    per column, fitted on all columns and held out (fitted on the others), and the extremes."""
    rows = result["configs"]
    per = {}
    for r in rows:
        per[r["label"]] = {
            k: {"snr_db": r[key]["snr_db"], "energy_rel": r[key]["energy_rel"], "delay_rel": r[key]["delay_rel"]}
            for k, key in (("fitted", "residual_fitted"), ("heldout", "residual_heldout"), ("default", "residual_default"))
            if r.get(key)}
    fitted, held = _summary(rows, "residual_fitted"), _summary(rows, "residual_heldout")
    return {
        # the headline numbers: held out when there are >= 2 columns, else the training residual
        "snr_db_max_abs": (held or fitted).get("snr_db_max_abs"),
        "energy_rel_max_abs": (held or fitted).get("energy_rel_max_abs"),
        "delay_rel_max_abs": (held or fitted).get("delay_rel_max_abs"),
        "basis": "held out (each column predicted with coefficients fitted on the others)" if held else "fitted",
        "fitted": fitted, "heldout": held, "uncalibrated": _summary(rows, "residual_default"), "by_config": per,
        "snr_db_by_config": {r["label"]: (r.get("residual_heldout") or r["residual_fitted"])["snr_db"] for r in rows},
        "energy_rel_by_config": {r["label"]: (r.get("residual_heldout") or r["residual_fitted"])["energy_rel"]
                                 for r in rows},
        "comparator_code_agreement": float(np.mean([r["comparator_agreement"] for r in rows])),
        "configs": [r["label"] for r in rows],
    }


def run_calibrate(*, cells: Path | None, seed: int, patterns: int, quick: bool = False, out: Path, quiet: bool,
                  draws: int | None = None, size: str | None = None, pdk: str = "generic",
                  corners: str | None = None) -> dict:
    """CLI flow: validate, simulate (per corner), write calibration.json and summary.json atomically.

    With several corners each gets its own fit and residuals (``corners``); the top-level
    ``fitted`` (what ``explore --calibration`` reads) is the first corner's."""
    from chipsmith.artifacts import staged_output, write_json
    from chipsmith.progress import progress_bar
    from chipsmith.spice.pdk import get_pdk, parse_corners

    if patterns < 4 or patterns > 400:
        raise InputError(f"--patterns {patterns} out of range", fix="use 4..400")
    size = "quick" if quick else (size or "default")
    if size not in CONFIG_SETS:
        raise InputError(f"--size {size!r} is not a configuration set", fix=f"use one of: {', '.join(CONFIG_SETS)}")
    if draws is not None and not 1 <= draws <= 20:
        raise InputError(f"--draws {draws} out of range", fix="use 1..20")
    kit = get_pdk(pdk)  # unknown or not installed: one line, exit 2, before any work
    corner_list = parse_corners(corners, kit)
    lib = load_cells(cells)
    devs = [devices(lib, kit.name, c) for c in corner_list]
    configs = CONFIG_SETS[size]
    draws = draws or (2 if size in ("quick", "large", "full", "default") else 3)
    start = time.perf_counter()
    with staged_output(out) as stage:
        per_corner = {}
        with progress_bar(f"acim calibrate (ngspice, {kit.name})", len(devs) * len(configs) * draws,
                          quiet=quiet) as advance:
            for dev in devs:
                per_corner[dev.corner] = calibrate(lib, configs, patterns=patterns, draws=draws, seed=seed,
                                                   advance=advance, dev=dev)
        result = dict(per_corner[devs[0].corner])
        result["pdk"], result["corners"] = kit.name, {c: {"fitted": r["fitted"], "residuals": r["residuals"],
                                                          "devices": r["devices"], "configs": r["configs"]}
                                                      for c, r in per_corner.items()}
        result["seconds"] = time.perf_counter() - start
        result["size"] = size
        write_json(stage / "calibration.json", result)
        summary = {"command": "acim calibrate", **{k: v for k, v in result.items() if k != "raw"},
                   "files": ["calibration.json", "summary.json"]}
        write_json(stage / "summary.json", summary)
    return summary
