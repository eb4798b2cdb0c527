"""`chipsmith size`: size an op-amp's .param cards to a spec across process corners."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from chipsmith.options import JsonOpt, OutOpt, QuietOpt, SchedulerOpt, SeedOpt, WorkersOpt


def size(
    design: Path = typer.Argument(..., help="Netlist with the op-amp .subckt and the .param cards to size."),
    spec: Path = typer.Option(..., "--spec", help="YAML: ports, bias, targets, variables (see docs/spice.md)."),
    pdk: Optional[str] = typer.Option(None, "--pdk", help="Process (overrides the spec's): sky130 or generic."),
    corners: Optional[str] = typer.Option(None, "--corners", help="Corners every target must hold at, e.g. "
                                          "tt,ff,ss,fs,sf (overrides the spec's)."),
    temps: Optional[str] = typer.Option(None, "--temps", help="Temperatures in C, e.g. -40,27,125."),
    budget: int = typer.Option(64, "--budget", min=1, help="Most candidates to simulate."),
    batch: int = typer.Option(8, "--batch", min=1, help="Candidates per ngspice process (models load once)."),
    method: str = typer.Option("cmaes", "--method", help="cmaes (CMA-ES from the gm/Id start), tpe (Optuna TPE, "
                               "gm/Id start first) or random (baseline)."),
    seed: SeedOpt = 0,
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    out: OutOpt = Path("out/size"),
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Size W, L, m, R, C and bias parameters to meet gain/GBW/PM/power/CMRR/PSRR/slew targets at every corner.
    Exit 0 when met, 1 with the best attempt when not."""
    from chipsmith.artifacts import dumps_json
    from chipsmith.spice.sizing import size_flow

    summary = size_flow(design, spec, out, pdk=pdk, corners=corners, temps=temps, budget=budget, batch=batch,
                        method=method, seed=seed, workers=workers, scheduler=scheduler, quiet=quiet or as_json)
    if as_json:
        typer.echo(dumps_json(summary))
    else:
        best = summary["best"] or {}
        state = "met at every corner" if summary["success"] else f"NOT met (best cost {best.get('cost', 'n/a')})"
        typer.echo(f"{design}: {state} after {summary['evaluations']} candidates ({summary['method']}, "
                   f"{', '.join(summary['corners'])}) -> {out}")
        for corner, margins in (best.get("margins") or {}).items():
            cells = "  ".join(f"{t}: {'n/a' if m is None else f'{m:+.3g}'}" for t, m in margins.items())
            typer.echo(f"  {corner}: {cells}")
    if not summary["success"]:
        raise typer.Exit(1)
