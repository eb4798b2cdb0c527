"""One typer sub-app per capability; imported by ``chipsmith.cli`` only."""
