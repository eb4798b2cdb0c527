"""The planner alone on hand-annotated requests: ``python -m chipsmith.agents.gen_eval [SET] [--limit N]``.

Each problem's hand-written interface and requirements (no reader involved) go to
:func:`chipsmith.agents.gen_plan.plan`; up to three candidates are judged by
:func:`chipsmith.spice.judge.judge`; a problem is solved when one candidate passes every
requirement. This measures what the planner can build when the request is read right
(the end-to-end figure, reader included, is ``chipsmith bench topology``). There are no
false successes here by construction: the judge, not the planner, decides.
"""
from __future__ import annotations

import json
import sys
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from chipsmith.errors import ChipsmithError

SOLVED, FAILED, REFUSED = "solved", "judge_fail", "refused"


@dataclass(frozen=True)
class Outcome:
    id: str
    family: str
    status: str
    seconds: float
    detail: str


def evaluate_problem(row: dict, tries: int = 3) -> Outcome:
    from chipsmith.agents.gen_plan import plan
    from chipsmith.spice.judge import judge
    from chipsmith.spice.requirements import Request

    req = Request.from_dict({k: row[k] for k in ("text", "interface", "requirements") if k in row})
    start = time.perf_counter()
    status, detail = FAILED, "no candidate"
    try:
        for n, design in enumerate(plan(req), 1):
            verdict = judge(design.netlist_text(), req)
            if verdict.success:
                status, detail = SOLVED, f"{design.kind}/{design.variant}"
                break
            detail = verdict.summary_line()
            if n >= tries:
                break
    except ChipsmithError as exc:
        status, detail = REFUSED, exc.one_line()
    return Outcome(row["id"], row.get("family", ""), status, time.perf_counter() - start, detail[:300])


def evaluate(path: Path, limit: int | None = None) -> list[Outcome]:
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip() and not line.startswith("#")]
    return [evaluate_problem(row) for row in rows[:limit]]


def report(outcomes: list[Outcome]) -> str:
    total = Counter(o.status for o in outcomes)
    n = len(outcomes)
    lines = [f"planner + judge on hand-annotated requirements: {total[SOLVED]}/{n} solved, "
             f"{total[FAILED]} built but failing the judge, {total[REFUSED]} refused "
             f"({sum(o.seconds for o in outcomes):.0f} s)", "",
             "| family | problems | solved | judge fails | refused |", "|---|---|---|---|---|"]
    fam: dict[str, Counter] = defaultdict(Counter)
    for o in outcomes:
        fam[o.family][o.status] += 1
    for name in sorted(fam):
        c = fam[name]
        lines.append(f"| {name} | {sum(c.values())} | {c[SOLVED]} | {c[FAILED]} | {c[REFUSED]} |")
    lines += ["", "Not solved:"]
    lines += [f"- {o.id} ({o.family}) {o.status}: {o.detail}" for o in outcomes if o.status != SOLVED]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    root = Path(__file__).resolve().parent.parent / "benchmarks" / "problems"
    path = Path(argv[0]) if argv and not argv[0].startswith("--") else root / "real_v2.jsonl"
    limit = int(argv[argv.index("--limit") + 1]) if "--limit" in argv else None
    sys.stdout.write(report(evaluate(path, limit)) + "\n")
    return 0


if __name__ == "__main__":  # python -m chipsmith.agents.gen_eval
    raise SystemExit(main(sys.argv[1:]))
