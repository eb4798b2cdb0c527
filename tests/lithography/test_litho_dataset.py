"""Seeded contact-clip datasets: reproducible, rule-abiding, documented format."""
from __future__ import annotations

import json

import numpy as np
import pytest

from chipsmith.errors import LithoError
from chipsmith.lithography import dataset as D
from chipsmith.lithography.presets import get_preset


@pytest.fixture(scope="module")
def new_node():
    return get_preset("new")


def test_same_seed_same_dataset(tmp_path, new_node):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    for d in (a, b, c):
        d.mkdir()
    # Mechanics of seeding and sharding: the cheap lumped ground truth is enough here.
    D.generate(a, new_node, 12, seed=7, shard_size=5, resist="lumped")
    D.generate(b, new_node, 12, seed=7, shard_size=5, resist="lumped")
    D.generate(c, new_node, 12, seed=8, shard_size=5, resist="lumped")
    ia, ib = json.loads((a / "index.json").read_text()), json.loads((b / "index.json").read_text())
    assert [s["sha256"] for s in ia["shards"]] == [s["sha256"] for s in ib["shards"]]
    sa, sc = D.ContactDataset.open(a).shard(0, verify=True), D.ContactDataset.open(c).shard(0)
    assert not np.array_equal(sa["mask"], sc["mask"])


def test_clip_designs_follow_node_rules(new_node):
    pool = D.stdcontact_pool()
    seeds = np.random.SeedSequence(3).spawn(60)
    kinds = set()
    for s in seeds:
        d = D.design_clip(s, new_node, D.DEFAULT_MIX, pool)
        kinds.add(d.kind)
        pts = np.array(d.contacts)
        assert len(pts) >= 1
        assert pts.min() >= new_node.min_pitch_nm - 1 and pts.max() <= new_node.clip_nm - new_node.min_pitch_nm + 1
        if len(pts) > 1:
            dist = np.hypot(*(pts[:, None] - pts[None]).transpose(2, 0, 1))
            dist[np.diag_indices(len(pts))] = np.inf
            assert dist.min() >= new_node.min_pitch_nm - 1.5  # 1 nm snapping
    assert kinds == set(D.KINDS)


def test_records_and_index(tmp_path, new_node):
    summary = D.generate(tmp_path, new_node, 6, seed=1, mix={"dense": 1.0}, resist="lumped")
    ds = D.ContactDataset.open(tmp_path)
    assert len(ds) == 6 and ds.index["contact_columns"] == list(D.CONTACT_COLUMNS)
    sh = ds.shard(0, verify=True)
    assert sh["mask"].shape == (6, 128, 128) and sh["mask"].dtype == np.uint8
    assert sh["aerial"].dtype == np.float16 and sh["resist"].shape == (6, 128, 128)
    table = sh["contacts"]
    assert len(table) == sh["contact_offsets"][-1] == summary["contacts"]
    cols = {c: i for i, c in enumerate(D.CONTACT_COLUMNS)}
    printed = table[:, cols["printed"]] > 0
    assert printed.mean() > 0.9
    cd = table[printed, cols["cd_x"]]
    assert np.all(np.abs(cd - new_node.contact_nm) < 0.3 * new_node.contact_nm)
    thr = table[printed, cols["threshold"]]
    assert np.all((thr > 0.05) & (thr < 0.5))
    with pytest.raises(LithoError, match="bad clip mix"):
        D.generate(tmp_path, new_node, 2, seed=1, mix={"spiral": 1.0})


def test_generate_same_arrays_for_any_worker_count(tmp_path):
    """--workers 2 fans batches out over a dask LocalCluster; the shards are bit-identical
    (the film ground truth, whose focal-plane kernels travel with the tasks)."""
    from chipsmith.lithography import flows
    from chipsmith.lithography.dataset import ContactDataset

    a = flows.generate(tmp_path / "a", node="new", count=4, seed=5, batch=2, workers=2, quiet=True, mix="random=1")
    b = flows.generate(tmp_path / "b", node="new", count=4, seed=5, batch=2, workers=1, quiet=True, mix="random=1")
    assert a["workers"] == 2 and b["workers"] == 1 and a["resist"] == "film"
    sa, sb = ContactDataset.open(tmp_path / "a").shard(0), ContactDataset.open(tmp_path / "b").shard(0)
    assert set(sa) == set(sb) and all(np.array_equal(sa[k], sb[k]) for k in sa)
