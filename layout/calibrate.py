"""Calibration of the analytical models against ngspice: one column, transistor level.

The netlist is one column of ``N`` local arrays: ``L`` 8T SRAM cells each (the library's
``sram8t`` subcircuit, weights set by initial conditions on the storage nodes), a PMOS
precharge of the local bitline to V_PRE, a sample switch (LBL -> compute capacitor), the
compute capacitor drawn from the capacitor-mismatch distribution (matching coefficient
of the library), a share switch onto the column line, and bottom-plate drivers powered
by the reference supply that make the capacitors the SAR CDAC. Library parasitics are
added as explicit capacitors; the MOSFET cards add their own overlap capacitance and
channel charge (charge injection) on top.

Three transient runs per mismatch draw (after a trim run that sets V_PRE):

1. *MAC pass*: P patterns (row, input bits) with MAC values spread uniformly over the
   range, plus one characterization period per CDAC group (all products 0, then one
   group raised) that measures the zero-input level and each group's actual step, hence
   the comparator threshold. An ideal comparator on these voltages gives reference codes.
2. *Conversion pass*, closed loop: the same patterns converted by the SAR loop around the
   library's transistor-level StrongARM comparator (:func:`sar_loop`); its decisions,
   sampled into a bit register, switch the bottom plates. ngspice gives the codes, the
   energy drawn from the reference supply and the final residue (within about one LSB
   when the decisions were right); the agreement with the ideal-comparator codes is
   reported.

Compared with the models: the SNR of the simulated conversions (codes vs the ideal MAC,
after a single gain/offset trim over all draws) against the model's quantization +
mismatch SNR (the noise terms a noiseless transient contains), and the precharge and
CDAC energy against the model's formulas for the same patterns. The mismatch coefficient
``k_mismatch`` is fitted from the simulated error variance.
"""
from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from chipsmith.errors import InputError, SimulationError
from chipsmith.layout.architecture import Problem
from chipsmith.layout.cells import CellLibrary, load_cells
from chipsmith.layout.models import ModelParams, cdac_conversion, evaluate

# phase timing inside one period (ns)
T_SHARE_OFF, T_BOT_RESET, T_PRE_ON, T_PRE_OFF = 0.0, 0.1, 0.2, 1.0
T_RWL_ON, T_RWL_OFF, T_SAMPLE_OFF, T_SHARE_ON = 1.1, 2.4, 2.6, 2.8
T_MEASURE, T_SAR0, T_SAR_STEP = 3.8, 4.0, 1.0
EDGE = 0.02  # ns, PWL edge


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


SMALL_CONFIGS = (ColumnConfig(8, 1, 2), ColumnConfig(16, 2, 3), ColumnConfig(16, 1, 3, 2), ColumnConfig(32, 1, 4))
# columns of >= 64 cells with 6-8-bit ADCs: what the fitted (default) model is calibrated on
LARGE_CONFIGS = (ColumnConfig(64, 1, 6), ColumnConfig(64, 2, 6, 2), ColumnConfig(128, 1, 7))
FULL_CONFIGS = LARGE_CONFIGS + (ColumnConfig(256, 1, 8),)
QUICK_CONFIGS = (ColumnConfig(8, 1, 2),)
DEFAULT_CONFIGS = LARGE_CONFIGS
CONFIG_SETS = {"quick": QUICK_CONFIGS, "small": SMALL_CONFIGS, "large": LARGE_CONFIGS, "full": FULL_CONFIGS}
SHIPPED_CALIBRATION = Path(__file__).resolve().parent / "cells" / "calibration_default.json"


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
                   sar_threshold_v: float | None = None) -> str:
    """The column netlist body (title, models, subcircuits, instances, sources; no analyses).

    ``bottom_high[g]`` lists the (start, stop) ns intervals in which group g's bottom plates
    are at the reference; periods beyond the patterns are characterization periods.
    """
    vdd = lib.process.vdd
    period = _period(cfg)
    m = evaluate({"H": [cfg.H], "W": [1], "L": [cfg.L], "B_ADC": [cfg.B_ADC], "input_bits_per_cycle": [1],
                  "cap_mult": [cfg.cap_mult]}, params, Problem(max(8, cfg.H), 1))
    # explicit capacitors only for what the MOSFET cards lack: wiring, fringe, and the read
    # ports' junctions (level-1 cards here carry no junction area); switch and precharge
    # devices bring their own overlap and channel capacitance.
    c_lbl = cfg.L * params.c_rbl
    c_top = cfg.cap_mult * params.c_top_par
    c_cl = float(m["array_h"][0]) * params.wire_cap_ff_per_um + params.c_cmp_in
    v_pre = float(m["v_pre"][0]) if v_pre is None else v_pre
    n, P = cfg.n_la, len(pats.rows)
    lines = [f"* chipsmith acim calibration column N={n} L={cfg.L} B={cfg.B_ADC} cap_mult={cfg.cap_mult}",
             lib.process.spice_models.strip()]
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
        lines += sar_loop(cfg, n_periods, sar_threshold_v, vdd, float(m["c_t"][0]))
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
    return "\n".join(lines) + "\n"


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
    lines = [".model sarsw sw(vt=0.5 vh=0.05 ron=200 roff=1e12)", f"vthr vthr 0 {threshold_v:.6g}",
             "rthr vthr refn 100k", f"cref refn 0 {c_node_ff:.6g}f", ".ic v(refn)=" + f"{threshold_v:.6g}",
             "xcmp cl refn cclk outp outn vdd 0 comparator",
             f"boutn outnb 0 v = (v(outn) > v(outp)) ? {vdd} : 0",
             f"vrst rst 0 {_pulses([(k * period + 0.02, k * period + 0.12) for k in range(n_periods)], vdd)}"]
    clk = []
    for j in range(cfg.B_ADC):
        starts = [k * period + T_SAR0 + j * T_SAR_STEP for k in range(n_periods)]
        clk += [(t + 0.30, t + 0.95) for t in starts]
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
                    trusted=True, timeout_s=600.0)


def _at(t: np.ndarray, y: np.ndarray, when_ns: float) -> float:
    return float(np.interp(when_ns * 1e-9, t, y))


def _charge(t: np.ndarray, i: np.ndarray, a_ns: float, b_ns: float) -> float:
    """Charge (C) delivered by a source between two times (ngspice's source current is negative when supplying)."""
    mask = (t >= a_ns * 1e-9) & (t <= b_ns * 1e-9)
    return float(-np.trapezoid(i[mask], t[mask])) if mask.sum() > 1 else 0.0


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
                    rng: np.random.Generator) -> dict:
    """Three ngspice runs for one mismatch draw: trim, MAC, conversion replay.

    Trim: with every weight 1, one period with all inputs 1 (MAC = N) and B+1 periods
    with inputs 0 (one CDAC group raised in each) give the per-MAC drop and the unit step;
    V_PRE is scaled so that the signal range equals the CDAC range (what the design's
    precharge reference trim does). MAC: the patterns, then B+1 characterization periods
    (zero level and each group's step at the trimmed V_PRE). Replay: the SAR sequences.
    """
    pats = make_patterns(cfg, n_patterns, rng)
    cu = cfg.cap_mult * params.c_unit
    sigma = params.match_pct / 100.0 / math.sqrt(cu)
    caps = cu * (1.0 + sigma * rng.standard_normal(cfg.n_la))
    period = _period(cfg)
    B = cfg.B_ADC
    groups = cdac_groups(cfg)
    G = len(groups)
    P = n_patterns
    vdd = lib.process.vdd
    m = model_column(cfg, params)
    seconds = 0.0

    def char_periods(first: int) -> list[list[tuple[float, float]]]:
        return [[((first + j) * period + T_SAR0, (first + j + 1) * period - 0.15)] for j in range(G)]

    def measure(res, k: int) -> tuple[float, float]:
        t, v = res.tran.x, res.tran.get("v(cl)")
        return _at(t, v, k * period + T_MEASURE), _at(t, v, (k + 1) * period - 0.2)

    # run 0: trim
    ones = Patterns(np.zeros(1 + G, int), np.vstack([np.ones((1, cfg.n_la), int), np.zeros((G, cfg.n_la), int)]),
                    np.ones((cfg.n_la, cfg.L), int), np.vstack([np.ones((1, cfg.n_la), int), np.zeros((G, cfg.n_la), int)]))
    res0 = _simulate(column_netlist(cfg, lib, params, ones, caps, char_periods(1), 1 + G, m["v_pre"]), (1 + G) * period)
    seconds += res0.seconds
    v_full = measure(res0, 0)[0]
    zero = [measure(res0, 1 + j) for j in range(G)]
    v0 = float(np.mean([z[0] for z in zero]))
    unit = float(sum(z[1] - z[0] for z in zero)) / cfg.n_la
    drop = (v0 - v_full) / cfg.n_la
    if not (drop > 0 and unit > 0):
        raise SimulationError(f"calibration column N={cfg.n_la} did not respond (drop {drop:.3g} V, step {unit:.3g} V)",
                              fix="check the cell library's SPICE subcircuits and process models")
    v_pre = m["v_pre"] * unit / drop
    # run 1: MAC patterns + characterization at the trimmed V_PRE
    n_periods = P + G
    all_pats = Patterns(np.concatenate([pats.rows, np.zeros(G, int)]),
                        np.concatenate([pats.inputs, np.zeros((G, cfg.n_la), int)]), pats.weights,
                        np.concatenate([pats.products, np.zeros((G, cfg.n_la), int)]))
    res1 = _simulate(column_netlist(cfg, lib, params, all_pats, caps, char_periods(P), n_periods, v_pre),
                     n_periods * period)
    seconds += res1.seconds
    meas = [measure(res1, k) for k in range(n_periods)]
    v_share = np.array([x[0] for x in meas])
    v0 = float(v_share[P:].mean())
    steps = np.array([meas[P + j][1] - meas[P + j][0] for j in range(G)])
    thr = sar_threshold(v0, steps, cfg.n_la)
    bits = sar_decisions(v_share[:P], thr, steps)
    codes = bits @ (2 ** np.arange(B - 1, -1, -1))
    # run 2: the conversions, closed loop: the library's transistor comparator decides every bit
    res2 = _simulate(column_netlist(cfg, lib, params, pats, caps, [[] for _ in groups], P, v_pre, sar_threshold_v=thr),
                     P * period, extra=[f"v(bit{j})" for j in range(B)])
    seconds += res2.seconds
    t2, vcl2 = res2.tran.x, res2.tran.get("v(cl)")
    bits_spice = np.array([[_at(t2, res2.tran.get(f"v(bit{j})"), (k + 1) * period - 0.2) > vdd / 2 for j in range(B)]
                           for k in range(P)], dtype=int)
    codes_ideal = codes
    v_share_loop = np.array([_at(t2, vcl2, k * period + T_MEASURE) for k in range(P)])
    codes = bits_spice @ (2 ** np.arange(B - 1, -1, -1))
    ipre, iref = res2.tran.get("i(vpre)"), res2.tran.get("i(vref)")
    # both supplies are charged at VDD (V_PRE comes from VDD through its reference)
    e_pre = np.array([vdd * _charge(t2, ipre, k * period + T_PRE_ON - 0.05, k * period + T_SAMPLE_OFF) for k in range(P)])
    e_cdac = np.array([vdd * _charge(t2, iref, k * period + T_SAR0 - 0.05, (k + 1) * period - 0.1) for k in range(P)])
    residue = np.array([_at(t2, vcl2, (k + 1) * period - 0.2) for k in range(P)]) - thr
    return {"mac": pats.products.sum(axis=1), "code": codes, "code_ideal_comparator": codes_ideal,
            "v_share_loop": v_share_loop, "v_share_run1": v_share[:P], "threshold_v": thr, "v_share": v_share[:P] - v0, "e_pre_fj": e_pre * 1e15, "e_cdac_fj": e_cdac * 1e15,
            "residue_lsb": residue / steps[-1], "steps_v": steps, "v0": v0, "v_pre": v_pre, "caps_ff": caps,
            "seconds": seconds,
            # the first pattern's precharge starts from 0 V (uic), not from a previous cycle
            "valid_energy": np.arange(P) > 0}


def model_column(cfg: ColumnConfig, params: ModelParams) -> dict:
    """The model's view of the same column (W = 1)."""
    m = evaluate({"H": [cfg.H], "W": [1], "L": [cfg.L], "B_ADC": [cfg.B_ADC], "input_bits_per_cycle": [1],
                  "cap_mult": [cfg.cap_mult]}, params, Problem(max(8, cfg.H), 1))
    return {k: float(v[0]) for k, v in m.items()}


def compare(cfg: ColumnConfig, draws: list[dict], params: ModelParams) -> dict:
    """SNR and energy of the simulated column against the model; mismatch coefficient estimate."""
    mac = np.concatenate([d["mac"] for d in draws]).astype(float)
    code = np.concatenate([d["code"] for d in draws]).astype(float)
    A = np.stack([code, np.ones_like(code)], axis=1)
    coef, *_ = np.linalg.lstsq(A, mac, rcond=None)  # one gain/offset trim for the design
    err = mac - A @ coef
    n = cfg.n_la
    p_sig = n ** 2 / 12.0  # uniform MAC over the full scale, in MAC units (as in the model)
    mse = float(np.mean(err ** 2))
    m = model_column(cfg, params)
    to_mac = (n / m["fs_v"]) ** 2  # V² on the column line -> MAC units²
    q_mac, mis_mac = m["n_quant"] * to_mac, m["n_mismatch"] * to_mac
    snr_spice = 10 * math.log10(p_sig / max(mse, 1e-12))
    snr_model = 10 * math.log10(p_sig / max(q_mac + mis_mac, 1e-12))
    # analog view: the simulated column-line voltage before quantization, trimmed the same way
    volts = np.concatenate([d["v_share"] for d in draws])
    Av = np.stack([volts, np.ones_like(volts)], axis=1)
    coef_v, *_ = np.linalg.lstsq(Av, mac, rcond=None)
    mse_analog = float(np.mean((mac - Av @ coef_v) ** 2))
    snr_analog_spice = 10 * math.log10(p_sig / max(mse_analog, 1e-12))
    snr_analog_model = 10 * math.log10(p_sig / max(mis_mac, 1e-12))
    unit_mis = mis_mac / params.k_mismatch
    vdd = params.vdd
    e_pre_model, e_cdac_model, e_pre_spice, e_cdac_spice = [], [], [], []
    for d in draws:
        k = d["mac"].astype(float)
        k_prev = np.concatenate([[0.0], k[:-1]])
        v_share_prev = m["v_pre"] * (n - k_prev) * m["c_s"] / m["c_t"]
        e_pre = vdd * (n * m["c_s"] * (m["v_pre"] - v_share_prev) + k_prev * m["c_lbl"] * m["v_pre"])
        _c, e_rel = cdac_conversion(cfg.B_ADC, 1.0 - k / n, m["c_t"] / (n * m["cu"]))
        ok = d["valid_energy"]
        e_pre_model.append(e_pre[ok])
        # + bottom-plate parasitics: every group is raised once per conversion
        e_bot = n * (1.0 - 2.0 ** -cfg.B_ADC) * cfg.cap_mult * params.c_bot_par * vdd ** 2
        e_cdac_model.append((e_rel * n * m["cu"] * vdd ** 2 + e_bot)[ok])
        e_pre_spice.append(d["e_pre_fj"][ok])
        e_cdac_spice.append(d["e_cdac_fj"][ok])
    ep_m, ec_m = float(np.mean(np.concatenate(e_pre_model))), float(np.mean(np.concatenate(e_cdac_model)))
    ep_s, ec_s = float(np.mean(np.concatenate(e_pre_spice))), float(np.mean(np.concatenate(e_cdac_spice)))
    residues = np.concatenate([d["residue_lsb"] for d in draws])
    agree = float(np.mean(np.concatenate([d["code"] == d["code_ideal_comparator"] for d in draws])))
    return {
        **asdict(cfg), "patterns": int(len(mac)), "draws": len(draws),
        "snr_spice_db": snr_spice, "snr_model_db": snr_model, "snr_error_db": snr_model - snr_spice,
        "mse_mac2": mse, "model_quant_mac2": q_mac, "model_mismatch_mac2": mis_mac,
        "snr_analog_spice_db": snr_analog_spice, "snr_analog_model_db": snr_analog_model,
        "mse_analog_mac2": mse_analog,
        "k_mismatch_estimate": mse_analog / unit_mis if unit_mis > 0 else float("nan"),
        "energy_spice_fj": ep_s + ec_s, "energy_model_fj": ep_m + ec_m, "energy_rel_error": (ep_m + ec_m) / (ep_s + ec_s) - 1.0,
        "e_precharge_spice_fj": ep_s, "e_precharge_model_fj": ep_m, "e_cdac_spice_fj": ec_s, "e_cdac_model_fj": ec_m,
        "residue_lsb_min": float(residues.min()), "residue_lsb_max": float(residues.max()),
        "comparator_agreement": agree,
        "v_pre_model": m["v_pre"], "v_pre_trimmed": float(np.mean([d["v_pre"] for d in draws])),
        "gain_trim": float(coef[0]) / (n / 2 ** cfg.B_ADC), "spice_seconds": float(sum(d["seconds"] for d in draws)),
    }


def calibrate(lib: CellLibrary, configs: Sequence[ColumnConfig] = DEFAULT_CONFIGS, *, patterns: int = 24,
              draws: int = 3, seed: int = 0, advance=None) -> dict:
    """Run every configuration, compare with the models, fit ``k_mismatch``; JSON-ready result."""
    params = ModelParams.from_library(lib)
    rng = np.random.default_rng(seed)
    rows = []
    for cfg in configs:
        sims = []
        for _ in range(draws):
            sims.append(simulate_config(cfg, lib, params, patterns, rng))
            if advance:
                advance(1)
        rows.append(compare(cfg, sims, params))
    ks = [r["k_mismatch_estimate"] for r in rows if np.isfinite(r["k_mismatch_estimate"]) and r["k_mismatch_estimate"] > 0]
    k_fit = float(np.exp(np.mean(np.log(ks)))) if ks else params.k_mismatch
    fitted = ModelParams.from_library(lib, k_mismatch=k_fit)
    for r, cfg in zip(rows, configs):
        m = model_column(cfg, fitted)
        to_mac = (cfg.n_la / m["fs_v"]) ** 2
        r["snr_model_fitted_db"] = 10 * math.log10(cfg.n_la ** 2 / 12.0 / ((m["n_quant"] + m["n_mismatch"]) * to_mac))
        r["snr_error_fitted_db"] = r["snr_model_fitted_db"] - r["snr_spice_db"]
        r["snr_analog_model_fitted_db"] = 10 * math.log10(cfg.n_la ** 2 / 12.0 / (m["n_mismatch"] * to_mac))
    return {
        "configs": rows,
        "fitted": {"k_mismatch": k_fit, "k_mismatch_default": params.k_mismatch},
        "error": {"snr_max_abs_db": max(abs(r["snr_error_db"]) for r in rows),
                  "snr_max_abs_fitted_db": max(abs(r["snr_error_fitted_db"]) for r in rows),
                  "energy_max_rel": max(abs(r["energy_rel_error"]) for r in rows),
                  "residue_lsb_range": [min(r["residue_lsb_min"] for r in rows), max(r["residue_lsb_max"] for r in rows)]},
        "cells": lib.describe(), "seed": seed, "patterns": patterns, "draws": draws,
    }


def residuals(result: dict) -> dict:
    """Per-figure residual error of the fitted model against ngspice (what summary.json reports)."""
    rows = result["configs"]
    return {
        "snr_db_max_abs": max(abs(r["snr_error_fitted_db"]) for r in rows),
        "snr_db_by_config": {f"N{r['n_la']}_L{r['L']}_B{r['B_ADC']}_c{r['cap_mult']}": r["snr_error_fitted_db"]
                             for r in rows},
        "energy_rel_max_abs": max(abs(r["energy_rel_error"]) for r in rows),
        "energy_rel_by_config": {f"N{r['n_la']}_L{r['L']}_B{r['B_ADC']}_c{r['cap_mult']}": r["energy_rel_error"]
                                 for r in rows},
        "comparator_code_agreement": float(np.mean([r.get("comparator_agreement", float("nan")) for r in rows])),
        "configs": [f"N{r['n_la']}_L{r['L']}_B{r['B_ADC']}_c{r['cap_mult']}" for r in rows],
    }


def run_calibrate(*, cells: Path | None, seed: int, patterns: int, quick: bool = False, out: Path, quiet: bool,
                  draws: int | None = None, size: str | None = None) -> dict:
    """CLI flow: validate, simulate, write calibration.json and summary.json atomically."""
    from chipsmith.artifacts import staged_output, write_json
    from chipsmith.progress import progress_bar

    if patterns < 4 or patterns > 400:
        raise InputError(f"--patterns {patterns} out of range", fix="use 4..400")
    size = "quick" if quick else (size or "large")
    if size not in CONFIG_SETS:
        raise InputError(f"--size {size!r} is not a configuration set", fix=f"use one of: {', '.join(CONFIG_SETS)}")
    lib = load_cells(cells)
    configs = CONFIG_SETS[size]
    draws = draws or (2 if size in ("quick", "large", "full") else 3)
    start = time.perf_counter()
    with staged_output(out) as stage:
        with progress_bar("acim calibrate (ngspice)", len(configs) * draws, quiet=quiet) as advance:
            result = calibrate(lib, configs, patterns=patterns, draws=draws, seed=seed, advance=advance)
        result["seconds"] = time.perf_counter() - start
        result["size"] = size
        result["residuals"] = residuals(result)
        write_json(stage / "calibration.json", result)
        summary = {"command": "acim calibrate", **result, "files": ["calibration.json", "summary.json"]}
        write_json(stage / "summary.json", summary)
    return summary
