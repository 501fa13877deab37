"""The baseline with existing measures (WEM) against the frozen one, checked pool by pool
from the fleet model's and the district-heat path's own tables (read here independently)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from m100model.fleet import fleet_paths
from m100model.inventory import bundled_inventories, load_inventory
from m100model.pathways import BaselineSettings, baseline
from m100model.prices import district_heat_factor
from m100model.tables import data_dir

YEARS = [2025, 2030, 2035, 2040, 2050]


@pytest.fixture(scope="module")
def suceava():
    inv = load_inventory(bundled_inventories()["suceava"])
    frozen = baseline(inv, YEARS, BaselineSettings(measures="frozen"))
    wem = baseline(inv, YEARS, BaselineSettings(measures="wem"))
    return inv, frozen, wem


def pool(df: pd.DataFrame, sub: str, fuel: str, col: str) -> pd.Series:
    part = df[(df["subsector"] == sub) & (df["fuel"] == fuel)]
    return part.set_index("year")[col]


def classes() -> pd.DataFrame:
    df = pd.read_csv(data_dir() / "drivers" / "road_fuel_by_vehicle_class.csv")
    return df.pivot_table(index=["fuel", "vehicle_class"], columns="parameter", values="value")


def test_gasoline_follows_the_car_fleet(suceava) -> None:
    """All road gasoline is burnt by cars: WEM activity = frozen activity x the car fleet's
    fossil-energy index (base year 2021 = 1)."""
    inv, frozen, wem = suceava
    cars = fleet_paths("car", [inv.year, *YEARS]).set_index("year")["fossil_energy_index"]
    expected = pool(frozen, "II.1", "gasoline", "activity") * cars / cars[inv.year]
    assert np.allclose(
        pool(wem, "II.1", "gasoline", "activity"),
        expected.loc[pool(wem, "II.1", "gasoline", "activity").index],
        rtol=1e-12,
    )


def test_diesel_mixes_the_classes_by_their_shares(suceava) -> None:
    inv, frozen, wem = suceava
    w = classes().loc["diesel", "energy_share"]
    assert w.sum() == pytest.approx(1.0)
    index = sum(
        w[c]
        * fleet_paths(c, [inv.year, *YEARS]).set_index("year")["fossil_energy_index"]
        / fleet_paths(c, [inv.year, *YEARS]).set_index("year")["fossil_energy_index"][inv.year]
        for c in w.index
    )
    got = pool(wem, "II.1", "diesel", "activity")
    assert np.allclose(
        got, (pool(frozen, "II.1", "diesel", "activity") * index).loc[got.index], rtol=1e-12
    )


def test_electric_vehicle_km_draw_grid_electricity(suceava) -> None:
    """Suceava reports no road electricity: the pool is new, holding
    sum over fuels and classes of A_fuel(t) w_c (eps_t - eps_0) e_c / (phi_0 q_c), with
    A_fuel(t) the frozen pool (base activity x vehicle-km driver)."""
    inv, frozen, wem = suceava
    tab = classes()
    expected = pd.Series(0.0, index=[inv.year, *YEARS])
    for (fuel, c), row in tab.iterrows():
        f = fleet_paths(c, [inv.year, *YEARS]).set_index("year")
        eps, phi = f["electric_vkm_share"], f["fossil_vkm_share"]
        per_mwh = (
            (eps - eps[inv.year])
            * f["electric_kwh_per_vkm"]
            / (phi[inv.year] * row["fossil_kwh_per_vkm"])
        )
        expected += pool(frozen, "II.1", fuel, "activity") * row["energy_share"] * per_mwh
    got = pool(wem, "II.1", "electricity", "activity")
    assert got[inv.year] == 0.0
    assert np.allclose(got, expected.loc[got.index], rtol=1e-12)
    assert got[2050] > got[2030] > 0
    # Its intensity is grid electricity's: the same as the buildings' electricity pool.
    assert np.allclose(
        pool(wem, "II.1", "electricity", "intensity"), pool(wem, "I.1", "electricity", "intensity")
    )


def test_district_heat_follows_the_efficient_district_heating_path(suceava) -> None:
    inv, frozen, wem = suceava
    h = pd.Series(district_heat_factor([inv.year, *YEARS]), index=[inv.year, *YEARS])
    for sub in ("I.1", "I.2"):
        got = pool(wem, sub, "district_heat", "intensity")
        assert np.allclose(
            got, (pool(frozen, sub, "district_heat", "intensity") * h / h[inv.year]).loc[got.index]
        )
        assert np.allclose(
            pool(wem, sub, "district_heat", "activity"),
            pool(frozen, sub, "district_heat", "activity"),
        )


def test_other_pools_are_untouched(suceava) -> None:
    _, frozen, wem = suceava
    key = ["subsector", "fuel", "year"]
    f = frozen.set_index(key)
    w = wem.set_index(key)
    other = [k for k in f.index if not (k[0] == "II.1" or k[1] == "district_heat")]
    assert np.allclose(w.loc[other, "tco2e"], f.loc[other, "tco2e"])


@pytest.mark.parametrize("city", sorted(bundled_inventories()))
def test_existing_measures_never_raise_emissions(city: str) -> None:
    inv = load_inventory(bundled_inventories()[city])
    frozen = (
        baseline(inv, YEARS, BaselineSettings(measures="frozen")).groupby("year")["tco2e"].sum()
    )
    wem = baseline(inv, YEARS, BaselineSettings(measures="wem")).groupby("year")["tco2e"].sum()
    assert (wem <= frozen * (1 + 1e-12)).all()
    assert wem[2050] < frozen[2050]


def test_unknown_baseline_is_refused() -> None:
    inv = load_inventory(bundled_inventories()["suceava"])
    with pytest.raises(ValueError, match="unknown baseline 'bau'"):
        baseline(inv, YEARS, BaselineSettings(measures="bau"))
