"""The output contract of ``chipsmith synth --out DIR``.

- ``design.cir``: a title/comment header and ``.subckt design <inputs> <outputs> <bias>
  vdd gnd`` with every model card inlined; no analysis cards.
- ``testbench.cir``: ``.include design.cir``, the sources that drive every port at its
  DC condition, the analysis cards of the functional test, ``.end``.
- ``summary.json``: backend, mode, rounds, every check with pass/fail and figures,
  success, seconds, the supply and ``ports`` (name, kind, DC condition, unit).
- ``transcript.md``: the agent's steps (prompts and answers for LLM backends, with any
  API key redacted).
"""
from __future__ import annotations

from pathlib import Path

from chipsmith.agents.loop import Outcome
from chipsmith.artifacts import atomic_write_text, write_json

FILES = ("design.cir", "testbench.cir", "summary.json", "transcript.md")


def requirement_rows(outcome: Outcome) -> list[dict]:
    """Every requirement of the request with its source and the judge's finding
    (``not_checked`` when no design reached the judge)."""
    req = outcome.request
    if req is None:
        return []
    verdict = outcome.proof.verdict if outcome.proof is not None else None
    found = {r.id: r for r in verdict.results} if verdict is not None else {}
    rows = []
    for r in req.requirements:
        res = found.get(r.id)
        row = {"id": r.id, "kind": r.kind, "requirement": r.describe(), "params": r.params.to_plain(),
               "source": r.source.to_dict(), "must": r.must,
               "status": res.status if res is not None else "not_checked",
               "passed": bool(res is not None and res.passed)}
        if res is not None:
            fig = res.figure
            row["figure"] = float(fig) if isinstance(fig, (int, float)) and fig == fig and \
                abs(fig) != float("inf") else None
            row["detail"] = res.detail
        rows.append(row)
    return rows


def summary(outcome: Outcome) -> dict:
    """The summary.json object."""
    proof, design = outcome.proof, outcome.design
    figures = proof.figures() if proof else {}
    spec = outcome.spec
    req = outcome.request
    out = {
        "command": "synth",
        "backend": outcome.backend,
        "mode": outcome.mode,
        "model": outcome.model or None,
        "kind": spec.kind if spec else (design.kind if design else None),
        "variant": design.variant if design else None,
        "success": outcome.success,
        "rounds": len(outcome.rounds),
        "seconds": round(outcome.seconds, 3),
        "vdd": spec.vdd if spec else (req.supply_voltage or 1.8 if req else 1.8),
        "interface": req.interface.to_dict() if req else [],
        "requirements": requirement_rows(outcome),
        "unconsumed": list(req.unconsumed) if req else [],
        "judge": ({"success": proof.verdict.success, "problems": list(proof.verdict.problems),
                   "simulations": proof.verdict.simulations}
                  if proof is not None and proof.verdict is not None else None),
        "ports": [p.to_dict() for p in design.ports] if design else [],
        "library_blocks": list(design.library_blocks) if design else [],
        "blocks": list(proof.blocks) if proof and proof.blocks else (list(design.blocks) if design else []),
        "figures": {k: (float(v) if v == v and abs(v) != float("inf") else None) for k, v in figures.items()},
        "checks": [r.to_dict() for r in proof.results] if proof else [],
        "round_log": [{"round": r.index, "passed": r.proof.passed, "note": r.note,
                       "failed": next((c.name for c in r.proof.results if not c.passed and not c.skipped), None)}
                      for r in outcome.rounds],
        "simulations": sum(r.proof.simulations for r in outcome.rounds),
        "llm_tokens": outcome.tokens,
        "spec": spec.to_dict() if spec else None,
        "files": [f for f in FILES if f != "testbench.cir" or (proof and proof.testbench)],
    }
    if not outcome.success:
        out["reason"] = outcome.reason
    return out


def write_outputs(outcome: Outcome, stage: Path, title: str) -> dict:
    """Write the four files into ``stage`` (a staging dir from ``staged_output``)."""
    design, proof = outcome.design, outcome.proof
    if design is not None:
        text = design.netlist_text(title)
    else:
        text = outcome.text or "* chipsmith synth: no netlist was produced\n"
    atomic_write_text(stage / "design.cir", text)
    if proof is not None and proof.testbench is not None:
        atomic_write_text(stage / "testbench.cir", proof.testbench.file_text(f"testbench for {title}"))
    spec, req = outcome.spec, outcome.request
    ports = " ".join(req.interface.names) if req else " ".join((*spec.inputs, *spec.outputs, *spec.bias, "vdd",
                                                                "gnd")) if spec else "-"
    header = ["# chipsmith synth transcript", "",
              f"- request: {(req.text if req else spec.text if spec else '') or '(spec file)'}",
              f"- backend: {outcome.backend}, mode: {outcome.mode}" + (f", model: {outcome.model}" if outcome.model
                                                                       else ""),
              f"- kind: {spec.kind if spec else '-'}, ports: {ports}",
              f"- result: {'verified' if outcome.success else 'FAILED: ' + outcome.reason.splitlines()[0] if outcome.reason else 'FAILED'}",
              ""]
    atomic_write_text(stage / "transcript.md", "\n".join(header + outcome.transcript) + "\n")
    data = summary(outcome)
    write_json(stage / "summary.json", data)
    return data
