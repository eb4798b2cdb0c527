"""Sizing with its corner/temperature points fanned out over dask gives the same search as
in-process (same seed, same candidates, same verdicts), so `--workers` changes only speed."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from chipsmith.parallel import ClusterConfig, get_client
from chipsmith.spice.sizing import load_spec, size

DATA = Path(__file__).parent / "data"


@pytest.mark.ngspice
def test_dask_fan_out_matches_in_process(ngspice_bin) -> None:
    design = (DATA / "generic_two_stage.cir").read_text()
    data = yaml.safe_load((DATA / "generic_two_stage.yaml").read_text())
    data["temps"] = [27, 85]            # two points, so there is something to fan out
    spec = load_spec(data, design)
    serial = size(design, spec, budget=6, batch=3, seed=3, stop_at_success=False)
    with get_client(ClusterConfig(workers=2)) as client:
        fanned = size(design, spec, budget=6, batch=3, seed=3, client=client, stop_at_success=False)
    assert [e.params for e in serial.evaluations] == [e.params for e in fanned.evaluations]
    assert [e.feasible for e in serial.evaluations] == [e.feasible for e in fanned.evaluations]
    assert [round(e.cost, 6) for e in serial.evaluations] == [round(e.cost, 6) for e in fanned.evaluations]
