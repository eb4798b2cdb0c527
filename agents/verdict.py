"""Typed results of the proofreading checks and their feedback text.

A :class:`CheckResult` is one named check (``parse``, ``safety``, ``erc``, ``structure``,
``op``, ``functional``, ``target:gain_db`` ...) with pass/fail, a one-line detail and the
figures it measured. :func:`feedback_text` turns the failed ones into the precise message
an LLM gets back in the next round, and the transcript prints.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Mapping, Sequence

# Check order: a failure stops the chain there (later checks are "skipped").
STAGES = ("parse", "safety", "erc", "structure", "op", "functional", "targets", "requirements")


@dataclass(frozen=True)
class CheckResult:
    """One check: ``name`` (a stage, or ``target:<name>``), ``passed``, ``detail``, ``figures``."""

    name: str
    passed: bool
    detail: str = ""
    figures: Mapping[str, float] = field(default_factory=dict)
    skipped: bool = False
    # figures the check tried to measure and could not, with the reason (never silently dropped)
    unmeasured: Mapping[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict:
        out: dict = {"name": self.name, "passed": self.passed}
        if self.skipped:
            out["skipped"] = True
        if self.detail:
            out["detail"] = self.detail
        if self.figures:
            out["figures"] = {k: _clean(v) for k, v in self.figures.items()}
        if self.unmeasured:
            out["unmeasured"] = dict(self.unmeasured)
        return out


def _clean(value: float) -> float | None:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def first_failure(results: Sequence[CheckResult]) -> CheckResult | None:
    return next((r for r in results if not r.passed and not r.skipped), None)


def figures(results: Sequence[CheckResult]) -> dict[str, float]:
    """All figures of all checks, later checks overriding earlier ones."""
    out: dict[str, float] = {}
    for r in results:
        out.update(r.figures)
    return out


def feedback_text(results: Sequence[CheckResult]) -> str:
    """The failed checks as a numbered list an LLM (or a person) can act on."""
    failed = [r for r in results if not r.passed and not r.skipped]
    if not failed:
        return "All checks passed."
    lines = ["The netlist failed these checks:"]
    for i, r in enumerate(failed, 1):
        lines.append(f"{i}. [{r.name}] {r.detail}")
    lines.append("Fix exactly these problems and answer with the complete corrected netlist "
                 "(one .subckt design ... .ends design block in a ```spice fence).")
    return "\n".join(lines)
