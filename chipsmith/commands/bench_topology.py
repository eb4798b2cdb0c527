"""`chipsmith bench topology`: the agent designs each problem, the independent judge scores it."""
from __future__ import annotations

import typer

from chipsmith.options import (JsonOpt, LimitOpt, OutOpt, QuietOpt, SchedulerOpt, SeedOpt, WorkersOpt,
                               resolve_workers)


def register(app: typer.Typer) -> None:
    app.command("topology")(topology)


def topology(
    out: OutOpt,
    set_name: str = typer.Option("real_v2", "--set", help="real_v2 | real (regression) | synthetic | PATH.jsonl"),
    backend: str = typer.Option("expert", "--backend", help="Synthesis backend (expert is offline)."),
    request: str = typer.Option("spec", "--request",
                                help="Legacy sets only: spec (structured spec + text) or text (free text only)."),
    limit: LimitOpt = None,
    seed: SeedOpt = 0,
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Solved / false-success / refused per family; writes results.jsonl, report.md, summary.json into --out."""
    from chipsmith.artifacts import dumps_json
    from chipsmith.benchmarks import topology_bench as tb

    summary = tb.run(set_name, out=out, backend=backend, request=request, limit=limit, seed=seed,
                     workers=resolve_workers(workers, scheduler), scheduler=scheduler, quiet=quiet or as_json)
    if as_json:
        print(dumps_json(summary))
    elif not quiet:
        print(tb.report_md(summary).split("## False successes")[0].split("## Refusals")[0])
