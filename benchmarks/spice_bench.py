"""SPICE core benchmark: ngspice runner throughput (subprocess vs shared) and netlist parse/write speed.

The runner figure is simulations per second on one .op + .ac deck (a common-source
amplifier with level-1 models), measured for both modes in the same process; the
headline number is the ratio shared/subprocess. Parse/write speed on a 10k-element
netlist comes from :mod:`chipsmith.benchmarks.spice_parse_bench`.
"""
from __future__ import annotations

import importlib
import importlib.util
import platform
import statistics
import time

BENCH_DECK = """chipsmith bench: common-source amplifier
vdd vdd 0 1.8
vin in 0 dc 0.7 ac 1
rd vdd out 50k
cl out 0 1p
m1 out in 0 0 nch w=10u l=1u
m2 out in vdd vdd pch w=1u l=10u
.model nch nmos level=1 vto=0.5 kp=100u lambda=0.05
.model pch pmos level=1 vto=-0.5 kp=50u lambda=0.05
"""


def _stats(times: list[float], mode: str) -> dict:
    total = sum(times)
    return {"mode": mode, "runs": len(times), "seconds": total, "sims_per_s": len(times) / total,
            "ms_per_sim": 1e3 * total / len(times), "median_ms": 1e3 * statistics.median(times),
            "min_ms": 1e3 * min(times)}


def run_runner_bench(n: int = 200, *, quiet: bool = True) -> dict:
    """Simulations/s of the same .op+.ac deck in subprocess and shared mode, and their ratio.

    The two modes alternate run by run, so both see the same machine load (the ratio is
    what is meant to be compared across machines, not the absolute rates).
    """
    from chipsmith.progress import progress_bar
    from chipsmith.spice.runner import Ac, Op, simulate

    analyses = [Op(), Ac(1.0, 1e9, 20)]
    times: dict[str, list[float]] = {"subprocess": [], "shared": []}
    vout = {}
    for mode in times:  # warm-up: shared-library load, page cache
        vout[mode] = simulate(BENCH_DECK, analyses, mode=mode, trusted=True).op.v("out")
    with progress_bar("spice runner", 2 * n, quiet=quiet) as advance:
        for _ in range(n):
            for mode, bucket in times.items():
                start = time.perf_counter()
                res = simulate(BENCH_DECK, analyses, mode=mode, trusted=True)
                bucket.append(time.perf_counter() - start)
                vout[mode] = res.op.v("out")
                advance(1)
    sub, shared = _stats(times["subprocess"], "subprocess"), _stats(times["shared"], "shared")
    agree = abs(vout["subprocess"] - vout["shared"]) <= 1e-9 * max(1.0, abs(vout["subprocess"]))
    return {"deck": "cs amplifier, .op + .ac dec 20 1..1e9 (181 points)", "subprocess": sub, "shared": shared,
            "shared_over_subprocess": shared["sims_per_s"] / sub["sims_per_s"],
            "shared_over_subprocess_median": sub["median_ms"] / shared["median_ms"],
            "modes_agree": agree, "vout": vout["subprocess"]}


def run_parse_bench(n_elements: int = 10_000) -> dict:
    """S1's parse/write benchmark on a 10k-element netlist (``missing`` if not installed)."""
    name = "chipsmith.benchmarks.spice_parse_bench"
    if importlib.util.find_spec(name) is None:
        return {"status": "missing", "reason": f"{name} is not available"}
    module = importlib.import_module(name)
    fn = getattr(module, "run_parse_write_bench")
    try:
        result = fn(n_elements=n_elements)
    except TypeError:
        result = fn()
    return {"status": "ok", **(result if isinstance(result, dict) else {"result": result})}


def run(n: int = 200, *, quiet: bool = True) -> dict:
    """The whole suite; returns the summary written to summary.json."""
    return {"suite": "spice", "n": n, "machine": {"python": platform.python_version(),
                                                  "platform": platform.platform()},
            "runner": run_runner_bench(n, quiet=quiet), "parse_write": run_parse_bench()}
