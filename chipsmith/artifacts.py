"""Atomic output: every CLI verb writes its files so that a failure leaves nothing half-written."""
from __future__ import annotations

import contextlib
import json
import math
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
    atomic_write_text(path, dumps_json(obj) + "\n")


def dumps_json(obj: Any, *, indent: int | None = 2) -> str:
    """Strict JSON text: NaN and +/-Infinity (python or numpy, at any depth) become ``null``.

    ``allow_nan=False`` stays on, so a value that slips past ``strict_json`` raises here
    instead of writing a file that strict readers (JSON.parse, jq, serde) reject; python's own
    json module, and so ``python -m json.tool``, would let NaN through.
    """
    return json.dumps(strict_json(obj), indent=indent, allow_nan=False)


def strict_json(obj: Any) -> Any:
    """A copy of ``obj`` made of plain JSON types, with every non-finite float as ``None``."""
    if isinstance(obj, float):  # numpy.float64 is a float subclass
        return float(obj) if math.isfinite(obj) else None
    if obj is None or type(obj) in (str, int, bool):
        return obj
    if isinstance(obj, dict):
        return {k if isinstance(k, str) else strict_json(k): strict_json(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [strict_json(v) for v in obj]
    if isinstance(obj, (set, frozenset)):
        return [strict_json(v) for v in sorted(obj, key=repr)]
    return strict_json(_json_default(obj))


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
    if hasattr(obj, "__dataclass_fields__") and not isinstance(obj, type):
        import dataclasses

        return dataclasses.asdict(obj)
    if isinstance(obj, int):  # int subclasses such as IntEnum
        return int(obj)
    if isinstance(obj, str):
        return str(obj)
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
        print(dumps_json(summary))
        return True
    return False
