"""`chipsmith bench topology`: the agent designs each problem, the independent judge scores it."""
from __future__ import annotations

import typer

from chipsmith.options import (JsonOpt, LimitOpt, OutOpt, QuietOpt, SchedulerOpt, SeedOpt, WorkersOpt,
                               resolve_workers)


def register(app: typer.Typer) -> None:
    app.command("topology")(topology)


def topology(
    out: OutOpt,
    set_name: str = typer.Option("real_v2", "--set", help="real_v2 | real (regression) | synthetic | PATH.jsonl"),
    backend: str = typer.Option("expert", "--backend",
                                help="expert (offline) | openai (OpenAI-compatible endpoint, key from "
                                     "OPENAI_API_KEY) | llamacpp (local GGUF via llama-cpp-python)."),
    mode: str = typer.Option("", "--mode", help="LLM backends: full (the LLM picks library blocks and writes the "
                                                "netlist) or hybrid (the LLM writes the spec, the expert designs)."),
    model: str = typer.Option("", "--model", help="LLM model name (openai) or GGUF file (llamacpp)."),
    base_url: str = typer.Option("", "--base-url", help="OpenAI-compatible endpoint, e.g. http://127.0.0.1:8080/v1."),
    rounds: int = typer.Option(6, "--rounds", min=1, max=20, help="LLM proofreading rounds per problem."),
    max_tokens: int = typer.Option(1024, "--max-tokens", min=0, help="Cap on each LLM answer (0: none)."),
    retries: int = typer.Option(3, "--retries", min=0, max=10, help="Retries on LLM transport errors."),
    request: str = typer.Option("spec", "--request",
                                help="Legacy sets only: spec (structured spec + text) or text (free text only)."),
    pdk: str = typer.Option("generic", "--pdk", help="Process the designs are moved onto, sized on and judged "
                                                     "with: generic or sky130 (expert backend)."),
    corners: str = typer.Option("", "--corners", help="Corners every requirement must pass at (e.g. tt,ff,ss,fs,sf)."),
    temps: str = typer.Option("", "--temps", help="Temperatures in C every requirement must pass at (e.g. -40,27,125)."),
    budget: int = typer.Option(12, "--budget", min=1, max=500, help="Sizing candidates per design on the PDK."),
    family: str = typer.Option("", "--family", help="Only these report families, comma-separated "
                                                    "(e.g. amplifiers,op-amps); --limit applies after."),
    limit: LimitOpt = None,
    seed: SeedOpt = 0,
    workers: WorkersOpt = None,
    scheduler: SchedulerOpt = None,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Solved / false-success / refused per family; writes results.jsonl, report.md, summary.json into --out."""
    from chipsmith.artifacts import dumps_json
    from chipsmith.benchmarks import topology_bench as tb

    summary = tb.run(set_name, out=out, backend=backend, request=request, limit=limit, seed=seed,
                     workers=resolve_workers(workers, scheduler), scheduler=scheduler, quiet=quiet or as_json,
                     mode=mode, model=model, base_url=base_url, rounds=rounds, max_tokens=max_tokens or None,
                     retries=retries, pdk=pdk, corners=corners, temps=temps, budget=budget, families=family)
    if as_json:
        print(dumps_json(summary))
    elif not quiet:
        print(tb.report_md(summary).split("## False successes")[0].split("## Refusals")[0])
