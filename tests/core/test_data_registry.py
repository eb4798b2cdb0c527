from __future__ import annotations

import gzip
import io
import json
import zipfile

import pytest

from chipsmith import data
from chipsmith.errors import DataError


def test_env_root_comes_first(tmp_path, monkeypatch):
    monkeypatch.setenv("CHIPSMITH_DATA", str(tmp_path))
    assert data.search_roots()[0] == tmp_path
    (tmp_path / "iccad23-irdrop").mkdir()
    (tmp_path / "iccad23-irdrop" / "x").write_text("x")
    assert data.find("iccad23-irdrop") == tmp_path / "iccad23-irdrop"


def test_shared_data_verifies(iccad23_dir):
    report = data.verify("iccad23-irdrop", iccad23_dir)
    assert report.passed and len(report.ok) == len(data.get("iccad23-irdrop").manifest())


def test_gz_content_hash_ignores_compression_header(tmp_path):
    a, b = tmp_path / "a.gz", tmp_path / "b.gz"
    a.write_bytes(gzip.compress(b"hello", mtime=1))
    b.write_bytes(gzip.compress(b"hello", mtime=2, compresslevel=1))
    assert a.read_bytes() != b.read_bytes()
    assert data.content_sha256(a) == data.content_sha256(b)


def _fake_archive(files: dict[str, bytes]):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, blob in files.items():
            zf.writestr(name, blob)

    class _Resp(io.BytesIO):
        def __enter__(self):
            return self

        def __exit__(self, *a):
            return False

    return lambda url: _Resp(buf.getvalue())


def test_fetch_lays_out_and_verifies_from_a_real_archive(tmp_path, iccad13_dir):
    # build an upstream-shaped archive from the shared copy, then fetch through the recipe
    kernels = iccad13_dir / "kernels"
    files = {f"OpenILT-main/kernel/M1OPC/{p.name}": p.read_bytes() for p in (kernels / "focus").iterdir()}
    files.update({f"OpenILT-main/kernel/M1OPC_def/{p.name}": p.read_bytes() for p in (kernels / "defocus").iterdir()})
    path = data.fetch("iccad13-litho", tmp_path, url_opener=_fake_archive(files))
    report = data.verify("iccad13-litho", path)
    assert len(report.ok) == 50 and not report.mismatched


def test_fetch_rejects_a_corrupt_file_and_leaves_nothing(tmp_path):
    files = {"OpenILT-main/kernel/M1OPC/fh0.bin": b"not the kernel"}
    with pytest.raises(DataError, match="checksum mismatch"):
        data.fetch("iccad13-litho", tmp_path, url_opener=_fake_archive(files))
    assert list(tmp_path.iterdir()) == []
