"""The training loop and batched inference the lithography CNNs share.

Both resist models train the same way (AdamW, a cosine schedule over a fixed number of
steps, one random minibatch per step drawn from a seeded generator); they differ only in
how a minibatch becomes a loss, which the caller passes in.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import torch


def train_steps(model: torch.nn.Module, batch_loss: Callable[[torch.Tensor], torch.Tensor], *, n: int, lr: float,
                weight_decay: float, steps: int, batch: int, gen: torch.Generator, device: str) -> None:
    """``steps`` AdamW steps on the trainable parameters of ``model``; each draws ``batch`` of
    the ``n`` samples at random (``gen``) and minimises ``batch_loss(indices)``."""
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=weight_decay)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, steps)
    model.train()
    for _ in range(steps):
        idx = torch.randint(0, n, (min(batch, n),), generator=gen).to(device)
        loss = batch_loss(idx)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
    model.eval()


@torch.no_grad()
def predict_batched(model: torch.nn.Module, x: np.ndarray, *, device: str, batch: int,
                    empty_shape: tuple[int, ...]) -> np.ndarray:
    """``model`` over ``x`` in batches of ``batch`` on ``device``; an empty ``x`` gives an
    empty array of ``empty_shape``."""
    model.eval().to(device)
    xt = torch.as_tensor(x, dtype=torch.float32)
    out = [model(xt[i:i + batch].to(device)).cpu() for i in range(0, len(xt), batch)]
    return torch.cat(out).numpy() if out else np.zeros(empty_shape, np.float32)
