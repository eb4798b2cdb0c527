"""Many parameter variants of one circuit in one ngspice process: models load once.

A PDK's models take seconds to parse (sky130: about 3 s of CPU), which a sizing loop must
not pay per evaluation. ngspice can change ``.param`` values of a loaded circuit
(``alterparam``) and rebuild it (``reset``) in milliseconds, so a batch of candidates runs
as one deck whose control block (written by chipsmith, never taken from the input) loops
over the variants. Each variant writes into its own folder and is read back with the
runner's :func:`~chipsmith.spice.runner.collect`; a variant that fails (non-convergence)
becomes a :class:`~chipsmith.errors.SimulationError` in its slot without spoiling the others.
"""
from __future__ import annotations

import math
import os
import re
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Mapping, Sequence

from chipsmith.errors import InputError, SimulationError, SimulationTimeout
from chipsmith.spice.runner import (Analysis, SimResult, _clean_log, _kill_group, build_deck, check_save, collect,
                                    control_commands, ngspice_path, prepare_circuit, resolve_includes,
                                    validate_analyses)

_PARAM_NAME = re.compile(r"^[a-z_][a-z0-9_]*$", re.IGNORECASE)
_PARAM_CARD = re.compile(r"^\s*\.param\s+(.*)$", re.IGNORECASE | re.MULTILINE)


def declared_params(body: str) -> set[str]:
    """Names declared by top-level ``.param`` cards of ``body`` (lower case)."""
    names = set()
    for match in _PARAM_CARD.finditer(body):
        names.update(m.lower() for m in re.findall(r"([A-Za-z_]\w*)\s*=", match.group(1)))
    return names


def _check_variants(body: str, variants: Sequence[Mapping[str, float]]) -> None:
    declared = declared_params(body)
    for k, variant in enumerate(variants):
        for name, value in variant.items():
            if not _PARAM_NAME.match(name):
                raise InputError(f"variant {k}: {name!r} is not a parameter name")
            if name.lower() not in declared:
                raise InputError(f"variant {k}: parameter {name!r} is not declared by a .param card",
                                 fix=f"declare it (.param {name}=...) or choose one of: "
                                     f"{', '.join(sorted(declared)) or '(none)'}")
            if not (isinstance(value, (int, float)) and math.isfinite(value)):
                raise InputError(f"variant {k}: {name}={value!r} is not a finite number")


def simulate_variants(circuit: str, analyses: Sequence[Analysis], variants: Sequence[Mapping[str, float]], *,
                      save: Sequence[str] = (), timeout_s: float = 300.0, trusted: bool = False,
                      include_dirs: Sequence[Path] = (), source: str = "<circuit>") -> list[SimResult | SimulationError]:
    """Simulate ``circuit`` once per variant (``{param: value}``) in one ngspice process.

    Returns one entry per variant, in order: its :class:`SimResult`, or the
    :class:`SimulationError` that variant ran into. The whole batch shares ``timeout_s``;
    past it every variant fails with :class:`SimulationTimeout`.
    """
    if not variants:
        return []
    analyses = validate_analyses(analyses)
    save = check_save(save)
    if not trusted:
        from chipsmith.spice.safety import check_safe

        check_safe(circuit, source, allowed_include_dirs=tuple(Path(d) for d in include_dirs))
    body = resolve_includes(prepare_circuit(circuit, source), include_dirs)
    _check_variants(body, variants)
    commands: list[str] = []
    for k, variant in enumerate(variants):
        # a failed analysis must not leave an older plot for `write` to pick up
        commands.append("destroy all")
        commands += [f"alterparam {name.lower()}={float(value)!r}" for name, value in variant.items()]
        commands.append("reset")
        commands += [c for c in control_commands(analyses, save, f"v{k}") if c != "set filetype=binary"]
    commands.insert(0, "set filetype=binary")
    exe = ngspice_path()
    with tempfile.TemporaryDirectory(prefix="chipsmith-variants-") as tmp:
        outdir = Path(tmp)
        for k in range(len(variants)):
            (outdir / f"v{k}").mkdir()
        (outdir / "deck.cir").write_text(build_deck(body, commands))
        start = time.perf_counter()
        proc = subprocess.Popen([exe, "-n", "-b", "deck.cir"], cwd=tmp, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
                                env={**os.environ, "LC_ALL": "C"})
        try:
            out, err = proc.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            error = SimulationTimeout(f"ngspice ran past the {timeout_s:g} s limit of a {len(variants)}-variant batch",
                                      fix="raise the timeout or make the batch smaller")
            return [error] * len(variants)
        seconds = (time.perf_counter() - start) / len(variants)
        log = _clean_log(out.decode("latin-1") + "\n" + err.decode("latin-1"))
        results: list[SimResult | SimulationError] = []
        for k in range(len(variants)):
            try:
                results.append(collect(outdir / f"v{k}", analyses, body, log, seconds, "subprocess", save))
            except SimulationError as exc:
                results.append(exc)
        return results
