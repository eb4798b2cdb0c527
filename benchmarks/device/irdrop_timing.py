"""Time per case of the exact static path vs the physics prior + model, on the
GPU and on the CPU, same process; then the exact sparse solve vs K CG steps on one large generated grid.
usage: irdrop_timing.py OUT.json K BIG_NODES MODEL_DIR... -- CASE_DIR..."""
import json
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch

from chipsmith.irdrop.graph_dataset import build_item, case_ref, read_map
from chipsmith.irdrop.inference import map_metrics, predict_item
from chipsmith.irdrop.maps import MapBuilder, default_shape
from chipsmith.irdrop.parser import parse_pdn
from chipsmith.irdrop.prior import pooled_map, prior_drop
from chipsmith.irdrop.static import solve_static
from chipsmith.irdrop.training import load_checkpoint


def best(f, n=5):
    ts = []
    for _ in range(n):
        t0 = time.perf_counter()
        f()
        ts.append(time.perf_counter() - t0)
    return float(np.median(ts))


def dump(out, rows, big):
    json.dump({"rows": rows, "big": big}, open(out, "w"), indent=1)


def big_grid(n_nodes, k, devs, seed=1):
    from chipsmith.irdrop.generate import GeneratorConfig, config_for_nodes, generate_pdn

    t0 = time.perf_counter()
    pdn = generate_pdn(config_for_nodes(n_nodes, GeneratorConfig()), seed, with_names=False).pdn
    r = {"nodes": int(pdn.n_nodes), "generate_s": time.perf_counter() - t0, "iterations": k,
         "threads": torch.get_num_threads()}
    shape = default_shape(pdn)
    r["shape"] = list(shape)
    print("big", r, flush=True)
    t0 = time.perf_counter()
    sol = solve_static(pdn, method="direct")
    r["exact_direct_s"] = time.perf_counter() - t0
    r["exact_seconds"] = sol.seconds
    print("big exact", r["exact_direct_s"], flush=True)
    for dev in devs:
        prior_drop(pdn, k, dev)  # warm-up (and CUDA context)
        res = [prior_drop(pdn, k, dev) for _ in range(3 if dev != "cpu" else 1)]
        r[f"prior_{dev}_s"] = float(np.median([sum(p.seconds.values()) for p in res]))
        r[f"prior_{dev}_iterate_s"] = float(np.median([p.seconds["iterate"] for p in res]))
        r[f"prior_{dev}_assemble_s"] = float(np.median([p.seconds["assemble"] for p in res]))
        print("big", dev, r[f"prior_{dev}_s"], r[f"prior_{dev}_iterate_s"], flush=True)
    p = res[-1]
    r["relative_residual"] = p.relative_residual
    t0 = time.perf_counter()
    exact_map = pooled_map(pdn, shape, sol.drop)
    r["pooled_map_s"] = time.perf_counter() - t0
    prior_m = pooled_map(pdn, shape, p.drop)
    # the judge: the exact solve drawn the same way (both pooled), so only the solve differs
    r["prior_vs_exact"] = map_metrics(prior_m, exact_map)
    r["node_max_drop_rel_error"] = abs(p.drop.max() - sol.drop.max()) / max(sol.drop.max(), 1e-300)
    if "cuda" in devs:
        for kk in (2 * k, 4 * k):
            q = prior_drop(pdn, kk, "cuda")
            r[f"prior_cuda_K{kk}_s"] = sum(q.seconds.values())
            r[f"prior_vs_exact_K{kk}"] = map_metrics(pooled_map(pdn, shape, q.drop), exact_map)
    return r


if __name__ == "__main__":
    DEVS = os.environ.get("DEVS", "cpu,cuda").split(",")
    out, k, n_big = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    sep = sys.argv.index("--")
    models = [m for m in sys.argv[4:sep] if Path(m).exists()]  # a run that did not finish is left out
    cases = sys.argv[sep + 1:]
    rows, big = [], None
    if n_big > 0:  # first: the speed at scale is the point of a predictor (a timeout cuts the case rows)
        big = big_grid(n_big, k, DEVS)
        print(json.dumps(big, default=float), flush=True)
        dump(out, rows, big)
    for d in cases:
        ref = case_ref(Path(d))
        golden = read_map(ref.ir_drop)
        row = {"case": d, "threads": torch.get_num_threads()}
        pdn = parse_pdn(ref.netlist)
        row["nodes"] = int(pdn.n_nodes)
        row["parse_s"] = best(lambda: parse_pdn(ref.netlist), 3)
        sol = solve_static(pdn)
        row["exact_solve_s"] = best(lambda: solve_static(pdn))
        row["exact_map_cubic_s"] = best(lambda: MapBuilder(pdn, shape=golden.shape)(sol.drop), 3)
        row["map_linear_s"] = best(lambda: MapBuilder(pdn, shape=golden.shape, method="linear")(sol.drop), 3)
        row["map_pool_s"] = best(lambda: pooled_map(pdn, golden.shape, sol.drop), 5)
        for dev in DEVS:
            prior_drop(pdn, k, dev)  # warm-up
            row[f"prior_{dev}_s"] = best(lambda: prior_drop(pdn, k, dev))
            r = prior_drop(pdn, k, dev)
            row[f"prior_{dev}_iterate_s"] = r.seconds["iterate"]
        for m in models:
            name = Path(m).parent.name if Path(m).name == "train" else "shipped_" + Path(m).name
            for dev in DEVS:
                lm = load_checkpoint(m, device=dev)
                kw = dict(with_features=True, prior_iters=lm.config.prior_iters, prior_map=lm.config.prior_map)
                item, feats = build_item(ref, lm.config.size, lm.config.n_slices, shape=golden.shape, **kw)
                predict_item(lm, item, device=dev, prior_native=feats.prior)
                fw = [predict_item(lm, item, device=dev, prior_native=feats.prior).forward_seconds for _ in range(5)]
                row[f"{name}_{dev}_forward_s"] = float(np.median(fw))
                if dev == DEVS[-1]:
                    p = predict_item(lm, item, device=dev, prior_native=feats.prior)
                    row[f"{name}_mae_V"] = map_metrics(p.static, golden)["mae_V"]
                    row[f"{name}_prior_mae_V"] = map_metrics(feats.prior, golden)["mae_V"]
            # featurise on the CPU including the prior at this checkpoint's K and map (CPU iterations)
            row[f"{name}_featurise_s"] = best(lambda: build_item(ref, lm.config.size, lm.config.n_slices,
                                                                 shape=golden.shape, **kw), 2)
        print(json.dumps(row), flush=True)
        rows.append(row)
        dump(out, rows, big)
