"""Atomic output: every CLI verb writes its files so that a failure leaves nothing half-written."""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Iterator

from chipsmith.errors import InputError


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temp file in the same directory and a rename."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def write_json(path: Path, obj: Any) -> None:
    atomic_write_text(path, json.dumps(obj, indent=2, sort_keys=False, default=_json_default) + "\n")


def _json_default(obj: Any) -> Any:
    try:
        import numpy as np

        if isinstance(obj, np.generic):
            return obj.item()
        if isinstance(obj, np.ndarray):
            return obj.tolist()
    except ImportError:  # pragma: no cover
        pass
    if isinstance(obj, Path):
        return str(obj)
    if hasattr(obj, "__dataclass_fields__"):
        import dataclasses

        return dataclasses.asdict(obj)
    raise TypeError(f"not JSON serializable: {type(obj).__name__}")


@contextlib.contextmanager
def staged_output(out: Path | str) -> Iterator[Path]:
    """Yield a staging directory; on success move its files into ``out``.

    On any exception the staging directory is removed and ``out`` is untouched, so a
    failed command never leaves a half-written result behind.
    """
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InputError("output path exists and is not a directory", where=str(out),
                         fix="pass a directory path to --out")
    parent = out.resolve().parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"cannot create output directory: {exc.strerror}", where=str(out),
                         fix="choose a writable --out location") from exc
    stage = Path(tempfile.mkdtemp(prefix=f".{out.name}.staging.", dir=parent))
    try:
        yield stage
        out.mkdir(parents=True, exist_ok=True)
        for item in stage.iterdir():
            target = out / item.name
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target)
            os.replace(item, target)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def emit_summary(summary: dict, out: Path | str | None, as_json: bool) -> bool:
    """Write ``summary.json`` into ``out`` (when given) and print it when ``as_json``.

    Returns True when the JSON was printed, so a command can skip its human-readable table.
    """
    if out is not None:
        with staged_output(out) as stage:
            write_json(stage / "summary.json", summary)
    if as_json:
        print(json.dumps(summary, indent=2, default=_json_default))
        return True
    return False
