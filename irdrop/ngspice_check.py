"""Cross-check against ngspice: write the same PDN as a deck, run ``ngspice -b``, read voltages.

The deck and its ``.control`` block are generated here (never taken from input text):
``op`` or a fixed-maximum-step ``tran``, then ``write`` of an ASCII raw file that is
parsed back. Each run gets a fresh temporary directory and a timeout. This module is
self-contained (``chipsmith.irdrop`` depends on nothing else in the project).
"""
from __future__ import annotations

import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from chipsmith.errors import SimulationError, SimulationTimeout
from chipsmith.irdrop.dynamic import CurrentProfile
from chipsmith.irdrop.pdn import PDN


@dataclass(frozen=True)
class NgspiceRun:
    """Node voltages from ngspice: ``voltages`` is (T, n_nodes) in PDN node order
    (T = 1 for ``op``), ``times`` (T,) for a transient; ``seconds`` is the wall time."""

    voltages: np.ndarray
    times: np.ndarray
    seconds: float


def write_deck(pdn: PDN, path: str | Path, *, tran: tuple[float, float] | None = None,
               profile: CurrentProfile | None = None, integrator: str = "trap") -> None:
    """Write ``pdn`` as an ngspice deck; with ``tran=(dt, t_stop)`` a transient whose
    current sources follow ``profile`` as PWL sources, otherwise an operating point."""
    names = pdn.names()
    nm = np.array(names + ["0"], dtype=object)  # index -1 → ground
    out: list[str] = ["* chipsmith irdrop cross-check deck\n"]
    out.extend(f"R{k} {nm[a]} {nm[b]} {v:.17g}\n" for k, (a, b, v) in
               enumerate(zip(pdn.r_a.tolist(), pdn.r_b.tolist(), pdn.r_ohm.tolist())))
    if tran is not None:
        out.extend(f"C{k} {nm[a]} {nm[b]} {v:.17g}\n" for k, (a, b, v) in
                   enumerate(zip(pdn.c_a.tolist(), pdn.c_b.tolist(), pdn.c_farad.tolist())))
    if tran is not None and profile is not None:
        times = profile.pwl.times
        per_src = profile.pwl.values if profile.mix is None else profile.mix @ profile.pwl.values
        for k, (a, b) in enumerate(zip(pdn.i_pos.tolist(), pdn.i_neg.tolist())):
            pts = " ".join(f"{t:.17g} {v:.17g}" for t, v in zip(times.tolist(), per_src[k].tolist()))
            out.append(f"I{k} {nm[a]} {nm[b]} PWL({pts})\n")
    else:
        out.extend(f"I{k} {nm[a]} {nm[b]} DC {v:.17g}\n" for k, (a, b, v) in
                   enumerate(zip(pdn.i_pos.tolist(), pdn.i_neg.tolist(), pdn.i_amp.tolist())))
    out.extend(f"V{k} {nm[a]} 0 DC {v:.17g}\n" for k, (a, v) in
               enumerate(zip(pdn.v_node.tolist(), pdn.v_volt.tolist())))
    out.append(".options noacct\n")
    if tran is not None:
        dt, t_stop = tran
        method = "trap" if integrator == "trap" else "gear maxord=1"
        out.append(f".options method={method}\n")
        analysis = f"tran {dt:.17g} {t_stop:.17g} 0 {dt:.17g}"
    else:
        analysis = "op"
    out.append(f".control\nset filetype=ascii\n{analysis}\nwrite result.raw\nquit\n.endc\n.end\n")
    Path(path).write_text("".join(out))


def read_ascii_raw(path: Path) -> tuple[list[str], np.ndarray]:
    """Variable names and values (points × variables) of an ngspice ASCII raw file."""
    text = path.read_text()
    head, _, body = text.partition("Values:")
    lines = head.splitlines()
    try:
        nvars = int(next(l for l in lines if l.lower().startswith("no. variables:")).split(":")[1])
        start = next(i for i, l in enumerate(lines) if l.lower().startswith("variables:"))
    except StopIteration:
        raise SimulationError("ngspice raw file has no variable table", where=str(path)) from None
    names = [lines[start + 1 + k].split()[1] for k in range(nvars)]
    toks = body.split()
    nums = np.array([float(t.split(",")[0]) for t in toks])
    pts = nums.reshape(-1, nvars + 1)[:, 1:]  # drop the point index column
    return names, pts


def run_ngspice(pdn: PDN, *, tran: tuple[float, float] | None = None, profile: CurrentProfile | None = None,
                integrator: str = "trap", timeout: float = 300.0, ngspice: str | None = None) -> NgspiceRun:
    """Simulate ``pdn`` in ngspice (batch mode, temp dir, timeout) and return node voltages."""
    exe = ngspice or shutil.which("ngspice")
    if exe is None:
        raise SimulationError("ngspice is not installed", fix="apt-get install ngspice")
    with tempfile.TemporaryDirectory(prefix="chipsmith-irdrop-") as tmp:
        deck = Path(tmp) / "pdn.cir"
        write_deck(pdn, deck, tran=tran, profile=profile, integrator=integrator)
        t0 = time.perf_counter()
        try:
            proc = subprocess.run([exe, "-b", str(deck)], cwd=tmp, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            raise SimulationTimeout(f"ngspice ran past {timeout:g} s", where=str(pdn.source),
                                    fix="use a smaller grid or a longer timeout") from exc
        seconds = time.perf_counter() - t0
        raw = Path(tmp) / "result.raw"
        if proc.returncode != 0 or not raw.exists():
            tail = " | ".join((proc.stdout + proc.stderr).strip().splitlines()[-3:])
            raise SimulationError(f"ngspice failed (exit {proc.returncode}): {tail}", where=str(pdn.source))
        names, pts = read_ascii_raw(raw)
    col = {n.lower(): i for i, n in enumerate(names)}
    times = pts[:, col["time"]] if "time" in col else np.zeros(1)
    order = []
    for name in pdn.names():
        i = col.get(f"v({name})")
        if i is None:
            i = col.get(name)
        if i is None:
            raise SimulationError(f"ngspice result lacks node {name}", where=str(pdn.source))
        order.append(i)
    return NgspiceRun(voltages=pts[:, order], times=times, seconds=seconds)
