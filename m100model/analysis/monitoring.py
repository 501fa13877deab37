"""Monitoring, reporting and verification (MRV): is the city on track?

- :func:`track_progress` compares a monitoring inventory (a later year) with the planned
  pathway of a solved portfolio, GPC sector by sector: on track or off track, and the gap
  in kt CO2e.
- :func:`lmdi` decomposes the change in emissions between two states (two inventories, two
  years of a pathway, or the baseline and the plan) into four drivers with the additive
  log-mean Divisia index (LMDI-I, Ang 2004; 2015):

  .. math::

      E = \\sum_{u,i} Q \\cdot \\frac{A_u}{Q} \\cdot \\frac{A_{u,i}}{A_u}
          \\cdot \\frac{E_{u,i}}{A_{u,i}}
      \\qquad
      \\Delta E_X = \\sum_{u,i} L(E^1_{u,i}, E^0_{u,i}) \\ln \\frac{X^1_{u,i}}{X^0_{u,i}},
      \\quad L(a, b) = \\frac{a - b}{\\ln a - \\ln b}

  with :math:`Q` the activity (population by default): the **activity** effect;
  :math:`A_u/Q` the energy use (MWh, or waste in t for family :math:`u` = waste) per unit
  of activity: the **energy intensity** effect; :math:`A_{u,i}/A_u` the share of each
  sub-sector and fuel :math:`i`: the **structure** effect; :math:`E_{u,i}/A_{u,i}` the
  **emission factor** effect. The effects add up to the change exactly (no residual). Where a
  sub-sector or fuel exists in one state only, the limit of the log-mean as the zero value
  tends to zero (Ang and Liu, 2007) gives the whole change of that row to the factor that is
  zero, and nothing to the others.
- :func:`transition_indicators`: indicators beyond total emissions, per year, from the
  portfolio's deployment (renovated floor area, share of electric buses, local renewable
  electricity share, ...), in the spirit of Denmark's municipal climate monitoring.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyomo.environ as pyo

from m100model.cities import load_cities
from m100model.errors import InputError
from m100model.inventory import Inventory, gpc_reference
from m100model.pathways import activity_pools, population_index
from m100model.portfolio.solve import PortfolioSolver

EFFECTS = ("activity", "structure", "energy_intensity", "emission_factor")
EFFECT_NAMES = {
    "activity": "Activity (population)",
    "structure": "Structure (sector and fuel mix)",
    "energy_intensity": "Energy intensity (energy per person)",
    "emission_factor": "Emission factor (emissions per unit of energy)",
}
REMOVALS = "removals"


def _sector_names() -> dict[str, str]:
    ref = gpc_reference()
    return dict(zip(ref["sector"], ref["sector_name"], strict=False))


# ---------------------------------------------------------------------------------------
# On track or off track
# ---------------------------------------------------------------------------------------
def planned_by_sector(solver: PortfolioSolver) -> pd.DataFrame:
    """The solved pathway by city, GPC sector and year: ``planned_kt`` (with the projects)
    and ``baseline_kt`` (without); removals by nature-based projects as sector
    ``removals`` (negative)."""
    m, d = solver.model, solver.data
    names = _sector_names()
    rows = []
    for k in m.K:
        city = str(d.pools.at[k, "city"])
        sector = str(d.pools.at[k, "subsector"]).split(".")[0]
        for t in m.T:
            intensity = pyo.value(m.intensity[k, t])
            base = float(d.pool_activity.at[k, t]) * pyo.value(m.activity_factor[k, t])
            rows.append(
                dict(
                    city=city,
                    sector=sector,
                    year=int(t),
                    planned_kt=intensity * pyo.value(m.activity[k, t]),
                    baseline_kt=intensity * base,
                )
            )
    pr = d.projects
    for p in pr.index[pr["seq"] > 0]:
        for t in m.T:
            rows.append(
                dict(
                    city=str(pr.at[p, "city"]),
                    sector=REMOVALS,
                    year=int(t),
                    planned_kt=-float(pr.at[p, "seq"]) * pyo.value(m.n[p, t]),
                    baseline_kt=0.0,
                )
            )
    out = pd.DataFrame(rows).groupby(["city", "sector", "year"], as_index=False).sum()
    out["sector_name"] = out["sector"].map(names).fillna("Removals (nature-based projects)")
    return out[["city", "sector", "sector_name", "year", "planned_kt", "baseline_kt"]]


def track_progress(
    inventory: Inventory, planned: pd.DataFrame, *, tolerance: float = 0.0
) -> pd.DataFrame:
    """A monitoring inventory against the planned pathway in the inventory's year, by GPC
    sector (BASIC emissions, kt CO2e). ``gap_kt`` = actual - planned; ``on track`` when the
    actual emissions are at most ``(1 + tolerance)`` x planned. Removals planned by
    nature-based projects are not in a BASIC inventory: shown, not judged. The last row is
    the total of the judged sectors."""
    if not 0 <= tolerance < 1:
        raise ValueError("tolerance must lie in [0, 1)")
    src = inventory.source
    city, year = inventory.city, int(inventory.year)
    plan = planned[planned["city"] == city]
    if plan.empty:
        cities = ", ".join(sorted(planned["city"].unique()))
        raise InputError(src, f"city '{city}' is not in the plan (plan cities: {cities})")
    if year not in set(plan["year"]):
        raise InputError(
            src,
            f"inventory year {year} is outside the plan's years "
            f"({plan['year'].min()}-{plan['year'].max()})",
            column="year",
        )
    plan = plan[plan["year"] == year].set_index("sector")
    e = inventory.emissions[inventory.emissions["basic"]]
    actual = e.groupby("sector")["tco2e"].sum() * 1e-3
    names = _sector_names()
    rows = []
    for sector in sorted(set(plan.index) | set(actual.index), key=lambda s: (s == REMOVALS, s)):
        planned_kt = float(plan["planned_kt"].get(sector, 0.0))
        base_kt = float(plan["baseline_kt"].get(sector, 0.0))
        if sector == REMOVALS:
            rows.append(
                dict(
                    sector=sector,
                    sector_name="Removals (nature-based projects)",
                    planned_kt=planned_kt,
                    baseline_kt=base_kt,
                    actual_kt=math.nan,
                    gap_kt=math.nan,
                    status="not in a BASIC inventory",
                )
            )
            continue
        act = float(actual.get(sector, 0.0))
        rows.append(
            dict(
                sector=sector,
                sector_name=names.get(sector, sector),
                planned_kt=planned_kt,
                baseline_kt=base_kt,
                actual_kt=act,
                gap_kt=act - planned_kt,
                status="on track" if act <= planned_kt * (1 + tolerance) + 1e-9 else "off track",
            )
        )
    out = pd.DataFrame(rows)
    judged = out[out["sector"] != REMOVALS]
    total = dict(
        sector="total",
        sector_name="Total (BASIC sectors)",
        planned_kt=float(judged["planned_kt"].sum()),
        baseline_kt=float(judged["baseline_kt"].sum()),
        actual_kt=float(judged["actual_kt"].sum()),
    )
    total["gap_kt"] = total["actual_kt"] - total["planned_kt"]
    total["status"] = (
        "on track"
        if total["actual_kt"] <= total["planned_kt"] * (1 + tolerance) + 1e-9
        else "off track"
    )
    out = pd.concat([out, pd.DataFrame([total])], ignore_index=True)
    out.insert(0, "year", year)
    out.insert(0, "city", city)
    return out


# ---------------------------------------------------------------------------------------
# LMDI decomposition
# ---------------------------------------------------------------------------------------
def log_mean(a: float, b: float) -> float:
    """The logarithmic mean :math:`L(a, b) = (a - b)/(\\ln a - \\ln b)`, with
    :math:`L(a, a) = a` and :math:`L(a, 0) = 0` (its limit)."""
    if a < 0 or b < 0:
        raise ValueError("the log-mean needs non-negative values")
    if a == 0 or b == 0:
        return 0.0
    if abs(a - b) <= 1e-12 * max(a, b):
        return (a + b) / 2
    return (a - b) / (math.log(a) - math.log(b))


def lmdi_factors(table: pd.DataFrame, activity: float) -> pd.DataFrame:
    """Add the four factors to a table with ``unit`` (family: MWh for energy, t for waste),
    ``energy`` (activity in that unit) and ``emissions_kt`` columns."""
    if not activity > 0:
        raise ValueError("the activity (e.g. population) must be positive")
    t = table.copy()
    if (t["energy"] < 0).any() or (t["emissions_kt"] < 0).any():
        raise ValueError("energy and emissions must be non-negative for LMDI")
    family = t.groupby("unit")["energy"].transform("sum")
    with np.errstate(divide="ignore", invalid="ignore"):
        t["activity"] = float(activity)
        t["energy_intensity"] = family / activity
        t["structure"] = np.where(family > 0, t["energy"] / family, np.nan)
        t["emission_factor"] = np.where(t["energy"] > 0, t["emissions_kt"] / t["energy"], np.nan)
    return t


def lmdi(
    base: pd.DataFrame,
    later: pd.DataFrame,
    keys: tuple[str, ...] = ("subsector", "fuel", "unit"),
) -> pd.DataFrame:
    """Additive LMDI-I between two factor tables (:func:`lmdi_factors`): one row per key with
    ``emissions_0_kt``, ``emissions_1_kt``, ``change_kt`` and one column per effect (kt).
    The effects of each row add up to its change exactly."""
    cols = [*keys, "emissions_kt", *EFFECTS]
    a = base[cols].rename(columns={c: f"{c}_0" for c in ["emissions_kt", *EFFECTS]})
    b = later[cols].rename(columns={c: f"{c}_1" for c in ["emissions_kt", *EFFECTS]})
    both = a.merge(b, on=list(keys), how="outer")
    for side, table in (("0", base), ("1", later)):
        q = float(table["activity"].iloc[0])
        both[f"activity_{side}"] = q
        # A row missing in one state: its family's intensity (0 if the whole family is
        # missing), a structure share of 0 (undefined if the family is missing), and an
        # undefined emission factor (0/0).
        family = (table.groupby("unit")["energy"].sum() / q).to_dict()
        fam = both["unit"].map(family).fillna(0.0)
        both[f"energy_intensity_{side}"] = both[f"energy_intensity_{side}"].fillna(fam)
        both[f"structure_{side}"] = both[f"structure_{side}"].where(
            both[f"structure_{side}"].notna(), np.where(fam > 0, 0.0, np.nan)
        )
    rows = []
    for r in both.to_dict("records"):
        e0 = 0.0 if pd.isna(r["emissions_kt_0"]) else float(r["emissions_kt_0"])
        e1 = 0.0 if pd.isna(r["emissions_kt_1"]) else float(r["emissions_kt_1"])
        x0 = {f: r[f"{f}_0"] for f in EFFECTS}
        x1 = {f: r[f"{f}_1"] for f in EFFECTS}
        out = {k: r[k] for k in keys}
        out.update(emissions_0_kt=e0, emissions_1_kt=e1, change_kt=e1 - e0)
        out.update(_row_effects(e0, e1, x0, x1))
        rows.append(out)
    return pd.DataFrame(
        rows, columns=[*keys, "emissions_0_kt", "emissions_1_kt", "change_kt", *EFFECTS]
    )


def _missing(x: object) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


# Emissions below a gram are zero for LMDI: the logarithms of such tiny (even subnormal)
# numbers lose the precision that makes the effects add up exactly.
NEGLIGIBLE_KT = 1e-12


def _row_effects(e0: float, e1: float, x0: dict, x1: dict) -> dict[str, float]:
    effects = dict.fromkeys(EFFECTS, 0.0)
    if e0 <= NEGLIGIBLE_KT and e1 <= NEGLIGIBLE_KT:
        effects["emission_factor"] = e1 - e0
        return effects
    if e0 > NEGLIGIBLE_KT and e1 > NEGLIGIBLE_KT:
        w = log_mean(e1, e0)
        for f in EFFECTS:
            effects[f] = w * (math.log(float(x1[f])) - math.log(float(x0[f])))
        return effects
    # One state is zero: in the limit the whole change goes to the factor that is zero in
    # that state (factors undefined there, 0/0, take the other state's value: no effect).
    zero_side = x0 if e0 <= NEGLIGIBLE_KT else x1
    zeros = [f for f in EFFECTS if not _missing(zero_side[f]) and float(zero_side[f]) == 0.0]
    undefined = [f for f in EFFECTS if _missing(zero_side[f])]
    effects[(zeros or undefined or ["emission_factor"])[0]] = e1 - e0
    return effects


@dataclass
class Decomposition:
    """An LMDI decomposition: by row and in total."""

    rows: pd.DataFrame
    activity_0: float
    activity_1: float
    label_0: str
    label_1: str

    def totals(self) -> pd.DataFrame:
        """One row per effect (kt CO2e), then the total change and the residual (zero)."""
        eff = [
            dict(effect=f, effect_name=EFFECT_NAMES[f], kt=float(self.rows[f].sum()))
            for f in EFFECTS
        ]
        total = float(self.rows["change_kt"].sum())
        eff.append(dict(effect="total", effect_name="Total change", kt=total))
        eff.append(
            dict(
                effect="residual",
                effect_name="Residual (zero for LMDI)",
                kt=total - sum(e["kt"] for e in eff[: len(EFFECTS)]),
            )
        )
        return pd.DataFrame(eff)

    def by_sector(self) -> pd.DataFrame:
        """Effects summed by GPC sector."""
        r = self.rows.copy()
        r["sector"] = r["subsector"].astype(str).str.split(".").str[0]
        return r.groupby("sector", as_index=False)[["change_kt", *EFFECTS]].sum()


def city_population(city: str, year: int, source: str = "<inventory>") -> float:
    """Resident population of a kit city in a year: the 2021 census scaled by the county
    projection."""
    cities = load_cities()
    if city not in cities.index:
        raise InputError(source, f"no population for city '{city}'; give the activity")
    idx = population_index(city, [2021, int(year)])
    return float(cities.at[city, "population_2021"]) * float(idx[1] / idx[0])


def inventory_table(inv: Inventory) -> pd.DataFrame:
    """BASIC emissions of an inventory by sub-sector and fuel, with the energy (MWh) or
    waste (t) behind them."""
    pools = activity_pools(inv)
    return pd.DataFrame(
        dict(
            subsector=pools["subsector"],
            fuel=pools["fuel"],
            unit=pools["unit"],
            energy=pools["activity"].astype(float),
            emissions_kt=pools["tco2e"].astype(float) * 1e-3,
        )
    )


def decompose_inventories(
    base: Inventory,
    later: Inventory,
    *,
    activity_0: float | None = None,
    activity_1: float | None = None,
) -> Decomposition:
    """LMDI decomposition of the change in BASIC emissions between two inventories.
    The activity is the population of the city in each year unless given."""
    q0 = (
        activity_0 if activity_0 is not None else city_population(base.city, base.year, base.source)
    )
    q1 = (
        activity_1
        if activity_1 is not None
        else city_population(later.city, later.year, later.source)
    )
    rows = lmdi(lmdi_factors(inventory_table(base), q0), lmdi_factors(inventory_table(later), q1))
    return Decomposition(rows, q0, q1, f"{base.city} {base.year}", f"{later.city} {later.year}")


def pathway_table(solver: PortfolioSolver, year: int, *, baseline: bool = False) -> pd.DataFrame:
    """The solved pathway (or its baseline) in one year as a decomposition table: one row per
    activity pool (energy in GWh or waste in kt, emissions in kt)."""
    m, d = solver.model, solver.data
    if year not in d.years:
        raise ValueError(f"year {year} is not a model year ({d.years[0]}-{d.years[-1]})")
    rows = []
    for k in m.K:
        base_act = float(d.pool_activity.at[k, year]) * pyo.value(m.activity_factor[k, year])
        act = base_act if baseline else pyo.value(m.activity[k, year])
        act = max(act, 0.0)  # shared pools are >= 0 up to solver tolerance
        rows.append(
            dict(
                city=str(d.pools.at[k, "city"]),
                subsector=str(d.pools.at[k, "subsector"]),
                fuel=str(d.pools.at[k, "fuel"]),
                unit=str(d.pools.at[k, "unit"]),
                energy=act,
                emissions_kt=act * pyo.value(m.intensity[k, year]),
            )
        )
    return pd.DataFrame(rows)


def decompose_pathway(
    solver: PortfolioSolver, year_0: int, year_1: int, *, baseline_0: bool = False
) -> Decomposition:
    """LMDI between two years of a solved pathway (``baseline_0``: the first state is the
    baseline without projects, e.g. ``year_0 == year_1`` shows what the projects do). The
    activity is the population of the scenario's cities."""
    d = solver.data
    cities = sorted({c for members in d.groups.values() for c in members})

    def population(year: int) -> float:
        return sum(city_population(c, year) for c in cities)

    t0 = pathway_table(solver, year_0, baseline=baseline_0)
    t1 = pathway_table(solver, year_1)
    rows = lmdi(
        lmdi_factors(t0, population(year_0)),
        lmdi_factors(t1, population(year_1)),
        keys=("city", "subsector", "fuel", "unit"),
    )
    label0 = f"{year_0} baseline" if baseline_0 else f"{year_0} plan"
    return Decomposition(rows, population(year_0), population(year_1), label0, f"{year_1} plan")


# ---------------------------------------------------------------------------------------
# Transition indicators
# ---------------------------------------------------------------------------------------
_INDICATOR_UNITS = {
    "renovated_floor_area_m2": "m2",
    "electric_bus_share": "share of the bus fleet",
    "electric_cars": "vehicles",
    "heat_pump_capacity_mw": "MW thermal",
    "local_pv_mwp": "MWp",
    "local_renewable_electricity_share": "share of electricity use",
    "electricity_share_of_final_energy": "share",
    "cycle_lanes_km": "km",
    "natural_gas_gwh": "GWh",
    "emissions_per_capita_t": "t CO2e per person",
}


def transition_indicators(solver: PortfolioSolver) -> pd.DataFrame:
    """Indicators per city and year from a solved portfolio (long table ``city, year,
    indicator, value, unit``):

    - ``renovated_floor_area_m2``: floor area renovated by the ``bld_reno_*`` projects in
      service;
    - ``electric_bus_share``: electric buses in service over the city's bus fleet (the
      e-bus projects' maximum, which the kit sizes as the whole urban fleet);
    - ``electric_cars``, ``heat_pump_capacity_mw``, ``local_pv_mwp``, ``cycle_lanes_km``;
    - ``local_renewable_electricity_share``: local PV output over electricity use (grid
      electricity after the projects plus the PV output);
    - ``electricity_share_of_final_energy``, ``natural_gas_gwh``;
    - ``emissions_per_capita_t``: BASIC emissions (with removals) per resident.
    """
    m, d = solver.model, solver.data
    pr = d.projects
    pools = d.pools
    effects = d.effects.merge(pools[["fuel"]], left_on="pool_id", right_index=True, how="left")
    cities = sorted({c for members in d.groups.values() for c in members})
    rows = []

    def add(city: str, year: int, name: str, value: float) -> None:
        rows.append(
            dict(city=city, year=year, indicator=name, value=value, unit=_INDICATOR_UNITS[name])
        )

    for c in cities:
        ps = pr[pr["city"] == c]

        def active(prefixes: tuple[str, ...], t: int, ps=ps) -> float:
            sel = ps.index[ps["archetype_id"].str.startswith(prefixes)]
            return float(sum(pyo.value(m.n[p, t]) for p in sel))

        ebus = ps.index[ps["archetype_id"] == "mob_ebus"]
        fleet = float(ps.loc[ebus, "max_units"].sum())
        pv = ps.index[ps["archetype_id"].str.startswith("en_pv")]
        pv_eff = effects[effects["project_id"].isin(pv) & (effects["fuel"] == "electricity")]
        kpools = pools.index[pools["city"] == c]
        elec = [k for k in kpools if pools.at[k, "fuel"] == "electricity"]
        energy = [k for k in kpools if pools.at[k, "unit"] == "MWh"]
        gas = [k for k in kpools if pools.at[k, "fuel"] == "natural_gas"]
        for t in d.years:
            add(c, t, "renovated_floor_area_m2", 1000.0 * active(("bld_reno",), t))
            if fleet > 0:
                add(c, t, "electric_bus_share", active(("mob_ebus",), t) / fleet)
            add(c, t, "electric_cars", active(("mob_private_ev", "mob_fleet_ev"), t))
            add(c, t, "heat_pump_capacity_mw", active(("bld_heat_pump",), t) / 1000.0)
            add(c, t, "local_pv_mwp", active(("en_pv",), t) / 1000.0)
            add(c, t, "cycle_lanes_km", active(("mob_cycle",), t))
            pv_gwh = float(
                sum(-e.delta * pyo.value(m.n[e.project_id, t]) for e in pv_eff.itertuples())
            )
            grid = float(sum(max(pyo.value(m.activity[k, t]), 0.0) for k in elec))
            use = grid + pv_gwh
            add(c, t, "local_renewable_electricity_share", pv_gwh / use if use > 0 else 0.0)
            total = float(sum(max(pyo.value(m.activity[k, t]), 0.0) for k in energy)) + pv_gwh
            add(c, t, "electricity_share_of_final_energy", use / total if total > 0 else 0.0)
            add(
                c,
                t,
                "natural_gas_gwh",
                float(sum(max(pyo.value(m.activity[k, t]), 0.0) for k in gas)),
            )
            add(
                c,
                t,
                "emissions_per_capita_t",
                pyo.value(m.emissions[c, t]) * 1000.0 / city_population(c, t),
            )
    return pd.DataFrame(rows, columns=["city", "year", "indicator", "value", "unit"])


# ---------------------------------------------------------------------------------------
# A monitoring framework: the indicator catalogue and the gap to the plan
# ---------------------------------------------------------------------------------------
TIERS = ("outcome", "output", "input")
"""Indicator tiers, from what the plan is for to what it spends: **outcome** (greenhouse-gas
emissions by GPC sector), **output** (transition indicators of delivery: m² renovated,
electric buses, ...) and **input** (money committed and spent, by funding source)."""

TIER_NAMES = {
    "outcome": "Outcome: GHG emissions",
    "output": "Output: transition indicators",
    "input": "Input: money committed and spent",
}

_CITY_TEAM = "city climate team"
_CATALOGUE: list[dict[str, str]] = [
    # -- outcome: emissions by GPC sector (kt CO2e, BASIC) ----------------------------------
    dict(
        indicator="emissions_I_kt",
        name="Stationary energy emissions (GPC I)",
        tier="outcome",
        unit="kt CO2e",
        direction="lower",
        source="the kit's inventory (m100 inventory) from metered electricity, gas and heat "
        "sales by consumer category (distribution operators, SACET operator); INS population",
        cadence="annual inventory; a monitoring inventory (MEI) at least every 4 years "
        "under the Covenant of Mayors",
        owner=f"{_CITY_TEAM} compiles; distribution operators and the SACET operator supply data",
        kit="planned_by_sector, sector I",
    ),
    dict(
        indicator="emissions_II_kt",
        name="Transport emissions (GPC II)",
        tier="outcome",
        unit="kt CO2e",
        direction="lower",
        source="the kit's inventory from vehicle-km by vehicle type (PMUD traffic model, "
        "public transport operator) or fuel sales",
        cadence="annual inventory; MEI at least every 4 years",
        owner=f"{_CITY_TEAM} compiles; mobility department and transport operator supply data",
        kit="planned_by_sector, sector II",
    ),
    dict(
        indicator="emissions_III_kt",
        name="Waste emissions (GPC III)",
        tier="outcome",
        unit="kt CO2e",
        direction="lower",
        source="the kit's inventory from waste landfilled, composted and treated (county waste "
        "association, ADI) and wastewater (water company)",
        cadence="annual inventory; MEI at least every 4 years",
        owner=f"{_CITY_TEAM} compiles; county waste association and water company supply data",
        kit="planned_by_sector, sector III",
    ),
    dict(
        indicator="emissions_per_capita_t",
        name="BASIC emissions per resident",
        tier="outcome",
        unit="t CO2e per person",
        direction="lower",
        source="the inventory's BASIC total over the resident population (INS census and "
        "yearly estimates)",
        cadence="annual",
        owner=_CITY_TEAM,
        kit="transition_indicators",
    ),
    # -- output: transition indicators ------------------------------------------------------
    dict(
        indicator="renovated_floor_area_m2",
        name="Floor area renovated",
        tier="output",
        unit="m2",
        direction="higher",
        source="building permits and reception minutes of renovation works (urban planning "
        "department); programme reports (PNRR, regional programme)",
        cadence="quarterly project tracking, summed yearly",
        owner="housing and public-buildings departments",
        kit="transition_indicators",
    ),
    dict(
        indicator="electric_bus_share",
        name="Electric share of the bus fleet",
        tier="output",
        unit="share of the bus fleet",
        direction="higher",
        source="fleet register of the public transport operator",
        cadence="quarterly project tracking, summed yearly",
        owner="public transport operator, reported through the mobility department",
        kit="transition_indicators",
    ),
    dict(
        indicator="cycle_lanes_km",
        name="Cycle lanes built",
        tier="output",
        unit="km",
        direction="higher",
        source="reception minutes of the works; the PMUD's monitoring",
        cadence="quarterly project tracking, summed yearly",
        owner="mobility and investment departments",
        kit="transition_indicators",
    ),
    dict(
        indicator="heat_pump_capacity_mw",
        name="Heat pumps installed",
        tier="output",
        unit="MW thermal",
        direction="higher",
        source="grant programme reports (national and regional programmes); public-building works",
        cadence="quarterly project tracking, summed yearly",
        owner="energy office of the city hall",
        kit="transition_indicators",
    ),
    dict(
        indicator="local_pv_mwp",
        name="Local solar PV installed",
        tier="output",
        unit="MWp",
        direction="higher",
        source="prosumer connections reported by the electricity distribution operator; city "
        "PV projects",
        cadence="quarterly project tracking, summed yearly",
        owner="energy office; the distribution operator supplies data",
        kit="transition_indicators",
    ),
    dict(
        indicator="electric_cars",
        name="Electric cars in use",
        tier="output",
        unit="vehicles",
        direction="higher",
        source="vehicle registrations of the county (registered fleet by fuel)",
        cadence="annual",
        owner="mobility department, from county registration data",
        kit="transition_indicators",
    ),
    dict(
        indicator="natural_gas_gwh",
        name="Natural gas used in the city",
        tier="output",
        unit="GWh",
        direction="lower",
        source="gas distribution operator, by consumer category",
        cadence="annual",
        owner="energy office; the gas distribution operator supplies data",
        kit="transition_indicators",
    ),
    # -- input: money -------------------------------------------------------------------------
    dict(
        indicator="investment_committed_meur",
        name="Money committed, by funding source",
        tier="input",
        unit="M EUR",
        direction="higher",
        source="signed financing and grant contracts; the local budget (buget local) as adopted",
        cadence="quarterly project tracking; yearly in the investment plan",
        owner="EU-funds and finance departments",
        kit="planned_investment",
    ),
    dict(
        indicator="investment_spent_meur",
        name="Money spent, by funding source",
        tier="input",
        unit="M EUR",
        direction="higher",
        source="budget execution (execuția bugetară) and payment claims of funded projects",
        cadence="quarterly project tracking; yearly in the investment plan",
        owner="finance department",
        kit="planned_investment",
    ),
]
_CATALOGUE_COLUMNS = [
    "indicator",
    "name",
    "tier",
    "unit",
    "direction",
    "source",
    "cadence",
    "owner",
    "kit",
]


def indicator_catalogue() -> pd.DataFrame:
    """The monitoring framework's indicators, one row each: ``indicator`` (id), ``name``,
    ``tier`` (:data:`TIERS`), ``unit``, ``direction`` (``higher`` or ``lower`` is better),
    ``source`` (where a Romanian city gets the data), ``cadence``, ``owner`` (who reports)
    and ``kit`` (the function of this module that gives the planned path)."""
    out = pd.DataFrame(_CATALOGUE, columns=_CATALOGUE_COLUMNS)
    out["tier"] = pd.Categorical(out["tier"], categories=list(TIERS), ordered=True)
    return out


def planned_investment(investment: pd.DataFrame, *, cumulative: bool = True) -> pd.DataFrame:
    """The plan's money by city, year and funding source (``instrument``), from the
    ``investment`` table of a solved portfolio (``year, instrument, city, meur``), as a long
    table like :func:`transition_indicators` with the column ``instrument`` added: indicator
    ``investment_committed_meur`` (cumulative from the first year unless ``cumulative`` is
    False). Every year of the table appears for every source (zero when nothing is spent)."""
    cols = ["city", "year", "indicator", "instrument", "value", "unit"]
    if investment.empty:
        return pd.DataFrame(columns=cols)
    inv = investment.groupby(["city", "instrument", "year"])["meur"].sum()
    years = range(int(investment["year"].min()), int(investment["year"].max()) + 1)
    full = pd.MultiIndex.from_product(
        [
            sorted(investment["city"].unique()),
            sorted(investment["instrument"].unique()),
            years,
        ],
        names=["city", "instrument", "year"],
    )
    inv = inv.reindex(full, fill_value=0.0)
    if cumulative:
        inv = inv.groupby(level=["city", "instrument"]).cumsum()
    out = inv.rename("value").reset_index()
    out["indicator"] = "investment_committed_meur"
    out["unit"] = "M EUR"
    return out[cols]


def compare_indicators(
    planned: pd.DataFrame,
    reported: pd.DataFrame,
    *,
    base_year: int | None = None,
    tolerance: float = 0.0,
    catalogue: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Reported indicator values against the plan's path.

    ``planned``: a long table ``city, year, indicator, value`` (as
    :func:`transition_indicators` gives); ``reported``: the same columns, the values the city
    reports. For each reported value, with :math:`x_p` the planned value in that year,
    :math:`x_r` the reported one and :math:`x_0` the planned value in ``base_year`` (the
    plan's first year unless given):

    - ``gap`` :math:`= x_r - x_p` and ``gap_pct`` :math:`= (x_r - x_p) / x_p` (missing when
      :math:`x_p = 0`);
    - ``delivered`` :math:`= (x_r - x_0) / (x_p - x_0)`, the share of the change planned
      since the base year that was delivered (missing when the plan foresees no change);
    - ``status``: ``on track`` when :math:`d \\cdot (x_r - x_p) \\ge -\\tau |x_p|`, with
      :math:`d = +1` for an indicator where higher is better, :math:`-1` where lower is
      better (the ``direction`` of the :func:`indicator_catalogue`) and :math:`\\tau` the
      ``tolerance``; ``off track`` otherwise.

    A reported indicator, city or year the plan does not hold is refused with an
    :class:`~m100model.errors.InputError` naming it."""
    if not 0 <= tolerance < 1:
        raise ValueError("tolerance must lie in [0, 1)")
    cat = (catalogue if catalogue is not None else indicator_catalogue()).set_index("indicator")
    need = ["city", "year", "indicator", "value"]
    for label, table in (("planned", planned), ("reported", reported)):
        missing = [c for c in need if c not in table.columns]
        if missing:
            raise InputError(f"<{label}>", f"missing column(s) {', '.join(missing)}")
    plan = planned.set_index(["city", "indicator", "year"])["value"].astype(float)
    if plan.index.duplicated().any():
        raise InputError("<planned>", "one value per city, indicator and year expected")
    first = int(planned["year"].min()) if base_year is None else int(base_year)
    rows = []
    for i, r in enumerate(reported.to_dict("records"), start=2):
        city, ind, year = str(r["city"]), str(r["indicator"]), int(r["year"])
        if ind not in cat.index:
            raise InputError("<reported>", f"unknown indicator '{ind}'", row=i)
        if (city, ind, year) not in plan.index:
            raise InputError("<reported>", f"the plan has no {ind} for {city} in {year}", row=i)
        if (city, ind, first) not in plan.index:
            raise InputError(
                "<reported>", f"the plan has no {ind} for {city} in the base year {first}", row=i
            )
        xp, x0, xr = (
            float(plan[(city, ind, year)]),
            float(plan[(city, ind, first)]),
            float(r["value"]),
        )
        d = 1.0 if cat.at[ind, "direction"] == "higher" else -1.0
        gap = xr - xp
        rows.append(
            dict(
                city=city,
                year=year,
                indicator=ind,
                name=cat.at[ind, "name"],
                tier=cat.at[ind, "tier"],
                unit=cat.at[ind, "unit"],
                direction=cat.at[ind, "direction"],
                base=x0,
                planned=xp,
                reported=xr,
                gap=gap,
                gap_pct=gap / xp if xp != 0 else math.nan,
                delivered=(xr - x0) / (xp - x0) if abs(xp - x0) > 1e-12 else math.nan,
                status="on track" if d * gap >= -tolerance * abs(xp) - 1e-12 else "off track",
            )
        )
    cols = [
        "city",
        "year",
        "indicator",
        "name",
        "tier",
        "unit",
        "direction",
        "base",
        "planned",
        "reported",
        "gap",
        "gap_pct",
        "delivered",
        "status",
    ]
    return pd.DataFrame(rows, columns=cols)
