"""End to end through the CLI: generate -> train (pdnnet, unet) -> eval -> predict; the shipped
checkpoint on a held-out real case; bad inputs exit 2 with one line and write nothing."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from .conftest import TINY


def _one_line_error(res):
    lines = [l for l in res.stderr.strip().splitlines() if l.strip()]
    assert res.code == 2, (res.code, res.stderr)
    assert len(lines) == 1 and "Traceback" not in res.stderr, res.stderr
    return lines[0]


@pytest.fixture(scope="module")
def cases(tmp_path_factory):
    """6 static + 3 dynamic small generated cases (exact labels)."""
    from chipsmith.irdrop import flows

    root = tmp_path_factory.mktemp("cases")
    flows.generate(root / "static", count=6, seed=1, size_um="40:60", workers=1, quiet=True)
    flows.generate(root / "dyn", count=3, dynamic=True, seed=2, size_um="40:60", workers=1, quiet=True)
    return root


@pytest.fixture(scope="module")
def trained(cases, tmp_path_factory):
    from chipsmith.cli import main

    out = tmp_path_factory.mktemp("train") / "pdnnet"
    code = main(["irdrop", "train", "--data", str(cases / "static"), "--data", str(cases / "dyn"), "--model", "pdnnet",
                 "--epochs", "2", "--size", "32", "--workers", "1", "--cache", str(out.parent / "cache"), "--quiet",
                 "--out", str(out)])
    assert code in (0, None)
    return out


def test_train_writes_checkpoint_with_config_and_data_version(trained):
    s = json.loads((trained / "summary.json").read_text())
    assert s["model"] == "pdnnet" and s["splits"]["train"] >= 6 and s["epochs_run"] == 2
    assert set(s["files"]) == {"model.pt", "history.csv", "test_metrics.csv", "summary.json"}
    ckpt = torch.load(trained / "model.pt", weights_only=False)
    assert ckpt["config"]["size"] == 32 and ckpt["data_version"] == s["data_version"]
    assert set(ckpt["splits"]) == {"train", "val", "test"}
    t = s["test"]["all"]
    assert t["cases"] == s["splits"]["test"] and 0 < t["mean_mae_V"] < 0.05
    assert "median_exact_over_forward" in t


def test_eval_and_predict(cli, trained, cases, tmp_path):
    res = cli("irdrop", "eval", "--model", trained, "--data", cases / "dyn", "--split", "all", "--workers", "1",
              "--cache", trained.parent / "cache", "--no-timing", "--out", tmp_path / "ev", "--json")
    assert res.code == 0, res.stderr
    s = json.loads(res.stdout)
    assert s["summary"]["all"]["cases"] == 3 and s["data_version"] != s["checkpoint_data_version"]
    dyn = [r for r in s["cases"] if r["group"] == "generated" and "dynamic_mae_V" in r]
    assert len(dyn) == 3  # the dual-branch model is also scored on worst-case dynamic maps
    case = cases / "dyn" / "case0001"
    res = cli("irdrop", "predict", case, "--model", trained, "--out", tmp_path / "p", "--json")
    assert res.code == 0, res.stderr
    p = json.loads(res.stdout)
    m = np.load(tmp_path / "p" / "ir_drop_map.npy")
    golden = np.loadtxt(case / "ir_drop_map.csv", delimiter=",")
    assert m.shape == golden.shape and np.all(m >= 0)
    assert p["currents"] == "tile waveforms" and "dynamic_ir_drop_map.npy" in p["files"]
    assert (tmp_path / "p" / "ir_drop_map.png").read_bytes()[:4] == b"\x89PNG"


def test_same_seed_same_weights(cases, tmp_path):
    from chipsmith.irdrop import flows

    kw = dict(model="unet", epochs=1, size=32, workers=1, cache=tmp_path / "c", evaluate_test=False, quiet=True,
              limit=3)
    flows.train([str(cases / "static")], tmp_path / "a", seed=3, **kw)
    flows.train([str(cases / "static")], tmp_path / "b", seed=3, **kw)
    flows.train([str(cases / "static")], tmp_path / "c2", seed=4, **kw)
    a, b, c = (torch.load(tmp_path / d / "model.pt", weights_only=False)["state_dict"] for d in ("a", "b", "c2"))
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not all(torch.equal(a[k], c[k]) for k in a)


@pytest.mark.slow  # the notebook test runs the shipped checkpoint in the default run
def test_shipped_checkpoint_on_held_out_real_case(cli, iccad23_dir, tmp_path):
    """The shipped PDNNet reproduces its recorded held-out figure on real testcase12."""
    case = iccad23_dir / "real" / "testcase12"
    res = cli("irdrop", "predict", case, "--out", tmp_path / "p", "--device", "cpu", "--json")
    assert res.code == 0, res.stderr
    s = json.loads(res.stdout)
    assert s["model"] == "pdnnet" and "real/testcase12" not in " ".join(
        torch.load(s["checkpoint"], weights_only=False)["splits"]["train"])
    golden = np.loadtxt(case / "ir_drop_map.csv.gz", delimiter=",")
    mae = float(np.abs(np.load(tmp_path / "p" / "ir_drop_map.npy") - golden).mean())
    assert mae == pytest.approx(4.150e-5, rel=0.05)  # recorded on the GPU run (docs/irdrop.md, run 7)
    assert s["prior_iters"] == 128  # the shipped checkpoint corrects the physics prior
    # the features that run wrote, with no netlist: the maps-only U-Net (run 7's baseline arm)
    res = cli("irdrop", "predict", tmp_path / "p" / "features.npz", "--out", tmp_path / "m", "--device", "cpu")
    assert res.code == 0, res.stderr
    mae = float(np.abs(np.load(tmp_path / "m" / "ir_drop_map.npy") - golden).mean())
    assert mae == pytest.approx(4.782e-4, rel=0.05)  # recorded on the GPU run (unet_n, split a)


def test_bad_inputs_exit_2(cli, cases, trained, tmp_path):
    out = tmp_path / "o"
    f = tmp_path / "nopads.sp"
    f.write_text(TINY.replace("V0 n1_m4_8000_0 0 1.1", "*"))
    assert "no supply pads" in _one_line_error(cli("irdrop", "predict", f, "--model", trained, "--out", out))
    junk = tmp_path / "junk"
    junk.mkdir()
    (junk / "model.pt").write_bytes(b"not a checkpoint")
    assert "checkpoint" in _one_line_error(cli("irdrop", "predict", cases / "static" / "case0000", "--model", junk,
                                               "--out", out))
    assert "shipped model" in _one_line_error(cli("irdrop", "predict", f, "--model", "nosuchmodel", "--out", out))
    # a label with NaN, and a label of the wrong shape
    import shutil

    bad = tmp_path / "bad" / "case0000"
    shutil.copytree(cases / "static" / "case0000", bad)
    m = np.loadtxt(bad / "ir_drop_map.csv", delimiter=",")
    m[3, 4] = np.nan
    np.savetxt(bad / "ir_drop_map.csv", m, delimiter=",")
    line = _one_line_error(cli("irdrop", "train", "--data", bad.parent, "--epochs", "1", "--size", "32",
                               "--workers", "1", "--cache", tmp_path / "c", "--out", out))
    assert "NaN" in line and "ir_drop_map.csv" in line
    np.savetxt(bad / "ir_drop_map.csv", np.ones((5, 500)) * 1e-3, delimiter=",")
    line = _one_line_error(cli("irdrop", "train", "--data", bad.parent, "--epochs", "1", "--size", "32",
                               "--workers", "1", "--cache", tmp_path / "c2", "--out", out))
    assert "does not fit the netlist" in line
    assert "unknown model" in _one_line_error(cli("irdrop", "train", "--data", cases / "static", "--model", "gcn",
                                                  "--out", out))
    assert "neither a directory" in _one_line_error(cli("irdrop", "train", "--data", tmp_path / "nowhere",
                                                        "--out", out))
    assert not out.exists()


def test_predict_from_feature_maps_matches_netlist(cli, cases, tmp_path):
    """The U-Net reads the features.npz a netlist prediction wrote and gives the same map."""
    from chipsmith.irdrop import flows

    flows.train([str(cases / "static")], tmp_path / "u", model="unet", epochs=1, size=32, workers=1, limit=3,
                cache=tmp_path / "c", evaluate_test=False, quiet=True)
    case = cases / "static" / "case0002"
    assert cli("irdrop", "predict", case, "--model", tmp_path / "u", "--out", tmp_path / "a", "--quiet").code == 0
    feats = tmp_path / "a" / "features.npz"
    res = cli("irdrop", "predict", feats, "--model", tmp_path / "u", "--out", tmp_path / "b", "--json")
    assert res.code == 0, res.stderr
    assert json.loads(res.stdout)["currents"] == "feature maps"
    a, b = (np.load(tmp_path / d / "ir_drop_map.npy") for d in ("a", "b"))
    assert a.shape == b.shape and np.allclose(a, b, rtol=1e-5, atol=1e-9)
    # without --model, maps get the shipped U-Net trained on the contest maps alone (no prior)
    res = cli("irdrop", "predict", feats, "--out", tmp_path / "d", "--json")
    assert res.code == 0, res.stderr
    s = json.loads(res.stdout)
    assert Path(s["checkpoint"]).parent.name == "unet-maps" and s["prior_iters"] == 0
    d = np.load(tmp_path / "d" / "ir_drop_map.npy")
    assert d.shape == a.shape and np.all(np.isfinite(d)) and d.max() > 0
    # maps need the U-Net; NaN and a wrong channel count are one-line errors
    assert "needs the netlist" in _one_line_error(cli("irdrop", "predict", feats, "--model", "pdnnet",
                                                      "--out", tmp_path / "x"))
    z = dict(np.load(feats))
    z["maps"][0, 1, 1] = np.nan
    np.savez(tmp_path / "nan.npz", **z)
    assert "NaN" in _one_line_error(cli("irdrop", "predict", tmp_path / "nan.npz", "--model", tmp_path / "u",
                                        "--out", tmp_path / "x"))
    z["maps"] = z["maps"][:3]
    np.savez(tmp_path / "shape.npz", **z)
    assert "expected (4, nx, ny)" in _one_line_error(cli("irdrop", "predict", tmp_path / "shape.npz", "--model",
                                                         tmp_path / "u", "--out", tmp_path / "x"))
    assert not (tmp_path / "x").exists()


@pytest.mark.slow  # spawning two torch processes takes 10-40 s
@pytest.mark.timeout(300)
def test_cache_built_by_worker_processes_after_torch_ran(cases, tmp_path):
    """Building the cache in 2 processes after the parent ran torch ops (as eval does after
    loading a checkpoint) neither hangs nor changes the items."""
    from chipsmith.irdrop.graph_dataset import IRDropDataset, find_cases

    torch.nn.functional.interpolate(torch.rand(1, 4, 64, 64), size=(32, 32), mode="area")  # starts torch threads
    refs = find_cases(cases / "dyn")[:2]
    par = IRDropDataset(tmp_path / "par", refs, 16, workers=2)
    seq = IRDropDataset(tmp_path / "seq", refs, 16, workers=1)
    assert par.version == seq.version
    for i in range(2):
        assert torch.equal(par[i].maps, seq[i].maps) and torch.equal(par[i].target, seq[i].target)


@pytest.mark.slow  # two torch processes under torchrun
@pytest.mark.timeout(600)
def test_ddp_under_torchrun_on_cpu(cases, tmp_path):
    """`torchrun --nproc_per_node 2 -m chipsmith irdrop train` (gloo on CPU): rank 0 writes one
    checkpoint that loads, the summary records the world size."""
    import subprocess
    import sys

    out = tmp_path / "ddp"
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2", "-m", "chipsmith",
           "irdrop", "train", "--data", str(cases / "static"), "--model", "unet", "--epochs", "2", "--size", "32",
           "--workers", "1", "--device", "cpu", "--cache", str(tmp_path / "c"), "--no-eval", "--quiet",
           "--out", str(out)]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=580)
    assert res.returncode == 0, res.stderr[-3000:]
    s = json.loads((out / "summary.json").read_text())
    assert s["world_size"] == 2 and s["epochs_run"] == 2
    from chipsmith.irdrop.training import load_checkpoint

    assert load_checkpoint(out).name == "unet"
