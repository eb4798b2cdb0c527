from __future__ import annotations

import gzip
import hashlib
import io
import json
import zipfile
from pathlib import Path

import pytest

from chipsmith import data
from chipsmith.errors import DataError

REPO = Path(__file__).resolve().parents[2]


def test_env_root_comes_first(tmp_path, monkeypatch):
    monkeypatch.setenv("CHIPSMITH_DATA", str(tmp_path))
    assert data.search_roots()[0] == tmp_path
    (tmp_path / "iccad23-irdrop").mkdir()
    (tmp_path / "iccad23-irdrop" / "x").write_text("x")
    assert data.find("iccad23-irdrop") == tmp_path / "iccad23-irdrop"


def _dataset(root, name, files=("x",)):
    for rel in files:
        (root / name / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / name / rel).write_text(rel)
    return root / name


def test_sample_is_searched_last_and_real_data_wins(tmp_path, monkeypatch):
    real, sample, xdg, shared = (tmp_path / n for n in ("real", "sample", "xdg", "shared/data"))
    (tmp_path / "repo").mkdir()
    monkeypatch.setattr(data, "REPO_ROOT", tmp_path / "repo")  # a checkout with shared/ beside it
    monkeypatch.chdir(tmp_path / "repo")
    monkeypatch.setenv("CHIPSMITH_DATA", str(real))
    monkeypatch.setenv("CHIPSMITH_SAMPLE_DATA", str(sample))
    monkeypatch.setenv("XDG_CACHE_HOME", str(xdg))
    _dataset(sample, "iccad23-irdrop")
    shared.mkdir(parents=True)
    assert data.search_roots() == [real, xdg / "chipsmith", shared, sample]
    assert data.cache_root() == real  # fetch never writes into the sample
    assert data.find("iccad23-irdrop") == sample / "iccad23-irdrop"
    assert not data.is_complete("iccad23-irdrop", sample / "iccad23-irdrop")
    assert data.status("iccad23-irdrop")["complete"] is False
    _dataset(real, "iccad23-irdrop")
    assert data.find("iccad23-irdrop") == real / "iccad23-irdrop"


def test_no_sample_unless_asked(tmp_path, monkeypatch):
    monkeypatch.delenv("CHIPSMITH_SAMPLE_DATA")
    assert REPO / "tests" / "data" not in data.search_roots()


def test_is_complete_needs_every_manifest_file(tmp_path):
    files = list(data.get("iccad13-litho").manifest())
    root = _dataset(tmp_path, "iccad13-litho", files)
    assert data.is_complete("iccad13-litho", root)
    (root / files[-1]).unlink()
    assert not data.is_complete("iccad13-litho", root)


@pytest.mark.parametrize("name", data.names())
def test_in_repo_sample_matches_the_manifest(name):
    """Every data file under tests/data is real: listed in the manifest, same sha256."""
    sample = REPO / "tests" / "data" / name
    files = {str(p.relative_to(sample)) for p in sample.rglob("*") if p.is_file()}
    report = data.verify(name, sample)
    assert not report.mismatched
    assert files and set(report.ok) == files


def test_sha256sums_lists_every_sample_file():
    root = REPO / "tests" / "data"
    listed = dict(reversed(line.split("  ", 1)) for line in (root / "SHA256SUMS").read_text().splitlines())
    files = {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()} - {"SHA256SUMS", "README.md"}
    assert set(listed) == files
    assert all(hashlib.sha256((root / rel).read_bytes()).hexdigest() == digest for rel, digest in listed.items())


def test_in_repo_litho_sample_is_the_whole_dataset():
    assert data.is_complete("iccad13-litho", REPO / "tests" / "data" / "iccad13-litho")


def test_whole_dataset_verifies(iccad23_full):
    report = data.verify("iccad23-irdrop", iccad23_full)
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


def _contest_upstream_name(rel: Path) -> str:
    """Where the contest repository keeps a file of our layout (written from its listing)."""
    kind, case, name = rel.parts
    raw = name.removesuffix(".gz")
    if kind == "real":
        return f"benchmarks/real-circuit-data/{case}/{raw}"
    n = case.removeprefix("case")
    upstream = {"netlist.sp": f"current_map{n}.sp", "pdn_density.csv": f"current_map{n}_pdn_density.csv"}
    return "benchmarks/fake-circuit-data/" + upstream.get(raw, f"current_map{n}_{raw.removesuffix('_map.csv')}.csv")


def test_fetch_recipe_lays_out_the_contest_cases(tmp_path):
    # an archive shaped like upstream's, from the real in-repo cases (uncompressed, as upstream)
    sample = REPO / "tests" / "data" / "iccad23-irdrop"
    files = {"ML-for-IR-drop-main/LICENSE": (sample / "LICENSE").read_bytes()}
    files.update({f"ML-for-IR-drop-main/{_contest_upstream_name(f.relative_to(sample))}": gzip.decompress(f.read_bytes())
                  for f in sample.rglob("*.gz")})
    path = data.fetch("iccad23-irdrop", tmp_path, url_opener=_fake_archive(files))
    report = data.verify("iccad23-irdrop", path)
    assert len(report.ok) == len(files) == 21 and not report.mismatched


def test_fetch_routes_a_member_to_the_folder_the_manifest_lists(tmp_path, monkeypatch):
    # upstream keeps netlist cases and maps-only cases side by side; the manifest splits them
    blobs = {"23": b"1,2\n", "01": b"3,4\n"}
    listed = {"synthetic/case23/current_map.csv.gz": blobs["23"], "synthetic-maps/case01/current_map.csv.gz": blobs["01"]}
    monkeypatch.setattr(data.Dataset, "manifest",
                        lambda self: {rel: hashlib.sha256(b).hexdigest() for rel, b in listed.items()})
    files = {f"ML-for-IR-drop-main/benchmarks/fake-circuit-data/current_map{n}_current.csv": b
             for n, b in blobs.items()}
    path = data.fetch("iccad23-irdrop", tmp_path, url_opener=_fake_archive(files))
    got = {str(p.relative_to(path)) for p in path.rglob("*") if p.is_file()}
    assert got == set(listed)
    assert gzip.decompress((path / "synthetic-maps/case01/current_map.csv.gz").read_bytes()) == blobs["01"]


def test_fetch_rejects_a_corrupt_file_and_leaves_nothing(tmp_path):
    files = {"OpenILT-main/kernel/M1OPC/fh0.bin": b"not the kernel"}
    with pytest.raises(DataError, match="checksum mismatch"):
        data.fetch("iccad13-litho", tmp_path, url_opener=_fake_archive(files))
    assert list(tmp_path.iterdir()) == []
