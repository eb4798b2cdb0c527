"""One function per `chipsmith irdrop` verb: solve, generate, train, predict, evaluate.

The CLI only parses options and calls one of these; each writes its files atomically
into ``out`` (with a ``summary.json``) and returns the summary dict.
"""
from __future__ import annotations

import csv
import io
import os
import time
from pathlib import Path

import numpy as np

from chipsmith.errors import InputError

SHIPPED_DIR = Path(__file__).parent / "checkpoints"


# --------------------------------------------------------------------------- solve
def parse_shape(shape: str | None, like: Path | None) -> tuple[int, int] | None:
    """Map size from ``NXxNY`` or from a reference map file."""
    if shape and like:
        raise InputError("give either --shape or --like, not both", fix="drop one of them")
    if like is not None:
        if not Path(like).is_file():
            raise InputError("reference map not found", where=str(like), fix="check the --like path")
        try:
            ref = np.loadtxt(like, delimiter=",", ndmin=2) if Path(like).suffix != ".npy" else np.load(like)
        except Exception as exc:  # numpy raises ValueError/OSError for unreadable maps
            raise InputError(f"cannot read reference map ({type(exc).__name__})", where=str(like),
                             fix="pass a comma-separated or .npy map") from None
        return int(ref.shape[0]), int(ref.shape[1])
    if shape:
        try:
            nx, ny = (int(v) for v in shape.lower().split("x"))
        except ValueError:
            raise InputError(f"--shape '{shape}' is not NXxNY", fix="write e.g. --shape 298x298") from None
        if nx < 1 or ny < 1:
            raise InputError(f"--shape '{shape}' must be positive", fix="write e.g. --shape 298x298")
        return nx, ny
    return None


def solve(netlist: Path, out: Path, *, currents: Path | None = None, dynamic: bool = False, method: str = "auto",
          integrator: str = "trap", dt: float | None = None, t_stop: float | None = None, slices: int = 10,
          shape: str | None = None, like: Path | None = None, map_method: str = "cubic", orientation: str = "xy",
          lenient_names: bool = False, hotspot_fraction: float = 0.9, quiet: bool = False) -> dict:
    """Exact static or dynamic solve of one netlist; writes the IR-drop map files."""
    from chipsmith.artifacts import atomic_write_bytes, staged_output, write_json
    from chipsmith.irdrop.dynamic import (INTEGRATORS, load_profile, netlist_profile, solve_transient,
                                          validate_transient)
    from chipsmith.irdrop.maps import MAP_METHODS, ORIENTATIONS, MapBuilder, hotspots, orient
    from chipsmith.irdrop.outputs import npy_bytes, worst_pixel, write_map
    from chipsmith.irdrop.parser import parse_pdn
    from chipsmith.irdrop.static import METHODS, solve_static
    from chipsmith.progress import progress_bar

    for value, allowed, opt in ((method, METHODS, "--method"), (integrator, INTEGRATORS, "--integrator"),
                                (map_method, MAP_METHODS, "--map-method"), (orientation, ORIENTATIONS, "--orientation")):
        if value not in allowed:
            raise InputError(f"{opt} '{value}' is not one of {', '.join(allowed)}", fix=f"pass {opt} {allowed[0]}")
    if not 0 < hotspot_fraction < 1:
        raise InputError(f"--hotspot-fraction {hotspot_fraction} must be between 0 and 1", fix="e.g. 0.9")
    map_shape = parse_shape(shape, like)
    dynamic = dynamic or currents is not None

    t0 = time.perf_counter()
    pdn = parse_pdn(netlist, strict=not lenient_names)
    parse_s = time.perf_counter() - t0
    builder = MapBuilder(pdn, shape=map_shape, method=map_method)
    summary: dict = {"netlist": str(netlist), "nodes": pdn.n_nodes, "resistors": len(pdn.r_ohm),
                     "current_sources": len(pdn.i_amp), "pads": len(pdn.v_node), "capacitors": len(pdn.c_farad),
                     "vdd_V": pdn.vdd, "parse_seconds": parse_s, "analysis": "dynamic" if dynamic else "static"}
    slices_map = None
    if not dynamic:
        sol = solve_static(pdn, method=method)
        node_drop = sol.drop
        summary.update(method=sol.method, unknowns=sol.n_unknowns, solve_seconds=sol.solve_seconds,
                       solve_phases=sol.seconds, cg_iterations=sol.iterations,
                       relative_residual=sol.relative_residual)
    else:
        profile = load_profile(currents, pdn) if currents is not None else netlist_profile(pdn)
        stop = t_stop if t_stop is not None else profile.t_end
        if not stop > 0:
            raise InputError("no stop time: the currents do not vary in time", where=str(currents or netlist),
                             fix="pass --tstop")
        step = dt if dt is not None else stop / 200
        n_steps = validate_transient(pdn, dt=step, t_stop=stop, integrator=integrator)
        with progress_bar("transient", n_steps, quiet=quiet) as advance:
            dyn = solve_transient(pdn, profile, dt=step, t_stop=stop, integrator=integrator, n_slices=slices,
                                  progress=advance)
        node_drop = dyn.worst_drop
        slices_map = builder(dyn.slice_node_values(pdn.n_nodes))
        summary.update(method="direct (one factorization)", integrator=integrator, dt_s=step, t_stop_s=stop,
                       time_steps=dyn.n_steps, factorizations=dyn.factorizations,
                       solve_seconds=float(sum(v for k, v in dyn.seconds.items() if k != "steps_cpu")),
                       solve_phases=dyn.seconds, seconds_per_step=dyn.seconds_per_step, currents_kind=profile.kind,
                       slice_times_s=dyn.slice_times.tolist(),
                       slice_max_drop_V=[float(m.max()) for m in slices_map])
    ir_map = builder(node_drop)
    wx, wy = worst_pixel(ir_map)
    worst_node = int(np.argmax(node_drop))
    hot = hotspots(ir_map, hotspot_fraction)
    summary.update(map_shape=list(builder.shape), orientation=orientation, map_method=map_method,
                   max_drop_V=float(ir_map.max()), mean_drop_V=float(ir_map.mean()),
                   worst_pixel_xy_um=[wx, wy], max_node_drop_V=float(node_drop[worst_node]),
                   worst_node=pdn.name_of(worst_node), worst_node_place=pdn.where(worst_node),
                   hotspot_fraction=hotspot_fraction, hotspot_count=int(hot.sum()))
    title = f"{Path(netlist).name}: {'worst-case dynamic' if dynamic else 'static'} IR drop"
    with staged_output(out) as stage:
        files = write_map(stage, "ir_drop_map", ir_map, orientation=orientation, title=title)
        if slices_map is not None:
            arr = np.stack([orient(m, orientation) for m in slices_map])
            atomic_write_bytes(stage / "ir_drop_slices.npy", npy_bytes(arr))
            files.append("ir_drop_slices.npy")
        summary["files"] = files + ["summary.json"]
        write_json(stage / "summary.json", summary)
    return summary


# --------------------------------------------------------------------------- generate
def generate(out: Path, *, count: int = 10, dynamic: bool = False, seed: int = 0, size_um: str = "150:350",
             workers: int | None = None, scheduler: str | None = None, quiet: bool = False,
             style: str = "uniform") -> dict:
    """A seeded dataset of synthetic PDNs with exact labels (``case0000/`` ... + summary.json).

    ``style``: ``uniform`` | ``contest`` | ``mixed`` (see :func:`generate.random_config`)."""
    from chipsmith.artifacts import staged_output, write_json
    from chipsmith.irdrop.dataset import CaseTask, case_seeds, make_case
    from chipsmith.progress import progress_bar

    try:
        lo, hi = (float(v) for v in size_um.split(":"))
    except ValueError:
        raise InputError(f"--size-um '{size_um}' is not MIN:MAX", fix="write e.g. --size-um 150:350") from None
    if not (20 <= lo <= hi <= 5000):
        raise InputError(f"--size-um {size_um} must satisfy 20 <= MIN <= MAX <= 5000", fix="e.g. 150:350")
    from chipsmith.irdrop.generate import STYLES

    if style not in STYLES:
        raise InputError(f"--style '{style}' is not one of {', '.join(STYLES)}", fix="use uniform, contest or mixed")
    t0 = time.perf_counter()
    with staged_output(out) as stage:
        tasks = [CaseTask(index=i, seed=s, out_dir=str(stage), dynamic=dynamic, size_um=(lo, hi),
                          style=style)
                 for i, s in enumerate(case_seeds(seed, count))]
        with progress_bar("generate", count, quiet=quiet) as advance:
            if (workers is None or workers > 1) and count > 1:
                from chipsmith.parallel import ClusterConfig, parallel_map

                records = parallel_map(make_case, tasks, ClusterConfig.from_env(scheduler=scheduler, workers=workers),
                                       on_result=lambda i, r: advance(1))
                records = sorted(records, key=lambda r: r["case"])
            else:
                records = []
                for task in tasks:
                    records.append(make_case(task))
                    advance(1)
        summary = {"cases": count, "seed": seed, "dynamic": dynamic, "size_um": [lo, hi], "style": style,
                   "seconds": time.perf_counter() - t0, "records": records}
        write_json(stage / "summary.json", summary)
    return summary


# --------------------------------------------------------------------------- training
def _require_ml() -> None:
    """The learned models need torch and torch_geometric (the ``ml`` extra)."""
    try:
        import torch  # noqa: F401
        import torch_geometric  # noqa: F401
    except ImportError as exc:
        from chipsmith.errors import ChipsmithError

        raise ChipsmithError(f"IR-drop prediction needs torch and torch-geometric ({exc.name} is missing)",
                           fix="pip install 'chipsmith[ml]' (CPU: torch from the PyTorch CPU index)") from None


def _device(device: str | None) -> str:
    import torch

    if device in (None, "auto"):
        return "cuda" if torch.cuda.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise InputError(f"--device {device} but no CUDA GPU is visible", fix="pass --device cpu")
    if not (device == "cpu" or device.startswith("cuda")):
        raise InputError(f"--device '{device}' is not cpu, cuda or auto", fix="pass --device cpu")
    return device


def _start_ddp(device: str | None):
    """Under torchrun (``WORLD_SIZE`` > 1): join the process group (NCCL on GPUs, gloo on
    CPUs) and return (rank, world size, this rank's device); else None."""
    if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
        return None
    import torch
    import torch.distributed as tdist

    local = int(os.environ.get("LOCAL_RANK", "0"))
    gpu = torch.cuda.is_available() and device != "cpu"
    if gpu:
        torch.cuda.set_device(local)
    if gpu:
        tdist.init_process_group("nccl", device_id=torch.device(f"cuda:{local}"))
    else:
        tdist.init_process_group("gloo")
    return tdist.get_rank(), tdist.get_world_size(), f"cuda:{local}" if gpu else "cpu"


def _cache_root(cache: Path | None) -> Path:
    if cache is not None:
        return Path(cache)
    from chipsmith import data as registry

    return registry.cache_root() / "irdrop-processed"


def load_dataset(data: list[str], *, size: int, n_slices: int, cache: Path | None = None, limit: int | None = None,
                 workers: int | None = None, quiet: bool = False, prior_iters: int = 0, prior_map: str = "linear"):
    """Find the labelled cases under every ``data`` entry and build (or reuse) their processed cache."""
    from chipsmith.irdrop.graph_dataset import IRDropDataset, data_version, find_cases
    from chipsmith.progress import progress_bar

    if not data:
        raise InputError("no --data given", fix="pass --data DIR (cases) or --data iccad23-irdrop")
    refs = []
    for d in data:
        refs.extend(find_cases(d))
    if limit is not None:
        refs = refs[:limit]
    version = data_version(refs, size, n_slices, prior_iters, prior_map) if refs else "empty"
    root = _cache_root(cache) / version
    with progress_bar("featurise cases", len(refs), quiet=quiet) as advance:
        ds = IRDropDataset(root, refs, size, n_slices, workers=workers or os.cpu_count() or 1, progress=advance,
                           prior_iters=prior_iters, prior_map=prior_map)
    return ds


def train(data: list[str], out: Path, *, model: str = "pdnnet", preset: str = "cpu", epochs: int | None = None,
          size: int | None = None, batch_size: int | None = None, lr: float | None = None, seed: int = 0,
          test_cases: tuple[str, ...] | None = None, time_budget_s: float | None = None, cache: Path | None = None,
          limit: int | None = None, workers: int | None = None, device: str | None = "auto", evaluate_test: bool = True,
          quiet: bool = False, init: str | Path | None = None, finetune_fraction: float | None = None,
          prior_iters: int | None = None, prior_map: str | None = None) -> dict:
    """Train a model; writes ``model.pt``, ``history.csv``, ``summary.json`` (and test metrics).

    ``init``: start from this checkpoint (a path or a shipped model name); its architecture
    (model, size, widths) is kept and the preset supplies the training settings.
    ``finetune_fraction``: override the preset's (1 = fine-tune the whole run).
    ``prior_iters``: override the preset's physics prior (CG steps; 0 = none); ``prior_map``: how
    its node drops become a map (:data:`prior.PRIOR_MAPS`)."""
    _require_ml()
    from chipsmith.artifacts import atomic_write_text, staged_output, write_json
    from chipsmith.irdrop.graph_dataset import split_cases
    from chipsmith.irdrop.training import fit, make_config, save_checkpoint
    from chipsmith.progress import progress_bar

    cfg = make_config(preset, model=model, epochs=epochs, size=size, batch_size=batch_size, lr=lr, seed=seed,
                      test_cases=tuple(test_cases) if test_cases is not None else None, time_budget_s=time_budget_s,
                      finetune_fraction=finetune_fraction, prior_iters=prior_iters, prior_map=prior_map)
    start = None
    if init is not None:
        import dataclasses

        from chipsmith.irdrop.training import load_checkpoint

        start = load_checkpoint(resolve_model(init), expect_model=model)
        arch = ("size", "hidden", "gnn_layers", "n_slices", "base", "depth", "prior_iters", "prior_map")
        cfg = dataclasses.replace(cfg, **{k: getattr(start.config, k) for k in arch})
    t0 = time.perf_counter()
    ddp = _start_ddp(device)  # (rank, world size, device) under torchrun, else None
    load = dict(size=cfg.size, n_slices=cfg.n_slices, cache=cache, limit=limit, workers=workers, quiet=quiet,
                prior_iters=cfg.prior_iters, prior_map=cfg.prior_map)
    if ddp is None:
        # featurise before touching CUDA (the cache is built in worker processes)
        ds = load_dataset(data, **load)
        dev = _device(device)
    else:
        import torch.distributed as tdist

        rank, world, dev = ddp
        if rank == 0:
            ds = load_dataset(data, **load)
        tdist.barrier()  # rank 0 built the cache; the others read it
        if rank != 0:
            ds = load_dataset(data, **{**load, "quiet": True})
    prep_s = time.perf_counter() - t0
    splits = split_cases(ds.refs, test_cases=cfg.test_cases, val_fraction=cfg.val_fraction,
                         test_fraction=cfg.test_fraction, seed=cfg.seed, contest_val=cfg.contest_val)
    names = {k: [ds.refs[i].name for i in v] for k, v in splits.items()}
    with progress_bar(f"train {cfg.model}", cfg.epochs, quiet=quiet or (ddp is not None and ddp[0] != 0)) as advance:
        result = fit(ds, splits, cfg, device=dev, progress=advance, init=start)
    if ddp is not None:
        import torch.distributed as tdist

        tdist.destroy_process_group()
        if ddp[0] != 0:  # rank 0 alone writes the checkpoint and evaluates
            return {"model": cfg.model, "rank": ddp[0], "world_size": ddp[1], "epochs_run": len(result.history)}
    n_params = int(sum(p.numel() for p in result.model.parameters()))
    summary = {"model": cfg.model, "preset": preset, "config": cfg, "device": dev,
               "world_size": ddp[1] if ddp else 1, "data": [str(d) for d in data],
               "data_version": ds.version, "cases": len(ds), "splits": {k: len(v) for k, v in splits.items()},
               "split_cases": names, "parameters": n_params, "featurise_seconds": prep_s,
               "train_seconds": result.seconds, "epochs_run": len(result.history),
               "final_train_loss": result.history[-1]["train_loss"] if result.history else None,
               "best_val_loss": min((h["val_loss"] for h in result.history), default=None),
               "target_scale_V_per_A": result.target_scale,
               "init": start.path if start is not None else None}
    if result.finetune_val is not None:
        summary["finetune"] = {"epochs": sum(h.get("phase") == "finetune" for h in result.history),
                               "contest_val_loss_start": result.finetune_val[0],
                               "contest_val_loss_kept": result.finetune_val[1]}
    with staged_output(out) as stage:
        save_checkpoint(stage / "model.pt", result, data_version=ds.version, split_names=names)
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(["epoch", "train_loss", "val_loss", "seconds"])
        for h in result.history:
            w.writerow([h["epoch"], f"{h['train_loss']:.6g}", f"{h['val_loss']:.6g}", f"{h['seconds']:.3f}"])
        atomic_write_text(stage / "history.csv", buf.getvalue())
        files = ["model.pt", "history.csv"]
        if evaluate_test and splits["test"]:
            from chipsmith.irdrop.training import load_checkpoint

            loaded = load_checkpoint(stage / "model.pt", device=dev)
            ev = _evaluate_indices(loaded, ds, splits["test"], device=dev, exact_timing=True, quiet=quiet)
            summary["test"] = ev["summary"]
            summary["test_cases"] = ev["cases"]
            atomic_write_text(stage / "test_metrics.csv", _cases_csv(ev["cases"]))
            files.append("test_metrics.csv")
        summary["model_bytes"] = (stage / "model.pt").stat().st_size
        summary["files"] = files + ["summary.json"]
        write_json(stage / "summary.json", summary)
    return summary


# --------------------------------------------------------------------------- evaluation
def _exact_static_seconds(ref, shape: tuple[int, int]) -> float:
    """Wall time of the exact path: parse + static solve + contest map, same process."""
    from chipsmith.irdrop.maps import MapBuilder
    from chipsmith.irdrop.parser import parse_pdn
    from chipsmith.irdrop.static import solve_static

    t0 = time.perf_counter()
    pdn = parse_pdn(ref.netlist)
    sol = solve_static(pdn)
    MapBuilder(pdn, shape=shape)(sol.drop)
    return time.perf_counter() - t0


def _exact_dynamic_seconds(ref, shape: tuple[int, int]) -> float | None:
    """Wall time of the exact transient (the settings ``irdrop generate`` used for the label)."""
    import json

    from chipsmith.irdrop.dynamic import load_profile, solve_transient
    from chipsmith.irdrop.maps import MapBuilder
    from chipsmith.irdrop.parser import parse_pdn

    meta = Path(ref.netlist).parent / "case.json"
    if not meta.is_file():
        return None
    info = json.loads(meta.read_text())
    if "dt_s" not in info:
        return None
    t0 = time.perf_counter()
    pdn = parse_pdn(ref.netlist)
    prof = load_profile(ref.currents, pdn)
    dyn = solve_transient(pdn, prof, dt=info["dt_s"], t_stop=info["dt_s"] * info["time_steps"], n_slices=8)
    MapBuilder(pdn, shape=shape)(dyn.worst_drop)
    return time.perf_counter() - t0


def _evaluate_indices(loaded, ds, indices: list[int], *, device: str, exact_timing: bool, quiet: bool) -> dict:
    from chipsmith.irdrop.graph_dataset import build_item, read_map
    from chipsmith.irdrop.inference import map_metrics, predict_item, warm_up
    from chipsmith.progress import progress_bar

    rows = []
    prior_iters, prior_map = loaded.config.prior_iters, loaded.config.prior_map
    if indices:
        warm_up(loaded, ds[indices[0]], device)
    with progress_bar("evaluate", len(indices), quiet=quiet) as advance:
        for i in indices:
            ref = ds.refs[i]
            golden = read_map(ref.ir_drop)
            t0 = time.perf_counter()
            item, feats = build_item(ref, loaded.config.size, loaded.config.n_slices, shape=golden.shape,
                                     with_features=True, prior_iters=prior_iters, prior_map=prior_map)
            feat_s = time.perf_counter() - t0
            pred = predict_item(loaded, item, device=device, prior_native=feats.prior)
            row = {"case": ref.name, "group": ref.group, "shape": list(golden.shape),
                   "nodes": int(item["node"].num_nodes), **map_metrics(pred.static, golden),
                   "forward_seconds": pred.forward_seconds, "predict_seconds": feat_s + pred.forward_seconds}
            if feats.prior is not None:
                # the prior alone (no model) on the same case: what the model had to improve on
                row.update({f"prior_{k}": v for k, v in map_metrics(feats.prior, golden).items()
                            if k in ("mae_V", "max_error_V", "hotspot_f1", "corr")})
            if exact_timing:
                exact = _exact_static_seconds(ref, golden.shape)
                row.update(exact_seconds=exact, exact_over_forward=exact / max(pred.forward_seconds, 1e-9),
                           exact_over_predict=exact / max(row["predict_seconds"], 1e-9))
            if ref.dynamic and pred.dynamic is not None:
                dm = map_metrics(pred.dynamic, read_map(ref.dynamic_ir_drop))
                row.update({f"dynamic_{k}": v for k, v in dm.items()})
                if exact_timing:
                    ed = _exact_dynamic_seconds(ref, golden.shape)
                    if ed is not None:
                        row.update(dynamic_exact_seconds=ed, dynamic_exact_over_forward=ed / max(pred.forward_seconds, 1e-9),
                                   dynamic_exact_over_predict=ed / max(row["predict_seconds"], 1e-9))
            rows.append(row)
            advance(1)
    return {"cases": rows, "summary": summarize(rows)}


def summarize(rows: list[dict]) -> dict:
    """Means per group (real / synthetic / generated) and overall; medians for time ratios."""
    def agg(rs: list[dict]) -> dict:
        out = {"cases": len(rs)}
        for k in ("mae_V", "max_error_V", "hotspot_f1", "corr", "dynamic_mae_V", "dynamic_hotspot_f1",
                  "dynamic_max_error_V", "prior_mae_V", "prior_hotspot_f1", "prior_corr"):
            vals = [r[k] for r in rs if r.get(k) is not None]
            if vals:
                out[f"mean_{k}"] = float(np.mean(vals))
        for k in ("forward_seconds", "predict_seconds", "exact_over_forward", "exact_over_predict",
                  "dynamic_exact_over_forward", "dynamic_exact_over_predict"):
            vals = [r[k] for r in rs if r.get(k) is not None]
            if vals:
                out[f"median_{k}"] = float(np.median(vals))
        return out

    groups = sorted({r["group"] for r in rows})
    return {"all": agg(rows), **{g: agg([r for r in rows if r["group"] == g]) for g in groups}}


def _cases_csv(rows: list[dict]) -> str:
    keys: list[str] = []
    for r in rows:
        keys += [k for k in r if k not in keys and k != "shape"]
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(keys)
    for r in rows:
        w.writerow(["" if r.get(k) is None else (f"{r[k]:.6g}" if isinstance(r[k], float) else r[k]) for k in keys])
    return buf.getvalue()


def resolve_model(spec: str | Path) -> Path:
    """A checkpoint path: a directory/file, or a shipped model name (``pdnnet``, ``unet``)."""
    p = Path(spec)
    if p.exists():
        return p
    shipped = SHIPPED_DIR / str(spec)
    if (shipped / "model.pt").is_file():
        return shipped
    names = sorted(d.name for d in SHIPPED_DIR.glob("*") if (d / "model.pt").is_file()) if SHIPPED_DIR.is_dir() else []
    raise InputError(f"model '{spec}' is neither a checkpoint path nor a shipped model", where=str(spec),
                     fix=f"pass a `chipsmith irdrop train` output directory or one of: {', '.join(names) or '(none)'}")


def evaluate(model: str | Path, data: list[str], out: Path, *, split: str = "test", cache: Path | None = None,
             limit: int | None = None, workers: int | None = None, device: str | None = "auto",
             exact_timing: bool = True, quiet: bool = False) -> dict:
    """Metrics of a checkpoint on cases: its own held-out split (``test``/``val``/``train``) or ``all``."""
    _require_ml()
    from chipsmith.artifacts import atomic_write_text, staged_output, write_json
    from chipsmith.errors import DataError
    from chipsmith.irdrop.training import load_checkpoint

    if split not in ("test", "val", "train", "all"):
        raise InputError(f"--split '{split}' is not test, val, train or all", fix="pass --split test")
    loaded = load_checkpoint(resolve_model(model), device="cpu")
    ds = load_dataset(data, size=loaded.config.size, n_slices=loaded.config.n_slices, cache=cache, workers=workers,
                      quiet=quiet, prior_iters=loaded.config.prior_iters, prior_map=loaded.config.prior_map)
    dev = _device(device)  # after featurising, which starts worker processes
    loaded.model.to(dev)
    if split == "all":
        idx = list(range(len(ds)))
    else:
        wanted = set(loaded.splits.get(split, []))
        idx = [i for i, r in enumerate(ds.refs) if r.name in wanted]
    if limit is not None:
        idx = idx[:limit]
    if not idx:
        raise DataError(f"none of the given cases is in the checkpoint's '{split}' split",
                        fix="pass the data the model was trained on, or --split all")
    ev = _evaluate_indices(loaded, ds, idx, device=dev, exact_timing=exact_timing, quiet=quiet)
    summary = {"model": loaded.name, "checkpoint": loaded.path, "checkpoint_data_version": loaded.data_version,
               "data_version": ds.version, "split": split, "device": dev, "summary": ev["summary"],
               "cases": ev["cases"], "files": ["metrics.csv", "summary.json"]}
    with staged_output(out) as stage:
        atomic_write_text(stage / "metrics.csv", _cases_csv(ev["cases"]))
        write_json(stage / "summary.json", summary)
    return summary


# --------------------------------------------------------------------------- prediction
DEFAULT_MODEL, DEFAULT_MAPS_MODEL = "pdnnet", "unet-maps"


def predict(model: str | Path | None, source: Path, out: Path, *, device: str | None = "auto", orientation: str = "xy",
            shape: str | None = None, like: Path | None = None, png: bool = True) -> dict:
    """Predict the IR-drop map(s) of a netlist (file or case directory) or of feature maps with a
    checkpoint; ``model=None`` picks the shipped default for the input (feature maps carry no
    PDN, so they get the U-Net trained on the contest maps alone)."""
    _require_ml()
    from chipsmith.artifacts import staged_output, write_json
    from chipsmith.irdrop.graph_dataset import CaseRef, build_item, case_ref
    from chipsmith.irdrop.inference import predict_item
    from chipsmith.irdrop.maps import ORIENTATIONS
    from chipsmith.irdrop.outputs import worst_pixel, write_map
    from chipsmith.irdrop.training import load_checkpoint

    if orientation not in ORIENTATIONS:
        raise InputError(f"--orientation '{orientation}' is not one of {', '.join(ORIENTATIONS)}", fix="pass xy")
    dev = _device(device)
    source = Path(source)
    maps_input = source.is_file() and source.suffix == ".npz"
    if model is None:
        model = DEFAULT_MAPS_MODEL if maps_input else DEFAULT_MODEL
    loaded = load_checkpoint(resolve_model(model), device=dev)
    if source.is_dir():
        ref = case_ref(source)
        if ref is None:
            raise InputError("directory holds no netlist.sp[.gz]", where=str(source),
                             fix="pass a PDN netlist or a case directory with netlist.sp")
        ref = CaseRef(name=source.name, group=ref.group, netlist=ref.netlist, ir_drop=None,
                      dynamic_ir_drop=None, currents=ref.currents)
        if like is None and shape is None:
            cur = next((source / n for n in ("current_map.csv.gz", "current_map.csv") if (source / n).is_file()), None)
            like = cur
    elif maps_input:
        ref = None
    elif source.is_file():
        ref = CaseRef(name=source.name, group="other", netlist=str(source), ir_drop=None)
    else:
        raise InputError("input not found", where=str(source), fix="pass a PDN netlist, a case directory or "
                         "a features.npz")
    t0 = time.perf_counter()
    if ref is None:
        if loaded.config.model != "unet":
            raise InputError(f"a '{loaded.name}' model needs the netlist (its graph branch reads the PDN), not maps",
                             where=str(source), fix=f"pass the netlist, or --model {DEFAULT_MAPS_MODEL} for feature maps")
        if loaded.config.prior_iters > 0:
            raise InputError("this checkpoint uses the physics prior, which is solved from the netlist; feature maps "
                             "alone cannot give it", where=str(source),
                             fix=f"pass the netlist, or --model {DEFAULT_MAPS_MODEL} (trained without the prior)")
        item = maps_item(source, loaded.config.size)
        native = None
    else:
        map_shape = parse_shape(shape, like) if (shape or like) else None
        item, native = build_item(ref, loaded.config.size, loaded.config.n_slices, shape=map_shape, with_features=True,
                                  prior_iters=loaded.config.prior_iters, prior_map=loaded.config.prior_map)
    feat_s = time.perf_counter() - t0
    pred = predict_item(loaded, item, device=dev, prior_native=native.prior if native is not None else None)
    wx, wy = worst_pixel(pred.static)
    summary = {"input": str(source), "model": loaded.name, "checkpoint": loaded.path, "device": dev,
               "map_shape": list(pred.static.shape), "orientation": orientation,
               "max_drop_V": float(pred.static.max()), "mean_drop_V": float(pred.static.mean()),
               "worst_pixel_xy_um": [wx, wy], "featurise_seconds": feat_s, "forward_seconds": pred.forward_seconds,
               "prior_iters": int(loaded.config.prior_iters),
               "nodes": int(item["node"].num_nodes) if ref is not None else None,
               "currents": "feature maps" if ref is None else "tile waveforms" if ref.currents else "DC (static)"}
    with staged_output(out) as stage:
        files = write_map(stage, "ir_drop_map", pred.static, orientation=orientation, png=png,
                          title=f"{source.name}: predicted static IR drop ({loaded.name})")
        if pred.dynamic is not None:
            files += write_map(stage, "dynamic_ir_drop_map", pred.dynamic, orientation=orientation, png=png,
                               title=f"{source.name}: predicted worst-case dynamic IR drop ({loaded.name})")
            summary["dynamic_max_drop_V"] = float(pred.dynamic.max())
        if native is not None:
            from chipsmith.irdrop.outputs import write_npz

            # the native feature maps: `predict --model unet features.npz` reads them back
            write_npz(stage / "features.npz", maps=native.maps, total_current=np.array(native.total_current),
                      channels=np.array(FEATURE_FILE_CHANNELS))
            files.append("features.npz")
        summary["files"] = files + ["summary.json"]
        write_json(stage / "summary.json", summary)
    return summary


FEATURE_FILE_CHANNELS = ("current", "peak_current", "eff_dist", "pdn_density")


def maps_item(path: Path, size: int):
    """A model input from a ``features.npz`` (``maps`` (4, nx, ny) in FEATURE_FILE_CHANNELS
    order, physical units, [x][y] at 1 µm, and ``total_current`` in A)."""
    import torch
    from torch_geometric.data import Data

    from chipsmith.irdrop.features import CaseFeatures, normalized_maps

    try:
        with np.load(path, allow_pickle=False) as z:
            maps = np.asarray(z["maps"], dtype=float)
            total = float(np.asarray(z["total_current"]).ravel()[0])
    except Exception as exc:
        raise InputError(f"cannot read feature maps ({type(exc).__name__}: {exc})", where=str(path),
                         fix="pass the features.npz written by `chipsmith irdrop predict`") from None
    if maps.ndim != 3 or maps.shape[0] != len(FEATURE_FILE_CHANNELS) or min(maps.shape[1:]) < 2:
        raise InputError(f"feature maps have shape {maps.shape}, expected ({len(FEATURE_FILE_CHANNELS)}, nx, ny)",
                         where=str(path), fix=f"stack {', '.join(FEATURE_FILE_CHANNELS)} maps")
    if not (np.all(np.isfinite(maps)) and np.isfinite(total) and total > 0):
        raise InputError("feature maps contain NaN/infinite values or a non-positive total current",
                         where=str(path), fix="give finite maps and total_current > 0")
    f = CaseFeatures(maps=maps, total_current=total, width_um=float(maps.shape[1]), height_um=float(maps.shape[2]))
    return Data(maps=torch.from_numpy(normalized_maps(f, size))[None],
                total_current=torch.tensor([total], dtype=torch.float64),
                native_shape=torch.tensor([list(f.shape)], dtype=torch.long))
