"""Device-level leaf-cell transistors: every MOSFET of a cell's SPICE subcircuit drawn and wired.

A generic, always-routable scheme (gate-array style), so that any transistor netlist of the
library draws without hand layout:

- **bands**: the NMOS devices (widest first) in rows at the bottom of the cell, the PMOS in
  rows at the top; each device is its own diffusion island with one source contact, a
  poly gate of the netlist's L and one drain contact, W drawn as the active height;
  NMOS bands sit in a p-well with a p+ substrate tap on the VSS rail, PMOS bands in an
  n-well with an n+ tap on the VDD rail; n/p implants over each band;
- **channel**: every band has a routing channel on its inner side with one metal1 track per
  net of the band; every terminal drops to its net's track on a poly column (gate: the
  gate poly itself; source/drain: metal1 stub -> contact -> poly jumper) and meets it with
  a contact. Poly columns cross the metal1 tracks freely, so the channel always routes;
- **rails**: source/drain terminals on VSS (VDD) in the band next to the VSS (VDD) rail go
  straight to the rail on metal1;
- **spines**: a net on tracks of several bands, a pin on a metal3 row line, or a rail net on
  an inner band gets a vertical metal2 spine (via1 to each track, via2 to the row line,
  via1 to a bump of the rail); a pin on a template metal2 track uses that track as its
  spine. Spines sit between the template's column tracks, so they never touch another cell.

All dimensions come from the rule deck (widths, spacings, enclosures, and the ``drawing:``
values POLY.2/3/4 and IMPLANT.1 that the checker does not test). Footprints are not packed
like a foundry bitcell (each device its own island, one track per net): the cost is area,
said in docs/acim.md.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace

from chipsmith.errors import LibraryError
from chipsmith.layout.rules import RuleDeck

GRID = 0.0025
SI = {"f": 1e-15, "p": 1e-12, "n": 1e-9, "u": 1e-6, "m": 1e-3, "k": 1e3, "meg": 1e6, "g": 1e9}


def snap(x: float) -> float:
    return round(round(x / GRID) * GRID, 6)


def snap_up(x: float) -> float:
    return round(math.ceil(x / GRID - 1e-9) * GRID, 6)


@dataclass(frozen=True)
class Mos:
    name: str
    d: str
    g: str
    s: str
    b: str
    model: str
    w: float  # um
    l: float  # um
    polarity: str  # "n" | "p"


def _value(text: str) -> float:
    m = re.fullmatch(r"([-+]?[0-9.]+(?:e[-+]?\d+)?)(meg|[fpnumkg])?", text.lower())
    if not m:
        raise ValueError(text)
    return float(m.group(1)) * (SI[m.group(2)] if m.group(2) else 1.0)


def parse_subckt(spice: str) -> tuple[str, tuple[str, ...], list[Mos]]:
    """(name, ports, MOSFETs) of the first .subckt of a cell's SPICE text. Polarity from the
    model name (``n...`` NMOS, ``p...`` PMOS, as the library's nch/pch cards)."""
    name, ports, devs = "", (), []
    for raw in spice.splitlines():
        tok = raw.split("*")[0].split()
        if not tok:
            continue
        low = tok[0].lower()
        if low == ".subckt":
            name, ports = tok[1], tuple(t for t in tok[2:] if "=" not in t)
        elif low.startswith("m") and len(tok) >= 6:
            params = dict(t.lower().split("=", 1) for t in tok[6:] if "=" in t)
            model = tok[5]
            pol = model[0].lower()
            if pol not in "np":
                raise LibraryError(f"cannot tell NMOS from PMOS for model {model!r} of {tok[0]}",
                                   fix="name MOSFET models n... / p... (nch, pch)")
            try:
                w, ln = _value(params["w"]) * 1e6, _value(params["l"]) * 1e6
            except (KeyError, ValueError):
                raise LibraryError(f"device {tok[0]} of {name}: needs w= and l= values",
                                   fix="write w=0.2u l=0.05u") from None
            devs.append(Mos(tok[0], tok[1], tok[2], tok[3], tok[4], model, snap(w), snap(ln), pol))
    return name, ports, devs


@dataclass(frozen=True)
class DevRules:
    """Device-level dimensions derived from the deck (um)."""

    cw: float  # contact size
    cs: float  # contact spacing
    ca: float  # active enclosure of contact
    cp: float  # poly enclosure of contact
    cg: float  # contact to gate
    m1e: float  # metal1 enclosure of contact (two opposite sides)
    w1: float
    s1: float
    w2: float
    s2: float
    poly_w: float
    poly_s: float  # field poly spacing
    poly_ext: float  # POLY.3
    poly_active: float  # POLY.5
    active_w: float
    active_s: float
    well_enc: float  # ACTIVE.3
    well_s: float  # WELL.2
    implant_ch: float  # IMPLANT.1
    implant_s: float
    via: float
    via_enc: float

    @classmethod
    def from_deck(cls, deck: RuleDeck) -> "DevRules":
        r = deck.rule
        return cls(r("width", "contact"), r("space", "contact"), r("enclosure", "contact", "active"),
                   r("enclosure", "contact", "poly"), r("separation", "contact", "poly"),
                   r("enclosure2", "contact", "m1"), deck.width("m1"), deck.space("m1"), deck.width("m2"),
                   deck.space("m2"), deck.width("poly"), deck.space("poly"), deck.draw("POLY.3"),
                   r("separation", "poly", "active"), deck.width("active"), deck.space("active"),
                   r("enclosure", "active", "nwell"), deck.space("nwell"), deck.draw("IMPLANT.1"),
                   deck.space("nimplant"), deck.width("via1"), r("enclosure2", "via1", "m1"))

    @property
    def pad(self) -> float:  # poly landing pad of a contact
        return snap(self.cw + 2 * self.cp)

    @property
    def reach(self) -> float:  # metal past a contact/via center
        return snap(max(self.cw / 2 + self.m1e, self.via / 2 + self.via_enc))

    def pitch(self, lmax: float) -> float:
        """Column pitch: pads apart, contact clear of the gate, diffusion islands apart."""
        return snap_up(max(self.pad + self.poly_s, lmax / 2 + self.cg + self.cw / 2, self.w1 + self.s1,
                           self.active_s + self.cw + 2 * self.ca))

    @property
    def track_pitch(self) -> float:
        return snap_up(max(self.w1 + self.s1, self.cw + self.cs, self.pad + self.poly_s))

    @property
    def margin_x(self) -> float:
        """x of the first column from the cell edge: half a well spacing, well enclosure, active."""
        return snap_up(self.well_s / 2 + self.well_enc + self.cw / 2 + self.ca)


@dataclass
class Band:
    polarity: str
    devices: list[Mos]
    mirrored: bool  # channel above the devices (NMOS bands), else below (PMOS bands)
    rail_side: bool  # the band next to its rail: rail-net source/drains go straight to the rail
    tracks: list[str] = field(default_factory=list)  # the band's nets (routed on its channel)
    track_of: dict[str, int] = field(default_factory=dict)  # net -> channel track (nets may share one)
    chains: list[list[Mos]] = field(default_factory=list)  # devices on shared diffusion, left to right
    y0: float = 0.0  # global bottom
    height: float = 0.0
    ya0: float = 0.0  # local active bottom
    ypad: float = 0.0  # local pad row


@dataclass
class Plan:
    bands: list[Band]
    spines: dict[str, float]  # net -> x of its metal2 spine
    columns: dict[str, float]  # "device.term" -> x
    pitch: float
    height_needed: float
    internal: set[str] = field(default_factory=set)  # shared-diffusion-only nets: no contact


RAIL = {"n": "VSS", "p": "VDD"}
ZONE_BOTTOM = 0.20  # first band's bottom edge (above the VSS rail, its bumps and the p tap)
ZONE_TOP = 0.25  # last band's top edge to the cell top (n tap, VDD rail and bumps)
BAND_GAP = 0.09
TAP_Y0 = 0.04  # p tap island bottom: half an active spacing above the cell edge


def _terms(dev: Mos) -> tuple[tuple[str, str], ...]:
    return (("s", dev.s), ("g", dev.g), ("d", dev.d))


def _direct(band: Band, term: str, net: str) -> bool:
    return band.rail_side and term != "g" and net == RAIL[band.polarity]


def check_devices(devs: list[Mos], R: DevRules) -> None:
    """Refuse what no drawer can draw: a W under the deck's minimum active width, a bulk not on its rail."""
    for d in devs:
        if d.w < R.active_w:
            raise LibraryError(f"device {d.name}: W={d.w:g} um is below the deck's minimum active width "
                               f"{R.active_w:g} um", fix=f"draw W >= {R.active_w:g} um (change the netlist)")
        if d.b != RAIL[d.polarity]:
            raise LibraryError(f"device {d.name}: bulk {d.b} is not {RAIL[d.polarity]} (wells tie to the rails)",
                               fix=f"connect the {'NMOS' if d.polarity == 'n' else 'PMOS'} bulk to {RAIL[d.polarity]}")


def plan(devs: list[Mos], width: float, deck: RuleDeck, pins: dict, blocked: list[tuple[float, float, float, float]],
         rails: tuple[float, float] | None = None) -> Plan:
    """Place devices in bands, assign tracks and spines; raise if the width cannot hold them."""
    R = DevRules.from_deck(deck)
    check_devices(devs, R)
    P = R.pitch(max((d.l for d in devs), default=R.poly_w))
    usable = width - 2 * R.margin_x
    ncol = int(usable / P + 1e-9) + 1  # source/drain and gate columns a band holds
    if ncol < 3:
        raise LibraryError(f"cell width {width:g} um holds no device column", fix="widen the footprint")
    bands: list[Band] = []
    for pol in ("n", "p"):
        group = sorted((d for d in devs if d.polarity == pol), key=lambda d: -d.w)
        rows = _fill(chains(group), ncol)
        for i, row in enumerate(rows):
            outer = i == 0 if pol == "n" else i == len(rows) - 1
            bands.append(Band(pol, [d for ch in row for d in ch], mirrored=pol == "n", rail_side=outer, chains=row))
    if any(b.polarity == "p" for b in bands):  # PMOS bands bottom-up: the rail-side one last
        n_b = [b for b in bands if b.polarity == "n"]
        bands = n_b + [b for b in bands if b.polarity == "p"]
    columns: dict[str, float] = {}
    where: dict[str, set[int]] = {}
    mean_x: dict[str, list[float]] = {}
    for band in bands:
        i = 0
        for ch in band.chains:  # a chain: s0 g0 s1 g1 ... on one diffusion, neighbours share a column
            for j, dev in enumerate(ch):
                for k, (term, net) in enumerate(_terms(dev)):
                    x = snap(R.margin_x + (i + 2 * j + k) * P)
                    columns[f"{dev.name}.{term}"] = x
                    mean_x.setdefault(net, []).append(x)
            i += 2 * len(ch) + 1
    inner = _internal(devs, columns, pins)
    for bi, band in enumerate(bands):
        nets = []
        for dev in band.devices:
            for term, net in _terms(dev):
                if not _direct(band, term, net) and net not in nets and net not in inner:
                    nets.append(net)
        band.tracks = sorted(nets)
        band.track_of = {n: i for i, n in enumerate(band.tracks)}
        for net in nets:
            where.setdefault(net, set()).add(bi)
    spine_nets = [n for n in where if len(where[n]) > 1 or n in pins]
    # tracks: nets whose channel spans (terminal columns and spine) keep a metal1 spacing apart
    # share a track (left-edge packing). Spine positions depend on the track heights and the
    # packing on the spines, so iterate to a fixed point; one track per net if it does not settle.
    one_per_net = [dict(b.track_of) for b in bands]
    spines: dict[str, float] = {}
    for attempt in range(6):
        _stack(bands, R)
        spines = _place_spines(bands, spine_nets, pins, rails, blocked, mean_x, width, R)
        packed = [_pack(b, columns, spines, R) for b in bands]
        if all(p == b.track_of for p, b in zip(packed, bands)):
            break
        for b, p in zip(bands, packed):
            b.track_of = p
    else:
        for b, p in zip(bands, one_per_net):
            b.track_of = p
        _stack(bands, R)
        spines = _place_spines(bands, spine_nets, pins, rails, blocked, mean_x, width, R)
    need = snap_up(bands[-1].y0 + bands[-1].height + ZONE_TOP) if bands else 0.0
    return Plan(bands, spines, columns, P, need, inner)


def chains(devs: list[Mos]) -> list[list[Mos]]:
    """Devices of one polarity ordered into diffusion chains (a greedy Euler-path cover of the
    source/drain graph): each next device shares a source/drain net with the previous one and
    is turned (source and drain swapped: a MOSFET is symmetric) so that the shared net is
    between them, where the two abut on one contact column."""
    left = list(devs)
    out: list[list[Mos]] = []
    while left:
        chain = [left.pop(0)]
        grown = True
        while grown:
            grown = False
            for end in ("right", "left"):
                net = chain[-1].d if end == "right" else chain[0].s
                k = next((i for i, d in enumerate(left) if net in (d.s, d.d)), None)
                if k is None:
                    continue
                d = left.pop(k)
                if end == "right":
                    chain.append(d if d.s == net else replace(d, s=d.d, d=d.s))
                else:
                    chain.insert(0, d if d.d == net else replace(d, s=d.d, d=d.s))
                grown = True
                break
        out.append(chain)
    return out


def _fill(chs: list[list[Mos]], ncol: int) -> list[list[list[Mos]]]:
    """Chains into bands of ``ncol`` columns (a chain of k devices takes 2k+1), first fit in
    order; a chain longer than a band is cut."""
    per = (ncol - 1) // 2
    pieces = [ch[i:i + per] for ch in chs for i in range(0, len(ch), per)]
    rows: list[list[list[Mos]]] = []
    used: list[int] = []
    for pc in pieces:
        need = 2 * len(pc) + 1
        k = next((i for i, u in enumerate(used) if u + need <= ncol), None)
        if k is None:
            rows.append([])
            used.append(0)
            k = len(rows) - 1
        rows[k].append(pc)
        used[k] += need
    return rows


def _internal(devs: list[Mos], columns: dict[str, float], pins: dict) -> set[str]:
    """Nets that are only the shared diffusion of two chained devices (a series stack's middle
    node): no contact, no track."""
    terms: dict[str, list[tuple[str, str]]] = {}
    for d in devs:
        for term, net in _terms(d):
            terms.setdefault(net, []).append((d.name, term))
    out = set()
    for net, ts in terms.items():
        if net in pins or net in RAIL.values() or len(ts) != 2 or any(t == "g" for _n, t in ts):
            continue
        if abs(columns[f"{ts[0][0]}.{ts[0][1]}"] - columns[f"{ts[1][0]}.{ts[1][1]}"]) < 1e-9:
            out.add(net)
    return out


def _n_tracks(band: Band) -> int:
    return max(band.track_of.values()) + 1 if band.track_of else 0


def _stack(bands: list[Band], R: DevRules) -> None:
    """Vertical geometry of each band (local, channel at the bottom), stacked bottom-up."""
    y = ZONE_BOTTOM
    tp = R.track_pitch
    for band in bands:
        nt = _n_tracks(band)
        top_track = R.pad / 2 + (nt - 1) * tp if nt else -R.pad / 2
        band.ypad = snap(top_track + max(R.w1 / 2 + R.s1 + R.m1e + R.cw / 2, R.pad + R.poly_s, R.cw + R.cs))
        band.ya0 = snap(band.ypad + max(R.cw + R.cs - R.ca - R.cw / 2, R.pad / 2 + R.poly_active))
        band.height = snap(band.ya0 + max(d.w for d in band.devices) + max(R.implant_ch, R.poly_ext))
        band.y0 = snap(y)
        y = band.y0 + band.height + BAND_GAP


def _track_y(band: Band, net: str, R: DevRules) -> float:
    return _gy(band, R.pad / 2 + band.track_of[net] * R.track_pitch)


def _place_spines(bands, spine_nets, pins, rails, blocked, mean_x, width, R: DevRules) -> dict[str, float]:
    """Metal2 spines: a net on several bands' tracks, or a pin; x free of the template's metal2
    (and of every column track position near the cell edges, where a neighbour's track may
    end), sharing an x with another spine only where their y spans keep the metal2 spacing."""
    track_ys: dict[str, list[float]] = {}
    for band in bands:
        for net in band.track_of:
            track_ys.setdefault(net, []).append(_track_y(band, net, R))
    spans: dict[str, tuple[float, float]] = {}
    for net in spine_nets:
        ys = list(track_ys[net])
        layer = pins.get(net, ("",))[0]
        if layer == "m3":
            ys.append(pins[net][2])
        elif net in ("VDD", "VSS") and rails is not None:
            ys.append(rails[0] if net == "VSS" else rails[1])
        spans[net] = (min(ys) - R.reach, max(ys) + R.reach)
    spines: dict[str, float] = {}
    placed: list[tuple[float, float, float, float]] = list(blocked)  # (x, half, y0, y1)
    pitch2 = snap(R.w2 + R.s2)
    lo, hi = snap_up(R.s1 / 2 + R.reach), snap(width - R.s1 / 2 - R.reach)
    for net in sorted(spine_nets, key=lambda n: (-(spans[n][1] - spans[n][0]), n)):
        y0, y1 = spans[net]
        if pins.get(net, ("",))[0] == "m2":
            spines[net] = pins[net][1]
            placed.append((pins[net][1], pitch2, y0, y1))
            continue
        target = sum(mean_x[net]) / len(mean_x[net])
        best = None
        x = lo
        while x <= hi + 1e-9:
            ok = all(abs(x - c) >= half - 1e-9 or y0 >= b1 + R.s2 - 1e-9 or b0 >= y1 + R.s2 - 1e-9
                     for c, half, b0, b1 in placed)
            if ok and (best is None or abs(x - target) < abs(best - target)):
                best = x
            x = snap(x + 0.005)
        if best is None:
            raise LibraryError(f"no free metal2 spine position for net {net} in a {width:g} um cell",
                               fix="widen the footprint")
        spines[net] = best
        placed.append((best, pitch2, y0, y1))
    return spines


def _pack(band: Band, columns: dict[str, float], spines: dict[str, float], R: DevRules) -> dict[str, int]:
    """Left-edge track assignment: a net's span is its terminal columns plus its spine; two spans
    share a track when their metal1 ends keep the metal1 spacing (and pads/contacts their own)."""
    xs: dict[str, list[float]] = {}
    for dev in band.devices:
        for term, net in _terms(dev):
            if not _direct(band, term, net) and net in band.tracks:
                xs.setdefault(net, []).append(columns[f"{dev.name}.{term}"])
    for net in xs:
        if net in spines:
            xs[net].append(spines[net])
    gap = snap(2 * R.reach + max(R.s1, R.poly_s + R.pad - 2 * R.reach, R.cs + R.cw - 2 * R.reach))
    ends: list[float] = []
    out: dict[str, int] = {}
    for net in sorted(xs, key=lambda n: (min(xs[n]), n)):
        x0, x1 = min(xs[net]), max(xs[net])
        k = next((i for i, e in enumerate(ends) if x0 - e >= gap - 1e-9), None)
        if k is None:
            ends.append(x1)
            k = len(ends) - 1
        else:
            ends[k] = x1
        out[net] = k
    return out


def _gy(band: Band, y: float) -> float:
    """Band-local y (channel at 0) to cell y."""
    return snap(band.y0 + (band.height - y if band.mirrored else y))


def draw(p, t, cell, w: float, h: float, pins: dict, column_cell: bool) -> Plan:
    """Draw and wire every MOSFET of ``cell.spice`` into painter ``p`` (a w x h cell whose
    template -- rails, metal2 tracks, metal3 row lines, pins -- is already drawn)."""
    deck = p.deck
    R = DevRules.from_deck(deck)
    _name, _ports, devs = parse_subckt(cell.spice)
    shapes = _template_shapes(p, deck, pins)
    blocked = []
    half_block = snap(R.w2 + R.s2)
    for lay, (x0, y0, x1, y1) in shapes["all"]:
        if lay == "m2":
            blocked.append((snap((x0 + x1) / 2), snap((x1 - x0) / 2 + R.s2 + R.w2 / 2), y0, y1))
    if column_cell:  # every column track position: a neighbour's track may end at the shared edge
        for k in range(6):
            blocked += [(t.trk(k), half_block, -1e9, 0.0), (t.trk(k), half_block, h, 1e9)]
    pl = plan(devs, w, deck, pins, blocked, t.rail_y(h))
    if pl.height_needed > h + 1e-9:
        raise LibraryError(f"cell {cell.name}: its {len(devs)} wired transistors need a {w:g} x "
                           f"{pl.height_needed:g} um footprint (given height {h:g})", fix=f"set footprint height >= {pl.height_needed:g}")
    tp = R.track_pitch
    reach = R.reach
    yb_rail, yt_rail = t.rail_y(h)
    track_y: dict[str, list[float]] = {}
    for band in pl.bands:
        xs_by_net: dict[str, list[float]] = {}
        done: set[float] = set()  # shared source/drain columns are drawn once
        for dev in band.devices:
            xc = [pl.columns[f"{dev.name}.{k}"] for k in ("s", "g", "d")]
            # diffusion island and gate
            a0 = band.ya0
            a1 = snap(band.ya0 + dev.w)
            _rect(p, "active", xc[0] - R.cw / 2 - R.ca, _gy(band, a0), xc[2] + R.cw / 2 + R.ca, _gy(band, a1))
            for term, net in _terms(dev):
                x = pl.columns[f"{dev.name}.{term}"]
                if term == "g":
                    yt = R.pad / 2 + band.track_of[net] * tp
                    _rect(p, "poly", x - dev.l / 2, _gy(band, yt), x + dev.l / 2, _gy(band, a1 + R.poly_ext))
                    _contact_on_poly(p, R, x, _gy(band, yt))
                    xs_by_net.setdefault(net, []).append(x)
                    continue
                if net in pl.internal or x in done:
                    continue
                done.add(x)
                ysd = snap(a0 + R.ca + R.cw / 2)
                _square(p, "contact", x, _gy(band, ysd), R.cw)
                if _direct(band, term, net):
                    rail = yb_rail if band.polarity == "n" else yt_rail
                    _rect(p, "m1", x - R.w1 / 2, _gy(band, ysd - R.cw / 2 - R.m1e) if band.polarity == "p" else rail,
                          x + R.w1 / 2, rail if band.polarity == "p" else _gy(band, ysd - R.cw / 2 - R.m1e))
                    continue
                yt = R.pad / 2 + band.track_of[net] * tp
                _rect(p, "m1", x - R.w1 / 2, _gy(band, band.ypad - R.cw / 2 - R.m1e), x + R.w1 / 2,
                      _gy(band, ysd + R.cw / 2 + R.m1e))
                _contact_on_poly(p, R, x, _gy(band, band.ypad))
                _rect(p, "poly", x - R.poly_w / 2, _gy(band, yt), x + R.poly_w / 2, _gy(band, band.ypad))
                _contact_on_poly(p, R, x, _gy(band, yt))
                xs_by_net.setdefault(net, []).append(x)
        # implant over the band's islands (IMPLANT.1 past the channel ends)
        xa = min(pl.columns[f"{d.name}.s"] for d in band.devices) - R.cw / 2 - R.ca
        xb = max(pl.columns[f"{d.name}.d"] for d in band.devices) + R.cw / 2 + R.ca
        top = band.ya0 + max(d.w for d in band.devices) + R.implant_ch
        _rect(p, "nimplant" if band.polarity == "n" else "pimplant", xa, _gy(band, band.ya0 - R.implant_ch), xb,
              _gy(band, top))
        # channel tracks
        for net in band.tracks:
            yt = _track_y(band, net, R)
            xs = list(xs_by_net.get(net, []))
            if net in pl.spines:
                xs.append(pl.spines[net])
                _square(p, "via1", pl.spines[net], yt, R.via)
            track_y.setdefault(net, []).append(yt)
            _rect(p, "m1", min(xs) - reach, yt - R.w1 / 2, max(xs) + reach, yt + R.w1 / 2)
    # spines to rows, rails and template tracks
    for net, x in pl.spines.items():
        ys = list(track_y.get(net, []))
        layer = pins.get(net, ("",))[0]
        if layer == "m3":
            ry = pins[net][2]
            ys.append(ry)
            _square(p, "via2", x, ry, R.via)
            x0, _y0, x1, _y1 = shapes["pin"][net]
            _rect(p, "m3", min(x0, x - reach), ry - t.w3 / 2, max(x1, x + reach), ry + t.w3 / 2)
        elif layer == "m1" or net in ("VDD", "VSS"):
            rail = yb_rail if net == "VSS" else yt_rail
            inward = 1 if net == "VSS" else -1
            yv = _rail_via_y(R, rail, h, inward)
            _square(p, "via1", x, yv, R.via)
            ys.append(yv)
        elif layer == "m2":
            _x0, y0, _x1, y1 = shapes["pin"][net]
            ys += [y0 + reach, y1 - reach]
        if ys:
            _rect(p, "m2", x - R.w2 / 2, min(ys) - reach, x + R.w2 / 2, max(ys) + reach)
    # thickened rails: the rail grows inward over the whole cell width to hold the spines' via1
    # away from the cell edge (so a spine never comes near a neighbour's metal2), and to merge
    # the taps' and direct source/drain metal1 with it
    for net, rail, inward in (("VSS", yb_rail, 1), ("VDD", yt_rail, -1)):
        if net in pins:
            _rect(p, "m1", 0, rail, w, _rail_via_y(R, rail, h, inward) + inward * R.via / 2)
    # wells and taps
    n_bands = [b for b in pl.bands if b.polarity == "n"]
    p_bands = [b for b in pl.bands if b.polarity == "p"]
    inset = snap(R.well_s / 2)
    tap_x = snap_up(inset + R.well_enc + R.active_w / 2)
    if p_bands:
        boundary = snap(p_bands[0].y0 - BAND_GAP / 2) if n_bands else inset
        _rect(p, "nwell", inset, boundary, w - inset, h - inset)
        ty1 = snap(h - inset - R.well_enc)
        _tap(p, R, "n", tap_x, snap(ty1 - R.active_w), ty1, yt_rail)
    if n_bands:
        top = snap(p_bands[0].y0 - BAND_GAP / 2) if p_bands else h - inset
        _rect(p, "pwell", inset, TAP_Y0 - 0.02, w - inset, top)
        _tap(p, R, "p", tap_x, TAP_Y0, snap(TAP_Y0 + R.active_w), yb_rail)
    return pl


def _rail_via_y(R: DevRules, rail: float, h: float, inward: int) -> float:
    """y of a spine's via1 on a rail: far enough inside that the spine's metal2 end keeps half a
    metal2 spacing from the cell edge."""
    return snap(rail + inward * max(0.0, (R.s2 / 2 + R.reach) - min(rail, h - rail)))


def _tap(p, R: DevRules, pol: str, x: float, y0: float, y1: float, rail: float) -> None:
    """A well/substrate tap: an active island of the opposite implant with one contact, metal1 to the rail."""
    xa0, xa1 = snap(x - R.active_w / 2), snap(x + R.active_w / 2)
    _rect(p, "active", xa0, y0, xa1, y1)
    e = snap(R.implant_s / 2)
    _rect(p, "nimplant" if pol == "n" else "pimplant", xa0 - e, y0 - e, xa1 + e, y1 + e)
    yc = snap((y0 + y1) / 2)
    _square(p, "contact", x, yc, R.cw)
    _rect(p, "m1", x - R.cw / 2 - R.m1e, min(rail, yc - R.cw / 2), x + R.cw / 2 + R.m1e, max(rail, yc + R.cw / 2))


def _rect(p, layer: str, x0: float, y0: float, x1: float, y1: float) -> None:
    p.rect(layer, min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))


def _square(p, layer: str, x: float, y: float, size: float) -> None:
    p.rect(layer, x - size / 2, y - size / 2, x + size / 2, y + size / 2)


def _contact_on_poly(p, R: DevRules, x: float, y: float) -> None:
    _square(p, "poly", x, y, R.pad)
    _square(p, "contact", x, y, R.cw)


def _template_shapes(p, deck: RuleDeck, pins: dict) -> dict:
    """Bounding boxes of the template's shapes: all m2 ones, and the shape under each pin label."""
    by_gds = {lay.gds: name for name, lay in deck.layers.items()}
    out = {"all": [], "pin": {}}
    polys = p.cell.get_polygons()
    for poly in polys:
        lay = by_gds.get((poly.layer, poly.datatype))
        (x0, y0), (x1, y1) = poly.bounding_box()
        out["all"].append((lay, (x0, y0, x1, y1)))
    for name, (layer, x, y) in pins.items():
        gds = deck.gds(layer)
        for poly in polys:
            if (poly.layer, poly.datatype) == gds and poly.contain((x, y)):
                (x0, y0), (x1, y1) = poly.bounding_box()
                out["pin"][name] = (x0, y0, x1, y1)
                break
    return out
