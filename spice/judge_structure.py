"""Structural facts about a design, read from its flattened topology graph.

The judge asks questions of a design's wiring only: which devices exist, which are
diode-connected, stacked (cascode), paired (differential pair, mirror), which gain
stages the signal crosses from the input ports to the output ports and what loads each
stage. Everything comes from :func:`chipsmith.spice.topology.to_graph` of the design
subcircuit (X instances flattened), never from comments or metadata in the file.

Stage counting: a transistor is a gain stage when the signal enters at its gate and
leaves at its drain (common source) or enters at its source from a node that no other
transistor's drain drives and leaves at its drain (common gate); a transistor whose
source takes the signal from another transistor's drain is a cascode of that stage (no
new stage); gate -> drain through a mirror (the gate net is a diode-connected node) is the
mirror's current copy (no new stage); gate -> source is a follower (no gain stage, but a
followers-only path counts as one stage). Passive elements carry the signal without a
stage. The count is the largest number of stages over simple paths input -> output.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Mapping

from chipsmith.spice.netlist import Netlist, Subckt
from chipsmith.spice.topology import to_graph

PASSIVE = ("r", "c", "l")
MAX_PATH_STEPS = 200_000


@dataclass(frozen=True)
class Dev:
    """A flattened device: ``label`` nmos/pmos/npn/pnp/r/c/l/d/v/i/e/f/g/h/x:..., pins by role."""

    name: str
    label: str
    pins: Mapping[str, str]  # role -> net; R/C/L use "t1", "t2"

    @property
    def is_mos(self) -> bool:
        return self.label in ("nmos", "pmos")

    @property
    def nets(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(self.pins.values()))

    @property
    def diode_connected(self) -> bool:
        if self.is_mos:
            return self.pins.get("d") == self.pins.get("g")
        if self.label in ("npn", "pnp"):
            return self.pins.get("c") == self.pins.get("b")
        return False


@dataclass
class Structure:
    """The design's devices and the nets that play a fixed role."""

    devices: list[Dev]
    vdd: str
    gnd: str = "0"
    inputs: tuple[str, ...] = ()      # signal input nets
    outputs: tuple[str, ...] = ()     # output nets
    dc_nets: frozenset[str] = frozenset()  # bias / reference / rails
    _paths: list | None = field(default=None, repr=False)

    @property
    def rails(self) -> frozenset[str]:
        return frozenset({self.vdd, self.gnd})

    def count(self, device: str) -> int:
        groups = {"mosfet": ("nmos", "pmos"), "transistor": ("nmos", "pmos", "npn", "pnp"), "bjt": ("npn", "pnp"),
                  "resistor": ("r",), "capacitor": ("c",), "inductor": ("l",), "diode": ("d",)}
        labels = groups.get(device, (device,))
        return sum(1 for d in self.devices if d.label in labels)

    def mos(self, polarity: str | None = None) -> list[Dev]:
        return [d for d in self.devices if d.is_mos and (polarity is None or d.label == polarity)]

    def on_net(self, net: str) -> list[tuple[Dev, str]]:
        return [(d, role) for d in self.devices for role, n in d.pins.items() if n == net]

    def diode_nets(self) -> set[str]:
        """Nets that set a mirror's gate voltage: a diode-connected device's drain, or the
        gate of a device whose drain reaches that gate through a cascode device's channel
        (the cascoded / wide-swing diode)."""
        return set(self.mirror_refs()) - self.rails

    def mirror_refs(self) -> dict[str, set[tuple[str, str]]]:
        """net -> {(polarity, source net)} of the diode(-like) devices that set it: a device
        with its gate on that net, the same polarity and the same source copies its current."""
        refs: dict[str, set[tuple[str, str]]] = {}
        for d in self.mos():
            if d.diode_connected and d.pins["d"] not in self.rails:
                refs.setdefault(d.pins["d"], set()).add((d.label, d.pins["s"]))
        for d in self.mos():
            for c in self.mos(d.label):
                if c is not d and c.pins["s"] == d.pins["d"] and c.pins["d"] == d.pins["g"] \
                        and d.pins["g"] not in self.rails:
                    refs.setdefault(d.pins["g"], set()).add((d.label, d.pins["s"]))
        return refs

    def drain_nets(self) -> set[str]:
        return {d.pins["d"] for d in self.mos()} | {d.pins["c"] for d in self.devices if d.label in ("npn", "pnp")}

    # --- features -------------------------------------------------------------------------
    def diode_devices(self, polarity: str | None = None) -> list[Dev]:
        """Diode-connected MOSFETs: gate on drain at an internal node, or gate and drain on a
        rail with the source at an internal node (the NMOS-to-vdd diode load)."""
        return [d for d in self.mos(polarity) if d.diode_connected
                and (d.pins["d"] not in self.rails or d.pins["s"] not in self.rails)]

    def cascode_pairs(self, polarity: str | None = None) -> list[tuple[Dev, Dev]]:
        """(lower, upper) same-polarity MOSFETs stacked drain-to-source on a private node,
        the upper one's gate on a different net from the lower one's."""
        out = []
        for lower in self.mos(polarity):
            node = lower.pins["d"]
            if node in self.rails or lower.diode_connected:
                continue
            for upper in self.mos(lower.label):
                if upper is lower or upper.pins["s"] != node or upper.pins["g"] == lower.pins["g"]:
                    continue
                channel = [(d, r) for d, r in self.on_net(node) if d.is_mos and r in ("d", "s")]
                if len(channel) == 2:
                    out.append((lower, upper))
        return out

    def diff_pairs(self, polarity: str | None = None) -> list[tuple[Dev, Dev]]:
        out = []
        mos = self.mos(polarity)
        for i, a in enumerate(mos):
            for b in mos[i + 1:]:
                if (a.label == b.label and a.pins["s"] == b.pins["s"] and a.pins["g"] != b.pins["g"]
                        and not a.diode_connected and not b.diode_connected and a.pins["d"] != b.pins["d"]
                        and a.pins["g"] not in self.rails and b.pins["g"] not in self.rails):
                    out.append((a, b))
        return out

    def mirrors(self, polarity: str | None = None) -> list[tuple[Dev, Dev]]:
        """(diode, copy) pairs: a diode-connected MOSFET whose gate net drives another
        same-polarity MOSFET's gate."""
        out = []
        for diode in self.diode_devices(polarity):
            if diode.pins["g"] in self.rails:
                continue
            for other in self.mos(diode.label):
                if other is not diode and other.pins["g"] == diode.pins["g"] and not other.diode_connected:
                    out.append((diode, other))
        # cascoded (wide-swing) references: the device's drain reaches its own gate through a
        # cascode channel; its copies share gate, polarity and source
        for g, refs in self.mirror_refs().items():
            for ref in self.mos(polarity):
                if ref.pins["g"] != g or ref.diode_connected or (ref.label, ref.pins["s"]) not in refs:
                    continue
                if not any(c.pins["s"] == ref.pins["d"] and c.pins["d"] == g for c in self.mos(ref.label)):
                    continue
                for other in self.mos(ref.label):
                    if other is not ref and other.pins["g"] == g and other.pins["s"] == ref.pins["s"]:
                        out.append((ref, other))
        return out

    def tail_sources(self) -> list[Dev]:
        tails = {a.pins["s"] for a, _ in self.diff_pairs()}
        return [d for d in self.mos() if d.pins["d"] in tails and d.pins["d"] not in self.rails]

    def cross_coupled(self) -> list[tuple[Dev, Dev]]:
        mos = self.mos()
        return [(a, b) for i, a in enumerate(mos) for b in mos[i + 1:]
                if a.pins["g"] == b.pins["d"] and b.pins["g"] == a.pins["d"] and a.pins["d"] != b.pins["d"]]

    def followers(self) -> list[Dev]:
        return [d for d in self.mos() if not d.diode_connected and d.pins["d"] in self.rails
                and d.pins["s"] not in self.rails and d.pins["g"] not in self.dc_nets]

    def push_pull(self) -> list[tuple[Dev, Dev]]:
        return [(n, p) for n in self.mos("nmos") for p in self.mos("pmos")
                if n.pins["d"] == p.pins["d"] and not n.diode_connected and not p.diode_connected
                and n.pins["s"] == self.gnd and p.pins["s"] == self.vdd]

    def degenerated(self) -> list[Dev]:
        out = []
        for d in self.mos():
            s = d.pins["s"]
            if s in self.rails:
                continue
            for other, _ in self.on_net(s):
                if other.label == "r" and set(other.nets) & self.rails:
                    out.append(d)
                    break
        return out

    def passive_reach(self, start: str, stop: Iterable[str] = ()) -> set[str]:
        """Nets reachable from ``start`` through R/C/L only (rails and ``stop`` not crossed)."""
        blocked = set(self.rails) | set(stop)
        seen, todo = {start}, [start]
        while todo:
            net = todo.pop()
            for dev, _ in self.on_net(net):
                if dev.label in PASSIVE:
                    for n in dev.nets:
                        if n not in seen and n not in blocked:
                            seen.add(n)
                            todo.append(n)
        return seen

    def feedback_paths(self) -> list[str]:
        """Gate nets of transistors reached from an output net through passive elements only
        (or wired directly to an output): the output is fed back into the circuit."""
        gates = {d.pins["g"] for d in self.mos()} | {d.pins["b"] for d in self.devices if d.label in ("npn", "pnp")}
        gates |= {d.pins[k] for d in self.devices if d.label in ("e", "g") for k in ("c+", "c-") if k in d.pins}
        found = []
        for out in self.outputs:
            reach = self.passive_reach(out, stop=self.inputs)
            for net in sorted(reach & gates):
                # the output transistor's own gate through its Miller cap is not feedback to the input side
                if net == out or net in self.inputs:
                    if net == out and any(d.pins.get("g") == out for d in self.mos()):
                        found.append(net)
                    continue
                found.append(net)
        return found

    def miller_caps(self) -> list[Dev]:
        """Capacitors (possibly with a series resistor) from a transistor's gate to its drain."""
        out = []
        for dev in self.mos():
            g, d = dev.pins["g"], dev.pins["d"]
            if g == d or g in self.rails or d in self.rails:
                continue
            reach = self.passive_reach(g, stop=[d])
            for cap in self.devices:
                if cap.label == "c" and d in cap.nets and (set(cap.nets) - {d}) & reach:
                    out.append(cap)
        return out

    # --- signal path ----------------------------------------------------------------------
    def _edges(self) -> dict[str, list[tuple[str, int, Dev | None, str]]]:
        """net -> [(next net, stage weight, device, how)] for signal flow."""
        edges: dict[str, list] = {}
        refs = self.mirror_refs()
        signal = self._signal_reach()
        # a node is "driven from a stage below" (so a device with its source there is a
        # cascode, not a common-gate stage) when a transistor whose gate or source carries
        # the signal has its drain on it; a DC current source's drain does not count
        drains = {d.pins["d"] for d in self.mos() if d.pins["g"] in signal or d.pins["s"] in signal}
        drains -= set(self.inputs)
        blocked = self.rails | self.dc_nets
        for d in self.devices:
            if d.is_mos or d.label in ("npn", "pnp"):
                g, s, dr = (d.pins["g"], d.pins["s"], d.pins["d"]) if d.is_mos else (d.pins["b"], d.pins["e"],
                                                                                     d.pins["c"])
                if g != dr and dr not in self.rails:
                    # a copy of a mirror reference (same polarity and source as the diode) moves
                    # the current over, it is not a new stage; any other device on a diode
                    # net (e.g. the next stage after a diode load) is
                    weight = 0 if d.is_mos and (d.label, s) in refs.get(g, ()) else 1
                    edges.setdefault(g, []).append((dr, weight, d, "mirror" if weight == 0 else "cs"))
                if s not in self.rails and dr not in self.rails and s != dr:
                    weight = 0 if s in drains else 1
                    edges.setdefault(s, []).append((dr, weight, d, "cascode" if weight == 0 else "cg"))
                if s not in self.rails and g != s:
                    edges.setdefault(g, []).append((s, 0, d, "follower"))
            elif d.label in PASSIVE and len(d.nets) == 2:
                a, b = d.nets
                edges.setdefault(a, []).append((b, 0, d, "passive"))
                edges.setdefault(b, []).append((a, 0, d, "passive"))
            elif d.label in ("e", "g") and "c+" in d.pins:
                edges.setdefault(d.pins["c+"], []).append((d.pins["+"], 1, d, "vcvs"))
                edges.setdefault(d.pins.get("c-", ""), []).append((d.pins["+"], 1, d, "vcvs"))
        for net in list(edges):
            edges[net] = [e for e in edges[net] if e[0] not in blocked]
        return edges

    def _signal_reach(self) -> set[str]:
        """Nets the input signal reaches through any device (gate->drain/source, source->drain,
        passives), not crossing rails or DC nets."""
        blocked = self.rails | self.dc_nets
        seen, todo = set(self.inputs), list(self.inputs)
        while todo:
            net = todo.pop()
            for dev, role in self.on_net(net):
                if dev.is_mos:
                    nxt = [dev.pins["d"], dev.pins["s"]] if role == "g" else (
                        [dev.pins["d"]] if role == "s" else [])
                elif dev.label in PASSIVE:
                    nxt = list(dev.nets)
                else:
                    nxt = []
                for n in nxt:
                    if n not in seen and n not in blocked:
                        seen.add(n)
                        todo.append(n)
        return seen

    def signal_paths(self) -> list[list[tuple[str, int, Dev | None, str]]]:
        """Every simple path (as edge lists) from an input net to an output net, with the
        largest stage count first."""
        if self._paths is not None:
            return self._paths
        edges = self._edges()
        outputs = set(self.outputs)
        paths: list = []
        steps = 0

        def walk(net: str, visited: set[str], path: list) -> None:
            nonlocal steps
            steps += 1
            if steps > MAX_PATH_STEPS:
                return
            if net in outputs and path:
                paths.append(list(path))
                # a path goes no further than the first output it reaches: going on from one output
                # of a differential pair to the other runs through common-mode feedback, not a stage
                if len(outputs) > 1:
                    return
            for nxt in edges.get(net, ()):
                if nxt[0] not in visited:
                    visited.add(nxt[0])
                    path.append(nxt)
                    walk(nxt[0], visited, path)
                    path.pop()
                    visited.discard(nxt[0])

        for start in self.inputs:
            walk(start, {start}, [])
        paths.sort(key=lambda p: -self._stages(p))
        self._paths = paths
        return paths

    @staticmethod
    def _stages(path: list) -> int:
        n = sum(e[1] for e in path)
        if n == 0 and any(e[3] == "follower" for e in path):
            return 1
        return n

    def stage_count(self) -> int | None:
        paths = self.signal_paths()
        return self._stages(paths[0]) if paths else None

    def stage_devices(self) -> list[list[Dev]]:
        """For each stage index (0-based), the gain devices found at that index on the paths
        with the largest stage count."""
        paths = self.signal_paths()
        if not paths:
            return []
        best = self._stages(paths[0])
        stages: list[list[Dev]] = [[] for _ in range(best)]
        for path in paths:
            if self._stages(path) != best:
                continue
            k = 0
            for _, weight, dev, how in path:
                if weight:
                    if dev not in stages[k]:
                        stages[k].append(dev)
                    k += 1
            if k == 0:
                followers = [e[2] for e in path if e[3] == "follower"]
                if followers and followers[0] not in stages[0]:
                    stages[0].append(followers[0])
        return stages

    def load_types(self, amp: Dev) -> set[str]:
        """What loads ``amp``'s output node: resistor, diode (nmos_diode/pmos_diode), mirror
        (a transistor whose gate carries the signal), current_source (gate at a DC node),
        cascode (the load transistor is stacked)."""
        out_net = amp.pins["d"] if amp.is_mos else amp.pins.get("c", "")
        follower = amp.is_mos and out_net in self.rails
        if follower:  # a follower: the load sits on its source
            out_net = amp.pins["s"]
        found: set[str] = set()
        signal_nets = {e[0] for p in self.signal_paths() for e in p} | set(self.inputs)
        # walk up through cascode devices to the node the load sits on
        nets = {out_net}
        for lower, upper in self.cascode_pairs(amp.label if amp.is_mos else None):
            if lower.pins["d"] == out_net:
                nets.add(upper.pins["d"])
        for net in nets:
            for dev, role in self.on_net(net):
                if dev is amp:
                    continue
                if dev.label == "r" and (set(dev.nets) - {net}) & self.rails:
                    found.add("resistor")
                elif dev.is_mos and dev.diode_connected and role == "s" and dev.pins["d"] in self.rails:
                    found.update({"diode", f"{dev.label}_diode"})
                elif dev.is_mos and dev.diode_connected and role in ("d", "g") and dev.label != amp.label:
                    found.update({"diode", f"{dev.label}_diode"})
                elif dev.is_mos and dev.diode_connected and role in ("d", "g") and dev.label == amp.label \
                        and dev.pins["s"] in self.rails:
                    found.update({"diode", f"{dev.label}_diode"})
                elif dev.is_mos and role == "d" and (dev.label != amp.label or follower) and \
                        not dev.diode_connected:
                    # (a follower's load on its source may be of either polarity: an NMOS current sink)
                    kind = "mirror" if dev.pins["g"] in signal_nets and dev.pins["g"] in self.diode_nets() \
                        else "current_source"
                    found.update({kind, "active"})
                    if dev.pins["s"] not in self.rails:
                        found.add("cascode")
        if "mirror" in found:
            found.add("current_source")
        return found


def _as_devices(graph) -> list[Dev]:
    devices = []
    for node, data in graph.nodes(data=True):
        if data.get("kind") != "device" or node[0] != "dev":
            continue
        pins: dict[str, str] = {}
        k = 0
        for _, nb, edata in graph.edges(node, data=True):
            if nb[0] != "net":
                continue
            for role in edata["role"].split("+"):
                if role == "t":
                    k += 1
                    pins[f"t{k}"] = nb[1]
                else:
                    pins[role] = nb[1]
        devices.append(Dev(node[1], data["label"], pins))
    devices.sort(key=lambda d: d.name)
    return devices


def design_structure(netlist: Netlist, subckt: Subckt, *, vdd: str, inputs: Iterable[str], outputs: Iterable[str],
                     dc_nets: Iterable[str], ground: str = "0") -> Structure:
    """The flattened structure of ``subckt`` (a design) with its fixed-role nets named."""
    graph = to_graph(subckt, subckts=netlist.subckts, models=netlist.models)
    low = lambda names: tuple(n.lower() for n in names)  # noqa: E731
    gnd = "0" if ground.lower() in ("gnd", "0") else ground.lower()
    return Structure(_as_devices(graph), vdd.lower(), gnd, low(inputs), low(outputs),
                     frozenset(low(dc_nets)) | {vdd.lower(), gnd})


__all__ = ["Dev", "Structure", "design_structure"]
