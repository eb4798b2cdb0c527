"""PDNGraph on a hand-built PDN: node and edge types, attributes, grid pixels; 1M nodes (slow)."""
from __future__ import annotations

import time

import numpy as np
import pytest

from chipsmith.irdrop.graph import EDGE_TYPES, NODE_FEATURES, NODE_TYPES, build_pdn_graph
from chipsmith.irdrop.parser import parse_pdn

from .conftest import TINY


@pytest.fixture()
def tiny_graph():
    pdn = parse_pdn("tiny.sp", text=TINY)
    return pdn, build_pdn_graph(pdn, shape_um=(5, 3), grid_size=4)


def test_schema(tiny_graph):
    pdn, g = tiny_graph
    assert set(g.node_types) == set(NODE_TYPES)
    assert set(g.edge_types) == set(EDGE_TYPES)
    assert g["node"].x.shape == (pdn.n_nodes, NODE_FEATURES)
    # 3 m1 wires and 1 via, each stored in both directions
    assert g["node", "wire", "node"].edge_index.shape == (2, 6)
    assert g["node", "via", "node"].edge_index.shape == (2, 2)
    pad = pdn.node_index["n1_m4_8000_0"]
    assert g["pad", "supplies", "node"].edge_index.tolist() == [[0], [pad]]
    assert g["pad"].x.item() == pytest.approx(1.1)


def test_attributes(tiny_graph):
    pdn, g = tiny_graph
    wattr = g["node", "wire", "node"].edge_attr.numpy()
    assert np.allclose(wattr[:, 0], 1.0)  # all m1 wires are 1 ohm: median-normalised conductance 1
    assert np.allclose(wattr[:, 1], 0.2)  # 2 um long, in units of 10 um
    assert g["node", "via", "node"].edge_attr[0, 0].item() == pytest.approx(2.0)  # 0.5 ohm
    x = g["node"].x.numpy()
    i0, i1 = pdn.node_index["n1_m1_4000_0"], pdn.node_index["n1_m1_0_4000"]
    assert x[i0, 6] == pytest.approx(1e-3 / 1.5e-3) and x[i1, 6] == pytest.approx(2e-3 / 1.5e-3)
    assert x[pdn.node_index["n1_m4_8000_0"], 7] == 1 and x[:, 7].sum() == 1
    # rank one-hot: m1 nodes rank 0, the m4 pad rank 1
    assert x[pdn.node_index["n1_m4_8000_0"], :4].tolist() == [0, 1, 0, 0]
    pix = g["node"].pix.numpy()
    assert pix[pdn.node_index["n1_m4_8000_0"]] == -1
    # x = 2 um of a 5 um die on a 4-pixel grid -> column 1; y = 0 -> row 0
    assert pix[i0] == 1 * 4 + 0


def test_tile_feeds_share_the_tile_current(tiny_graph):
    pdn, g = tiny_graph
    fe = g["tile", "feeds", "node"]
    share = fe.edge_attr[:, 0].numpy()
    tiles = fe.edge_index[0].numpy()
    for t in np.unique(tiles):
        assert share[tiles == t].sum() == pytest.approx(1.0)
    # static case: every slice holds the DC tile current, in A
    cur = g["tile"].current.numpy()
    assert np.allclose(cur, cur[:, :1]) and cur.sum(axis=0)[0] == pytest.approx(3e-3)


@pytest.mark.slow
def test_million_node_graph_in_seconds():
    from chipsmith.irdrop.generate import config_for_nodes, generate_pdn

    case = generate_pdn(config_for_nodes(1_000_000), 1, with_names=False)
    t0 = time.perf_counter()
    g = build_pdn_graph(case.pdn, grid_size=256)
    seconds = time.perf_counter() - t0
    print(f"PDNGraph of {case.pdn.n_nodes} nodes built in {seconds:.2f} s")
    assert g["node"].num_nodes == case.pdn.n_nodes > 900_000
    assert seconds < 30  # measured 0.4-0.8 s; generous for a loaded CI machine
