"""The portfolio engine's solve path and its one public interface
(:class:`~m100model.portfolio.solve.PortfolioSolver`).

- Each run gets its own time limit (HiGHS's clock accumulates over runs of one instance).
- The MIP gap is stated, and enforced, in cost terms; checked against the independent
  ``scipy.optimize.milp`` oracle of ``tests/test_portfolio_oracle.py``.
- A second phase never returns a worse plan than the first.
- Shadow prices come from one deterministic method: a solver that went through other
  settings and back publishes the same prices as a fresh one.
- Named rows, bounds and objectives survive parameter changes and a recompile, and are
  undone exactly.
"""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
from portfolio_instances import random_instance
from test_portfolio_oracle import oracle

from m100model.portfolio.data import assemble
from m100model.portfolio.results import extract
from m100model.portfolio.solve import PortfolioSolver
from m100model.scenario import SolverSpec, load_scenario


@pytest.fixture(scope="module")
def workshop():
    scn = load_scenario("data/scenarios/workshop.yaml")
    return scn, assemble(scn)


def test_each_run_gets_its_own_time_limit() -> None:
    """Re-solves that together take several times one run's limit must all end optimal
    (HiGHS's clock accumulates over the runs of one instance: the limit used to run out
    after the first few). Each run takes a few milliseconds; the limit is 0.1 s."""
    d = random_instance(104, integer=False)
    solver = PortfolioSolver(d, SolverSpec(mip_gap=0.0, time_limit=0.1))
    targets = dict(solver.data.target_kt)
    total, i = 0.0, 0
    while total < 0.5:  # five limits' worth of solving
        f = 0.9 + 0.1 * (i % 5) / 4
        solver.set_targets({k: v * f for k, v in targets.items()})
        st = solver.solve(duals=False)
        total += st.solve_s
        assert st.status == "optimal", (i, st.status, st.limit)
        assert st.limit == ""
        i += 1
    assert i > 20


@pytest.mark.parametrize("seed", [1000, 1002, 1004, 1007, 1011])
def test_mip_gap_is_in_cost_terms(seed: int) -> None:
    """With a 5% gap the plan costs at most 5% of its own cost more than the cheapest plan
    with no more shortfall (the oracle with each target relaxed by the plan's shortfall):
    the gap is not taken on the penalty-inflated objective."""
    d = random_instance(seed, integer=True)
    solver = PortfolioSolver(d, SolverSpec(mip_gap=0.05))
    st = solver.solve(duals=False)
    assert st.status == "optimal"
    best = oracle(copy.deepcopy(d), relax=solver.shortfall).objective
    assert st.objective <= best + 0.05 * abs(st.objective) + 1e-6
    assert st.objective >= best - 1e-6
    assert st.gap_meur <= 0.05 * abs(st.objective) + 1e-6
    assert st.objective - st.bound == pytest.approx(st.gap_meur, abs=1e-9)


def test_a_limit_is_reported(workshop) -> None:
    """A run stopped by its time limit says so: status, limit and a note."""
    d = random_instance(1003, integer=True)
    solver = PortfolioSolver(d, SolverSpec(mip_gap=0.0, time_limit=1e-9))
    st = solver.solve(duals=False)
    assert st.limit == "time limit"
    assert st.status in ("feasible", "no solution")
    assert any("time limit" in note for note in st.notes)
    assert solver.stats.as_dict()["limit"] == "time limit"


def test_phase_two_never_returns_a_worse_plan(monkeypatch) -> None:
    """After a run stopped on a limit with a shortfall, phase 2 runs from the first plan;
    if what it finds costs more, the first plan is kept."""
    d = random_instance(1001, integer=True)
    solver = PortfolioSolver(d, SolverSpec(mip_gap=0.0))
    st = solver.solve(duals=False)
    assert solver.shortfall, "the instance must miss a target"
    first_x, first_cost, first_short = solver.solution(), st.objective, dict(solver.shortfall)
    real_run = PortfolioSolver.run
    calls = {"n": 0}

    def run(self, **kw):
        calls["n"] += 1
        status = real_run(self, **kw)
        if calls["n"] == 1:  # phase 1: pretend a limit stopped it
            self._last_limit = "time limit"
            return "feasible"
        # phase 2: pretend it found a dearer plan
        self._last_objective += 1000.0
        return status

    monkeypatch.setattr(PortfolioSolver, "run", run)
    st = solver.solve(duals=False)
    assert st.phases == 2
    assert st.objective == pytest.approx(first_cost)
    assert np.allclose(solver.solution(), first_x)
    assert solver.shortfall == pytest.approx(first_short)
    assert any("first plan is kept" in note for note in st.notes)


def test_prices_do_not_depend_on_what_was_solved_before(workshop) -> None:
    """The published carbon and envelope prices of a solver that went through other targets,
    envelopes, prices and discount rates and back equal those of a fresh solver."""
    scn, data = workshop
    fresh = PortfolioSolver(copy.deepcopy(data), scn.solver)
    fresh.solve()
    a = extract(fresh)
    used = PortfolioSolver(copy.deepcopy(data), scn.solver)
    targets = dict(used.data.target_kt)
    base_price = {
        (k, t): float(v) for k, row in used.data.pool_price.iterrows() for t, v in row.items()
    }
    env = {k: v for k, v in used.data.envelope.items() if k[0] == "municipal_budget"}
    for f in (0.8, 1.05, 0.95):
        used.set_targets({k: v * f for k, v in targets.items()})
        used.set_parameters(
            price={k: v * f for k, v in base_price.items()},
            envelope={k: v * f for k, v in env.items()},
            discount_rate=0.04 * f,
        )
        used.solve()
    used.set_targets(targets)
    used.set_parameters(price=base_price, envelope=env, discount_rate=scn.discount_rate)
    used.solve()
    b = extract(used)
    assert b.npv_meur == pytest.approx(a.npv_meur, rel=1e-9, abs=1e-7)
    pa = a.shadow_carbon.set_index("year")["eur_per_t"]
    pb = b.shadow_carbon.set_index("year")["eur_per_t"]
    assert (pa.notna()).sum() > 5 and (pa.abs() > 1).sum() > 5  # prices to compare
    assert np.allclose(pa.fillna(-1), pb.fillna(-1), rtol=1e-4, atol=0.02)
    ea = a.shadow_budget.set_index(["instrument", "city", "year"])["value_per_eur"]
    eb = b.shadow_budget.set_index(["instrument", "city", "year"])["value_per_eur"]
    assert np.allclose(ea, eb.loc[ea.index], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("seed", [100, 101, 102, 103])
def test_shortfall_years_have_no_carbon_price(seed: int) -> None:
    """Where a target is missed the dual only echoes the penalty: no price, flagged. The
    group's met years carry part of the penalty through the projects and money they share
    with the missed years: no price either (basis 'shortfall elsewhere'). A group that meets
    every cap has a price every year."""
    d = random_instance(seed, integer=False)
    solver = PortfolioSolver(d, SolverSpec(mip_gap=0.0))
    solver.solve()
    sc = extract(solver).shadow_carbon
    assert len(sc) == len(d.groups) * len(d.years)
    for _g, part in sc.groupby("group"):
        if part["shortfall"].any():
            assert part["eur_per_t"].isna().all()
            assert (part.loc[~part["shortfall"], "basis"] == "shortfall elsewhere").all()
            assert not (part.loc[part["shortfall"], "basis"] == "shortfall elsewhere").any()
        else:
            assert part["eur_per_t"].notna().all()
            assert not (part["basis"] == "shortfall elsewhere").any()


def test_named_operations_survive_changes_and_recompile(workshop) -> None:
    """A named row and named bounds hold through a parameter change and a recompile, and
    removing them gives back the free optimum."""
    scn, data = workshop
    solver = PortfolioSolver(copy.deepcopy(data), scn.solver)
    free = solver.solve(duals=False).objective
    x_cols = solver.cols("x")
    capex = {k: float(solver.data.capex.at[k[0], k[1]]) for k in x_cols}
    invested = float(solver.vector({"x": capex}) @ solver.solution())
    assert invested > 1.0
    solver.add_row("cap_investment", {"x": capex}, upper=0.5 * invested)
    project = next(iter(solver.data.projects.index))
    solver.bound("n", upper={(project, t): 0.0 for t in solver.data.years})
    capped = solver.solve(duals=False).objective
    assert capped > free
    x = solver.solution()
    assert solver.vector({"x": capex}) @ x <= 0.5 * invested + 1e-6
    assert all(v <= 1e-9 for (p, _t), v in solver.values("n").items() if p == project)
    # A parameter change and a recompile keep both.
    solver.set_discount_rate(0.05)
    solver.recompile()
    solver.set_discount_rate(scn.discount_rate)
    assert solver.solve(duals=False).objective == pytest.approx(capped, rel=1e-9, abs=1e-7)
    assert solver.vector({"x": capex}) @ solver.solution() <= 0.5 * invested + 1e-6
    solver.remove_row("cap_investment")
    solver.unbound()
    assert solver.solve(duals=False).objective == pytest.approx(free, rel=1e-9, abs=1e-7)


def test_objective_override_is_undone(workshop) -> None:
    scn, data = workshop
    solver = PortfolioSolver(copy.deepcopy(data), scn.solver)
    free = solver.solve(duals=False).objective
    em = {"emissions": dict.fromkeys(solver.cols("emissions"), 1.0)}
    solver.set_objective(em)
    assert solver.run() == "optimal"
    least = float(solver.vector(em) @ solver.solution())
    solver.reset_objective()
    solver.solve(duals=False)
    assert solver.stats.objective == pytest.approx(free, rel=1e-9, abs=1e-7)
    assert float(solver.vector(em) @ solver.solution()) >= least - 1e-6
    assert math.isfinite(least)


def test_nothing_outside_the_portfolio_package_touches_highs() -> None:
    """Analyses, the workshop, exercises, widgets, notebooks and the book change the model
    only through the solver's named operations."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    files = [
        *root.glob("m100model/**/*.py"),
        *root.glob("notebooks/**/*.ipynb"),
        *root.glob("exercises/**/*.ipynb"),
        *root.glob("exercises/*.py"),
        *root.glob("book/**/*.md"),
    ]
    portfolio = root / "m100model" / "portfolio"
    offenders = []
    for f in files:
        if portfolio in f.parents:
            continue
        text = f.read_text(encoding="utf-8")
        for needle in ("import highspy", "from highspy", ".highs.", "solver.highs"):
            if needle in text:
                offenders.append(f"{f.relative_to(root)}: {needle}")
    assert len(files) > 50
    assert offenders == []


def test_a_limit_is_shown_in_the_summary_and_report(workshop) -> None:
    """Where a run stopped on a limit, summary.json and report.html say so (the workshop run
    is re-labelled as if its search had been cut short)."""
    from m100model.report import html_report, run_scenario, summary

    scn, _ = workshop
    out = run_scenario(scn)
    info = summary(out)
    assert info["stopped_on_limit"] is None
    assert "Stopped on the" not in html_report(out, info)
    out.result.stats.update(limit="time limit", gap_meur=12.5)
    info = summary(out)
    assert info["stopped_on_limit"] == "time limit"
    assert info["solver"]["gap_meur"] == 12.5
    page = html_report(out, info)
    assert "Stopped on the time limit" in page
    assert "12.5 M EUR more than the best possible" in page
    # Prices are published only for years whose target is met.
    assert set(info["shadow_price_eur_per_t"]) <= set(info["emissions_kt"])


def test_the_compiled_model_does_not_depend_on_the_hash_seed() -> None:
    """Rows and columns come in the same order in every process (a set of city names used
    to order the finance rows differently from run to run)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "import hashlib;"
        "from m100model.scenario import Scenario;"
        "from m100model.portfolio.data import assemble;"
        "from m100model.portfolio.build import build_model;"
        "from m100model.portfolio.compile import compile_model;"
        "cities = ['cluj_napoca', 'bistrita', 'oradea', 'suceava', 'iasi'];"
        "scn = Scenario(name='t', cities=cities, archetypes=['mob_ebus', 'en_led'],"
        " bundles=[{'id': 'b', 'archetypes': ['mob_ebus', 'en_led'], 'cities': cities}]);"
        "sf = compile_model(build_model(assemble(scn)));"
        "print(hashlib.sha256(repr((sf.row_keys, sf.col_keys)).encode()).hexdigest())"
    )
    root = Path(__file__).resolve().parents[1]
    digests = set()
    for seed in ("1", "2", "3"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        out = subprocess.run(
            [sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True
        )
        assert out.returncode == 0, out.stderr
        digests.add(out.stdout.strip())
    assert len(digests) == 1


def test_shortfall_dual_is_the_penalty_itself() -> None:
    """The penalty is discounted like every other cost, so in a year a target is missed the
    target's dual, undiscounted to that year, is the penalty (EUR/t) exactly."""
    d = random_instance(100, integer=False)
    solver = PortfolioSolver(d, SolverSpec(mip_gap=0.0))
    solver.solve()
    duals = solver.duals()
    missed = [k for k, u in solver.shortfall.items() if k[1] is not None and u > 1e-6]
    assert missed, "the instance must miss a target"
    for g, t in missed:
        assert -duals["target_path", (g, t)] / d.discount[t] == pytest.approx(d.penalty, rel=1e-6)
    # The priced shortfall, by hand: penalty x discount factor x shortfall, summed.
    by_hand = sum(d.penalty * d.discount[t] * u for (_g, t), u in solver.shortfall.items())
    assert solver.penalty_meur() == pytest.approx(by_hand, rel=1e-9)


def test_flat_stretch_reports_the_levelised_price(workshop) -> None:
    """On a flat stretch of a target each year shows the levelised price over the stretch's
    binding years: sum of duals / sum of discount factors (computed here from the raw
    duals); sloping years keep their own price."""
    scn, data = workshop
    solver = PortfolioSolver(copy.deepcopy(data), scn.solver)
    solver.solve()
    res = extract(solver)
    sc = res.shadow_carbon.dropna(subset=["year"])
    d = solver.data
    caps = d.target_kt
    g = next(iter(d.groups))
    years = sorted(t for gg, t in caps if gg == g)
    last = years[-1]
    first_flat = min(
        t for t in years if all(math.isclose(caps[g, u], caps[g, last]) for u in years if u >= t)
    )
    assert first_flat < last, "the workshop target must end on a flat stretch"
    stretch = sc[(sc["group"] == g) & (sc["year"] >= first_flat)]
    assert (stretch["basis"] == f"flat {first_flat}-{last}").all()
    duals = solver.duals()
    binding = [int(t) for t in stretch.loc[stretch["binding"], "year"]]
    assert binding
    mu = sum(-duals["target_path", (g, t)] for t in binding)
    level = mu / sum(d.discount[t] for t in binding) * 1000.0
    assert stretch["eur_per_t"].to_numpy() == pytest.approx(level, abs=0.01)
    sloping = sc[(sc["group"] == g) & (sc["year"] < first_flat) & ~sc["shortfall"]]
    for r in sloping.itertuples():
        own = -duals["target_path", (g, r.year)] / d.discount[r.year] * 1000.0
        if r.basis == "year":
            assert r.eur_per_t == pytest.approx(own, abs=0.01)
