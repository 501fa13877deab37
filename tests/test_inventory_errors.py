"""Every bad-input path: one line naming file, row and column; exit code 2; nothing written."""

from __future__ import annotations

import openpyxl
import pytest
from typer.testing import CliRunner

from m100model.cli import app
from m100model.errors import InputError
from m100model.inventory import load_inventory

runner = CliRunner()

GOOD = dict(gpc_ref="I.1.1", fuel="natural_gas", amount=1000, unit="MWh")

CASES = [
    # (rows, expected row, expected column, words the message must contain)
    ([GOOD, dict(GOOD, fuel="dieselx")], 3, "fuel", "unknown fuel 'dieselx'"),
    ([dict(GOOD, gpc_ref="I.9.1")], 2, "gpc_ref", "unknown GPC reference 'I.9.1'"),
    ([dict(GOOD, amount=-5)], 2, "amount", "expected a number >= 0"),
    ([dict(GOOD, amount="1.234,5")], 2, "amount", "expected a number"),
    ([dict(GOOD, amount="")], 2, "amount", "must not be empty"),
    ([dict(GOOD, unit="bananas")], 2, "unit", "'bananas' is not a known unit"),
    ([dict(GOOD, unit="")], 2, "unit", "must not be empty"),
    ([dict(GOOD, fuel="msw", gpc_ref="III.1.1", unit="MWh")], 2, "unit", "does not fit fuel 'msw'"),
    (
        [dict(GOOD, fuel="electricity", unit="t", gpc_ref="I.1.2")],
        2,
        "unit",
        "does not fit fuel 'electricity'",
    ),
    ([dict(GOOD, fuel="electricity")], 2, "gpc_ref", "scope-2 reference"),
    ([dict(GOOD, gpc_ref="I.1.2")], 2, "gpc_ref", "scope 1"),
    ([GOOD, dict(GOOD, amount=5)], 3, "gpc_ref", "duplicate of row 2"),
    ([dict(gpc_ref="II.3.1", notation_key="NO")], 2, "comment", "needs an explanation"),
    (
        [dict(gpc_ref="II.3.1", notation_key="NO", amount=3, comment="landlocked")],
        2,
        "amount",
        "must leave amount empty",
    ),
    (
        [dict(gpc_ref="II.3.1", notation_key="XX", comment="?")],
        2,
        "notation_key",
        "expected one of",
    ),
    (
        [GOOD, dict(GOOD, fuel="diesel", gpc_ref="II.1.1", year=2023)],
        3,
        "year",
        "expected one year per file",
    ),
    ([dict(GOOD, year="20x2")], 2, "year", "expected a whole number"),
    (
        [dict(GOOD, fuel="diesel", gpc_ref="II.1.1", unit="vkm")],
        2,
        "vehicle",
        "needs a vehicle type",
    ),
    (
        [dict(GOOD, fuel="diesel", gpc_ref="II.1.1", unit="vkm", vehicle="bus_electric")],
        2,
        "vehicle",
        "runs on electricity",
    ),
    ([dict(GOOD, ef_id="no.such.factor")], 2, "ef_id", "unknown emission-factor set"),
    ([dict(GOOD, fuel="", amount=10)], 2, "fuel", "must not be empty"),
    ([dict(GOOD, quality="guessed")], 2, "quality", "expected one of"),
]


@pytest.mark.parametrize(("rows", "row", "column", "words"), CASES)
def test_bad_rows_named_precisely(write_activity, tmp_path, rows, row, column, words):
    path = write_activity(rows)
    with pytest.raises(InputError) as info:
        load_inventory(path)
    exc = info.value
    assert (exc.row, exc.column) == (row, column), str(exc)
    assert words in exc.message
    # The CLI reports the same in one line on stderr, exits 2, and writes nothing.
    out_dir = tmp_path / "results"
    result = runner.invoke(app, ["inventory", str(path), "--out", str(out_dir)])
    assert result.exit_code == 2
    line = result.stderr.strip()
    assert "\n" not in line
    assert f"row {row}" in line and f"column '{column}'" in line and path.name in line
    assert not out_dir.exists()


def test_missing_column(write_activity):
    header = ["city", "year", "gpc_ref", "fuel", "unit"]
    path = write_activity([GOOD], header=header)
    with pytest.raises(InputError, match="column 'amount': missing column"):
        load_inventory(path)


def test_missing_file(tmp_path):
    result = runner.invoke(app, ["inventory", str(tmp_path / "nope.csv")])
    assert result.exit_code == 2
    assert "file not found" in result.stderr


def test_wrong_file_type(tmp_path):
    path = tmp_path / "data.txt"
    path.write_text("hello")
    with pytest.raises(InputError, match=r"expected a \.csv or \.xlsx file"):
        load_inventory(path)


def test_empty_file(write_activity):
    path = write_activity([])
    with pytest.raises(InputError, match="no data rows"):
        load_inventory(path)


def test_excel_formula_is_not_evaluated(tmp_path):
    # A formula cell without a stored value must not be computed: the amount is empty.
    path = tmp_path / "inv.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["city", "year", "gpc_ref", "fuel", "amount", "unit"])
    ws.append(["testville", 2022, "I.1.1", "natural_gas", 1000, "MWh"])
    ws.append(["testville", 2022, "II.1.1", "diesel", "=B2*2", "MWh"])
    wb.save(path)
    with pytest.raises(InputError) as info:
        load_inventory(path)
    assert (info.value.row, info.value.column) == (3, "amount")


def test_excel_good_file_matches_csv(tmp_path, write_activity):
    path = tmp_path / "inv.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["city", "year", "gpc_ref", "fuel", "amount", "unit"])
    ws.append(["testville", 2022, "I.1.1", "natural_gas", 10000, "MWh"])
    wb.save(path)
    csv_path = write_activity([dict(GOOD, amount=10000)])
    assert load_inventory(path).basic_tco2e == pytest.approx(load_inventory(csv_path).basic_tco2e)


def test_unknown_grid_method(write_activity):
    path = write_activity([GOOD])
    result = runner.invoke(app, ["inventory", str(path), "--grid-method", "magic"])
    assert result.exit_code == 2
    assert "unknown grid-factor method 'magic'" in result.stderr


def test_existing_output_is_kept_without_force(write_activity, tmp_path):
    path = write_activity([GOOD])
    out_dir = tmp_path / "results"
    out_dir.mkdir()
    (out_dir / "precious.txt").write_text("keep me")
    result = runner.invoke(app, ["inventory", str(path), "--out", str(out_dir)])
    assert result.exit_code == 2
    assert "use --force" in result.stderr
    assert (out_dir / "precious.txt").read_text() == "keep me"


def test_failed_run_with_force_keeps_previous_results(write_activity, tmp_path):
    out_dir = tmp_path / "results"
    good = write_activity([GOOD], name="good.csv")
    assert runner.invoke(app, ["inventory", str(good), "--out", str(out_dir)]).exit_code == 0
    before = (out_dir / "summary.json").read_text()
    bad = write_activity([dict(GOOD, fuel="nope")], name="bad.csv")
    result = runner.invoke(app, ["inventory", str(bad), "--out", str(out_dir), "--force"])
    assert result.exit_code == 2
    assert (out_dir / "summary.json").read_text() == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
