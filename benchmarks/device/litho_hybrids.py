"""Which difference between the two nodes stops transfer from paying? Two counterfactual source
nodes, each differing from the newer node in fewer respects than the older one:

* ``old-optics-new-resist``: the older node's optics, pixel and contact size/pitch with the newer
  node's resist (chemistry and film);
* ``new-optics-old-resist``: the newer node's optics and geometry with the older node's resist;

each with its film dose re-set "to size" (``resist_film.calibrate_dose``). Then the learning
curves of scratch + random and transfer + random (``litho_model_bench stage=curves``) with the
real older node and each counterfactual as the source, the three at once on one GPU.

usage: . benchmarks/device/pkg_shim.sh; cd /tmp; python $R/benchmarks/device/litho_hybrids.py OUT [key=value ...]
(the keys of ``litho_model_bench.device_run``, plus data_root=DIR for the datasets, sources=a,b to run only
those, sequential=1 to run them one after the other; defaults:
budgets=25,50,200 seeds=2 steps=800)
"""
from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import yaml

from chipsmith.lithography.presets import PRESET_DIR, preset_from_dict
from chipsmith.lithography.resist_film import calibrate_dose

RESIST_KEYS = ("chem", "film", "threshold")


def hybrid(optics_from: dict, resist_from: dict, name: str, device: str) -> dict:
    d = {k: v for k, v in optics_from.items() if k not in RESIST_KEYS}
    d.update({k: resist_from[k] for k in RESIST_KEYS})
    d["name"] = name
    d["description"] = f"counterfactual: optics and geometry of '{optics_from['name']}', resist of '{resist_from['name']}'"
    d["film"] = dict(d["film"], dose_mj_cm2=round(calibrate_dose(preset_from_dict(d, name), device=device), 3))
    return d


def main(out: Path, extra: list[str]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    old, new = (yaml.safe_load((PRESET_DIR / f"{n}.yaml").read_text()) for n in ("old", "new"))
    kw = dict(a.split("=", 1) for a in extra)
    device = kw.get("device", "cuda")
    data_root = Path(kw.pop("data_root", out))  # the datasets (hundreds of MB at full size)
    only = [x for x in kw.pop("sources", "").split(",") if x]
    sequential = kw.pop("sequential", "0") == "1"  # concurrent generations fight over the CPU kernels
    sources = {"old": "old"}
    for name, (a, b) in {"old-optics-new-resist": (old, new), "new-optics-old-resist": (new, old)}.items():
        path = out / f"{name}.yaml"
        path.write_text(yaml.safe_dump(hybrid(a, b, name, device), sort_keys=False))
        sources[name] = str(path.resolve())
        print(name, "film dose", yaml.safe_load(path.read_text())["film"]["dose_mj_cm2"], flush=True)
    args = {"stage": "curves", "budgets": "25,50,200", "seeds": "2", "steps": "800", "val": "0",
            "source_count": "800", "configs": "scratch+random,transfer+random", "workers": "4", **kw}
    procs = {}
    for name, src in sources.items():
        if only and name not in only:
            continue
        a = {**args, "source": src, "data": str(data_root / f"data-{name}")}
        cmd = [sys.executable, "-m", "chipsmith.benchmarks.litho_model_bench", str(out / name)] + \
            [f"{k}={v}" for k, v in a.items()]
        procs[name] = subprocess.Popen(cmd, stdout=open(out / f"{name}.log", "w"), stderr=subprocess.STDOUT)
        if sequential:
            procs[name].wait()
    t0 = time.perf_counter()
    for name, p in procs.items():
        print(name, "rc", p.wait(), round(time.perf_counter() - t0, 1), "s", flush=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2:])
