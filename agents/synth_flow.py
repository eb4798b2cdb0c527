"""The ``chipsmith synth`` flow: request -> (expert | LLM) -> judged design -> files.

:func:`synth` validates everything that can be bad input before any backend starts
(the request text or spec file, the port list and its roles, the backend options), runs
the synthesis loop, and writes ``design.cir``, ``testbench.cir``, ``summary.json`` and
``transcript.md`` atomically into ``out``. It returns the summary; ``summary["success"]``
is true only when the independent judge passed every requirement and the request had
no unconsumed phrase.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable

from chipsmith.errors import InputError

SPEC_SUFFIXES = (".yaml", ".yml", ".json")


def synth(text_or_spec: str, *, out: Path, inputs: str = "", outputs: str = "", bias: str = "", ports: str = "",
          backend: str = "expert", mode: str = "", model: str = "", base_url: str = "", rounds: int = 6,
          retries: int = 3, kind: str = "", vdd: float = 0.0, model_file: str = "", seed: int = 0,
          on_round: Callable[[str], None] | None = None, budget: int = 30, workers: int | None = 1,
          scheduler: str | None = None, pdk: str = "generic", corners: str = "", temps: str = "") -> dict:
    """Run one synthesis request end to end (see module docstring); returns summary.json's data.

    ``pdk``/``corners``/``temps``: with a real process (``sky130``) or corners/temperatures
    other than tt/27 C, the planned design is moved onto the PDK, re-sized and judged at
    every corner x temperature (:mod:`chipsmith.agents.synth_pdk`); success only if every
    point passes."""
    from chipsmith.agents.backends import BACKENDS, DEFAULT_MODE, MODES, make_backend
    from chipsmith.agents.loop import resolve_request, synthesize_request
    from chipsmith.agents.output import write_outputs
    from chipsmith.agents.request import split_names
    from chipsmith.agents.spec import load_spec_file
    from chipsmith.artifacts import staged_output

    from chipsmith.spice.pdk import get_pdk, parse_corners, parse_temps

    process = get_pdk(pdk or "generic")  # unknown or not installed: bad input, before anything runs
    corner_list = parse_corners(corners, process)
    temp_list = parse_temps(temps)
    on_pdk = process.name != "generic" or corner_list != ("tt",) or temp_list != (27.0,)
    backend = backend.strip().lower()
    if backend not in BACKENDS:
        raise InputError(f"unknown backend {backend!r}", where="--backend", fix=f"use one of: {', '.join(BACKENDS)}")
    mode = (mode or DEFAULT_MODE[backend]).strip().lower()
    if backend == "expert":
        mode = "expert"
    elif mode not in MODES:
        raise InputError(f"unknown mode {mode!r}", where="--mode", fix=f"use one of: {', '.join(MODES)}")
    models = None
    if model_file:
        path = Path(model_file).expanduser()
        if not path.is_file():
            raise InputError("model file not found", where=model_file, fix="give a SPICE file with nch/pch models")
        from chipsmith.agents.circuit import models_text
        from chipsmith.agents.planner import _nmos_params

        models = str(path.resolve())
        models_text(models)  # refuses a file without nch/pch now, not after a backend started
        _nmos_params(models)
    is_file = text_or_spec.lower().endswith(SPEC_SUFFIXES)
    request: object = text_or_spec
    title = text_or_spec
    if is_file:
        if not Path(text_or_spec).is_file():
            raise InputError("spec file not found", where=text_or_spec, fix="check the path")
        request = load_spec_file(Path(text_or_spec))
        if models:
            request = {**request, "model_file": models}
        title = str(request.get("text") or f"spec file {Path(text_or_spec).name}")
    elif not text_or_spec.strip():
        raise InputError("empty request", where="TEXT_OR_SPEC", fix="describe the circuit or give a spec file")
    names = dict(inputs=split_names(inputs), outputs=split_names(outputs), bias=split_names(bias),
                 ports=split_names(ports))
    # validate the request before starting any backend (bad input must not cost an LLM call)
    req = resolve_request(request, **names, kind=kind or None, vdd=vdd or None, allow_unknown=(mode == "full"),
                          where=text_or_spec if is_file else "request")
    from chipsmith.agents.goal_words import goal_of

    if on_pdk and models:
        raise InputError("--models and --pdk both name the devices to design with", where="--models",
                         fix="use one: --pdk sky130 moves the design onto the PDK's own models")
    if on_pdk and goal_of(req.requirements):
        raise InputError("an optimisation goal (maximise/minimise) is not supported with --pdk/--corners/--temps",
                         where="request", fix="state a target instead, e.g. 'gain at least 40 dB'")
    if backend == "expert" and not models and goal_of(req.requirements) and not req.unconsumed:
        from chipsmith.agents.goals import write_goal_outputs

        return write_goal_outputs(req, out, title, budget=budget, seed=seed, workers=workers, scheduler=scheduler,
                                  on_round=on_round)  # "maximise gain/GBW/GBW per watt": agents/goals.py
    llm = make_backend(backend, model=model or None, base_url=base_url or None, retries=retries, seed=seed)
    library = None
    if mode == "full":
        from chipsmith.agents.text_understanding import _load_library

        library = _load_library()
    outcome = synthesize_request(req, backend=backend, mode=mode, llm=llm, rounds=rounds, library=library,
                                 vdd=vdd or None, model_file=models, on_round=on_round)
    if on_pdk:
        from chipsmith.agents.synth_pdk import run_pdk

        return run_pdk(outcome, req, process, corner_list, temp_list, out=out, title=title, budget=budget,
                       seed=seed, on_round=on_round)
    with staged_output(out) as stage:
        return write_outputs(outcome, stage, title)


def first_reason(reason: str) -> str:
    """The first actionable line of a failure reason (for the one-line stderr message)."""
    lines = [ln for ln in reason.splitlines() if ln.strip() and ln[0].isdigit()]
    return lines[0] if lines else reason.splitlines()[0] if reason else "unknown"
