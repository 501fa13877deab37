"""Energy prices, the ETS2 carbon price and the district-heat emission factor to 2050.

These are the price and district-heating inputs of a "with existing measures" (WEM) baseline.
Every number comes from ``data/drivers/`` (``ets2.csv``, ``energy_price_paths.csv``,
``district_heat_factor.csv``, ``energy_prices.csv``) or ``data/factors/``; see
``data/drivers/README.md`` for the sources and quality flags.

Units
-----
Prices are in **constant euros of the price basis year** (2025: row ``price_basis_year`` of
``ets2.csv``), EUR/MWh for energy and EUR/t CO2 for allowances. The base prices are 2022-2025
snapshots taken as they are (not re-deflated); ETS2 prices published in nominal euros are
deflated to the basis year.

ETS2 allowance price
--------------------
A price point :math:`v` of scenario :math:`s` is converted to basis-year euros with the euro-area
HICP index :math:`I_t` (2020 = 1; after its last year :math:`L` it grows at the assumed rate
:math:`\\pi`, :math:`I_t = I_L (1 + \\pi)^{t - L}`):

.. math::

    p = v\\,\\frac{I_B}{I_t}\\ \\text{(unit "EUR/t nominal", price of year } t\\text{)}, \\qquad
    p = v\\,\\frac{I_B}{I_Y}\\ \\text{(unit "EUR}Y\\text{/t")}

where :math:`B` is the basis year. Points are interpolated linearly, flat beyond the data
(:math:`\\tilde p_{s,t}`). The price-stability mechanism (Directive 2003/87/EC art. 30h) releases
allowances when the price exceeds EUR 45 in 2020 prices; the soft cap in basis-year euros is
:math:`c = 45\\,I_B / I_{2020}` and a scenario keeps a share :math:`\\varphi_s` (``soft_cap_pass``)
of the excess:

.. math::

    p_{s,t} = \\min(\\tilde p_{s,t}, c) + \\varphi_s \\max(\\tilde p_{s,t} - c, 0), \\qquad
    \\mathrm{ETS2}_{s,t} = p_{s,t}\\ \\text{if}\\ t \\ge t_0\\ \\text{else}\\ 0

with :math:`t_0` the start year (2028 after the 2026 amendment; ``start=`` overrides it).

Energy price
------------
For carrier :math:`k` and sector :math:`j`
(``household``, ``non_household``, ``transport``):

.. math::

    P_{k,j,t} = P^0_{k,j,t} + \\delta_k\\,\\mathrm{ETS2}_{s,t}\\,e_k\\,\\theta

- :math:`P^0` the path of ``energy_price_paths.csv`` (excluding ETS2), linear between its years
  and flat beyond;
- :math:`\\delta_k \\in \\{0, 1\\}` whether ETS2 covers the carrier (``covered`` rows of
  ``ets2.csv``: natural gas, diesel, gasoline, LPG, heating oil; not electricity, district heat
  from ETS1 plants, or wood);
- :math:`e_k` the CO2 factor of the fuel in t/MWh (Covenant of Mayors IPCC factor in
  ``data/factors/com_factors.csv``, e.g. natural gas 0.20196);
- :math:`\\theta` the pass-through share (``pass_through`` row, 1.0 by default).

If a sector has no path for the carrier, ``transport``, ``energy_industry`` and ``mixed``
fall back to ``non_household``, then any other sector. ``scenario="frozen"`` reproduces the
kit's earlier behaviour: the latest price of ``energy_prices.csv`` for the fuel and consumer,
flat, no ETS2 (``road_electricity`` reads ``electricity``, so EV charging gets the business
price).

District-heat emission factor
-----------------------------
CO2 per MWh of heat delivered, assuming every network meets the "efficient district heating"
definition of Directive (EU) 2023/1791 art. 26 by the cheapest route (an ASSUMPTION about what
happens, not a legal obligation; see the quality flags):

.. math::

    f_t = F_0\\,(1 - r_t) + r_t\\,h_t\\,\\frac{g_t}{\\mathrm{COP}_t\\,\\eta_t}

- :math:`F_0` the kit's 2021 factor (``derived.heat_supply.district_heat``, 0.35837);
- :math:`r_t` the renewable + waste-heat share;
- :math:`h_t` the heat-pump share of that heat (the rest, biomass and waste heat, counts 0);
- :math:`g_t` the grid factor;
- :math:`\\mathrm{COP}_t` the heat-pump coefficient of performance;
- :math:`\\eta_t` the delivered/produced heat ratio.

By default the stored values (computed with the ``necp`` grid) are interpolated;
``grid=<scenario of grid_factor_trajectory.csv>`` recomputes the formula with another grid path.
``scenario="frozen"`` keeps :math:`F_0` flat (today's behaviour).

How the model uses it
---------------------
- Pool prices: :func:`pool_price` gives every activity pool of the portfolio model its
  price path (:func:`pool_carrier_sector` says which carrier and sector it pays);
  ``m100model.portfolio.data.assemble`` reads it with the scenario's ``prices`` and
  ``ets2`` settings, so an energy saving is worth more once ETS2 starts.
- District heat in the baseline: ``m100model.pathways`` scales the CO2 intensity of
  district-heat pools by ``district_heat_factor(years) / district_heat_factor([base_year])``.
- ``data/drivers/policy_rules.csv`` lists the boiler rules (no subsidy for stand-alone fossil
  boilers from 2025, zero-emission new buildings from 2028/2030, phase-out by 2040).
- :func:`price_table` gives the tidy table used in reports.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from m100model.factors import load_factors
from m100model.tables import data_dir, read_table

# Fallback order when a sector has no price: transport and large energy users pay the
# business price where they have no path of their own.
_FALLBACK = {
    "transport": ("non_household", "household"),
    "energy_industry": ("non_household", "household"),
    "mixed": ("transport", "non_household", "household"),
    "non_household": ("household", "transport"),
    "household": ("non_household", "transport"),
}
# The price of on-road EV charging: the mix of home, depot and public charging
# (``road_electricity``/``mixed`` rows of energy_price_paths.csv).
ROAD_ELECTRICITY_SECTOR = "mixed"
# energy_prices.csv has no separate EV-charging carrier: today's kit prices it as electricity.
_FROZEN_CARRIER = {"road_electricity": "electricity"}
NO_ETS2 = (None, "none")

YearsLike = int | Iterable[int]


def _years(years: YearsLike) -> np.ndarray:
    return np.atleast_1d(np.asarray(years, dtype=float))


def _interp(years: np.ndarray, xs: Iterable[float], ys: Iterable[float]) -> np.ndarray:
    """Linear interpolation, flat beyond the data."""
    x = np.asarray(list(xs), dtype=float)
    y = np.asarray(list(ys), dtype=float)
    order = np.argsort(x)
    return np.interp(years, x[order], y[order])


# -- tables --------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=4)
def _tables(folder: str) -> dict[str, pd.DataFrame]:
    path = Path(folder)
    ets2 = read_table(
        path / "ets2.csv",
        ["parameter", "scenario", "carrier", "fuel", "year", "value", "unit"],
        numeric=["value"],
    )
    ets2["year"] = pd.to_numeric(ets2["year"].replace("", np.nan))
    paths = read_table(
        path / "energy_price_paths.csv",
        ["carrier", "sector", "year", "value", "unit", "scenario"],
        numeric=["year", "value"],
    )
    today = read_table(
        path / "energy_prices.csv",
        ["fuel", "consumer", "year", "value", "unit"],
        numeric=["year", "value"],
    )
    dh = read_table(
        path / "district_heat_factor.csv",
        [
            "scenario",
            "year",
            "value",
            "unit",
            "renewable_waste_share",
            "heat_pump_share",
            "heat_pump_cop",
            "delivered_ratio",
            "grid_scenario",
        ],
        numeric=[
            "year",
            "value",
            "renewable_waste_share",
            "heat_pump_share",
            "heat_pump_cop",
            "delivered_ratio",
        ],
    )
    return {"ets2": ets2, "paths": paths, "today": today, "dh": dh}


def tables() -> dict[str, pd.DataFrame]:
    """The four tables (``ets2``, ``paths``, ``today``, ``dh``) read from ``data/drivers``."""
    return _tables(str((data_dir() / "drivers").resolve()))


def _param(name: str, scenario: str = "all", carrier: str = "all") -> pd.DataFrame:
    ets2 = tables()["ets2"]
    rows = ets2[
        (ets2["parameter"] == name) & (ets2["scenario"] == scenario) & (ets2["carrier"] == carrier)
    ]
    if rows.empty:
        raise KeyError(f"ets2.csv has no '{name}' row for scenario '{scenario}', '{carrier}'")
    return rows


def _scalar(name: str, scenario: str = "all", carrier: str = "all") -> float:
    return float(_param(name, scenario, carrier)["value"].iloc[0])


# -- ETS2 ----------------------------------------------------------------------------------------
def ets2_scenarios() -> list[str]:
    """Names of the ETS2 price scenarios in ``ets2.csv``."""
    ets2 = tables()["ets2"]
    return sorted(set(ets2.loc[ets2["parameter"] == "price", "scenario"]))


def ets2_start_year() -> int:
    """First year fuel suppliers surrender ETS2 allowances (``start_year`` row)."""
    return int(_scalar("start_year"))


def price_basis_year() -> int:
    """Year whose constant euros all prices are expressed in."""
    return int(_scalar("price_basis_year"))


def hicp_index(years: YearsLike) -> np.ndarray:
    """Euro-area HICP index (2020 = 1), extended geometrically at ``inflation_after_index``."""
    rows = _param("hicp_index").sort_values("year")
    ys = _years(years)
    last_year = float(rows["year"].iloc[-1])
    last = float(rows["value"].iloc[-1])
    rate = _scalar("inflation_after_index")
    inside = _interp(ys, rows["year"], rows["value"])
    after = last * (1.0 + rate) ** (ys - last_year)
    return np.where(ys > last_year, after, inside)


def to_basis_euros(value: float, unit: str, year: float) -> float:
    """A price in ``EUR/t nominal`` (of ``year``), ``EUR<Y>/t`` or ``EUR<Y>/MWh`` in euros of
    the basis year."""
    basis = hicp_index(price_basis_year())[0]
    head = unit.split("/")[0].strip()
    if unit.strip().endswith("nominal"):
        return value * basis / hicp_index(year)[0]
    if head.startswith("EUR") and head[3:].isdigit():
        return value * basis / hicp_index(int(head[3:]))[0]
    raise ValueError(f"unknown price unit '{unit}' (expected 'EUR/t nominal' or 'EUR<year>/t')")


def soft_cap() -> float:
    """The 45 EUR(2020)/t price-stability trigger in basis-year euros."""
    row = _param("soft_cap").iloc[0]
    return to_basis_euros(float(row["value"]), str(row["unit"]), np.nan)


def apply_soft_cap(prices: np.ndarray, cap: float, pass_share: float) -> np.ndarray:
    """``min(p, cap) + pass_share * max(p - cap, 0)``: 0 holds the price at the cap, 1 ignores
    it."""
    p = np.asarray(prices, dtype=float)
    return np.minimum(p, cap) + pass_share * np.maximum(p - cap, 0.0)


def ets2_price(years: YearsLike, scenario: str = "central", start: int | None = None) -> np.ndarray:
    """ETS2 allowance price (EUR/t CO2, constant basis-year euros), 0 before the start year.

    ``scenario`` is one of :func:`ets2_scenarios` (``low``, ``central``, ``high``); ``start``
    overrides the start year of ``ets2.csv`` (2028), e.g. ``start=2027`` for the original date.
    """
    if scenario not in ets2_scenarios():
        raise KeyError(
            f"unknown ETS2 scenario '{scenario}' (expected one of: {', '.join(ets2_scenarios())})"
        )
    ys = _years(years)
    rows = _param("price", scenario)
    points = [
        to_basis_euros(float(r["value"]), str(r["unit"]), float(r["year"]))
        for _, r in rows.iterrows()
    ]
    raw = _interp(ys, rows["year"], points)
    capped = apply_soft_cap(raw, soft_cap(), _scalar("soft_cap_pass", scenario))
    first = ets2_start_year() if start is None else start
    return np.where(ys >= first, capped, 0.0)


def ets2_covered(carrier: str) -> bool:
    """Whether ETS2 covers the carrier (``covered`` rows of ``ets2.csv``)."""
    ets2 = tables()["ets2"]
    rows = ets2[(ets2["parameter"] == "covered") & (ets2["carrier"] == carrier)]
    return bool(not rows.empty and float(rows["value"].iloc[0]) > 0)


def ets2_factor(carrier: str) -> float:
    """CO2 factor (t/MWh) used for the ETS2 cost of a covered carrier, from ``data/factors``."""
    fuel = str(_param("covered", carrier=carrier)["fuel"].iloc[0])
    factor = load_factors().com_factor(fuel, "ipcc")
    if factor is None:
        raise KeyError(f"no CO2 factor for fuel '{fuel}' in data/factors/com_factors.csv")
    return factor


def ets2_adder(
    carrier: str, years: YearsLike, ets2: str | None = "central", start: int | None = None
) -> np.ndarray:
    """The ETS2 cost in EUR/MWh: ``ETS2 price x CO2 factor x pass-through`` (0 if the carrier
    is not covered or ``ets2`` is ``None``/``"none"``)."""
    ys = _years(years)
    if ets2 in NO_ETS2 or not ets2_covered(carrier):
        return np.zeros_like(ys)
    share = _scalar("pass_through")
    return ets2_price(ys, ets2, start) * ets2_factor(carrier) * share


# -- energy prices -------------------------------------------------------------------------------
def carriers() -> list[str]:
    """Carriers with a price path."""
    return sorted(set(tables()["paths"]["carrier"]))


def _choose(rows: pd.DataFrame, column: str, sector: str) -> pd.DataFrame:
    for who in (sector, *_FALLBACK.get(sector, ())):
        chosen = rows[rows[column] == who]
        if not chosen.empty:
            return chosen
    return rows


def frozen_price(carrier: str, sector: str) -> float:
    """Today's price: latest row of ``energy_prices.csv`` (same sector fallback as the paths)."""
    today = tables()["today"]
    fuel = _FROZEN_CARRIER.get(carrier, carrier)
    rows = today[(today["fuel"] == fuel) & (today["unit"] == "EUR/MWh")]
    if rows.empty:
        raise KeyError(f"energy_prices.csv has no price for '{fuel}'")
    chosen = _choose(rows, "consumer", sector)
    return float(chosen.sort_values("year")["value"].iloc[-1])


def base_price(carrier: str, sector: str, years: YearsLike, scenario: str = "wem") -> np.ndarray:
    """The price path without ETS2 (EUR/MWh)."""
    ys = _years(years)
    if scenario == "frozen":
        return np.full_like(ys, frozen_price(carrier, sector))
    paths = tables()["paths"]
    rows = paths[(paths["carrier"] == carrier) & (paths["scenario"] == scenario)]
    if rows.empty:
        raise KeyError(
            f"no '{scenario}' price path for carrier '{carrier}' "
            f"(carriers: {', '.join(carriers())})"
        )
    chosen = _choose(rows, "sector", sector)
    return _interp(ys, chosen["year"], chosen["value"])


def energy_price(
    carrier: str,
    sector: str,
    years: YearsLike,
    scenario: str = "wem",
    ets2: str | None = "central",
    start: int | None = None,
) -> np.ndarray:
    """Price in EUR/MWh of a carrier for a sector by year: the path plus the ETS2 pass-through.

    ``scenario="frozen"`` gives today's flat price without ETS2 whatever ``ets2`` says.
    """
    base = base_price(carrier, sector, years, scenario)
    if scenario == "frozen":
        return base
    return base + ets2_adder(carrier, years, ets2, start)


def pool_carrier_sector(subsector: str, fuel: str) -> tuple[str, str]:
    """The carrier and sector whose price a model pool pays: households for I.1, transport for
    II (EV charging on the road, II.1 electricity, is the ``road_electricity`` carrier with its
    charging mix), large energy users for I.4 (district-heating heat pumps), businesses
    otherwise."""
    if subsector == "II.1" and fuel == "electricity":
        return "road_electricity", ROAD_ELECTRICITY_SECTOR
    for prefix, sector in (("I.1", "household"), ("I.4", "energy_industry"), ("II", "transport")):
        if subsector == prefix or subsector.startswith(prefix + "."):
            return fuel, sector
    return fuel, "non_household"


def pool_price(
    subsector: str,
    fuel: str,
    years: YearsLike,
    scenario: str = "wem",
    ets2: str | None = "central",
) -> np.ndarray:
    """EUR/MWh a model pool pays by year (:func:`pool_carrier_sector`): the carrier's path
    with the ETS2 pass-through; a carrier with no path keeps today's price (plus ETS2 where it
    is covered); 0 where no price is known at all (waste, or a fuel without data)."""
    carrier, sector = pool_carrier_sector(subsector, fuel)
    ys = _years(years)
    try:
        base = base_price(carrier, sector, ys, scenario if carrier in carriers() else "frozen")
    except KeyError:
        return np.zeros_like(ys)
    return base if scenario == "frozen" else base + ets2_adder(carrier, ys, ets2)


def price_table(
    years: YearsLike, scenario: str = "wem", ets2: str | None = "central"
) -> pd.DataFrame:
    """Tidy table ``carrier, sector, year, without_ets2, ets2, with_ets2`` (EUR/MWh) of every
    carrier and sector that has a path."""
    ys = _years(years)
    paths = tables()["paths"]
    out = []
    for (carrier, sector), _ in paths[paths["scenario"] == scenario].groupby(
        ["carrier", "sector"], sort=True
    ):
        base = base_price(carrier, sector, ys, scenario)
        add = ets2_adder(carrier, ys, ets2)
        out.append(
            pd.DataFrame(
                {
                    "carrier": carrier,
                    "sector": sector,
                    "year": ys.astype(int),
                    "without_ets2": base,
                    "ets2": add,
                    "with_ets2": base + add,
                }
            )
        )
    return pd.concat(out, ignore_index=True)


# -- district heat -------------------------------------------------------------------------------
def frozen_district_heat_factor() -> float:
    """The kit's district-heat CO2 factor (t/MWh delivered) from ``data/factors``."""
    lib = load_factors()
    ef_id = lib.default_ef_id("district_heat", "heat_supply")
    if ef_id is None:
        raise KeyError("data/factors has no default district_heat factor")
    rows = lib.factor_set(ef_id).set_index("gas")
    return float(rows.at["CO2", "value"])


def district_heat_factor(
    years: YearsLike, scenario: str = "wem", grid: str | None = None
) -> np.ndarray:
    """District-heat CO2 factor (t CO2 per MWh delivered) by year.

    ``scenario="wem"``: the EED art. 26 path of ``district_heat_factor.csv`` (interpolated), or
    with ``grid`` the formula recomputed with that grid trajectory; ``"frozen"``: the 2021
    factor, flat.
    """
    ys = _years(years)
    if scenario == "frozen":
        return np.full_like(ys, frozen_district_heat_factor())
    dh = tables()["dh"]
    rows = dh[dh["scenario"] == scenario]
    if rows.empty:
        raise KeyError(f"unknown district-heat scenario '{scenario}' (expected wem or frozen)")
    if grid is None:
        return _interp(ys, rows["year"], rows["value"])
    from m100model.pathways import grid_trajectory  # pathways imports the inventory stack

    def col(name: str) -> np.ndarray:
        return _interp(ys, rows["year"], rows[name])

    share = col("renewable_waste_share")
    g = grid_trajectory(grid, [int(y) for y in ys])
    electric = col("heat_pump_share") * g / (col("heat_pump_cop") * col("delivered_ratio"))
    return frozen_district_heat_factor() * (1.0 - share) + share * electric


def district_heat_renewable_share(years: YearsLike, scenario: str = "wem") -> np.ndarray:
    """Renewable + waste-heat share :math:`r_t` of delivered heat (0 for ``frozen``)."""
    ys = _years(years)
    if scenario == "frozen":
        return np.zeros_like(ys)
    dh = tables()["dh"]
    rows = dh[dh["scenario"] == scenario]
    return _interp(ys, rows["year"], rows["renewable_waste_share"])
