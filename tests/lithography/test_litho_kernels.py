"""ICCAD13 kernel loader: orthonormal at byte 24, not at 20; wrong files give clear errors."""
from __future__ import annotations

import shutil

import numpy as np
import pytest

from chipsmith.errors import LithoError
from chipsmith.lithography.kernels import gram_error, load_iccad13


def test_offset_24_orthonormal_offset_20_not(iccad13_dir):
    k24 = load_iccad13(iccad13_dir / "kernels" / "focus")
    k20 = load_iccad13(iccad13_dir / "kernels" / "focus", offset=20)
    assert k24.count == 24 and k24.size == 35 and k24.period_nm == 2048
    assert gram_error(k24.kernels) < 1e-6
    assert gram_error(k20.kernels) > 1e-2
    assert np.all(np.diff(k24.weights) <= 0)
    assert 0.9 < k24.clear_field() < 1.0


def test_defocus_kernels_load(iccad13_dir):
    k = load_iccad13(iccad13_dir / "kernels" / "defocus", count=8)
    assert k.count == 8 and gram_error(k.kernels) < 1e-6


def _copy(iccad13_dir, tmp_path):
    dst = tmp_path / "k"
    shutil.copytree(iccad13_dir / "kernels" / "focus", dst)
    for f in dst.iterdir():
        f.chmod(0o644)
    return dst


def test_wrong_size_header_and_count(iccad13_dir, tmp_path):
    d = _copy(iccad13_dir, tmp_path)
    (d / "fh3.bin").write_bytes((d / "fh3.bin").read_bytes()[:-8])
    with pytest.raises(LithoError, match="fh3.bin.*9816 bytes, expected 9824"):
        load_iccad13(d)
    raw = bytearray((d / "fh0.bin").read_bytes())
    raw[0:4] = (36).to_bytes(4, "big")
    (d / "fh3.bin").write_bytes(bytes(raw))
    with pytest.raises(LithoError, match="header starts"):
        load_iccad13(d)
    (d / "fh3.bin").unlink()
    with pytest.raises(LithoError, match="missing kernel file fh3.bin"):
        load_iccad13(d)
    with pytest.raises(LithoError, match="offset must be 24"):
        load_iccad13(d, offset=22)
