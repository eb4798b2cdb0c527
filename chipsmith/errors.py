"""Exception hierarchy shared by every chipsmith capability.

The CLI turns any :class:`ChipsmithError` into one line on stderr and exit code 2.
Messages name the input, the place (``file:line`` when there is one) and the fix.
Anything that is not a ``ChipsmithError`` reaching the CLI is a bug.
"""
from __future__ import annotations


class ChipsmithError(Exception):
    """A user-facing error: bad input, missing data, a failed external tool."""

    exit_code = 2

    def __init__(self, message: str, *, where: str | None = None, fix: str | None = None):
        self.message = message
        self.where = where
        self.fix = fix
        super().__init__(self.one_line())

    def one_line(self) -> str:
        text = f"{self.where}: {self.message}" if self.where else self.message
        if self.fix:
            text = f"{text} ({self.fix})"
        return " ".join(text.split())


class InputError(ChipsmithError):
    """A command-line option or an input file is invalid."""


class NetlistError(ChipsmithError):
    """A netlist could not be parsed or is structurally invalid."""


class UnsafeNetlistError(NetlistError):
    """A netlist contains a card that the safety policy does not allow."""


class SimulationError(ChipsmithError):
    """ngspice failed, timed out, or produced output that cannot be read."""


class SimulationTimeout(SimulationError):
    """A simulation ran past its time limit and was killed."""


class DataError(ChipsmithError):
    """A dataset is missing, corrupt, or in the wrong format."""


class LibraryError(ChipsmithError):
    """A subcircuit or cell library entry is missing or malformed."""


class BackendError(ChipsmithError):
    """An LLM backend is unreachable, misconfigured, or answered unusably."""


class PDNError(ChipsmithError):
    """A power-delivery-network netlist is invalid (islands, missing pads, bad values)."""


class LithoError(ChipsmithError):
    """A lithography input (layout, kernels, process preset) is invalid."""
