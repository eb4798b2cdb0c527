"""`chipsmith litho`: lithography simulation (layout → aerial → resist → contours), datasets and
learned resist models.

Each command parses its options and calls one flow in :mod:`chipsmith.lithography.flows`
(simulate, generate, train, predict); heavy imports (torch, gdstk) happen there so
``--help`` stays fast.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from chipsmith.options import JsonOpt, LimitOpt, OutOpt, QuietOpt, SchedulerOpt, SeedOpt, WorkersOpt

app = typer.Typer(help="Lithography: simulate layouts (Hopkins/ICCAD13 optics, resist, contours), "
                       "generate contact-clip datasets, train and apply CNN resist models.", no_args_is_help=True)

DeviceOpt = typer.Option("cpu", "--device", help="torch device: cpu or cuda.")


def _echo(summary: dict, as_json: bool, line: str) -> None:
    from chipsmith.artifacts import dumps_json

    typer.echo(dumps_json(summary) if as_json else line)


def _fmt(v, unit: str = "") -> str:
    return "n/a" if v is None else f"{v:.2f}{unit}"


@app.command()
def simulate(
    layout: Path = typer.Argument(..., help="Layout: .glp (ICCAD/LithoBench text), .gds or .oas."),
    out: OutOpt = ...,
    preset: str = typer.Option("new", "--preset", help="Process preset: old, new or a .yaml file."),
    kernels: Optional[str] = typer.Option(None, "--kernels", help="Use SOCS kernels instead of the preset optics: "
                                          "iccad13, iccad13:focus, iccad13:defocus or a kernel folder."),
    kernel_offset: int = typer.Option(24, "--kernel-offset", help="ICCAD13 kernel byte offset: 24 (orthonormal, "
                                      "default) or 20 (compat with loaders that read one float early)."),
    resist: str = typer.Option("threshold", "--resist", help="threshold (fast: Gaussian diffusion + constant "
                               "threshold), chem (lumped Dill exposure, acid-quencher PEB, Mack development) or film "
                               "(3-D reaction-diffusion + development front through the film, bottom CD)."),
    layer: Optional[str] = typer.Option(None, "--layer", help="Layer: GDS 'L' or 'L/D'; .glp layer name."),
    cell: Optional[str] = typer.Option(None, "--cell", help="GDS/OASIS cell (default: the largest top cell)."),
    window: Optional[str] = typer.Option(None, "--window", help="x0,y0,x1,y1 in nm (square)."),
    pixel: Optional[float] = typer.Option(None, "--pixel", help="nm per pixel (default: preset, or 1 for iccad13)."),
    dose: float = typer.Option(1.0, "--dose", help="Relative dose (1.0 nominal)."),
    threshold: Optional[float] = typer.Option(None, "--threshold", help="Override the threshold-model threshold."),
    device: str = DeviceOpt,
    workers: WorkersOpt = None,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Simulate one layout: aerial.png, resist.png, contours.gds (layer 1 printed, layer 0 drawn),
    images.npz and summary.json with CD/EPE statistics. --workers sets torch's CPU threads."""
    from chipsmith.lithography import flows

    s = flows.simulate(layout, out, preset=preset, kernels=kernels, kernel_offset=kernel_offset, resist=resist,
                       layer=layer, cell=cell, window=window, pixel=pixel, dose=dose, threshold=threshold,
                       device=device, workers=workers, quiet=quiet or as_json)
    stats = s["cd"]
    short = {k: v for k, v in s.items() if k != "per_contact"}
    _echo(s if as_json else short, as_json,
          f"{layout.name}: {s['kernels']} ({s['kernel_count']} kernels, {s['imaging_method']}), {resist} resist, "
          f"grid {s['grid']} @ {s['pixel_nm']:g} nm; printed/drawn area "
          f"{s['printed_area_nm2'] / max(s['drawn_area_nm2'], 1e-9):.3f}; contacts {stats['printed']}/"
          f"{stats['contacts']} CD {_fmt(stats['cd_x_mean_nm'], ' nm')}; EPE rms {_fmt(s['epe']['rms_nm'], ' nm')} → {out}")


@app.command()
def generate(
    out: OutOpt = ...,
    node: str = typer.Option("new", "--node", help="Technology node preset: old, new or a .yaml file."),
    count: int = typer.Option(2000, "--count", min=1, help="Number of clips."),
    seed: SeedOpt = 0,
    shard_size: int = typer.Option(256, "--shard-size", min=1, help="Clips per .npz shard."),
    batch: int = typer.Option(32, "--batch", min=1, help="Clips imaged together (one task per batch)."),
    mix: Optional[str] = typer.Option(None, "--mix", help="Clip kinds and weights, e.g. "
                                      "random=0.35,array=0.25,dense=0.15,isolated=0.1,stdcontact=0.15."),
    resist: str = typer.Option("film", "--resist", help="Ground truth: film (3-D reaction-diffusion + "
                               "development-front model, bottom CD) or lumped (2-D Dill/PEB/Mack depth)."),
    device: str = DeviceOpt,
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Generate a seeded contact-clip dataset: mask, aerial, ground-truth resist image (--resist) and a
    per-contact table (CD, EPE, effective threshold) for each clip."""
    from chipsmith.lithography import flows

    s = flows.generate(out, node=node, count=count, seed=seed, shard_size=shard_size, batch=batch, mix=mix,
                       device=device, workers=workers, scheduler=scheduler, quiet=quiet or as_json, resist=resist)
    _echo(s, as_json, f"{count} {s['node']}-node clips ({s['contacts']} contacts, CD "
          f"{_fmt(s['cd_mean_nm'], ' nm')} for {s['contact_nm']:g} nm drawn) in {s['shards']} shards → {out}")


@app.command()
def train(
    target: Path = typer.Option(..., "--target", help="Newer-node dataset (litho generate) to label from."),
    out: OutOpt = ...,
    source: Optional[Path] = typer.Option(None, "--source", help="Older-node dataset to pretrain on "
                                          "(transfer learning); without it the model trains from scratch."),
    budget: int = typer.Option(200, "--budget", help="Labelled target samples: contacts (threshold "
                               "model) or clips (fcn)."),
    select: str = typer.Option("active", "--select", help="active (half the budget at random, then "
                               "MC-dropout uncertainty + k-center diversity) or random."),
    model: str = typer.Option("threshold", "--model", help="threshold (CNN: per-edge slicing thresholds "
                              "around each contact) or fcn (fully convolutional resist image)."),
    freeze: Optional[str] = typer.Option(None, "--freeze", help="Layers kept from the source when fine-tuning: "
                                         "threshold: none|early|features|staged (default none); "
                                         "fcn: none|early|encoder (default early)."),
    prior: str = typer.Option("cv", "--prior", help="Threshold model, transfer: how strongly fine-tuning is held "
                              "to the source weights (L2-SP strength per label, e.g. 10), or cv: chosen by "
                              "cross-validation on the labels among 0, 1, 10, 100 and training from scratch."),
    test: Optional[Path] = typer.Option(None, "--test", help="Held-out newer-node dataset to score on "
                                        "(default: the pool's unlabelled samples)."),
    steps: Optional[int] = typer.Option(None, "--steps", min=1, help="Training steps per model."),
    pretrain_steps: int = typer.Option(1500, "--pretrain-steps", min=1, help="Steps on the source node."),
    rounds: int = typer.Option(4, "--rounds", min=1, help="Acquisition rounds (active selection)."),
    limit: LimitOpt = None,
    device: str = DeviceOpt,
    seed: SeedOpt = 0,
    workers: WorkersOpt = None,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Train a resist model on a labelling budget of newer-node samples, optionally pretrained on an
    older node; writes model.pt, labelled.json and summary.json (held-out CD/EPE or IoU)."""
    from chipsmith.lithography import flows

    s = flows.train(target, out, source=source, test=test, budget=budget, select=select, model=model, freeze=freeze,
                    prior=prior, steps=steps, pretrain_steps=pretrain_steps, rounds=rounds, seed=seed, device=device,
                    workers=workers, limit=limit, quiet=quiet or as_json)
    m = s["metrics"]
    score = (f"CD RMSE {_fmt(m.get('cd_rmse_nm'), ' nm')}, EPE RMSE {_fmt(m.get('epe_rmse_nm'), ' nm')}"
             if s["model"] == "threshold" else f"IoU {_fmt(m.get('iou_mean'))}")
    _echo(s, as_json, f"{s['model']} model, {'transfer ' + str(s['source_node']) + '→' if s['transfer'] else 'scratch '}"
          f"{s['node']}, {s['select']} selection of {s['labelled']}: {score} on {m.get('held_out')} → {out}")


@app.command()
def predict(
    layout: Path = typer.Argument(..., help="Layout: .glp, .gds or .oas (contact layer)."),
    out: OutOpt = ...,
    model: str = typer.Option("threshold-new", "--model", help="A `litho train` output folder, a model.pt, "
                              "or a shipped checkpoint name (threshold-new)."),
    preset: Optional[str] = typer.Option(None, "--preset", help="Check that the model was trained for this node."),
    pixel: Optional[float] = typer.Option(None, "--pixel", help="Check the model's pixel (nm)."),
    layer: Optional[str] = typer.Option(None, "--layer", help="Layer: GDS 'L' or 'L/D'; .glp layer name."),
    cell: Optional[str] = typer.Option(None, "--cell", help="GDS/OASIS cell (default: the largest top cell)."),
    window: Optional[str] = typer.Option(None, "--window", help="x0,y0,x1,y1 in nm (square)."),
    device: str = DeviceOpt,
    workers: WorkersOpt = None,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Predict resist contours of a layout with a trained model: contours.gds (and the lumped
    resist model's simulated.gds), overlay.png, cd.csv, and prediction vs simulation time."""
    from chipsmith.lithography import flows

    s = flows.predict(model, layout, out, preset=preset, pixel=pixel, layer=layer, cell=cell, window=window,
                      device=device, workers=workers, quiet=quiet or as_json)
    _echo(s, as_json, f"{layout.name}: {s['kind']} ({s['node']}), {s['contacts']} contacts, CD RMSE vs {s['ground_truth']} resist "
          f"{_fmt(s['cd_rmse_vs_sim_nm'], ' nm')}, IoU {_fmt(s['iou_vs_sim'])}; resist stage "
          f"{_fmt(s['speedup_vs_resist_sim'])}x faster than the simulation on {s['device']} → {out}")
