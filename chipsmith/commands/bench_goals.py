"""`chipsmith bench goals`: goal requests vs the best of N random sizings and the untuned template."""
from __future__ import annotations

import typer

from chipsmith.options import JsonOpt, LimitOpt, OptionalOutOpt, QuietOpt, SeedOpt, WorkersOpt


def register(app: typer.Typer) -> None:
    app.command("goals")(goals)


def goals(
    budget: int = typer.Option(30, "--budget", "--trials", min=1, help="TPE candidates per topology."),
    random: int = typer.Option(200, "--random", min=1, help="Random sizings of the chosen topology (baseline)."),
    seed: SeedOpt = 0,
    workers: WorkersOpt = None,
    limit: LimitOpt = None,
    as_json: JsonOpt = False,
    out: OptionalOutOpt = None,
    quiet: QuietOpt = False,
) -> None:
    """Gain, GBW and GBW/power goals: judged result / best random sizing and / untuned template, and wall time."""
    from chipsmith.artifacts import emit_summary
    from chipsmith.benchmarks import goals_bench
    from chipsmith.options import resolve_workers

    summary = goals_bench.run(budget=budget, random_budget=random, seed=seed, workers=resolve_workers(workers),
                              limit=limit, on_row=None if quiet or as_json else
                              (lambda r: typer.echo("  " + goals_bench._line(r))))
    if emit_summary(summary, out, as_json):
        return
    typer.echo(f"goals: {summary['solved']}/{summary['problems']} solved, {summary['beat_random']} beat the best of "
               f"{random} random sizings, {summary['beat_template']} beat the template; median "
               f"{summary['median_wall_s']:.1f} s per request")
