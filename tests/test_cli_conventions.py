"""The command line's conventions (issue 13): `python -m m100model`, `--version`, `-h`,
shell completion, output not wrapped when it goes to a file, `run --json`, `--quiet`,
`--verbose`, progress of a mixed-integer solve, and the top-level Python interface."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import m100model
from m100model.tables import data_dir

INVENTORY = data_dir() / "inventories" / "suceava_2021.csv"
ENV = {k: v for k, v in os.environ.items() if k != "COLUMNS"}


def cli(*args: object, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "m100model", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=300,
        env=ENV,
        cwd=cwd,
    )


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    """A one-city mixed-integer scenario that solves in a second or two."""
    folder = tmp_path_factory.mktemp("conventions")
    path = folder / "small.yaml"
    path.write_text(
        yaml.safe_dump(
            dict(
                name="small",
                cities=["suceava"],
                first_year=2025,
                horizon=2030,
                target=dict(kind="reduction", year=2030, reduction=0.1),
                archetypes=["en_led", "mob_ebus", "en_pv_public", "bld_reno_public"],
            )
        ),
        encoding="utf-8",
    )
    return path


def test_version_help_and_completion():
    p = cli("--version")
    assert p.returncode == 0 and p.stdout.strip() == f"m100 {m100model.__version__}"
    for args in (["-h"], ["--help"], ["run", "-h"]):
        p = cli(*args)
        assert p.returncode == 0 and "Usage: m100" in p.stdout, args
    top = cli("-h").stdout
    assert "--install-completion" in top and "M100_DATA" in top and "M100_ASSESSMENT" in top
    assert "results/<scenario name>" in cli("run", "-h").stdout
    p = cli("--show-completion", "bash")
    assert p.returncode == 0 and "complete" in p.stdout


def test_output_to_a_file_is_not_wrapped():
    p = cli("inventory", INVENTORY)
    assert p.returncode == 0, p.stderr
    title = "GPC inventory: Suceava 2021 (ILLUSTRATIVE data, not a published inventory)"
    assert any(line.strip() == title for line in p.stdout.splitlines()), p.stdout[:400]
    assert max(len(line) for line in p.stdout.splitlines()) > 80


def test_run_json_quiet_and_verbose(small, tmp_path):
    p = cli("run", small, "--out", tmp_path / "a", "--json")
    assert p.returncode == 0, p.stderr
    printed = json.loads(p.stdout)
    assert printed == json.loads((tmp_path / "a" / "summary.json").read_text(encoding="utf-8"))
    p = cli("run", small, "--out", tmp_path / "b", "--quiet")
    assert p.returncode == 0 and p.stdout == "" and p.stderr == ""
    assert (tmp_path / "b" / "summary.json").exists()
    p = cli("run", small, "--out", tmp_path / "c", "--verbose")
    assert p.returncode == 0 and "Coefficient ranges" in p.stdout  # HiGHS's own log


def test_python_interface_and_progress(small, tmp_path):
    seen: list[dict] = []
    result = m100model.run(small, progress=seen.append)
    assert result.status == "optimal" and result.limit is None
    assert seen and {"gap", "primal", "dual", "nodes"} <= set(seen[0])
    assert all(s["gap"] >= 0 or s["gap"] != s["gap"] for s in seen)
    iamc = result.to_iamc()
    assert list(iamc.columns) == [
        "model",
        "scenario",
        "region",
        "variable",
        "unit",
        "year",
        "value",
    ]
    assert not iamc.duplicated(["model", "scenario", "region", "variable", "year"]).any()
    assert iamc["value"].notna().all() and iamc["year"].dtype.kind == "i"
    basic = iamc[(iamc["variable"] == "Emissions|CO2e|BASIC") & (iamc["region"] == "suceava")]
    em = result.emissions.set_index("year")
    assert basic.set_index("year")["value"].to_dict() == pytest.approx(em["emissions_kt"].to_dict())
    folder = result.write(tmp_path / "out")
    assert json.loads((folder / "summary.json").read_text()) == json.loads(
        json.dumps(result.summary(), default=str)
    )
