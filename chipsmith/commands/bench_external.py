"""`chipsmith bench external`: synth as a user calls it, scored by hand-written outside testbenches."""
from __future__ import annotations

from pathlib import Path

import typer

from chipsmith.options import JsonOpt, LimitOpt, OutOpt, QuietOpt


def register(app: typer.Typer) -> None:
    app.command("external")(external)


def external(
    out: OutOpt,
    tasks: Path = typer.Option(None, "--tasks", help="Task file: .jsonl (see benchmarks/external_scorer.py) or a "
                                               "public-style .tsv (Id, Level, Circuit, Input, Output, Type); default: the shipped external_v1 set."),
    limit: LimitOpt = None,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Solved / false-success / refused, where the scorer shares no code with the agent or its judge."""
    from chipsmith.artifacts import dumps_json
    from chipsmith.benchmarks import external_scorer as es

    summary = es.run(tasks, out=out, limit=limit, quiet=quiet or as_json)
    if as_json:
        print(dumps_json(summary))
    elif not quiet:
        print(f"{summary['solved']}/{summary['count']} solved, {summary['false_success']} false successes, "
              f"{summary['refused']} refused; median synth time {summary['median_synth_seconds']:.1f} s")
