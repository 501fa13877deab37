"""Emissions pathways: the business-as-usual baseline and the target trajectories.

Baseline
--------
The base-year inventory is split into *activity pools*: one per GPC sub-sector and fuel in the
BASIC total (e.g. ``I.1 natural_gas`` in MWh, ``III.1 msw`` in tonnes). Each pool grows with
its driver and keeps its emission intensity, except grid electricity, whose intensity follows
the grid-decarbonisation series:

.. math::

    A_{k,t} = A_{k,0}\\,D_{k,t}, \\qquad
    I_{k,t} = I_{k,0}\\,\\frac{g_t}{g_0}\\ \\text{(electricity)}, \\qquad
    E_{k,t} = A_{k,t}\\,I_{k,t}

where :math:`D_{k,t}` is the driver index (population, floor area, vehicle-km, ...; base year
= 1) and :math:`g_t` the grid factor of year :math:`t`. That is the *frozen* baseline: every
other technology stays as it was in the base year.

The baseline a learner sees is the one **with existing measures** (WEM, the default): laws
already in force change it with no local project.

- *District heat*: its intensity follows the path of the recast Energy Efficiency Directive's
  "efficient district heating" (:func:`m100model.prices.district_heat_factor`),
  :math:`I_{k,t} = I_{k,0}\\,h_t / h_0`.
- *Road vehicles* (GPC II.1 gasoline, diesel, LPG): the vehicle stock turns over under the EU
  CO2 standards (:mod:`m100model.fleet`). A fuel pool burnt by vehicle classes :math:`c` with
  base-year energy shares :math:`w_c` (``data/drivers/road_fuel_by_vehicle_class.csv``) keeps
  :math:`A_{k,t} = A_{k,0}\\,D_{k,t} \\sum_c w_c F_{c,t}`, with :math:`F_{c,t}` the class's
  fossil-energy index (fossil share of vehicle-km times fuel per fossil km, base year = 1).
  The vehicle-km now driven electrically draw grid electricity, added to the II.1 electricity
  pool: :math:`A_{k,0}\\,D_{k,t} \\sum_c w_c (\varepsilon_{c,t} - \varepsilon_{c,0})\\,
  e_c / (\\phi_{c,0}\\, q_c)` MWh, with :math:`\varepsilon` the electric share of vehicle-km,
  :math:`e_c` and :math:`q_c` the electricity and fuel per vehicle-km.

``BaselineSettings(measures="frozen")`` gives the frozen baseline.

Targets
-------
``net_zero``: at least ``min_reduction`` (the Cities Mission asks 80%) below the base year by
the target year, reached along a linear or custom path; residual emissions from the target
year on are offset at a price. ``reduction``: a percentage below the base year by a year.
``budget``: a cumulative carbon budget over the horizon.

Everything is exchanged as tidy long tables; :func:`to_iamc` gives the IAMC form
(``model, scenario, region, variable, unit, year, value``).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from m100model.cities import load_cities
from m100model.factors import FactorLibrary
from m100model.inventory import Inventory, compute_inventory, gpc_reference
from m100model.tables import data_dir, read_table

IAMC_COLUMNS = ["model", "scenario", "region", "variable", "unit", "year", "value"]
MODEL_NAME = "m100model"

# Which driver moves each pool in the baseline: (subsector prefix, fuel kind) -> drivers
# multiplied together. Population always enters through the per-capita drivers.
_HEAT_FUELS = ("fossil", "biomass", "heat")
DRIVER_RULES: list[tuple[str, tuple[str, ...], tuple[str, ...]]] = [
    ("I.1", _HEAT_FUELS, ("floor_area", "heat_demand_per_m2")),
    ("I.1", ("electricity",), ("population", "electricity_demand_per_capita")),
    ("I.2", _HEAT_FUELS, ("population", "heat_demand_per_m2")),
    ("I.2", ("electricity",), ("population", "electricity_demand_per_capita")),
    ("II.1", ("electricity",), ("vkm_bus",)),
    ("II.1", ("fossil", "biomass"), ("vkm_car",)),
    ("II.2", ("fossil", "electricity"), ("vkm_bus",)),
    ("III", ("waste",), ("population", "waste_per_capita")),
    ("III", ("wastewater",), ("population",)),
]
DEFAULT_DRIVERS = ("population",)


def _interp(years: list[int], xs: pd.Series, ys: pd.Series) -> np.ndarray:
    """Linear interpolation with flat extrapolation beyond the data."""
    order = np.argsort(xs.to_numpy(dtype=float))
    return np.interp(years, xs.to_numpy(dtype=float)[order], ys.to_numpy(dtype=float)[order])


@functools.lru_cache(maxsize=1)
def _driver_tables() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    folder = data_dir() / "drivers"
    pop = read_table(
        folder / "population_projection.csv",
        ["geo", "year", "value", "unit"],
        numeric=["year", "value"],
    )
    act = read_table(
        folder / "activity_drivers.csv",
        ["driver", "geo", "year", "value", "unit"],
        numeric=["year", "value"],
    )
    grid = read_table(
        folder / "grid_factor_trajectory.csv",
        ["scenario", "year", "value", "unit"],
        numeric=["year", "value"],
    )
    return pop, act, grid


def grid_scenarios() -> list[str]:
    """Names of the grid-factor trajectories in ``data/drivers/grid_factor_trajectory.csv``."""
    return sorted(set(_driver_tables()[2]["scenario"]))


def grid_trajectory(scenario: str, years: list[int]) -> np.ndarray:
    """Grid electricity factor (t CO2/MWh) by year for a named trajectory."""
    grid = _driver_tables()[2]
    rows = grid[grid["scenario"] == scenario]
    if rows.empty:
        raise KeyError(
            f"unknown grid trajectory '{scenario}' (expected one of: {', '.join(grid_scenarios())})"
        )
    return _interp(years, rows["year"], rows["value"])


def population_index(city: str, years: list[int]) -> np.ndarray:
    """Population index (base 2021 = 1) for a city: the projection of its county (NUTS 3) if
    available, else its region (NUTS 2), else Romania."""
    pop = _driver_tables()[0]
    cities = load_cities()
    geos = [cities.at[city, c] for c in ("nuts3", "nuts2")] if city in cities.index else []
    for geo in [*geos, "RO"]:
        rows = pop[pop["geo"] == geo]
        if not rows.empty:
            return _interp(years, rows["year"], rows["value"])
    raise KeyError("population projection has no row for RO")


def driver_index(driver: str, city: str, years: list[int]) -> np.ndarray:
    """Index (base year = 1) of one baseline driver for a city."""
    if driver == "population":
        return population_index(city, years)
    act = _driver_tables()[1]
    rows = act[(act["driver"] == driver) & (act["geo"] == "RO")]
    if rows.empty:
        raise KeyError(f"unknown driver '{driver}'")
    return _interp(years, rows["year"], rows["value"])


def drivers_for(subsector: str, kind: str) -> tuple[str, ...]:
    """The drivers that move a pool (see :data:`DRIVER_RULES`)."""
    for prefix, kinds, drivers in DRIVER_RULES:
        if (subsector == prefix or subsector.startswith(prefix + ".")) and kind in kinds:
            return drivers
    return DEFAULT_DRIVERS


def pool_unit(kind: str) -> str:
    """Pools of energy carriers are in MWh, of waste and wastewater in tonnes."""
    return "t" if kind in ("waste", "wastewater") else "MWh"


def activity_pools(inv: Inventory) -> pd.DataFrame:
    """The inventory's BASIC emissions as pools: one row per GPC sub-sector and fuel, with the
    activity (MWh or t), the emissions (t CO2e) and their ratio, the intensity."""
    e = inv.emissions[inv.emissions["basic"]]
    rows = []
    for (sub, fuel), part in e.groupby(["subsector", "fuel"], sort=False):
        kind = inv.factors.fuel_kind(fuel)
        per_row = part.drop_duplicates("row")
        if pool_unit(kind) == "MWh":
            activity = float(per_row["energy_mwh"].sum())
        else:
            activity = sum(float(r.amount) * _to_tonnes(r.unit) for r in per_row.itertuples())
        tco2e = float(part["tco2e"].sum())
        rows.append(
            dict(
                subsector=sub,
                fuel=fuel,
                kind=kind,
                unit=pool_unit(kind),
                activity=activity,
                tco2e=tco2e,
                intensity=tco2e / activity if activity else 0.0,
            )
        )
    return pd.DataFrame(rows)


def _to_tonnes(unit: str) -> float:
    from m100model.units import parse_unit

    return float((1 * parse_unit(unit)).to("t").magnitude)


def unit_intensity(
    subsector: str, fuel: str, year: int, factors: FactorLibrary, *, gwp: str, grid_method: str
) -> float:
    """t CO2e per MWh (or per t) of a pool the inventory does not have, e.g. electricity for
    trams added by a project: computed by the inventory engine on one unit of activity."""
    kind = factors.fuel_kind(fuel)
    scope_ref = f"{subsector}.2" if kind in ("electricity", "heat") else f"{subsector}.1"
    if scope_ref not in gpc_reference().index:
        raise KeyError(f"no GPC reference {scope_ref} for {fuel}")
    frame = pd.DataFrame(
        [
            dict(
                city="_",
                year=year,
                gpc_ref=scope_ref,
                fuel=fuel,
                amount=1.0,
                unit=pool_unit(kind),
                notation_key=None,
                ef_id=None,
                vehicle=None,
                quality=None,
                comment=None,
                row=2,
            )
        ]
    )
    frame.attrs["path"] = "<pool>"
    inv = compute_inventory(frame, gwp=gwp, grid_method=grid_method, factors=factors)
    return inv.basic_tco2e


BASELINES = ("wem", "frozen")


@dataclass(frozen=True)
class BaselineSettings:
    """How the baseline is projected: the grid path, and ``measures``: ``wem`` (with existing
    measures: district-heat path, vehicle-stock turnover) or ``frozen`` (base-year
    technology)."""

    grid_scenario: str = "necp"
    measures: str = "wem"


@functools.lru_cache(maxsize=1)
def road_fuel_classes() -> pd.DataFrame:
    """Vehicle classes burning each road fuel (energy shares) and their fuel per vehicle-km
    (``data/drivers/road_fuel_by_vehicle_class.csv``)."""
    df = read_table(
        data_dir() / "drivers" / "road_fuel_by_vehicle_class.csv",
        ["fuel", "vehicle_class", "parameter", "value", "unit"],
        numeric=["value"],
    )
    return df.pivot_table(
        index=["fuel", "vehicle_class"], columns="parameter", values="value", aggfunc="first"
    )


@functools.lru_cache(maxsize=16)
def _fleet(vehicle_class: str, years: tuple[int, ...]) -> pd.DataFrame:
    from m100model.fleet import fleet_paths

    return fleet_paths(vehicle_class, list(years)).set_index("year")


def road_paths(fuel: str, years: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """For a road fuel pool under the WEM baseline: its fossil-energy index (base year = 1,
    before the vehicle-km driver) and the grid electricity the electric vehicle-km add, in
    MWh per MWh of the pool's base-year fuel. ``years`` starts with the base year."""
    from m100model.fleet import electric_mwh_per_base_fossil_mwh

    table = road_fuel_classes()
    index = np.zeros(len(years))
    electric = np.zeros(len(years))
    for (f, c), row in table.iterrows():
        if f != fuel:
            continue
        df = _fleet(str(c), tuple(years))
        w = float(row["energy_share"])
        fossil = df["fossil_energy_index"].to_numpy(float)
        index += w * fossil / fossil[0]
        electric += w * electric_mwh_per_base_fossil_mwh(
            df.reset_index(), float(row["fossil_kwh_per_vkm"])
        )
    return index, electric


def baseline(
    inv: Inventory, years: list[int], settings: BaselineSettings | None = None
) -> pd.DataFrame:
    """Business-as-usual projection of a city's BASIC emissions by pool and year.

    Returns a tidy table ``city, subsector, fuel, kind, unit, year, activity, intensity,
    tco2e`` (intensity in t CO2e per unit of activity).
    """
    settings = settings or BaselineSettings()
    if settings.measures not in BASELINES:
        raise ValueError(
            f"unknown baseline '{settings.measures}' (expected one of: {', '.join(BASELINES)})"
        )
    wem = settings.measures == "wem"
    base_year = inv.year
    all_years = [y for y in sorted({base_year, *years}) if y >= base_year]
    grid = grid_trajectory(settings.grid_scenario, all_years)
    g0 = grid[0]
    road = road_fuel_classes().index.get_level_values("fuel") if wem else []
    pools = activity_pools(inv)
    ev = np.zeros(len(all_years))  # MWh of grid electricity for electric vehicle-km
    dh = None  # the district-heat factor path, read when a pool needs it
    activity, intensity = {}, {}
    for pool in pools.itertuples():
        index = np.ones(len(all_years))
        for d in drivers_for(pool.subsector, pool.kind):
            series = driver_index(d, inv.city, all_years)
            index = index * series / series[0]
        inten = np.full(len(all_years), pool.intensity)
        if pool.kind == "electricity" and g0 > 0:
            inten = pool.intensity * grid / g0
        if wem and pool.kind == "heat" and pool.fuel == "district_heat":
            if dh is None:
                from m100model.prices import district_heat_factor

                dh = district_heat_factor(all_years)
            inten = pool.intensity * dh / dh[0]
        if wem and _on_road(pool.subsector) and pool.fuel in road:
            fossil, electric = road_paths(pool.fuel, all_years)
            ev += pool.activity * index * electric
            index = index * fossil
        activity[(pool.subsector, pool.fuel, pool.kind, pool.unit)] = pool.activity * index
        intensity[(pool.subsector, pool.fuel, pool.kind, pool.unit)] = inten
    if ev.any():
        sub = next((k[0] for k in activity if _on_road(k[0])), "II.1")
        key = next((k for k in activity if k[0] == sub and k[2] == "electricity"), None)
        if key is None:  # the city reported no road electricity: the pool starts empty
            key = (sub, "electricity", "electricity", "MWh")
            i0 = unit_intensity(
                sub,
                "electricity",
                base_year,
                inv.factors,
                gwp=inv.gwp_set,
                grid_method=inv.grid_method,
            )
            activity[key] = np.zeros(len(all_years))
            intensity[key] = i0 * grid / g0 if g0 > 0 else np.full(len(all_years), i0)
        activity[key] = activity[key] + ev
    out = []
    for (sub, fuel, kind, unit), act in activity.items():
        inten = intensity[(sub, fuel, kind, unit)]
        for i, y in enumerate(all_years):
            if y in years or y == base_year:
                out.append(
                    dict(
                        city=inv.city,
                        subsector=sub,
                        fuel=fuel,
                        kind=kind,
                        unit=unit,
                        year=y,
                        activity=act[i],
                        intensity=inten[i],
                        tco2e=act[i] * inten[i],
                    )
                )
    return pd.DataFrame(out)


def _on_road(subsector: str) -> bool:
    """GPC II.1, on-road transportation."""
    return subsector == "II.1" or subsector.startswith("II.1.")


# ---------------------------------------------------------------------------------------
# Targets
# ---------------------------------------------------------------------------------------
def linear_path(
    base_value: float,
    base_year: int,
    target_year: int,
    reduction: float,
    years: list[int],
    start: tuple[int, float] | None = None,
) -> np.ndarray:
    """Straight line to ``(1 - reduction) x base_value`` in the target year, flat afterwards.

    The line starts at the base year and base value, or at ``start = (year, value)``: a plan
    adopted in 2025 starts from where the city is in 2025, not from its 2021 inventory.
    """
    y0, v0 = start if start is not None else (base_year, base_value)
    goal = base_value * (1.0 - reduction)
    if target_year <= y0:
        return np.full(len(years), goal)
    frac = np.clip((np.asarray(years, dtype=float) - y0) / (target_year - y0), 0.0, 1.0)
    return v0 + (goal - v0) * frac


def custom_path(base_value: float, points: dict[int, float], years: list[int]) -> np.ndarray:
    """Path through given ``{year: reduction share}`` points, linear in between."""
    xs = pd.Series(list(points))
    ys = pd.Series([1.0 - v for v in points.values()])
    return base_value * _interp(years, xs, ys)


def target_path(
    base_value: float,
    base_year: int,
    years: list[int],
    *,
    kind: str,
    year: int | None = None,
    reduction: float | None = None,
    points: dict[int, float] | None = None,
    start: tuple[int, float] | None = None,
) -> np.ndarray:
    """Emission cap by year for ``kind`` = ``net_zero`` / ``reduction`` (linear from
    ``start`` or the base year to the target year, then held) or ``custom`` (through
    ``points``, reduction shares relative to the base year)."""
    if kind in ("net_zero", "reduction"):
        if year is None or reduction is None:
            raise ValueError(f"a {kind} target needs a year and a reduction share")
        return linear_path(base_value, base_year, year, reduction, years, start)
    if kind == "custom":
        if not points:
            raise ValueError("a custom target needs points {year: reduction share}")
        return custom_path(base_value, points, years)
    raise ValueError(f"unknown target kind '{kind}'")


# ---------------------------------------------------------------------------------------
# IAMC
# ---------------------------------------------------------------------------------------
def iamc_variable(subsector: str) -> str:
    """IAMC variable name for a GPC sub-sector's emissions, e.g.
    ``Emissions|CO2e|Stationary Energy|Residential buildings``."""
    ref = gpc_reference().drop_duplicates("subsector").set_index("subsector")
    return (
        f"Emissions|CO2e|{ref.at[subsector, 'sector_name']}|{ref.at[subsector, 'subsector_name']}"
    )


def to_iamc(
    df: pd.DataFrame,
    *,
    scenario: str,
    value: str = "tco2e",
    unit: str = "t CO2e/yr",
    region_col: str = "city",
    model: str = MODEL_NAME,
) -> pd.DataFrame:
    """Long IAMC table from a tidy pathway table with ``subsector`` and ``year`` columns."""
    grouped = df.groupby([region_col, "subsector", "year"], sort=True)[value].sum().reset_index()
    return pd.DataFrame(
        {
            "model": model,
            "scenario": scenario,
            "region": grouped[region_col],
            "variable": grouped["subsector"].map(iamc_variable),
            "unit": unit,
            "year": grouped["year"].astype(int),
            "value": grouped[value],
        }
    )[IAMC_COLUMNS]


def write_iamc(df: pd.DataFrame, path: str | Path) -> None:
    """Write an IAMC table to ``.csv`` or ``.xlsx`` (wide, one column per year, as IAMC
    templates do)."""
    path = Path(path)
    if path.suffix.lower() == ".xlsx":
        wide = df.pivot_table(index=IAMC_COLUMNS[:5], columns="year", values="value").reset_index()
        wide.to_excel(path, index=False, sheet_name="data")
    else:
        df.to_csv(path, index=False)
