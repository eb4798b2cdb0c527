from __future__ import annotations

import json

import chipsmith
from chipsmith.artifacts import staged_output
from chipsmith.errors import InputError


def test_version(cli):
    r = cli("--version")
    assert r.code == 0 and chipsmith.__version__ in r.stdout


def test_help_lists_every_sub_app(cli):
    r = cli("--help")
    assert r.code == 0
    for name in ("spice", "synth", "acim", "irdrop", "litho", "bench", "data"):
        assert name in r.stdout


def test_unknown_dataset_is_one_line_exit_2(cli):
    r = cli("data", "verify", "no-such-data")
    assert r.code == 2
    assert r.stderr.count("\n") == 1 and "choose one of" in r.stderr
    assert "Traceback" not in r.stderr


def test_data_list_json_reports_shared_data(cli):
    r = cli("data", "list", "--json")
    assert r.code == 0
    rows = {row["name"]: row for row in json.loads(r.stdout)}
    assert set(rows) == {"iccad23-irdrop", "iccad13-litho"}
    assert all(row["files_in_manifest"] > 100 for row in rows.values())


def test_staged_output_leaves_nothing_on_failure(tmp_path):
    out = tmp_path / "result"
    try:
        with staged_output(out) as stage:
            (stage / "half.txt").write_text("x")
            raise InputError("boom")
    except InputError:
        pass
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == []


def test_staged_output_moves_files_on_success(tmp_path):
    out = tmp_path / "result"
    with staged_output(out) as stage:
        (stage / "a.txt").write_text("a")
    assert (out / "a.txt").read_text() == "a"
    assert len(list(tmp_path.iterdir())) == 1
