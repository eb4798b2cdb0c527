from __future__ import annotations

import os

from chipsmith.parallel import ClusterConfig, parallel_map


def _square_with_pid(x: int) -> tuple[int, int]:
    return x * x, os.getpid()


def test_local_cluster_really_maps_over_worker_processes():
    seen = []
    out = parallel_map(_square_with_pid, range(20), ClusterConfig(workers=2),
                       on_result=lambda i, r: seen.append(i))
    assert [v for v, _ in out] == [x * x for x in range(20)]
    assert sorted(seen) == list(range(20))
    assert os.getpid() not in {pid for _, pid in out}
