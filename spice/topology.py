"""Topology graphs and structural equivalence of circuits.

A circuit becomes a bipartite :class:`networkx.Graph`: one node per device
(``("dev", name)``, ``kind="device"``, ``label`` = device type: ``nmos``/``pmos`` from
the model type when known, ``npn``/``pnp``, ``r``, ``c``, ``l``, ``d``, ``v``, ``i``,
``e``, ``f``, ``g``, ``h``, ``x:NAME`` for unexpanded subcircuits) and one per net
(``("net", name)``, ``kind="net"``, ``label`` = the port name for named ports, ``gnd``
for ground, empty otherwise). Edges carry ``role``: ``d g s b`` for MOSFETs, ``c b e``
for BJTs, ``a k`` for diodes, ``+ - c+ c-`` for sources, one shared ``t`` for both ends
of R/C/L (they are symmetric); a device with two terminals on one net gets the roles
joined (``d+g`` for a diode-connected MOSFET). F/H sources link to their controlling
source through a ``ctrl`` pseudo-net.

Two circuits are *equivalent* when their graphs are isomorphic with matching labels and
roles: sizes, values and instance/internal net names do not matter; named ports do.
X instances are flattened to devices when their definition is available.
"""
from __future__ import annotations

from typing import Iterable, Mapping, Union

import networkx as nx

from chipsmith.errors import NetlistError
from chipsmith.spice.netlist import TERMINALS, Element, Model, Netlist, Subckt, is_ground

Circuit = Union[Netlist, Subckt]
MAX_DEPTH = 32


def _roles(e: Element, definition: Subckt | None) -> list[tuple[str, str]]:
    if e.kind in "RCL":
        return [("t", n) for n in e.nodes]
    if e.kind == "X":
        if definition is not None and len(definition.ports) == len(e.nodes):
            return list(zip(definition.ports, e.nodes))
        return [(f"p{i}", n) for i, n in enumerate(e.nodes)]
    return list(zip(TERMINALS[e.kind], e.nodes))


class _Builder:
    def __init__(self, subckts: Mapping[str, Subckt], models: Mapping[str, Model], flatten: bool) -> None:
        self.subckts = subckts
        self.models = models
        self.flatten = flatten
        self.graph = nx.Graph()

    def device_label(self, e: Element, local_models: Mapping[str, Model]) -> str:
        if e.kind in "MQ":
            model = local_models.get(e.model or "") or self.models.get(e.model or "")
            wanted = ("nmos", "pmos") if e.kind == "M" else ("npn", "pnp")
            if model is not None and model.type in wanted:
                return model.type
            return f"{e.kind.lower()}:{e.model}"
        if e.kind == "X":
            return f"x:{e.model}"
        return e.kind.lower()

    def net(self, name: str, ports: Mapping[str, str]) -> tuple[str, str]:
        node = ("net", "0" if is_ground(name) else name)
        if node not in self.graph:
            label = "gnd" if is_ground(name) else ports.get(name, "")
            self.graph.add_node(node, kind="net", label=label)
        return node

    def add(self, elements: Iterable[Element], local_models: Mapping[str, Model], prefix: str,
            netmap: Mapping[str, str], ports: Mapping[str, str], stack: tuple[str, ...]) -> None:
        def outer(net: str) -> str:
            if is_ground(net):
                return "0"
            return netmap.get(net, prefix + net)

        for e in elements:
            definition = self.subckts.get(e.model or "") if e.kind == "X" else None
            if definition is not None and self.flatten and len(definition.ports) == len(e.nodes):
                if definition.name in stack or len(stack) >= MAX_DEPTH:
                    raise NetlistError(f"subcircuit {definition.name} instantiates itself through {e.name}",
                                       where=e.where)
                inner_map = {p: outer(n) for p, n in zip(definition.ports, e.nodes)}
                self.add(definition.elements, definition.models, f"{prefix}{e.name}/", inner_map, ports,
                         stack + (definition.name,))
                continue
            device = ("dev", prefix + e.name)
            self.graph.add_node(device, kind="device", label=self.device_label(e, local_models))
            roles: dict[tuple[str, str], list[str]] = {}
            for role, net in _roles(e, definition):
                roles.setdefault(self.net(outer(net), ports), []).append(role)
            for node, names in roles.items():
                self.graph.add_edge(device, node, role="+".join(sorted(names)))
            if e.kind in "FH" and e.control:
                ctrl = ("ctrl", prefix + e.name)
                self.graph.add_node(ctrl, kind="net", label="ctrl")
                self.graph.add_edge(device, ctrl, role="out")
                self.graph.add_edge(("dev", prefix + e.control), ctrl, role="in")


def to_graph(circuit: Circuit, *, ports: Iterable[str] | None = None, flatten: bool = True,
             subckts: Mapping[str, Subckt] | None = None, models: Mapping[str, Model] | None = None) -> nx.Graph:
    """The bipartite device/net graph of a netlist (top level) or a subcircuit body.

    ``ports``: nets whose names matter (labelled); default: a subcircuit's own ports,
    none for a netlist. ``subckts``/``models``: extra definitions (e.g. from the block
    library) used to flatten X instances and to type MOSFETs.
    """
    if isinstance(circuit, Netlist):
        defs = {**(subckts or {}), **circuit.subckts}
        all_models = {**(models or {}), **circuit.models}
        elements, local_models = circuit.elements, {}
        port_list = tuple(ports) if ports is not None else ()
    elif isinstance(circuit, Subckt):
        defs = dict(subckts or {})
        all_models = dict(models or {})
        elements, local_models = circuit.elements, circuit.models
        port_list = tuple(ports) if ports is not None else circuit.ports
    else:
        raise NetlistError(f"to_graph needs a Netlist or Subckt, got {type(circuit).__name__}")
    port_map = {p.lower(): p.lower() for p in port_list}
    builder = _Builder(defs, all_models, flatten)
    builder.add(elements, local_models, "", {}, port_map, (circuit.name,) if isinstance(circuit, Subckt) else ())
    for port in port_list:  # a named port that nothing touches still counts
        builder.net(port.lower(), port_map)
    # A controlling source that is not in the circuit would leave an unlabelled node.
    for node, data in list(builder.graph.nodes(data=True)):
        if "kind" not in data:
            builder.graph.nodes[node].update(kind="device", label="missing")
    return builder.graph


def _node_match(a: dict, b: dict) -> bool:
    return a["kind"] == b["kind"] and a["label"] == b["label"]


def _edge_match(a: dict, b: dict) -> bool:
    return a["role"] == b["role"]


def _signature(graph: nx.Graph) -> tuple:
    labels = sorted((d["kind"], d["label"], graph.degree(n)) for n, d in graph.nodes(data=True))
    roles = sorted(d["role"] for _, _, d in graph.edges(data=True))
    return graph.number_of_nodes(), graph.number_of_edges(), tuple(labels), tuple(roles)


def graphs_equivalent(g1: nx.Graph, g2: nx.Graph) -> bool:
    """Labelled isomorphism of two graphs made by :func:`to_graph`."""
    if _signature(g1) != _signature(g2):
        return False
    return nx.is_isomorphic(g1, g2, node_match=_node_match, edge_match=_edge_match)


def equivalent(a: Circuit, b: Circuit, *, ports: Iterable[str] | None = None, flatten: bool = True,
               subckts: Mapping[str, Subckt] | None = None, models: Mapping[str, Model] | None = None) -> bool:
    """True when ``a`` and ``b`` have the same structure: same devices by type, wired the
    same way by terminal role, with the named ``ports`` in the same places. Sizes,
    values, instance names and internal net names are ignored."""
    port_list = tuple(ports) if ports is not None else None
    g1 = to_graph(a, ports=port_list, flatten=flatten, subckts=subckts, models=models)
    g2 = to_graph(b, ports=port_list, flatten=flatten, subckts=subckts, models=models)
    return graphs_equivalent(g1, g2)


def structure_hash(circuit: Circuit, *, ports: Iterable[str] | None = None, flatten: bool = True,
                   subckts: Mapping[str, Subckt] | None = None, models: Mapping[str, Model] | None = None) -> str:
    """A Weisfeiler-Lehman hash of the topology graph: equal for equivalent circuits
    (different hashes prove non-equivalence; equal hashes almost always mean equivalent)."""
    graph = to_graph(circuit, ports=ports, flatten=flatten, subckts=subckts, models=models)
    for _, data in graph.nodes(data=True):
        data["wl"] = f"{data['kind']}:{data['label']}"
    return nx.weisfeiler_lehman_graph_hash(graph, node_attr="wl", edge_attr="role")


__all__ = ["to_graph", "equivalent", "graphs_equivalent", "structure_hash"]
