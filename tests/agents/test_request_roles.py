"""The request model: every port of the designer's list gets a role; none is refused for
differing from a template; a port whose role cannot be told is asked about."""
from __future__ import annotations

import pytest

from chipsmith.agents.reader import read_request
from chipsmith.agents.request import PortList, build_interface, role_from_name
from chipsmith.errors import InputError
from chipsmith.spice.requirements import PortRole as R


def roles(text, **ports):
    req = read_request(text, PortList(**{k: tuple(v.split(",")) if v else () for k, v in ports.items()}))
    return [(p.name, p.role) for p in req.interface.ports]


def test_common_gate_with_vin_vbias():
    assert roles("common-gate amplifier", inputs="Vin", outputs="Vout", bias="Vbias") == [
        ("Vin", R.SIGNAL_IN), ("Vout", R.OUT), ("Vbias", R.BIAS_V), ("vdd", R.SUPPLY), ("gnd", R.GROUND)]


def test_two_stage_opamp_with_three_bias_voltages():
    got = roles("two-stage op-amp", inputs="Vinp,Vinn", outputs="Vout", bias="Vbias1,Vbias2,Vbias3")
    assert got[:6] == [("Vinp", R.DIFF_IN_P), ("Vinn", R.DIFF_IN_N), ("Vout", R.OUT), ("Vbias1", R.BIAS_V),
                       ("Vbias2", R.BIAS_V), ("Vbias3", R.BIAS_V)]


def test_mirror_reference_current_is_a_current_input():
    assert roles("current mirror", inputs="Iref", outputs="Iout")[:2] == [("Iref", R.BIAS_I), ("Iout", R.OUT)]


def test_oscillator_without_inputs_is_valid():
    assert roles("ring oscillator", outputs="Vout") == [("Vout", R.OUT), ("vdd", R.SUPPLY), ("gnd", R.GROUND)]


def test_differential_inputs_from_the_text():
    got = roles("a comparator", inputs="a,b", outputs="y")
    assert got[:2] == [("a", R.DIFF_IN_P), ("b", R.DIFF_IN_N)]
    # the names win over the order
    got = roles("an op-amp", inputs="vin_n,vin_p", outputs="out")
    assert got[:2] == [("vin_n", R.DIFF_IN_N), ("vin_p", R.DIFF_IN_P)]


def test_explicit_roles_and_names_alone():
    i = build_interface(PortList(ports=("Vx:signal_in", "Vy:out", "Vc:control", "CLK", "Vb")))
    assert [(p.name, p.role) for p in i.ports][:5] == [("Vx", R.SIGNAL_IN), ("Vy", R.OUT), ("Vc", R.CONTROL),
                                                       ("CLK", R.CLOCK), ("Vb", R.BIAS_V)]


def test_the_text_says_what_a_port_is():
    i = build_interface(PortList(ports=("Vout", "Vt")), "a VCO; Vt is the control voltage")
    assert i.role_of("Vt") == R.CONTROL
    i = build_interface(PortList(outputs=("out",), bias=("Vk",)), "an LDO with reference voltage Vk")
    assert i.role_of("Vk") == R.REFERENCE


def test_supply_names_in_the_list_are_the_supply():
    i = build_interface(PortList(("Vin", "VDD", "VSS"), ("Vout",)))
    assert i.names == ("Vin", "Vout", "vdd", "gnd")


@pytest.mark.parametrize("ports,needle", [
    (PortList(ports=("Vfoo",)), "cannot tell what port 'Vfoo' is for"),
    (PortList(ports=("Vin:sideways",)), "unknown role"),
    (PortList(("Vin", "vin")), "listed twice"),
    (PortList(("a__b",)), "__"),
])
def test_bad_ports_are_named(ports, needle):
    with pytest.raises(InputError, match=needle.replace("(", r"\(")):
        build_interface(ports)


def test_role_patterns():
    assert role_from_name("Vinp", "inputs") == R.DIFF_IN_P
    assert role_from_name("Iref", "bias") == R.BIAS_I
    assert role_from_name("Vctrl", "bias") == R.CONTROL
    assert role_from_name("Voutn", "outputs") == R.DIFF_OUT_N
    assert role_from_name("vcascode") == R.BIAS_V
    assert role_from_name("zz_top") is None


def test_equation_names_become_the_interface():
    req = read_request("Vout = 2*Vin1 - 3*Vin2 + 0.5")
    assert req.interface.names == ("Vout", "Vin1", "Vin2", "vdd", "gnd")
    assert req.interface.role_of("Vout") == R.OUT and req.interface.role_of("Vin2") == R.SIGNAL_IN


def test_a_clock_where_none_can_be_used_is_bad_input():
    with pytest.raises(InputError, match="clock"):
        read_request("a current mirror", PortList(("Iref",), ("Iout",), ("clk",)))


def test_relation_naming_ports_not_in_the_list_is_bad_input():
    with pytest.raises(InputError, match="Vin3"):
        read_request("a summing amplifier with Vout = -(Vin1 + Vin3)", PortList(("Vin1", "Vin2"), ("Vout",)))


def test_a_lone_input_is_a_signal_input_even_near_op_amp_words():
    got = roles("Schmitt trigger comparator with an op-amp and positive feedback", inputs="Vin", outputs="Vout")
    assert got[0] == ("Vin", R.SIGNAL_IN)
    got = roles("Comparator that compares Vin against the reference Vref", inputs="Vin", outputs="Vout", bias="Vref")
    assert got[:3] == [("Vin", R.SIGNAL_IN), ("Vout", R.OUT), ("Vref", R.REFERENCE)]


def test_bit_inputs_named_d0_are_inputs_not_ground():
    got = roles("Two-bit R-2R DAC; output Vo where Vo = D1/2 + D0/4.", inputs="D0,D1", outputs="Vo")
    assert got[:3] == [("D0", R.SIGNAL_IN), ("D1", R.SIGNAL_IN), ("Vo", R.OUT)]
