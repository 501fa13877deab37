"""The vehicle-stock turnover model (m100model/fleet.py): hand-checked toy fleets, the frozen
switch, the CO2 standards against the data files, and properties over random fleets."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from m100model import fleet
from m100model.tables import data_dir

DRIVERS = data_dir() / "drivers"

# Three vintages, all fossil, in 2021: ages 0, 1, 2 (vintages 2021, 2020, 2019) with shares
# 0.5, 0.3, 0.2 and fuel per km 1.0, 1.2, 1.5. Survival S = 1, 0.8, 0.4, so a vehicle of age 0
# survives the year with p0 = 0.8, of age 1 with p1 = 0.4 / 0.8 = 0.5; age 2 is the last.
# Every vehicle built after 2021 is electric.
TOY_F = {2021: 1.0, 2020: 1.2, 2019: 1.5}


def toy(**changes) -> fleet.FleetParams:
    params = fleet.FleetParams(
        vehicle_class="toy",
        base_year=2021,
        survival=np.array([1.0, 0.8, 0.4]),
        base_stock=np.array([0.5, 0.3, 0.2]),
        new_share=1.0,
        used_age=0,
        electric_share=lambda v: 0.0 if v <= 2021 else 1.0,
        fossil_intensity=lambda v: TOY_F.get(v, 1.0),
        mileage_decline=0.0,
        electric_kwh_per_vkm=0.2,
    )
    return dataclasses.replace(params, **changes)


def by_year(df: pd.DataFrame) -> pd.DataFrame:
    return df.set_index("year")


# ---------------------------------------------------------------------------------------
# Hand-checked toy fleets
# ---------------------------------------------------------------------------------------
def test_toy_fleet_by_hand():
    run = fleet.simulate(toy(), 2023)
    # 2022: survivors age 1 = 0.5 x 0.8 = 0.40, age 2 = 0.3 x 0.5 = 0.15; the 0.2 at age 2
    # leave. 0.55 survive, so 0.45 new (electric) vehicles fill the flat stock of 1.
    np.testing.assert_allclose(run.stock[1], [0.45, 0.40, 0.15])
    assert run.new[1] == pytest.approx(0.45)
    assert run.scrapped[1] == pytest.approx(0.45)  # 0.1 + 0.15 + 0.2
    # 2023: 0.45 x 0.8 = 0.36 (electric, vintage 2022), 0.40 x 0.5 = 0.20 (vintage 2021).
    np.testing.assert_allclose(run.stock[2], [0.44, 0.36, 0.20])

    df = by_year(fleet.paths(toy(), [2021, 2022, 2023, 2024]))
    # Base-year fuel per fossil km: 0.5 x 1.0 + 0.3 x 1.2 + 0.2 x 1.5 = 1.16.
    # 2022: fossil km 0.40 + 0.15 = 0.55; fuel (0.40 x 1.0 + 0.15 x 1.2) / 0.55 = 0.58 / 0.55;
    # index 0.58 / 0.55 / 1.16 = 10/11.
    assert df.loc[2021, "fossil_intensity_index"] == pytest.approx(1.0)
    assert df.loc[2022, "fossil_vkm_share"] == pytest.approx(0.55)
    assert df.loc[2022, "electric_vkm_share"] == pytest.approx(0.45)
    assert df.loc[2022, "fossil_intensity_index"] == pytest.approx(10 / 11)
    # fuel of the whole class: 0.58 / 1.16 = 0.5
    assert df.loc[2022, "fossil_energy_index"] == pytest.approx(0.5)
    # 2023: only the 0.20 of vintage 2021 is fossil, at 1.0 / 1.16.
    assert df.loc[2023, "fossil_vkm_share"] == pytest.approx(0.20)
    assert df.loc[2023, "fossil_intensity_index"] == pytest.approx(1 / 1.16)
    # 2024: nothing fossil left; the intensity is undefined, the energy is zero.
    assert df.loc[2024, "fossil_vkm_share"] == pytest.approx(0.0)
    assert np.isnan(df.loc[2024, "fossil_intensity_index"])
    assert df.loc[2024, "fossil_energy_index"] == pytest.approx(0.0)
    assert (df["mean_age"].iloc[1:] < 1.1).all()


def test_toy_used_imports_carry_their_vintage():
    # Half the 0.45 entrants of 2022 are used vehicles aged 1 (vintage 2021: fossil, f = 1.0):
    # stock = [0.225, 0.40 + 0.225, 0.15]; fossil km = 0.625 + 0.15 = 0.775;
    # fuel = (0.625 x 1.0 + 0.15 x 1.2) / 0.775 = 0.805 / 0.775; index / 1.16 = 0.895439.
    df = by_year(fleet.paths(toy(new_share=0.5, used_age=1), [2022]))
    assert df.loc[2022, "new_registrations"] == pytest.approx(0.225)
    assert df.loc[2022, "used_registrations"] == pytest.approx(0.225)
    assert df.loc[2022, "fossil_vkm_share"] == pytest.approx(0.775)
    assert df.loc[2022, "fossil_intensity_index"] == pytest.approx(0.805 / 0.775 / 1.16)


def test_toy_mileage_falls_with_age():
    # km weights (1 - 0.5)^a = 1, 0.5, 0.25.
    # 2021: w = 0.5, 0.15, 0.05; fuel per fossil km = (0.5 + 0.18 + 0.075) / 0.7 = 0.755 / 0.7.
    # 2022: w = 0.45 (electric), 0.20, 0.0375; fossil share = 0.2375 / 0.6875;
    # fuel = (0.20 x 1.0 + 0.0375 x 1.2) / 0.2375 = 0.245 / 0.2375.
    df = by_year(fleet.paths(toy(mileage_decline=0.5), [2022]))
    assert df.loc[2022, "fossil_vkm_share"] == pytest.approx(0.2375 / 0.6875)
    assert df.loc[2022, "fossil_intensity_index"] == pytest.approx((0.245 / 0.2375) / (0.755 / 0.7))


def test_toy_growing_and_shrinking_stock():
    grow = fleet.simulate(toy(), 2022, {2022: 1.2})
    assert grow.new[1] == pytest.approx(1.2 - 0.55)
    assert grow.stock[1].sum() == pytest.approx(1.2)
    # A stock that must shrink to 0.5 < 0.55 survivors: no entrants, survivors scaled by
    # 0.5 / 0.55 at every age, so the mix (and the intensity, 10/11) is that of 2022 above.
    shrink = fleet.paths(toy(), [2022], {2022: 0.5})
    row = shrink.iloc[0]
    assert row["new_registrations"] == 0.0
    assert row["stock_index"] == pytest.approx(0.5)
    assert row["fossil_vkm_share"] == pytest.approx(1.0)
    assert row["fossil_intensity_index"] == pytest.approx(10 / 11)


def test_stock_index_is_interpolated_and_rescaled():
    df = by_year(fleet.paths(toy(), [2021, 2026, 2031], [2.0, 3.0, 4.0]))
    # Given relative to a base of 2: 1, 1.5, 2.
    np.testing.assert_allclose(df["stock_index"], [1.0, 1.5, 2.0])
    run = fleet.simulate(toy(), 2031, {2031: 2.0})
    assert run.stock[5].sum() == pytest.approx(1.5)  # 2026, halfway
    with pytest.raises(ValueError):
        fleet.paths(toy(), [2021, 2030], [1.0])
    with pytest.raises(ValueError):
        fleet.paths(toy(), [2020])


def test_a_stock_that_never_turns_over_keeps_its_intensity():
    car = fleet.load_params("car")
    survival = np.ones(41)  # nobody is scrapped before age 40
    base = np.zeros(41)
    base[:5] = [0.1, 0.2, 0.3, 0.2, 0.2]
    frozen_stock = dataclasses.replace(car, survival=survival, base_stock=base)
    df = fleet.paths(frozen_stock, range(2021, 2041))
    assert (df["new_registrations"].iloc[1:] == 0).all()
    np.testing.assert_allclose(df["fossil_intensity_index"], 1.0)
    np.testing.assert_allclose(df["fossil_vkm_index"], 1.0)
    np.testing.assert_allclose(df["mean_age"].diff().iloc[1:], 1.0)


# ---------------------------------------------------------------------------------------
# The frozen switch and the helper for the baseline
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("cls", fleet.VEHICLE_CLASSES)
def test_frozen_scenario_is_todays_baseline(cls):
    years = [2021, 2030, 2050]
    df = fleet.fleet_paths(cls, years, scenario="frozen")
    assert list(df["year"]) == years
    for col in ("fossil_vkm_share", "fossil_intensity_index", "fossil_vkm_index"):
        assert (df[col] == 1.0).all(), col
    assert (df["fossil_energy_index"] == 1.0).all()
    assert (df["electric_vkm_share"] == 0.0).all()
    assert not fleet.electric_mwh_per_base_fossil_mwh(df, 0.7).any()
    with pytest.raises(ValueError):
        fleet.fleet_paths(cls, years, scenario="magic")


def test_electricity_per_mwh_of_base_fuel():
    # phi0 = 1, electric share 0 -> 0.5, k = 0.2 kWh/vkm, q0 = 0.8 kWh/vkm:
    # 0.5 x 0.2 / (1 x 0.8) = 0.125 MWh of electricity per MWh of base-year fuel.
    df = pd.DataFrame(
        dict(fossil_vkm_share=[1.0, 0.5], electric_vkm_share=[0.0, 0.5], electric_kwh_per_vkm=0.2)
    )
    np.testing.assert_allclose(fleet.electric_mwh_per_base_fossil_mwh(df, 0.8), [0.0, 0.125])


# ---------------------------------------------------------------------------------------
# The bundled data
# ---------------------------------------------------------------------------------------
def _fleet_csv() -> pd.DataFrame:
    return pd.read_csv(DRIVERS / "vehicle_fleet.csv")


def _standards_csv() -> pd.DataFrame:
    return pd.read_csv(DRIVERS / "co2_standards.csv")


def _value(df, cls, parameter, year=None):
    rows = df[(df["vehicle_class"] == cls) & (df["parameter"] == parameter)]
    if year is not None:
        rows = rows[rows["year"] == year]
    assert len(rows) == 1, (cls, parameter, year)
    return float(rows["value"].iloc[0])


@pytest.mark.parametrize("cls", fleet.VEHICLE_CLASSES)
def test_survival_is_calibrated_to_the_published_average_age(cls):
    params = fleet.load_params(cls)
    age = _value(_fleet_csv(), cls, "average_age")
    assert fleet.mean_age(params.base_stock) == pytest.approx(age, abs=1e-6)
    assert params.base_stock.sum() == pytest.approx(1.0)
    assert np.all(np.diff(params.survival) <= 0) and params.survival[0] == 1.0
    # With a flat stock the age structure is the steady state: the mean age stays put.
    df = fleet.fleet_paths(cls, [2021, 2035, 2050])
    np.testing.assert_allclose(df["mean_age"], age, atol=1e-6)


def test_car_age_structure_is_plausible():
    # DRPCIV 2018 / ACEA 2024: about 79-82% of Romanian cars are older than 10 years.
    stock = fleet.load_params("car").base_stock
    assert 0.75 < stock[11:].sum() < 0.85


def test_truck_zero_emission_share_meets_the_target():
    # (1 - e) c0 q = 1 - r with c0 = C0 / (1 - e_2021), read from the data files.
    fleet_csv, std = _fleet_csv(), _standards_csv()
    c0 = _value(fleet_csv, "truck", "new_fleet_co2_index") / (
        1 - _value(fleet_csv, "truck", "new_zev_share", 2021)
    )
    q2030 = _value(fleet_csv, "truck", "ice_co2_index", 2030)
    params = fleet.load_params("truck")
    for year in (2030, 2034, 2035, 2040, 2050):
        r = std[(std["vehicle_class"] == "truck") & (std["year"] <= year)]
        r = float(r.sort_values("year")["value"].iloc[-1])
        assert params.electric_share(year) == pytest.approx(1 - (1 - r) / (c0 * q2030))
        # tailpipe CO2 of the new fleet relative to the reference hits the target exactly
        tailpipe = (1 - params.electric_share(year)) * c0 * params.fossil_intensity(year)
        assert tailpipe == pytest.approx(1 - r)


def test_observed_shares_are_used_before_the_targets():
    car = fleet.load_params("car")
    data = _fleet_csv()
    assert car.electric_share(2022) == pytest.approx(_value(data, "car", "new_zev_share", 2022))
    assert car.electric_share(2024) == pytest.approx(_value(data, "car", "new_zev_share", 2023))
    assert car.electric_share(2010) == pytest.approx(_value(data, "car", "stock_electric_share"))
    assert car.electric_share(2021) < car.electric_share(2025) < car.electric_share(2030) < 1
    bus = fleet.load_params("bus")
    assert bus.electric_share(2030) >= 0.9 and bus.electric_share(2035) == 1.0


def test_all_new_cars_are_zero_emission_from_2035():
    car = fleet.load_params("car")
    assert car.electric_share(2034) < 1.0
    assert all(car.electric_share(v) == 1.0 for v in range(2035, 2051))
    # Without used imports, the fossil cars after 2035 are exactly the survivors of the
    # vintages built before 2035.
    params = dataclasses.replace(car, new_share=1.0, mileage_decline=0.0)
    run = fleet.simulate(params, 2050)
    s = params.survival
    i35 = 2035 - 2021
    ages = np.arange(params.max_age + 1)
    fossil = []
    for i, year in enumerate(run.years):
        e = np.array([params.electric_share(int(v)) for v in year - ages])
        fossil.append(run.stock[i] @ (1 - e))
    for year in range(2036, 2051):
        k = year - 2035
        expected = sum(
            run.stock[i35, a] * (1 - params.electric_share(2035 - a)) * s[a + k] / s[a]
            for a in range(params.max_age + 1 - k)
        )
        assert fossil[year - 2021] == pytest.approx(expected, rel=1e-12)
    assert np.all(np.diff(fossil[i35:]) < 0)


@pytest.mark.parametrize("cls", fleet.VEHICLE_CLASSES)
def test_wem_paths_are_bounded_and_monotone(cls):
    df = fleet.fleet_paths(cls, range(2021, 2051))
    assert df["fossil_vkm_share"].between(0, 1).all()
    np.testing.assert_allclose(df["fossil_vkm_share"] + df["electric_vkm_share"], 1.0)
    assert (df["fossil_vkm_share"].diff().iloc[1:] <= 1e-12).all()
    assert (df["fossil_energy_index"].diff().iloc[1:] <= 1e-12).all()
    assert (df["fossil_intensity_index"] <= 1 + 1e-12).all()
    assert df["fossil_vkm_share"].iloc[-1] < 0.8  # the standards bite by 2050
    assert (df["new_registrations"].iloc[1:] > 0).all()


def test_unknown_class_is_refused():
    with pytest.raises(KeyError):
        fleet.fleet_paths("tractor", [2030])


# ---------------------------------------------------------------------------------------
# Properties over random fleets
# ---------------------------------------------------------------------------------------
hypothesis = pytest.importorskip("hypothesis")
st = hypothesis.strategies


@st.composite
def random_fleets(draw):
    n_ages = draw(st.integers(2, 12))
    drops = draw(st.lists(st.floats(0.3, 1.0), min_size=n_ages - 1, max_size=n_ages - 1))
    survival = np.concatenate([[1.0], np.cumprod(drops)])
    base = np.array(draw(st.lists(st.floats(0.01, 1.0), min_size=n_ages, max_size=n_ages)))
    switch = draw(st.integers(2021, 2040))
    e_late = draw(st.floats(0.0, 1.0))
    f = draw(st.lists(st.floats(0.5, 2.0), min_size=60, max_size=60))
    params = fleet.FleetParams(
        vehicle_class="random",
        base_year=2021,
        survival=survival,
        base_stock=base / base.sum(),
        new_share=draw(st.sampled_from([1.0, 0.7, 0.3])),
        used_age=draw(st.integers(0, n_ages - 1)),
        electric_share=lambda v: 0.0 if v < switch else e_late,
        fossil_intensity=lambda v: f[(v - 1990) % 60],
        mileage_decline=draw(st.floats(0.0, 0.1)),
    )
    index = draw(st.lists(st.floats(0.2, 3.0), min_size=3, max_size=3))
    return params, dict(zip((2030, 2040, 2050), index, strict=True)), f


@hypothesis.settings(max_examples=60, deadline=None)
@hypothesis.given(random_fleets())
def test_properties_of_random_fleets(case):
    params, index, f = case
    run = fleet.simulate(params, 2050, index)
    # the stock follows the index and no stock or flow is negative
    np.testing.assert_allclose(run.stock[[9, 19, 29]].sum(axis=1), list(index.values()))
    assert (run.stock >= -1e-12).all()
    assert (run.new[1:] >= 0).all() and (run.used[1:] >= 0).all()
    assert (run.scrapped[1:] >= -1e-12).all()
    df = fleet.paths(params, range(2021, 2051), index)
    assert df["fossil_vkm_share"].between(-1e-12, 1 + 1e-12).all()
    np.testing.assert_allclose(df["fossil_vkm_share"] + df["electric_vkm_share"], 1.0)
    ok = df["fossil_intensity_index"].dropna()
    assert df["fossil_intensity_index"].iloc[0] == pytest.approx(1.0)
    # an average of vintage intensities stays within their range
    lo, hi = min(f), max(f)
    assert (ok >= lo / hi - 1e-9).all() and (ok <= hi / lo + 1e-9).all()


@hypothesis.settings(max_examples=60, deadline=None)
@hypothesis.given(random_fleets())
def test_flat_stock_of_new_vehicles_never_gains_fossil_share(case):
    # Entrants are at least as electric as any vintage they replace, so with a flat stock
    # and only new vehicles the fossil share cannot rise.
    params, _, _ = case
    params = dataclasses.replace(params, new_share=1.0, mileage_decline=0.0)
    df = fleet.paths(params, range(2021, 2051))
    assert (df["fossil_vkm_share"].diff().iloc[1:] <= 1e-12).all()
