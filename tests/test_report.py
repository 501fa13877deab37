"""The outputs of `m100 run` as a finance officer and a council read them: the investment plan
workbook (names, M EUR, totals, formats, frozen panes, one sheet per city), whole units for
indivisible projects, the diagnosis and carbon prices in words, data-quality labels from the
data's own flags, and fixed colours per theme and funding source in every chart."""

from __future__ import annotations

import functools
import json
import re

import openpyxl
import pandas as pd
import pytest

from m100model.cities import city_name
from m100model.projects import THEME_NAMES, load_archetypes, load_instruments
from m100model.report import (
    COUNTABLE_UNITS,
    FUNDING_GROUPS,
    NO_PRICE,
    SCALED_UNITS,
    built_in_words,
    html_report,
    price_note,
    reference_people,
    run_scenario,
    summary,
    what_is_built,
    write_outputs,
)
from m100model.scenario import Scenario
from m100model.tables import bundled_inventories

CITIES = ["resita", "alba_iulia"]


def _scenario(**changes) -> Scenario:
    base = dict(
        name="t",
        cities=CITIES,
        first_year=2025,
        horizon=2032,
        archetypes=["en_led", "en_pv_public", "bld_reno_public", "gov_energy_mgmt", "mob_ebus"],
        indivisible=False,
        tickets=False,
        target={"kind": "reduction", "year": 2032, "reduction": 0.1},
    )
    base.update(changes)
    return Scenario(**base)


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> tuple:
    """A two-city run written to a folder: (run, folder, summary)."""
    folder = tmp_path_factory.mktemp("run")
    out = run_scenario(_scenario())
    info = write_outputs(out, folder)
    return out, folder, info


def _body(page: str) -> str:
    """The report's page without the inlined Vega bundle and chart specs."""
    body = page.split("</script></head>", 1)[1]
    return re.sub(r"<script>.*?</script>", "", body, flags=re.S)


def _rows(ws) -> list[list]:
    return [list(r) for r in ws.iter_rows(values_only=True)]


def _plan(ws) -> tuple[list, pd.DataFrame]:
    """Header (row 3) and body (from row 4) of a plan sheet, keyed by the row label."""
    rows = _rows(ws)
    header = rows[2]
    body = pd.DataFrame(rows[3:], columns=header)
    return header, body


# ---------------------------------------------------------------------------------------
# 1. The investment plan workbook
# ---------------------------------------------------------------------------------------
def test_sector_2_is_left_out_of_the_money_totals_as_of_the_emissions(tmp_path):
    """Bucharest's plan cuts the emissions of the whole city, Sector 2's included: with both
    in a scenario, Sector 2's own plan is shown on its sheet and left out of every money total
    (workbook, summary, report, command line), as its emissions are left out of the emissions
    totals; its sheet and the total say so."""
    both = ["bucharest", "bucharest_sector_2"]
    out = run_scenario(_scenario(cities=both, archetypes=["en_led", "en_pv_public", "mob_ebus"]))
    info = write_outputs(out, tmp_path)
    inv = out.result.investment
    assert set(inv["city"]) == set(both)  # both cities invest
    city_only = inv[inv["city"] == "bucharest"]
    # summary.json: by instrument, Bucharest's money only
    got = {s: sum(by_year.values()) for s, by_year in info["investment_meur"].items()}
    expect = city_only.groupby("instrument")["meur"].sum()
    assert got == pytest.approx(expect.round(3).to_dict(), abs=2e-3)
    assert "Sector 2" in info["totals_note"] and info["totals_exclude"] == ["bucharest_sector_2"]
    # the workbook's total sheet is Bucharest's sheet; Sector 2's sheet has its own plan
    wb = openpyxl.load_workbook(tmp_path / "investment_plan.xlsx")
    whole = _plan(wb["Investment plan"])[1].set_index("Funding source")
    assert float(whole.loc["Total financing", "Total (M EUR)"]) == pytest.approx(
        city_only["meur"].sum(), abs=1e-9
    )
    sector = _plan(wb[city_name("bucharest_sector_2")])[1].set_index("Funding source")
    assert float(sector.loc["Total financing", "Total (M EUR)"]) == pytest.approx(
        inv[inv["city"] == "bucharest_sector_2"]["meur"].sum(), abs=1e-9
    )
    for sheet in ("Investment plan", city_name("bucharest_sector_2")):
        assert "left out of the totals" in str(wb[sheet]["A2"].value), sheet
    assert "left out" not in str(wb[city_name("bucharest")]["A2"].value)
    # the report's investment line
    page = _body((tmp_path / "report.html").read_text(encoding="utf-8"))
    assert f"<b>{city_only['meur'].sum():,.1f} M EUR</b>" in page
    assert "left out of the totals" in page


def test_workbook_sheets_headers_and_layout(written):
    out, folder, _info = written
    wb = openpyxl.load_workbook(folder / "investment_plan.xlsx")
    assert wb.sheetnames == [
        "Read me",
        "Investment plan",
        *(city_name(c) for c in CITIES),
        "Portfolio",
        "Emissions",
        "Carbon prices",
        "IAMC",
    ]
    years = list(out.data.years)
    for name in ("Investment plan", *(city_name(c) for c in CITIES)):
        ws = wb[name]
        header, body = _plan(ws)
        assert header[:2] == ["Funding source", "Type"]
        # every money column says M EUR; years as columns through the horizon, then a total
        assert all("M EUR" in h for h in header[2:])
        assert header[2:-1] == [f"{y} (M EUR)" for y in years]
        assert header[-1] == "Total (M EUR)"
        # header row and label columns frozen
        assert ws.freeze_panes == "C4"
        # one decimal with a thousands separator in every money cell
        for row in ws.iter_rows(min_row=4, min_col=3):
            for c in row:
                if isinstance(c.value, int | float):
                    assert c.number_format.startswith("#,##0.0"), (name, c.coordinate)
        # column widths set: labels wide enough for the longest name, years readable
        assert ws.column_dimensions["A"].width >= max(
            min(60, len(str(v))) for v in body["Funding source"] if v
        )
        assert ws.column_dimensions["C"].width >= 10
    for name in ("Portfolio", "Emissions", "Carbon prices"):
        assert wb[name].freeze_panes == "C4"


def test_workbook_totals_are_the_sum_of_the_parts(written):
    out, folder, _info = written
    wb = openpyxl.load_workbook(folder / "investment_plan.xlsx")
    inst = load_instruments()
    years = list(out.data.years)
    inv = out.result.investment
    for city, sheet in [(None, "Investment plan"), *((c, city_name(c)) for c in CITIES)]:
        part = inv if city is None else inv[inv["city"] == city]
        # computed independently: M EUR by instrument and year from the model's table
        expect = part.pivot_table(
            index="instrument", columns="year", values="meur", aggfunc="sum", fill_value=0.0
        ).reindex(columns=years, fill_value=0.0)
        _header, body = _plan(wb[sheet])
        body = body.set_index("Funding source")
        cols = [f"{y} (M EUR)" for y in years]
        for s, row in expect.iterrows():
            name = inst.at[s, "name"].split(":")[0].split(", ")[0]
            got = body.loc[name, cols].fillna(0.0).astype(float).to_numpy()
            assert got == pytest.approx(row.to_numpy(), abs=1e-9), (sheet, s)
            assert float(body.loc[name, "Total (M EUR)"]) == pytest.approx(row.sum(), abs=1e-9)
        total = body.loc["Total financing", cols].astype(float).to_numpy()
        assert total == pytest.approx(expect.sum().to_numpy(), abs=1e-9)
        assert float(body.loc["Total financing", "Total (M EUR)"]) == pytest.approx(
            part["meur"].sum(), abs=1e-9
        )
        # subtotals by kind (grants, loans and bonds, own funds, private capital)
        kinds = part["instrument"].map(inst["kind"]).map(FUNDING_GROUPS)
        for group, amount in part.groupby(kinds)["meur"].sum().items():
            assert float(body.loc[f"{group}: total", "Total (M EUR)"]) == pytest.approx(
                amount, abs=1e-9
            )
        # capex is what is financed; opex is each project's units in service times its opex
        capex = body.loc["Capital spending (capex, with preparation; financed above)", cols]
        assert capex.astype(float).to_numpy() == pytest.approx(total, abs=1e-9)
    # the city sheets add up to the total sheet
    _h, whole = _plan(wb["Investment plan"])
    sums = sum(
        _plan(wb[city_name(c)])[1].set_index("Funding source")["Total (M EUR)"].fillna(0.0)
        for c in CITIES
    )
    assert float(sums["Total financing"]) == pytest.approx(
        float(whole.set_index("Funding source").loc["Total financing", "Total (M EUR)"])
    )
    # grant, loan, own-funds split and capex, opex split on the total sheet
    labels = set(whole["Funding source"].dropna())
    assert {"Grants: total", "Capex and opex"} <= labels
    assert any("opex" in str(v) for v in labels)


def test_workbook_says_names_not_ids(written):
    out, folder, _info = written
    wb = openpyxl.load_workbook(folder / "investment_plan.xlsx")
    inst = load_instruments()
    used = set(out.result.investment["instrument"])
    text = {
        name: " ".join(str(v) for row in _rows(wb[name]) for v in row if v is not None)
        for name in wb.sheetnames
        if name != "IAMC"  # the model-exchange format keeps ids
    }
    for s in used:
        short = inst.at[s, "name"].split(":")[0].split(", ")[0]
        assert short in text["Investment plan"]
        for name, t in text.items():
            assert not re.search(rf"\b{re.escape(s)}\b", t), (name, s)
    for c in CITIES:  # city names, not ids
        assert c not in text["Portfolio"] and city_name(c) in text["Portfolio"]
    for a in set(out.result.portfolio["archetype_id"]):
        assert a not in text["Portfolio"]
    # the Read me says what each sheet is
    readme = text["Read me"]
    for name in wb.sheetnames:
        assert name in readme


def test_workbook_text_is_neutralised(tmp_path):
    out = run_scenario(_scenario(name="t", description='=HYPERLINK("http://x")', cities=["resita"]))
    excel_path = tmp_path / "plan.xlsx"
    from m100model.report import excel_plan

    excel_plan(out, excel_path)
    wb = openpyxl.load_workbook(excel_path)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", (ws.title, c.coordinate, c.value)


# ---------------------------------------------------------------------------------------
# 2. Whole units for indivisible projects, programme sizes for divisible ones
# ---------------------------------------------------------------------------------------
# Countable nouns (items and programmes) in both numbers: never after a fractional count.
_SINGULAR = {**COUNTABLE_UNITS, **SCALED_UNITS}
_NOUNS = "|".join(sorted({*_SINGULAR, *_SINGULAR.values()}, key=len, reverse=True))
_YEARS = [2027, 2028, 2029, 2030, 2031, 2035, 2040, 2041, 2050]


def _misreadings(text: str) -> list[str]:
    """What keeps a "What is built" phrase from reading as English: a fractional (or zero)
    count of a countable noun ("1.3 programme", "139.7 buses", "0 trains"), a number that
    disagrees with its noun ("1 buses", "3 bus"), two numbers in a row ("1.1 1000 PE"),
    "1 x", "and ... and" lists, unbalanced brackets, stray spaces or missing values."""
    bad = []
    for m in re.finditer(rf"(\d[\d,]*(?:\.\d+)?)\s+({_NOUNS})\b", text):
        count, noun = m.group(1).replace(",", ""), m.group(2)
        if "." in count or float(count) == 0:
            bad.append(f"a count of {m.group(0)!r}")
        elif (float(count) == 1) != (noun in _SINGULAR):
            bad.append(f"number and noun disagree: {m.group(0)!r}")
    checks = {
        "two numbers in a row": r"\d\s+\d",
        "'1 x'": r"\b\d+ x\b",
        "'and ... and'": r"\band\b[^;(]*\band\b",
        "a missing value": r"\b(nan|None|inf)\b",
        "stray spaces": r"  |\s[,;)]|\(\s",
        "a word twice": r"\b(\w+) \1\b",
        "'0.0' or '0%'": r"(?<![\d.,])0(\.0)?%?\s",
    }
    bad += [name for name, pattern in checks.items() if re.search(pattern, text)]
    if text.count("(") != text.count(")"):
        bad.append("unbalanced brackets")
    if not re.search(r"\b(built|bought|planted|reached|started)\b", text):
        bad.append("no verb")
    return bad


def _catalogue_sizes(a: str, arch: pd.DataFrame) -> list[float]:
    """One project's size for an archetype: its ceiling in each bundled city, in a town of
    20,000 and one of 150,000 people, and a third of each (a scenario with three phases)."""
    from m100model.cities import load_cities
    from m100model.projects import ceiling

    sizes = [ceiling(arch.loc[a], c, float(r.population_2021)) for c, r in load_cities().iterrows()]
    per_1000 = float(arch.at[a, "max_units_per_1000_inhabitants"])
    sizes += [per_1000 * pop / 1000 for pop in (20_000, 150_000)]
    return sorted({round(s * k, 6) for s in sizes if s > 0 for k in (1, 1 / 3)})


def _phrases(unit: str, size: float, people: float | None) -> dict[str, str]:
    """Every way a project of this size can be described: built whole once and renewed;
    relaxed (an indivisible measure built whole, or in part); divisible (all of it over
    years, part of it, a little in one year)."""
    w = functools.partial(built_in_words, unit, people_per_unit=people)
    return {
        "whole": w(size=size, units=size, peak_share=1, years=[2030], whole=True),
        "whole, renewed": w(
            size=size, units=2 * size, peak_share=1, years=[2030, 2045], whole=True
        ),
        "relaxed, whole": w(
            size=size,
            units=3 * size,
            peak_share=1,
            years=[2030, 2040, 2050],
            whole=False,
            by_nature=True,
        ),
        "relaxed, part": w(
            size=size,
            units=0.95 * size,
            peak_share=0.95,
            years=[2030],
            whole=False,
            by_nature=True,
        ),
        "divisible, all": w(size=size, units=size, peak_share=1, years=_YEARS[:5], whole=False),
        "divisible, part and replaced": w(
            size=size, units=0.8 * size, peak_share=0.37, years=_YEARS, whole=False
        ),
        "divisible, a little": w(
            size=size, units=0.02 * size, peak_share=0.02, years=[2031], whole=False
        ),
    }


@pytest.mark.parametrize("archetype", sorted(load_archetypes().index))
def test_every_archetype_s_size_reads_as_english(archetype):
    """Over the whole catalogue: each archetype's "What is built", for each size a city can
    have and whole, part and relaxed, has no fractional count of a countable noun ("1.3
    programme", "139.7 buses") and reads as English."""
    arch = load_archetypes()
    unit = str(arch.at[archetype, "unit"])
    people = reference_people(archetype)
    if unit in SCALED_UNITS:
        assert people == 50_000  # archetypes.csv: one programme per 50000 inhabitants
    for size in _catalogue_sizes(archetype, arch):
        for case, text in _phrases(unit, size, people).items():
            assert not _misreadings(text), (archetype, size, case, text, _misreadings(text))
            assert re.search(r"20[2-5]\d", text), text  # says when
            if unit in SCALED_UNITS and case != "divisible, a little":
                assert (
                    "inhabitants" in text
                    or "reference size" in text
                    or re.search(r"\b\d+ programmes?\b", text)
                ), text


def test_programme_sizes_in_words():
    """The phrases of the demo's governance and waste-prevention measures, and the three
    kinds of unit: an indivisible project of 1.3 programmes, a divisible programme, whole
    countable items."""
    w = functools.partial(built_in_words, people_per_unit=50_000)
    size = 0.02 * 64_227 / 1000  # Alba Iulia: 1.28 programmes
    assert w(
        "programme",
        size=size,
        units=3 * size,
        peak_share=1,
        years=[2030, 2040, 2050],
        whole=False,
        by_nature=True,
    ) == (
        "the whole programme for about 64,000 inhabitants (1.3 times the reference size), "
        "started 2030, 2040 and 2050"
    )
    assert w(
        "programme",
        size=size,
        units=0.95 * size,
        peak_share=0.95,
        years=[2030],
        whole=False,
        by_nature=True,
    ).startswith(
        "95% of one programme for about 64,000 inhabitants (1.3 times the reference size), "
        "started 2030 (this scenario lets indivisible measures be built in part"
    )
    assert w(
        "programme", size=size, units=2 * size, peak_share=1, years=[2030, 2040], whole=True
    ) == (
        "one programme for about 64,000 inhabitants (1.3 times the reference size), started "
        "in 2030 and renewed in 2040"
    )
    assert w("programme", size=1.0, units=1.0, peak_share=1, years=[2027], whole=True) == (
        "one programme of the reference size, started in 2027"
    )
    assert w("programme", size=2.6, units=2.6, peak_share=1, years=[2030, 2031], whole=False) == (
        "programmes for about 130,000 inhabitants, started 2030-2031 (reaching about 65,000 "
        "more inhabitants a year)"
    )
    assert w("programme", size=3.0, units=3.0, peak_share=1, years=[2030], whole=False) == (
        "3 programmes, started 2030"
    )
    assert built_in_words(
        "bus", size=141.3, units=139.7, peak_share=0.9, whole=False, years=list(range(2027, 2036))
    ) == (
        "140 buses, bought 2027-2035 (about 16 buses a year); at most 127 buses in service at once"
    )
    assert built_in_words(
        "train", size=2.2, units=2.2, peak_share=1, whole=False, years=list(range(2027, 2033))
    ) == ("2 trains, bought 2027-2032 (about one train every 3 years)")
    assert built_in_words(
        "MWth", size=67.1, units=134.2, peak_share=1, whole=True, years=[2030, 2045]
    ) == ("one 67.1 MWth project, built whole in 2030 and renewed in 2045")
    assert (
        built_in_words("1000 PE", size=1.1, units=1.1, peak_share=1, whole=True, years=[2031])
        == "one 1,100 PE project, built whole in 2031"
    )


def test_indivisible_projects_are_whole_and_programmes_have_a_pace():
    out = run_scenario(
        _scenario(
            cities=["resita"],
            indivisible=True,
            target={"kind": "reduction", "year": 2032, "reduction": 0.2},
        )
    )
    built = what_is_built(out)
    pf = out.result.portfolio.set_index("project_id")
    whole = built[built["indivisible"]]
    assert len(whole), "gov_energy_mgmt is indivisible: it should be built whole"
    for p, row in whole.iterrows():
        assert float(row["built"]).is_integer() and row["built"] >= 1
        assert row["text"].startswith("one ")
        assert ("started in" if pf.at[p, "unit"] == "programme" else "built whole") in row["text"]
    for p, row in built[~built["indivisible"]].iterrows():
        if pf.at[p, "unit"] in ("bus", "luminaire"):  # countable: whole items
            assert float(row["built"]).is_integer()
            assert re.search(r"\d", row["text"]) and "bought" in row["text"]
    for p, row in built.iterrows():
        assert not _misreadings(row["text"]), (p, row["text"])
    info = summary(out)
    for p in info["selected_projects"]:
        assert p["what_is_built"] and p["name"]


def test_relaxed_indivisible_projects_say_so():
    """The demo's case: programmes of 1.3 reference sizes in a scenario that lets
    indivisible measures be built in part (Alba Iulia, 64,227 people)."""
    programmes = ["gov_energy_mgmt", "gov_one_stop_shop", "cir_waste_prevention"]
    out = run_scenario(
        _scenario(
            cities=["alba_iulia"],
            archetypes=["en_led", "bld_reno_public", "bld_reno_gas", *programmes],
            horizon=2035,
            target={"kind": "reduction", "year": 2035, "reduction": 0.1},
        )
    )
    built = what_is_built(out)
    pf = out.result.portfolio.set_index("project_id")
    chosen = [p for p in built.index if pf.at[p, "archetype_id"] in programmes]
    assert chosen, "the renovation needs the one-stop-shop"
    for p in chosen:
        text = built.at[p, "text"]
        assert "whole programme" in text or "built in part" in text, text
        assert "64,000 inhabitants (1.3 times the reference size)" in text, text
    for p, row in built.iterrows():
        assert not _misreadings(row["text"]), (p, row["text"])


def test_workbook_and_report_say_what_is_built_in_english(written):
    out, folder, info = written
    wb = openpyxl.load_workbook(folder / "investment_plan.xlsx")
    _header, body = _plan(wb["Portfolio"])
    texts = list(body["What is built"].dropna())
    assert texts and len(texts) == len(out.result.portfolio)
    texts += [p["what_is_built"] for p in info["selected_projects"]]
    for text in texts:
        assert not _misreadings(text), text


# ---------------------------------------------------------------------------------------
# 3. The diagnosis and carbon prices in words
# ---------------------------------------------------------------------------------------
def test_missed_target_diagnosis_in_names_and_no_price(tmp_path):
    out = run_scenario(
        _scenario(cities=["resita"], target={"kind": "reduction", "year": 2032, "reduction": 0.95})
    )
    info = write_outputs(out, tmp_path)
    [d] = info["diagnosis"]
    assert d["city_name"] == "Resita" and d["reasons"] and d["held_back_by"]
    words = " ".join(d["reasons"]) + d["gap"]
    for a in d["projects_at_maximum"]:
        assert a not in words  # ids stay in the data fields, names in the words
    assert "Resita misses its target" in d["gap"]
    c = info["by_city_in_target_year"]["resita"]
    assert c["carbon_price_eur_per_t"] is None and c["carbon_price_note"].startswith("no price")
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    body = _body(page)  # the page after the inlined Vega bundle and charts
    assert "Why targets are missed" in body and "Resita misses its target" in body
    assert "LED street lighting" in body and "en_led" not in body.split("<h2>Funding")[0]
    wb = openpyxl.load_workbook(tmp_path / "investment_plan.xlsx")
    rows = _rows(wb["Carbon prices"])[3:]
    missed = set(out.result.emissions.query("shortfall_kt > 1e-6")["year"])
    for _city, year, price, note in rows:
        if year in missed:
            assert price == NO_PRICE and note.startswith("no price"), (year, price)


def test_a_used_up_pool_is_named_by_its_fuel_and_sub_sector_never_their_ids():
    """The diagnosis says which emission pool is used up ("nothing is left to cut in ...") by
    the fuel's name from fuels.csv and the GPC sub-sector's name: 'msw' read as an id."""
    from m100model.factors import load_factors
    from m100model.report import _pool_name

    fuels = load_factors().fuels
    assert _pool_name("III.1|msw") == (
        "municipal solid waste to landfill in solid waste disposal (III.1)"
    )
    assert _pool_name("I.1|natural_gas") == "natural gas in residential buildings (I.1)"
    for fuel, name in fuels["name"].items():
        words = _pool_name(f"I.2|{fuel}")
        if fuel.lower() not in name.lower():  # an id that is not also a word of the name
            assert fuel not in words.split(), words
        assert name[1:] in words and words.endswith("(I.2)"), words


def test_report_tables_align_numbers_right_and_text_left(written):
    """In every table of report.html a cell that is a number (or a dash for none) is
    right-aligned, text left-aligned; "Largest projects" had its names right-aligned and
    its capital spending left-aligned."""
    _out, folder, _info = written
    whole = (folder / "report.html").read_text(encoding="utf-8")
    page = _body(whole)
    largest = page.split("<h2>Largest projects", 1)[1].split("</table>", 1)[0]
    header = re.findall(r"<th( class=\"n\")?>([^<]*)</th>", largest)
    aligned = {name: bool(cls) for cls, name in header}
    assert aligned["City"] is False and aligned["Measure"] is False
    assert aligned["What is built"] is False
    assert aligned["First in service"] is True and aligned["Capital spending (M EUR)"] is True
    first = re.search(r"<tbody><tr>(.*?)</tr>", largest).group(1)
    cells = re.findall(r"<td( class=\"n\")?>([^<]*)</td>", first)
    assert [bool(c) for c, _v in cells] == [False, False, False, False, True, True, True]
    assert "text-align:right" in whole.split("</style>")[0].split("td.n")[1]


def test_price_note_for_a_city_short_in_another_year():
    note = price_note(None, "shortfall elsewhere", True, [2030, 2031])
    assert note.startswith("no price") and "2030-2031" in note
    assert price_note(12.0, "year", True, []) == ""
    assert "levelised" in price_note(40.0, "flat 2035-2050", True, [])


# ---------------------------------------------------------------------------------------
# 4. Data quality from the data's own flags
# ---------------------------------------------------------------------------------------
def test_bundled_inventories_are_labelled_illustrative(written):
    _out, folder, info = written
    assert info["data_quality"].startswith("Illustrative data")
    assert "national statistics" in info["data_quality"]
    assert info["data_quality_detail"]["illustrative"] is True
    page = (folder / "report.html").read_text(encoding="utf-8")
    assert "Illustrative data" in page
    wb = openpyxl.load_workbook(folder / "investment_plan.xlsx")
    readme = " ".join(str(v) for row in _rows(wb["Read me"]) for v in row if v)
    assert "Illustrative data" in readme


def test_a_sourced_user_inventory_is_never_called_illustrative(tmp_path):
    src = pd.read_csv(bundled_inventories()["resita"], dtype=str)
    src["quality"] = "sourced"
    src["source"] = "Resita city hall energy accounts 2021"
    path = tmp_path / "resita_own.csv"
    src.to_csv(path, index=False)
    out = run_scenario(_scenario(cities=["resita"], inventories={"resita": str(path)}))
    info = write_outputs(out, tmp_path / "res") if (tmp_path / "res").mkdir() is None else None
    detail = info["data_quality_detail"]
    assert detail["illustrative"] is False
    assert detail["inventories"]["resita"]["label"].startswith("sourced")
    label = info["data_quality"]
    assert not label.startswith("Illustrative") and "national statistics" not in label
    assert "inventory is sourced" in label
    saved = json.loads((tmp_path / "res" / "summary.json").read_text(encoding="utf-8"))
    assert saved["data_quality"] == label
    page = (tmp_path / "res" / "report.html").read_text(encoding="utf-8")
    assert "illustrative data" not in page.lower() and "national statistics" not in page
    wb = openpyxl.load_workbook(tmp_path / "res" / "investment_plan.xlsx")
    readme = " ".join(str(v) for row in _rows(wb["Read me"]) for v in row if v)
    assert "illustrative data" not in readme.lower() and "national statistics" not in readme
    assert "Inventory of Resita" in readme


# ---------------------------------------------------------------------------------------
# 5. Fixed colours per theme and funding source
# ---------------------------------------------------------------------------------------
def _colour_scales(spec: dict) -> list[dict]:
    found = []

    def walk(node):
        if isinstance(node, dict):
            colour = node.get("encoding", {}).get("color", {})
            if isinstance(colour, dict) and "scale" in colour and "domain" in colour["scale"]:
                found.append(colour["scale"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(spec)
    return found


def _colour_of(spec: dict, key: str) -> str:
    [scale] = [s for s in _colour_scales(spec) if key in s["domain"]]
    return scale["range"][scale["domain"].index(key)]


def test_a_theme_keeps_its_colour_whatever_the_chart_shows():
    from m100model import charts

    em = pd.DataFrame(
        {
            "group": "c",
            "year": [2030, 2031],
            "baseline_kt": 10.0,
            "emissions_kt": 8.0,
            "target_kt": 7.0,
        }
    )

    def wedges(themes):
        return pd.DataFrame(
            [
                {
                    "group": "c",
                    "year": y,
                    "theme": t,
                    "theme_name": THEME_NAMES[t],
                    "abated_kt": 1.0,
                }
                for y in (2030, 2031)
                for t in themes
            ]
        )

    one = charts.pathway_chart(em, wedges(["energy"]), "a").to_dict()
    two = charts.pathway_chart(em, wedges(["mobility", "nbs", "energy"]), "b").to_dict()
    name = THEME_NAMES["energy"]
    assert _colour_of(one, name) == _colour_of(two, name) == charts.theme_colours()[name]
    alt_one = charts.alternatives_chart(
        pd.DataFrame({"portfolio": ["p"], "theme_name": [name], "investment_meur": [1.0]}), "x"
    ).to_dict()
    assert _colour_of(alt_one, name) == charts.theme_colours()[name]
    # every theme in the domain, whatever the data
    [scale] = [s for s in _colour_scales(one) if name in s["domain"]]
    assert set(THEME_NAMES.values()) <= set(scale["domain"])


def test_a_funding_source_keeps_its_colour_whatever_the_chart_shows():
    from m100model import charts

    def inv(sources):
        return pd.DataFrame(
            [{"year": 2030, "instrument": s, "city": "c", "meur": 1.0} for s in sources]
        )

    one = charts.investment_chart(inv(["esco"]), "a").to_dict()
    two = charts.investment_chart(inv(["municipal_budget", "eib_loan", "esco"]), "b").to_dict()
    names = charts.funding_source_names()
    esco = names["esco"]
    assert _colour_of(one, esco) == _colour_of(two, esco) == charts.instrument_colours()["esco"]
    [scale] = [s for s in _colour_scales(one) if esco in s["domain"]]
    assert len(scale["domain"]) == len(load_instruments())  # the full domain
    colours = charts.instrument_colours()
    assert set(colours) == set(load_instruments().index)
    assert len(set(colours.values())) == len(colours)  # one colour each
    # the legend shows names, not ids
    assert "esco" not in scale["domain"] and "municipal_budget" not in scale["domain"]


def test_report_html_uses_the_summary(written):
    out, _folder, info = written
    page = html_report(out, info)
    body = _body(page)
    assert "Each city in its target year" in body
    assert "Funding sources" in body and "Grants: total" in body
    for c in CITIES:
        assert city_name(c) in body
