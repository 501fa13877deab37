"""The monitoring framework: indicator catalogue, planned money and the gap to the plan."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from m100model.analysis import monitoring
from m100model.analysis.monitoring import (
    TIERS,
    compare_indicators,
    indicator_catalogue,
    planned_investment,
)
from m100model.errors import InputError


def test_catalogue_is_complete_and_consistent():
    cat = indicator_catalogue()
    assert cat["indicator"].is_unique
    assert set(cat["tier"]) == set(TIERS)
    assert set(cat["direction"]) <= {"higher", "lower"}
    for col in ["name", "unit", "source", "cadence", "owner", "kit"]:
        assert cat[col].str.len().gt(0).all(), col
    # Indicators the model computes carry the model's unit.
    units = monitoring._INDICATOR_UNITS
    for row in cat.itertuples():
        if row.indicator in units:
            assert row.unit == units[row.indicator], row.indicator
    # Every GPC BASIC sector has an outcome indicator.
    outcome = set(cat.loc[cat["tier"] == "outcome", "indicator"])
    assert {"emissions_I_kt", "emissions_II_kt", "emissions_III_kt"} <= outcome


def _plan() -> pd.DataFrame:
    rows = []
    for year, km, gas in [(2025, 0.0, 400.0), (2026, 2.0, 390.0), (2027, 4.0, 380.0)]:
        rows.append(dict(city="x", year=year, indicator="cycle_lanes_km", value=km, unit="km"))
        rows.append(dict(city="x", year=year, indicator="natural_gas_gwh", value=gas, unit="GWh"))
    return pd.DataFrame(rows)


def test_gap_and_delivery_by_hand():
    reported = pd.DataFrame(
        [
            dict(city="x", year=2027, indicator="cycle_lanes_km", value=3.0),
            dict(city="x", year=2027, indicator="natural_gas_gwh", value=390.0),
        ]
    )
    out = compare_indicators(_plan(), reported).set_index("indicator")
    km = out.loc["cycle_lanes_km"]
    assert km["gap"] == pytest.approx(-1.0)
    assert km["gap_pct"] == pytest.approx(-0.25)
    assert km["delivered"] == pytest.approx(0.75)  # 3 of the 4 km planned since 2025
    assert km["status"] == "off track"
    gas = out.loc["natural_gas_gwh"]  # lower is better: 10 GWh more than planned
    assert gas["gap"] == pytest.approx(10.0)
    assert gas["delivered"] == pytest.approx(0.5)  # half of the 20 GWh planned cut
    assert gas["status"] == "off track"
    # A tolerance of 3% of the planned value accepts the gas (10/380 = 2.6%).
    tol = compare_indicators(_plan(), reported, tolerance=0.03).set_index("indicator")
    assert tol.at["natural_gas_gwh", "status"] == "on track"
    assert tol.at["cycle_lanes_km", "status"] == "off track"


def test_ahead_of_plan_and_no_planned_change():
    reported = pd.DataFrame(
        [
            dict(city="x", year=2027, indicator="cycle_lanes_km", value=5.0),
            dict(city="x", year=2025, indicator="cycle_lanes_km", value=1.0),
        ]
    )
    out = compare_indicators(_plan(), reported)
    assert out.loc[0, "status"] == "on track" and out.loc[0, "delivered"] == pytest.approx(1.25)
    # In the base year nothing was planned yet: no share delivered, no relative gap.
    assert math.isnan(out.loc[1, "delivered"]) and math.isnan(out.loc[1, "gap_pct"])
    assert out.loc[1, "status"] == "on track"


def test_reported_values_the_plan_does_not_hold_are_refused():
    bad_year = pd.DataFrame([dict(city="x", year=2031, indicator="cycle_lanes_km", value=1.0)])
    with pytest.raises(InputError, match="no cycle_lanes_km for x in 2031"):
        compare_indicators(_plan(), bad_year)
    unknown = pd.DataFrame([dict(city="x", year=2027, indicator="trees", value=1.0)])
    with pytest.raises(InputError, match="unknown indicator 'trees'"):
        compare_indicators(_plan(), unknown)
    with pytest.raises(InputError, match="missing column"):
        compare_indicators(_plan(), pd.DataFrame({"city": ["x"]}))
    with pytest.raises(ValueError, match="tolerance"):
        compare_indicators(_plan(), bad_year, tolerance=1.5)


def test_planned_investment_is_cumulative_by_source():
    inv = pd.DataFrame(
        [
            dict(year=2025, instrument="a", city="x", meur=1.0),
            dict(year=2027, instrument="a", city="x", meur=2.0),
            dict(year=2026, instrument="b", city="x", meur=5.0),
        ]
    )
    out = planned_investment(inv)
    a = out[out["instrument"] == "a"].set_index("year")["value"]
    assert a.to_dict() == {2025: 1.0, 2026: 1.0, 2027: 3.0}
    b = out[out["instrument"] == "b"].set_index("year")["value"]
    assert b.to_dict() == {2025: 0.0, 2026: 5.0, 2027: 5.0}
    yearly = planned_investment(inv, cumulative=False)
    assert yearly["value"].sum() == pytest.approx(inv["meur"].sum())
    assert set(out["indicator"]) == {"investment_committed_meur"}
    assert planned_investment(inv.iloc[0:0]).empty
