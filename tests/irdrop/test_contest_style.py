"""Contest-style generated cases (m4 template per region, clustered loads) and the
fine-tuning phase of training (contest designs, selected on contest validation cases)."""
from __future__ import annotations

import json

import numpy as np
import pytest

from chipsmith.errors import InputError
from chipsmith.irdrop.generate import GeneratorConfig, generate_pdn, random_config
from chipsmith.irdrop.static import solve_static


def _contest_config(seed: int, size=(90.0, 120.0)) -> GeneratorConfig:
    return random_config(np.random.default_rng(seed), size_um=size, style="contest")


def test_contest_style_varies_m4_template_by_region_and_solves():
    cfg = _contest_config(3, size=(200.0, 260.0))
    rx, ry = cfg.region_grid
    assert rx * ry == len(cfg.region_mults) and rx * ry > 1 and cfg.load_style == "clustered"
    assert cfg.layers[1].pitch_um == 14.0
    case = generate_pdn(cfg, 3)
    full = generate_pdn(GeneratorConfig(**{**cfg.__dict__, "region_mults": (), "region_grid": (1, 1)}), 3)
    m4 = lambda pdn: int(np.sum(pdn.node_layer == 4))  # noqa: E731
    assert m4(case.pdn) < m4(full.pdn)  # straps left out where a region's multiple is > 1
    # strap k of the 14 um grid is present in a region iff k is a multiple of its pitch multiple
    on = case.pdn.node_layer == 4
    x, y = case.pdn.node_x[on] / 2000, case.pdn.node_y[on] / 2000
    k = np.round((x - 2.0) / 14.0).astype(int)
    ix = np.clip((x / cfg.width_um * rx).astype(int), 0, rx - 1)
    iy = np.clip((y / cfg.height_um * ry).astype(int), 0, ry - 1)
    assert np.all(k % np.asarray(cfg.region_mults)[ix * ry + iy] == 0)
    # still one connected grid (the solver raises on floating islands) with a positive drop
    sol = solve_static(case.pdn)
    assert np.all(np.isfinite(sol.drop)) and sol.drop.max() > 0
    # the total current is kept and the loads are clustered: far more uneven than the smooth style
    assert case.pdn.i_amp.sum() == pytest.approx(cfg.current_density * cfg.width_um * cfg.height_um, rel=1e-6)
    smooth = generate_pdn(random_config(np.random.default_rng(3), size_um=(200.0, 260.0)), 3)
    cv = lambda a: float(a.std() / a.mean())  # noqa: E731
    assert cv(case.pdn.i_amp) > 1.3 * cv(smooth.pdn.i_amp)


def test_styles_are_seeded_and_uniform_is_the_default():
    a, b = _contest_config(5), _contest_config(5)
    assert a == b and a != _contest_config(6)
    rng1, rng2 = np.random.default_rng(9), np.random.default_rng(9)
    assert random_config(rng1) == random_config(rng2, style="uniform")
    assert random_config(np.random.default_rng(9)).region_mults == ()
    styles = {bool(random_config(np.random.default_rng(s), style="mixed").region_mults) for s in range(12)}
    assert styles == {True, False}
    with pytest.raises(InputError, match="style"):
        random_config(np.random.default_rng(0), style="fancy")
    with pytest.raises(InputError, match="region_mults"):
        GeneratorConfig(region_grid=(2, 2), region_mults=(1, 2))


def test_generate_contest_style_dataset(tmp_path):
    from chipsmith.irdrop import flows

    s = flows.generate(tmp_path / "g", count=2, seed=4, size_um="60:80", workers=1, quiet=True, style="contest")
    assert s["style"] == "contest"
    cfg = json.loads((tmp_path / "g" / "case0000" / "case.json").read_text())["config"]
    assert cfg["load_style"] == "clustered" and cfg["region_mults"]
    with pytest.raises(InputError, match="--style"):
        flows.generate(tmp_path / "h", count=1, seed=4, workers=1, quiet=True, style="nope")
    assert not (tmp_path / "h").exists()


@pytest.fixture(scope="module")
def contest_like(tmp_path_factory):
    """4 'synthetic' (contest group) + 4 generated small cases, featurised at S = 32."""
    from chipsmith.irdrop import flows

    root = tmp_path_factory.mktemp("cs")
    flows.generate(root / "d" / "synthetic", count=4, seed=7, size_um="40:60", workers=1, quiet=True,
                   style="contest")
    flows.generate(root / "d" / "gen", count=4, seed=8, size_um="40:60", workers=1, quiet=True)
    return flows.load_dataset([str(root / "d")], size=32, n_slices=8, cache=root / "cache", workers=1, quiet=True)


def test_finetune_phase_keeps_the_best_contest_validation_weights(contest_like):
    import torch

    from chipsmith.irdrop.graph_dataset import split_cases
    from chipsmith.irdrop.training import _evaluate_loss, fit, make_config

    ds = contest_like
    assert sorted({r.group for r in ds.refs}) == ["generated", "synthetic"]
    cfg = make_config("cpu", model="unet", epochs=2, finetune_fraction=0.5, contest_val=1, test_cases=(),
                      test_fraction=0.0, val_fraction=0.0)
    splits = split_cases(ds.refs, test_cases=(), val_fraction=0.0, test_fraction=0.0, seed=0, contest_val=1)
    val = [i for i in splits["val"] if ds.refs[i].group == "synthetic"]  # what fine-tuning selects on
    assert len(val) >= 1 and not set(splits["val"]) & set(splits["train"])
    res = fit(ds, splits, cfg)
    phases = [h.get("phase", "train") for h in res.history]
    assert phases == ["train", "finetune"]
    start, kept = res.finetune_val
    assert kept <= start
    now = _evaluate_loss(res.model, ds.index_select(val), cfg, res.target_scale, "cpu")
    assert now == pytest.approx(kept, rel=1e-5)
    # the same seed without the phase is the phase's starting point: the weights kept differ
    # from it exactly when fine-tuning lowered the contest validation loss
    plain = fit(ds, splits, make_config("cpu", model="unet", epochs=1, test_cases=(), test_fraction=0.0,
                                        val_fraction=0.0))
    same = all(torch.equal(a, b) for a, b in zip(plain.model.state_dict().values(), res.model.state_dict().values()))
    assert plain.finetune_val is None and same == (kept == start)


def test_finetune_from_a_checkpoint(contest_like, tmp_path):
    """flows.train(init=...) starts from a checkpoint's weights and scale and keeps its architecture."""
    from chipsmith.irdrop import flows
    from chipsmith.irdrop.training import load_checkpoint

    from pathlib import Path

    data = [str(p) for p in {r.netlist.rsplit("/", 3)[0] for r in contest_like.refs}]
    cache = Path(data[0]).parent / "cache"  # the fixture's: featurised once
    base = flows.train(data, tmp_path / "a", model="unet", preset="cpu", epochs=1, test_cases=(), cache=cache,
                       workers=1, device="cpu", evaluate_test=False, quiet=True)
    ft = flows.train(data, tmp_path / "b", model="unet", preset="cpu", epochs=1, test_cases=(), cache=cache,
                     workers=1, device="cpu", evaluate_test=False, quiet=True, init=tmp_path / "a",
                     finetune_fraction=1.0)
    assert ft["init"].endswith("model.pt") and ft["target_scale_V_per_A"] == base["target_scale_V_per_A"]
    assert ft["finetune"]["contest_val_loss_kept"] <= ft["finetune"]["contest_val_loss_start"]
    assert load_checkpoint(tmp_path / "b").config.finetune_fraction == 1.0
    with pytest.raises(InputError, match="pdnnet"):
        flows.train(data, tmp_path / "x", model="pdnnet", preset="cpu", epochs=1, test_cases=(), cache=cache,
                    workers=1, device="cpu", evaluate_test=False, quiet=True, init=tmp_path / "a")
