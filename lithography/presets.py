"""Process presets: two contact-layer technology generations, the domains of part 2.

A :class:`ProcessPreset` bundles everything a simulation needs (optics, grid, the
node's contact size and pitch rule, both resist models) as frozen dataclasses loaded
from YAML (``lithography/presets/<name>.yaml``); nothing is global, a preset is passed
explicitly. ``old`` is a 90 nm-class dry-ArF contact layer, ``new`` a 45 nm-class
immersion contact layer; see the README section for the table.
"""
from __future__ import annotations

import functools
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

from chipsmith.errors import LithoError
from chipsmith.lithography.hopkins import Optics, Source, socs_kernels
from chipsmith.lithography.kernels import SocsKernels
from chipsmith.lithography.resist import ChemResist, ThresholdResist
from chipsmith.lithography.resist_film import FilmResist

PRESET_DIR = Path(__file__).with_name("presets")


@dataclass(frozen=True)
class ProcessPreset:
    """A contact-layer process: optics, simulation grid, design rules and resist models.

    ``contact_nm``: drawn contact side; ``min_pitch_nm``: the node's minimum contact pitch
    (centre to centre); ``pixel_nm``/``clip_nm``: simulation grid (clip side must be a
    whole number of pixels); ``energy``/``max_kernels``: SOCS truncation;
    ``threshold``: the fast resist model; ``chem``: the resist chemistry, alone the lumped
    chemical model; ``film``: the film's parameters of the depth-resolved model
    (:mod:`resist_film`, chemistry from ``chem``), the ground truth of ``litho generate``.
    """

    name: str
    description: str
    optics: Optics
    contact_nm: float
    min_pitch_nm: float
    pixel_nm: float
    clip_nm: float
    threshold: ThresholdResist
    chem: ChemResist
    film: FilmResist = FilmResist()
    energy: float = 0.995
    max_kernels: int = 24

    def __post_init__(self) -> None:
        if self.contact_nm <= 0 or self.min_pitch_nm <= self.contact_nm:
            raise LithoError(f"preset {self.name}: need 0 < contact_nm < min_pitch_nm, got "
                             f"{self.contact_nm}, {self.min_pitch_nm}", fix="fix the preset's contact rules")
        if self.pixel_nm <= 0 or abs(self.clip_nm / self.pixel_nm - round(self.clip_nm / self.pixel_nm)) > 1e-9:
            raise LithoError(f"preset {self.name}: clip_nm {self.clip_nm} is not a whole number of "
                             f"{self.pixel_nm} nm pixels", fix="make clip_nm a multiple of pixel_nm")

    @property
    def grid(self) -> int:
        return int(round(self.clip_nm / self.pixel_nm))

    def kernels(self, period_nm: float | None = None) -> SocsKernels:
        """SOCS kernels of this preset's optics for masks of side ``period_nm`` (default: the clip)."""
        return _cached_kernels(self.optics, float(period_nm or self.clip_nm), self.energy, self.max_kernels)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        optics = d.pop("optics")
        d.update({k: optics[k] for k in ("wavelength_nm", "na", "immersion_index", "defocus_nm")})
        d["source"] = optics["source"]
        return d


@functools.lru_cache(maxsize=16)
def _cached_kernels(optics: Optics, period_nm: float, energy: float, max_kernels: int) -> SocsKernels:
    return socs_kernels(optics, period_nm, energy=energy, max_kernels=max_kernels)


def _build(cls, data: Any, where: str):
    if not isinstance(data, dict):
        raise LithoError(f"{cls.__name__} section must be a mapping", where=where, fix="see lithography/presets/new.yaml")
    names = {f.name for f in fields(cls)}
    unknown = sorted(set(data) - names)
    if unknown:
        raise LithoError(f"unknown {cls.__name__} keys: {', '.join(unknown)}", where=where,
                         fix=f"valid keys: {', '.join(sorted(names))}")
    try:
        return cls(**data)
    except TypeError as exc:
        raise LithoError(f"bad {cls.__name__} section: {exc}", where=where, fix="see lithography/presets/new.yaml") from exc


def preset_from_dict(data: dict[str, Any], where: str = "<preset>") -> ProcessPreset:
    """Build a preset from the YAML mapping (see ``lithography/presets/*.yaml``)."""
    import copy

    if not isinstance(data, dict):
        raise LithoError("preset must be a YAML mapping", where=where, fix="see lithography/presets/new.yaml")
    d = copy.deepcopy(data)
    try:
        source = _build(Source, d.pop("source", {}), where)
        optics = Optics(wavelength_nm=float(d.pop("wavelength_nm")), na=float(d.pop("na")),
                        immersion_index=float(d.pop("immersion_index", 1.0)), source=source,
                        defocus_nm=float(d.pop("defocus_nm", 0.0)))
        threshold = _build(ThresholdResist, d.pop("threshold", {}), where)
        chem = _build(ChemResist, d.pop("chem", {}), where)
        film = _build(FilmResist, d.pop("film", {}), where)
        preset = _build(ProcessPreset, {**d, "optics": optics, "threshold": threshold, "chem": chem, "film": film},
                        where)
    except KeyError as exc:
        raise LithoError(f"preset is missing key {exc}", where=where, fix="see lithography/presets/new.yaml") from exc
    return preset


def load_preset(path: Path | str) -> ProcessPreset:
    """Load a preset YAML file."""
    import yaml

    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text())
    except OSError as exc:
        raise LithoError(f"cannot read preset: {exc.strerror}", where=str(path), fix="pass an existing YAML file") from exc
    except yaml.YAMLError as exc:
        raise LithoError(f"invalid YAML: {exc}".splitlines()[0], where=str(path), fix="fix the YAML syntax") from exc
    return preset_from_dict(data, str(path))


def preset_names() -> list[str]:
    return sorted(p.stem for p in PRESET_DIR.glob("*.yaml"))


def get_preset(name: str) -> ProcessPreset:
    """A built-in preset by name (``old``/``new``) or a YAML path; a miss lists the valid names."""
    if name in preset_names():
        return _builtin(name)
    path = Path(name)
    if path.suffix.lower() in (".yaml", ".yml") and path.exists():
        return load_preset(path)
    raise LithoError(f"unknown preset {name!r}", fix=f"use one of: {', '.join(preset_names())}, or a .yaml file")


@functools.lru_cache(maxsize=None)
def _builtin(name: str) -> ProcessPreset:
    return load_preset(PRESET_DIR / f"{name}.yaml")
