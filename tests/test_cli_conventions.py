"""The command line's conventions (issue 13): `python -m m100model`, `--version`, `-h`,
shell completion, output not wrapped when it goes to a file, `run --json`, `--quiet`,
`--verbose`, progress of a mixed-integer solve, and the top-level Python interface."""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import re
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


# ---------------------------------------------------------------------------------------
# The progress line of `m100 run` on a terminal (cli._solving), without a terminal: the
# console is told it is one and writes to a string; HiGHS's reports are given.
# ---------------------------------------------------------------------------------------
_CONTROL = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_ELAPSED = re.compile(r"\b\d+:\d\d:\d\d\b")


def _frames(monkeypatch, title: str, reports: list[dict], *, width: int, terminal=True):
    """The frames `m100 run` draws of its progress line on a terminal ``width`` columns
    wide while HiGHS reports ``reports``, control codes removed."""
    from rich.console import Console

    import m100model.portfolio.solve as solve
    from m100model import cli

    buf = io.StringIO()
    console = Console(file=buf, force_terminal=terminal, width=width, color_system=None)
    monkeypatch.setattr(cli, "out", console)

    @contextlib.contextmanager
    def observe(progress=None, *, verbose=False):
        for r in reports:
            if progress is not None:
                progress(r)
        yield

    monkeypatch.setattr(solve, "observe", observe)
    with cli._solving(title):
        pass
    return [f for f in (_CONTROL.sub("", x) for x in re.split(r"[\r\n]", buf.getvalue())) if f]


def _progress_line(monkeypatch, name: str, report: dict, width: int) -> str:
    title = f"Solving {name} (13 cities, 2025-2050)"  # as `m100 run` titles it
    frames = _frames(monkeypatch, title, [report], width=width)
    assert len(frames) > 1, frames  # the title, then the line with HiGHS's report
    return frames[-1]


SMALL = dict(gap=0.0123, primal=2345.6, dual=2300.1, nodes=321)
LARGE = dict(gap=0.1234, primal=12345.6, dual=10822.1, nodes=12345)  # all 13 cities
NO_PLAN_YET = dict(gap=math.inf, primal=math.inf, dual=10822.1, nodes=0)  # HiGHS before one


@pytest.mark.parametrize(
    ("name", "report"),
    [
        pytest.param("small", SMALL, id="small"),
        pytest.param("small", LARGE, id="small, large figures"),
        pytest.param("m100_2035", SMALL, id="m100_2035"),
        pytest.param(
            "m100_2035",
            LARGE,
            id="m100_2035, large figures",
        ),
        pytest.param(
            "cluj_napoca_2030",
            SMALL,
            id="cluj_napoca_2030",
        ),
        pytest.param(
            "small",
            NO_PLAN_YET,
            id="no plan yet",
        ),
    ],
)
def test_the_progress_line_shows_elapsed_time_gap_and_bound(monkeypatch, name, report):
    """One line under 80 columns: the elapsed time, the scenario, HiGHS's gap, the plan's
    cost and the bound (M EUR) and the nodes explored; on an 80-column terminal nothing of
    it is cut. The scenario names are bundled ones (data/scenarios)."""
    wide = _progress_line(monkeypatch, name, report, width=300)
    assert len(wide) < 80, (len(wide), wide)
    assert _ELAPSED.search(wide), wide
    assert name in wide  # which scenario
    assert not re.search(r"\b(inf|nan)\b", wide), wide
    if math.isfinite(report["gap"]):
        assert re.search(r"gap \d+(\.\d+)?%", wide), wide
        assert f"{report['primal']:,.0f}" in wide
    assert f"bound {report['dual']:,.0f}" in wide
    assert f"{report['nodes']:,} nodes" in wide
    narrow = _progress_line(monkeypatch, name, report, width=80)
    assert narrow.rstrip() == wide.rstrip() and "\u2026" not in narrow  # nothing cut


def test_the_progress_line_of_a_real_solve(monkeypatch, small):
    """The line as HiGHS fills it while it solves the small scenario (a MIP): first the
    title with the elapsed time, then the gap and bound, each frame under 80 columns."""
    from rich.console import Console

    from m100model import cli
    from m100model.report import run_scenario
    from m100model.scenario import load_scenario

    buf = io.StringIO()
    monkeypatch.setattr(
        cli, "out", Console(file=buf, force_terminal=True, width=300, color_system=None)
    )
    scn = load_scenario(small)
    with cli._solving(f"Solving {scn.name} (1 cities, {scn.first_year}-{scn.horizon})"):
        run_scenario(scn)
    frames = [f for f in (_CONTROL.sub("", x) for x in re.split(r"[\r\n]", buf.getvalue())) if f]
    assert frames and all(len(f.rstrip()) < 80 for f in frames), frames
    assert _ELAPSED.search(frames[0]) and "Solving small (1 cities, 2025-2030)" in frames[0]
    later = [f for f in frames if not f.rstrip().endswith("...")]  # after the title
    assert later, frames  # HiGHS reported at least once (its first report comes at once)
    # (A solve this short may show only that first report, made before any plan: "no plan
    # yet", never "gap inf%".)
    assert not any(re.search(r"\b(inf|nan)\b", f) for f in later), later
    assert all(_ELAPSED.search(f) and "small" in f and "nodes" in f for f in later), later


def test_no_progress_line_when_not_on_a_terminal(monkeypatch):
    assert _frames(monkeypatch, "Solving small", [SMALL], width=80, terminal=False) == []
