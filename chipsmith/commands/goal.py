"""`chipsmith goal TEXT --inputs A --outputs B --budget N`: optimise a figure over the allowed topologies.

Exit codes: 0 the judged design beats the untuned template of its topology and passes every
requirement; 1 no such design (the best attempt is written); 2 bad input (one line on stderr).
"""
from __future__ import annotations

import sys
from pathlib import Path

import typer

from chipsmith.artifacts import dumps_json
from chipsmith.options import JsonOpt, OutOpt, QuietOpt, SchedulerOpt, SeedOpt, WorkersOpt


def goal(
    text: str = typer.Argument(..., metavar="TEXT", help="A goal request, e.g. \"a two-stage op-amp that "
                                                         "maximizes GBW per watt\"."),
    inputs: str = typer.Option("", "--inputs", help="Input port names, comma-separated (Vinp,Vinn or Vin)."),
    outputs: str = typer.Option("", "--outputs", help="Output port names, comma-separated."),
    bias: str = typer.Option("", "--bias", help="Bias port names (I*: current into the pin; others: volts)."),
    ports: str = typer.Option("", "--ports", help="Ports with roles, e.g. \"Vin:signal_in,Vout:out\"."),
    budget: int = typer.Option(30, "--budget", "--trials", min=1, help="Candidates simulated per topology "
                                                                        "(Optuna TPE), besides its template."),
    seed: SeedOpt = 0,
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    out: OutOpt = Path("goal-out"),
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Maximise gain, GBW or GBW per watt over the topologies the request allows; judge the result."""
    from chipsmith.agents.goals import goal_flow

    say = None if quiet or as_json else (lambda msg: print(f"  {msg}", file=sys.stderr, flush=True))
    summary = goal_flow(text, out=out, inputs=inputs, outputs=outputs, bias=bias, ports=ports, budget=budget,
                        seed=seed, workers=workers, scheduler=scheduler, on_round=say)
    if as_json:
        sys.stdout.write(dumps_json(summary) + "\n")
    elif not quiet:
        g = summary.get("goal") or {}
        typer.echo(f"goal: {g.get('direction')} {g.get('figure')} over {', '.join(g.get('topologies_tried', []))}")
        for row in g.get("front", []):
            fmt = lambda x: "-" if x is None else f"{x:.4g}"  # noqa: E731
            typer.echo(f"  {row['topology']:<26} template {fmt(row['template']):>10}  best {fmt(row['best']):>10}"
                       f"  x{fmt(row['ratio_vs_template'])}  judge {'pass' if row['judge_pass'] else 'fail'}")
        best = g.get("best")
        typer.echo(f"{'verified' if summary['success'] else 'NOT verified'}: "
                   + (f"{best['topology']} {g.get('figure')} = {best['best']:.4g}" if best else
                      summary.get("reason", "")) + f" -> {out}")
    if not summary["success"]:
        print(f"chipsmith: no verified goal design: {(summary.get('reason') or '')[:200]}", file=sys.stderr)
        raise typer.Exit(1)
