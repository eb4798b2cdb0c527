"""Gilbert-cell mixers and comparators against an internal reference: the reader's paraphrases,
the generators on the designer's ports, and `chipsmith synth` end to end (judged with real
ngspice by the independent judge)."""
from __future__ import annotations

import json

import pytest

from chipsmith.agents.gen_base import Pins
from chipsmith.agents.gen_mixer import MixerParams, gilbert, gilbert_bias, mixer_ports
from chipsmith.agents.reader import read_request
from chipsmith.agents.request import PortList

pytestmark = pytest.mark.ngspice


def _family(text: str, ins: tuple[str, ...], outs: tuple[str, ...]):
    req = read_request(text, PortList(ins, outs, ()))
    assert req.unconsumed == ()
    return next(r.params for r in req.requirements if r.kind == "family"), req


@pytest.mark.parametrize("text", [
    "A Gilbert cell mixer to make the differential output proportional to the product of RF and LO",
    "a double-balanced mixer",
    "a four-quadrant multiplier whose output is the product of its two differential inputs",
    "an analog multiplier built as a Gilbert cell",
    "a double balanced active mixer with RF, LO and IF ports",
])
def test_mixer_paraphrases_read_as_a_gilbert_cell(text: str) -> None:
    fam, _ = _family(text, ("Xp", "Xn", "Yp", "Yn"), ("Zp", "Zn"))
    assert fam == {"family": "mixer", "variant": "gilbert"}


def test_differential_port_words_are_read_only_when_the_ports_are_pairs() -> None:
    text = "a double-balanced mixer with differential RF, LO and IF"
    _family(text, ("rf_p", "rf_n", "lo_p", "lo_n"), ("if_p", "if_n"))  # nothing unread
    req = read_request(text, PortList(("rf", "lo"), ("if_p", "if_n"), ()))
    assert req.unconsumed  # single-ended RF and LO: the words are not honoured, so they stay unread


def test_mixer_ports_by_name_suffix_and_order() -> None:
    pins = Pins.of([("LOb", "signal_in"), ("LO", "signal_in"), ("RF_n", "signal_in"), ("RF_p", "signal_in"),
                    ("IFn", "out"), ("IFp", "out")])
    assert mixer_ports(pins) == (("RF_p", "RF_n"), ("LO", "LOb"), ("IFp", "IFn"))
    pins = Pins.of([("a", "signal_in"), ("b", "signal_in"), ("y", "out")])
    assert mixer_ports(pins) == (("a", None), ("b", None), ("y", None))


def test_gilbert_bias_keeps_every_device_in_saturation() -> None:
    g = gilbert_bias(MixerParams())
    # tail headroom, RF pair drains above their gate minus Vt, quad gates above its source
    assert g.v_rf > g.v_tail + 0.45 and g.v_x > g.v_rf - 0.6 and g.v_lo > g.v_x + 0.5
    assert g.v_lo - 0.6 < g.v_out < 1.8
    with pytest.raises(Exception, match="supply"):
        gilbert_bias(MixerParams(vdd=1.0))


def test_gilbert_netlist_on_the_users_ports() -> None:
    pins = Pins.of([("Vrfp", "signal_in"), ("Vrfn", "signal_in"), ("Vlop", "signal_in"), ("Vlon", "signal_in"),
                    ("Voutp", "diff_out_p"), ("Voutn", "diff_out_n")])
    d = gilbert(pins, MixerParams())
    assert d.port_names == ("Vrfp", "Vrfn", "Vlop", "Vlon", "Voutp", "Voutn", "vdd", "gnd")
    mos = [ln for ln in d.body.splitlines() if ln.startswith("M")]
    assert len(mos) == 8  # reference diode, tail, RF pair, LO quad
    assert {"lo_switching_quad", "rf_diff_pair", "tail_current_source", "resistor_load"} <= set(d.blocks)


def test_internal_reference_comparator_paraphrases() -> None:
    _, req = _family("a comparator that switches its output high when Vin rises above 1.2 V", ("Vin",), ("Vout",))
    th = [r.params for r in req.requirements if r.kind == "threshold"]
    assert th and th[0]["value"] == 1.2
    assert not [r for r in req.requirements if r.kind == "target"]  # not an output-voltage target
    _, req = _family("a comparator: Vout goes low once Vin exceeds 0.5 V", ("Vin",), ("Vout",))
    assert {r.params["sense"] for r in req.requirements if r.kind == "polarity"} == {"inverting"}
    # "exceeds" names a threshold only in a comparator: elsewhere it qualifies the figure before it
    _, req = _family("an amplifier whose output swing exceeds 1.2 V", ("Vin",), ("Vout",))
    assert [r.params["figure"] for r in req.requirements if r.kind == "target"] == ["output_swing_v"]


def _summary(out):
    return json.loads((out / "summary.json").read_text())


def _status(s, kind: str) -> list[str]:
    return [r["status"] for r in s["requirements"] if r["kind"] == kind]


def test_cli_gilbert_mixer_with_differential_ports(cli, ngspice_bin, tmp_path):
    out = tmp_path / "gilbert"
    r = cli("synth", "A Gilbert cell mixer to make Voutp - Voutn ∝ (Vrfp - Vrfn) × (Vlop - Vlon)",
            "--inputs", "Vrfp,Vrfn,Vlop,Vlon", "--outputs", "Voutp,Voutn", "--out", out, "--json")
    assert r.code == 0, r.stderr + r.stdout[-2000:]
    s = _summary(out)
    assert s["success"] and s["judge"]["success"] and _status(s, "family") == ["pass"]
    fam = next(x for x in s["requirements"] if x["kind"] == "family")
    assert "LO+RF" in fam["detail"] and "feed-through" in fam["detail"]
    head = next(ln for ln in (out / "design.cir").read_text().splitlines() if ln.lower().startswith(".subckt design"))
    assert head.split()[2:] == ["Vrfp", "Vrfn", "Vlop", "Vlon", "Voutp", "Voutn", "vdd", "gnd"]


def test_cli_four_quadrant_multiplier_with_other_names(cli, ngspice_bin, tmp_path):
    out = tmp_path / "mult"
    r = cli("synth", "a four-quadrant multiplier", "--inputs", "Xp,Xn,Yp,Yn", "--outputs", "Zp,Zn",
            "--out", out, "--json")
    assert r.code == 0, r.stderr + r.stdout[-2000:]
    assert _summary(out)["success"]


@pytest.mark.parametrize("text,ins,threshold,sense", [
    ("an op-amp comparator to make the output high when Vin > Vref and low when Vin < Vref", "Vin", 0.9, "up"),
    ("a comparator whose output goes low once Vsense exceeds 0.5 V", "Vsense", 0.5, "down"),
    ("comparator with a 1.2 V threshold: output high when x rises above 1.2 V", "x", 1.2, "up"),
])
def test_cli_comparator_with_an_internal_reference(cli, ngspice_bin, tmp_path, text, ins, threshold, sense):
    out = tmp_path / "cmp"
    r = cli("synth", text, "--inputs", ins, "--outputs", "Vout", "--out", out, "--json")
    assert r.code == 0, r.stderr + r.stdout[-2000:]
    s = _summary(out)
    assert s["success"] and set(_status(s, "family")) == {"pass"}
    fam = next(x for x in s["requirements"] if x["kind"] == "family")
    assert "switches the output 1 time(s)" in fam["detail"]
    assert abs(fam["figure"] - threshold) < 0.05
    pol = next(x for x in s["requirements"] if x["kind"] == "polarity")
    assert pol["params"]["sense"] == ("non_inverting" if sense == "up" else "inverting")


@pytest.mark.parametrize("text,inductors", [
    ("a passive RC band-pass filter centred at 1 kHz", "none"),
    ("a twin-T notch filter at 1 kHz", "none"),
    ("an RLC band-stop filter at 50 Hz", "some"),
    ("a passive band-stop filter", "none"),   # a twin-T: an audio-range LC notch needs absurd inductors
])
def test_cli_passive_filters_honour_rc_and_rlc_words(cli, ngspice_bin, tmp_path, text, inductors):
    out = tmp_path / "flt"
    r = cli("synth", text, "--inputs", "in", "--outputs", "out", "--out", out, "--json")
    assert r.code == 0, r.stderr + r.stdout[-2000:]
    s = _summary(out)
    assert s["success"] and set(_status(s, "filter")) == {"pass"}
    body = [ln for ln in (out / "design.cir").read_text().splitlines() if ln[:1] in "RCLM"]
    assert not [ln for ln in body if ln.startswith("M")]  # passive
    has_l = any(ln.startswith("L") for ln in body)
    assert has_l == (inductors == "some")


@pytest.mark.parametrize("gain_db", [6, 18])
def test_cli_gilbert_conversion_gain_target_sizes_the_rf_pair(cli, ngspice_bin, tmp_path, gain_db):
    out = tmp_path / "conv"
    r = cli("synth", f"a Gilbert mixer with a conversion gain of at least {gain_db} dB", "--inputs", "RFp,RFn,LOp,LOn",
            "--outputs", "IFp,IFn", "--out", out, "--json")
    assert r.code == 0, r.stderr + r.stdout[-2000:]
    target = next(x for x in _summary(out)["requirements"] if x["kind"] == "target")
    assert target["params"]["figure"] == "conversion_gain_db" and target["status"] == "pass"
    assert target["figure"] >= gain_db


def test_cli_passive_filter_sized_for_its_load(cli, ngspice_bin, tmp_path):
    out = tmp_path / "lpload"
    r = cli("synth", "a second-order passive low-pass filter at 1 kHz driving a 10 kOhm load", "--inputs", "Vin",
            "--outputs", "Vout", "--out", out, "--json")
    assert r.code == 0, r.stderr + r.stdout[-2000:]
    flt = next(x for x in _summary(out)["requirements"] if x["kind"] == "filter")
    assert flt["status"] == "pass" and abs(flt["figure"] / 1000 - 1) < 0.1  # the corner holds with the load on
