"""Packed leaf cells (issue 13): the 8T bitcell and the WL driver that shares its row height.

The generic drawer (:mod:`chipsmith.layout.device_draw`) routes any netlist but pays for it:
every device on its own diffusion, a channel of tracks per band. These two cells set the
array's area (one bitcell per bit, one driver per row at the bitcell's height), so they are
drawn in a compact standard-cell arrangement, every dimension from the rule deck:

- **strips**: the devices of a polarity on one diffusion strip in Euler-path order, so
  devices in series share a source/drain (one contact, or none for an internal node of a
  stack such as the read port's ``rx``), gate poly vertical at the contacted pitch;
  devices wider than the strip are folded into parallel fingers (LVS combines them);
- **levels**: nets cross between the devices on horizontal metal1 levels in the gap
  between the NMOS strip (bottom, on the VSS rail) and the PMOS strip (top, on VDD); a
  gate lands on its level with a poly contact, a source/drain on the same column through
  metal1 or a via1/metal2 stub; word lines are the template's metal3 rows, bit lines its
  metal2 tracks (the WBL contact sits under its track: one via1);
- **bitcell**: the cross-coupled inverters are two aligned CMOS pairs sharing gate poly
  (q/qb on two levels), the access devices at the ends of the NMOS strip, the read port
  (RWL-gated access + QB-gated pull-down) a second strip on the same row;
- **driver**: NAND2 + inverter on one row: NMOS strip left, PMOS strip right (inverter
  PMOS as four fingers), the ``nb`` node on one metal1 level across both.

The arrangement is for the library's 8T and driver topologies (matched by structure, not
by names or sizes: W and L come from the netlist); a library whose bitcell or driver has
another topology is drawn by the generic drawer. The per-cell LVS checks the result.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from chipsmith.errors import LibraryError
from chipsmith.layout.device_draw import TAP_Y0, DevRules, Mos, check_devices, parse_subckt, snap, snap_up
from chipsmith.layout.rules import RuleDeck


def _rect(p, layer: str, x0: float, y0: float, x1: float, y1: float) -> None:
    p.rect(layer, min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))


def _sq(p, layer: str, x: float, y: float, size: float) -> None:
    p.rect(layer, x - size / 2, y - size / 2, x + size / 2, y + size / 2)


@dataclass(frozen=True)
class Kit:
    """Derived dimensions (um) of the packed arrangement."""

    R: DevRules
    pitch: float  # gate column to source/drain column inside a strip
    brk: float  # source/drain column to the next strip's first column
    rail_top: float  # top of the VSS rail (bottom of the VDD rail from the top edge)
    m2w: float
    m3w: float

    @classmethod
    def from_deck(cls, deck: RuleDeck, lmax: float) -> "Kit":
        R = DevRules.from_deck(deck)
        # adjacent columns may both carry metal1 (w1 + s1) or metal2 stubs (w2 + s2); a contact
        # keeps CONTACT.6 to the gate; two gates keep POLY.2 over the shared diffusion
        pitch = snap_up(max(R.w1 + R.s1, R.w2 + R.s2, lmax / 2 + R.cg + R.cw / 2,
                            (lmax + deck.draw("POLY.2")) / 2))
        brk = snap_up(max(pitch, R.active_s + R.cw + 2 * R.ca))
        rail_w = snap(max(R.w1, 1.25 * R.w1))
        return cls(R, pitch, brk, snap(R.s1 / 2 + rail_w), deck.width("m2"), deck.width("m3"))

    @property
    def tall(self) -> float:  # half height of a contact's metal1 enclosed on its top and bottom
        return snap(self.R.cw / 2 + self.R.m1e)

    @property
    def sd_off(self) -> float:  # contact center from the diffusion edge it sits on
        return snap(self.R.ca + self.R.cw / 2)

    @property
    def reach(self) -> float:
        return self.R.reach


# --- topology matching ------------------------------------------------------------------------

def _sd(d: Mos) -> set[str]:
    return {d.s, d.d}


def match_8t(devs: list[Mos], ports: tuple[str, ...]) -> dict[str, Mos] | None:
    """Roles of the 8T devices (pu1/pu2/pd1/pd2/ax1/ax2/rd/rg) and nets q/qb/rx, or None."""
    if len(devs) != 8 or not {"WWL", "WBL", "WBLB", "RWL", "RBL", "VDD", "VSS"} <= set(ports):
        return None
    n = [d for d in devs if d.polarity == "n"]
    pp = [d for d in devs if d.polarity == "p"]
    try:
        ax1 = next(d for d in n if d.g == "WWL" and "WBL" in _sd(d))
        ax2 = next(d for d in n if d.g == "WWL" and "WBLB" in _sd(d))
        q, qb = (_sd(ax1) - {"WBL"}).pop(), (_sd(ax2) - {"WBLB"}).pop()
        pd1 = next(d for d in n if _sd(d) == {q, "VSS"} and d.g == qb)
        pd2 = next(d for d in n if _sd(d) == {qb, "VSS"} and d.g == q)
        pu1 = next(d for d in pp if _sd(d) == {q, "VDD"} and d.g == qb)
        pu2 = next(d for d in pp if _sd(d) == {qb, "VDD"} and d.g == q)
        rd = next(d for d in n if d.g == "RWL" and "RBL" in _sd(d))
        rx = (_sd(rd) - {"RBL"}).pop()
        rg = next(d for d in n if _sd(d) == {rx, "VSS"} and d.g == qb)
    except (StopIteration, KeyError):
        return None
    roles = dict(ax1=ax1, ax2=ax2, pd1=pd1, pd2=pd2, pu1=pu1, pu2=pu2, rd=rd, rg=rg)
    if len({id(d) for d in roles.values()}) != 8 or rx in (q, qb, "VSS", "VDD") or q == qb:
        return None
    return roles


def match_driver(devs: list[Mos], ports: tuple[str, ...]) -> dict[str, Mos] | None:
    """Roles of the NAND2 + inverter WL driver (mp1/mp2/mn1/mn2/mp3/mn3), or None."""
    if len(devs) != 6 or not {"IN", "EN", "RWL", "VDD", "VSS"} <= set(ports):
        return None
    n = [d for d in devs if d.polarity == "n"]
    pp = [d for d in devs if d.polarity == "p"]
    try:
        mp3 = next(d for d in pp if _sd(d) == {"RWL", "VDD"})
        nb = mp3.g
        mn3 = next(d for d in n if _sd(d) == {"RWL", "VSS"} and d.g == nb)
        mp1 = next(d for d in pp if _sd(d) == {nb, "VDD"} and d.g == "IN")
        mp2 = next(d for d in pp if _sd(d) == {nb, "VDD"} and d.g == "EN")
        mn1 = next(d for d in n if d.g == "IN" and nb in _sd(d))
        n1 = (_sd(mn1) - {nb}).pop()
        mn2 = next(d for d in n if d.g == "EN" and _sd(d) == {n1, "VSS"})
    except (StopIteration, KeyError):
        return None
    if n1 in ("VSS", "VDD", "RWL", nb):
        return None
    return dict(mp1=mp1, mp2=mp2, mn1=mn1, mn2=mn2, mp3=mp3, mn3=mn3)


def packed_kind(kind: str, spice: str) -> bool:
    """Whether the packed arrangement draws this cell (its netlist has the expected topology)."""
    _name, ports, devs = parse_subckt(spice)
    if kind in ("sram8t",):
        return match_8t(devs, ports) is not None
    if kind == "wl_driver":
        return match_driver(devs, ports) is not None
    if kind == "sample_switch":
        return match_tg(devs, ports) is not None
    if kind == "precharge":
        return match_precharge(devs, ports) is not None
    return False


# --- primitives -------------------------------------------------------------------------------

def _gate(p, K: Kit, x: float, y0: float, y1: float, l: float) -> None:
    _rect(p, "poly", x - l / 2, y0, x + l / 2, y1)


def _poly_contact(p, K: Kit, x: float, y: float, tall: bool = True) -> None:
    """Poly pad + contact; metal1 enclosing it top and bottom (tall) -- a level line through it
    encloses it left and right instead."""
    R = K.R
    _sq(p, "poly", x, y, R.pad)
    _sq(p, "contact", x, y, R.cw)
    if tall:
        _rect(p, "m1", x - R.w1 / 2, y - K.tall, x + R.w1 / 2, y + K.tall)


def _sd_contact(p, K: Kit, x: float, y: float) -> None:
    R = K.R
    _sq(p, "contact", x, y, R.cw)
    _rect(p, "m1", x - R.w1 / 2, y - K.tall, x + R.w1 / 2, y + K.tall)


def _via_stub(p, K: Kit, x: float, y_from: float, y_to: float, via2_at_end: bool = True) -> None:
    """via1 at y_from, metal2 to y_to, via2 there (onto a metal3 line)."""
    R = K.R
    _sq(p, "via1", x, y_from, R.via)
    _rect(p, "m2", x - K.m2w / 2, min(y_from, y_to) - K.reach, x + K.m2w / 2, max(y_from, y_to) + K.reach)
    if via2_at_end:
        _sq(p, "via2", x, y_to, R.via)


def _hline(p, layer: str, y: float, x0: float, x1: float, w: float) -> None:
    _rect(p, layer, x0, y - w / 2, x1, y + w / 2)


def _tap(p, K: Kit, pol: str, x: float, y0: float, rail: float) -> None:
    """Well tap: an active square of the opposite implant, one contact, metal1 to the rail (a tap
    under its rail: metal1 enclosing the contact left and right, so nothing sticks out of the
    rail towards the cell edge; a tap inside the cell: enclosing it top and bottom)."""
    R = K.R
    y1 = snap(y0 + R.active_w)
    _rect(p, "active", x - R.active_w / 2, y0, x + R.active_w / 2, y1)
    e = snap(R.implant_s / 2)
    _rect(p, "nimplant" if pol == "n" else "pimplant", x - R.active_w / 2 - e, y0 - e, x + R.active_w / 2 + e, y1 + e)
    yc = snap((y0 + y1) / 2)
    _sq(p, "contact", x, yc, R.cw)
    if abs(yc - rail) < R.cw:
        _rect(p, "m1", x - K.tall, min(rail, yc - R.cw / 2), x + K.tall, max(rail, yc + R.cw / 2))
    else:
        _rect(p, "m1", x - R.w1 / 2, min(rail, yc - K.tall), x + R.w1 / 2, max(rail, yc + K.tall))


def _strip(p, K: Kit, cols: list[float], widths: list[float], edge: float, up: bool, pol: str) -> tuple[float, float]:
    """Diffusion of a chain: device i between source/drain columns cols[2i] and cols[2i+2],
    W=widths[i], from ``edge`` upwards (``up``) or downwards. Returns the implant's y span."""
    R = K.R
    e = K.sd_off
    for i, w in enumerate(widths):
        x0 = cols[2 * i] - (e if i == 0 else 0.0)
        x1 = cols[2 * i + 2] + (e if i == len(widths) - 1 else 0.0)
        _rect(p, "active", x0, edge, x1, edge + (w if up else -w))
    far = edge + (max(widths) if up else -max(widths))
    ext = max(R.implant_ch, R.poly_ext)
    lo, hi = (edge - ext, far + ext) if up else (far - ext, edge + ext)
    _rect(p, "nimplant" if pol == "n" else "pimplant", cols[0] - e, lo, cols[-1] + e, hi)
    return lo, hi


def _fingers(w: float, wmax: float, grid: float = 0.0025) -> tuple[int, float]:
    """Fewest parallel fingers of equal, on-grid width <= wmax that sum to w exactly."""
    k = max(1, math.ceil(w / wmax - 1e-9))
    while k < 64:
        f = w / k
        if abs(round(f / grid) * grid - f) < 1e-9 and f <= wmax + 1e-9:
            return k, snap(f)
        k += 1
    raise LibraryError(f"cannot fold W={w:g} um into on-grid fingers of at most {wmax:g} um",
                       fix="give the device a W that is a multiple of the 2.5 nm grid")


# --- the 8T bitcell ---------------------------------------------------------------------------

def sram8t_height(deck: RuleDeck, spice: str) -> float:
    return _sram8t(None, deck, spice, 2.4, None, {}, None)


def draw_sram8t(p, t, cell, w: float, h: float, pins: dict) -> float:
    """Draw the packed 8T devices into painter ``p`` (frame already drawn). Returns the height needed."""
    need = _sram8t(p, p.deck, cell.spice, w, h, pins, t)
    return need


def _matched(deck: RuleDeck, spice: str, matcher, refusal: str, fix: str = "use the generic drawer"):
    """The cell's devices checked against the deck and matched to the topology a packed drawer
    draws (``matcher`` returns its role -> device map, or None), with the drawing kit for them."""
    _name, ports, devs = parse_subckt(spice)
    check_devices(devs, DevRules.from_deck(deck))
    m = matcher(devs, ports)
    if m is None:
        raise LibraryError(refusal, fix=fix)
    return m, Kit.from_deck(deck, max(d.l for d in devs))


def _sram8t(p, deck: RuleDeck, spice: str, w: float, h: float | None, pins: dict, t) -> float:
    m, K = _matched(deck, spice, match_8t, "the sram8t netlist is not the 8T topology the packed bitcell draws",
                    fix="use the generic drawer (leave the cell out of leafcells.PACKED)")
    R, P, e = K.R, K.pitch, K.sd_off
    # columns: strip A = WBL ax1 q pd1 VSS pd2 qb ax2 WBLB, strip B = RBL rd rx rg VSS;
    # column 0 under the WBL track (one via1 lands the contact on it)
    x0 = t.trk(0) if t is not None else 0.2
    ca = [snap(x0 + i * P) for i in range(9)]
    cb = [snap(ca[-1] + K.brk + i * P) for i in range(5)]
    # y: NMOS strip bottom-aligned; contact metal1 clear of the VSS rail
    yc_n = snap_up(K.rail_top + R.s1 + K.tall)
    yn0 = snap(yc_n - e)
    wn = {k: m[k].w for k in ("ax1", "pd1", "pd2", "ax2", "rd", "rg")}
    top = {k: snap(yn0 + v) for k, v in wn.items()}
    # level a (qb) over the strip: its pads off the diffusion, its line clear of the contacts' metal1
    y_a = snap_up(max(max(top[k] for k in ("ax1", "pd1", "rg")) + R.pad / 2 + R.ca,
                      yc_n + K.tall + R.s1 + R.w1 / 2))
    y_b = snap(y_a + K.tall + R.s1 + R.w1 / 2)  # level b (q)
    yc_p = snap(y_b + R.w1 / 2 + R.s1 + K.tall)  # PMOS contacts clear of level b
    yp0 = snap(yc_p - e)
    wp = max(m["pu1"].w, m["pu2"].w)
    # height: the PMOS contacts' metal1 clear of the VDD rail; the n-well over the PMOS strip
    need = snap_up(max(yc_p + K.tall + R.s1 + K.rail_top, yp0 + wp + R.well_enc + R.well_s / 2,
                       yp0 + wp + R.poly_ext + R.poly_s / 2))
    if p is None:
        return need
    if h + 1e-9 < need:
        raise LibraryError(f"packed sram8t needs a {w:g} x {need:g} um footprint (given height {h:g})",
                           fix=f"set the sram8t footprint height to {need:g}")
    yt_rail = t.rail_y(h)[1]
    yb_rail = t.rail_y(h)[0]
    # NMOS strips and gates
    _strip(p, K, ca, [wn["ax1"], wn["pd1"], wn["pd2"], wn["ax2"]], yn0, True, "n")
    _strip(p, K, cb, [wn["rd"], wn["rg"]], yn0, True, "n")
    g_lo = snap(yn0 - R.poly_ext)
    p_top = snap(yp0 + wp + R.poly_ext)
    _gate(p, K, ca[1], g_lo, y_a, m["ax1"].l)
    _gate(p, K, ca[3], g_lo, p_top, m["pd1"].l)  # pd1 + pu1 share the qb gate
    _gate(p, K, ca[5], g_lo, p_top, m["pd2"].l)  # pd2 + pu2 share the q gate
    _gate(p, K, ca[7], g_lo, y_b, m["ax2"].l)
    _gate(p, K, cb[1], g_lo, y_b, m["rd"].l)
    _gate(p, K, cb[3], g_lo, y_a, m["rg"].l)
    # PMOS strip q pu1 VDD pu2 qb on columns 2..6
    cp = ca[2:7]
    _strip(p, K, cp, [m["pu1"].w, m["pu2"].w], yp0, True, "p")
    # source/drain contacts
    for x in (ca[0], ca[2], ca[4], ca[6], ca[8], cb[0], cb[4]):
        _sd_contact(p, K, x, yc_n)
    for x in (cp[0], cp[2], cp[4]):
        _sd_contact(p, K, x, yc_p)
    for x in (ca[4], cb[4]):  # VSS straight down to the rail
        _rect(p, "m1", x - R.w1 / 2, yb_rail, x + R.w1 / 2, yc_n)
    _rect(p, "m1", cp[2] - R.w1 / 2, yc_p, cp[2] + R.w1 / 2, yt_rail)  # VDD straight up
    # q and qb: NMOS to PMOS drain on their columns
    for x in (ca[2], ca[6]):
        _rect(p, "m1", x - R.w1 / 2, yc_n - K.tall, x + R.w1 / 2, yc_p + K.tall)
    # level a: qb from the pd1/pu1 gate over its drains to the read pull-down gate
    _poly_contact(p, K, ca[3], y_a)
    _poly_contact(p, K, cb[3], y_a)
    _hline(p, "m1", y_a, ca[3] - R.w1 / 2, cb[3] + R.w1 / 2, R.w1)
    # level b: q from its drains to the pd2/pu2 gate
    _poly_contact(p, K, ca[5], y_b)
    _hline(p, "m1", y_b, ca[2] - R.w1 / 2, ca[5] + R.w1 / 2, R.w1)
    # word lines: access gates up to WWL, the read gate down to RWL (metal2 stubs, template rows)
    rows = {n: y for n, (layer, _x, y) in pins.items() if layer == "m3"}
    for x, y in ((ca[1], y_a), (ca[7], y_b)):
        _poly_contact(p, K, x, y)
        _via_stub(p, K, x, y, rows["WWL"])
    _poly_contact(p, K, cb[1], y_b)
    _via_stub(p, K, cb[1], y_b, rows["RWL"])
    # bit lines: WBL contact under its track; WBLB and RBL over metal3 jumpers to their tracks
    _sq(p, "via1", ca[0], yc_n, R.via)
    y_wblb = snap((rows["RWL"] + rows["WWL"]) / 2)
    y_rbl = snap(rows["WWL"] + t.w3 + t.s3)
    for x, y, trk in ((ca[8], y_wblb, 1), (cb[0], y_rbl, 2)):
        _via_stub(p, K, x, yc_n, y)
        xt = t.trk(trk)
        _hline(p, "m3", y, xt - K.reach, x + K.reach, K.m3w)
        _sq(p, "via2", xt, y, R.via)
    # wells and taps: p tap right of the read strip under the VSS rail, n tap right of the PMOS
    # strip under the VDD rail
    inset = snap(R.well_s / 2)
    xpt = snap_up(max(cb[-1] + e + R.active_s + R.active_w / 2, cb[-1] + R.w1 / 2 + R.s1 + K.tall))
    _tap(p, K, "p", xpt, TAP_Y0, yb_rail)
    xnt = snap(cp[-1] + e + R.active_s + R.active_w / 2)
    yw1 = snap(h - inset)
    ynt0 = snap(yw1 - R.well_enc - R.active_w)
    _tap(p, K, "n", xnt, ynt0, yt_rail)
    nw_lo = snap(yp0 - R.well_enc)
    _rect(p, "nwell", cp[0] - e - R.well_enc, nw_lo, xnt + R.active_w / 2 + R.well_enc, yw1)
    _rect(p, "pwell", inset, 0.02, w - inset, nw_lo)
    return need


# --- the WL driver ----------------------------------------------------------------------------

def draw_wl_driver(p, t, cell, w: float, h: float, pins: dict) -> float:
    return _driver(p, p.deck, cell.spice, w, h, pins, t)


def driver_size(deck: RuleDeck, spice: str, h: float) -> float:
    """Width the packed driver needs at row height h."""
    return _driver(None, deck, spice, 0.0, h, {}, None)


def _driver(p, deck: RuleDeck, spice: str, w: float, h: float, pins: dict, t) -> float:
    m, K = _matched(deck, spice, match_driver, "the wl_driver netlist is not the NAND2 + inverter the packed driver "
                    "draws", fix="use the generic drawer (leave the cell out of leafcells.PACKED)")
    R, P, e = K.R, K.pitch, K.sd_off
    rail_w = snap(max(R.w1, 1.25 * R.w1))
    yb_rail, yt_rail = snap(R.s1 / 2 + rail_w / 2), snap(h - R.s1 / 2 - rail_w / 2)
    # y plan: NMOS strip on the VSS side, the nb level over it, IN/EN pads above (NMOS) or
    # below (PMOS), PMOS strip hanging from its top edge towards the VDD rail
    yc_n = snap_up(K.rail_top + R.s1 + K.tall)
    yn0 = snap(yc_n - e)
    wn = max(m["mn1"].w, m["mn2"].w)
    kn, fn = _fingers(m["mn3"].w, max(wn, R.active_w))
    wn = max(wn, fn)
    y_nb = snap_up(max(yn0 + wn + R.pad / 2 + R.ca, yc_n + K.tall + R.s1 + R.w1 / 2))
    y_in_n = snap(y_nb + R.w1 / 2 + R.s1 + K.tall)  # IN/EN pads over the NMOS strip
    y_pp = snap(y_nb - R.w1 / 2 - R.s1 - K.tall)  # IN/EN pads under the PMOS strip
    if y_pp - K.tall < K.rail_top + R.s1 - 1e-9:
        y_nb = snap_up(K.rail_top + R.s1 + 2 * K.tall + R.s1 + R.w1 / 2)
        y_in_n = snap(y_nb + R.w1 / 2 + R.s1 + K.tall)
        y_pp = snap(y_nb - R.w1 / 2 - R.s1 - K.tall)
    wp = max(m["mp1"].w, m["mp2"].w)
    kp, fp = _fingers(m["mp3"].w, max(wp, R.active_w))
    wp = max(wp, fp)
    # PMOS strip over the nb level: its pads off the diffusion, its contacts' metal1 clear of the line
    yp_bot = snap_up(max(y_nb + R.pad / 2 + R.ca, y_nb + R.w1 / 2 + R.s1 + K.tall + e - wp))
    yp_top = snap(yp_bot + wp)
    yc_p = snap(yp_top - e)
    # the rails: PMOS non-VDD contacts and the NMOS pads clear of the VDD rail; the n tap above
    # the PMOS strip inside the n-well
    inset = snap(R.well_s / 2)
    nt0 = snap(h - inset - R.well_enc - R.active_w)
    ok = (yc_p + K.tall + R.s1 <= yt_rail - rail_w / 2 + 1e-9 and y_in_n + K.tall + R.s1 <= yt_rail - rail_w / 2 + 1e-9
          and nt0 >= yp_top + R.active_s - 1e-9 and nt0 - R.implant_s / 2 >= yp_top + R.poly_ext - 1e-9)
    if not ok:
        need = snap_up(max(yc_p + K.tall + R.s1, y_in_n + K.tall + R.s1) + K.rail_top)
        need = max(need, snap_up(yp_top + R.active_s + R.active_w + R.well_enc + inset))
        raise LibraryError(f"packed wl_driver does not fit a {h:g} um row", fix=f"make the bitcell row >= {need:g} um")
    # x plan: p tap | NMOS strip nb IN n1 EN VSS nb RWL nb VSS ... | n-well | PMOS strip
    xpt = snap_up(inset + R.active_w / 2 + 0.055)
    c_n0 = snap(xpt + R.active_w / 2 + R.active_s + e)
    ncols = 5 + 2 * kn
    cn = [snap(c_n0 + i * P) for i in range(ncols)]
    nw_x0 = snap(cn[-1] + e + R.well_enc)
    c_p0 = snap(nw_x0 + R.well_enc + e)
    pcols = 5 + 2 * kp
    cpx = [snap(c_p0 + i * P) for i in range(pcols)]
    nw_x1 = snap(cpx[-1] + e + R.well_enc)
    need_w = snap_up(nw_x1 + inset)
    if p is None:
        return need_w
    if w + 1e-9 < need_w:
        raise LibraryError(f"packed wl_driver needs a {need_w:g} x {h:g} um footprint (given width {w:g})",
                           fix=f"set the wl_driver footprint width to {need_w:g}")
    rows = {n: y for n, (layer, _x, y) in pins.items() if layer == "m3"}
    rows.setdefault("WWL", None)
    # NMOS: nb mn1(IN) n1 mn2(EN) VSS [mn3 fingers: nb gates, RWL / VSS alternating]
    _strip(p, K, cn, [m["mn1"].w, m["mn2"].w] + [fn] * kn, yn0, True, "n")
    g_lo = snap(yn0 - R.poly_ext)
    _gate(p, K, cn[1], g_lo, y_in_n, m["mn1"].l)
    _gate(p, K, cn[3], g_lo, y_in_n, m["mn2"].l)
    for i in range(kn):
        _gate(p, K, cn[5 + 2 * i], g_lo, y_nb, m["mn3"].l)
        _poly_contact(p, K, cn[5 + 2 * i], y_nb, tall=False)
    _sd_contact(p, K, cn[0], yc_n)
    for i in range(kn + 1):
        x = cn[4 + 2 * i]
        _sd_contact(p, K, x, yc_n)
        if i % 2 == 0:  # VSS
            _rect(p, "m1", x - R.w1 / 2, yb_rail, x + R.w1 / 2, yc_n)
        else:  # RWL: via1 + metal2 onto the RWL row
            _via_stub(p, K, x, yc_n, rows["RWL"])
    _rect(p, "m1", cn[0] - R.w1 / 2, yc_n, cn[0] + R.w1 / 2, y_nb)  # nb drain up to its level
    for x, net in ((cn[1], "IN"), (cn[3], "EN")):
        _poly_contact(p, K, x, y_in_n)
        _via_stub(p, K, x, y_in_n, rows[net])
    # PMOS: VDD mp1(IN) nb mp2(EN) VDD [mp3 fingers: nb gates, RWL / VDD alternating]
    _strip(p, K, cpx, [m["mp1"].w, m["mp2"].w] + [fp] * kp, yp_top, False, "p")
    g_hi = snap(yp_top + R.poly_ext)
    _gate(p, K, cpx[1], y_pp, g_hi, m["mp1"].l)
    _gate(p, K, cpx[3], y_pp, g_hi, m["mp2"].l)
    for i in range(kp):
        _gate(p, K, cpx[5 + 2 * i], y_nb, g_hi, m["mp3"].l)
        _poly_contact(p, K, cpx[5 + 2 * i], y_nb, tall=i == kp - 1)
    for x in cpx[0::2]:
        _sd_contact(p, K, x, yc_p)
    for x in [cpx[0], cpx[4]] + [cpx[4 + 2 * i] for i in range(2, kp + 1, 2)]:  # VDD up to the rail
        _rect(p, "m1", x - R.w1 / 2, yc_p, x + R.w1 / 2, yt_rail)
    for i in range(1, kp + 1, 2):  # RWL drains down to the RWL row
        _via_stub(p, K, cpx[4 + 2 * i], yc_p, rows["RWL"])
    _rect(p, "m1", cpx[2] - R.w1 / 2, y_nb, cpx[2] + R.w1 / 2, yc_p)  # nb drain down to its level
    for x, net in ((cpx[1], "IN"), (cpx[3], "EN")):
        _poly_contact(p, K, x, y_pp)
        _via_stub(p, K, x, y_pp, rows[net])
    # the nb level across both strips
    _hline(p, "m1", y_nb, cn[0] - R.w1 / 2, cpx[-2] + R.w1 / 2, R.w1)
    # metal3: IN and EN rows reach the PMOS gates' stubs, RWL reaches the NMOS drains
    _hline(p, "m3", rows["IN"], 0, cpx[1] + K.reach, K.m3w)
    _hline(p, "m3", rows["EN"], 0, cpx[3] + K.reach, K.m3w)
    _hline(p, "m3", rows["RWL"], cn[6] - K.reach if kn else cn[4], w, K.m3w)
    # wells and taps
    _tap(p, K, "p", xpt, 0.04, yb_rail)
    _tap(p, K, "n", cpx[2], nt0, yt_rail)
    _rect(p, "nwell", nw_x0, inset, nw_x1, snap(h - inset))
    _rect(p, "pwell", inset, inset, nw_x0, snap(h - inset))
    return need_w


# --- the local array's switches: transmission gate and precharge -------------------------------

def match_tg(devs: list[Mos], ports: tuple[str, ...]) -> dict[str, Mos] | None:
    """A transmission gate A-B: one NMOS (gate EN) and one PMOS (gate ENB) between the same nets."""
    if len(devs) != 2 or not {"A", "B", "EN", "ENB"} <= set(ports):
        return None
    n = [d for d in devs if d.polarity == "n"]
    pp = [d for d in devs if d.polarity == "p"]
    if len(n) != 1 or len(pp) != 1 or _sd(n[0]) != {"A", "B"} or _sd(pp[0]) != {"A", "B"}:
        return None
    if n[0].g != "EN" or pp[0].g != "ENB":
        return None
    return {"n": n[0], "p": pp[0]}


def match_precharge(devs: list[Mos], ports: tuple[str, ...]) -> dict[str, Mos] | None:
    """One PMOS from VDD to LBL gated by PREB."""
    if len(devs) != 1 or devs[0].polarity != "p" or _sd(devs[0]) != {"LBL", "VDD"} or devs[0].g != "PREB":
        return None
    return {"p": devs[0]}


def draw_switch(p, t, cell, w: float, h: float, pins: dict) -> float:
    """Transmission gate on two template tracks: the NMOS on the VSS side, the PMOS on the VDD
    side, both with their source/drain columns under the A and B tracks (A reached by a via1 in
    the lower half, B in the upper half, where the sample variant's tracks are), one gate
    column between them; EN/ENB up or down a metal2 stub to their metal3 rows."""
    return _switch(p, p.deck, cell.spice, w, h, pins, t)


def switch_height(deck: RuleDeck, spice: str) -> float:
    return _switch(None, deck, spice, 2.4, 0.0, {}, None)


def _switch(p, deck: RuleDeck, spice: str, w: float, h: float, pins: dict, t) -> float:
    m, K = _matched(deck, spice, match_tg, "the switch netlist is not a transmission gate")
    R, e = K.R, K.sd_off
    yc_n = snap_up(K.rail_top + R.s1 + K.tall)
    yn0 = snap(yc_n - e)
    y_n = snap_up(yn0 + m["n"].w + R.pad / 2 + R.ca)  # NMOS gate pad over its strip
    # PMOS gate pad: metal1 pads and the two gates' metal2 stubs (same column) apart
    y_p = snap_up(y_n + max(2 * K.tall + R.s1, 2 * K.reach + R.s2, R.pad + R.poly_s))
    yp0 = snap_up(y_p + R.pad / 2 + R.ca)
    yc_p = snap(yp0 + e)
    yp1 = snap(yp0 + m["p"].w)
    inset = snap(R.well_s / 2)
    # A's via at the NMOS contact must be in the lower half, B's (on the PMOS column) in the upper
    need = snap_up(max(yp1 + R.well_enc + inset, yc_p + K.tall + R.s1 + K.rail_top, 2 * (yc_n + K.reach)))
    if p is None:
        return need
    if h + 1e-9 < need:
        raise LibraryError(f"packed sample_switch needs a {w:g} x {need:g} um footprint (given height {h:g})",
                           fix=f"set the sample_switch footprint height to {need:g}")
    y_vb = snap_up(max(yc_p, h / 2 + K.reach))
    if y_vb + K.tall + R.s1 > h - K.rail_top + 1e-9:
        raise LibraryError(f"packed sample_switch: no room for the B via in the upper half of a {h:g} um cell",
                           fix="make the footprint lower")
    xa, xb = pins["A"][1], pins["B"][1]
    xg = snap((xa + xb) / 2)
    rows = {n: y for n, (layer, _x, y) in pins.items() if layer == "m3"}
    if abs(xb - xa) < 2 * (m["n"].l / 2 + R.cg + R.cw / 2) - 1e-9:
        raise LibraryError("switch tracks too close for a gate between them", fix="widen the column")
    yb_rail, yt_rail = t.rail_y(h)
    cols = [min(xa, xb), xg, max(xa, xb)]
    _strip(p, K, cols, [m["n"].w], yn0, True, "n")
    _strip(p, K, cols, [m["p"].w], yp0, True, "p")
    _gate(p, K, xg, snap(yn0 - R.poly_ext), y_n, m["n"].l)
    _gate(p, K, xg, y_p, snap(yp1 + R.poly_ext), m["p"].l)
    for x in (xa, xb):
        _sd_contact(p, K, x, yc_n)
        _sd_contact(p, K, x, yc_p)
        _rect(p, "m1", x - R.w1 / 2, yc_n, x + R.w1 / 2, yc_p)
    _sq(p, "via1", xa, yc_n, R.via)
    _rect(p, "m1", xb - R.w1 / 2, yc_p, xb + R.w1 / 2, y_vb + K.tall)
    _sq(p, "via1", xb, y_vb, R.via)
    n_lo, n_hi = min(rows["EN"], y_n), max(rows["EN"], y_n)
    p_lo, p_hi = min(rows["ENB"], y_p), max(rows["ENB"], y_p)
    if not (p_lo - K.reach >= n_hi + K.reach + R.s2 - 1e-9 or n_lo - K.reach >= p_hi + K.reach + R.s2 - 1e-9):
        raise LibraryError("the EN and ENB rows make the two gate stubs overlap", fix="put ENB above the PMOS gate pad")
    for y, row in ((y_n, rows["EN"]), (y_p, rows["ENB"])):
        _poly_contact(p, K, xg, y)
        _via_stub(p, K, xg, y, row)
    # taps at the left (under the WBL/WBLB feeds: metal2 only there), wells
    xt = snap_up(inset + R.active_w / 2 + 0.055)
    _tap(p, K, "p", xt, TAP_Y0, yb_rail)
    nt0 = snap(h - inset - R.well_enc - R.active_w)
    _tap(p, K, "n", xt, nt0, yt_rail)
    nw0 = snap(yp0 - R.well_enc)
    _rect(p, "nwell", inset, nw0, max(cols) + e + R.well_enc, snap(h - inset))
    _rect(p, "pwell", inset, 0.02, w - inset, nw0)
    return need


def draw_precharge(p, t, cell, w: float, h: float, pins: dict) -> float:
    """The precharge PMOS: LBL contact under the LBL track, VDD contact up to the rail, the gate
    pad under the strip on the PREB row."""
    return _precharge(p, p.deck, cell.spice, w, h, pins, t)


def precharge_height(deck: RuleDeck, spice: str, preb_y: float) -> float:
    return _precharge(None, deck, spice, 2.4, 0.0, {"PREB": ("m3", 0.0, preb_y)}, None)


def _precharge(p, deck: RuleDeck, spice: str, w: float, h: float, pins: dict, t) -> float:
    m, K = _matched(deck, spice, match_precharge, "the precharge netlist is not one PMOS from VDD to LBL")
    R, e = K.R, K.sd_off
    yg = pins["PREB"][2]  # the gate pad sits on the PREB row: via1 + via2 stacked
    # the pad's metal1 encloses it left and right (the VSS rail runs under it), the LBL contact's
    # metal1 clears it
    ya0 = snap_up(max(yg + R.pad / 2 + R.ca, yg + R.w1 / 2 + R.s1 + K.tall - e))
    yc = snap(ya0 + e)
    ya1 = snap(ya0 + m["p"].w)
    inset = snap(R.well_s / 2)
    need = snap_up(max(ya1 + R.well_enc + inset, yc + K.tall + R.s1 + K.rail_top, ya1 + R.poly_ext + R.poly_s / 2))
    if p is None:
        return need
    if h + 1e-9 < need:
        raise LibraryError(f"packed precharge needs a {w:g} x {need:g} um footprint (given height {h:g})",
                           fix=f"set the precharge footprint height to {need:g}")
    x_l = pins["LBL"][1]
    xg = snap(x_l + K.pitch)
    x_v = snap(xg + K.pitch)
    _strip(p, K, [x_l, xg, x_v], [m["p"].w], ya0, True, "p")
    _gate(p, K, xg, yg, snap(ya1 + R.poly_ext), m["p"].l)
    _poly_contact(p, K, xg, yg, tall=False)
    _rect(p, "m1", xg - K.tall, yg - R.w1 / 2, xg + K.tall, yg + R.w1 / 2)
    _sq(p, "via1", xg, yg, R.via)
    _rect(p, "m2", xg - K.m2w / 2, yg - K.reach, xg + K.m2w / 2, yg + K.reach)
    _sq(p, "via2", xg, yg, R.via)
    _sd_contact(p, K, x_l, yc)
    _sq(p, "via1", x_l, yc, R.via)
    _sd_contact(p, K, x_v, yc)
    yt_rail = t.rail_y(h)[1]
    _rect(p, "m1", x_v - R.w1 / 2, yc, x_v + R.w1 / 2, yt_rail)
    xt = snap_up(inset + R.active_w / 2 + 0.055)
    _tap(p, K, "n", xt, snap(h - inset - R.well_enc - R.active_w), yt_rail)
    _rect(p, "nwell", inset, inset, w - inset, snap(h - inset))
    return need
