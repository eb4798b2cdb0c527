"""The judge on mixers, comparators against a reference, filter shapes and op-amp application
waveforms: the right circuit passes, a hand-written wrong one (an adder for a multiplier, a
low-pass posing as a band-stop, a comparator at the wrong threshold, an inverting amplifier
for an integrator) fails with the reason. Real ngspice throughout."""
from __future__ import annotations

import pytest

from chipsmith.spice.judge import judge
from chipsmith.spice.judge_mixer import mixer_ports
from chipsmith.spice.requirements import Interface, Port, Requirement

M = """.model nch nmos (level=1 vto=0.45 kp=300u gamma=0.4 phi=0.8 lambda=0.08 tox=4n cgso=3e-10 cgdo=3e-10)
.model pch pmos (level=1 vto=-0.45 kp=80u gamma=0.4 phi=0.8 lambda=0.1 tox=4n cgso=3e-10 cgdo=3e-10)"""


def R(rid: str, kind: str, **params) -> Requirement:
    return Requirement(rid, kind, params)


def iface(*ports: tuple[str, str]) -> Interface:
    return Interface(tuple(Port(n, r) for n, r in ports))


def subckt(ports: str, body: str) -> str:
    return f"* test design\n.subckt design {ports} vdd gnd\n{body.strip()}\n{M}\n.ends design\n"


def result(verdict, rid: str):
    return next(r for r in verdict.results if r.id == rid)


# --- mixers -------------------------------------------------------------------------------------

GILBERT_IO = iface(("RFp", "signal_in"), ("RFn", "signal_in"), ("LOp", "signal_in"), ("LOn", "signal_in"),
                   ("IFp", "out"), ("IFn", "out"))
_BIAS = """Rb1 vdd lob 21k
Rb2 lob rfb 18k
Rb3 rfb gnd 51k
Cc1 RFp grp 20p
Rg1 grp rfb 50meg
Cc2 RFn grn 20p
Rg2 grn rfb 50meg
Cc3 LOp glp 20p
Rg3 glp lob 50meg
Cc4 LOn gln 20p
Rg4 gln lob 50meg
Rt vdd tref 57k
Mt0 tref tref gnd gnd nch W=3.3u L=1u
Mt1 tail tref gnd gnd nch W=33u L=1u
"""
GILBERT = subckt("RFp RFn LOp LOn IFp IFn", _BIAS + """
M1 x1 grp tail gnd nch W=16u L=1u
M2 x2 grn tail gnd nch W=16u L=1u
M3 IFp glp x1 gnd nch W=7u L=0.5u
M4 IFn gln x1 gnd nch W=7u L=0.5u
M5 IFn glp x2 gnd nch W=7u L=0.5u
M6 IFp gln x2 gnd nch W=7u L=0.5u
R1 vdd IFp 4.5k
R2 vdd IFn 4.5k
""")
# an adder: two differential pairs summing RF and LO currents into the same loads (no product)
ADDER = subckt("RFp RFn LOp LOn IFp IFn", _BIAS + """
Mt2 tail2 tref gnd gnd nch W=33u L=1u
M1 IFp grp tail gnd nch W=16u L=1u
M2 IFn grn tail gnd nch W=16u L=1u
M3 IFp glp tail2 gnd nch W=16u L=1u
M4 IFn gln tail2 gnd nch W=16u L=1u
R1 vdd IFp 3k
R2 vdd IFn 3k
""")
# single-balanced: RF into one device, LO pair on top: a mixer, but LO feeds through
SINGLE = subckt("RFp RFn LOp LOn IFp IFn", _BIAS.replace("Mt1 tail tref gnd gnd nch W=33u L=1u\n", "") + """
Rn RFn gnd 1meg
M1 x1 grp s gnd nch W=32u L=1u
Rs s gnd 1.5k
M3 IFp glp x1 gnd nch W=7u L=0.5u
M4 IFn gln x1 gnd nch W=7u L=0.5u
R1 vdd IFp 4.5k
R2 vdd IFn 4.5k
""")


def test_mixer_ports_by_name_and_suffix() -> None:
    io = iface(("Vlon", "signal_in"), ("Vrfp", "signal_in"), ("Vlop", "signal_in"), ("Vrfn", "signal_in"),
               ("Voutp", "diff_out_p"), ("Voutn", "diff_out_n"))
    assert mixer_ports(io) == (("Vrfp", "Vrfn"), ("Vlop", "Vlon"), ("Voutp", "Voutn"))
    assert mixer_ports(iface(("a", "signal_in"), ("b", "signal_in"), ("y", "out"))) == (("a", None), ("b", None),
                                                                                        ("y", None))
    assert mixer_ports(GILBERT_IO)[2] == ("IFp", "IFn")


def test_gilbert_cell_passes_and_shows_both_products() -> None:
    v = judge(GILBERT, (GILBERT_IO, (R("fam", "family", family="mixer", variant="gilbert"),)))
    r = result(v, "fam")
    assert v.success, r.detail
    assert "LO+RF" in r.detail and "halving LO scales it by 0.5" in r.detail
    assert r.figure > 0  # conversion gain in dB


def test_adder_is_not_a_mixer() -> None:
    for variant in ("gilbert", None):
        params = {"family": "mixer", **({"variant": variant} if variant else {})}
        v = judge(ADDER, (GILBERT_IO, (R("fam", "family", **params),)))
        assert not v.success
        assert "no mixing product" in result(v, "fam").detail


def test_single_balanced_is_a_mixer_but_not_double_balanced() -> None:
    assert judge(SINGLE, (GILBERT_IO, (R("fam", "family", family="mixer"),))).success
    v = judge(SINGLE, (GILBERT_IO, (R("fam", "family", family="mixer", variant="gilbert"),)))
    assert not v.success
    assert "feed-through" in result(v, "fam").detail


# --- comparators ------------------------------------------------------------------------------------

def _comparator(ref_net: str, ports: str, extra: str = "") -> str:
    """Open-loop NMOS-pair comparator + two inverters: out high when Vin > ref_net."""
    return subckt(ports, extra + f"""
Rb vdd nb 57k
Mb nb nb gnd gnd nch W=3u L=1u
Mt tail nb gnd gnd nch W=3u L=1u
M1 d1 {ref_net} tail gnd nch W=4u L=1u
M2 x Vin tail gnd nch W=4u L=1u
M3 d1 d1 vdd vdd pch W=4u L=1u
M4 x d1 vdd vdd pch W=4u L=1u
M5 o1 x vdd vdd pch W=40u L=1u
M6 o1 nb gnd gnd nch W=16u L=1u
M7 o2 o1 vdd vdd pch W=3u L=0.5u
M8 o2 o1 gnd gnd nch W=1u L=0.5u
M9 Vout o2 vdd vdd pch W=3u L=0.5u
M10 Vout o2 gnd gnd nch W=1u L=0.5u
""")


INTERNAL_09 = _comparator("vr", "Vin Vout", "R1 vdd vr 50k\nR2 vr gnd 50k\n")
INTERNAL_12 = _comparator("vr", "Vin Vout", "R1 vdd vr 33.33k\nR2 vr gnd 66.67k\n")
REF_PORT = _comparator("Vref", "Vin Vref Vout")
REF_FIXED = _comparator("vr", "Vin Vref Vout", "R1 vdd vr 50k\nR2 vr gnd 50k\nRdummy Vref gnd 1meg\n")


def test_comparator_with_internal_reference_switches_once_at_the_stated_level() -> None:
    io = iface(("Vin", "signal_in"), ("Vout", "out"))
    reqs = (R("fam", "family", family="comparator"), R("pol", "polarity", sense="non_inverting"),
            R("th", "threshold", value=1.2, direction="any", tol=0.05))
    good, wrong = judge(INTERNAL_12, (io, reqs)), judge(INTERNAL_09, (io, reqs))
    assert good.success, good.summary_line()
    assert "switches the output 1 time(s)" in result(good, "fam").detail
    assert not wrong.success and result(wrong, "th").status == "fail"
    # no level stated: one transition anywhere inside the range is a pass, and where it is is reported
    v = judge(INTERNAL_09, (io, reqs[:2]))
    assert v.success and "first at 0.9" in result(v, "fam").detail


def test_comparator_threshold_must_follow_the_reference_port() -> None:
    io = iface(("Vin", "signal_in"), ("Vref", "reference"), ("Vout", "out"))
    reqs = (R("fam", "family", family="comparator"),)
    assert judge(REF_PORT, (io, reqs)).success
    v = judge(REF_FIXED, (io, reqs))
    assert not v.success
    assert "does not follow Vref" in result(v, "fam").detail or "no longer switches" in result(v, "fam").detail


# --- filters --------------------------------------------------------------------------------------

RLC_NOTCH = subckt("Vin Vout", "R1 Vin Vout 1k\nL1 Vout m 10m\nC1 m gnd 253.3n")  # 10 kHz, deep notch
SHALLOW_NOTCH = subckt("Vin Vout", "R1 Vin Vout 1k\nL1 Vout m 10m\nC1 m k 253.3n\nR2 k gnd 150")
RC_LP = subckt("Vin Vout", "R1 Vin Vout 10k\nC1 Vout gnd 10n")
RLC_BP = subckt("Vin Vout", "L1 Vin m 15.9m\nC1 m Vout 15.9n\nR1 Vout gnd 1k")
LOSSY_BP = subckt("Vin Vout", "L1 Vin m 15.9m\nC1 m Vout 15.9n\nR1 Vout gnd 1k\nR2 Vin Vout 5k")


@pytest.mark.parametrize("design,response,ok,why", [
    (RLC_NOTCH, "bandstop", True, ""),
    (RC_LP, "bandstop", False, "response is lowpass"),
    (SHALLOW_NOTCH, "bandstop", False, "deep"),
    (RLC_BP, "bandpass", True, ""),
    (LOSSY_BP, "bandpass", False, "rejection"),
])
def test_filter_shapes(design: str, response: str, ok: bool, why: str) -> None:
    io = iface(("Vin", "signal_in"), ("Vout", "out"))
    reqs = (R("f", "filter", response=response, implementation="passive"), R("fam", "family", family="filter"))
    v = judge(design, (io, reqs))
    assert v.success is ok, v.summary_line()
    if not ok:
        assert why in result(v, "f").detail or why in result(v, "fam").detail


def test_an_active_notch_is_not_passive() -> None:
    io = iface(("Vin", "signal_in"), ("Vout", "out"))
    buffered = RLC_NOTCH.replace("C1 m gnd 253.3n", "C1 m gnd 253.3n\nMx vdd Vout vdd vdd pch W=1u L=1u")
    v = judge(buffered, (io, (R("f", "filter", response="bandstop", implementation="passive"),)))
    assert not v.success and "it is active" in result(v, "f").detail


# --- op-amp application waveforms --------------------------------------------------------------------

def _opamp(plus: str, minus: str, out: str) -> str:
    """Ideal-ish op-amp made of a VCVS (gain 1e4) with an output resistor (the judge reads E cards)."""
    return f"E1 {out}_i gnd {plus} {minus} 1e4\nRo {out}_i {out} 10"


_VR = "Rr1 vdd vr 20k\nRr2 vr gnd 20k\n"
INTEGRATOR = subckt("Vin Vout", _VR + "R1 Vin n 100k\nC1 n Vout 1n\nR2 n Vout 10meg\n" + _opamp("vr", "n", "Vout"))
INVERTING_AMP = subckt("Vin Vout", _VR + "R1 Vin n 100k\nR2 n Vout 100k\nC1 n Vout 1f\n" + _opamp("vr", "n", "Vout"))
DIFFERENTIATOR = subckt("Vin Vout", _VR + "R0 Vin s 5k\nC1 s n 1n\nR1 n Vout 100k\n" + _opamp("vr", "n", "Vout"))


def test_integrator_square_in_triangle_out() -> None:
    io = iface(("Vin", "signal_in"), ("Vout", "out"))
    reqs = (R("fam", "family", family="opamp_app", variant="integrator"),)
    v = judge(INTEGRATOR, (io, reqs))
    assert v.success, v.summary_line()
    assert "triangle" in result(v, "fam").detail
    assert not judge(INVERTING_AMP, (io, reqs)).success


def test_differentiator_triangle_in_square_out() -> None:
    io = iface(("Vin", "signal_in"), ("Vout", "out"))
    reqs = (R("fam", "family", family="opamp_app", variant="differentiator"),)
    v = judge(DIFFERENTIATOR, (io, reqs))
    assert v.success, v.summary_line()
    assert "while the input rises" in result(v, "fam").detail
    assert not judge(INTEGRATOR, (io, reqs)).success


def _summer(r_top: str, r_bot: str) -> str:
    """Two-input inverting summer around a transistor op-amp (NMOS pair, PMOS CS output stage)
    referenced to a divider: out = 3 Vr - Vin1 - Vin2."""
    return subckt("Vin1 Vin2 Vout", f"""
Rr1 vdd vr {r_top}
Rr2 vr gnd {r_bot}
R1 Vin1 n 10k
R2 Vin2 n 10k
Rf n Vout 10k
Rb vdd nb 57k
Mb nb nb gnd gnd nch W=3u L=1u
Mt tail nb gnd gnd nch W=3u L=1u
M1 d1 n tail gnd nch W=4u L=1u
M2 x vr tail gnd nch W=4u L=1u
M3 d1 d1 vdd vdd pch W=4u L=1u
M4 x d1 vdd vdd pch W=4u L=1u
M5 Vout x vdd vdd pch W=40u L=1u
M6 Vout nb gnd gnd nch W=16u L=1u
""")


def test_adder_relation_holds_over_joint_steps_and_a_clipping_one_fails() -> None:
    io = iface(("Vin1", "signal_in"), ("Vin2", "signal_in"), ("Vout", "out"))
    reqs = (R("rel", "linear_relation", output="Vout", coefficients={"Vin1": -1.0, "Vin2": -1.0}),)
    v = judge(_summer("50k", "50k"), (io, reqs))
    assert v.success, v.summary_line()
    assert "joint input steps" in result(v, "rel").detail
    # the same summer with its output resting 0.1 V under the rail: right slopes at the base
    # point, but a 0.2 V step clips
    v = judge(_summer("37k", "63k"), (io, reqs))
    assert not v.success and "joint step" in result(v, "rel").detail
