"""Shared fixtures: the CLI as a user runs it, datasets, and a loud ngspice requirement."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import settings

# CI runs a fixed, derandomized example set so a submission's result is reproducible;
# local runs keep exploring new examples.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")

REPO = Path(__file__).resolve().parent.parent


@dataclass
class CliResult:
    code: int
    stdout: str
    stderr: str


@pytest.fixture
def cli(capsys):
    """Run ``chipsmith ARGS`` in-process through the real entry point; returns code/stdout/stderr."""
    from chipsmith.cli import main

    def _run(*args: str) -> CliResult:
        capsys.readouterr()
        code = main([str(a) for a in args])
        out = capsys.readouterr()
        return CliResult(code, out.out, out.err)

    return _run


@pytest.fixture
def cli_process():
    """Run ``python -m chipsmith ARGS`` as a separate process (for end-to-end tests)."""

    def _run(*args: str, timeout: float = 600, cwd: Path | None = None) -> CliResult:
        proc = subprocess.run([sys.executable, "-m", "chipsmith", *map(str, args)], capture_output=True,
                              text=True, timeout=timeout, cwd=cwd)
        return CliResult(proc.returncode, proc.stdout, proc.stderr)

    return _run


@pytest.fixture(scope="session")
def ngspice_bin() -> str:
    """ngspice is required: fail loudly (never skip) when it is missing."""
    path = shutil.which("ngspice")
    if path is None:
        pytest.fail("ngspice is not installed; run `make test` (it installs ngspice with apt)")
    return path


def dataset_or_fail(name: str) -> Path:
    from chipsmith import data

    path = data.find(name)
    if path is None:
        pytest.fail(f"dataset {name} not found; set CHIPSMITH_DATA or run `chipsmith data fetch {name}`")
    return path


@pytest.fixture(scope="session")
def iccad23_dir() -> Path:
    return dataset_or_fail("iccad23-irdrop")


@pytest.fixture(scope="session")
def iccad13_dir() -> Path:
    return dataset_or_fail("iccad13-litho")
