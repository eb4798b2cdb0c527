"""PDNNet-style dual-branch GNN-CNN: a graph branch over the PDNGraph beside a map branch.

Graph branch: node features (:mod:`graph`) plus each node's current at ``n_slices``
instants (tile → node messages weighted by the node's share of its tile) and its
capacitance; pads add a learned embedding to the nodes they hold; then ``gnn_layers``
rounds of conductance-weighted message passing, one :class:`ConductanceConv` per
relation (``wire``, ``via``). Lowest-layer node embeddings are mean-pooled onto the S×S
grid (``data["node"].pix``) with an occupancy channel.

Map branch: a ConvBlock over the same maps as the U-Net baseline. The two are
concatenated and fused by a U-Net into two maps: static IR drop and worst-case dynamic
IR drop (each divided by the case's total DC current and a training constant).
Shapes: ``batch.maps`` (B, C, S, S) → (B, 2, S, S).
"""
from __future__ import annotations

import torch
from torch import nn
from torch_geometric.nn import MessagePassing
from torch_geometric.utils import scatter

from chipsmith.irdrop.graph import NODE_FEATURES
from chipsmith.irdrop.model_unet import ConvBlock, PriorInput, UNet


class ConductanceConv(MessagePassing):
    """``h_i ← h_i + MLP([h_i, Σ_j w_ij W h_j / Σ_j w_ij])`` with ``w_ij`` the normalised
    conductance (edge_attr column 0), i.e. a learned, conductance-weighted Jacobi sweep.
    Shapes: h (N, F), edge_index (2, E), edge_attr (E, D) → (N, F)."""

    def __init__(self, channels: int) -> None:
        super().__init__(aggr="add")
        self.lin = nn.Linear(channels, channels)
        self.mlp = nn.Sequential(nn.Linear(2 * channels, channels), nn.GELU(), nn.Linear(channels, channels))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        super().reset_parameters()
        self.lin.reset_parameters()
        for m in self.mlp:
            if hasattr(m, "reset_parameters"):
                m.reset_parameters()

    def forward(self, h: torch.Tensor, edge_index: torch.Tensor, edge_attr: torch.Tensor) -> torch.Tensor:
        w = edge_attr[:, 0].clamp(min=0)
        agg = self.propagate(edge_index, x=self.lin(h), w=w)
        norm = scatter(w, edge_index[1], dim=0, dim_size=h.shape[0], reduce="sum").clamp(min=1e-12)
        return self.mlp(torch.cat([h, agg / norm[:, None]], dim=1))

    def message(self, x_j: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
        return w[:, None] * x_j


class PDNNet(nn.Module):
    """Dual-branch GNN-CNN predicting static and worst-case dynamic IR-drop maps."""

    name = "pdnnet"
    outputs = ("static", "dynamic")
    uses_graph = True

    def __init__(self, map_channels: int = 6, hidden: int = 32, gnn_layers: int = 6, n_slices: int = 8,
                 base: int = 16, depth: int = 4, prior: bool = False) -> None:
        super().__init__()
        self.hidden = hidden
        # physics prior (:mod:`prior`): one more map-branch channel, and both outputs are
        # prior + correction (the worst-case dynamic drop is at least of the static's order)
        self.prior = PriorInput() if prior else None
        self.node_in = nn.Sequential(nn.Linear(NODE_FEATURES + n_slices + 1, hidden), nn.GELU(),
                                     nn.Linear(hidden, hidden))
        self.pad_in = nn.Linear(1, hidden)
        self.wire = nn.ModuleList([ConductanceConv(hidden) for _ in range(gnn_layers)])
        self.via = nn.ModuleList([ConductanceConv(hidden) for _ in range(gnn_layers)])
        self.map_branch = ConvBlock(map_channels + (1 if prior else 0), hidden)
        self.fuse = UNet(2 * hidden + 1, len(self.outputs), base=base, depth=depth)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        for m in list(self.node_in) + [self.pad_in]:
            if hasattr(m, "reset_parameters"):
                m.reset_parameters()
        for conv in list(self.wire) + list(self.via):
            conv.reset_parameters()
        self.map_branch.reset_parameters()
        self.fuse.reset_parameters()
        if self.prior is not None:  # start from "prediction = prior" (see UNetBaseline)
            nn.init.zeros_(self.fuse.head.weight)
            nn.init.zeros_(self.fuse.head.bias)

    def node_embeddings(self, batch) -> torch.Tensor:
        node = batch["node"]
        n = node.x.shape[0]
        fe = batch["tile", "feeds", "node"]
        share = fe.edge_attr[:, 0:1]
        cur_t = scatter(share * batch["tile"].x[fe.edge_index[0]], fe.edge_index[1], dim=0, dim_size=n, reduce="sum")
        cap = torch.log1p(node.cap / 1e-15)[:, None]
        h = self.node_in(torch.cat([node.x, cur_t, cap], dim=1))
        sup = batch["pad", "supplies", "node"].edge_index
        h = h + scatter(self.pad_in(batch["pad"].x)[sup[0]], sup[1], dim=0, dim_size=n, reduce="sum")
        wire, via = batch["node", "wire", "node"], batch["node", "via", "node"]
        for conv_w, conv_v in zip(self.wire, self.via):
            h = h + conv_w(h, wire.edge_index, wire.edge_attr) + conv_v(h, via.edge_index, via.edge_attr)
        return h

    def grid(self, batch, h: torch.Tensor, B: int, S: int) -> torch.Tensor:
        """Mean of lowest-layer node embeddings per grid pixel, plus occupancy: (B, hidden + 1, S, S)."""
        node = batch["node"]
        pix = node.pix
        b = node.batch if hasattr(node, "batch") and node.batch is not None else torch.zeros_like(pix)
        sel = pix >= 0
        idx = b[sel] * S * S + pix[sel]
        total = torch.zeros(B * S * S, h.shape[1], device=h.device, dtype=h.dtype).index_add_(0, idx, h[sel])
        cnt = torch.bincount(idx, minlength=B * S * S).to(h.dtype)
        mean = total / cnt.clamp(min=1)[:, None]
        g = torch.cat([mean, (cnt > 0).to(h.dtype)[:, None]], dim=1)
        return g.reshape(B, S, S, -1).permute(0, 3, 1, 2)

    def forward(self, batch) -> torch.Tensor:
        maps = batch.maps
        B, _, S, _ = maps.shape
        h = self.node_embeddings(batch)
        if self.prior is None:
            return self.fuse(torch.cat([self.grid(batch, h, B, S), self.map_branch(maps)], dim=1))
        p = self.prior(batch)
        fused = torch.cat([self.grid(batch, h, B, S), self.map_branch(torch.cat([maps, p], dim=1))], dim=1)
        return p + self.fuse(fused)
