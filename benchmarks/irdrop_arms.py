"""Tables of the 4-arm IR-drop comparison (`benchmarks/device/irdrop_arms.sh`): runs.tar (or its unpacked folder) -> JSON.

usage: python -m chipsmith.benchmarks.irdrop_arms RUNS_DIR_OR_TAR OUT.json

Every figure is read from each arm's `irdrop eval --split test` output (golden maps: the contest's own
for contest cases, the exact solver's for generated ones); the arms share data, splits, seeds and time budget.
"""
from __future__ import annotations

import json
import sys
import tarfile
import tempfile
from pathlib import Path

import numpy as np

ARMS = {"unet_n": "U-Net, contest maps only (the issue's baseline)", "pdnnet_n": "PDNNet, learned GNN branch, no prior",
        "unet_p": "U-Net + 128-step CG prior channel", "pdnnet_p": "PDNNet + 128-step CG prior (shipped)"}


def load(runs: Path) -> dict:
    out = {}
    for arm in ARMS:
        for split in "ab":
            d = runs / f"{arm}_{split}"
            if (d / "eval" / "summary.json").is_file():
                out[(arm, split)] = {"eval": json.loads((d / "eval" / "summary.json").read_text()),
                                     "train": json.loads((d / "train" / "summary.json").read_text())}
    return out


def mean(rows: list[dict], key: str) -> float | None:
    v = [r[key] for r in rows if r.get(key) is not None]
    return float(np.mean(v)) if v else None


def report(runs: Path) -> dict:
    got = load(runs)
    res: dict = {"arms": ARMS, "per_arm": {}}
    for arm in ARMS:
        rows = {s: got[(arm, s)]["eval"]["cases"] for s in "ab" if (arm, s) in got}
        real = [r for s in rows for r in rows[s] if r["group"] == "real"]
        alls = [r for s in rows for r in rows[s]]
        dyn = [r for r in alls if r.get("dynamic_mae_V") is not None]
        res["per_arm"][arm] = {
            "splits": sorted(rows), "epochs": {s: got[(arm, s)]["train"]["epochs_run"] for s in rows},
            "train_seconds": {s: round(got[(arm, s)]["train"]["train_seconds"], 1) for s in rows},
            "real": {r["case"].split("/")[-1]: {"mae_V": r["mae_V"], "hotspot_f1": r["hotspot_f1"]} for r in real},
            "real_mean_mae_V": mean(real, "mae_V"), "real_mean_hotspot_f1": mean(real, "hotspot_f1"),
            "all_cases": len(alls), "all_mean_mae_V": mean(alls, "mae_V"), "all_mean_hotspot_f1": mean(alls, "hotspot_f1"),
            "prior_real_mean_mae_V": mean(real, "prior_mae_V"), "prior_all_mean_mae_V": mean(alls, "prior_mae_V"),
            "dynamic_cases": len(dyn), "dynamic_mean_mae_V": mean(dyn, "dynamic_mae_V"),
            "dynamic_mean_hotspot_f1": mean(dyn, "dynamic_hotspot_f1"),
            "median_forward_seconds": float(np.median([r["forward_seconds"] for r in alls])),
            "median_predict_seconds": float(np.median([r["predict_seconds"] for r in alls])),
        }
        for k in ("exact_over_forward", "exact_over_predict", "dynamic_exact_over_forward", "dynamic_exact_over_predict"):
            v = [r[k] for r in alls if r.get(k) is not None]
            if v:
                res["per_arm"][arm][f"median_{k}"] = float(np.median(v))
    p = res["per_arm"]

    def below(a: str, b: str, key: str) -> float | None:
        x, y = p[a].get(key), p[b].get(key)
        return None if x is None or y is None else 1.0 - x / y

    res["mae_reduction"] = {f"{a}_vs_{b}": {"real": below(a, b, "real_mean_mae_V"), "all": below(a, b, "all_mean_mae_V")}
                            for a, b in (("pdnnet_p", "unet_n"), ("pdnnet_n", "unet_n"), ("pdnnet_p", "unet_p"),
                                         ("unet_p", "unet_n"))}
    return res


if __name__ == "__main__":
    src, out = Path(sys.argv[1]), Path(sys.argv[2])
    if src.suffix == ".tar":
        with tempfile.TemporaryDirectory() as tmp, tarfile.open(src) as tar:
            tar.extractall(tmp)
            r = report(Path(tmp))
    else:
        r = report(src)
    out.write_text(json.dumps(r, indent=1) + "\n")
    for arm, v in r["per_arm"].items():
        print(f"{arm:9s} real {v['real_mean_mae_V']:.3e}/{v['real_mean_hotspot_f1']:.3f}  all({v['all_cases']}) "
              f"{v['all_mean_mae_V']:.3e}/{v['all_mean_hotspot_f1']:.3f}  dyn({v['dynamic_cases']}) "
              f"{v['dynamic_mean_mae_V'] or 0:.3e}/{v['dynamic_mean_hotspot_f1'] or 0:.3f}  epochs {v['epochs']}")
    print(json.dumps(r["mae_reduction"]))
