"""The training data: IR-drop cases as PDNGraphs with map inputs and labels (a PyG ``Dataset``).

A *case* is a directory holding ``netlist.sp[.gz]`` and ``ir_drop_map.csv[.gz]`` (the
contest layout, also what ``irdrop generate`` writes); dynamic cases add
``currents.npz`` and ``dynamic_ir_drop_map.csv``. Cases without a netlist (the
contest's maps-only set) are not used: every input is computed from the netlist so
that contest and generated cases mean the same thing (:mod:`features`).

:class:`IRDropDataset` declares its raw files (each case's netlist, labels, currents)
and its processed files (one ``.pt`` per case) and records in ``processed/meta.json``
the *data version*: a hash of the case list, the raw file sizes, the feature version
and the grid settings. A cache built with other settings or other files is rebuilt,
never silently reused; checkpoints carry the data version they were trained on.

Splits are by design (one case = one design), never by pixel: the named held-out cases
(default: real testcase2 and testcase12) plus a seeded fraction of the others go to
test, another seeded fraction to validation.
"""
from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from chipsmith.errors import DataError, InputError
from chipsmith.irdrop.features import FEATURE_VERSION, TileCurrents, case_features, downsample, normalized_maps

DEFAULT_TEST_CASES = ("real/testcase2", "real/testcase12")


@dataclass(frozen=True)
class CaseRef:
    """Where one case's files are; ``name`` is unique across data roots (``<root>/<rel>``)."""

    name: str
    group: str  # real | synthetic | generated | other
    netlist: str
    ir_drop: str | None
    dynamic_ir_drop: str | None = None
    currents: str | None = None

    @property
    def dynamic(self) -> bool:
        return self.dynamic_ir_drop is not None and self.currents is not None

    def files(self) -> list[str]:
        return [f for f in (self.netlist, self.ir_drop, self.dynamic_ir_drop, self.currents) if f]


def _first(d: Path, *names: str) -> str | None:
    for n in names:
        if (d / n).is_file():
            return str(d / n)
    return None


def case_ref(d: Path, name: str | None = None, group: str | None = None) -> CaseRef | None:
    """The :class:`CaseRef` of directory ``d``, or None when it holds no netlist."""
    netlist = _first(d, "netlist.sp.gz", "netlist.sp")
    if netlist is None:
        return None
    grp = group or (d.parent.name if d.parent.name in ("real", "synthetic") else "generated"
                    if (d / "case.json").is_file() else "other")
    return CaseRef(name=name or d.name, group=grp, netlist=netlist,
                   ir_drop=_first(d, "ir_drop_map.csv.gz", "ir_drop_map.csv"),
                   dynamic_ir_drop=_first(d, "dynamic_ir_drop_map.csv.gz", "dynamic_ir_drop_map.csv"),
                   currents=_first(d, "currents.npz"))


def resolve_root(spec: str | Path) -> Path:
    """A data root from a path or a ``chipsmith.data`` dataset name (e.g. ``iccad23-irdrop``)."""
    p = Path(spec)
    if p.is_dir():
        return p
    from chipsmith import data as registry

    try:
        registry.get(str(spec))
    except Exception:
        raise DataError(f"data '{spec}' is neither a directory nor a known dataset", where=str(spec),
                        fix=f"pass a case directory tree or one of: {', '.join(registry.names())}") from None
    return registry.resolve(str(spec))


def find_cases(spec: str | Path, *, labelled: bool = True) -> list[CaseRef]:
    """Every case under ``spec`` (a root, a dataset name or one case directory), sorted by name."""
    root = resolve_root(spec).absolute()  # raw file names must be absolute (see raw_dir)
    label = root.name
    dirs = [root] if _first(root, "netlist.sp.gz", "netlist.sp") else sorted(
        {p.parent for pat in ("netlist.sp", "netlist.sp.gz") for p in root.rglob(pat)})
    refs = []
    for d in dirs:
        rel = d.relative_to(root).as_posix() if d != root else d.name
        ref = case_ref(d, name=f"{label}/{rel}")
        if ref is not None and (ref.ir_drop is not None or not labelled):
            refs.append(ref)
    return refs


def read_map(path: str | Path) -> np.ndarray:
    """A comma-separated map (gzip ok) as float64, checked for shape and NaN."""
    try:
        try:
            import pandas as pd  # optional: 5-10x faster than numpy on large maps
        except ImportError:
            arr = np.loadtxt(path, delimiter=",", ndmin=2)
        else:
            arr = pd.read_csv(path, header=None, dtype=float).to_numpy()
    except Exception as exc:
        raise InputError(f"cannot read map ({type(exc).__name__}: {exc})", where=str(path),
                         fix="pass a comma-separated numeric matrix") from None
    if arr.ndim != 2 or min(arr.shape) < 2:
        raise InputError(f"map has shape {arr.shape}, expected a 2-D matrix", where=str(path), fix="pass an [x][y] map")
    if not np.all(np.isfinite(arr)):
        raise InputError("map contains NaN or infinite values", where=str(path), fix="give finite values")
    return arr


def build_item(ref: CaseRef, size: int, n_slices: int, shape: tuple[int, int] | None = None, *,
               with_features: bool = False, prior_iters: int = 0, prior_map: str = "linear"):
    """Parse, featurise and label one case: the HeteroData the models consume.

    Graph-level attributes: ``maps`` (1, C, S, S) model input; ``target`` (1, 2, S, S)
    static and dynamic drop / total current (V/A); ``has_target`` (1, 2);
    ``total_current`` (1,); ``native_shape`` (1, 2); with ``prior_iters`` > 0 also
    ``prior`` (1, 1, S, S): the physics prior (:mod:`prior`, that many CG steps) as drop /
    total current (V/A), the target's units, drawn with ``prior_map`` (:data:`prior.PRIOR_MAPS`). ``with_features`` also returns the native
    :class:`features.CaseFeatures` (its ``prior`` holds the 1 µm prior map in V).
    """
    import torch

    from chipsmith.irdrop.graph import build_pdn_graph
    from chipsmith.irdrop.maps import default_shape
    from chipsmith.irdrop.parser import parse_pdn

    pdn = parse_pdn(ref.netlist)
    if len(pdn.v_node) == 0:
        raise InputError("netlist has no pads (V sources)", where=ref.netlist, fix="add 'V<k> <node> 0 <volts>' pads")
    golden = read_map(ref.ir_drop) if ref.ir_drop else None
    extent = default_shape(pdn)
    if shape is None:
        shape = golden.shape if golden is not None else extent
    shape = (int(shape[0]), int(shape[1]))
    if not all(0.5 * e <= s <= 2 * e + 2 for s, e in zip(shape, extent)):
        raise InputError(f"map shape {shape} does not fit the netlist's extent {extent} um",
                         where=ref.ir_drop or ref.netlist, fix="pass the map that belongs to this netlist ([x][y], 1 um)")
    tiles = TileCurrents.load(ref.currents) if ref.currents else None
    feats = case_features(pdn, shape, tiles)
    if prior_iters > 0:
        import dataclasses

        from chipsmith.irdrop.prior import prior_map as draw_prior

        feats = dataclasses.replace(feats, prior=draw_prior(pdn, shape, prior_iters, method=prior_map)[0])
    data = build_pdn_graph(pdn, shape_um=shape, tiles=tiles, n_slices=n_slices, grid_size=size)
    data.maps = torch.from_numpy(normalized_maps(feats, size))[None]
    target = np.zeros((2, size, size), np.float32)
    has = np.zeros(2, np.float32)
    total = max(feats.total_current, 1e-30)
    if golden is not None:
        target[0] = downsample(golden, size) / total
        has[0] = 1
    if ref.dynamic:
        dyn = read_map(ref.dynamic_ir_drop)
        if dyn.shape != tuple(shape):
            raise InputError(f"dynamic map shape {dyn.shape} differs from the static map's {tuple(shape)}",
                             where=ref.dynamic_ir_drop, fix="regenerate the case")
        target[1] = downsample(dyn, size) / total
        has[1] = 1
    data.target = torch.from_numpy(target)[None]
    data.has_target = torch.from_numpy(has)[None]
    data.total_current = torch.tensor([feats.total_current], dtype=torch.float64)
    data.native_shape = torch.tensor([list(shape)], dtype=torch.long)
    if feats.prior is not None:
        data.prior = torch.from_numpy((downsample(feats.prior, size) / total).astype(np.float32))[None, None]
    return (data, feats) if with_features else data


def data_version(refs: list[CaseRef], size: int, n_slices: int, prior_iters: int = 0,
                 prior_map: str = "linear") -> str:
    """Hash of what a processed cache depends on (case names, raw sizes, feature settings)."""
    h = hashlib.sha256()
    settings = {"feature_version": FEATURE_VERSION, "size": size, "n_slices": n_slices}
    if prior_iters:  # only then: caches without a prior keep their version
        settings["prior_iters"] = int(prior_iters)
        if prior_map != "linear":  # likewise: linear-map caches keep theirs
            settings["prior_map"] = prior_map
    h.update(json.dumps(settings).encode())
    for r in refs:
        h.update(r.name.encode())
        for f in r.files():
            h.update(f"{Path(f).name}:{Path(f).stat().st_size}".encode())
    return h.hexdigest()[:16]


def _process_one(args):
    ref, size, n_slices, path, prior_iters, prior_map = args
    import torch

    torch.save(build_item(ref, size, n_slices, prior_iters=prior_iters, prior_map=prior_map), path)
    return ref.name


def _dataset_base():
    from torch_geometric.data import Dataset

    return Dataset


class IRDropDataset(_dataset_base()):
    """Cases → processed PDNGraphs (one ``.pt`` each) under ``root/processed``.

    ``refs``: the cases (see :func:`find_cases`); ``size``: model grid S; ``workers``:
    processes used to build the cache (1 = in-process); ``prior_iters``: > 0 adds the
    physics prior (:mod:`prior`) to every item, drawn with ``prior_map``.
    """

    def __init__(self, root: str | Path, refs: list[CaseRef], size: int, n_slices: int = 8, *,
                 workers: int = 1, progress=None, prior_iters: int = 0, prior_map: str = "linear") -> None:
        if not refs:
            raise DataError("no labelled cases with a netlist found", where=str(root),
                            fix="pass --data a directory of cases (netlist.sp + ir_drop_map.csv), e.g. the output "
                                "of `chipsmith irdrop generate` or the iccad23-irdrop dataset")
        self.refs = list(refs)
        self.size = int(size)
        self.n_slices = int(n_slices)
        self.workers = max(1, int(workers))
        self.prior_iters = int(prior_iters)
        self.prior_map = str(prior_map)
        self._progress = progress
        self._memory: dict[int, object] = {}  # processed items kept after the first read
        self.version = data_version(self.refs, self.size, self.n_slices, self.prior_iters, self.prior_map)
        meta = Path(root) / "processed" / "meta.json"
        if meta.is_file() and json.loads(meta.read_text()).get("data_version") != self.version:
            shutil.rmtree(meta.parent)  # stale cache: other cases or other feature settings
        super().__init__(str(root), log=False)

    @property
    def raw_dir(self) -> str:
        return "/"  # raw files live where the cases are; raw_file_names are absolute

    @property
    def raw_file_names(self) -> list[str]:
        return [f for r in self.refs for f in r.files()]

    @property
    def processed_file_names(self) -> list[str]:
        return [f"case{i:05d}.pt" for i in range(len(self.refs))] + ["meta.json"]

    def download(self) -> None:
        missing = [f for f in self.raw_file_names if not Path(f).is_file()]
        raise DataError(f"{len(missing)} raw case file(s) are missing, e.g. {missing[0] if missing else '?'}",
                        fix="re-run `chipsmith irdrop generate` or `chipsmith data fetch iccad23-irdrop`")

    def process(self) -> None:
        from chipsmith.artifacts import write_json

        out = Path(self.processed_dir)
        jobs = [(r, self.size, self.n_slices, str(out / f"case{i:05d}.pt"), self.prior_iters,
                 self.prior_map)
                for i, r in enumerate(self.refs)]
        advance = self._progress or (lambda k=1: None)
        if self.workers > 1 and len(jobs) > 1:
            import multiprocessing as mp
            from concurrent.futures import ProcessPoolExecutor

            # processes, not dask: building a cache is local CPU work beside the training process.
            # spawn, not fork: a parent whose torch thread pool already ran deadlocks forked children
            with ProcessPoolExecutor(self.workers, mp_context=mp.get_context("spawn")) as pool:
                for _ in pool.map(_process_one, jobs):
                    advance(1)
        else:
            for job in jobs:
                _process_one(job)
                advance(1)
        write_json(out / "meta.json", {"data_version": self.version, "feature_version": FEATURE_VERSION,
                                       "size": self.size, "n_slices": self.n_slices, "prior_iters": self.prior_iters,
                                       "prior_map": self.prior_map,
                                       "cases": [asdict(r) for r in self.refs]})

    def len(self) -> int:
        return len(self.refs)

    def get(self, idx: int):
        import torch

        if idx not in self._memory:
            self._memory[idx] = torch.load(Path(self.processed_dir) / f"case{idx:05d}.pt", weights_only=False)
        return self._memory[idx]  # read-only for callers: batching copies, augmentation reassigns


def split_cases(refs: list[CaseRef], *, test_cases: tuple[str, ...] = DEFAULT_TEST_CASES, val_fraction: float = 0.1,
                test_fraction: float = 0.1, seed: int = 0,
                train_groups: tuple[str, ...] = ("real",), contest_val: int = 0) -> dict[str, list[int]]:
    """Indices of train / val / test by design: named held-out cases (matched on the end of
    the case name) and a seeded fraction of the rest go to test, another to validation.
    Cases of ``train_groups`` that are not named always train: the real designs are too few
    (and too unlike generated ones) to spend on validation. ``contest_val``: at least this
    many contest synthetic designs go to validation (what fine-tuning is selected on)."""
    named = [i for i, r in enumerate(refs) if any(r.name.endswith(t) for t in test_cases)]
    kept = [i for i, r in enumerate(refs) if r.group in train_groups and i not in set(named)]
    rest = [i for i in range(len(refs)) if i not in set(named) and i not in set(kept)]
    rng = np.random.default_rng(seed)
    perm = [rest[k] for k in rng.permutation(len(rest))]
    n_test = int(round(test_fraction * len(perm)))
    n_val = max(1 if len(perm) - n_test > 1 else 0, int(round(val_fraction * len(perm))))
    test = sorted(named + perm[:n_test])
    val = perm[n_test:n_test + n_val]
    train = perm[n_test + n_val:]
    need = contest_val - sum(refs[i].group == "synthetic" for i in val)
    if need > 0:  # the first synthetic designs of the seeded order move from train to val
        move = [i for i in train if refs[i].group == "synthetic"][:need]
        val, train = val + move, [i for i in train if i not in set(move)]
    val = sorted(val)
    train = sorted(train + kept)
    if not train:
        raise DataError(f"no training cases left after the split ({len(refs)} cases)",
                        fix="give more cases or smaller --val/--test fractions")
    return {"train": train, "val": val, "test": test}
