"""`chipsmith bench sizing`: a sizing method (CMA-ES from the gm/Id start by default) against random
search at equal evaluations.

For each problem (a design + spec under ``benchmarks/sizing/``), method and seed, one sizing
run gets the same budget of candidates. Both methods use the same evaluation (tt screening
first, the other corners only for a candidate that meets every target at tt; see
:func:`chipsmith.spice.sizing.evaluate`), so "evaluations" are candidates proposed, counted
the same way for both. A run that never succeeds is censored: it counts as its whole budget
and its median is reported as ">= budget" when the censored runs reach the median.

The judge is independent of the sizer: every claimed success is re-simulated by
:func:`confirm` with the FULL PDK library (not the cut-down one the sizer loads), the full
four-copy bench of :mod:`chipsmith.spice.ampbench`, one plain ngspice run per corner (no
``alterparam`` batching) and its own comparison of the figures against the spec's numbers.
A success it does not confirm is a false success. Noise and swing targets are judged by
:func:`judge_noise_swing`: its own deck text, its own ngspice control block (ASCII
``wrdata``), its own parsing and arithmetic -- nothing of the sizer's measurement code.

The whole set's runs are independent, so ``--workers`` fans them out over dask processes
(each run simulates in-process).
"""
from __future__ import annotations

import math
import statistics
import time
from pathlib import Path
from typing import Sequence

import yaml

PROBLEMS = Path(__file__).resolve().parent / "sizing"
#: the issue's benchmark: SMC (the two-stage Miller), NMC, AFFC, DFCFC, folded cascode, telescopic
_SKY130 = ("sky130_two_stage", "sky130_nmc", "sky130_affc", "sky130_dfcfc", "sky130_folded_cascode",
           "sky130_telescopic")
SETS = {"generic": ("generic_two_stage",), "sky130": _SKY130, "sky130-tt": _SKY130}
#: sets that run their problems at these corners instead of the specs' own (a quicker look)
CORNERS = {"sky130-tt": ("tt",)}
#: the topology each problem stands for, for the table
LABELS = {"sky130_two_stage": "SMC", "sky130_nmc": "NMC", "sky130_affc": "AFFC", "sky130_dfcfc": "DFCFC",
          "sky130_folded_cascode": "folded cascode", "sky130_telescopic": "telescopic",
          "generic_two_stage": "SMC (generic)"}


def load_problem(name: str, problem_set: str):
    """(design text retargeted to its PDK, spec) of one benchmark problem."""
    from chipsmith.spice.pdk import get_pdk
    from chipsmith.spice.retarget import retarget_text
    from chipsmith.spice.sizing import load_spec

    design = (PROBLEMS / f"{name}.cir").read_text()
    data = yaml.safe_load((PROBLEMS / f"{name}.yaml").read_text())
    if problem_set in CORNERS:
        data["corners"] = list(CORNERS[problem_set])
    spec = load_spec(data, design)
    return retarget_text(design, get_pdk(spec.pdk), name), spec


def _meets(op: str, required: float, measured) -> bool:
    if measured is None or not math.isfinite(measured):
        return False
    return measured >= required if op == ">=" else measured <= required


def confirm(design: str, spec, params: dict, timeout_s: float = 900.0) -> dict:
    """Re-simulate the sized design at every (corner, temp) with the full library and bench, one
    plain run each. Returns {"confirmed", "failures": [...], "errors": [...]}: a failure is a
    figure that misses its target (a false success), an error a run the judge could not finish
    (a timeout on a loaded machine: neither confirmed nor refuted)."""
    from chipsmith.errors import SimulationError, SimulationTimeout
    from chipsmith.spice.ampbench import figures
    from chipsmith.spice.flows import with_models
    from chipsmith.spice.pdk import get_pdk
    from chipsmith.spice.runner import Ac, Op, Tran, simulate
    from chipsmith.spice.sizing import sized_design

    pdk = get_pdk(spec.pdk)  # the full model library, as a sign-off run would load it
    sized = sized_design(design, params)
    failures, errors = [], []
    for corner in spec.corners:
        for temp in spec.temps:
            analyses = [Op(), Ac(1.0, 10e9, 10)]
            if spec.needs_tran:
                analyses.append(Tran(spec.bench.tran_stop / 500, spec.bench.tran_stop))
            deck = with_models(spec.bench.deck(sized), pdk.model_lines(corner, temp))
            try:
                figs = figures(spec.bench, simulate(deck, analyses, trusted=True, include_dirs=pdk.model_dirs,
                                                    timeout_s=timeout_s, source=f"confirm {corner} {temp:g}C"))
            except SimulationTimeout as exc:
                errors.append(f"{corner}/{temp:g}C: {exc.one_line()}")
                continue
            except SimulationError as exc:  # the sized design does not simulate: refuted
                failures.append(f"{corner}/{temp:g}C: {exc.one_line()}")
                continue
            if any(t.figure in _JUDGED_APART for t in spec.targets):
                try:
                    figs.update(judge_noise_swing(sized, spec, pdk.model_lines(corner, temp), timeout_s))
                except SimulationTimeout as exc:
                    errors.append(f"{corner}/{temp:g}C: {exc.one_line()}")
                    continue
                except SimulationError as exc:
                    failures.append(f"{corner}/{temp:g}C: {exc.one_line()}")
                    continue
            failures += [f"{corner}/{temp:g}C: {t.figure}={figs.get(t.figure)!r} not {t.op} {t.value:g}"
                         for t in spec.targets if not _meets(t.op, t.value, figs.get(t.figure))]
    return {"confirmed": not failures and not errors, "failures": failures, "errors": errors}


_JUDGED_APART = ("noise_nv_rthz", "noise_uv_rms", "swing_v")


def judge_noise_swing(sized: str, spec, model_lines: str, timeout_s: float = 900.0) -> dict:
    """Noise density (nV/rtHz at the spec's noise_freq), rms noise over its noise_band (uV) and
    output swing (V) of the sized design, measured independently of the sizer's code.

    Noise: the op-amp open loop, DC-servoed by an ideal-ish L/C loop (noiseless), ``.noise``
    referred to its input source; density interpolated linearly in log-log, the rms by the
    trapezoid rule on a 100-points-per-decade sweep of the band. Swing: an inverting
    amplifier of the spec's swing gain (1 GOhm feedback), its input swept over 600 points;
    the output range of the contiguous run, around the steepest point, where the slope
    stays at or above the spec's fraction of its peak."""
    import shutil
    import subprocess
    import tempfile

    import numpy as np

    from chipsmith.errors import SimulationError, SimulationTimeout

    b = spec.bench
    wanted = {t.figure for t in spec.targets}
    pins = {b.inp: "jp", b.inn: "jn", b.out: "jo", b.vdd: "jvdd", b.gnd: "0"}
    feeds = [f"Vjdd jvdd 0 {b.supply_v!r}"]
    for port, value in b.bias.items():
        pins[port] = f"jb_{port}"
        feeds.append(f"Vjb_{port} jb_{port} 0 {value!r}" if b.bias_is_voltage.get(port)
                     else f"Ijb_{port} jvdd jb_{port} {value!r}")
    dut = "Xjudge " + " ".join(pins[p] for p in b.ports) + f" {b.subckt}"
    f_lo, f_hi = (b.noise_band or (b.noise_freq, b.noise_freq))
    f_lo, f_hi = min(f_lo, b.noise_freq) / 1.5, max(f_hi, b.noise_freq) * 1.5
    k = b.swing_gain
    v_lo, v_hi = b.vcm - 1.15 * (b.supply_v - b.vcm) / k, b.vcm + 1.15 * b.vcm / k
    figs: dict = {}
    with tempfile.TemporaryDirectory(prefix="judge-noise-") as tmp:
        tmp_path = Path(tmp)
        runs = []
        if wanted & {"noise_nv_rthz", "noise_uv_rms"}:
            runs.append(("noise", [f"Vjin jp 0 DC {b.vcm!r} AC 1", "Ljfb jo jn 1e9", "Cjfb jn 0 1",
                                   f"Cjl jo 0 {b.cload!r}"],
                         [f"noise v(jo) vjin dec 100 {f_lo!r} {f_hi!r}", "setplot noise1",
                          "wrdata noise.txt inoise_spectrum"]))
        if "swing_v" in wanted:
            runs.append(("swing", [f"Vjcm jp 0 DC {b.vcm!r}", f"Vjin ji 0 DC {b.vcm!r}", f"Rji ji jn {1e9 / k!r}",
                                   "Rjf jo jn 1e9", f"Cjl jo 0 {b.cload!r}"],
                         [f"dc vjin {v_lo!r} {v_hi!r} {(v_hi - v_lo) / 600!r}", "wrdata swing.txt v(jo)"]))
        for name, bench, control in runs:
            deck = "\n".join(["* judge " + name, model_lines.strip(), sized.strip(), *feeds, *bench, dut,
                               ".control", *control, ".endc", ".end"]) + "\n"
            (tmp_path / f"{name}.cir").write_text(deck)
            try:
                proc = subprocess.run([shutil.which("ngspice") or "ngspice", "-b", f"{name}.cir"], cwd=tmp,
                                      capture_output=True, text=True, timeout=timeout_s)
            except subprocess.TimeoutExpired:
                raise SimulationTimeout(f"judge {name} run past {timeout_s:g} s") from None
            data_file = tmp_path / f"{name}.txt"
            if not data_file.exists():
                raise SimulationError(f"judge {name} run wrote nothing: {proc.stdout[-200:]}{proc.stderr[-200:]}")
            table = np.loadtxt(data_file, ndmin=2)
            x, y = table[:, 0], table[:, 1]
            if name == "noise":
                lf, ld = np.log(x), np.log(np.abs(y))
                figs["noise_nv_rthz"] = float(np.exp(np.interp(math.log(b.noise_freq), lf, ld))) * 1e9
                if b.noise_band is not None:
                    inside = (x >= b.noise_band[0]) & (x <= b.noise_band[1])
                    fx = np.concatenate([[b.noise_band[0]], x[inside], [b.noise_band[1]]])
                    dx = np.exp(np.interp(np.log(fx), lf, ld))
                    figs["noise_uv_rms"] = float(math.sqrt(np.trapezoid(dx ** 2, fx))) * 1e6
            else:
                slope = np.abs(np.diff(y) / np.diff(x))
                top = int(np.argmax(slope))
                ok = slope >= b.swing_fraction * slope[top]
                first, last = top, top
                while first > 0 and ok[first - 1]:
                    first -= 1
                while last < slope.size - 1 and ok[last + 1]:
                    last += 1
                run = y[first:last + 2]
                figs["swing_v"] = float(run.max() - run.min())
    return figs


def _cpu_seconds() -> float:
    """CPU time of this process and its finished children (ngspice): what a run costs on an
    idle machine, where wall time on a shared one also counts other people's work."""
    import resource

    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def run_one(job: tuple) -> dict:
    """One sizing run of one problem with one method and seed, and the judge's verdict."""
    name, problem_set, method, seed, budget, batch = job
    from chipsmith.spice.sizing import size

    design, spec = load_problem(name, problem_set)
    start, cpu0 = time.perf_counter(), _cpu_seconds()
    result = size(design, spec, budget=budget, batch=batch, method=method, seed=seed)
    wall, cpu = time.perf_counter() - start, _cpu_seconds() - cpu0
    verdict = confirm(design, spec, dict(result.best.params)) if result.success else None
    return {"problem": name, "method": method, "seed": seed, "success": result.success,
            "confirmed": bool(verdict and verdict["confirmed"]),
            "false_success": bool(verdict and verdict["failures"]),
            "judge_failures": verdict["failures"] if verdict else [],
            "judge_errors": verdict["errors"] if verdict else [],
            "evaluations_to_success": result.evaluations_to_success, "evaluations": len(result.evaluations),
            "simulations": result.simulations, "wall_s": wall, "cpu_s": cpu,
            "best_cost": result.best.cost if result.best else None,
            "best_params": dict(result.best.params) if result.best else None}


def censored_median(values: Sequence[int], censored: Sequence[bool]) -> tuple[float, bool]:
    """Median of evaluations-to-success where a failed run counts as its budget; the flag says
    the median reaches a censored run (the true median is then only known to be >= it)."""
    med = statistics.median(values)
    ordered = sorted(zip(values, censored))
    n = len(ordered)
    mid = ordered[(n - 1) // 2: n // 2 + 1]
    return med, any(c for _, c in mid)


def _summarise(rows: list[dict], names: Sequence[str], methods: Sequence[str], budget: int) -> tuple[dict, dict]:
    per = {}
    for name in names:
        for method in methods:
            mine = [r for r in rows if r["problem"] == name and r["method"] == method]
            if not mine:
                continue
            evals = [r["evaluations_to_success"] or budget for r in mine]
            med, cens = censored_median(evals, [not r["success"] for r in mine])
            per[f"{name}/{method}"] = {
                "runs": len(mine), "successes": sum(r["success"] for r in mine),
                "confirmed": sum(r["confirmed"] for r in mine),
                "false_successes": sum(r["false_success"] for r in mine),
                "unjudged": sum(bool(r["judge_errors"]) and not r["false_success"] for r in mine),
                "median_evaluations": med, "median_censored": cens,
                "median_simulations": statistics.median(r["simulations"] for r in mine),
                "median_wall_s": statistics.median(r["wall_s"] for r in mine),
                "median_cpu_s": statistics.median(r.get("cpu_s", math.nan) for r in mine)}
    ratios = {}
    main = main_method(methods)
    for name in names:
        t, r = per.get(f"{name}/{main}"), per.get(f"{name}/random")
        if t and r and main != "random":
            ratio = r["median_evaluations"] / t["median_evaluations"]
            # censored random median: the ratio is a lower bound; censored method: not a ratio at all
            ratios[name] = {"method": main, "random_over_method_median_evaluations": None if t["median_censored"]
                            else ratio, "lower_bound": bool(r["median_censored"]) and not t["median_censored"],
                            "random_over_method_median_wall": r["median_wall_s"] / t["median_wall_s"]}
    return per, ratios


def main_method(methods: Sequence[str]) -> str:
    """The method compared against random search: the first one named that is not random."""
    return next((m for m in methods if m != "random"), "random")


def pooled(rows: list[dict], method: str, budget: int) -> dict | None:
    """Evaluations summed over every (problem, seed) that both ``method`` and random search ran,
    a failed run counted as its whole budget (so a pooled ratio with failed random runs is a
    lower bound)."""
    mine = {(r["problem"], r["seed"]): r for r in rows if r["method"] == method}
    base = {(r["problem"], r["seed"]): r for r in rows if r["method"] == "random"}
    both = sorted(set(mine) & set(base))
    if not both or method == "random":
        return None
    m = sum(mine[k]["evaluations_to_success"] or budget for k in both)
    b = sum(base[k]["evaluations_to_success"] or budget for k in both)
    return {"runs": len(both), "method_evaluations": m, "random_evaluations": b, "random_over_method": b / m,
            "lower_bound": any(not base[k]["success"] for k in both),
            "method_failures": sum(not mine[k]["success"] for k in both)}


def _random_expected(runs: Sequence[tuple[int, bool]]) -> float:
    """Expected evaluations to a first success of random search: its candidates are independent
    draws, so evaluations-to-success is geometric and, with failed runs censored at their
    budget, the maximum-likelihood success probability is successes / draws. With no success
    at all, draws / 1 (a lower bound on the expectation)."""
    draws = sum(n for n, _ in runs)
    return draws / max(sum(ok for _, ok in runs), 1)


def _method_expected(runs: Sequence[tuple[int, bool]]) -> float:
    """Mean evaluations to success of a search method, a failed run counted as its budget
    (an upper bound on its expectation, so the ratio against random stays conservative)."""
    return sum(n for n, _ in runs) / len(runs)


def expected_evaluations(rows: list[dict], method: str, budget: int, resamples: int = 20000,
                         seed: int = 0) -> dict | None:
    """Expected evaluations to success, ``method`` vs random search, per problem and pooled
    (summed over problems), with a bootstrap over each problem's runs for the pooled ratio.

    The median ratio censors every random run that never succeeds at the budget; this one
    uses the draws of the failed runs as evidence (random search is memoryless), which is
    what "evaluations to the same success" asks of a baseline that often fails."""
    import numpy as np

    if method == "random":
        return None
    names = sorted({r["problem"] for r in rows if r["method"] == method} & {r["problem"] for r in rows
                                                                             if r["method"] == "random"})
    if not names:
        return None
    runs = {(n, m): [(r["evaluations_to_success"] or budget, bool(r["success"])) for r in rows
                     if r["problem"] == n and r["method"] == m] for n in names for m in (method, "random")}
    per = {}
    for n in names:
        rnd, mine = _random_expected(runs[(n, "random")]), _method_expected(runs[(n, method)])
        per[n] = {"random": rnd, "method": mine, "random_over_method": rnd / mine,
                  "random_lower_bound": not any(ok for _, ok in runs[(n, "random")])}
    total_r, total_m = sum(v["random"] for v in per.values()), sum(v["method"] for v in per.values())
    rng = np.random.default_rng(seed)
    ratios = np.empty(resamples)
    for i in range(resamples):
        r_sum = m_sum = 0.0
        for n in names:
            rr, mm = runs[(n, "random")], runs[(n, method)]
            r_sum += _random_expected([rr[j] for j in rng.integers(0, len(rr), len(rr))])
            m_sum += _method_expected([mm[j] for j in rng.integers(0, len(mm), len(mm))])
        ratios[i] = r_sum / m_sum
    return {"per_problem": per, "random": total_r, "method": total_m, "random_over_method": total_r / total_m,
            "bootstrap_p05": float(np.percentile(ratios, 5)), "bootstrap_median": float(np.median(ratios)),
            "resamples": resamples,
            "basis": "random: geometric MLE (draws / successes, failed runs' draws counted); method: mean with "
                     "failed runs at the budget; pooled = sum over problems; p05 = 5th percentile of a bootstrap "
                     "over each problem's runs"}


def run(problem_set: str = "generic", seeds: int = 4, budget: int = 96, batch: int = 8,
        methods: Sequence[str] = ("cmaes", "random"), client=None, on_run=None,
        problems: Sequence[str] | None = None, first_seed: int = 0) -> dict:
    """Every problem of the set x method x seed (``first_seed`` .. ``first_seed + seeds - 1``);
    runs fan out over ``client`` when given."""
    from chipsmith.errors import InputError

    if problem_set not in SETS:
        raise InputError(f"unknown sizing set {problem_set!r}", fix=f"choose one of: {', '.join(SETS)}")
    names = tuple(problems) if problems else SETS[problem_set]
    unknown = sorted(set(names) - set(SETS[problem_set]))
    if unknown:
        raise InputError(f"no problem(s) {', '.join(unknown)} in set {problem_set}",
                         fix=f"choose from: {', '.join(SETS[problem_set])}")
    jobs = [(name, problem_set, method, seed, budget, batch) for name in names for method in methods
            for seed in range(first_seed, first_seed + seeds)]
    start = time.perf_counter()
    if client is None:
        rows = []
        for job in jobs:
            rows.append(run_one(job))
            if on_run is not None:
                on_run(rows[-1])
    else:
        from chipsmith.parallel import map_unordered

        rows = map_unordered(run_one, jobs, client,
                             on_result=(lambda _i, row: on_run(row)) if on_run is not None else None)
    summary = summarise(rows, problem_set, seeds, budget, batch, names, methods, time.perf_counter() - start)
    return {**summary, "first_seed": first_seed}


def summarise(rows: list[dict], problem_set: str, seeds: int, budget: int, batch: int, names: Sequence[str],
              methods: Sequence[str], wall_s: float | None = None) -> dict:
    """The benchmark's summary from its runs (also from the ``.runs.jsonl`` of a run stopped early)."""
    names = [n for n in names if any(r["problem"] == n for r in rows)]
    per, ratios = _summarise(rows, names, methods, budget)
    main = main_method(methods)
    runs = [r for r in rows if r["method"] == main] or rows
    return {"set": problem_set, "seeds": seeds, "budget": budget, "batch": batch, "problems": list(names),
            "method": main, "per_problem": per, "ratios": ratios, "pooled": pooled(rows, main, budget),
            "expected": expected_evaluations(rows, main, budget), "runs": rows,
            "success_rate": sum(r["success"] for r in runs) / len(runs),
            "confirmed_rate": sum(r["confirmed"] for r in runs) / len(runs),
            "false_successes": sum(r["false_success"] for r in rows),
            "median_wall_s": statistics.median(r["wall_s"] for r in runs),
            "median_cpu_s": statistics.median(r.get("cpu_s", math.nan) for r in runs),
            "wall_s": wall_s,
            "caveat": ("evaluations = candidates proposed (both methods screen at tt the same way); a run that "
                       "never succeeds counts as its whole budget (censored: the median is then '>= budget' "
                       "and the ratio a lower bound); wall times on a shared 2-core machine, runs in parallel")}


def run_with_workers(problem_set: str, seeds: int, budget: int, batch: int, *, workers: int | None = None,
                     scheduler: str | None = None, on_run=None, problems: Sequence[str] | None = None,
                     methods: Sequence[str] = ("cmaes", "random"), first_seed: int = 0) -> dict:
    """:func:`run` with its runs fanned out over dask (``--workers``, default all cores; 1 = in-process)."""
    from chipsmith.options import resolve_workers
    from chipsmith.parallel import ClusterConfig, get_client

    n_workers = resolve_workers(workers, scheduler)
    if n_workers == 1:
        return {**run(problem_set, seeds, budget, batch, methods=methods, on_run=on_run, problems=problems,
                      first_seed=first_seed), "workers": 1}
    with get_client(ClusterConfig.from_env(scheduler=scheduler, workers=n_workers)) as client:
        summary = run(problem_set, seeds, budget, batch, methods=methods, client=client, on_run=on_run,
                      problems=problems, first_seed=first_seed)
    return {**summary, "workers": n_workers}


def _minutes(seconds) -> str:
    return "-" if seconds is None or not math.isfinite(seconds) else f"{seconds / 60:.1f}m"


def table(summary: dict) -> list[str]:
    """The per-problem table `bench sizing` prints."""
    budget, main = summary["budget"], summary.get("method", "tpe")
    lines = [f"{'problem':<16} {main + ' met':>9} {main + ' med':>9} {'rand met':>9} {'rand med':>9} {'ratio':>7} "
             f"{main + ' wall':>10} {main + ' cpu':>9} {'false':>6}"]
    for name in summary["problems"]:
        t, r = summary["per_problem"].get(f"{name}/{main}"), summary["per_problem"].get(f"{name}/random")
        if t is None:
            continue

        def med(row):
            if row is None:
                return "-"
            return f">={budget}" if row["median_censored"] else f"{row['median_evaluations']:g}"

        ratio = summary["ratios"].get(name)
        ratio_text = "-" if not ratio or ratio["random_over_method_median_evaluations"] is None else (
            (">=" if ratio["lower_bound"] else "") + f"{ratio['random_over_method_median_evaluations']:.1f}x")
        false = t["false_successes"] + (r["false_successes"] if r else 0)
        lines.append(f"{LABELS.get(name, name):<16} {t['successes']:>5}/{t['runs']:<3} {med(t):>9} "
                     f"{(str(r['successes']) + '/' + str(r['runs'])) if r else '-':>9} {med(r):>9} {ratio_text:>7} "
                     f"{t['median_wall_s'] / 60:>9.1f}m {_minutes(t.get('median_cpu_s')):>9} {false:>6}")
    return lines
