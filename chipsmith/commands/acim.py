"""`chipsmith acim`: filled in by its capability's issue."""
from __future__ import annotations

import typer

app = typer.Typer(help="(acim: not yet available)", no_args_is_help=True)
