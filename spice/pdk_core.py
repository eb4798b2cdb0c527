"""A PDK's model library cut down to the devices a design uses, so a sizing loop loads it in ~0.1 s.

sky130's combined ngspice library loads every device of the process at every corner (the
2 MB ``models_fet.spice`` holds 22 FET families, plus BJTs, diodes, resistors, SONOS and RF
cells): about 3.5 s of CPU per ngspice process, which a sizing run pays once per
(corner, batch). An op-amp built from the 1.8 V core devices needs two of those subcircuits.

:func:`core_pdk` writes, once per installed library, a ``.lib`` file with the same corner
sections whose FET include is replaced by just the needed ``.subckt`` blocks, copied
verbatim (the parameter files and ``models_global.spice`` are included unchanged from the
installed package), and returns the :class:`~chipsmith.spice.pdk.Pdk` pointing at it.
Nothing is re-fitted or approximated: the device subcircuits are the PDK's own text, so a
simulation gives the same numbers (checked in tests/spice/test_sizing_core_lib.py at every
corner). Sign-off re-checks (``bench sizing``'s confirmation) still use the full library.

A design that uses any other PDK device (a resistor cell, a BJT...) keeps the full
library (:func:`uses_only`), as does a PDK this module does not know how to cut.
"""
from __future__ import annotations

import dataclasses
import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import Iterable

from chipsmith.spice.pdk import Pdk

#: the FET file of the sky130 combined library, replaced by the cut-down copy
_FET_FILE = "continuous/models_fet.spice"
#: includes kept verbatim in every corner section (process parameters and global switches)
_KEEP = re.compile(r"^continuous/(parameters_\w+|models_global)\.spice$")
_DEVICE = re.compile(r"\bsky130_fd_pr__\w+", re.IGNORECASE)


def devices_in(netlist: str) -> set[str]:
    """The sky130 device names a netlist instantiates (lower case)."""
    body = "\n".join(line for line in netlist.splitlines() if not line.lstrip().startswith("*"))
    return {m.group(0).lower() for m in _DEVICE.finditer(body)}


def uses_only(netlist: str, pdk: Pdk) -> bool:
    """True when every PDK device of ``netlist`` is one of the PDK's two core MOSFETs."""
    return devices_in(netlist) <= {pdk.nmos.name.lower(), pdk.pmos.name.lower()}


def _subckt_block(lines: list[str], name: str) -> list[str]:
    start = next(i for i, line in enumerate(lines) if line.split()[:2] == [".subckt", name])
    end = next(i for i in range(start, len(lines)) if lines[i].startswith(".ends"))
    return lines[start:end + 1]


def _cache_dir() -> Path:
    from chipsmith.data import user_cache

    return user_cache() / "pdk-core"


def _write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)  # concurrent writers (dask workers) write the same bytes; last one wins


def _section(pdk: Pdk, lib_lines: list[str], corner: str, fets: str, kept: dict[str, str]) -> list[str]:
    """The inside of ``corner``'s section with the FET include pointing at ``fets`` and each
    kept include at ``kept[target]`` (absolute paths in the cache, relative in an export)."""
    section = lib_lines[lib_lines.index(f".lib {corner}") + 1:lib_lines.index(f".endl {corner}")]
    out = []
    for line in section:
        if line.startswith(".include"):
            target = line.split()[1].strip("\"'")
            if _KEEP.match(target):
                out.append(f'.include "{kept[target]}"')
            elif target == _FET_FILE:
                out.append(f'.include "{fets}"')
        elif line.strip() and not line.startswith("*"):
            out.append(line)  # the section's switch parameters
    return out


def _library_text(pdk: Pdk, lib_lines: list[str], fets: str, kept: dict[str, str], head: str) -> str:
    """Every corner section of ``pdk``'s library (its ``lib_lines``), cut (:func:`_section`)."""
    out = [head]
    for corner in pdk.corners:
        out += [f".lib {corner}", *_section(pdk, lib_lines, corner, fets, kept), f".endl {corner}"]
    return "\n".join(out) + "\n"


def _fet_text(pdk: Pdk, names: list[str], source: str | None = None) -> str:
    fet_path = pdk.model_file.parent / _FET_FILE
    fet_lines = fet_path.read_text(encoding="utf-8", errors="replace").split("\n")
    blocks = [line for name in names for line in _subckt_block(fet_lines, name)]
    return f"* {', '.join(names)} copied verbatim from {source or fet_path}\n" + "\n".join(blocks) + "\n"


def _kept_includes(text: str) -> list[str]:
    """The process-parameter and global-switch files the corner sections of ``text`` include."""
    return sorted({t for t in re.findall(r'^\.include\s+"?([^"\s]+)"?', text, re.MULTILINE) if _KEEP.match(t)})


def build_core_library(pdk: Pdk, devices: Iterable[str], folder: Path | None = None) -> Path:
    """Write (or reuse) the cut-down ``.lib`` holding only ``devices``; returns its path."""
    lib = pdk.model_file
    root = lib.parent
    names = sorted({d.lower() for d in devices})
    fet_path = root / _FET_FILE
    stamp = hashlib.sha256(f"{lib}:{lib.stat().st_mtime_ns}:{fet_path.stat().st_mtime_ns}:{names}".encode())
    folder = (folder or _cache_dir()) / f"{pdk.name}-{stamp.hexdigest()[:16]}"
    out_lib = folder / "core.lib.spice"
    if out_lib.is_file():
        return out_lib
    fets = folder / "core_fets.spice"
    _write_atomic(fets, _fet_text(pdk, names))
    text = lib.read_text(encoding="utf-8", errors="replace")
    kept = {t: str(root / t) for t in _kept_includes(text)}
    head = f"* {pdk.name} corner sections of {lib}, cut to {', '.join(names)} by chipsmith.spice.pdk_core"
    _write_atomic(out_lib, _library_text(pdk, text.split("\n"), str(fets), kept, head))
    return out_lib


#: the files of an exported library (:func:`export_core_library`)
EXPORT_LIB = "{pdk}_core.lib.spice"
EXPORT_CORNER = "{pdk}_{corner}.spice"


def export_core_library(pdk: Pdk, devices: Iterable[str], folder: Path) -> Path:
    """Copy the cut-down library of ``devices`` into ``folder`` with relative includes only, so
    a design folder simulates with plain ngspice on a machine without the PDK installed.

    Besides the ``.lib`` file, each corner gets a plain include file (``sky130_tt.spice``: the
    section's body) because ngspice resolves a relative ``.include`` against the including
    file's folder but a relative ``.lib`` against the top deck's, so only ``.include`` lets a
    design file load its models wherever the deck that includes it lives. The files are the
    PDK's own text (Apache-2.0, licence header kept)."""
    root = pdk.model_file.parent
    names = sorted({d.lower() for d in devices})
    folder.mkdir(parents=True, exist_ok=True)
    _write_atomic(folder / "core_fets.spice", _fet_text(pdk, names, f"the {pdk.name} library's {_FET_FILE}"))
    text = pdk.model_file.read_text(encoding="utf-8", errors="replace")
    lib_lines = text.split("\n")
    kept = {}
    for target in _kept_includes(text):
        name = Path(target).name
        _write_atomic(folder / name, (root / target).read_text(encoding="utf-8", errors="replace"))
        kept[target] = name
    licence = "\n".join(line for line in lib_lines[:14] if line.startswith("*"))
    what = f"{pdk.name} cut to {', '.join(names)} by chipsmith.spice.pdk_core (device models copied verbatim)"
    for corner in pdk.corners:
        _write_atomic(folder / EXPORT_CORNER.format(pdk=pdk.name, corner=corner),
                      "\n".join([licence, f"* {what}: corner {corner}",
                                 *_section(pdk, lib_lines, corner, "core_fets.spice", kept)]) + "\n")
    out = folder / EXPORT_LIB.format(pdk=pdk.name)
    _write_atomic(out, _library_text(pdk, lib_lines, "core_fets.spice", kept,
                                     f"{licence}\n* {what}; every corner section"))
    return out


def core_pdk_for(pdk: Pdk, devices: Iterable[str]) -> Pdk:
    """``pdk`` pointing at the cut-down library of ``devices`` (raises where it cannot be cut)."""
    path = build_core_library(pdk, devices)
    return dataclasses.replace(pdk, model_file=path, description=f"{pdk.description}, core MOSFETs only")


def core_pdk(pdk: Pdk, netlist: str) -> Pdk:
    """``pdk`` loading only the core MOSFETs when ``netlist`` needs nothing else; else ``pdk``."""
    if pdk.name != "sky130" or not pdk.section_per_corner or not uses_only(netlist, pdk):
        return pdk
    try:
        return core_pdk_for(pdk, (pdk.nmos.name, pdk.pmos.name))
    except (OSError, StopIteration, ValueError):  # an installed library laid out differently: load it whole
        return pdk
