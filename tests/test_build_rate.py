"""The soft build rate, checked by hand on a one-project instance.

One city, one year (2025), one diesel pool of 10 GWh at 0.25 kt/GWh (2.5 kt). One measure
saves 1 GWh per unit, costs 10 M EUR per unit (no lead time, a one-year life, so nothing is
left to salvage), may have 5 units active and builds 1 unit a year at the normal price.
Tiers: up to 2 units a year at +20%, up to 3 at +50%. The city budget pays at no finance
cost; energy is not priced, so the plan's cost is its capex alone.

A cap of 1.875 kt needs 2.5 units (2.5 - 0.25 x 2.5 = 1.875):
    normal unit      1   x 10              = 10.0
    fast tier        1   x 10 x 1.2        = 12.0
    crash tier       0.5 x 10 x 1.5        =  7.5
    total                                    29.5 M EUR, no shortfall.
With the hard rate only 1 unit can be built: shortfall (2.5 - 1) x 0.25 = 0.375 kt, cost 10.
A cap needing 3.5 units is out of reach even at the crash tier: 3 units, cost
10 + 12 + 15 = 37, shortfall 0.5 x 0.25 = 0.125 kt.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest
from portfolio_instances import INSTRUMENT_COLUMNS, PREP_COLUMNS, PROJECT_COLUMNS

from m100model.portfolio.data import PortfolioData, rate_tiers
from m100model.portfolio.results import extract
from m100model.portfolio.solve import PortfolioSolver
from m100model.scenario import SolverSpec

TIERS = [(1.0, 0.2), (1.0, 0.5)]


def one_project(cap_kt: float, tiers: list[tuple[float, float]]) -> PortfolioData:
    years = [2025]
    k, p = "c|II.1.1|diesel", "c:truck"
    pools = pd.DataFrame(
        [dict(pool_id=k, city="c", subsector="II.1.1", fuel="diesel", unit="MWh")]
    ).set_index("pool_id", drop=False)
    project = dict.fromkeys(PROJECT_COLUMNS)
    project.update(
        project_id=p,
        city="c",
        archetype_id="truck",
        theme="mobility",
        name="measure",
        unit="unit",
        indivisible=False,
        max_units=5.0,
        max_rate=1.0,
        earliest=2025,
        lifetime=1,
        lead=0,
        opex=0.0,
        seq=0.0,
        prep_share=0.0,
        jobs=0.0,
        energy_poor=0.0,
        bundle=None,
        fgroup="c:mobility",
    )
    projects = pd.DataFrame([project], columns=PROJECT_COLUMNS).set_index("project_id", drop=False)
    budget = dict.fromkeys(INSTRUMENT_COLUMNS)
    budget.update(
        instrument_id="budget",
        name="City budget",
        kind="budget",
        scope="city",
        cost_factor=0.0,
        min_ticket=math.nan,
        max_ticket=math.nan,
        available_from=2025,
        available_to=2025,
    )
    return PortfolioData(
        years=years,
        discount_rate=0.0,
        discount={2025: 1.0},
        groups={"c": ["c"]},
        target_kt={("c", 2025): cap_kt},
        budget_kt={},
        offset_from={},
        offset_price=0.0,
        penalty=1000.0,
        pools=pools,
        pool_activity=pd.DataFrame({2025: [10.0]}, index=[k]),
        pool_intensity=pd.DataFrame({2025: [0.25]}, index=[k]),
        pool_price=pd.DataFrame({2025: [0.0]}, index=[k]),
        projects=projects,
        capex=pd.DataFrame({2025: [10.0]}, index=[p]),
        effects=pd.DataFrame([dict(project_id=p, pool_id=k, delta=-1.0)]),
        instruments=pd.DataFrame([budget], columns=INSTRUMENT_COLUMNS).set_index(
            "instrument_id", drop=False
        ),
        envelope={("budget", "c", 2025): 100.0},
        eligibility={("budget", "mobility"): 1.0},
        prep_grant=pd.DataFrame(columns=PREP_COLUMNS).set_index("instrument_id", drop=False),
        tickets=False,
        base_kt={"c": 2.5},
        baseline_kt={("c", 2025): 2.5},
        rate_tiers=tiers,
    )


def solve(cap_kt: float, tiers) -> tuple[PortfolioSolver, float]:
    solver = PortfolioSolver(one_project(cap_kt, tiers), SolverSpec(mip_gap=0.0))
    st = solver.solve()
    assert st.status == "optimal"
    return solver, st.objective


def test_faster_building_costs_the_tiers_markups() -> None:
    solver, cost = solve(1.875, TIERS)
    assert solver.shortfall == {}
    assert cost == pytest.approx(29.5, abs=1e-7)
    assert solver.values("x")["c:truck", 2025] == pytest.approx(2.5, abs=1e-7)
    v = solver.values("v")
    assert v["c:truck", 2025, 1] == pytest.approx(1.0, abs=1e-7)  # the cheaper tier first
    assert v["c:truck", 2025, 2] == pytest.approx(0.5, abs=1e-7)
    # The money: the budget finances the capex with the mark-ups.
    res = extract(solver)
    assert res.investment["meur"].sum() == pytest.approx(29.5, abs=1e-6)


def test_hard_rate_stops_at_the_normal_rate() -> None:
    solver, cost = solve(1.875, [])
    assert cost == pytest.approx(10.0, abs=1e-7)
    assert solver.shortfall == {("c", 2025): pytest.approx(0.375, abs=1e-7)}


def test_beyond_the_last_tier_nothing_more_is_built() -> None:
    solver, cost = solve(2.5 - 0.25 * 3.5, TIERS)
    assert cost == pytest.approx(37.0, abs=1e-7)
    assert solver.shortfall == {("c", 2025): pytest.approx(0.125, abs=1e-7)}


@pytest.mark.parametrize(("cap_kt", "tiers"), [(1.875, []), (2.5 - 0.25 * 3.5, TIERS)])
def test_diagnosis_names_the_build_rate(cap_kt, tiers) -> None:
    """Short because the measure is built as fast as allowed (1 unit at the hard rate, 3 at
    the last tier), not because of its potential (5 units), the pool (10 GWh) or money (the
    budget of 100 M EUR): the diagnosis names the build rate and nothing else."""
    solver, _ = solve(cap_kt, tiers)
    [diag] = extract(solver).diagnosis
    assert diag["built_at_fastest_rate"] == ["truck"]
    assert diag["limits"] == ["build rate"]
    assert diag["projects_at_maximum"] == [] and diag["envelopes_exhausted"] == []


def test_bundled_tiers_are_read_in_order() -> None:
    """The bundled table: widths and mark-ups from data/projects/build_rate_tiers.csv."""
    df = pd.read_csv("data/projects/build_rate_tiers.csv")
    df = df[df["to_multiple"] > 1].sort_values("from_multiple")
    expected = [
        (b - a, m)
        for a, b, m in zip(df["from_multiple"], df["to_multiple"], df["value"], strict=True)
    ]
    assert rate_tiers() == expected
    assert [m for _, m in expected] == sorted(m for _, m in expected)


def test_tiers_out_of_order_are_refused(tmp_path, monkeypatch) -> None:
    """A tier that does not start where the last one ended is named by file, row, column."""
    import shutil

    from m100model.errors import InputError

    data = tmp_path / "data"
    shutil.copytree("data/projects", data / "projects")
    path = data / "projects" / "build_rate_tiers.csv"
    lines = path.read_text().splitlines()
    lines[3] = lines[3].replace("crash,2,3,", "crash,2.5,3,")
    path.write_text("\n".join(lines) + "\n")
    monkeypatch.setenv("M100_DATA", str(data))
    with pytest.raises(InputError) as err:
        rate_tiers()
    assert err.value.row == 4 and err.value.column == "from_multiple"
    assert "build_rate_tiers.csv" in str(err.value) and "2.5-3 after 2" in str(err.value)
