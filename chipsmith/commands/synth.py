"""`chipsmith synth TEXT_OR_SPEC --inputs A,B --outputs C --bias D --out DIR`: topology synthesis.

Exit codes: 0 a verified design, 1 no verified design (the best attempt and why it
failed are written), 2 bad input (one line on stderr).
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

# A single-command app: the callback takes the positional request, so interspersed
# options (`synth "text" --out d`) must be allowed on the group.
app = typer.Typer(help="Synthesize a verified SPICE netlist from free text or a spec file.",
                  no_args_is_help=True, add_completion=False, subcommand_metavar="",
                  context_settings={"allow_interspersed_args": True})

_SPEC_SUFFIXES = (".yaml", ".yml", ".json")


def _figure_rows(summary: dict) -> list[tuple[str, str]]:
    f = summary.get("figures", {})
    rows = []

    def add(label: str, key: str, scale: float, unit: str, digits: int = 3) -> None:
        v = f.get(key)
        if v is not None:
            rows.append((label, f"{v * scale:.{digits}g} {unit}".strip()))

    add("DC gain", "gain_db", 1, "dB")
    add("gain (linear)", "gain", 1, "V/V", 4)
    add("GBW (unity-gain frequency)", "gbw_hz", 1e-6, "MHz")
    add("phase margin", "pm_deg", 1, "deg")
    add("CMRR", "cmrr_db", 1, "dB")
    add("-3 dB bandwidth", "bw_hz", 1e-6, "MHz")
    add("output swing", "swing_v", 1, "V")
    add("power", "power_w", 1e3, "mW")
    add("output current", "iout_a", 1e6, "uA")
    add("max current error", "max_error", 100, "%")
    add("output resistance", "rout_ohm", 1e-6, "Mohm")
    add("switching threshold", "vm_v", 1, "V")
    add("hysteresis", "hysteresis_v", 1e3, "mV")
    add("oscillation frequency", "frequency_hz", 1e-6, "MHz")
    add("reference output", "nominal", 1, "")
    add("reference voltage", "vref_v", 1, "V")
    add("temperature coefficient", "tempco_ppm", 1, "ppm/K")
    add("supply sensitivity", "supply_sensitivity", 100, "%")
    add("transfer error", "error", 100, "%")
    add("comparator offset", "offset_v", 1e3, "mV")
    return rows


def _print_table(summary: dict, out: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    status = "[green]verified[/green]" if summary["success"] else "[red]NOT verified[/red]"
    table = Table(title=f"chipsmith synth: {summary['kind']} ({summary.get('variant') or '-'}) {status}")
    table.add_column("figure")
    table.add_column("value", justify="right")
    for label, value in _figure_rows(summary):
        table.add_row(label, value)
    table.add_row("checks passed", f"{sum(c['passed'] for c in summary['checks'])}/{len(summary['checks'])}")
    table.add_row("rounds / ngspice runs", f"{summary['rounds']} / {summary['simulations']}")
    table.add_row("seconds", f"{summary['seconds']:.2f}")
    console.print(table)
    console.print(f"ports: " + ", ".join(f"{p['name']} ({p['kind']}, {p['dc']:g} {p['unit']})"
                                         for p in summary["ports"]))
    console.print(f"wrote {out}/design.cir, testbench.cir, summary.json, transcript.md")
    if not summary["success"]:
        console.print(f"[red]no verified design[/red]: {summary.get('reason', '').splitlines()[1:2]}")


@app.callback(invoke_without_command=True)
def synth(
    text_or_spec: str = typer.Argument(..., metavar="TEXT_OR_SPEC",
                                       help="Free text (\"a two-stage op-amp ...\") or a spec file (.yaml/.json)."),
    inputs: str = typer.Option("", "--inputs", help="Input node names, comma-separated (default: the kind's)."),
    outputs: str = typer.Option("", "--outputs", help="Output node names, comma-separated."),
    bias: str = typer.Option("", "--bias", help="Bias node names (ibias*: current into the pin; v*: voltage)."),
    out: Path = typer.Option(Path("synth-out"), "--out", help="Output directory."),
    backend: str = typer.Option("expert", "--backend", help="expert (offline, default), openai, llamacpp."),
    mode: str = typer.Option("", "--mode", help="full (LLM designs the netlist) or hybrid (LLM writes the spec, "
                                                "expert designs); default: full for openai, hybrid for llamacpp."),
    model: str = typer.Option("", "--model", help="LLM model name (openai) or GGUF path (llamacpp)."),
    base_url: str = typer.Option("", "--base-url", help="OpenAI-compatible endpoint, e.g. http://localhost:8000/v1."),
    rounds: int = typer.Option(6, "--rounds", min=1, max=50, help="Proofreading rounds (LLM) / sizing rounds x2 (expert)."),
    retries: int = typer.Option(3, "--retries", min=0, max=10, help="Retries on transport errors (LLM)."),
    kind: str = typer.Option("", "--kind", help="Force the circuit kind (overrides what the text says)."),
    vdd: float = typer.Option(0.0, "--vdd", help="Supply voltage (default 1.8 V or the spec's)."),
    seed: int = typer.Option(0, "--seed", help="Seed passed to LLM backends (the expert is deterministic)."),
    as_json: bool = typer.Option(False, "--json", help="Print summary.json to stdout."),
    quiet: bool = typer.Option(False, "--quiet", help="No progress output."),
) -> None:
    """Synthesize and verify a circuit; exit 0 verified, 1 not verified, 2 bad input."""
    from chipsmith.agents.backends import BACKENDS, DEFAULT_MODE, MODES, make_backend
    from chipsmith.agents.loop import resolve_request, synthesize_request
    from chipsmith.agents.output import write_outputs
    from chipsmith.agents.spec import load_spec_file, split_nodes
    from chipsmith.artifacts import staged_output
    from chipsmith.errors import InputError
    from chipsmith.progress import progress_bar

    backend = backend.strip().lower()
    if backend not in BACKENDS:
        raise InputError(f"unknown backend {backend!r}", where="--backend", fix=f"use one of: {', '.join(BACKENDS)}")
    mode = (mode or DEFAULT_MODE[backend]).strip().lower()
    if backend == "expert":
        mode = "expert"
    elif mode not in MODES:
        raise InputError(f"unknown mode {mode!r}", where="--mode", fix=f"use one of: {', '.join(MODES)}")
    is_file = text_or_spec.lower().endswith(_SPEC_SUFFIXES)
    request: object = text_or_spec
    title = text_or_spec
    if is_file:
        if not Path(text_or_spec).is_file():
            raise InputError("spec file not found", where=text_or_spec, fix="check the path")
        request = load_spec_file(Path(text_or_spec))
        title = str(request.get("text") or f"spec file {Path(text_or_spec).name}")
    elif not text_or_spec.strip():
        raise InputError("empty request", where="TEXT_OR_SPEC", fix="describe the circuit or give a spec file")
    # validate the request before starting any backend (bad input must not cost an LLM call)
    resolve_request(request, inputs=split_nodes(inputs), outputs=split_nodes(outputs), bias=split_nodes(bias),
                    kind=kind or None, vdd=vdd or None, allow_unknown=(mode == "hybrid"),
                    where=text_or_spec if is_file else "request")
    llm = make_backend(backend, model=model or None, base_url=base_url or None, retries=retries, seed=seed)
    library = None
    if mode == "full":
        from chipsmith.agents.text_understanding import _load_library

        library = _load_library()
    # no bar when stderr is not a terminal: an error must stay the only line there
    with progress_bar(f"synth ({backend})", None, quiet=quiet or as_json or not sys.stderr.isatty()) as advance:
        outcome = synthesize_request(request, inputs=split_nodes(inputs), outputs=split_nodes(outputs),
                                     bias=split_nodes(bias), backend=backend, mode=mode, llm=llm, rounds=rounds,
                                     library=library, kind=kind or None, vdd=vdd or None,
                                     on_round=lambda text: advance(1, description=text))
    with staged_output(out) as stage:
        summary = write_outputs(outcome, stage, title)
    if as_json:
        sys.stdout.write(json.dumps(summary, indent=2) + "\n")
    elif not quiet:
        _print_table(summary, out)
    if not outcome.success:
        # on stderr, so that --json output stays clean
        print(f"chipsmith: no verified design after {summary['rounds']} round(s): "
              f"{_first_reason(outcome.reason)}", file=sys.stderr)
        raise typer.Exit(1)


def _first_reason(reason: str) -> str:
    lines = [ln for ln in reason.splitlines() if ln.strip() and ln[0].isdigit()]
    return lines[0] if lines else reason.splitlines()[0] if reason else "unknown"
