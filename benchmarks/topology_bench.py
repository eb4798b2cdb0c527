"""Topology benchmark: the agent designs, the independent judge scores against hand-written requirements.

Sets (``--set``):

- ``real_v2`` (``problems/real_v2.jsonl``): requests written as designers write them, each
  with a hand-annotated port list (roles) and hand-written requirements. The format is::

      {"id": "v2-001", "family": "amplifiers", "text": "...",
       "interface": [{"name": "Vin", "role": "signal_in"}, ...],
       "requirements": [{"id": "r1", "kind": "family", "params": {...}}, ...]}

  (``interface``/``requirements`` as in :mod:`chipsmith.spice.requirements`).
- ``heldout_v3`` (``problems/heldout_v3.jsonl``): the same format, a held-out set written
  before it was ever run (source: ``problems/heldout_v3_source.py``).
- ``real`` (``problems/real.jsonl``): the first, agent-era set, kept as a REGRESSION set
  only (its texts were written for the agent's own reader). Its structured specs are
  turned into requirements by the fixed table :func:`legacy_request` below, never by the
  agent's reader.
- ``synthetic``: the seeded generated set (same legacy conversion).
- a path to a JSON Lines file in either format.

Backends (``--backend``): ``expert`` (offline, default) or an LLM: ``openai`` (any
OpenAI-compatible endpoint, ``--base-url``/``--model``, key from ``OPENAI_API_KEY`` only)
or ``llamacpp`` (a local GGUF file, ``--model FILE.gguf``), in ``full`` mode (the LLM
selects library blocks and writes the netlist) or ``hybrid`` mode (the LLM writes the spec,
the expert designs). The same judge scores every backend; LLM results also carry the
requests, prompt/completion tokens and wall time of each problem (:class:`LLMConfig`).

Scoring: the agent gets only the text and the port names (grouped into inputs, outputs
and bias the way a user passes ``--inputs/--outputs/--bias``; legacy sets in ``spec``
mode also get their structured spec). Its design is judged by
:func:`chipsmith.spice.judge.judge` against the problem's own requirements, never the
agent's. Each problem is **solved** (the agent claimed success and the judge agrees),
a **false success** (the agent claimed success, the judge disagrees) or **refused**
(the agent did not claim success). A false success is worse than a refusal.
"""
from __future__ import annotations

import json
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from chipsmith.errors import InputError

PROBLEMS_DIR = Path(__file__).parent / "problems"
SETS = {"real_v2": "real_v2.jsonl", "heldout_v3": "heldout_v3.jsonl", "real": "real.jsonl"}
LEGACY_REQUIRED = ("id", "text", "spec", "inputs", "outputs", "bias")
STATUSES = ("solved", "false_success", "refused")

# --- legacy (spec) problems -> hand-written requirement table -----------------------------------

# agent kind -> (requirement family, variant, report family)
LEGACY_FAMILY: dict[str, tuple[str, str | None, str]] = {
    "two_stage_opamp": ("opamp", "two_stage", "op-amps"), "folded_cascode": ("opamp", "folded_cascode", "op-amps"),
    "ota5t": ("opamp", "one_stage", "op-amps"), "telescopic": ("opamp", "telescopic", "op-amps"),
    "ldo": ("ldo", None, "mirrors+references"), "cs_amp": ("amplifier", "common_source", "amplifiers"),
    "source_follower": ("amplifier", "common_drain", "amplifiers"), "cascode_amp": ("amplifier", "cascode", "amplifiers"),
    "diff_amp": ("amplifier", "differential", "amplifiers"),
    "mirror_simple": ("current_mirror", "simple", "mirrors+references"),
    "mirror_cascode": ("current_mirror", "cascode", "mirrors+references"),
    "mirror_wilson": ("current_mirror", "wilson", "mirrors+references"), "inverter": ("inverter", None, "comparators"),
    "inverting_amp": ("opamp_app", "inverting", "op-amp applications"),
    "noninverting_amp": ("opamp_app", "non_inverting", "op-amp applications"),
    "integrator": ("opamp_app", "integrator", "op-amp applications"),
    "differentiator": ("opamp_app", "differentiator", "op-amp applications"),
    "summer": ("opamp_app", "summer", "op-amp applications"),
    "subtractor": ("opamp_app", "subtractor", "op-amp applications"), "schmitt": ("schmitt", None, "comparators"),
    "ring_oscillator": ("oscillator", "ring", "oscillators"), "comparator": ("comparator", None, "comparators"),
    "beta_multiplier": ("reference", "voltage", "mirrors+references"), "bandgap": ("bandgap", None, "mirrors+references"),
}
_DIFF_INPUT_KINDS = {"two_stage_opamp", "folded_cascode", "ota5t", "telescopic", "comparator", "diff_amp"}


def legacy_request(problem: dict[str, Any]):
    """The requirements a legacy problem's structured spec states, by a fixed table."""
    from chipsmith.spice.requirements import Interface, Port, Request, Requirement

    spec = problem["spec"]
    kind = spec.get("kind")
    if kind not in LEGACY_FAMILY:
        raise InputError(f"problem {problem['id']}: kind {kind!r} has no requirement table",
                         fix="add it to LEGACY_FAMILY or write the problem in the real_v2 format")
    family, variant, _ = LEGACY_FAMILY[kind]
    ports = []
    for i, name in enumerate(problem["inputs"]):
        if kind in _DIFF_INPUT_KINDS and len(problem["inputs"]) == 2:
            role = "diff_in_p" if i == 0 else "diff_in_n"
        elif kind.startswith("mirror"):
            role = "bias_i"
        else:
            role = "signal_in"
        ports.append(Port(name, role))
    outs = problem["outputs"]
    ports += [Port(outs[0], "diff_out_p"), Port(outs[1], "diff_out_n")] if len(outs) == 2 else [
        Port(o, "out") for o in outs]
    for name in problem["bias"]:
        low = name.lower()
        # a current input's name starts with i (iref, ibias, ib); then vref-like names are references
        ports.append(Port(name, "bias_i" if low.startswith("i") else ("reference" if "ref" in low else "bias_v")))
    reqs = [Requirement("family", "family", {"family": family, **({"variant": variant} if variant else {})})]
    ops = {"gain_db": ">=", "gbw_hz": ">=", "pm_deg": ">=", "ugb_hz": ">=", "power_w": "<="}
    for fig, value in (spec.get("targets") or {}).items():
        if fig in ops:
            reqs.append(Requirement(f"t_{fig}", "target", {"figure": fig, "op": ops[fig], "value": float(value)}))
    if spec.get("closed_loop_gain") is not None:
        g = float(spec["closed_loop_gain"])
        reqs.append(Requirement("t_gain", "target", {"figure": "gain_vv", "op": "~", "value": abs(g), "tol": 0.1}))
    if spec.get("time_constant_s") is not None:
        reqs.append(Requirement("t_tau", "target", {"figure": "time_constant_s", "op": "~",
                                                   "value": float(spec["time_constant_s"]), "tol": 0.3}))
    if spec.get("vout") is not None:
        reqs.append(Requirement("t_vout", "target", {"figure": "vout_v", "op": "~", "value": float(spec["vout"]),
                                                    "tol": 0.05}))
    if spec.get("load") in ("resistor", "current_source"):
        reqs.append(Requirement("load", "load_type", {"load": spec["load"]}))
    if spec.get("compensation") in ("miller", "miller_rz"):
        reqs.append(Requirement("miller", "structure", {"feature": "miller_compensation"}))
    pol = spec.get("input_polarity")
    if pol in ("nmos", "pmos") and family == "opamp":
        reqs.append(Requirement("input", "input_type", {"device": pol, "pair": True}))
    return Request(problem["text"], Interface(tuple(ports)), tuple(reqs))


# --- loading ---------------------------------------------------------------------------------

def _normalize(obj: Any, where: str) -> dict[str, Any]:
    """One decoded line -> a problem: id, family, text, request (hand requirements),
    the agent's inputs/outputs/bias/ports, legacy spec (or None), reference (or None)."""
    from chipsmith.spice.requirements import INPUT_ROLES, OUTPUT_ROLES, PortRole, Request

    if not isinstance(obj, dict):
        raise InputError("a problem must be a JSON object", where=where, fix="one {...} object per line")
    if "requirements" in obj:
        missing = [k for k in ("id", "text", "interface", "requirements") if k not in obj]
        if missing:
            raise InputError(f"problem is missing field(s) {', '.join(missing)}", where=where)
        try:
            req = Request.from_dict({"text": obj["text"], "interface": obj["interface"],
                                     "requirements": obj["requirements"]})
        except InputError as exc:
            raise InputError(exc.message, where=where, fix=exc.fix) from None
        iface = req.interface
        inputs = [p.name for p in iface.ports if p.role in INPUT_ROLES or p.role in (PortRole.CONTROL, PortRole.CLOCK)]
        outputs = [p.name for p in iface.ports if p.role in OUTPUT_ROLES]
        bias = [p.name for p in iface.by_role(PortRole.BIAS_V, PortRole.BIAS_I, PortRole.REFERENCE)]
        return {"id": str(obj["id"]), "family": str(obj.get("family", "other")), "text": obj["text"], "request": req,
                "inputs": inputs, "outputs": outputs, "bias": bias,
                "ports": [p.name for p in iface.ports if p.role not in (PortRole.SUPPLY, PortRole.GROUND)],
                "spec": None, "reference": obj.get("reference")}
    missing = [k for k in LEGACY_REQUIRED if k not in obj]
    if missing:
        raise InputError(f"problem is missing field(s) {', '.join(missing)}", where=where,
                         fix="real_v2 format: id, text, interface, requirements; legacy: " + ", ".join(LEGACY_REQUIRED))
    for key in ("inputs", "outputs", "bias"):
        if not isinstance(obj[key], list) or not all(isinstance(x, str) for x in obj[key]):
            raise InputError(f"problem field {key!r} must be a list of node names", where=where)
    if not isinstance(obj["spec"], dict) or "kind" not in obj["spec"]:
        raise InputError("problem field 'spec' must be an object with a kind", where=where,
                         fix="e.g. {\"kind\": \"ota5t\"}")
    req = legacy_request(obj)
    family = obj.get("category") or LEGACY_FAMILY[obj["spec"]["kind"]][2]
    return {"id": str(obj["id"]), "family": family, "text": obj["text"], "request": req, "inputs": obj["inputs"],
            "outputs": obj["outputs"], "bias": obj["bias"], "ports": obj["inputs"] + obj["outputs"] + obj["bias"],
            "spec": obj["spec"], "reference": obj.get("reference")}


def load_problems(path: Path | str) -> list[dict[str, Any]]:
    """Read and validate a JSON Lines problem file (either format)."""
    path = Path(path)
    if not path.is_file():
        raise InputError("problem file not found", where=str(path), fix="--set real_v2|real|synthetic|PATH.jsonl")
    problems, seen = [], set()
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        where = f"{path}:{lineno}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"malformed JSON: {exc.msg} at column {exc.colno}", where=where,
                             fix="one JSON object per line") from None
        prob = _normalize(obj, where)
        if prob["id"] in seen:
            raise InputError(f"duplicate problem id {prob['id']!r}", where=where, fix="ids must be unique")
        seen.add(prob["id"])
        problems.append(prob)
    if not problems:
        raise InputError("problem file has no problems", where=str(path))
    return problems


def load_set(name: str, *, limit: int | None = None, seed: int = 0) -> list[dict[str, Any]]:
    """``real_v2``, ``real`` (regression), ``synthetic`` (generated from ``seed``) or a file path."""
    if name == "synthetic":
        from chipsmith.benchmarks import topology_synthetic

        n = topology_synthetic.SET_SIZE if limit is None else min(limit, topology_synthetic.SET_SIZE)
        return [_normalize(p, f"synthetic[{i}]") for i, p in enumerate(topology_synthetic.generate(n, seed))]
    path = PROBLEMS_DIR / SETS[name] if name in SETS else Path(name)
    problems = load_problems(path)
    return problems[:limit] if limit is not None else problems


def structurally_equivalent(candidate: str, reference: str, ports: Sequence[str]) -> bool:
    """Labelled-graph isomorphism of the two ``design`` subckts (flattened, sizes ignored)."""
    from chipsmith.spice.parser import parse_netlist
    from chipsmith.spice.topology import graphs_equivalent, to_graph

    a = parse_netlist("* candidate\n" + candidate, "candidate.cir")
    b = parse_netlist("* reference\n" + reference, "reference.cir")
    return graphs_equivalent(to_graph(a.subckt("design"), ports=tuple(ports), subckts=a.subckts),
                             to_graph(b.subckt("design"), ports=tuple(ports), subckts=b.subckts))


# --- solving and scoring -------------------------------------------------------------------------

def _call_agent(problem: dict[str, Any], backend: str, request: str, llm=None, mode: str | None = None,
                library=None, rounds: int = 6):
    """The agent's public one-call entry with only what a user would pass: the text (plus
    the structured spec for legacy sets in spec mode) and the port names."""
    from chipsmith.agents.loop import synthesize_request

    if problem["spec"] is not None and request == "spec":
        req: Any = dict(problem["spec"], text=problem["text"])
    else:
        req = problem["text"]
    # the designer's port list grouped as a user passes it (--inputs/--outputs/--bias): names only, no roles
    if llm is None:
        return synthesize_request(req, inputs=problem["inputs"], outputs=problem["outputs"], bias=problem["bias"],
                                  backend=backend, llm=llm)
    return synthesize_request(req, inputs=problem["inputs"], outputs=problem["outputs"], bias=problem["bias"],
                              backend=backend, llm=llm, mode=mode, library=library, rounds=rounds)


def _netlist_of(outcome) -> str | None:
    design = getattr(outcome, "design", None)
    if design is not None:
        try:
            return design.netlist_text()
        except Exception:  # noqa: BLE001 - fall back to the outcome's text
            pass
    return getattr(outcome, "text", None) or None


def score(agent_success: bool, judge_success: bool | None) -> str:
    if not agent_success:
        return "refused"
    return "solved" if judge_success else "false_success"


@dataclass(frozen=True)
class PdkConfig:
    """``--pdk/--corners/--temps/--budget``: the agent moves its design onto the PDK and sizes
    it there (:func:`chipsmith.agents.synth_pdk.size_on_pdk`, judged with the agent's own
    reading of the request); it claims success only if that passes at every point. The
    benchmark's judge then scores the sized design against the problem's hand-written
    requirements at every corner x temperature on the PDK's models."""

    pdk: str
    corners: tuple[str, ...] = ("tt",)
    temps: tuple[float, ...] = (27.0,)
    budget: int = 12


def _on_pdk(rec: dict[str, Any], outcome, text: str, problem: dict[str, Any], config: PdkConfig,
            timeout: float) -> None:
    """The PDK stage of :func:`solve`: agent claim, then the independent verdict at every corner."""
    from chipsmith.agents.synth_pdk import Unmappable, size_on_pdk
    from chipsmith.errors import ChipsmithError
    from chipsmith.spice.judge_pdk import judge_corners
    from chipsmith.spice.pdk import get_pdk

    pdk = get_pdk(config.pdk)
    rec["generic_agent_success"] = rec["agent_success"]
    rec["agent_success"] = False
    try:
        res = size_on_pdk(text, outcome.request, pdk, config.corners, config.temps, budget=config.budget,
                          timeout=timeout)
    except Unmappable as exc:
        rec["reason"] = exc.message[:300]
        return
    except ChipsmithError as exc:
        rec["reason"] = f"cannot move onto {pdk.name}: {exc.one_line()}"[:300]
        return
    rec["agent_success"] = bool(res.success and not outcome.request.unconsumed)
    rec["pdk"] = {"candidates": len(res.candidates), "knobs": res.knobs, "agent_seconds": round(res.seconds, 2)}
    if not rec["agent_success"]:
        rec["reason"] = (res.reason or outcome.reason or "")[:300]
    if not res.text:
        return
    try:
        cv = judge_corners(res.text, problem["request"], pdk, config.corners, config.temps, timeout=timeout)
    except Exception as exc:  # noqa: BLE001 - a judge crash scores as not passed, visibly
        rec["judge_success"] = False
        rec["failed"] = [f"judge error: {type(exc).__name__}: {exc}"[:240]]
        return
    rec["judge_success"] = cv.success
    worst = cv.worst()
    rec["judge"] = worst.to_dict()
    rec["pdk"]["points"] = {f"{c}/{t:g}C": v.success for (c, t), v in zip(cv.points, cv.verdicts)}
    rec["failed"] = []
    for (c, t), v in zip(cv.points, cv.verdicts):
        rec["failed"] += [f"{c}/{t:g}C {r.id} {r.kind} [{r.status}]: {r.detail}"[:240] for r in v.failures]
        rec["failed"] += [f"{c}/{t:g}C problem: {p}"[:240] for p in v.problems]


def solve(problem: dict[str, Any], *, backend: str = "expert", request: str = "spec", llm=None,
          timeout: float = 30.0, mode: str | None = None, library=None, rounds: int = 6,
          pdk: PdkConfig | None = None) -> dict[str, Any]:
    """Run the agent on one problem and judge its design; one result record (with ``llm``:
    the requests, tokens and wall time this problem cost, when an LLM backend ran it;
    with ``pdk``: the design moved onto that process and judged at its corners)."""
    from chipsmith.agents.backends import LLMRequestError
    from chipsmith.errors import BackendError
    from chipsmith.spice.judge import judge

    t0 = time.perf_counter()
    first_call = len(getattr(llm, "calls", ()) or ()) if llm is not None else 0
    rec: dict[str, Any] = {"id": problem["id"], "family": problem["family"], "text": problem["text"],
                           "agent_success": False, "judge_success": None, "rounds": 0, "reason": "",
                           "failed": [], "judge": None, "equivalent": None}
    outcome = None
    try:
        outcome = _call_agent(problem, backend, request, llm, mode, library, rounds)
        rec["agent_success"] = bool(getattr(outcome, "success", False))
        rec["rounds"] = len(getattr(outcome, "rounds", ()) or ())
        rec["reason"] = str(getattr(outcome, "reason", "") or "")[:300]
        text = _netlist_of(outcome)
    except LLMRequestError as exc:  # the endpoint refused this request (context too long, ...): refused
        rec["reason"] = f"LLM request refused: {exc.one_line()}"[:300]
        text = None
    except BackendError:  # the endpoint is gone or rejects the key: no score means anything; stop
        raise
    except Exception as exc:  # noqa: BLE001 - an agent error (incl. exit-2 refusals) is a refusal
        rec["reason"] = f"agent error: {type(exc).__name__}: {exc}"[:300]
        text = None
    agent_s = time.perf_counter() - t0
    if pdk is not None and text and outcome is not None:
        from chipsmith.agents.synth_pdk import PDK_TIMEOUT_S

        _on_pdk(rec, outcome, text, problem, pdk, max(timeout, PDK_TIMEOUT_S))
        agent_s = time.perf_counter() - t0
    elif pdk is not None:
        rec["agent_success"] = False
    elif text:
        try:
            verdict = judge(text, problem["request"], timeout=timeout)
            rec["judge_success"] = verdict.success
            rec["judge"] = verdict.to_dict()
            rec["failed"] = [f"{r.id} {r.kind} [{r.status}]: {r.detail}"[:240] for r in verdict.failures]
            rec["failed"] += [f"problem: {p}"[:240] for p in verdict.problems]
        except Exception as exc:  # noqa: BLE001 - a judge crash scores as not passed, visibly
            rec["judge_success"] = False
            rec["failed"] = [f"judge error: {type(exc).__name__}: {exc}"[:240]]
        if problem.get("reference"):
            try:
                rec["equivalent"] = structurally_equivalent(text, problem["reference"], problem["ports"] + ["vdd", "gnd"])
            except Exception:  # noqa: BLE001 - an unreadable candidate is not equivalent
                rec["equivalent"] = False
    rec["status"] = score(rec["agent_success"], rec["judge_success"])
    rec["agent_seconds"] = agent_s
    rec["seconds"] = time.perf_counter() - t0
    if llm is not None:
        from chipsmith.agents.backends import usage_summary

        rec["llm"] = {"mode": getattr(outcome, "mode", mode), **usage_summary(llm.calls[first_call:]),
                      "blocks": getattr(outcome, "selection", None) or None,
                      "spec_source": getattr(outcome, "spec_source", "") or None}
    return rec


@dataclass(frozen=True)
class LLMConfig:
    """How to reach the LLM for a benchmark run (no key: each process reads OPENAI_API_KEY
    itself, so the key never travels with the work or lands in a result)."""

    backend: str
    mode: str
    model: str = ""
    base_url: str = ""
    retries: int = 3
    rounds: int = 6
    max_tokens: int | None = 1024
    timeout_s: float = 1800.0  # one request; a small model on a loaded CPU takes minutes
    seed: int = 0

    def make(self):
        from chipsmith.agents.backends import make_backend

        return make_backend(self.backend, model=self.model or None, base_url=self.base_url or None,
                            retries=self.retries, seed=self.seed, max_tokens=self.max_tokens,
                            timeout_s=self.timeout_s)

    def public(self) -> dict[str, Any]:
        """What a summary may say about the endpoint: never a key, never URL credentials."""
        from urllib.parse import urlsplit, urlunsplit

        url = self.base_url
        if url:
            parts = urlsplit(url)
            url = urlunsplit(parts._replace(netloc=parts.hostname + (f":{parts.port}" if parts.port else "")
                                            if parts.hostname else parts.netloc, query=""))
        return {"backend": self.backend, "mode": self.mode, "model": self.model, "base_url": url or None,
                "rounds": self.rounds, "max_tokens": self.max_tokens}


def _solve_llm(problems: Sequence[dict[str, Any]], config: LLMConfig, llm=None,
               on_result: Callable[[int], None] | None = None) -> list[dict[str, Any]]:
    from chipsmith.agents.text_understanding import _load_library

    llm = llm if llm is not None else config.make()
    library = _load_library() if config.mode == "full" else None
    out = []
    for p in problems:
        out.append(solve(p, backend=config.backend, request="text", llm=llm, mode=config.mode, library=library,
                         rounds=config.rounds))
        if on_result:
            on_result(1)
    return out


def _solve_llm_batch(args: tuple) -> list[dict[str, Any]]:
    problems, config = args
    return _solve_llm(problems, config)


def _solve_batch(args: tuple) -> list[dict[str, Any]]:
    problems, backend, request, pdk = args
    return [solve(p, backend=backend, request=request, pdk=pdk) for p in problems]


def run_problems(problems: Sequence[dict[str, Any]], *, backend: str = "expert", request: str = "spec",
                 scheduler: str | None = None, workers: int | None = None,
                 on_result: Callable[[int], None] | None = None, batch: int = 4,
                 llm_config: LLMConfig | None = None, llm=None, pdk: PdkConfig | None = None) -> list[dict[str, Any]]:
    """Solve every problem; serial in-process for one worker, else batches over dask. With
    ``llm_config`` an LLM backend designs (each dask batch opens its own client)."""
    if llm_config is not None:
        if not scheduler and (workers or 1) <= 1:
            return _solve_llm(problems, llm_config, llm, on_result)
        from chipsmith.parallel import ClusterConfig, parallel_map

        batches = [(list(problems[i:i + batch]), llm_config) for i in range(0, len(problems), batch)]
        out = parallel_map(_solve_llm_batch, batches, ClusterConfig.from_env(scheduler=scheduler, workers=workers),
                           on_result=lambda i, r: on_result(len(r)) if on_result else None)
        return [r for chunk in out for r in chunk]
    if not scheduler and (workers or 1) <= 1:
        results = []
        for p in problems:
            results.append(solve(p, backend=backend, request=request, pdk=pdk))
            if on_result:
                on_result(1)
        return results
    from chipsmith.parallel import ClusterConfig, parallel_map

    batches = [(list(problems[i:i + batch]), backend, request, pdk) for i in range(0, len(problems), batch)]
    out = parallel_map(_solve_batch, batches, ClusterConfig.from_env(scheduler=scheduler, workers=workers),
                       on_result=lambda i, r: on_result(len(r)) if on_result else None)
    return [r for chunk in out for r in chunk]


def _counts(rs: Sequence[dict[str, Any]]) -> dict[str, Any]:
    n = len(rs)
    out: dict[str, Any] = {"problems": n}
    for s in STATUSES:
        k = sum(r["status"] == s for r in rs)
        out[s] = k
        out[f"{s}_rate"] = k / n if n else None
    out["judge_passes_refused"] = sum(r["status"] == "refused" and bool(r["judge_success"]) for r in rs)
    return out


def llm_totals(results: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Requests, tokens and wall time over every LLM-run problem: totals, the median wall
    time of one request and of one problem's whole agent run, and how the LLM's block
    choices fared against the library."""
    import statistics

    recs = [r["llm"] for r in results if r.get("llm")]
    each = [c[2] for x in recs for c in x.get("each", ())]
    prompt = sum(x["prompt_tokens"] for x in recs)
    completion = sum(x["completion_tokens"] for x in recs)
    requests = sum(x["requests"] for x in recs)
    agent = [r["agent_seconds"] for r in results if r.get("llm")]
    blocks = [x["blocks"] for x in recs if x.get("blocks")]
    return {"requests": requests, "prompt_tokens": prompt, "completion_tokens": completion,
            "total_tokens": prompt + completion, "request_seconds": sum(x["request_seconds"] for x in recs),
            "median_request_seconds": statistics.median(each) if each else None,
            "mean_request_seconds": (sum(x["request_seconds"] for x in recs) / requests) if requests else None,
            "median_problem_seconds": statistics.median(agent) if agent else None,
            "requests_per_problem": requests / len(recs) if recs else None,
            "block_selection": {
                "answered": sum(b["chosen"] is not None for b in blocks),
                "valid_blocks": sum(len(b["valid"]) for b in blocks),
                "unknown_blocks": sum(len(b["unknown"]) for b in blocks),
                "designs_using_library_blocks": sum(bool(b["used"]) for b in blocks),
            } if blocks else None,
            # hybrid: whose spec the expert designed from (the rules' reading is a fallback, not the LLM's work)
            "spec_source": {src: {"problems": sum(1 for r in results if (r.get("llm") or {}).get("spec_source") == src),
                                  "solved": sum(1 for r in results if (r.get("llm") or {}).get("spec_source") == src
                                                and r["status"] == "solved")}
                            for src in ("llm", "rules")} if any(x.get("spec_source") for x in recs) else None}


def summarize(results: Sequence[dict[str, Any]], *, set_name: str, backend: str, wall_s: float,
              workers: int | None, request: str, seed: int | None, llm: dict[str, Any] | None = None) -> dict[str, Any]:
    fams: dict[str, list[dict]] = defaultdict(list)
    for r in results:
        fams[r["family"]].append(r)
    with_ref = [r for r in results if r["equivalent"] is not None]
    n = len(results)
    # which requirement kinds the judge failed, over every design it saw (what to work on next)
    failing: dict[str, int] = defaultdict(int)
    for r in results:
        for res in (r["judge"] or {}).get("results", []):
            if res["must"] and res["status"] != "pass":
                failing[res["kind"] + ("/" + res["status"] if res["status"] != "fail" else "")] += 1
    return {
        "set": set_name, "regression_set": set_name == "real", "backend": backend, "request": request, "seed": seed,
        **_counts(results),
        "by_family": {f: _counts(rs) for f, rs in sorted(fams.items())},
        "seconds_per_problem": sum(r["seconds"] for r in results) / n if n else None,
        "wall_seconds": wall_s, "workers": workers,
        "structural_equivalence_rate": (sum(bool(r["equivalent"]) for r in with_ref) / len(with_ref)) if with_ref
        else None,
        "judged_designs": sum(r["judge"] is not None for r in results),
        "failing_requirement_kinds": dict(sorted(failing.items(), key=lambda kv: -kv[1])),
        "false_successes": [{"id": r["id"], "family": r["family"], "failed": r["failed"][:3]} for r in results
                            if r["status"] == "false_success"],
        "refusals": [{"id": r["id"], "family": r["family"], "reason": r["reason"][:200]} for r in results
                     if r["status"] == "refused"],
        **({"llm": {**llm, **llm_totals(results)}} if llm is not None else {}),
    }


def _pct(x) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def report_md(summary: dict[str, Any]) -> str:
    s = summary
    title = f"# Topology benchmark: set `{s['set']}`" + (" (regression set)" if s.get("regression_set") else "")
    on = s.get("pdk")
    lines = [title, "", f"Backend `{s['backend']}`; every design scored by the independent judge against the "
             "problem's hand-written requirements" + (
                 f", on {on['name']} at every corner of {', '.join(on['corners'])} x "
                 f"{', '.join(f'{t:g}' for t in on['temps'])} C (designs moved onto the PDK and sized there, "
                 f"{on['budget']} candidates at most)" if on else "") + ".", "",
             "| problems | solved | false success | refused | solved % | false-success % | refused % | s/problem |",
             "|---|---|---|---|---|---|---|---|",
             f"| {s['problems']} | {s['solved']} | {s['false_success']} | {s['refused']} | {_pct(s['solved_rate'])} | "
             f"{_pct(s['false_success_rate'])} | {_pct(s['refused_rate'])} | {(s['seconds_per_problem'] or 0):.2f} |",
             "", "## By family", "", "| family | problems | solved | false success | refused | solved % |",
             "|---|---|---|---|---|---|"]
    for f, v in s["by_family"].items():
        lines.append(f"| {f} | {v['problems']} | {v['solved']} | {v['false_success']} | {v['refused']} | "
                     f"{_pct(v['solved_rate'])} |")
    if s.get("llm"):
        m = s["llm"]
        med = m.get("median_request_seconds")
        lines += ["", f"LLM: `{m.get('model') or '?'}` at {m.get('base_url') or 'in-process'}, mode `{m['mode']}`: "
                  f"{m['requests']} requests, {m['prompt_tokens']} prompt + {m['completion_tokens']} completion "
                  f"tokens, median {'-' if med is None else f'{med:.2f}'} s per request."]
    if s.get("failing_requirement_kinds"):
        lines += ["", f"Requirements the judge failed over the {s['judged_designs']} designs it saw: " + ", ".join(
            f"{k} {v}" for k, v in s["failing_requirement_kinds"].items()) + "."]
    if s["false_successes"]:
        lines += ["", "## False successes (the agent claimed success, the judge disagrees)", "",
                  "| id | family | failing requirements |", "|---|---|---|"]
        lines += [f"| {f['id']} | {f['family']} | {'; '.join(f['failed']).replace('|', '/')} |"
                  for f in s["false_successes"]]
    if s["refusals"]:
        lines += ["", "## Refusals", "", "| id | family | reason |", "|---|---|---|"]
        lines += [f"| {f['id']} | {f['family']} | {f['reason'].replace('|', '/')} |" for f in s["refusals"]]
    return "\n".join(lines) + "\n"


def write_outputs(stage: Path, results: Iterable[dict[str, Any]], summary: dict[str, Any]) -> None:
    from chipsmith.artifacts import atomic_write_text, dumps_json, write_json

    atomic_write_text(stage / "results.jsonl", "".join(dumps_json(r, indent=None) + "\n" for r in results))
    atomic_write_text(stage / "report.md", report_md(summary))
    write_json(stage / "summary.json", summary)


def llm_config(backend: str, *, mode: str = "", model: str = "", base_url: str = "", retries: int = 3,
               rounds: int = 6, max_tokens: int | None = 1024, timeout_s: float = 1800.0,
               seed: int = 0) -> LLMConfig | None:
    """The validated LLM settings for ``backend`` (None for expert); bad values are InputError."""
    from chipsmith.agents.backends import BACKENDS, DEFAULT_MODE, MODES

    backend = backend.strip().lower()
    if backend not in BACKENDS:
        raise InputError(f"unknown backend {backend!r}", where="--backend", fix=f"use one of: {', '.join(BACKENDS)}")
    if backend == "expert":
        if mode and mode.strip().lower() not in ("", "expert"):
            raise InputError(f"--mode {mode} needs an LLM backend", where="--mode", fix="--backend openai|llamacpp")
        return None
    mode = (mode or DEFAULT_MODE[backend]).strip().lower()
    if mode not in MODES:
        raise InputError(f"unknown mode {mode!r}", where="--mode", fix=f"use one of: {', '.join(MODES)}")
    if backend == "llamacpp" and not model:
        raise InputError("--backend llamacpp needs the GGUF file", where="--model", fix="--model PATH/model.gguf")
    if rounds < 1:
        raise InputError(f"--rounds {rounds}", where="--rounds", fix="at least 1")
    return LLMConfig(backend, mode, model, base_url, retries, rounds, max_tokens or None, timeout_s, seed)


def run(set_name: str, *, out: Path, backend: str = "expert", request: str = "spec", limit: int | None = None,
        seed: int = 0, workers: int | None = None, scheduler: str | None = None, quiet: bool = True,
        mode: str = "", model: str = "", base_url: str = "", retries: int = 3, rounds: int = 6,
        max_tokens: int | None = 1024, timeout_s: float = 1800.0, pdk: str = "generic", corners: str = "",
        temps: str = "", budget: int = 12, families: str = "") -> dict[str, Any]:
    """The ``chipsmith bench topology`` flow: load, solve, judge, write results.jsonl, report.md, summary.json.

    ``backend`` openai/llamacpp: the LLM path (``mode`` full|hybrid) on the problems' text
    and port names; the same judge scores it, and the summary adds an ``llm`` block.
    ``pdk``/``corners``/``temps`` (expert only): every design moved onto the process, sized
    there (``budget`` candidates) and judged at every corner x temperature (:class:`PdkConfig`).
    ``families``: only the problems of these report families (comma-separated), then ``limit``."""
    from chipsmith.artifacts import staged_output
    from chipsmith.progress import progress_bar

    config = llm_config(backend, mode=mode, model=model, base_url=base_url, retries=retries, rounds=rounds,
                        max_tokens=max_tokens, timeout_s=timeout_s, seed=seed)
    if request not in ("spec", "text"):
        raise InputError(f"--request {request!r}", fix="use spec or text")
    pdk_config = None
    if pdk.strip().lower() != "generic" or corners or temps:
        from chipsmith.spice.pdk import get_pdk, parse_corners, parse_temps

        process = get_pdk(pdk)
        pdk_config = PdkConfig(process.name, parse_corners(corners, process), parse_temps(temps), budget)
        if config is not None:
            raise InputError("--pdk/--corners/--temps run with the expert backend only", where="--backend",
                             fix="drop --backend or --pdk")
    problems = load_set(set_name, limit=None if families else limit, seed=seed)
    if families:
        wanted = {f.strip().lower() for f in families.split(",") if f.strip()}
        known = sorted({p["family"] for p in problems})
        unknown = sorted(wanted - {k.lower() for k in known})
        if unknown:
            raise InputError(f"unknown family {', '.join(unknown)} in set {set_name}", where="--family",
                             fix=f"choose from: {', '.join(known)}")
        problems = [p for p in problems if p["family"].lower() in wanted][:limit]
    # a missing key or model file fails here, before any problem runs (exit 2, nothing written)
    llm = config.make() if config is not None and not scheduler and (workers or 1) <= 1 else None
    if config is not None and llm is None:
        config.make()
    if config is not None:
        backend, request = config.backend, "text"
    with staged_output(out) as stage:
        start = time.perf_counter()
        with progress_bar(f"topology {set_name}", len(problems), quiet=quiet) as advance:
            results = run_problems(problems, backend=backend, request=request, scheduler=scheduler, workers=workers,
                                   on_result=advance, llm_config=config, llm=llm, pdk=pdk_config)
        summary = summarize(results, set_name=set_name, backend=backend, wall_s=time.perf_counter() - start,
                            workers=workers, request=request, seed=seed if set_name == "synthetic" else None,
                            llm=config.public() if config is not None else None)
        if pdk_config is not None:
            summary["pdk"] = {"name": pdk_config.pdk, "corners": list(pdk_config.corners),
                              "temps": list(pdk_config.temps), "budget": pdk_config.budget,
                              "generic_agent_success": sum(bool(r.get("generic_agent_success")) for r in results)}
        if families:
            summary["families_filter"] = families
        write_outputs(stage, results, summary)
    return summary


__all__ = ["load_set", "load_problems", "legacy_request", "solve", "score", "run_problems", "summarize", "report_md",
           "write_outputs", "run", "llm_config", "llm_totals", "LLMConfig", "PdkConfig", "SETS", "STATUSES"]
