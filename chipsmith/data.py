"""Dataset registry: where each named dataset lives and how a user can fetch it.

Search order for a dataset directory ``<root>/<name>``:
1. ``$CHIPSMITH_DATA`` (one directory, or several separated by ``os.pathsep``),
2. ``~/.cache/chipsmith`` (``$XDG_CACHE_HOME/chipsmith`` when that is set),
3. ``shared/data`` beside the repository (``../shared/data`` from a checkout) when it exists,
4. ``$CHIPSMITH_SAMPLE_DATA``: folders of small in-repo samples, searched last. Only the
   test suite sets it (to ``tests/data``), so a user's command never silently runs on a
   sample; ``is_complete`` tells a whole dataset from a sample.

Nothing fetched is committed. Each dataset has a manifest (``chipsmith/datasets/NAME.json``)
with the sha256 of every file's *content* (gzip files are hashed decompressed, so a
re-compressed copy still verifies) and a fetch recipe mapping upstream files to the
local layout.
"""
from __future__ import annotations

import fnmatch
import gzip
import hashlib
import io
import json
import os
import re
import shutil
import tempfile
import urllib.request
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from chipsmith.errors import DataError

_MANIFESTS = Path(__file__).with_name("datasets")
REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class FetchRule:
    """Map upstream archive members matching ``pattern`` (a regex) to ``target`` (a
    ``re.sub`` template relative to the dataset dir). ``gzip`` compresses on the way.

    A member goes to the first matching rule whose target the manifest lists, so two rules
    with one pattern can split upstream files between folders (contest cases with a netlist
    under ``synthetic/``, maps-only cases under ``synthetic-maps/``)."""

    pattern: str
    target: str
    gzip: bool = False


@dataclass(frozen=True)
class Source:
    """A repository archive at a pinned ref, and the rules that lay its files out."""

    archive_url: str
    rules: tuple[FetchRule, ...]


@dataclass(frozen=True)
class Dataset:
    name: str
    description: str
    license: str
    homepage: str
    sources: tuple[Source, ...] = field(default_factory=tuple)

    @property
    def manifest_path(self) -> Path:
        return _MANIFESTS / f"{self.name}.json"

    def manifest(self) -> dict[str, str]:
        if not self.manifest_path.exists():
            return {}
        return json.loads(self.manifest_path.read_text())["files"]


_GH = "https://github.com/{repo}/archive/{ref}.zip"

REGISTRY: dict[str, Dataset] = {
    "iccad23-irdrop": Dataset(
        name="iccad23-irdrop",
        description="ICCAD 2023 CAD Contest Problem C: PDN netlists with golden static IR-drop maps",
        license="BSD-3-Clause",
        homepage="https://github.com/ASU-VDA-Lab/ML-for-IR-drop",
        sources=(
            Source(
                archive_url=_GH.format(repo="ASU-VDA-Lab/ML-for-IR-drop", ref="main"),
                rules=(
                    FetchRule(r"^[^/]+/benchmarks/real-circuit-data/(testcase\d+)/([a-z_]+)\.(csv|sp)$",
                              r"real/\1/\2.\3.gz", gzip=True),
                    FetchRule(r"^[^/]+/benchmarks/fake-circuit-data/current_map(\d+)\.sp$",
                              r"synthetic/case\1/netlist.sp.gz", gzip=True),
                    # generated cases: with a netlist under synthetic/, maps only under
                    # synthetic-maps/ (the manifest says which case is which)
                    *(rule for folder in ("synthetic", "synthetic-maps") for rule in (
                        FetchRule(r"^[^/]+/benchmarks/fake-circuit-data/current_map(\d+)_(current|ir_drop|eff_dist)\.csv$",
                                  rf"{folder}/case\1/\2_map.csv.gz", gzip=True),
                        FetchRule(r"^[^/]+/benchmarks/fake-circuit-data/current_map(\d+)_pdn_density\.csv$",
                                  rf"{folder}/case\1/pdn_density.csv.gz", gzip=True))),
                    FetchRule(r"^[^/]+/(LICENSE)$", r"\1"),
                ),
            ),
        ),
    ),
    "iccad13-litho": Dataset(
        name="iccad13-litho",
        description="ICCAD 2013 SOCS optical kernels (focus/defocus) and metal/contact/via clips",
        license="MIT (OpenILT, LithoBench)",
        homepage="https://github.com/OpenOPC/OpenILT",
        sources=(
            Source(
                archive_url=_GH.format(repo="OpenOPC/OpenILT", ref="main"),
                rules=(
                    FetchRule(r"^[^/]+/kernel/M1OPC/(fh\d+\.bin|scales\.txt)$", r"kernels/focus/\1"),
                    FetchRule(r"^[^/]+/kernel/M1OPC_def/(fh\d+\.bin|scales\.txt)$", r"kernels/defocus/\1"),
                    FetchRule(r"^[^/]+/benchmark/ICCAD2013/(M1_test\d+\.glp)$", r"layouts/ICCAD2013/\1"),
                    FetchRule(r"^[^/]+/benchmark/(gcd_45nm\.gds)$", r"layouts/\1"),
                    FetchRule(r"^[^/]+/(LICENSE)$", r"LICENSE-OpenILT"),
                ),
            ),
            Source(
                archive_url=_GH.format(repo="shelljane/lithobench", ref="main"),
                rules=(
                    FetchRule(r"^[^/]+/benchmark/StdContact/([^/]+\.glp)$", r"layouts/StdContact/\1"),
                    FetchRule(r"^[^/]+/benchmark/OpenROAD/([^/]+\.glp)$", r"layouts/OpenROAD-via1/\1"),
                    FetchRule(r"^[^/]+/(LICENSE)$", r"LICENSE-lithobench"),
                ),
            ),
        ),
    ),
}


def names() -> list[str]:
    return sorted(REGISTRY)


def get(name: str) -> Dataset:
    try:
        return REGISTRY[name]
    except KeyError:
        raise DataError(f"unknown dataset {name!r}", fix=f"choose one of: {', '.join(names())}") from None


SAMPLE_ENV = "CHIPSMITH_SAMPLE_DATA"


def _env_paths(var: str) -> list[Path]:
    return [Path(p).expanduser() for p in os.environ.get(var, "").split(os.pathsep) if p]


def user_cache() -> Path:
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg).expanduser() if xdg else Path("~/.cache").expanduser()) / "chipsmith"


def search_roots() -> list[Path]:
    roots = _env_paths("CHIPSMITH_DATA") + [user_cache()]
    candidates = [REPO_ROOT.parent / "shared" / "data", Path.cwd().parent / "shared" / "data"]
    candidates += _env_paths(SAMPLE_ENV)
    for extra in candidates:
        if extra.is_dir() and extra.resolve() not in [r.resolve() for r in roots]:
            roots.append(extra)
    return roots


def cache_root() -> Path:
    """Where ``fetch`` writes: the first ``$CHIPSMITH_DATA`` entry, else ``~/.cache/chipsmith``."""
    return search_roots()[0]


def find(name: str) -> Path | None:
    get(name)
    for root in search_roots():
        candidate = root / name
        if candidate.is_dir() and any(candidate.iterdir()):
            return candidate
    return None


def is_complete(name: str, path: Path) -> bool:
    """True when every file of the manifest exists under ``path`` (a whole dataset, not a
    sample). Existence only, so it is cheap; ``verify`` checks contents."""
    return all((path / rel).is_file() for rel in get(name).manifest())


def resolve(name: str) -> Path:
    """The directory of dataset ``name``, or a ``DataError`` that says how to get it."""
    path = find(name)
    if path is None:
        where = ", ".join(str(r) for r in search_roots())
        raise DataError(f"dataset {name!r} not found (looked in {where})",
                        fix=f"run `chipsmith data fetch {name}` or set CHIPSMITH_DATA")
    return path


def content_sha256(path: Path) -> str:
    """sha256 of a file's content; ``.gz`` files are hashed after decompression."""
    h = hashlib.sha256()
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    except (OSError, EOFError) as exc:
        raise DataError(f"cannot read {path}: {exc}", fix="delete the file and fetch the dataset again") from exc
    return h.hexdigest()


def build_manifest(root: Path) -> dict[str, str]:
    files = sorted(p for p in root.rglob("*") if p.is_file() and not p.name.startswith("."))
    return {str(p.relative_to(root)): content_sha256(p) for p in files}


@dataclass(frozen=True)
class VerifyReport:
    ok: list[str]
    missing: list[str]
    mismatched: list[str]

    @property
    def passed(self) -> bool:
        return not self.missing and not self.mismatched


def verify(name: str, path: Path | None = None) -> VerifyReport:
    ds = get(name)
    root = path or resolve(name)
    ok, missing, bad = [], [], []
    for rel, digest in ds.manifest().items():
        f = root / rel
        if not f.exists():
            missing.append(rel)
        elif content_sha256(f) != digest:
            bad.append(rel)
        else:
            ok.append(rel)
    return VerifyReport(ok, missing, bad)


def fetch(name: str, dest_root: Path | None = None, *, url_opener=urllib.request.urlopen) -> Path:
    """Download the dataset's sources, lay files out, and verify them against the manifest.

    Only files listed in the manifest are kept; a checksum mismatch aborts and leaves
    nothing behind.
    """
    ds = get(name)
    dest_root = dest_root or cache_root()
    final = dest_root / name
    manifest = ds.manifest()
    dest_root.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{name}.", dir=dest_root))
    try:
        for source in ds.sources:
            try:
                with url_opener(source.archive_url) as resp:
                    blob = resp.read()
            except OSError as exc:
                raise DataError(f"cannot download {source.archive_url}: {exc}",
                                fix="check the network, or copy the dataset into $CHIPSMITH_DATA by hand") from exc
            with zipfile.ZipFile(io.BytesIO(blob)) as zf:
                for member in zf.namelist():
                    for rule in source.rules:
                        if re.match(rule.pattern, member):
                            rel = re.sub(rule.pattern, rule.target, member)
                            if manifest and rel not in manifest:
                                continue
                            out = stage / rel
                            out.parent.mkdir(parents=True, exist_ok=True)
                            data = zf.read(member)
                            out.write_bytes(gzip.compress(data, mtime=0) if rule.gzip else data)
                            break
        got = build_manifest(stage)
        bad = [rel for rel, digest in manifest.items() if got.get(rel) not in (None, digest)]
        if bad:
            raise DataError(f"checksum mismatch for {len(bad)} file(s) of {name}, e.g. {bad[0]}",
                            fix="upstream changed; report it or pin an older ref")
        if final.exists():
            shutil.rmtree(final)
        os.replace(stage, final)
        return final
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def status(name: str) -> dict[str, object]:
    ds = get(name)
    path = find(name)
    return {
        "name": name,
        "description": ds.description,
        "license": ds.license,
        "found": str(path) if path else None,
        "complete": is_complete(name, path) if path else False,
        "files_in_manifest": len(ds.manifest()),
        "fetch": None if path else f"chipsmith data fetch {name}",
        "upstream": [s.archive_url for s in ds.sources],
    }


def matches(patterns: list[str], rel: str) -> bool:
    return any(fnmatch.fnmatch(rel, p) for p in patterns)
