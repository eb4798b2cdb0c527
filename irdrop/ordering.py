"""Geometric nested-dissection ordering for the direct solver.

Why: SuperLU's built-in orderings (COLAMD, MMD) are general-purpose and produce much
more fill than nested dissection on planar-like grids. A PDN knows where every node
is, so a coordinate bisection gives good separators for free: split the nodes at the
median of the longer axis, take the left-side endpoints of the edges that cross the
cut as the separator, recurse, and number the separator after both halves. The matrix
is permuted once and factorized with SuperLU's NATURAL ordering (no pivoting: the
conductance matrix is SPD).
"""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

LEAF = 64


def _neighbours(indptr: np.ndarray, indices: np.ndarray, nodes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(owner, neighbour) pairs for every stored entry in the rows ``nodes``."""
    starts = indptr[nodes]
    counts = indptr[nodes + 1] - starts
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    offs = np.repeat(starts - np.concatenate([[0], np.cumsum(counts)[:-1]]), counts)
    idx = np.arange(total) + offs
    return np.repeat(nodes, counts), indices[idx]


def nested_dissection(A: sp.spmatrix, x: np.ndarray, y: np.ndarray, leaf: int = LEAF) -> np.ndarray:
    """A fill-reducing permutation of the symmetric matrix ``A`` whose unknown ``i`` sits
    at (``x[i]``, ``y[i]``). Returns ``perm`` such that ``A[perm][:, perm]`` factors well."""
    A = sp.csr_matrix(A)
    n = A.shape[0]
    indptr, indices = A.indptr.astype(np.int64), A.indices.astype(np.int64)
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    side = np.full(n, -1, np.int8)
    out: list[np.ndarray] = []
    # explicit stack of (nodes, is_separator); a separator is emitted after its halves
    stack: list[tuple[np.ndarray, bool]] = [(np.arange(n), False)]
    while stack:
        nodes, is_sep = stack.pop()
        if is_sep or len(nodes) <= leaf:
            out.append(nodes)
            continue
        xs, ys = x[nodes], y[nodes]
        key = xs if (xs.max() - xs.min()) >= (ys.max() - ys.min()) else ys
        order = np.argsort(key, kind="stable")
        half = len(nodes) // 2
        left, right = nodes[order[:half]], nodes[order[half:]]
        side[right] = 1
        owner, nb = _neighbours(indptr, indices, left)
        hit = side[nb] == 1
        side[right] = -1
        if hit.any():
            is_s = np.zeros(n, bool)
            is_s[owner[hit]] = True
            sep = left[is_s[left]]
            left = left[~is_s[left]]
        else:
            sep = np.zeros(0, np.int64)
        # pushed in reverse: left is ordered first, then right, then the separator
        stack.append((sep, True))
        stack.append((right, False))
        stack.append((left, False))
    perm = np.concatenate(out) if out else np.zeros(0, np.int64)
    return perm
