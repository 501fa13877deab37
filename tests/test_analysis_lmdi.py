"""Additive LMDI: known decompositions, zero residual on random cases, zeros handled."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from m100model.analysis.monitoring import (
    EFFECTS,
    decompose_inventories,
    lmdi,
    lmdi_factors,
    log_mean,
)
from m100model.inventory import load_inventory
from m100model.tables import data_dir


def table(rows: list[tuple[str, str, float, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["subsector", "fuel", "energy", "emissions_kt"]).assign(
        unit="MWh"
    )


def effects(base, later, q0, q1) -> dict[str, float]:
    out = lmdi(lmdi_factors(base, q0), lmdi_factors(later, q1))
    return {f: float(out[f].sum()) for f in (*EFFECTS, "change_kt")}


def test_log_mean() -> None:
    assert log_mean(3.0, 3.0) == 3.0
    assert log_mean(300.0, 100.0) == pytest.approx(200 / math.log(3))
    assert log_mean(5.0, 0.0) == 0.0


def test_known_decomposition_activity_and_emission_factor() -> None:
    # Population 100 -> 200 at the same energy per person; the factor 1 -> 1.5 t/MWh.
    # E: 100 -> 300. L(300, 100) = 200/ln 3; activity = L ln 2, emission factor = L ln 1.5.
    ex = effects(table([("I.1", "gas", 100, 100)]), table([("I.1", "gas", 200, 300)]), 100, 200)
    w = 200 / math.log(3)
    assert ex["activity"] == pytest.approx(w * math.log(2))  # 126.186
    assert ex["emission_factor"] == pytest.approx(w * math.log(1.5))  # 73.814
    assert ex["structure"] == pytest.approx(0.0) and ex["energy_intensity"] == pytest.approx(0)
    assert ex["activity"] + ex["emission_factor"] == pytest.approx(200.0)


def test_known_decomposition_pure_fuel_switch() -> None:
    # Same population and energy; half the gas (0.2 t/MWh) becomes electricity (0.1): only
    # structure changes. E: 20 -> 15, all of it structure, with the LMDI weights by hand.
    base = table([("I.1", "gas", 100, 20), ("I.1", "electricity", 100, 10)])
    later = table([("I.1", "gas", 50, 10), ("I.1", "electricity", 150, 15)])
    ex = effects(base, later, 1000, 1000)
    gas = log_mean(10, 20) * math.log(0.25 / 0.5)
    elec = log_mean(15, 10) * math.log(0.75 / 0.5)
    assert ex["structure"] == pytest.approx(gas + elec) and ex["change_kt"] == -5
    assert ex["structure"] == pytest.approx(-5.0)
    for f in ("activity", "energy_intensity", "emission_factor"):
        assert ex[f] == pytest.approx(0.0, abs=1e-12)


def test_rows_appearing_or_vanishing_go_to_the_factor_that_is_zero() -> None:
    base = table([("I.1", "gas", 100, 20)])
    # electricity appears in a family that exists: a structure effect
    later = table([("I.1", "gas", 100, 20), ("I.1", "electricity", 50, 5)])
    out = lmdi(lmdi_factors(base, 10), lmdi_factors(later, 10)).set_index("fuel")
    assert out.at["electricity", "structure"] == pytest.approx(5.0)
    assert out.loc["electricity", ["activity", "energy_intensity", "emission_factor"]].eq(0).all()
    # a whole family (waste, in t) appears: an energy-intensity effect
    waste = pd.DataFrame(
        [dict(subsector="III.1", fuel="msw", unit="t", energy=10.0, emissions_kt=7.0)]
    )
    out = lmdi(lmdi_factors(base, 10), lmdi_factors(pd.concat([base, waste]), 10))
    row = out.set_index("fuel").loc["msw"]
    assert row["energy_intensity"] == pytest.approx(7.0) and row["structure"] == 0.0
    # emissions vanish while the energy stays (a zero factor): an emission-factor effect
    gone = table([("I.1", "gas", 100, 0)])
    ex = effects(base, gone, 10, 10)
    assert ex["emission_factor"] == pytest.approx(-20.0)


values = st.floats(min_value=0.0, max_value=1e4, allow_nan=False, allow_infinity=False)


@st.composite
def cases(draw):
    keys = [("I.1", "gas"), ("I.1", "electricity"), ("II.1", "diesel"), ("I.2", "heat")]

    def state():
        rows = []
        for sub, fuel in keys:
            if draw(st.booleans()):
                energy = draw(values)
                ef = draw(st.floats(min_value=0.0, max_value=2.0))
                # sometimes exactly zero energy or emissions
                rows.append((sub, fuel, energy, energy * ef))
        return table(rows) if rows else table([("I.1", "gas", 1.0, 0.5)])

    q = st.floats(min_value=1.0, max_value=1e6)
    return state(), state(), draw(q), draw(q)


@settings(max_examples=150, deadline=None)
@given(cases())
def test_zero_residual_on_random_cases(case) -> None:
    base, later, q0, q1 = case
    out = lmdi(lmdi_factors(base, q0), lmdi_factors(later, q1))
    total = later["emissions_kt"].sum() - base["emissions_kt"].sum()
    assert out["change_kt"].sum() == pytest.approx(total, abs=1e-9)
    explained = out[list(EFFECTS)].to_numpy().sum()
    scale = max(1.0, base["emissions_kt"].sum(), later["emissions_kt"].sum())
    assert abs(explained - total) <= 1e-9 * scale
    # row by row as well
    row_residual = out["change_kt"] - out[list(EFFECTS)].sum(axis=1)
    assert (row_residual.abs() <= 1e-9 * scale).all()


def test_inventories_decompose_exactly() -> None:
    folder = data_dir() / "inventories"
    inv0 = load_inventory(folder / "suceava_2021.csv")
    inv1 = load_inventory(folder / "monitoring" / "suceava_2027.csv")
    dec = decompose_inventories(inv0, inv1)
    totals = dec.totals().set_index("effect")["kt"]
    assert totals["total"] == pytest.approx((inv1.basic_tco2e - inv0.basic_tco2e) * 1e-3)
    assert totals["residual"] == pytest.approx(0.0, abs=1e-9)
    assert totals["activity"] < 0  # Suceava's population shrinks from 2021 to 2027
    # only amounts changed between the files, so no factor changes except the grid's year
    assert dec.by_sector()["change_kt"].sum() == pytest.approx(totals["total"])


def test_negligible_emissions_count_as_zero() -> None:
    # Found by hypothesis: a subnormal base-year emission (1e-323 kt) made the logarithms
    # lose precision; below a gram the change goes whole to the emission factor.
    base = table([("I.2", "heat", 1.5, 9.881313e-324)])
    later = table([("I.2", "heat", 1.0, 1.0)])
    out = lmdi(lmdi_factors(base, 1.0), lmdi_factors(later, 1.0))
    assert out["emission_factor"].sum() == pytest.approx(1.0, abs=1e-12)
    assert out[["activity", "structure", "energy_intensity"]].abs().sum().sum() == 0.0
