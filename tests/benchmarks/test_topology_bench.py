"""Topology benchmark: the hand-written real_v2 set, the legacy regression set, scoring
with the independent judge, and a small end-to-end slice through the CLI (the full run
is not part of the test suite)."""
from __future__ import annotations

import json
from collections import Counter

import pytest

from chipsmith.benchmarks import topology_bench as tb
from chipsmith.errors import InputError
from chipsmith.spice.judge import judge


def test_real_v2_is_hand_annotated_and_broad() -> None:
    problems = tb.load_set("real_v2")
    assert len(problems) >= 150
    fams = Counter(p["family"] for p in problems)
    for family in ("amplifiers", "op-amps", "mirrors+references", "op-amp applications", "filters", "comparators",
                   "oscillators", "VCOs", "mixers", "data-converter parts"):
        assert fams[family] >= 3, family
    for p in problems:
        kinds = [r.kind for r in p["request"].requirements]
        assert kinds.count("family") == 1, p["id"]
        assert p["request"].interface.outputs, p["id"]
    # designers' port names, not a template: Vin/Vbias/Iref/Vinp and friends all occur
    names = {n for p in problems for n in p["ports"]}
    assert {"Vin", "Vbias", "Iref", "Vinp", "Vinn", "Vout", "Ibias", "Vctrl"} <= names
    assert len({p["text"] for p in problems}) == len(problems)


def test_legacy_set_is_a_regression_set_with_table_requirements() -> None:
    problems = tb.load_set("real")
    assert len(problems) >= 40
    first = problems[0]
    kinds = {r.kind for r in first["request"].requirements}
    assert {"family", "structure", "input_type"} <= kinds
    roles = {p.name: p.role.value for p in first["request"].interface.ports}
    assert roles == {"inp": "diff_in_p", "inn": "diff_in_n", "out": "out", "ibias": "bias_i"}


def test_bad_problem_lines_are_input_errors(tmp_path) -> None:
    path = tmp_path / "p.jsonl"
    path.write_text('{"id": "a", "text": "x", "interface": [], "requirements": [{"id": "r", "kind": "magic"}]}\n')
    with pytest.raises(InputError, match="p.jsonl:1.*unknown kind"):
        tb.load_problems(path)
    path.write_text("{nope\n")
    with pytest.raises(InputError, match="malformed JSON"):
        tb.load_problems(path)


def test_scoring_statuses() -> None:
    assert tb.score(True, True) == "solved"
    assert tb.score(True, False) == "false_success"
    assert tb.score(True, None) == "false_success"
    assert tb.score(False, True) == "refused"
    assert tb.score(False, None) == "refused"


def test_legacy_references_pass_the_judge_and_wrong_ones_fail(ngspice_bin) -> None:
    problems = {p["id"]: p for p in tb.load_set("real")}
    mirror, ota = problems["real-012"], problems["real-004"]
    assert judge(mirror["reference"], mirror["request"]).success
    assert judge(ota["reference"], ota["request"]).success
    assert not judge(mirror["reference"], ota["request"]).success


def test_slice_end_to_end_through_cli(cli, tmp_path, ngspice_bin) -> None:
    problems = [json.loads(line) for line in (tb.PROBLEMS_DIR / "real_v2.jsonl").read_text().splitlines()
                if line.strip() and not line.startswith("#")]
    pick = [p for p in problems if p["id"] in ("v2-001", "v2-090", "v2-114")]
    path = tmp_path / "slice.jsonl"
    path.write_text("".join(json.dumps(p) + "\n" for p in pick))
    out = tmp_path / "out"
    r = cli("bench", "topology", "--set", str(path), "--workers", "1", "--out", str(out), "--json", "--quiet")
    assert r.code == 0, r.stderr
    summary = json.loads(r.stdout)
    assert summary["problems"] == 3
    assert summary["solved"] + summary["false_success"] + summary["refused"] == 3
    assert set(summary["by_family"]) == {p["family"] for p in pick}
    for name in ("results.jsonl", "report.md", "summary.json"):
        assert (out / name).is_file()
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert [row["status"] in tb.STATUSES for row in rows] == [True] * 3
    for row in rows:  # a claimed success is only "solved" when the judge agrees
        if row["agent_success"]:
            assert row["status"] == ("solved" if row["judge_success"] else "false_success")
    assert "| family |" in (out / "report.md").read_text()


@pytest.mark.slow
def test_full_real_v2_run(cli, tmp_path, ngspice_bin) -> None:
    """The whole honest set (not in the default run): every problem gets exactly one status."""
    out = tmp_path / "full"
    r = cli("bench", "topology", "--set", "real_v2", "--out", str(out), "--json", "--quiet")
    assert r.code == 0, r.stderr
    s = json.loads(r.stdout)
    assert s["problems"] == len(tb.load_set("real_v2"))
    assert s["solved"] + s["false_success"] + s["refused"] == s["problems"]
    assert sum(v["problems"] for v in s["by_family"].values()) == s["problems"]
