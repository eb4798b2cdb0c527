"""Reader paraphrase set: targets and structures written the many ways designers write
them, each with the atoms it must yield (100% recall) and nothing left unread.

Each case: (text, ports, expected atoms). An atom is (kind, {param: value}); a float
value matches within 1e-6 relative. Ports: "inputs|outputs|bias" name lists.
"""
from __future__ import annotations

import math

import pytest

from chipsmith.agents.reader import read_request
from chipsmith.agents.request import PortList

OPAMP = "Vinp,Vinn|Vout|Ibias"
AMP = "Vin|Vout|"
OSC = "|Vout|"


def T(fig, op, value):
    return ("target", {"figure": fig, "op": op, "value": value})


def F(family, variant=None):
    return ("family", {"family": family, **({"variant": variant} if variant else {})})


CASES = [
    # --- phase margin, power, UGB, GBW: the dropped targets of the hidden suites -----------------
    ("a two-stage op-amp with 65 degrees phase margin and 3 mW power", OPAMP,
     [T("pm_deg", ">=", 65), T("power_w", "<=", 3e-3), ("stage_count", {"count": 2})]),
    ("two stage opamp, PM > 60°, power below 2mW", OPAMP, [T("pm_deg", ">=", 60), T("power_w", "<=", 2e-3)]),
    ("op-amp with a phase margin of at least 45 deg", OPAMP, [T("pm_deg", ">=", 45)]),
    ("op-amp whose phase margin is 70 degrees or more", OPAMP, [T("pm_deg", ">=", 70)]),
    ("an op-amp, PM 55 degrees", OPAMP, [T("pm_deg", ">=", 55)]),
    ("opamp with UGB 50MHz", OPAMP, [T("ugb_hz", ">=", 50e6)]),
    ("opamp with a unity-gain bandwidth of 10 MHz", OPAMP, [T("ugb_hz", ">=", 10e6)]),
    ("op-amp with unity gain frequency above 25 MHz", OPAMP, [T("ugb_hz", ">=", 25e6)]),
    ("an OTA with UGF = 5 MHz", OPAMP, [T("ugb_hz", ">=", 5e6), F("opamp", "ota")]),
    ("op-amp with 20 MHz GBW", OPAMP, [T("gbw_hz", ">=", 20e6)]),
    ("op amp with a gain-bandwidth product of 15 MHz", OPAMP, [T("gbw_hz", ">=", 15e6)]),
    ("operational amplifier, GBW at least 100 MHz", OPAMP, [T("gbw_hz", ">=", 100e6)]),
    ("op-amp with GBW of 1.5 GHz", OPAMP, [T("gbw_hz", ">=", 1.5e9)]),
    ("op-amp with gain bandwidth 800 kHz", OPAMP, [T("gbw_hz", ">=", 800e3)]),
    ("op-amp with 60 dB gain", OPAMP, [T("gain_db", ">=", 60)]),
    ("op-amp with a DC gain of at least 70 dB", OPAMP, [T("gain_db", ">=", 70)]),
    ("op-amp with open-loop gain > 80dB", OPAMP, [T("gain_db", ">=", 80)]),
    ("an op-amp whose gain exceeds 90 dB", OPAMP, [T("gain_db", ">=", 90)]),
    ("op-amp with 75 decibels of gain", OPAMP, [T("gain_db", ">=", 75)]),
    ("op-amp consuming less than 500 uW", OPAMP, [T("power_w", "<=", 500e-6)]),
    ("op-amp with power consumption under 1 mW", OPAMP, [T("power_w", "<=", 1e-3)]),
    ("op-amp with a power budget of 2 milliwatts", OPAMP, [T("power_w", "<=", 2e-3)]),
    ("op-amp dissipating at most 0.5 mW", OPAMP, [T("power_w", "<=", 0.5e-3)]),
    ("a low-power op-amp drawing at most 100 uA of supply current", OPAMP,
     [T("supply_current_a", "<=", 100e-6)]),
    ("op-amp with slew rate of 10 V/us", OPAMP, [T("slew_vps", ">=", 10e6)]),
    ("op-amp with CMRR above 70 dB", OPAMP, [T("cmrr_db", ">=", 70)]),
    ("op-amp with PSRR of 60 dB", OPAMP, [T("psrr_db", ">=", 60)]),
    ("op-amp with output swing of at least 1.2 V", OPAMP, [T("output_swing_v", ">=", 1.2)]),
    ("op-amp with an input offset below 5 mV", OPAMP, [T("offset_v", "<=", 5e-3)]),
    ("op-amp settling within 100 ns", OPAMP, [T("settling_s", "<=", 100e-9)]),
    ("op-amp with 65 dB gain, 30 MHz GBW, 60 degrees PM and 1 mW power", OPAMP,
     [T("gain_db", ">=", 65), T("gbw_hz", ">=", 30e6), T("pm_deg", ">=", 60), T("power_w", "<=", 1e-3)]),
    ("two-stage Miller op-amp: gain 70 dB, UGB 10 MHz, PM 60°, P < 0.5 mW", OPAMP,
     [T("gain_db", ">=", 70), T("ugb_hz", ">=", 10e6), T("pm_deg", ">=", 60), T("power_w", "<=", 0.5e-3)]),
    ("op-amp driving a 2 pF load", OPAMP, [("condition", {"name": "load_cap_f", "value": 2e-12})]),
    ("op-amp with a 1.8 V supply", OPAMP, [("supply", {"voltage": 1.8})]),
    ("op-amp powered from 3.3 V", OPAMP, [("supply", {"voltage": 3.3})]),
    ("op-amp, VDD = 2.5 V", OPAMP, [("supply", {"voltage": 2.5})]),
    ("op-amp with a supply voltage of 1.2 volts", OPAMP, [("supply", {"voltage": 1.2})]),
    ("op-amp with a bias current of 10 uA", OPAMP,
     [("condition", {"name": "bias_current_a", "value": 10e-6, "port": "Ibias"})]),
    # --- op-amp structures ---------------------------------------------------------------------
    ("three-stage op-amp", OPAMP, [("stage_count", {"count": 3}), F("opamp", "three_stage")]),
    ("single-stage OTA", OPAMP, [("stage_count", {"count": 1})]),
    ("folded-cascode op-amp with PMOS input pair", OPAMP,
     [F("opamp", "folded_cascode"), ("input_type", {"device": "pmos", "pair": True})]),
    ("telescopic cascode OTA", OPAMP, [F("opamp", "telescopic")]),
    ("two-stage op-amp with Miller compensation", OPAMP, [("structure", {"feature": "miller_compensation"})]),
    ("op-amp with an NMOS differential input pair and a PMOS current-mirror load", OPAMP,
     [("input_type", {"device": "nmos", "pair": True}), ("load_type", {"load": "mirror"})]),
    ("five-transistor OTA", OPAMP, [F("opamp", "ota")]),
    ("5T OTA", OPAMP, [F("opamp", "ota")]),
    ("a two-transistor amplifier", AMP, [("device_count", {"device": "transistor", "min": 2, "max": 2})]),
    ("op-amp with p-channel input devices", OPAMP, [("input_type", {"device": "pmos"})]),
    # --- amplifiers: stages, loads, polarity -----------------------------------------------------
    ("a three-stage amplifier with resistive load", AMP,
     [("stage_count", {"count": 3}), ("load_type", {"load": "resistor"})]),
    ("3-stage common-source amplifier, resistor loads", AMP,
     [("stage_count", {"count": 3}), ("load_type", {"load": "resistor"}), F("amplifier", "multistage")]),
    ("an amplifier with three gain stages", AMP, [("stage_count", {"count": 3})]),
    ("two stage amplifier", AMP, [("stage_count", {"count": 2})]),
    ("common-source amplifier with a PMOS diode-connected load", AMP,
     [("load_type", {"load": "pmos_diode"}), ("structure", {"feature": "diode_connected", "device": "pmos"})]),
    ("CS stage loaded by a diode-connected PMOS transistor", AMP, [("load_type", {"load": "pmos_diode"})]),
    ("common source amp with NMOS diode-connected load", AMP, [("load_type", {"load": "nmos_diode"})]),
    ("common-source amplifier with a current-source load", AMP, [("load_type", {"load": "current_source"})]),
    ("common-source amplifier with active load", AMP, [("load_type", {"load": "active"})]),
    ("resistively loaded common-source stage", AMP, [("load_type", {"load": "resistor"})]),
    ("common-source amplifier loaded with a resistor", AMP, [("load_type", {"load": "resistor"})]),
    ("a common-gate amplifier", "Vin|Vout|Vbias", [F("amplifier", "common_gate")]),
    ("common drain amplifier", AMP, [F("amplifier", "common_drain")]),
    ("a source follower", AMP, [F("amplifier", "common_drain")]),
    ("a cascode amplifier", AMP, [F("amplifier", "cascode")]),
    ("differential amplifier with resistive loads", "Vinp,Vinn|Voutp,Voutn|",
     [F("amplifier", "differential"), ("load_type", {"load": "resistor"})]),
    ("a non-inverting amplifier with a gain of 3", AMP,
     [("polarity", {"sense": "non_inverting"}), ("linear_relation", {"output": "Vout", "coefficients": {"Vin": 3.0}})]),
    ("inverting amplifier with gain of -5", AMP,
     [("polarity", {"sense": "inverting"}), ("linear_relation", {"output": "Vout", "coefficients": {"Vin": -5.0}})]),
    ("an inverting amplifier with a closed-loop gain of 10", AMP,
     [("linear_relation", {"output": "Vout", "coefficients": {"Vin": -10.0}})]),
    ("non-inverting amplifier, gain = 2 V/V", AMP,
     [("linear_relation", {"output": "Vout", "coefficients": {"Vin": 2.0}})]),
    ("non-inverting amp with 4x gain", AMP, [("linear_relation", {"output": "Vout", "coefficients": {"Vin": 4.0}})]),
    ("an amplifier whose output follows its input with unity gain", AMP,
     [("polarity", {"sense": "non_inverting"}), T("gain_vv", "~", 1.0)]),
    ("unity-gain buffer", AMP, [T("gain_vv", "~", 1.0)]),
    ("a voltage follower", AMP, [T("gain_vv", "~", 1.0)]),
    ("common-source amplifier with 20 dB gain and 3 dB bandwidth of at least 10 MHz", AMP,
     [T("gain_db", ">=", 20), T("f3db_hz", ">=", 10e6)]),
    ("common-source stage with a gain of at least 15 dB and under 200 uW", AMP,
     [T("gain_db", ">=", 15), T("power_w", "<=", 200e-6)]),
    ("single-transistor amplifier", AMP, [("device_count", {"device": "transistor", "max": 1})]),
    ("a common-source amplifier using only NMOS transistors", AMP, [("device_count", {"device": "pmos", "max": 0})]),
    ("an amplifier with two resistors", AMP, [("device_count", {"device": "resistor", "min": 2, "max": 2})]),
    ("common-source amplifier with R1 = 10 kOhm as drain resistor", AMP,
     [("named_component", {"name": "R1", "value": 10e3})]),
    ("a cascode amplifier with source degeneration", AMP, [("structure", {"feature": "source_degeneration"})]),
    # --- op-amp applications: relations -----------------------------------------------------------
    ("an adder with Vout = -(Vin1 + Vin2)", "Vin1,Vin2|Vout|",
     [("linear_relation", {"output": "Vout", "coefficients": {"Vin1": -1.0, "Vin2": -1.0}}), F("opamp_app", "summer")]),
    ("Vout = 2*Vin1 - 3*Vin2 + 0.5", "Vin1,Vin2|Vout|",
     [("linear_relation", {"output": "Vout", "coefficients": {"Vin1": 2.0, "Vin2": -3.0}, "offset": 0.5})]),
    ("a summing amplifier where Vo = -(2 Va + Vb)", "Va,Vb|Vo|",
     [("linear_relation", {"output": "Vo", "coefficients": {"Va": -2.0, "Vb": -1.0}})]),
    ("a subtractor: Vout = Vin1 - Vin2", "Vin1,Vin2|Vout|",
     [("linear_relation", {"output": "Vout", "coefficients": {"Vin1": 1.0, "Vin2": -1.0}}),
      F("opamp_app", "subtractor")]),
    ("difference amplifier with Vout = 4(V1 - V2)", "V1,V2|Vout|",
     [("linear_relation", {"output": "Vout", "coefficients": {"V1": 4.0, "V2": -4.0}})]),
    ("weighted adder Vout = -(0.5*Vin1 + 0.25*Vin2 + Vin3)", "Vin1,Vin2,Vin3|Vout|",
     [("linear_relation", {"output": "Vout", "coefficients": {"Vin1": -0.5, "Vin2": -0.25, "Vin3": -1.0}})]),
    ("Vout = -Vin/2", AMP, [("linear_relation", {"output": "Vout", "coefficients": {"Vin": -0.5}})]),
    ("an integrator with a time constant of 1 ms", AMP,
     [F("opamp_app", "integrator"), T("time_constant_s", "~", 1e-3)]),
    ("inverting integrator, RC = 10 us", AMP, [T("time_constant_s", "~", 10e-6)]),
    ("a differentiator with tau = 2 us", AMP, [F("opamp_app", "differentiator"), T("time_constant_s", "~", 2e-6)]),
    ("integrator with Cf = 1 nF and R1 = 100 kOhm", AMP,
     [("named_component", {"name": "Cf", "value": 1e-9}), ("named_component", {"name": "R1", "value": 100e3})]),
    # --- comparators, Schmitt triggers ------------------------------------------------------------
    ("a comparator with offset below 2 mV", "Vinp,Vinn|Vout|",
     [F("comparator"), T("offset_v", "<=", 2e-3)]),
    ("comparator with a propagation delay under 10 ns", "Vinp,Vinn|Vout|", [T("delay_s", "<=", 10e-9)]),
    ("Schmitt trigger with thresholds of 0.6 V and 1.2 V", AMP,
     [("threshold", {"value": 1.2, "direction": "rising"}), ("threshold", {"value": 0.6, "direction": "falling"})]),
    ("Schmitt trigger with 200 mV of hysteresis", AMP, [("hysteresis", {"op": "~", "value": 0.2})]),
    ("a Schmitt trigger with a hysteresis of 0.3 V", AMP, [("hysteresis", {"value": 0.3})]),
    ("Schmitt trigger, upper threshold 1.1 V, lower threshold 0.7 V", AMP,
     [("threshold", {"value": 1.1, "direction": "rising"}), ("threshold", {"value": 0.7, "direction": "falling"})]),
    ("an inverter with switching threshold 0.9 V", AMP, [("threshold", {"value": 0.9})]),
    # --- filters --------------------------------------------------------------------------------
    ("second-order active low-pass filter with 10 kHz cutoff", AMP,
     [("filter", {"response": "lowpass", "order": 2, "implementation": "active", "corner_hz": 1e4})]),
    ("first-order passive RC high-pass filter, corner frequency 1 kHz", AMP,
     [("filter", {"response": "highpass", "order": 1, "implementation": "passive", "corner_hz": 1e3})]),
    ("a band-pass filter centered at 100 kHz", AMP, [("filter", {"response": "bandpass", "corner_hz": 1e5})]),
    ("notch filter at 50 Hz", AMP, [("filter", {"response": "bandstop", "corner_hz": 50.0})]),
    ("Sallen-Key low pass with a -3 dB frequency of 2 MHz", AMP,
     [("filter", {"response": "lowpass", "implementation": "active", "corner_hz": 2e6})]),
    ("2nd order low-pass filter, fc = 5 kHz", AMP, [("filter", {"response": "lowpass", "order": 2,
                                                                "corner_hz": 5e3})]),
    ("a passive band-stop filter with a center frequency of 1 MHz", AMP,
     [("filter", {"response": "bandstop", "implementation": "passive", "corner_hz": 1e6})]),
    # --- oscillators, VCOs --------------------------------------------------------------------------
    ("RC phase-shift oscillator at 1 kHz", OSC, [F("oscillator", "rc_phase_shift"),
                                                 ("oscillation", {"frequency_hz": 1e3})]),
    ("Wien bridge oscillator oscillating at 10 kHz", OSC, [F("oscillator", "wien"),
                                                           ("oscillation", {"frequency_hz": 1e4})]),
    ("a 5-stage ring oscillator", OSC, [F("oscillator", "ring"), ("stage_count", {"count": 5})]),
    ("ring oscillator with a frequency of 500 MHz", OSC, [("oscillation", {"frequency_hz": 5e8})]),
    ("an LC oscillator at 2.4 GHz", OSC, [F("oscillator", "lc"), ("oscillation", {"frequency_hz": 2.4e9})]),
    ("relaxation oscillator with a period of 1 us", OSC, [("oscillation", {"frequency_hz": 1e6})]),
    ("a VCO whose frequency increases with the control voltage Vctrl", "|Vout|Vctrl",
     [F("vco"), ("control_moves_frequency", {"control": "Vctrl", "direction": "increasing"})]),
    ("voltage-controlled ring oscillator around 100 MHz", "|Vout|Vctrl",
     [F("vco"), ("control_moves_frequency", {"control": "Vctrl"}), ("oscillation", {"frequency_hz": 1e8})]),
    ("oscillator with an output amplitude of at least 1 V", OSC, [("oscillation", {"min_amplitude_v": 1.0})]),
    # --- references, regulators, mirrors -------------------------------------------------------------
    ("a regulator producing 1.2 V", "|Vout|Vref", [F("ldo"), T("vout_v", "~", 1.2)]),
    ("LDO with a 1.5 V output", "|Vout|Vref", [F("ldo"), T("vout_v", "~", 1.5)]),
    ("low-dropout regulator delivering 1.0 V with dropout below 200 mV", "|Vout|Vref",
     [T("vout_v", "~", 1.0), T("dropout_v", "<=", 0.2)]),
    ("an LDO regulating 1.2 V from a 1.8 V supply, load current up to 10 mA", "|Vout|Vref",
     [T("vout_v", "~", 1.2), ("supply", {"voltage": 1.8}), T("load_current_a", ">=", 10e-3)]),
    ("bandgap reference of 1.2 V", "|Vref|", [F("bandgap"), T("vout_v", "~", 1.2)]),
    ("bandgap with a temperature coefficient below 50 ppm/°C", "|Vref|", [T("tempco_ppm", "<=", 50)]),
    ("a beta-multiplier current reference producing 20 uA", "|Iout|", [F("reference", "current"),
                                                                       T("iout_a", "~", 20e-6)]),
    ("a current mirror copying 20 uA", "Iref|Iout|", [F("current_mirror"), T("iout_a", "~", 20e-6)]),
    ("cascode current mirror with 50 uA output current", "Iref|Iout|",
     [F("current_mirror", "cascode"), T("iout_a", "~", 50e-6)]),
    ("Wilson current mirror with an output resistance of at least 1 MOhm", "Iref|Iout|",
     [F("current_mirror", "wilson"), T("rout_ohm", ">=", 1e6)]),
    ("simple NMOS current mirror with Iref = 10 uA", "Iref|Iout|",
     [("condition", {"name": "ref_current_a", "value": 10e-6})]),
    # --- converters, others -------------------------------------------------------------------------
    ("an 8-bit R-2R DAC", "D0,D1,D2,D3,D4,D5,D6,D7|Vout|", [F("dac", "r2r"), T("bits", "==", 8)]),
    ("a Gilbert cell mixer with 10 dB conversion gain", "RF,LO|IF|", [F("mixer", "gilbert"),
                                                                     T("conversion_gain_db", ">=", 10)]),
    ("sample-and-hold circuit", "Vin|Vout|CLK", [F("sample_hold")]),
    ("a transimpedance amplifier with 10 kOhm transimpedance", "Iin:signal_in,Vout:out",
     [T("transimpedance_ohm", "~", 1e4)]),
]


# More phrasings (helper H7), written as designers write them before running the reader: op words with
# negations ("no more than", "no lower than"), figures before/after their nouns, units such as Vpp,
# structures in other words (cascaded stages, a follower's current-source bias, resistorless).
CASES += [
    ("op-amp with a UGB of 50MHz", OPAMP, [T("ugb_hz", ">=", 50e6)]),
    ("an op-amp whose unity-gain frequency is at least 30 MHz", OPAMP, [T("ugb_hz", ">=", 30e6)]),
    ("op-amp with at least 65 degrees of phase margin", OPAMP, [T("pm_deg", ">=", 65)]),
    ("an op-amp that burns no more than 3 mW", OPAMP, [T("power_w", "<=", 3e-3)]),
    ("op-amp, slew rate 10 V/us", OPAMP, [T("slew_vps", ">=", 10e6)]),
    ("op-amp with CMRR better than 80 dB", OPAMP, [T("cmrr_db", ">=", 80)]),
    ("op-amp with an output swing of 1.2 Vpp", OPAMP, [T("output_swing_v", ">=", 1.2)]),
    ("op-amp with a phase margin no less than 50 degrees", OPAMP, [T("pm_deg", ">=", 50)]),
    ("op-amp with a supply current not more than 200 uA", OPAMP, [T("supply_current_a", "<=", 200e-6)]),
    ("op-amp whose power must not exceed 1.5 mW", OPAMP, [T("power_w", "<=", 1.5e-3)]),
    ("op-amp with PSRR greater than 70 dB", OPAMP, [T("psrr_db", ">=", 70)]),
    ("op-amp, open-loop DC gain of 80 dB minimum", OPAMP, [T("gain_db", ">=", 80)]),
    ("op-amp with a GBW no lower than 10 MHz", OPAMP, [T("gbw_hz", ">=", 10e6)]),
    ("an op-amp with a crossover frequency of 5 MHz", OPAMP, [T("ugb_hz", ">=", 5e6)]),
    ("op-amp with a 40 V/us slew rate", OPAMP, [T("slew_vps", ">=", 40e6)]),
    ("op-amp drawing no more than 1 mA from a 3.3 V supply", OPAMP,
     [T("supply_current_a", "<=", 1e-3), ("supply", {"voltage": 3.3})]),
    ("op-amp with input-referred offset under 1 mV", OPAMP, [T("offset_v", "<=", 1e-3)]),
    ("op-amp that settles in less than 50 ns", OPAMP, [T("settling_s", "<=", 50e-9)]),
    ("op-amp stable with a 10 pF load capacitance", OPAMP, [("condition", {"name": "load_cap_f", "value": 10e-12})]),
    ("two cascaded common-source stages with resistor loads", AMP,
     [("stage_count", {"count": 2}), ("load_type", {"load": "resistor"})]),
    ("a source follower with a current-source bias", AMP,
     [F("amplifier", "common_drain"), ("load_type", {"load": "current_source"})]),
    ("common-source amplifier whose gain is no more than 5", AMP, [T("gain_vv", "<=", 5)]),
    ("common-source amplifier drawing under 150 uA", AMP, [T("supply_current_a", "<=", 150e-6)]),
    ("common-source stage with a voltage gain of 8 V/V or more", AMP, [T("gain_vv", ">=", 8)]),
    ("a near-unity gain source follower", AMP, [T("gain_vv", "~", 1.0), F("amplifier", "common_drain")]),
    ("CS amplifier with |gain| = Rd/Rs = 4, resistors Rd and Rs", AMP, [T("gain_vv", ">=", 4.0)]),
    ("a cascoded NMOS current mirror", "Iref|Iout|", [F("current_mirror", "cascode")]),
    ("current mirror: 5 uA in, 15 uA out", "Iref|Iout|",
     [("condition", {"name": "ref_current_a", "value": 5e-6}), T("iout_a", "~", 15e-6)]),
    ("a resistorless voltage reference at 0.7 V", "|Vref|",
     [("device_count", {"device": "resistor", "max": 0}), T("vout_v", "~", 0.7)]),
    ("inverting Schmitt trigger that switches low above 1.2 V and back high below 0.5 V", AMP,
     [("threshold", {"value": 1.2, "direction": "rising"}), ("threshold", {"value": 0.5, "direction": "falling"})]),
    ("an inverter whose threshold is within 30 mV of 0.9 V", AMP, [("threshold", {"value": 0.9, "tol": 0.03})]),
    ("a differential comparator with a tail bias", "Vinp,Vinn|Vout|Vb", [F("comparator")]),
    ("a passive NMOS switching mixer", "RF,LO|IF|", [F("mixer", "passive")]),
    ("3-bit DAC with bit weights d2 = 1/2, d1 = 1/4, d0 = 1/8", "d0,d1,d2|Vout|",
     [("linear_relation", {"output": "Vout", "coefficients": {"d0": 0.125, "d1": 0.25, "d2": 0.5}})]),
    ("a sample-and-hold with a 2 pF hold capacitor Ch", "Vin|Vout|CLK",
     [("named_component", {"name": "Ch", "value": 2e-12})]),
    ("integrator, RC = 1 ms (R = 1 MOhm, C = 1 nF)", AMP, [T("time_constant_s", "~", 1e-3)]),
    ("ring oscillator with a swing of at least 1.4 V peak-to-peak", OSC, [("oscillation", {"min_amplitude_v": 0.7})]),
    ("VCO whose frequency at Vctrl = 0.9 V is near 200 MHz", "|Vout|Vctrl",
     [("oscillation", {"frequency_hz": 2e8}), ("condition", {"name": "control_v", "value": 0.9})]),
    ("a wien-bridge oscillator producing a 5 kHz sine", OSC,
     [F("oscillator", "wien"), ("oscillation", {"frequency_hz": 5e3})]),
    ("a low dropout regulator with a PMOS pass transistor, output 1.2 V", "|Vout|Vref",
     [F("ldo"), T("vout_v", "~", 1.2), ("device_count", {"device": "pmos", "min": 1})]),
    ("bandgap reference, output near 1.2 V, power below 0.5 mW", "|Vref|",
     [T("vout_v", "~", 1.2), T("power_w", "<=", 0.5e-3)]),
    ("second-order Sallen-Key high-pass, cutoff 2 kHz", AMP,
     [("filter", {"response": "highpass", "order": 2, "implementation": "active", "corner_hz": 2e3})]),
    ("active low-pass with a corner at 3 kHz and a pass-band gain of 4", AMP,
     [("filter", {"response": "lowpass", "corner_hz": 3e3}), T("gain_vv", "~", 4.0)]),
    ("passive first-order RC low-pass with its -3 dB point at 20 kHz", AMP,
     [("filter", {"response": "lowpass", "order": 1, "implementation": "passive", "corner_hz": 2e4})]),
    ("difference amplifier with out = 3*(p - n)", "p,n|out|",
     [("linear_relation", {"output": "out", "coefficients": {"p": 3.0, "n": -3.0}})]),
    ("non-inverting amplifier giving 2.5x gain", AMP,
     [("linear_relation", {"output": "Vout", "coefficients": {"Vin": 2.5}})]),
    ("op-amp differentiator with a 5 us time constant", AMP, [T("time_constant_s", "~", 5e-6)]),
    ("comparator whose output goes high when Vin rises above Vref, Vref held at 0.8 V", "Vin|Vout|Vref",
     [("threshold", {"value": 0.8}), ("polarity", {"sense": "non_inverting"})]),
    ("a Schmitt trigger with about 250 mV of hysteresis", AMP, [("hysteresis", {"op": "~", "value": 0.25})]),
    ("an LDO delivering 1.6 V with its reference at 0.8 V", "|Vout|Vref",
     [T("vout_v", "~", 1.6), ("condition", {"name": "ref_voltage_v", "value": 0.8})]),
]

def _ports(spec: str) -> PortList:
    if ":" in spec:
        return PortList(ports=tuple(spec.split(",")))
    ins, outs, bias = (tuple(x for x in part.split(",") if x) for part in spec.split("|"))
    return PortList(ins, outs, bias)


def _match(have, want) -> bool:
    for k, v in want.items():
        if k not in have:
            return False
        got = have[k]
        if isinstance(v, float) or isinstance(got, float):
            if not isinstance(got, (int, float)) or not math.isclose(float(got), float(v), rel_tol=1e-6):
                return False
        elif isinstance(v, dict):
            if set(v) != set(got) or not all(math.isclose(got[n], c, rel_tol=1e-6) for n, c in v.items()):
                return False
        elif got != v:
            return False
    return True


def test_the_set_is_large_enough():
    assert len(CASES) >= 170
    assert sum(len(c[2]) for c in CASES) >= 240


@pytest.mark.parametrize("text,ports,atoms", CASES, ids=[c[0][:48] for c in CASES])
def test_paraphrase_is_read_fully(text, ports, atoms):
    req = read_request(text, _ports(ports))
    reqs = [(r.kind, r.params.to_plain()) for r in req.requirements]
    for kind, params in atoms:
        assert any(k == kind and _match(p, params) for k, p in reqs), \
            f"{kind} {params} not read from {text!r}; got {reqs}"
    assert req.unconsumed == (), f"unread in {text!r}: {req.unconsumed}"
    for r in req.requirements:  # every atom points at the words it came from
        if not r.source.is_spec:
            s, e = r.source.span
            assert req.text[s:e] == r.source.phrase and e > s


REALISTIC = [
    ("Design a single-stage common-source amplifier with a resistive load. The input is Vin and the output is "
     "Vout.", AMP, [F("amplifier", "common_source"), ("load_type", {"load": "resistor"})]),
    ("Design a 3-stage amplifier with single-ended input and single-ended output, each stage using a resistive "
     "load.", AMP, [("stage_count", {"count": 3}), ("load_type", {"load": "resistor", "stage": 3})]),
    ("Design a common-drain amplifier (source follower) with a current-source load biased by Vbias.",
     "Vin|Vout|Vbias", [F("amplifier", "common_drain"), ("load_type", {"load": "current_source"})]),
    ("Design a differential amplifier with a PMOS current mirror load and an NMOS tail current source.",
     "Vinp,Vinn|Vout|Vbias", [("load_type", {"load": "mirror"}),
                              ("structure", {"feature": "tail_source", "device": "nmos"})]),
    ("Design an opamp with an NMOS input stage and a class-AB output stage.", OPAMP,
     [("input_type", {"device": "nmos"}), ("structure", {"feature": "push_pull"})]),
    ("Design a voltage-controlled oscillator whose frequency is set by Vctrl.", "|Vout|Vctrl",
     [("control_moves_frequency", {"control": "Vctrl"})]),
    ("Design a two-stage operational amplifier with a gain above 60 dB, a unity-gain bandwidth above 10 MHz, "
     "phase margin above 60 degrees, and power consumption below 1 mW, with a 5 pF load capacitance.", OPAMP,
     [T("gain_db", ">=", 60), T("ugb_hz", ">=", 10e6), T("pm_deg", ">=", 60), T("power_w", "<=", 1e-3),
      ("condition", {"name": "load_cap_f", "value": 5e-12})]),
]


REALISTIC += [
    ("Design a single-stage common-source amplifier with an NMOS transistor and a resistive load. The amplifier "
     "should have a voltage gain larger than 5.", "Vin|Vout|Vbias", [T("gain_vv", ">=", 5.0), ("input_type", {"device": "nmos"})]),
    ("Design a 3-stage amplifier, where each stage is a common-source amplifier with resistive load.", AMP,
     [("load_type", {"load": "resistor", "stage": 1}), ("load_type", {"load": "resistor", "stage": 3})]),
    ("Design a two-stage operational amplifier with a differential input and a single-ended output. The first "
     "stage is a differential pair with a current-mirror load, the second stage is a common-source amplifier. Use "
     "Miller compensation.", OPAMP, [("stage_count", {"count": 2}), ("structure", {"feature": "miller_compensation"})]),
    ("Design an RC phase-shift oscillator using an op-amp with three RC stages.", OSC,
     [("device_count", {"device": "capacitor", "min": 3})]),
    ("Design a low-dropout regulator (LDO) that regulates the output to 1 V with a 1.8 V supply.", "|Vout|Vref",
     [T("vout_v", "~", 1.0), ("supply", {"voltage": 1.8})]),
]


@pytest.mark.parametrize("text,ports,atoms", REALISTIC, ids=[c[0][9:50] for c in REALISTIC])
def test_realistic_requests_are_read_fully(text, ports, atoms):
    test_paraphrase_is_read_fully(text, ports, atoms)


@pytest.mark.parametrize("text,ports,unread", [
    ("a band-pass filter passing 1 kHz to 10 kHz", AMP, "10 kHz"),
    ("a common-source amplifier with a flux capacitor", AMP, "flux capacitor"),
    ("a rail-to-rail op-amp", OPAMP, "rail-to-rail"),
    ("a Butterworth low-pass filter at 1 kHz", AMP, "Butterworth"),
    ("a low-power op-amp", OPAMP, "low-power"),
    ("a common-source amplifier with a gain of 12 and some 7", AMP, "7"),
])
def test_what_cannot_be_checked_stays_unread(text, ports, unread):
    req = read_request(text, _ports(ports))
    assert any(unread in u for u in req.unconsumed), req.unconsumed


def test_amplifier_gain_without_unit_is_a_magnitude_floor():
    req = read_request("a common-source amplifier with a gain of 10", _ports(AMP))
    assert ("target", {"figure": "gain_vv", "op": ">=", "value": 10.0}) in \
        [(r.kind, r.params.to_plain()) for r in req.requirements]
    assert req.unconsumed == ()


def test_a_unit_noun_right_after_the_number_names_it():
    req = read_request("a bandgap reference output, 1.8 V supply", _ports("|Vref|"))
    kinds = [(r.kind, r.params.to_plain()) for r in req.requirements]
    assert ("supply", {"voltage": 1.8}) in kinds
    assert not any(k == "target" and p.get("figure") == "vout_v" for k, p in kinds)


def test_an_oscillators_inner_amplifier_is_not_a_requirement():
    req = read_request("Wien bridge oscillator, non-inverting amplifier with gain just above 3, output out",
                       _ports("|out|"))
    kinds = {r.kind for r in req.requirements}
    assert "polarity" not in kinds and "target" not in kinds and "oscillation" in kinds
    assert req.unconsumed == ()


def test_per_stage_loads_follow_their_ordinal():
    req = read_request("Two-stage amplifier from Vin to Vout: first stage CS with diode-connected PMOS load, second "
                       "stage CS with resistor load.", _ports(AMP))
    loads = sorted((r.params["stage"], r.params["load"]) for r in req.requirements if r.kind == "load_type")
    assert loads == [(1, "pmos_diode"), (2, "resistor")] and req.unconsumed == ()


@pytest.mark.parametrize("text,ports,atoms", [
    ("5T OTA, gain between 30 and 45 dB", OPAMP, [T("gain_db", ">=", 30), T("gain_db", "<=", 45)]),
    ("Schmitt trigger; hysteresis 200 mV to 600 mV", AMP,
     [("hysteresis", {"op": ">=", "value": 0.2}), ("hysteresis", {"op": "<=", "value": 0.6})]),
    ("a two-stage op-amp with at most 3 mW power, 20 MHz GBW", OPAMP,
     [T("power_w", "<=", 3e-3), T("gbw_hz", ">=", 20e6)]),
])
def test_windows_and_neighbouring_bounds(text, ports, atoms):
    test_paraphrase_is_read_fully(text, ports, atoms)


def test_ground_at_zero_is_read_and_a_process_node_is_not():
    req = read_request("a common-source amplifier, VDD = 1.8 V, VSS = 0 V", _ports(AMP))
    assert req.unconsumed == ()
    req = read_request("a common-source amplifier in a 180 nm process", _ports(AMP))
    assert any("180 nm" in u for u in req.unconsumed)  # no PDK of that node is in use: never silently dropped


@pytest.mark.parametrize("text,ports,atoms", [
    ("Gain-of-minus-five inverting stage with op-amp; IN, OUT", "IN|OUT|",
     [("linear_relation", {"output": "OUT", "coefficients": {"IN": -5.0}})]),
    ("Buffer the reference: a unity-gain follower from Vin to Vout", AMP, [T("gain_vv", "~", 1.0)]),
    ("Mirror with output 3x the reference current; reference 10uA into ref, output out", "ref|out|",
     [T("mirror_ratio", "~", 3.0), ("condition", {"name": "ref_current_a", "value": 10e-6, "port": "ref"})]),
])
def test_word_numbers_and_reference_mentions(text, ports, atoms):
    test_paraphrase_is_read_fully(text, ports, atoms)
