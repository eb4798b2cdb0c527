"""Fully convolutional resist model: aerial + mask clip → resist image (development depth).

A small U-Net (two down, two up, skip connections) maps the ``(2, H, W)`` clip (aerial
intensity, drawn mask) to the ground-truth resist image (film: development time / front
arrival time at the CD depth; lumped: normalised development depth), which prints where ``>= 1``; contours and CDs follow from the predicted image exactly as from the
simulated one. Being fully convolutional it runs on any grid whose side is a multiple of 4
at the pixel it was trained at.

Training minimises the MSE of the depth clipped to ``[0, 2]`` (far above the contour level
the value does not matter) plus a weighted term on the band ``0.5 < depth < 1.5`` around
the contour, where the printed edge is decided. Dropout in the bottleneck serves MC-dropout
uncertainty for active selection; ``freeze='early'`` keeps the first encoder block when
fine-tuning on a new node, ``'encoder'`` the whole encoder.

``normalize`` (default off: not yet measured for this model) divides the aerial channel by the node's reference intensity
(see :mod:`~chipsmith.lithography.threshold_cnn`), so both nodes' inputs are in units of
their sizing threshold. :func:`iou_subpixel` scores contours at sub-pixel resolution: both
images are bilinearly upsampled (the interpolant whose level-1 isoline the marching-squares
contour follows) before thresholding, so a contour that moves a tenth of a pixel costs a
tenth of a pixel row, not a whole one or nothing.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch import nn

from chipsmith.lithography.minibatch import predict_batched, train_steps

FREEZE = ("none", "early", "encoder")
CLIP_MAX = 2.0


@dataclass
class FcnConfig:
    width: int = 16
    dropout: float = 0.1
    steps: int = 400
    batch: int = 8
    lr: float = 2e-3
    finetune_lr: float = 1e-3
    weight_decay: float = 1e-4
    freeze: str = "early"
    band_weight: float = 4.0
    normalize: bool = False  # not yet measured for the FCN (see docs/lithography.md)


def _conv(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1, padding_mode="circular"), nn.GELU(),
                         nn.Conv2d(cout, cout, 3, padding=1, padding_mode="circular"), nn.GELU())


class ResistFCN(nn.Module):
    def __init__(self, width: int = 16, dropout: float = 0.1) -> None:
        super().__init__()
        w = width
        self.enc1, self.enc2, self.mid = _conv(2, w), _conv(w, 2 * w), _conv(2 * w, 4 * w)
        self.drop = nn.Dropout2d(dropout)
        self.up2, self.dec2 = nn.ConvTranspose2d(4 * w, 2 * w, 2, stride=2), _conv(4 * w, 2 * w)
        self.up1, self.dec1 = nn.ConvTranspose2d(2 * w, w, 2, stride=2), _conv(2 * w, w)
        self.out = nn.Conv2d(w, 1, 1)
        self.pool = nn.AvgPool2d(2)
        self.register_buffer("in_scale", torch.ones(()))  # the node's reference intensity (1: none)

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        x = torch.cat([x[:, :1] / self.in_scale, x[:, 1:]], dim=1)
        e1 = self.enc1(x)
        e2 = self.enc2(self.pool(e1))
        return e1, e2, self.mid(self.pool(e2))

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        return self.encode(x)[2].mean(dim=(-2, -1))

    def decode(self, e1: torch.Tensor, e2: torch.Tensor, m: torch.Tensor) -> torch.Tensor:
        d2 = self.dec2(torch.cat([self.up2(self.drop(m)), e2], 1))
        d1 = self.dec1(torch.cat([self.up1(d2), e1], 1))
        return self.out(d1)[:, 0]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(*self.encode(x))


def inputs(aerial: np.ndarray, mask: np.ndarray) -> np.ndarray:
    return np.stack([aerial, mask], axis=1).astype(np.float32)


def freeze(model: ResistFCN, how: str) -> None:
    if how not in FREEZE:
        from chipsmith.errors import InputError

        raise InputError(f"unknown freeze option {how!r}", fix=f"use one of: {', '.join(FREEZE)}")
    for p in model.parameters():
        p.requires_grad_(True)
    frozen = {"none": [], "early": [model.enc1], "encoder": [model.enc1, model.enc2, model.mid]}[how]
    for mod in frozen:
        for p in mod.parameters():
            p.requires_grad_(False)


def _loss(pred: torch.Tensor, target: torch.Tensor, band_weight: float) -> torch.Tensor:
    t = target.clamp(0, CLIP_MAX)
    err = (pred - t) ** 2
    band = ((target > 0.5) & (target < 1.5)).float()
    return (err * (1 + band_weight * band)).mean()


def fit(model: ResistFCN, x: np.ndarray, y: np.ndarray, cfg: FcnConfig, *, seed: int, device: str = "cpu",
        finetune: bool = False, steps: int | None = None, i_ref: float | None = None) -> ResistFCN:
    """Train on clips ``x`` ``(B, 2, H, W)`` and resist images ``y`` ``(B, H, W)``; random 90° turns
    and flips augment (the optics of both presets are symmetric under them)."""
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    model.to(device)
    model.in_scale.fill_(float(i_ref) if (cfg.normalize and i_ref) else 1.0)
    freeze(model, cfg.freeze if finetune else "none")
    xt = torch.as_tensor(x, dtype=torch.float32).to(device)
    yt = torch.as_tensor(y, dtype=torch.float32).to(device)

    def batch_loss(idx: torch.Tensor) -> torch.Tensor:
        xb, yb = xt[idx], yt[idx]
        k = int(torch.randint(0, 4, (1,), generator=gen))
        xb, yb = torch.rot90(xb, k, (-2, -1)), torch.rot90(yb, k, (-2, -1))
        if bool(torch.randint(0, 2, (1,), generator=gen)):
            xb, yb = xb.flip(-1), yb.flip(-1)
        return _loss(model(xb), yb, cfg.band_weight)

    train_steps(model, batch_loss, n=len(xt), lr=cfg.finetune_lr if finetune else cfg.lr,
                weight_decay=cfg.weight_decay, steps=steps or cfg.steps, batch=cfg.batch, gen=gen, device=device)
    return model


def predict(model: ResistFCN, x: np.ndarray, *, device: str = "cpu", batch: int = 64) -> np.ndarray:
    return predict_batched(model, x, device=device, batch=batch, empty_shape=(0,) + x.shape[-2:])


@torch.no_grad()
def mc_dropout(model: ResistFCN, x: np.ndarray, *, passes: int = 8, device: str = "cpu",
               batch: int = 64) -> tuple[np.ndarray, np.ndarray]:
    """Per clip: mean predictive std over the contour band (uncertainty), and embeddings."""
    model.to(device).eval()
    xt = torch.as_tensor(x, dtype=torch.float32)
    unc, embs = [], []
    for i in range(0, len(xt), batch):
        xb = xt[i:i + batch].to(device)
        e1, e2, m = model.encode(xb)
        model.drop.train()
        preds = torch.stack([model.decode(e1, e2, m) for _ in range(passes)])
        model.drop.eval()
        mean, std = preds.mean(0), preds.std(0)
        band = ((mean > 0.5) & (mean < 1.5)).float()
        unc.append(((std * band).sum((-2, -1)) / band.sum((-2, -1)).clamp_min(1)).cpu())
        embs.append(m.mean(dim=(-2, -1)).cpu())
    return torch.cat(unc).numpy(), torch.cat(embs).numpy()


def iou(pred: np.ndarray, truth: np.ndarray, level: float = 1.0) -> np.ndarray:
    """Per-clip IoU of the printed regions (``>= level``); 1 where both are empty."""
    p, t = pred >= level, truth >= level
    inter = (p & t).sum((-2, -1))
    union = (p | t).sum((-2, -1))
    return np.where(union > 0, inter / np.maximum(union, 1), 1.0)


def iou_subpixel(pred: np.ndarray, truth: np.ndarray, level: float = 1.0, factor: int = 4,
                 batch: int = 32) -> np.ndarray:
    """Per-clip IoU of the regions ``>= level`` of both images upsampled ``factor`` times
    (bilinear, pixel centres kept); 1 where both are empty."""
    out = []
    for i in range(0, len(pred), batch):
        p, t = (torch.nn.functional.interpolate(torch.as_tensor(a[i:i + batch], dtype=torch.float32)[:, None],
                                                scale_factor=factor, mode="bilinear", align_corners=False)[:, 0]
                for a in (pred, truth))
        out.append(iou(p.numpy(), t.numpy(), level))
    return np.concatenate(out) if out else np.zeros(0)


def save(model: ResistFCN, cfg: FcnConfig, meta: dict) -> dict:
    return {"kind": "resist-fcn", "config": asdict(cfg), "meta": meta,
            "state": {k: v.detach().cpu() for k, v in model.state_dict().items()}}


def load(blob: dict) -> tuple[ResistFCN, FcnConfig]:
    cfg = FcnConfig(**{"normalize": False, **blob["config"]})  # older checkpoints: no normalisation
    model = ResistFCN(cfg.width, cfg.dropout)
    model.load_state_dict({"in_scale": torch.ones(()), **blob["state"]})
    model.eval()
    return model, cfg
