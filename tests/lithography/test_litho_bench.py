"""The benchmark runs end to end on a small grid and reports ratios, not lone times."""
from __future__ import annotations

import json


def test_bench_litho_small(cli):
    res = cli("bench", "litho", "--size", "256", "--kernels", "8", "--repeats", "1", "--batch", "2", "--json")
    assert res.code == 0, res.stderr
    s = json.loads(res.stdout)
    assert s["full_ratio"] > 0 and s["bandlimited_ratio"] > 0
    assert s["bandlimited_error"]["max_abs_err_rel"] < 1e-4
    assert s["throughput_bandlimited_clips_s"] > 0
