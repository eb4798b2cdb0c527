"""`chipsmith bench topology`: solve a problem set with a synthesis backend and score it."""
from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Optional

import typer


def register(app: typer.Typer) -> None:
    app.command("topology")(topology)


def topology(
    set_name: str = typer.Option("real", "--set", help="real | synthetic | PATH to a .jsonl problem file."),
    backend: str = typer.Option("expert", "--backend", help="Synthesis backend (expert is offline)."),
    limit: Optional[int] = typer.Option(None, "--limit", min=1, help="Only the first N problems."),
    k: int = typer.Option(1, "--k", min=1, help="Samples per problem (pass@k)."),
    request: str = typer.Option("spec", "--request", help="spec: structured spec + text; text: free text only."),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", help="dask scheduler address (default: LocalCluster)."),
    workers: Optional[int] = typer.Option(None, "--workers", min=1, help="LocalCluster workers (1: serial in-process)."),
    seed: int = typer.Option(0, "--seed", help="Seed of the synthetic set."),
    out: Path = typer.Option(..., "--out", help="Output directory."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
    quiet: bool = typer.Option(False, "--quiet", help="No progress bar."),
) -> None:
    """Writes results.jsonl, report.md, success_by_category.png and summary.json into --out."""
    import os

    from chipsmith.artifacts import staged_output
    from chipsmith.benchmarks import topology_bench as tb
    from chipsmith.errors import InputError
    from chipsmith.progress import progress_bar

    if backend != "expert":
        raise InputError(f"backend {backend!r} is not supported by the benchmark yet", fix="use --backend expert")
    if request not in ("spec", "text"):
        raise InputError(f"--request {request!r}", fix="use spec or text")
    problems = tb.load_set(set_name, limit=limit, seed=seed)
    n_workers = workers or (1 if scheduler else min(2, os.cpu_count() or 1))
    with staged_output(out) as stage:
        start = time.perf_counter()
        with progress_bar(f"topology {set_name}", len(problems), quiet=quiet or as_json) as advance:
            results = tb.run_problems(problems, backend=backend, k=k, request=request, scheduler=scheduler,
                                      workers=n_workers, on_result=advance)
        summary = tb.summarize(results, set_name=set_name, backend=backend, k=k,
                               wall_s=time.perf_counter() - start, workers=n_workers)
        summary.update(request=request, seed=seed if set_name == "synthetic" else None)
        tb.write_outputs(stage, results, summary)
    if as_json:
        print(json.dumps(summary, indent=2))
    elif not quiet:
        print(tb.report_md(summary).split("## Failures")[0])
