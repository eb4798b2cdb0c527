"""Train one arm of the 4-arm comparison (flows.train = `chipsmith irdrop train --config PRESET`),
evaluate it on its held-out test split (flows.evaluate = `irdrop eval --split test`);
with EXACT=1, times the exact static / transient path per case beside the prediction.
usage: train_arm.py MODEL PRESET BUDGET_S OUT CACHE SEED HOLDOUT(a|b) EXACT(0|1) DATA..."""
import os
import sys
import time
from pathlib import Path

from chipsmith.irdrop import flows

SYN = ("synthetic/case21", "synthetic/case27", "synthetic/case38", "synthetic/case97")
HOLDOUT = {"a": ("real/testcase2", "real/testcase12") + SYN, "b": ("real/testcase1", "real/testcase11") + SYN}
DEV = os.environ.get("DEV", "cuda")
KEEP = ("cases", "mean_mae_V", "mean_hotspot_f1", "mean_corr", "mean_prior_mae_V", "mean_prior_hotspot_f1",
        "median_forward_seconds", "mean_dynamic_mae_V", "mean_dynamic_hotspot_f1")

if __name__ == "__main__":
    model, preset, budget, out, cache, seed, hold, exact = sys.argv[1], sys.argv[2], float(sys.argv[3]), \
        Path(sys.argv[4]), Path(sys.argv[5]), int(sys.argv[6]), sys.argv[7], sys.argv[8] == "1"
    data = sys.argv[9:]
    t0 = time.perf_counter()
    s = flows.train(data, out / "train", model=model, preset=preset, seed=seed, test_cases=HOLDOUT[hold],
                    time_budget_s=budget, cache=cache, workers=4, device=DEV, evaluate_test=False, quiet=True)
    print(out.name, "epochs", s["epochs_run"], "train_s", round(s["train_seconds"]), "splits", s["splits"],
          "best_val", s["best_val_loss"], flush=True)
    e = flows.evaluate(out / "train", data, out / "eval", split="test", cache=cache, workers=4, device=DEV,
                       exact_timing=exact, quiet=True)
    print(out.name, "eval", {g: {k: v for k, v in d.items() if k in KEEP} for g, d in e["summary"].items()},
          flush=True)
    for r in e["cases"]:
        if "iccad23" in r["case"]:
            print(out.name, "REAL", r["case"].split("/")[-1], round(r["mae_V"] * 1e4, 3), round(r["hotspot_f1"], 3),
                  flush=True)
    (out / "done").write_text(f"{time.perf_counter() - t0:.1f}\n")
