"""The synthesis loop: spec -> (expert | LLM) -> proofreading rounds -> best verified design.

``expert``: the planner and the sizing loop (:mod:`chipsmith.agents.sizing`).
``full`` (LLM): block selection, then block connection, then up to ``rounds``
proofreading rounds; every failed check goes back to the model verbatim
(:func:`chipsmith.agents.verdict.feedback_text`). ``hybrid`` (LLM): the model only
translates the request into a JSON spec, validated by :func:`spec_from_dict` (errors fed
back), and the expert does the rest. Every step is recorded for ``transcript.md``.
"""
from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field, replace
from typing import Callable, Mapping, Sequence

from chipsmith.agents import prompts
from chipsmith.agents.backends import Backend, redact
from chipsmith.agents.checks import Proof, extract_netlist, proofread
from chipsmith.agents.circuit import Design
from chipsmith.agents.sizing import Attempt, best_attempt, synthesize
from chipsmith.agents.spec import Spec, spec_from_dict
from chipsmith.agents.verdict import feedback_text
from chipsmith.errors import ChipsmithError


@dataclass(frozen=True)
class Round:
    """One proofreading round: what was checked, how it went, what was fed back."""

    index: int
    proof: Proof
    text: str | None
    note: str = ""
    feedback: str = ""


@dataclass
class Outcome:
    """The result of a synthesis run (``design``/``proof``: the passing or best attempt)."""

    spec: Spec
    backend: str
    mode: str
    rounds: list[Round] = field(default_factory=list)
    transcript: list[str] = field(default_factory=list)
    design: Design | None = None
    text: str | None = None
    proof: Proof | None = None
    success: bool = False
    reason: str = ""
    seconds: float = 0.0
    model: str = ""
    tokens: int = 0

    def log(self, text: str) -> None:
        self.transcript.append(text)


def _check_table(proof: Proof) -> str:
    rows = ["| check | result | detail |", "|---|---|---|"]
    for r in proof.results:
        status = "skipped" if r.skipped else ("pass" if r.passed else "FAIL")
        rows.append(f"| {r.name} | {status} | {r.detail.replace('|', '/')} |")
    return "\n".join(rows)


def run_expert(spec: Spec, outcome: Outcome, *, rounds: int = 12,
               on_round: Callable[[str], None] | None = None) -> Outcome:
    def record(a: Attempt) -> None:
        outcome.rounds.append(Round(a.round, a.proof, a.design.netlist_text(), f"{a.variant}: {a.note}"))
        outcome.log(f"## Round {a.round} (expert, variant `{a.variant}`)\n\n{a.note}.\n\nBlocks: "
                    f"{', '.join(a.design.blocks)}.\n\nKnobs: "
                    + ", ".join(f"{k}={v:g}" for k, v in a.knobs.items()) + "\n\n" + _check_table(a.proof) + "\n")
        if on_round:
            on_round(f"round {a.round}: {a.variant}")

    ok, attempts = synthesize(spec, rounds=rounds, on_round=record)
    chosen = ok or best_attempt(attempts)
    if chosen is not None:
        outcome.design, outcome.proof = chosen.design, chosen.proof
        outcome.text = chosen.design.netlist_text(spec.text or spec.kind)
    outcome.success = ok is not None
    if not outcome.success:
        outcome.reason = feedback_text(chosen.proof.results) if chosen else "no attempt was made"
    return outcome


def _json_object(text: str) -> dict | None:
    match = re.search(r"\{.*\}", text or "", re.DOTALL)
    if not match:
        return None
    try:
        data = json.loads(match.group(0))
    except json.JSONDecodeError:
        return None
    return data if isinstance(data, dict) else None


def _ask(llm: Backend, messages: list[dict[str, str]], outcome: Outcome, title: str, *,
         json_mode: bool = False) -> str:
    answer = llm.chat(messages, json_mode=json_mode)
    secret = getattr(llm, "_key", None)
    outcome.log(f"### {title}: prompt\n\n```text\n{redact(messages[-1]['content'], [secret])}\n```\n\n"
                f"### {title}: answer\n\n```text\n{redact(answer, [secret])}\n```\n")
    return answer


def run_full(spec: Spec, llm: Backend, outcome: Outcome, *, library=None, rounds: int = 6,
             on_round: Callable[[str], None] | None = None) -> Outcome:
    """LLM designs the netlist; the checks proofread it; failures are fed back."""
    outcome.log("## Step 1: block selection\n")
    messages = prompts.selection_messages(spec, library)
    answer = _ask(llm, messages, outcome, "block selection", json_mode=True)
    selection = _json_object(answer)
    blocks = selection.get("blocks") if selection else None
    selection_text = json.dumps(blocks) if isinstance(blocks, list) else "(no valid selection: " \
        "answer was not a JSON object with a 'blocks' list)"
    history = [*messages, {"role": "assistant", "content": answer}]
    outcome.log("## Step 2: block connection\n")
    messages = prompts.connection_messages(spec, selection_text, history)
    best: Round | None = None
    for index in range(1, rounds + 1):
        if on_round:
            on_round(f"round {index}: asking {llm.name}")
        answer = _ask(llm, messages, outcome, f"round {index}")
        messages = [*messages, {"role": "assistant", "content": answer}]
        text = extract_netlist(answer)
        if text is None:
            proof = Proof((_no_netlist(),))
        else:
            proof = proofread(text, spec)
        feedback = feedback_text(proof.results) if not proof.passed else ""
        rnd = Round(index, proof, text, "llm answer", feedback)
        outcome.rounds.append(rnd)
        outcome.log(f"## Round {index} checks\n\n{_check_table(proof)}\n")
        if best is None or proof.score() >= best.proof.score():
            best = rnd
        if proof.passed:
            break
        outcome.log(f"### feedback sent\n\n```text\n{feedback}\n```\n")
        messages.append(prompts.feedback_message(feedback))
    if best is not None:
        outcome.proof = best.proof
        outcome.design = best.proof.design
        outcome.text = best.text
        outcome.success = best.proof.passed
        if not outcome.success:
            outcome.reason = feedback_text(best.proof.results)
    return outcome


def _no_netlist():
    from chipsmith.agents.verdict import CheckResult

    return CheckResult("parse", False, "the answer contains no netlist: expected one ```spice fence holding "
                                       "`.subckt design ...` up to `.ends design`")


def run_hybrid(text: str, base: Spec | None, llm: Backend, outcome: Outcome, *, rounds: int = 3,
               expert_rounds: int = 12, on_round: Callable[[str], None] | None = None) -> Outcome:
    """LLM translates the request into a spec (validated, errors fed back); the expert designs."""
    outcome.log("## Step 1: request -> spec (LLM)\n")
    messages = prompts.spec_messages(text)
    spec = None
    for index in range(1, rounds + 1):
        answer = _ask(llm, messages, outcome, f"spec translation {index}", json_mode=True)
        data = _json_object(answer)
        try:
            if data is None:
                raise ValueError("the answer holds no JSON object")
            spec = spec_from_dict(data, where="LLM spec")
            break
        except (ChipsmithError, ValueError) as exc:
            message = exc.one_line() if isinstance(exc, ChipsmithError) else str(exc)
            outcome.log(f"spec rejected: {message}\n")
            messages = [*messages, {"role": "assistant", "content": answer},
                        {"role": "user", "content": f"That spec is invalid: {message}. Answer with a corrected "
                                                     "JSON object only."}]
    if spec is None:
        if base is None:
            outcome.reason = "the LLM gave no valid spec and the rules could not read the request"
            return outcome
        spec = base
        outcome.log("falling back to the rule-based reading of the request\n")
    if base is not None:  # node names and supply from the command line win
        spec = replace(spec, inputs=base.inputs, outputs=base.outputs, bias=base.bias,
                       bias_values=base.bias_values or spec.bias_values, text=text)
    from chipsmith.agents.spec import with_ports

    spec = with_ports(spec)
    outcome.spec = spec
    outcome.log("## Step 2: expert synthesis of the spec\n\n```json\n" + json.dumps(spec.to_dict(), indent=1,
                                                                                   default=str) + "\n```\n")
    return run_expert(spec, outcome, rounds=expert_rounds, on_round=on_round)


def finish(outcome: Outcome, start: float) -> Outcome:
    outcome.seconds = time.perf_counter() - start
    return outcome


def resolve_request(request: "str | Spec | Mapping", *, inputs: Sequence[str] = (), outputs: Sequence[str] = (),
                    bias: Sequence[str] = (), kind: str | None = None, vdd: float | None = None,
                    allow_unknown: bool = False, where: str = "request") -> tuple[Spec | None, list[str]]:
    """Turn free text, a spec mapping or a :class:`Spec` into a port-complete spec.

    Returns (spec, reasons); ``spec`` is None only when ``allow_unknown`` and the rules
    could not read the text (hybrid mode then asks the LLM).
    """
    from chipsmith.agents.spec import spec_from_dict, with_ports
    from chipsmith.agents.text_understanding import understand
    from chipsmith.errors import InputError

    reasons: list[str] = []
    if isinstance(request, Spec):
        spec = request
    elif isinstance(request, Mapping):
        data = dict(request)
        if kind:
            data["kind"] = kind
        if "kind" not in data and data.get("text"):
            data["kind"] = understand(str(data["text"])).spec.kind
        spec = spec_from_dict(data, where=where)
        kind = None
    else:
        try:
            understood = understand(str(request))
            spec, reasons = understood.spec, list(understood.reasons)
        except InputError:
            if not (allow_unknown or kind):
                raise
            if not kind:
                return None, reasons
            spec = Spec(kind=kind, text=str(request))
    if kind:
        spec = replace(spec, kind=spec_from_dict({"kind": kind}).kind)
    if vdd:
        spec = replace(spec, vdd=float(vdd))
    return with_ports(spec, tuple(inputs), tuple(outputs), tuple(bias)), reasons


def synthesize_request(request: "str | Spec | Mapping", *, inputs: Sequence[str] = (), outputs: Sequence[str] = (),
                       bias: Sequence[str] = (), backend: str = "expert", mode: str | None = None,
                       llm: Backend | None = None, rounds: int = 6, library=None, kind: str | None = None,
                       vdd: float | None = None, on_round: Callable[[str], None] | None = None) -> Outcome:
    """One-call synthesis (what ``chipsmith synth`` does, minus the files).

    ``request``: free text, a spec mapping or a :class:`Spec`. ``backend``: ``expert``
    or the name of ``llm`` (an object with ``chat``; see :mod:`chipsmith.agents.backends`).
    Returns the :class:`Outcome` (``success``, ``design``, ``proof``, ``rounds``, ``seconds``).
    """
    from chipsmith.agents.backends import DEFAULT_MODE
    from chipsmith.errors import InputError

    start = time.perf_counter()
    mode = "expert" if backend == "expert" else (mode or DEFAULT_MODE.get(backend, "full"))
    spec, reasons = resolve_request(request, inputs=inputs, outputs=outputs, bias=bias, kind=kind, vdd=vdd,
                                    allow_unknown=(mode == "hybrid"))
    text = request if isinstance(request, str) else (spec.text if spec else "")
    outcome = Outcome(spec=spec or Spec(kind="two_stage_opamp", text=str(text)), backend=backend, mode=mode,
                      model=getattr(llm, "model", "") if llm else "")
    if reasons:
        outcome.log("## Understanding the request\n\n" + "\n".join(f"- {r}" for r in reasons) + "\n")
    if mode == "expert":
        run_expert(spec, outcome, rounds=max(12, rounds * 2), on_round=on_round)
    elif llm is None:
        raise InputError(f"backend {backend} needs an LLM client", fix="pass llm=make_backend(...)")
    elif mode == "hybrid":
        run_hybrid(str(text), spec, llm, outcome, rounds=min(rounds, 3), on_round=on_round)
    else:
        run_full(spec, llm, outcome, library=library, rounds=rounds, on_round=on_round)
    outcome.tokens = int(getattr(llm, "tokens", 0) or 0) if llm else 0
    return finish(outcome, start)
