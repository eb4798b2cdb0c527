"""Batched parameter variants in one ngspice process."""
from __future__ import annotations

import pytest

from chipsmith.errors import InputError, SimulationTimeout
from chipsmith.spice.runner import Op, Tran, simulate
from chipsmith.spice.variants import declared_params, simulate_variants

DIVIDER = "* divider\n.param rtop=1k rbot=1k\nV1 in 0 1\nR1 in out {rtop}\nR2 out 0 {rbot}\n"


@pytest.mark.ngspice
def test_each_variant_matches_its_own_plain_run(ngspice_bin):
    variants = [{"rtop": 1e3}, {"rtop": 3e3, "rbot": 1e3}, {"rbot": 9e3}]
    batched = simulate_variants(DIVIDER, [Op()], variants)
    for variant, result in zip(variants, batched):
        text = DIVIDER.replace("rtop=1k rbot=1k", " ".join(f"{k}={v}" for k, v in {"rtop": 1e3, "rbot": 1e3,
                                                                                       **variant}.items()))
        alone = simulate(text, [Op()])
        assert result.op.v("out") == pytest.approx(alone.op.v("out"), rel=1e-9)
    # a parameter a variant leaves out is back at its .param value, whatever the variant before set
    assert batched[2].op.v("out") == pytest.approx(9 / 10, rel=1e-9)


def test_undeclared_parameters_and_hostile_text_are_refused():
    assert declared_params(DIVIDER) == {"rtop": "1k", "rbot": "1k"}
    with pytest.raises(InputError, match="not declared"):
        simulate_variants(DIVIDER, [Op()], [{"rmid": 1.0}])
    with pytest.raises(InputError, match="finite"):
        simulate_variants(DIVIDER, [Op()], [{"rtop": float("nan")}])
    from chipsmith.errors import UnsafeNetlistError

    with pytest.raises(UnsafeNetlistError):
        simulate_variants(DIVIDER + ".control\nshell touch /tmp/x\n.endc\n", [Op()], [{}])


@pytest.mark.ngspice
def test_a_batch_past_its_time_limit_fails_every_variant(ngspice_bin):
    # ~1e12 time points: no machine finishes them, however long the test process is descheduled
    # between starting ngspice and waiting on it (a 1 ms limit on an .op alone could be missed that way)
    results = simulate_variants(DIVIDER, [Tran(1e-12, 1.0)], [{}, {}], timeout_s=0.2)
    assert all(isinstance(r, SimulationTimeout) for r in results)
