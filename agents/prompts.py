"""Prompts for the LLM backends: block selection, block connection, feedback, spec translation.

Block selection and block connection are separate steps (AnalogXpert's split) with a
short chain of thought asked for, and in-context examples drawn from the expert planner
(a netlist of a related kind, built by the same code that the checks verify) and from
the subcircuit library (block names, descriptions, port roles).
"""
from __future__ import annotations

import json
from typing import Sequence

from chipsmith.agents.kinds import KINDS, get_kind
from chipsmith.agents.spec import CHOICES, SPEC_FIELDS, TARGET_FIELDS, Spec

SYSTEM = ("You are an analog IC designer. You design transistor-level circuits as SPICE netlists for ngspice, "
          "using the MOSFET models `nch` (NMOS) and `pch` (PMOS) whose cards are given below (read the "
          "threshold and transconductance from them), supply {vdd:g} V. You think step by step, then answer "
          "exactly in the format asked. Never write analysis, .control, .include or shell commands: the netlist "
          "is simulated by a tool.\n\nModel cards in use:\n{models}")


def system_text(spec: Spec) -> str:
    """The system prompt with the model cards actually in use (the user's file or the generic ones):
    no device figure is stated that the cards do not say."""
    from chipsmith.agents.circuit import models_text

    return SYSTEM.format(vdd=spec.vdd, models=models_text(spec.model_file))


def library_catalog(library, limit: int = 80) -> str:
    """One line per library block: name, type, ports with roles, description."""
    if library is None:
        return "(no library available)"
    blocks = library.blocks.values() if isinstance(library.blocks, dict) else library.blocks
    lines = []
    for block in list(blocks)[:limit]:
        ports = " ".join(f"{p.name}:{p.role}" for p in getattr(block, "ports", ()))
        lines.append(f"- {block.name} [{getattr(block, 'type', '')}] ports({ports}): {block.description}")
    return "\n".join(lines)


def selection_text(blocks, valid: Sequence[str], unknown: Sequence[str], library) -> str:
    """The LLM's block selection as it goes into the connection step: the library blocks it
    chose, with the exact instance line each one takes (their definitions are added to the
    netlist for it), and the names the library lacks."""
    if not isinstance(blocks, list):
        return "(no valid selection: answer was not a JSON object with a 'blocks' list)"
    lines = [json.dumps(list(valid))]
    if unknown:
        lines.append("Not in the library (build these from transistors, or pick library blocks): "
                     + ", ".join(unknown) + ".")
    for name in valid:
        block = library.get(name)
        params = " ".join(f"{k}={v}" for k, v in getattr(block, "params", {}).items())
        roles = ", ".join(f"{p.name}={p.role}" for p in block.ports)
        lines.append(f"- {name}: `X<n> {' '.join(p.name for p in block.ports)} {name}"
                     + (f" {params}`" if params else "`") + f" (port roles: {roles}); its .subckt is added for you.")
    return "\n".join(lines)


def _example(spec: Spec) -> tuple[str, str]:
    """(kind, netlist) of a related kind, built by the expert planner, as an in-context example."""
    from chipsmith.agents.planner import generate
    from chipsmith.agents.spec import with_ports

    family = get_kind(spec.kind).family
    related = [k for k in KINDS if k.family == family and k.name != spec.kind] or [get_kind("ota5t")]
    kind = related[0]
    example = generate(with_ports(Spec(kind=kind.name, vdd=spec.vdd)))
    return kind.name, example.subckt_text()


def _ports_line(spec: Spec) -> str:
    from chipsmith.agents.checks import port_order

    return " ".join(port_order(spec))


def _task(spec: Spec) -> str:
    k = get_kind(spec.kind)
    parts = [f"Circuit: {k.name} ({k.description})."]
    if spec.text:
        parts.append(f"The designer asked: \"{spec.text}\".")
    parts.append(f"Ports, in this exact order: `.subckt design {_ports_line(spec)}`.")
    for name in spec.bias:
        parts.append(f"Bias port {name}: " + ("a DC current of 20 uA flows INTO this pin from vdd."
                                              if name.startswith("i") else "a DC voltage is applied here."))
    stated = spec.targets.stated()
    if stated:
        parts.append("Targets: " + ", ".join(f"{a}={b:g}" for a, b in stated.items()) + ".")
    for key in ("stages", "input_polarity", "compensation", "load", "closed_loop_gain", "time_constant_s"):
        value = getattr(spec, key)
        if value is not None:
            parts.append(f"{key}: {value}.")
    if spec.required_blocks:
        parts.append(f"Required blocks: {', '.join(spec.required_blocks)}.")
    return "\n".join(parts)


def request_task(request) -> str:
    """The task from a Request alone: the text, the ports with their roles, every requirement."""
    ports = " ".join(p.name for p in request.interface.ports)
    parts = [f"The designer asked: \"{request.text}\".",
             f"Ports, in this exact order: `.subckt design {ports}` (roles: "
             + ", ".join(f"{p.name}={p.role.value}" for p in request.interface.ports) + ")."]
    if request.requirements:
        parts.append("Requirements the design must meet (an independent judge checks each):")
        parts += [f"- {r.describe()}" for r in request.requirements]
    return "\n".join(parts)


def _task_for(spec: Spec | None, request) -> str:
    if spec is None:
        return request_task(request)
    text = _task(spec)
    if spec.request is not None and spec.request.requirements:
        text += "\nRequirements an independent judge checks:\n" + "\n".join(
            f"- {r.describe()}" for r in spec.request.requirements)
    return text


def _system_for(spec: Spec | None, request) -> str:
    if spec is not None:
        return system_text(spec)
    vdd = request.supply_voltage or 1.8
    return system_text(Spec(kind="cs_amp", vdd=vdd))


def selection_messages(spec: Spec | None, library, request=None) -> list[dict[str, str]]:
    """Step 1: which functional blocks the circuit needs."""
    # the fixed part first, the request last: a local server's prompt cache then reuses the
    # evaluated catalog from one request to the next
    user = (f"Library blocks you may draw on:\n{library_catalog(library)}\n\n{_task_for(spec, request)}\n\n"
            "Step 1, block selection. Think step by step about the functional blocks this circuit needs "
            "(input pair, loads, bias, gain stages, compensation, feedback network). Then answer with a JSON "
            "object {\"blocks\": [\"name\", ...], \"reasoning\": \"...\"}.")
    return [{"role": "system", "content": _system_for(spec, request)}, {"role": "user", "content": user}]


def connection_messages(spec: Spec | None, selection: str, history: Sequence[dict[str, str]] = (),
                        request=None) -> list[dict[str, str]]:
    """Step 2: connect the selected blocks into one transistor-level ``.subckt design``."""
    kind, example = _example(spec or Spec(kind="ota5t"))
    ports = _ports_line(spec) if spec is not None else " ".join(p.name for p in request.interface.ports)
    user = (f"{_task_for(spec, request)}\n\nYour block selection was:\n{selection}\n\n"
            f"Example (a verified {kind}, for the format and the sizing style):\n```spice\n{example}```\n\n"
            "Step 2, block connection. Think step by step about every net: which transistor drives it, "
            "that every gate and bulk is connected, that NMOS bulks go to gnd and PMOS bulks to vdd. Then "
            "answer with the complete netlist in one ```spice fence: `.subckt design "
            f"{ports}`, M/R/C elements using models nch and pch (W= L=), `.ends design`.")
    if history:  # continue the selection conversation
        return [*history, {"role": "user", "content": user}]
    return [{"role": "system", "content": _system_for(spec, request)}, {"role": "user", "content": user}]


def feedback_message(feedback: str) -> dict[str, str]:
    return {"role": "user", "content": feedback}


def spec_messages(text: str) -> list[dict[str, str]]:
    """Hybrid mode: translate free text into the JSON spec (the expert does the rest)."""
    kinds = ", ".join(k.name for k in KINDS)
    choices = "; ".join(f"{k}: {'|'.join(v)}" for k, v in CHOICES.items())
    example = {"kind": "two_stage_opamp", "input_polarity": "nmos", "compensation": "miller", "stages": 2,
               "targets": {"gain_db": 60, "gbw_hz": 5e6, "pm_deg": 60}}
    # the fixed instructions first, the request last (a local server's prompt cache reuses them)
    user = ("Translate the request below into a JSON design spec.\n"
            f"Fields: {', '.join(SPEC_FIELDS)}. kind is one of: {kinds}. Choices: {choices}. "
            f"targets fields: {', '.join(TARGET_FIELDS)} (SI units: Hz, W, V, dB, degrees).\n"
            f"Example: {json.dumps(example)}\nOmit fields that the request does not state. "
            f"Answer with the JSON object only.\nRequest: \"{text}\"")
    return [{"role": "system", "content": "You turn analog design requests into structured JSON specs."},
            {"role": "user", "content": user}]
