"""Data-efficient training of the threshold CNN: pretrain on the older node, then label a budget
of newer-node contacts chosen at random or actively, and score CD/EPE on held-out contacts.

``learn`` runs ``rounds`` acquisition rounds: round 0 labels ``budget/rounds`` samples (at
random from scratch; actively already when a pretrained model can rank the pool), then
each round trains on what is labelled (from the source weights when transferring) and
selects the next batch with :func:`chipsmith.lithography.active.select`. The final model
is trained on the whole budget.

``warmup`` (a share of the budget) is labelled at random first, also when transferring: a
pretrained model's uncertainty on a new node is not yet calibrated, and a random share
keeps the labelled set representative of the pool. ``oversample``: candidates per pick for
k-center (0: every unlabelled sample, i.e. pure diversity on the model's embedding).

Negative transfer: a source node whose resist responds differently can make fine-tuning worse
than training from scratch, and how far to trust the source is not known in advance. With
``cfg.prior_cv`` (candidate strengths of the L2-SP prior towards the source weights) the
final model's strength is chosen by :func:`choose_prior`: ``cv_folds``-fold cross-validation
on the labelled contacts, folds grouped by clip (contacts of one clip share their
neighbourhood), scored by CD RMSE, with training from scratch as one more candidate. The
labels alone decide; no test data is involved.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field, replace

import numpy as np

from chipsmith.errors import InputError
from chipsmith.lithography import active
from chipsmith.lithography import threshold_cnn as T
from chipsmith.lithography.contact_samples import ContactSamples, edge_epe, slice_cd


@dataclass(frozen=True, eq=False)
class Learned:
    model: T.ThresholdCNN
    labelled: np.ndarray  # indices into the target pool, in labelling order
    transfer: bool
    select: str
    prior: dict = field(default_factory=dict)  # choose_prior's choice and CV scores (when cross-validated)


def pretrain(source: ContactSamples, cfg: T.ThresholdConfig, *, seed: int, device: str = "cpu",
             steps: int | None = None) -> T.ThresholdCNN:
    model = T.ThresholdCNN(cfg.width, cfg.dropout, cfg.outputs)
    return T.fit(model, source.patches, targets(source, cfg), cfg, seed=seed, device=device, steps=steps,
                 i_ref=source.i_ref)


def learn(pool: ContactSamples, budget: int, select: str, cfg: T.ThresholdConfig, *, seed: int,
          pretrained: T.ThresholdCNN | None = None, rounds: int = 4, device: str = "cpu",
          steps: int | None = None, warmup: float = 0.5, oversample: int = 4) -> Learned:
    if budget < 1:
        raise InputError(f"budget must be >= 1 labelled sample, got {budget}", fix="pass --budget N with N >= 1")
    if budget > len(pool):
        raise InputError(f"budget {budget} exceeds the {len(pool)} labelled-able contacts of the target pool",
                         fix="lower --budget or generate a larger target set")
    if select not in active.STRATEGIES:
        raise InputError(f"unknown selection {select!r}", fix="use --select active or --select random")
    rng = np.random.default_rng(seed)
    if not 0.0 <= warmup <= 1.0:
        raise InputError(f"warm-up share {warmup} is not in [0, 1]", fix="pass a fraction such as 0.25")
    rounds = max(1, min(rounds, budget))
    n_warm = int(round(warmup * budget)) if select == "active" else 0
    sizes = np.diff(np.linspace(0, budget - n_warm, rounds + 1).round().astype(int))
    if n_warm:
        sizes = np.concatenate([[n_warm], sizes[sizes > 0]])
    labelled = np.zeros(0, dtype=np.int64)
    current = pretrained
    rounds = len(sizes)
    for r, k in enumerate(sizes):
        unc = emb = None
        if select == "active" and current is not None and not (n_warm and r == 0):
            unc, emb = T.mc_dropout(current, pool.patches, device=device)
        picked = active.select(select, int(k), labelled, len(pool), rng, uncertainty=unc, embeddings=emb,
                               oversample=oversample)
        labelled = np.concatenate([labelled, picked])
        if select == "active" and r < rounds - 1:
            current = _train(pool, labelled, cfg, seed + r + 1, pretrained, device, steps)
    prior: dict = {}
    final_cfg, final_pre = cfg, pretrained
    if pretrained is not None and cfg.prior_cv:
        prior = choose_prior(pool, labelled, cfg, pretrained, seed=seed, device=device, steps=steps)
        if prior["choice"] is None:
            final_pre = None
        else:
            final_cfg = replace(cfg, l2sp=prior["choice"])
    model = _train(pool, labelled, final_cfg, seed, final_pre, device, steps)
    return Learned(model, labelled, pretrained is not None, select, prior)


CV_MISS_NM = 10.0  # CD error charged for a validation contact a candidate leaves unresolved


def choose_prior(pool: ContactSamples, idx: np.ndarray, cfg: T.ThresholdConfig, pretrained: T.ThresholdCNN, *,
                 seed: int, device: str = "cpu", steps: int | None = None) -> dict:
    """How strongly to hold the fine-tuned model to the source weights: each L2-SP strength of
    ``cfg.prior_cv`` and training from scratch (``None``) is trained on all folds but one of the
    labelled contacts ``idx`` (folds grouped by clip, ``scaled`` schedule) and scored by CD RMSE
    on the fold left out; the lowest pooled RMSE wins (ties: the first, i.e. scratch). Fewer
    than two labelled clips: no choice is made and ``cfg.l2sp`` stays."""
    groups = pool.clip_of[idx]
    clips = np.unique(groups)
    k = min(cfg.cv_folds, len(clips))
    if k < 2:
        return {"choice": cfg.l2sp, "cv_cd_rmse_nm": {}, "folds": 0}
    order = np.random.default_rng(seed + 7919).permutation(clips)
    fold_of = dict(zip(order.tolist(), (np.arange(len(order)) % k).tolist()))
    fold = np.array([fold_of[g] for g in groups.tolist()])
    cands: list[float | None] = [None, *[float(c) for c in cfg.prior_cv]]
    cv_cfg = replace(cfg, schedule="scaled")
    errs: dict = {c: [] for c in cands}
    for f in range(k):
        tr, va = idx[fold != f], idx[fold == f]
        for c in cands:
            m = _train(pool, tr, cv_cfg if c is None else replace(cv_cfg, l2sp=c), seed + 31 * (f + 1),
                       None if c is None else pretrained, device, steps)
            cd, _ = slice_cd(pool.profiles[va], T.predict(m, pool.patches[va], device=device), pool.step_nm)
            errs[c].append(np.nan_to_num(cd - pool.cd[va], nan=CV_MISS_NM).ravel())
    rmse = {c: float(np.sqrt(np.mean(np.concatenate(e) ** 2))) for c, e in errs.items()}
    best = min(cands, key=lambda c: rmse[c])
    return {"choice": best, "cv_cd_rmse_nm": {("scratch" if c is None else f"l2sp={c:g}"): v for c, v in rmse.items()},
            "folds": k}


def _train(pool: ContactSamples, idx: np.ndarray, cfg: T.ThresholdConfig, seed: int,
           pretrained: T.ThresholdCNN | None, device: str, steps: int | None) -> T.ThresholdCNN:
    y = targets(pool, cfg)[idx]
    if pretrained is not None:
        return T.fit(copy.deepcopy(pretrained), pool.patches[idx], y, cfg, seed=seed, device=device, finetune=True,
                     steps=steps, i_ref=pool.i_ref)
    return T.fit(T.ThresholdCNN(cfg.width, cfg.dropout, cfg.outputs), pool.patches[idx], y, cfg, seed=seed,
                 device=device, steps=steps, i_ref=pool.i_ref)


def targets(samples: ContactSamples, cfg: T.ThresholdConfig) -> np.ndarray:
    """Labels for ``cfg.outputs``: one threshold per contact, or one per edge."""
    return samples.threshold if cfg.outputs == 1 else samples.edge_threshold


def _rms(a: np.ndarray) -> float | None:
    a = a[np.isfinite(a)]
    return float(np.sqrt((a ** 2).mean())) if len(a) else None


def score_thresholds(test: ContactSamples, thr: np.ndarray) -> dict:
    """CD RMSE and EPE RMSE (nm) of slicing each test contact's aerial image at ``thr``,
    against the ground-truth resist model's CDs and EPEs (what `litho generate` measured)."""
    cd, edges = slice_cd(test.profiles, thr.astype(np.float32), test.step_nm)
    epe = edge_epe(edges, test.contact_nm)
    cd_err = cd - test.cd
    epe_err = epe - test.epe
    return {"cd_rmse_nm": _rms(cd_err.ravel()), "epe_rmse_nm": _rms(epe_err.ravel()),
            "threshold_rmse": float(np.sqrt(((thr - (test.threshold if thr.ndim == 1 else test.edge_threshold))
                                             ** 2).mean())),
            "unresolved": int((~np.isfinite(cd)).any(axis=1).sum()), "contacts": len(test)}


def evaluate(model: T.ThresholdCNN, test: ContactSamples, *, device: str = "cpu") -> dict:
    return score_thresholds(test, T.predict(model, test.patches, device=device))
