"""`chipsmith bench`: benchmark suites that print figures as ratios against a baseline.

Each capability contributes a module ``chipsmith/commands/bench_<name>.py`` with a
``register(app)`` function that adds its command; this keeps the suites independent.
"""
from __future__ import annotations

import importlib
import importlib.util

import typer

app = typer.Typer(help="Benchmarks: spice, topology, acim, irdrop, litho, litho-model, sizing, external.", no_args_is_help=True)

# a suite whose module is not there yet is left out, so a capability can add its suite on its own
SUITES = ("spice", "topology", "acim", "irdrop", "litho", "litho_model", "sizing", "external", "goals")

for _name in SUITES:
    _mod = f"chipsmith.commands.bench_{_name}"
    if importlib.util.find_spec(_mod) is not None:
        importlib.import_module(_mod).register(app)
