"""Training samples for the learned resist models, cut from a `litho generate` dataset.

Per contact (the threshold CNN): an aerial + mask patch of ``patch x patch`` pixels centred
on the drawn contact (bilinear, so the sub-pixel position is kept), the ground-truth
effective threshold, CD x/y and the four edge EPEs of the ground-truth resist model, and the
four aerial profiles from the centre outwards (step pixel/4) from which a threshold is
turned into a CD and EPEs (:func:`slice_cd`).

Per clip (the fully convolutional model): the whole aerial and mask image, the resist
image and the index of its contacts.

Both presets sample contacts at nearly the same number of pixels (new: 65 nm at 8 nm,
old: 110 nm at 12 nm) and resolve about the same number of pixels (lambda/NA: 18.9 px old,
17.9 px new), so a patch covers the same optical neighbourhood in both nodes. Intensities
are not on one scale (clear field = 1: an isolated contact peaks at 0.32 old, 0.21 new);
:func:`reference_intensity` gives each node's sizing threshold to express them in.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from chipsmith.errors import LithoError
from chipsmith.lithography.dataset import CONTACT_COLUMNS, ContactDataset

PATCH = 32
COL = {c: i for i, c in enumerate(CONTACT_COLUMNS)}


@dataclass(frozen=True, eq=False)
class ContactSamples:
    """Arrays over contacts (``N``) and clips (``B``) of one dataset."""

    node: str
    pixel_nm: float
    grid: int
    contact_nm: float
    patches: np.ndarray      # (N, 2, P, P) float32: aerial, mask coverage
    threshold: np.ndarray    # (N,) effective threshold of the ground truth (mean of the 4 edges)
    edge_threshold: np.ndarray  # (N, 4) aerial intensity at the ground-truth edges: +x, -x, +y, -y
    cd: np.ndarray           # (N, 2) CD x, y (nm)
    epe: np.ndarray          # (N, 4) left, right, bottom, top (nm)
    profiles: np.ndarray     # (N, 4, T) aerial from the centre outwards: +x, -x, +y, -y
    step_nm: float
    clip_of: np.ndarray      # (N,) clip index of each contact
    aerial: np.ndarray       # (B, H, W) float32
    mask: np.ndarray         # (B, H, W) float32
    resist: np.ndarray       # (B, H, W) float32 development depth / thickness (prints >= 1)
    kind: np.ndarray         # (B,) clip kind index (dataset.KINDS)
    i_ref: float = 1.0       # the node's reference intensity (reference_intensity)

    def __len__(self) -> int:
        return int(len(self.threshold))

    @property
    def clips(self) -> int:
        return int(len(self.aerial))

    def take(self, idx: np.ndarray) -> "ContactSamples":
        """The contacts ``idx`` (the clip arrays stay whole, so ``clip_of`` still points into them)."""
        from dataclasses import replace

        return replace(self, patches=self.patches[idx], threshold=self.threshold[idx],
                       edge_threshold=self.edge_threshold[idx], cd=self.cd[idx], epe=self.epe[idx],
                       profiles=self.profiles[idx], clip_of=self.clip_of[idx])

    def meta(self) -> dict:
        return {"node": self.node, "pixel_nm": self.pixel_nm, "grid": self.grid, "patch": int(self.patches.shape[-1]),
                "contact_nm": self.contact_nm}


def reference_intensity(preset) -> float:
    """The node's sizing threshold from its optics alone (no labels): the nominal-focus aerial
    intensity at the drawn edges of one isolated contact, the level a constant-threshold
    resist dosed to size would print it at. Film ground truth: 0.962 (old) and 0.982 (new)
    of it on average, so in these units both nodes' thresholds sit near 1."""
    from chipsmith.lithography.aerial import aerial_image
    from chipsmith.lithography.contours import sample
    from chipsmith.lithography.layout_io import rasterize, rect

    mid, h = preset.clip_nm / 2, preset.contact_nm / 2
    win = (0.0, 0.0, preset.clip_nm, preset.clip_nm)
    mask = rasterize([rect(mid - h, mid - h, mid + h, mid + h)], win, preset.pixel_nm)
    img = aerial_image(mask, preset.kernels(), preset.pixel_nm, device="cpu").cpu().numpy()
    xs, ys = np.array([mid + h, mid - h, mid, mid]), np.array([mid, mid, mid + h, mid - h])
    return float(sample(img, xs, ys, win, preset.pixel_nm).mean())


def _bilinear(img: np.ndarray, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    from scipy.ndimage import map_coordinates

    return map_coordinates(img, [rows.ravel(), cols.ravel()], order=1, mode="nearest").reshape(rows.shape)


def load(root, *, patch: int = PATCH, limit: int | None = None, patch_nm: float | None = None) -> ContactSamples:
    """Cut the samples of a dataset folder (``limit``: only its first clips). Contacts that did
    not print or whose CD is unresolved carry no threshold label and are left out.
    ``patch_nm``: sample the patches every ``patch_nm`` nm instead of every node pixel, so that
    two nodes' patches share a physical scale (the resist acts in nm) rather than an optical one."""
    ds = ContactDataset.open(root)
    idx = ds.index
    pixel, grid = float(idx["pixel_nm"]), int(idx["grid"])
    reach = float(idx["preset"]["min_pitch_nm"])
    step = pixel / 4
    t = np.arange(0.0, reach + step / 2, step)
    offs = (np.arange(patch) - patch / 2 + 0.5) * (patch_nm / pixel if patch_nm else 1.0)  # in pixels
    parts: dict[str, list] = {k: [] for k in ("patches", "threshold", "edge_threshold", "cd", "epe", "profiles",
                                              "clip_of")}
    aer_all, mask_all, res_all, kind_all = [], [], [], []
    base = 0
    for k in range(len(idx["shards"])):
        sh = ds.shard(k)
        aer = sh["aerial"].astype(np.float32)
        msk = sh["mask"].astype(np.float32) / 255.0
        res = sh["resist"].astype(np.float32)
        contacts, offsets = sh["contacts"], sh["contact_offsets"]
        n_clips = len(aer)
        if limit is not None:
            n_clips = min(n_clips, limit - base)
        for b in range(n_clips):
            rows = contacts[offsets[b]:offsets[b + 1]]
            for r in rows:
                thr = r[COL["threshold"]]
                if not (r[COL["printed"]] > 0 and np.isfinite(thr)):
                    continue
                # (row, col) of the contact centre in pixel-index units (pixel centres at (i + .5) p).
                cr, cc = r[COL["y"]] / pixel - 0.5, r[COL["x"]] / pixel - 0.5
                rr, cc2 = np.meshgrid(cr + offs, cc + offs, indexing="ij")
                parts["patches"].append(np.stack([_bilinear(aer[b], rr, cc2), _bilinear(msk[b], rr, cc2)]))
                tp = t / pixel
                parts["profiles"].append(np.stack([
                    _bilinear(aer[b], np.full_like(tp, cr), cc + tp), _bilinear(aer[b], np.full_like(tp, cr), cc - tp),
                    _bilinear(aer[b], cr + tp, np.full_like(tp, cc)), _bilinear(aer[b], cr - tp, np.full_like(tp, cc))]))
                # Aerial at the true edges (the profiles run +x, -x, +y, -y from the centre).
                w2, h2 = r[COL["w"]] / 2, r[COL["h"]] / 2
                dist = np.array([w2 + r[COL["epe_right"]], w2 + r[COL["epe_left"]], h2 + r[COL["epe_top"]],
                                 h2 + r[COL["epe_bottom"]]])
                prof = parts["profiles"][-1]
                parts["edge_threshold"].append([np.interp(d, t, prof[j]) for j, d in enumerate(dist)])
                parts["threshold"].append(thr)
                parts["cd"].append([r[COL["cd_x"]], r[COL["cd_y"]]])
                parts["epe"].append([r[COL["epe_left"]], r[COL["epe_right"]], r[COL["epe_bottom"]], r[COL["epe_top"]]])
                parts["clip_of"].append(base + b)
        aer_all.append(aer[:n_clips])
        mask_all.append(msk[:n_clips])
        res_all.append(res[:n_clips])
        kind_all.append(sh["kind"][:n_clips])
        base += n_clips
        if limit is not None and base >= limit:
            break
    if not parts["threshold"]:
        raise LithoError("dataset holds no printed contact with a threshold label", where=str(root),
                         fix="generate more clips (litho generate --count N)")
    return ContactSamples(
        node=str(idx["node"]), pixel_nm=pixel, grid=grid, contact_nm=float(idx["preset"]["contact_nm"]),
        patches=np.asarray(parts["patches"], np.float32), threshold=np.asarray(parts["threshold"], np.float32),
        edge_threshold=np.asarray(parts["edge_threshold"], np.float32),
        cd=np.asarray(parts["cd"], np.float32), epe=np.asarray(parts["epe"], np.float32),
        profiles=np.asarray(parts["profiles"], np.float32), step_nm=step,
        clip_of=np.asarray(parts["clip_of"], np.int64), aerial=np.concatenate(aer_all), mask=np.concatenate(mask_all),
        resist=np.concatenate(res_all), kind=np.concatenate(kind_all),
        i_ref=_reference_of(idx))


def _reference_of(index: dict) -> float:
    from chipsmith.lithography.presets import preset_from_dict

    return reference_intensity(preset_from_dict(index["preset"], where="index.json preset"))


def slice_cd(profiles: np.ndarray, threshold: np.ndarray, step_nm: float) -> tuple[np.ndarray, np.ndarray]:
    """CD x/y and the four edge positions (nm from the centre) where each contact's aerial
    profile first drops below its threshold (``(N,)``: one per contact, or ``(N, 4)``: one per
    edge +x, -x, +y, -y); nan where it never does (unresolved)."""
    threshold = np.asarray(threshold, dtype=np.float32)
    thr = np.broadcast_to(threshold[:, None] if threshold.ndim == 1 else threshold, profiles.shape[:2])
    below = profiles < thr[..., None]
    first = np.argmax(below, axis=-1)
    found = below.any(axis=-1) & (first > 0)
    i = np.clip(first, 1, profiles.shape[-1] - 1)
    a = np.take_along_axis(profiles, (i - 1)[..., None], -1)[..., 0]
    b = np.take_along_axis(profiles, i[..., None], -1)[..., 0]
    frac = (a - thr) / np.where(a - b == 0, 1.0, a - b)
    edge = np.where(found, (i - 1 + frac) * step_nm, np.nan)  # (N, 4): +x, -x, +y, -y
    cd = np.stack([edge[:, 0] + edge[:, 1], edge[:, 2] + edge[:, 3]], axis=1)
    return cd, edge


def edge_epe(edges: np.ndarray, contact_nm: float) -> np.ndarray:
    """Edges (+x, -x, +y, -y from the centre) → EPE (left, right, bottom, top), outward positive."""
    half = contact_nm / 2
    return np.stack([edges[:, 1] - half, edges[:, 0] - half, edges[:, 3] - half, edges[:, 2] - half], axis=1)

