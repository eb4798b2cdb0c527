"""`chipsmith bench sizing`: TPE sizing against random search at equal evaluations."""
from __future__ import annotations

import typer

from chipsmith.options import JsonOpt, OptionalOutOpt, QuietOpt, SchedulerOpt, WorkersOpt


def register(app: typer.Typer) -> None:
    app.command("sizing")(sizing)


def sizing(
    problem_set: str = typer.Option("generic", "--set", help="generic (level-1, fast) or sky130 (5 corners, slow)."),
    seeds: int = typer.Option(4, "--seeds", min=1, help="Seeds per method."),
    budget: int = typer.Option(96, "--budget", min=1, help="Candidates per run (both methods)."),
    batch: int = typer.Option(8, "--batch", min=1, help="Candidates per ngspice process."),
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    as_json: JsonOpt = False,
    out: OptionalOutOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Success and evaluations to success of TPE (gm/Id start) vs random search, per problem."""
    from chipsmith.artifacts import emit_summary
    from chipsmith.benchmarks import sizing_bench

    def progress(row: dict) -> None:
        if not (quiet or as_json):
            typer.echo(f"  {row['problem']} {row['method']} seed {row['seed']}: "
                       f"{'met after ' + str(row['evaluations_to_success']) if row['success'] else 'not met'} "
                       f"({row['wall_s']:.1f} s)")

    summary = sizing_bench.run_with_workers(problem_set, seeds, budget, batch, workers=workers, scheduler=scheduler,
                                            on_run=progress)
    if emit_summary(summary, out, as_json):
        return
    for key, row in summary["per_problem"].items():
        typer.echo(f"{key}: {row['successes']}/{row['runs']} met ({row['false_successes']} false), median "
                   f"{row['median_evaluations']} candidates, median {row['median_wall_s']:.1f} s")
    for name, ratio in summary["ratios"].items():
        typer.echo(f"{name}: random needs {ratio['random_over_tpe_median_evaluations']:.2f}x the candidates of TPE")
