"""Contours to GDS (read back with klayout.db) and CD/EPE measurement."""
from __future__ import annotations

import klayout.db as kdb
import numpy as np
import pytest

from chipsmith.lithography import contours as C
from chipsmith.lithography.layout_io import rasterize, rect
from chipsmith.lithography.presets import get_preset
from chipsmith.lithography.aerial import aerial_image
from chipsmith.lithography.resist import threshold_resist


def _printed_clip():
    p = get_preset("new")
    contacts = [rect(x, y, x + 65, y + 65) for x, y in ((300, 300), (430, 300), (300, 430), (700, 650))]
    win = (0.0, 0.0, p.clip_nm, p.clip_nm)
    mask = rasterize(contacts, win, p.pixel_nm)
    img = threshold_resist(aerial_image(mask, p.kernels(), p.pixel_nm), p.threshold, p.pixel_nm).numpy()
    return p, contacts, win, img


def test_gds_contours_read_back_with_klayout(tmp_path):
    p, contacts, win, img = _printed_clip()
    regions = C.extract_contours(img, p.threshold.level, win, p.pixel_nm)
    assert len(regions) == 4
    path = tmp_path / "c.gds"
    assert C.write_gds(path, regions, drawn=contacts) == 4
    layout = kdb.Layout()
    layout.read(str(path))
    top = layout.top_cell()
    printed = kdb.Region(top.begin_shapes_rec(layout.layer(1, 0)))
    drawn = kdb.Region(top.begin_shapes_rec(layout.layer(0, 0)))
    um2 = layout.dbu ** 2
    gds_area_nm2 = printed.area() * um2 * 1e6
    pixel_area = (img >= p.threshold.level).sum() * p.pixel_nm ** 2
    assert gds_area_nm2 == pytest.approx(pixel_area, rel=0.05)
    assert drawn.area() * um2 * 1e6 == pytest.approx(4 * 65 * 65)
    # Every printed contour overlaps its drawn contact.
    assert (printed & drawn).count() == 4


def test_cd_and_epe_on_known_edges():
    # A separable ramp image whose 0.5-level crossings sit exactly at x = 100, 180 and y = 50, 150.
    pixel = 2.0
    xs = (np.arange(200) + 0.5) * pixel
    fx = np.clip(np.minimum(xs - 100, 180 - xs) / 20 + 0.5, 0, 1)
    fy = np.clip(np.minimum(xs - 50, 150 - xs) / 20 + 0.5, 0, 1)
    img = np.minimum(fy[:, None], fx[None, :])
    drawn = rect(104, 50, 176, 150)  # 4 nm inside the print on left and right
    (m,) = C.measure_contacts(img, 0.5, [drawn], (0, 0, 400, 400), pixel)
    assert m.printed
    assert m.cd_x == pytest.approx(80.0, abs=0.05) and m.cd_y == pytest.approx(100.0, abs=0.05)
    assert m.epe_left == pytest.approx(4.0, abs=0.05) and m.epe_right == pytest.approx(4.0, abs=0.05)
    assert m.epe_top == pytest.approx(0.0, abs=0.05)
    epe = C.edge_epe(img, 0.5, [drawn], (0, 0, 400, 400), pixel)
    np.testing.assert_allclose(np.sort(epe), [0, 0, 4, 4], atol=0.05)
    stats = C.contact_stats([m])
    assert stats["printed"] == 1 and stats["epe_max_abs_nm"] == pytest.approx(4.0, abs=0.05)


def test_unprinted_contact_is_reported_missing():
    img = np.zeros((50, 50))
    (m,) = C.measure_contacts(img, 0.5, [rect(10, 10, 30, 30)], (0, 0, 100, 100), 2.0)
    assert not m.printed and m.cd_x == 0.0
    assert C.extract_contours(img, 0.5, (0, 0, 100, 100), 2.0) == []
