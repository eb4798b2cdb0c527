"""``chipsmith bench goals``: goal requests against random sizing and the untuned template.

For each hand-written goal problem (``benchmarks/problems/goals.jsonl``: text, interface and
requirements written by hand, never by a chipsmith reader) :func:`chipsmith.agents.goals.run_goal`
searches every topology the requirements allow (Optuna TPE, ``budget`` candidates each,
ngspice in the loop, dask over ``workers``) and picks the best judged design. Then, on the
topology it chose, the same evaluator draws ``random`` (default 200) random sizings (Optuna's
random sampler, same knob space, same seed policy) and the best of them is taken.

Every reported figure is the **independent judge's** (:func:`chipsmith.spice.judge.judge`, which
measures the goal figure from the netlist with its own testbenches): result, best random
sizing, untuned template. Ratios: result / best random, result / template (for a maximised
figure > 1 means the search won). The evaluator's own figures are reported beside them.
Wall time per goal request is the search plus judging (the random baseline is not counted).
"""
from __future__ import annotations

import json
import statistics
import time
from pathlib import Path
from typing import Callable

from chipsmith.errors import DataError

PROBLEMS = Path(__file__).parent / "problems" / "goals.jsonl"


def load(path: Path = PROBLEMS) -> list[dict]:
    from chipsmith.spice.requirements import Request

    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
            req = Request.from_dict({"text": data["text"], "interface": data["interface"],
                                     "requirements": data["requirements"]})
        except (ValueError, KeyError) as exc:
            raise DataError(f"bad goal problem ({exc})", where=f"{path}:{n}", fix="one JSON object per line") from None
        out.append({"id": data["id"], "request": req})
    return out


def _judged(design_text: str, request) -> float | None:
    from chipsmith.spice.judge import judge

    v = judge(design_text, request)
    res = next((r for r in v.results if r.kind == "goal"), None)
    return res.figure if res is not None and res.passed else None


def run_problem(problem: dict, *, budget: int = 30, random_budget: int = 200, seed: int = 0,
                workers: int | None = 1) -> dict:
    from chipsmith.agents.goals import _ports, build, run_goal, search
    from chipsmith.parallel import ClusterConfig, get_client

    req = problem["request"]
    t0 = time.perf_counter()
    g, (chosen, ok) = run_goal(req, budget=budget, seed=seed, workers=workers)
    wall = time.perf_counter() - t0
    row = {"id": problem["id"], "figure": g.figure, "success": bool(ok), "wall_s": round(wall, 2),
           "evaluations": sum(len(r.evaluations) + 1 for r in g.results),
           "front": g.judged, "topology": g.best["topology"] if g.best else None}
    if not ok:
        return row
    res = next(r for r in g.results if r.alternative.name == g.best["topology"])
    ports, vdd = _ports(req), req.supply_voltage or 1.8
    if workers in (None, 0, 1):
        rnd = search(res.alternative, ports, g.figure, g.direction, budget=random_budget, batch=8, seed=seed,
                     vdd=vdd, method="random")
    else:
        with get_client(ClusterConfig.from_env(workers=workers)) as client:
            rnd = search(res.alternative, ports, g.figure, g.direction, budget=random_budget, batch=8 * workers,
                         seed=seed, vdd=vdd, method="random", client=client)
    title = req.text[:70]
    # random candidates in the evaluator's order, judged until one passes (the evaluator's best may not)
    rnd_best, rnd_eval, rnd_knobs = None, None, None
    for ev in sorted((e for e in rnd.evaluations if e.feasible), key=lambda e: -e.score)[:5]:
        value = _judged(build(res.alternative, ev.knobs, ports, vdd).netlist_text(title), req)
        if value is not None and (rnd_best is None or value > rnd_best):
            rnd_best, rnd_eval, rnd_knobs = value, ev.figure, dict(ev.knobs)
    template = _judged(build(res.alternative, None, ports, vdd).netlist_text(title), req)
    result = g.best["best"]
    best_eval = max((e.figure for e in res.evaluations if e.feasible), default=None)
    row.update({
        "result": result, "random_best": rnd_best, "template": template,
        "random_feasible": sum(e.feasible for e in rnd.evaluations), "random_evaluations": len(rnd.evaluations),
        "ratio_vs_random": (result / rnd_best) if rnd_best else None,
        "ratio_vs_template": (result / template) if template else None,
        "random_best_knobs": rnd_knobs, "result_knobs": g.best.get("knobs"),
        "evaluator": {"result": best_eval, "random_best": rnd_eval, "template": res.template.figure},
        "beats_random": bool(rnd_best is None or result > rnd_best),
        "beats_template": bool(template is not None and result > template),
    })
    return row


def run(*, budget: int = 30, random_budget: int = 200, seed: int = 0, workers: int | None = 1, limit: int | None = None,
        path: Path = PROBLEMS, on_row: Callable[[dict], None] | None = None) -> dict:
    problems = load(path)[:limit] if limit else load(path)
    rows = []
    for p in problems:
        row = run_problem(p, budget=budget, random_budget=random_budget, seed=seed, workers=workers)
        rows.append(row)
        if on_row:
            on_row(row)
    walls = [r["wall_s"] for r in rows]
    return {
        "suite": "goals", "problems": len(rows), "budget_per_topology": budget, "random_sizings": random_budget,
        "seed": seed, "workers": workers,
        "solved": sum(r["success"] for r in rows),
        "beat_random": sum(bool(r.get("beats_random")) and r["success"] for r in rows),
        "beat_template": sum(bool(r.get("beats_template")) for r in rows),
        "median_wall_s": statistics.median(walls) if walls else None,
        "rows": rows,
        "caveat": "figures measured by the independent judge on generic level-1 models (1.8 V, 1 pF load); "
                  "wall time on a shared machine depends on its load",
    }


def main(argv: list[str] | None = None) -> int:
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--budget", type=int, default=30)
    ap.add_argument("--random", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--limit", type=int, default=None)
    ap.add_argument("--out", type=Path, default=None)
    a = ap.parse_args(argv)
    s = run(budget=a.budget, random_budget=a.random, seed=a.seed, workers=a.workers, limit=a.limit,
            on_row=lambda r: print(_line(r), flush=True))
    print(json.dumps({k: v for k, v in s.items() if k != "rows"}))
    if a.out:
        from chipsmith.artifacts import staged_output, write_json

        with staged_output(a.out) as stage:
            write_json(stage / "summary.json", s)
    return 0


def _line(r: dict) -> str:
    f = lambda x: "-" if x is None else f"{x:.4g}"  # noqa: E731
    return (f"{r['id']}: {r['figure']} {f(r.get('result'))} via {r['topology']}; random best {f(r.get('random_best'))} "
            f"(x{f(r.get('ratio_vs_random'))}), template {f(r.get('template'))} (x{f(r.get('ratio_vs_template'))}), "
            f"{r['wall_s']:.1f} s")


if __name__ == "__main__":
    raise SystemExit(main())
