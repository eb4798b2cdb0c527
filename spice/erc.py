"""Electrical rule checks (ERC) on a parsed netlist.

Each check looks at one scope at a time: the top level (whose external nets are
``top_ports``) and every ``.subckt`` body (whose external nets are its ports). Codes:

========================  ========  ===============================================
code                      severity  fires when
========================  ========  ===============================================
``single-connection``     error     a net touches only one device (dangling wire);
                                    a warning when that device is a V source
``mosfet-gate-open``      error     a MOSFET gate net touches nothing else
``mosfet-bulk-open``      error     a MOSFET bulk net touches nothing else
``no-dc-path``            error     nets reach neither ground nor a port through DC
                                    conducting devices (only capacitors, current
                                    sources, controlled-source inputs or gates)
``no-ground``             error     top-level elements exist but none touches ground
``shorted-supply``        error     a loop of independent voltage sources (two
                                    sources across the same nets, a 0 V source
                                    across a supply, a source shorted on one net)
``voltage-loop``          error     a loop of voltage-defined branches (V, E, H, L)
``unknown-model``         error     D/M/Q (or R/C/L with a model) names no model
``model-type-mismatch``   error     e.g. a MOSFET whose model is not nmos/pmos
``unknown-subckt``        error     an X instance names no subcircuit
``port-count-mismatch``   error     an X instance has a different number of nodes
                                    than its subcircuit has ports
``recursive-subckt``      error     a subcircuit instantiates itself
``unknown-control``       error     F/H controlling source is not a V in scope
``unused-port``           warning   a subcircuit port no element uses
========================  ========  ===============================================

Unknown models/subcircuits are warnings instead of errors when the netlist has
``.include``/``.lib`` cards that were not resolved (``known_*`` not given).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping, Sequence

from chipsmith.spice.netlist import Element, Model, Netlist, Subckt, is_ground

ERROR = "error"
WARNING = "warning"

_MODEL_TYPES = {"M": ("nmos", "pmos"), "Q": ("npn", "pnp"), "D": ("d",), "R": ("r", "res"), "C": ("c", "cap"),
                "L": ("l", "ind")}


@dataclass(frozen=True)
class ErcFinding:
    """One ERC result: ``code`` (see module doc), ``severity`` (error|warning), a
    one-line ``message`` and ``where`` (``file:line`` of the element or subcircuit)."""

    code: str
    severity: str
    message: str
    where: str | None = None
    subckt: str | None = None
    net: str | None = None


def _norm(net: str) -> str:
    return "0" if is_ground(net) else net


class _UnionFind:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        parent = self.parent
        parent.setdefault(x, x)
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:
            parent[x], x = root, parent[x]
        return root

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[ra] = rb

    def connected(self, a: str, b: str) -> bool:
        return self.find(a) == self.find(b)


def _known_models(known: Mapping[str, object] | Iterable[str] | None) -> dict[str, str | None] | None:
    if known is None:
        return None
    if isinstance(known, Mapping):
        out: dict[str, str | None] = {}
        for name, value in known.items():
            if isinstance(value, Model):
                out[name.lower()] = value.type
            else:
                out[name.lower()] = str(value).lower() if isinstance(value, str) else None
        return out
    return {str(name).lower(): None for name in known}


def _known_subckts(known: Mapping[str, object] | Iterable[str] | None) -> dict[str, object] | None:
    if known is None:
        return None
    if isinstance(known, Mapping):
        return {name.lower(): value for name, value in known.items()}
    return {str(name).lower(): None for name in known}


def _port_count(value: object) -> int | None:
    if isinstance(value, Subckt):
        return len(value.ports)
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, (list, tuple)):
        return len(value)
    return None


class _Checker:
    def __init__(self, netlist: Netlist, known_models, known_subckts) -> None:
        self.netlist = netlist
        self.known_models = _known_models(known_models)
        self.known_subckts = _known_subckts(known_subckts)
        self.unresolved = bool(netlist.includes) and (self.known_models is None or self.known_subckts is None)
        self.findings: list[ErcFinding] = []
        self._dc_cache: dict[str, tuple[list[set[int]], set[int]]] = {}

    def add(self, code: str, severity: str, message: str, where: str | None, scope: Subckt | None,
            net: str | None = None) -> None:
        self.findings.append(ErcFinding(code, severity, message, where, scope.name if scope else None, net))

    # --- references -------------------------------------------------------------------

    def model_type(self, name: str, scope: Subckt | None) -> tuple[bool, str | None]:
        if scope is not None and name in scope.models:
            return True, scope.models[name].type
        if name in self.netlist.models:
            return True, self.netlist.models[name].type
        if self.known_models is not None and name in self.known_models:
            return True, self.known_models[name]
        # Binned model sets (nch.1, nch.2, ...) answer to their base name in ngspice.
        prefix = name + "."
        for table in ((scope.models if scope is not None else {}), self.netlist.models, self.known_models or {}):
            for key, value in table.items():
                if key.startswith(prefix):
                    return True, value.type if isinstance(value, Model) else value
        return False, None

    def subckt_def(self, name: str) -> tuple[bool, object]:
        if name in self.netlist.subckts:
            return True, self.netlist.subckts[name]
        if self.known_subckts is not None and name in self.known_subckts:
            return True, self.known_subckts[name]
        return False, None

    def check_references(self, elements: Sequence[Element], scope: Subckt | None) -> None:
        sources = {e.name for e in elements if e.kind == "V"}
        missing_severity = WARNING if self.unresolved else ERROR
        hint = " (it may come from an unresolved .include/.lib)" if self.unresolved else ""
        for e in elements:
            if e.model is not None and e.kind in _MODEL_TYPES:
                found, mtype = self.model_type(e.model, scope)
                if not found:
                    self.add("unknown-model", missing_severity, f"{e.name} uses model {e.model}, which is not "
                             f"defined{hint}", e.where, scope)
                elif mtype is not None and mtype not in _MODEL_TYPES[e.kind]:
                    self.add("model-type-mismatch", ERROR, f"{e.name} uses model {e.model} of type {mtype}; "
                             f"expected {' or '.join(_MODEL_TYPES[e.kind])}", e.where, scope)
            elif e.kind == "X":
                if scope is not None and e.model == scope.name:
                    self.add("recursive-subckt", ERROR, f"{e.name} instantiates {scope.name} inside itself",
                             e.where, scope)
                    continue
                found, definition = self.subckt_def(e.model or "")
                if not found:
                    self.add("unknown-subckt", missing_severity, f"{e.name} instantiates subcircuit {e.model}, "
                             f"which is not defined{hint}", e.where, scope)
                    continue
                count = _port_count(definition)
                if count is not None and count != len(e.nodes):
                    self.add("port-count-mismatch", ERROR, f"{e.name} connects {len(e.nodes)} nodes but "
                             f"subcircuit {e.model} has {count} ports", e.where, scope)
            elif e.kind in "FH" and e.control not in sources:
                self.add("unknown-control", ERROR, f"{e.name} is controlled by {e.control}, which is not a "
                         "voltage source in the same scope", e.where, scope)

    # --- connectivity -----------------------------------------------------------------

    def check_connections(self, elements: Sequence[Element], scope: Subckt | None, ports: set[str]) -> None:
        users: dict[str, dict[str, list[str]]] = {}
        first: dict[str, Element] = {}
        for e in elements:
            for role, net in e.terminals():
                net = _norm(net)
                users.setdefault(net, {}).setdefault(e.name, []).append(role if e.kind == "M" else "")
                first.setdefault(net, e)
        for net, devices in users.items():
            if net == "0" or net in ports or len(devices) != 1:
                continue
            (name, roles), = devices.items()
            e = first[net]
            if e.kind == "M" and roles == ["g"]:
                self.add("mosfet-gate-open", ERROR, f"gate of {name} is on net {net}, which nothing else drives",
                         e.where, scope, net)
            elif e.kind == "M" and roles == ["b"]:
                self.add("mosfet-bulk-open", ERROR, f"bulk of {name} is on net {net}, which nothing else "
                         "connects (tie it to the source or a supply)", e.where, scope, net)
            elif e.kind == "V":
                # A source driving an unused net is harmless to the simulation; say so, don't fail.
                self.add("single-connection", WARNING, f"net {net} connects only to source {name}", e.where, scope,
                         net)
            else:
                self.add("single-connection", ERROR, f"net {net} connects only to {name}", e.where, scope, net)
        if scope is not None:
            for port in scope.ports:
                if _norm(port) not in users:
                    self.add("unused-port", WARNING, f"port {port} of {scope.name} is not used inside it",
                             f"{scope.source}:{scope.line}", scope, port)

    def check_voltage_loops(self, elements: Sequence[Element], scope: Subckt | None) -> None:
        only_v = _UnionFind()
        branches = _UnionFind()
        for e in elements:
            if e.kind not in "VEHL":
                continue
            a, b = _norm(e.nodes[0]), _norm(e.nodes[1])
            if e.kind == "V":
                if a == b:
                    self.add("shorted-supply", ERROR, f"voltage source {e.name} has both terminals on net {a}",
                             e.where, scope, a)
                elif only_v.connected(a, b):
                    self.add("shorted-supply", ERROR, f"voltage source {e.name} is in parallel with other "
                             f"voltage sources between {a} and {b} (a short between supplies)", e.where, scope, a)
                elif branches.connected(a, b):
                    self.add("voltage-loop", ERROR, f"voltage source {e.name} closes a loop of voltage "
                             f"sources/inductors between {a} and {b}", e.where, scope, a)
                only_v.union(a, b)
            elif a != b and branches.connected(a, b):
                self.add("voltage-loop", ERROR, f"{e.name} closes a loop of voltage sources/inductors between "
                         f"{a} and {b}", e.where, scope, a)
            branches.union(a, b)

    def dc_groups(self, sub: Subckt, stack: tuple[str, ...] = ()) -> tuple[list[set[int]], set[int]]:
        """Which ports of ``sub`` are DC-connected to each other, and which to ground."""
        if sub.name in self._dc_cache:
            return self._dc_cache[sub.name]
        uf = self.dc_union(sub.elements, stack + (sub.name,))
        groups: dict[str, set[int]] = {}
        grounded: set[int] = set()
        for index, port in enumerate(sub.ports):
            root = uf.find(_norm(port))
            groups.setdefault(root, set()).add(index)
            if root == uf.find("0"):
                grounded.add(index)
        result = (list(groups.values()), grounded)
        self._dc_cache[sub.name] = result
        return result

    def dc_union(self, elements: Sequence[Element], stack: tuple[str, ...]) -> _UnionFind:
        uf = _UnionFind()
        uf.find("0")
        for e in elements:
            nodes = [_norm(n) for n in e.nodes]
            for n in nodes:
                uf.find(n)
            if e.kind in "RLVD":
                uf.union(nodes[0], nodes[1])
            elif e.kind in "EH":
                uf.union(nodes[0], nodes[1])
            elif e.kind in "MQ":
                # Channel and junctions conduct at DC; the MOSFET gate (index 1) does not.
                conducting = [n for i, n in enumerate(nodes) if not (e.kind == "M" and i == 1)]
                for n in conducting[1:]:
                    uf.union(conducting[0], n)
            elif e.kind == "X":
                sub = self.netlist.subckts.get(e.model or "")
                if sub is None or len(sub.ports) != len(nodes) or sub.name in stack:
                    for n in nodes[1:]:  # unknown inside: assume it conducts (no false alarms)
                        uf.union(nodes[0], n)
                    continue
                groups, grounded = self.dc_groups(sub, stack)
                for group in groups:
                    members = sorted(group)
                    for i in members[1:]:
                        uf.union(nodes[members[0]], nodes[i])
                for i in grounded:
                    uf.union(nodes[i], "0")
        return uf

    def check_dc_paths(self, elements: Sequence[Element], scope: Subckt | None, ports: set[str]) -> None:
        if not elements:
            return
        nets = {_norm(n) for e in elements for n in e.nodes}
        if scope is None and "0" not in nets and not ports:
            self.add("no-ground", ERROR, "no element connects to ground (node 0)", elements[0].where, scope)
            return
        uf = self.dc_union(elements, (scope.name,) if scope else ())
        anchored = {uf.find("0")} | {uf.find(_norm(p)) for p in ports}
        islands: dict[str, list[str]] = {}
        for net in sorted(nets):
            root = uf.find(net)
            if root not in anchored:
                islands.setdefault(root, []).append(net)
        reported = {f.net for f in self.findings if f.subckt == (scope.name if scope else None) and f.net}
        for members in islands.values():
            if all(net in reported for net in members):
                continue  # already reported as dangling; one finding per mistake
            e = next(e for e in elements if any(_norm(n) in members for n in e.nodes))
            target = "ground or a port" if scope is not None else "ground"
            label = "net " + members[0] if len(members) == 1 else "nets " + ", ".join(members[:6]) + \
                ("..." if len(members) > 6 else "")
            self.add("no-dc-path", ERROR, f"{label} have no DC path to {target} (only capacitors, current "
                     "sources or gates connect them)" if len(members) > 1 else
                     f"{label} has no DC path to {target} (only capacitors, current sources or gates "
                     "connect it)", e.where, scope, members[0])

    def run(self, top_ports: Iterable[str] | None) -> list[ErcFinding]:
        ports = {_norm(p.lower()) for p in (top_ports or ())}
        scopes: list[tuple[Sequence[Element], Subckt | None, set[str]]] = [(self.netlist.elements, None, ports)]
        for sub in self.netlist.subckts.values():
            scopes.append((sub.elements, sub, {_norm(p) for p in sub.ports}))
        for elements, scope, scope_ports in scopes:
            self.check_references(elements, scope)
            self.check_connections(elements, scope, scope_ports)
            self.check_voltage_loops(elements, scope)
            self.check_dc_paths(elements, scope, scope_ports)
        return self.findings


def run_erc(netlist: Netlist, *, top_ports: Iterable[str] | None = None,
            known_subckts: Mapping[str, object] | Iterable[str] | None = None,
            known_models: Mapping[str, object] | Iterable[str] | None = None) -> list[ErcFinding]:
    """Run every ERC check on ``netlist`` and return the findings (empty when clean).

    ``top_ports`` are top-level nets driven from outside (not dangling, DC-anchored).
    ``known_models`` (names, or name -> type/Model) and ``known_subckts`` (names, or
    name -> Subckt/port count/port list) add definitions that live in included files.
    """
    return _Checker(netlist, known_models, known_subckts).run(top_ports)


def has_errors(findings: Iterable[ErcFinding]) -> bool:
    return any(f.severity == ERROR for f in findings)


__all__ = ["run_erc", "ErcFinding", "has_errors", "ERROR", "WARNING"]
