"""The subcircuit block library: ``blocks/<name>.cir`` + ``blocks/<name>.yaml`` -> ``Block``.

A block is one ``.subckt`` (ports in the order of its YAML ``ports`` list, sizes as
``params:`` defaults) plus metadata that planners and checkers read: each port's role
(input, output, supply, ground, bias) and kind (voltage_in, current_out, ...), the
block's type and polarity, a one-line description, tags, and the testbench that proves
the description (see :mod:`chipsmith.spice.library.testbench`).

Device models are not inside the blocks: every MOSFET uses the model names ``nch`` and
``pch``, which the shipped generic cards (:func:`models_path`) or a user's own model file
define. The loader validates every entry once and raises :class:`LibraryError` naming
the file and the field, so a malformed library never reaches a simulation.
"""
from __future__ import annotations

import functools
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Iterator, Mapping, Sequence

import yaml

from chipsmith.errors import LibraryError

LIBRARY_DIR = Path(__file__).resolve().parent
BLOCKS_DIR = LIBRARY_DIR / "blocks"
MODELS_DIR = LIBRARY_DIR / "models"

#: Supply voltage the shipped models and every testbench assume (V).
VDD = 1.8

ROLES = ("input", "output", "supply", "ground", "bias")
KINDS = ("voltage_in", "current_in", "voltage_out", "current_out", "bias", "supply", "ground")
TYPES = ("diff_pair", "current_mirror", "gain_stage", "load", "bias", "compensation", "output_stage",
         "comparator", "reference", "switch", "inverter", "core", "ldo", "current_source")
POLARITIES = ("nmos", "pmos", "cmos", "none")
#: Testbench kinds understood by :mod:`chipsmith.spice.library.testbench`.
TESTBENCH_KINDS = ("mirror", "gain", "diffpair", "ota", "tail", "bias", "impedance", "inverter", "switch",
                   "latch", "pass", "classab", "bandgap")
#: Port names that some testbench kinds wire by name (the others find ports by role).
TESTBENCH_PORTS = {"diffpair": ("inp", "inn", "dp", "dn"), "ota": ("inp", "inn", "out"),
                   "latch": ("inp", "inn", "outp", "outn")}
_MODEL_FILES = {1: "generic_l1.lib", 3: "generic_l3.lib"}
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Port:
    """One subcircuit terminal: its name, role (what it is for) and kind (what flows)."""

    name: str
    role: str
    kind: str
    description: str = field(default="", repr=False, compare=False)


@dataclass(frozen=True)
class Testbench:
    """How a block is proven to work: the testbench ``kind``, its ``stimulus`` values and
    the ``expect``ed figure ranges (``figure -> (lo, hi)``, either bound may be None)."""

    kind: str
    stimulus: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}))
    expect: Mapping[str, tuple[float | None, float | None]] = field(default_factory=lambda: MappingProxyType({}))
    notes: str = ""


@dataclass(frozen=True)
class Block:
    """A library block: metadata plus the ``.subckt`` text that implements it.

    ``params`` maps each size parameter to its default (a SPICE value string such as
    ``"2u"``); instances override them by name.
    """

    name: str
    ports: tuple[Port, ...]
    type: str
    polarity: str
    description: str
    tags: tuple[str, ...]
    subckt_text: str = field(repr=False)
    params: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    testbench: Testbench = field(default=Testbench("mirror"), repr=False)
    path: Path | None = field(default=None, repr=False, compare=False)

    @property
    def port_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.ports)

    @property
    def roles(self) -> dict[str, str]:
        """Port name -> role, in port order."""
        return {p.name: p.role for p in self.ports}

    def ports_with(self, role: str) -> tuple[Port, ...]:
        """Every port that has ``role`` (possibly none)."""
        _check_choice(role, ROLES, "role")
        return tuple(p for p in self.ports if p.role == role)

    def port(self, role: str) -> Port:
        """The first port with ``role``; a block without one raises ``LibraryError``."""
        found = self.ports_with(role)
        if not found:
            raise LibraryError(f"block {self.name} has no {role} port",
                               fix=f"its ports are {', '.join(f'{p.name}:{p.role}' for p in self.ports)}")
        return found[0]

    def instantiate(self, instance_name: str, nets: Mapping[str, str], **params: object) -> str:
        """An ``X`` line connecting every port to ``nets[port]`` with optional size overrides.

        ``X`` is prefixed when ``instance_name`` lacks it. Missing or unknown ports and
        unknown parameters raise ``LibraryError`` listing the valid names.
        """
        name = str(instance_name).strip()
        if not re.match(r"^[A-Za-z0-9_.$#-]+$", name):
            raise LibraryError(f"bad instance name {instance_name!r} for block {self.name}",
                               fix="use letters, digits and _ only")
        if name[0].lower() != "x":
            name = "X" + name
        lowered = {str(k).lower(): str(v) for k, v in nets.items()}
        unknown = sorted(set(lowered) - set(self.port_names))
        missing = [p for p in self.port_names if p not in lowered]
        if unknown or missing:
            raise LibraryError(
                f"block {self.name}: " + "; ".join(filter(None, [
                    f"unknown port(s) {', '.join(unknown)}" if unknown else "",
                    f"port(s) {', '.join(missing)} not connected" if missing else ""])),
                fix=f"connect exactly the ports {', '.join(self.port_names)}")
        for port, net in lowered.items():
            if not re.match(r"^[A-Za-z0-9_.$#:+-]+$", net):
                raise LibraryError(f"block {self.name}: bad net name {net!r} on port {port}",
                                   fix="net names are single SPICE tokens (letters, digits, _)")
        overrides = []
        for key, value in params.items():
            key_l = key.lower()
            if key_l not in self.params:
                raise LibraryError(f"block {self.name} has no parameter {key!r}",
                                   fix=f"valid parameters: {', '.join(self.params) or '(none)'}")
            text = _format_param(value)
            if not re.match(r"^[A-Za-z0-9_.+\-{}*/()]+$", text):
                raise LibraryError(f"block {self.name}: bad value {value!r} for parameter {key}",
                                   fix="use a number or a SPICE value such as 2u")
            overrides.append(f"{key_l}={text}")
        return " ".join([name, *(lowered[p] for p in self.port_names), self.name, *overrides])

    def text(self) -> str:
        """The block's ``.subckt ... .ends`` text, ready to paste into a netlist."""
        return self.subckt_text

    def to_dict(self) -> dict:
        """JSON-friendly summary (no subckt text)."""
        return {"name": self.name, "type": self.type, "polarity": self.polarity,
                "description": self.description, "tags": list(self.tags),
                "ports": [{"name": p.name, "role": p.role, "kind": p.kind} for p in self.ports],
                "params": dict(self.params), "testbench": self.testbench.kind}


class Library:
    """An immutable, validated collection of blocks with lookup and text search."""

    def __init__(self, blocks: Sequence[Block], root: Path | None = None):
        self.blocks: tuple[Block, ...] = tuple(sorted(blocks, key=lambda b: b.name))
        self.root = root
        self._by_name = {b.name: b for b in self.blocks}
        if len(self._by_name) != len(self.blocks):
            twice = sorted(n for n, c in Counter(b.name for b in self.blocks).items() if c > 1)
            raise LibraryError(f"block {twice[0]} appears twice in the library", fix="give every block its own name")
        self._index = _TfIdf([_search_text(b) for b in self.blocks])

    def __len__(self) -> int:
        return len(self.blocks)

    def __iter__(self) -> Iterator[Block]:
        return iter(self.blocks)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._by_name

    def names(self) -> list[str]:
        return [b.name for b in self.blocks]

    def get(self, name: str) -> Block:
        """The block called ``name`` (case-insensitive); a miss lists the valid names."""
        block = self._by_name.get(str(name).strip().lower())
        if block is None:
            raise LibraryError(f"no block named {name!r} in the library",
                               fix=f"valid names: {', '.join(self.names())}")
        return block

    def by_type(self, type: str, polarity: str | None = None) -> tuple[Block, ...]:
        """Blocks of ``type`` (and ``polarity`` when given), sorted by name."""
        _check_choice(type, TYPES, "block type")
        if polarity is not None:
            _check_choice(polarity, POLARITIES, "polarity")
        return tuple(b for b in self.blocks if b.type == type and (polarity is None or b.polarity == polarity))

    def by_tag(self, tag: str) -> tuple[Block, ...]:
        key = tag.strip().lower()
        return tuple(b for b in self.blocks if key in b.tags)

    def search(self, text: str, k: int = 5) -> list[Block]:
        """Up to ``k`` blocks best matching free ``text`` (TF-IDF over name, type,
        polarity, description and tags); blocks sharing no word with it are left out."""
        if k < 1:
            return []
        scores = self._index.scores(str(text))
        ranked = sorted(((s, i) for i, s in enumerate(scores) if s > 0), key=lambda t: (-t[0], self.blocks[t[1]].name))
        return [self.blocks[i] for _, i in ranked[:k]]

    def subckt_texts(self, names: Sequence[str]) -> str:
        """The ``.subckt`` definitions of ``names`` (each once), for a netlist."""
        seen, parts = set(), []
        for name in names:
            block = self.get(name)
            if block.name not in seen:
                seen.add(block.name)
                parts.append(block.subckt_text.rstrip())
        return "\n".join(parts) + "\n"


# --- models -------------------------------------------------------------------------------

def models_path(level: int = 1) -> Path:
    """Path of the shipped generic model card: level 1 (Shichman-Hodges) or level 3."""
    try:
        return MODELS_DIR / _MODEL_FILES[int(level)]
    except (KeyError, ValueError, TypeError):
        raise LibraryError(f"no generic model card of level {level!r}",
                           fix=f"use one of: {', '.join(map(str, _MODEL_FILES))}, or pass your own model file") from None


def model_include(models: Path | str | int | None = None, section: str | None = None) -> str:
    """The ``.include``/``.lib`` line that loads ``models``.

    ``models`` is a level (1 or 3) of the shipped cards, a path to the user's own model
    file (which must define ``nch`` and ``pch``, or a wrapper that maps those names), or
    None for level 1. ``section`` selects a ``.lib`` section (e.g. a corner ``tt``).
    """
    if models is None or isinstance(models, int):
        path = models_path(1 if models is None else models)
    else:
        path = Path(models).expanduser().resolve()
        if not path.is_file():
            raise LibraryError(f"model file {models} does not exist",
                               fix="pass a readable SPICE model file that defines nch and pch")
    if '"' in str(path) or "\n" in str(path):
        raise LibraryError(f"model file path {path} contains a quote or newline", fix="rename the file")
    if section:
        if not re.match(r"^[A-Za-z0-9_]+$", section):
            raise LibraryError(f"bad model library section {section!r}", fix="use a plain name such as tt")
        return f'.lib "{path}" {section}'
    return f'.include "{path}"'


# --- loading ------------------------------------------------------------------------------

def load_library(path: Path | str | None = None) -> Library:
    """Load and validate every ``<name>.yaml`` + ``<name>.cir`` pair under ``path``
    (default: the shipped ``blocks/`` folder). Any malformed entry raises
    ``LibraryError`` naming the file and the field."""
    if path is None:
        return _default_library()
    return _load(Path(path))


@functools.lru_cache(maxsize=1)
def _default_library() -> Library:
    return _load(BLOCKS_DIR)


def _load(root: Path) -> Library:
    if not root.is_dir():
        raise LibraryError(f"library folder {root} does not exist", fix="pass a folder of <name>.yaml + <name>.cir files")
    yamls = sorted(root.glob("*.yaml"))
    if not yamls:
        raise LibraryError(f"library folder {root} holds no <name>.yaml block", fix="add blocks or pass another folder")
    blocks = [load_block(p) for p in yamls]
    orphans = sorted({p.stem for p in root.glob("*.cir")} - {p.stem for p in yamls})
    if orphans:
        raise LibraryError(f"{root / (orphans[0] + '.cir')}: subcircuit without metadata",
                           fix=f"add {orphans[0]}.yaml or remove the .cir")
    return Library(blocks, root)


def load_block(yaml_path: Path | str) -> Block:
    """Read and validate one block from its YAML file and the ``.cir`` beside it."""
    yaml_path = Path(yaml_path)
    where = str(yaml_path)
    try:
        meta = yaml.safe_load(yaml_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise LibraryError(f"cannot read block metadata: {exc}", where=where) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f"{where}:{mark.line + 1}" if mark else where
        raise LibraryError(f"invalid YAML: {getattr(exc, 'problem', exc)}", where=at, fix="fix the YAML syntax") from None
    if not isinstance(meta, dict):
        raise LibraryError("block metadata must be a mapping", where=where, fix="see docs: name, type, ports, ...")
    known = {"name", "type", "polarity", "description", "tags", "ports", "params", "testbench"}
    extra = sorted(set(map(str, meta)) - known)
    if extra:
        raise LibraryError(f"unknown field {extra[0]!r}", where=where, fix=f"valid fields: {', '.join(sorted(known))}")

    name = _field_str(meta, "name", where)
    if not _NAME.match(name) or name != yaml_path.stem:
        raise LibraryError(f"field 'name' is {name!r} but must equal the file name {yaml_path.stem!r} "
                           "(lower case letters, digits, _)", where=where)
    type_ = _field_choice(meta, "type", TYPES, where)
    polarity = _field_choice(meta, "polarity", POLARITIES, where)
    description = _field_str(meta, "description", where)
    if "\n" in description.strip():
        raise LibraryError("field 'description' must be one line", where=where)
    tags = meta.get("tags")
    if not isinstance(tags, list) or not tags or not all(isinstance(t, str) and t.strip() for t in tags):
        raise LibraryError("field 'tags' must be a non-empty list of words", where=where)
    ports = _ports(meta.get("ports"), where)
    if type_ != "compensation" and not any(p.role in ("supply", "ground") for p in ports):
        raise LibraryError("field 'ports' has no supply or ground port", where=where,
                           fix="every active block needs a reference (role supply or ground)")
    params = _params(meta.get("params", {}), where)
    testbench = _testbench(meta.get("testbench"), ports, where)

    cir_path = yaml_path.with_suffix(".cir")
    try:
        text = cir_path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise LibraryError(f"cannot read the block's subcircuit: {exc}", where=str(cir_path),
                           fix=f"add {cir_path.name} with one .subckt {name}") from None
    sub_name, sub_ports, sub_params, line = _subckt_header(text, str(cir_path))
    cir_where = f"{cir_path}:{line}"
    if sub_name != name:
        raise LibraryError(f".subckt is named {sub_name!r}, expected {name!r}", where=cir_where)
    if list(sub_ports) != [p.name for p in ports]:
        raise LibraryError(f"field 'ports' {[p.name for p in ports]} does not match the .subckt ports "
                           f"{list(sub_ports)} (order and count)", where=where)
    if set(sub_params) != set(params):
        raise LibraryError(f"field 'params' {sorted(params)} does not match the .subckt params: "
                           f"{sorted(sub_params)}", where=where)
    for key, value in sub_params.items():
        if _number(value) != _number(params[key]):
            raise LibraryError(f"param {key} default {params[key]} differs from the .subckt's {value}", where=where)
    _parse_check(text, str(cir_path), name, [p.name for p in ports])
    return Block(name=name, ports=ports, type=type_, polarity=polarity, description=description.strip(),
                 tags=tuple(t.strip().lower() for t in tags), subckt_text=text.strip() + "\n",
                 params=MappingProxyType(params), testbench=testbench, path=yaml_path)


def _field_str(meta: dict, key: str, where: str) -> str:
    value = meta.get(key)
    if not isinstance(value, str) or not value.strip():
        raise LibraryError(f"field {key!r} is missing or not a non-empty string", where=where)
    return value.strip()


def _field_choice(meta: dict, key: str, choices: Sequence[str], where: str) -> str:
    value = _field_str(meta, key, where).lower()
    if value not in choices:
        raise LibraryError(f"field {key!r} is {value!r}", where=where, fix=f"use one of: {', '.join(choices)}")
    return value


def _check_choice(value: str, choices: Sequence[str], what: str) -> None:
    if value not in choices:
        raise LibraryError(f"unknown {what} {value!r}", fix=f"use one of: {', '.join(choices)}")


def _ports(raw: object, where: str) -> tuple[Port, ...]:
    if not isinstance(raw, list) or not raw:
        raise LibraryError("field 'ports' must be a non-empty list", where=where)
    ports, seen = [], set()
    for i, item in enumerate(raw):
        at = f"ports[{i}]"
        if not isinstance(item, dict):
            raise LibraryError(f"field '{at}' must be a mapping with name, role, kind", where=where)
        extra = sorted(set(map(str, item)) - {"name", "role", "kind", "description"})
        if extra:
            raise LibraryError(f"field '{at}' has unknown key {extra[0]!r}", where=where,
                               fix="valid keys: name, role, kind, description")
        pname = str(item.get("name", "")).strip().lower()
        if not _NAME.match(pname):
            raise LibraryError(f"field '{at}.name' is {item.get('name')!r}", where=where, fix="use a plain net name")
        if pname in seen:
            raise LibraryError(f"field '{at}.name': port {pname!r} appears twice", where=where)
        seen.add(pname)
        role = str(item.get("role", "")).strip().lower()
        if role not in ROLES:
            raise LibraryError(f"field '{at}.role' is {item.get('role')!r}", where=where,
                               fix=f"use one of: {', '.join(ROLES)}")
        kind = str(item.get("kind", "")).strip().lower()
        if kind not in KINDS:
            raise LibraryError(f"field '{at}.kind' is {item.get('kind')!r}", where=where,
                               fix=f"use one of: {', '.join(KINDS)}")
        ports.append(Port(pname, role, kind, str(item.get("description", "") or "").strip()))
    return tuple(ports)


def _params(raw: object, where: str) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise LibraryError("field 'params' must be a mapping name -> default", where=where)
    out = {}
    for key, value in raw.items():
        k = str(key).strip().lower()
        if not _NAME.match(k):
            raise LibraryError(f"field 'params.{key}' is not a plain name", where=where)
        text = _format_param(value)
        if _number(text) is None:
            raise LibraryError(f"field 'params.{key}' = {value!r} is not a SPICE number", where=where,
                               fix="use e.g. 2u, 10k, 1p")
        out[k] = text
    return out


def _testbench(raw: object, ports: Sequence[Port], where: str) -> Testbench:
    if not isinstance(raw, dict):
        raise LibraryError("field 'testbench' must be a mapping with kind, stimulus, expect", where=where)
    extra = sorted(set(map(str, raw)) - {"kind", "stimulus", "expect", "notes"})
    if extra:
        raise LibraryError(f"field 'testbench' has unknown key {extra[0]!r}", where=where,
                           fix="valid keys: kind, stimulus, expect, notes")
    kind = str(raw.get("kind", "")).strip().lower()
    if kind not in TESTBENCH_KINDS:
        raise LibraryError(f"field 'testbench.kind' is {raw.get('kind')!r}", where=where,
                           fix=f"use one of: {', '.join(TESTBENCH_KINDS)}")
    names = {p.name for p in ports}
    missing = [p for p in TESTBENCH_PORTS.get(kind, ()) if p not in names]
    if missing:
        raise LibraryError(f"field 'testbench.kind' {kind} needs ports named "
                           f"{', '.join(TESTBENCH_PORTS[kind])}; missing {', '.join(missing)}", where=where)
    if kind == "impedance" and len(ports) != 2:
        raise LibraryError("field 'testbench.kind' impedance needs a two-terminal block", where=where)
    stimulus = raw.get("stimulus", {}) or {}
    if not isinstance(stimulus, dict):
        raise LibraryError("field 'testbench.stimulus' must be a mapping", where=where)
    bias = stimulus.get("bias", {}) or {}
    if not isinstance(bias, dict):
        raise LibraryError("field 'testbench.stimulus.bias' must map bias ports to volts", where=where)
    for port in bias:
        if str(port).lower() not in names:
            raise LibraryError(f"field 'testbench.stimulus.bias' names unknown port {port!r}", where=where)
    for p in ports:
        if p.role == "bias" and p.kind == "bias" and p.name not in {str(b).lower() for b in bias} \
                and kind not in ("bias", "diffpair", "impedance"):
            raise LibraryError(f"field 'testbench.stimulus.bias' lacks a voltage for bias port {p.name!r}",
                               where=where)
    expect_raw = raw.get("expect", {}) or {}
    if not isinstance(expect_raw, dict) or not expect_raw:
        raise LibraryError("field 'testbench.expect' must map figures to [lo, hi]", where=where)
    expect = {}
    for fig, rng in expect_raw.items():
        if not (isinstance(rng, list) and len(rng) == 2 and all(v is None or isinstance(v, (int, float)) for v in rng)):
            raise LibraryError(f"field 'testbench.expect.{fig}' must be [lo, hi] (numbers or null)", where=where)
        expect[str(fig)] = (None if rng[0] is None else float(rng[0]), None if rng[1] is None else float(rng[1]))
    return Testbench(kind, MappingProxyType(dict(stimulus)), MappingProxyType(expect), str(raw.get("notes", "") or ""))


def _format_param(value: object) -> str:
    if isinstance(value, bool):
        raise LibraryError(f"parameter value {value!r} is not a number")
    if isinstance(value, (int, float)):
        return f"{value:g}"
    return str(value).strip()


def _number(text: str) -> float | None:
    """A SPICE number's value (``2u`` -> 2e-6), or None when ``text`` is not one."""
    from chipsmith.spice.units import parse_value

    try:
        return float(parse_value(str(text)))
    except Exception:  # NetlistError or ValueError: either way, not a number
        return None


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """(first line number, text) of each card with ``+`` continuations joined, comments dropped."""
    cards: list[tuple[int, str]] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split(";")[0].split("$ ")[0].rstrip()
        stripped = line.strip()
        if not stripped or stripped.startswith("*"):
            continue
        if stripped.startswith("+") and cards:
            cards[-1] = (cards[-1][0], cards[-1][1] + " " + stripped[1:].strip())
        else:
            cards.append((number, stripped))
    return cards


def _subckt_header(text: str, where: str) -> tuple[str, list[str], dict[str, str], int]:
    """Name, ports, params and line of the file's single ``.subckt`` card."""
    cards = _logical_lines(text)
    heads = [(n, c) for n, c in cards if c.lower().startswith(".subckt")]
    ends = [n for n, c in cards if c.lower().split()[0] == ".ends"]
    if len(heads) != 1 or len(ends) != 1:
        raise LibraryError(f"expected exactly one .subckt ... .ends, found {len(heads)} .subckt and "
                           f"{len(ends)} .ends", where=where)
    for n, c in cards:
        head = c.split()[0].lower()
        if head.startswith(".") and head not in (".subckt", ".ends", ".model", ".param"):
            raise LibraryError(f"card {head} is not allowed in a library block", where=f"{where}:{n}",
                               fix="blocks hold elements, local .model and .param only")
        if head.startswith(".include") or head.startswith(".lib"):
            raise LibraryError("blocks must not include files", where=f"{where}:{n}")
    line, card = heads[0]
    card = re.sub(r"\s*=\s*", "=", card)
    tokens = card.split()
    if len(tokens) < 2:
        raise LibraryError(".subckt card without a name", where=f"{where}:{line}")
    name, ports, params, in_params = tokens[1].lower(), [], {}, False
    for tok in tokens[2:]:
        low = tok.lower()
        if low == "params:":
            in_params = True
            continue
        if "=" in low:
            in_params = True
            key, _, value = low.partition("=")
            params[key] = value
        elif in_params:
            raise LibraryError(f"port {tok!r} after the params of .subckt", where=f"{where}:{line}")
        elif not _NAME.match(low):
            raise LibraryError(f"bad port name {tok!r} on the .subckt card", where=f"{where}:{line}",
                               fix="ports are plain names: letters, digits, _")
        else:
            ports.append(low)
    return name, ports, params, line


def _parse_check(text: str, where: str, name: str, ports: list[str]) -> None:
    """Check the block against the safety whitelist, parse it with the netlist parser
    and compare the parser's view of the ``.subckt`` with the metadata."""
    from chipsmith.errors import NetlistError, UnsafeNetlistError
    from chipsmith.spice.parser import parse_netlist
    from chipsmith.spice.safety import check_safe

    try:
        check_safe(text, source=where, first_line_is_title=False)
    except UnsafeNetlistError as exc:
        raise LibraryError(f"the subcircuit fails the safety whitelist: {exc.one_line()}") from None
    try:
        netlist = parse_netlist(text, source=where, first_line_is_title=False)
    except NetlistError as exc:
        raise LibraryError(f"the subcircuit does not parse: {exc.one_line()}") from None
    sub = netlist.subckt(name)
    if sub is None or [p.lower() for p in sub.ports] != ports:
        raise LibraryError(f"the parser sees ports {getattr(sub, 'ports', None)} for {name}, expected {ports}",
                           where=where)
    if not sub.elements:
        raise LibraryError(f"subcircuit {name} has no elements", where=where)


# --- search -------------------------------------------------------------------------------

_STOP = {"a", "an", "the", "of", "and", "or", "to", "in", "on", "for", "with", "by", "from", "into", "as", "at",
         "is", "it", "its", "that", "this", "be", "are", "i", "me", "need", "want", "use", "using", "block",
         "circuit", "one", "two"}
_SYNONYMS = {"nmos": ("nch", "n"), "pmos": ("pch", "p"), "amplifier": ("amp", "gain"), "amp": ("amplifier", "gain"),
             "opamp": ("ota", "amplifier"), "ota": ("opamp", "amplifier"), "comparator": ("latch",),
             "latch": ("comparator",), "follower": ("buffer", "drain"), "buffer": ("follower",),
             "mirror": ("current",), "bandgap": ("reference",), "ldo": ("regulator", "pass"),
             "regulator": ("ldo",), "differential": ("diff",), "diff": ("differential",),
             "compensation": ("miller",), "miller": ("compensation",)}


def _tokens(text: str) -> list[str]:
    words = re.findall(r"[a-z0-9]+", text.lower().replace("-", " ").replace("_", " "))
    out = []
    for w in words:
        if w in _STOP:
            continue
        w = w[:-1] if len(w) > 4 and w.endswith("s") and not w.endswith("ss") else w
        out.append(w)
    return out


def _search_text(block: Block) -> str:
    return " ".join([block.name, block.type, block.polarity, block.description, " ".join(block.tags),
                     " ".join(block.tags)])


class _TfIdf:
    """Cosine similarity of TF-IDF vectors: small, deterministic, no dependencies."""

    def __init__(self, docs: Sequence[str]):
        self.docs = [Counter(_tokens(d)) for d in docs]
        n = len(self.docs)
        df = Counter(t for d in self.docs for t in d)
        self.idf = {t: math.log((1 + n) / (1 + c)) + 1.0 for t, c in df.items()}
        self.vectors = [self._vec(d) for d in self.docs]

    def _vec(self, counts: Counter) -> dict[str, float]:
        vec = {t: (1 + math.log(c)) * self.idf.get(t, 0.0) for t, c in counts.items()}
        norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
        return {t: v / norm for t, v in vec.items()}

    def scores(self, query: str) -> list[float]:
        words = _tokens(query)
        expanded = Counter(words)
        for w in words:
            for syn in _SYNONYMS.get(w, ()):
                expanded[syn] += 0.5
        q = {t: c for t, c in expanded.items() if t in self.idf}
        qv = {t: (1 + math.log(c) if c >= 1 else c) * self.idf[t] for t, c in q.items()}
        return [sum(v * doc.get(t, 0.0) for t, v in qv.items()) for doc in self.vectors]
