"""Speed and memory of the portfolio engine, each beside HiGHS alone doing the same work.

Run from the repository root::

    .venv/bin/python benchmarks/bench_portfolio.py [--only workshop|m100|national] [--repeat N]
        [--towns 40 80 160 320] [--national-timeout S]

Prints one JSON document (``make bench`` stores it in ``benchmarks/results/latest.json``).
Every case runs in its own process, so that peak memory (max RSS) is the case's own.

- ``workshop``: the workshop scenario (1 city, LP). Median time of a change and the
  re-solve: the target rows (``resolve_target_ms``) and the municipal-budget envelope rows
  (``resolve_budget_ms``), primal only, and with the published prices
  (``resolve_target_with_prices_ms``). The floor (``highs_alone_ms``): the same model,
  exported to MPS, in a persistent ``highspy`` instance, re-solved after the same row
  bounds change (the same rows, not a non-binding one).
- ``m100``: the 13-city scenario (MIP). ``total_s`` is what ``m100 run`` spends before
  writing the report: assemble, build, compile, solve and prices. The floor
  (``highs_alone_s``): HiGHS alone on the exported model with the same stopping rule (the
  absolute gap the kit's run allowed), then the prices by the same method (interior point
  on the LP with the integers fixed) in a fresh instance.
- ``national``: a generated national-scale LP (``national_instance.py``) at several sizes:
  total time to a solution (generate, build, compile, solve; no prices) and peak memory.
  Each size runs in its own process with a timeout; a size that does not finish is reported
  as such and larger ones are skipped.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _highs(threads: int = 1):
    import highspy

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", threads)
    h.setOptionValue("random_seed", 0)
    return h


# ---------------------------------------------------------------------------------------
def case_workshop(repeat: int) -> dict:
    import highspy

    from m100model.portfolio.data import assemble
    from m100model.portfolio.solve import PortfolioSolver
    from m100model.scenario import load_scenario

    scn = load_scenario(ROOT / "data" / "scenarios" / "workshop.yaml")
    t0 = time.perf_counter()
    data = assemble(scn)
    solver = PortfolioSolver(data, scn.solver)
    solver.solve()
    first_s = time.perf_counter() - t0
    city = scn.cities[0]
    env0 = next(v for k, v in data.envelope.items() if k[0] == "municipal_budget")
    targets = dict(data.target_kt)

    def target_factor(i: int) -> float:
        return 0.97 if i % 2 == 0 else 1.0

    def budget_factor(i: int) -> float:
        return 0.6 if i % 2 == 0 else 1.0

    # HiGHS alone: the same model exported to MPS in a persistent instance, the same rows
    # changed by the same amounts, timed in the same loop as the kit (interleaved, so that
    # load from other processes falls on both alike).
    target_rows = solver.rows("target_path")
    env_rows = [
        i
        for (s, c, _t), i in solver.rows("envelope_limit").items()
        if s == "municipal_budget" and c == city
    ]
    with tempfile.TemporaryDirectory() as tmp:
        mps = Path(tmp) / "workshop.mps"
        solver.write_mps(mps)
        h = _highs()
        h.readModel(str(mps))
        h.run()
    lp = h.getLp()
    t_idx = np.array(list(target_rows.values()), dtype=np.int32)
    t_up, t_lo = np.asarray(lp.row_upper_)[t_idx], np.asarray(lp.row_lower_)[t_idx]
    e_idx = np.array(env_rows, dtype=np.int32)
    e_up, e_lo = np.asarray(lp.row_upper_)[e_idx], np.asarray(lp.row_lower_)[e_idx]
    # Each target row holds emissions - shortfall <= cap with the cap as its bound, so
    # scaling the caps scales the bounds by the same factor (likewise the envelopes).
    kit_target, kit_budget, kit_prices, alone_target, alone_budget = [], [], [], [], []
    # Each time covers the change and the re-solve, on both sides.
    for i in range(repeat):
        new_caps = {k: v * target_factor(i) for k, v in targets.items()}
        s = time.perf_counter()
        solver.set_targets(new_caps)
        solver.solve(duals=False)
        kit_target.append((time.perf_counter() - s) * 1000)
        new_up = t_up * target_factor(i)
        s = time.perf_counter()
        h.changeRowsBounds(len(t_idx), t_idx, t_lo, new_up)
        h.run()
        alone_target.append((time.perf_counter() - s) * 1000)
    solver.set_targets(targets)
    h.changeRowsBounds(len(t_idx), t_idx, t_lo, t_up)
    for i in range(repeat):
        s = time.perf_counter()
        solver.set_envelope("municipal_budget", env0 * budget_factor(i), city)
        solver.solve(duals=False)
        kit_budget.append((time.perf_counter() - s) * 1000)
        new_up = e_up * budget_factor(i)
        s = time.perf_counter()
        h.changeRowsBounds(len(e_idx), e_idx, e_lo, new_up)
        h.run()
        alone_budget.append((time.perf_counter() - s) * 1000)
    solver.set_envelope("municipal_budget", env0, city)
    for i in range(repeat):
        solver.set_targets({k: v * target_factor(i) for k, v in targets.items()})
        s = time.perf_counter()
        solver.solve()
        kit_prices.append((time.perf_counter() - s) * 1000)
    solver.set_targets(targets)
    assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    med = statistics.median
    return {
        "variables": solver.stats.n_vars,
        "constraints": solver.stats.n_cons,
        "first_solve_s": round(first_s, 3),
        "resolve_target_ms": round(med(kit_target), 3),
        "resolve_budget_ms": round(med(kit_budget), 3),
        "resolve_target_with_prices_ms": round(med(kit_prices), 3),
        "highs_alone_ms": round(med(alone_target), 3),
        "highs_alone_budget_ms": round(med(alone_budget), 3),
        "target_ratio": round(med(kit_target) / med(alone_target), 3),
        "budget_ratio": round(med(kit_budget) / med(alone_budget), 3),
        "repeat": repeat,
        "peak_rss_mb": round(_peak_mb(), 1),
    }


# ---------------------------------------------------------------------------------------
def case_m100(repeat: int) -> dict:
    import highspy

    from m100model.portfolio.data import assemble
    from m100model.portfolio.solve import PortfolioSolver
    from m100model.scenario import load_scenario

    scn = load_scenario(ROOT / "data" / "scenarios" / "m100_2035.yaml")
    spec = scn.solver
    rows = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        data = assemble(scn)
        t1 = time.perf_counter()
        solver = PortfolioSolver(data, spec)
        t2 = time.perf_counter()
        st = solver.solve(duals=False)
        t3 = time.perf_counter()
        solver.duals()
        t4 = time.perf_counter()
        allowed = max(1e-6, spec.mip_gap * abs(st.objective))
        with tempfile.TemporaryDirectory() as tmp:
            mps = Path(tmp) / "m100.mps"
            solver.write_mps(mps)
            h = _highs(spec.threads)
            h.setOptionValue("presolve", spec.presolve)
            h.setOptionValue("time_limit", float(spec.time_limit))
            h.setOptionValue("mip_rel_gap", 0.0)
            h.setOptionValue("mip_abs_gap", allowed)
            h.readModel(str(mps))
        a0 = time.perf_counter()
        h.run()
        a1 = time.perf_counter()
        x = np.asarray(h.getSolution().col_value)
        lp = h.getLp()
        integer = [j for j, k in enumerate(lp.integrality_) if k == highspy.HighsVarType.kInteger]
        lo, up = np.asarray(lp.col_lower_).copy(), np.asarray(lp.col_upper_).copy()
        lo[integer] = up[integer] = np.round(x[integer])
        lp.col_lower_, lp.col_upper_ = lo, up
        lp.integrality_ = []
        d = _highs(spec.threads)
        d.setOptionValue("solver", "ipm")
        d.setOptionValue("run_crossover", "off")
        d.passModel(lp)
        a2 = time.perf_counter()
        d.run()
        a3 = time.perf_counter()
        rows.append(
            dict(
                assemble_s=t1 - t0,
                build_s=solver.stats.build_s,
                compile_s=solver.stats.compile_s,
                solve_s=t3 - t2,
                prices_s=t4 - t3,
                total_s=t4 - t0,
                highs_alone_s=(a1 - a0) + (a3 - a2),
                highs_alone_solve_s=a1 - a0,
                highs_alone_prices_s=a3 - a2,
                # the penalised objective: the plan's cost plus its priced (discounted) shortfall
                objective_kit=st.objective + solver.penalty_meur(),
                objective_highs_alone=h.getInfo().objective_function_value,
                status=st.status,
                limit=st.limit,
                gap_meur=st.gap_meur,
            )
        )
    med = {k: statistics.median(r[k] for r in rows) for k in rows[0] if k.endswith("_s")}
    return {
        "variables": solver.stats.n_vars,
        "constraints": solver.stats.n_cons,
        "integer_variables": solver.stats.n_binary,
        **{k: round(v, 3) for k, v in med.items()},
        "overhead_ratio": round(med["total_s"] / med["highs_alone_s"], 3),
        "status": rows[-1]["status"],
        "limit": rows[-1]["limit"] or None,
        "gap_meur": round(rows[-1]["gap_meur"], 3),
        "objective_kit_vs_highs_alone": [
            [round(r["objective_kit"], 3), round(r["objective_highs_alone"], 3)] for r in rows
        ],
        "repeat": repeat,
        "peak_rss_mb": round(_peak_mb(), 1),
    }


# ---------------------------------------------------------------------------------------
def case_national(towns: int) -> dict:
    from national_instance import national_data

    from m100model.portfolio.solve import PortfolioSolver
    from m100model.scenario import SolverSpec

    t0 = time.perf_counter()
    data = national_data(towns=towns, seed=7)
    t1 = time.perf_counter()
    # A linear screening run, no prices wanted: interior point without crossover.
    solver = PortfolioSolver(data, SolverSpec(mip_gap=0.0, time_limit=3600, lp_method="ipm"))
    t2 = time.perf_counter()
    st = solver.solve(duals=False)
    t3 = time.perf_counter()
    return {
        "towns": towns,
        "projects": len(data.projects),
        "variables": st.n_vars,
        "constraints": st.n_cons,
        "status": st.status,
        "generate_s": round(t1 - t0, 3),
        "build_s": round(st.build_s, 3),
        "compile_s": round(st.compile_s, 3),
        "solve_s": round(t3 - t2, 3),
        "total_s": round(t3 - t0, 3),
        "peak_rss_mb": round(_peak_mb(), 1),
    }


def _worker(fn, arg, queue) -> None:
    try:
        queue.put(fn(arg))
    except Exception as exc:  # reported, not raised: the other cases still run
        queue.put({"error": f"{type(exc).__name__}: {exc}"})


def in_process(fn, arg, timeout: float | None = None) -> dict:
    """Run one case in a fresh process (its own peak memory); None on timeout."""
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_worker, args=(fn, arg, queue))
    proc.start()
    try:
        return queue.get(timeout=timeout)
    except Exception:
        return {"error": f"did not finish within {timeout:g} s"}
    finally:
        proc.join(timeout=5)
        if proc.is_alive():
            proc.kill()
            proc.join()


def run_workshop(repeat: int = 31) -> dict:
    return in_process(case_workshop, repeat)


def run_m100(repeat: int = 1) -> dict:
    return in_process(case_m100, repeat)


def run_national(towns=(40, 80, 160, 320), timeout: float = 900.0) -> dict:
    out = {"towns": [], "total_s": [], "peak_rss_mb": [], "runs": []}
    for n in towns:
        r = in_process(case_national, n, timeout)
        r.setdefault("towns", n)
        out["runs"].append(r)
        out["towns"].append(n)
        out["total_s"].append(r.get("total_s"))
        out["peak_rss_mb"].append(r.get("peak_rss_mb"))
        if "error" in r:
            break
    done = [(r["towns"], r["total_s"]) for r in out["runs"] if "total_s" in r]
    if len(done) >= 2:
        (n0, s0), (n1, s1) = done[-2], done[-1]
        out["growth_exponent"] = round(float(np.log(s1 / s0) / np.log(n1 / n0)), 2)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["workshop", "m100", "national"], action="append")
    parser.add_argument("--repeat", type=int, default=0)
    parser.add_argument("--towns", type=int, nargs="+", default=[40, 80, 160, 320])
    parser.add_argument("--national-timeout", type=float, default=900.0)
    args = parser.parse_args()
    doc = {}
    for name in args.only or ["workshop", "m100", "national"]:
        if name == "workshop":
            doc[name] = run_workshop(args.repeat or 31)
        elif name == "m100":
            doc[name] = run_m100(args.repeat or 1)
        else:
            doc[name] = run_national(args.towns, args.national_timeout)
        print(json.dumps({name: doc[name]}), file=sys.stderr, flush=True)
    print(json.dumps(doc, indent=2))


if __name__ == "__main__":
    main()
