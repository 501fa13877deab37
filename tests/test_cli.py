"""The `m100 inventory` command as a user meets it."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from m100model.cli import app

runner = CliRunner()


@pytest.fixture
def small(write_activity):
    return write_activity(
        [
            dict(gpc_ref="I.1.1", fuel="natural_gas", amount=10000, unit="MWh"),
            dict(gpc_ref="I.1.2", fuel="electricity", amount=5000, unit="MWh"),
            dict(
                gpc_ref="II.3.1", notation_key="NO", comment="Landlocked: no waterborne navigation."
            ),
        ]
    )


def test_json_output(small):
    result = runner.invoke(app, ["inventory", str(small), "--format", "json"])
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    for key in (
        "total_tco2e",
        "basic_tco2e",
        "basic_plus_tco2e",
        "by_scope",
        "by_sector",
        "by_gas",
        "gaps",
    ):
        assert key in data
    # 2,025.594 (gas, §6.2) + 1,353.85 (electricity, production mix 2022)
    assert data["basic_tco2e"] == pytest.approx(3379.444, abs=1e-3)
    assert data["by_scope"] == pytest.approx({"scope_1": 2025.594, "scope_2": 1353.85}, abs=1e-3)
    gaps = {g["gpc_ref"] for g in data["gaps"]}
    assert "II.1.1" in gaps  # no road transport data and no key: a gap, not a zero
    assert "II.3.1" not in gaps and "I.1.1" not in gaps
    assert data["notation_keys"][0]["key"] == "NO"


def test_csv_output_is_the_gpc_table(small):
    result = runner.invoke(app, ["inventory", str(small), "--format", "csv"])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].startswith("sector,sector_name,subsector,subsector_name,scope_1_tco2e")
    i11 = next(line for line in lines if ",I.1," in line)
    assert "2025.594" in i11


def test_table_output_and_written_files(small, tmp_path):
    out = tmp_path / "res"
    result = runner.invoke(app, ["inventory", str(small), "--out", str(out), "--gwp", "AR6"])
    assert result.exit_code == 0, result.stderr
    assert "GPC inventory: testville 2022" in result.stdout
    assert "BASIC total" in result.stdout
    assert sorted(p.name for p in out.iterdir()) == [
        "com_view.csv",
        "emissions.csv",
        "gpc_table.csv",
        "summary.json",
    ]
    assert json.loads((out / "summary.json").read_text())["gwp_set"] == "AR6"
