"""The physics prior (truncated Jacobi-PCG on the PDN) and the models that correct it."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from chipsmith.irdrop.generate import GeneratorConfig, generate_pdn
from chipsmith.irdrop.prior import pooled_map, prior_drop, prior_map, truncated_cg
from chipsmith.irdrop.static import solve_static


@pytest.fixture(scope="module")
def grid():
    return generate_pdn(GeneratorConfig(width_um=60.0, height_um=60.0, pad_pitch_um=20.0, pad_offset_um=10.0,
                                        tile_um=10.0), 5).pdn


def test_prior_converges_to_the_exact_drop_and_is_coarse_when_truncated(grid):
    exact = solve_static(grid).drop
    errs = {k: float(np.abs(prior_drop(grid, k).drop - exact).max()) for k in (4, 16, 64, 2000)}
    peak = float(exact.max())
    # few steps: a rough map; more steps: closer; many: the exact solve (CG on an SPD system)
    assert errs[4] > 0.1 * peak
    assert errs[64] < errs[16] < errs[4]
    assert errs[2000] < 1e-9 * max(peak, 1e-3) + 1e-12
    res = prior_drop(grid, 2000)
    assert res.relative_residual < 1e-8 and res.iterations == 2000
    pads = np.zeros(grid.n_nodes, bool)
    pads[grid.v_node] = True
    assert np.all(res.drop[pads] == 0)


def test_truncated_cg_matches_scipy_cg_step_for_step():
    """The torch loop is the textbook Jacobi-PCG: same iterate as scipy's after K steps."""
    import scipy.sparse as sp
    from scipy.sparse.linalg import cg

    rng = np.random.default_rng(0)
    n = 40
    B = sp.random(n, n, density=0.1, random_state=1)
    A = (B @ B.T + sp.diags(rng.uniform(1, 5, n))).tocsr()
    b = rng.normal(size=n)
    x, _ = truncated_cg(A, b, 7)
    ref, _ = cg(A, b, x0=np.zeros(n), maxiter=7, rtol=1e-30, M=sp.diags(1 / A.diagonal()))
    assert np.allclose(x, ref, rtol=1e-8, atol=1e-12)


@pytest.mark.gpu
def test_prior_on_gpu_matches_cpu(grid):
    a, b = prior_drop(grid, 32, "cpu").drop, prior_drop(grid, 32, "cuda").drop
    assert np.allclose(a, b, rtol=1e-9, atol=1e-15)


def test_prior_map_is_the_lowest_layer_drop_map(grid):
    from chipsmith.irdrop.maps import ir_drop_map

    m, res = prior_map(grid, (61, 61), 64)
    assert m.shape == (61, 61) and np.all(m >= 0)
    assert np.allclose(m, ir_drop_map(grid, res.drop, shape=(61, 61), method="linear"))
    assert set(res.seconds) == {"assemble", "iterate", "map"}


def test_pooled_map_is_close_to_linear_interpolation_and_bounded(grid):
    """The pooled map (scatter + normalised convolution) is a weighted mean of nearby m1
    nodes: inside their range, exact on a constant field, and near the Delaunay-linear map."""
    from chipsmith.irdrop.maps import ir_drop_map

    exact = solve_static(grid).drop
    m1 = grid.node_layer == grid.lowest_layer
    pool = pooled_map(grid, (61, 61), exact)
    lin = ir_drop_map(grid, exact, shape=(61, 61), method="linear")
    assert pool.shape == (61, 61) and np.all(np.isfinite(pool))
    assert exact[m1].min() - 1e-15 <= pool.min() and pool.max() <= exact[m1].max() + 1e-15
    assert np.abs(pool - lin).mean() < 0.05 * lin.mean()
    assert np.corrcoef(pool.ravel(), lin.ravel())[0, 1] > 0.99
    flat = pooled_map(grid, (61, 61), np.full(grid.n_nodes, 3e-3))
    assert np.allclose(flat, 3e-3, rtol=1e-12)
    # a map larger than the nodes' extent: pixels beyond the tent's reach copy the nearest filled one
    wide = pooled_map(grid, (90, 61), exact)
    assert np.all(np.isfinite(wide)) and np.allclose(wide[80:], wide[75][None], atol=1e-15)


def test_prior_map_pool_and_bad_method(grid):
    from chipsmith.errors import InputError
    from chipsmith.irdrop.training import make_config

    m, res = prior_map(grid, (61, 61), 32, method="pool")
    assert np.array_equal(m, pooled_map(grid, (61, 61), res.drop))
    with pytest.raises(InputError):
        prior_map(grid, (61, 61), 4, method="cubic")
    with pytest.raises(InputError):
        make_config("cpu", prior_iters=4, prior_map="nearest")
    assert make_config("gpu-prior128").prior_map == "pool" and make_config("gpu-prior").prior_map == "linear"


def test_prior_map_setting_changes_the_data_version(tmp_path):
    from chipsmith.irdrop.graph_dataset import CaseRef, data_version

    net = tmp_path / "n.sp"
    net.write_text("R1 n1_m1_0_0 n1_m1_2000_0 1\nV1 n1_m1_0_0 0 1.1\n")
    refs = [CaseRef(name="n", group="other", netlist=str(net), ir_drop=None)]
    base = data_version(refs, 16, 8)
    assert data_version(refs, 16, 8, 64) == data_version(refs, 16, 8, 64, "linear") != base
    assert data_version(refs, 16, 8, 64, "pool") != data_version(refs, 16, 8, 64)


@pytest.mark.parametrize("name", ["unet", "pdnnet"])
def test_model_with_prior_predicts_prior_plus_correction(name, tmp_path):
    """With its last layer zeroed, a prior model outputs exactly the prior (in output units);
    flips and transposes move the prior with the maps and the target."""
    from torch_geometric.data import Batch

    from chipsmith.irdrop.generate import write_netlist
    from chipsmith.irdrop.graph_dataset import CaseRef, build_item
    from chipsmith.irdrop.training import build_model, make_config, transform

    case = generate_pdn(GeneratorConfig(width_um=40.0, height_um=40.0, pad_pitch_um=20.0, pad_offset_um=10.0,
                                        tile_um=10.0), 2)
    net = tmp_path / "n.sp"
    write_netlist(case.pdn, net)
    ref = CaseRef(name="n", group="other", netlist=str(net), ir_drop=None)
    item = build_item(ref, 16, 8, prior_iters=16)
    assert item.prior.shape == (1, 1, 16, 16) and float(item.prior.max()) > 0
    assert not hasattr(build_item(ref, 16, 8), "prior")
    cfg = make_config("cpu", model=name, size=16, depth=2, prior_iters=16)
    model = build_model(cfg)
    model.prior.set_scale(0.5)
    head = model.net.head if name == "unet" else model.fuse.head
    torch.nn.init.zeros_(head.weight)
    torch.nn.init.zeros_(head.bias)
    batch = Batch.from_data_list([item])
    with torch.no_grad():
        out = model(batch)
    assert out.shape[1] == len(model.outputs)
    for c in range(out.shape[1]):
        assert torch.allclose(out[0, c], item.prior[0, 0] / 0.5)
    moved = transform(Batch.from_data_list([item]), True, False, True)
    assert torch.equal(moved.prior[0, 0], item.prior[0, 0].flip(0).T)


def test_train_eval_predict_with_prior_cli(cli, tmp_path):
    """--prior-iters end to end: the checkpoint records it, eval reports the prior alone beside
    the model, predict needs the netlist (feature maps alone: one-line error, exit 2)."""
    from chipsmith.irdrop import flows

    flows.generate(tmp_path / "d", count=4, seed=3, size_um="40:50", workers=1, quiet=True)
    out = tmp_path / "m"
    res = cli("irdrop", "train", "--data", tmp_path / "d", "--model", "unet", "--epochs", "1", "--size", "16",
              "--prior-iters", "16", "--test-case", "case0003", "--workers", "1", "--cache", tmp_path / "c", "--quiet", "--out", out)
    assert res.code in (0, None), res.stderr
    s = json.loads((out / "summary.json").read_text())
    assert s["config"]["prior_iters"] == 16
    row = s["test_cases"][0]
    assert row["prior_mae_V"] > 0 and "prior_hotspot_f1" in row and row["mae_V"] > 0
    case = tmp_path / "d" / "case0001"
    res = cli("irdrop", "predict", case, "--model", out, "--out", tmp_path / "p", "--json")
    assert res.code == 0, res.stderr
    assert json.loads(res.stdout)["prior_iters"] == 16
    pred = np.load(tmp_path / "p" / "ir_drop_map.npy")
    assert np.all(np.isfinite(pred)) and pred.max() > 0
    res = cli("irdrop", "predict", tmp_path / "p" / "features.npz", "--model", out, "--out", tmp_path / "x")
    lines = [ln for ln in res.stderr.strip().splitlines() if ln.strip()]
    assert res.code == 2 and len(lines) == 1 and "physics prior" in lines[0], res.stderr
    assert not (tmp_path / "x").exists()
