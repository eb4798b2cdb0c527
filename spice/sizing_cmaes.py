"""A local search for the sizer: CMA-ES started at the gm/Id point (``chipsmith size --method cmaes``).

Why: TPE and random search spend their first candidates uniformly over the whole box, but
an op-amp's sizes are coupled (a width works only with its length, bias and mirror ratio),
and the gm/Id start point is already close to a working design. CMA-ES (the maintained
``cmaes`` package, the one Optuna's CmaEsSampler wraps) samples a Gaussian around a mean
that starts there and learns the coupled directions from the ranks of each generation.

Candidate pre-selection (``surrogate=True``, "use the cost shape"): the cost is a sum of
per-target violations, and each target's margin is close to linear in the log-sizes over a
CMA-ES step. Once a generation has been simulated, each target's worst-corner margin gets a
least-squares linear model over the recent candidates; each generation then draws
``POOL`` x its population from CMA-ES and simulates the population whose predicted summed
violation is lowest (as lmm-CMA pre-screens with a local model). Only the ranking uses the
model; every candidate is simulated and told with its real objective.

The search space: each variable is mapped to [0, 1] (log-scaled variables in log space,
integers over [low - 0.5, high + 0.5] so that rounding gives each value an equal share);
the Gaussian lives there and proposals are decoded back, integers rounded. The first
candidate of the first generation is the start point itself. The population is a multiple
of the evaluation batch, so a batch never straddles two generations. When CMA-ES says it
has converged without success, it restarts at the incumbent (the best candidate seen).
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np

#: initial step, as a fraction of each variable's (log) range: a start from gm/Id tables is
#: right to within a factor of about two on a 1..40 um width (0.2 x ln 40 = 0.74, e^0.74 = 2.1)
SIGMA0 = 0.2
#: candidates drawn per candidate simulated when the margin model pre-selects
POOL = 5


def _span(v) -> tuple[float, float]:
    """The variable's interval in the search space before normalising."""
    if v.integer:
        return math.ceil(v.low) - 0.5, math.floor(v.high) + 0.5
    if v.log:
        return math.log(v.low), math.log(v.high)
    return v.low, v.high


def encode(variables: Sequence, params: Mapping[str, float]) -> np.ndarray:
    """Parameter values -> a point of [0, 1]^d."""
    out = []
    for v in variables:
        lo, hi = _span(v)
        x = float(params[v.name])
        x = math.log(x) if (v.log and not v.integer) else x
        out.append(min(max((x - lo) / (hi - lo), 0.0), 1.0))
    return np.array(out)


def decode(variables: Sequence, z: np.ndarray) -> dict[str, float]:
    """A point of [0, 1]^d -> parameter values inside their bounds (integers rounded)."""
    out = {}
    for v, zi in zip(variables, np.clip(z, 0.0, 1.0)):
        lo, hi = _span(v)
        x = lo + float(zi) * (hi - lo)
        if v.integer:
            x = float(min(max(round(x), math.ceil(v.low)), math.floor(v.high)))
        elif v.log:
            x = min(max(math.exp(x), v.low), v.high)
        out[v.name] = x
    return out


def margins(targets: Sequence, evaluation) -> np.ndarray | None:
    """Each target's worst signed margin over the simulated corners (> 0: met), in units that
    move about linearly with log-sizes: dB and degrees relative to the target's magnitude,
    other figures as a log ratio. A missing figure counts as a -1 margin; None for a
    candidate that failed to simulate."""
    from chipsmith.spice.ampbench import FIGURES

    if evaluation.error is not None or not evaluation.per_corner:
        return None
    out = []
    for t in targets:
        sign, worst = (1.0 if t.op == ">=" else -1.0), math.inf
        for figs in evaluation.per_corner.values():
            m = figs.get(t.figure)
            if m is None or not math.isfinite(m):
                s = -1.0
            elif FIGURES[t.figure] in ("dB", "deg") or t.value <= 0 or m <= 0:
                s = sign * (m - t.value) / (abs(t.value) or 1.0)
            else:
                s = sign * math.log(m / t.value)
            worst = min(worst, max(s, -2.0))   # a far miss should not dominate the least squares
        out.append(worst)
    return np.array(out)


def population_size(dim: int, batch: int) -> int:
    """CMA-ES's default population (4 + 3 ln d), rounded up to a multiple of the batch."""
    default = 4 + int(3 * math.log(max(dim, 1)))
    return batch * max(1, math.ceil(default / batch))


@dataclass
class CmaSearch:
    """Ask/tell CMA-ES over the sizing variables; ``ask(n)`` never crosses a generation."""

    variables: Sequence
    start: Mapping[str, float]
    seed: int
    batch: int
    sigma0: float = SIGMA0
    targets: Sequence = ()                              # the spec's targets (for the margin model)
    surrogate: bool = True
    restarts: int = 0
    _pending: list = field(default_factory=list)      # encoded points of this generation not yet asked
    _asked: list = field(default_factory=list)        # encoded points asked, waiting for their objective
    _told: list = field(default_factory=list)         # (encoded point, objective) of this generation
    _best: tuple | None = None                        # (objective, encoded point) of the incumbent
    _data: list = field(default_factory=list)         # (encoded point, per-target margins) simulated

    def __post_init__(self) -> None:
        self._x0 = encode(self.variables, self.start)
        self._cma = self._new(self._x0)
        self._inject = True   # the start point itself is the first candidate

    def _new(self, mean: np.ndarray):
        from cmaes import CMA

        dim = len(self.variables)
        bounds = np.tile([0.0, 1.0], (dim, 1))
        # the mean must lie strictly inside the bounds (a start at a bound is clipped a hair inside)
        mean = np.clip(mean, 1e-6, 1 - 1e-6)
        return CMA(mean=mean, sigma=self.sigma0, bounds=bounds, seed=self.seed + 7919 * self.restarts,
                   population_size=population_size(dim, self.batch))

    def _generation(self) -> None:
        pop = self._cma.population_size
        model = self._margin_model() if self.surrogate else None
        if model is None:
            self._pending = [self._cma.ask() for _ in range(pop)]
        else:
            pool = np.array([self._cma.ask() for _ in range(POOL * pop)])
            pred = np.column_stack([np.ones(len(pool)), pool]) @ model          # (pool, targets) margins
            score = np.maximum(0.0, -pred).sum(axis=1) - 1e-3 * pred.min(axis=1)  # violation, then room
            self._pending = [pool[k] for k in np.argsort(score, kind="stable")[:pop]]
        if self._inject:
            self._pending[0] = np.clip(self._x0, 0.0, 1.0)
            self._inject = False

    def ask(self, n: int) -> list[dict[str, float]]:
        if not self._pending and not self._asked:
            self._generation()
        take, self._pending = self._pending[:n], self._pending[n:]
        self._asked += take
        return [decode(self.variables, z) for z in take]

    def _margin_model(self) -> np.ndarray | None:
        """Least-squares linear models (intercept + slope per variable, one column per target) of
        the margins over the most recent candidates; None before a generation is in."""
        if not self.targets or len(self._data) < self._cma.population_size:
            return None
        recent = self._data[-max(2 * (len(self.variables) + 1), 2 * self._cma.population_size):]
        x = np.column_stack([np.ones(len(recent)), np.array([z for z, _ in recent])])
        y = np.array([m for _, m in recent])
        coef, *_ = np.linalg.lstsq(x, y, rcond=None)
        return coef

    def tell(self, objectives: Sequence[float], evaluations: Sequence | None = None) -> None:
        """Objectives of the candidates of the last ``ask``, in order (lower is better), and
        optionally their :class:`~chipsmith.spice.sizing.Evaluation` (for the margin model)."""
        done, self._asked = self._asked[:len(objectives)], self._asked[len(objectives):]
        for k, z in enumerate(done):
            m = margins(self.targets, evaluations[k]) if evaluations is not None and self.targets else None
            if m is not None:
                self._data.append((z, m))
        for z, y in zip(done, objectives):
            y = float(y) if math.isfinite(y) else 1e9
            self._told.append((z, y))
            if self._best is None or y < self._best[0]:
                self._best = (y, z)
        if len(self._told) == self._cma.population_size and not self._pending and not self._asked:
            self._cma.tell(self._told)
            self._told = []
            if self._cma.should_stop():
                self.restarts += 1
                self._cma = self._new(self._best[1])
