"""Seeded contact-layer datasets: (mask, aerial, resist, per-contact CD/threshold) records.

Clip kinds (drawn contacts are squares of the node's ``contact_nm``; every centre-to-
centre distance respects the node's ``min_pitch_nm``; contacts stay ``min_pitch_nm``
away from the clip border so the periodic imaging never couples opposite edges):

* ``random``   — 3..N contacts placed uniformly by rejection sampling;
* ``array``    — rule-based arrays: pitches ``min_pitch x {1, 1.25, 1.5, 2, 3}`` per axis,
  optional staggered rows, 0-30 % of sites dropped;
* ``dense``    — arrays at the minimum pitch in both axes, up to 10 % of sites dropped;
* ``isolated`` — 1..3 contacts at least 3 min pitches apart;
* ``stdcontact`` — a window of a shared StdContact clip (45 nm standard cells, 65 nm
  contacts), scaled by ``contact_nm / 65`` so its pitches follow the node.

Ground truth (``resist``): ``film`` (default), the depth-resolved 3-D reaction-diffusion
+ development-front model of :mod:`~chipsmith.lithography.resist_film` (bottom CD), or
``lumped``, the :class:`~chipsmith.lithography.resist.ChemResist` image; both at the
node's preset, both contoured at level 1. Per contact: drawn box, printed flag, CD x/y,
four EPEs, printed area and the *effective threshold*: the nominal-focus aerial intensity
at the printed edges (mean over the four CD end points), i.e. the constant threshold that
would print this contact at its ground-truth size.

On-disk format (``--out DIR``)::

    index.json           format, version, node, preset, seed, grid, pixel_nm, kinds,
                         contact columns, kernel info, shards [{file, clips, contacts, sha256}]
    shard-00000.npz      mask (B,H,W) uint8 (coverage x 255), aerial (B,H,W) float16,
                         resist (B,H,W) float16 (ground-truth resist image, opens >= 1), kind (B,) int8, clip_seed (B,) uint64,
                         contacts (M, C) float32, contact_offsets (B+1,) int64
    summary.json         counts per kind, CD/threshold statistics, seconds

Images are ``[row=y, col=x]``, pixel ``(r, c)`` centred at ``((c+.5) p, (r+.5) p)`` nm in
the clip frame ``(0, 0, clip_nm, clip_nm)``. Contacts of clip ``i`` are rows
``contact_offsets[i]:contact_offsets[i+1]`` of ``contacts``.
"""
from __future__ import annotations

import hashlib
import io
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from chipsmith.errors import LithoError
from chipsmith.lithography import contours as contours_mod
from chipsmith.lithography.aerial import aerial_image
from chipsmith.lithography.layout_io import read_glp, rect
from chipsmith.lithography.presets import ProcessPreset
from chipsmith.lithography.resist import chem_resist
from chipsmith.lithography.resist_film import film_kernels, film_resist

FORMAT = "chipsmith-litho-contacts"
VERSION = 1
KINDS = ("random", "array", "dense", "isolated", "stdcontact")
RESISTS = ("film", "lumped")
RESIST_DESCRIPTIONS = {
    "film": "3-D reaction-diffusion + development-front resist model (resist_film.py; bottom CD), "
            "not calibrated to a real resist",
    "lumped": "lumped resist model (Dill exposure, 2-D acid/quencher PEB, Mack development depth; resist.py)",
}
DEFAULT_MIX = {"random": 0.35, "array": 0.25, "dense": 0.15, "isolated": 0.10, "stdcontact": 0.15}
CONTACT_COLUMNS = ("x", "y", "w", "h", "printed", "cd_x", "cd_y", "epe_left", "epe_right", "epe_bottom",
                   "epe_top", "area_nm2", "threshold")


@dataclass(frozen=True)
class ClipDesign:
    kind: str
    contacts: tuple[tuple[float, float], ...]  # centres, nm, clip frame
    seed: int


def _square(cx: float, cy: float, c: float) -> np.ndarray:
    return rect(cx - c / 2, cy - c / 2, cx + c / 2, cy + c / 2)


def _ok(p: tuple[float, float], taken: list[tuple[float, float]], pitch: float) -> bool:
    return all((p[0] - q[0]) ** 2 + (p[1] - q[1]) ** 2 >= pitch * pitch - 1e-6 for q in taken)


def _random(rng: np.random.Generator, preset: ProcessPreset, lo: float, hi: float) -> list[tuple[float, float]]:
    area = (hi - lo) ** 2
    cap = max(3, int(0.6 * area / preset.min_pitch_nm ** 2))
    target = int(rng.integers(3, cap + 1))
    taken: list[tuple[float, float]] = []
    for _ in range(target * 30):
        p = (float(rng.uniform(lo, hi)), float(rng.uniform(lo, hi)))
        if _ok(p, taken, preset.min_pitch_nm):
            taken.append(p)
            if len(taken) >= target:
                break
    return taken


def _array(rng: np.random.Generator, preset: ProcessPreset, lo: float, hi: float, *, dense: bool) -> list:
    pmin = preset.min_pitch_nm
    factors = (1.0,) if dense else (1.0, 1.25, 1.5, 2.0, 3.0)
    px, py = pmin * float(rng.choice(factors)), pmin * float(rng.choice(factors))
    stagger = (not dense) and bool(rng.random() < 0.3) and py >= pmin * 1.25
    # Staggered rows shift by px/2: keep the diagonal neighbour at >= min pitch.
    if stagger and (px / 2) ** 2 + py ** 2 < pmin ** 2:
        stagger = False
    span = hi - lo
    nx_max, ny_max = int(span // px) + 1, int(span // py) + 1
    nx = int(rng.integers(1 if not dense else 2, nx_max + 1))
    ny = int(rng.integers(1 if not dense else 2, ny_max + 1))
    x0 = lo + float(rng.uniform(0, max(0.0, span - (nx - 1) * px - (px / 2 if stagger else 0))))
    y0 = lo + float(rng.uniform(0, max(0.0, span - (ny - 1) * py)))
    drop = float(rng.uniform(0, 0.1 if dense else 0.3))
    pts = []
    for j in range(ny):
        for i in range(nx):
            if rng.random() < drop:
                continue
            x = x0 + i * px + (px / 2 if stagger and j % 2 else 0.0)
            y = y0 + j * py
            if lo <= x <= hi and lo <= y <= hi:
                pts.append((x, y))
    return pts or [((lo + hi) / 2, (lo + hi) / 2)]


def _isolated(rng: np.random.Generator, preset: ProcessPreset, lo: float, hi: float) -> list:
    target = int(rng.integers(1, 4))
    taken: list[tuple[float, float]] = []
    for _ in range(200):
        p = (float(rng.uniform(lo, hi)), float(rng.uniform(lo, hi)))
        if _ok(p, taken, 3 * preset.min_pitch_nm):
            taken.append(p)
            if len(taken) >= target:
                break
    return taken


def stdcontact_pool(directory: Path | None = None) -> list[np.ndarray]:
    """Contact centres (nm, 65 nm contacts) of every shared StdContact clip."""
    if directory is None:
        from chipsmith import data

        directory = Path(data.resolve("iccad13-litho")) / "layouts" / "StdContact"
    files = sorted(Path(directory).glob("*.glp"))
    if not files:
        raise LithoError("no StdContact clips found", where=str(directory),
                         fix="fetch the iccad13-litho dataset or drop 'stdcontact' from the mix")
    pool = []
    for f in files:
        lay = read_glp(f)
        pool.append(np.array([[(p[:, 0].min() + p[:, 0].max()) / 2, (p[:, 1].min() + p[:, 1].max()) / 2]
                              for p in lay.polygons]))
    return pool


def _stdcontact(rng: np.random.Generator, preset: ProcessPreset, lo: float, hi: float, pool) -> list:
    centres = pool[int(rng.integers(len(pool)))] * (preset.contact_nm / 65.0)
    span = hi - lo
    cmin, cmax = centres.min(0), centres.max(0)
    ox = float(rng.uniform(cmin[0] - span / 2, max(cmin[0] - span / 2, cmax[0] - span / 2)))
    oy = float(rng.uniform(cmin[1] - span / 2, max(cmin[1] - span / 2, cmax[1] - span / 2)))
    shifted = centres - np.array([ox, oy]) + lo
    keep = np.all((shifted >= lo) & (shifted <= hi), axis=1)
    pts = [tuple(map(float, p)) for p in shifted[keep]]
    # Scaled library contacts can sit closer than this node allows: drop violators greedily.
    taken: list[tuple[float, float]] = []
    for p in pts:
        if _ok(p, taken, preset.min_pitch_nm):
            taken.append(p)
    return taken or [((lo + hi) / 2, (lo + hi) / 2)]


def design_clip(seed_seq: np.random.SeedSequence, preset: ProcessPreset, mix: dict[str, float],
                pool: Sequence[np.ndarray] | None) -> ClipDesign:
    """One clip's contacts from its own seed (independent of batch and shard layout)."""
    rng = np.random.default_rng(seed_seq)
    kinds = [k for k in KINDS if mix.get(k, 0) > 0]
    weights = np.array([mix[k] for k in kinds], dtype=np.float64)
    kind = kinds[int(rng.choice(len(kinds), p=weights / weights.sum()))]
    lo, hi = preset.min_pitch_nm, preset.clip_nm - preset.min_pitch_nm
    if kind == "random":
        pts = _random(rng, preset, lo, hi)
    elif kind in ("array", "dense"):
        pts = _array(rng, preset, lo, hi, dense=kind == "dense")
    elif kind == "isolated":
        pts = _isolated(rng, preset, lo, hi)
    else:
        if pool is None:
            raise LithoError("stdcontact clips requested without the StdContact pool", fix="pass the pool")
        pts = _stdcontact(rng, preset, lo, hi, pool)
    # Snap centres to 1 nm like a drawn layout.
    pts = tuple((float(round(x)), float(round(y))) for x, y in pts)
    return ClipDesign(kind, pts, int(seed_seq.generate_state(1)[0]))


def render_masks(designs: Sequence[ClipDesign], preset: ProcessPreset) -> np.ndarray:
    from chipsmith.lithography.layout_io import rasterize

    win = (0.0, 0.0, preset.clip_nm, preset.clip_nm)
    return np.stack([rasterize([_square(x, y, preset.contact_nm) for x, y in d.contacts], win, preset.pixel_nm,
                               merge=False) for d in designs])


def _measure(design: ClipDesign, aerial: np.ndarray, resist: np.ndarray, preset: ProcessPreset) -> np.ndarray:
    win = (0.0, 0.0, preset.clip_nm, preset.clip_nm)
    squares = [_square(x, y, preset.contact_nm) for x, y in design.contacts]
    measures = contours_mod.measure_contacts(resist, 1.0, squares, win, preset.pixel_nm,
                                             search_nm=preset.min_pitch_nm)
    rows = []
    for m in measures:
        thr = float("nan")
        if m.printed and np.isfinite([m.epe_left, m.epe_right, m.epe_bottom, m.epe_top]).all():
            xs = np.array([m.x - m.w / 2 - m.epe_left, m.x + m.w / 2 + m.epe_right, m.x, m.x])
            ys = np.array([m.y, m.y, m.y - m.h / 2 - m.epe_bottom, m.y + m.h / 2 + m.epe_top])
            thr = float(contours_mod.sample(aerial, xs, ys, win, preset.pixel_nm).mean())
        rows.append([m.x, m.y, m.w, m.h, float(m.printed), m.cd_x, m.cd_y, m.epe_left, m.epe_right,
                     m.epe_bottom, m.epe_top, m.area_nm2, thr])
    return np.asarray(rows, dtype=np.float32).reshape(-1, len(CONTACT_COLUMNS))


def check_resist(resist: str) -> None:
    if resist not in RESISTS:
        raise LithoError(f"unknown ground-truth resist {resist!r}", fix=f"use --resist {' or '.join(RESISTS)}")


def simulate_batch(designs: Sequence[ClipDesign], preset: ProcessPreset, *, device: str | None = None,
                   kernels=None, resist: str = "film", film_ks=None):
    """Masks, nominal aerial images, ground-truth resist images and contact tables of a batch.

    ``kernels``/``film_ks``: the preset's SOCS kernels (nominal, and per focal plane of the
    film) computed once by the caller (default: here); a worker process recomputing them
    with other BLAS threading differs in the last bits."""
    check_resist(resist)
    masks = render_masks(designs, preset)
    aer = aerial_image(masks, kernels if kernels is not None else preset.kernels(), preset.pixel_nm, device=device)
    if resist == "film":
        res = film_resist(masks, preset, device=device, kernels=film_ks if film_ks is not None else film_kernels(preset))
    else:
        res = chem_resist(aer, preset.chem, preset.pixel_nm)
    aer_np, res_np = aer.cpu().numpy(), res.cpu().numpy()
    tables = [_measure(d, aer_np[i], res_np[i], preset) for i, d in enumerate(designs)]
    return masks, aer_np, res_np, tables


def _npz_bytes(**arrays) -> bytes:
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    return buf.getvalue()


def generate(out_dir: Path, preset: ProcessPreset, n: int, seed: int, *, shard_size: int = 256,
             mix: dict[str, float] | None = None, batch: int = 32, device: str | None = None,
             on_progress: Callable[[int], None] | None = None, runner: Callable | None = None,
             resist: str = "film") -> dict:
    """Generate ``n`` clips into ``out_dir`` (shards + index.json); returns the summary dict.

    Deterministic: the same ``(preset, n, seed, mix)`` gives the same arrays; each clip's
    design depends only on ``(seed, clip index)``. ``runner(batches, on_result)``, when
    given, simulates a list of design batches (e.g. on dask workers) and returns the
    :func:`simulate_batch` results in order; default: one after the other in-process.
    """
    if n < 1:
        raise LithoError(f"clip count must be >= 1, got {n}", fix="ask for at least one clip (--count)")
    check_resist(resist)
    if shard_size < 1 or batch < 1:
        raise LithoError("shard size and batch must be >= 1", fix="pass positive --shard-size")
    mix = dict(DEFAULT_MIX if mix is None else mix)
    bad = sorted(set(mix) - set(KINDS))
    if bad or not any(v > 0 for v in mix.values()) or any(v < 0 for v in mix.values()):
        raise LithoError(f"bad clip mix {mix}", fix=f"use non-negative weights over: {', '.join(KINDS)}")
    pool = stdcontact_pool() if mix.get("stdcontact", 0) > 0 else None
    t0 = time.perf_counter()
    children = np.random.SeedSequence(seed).spawn(n)
    shards = []
    kind_counts = {k: 0 for k in KINDS}
    all_tables = []
    for s_start in range(0, n, shard_size):
        s_end = min(n, s_start + shard_size)
        designs = [design_clip(children[i], preset, mix, pool) for i in range(s_start, s_end)]
        masks, aers, ress, tables = [], [], [], []
        batches = [designs[b:b + batch] for b in range(0, len(designs), batch)]
        if runner is not None:
            results = runner(batches, lambda _i, res: on_progress(len(res[3])) if on_progress else None)
        else:
            results = []
            for chunk in batches:
                results.append(simulate_batch(chunk, preset, device=device, resist=resist))
                if on_progress:
                    on_progress(len(results[-1][3]))
        for m, a, r, t in results:
            masks.append(m)
            aers.append(a)
            ress.append(r)
            tables.extend(t)
        offsets = np.concatenate([[0], np.cumsum([len(t) for t in tables])]).astype(np.int64)
        contacts = np.concatenate(tables) if tables else np.zeros((0, len(CONTACT_COLUMNS)), np.float32)
        blob = _npz_bytes(
            mask=np.round(np.concatenate(masks) * 255).astype(np.uint8),
            aerial=np.concatenate(aers).astype(np.float16),
            resist=np.concatenate(ress).astype(np.float16),
            kind=np.array([KINDS.index(d.kind) for d in designs], dtype=np.int8),
            clip_seed=np.array([d.seed for d in designs], dtype=np.uint64),
            contacts=contacts,
            contact_offsets=offsets,
        )
        name = f"shard-{len(shards):05d}.npz"
        (out_dir / name).write_bytes(blob)
        shards.append({"file": name, "clips": len(designs), "contacts": int(len(contacts)),
                       "sha256": hashlib.sha256(blob).hexdigest()})
        for d in designs:
            kind_counts[d.kind] += 1
        all_tables.append(contacts)
    kernels = preset.kernels()
    index = {
        "format": FORMAT, "version": VERSION, "node": preset.name, "seed": seed, "n": n,
        "grid": preset.grid, "pixel_nm": preset.pixel_nm, "clip_nm": preset.clip_nm,
        "window": [0.0, 0.0, preset.clip_nm, preset.clip_nm],
        "mix": mix, "kinds": list(KINDS), "contact_columns": list(CONTACT_COLUMNS),
        "images": {"mask": "uint8 coverage*255", "aerial": "float16 intensity at nominal focus (clear field = 1)",
                   "resist": ("float16 development time / front arrival time at the CD depth; opens where >= 1"
                              if resist == "film" else "float16 development depth / thickness; prints where >= 1")},
        "resist": resist, "resist_model": RESIST_DESCRIPTIONS[resist],
        "resist_level": 1.0, "kernels": {"name": kernels.name, "count": kernels.count, "size": kernels.size},
        "preset": preset.to_dict(), "shards": shards,
    }
    (out_dir / "index.json").write_text(json.dumps(index, indent=2) + "\n")
    table = np.concatenate(all_tables)
    printed = table[:, CONTACT_COLUMNS.index("printed")] > 0
    cd = table[printed][:, [CONTACT_COLUMNS.index("cd_x"), CONTACT_COLUMNS.index("cd_y")]]
    thr = table[:, CONTACT_COLUMNS.index("threshold")]
    thr = thr[np.isfinite(thr)]
    cd = cd[np.all(np.isfinite(cd), axis=1)]
    return {
        "node": preset.name, "n": n, "seed": seed, "resist": resist, "shards": len(shards), "kinds": kind_counts,
        "contacts": int(len(table)), "printed": int(printed.sum()), "missing": int((~printed).sum()),
        "cd_mean_nm": float(cd.mean()) if len(cd) else None, "cd_std_nm": float(cd.std()) if len(cd) else None,
        "contact_nm": preset.contact_nm,
        "threshold_mean": float(thr.mean()) if len(thr) else None,
        "threshold_std": float(thr.std()) if len(thr) else None,
        "seconds": round(time.perf_counter() - t0, 3),
    }


@dataclass(frozen=True, eq=False)
class ContactDataset:
    """Read access to a generated dataset (all shards loaded lazily, one at a time)."""

    root: Path
    index: dict

    @classmethod
    def open(cls, root: Path | str) -> "ContactDataset":
        root = Path(root)
        path = root / "index.json"
        if not path.is_file():
            raise LithoError("no index.json", where=str(root), fix="point at a `chipsmith litho generate` output")
        index = json.loads(path.read_text())
        if index.get("format") != FORMAT or index.get("version") != VERSION:
            raise LithoError(f"unsupported dataset format {index.get('format')} v{index.get('version')}",
                             where=str(path), fix=f"regenerate with this chipsmith ({FORMAT} v{VERSION})")
        return cls(root, index)

    def __len__(self) -> int:
        return int(self.index["n"])

    def shard(self, k: int, *, verify: bool = False) -> dict[str, np.ndarray]:
        info = self.index["shards"][k]
        blob = (self.root / info["file"]).read_bytes()
        if verify and hashlib.sha256(blob).hexdigest() != info["sha256"]:
            raise LithoError("shard checksum mismatch", where=str(self.root / info["file"]),
                             fix="the file changed since generation; regenerate the dataset")
        with np.load(io.BytesIO(blob)) as z:
            return {k2: z[k2] for k2 in z.files}
