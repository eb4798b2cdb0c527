"""The independent judge on a real process: every requirement at every corner x temperature.

:func:`judge_corners` runs :func:`chipsmith.spice.judge.judge` once per (corner, temperature)
with the PDK's own models loaded into every testbench (never the generic level-1 cards),
and collects a per-corner table of each requirement's measured figure and margin. The
design passes only if every requirement passes at every requested point.

Why a core-device library (:func:`chipsmith.spice.pdk_core.core_pdk_for`): sky130's combined
library parses every device of the process (about 3 s of CPU per ngspice run) while a judged
amplifier only uses the 1.8 V core MOSFETs, so testbenches load the cut-down copy of the
library that the sizer uses too (the two ``.subckt`` bodies copied verbatim; every corner
section, parameter file and global switch unchanged). tests/agents/test_synth_pdk.py checks
the currents it gives against the full library.

Structure (:func:`structure_view`): a PDK device is a subcircuit instance
(``XM1 d g s b sky130_fd_pr__nfet_01v8``); the structural checks read it back as the
NMOS/PMOS it is, so a cascode or a mirror is recognised on sky130 as on generic cards.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Sequence

from chipsmith.spice.pdk import Pdk



@dataclass(frozen=True)
class Models:
    """The cards a testbench loads a process with, and the directories they may read."""

    lines: str
    include_dirs: tuple[Path, ...]
    corner: str
    temp_c: float | None
    pdk: str
    devices: tuple[tuple[str, str], ...] = ()  # (subcircuit name, polarity) of the PDK's MOSFETs


def models_for(pdk: Pdk, corner: str = "tt", temp_c: float | None = None, *, core: bool = True) -> Models:
    """How a judge testbench loads ``pdk`` at ``corner``/``temp_c`` (core library for sky130)."""
    pdk.check_corner(corner)
    if core and pdk.section_per_corner:
        from chipsmith.spice.pdk_core import core_pdk_for

        cut = core_pdk_for(pdk, (pdk.nmos.name, pdk.pmos.name))
        return Models(cut.model_lines(corner), cut.model_dirs, corner, temp_c, pdk.name,
                      tuple(pdk_device_names(pdk).items()))
    return Models(pdk.model_lines(corner), pdk.model_dirs, corner, temp_c, pdk.name,
                  tuple(pdk_device_names(pdk).items()))


def structure_view(netlist, pdk_names: dict[str, str]):
    """``netlist`` with each PDK MOSFET instance (``X.. d g s b sky130_fd_pr__nfet_01v8``)
    read as an ``M`` element of an nmos/pmos model, for the structural checks only."""
    from chipsmith.spice.netlist import Element, Model

    if not pdk_names:
        return netlist

    def conv(elements):
        out = []
        for e in elements:
            if e.kind == "X" and (e.model or "").lower() in pdk_names and len(e.nodes) == 4:
                out.append(Element(name=e.name, kind="M", nodes=e.nodes, model=(e.model or "").lower(),
                                   params=dict(e.params), line=e.line, source=e.source))
            else:
                out.append(e)
        return tuple(out)

    models = {name: Model(name, pol) for name, pol in pdk_names.items()}
    subckts = {k: replace(s, elements=conv(s.elements), models={**s.models, **models})
               for k, s in netlist.subckts.items()}
    return replace(netlist, elements=conv(netlist.elements), subckts=subckts, models={**netlist.models, **models})


# --- margins and the per-corner table ------------------------------------------------------

def margin(requirement, figure: float | None) -> float | None:
    """How far a measured figure clears a ``target`` requirement, relative to the target
    (+0.2: 20 % better than asked; negative: short). None for other kinds or no figure."""
    if requirement.kind != "target" or figure is None or not math.isfinite(figure):
        return None
    p = requirement.params
    op, value = p["op"], float(p["value"])
    scale = abs(value) or 1.0
    if op in (">=", ">"):
        return (figure - value) / scale
    if op in ("<=", "<"):
        return (value - figure) / scale
    if op in ("~", "=="):
        return float(p.get("tol", 0.1)) - abs(figure - value) / scale
    if op == "between":
        lo, hi = float(p.get("low", value)), float(p.get("high", value))
        return min(figure - lo, hi - figure) / (abs(hi - lo) or 1.0)
    return None


def shortfall(requirement, result) -> float:
    """0 when the requirement passed; else how badly it failed (1 for anything without a
    measured figure, the relative shortfall capped at 1 for a target)."""
    if result.passed:
        return 0.0
    m = margin(requirement, result.figure)
    if m is None:
        return 1.0
    return min(1.0, max(0.02, -m))


@dataclass
class CornerVerdict:
    """The judge's verdict at every requested (corner, temperature)."""

    pdk: str
    points: list[tuple[str, float]]
    verdicts: list[Any] = field(default_factory=list)  # chipsmith.spice.judge.Verdict per point
    request: Any = None

    @property
    def success(self) -> bool:
        return len(self.verdicts) == len(self.points) and all(v.success for v in self.verdicts)

    @property
    def simulations(self) -> int:
        return sum(v.simulations for v in self.verdicts)

    def worst(self):
        """The verdict of the point that failed most requirements (the first on a tie)."""
        return max(self.verdicts, key=lambda v: len(v.failures) + len(v.problems))

    def cost(self) -> float:
        """Summed shortfall over requirements and points (0: every point passes)."""
        reqs = {r.id: r for r in self.request.requirements}
        total = 0.0
        for v in self.verdicts:
            total += sum(shortfall(reqs[r.id], r) for r in v.results if r.must and r.id in reqs)
            total += 1.0 * len(v.problems)
        return total

    def table(self) -> list[dict]:
        """One row per requirement: per point its status, figure and margin, and the worst margin."""
        rows = []
        for req in self.request.requirements:
            per = {}
            worst = None
            passed = True
            for (corner, temp), v in zip(self.points, self.verdicts):
                res = next((r for r in v.results if r.id == req.id), None)
                if res is None:
                    continue
                fig = res.figure if isinstance(res.figure, (int, float)) and math.isfinite(res.figure) else None
                m = margin(req, fig)
                per[point_key(corner, temp)] = {"status": res.status, "figure": fig,
                                                "margin": None if m is None else round(m, 4)}
                passed = passed and res.passed
                if m is not None:
                    worst = m if worst is None else min(worst, m)
            rows.append({"id": req.id, "kind": req.kind, "requirement": req.describe(), "passed": passed,
                         "worst_margin": None if worst is None else round(worst, 4), "corners": per})
        return rows


def point_key(corner: str, temp: float) -> str:
    return f"{corner}/{temp:g}C"


def judge_corners(text: str, request, pdk: Pdk, corners: Sequence[str] = ("tt",), temps: Sequence[float] = (27.0,),
                  *, timeout: float = 30.0, stop_at_failure: bool = False) -> CornerVerdict:
    """Judge ``text`` at every (corner, temperature) on ``pdk``'s models. With
    ``stop_at_failure`` the points after the first failing one are not simulated (a sizing
    loop's shortcut; the verdict then has fewer entries than points and is not a success)."""
    from chipsmith.spice.judge import judge

    points = [(c, float(t)) for c in corners for t in temps]
    out = CornerVerdict(pdk.name, points, [], request)
    for corner, temp in points:
        verdict = judge(text, request, timeout=timeout, models=models_for(pdk, corner, temp))
        out.verdicts.append(verdict)
        if stop_at_failure and not verdict.success:
            break
    return out


def pdk_device_names(pdk: Pdk) -> dict[str, str]:
    """Lower-case PDK device name -> polarity, for :func:`structure_view` (subcircuit
    devices read as MOSFETs; plain ``M`` devices get a typed model card)."""
    return {pdk.nmos.name.lower(): "nmos", pdk.pmos.name.lower(): "pmos"}
