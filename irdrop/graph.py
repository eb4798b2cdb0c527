"""PDNGraph: a PDN netlist plus its currents as a torch_geometric ``HeteroData``.

Node types (``data[t].x`` is float32, one row per node)::

    "node"  PDN nodes (one per located netlist node, index = PDN node index)
            x   = [layer rank one-hot (4: lowest, 2nd, 3rd, higher), x / W, y / H,
                   DC current drawn / mean source current, is pad]
            pos = (x, y) in µm;  layer = metal layer number;  cap = node capacitance (F)
            pix = pixel of the S×S model grid for lowest-layer nodes, -1 for others
    "pad"   supply pads: x = [pad voltage (V)], pos (µm)
    "tile"  current tiles (``tile_um`` squares, the contest's tile currents for dynamic
            cases): x = current at ``n_slices`` instants / (total DC current / tiles),
            current = the same in A

Edge types (``data[src, rel, dst].edge_index``, ``edge_attr`` float32)::

    ("node", "wire", "node")      same-layer resistors, both directions;
                                  attr = [conductance / median wire conductance, length / 10 µm]
    ("node", "via", "node")       inter-layer resistors, both directions;
                                  attr = [conductance / median wire conductance]
    ("pad", "supplies", "node")   pad → the node it holds at VDD
    ("tile", "feeds", "node")     tile → each node with a current sink inside it;
                                  attr = [the node's share of the tile's current]

Everything is built with vectorised numpy (no Python loop over nodes or elements), so a
1M-node grid takes seconds (``tests/irdrop/test_graph.py`` measures it).
"""
from __future__ import annotations

import numpy as np

from chipsmith.irdrop.features import TileCurrents
from chipsmith.irdrop.pdn import PDN

NODE_TYPES = ("node", "pad", "tile")
EDGE_TYPES = (("node", "wire", "node"), ("node", "via", "node"), ("pad", "supplies", "node"),
              ("tile", "feeds", "node"))
NODE_FEATURES = 8
DEFAULT_TILE_UM = 10.0


def static_tiles(pdn: PDN, shape_um: tuple[float, float], tile_um: float = DEFAULT_TILE_UM,
                 n_times: int = 2) -> TileCurrents:
    """Constant tile currents (the DC load) for a static case."""
    tx = max(1, int(np.ceil(shape_um[0] / tile_um)))
    ty = max(1, int(np.ceil(shape_um[1] / tile_um)))
    node = np.where(pdn.i_pos >= 0, pdn.i_pos, pdn.i_neg)
    ix = np.clip((pdn.node_x[node] / pdn.dbu_per_um // tile_um).astype(int), 0, tx - 1)
    iy = np.clip((pdn.node_y[node] / pdn.dbu_per_um // tile_um).astype(int), 0, ty - 1)
    dc = np.zeros((tx, ty))
    np.add.at(dc, (ix, iy), np.abs(pdn.i_amp))
    return TileCurrents(np.linspace(0.0, 1.0, n_times), np.repeat(dc[:, :, None], n_times, axis=2), tile_um)


def _both(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.stack([np.concatenate([a, b]), np.concatenate([b, a])])


def build_pdn_graph(pdn: PDN, *, shape_um: tuple[float, float] | None = None, tiles: TileCurrents | None = None,
                    n_slices: int = 8, grid_size: int | None = None):
    """The :class:`HeteroData` PDNGraph of ``pdn`` (see the module docstring for its schema).

    ``shape_um`` is the die (map) size in µm (default: the node extent); ``tiles`` the
    tile currents (default: the DC load, constant in time); ``grid_size`` adds the
    ``pix`` index of lowest-layer nodes on an S×S grid over the die.
    """
    import torch
    from torch_geometric.data import HeteroData

    from chipsmith.irdrop.maps import default_shape

    if shape_um is None:
        shape_um = tuple(float(v) for v in default_shape(pdn))
    W, H = float(shape_um[0]), float(shape_um[1])
    tiles = tiles if tiles is not None else static_tiles(pdn, (W, H))
    n = pdn.n_nodes
    xu = pdn.node_x / pdn.dbu_per_um
    yu = pdn.node_y / pdn.dbu_per_um
    layers = pdn.layers
    rank = np.searchsorted(np.array(layers), pdn.node_layer) if layers else np.zeros(n, int)
    rank = np.minimum(rank, 3)
    onehot = np.zeros((n, 4), np.float32)
    onehot[np.arange(n), rank] = 1.0
    src = np.where(pdn.i_pos >= 0, pdn.i_pos, pdn.i_neg)
    load = np.bincount(src, np.abs(pdn.i_amp), n)
    mean_src = float(np.abs(pdn.i_amp).mean()) if len(pdn.i_amp) else 1.0
    is_pad = np.zeros(n, np.float32)
    is_pad[pdn.v_node] = 1.0
    x = np.column_stack([onehot, xu / max(W, 1.0), yu / max(H, 1.0), load / max(mean_src, 1e-30), is_pad])

    data = HeteroData()
    data["node"].x = torch.from_numpy(x.astype(np.float32))
    data["node"].pos = torch.from_numpy(np.column_stack([xu, yu]).astype(np.float32))
    data["node"].layer = torch.from_numpy(pdn.node_layer.astype(np.int64))
    cap = np.zeros(n)
    if len(pdn.c_farad):
        ca, cb = pdn.c_a, pdn.c_b
        cap += np.bincount(ca[ca >= 0], pdn.c_farad[ca >= 0], n) + np.bincount(cb[cb >= 0], pdn.c_farad[cb >= 0], n)
    data["node"].cap = torch.from_numpy(cap.astype(np.float32))
    if grid_size is not None:
        S = int(grid_size)
        px = np.clip((xu / W * S).astype(np.int64), 0, S - 1)
        py = np.clip((yu / H * S).astype(np.int64), 0, S - 1)
        pix = np.where(pdn.node_layer == pdn.lowest_layer, px * S + py, -1)
        data["node"].pix = torch.from_numpy(pix)

    # resistors: same layer = wire, different layers = via
    g = 1.0 / pdn.r_ohm
    la, lb = pdn.node_layer[pdn.r_a], pdn.node_layer[pdn.r_b]
    wire = la == lb
    g_ref = float(np.median(g[wire])) if wire.any() else float(np.median(g))
    length = np.hypot(xu[pdn.r_a] - xu[pdn.r_b], yu[pdn.r_a] - yu[pdn.r_b])
    wa, wb = pdn.r_a[wire], pdn.r_b[wire]
    data["node", "wire", "node"].edge_index = torch.from_numpy(_both(wa, wb))
    wattr = np.column_stack([g[wire] / g_ref, length[wire] / 10.0]).astype(np.float32)
    data["node", "wire", "node"].edge_attr = torch.from_numpy(np.concatenate([wattr, wattr]))
    va, vb = pdn.r_a[~wire], pdn.r_b[~wire]
    data["node", "via", "node"].edge_index = torch.from_numpy(_both(va, vb))
    vattr = (g[~wire] / g_ref).astype(np.float32)[:, None]
    data["node", "via", "node"].edge_attr = torch.from_numpy(np.concatenate([vattr, vattr]))

    data["pad"].x = torch.from_numpy(pdn.v_volt.astype(np.float32)[:, None])
    data["pad"].pos = torch.from_numpy(np.column_stack([xu[pdn.v_node], yu[pdn.v_node]]).astype(np.float32))
    data["pad", "supplies", "node"].edge_index = torch.from_numpy(
        np.stack([np.arange(len(pdn.v_node)), pdn.v_node]).astype(np.int64))

    tx, ty, _ = tiles.values.shape
    sliced = tiles.slices(n_slices).reshape(tx * ty, n_slices)
    data["tile"].current = torch.from_numpy(sliced.astype(np.float32))
    # scaled like the node load feature, so tile -> node messages give per-node current / mean source
    data["tile"].x = torch.from_numpy((sliced / max(mean_src, 1e-30)).astype(np.float32))
    cx = (np.arange(tx) + 0.5) * tiles.tile_um
    cy = (np.arange(ty) + 0.5) * tiles.tile_um
    gx, gy = np.meshgrid(cx, cy, indexing="ij")
    data["tile"].pos = torch.from_numpy(np.column_stack([gx.ravel(), gy.ravel()]).astype(np.float32))
    has = load > 0
    fed = np.flatnonzero(has)
    ix = np.clip((xu[fed] // tiles.tile_um).astype(np.int64), 0, tx - 1)
    iy = np.clip((yu[fed] // tiles.tile_um).astype(np.int64), 0, ty - 1)
    tile = ix * ty + iy
    tile_dc = np.bincount(tile, load[fed], tx * ty)
    share = load[fed] / np.maximum(tile_dc[tile], 1e-30)
    data["tile", "feeds", "node"].edge_index = torch.from_numpy(np.stack([tile, fed]).astype(np.int64))
    data["tile", "feeds", "node"].edge_attr = torch.from_numpy(share.astype(np.float32)[:, None])
    return data
