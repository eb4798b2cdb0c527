"""Seeded generator of synthetic topology problems drawn from what the expert planner supports.

Problem ``i`` of seed ``s`` depends only on ``(s, i)`` (its own ``random.Random``), so a set of
2,000 is generated lazily and any slice is reproducible without generating the rest. Each
problem draws a kind, its topology choices (input polarity, compensation, load, mirror),
required blocks, a block budget, targets the sizing loop can meet, node names, and renders
the requirement as free text. Synthetic problems carry no reference netlist: feasibility is
established in the benchmark run itself, where the expert constructs (and the scorer
verifies) a solution; the run reports how many problems got a verified reference.
"""
from __future__ import annotations

import random
from typing import Any, Iterator

# (kind, category, text stem, default ports (inputs, outputs, bias))
_OPAMPS = {
    "two_stage_opamp": ("two-stage op-amp", (40, 78)),
    "folded_cascode": ("folded-cascode OTA", (50, 76)),
    "telescopic": ("telescopic cascode OTA", (50, 80)),
    "ota5t": ("five-transistor OTA", (25, 36)),
}
_APPS = {
    "inverting_amp": "inverting amplifier with a gain of {g:g}",
    "noninverting_amp": "non-inverting amplifier with a gain of {g:g}",
    "summer": "summing amplifier adding two inputs",
    "subtractor": "subtractor (difference amplifier)",
    "integrator": "integrator with a time constant of {tau:g} us",
    "differentiator": "differentiator with a time constant of {tau:g} us",
}
_SIMPLE = {
    "cs_amp": "common-source amplifier with {load} load",
    "source_follower": "source follower buffer",
    "cascode_amp": "cascode amplifier",
    "diff_amp": "differential pair amplifier with resistor loads",
    "mirror_simple": "simple current mirror",
    "mirror_cascode": "cascode current mirror",
    "mirror_wilson": "Wilson current mirror",
    "inverter": "CMOS inverter",
    "schmitt": "Schmitt trigger",
    "ring_oscillator": "5-stage ring oscillator",
    "comparator": "voltage comparator",
    "beta_multiplier": "beta-multiplier current reference",
    "ldo": "LDO regulator with a {vout:g} V output",
}
_FAMILY = {"two_stage_opamp": "opamp", "folded_cascode": "opamp", "telescopic": "opamp", "ota5t": "opamp",
           "cs_amp": "amplifier", "source_follower": "amplifier", "cascode_amp": "amplifier",
           "diff_amp": "amplifier", "mirror_simple": "mirror", "mirror_cascode": "mirror",
           "mirror_wilson": "mirror", "inverter": "logic", "schmitt": "logic", "ring_oscillator": "oscillator",
           "comparator": "comparator", "beta_multiplier": "reference", "ldo": "regulator",
           **{k: "opamp_app" for k in _APPS}}
# Default port counts per kind (inputs, outputs, bias), matching the kinds table.
_PORTS = {"two_stage_opamp": (2, 1, 1), "folded_cascode": (2, 1, 1), "telescopic": (2, 1, 1), "ota5t": (2, 1, 1),
          "cs_amp": (1, 1, 0), "source_follower": (1, 1, 0), "cascode_amp": (1, 1, 0), "diff_amp": (2, 2, 1),
          "mirror_simple": (1, 1, 0), "mirror_cascode": (1, 1, 0), "mirror_wilson": (1, 1, 0),
          "inverter": (1, 1, 0), "schmitt": (1, 1, 0), "ring_oscillator": (0, 1, 0), "comparator": (2, 1, 1),
          "beta_multiplier": (0, 1, 0), "ldo": (0, 1, 2), "inverting_amp": (1, 1, 1),
          "noninverting_amp": (1, 1, 0), "summer": (2, 1, 1), "subtractor": (2, 1, 1), "integrator": (1, 1, 2),
          "differentiator": (1, 1, 1)}
_IN1 = ("in", "vin", "x", "sig", "a")
_IN2 = (("inp", "inn"), ("vp", "vn"), ("in1", "in2"), ("a", "b"), ("vip", "vim"))
_OUT1 = ("out", "vout", "y", "vo", "o")
_OUT2 = (("outp", "outn"), ("vop", "von"), ("op", "on"))
_IBIAS = ("ibias", "ib", "iref_in")
_MIRROR_IN = ("iin", "iref", "ii")
_MIRROR_OUT = ("iout", "io", "isink")

KINDS: tuple[str, ...] = tuple(_PORTS)


def _ports(kind: str, rng: random.Random) -> tuple[list[str], list[str], list[str]]:
    n_in, n_out, n_bias = _PORTS[kind]
    if kind.startswith("mirror"):
        return [rng.choice(_MIRROR_IN)], [rng.choice(_MIRROR_OUT)], []
    inputs = [] if n_in == 0 else ([rng.choice(_IN1)] if n_in == 1 else list(rng.choice(_IN2)))
    outputs = [rng.choice(_OUT1)] if n_out == 1 else list(rng.choice(_OUT2))
    if kind == "ldo":
        return [], [rng.choice(("vout", "vreg"))], ["vref", rng.choice(_IBIAS)]
    if kind == "integrator":
        return inputs, outputs, [rng.choice(_IBIAS), "vref"]
    if kind in ("ring_oscillator", "beta_multiplier"):
        outputs = [rng.choice(("clk", "osc", "out"))] if kind == "ring_oscillator" else ["vbn"]
    bias = [rng.choice(_IBIAS)] if n_bias else []
    if set(bias) & set(inputs + outputs):
        bias = ["ibias"]
    return inputs, outputs, bias


def problem(seed: int, index: int) -> dict[str, Any]:
    """Synthetic problem ``index`` of set ``seed`` (a dict in the problem-file format, no reference)."""
    rng = random.Random(f"chipsmith-topology:{seed}:{index}")
    # Op-amps are what the paper's synthetic set is about; half the problems are op-amps.
    kind = rng.choice(tuple(_OPAMPS)) if rng.random() < 0.5 else rng.choice(KINDS)
    inputs, outputs, bias = _ports(kind, rng)
    spec: dict[str, Any] = {"kind": kind}
    words: list[str] = []
    if kind in _OPAMPS:
        stem, (lo, hi) = _OPAMPS[kind]
        pol = "nmos" if kind in ("folded_cascode", "telescopic") else rng.choice(("nmos", "pmos"))
        spec.update(input_type="differential", input_polarity=pol,
                    stages=2 if kind == "two_stage_opamp" else 1)
        words.append(f"a {stem} with {pol.upper()} input pair")
        required = [f"{pol}_diff_pair"]
        if kind == "two_stage_opamp":
            comp = rng.choice(("miller", "miller_rz"))
            spec["compensation"] = comp
            required.append("miller_compensation")
            words.append("Miller compensation" + (" with nulling resistor" if comp == "miller_rz" else ""))
        spec["required_blocks"] = required
        spec["max_blocks"] = rng.choice((8, 10, 12))
        targets: dict[str, Any] = {"gain_db": rng.randrange(lo, hi + 1, 2)}
        words.append(f"gain above {targets['gain_db']} dB")
        if rng.random() < 0.7:
            targets["gbw_hz"] = rng.choice((1e6, 2e6, 5e6, 10e6))
            words.append(f"GBW of {targets['gbw_hz'] / 1e6:g} MHz")
        if rng.random() < 0.7:
            targets["pm_deg"] = rng.choice((45, 50, 55, 60))
            words.append(f"phase margin {targets['pm_deg']} degrees")
        if rng.random() < 0.3:
            targets["power_w"] = rng.choice((1e-3, 2e-3))
            words.append(f"power under {targets['power_w'] * 1e3:g} mW")
        spec["targets"] = targets
        text = ", ".join(words)
    elif kind in _APPS:
        g = float(rng.choice((2, 3, 4, 5, 8, 10)))
        tau = float(rng.choice((1, 2, 5, 10)))
        if kind in ("inverting_amp", "noninverting_amp"):
            spec["closed_loop_gain"] = g
        if kind in ("integrator", "differentiator"):
            spec["time_constant_s"] = tau * 1e-6
        text = _APPS[kind].format(g=g, tau=tau)
    else:
        load = rng.choice(("resistor", "current_source"))
        vout = rng.choice((1.0, 1.2, 1.5))
        if kind == "cs_amp":
            spec["load"] = load
        if kind == "ldo":
            spec["vout"] = vout
        text = _SIMPLE[kind].format(load="a current-source" if load == "current_source" else "resistor",
                                    vout=vout)
    spec["text"] = text
    return {"id": f"syn-{seed}-{index:05d}", "set": "synthetic", "category": _FAMILY[kind], "text": text,
            "inputs": inputs, "outputs": outputs, "bias": bias, "spec": spec, "reference": None}


def generate(n: int, seed: int = 0, start: int = 0) -> Iterator[dict[str, Any]]:
    """Problems ``start .. start+n-1`` of set ``seed``, lazily."""
    for i in range(start, start + n):
        yield problem(seed, i)


SET_SIZE = 2000


def with_reference(prob: dict[str, Any]) -> dict[str, Any] | None:
    """The problem with a verified reference netlist built by the expert, or None when no
    reference can be constructed (the problem is then infeasible for this library)."""
    from chipsmith.agents.checks import proofread
    from chipsmith.agents.loop import synthesize_request
    from chipsmith.benchmarks.topology_bench import _problem_spec

    outcome = synthesize_request(dict(prob["spec"], text=prob["text"]), inputs=prob["inputs"],
                                 outputs=prob["outputs"], bias=prob["bias"], backend="expert")
    if not outcome.success or outcome.design is None:
        return None
    text = outcome.design.netlist_text()
    if not proofread(text, _problem_spec(prob), design=outcome.design).passed:
        return None
    return dict(prob, reference=text)


def generate_verified(n: int, seed: int = 0, start: int = 0) -> Iterator[dict[str, Any]]:
    """``n`` problems of set ``seed``, each proven feasible by constructing a reference
    solution at generation time; infeasible draws are skipped (and counted in ``id`` gaps)."""
    index, made = start, 0
    while made < n:
        verified = with_reference(problem(seed, index))
        index += 1
        if verified is not None:
            made += 1
            yield verified


def main(argv: list[str] | None = None) -> int:
    """Write a verified synthetic set as JSON Lines: usable with `bench topology --set FILE`."""
    import argparse
    import json

    from chipsmith.artifacts import atomic_write_text

    ap = argparse.ArgumentParser(description=main.__doc__)
    ap.add_argument("--n", type=int, default=SET_SIZE)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", required=True)
    args = ap.parse_args(argv)
    lines = [json.dumps(p) for p in generate_verified(args.n, args.seed)]
    atomic_write_text(args.out, "\n".join(lines) + "\n")
    print(f"wrote {len(lines)} verified problems to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
