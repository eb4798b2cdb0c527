"""Shared fixtures: the CLI as a user runs it, datasets, and a loud ngspice requirement."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# The suite runs on a couple of cores shared with other work: hypothesis's timing checks
# (per-example deadline, slow input generation) would measure the machine, not the code.
settings.register_profile("shared-cores", deadline=None, suppress_health_check=[HealthCheck.too_slow])
# CI runs a fixed, derandomized example set so a submission's result is reproducible;
# local runs keep exploring new examples.
settings.register_profile("ci", parent=settings.get_profile("shared-cores"), derandomize=True, print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "shared-cores")

pytest_plugins = ["pytester"]  # tests/core checks the conftest's own session guard in a child run

REPO = Path(__file__).resolve().parent.parent
# Searched after every real data root: a fresh clone without ../shared runs the tests that
# need a few dataset files on the small real samples in tests/data (see its README).
os.environ.setdefault("CHIPSMITH_SAMPLE_DATA", str(REPO / "tests" / "data"))


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
        return _json_stdout_is_strict(args, CliResult(code, out.out, out.err))

    return _run


@pytest.fixture
def cli_process():
    """Run ``python -m chipsmith ARGS`` as a separate process (for end-to-end tests)."""

    def _run(*args: str, timeout: float = 600, cwd: Path | None = None) -> CliResult:
        proc = subprocess.run([sys.executable, "-m", "chipsmith", *map(str, args)], capture_output=True,
                              text=True, timeout=timeout, cwd=cwd)
        return _json_stdout_is_strict(args, CliResult(proc.returncode, proc.stdout, proc.stderr))

    return _run


class NonStrictJSON(ValueError):
    pass


def _no_constants(name: str):
    raise NonStrictJSON(f"{name} is not JSON")


def _json_stdout_is_strict(args, res: CliResult) -> CliResult:
    """``--json`` prints summary.json: it must be strict JSON too (whether it parses at all is
    the calling test's business)."""
    if "--json" in map(str, args) and res.code == 0:
        try:
            load_strict_json(res.stdout)
        except NonStrictJSON as exc:
            pytest.fail(f"`chipsmith {' '.join(map(str, args))}` printed {exc}; print the summary with "
                        "chipsmith.artifacts.dumps_json", pytrace=False)
        except ValueError:
            pass
    return res


def load_strict_json(text: str):
    """``json.loads`` that rejects NaN/Infinity as strict readers do (python and json.tool accept them)."""
    return json.loads(text, parse_constant=_no_constants)


@pytest.fixture(scope="session", autouse=True)
def summaries_are_strict_json(tmp_path_factory):
    """After the session, every summary.json the tests wrote must be strict JSON (issue 10)."""
    yield
    base = tmp_path_factory.getbasetemp()
    bad = []
    for f in base.rglob("summary.json"):
        try:
            load_strict_json(f.read_text())
        except ValueError as exc:
            bad.append(f"{f.relative_to(base)}: {exc}")
    if bad:
        pytest.fail(f"{len(bad)} summary.json file(s) are not strict JSON:\n" + "\n".join(bad), pytrace=False)


@pytest.fixture(scope="session")
def ngspice_bin() -> str:
    """ngspice is required: fail loudly (never skip) when it is missing."""
    path = shutil.which("ngspice")
    if path is None:
        pytest.fail("ngspice is not installed; run `make test` (it installs ngspice with apt)")
    return path


def dataset_or_fail(name: str) -> Path:
    """The dataset, or its in-repo sample; failing (not skipping) when neither is there."""
    from chipsmith import data

    path = data.find(name)
    if path is None:
        pytest.fail(f"dataset {name} not found; set CHIPSMITH_DATA or run `chipsmith data fetch {name}`")
    return path


def whole_dataset_or_skip(name: str) -> Path:
    """The whole dataset; skip (reason in the ``-ra`` summary) when only the sample is here."""
    from chipsmith import data

    path = dataset_or_fail(name)
    if not data.is_complete(name, path):
        pytest.skip(f"needs the whole {name} dataset; only the sample at {path} was found "
                    f"(run `chipsmith data fetch {name}` or set CHIPSMITH_DATA)")
    return path


@pytest.fixture(scope="session")
def iccad23_dir() -> Path:
    """The contest cases: whole dataset when found, else the sample (two real, two synthetic)."""
    return dataset_or_fail("iccad23-irdrop")


@pytest.fixture(scope="session")
def iccad23_full() -> Path:
    return whole_dataset_or_skip("iccad23-irdrop")


@pytest.fixture(scope="session")
def iccad13_dir() -> Path:
    """Kernels and clips; the in-repo sample holds the whole (1.4 MB) dataset."""
    return dataset_or_fail("iccad13-litho")


@pytest.fixture(scope="session")
def iccad13_full() -> Path:
    return whole_dataset_or_skip("iccad13-litho")
