"""Parse/write speed of the SPICE netlist core on a generated 10k-element netlist.

Figures are elements per second for parse, safety check and write, and each time as a
ratio against a baseline measured in the same process on the same text: splitting it
into lines and whitespace tokens (the least any reader must do).
"""
from __future__ import annotations

import random
import time


def make_netlist(n_elements: int = 10_000, seed: int = 0) -> str:
    """A flat netlist of ``n_elements`` mixed R, C, M, V, X cards over ~n/4 nets."""
    rng = random.Random(seed)
    nets = max(4, n_elements // 4)
    lines = ["* chipsmith parse benchmark", ".param wn=2u",
             ".model nch nmos (level=1 vto=0.5 kp=100u lambda=0.05)",
             ".model pch pmos (level=1 vto=-0.5 kp=50u lambda=0.05)",
             ".subckt inv a y vdd gnd", "mp y a vdd vdd pch w=2u l=180n", "mn y a gnd gnd nch w=1u l=180n",
             ".ends inv"]

    def net() -> str:
        return f"n{rng.randrange(nets)}"

    for i in range(n_elements):
        pick = i % 5
        if pick == 0:
            lines.append(f"r{i} {net()} {net()} {rng.uniform(1, 100):.3f}k")
        elif pick == 1:
            lines.append(f"c{i} {net()} 0 {rng.uniform(1, 10):.2f}f")
        elif pick == 2:
            lines.append(f"m{i} {net()} {net()} {net()} 0 nch w={rng.uniform(1, 10):.2f}u l=180n m=1")
        elif pick == 3:
            lines.append(f"x{i} {net()} {net()} vdd 0 inv")
        else:
            lines.append(f"v{i} {net()} 0 dc {rng.uniform(0, 1.8):.3f} ac 1")
    lines.append(".end")
    return "\n".join(lines) + "\n"


def _best(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def run_parse_write_bench(n_elements: int = 10_000, repeat: int = 3) -> dict:
    """Time parse, safety check and write of an ``n_elements`` netlist (best of ``repeat``)."""
    from chipsmith.spice.parser import parse_netlist
    from chipsmith.spice.safety import check_safe
    from chipsmith.spice.writer import write_netlist

    text = make_netlist(n_elements)
    netlist = parse_netlist(text)
    if len(netlist.elements) != n_elements:
        raise RuntimeError(f"benchmark netlist parsed to {len(netlist.elements)} elements, expected {n_elements}")
    baseline = _best(lambda: [line.split() for line in text.split("\n")], repeat)
    parse_s = _best(lambda: parse_netlist(text), repeat)
    safety_s = _best(lambda: check_safe(text), repeat)
    write_s = _best(lambda: write_netlist(netlist), repeat)
    return {
        "n_elements": n_elements,
        "chars": len(text),
        "baseline_split_s": baseline,
        "parse_s": parse_s,
        "safety_s": safety_s,
        "write_s": write_s,
        "parse_elements_per_s": n_elements / parse_s,
        "safety_elements_per_s": n_elements / safety_s,
        "write_elements_per_s": n_elements / write_s,
        "parse_vs_split_ratio": parse_s / baseline,
        "safety_vs_split_ratio": safety_s / baseline,
        "write_vs_split_ratio": write_s / baseline,
    }


if __name__ == "__main__":  # pragma: no cover
    import json

    print(json.dumps(run_parse_write_bench(), indent=2))
