"""Static solver and maps against the contest's golden maps; islands; direct vs AMG."""
from __future__ import annotations

import numpy as np
import pytest

from chipsmith.errors import PDNError
from chipsmith.irdrop.maps import MapBuilder, compare, ir_drop_map, orient
from chipsmith.irdrop.parser import parse_pdn
from chipsmith.irdrop.static import reduce_system, solve_static

from .conftest import TINY

FAST_CASES = ["real/testcase11", "real/testcase12", "synthetic/case27", "synthetic/case23"]


def _golden_check(case_dir):
    pdn = parse_pdn(case_dir / "netlist.sp.gz")
    golden = np.loadtxt(case_dir / "ir_drop_map.csv.gz", delimiter=",")
    sol = solve_static(pdn)
    pred = ir_drop_map(pdn, sol.drop, shape=golden.shape)
    return compare(pred, golden)


@pytest.mark.parametrize("case", FAST_CASES)
def test_matches_contest_golden(iccad23_dir, case):
    c = _golden_check(iccad23_dir / case)
    assert c["mae"] < 3e-5, c
    assert c["max_drop_rel_error"] < 0.01, c


@pytest.mark.slow
def test_matches_contest_golden_all_cases(iccad23_full):
    cases = sorted(p for p in iccad23_full.glob("*/*") if (p / "netlist.sp.gz").exists())
    assert len(cases) == 28
    for case in cases:
        c = _golden_check(case)
        assert c["mae"] < 3e-5 and c["max_drop_rel_error"] < 0.01, (case.name, c)


def test_tiny_grid_by_hand():
    """Hand-solvable: pad at m4, chain of 1-ohm resistors."""
    pdn = parse_pdn("tiny.sp", text=TINY)
    v = solve_static(pdn).voltage
    ix = pdn.node_index
    # all 3 mA flow through R2 (0.5) and R1 (1.0); 2 mA through R0 (1.0) and R3 (1.0)
    assert v[ix["n1_m1_8000_0"]] == pytest.approx(1.1 - 0.5 * 3e-3)
    assert v[ix["n1_m1_4000_0"]] == pytest.approx(1.1 - 1.5 * 3e-3)
    assert v[ix["n1_m1_0_0"]] == pytest.approx(1.1 - 1.5 * 3e-3 - 2e-3)
    assert v[ix["n1_m1_0_4000"]] == pytest.approx(1.1 - 1.5 * 3e-3 - 4e-3)


def test_pads_are_eliminated_not_penalised():
    pdn = parse_pdn("tiny.sp", text=TINY)
    system = reduce_system(pdn)
    assert system.n_free == pdn.n_nodes - 1
    assert abs(system.A - system.A.T).max() == 0
    assert np.abs(system.A.diagonal()).max() < 10  # no 1e9-style penalty conductance


def test_direct_and_amg_agree(small_case):
    a = solve_static(small_case.pdn, method="direct")
    b = solve_static(small_case.pdn, method="amg")
    assert a.method == "direct" and b.method == "amg" and b.iterations > 0
    assert np.abs(a.voltage - b.voltage).max() < 1e-9


def test_floating_island_named():
    text = TINY.replace("I1 n1_m1_0_4000 0 2e-3",
                        "I1 n1_m1_0_4000 0 2e-3\nR9 n1_m1_96000_2000 n1_m1_98000_2000 1.0")
    pdn = parse_pdn("isl.sp", text=text)
    with pytest.raises(PDNError, match=r"1 floating island.*'n1_m1_96000_2000' \(layer m1 at \(48, 1\) um, 2 nodes\)"):
        solve_static(pdn)


def test_map_convention_on_a_plane():
    """A linear field v = a x + b y is reproduced exactly; [x][y] indexing and orientation."""
    lines, k = [], 0
    for x in range(0, 11):
        for y in range(0, 6):
            if x < 10:
                lines.append(f"R{k} n1_m1_{x * 2000}_{y * 2000} n1_m1_{(x + 1) * 2000}_{y * 2000} 1"); k += 1
            if y < 5:
                lines.append(f"R{k} n1_m1_{x * 2000}_{y * 2000} n1_m1_{x * 2000}_{(y + 1) * 2000} 1"); k += 1
    lines += ["V0 n1_m1_0_0 0 1.1", ".end"]
    pdn = parse_pdn("plane.sp", text="\n".join(lines))
    field = 1e-3 * pdn.node_x / 2000 + 2e-4 * pdn.node_y / 2000
    m = MapBuilder(pdn)(field)
    assert m.shape == (11, 6)
    assert m[7, 3] == pytest.approx(7e-3 + 6e-4)
    img = orient(m, "image")
    assert img.shape == (6, 11) and img[0, 0] == pytest.approx(m[0, 5]) and img[-1, -1] == pytest.approx(m[10, 0])


def test_nested_dissection_ordering_matches_colamd(small_case):
    from chipsmith.irdrop.ordering import nested_dissection
    from chipsmith.irdrop.static import factorize

    pdn = small_case.pdn
    system = reduce_system(pdn)
    x, y = system.coords(pdn)
    perm = nested_dissection(system.A, x, y, leaf=8)
    assert np.array_equal(np.sort(perm), np.arange(system.n_free))
    rhs = system.rhs(pdn.injection())
    a = factorize(system.A, "COLAMD").solve(rhs)
    b = factorize(system.A, "nd", coords=(x, y))
    assert b.ordering == "nd" and np.abs(a - b.solve(rhs)).max() < 1e-12
