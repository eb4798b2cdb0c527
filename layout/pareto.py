"""Pareto fronts of ACIM designs: non-domination, hypervolume, distilling by requirements, plots.

Objectives are SNR (dB, maximize), TOPS/W (maximize) and F²/bit (minimize). The
hypervolume is measured in a fixed normalized box so that runs, seeds and the
random-search baseline are comparable: x1 = 1 - SNR/80 dB, x2 = 1 - log10(TOPS/W)/5,
x3 = log10(F²/bit)/5, reference point (1, 1, 1) (a design with 0 dB, 1 TOPS/W and
1e5 F²/bit contributes nothing). Only feasible designs count.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from chipsmith.errors import InputError

SNR_REF_DB = 80.0
TOPSW_REF_DECADES = 5.0
F2_REF_DECADES = 5.0


def minimization_matrix(snr_db: np.ndarray, tops_w: np.ndarray, f2_per_bit: np.ndarray) -> np.ndarray:
    """(n, 3) objectives, all to be minimized, in the normalized hypervolume box."""
    return np.stack([1.0 - np.asarray(snr_db, float) / SNR_REF_DB,
                     1.0 - np.log10(np.maximum(np.asarray(tops_w, float), 1e-12)) / TOPSW_REF_DECADES,
                     np.log10(np.maximum(np.asarray(f2_per_bit, float), 1e-12)) / F2_REF_DECADES], axis=1)


def nondominated_mask(points: np.ndarray) -> np.ndarray:
    """Boolean mask of the points no other point dominates (minimization; duplicates kept once)."""
    pts = np.asarray(points, float)
    n = len(pts)
    keep = np.ones(n, dtype=bool)
    for i in range(n):
        if not keep[i]:
            continue
        le = np.all(pts <= pts[i], axis=1)
        lt = np.any(pts < pts[i], axis=1)
        dominated_by = le & lt
        if dominated_by.any():
            keep[i] = False
            continue
        same = np.all(pts == pts[i], axis=1)
        same[: i + 1] = False
        keep[same] = False  # drop later duplicates of a kept point
    return keep


def _hv2d(points: np.ndarray, ref: np.ndarray) -> float:
    """Area dominated by 2D points (minimization) up to ``ref``."""
    pts = points[np.all(points < ref, axis=1)]
    if len(pts) == 0:
        return 0.0
    pts = pts[np.lexsort((pts[:, 1], pts[:, 0]))]
    # sweep strips along x: between consecutive x the dominated height is ref_y - min y so far
    area = 0.0
    best_y = ref[1]
    xs = pts[:, 0]
    for i in range(len(pts)):
        best_y = min(best_y, pts[i, 1])
        x_next = xs[i + 1] if i + 1 < len(pts) else ref[0]
        area += (x_next - xs[i]) * (ref[1] - best_y)
    return float(area)


def hypervolume(points: np.ndarray, ref: Sequence[float] = (1.0, 1.0, 1.0)) -> float:
    """Exact 3D hypervolume (minimization) by slicing along the third objective."""
    ref = np.asarray(ref, float)
    pts = np.asarray(points, float).reshape(-1, 3)
    pts = pts[np.all(pts < ref, axis=1)]
    if len(pts) == 0:
        return 0.0
    pts = pts[nondominated_mask(pts)]
    pts = pts[np.argsort(pts[:, 2], kind="stable")]
    volume = 0.0
    for i in range(len(pts)):
        z_next = pts[i + 1, 2] if i + 1 < len(pts) else ref[2]
        if z_next > pts[i, 2]:
            volume += (z_next - pts[i, 2]) * _hv2d(pts[: i + 1, :2], ref[:2])
    return float(volume)


def front_hypervolume(metrics: Mapping[str, np.ndarray], feasible: np.ndarray) -> float:
    """Hypervolume of the feasible designs in ``metrics`` (normalized box, see module doc)."""
    if not np.any(feasible):
        return 0.0
    m = minimization_matrix(metrics["snr_db"][feasible], metrics["tops_w"][feasible], metrics["f2_per_bit"][feasible])
    return hypervolume(m)


# --- distilling a front by requirements ----------------------------------------------------

@dataclass(frozen=True)
class Requirements:
    """Bounds a user puts on a front (None = no bound)."""

    min_snr_db: float | None = None
    min_tops_w: float | None = None
    max_area_um2: float | None = None
    max_f2_per_bit: float | None = None
    min_tops: float | None = None

    def items(self) -> list[tuple[str, str, str, float]]:
        """(option, metric key, 'min'|'max', value) for each bound that is set."""
        table = (("--min-snr", "snr_db", "min", self.min_snr_db), ("--min-tops-w", "tops_w", "min", self.min_tops_w),
                 ("--max-area", "area_um2", "max", self.max_area_um2),
                 ("--max-f2-bit", "f2_per_bit", "max", self.max_f2_per_bit), ("--min-tops", "tops", "min", self.min_tops))
        return [(o, k, s, float(v)) for o, k, s, v in table if v is not None]

    def validate(self) -> None:
        for option, _key, _sense, value in self.items():
            if not np.isfinite(value) or value < 0 or (value == 0 and option.startswith("--max")):
                raise InputError(f"{option} {value:g} is not a usable bound", fix="give a positive number")

    def to_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v is not None}


def design_value(design: Mapping, key: str) -> float:
    """A metric of one pareto.json design record (objectives first, then metrics)."""
    for section in ("objectives", "metrics"):
        if key in design.get(section, {}):
            return float(design[section][key])
    raise InputError(f"design {design.get('id')} has no metric {key!r}", fix="regenerate the front with acim explore")


def distill(designs: Sequence[Mapping], req: Requirements, *, sort_by: str = "tops_w", top: int | None = None,
            source: str = "pareto.json") -> list[Mapping]:
    """Designs of a front meeting every bound, best ``sort_by`` first; none left → InputError
    naming the bound that removed the last candidates and the best value the front offers."""
    req.validate()
    keep = list(designs)
    for option, key, sense, value in req.items():
        passed = [d for d in keep if (design_value(d, key) >= value if sense == "min" else design_value(d, key) <= value)]
        if not passed:
            values = [design_value(d, key) for d in keep]
            best = max(values) if sense == "min" else min(values)
            raise InputError(f"no design on the front meets {option} {value:g} (best remaining: {best:.4g})",
                             where=source, fix=f"relax {option} or explore with it as a constraint")
        keep = passed
    descending = sort_by not in ("area_um2", "f2_per_bit", "um2_per_bit", "cycles_per_mac")
    keep.sort(key=lambda d: design_value(d, sort_by), reverse=descending)
    return keep[:top] if top else keep


# --- plots --------------------------------------------------------------------------------

def plot_front(path: Path, front: Mapping[str, np.ndarray], cloud: Mapping[str, np.ndarray] | None = None,
               hv_history: Sequence[float] | None = None, hv_random: Sequence[float] | None = None,
               title: str = "") -> None:
    """PNG: TOPS/W vs F²/bit coloured by SNR, SNR vs TOPS/W, and hypervolume per generation."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import NullFormatter

    ncols = 3 if hv_history else 2
    fig, axes = plt.subplots(1, ncols, figsize=(5.2 * ncols, 4.3))
    ax = axes[0]
    if cloud is not None and len(cloud["tops_w"]):
        ax.scatter(cloud["f2_per_bit"], cloud["tops_w"], s=4, c="0.8", label="evaluated (feasible)")
    sc = ax.scatter(front["f2_per_bit"], front["tops_w"], c=front["snr_db"], cmap="viridis", s=22, edgecolor="k",
                    linewidth=0.3, label="Pareto front")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("area (F²/bit)")
    ax.set_ylabel("energy efficiency (TOPS/W, 1b ops)")
    fig.colorbar(sc, ax=ax, label="SNR (dB)")
    ax.legend(fontsize=7, loc="lower right")
    ax = axes[1]
    ax.scatter(front["tops_w"], front["snr_db"], c=np.log10(front["f2_per_bit"]), cmap="plasma", s=22,
               edgecolor="k", linewidth=0.3)
    ax.set_xscale("log")
    ax.set_xlabel("TOPS/W")
    ax.set_ylabel("SNR (dB)")
    ax.set_title("colour: log10 F²/bit", fontsize=8)
    for ax in axes[:2]:
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.yaxis.set_minor_formatter(NullFormatter())
    if hv_history:
        ax = axes[2]
        ax.plot(range(len(hv_history)), hv_history, label="NSGA-II")
        if hv_random:
            ax.plot(range(len(hv_random)), hv_random, "--", label="random search (same evaluations)")
        ax.set_xlabel("generation")
        ax.set_ylabel("hypervolume (normalized)")
        ax.legend(fontsize=8)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)

