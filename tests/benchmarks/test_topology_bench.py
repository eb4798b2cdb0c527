"""Topology benchmark: a 20-problem slice end to end through the CLI, the problem-file
format errors, and the seeded synthetic generator."""
from __future__ import annotations

import json

from chipsmith.benchmarks import topology_bench, topology_synthetic


def test_real_set_is_well_formed_and_has_references():
    problems = topology_bench.load_set("real")
    assert len(problems) >= 40
    assert all(p["reference"] and ".subckt design" in p["reference"] for p in problems)
    assert len({p["spec"]["kind"] for p in problems}) >= 20


def test_reference_passes_its_own_checks(ngspice_bin):
    from chipsmith.agents.checks import proofread

    prob = topology_bench.load_set("real")[0]
    proof = proofread(prob["reference"], topology_bench._problem_spec(prob))
    assert proof.passed, [(r.name, r.detail) for r in proof.results if not r.passed]


def test_slice_end_to_end_through_cli(cli, tmp_path, ngspice_bin):
    # 10 real + 10 synthetic problems, serial path (the dask path is covered below on real).
    real = topology_bench.load_set("real", limit=10)
    syn = list(topology_synthetic.generate(10, seed=3))
    path = tmp_path / "slice.jsonl"
    path.write_text("".join(json.dumps(p) + "\n" for p in real + syn))
    out = tmp_path / "out"
    r = cli("bench", "topology", "--set", str(path), "--backend", "expert", "--workers", "1", "--out", str(out),
            "--json", "--quiet")
    assert r.code == 0, r.stderr
    summary = json.loads(r.stdout)
    assert summary["problems"] == 20
    assert summary["success_rate"] >= 0.9
    assert summary["structural_equivalence_rate"] is not None and summary["with_reference"] == 10
    for name in ("results.jsonl", "report.md", "success_by_category.png", "summary.json"):
        assert (out / name).is_file()
    rows = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert len(rows) == 20 and all(row["rounds"] >= 1 for row in rows)
    assert (out / "success_by_category.png").read_bytes()[:4] == b"\x89PNG"
    assert "| category |" in (out / "report.md").read_text()


def test_dask_path_matches_serial(cli, tmp_path, ngspice_bin):
    r = cli("bench", "topology", "--set", "real", "--limit", "4", "--workers", "2", "--out", str(tmp_path / "d"),
            "--json", "--quiet")
    assert r.code == 0, r.stderr
    assert json.loads(r.stdout)["solved"] == 4


def test_wrong_netlist_is_scored_as_failure(ngspice_bin):
    from chipsmith.agents.checks import proofread

    probs = topology_bench.load_set("real")
    mirror = next(p for p in probs if p["spec"]["kind"] == "mirror_simple")
    ota = next(p for p in probs if p["spec"]["kind"] == "ota5t")
    assert not proofread(mirror["reference"], topology_bench._problem_spec(ota)).passed
    ports = ota["inputs"] + ota["outputs"] + ota["bias"] + ["vdd", "gnd"]
    assert topology_bench.structurally_equivalent(ota["reference"], ota["reference"], ports)
    other = next(p for p in probs if p["spec"]["kind"] == "two_stage_opamp")
    renamed = other["reference"]
    for mine, theirs in zip(ports, other["inputs"] + other["outputs"] + other["bias"] + ["vdd", "gnd"]):
        renamed = renamed.replace(f" {theirs} ", f" {mine} ").replace(f" {theirs}\n", f" {mine}\n")
    assert not topology_bench.structurally_equivalent(renamed, ota["reference"], ports)


def test_malformed_line_exits_2_naming_file_and_line(cli, tmp_path):
    path = tmp_path / "bad.jsonl"
    good = topology_bench.load_set("real", limit=1)[0]
    path.write_text(json.dumps(good) + "\n{not json\n")
    out = tmp_path / "out"
    r = cli("bench", "topology", "--set", str(path), "--out", str(out), "--quiet")
    assert r.code == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and f"{path}:2" in lines[0] and "Traceback" not in r.stderr
    assert not out.exists()


def test_missing_field_and_bad_spec_exit_2(cli, tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps({"id": "x", "text": "t", "spec": {"kind": "ota5t"}, "inputs": [], "outputs": []}) + "\n")
    r = cli("bench", "topology", "--set", str(path), "--out", str(tmp_path / "o"), "--quiet")
    assert r.code == 2 and f"{path}:1" in r.stderr and "bias" in r.stderr
    path.write_text(json.dumps({"id": "x", "text": "t", "spec": {"kind": "warp_drive"}, "inputs": [],
                                "outputs": [], "bias": []}) + "\n")
    r = cli("bench", "topology", "--set", str(path), "--out", str(tmp_path / "o"), "--quiet")
    assert r.code == 2 and len(r.stderr.strip().splitlines()) == 1 and "warp_drive" in r.stderr


def test_synthetic_generator_is_seed_deterministic_and_lazy():
    a = list(topology_synthetic.generate(50, seed=7))
    b = list(topology_synthetic.generate(50, seed=7))
    c = list(topology_synthetic.generate(50, seed=8))
    assert a == b and a != c
    assert list(topology_synthetic.generate(5, seed=7, start=20)) == a[20:25]
    assert len({p["spec"]["kind"] for p in topology_synthetic.generate(300, seed=0)}) >= 20
    for p in a:  # every generated problem is a valid problem-file record
        topology_bench.validate_problem(json.loads(json.dumps(p)), p["id"])


def test_verified_generation_attaches_a_reference_that_passes_its_own_checks(tmp_path, cli):
    import json

    from chipsmith.benchmarks import topology_synthetic

    path = tmp_path / "verified.jsonl"
    assert topology_synthetic.main(["--n", "3", "--seed", "5", "--out", str(path)]) == 0
    problems = [json.loads(line) for line in path.read_text().splitlines()]
    assert len(problems) == 3 and all(p["reference"] for p in problems)
    r = cli("bench", "topology", "--set", str(path), "--workers", "1", "--out", tmp_path / "res", "--json", "--quiet")
    assert r.code == 0
    summary = json.loads(r.stdout)
    assert summary["solved"] == 3 and summary["with_reference"] == 3
    assert summary["structural_equivalence_rate"] == 1.0
