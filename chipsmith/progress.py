"""Rich progress bars that respect ``--quiet`` and stay off when stderr is not a terminal in CI."""
from __future__ import annotations

import contextlib
from typing import Iterator

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

_stderr = Console(stderr=True)


@contextlib.contextmanager
def progress_bar(description: str, total: int | None, *, quiet: bool = False) -> Iterator["Advance"]:
    """Context manager yielding ``advance(n=1)``; a no-op bar when ``quiet``."""
    # Off when quiet or when stderr is not a terminal: an error must stay the only stderr line.
    if quiet or not _stderr.is_terminal:
        yield Advance(None, None)
        return
    progress = Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), console=_stderr, transient=False,
    )
    with progress:
        task = progress.add_task(description, total=total)
        yield Advance(progress, task)


class Advance:
    def __init__(self, progress: Progress | None, task) -> None:
        self._progress = progress
        self._task = task

    def __call__(self, n: int = 1, description: str | None = None) -> None:
        if self._progress is not None:
            kwargs = {"description": description} if description else {}
            self._progress.advance(self._task, n)
            if kwargs:
                self._progress.update(self._task, **kwargs)
