"""One function per `chipsmith litho` verb: simulate, generate, train, predict.

The CLI only parses options and calls one of these; each writes its files atomically
into ``out`` (with a ``summary.json``) and returns the summary dict.
"""
from __future__ import annotations

import importlib.util
import math
import os
import time
from dataclasses import replace
from pathlib import Path
from typing import Sequence

from chipsmith.errors import InputError

Window = tuple[float, float, float, float]


def need_torch() -> None:
    if importlib.util.find_spec("torch") is None:
        raise InputError("lithography needs PyTorch, which is not installed",
                         fix="pip install 'chipsmith[ml]' (torch==2.13.0)")


def parse_window(text: str | None) -> Window | None:
    """``x0,y0,x1,y1`` (nm) → a tuple; bad text is an :class:`InputError`."""
    if text is None:
        return None
    try:
        vals = tuple(float(v) for v in text.replace(" ", "").split(","))
    except ValueError:
        raise InputError(f"--window '{text}' is not x0,y0,x1,y1", fix="write e.g. --window 0,0,1024,1024 (nm)") from None
    if len(vals) != 4 or not all(math.isfinite(v) for v in vals) or not (vals[2] > vals[0] and vals[3] > vals[1]):
        raise InputError(f"--window '{text}' must be x0,y0,x1,y1 with x1>x0, y1>y0",
                         fix="write e.g. --window 0,0,1024,1024 (nm)")
    return vals  # type: ignore[return-value]


def parse_mix(text: str | None) -> dict[str, float] | None:
    """``random=0.35,array=0.25`` → weights; kinds are checked by the dataset generator."""
    from chipsmith.lithography import dataset

    if not text:
        return None
    weights = {}
    for part in text.split(","):
        key, _, val = part.partition("=")
        try:
            weights[key.strip()] = float(val)
        except ValueError:
            raise InputError(f"--mix entry '{part}' is not KIND=WEIGHT", fix=f"kinds: {', '.join(dataset.KINDS)}") from None
    return weights


def set_threads(workers: int | None) -> int:
    """In-process verbs use ``workers`` torch CPU threads (default: all cores)."""
    import torch

    n = workers or max(1, os.cpu_count() or 1)
    torch.set_num_threads(n)
    return n


def simulate(layout: Path, out: Path, *, preset: str = "new", kernels: str | None = None, kernel_offset: int = 24,
             resist: str = "threshold", layer: str | None = None, cell: str | None = None, window: str | None = None,
             pixel: float | None = None, dose: float = 1.0, threshold: float | None = None, device: str = "cpu",
             workers: int | None = None, quiet: bool = False) -> dict:
    """Image, develop, contour and measure one layout; writes aerial/resist PNGs, contours.gds,
    images.npz and summary.json (which names the optics actually used)."""
    need_torch()
    import numpy as np

    from chipsmith.artifacts import staged_output, write_json
    from chipsmith.lithography import aerial as aerial_mod
    from chipsmith.lithography import contours as C
    from chipsmith.lithography import pipeline
    from chipsmith.lithography.layout_io import read_layout
    from chipsmith.lithography.presets import get_preset
    from chipsmith.progress import progress_bar

    t0 = time.perf_counter()
    threads = set_threads(workers)
    win = parse_window(window)
    proc = get_preset(preset)
    if not Path(layout).exists():
        raise InputError("layout file not found", where=str(layout), fix="check the path")
    lay = read_layout(layout, layer=layer, window=win, cell=cell)
    sim = pipeline.plan(lay, proc, kernels=kernels, kernel_offset=kernel_offset, resist=resist, pixel_nm=pixel,
                        window=win, dose=dose, threshold=threshold)
    with progress_bar("litho simulate", 3, quiet=quiet) as advance:
        result = pipeline.simulate(lay, sim, device=device)
        advance(1)
        with staged_output(out) as stage:
            pipeline.save_png(stage / "aerial.png", result.aerial, vmin=0.0)
            level = result.level
            pipeline.save_png(stage / "resist.png", result.resist, vmin=0.0, vmax=2 * level)
            n_poly = C.write_gds(stage / "contours.gds", result.regions, drawn=lay.polygons)
            np.savez_compressed(stage / "images.npz", mask=result.mask, aerial=result.aerial, resist=result.resist)
            advance(1)
            stats = C.contact_stats(result.contacts)
            summary = {
                "layout": str(layout), "layer": lay.layer, "polygons": len(lay),
                "optics": "socs-kernels" if kernels is not None else "preset-hopkins",
                "preset": sim.preset, "kernels": sim.kernels.name, "kernel_source": sim.kernels.source or None,
                "kernel_count": sim.kernels.count, "kernel_size": sim.kernels.size,
                "imaging_method": aerial_mod.chosen_method(sim.grid, sim.kernels),
                "resist": resist, "level": level, "dose": dose,
                "window_nm": list(sim.window), "pixel_nm": sim.pixel_nm, "grid": sim.grid,
                "device": device, "threads": threads,
                "drawn_area_nm2": float(result.mask.sum() * sim.pixel_nm ** 2),
                "printed_area_nm2": result.printed_area_nm2(),
                "contour_area_nm2": C.contour_area(result.regions),
                "contour_polygons": n_poly,
                "aerial_max": float(result.aerial.max()), "aerial_min": float(result.aerial.min()),
                "cd": stats, "epe": C.epe_stats(result.epe),
                "per_contact": C.measures_to_rows(result.contacts),
                "files": ["aerial.png", "resist.png", "contours.gds", "images.npz", "summary.json"],
                "seconds": round(time.perf_counter() - t0, 3),
            }
            write_json(stage / "summary.json", summary)
            advance(1)
    return summary


def _generate_batch(task: tuple) -> tuple:
    """One batch of clips (a dask task: module-level so it pickles)."""
    from chipsmith.lithography import dataset

    designs, preset, kernels, device, threads, resist, film_ks = task
    if threads:
        import torch

        torch.set_num_threads(threads)
    return dataset.simulate_batch(designs, preset, device=device, kernels=kernels, resist=resist, film_ks=film_ks)


def generate(out: Path, *, node: str = "new", count: int = 2000, seed: int = 0, shard_size: int = 256,
             batch: int = 32, mix: str | None = None, device: str = "cpu", workers: int | None = None,
             scheduler: str | None = None, quiet: bool = False, resist: str = "film") -> dict:
    """A seeded contact-clip dataset (shards + index.json + summary.json).

    ``resist``: the ground truth, ``film`` (3-D reaction-diffusion + development-front
    model, default) or ``lumped`` (the 2-D lumped chemical model).

    With ``workers > 1`` (default: all cores) the batches of clips fan out over dask
    workers; every clip depends only on ``(seed, clip index)``, so the arrays are the same
    for any worker count.
    """
    need_torch()
    from chipsmith.artifacts import staged_output, write_json
    from chipsmith.lithography import dataset
    from chipsmith.lithography.presets import get_preset
    from chipsmith.options import resolve_workers
    from chipsmith.progress import progress_bar

    if count < 1:
        raise InputError(f"--count must be >= 1, got {count}", fix="ask for at least one clip")
    weights = parse_mix(mix)
    if resist not in dataset.RESISTS:
        raise InputError(f"unknown --resist {resist!r}", fix=f"use --resist {' or '.join(dataset.RESISTS)}")
    proc = get_preset(node)
    n_workers = resolve_workers(workers, scheduler)
    runner = None
    if (n_workers is None or n_workers > 1) and count > batch and device == "cpu":
        from chipsmith.parallel import ClusterConfig, parallel_map

        cfg = ClusterConfig.from_env(scheduler=scheduler, workers=n_workers)

        def runner(designs_batches: Sequence, on_result) -> list:
            from chipsmith.lithography.resist_film import film_kernels

            kernels = proc.kernels()
            film_ks = film_kernels(proc) if resist == "film" else None
            tasks = [(b, proc, kernels, device, 1, resist, film_ks) for b in designs_batches]
            return parallel_map(_generate_batch, tasks, cfg, on_result=on_result)
    else:
        set_threads(n_workers)
    with progress_bar(f"litho generate ({proc.name})", count, quiet=quiet) as advance:
        with staged_output(out) as stage:
            summary = dataset.generate(stage, proc, count, seed, shard_size=shard_size, mix=weights, batch=batch,
                                       device=device, on_progress=advance, runner=runner, resist=resist)
            summary["workers"] = n_workers
            write_json(stage / "summary.json", summary)
    return summary


# --------------------------------------------------------------------------- learned resist models
MODEL_FILE = "model.pt"
SHIPPED_DIR = Path(__file__).parent / "checkpoints"
MODEL_KINDS = ("threshold", "fcn")


def _load_samples(path: Path | None, what: str, limit: int | None = None):
    from chipsmith.lithography import contact_samples as CS

    if path is None:
        return None
    if not Path(path).is_dir():
        raise InputError(f"{what} dataset not found", where=str(path), fix="pass a `chipsmith litho generate` output folder")
    return CS.load(path, limit=limit)


def _same_grid(a, b, what: str) -> None:
    if a.node != b.node or a.grid != b.grid or a.pixel_nm != b.pixel_nm:
        raise InputError(f"{what}: node {b.node} ({b.grid} px at {b.pixel_nm:g} nm) does not match the target's "
                         f"{a.node} ({a.grid} px at {a.pixel_nm:g} nm)", fix="generate both with the same --node")


def train(target: Path, out: Path, *, source: Path | None = None, test: Path | None = None, budget: int = 200,
          select: str = "active", model: str = "threshold", freeze: str | None = None, prior: str = "cv",
          steps: int | None = None,
          pretrain_steps: int = 1500, rounds: int = 4, seed: int = 0, device: str = "cpu",
          workers: int | None = None, limit: int | None = None, quiet: bool = False) -> dict:
    """Train a resist model on ``budget`` labelled target samples (contacts for the threshold
    CNN, clips for the FCN), chosen at random or actively, pretrained on ``source`` if given.
    ``prior`` (threshold model, transfer): ``cv`` (the L2-SP strength, or scratch, chosen by
    cross-validation on the labels) or one L2-SP strength per label."""
    need_torch()
    import json

    import numpy as np
    import torch

    from chipsmith.artifacts import atomic_write_bytes, staged_output, write_json
    from chipsmith.lithography import active
    from chipsmith.lithography import resist_fcn as F
    from chipsmith.lithography import resist_learning as RL
    from chipsmith.lithography import threshold_cnn as T
    from chipsmith.lithography.presets import get_preset
    from chipsmith.progress import progress_bar

    if model not in MODEL_KINDS:
        raise InputError(f"unknown model {model!r}", fix=f"use --model {' or '.join(MODEL_KINDS)}")
    if select not in active.STRATEGIES:
        raise InputError(f"unknown selection {select!r}", fix="use --select active or --select random")
    if budget < 1:
        raise InputError(f"--budget must be >= 1, got {budget}", fix="label at least one sample")
    t0 = time.perf_counter()
    set_threads(workers)
    pool = _load_samples(target, "target", limit)
    src = _load_samples(source, "source", limit)
    tst = _load_samples(test, "test", limit)
    if src is not None and src.patches.shape[-1] != pool.patches.shape[-1]:
        raise InputError("source and target patches differ in size", fix="cut both with the same patch size")
    if tst is not None:
        _same_grid(pool, tst, "test set")
    preset = get_preset(pool.node)
    if abs(preset.pixel_nm - pool.pixel_nm) > 1e-9 or preset.grid != pool.grid:
        raise InputError(f"target dataset grid ({pool.grid} px at {pool.pixel_nm:g} nm) is not preset {pool.node}'s",
                         where=str(target), fix="regenerate the target set with this chipsmith")
    truth = json.loads((Path(target) / "index.json").read_text()).get("resist", "lumped")
    if tst is not None and json.loads((Path(test) / "index.json").read_text()).get("resist", "lumped") != truth:
        raise InputError("test set and target pool were generated with different --resist ground truths",
                         where=str(test), fix=f"regenerate the test set with --resist {truth}")
    meta = {**pool.meta(), "preset": preset.to_dict(), "source_node": src.node if src else None,
            "select": select, "budget": budget, "seed": seed, "resist": truth}
    with progress_bar(f"litho train ({model}, {select})", 2, quiet=quiet) as advance:
        if model == "threshold":
            cfg = T.ThresholdConfig(**({"steps": steps} if steps else {}), **({"freeze": freeze} if freeze else {}),
                                    **_prior_options(prior))
            T.freeze(T.ThresholdCNN(cfg.width, cfg.dropout, cfg.outputs), cfg.freeze)  # validates --freeze
            pre = RL.pretrain(src, cfg, seed=seed + 1000, device=device, steps=pretrain_steps) if src else None
            advance(1)
            learned = RL.learn(pool, budget, select, cfg, seed=seed, pretrained=pre, rounds=rounds, device=device)
            held = tst if tst is not None else None
            if held is None:
                rest = np.setdiff1d(np.arange(len(pool)), learned.labelled)
                metrics = RL.score_thresholds(pool.take(rest), T.predict(learned.model, pool.patches[rest], device=device)) \
                    if len(rest) else {}
                metrics["held_out"] = "unlabelled contacts of the target pool"
            else:
                metrics = RL.evaluate(learned.model, held, device=device)
                metrics["held_out"] = str(test)
            if learned.prior:
                metrics["prior"] = learned.prior
            blob = T.save(learned.model, cfg, meta)
            labelled = learned.labelled
        else:
            cfg = F.FcnConfig(**({"steps": steps} if steps else {}), **({"freeze": freeze} if freeze else {}))
            F.freeze(F.ResistFCN(cfg.width), cfg.freeze)
            if budget > pool.clips:
                raise InputError(f"budget {budget} exceeds the {pool.clips} clips of the target pool",
                                 fix="lower --budget (the FCN labels whole clips)")
            x_pool = F.inputs(pool.aerial, pool.mask)
            pre = None
            if src is not None:
                pre = F.fit(F.ResistFCN(cfg.width, cfg.dropout), F.inputs(src.aerial, src.mask), src.resist, cfg,
                            seed=seed + 1000, device=device, steps=pretrain_steps, i_ref=src.i_ref)
            advance(1)
            labelled, m = _fcn_learn(pool, x_pool, budget, select, cfg, pre, rounds, seed, device)
            if tst is not None:
                pred, truth, where = F.predict(m, F.inputs(tst.aerial, tst.mask), device=device), tst.resist, str(test)
            else:
                rest = np.setdiff1d(np.arange(pool.clips), labelled)
                pred, truth, where = F.predict(m, x_pool[rest], device=device), pool.resist[rest], "unlabelled pool clips"
            ious = F.iou(pred, truth) if len(truth) else np.zeros(0)
            sub = F.iou_subpixel(pred, truth) if len(truth) else np.zeros(0)
            metrics = {"iou_subpixel_mean": float(sub.mean()) if len(sub) else None,
                       "iou_mean": float(ious.mean()) if len(ious) else None,
                       "iou_min": float(ious.min()) if len(ious) else None, "clips": int(len(ious)), "held_out": where}
            blob = F.save(m, cfg, meta)
        advance(1)
        with staged_output(out) as stage:
            import io

            buf = io.BytesIO()
            torch.save(blob, buf)
            atomic_write_bytes(stage / MODEL_FILE, buf.getvalue())
            (stage / "labelled.json").write_text(json.dumps([int(i) for i in labelled]) + "\n")
            summary = {"model": model, "node": pool.node, "source_node": src.node if src else None,
                       "transfer": src is not None, "select": select, "budget": budget, "freeze": cfg.freeze,
                       "steps": cfg.steps, "pretrain_steps": pretrain_steps if src else None, "rounds": rounds,
                       "seed": seed, "device": device, "labelled": int(len(labelled)), "metrics": metrics,
                       "files": [MODEL_FILE, "labelled.json", "summary.json"],
                       "seconds": round(time.perf_counter() - t0, 2)}
            write_json(stage / "summary.json", summary)
    return summary


def _prior_options(prior: str) -> dict:
    """``--prior``: ``cv`` (the config's cross-validated candidates) or one L2-SP strength >= 0."""
    if prior == "cv":
        return {}
    import math

    try:
        strength = float(prior)
    except ValueError:
        strength = float("nan")
    if not (math.isfinite(strength) and strength >= 0):
        raise InputError(f"--prior must be cv or a number >= 0, got {prior!r}",
                         fix="pass --prior cv, or e.g. --prior 10 (0: fine-tune freely)")
    return {"l2sp": strength, "prior_cv": ()}


def _fcn_learn(pool, x_pool, budget, select, cfg, pre, rounds, seed, device):
    import copy

    import numpy as np

    from chipsmith.lithography import active
    from chipsmith.lithography import resist_fcn as F

    rng = np.random.default_rng(seed)
    rounds = max(1, min(rounds, budget))
    sizes = np.diff(np.linspace(0, budget, rounds + 1).round().astype(int))
    labelled = np.zeros(0, dtype=np.int64)
    current = pre

    def fit(idx, s):
        base = copy.deepcopy(pre) if pre is not None else F.ResistFCN(cfg.width, cfg.dropout)
        return F.fit(base, x_pool[idx], pool.resist[idx], cfg, seed=s, device=device, finetune=pre is not None,
                     i_ref=pool.i_ref)

    for r, k in enumerate(sizes):
        unc = emb = None
        if select == "active" and current is not None:
            unc, emb = F.mc_dropout(current, x_pool, device=device)
        labelled = np.concatenate([labelled, active.select(select, int(k), labelled, pool.clips, rng,
                                                           uncertainty=unc, embeddings=emb)])
        if select == "active" and r < rounds - 1:
            current = fit(labelled, seed + r + 1)
    return labelled, fit(labelled, seed)


def resolve_model(spec: Path | str) -> Path:
    """A model folder (with model.pt), or the name of a shipped checkpoint."""
    p = Path(spec)
    if p.is_dir() and (p / MODEL_FILE).is_file():
        return p / MODEL_FILE
    if p.is_file() and p.suffix == ".pt":
        return p
    shipped = SHIPPED_DIR / f"{spec}.pt"
    if shipped.is_file():
        return shipped
    names = sorted(f.stem for f in SHIPPED_DIR.glob("*.pt")) if SHIPPED_DIR.is_dir() else []
    raise InputError("no model found", where=str(spec),
                     fix=f"pass a `litho train` output folder or a shipped model ({', '.join(names) or 'none'})")


def load_model(spec: Path | str):
    import torch

    path = resolve_model(spec)
    try:
        blob = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises several types for a corrupt or foreign file
        raise InputError(f"cannot read model file ({type(exc).__name__})", where=str(path),
                         fix="pass a model.pt written by `chipsmith litho train`") from None
    if not isinstance(blob, dict) or blob.get("kind") not in ("threshold-cnn", "resist-fcn"):
        raise InputError("not a chipsmith resist model", where=str(path), fix="pass a model.pt from `litho train`")
    return blob, path


def _patches(aerial, mask, centres, pixel: float, window, patch: int):
    import numpy as np

    from chipsmith.lithography.contact_samples import _bilinear

    offs = np.arange(patch) - patch / 2 + 0.5
    out = []
    for cx, cy in centres:
        cr, cc = (cy - window[1]) / pixel - 0.5, (cx - window[0]) / pixel - 0.5
        rr, c2 = np.meshgrid(cr + offs, cc + offs, indexing="ij")
        out.append(np.stack([_bilinear(aerial, rr, c2), _bilinear(mask, rr, c2)]))
    return np.asarray(out, np.float32).reshape(-1, 2, patch, patch)


def _edge_threshold_map(shape, window, pixel: float, centres, thr):
    """Per pixel: the predicted threshold of the nearest contact's edge facing that pixel."""
    import numpy as np
    from scipy.spatial import cKDTree

    ys = window[1] + (np.arange(shape[0]) + 0.5) * pixel
    xs = window[0] + (np.arange(shape[1]) + 0.5) * pixel
    gx, gy = np.meshgrid(xs, ys)
    _, near = cKDTree(np.asarray(centres)).query(np.stack([gx.ravel(), gy.ravel()], 1))
    near = near.reshape(shape)
    dx, dy = gx - np.asarray(centres)[near, 0], gy - np.asarray(centres)[near, 1]
    # thr columns: +x, -x, +y, -y
    edge = np.where(np.abs(dx) >= np.abs(dy), np.where(dx >= 0, 0, 1), np.where(dy >= 0, 2, 3))
    t = np.asarray(thr).reshape(len(centres), -1)
    return t[near, edge if t.shape[1] == 4 else 0]


def predict(model: Path | str, layout: Path, out: Path, *, preset: str | None = None, pixel: float | None = None,
            layer: str | None = None, cell: str | None = None, window: str | None = None, device: str = "cpu",
            workers: int | None = None, quiet: bool = False) -> dict:
    """Apply a trained resist model to a layout: contours.gds, overlay.png, cd.csv and the
    time of the prediction vs the simulation of the same clip with the resist model it was
    trained on (``film`` or ``lumped``, from the checkpoint), on the same device."""
    need_torch()
    import csv
    import io

    import numpy as np
    import torch

    from chipsmith.artifacts import atomic_write_text, staged_output, write_json
    from chipsmith.lithography import contours as C
    from chipsmith.lithography import pipeline
    from chipsmith.lithography import resist_fcn as F
    from chipsmith.lithography import threshold_cnn as T
    from chipsmith.lithography.aerial import aerial_image
    from chipsmith.lithography.layout_io import read_layout
    from chipsmith.lithography.presets import get_preset, preset_from_dict
    from chipsmith.lithography.resist import chem_resist
    from chipsmith.lithography.resist_film import film_kernels, film_resist
    from chipsmith.progress import progress_bar

    t0 = time.perf_counter()
    set_threads(workers)
    blob, path = load_model(model)
    meta = blob["meta"]
    trained = preset_from_dict(meta["preset"], str(path))
    truth = meta.get("resist", "lumped")  # checkpoints before the film model were trained on the lumped one
    asked = get_preset(preset) if preset is not None else None
    if asked is not None and "film" not in meta["preset"]:
        asked = replace(asked, film=trained.film)  # such a checkpoint never saw a film section
    if asked is not None and asked != trained:
        raise InputError(f"model was trained for node {meta['node']}, not preset {preset}", where=str(path),
                         fix=f"drop --preset or pass --preset {meta['node']} (or train a model for {preset})")
    if pixel is not None and abs(pixel - trained.pixel_nm) > 1e-9:
        raise InputError(f"model was trained at {trained.pixel_nm:g} nm pixels, not {pixel:g} nm", where=str(path),
                         fix=f"drop --pixel or pass --pixel {trained.pixel_nm:g}")
    if not Path(layout).exists():
        raise InputError("layout file not found", where=str(layout), fix="check the path")
    win = parse_window(window)
    lay = read_layout(layout, layer=layer, window=win, cell=cell)
    sim = pipeline.plan(lay, trained, resist="chem", window=win)
    mask = pipeline.rasterize(lay.polygons, sim.window, sim.pixel_nm)
    if mask.max() <= 0:
        raise InputError("layout is empty inside the simulation window", where=str(layout),
                         fix="pass a --window that overlaps the shapes")
    contacts = [p for p in lay.polygons if C.is_rectangle(p) and max(np.ptp(p[:, 0]), np.ptp(p[:, 1])) <= sim.contact_max_nm]
    if blob["kind"] == "threshold-cnn" and not contacts:
        raise InputError("no contacts (rectangles) in the layout for the threshold model", where=str(layout),
                         fix="pass a contact-layer layout or use an FCN model (litho train --model fcn)")
    dev = device

    def sync() -> None:
        if str(dev).startswith("cuda"):
            torch.cuda.synchronize()

    with progress_bar("litho predict", 3, quiet=quiet) as advance:
        t = time.perf_counter()
        aer_t = aerial_image(mask, sim.kernels, sim.pixel_nm, device=dev)
        sync()
        t_aerial = time.perf_counter() - t
        aer = aer_t.cpu().numpy()
        if truth == "film":
            fks = film_kernels(trained, sim.window[2] - sim.window[0])
            t = time.perf_counter()
            sim_res_t = film_resist(mask, trained, device=dev, kernels=fks)
        else:
            t = time.perf_counter()
            sim_res_t = chem_resist(aer_t, sim.resist, sim.pixel_nm)
        sync()
        t_sim = time.perf_counter() - t
        sim_res = sim_res_t.cpu().numpy()
        advance(1)
        centres = [((p[:, 0].min() + p[:, 0].max()) / 2, (p[:, 1].min() + p[:, 1].max()) / 2) for p in contacts]
        if blob["kind"] == "threshold-cnn":
            net, cfg = T.load(blob)
            x = torch.as_tensor(_patches(aer, mask, centres, sim.pixel_nm, sim.window, cfg.patch), device=dev)
            net.to(dev)
            with torch.no_grad():
                net(x)  # warm-up: the timing below is of the steady state, like the simulation's
                sync()
                t = time.perf_counter()
                thr = net(x)
                sync()
                t_pred = time.perf_counter() - t
            thr = thr.cpu().numpy()
            thr4 = np.tile(thr[:, None], (1, 4)) if thr.ndim == 1 else thr
            level_img = aer / _edge_threshold_map(aer.shape, sim.window, sim.pixel_nm, centres, thr4)
            kind = "threshold-cnn"
        else:
            net, cfg = F.load(blob)
            if aer.shape[0] % 4:
                raise InputError(f"grid {aer.shape[0]} is not a multiple of 4 for the FCN", fix="pass a --window")
            x = torch.as_tensor(F.inputs(aer[None], mask[None]), device=dev)
            net.to(dev)
            with torch.no_grad():
                net(x)
                sync()
                t = time.perf_counter()
                level_img = net(x)[0]
                sync()
                t_pred = time.perf_counter() - t
            level_img = level_img.cpu().numpy()
            kind = "resist-fcn"
        advance(1)
        regions = C.extract_contours(level_img, 1.0, sim.window, sim.pixel_nm)
        sim_regions = C.extract_contours(sim_res, 1.0, sim.window, sim.pixel_nm)
        pred_m = C.measure_contacts(level_img, 1.0, contacts, sim.window, sim.pixel_nm, search_nm=trained.min_pitch_nm)
        sim_m = C.measure_contacts(sim_res, 1.0, contacts, sim.window, sim.pixel_nm, search_nm=trained.min_pitch_nm)
        p_print, s_print = level_img >= 1.0, sim_res >= 1.0
        union = (p_print | s_print).sum()
        iou = float((p_print & s_print).sum() / union) if union else 1.0
        rows = []
        for a, b in zip(pred_m, sim_m):
            rows.append({"x": a.x, "y": a.y, "cd_x_pred": a.cd_x if a.printed else None,
                         "cd_y_pred": a.cd_y if a.printed else None, "cd_x_sim": b.cd_x if b.printed else None,
                         "cd_y_sim": b.cd_y if b.printed else None})
        errs = np.array([[r["cd_x_pred"] - r["cd_x_sim"], r["cd_y_pred"] - r["cd_y_sim"]] for r in rows
                         if None not in (r["cd_x_pred"], r["cd_x_sim"], r["cd_y_pred"], r["cd_y_sim"])], float)
        errs = errs[np.isfinite(errs).all(1)] if len(errs) else errs
        with staged_output(out) as stage:
            n_poly = C.write_gds(stage / "contours.gds", regions, drawn=lay.polygons)
            C.write_gds(stage / "simulated.gds", sim_regions, drawn=lay.polygons)
            _overlay(stage / "overlay.png", aer, level_img, sim_res, sim.window, sim.pixel_nm)
            buf = io.StringIO()
            w = csv.DictWriter(buf, fieldnames=list(rows[0]) if rows else ["x", "y"])
            w.writeheader()
            for r in rows:
                w.writerow({k: ("" if v is None else f"{v:.3f}") for k, v in r.items()})
            atomic_write_text(stage / "cd.csv", buf.getvalue())
            summary = {
                "model": str(path), "kind": kind, "node": meta["node"], "layout": str(layout), "device": str(dev),
                "window_nm": list(sim.window), "pixel_nm": sim.pixel_nm, "grid": sim.grid,
                "contacts": len(contacts), "contour_polygons": n_poly,
                "ground_truth": truth,
                "cd_rmse_vs_sim_nm": float(np.sqrt((errs ** 2).mean())) if len(errs) else None,
                "iou_vs_sim": iou,
                "prediction_s": t_pred, "resist_sim_s": t_sim, "aerial_s": t_aerial,
                "speedup_vs_resist_sim": t_sim / t_pred if t_pred > 0 else None,
                "speedup_with_aerial": (t_aerial + t_sim) / (t_aerial + t_pred) if t_pred > 0 else None,
                "timing_note": "resist stage only: the aerial image is the input of both and is timed apart",
                "files": ["contours.gds", "simulated.gds", "overlay.png", "cd.csv", "summary.json"],
                "seconds": round(time.perf_counter() - t0, 3),
            }
            write_json(stage / "summary.json", summary)
        advance(1)
    return summary


def _overlay(path: Path, aerial, pred, sim, window, pixel: float) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    ext = (window[0], window[0] + aerial.shape[1] * pixel, window[1], window[1] + aerial.shape[0] * pixel)
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.imshow(aerial, origin="lower", extent=ext, cmap="gray")
    xs = window[0] + (np.arange(aerial.shape[1]) + 0.5) * pixel
    ys = window[1] + (np.arange(aerial.shape[0]) + 0.5) * pixel
    if sim.max() >= 1:
        ax.contour(xs, ys, sim, levels=[1.0], colors="lime", linewidths=1.2)
    if pred.max() >= 1:
        ax.contour(xs, ys, pred, levels=[1.0], colors="red", linewidths=0.8, linestyles="--")
    ax.set_title("aerial; simulated resist (green) vs model (red dashed)", fontsize=8)
    ax.set_xlabel("x (nm)")
    ax.set_ylabel("y (nm)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def bench_model(*, source: Path | None, target: Path | None, test: Path | None, count: int, budgets: str, seeds: int,
                steps: int, pretrain_steps: int, rounds: int, fcn_clips: int, device: str, seed: int,
                workers: int | None, out: Path | None, quiet: bool) -> dict:
    """`bench litho-model`: generate the missing datasets (old source, new pool, new test), then
    run :func:`chipsmith.benchmarks.litho_model_bench.run`; PNG + table + summary into ``out``."""
    need_torch()
    import shutil
    import tempfile

    from chipsmith.artifacts import atomic_write_text, staged_output, write_json
    from chipsmith.benchmarks import litho_model_bench as LMB

    try:
        blist = sorted({int(b) for b in budgets.split(",") if b.strip()})
    except ValueError:
        raise InputError(f"--budgets '{budgets}' is not a comma-separated list of integers",
                         fix="write e.g. --budgets 20,40,80") from None
    if not blist or blist[0] < 1:
        raise InputError("--budgets must list positive sample counts", fix="write e.g. --budgets 20,40,80")
    tmp = Path(tempfile.mkdtemp(prefix="litho-model-bench-"))
    try:
        made = {}
        for name, given, node, n, s in (("source", source, "old", count, seed + 11), ("target", target, "new", count,
                                        seed + 12), ("test", test, "new", max(2, count // 2), seed + 13)):
            if given is None:
                given = tmp / name
                generate(given, node=node, count=n, seed=s, device=device, workers=workers, quiet=True)
            made[name] = given
        set_threads(workers)
        summary = LMB.run(made["source"], made["target"], made["test"], budgets=blist, seeds=seeds, steps=steps,
                          pretrain_steps=pretrain_steps, rounds=rounds, fcn_clips=fcn_clips, device=device,
                          plot=tmp / "learning_curves.png", quiet=quiet)
        summary["generated"] = {k: (count if k != "test" else max(2, count // 2)) for k, v in
                                (("source", source), ("target", target), ("test", test)) if v is None}
        summary["command_seed"] = seed
        if out is not None:
            with staged_output(out) as stage:
                shutil.copy(tmp / "learning_curves.png", stage / "learning_curves.png")
                atomic_write_text(stage / "table.md", model_table(summary) + "\n")
                write_json(stage / "summary.json", summary)
        return summary
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def model_table(s: dict) -> str:
    """Markdown table of the learning curves and the headline figures."""
    def f(v, d=3):
        return "n/a" if v is None else f"{v:.{d}f}"

    budgets = s["curves"]["scratch+random"]["budgets"]
    lines = ["| model | " + " | ".join(f"{b}" for b in budgets) + " |", "|---" * (len(budgets) + 1) + "|"]
    for key, c in s["curves"].items():
        lines.append(f"| {key} CD RMSE nm | " + " | ".join(
            f"{f(m)} ± {f(sd)}" for m, sd in zip(c["cd_rmse_nm"], c["cd_rmse_std_nm"])) + " |")
    for key, c in s["curves"].items():
        lines.append(f"| {key} EPE RMSE nm | " + " | ".join(f(m) for m in c["epe_rmse_nm"]) + " |")
    b = s["baselines"]
    lines += ["", f"constant edge thresholds: CD RMSE {f(b['constant_edge_thresholds']['cd_rmse_nm'])} nm; "
              f"true per-contact threshold floor: {f(b['true_per_contact_threshold_floor']['cd_rmse_nm'])} nm",
              f"accuracy to reach {f(s['target_cd_rmse_nm'])} nm; budget to reach: "
              + ", ".join(f"{k} {f(v, 1)}" for k, v in s["budget_to_reach"].items())
              + f"; data reduction {f(s['data_reduction_factor'], 1)}x"
              + (" (lower bound)" if s.get("data_reduction_is_lower_bound") else ""),
              "FCN IoU: " + ", ".join(f"{k} {f(v['iou_mean'])} (StdContact {f(v['iou_stdcontact_mean'])}; sub-pixel "
                                      f"{f(v.get('iou_subpixel_mean'))}, StdContact "
                                      f"{f(v.get('iou_subpixel_stdcontact_mean'))})"
                                      for k, v in s["fcn"].items()),
              f"speed vs the {s.get('resist', 'lumped')} resist simulation ({s['speed']['device']}): threshold CNN {f(s['speed']['speedup_threshold_cnn'], 1)}x, "
              f"FCN {f(s['speed']['speedup_fcn'], 1)}x",
              "targets: " + ", ".join(f"{k} {'met' if v else 'NOT met'}" for k, v in s["targets"].items())]
    return "\n".join(lines)
