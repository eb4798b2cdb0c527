"""Generate labelled IR-drop cases one at a time until a deadline (a killed process keeps every case
already written: flows.generate writes each --out atomically). usage: gen_until.py OUT MAX SEED STYLE DYN SECONDS"""
import sys
import time
from pathlib import Path

from chipsmith.irdrop.flows import generate

if __name__ == "__main__":
    t0 = time.perf_counter()
    out, count, seed, style, dyn, budget = (sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4],
                                            sys.argv[5] == "1", float(sys.argv[6]))
    last = 0.0
    for i in range(count):
        if time.perf_counter() - t0 + 1.5 * last > budget:
            break
        t1 = time.perf_counter()
        generate(Path(out) / f"b{i:03d}", count=1, dynamic=dyn, seed=seed * 1000 + i, workers=1, quiet=True,
                 style=style)
        last = time.perf_counter() - t1
    print(out, i, "cases", round(time.perf_counter() - t0, 1), "s", flush=True)
