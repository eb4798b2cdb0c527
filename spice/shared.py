"""In-process ngspice through PySpice's shared-library binding (``simulate(..., mode="shared")``).

The same generated commands as the subprocess mode run inside this process: the
circuit is loaded with ``ngSpice_Circ``, each analysis runs in ngspice's background
thread (``bg_<command>``) so that a time limit can halt it, and the results are written
to and read back from a fresh temp directory by the same readers, so both modes return
identical :class:`~chipsmith.spice.results.SimResult` objects.

ngspice keeps one global circuit and plot list per loaded library, so one lock
serializes every shared-mode simulation in the process. While a simulation runs, the
process's working directory is its temp directory (device models write check logs
there), so other threads should not rely on relative paths meanwhile. A crash inside the library
takes the process down with it; the subprocess mode is the robust default.
"""
from __future__ import annotations

import logging
import os
import tempfile
import threading
import time
from pathlib import Path
from typing import Sequence

from chipsmith.errors import SimulationError, SimulationTimeout

_LOCK = threading.Lock()
_STATE: dict[str, object] = {}
_CANDIDATES = ("/usr/lib/x86_64-linux-gnu/libngspice.so", "/usr/lib/x86_64-linux-gnu/libngspice.so.0",
               "/usr/lib/aarch64-linux-gnu/libngspice.so", "/usr/lib/aarch64-linux-gnu/libngspice.so.0",
               "/usr/local/lib/libngspice.so", "/usr/lib/libngspice.so", "/usr/lib/libngspice.so.0")


def _library_path() -> str | None:
    """libngspice for PySpice: $NGSPICE_LIBRARY_PATH, else the first one installed.

    Debian's ``libngspice0`` ships only ``libngspice.so.0``; PySpice looks for the
    unversioned name, which only ``libngspice0-dev`` provides.
    """
    if os.environ.get("NGSPICE_LIBRARY_PATH"):
        return os.environ["NGSPICE_LIBRARY_PATH"]
    for path in _CANDIDATES:
        if os.path.exists(path):
            return path
    return None


_BG_DONE = threading.Event()


def _bg_thread_callback(not_running, ngspice_id, user_data) -> int:
    if not_running:
        _BG_DONE.set()
    return 0


def _ngspice():
    """The process-wide NgSpiceShared instance (created on first use)."""
    if "ng" in _STATE:
        return _STATE["ng"]
    # PySpice warns "Unsupported Ngspice version" for ngspice > 34 and logs every ngspice
    # stderr line as an error; chipsmith reports ngspice's messages itself.
    logging.getLogger("PySpice").setLevel(logging.CRITICAL)
    path = _library_path()
    if path is None:
        raise SimulationError("the ngspice shared library (libngspice.so) is not installed",
                              fix="apt-get install libngspice0-dev, set NGSPICE_LIBRARY_PATH, or use mode='subprocess'")
    try:
        from PySpice.Spice.NgSpice.Shared import NgSpiceShared
    except ImportError as exc:  # pragma: no cover - PySpice is a dependency
        raise SimulationError(f"PySpice is not importable: {exc}", fix="pip install PySpice==1.5") from exc
    NgSpiceShared.LIBRARY_PATH = path
    # PySpice's own callback returns None where cffi needs an int; ours also tells us
    # when ngspice's background thread has finished (its argument is "no longer running")
    NgSpiceShared._background_thread_running = staticmethod(_bg_thread_callback)
    try:
        ng = NgSpiceShared.new_instance()
    except OSError as exc:
        raise SimulationError(f"cannot load the ngspice shared library {path}: {exc}",
                              fix="set NGSPICE_LIBRARY_PATH or use mode='subprocess'") from exc
    _STATE["ng"] = ng
    return ng


class _Session:
    """Sends commands to the shared ngspice and collects everything it prints."""

    def __init__(self, ng):
        self.ng = ng
        self.lib = ng._ngspice_shared
        self.lines: list[str] = []

    def _drain(self) -> None:
        self.lines.extend(self.ng._stdout)
        self.lines.extend(self.ng._stderr)
        self.ng.clear_output()

    def command(self, text: str) -> None:
        if len(text) > _MAX_COMMAND:  # pragma: no cover - control_commands keeps them shorter
            raise SimulationError("generated ngspice command is too long", fix="shorten the save list")
        self.ng.clear_output()
        self.lib.ngSpice_Command(text.encode("ascii"))
        self._drain()

    def load(self, deck: str) -> None:
        from PySpice.Spice.NgSpice.Shared import FFI, ffi

        lines = [line for line in deck.split("\n") if line.strip()] + [""]
        keep = [ffi.new("char[]", line.encode("latin-1")) for line in lines] + [FFI.NULL]
        self.ng.clear_output()
        self.lib.ngSpice_Circ(ffi.new("char *[]", keep))
        self._drain()

    def run_background(self, text: str, deadline: float) -> bool:
        """Run an analysis in ngspice's background thread; False if it hit the deadline.

        ``ngSpice_running()`` races with the thread start, so completion is taken from
        ngspice's thread callback instead.
        """
        self.ng.clear_output()
        _BG_DONE.clear()
        self.lib.ngSpice_Command(f"bg_{text}".encode("ascii"))
        finished = _BG_DONE.wait(max(0.0, deadline - time.monotonic()))
        if not finished:
            self.lib.ngSpice_Command(b"bg_halt")
            _BG_DONE.wait(10.0)
        self._drain()
        return finished

    @property
    def log(self) -> str:
        return "\n".join(line for line in self.lines
                         if line.strip() and "No compatibility mode selected" not in line)


_ANALYSIS_VERBS = ("op", "ac ", "dc ", "tran ")
_MAX_COMMAND = 1000  # ngSpice_Command copies at most 1024 characters


def run_shared(body: str, analyses: Sequence, save: Sequence[str], timeout_s: float):
    """Simulate ``body`` (already safety-checked and prepared) in the shared library."""
    from chipsmith.spice.runner import collect, control_commands

    with _LOCK:
        ng = _ngspice()
        session = _Session(ng)
        with tempfile.TemporaryDirectory(prefix="chipsmith-ngshared-") as tmp:
            outdir = Path(tmp)
            start = time.perf_counter()
            deadline = time.monotonic() + timeout_s
            # models write check logs (b3v33check.log) into the working directory: keep
            # them in the temp dir, as the subprocess mode does (process-wide, under the lock)
            old_cwd = os.getcwd()
            os.chdir(tmp)
            try:
                session.load(body + ".end\n")
                for cmd in control_commands(analyses, save, ".", max_len=_MAX_COMMAND):
                    if cmd == "op" or cmd.startswith(_ANALYSIS_VERBS):
                        if not session.run_background(cmd, deadline):
                            raise SimulationTimeout(
                                f"ngspice (shared) ran past the {timeout_s:g} s time limit and was halted",
                                fix="raise timeout_s/--timeout or shorten the analysis")
                    else:
                        session.command(cmd)
                seconds = time.perf_counter() - start
                return collect(outdir, analyses, body, session.log, seconds, "shared", save)
            finally:
                # free the plots, the circuit and (now and then) ngspice's command history,
                # so a long loop of simulations does not grow
                session.command("destroy all")
                session.command("remcirc")
                _STATE["runs"] = int(_STATE.get("runs", 0)) + 1
                if _STATE["runs"] % 200 == 0:
                    from PySpice.Spice.NgSpice.Shared import FFI

                    session.lib.ngSpice_Command(FFI.NULL)
                os.chdir(old_cwd)
