"""summary.json is strict JSON: non-finite floats (python or numpy, at any depth) are written as null."""
from __future__ import annotations

import json
import math
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from chipsmith.artifacts import dumps_json, emit_summary, write_json

from ..conftest import CliResult, _json_stdout_is_strict, load_strict_json

_floats = st.floats(allow_nan=True, allow_infinity=True)
_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-10**12, 10**12), st.text(max_size=8), _floats,
    _floats.map(np.float64), st.floats(width=32).map(np.float32), st.integers(-1000, 1000).map(np.int64),
    st.sampled_from([math.nan, math.inf, -math.inf, np.nan, np.inf, np.float32("nan")]),
)
_trees = st.recursive(
    _scalars,
    lambda kids: st.one_of(st.lists(kids, max_size=3), st.tuples(kids, kids),
                           st.dictionaries(st.text(max_size=4), kids, max_size=3)),
    max_leaves=12,
)


def _expected(obj):
    """The reference meaning, written from the spec: finite numbers kept, the rest null."""
    if isinstance(obj, dict):
        return {k: _expected(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_expected(v) for v in obj]
    if isinstance(obj, (bool, np.bool_)) or obj is None or isinstance(obj, str):
        return obj
    value = float(obj) if isinstance(obj, (float, np.floating)) else int(obj)
    return value if math.isfinite(value) else None


@given(_trees)
def test_any_nested_tree_writes_strict_json(tree):
    text = dumps_json({"summary": tree})
    assert load_strict_json(text) == {"summary": _expected(tree)}


def test_numpy_arrays_paths_and_dataclasses(tmp_path):
    @dataclass
    class Row:
        mae: float
        where: Path

    obj = {"map": np.array([[1.0, np.nan], [np.inf, -2.5]]), "row": Row(np.float64("nan"), Path("/x")),
           "count": np.int32(3), "ok": np.bool_(True), "rows": [Row(0.5, Path("a"))]}
    write_json(tmp_path / "s.json", obj)
    got = load_strict_json((tmp_path / "s.json").read_text())
    assert got == {"map": [[1.0, None], [None, -2.5]], "row": {"mae": None, "where": "/x"}, "count": 3,
                   "ok": True, "rows": [{"mae": 0.5, "where": "a"}]}


def test_unknown_objects_still_fail_loudly():
    with pytest.raises(TypeError, match="not JSON serializable"):
        dumps_json({"x": object()})


def test_emit_summary_file_and_stdout_pass_json_tool(tmp_path, capsys):
    summary = {"peak": float("nan"), "ratio": np.float32("inf"), "values": [1.0, -np.inf]}
    assert emit_summary(summary, tmp_path / "out", as_json=True) is True
    printed = capsys.readouterr().out
    written = tmp_path / "out" / "summary.json"
    for text in (printed, written.read_text()):
        assert load_strict_json(text) == {"peak": None, "ratio": None, "values": [1.0, None]}
    tool = subprocess.run([sys.executable, "-m", "json.tool", str(written)], capture_output=True, text=True)
    assert tool.returncode == 0, tool.stderr


def test_strict_loader_rejects_what_plain_json_writes():
    loose = json.dumps({"x": float("nan")})
    assert json.loads(loose)["x"] != json.loads(loose)["x"]  # python's default: NaN round-trips
    with pytest.raises(ValueError, match="NaN is not JSON"):
        load_strict_json(loose)


def test_session_guard_fails_a_run_that_writes_nan(pytester):
    """The conftest guard is real: a suite whose CLI wrote NaN into summary.json fails."""
    pytester.makeconftest((Path(__file__).parents[1] / "conftest.py").read_text())
    pytester.makepyfile(test_loose="""
        def test_writes_loose(tmp_path):
            (tmp_path / "out").mkdir()
            (tmp_path / "out" / "summary.json").write_text('{"peak": NaN}')

        def test_writes_strict(tmp_path):
            (tmp_path / "summary.json").write_text('{"peak": null}')
    """)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:xdist")
    # the inner run's files sit under this test's tmp_path: drop the bad one before our own guard looks
    for f in pytester.path.rglob("summary.json"):
        f.unlink()
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(["*1 summary.json file(s) are not strict JSON*", "*out/summary.json*NaN is not JSON*"])


def test_cli_fixture_fails_a_json_print_with_nan():
    loose = CliResult(0, '{"peak": NaN}', "")
    with pytest.raises(pytest.fail.Exception, match="printed NaN is not JSON.*dumps_json"):
        _json_stdout_is_strict(("litho", "simulate", "--json"), loose)
    assert _json_stdout_is_strict(("litho", "simulate"), loose) is loose  # no --json: not a summary
    assert _json_stdout_is_strict(("x", "--json"), CliResult(0, '{"peak": null}', "")).code == 0
