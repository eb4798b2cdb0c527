"""Writing maps: contest-style CSV, ``.npy``, and a PNG heat map with the worst spot marked.

CSV and ``.npy`` hold the map in the requested orientation (``xy`` = contest [x][y],
``image`` = rows are y, top row at the largest y). The PNG always shows the layout the
right way up (x to the right, y up) whatever the orientation of the arrays.
"""
from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np

from chipsmith.artifacts import atomic_write_bytes, atomic_write_text
from chipsmith.irdrop.maps import orient


def csv_text(array2d: np.ndarray, fmt: str = "%.5e") -> str:
    """Comma-separated matrix in the contest's number format (6 significant digits)."""
    buf = io.StringIO()
    np.savetxt(buf, np.asarray(array2d), fmt=fmt, delimiter=",")
    return buf.getvalue()


def npy_bytes(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.save(buf, np.asarray(array), allow_pickle=False)
    return buf.getvalue()


def write_npz(path: Path, **arrays: np.ndarray) -> None:
    """Like ``numpy.savez`` but byte-for-byte reproducible (fixed zip timestamps)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, arr in arrays.items():
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, npy_bytes(arr))
    atomic_write_bytes(path, buf.getvalue())


def worst_pixel(map_xy: np.ndarray) -> tuple[int, int]:
    i, j = np.unravel_index(int(np.argmax(map_xy)), map_xy.shape)
    return int(i), int(j)


def png_bytes(map_xy: np.ndarray, title: str, *, label: str = "IR drop (mV)", scale: float = 1e3) -> bytes:
    """Heat map (x right, y up) in mV with the worst pixel circled and labelled."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 5), dpi=100)
    im = ax.imshow(np.asarray(map_xy).T * scale, origin="lower", cmap="jet", interpolation="nearest")
    wx, wy = worst_pixel(map_xy)
    ax.plot([wx], [wy], marker="o", markersize=14, markerfacecolor="none", markeredgecolor="white", mew=2)
    ax.plot([wx], [wy], marker="+", markersize=10, color="black", mew=1.5)
    ax.annotate(f"worst {map_xy[wx, wy] * scale:.3f} mV @ ({wx}, {wy}) um", (wx, wy),
                xytext=(0.02, 0.97), textcoords="axes fraction", va="top", color="white",
                fontsize=8, bbox=dict(facecolor="black", alpha=0.5, pad=2))
    ax.set_xlabel("x (um)")
    ax.set_ylabel("y (um)")
    ax.set_title(title, fontsize=9)
    fig.colorbar(im, ax=ax, label=label)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    plt.close(fig)
    return buf.getvalue()


def write_map(stage: Path, stem: str, map_xy: np.ndarray, *, orientation: str = "xy",
              title: str | None = None, png: bool = True) -> list[str]:
    """Write ``stem.csv``, ``stem.npy`` (and ``stem.png``) into ``stage``; returns the file names."""
    arr = orient(map_xy, orientation)
    atomic_write_text(stage / f"{stem}.csv", csv_text(arr))
    atomic_write_bytes(stage / f"{stem}.npy", npy_bytes(arr))
    files = [f"{stem}.csv", f"{stem}.npy"]
    if png:
        atomic_write_bytes(stage / f"{stem}.png", png_bytes(map_xy, title or stem))
        files.append(f"{stem}.png")
    return files
