"""dask.distributed clients for fanning work out: a LocalCluster by default, a real
scheduler when an address is given (``--scheduler`` or ``$CHIPSMITH_SCHEDULER``)."""
from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator, Sequence

from chipsmith.errors import InputError


@dataclass(frozen=True)
class ClusterConfig:
    """How to obtain a client. ``scheduler`` None means a LocalCluster of ``workers`` processes."""

    scheduler: str | None = None
    workers: int | None = None
    threads_per_worker: int = 1
    processes: bool = True

    @classmethod
    def from_env(cls, scheduler: str | None = None, workers: int | None = None, **kw: Any) -> "ClusterConfig":
        return cls(scheduler=scheduler or os.environ.get("CHIPSMITH_SCHEDULER") or None, workers=workers, **kw)


@contextlib.contextmanager
def get_client(config: ClusterConfig | None = None) -> Iterator["Client"]:  # noqa: F821
    """Yield a connected ``distributed.Client``; a LocalCluster is torn down afterwards."""
    import logging

    from distributed import Client, LocalCluster

    config = config or ClusterConfig.from_env()
    logging.getLogger("distributed").setLevel(logging.ERROR)
    if config.scheduler:
        try:
            client = Client(config.scheduler, timeout="10s")
        except (OSError, TimeoutError) as exc:
            raise InputError(f"cannot reach dask scheduler {config.scheduler!r}: {exc}",
                             fix="check --scheduler / CHIPSMITH_SCHEDULER, e.g. tcp://host:8786") from exc
        try:
            yield client
        finally:
            client.close()
        return
    workers = config.workers or max(1, os.cpu_count() or 1)
    cluster = LocalCluster(n_workers=workers, threads_per_worker=config.threads_per_worker,
                           processes=config.processes, dashboard_address=":0",  # a free port: never clash on 8787
                           silence_logs=logging.ERROR)
    client = Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


def map_unordered(fn: Callable[[Any], Any], items: Sequence[Any], client: "Client",  # noqa: F821
                  on_result: Callable[[int, Any], None] | None = None) -> list[Any]:
    """Run ``fn`` over ``items`` on the cluster; results come back in input order.

    ``on_result(index, result)`` is called as each finishes (for progress bars).
    """
    from distributed import as_completed

    futures = client.map(fn, list(items), pure=False)
    index = {f.key: i for i, f in enumerate(futures)}
    results: list[Any] = [None] * len(futures)
    for future in as_completed(futures):
        i = index[future.key]
        results[i] = future.result()
        if on_result is not None:
            on_result(i, results[i])
    return results


def parallel_map(fn: Callable[[Any], Any], items: Iterable[Any], config: ClusterConfig | None = None,
                 on_result: Callable[[int, Any], None] | None = None) -> list[Any]:
    """One-call entry: start (or connect to) a cluster, map, and tear down."""
    items = list(items)
    with get_client(config) as client:
        return map_unordered(fn, items, client, on_result=on_result)
