"""An analyst's own city, end to end, in a folder outside the repository: `m100 new-city`
writes the templates; the analyst fills them in (here: a semicolon-separated CSV with decimal
commas in Windows-1250, as Excel writes it on a Romanian Windows, and the workbook itself);
`m100 inventory` checks it and `m100 run` solves the starter scenario.

The figures are checked against the same activity data computed by the library from a
plain UTF-8 file: the target in the target year is 20% (net zero, 80% cut) of the BASIC
inventory read from the user's files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import yaml

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
