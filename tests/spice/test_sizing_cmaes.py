"""The sizer's CMA-ES path (``--method cmaes``): the search-space mapping, batches that never
straddle a generation, the start point as first candidate, bounds and integers respected,
seeded reproducibility, a toy problem it must solve, and one real sizing that succeeds."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import yaml

from chipsmith.spice.sizing import Variable, load_spec, size
from chipsmith.spice.sizing_cmaes import CmaSearch, decode, encode, population_size

VARS = (Variable("w", 1.0, 40.0, log=True), Variable("l", 0.15, 2.0, log=True),
        Variable("m", 2.0, 8.0, integer=True), Variable("v", -1.0, 1.0))
START = {"w": 10.0, "l": 0.5, "m": 4.0, "v": 0.25}
DATA = Path(__file__).parent / "data"


def test_encode_decode_round_trip_log_linear_and_integer():
    z = encode(VARS, START)
    assert np.all((z >= 0) & (z <= 1))
    back = decode(VARS, z)
    assert back["w"] == pytest.approx(10.0) and back["l"] == pytest.approx(0.5)
    assert back["m"] == 4.0 and back["v"] == pytest.approx(0.25)
    # log variables: the geometric mean sits mid-range; integers: each value an equal share of [0, 1]
    assert encode(VARS, {**START, "w": np.sqrt(40.0)})[0] == pytest.approx(0.5)
    ms = [decode(VARS, np.array([0.5, 0.5, u, 0.5]))["m"] for u in np.linspace(0, 1, 7001)]
    assert sorted(set(ms)) == [2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]
    assert max(ms.count(k) for k in set(ms)) - min(ms.count(k) for k in set(ms)) <= 2


@pytest.mark.parametrize("batch", [1, 3, 4, 8])
def test_population_is_a_multiple_of_the_batch_and_batches_stay_inside_a_generation(batch):
    pop = population_size(len(VARS), batch)
    assert pop % batch == 0 and pop >= 4 + int(3 * np.log(len(VARS)))
    search = CmaSearch(VARS, START, seed=0, batch=batch)
    first = search.ask(batch)
    assert first[0] == pytest.approx(START)  # the start point is the first candidate
    search.tell([1.0] * batch)
    asked = batch
    while asked < 3 * pop:  # three generations, asked batch by batch
        cands = search.ask(batch)
        assert len(cands) == batch
        for c in cands:
            assert 1.0 <= c["w"] <= 40.0 and 0.15 <= c["l"] <= 2.0 and -1.0 <= c["v"] <= 1.0
            assert c["m"] in {2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0}
        search.tell([float(c["v"] ** 2) for c in cands])
        asked += batch
    assert search._cma.generation == 3


def test_same_seed_same_proposals_and_another_seed_differs():
    def run(seed):
        search, out = CmaSearch(VARS, START, seed=seed, batch=4), []
        for _ in range(6):
            cands = search.ask(4)
            search.tell([abs(np.log(c["w"] / 3.0)) + c["m"] for c in cands])
            out += cands
        return out

    assert run(5) == run(5)
    assert run(5)[4:] != run(6)[4:]


def test_it_solves_a_coupled_hinge_problem_from_a_nearby_start():
    """A sum of normalised violations, as the sizer's cost: gain needs w/l large, speed needs l
    small and m large, power caps w*m. CMA-ES from a start that misses two targets meets all
    within a small budget on every seed."""
    def cost(c):
        gain, speed, power = c["w"] / c["l"], c["m"] / c["l"], c["w"] * c["m"]
        return (max(0, (60 - gain) / 60) + max(0, (12 - speed) / 12) + max(0, (power - 200) / 200)
                + max(0, c["v"] - 0.9))

    for seed in range(4):
        search, used = CmaSearch(VARS, START, seed=seed, batch=4), 0
        assert cost(START) > 0
        while used < 160:
            cands = search.ask(4)
            costs = [cost(c) for c in cands]
            used += len(cands)
            search.tell(costs)
            if min(costs) == 0:
                break
        assert min(costs) == 0, f"seed {seed}: not solved in {used}"


@pytest.mark.ngspice
def test_cmaes_sizes_the_generic_two_stage_and_starts_at_the_designs_values(ngspice_bin):
    design = (DATA / "generic_two_stage.cir").read_text()
    spec = load_spec(yaml.safe_load((DATA / "generic_two_stage.yaml").read_text()), design)
    result = size(design, spec, budget=64, batch=4, method="cmaes", seed=0)
    assert result.start is None   # no gm/Id hint: the design's own .param values start the search
    assert result.evaluations[0].params == pytest.approx({v.name: v.design_value for v in spec.variables})
    assert result.success and result.evaluations_to_success <= 64
    again = size(design, spec, budget=8, batch=4, method="cmaes", seed=0)
    assert [e.params for e in again.evaluations] == [e.params for e in result.evaluations[:len(again.evaluations)]]


def _toy_figures(c):
    """An amplifier-shaped toy: gain from w/l, bandwidth from m/l, power from w*m."""
    return {"gain_db": 20 * np.log10(c["w"] / c["l"]) + 20, "gbw_hz": 1e6 * c["m"] / c["l"],
            "power_w": 1e-5 * c["w"] * c["m"], "pm_deg": 90 - 20 * abs(c["v"])}


def _toy_run(seed, surrogate, budget=160):
    from chipsmith.spice.sizing import Evaluation, Target

    targets = (Target("gain_db", ">=", 60.0), Target("gbw_hz", ">=", 20e6), Target("power_w", "<=", 2e-3),
               Target("pm_deg", ">=", 75.0))
    search, used = CmaSearch(VARS, START, seed=seed, batch=4, targets=targets, surrogate=surrogate), 0
    while used < budget:
        cands = search.ask(4)
        evals = []
        for c in cands:
            figs = _toy_figures(c)
            cost = sum(t.violation(figs[t.figure]) for t in targets)
            evals.append(Evaluation(used, c, {"tt/27C": figs}, cost, "tt/27C"))
            used += 1
            if cost == 0:
                return used
        search.tell([e.objective for e in evals], evals)
    return budget


def test_margins_are_worst_corner_signed_and_log_for_hz_and_watts():
    from chipsmith.spice.sizing import Evaluation, Target
    from chipsmith.spice.sizing_cmaes import margins

    targets = (Target("gain_db", ">=", 60.0), Target("gbw_hz", ">=", 10e6), Target("power_w", "<=", 1e-3))
    ev = Evaluation(0, {}, {"tt": {"gain_db": 66.0, "gbw_hz": 20e6, "power_w": 0.5e-3},
                            "ss": {"gain_db": 57.0, "gbw_hz": 5e6, "power_w": 0.25e-3}}, 1.0, "ss")
    m = margins(targets, ev)
    assert m == pytest.approx([-0.05, np.log(0.5), np.log(2.0)])
    assert margins(targets, Evaluation(1, {}, {}, 30.0, "", error="no convergence")) is None


def test_the_margin_model_cuts_the_evaluations_to_success_on_an_amplifier_shaped_toy():
    plain = [_toy_run(seed, False) for seed in range(4)]
    model = [_toy_run(seed, True) for seed in range(4)]
    assert all(n < 160 for n in model), model
    assert sum(model) < sum(plain), (model, plain)
