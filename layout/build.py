"""The `acim build` flow: one design -> macro.gds, macro.cir, macro.lef, preview PNG, drc.json,
lvs.json and summary.json, all written atomically.

The design comes either from a front (``DIR#INDEX``: the design with that id in DIR's
pareto.json or picked.json) or from explicit variables. After writing the GDS it is read
back with klayout.db for the rule check and the connectivity check, so the reports are
about the file on disk, not about the generator's intent.
"""
from __future__ import annotations

import time
from collections import Counter
from pathlib import Path
from typing import Any

from chipsmith.errors import InputError
from chipsmith.layout.cells import load_cells
from chipsmith.layout.macro import MacroSpec, build_layout, leaf_placements, netlist, terminals
from chipsmith.layout.rules import load_rules


def spec_from_front(source: str) -> tuple[MacroSpec, dict]:
    """``DIR#INDEX`` -> the spec of design INDEX of the front in DIR (pareto.json or picked.json)."""
    from chipsmith.layout.flow import load_front

    if "#" not in source:
        raise InputError(f"{source!r} names no design", fix="write DIR#INDEX, e.g. out/front#3")
    path, _, idx = source.rpartition("#")
    p = Path(path)
    if p.is_dir() and not (p / "pareto.json").exists() and (p / "picked.json").exists():
        p = p / "picked.json"
    doc = load_front(p)
    try:
        index = int(idx)
    except ValueError:
        raise InputError(f"design index {idx!r} is not a number", fix="write DIR#INDEX, e.g. out/front#3") from None
    designs = {d["id"]: d for d in doc["designs"]}
    if index not in designs:
        raise InputError(f"front has no design #{index}", where=str(p),
                         fix=f"valid ids: {', '.join(map(str, sorted(designs)[:20]))}")
    v = designs[index]["variables"]
    pr = doc["problem"]
    return MacroSpec(int(pr["rows"]), int(pr["cols"]), int(v["H"]), int(v["W"]), int(v["L"]), int(v["B_ADC"]),
                     int(v["cap_mult"]), int(v["input_bits_per_cycle"]), int(v.get("bitcell", 0)),
                     int(v.get("cap_type", 0)), int(v.get("adc_type", 0)), int(v.get("col_mux", 1))), designs[index]


def type_index(name: str, value: str | int | None, choices: tuple[str, ...], aliases: dict[str, int]) -> int:
    """A type option given by name (``10t``, ``mim``, ``flash``) or index -> the index."""
    if value is None:
        return 0
    if isinstance(value, int) and 0 <= value < len(choices):
        return value
    key = str(value).strip().lower()
    if key in aliases:
        return aliases[key]
    if key.isdigit() and int(key) < len(choices):
        return int(key)
    raise InputError(f"--{name} {value!r} is not a choice", fix=f"use one of: {', '.join(aliases)}")


BITCELL_NAMES = {"8t": 0, "sram8t": 0, "10t": 1, "sram10t": 1}
CAP_NAMES = {"mom": 0, "compute_cap": 0, "mim": 1, "mim_cap": 1}
ADC_NAMES = {"sar": 0, "flash": 1}


def run_build(*, source: str | None = None, rows: int | None = None, cols: int | None = None,
              bank_rows: int | None = None, bank_cols: int | None = None, local: int | None = None,
              adc_bits: int | None = None, cap_mult: int = 1, input_bits_per_cycle: int = 1,
              bitcell: str | int | None = None, cap_type: str | int | None = None, adc_type: str | int | None = None,
              col_mux: int | None = None, cells: Path | None = None, rules: Path | None = None, checks: bool = True, out: Path,
              quiet: bool = False) -> dict[str, Any]:
    from chipsmith.artifacts import atomic_write_text, staged_output, write_json

    record = None
    if source is not None:
        if any(x is not None for x in (rows, cols, bank_rows, bank_cols, local, adc_bits, bitcell, cap_type, adc_type,
                                       col_mux)):
            raise InputError("give either DIR#INDEX or --rows/--cols/--local/--adc-bits (and the types), not both",
                             fix="the front's design already fixes its bitcell, capacitor, ADC type and column mux")
        spec, record = spec_from_front(source)
    else:
        missing = [n for n, v in (("--rows", rows), ("--cols", cols), ("--local", local), ("--adc-bits", adc_bits))
                   if v is None]
        if missing:
            raise InputError(f"missing {', '.join(missing)}", fix="give DIR#INDEX or all of --rows --cols --local --adc-bits")
        from chipsmith.layout.architecture import ADC_TYPES, BITCELLS, CAP_TYPES

        spec = MacroSpec(rows, cols, bank_rows or rows, bank_cols or cols, local, adc_bits, cap_mult,
                         input_bits_per_cycle, type_index("bitcell", bitcell, BITCELLS, BITCELL_NAMES),
                         type_index("cap-type", cap_type, CAP_TYPES, CAP_NAMES),
                         type_index("adc-type", adc_type, ADC_TYPES, ADC_NAMES), 1 if col_mux is None else col_mux)
    lib = load_cells(cells)
    needed = [k for k in (spec.bitcell_kind, spec.cap_kind, "flash_comparator" if spec.flash else "comparator")
              + (("col_mux",) if spec.col_mux > 1 else ()) if not lib.has(k)]
    if needed:
        raise InputError(f"the cell library has no {needed[0]} cell for this design", where=lib.source,
                         fix=f"add a cell of kind {needed[0]} (see layout/cells/default.yaml) or pick another type")
    deck = load_rules(rules)
    t0 = time.perf_counter()
    built = build_layout(spec, lib, deck)
    cir = netlist(spec, lib)
    with staged_output(out) as stage:
        gds_path = stage / "macro.gds"
        built.library.write_gds(str(gds_path))
        atomic_write_text(stage / "macro.cir", cir)
        t_build = time.perf_counter() - t0
        geo = built.geometry
        br, bc = spec.banks
        width, height = bc * geo.bank_w, br * geo.bank_h
        atomic_write_text(stage / "macro.lef", lef(built, width, height, deck))
        drc = lvs = None
        if checks:
            from chipsmith.layout.connectivity import check
            from chipsmith.layout.drc import run_drc

            drc = run_drc(gds_path, deck)
            write_json(stage / "drc.json", drc)
            lvs = check(gds_path, cir, "acim_macro", terminals(spec, built), deck, [c.name for c in lib.cells.values()])
            write_json(stage / "lvs.json", lvs)
        from chipsmith.layout.architecture import ADC_TYPES

        preview(gds_path, stage / "macro.png", deck, title=f"ACIM {spec.rows}x{spec.cols} H={spec.H} W={spec.W} "
                f"L={spec.L} B={spec.B_ADC} cap={spec.cap_mult}x {spec.bitcell_kind} {spec.cap_kind} "
                f"{ADC_TYPES[spec.adc_type]}" + (f" mux {spec.col_mux}:1" if spec.col_mux > 1 else ""))
        kind_of = {"sram8t": spec.bitcell_kind, "compute_cap": spec.cap_kind}  # roles -> the chosen cell kinds
        counts = Counter(kind_of.get(role, "col_mux" if role.startswith("col_mux_") else role)
                         for _p, role, _x, _y in leaf_placements(spec, geo))
        area = width * height
        f2 = (lib.process.feature_nm * 1e-3) ** 2
        summary = {
            "command": "acim build", "spec": spec.to_dict(),
            "types": {"bitcell": spec.bitcell_kind, "cap_type": spec.cap_kind, "adc_type": ADC_TYPES[spec.adc_type]},
            "col_mux": {"columns_per_adc": spec.col_mux, "adcs_per_bank": spec.adc_groups,
                        "sar_rows": spec.sar_rows if not spec.flash else None},
            "source": source, "cells": lib.describe(),
            "rules": deck.describe(),
            "width_um": width, "height_um": height, "area_um2": area, "aspect": width / height,
            "um2_per_bit": area / (spec.rows * spec.cols), "f2_per_bit": area / (spec.rows * spec.cols) / f2,
            "banks": {"rows": br, "cols": bc, "width_um": geo.bank_w, "height_um": geo.bank_h},
            "column_pitch_um": geo.pitch, "local_array_height_um": geo.la_h,
            "leaf_instances": dict(sorted(counts.items())), "leaf_instance_total": sum(counts.values()),
            "gds_cells": len(built.library.cells), "gds_bytes": gds_path.stat().st_size,
            "macro_pins": len(built.pins),
            "model_area_um2": record["metrics"]["area_um2"] if record else None,
            "drc": {k: drc[k] for k in ("clean", "violations", "seconds")} if drc else None,
            "connectivity": ({k: lvs[k] for k in ("match", "opens", "shorts", "schematic_nets", "layout_nets",
                                                  "terminals", "seconds")} if lvs else None),
            "seconds": {"build": t_build, "drc": drc["seconds"] if drc else None,
                        "connectivity": lvs["seconds"] if lvs else None},
            "files": ["macro.gds", "macro.cir", "macro.lef", "macro.png"] + (["drc.json", "lvs.json"] if checks else [])
            + ["summary.json"],
        }
        if record:
            summary["model_area_rel_error"] = record["metrics"]["area_um2"] / area - 1.0
        write_json(stage / "summary.json", summary)
    return summary


def lef(built, width: float, height: float, deck) -> str:
    """A LEF 5.8 abstract: size, pins (a wire-width square on the pin's layer) and obstructions."""
    names = {"m1": "metal1", "m2": "metal2", "m3": "metal3"}
    half = 0.035
    lines = ["VERSION 5.8 ;", 'BUSBITCHARS "[]" ;', 'DIVIDERCHAR "/" ;', "", f"MACRO {built.top.name}",
             "  CLASS BLOCK ;", "  ORIGIN 0 0 ;", f"  SIZE {width:.4f} BY {height:.4f} ;", "  SYMMETRY X Y ;"]
    for name, layer, x, y in built.pins:
        use = "POWER" if name.startswith("VDD") else "GROUND" if name.startswith("VSS") else "SIGNAL"
        lines += [f"  PIN {name}", "    DIRECTION INOUT ;", f"    USE {use} ;", "    PORT",
                  f"      LAYER {names[layer]} ;",
                  f"        RECT {x - half:.4f} {y - half:.4f} {x + half:.4f} {y + half:.4f} ;", "    END",
                  f"  END {name}"]
    lines.append("  OBS")
    for layer in ("metal1", "metal2", "metal3"):
        lines += [f"    LAYER {layer} ;", f"      RECT 0 0 {width:.4f} {height:.4f} ;"]
    lines += ["  END", f"END {built.top.name}", "", "END LIBRARY", ""]
    return "\n".join(lines)


COLORS = {"active": "#4caf50", "poly": "#e53935", "m1": "#1e88e5", "m2": "#d81b60", "m3": "#43a047",
          "via1": "#000000", "via2": "#5d4037", "capm": "#ff9800"}


def _polygon_count(cell, depth: int | None, memo: dict) -> int:
    """Polygons ``cell.get_polygons(depth=depth)`` would return, counted through the references
    (each cell counted once per depth, repetitions multiplied) without flattening."""
    key = (cell.name, depth)
    if key not in memo:
        n = len(cell.polygons) + len(cell.paths)
        if depth is None or depth > 0:
            for ref in cell.references:
                if hasattr(ref.cell, "polygons"):  # a RawCell reference has no polygons to draw
                    n += max(1, ref.repetition.size) * _polygon_count(ref.cell, None if depth is None else depth - 1, memo)
        memo[key] = n
    return memo[key]


def preview(gds: Path, png: Path, deck, title: str = "", max_polygons: int = 400_000,
            window: tuple[float, float, float, float] | None = None) -> None:
    """PNG of the flattened layout (layers coloured); above ``max_polygons`` only the metals
    and cell outlines of the first hierarchy levels are drawn. ``window`` (x0, y0, x1, y1, µm)
    crops to a region (e.g. the folded ADC of a muxed group)."""
    import gdstk
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.collections import PolyCollection

    lib = gdstk.read_gds(str(gds))
    top = lib.top_level()[0]
    bb = top.bounding_box()
    if window is not None:
        bb = ((window[0], window[1]), (window[2], window[3]))
    w, h = bb[1][0] - bb[0][0], bb[1][1] - bb[0][1]
    scale = min(12.0 / max(w, 1e-9), 12.0 / max(h, 1e-9))
    fig, ax = plt.subplots(figsize=(max(3.0, w * scale), max(3.0, h * scale) + 0.4))
    # count through the hierarchy before flattening: a flattened 1024x1024 macro of device-level
    # cells is hundreds of millions of polygons (tens of GB), so pick the depth first
    depth = None
    for depth in (None, 3, 2, 1):
        if _polygon_count(top, depth, {}) <= max_polygons:
            break
    polys = top.get_polygons(depth=depth)
    by_layer: dict[tuple[int, int], list] = {}
    for p in polys:
        by_layer.setdefault((p.layer, p.datatype), []).append(p.points)
    order = ("active", "poly", "m1", "m2", "m3", "capm", "via1", "via2")
    for name in order:
        if name not in deck.layers:
            continue
        pts = by_layer.get(deck.gds(name))
        if pts:
            ax.add_collection(PolyCollection(pts, facecolor=COLORS[name], edgecolor="none",
                                             alpha=0.35 if name in ("m1", "m2", "m3") else 0.6, label=name))
    if "boundary" in deck.layers:
        pts = by_layer.get(deck.gds("boundary"), [])
        ax.add_collection(PolyCollection(pts, facecolor="none", edgecolor="0.3", linewidth=0.3))
    ax.set_xlim(bb[0][0], bb[1][0])
    ax.set_ylim(bb[0][1], bb[1][1])
    ax.set_aspect("equal")
    ax.set_xlabel("x (µm)")
    ax.set_ylabel("y (µm)")
    ax.legend(loc="upper right", fontsize=6, framealpha=0.8)
    ax.set_title(title + (f" (hierarchy depth {depth})" if depth else ""), fontsize=8)
    fig.tight_layout()
    fig.savefig(png, dpi=150)
    plt.close(fig)


def cells_figure(png: Path, lib, deck) -> None:
    """PNG of every drawn leaf cell (the docs figure of the cell library)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.collections import PolyCollection
    from matplotlib.patches import Patch

    from chipsmith.layout.leafcells import draw_library

    drawn = draw_library(lib, deck)
    rows = (["sram8t", "precharge", "sample", "compute_cap", "share"],
            ["wl_driver", "sar_logic", "comparator", "timing_ctrl"])
    fig = plt.figure(figsize=(13, 8.5))
    subs = fig.subfigures(2, 1, height_ratios=[1.0, 1.6])
    for sub, roles in zip(subs, rows):
        axes = sub.subplots(1, len(roles), gridspec_kw={"width_ratios": [drawn[r].width for r in roles]})
        top = max(drawn[r].height for r in roles)
        for ax, role in zip(axes, roles):
            d = drawn[role]
            by = {}
            for p in d.cell.get_polygons():
                by.setdefault((p.layer, p.datatype), []).append(p.points)
            for name in ("active", "poly", "m1", "m2", "m3", "via1", "via2"):
                pts = by.get(deck.gds(name))
                if pts:
                    ax.add_collection(PolyCollection(pts, facecolor=COLORS[name], edgecolor="none",
                                                     alpha=0.45 if name in ("m1", "m2", "m3") else 0.8))
            for name, (_layer, x, y) in d.pins.items():
                ax.text(x, y, name, fontsize=6, ha="center", va="center")
            ax.add_patch(matplotlib.patches.Rectangle((0, 0), d.width, d.height, fill=False, lw=0.6))
            ax.set_xlim(-0.05, d.width + 0.05)
            ax.set_ylim(-0.05, top + 0.05)
            ax.set_aspect("equal")
            ax.set_title(f"{role} ({d.width:g} x {d.height:g} um)", fontsize=8)
            ax.tick_params(labelsize=6)
    fig.legend(handles=[Patch(color=COLORS[n], label=n) for n in COLORS], loc="upper center", fontsize=8, ncol=7)
    fig.savefig(png, dpi=160)
    plt.close(fig)
