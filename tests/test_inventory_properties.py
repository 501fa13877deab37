"""Properties that hold for any valid activity data (hypothesis)."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from m100model.factors import load_factors
from m100model.inventory import compute_inventory

# (gpc_ref, fuel, unit) combinations that are valid with the default factors.
COMBOS = [
    ("I.1.1", "natural_gas", "MWh"),
    ("I.1.1", "wood", "MWh"),
    ("I.1.2", "electricity", "MWh"),
    ("I.1.2", "district_heat", "MWh"),
    ("I.1.3", "electricity", "MWh"),
    ("I.2.1", "natural_gas", "MWh"),
    ("I.2.2", "electricity", "MWh"),
    ("I.3.1", "natural_gas", "MWh"),
    ("I.3.1", "diesel", "MWh"),
    ("II.1.1", "diesel", "MWh"),
    ("II.1.1", "gasoline", "MWh"),
    ("II.1.1", "lpg", "MWh"),
    ("II.1.2", "electricity", "MWh"),
    ("II.2.1", "diesel", "MWh"),
    ("III.1.1", "msw", "t"),
    ("III.1.2", "msw", "t"),
    ("III.2.1", "organic_waste", "t"),
    ("III.4.1", "wastewater_bod", "t"),
]
# The same activity in other units: factor to multiply the amount by.
EQUIVALENT_UNITS = {"MWh": [("GJ", 3.6), ("kWh", 1000.0), ("TJ", 0.0036)], "t": [("kg", 1000.0)]}

LIB = load_factors()


def frame(rows: list[dict]) -> pd.DataFrame:
    df = pd.DataFrame(
        [
            dict(
                city="x",
                year=2021,
                notation_key=None,
                ef_id=None,
                vehicle=None,
                quality=None,
                comment=None,
                row=i + 2,
                **r,
            )
            for i, r in enumerate(rows)
        ]
    )
    df.attrs["path"] = "<test>"
    return df


activity = st.lists(
    st.tuples(
        st.sampled_from(range(len(COMBOS))),
        st.floats(min_value=0, max_value=1e7, allow_nan=False, allow_infinity=False),
    ),
    min_size=1,
    max_size=len(COMBOS),
    unique_by=lambda t: t[0],
)
gwp_sets = st.sampled_from(["AR4", "AR5", "AR6"])
fast = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def rows_of(drawn):
    return [
        dict(gpc_ref=COMBOS[i][0], fuel=COMBOS[i][1], unit=COMBOS[i][2], amount=a) for i, a in drawn
    ]


@fast
@given(activity, gwp_sets)
def test_totals_equal_sum_of_parts(drawn, gwp):
    inv = compute_inventory(frame(rows_of(drawn)), gwp=gwp, factors=LIB)
    total = inv.total_tco2e
    assert inv.by_scope().sum() == pytest.approx(total, rel=1e-9, abs=1e-6)
    assert inv.by_sector()["tco2e"].sum() == pytest.approx(total, rel=1e-9, abs=1e-6)
    assert inv.by_gas()["tco2e"].sum() == pytest.approx(total, rel=1e-9, abs=1e-6)
    table = inv.gpc_table()
    scoped = table[["scope_1_tco2e", "scope_2_tco2e", "scope_3_tco2e"]].sum().sum()
    assert scoped == pytest.approx(total, rel=1e-9, abs=1e-6)
    tol = 1e-9 * max(1.0, total)
    assert inv.basic_tco2e <= inv.basic_plus_tco2e + tol
    assert inv.basic_plus_tco2e <= total + tol


@fast
@given(activity, st.data())
def test_unit_does_not_change_the_result(drawn, data):
    rows = rows_of(drawn)
    converted = []
    for r in rows:
        unit, factor = data.draw(st.sampled_from(EQUIVALENT_UNITS[r["unit"]]))
        converted.append(dict(r, unit=unit, amount=r["amount"] * factor))
    a = compute_inventory(frame(rows), factors=LIB).total_tco2e
    b = compute_inventory(frame(converted), factors=LIB).total_tco2e
    assert b == pytest.approx(a, rel=1e-9, abs=1e-6)


@fast
@given(activity, st.floats(min_value=0, max_value=1000, allow_nan=False))
def test_scaling_activity_scales_emissions(drawn, k):
    rows = rows_of(drawn)
    scaled = [dict(r, amount=r["amount"] * k) for r in rows]
    base = compute_inventory(frame(rows), factors=LIB)
    more = compute_inventory(frame(scaled), factors=LIB)
    assert more.total_tco2e == pytest.approx(k * base.total_tco2e, rel=1e-9, abs=1e-6)
    assert more.biogenic_co2_t == pytest.approx(k * base.biogenic_co2_t, rel=1e-9, abs=1e-6)
