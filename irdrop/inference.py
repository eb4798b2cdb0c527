"""Prediction with a trained checkpoint and the metrics used to judge it.

Metrics (per case, on the case's native 1 µm map, [x][y]):

* ``mae_V``: mean absolute error; ``max_error_V``: largest absolute pixel error;
* ``hotspot_f1``: F1 of hotspot pixels, a hotspot being a pixel above 90 % of *that map's*
  maximum (the contest definition, applied to the golden and the predicted map alike);
* ``corr``: Pearson correlation of the two maps;
* ``max_drop_rel_error``: relative error of the predicted maximum drop.

The golden map is never touched by the model: it is read from the case's
``ir_drop_map.csv`` (contest SPICE result, or the exact solver for generated cases).
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from chipsmith.irdrop.maps import compare


def map_metrics(pred: np.ndarray, golden: np.ndarray, fraction: float = 0.9) -> dict[str, float]:
    c = compare(pred, golden)
    hp = pred > fraction * pred.max()
    hg = golden > fraction * golden.max()
    tp = float(np.sum(hp & hg))
    f1 = 2 * tp / max(float(hp.sum() + hg.sum()), 1.0)
    if pred.std() > 0 and golden.std() > 0:
        corr = float(np.corrcoef(pred.ravel(), golden.ravel())[0, 1])
    else:
        corr = None  # undefined for a constant map; JSON null, never NaN
    return {"mae_V": c["mae"], "max_error_V": c["max_abs_error"], "hotspot_f1": f1, "corr": corr,
            "max_drop_V": c["max_drop"], "golden_max_drop_V": c["golden_max_drop"],
            "max_drop_rel_error": c["max_drop_rel_error"]}


@dataclass(frozen=True)
class Prediction:
    """Predicted maps in volts at the case's native shape ([x][y], 1 µm)."""

    static: np.ndarray
    dynamic: np.ndarray | None
    forward_seconds: float


def _sync(device: str) -> None:
    if str(device).startswith("cuda"):
        import torch

        torch.cuda.synchronize()


def predict_item(loaded, item, *, device: str = "cpu", tta: bool | None = None,
                 prior_native: np.ndarray | None = None) -> Prediction:
    """Run the model on one processed case (a HeteroData from :func:`graph_dataset.build_item`).

    ``tta``: average over the 8 flips/transposes of the input (default: the checkpoint's
    ``config.tta``); the forward time then covers the 8-copy batch, transforms included.
    ``prior_native``: for a model with the physics prior, the prior's 1 µm map (V): the
    model's correction (output - prior, on the S×S grid) is upsampled and added to it, so
    the prior's detail is not lost to the coarser model grid."""
    import torch
    from torch_geometric.data import Batch

    from chipsmith.irdrop.features import upsample

    tta = getattr(loaded.config, "tta", False) if tta is None else tta
    with torch.no_grad():
        _sync(device)
        t0 = time.perf_counter()
        if tta:
            # the 8 symmetric copies go through the model as one batch; each output is mapped
            # back and the 8 are averaged (the models were trained with these augmentations)
            from chipsmith.irdrop.training import DIHEDRAL, transform, untransform_output

            batch = Batch.from_data_list([transform(item.clone(), *t) for t in DIHEDRAL]).to(device)
            raw = loaded.model(batch)
            out = torch.stack([untransform_output(raw[k:k + 1], *t)[0] for k, t in enumerate(DIHEDRAL)]).mean(0)[None]
        else:
            batch = Batch.from_data_list([item]).to(device)
            out = loaded.model(batch)
        _sync(device)
        fwd = time.perf_counter() - t0
    total = float(item.total_current[0])
    shape = tuple(int(v) for v in item.native_shape[0])
    maps = out[0].double().cpu() * loaded.target_scale * total
    if prior_native is not None and getattr(item, "prior", None) is not None:
        coarse = item.prior[0].double().cpu() * total  # (1, S, S) V, what the model saw
        native = upsample((maps - coarse).numpy(), shape) + np.asarray(prior_native)[None]
        native = np.maximum(native, 0.0)
    else:
        native = upsample(maps.clamp(min=0).numpy(), shape)
    dyn = native[1] if native.shape[0] > 1 else None
    return Prediction(static=native[0], dynamic=dyn, forward_seconds=fwd)


def warm_up(loaded, item, device: str) -> None:
    """One untimed forward pass (kernel selection, allocator) before timing."""
    predict_item(loaded, item, device=device)
