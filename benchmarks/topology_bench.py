"""Topology benchmark: problem files, solving with a synthesis backend, scoring, report.

Problem file format (JSON Lines, UTF-8, one problem per line; blank lines and lines starting
with ``#`` are skipped)::

    {"id": "real-001", "category": "opamp", "text": "a two-stage op-amp ...",
     "inputs": ["inp", "inn"], "outputs": ["out"], "bias": ["ibias"],
     "spec": {"kind": "two_stage_opamp", "compensation": "miller", "targets": {"gain_db": 60}},
     "reference": ".subckt design inp inn out ibias vdd gnd ... .ends"}

``id`` (unique string), ``text`` (free text), ``spec`` (a chipsmith synth spec mapping, see
docs/readme/synth.md; ``kind`` required), ``inputs``/``outputs``/``bias`` (node name lists)
are required; ``category`` defaults to the kind's family; ``reference`` (a design.cir text
that passes its own checks) is optional. A malformed line is an InputError naming file:line.

Scoring: the backend gets the problem (its structured spec with the text, or only the free
text with ``request="text"``) and the named nodes; its returned netlist is proofread
independently against the problem's spec (safety, ERC, structure, ngspice operating point,
functional test, targets). Structural equivalence to the reference is reported but does
not count (different correct topologies are allowed).
"""
from __future__ import annotations

import json
import time
from collections import defaultdict
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

from chipsmith.errors import InputError

PROBLEMS_DIR = Path(__file__).parent / "problems"
REQUIRED = ("id", "text", "spec", "inputs", "outputs", "bias")


def validate_problem(obj: Any, where: str) -> dict[str, Any]:
    """Check one decoded problem; returns it with ``category`` filled in."""
    from chipsmith.agents.kinds import get_kind
    from chipsmith.agents.spec import spec_from_dict

    if not isinstance(obj, dict):
        raise InputError("a problem must be a JSON object", where=where, fix="one {...} object per line")
    missing = [k for k in REQUIRED if k not in obj]
    if missing:
        raise InputError(f"problem is missing field(s) {', '.join(missing)}", where=where,
                         fix=f"required fields: {', '.join(REQUIRED)}")
    for key in ("inputs", "outputs", "bias"):
        if not isinstance(obj[key], list) or not all(isinstance(x, str) for x in obj[key]):
            raise InputError(f"problem field {key!r} must be a list of node names", where=where)
    if not isinstance(obj["spec"], dict):
        raise InputError("problem field 'spec' must be an object", where=where, fix="e.g. {\"kind\": \"ota5t\"}")
    spec = spec_from_dict(obj["spec"], where=where)
    out = dict(obj)
    out.setdefault("category", get_kind(spec.kind).family)
    out.setdefault("reference", None)
    return out


def load_problems(path: Path | str) -> list[dict[str, Any]]:
    """Read and validate a JSON Lines problem file."""
    path = Path(path)
    if not path.is_file():
        raise InputError("problem file not found", where=str(path), fix="--set real|synthetic|PATH.jsonl")
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
        prob = validate_problem(obj, where)
        if prob["id"] in seen:
            raise InputError(f"duplicate problem id {prob['id']!r}", where=where, fix="ids must be unique")
        seen.add(prob["id"])
        problems.append(prob)
    if not problems:
        raise InputError("problem file has no problems", where=str(path))
    return problems


def load_set(name: str, *, limit: int | None = None, seed: int = 0) -> list[dict[str, Any]]:
    """``real`` (shipped file), ``synthetic`` (generated lazily from ``seed``) or a file path."""
    from chipsmith.benchmarks import topology_synthetic

    if name == "synthetic":
        n = topology_synthetic.SET_SIZE if limit is None else min(limit, topology_synthetic.SET_SIZE)
        return list(topology_synthetic.generate(n, seed))
    path = PROBLEMS_DIR / "real.jsonl" if name == "real" else Path(name)
    problems = load_problems(path)
    return problems[:limit] if limit is not None else problems


def _problem_spec(problem: dict[str, Any]):
    from chipsmith.agents.spec import spec_from_dict, with_ports

    spec = spec_from_dict(problem["spec"], where=problem["id"])
    return with_ports(spec, tuple(problem["inputs"]), tuple(problem["outputs"]), tuple(problem["bias"]))


def structurally_equivalent(candidate: str, reference: str, ports: Sequence[str]) -> bool:
    """Labelled-graph isomorphism of the two ``design`` subckts (flattened, sizes ignored)."""
    from chipsmith.spice.parser import parse_netlist
    from chipsmith.spice.topology import graphs_equivalent, to_graph

    a = parse_netlist("* candidate\n" + candidate, "candidate.cir")
    b = parse_netlist("* reference\n" + reference, "reference.cir")
    return graphs_equivalent(to_graph(a.subckt("design"), ports=tuple(ports), subckts=a.subckts),
                             to_graph(b.subckt("design"), ports=tuple(ports), subckts=b.subckts))


def solve(problem: dict[str, Any], *, backend: str = "expert", k: int = 1, request: str = "spec",
          llm=None) -> dict[str, Any]:
    """Draw ``k`` samples for one problem, score each independently; one result record."""
    from chipsmith.agents.checks import proofread
    from chipsmith.agents.loop import synthesize_request

    spec = _problem_spec(problem)
    ports = (*spec.inputs, *spec.outputs, *spec.bias, "vdd", "gnd")
    samples = []
    start = time.perf_counter()
    for _ in range(k):
        t0 = time.perf_counter()
        rec: dict[str, Any] = {"success": False, "rounds": 0, "tokens": 0, "equivalent": None}
        try:
            req = dict(problem["spec"], text=problem["text"]) if request == "spec" else problem["text"]
            o = synthesize_request(req, inputs=problem["inputs"], outputs=problem["outputs"], bias=problem["bias"],
                                   backend=backend, llm=llm)
            rec.update(rounds=len(o.rounds), tokens=o.tokens, agent_success=o.success,
                       check_seconds=sum(r.proof.seconds for r in o.rounds),
                       simulations=sum(r.proof.simulations for r in o.rounds))
            text = o.design.netlist_text() if o.design is not None else o.text
            if text:
                proof = proofread(text, spec, design=o.design)
                rec["success"] = proof.passed
                failed = [r for r in proof.results if not r.passed and not r.skipped]
                rec["failed_check"] = f"{failed[0].name}: {failed[0].detail}"[:300] if failed else ""
                rec["score_seconds"] = proof.seconds
                rec["simulations"] += proof.simulations
                if problem.get("reference"):
                    try:
                        rec["equivalent"] = structurally_equivalent(text, problem["reference"], ports)
                    except Exception as exc:  # an unparsable candidate is simply not equivalent
                        rec["equivalent"] = False
                        rec["equivalence_error"] = str(exc)[:200]
            else:
                rec["failed_check"] = o.reason or "no netlist returned"
        except Exception as exc:  # one bad problem must not stop a benchmark run
            rec["failed_check"] = f"error: {type(exc).__name__}: {exc}"[:300]
        rec["seconds"] = time.perf_counter() - t0
        samples.append(rec)
    first = samples[0]
    return {"id": problem["id"], "category": problem["category"], "kind": spec.kind, "text": problem["text"],
            "success": first["success"], "pass_at_k": any(s["success"] for s in samples), "k": k,
            "rounds": first["rounds"], "seconds": (time.perf_counter() - start) / k,
            "check_seconds": sum(s.get("check_seconds", 0.0) + s.get("score_seconds", 0.0) for s in samples) / k,
            "simulations": first.get("simulations", 0), "tokens": sum(s["tokens"] for s in samples),
            "equivalent": first["equivalent"], "failed_check": first.get("failed_check", ""),
            "has_reference": bool(problem.get("reference"))}


def _solve_batch(args: tuple) -> list[dict[str, Any]]:
    problems, backend, k, request = args
    return [solve(p, backend=backend, k=k, request=request) for p in problems]


def run_problems(problems: Sequence[dict[str, Any]], *, backend: str = "expert", k: int = 1, request: str = "spec",
                 scheduler: str | None = None, workers: int | None = None,
                 on_result: Callable[[int], None] | None = None, batch: int = 8) -> list[dict[str, Any]]:
    """Solve every problem; serial in-process for one worker, else batches over dask."""
    if not scheduler and (workers or 1) <= 1:
        results = []
        for p in problems:
            results.append(solve(p, backend=backend, k=k, request=request))
            if on_result:
                on_result(1)
        return results
    from chipsmith.parallel import ClusterConfig, parallel_map

    batches = [(list(problems[i:i + batch]), backend, k, request) for i in range(0, len(problems), batch)]
    out = parallel_map(_solve_batch, batches, ClusterConfig.from_env(scheduler=scheduler, workers=workers),
                       on_result=lambda i, r: on_result(len(r)) if on_result else None)
    return [r for chunk in out for r in chunk]


def summarize(results: Sequence[dict[str, Any]], *, set_name: str, backend: str, k: int, wall_s: float,
              workers: int) -> dict[str, Any]:
    n = len(results)
    cats: dict[str, list[dict]] = defaultdict(list)
    for r in results:
        cats[r["category"]].append(r)
    with_ref = [r for r in results if r["has_reference"]]
    total_s = sum(r["seconds"] for r in results)

    def rate(rs, key="success"):
        return sum(bool(r[key]) for r in rs) / len(rs) if rs else None

    return {
        "set": set_name, "backend": backend, "problems": n, "k": k, "workers": workers,
        "solved": sum(r["success"] for r in results), "success_rate": rate(results),
        f"pass_at_{k}": rate(results, "pass_at_k"),
        "mean_rounds": sum(r["rounds"] for r in results) / n if n else None,
        "seconds_per_problem": total_s / n if n else None, "wall_seconds": wall_s,
        "problems_per_second_wall": n / wall_s if wall_s else None,
        # Proofreading (parse, safety, ERC, structure, ngspice runs and reading their output);
        # ngspice alone is not timed separately by the agent, so this is an upper bound on it.
        "check_time_share": (sum(r["check_seconds"] for r in results) / total_s) if total_s else None,
        "simulations": sum(r["simulations"] for r in results),
        "tokens": sum(r["tokens"] for r in results),
        "structural_equivalence_rate": rate(with_ref, "equivalent") if with_ref else None,
        "with_reference": len(with_ref),
        "by_category": {c: {"problems": len(rs), "solved": sum(r["success"] for r in rs), "success_rate": rate(rs),
                            "mean_rounds": sum(r["rounds"] for r in rs) / len(rs),
                            "seconds_per_problem": sum(r["seconds"] for r in rs) / len(rs),
                            "structural_equivalence_rate": rate([r for r in rs if r["has_reference"]], "equivalent")}
                        for c, rs in sorted(cats.items())},
        "failures": [{"id": r["id"], "kind": r["kind"], "failed_check": r["failed_check"]}
                     for r in results if not r["success"]],
    }


def _pct(x) -> str:
    return "-" if x is None else f"{100 * x:.1f}%"


def report_md(summary: dict[str, Any]) -> str:
    s = summary
    k = s["k"]
    lines = [f"# Topology benchmark: set `{s['set']}`, backend `{s['backend']}`", "",
             "| problems | solved | success | pass@" + str(k) + " | mean rounds | s/problem | wall s | "
             "check-time share | equivalent to reference | tokens |",
             "|---|---|---|---|---|---|---|---|---|---|",
             f"| {s['problems']} | {s['solved']} | {_pct(s['success_rate'])} | {_pct(s[f'pass_at_{k}'])} | "
             f"{s['mean_rounds']:.2f} | {s['seconds_per_problem']:.3f} | {s['wall_seconds']:.1f} | "
             f"{_pct(s['check_time_share'])} | {_pct(s['structural_equivalence_rate'])} | {s['tokens']} |", "",
             "## By category", "", "| category | problems | solved | success | mean rounds | s/problem | equivalent |",
             "|---|---|---|---|---|---|---|"]
    for c, v in s["by_category"].items():
        lines.append(f"| {c} | {v['problems']} | {v['solved']} | {_pct(v['success_rate'])} | {v['mean_rounds']:.2f} | "
                     f"{v['seconds_per_problem']:.3f} | {_pct(v['structural_equivalence_rate'])} |")
    if s["failures"]:
        lines += ["", "## Failures", "", "| id | kind | first failed check |", "|---|---|---|"]
        lines += [f"| {f['id']} | {f['kind']} | {f['failed_check'].replace('|', '/')} |" for f in s["failures"]]
    return "\n".join(lines) + "\n"


def chart(summary: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cats = list(summary["by_category"])
    rates = [100 * summary["by_category"][c]["success_rate"] for c in cats]
    fig, ax = plt.subplots(figsize=(max(5, 0.9 * len(cats) + 2), 3.5))
    ax.bar(cats, rates, color="tab:blue")
    ax.set_ylim(0, 105)
    ax.set_ylabel("success %")
    ax.set_title(f"{summary['set']} / {summary['backend']}: success by category")
    for i, c in enumerate(cats):
        ax.text(i, rates[i] + 1, f"{summary['by_category'][c]['solved']}/{summary['by_category'][c]['problems']}",
                ha="center", fontsize=8)
    plt.setp(ax.get_xticklabels(), rotation=30, ha="right")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def write_outputs(stage: Path, results: Iterable[dict[str, Any]], summary: dict[str, Any]) -> None:
    from chipsmith.artifacts import atomic_write_text, write_json

    atomic_write_text(stage / "results.jsonl", "".join(json.dumps(r) + "\n" for r in results))
    atomic_write_text(stage / "report.md", report_md(summary))
    chart(summary, stage / "success_by_category.png")
    write_json(stage / "summary.json", summary)
