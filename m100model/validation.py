"""The kit's numbers beside what the cities have published (Climate City Contracts, SECAPs).

``data/validation/published_plans.csv`` holds the figures printed in the cities' own plans:
one row per city, document and quantity (baseline emissions and their sector split, targets,
investment needs), each with its source and a quality flag. This module reads that table and
sets the kit's own base-year inventories and scenario targets beside it:

- :func:`compare_inventories`: published baseline totals (and per-resident figures) against
  the kit's inventory total that best matches the published scope, their ratio and a flag
  when they differ by more than a factor of two, with the reason where one is known;
- :func:`compare_sectors`: the same for the sector split of the Climate City Contracts;
- :func:`compare_targets`: published reduction targets against the kit scenario's targets;
- :func:`investment_needs`: the published investment needs, total and by field of action.

The ratio is always *published / kit*.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from m100model.cities import load_cities
from m100model.errors import InputError
from m100model.inventory import Inventory, bundled_inventories, load_inventory
from m100model.tables import check_values, data_dir, read_table, sheet_row

COLUMNS = (
    "city",
    "document",
    "document_year",
    "quantity",
    "sector",
    "year",
    "base_year",
    "value",
    "unit",
    "scope_note",
    "kit_measure",
)

#: Units allowed for each quantity.
QUANTITY_UNITS: dict[str, tuple[str, ...]] = {
    "baseline_emissions": ("t CO2e", "t CO2"),
    "baseline_sector_share": ("%",),
    "per_capita_emissions": ("t CO2e/person", "t CO2/person"),
    "target_reduction": ("%",),
    "target_emissions": ("t CO2e", "t CO2"),
    "investment_need": ("M EUR",),
    "grid_emission_factor": ("t CO2/MWh",),
    "electricity_use": ("MWh",),
}
UNITS = tuple(sorted({u for units in QUANTITY_UNITS.values() for u in units}))

#: The kit totals a published figure can be set beside (see :func:`kit_figure`).
KIT_MEASURES = ("basic", "basic_plus", "total", "territorial", "com_key_sectors")

#: The five sectors of the Climate City Contract inventory template, and the GPC sectors
#: and sub-sectors of the kit's BASIC total that cover the same activities. The template's
#: "IPPU" and "AFOLU" rows hold the *energy* used by industry and by agriculture (the three
#: Romanian plans fill them with natural gas, diesel and electricity), hence I.3 and I.5.
CCC_SECTORS: dict[str, tuple[str, ...]] = {
    "Buildings": ("I.1", "I.2"),
    "Transport": ("II",),
    "Waste": ("III",),
    "IPPU": ("I.3",),
    "AFOLU": ("I.5",),
}

#: Published and kit figures are flagged when one is more than this many times the other.
FLAG_FACTOR = 2.0

# Why a flagged comparison differs, from what the published documents say about their own
# method. Keyed by (city, document prefix, sector); "" is the document total.
_CLUJ = "Climate City Contract: 2030 Climate Neutrality Action Plan of the City Cluj-Napoca"
_SECTOR2 = "Climate City Contract: 2030 Climate Neutrality Action Plan of District 2"
_SUCEAVA = "Climate City Contract: 2030 Climate Neutrality Action Plan of Suceava City"
_BISTRITA = "Energy Cities city profile (carbon footprint 2014)"
WHY: dict[tuple[str, str, str], str] = {
    (
        "cluj_napoca",
        _CLUJ,
        "IPPU",
    ): "The plan's 'IPPU' row is industry's energy use: 303,045 MWh of grid electricity at "
    "0.701 t/MWh (212,435 t) plus 450,710 MWh of gas. 0.701 is about 2.5 times the 2021 "
    "Romanian grid factor the kit uses, and the kit's industry is a national per-person "
    "share halved, not the city's metered use.",
    (
        "cluj_napoca",
        _CLUJ,
        "AFOLU",
    ): "The plan's 'AFOLU' row is the energy of agriculture (30,601 MWh diesel, 4,995 MWh "
    "electricity at 0.701 t/MWh); the kit scales national farm energy by population. Both "
    "figures are tiny (about 1% of either total), so a large ratio matters little.",
    (
        "bucharest_sector_2",
        _SECTOR2,
        "IPPU",
    ): "The plan estimates industry from commercial gas sales in the Local Development "
    "Strategy (51% of 807,750 MWh) and assumes electricity is 55% of industry's energy "
    "'by analysing similar plans'; it prices that electricity at 0.401 t/MWh (2018 grid). "
    "The kit's industry is a national per-person share halved, with the 2021 grid factor.",
    (
        "bucharest_sector_2",
        _SECTOR2,
        "AFOLU",
    ): "The plan says agriculture is not visibly present in District 2 and sets it at 1% of "
    "the district's energy, split 60% electricity / 40% diesel 'similar to Cluj-Napoca'; "
    "the kit scales national farm energy by population. Both are about 1% of the total.",
    (
        "bucharest_sector_2",
        _SECTOR2,
        "Waste",
    ): "Different things: the plan's 'waste' is the energy used to collect and process "
    "115,000 t of waste (trucks and plant electricity), while the kit's waste sector is "
    "the methane of landfilled and composted waste and of wastewater (GPC III).",
    (
        "cluj_napoca",
        _CLUJ,
        "Waste",
    ): "Different things: the plan's 'waste' is energy use (81,197 MWh of electricity at "
    "0.701 t/MWh and 5,400 MWh of diesel), while the kit's waste sector is the methane of "
    "landfilled and composted waste and of wastewater (GPC III).",
    (
        "suceava",
        _SUCEAVA,
        "Waste",
    ): "The plan sets waste at 5% of the city's emissions and counts the energy of waste "
    "collection (diesel, electricity), while the kit's waste sector is landfill, compost "
    "and wastewater methane (GPC III).",
    (
        "suceava",
        _SUCEAVA,
        "AFOLU",
    ): "The plan sets agriculture at 0.4% of the city's emissions (70% diesel, 30% "
    "electricity); the kit scales national farm energy by population. Both are tiny.",
    (
        "bistrita",
        _BISTRITA,
        "",
    ): "The 1.5 t is a 2014 footprint that leaves out local industry; it is compared with "
    "the kit's Covenant of Mayors key sectors (homes, services, transport) for 2021.",
}


# ---------------------------------------------------------------------------------------
# Published figures
# ---------------------------------------------------------------------------------------
def published_path() -> Path:
    """The bundled table of published figures."""
    return data_dir() / "validation" / "published_plans.csv"


def _optional_years(df: pd.DataFrame, column: str) -> None:
    """Parse a column of whole years in which a blank means 'not given'."""
    parsed = pd.to_numeric(df[column].replace("", float("nan")), errors="coerce")
    bad = parsed.isna() & (df[column] != "")
    bad |= parsed.notna() & ((parsed % 1 != 0) | (parsed < 1900) | (parsed > 2100))
    if bad.any():
        i = int(bad.to_numpy().nonzero()[0][0])
        raise InputError(
            df.attrs["path"],
            f"expected a year or a blank, got '{df[column].iloc[i]}'",
            row=sheet_row(i),
            column=column,
        )
    df[column] = parsed.astype("Int64")


def load_published(path: str | Path | None = None) -> pd.DataFrame:
    """Read ``data/validation/published_plans.csv`` (or ``path``), checked.

    Every row needs a ``source`` and a ``quality`` flag (``sourced`` or ``derived``: an
    ``illustrative`` figure has no place among published ones), a known city, quantity and
    unit, a unit that fits its quantity, and a known kit measure (or none).
    """
    p = Path(path) if path is not None else published_path()
    df = read_table(p, COLUMNS, numeric=["value"])
    shown = df.attrs["path"]
    check_values(df, "city", load_cities().index, "city")
    check_values(df, "quantity", tuple(QUANTITY_UNITS))
    check_values(df, "unit", UNITS)
    check_values(df, "quality", ("sourced", "derived"))
    check_values(df, "kit_measure", ("", *KIT_MEASURES))
    for i, (q, u) in enumerate(zip(df["quantity"], df["unit"], strict=True)):
        if u not in QUANTITY_UNITS[q]:
            raise InputError(
                shown,
                f"unit '{u}' does not fit {q} (expected one of: {', '.join(QUANTITY_UNITS[q])})",
                row=sheet_row(i),
                column="unit",
            )
    for col in ("document_year", "year", "base_year"):
        _optional_years(df, col)
    return df


# ---------------------------------------------------------------------------------------
# The kit's side
# ---------------------------------------------------------------------------------------
@functools.cache
def _bundled_inventory(city: str) -> Inventory:
    return load_inventory(bundled_inventories()[city])


def kit_inventory(city: str) -> Inventory:
    """The kit's base-year inventory of a city, computed from its bundled activity file
    with the default settings (AR5, production-mix grid factor), as ``m100 inventory``."""
    return _bundled_inventory(city)


def kit_figure(inv: Inventory, measure: str) -> float:
    """The inventory total named by ``measure``, in t CO2e.

    ``basic``, ``basic_plus``, ``total``, ``territorial``: the GPC totals of
    :class:`~m100model.inventory.Inventory`. ``com_key_sectors``: the Covenant of Mayors
    view restricted to its key sectors (residential, tertiary and municipal, transport),
    which is what a SECAP baseline without industry covers.
    """
    if measure == "com_key_sectors":
        com = inv.com_view()
        return float(com.loc[com["key_sector"], "com_tco2"].sum())
    if measure not in KIT_MEASURES:
        raise ValueError(f"unknown kit measure '{measure}' (expected one of {KIT_MEASURES})")
    return float(getattr(inv, f"{measure}_tco2e"))


def kit_sector_figure(inv: Inventory, sector: str) -> float:
    """BASIC tCO2e of the GPC sectors/sub-sectors that match a Climate City Contract
    sector (see :data:`CCC_SECTORS`)."""
    refs = CCC_SECTORS[sector]
    e = inv.emissions[inv.emissions["basic"]]
    mask = e["subsector"].isin(refs) | e["sector"].isin(refs)
    return float(e.loc[mask, "tco2e"].sum())


def ratio_and_flag(published: float, kit: float, factor: float = FLAG_FACTOR) -> tuple[float, bool]:
    """``published / kit`` and whether either is more than ``factor`` times the other.

    The ratio is NaN (and the pair flagged) when the kit figure is zero or negative or
    either figure is missing: such a pair cannot be compared.
    """
    if not (kit > 0) or published is None or math.isnan(published) or math.isnan(kit):
        return float("nan"), True
    ratio = published / kit
    return ratio, bool(ratio > factor or ratio < 1.0 / factor)


def _why(city: str, document: str, sector: str, flag: bool) -> str:
    if not flag:
        return ""
    return WHY.get((city, document, sector), "not yet explained")


def _doc_value(pub: pd.DataFrame, city: str, document: str, quantity: str) -> float:
    sel = pub[(pub["city"] == city) & (pub["document"] == document)]
    sel = sel[(sel["quantity"] == quantity) & (sel["sector"] == "")]
    return float(sel["value"].iloc[0]) if len(sel) else float("nan")


def compare_inventories(
    published: pd.DataFrame | None = None,
    inventory: Callable[[str], Inventory] = kit_inventory,
) -> pd.DataFrame:
    """Published baseline totals beside the kit's base-year figure for the same city.

    One row per published ``baseline_emissions`` or ``per_capita_emissions`` total (sector
    blank) that names a ``kit_measure``. Columns: ``city``, ``city_name``, ``document``,
    ``quantity``, ``published_year``, ``published``, ``unit``, ``kit_year``,
    ``kit_measure``, ``kit``, ``ratio`` (published / kit), ``flag`` (more than
    :data:`FLAG_FACTOR` apart), ``why``, and, where the document gives its grid factor and
    its grid electricity use, ``published_at_kit_grid`` (its total with the kit's grid
    factor of the same year) and ``ratio_at_kit_grid``. ``source`` and ``quality`` follow.

    ``inventory`` maps a city id to its kit inventory (the bundled one by default).
    """
    pub = load_published() if published is None else published
    cities = load_cities()
    rows = []
    mask = pub["quantity"].isin(["baseline_emissions", "per_capita_emissions"])
    mask &= (pub["sector"] == "") & (pub["kit_measure"] != "")
    for r in pub[mask].itertuples(index=False):
        inv = inventory(r.city)
        kit = kit_figure(inv, r.kit_measure)
        if r.quantity == "per_capita_emissions":
            kit /= float(cities.at[r.city, "population_2021"])
        ratio, flag = ratio_and_flag(float(r.value), kit)
        at_grid = float("nan")
        if r.quantity == "baseline_emissions" and not pd.isna(r.year):
            factor = _doc_value(pub, r.city, r.document, "grid_emission_factor")
            mwh = _doc_value(pub, r.city, r.document, "electricity_use")
            if not (math.isnan(factor) or math.isnan(mwh)):
                kit_factor = inv.factors.grid_factor(inv.grid_method, int(r.year)).t_per_mwh
                at_grid = float(r.value) - mwh * (factor - kit_factor)
        rows.append(
            dict(
                city=r.city,
                city_name=str(cities.at[r.city, "city_ro"]),
                document=r.document,
                quantity=r.quantity,
                published_year=r.year,
                published=float(r.value),
                unit=r.unit,
                kit_year=inv.year,
                kit_measure=r.kit_measure,
                kit=kit,
                ratio=ratio,
                flag=flag,
                why=_why(r.city, r.document, "", flag),
                published_at_kit_grid=at_grid,
                ratio_at_kit_grid=at_grid / kit if kit > 0 else float("nan"),
                source=r.source,
                quality=r.quality,
            )
        )
    return pd.DataFrame(rows)


def compare_sectors(
    published: pd.DataFrame | None = None,
    inventory: Callable[[str], Inventory] = kit_inventory,
) -> pd.DataFrame:
    """The sector split of published baselines beside the kit's BASIC split.

    One row per published sector row (``baseline_emissions`` with a ``sector`` of
    :data:`CCC_SECTORS`, or a ``baseline_sector_share`` in %). The kit figure is the BASIC
    tCO2e of the matching GPC sectors (``kit_gpc`` lists them), or its share of the kit
    measure for a share. Same ``ratio``/``flag``/``why`` columns as
    :func:`compare_inventories`.
    """
    pub = load_published() if published is None else published
    cities = load_cities()
    rows = []
    mask = (pub["quantity"] == "baseline_emissions") & (pub["sector"] != "")
    mask |= pub["quantity"] == "baseline_sector_share"
    for r in pub[mask].itertuples(index=False):
        if r.sector not in CCC_SECTORS:
            raise InputError(
                pub.attrs.get("path", "published figures"),
                f"unknown sector '{r.sector}' (expected one of: {', '.join(CCC_SECTORS)})",
                column="sector",
            )
        inv = inventory(r.city)
        kit = kit_sector_figure(inv, r.sector)
        if r.quantity == "baseline_sector_share":
            kit = 100.0 * kit / kit_figure(inv, r.kit_measure or "basic")
        ratio, flag = ratio_and_flag(float(r.value), kit)
        rows.append(
            dict(
                city=r.city,
                city_name=str(cities.at[r.city, "city_ro"]),
                document=r.document,
                sector=r.sector,
                kit_gpc=" + ".join(CCC_SECTORS[r.sector]),
                published_year=r.year,
                published=float(r.value),
                unit=r.unit,
                kit_year=inv.year,
                kit=kit,
                ratio=ratio,
                flag=flag,
                why=_why(r.city, r.document, r.sector, flag),
                source=r.source,
                quality=r.quality,
            )
        )
    return pd.DataFrame(rows)


def compare_targets(
    scenario: str | Path | None = None,
    published: pd.DataFrame | None = None,
    inventory: Callable[[str], Inventory] = kit_inventory,
) -> pd.DataFrame:
    """Published reduction targets beside the target the kit's scenario sets.

    ``scenario`` is a scenario YAML (``data/scenarios/m100_2035.yaml`` by default). For
    each published ``target_reduction`` of a city in the scenario: the published reduction
    (%), target year, base year and target emissions (where printed), and the kit's
    reduction, target year (the scenario's, else the city's from ``cities.csv``), base year
    (the inventory's) and the target emissions it implies (BASIC x (1 - reduction)).
    ``reduction_gap_pp`` is published minus kit, in percentage points; ``same_year`` and
    ``same_base_year`` say whether the two targets are set on the same years.
    """
    from m100model.scenario import load_scenario

    path = scenario or data_dir() / "scenarios" / "m100_2035.yaml"
    scn = load_scenario(path)
    pub = load_published() if published is None else published
    cities = load_cities()
    rows = []
    targets = pub[(pub["quantity"] == "target_reduction") & pub["city"].isin(scn.cities)]
    for r in targets.itertuples(index=False):
        inv = inventory(r.city)
        kit_year = scn.target.year or int(cities.at[r.city, "target_year"])
        kit_reduction = 100.0 * scn.target.reduction
        emissions = pub[
            (pub["city"] == r.city)
            & (pub["document"] == r.document)
            & (pub["quantity"] == "target_emissions")
        ]
        rows.append(
            dict(
                city=r.city,
                city_name=str(cities.at[r.city, "city_ro"]),
                document=r.document,
                published_reduction_pct=float(r.value),
                published_target_year=r.year,
                published_base_year=r.base_year,
                published_target_t=float(emissions["value"].iloc[0])
                if len(emissions)
                else float("nan"),
                kit_reduction_pct=kit_reduction,
                kit_target_year=kit_year,
                kit_base_year=inv.year,
                kit_target_t=inv.basic_tco2e * (1.0 - scn.target.reduction),
                reduction_gap_pp=float(r.value) - kit_reduction,
                same_year=bool(not pd.isna(r.year) and int(r.year) == kit_year),
                same_base_year=bool(not pd.isna(r.base_year) and int(r.base_year) == inv.year),
                scenario=scn.name,
                source=r.source,
            )
        )
    return pd.DataFrame(rows)


def investment_needs(published: pd.DataFrame | None = None) -> pd.DataFrame:
    """Published investment needs (M EUR): one row per city, document and field of action
    (``sector`` blank for the document total), with its quality flag and source."""
    pub = load_published() if published is None else published
    cities = load_cities()
    inv = pub[pub["quantity"] == "investment_need"].copy()
    inv.insert(1, "city_name", inv["city"].map(cities["city_ro"]))
    inv["field"] = inv["sector"].replace("", "Total")
    return inv[
        ["city", "city_name", "document", "field", "year", "value", "unit", "quality", "source"]
    ].reset_index(drop=True)


# -- the kit's modelled results beside the published plans ---------------------------------------
#: The Climate City Contract's fields of action (table C-3.1) for the kit's themes.
THEME_FIELDS = {
    "energy": "Energy systems",
    "mobility": "Mobility & Transport",
    "circular": "Waste & circular economy",
    "nbs": "Green infrastructure & nature-based solutions",
    "buildings": "Built environment",
    "governance": "Soft interventions",
}
#: Why the kit's modelled investment and a plan's published need differ by more than the
#: flag factor, by field of action (the same reasons hold for the three Mission cities).
INVESTMENT_WHY = {
    "Total": "the sum of the fields below: the plans' totals are dominated by public-transport "
    "infrastructure, which the kit's catalogue does not hold, while the kit spends more on "
    "buildings",
    "Mobility & Transport": "the plans' mobility budgets are mostly heavy public-transport "
    "infrastructure (Cluj-Napoca's metro and metropolitan train, District 2's tram and metro "
    "links); the kit's mobility measures are vehicles, cycle lanes, parking and a low-emission "
    "zone, costed per unit, and its least-cost plan buys the cheapest tonnes first",
    "Green infrastructure & nature-based solutions": "the plans budget parks, urban forests "
    "and green corridors for adaptation and quality of life; the kit values only the carbon "
    "they store (about 10 t CO2 per hectare a year), so its least-cost plan builds few of them",
    "Waste & circular economy": "the kit's waste plants take three years to prepare and are "
    "built whole, so little is spent by 2030; the plans also count collection systems and "
    "equipment the kit does not cost",
    "Soft interventions": "the kit's governance programmes are small enabling programmes "
    "(an energy manager, a one-stop shop, a transition team); the plans count communication, "
    "digital platforms and capacity building",
    "Built environment": "the kit renovates blocks and houses and installs heat pumps at "
    "scale, counting the whole cost to society (owners' share included); the plans list the "
    "municipality's own building actions",
    "Energy systems": "the kit's energy spending is district-heating supply and rooftop PV "
    "sized to the city's pools; the plans' energy actions are a list of named projects whose "
    "size was set by the city",
}
#: The scenario whose results are set beside the published plans.
KIT_SCENARIO = "m100_2035"
KIT_RESULTS_COLUMNS = (
    "city",
    "scenario",
    "quantity",
    "field",
    "year_from",
    "year_to",
    "value",
    "unit",
    "inputs",
    "source",
    "quality",
)


def kit_results_path() -> Path:
    return data_dir() / "validation" / "kit_results.csv"


def inputs_fingerprint(root: Path | None = None) -> str:
    """SHA-256 of everything the kit's modelled results depend on: the bundled data (CSV,
    except the validation and monitoring folders), the scenario of :data:`KIT_SCENARIO` and
    the modules that assemble and formulate the model. ``kit_results.csv`` carries the
    fingerprint of the inputs it was computed from, so a test can tell when it must be
    computed again."""
    import hashlib

    base = data_dir() if root is None else root / "data"
    code = Path(__file__).resolve().parent
    # Not model inputs: the published figures themselves, the monitoring exercise files and
    # the embodied-carbon factors (read by the whole-life calculator only, never the model).
    skip = {"validation", "monitoring"}
    not_read = {"factors/embodied_carbon.csv"}
    files = sorted(
        p
        for p in base.rglob("*.csv")
        if not skip & set(p.relative_to(base).parts)
        and p.relative_to(base).as_posix() not in not_read
    )
    files.append(base / "scenarios" / f"{KIT_SCENARIO}.yaml")
    files += [code / name for name in ("pathways.py", "prices.py", "fleet.py", "inventory.py")]
    files += [code / "portfolio" / name for name in ("build.py", "data.py")]
    h = hashlib.sha256()
    for p in files:
        name = p.relative_to(base).as_posix() if p.is_relative_to(base) else p.name
        h.update(name.encode())
        h.update(p.read_bytes().replace(b"\r\n", b"\n"))
    return h.hexdigest()


def kit_results_table(summary: dict, deployment: pd.DataFrame) -> pd.DataFrame:
    """The rows of ``kit_results.csv`` from a run of :data:`KIT_SCENARIO`: per city, its
    target year's baseline, modelled and target emissions, whether the target is met, and the
    investment from the first model year to the target year, in total and by field of
    action (the spending on the projects commissioned, by the year it is spent)."""
    rows = []
    first = int(min(int(y) for y in summary["emissions_kt"]))
    fingerprint = inputs_fingerprint()
    for city, c in summary["by_city_in_target_year"].items():
        year = int(c["target_year"])

        def row(quantity, value, unit, field="", y0=year, y1=year, city=city):
            rows.append(
                dict(
                    city=city,
                    scenario=summary["scenario"],
                    quantity=quantity,
                    field=field,
                    year_from=y0,
                    year_to=y1,
                    value=value,
                    unit=unit,
                    inputs=fingerprint,
                    source=f"m100 run data/scenarios/{KIT_SCENARIO}.yaml "
                    "(scripts/kit_results_for_validation.py)",
                    quality="illustrative",
                )
            )

        row("baseline_emissions", round(c["baseline_kt"], 3), "kt CO2e")
        row("modelled_emissions", round(c["emissions_kt"], 3), "kt CO2e")
        row("target_emissions", round(c["target_kt"], 3), "kt CO2e")
        row("target_met", int(bool(c["met"])), "1")
        spent = deployment[(deployment["city"] == city) & (deployment["year"] <= year)]
        by_theme = spent.groupby("theme")["spend_meur"].sum()
        row("investment", round(float(by_theme.sum()), 3), "M EUR", "", first, year)
        for theme, field in THEME_FIELDS.items():
            row(
                "investment", round(float(by_theme.get(theme, 0.0)), 3), "M EUR", field, first, year
            )
    return pd.DataFrame(rows, columns=list(KIT_RESULTS_COLUMNS))


def load_kit_results(path: str | Path | None = None) -> pd.DataFrame:
    """``data/validation/kit_results.csv`` (see :func:`kit_results_table`)."""
    df = read_table(
        kit_results_path() if path is None else path,
        [c for c in KIT_RESULTS_COLUMNS if c not in ("source", "quality")],
        numeric=["year_from", "year_to", "value"],
    )
    df["field"] = df["field"].fillna("")
    return df


def compare_investment(
    published: pd.DataFrame | None = None, kit: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Published investment needs beside the kit's modelled investment for the same city and
    field of action (``Total`` for the whole plan), the ratio *published / kit* and a flag
    when they differ by more than a factor of two. The published plans count the money of
    their action list up to 2030; the kit counts what its least-cost plan spends from its
    first model year to the city's target year, so the periods are shown with the figures."""
    pub = investment_needs(published)
    kit = load_kit_results() if kit is None else kit
    kit = kit[kit["quantity"] == "investment"].copy()
    kit["field"] = kit["field"].replace("", "Total")
    merged = pub.merge(
        kit[["city", "field", "year_from", "year_to", "value"]].rename(
            columns={"value": "kit_meur"}
        ),
        on=["city", "field"],
        how="inner",
    ).rename(columns={"value": "published_meur"})
    ratios = [
        ratio_and_flag(p, k)
        for p, k in zip(merged["published_meur"], merged["kit_meur"], strict=True)
    ]
    merged["ratio"] = [r for r, _ in ratios]
    merged["flag"] = [f for _, f in ratios]
    merged["why"] = [
        INVESTMENT_WHY.get(field, "not yet explained") if flag else ""
        for field, flag in zip(merged["field"], merged["flag"], strict=True)
    ]
    return merged[
        [
            "city",
            "city_name",
            "field",
            "published_meur",
            "kit_meur",
            "year_from",
            "year_to",
            "ratio",
            "flag",
            "why",
            "quality",
            "source",
        ]
    ].reset_index(drop=True)
