"""Layout readers, the area-weighted rasterizer and clip extraction."""
from __future__ import annotations

import gdstk
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chipsmith.errors import LithoError
from chipsmith.lithography import layout_io as L


def test_glp_rect_and_pgon(tmp_path):
    f = tmp_path / "a.glp"
    f.write_text("BEGIN\nEQUIV 1 1000 MICRON +X,+Y\nCELL T PRIME\n   RECT N M1 10 20 30 40\n"
                 "   PGON N M1 0 0 100 0 100 50 0 50\n   RECT N V1 0 0 5 5\nENDMSG\n")
    lay = L.read_glp(f, "M1")
    assert len(lay) == 2
    assert lay.bbox == (0.0, 0.0, 100.0, 60.0)
    assert L.read_glp(f).available_layers == ("M1", "V1")
    with pytest.raises(LithoError, match="unknown layer 'M2'.*M1, V1"):
        L.read_glp(f, "M2")


def test_glp_bad_line_names_file_and_line(tmp_path):
    f = tmp_path / "b.glp"
    f.write_text("CELL T PRIME\n   RECT N M1 10 20 x 40\n")
    with pytest.raises(LithoError, match=r"b\.glp:2"):
        L.read_glp(f)


@settings(max_examples=40, deadline=None)
@given(x0=st.floats(0, 200), y0=st.floats(0, 200), w=st.floats(1, 150), h=st.floats(1, 150),
       pixel=st.sampled_from([1.0, 3.0, 8.0]))
def test_rasterize_rectangle_area_exact(x0, y0, w, h, pixel):
    img = L.rasterize([L.rect(x0, y0, x0 + w, y0 + h)], (0, 0, 400, 400), pixel)
    assert img.sum() * pixel ** 2 == pytest.approx(w * h, rel=1e-4, abs=1e-3)
    assert img.max() <= 1.0 and img.min() >= 0.0


def test_rasterize_subpixel_edge_and_orientation():
    cw = L.rect(0.25, 0, 2, 1)[::-1]  # clockwise input is handled too
    img = L.rasterize([cw], (0, 0, 4, 1), 1.0)
    np.testing.assert_allclose(img[0], [0.75, 1.0, 0.0, 0.0], atol=1e-6)


def test_rasterize_overlaps_counted_once_and_sloped_edges():
    img = L.rasterize([L.rect(0, 0, 10, 10), L.rect(5, 5, 15, 15)], (0, 0, 20, 20), 1.0)
    assert img.sum() == pytest.approx(175.0, rel=1e-6)
    tri = np.array([[0, 0], [40, 0], [0, 30]], dtype=float)
    assert L.rasterize([tri], (0, 0, 64, 64), 2.0).sum() * 4 == pytest.approx(600.0, rel=5e-3)


def _gds(tmp_path):
    lib = gdstk.Library(unit=1e-6, precision=1e-9)
    cell = lib.new_cell("TOP")
    cell.add(gdstk.rectangle((0.1, 0.1), (0.165, 0.165), layer=10, datatype=0))
    cell.add(gdstk.rectangle((0.5, 0.5), (0.565, 0.565), layer=10, datatype=0))
    cell.add(gdstk.rectangle((0, 0), (1, 1), layer=11, datatype=0))
    path = tmp_path / "t.gds"
    lib.write_gds(str(path))
    return path


def test_gds_layer_and_window_in_nm(tmp_path):
    path = _gds(tmp_path)
    lay = L.read_layout(path, layer="10/0")
    assert len(lay) == 2 and lay.bbox == pytest.approx((100, 100, 565, 565))
    win = L.read_layout(path, layer="10", window=(0, 0, 300, 300))
    assert len(win) == 1 and win.area == pytest.approx(65 * 65)
    with pytest.raises(LithoError, match="unknown layer 12/0.*10/0, 11/0"):
        L.read_layout(path, layer="12")
    with pytest.raises(LithoError, match="several layers"):
        L.read_layout(path)
    with pytest.raises(LithoError, match="empty inside the window"):
        L.read_layout(path, layer="10", window=(2000, 2000, 3000, 3000))


def test_oasis_reads_like_gds(tmp_path):
    lib = gdstk.read_gds(str(_gds(tmp_path)))
    oas = tmp_path / "t.oas"
    lib.write_oas(str(oas))
    lay = L.read_layout(oas, layer="10/0")
    assert len(lay) == 2 and lay.area == pytest.approx(2 * 65 * 65)


def test_extract_clips_around_contacts():
    polys = tuple(L.rect(x, 0, x + 65, 65) for x in (0, 130, 260, 2000))
    clips = L.extract_clips(L.Layout(polys), 400, min_separation_nm=300)
    assert [c.center[0] for c in clips] == [32.5, 2032.5]
    assert all(len(c.layout) >= 1 for c in clips)
