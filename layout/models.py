"""Analytical SNR, throughput, energy and area models of the ACIM macro (vectorized).

Every function takes design variables as numpy arrays, so one call evaluates a whole GA
population. The numbers come only from the cell library (:class:`ModelParams` is its
flat, picklable digest) plus two fitted coefficients that :mod:`chipsmith.layout.calibrate`
checks against ngspice: ``k_mismatch`` (how capacitor mismatch turns into MAC error in
charge sharing + CDAC) and the parasitic estimates.

Conventions: capacitances fF, times ps, energies fJ, areas µm². Signal: the MAC output
is taken as uniformly distributed over the ADC full scale (power FS²/12), the usual
assumption in ACIM SNR analyses; real activations are sparser and give lower SNR.
Deterministic errors (gain and offset from parasitics and the mean charge injection)
are linear in the MAC value and assumed trimmed by the reference/offset calibration;
only their random parts count as noise.
"""
from __future__ import annotations

import functools
from dataclasses import asdict, dataclass, replace
from typing import Mapping

import numpy as np

from chipsmith.layout.architecture import DEFAULTS, Problem, column_pitch, geometry, structural_violation
from chipsmith.layout.cells import CellLibrary

K_BOLTZMANN = 1.380649e-23


@dataclass(frozen=True)
class ModelParams:
    """The numbers of a cell library that the models need (flat, picklable, hashable)."""

    vdd: float
    temperature_k: float
    feature_nm: float
    wire_cap_ff_per_um: float
    # geometry (µm)
    col_pitch: float
    cell_h: float
    pre_h: float
    sw_h: float
    cap_h: float
    drv_w: float
    pwm_width_per_bit: float
    cmp_h: float
    sar_h: float
    ctrl_w: float
    ctrl_h: float
    ctrl_area: float
    # capacitances (fF)
    c_unit: float
    c_top_par: float
    c_bot_par: float
    c_rbl: float
    c_rwl: float
    c_sw_j: float
    c_sw_g: float
    c_pre_j: float
    c_pre_g: float
    c_drv_in: float
    c_cmp_in: float
    # energies (fJ)
    e_drv: float
    e_pwm_bit: float
    e_cmp: float
    e_sar_bit: float
    e_ctrl: float
    # timing (ps, ohm)
    t_pre: float
    t_drv: float
    t_sw: float
    t_cmp: float
    t_sar: float
    t_ctrl: float
    read_ps_per_ff: float
    pwm_unit_ps: float
    r_pre: float
    r_sw: float
    r_drv: float
    # noise and matching
    match_pct: float
    q_inj_fc: float
    inj_mismatch: float
    cmp_noise_v: float
    pwm_sigma_lsb: float
    # leakage (nW)
    leak_cell: float
    leak_drv: float
    leak_col: float
    leak_sar: float
    leak_ctrl: float
    # layout template (µm, from the rule deck via chipsmith.layout.leafcells): CDAC channel
    # track pitch and margin right of each column, left spine, strap region at the right
    chan_track: float = 0.14
    chan_margin: float = 0.07
    spine_w: float = 1.2
    strap_w: float = 0.9
    # design-space variants (issue 13; from the optional library kinds, else these stand-ins,
    # which the explorer never uses because a library without the kind collapses that axis)
    read_leak: float = 1.0  # nA, off-current of one unaccessed 8T read stack into its LBL
    cell10_h: float = 1.1
    c_rbl10: float = 0.15
    c_rwl10: float = 0.35
    read10_ps_per_ff: float = 95.0
    read10_leak: float = 0.05
    leak_cell10: float = 0.006
    mim_h: float = 1.9
    mim_space: float = 0.84  # capm spacing: the plate is inset by half of it on every side
    mim_min_pitch: float = 1.84
    mim_density: float = 2.0  # fF/µm²
    mim_match: float = 0.45
    mim_top_par: float = 0.04
    mim_bot_par: float = 0.15
    fcmp_h: float = 6.0
    c_fcmp_in: float = 1.0
    e_fcmp: float = 8.0
    t_fcmp: float = 150.0
    fcmp_noise_v: float = 400e-6
    fcmp_offset_v: float = 6e-3
    ladder_ohm: float = 20000.0
    leak_fcmp: float = 0.05
    # column mux (issue 13; from the library's col_mux cell): one TG per column onto the ADC
    # input that k columns share
    mux_h: float = 2.5
    c_mux_j: float = 0.45
    c_mux_g: float = 0.12
    r_mux: float = 4000.0
    q_mux_fc: float = 0.06
    mux_inj_mismatch: float = 0.2
    t_mux: float = 20.0
    # fitted
    k_mismatch: float = 1.0 / 3.0
    n_ktc: float = 2.0
    # fitted by `acim calibrate` against ngspice (chipsmith.layout.calibrate), each from its own
    # part of the simulated error (see calibration_noise); the defaults are the uncalibrated
    # model: 0 for the effects the library has no number for, 1 for the delay multipliers
    k_bow: float = 0.0  # bowed charge-sharing transfer (switch channel charge follows the shared voltage)
    k_analog: float = 0.0  # remaining pattern-dependent analog error of the charge sharing
    k_cmp: float = 0.0  # transistor comparator's decision error (kickback onto the column line)
    c_drv_par: float = 0.0  # fF per raised unit capacitor: the bottom-plate drivers' own capacitance
    k_t_read: float = 1.0  # local-bitline discharge time x this
    k_t_share: float = 1.0  # charge-sharing settling time x this
    k_t_cmp: float = 1.0  # comparator decision time x this

    @classmethod
    def from_library(cls, lib: CellLibrary, **fitted: float) -> "ModelParams":
        g = lib.get
        cell, cap, sw, pre = g("sram8t"), g("compute_cap"), g("sample_switch"), g("precharge")
        drv, cmp_, sar, ctrl = g("wl_driver"), g("comparator"), g("sar_logic"), g("timing_ctrl")
        pitch = max(cell.width, cap.width, sw.width, pre.width, cmp_.width, sar.width)
        return cls(
            vdd=lib.process.vdd, temperature_k=lib.process.temperature_k, feature_nm=lib.process.feature_nm,
            wire_cap_ff_per_um=lib.process.wire_cap_ff_per_um,
            col_pitch=pitch, cell_h=cell.height, pre_h=pre.height, sw_h=sw.height, cap_h=cap.height,
            drv_w=drv.width, pwm_width_per_bit=drv.params["pwm_width_per_bit_um"], cmp_h=cmp_.height,
            sar_h=sar.height, ctrl_w=ctrl.width, ctrl_h=ctrl.height, ctrl_area=ctrl.area_um2,
            c_unit=cap.capacitance_ff["unit"], c_top_par=cap.capacitance_ff["top_parasitic"],
            c_bot_par=cap.capacitance_ff["bottom_parasitic"], c_rbl=cell.capacitance_ff["rbl"],
            c_rwl=cell.capacitance_ff["rwl"], c_sw_j=sw.capacitance_ff["junction"], c_sw_g=sw.capacitance_ff["gate"],
            c_pre_j=pre.capacitance_ff["junction"], c_pre_g=pre.capacitance_ff["gate"],
            c_drv_in=drv.capacitance_ff["input"], c_cmp_in=cmp_.capacitance_ff["input"],
            e_drv=drv.energy_fj["switch"], e_pwm_bit=drv.params["pwm_energy_per_bit_fj"],
            e_cmp=cmp_.energy_fj["compare"], e_sar_bit=sar.energy_fj["bit"], e_ctrl=ctrl.energy_fj["cycle"],
            t_pre=pre.delay_ps, t_drv=drv.delay_ps, t_sw=sw.delay_ps, t_cmp=cmp_.delay_ps, t_sar=sar.delay_ps,
            t_ctrl=ctrl.delay_ps, read_ps_per_ff=cell.params.get("read_ps_per_ff", 60.0),
            pwm_unit_ps=drv.params["pwm_unit_ps"], r_pre=pre.params["ron_ohm"], r_sw=sw.params["ron_ohm"],
            r_drv=drv.params["ron_ohm"], match_pct=cap.params["matching_pct_sqrt_ff"],
            q_inj_fc=sw.params["channel_charge_fc"], inj_mismatch=sw.params["injection_mismatch"],
            cmp_noise_v=cmp_.params["noise_uv_rms"] * 1e-6, pwm_sigma_lsb=drv.params["pwm_sigma_lsb"],
            leak_cell=cell.leakage_nw, leak_drv=drv.leakage_nw, leak_col=cmp_.leakage_nw, leak_sar=sar.leakage_nw,
            leak_ctrl=ctrl.leakage_nw, read_leak=cell.params.get("read_leak_na", 1.0), **_template(lib),
            **_variants(lib), **fitted,
        )

    def to_dict(self) -> dict:
        return asdict(self)


def _variants(lib: CellLibrary) -> dict[str, float]:
    """The numbers of the optional variant cells the library has (see :data:`cells.OPTIONAL`)."""
    out: dict[str, float] = {}
    if lib.has("sram10t"):
        c = lib.get("sram10t")
        out.update(cell10_h=c.height, c_rbl10=c.capacitance_ff["rbl"], c_rwl10=c.capacitance_ff["rwl"],
                   read10_ps_per_ff=c.params.get("read_ps_per_ff", 60.0), read10_leak=c.params["read_leak_na"],
                   leak_cell10=c.leakage_nw)
    if lib.has("mim_cap"):
        from chipsmith.layout.leafcells_variants import mim_min_pitch, mim_rules
        from chipsmith.layout.rules import load_rules

        c = lib.get("mim_cap")
        deck = load_rules()
        out.update(mim_h=c.height, mim_space=mim_rules(deck)[1], mim_min_pitch=mim_min_pitch(deck),
                   mim_density=c.params["density_ff_um2"], mim_match=c.params["matching_pct_sqrt_ff"],
                   mim_top_par=c.capacitance_ff["top_parasitic"], mim_bot_par=c.capacitance_ff["bottom_parasitic"])
    if lib.has("flash_comparator"):
        c = lib.get("flash_comparator")
        out.update(fcmp_h=c.height, c_fcmp_in=c.capacitance_ff["input"], e_fcmp=c.energy_fj["compare"],
                   t_fcmp=c.delay_ps, fcmp_noise_v=c.params["noise_uv_rms"] * 1e-6,
                   fcmp_offset_v=c.params["offset_mv_sigma"] * 1e-3, ladder_ohm=c.params["ladder_ohm"],
                   leak_fcmp=c.leakage_nw)
    if lib.has("col_mux"):
        c = lib.get("col_mux")
        out.update(mux_h=c.height, c_mux_j=c.capacitance_ff["junction"], c_mux_g=c.capacitance_ff["gate"],
                   r_mux=c.params["ron_ohm"], q_mux_fc=c.params["channel_charge_fc"],
                   mux_inj_mismatch=c.params["injection_mismatch"], t_mux=c.delay_ps)
    return out


def mim_unit_ff(pitch: np.ndarray, p: ModelParams) -> np.ndarray:
    """Capacitance (fF) of one MIM unit drawn at the column pitch: the capm plate is the cell
    inset by half the capm spacing on every side (what leafcells_variants draws)."""
    return p.mim_density * (pitch - p.mim_space) * (p.mim_h - p.mim_space)


def select_types(v: Mapping[str, np.ndarray], p: ModelParams) -> ModelParams:
    """Per design, the cell numbers of its bitcell, capacitor and ADC type (fields become arrays).

    8T/10T: bitline and word-line loads, read speed, leakage; MOM/MIM: unit capacitance (the
    MIM's from its drawn plate), matching and parasitics; SAR/flash: the comparator the
    column line sees (2**B - 1 flash comparators load it in parallel), its speed, energy,
    noise and leakage (per comparator; the energy model multiplies by their number)."""
    B = np.asarray(v["B_ADC"], float)
    t10, mim, flash = (np.asarray(v.get(k, 0)) == 1 for k in ("bitcell", "cap_type", "adc_type"))
    m = 2.0 ** B - 1.0
    return replace(
        p, c_rbl=np.where(t10, p.c_rbl10, p.c_rbl), c_rwl=np.where(t10, p.c_rwl10, p.c_rwl),
        read_ps_per_ff=np.where(t10, p.read10_ps_per_ff, p.read_ps_per_ff),
        leak_cell=np.where(t10, p.leak_cell10, p.leak_cell), read_leak=np.where(t10, p.read10_leak, p.read_leak),
        c_unit=np.where(mim, mim_unit_ff(column_pitch(v, p), p), p.c_unit),
        c_top_par=np.where(mim, p.mim_top_par, p.c_top_par), c_bot_par=np.where(mim, p.mim_bot_par, p.c_bot_par),
        match_pct=np.where(mim, p.mim_match, p.match_pct),
        c_cmp_in=np.where(flash, m * p.c_fcmp_in, p.c_cmp_in), t_cmp=np.where(flash, p.t_fcmp, p.t_cmp),
        e_cmp=np.where(flash, p.e_fcmp, p.e_cmp), cmp_noise_v=np.where(flash, p.fcmp_noise_v, p.cmp_noise_v),
        leak_col=np.where(flash, m * p.leak_fcmp, p.leak_col))


def type_noise(v: Mapping[str, np.ndarray], p: ModelParams, problem: Problem, caps: Mapping[str, np.ndarray],
               n: np.ndarray, t_compute_ps: np.ndarray) -> dict[str, np.ndarray]:
    """Noise powers (V², at the column line) that only the type axes bring.

    ``n_leak``: during the compute phase the L-1 unaccessed read stacks of a local array
    leak its bitline; which of them leak depends on their weights (a stack conducts when
    its QB is high), so the droop varies with the data: per local array a binomial count
    of (L-1) cells at the weight activity, each removing I_off*t; shared onto the column
    line over C_t. A low-Vt read port leaks more; the 10T read buffer about 20x less.
    ``n_offset``: a flash comparator is not auto-zeroed: each threshold sits off by its
    offset (sigma per comparator), which moves the code transitions like noise does.
    """
    L = np.asarray(v["L"], float)
    lvt = np.asarray(v.get("read_vt", 0), float) > 0
    w = problem.weight_activity
    i_off = p.read_leak * 1e-9 * np.where(lvt, LVT_LEAK, 1.0) * (np.asarray(p.vdd, float) / VDD_REF)
    dv = i_off * t_compute_ps * 1e-12 / (caps["c_t"] * 1e-15)
    leak = n * np.maximum(L - 1.0, 0.0) * w * (1.0 - w) * dv ** 2
    flash = np.asarray(v.get("adc_type", 0)) == 1
    offset = np.where(flash, p.fcmp_offset_v ** 2 / (np.asarray(v.get("cmp_size", 2), float) / 2.0), 0.0)
    return {"n_leak": leak, "n_offset": offset}


def mux_noise(v: Mapping[str, np.ndarray], p: ModelParams, caps: Mapping[str, np.ndarray],
              lsb: np.ndarray) -> dict[str, np.ndarray]:
    """Noise powers (V², at the converted node) that the column mux adds (k > 1).

    ``n_mux_injection``: the mux TG of the selected column closes onto the held column line;
    the mean of its channel charge is a fixed offset (trimmed), its random part (the library's
    injection mismatch, as for the sample switch) is noise: (mismatch x q_mux / C_t)².
    ``n_mux_crosstalk``: the bus keeps the previous column's last SAR level (within half an LSB of
    the threshold, uniformly) and shares it with the next column: (C_bus / C_t)² LSB²/12.
    Not modelled: kT/C (closing a switch between two floating nodes samples nothing new), the
    droop of the columns that wait up to k-1 conversions (junction leakage; not in the library),
    the bus attenuation C_t/(C_t + C_bus) (a gain, trimmed like the others).
    """
    k = np.asarray(v.get("col_mux", 1), float)
    c_t = caps["c_t"]
    inj = np.where(k > 1, (p.mux_inj_mismatch * p.q_mux_fc / c_t) ** 2, 0.0)
    xtalk = np.where(k > 1, (caps["c_bus"] / c_t) ** 2 * lsb ** 2 / 12.0, 0.0)
    return {"n_mux_injection": inj, "n_mux_crosstalk": xtalk}


def _template(lib: CellLibrary) -> dict[str, float]:
    """The layout template's dimensions for the default rule deck (what `acim build` draws)."""
    from chipsmith.layout.leafcells import Template, spine_width
    from chipsmith.layout.macro import STRAP_REGION
    from chipsmith.layout.rules import load_rules

    t = Template.from_deck(load_rules(), lib.get("sram8t").width)
    return {"chan_track": t.chan_pitch, "chan_margin": t.chan_width(0) - t.chan_pitch, "spine_w": spine_width(t),
            "strap_w": STRAP_REGION}


# --- CDAC switching energy (exact, conventional SAR switching) ------------------------------

def cdac_conversion(bits: int, u: np.ndarray, ratio: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Exact charge bookkeeping of one conventional SAR conversion on a binary CDAC.

    Top-plate sampling: the top plate starts at the input (``u`` in [0, 1] of the DAC
    full scale VDD*C_dac/C_total) with every bottom plate low; groups C/2, C/4, ...,
    C/2**B (+ a dummy C/2**B) are tried MSB first: raised to VDD, kept if the top plate
    stays at or below the full-scale threshold, reset otherwise. ``ratio`` = C_total/C_dac
    >= 1 accounts for the parasitic capacitance on the top plate (it makes each raise
    cost more because the top plate follows less). Returns (code, energy drawn from VDD
    in units of C_dac * VDD²) per input.
    """
    u = np.atleast_1d(np.asarray(u, float))
    n = len(u)
    caps = np.array([2.0 ** -(j + 1) for j in range(bits)] + [2.0 ** -bits])  # sums to 1
    vb = np.zeros((n, bits + 1))
    vtop = u / ratio
    charge = vtop.copy()  # ratio*V_top - sum(c_i V_b,i), scaled by 1/ratio, conserved while floating
    energy = np.zeros(n)
    code = np.zeros(n, dtype=np.int64)

    def step(new_vb: np.ndarray) -> None:
        nonlocal vb, vtop
        new_top = charge + (new_vb @ caps) / ratio
        high = new_vb > 0.5
        delta = (new_vb - new_top[:, None]) - (vb - vtop[:, None])
        energy[:] += np.sum(np.where(high, caps * delta, 0.0), axis=1)
        vb, vtop = new_vb, new_top

    for j in range(bits):
        trial = vb.copy()
        trial[:, j] = 1.0
        step(trial)
        keep = vtop <= 1.0 / ratio + 1e-12
        code += keep.astype(np.int64) << (bits - 1 - j)
        if not keep.all():
            back = vb.copy()
            back[~keep, j] = 0.0
            step(back)
    return code, energy


@functools.lru_cache(maxsize=None)
def cdac_energy_factor(bits: int, ratio: float = 1.0, samples: int = 0) -> float:
    """Average energy of one B-bit conversion in units of C_dac * VDD², inputs uniform over
    the full scale (see :func:`cdac_conversion`). Hand check: B = 1, no parasitic gives
    exactly 1/4 (raising half of C against a floating top plate that moves by VDD/2 draws
    C/2 * VDD/2 * VDD)."""
    n = samples or min(4 * 2 ** bits, 4096)
    return float(cdac_conversion(bits, (np.arange(n) + 0.5) / n, ratio)[1].mean())


# Energy factor table over bits and 1/ratio (linear in 1/ratio to within 1e-3; interpolated).
_INV_RATIO = np.linspace(0.0, 1.0, 33)
_CDAC_TABLE = np.array([[0.0] * len(_INV_RATIO)] + [[cdac_energy_factor(b, 1.0 / max(x, 1e-6)) for x in _INV_RATIO]
                                                     for b in range(1, 13)])


def cdac_energy(bits: np.ndarray, ratio: np.ndarray) -> np.ndarray:
    """Vectorized :func:`cdac_energy_factor` (interpolated in 1/ratio)."""
    bits = np.asarray(bits, int)
    x = np.clip(1.0 / np.asarray(ratio, float), 0.0, 1.0)
    pos = x * (len(_INV_RATIO) - 1)
    lo = np.clip(np.floor(pos).astype(int), 0, len(_INV_RATIO) - 2)
    w = pos - lo
    return _CDAC_TABLE[bits, lo] * (1 - w) + _CDAC_TABLE[bits, lo + 1] * w


# --- the models ---------------------------------------------------------------------------

def capacitances(v: Mapping[str, np.ndarray], p: ModelParams, geo: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Per-column capacitances (fF).

    ``cu`` compute capacitor; ``c_s`` everything on its top plate (cap + its top-plate
    parasitic + junctions of the sample and share switches), which carries the signal;
    ``c_lbl`` the local bitline (L read ports, precharge, sample switch), isolated by the
    sample switch before sharing; ``c_cl`` the column line (wire, share-switch junctions,
    comparator input); ``c_t`` the total on the shared node.
    """
    L = np.asarray(v["L"], float)
    cm = np.asarray(v["cap_mult"], float)
    cu = cm * p.c_unit
    c_s = cu + cm * p.c_top_par + 2.0 * p.c_sw_j
    c_lbl = L * p.c_rbl + p.c_pre_j + p.c_sw_j
    n = geo["n_la"]
    # column mux (k > 1): the comparator input moves onto the group's bus, which the selected
    # column line joins through its mux: k mux junctions, the bus wire across k pitches
    k = np.broadcast_to(np.asarray(v.get("col_mux", 1), float), np.shape(n))
    c_bus = np.where(k > 1, k * p.c_mux_j + k * geo["col_pitch"] * p.wire_cap_ff_per_um + p.c_cmp_in, 0.0)
    c_cl = geo["array_h"] * p.wire_cap_ff_per_um + n * p.c_sw_j + np.where(k > 1, p.c_mux_j + c_bus, p.c_cmp_in)
    c_t = n * c_s + c_cl
    return {"cu": cu, "c_lbl": c_lbl, "c_cl": c_cl, "c_bus": c_bus, "c_s": c_s, "c_t": c_t,
            "v_pre": p.vdd * cu / c_s}


CALIBRATED = ("k_mismatch", "k_bow", "k_analog", "k_cmp", "c_drv_par", "k_t_read", "k_t_share", "k_t_cmp")
FITTED = ("n_ktc",) + CALIBRATED  # what a calibration.json may set (`explore --calibration`)


def calibration_noise(v: Mapping[str, np.ndarray], p: ModelParams, caps: Mapping[str, np.ndarray], n: np.ndarray,
                      fs: np.ndarray) -> dict[str, np.ndarray]:
    """Noise powers (V²) of the effects the ngspice calibration separates, each with its coefficient.

    ``n_bow``: the share switches' channel charge depends on the shared voltage, so the
    column line's transfer bows; after the gain/offset trim the bow is left as error. Its
    size relative to the full scale goes with the switch gate capacitance over the
    top-plate capacitance, and it grew with the column length in the calibration columns
    (x N/64, an empirical factor). ``n_analog``: the rest of the charge-sharing error that
    is neither smooth in the MAC value nor capacitor mismatch (read-port and switch charge
    sharing that depends on which local arrays fire), same scaling. ``n_cmp_decision``: the
    transistor comparator's decisions against an ideal comparator on the same voltages
    (kickback and input loading left after the reference's matching), in squared MAC steps
    (FS/N): in the calibration columns it did not follow the LSB.
    """
    shape = fs ** 2 * (p.c_sw_g / caps["c_s"]) ** 2 * n / 64.0
    return {"n_bow": p.k_bow * shape, "n_analog": p.k_analog * shape,
            "n_cmp_decision": p.k_cmp * (fs / n) ** 2}


def _rounding_mse(s: np.ndarray) -> np.ndarray:
    """E[(round(x) - x0)²] for x = x0 + N(0, s²) on an integer x0 (unit step): 0 without
    noise, below s² while s is small (rounding removes noise below half a step), s² + 1/12
    once s exceeds about half a step."""
    from scipy.special import ndtr

    s = np.asarray(s, float)
    sc = np.clip(s, 1e-9, 3.0)
    k = np.arange(-20, 21, dtype=float).reshape((-1,) + (1,) * sc.ndim)
    r = np.sum(k ** 2 * (ndtr((k + 0.5) / sc) - ndtr((k - 0.5) / sc)), axis=0)
    return np.where(s >= 3.0, s ** 2 + 1.0 / 12.0, r)


def quantized_error(lsb, grid, sigma2) -> np.ndarray:
    """Error power after quantizing a signal on levels ``grid`` apart that carries analog noise
    of power ``sigma2``, with a quantizer of step ``lsb`` (same units; never below 0).

    Noiseless: (lsb² - grid²)/12 (0 when every level has its own code); with noise the levels
    are dithered and the error tends to noise + lsb²/12. Exact for one level per code
    (:func:`_rounding_mse`); on a finer grid the same dithering is applied to the grid step."""
    lsb, grid, sigma2 = (np.asarray(x, float) for x in (lsb, grid, sigma2))
    g = np.minimum(grid, lsb)
    return (lsb ** 2 - g ** 2) / 12.0 + g ** 2 * _rounding_mse(np.sqrt(np.maximum(sigma2, 0.0)) / g)


def quantization_noise(lsb, grid, sigma2) -> np.ndarray:
    """What quantization adds to analog noise ``sigma2`` (:func:`quantized_error` minus it);
    negative while the noise is small, because the quantizer then removes part of it."""
    return quantized_error(lsb, grid, sigma2) - np.asarray(sigma2, float)


def noise(v: Mapping[str, np.ndarray], p: ModelParams, caps: Mapping[str, np.ndarray], n: np.ndarray) -> dict[str, np.ndarray]:
    """Signal and noise powers (V²) at the column line; SNR and SQNR in dB."""
    B = np.asarray(v["B_ADC"], float)
    bin_ = np.asarray(v["input_bits_per_cycle"], float)
    cu, c_t = caps["cu"], caps["c_t"]
    # The LBLs are precharged to V_PRE = VDD*C_u/C_s so the signal range on the column
    # line equals the CDAC range VDD*N*C_u/C_t (top-plate parasitics carry signal too).
    fs = p.vdd * n * cu / c_t
    p_sig = fs ** 2 / 12.0
    levels = n * (2.0 ** bin_ - 1.0)  # MAC output steps across the full scale
    lsb = fs / 2.0 ** B
    thermal = p.n_ktc * K_BOLTZMANN * p.temperature_k / (c_t * 1e-15)
    comparator = np.full_like(fs, p.cmp_noise_v ** 2)
    sigma_u = p.match_pct / 100.0 / np.sqrt(cu)  # relative sigma of one compute capacitor
    mismatch = p.k_mismatch * fs ** 2 * sigma_u ** 2 / n
    injection = n * (p.inj_mismatch * p.q_inj_fc / c_t) ** 2  # random part, one sample switch per LA
    pwm = np.where(bin_ > 1, (p.pwm_sigma_lsb * fs / (2.0 ** bin_ - 1.0)) ** 2 / n, 0.0)
    cal = calibration_noise(v, p, caps, n, fs)
    analog = thermal + comparator + mismatch + injection + pwm + cal["n_bow"] + cal["n_analog"] + cal["n_cmp_decision"]
    # the analog noise dithers the MAC levels; SNR capped at 120 dB like the SQNR
    total = np.maximum(quantized_error(lsb, fs / levels, analog), p_sig * 1e-12)
    q = total - analog
    return {"fs_v": fs, "p_signal": p_sig, "n_quant": q, "n_thermal": thermal, "n_comparator": comparator,
            "n_mismatch": mismatch, "n_injection": injection, "n_pwm": pwm, **cal,
            "snr_db": 10.0 * np.log10(p_sig / total), "sqnr_db": 10.0 * np.log10(p_sig / np.maximum(q, p_sig * 1e-12))}  # capped at 120 dB


def timing(v: Mapping[str, np.ndarray], p: ModelParams, caps: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Phase durations (ps) of one conversion cycle."""
    W = np.asarray(v["W"], float)
    B = np.asarray(v["B_ADC"], float)
    bin_ = np.asarray(v["input_bits_per_cycle"], float)
    c_s = caps["c_s"]
    t_pre = p.t_pre + 5.0 * p.r_pre * c_s * 1e-3
    pitch = column_pitch(v, p)  # drawn column pitch (cell + routing channel; MIM minimum)
    flash = np.asarray(v.get("adc_type", 0)) == 1
    rwl_tau = p.r_drv * (W * p.c_rwl + W * pitch * p.wire_cap_ff_per_um) * 1e-3
    t_discharge = p.k_t_read * p.read_ps_per_ff * c_s
    t_compute = p.t_drv + 2.2 * rwl_tau + np.where(bin_ > 1, (2.0 ** bin_ - 1.0) * np.maximum(p.pwm_unit_ps, t_discharge / (2.0 ** bin_ - 1.0) * 1.5), 3.0 * t_discharge)
    t_share = p.k_t_share * (p.t_sw + 5.0 * p.r_sw * c_s * 1e-3)
    t_dac = p.r_sw * (caps["cu"] + p.c_bot_par) * 1e-3 * np.log(2.0 ** (B + 1))
    t_cmp = p.k_t_cmp * p.t_cmp
    t_bit = t_cmp + p.t_sar + t_dac
    # flash: all comparators decide at once, then the outputs are latched (one SAR-slice delay)
    t_convert = np.where(flash, p.t_cmp + p.t_sar, B * t_bit)
    # column mux: the k columns of a group are converted one after the other, each after its
    # mux settles the bus (R_mux x C_bus) and the bottom plates are reset (one DAC settling)
    k = np.asarray(v.get("col_mux", 1), float)
    t_mux = np.where(k > 1, p.t_mux + 5.0 * p.r_mux * caps["c_bus"] * 1e-3 + t_dac, 0.0)
    t_convert = k * (t_convert + t_mux)
    t_cycle = t_pre + t_compute + t_share + t_convert + p.t_ctrl
    return {"t_precharge_ps": t_pre, "t_compute_ps": t_compute, "t_share_ps": t_share, "t_bit_ps": t_bit,
            "t_read_ps": 3.0 * t_discharge, "t_cmp_ps": t_cmp, "t_mux_ps": t_mux,
            "t_convert_ps": t_convert, "t_cycle_ps": t_cycle}


def energy(v: Mapping[str, np.ndarray], p: ModelParams, problem: Problem, caps: Mapping[str, np.ndarray],
           n: np.ndarray, t_cycle_ps: np.ndarray) -> dict[str, np.ndarray]:
    """Energy (fJ) per conversion cycle of one bank, by component."""
    H, W = np.asarray(v["H"], float), np.asarray(v["W"], float)
    B = np.asarray(v["B_ADC"], float)
    bin_ = np.asarray(v["input_bits_per_cycle"], float)
    vdd2 = p.vdd ** 2
    a = problem.input_activity * problem.weight_activity  # fraction of LBLs discharged
    # Precharge, drawn from VDD: every top plate comes back from the shared level
    # V_share = V_PRE*(1-a)*N*C_s/C_t (the SAR bottom-plate reset returns it there), and
    # the discharged LBLs from 0.
    v_share = caps["v_pre"] * (1.0 - a) * n * caps["c_s"] / caps["c_t"]
    e_mac = W * p.vdd * (n * caps["c_s"] * (caps["v_pre"] - v_share) + a * n * caps["c_lbl"] * caps["v_pre"])
    e_switch = W * n * (4.0 * p.c_sw_g + p.c_pre_g) * vdd2  # sample + share TGs (EN+ENB) and precharge gates
    flash = np.asarray(v.get("adc_type", 0)) == 1
    m = 2.0 ** B - 1.0  # flash comparators per column
    c_dac = n * caps["cu"]
    # each group raised once; the drivers' own capacitance per unit from the calibration
    c_bot = n * (np.asarray(v["cap_mult"], float) * p.c_bot_par + p.c_drv_par) * (1.0 - 2.0 ** -B)
    # a flash ADC leaves the bottom plates at VSS: no CDAC switching; instead m comparators
    # fire once and the bank's reference ladder burns VDD²/R through the cycle
    # column mux: the SAR slices drive the CDAC groups of all k columns of their group, so every
    # conversion switches k CDACs (the unselected columns' lines float: charge kept, energy drawn)
    k = np.asarray(v.get("col_mux", 1), float)
    e_cdac = np.where(flash, 0.0, (cdac_energy(v["B_ADC"], caps["c_t"] / c_dac) * c_dac + c_bot) * W * k * vdd2)
    e_ladder = np.where(flash, vdd2 / p.ladder_ohm * t_cycle_ps * 1e3, 0.0)  # V²/Ω * ps -> fJ
    e_adc = np.where(flash, W * m * p.e_cmp, W * B * (p.e_cmp + p.e_sar_bit)) + e_ladder
    pitch = column_pitch(v, p)
    # comparator clock rows (flash) or SAR clock rows; muxed: ceil(B/k) rows clocked k times
    clock_rows = np.where(flash, m, np.where(k > 1, np.ceil(B / k) * k, B))
    # the k one-hot select pairs each switch once per cycle: W/k mux gates and a bank-wide wire each
    e_mux = np.where(k > 1, k * 2.0 * (W / k * p.c_mux_g + W * pitch * p.wire_cap_ff_per_um) * vdd2, 0.0)
    rwl_c = W * (p.c_rwl + pitch * p.wire_cap_ff_per_um) + p.c_drv_in
    e_drv = n * (p.e_drv + problem.input_activity * rwl_c * vdd2 + np.where(bin_ > 1, bin_ * p.e_pwm_bit, 0.0))
    leak_nw = (H * W * p.leak_cell + H * p.leak_drv + W / k * (p.leak_col + np.where(flash, 0.0, B) * p.leak_sar)
               + p.leak_ctrl)
    e_leak = leak_nw * t_cycle_ps * 1e-6
    e_ctrl = np.full_like(H, p.e_ctrl) + W * clock_rows * pitch * p.wire_cap_ff_per_um * vdd2  # ADC clock wires
    total = e_mac + e_switch + e_cdac + e_adc + e_drv + e_leak + e_ctrl + e_mux
    return {"e_mac_fj": e_mac, "e_switch_fj": e_switch, "e_cdac_fj": e_cdac, "e_adc_logic_fj": e_adc, "e_mux_fj": e_mux,
            "e_drivers_fj": e_drv, "e_leak_fj": e_leak, "e_ctrl_fj": e_ctrl, "e_cycle_fj": total}


VT_V, ALPHA = 0.4, 1.3  # threshold and velocity-saturation index of the library's MOSFET cards
VDD_REF = 1.0  # supply the library's leakage figures are given at
LVT_READ_SPEEDUP, LVT_LEAK = 0.6, 8.0


def electrical(v: Mapping[str, np.ndarray], p: ModelParams) -> ModelParams:
    """The library's numbers rescaled per design for supply and device sizes (fields become arrays).

    Supply V against the library's V0 (alpha-power law): gate delays x (V/V0) ((V0-Vt)/(V-Vt))^a,
    on-resistances x ((V0-Vt)/(V-Vt))^a, dynamic energies x (V/V0)^2, leakage x V/V0, channel
    charge x (V-Vt)/(V0-Vt). A device size s (x the library size): comparator noise / sqrt(s),
    its energy, input capacitance and leakage x s; switch on-resistance / s, its junction and
    gate capacitance and channel charge x s; WL driver resistance / s, energy, input cap and
    leakage x s. A low-Vt read port discharges the local bitline faster and leaks more.
    """
    V = np.asarray(v["vdd_mv"], float) / 1000.0
    V0 = p.vdd
    over = (V0 - VT_V) / np.maximum(V - VT_V, 0.05)
    t_k, r_k, e_k, l_k = (V / V0) * over ** ALPHA, over ** ALPHA, (V / V0) ** 2, V / V0
    cs, ss, ds = (np.asarray(v[k], float) / 2.0 for k in ("cmp_size", "sw_size", "drv_size"))
    lvt = np.asarray(v["read_vt"], float)
    return replace(
        p, vdd=V, t_pre=p.t_pre * t_k, t_drv=p.t_drv * t_k, t_sw=p.t_sw * t_k, t_cmp=p.t_cmp * t_k,
        t_sar=p.t_sar * t_k, t_ctrl=p.t_ctrl * t_k, pwm_unit_ps=p.pwm_unit_ps * t_k,
        r_pre=p.r_pre * r_k, r_sw=p.r_sw * r_k / ss, r_drv=p.r_drv * r_k / ds,
        e_drv=p.e_drv * e_k * ds, e_pwm_bit=p.e_pwm_bit * e_k, e_cmp=p.e_cmp * e_k * cs, e_sar_bit=p.e_sar_bit * e_k,
        e_ctrl=p.e_ctrl * e_k, cmp_noise_v=p.cmp_noise_v / np.sqrt(cs), c_cmp_in=p.c_cmp_in * cs,
        c_sw_j=p.c_sw_j * ss, c_sw_g=p.c_sw_g * ss, q_inj_fc=p.q_inj_fc * ss / over, c_drv_in=p.c_drv_in * ds,
        read_ps_per_ff=p.read_ps_per_ff * t_k * np.where(lvt > 0, LVT_READ_SPEEDUP, 1.0),
        leak_cell=p.leak_cell * l_k * np.where(lvt > 0, LVT_LEAK, 1.0), leak_drv=p.leak_drv * l_k * ds,
        leak_col=p.leak_col * l_k * cs, leak_sar=p.leak_sar * l_k, leak_ctrl=p.leak_ctrl * l_k,
        r_mux=p.r_mux * r_k, t_mux=p.t_mux * t_k, q_mux_fc=p.q_mux_fc / over)  # the mux: drawn at library size


def evaluate(v: Mapping[str, np.ndarray], p: ModelParams, problem: Problem) -> dict[str, np.ndarray]:
    """All metrics for a batch of designs; arrays of shape (n,).

    Headline figures: ``snr_db``, ``tops`` (1b x 1b ops, 2 per MAC), ``tops_w``,
    ``area_um2`` and ``f2_per_bit``; ``violation`` (0 = buildable) from the architecture.
    """
    v = {k: np.atleast_1d(np.asarray(val, dtype=np.int64)) for k, val in v.items()}
    size = len(next(iter(v.values())))
    for k, default in DEFAULTS.items():
        v.setdefault(k, np.full(size, default, dtype=np.int64))
    p = electrical(v, select_types(v, p))
    geo = geometry(v, p, problem)
    n = geo["n_la"]
    caps = capacitances(v, p, geo)
    nz = noise(v, p, caps, n)
    tm = timing(v, p, caps)
    # the type axes' own noise terms, added to the base noise budget
    extra = type_noise(v, p, problem, caps, n, tm["t_compute_ps"])
    extra.update(mux_noise(v, p, caps, nz["fs_v"] / 2.0 ** np.asarray(v["B_ADC"], float)))
    total = sum(val for k, val in nz.items() if k.startswith("n_")) + sum(extra.values())
    total = np.maximum(total, nz["p_signal"] * 1e-12)  # SNR capped at 120 dB, as the SQNR
    nz = {**nz, **extra, "snr_db": 10.0 * np.log10(nz["p_signal"] / total)}
    en = energy(v, p, problem, caps, n, tm["t_cycle_ps"])
    bin_ = v["input_bits_per_cycle"].astype(float)
    ops_cycle_bank = 2.0 * v["W"] * n * bin_  # 1b x 1b ops per conversion cycle of one bank
    tops = geo["banks"] * ops_cycle_bank / (tm["t_cycle_ps"] * 1e-12) / 1e12
    tops_w = ops_cycle_bank / (en["e_cycle_fj"] * 1e-15) / 1e12
    area = geo["macro_area"]
    conversions_per_dot = v["L"] * np.ceil(problem.input_bits / bin_)
    clocks = v["B_ADC"] * v["col_mux"] + 3.0  # precharge, compute, share, B_ADC SAR bits per muxed column
    out = {
        **{k: val.astype(float) for k, val in v.items()}, **geo, **caps, **nz, **tm, **en,
        "ops_per_cycle_bank": ops_cycle_bank, "tops": tops,
        "tops_precision": tops / (problem.input_bits * problem.weight_bits),
        "tops_w": tops_w, "area_um2": area, "um2_per_bit": area / (problem.rows * problem.cols),
        "f2_per_bit": area / (problem.rows * problem.cols) / ((p.feature_nm * 1e-3) ** 2),
        "tops_mm2": tops / (area * 1e-6),
        "conversions_per_dot": conversions_per_dot,
        "cycles_per_mac": conversions_per_dot * clocks / v["H"],
        "violation": structural_violation(v),
    }
    return out


HEADLINE = ("snr_db", "tops_w", "f2_per_bit", "tops", "area_um2")
