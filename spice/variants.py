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
import re
import tempfile
from pathlib import Path
from typing import Callable, Mapping, Sequence, TypeVar

from chipsmith.errors import InputError, SimulationError
from chipsmith.spice.runner import (Analysis, SimResult, build_deck, check_save, collect, control_commands,
                                    prepare_circuit, resolve_includes, run_ngspice_batch, validate_analyses)

T = TypeVar("T")

_PARAM_NAME = re.compile(r"^[a-z_][a-z0-9_]*$", re.IGNORECASE)
_PARAM_CARD = re.compile(r"^\s*\.param\s+(.*)$", re.IGNORECASE | re.MULTILINE)


def declared_params(body: str) -> dict[str, str]:
    """Top-level ``.param`` cards of ``body``: lower-case name -> the value as written."""
    values = {}
    for match in _PARAM_CARD.finditer(body):
        for name, value in re.findall(r"([A-Za-z_]\w*)\s*=\s*(\{[^}]*\}|[^\s=]+)", match.group(1)):
            values[name.lower()] = value
    return values


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
    """Simulate ``circuit`` once per variant (``{param: value}``) in one ngspice process; a
    parameter a variant leaves out has its ``.param`` value.

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
    defaults = declared_params(body)
    touched = sorted({name.lower() for variant in variants for name in variant})
    commands: list[str] = []
    for k, variant in enumerate(variants):
        # a failed analysis must not leave an older plot for `write` to pick up
        commands.append("destroy all")
        # alterparam outlives the variant, so every parameter any variant touches is set each time
        values = {name: defaults[name] for name in touched} | {n.lower(): repr(float(v)) for n, v in variant.items()}
        commands += [f"alterparam {name}={value}" for name, value in values.items()]
        commands.append("reset")
        commands += [c for c in control_commands(analyses, save, f"v{k}") if c != "set filetype=binary"]
    commands.insert(0, "set filetype=binary")
    return run_batch(body, commands, len(variants), timeout_s, f"the {len(variants)}-variant batch",
                     lambda folder, log, seconds: collect(folder, analyses, body, log, seconds, "subprocess", save))


def run_batch(body: str, commands: Sequence[str], count: int, timeout_s: float, what: str,
              read: Callable[[Path, str, float], T], prefix: str = "chipsmith-variants-") -> list[T | SimulationError]:
    """Run one deck whose control block writes variant k's output into ``v{k}/``, then
    ``read(folder, log, seconds_per_variant)`` each variant. A timeout or crash of the run is
    every variant's error; a :class:`SimulationError` from ``read`` is that variant's alone."""
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        outdir = Path(tmp)
        for k in range(count):
            (outdir / f"v{k}").mkdir()
        (outdir / "deck.cir").write_text(build_deck(body, commands))
        try:
            log, seconds = run_ngspice_batch(outdir, timeout_s, what)
        except SimulationError as exc:  # a timeout or a crash takes the whole batch
            return [exc] * count
        results: list[T | SimulationError] = []
        for k in range(count):
            try:
                results.append(read(outdir / f"v{k}", log, seconds / count))
            except SimulationError as exc:
                results.append(exc)
        return results
