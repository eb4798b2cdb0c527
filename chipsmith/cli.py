"""The ``chipsmith`` command line: one typer sub-app per capability.

Each sub-app lives in ``chipsmith/commands/<name>.py`` and imports its heavy
dependencies (torch, ngspice, dask) inside the commands, so ``--help`` stays fast.
Any :class:`~chipsmith.errors.ChipsmithError` becomes one line on stderr and exit 2.
"""
from __future__ import annotations

import os
import sys

import typer

from chipsmith import __version__
from chipsmith.commands import acim, bench, data, irdrop, litho, size, spice, synth
from chipsmith.errors import ChipsmithError

app = typer.Typer(
    name="chipsmith",
    help="EDA automation and analog design assistant: topology synthesis, ACIM compiler, "
    "IR-drop prediction and lithography simulation.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"chipsmith {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print the version and exit."),
) -> None:
    """chipsmith: real simulators, honest numbers."""


app.add_typer(spice.app, name="spice")
app.add_typer(synth.app, name="synth")
app.command("size")(size.size)
app.command("goal")(__import__("chipsmith.commands.goal", fromlist=["goal"]).goal)  # goal requests (issue 12)
app.add_typer(acim.app, name="acim")
app.add_typer(irdrop.app, name="irdrop")
app.add_typer(litho.app, name="litho")
app.add_typer(bench.app, name="bench")
app.add_typer(data.app, name="data")


def main(argv: list[str] | None = None) -> int:
    """Console entry point; returns the exit code (0 ok, 1 no result, 2 bad input)."""
    try:
        app(args=argv, prog_name="chipsmith", standalone_mode=True)
    except SystemExit as exc:
        code = exc.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    except ChipsmithError as exc:
        print(f"chipsmith: error: {exc.one_line()}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("chipsmith: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug: still one line unless asked for the traceback
        if os.environ.get("CHIPSMITH_DEBUG"):
            raise
        print(f"chipsmith: internal error: {type(exc).__name__}: {exc} "
              "(a bug; rerun with CHIPSMITH_DEBUG=1 for the traceback and report it)", file=sys.stderr)
        return 3
    return 0


def run() -> None:
    sys.exit(main())


if __name__ == "__main__":
    run()
