"""Near-optimal alternatives, Pareto fronts, tornado and monitoring on the workshop scenario
(one model built for the whole module)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from typer.testing import CliRunner

from m100model import charts
from m100model.analysis.alternatives import DISTINCT_TOL, _distance, near_optimal
from m100model.analysis.ensemble import get_evaluator, model_payload
from m100model.analysis.monitoring import (
    planned_by_sector,
    track_progress,
    transition_indicators,
)
from m100model.analysis.tradeoffs import pareto_front, tornado
from m100model.cli import app
from m100model.errors import InputError
from m100model.inventory import load_inventory
from m100model.scenario import load_scenario
from m100model.tables import data_dir

SCENARIO = data_dir() / "scenarios" / "workshop.yaml"
MONITORING = data_dir() / "inventories" / "monitoring" / "suceava_2027.csv"


@pytest.fixture(scope="module")
def evaluator():
    ev = get_evaluator(model_payload(scenario=load_scenario(SCENARIO)))
    ev.base()
    return ev


def test_alternatives_are_feasible_within_the_slack_and_distinct(evaluator) -> None:
    slack = 0.1
    res = near_optimal(evaluator.solver, n=3, slack=slack)
    assert list(res.plans) == ["optimum", "alt1", "alt2", "alt3"], res.notes
    limit = res.optimum_meur + slack * abs(res.optimum_meur)
    for name in ("alt1", "alt2", "alt3"):
        # Feasible: the plan, fixed, can be carried out and meets every target ...
        run = evaluator.evaluate_plan(res.plans[name])
        assert run["status"] == "optimal" and run["shortfall_kt"] == 0.0
        # ... within the slack (the cost the model finds for it, and the one reported).
        assert run["cost_meur"] <= limit + 1e-6
        assert res.table.set_index("portfolio").at[name, "npv_meur"] <= limit + 1e-6
        assert res.results[name].feasible
    for a, b in itertools.combinations(res.plans, 2):
        assert _distance(res.shares[a].to_dict(), res.shares[b].to_dict()) > DISTINCT_TOL
    # the solver is left as it was: the least cost again
    evaluator.solver.solve(duals=False)
    assert evaluator.solver.stats.objective == pytest.approx(res.optimum_meur, rel=1e-9)
    charts.alternatives_chart(res.by_theme, "t").to_dict()


def test_pareto_fronts_trade_cost_for_emissions_and_jobs(evaluator) -> None:
    front = pareto_front(evaluator.solver, against="emissions", points=4)
    assert (front["status"] == "optimal").all()
    assert front["cost_meur"].iloc[0] == pytest.approx(evaluator.solver.stats.objective)
    assert np.all(np.diff(front["cumulative_emissions_kt"]) < 0)
    assert np.all(np.diff(front["cost_meur"]) >= -1e-6)  # less emissions never costs less
    assert (front["cumulative_emissions_kt"] <= front["epsilon"] + 1e-6).iloc[1:].all()
    jobs = pareto_front(evaluator.solver, against="jobs", points=3)
    assert np.all(np.diff(jobs["jobs"]) > 0) and np.all(np.diff(jobs["cost_meur"]) >= -1e-6)
    charts.pareto_chart(front, "t").to_dict()


def test_tornado_swings_each_input_around_the_base(evaluator) -> None:
    table = tornado(evaluator, year=2030)
    assert len(table) == len(evaluator.spec.inputs)
    assert table["cost_base_meur"].nunique() == 1
    grid = table.set_index("input").loc["grid_factor"]
    # A dirtier grid raises the emissions of the fixed plan and the cost of meeting the path.
    assert grid["plan_emissions_high_kt"] > grid["plan_emissions_base_kt"]
    assert grid["plan_emissions_low_kt"] < grid["plan_emissions_base_kt"]
    assert grid["cost_high_meur"] > grid["cost_low_meur"]
    assert list(table["cost_swing_meur"]) == sorted(table["cost_swing_meur"], reverse=True)
    charts.tornado_chart(table, "t").to_dict()


def test_monitoring_inventory_on_and_off_track(evaluator) -> None:
    evaluator.base()
    evaluator.solver.solve(duals=False)
    plan = planned_by_sector(evaluator.solver)
    inv = load_inventory(MONITORING)
    progress = track_progress(inv, plan).set_index("sector")
    actual = inv.emissions[inv.emissions["basic"]].groupby("sector")["tco2e"].sum() * 1e-3
    for sector in ("I", "II", "III"):
        row = progress.loc[sector]
        assert row["actual_kt"] == pytest.approx(actual[sector])
        assert row["gap_kt"] == pytest.approx(row["actual_kt"] - row["planned_kt"])
        assert row["status"] == ("on track" if row["gap_kt"] <= 0 else "off track")
    assert set(progress["status"]) >= {"on track", "off track"}
    assert progress.at["total", "actual_kt"] == pytest.approx(inv.basic_tco2e * 1e-3)
    charts.monitoring_chart(progress.reset_index(), "t").to_dict()
    with pytest.raises(InputError, match="outside the plan"):
        track_progress(load_inventory(data_dir() / "inventories" / "suceava_2021.csv"), plan)


def test_transition_indicators(evaluator) -> None:
    ind = transition_indicators(evaluator.solver)
    wide = ind.pivot_table(index="year", columns="indicator", values="value")
    for share in ("local_renewable_electricity_share", "electricity_share_of_final_energy"):
        assert wide[share].between(0, 1).all()
    assert wide.loc[2025, "renovated_floor_area_m2"] == 0.0  # nothing before lead times
    assert wide.loc[2040, "local_pv_mwp"] > 0
    assert wide.loc[2040, "emissions_per_capita_t"] < wide.loc[2025, "emissions_per_capita_t"]
    charts.indicators_chart(ind, "t").to_dict()


def test_cli_decompose_and_bad_input() -> None:
    runner = CliRunner()
    base = str(data_dir() / "inventories" / "suceava_2021.csv")
    result = runner.invoke(app, ["decompose", base, str(MONITORING), "--format", "json"])
    assert result.exit_code == 0, result.stderr
    assert "emission_factor" in result.stdout
    bad = runner.invoke(app, ["decompose", base, "missing.csv"])
    assert bad.exit_code == 2 and len(bad.stderr.strip().splitlines()) == 1
    bad = runner.invoke(app, ["pareto", str(SCENARIO), "--against", "joy"])
    assert bad.exit_code == 2 and "--against" in bad.stderr
