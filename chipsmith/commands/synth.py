"""`chipsmith synth TEXT_OR_SPEC --inputs A,B --outputs C --bias D --out DIR`: topology synthesis.

Exit codes: 0 a verified design, 1 no verified design (the best attempt and why it
failed are written), 2 bad input (one line on stderr).
"""
from __future__ import annotations

import sys
from pathlib import Path

import typer

from chipsmith.artifacts import dumps_json
from chipsmith.options import JsonOpt, OutOpt, QuietOpt, SeedOpt

# A single-command app: the callback takes the positional request, so interspersed
# options (`synth "text" --out d`) must be allowed on the group.
app = typer.Typer(help="Synthesize a verified SPICE netlist from free text or a spec file.",
                  no_args_is_help=True, add_completion=False, subcommand_metavar="",
                  context_settings={"allow_interspersed_args": True})


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
    table = Table(title=f"chipsmith synth: {summary['kind'] or '-'} ({summary.get('variant') or '-'}) {status}")
    table.add_column("figure")
    table.add_column("value", justify="right")
    for label, value in _figure_rows(summary):
        table.add_row(label, value)
    table.add_row("checks passed", f"{sum(c['passed'] for c in summary['checks'])}/{len(summary['checks'])}")
    reqs = summary.get("requirements", [])
    table.add_row("requirements passed (judge)", f"{sum(r['passed'] for r in reqs)}/{len(reqs)}")
    table.add_row("rounds / ngspice runs", f"{summary['rounds']} / {summary['simulations']}")
    table.add_row("seconds", f"{summary['seconds']:.2f}")
    console.print(table)
    if summary.get("pdk") and summary.get("corner_table"):
        _print_corners(console, summary)
    console.print("ports: " + ", ".join(f"{p['name']} ({p['role']})" for p in summary.get("interface", [])))
    for r in reqs:
        mark = "[green]pass[/green]" if r["passed"] else f"[red]{r['status']}[/red]"
        console.print(f"  {mark} {r['requirement']}" + (f": {r['detail']}" if r.get("detail") else ""),
                      markup=True, highlight=False)
    if summary.get("unconsumed"):
        console.print("[red]not read[/red]: " + "; ".join(summary["unconsumed"]))
    console.print(f"wrote {out}/design.cir, testbench.cir, summary.json, transcript.md")
    if not summary["success"]:
        console.print(f"[red]no verified design[/red]: {(summary.get('reason') or '').splitlines()[:2]}",
                      markup=True, highlight=False)


def _print_corners(console, summary: dict) -> None:
    """Per requirement and corner: pass/fail and the margin to the target."""
    from rich.table import Table

    points = [c["point"] for c in summary["corners"]]
    table = Table(title=f"on {summary['pdk']['name']}: every requirement at every corner")
    table.add_column("requirement")
    for p in points:
        table.add_column(p, justify="right")
    for row in summary["corner_table"]:
        cells = []
        for p in points:
            c = row["corners"].get(p)
            if c is None:
                cells.append("-")
                continue
            mark = "pass" if c["status"] == "pass" else c["status"].upper()
            cells.append(mark + (f" {c['margin']:+.0%}" if c.get("margin") is not None else ""))
        table.add_row(row["requirement"], *cells)
    console.print(table)


@app.callback(invoke_without_command=True)
def synth(
    text_or_spec: str = typer.Argument(..., metavar="TEXT_OR_SPEC",
                                       help="Free text (\"a two-stage op-amp ...\") or a spec file (.yaml/.json)."),
    out: OutOpt = Path("synth-out"),
    inputs: str = typer.Option("", "--inputs", help="Input port names, comma-separated (Vinp,Vinn; Iref for a "
                                                    "mirror; none for an oscillator)."),
    outputs: str = typer.Option("", "--outputs", help="Output port names, comma-separated."),
    bias: str = typer.Option("", "--bias", help="Bias/reference/control port names (I*: current into the pin; "
                                                "others: voltages)."),
    ports: str = typer.Option("", "--ports", help="Ports with roles, e.g. \"Vin:signal_in,Vbias:bias_v,Vout:out\" "
                                                  "(roles: signal_in diff_in_p diff_in_n bias_v bias_i reference "
                                                  "control clock out diff_out_p diff_out_n); a name alone gets its "
                                                  "role from the name or the text."),
    backend: str = typer.Option("expert", "--backend", help="expert (offline, default), openai, llamacpp."),
    mode: str = typer.Option("", "--mode", help="full (LLM designs the netlist) or hybrid (LLM writes the spec, "
                                                "expert designs); default: full for openai, hybrid for llamacpp."),
    model: str = typer.Option("", "--model", help="LLM model name (openai) or GGUF path (llamacpp)."),
    base_url: str = typer.Option("", "--base-url", help="OpenAI-compatible endpoint, e.g. http://localhost:8000/v1."),
    rounds: int = typer.Option(6, "--rounds", min=1, max=50, help="Proofreading rounds (LLM) / sizing rounds x2 (expert)."),
    retries: int = typer.Option(3, "--retries", min=0, max=10, help="Retries on transport errors (LLM)."),
    kind: str = typer.Option("", "--kind", help="Force the circuit kind (overrides what the text says)."),
    vdd: float = typer.Option(0.0, "--vdd", help="Supply voltage (default 1.8 V, or what the request says)."),
    models: str = typer.Option("", "--models", help="SPICE file defining nch/pch models to design with (used or "
                                                    "refused, never replaced)."),
    pdk: str = typer.Option("generic", "--pdk", help="Process to design and judge on: generic (level-1 cards) or "
                                                     "sky130 (SkyWater 130 nm models; the design is moved onto its "
                                                     "devices and re-sized)."),
    corners: str = typer.Option("", "--corners", help="Process corners every requirement must pass at, e.g. "
                                                      "tt,ff,ss,fs,sf (default tt)."),
    temps: str = typer.Option("", "--temps", help="Temperatures in C every requirement must pass at, e.g. "
                                                  "-40,27,125 (default 27)."),
    budget: int = typer.Option(30, "--budget", min=1, max=500, help="Sizing candidates on the PDK (--pdk) or "
                                                                   "evaluations of an optimisation goal."),
    seed: SeedOpt = 0,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """Synthesize a design and judge it against every requirement of the request.

    Exit 0: the independent judge passed every requirement; 1: no such design (the best
    attempt and the failing requirements, or the unread phrases, are written); 2: bad input.
    """
    from chipsmith.agents.synth_flow import first_reason, synth as run_synth
    from chipsmith.progress import progress_bar

    # no bar when stderr is not a terminal: an error must stay the only line there
    with progress_bar(f"synth ({backend})", None, quiet=quiet or as_json or not sys.stderr.isatty()) as advance:
        summary = run_synth(text_or_spec, out=out, inputs=inputs, outputs=outputs, bias=bias, ports=ports,
                            backend=backend, mode=mode, model=model, base_url=base_url, rounds=rounds,
                            retries=retries, kind=kind, vdd=vdd, model_file=models, seed=seed,
                            on_round=lambda text: advance(1, description=text), pdk=pdk, corners=corners,
                            temps=temps, budget=budget)
    if as_json:
        sys.stdout.write(dumps_json(summary) + "\n")
    elif not quiet:
        _print_table(summary, out)
    if not summary["success"]:
        # on stderr, so that --json output stays clean
        print(f"chipsmith: no verified design after {summary['rounds']} round(s): "
              f"{first_reason(summary.get('reason', ''))}", file=sys.stderr)
        raise typer.Exit(1)
