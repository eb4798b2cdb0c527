"""Which target-node contacts to label next: random, or uncertainty + diversity ("active").

Active selection (batch mode, one call per acquisition round):

1. uncertainty: the std of the threshold CNN's prediction over MC-dropout passes, on every
   unlabelled pool sample;
2. the ``oversample * k`` most uncertain samples are the candidates;
3. diversity: greedy k-center on the network's embeddings picks ``k`` of the candidates,
   each the one farthest from everything already labelled or picked (so a batch does not
   spend its budget on near-duplicates of one uncertain layout).
"""
from __future__ import annotations

import numpy as np

from chipsmith.errors import InputError

STRATEGIES = ("random", "active")


def k_center(emb: np.ndarray, candidates: np.ndarray, anchors: np.ndarray, k: int) -> np.ndarray:
    """Greedy k-center: ``k`` of ``candidates`` (indices into ``emb``), farthest-first from ``anchors``."""
    if k <= 0 or len(candidates) == 0:
        return np.zeros(0, dtype=np.int64)
    cand = emb[candidates].astype(np.float64)
    scale = cand.std(0) + 1e-9  # embedding dims on one scale
    cand = cand / scale
    if len(anchors):
        a = emb[anchors].astype(np.float64) / scale
        dist = np.full(len(cand), np.inf)
        c2 = (cand ** 2).sum(-1)
        for i in range(0, len(a), 512):
            # |c - a|^2 = |c|^2 + |a|^2 - 2 c.a: a (candidates x 512) matrix, not a third axis of dims.
            ai = a[i:i + 512]
            d = c2[:, None] + (ai ** 2).sum(-1)[None, :] - 2.0 * cand @ ai.T
            dist = np.minimum(dist, np.maximum(d, 0.0).min(1))
    else:
        dist = ((cand - cand.mean(0)) ** 2).sum(-1)  # start from the most atypical one
    picked = []
    for _ in range(min(k, len(cand))):
        j = int(np.argmax(dist))
        picked.append(j)
        dist = np.minimum(dist, ((cand - cand[j]) ** 2).sum(-1))
        dist[j] = -np.inf
    return candidates[np.asarray(picked, dtype=np.int64)]


def select(strategy: str, k: int, labelled: np.ndarray, pool_size: int, rng: np.random.Generator, *,
           uncertainty: np.ndarray | None = None, embeddings: np.ndarray | None = None,
           oversample: int = 4) -> np.ndarray:
    """Indices of the next ``k`` pool samples to label (never one already in ``labelled``)."""
    if strategy not in STRATEGIES:
        raise InputError(f"unknown selection {strategy!r}", fix=f"use one of: {', '.join(STRATEGIES)}")
    free = np.setdiff1d(np.arange(pool_size), labelled)
    if k <= 0 or len(free) == 0:
        return np.zeros(0, dtype=np.int64)
    k = min(k, len(free))
    if strategy == "random" or uncertainty is None or embeddings is None:
        return rng.choice(free, size=k, replace=False)
    order = free[np.argsort(-uncertainty[free], kind="stable")]
    # oversample 0: every free sample is a candidate (pure diversity, k-center / core-set).
    candidates = order if oversample <= 0 else order[:max(k, oversample * k)]
    return k_center(embeddings, candidates, np.asarray(labelled, dtype=np.int64), k)
