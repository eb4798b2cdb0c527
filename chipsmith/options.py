"""The options every chipsmith verb shares, defined once so that they mean the same everywhere.

Conventions (documented in ``docs/cli.md``):

- ``--out DIR``: every verb that writes files writes them there atomically, with a ``summary.json``.
- ``--json``: print the summary as JSON on stdout instead of the human-readable lines.
- ``--quiet``: no progress bars or chatter on stderr.
- ``--seed N``: every stochastic verb; same seed, same output. Default 0.
- ``--workers N``: parallel workers; default all cores of this machine, or the cluster's
  workers when ``--scheduler`` (or ``$CHIPSMITH_SCHEDULER``) names one. ``--workers 1``
  runs in-process, without dask.
- ``--limit N``: only the first N items of an input set (problems, cases, clips).
- ``--count N``: how many items a generator makes or a benchmark runs.

Use them as annotated types: ``def verb(out: OutOpt, as_json: JsonOpt = False, ...)``.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Optional

import typer

OutOpt = Annotated[Path, typer.Option("--out", help="Output directory (written atomically, with summary.json).")]
OptionalOutOpt = Annotated[Optional[Path], typer.Option(
    "--out", help="Output directory (written atomically, with summary.json).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the summary as JSON on stdout.")]
QuietOpt = Annotated[bool, typer.Option("--quiet", help="No progress output.")]
SeedOpt = Annotated[int, typer.Option("--seed", help="Random seed; same seed, same output.")]
WorkersOpt = Annotated[Optional[int], typer.Option(
    "--workers", min=1, help="Parallel workers (default: all cores, or the cluster's workers with "
    "--scheduler; 1 runs in-process).")]
SchedulerOpt = Annotated[Optional[str], typer.Option(
    "--scheduler", help="dask scheduler address (default $CHIPSMITH_SCHEDULER, else a local cluster).")]
LimitOpt = Annotated[Optional[int], typer.Option("--limit", min=1, help="Only the first N items.")]


def resolve_workers(workers: int | None, scheduler: str | None = None) -> int | None:
    """The worker count a verb uses: the explicit value, else all cores (None with a scheduler,
    meaning "whatever the cluster has")."""
    if workers is not None:
        return workers
    if scheduler or os.environ.get("CHIPSMITH_SCHEDULER"):
        return None
    return max(1, os.cpu_count() or 1)
