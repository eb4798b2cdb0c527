"""U-Net baseline: the image-to-image model of the ICCAD 2023 contest entries.

Input: the map-branch channels of :mod:`features` (``MAP_CHANNELS``: current, peak
current, effective distance, PDN density, die width, die height) on an S×S grid, shape
(B, C, S, S). Output: (B, 1, S, S), the static IR drop divided by the case's total
current and by a training-set constant (see :mod:`training`). S must be divisible by
``2 ** depth``.
"""
from __future__ import annotations

import torch
from torch import nn


class ConvBlock(nn.Module):
    """Two 3×3 convolutions, each followed by GroupNorm and GELU; shape (B, c_in, H, W) → (B, c_out, H, W)."""

    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__()
        groups = 4 if c_out % 4 == 0 else 1
        self.body = nn.Sequential(
            nn.Conv2d(c_in, c_out, 3, padding=1), nn.GroupNorm(groups, c_out), nn.GELU(),
            nn.Conv2d(c_out, c_out, 3, padding=1), nn.GroupNorm(groups, c_out), nn.GELU())
        self.reset_parameters()

    def reset_parameters(self) -> None:
        for m in self.body:
            if hasattr(m, "reset_parameters"):
                m.reset_parameters()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.body(x)


class UNet(nn.Module):
    """Encoder-decoder with skip connections; ``depth`` halvings, channels ``base * 2**level``."""

    def __init__(self, in_channels: int, out_channels: int, base: int = 16, depth: int = 4) -> None:
        super().__init__()
        self.depth = depth
        chans = [base * 2 ** i for i in range(depth + 1)]
        self.down = nn.ModuleList([ConvBlock(in_channels, chans[0])] +
                                  [ConvBlock(chans[i], chans[i + 1]) for i in range(depth)])
        self.up = nn.ModuleList([nn.ConvTranspose2d(chans[i + 1], chans[i], 2, stride=2) for i in range(depth)])
        self.dec = nn.ModuleList([ConvBlock(2 * chans[i], chans[i]) for i in range(depth)])
        self.head = nn.Conv2d(chans[0], out_channels, 1)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        for m in list(self.up) + [self.head]:
            m.reset_parameters()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = []
        h = x
        for i, block in enumerate(self.down):
            h = block(h)
            if i < self.depth:
                skips.append(h)
                h = nn.functional.max_pool2d(h, 2)
        for i in reversed(range(self.depth)):
            h = self.up[i](h)
            h = self.dec[i](torch.cat([h, skips[i]], dim=1))
        return self.head(h)


class PriorInput(nn.Module):
    """The physics prior (:mod:`prior`) as an extra input channel and as the base of the output.

    ``batch.prior`` (B, 1, S, S) is in V/A; ``scale`` (a buffer, the training set's target
    scale, set by :func:`training.fit`) brings it to the output's units, so a model with a
    prior predicts ``prior + correction``."""

    def __init__(self) -> None:
        super().__init__()
        self.register_buffer("inv_scale", torch.ones(1, dtype=torch.float64))

    def set_scale(self, target_scale: float) -> None:
        self.inv_scale.fill_(1.0 / float(target_scale))

    def forward(self, batch) -> torch.Tensor:
        prior = getattr(batch, "prior", None)
        if prior is None:
            raise ValueError("this model needs the physics prior (batch.prior): build items with prior_iters > 0")
        return prior * self.inv_scale.to(prior.dtype)


class UNetBaseline(nn.Module):
    """The baseline predictor: a U-Net over the feature maps of a batch (static output only);
    with ``prior``, over the maps plus the physics prior, predicting prior + correction."""

    name = "unet"
    outputs = ("static",)
    uses_graph = False

    def __init__(self, map_channels: int = 6, base: int = 16, depth: int = 4, prior: bool = False) -> None:
        super().__init__()
        self.prior = PriorInput() if prior else None
        self.net = UNet(map_channels + (1 if prior else 0), len(self.outputs), base=base, depth=depth)
        self._zero_head()

    def _zero_head(self) -> None:
        # with a prior, training starts from "prediction = prior" (zero correction) rather
        # than from the prior plus a random map
        if self.prior is not None:
            nn.init.zeros_(self.net.head.weight)
            nn.init.zeros_(self.net.head.bias)

    def reset_parameters(self) -> None:
        self.net.reset_parameters()
        self._zero_head()

    def forward(self, batch) -> torch.Tensor:
        """``batch.maps`` (B, C, S, S) (and ``batch.prior`` (B, 1, S, S)) → (B, 1, S, S)."""
        if self.prior is None:
            return self.net(batch.maps)
        p = self.prior(batch)
        return p + self.net(torch.cat([batch.maps, p], dim=1))
