"""Depth-resolved film resist (resist_film.py): analytic limits, physics trends, presets, bad input."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import torch

from chipsmith.errors import LithoError
from chipsmith.lithography import resist_film as RF
from chipsmith.lithography.contours import measure_contacts
from chipsmith.lithography.layout_io import rasterize, rect
from chipsmith.lithography.presets import get_preset


@pytest.fixture(scope="module")
def small_new():
    """The new node on a 512 nm clip (64 px): the same physics, a quarter of the work."""
    return replace(get_preset("new"), clip_nm=512.0)


def _contacts(p, centres):
    c = p.contact_nm
    return [rect(x - c / 2, y - c / 2, x + c / 2, y + c / 2) for x, y in centres]


def _cd(img, box, p):
    m = measure_contacts(np.asarray(img), 1.0, [box], (0, 0, p.clip_nm, p.clip_nm), p.pixel_nm)[0]
    return m.cd_x if m.printed else 0.0


def test_front_through_uniform_resist_is_exact():
    """Uniform rate r: the front is a plane, arriving at each layer centre at depth / r."""
    rate = torch.full((1, 6, 8, 8), 4.0)
    t = RF.develop(rate, 8.0, 10.0, sweeps=10)
    expect = (np.arange(6) + 0.5) * 10.0 / 4.0
    assert np.allclose(t[0, :, 3, 3].numpy(), expect, rtol=1e-5)


def test_front_goes_round_a_slow_block():
    """A slow block under a fast column: the front reaches below it sideways, later than straight down."""
    rate = torch.full((1, 8, 16, 16), 10.0)
    rate[:, 2:5, 6:10, 6:10] = 1e-3  # an unexposed inclusion
    t = RF.develop(rate, 8.0, 8.0, sweeps=40)[0]
    straight = (5 + 0.5) * 8.0 / 10.0
    assert t[5, 8, 8] > straight * 1.1  # detour round the block
    assert t[5, 8, 8] < 1e3            # ... but it does get there
    assert abs(float(t[5, 0, 0]) - straight) < 1e-4


def test_vertical_diffusion_conserves_and_smooths():
    op = RF._z_diffusion(8, 12.5, 50.0)
    assert np.allclose(op.sum(axis=0), 1.0) and np.allclose(op, op.T) and (op >= -1e-12).all()
    spike = np.zeros(8)
    spike[0] = 1.0
    out = op @ spike
    assert out[0] < 1 and out[1] > 0 and abs(out.sum() - 1) < 1e-12


def test_standing_wave_limits(small_new):
    film, chem = small_new.film, small_new.chem
    flat = RF.standing_wave(replace(film, absorption_per_um=0.0, substrate_reflectance=0.0), chem, 193.0)
    assert np.allclose(flat, 1.0)
    absorbing = RF.standing_wave(replace(film, substrate_reflectance=0.0), chem, 193.0)
    assert np.all(np.diff(absorbing) < 0)  # Beer-Lambert decay with depth
    wavy = RF.standing_wave(replace(film, substrate_reflectance=0.3), chem, 193.0)
    assert np.ptp(wavy) > 0.5  # standing waves of period lambda / 2n
    w = RF.interp_weights(film, chem)
    assert w.shape == (film.layers, film.focal_planes) and np.allclose(w.sum(1), 1.0)


def test_physics_trends(small_new):
    p = small_new
    mid = p.clip_nm / 2
    iso = _contacts(p, [(mid, mid)])
    win = (0, 0, p.clip_nm, p.clip_nm)
    mask = rasterize(iso, win, p.pixel_nm)
    ks = RF.film_kernels(p)
    cds = [_cd(RF.film_resist(mask, p, kernels=ks, dose=d), iso[0], p) for d in (0.9, 1.0, 1.15)]
    assert cds[0] < cds[1] < cds[2]  # more dose, wider hole
    # The hole is wider at the top of the film than at the bottom (the front starts at the top).
    top = RF.film_resist(mask, replace(p, film=replace(p.film, cd_depth=0.0)), kernels=ks)
    assert _cd(top, iso[0], p) > cds[1]
    # Four neighbours at the minimum pitch change the centre contact's CD (proximity).
    pitch = p.min_pitch_nm
    dense = _contacts(p, [(mid, mid), (mid - pitch, mid), (mid + pitch, mid), (mid, mid - pitch), (mid, mid + pitch)])
    img = RF.film_resist(rasterize(dense, win, p.pixel_nm), p, kernels=ks)
    assert abs(_cd(img, dense[0], p) - cds[1]) > 0.3
    with pytest.raises(LithoError, match="dose must be > 0"):
        RF.film_resist(mask, p, kernels=ks, dose=0.0)


@pytest.mark.slow
def test_preset_doses_print_isolated_contacts_to_size():
    for name in ("new", "old"):
        p = get_preset(name)
        mid = p.clip_nm / 2
        iso = _contacts(p, [(mid, mid)])
        img = RF.film_resist(rasterize(iso, (0, 0, p.clip_nm, p.clip_nm), p.pixel_nm), p)
        assert abs(_cd(img, iso[0], p) - p.contact_nm) < 1.5, name


@pytest.mark.parametrize("bad, match", [({"layers": 1}, "layers"), ({"focal_planes": 0}, "focal_planes"),
                                        ({"substrate_reflectance": 1.0}, "reflectance"), ({"cd_depth": 2.0}, "cd_depth"),
                                        ({"dose_mj_cm2": -1.0}, "dose_mj_cm2")])
def test_bad_film_parameters(bad, match):
    with pytest.raises(LithoError, match=match):
        RF.FilmResist(**bad)


def test_generate_resist_choice(cli, tmp_path):
    """`litho generate --resist`: the index says which ground truth; an unknown one is a one-line error."""
    import json

    for r in ("film", "lumped"):
        res = cli("litho", "generate", "--node", "new", "--count", "1", "--seed", "3", "--mix", "dense=1",
                  "--resist", r, "--workers", "1", "--quiet", "--out", tmp_path / r)
        assert res.code == 0, res.stderr
        idx = json.loads((tmp_path / r / "index.json").read_text())
        assert idx["resist"] == r and ("3-D" in idx["resist_model"]) == (r == "film")
    from chipsmith.lithography.dataset import ContactDataset

    a, b = (ContactDataset.open(tmp_path / r).shard(0) for r in ("film", "lumped"))
    assert np.array_equal(a["aerial"], b["aerial"]) and not np.array_equal(a["resist"], b["resist"])
    res = cli("litho", "generate", "--count", "1", "--resist", "rigorous", "--quiet", "--out", tmp_path / "bad")
    assert res.code == 2 and "unknown --resist" in res.stderr and not (tmp_path / "bad").exists()


def test_simulate_with_the_film_resist(cli, tmp_path):
    """`litho simulate --resist film`: a contact prints near size at the bottom; --kernels is refused."""
    import gdstk

    lib = gdstk.Library(unit=1e-9, precision=1e-10)
    lib.new_cell("TOP").add(gdstk.rectangle((400, 400), (465, 465), layer=5))
    gds = tmp_path / "one.gds"
    lib.write_gds(str(gds))
    res = cli("litho", "simulate", gds, "--resist", "film", "--workers", "1", "--out", tmp_path / "sim", "--json",
              "--quiet")
    assert res.code == 0, res.stderr
    import json

    s = json.loads(res.stdout)
    assert s["resist"] == "film" and s["level"] == 1.0 and s["cd"]["printed"] == 1
    assert abs(s["cd"]["cd_x_mean_nm"] - 65.0) < 3.0
    res = cli("litho", "simulate", gds, "--resist", "film", "--kernels", "iccad13", "--quiet", "--out", tmp_path / "b")
    assert res.code == 2 and "film resist model" in res.stderr and not (tmp_path / "b").exists()
