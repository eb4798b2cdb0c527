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
from typing import Any, Callable, Mapping, Sequence

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
    """The result of a synthesis run (``design``/``proof``: the passing or best attempt).

    ``request``: the :class:`~chipsmith.spice.requirements.Request` (interface, requirements,
    unconsumed phrases); ``spec``: the structured spec the expert planned from (None when
    no kind generator applied). ``success`` only when the judge passed every requirement
    and nothing in the request went unread.
    """

    spec: Spec | None
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
    request: Any = None
    selection: dict = field(default_factory=dict)  # full mode: blocks the LLM chose, validated against the library
    spec_source: str = ""  # hybrid mode: "llm" (the model's spec was used) or "rules" (fallback to the reader's)

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
        design = chosen.proof.design or chosen.design  # the proofread one (ports in the designer's order)
        outcome.design, outcome.proof = design, chosen.proof
        outcome.text = design.netlist_text(spec.text or spec.kind)
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


def run_full(spec: Spec | None, llm: Backend, outcome: Outcome, *, library=None, rounds: int = 6,
             on_round: Callable[[str], None] | None = None, request=None) -> Outcome:
    """LLM designs the netlist; the checks proofread it (the judge last); failures are fed
    back. Without a spec (a request the rules could not map to a kind) the judge alone
    checks every round against the request's requirements."""
    outcome.log("## Step 1: block selection\n")
    messages = prompts.selection_messages(spec, library, request=request)
    answer = _ask(llm, messages, outcome, "block selection", json_mode=True)
    selection = _json_object(answer)
    blocks = selection.get("blocks") if selection else None
    valid, unknown = validate_blocks(blocks, library)
    outcome.selection = {"chosen": [str(b) for b in blocks] if isinstance(blocks, list) else None,
                         "valid": valid, "unknown": unknown, "used": []}
    selection_text = prompts.selection_text(blocks, valid, unknown, library)
    history = [*messages, {"role": "assistant", "content": answer}]
    outcome.log("## Step 2: block connection\n")
    messages = prompts.connection_messages(spec, selection_text, history, request=request)
    base = list(messages)
    best: Round | None = None
    for index in range(1, rounds + 1):
        if on_round:
            on_round(f"round {index}: asking {llm.name}")
        answer = _ask(llm, messages, outcome, f"round {index}")
        # the next round sees the task, its last answer and the feedback on it: a bounded context,
        # so a local model with a short context window can go on correcting
        messages = [*base, {"role": "assistant", "content": answer}]
        text = extract_netlist(answer)
        if text is not None:
            outcome.selection["used"] = sorted(set(outcome.selection["used"]) | set(used_blocks(text, library)))
        if text is None:
            proof = Proof((_no_netlist(),))
        elif spec is not None:
            proof = proofread(text, spec)
        else:
            proof = _judge_only(text, request)
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
            outcome.reason = _verdict_reason(best.proof) if best.proof.verdict is not None else \
                feedback_text(best.proof.results)
    return outcome


def validate_blocks(blocks, library) -> tuple[list[str], list[str]]:
    """(library block names, names the library lacks) among the LLM's chosen ``blocks``;
    the expert's ``design_`` prefix and case are tolerated."""
    if not isinstance(blocks, list):
        return [], []
    valid: list[str] = []
    unknown: list[str] = []
    for raw in blocks:
        name = str(raw).strip().lower()
        name = name[len("design_"):] if name.startswith("design_") else name
        if library is not None and name in library:
            if name not in valid:
                valid.append(name)
        elif str(raw).strip() and str(raw).strip() not in unknown:
            unknown.append(str(raw).strip())
    return valid, unknown


def used_blocks(text: str, library) -> list[str]:
    """Library blocks that a netlist instantiates (X lines whose subckt is a library block)."""
    if library is None:
        return []
    used = []
    for line in text.splitlines():
        tokens = [t for t in line.split() if "=" not in t and t.lower() != "params:"]
        if len(tokens) >= 2 and tokens[0][:1].lower() == "x":
            name = tokens[-1].lower()
            name = name[len("design_"):] if name.startswith("design_") else name
            if name in library and name not in used:
                used.append(name)
    return used


def _judge_only(text: str, request) -> Proof:
    """One round checked by the independent judge alone (no kind-specific checks apply)."""
    from chipsmith.agents.checks import complete_with_library, judge_check

    text, _ = complete_with_library(text)
    check, verdict = judge_check(text, request)
    return Proof((check,), None, simulations=verdict.simulations, seconds=verdict.seconds, verdict=verdict)


def _no_netlist():
    from chipsmith.agents.verdict import CheckResult

    return CheckResult("parse", False, "the answer contains no netlist: expected one ```spice fence holding "
                                       "`.subckt design ...` up to `.ends design`")


def run_hybrid(text: str, base: Spec | None, llm: Backend, outcome: Outcome, *, rounds: int = 3,
               expert_rounds: int = 12, on_round: Callable[[str], None] | None = None, request=None) -> Outcome:
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
    outcome.spec_source = "llm" if spec is not None else ""
    if spec is None:
        if base is None:
            outcome.reason = "the LLM gave no valid spec and the rules could not read the request"
            return outcome
        spec = base
        outcome.spec_source = "rules"
        outcome.log("falling back to the rule-based reading of the request\n")
    if base is not None:  # node names and supply from the command line win
        spec = replace(spec, inputs=base.inputs, outputs=base.outputs, bias=base.bias,
                       bias_values=base.bias_values or spec.bias_values, text=text)
    elif request is not None:
        from chipsmith.agents.bridge import ports_for

        ins, outs, bias = ports_for(request, spec.kind)
        spec = replace(spec, inputs=ins, outputs=outs, bias=bias, text=text)
    from chipsmith.agents.spec import with_ports

    try:
        spec = with_ports(spec)
    except ChipsmithError as exc:
        outcome.reason = f"the LLM's spec does not fit the interface: {exc.one_line()}"
        return outcome
    if request is not None:
        spec = replace(spec, request=request)
    outcome.spec = spec
    outcome.log("## Step 2: expert synthesis of the spec\n\n```json\n" + json.dumps(spec.to_dict(), indent=1,
                                                                                   default=str) + "\n```\n")
    return run_expert(spec, outcome, rounds=expert_rounds, on_round=on_round)


def finish(outcome: Outcome, start: float) -> Outcome:
    outcome.seconds = time.perf_counter() - start
    return outcome


def build_request(request: "str | Spec | Mapping", *, inputs: Sequence[str] = (), outputs: Sequence[str] = (),
                  bias: Sequence[str] = (), ports: Sequence[str] = (), kind: str | None = None,
                  vdd: float | None = None, where: str = "request"):
    """The :class:`~chipsmith.spice.requirements.Request` for free text, a spec mapping or a
    :class:`Spec`, with the designer's port list. Raises ``InputError`` for bad input
    (contradictions, empty request, a port whose role cannot be told)."""
    from chipsmith.agents.bridge import interface_for_spec, requirements_from_spec
    from chipsmith.agents.reader import read_request
    from chipsmith.agents.request import PortList
    from chipsmith.agents.spec import spec_from_dict, with_ports
    from chipsmith.spice.requirements import Request, Requirement, Source

    if isinstance(request, (Spec, Mapping)):
        if isinstance(request, Mapping):
            data = dict(request)
            if kind:
                data["kind"] = kind
            if "kind" not in data and data.get("text"):
                from chipsmith.agents.text_understanding import understand

                data["kind"] = understand(str(data["text"])).spec.kind
            spec = spec_from_dict(data, where=where)
        else:
            spec = replace(request, kind=spec_from_dict({"kind": kind}).kind) if kind else request
        if vdd:
            spec = replace(spec, vdd=float(vdd))
        spec = with_ports(spec, tuple(inputs), tuple(outputs), tuple(bias), where=where)
        interface = interface_for_spec(spec)
        return Request(spec.text or f"spec: {spec.kind}", interface, requirements_from_spec(spec, interface))
    text = str(request)
    req = read_request(text, PortList(tuple(inputs), tuple(outputs), tuple(bias), tuple(ports)))
    extra = []
    if kind:  # --kind: the designer names the circuit; it replaces what the text said
        from chipsmith.agents.bridge import _FAMILY
        from chipsmith.agents.kinds import get_kind

        fam, var = _FAMILY[get_kind(kind).name]
        extra.append(Requirement("family", "family", {"family": fam, **({"variant": var} if var else {})},
                                 Source("--kind"), True))
    if vdd:
        extra.append(Requirement("supply_cli", "supply", {"voltage": float(vdd)}, Source("--vdd")))
    if extra:
        kept = tuple(r for r in req.requirements if not (kind and r.kind == "family")
                     and not (vdd and r.kind == "supply"))
        req = Request(req.text, req.interface, tuple(extra) + kept, req.unconsumed)
    return req


def resolve_request(request: "str | Spec | Mapping", *, inputs: Sequence[str] = (), outputs: Sequence[str] = (),
                    bias: Sequence[str] = (), ports: Sequence[str] = (), kind: str | None = None,
                    vdd: float | None = None, allow_unknown: bool = False, where: str = "request"):
    """Validate a request before any backend starts: returns the Request. Raises
    ``InputError`` for bad input; a text naming no circuit is bad input unless
    ``allow_unknown`` (an LLM mode then gets it)."""
    from chipsmith.agents.bridge import family_of
    from chipsmith.errors import InputError

    req = build_request(request, inputs=inputs, outputs=outputs, bias=bias, ports=ports, kind=kind, vdd=vdd,
                        where=where)
    if family_of(req)[0] is None and not allow_unknown:
        raise InputError(f"cannot tell which circuit {req.text[:60]!r} asks for", where=where,
                         fix="name a circuit such as: common-source amplifier, two-stage op-amp, current mirror, "
                             "inverting amplifier, integrator, Schmitt trigger, ring oscillator, low-pass filter, "
                             "bandgap, LDO (or pass a spec file with kind:, or use --backend openai)")
    return req


def _plan_with_judge(req, outcome: Outcome, *, model_file: str | None, rounds: int,
                     on_round: Callable[[str], None] | None) -> bool | None:
    """E3's requirement-driven planner (``planner.plan``) when it exists: every candidate
    is judged; the judge's failures go back to the planner. None: no such planner or it
    cannot build the request (the kind-generator bridge is tried next)."""
    from chipsmith.agents import planner
    from chipsmith.agents.checks import Proof, judge_check

    plan = getattr(planner, "plan_request", None) or getattr(planner, "plan", None)
    if plan is None:
        return None
    feedback: tuple[str, ...] = ()
    seen: set[str] = set()
    index = len(outcome.rounds)
    rounds += index
    try:
        for _ in range(3):  # passes: the judge's failures of the best candidate go back to the planner
            fresh = 0
            for design in plan(req, model_file=model_file, feedback=feedback):
                text = design.netlist_text(req.text[:70])
                if text in seen:
                    continue
                seen.add(text)
                fresh += 1
                index += 1
                check, verdict = judge_check(text, req)
                proof = Proof((check,), design, simulations=verdict.simulations, seconds=verdict.seconds,
                              blocks=tuple(design.blocks), verdict=verdict)
                outcome.rounds.append(Round(index, proof, text, f"planner candidate {design.variant}",
                                            "" if check.passed else check.detail))
                outcome.log(f"## Round {index} (requirement planner, `{design.kind}`/`{design.variant}`)\n\n"
                            + (f"Feedback given to the planner: {'; '.join(feedback)}\n\n" if feedback else "")
                            + f"{_check_table(proof)}\n")
                if on_round:
                    on_round(f"round {index}: {design.variant}")
                if outcome.proof is None or check.passed or \
                        sum(r.passed for r in verdict.results) > \
                        sum(r.passed for r in outcome.proof.verdict.results):
                    outcome.proof, outcome.design, outcome.text = proof, design, text
                if check.passed or index >= rounds:
                    break
            if outcome.proof is None or outcome.proof.passed or index >= rounds or not fresh:
                break
            feedback = tuple(ln for ln in outcome.proof.results[0].detail.split("; ") if ln.startswith("requirement"))
    except ChipsmithError as exc:
        outcome.log(f"requirement planner: {exc.one_line()}\n")
        outcome.reason = f"no design: {exc.one_line()}"
        return None if outcome.proof is None else False
    except NotImplementedError as exc:
        outcome.log(f"requirement planner: {exc}\n")
        return None if outcome.proof is None else False
    if outcome.proof is None:
        return None
    return outcome.proof.passed


def synthesize_request(request: "str | Spec | Mapping", *, inputs: Sequence[str] = (), outputs: Sequence[str] = (),
                       bias: Sequence[str] = (), ports: Sequence[str] = (), backend: str = "expert",
                       mode: str | None = None, llm: Backend | None = None, rounds: int = 6, library=None,
                       kind: str | None = None, vdd: float | None = None, model_file: str | None = None,
                       on_round: Callable[[str], None] | None = None) -> Outcome:
    """One-call synthesis (what ``chipsmith synth`` does, minus the files).

    ``request``: free text, a spec mapping or a :class:`Spec`, or a ready
    :class:`~chipsmith.spice.requirements.Request`. ``backend``: ``expert`` or the name
    of ``llm``. The request is read into requirements (every phrase consumed or listed as
    unconsumed); designs are proofread, the last check being the independent judge on
    every requirement. Returns the :class:`Outcome`.
    """
    from chipsmith.agents.backends import DEFAULT_MODE
    from chipsmith.agents.bridge import Refusal, family_of, spec_for_request
    from chipsmith.errors import InputError
    from chipsmith.spice.requirements import Request

    start = time.perf_counter()
    mode = "expert" if backend == "expert" else (mode or DEFAULT_MODE.get(backend, "full"))
    if isinstance(request, Request):
        req = request
    else:
        req = resolve_request(request, inputs=inputs, outputs=outputs, bias=bias, ports=ports, kind=kind, vdd=vdd,
                              allow_unknown=(mode != "expert"))
    outcome = Outcome(spec=None, backend=backend, mode=mode, model=getattr(llm, "model", "") if llm else "",
                      request=req)
    outcome.log("## Reading the request\n\n" + "\n".join(
        f"- `{r.id}` {r.describe()} <- " + ("(spec)" if r.source.is_spec else f"'{r.source.phrase}'")
        for r in req.requirements) + "\n\nPorts: " + ", ".join(f"{p.name} ({p.role.value})"
                                                                for p in req.interface.ports) + "\n")
    if req.unconsumed:
        outcome.reason = ("the request has phrases chipsmith did not read, so no design can be claimed to meet it: "
                          + "; ".join(f"'{u}'" for u in req.unconsumed))
        outcome.log(f"Refused: {outcome.reason}\n")
        return finish(outcome, start)
    spec = None
    refusal = ""
    try:
        spec = spec_for_request(req, model_file=model_file, vdd=vdd)
        outcome.spec = spec
    except Refusal as exc:
        refusal = exc.one_line()
    if mode == "expert":
        if family_of(req)[0] is None:
            raise InputError(f"cannot tell which circuit {req.text[:60]!r} asks for", where="request")
        _expert(req, spec, refusal, outcome, model_file=model_file, rounds=max(12, rounds * 2), on_round=on_round)
    elif llm is None:
        raise InputError(f"backend {backend} needs an LLM client", fix="pass llm=make_backend(...)")
    elif mode == "hybrid":
        run_hybrid(req.text, spec, llm, outcome, rounds=min(rounds, 3), on_round=on_round, request=req)
    else:
        run_full(spec, llm, outcome, library=library, rounds=rounds, on_round=on_round, request=req)
    outcome.success = bool(outcome.success and outcome.proof is not None and outcome.proof.verdict is not None
                           and outcome.proof.verdict.success and not req.unconsumed)
    if not outcome.success and not outcome.reason:
        outcome.reason = _verdict_reason(outcome.proof) if outcome.proof else "no design was produced"
    outcome.tokens = int(getattr(llm, "tokens", 0) or 0) if llm else 0
    return finish(outcome, start)


def _expert(req, spec: Spec | None, refusal: str, outcome: Outcome, *, model_file: str | None, rounds: int,
            on_round: Callable[[str], None] | None) -> None:
    """The kind generators with their sizing loop first (their own checks, then the judge,
    drive each round), then the requirement-driven planner when no kind fits or the judge
    refused every sized design. The best judged attempt is kept."""
    kind_attempt = None
    if spec is not None:
        try:
            run_expert(spec, outcome, rounds=rounds, on_round=on_round)
        except ChipsmithError as exc:  # the kind generator cannot build this interface: not bad input
            outcome.log(f"kind generator `{spec.kind}`: {exc.one_line()}\n")
            refusal = f"the expert {spec.kind} cannot build this: {exc.one_line()}"
            outcome.design = outcome.proof = outcome.text = None
            outcome.success = False
        else:
            if outcome.success:
                return
            if outcome.proof is not None and outcome.proof.verdict is None and outcome.design is not None:
                # the best sized design never reached the judge: judge it once, so it can be compared
                from chipsmith.agents.checks import judge_check

                check, verdict = judge_check(outcome.design.netlist_text(req.text[:70]), req)
                outcome.proof = replace(outcome.proof, results=outcome.proof.results + (check,), verdict=verdict)
            kind_attempt = (outcome.design, outcome.proof, outcome.text, outcome.reason)
            outcome.design = outcome.proof = outcome.text = None
    outcome.reason = ""
    planned = _plan_with_judge(req, outcome, model_file=model_file, rounds=rounds, on_round=on_round)
    if planned:
        outcome.success = True
        return
    planner_says = outcome.reason[len("no design: "):] if outcome.reason.startswith("no design: ") else ""
    if kind_attempt is not None and (planned is None or _judged(kind_attempt[1]) >= _judged(outcome.proof)):
        outcome.design, outcome.proof, outcome.text, outcome.reason = kind_attempt
        return
    if outcome.proof is not None:
        outcome.reason = _verdict_reason(outcome.proof)
        return
    outcome.reason = "no design: " + "; ".join(x for x in (refusal, planner_says) if x)


def _judged(proof) -> int:
    """How many requirements a proof's judge verdict passed (-1: never judged)."""
    if proof is None or proof.verdict is None:
        return -1
    return sum(r.passed for r in proof.verdict.results)


def _verdict_reason(proof) -> str:
    if proof is None:
        return ""
    if proof.verdict is None:
        return feedback_text(proof.results)
    return "The design failed these requirements:\n" + "\n".join(
        f"{i}. {r.id} ({r.kind}) {r.status}: {r.detail}" for i, r in enumerate(proof.verdict.failures, 1)) + \
        "".join(f"\n- {p}" for p in proof.verdict.problems)
