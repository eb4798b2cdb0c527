"""Parser: both name styles, SPICE numbers, gzip, streaming buffers, errors with line numbers."""
from __future__ import annotations

import gzip

import numpy as np
import pytest

from chipsmith.errors import NetlistError, PDNError
from chipsmith.irdrop.parser import parse_node_name, parse_pdn, parse_value

from .conftest import TINY


def test_contest_names_and_values(tmp_path):
    p = parse_pdn("tiny.sp", text=TINY)
    assert p.n_nodes == 5 and len(p.r_ohm) == 4 and len(p.i_amp) == 2 and len(p.v_node) == 1
    i = p.node_index["n1_m1_4000_0"]
    assert (p.node_layer[i], p.node_x[i], p.node_y[i]) == (1, 4000, 0)
    assert p.vdd == 1.1 and p.layers == [1, 4] and p.lowest_layer == 1
    # I n 0 draws current out of n
    assert p.injection()[i] == pytest.approx(-1e-3)


@pytest.mark.parametrize("name, loc", [
    ("n1_m1_4000_9600", (1, 4000, 9600)),
    ("n1_M9_-2_3", (9, -2, 3)),
    ("n1_4000_9600_m1", (1, 4000, 9600)),  # BeGAN style, layer last
    ("vdd_12_34_3", (3, 12, 34)),
    ("n1_12_34", None),
    ("foo", None),
])
def test_node_name_styles(name, loc):
    assert parse_node_name(name) == loc


def test_began_style_netlist_parses_like_contest():
    began = TINY.replace("n1_m1_0_0", "n1_0_0_m1").replace("n1_m1_4000_0", "n1_4000_0_1") \
        .replace("n1_m1_8000_0", "n1_8000_0_m1").replace("n1_m4_8000_0", "n1_8000_0_m4") \
        .replace("n1_m1_0_4000", "n1_0_4000_m1")
    a, b = parse_pdn("a.sp", text=TINY), parse_pdn("b.sp", text=began)
    assert np.array_equal(a.node_layer, b.node_layer) and np.array_equal(a.node_x, b.node_x)
    assert np.array_equal(a.node_y, b.node_y) and np.array_equal(a.r_ohm, b.r_ohm)


def test_spice_numbers_continuations_and_pwl():
    assert parse_value("10m") == pytest.approx(0.01) and parse_value("2.2k") == 2200
    assert parse_value("1meg") == 1e6 and parse_value("3fF") == pytest.approx(3e-15)
    text = TINY.replace("I0 n1_m1_4000_0 0 1e-3", "I0 n1_m1_4000_0 0 PWL(0 1m\n+ 1n 3m)") \
        .replace("R3 n1_m1_0_0 n1_m1_0_4000 1.0", "R3 n1_m1_0_0 n1_m1_0_4000 1k $ comment\nC0 n1_m1_0_0 0 1p")
    p = parse_pdn("x.sp", text=text)
    assert p.r_ohm[3] == 1000 and p.c_farad.tolist() == [1e-12]
    t, v = p.i_pwl[0]
    assert t.tolist() == [0, 1e-9] and v.tolist() == pytest.approx([1e-3, 3e-3])


def test_gzip_detected_by_content(tmp_path):
    f = tmp_path / "pdn.sp"  # no .gz suffix: detection is by magic bytes
    f.write_bytes(gzip.compress(TINY.encode()))
    assert parse_pdn(f).n_nodes == 5


def test_truncated_gzip_names_line(tmp_path):
    body = TINY.replace(".op\n.end\n", "")
    data = gzip.compress((body * 300).encode())
    f = tmp_path / "cut.sp.gz"
    f.write_bytes(data[: len(data) // 2])
    with pytest.raises(NetlistError, match=r"cut\.sp\.gz:\d+: compressed netlist is truncated"):
        parse_pdn(f)


@pytest.mark.parametrize("bad, pattern", [
    ("R1 n1_m1_4000_0 n1_m1_8000_0 0", r"tiny\.sp:3: resistance 0 of R1 must be positive"),
    ("R1 n1_m1_4000_0 n1_m1_8000_0 -2", r"tiny\.sp:3: resistance -2 of R1 must be positive"),
    ("R1 n1_m1_4000_0 node17 1.0", r"tiny\.sp:3: node name 'node17' has no location"),
    ("R1 n1_m1_4000_0 n1_m1_8000_0 abc", r"tiny\.sp:3: resistance 'abc' is not a number"),
    ("R1 n1_m1_4000_0 n1_m1_8000_0", r"tiny\.sp:3: R element needs two nodes"),
    ("L1 n1_m1_4000_0 n1_m1_8000_0 1n", r"tiny\.sp:3: element 'L1' is not an R, C, I or V"),
])
def test_errors_name_the_line(bad, pattern):
    text = TINY.replace("R1 n1_m1_4000_0 n1_m1_8000_0 1.0", bad)
    with pytest.raises(NetlistError, match=pattern):
        parse_pdn("tiny.sp", text=text)


def test_nan_current_and_missing_pads():
    with pytest.raises(NetlistError, match=r"tiny\.sp:6: current of I0 is nan"):
        parse_pdn("tiny.sp", text=TINY.replace("0 1e-3", "0 nan"))
    with pytest.raises(PDNError, match="no supply pads"):
        parse_pdn("tiny.sp", text=TINY.replace("V0 n1_m4_8000_0 0 1.1", ""))


def test_lenient_names_keep_unlocated_nodes():
    p = parse_pdn("x.sp", text=TINY.replace("n1_m1_0_4000", "loadnode"), strict=False)
    assert p.node_layer[p.node_index["loadnode"]] == -1


def test_streaming_buffers_are_compact(tmp_path):
    """A 200k-element netlist parses with flat arrays: no Python object per element."""
    from chipsmith.irdrop.generate import GeneratorConfig, generate_pdn, write_netlist

    case = generate_pdn(GeneratorConfig(width_um=300.0, height_um=300.0), 1)
    f = tmp_path / "big.sp.gz"
    write_netlist(case.pdn, f)
    p = parse_pdn(f)
    assert p.n_elements == case.pdn.n_elements and p.r_ohm.dtype == np.float64 and p.r_a.dtype == np.int64
    assert isinstance(p.r_ohm, np.ndarray) and p.r_ohm.base is None
