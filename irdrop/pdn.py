"""The power-delivery-network data model: flat numpy arrays, one per element field.

A PDN with millions of elements must fit in memory comfortably, so there is no Python
object per element: nodes are indices into arrays (``-1`` is ground), and the only
per-node Python structure is the name → index dict that the parser needs anyway (its
insertion order *is* the index order, so names are never stored twice).

Coordinates are kept in database units (``dbu_per_um`` per micrometre, 2000 in the
ICCAD 2023 contest data) and layers as integers (``m4`` → 4). Nodes whose name carries
no location (allowed only with a non-strict parse) have layer ``-1``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

GROUND = -1


@dataclass(frozen=True)
class PWL:
    """Piecewise-linear waveforms sharing one breakpoint vector.

    ``times`` has shape (K,), ascending; ``values`` has shape (M, K): waveform ``m`` at
    breakpoint ``k``. Outside ``[times[0], times[-1]]`` the end values hold (SPICE PWL).
    """

    times: np.ndarray
    values: np.ndarray

    def at(self, t: float) -> np.ndarray:
        """Every waveform evaluated at time ``t`` (shape (M,))."""
        times = self.times
        if t <= times[0]:
            return self.values[:, 0].copy()
        if t >= times[-1]:
            return self.values[:, -1].copy()
        k = int(np.searchsorted(times, t, side="right")) - 1
        w = (t - times[k]) / (times[k + 1] - times[k])
        return self.values[:, k] * (1.0 - w) + self.values[:, k + 1] * w


@dataclass(frozen=True)
class PDN:
    """A resistive (and optionally capacitive) power grid with pads and current sinks.

    Node arrays have length ``n_nodes``; element arrays hold node indices (``GROUND`` for
    the reference node ``0``). Current sources follow SPICE: ``I pos neg amps`` draws
    ``amps`` out of ``pos`` into ``neg``, so a cell sink is ``I node 0 amps``.
    """

    node_index: dict[str, int]
    node_layer: np.ndarray  # int16, -1 when the name carries no location
    node_x: np.ndarray  # int64 dbu
    node_y: np.ndarray  # int64 dbu
    r_a: np.ndarray
    r_b: np.ndarray
    r_ohm: np.ndarray
    i_pos: np.ndarray
    i_neg: np.ndarray
    i_amp: np.ndarray  # DC value (time-zero value for PWL sources)
    i_names: list[str]
    v_node: np.ndarray
    v_volt: np.ndarray
    v_names: list[str] = field(default_factory=list)
    c_a: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    c_b: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    c_farad: np.ndarray = field(default_factory=lambda: np.zeros(0))
    i_pwl: dict[int, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    dbu_per_um: float = 2000.0
    source: str = "<memory>"

    # --- sizes ------------------------------------------------------------------------
    @property
    def n_nodes(self) -> int:
        return len(self.node_layer)

    @property
    def n_elements(self) -> int:
        return len(self.r_ohm) + len(self.i_amp) + len(self.v_volt) + len(self.c_farad)

    @property
    def vdd(self) -> float:
        """The supply voltage: the highest pad voltage (all pads share it in practice)."""
        return float(self.v_volt.max()) if len(self.v_volt) else float("nan")

    @property
    def layers(self) -> list[int]:
        return sorted(int(v) for v in np.unique(self.node_layer) if v >= 0)

    @property
    def lowest_layer(self) -> int:
        layers = self.layers
        return layers[0] if layers else -1

    # --- names and places -------------------------------------------------------------
    def names(self) -> list[str]:
        """Node names in index order (built on demand; the dict is the only store)."""
        return list(self.node_index)

    def name_of(self, index: int) -> str:
        if index == GROUND:
            return "0"
        for i, name in enumerate(self.node_index):
            if i == index:
                return name
        raise IndexError(index)

    def names_of(self, indices: Sequence[int]) -> list[str]:
        wanted = {int(i) for i in indices}
        found = {}
        for i, name in enumerate(self.node_index):
            if i in wanted:
                found[i] = name
                if len(found) == len(wanted):
                    break
        return [found[int(i)] for i in indices]

    def where(self, index: int) -> str:
        """A human description of a node's place: layer and (x, y) in micrometres."""
        if self.node_layer[index] < 0:
            return "no location"
        return (f"layer m{int(self.node_layer[index])} at ({self.node_x[index] / self.dbu_per_um:g}, "
                f"{self.node_y[index] / self.dbu_per_um:g}) um")

    def injection(self, amps: np.ndarray | None = None) -> np.ndarray:
        """Net current injected into each node by the current sources (A, shape (n,))."""
        amps = self.i_amp if amps is None else amps
        n = self.n_nodes
        pos, neg = self.i_pos, self.i_neg
        m = pos >= 0
        b = -np.bincount(pos[m], amps[m], n)
        m = neg >= 0
        if m.any():
            b += np.bincount(neg[m], amps[m], n)
        return b
