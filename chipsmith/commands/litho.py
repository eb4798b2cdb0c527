"""`chipsmith litho`: lithography simulation (layout → aerial → resist → contours) and datasets.

``simulate`` images one layout (.glp, .gds, .oas) with a process preset's Hopkins optics
or the ICCAD13 SOCS kernels, develops it with the fast threshold or the rigorous
chemical resist model, and writes aerial/resist PNGs, ``contours.gds`` and a summary
with CD and EPE statistics. ``generate`` writes a seeded contact-clip dataset for a
node. Heavy imports (torch, gdstk) happen inside the commands so ``--help`` stays fast.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

import typer

from chipsmith.errors import InputError

app = typer.Typer(help="Lithography: simulate layouts (Hopkins/ICCAD13 optics, resist, contours), "
                       "generate contact-clip datasets.", no_args_is_help=True)


def _parse_window(text: Optional[str]) -> tuple[float, float, float, float] | None:
    if text is None:
        return None
    try:
        vals = tuple(float(v) for v in text.replace(" ", "").split(","))
    except ValueError:
        raise InputError(f"--window '{text}' is not x0,y0,x1,y1", fix="write e.g. --window 0,0,1024,1024 (nm)") from None
    if len(vals) != 4 or not (vals[2] > vals[0] and vals[3] > vals[1]):
        raise InputError(f"--window '{text}' must be x0,y0,x1,y1 with x1>x0, y1>y0",
                         fix="write e.g. --window 0,0,1024,1024 (nm)")
    return vals  # type: ignore[return-value]


def _need_torch() -> None:
    import importlib.util

    if importlib.util.find_spec("torch") is None:
        raise InputError("lithography needs PyTorch, which is not installed",
                         fix="pip install 'chipsmith[ml]' (torch==2.13.0)")


def _echo(summary: dict, as_json: bool, line: str) -> None:
    from chipsmith.artifacts import _json_default

    if as_json:
        typer.echo(json.dumps(summary, indent=2, default=_json_default))
    else:
        typer.echo(line)


def _fmt(v, unit: str = "") -> str:
    return "n/a" if v is None else f"{v:.2f}{unit}"


@app.command()
def simulate(
    layout: Path = typer.Argument(..., help="Layout: .glp (ICCAD/LithoBench text), .gds or .oas."),
    out: Path = typer.Option(..., "--out", help="Output directory."),
    preset: str = typer.Option("new", "--preset", help="Process preset: old, new or a .yaml file."),
    kernels: Optional[str] = typer.Option(None, "--kernels", help="Use SOCS kernels instead of the preset optics: "
                                          "iccad13, iccad13:focus, iccad13:defocus or a kernel folder."),
    kernel_offset: int = typer.Option(24, "--kernel-offset", help="ICCAD13 kernel byte offset: 24 (orthonormal, "
                                      "default) or 20 (compat with loaders that read one float early)."),
    resist: str = typer.Option("threshold", "--resist", help="threshold (fast: Gaussian diffusion + constant "
                               "threshold) or chem (Dill exposure, acid-quencher PEB, Mack development)."),
    layer: Optional[str] = typer.Option(None, "--layer", help="Layer: GDS 'L' or 'L/D'; .glp layer name."),
    cell: Optional[str] = typer.Option(None, "--cell", help="GDS/OASIS cell (default: the largest top cell)."),
    window: Optional[str] = typer.Option(None, "--window", help="x0,y0,x1,y1 in nm (square)."),
    pixel: Optional[float] = typer.Option(None, "--pixel", help="nm per pixel (default: preset, or 1 for iccad13)."),
    dose: float = typer.Option(1.0, "--dose", help="Relative dose (1.0 nominal)."),
    threshold: Optional[float] = typer.Option(None, "--threshold", help="Override the threshold-model threshold."),
    device: str = typer.Option("cpu", "--device", help="torch device: cpu or cuda."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
    quiet: bool = typer.Option(False, "--quiet", help="No progress output."),
) -> None:
    """Simulate one layout: aerial.png, resist.png, contours.gds (layer 1 printed, layer 0 drawn),
    images.npz and summary.json with CD/EPE statistics."""
    import time

    import numpy as np

    from chipsmith.artifacts import staged_output, write_json
    from chipsmith.lithography import contours as C
    from chipsmith.lithography import pipeline
    from chipsmith.lithography.layout_io import read_layout
    from chipsmith.lithography.presets import get_preset
    from chipsmith.progress import progress_bar

    t0 = time.perf_counter()
    _need_torch()
    win = _parse_window(window)
    proc = get_preset(preset)
    if not layout.exists():
        raise InputError("layout file not found", where=str(layout), fix="check the path")
    lay = read_layout(layout, layer=layer, window=win, cell=cell)
    sim = pipeline.plan(lay, proc, kernels=kernels, kernel_offset=kernel_offset, resist=resist, pixel_nm=pixel,
                        window=win, dose=dose, threshold=threshold)
    with progress_bar("litho simulate", 3, quiet=quiet or as_json) as advance:
        result = pipeline.simulate(lay, sim, device=device)
        advance(1)
        with staged_output(out) as stage:
            pipeline.save_png(stage / "aerial.png", result.aerial, vmin=0.0)
            level = result.level
            pipeline.save_png(stage / "resist.png", result.resist, vmin=0.0, vmax=2 * level)
            n_poly = C.write_gds(stage / "contours.gds", result.regions, drawn=lay.polygons)
            np.savez_compressed(stage / "images.npz", mask=result.mask, aerial=result.aerial, resist=result.resist)
            advance(1)
            stats = C.contact_stats(result.contacts)
            summary = {
                "layout": str(layout), "layer": lay.layer, "polygons": len(lay),
                "preset": proc.name, "kernels": sim.kernels.name, "kernel_count": sim.kernels.count,
                "kernel_size": sim.kernels.size, "resist": resist, "level": level, "dose": dose,
                "window_nm": list(sim.window), "pixel_nm": sim.pixel_nm, "grid": sim.grid,
                "device": device,
                "drawn_area_nm2": float(result.mask.sum() * sim.pixel_nm ** 2),
                "printed_area_nm2": result.printed_area_nm2(),
                "contour_area_nm2": C.contour_area(result.regions),
                "contour_polygons": n_poly,
                "aerial_max": float(result.aerial.max()), "aerial_min": float(result.aerial.min()),
                "cd": stats, "epe": C.epe_stats(result.epe),
                "per_contact": C.measures_to_rows(result.contacts),
                "files": ["aerial.png", "resist.png", "contours.gds", "images.npz", "summary.json"],
                "seconds": round(time.perf_counter() - t0, 3),
            }
            write_json(stage / "summary.json", summary)
            advance(1)
    short = {k: v for k, v in summary.items() if k != "per_contact"}
    _echo(summary if as_json else short, as_json,
          f"{layout.name}: {summary['kernels']} ({sim.kernels.count} kernels), {resist} resist, grid {sim.grid} @ "
          f"{sim.pixel_nm:g} nm; printed/drawn area {summary['printed_area_nm2'] / max(summary['drawn_area_nm2'], 1e-9):.3f}; "
          f"contacts {stats['printed']}/{stats['contacts']} CD {_fmt(stats['cd_x_mean_nm'], ' nm')}; "
          f"EPE rms {_fmt(summary['epe']['rms_nm'], ' nm')} → {out}")


@app.command()
def generate(
    out: Path = typer.Option(..., "--out", help="Output directory (shard-*.npz, index.json, summary.json)."),
    node: str = typer.Option("new", "--node", help="Technology node preset: old, new or a .yaml file."),
    n: int = typer.Option(2000, "--n", help="Number of clips."),
    seed: int = typer.Option(0, "--seed", help="Random seed (same seed, same dataset)."),
    shard_size: int = typer.Option(256, "--shard-size", help="Clips per .npz shard."),
    batch: int = typer.Option(32, "--batch", help="Clips imaged together."),
    mix: Optional[str] = typer.Option(None, "--mix", help="Clip kinds and weights, e.g. "
                                      "random=0.35,array=0.25,dense=0.15,isolated=0.1,stdcontact=0.15."),
    device: str = typer.Option("cpu", "--device", help="torch device: cpu or cuda."),
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
    quiet: bool = typer.Option(False, "--quiet", help="No progress bar."),
) -> None:
    """Generate a seeded contact-clip dataset: mask, aerial, rigorous resist image and a per-contact
    table (CD, EPE, effective threshold) for each clip."""
    from chipsmith.artifacts import staged_output, write_json
    from chipsmith.lithography import dataset
    from chipsmith.lithography.presets import get_preset
    from chipsmith.progress import progress_bar

    if n < 1:
        raise InputError(f"--n must be >= 1, got {n}", fix="ask for at least one clip")
    _need_torch()
    weights = None
    if mix:
        weights = {}
        for part in mix.split(","):
            key, _, val = part.partition("=")
            try:
                weights[key.strip()] = float(val)
            except ValueError:
                raise InputError(f"--mix entry '{part}' is not KIND=WEIGHT",
                                 fix=f"kinds: {', '.join(dataset.KINDS)}") from None
    proc = get_preset(node)
    with progress_bar(f"litho generate ({proc.name})", n, quiet=quiet or as_json) as advance:
        with staged_output(out) as stage:
            summary = dataset.generate(stage, proc, n, seed, shard_size=shard_size, mix=weights, batch=batch,
                                       device=device, on_progress=advance)
            write_json(stage / "summary.json", summary)
    _echo(summary, as_json, f"{n} {proc.name}-node clips ({summary['contacts']} contacts, CD "
          f"{_fmt(summary['cd_mean_nm'], ' nm')} for {proc.contact_nm:g} nm drawn) in {summary['shards']} shards → {out}")
