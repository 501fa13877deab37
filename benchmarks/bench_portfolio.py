"""Speed and memory of the portfolio model, each beside HiGHS alone on the same problem.

Run from the repository root::

    .venv/bin/python benchmarks/bench_portfolio.py [--only workshop|m100|national] [--repeat N]

Prints one JSON document and saves it to ``benchmarks/results/portfolio-<date>.json``.
Every case runs in its own process so that peak memory (max RSS) is the case's own.

- ``workshop``: the workshop scenario (1 city, ~40 projects, to 2050): first build + solve,
  then the median re-solve time after a budget change and after a target change
  (``budget_resolve_ms``, ``target_resolve_ms``); the floor is HiGHS alone re-solving the
  same MPS model after the same bound change.
- ``m100``: the 13-city M100 scenario: build (assemble + Pyomo + matrix hand-off), solve,
  total; the floor is HiGHS alone on the same work exported to MPS: the model, then (where
  targets are missed) the model with the missed targets relaxed by the shortfall, as the
  kit's two-phase solve does (``overhead_ratio`` = total / HiGHS alone).
- ``national``: a generated national-scale LP (320 towns, ~40 projects each): time and peak
  memory.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing as mp
import platform
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import highspy
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


def _highs_alone(
    mps: Path,
    threads: int = 1,
    gap: float = 0.005,
    presolve: str = "choose",
    time_limit: float = 600.0,
) -> tuple[float, float]:
    """Read an MPS file into a fresh HiGHS and solve it from a cold start, within the
    scenario's time limit: (seconds, objective)."""
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("presolve", presolve)
    h.setOptionValue("time_limit", float(time_limit))
    h.setOptionValue("threads", threads)
    h.setOptionValue("mip_rel_gap", gap)
    h.setOptionValue("random_seed", 0)
    h.readModel(str(mps))
    t0 = time.perf_counter()
    h.run()
    return time.perf_counter() - t0, h.getInfo().objective_function_value


def _highs_alone_two_phase(solver, folder: Path, spec) -> tuple[float, float]:
    """HiGHS alone on the same work as the kit: the model as exported (phase 1), then, if
    targets were missed, the model with each missed target relaxed by the shortfall
    (phase 2). Returns total seconds and the last objective."""
    presolve = spec.presolve if solver.integer_cols else "choose"
    phase1 = folder / "phase1.mps"
    solver.write_mps(phase1)
    secs, obj = _highs_alone(phase1, spec.threads, spec.mip_gap, presolve, spec.time_limit)
    if solver.shortfall:
        rows = solver._missed_rows(solver.shortfall)
        for con, (value, extra) in rows.items():
            solver._set_rhs(con, value + extra)
        phase2 = folder / "phase2.mps"
        solver.write_mps(phase2)
        for con, (value, _) in rows.items():
            solver._set_rhs(con, value)
        more, obj = _highs_alone(phase2, spec.threads, spec.mip_gap, presolve, spec.time_limit)
        secs += more
    return secs, obj


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def case_workshop(repeat: int) -> dict:
    from m100model.portfolio.data import assemble
    from m100model.portfolio.solve import PortfolioSolver
    from m100model.scenario import load_scenario

    t0 = time.perf_counter()
    scn = load_scenario(ROOT / "data" / "scenarios" / "workshop.yaml")
    data = assemble(scn)
    t1 = time.perf_counter()
    solver = PortfolioSolver(data, scn.solver)
    t2 = time.perf_counter()
    solver.solve(duals=False)
    t3 = time.perf_counter()
    base_env = data.envelope[next(k for k in data.envelope if k[0] == "municipal_budget")]
    city = scn.cities[0]
    budget_ms, target_ms = [], []
    for i in range(repeat):
        solver.set_envelope("municipal_budget", base_env * (0.6 if i % 2 == 0 else 1.0), city)
        s = time.perf_counter()
        solver.solve(duals=False)
        budget_ms.append((time.perf_counter() - s) * 1000)
    solver.set_envelope("municipal_budget", base_env, city)
    targets = dict(data.target_kt)
    for i in range(repeat):
        f = 0.97 if i % 2 == 0 else 1.0
        solver.set_targets({k: v * f for k, v in targets.items()})
        s = time.perf_counter()
        solver.solve(duals=False)
        target_ms.append((time.perf_counter() - s) * 1000)
    # Floor: HiGHS alone re-solving the exported model after the same kind of bound change.
    with tempfile.TemporaryDirectory() as tmp:
        mps = Path(tmp) / "workshop.mps"
        solver.write_mps(mps)
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("threads", 1)
        h.readModel(str(mps))
        h.run()
        lp = h.getLp()
        row = next(solver.row_index[c] for c in solver.model.envelope_limit.values())
        upper = lp.row_upper_[row]
        floor_ms = []
        for i in range(repeat):
            h.changeRowBounds(row, -highspy.kHighsInf, upper * (0.6 if i % 2 == 0 else 1.0))
            s = time.perf_counter()
            h.run()
            floor_ms.append((time.perf_counter() - s) * 1000)
    return {
        "case": "workshop",
        "projects": len(data.projects),
        "variables": solver.stats.n_vars,
        "constraints": solver.stats.n_cons,
        "integer_variables": solver.stats.n_binary,
        "first_assemble_s": round(t1 - t0, 4),
        "first_build_s": round(t2 - t1, 4),
        "first_solve_s": round(t3 - t2, 4),
        "first_total_s": round(t3 - t0, 4),
        "budget_resolve_ms": round(statistics.median(budget_ms), 3),
        "target_resolve_ms": round(statistics.median(target_ms), 3),
        "highs_alone_resolve_ms": round(statistics.median(floor_ms), 3),
        "repeat": repeat,
        "peak_rss_mb": round(_peak_mb(), 1),
    }


def case_m100(repeat: int) -> dict:
    from m100model.portfolio.data import assemble
    from m100model.portfolio.solve import PortfolioSolver
    from m100model.scenario import load_scenario

    scn = load_scenario(ROOT / "data" / "scenarios" / "m100_2035.yaml")
    builds, solves, totals, floors, objs = [], [], [], [], []
    for _ in range(repeat):
        t0 = time.perf_counter()
        data = assemble(scn)
        solver = PortfolioSolver(data, scn.solver)
        t1 = time.perf_counter()
        solver.solve(duals=False)
        t2 = time.perf_counter()
        builds.append(t1 - t0)
        solves.append(t2 - t1)
        totals.append(t2 - t0)
        with tempfile.TemporaryDirectory() as tmp:
            secs, obj = _highs_alone_two_phase(solver, Path(tmp), scn.solver)
        floors.append(secs)
        objs.append((solver.stats.objective, obj))
    total, floor = statistics.median(totals), statistics.median(floors)
    return {
        "case": "m100",
        "cities": len(scn.cities),
        "projects": len(data.projects),
        "variables": solver.stats.n_vars,
        "constraints": solver.stats.n_cons,
        "integer_variables": solver.stats.n_binary,
        "build_s": round(statistics.median(builds), 3),
        "solve_s": round(statistics.median(solves), 3),
        "total_s": round(total, 3),
        "highs_alone_s": round(floor, 3),
        "overhead_ratio": round(total / floor, 3),
        "objective_kit_vs_highs_alone": [[round(a, 3), round(b, 3)] for a, b in objs],
        "repeat": repeat,
        "peak_rss_mb": round(_peak_mb(), 1),
    }


def case_national(repeat: int) -> dict:
    from national_instance import national_data

    from m100model.portfolio.solve import PortfolioSolver
    from m100model.scenario import SolverSpec

    t0 = time.perf_counter()
    data = national_data(towns=320, seed=7)
    t1 = time.perf_counter()
    solver = PortfolioSolver(data, SolverSpec(mip_gap=0.0, time_limit=3000))
    t2 = time.perf_counter()
    solver.solve(duals=False)
    t3 = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        floor, _ = _highs_alone_two_phase(solver, Path(tmp), solver.spec)
    return {
        "case": "national",
        "towns": len(data.groups),
        "projects": len(data.projects),
        "variables": solver.stats.n_vars,
        "constraints": solver.stats.n_cons,
        "integer_variables": solver.stats.n_binary,
        "status": solver.stats.status,
        "generate_s": round(t1 - t0, 3),
        "build_s": round(t2 - t1, 3),
        "solve_s": round(t3 - t2, 3),
        "total_s": round(t3 - t0, 3),
        "highs_alone_s": round(floor, 3),
        "peak_rss_mb": round(_peak_mb(), 1),
    }


CASES = {"workshop": case_workshop, "m100": case_m100, "national": case_national}


def _worker(name: str, repeat: int, queue: mp.Queue) -> None:
    queue.put(CASES[name](repeat))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=list(CASES), action="append")
    parser.add_argument(
        "--repeat",
        type=int,
        default=0,
        help="repetitions (default: workshop 31, m100 3, national 1)",
    )
    args = parser.parse_args()
    default_repeat = {"workshop": 31, "m100": 3, "national": 1}
    results = []
    ctx = mp.get_context("spawn")
    for name in args.only or list(CASES):
        queue = ctx.Queue()
        proc = ctx.Process(target=_worker, args=(name, args.repeat or default_repeat[name], queue))
        proc.start()
        results.append(queue.get())
        proc.join()
        print(json.dumps(results[-1]), file=sys.stderr, flush=True)
    doc = {
        "benchmark": "portfolio",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": mp.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "highspy": highspy.__version__ if hasattr(highspy, "__version__") else "",
            "numpy": np.__version__,
        },
        "results": results,
    }
    text = json.dumps(doc, indent=2)
    print(text)
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
    (out / f"portfolio-{stamp}.json").write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
