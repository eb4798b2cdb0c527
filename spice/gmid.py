"""gm/Id lookup tables of a PDK's MOSFETs, built with ngspice, for sizing by inversion level.

One ngspice run per polarity sweeps V_GS for a grid of (L, V_DS) devices placed side by side
(one drain source each), so the PDK's models load once. From the drain currents:
gm = dI/dV_GS along the sweep, gds = dI/dV_DS across the V_DS grid. Magnitudes throughout
(a PMOS is tabulated by |V_GS|, |V_DS|, |I_D|).

Sizing by gm/Id (Jespers & Murmann): choose gm/Id for the inversion level, read the current
density I_D/W and the intrinsic gain gm/gds at the chosen L; then W = I_D / (I_D/W).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from chipsmith.errors import InputError
from chipsmith.spice.pdk import Pdk

DEFAULT_LENGTHS = (0.15, 0.3, 0.5, 1.0, 2.0)
#: Below 1 nA/µm a device is off for design purposes (and gm/Id of a square-law model diverges).
MIN_ID_W = 1e-9


@dataclass(frozen=True)
class GmIdTable:
    """Drain current, gm and gds over (L, |V_DS|, |V_GS|) of one device flavour at one corner.

    ``id``, ``gm``, ``gds`` have shape ``(len(lengths), len(vds), len(vgs))``; currents in A
    for a device of width ``w`` µm.
    """

    pdk: str
    device: str
    polarity: str
    corner: str
    temp_c: float
    w: float
    lengths: tuple[float, ...]
    vds: np.ndarray
    vgs: np.ndarray
    id: np.ndarray
    gm: np.ndarray
    gds: np.ndarray

    @property
    def gm_id(self) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.id > 0, self.gm / self.id, np.nan)

    @property
    def id_w(self) -> np.ndarray:
        """Current density I_D/W (A/µm)."""
        return self.id / self.w

    @property
    def intrinsic_gain(self) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.gds > 0, self.gm / self.gds, np.nan)

    def lookup(self, l: float, gm_id: float, vds: float) -> dict[str, float]:
        """At length ``l`` (one of the table's) and |V_DS| ``vds``: the |V_GS|, I_D/W (A/µm) and
        gm/gds where gm/Id equals ``gm_id`` (strong-inversion side of the curve)."""
        if l not in self.lengths:
            raise InputError(f"L={l:g} um is not in the table", fix=f"use one of: {', '.join(map(str, self.lengths))}")
        i = self.lengths.index(l)
        j = int(np.argmin(np.abs(self.vds - vds)))
        curve = self.gm_id[i, j]
        valid = np.isfinite(curve) & (self.id_w[i, j] > MIN_ID_W)
        # the strong-inversion tail where gm/Id falls monotonically as V_GS rises (some PDK
        # models have a hump in moderate inversion; the tail is where sizing works)
        k = curve.size - 1
        while k > 0 and valid[k - 1] and curve[k - 1] >= curve[k]:
            k -= 1
        xs, ys = curve[k:][valid[k:]], self.vgs[k:][valid[k:]]
        if not (xs.size and xs.min() <= gm_id <= xs.max()):
            raise InputError(f"gm/Id={gm_id:g} 1/V is outside what this device reaches at L={l:g} um "
                             f"({xs.min() if xs.size else 0:.3g}..{xs.max() if xs.size else 0:.3g})",
                             fix="choose a gm/Id inside that range")
        order = np.argsort(xs)
        vgs = float(np.interp(gm_id, xs[order], ys[order]))
        at = lambda grid: float(np.interp(vgs, self.vgs, grid[i, j]))  # noqa: E731
        return {"vgs": vgs, "id_w": at(self.id_w), "gm_gds": at(self.intrinsic_gain), "vds": float(self.vds[j])}

    def save(self, path: Path) -> None:
        np.savez_compressed(path, pdk=self.pdk, device=self.device, polarity=self.polarity, corner=self.corner,
                            temp_c=self.temp_c, w=self.w, lengths=np.array(self.lengths), vds=self.vds,
                            vgs=self.vgs, id=self.id, gm=self.gm, gds=self.gds)

    @classmethod
    def load(cls, path: Path) -> "GmIdTable":
        try:
            z = np.load(path)
            return cls(str(z["pdk"]), str(z["device"]), str(z["polarity"]), str(z["corner"]), float(z["temp_c"]),
                       float(z["w"]), tuple(float(v) for v in z["lengths"]), z["vds"], z["vgs"], z["id"], z["gm"],
                       z["gds"])
        except (OSError, KeyError, ValueError) as exc:
            raise InputError(f"not a gm/Id table ({type(exc).__name__})", where=str(path),
                             fix="build one with `chipsmith spice gmid --out DIR`") from None


def _deck(pdk: Pdk, polarity: str, lengths: Sequence[float], vds: np.ndarray, w: float) -> str:
    sign = 1.0 if polarity == "nmos" else -1.0
    lines = [f"* gm/Id characterization of {pdk.device(polarity).name}", "vgs g 0 0"]
    for i, l in enumerate(lengths):
        for j, v in enumerate(vds):
            lines.append(pdk.mosfet(f"M{i}_{j}", f"d{i}_{j}", "g", "0", "0", polarity, w, l))
            lines.append(f"vd{i}_{j} d{i}_{j} 0 {sign * v:.6g}")
    return "\n".join(lines) + "\n"


def build_table(pdk: Pdk, polarity: str, *, lengths: Sequence[float] = DEFAULT_LENGTHS, corner: str = "tt",
                temp_c: float = 27.0, w: float = 5.0, vgs_step: float = 0.01, vds_step: float = 0.05,
                timeout_s: float = 300.0) -> GmIdTable:
    """Characterize one polarity of ``pdk`` at ``corner``/``temp_c`` with one ngspice run."""
    from chipsmith.spice.flows import with_models
    from chipsmith.spice.runner import Dc, simulate

    if not lengths:
        raise InputError("no channel lengths to characterize", fix="pass e.g. --lengths 0.15,0.5,1")
    if not (0 < vgs_step <= 0.1 and 0 < vds_step <= 0.3):
        raise InputError("sweep steps must be 0 < vgs_step <= 0.1 V and 0 < vds_step <= 0.3 V")
    lengths = tuple(sorted({pdk.device(polarity).snap(w, l, where=f"L={l}")[1] for l in lengths}))
    vdd = pdk.supply_v
    vds = np.round(np.arange(vds_step, vdd + vds_step / 2, vds_step), 6)
    sign = 1.0 if polarity == "nmos" else -1.0
    deck = with_models(_deck(pdk, polarity, lengths, vds, w), pdk.model_lines(corner, temp_c))
    save = [f"i(vd{i}_{j})" for i in range(len(lengths)) for j in range(vds.size)]
    result = simulate(deck, [Dc("vgs", 0.0, sign * vdd, sign * vgs_step)], save=save, timeout_s=timeout_s,
                      trusted=True, include_dirs=pdk.model_dirs, source=f"gm/Id {pdk.name} {polarity} {corner}")
    dc = result.dc
    vgs = np.abs(dc.x)
    current = np.stack([np.stack([np.abs(dc.get(f"i(vd{i}_{j})").real) for j in range(vds.size)])
                        for i in range(len(lengths))])
    gm = np.gradient(current, vgs, axis=2)
    gds = np.gradient(current, vds, axis=1)
    return GmIdTable(pdk.name, pdk.device(polarity).name, polarity, corner, temp_c, w, lengths, vds, vgs,
                     current, gm, gds)


def table_summary(table: GmIdTable, vds: float | None = None, gm_ids: Sequence[float] = (5.0, 10.0, 15.0)) -> dict:
    """Representative points of a table: per L, the peak gm/Id and, at each requested gm/Id,
    |V_GS|, I_D/W and gm/gds at |V_DS| = ``vds`` (default half the sweep)."""
    vds = float(table.vds[table.vds.size // 2]) if vds is None else vds
    j = int(np.argmin(np.abs(table.vds - vds)))
    rows = []
    for i, l in enumerate(table.lengths):
        useful = table.id_w[i, j] > MIN_ID_W
        row: dict = {"l_um": l, "peak_gm_id": float(np.nanmax(np.where(useful, table.gm_id[i, j], np.nan)))}
        for target in gm_ids:
            try:
                row[f"at_gm_id_{target:g}"] = table.lookup(l, target, vds)
            except InputError:
                row[f"at_gm_id_{target:g}"] = None
        rows.append(row)
    return {"pdk": table.pdk, "device": table.device, "polarity": table.polarity, "corner": table.corner,
            "temp_c": table.temp_c, "w_um": table.w, "vds": float(table.vds[j]), "lengths": rows}
