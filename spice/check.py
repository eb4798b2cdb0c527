"""``spice check``: safety policy, then parse, then ERC, in that order.

The safety policy runs first on the raw text so hostile input is refused before any
other code interprets it. Included model/subcircuit files (already vetted by the
policy) are read to learn which models and subcircuits they define, so ERC can tell a
real unknown model from one that lives in a library.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from chipsmith.errors import NetlistError
from chipsmith.spice.erc import ERROR, WARNING, ErcFinding, run_erc
from chipsmith.spice.netlist import Include, Model, Netlist, Subckt
from chipsmith.spice.parser import parse_netlist
from chipsmith.spice.safety import check_safe, resolve_include

MAX_INCLUDE_DEPTH = 8


@dataclass(frozen=True)
class CheckReport:
    """Result of :func:`check_text`: the parsed netlist, ERC findings, ``ok`` when no
    finding is an error."""

    netlist: Netlist
    findings: tuple[ErcFinding, ...]
    ok: bool
    source: str = "<text>"
    included: tuple[str, ...] = field(default=())

    @property
    def errors(self) -> list[ErcFinding]:
        return [f for f in self.findings if f.severity == ERROR]

    @property
    def warnings(self) -> list[ErcFinding]:
        return [f for f in self.findings if f.severity != ERROR]


def _collect(includes: Iterable[Include], allowed: tuple[Path, ...], base: Path | None, models: dict[str, Model],
             subckts: dict[str, Subckt], seen: list[str], findings: list[ErcFinding], depth: int) -> bool:
    """Read included files, adding their models and subcircuits; False if one failed."""
    complete = True
    for inc in includes:
        where = f"{inc.source}:{inc.line}"
        try:
            path = resolve_include(inc.path, allowed, where, base=base)
            if depth >= MAX_INCLUDE_DEPTH:
                raise NetlistError("includes nested too deeply", where=where)
            library = parse_netlist(path.read_text(encoding="utf-8"), str(path), allowed_include_dirs=None,
                                    first_line_is_title=False)
        except (NetlistError, OSError, UnicodeDecodeError) as exc:
            message = exc.one_line() if isinstance(exc, NetlistError) else str(exc)
            findings.append(ErcFinding("include-unreadable", WARNING, f"could not read {inc.path}: {message}",
                                       where))
            complete = False
            continue
        seen.append(str(path))
        parts = [library]
        if inc.section:
            section = library.sections.get(inc.section)
            if section is None:
                findings.append(ErcFinding("include-unreadable", WARNING, f"{inc.path} has no .lib section "
                                           f"{inc.section} (sections: {', '.join(library.sections) or 'none'})",
                                           where))
                complete = False
                continue
            parts = [section]
        for part in parts:
            models.update(part.models)
            subckts.update(part.subckts)
            complete &= _collect(part.includes, allowed, path.parent, models, subckts, seen, findings, depth + 1)
    return complete


def check_text(text: str, source: str = "<text>", *, allowed_include_dirs: Iterable[str | Path] = (),
               top_ports: Iterable[str] | None = None, first_line_is_title: bool = True) -> CheckReport:
    """Safety policy + parse + ERC on untrusted ``text``.

    Raises :class:`UnsafeNetlistError` (unsafe) or :class:`NetlistError` (unparsable);
    ERC problems are returned as findings (``report.ok`` is False on any error).
    """
    allowed = tuple(Path(d) for d in allowed_include_dirs)
    check_safe(text, source, allowed_include_dirs=allowed, first_line_is_title=first_line_is_title)
    netlist = parse_netlist(text, source, allowed_include_dirs=allowed, first_line_is_title=first_line_is_title)
    findings: list[ErcFinding] = []
    models: dict[str, Model] = {}
    subckts: dict[str, Subckt] = {}
    seen: list[str] = []
    complete = _collect(netlist.includes, allowed, None, models, subckts, seen, findings, 0)
    known_models = models if complete else None
    known_subckts = subckts if complete else None
    findings += run_erc(netlist, top_ports=top_ports, known_models=known_models, known_subckts=known_subckts)
    ok = not any(f.severity == ERROR for f in findings)
    return CheckReport(netlist, tuple(findings), ok, source, tuple(seen))


def read_netlist_file(path: str | Path) -> str:
    """A netlist file's text; unreadable or non-UTF-8 files raise ``NetlistError`` naming file:line."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise NetlistError("file not found", where=str(path), fix="check the path") from None
    except IsADirectoryError:
        raise NetlistError("is a directory, not a netlist file", where=str(path)) from None
    except OSError as exc:
        raise NetlistError(f"cannot read file: {exc.strerror}", where=str(path)) from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise NetlistError(f"not UTF-8 text (byte {exc.start})", where=f"{path}:{line}",
                           fix="save the netlist as ASCII text") from None


def check_file(path: str | Path, *, allowed_include_dirs: Iterable[str | Path] = (),
               top_ports: Iterable[str] | None = None) -> CheckReport:
    """:func:`check_text` on a file; its own directory is an allowed include directory."""
    path = Path(path)
    text = read_netlist_file(path)
    dirs = (path.resolve().parent, *[Path(d) for d in allowed_include_dirs])
    return check_text(text, str(path), allowed_include_dirs=dirs, top_ports=top_ports)


__all__ = ["check_text", "check_file", "read_netlist_file", "CheckReport"]
