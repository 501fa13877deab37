"""Properties of the portfolio model's optimum on small random instances
(``tests/portfolio_instances.py``): monotonicity in budgets and targets, targets met, money
balanced and within envelopes, and the persistent re-solve path equal to a fresh build.

"Cost" in the monotonicity properties is the objective the model minimises
(:meth:`PortfolioSolver.solve`): the net present cost plus the priced shortfall. The net
present cost alone is not monotone: a larger budget can buy abatement that was a shortfall.
"""

from __future__ import annotations

import copy
import functools
import math
from collections import defaultdict

import pandas as pd
import pyomo.environ as pyo
import pytest
from portfolio_instances import random_instance

from m100model.portfolio.data import PortfolioData
from m100model.portfolio.results import PortfolioResult, extract
from m100model.portfolio.solve import PortfolioSolver
from m100model.scenario import SolverSpec

REL, ABS = 1e-6, 1e-7
CASES = [(seed, False) for seed in range(100, 110)] + [(seed, True) for seed in range(1100, 1106)]
IDS = [f"{'mip' if integer else 'lp'}{seed}" for seed, integer in CASES]


def tol(value: float) -> float:
    return REL * abs(value) + ABS


def solve(d: PortfolioData) -> PortfolioSolver:
    solver = PortfolioSolver(d, SolverSpec(mip_gap=0.0))
    assert solver.solve().status == "optimal"
    return solver


def penalised_cost(solver: PortfolioSolver) -> float:
    result = extract(solver)
    return result.npv_meur + result.penalty_meur


@functools.cache
def solved(seed: int, integer: bool) -> tuple[PortfolioSolver, PortfolioResult]:
    """One solve per instance, shared by the read-only checks."""
    solver = solve(random_instance(seed, integer=integer))
    return solver, extract(solver)


# -- monotonicity --------------------------------------------------------------------------
@pytest.mark.parametrize(("seed", "integer"), CASES, ids=IDS)
def test_more_budget_never_raises_cost(seed: int, integer: bool) -> None:
    d = random_instance(seed, integer=integer)
    base = penalised_cost(solve(copy.deepcopy(d)))
    for s in d.instruments.index:
        more = copy.deepcopy(d)
        more.envelope = {k: v * 1.5 + 5.0 if k[0] == s else v for k, v in d.envelope.items()}
        assert penalised_cost(solve(more)) <= base + tol(base), s


@pytest.mark.parametrize(("seed", "integer"), CASES, ids=IDS)
def test_tighter_target_never_lowers_cost(seed: int, integer: bool) -> None:
    d = random_instance(seed, integer=integer)
    cost = penalised_cost(solve(copy.deepcopy(d)))
    for factor in (0.9, 0.6):
        tighter = copy.deepcopy(d)
        tighter.target_kt = {k: v * factor for k, v in d.target_kt.items()}
        new = penalised_cost(solve(tighter))
        assert new >= cost - tol(cost), factor
        cost = new


# -- the optimum itself --------------------------------------------------------------------
@pytest.mark.parametrize(("seed", "integer"), CASES, ids=IDS)
def test_targets_met_unless_short(seed: int, integer: bool) -> None:
    _, result = solved(seed, integer)
    em = result.emissions
    assert (em["shortfall_kt"] >= 0).all()
    for row in em.itertuples():
        assert row.emissions_kt <= row.target_kt + row.shortfall_kt + tol(row.target_kt), row
        if row.shortfall_kt == 0:
            assert row.emissions_kt <= row.target_kt + tol(row.target_kt), row
    assert result.feasible == bool((em["shortfall_kt"] == 0).all())


def spend_from_decisions(solver: PortfolioSolver) -> dict[tuple[str, int], float]:
    """Spending by project and year, recomputed from the commissioning decisions: capex of
    units commissioned in t, spread evenly over the lead years before t (in t without lead).
    Units beyond the normal yearly rate R fill the tiers cheapest first (each tier k holds
    up to w_k R units and costs its mark-up m_k on capex on top)."""
    d, m = solver.data, solver.model
    out: dict[tuple[str, int], float] = defaultdict(float)
    for p, row in d.projects.iterrows():
        lead = int(row["lead"])
        rate = float(row["max_rate"])
        for t in d.years:
            x = m.x[p, t].value or 0.0
            capex = float(d.capex.at[p, t])
            amount = capex * x
            if not row["indivisible"] and d.rate_tiers:
                beyond, edge = max(0.0, x - rate), 0.0
                for width, markup in d.rate_tiers:
                    in_tier = min(max(beyond - edge, 0.0), width * rate)
                    amount += max(capex, 0.0) * markup * in_tier
                    edge += width * rate
            for tau in [t] if lead == 0 else range(t - lead, t):
                out[p, tau] += amount / max(lead, 1)
    return out


@pytest.mark.parametrize(("seed", "integer"), CASES, ids=IDS)
def test_finance_sums_to_spend(seed: int, integer: bool) -> None:
    solver, _ = solved(seed, integer)
    d, m = solver.data, solver.model
    spend = spend_from_decisions(solver)
    paid: dict[tuple[str, str, int], float] = defaultdict(float)
    for (f, c, _, t), v in m.F.items():
        assert (v.value or 0.0) >= -ABS
        paid[f, c, t] += v.value or 0.0
    for f, members in d.finance_groups().items():
        for c in {d.projects.at[p, "city"] for p in members}:
            for t in d.years:
                local = [p for p in members if d.projects.at[p, "city"] == c]
                due = sum(spend[p, t] for p in local)
                model_spend = sum(pyo.value(m.spend[p, t]) for p in local)
                assert model_spend == pytest.approx(due, rel=REL, abs=ABS), (f, c, t)
                assert paid[f, c, t] == pytest.approx(due, rel=REL, abs=ABS), (f, c, t)
    # Every euro spent inside the horizon is financed, none outside it.
    total = sum(v for (_, t), v in spend.items() if t in d.years)
    assert sum(paid.values()) == pytest.approx(total, rel=REL, abs=ABS)


@pytest.mark.parametrize(("seed", "integer"), CASES, ids=IDS)
def test_instruments_within_envelopes_shares_and_tickets(seed: int, integer: bool) -> None:
    solver, result = solved(seed, integer)
    d, m = solver.data, solver.model
    inv = result.investment
    for (s, c, t), cap in d.envelope.items():
        drawn = inv[(inv["instrument"] == s) & (inv["year"] == t)]
        if c != "*":
            drawn = drawn[drawn["city"] == c]
        assert drawn["meur"].sum() <= cap + tol(cap), (s, c, t)
    spend = spend_from_decisions(solver)
    for (f, c, s, t), v in m.F.items():
        members = [p for p in d.finance_groups()[f] if d.projects.at[p, "city"] == c]
        private_only = d.instruments.at[s, "serves"] == "private"
        share = sum(
            d.eligibility.get((s, d.projects.at[p, "theme"]), 0.0) * spend[p, t]
            for p in members
            if not (private_only and d.projects.at[p, "owner"] != "private")
        )
        assert (v.value or 0.0) <= share + tol(share), (f, c, s, t)
    by_ticket: dict[tuple[str, str], float] = defaultdict(float)
    for (f, _, s, _), v in m.F.items():
        by_ticket[f, s] += v.value or 0.0
    for (f, s), amount in by_ticket.items():
        low, high = d.instruments.at[s, "min_ticket"], d.instruments.at[s, "max_ticket"]
        if not math.isnan(low):
            # a lender's threshold is on the cost of the operation (what the group spends
            # over the horizon), a bond's on the amount raised
            loan = d.instruments.at[s, "kind"] == "loan"
            size = (
                sum(spend[p, t] for p in d.finance_groups()[f] for t in d.years) if loan else amount
            )
            assert amount <= ABS or size >= low - tol(low), (f, s, amount, size)
        if not math.isnan(high):
            assert amount <= high + tol(high), (f, s, amount)


# -- the persistent re-solve path ----------------------------------------------------------
@pytest.mark.parametrize(("seed", "integer"), CASES[::2], ids=IDS[::2])
def test_resolve_after_changes_equals_fresh_build(seed: int, integer: bool) -> None:
    """A chain of workshop changes on one solver (row bounds changed in place, or the
    model recompiled after a coefficient change), each checked against a model built from
    scratch on the changed data: reported cost and penalised cost."""
    d = random_instance(seed, integer=integer)
    expected = copy.deepcopy(d)
    solver = PortfolioSolver(copy.deepcopy(d), SolverSpec(mip_gap=0.0))
    city = d.groups[next(iter(d.groups))][0]

    def envelope(s: str, c: str, value: float) -> None:
        solver.set_envelope(s, value, city=c)
        for key in expected.envelope:
            if key[0] == s and key[1] == c:
                expected.envelope[key] = value

    def targets(factor: float) -> None:
        new = {k: v * factor for k, v in d.target_kt.items()}
        solver.set_targets(new)
        expected.target_kt.update(new)

    def discount(rate: float) -> None:  # a coefficient change: the model is recompiled
        solver.set_discount_rate(rate)
        expected.discount = {t: (1 + rate) ** -(t - d.years[0]) for t in d.years}

    def prices(factor: float) -> None:
        new = {
            (str(k), t): float(v) * factor
            for k, row in d.pool_price.iterrows()
            for t, v in row.items()
        }
        solver.set_prices(new)
        for (k, t), v in new.items():
            expected.pool_price.at[k, t] = v

    steps = [
        ("solve", lambda: None),
        ("re-solve unchanged", lambda: None),
        ("smaller grant", lambda: envelope("grant", "*", 1.0)),
        ("tighter targets", lambda: targets(0.7)),
        ("larger city budget", lambda: envelope("budget", city, 60.0)),
        ("higher discount rate", lambda: discount(0.08)),
        ("looser targets", lambda: targets(1.2)),
        ("dearer energy", lambda: prices(2.0)),
        ("larger grant", lambda: envelope("grant", "*", 40.0)),
    ]
    for name, change in steps:
        change()
        assert solver.solve().status == "optimal", name
        fresh = solve(copy.deepcopy(expected))
        assert solver.stats.objective == pytest.approx(fresh.stats.objective, rel=REL, abs=ABS), (
            name
        )
        assert penalised_cost(solver) == pytest.approx(penalised_cost(fresh), rel=REL, abs=ABS), (
            name
        )
        assert solver.data.envelope == expected.envelope, name
        assert solver.data.target_kt == expected.target_kt, name


# -- regression: a preparation grant nobody qualifies for used to crash the build ------
def test_unusable_preparation_grant_changes_nothing() -> None:
    d = random_instance(1100, integer=True)
    d.prep_grant = d.prep_grant.iloc[0:0]
    base = solve(copy.deepcopy(d)).stats.objective
    d.prep_grant = pd.DataFrame(
        [
            dict(
                instrument_id="elena",
                coverage=0.9,
                min_investment=1.0,
                envelope=5.0,
                themes=("circular",),  # no project in the instances has this theme
            )
        ]
    ).set_index("instrument_id", drop=False)
    assert solve(d).stats.objective == pytest.approx(base, rel=REL, abs=ABS)
