"""Training and checkpoints for the IR-drop predictors (PDNNet dual-branch, U-Net baseline).

Targets are IR drop divided by the case's total DC current (static drop is linear in the
currents, so this removes the design's current level) and by one training-set constant
``target_scale`` (so the network sees values near 1). A prediction in volts is
``output * target_scale * total_current``.

A checkpoint (``model.pt``) is a dict: ``format``, ``version``, ``model`` (name),
``config`` (the :class:`TrainConfig`), ``data_version``, ``feature_version``,
``target_scale``, ``state_dict``, ``splits`` (case names) and ``history``; loading
checks format, version and model name and raises :class:`InputError` otherwise.
"""
from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from chipsmith.errors import InputError
from chipsmith.irdrop.features import FEATURE_VERSION, MAP_CHANNELS

CHECKPOINT_FORMAT = "chipsmith.irdrop.model"
CHECKPOINT_VERSION = 1
MODELS = ("pdnnet", "unet")


@dataclass(frozen=True)
class TrainConfig:
    """Everything that defines a training run (stored in the checkpoint)."""

    model: str = "pdnnet"
    size: int = 32  # model grid S (divisible by 2**depth)
    epochs: int = 4
    batch_size: int = 4
    lr: float = 3e-3
    weight_decay: float = 1e-4
    hidden: int = 16  # PDNNet graph-branch width
    gnn_layers: int = 3
    n_slices: int = 8
    base: int = 8  # U-Net channels at full resolution
    depth: int = 3
    seed: int = 0
    test_cases: tuple[str, ...] = ("real/testcase2", "real/testcase12")
    val_fraction: float = 0.1
    test_fraction: float = 0.1
    time_budget_s: float | None = None  # stop after this many seconds of training
    augment: bool = True  # random flips / transpose per batch
    # pixels at or above 90 % of their map's maximum (the contest's hotspots) weigh
    # 1 + hotspot_weight in the loss: the hotspot F1 is judged on exactly those pixels
    hotspot_weight: float = 0.0
    # contest designs (groups real / synthetic) are drawn this many times as often as generated
    # ones per epoch: they are what the model is judged on, and far fewer than generated cases
    contest_weight: float = 1.0
    # test-time augmentation: average the prediction over the 8 flips / transposes of the input
    tta: bool = False
    loader_workers: int = 0  # DataLoader processes that collate batches (0 = in the training process)
    # fine-tuning: the last ``finetune_fraction`` of the run (time budget, else epochs) trains
    # from the best weights so far at ``finetune_lr`` on draws where the contest designs make
    # up 1 - finetune_generated of the samples (real ones 3x as often as synthetic ones); the
    # weights kept are the best on the contest cases of the validation split (at least
    # ``contest_val`` of them are put there), so fine-tuning never makes that loss worse
    finetune_fraction: float = 0.0
    finetune_lr: float = 3e-4
    finetune_generated: float = 0.3
    contest_val: int = 0
    # physics prior (:mod:`prior`): > 0 gives the model that many truncated-CG steps' drop
    # map as an input channel and makes it predict prior + correction; 0 = no prior
    prior_iters: int = 0
    # how the prior's node drops become its map (:data:`prior.PRIOR_MAPS`); checkpoints from
    # before this field was added used "linear"
    prior_map: str = "linear"

    def __post_init__(self) -> None:
        if self.model not in MODELS:
            raise InputError(f"unknown model '{self.model}'", fix=f"use one of {', '.join(MODELS)}")
        if self.size % (2 ** self.depth):
            raise InputError(f"grid size {self.size} is not divisible by 2**depth = {2 ** self.depth}",
                             fix=f"use a multiple of {2 ** self.depth}, e.g. {2 ** self.depth * 8}")
        from chipsmith.irdrop.prior import PRIOR_MAPS

        if self.prior_map not in PRIOR_MAPS:
            raise InputError(f"unknown prior map '{self.prior_map}'", fix=f"use one of {', '.join(PRIOR_MAPS)}")


#: named configurations: "cpu" for tests and laptops (seconds per epoch on a few cases),
#: "gpu" for real runs
PRESETS: dict[str, dict] = {
    "cpu": dict(size=32, epochs=4, batch_size=4, hidden=16, gnn_layers=3, base=8, depth=3),
    "gpu": dict(size=256, epochs=400, batch_size=8, hidden=32, gnn_layers=6, base=16, depth=4, lr=2e-3,
                hotspot_weight=1.0, contest_weight=4.0, tta=False, loader_workers=3, val_fraction=0.05,
                test_fraction=0.05),
    # the gpu preset, then 25 % of the run fine-tuned on the contest designs (see TrainConfig)
    "gpu-ft": dict(size=256, epochs=400, batch_size=8, hidden=32, gnn_layers=6, base=16, depth=4, lr=2e-3,
                   hotspot_weight=1.0, contest_weight=4.0, tta=False, loader_workers=3, val_fraction=0.05,
                   test_fraction=0.05, finetune_fraction=0.25, finetune_lr=3e-4, finetune_generated=0.3,
                   contest_val=4),
    # the gpu preset plus the physics prior (64 truncated-CG steps, :mod:`prior`)
    "gpu-prior": dict(size=256, epochs=400, batch_size=8, hidden=32, gnn_layers=6, base=16, depth=4, lr=2e-3,
                      hotspot_weight=1.0, contest_weight=4.0, tta=False, loader_workers=3, val_fraction=0.05,
                      test_fraction=0.05, prior_iters=64),
    # 128 CG steps and the pooled prior map (:func:`prior.pooled_map`, ms instead of 0.2+ s)
    "gpu-prior128": dict(size=256, epochs=400, batch_size=8, hidden=32, gnn_layers=6, base=16, depth=4, lr=2e-3,
                         hotspot_weight=1.0, contest_weight=4.0, tta=False, loader_workers=3, val_fraction=0.05,
                         test_fraction=0.05, prior_iters=128, prior_map="pool"),
}


def make_config(preset: str = "cpu", **overrides) -> TrainConfig:
    if preset not in PRESETS:
        raise InputError(f"unknown config '{preset}'", fix=f"use one of {', '.join(PRESETS)}")
    kw = dict(PRESETS[preset])
    kw.update({k: v for k, v in overrides.items() if v is not None})
    return TrainConfig(**kw)


def build_model(cfg: TrainConfig):
    if cfg.model == "pdnnet":
        from chipsmith.irdrop.model_pdnnet import PDNNet

        return PDNNet(len(MAP_CHANNELS), hidden=cfg.hidden, gnn_layers=cfg.gnn_layers, n_slices=cfg.n_slices,
                      base=cfg.base, depth=cfg.depth, prior=cfg.prior_iters > 0)
    from chipsmith.irdrop.model_unet import UNetBaseline

    return UNetBaseline(len(MAP_CHANNELS), base=cfg.base, depth=cfg.depth, prior=cfg.prior_iters > 0)


def _loss(pred, batch, scale: float, hotspot_weight: float = 0.0):
    """Masked L1 on the scaled targets (channels without a label do not count); pixels at or
    above 90 % of their map's maximum weigh ``1 + hotspot_weight``."""
    n = pred.shape[1]
    tgt = batch.target[:, :n] / scale
    mask = batch.has_target[:, :n, None, None].expand_as(tgt)
    if hotspot_weight:
        peak = tgt.amax(dim=(-2, -1), keepdim=True)
        mask = mask * (1.0 + hotspot_weight * (tgt >= 0.9 * peak).to(tgt.dtype))
    err = (pred - tgt).abs() * mask
    return err.sum() / mask.sum().clamp(min=1)


def _backward(net, model, batch, opt, cfg: "TrainConfig", scale: float, device: str, aug_gen):
    """One step's gradients (clipped) on ``batch``; ``net`` may be the DDP wrapper of ``model``."""
    import torch

    batch = batch.to(device)  # augmenting after the copy keeps the flips off the CPU
    if cfg.augment:
        batch = augment(batch, aug_gen)
    opt.zero_grad()
    loss = _loss(net(batch), batch, scale, cfg.hotspot_weight)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    return loss


def augment(batch, gen):
    """Random flips in x and y and an x/y transpose of a whole batch: maps, targets and the
    graph's grid pixels and position features move together (IR drop has these symmetries)."""
    import torch

    flip_x, flip_y, swap = (torch.rand(3, generator=gen) < 0.5).tolist()
    return transform(batch, flip_x, flip_y, swap)


#: the 8 symmetries of the square as (flip_x, flip_y, swap), identity first
DIHEDRAL = tuple((fx, fy, sw) for sw in (False, True) for fx in (False, True) for fy in (False, True))


def transform(batch, flip_x: bool, flip_y: bool, swap: bool):
    """Flip in x, then in y, then transpose a batch (or one item): maps, targets, grid pixels
    and position features together. Attributes are reassigned, never changed in place."""
    import torch

    S = batch.maps.shape[-1]
    node = batch["node"] if hasattr(batch, "node_types") and "node" in batch.node_types else None
    if node is not None and hasattr(node, "pix"):
        pix = node.pix
        sel = pix >= 0
        px, py = pix // S, pix % S
        x = node.x.clone()
    has_target = getattr(batch, "target", None) is not None
    has_prior = getattr(batch, "prior", None) is not None
    for on, dim, col in ((flip_x, -2, 4), (flip_y, -1, 5)):
        if on:
            batch.maps = batch.maps.flip(dim)
            if has_prior:
                batch.prior = batch.prior.flip(dim)
            if has_target:
                batch.target = batch.target.flip(dim)
            if node is not None and hasattr(node, "pix"):
                if col == 4:
                    px = S - 1 - px
                else:
                    py = S - 1 - py
                x[:, col] = 1.0 - x[:, col]
    if swap:
        batch.maps = batch.maps.transpose(-1, -2)[:, [0, 1, 2, 3, 5, 4]]
        if has_prior:
            batch.prior = batch.prior.transpose(-1, -2)
        if has_target:
            batch.target = batch.target.transpose(-1, -2)
        if node is not None and hasattr(node, "pix"):
            px, py = py, px
            x[:, [4, 5]] = x[:, [5, 4]]
    if node is not None and hasattr(node, "pix"):
        node.pix = torch.where(sel, px * S + py, pix)
        node.x = x
    return batch


def untransform_output(out, flip_x: bool, flip_y: bool, swap: bool):
    """Map a model output (B, K, S, S) predicted on ``transform(..., flip_x, flip_y, swap)`` back."""
    if swap:
        out = out.transpose(-1, -2)
    if flip_y:
        out = out.flip(-1)
    if flip_x:
        out = out.flip(-2)
    return out


def case_weights(dataset, indices: list[int], contest_weight: float) -> list[float] | None:
    """Sampling weight per training case (``contest_weight`` for contest designs, 1 for the
    rest), or None when every case weighs the same (plain shuffling)."""
    groups = [dataset.refs[i].group if hasattr(dataset, "refs") else "other" for i in indices]
    if contest_weight == 1.0 or not any(g in CONTEST_GROUPS for g in groups):
        return None
    return [contest_weight if g in CONTEST_GROUPS else 1.0 for g in groups]


CONTEST_GROUPS = ("real", "synthetic")


def target_scale(dataset, indices: list[int]) -> float:
    vals = [float(dataset[i].target[0, 0].mean()) for i in indices]
    vals = [v for v in vals if v > 0]
    return float(np.median(vals)) if vals else 1.0


@dataclass
class TrainResult:
    model: object
    config: TrainConfig
    target_scale: float
    history: list[dict] = field(default_factory=list)
    seconds: float = 0.0
    device: str = "cpu"
    # fine-tuning phase: contest validation loss at its start and of the weights kept (None: no phase)
    finetune_val: tuple[float, float] | None = None


def fit(dataset, splits: dict[str, list[int]], cfg: TrainConfig, *, device: str = "cpu", progress=None,
        log=None, init: "LoadedModel | None" = None) -> TrainResult:
    """Train ``cfg.model`` on ``splits['train']``; keep the weights with the best validation loss.

    ``init``: start from a trained checkpoint's weights and its target scale (its
    architecture must be ``cfg``'s); with ``finetune_fraction = 1`` the whole run is the
    fine-tuning phase."""
    import copy

    import torch
    from torch_geometric.loader import DataLoader

    dist = _distributed()
    rank = dist.get_rank() if dist else 0
    torch.manual_seed(cfg.seed)  # same initial weights on every rank
    np.random.seed(cfg.seed)
    model = build_model(cfg).to(device)
    if init is not None:
        model.load_state_dict(init.model.state_dict())
    net = model
    # a checkpoint's outputs are calibrated to its own scale, so fine-tuning keeps it
    scale = init.target_scale if init is not None else target_scale(dataset, splits["train"])
    if getattr(model, "prior", None) is not None:
        model.prior.set_scale(scale)
    train_set = dataset.index_select(splits["train"])
    val_set = dataset.index_select(splits["val"]) if splits["val"] else None
    sampler = None
    if dist:
        from torch.nn.parallel import DistributedDataParallel
        from torch.utils.data.distributed import DistributedSampler

        # torchrun: each rank trains on its share of every epoch, gradients are averaged
        net = DistributedDataParallel(model, device_ids=[torch.device(device).index] if device.startswith("cuda")
                                      else None)
        sampler = DistributedSampler(train_set, num_replicas=dist.get_world_size(), rank=rank, shuffle=True,
                                     seed=cfg.seed)
        loader = DataLoader(train_set, batch_size=cfg.batch_size, sampler=sampler)
    else:
        gen = torch.Generator().manual_seed(cfg.seed)
        weights = case_weights(dataset, splits["train"], cfg.contest_weight)
        extra = dict(num_workers=cfg.loader_workers, persistent_workers=True) if cfg.loader_workers > 0 else {}
        if weights is None:
            loader = DataLoader(train_set, batch_size=cfg.batch_size, shuffle=True, generator=gen, **extra)
        else:
            from torch.utils.data import WeightedRandomSampler

            sampler_w = WeightedRandomSampler(weights, num_samples=len(weights), replacement=True, generator=gen)
            loader = DataLoader(train_set, batch_size=cfg.batch_size, sampler=sampler_w, **extra)
    aug_gen = torch.Generator().manual_seed(cfg.seed + 1 + rank)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    ft = cfg.finetune_fraction if 0 < cfg.finetune_fraction <= 1 else 0.0
    if ft and dist:
        raise InputError("fine-tuning (finetune_fraction > 0) runs on one process only",
                         fix="train on one GPU, or use a preset without fine-tuning under torchrun")
    epochs1 = (0 if ft == 1 else max(1, int(round(cfg.epochs * (1 - ft))))) if ft else cfg.epochs
    budget1 = cfg.time_budget_s * (1 - ft) if cfg.time_budget_s else None
    steps = max(1, epochs1 * len(loader))
    step = 0
    best, best_state, history = float("inf"), None, []
    t0 = time.perf_counter()
    for epoch in range(epochs1):
        if sampler is not None:
            sampler.set_epoch(epoch)
        net.train()
        tot, nb = 0.0, 0
        for batch in loader:
            loss = _backward(net, model, batch, opt, cfg, scale, device, aug_gen)
            # warm-up then cosine decay over the run: progress is the larger of the step and the
            # time-budget fractions, so a time-limited run still ends at a small learning rate
            frac = step / steps
            if budget1:
                frac = max(frac, (time.perf_counter() - t0) / budget1)
                frac = _agree_max(dist, frac, device)  # one learning rate on every rank
            for group in opt.param_groups:
                group["lr"] = cfg.lr * _lr_factor(min(frac, 1.0))
            opt.step()
            step += 1
            tot += float(loss.detach())
            nb += 1
        val = _evaluate_loss(model, val_set, cfg, scale, device) if val_set is not None else tot / max(nb, 1)
        history.append({"epoch": epoch + 1, "train_loss": tot / max(nb, 1), "val_loss": val,
                        "seconds": time.perf_counter() - t0})
        if log:
            log(history[-1])
        if val < best:
            best, best_state = val, copy.deepcopy(model.state_dict())
        if progress:
            progress(1)
        if budget1 and _agree_max(dist, float(time.perf_counter() - t0 > budget1), device):
            break  # every rank stops after the same epoch
    if best_state is not None:
        model.load_state_dict(best_state)
    ft_val = None
    if ft:
        ft_val = _finetune(model, dataset, splits, cfg, scale, device, history, t0, aug_gen, progress=progress,
                           log=log)
    model.eval()
    return TrainResult(model=model, config=cfg, target_scale=scale, history=history,
                       seconds=time.perf_counter() - t0, device=device, finetune_val=ft_val)


def _finetune(model, dataset, splits, cfg: TrainConfig, scale: float, device: str, history: list, t0: float,
              aug_gen, *, progress=None, log=None) -> tuple[float, float] | None:
    """The fine-tuning phase (see ``TrainConfig.finetune_fraction``); leaves in ``model`` the
    best weights on the contest validation cases, the starting ones included, and returns
    that validation loss at the start and for the weights kept (None: nothing to tune on)."""
    import copy

    import torch
    from torch.utils.data import WeightedRandomSampler
    from torch_geometric.loader import DataLoader

    groups = [dataset.refs[i].group if hasattr(dataset, "refs") else "other" for i in splits["train"]]
    contest = [g in CONTEST_GROUPS for g in groups]
    n_c = sum(contest)
    if n_c == 0:
        return None  # nothing to fine-tune on
    n_g = len(groups) - n_c
    mix = cfg.finetune_generated if n_g else 0.0
    raw = [(3.0 if g == "real" else 1.0) if c else 0.0 for g, c in zip(groups, contest)]
    tot_c = sum(raw)
    weights = [w / tot_c * (1 - mix) if c else mix / n_g for w, c in zip(raw, contest)]
    gen = torch.Generator().manual_seed(cfg.seed + 7)
    per_epoch = max(cfg.batch_size, 4 * n_c)
    sampler = WeightedRandomSampler(weights, num_samples=per_epoch, replacement=True, generator=gen)
    loader = DataLoader(dataset.index_select(splits["train"]), batch_size=cfg.batch_size, sampler=sampler)
    val_idx = [i for i in splits["val"] if getattr(dataset.refs[i], "group", "") in CONTEST_GROUPS] or splits["val"]
    val_set = dataset.index_select(val_idx) if val_idx else None

    def val_loss() -> float:
        return _evaluate_loss(model, val_set, cfg, scale, device) if val_set is not None else float("nan")

    best = start = val_loss()
    best_state = copy.deepcopy(model.state_dict())
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.finetune_lr, weight_decay=cfg.weight_decay)
    t1 = time.perf_counter()
    budget2 = cfg.time_budget_s * cfg.finetune_fraction if cfg.time_budget_s else None
    epochs1 = 0 if cfg.finetune_fraction >= 1 else max(1, int(round(cfg.epochs * (1 - cfg.finetune_fraction))))
    epochs2 = max(1, cfg.epochs - epochs1)
    steps = max(1, epochs2 * len(loader))
    step = 0
    for epoch in range(10**6 if budget2 else epochs2):
        model.train()
        tot, nb = 0.0, 0
        for batch in loader:
            loss = _backward(model, model, batch, opt, cfg, scale, device, aug_gen)
            frac = step / steps if not budget2 else (time.perf_counter() - t1) / budget2
            # cosine from finetune_lr down to 2 % of it
            for group in opt.param_groups:
                group["lr"] = cfg.finetune_lr * (0.02 + 0.98 * 0.5 * (1 + np.cos(np.pi * min(frac, 1.0))))
            opt.step()
            step += 1
            tot += float(loss.detach())
            nb += 1
        # without validation cases the epoch's train loss stands in (as in the first phase)
        val = val_loss() if val_set is not None else tot / max(nb, 1)
        history.append({"epoch": len(history) + 1, "train_loss": tot / max(nb, 1), "val_loss": val,
                        "seconds": time.perf_counter() - t0, "phase": "finetune"})
        if log:
            log(history[-1])
        if val < best or best != best:  # best is NaN only without validation cases
            best, best_state = val, copy.deepcopy(model.state_dict())
        if progress:
            progress(1)
        if budget2 and time.perf_counter() - t1 > budget2:
            break
    model.load_state_dict(best_state)
    return None if start != start else (start, best)


def _distributed():
    """``torch.distributed`` when a process group is up (torchrun), else None."""
    import torch.distributed as dist

    return dist if dist.is_available() and dist.is_initialized() else None


def _agree_max(dist, value: float, device: str) -> float:
    if dist is None:
        return value
    import torch

    t = torch.tensor([value], dtype=torch.float64, device=device)
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return float(t.item())


def _lr_factor(frac: float, warmup: float = 0.05) -> float:
    if frac < warmup:
        return 0.1 + 0.9 * frac / warmup
    return 0.02 + 0.98 * 0.5 * (1 + np.cos(np.pi * (frac - warmup) / (1 - warmup)))


def _evaluate_loss(model, subset, cfg: TrainConfig, scale: float, device: str) -> float:
    import torch
    from torch_geometric.loader import DataLoader

    model.eval()
    tot, n = 0.0, 0
    with torch.no_grad():
        for batch in DataLoader(subset, batch_size=cfg.batch_size):
            batch = batch.to(device)
            tot += float(_loss(model(batch), batch, scale, cfg.hotspot_weight)) * batch.maps.shape[0]
            n += batch.maps.shape[0]
    return tot / max(n, 1)


def save_checkpoint(path: Path, result: TrainResult, *, data_version: str, split_names: dict[str, list[str]]) -> None:
    import io

    import torch

    from chipsmith.artifacts import atomic_write_bytes

    # weights stored in float16 (half the size; loading casts back to float32), so metrics
    # computed after reloading describe exactly what ships
    # (the prior's scale buffer stays float64: it multiplies the prior, not a learned weight)
    state = {k: (v.detach().cpu().half() if v.is_floating_point() and not k.endswith("inv_scale")
                 else v.detach().cpu()) for k, v in result.model.state_dict().items()}
    ckpt = {"format": CHECKPOINT_FORMAT, "version": CHECKPOINT_VERSION, "model": result.config.model,
            "config": dataclasses.asdict(result.config), "data_version": data_version,
            "feature_version": FEATURE_VERSION, "target_scale": result.target_scale, "state_dict": state,
            "splits": split_names, "history": result.history}
    buf = io.BytesIO()
    torch.save(ckpt, buf)
    atomic_write_bytes(Path(path), buf.getvalue())


@dataclass
class LoadedModel:
    model: object
    config: TrainConfig
    target_scale: float
    data_version: str
    path: str
    splits: dict
    history: list

    @property
    def name(self) -> str:
        return self.config.model


def checkpoint_file(path: str | Path) -> Path:
    p = Path(path)
    f = p / "model.pt" if p.is_dir() else p
    if not f.is_file():
        raise InputError("no model checkpoint found", where=str(p),
                         fix="pass the --out directory of `chipsmith irdrop train` (it holds model.pt)")
    return f


def load_checkpoint(path: str | Path, *, expect_model: str | None = None, device: str = "cpu") -> LoadedModel:
    """Load and check a checkpoint (file or training directory)."""
    import torch

    f = checkpoint_file(path)
    try:
        ckpt = torch.load(f, map_location=device, weights_only=False)
    except Exception as exc:
        raise InputError(f"cannot read checkpoint ({type(exc).__name__})", where=str(f),
                         fix="pass a model.pt written by `chipsmith irdrop train`") from None
    if not isinstance(ckpt, dict) or ckpt.get("format") != CHECKPOINT_FORMAT:
        raise InputError("not a chipsmith IR-drop checkpoint", where=str(f),
                         fix="pass a model.pt written by `chipsmith irdrop train`")
    if ckpt.get("version") != CHECKPOINT_VERSION or ckpt.get("feature_version") != FEATURE_VERSION:
        raise InputError(f"checkpoint version {ckpt.get('version')}/features {ckpt.get('feature_version')} does not "
                         f"match this chipsmith ({CHECKPOINT_VERSION}/{FEATURE_VERSION})", where=str(f),
                         fix="retrain with `chipsmith irdrop train`")
    if expect_model is not None and ckpt.get("model") != expect_model:
        raise InputError(f"checkpoint holds a '{ckpt.get('model')}' model, not '{expect_model}'", where=str(f),
                         fix=f"pass a {expect_model} checkpoint")
    cfg_d = dict(ckpt["config"])
    cfg_d["test_cases"] = tuple(cfg_d.get("test_cases", ()))
    cfg = TrainConfig(**cfg_d)
    model = build_model(cfg)
    try:
        model.load_state_dict(ckpt["state_dict"])
    except RuntimeError as exc:
        raise InputError(f"checkpoint weights do not fit a {cfg.model} model ({str(exc).splitlines()[0]})",
                         where=str(f), fix="retrain with this chipsmith version") from None
    model.to(device).eval()
    return LoadedModel(model=model, config=cfg, target_scale=float(ckpt["target_scale"]),
                       data_version=ckpt["data_version"], path=str(f), splits=ckpt.get("splits", {}),
                       history=ckpt.get("history", []))
