"""Trade-offs and sensitivity: the Pareto front of cost against cumulative emissions or jobs
(epsilon constraint), and one-at-a-time (tornado) sensitivity of the optimal cost and of one
year's emissions to each uncertain input.

Epsilon constraint. With :math:`f(v)` the net present cost and :math:`g(v)` the second
objective (cumulative emissions :math:`\\sum_{c,t} E_{c,t}`, or job-years
:math:`\\sum_{p,t} j_p\\, c_{p,t}\\, x_{p,t}` from the projects' ``jobs`` per M EUR invested),
each point of the front solves

.. math::

    \\min f(v) \\quad \\text{s.t.} \\quad g(v) \\le \\varepsilon_i
    \\;(\\text{emissions}) \\quad\\text{or}\\quad g(v) \\ge \\varepsilon_i \\;(\\text{jobs})

for :math:`\\varepsilon_i` evenly spaced between the value at the least cost and the best
value the candidates allow. Only a row bound changes between points, so each point is a
warm re-solve.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyomo.environ as pyo

from m100model.analysis.alternatives import cap_shortfall
from m100model.analysis.ensemble import Evaluator
from m100model.analysis.uncertainty import base_value, quantile
from m100model.portfolio.solve import PortfolioSolver, require_plan
from m100model.scenario import UncertaintySpec


def _objective_terms(solver: PortfolioSolver, against: str) -> dict:
    """The second objective as named terms: cumulative emissions, or job-years."""
    m, d = solver.model, solver.data
    if against == "emissions":
        return {"emissions": dict.fromkeys(m.emissions.keys(), 1.0)}
    jobs = {}
    for p in m.P:
        per_meur = float(d.projects.at[p, "jobs"]) * pyo.value(m.capex_factor[p])
        for t in m.T:
            jobs[p, t] = per_meur * float(d.capex.at[p, t])
    return {"x": jobs}


def pareto_front(
    solver: PortfolioSolver,
    *,
    against: str = "emissions",
    points: int = 6,
    source: str = "the scenario",
) -> pd.DataFrame:
    """The cost-optimal trade-off between the net present cost and cumulative emissions
    (``against="emissions"``, kt CO2e over the model years) or job-years
    (``against="jobs"``). Returns one row per point: ``epsilon``, ``cost_meur``,
    ``cumulative_emissions_kt``, ``jobs``, ``status``. Targets keep their shortfall at most
    at the least-cost solution's. The solver is left as it was."""
    if against not in ("emissions", "jobs"):
        raise ValueError("against must be 'emissions' or 'jobs'")
    if points < 2:
        raise ValueError("points must be at least 2")
    solver.solve(duals=False)
    require_plan(solver, source)
    cost, offset = solver.objective_vector()
    shortfall0 = dict(solver.shortfall)
    emis = solver.vector(_objective_terms(solver, "emissions"))
    jobs = solver.vector(_objective_terms(solver, "jobs"))
    g = emis if against == "emissions" else jobs
    sign = 1.0 if against == "emissions" else -1.0  # minimise emissions, maximise jobs

    def point(eps: float | None) -> dict:
        status = solver.run()
        if status not in ("optimal", "feasible"):
            return dict(epsilon=eps, status=status)
        v = solver.solution()
        return dict(
            epsilon=eps,
            status=status,
            cost_meur=float(cost @ v + offset) - solver.penalty_meur(v),
            cumulative_emissions_kt=float(emis @ v),
            jobs=float(jobs @ v),
            shortfall_kt=sum(solver.current_shortfall().values()),
        )

    cap_shortfall(solver, shortfall0)
    solver.add_row("pareto_epsilon", g)
    rows = []
    try:
        start = point(None)
        # The best value of the second objective, cost left free.
        solver.set_objective(sign * g)
        best = point(None)
        solver.reset_objective()
        key = "cumulative_emissions_kt" if against == "emissions" else "jobs"
        g0, g1 = start[key], best[key]
        for i, eps in enumerate(np.linspace(g0, g1, points)):
            # Keep the last point just inside what is reachable.
            eps = float(eps) + (1e-7 * max(1.0, abs(eps)) * sign if i == points - 1 else 0.0)
            if against == "emissions":
                solver.set_row_bounds("pareto_epsilon", upper=eps)
            else:
                solver.set_row_bounds("pareto_epsilon", lower=eps)
            rows.append(point(eps))
    finally:
        solver.remove_row("pareto_epsilon")
        solver.reset_objective()
        solver.unbound("short")
        solver.unbound("short_budget")
        solver.shortfall = shortfall0
    out = pd.DataFrame(rows)
    out.insert(0, "point", range(len(out)))
    out.insert(1, "against", against)
    return out


def tornado(
    evaluator: Evaluator,
    spec: UncertaintySpec | None = None,
    *,
    year: int | None = None,
    low: float = 0.1,
    high: float = 0.9,
) -> pd.DataFrame:
    """One-at-a-time sensitivity: each uncertain input at its ``low`` and ``high`` quantile,
    the others at their base values. For each, the re-optimised net present cost
    (``cost_*_meur``), the re-optimised emissions in ``year`` (``emissions_*_kt``, all target
    groups) and the emissions of the least-cost plan kept fixed (``plan_emissions_*_kt``);
    ``stopped`` names a solver limit that stopped any of the row's runs (their figures may
    not be the best, or are missing). Rows are sorted by the swing in cost (the longest bar
    of the tornado first). Raises :class:`~m100model.portfolio.solve.NoPlanError` when the
    base run finds no plan."""
    spec = spec or evaluator.spec
    d = evaluator.data
    year = year if year is not None else (2030 if 2030 in d.years else d.years[-1])
    if year not in d.years:
        raise ValueError(f"year {year} is not a model year ({d.years[0]}-{d.years[-1]})")
    j = d.years.index(year)
    rate = evaluator.perturbation.discount_rate

    def solve(values: dict[str, float], plan) -> tuple[float, float, float]:
        evaluator.apply(values)
        opt = evaluator.optimise()
        fixed = evaluator.evaluate_plan(plan)
        stopped.update(r["limit"] for r in (opt, fixed) if r.get("limit"))

        def em(run: dict) -> float:
            if run["status"] not in ("optimal", "feasible"):
                return np.nan
            return float(sum(v[j] for v in run["emissions_kt"].values()))

        cost = opt["cost_meur"] if opt["status"] in ("optimal", "feasible") else np.nan
        return cost, em(opt), em(fixed)

    stopped: set[str] = set()
    evaluator.base()
    evaluator.optimise()
    require_plan(evaluator.solver, evaluator.perturbation.source)
    plan = evaluator.plan()
    base = solve({}, plan)
    base_stopped = set(stopped)
    rows = []
    for inp in spec.inputs:
        stopped = set(base_stopped)
        lo_v, hi_v = quantile(inp, low), quantile(inp, high)
        lo = solve({inp.name: lo_v}, plan)
        hi = solve({inp.name: hi_v}, plan)
        rows.append(
            dict(
                input=inp.name,
                kind=inp.kind,
                base_value=base_value(inp, rate),
                low_value=lo_v,
                high_value=hi_v,
                cost_base_meur=base[0],
                cost_low_meur=lo[0],
                cost_high_meur=hi[0],
                emissions_base_kt=base[1],
                emissions_low_kt=lo[1],
                emissions_high_kt=hi[1],
                plan_emissions_base_kt=base[2],
                plan_emissions_low_kt=lo[2],
                plan_emissions_high_kt=hi[2],
                year=year,
                stopped=", ".join(sorted(stopped)),
            )
        )
    evaluator.base()
    out = pd.DataFrame(rows)
    out["cost_swing_meur"] = (out["cost_high_meur"] - out["cost_low_meur"]).abs()
    return out.sort_values("cost_swing_meur", ascending=False, ignore_index=True)
