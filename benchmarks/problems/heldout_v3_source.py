"""The hand-written source of heldout_v3.jsonl: a HELD-OUT set of designer-style requests.

Written by hand (helper H7, 2026-11-30) BEFORE any of them was run through chipsmith, in
wording, port names and numbers of its own (not copied from real_v2), so that it measures
how well the reader, planner and sizing generalize beyond the set they were tuned on.
Every port role and requirement below is a hand annotation (none comes from a chipsmith
reader). Regenerate with:
python benchmarks/problems/heldout_v3_source.py benchmarks/problems/heldout_v3.jsonl
"""
import sys

from annotate import *  # noqa: F401,F403  (the annotation notation)

P, add = collector()

# ---------------- amplifiers ----------------
add("amplifier", "Single NMOS common-source amplifier with a drain resistor; signal in at VI, amplified out at VO; "
    "voltage gain of 8 V/V or more while drawing under 150 uA from the supply.",
    [("VI", S), ("VO", O)], fam("amplifier", "common_source"), inp("nmos"), load("resistor"), tgt("gain_vv", ">=", 8),
    tgt("supply_current_a", "<=", 150e-6))
add("amplifier", "Source follower (common-drain) buffering IN to OUT, with a current-source bias set by VB; gain above "
    "0.7 V/V.",
    [("IN", S), ("VB", BV), ("OUT", O)], fam("amplifier", "common_drain"), load("current_source"),
    tgt("gain_vv", ">=", 0.7))
add("amplifier", "Common-gate stage: the input x drives the source, the gate sits at the bias vg, resistor load, "
    "output y; at least 12 dB of gain.",
    [("x", S), ("vg", BV), ("y", O)], fam("amplifier", "common_gate"), load("resistor"), tgt("gain_db", ">=", 12))
add("amplifier", "Resistively loaded differential pair with an NMOS tail current source biased by VT. Inputs INP and "
    "INN, outputs OUTP and OUTN; differential gain at least 6 V/V.",
    [("INP", DP), ("INN", DN), ("OUTP", OP), ("OUTN", ON), ("VT", BV)], fam("amplifier", "differential"),
    load("resistor"), struct("tail_source", device="nmos"), tgt("gain_vv", ">=", 6))
add("amplifier", "Two cascaded common-source stages with resistor loads, in -> out, overall gain above 30 dB.",
    [("in", S), ("out", O)], fam("amplifier", "multistage"), stages(2), load("resistor"), tgt("gain_db", ">=", 30))
add("amplifier", "Cascode amplifier: NMOS input device with an NMOS cascode on top and a PMOS current-source load. "
    "Input vin, output vout, cascode gate vcas, load gate vp. 45 dB DC gain minimum.",
    [("vin", S), ("vcas", BV), ("vp", BV), ("vout", O)], fam("amplifier", "cascode"), struct("cascode", device="nmos"),
    load("current_source"), tgt("gain_db", ">=", 45))
add("amplifier", "Common-source amplifier with an NMOS diode-connected load, gain approximately 2.5 V/V (±30%); "
    "A in, Y out.",
    [("A", S), ("Y", O)], fam("amplifier", "common_source"), load("nmos_diode"), struct("diode_connected", device="nmos"),
    tgt("gain_vv", "~", 2.5, tol=0.3))

# ---------------- op-amps ----------------
add("opamp", "Two-stage Miller-compensated op-amp: differential inputs vp and vn, single-ended output vo, bias current "
    "into ib. Open-loop gain at least 65 dB, unity-gain frequency of 15 MHz or more, phase margin no less than "
    "55 degrees, driving 2 pF.",
    [("vp", DP), ("vn", DN), ("vo", O), ("ib", BI)], fam("opamp", "two_stage"), stages(2),
    struct("miller_compensation"), tgt("gain_db", ">=", 65), tgt("ugb_hz", ">=", 15e6), tgt("pm_deg", ">=", 55),
    cond("load_cap_f", 2e-12))
add("opamp", "Five-transistor OTA with an NMOS input pair and a PMOS mirror load; INP, INN, OUT, IBIAS; gain of "
    "30 dB or better and GBW of at least 5 MHz into a 1 pF load.",
    [("INP", DP), ("INN", DN), ("OUT", O), ("IBIAS", BI)], fam("opamp", "ota"), inp("nmos", pair=True), load("mirror"),
    tgt("gain_db", ">=", 30), tgt("gbw_hz", ">=", 5e6), cond("load_cap_f", 1e-12))
add("opamp", "Folded-cascode OTA with PMOS input devices; in_p, in_n, out, ibias; DC gain ≥ 60 dB, power ≤ 1 mW.",
    [("in_p", DP), ("in_n", DN), ("out", O), ("ibias", BI)], fam("opamp", "folded_cascode"), inp("pmos", pair=True),
    tgt("gain_db", ">=", 60), tgt("power_w", "<=", 1e-3))
add("opamp", "Low-power op-amp burning no more than 200 uW with a gain of at least 50 dB; ports plus, minus, o, ibias.",
    [("plus", DP), ("minus", DN), ("o", O), ("ibias", BI)], fam("opamp"), tgt("power_w", "<=", 200e-6),
    tgt("gain_db", ">=", 50))
add("opamp", "Design an operational amplifier whose CMRR is better than 60 dB and whose DC gain exceeds 55 dB; inputs "
    "a_p and a_n, output z, bias current of 10 uA into ib.",
    [("a_p", DP), ("a_n", DN), ("z", O), ("ib", BI)], fam("opamp"), tgt("cmrr_db", ">=", 60), tgt("gain_db", ">=", 55),
    cond("bias_current_a", 10e-6, "ib"))
add("opamp", "Op-amp with a slew rate of at least 5 V/us and a phase margin over 60°; Vip, Vim, Vo, Ib.",
    [("Vip", DP), ("Vim", DN), ("Vo", O), ("Ib", BI)], fam("opamp"), tgt("slew_vps", ">=", 5e6), tgt("pm_deg", ">=", 60))

# ---------------- mirrors, references, regulators ----------------
add("current_mirror", "Basic NMOS current mirror that copies 30 uA from IREF to IOUT, 1:1.",
    [("IREF", BI), ("IOUT", O)], fam("current_mirror", "simple"), cond("ref_current_a", 30e-6, "IREF"),
    tgt("mirror_ratio", "~", 1.0, tol=0.1))
add("current_mirror", "Current mirror with a 1:3 ratio; 15 uA into Iin, about 45 uA sunk at Iout.",
    [("Iin", BI), ("Iout", O)], fam("current_mirror"), cond("ref_current_a", 15e-6, "Iin"),
    tgt("mirror_ratio", "~", 3.0, tol=0.15), tgt("iout_a", "~", 45e-6, tol=0.15))
add("current_mirror", "Cascoded NMOS current mirror for high output resistance; reference 25 uA at IR, output IO.",
    [("IR", BI), ("IO", O)], fam("current_mirror", "cascode"), struct("cascode", device="nmos"),
    cond("ref_current_a", 25e-6, "IR"))
add("current_mirror", "Wilson mirror, reference current 10 uA on pin iref, the copy on pin iout.",
    [("iref", BI), ("iout", O)], fam("current_mirror", "wilson"), cond("ref_current_a", 10e-6, "iref"))
add("bandgap", "Bandgap reference with its output VBGR near 1.2 V and power below 0.5 mW.",
    [("VBGR", O)], fam("bandgap"), tgt("vout_v", "~", 1.2, tol=0.08), tgt("power_w", "<=", 0.5e-3))
add("reference", "Beta-multiplier current reference delivering around 20 uA at IOUT.",
    [("IOUT", O)], fam("reference", "current"), tgt("iout_a", "~", 20e-6, tol=0.3))
add("ldo", "LDO regulator: reference input Vref at 0.8 V, regulated output VREG of 1.6 V from a 1.8 V supply.",
    [("Vref", REF), ("VREG", O)], fam("ldo"), cond("ref_voltage_v", 0.8, "Vref"), tgt("vout_v", "~", 1.6, tol=0.05),
    supply(1.8))
add("ldo", "Low dropout regulator with a PMOS pass transistor, reference REF = 0.6 V, output OUT = 1.2 V, quiescent "
    "power under 300 uW.",
    [("REF", REF), ("OUT", O)], fam("ldo"), count("pmos", lo=1), cond("ref_voltage_v", 0.6, "REF"),
    tgt("vout_v", "~", 1.2, tol=0.05), tgt("power_w", "<=", 300e-6))

# ---------------- op-amp applications ----------------
add("opamp_app", "Op-amp inverting amplifier with a gain of -6; input s_in, output s_out.",
    [("s_in", S), ("s_out", O)], fam("opamp_app", "inverting"), lin("s_out", {"s_in": -6.0}))
add("opamp_app", "Non-inverting amplifier giving 2.5x gain from IN to OUT.",
    [("IN", S), ("OUT", O)], fam("opamp_app", "non_inverting"), lin("OUT", {"IN": 2.5}))
add("opamp_app", "Unity-gain voltage buffer with an op-amp; vi to vo.",
    [("vi", S), ("vo", O)], fam("opamp_app", "buffer"), lin("vo", {"vi": 1.0}, rel_tol=0.05))
add("opamp_app", "Three-input inverting summer: OUT = -(X + Y + Z).",
    [("X", S), ("Y", S), ("Z", S), ("OUT", O)], fam("opamp_app", "summer"),
    lin("OUT", {"X": -1.0, "Y": -1.0, "Z": -1.0}))
add("opamp_app", "Difference amplifier with out = 3*(p - n); inputs p and n.",
    [("p", S), ("n", S), ("out", O)], fam("opamp_app", "subtractor"), lin("out", {"p": 3.0, "n": -3.0}))
add("opamp_app", "Inverting integrator with RC = 100 us; input vin, output vout.",
    [("vin", S), ("vout", O)], fam("opamp_app", "integrator"), tgt("time_constant_s", "~", 100e-6, tol=0.3))
add("opamp_app", "Op-amp differentiator with a 5 us time constant; IN, OUT.",
    [("IN", S), ("OUT", O)], fam("opamp_app", "differentiator"), tgt("time_constant_s", "~", 5e-6, tol=0.3))

# ---------------- filters ----------------
add("filter", "Passive first-order RC low-pass with its -3 dB point at 20 kHz; input fin, output fout.",
    [("fin", S), ("fout", O)], fam("filter"), filt("lowpass", order=1, implementation="passive", corner_hz=20e3, tol=0.2))
add("filter", "Second-order Sallen-Key high-pass, cutoff 2 kHz; Vi, Vo.",
    [("Vi", S), ("Vo", O)], fam("filter"), filt("highpass", order=2, implementation="active", corner_hz=2e3, tol=0.3))
add("filter", "Active low-pass filter with a corner at 3 kHz and a pass-band gain of 4; in, out.",
    [("in", S), ("out", O)], fam("filter"), filt("lowpass", implementation="active", corner_hz=3e3, tol=0.3),
    tgt("gain_vv", "~", 4.0, tol=0.1))
add("filter", "Passive RC band-pass centred around 5 kHz; x in, y out.",
    [("x", S), ("y", O)], fam("filter"), filt("bandpass", implementation="passive", corner_hz=5e3, tol=0.5))
add("filter", "Twin-T notch filter rejecting 60 Hz; input a, output b.",
    [("a", S), ("b", O)], fam("filter"), filt("bandstop", corner_hz=60.0, tol=0.3))

# ---------------- comparators, Schmitt triggers, inverters ----------------
add("comparator", "Differential comparator, inputs cp and cn, digital output cout, tail bias voltage vb.",
    [("cp", DP), ("cn", DN), ("cout", O), ("vb", BV)], fam("comparator"))
add("comparator", "Comparator whose output Q goes high when IN rises above REF, with REF held at 0.8 V.",
    [("IN", S), ("REF", REF), ("Q", O)], fam("comparator"), cond("ref_voltage_v", 0.8, "REF"), thr(0.8, tol=0.05),
    pol("non_inverting"))
add("schmitt", "Schmitt trigger with about 250 mV of hysteresis; input x, output y.",
    [("x", S), ("y", O)], fam("schmitt"), hyst("~", 0.25, tol=0.3))
add("schmitt", "Inverting Schmitt trigger that switches low above 1.0 V and back high below 0.6 V; Vin, Vout.",
    [("Vin", S), ("Vout", O)], fam("schmitt", "inverting"), thr(1.0, direction="rising", tol=0.1),
    thr(0.6, direction="falling", tol=0.1))
add("inverter", "CMOS inverter with its trip point at 0.9 V; in, out.",
    [("in", S), ("out", O)], fam("inverter"), thr(0.9, tol=0.1))

# ---------------- oscillators, VCOs ----------------
add("oscillator", "Ring oscillator built from 5 inverters, output ro_out, frequency somewhere near 500 MHz (within 60%).",
    [("ro_out", O)], fam("oscillator", "ring"), stages(5), osc(frequency_hz=500e6, tol=0.6))
add("oscillator", "Three-stage ring oscillator; output node OUT; swing at least 1.2 V peak-to-peak.",
    [("OUT", O)], fam("oscillator", "ring"), stages(3), osc(min_amplitude_v=0.6))
add("oscillator", "Wien-bridge oscillator producing a 5 kHz sine at VO.",
    [("VO", O)], fam("oscillator", "wien"), osc(frequency_hz=5e3, tol=0.3))
add("oscillator", "RC phase-shift oscillator near 2 kHz; output node out.",
    [("out", O)], fam("oscillator", "rc_phase_shift"), osc(frequency_hz=2e3, tol=0.3))
add("vco", "Current-starved ring VCO, control VC, output OUT; the frequency goes up with VC.",
    [("VC", CTL), ("OUT", O)], fam("vco", "ring"), ctrl("VC", direction="increasing"))
add("vco", "Voltage-controlled oscillator, tuning input VT, output CK, around 100 MHz (±50%) with VT = 0.9 V.",
    [("VT", CTL), ("CK", O)], fam("vco"), cond("control_v", 0.9, "VT"), osc(frequency_hz=100e6, tol=0.5), ctrl("VT"))

# ---------------- mixers ----------------
add("mixer", "Gilbert-cell multiplier used as a mixer: RF port rfin, LO port loin, IF port ifo.",
    [("rfin", S), ("loin", S), ("ifo", O)], fam("mixer", "gilbert"))
add("mixer", "Passive NMOS switching mixer; RF at rf, LO drive at lo, output ifout.",
    [("rf", S), ("lo", S), ("ifout", O)], fam("mixer", "passive"))

# ---------------- data-converter parts ----------------
add("dac", "3-bit R-2R DAC: bits d0 (LSB), d1, d2 (MSB), analog output aout.",
    [("d0", S), ("d1", S), ("d2", S), ("aout", O)], fam("dac", "r2r"))
add("sample_hold", "Sample-and-hold with an NMOS sampling switch driven by clock SMP and a hold capacitor; VIN, VOUT.",
    [("VIN", S), ("SMP", CLK), ("VOUT", O)], fam("sample_hold"), count("capacitor", lo=1), count("nmos", lo=1))
add("switch", "CMOS transmission-gate switch, signal X to Y, enable EN.",
    [("X", S), ("EN", CTL), ("Y", O)], fam("switch", "transmission_gate"), count("nmos", lo=1), count("pmos", lo=1))
add("adc", "2-bit flash ADC: analog input AIN, thermometer-code outputs T0, T1, T2.",
    [("AIN", S), ("T0", O), ("T1", O), ("T2", O)], fam("adc", "flash"))

# ---------------- second batch (written at 08:00 after the first batch had been run and its issues
# fixed; committed before any of it was run, to measure generality after that tuning) ----------------
add("amplifier", "Please design a common-source stage loaded by a PMOS current source whose gate is driven from "
    "VBP; input node SIG, output node AMP; the small-signal gain should exceed 25 V/V.",
    [("SIG", S), ("VBP", BV), ("AMP", O)], fam("amplifier", "common_source"), load("current_source"),
    tgt("gain_vv", ">=", 25))
add("amplifier", "PMOS source follower: input a, output y, bias current from a current source; gain of at least "
    "0.6.", [("a", S), ("y", O)], fam("amplifier", "common_drain"), tgt("gain_vv", ">=", 0.6))
add("amplifier", "Common-source amplifier, gain between 5 and 12 V/V, resistor load, VDD = 1.8 V; vin, vout.",
    [("vin", S), ("vout", O)], fam("amplifier", "common_source"), load("resistor"), tgt("gain_vv", ">=", 5),
    tgt("gain_vv", "<=", 12), supply(1.8))
add("opamp", "Two-stage op amp with PMOS input pair and Miller cap; DC gain > 60 dB; GBW > 8 MHz; inputs ip, "
    "im; output op; bias current ibias.",
    [("ip", DP), ("im", DN), ("op", O), ("ibias", BI)], fam("opamp", "two_stage"), inp("pmos", pair=True),
    struct("miller_compensation"), tgt("gain_db", ">=", 60), tgt("gbw_hz", ">=", 8e6))
add("opamp", "Single-stage OTA, 5 transistors, gain of 25 dB or more and no more than 100 uW; inputs p, n; "
    "output o; bias current into ib.",
    [("p", DP), ("n", DN), ("o", O), ("ib", BI)], fam("opamp", "ota"), stages(1), tgt("gain_db", ">=", 25),
    tgt("power_w", "<=", 100e-6))
add("current_mirror", "An NMOS current sink that mirrors 50 uA from IB into the output ISINK with unity ratio.",
    [("IB", BI), ("ISINK", O)], fam("current_mirror"), cond("ref_current_a", 50e-6, "IB"),
    tgt("mirror_ratio", "~", 1.0, tol=0.1))
add("current_mirror", "Current mirror giving twice the reference current; 10 uA reference into I_in; output I_out.",
    [("I_in", BI), ("I_out", O)], fam("current_mirror"), cond("ref_current_a", 10e-6, "I_in"),
    tgt("mirror_ratio", "~", 2.0, tol=0.15))
add("ldo", "Linear regulator: 1.3 V out at VO from a 1.8 V rail, reference VR of 0.65 V.",
    [("VR", REF), ("VO", O)], fam("ldo"), cond("ref_voltage_v", 0.65, "VR"), tgt("vout_v", "~", 1.3, tol=0.05),
    supply(1.8))
add("bandgap", "Bandgap reference; output vbg; supply 1.8 V; temperature drift under 150 ppm/°C.",
    [("vbg", O)], fam("bandgap"), supply(1.8), tgt("tempco_ppm", "<=", 150))
add("opamp_app", "Inverting amplifier using an op-amp: Vout = -2.5 Vin.",
    [("Vin", S), ("Vout", O)], fam("opamp_app", "inverting"), lin("Vout", {"Vin": -2.5}))
add("opamp_app", "Summing amplifier: o = -(2*a + 3*b); inputs a and b.",
    [("a", S), ("b", S), ("o", O)], fam("opamp_app", "summer"), lin("o", {"a": -2.0, "b": -3.0}))
add("opamp_app", "Voltage follower (buffer) from x to y with gain 1 (within 3%).",
    [("x", S), ("y", O)], fam("opamp_app", "buffer"), tgt("gain_vv", "~", 1.0, tol=0.03))
add("opamp_app", "Integrator whose unity-gain frequency is about 8 kHz; in, out.",
    [("in", S), ("out", O)], fam("opamp_app", "integrator"), tgt("time_constant_s", "~", 1 / (2 * 3.141592653589793 * 8e3),
                                                              tol=0.3))
add("filter", "First-order active high-pass with a 500 Hz cutoff; vi, vo.",
    [("vi", S), ("vo", O)], fam("filter"), filt("highpass", order=1, implementation="active", corner_hz=500, tol=0.3))
add("filter", "Second-order RC low-pass filter, passive, -3 dB at 50 kHz; input u, output w.",
    [("u", S), ("w", O)], fam("filter"), filt("lowpass", order=2, implementation="passive", corner_hz=50e3, tol=0.5))
add("schmitt", "Non-inverting Schmitt trigger with thresholds of 0.7 V and 1.1 V; input in, output out.",
    [("in", S), ("out", O)], fam("schmitt", "non_inverting"), thr(1.1, direction="rising", tol=0.1),
    thr(0.7, direction="falling", tol=0.1))
add("comparator", "Comparator with inputs vp and vm and output vq; vq high when vp > vm; bias current ib.",
    [("vp", DP), ("vm", DN), ("vq", O), ("ib", BI)], fam("comparator"), pol("non_inverting"))
add("oscillator", "7-stage ring oscillator; output node clk_out.",
    [("clk_out", O)], fam("oscillator", "ring"), stages(7), osc())
add("vco", "VCO with control voltage vtune and output fo; the frequency must rise as vtune rises.",
    [("vtune", CTL), ("fo", O)], fam("vco"), ctrl("vtune", direction="increasing"))
add("dac", "2-bit R-2R ladder DAC with inputs b0 (LSB) and b1 (MSB) and output vdac.",
    [("b0", S), ("b1", S), ("vdac", O)], fam("dac", "r2r"))

# ---------------- third batch (written at 08:22 after batch 2's fixes; committed before it was run) ----------------
add("amplifier", "Design a single-stage common-source amplifier using one NMOS transistor and a 10 kOhm drain "
    "resistor R1. Input in, output out. The gain magnitude must be larger than 4.",
    [("in", S), ("out", O)], fam("amplifier", "common_source"), inp("nmos"), named("R1", "resistor", value=10e3),
    tgt("gain_vv", ">=", 4))
add("amplifier", "Design a two-stage amplifier: the first stage is a common-source stage with a resistive load and "
    "the second stage is a common-source stage with a diode-connected PMOS load; input vi, output vo.",
    [("vi", S), ("vo", O)], fam("amplifier", "multistage"), stages(2), load("resistor", 1), load("pmos_diode", 2))
add("opamp", "Design an operational amplifier with differential inputs Vp and Vn and output Vo, open-loop gain "
    "of at least 1000 V/V, and unity-gain bandwidth of at least 2 MHz; bias current input Ib.",
    [("Vp", DP), ("Vn", DN), ("Vo", O), ("Ib", BI)], fam("opamp"), tgt("gain_vv", ">=", 1000),
    tgt("ugb_hz", ">=", 2e6))
add("current_mirror", "Design a PMOS current mirror: 15 uA is pulled out of the reference pin REFP and the output "
    "OUTP sources the same current.",
    [("REFP", BI), ("OUTP", O)], fam("current_mirror"), cond("ref_current_a", -15e-6, "REFP"), count("pmos", lo=2),
    tgt("mirror_ratio", "~", 1.0, tol=0.15))
add("opamp_app", "Design a non-inverting amplifier with a closed-loop gain of 6 using an op-amp; input si, output so.",
    [("si", S), ("so", O)], fam("opamp_app", "non_inverting"), lin("so", {"si": 6.0}))
add("opamp_app", "Design a circuit whose output equals the sum of its three inputs, inverted: y = -(u1 + u2 + u3).",
    [("u1", S), ("u2", S), ("u3", S), ("y", O)], fam("opamp_app", "summer"),
    lin("y", {"u1": -1.0, "u2": -1.0, "u3": -1.0}))
add("opamp_app", "Design an inverting integrator with input resistor R = 10 kOhm and feedback capacitor C = 1 nF; "
    "Vin, Vout.", [("Vin", S), ("Vout", O)], fam("opamp_app", "integrator"),
    tgt("time_constant_s", "~", 10e-6, tol=0.3))
add("filter", "Design a passive first-order high-pass RC filter with a cutoff frequency of 3 kHz; input vin, "
    "output vout.", [("vin", S), ("vout", O)], fam("filter"),
    filt("highpass", order=1, implementation="passive", corner_hz=3e3, tol=0.2))
add("filter", "Design an active band-pass filter with a center frequency of 2 kHz; in, out.",
    [("in", S), ("out", O)], fam("filter"), filt("bandpass", implementation="active", corner_hz=2e3, tol=0.3))
add("comparator", "Design a comparator: output OUT is high when input IN is above the reference VREF (1.0 V), "
    "low otherwise.", [("IN", S), ("VREF", REF), ("OUT", O)], fam("comparator"), cond("ref_voltage_v", 1.0, "VREF"),
    thr(1.0, tol=0.05), pol("non_inverting"))
add("schmitt", "Design a Schmitt trigger with a hysteresis window of at least 0.2 V; input vin, output vout.",
    [("vin", S), ("vout", O)], fam("schmitt"), hyst(">=", 0.2))
add("oscillator", "Design a ring oscillator with 9 inverter stages; output osc.",
    [("osc", O)], fam("oscillator", "ring"), stages(9), osc())
add("vco", "Design a current-starved voltage-controlled ring oscillator; control input vc, output vo; the "
    "oscillation frequency should decrease as vc decreases.",
    [("vc", CTL), ("vo", O)], fam("vco", "ring"), ctrl("vc", direction="increasing"))
add("mixer", "Design a Gilbert cell mixer with RF input rf, LO input lo, and IF output if_out; conversion gain "
    "above -10 dB.", [("rf", S), ("lo", S), ("if_out", O)], fam("mixer", "gilbert"),
    tgt("conversion_gain_db", ">=", -10))
add("ldo", "Design a low-dropout regulator that produces 1.0 V at Vout from a 1.8 V supply using a 0.5 V "
    "reference at Vref.", [("Vref", REF), ("Vout", O)], fam("ldo"), cond("ref_voltage_v", 0.5, "Vref"),
    tgt("vout_v", "~", 1.0, tol=0.05), supply(1.8))

# ---------------- fourth batch (written at 08:27 after batch 3's fixes; committed before it was run) ----------------
add("current_mirror", "Design a cascode current mirror using four NMOS transistors; reference current input IREF "
    "(20 uA), mirrored output IOUT.", [("IREF", BI), ("IOUT", O)], fam("current_mirror", "cascode"),
    count("nmos", 4, 4), cond("ref_current_a", 20e-6, "IREF"))
add("amplifier", "Design a common-gate amplifier with an NMOS transistor, a resistive load, and the gate biased by "
    "VB; input VIN at the source, output VOUT; gain above 5 V/V.",
    [("VIN", S), ("VB", BV), ("VOUT", O)], fam("amplifier", "common_gate"), load("resistor"), tgt("gain_vv", ">=", 5))
add("amplifier", "Design a differential amplifier with an NMOS input pair, a PMOS current-mirror load and a "
    "single-ended output; inputs INP and INN, output OUT, tail bias current IB.",
    [("INP", DP), ("INN", DN), ("OUT", O), ("IB", BI)], fam("amplifier", "differential"), inp("nmos", pair=True),
    load("mirror"))
add("opamp_app", "Design an opamp-based voltage buffer: output Y follows input A.",
    [("A", S), ("Y", O)], fam("opamp_app", "buffer"), lin("Y", {"A": 1.0}, rel_tol=0.05))
add("opamp_app", "Design a subtractor that computes D = A - B using an op-amp.",
    [("A", S), ("B", S), ("D", O)], fam("opamp_app", "subtractor"), lin("D", {"A": 1.0, "B": -1.0}))
add("filter", "Design a second-order passive low-pass filter using an inductor and a capacitor, with a cutoff near "
    "200 kHz; IN, OUT.", [("IN", S), ("OUT", O)], fam("filter"),
    filt("lowpass", order=2, implementation="passive", corner_hz=200e3, tol=0.5), count("inductor", lo=1))
add("comparator", "Design a latched comparator with clock CLK, inputs VIP and VIN, and output VOUT.",
    [("VIP", DP), ("VIN", DN), ("CLK", CLK), ("VOUT", O)], fam("comparator", "latched"))
add("oscillator", "Design an RC phase-shift oscillator with an output frequency of about 5 kHz; output VO.",
    [("VO", O)], fam("oscillator", "rc_phase_shift"), osc(frequency_hz=5e3, tol=0.3))
add("inverter", "Design a CMOS inverter with a switching threshold close to 0.8 V; input A, output Z.",
    [("A", S), ("Z", O)], fam("inverter"), thr(0.8, tol=0.1))
add("bandgap", "Design a bandgap voltage reference with output VREF around 1.2 V from a 1.8 V supply.",
    [("VREF", O)], fam("bandgap"), tgt("vout_v", "~", 1.2, tol=0.08), supply(1.8))
add("opamp", "Design a 2-stage CMOS op-amp with a PMOS differential input pair, gain >= 70 dB, phase margin >= 60 "
    "degrees and GBW >= 5 MHz for a 2 pF load; inputs VINP, VINN; output VOUT; bias current IBIAS.",
    [("VINP", DP), ("VINN", DN), ("VOUT", O), ("IBIAS", BI)], fam("opamp", "two_stage"), stages(2),
    inp("pmos", pair=True), tgt("gain_db", ">=", 70), tgt("pm_deg", ">=", 60), tgt("gbw_hz", ">=", 5e6),
    cond("load_cap_f", 2e-12))
add("sample_hold", "Design a sample-and-hold circuit using a transmission gate and a 2 pF hold capacitor; input "
    "VIN, output VOUT, clock CK.", [("VIN", S), ("CK", CLK), ("VOUT", O)], fam("sample_hold"),
    count("capacitor", lo=1), count("nmos", lo=1), count("pmos", lo=1))


if __name__ == "__main__":
    write_set(P, "h3", "# chipsmith topology benchmark, heldout_v3: a held-out set of designer-style requests with hand-annotated "
                  "port roles and requirements, written before any was run (see heldout_v3_source.py). Scored by the "
                  "independent judge (chipsmith.spice.judge).", sys.argv[1])
