"""NSGA-II design-space exploration of the ACIM macro (deap), with constraints.

Problem / algorithm / evaluation are kept apart: :class:`ExploreConfig` says what to
search, :func:`explore` runs deap's NSGA-II machinery (``tools.selNSGA2``,
``tools.sortNondominated``, ``emo.assignCrowdingDist``) with Deb's constrained
domination (feasible before infeasible; infeasible ordered by total violation; binary
tournament on feasibility, rank, crowding), integer-aware operators (uniform crossover
on the integer genome, a mutation that either steps a gene to a neighbouring choice or
resets it uniformly), and an evaluator that sends each generation's new genomes in a few
numpy chunks to ``chipsmith.parallel`` (dask) so scheduling overhead stays small.

Reproducible: the same seed gives the same front, whatever the number of workers,
because all randomness lives in the driver and evaluation is a pure function.
"""
from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from typing import Callable, Mapping, Sequence

import numpy as np

from chipsmith.errors import InputError
from chipsmith.layout.architecture import VARIABLES, Problem, Space
from chipsmith.layout.models import ModelParams, evaluate
from chipsmith.layout.pareto import Requirements, front_hypervolume, hypervolume, minimization_matrix, nondominated_mask

KEEP = ("snr_db", "sqnr_db", "tops_w", "f2_per_bit", "tops", "tops_precision", "area_um2", "um2_per_bit", "tops_mm2",
        "t_cycle_ps", "e_cycle_fj", "cycles_per_mac", "conversions_per_dot", "violation")


@dataclass(frozen=True)
class ExploreConfig:
    """What to search and how hard: population, generations, seed, operator rates."""

    problem: Problem
    constraints: Requirements = field(default_factory=Requirements)
    pop: int = 100
    gens: int = 50
    seed: int = 0
    cx_prob: float = 0.9
    mut_prob: float = 1.0
    gene_mut_prob: float = 1.0 / len(VARIABLES)

    def __post_init__(self) -> None:
        if not isinstance(self.pop, int) or self.pop < 4 or self.pop % 4:
            raise InputError(f"--pop {self.pop!r} must be a multiple of 4 and >= 4", fix="e.g. --pop 100")
        if not isinstance(self.gens, int) or self.gens < 1:
            raise InputError(f"--gens {self.gens!r} must be >= 1", fix="e.g. --gens 50")
        self.constraints.validate()


def evaluate_chunk(args: tuple) -> dict[str, np.ndarray]:
    """Worker task: metrics (the :data:`KEEP` subset) for a chunk of genomes. Pure."""
    genes, params, problem, space = args
    m = evaluate(space.decode(genes), params, problem)
    return {k: m[k] for k in KEEP}


def constraint_violation(m: Mapping[str, np.ndarray], req: Requirements) -> np.ndarray:
    """Total normalized violation (0 = feasible): structural bits x 10 + relative bound misses."""
    total = 10.0 * np.asarray(m["violation"], float)
    for _option, key, sense, value in req.items():
        x = np.asarray(m[key], float)
        if sense == "min":
            total = total + np.maximum(0.0, (value - x) / max(abs(value), 1e-9))
        else:
            total = total + np.maximum(0.0, (x - value) / max(abs(value), 1e-9))
    return total


class Evaluator:
    """Evaluates genomes with a cache; ``mapper(fn, chunks)`` runs the chunks (dask or in-process)."""

    def __init__(self, params: ModelParams, problem: Problem, space: Space,
                 mapper: Callable[[Callable, list], list] | None = None, chunks: int = 2) -> None:
        self.params, self.problem, self.space = params, problem, space
        self.mapper = mapper or (lambda fn, items: [fn(i) for i in items])
        self.chunks = max(1, chunks)
        self.cache: dict[tuple[int, ...], dict[str, float]] = {}
        self.calls = 0

    def __call__(self, genomes: Sequence[Sequence[int]]) -> list[dict[str, float]]:
        keys = [tuple(int(g) for g in genome) for genome in genomes]
        self.calls += len(keys)
        todo = sorted({k for k in keys if k not in self.cache})
        if todo:
            arr = np.asarray(todo, dtype=np.int64)
            parts = [c for c in np.array_split(arr, min(self.chunks, len(arr))) if len(c)]
            results = self.mapper(evaluate_chunk, [(c, self.params, self.problem, self.space) for c in parts])
            rows = [dict(zip(res, vals)) for res in results for vals in zip(*(res[k].tolist() for k in res))]
            for key, row in zip((tuple(r) for c in parts for r in c.tolist()), rows):
                self.cache[key] = row
        return [self.cache[k] for k in keys]


@dataclass
class ExploreResult:
    """The feasible non-dominated designs among all evaluated (the archive) plus run statistics.

    ``hv_history[g]`` is the archive's hypervolume after generation g (0 = initial
    population); ``population_hv`` that of the final population's feasible designs.
    """

    front: list[tuple[tuple[int, ...], dict[str, float]]]
    hv_history: list[float]
    population_hv: float
    evaluations: int
    unique_evaluations: int
    feasible_seen: int
    best_seen: dict[str, float]
    seconds: float


def _setup_deap():
    from deap import base, creator

    if not hasattr(creator, "AcimFitness"):
        creator.create("AcimFitness", base.Fitness, weights=(1.0, 1.0, -1.0))  # SNR, TOPS/W, F²/bit
        creator.create("AcimIndividual", list, fitness=creator.AcimFitness)
    return creator


def mutate_integer(ind: list, upper: Sequence[int], indpb: float, rng: random.Random) -> tuple[list]:
    """Integer-aware mutation: each gene with prob ``indpb`` steps ±1 choice (70 %) or resets uniformly."""
    for i, up in enumerate(upper):
        if up == 0 or rng.random() >= indpb:
            continue
        if rng.random() < 0.7:
            ind[i] = min(up, max(0, ind[i] + rng.choice((-1, 1))))
        else:
            ind[i] = rng.randint(0, up)
    return (ind,)


def _key(ind) -> tuple:
    return (ind.violation, getattr(ind, "rank", 0), -getattr(ind.fitness, "crowding_dist", 0.0))


def select_survivors(individuals: list, k: int) -> list:
    """Deb's constrained NSGA-II survivor selection, also setting rank and crowding for mating."""
    from deap import tools
    from deap.tools.emo import assignCrowdingDist

    feasible = [i for i in individuals if i.violation == 0.0]
    infeasible = sorted((i for i in individuals if i.violation > 0.0), key=lambda i: i.violation)
    chosen = tools.selNSGA2(feasible, k) if len(feasible) >= k else feasible + infeasible[: k - len(feasible)]
    feas_chosen = [i for i in chosen if i.violation == 0.0]
    if feas_chosen:
        for rank, front in enumerate(tools.sortNondominated(feas_chosen, len(feas_chosen))):
            assignCrowdingDist(front)
            for ind in front:
                ind.rank = rank
    for ind in chosen:
        if ind.violation > 0.0:
            ind.rank = 10 ** 6
            ind.fitness.crowding_dist = 0.0
    return chosen


def tournament(pop: list, k: int, rng: random.Random) -> list:
    """Binary tournament with constrained domination (violation, then rank, then crowding)."""
    out = []
    for _ in range(k):
        a, b = pop[rng.randrange(len(pop))], pop[rng.randrange(len(pop))]
        out.append(a if _key(a) <= _key(b) else b)
    return out


def explore(config: ExploreConfig, params: ModelParams, evaluator: Evaluator | None = None,
            on_generation: Callable[[int, float], None] | None = None) -> ExploreResult:
    """Run constrained NSGA-II; return the final feasible front and the hypervolume per generation."""
    start = time.perf_counter()
    creator = _setup_deap()
    space = evaluator.space if evaluator is not None else Space.for_problem(config.problem)
    evaluator = evaluator or Evaluator(params, config.problem, space)
    rng = random.Random(config.seed)
    nprng = np.random.default_rng(config.seed)
    upper = space.upper
    req = config.constraints

    def assign(inds: list) -> None:
        rows = evaluator([list(i) for i in inds])
        viol = constraint_violation({k: np.array([r[k] for r in rows]) for k in KEEP}, req)
        for ind, row, v in zip(inds, rows, viol):
            ind.metrics = row
            ind.violation = float(v)
            ind.fitness.values = (row["snr_db"], row["tops_w"], row["f2_per_bit"])

    archive: dict[tuple, dict] = {}  # feasible non-dominated designs among everything evaluated

    def update_archive(inds: list) -> float:
        for ind in inds:
            if ind.violation == 0.0:
                archive.setdefault(tuple(ind), ind.metrics)
        keys = list(archive)
        pts = minimization_matrix(*(np.array([archive[k][o] for k in keys]) for o in ("snr_db", "tops_w", "f2_per_bit")))
        keep = nondominated_mask(pts) if len(keys) else np.zeros(0, bool)
        for key, kept in zip(keys, keep):
            if not kept:
                del archive[key]
        return hypervolume(pts[keep]) if len(keys) else 0.0

    pop = [creator.AcimIndividual(map(int, g)) for g in space.random(nprng, config.pop)]
    assign(pop)
    pop = select_survivors(pop, config.pop)
    history = [update_archive(pop)]
    if on_generation:
        on_generation(0, history[-1])
    for gen in range(1, config.gens + 1):
        parents = tournament(pop, config.pop, rng)
        offspring = [creator.AcimIndividual(p) for p in parents]
        for a, b in zip(offspring[::2], offspring[1::2]):
            if rng.random() < config.cx_prob:
                for i in range(len(upper)):  # uniform crossover: genes stay valid integers
                    if rng.random() < 0.5:
                        a[i], b[i] = b[i], a[i]
        for ind in offspring:
            if rng.random() < config.mut_prob:
                mutate_integer(ind, upper, config.gene_mut_prob, rng)
        assign(offspring)
        pop = select_survivors(pop + offspring, config.pop)
        history.append(update_archive(offspring))
        if on_generation:
            on_generation(gen, history[-1])
    feasible = [i for i in pop if i.violation == 0.0]
    pop_hv = front_hypervolume({k: np.array([i.metrics[k] for i in feasible]) for k in ("snr_db", "tops_w", "f2_per_bit")},
                               np.ones(len(feasible), bool)) if feasible else 0.0
    rows = list(evaluator.cache.values())
    buildable = [r for r in rows if r["violation"] == 0.0]
    best = {}
    if buildable:
        best = {"snr_db": max(r["snr_db"] for r in buildable), "tops_w": max(r["tops_w"] for r in buildable),
                "f2_per_bit": min(r["f2_per_bit"] for r in buildable), "area_um2": min(r["area_um2"] for r in buildable),
                "tops": max(r["tops"] for r in buildable)}
    all_rows = {k: np.array([r[k] for r in rows]) for k in KEEP}
    feasible_seen = int(np.sum(constraint_violation(all_rows, req) == 0.0))
    ordered = sorted(archive.items(), key=lambda kv: (-kv[1]["tops_w"], kv[0]))
    return ExploreResult(ordered, history, pop_hv, evaluator.calls, len(evaluator.cache), feasible_seen, best,
                         time.perf_counter() - start)


def random_search(problem: Problem, params: ModelParams, req: Requirements, evaluations: int, seed: int,
                  checkpoints: int = 0, space: Space | None = None) -> tuple[float, list[float], float]:
    """Baseline: ``evaluations`` uniform random genomes; returns (hypervolume, hv at each
    of ``checkpoints`` equal steps, seconds). The time covers sampling, evaluation and the
    final front's hypervolume, not the checkpoint curve (a reporting extra)."""
    start = time.perf_counter()
    space = space or Space.for_problem(problem)
    genes = space.random(np.random.default_rng(seed + 7919), evaluations)
    m = evaluate(space.decode(genes), params, problem)
    feasible = constraint_violation(m, req) == 0.0
    total = front_hypervolume(m, feasible)
    seconds = time.perf_counter() - start
    curve = []
    if checkpoints:
        for step in np.linspace(evaluations / checkpoints, evaluations, checkpoints).astype(int):
            curve.append(front_hypervolume({k: m[k][:step] for k in ("snr_db", "tops_w", "f2_per_bit")},
                                           feasible[:step]))
    return total, curve, seconds


def infeasibility_message(result: ExploreResult, req: Requirements) -> str:
    """One line naming the bound no explored design met (or that they conflict)."""
    best = result.best_seen
    for option, key, sense, value in req.items():
        if key in best and ((sense == "min" and best[key] < value) or (sense == "max" and best[key] > value)):
            word = "highest" if sense == "min" else "lowest"
            return f"{option} {value:g} is infeasible: the {word} {key} of any buildable design explored is {best[key]:.4g}"
    return ("the constraints " + ", ".join(f"{o} {v:g}" for o, _k, _s, v in req.items())
            + " cannot be met together by any explored design")


def pymoo_search(problem: Problem, params: ModelParams, req: Requirements, evaluations: int, seed: int,
                 pop: int = 100, space: Space | None = None) -> tuple[float, float]:
    """Second maintained optimiser for comparison: pymoo's NSGA-III (Das-Dennis reference
    directions, integer genome through rounding repair, constraint = total violation).

    Returns (hypervolume of the feasible designs among everything it evaluated, seconds),
    the same measure the NSGA-II archive and random search report, at ``evaluations``."""
    from pymoo.algorithms.moo.nsga3 import NSGA3
    from pymoo.core.problem import Problem as PymooProblem
    from pymoo.operators.crossover.sbx import SBX
    from pymoo.operators.mutation.pm import PM
    from pymoo.operators.repair.rounding import RoundingRepair
    from pymoo.operators.sampling.rnd import IntegerRandomSampling
    from pymoo.optimize import minimize
    from pymoo.util.ref_dirs import get_reference_directions

    start = time.perf_counter()
    space = space or Space.for_problem(problem)
    upper = np.array(space.upper, float)
    seen: list[dict[str, np.ndarray]] = []

    class Acim(PymooProblem):
        def __init__(self) -> None:
            super().__init__(n_var=len(upper), n_obj=3, n_ieq_constr=1, xl=np.zeros(len(upper)), xu=upper, vtype=int)

        def _evaluate(self, x, out, *args, **kwargs):
            genes = np.clip(np.rint(x), 0, upper).astype(np.int64)
            m = evaluate(space.decode(genes), params, problem)
            viol = constraint_violation(m, req)
            seen.append({"snr_db": m["snr_db"], "tops_w": m["tops_w"], "f2_per_bit": m["f2_per_bit"],
                         "feasible": viol == 0.0})
            out["F"] = minimization_matrix(m["snr_db"], m["tops_w"], m["f2_per_bit"])
            out["G"] = viol[:, None]

    parts = 1
    while (parts + 2) * (parts + 3) // 2 <= pop and parts < 12:  # no more reference directions than the population
        parts += 1
    ref_dirs = get_reference_directions("das-dennis", 3, n_partitions=parts)
    algo = NSGA3(ref_dirs=ref_dirs, pop_size=pop, sampling=IntegerRandomSampling(),
                 crossover=SBX(prob=0.9, eta=15, vtype=float, repair=RoundingRepair()),
                 mutation=PM(eta=20, vtype=float, repair=RoundingRepair()), eliminate_duplicates=True)
    import contextlib
    import io

    with contextlib.redirect_stdout(io.StringIO()):  # pymoo prints advice; stdout belongs to --json
        minimize(Acim(), algo, ("n_eval", evaluations), seed=seed, verbose=False)
    m = {k: np.concatenate([s[k] for s in seen])[:evaluations] for k in ("snr_db", "tops_w", "f2_per_bit", "feasible")}
    return front_hypervolume(m, m["feasible"]), time.perf_counter() - start
