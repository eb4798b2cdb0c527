"""Learned resist models (issue 15): samples, selection, train/predict/bench end to end, bad input.

Tiny real datasets (a few clips of each node) are generated once
per session; the models train for a handful of steps, so these check the plumbing and the
judges, not the accuracy (the real learning curves are in docs/lithography.md).
"""
from __future__ import annotations

import json

import klayout.db as kdb
import numpy as np
import pytest

from chipsmith.lithography import active
from chipsmith.lithography import contact_samples as CS
from chipsmith.lithography import resist_learning as RL


@pytest.fixture(scope="session")
def tiny_sets(tmp_path_factory):
    from chipsmith.lithography import flows

    root = tmp_path_factory.mktemp("litho-model-data")
    mix = "random=0.5,array=0.5"
    # The source node keeps the cheap lumped ground truth (its 20-slice film is the slowest part
    # on CPU); target and test use the default film model, so predict compares with it.
    for name, node, n, seed, resist in (("old", "old", 4, 1, "lumped"), ("new", "new", 6, 2, "film"),
                                        ("test", "new", 3, 3, "film")):
        flows.generate(root / name, node=node, count=n, seed=seed, mix=mix, workers=1, quiet=True, resist=resist)
    return root


def test_samples_slice_back_to_the_true_cd(tiny_sets):
    s = CS.load(tiny_sets / "new")
    assert len(s) > 10 and s.patches.shape[1:] == (2, CS.PATCH, CS.PATCH)
    # Slicing each contact's aerial profiles at its true per-edge thresholds gives its CD back.
    cd, _ = CS.slice_cd(s.profiles, s.edge_threshold, s.step_nm)
    assert np.nanmax(np.abs(cd - s.cd)) < 0.05
    # One constant threshold cannot: the judge sees a real error.
    const = RL.score_thresholds(s, np.tile(s.edge_threshold.mean(0), (len(s), 1)))
    assert const["cd_rmse_nm"] > 0.05
    assert 0.05 < s.threshold.mean() < 0.3


def test_k_center_and_select():
    emb = np.array([[0.0, 0], [0.1, 0], [10, 0], [10, 0.1], [0, 10], [5, 5]])
    picked = active.k_center(emb, np.arange(6), np.array([0]), 2)
    assert set(picked) <= {2, 3, 4} and len(set(picked)) == 2  # far from the labelled point, not near-duplicates
    rng = np.random.default_rng(0)
    unc = np.array([0.0, 0.0, 1.0, 0.9, 0.8, 0.1])
    got = active.select("active", 2, np.array([0]), 6, rng, uncertainty=unc, embeddings=emb, oversample=2)
    assert set(got) <= {2, 3, 4, 5} and 0 not in got
    assert set(active.select("random", 5, np.array([0]), 6, rng)) == {1, 2, 3, 4, 5}


def _one_line_error(res):
    assert res.code == 2, (res.stdout, res.stderr)
    lines = [line for line in res.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in res.stderr, res.stderr


def test_train_predict_end_to_end(cli, tiny_sets, iccad13_dir, tmp_path):
    from tests.conftest import load_strict_json

    out = tmp_path / "model"
    res = cli("litho", "train", "--source", tiny_sets / "old", "--target", tiny_sets / "new", "--test",
              tiny_sets / "test", "--budget", "12", "--select", "active", "--steps", "4", "--pretrain-steps", "4",
              "--rounds", "2", "--workers", "1", "--out", out, "--json", "--quiet")
    assert res.code == 0, res.stderr
    s = json.loads(res.stdout)
    assert s["transfer"] and s["labelled"] == 12 and s["metrics"]["cd_rmse_nm"] is not None
    # --prior cv (the default): the prior's strength, or scratch, was chosen on the labels, and said so.
    prior = s["metrics"]["prior"]
    assert prior["folds"] >= 2 and set(prior["cv_cd_rmse_nm"]) == {"scratch", "l2sp=0", "l2sp=1", "l2sp=10", "l2sp=100"}
    assert prior["choice"] is None or f"l2sp={prior['choice']:g}" in prior["cv_cd_rmse_nm"]
    assert len(set(json.loads((out / "labelled.json").read_text()))) == 12
    pred = tmp_path / "pred"
    clip = iccad13_dir / "layouts" / "StdContact" / "AND2_X4__0_0.glp"
    res = cli("litho", "predict", clip, "--model", out, "--out", pred, "--workers", "1", "--quiet")
    assert res.code == 0, res.stderr
    p = load_strict_json((pred / "summary.json").read_text())
    assert p["contacts"] == 26 and p["prediction_s"] > 0 and p["speedup_vs_resist_sim"] > 0
    assert p["cd_rmse_vs_sim_nm"] is not None and 0 <= p["iou_vs_sim"] <= 1 and p["ground_truth"] == "film"
    layout = kdb.Layout()
    layout.read(str(pred / "contours.gds"))
    region = kdb.Region(layout.top_cell().begin_shapes_rec(layout.layer(1, 0)))
    assert region.count() >= 20 and region.area() > 0
    rows = (pred / "cd.csv").read_text().splitlines()
    assert rows[0].startswith("x,y,cd_x_pred") and len(rows) == 27
    assert (pred / "overlay.png").stat().st_size > 1000

    # A model trained for the new node refuses another node or pixel: one line, exit 2, nothing written.
    bad = tmp_path / "bad"
    for args in (["--preset", "old"], ["--pixel", "4"]):
        res = cli("litho", "predict", clip, "--model", out, "--out", bad, "--quiet", *args)
        _one_line_error(res)
        assert not bad.exists()


def test_fcn_trains_and_scores_iou(cli, tiny_sets, tmp_path):
    out = tmp_path / "fcn"
    res = cli("litho", "train", "--target", tiny_sets / "new", "--model", "fcn", "--budget", "3", "--select",
              "random", "--steps", "3", "--workers", "1", "--out", out, "--json", "--quiet")
    assert res.code == 0, res.stderr
    m = json.loads(res.stdout)["metrics"]
    assert m["clips"] == 3 and 0 <= m["iou_mean"] <= 1


@pytest.mark.parametrize("case", ["budget", "empty", "node", "select", "freeze", "missing", "prior"])
def test_train_bad_input(cli, tiny_sets, tmp_path, case):
    out = tmp_path / "out"
    base = ["--target", tiny_sets / "new", "--steps", "2", "--workers", "1", "--quiet", "--out", out]
    args = {"budget": ["--budget", "100000"], "empty": ["--budget", "0"],
            "node": ["--test", tiny_sets / "old", "--budget", "5"], "select": ["--select", "magic"],
            "freeze": ["--source", tiny_sets / "old", "--freeze", "everything", "--budget", "5"],
            "missing": ["--source", tmp_path / "nope", "--budget", "5"],
            "prior": ["--source", tiny_sets / "old", "--prior", "-1", "--budget", "5"]}[case]
    res = cli("litho", "train", *base, *args)
    _one_line_error(res)
    assert not out.exists()


def test_bench_litho_model_small(cli, tiny_sets, tmp_path):
    out = tmp_path / "bench"
    res = cli("bench", "litho-model", "--source", tiny_sets / "old", "--target", tiny_sets / "new", "--test",
              tiny_sets / "test", "--budgets", "6,12", "--seeds", "2", "--steps", "3", "--pretrain-steps", "3",
              "--rounds", "2", "--fcn-clips", "2", "--workers", "1", "--out", out, "--json", "--quiet")
    assert res.code == 0, res.stderr
    s = json.loads(res.stdout)
    assert set(s["curves"]) == {"scratch+random", "scratch+active", "transfer+random", "transfer+active"}
    for c in s["curves"].values():
        assert c["budgets"] == [6, 12] and len(c["cd_rmse_nm"]) == 2 and len(c["cd_rmse_std_nm"]) == 2
    assert s["speed"]["speedup_fcn"] > 0 and set(s["targets"]) == {
        "data_reduction_ge_10x", "cd_rmse_le_1nm", "iou_ge_0.95_stdcontact", "speed_ge_100x"}
    assert (out / "learning_curves.png").stat().st_size > 1000 and "transfer+active" in (out / "table.md").read_text()


def test_shipped_checkpoint_predicts_a_stdcontact_clip(cli, iccad13_dir, tmp_path):
    """A fresh clone predicts with the shipped model; it agrees with the lumped resist model."""
    out = tmp_path / "shipped"
    clip = iccad13_dir / "layouts" / "StdContact" / "AND2_X4__1_0.glp"
    res = cli("litho", "predict", clip, "--out", out, "--workers", "1", "--json", "--quiet")
    assert res.code == 0, res.stderr
    s = json.loads(res.stdout)
    assert s["kind"] == "threshold-cnn" and s["node"] == "new" and s["model"].endswith("threshold-new.pt")
    assert s["cd_rmse_vs_sim_nm"] < 1.5 and s["iou_vs_sim"] > 0.85


def test_reference_intensity_puts_both_nodes_on_one_scale(tiny_sets):
    """Clear-field intensities differ by node; in units of each node's sizing threshold (the
    aerial at an isolated contact's drawn edge, from the optics alone) the thresholds sit near 1."""
    new, old = CS.load(tiny_sets / "new"), CS.load(tiny_sets / "old")
    assert 0.10 < new.i_ref < 0.16 and old.i_ref > 1.2 * new.i_ref
    assert 0.9 < float(new.threshold.mean()) / new.i_ref < 1.05


def test_threshold_cnn_normalisation_and_fine_tune_options(tiny_sets):
    import torch

    from chipsmith.errors import InputError
    from chipsmith.lithography import threshold_cnn as T

    s = CS.load(tiny_sets / "new")
    cfg = T.ThresholdConfig(steps=3)
    m = T.fit(T.ThresholdCNN(), s.patches, s.edge_threshold, cfg, seed=0, i_ref=s.i_ref)
    assert float(m.in_scale) == pytest.approx(s.i_ref)
    # Intensity units are the node's: the same patches in units twice as bright give twice the threshold.
    x = torch.as_tensor(s.patches[:5])
    with torch.no_grad():
        y1 = m(x)
        m.in_scale.mul_(2)
        x2 = torch.cat([x[:, :1] * 2, x[:, 1:]], 1)
        assert torch.allclose(m(x2), 2 * y1, rtol=1e-5, atol=1e-6)
    # staged fine-tuning: the first block never moves; the head and the deeper blocks do.
    pre = T.ThresholdCNN()
    before = {k: v.clone() for k, v in pre.state_dict().items()}
    T.fit(pre, s.patches, s.edge_threshold, T.ThresholdConfig(steps=4, freeze="staged"), seed=0, finetune=True,
          i_ref=s.i_ref)
    after = pre.state_dict()
    assert torch.equal(before["features.0.0.weight"], after["features.0.0.weight"])
    assert not torch.equal(before["features.2.0.weight"], after["features.2.0.weight"])
    assert not torch.equal(before["head.3.weight"], after["head.3.weight"])
    # The label-scaled schedule: epochs over the labels, clamped.
    sc = T.ThresholdConfig(steps=800, schedule="scaled", epochs=100, min_steps=150, batch=64)
    assert T.train_steps_for(50, sc) == 150 and T.train_steps_for(320, sc) == 500 and T.train_steps_for(5000, sc) == 800
    with pytest.raises(InputError):
        T.train_steps_for(10, T.ThresholdConfig(schedule="sometimes"))
    with pytest.raises(InputError):
        RL.learn(s, 5, "active", cfg, seed=0, warmup=1.5)


def test_l2sp_prior_holds_fine_tuning_to_the_source(tiny_sets):
    import copy

    import torch

    from chipsmith.errors import InputError
    from chipsmith.lithography import threshold_cnn as T

    s = CS.load(tiny_sets / "new")
    src = T.fit(T.ThresholdCNN(), s.patches, s.edge_threshold, T.ThresholdConfig(steps=20), seed=0, i_ref=s.i_ref)

    def fine_tune(l2sp: float, refit: str = "none"):
        m = copy.deepcopy(src)
        w0 = {k: v.detach().clone() for k, v in m.named_parameters()}
        T.fit(m, s.patches[:12], s.edge_threshold[:12] * 1.05, T.ThresholdConfig(steps=30, l2sp=l2sp, refit=refit),
              seed=1, finetune=True, i_ref=s.i_ref)
        return sum(float(((p.detach() - w0[k]) ** 2).sum()) for k, p in m.named_parameters()), m

    free, m_free = fine_tune(0.0)
    held, _ = fine_tune(100.0)
    assert held < 0.1 * free
    # refit none keeps the source's output standardisation; both re-fits it on the labels.
    assert torch.equal(m_free.out_scale, src.out_scale) and torch.equal(m_free.out_offset, src.out_offset)
    _, m_both = fine_tune(0.0, "both")
    assert not torch.equal(m_both.out_offset, src.out_offset)
    with pytest.raises(InputError):
        fine_tune(0.0, "sometimes")


def test_residual_refit_corrects_the_source_level_and_keeps_its_shape(tiny_sets):
    import copy

    from chipsmith.lithography import threshold_cnn as T

    s = CS.load(tiny_sets / "new")
    y = s.edge_threshold
    wrong = T.fit(T.ThresholdCNN(), s.patches, y * 1.2, T.ThresholdConfig(steps=30), seed=0, i_ref=s.i_ref)
    before = T.predict(wrong, s.patches)
    assert before.mean() > 1.1 * y.mean()
    m = T.fit(copy.deepcopy(wrong), s.patches, y, T.ThresholdConfig(steps=1, finetune_lr=0.0, refit="residual"),
              seed=0, finetune=True, i_ref=s.i_ref)
    after = T.predict(m, s.patches)
    assert abs(after.mean() - y.mean()) < 1e-4 * y.mean()
    shift = after - before
    assert np.allclose(shift, shift.mean(), atol=1e-6)


def test_choose_prior_trusts_a_source_that_knows_the_target_and_not_one_that_does_not(tiny_sets):
    from chipsmith.lithography import threshold_cnn as T

    s = CS.load(tiny_sets / "new")
    idx = np.arange(len(s))
    cfg = T.ThresholdConfig(steps=15)
    long = T.ThresholdConfig(steps=120)
    # A source that has seen these very contacts, and one whose thresholds sit 20 % high (another resist).
    knows = T.fit(T.ThresholdCNN(), s.patches, s.edge_threshold, long, seed=0, i_ref=s.i_ref)
    wrong = T.fit(T.ThresholdCNN(), s.patches, s.edge_threshold * 1.2, long, seed=0, i_ref=s.i_ref)
    good = RL.choose_prior(s, idx, cfg, knows, seed=0)
    bad = RL.choose_prior(s, idx, cfg, wrong, seed=0)
    assert good["folds"] == 3 and bad["folds"] == 3
    assert good["choice"] is not None and good["choice"] >= 10, good
    assert bad["choice"] is None or bad["choice"] == 0.0, bad
    assert good["cv_cd_rmse_nm"]["l2sp=100"] < bad["cv_cd_rmse_nm"]["l2sp=100"]
    # One labelled clip: nothing to cross-validate on, the configured strength stays.
    one = idx[s.clip_of == s.clip_of[0]]
    assert RL.choose_prior(s, one, cfg, knows, seed=0) == {"choice": cfg.l2sp, "cv_cd_rmse_nm": {}, "folds": 0}


def test_active_warmup_share_is_random_then_selected(tiny_sets):
    from chipsmith.lithography import threshold_cnn as T

    s = CS.load(tiny_sets / "new")
    cfg = T.ThresholdConfig(steps=2)
    got = RL.learn(s, 12, "active", cfg, seed=3, rounds=2, warmup=0.5)
    rng_pick = np.random.default_rng(3).choice(len(s), size=6, replace=False)
    assert list(got.labelled[:6]) == list(rng_pick) and len(set(got.labelled)) == 12
    # oversample 0: every unlabelled sample is a k-center candidate (pure diversity).
    emb = np.array([[0.0, 0], [0.1, 0], [10, 0], [0, 10]])
    unc = np.array([0.0, 1.0, 0.0, 0.0])
    assert set(active.select("active", 2, np.array([0]), 4, np.random.default_rng(0), uncertainty=unc,
                             embeddings=emb, oversample=0)) == {2, 3}


def test_subpixel_iou_sees_a_sub_pixel_edge_shift():
    from chipsmith.lithography import resist_fcn as F

    # A printed half-plane whose edge sits at x = 10.1 px (truth) or 10.4 px (prediction): the
    # same pixels print (pixel IoU 1), the sub-pixel contours differ by 0.3 px.
    x = np.arange(32, dtype=np.float32)[None, None, :].repeat(32, 1)
    truth, pred = 1 + (10.1 - x) * 0.2, 1 + (10.4 - x) * 0.2
    assert F.iou(pred, truth)[0] == 1.0
    sub = F.iou_subpixel(pred, truth, factor=8)[0]
    assert (10.6 - 0.15) / (10.9 + 0.15) < sub < (10.6 + 0.15) / (10.9 - 0.15) and sub < 0.99


def test_patches_at_a_physical_pitch(tiny_sets):
    """``patch_nm`` samples every node's patches at one physical pitch: at the node's own pixel
    nothing changes; the old node (12 nm pixels) at 8 nm shows its contacts 1.5x wider, so the
    drawn contact covers ~2.25x the patch area."""
    old = CS.load(tiny_sets / "old")
    same = CS.load(tiny_sets / "old", patch_nm=old.pixel_nm)
    assert np.array_equal(same.patches, old.patches)
    fine = CS.load(tiny_sets / "old", patch_nm=8.0)
    assert fine.patches.shape == old.patches.shape
    area = fine.patches[:, 1].sum((1, 2)) / old.patches[:, 1].sum((1, 2))
    isolated = old.patches[:, 1].sum((1, 2)) <= np.median(old.patches[:, 1].sum((1, 2)))
    assert 1.6 < float(np.median(area[isolated])) < 2.6
    assert np.array_equal(fine.threshold, old.threshold) and np.array_equal(fine.profiles, old.profiles)
