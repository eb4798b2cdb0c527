"""Model shapes, that the graph branch is used, augmentation consistency, splits, checkpoints."""
from __future__ import annotations

import numpy as np
import pytest
import torch
from torch_geometric.data import Batch

from chipsmith.errors import InputError
from chipsmith.irdrop.features import MAP_CHANNELS
from chipsmith.irdrop.graph import build_pdn_graph
from chipsmith.irdrop.graph_dataset import CaseRef, split_cases
from chipsmith.irdrop.model_pdnnet import PDNNet
from chipsmith.irdrop.model_unet import UNetBaseline
from chipsmith.irdrop.training import TrainConfig, augment, load_checkpoint

from .conftest import small_config

S = 16


def _item(seed: int):
    from chipsmith.irdrop.generate import generate_pdn

    case = generate_pdn(small_config(), seed, dynamic=False)
    g = build_pdn_graph(case.pdn, shape_um=(40, 40), grid_size=S)
    rng = np.random.default_rng(seed)
    g.maps = torch.from_numpy(rng.random((1, len(MAP_CHANNELS), S, S)).astype(np.float32))
    g.target = torch.zeros(1, 2, S, S)
    g.has_target = torch.tensor([[1.0, 0.0]])
    return g


@pytest.fixture(scope="module")
def batch():
    return Batch.from_data_list([_item(1), _item(2)])


def test_output_shapes(batch):
    torch.manual_seed(0)
    assert PDNNet(hidden=8, gnn_layers=2, base=4, depth=2)(batch).shape == (2, 2, S, S)
    assert UNetBaseline(base=4, depth=2)(batch).shape == (2, 1, S, S)


def test_graph_branch_is_used(batch):
    torch.manual_seed(0)
    model = PDNNet(hidden=8, gnn_layers=2, base=4, depth=2).eval()
    with torch.no_grad():
        a = model(batch)
        other = batch.clone()
        other["node", "wire", "node"].edge_attr = other["node", "wire", "node"].edge_attr * 0 + 3.0
        other["node"].x = other["node"].x.clone()
        other["node"].x[:, 6] *= 5  # five times the load at every node, maps unchanged
        b = model(other)
    assert not torch.allclose(a, b)


def test_augment_moves_graph_and_maps_together(batch):
    """Pooling the node grid after augmenting equals augmenting the pooled grid."""
    torch.manual_seed(0)
    model = PDNNet(hidden=8, gnn_layers=0, base=4, depth=2).eval()
    with torch.no_grad():
        ref = model.grid(batch, batch["node"].x[:, :8].repeat(1, 1), 2, S)
        gen = torch.Generator().manual_seed(3)
        for _ in range(6):
            state = gen.get_state()
            flip_x, flip_y, swap = (torch.rand(3, generator=gen) < 0.5).tolist()
            gen.set_state(state)
            aug = augment(batch.clone(), gen)
            got = model.grid(aug, torch.ones(aug["node"].num_nodes, 8), 2, S)[:, -1]  # occupancy
            want = model.grid(batch, torch.ones(batch["node"].num_nodes, 8), 2, S)[:, -1]
            if flip_x:
                want = want.flip(-2)
            if flip_y:
                want = want.flip(-1)
            if swap:
                want = want.transpose(-1, -2)
            assert torch.equal(got, want)
            m = batch.maps
            if flip_x:
                m = m.flip(-2)
            if flip_y:
                m = m.flip(-1)
            if swap:
                m = m.transpose(-1, -2)[:, [0, 1, 2, 3, 5, 4]]
            assert torch.equal(aug.maps, m)
    assert ref.shape == (2, 9, S, S)


def test_split_by_design_is_seeded_and_disjoint():
    refs = [CaseRef(name=f"root/real/testcase{i}", group="real", netlist="x", ir_drop="y") for i in (1, 2, 11, 12)]
    refs += [CaseRef(name=f"gen/case{i:04d}", group="generated", netlist="x", ir_drop="y") for i in range(30)]
    a = split_cases(refs, seed=4)
    assert a == split_cases(refs, seed=4) and a != split_cases(refs, seed=5)
    names = {k: {refs[i].name for i in v} for k, v in a.items()}
    assert {"root/real/testcase2", "root/real/testcase12"} <= names["test"]
    assert not (names["train"] & names["val"] or names["train"] & names["test"] or names["val"] & names["test"])
    assert sum(len(v) for v in a.values()) == len(refs)


def test_bad_checkpoints(tmp_path):
    f = tmp_path / "model.pt"
    f.write_text("not a checkpoint")
    with pytest.raises(InputError, match="cannot read checkpoint"):
        load_checkpoint(tmp_path)
    torch.save({"format": "something-else"}, f)
    with pytest.raises(InputError, match="not a chipsmith IR-drop checkpoint"):
        load_checkpoint(f)
    good = {"format": "chipsmith.irdrop.model", "version": 1, "feature_version": 1, "model": "unet",
            "config": {"model": "unet", "size": 16, "depth": 2, "base": 4}, "target_scale": 1.0,
            "data_version": "x", "state_dict": UNetBaseline(base=4, depth=2).state_dict()}
    torch.save(good, f)
    assert load_checkpoint(f).name == "unet"
    with pytest.raises(InputError, match="holds a 'unet' model, not 'pdnnet'"):
        load_checkpoint(f, expect_model="pdnnet")
    torch.save({**good, "version": 99}, f)
    with pytest.raises(InputError, match="checkpoint version 99"):
        load_checkpoint(f)
    torch.save({**good, "config": {**good["config"], "base": 8}}, f)
    with pytest.raises(InputError, match="weights do not fit"):
        load_checkpoint(f)
    with pytest.raises(InputError, match="no model checkpoint"):
        load_checkpoint(tmp_path / "nowhere")
    with pytest.raises(InputError, match="not divisible"):
        TrainConfig(size=30, depth=3)


def test_transform_round_trip_and_tta_is_equivariant(batch):
    """Each of the 8 symmetries is undone by untransform_output, and the TTA prediction of a
    transformed case is the transformed TTA prediction (so graph and maps moved together)."""
    from types import SimpleNamespace

    from chipsmith.irdrop.inference import predict_item
    from chipsmith.irdrop.training import DIHEDRAL, transform, untransform_output

    item = _item(1)
    item.total_current = torch.tensor([1.0], dtype=torch.float64)
    item.native_shape = torch.tensor([[S, S]])
    for t in DIHEDRAL:
        assert torch.equal(untransform_output(transform(item.clone(), *t).maps, *t)[:, :4], item.maps[:, :4])
    torch.manual_seed(0)
    model = PDNNet(hidden=8, gnn_layers=2, base=4, depth=2).eval()
    loaded = SimpleNamespace(model=model, target_scale=1.0, config=SimpleNamespace(tta=True))
    base = predict_item(loaded, item)
    plain = predict_item(loaded, item, tta=False)
    assert not np.allclose(base.static, plain.static)  # the untrained model is not symmetric by itself
    for t in DIHEDRAL[1:]:
        moved = predict_item(loaded, transform(item.clone(), *t))
        want = untransform_output(torch.from_numpy(moved.static)[None, None], *t)[0, 0].numpy()
        np.testing.assert_allclose(want, base.static, rtol=1e-4, atol=1e-6)


def test_real_designs_not_held_out_always_train():
    refs = [CaseRef(name=f"root/real/testcase{i}", group="real", netlist="x", ir_drop="y") for i in (1, 2, 11, 12)]
    refs += [CaseRef(name=f"gen/case{i:04d}", group="generated", netlist="x", ir_drop="y") for i in range(30)]
    for seed in range(8):
        names = {k: {refs[i].name for i in v} for k, v in split_cases(refs, seed=seed).items()}
        assert {"root/real/testcase1", "root/real/testcase11"} <= names["train"]
        assert {"root/real/testcase2", "root/real/testcase12"} <= names["test"]


def test_hotspot_weight_and_contest_sampling():
    from types import SimpleNamespace

    from chipsmith.irdrop.training import _loss, case_weights

    tgt = torch.zeros(1, 2, 4, 4)
    tgt[0, 0, 0, 0] = 1.0  # the only hotspot pixel
    b = SimpleNamespace(target=tgt, has_target=torch.tensor([[1.0, 0.0]]))
    miss_hot, miss_cold = torch.zeros(1, 1, 4, 4), tgt[:, :1].clone()
    miss_cold[0, 0, 3, 3] = 1.0
    # the same L1 error costs more on the hotspot once it is weighted, and the same without
    assert _loss(miss_hot, b, 1.0) == pytest.approx(float(_loss(miss_cold, b, 1.0)))
    assert float(_loss(miss_hot, b, 1.0, 3.0)) > 1.5 * float(_loss(miss_cold, b, 1.0, 3.0))
    ds = SimpleNamespace(refs=[SimpleNamespace(group=g) for g in ("real", "synthetic", "generated", "generated")])
    assert case_weights(ds, [0, 1, 2, 3], 4.0) == [4.0, 4.0, 1.0, 1.0]
    assert case_weights(ds, [0, 1, 2, 3], 1.0) is None and case_weights(ds, [2, 3], 4.0) is None
