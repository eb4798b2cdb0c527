"""Parse SPICE text into :class:`chipsmith.spice.netlist.Netlist`.

The subset: elements R C L V I E F G H D M Q X; ``.subckt``/``.ends`` (not nested),
``.model``, ``.param``, ``.include``/``.lib`` (only into allowed directories),
``.lib NAME``/``.endl`` sections, ``.end``; other dot-cards are kept as
:class:`Directive`. ``*`` comment lines, ``;`` and `` $`` inline comments, ``+``
continuation lines, engineering suffixes and case-insensitivity as in ngspice.

Every error is a :class:`NetlistError` whose ``where`` is ``file:line`` of the card.
The parser checks syntax, not safety: untrusted text goes through
:func:`chipsmith.spice.safety.check_safe` as well.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Iterable, Sequence

from chipsmith.errors import NetlistError
from chipsmith.spice.netlist import (ELEMENT_KINDS, Directive, Element, Include, Model, Netlist, Subckt, Value,
                                     Waveform)
from chipsmith.spice.units import is_number, parse_value

_TOKEN = re.compile(r"""'[^']*'|"[^"]*"|[()=]|[^\s(),='"{}]+|['"{}]""")
_WAVEFORMS = frozenset({"pulse", "sin", "pwl", "exp", "sffm", "am", "trrandom", "trnoise"})
_KEYWORDS_VI = frozenset({"dc", "ac"}) | _WAVEFORMS


# --- lines and tokens ---------------------------------------------------------------------

def _strip_inline_comment(line: str) -> str:
    if ";" in line:
        line = line.split(";", 1)[0]
    if "$" in line:
        # ngspice reads "$" as a comment only at the start or after white space (net$1 is a name).
        match = re.search(r"(^|[ \t])\$", line)
        if match:
            line = line[:match.start()]
    return line


def logical_lines(text: str, source: str = "<text>", *, first_line_is_title: bool = True
                  ) -> tuple[str, list[tuple[int, str]]]:
    """Split ``text`` into (title, [(line number, card text)]) with comments removed and
    ``+`` continuation lines joined onto their card (numbered by the card's first line)."""
    lines = text.split("\n")
    title = ""
    start = 0
    if first_line_is_title and lines:
        title = lines[0].rstrip("\r").strip()
        start = 1
    cards: list[tuple[int, str]] = []
    for index in range(start, len(lines)):
        raw = lines[index].rstrip("\r")
        stripped = raw.lstrip()
        if not stripped or stripped[0] == "*":
            continue
        body = _strip_inline_comment(stripped).rstrip()
        if not body:
            continue
        if body[0] == "+":
            if not cards:
                raise NetlistError("continuation line '+' without a card before it",
                                   where=f"{source}:{index + 1}", fix="join it to a card or remove the '+'")
            number, previous = cards[-1]
            cards[-1] = (number, previous + " " + body[1:])
            continue
        cards.append((index + 1, body))
    return title, cards


def tokenize(card: str, where: str) -> list[str]:
    """Split a card into tokens; ``(``, ``)`` and ``=`` stand alone, commas are blanks,
    ``{...}`` expressions and quoted strings are single tokens."""
    if "{" not in card and "}" not in card:
        tokens = _TOKEN.findall(card)
    else:
        tokens = []
        i = 0
        n = len(card)
        while i < n:
            brace = card.find("{", i)
            close = card.find("}", i)
            if close != -1 and (brace == -1 or close < brace):
                raise NetlistError("'}' without a matching '{'", where=where)
            if brace == -1:
                tokens.extend(_TOKEN.findall(card[i:]))
                break
            tokens.extend(_TOKEN.findall(card[i:brace]))
            depth = 0
            j = brace
            while j < n:
                if card[j] == "{":
                    depth += 1
                elif card[j] == "}":
                    depth -= 1
                    if depth == 0:
                        break
                j += 1
            if depth != 0:
                raise NetlistError("'{' expression is not closed", where=where, fix="add the missing '}'")
            expr = " ".join(card[brace + 1:j].split())
            # "w={a}" is written without blanks: glue the brace onto a directly preceding word.
            tokens.append("{" + expr + "}")
            i = j + 1
    for token in tokens:
        if token in ("'", '"', "{", "}"):
            raise NetlistError(f"unmatched {token!r}", where=where, fix="close the quote or brace")
    return tokens


def split_params(tokens: Sequence[str], where: str) -> tuple[list[str], dict[str, Value]]:
    """Separate positional tokens from ``key=value`` pairs (parentheses dropped)."""
    positional: list[str] = []
    params: dict[str, Value] = {}
    tokens = [t for t in tokens if t not in ("(", ")")]
    i = 0
    n = len(tokens)
    while i < n:
        token = tokens[i]
        if token == "=":
            raise NetlistError("'=' without a parameter name before it", where=where)
        if i + 1 < n and tokens[i + 1] == "=":
            if i + 2 >= n or tokens[i + 2] == "=":
                raise NetlistError(f"parameter {token!r} has no value", where=where, fix=f"write {token}=VALUE")
            key = token.lower()
            if not _is_name(key):
                raise NetlistError(f"bad parameter name {token!r}", where=where)
            params[key] = param_value(tokens[i + 2])
            i += 3
            continue
        positional.append(token)
        i += 1
    return positional, params


def _is_name(text: str) -> bool:
    return bool(text) and (text[0].isalpha() or text[0] == "_") and "=" not in text


def param_value(token: str) -> Value:
    """A parameter value: a float for numbers, ``{expr}`` for expressions, else the word."""
    if token[0] == "{":
        return token.lower()
    if token[0] == "'":
        return "{" + " ".join(token[1:-1].split()).lower() + "}"
    if token[0] == '"':
        return token
    if is_number(token):
        try:
            return parse_value(token)
        except NetlistError:
            pass
    return token.lower()


def _value(token: str, where: str, what: str) -> Value:
    if token[0] in "{'":
        return param_value(token)
    if not is_number(token):
        raise NetlistError(f"{what}: expected a number or {{expression}}, got {token!r}", where=where,
                           fix="write a SPICE number such as 10k or an expression in braces")
    return parse_value(token, where=where)


def _is_value(token: str) -> bool:
    return token[0] in "{'" or is_number(token)


# --- elements -----------------------------------------------------------------------------

def parse_element(tokens: list[str], line: int, source: str) -> Element:
    """Build one :class:`Element` from the tokens of a device card."""
    where = f"{source}:{line}"
    name = tokens[0].lower()
    kind = name[0].upper()
    if kind not in ELEMENT_KINDS:
        raise NetlistError(f"unsupported element {tokens[0]!r}", where=where,
                           fix=f"use one of the element kinds {' '.join(ELEMENT_KINDS)}")
    rest = tokens[1:]
    if kind in "VI":
        return _source_element(name, kind, rest, line, source)
    pos, params = split_params(rest, where)
    pos = [p.lower() if p[0] not in "{'\"" else p for p in pos]

    def need(count: int, form: str) -> None:
        if len(pos) < count:
            raise NetlistError(f"{kind} element {name} needs {form}", where=where)

    def no_extra(used: int) -> None:
        if len(pos) > used:
            raise NetlistError(f"unexpected token {pos[used]!r} in {name}", where=where)

    def nodes(count: int) -> tuple[str, ...]:
        for node in pos[:count]:
            if node[0] in "{'\"":
                raise NetlistError(f"bad node name {node!r} in {name}", where=where)
        return tuple(pos[:count])

    model = None
    value: Value | None = None
    control = None
    if kind in "RCL":
        need(2, "two nodes and a value")
        extra = pos[2:]
        if extra and _is_value(extra[0]):
            value = _value(extra[0], where, f"value of {name}")
            if len(extra) > 1:
                model = extra[1]
            no_extra(4)
        elif extra:
            model = extra[0]
            if len(extra) > 1:
                value = _value(extra[1], where, f"value of {name}")
            no_extra(4)
        key = kind.lower()
        if value is None and key in params:
            value = params.pop(key)
        if value is None and model is None:
            raise NetlistError(f"{name} has no value", where=where, fix=f"write e.g. {name} a b 10k")
        return Element(name, kind, nodes(2), value, model, params, line, source)
    if kind in "EG":
        need(5, "four nodes and a gain (n+ n- nc+ nc- gain)")
        no_extra(5)
        return Element(name, kind, nodes(4), _value(pos[4], where, f"gain of {name}"), None, params, line, source)
    if kind in "FH":
        need(4, "two nodes, a controlling voltage source and a gain (n+ n- vname gain)")
        no_extra(4)
        control = pos[2]
        if control[0] != "v":
            raise NetlistError(f"{name}: the controlling element {pos[2]!r} must be a voltage source (V...)",
                               where=where)
        return Element(name, kind, nodes(2), _value(pos[3], where, f"gain of {name}"), None, params, line,
                       source, control=control)
    if kind == "D":
        need(3, "two nodes and a model (a k model)")
        if len(pos) > 3:
            params = {"area": _value(pos[3], where, f"area of {name}"), **params}
        no_extra(4)
        return Element(name, kind, nodes(2), None, pos[2], params, line, source)
    if kind == "M":
        need(5, "four nodes (d g s b) and a model")
        no_extra(5)
        return Element(name, kind, nodes(4), None, pos[4], params, line, source)
    if kind == "Q":
        need(4, "three or four nodes (c b e [s]) and a model")
        if len(pos) == 4:
            count = 3
        elif len(pos) == 5:
            count = 3 if _is_value(pos[4]) else 4
        else:
            count = 4
        model = pos[count]
        if len(pos) > count + 1:
            params = {"area": _value(pos[count + 1], where, f"area of {name}"), **params}
        no_extra(count + 2)
        return Element(name, kind, nodes(count), None, model, params, line, source)
    # X: nodes..., subcircuit name, then parameters (an optional "params:" keyword).
    pos = [p for p in pos if p != "params:"]
    need(1, "a subcircuit name")
    return Element(name, kind, nodes(len(pos) - 1), None, pos[-1], params, line, source)


def _source_element(name: str, kind: str, rest: list[str], line: int, source: str) -> Element:
    where = f"{source}:{line}"
    tokens = [t for t in rest]
    if len(tokens) < 2 or tokens[0] in "()=" or tokens[1] in "()=":
        raise NetlistError(f"{name} needs two nodes", where=where, fix=f"write e.g. {name} in 0 dc 1")
    nodes = (tokens[0].lower(), tokens[1].lower())
    value: Value | None = None
    params: dict[str, Value] = {}
    waveform = None
    i = 2
    n = len(tokens)
    while i < n:
        token = tokens[i]
        word = token.lower()
        if i + 1 < n and tokens[i + 1] == "=":
            if i + 2 >= n:
                raise NetlistError(f"parameter {token!r} has no value", where=where)
            params[word] = param_value(tokens[i + 2])
            i += 3
        elif word == "dc":
            if i + 1 >= n or not _is_value(tokens[i + 1]):
                raise NetlistError(f"{name}: 'dc' needs a value", where=where)
            value = _value(tokens[i + 1], where, f"dc value of {name}")
            i += 2
        elif word == "ac":
            i += 1
            params["ac"] = 1.0
            if i < n and _is_value(tokens[i]):
                params["ac"] = _value(tokens[i], where, f"ac magnitude of {name}")
                i += 1
                if i < n and _is_value(tokens[i]):
                    params["acphase"] = _value(tokens[i], where, f"ac phase of {name}")
                    i += 1
        elif word in _WAVEFORMS:
            if waveform is not None:
                raise NetlistError(f"{name} has two transient functions", where=where)
            i += 1
            args: list[Value] = []
            if i < n and tokens[i] == "(":
                i += 1
                while i < n and tokens[i] != ")":
                    args.append(_value(tokens[i], where, f"{word} argument of {name}"))
                    i += 1
                if i >= n:
                    raise NetlistError(f"{word.upper()}( is not closed in {name}", where=where, fix="add ')'")
                i += 1
            else:
                while i < n and _is_value(tokens[i]) and not (i + 1 < n and tokens[i + 1] == "="):
                    args.append(_value(tokens[i], where, f"{word} argument of {name}"))
                    i += 1
            waveform = Waveform(word, tuple(args))
        elif _is_value(token) and value is None and i == 2:
            value = _value(token, where, f"value of {name}")
            i += 1
        else:
            raise NetlistError(f"unexpected token {token!r} in source {name}", where=where,
                               fix="write [DC] value [AC mag [phase]] [PULSE(...)|SIN(...)|PWL(...)]")
    return Element(name, kind, nodes, value, None, params, line, source, waveform=waveform)


# --- dot-cards ----------------------------------------------------------------------------

def _include_path(rest: str, where: str) -> tuple[str, str]:
    """Return (path, remaining text) from the argument text of .include/.lib."""
    rest = rest.strip()
    if not rest:
        raise NetlistError("missing file name", where=where, fix='write .include "path/to/file"')
    if rest[0] in "\"'":
        end = rest.find(rest[0], 1)
        if end == -1:
            raise NetlistError("unterminated quoted file name", where=where)
        return rest[1:end], rest[end + 1:].strip()
    parts = rest.split(None, 1)
    return parts[0], (parts[1] if len(parts) > 1 else "")


class _Scope:
    """What the parser accumulates for the top level, a .lib section or a .subckt body."""

    def __init__(self, kind: str, name: str = "", line: int = 0, ports: tuple[str, ...] = (),
                 params: dict[str, Value] | None = None) -> None:
        self.kind = kind
        self.parent: _Scope | None = None
        self.name = name
        self.line = line
        self.ports = ports
        self.header_params = params or {}
        self.elements: list[Element] = []
        self.names: set[str] = set()
        self.models: dict[str, Model] = {}
        self.subckts: dict[str, Subckt] = {}
        self.params: dict[str, Value] = {}
        self.includes: list[Include] = []
        self.directives: list[Directive] = []
        self.sections: dict[str, Netlist] = {}

    def netlist(self, title: str, source: str) -> Netlist:
        return Netlist(title, tuple(self.elements), self.subckts, self.models, self.params, tuple(self.includes),
                       tuple(self.directives), self.sections, source)

    def subckt(self, source: str) -> Subckt:
        return Subckt(self.name, self.ports, tuple(self.elements), self.models, self.header_params, self.params,
                      self.line, source)


def parse_netlist(text: str, source: str = "<text>", *, allowed_include_dirs: Iterable[str | Path] | None = (),
                  first_line_is_title: bool = True) -> Netlist:
    """Parse SPICE ``text`` into a :class:`Netlist`.

    ``.include``/``.lib`` paths must resolve (symlinks and ``..`` followed) into one of
    ``allowed_include_dirs``; pass ``None`` to skip that check for trusted text.
    ``source`` names the text in error messages (``source:line``). Lines after ``.end``
    are ignored, as ngspice does.
    """
    if not isinstance(text, str):
        raise NetlistError(f"netlist text must be a string, got {type(text).__name__}", where=source)
    if "\x00" in text:
        line = text[:text.index("\x00")].count("\n") + 1
        raise NetlistError("NUL byte in the netlist", where=f"{source}:{line}", fix="save it as plain text")
    allowed = None if allowed_include_dirs is None else tuple(allowed_include_dirs)
    title, cards = logical_lines(text, source, first_line_is_title=first_line_is_title)
    top = _Scope("top")
    scope = top
    for line, card in cards:
        where = f"{source}:{line}"
        if card[0] != ".":
            tokens = tokenize(card, where)
            if not tokens:
                continue
            element = parse_element(tokens, line, source)
            if element.name in scope.names:
                raise NetlistError(f"element {element.name} is defined twice", where=where,
                                   fix="give every element a unique name")
            scope.names.add(element.name)
            scope.elements.append(element)
            continue
        parts = card.split(None, 1)
        command = parts[0].lower()
        rest = parts[1] if len(parts) > 1 else ""
        if command == ".end":
            break
        if scope.kind == "subckt" and command not in (".ends", ".model", ".param", ".subckt", ".end"):
            raise NetlistError(f"{command} inside .subckt {scope.name} is not supported", where=where,
                               fix="only elements, .model and .param may appear between .subckt and .ends")
        if command in (".include", ".inc"):
            path, extra = _include_path(rest, where)
            if extra:
                raise NetlistError(f"unexpected text after the file name: {extra!r}", where=where)
            _check_include(path, allowed, where)
            scope.includes.append(Include(path, None, line, source, "include"))
        elif command == ".lib":
            path, extra = _include_path(rest, where)
            if not extra:
                # ".lib NAME" opens a section of a model library file (closed by .endl).
                if scope.kind != "top":
                    raise NetlistError(".lib section inside a .subckt or another section", where=where)
                scope = _Scope("section", path.lower(), line)
                continue
            section = extra.split()
            if len(section) != 1:
                raise NetlistError(f"unexpected text after the section name: {extra!r}", where=where)
            _check_include(path, allowed, where)
            scope.includes.append(Include(path, section[0].lower(), line, source, "lib"))
        elif command == ".endl":
            if scope.kind != "section":
                raise NetlistError(".endl without a .lib section", where=where)
            top.sections[scope.name] = scope.netlist("", source)
            scope = top
        elif command == ".subckt":
            if scope.kind == "subckt":
                raise NetlistError(f"nested .subckt inside {scope.name} is not supported", where=where,
                                   fix=f"define it outside {scope.name} (after its .ends)")
            tokens = tokenize(rest, where)
            pos, params = split_params([t for t in tokens if t.lower() != "params:"], where)
            if not pos:
                raise NetlistError(".subckt needs a name", where=where, fix=".subckt NAME PORT1 PORT2 ...")
            name = pos[0].lower()
            ports = tuple(p.lower() for p in pos[1:])
            if len(set(ports)) != len(ports):
                raise NetlistError(f"subcircuit {name} lists a port twice", where=where)
            parent = scope
            scope = _Scope("subckt", name, line, ports, params)
            scope.parent = parent
        elif command == ".ends":
            if scope.kind != "subckt":
                raise NetlistError(".ends without a .subckt", where=where)
            name = rest.split()[0].lower() if rest.split() else scope.name
            if name != scope.name:
                raise NetlistError(f".ends {name} closes .subckt {scope.name}", where=where,
                                   fix=f"write .ends {scope.name}")
            parent = scope.parent
            assert parent is not None  # a subckt scope always has one
            if scope.name in parent.subckts:
                raise NetlistError(f"subcircuit {scope.name} is defined twice", where=where)
            parent.subckts[scope.name] = scope.subckt(source)
            scope = parent
        elif command == ".model":
            tokens = tokenize(rest, where)
            pos, params = split_params(tokens, where)
            if len(pos) != 2:
                raise NetlistError(".model needs a name and a type" if len(pos) < 2 else
                                   f"unexpected token {pos[2]!r} in .model", where=where,
                                   fix=".model NAME TYPE (param=value ...)")
            name = pos[0].lower()
            if name in scope.models:
                raise NetlistError(f"model {name} is defined twice", where=where)
            scope.models[name] = Model(name, pos[1].lower(), params, line, source)
        elif command == ".param":
            pos, params = split_params(tokenize(rest, where), where)
            if pos or not params:
                raise NetlistError("bad .param card", where=where,
                                   fix="write .param name=value (expressions in braces: {a*2})")
            scope.params.update(params)
        elif command in (".control", ".endc"):
            raise NetlistError(f"{command} blocks are not part of the netlist subset", where=where,
                               fix="remove it; chipsmith writes the analysis and control commands itself")
        else:
            scope.directives.append(Directive(command[1:], tuple(rest.lower().split()), line, source))
    if scope.kind == "subckt":
        raise NetlistError(f".subckt {scope.name} has no .ends", where=f"{source}:{scope.line}",
                           fix=f"add .ends {scope.name}")
    if scope.kind == "section":
        raise NetlistError(f".lib section {scope.name} has no .endl", where=f"{source}:{scope.line}",
                           fix=".endl closes it")
    return top.netlist(title, source)


def _check_include(path: str, allowed: tuple | None, where: str) -> None:
    if allowed is None:
        return
    from chipsmith.spice.safety import resolve_include

    resolve_include(path, allowed, where)


def parse_file(path: str | Path, *, allowed_include_dirs: Iterable[str | Path] | None = None,
               first_line_is_title: bool = True) -> Netlist:
    """Parse a netlist file. Includes may point into its own directory and into
    ``allowed_include_dirs`` (``None``: trusted file, includes not checked)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise NetlistError("file not found", where=str(path), fix="check the path") from None
    except UnicodeDecodeError as exc:
        raise NetlistError(f"not UTF-8 text (byte {exc.start})", where=str(path)) from None
    except OSError as exc:
        raise NetlistError(f"cannot read file: {exc.strerror}", where=str(path)) from None
    dirs = None if allowed_include_dirs is None else (path.resolve().parent, *allowed_include_dirs)
    return parse_netlist(text, str(path), allowed_include_dirs=dirs, first_line_is_title=first_line_is_title)


__all__ = ["parse_netlist", "parse_file", "parse_element", "tokenize", "split_params", "logical_lines",
           "param_value"]
