"""ETS2 price, energy price paths and the district-heat factor path, checked by hand.

Expected values are worked out in the comments from the data files, which the tests read with
pandas directly (not through m100model.prices).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from m100model.prices import (
    apply_soft_cap,
    district_heat_factor,
    energy_price,
    ets2_adder,
    ets2_price,
    pool_price,
    soft_cap,
)
from m100model.tables import data_dir

DRIVERS = data_dir() / "drivers"
FACTORS = data_dir() / "factors"


def _com_factor(fuel: str) -> float:
    com = pd.read_csv(FACTORS / "com_factors.csv")
    row = com[(com["fuel"] == fuel) & (com["approach"] == "ipcc")]
    assert row["unit"].iloc[0] == "t/MWh"
    return float(row["value"].iloc[0])


def _ets2_rows() -> pd.DataFrame:
    return pd.read_csv(DRIVERS / "ets2.csv")


def test_natural_gas_ets2_pass_through_in_2030_by_hand():
    ef = _com_factor("natural_gas")  # 0.20196 t CO2/MWh (IPCC 56,100 kg/TJ x 0.0036)
    assert ef == pytest.approx(0.20196)
    ets2 = _ets2_rows()
    row = ets2[(ets2.parameter == "price") & (ets2.scenario == "central") & (ets2.year == 2030)]
    assert (row["value"].iloc[0], row["unit"].iloc[0]) == (60, "EUR/t nominal")
    # 60 EUR nominal in 2030, deflated to 2025 euros at 2%/yr: 60 / 1.02**5 = 54.3438
    price_2030 = 60 / 1.1040808
    assert ets2_price([2030], "central")[0] == pytest.approx(price_2030, rel=1e-6)
    # Adder: 54.3438 x 0.20196 x 1.0 = 10.9753 EUR/MWh; household gas path in 2030 = 65.0
    assert ets2_adder("natural_gas", [2030], "central")[0] == pytest.approx(10.9753, abs=1e-3)
    assert energy_price("natural_gas", "household", [2030])[0] == pytest.approx(75.9753, abs=1e-3)
    assert energy_price("natural_gas", "household", [2030], ets2=None)[0] == pytest.approx(65.0)


def test_diesel_pass_through_uses_the_diesel_factor():
    ef = _com_factor("diesel")  # 0.26676
    # high 2030: 122 / 1.02**5 = 110.4990; x 0.26676 = 29.4767; diesel path 144.5
    assert energy_price("diesel", "transport", [2030], ets2="high")[0] == pytest.approx(
        144.5 + 122 / 1.1040808 * ef, abs=1e-3
    )
    assert 122 / 1.1040808 * ef == pytest.approx(29.4767, abs=1e-3)


def test_soft_cap_on_a_hand_made_path():
    path = np.array([40.0, 55.0, 70.0, 100.0])
    assert apply_soft_cap(path, 55.0, 0.0) == pytest.approx([40, 55, 55, 55])
    # half of the excess stays: 55 + 0.5 x 15 = 62.5; 55 + 0.5 x 45 = 77.5
    assert apply_soft_cap(path, 55.0, 0.5) == pytest.approx([40, 55, 62.5, 77.5])
    assert apply_soft_cap(path, 55.0, 1.0) == pytest.approx(path)


def test_soft_cap_is_45_eur_of_2020_in_2025_euros():
    # HICP 2020 -> 2025: 1.026 x 1.084 x 1.054 x 1.024 x 1.02 = 1.224383; 45 x 1.224383 = 55.097
    assert soft_cap() == pytest.approx(55.097, abs=1e-3)
    # The low scenario holds the price at the cap once the path exceeds it (2035: 100 > 55.1)
    low = ets2_price([2030, 2035, 2050], "low")
    assert low[0] == pytest.approx(60 / 1.1040808, rel=1e-6)  # 54.34 < cap: unchanged
    assert low[1:] == pytest.approx([55.097, 55.097], abs=1e-3)
    assert ets2_price([2035], "central")[0] == pytest.approx(100.0)  # pass share 1: no clip


def test_ets2_is_zero_before_its_start_year():
    ets2 = _ets2_rows()
    start = int(ets2.loc[ets2.parameter == "start_year", "value"].iloc[0])
    assert start == 2028
    for scenario in ("low", "central", "high"):
        assert ets2_price([2025, 2026, 2027], scenario) == pytest.approx([0, 0, 0])
        assert ets2_price([2028], scenario)[0] > 0
    # the original 2027 start: high flat-extrapolated back from 2028, 99 / 1.02**3 = 93.2895
    assert ets2_price([2027], "high", start=2027)[0] == pytest.approx(93.2895, abs=1e-3)
    assert ets2_adder("gasoline", [2027], "high")[0] == 0.0
    assert energy_price("gasoline", "transport", [2027], ets2="high")[0] == pytest.approx(156.9)


def test_frozen_is_the_flat_latest_price():
    years = [2025, 2030, 2050]
    # natural gas households: rows 2023 55.3, 2024 58.0, 2025 55.9 -> latest 55.9, no ETS2
    assert energy_price("natural_gas", "household", years, "frozen", ets2="high") == (
        pytest.approx([55.9] * 3)
    )
    assert energy_price("electricity", "household", years, "frozen") == pytest.approx([191.8] * 3)
    # EV charging today: business electricity (transport falls back to non_household), 330
    assert energy_price("road_electricity", "transport", years, "frozen") == pytest.approx(
        [330.0] * 3
    )
    # the model's pools read the same numbers with prices: frozen
    assert pool_price("I.1", "natural_gas", years, "frozen") == pytest.approx([55.9] * 3)
    assert pool_price("II.1", "electricity", years, "frozen") == pytest.approx([330.0] * 3)
    assert pool_price("II.1", "diesel", years, "frozen") == pytest.approx(
        energy_price("diesel", "transport", years, "frozen")
    )


@pytest.mark.parametrize(
    ("carrier", "sector"),
    [
        ("electricity", "household"),
        ("electricity", "non_household"),
        ("road_electricity", "transport"),
        ("district_heat", "household"),
        ("district_heat", "non_household"),
        ("wood", "household"),
    ],
)
def test_carriers_outside_ets2_are_unaffected(carrier, sector):
    years = [2028, 2030, 2040, 2050]
    without = energy_price(carrier, sector, years, ets2=None)
    assert energy_price(carrier, sector, years, ets2="high") == pytest.approx(without)
    assert ets2_adder(carrier, years, "high") == pytest.approx([0, 0, 0, 0])


def test_interpolation_between_data_years_by_hand():
    # central ETS2: 2030 54.3438, 2035 100 -> 2032 = 54.3438 + 2/5 x 45.6562 = 72.6063
    assert ets2_price([2032], "central")[0] == pytest.approx(72.6063, abs=1e-3)
    # household electricity: 2025 240.9, 2026 290.0, flat after (2050 row 290.0)
    assert energy_price("electricity", "household", [2025, 2026, 2040]) == pytest.approx(
        [240.9, 290.0, 290.0]
    )
    # district heat: 2030 0.31448, 2035 0.24098 -> 2033 = 0.31448 - 3/5 x 0.0735 = 0.27038
    assert district_heat_factor([2033])[0] == pytest.approx(0.27038, abs=1e-5)


def test_district_heat_path_and_frozen():
    # kit factor 0.20196 / (0.90 x 0.62617) = 0.35837, kept to 2027, then falls
    assert district_heat_factor([2021, 2027], "frozen") == pytest.approx([0.35837, 0.35837])
    assert district_heat_factor([2050], "frozen")[0] == pytest.approx(0.35837)
    wem = district_heat_factor([2021, 2027, 2028, 2045, 2050])
    assert wem[:2] == pytest.approx([0.35837, 0.35837])
    assert np.all(np.diff(wem[1:]) < 0)
    # 2035 recomputed with the necp grid (0.0863): 0.35837 x 0.65 + 0.35 x 0.5 x 0.0863 /
    # (3.0 x 0.62617) = 0.232941 + 0.008040 = 0.240980
    grid = pd.read_csv(DRIVERS / "grid_factor_trajectory.csv")
    g35 = grid[(grid.scenario == "necp") & (grid.year == 2035)]["value"].iloc[0]
    by_hand = 0.35837 * 0.65 + 0.35 * 0.5 * g35 / (3.0 * 0.62617)
    assert by_hand == pytest.approx(0.24098, abs=1e-5)
    assert district_heat_factor([2035], grid="necp")[0] == pytest.approx(by_hand, rel=1e-6)
    # a frozen grid keeps more CO2 in the heat-pump part: 0.35 x 0.5 x 0.27077 / 1.87851
    frozen_grid = district_heat_factor([2035], grid="frozen")[0]
    assert frozen_grid == pytest.approx(0.35837 * 0.65 + 0.35 * 0.5 * 0.27077 / 1.87851, abs=1e-5)


def test_unknown_names_are_refused():
    with pytest.raises(KeyError):
        ets2_price([2030], "medium")
    with pytest.raises(KeyError):
        energy_price("hydrogen", "household", [2030])
    with pytest.raises(KeyError):
        district_heat_factor([2030], "fast")


def test_ets2_reaches_the_model_objective() -> None:
    """ETS2 pass-through, by hand, in the portfolio model. Household gas (pool I.1 natural
    gas) in 2035: the path of energy_price_paths.csv is 65 EUR/MWh from 2028 on; the central
    ETS2 price in 2035 is the row 100 EUR2025/t (above the soft cap, passed in full: share 1);
    x the CoM IPCC CO2 factor of natural gas x pass-through 1. In 2027, before ETS2 starts in
    2028, the capped price 55.9 alone. The model's mutable price (M EUR per GWh) is that x 1e-3,
    and the energy term of a gas-saving renovation in 2035 is price x its gas delta."""
    from m100model.portfolio.build import build_model
    from m100model.portfolio.data import assemble
    from m100model.scenario import Scenario

    scn = Scenario(
        name="ets2",
        cities=["suceava"],
        archetypes=["bld_reno_gas", "gov_one_stop_shop"],
        target={"kind": "reduction", "year": 2035, "reduction": 0.1},
        tickets=False,
    )
    d = assemble(scn)
    k = "suceava|I.1|natural_gas"
    expected_2035 = 65.0 + 100.0 * _com_factor("natural_gas") * 1.0
    assert d.pool_price.at[k, 2035] * 1e3 == pytest.approx(expected_2035)
    assert d.pool_price.at[k, 2027] * 1e3 == pytest.approx(55.9)
    m = build_model(d)
    assert m.price[k, 2035].value == pytest.approx(expected_2035 * 1e-3)
    # ets2: none takes the allowance cost out again
    no = assemble(scn.model_copy(update={"ets2": "none"}))
    assert no.pool_price.at[k, 2035] * 1e3 == pytest.approx(65.0)
    # a gas saving of 73.461 MWh per 1000 m2 (archetype_effects.csv) saves that many GWh x price
    delta = d.effects.set_index("pool_id").loc[k, "delta"]
    saved = -float(delta) * d.pool_price.at[k, 2035] * 1e3  # thousand EUR per 1000 m2
    assert saved == pytest.approx(73.461e-3 * expected_2035, rel=1e-9)
