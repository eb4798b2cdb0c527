"""Safety policy for netlist text chipsmith did not write (user files, LLM output).

ngspice is a scripting environment as much as a simulator: ``.control`` blocks run
``shell``, ``write``/``wrdata`` create files, ``*#`` comment lines are executed as
commands, ``.include`` reads any file. :func:`check_safe` therefore accepts only a
WHITELIST, line by line, before anything else looks at the text:

* plain ASCII (no look-alike letters, zero-width or control characters, NUL), lines no
  longer than :data:`MAX_LINE` characters;
* element cards whose first letter is one of ``R C L V I E F G H D M Q X``;
* the dot-commands in :data:`SAFE_DOT_COMMANDS` (analysis cards ``.op .ac .dc .tran``
  are allowed because chipsmith itself turns them into its own control block; output
  and measurement cards are not: chipsmith generates those);
* ``.option`` names from :data:`SAFE_OPTIONS`, ``.model`` types from
  :data:`SAFE_MODEL_TYPES`;
* ``.include``/``.lib`` only of files that resolve (symlinks and ``..`` followed) into
  the allowed directories; the included files are checked by the same rules;
* ``+`` continuation lines that do not start a new command.

Anything else raises :class:`UnsafeNetlistError` naming ``file:line`` and the reason.
"""
from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Iterable

from chipsmith.errors import UnsafeNetlistError

MAX_LINE = 4096
MAX_TEXT = 64 * 1024 * 1024
MAX_INCLUDE_DEPTH = 8

SAFE_ELEMENTS = frozenset("RCLVIEFGHDMQX")

SAFE_DOT_COMMANDS = frozenset({
    ".subckt", ".ends", ".model", ".param", ".include", ".inc", ".lib", ".endl", ".end", ".global",
    ".option", ".options", ".temp", ".ic", ".nodeset", ".title", ".op", ".ac", ".dc", ".tran",
})

SAFE_OPTIONS = frozenset({
    "abstol", "reltol", "vntol", "chgtol", "trtol", "gmin", "gminsteps", "srcsteps", "itl1", "itl2", "itl3",
    "itl4", "itl5", "itl6", "method", "maxord", "temp", "tnom", "pivtol", "pivrel", "rshunt", "cshunt",
    "savecurrents", "keepopinfo", "noopiter", "scale", "defl", "defw", "defad", "defas", "warn", "maxwarns",
    "klu", "sparse", "trytocompact", "xmu", "ramptime", "noinit", "noacct", "nopage", "nomod", "norefvalue",
    "acct", "list", "node", "opts", "badmos3", "bypass", "autostop", "interp", "seed", "gshunt",
    # a Xyce option-block name that ngspice reads as a no-op flag; sky130's models_global.spice says
    # `.options parser scale=1.0u`, so designs that ship those models must pass
    "parser",
})

SAFE_MODEL_TYPES = frozenset({"r", "c", "l", "d", "nmos", "pmos", "npn", "pnp", "njf", "pjf", "nmf", "pmf",
                              "sw", "csw", "res", "cap", "ind"})

# Words that start a command of ngspice's control language; a continuation line that
# begins with one is an attempt to smuggle a command past a line-based reader.
_COMMAND_WORDS = frozenset({
    "shell", "exec", "system", "wrdata", "write", "wrs2p", "print", "source", "load", "run", "set", "let",
    "alter", "altermod", "echo", "cd", "save", "plot", "meas", "measure", "quit", "exit", "rusage", "codemodel",
    "listing", "setcs", "unset", "define", "edit", "sh", "bg", "fg", "eval", "reset", "remcirc", "destroy",
})

_NAME = re.compile(r"^[A-Za-z][\w.\-+#\[\]<>:!/|]*$")
_SECTION = re.compile(r"^[A-Za-z_][\w.\-]*$")
_OPTION = re.compile(r"^([A-Za-z_]\w*)(?:\s*=\s*\S+)?")


def _unsafe(message: str, where: str, fix: str | None = None) -> UnsafeNetlistError:
    return UnsafeNetlistError(message, where=where, fix=fix)


def _char_problem(line: str) -> tuple[int, str] | None:
    """(column, description) of the first character the policy refuses, or None."""
    if line.isascii() and line.isprintable():
        return None
    for col, ch in enumerate(line):
        code = ord(ch)
        if ch == "\t":
            continue
        if code == 0:
            return col, "a NUL byte"
        if code < 32 or code == 127:
            return col, f"control character U+{code:04X}"
        if code > 127:
            name = unicodedata.name(ch, "unnamed character")
            return col, f"non-ASCII character U+{code:04X} ({name})"
    return None


def resolve_include(path: str, allowed_dirs: Iterable[str | Path], where: str, *,
                    base: Path | None = None) -> Path:
    """Resolve an ``.include``/``.lib`` path and return it if it lies inside an allowed dir.

    Relative paths are looked up in ``base`` (the directory of the including file, which
    ngspice searches first) and then in each allowed directory; every candidate that
    exists must resolve, symlinks and ``..`` followed, inside an allowed directory.
    Raises :class:`UnsafeNetlistError` otherwise.
    """
    dirs = [Path(d).resolve() for d in allowed_dirs]
    if not path or path.startswith("~") or any(c in path for c in "$`|*?\n\r\x00"):
        raise _unsafe(f"include path {path!r} is not allowed", where,
                      "use a plain path to a file in the library or model directory")
    if not dirs:
        raise _unsafe(f"include of {path!r}: no include directories are allowed", where,
                      "remove the .include/.lib card or allow its directory (--include-dir)")

    def inside(candidate: Path) -> bool:
        return any(candidate == d or d in candidate.parents for d in dirs)

    raw = Path(path)
    if raw.is_absolute():
        candidates = [raw]
    else:
        candidates = ([base / raw] if base is not None else []) + [d / raw for d in dirs]
    found: Path | None = None
    for candidate in candidates:
        try:
            resolved = candidate.resolve()
            if not inside(resolved):
                if resolved.exists() or ".." in raw.parts or raw.is_absolute():
                    raise _unsafe(f"include of {path!r} resolves to {resolved}, outside the allowed directories",
                                  where, "only files in the library/model directories (--include-dir) may be read")
                continue
            if found is None and resolved.is_file():
                found = resolved
        except (OSError, RuntimeError) as exc:  # name too long, symlink loop, permission
            raise _unsafe(f"include path {path!r} cannot be resolved ({exc.__class__.__name__})", where,
                          "use a plain path to a file in the library or model directory") from None
    if found is None:
        raise _unsafe(f"include file {path!r} not found in the allowed directories "
                      f"({', '.join(str(d) for d in dirs)})", where, "check the file name or --include-dir")
    return found


def _strip_inline_comment(text: str) -> str:
    from chipsmith.spice.parser import _strip_inline_comment as strip

    return strip(text)


def _check_card(card: str, where: str, allowed: tuple[Path, ...], base: Path | None,
                includes: list[tuple[Path, str]]) -> None:
    head = card.split(None, 1)
    word = head[0]
    rest = head[1] if len(head) > 1 else ""
    if word[0] == ".":
        command = word.lower()
        if command not in SAFE_DOT_COMMANDS:
            reason = {
                ".control": "control blocks can run shell commands and write files",
                ".endc": "control blocks can run shell commands and write files",
                ".exec": "exec blocks run commands",
                ".measure": "measurements are generated by chipsmith, never taken from the netlist",
                ".meas": "measurements are generated by chipsmith, never taken from the netlist",
            }.get(command, "it is not in the safety whitelist")
            raise _unsafe(f"card {word!r} is not allowed: {reason}", where,
                          f"remove it; allowed dot-commands: {' '.join(sorted(SAFE_DOT_COMMANDS))}")
        if command in (".include", ".inc", ".lib"):
            from chipsmith.spice.parser import _include_path

            try:
                target, extra = _include_path(rest, where)
            except Exception as exc:
                raise _unsafe(f"malformed {command} card", where) from exc
            if command == ".lib" and not extra:
                if not _SECTION.match(target):
                    raise _unsafe(f".lib section name {target!r} is not a plain name", where,
                                  "write .lib PATH SECTION to read a library")
                return
            includes.append((resolve_include(target, allowed, where, base=base), where))
        elif command in (".option", ".options"):
            text = re.sub(r"\s*=\s*", "=", rest)
            for item in text.split():
                match = _OPTION.match(item)
                name = match.group(1).lower() if match else item
                if name not in SAFE_OPTIONS:
                    raise _unsafe(f"option {item!r} is not allowed", where,
                                  f"allowed options: {' '.join(sorted(SAFE_OPTIONS))}")
        elif command == ".model":
            parts = re.split(r"[\s(]+", rest.strip(), maxsplit=2)
            if len(parts) < 2 or parts[1].lower() not in SAFE_MODEL_TYPES:
                kind = parts[1] if len(parts) > 1 else ""
                raise _unsafe(f"model type {kind!r} is not allowed", where,
                              f"allowed model types: {' '.join(sorted(SAFE_MODEL_TYPES))}")
        if re.search(r"\bfile\s*=", card, re.IGNORECASE):
            raise _unsafe("file= parameters are not allowed (they read files)", where)
        return
    if word[0].upper() not in SAFE_ELEMENTS:
        raise _unsafe(f"card {word!r} is not allowed: only elements {' '.join(sorted(SAFE_ELEMENTS))} and "
                      "whitelisted dot-commands may appear", where, "remove the card")
    if not _NAME.match(word):
        raise _unsafe(f"element name {word!r} has characters the policy refuses", where)
    if re.search(r"\bfile\s*=", card, re.IGNORECASE):
        raise _unsafe("file= parameters are not allowed (they read files)", where)


def check_safe(text: str, source: str = "<text>", *, allowed_include_dirs: Iterable[str | Path] = (),
               first_line_is_title: bool = True, check_includes: bool = True) -> None:
    """Raise :class:`UnsafeNetlistError` unless every line of ``text`` passes the whitelist.

    ``allowed_include_dirs`` are the directories ``.include``/``.lib`` may read from;
    included files are checked recursively (as title-less library files) when
    ``check_includes`` is true.
    """
    allowed = tuple(Path(d) for d in allowed_include_dirs)
    # Top-level relative paths are resolved against the allowed directories only (the
    # runner makes them absolute that way); nested ones also against their file's folder.
    _check_text(text, source, allowed, None, first_line_is_title, check_includes, 0, set())


def _check_text(text: str, source: str, allowed: tuple[Path, ...], base: Path | None, first_line_is_title: bool,
                check_includes: bool, depth: int, seen: set[Path]) -> None:
    if not isinstance(text, str):
        raise _unsafe(f"netlist must be text, got {type(text).__name__}", source)
    if len(text) > MAX_TEXT:
        raise _unsafe(f"netlist is larger than {MAX_TEXT // (1024 * 1024)} MiB", source)
    includes: list[tuple[Path, str]] = []
    have_card = False
    lines = text.split("\n")
    for index, raw in enumerate(lines):
        number = index + 1
        where = f"{source}:{number}"
        line = raw[:-1] if raw.endswith("\r") else raw
        if len(line) > MAX_LINE:
            raise _unsafe(f"line is {len(line)} characters long (limit {MAX_LINE})", where,
                          "split it with '+' continuation lines")
        problem = _char_problem(line)
        if problem:
            col, what = problem
            fix = ("netlists must be plain ASCII: retype the text (look-alike letters are refused)"
                   if what.startswith("non-ASCII") else "remove the character; lines end with a newline only")
            raise _unsafe(f"{what} at column {col + 1}", where, fix)
        stripped = line.strip()
        if index == 0 and first_line_is_title:
            if stripped.lower().startswith("*ng_script"):
                raise _unsafe("'*ng_script' turns the file into an ngspice script", where)
            if not stripped.startswith("."):
                continue
        if not stripped:
            continue
        if stripped[0] == "*":
            if stripped.startswith("*#"):
                raise _unsafe("'*#' comment lines are executed as commands by ngspice", where,
                              "use '* ' for comments")
            if stripped.lower().startswith("*ng_script"):
                raise _unsafe("'*ng_script' turns the file into an ngspice script", where)
            continue
        body = _strip_inline_comment(stripped).strip()
        if not body:
            continue
        if body[0] == "+":
            words = body[1:].split()
            if not have_card:
                raise _unsafe("continuation line '+' without a card before it", where)
            # "+ .5u 1" continues a PWL list; "+ .control" would start a command.
            if words and (re.match(r"\.[A-Za-z_]", words[0]) or words[0].lower() in _COMMAND_WORDS):
                raise _unsafe(f"continuation line starts a command ({words[0]!r}); "
                              "'+' may only continue the card above", where, "remove the line")
            for word in words:
                if word.lower().lstrip("(") in (".control", ".endc", "shell", "exec"):
                    raise _unsafe(f"continuation line carries {word!r}", where, "remove the line")
            if re.search(r"\bfile\s*=", body, re.IGNORECASE):
                raise _unsafe("file= parameters are not allowed (they read files)", where)
            continue
        _check_card(body, where, allowed, base, includes)
        have_card = True
    if not check_includes:
        return
    for path, where in includes:
        if path in seen:
            continue
        if depth >= MAX_INCLUDE_DEPTH:
            raise _unsafe(f"includes nested deeper than {MAX_INCLUDE_DEPTH} levels", where)
        seen.add(path)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise _unsafe(f"cannot read include {path}: {exc.strerror}", where) from None
        if len(data) > MAX_TEXT:
            raise _unsafe(f"include {path} is larger than {MAX_TEXT // (1024 * 1024)} MiB", where)
        try:
            included = data.decode("utf-8")
        except UnicodeDecodeError:
            raise _unsafe(f"include {path} is not UTF-8 text", where) from None
        _check_text(included, str(path), allowed, path.parent, False, True, depth + 1, seen)


__all__ = ["check_safe", "resolve_include", "SAFE_DOT_COMMANDS", "SAFE_ELEMENTS", "SAFE_OPTIONS",
           "SAFE_MODEL_TYPES", "MAX_LINE"]
