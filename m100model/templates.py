"""Templates for an analyst's own city (``m100 new-city``): an activity-data workbook and
CSV, a file of city details and a starter scenario that points at them.

The workbook's first sheet, ``activity``, is the inventory: one row per BASIC sub-sector,
each marked ``NE`` (not estimated) until it is replaced by activity data, one row per fuel,
or by another notation key with its reason. Drop-down lists (Excel data validation) offer
the GPC references, fuels, units, notation keys and quality flags the kit knows; the sheet
``city`` holds the city details (:class:`m100model.cities.CityDetails`), ``guide`` explains
every column and lists the GPC references and fuels, and the hidden ``lists`` holds the
drop-down values. The CSV files hold the same activity rows and city details for those who
prefer them; the starter scenario names the workbook.
"""

from __future__ import annotations

import re
from pathlib import Path

from m100model.cities import CITY_SHEET, bundled_cities
from m100model.inventory import OPTIONAL_COLUMNS, REQUIRED_COLUMNS, gpc_reference
from m100model.tables import data_dir

ACTIVITY_COLUMNS = list(REQUIRED_COLUMNS + OPTIONAL_COLUMNS)
CITY_COLUMNS = [
    "city_id",
    "city",
    "city_ro",
    "county",
    "nuts3",
    "group",
    "target_year",
    "population",
    "population_year",
    "population_source",
    "population_quality",
]
UNITS = ["MWh", "kWh", "GWh", "GJ", "TJ", "t", "kg", "m3", "L", "vkm", "Gcal", "toe"]
NOT_ESTIMATED = (
    "Not estimated yet: replace this row with activity data (one row per fuel: fuel, amount, "
    "unit, source, quality) or keep a notation key (NO, IE, NE, C) and say why here."
)
GUIDE = [
    ("city", "Your city's id (the same on every row and in the sheet 'city')."),
    ("year", "The inventory year (one year per file)."),
    ("gpc_ref", "GPC v1.1 reference, e.g. I.1.1 residential fuel combustion (list below)."),
    ("fuel", "What is used, from the list (natural_gas, diesel, electricity, msw, ...)."),
    ("amount", "How much, as a number (no units in this cell)."),
    ("unit", "The unit of amount: MWh, kWh, GJ, TJ, t, kg, m3, L, vkm (vehicle-km), ..."),
    (
        "notation_key",
        "Instead of an amount: NO (not occurring), IE (included elsewhere), "
        "NE (not estimated) or C (confidential); give the reason in comment.",
    ),
    ("ef_id", "Optional: a specific factor set from data/factors/emission_factors.csv."),
    ("vehicle", "For activity in vkm: the vehicle type (data/factors/vehicle_intensity.csv)."),
    ("source", "Where the number comes from (publication, office, year)."),
    (
        "quality",
        "sourced (published), derived (computed from published figures) or "
        "illustrative (assumed, for teaching).",
    ),
    ("comment", "Anything a reviewer should know; the reason for a notation key."),
]
CITY_GUIDE = [
    ("city_id", "An id of lower-case letters, digits and _ (e.g. my_town)."),
    ("city", "The city's name as readers know it."),
    ("nuts3", "The county's NUTS 3 code (e.g. RO113 Cluj): its population projection is used."),
    ("group", "eu_mission, m100_mirror or any group of your own (e.g. other)."),
    ("target_year", "The year of the climate-neutrality target (2030 Mission, 2035 mirror)."),
    ("population", "Resident population (whole number) and population_year, its year."),
    ("population_source", "Where the population comes from (e.g. INS RPL2021)."),
]


def slug(name: str) -> str:
    """A city id from a name: ``"Târgu Mureș"`` gives ``targu_mures``."""
    import unicodedata

    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"[^a-z0-9]+", "_", plain.lower()).strip("_")
    if not text or not text[0].isalpha():
        text = f"city_{text}".rstrip("_")
    return text[:40]


def activity_rows(city_id: str, year: int) -> list[dict]:
    """One ``NE`` row per BASIC sub-sector."""
    gpc = gpc_reference()
    rows = []
    for r in gpc[gpc["basic"]].itertuples():
        row = dict.fromkeys(ACTIVITY_COLUMNS, "")
        row.update(city=city_id, year=year, gpc_ref=r.gpc_ref, notation_key="NE")
        row["comment"] = NOT_ESTIMATED
        rows.append(row)
    return rows


def city_row(city_id: str, name: str, target_year: int, group: str) -> dict:
    return dict(
        city_id=city_id,
        city=name,
        city_ro=name,
        county="",
        nuts3="",
        group=group,
        target_year=target_year,
        population="",
        population_year=2021,
        population_source="",
        population_quality="sourced",
    )


def starter_scenario(city_id: str, name: str, workbook: str, csv_name: str, city_csv: str) -> str:
    return f"""# Starter scenario for {name}, written by `m100 new-city`.
# Paths are relative to this file's folder. Fill in the workbook first (sheet 'activity':
# your inventory; sheet 'city': population, NUTS 3 code, target year), then:
#   m100 inventory {workbook}      (check the inventory)
#   m100 run {city_id}.yaml        (the least-cost portfolio)
# To use the CSV files instead, write  city_details: {city_csv}  and  {city_id}: {csv_name}.
# Every other setting and its default: m100model/scenario.py (class Scenario).
name: {city_id}
description: >-
  {name}: climate-neutrality pathway and least-cost portfolio from the city's own inventory.
city_details: {workbook}
cities: [{city_id}]
inventories:
  {city_id}: {workbook}
target:
  kind: net_zero     # cut BASIC emissions by `reduction` by the target year (from 'city')
  reduction: 0.8     # the Cities Mission asks at least 80%
first_year: 2025
horizon: 2050
perspective: society # every euro of capex counts; grants and loans are transfers
"""


def write_city_template(
    folder: Path,
    city_id: str,
    name: str,
    *,
    year: int = 2022,
    target_year: int = 2035,
    group: str = "other",
) -> dict[str, Path]:
    """Fill ``folder`` (which must exist and be empty) with the templates; returns the
    files by role (``workbook``, ``activity_csv``, ``city_csv``, ``scenario``)."""
    import pandas as pd

    from m100model.io import write_csv

    files = {
        "workbook": folder / f"{city_id}_activity.xlsx",
        "activity_csv": folder / f"{city_id}_activity.csv",
        "city_csv": folder / f"{city_id}_city.csv",
        "scenario": folder / f"{city_id}.yaml",
    }
    rows = activity_rows(city_id, year)
    city = city_row(city_id, name, target_year, group)
    write_csv(files["activity_csv"], pd.DataFrame(rows, columns=ACTIVITY_COLUMNS))
    write_csv(files["city_csv"], pd.DataFrame([city], columns=CITY_COLUMNS))
    _workbook(files["workbook"], rows, city)
    files["scenario"].write_text(
        starter_scenario(
            city_id,
            name,
            files["workbook"].name,
            files["activity_csv"].name,
            files["city_csv"].name,
        ),
        encoding="utf-8",
    )
    return files


def _workbook(path: Path, rows: list[dict], city: dict) -> None:
    import openpyxl
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    from m100model.factors import load_factors

    gpc = gpc_reference()
    fuels = load_factors().fuels
    head = Font(bold=True, color="FFFFFF")
    fill = PatternFill("solid", fgColor="0072B2")
    wb = openpyxl.Workbook()

    # The drop-down values, on a hidden sheet (a list longer than 255 characters must be a
    # range, not a literal).
    lists = wb.create_sheet("lists")
    columns = {
        "gpc_ref": list(gpc["gpc_ref"]),
        "fuel": list(fuels.index),
        "unit": UNITS,
        "notation_key": ["NO", "IE", "NE", "C"],
        "quality": ["sourced", "derived", "illustrative"],
        "nuts3": _nuts3_codes(),
        "group": ["eu_mission", "m100_mirror", "other"],
    }
    ranges = {}
    for j, (key, values) in enumerate(columns.items(), start=1):
        letter = get_column_letter(j)
        lists.cell(row=1, column=j, value=key)
        for i, v in enumerate(values, start=2):
            lists.cell(row=i, column=j, value=v)
        ranges[key] = f"lists!${letter}$2:${letter}${len(values) + 1}"
    lists.sheet_state = "hidden"

    def table(ws, header: list[str], data: list[dict], widths: dict[str, int]) -> None:
        ws.append(header)
        for c in ws[1]:
            c.font, c.fill = head, fill
        for r in data:
            ws.append([r.get(h, "") if r.get(h, "") != "" else None for h in header])
        for j, h in enumerate(header, start=1):
            ws.column_dimensions[get_column_letter(j)].width = widths.get(h, 14)
        ws.freeze_panes = "A2"

    def validate(ws, header: list[str], column: str, rule: DataValidation, last: int) -> None:
        letter = get_column_letter(header.index(column) + 1)
        rule.add(f"{letter}2:{letter}{last}")
        ws.add_data_validation(rule)

    def pick(key: str, *, strict: bool = True) -> DataValidation:
        return DataValidation(
            type="list",
            formula1=f"={ranges[key]}",
            allow_blank=True,
            errorStyle="stop" if strict else "information",
            error=f"Choose a value from the list ({key}).",
            errorTitle="Not in the list",
            showErrorMessage=True,
        )

    def number(kind: str, low: str, high: str | None, error: str) -> DataValidation:
        """A number (``decimal`` or ``whole``) of at least ``low`` (and at most ``high``)."""
        return DataValidation(
            type=kind,
            operator="greaterThanOrEqual" if high is None else "between",
            formula1=low,
            formula2=high,
            allow_blank=True,
            error=error,
            errorTitle="Not a valid number",
            showErrorMessage=True,
        )

    ws = wb.active
    ws.title = "activity"
    table(
        ws,
        ACTIVITY_COLUMNS,
        rows,
        {
            "city": 14,
            "gpc_ref": 10,
            "fuel": 22,
            "amount": 14,
            "unit": 8,
            "source": 40,
            "comment": 60,
        },
    )
    last = 1000  # rows ready for data (validation applies to them)
    validate(ws, ACTIVITY_COLUMNS, "gpc_ref", pick("gpc_ref"), last)
    validate(ws, ACTIVITY_COLUMNS, "fuel", pick("fuel"), last)
    validate(ws, ACTIVITY_COLUMNS, "unit", pick("unit", strict=False), last)
    validate(ws, ACTIVITY_COLUMNS, "notation_key", pick("notation_key"), last)
    validate(ws, ACTIVITY_COLUMNS, "quality", pick("quality"), last)
    amount = number(
        "decimal",
        "0",
        None,
        "A number of 0 or more, without its unit (the unit goes in the next column).",
    )
    validate(ws, ACTIVITY_COLUMNS, "amount", amount, last)
    validate(
        ws,
        ACTIVITY_COLUMNS,
        "year",
        number("whole", "1990", "2100", "A year between 1990 and 2100."),
        last,
    )
    for row in ws.iter_rows(min_row=2, max_row=len(rows) + 1):
        row[ACTIVITY_COLUMNS.index("comment")].alignment = Alignment(wrap_text=False)

    cs = wb.create_sheet(CITY_SHEET, 1)
    table(
        cs,
        CITY_COLUMNS,
        [city],
        {"city": 20, "city_ro": 20, "population_source": 40, "population_quality": 18},
    )
    validate(cs, CITY_COLUMNS, "nuts3", pick("nuts3", strict=False), 20)
    validate(cs, CITY_COLUMNS, "group", pick("group", strict=False), 20)
    validate(cs, CITY_COLUMNS, "population_quality", pick("quality"), 20)
    population = number("whole", "1", "20000000", "The resident population: a whole number.")
    validate(cs, CITY_COLUMNS, "population", population, 20)
    target = number("whole", "2025", "2100", "The target year: 2025 to 2100.")
    validate(cs, CITY_COLUMNS, "target_year", target, 20)

    gs = wb.create_sheet("guide", 2)
    gs.append(["Sheet 'activity': one row per GPC reference and fuel"])
    gs["A1"].font = Font(bold=True, size=13)
    for col, text in GUIDE:
        gs.append([col, text])
    gs.append([])
    gs.append(["Sheet 'city': the city details"])
    gs.cell(row=gs.max_row, column=1).font = Font(bold=True, size=13)
    for col, text in CITY_GUIDE:
        gs.append([col, text])
    gs.append([])
    gs.append(["GPC references (BASIC: required for a BASIC inventory)"])
    gs.cell(row=gs.max_row, column=1).font = Font(bold=True, size=13)
    gs.append(["gpc_ref", "sub-sector", "scope", "BASIC", "what"])
    for r in gpc.itertuples():
        gs.append(
            [
                r.gpc_ref,
                r.subsector_name,
                int(r.scope),
                "yes" if r.basic else "",
                getattr(r, "description", ""),
            ]
        )
    gs.append([])
    gs.append(["Fuels"])
    gs.cell(row=gs.max_row, column=1).font = Font(bold=True, size=13)
    gs.append(["fuel", "name", "name (Romanian)"])
    for fid, f in fuels.iterrows():
        gs.append([fid, f.get("name", ""), f.get("name_ro", "")])
    gs.column_dimensions["A"].width = 20
    gs.column_dimensions["B"].width = 60
    gs.column_dimensions["E"].width = 60
    wb.save(path)


def _nuts3_codes() -> list[str]:
    """NUTS 3 codes the kit has a population projection for, then those of the 13 cities."""
    import pandas as pd

    proj = pd.read_csv(data_dir() / "drivers" / "population_projection.csv", dtype=str)
    codes = {g for g in proj["geo"] if re.fullmatch(r"RO\d{3}", g)}
    codes |= {c for c in bundled_cities().get("nuts3", pd.Series(dtype=str)) if isinstance(c, str)}
    return sorted(codes)
