"""Baseline projection, target paths, IAMC tables and finance arithmetic, checked by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from m100model.analysis.macc import capital_recovery_factor
from m100model.inventory import load_inventory
from m100model.pathways import (
    IAMC_COLUMNS,
    activity_pools,
    baseline,
    driver_index,
    grid_trajectory,
    linear_path,
    target_path,
    to_iamc,
    write_iamc,
)
from m100model.portfolio.data import annuity_cost_factor, national_share


@pytest.fixture
def gas_and_power(write_activity):
    return load_inventory(
        write_activity(
            [
                dict(gpc_ref="I.1.1", fuel="natural_gas", amount=10000, unit="MWh"),
                dict(gpc_ref="I.1.2", fuel="electricity", amount=5000, unit="MWh"),
            ]
        )
    )


def test_pools_carry_activity_and_intensity(gas_and_power):
    pools = activity_pools(gas_and_power).set_index("fuel")
    assert pools.at["natural_gas", "activity"] == pytest.approx(10000)
    assert pools.at["natural_gas", "intensity"] == pytest.approx(2025.594 / 10000)
    assert pools.at["electricity", "intensity"] == pytest.approx(0.27077)  # 2022 production mix


def test_baseline_follows_drivers_and_grid(gas_and_power):
    years = [2022, 2030, 2040]
    bl = baseline(gas_and_power, years).set_index(["fuel", "year"])
    # Residential heat: floor area x heat demand per m2 (indices relative to 2022).
    idx = driver_index("floor_area", "x", years) * driver_index("heat_demand_per_m2", "x", years)
    idx = idx / idx[0]
    for i, y in enumerate(years):
        assert bl.at[("natural_gas", y), "activity"] == pytest.approx(10000 * idx[i])
        assert bl.at[("natural_gas", y), "intensity"] == pytest.approx(2025.594 / 10000)
    # Electricity intensity follows the grid trajectory relative to the base year.
    g = grid_trajectory("necp", years)
    assert bl.at[("electricity", 2040), "intensity"] == pytest.approx(0.27077 * g[2] / g[0])
    assert bl.at[("electricity", 2040), "tco2e"] == pytest.approx(
        bl.at[("electricity", 2040), "activity"] * bl.at[("electricity", 2040), "intensity"]
    )


def test_grid_trajectory_interpolates_linearly():
    g = grid_trajectory("necp", [2029, 2030, 2031])
    assert g[1] == pytest.approx((g[0] + g[2]) / 2, rel=0.05)
    frozen = grid_trajectory("frozen", [2025, 2050])
    assert frozen[0] == pytest.approx(frozen[1])


def test_linear_and_custom_targets():
    years = [2021, 2025, 2030, 2035]
    # 80% below 1000 by 2030 along a straight line from 2021, then held.
    path = target_path(1000, 2021, years, kind="net_zero", year=2030, reduction=0.8)
    assert path == pytest.approx([1000, 1000 - 800 * 4 / 9, 200, 200])
    # From where the city is when the plan starts (900 in 2025).
    started = linear_path(1000, 2021, 2030, 0.8, years, start=(2025, 900))
    assert started == pytest.approx([900, 900, 200, 200])
    custom = target_path(1000, 2021, years, kind="custom", points={2021: 0, 2030: 0.5, 2035: 0.9})
    assert custom == pytest.approx([1000, 1000 - 500 * 4 / 9, 500, 100])
    with pytest.raises(ValueError, match="needs a year"):
        target_path(1000, 2021, years, kind="reduction")


def test_iamc_form(gas_and_power, tmp_path):
    bl = baseline(gas_and_power, [2030, 2040])
    iamc = to_iamc(bl, scenario="baseline")
    assert list(iamc.columns) == IAMC_COLUMNS
    assert set(iamc["variable"]) == {"Emissions|CO2e|Stationary energy|Residential buildings"}
    total = bl[bl["year"] == 2030]["tco2e"].sum()
    assert iamc.loc[iamc["year"] == 2030, "value"].sum() == pytest.approx(total)
    write_iamc(iamc, tmp_path / "p.xlsx")
    wide = pd.read_excel(tmp_path / "p.xlsx")
    assert wide[2040].sum() == pytest.approx(iamc.loc[iamc["year"] == 2040, "value"].sum())


def test_finance_arithmetic_by_hand():
    # Capital recovery factor at 4% over 20 years: 0.04 / (1 - 1.04^-20) = 0.0735818
    assert capital_recovery_factor(0.04, 20) == pytest.approx(0.0735818, rel=1e-6)
    assert capital_recovery_factor(0.0, 20) == pytest.approx(0.05)
    # A loan at the discount rate costs nothing in present value.
    assert annuity_cost_factor(0.04, 10, 0.04) == pytest.approx(0.0, abs=1e-12)
    # At 7.4% over 10 years, discounted at 4%: payment 0.14494, PV 1.17558 -> 0.17558
    pay = 0.074 / (1 - 1.074**-10)
    pv = pay * (1 - 1.04**-10) / 0.04
    assert annuity_cost_factor(0.074, 10, 0.04) == pytest.approx(pv - 1)
    assert pv - 1 == pytest.approx(0.1756, abs=1e-3)


def test_national_share_counts_bucharest_once():
    everyone = [
        "cluj_napoca",
        "bucharest_sector_2",
        "suceava",
        "alba_iulia",
        "bistrita",
        "brasov",
        "bucharest",
        "buzau",
        "constanta",
        "iasi",
        "oradea",
        "resita",
        "timisoara",
    ]
    assert national_share(everyone) == pytest.approx(1.0)
    with_sector = national_share(["bucharest", "bucharest_sector_2"])
    assert with_sector == pytest.approx(national_share(["bucharest"]))
    assert 0 < national_share(["resita"]) < 0.02
    assert np.isclose(sum(national_share([c]) for c in everyone if c != "bucharest_sector_2"), 1)
