"""Analytical models: sanity (monotonicity, saturation) and hand computations."""
from __future__ import annotations


import numpy as np
import pytest

from chipsmith.layout.architecture import Design, Problem, Space, floorplan
from chipsmith.layout.cells import load_cells
from chipsmith.layout.models import K_BOLTZMANN, ModelParams, cdac_conversion, cdac_energy_factor, evaluate
from chipsmith.layout.pareto import hypervolume


@pytest.fixture(scope="module")
def lib():
    return load_cells()


@pytest.fixture(scope="module")
def params(lib):
    return ModelParams.from_library(lib)


def one(params, problem, **kw):
    d = dict(H=256, W=256, L=4, B_ADC=6, input_bits_per_cycle=1, cap_mult=1)
    d.update(kw)
    return {k: float(v[0]) for k, v in evaluate({k: [v] for k, v in d.items()}, params, problem).items()}


def test_snr_rises_with_adc_bits_until_noise_limited(params):
    pr = Problem(1024, 256)
    snr = [one(params, pr, H=1024, B_ADC=b, L=1)["snr_db"] for b in range(1, 11)]  # N = 1024 caps allows 10 bits
    assert all(b > a for a, b in zip(snr, snr[1:]))
    assert snr[1] - snr[0] == pytest.approx(6.02, abs=0.3)  # quantization-limited: 6 dB per bit
    assert snr[-1] - snr[-2] < 1.0  # thermal/mismatch-limited: the last bit buys little
    m = one(params, pr, H=1024, B_ADC=10, L=1)
    assert m["n_quant"] < m["n_thermal"] + m["n_comparator"] + m["n_mismatch"] + m["n_injection"]


def test_bigger_caps_reduce_mismatch_and_thermal_noise(params):
    pr = Problem(256, 256)
    a, b = one(params, pr, cap_mult=1), one(params, pr, cap_mult=8)
    assert b["n_thermal"] / b["fs_v"] ** 2 < a["n_thermal"] / a["fs_v"] ** 2
    assert b["n_mismatch"] / b["fs_v"] ** 2 < a["n_mismatch"] / a["fs_v"] ** 2


def test_area_monotone_in_h_and_w(params):
    areas_h = [one(params, Problem(h, 64, fixed_shape=True), H=h, W=64, L=1, B_ADC=3)["area_um2"] for h in (16, 32, 64, 128)]
    areas_w = [one(params, Problem(64, w, fixed_shape=True), H=64, W=w, L=1, B_ADC=3)["area_um2"] for w in (8, 16, 64, 256)]
    assert all(b > a for a, b in zip(areas_h, areas_h[1:]))
    assert all(b > a for a, b in zip(areas_w, areas_w[1:]))


def test_cdac_energy_hand_check():
    assert cdac_energy_factor(1) == pytest.approx(0.25, abs=1e-12)
    # two bits, no parasitic, input at 0.3 of full scale: code = floor((1 - 0.3) * 4) = 2
    code, energy = cdac_conversion(2, np.array([0.3]))
    assert int(code[0]) == 2
    # Energy drawn from VDD = sum over caps tied to VDD after a switch of C_i * d(V_bottom - V_top).
    # raise C/2: top 0.3 -> 0.8: C/2 * ((1 - 0.8) - (0 - 0.3)) = 0.25; kept.
    # raise C/4: top 0.8 -> 1.05: C/2 * ((1 - 1.05) - (1 - 0.8)) + C/4 * ((1 - 1.05) - (0 - 0.8)) = 0.0625;
    # 1.05 > 1, so reset C/4: top back to 0.8: C/2 * ((1 - 0.8) - (1 - 1.05)) = 0.125
    assert float(energy[0]) == pytest.approx(0.25 + 0.0625 + 0.125, abs=1e-12)


def test_energy_matches_hand_computation(lib, params):
    """Total energy per cycle of one design, recomputed here from the YAML numbers."""
    pr = Problem(64, 32, fixed_shape=True)
    H, W, L, B, cm = 64, 32, 4, 3, 2
    m = one(params, pr, H=H, W=W, L=L, B_ADC=B, cap_mult=cm)
    c = {k: lib.get(k) for k in ("sram8t", "compute_cap", "sample_switch", "precharge", "wl_driver", "comparator",
                                 "sar_logic", "timing_ctrl")}
    vdd, wire = lib.process.vdd, lib.process.wire_cap_ff_per_um
    n = H // L
    cu = cm * c["compute_cap"].capacitance_ff["unit"]
    cs = cu + cm * c["compute_cap"].capacitance_ff["top_parasitic"] + 2 * c["sample_switch"].capacitance_ff["junction"]
    clbl = L * c["sram8t"].capacitance_ff["rbl"] + c["precharge"].capacitance_ff["junction"] \
        + c["sample_switch"].capacitance_ff["junction"]
    la_h = L * c["sram8t"].height + c["precharge"].height + 2 * c["sample_switch"].height + cm * c["compute_cap"].height
    ccl = n * la_h * wire + n * c["sample_switch"].capacitance_ff["junction"] + c["comparator"].capacitance_ff["input"]
    ct = n * cs + ccl
    vpre = vdd * cu / cs
    a = 0.25
    vshare = vpre * (1 - a) * n * cs / ct
    e_mac = W * vdd * (n * cs * (vpre - vshare) + a * n * clbl * vpre)
    e_sw = W * n * (4 * c["sample_switch"].capacitance_ff["gate"] + c["precharge"].capacitance_ff["gate"]) * vdd ** 2
    e_cdac = W * vdd ** 2 * (cdac_energy_factor(B, ct / (n * cu)) * n * cu
                             + n * cm * c["compute_cap"].capacitance_ff["bottom_parasitic"] * (1 - 2 ** -B))
    e_adc = W * B * (c["comparator"].energy_fj["compare"] + c["sar_logic"].energy_fj["bit"])
    pitch = c["sram8t"].width + (B + 1) * 0.14 + 0.07  # drawn column pitch: cell + CDAC channel (m2 pitch 0.14 um)
    rwl = W * (c["sram8t"].capacitance_ff["rwl"] + pitch * wire) + c["wl_driver"].capacitance_ff["input"]
    e_drv = n * (c["wl_driver"].energy_fj["switch"] + 0.5 * rwl * vdd ** 2)
    e_ctrl = c["timing_ctrl"].energy_fj["cycle"] + W * B * pitch * wire * vdd ** 2
    assert m["e_mac_fj"] == pytest.approx(e_mac, rel=1e-9)
    assert m["e_cdac_fj"] == pytest.approx(e_cdac, rel=2e-3)  # table interpolation in 1/ratio
    assert m["e_adc_logic_fj"] == pytest.approx(e_adc, rel=1e-12)
    total = e_mac + e_sw + e_cdac + e_adc + e_drv + e_ctrl + m["e_leak_fj"]
    assert m["e_cycle_fj"] == pytest.approx(total, rel=2e-3)
    assert m["tops_w"] == pytest.approx(2 * W * n / (total * 1e-15) / 1e12, rel=2e-3)
    # thermal noise is n_ktc * kT/C_total
    assert m["n_thermal"] == pytest.approx(2 * K_BOLTZMANN * 300 / (ct * 1e-15), rel=1e-9)


def test_f2_per_bit_uses_feature_size(params):
    m = one(params, Problem(256, 256))
    assert m["f2_per_bit"] == pytest.approx(m["area_um2"] / 65536 / 0.045 ** 2)


def test_structural_violation_flags_cdac_too_small(params):
    pr = Problem(256, 256)
    assert one(params, pr, L=4, B_ADC=6)["violation"] == 0  # 64 caps >= 2**6
    assert one(params, pr, L=4, B_ADC=8)["violation"] == pytest.approx(2.0)


def test_floorplan_is_complete_and_consistent(params):
    pr = Problem(256, 256)
    d = Design(H=128, W=64, L=4, B_ADC=5, input_bits_per_cycle=2, cap_mult=2)
    fp = floorplan(d, params, pr)
    assert fp["banks"]["count"] == 2 * 4
    assert fp["local_array"]["per_column"] == 32
    assert sum(fp["cdac"]["groups_msb_first_plus_dummy"]) == 32
    assert fp["macro"]["area_um2"] == pytest.approx(one(params, pr, **d.to_dict())["area_um2"])
    assert {b["cell"] for b in fp["blocks"]} == {"sram8t", "wl_driver", "comparator", "sar_logic", "timing_ctrl"}


def test_space_decodes_within_choices():
    sp = Space.for_problem(Problem(256, 256))
    g = sp.random(np.random.default_rng(0), 500)
    v = sp.decode(g)
    assert set(np.unique(v["H"])) <= set(sp.H) and set(np.unique(v["B_ADC"])) <= set(sp.B_ADC)
    assert Space.for_problem(Problem(256, 128, fixed_shape=True)).H == (256,)


def test_hypervolume_exact_against_monte_carlo():
    rng = np.random.default_rng(1)
    pts = rng.random((25, 3))
    x = rng.random((200_000, 3))
    dominated = np.zeros(len(x), bool)
    for p in pts:
        dominated |= np.all(x >= p, axis=1)
    assert hypervolume(pts) == pytest.approx(dominated.mean(), abs=5e-3)
    assert hypervolume(np.array([[0.5, 0.5, 0.5]])) == pytest.approx(0.125)


def test_supply_and_sizes_trade_noise_energy_and_speed(params):
    """The electrical knobs of the widened space move the figures the way the physics says."""
    pr = Problem(256, 256)
    base = one(params, pr)
    low, high = one(params, pr, vdd_mv=800), one(params, pr, vdd_mv=1200)
    assert low["e_adc_logic_fj"] == pytest.approx(base["e_adc_logic_fj"] * 0.64, rel=1e-9)  # dynamic energy ~ V^2
    assert low["snr_db"] < base["snr_db"] < high["snr_db"]  # signal ~ V against fixed comparator/thermal noise
    assert low["t_cycle_ps"] > base["t_cycle_ps"] > high["t_cycle_ps"]  # alpha-power-law delays
    big_cmp = one(params, pr, cmp_size=8)  # 4x the library comparator
    assert big_cmp["n_comparator"] == pytest.approx(base["n_comparator"] / 4, rel=1e-9)
    assert big_cmp["e_adc_logic_fj"] > base["e_adc_logic_fj"]
    lvt = one(params, pr, read_vt=1)
    assert lvt["t_compute_ps"] < base["t_compute_ps"] and lvt["e_leak_fj"] > base["e_leak_fj"]
    wide_sw = one(params, pr, sw_size=8)
    assert wide_sw["n_injection"] > base["n_injection"] and wide_sw["t_share_ps"] < base["t_share_ps"]


def test_defaults_reproduce_the_six_variable_design(params):
    """Leaving the electrical variables out means the library's own supply and sizes."""
    pr = Problem(256, 256)
    d = dict(H=256, W=256, L=4, B_ADC=6, input_bits_per_cycle=1, cap_mult=1)
    a = evaluate({k: [v] for k, v in d.items()}, params, pr)
    b = evaluate({**{k: [v] for k, v in d.items()}, "vdd_mv": [1000], "cmp_size": [2], "sw_size": [2],
                  "drv_size": [2], "read_vt": [0]}, params, pr)
    for k in ("snr_db", "tops_w", "f2_per_bit", "t_cycle_ps"):
        assert a[k][0] == b[k][0]
