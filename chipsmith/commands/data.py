"""`chipsmith data`: where datasets are found, and how to fetch and verify them."""
from __future__ import annotations

from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from chipsmith import data as registry
from chipsmith.artifacts import dumps_json
from chipsmith.errors import DataError

app = typer.Typer(help="Datasets: list, fetch, verify.", no_args_is_help=True)


@app.command("list")
def list_(as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table.")) -> None:
    """Show every registered dataset, where it was found, or how to fetch it."""
    rows = [registry.status(n) for n in registry.names()]
    if as_json:
        typer.echo(dumps_json(rows))
        return
    table = Table(title="chipsmith datasets")
    for col in ("name", "found at / how to get", "files", "license"):
        table.add_column(col)
    for r in rows:
        table.add_row(r["name"], r["found"] or f"missing: {r['fetch']}", str(r["files_in_manifest"]), r["license"])
    Console().print(table)
    typer.echo("search order: " + ", ".join(str(p) for p in registry.search_roots()))


@app.command()
def fetch(name: str = typer.Argument(..., help="Dataset name (see `chipsmith data list`)."),
          dest: Path = typer.Option(None, "--dest", help="Root directory (default: first search root).")) -> None:
    """Download a dataset from its upstream repository and verify its checksums."""
    path = registry.fetch(name, dest)
    report = registry.verify(name, path)
    typer.echo(f"{name}: {len(report.ok)} files verified at {path}")
    if report.missing:
        typer.echo(f"{name}: {len(report.missing)} manifest files are not in the upstream archive "
                   f"(e.g. {report.missing[0]}); copy them into {path} by hand", err=True)


@app.command()
def verify(name: str = typer.Argument(..., help="Dataset name.")) -> None:
    """Check a local dataset against its sha256 manifest."""
    report = registry.verify(name)
    if not report.passed:
        raise DataError(f"{name}: {len(report.missing)} missing, {len(report.mismatched)} corrupt files "
                        f"(e.g. {(report.missing + report.mismatched)[0]})",
                        fix=f"re-run `chipsmith data fetch {name}`")
    typer.echo(f"{name}: all {len(report.ok)} files verified")
