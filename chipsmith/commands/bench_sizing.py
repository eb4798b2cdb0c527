"""`chipsmith bench sizing`: a sizing method against random search at equal evaluations."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from chipsmith.options import JsonOpt, LimitOpt, OptionalOutOpt, QuietOpt, SchedulerOpt, WorkersOpt


def register(app: typer.Typer) -> None:
    app.command("sizing")(sizing)


def sizing(
    problem_set: str = typer.Option("generic", "--set", help="generic (level-1, fast), sky130 (six amplifiers, "
                                    "5 corners) or sky130-tt (the same at tt only)."),
    seeds: int = typer.Option(4, "--seeds", min=1, help="Seeds per method."),
    first_seed: int = typer.Option(0, "--first-seed", min=0, help="Seeds run first-seed .. first-seed+seeds-1 "
                                   "(report on seeds not looked at while tuning)."),
    budget: int = typer.Option(96, "--budget", min=1, help="Candidates per run (both methods)."),
    batch: int = typer.Option(8, "--batch", min=1, help="Candidates per ngspice process."),
    problems: Optional[str] = typer.Option(None, "--problems", help="Comma-separated problem names of the set "
                                           "(default: all), e.g. sky130_affc,sky130_nmc."),
    methods: str = typer.Option("cmaes,random", "--methods", help="Comma-separated: cmaes, tpe, random; the first "
                                "that is not random is compared against random."),
    limit: LimitOpt = None,
    results: Optional[Path] = typer.Option(None, "--results", help="Also write the summary JSON to this file "
                                           "(e.g. benchmarks/results/sizing_sky130.json)."),
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    as_json: JsonOpt = False,
    out: OptionalOutOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Success, evaluations to success and wall time of a sizing method (default CMA-ES from the gm/Id
    start) vs random search, per problem, with every claimed success re-simulated by an independent
    judge (false successes)."""
    from chipsmith.artifacts import atomic_write_text, dumps_json, emit_summary
    from chipsmith.benchmarks import sizing_bench
    from chipsmith.errors import InputError

    chosen = [p.strip() for p in problems.split(",") if p.strip()] if problems else None
    if limit is not None:
        chosen = list(chosen or sizing_bench.SETS.get(problem_set, ()))[:limit]
    method_list = tuple(m.strip() for m in methods.split(",") if m.strip())
    from chipsmith.spice.sizing import METHODS

    if not method_list or set(method_list) - set(METHODS):
        raise InputError(f"--methods {methods!r}", fix=f"use a comma-separated list of: {', '.join(METHODS)}")

    runs_log = results.with_name(results.stem + ".runs.jsonl") if results is not None else None
    if runs_log is not None:   # each finished run as it comes: a long benchmark stopped early keeps its runs
        runs_log.parent.mkdir(parents=True, exist_ok=True)
        runs_log.write_text("")

    def progress(row: dict) -> None:
        if runs_log is not None:
            with runs_log.open("a", encoding="utf-8") as fh:
                fh.write(dumps_json(row, indent=None) + "\n")
        if not (quiet or as_json):
            state = (f"met after {row['evaluations_to_success']}" + ("" if row["confirmed"] else " (NOT confirmed)")
                     if row["success"] else "not met")
            typer.echo(f"  {row['problem']} {row['method']} seed {row['seed']}: {state} "
                       f"({row['simulations']} simulations, {row['wall_s']:.1f} s)")

    summary = sizing_bench.run_with_workers(problem_set, seeds, budget, batch, workers=workers, scheduler=scheduler,
                                            on_run=progress, problems=chosen, methods=method_list,
                                            first_seed=first_seed)
    if results is not None:
        results.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(results, dumps_json(summary) + "\n")
    if emit_summary(summary, out, as_json):
        return
    for line in sizing_bench.table(summary):
        typer.echo(line)
    main, pool = summary["method"], summary["pooled"]
    typer.echo(f"{main}: {summary['success_rate']:.0%} of runs met the spec at every corner, "
               f"{summary['confirmed_rate']:.0%} confirmed by the independent re-simulation; "
               f"{summary['false_successes']} false success(es) in all runs; median {main} run "
               f"{summary['median_wall_s'] / 60:.1f} min wall, {sizing_bench._minutes(summary['median_cpu_s'])} "
               f"CPU (search only)")
    if pool is not None:
        typer.echo(f"pooled over {pool['runs']} (problem, seed) pairs: random {pool['random_evaluations']} / {main} "
                   f"{pool['method_evaluations']} evaluations = {'>=' if pool['lower_bound'] else ''}"
                   f"{pool['random_over_method']:.1f}x (a failed run counts as its budget)")
    exp = summary.get("expected")
    if exp is not None:
        typer.echo(f"expected evaluations to success, summed over problems: random {exp['random']:.0f} / {main} "
                   f"{exp['method']:.0f} = {exp['random_over_method']:.1f}x (bootstrap 5th percentile "
                   f"{exp['bootstrap_p05']:.1f}x; random's failed runs count as draws, geometric MLE)")
