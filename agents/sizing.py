"""Expert synthesis: variants in order, sizing knobs tuned with ngspice in the loop.

For each variant (block choice) the planner builds a design from knobs, the
proofreading checks simulate it, and :func:`tune` turns the failed check (which figure
missed which target) into a knob move: more pair width for gain, less Miller capacitance
for bandwidth, more for phase margin, less current for power, load capacitance for an
oscillator's frequency. When a variant runs out of moves, the next one is tried. Each
step is one ngspice run (two for amplifiers whose input bias is found by a DC sweep).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping

from chipsmith.agents.checks import Proof, proofread
from chipsmith.agents.circuit import Design
from chipsmith.agents.planner import generate, initial_knobs, variants_for
from chipsmith.agents.spec import Spec
from chipsmith.agents.verdict import first_failure


@dataclass(frozen=True)
class Attempt:
    """One proofreading round of the expert: the variant, knobs, design and its proof."""

    round: int
    variant: str
    knobs: Mapping[str, float]
    design: Design
    proof: Proof
    note: str = ""


def _fig(proof: Proof, name: str) -> float | None:
    return proof.figures().get(name)


def tune(spec: Spec, knobs: dict[str, float], proof: Proof) -> tuple[dict[str, float], str] | None:
    """New knobs (and a one-line reason) that address the first failed check, or None."""
    fail = first_failure(proof.results)
    if fail is None:
        return None
    k = dict(knobs)
    name = fail.name
    kind = spec.kind
    opamp_like = "cc" in k and kind == "two_stage_opamp"
    ota = kind in ("ota5t", "folded_cascode", "telescopic")
    if ota and name in ("target:gain_db", "target:gbw_hz", "target:power_w"):
        # one stage: gain ~ 1/(Vov * I) for cascodes, GBW ~ gm / C_load ~ sqrt(I * W)
        if name == "target:gain_db":
            if k["wpair"] >= 16 or k["itail"] <= 0.25:
                return None
            k["wpair"] *= 2.0
            k["itail"] = max(0.25, k["itail"] * 0.7)
            return k, "gain short: wider input pair and less current (lower overdrive, higher output resistance)"
        if name == "target:gbw_hz":
            if k["itail"] >= 8:
                return None
            k["itail"] *= 1.6
            k["wpair"] = min(16.0, k["wpair"] * 1.3)
            return k, "bandwidth short: more tail current and a wider pair (more gm)"
        if k["itail"] <= 0.2:
            return None
        k["itail"] *= 0.6
        return k, "power too high: less tail current"
    if name == "target:gain_db":
        if opamp_like:
            if k["wpair"] >= 16:
                return None
            k["wpair"] *= 2.0
            k["itail"] = max(0.25, k["itail"] * 0.8)
            return k, "gain short: wider input pair (lower overdrive) and less current"
        if kind == "cs_amp" and "rl" in k:
            if k["rl"] > 400e3:
                return None
            k["rl"] *= 2.0
            k["w1"] *= 2.0
            return k, "gain short: larger load resistor and wider transistor"
        if kind == "cascode_amp":
            if k["rl"] > 400e3:
                return None
            k["rl"] *= 1.8
            return k, "gain short: larger load resistor"
        if "rl" in k:
            k["rl"] *= 1.5
            return k, "gain short: larger load resistors"
        return None
    if name == "target:gbw_hz" and opamp_like:
        want, got = spec.targets.gbw_hz, _fig(proof, "gbw_hz") or 0.0
        if k["cc"] > 0.4e-12 and "k2" in k:
            k["cc"] = max(0.3e-12, k["cc"] * max(0.3, min(0.8, got / want)))
            k["k2"] = min(24.0, k["k2"] * 1.5)
            return k, "bandwidth short: smaller Miller capacitor, stronger second stage"
        if k["itail"] < 8:
            k["itail"] *= 2.0
            return k, "bandwidth short: more input-pair current"
        return None
    if name in ("target:pm_deg",) and ota:
        return None  # a one-stage OTA's phase margin is set by its load, not by a knob here
    if name in ("target:pm_deg",) or (name == "functional" and opamp_like and "phase" in fail.detail) \
            or (name == "functional" and opamp_like and "unstable" in fail.detail):
        if not opamp_like or k["cc"] > 20e-12:
            return None
        k["cc"] *= 1.6
        k["rz"] *= 1.3
        k["k2"] = min(24.0, k["k2"] * 1.3)
        return k, "phase margin short: larger Miller capacitor and nulling resistor"
    if name == "target:power_w" and ("itail" in k or "isink" in k):
        key = "itail" if "itail" in k else "isink"
        if k[key] < 0.1:
            return None
        k[key] *= 0.6
        if "k2" in k:
            k["k2"] = max(1.5, k["k2"] * 0.7)
        return k, "power too high: less bias current"
    if name == "target:frequency_hz" and "cload" in k:
        got, want = _fig(proof, "frequency_hz") or 0.0, spec.targets.frequency_hz
        if not got:
            return None
        # f ~ 1/(C_load + C_par): aim the load at what the measured ratio asks for
        k["cload"] = max(1e-15, (k["cload"] + 8e-15) * got / want - 8e-15)
        if k["cload"] <= 1e-15 and got < want:
            return None
        return k, f"frequency {got / 1e6:.1f} MHz vs {want / 1e6:.1f} MHz: load capacitor to {k['cload'] * 1e15:.1f} fF"
    if name == "functional" and "tempco_ppm" in fail.figures and "r2" in k:
        slope = fail.figures.get("dvdt_v_per_k", 0.0)
        ptat_per_ohm = 8.617e-5 * __import__("math").log(k["n"]) / k["r1"]  # dV/dT per ohm of R2
        k["r2"] = max(k["r1"], k["r2"] - slope / ptat_per_ohm)
        return k, f"reference drifts {slope * 1e3:+.3f} mV/K: R2 to {k['r2'] / 1e3:.1f} kohm"
    if name == "functional" and "rings" in fail.detail and "cc" in k and "cout" in k:
        if k["cc"] > 200e-12:
            return None
        k["cc"] *= 2.0
        return k, "LDO loop rings after a load step: larger Miller capacitor"
    if name == "target:swing_v" and "rl" in k:
        k["rl"] *= 0.8
        return k, "swing short: smaller load"
    return None


def synthesize(spec: Spec, *, rounds: int = 12, on_round: Callable[[Attempt], None] | None = None
               ) -> tuple[Attempt | None, list[Attempt]]:
    """Expert synthesis of ``spec``: returns (the passing attempt or None, all attempts)."""
    attempts: list[Attempt] = []
    n = 0
    for variant in variants_for(spec):
        knobs = initial_knobs(spec)
        note = f"variant {variant}: default sizing"
        while n < rounds:
            n += 1
            design = generate(spec, knobs, variant)
            proof = proofread(design.netlist_text(), spec, design=design)
            attempt = Attempt(n, variant, dict(knobs), proof.design or design, proof, note)
            attempts.append(attempt)
            if on_round:
                on_round(attempt)
            if proof.passed:
                return attempt, attempts
            move = tune(spec, knobs, proof)
            if move is None:
                break
            knobs, note = move
        if n >= rounds:
            break
    return None, attempts


def best_attempt(attempts: list[Attempt]) -> Attempt | None:
    """The attempt that got furthest through the checks (latest among equals)."""
    if not attempts:
        return None
    return max(reversed(attempts), key=lambda a: a.proof.score())

