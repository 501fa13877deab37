"""Near-optimal alternatives: portfolios that cost almost the same as the least-cost one but
differ from it as much as possible (modelling to generate alternatives, MGA).

With :math:`C^*` the least cost, every alternative satisfies the cost-slack constraint

.. math::

    c^\\top v + c_0 \\le C^* + \\varepsilon\\,|C^*|

(:math:`\\varepsilon` the slack, e.g. 10%; the absolute value keeps the constraint a
relaxation when a portfolio pays for itself and :math:`C^*` is negative). Each alternative
then minimises its overlap with the portfolios found so far (the Hop-Skip-Jump method of
Brill et al., 1982):

- ``metric="projects"``: minimise :math:`\\sum_p w_p\\, u_p`, where
  :math:`u_p = \\sum_t x_{p,t} / U_p` is the deployment of project :math:`p` relative to its
  maximum and :math:`w_p` the number of earlier portfolios that built it;
- ``metric="themes"``: minimise :math:`\\sum_p w_{\\theta(p)} \\sum_t c_{p,t} x_{p,t}`, the
  investment in each theme weighted by the theme's share of the investment of the earlier
  portfolios.

Workshops can then negotiate among portfolios that are all affordable.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import pandas as pd
import pyomo.environ as pyo

from m100model.portfolio.results import PortfolioResult, extract
from m100model.portfolio.solve import PortfolioSolver, require_plan
from m100model.projects import THEME_NAMES

DISTINCT_TOL = 1e-3  # two portfolios differ when their deployment shares differ by more


@dataclass
class AlternativesResult:
    """The least-cost portfolio and its near-optimal alternatives."""

    optimum_meur: float
    slack: float
    metric: str
    results: dict[str, PortfolioResult]
    plans: dict[str, dict[str, dict[int, float]]]
    shares: pd.DataFrame  # project x portfolio: units built over the horizon / maximum
    table: pd.DataFrame  # one row per portfolio
    by_theme: pd.DataFrame  # portfolio, theme, theme_name, investment_meur
    notes: list[str] = field(default_factory=list)


def cap_shortfall(solver: PortfolioSolver, shortfall: dict) -> None:
    """Allow no target to be missed by more than ``shortfall`` (by (group, year) or
    (group, None) for a budget): what the least-cost plan missed, usually nothing. Undone by
    ``solver.unbound("short")`` and ``solver.unbound("short_budget")``."""
    cap = {k: shortfall.get(k, 0.0) * (1 + 1e-9) + 1e-9 for k in solver.cols("short")}
    solver.bound("short", upper=cap)
    budget = {
        g: shortfall.get((g, None), 0.0) * (1 + 1e-9) + 1e-9 for g in solver.cols("short_budget")
    }
    if budget:
        solver.bound("short_budget", upper=budget)


def _deployment(solver: PortfolioSolver) -> tuple[dict, dict, dict]:
    """From the loaded solution: share of maximum built per project, plan, spend by theme."""
    m, d = solver.model, solver.data
    pr = d.projects
    x = solver.values("x")
    shares, plan, theme = {}, {}, {}
    for p in m.P:
        units = 0.0
        for t in m.T:
            v = x[p, t]
            if v > 1e-9:
                plan.setdefault(p, {})[int(t)] = float(v)
                units += v
        shares[p] = units / float(pr.at[p, "max_units"])
        th = str(pr.at[p, "theme"])
        theme[th] = theme.get(th, 0.0) + sum(pyo.value(m.spend[p, t]) for t in m.T)
    return shares, plan, theme


def near_optimal(
    solver: PortfolioSolver,
    *,
    n: int = 4,
    slack: float = 0.1,
    metric: str = "projects",
    source: str = "the scenario",
) -> AlternativesResult:
    """Solve for the least cost, then ``n`` alternatives within ``slack`` of it.

    The solver is left as it was (the extra row and the changed objective are removed);
    its variables hold the least-cost solution again only after another ``solve()``.
    """
    if metric not in ("projects", "themes"):
        raise ValueError("metric must be 'projects' or 'themes'")
    if not 0 <= slack <= 10:
        raise ValueError("slack must lie in [0, 10] (a share of the least cost)")
    solver.solve(duals=False)
    require_plan(solver, source)
    cost, offset = solver.objective_vector()
    penalty = pyo.value(solver.model.penalty)
    shortfall0 = dict(solver.shortfall)
    optimum = float(solver.stats.objective)  # the plan's cost, without the penalty
    results = {"optimum": extract(solver)}
    stats0 = solver.stats
    limit = optimum + penalty * sum(shortfall0.values()) + slack * abs(optimum)
    shares0, plan0, theme0 = _deployment(solver)
    shares, plans, themes = {"optimum": shares0}, {"optimum": plan0}, {"optimum": theme0}
    costs = {"optimum": optimum}
    notes: list[str] = []

    m, d = solver.model, solver.data
    x_cols = {p: [(t, solver.cols("x").get((p, t))) for t in m.T] for p in m.P}
    # Alternatives may miss no target by more than the optimum does (usually: by nothing),
    # and may cost at most the slack more.
    cap_shortfall(solver, shortfall0)
    solver.add_row("mga_cost_slack", cost, upper=limit - offset)
    try:
        for k in range(1, n + 1):
            weights: dict = {}
            if metric == "projects":
                for p, cols in x_cols.items():
                    w = sum(1 for s in shares.values() if s.get(p, 0.0) > DISTINCT_TOL)
                    for t, j in cols:
                        if j is not None:
                            weights[p, t] = w / float(d.projects.at[p, "max_units"])
            else:
                totals = {
                    th: sum(v.get(th, 0.0) for v in themes.values())
                    for th in d.projects["theme"].unique()
                }
                grand = sum(totals.values()) or 1.0
                for p, cols in x_cols.items():
                    w = totals.get(str(d.projects.at[p, "theme"]), 0.0) / grand
                    for t, j in cols:
                        if j is not None:
                            weights[p, t] = (
                                w * float(d.capex.at[p, t]) * pyo.value(m.capex_factor[p])
                            )
            solver.set_objective({"x": weights})
            status = solver.run()
            if status not in ("optimal", "feasible"):
                notes.append(f"alternative {k}: no solution ({status}); stopped")
                break
            values = solver.solution()
            short_k = solver.current_shortfall()
            true_cost = float(cost @ values + offset) - penalty * sum(short_k.values())
            name = f"alt{k}"
            s, plan, th = _deployment(solver)
            distance = min(_distance(s, other) for other in shares.values())
            if distance <= DISTINCT_TOL:
                notes.append(f"alternative {k} repeats an earlier portfolio; stopped")
                break
            solver.shortfall = short_k
            solver.stats = replace(stats0, status=status, objective=true_cost, notes=[])
            results[name] = extract(solver)
            shares[name], plans[name], themes[name], costs[name] = s, plan, th, true_cost
    finally:
        solver.stats = stats0
        solver.shortfall = shortfall0
        solver.remove_row("mga_cost_slack")
        solver.reset_objective()
        solver.unbound("short")
        solver.unbound("short_budget")
    share_df = pd.DataFrame(shares).fillna(0.0)
    share_df.index.name = "project_id"
    table = _table(results, costs, shares, optimum, d)
    by_theme = pd.DataFrame(
        [
            dict(portfolio=name, theme=th, theme_name=THEME_NAMES[th], investment_meur=v)
            for name, ths in themes.items()
            for th, v in ths.items()
        ],
        columns=["portfolio", "theme", "theme_name", "investment_meur"],
    )
    return AlternativesResult(
        optimum_meur=optimum,
        slack=slack,
        metric=metric,
        results=results,
        plans=plans,
        shares=share_df,
        table=table,
        by_theme=by_theme,
        notes=notes,
    )


def _distance(a: dict[str, float], b: dict[str, float]) -> float:
    """Mean absolute difference of deployment shares over the projects of either."""
    keys = set(a) | set(b)
    if not keys:
        return 0.0
    return sum(abs(a.get(k, 0.0) - b.get(k, 0.0)) for k in keys) / len(keys)


def _table(results, costs, shares, optimum, d) -> pd.DataFrame:
    rows = []
    for name, res in results.items():
        em = res.emissions
        built = {p for p, v in shares[name].items() if v > DISTINCT_TOL}
        base = {p for p, v in shares["optimum"].items() if v > DISTINCT_TOL}
        rows.append(
            dict(
                portfolio=name,
                npv_meur=costs[name],
                cost_increase_pct=100.0 * (costs[name] - optimum) / abs(optimum)
                if optimum
                else 0.0,
                investment_meur=float(res.portfolio["capex_meur"].sum()),
                projects=len(built),
                shared_with_optimum=len(built & base),
                distance_to_optimum=_distance(shares[name], shares["optimum"]),
                cumulative_emissions_kt=float(em["emissions_kt"].sum()),
                shortfall_kt=float(em["shortfall_kt"].sum()),
                jobs=float(
                    sum(
                        float(d.projects.at[p, "jobs"]) * c
                        for p, c in zip(
                            res.portfolio["project_id"], res.portfolio["capex_meur"], strict=True
                        )
                    )
                ),
            )
        )
    return pd.DataFrame(rows)
