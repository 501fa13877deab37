"""An analyst's own city, end to end, in a folder outside the repository: `m100 new-city`
writes the templates; the analyst fills them in (here: a semicolon-separated CSV with decimal
commas in Windows-1250, as Excel writes it on a Romanian Windows, and the workbook itself);
`m100 inventory` checks it and `m100 run` solves the starter scenario.

The figures are checked against the same activity data computed by the library from a
plain UTF-8 file: the target in the target year is 20% (net zero, 80% cut) of the BASIC
inventory read from the user's files.

Then each habit on its own (UTF-8 with a byte-order mark, a Latin-2 file with cedilla
letters, an ambiguous '1.234' in a semicolon file), the plausibility warning on emissions per
person, and the command line's data-quality line for a city's own, sourced data."""

from __future__ import annotations

import codecs
import json
import os
import subprocess
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import yaml

from m100model.errors import InputError
from m100model.inputs import read_table
from m100model.inventory import load_inventory
from m100model.tables import data_dir

SUCEAVA = data_dir() / "inventories" / "suceava_2021.csv"
REPO = data_dir().parent


def m100(*args: object, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "m100model.cli", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "COLUMNS": "200"},
    )


def _activity(city_id: str) -> pd.DataFrame:
    """A town's activity data: Suceava's rows for another city, amounts times 1.37 (so that
    they have decimals)."""
    df = pd.read_csv(SUCEAVA, dtype=str, keep_default_na=False)
    df["city"] = city_id
    df["year"] = "2022"
    has = df["amount"] != ""
    df.loc[has, "amount"] = [f"{float(a) * 1.37:.2f}" for a in df.loc[has, "amount"]]
    # Windows-1250 has only the cedilla letters ş ţ, which a Romanian Windows writes for ș ț
    df["comment"] = "Date din registrele primăriei Târgu Mureş; consum înregistrat şi facturat"
    return df


@pytest.fixture(scope="module")
def town(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("analyst")
    assert REPO not in root.parents
    p = m100("new-city", "Târgu Mureș", cwd=root)
    assert p.returncode == 0, p.stderr
    return root


def test_new_city_writes_the_templates(town):
    folder = town / "targu_mures"
    assert sorted(p.name for p in folder.iterdir()) == [
        "targu_mures.yaml",
        "targu_mures_activity.csv",
        "targu_mures_activity.xlsx",
        "targu_mures_city.csv",
    ]
    wb = openpyxl.load_workbook(folder / "targu_mures_activity.xlsx")
    assert wb.sheetnames[:3] == ["activity", "city", "guide"]
    assert wb["lists"].sheet_state == "hidden"
    ws = wb["activity"]
    header = [c.value for c in ws[1]]
    assert header[:6] == ["city", "year", "gpc_ref", "fuel", "amount", "unit"]
    # drop-down lists on the GPC reference, fuel, unit, notation key and quality columns
    lists = {
        header[
            openpyxl.utils.column_index_from_string(str(r).split(":")[0].rstrip("0123456789")) - 1
        ]
        for dv in ws.data_validations.dataValidation
        for r in dv.sqref.ranges
    }
    assert {"gpc_ref", "fuel", "unit", "notation_key", "quality", "amount", "year"} <= lists
    # one NE row per BASIC sub-sector: a valid inventory with nothing estimated yet
    p = m100("inventory", folder / "targu_mures_activity.xlsx", "--format", "json", cwd=town)
    assert p.returncode == 0, p.stderr
    summary = json.loads(p.stdout)
    assert summary["basic_tco2e"] == 0 and summary["gaps"] == []
    assert "no activity data yet" not in p.stderr  # no population yet: no plausibility checks
    # the starter scenario refuses to run until the city details are filled in
    p = m100("run", folder / "targu_mures.yaml", "--out", town / "res0", cwd=town)
    assert p.returncode == 2
    assert "sheet" in p.stderr or "city" in p.stderr
    assert "population" in p.stderr and not (town / "res0").exists()


def test_the_whole_path_with_a_romanian_excel_csv(town):
    folder = town / "targu_mures"
    df = _activity("targu_mures")
    # What Excel writes on a Romanian Windows: ';' between cells, ',' in numbers, cp1250.
    semi = df.copy()
    semi["amount"] = semi["amount"].str.replace(".", ",", regex=False)
    semi.to_csv(folder / "targu_mures_activity.csv", index=False, sep=";", encoding="cp1250")
    raw = (folder / "targu_mures_activity.csv").read_bytes()
    assert b";" in raw and b"\xba" in raw  # cp1250 'ş'
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    city = pd.read_csv(folder / "targu_mures_city.csv", dtype=str, keep_default_na=False)
    city.loc[0, ["nuts3", "population", "population_source"]] = [
        "RO125",
        "116.033",  # thousands with a point, as a Romanian writes them
        "INS RPL2021 (example for the test)",
    ]
    city.to_csv(folder / "targu_mures_city.csv", index=False)
    scn = yaml.safe_load((folder / "targu_mures.yaml").read_text(encoding="utf-8"))
    scn["city_details"] = "targu_mures_city.csv"
    scn["inventories"] = {"targu_mures": "targu_mures_activity.csv"}
    scn["archetypes"] = ["mob_ebus", "en_led", "bld_reno_gas", "en_pv_public"]
    (folder / "targu_mures.yaml").write_text(yaml.safe_dump(scn), encoding="utf-8")

    # The same data as a plain file, computed by the library: what the user's file must give.
    plain = town / "plain.csv"
    df.to_csv(plain, index=False)
    expected = load_inventory(plain).basic_tco2e
    assert expected > 0

    p = m100("inventory", folder / "targu_mures_activity.csv", "--format", "json", cwd=town)
    assert p.returncode == 0, p.stderr
    got = json.loads(p.stdout)
    assert got["basic_tco2e"] == pytest.approx(expected, abs=1e-3)  # summary: 3 decimals
    read = read_table(folder / "targu_mures_activity.csv")
    assert read.attrs == {"encoding": "windows-1250", "separator": ";"}
    assert read["comment"].iloc[0].startswith("Date din registrele primăriei Târgu Mureș;")

    elsewhere = town / "elsewhere"  # run from another folder: paths follow the scenario file
    elsewhere.mkdir()
    p = m100("run", folder / "targu_mures.yaml", "--out", town / "res", cwd=elsewhere)
    assert p.returncode == 0, p.stderr
    summary = json.loads((town / "res" / "summary.json").read_text(encoding="utf-8"))
    row = summary["by_city_in_target_year"]["targu_mures"]
    assert row["target_year"] == 2035
    # net zero, an 80% cut: the target is a fifth of the user's BASIC inventory
    assert row["target_kt"] == pytest.approx(0.2 * expected / 1000, rel=1e-3)
    assert "Târgu Mureș" in p.stdout


def test_the_workbook_gives_the_same_answer(town):
    folder = town / "targu_mures"
    df = _activity("targu_mures")
    wb = openpyxl.load_workbook(folder / "targu_mures_activity.xlsx")
    ws = wb["activity"]
    ws.delete_rows(2, ws.max_row)
    for r in df.itertuples(index=False):
        values = []
        for col, v in zip(df.columns, r, strict=True):
            if col == "amount" and v:
                values.append(float(v))
            elif col == "year":
                values.append(int(v))
            else:
                values.append(v or None)
        ws.append(values)
    cs = wb["city"]
    header = [c.value for c in cs[1]]
    cs.cell(row=2, column=header.index("population") + 1, value=116033)
    cs.cell(row=2, column=header.index("population_source") + 1, value="INS RPL2021")
    wb.save(folder / "targu_mures_activity.xlsx")
    scn = yaml.safe_load((folder / "targu_mures.yaml").read_text(encoding="utf-8"))
    scn["city_details"] = scn["inventories"]["targu_mures"] = "targu_mures_activity.xlsx"
    (folder / "wb.yaml").write_text(yaml.safe_dump({**scn, "name": "wb"}), encoding="utf-8")
    plain = town / "plain.csv"
    df.to_csv(plain, index=False)
    expected = load_inventory(plain).basic_tco2e
    p = m100("run", folder / "wb.yaml", "--out", town / "res_wb", cwd=town)
    assert p.returncode == 0, p.stderr
    summary = json.loads((town / "res_wb" / "summary.json").read_text(encoding="utf-8"))
    row = summary["by_city_in_target_year"]["targu_mures"]
    assert row["target_kt"] == pytest.approx(0.2 * expected / 1000, rel=1e-3)


def test_an_inventory_of_another_city_or_a_bundled_id_is_refused(town):
    folder = town / "targu_mures"
    other = town / "other.csv"
    _activity("brasov_town").to_csv(other, index=False)
    scn = yaml.safe_load((folder / "targu_mures.yaml").read_text(encoding="utf-8"))
    scn["inventories"] = {"targu_mures": str(other)}
    (folder / "bad.yaml").write_text(yaml.safe_dump({**scn, "name": "bad"}), encoding="utf-8")
    p = m100("decompose-plan", folder / "bad.yaml", cwd=town)
    assert p.returncode == 2 and "'brasov_town'" in p.stderr and "'targu_mures'" in p.stderr
    p = m100("new-city", "Suceava", "--folder", town / "x", cwd=town)
    assert p.returncode == 2 and "one of the 13 M100 cities" in p.stderr
    assert not (town / "x").exists()


def test_plausibility_warnings_name_the_unit_probably_meant(town):
    folder = town / "targu_mures"
    df = _activity("targu_mures")
    gas = df.index[(df["gpc_ref"] == "I.1.1") & (df["fuel"] == "natural_gas")][0]
    df.loc[gas, "unit"] = "kWh"  # the figure was in MWh: the row is now 1,000 times too small
    path = town / "kwh.csv"
    df.to_csv(path, index=False)
    p = m100(
        "inventory",
        path,
        "--city-details",
        folder / "targu_mures_city.csv",
        "--format",
        "json",
        cwd=town,
    )
    assert p.returncode == 0, p.stderr
    warnings = json.loads(p.stdout)["warnings"]
    assert any(f"row {gas + 2}" in w and "MWh rather than kWh" in w for w in warnings), warnings


# ---------------------------------------------------------------------------------------
# Romanian Excel habits, one at a time (inputs.read_table)
# ---------------------------------------------------------------------------------------
# Text with every Romanian letter that has a cedilla form, in both cases.
ROMANIAN = "Târgu Mureș, Timișoara: Piața Unirii; ȘCOALA ȚESĂTORIEI, învățământ, Ăla"


def _plain_total(df: pd.DataFrame, folder: Path) -> float:
    """The BASIC total of the same rows read from a plain UTF-8, comma-separated file."""
    plain = folder / "plain.csv"
    df.to_csv(plain, index=False)
    return load_inventory(plain).basic_tco2e


@pytest.mark.parametrize("separator", [",", ";"])
def test_utf8_with_a_byte_order_mark(tmp_path, separator):
    """Excel's "CSV UTF-8" starts the file with a byte-order mark (EF BB BF): the first
    column is still 'city', the letters are kept, the figures are the same."""
    df = _activity("targu_mures")
    df["comment"] = ROMANIAN
    written = df.copy()
    if separator == ";":  # a Romanian Excel: decimal commas too
        written["amount"] = written["amount"].str.replace(".", ",", regex=False)
    path = tmp_path / "bom.csv"
    path.write_bytes(codecs.BOM_UTF8 + written.to_csv(index=False, sep=separator).encode("utf-8"))
    assert path.read_bytes()[:4] == b"\xef\xbb\xbfc"
    read = read_table(path)
    assert read.attrs == {"encoding": "utf-8", "separator": separator}
    assert list(read.columns) == list(df.columns)  # 'city', not '\ufeffcity'
    assert (read["city"] == "targu_mures").all()
    assert read["comment"].iloc[0] == ROMANIAN
    assert load_inventory(path).basic_tco2e == pytest.approx(_plain_total(df, tmp_path))


def test_a_latin_2_file_reads_with_comma_below_letters(tmp_path):
    """ISO 8859-2 (Latin-2), as older Romanian software writes it, has only the cedilla
    letters ş ţ Ş Ţ: they are read as the correct ș ț Ș Ț (the file is read as Windows-1250,
    which agrees with Latin-2 on every Romanian letter)."""
    with pytest.raises(UnicodeEncodeError):
        "ș".encode("iso-8859-2")  # the comma-below letters cannot be written in Latin-2
    cedilla = ROMANIAN.translate(str.maketrans("șțȘȚ", "şţŞŢ"))
    assert cedilla != ROMANIAN
    df = _activity("targu_mures")
    df["comment"] = cedilla
    path = tmp_path / "latin2.csv"
    path.write_bytes(df.to_csv(index=False).encode("iso-8859-2"))
    raw = path.read_bytes()
    assert b"\xba" in raw and b"\xfe" in raw and b"\xaa" in raw and b"\xde" in raw  # ş ţ Ş Ţ
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    read = read_table(path)
    assert read.attrs == {"encoding": "windows-1250", "separator": ","}
    assert read["comment"].iloc[0] == ROMANIAN  # ă â î kept, ş ţ Ş Ţ now ș ț Ș Ț
    assert not set("şţŞŢ") & set("".join(read["comment"]))
    assert load_inventory(path).basic_tco2e == pytest.approx(_plain_total(df, tmp_path))


def test_an_ambiguous_number_in_a_semicolon_file_is_refused(tmp_path):
    """In a semicolon-separated file '1.234' may be 1234 (a point for thousands) or 1.234 (a
    decimal point): refused, in one line naming the file, the row and the column, with the
    two ways to write it. '1.234,5' and '1234,5' are not ambiguous."""
    df = _activity("targu_mures")
    semi = df.copy()
    semi["amount"] = semi["amount"].str.replace(".", ",", regex=False)
    rows = semi.index[semi["amount"] != ""]
    semi.loc[rows[0], "amount"] = "1.234,5"  # 1234.5 with a point for thousands: fine
    path = tmp_path / "semi.csv"
    semi.to_csv(path, index=False, sep=";", encoding="cp1250")
    assert read_table(path)["amount"].iloc[rows[0]] == "1234.5"
    bad = rows[3]
    semi.loc[bad, "amount"] = "1.234"
    semi.to_csv(path, index=False, sep=";", encoding="cp1250")
    with pytest.raises(InputError) as exc:
        read_table(path)
    e = exc.value
    assert (e.row, e.column) == (bad + 2, "amount")  # the header is row 1
    message = str(e)
    assert "\n" not in message
    assert message.startswith(f"{e.file}, row {bad + 2}, column 'amount': '1.234' is ambiguous")
    assert "semi.csv" in e.file and "write 1234 or 1,234" in message
    p = m100("inventory", path, cwd=tmp_path)  # the command line says the same, in one line
    assert p.returncode == 2 and not p.stdout
    [line] = [x for x in p.stderr.splitlines() if x.strip()]
    assert f"row {bad + 2}, column 'amount': '1.234' is ambiguous" in line and "semi.csv" in line


# ---------------------------------------------------------------------------------------
# Plausibility: BASIC emissions per person outside 1-30 t CO2e
# ---------------------------------------------------------------------------------------
def _city_details(path: Path, population: int, quality: str = "sourced") -> Path:
    pd.DataFrame(
        [
            dict(
                city_id="targu_mures",
                city="Târgu Mureș",
                nuts3="RO125",
                group="other",
                target_year=2035,
                population=population,
                population_year=2021,
                population_source="INS RPL2021 (example for the test)",
                population_quality=quality,
            )
        ]
    ).to_csv(path, index=False)
    return path


def test_the_inventory_is_titled_with_the_citys_own_name(tmp_path):
    """A city the kit does not know is titled by the name its details give ("Târgu Mureș"),
    not by its id; without details the id is all there is."""
    path = tmp_path / "activity.csv"
    _activity("targu_mures").to_csv(path, index=False)
    details = _city_details(tmp_path / "city.csv", 134_290)
    p = m100("inventory", path, "--city-details", details, cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert "GPC inventory: Târgu Mureș 20" in p.stdout
    p = m100("inventory", path, cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert "GPC inventory: targu_mures 20" in p.stdout


@pytest.mark.parametrize("per_person", [0.4, 60.0, 8.0], ids=["too low", "too high", "likely"])
def test_emissions_per_person_outside_1_to_30_t_are_a_warning(tmp_path, per_person):
    """The same inventory with a population that makes it 0.4 t or 60 t CO2e per person:
    `m100 inventory` prints one warning line (and still succeeds) and keeps it in
    summary.json; at 8 t there is none."""
    df = _activity("targu_mures")
    path = tmp_path / "activity.csv"
    df.to_csv(path, index=False)
    basic = load_inventory(path).basic_tco2e
    population = round(basic / per_person)
    details = _city_details(tmp_path / "city.csv", population)
    p = m100("inventory", path, "--city-details", details, "--out", tmp_path / "out", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    printed = [x for x in p.stderr.splitlines() if "t CO2e per person" in x]
    kept = [w for w in summary["warnings"] if "t CO2e per person" in w]
    if per_person == 8.0:
        assert printed == kept == []
        return
    [line], [warning] = printed, kept
    assert line == f"warning: {warning}"
    assert warning.startswith(  # the file as given, relative to the working folder
        f"activity.csv: BASIC emissions of {basic / population:.2f} t CO2e per person "
        f"(population {population:,}) lie outside the 1-30 t a city is likely to have"
    )


# ---------------------------------------------------------------------------------------
# The data-quality line of `m100 run` for a city's own, sourced data
# ---------------------------------------------------------------------------------------
def test_the_command_line_calls_sourced_data_sourced(town, tmp_path):
    """A user's inventory with every row flagged 'sourced': `m100 run` prints "Data
    quality: the city inventory is sourced ...", never "Illustrative data" or "derived from
    national statistics" (the same label as summary.json)."""
    folder = tmp_path / "sourced"
    folder.mkdir()
    df = _activity("targu_mures")
    df["quality"] = "sourced"
    df["source"] = "Primăria Târgu Mureș, registrul de consum energetic 2022"
    df.to_csv(folder / "activity.csv", index=False)
    _city_details(folder / "city.csv", 116_033)
    scn = yaml.safe_load((town / "targu_mures" / "targu_mures.yaml").read_text(encoding="utf-8"))
    scn.update(
        name="sourced",
        city_details="city.csv",
        inventories={"targu_mures": "activity.csv"},
        archetypes=["en_led", "en_pv_public", "bld_reno_public"],
        horizon=2035,
    )
    (folder / "sourced.yaml").write_text(yaml.safe_dump(scn), encoding="utf-8")
    p = m100("run", folder / "sourced.yaml", "--out", tmp_path / "res", cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    summary = json.loads((tmp_path / "res" / "summary.json").read_text(encoding="utf-8"))
    assert summary["data_quality_detail"]["illustrative"] is False
    label = summary["data_quality"]
    assert label.startswith("Data quality: the city inventory is sourced (every row flagged")
    printed = " ".join(p.stdout.split())  # the console may wrap the line
    assert " ".join(label.split()) in printed
    assert "Illustrative data" not in p.stdout and "national statistics" not in p.stdout
