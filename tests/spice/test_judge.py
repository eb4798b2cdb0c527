"""The independent judge on hand-written good and bad netlists.

Each bad netlist is a plausible wrong answer to its request (the kinds of mistakes a
synthesis tool makes: wrong load, too few stages, wrong coefficients, wrong polarity,
wrong filter, inverter ring for a named oscillator family) and must be caught by the
requirement it violates, while the good one passes everything.
"""
from __future__ import annotations

import pytest

from chipsmith.spice.judge import FAIL, PASS, UNVERIFIABLE, judge
from chipsmith.spice.requirements import Interface, Port, Request, Requirement

M = """.model nch nmos (level=1 vto=0.45 kp=300u lambda=0.08 cgso=3e-10 cgdo=3e-10 cj=1e-3)
.model pch pmos (level=1 vto=-0.45 kp=80u lambda=0.1 cgso=3e-10 cgdo=3e-10 cj=1.1e-3)"""


def R(rid: str, kind: str, **params) -> Requirement:
    return Requirement(rid, kind, params)


def iface(*ports: tuple[str, str]) -> Interface:
    return Interface(tuple(Port(n, r) for n, r in ports))


def subckt(ports: str, body: str) -> str:
    return f"* test design\n.subckt design {ports} vdd gnd\n{body.strip()}\n{M}\n.ends design\n"


def status(verdict, rid: str) -> str:
    return next(r.status for r in verdict.results if r.id == rid)


# --- amplifiers ----------------------------------------------------------------------------

CS_IO = iface(("Vin", "signal_in"), ("Vout", "out"))
CS_REQS = (R("fam", "family", family="amplifier", variant="common_source"), R("load", "load_type", load="resistor"),
           R("stages", "stage_count", count=1), R("pol", "polarity", sense="inverting"),
           R("gain", "target", figure="gain_db", op=">=", value=12.0),
           R("pwr", "target", figure="power_w", op="<=", value=1e-3),
           R("r1", "named_component", name="R1", element="resistor"))
CS_GOOD = subckt("Vin Vout", "M1 Vout Vin gnd gnd nch W=10u L=1u\nR1 vdd Vout 10k")
CS_DIODE = subckt("Vin Vout", "M1 Vout Vin gnd gnd nch W=10u L=1u\nM2 Vout Vout vdd vdd pch W=4u L=1u")


def test_common_source_good_passes_everything() -> None:
    v = judge(CS_GOOD, Request("cs", CS_IO, CS_REQS))
    assert v.success, v.summary_line()
    gain = next(r for r in v.results if r.id == "gain")
    assert 14 < gain.figure < 20  # gm*R of this hand sizing, about 17 dB


def test_diode_load_is_caught_by_the_load_requirement() -> None:
    v = judge(CS_DIODE, Request("cs", CS_IO, CS_REQS))
    assert not v.success
    assert status(v, "load") == FAIL and status(v, "r1") == FAIL
    assert status(v, "fam") == PASS and status(v, "stages") == PASS
    load = judge(CS_DIODE, (CS_IO, (R("pd", "load_type", load="pmos_diode"),
                                    R("dc", "structure", feature="diode_connected", device="pmos"))))
    assert load.success, load.summary_line()


def test_three_stage_request_built_with_one_transistor_fails_stage_count() -> None:
    three = subckt("Vin Vout", """
M1 a Vin gnd gnd nch W=10u L=1u
R1 vdd a 10k
M2 b a gnd gnd nch W=10u L=1u
R2 vdd b 10k
M3 Vout b gnd gnd nch W=10u L=1u
R3 vdd Vout 10k""")
    reqs = (R("stages", "stage_count", count=3), R("pol", "polarity", sense="inverting"))
    assert judge(three, (CS_IO, reqs)).success
    v = judge(CS_GOOD, (CS_IO, reqs))
    assert status(v, "stages") == FAIL and status(v, "pol") == PASS


def test_common_gate_and_follower_are_told_apart() -> None:
    io = iface(("Vin", "signal_in"), ("Vbias", "bias_v"), ("Vout", "out"))
    cg = subckt("Vin Vbias Vout", "M1 Vout Vbias Vin gnd nch W=10u L=1u\nR1 vdd Vout 10k\nRs Vin gnd 5k")
    cd = subckt("Vin Vbias Vout", "M1 vdd Vin Vout gnd nch W=10u L=1u\nM2 Vout Vbias gnd gnd nch W=2u L=1u")
    want_cg = (R("fam", "family", family="amplifier", variant="common_gate"), R("pol", "polarity", sense="non_inverting"))
    want_cd = (R("fam", "family", family="amplifier", variant="common_drain"),)
    assert judge(cg, (io, want_cg)).success
    assert judge(cd, (io, want_cd)).success
    assert not judge(cd, (io, want_cg)).success
    assert not judge(cg, (io, want_cd)).success


# --- op-amp applications with an ideal (E-source) amplifier ---------------------------------------

def _summer(rf: str) -> str:
    return subckt("Vin1 Vin2 Vout", f"""
Ra vdd vref 10k
Rb vref gnd 10k
E1 Vout gnd vref ninv 1e4
R1 Vin1 ninv 10k
R2 Vin2 ninv 10k
Rf ninv Vout {rf}""")


def test_summer_coefficients() -> None:
    io = iface(("Vin1", "signal_in"), ("Vin2", "signal_in"), ("Vout", "out"))
    reqs = (R("fam", "family", family="opamp_app", variant="summer"),
            R("rel", "linear_relation", output="Vout", coefficients={"Vin1": -1.0, "Vin2": -1.0}),
            R("fb", "structure", feature="feedback"))
    assert judge(_summer("10k"), (io, reqs)).success
    v = judge(_summer("20k"), (io, reqs))  # Vout = -2(Vin1 + Vin2): right family, wrong relation
    assert status(v, "rel") == FAIL and status(v, "fam") == PASS
    assert "-2" in next(r.detail for r in v.results if r.id == "rel")


def test_non_inverting_request_built_inverting_is_caught() -> None:
    io = iface(("Vin", "signal_in"), ("Vout", "out"))
    inverting = subckt("Vin Vout", """
Ra vdd vref 10k
Rb vref gnd 10k
E1 Vout gnd vref ninv 1e4
R1 Vin ninv 10k
Rf ninv Vout 20k""")
    non_inverting = subckt("Vin Vout", """
Ra vdd vref 1k
Rb vref gnd 1k
E1 Vout gnd Vin ninv 1e4
R1 vref ninv 9.5k
Rf ninv Vout 20k""")
    reqs = (R("fam", "family", family="opamp_app", variant="non_inverting"), R("pol", "polarity", sense="non_inverting"),
            R("g", "target", figure="gain_vv", op="~", value=3.0, tol=0.05))
    assert judge(non_inverting, (io, reqs)).success
    v = judge(inverting, (io, reqs))
    assert status(v, "pol") == FAIL and status(v, "fam") == FAIL and status(v, "g") == FAIL


# --- filters --------------------------------------------------------------------------------

RC_LP = subckt("Vin Vout", "R1 Vin Vout 10k\nC1 Vout gnd 10n")
RC_HP = subckt("Vin Vout", "C1 Vin Vout 10n\nR1 Vout gnd 10k")
RC2_LP = subckt("Vin Vout", "R1 Vin a 10k\nC1 a gnd 10n\nR2 a Vout 100k\nC2 Vout gnd 1n")


def test_filter_kind_order_corner_and_implementation() -> None:
    io = iface(("Vin", "signal_in"), ("Vout", "out"))
    lp1 = (R("f", "filter", response="lowpass", order=1, implementation="passive", corner_hz=1591.5, tol=0.1),)
    assert judge(RC_LP, (io, lp1)).success
    assert not judge(RC_HP, (io, lp1)).success
    v = judge(RC_LP, (io, (R("f", "filter", response="lowpass", order=2),)))
    assert status(v, "f") == FAIL and "order 1" in v.results[0].detail
    assert judge(RC2_LP, (io, (R("f", "filter", response="lowpass", order=2),))).success
    assert not judge(RC_LP, (io, (R("f", "filter", response="lowpass", implementation="active"),))).success


# --- oscillators ------------------------------------------------------------------------------

def _inv(name: str, a: str, y: str) -> str:
    return f"Mn{name} {y} {a} gnd gnd nch W=1u L=1u\nMp{name} {y} {a} vdd vdd pch W=3u L=1u\nC{name} {y} gnd 20f"


RING3 = subckt("Vout", "\n".join([_inv("1", "Vout", "a"), _inv("2", "a", "b"), _inv("3", "b", "Vout")]))


def test_ring_oscillates_but_is_no_phase_shift_oscillator() -> None:
    io = iface(("Vout", "out"))
    ring = judge(RING3, (io, (R("fam", "family", family="oscillator", variant="ring"),
                              R("osc", "oscillation", min_amplitude_v=0.5))))
    assert ring.success, ring.summary_line()
    freq = ring.results[1].figure
    assert 1e7 < freq < 1e10
    wrong = judge(RING3, (io, (R("fam", "family", family="oscillator", variant="rc_phase_shift"),)))
    assert wrong.results[0].status == FAIL
    assert not judge(RING3, (io, (R("osc", "oscillation", frequency_hz=freq * 3, tol=0.2),))).success


# --- mirrors, interface, safety ---------------------------------------------------------------

MIRROR = subckt("Iref Iout", "M1 Iref Iref gnd gnd nch W=4u L=2u\nM2 Iout Iref gnd gnd nch W=8u L=2u")


def test_mirror_ratio_and_current() -> None:
    io = iface(("Iref", "bias_i"), ("Iout", "out"))
    reqs = (R("fam", "family", family="current_mirror", variant="simple"),
            R("ratio", "target", figure="mirror_ratio", op="~", value=2.0, tol=0.15),
            R("i", "target", figure="iout_a", op="~", value=40e-6, tol=0.15),
            R("n", "device_count", device="nmos", min=2, max=2), R("p", "device_count", device="pmos", max=0))
    assert judge(MIRROR, (io, reqs)).success
    one_to_one = MIRROR.replace("W=8u", "W=4u")
    v = judge(one_to_one, (io, reqs))
    assert status(v, "ratio") == FAIL and status(v, "fam") == PASS


def test_interface_mismatch_and_unsafe_text_fail_every_requirement() -> None:
    io = iface(("Vin", "signal_in"), ("Vbias", "bias_v"), ("Vout", "out"))
    v = judge(CS_GOOD, (io, CS_REQS[:2]))
    assert not v.success and "Vbias".lower() in v.problems[0]
    assert all(r.status == FAIL for r in v.results)
    hostile = CS_GOOD + ".control\nshell rm -rf /\n.endc\n"
    v = judge(hostile, (CS_IO, CS_REQS[:1]))
    assert not v.success and "not accepted" in v.problems[0]
    top = "* t\nV1 a 0 1\n" + CS_GOOD.split("\n", 1)[1]
    assert "top-level" in judge(top, (CS_IO, CS_REQS[:1])).problems[0]


def test_unverifiable_is_not_a_pass() -> None:
    io = iface(("Vin", "signal_in"), ("Vout", "out"))
    v = judge(CS_GOOD, (io, (R("latch", "family", family="latch"), R("n", "target", figure="noise_vrthz", op="<=",
                                                                   value=1e-8))))
    assert [r.status for r in v.results] == [UNVERIFIABLE, UNVERIFIABLE]
    assert not v.success
    assert not judge(CS_GOOD, (io, ())).success  # nothing checked: no success claim


def test_verdict_json_is_strict() -> None:
    import json

    v = judge(RC_LP, (iface(("Vin", "signal_in"), ("Vout", "out")),
                      (R("g", "target", figure="gain_db", op=">=", value=-1.0),)))
    text = json.dumps(v.to_dict(), allow_nan=False)
    assert '"status"' in text


def test_ring_stage_count_counts_the_loop() -> None:
    io = iface(("Vout", "out"))
    reqs = (R("fam", "family", family="oscillator", variant="ring"), R("n", "stage_count", count=3))
    v = judge(RING3, (io, reqs))
    assert v.success, v.summary_line()
    assert not judge(RING3, (io, (reqs[0], R("n", "stage_count", count=5)))).success


def test_pmos_mirror_with_current_pulled_out_of_the_reference() -> None:
    io = iface(("Iref", "bias_i"), ("Iout", "out"))
    pmirror = subckt("Iref Iout", "M1 Iref Iref vdd vdd pch W=8u L=2u\nM2 Iout Iref vdd vdd pch W=16u L=2u")
    reqs = (R("fam", "family", family="current_mirror"), R("c", "condition", name="ref_current_a", value=-20e-6,
                                                            port="Iref"),
            R("ratio", "target", figure="mirror_ratio", op="~", value=2.0, tol=0.15))
    v = judge(pmirror, Request("", io, reqs))
    assert v.success, v.summary_line()


# --- data-converter parts, mixers, VCOs: good and wrong answers --------------------------------

def _ring_vco(starve_gate: str) -> str:
    stages = [("Vout", "x1"), ("x1", "x2"), ("x2", "Vout")]
    return subckt("Vctrl Vout", "\n".join(
        f"Mp{i} {o} {a} vdd vdd pch W=2u L=1u\nMn{i} {o} {a} s{i} gnd nch W=2u L=1u\n"
        f"Ms{i} s{i} {starve_gate} gnd gnd nch W=2u L=1u\nC{i} {o} gnd 50f" for i, (a, o) in enumerate(stages))
        + ("\nRc Vctrl gnd 1meg" if starve_gate == "vdd" else ""))


@pytest.mark.parametrize("good, bad, family, ports, extra", [
    (subckt("B0 B1 B2 Vout", "R1 B0 n0 20k\nR0 n0 gnd 20k\nR2 n0 n1 10k\nR3 B1 n1 20k\nR4 n1 Vout 10k\nR5 B2 Vout 20k"),
     subckt("B0 B1 B2 Vout", "R1 B0 Vout 10k\nR2 B1 Vout 10k\nR3 B2 Vout 10k"),  # equal weights: not binary
     ("dac", "r2r"), (("B0", "signal_in"), ("B1", "signal_in"), ("B2", "signal_in"), ("Vout", "out")), ()),
    (subckt("RF LO IF", "M1 RF LO IF gnd nch W=10u L=1u\nRl IF gnd 10k\nCl IF gnd 1p"),
     subckt("RF LO IF", "R1 RF IF 10k\nR2 LO IF 10k\nR3 IF gnd 10k"),  # a linear summer makes no IF
     ("mixer", None), (("RF", "signal_in"), ("LO", "signal_in"), ("IF", "out")), ()),
    (subckt("Vin CLK Vout", "M1 Vin CLK Vout gnd nch W=4u L=1u\nC1 Vout gnd 1p"),
     subckt("Vin CLK Vout", "M1 Vin CLK Vout gnd nch W=4u L=1u\nR1 Vout gnd 1meg"),  # no hold capacitor
     ("sample_hold", None), (("Vin", "signal_in"), ("CLK", "clock"), ("Vout", "out")), ()),
    (_ring_vco("Vctrl"), _ring_vco("vdd"),  # the control input is not connected to the ring
     ("vco", "ring"), (("Vctrl", "control"), ("Vout", "out")), (("c", "control_moves_frequency", {"control": "Vctrl"}),)),
])
def test_good_passes_wrong_fails(good, bad, family, ports, extra) -> None:
    io = iface(*ports)
    fam = {"family": family[0], **({"variant": family[1]} if family[1] else {})}
    reqs = (R("fam", "family", **fam),) + tuple(Requirement(i, k, p) for i, k, p in extra)
    v = judge(good, (io, reqs))
    assert v.success, v.summary_line()
    assert not judge(bad, (io, reqs)).success


def test_common_gate_with_current_source_load_and_input_bias_sink() -> None:
    io = iface(("Vin", "signal_in"), ("Vbias1", "bias_v"), ("Vbias2", "bias_v"), ("Vout", "out"))
    cg = subckt("Vin Vbias1 Vbias2 Vout", "M1 Vout Vbias1 Vin gnd nch W=10u L=1u\n"
                                          "M2 Vout Vbias2 vdd vdd pch W=10u L=1u\nM3 Vin Vbias1 gnd gnd nch W=2u L=1u")
    reqs = (R("fam", "family", family="amplifier", variant="common_gate"), R("l", "load_type", load="current_source"),
            R("n", "stage_count", count=1))
    v = judge(cg, (io, reqs))
    assert v.success, v.summary_line()


def test_supply_and_ground_ports_by_the_designers_names() -> None:
    io = iface(("Vin", "signal_in"), ("Vout", "out"), ("VDD", "supply"), ("VSS", "ground"))
    text = CS_GOOD.replace(".subckt design Vin Vout vdd gnd", ".subckt design Vin Vout VDD VSS").replace(
        "gnd gnd", "VSS VSS").replace("R1 vdd", "R1 VDD")
    v = judge(text, (io, CS_REQS[:4]))
    assert v.success, v.summary_line()
    assert judge(CS_GOOD, (io, CS_REQS[:4])).success  # the usual vdd/gnd spelling maps onto the roles


def test_diode_loaded_stage_drives_the_next_stage_and_nmos_diode_to_vdd_is_a_load() -> None:
    io = iface(("Vin", "signal_in"), ("Vout", "out"))
    two = subckt("Vin Vout", "M1 s1 s1 vdd vdd pch W=4u L=1u\nM2 s1 Vin gnd gnd nch W=10u L=1u\n"
                             "R1 vdd Vout 22.5k\nM3 Vout s1 gnd gnd nch W=10u L=1u")
    v = judge(two, (io, (R("n", "stage_count", count=2), R("l1", "load_type", load="pmos_diode", stage=1),
                         R("l2", "load_type", load="resistor", stage=2))))
    assert v.success, v.summary_line()
    nload = subckt("Vin Vout", "M1 Vout Vin gnd gnd nch W=10u L=1u\nM2 vdd vdd Vout gnd nch W=2u L=1u")
    v = judge(nload, (io, (R("l", "load_type", load="nmos_diode"), R("d", "structure", feature="diode_connected",
                                                                     device="nmos"),
                           R("f", "family", family="amplifier", variant="common_source"))))
    assert v.success, v.summary_line()


def _thermometer(w1n: str, w1p: str) -> str:
    def buf(k: int, wn: str, wp: str) -> str:
        return (f"Mn{k} x{k} Vin gnd gnd nch W={wn} L=1u\nMp{k} x{k} Vin vdd vdd pch W={wp} L=1u\n"
                f"Mm{k} T{k} x{k} gnd gnd nch W=1u L=1u\nMq{k} T{k} x{k} vdd vdd pch W=3u L=1u")
    return subckt("Vin T1 T2 T3", "\n".join([buf(1, w1n, w1p), buf(2, "1u", "3u"), buf(3, "1u", "40u")]))


def test_flash_thermometer_order() -> None:
    io = iface(("Vin", "signal_in"), ("T1", "out"), ("T2", "out"), ("T3", "out"))
    reqs = (R("fam", "family", family="adc", variant="flash"),)
    assert judge(_thermometer("8u", "1u"), (io, reqs)).success
    assert not judge(_thermometer("1u", "40u"), (io, reqs)).success  # T1 switches with T3: no thermometer


def test_the_judge_never_imports_the_agent() -> None:
    import subprocess
    import sys

    code = ("import sys, chipsmith.spice.judge, chipsmith.spice.judge_family, chipsmith.spice.requirements; "
            "from chipsmith.spice.judge import judge; "
            "judge(open(sys.argv[1]).read(), __import__('pickle').load(open(sys.argv[2], 'rb'))); "
            "print(sorted(m for m in sys.modules if m.startswith('chipsmith.agents')))")
    import pickle
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as d:
        Path(d, "d.cir").write_text(CS_GOOD)
        Path(d, "r.pkl").write_bytes(pickle.dumps(Request("cs", CS_IO, CS_REQS)))
        out = subprocess.run([sys.executable, "-c", code, str(Path(d, "d.cir")), str(Path(d, "r.pkl"))],
                             capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_slew_of_a_miller_op_amp_as_follower() -> None:
    from chipsmith.benchmarks import topology_bench as tb

    p = next(x for x in tb.load_set("real") if x["id"] == "real-001")  # 40 uA tail, Cc = 2 pF: I/Cc = 20 V/us
    req = Request("", p["request"].interface, (R("s", "target", figure="slew_vps", op=">=", value=5e6),))
    v = judge(p["reference"], req)
    assert v.success, v.summary_line()
    assert 5e6 < v.results[0].figure < 5e7


def test_cmrr_and_psrr_of_a_five_transistor_ota() -> None:
    from chipsmith.benchmarks import topology_bench as tb

    p = next(x for x in tb.load_set("real") if x["id"] == "real-004")
    req = Request("", p["request"].interface, (R("c", "target", figure="cmrr_db", op=">=", value=40.0),
                                               R("p", "target", figure="psrr_db", op=">=", value=20.0)))
    v = judge(p["reference"], req)
    assert v.success, v.summary_line()
    # one-stage OTA: the supply reaches the output through the mirror, the common mode hardly at all
    assert v.results[0].figure > v.results[1].figure


def test_mirror_output_resistance_follows_lambda() -> None:
    io = iface(("Iref", "bias_i"), ("Iout", "out"))
    reqs = (R("fam", "family", family="current_mirror"), R("r", "target", figure="rout_ohm", op=">=", value=1e5))
    v = judge(MIRROR, (io, reqs))
    assert v.success, v.summary_line()
    # 40 uA at lambda 0.08: 1/(lambda * I) = 312 kohm
    assert 2e5 < v.results[1].figure < 5e5


def test_wide_swing_mirror_reference_through_its_cascode() -> None:
    io = iface(("Iref", "bias_i"), ("Iout", "out"), ("Vbias", "bias_v"))
    ws = subckt("Iref Iout Vbias", "M1 x Iref gnd gnd nch W=4u L=1u\nM3 Iref Vbias x gnd nch W=4u L=1u\n"
                                   "M2 y Iref gnd gnd nch W=4u L=1u\nM4 Iout Vbias y gnd nch W=4u L=1u")
    reqs = (R("f", "family", family="current_mirror", variant="wide_swing"),
            R("c", "condition", name="bias_voltage_v", value=1.0, port="Vbias"),
            R("r", "target", figure="mirror_ratio", op="~", value=1.0, tol=0.15))
    assert judge(ws, Request("", io, reqs)).success


def test_power_is_taken_where_the_circuit_works() -> None:
    # a common-gate stage is off with its source at the default vdd/2: its power must be
    # measured at the operating point its gain is measured at, not there
    io = iface(("Vin", "signal_in"), ("Vbias", "bias_v"), ("Vout", "out"))
    cg = subckt("Vin Vbias Vout", "M1 Vout Vbias Vin gnd nch W=10u L=1u\nR1 vdd Vout 10k")
    v = judge(cg, (io, (R("p", "target", figure="power_w", op="<=", value=1e-9),)))
    assert not v.success and v.results[0].figure > 1e-5


def test_ldo_load_regulation_and_dropout() -> None:
    from chipsmith.benchmarks import topology_bench as tb

    p = next(x for x in tb.load_set("real") if x["id"] == "real-040")  # 1.2 V LDO
    reqs = (R("lr", "target", figure="load_reg_ohm", op="<=", value=20.0),
            R("c", "condition", name="load_current_a", value=1e-3),
            R("d", "target", figure="dropout_v", op="<=", value=0.6))
    v = judge(p["reference"], Request("", p["request"].interface, reqs))
    assert v.success, v.summary_line()
    assert 0 < v.results[2].figure < 0.6


def test_input_resistance_of_an_inverting_stage_is_its_input_resistor() -> None:
    io = iface(("Vin", "signal_in"), ("Vout", "out"))
    inv = subckt("Vin Vout", "Ra vdd vref 10k\nRb vref gnd 10k\nE1 Vout gnd vref ninv 1e4\nR1 Vin ninv 10k\n"
                             "Rf ninv Vout 20k")
    v = judge(inv, (io, (R("r", "target", figure="rin_ohm", op="~", value=10e3, tol=0.02),)))
    assert v.success, v.summary_line()


def test_settling_of_a_miller_op_amp_as_follower() -> None:
    from chipsmith.benchmarks import topology_bench as tb

    p = next(x for x in tb.load_set("real") if x["id"] == "real-001")
    req = Request("", p["request"].interface, (R("s", "target", figure="settling_s", op="<=", value=1e-6),))
    v = judge(p["reference"], req)
    assert v.success, v.summary_line()
    assert 1e-9 < v.results[0].figure < 1e-6


def test_judge_file_reads_a_netlist_and_a_request_json(tmp_path) -> None:
    from chipsmith.errors import InputError
    from chipsmith.spice.judge import judge_file

    (tmp_path / "design.cir").write_text(CS_GOOD)
    (tmp_path / "request.json").write_text(Request("cs", CS_IO, CS_REQS).to_json())
    assert judge_file(str(tmp_path / "design.cir"), str(tmp_path / "request.json")).success
    with pytest.raises(InputError, match="cannot read"):
        judge_file(str(tmp_path / "missing.cir"), str(tmp_path / "request.json"))


def test_comparator_with_plus_and_minus_swapped_fails() -> None:
    from chipsmith.benchmarks import topology_bench as tb

    p = next(x for x in tb.load_set("real") if x["id"] == "real-024")  # inp, inn, out, ibias
    fam = (R("f", "family", family="comparator"),)
    assert judge(p["reference"], Request("", p["request"].interface, fam)).success
    swapped = iface(("inp", "diff_in_n"), ("inn", "diff_in_p"), ("out", "out"), ("ibias", "bias_i"))
    v = judge(p["reference"], Request("", swapped, fam))
    assert not v.success and "swapped" in v.results[0].detail
