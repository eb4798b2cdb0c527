"""Threshold-per-contact CNN (the seed paper's formulation): aerial patch → slicing threshold.

Input: a ``(2, P, P)`` patch (aerial intensity, drawn mask) centred on one contact. Output:
the effective threshold, i.e. the aerial intensity at which the contact's ground-truth
(film or lumped resist model) edges sit; slicing the aerial image there (:func:`contact_samples.slice_cd`) gives the CD.
``outputs=1`` is the seed paper's one threshold per contact (the mean over its edges);
``outputs=4`` (default) predicts one threshold per edge (+x, -x, +y, -y), which also
captures asymmetric neighbourhoods: slicing at the true per-edge values reproduces the
ground truth's CD exactly, while one threshold per contact has an error floor (measured
0.435 nm CD RMSE on film new-node test contacts with the *true* per-contact threshold).

Layers: ``features`` (three conv blocks → global average → embedding) and ``head`` (MLP
with dropout, kept active for MC-dropout uncertainty). Transfer learning freezes a named
part while fine-tuning (``FREEZE``):

* ``none``     — every layer re-learns (fine-tuning from the source weights); the default
                 (best on a validation set of the newer node, ahead of ``early`` and ``staged``);
* ``early``    — the first conv block is frozen (low-level optical features are shared),
                 the rest re-learns;
* ``features`` — all conv blocks frozen, only the head re-learns.

* ``staged``   — first only the head re-learns (few parameters, so few labels suffice),
                 then every block but the first re-learns at the fine-tuning rate.

Intensity normalisation (``normalize``, default on): the aerial channel is divided by the
node's *reference intensity* ``i_ref`` (:func:`contact_samples.reference_intensity`: the
aerial intensity at the drawn edge of an isolated contact, i.e. the threshold that prints
it to size), and the threshold is learned in the same units. Clear-field-normalised
intensities are not one physical quantity across nodes (contact centres 0.32 old vs 0.21
new); in units of the node's sizing threshold they are (edges near 1, centres 1.6-1.7), so
the features learned on the older node see the same numbers on the newer one.

The target is standardised by a per-model ``(offset, scale)`` fitted on the training
labels, so a network pretrained on the older node starts from the same output range.
When fine-tuning, ``refit`` says which of the two are re-fitted on the (few) target
labels: ``both``, ``offset``, ``none`` (the source's are kept; in reference-intensity
units both nodes' thresholds sit near 1, and a scale fitted on 10 labels is noise) or
``residual`` (the source's scale is kept and its offset moved by the mean error of the
source model on the labels: the source's relative predictions stay, its level is corrected,
one number fitted from all the labels), and
``l2sp`` > 0 pulls the weights towards the pretrained ones (L2-SP, Li et al. 2018), so that
few labels adjust the source model instead of overwriting it. The pull is a Gaussian prior
centred on the source weights: ``(l2sp / n) * sum (w - w_source)^2`` added to the mean
squared error over the ``n`` labelled contacts (it replaces the weight decay towards zero),
so its weight falls as labels accumulate, as a prior's should. How strong the prior should
be depends on how much the source node has in common with the target, which the labels
alone can tell: ``resist_learning.choose_prior`` picks it by cross-validation.
``schedule='scaled'`` trains ``epochs`` passes over the labels (between ``min_steps`` and
``steps``), so a 50-label fine-tune does not take 800 steps of a 64-sample batch.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, replace

import numpy as np
import torch
from torch import nn

from chipsmith.lithography.minibatch import predict_batched, train_steps

FREEZE = ("none", "early", "features", "staged")
SCHEDULES = ("fixed", "scaled")
REFIT = ("both", "offset", "residual", "none")


@dataclass
class ThresholdConfig:
    patch: int = 32
    width: int = 16
    dropout: float = 0.1
    steps: int = 600
    batch: int = 64
    lr: float = 2e-3
    weight_decay: float = 1e-4
    freeze: str = "none"
    finetune_lr: float = 1e-3
    outputs: int = 4
    normalize: bool = True
    schedule: str = "fixed"
    epochs: int = 100
    min_steps: int = 150
    refit: str = "none"
    l2sp: float = 1.0
    prior_cv: tuple[float, ...] = (0.0, 1.0, 10.0, 100.0)  # l2sp candidates cross-validated on the labels
    cv_folds: int = 3


class ThresholdCNN(nn.Module):
    def __init__(self, width: int = 16, dropout: float = 0.1, outputs: int = 4) -> None:
        super().__init__()
        w = width
        self.outputs = outputs

        def block(cin: int, cout: int) -> nn.Sequential:
            return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1), nn.GELU(), nn.Conv2d(cout, cout, 3, padding=1),
                                 nn.GELU(), nn.AvgPool2d(2))

        self.features = nn.Sequential(block(2, w), block(w, 2 * w), block(2 * w, 4 * w))
        self.head = nn.Sequential(nn.Linear(4 * w * 2, 64), nn.GELU(), nn.Dropout(dropout), nn.Linear(64, outputs))
        # Intensity scale: aerial images are ~0..1 of clear field; centre them for the convs.
        self.register_buffer("out_offset", torch.zeros(outputs))
        self.register_buffer("out_scale", torch.ones(outputs))
        # Reference intensity of the node (1 = clear field, i.e. no normalisation).
        self.register_buffer("in_scale", torch.ones(()))

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        x = torch.cat([x[:, :1] / self.in_scale, x[:, 1:]], dim=1)
        f = self.features(x)
        # Mean and centre value: the centre keeps where the contact is, the mean its surroundings.
        c = f.shape[-1] // 2
        return torch.cat([f.mean(dim=(-2, -1)), f[..., c, c]], dim=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B,)`` thresholds for ``outputs=1``, else ``(B, outputs)``."""
        out = (self.head(self.embed(x)) * self.out_scale + self.out_offset) * self.in_scale
        return out[:, 0] if self.outputs == 1 else out


def freeze(model: ThresholdCNN, how: str) -> None:
    if how not in FREEZE:
        from chipsmith.errors import InputError

        raise InputError(f"unknown freeze option {how!r}", fix=f"use one of: {', '.join(FREEZE)}")
    for p in model.parameters():
        p.requires_grad_(True)
    frozen = {"none": [], "early": [model.features[0]], "features": [model.features], "staged": [model.features]}[how]
    for mod in frozen:
        for p in mod.parameters():
            p.requires_grad_(False)


def train_steps_for(n: int, cfg: ThresholdConfig, steps: int | None = None) -> int:
    """Steps for ``n`` labels: ``steps``/``cfg.steps`` (``fixed``), or ``cfg.epochs`` passes of
    ``cfg.batch`` over the labels clamped to ``[cfg.min_steps, steps or cfg.steps]`` (``scaled``)."""
    cap = steps or cfg.steps
    if cfg.schedule not in SCHEDULES:
        from chipsmith.errors import InputError

        raise InputError(f"unknown schedule {cfg.schedule!r}", fix=f"use one of: {', '.join(SCHEDULES)}")
    if cfg.schedule == "fixed":
        return cap
    return int(min(cap, max(cfg.min_steps, -(-cfg.epochs * n // cfg.batch))))


def fit(model: ThresholdCNN, x: np.ndarray, y: np.ndarray, cfg: ThresholdConfig, *, seed: int, device: str = "cpu",
        finetune: bool = False, steps: int | None = None, i_ref: float | None = None) -> ThresholdCNN:
    """Train (or fine-tune with ``cfg.freeze``) on patches ``x`` and thresholds ``y``; MSE on the
    standardised threshold, AdamW, a fixed number of steps (small sets repeat, large ones sample).
    ``i_ref``: the node's reference intensity (used when ``cfg.normalize``)."""
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    model.to(device)
    y_t = torch.as_tensor(y, dtype=torch.float32)
    model.in_scale.fill_(float(i_ref) if (cfg.normalize and i_ref) else 1.0)
    y_n = y_t / float(model.in_scale)
    refit = cfg.refit if finetune else "both"
    if refit not in REFIT:
        from chipsmith.errors import InputError

        raise InputError(f"unknown refit option {refit!r}", fix=f"use one of: {', '.join(REFIT)}")
    # Re-fit the output standardisation on these labels (a new node has a new threshold level);
    # one offset/scale over all outputs keeps the edges' relative levels in the network.
    if refit == "residual":
        model.eval()
        with torch.no_grad():
            pred = predict_batched(model, x, device=device, batch=1024, empty_shape=(0,))
        model.out_offset.add_(float((y_n - torch.as_tensor(pred) / float(model.in_scale)).mean()))
    if refit in ("both", "offset"):
        model.out_offset.fill_(float(y_n.mean()))
    if refit == "both":
        model.out_scale.fill_(max(float(y_n.std(unbiased=False)), 1e-4) if y_n.numel() > 1 else 0.01)
    anchor = {n: p.detach().clone().to(device) for n, p in model.named_parameters()} \
        if (finetune and cfg.l2sp > 0) else None
    n_labels = max(1, len(y_t))
    xt = torch.as_tensor(x, dtype=torch.float32).to(device)
    yt = y_t.to(device)

    def batch_loss(idx: torch.Tensor) -> torch.Tensor:
        loss = (((model(xt[idx]) - yt[idx]) / (model.out_scale * model.in_scale)) ** 2).mean()
        if anchor is not None:
            loss = loss + (cfg.l2sp / n_labels) * sum(((p - anchor[n]) ** 2).sum() for n, p in model.named_parameters()
                                         if p.requires_grad)
        return loss

    wd = 0.0 if anchor is not None else cfg.weight_decay

    total = train_steps_for(len(xt), cfg, steps)
    how = cfg.freeze if finetune else "none"
    if how == "staged":
        # Head first (its few parameters fit from few labels), then the deeper blocks follow.
        freeze(model, "features")
        train_steps(model, batch_loss, n=len(xt), lr=cfg.finetune_lr, weight_decay=wd,
                    steps=max(1, total // 2), batch=cfg.batch, gen=gen, device=device)
        freeze(model, "early")
        train_steps(model, batch_loss, n=len(xt), lr=cfg.finetune_lr / 2, weight_decay=wd,
                    steps=max(1, total - total // 2), batch=cfg.batch, gen=gen, device=device)
        return model
    freeze(model, how)
    train_steps(model, batch_loss, n=len(xt), lr=cfg.finetune_lr if finetune else cfg.lr,
                weight_decay=wd, steps=total, batch=cfg.batch, gen=gen, device=device)
    return model


def predict(model: ThresholdCNN, x: np.ndarray, *, device: str = "cpu", batch: int = 1024) -> np.ndarray:
    return predict_batched(model, x, device=device, batch=batch, empty_shape=(0,))


@torch.no_grad()
def mc_dropout(model: ThresholdCNN, x: np.ndarray, *, passes: int = 16, device: str = "cpu",
               batch: int = 2048) -> tuple[np.ndarray, np.ndarray]:
    """Std of the prediction over ``passes`` dropout masks (uncertainty) and the embeddings."""
    model.to(device).eval()
    xt = torch.as_tensor(x, dtype=torch.float32)
    stds, embs = [], []
    for i in range(0, len(xt), batch):
        xb = xt[i:i + batch].to(device)
        e = model.embed(xb)
        model.head.train()  # dropout on, features deterministic
        preds = torch.stack([model.head(e) for _ in range(passes)])  # standardised outputs
        model.head.eval()
        stds.append(preds.std(0).mean(-1).cpu())
        embs.append(e.cpu())
    return torch.cat(stds).numpy(), torch.cat(embs).numpy()


def save(model: ThresholdCNN, cfg: ThresholdConfig, meta: dict) -> dict:
    return {"kind": "threshold-cnn", "config": asdict(cfg), "meta": meta,
            "state": {k: v.detach().cpu() for k, v in model.state_dict().items()}}


def load(blob: dict) -> tuple[ThresholdCNN, ThresholdConfig]:
    # Checkpoints made before intensity normalisation carry neither the flag nor ``in_scale``;
    # those made before the L2-SP prior were fine-tuned with a re-fitted scale and no prior.
    old = {"normalize": False, "refit": "both", "l2sp": 0.0, "prior_cv": ()}
    cfg = ThresholdConfig(**{**old, **blob["config"]})
    cfg = replace(cfg, prior_cv=tuple(cfg.prior_cv))
    model = ThresholdCNN(cfg.width, cfg.dropout, cfg.outputs)
    model.load_state_dict({"in_scale": torch.ones(()), **blob["state"]})
    model.eval()
    return model, cfg
