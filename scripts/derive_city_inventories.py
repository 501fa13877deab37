"""Derive illustrative 2021 baseline activity data for the 13 M100 cities.

Run from the repository root::

    python scripts/derive_city_inventories.py

It reads three tables and writes one activity-data file per city:

* ``data/cities/cities.csv``                   city_id, population_2021, ...
* ``data/inventories/national_statistics.csv`` sourced national figures (and the derived
  sector totals, whose arithmetic this script re-checks)
* ``data/inventories/assumptions.csv``         every ratio or share the method needs
* -> ``data/inventories/<city_id>_2021.csv``   columns ``city, year, gpc_ref, fuel, amount,
  unit, notation_key, ef_id, vehicle, source, quality, comment`` (the engine's schema)

Method (kept deliberately simple; see ``data/inventories/README.md`` for a worked example)
------------------------------------------------------------------------------------------
1. National 2021 final energy by sector comes from the INS energy balance press release:
   total = 1,857 ktoe / 7.9% + 1,857 ktoe, then the published sector shares (households
   34.5%, transport 27.5%, industry 27.1%); the unsplit remainder is divided into services
   and agriculture with the ODYSSEE 2022 ratio. ktoe are converted with 11.63 GWh/ktoe.
2. Each sector is divided by the national population (19,053,815) to give MWh per person,
   then split by carrier with the shares in ``assumptions.csv``.
3. A city's amount = per-person national amount x city population x an explicit urban
   factor from ``assumptions.csv``:

   * residential: less wood, coal and bottled LPG and a little more electricity than the
     national mean; district heat from the city's connected dwellings (Bucharest: a sourced
     count; other cities: an illustrative share of dwellings) x heat sold per DH customer;
     natural gas is the balancing item so that the city's residential total is
     ``urban_residential_energy_factor`` x the national per-person total;
   * services: national per person x ``services_factor`` (county seat / capital); district
     heat replaces part of the gas in cities with DH;
   * industry and agriculture: national per person x a small factor (heavy industry and
     farming lie mostly outside these cities);
   * road, rail: national per person x road/rail shares x a city factor; trams, metro,
     trolleybuses and e-buses from illustrative per-person values where the city has them;
   * solid waste: 302 kg per person (Eurostat 2021) x landfill / composting shares;
     wastewater: IPCC default BOD per person and nitrogen from protein consumption.

4. Sub-sectors with no activity get a GPC notation key (NO, IE, NE) and an explanation.

Every amount is rounded to whole MWh or whole tonnes. Every city row is labelled
``quality = illustrative``: these are NOT published city inventories, only a documented
starting point that a city should replace with its own metered and surveyed data.

The script uses pandas only, has no randomness and sorts its output, so every run writes
byte-identical files.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
CITIES_CSV = ROOT / "data" / "cities" / "cities.csv"
INV_DIR = ROOT / "data" / "inventories"
NATIONAL_CSV = INV_DIR / "national_statistics.csv"
ASSUMPTIONS_CSV = INV_DIR / "assumptions.csv"

YEAR = 2021
COLUMNS = [
    "city",
    "year",
    "gpc_ref",
    "fuel",
    "amount",
    "unit",
    "notation_key",
    "ef_id",
    "vehicle",
    "source",
    "quality",
    "comment",
]
QUALITY = "illustrative"
README = "see data/inventories/README.md"

# Every BASIC sub-sector must carry activity rows or a notation key (GPC v1.1).
BASIC_REFS = [
    "I.1.1",
    "I.1.2",
    "I.2.1",
    "I.2.2",
    "I.3.1",
    "I.3.2",
    "I.4.1",
    "I.4.2",
    "I.5.1",
    "I.5.2",
    "I.6.1",
    "I.6.2",
    "I.7.1",
    "I.8.1",
    "II.1.1",
    "II.1.2",
    "II.2.1",
    "II.2.2",
    "II.3.1",
    "II.3.2",
    "II.4.1",
    "II.4.2",
    "II.5.1",
    "II.5.2",
    "III.1.1",
    "III.1.2",
    "III.2.1",
    "III.2.2",
    "III.3.1",
    "III.3.2",
    "III.4.1",
    "III.4.2",
]
# Output order: the BASIC list plus I.4.4 (territorial-only, written for teaching).
ALL_REFS = [*BASIC_REFS[:8], "I.4.4", *BASIC_REFS[8:]]

ALLOWED_UNITS = {"MWh", "GWh", "GJ", "TJ", "kWh", "t", "m3", "L", "vkm"}
CONSISTENCY_TOLERANCE = 0.005  # derived rows in national_statistics.csv must match to 0.5 %


# ---------------------------------------------------------------------------------------
# Reading the inputs
# ---------------------------------------------------------------------------------------
def load_inputs() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Read cities, national statistics and assumptions as DataFrames."""
    cities = pd.read_csv(CITIES_CSV, encoding="utf-8")
    national = pd.read_csv(NATIONAL_CSV, encoding="utf-8").set_index("indicator")
    assumptions = pd.read_csv(ASSUMPTIONS_CSV, encoding="utf-8")
    return cities, national, assumptions


def nat(national: pd.DataFrame, indicator: str) -> float:
    """One value of national_statistics.csv."""
    return float(national.loc[indicator, "value"])


class Assumptions:
    """Look-up of assumptions.csv: a city-specific row wins over the 'all' row."""

    def __init__(self, table: pd.DataFrame) -> None:
        self._values = {
            (r.assumption, r.applies_to): float(r.value) for r in table.itertuples(index=False)
        }

    def has(self, name: str, city_id: str) -> bool:
        return (name, city_id) in self._values

    def get(self, name: str, city_id: str = "all") -> float:
        if (name, city_id) in self._values:
            return self._values[(name, city_id)]
        if (name, "all") in self._values:
            return self._values[(name, "all")]
        raise KeyError(f"assumptions.csv has no '{name}' for '{city_id}' or 'all'")


# ---------------------------------------------------------------------------------------
# Step 1: national totals by sector (GWh)
# ---------------------------------------------------------------------------------------
def national_sector_totals(national: pd.DataFrame) -> dict[str, float]:
    """2021 national final energy by sector in GWh, recomputed from the sourced INS rows.

    The derived rows in national_statistics.csv must agree with this arithmetic.
    """
    growth = nat(national, "fec_growth_2021_vs_2020") / 100
    increase = nat(national, "fec_increase_2021_vs_2020")
    total_ktoe = increase / growth + increase
    shares = {
        "households": nat(national, "fec_share_households") / 100,
        "transport": nat(national, "fec_share_transport") / 100,
        "industry": nat(national, "fec_share_industry") / 100,
    }
    ktoe = {sector: total_ktoe * share for sector, share in shares.items()}
    remainder = total_ktoe * (1 - sum(shares.values()))
    services_ratio = nat(national, "odyssee_fec_services") / (
        nat(national, "odyssee_fec_services") + nat(national, "odyssee_fec_agriculture")
    )
    ktoe["services"] = remainder * services_ratio
    ktoe["agriculture"] = remainder * (1 - services_ratio)

    checks = {
        "fec_total": total_ktoe,
        "fec_households": ktoe["households"],
        "fec_transport": ktoe["transport"],
        "fec_industry": ktoe["industry"],
        "fec_services_and_agriculture": remainder,
        "fec_services": ktoe["services"],
        "fec_agriculture": ktoe["agriculture"],
    }
    for indicator, value in checks.items():
        listed = nat(national, indicator)
        if abs(listed - value) > CONSISTENCY_TOLERANCE * value:
            raise ValueError(
                f"national_statistics.csv {indicator} = {listed} but the sourced "
                f"rows give {value:.1f} ktoe"
            )

    gwh_per_ktoe = nat(national, "ktoe_to_gwh")
    return {sector: value * gwh_per_ktoe for sector, value in ktoe.items()}


# ---------------------------------------------------------------------------------------
# Row helpers
# ---------------------------------------------------------------------------------------
def activity(gpc_ref: str, fuel: str, amount: float, unit: str, source: str, comment: str) -> dict:
    """An activity row; the amount is rounded to a whole number of the unit."""
    return {
        "gpc_ref": gpc_ref,
        "fuel": fuel,
        "amount": round(amount),
        "unit": unit,
        "notation_key": "",
        "source": source,
        "comment": comment,
    }


def notation(gpc_ref: str, key: str, comment: str) -> dict:
    """A notation-key row: empty fuel, amount and unit, and the required explanation."""
    return {
        "gpc_ref": gpc_ref,
        "fuel": "",
        "amount": None,
        "unit": "",
        "notation_key": key,
        "source": f"judgement of this kit; {README}",
        "comment": comment,
    }


def src(text: str) -> str:
    return f"derived: {text}; {README}"


# ---------------------------------------------------------------------------------------
# Steps 2-4: one city
# ---------------------------------------------------------------------------------------
def stationary_rows(
    cid: str,
    pop: float,
    per_cap: dict[str, float],
    A: Assumptions,
    dh_share: float,
    dh_res_mwh: float,
) -> list[dict]:
    """I.1-I.8: residential, services, industry, agriculture and notation keys."""
    rows: list[dict] = []

    # I.1 residential ------------------------------------------------------------------
    hh = per_cap["households"] * pop  # MWh if the city were like the national mean
    res = {
        "wood": hh * A.get("hh_share_wood", cid) * A.get("urban_factor_wood", cid),
        "lignite": hh * A.get("hh_share_lignite", cid) * A.get("urban_factor_lignite", cid),
        "lpg": hh * A.get("hh_share_lpg", cid) * A.get("urban_factor_lpg", cid),
        "electricity": (
            hh * A.get("hh_share_electricity", cid) * A.get("urban_factor_electricity", cid)
        ),
        "district_heat": dh_res_mwh,
    }
    res_total = hh * A.get("urban_residential_energy_factor", cid)
    res["natural_gas"] = res_total - sum(res.values())
    if res["natural_gas"] <= 0:
        raise ValueError(f"{cid}: residential natural gas would be negative; check assumptions")
    base = "national_statistics.csv fec_households 2021 (INS) / population x city population"
    rows += [
        activity(
            "I.1.1",
            "natural_gas",
            res["natural_gas"],
            "MWh",
            src(
                base + " x urban_residential_energy_factor, minus the other carriers "
                "(gas is the balancing item)"
            ),
            "Residential natural gas (heating, hot water, cooking).",
        ),
        activity(
            "I.1.1",
            "wood",
            res["wood"],
            "MWh",
            src(base + " x hh_share_wood x urban_factor_wood"),
            "Residential firewood; biogenic CO2 is a memo item.",
        ),
        activity(
            "I.1.1",
            "lpg",
            res["lpg"],
            "MWh",
            src(base + " x hh_share_lpg x urban_factor_lpg"),
            "Bottled LPG, mostly cooking.",
        ),
        activity(
            "I.1.1",
            "lignite",
            res["lignite"],
            "MWh",
            src(base + " x hh_share_lignite x urban_factor_lignite"),
            "Household coal stoves (taken as lignite).",
        ),
        activity(
            "I.1.2",
            "electricity",
            res["electricity"],
            "MWh",
            src(base + " x hh_share_electricity x urban_factor_electricity"),
            "Residential grid electricity.",
        ),
    ]
    if dh_res_mwh > 0:
        if A.has("dh_connected_dwellings", cid):
            how = "assumptions.csv dh_connected_dwellings x dh_heat_per_customer"
        else:
            how = (
                "population / persons_per_dwelling x assumptions.csv dh_dwelling_share x "
                "dh_heat_per_customer"
            )
        rows.append(
            activity(
                "I.1.2",
                "district_heat",
                dh_res_mwh,
                "MWh",
                src(how),
                "Residential district heat delivered (scope 2).",
            )
        )

    # I.2 commercial and institutional -----------------------------------------------
    srv = per_cap["services"] * pop * A.get("services_factor", cid)
    srv_dh = min(
        dh_share * A.get("services_dh_per_dwelling_share", cid),
        A.get("services_share_natural_gas", cid),
    )
    sbase = (
        "national_statistics.csv fec_services 2021 / population x city population x services_factor"
    )
    rows += [
        activity(
            "I.2.1",
            "natural_gas",
            srv * (A.get("services_share_natural_gas", cid) - srv_dh),
            "MWh",
            src(sbase + " x (services_share_natural_gas - DH share)"),
            "Offices, shops, schools, hospitals, public buildings: gas.",
        ),
        activity(
            "I.2.1",
            "diesel",
            srv * A.get("services_share_diesel", cid),
            "MWh",
            src(sbase + " x services_share_diesel"),
            "Generators and oil boilers.",
        ),
        activity(
            "I.2.1",
            "lpg",
            srv * A.get("services_share_lpg", cid),
            "MWh",
            src(sbase + " x services_share_lpg"),
            "LPG in services.",
        ),
        activity(
            "I.2.1",
            "wood",
            srv * A.get("services_share_wood", cid),
            "MWh",
            src(sbase + " x services_share_wood"),
            "Wood/pellet boilers; biogenic CO2 memo.",
        ),
        activity(
            "I.2.2",
            "electricity",
            srv * A.get("services_share_electricity", cid),
            "MWh",
            src(sbase + " x services_share_electricity"),
            "Services grid electricity incl. public lighting, water pumping and "
            "airport/port buildings.",
        ),
    ]
    if srv_dh > 0:
        rows.append(
            activity(
                "I.2.2",
                "district_heat",
                srv * srv_dh,
                "MWh",
                src(sbase + " x services_dh_per_dwelling_share x DH dwelling share"),
                "District heat for public and commercial buildings.",
            )
        )

    # I.3 manufacturing and construction ----------------------------------------------
    ind = per_cap["industry"] * pop * A.get("industry_factor", cid)
    ibase = (
        "national_statistics.csv fec_industry 2021 / population x city population x industry_factor"
    )
    rows += [
        activity(
            "I.3.1",
            "natural_gas",
            ind * A.get("industry_share_natural_gas", cid),
            "MWh",
            src(ibase + " x industry_share_natural_gas"),
            "Manufacturing and construction: gas.",
        ),
        activity(
            "I.3.1",
            "diesel",
            ind * A.get("industry_share_diesel", cid),
            "MWh",
            src(ibase + " x industry_share_diesel"),
            "Diesel incl. construction machinery (so II.5.1 is IE).",
        ),
        activity(
            "I.3.1",
            "lpg",
            ind * A.get("industry_share_lpg", cid),
            "MWh",
            src(ibase + " x industry_share_lpg"),
            "LPG in industry.",
        ),
        activity(
            "I.3.1",
            "wood",
            ind * A.get("industry_share_wood", cid),
            "MWh",
            src(ibase + " x industry_share_wood"),
            "Wood residues; biogenic CO2 memo.",
        ),
        activity(
            "I.3.2",
            "electricity",
            ind * A.get("industry_share_electricity", cid),
            "MWh",
            src(ibase + " x industry_share_electricity"),
            "Industry grid electricity.",
        ),
    ]

    # I.4 energy industries -----------------------------------------------------------
    rows += [
        notation(
            "I.4.1",
            "IE",
            "Fuel burnt in city CHP and heat-only plants is represented by "
            "the district heat consumed in I.1.2/I.2.2 (scope 2); plant own use is not "
            "separated in the national statistics used.",
        ),
        notation(
            "I.4.2",
            "NE",
            "Grid electricity used by energy-industry plants inside the "
            "city is not separated in the national statistics used; ask the operators.",
        ),
        notation(
            "I.4.4",
            "NE",
            "Not BASIC (territorial total only). Power and heat generation "
            "inside the boundary (e.g. CHP plants) was not estimated; obtain fuel use from "
            "the operators or EU ETS reports.",
        ),
    ]

    # I.5 agriculture, forestry, fishing ----------------------------------------------
    agr = per_cap["agriculture"] * pop * A.get("agriculture_factor", cid)
    abase = (
        "national_statistics.csv fec_agriculture 2021 / population x city population x "
        "agriculture_factor"
    )
    rows += [
        activity(
            "I.5.1",
            "diesel",
            agr * A.get("agriculture_share_diesel", cid),
            "MWh",
            src(abase + " x agriculture_share_diesel"),
            "Farm and forestry machinery inside the boundary (so II.5.1 is IE).",
        ),
        activity(
            "I.5.1",
            "natural_gas",
            agr * A.get("agriculture_share_natural_gas", cid),
            "MWh",
            src(abase + " x agriculture_share_natural_gas"),
            "Greenhouse heating.",
        ),
        activity(
            "I.5.2",
            "electricity",
            agr * A.get("agriculture_share_electricity", cid),
            "MWh",
            src(abase + " x agriculture_share_electricity"),
            "Irrigation, greenhouses.",
        ),
    ]

    # I.6-I.8 ----------------------------------------------------------------------
    rows += [
        notation(
            "I.6.1",
            "IE",
            "All final energy of the national balance is allocated to "
            "I.1-I.5 by construction; the INS 'other' remainder is inside I.2.",
        ),
        notation(
            "I.6.2",
            "IE",
            "As I.6.1: no non-specified grid energy is left over; it is inside I.2.2.",
        ),
        notation("I.7.1", "NO", "No coal mining, processing or storage sites inside the city."),
        notation(
            "I.8.1",
            "NE",
            "Leakage from the gas distribution network (and oil terminals "
            "where present) occurs but was not estimated; ask the distribution operator "
            "for losses.",
        ),
    ]
    return rows


def transport_rows(cid: str, pop: float, per_cap: dict[str, float], A: Assumptions) -> list[dict]:
    """II.1-II.5."""
    rows: list[dict] = []
    tra = per_cap["transport"] * pop
    road = tra * A.get("transport_road_share", cid) * A.get("road_city_factor", cid)
    rbase = (
        "national_statistics.csv fec_transport 2021 / population x city population x "
        "transport_road_share x road_city_factor"
    )
    rows += [
        activity(
            "II.1.1",
            "diesel",
            road * A.get("road_share_diesel", cid),
            "MWh",
            src(rbase + " x road_share_diesel"),
            "Road diesel (cars, buses, trucks).",
        ),
        activity(
            "II.1.1",
            "gasoline",
            road * A.get("road_share_gasoline", cid),
            "MWh",
            src(rbase + " x road_share_gasoline"),
            "Road gasoline.",
        ),
        activity(
            "II.1.1",
            "lpg",
            road * A.get("road_share_lpg", cid),
            "MWh",
            src(rbase + " x road_share_lpg"),
            "Autogas.",
        ),
    ]
    trolley = (
        A.get("trolley_ebus_electricity_per_capita", cid)
        if A.has("trolley_ebus_electricity_per_capita", cid)
        else 0.0
    )
    if trolley > 0:
        rows.append(
            activity(
                "II.1.2",
                "electricity",
                trolley * pop,
                "MWh",
                src("population x assumptions.csv trolley_ebus_electricity_per_capita"),
                "Trolleybuses and e-buses (traction electricity).",
            )
        )
    else:
        rows.append(
            notation(
                "II.1.2",
                "NE",
                "Electric buses or trolleybuses may run (several "
                "Romanian cities bought e-buses in 2018-2023) but their traction "
                "electricity was not estimated; ask the transport operator.",
            )
        )

    rail = tra * A.get("transport_rail_share", cid) * A.get("rail_city_factor", cid)
    rail_base = (
        "national_statistics.csv fec_transport 2021 / population x city population x "
        "transport_rail_share x rail_city_factor"
    )
    rows.append(
        activity(
            "II.2.1",
            "diesel",
            rail * A.get("rail_share_diesel", cid),
            "MWh",
            src(rail_base + " x rail_share_diesel"),
            "Diesel trains, in-boundary share.",
        )
    )
    tram = A.get("tram_metro_electricity_per_capita", cid) * pop
    rail_el = rail * A.get("rail_share_electricity", cid) + tram
    comment = "Electric trains, in-boundary share"
    comment += "; plus tram/metro traction electricity." if tram > 0 else "."
    rows.append(
        activity(
            "II.2.2",
            "electricity",
            rail_el,
            "MWh",
            src(
                rail_base + " x rail_share_electricity + population x "
                "tram_metro_electricity_per_capita"
            ),
            comment,
        )
    )

    if cid == "constanta":
        rows += [
            notation(
                "II.3.1",
                "NE",
                "Port of Constanța: harbour craft, tugs, ferries and "
                "canal barges inside the boundary occur but were not estimated; ask the "
                "port authority for fuel bunkered for domestic navigation.",
            ),
            notation(
                "II.3.2",
                "NE",
                "Shore-side electricity for vessels not estimated; any "
                "port electricity is inside I.2.2.",
            ),
        ]
    elif cid == "timisoara":
        rows += [
            notation(
                "II.3.1",
                "NE",
                "Small passenger and leisure boats on the Bega canal may "
                "operate (not verified); not estimated.",
            ),
            notation("II.3.2", "NE", "Electric boats on the Bega canal, if any, not estimated."),
        ]
    else:
        rows += [
            notation("II.3.1", "NO", "Landlocked city without commercial waterborne navigation."),
            notation("II.3.2", "NO", "No electric waterborne transport."),
        ]

    rows += [
        notation(
            "II.4.1",
            "NE",
            "Aviation inside the boundary (airport ground movements and "
            "the in-boundary part of landing/take-off) was not estimated; whether an "
            "airport lies inside the municipal boundary was not verified. Flights "
            "departing the city belong in II.4.3 (BASIC+).",
        ),
        notation(
            "II.4.2",
            "IE",
            "Any grid electricity used for aviation ground operations "
            "inside the boundary is part of the per-person services electricity in I.2.2.",
        ),
        notation(
            "II.5.1",
            "IE",
            "Off-road machinery diesel is contained in the national "
            "industry (incl. construction) and agriculture totals scaled into I.3.1 and "
            "I.5.1.",
        ),
        notation("II.5.2", "IE", "Electric off-road machinery (forklifts etc.) is inside I.3.2."),
    ]
    return rows


def waste_rows(cid: str, pop: float, national: pd.DataFrame, A: Assumptions) -> list[dict]:
    """III.1-III.4."""
    rows: list[dict] = []
    msw = pop * nat(national, "msw_generated_per_capita") / 1000 * A.get("msw_urban_factor", cid)
    landfilled = msw * A.get("msw_landfill_share", cid)
    composted = msw * A.get("msw_composting_share", cid)
    wbase = (
        "population x national_statistics.csv msw_generated_per_capita (302 kg, 2021) x "
        "msw_urban_factor"
    )
    inside = A.get("landfill_inside_boundary", cid) >= 1
    land_ref, land_other = ("III.1.1", "III.1.2") if inside else ("III.1.2", "III.1.1")
    comp_ref, comp_other = ("III.2.1", "III.2.2") if inside else ("III.2.2", "III.2.1")
    rows += [
        activity(
            land_ref,
            "msw",
            landfilled,
            "t",
            src(wbase + " x msw_landfill_share"),
            "Municipal solid waste landfilled, wet tonnes (kit convention: treated outside "
            "the boundary unless landfill_inside_boundary = 1).",
        ),
        notation(
            land_other,
            "IE",
            f"All landfilled MSW generated in the city is reported in "
            f"{land_ref}; the landfill location relative to the boundary was not verified.",
        ),
        activity(
            comp_ref,
            "organic_waste",
            composted,
            "t",
            src(wbase + " x msw_composting_share"),
            "Separately collected organic waste composted, wet tonnes.",
        ),
        notation(
            comp_other,
            "IE",
            f"All composted waste generated in the city is reported in {comp_ref}.",
        ),
        notation(
            "III.3.1",
            "NE",
            "No municipal waste incinerator is assumed; open burning of "
            "waste (gardens, illegal dumps) occurs but was not estimated.",
        ),
        notation(
            "III.3.2",
            "NE",
            "Co-incineration of city waste (e.g. refuse-derived fuel in "
            "cement kilns) and hazardous/medical waste incineration were not estimated.",
        ),
    ]

    bod_all = pop * nat(national, "bod_per_capita_europe") * 365 / 1e6
    septic = nat(national, "urban_not_connected_to_sewer_share")
    bod, bod_septic = bod_all * (1 - septic), bod_all * septic
    n_effluent = (
        pop
        * A.get("protein_per_capita", cid)
        * nat(national, "ipcc_f_npr")
        * nat(national, "ipcc_f_non_con")
        * nat(national, "ipcc_f_ind_com")
        / 1000
    )
    ww_ref, ww_other = (
        ("III.4.1", "III.4.2")
        if A.get("wastewater_treated_inside", cid) >= 1
        else ("III.4.2", "III.4.1")
    )
    where = "in the city's plant" if ww_ref == "III.4.1" else "outside the boundary (Glina, Ilfov)"
    rows += [
        activity(
            ww_ref,
            "wastewater_bod",
            bod,
            "t",
            src(
                "population x national_statistics.csv bod_per_capita_europe (60 g/day, "
                "IPCC default) x 365"
            ),
            f"Organic load of domestic wastewater (t BOD) of households on the sewer, treated "
            f"{where}.",
        ),
        activity(
            "III.4.1",
            "wastewater_bod_septic",
            bod_septic,
            "t",
            src(
                "population x national_statistics.csv bod_per_capita_europe x 365 x "
                "urban_not_connected_to_sewer_share (INS 2022: 1.1%)"
            ),
            "Organic load of households not connected to a sewer, in septic tanks or cesspits "
            "inside the city (t BOD).",
        ),
        activity(
            ww_ref,
            "wastewater_nitrogen",
            n_effluent,
            "t",
            src(
                "population x assumptions.csv protein_per_capita x ipcc_f_npr x "
                "ipcc_f_non_con x ipcc_f_ind_com (IPCC 2006 eq. 6.8, no sludge removal)"
            ),
            "Nitrogen in effluent (t N).",
        ),
        notation(ww_other, "IE", f"All domestic wastewater of the city is reported in {ww_ref}."),
    ]
    return rows


def city_inventory(
    city: pd.Series, national: pd.DataFrame, A: Assumptions, sector_gwh: dict[str, float]
) -> pd.DataFrame:
    cid = city["city_id"]
    pop = float(city["population_2021"])
    population = nat(national, "population_resident")
    per_cap = {sector: gwh * 1000 / population for sector, gwh in sector_gwh.items()}  # MWh/person

    dwellings = pop / A.get("persons_per_dwelling", cid)
    if A.has("dh_connected_dwellings", cid):
        dh_dwellings = A.get("dh_connected_dwellings", cid)
    else:
        dh_dwellings = dwellings * A.get("dh_dwelling_share", cid)
    dh_share = min(dh_dwellings / dwellings, 1.0)
    dh_res_mwh = dh_dwellings * A.get("dh_heat_per_customer", cid)

    rows = (
        stationary_rows(cid, pop, per_cap, A, dh_share, dh_res_mwh)
        + transport_rows(cid, pop, per_cap, A)
        + waste_rows(cid, pop, national, A)
    )
    df = pd.DataFrame(rows)
    df.insert(0, "city", cid)
    df.insert(1, "year", YEAR)
    df["ef_id"] = ""
    df["vehicle"] = ""
    df["quality"] = QUALITY
    df["amount"] = df["amount"].astype("Int64")
    # BASIC+: transmission and distribution losses of the grid electricity consumed in
    # stationary energy (scope 3, I.x.3). The row repeats the consumption; the engine applies
    # the T&D factor per MWh consumed.
    td = df[df["gpc_ref"].str.fullmatch(r"I\.\d\.2") & (df["fuel"] == "electricity")].copy()
    td["comment"] = (
        "T&D losses of the grid electricity consumed in " + td["gpc_ref"] + " (scope 3, BASIC+)"
    )
    td["gpc_ref"] = td["gpc_ref"].str[:-1] + "3"
    df = pd.concat([df, td], ignore_index=True)
    order = {ref: float(i) for i, ref in enumerate(ALL_REFS)}
    order.update(
        {
            ref[:-1] + "3": order[ref] + 0.5
            for ref in ALL_REFS
            if ref.startswith("I.") and ref.endswith(".2")
        }
    )
    df["_order"] = df["gpc_ref"].map(order)
    df = df.sort_values(["_order", "fuel"], kind="stable").drop(columns="_order")
    validate(cid, df)
    return df[COLUMNS].reset_index(drop=True)


def validate(cid: str, df: pd.DataFrame) -> None:
    """The checks the brief asks for; raises on the first problem."""
    if df.duplicated(["gpc_ref", "fuel"]).any():
        raise ValueError(f"{cid}: more than one row per (gpc_ref, fuel)")
    missing = set(BASIC_REFS) - set(df["gpc_ref"])
    if missing:
        raise ValueError(f"{cid}: BASIC sub-sectors without rows: {sorted(missing)}")
    act = df[df["notation_key"] == ""]
    keys = df[df["notation_key"] != ""]
    if (act["amount"].isna() | (act["amount"] <= 0)).any():
        raise ValueError(f"{cid}: activity rows need a positive amount")
    if not set(act["unit"]) <= ALLOWED_UNITS:
        raise ValueError(f"{cid}: unexpected unit in {set(act['unit'])}")
    if keys["amount"].notna().any() or (keys["unit"] != "").any() or (keys["comment"] == "").any():
        raise ValueError(f"{cid}: notation-key rows need empty amount/unit and a comment")
    if not set(keys["notation_key"]) <= {"NO", "IE", "NE", "C"}:
        raise ValueError(f"{cid}: unknown notation key")


def main(out_dir: Path = INV_DIR) -> None:
    """Write one activity file per city into ``out_dir`` (default: data/inventories)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    cities, national, assumptions = load_inputs()
    A = Assumptions(assumptions)
    sector_gwh = national_sector_totals(national)
    for _, city in cities.sort_values("city_id").iterrows():
        df = city_inventory(city, national, A, sector_gwh)
        out = out_dir / f"{city['city_id']}_{YEAR}.csv"
        df.to_csv(out, index=False, encoding="utf-8", lineterminator="\n")
        print(f"wrote {out} ({len(df)} rows)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=INV_DIR, help="output folder")
    main(parser.parse_args().out)
