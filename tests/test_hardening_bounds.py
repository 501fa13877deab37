"""Issue 12, completed at the command line: every class of bad input in a subprocess bounded
in memory and time, real kills of writers, real concurrent writers, and the time the readers
take at their caps.

The harness is tests/test_hardening.py's: each case runs ``python -m m100model.cli`` with a
memory limit (``RLIMIT_AS``; ``RLIMIT_DATA`` for the commands that start vl-convert, whose V8
engine reserves far more address space than it uses) and a timeout, and asserts exit code 2,
exactly one line on standard error, no traceback and nothing written. Writers are killed
with SIGKILL, not simulated by planting what a killed writer leaves. The parse-time cases
measure the wall time of a whole command on a file at, or just over, a reader's cap.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from test_hardening import (
    INVENTORY,
    OTHER_CITY,
    TIMEOUT,
    WORKSHOP,
    _inventory_rows,
    _scenario,
    _write_xlsx,
    bounded,
    m100,
    refused,
)

from m100model import inputs

PARSE_SECONDS = 20  # a whole command on a file at a reader's cap: measured 1-8 s on 2 busy cores
M100 = [sys.executable, "-m", "m100model.cli"]
INVENTORY_FILES = ["com_view.csv", "emissions.csv", "gpc_table.csv", "summary.json"]


@pytest.fixture
def work(tmp_path: Path) -> Path:
    (tmp_path / "suceava.csv").write_bytes(INVENTORY.read_bytes())
    return tmp_path


def timed_refusal(args: list[str], cwd: Path, *words: str, out: Path | None = None) -> float:
    started = time.perf_counter()
    refused(args, cwd, *words, out=out)
    elapsed = time.perf_counter() - started
    assert elapsed < PARSE_SECONDS, f"{elapsed:.1f} s"
    return elapsed


def leftovers(folder: Path, name: str) -> list[str]:
    """Hidden siblings of a results folder ``name``: temporary folders, parked results."""
    return sorted(p.name for p in folder.glob(f".{name}.*"))


# ---------------------------------------------------------------------------------------
# Lost or unsafe writes, at the command line
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["../../x", "/abs"], ids=["dotdot", "absolute"])
def test_a_scenario_name_that_is_a_path_writes_nothing(tmp_path, name):
    """The scenario's name is its results folder (`results/<name>`): a path there would
    write, and with --force replace, a folder anywhere."""
    cwd = tmp_path / "a" / "b"
    cwd.mkdir(parents=True)
    victim = tmp_path / "abs" if name == "/abs" else tmp_path / "x"
    name = str(victim) if name == "/abs" else name
    victim.mkdir()
    (victim / "precious.txt").write_text("keep me", encoding="utf-8")
    path = _scenario(cwd / "s.yaml", name=name)
    refused(["run", path, "--force"], cwd, "s.yaml", "field 'name'", "expected a plain name")
    assert sorted(p.name for p in victim.iterdir()) == ["precious.txt"]
    assert (victim / "precious.txt").read_text(encoding="utf-8") == "keep me"
    assert sorted(p.name for p in cwd.iterdir()) == ["s.yaml"]  # no results/ either


@pytest.mark.parametrize("command", ["run", "inventory", "ensemble"])
def test_out_through_a_missing_folder_is_the_folder_it_names(work, command):
    """`--out missing/../v` is `v`: an existing `v` is refused without --force and left as
    it was, and no folder `missing` is created."""
    keep = work / "v"
    keep.mkdir()
    (keep / "precious.txt").write_text("keep me", encoding="utf-8")
    args = {
        "run": ["run", WORKSHOP],
        "inventory": ["inventory", "suceava.csv"],
        "ensemble": ["ensemble", WORKSHOP, "--serial", "--no-progress"],
    }[command]
    words = ["v: exists and holds no ensemble"] if command == "ensemble" else ["v exists"]
    refused(
        [*args, "--out", "missing/../v"],
        work,
        *words,
        "--force",
        limit="data" if command == "ensemble" else True,  # the ensemble draws charts
    )
    assert sorted(p.name for p in keep.iterdir()) == ["precious.txt"]
    assert (keep / "precious.txt").read_text(encoding="utf-8") == "keep me"
    assert not (work / "missing").exists()
    assert leftovers(work, "v") == []


@pytest.mark.slow
def test_ensemble_force_on_a_finished_folder_starts_it_again(work):
    """`m100 ensemble --force` on a finished ensemble starts it again (it deleted the
    samples, then refused, and left the folder unusable); other settings without --force
    are refused with one line and leave the folder as it was."""
    args = ["ensemble", WORKSHOP, "--serial", "--no-progress", "--mode", "fixed"]
    out = work / "ens"
    for samples, extra in (("2", []), ("3", ["--force"])):
        p = m100([*args, "--samples", samples, "--out", out, *extra], work, limit="data")
        assert p.returncode == 0, p.stderr[-2000:]
        assert "Traceback" not in p.stderr
    assert json.loads((out / "summary.json").read_text())["finished"] == 3
    assert len((out / "samples.jsonl").read_text().splitlines()) == 3
    assert leftovers(work, "ens") == [] and not list(out.glob(".*"))
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    refused([*args, "--samples", "4", "--out", out], work, "other settings", limit="data")
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


# ---------------------------------------------------------------------------------------
# m100 monitor: the same readers and guard, its own test
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("kind", ["folder", "fifo", "not-utf8", "loop", "scenario-not-utf8"])
def test_monitor_refuses_bad_inputs_with_one_line(work, kind):
    scenario, inventory = WORKSHOP, work / "x.csv"
    if kind == "folder":
        inventory.mkdir()
        words = ["x.csv", "is a folder"]
    elif kind == "fifo":
        os.mkfifo(inventory)
        words = ["x.csv", "not a regular file"]
    elif kind == "not-utf8":  # 0x81 is neither UTF-8 nor Windows-1250
        inventory.write_bytes(INVENTORY.read_bytes().rstrip() + b" \x81\n")
        words = ["x.csv", "neither UTF-8 nor Windows-1250", "0x81"]
    elif kind == "loop":
        inventory.symlink_to("y.csv")
        (work / "y.csv").symlink_to("x.csv")
        words = ["x.csv", "loop"]
    else:
        scenario = work / "latin2.yaml"
        scenario.write_bytes(b"name: t\ndescription: Bra\xbaov\ncities: [suceava]\n")
        inventory = work / "suceava.csv"
        words = ["latin2.yaml", "not UTF-8", "line 2"]
    refused(["monitor", scenario, inventory, "--out", work / "o"], work, *words, out=work / "o")


# ---------------------------------------------------------------------------------------
# The numeric options: bounded like the YAML fields they override
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("command", "option", "value", "words"),
    [
        ("ensemble", "--seed", "-1", "0 to 4,294,967,295"),
        ("ensemble", "--seed", str(2**32), "0 to 4,294,967,295"),
        ("ensemble", "--workers", "0", "1 to 64"),
        ("ensemble", "--workers", "100000", "1 to 64"),
        ("ensemble", "--alternatives", "-1", "0 to 50"),
        ("ensemble", "--alternatives", "100000", "0 to 50"),
        ("ensemble", "--samples", "0", "1 to 100,000"),
        ("alternatives", "--n", "0", "1 to 50"),
        ("alternatives", "--n", "100000", "1 to 50"),
        ("pareto", "--points", "1", "2 to 100"),
        ("pareto", "--points", "100000", "2 to 100"),
    ],
)
def test_numeric_options_are_bounded(work, command, option, value, words):
    refused(
        [command, WORKSHOP, option, value, "--out", work / "o"],
        work,
        option,
        words,
        out=work / "o",
    )


# ---------------------------------------------------------------------------------------
# The readers' caps, and the time a command takes on a file at them
# ---------------------------------------------------------------------------------------
def _row(df: pd.DataFrame) -> str:
    return ",".join(df.iloc[0]) + "\n"


def test_a_csv_over_the_row_cap(work):
    df = _inventory_rows()
    path = work / "rows.csv"
    path.write_text(",".join(df.columns) + "\n" + _row(df) * (inputs.MAX_ROWS + 1))
    timed_refusal(["inventory", path, "--out", work / "o"], work, "rows.csv", "100,000 rows")


def test_a_csv_over_the_column_cap(work):
    path = work / "cols.csv"
    n = inputs.MAX_COLUMNS + 1
    path.write_text(",".join(f"c{i}" for i in range(n)) + "\n" + ",".join(["1"] * n) + "\n")
    refused(["inventory", path, "--out", work / "o"], work, "cols.csv", "201 columns", "200")


def test_an_inventory_over_32_mib_is_not_read(work):
    path = work / "big.csv"
    with path.open("wb") as fh:
        fh.write(INVENTORY.read_bytes())
        fh.truncate(inputs.MAX_FILE_BYTES + 1)  # sparse: nothing more is written
    refused(
        ["inventory", path, "--out", work / "o"],
        work,
        "big.csv",
        "33,554,433 bytes",
        "up to 32.0 MB",
        out=work / "o",
    )


@pytest.mark.parametrize("where", ["top", "distribution"])
def test_a_yaml_alias_that_refers_to_itself(work, where):
    if where == "top":
        text = "name: t\ncities: [suceava]\nextra: &a [1, *a]\n"
    else:
        text = WORKSHOP.read_text(encoding="utf-8").replace(
            "distribution: {name: triang, c: 0.5, loc: 0.7, scale: 0.6}",
            "distribution: &d {name: triang, c: 0.5, loc: 0.7, scale: 0.6, again: *d}",
            1,
        )
    path = work / "self.yaml"
    path.write_text(text, encoding="utf-8")
    refused(
        ["run", path, "--out", work / "o"], work, "self.yaml", "refers to itself", out=work / "o"
    )


def test_a_mac_csv_with_cr_line_endings_is_read(work):
    """Found here: a CSV whose lines end in a carriage return alone (Excel's "CSV
    (Macintosh)") gave a traceback from the csv module, and its rows escaped the row cap."""
    cr = work / "mac.csv"
    cr.write_bytes(INVENTORY.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r"))
    a = m100(["inventory", cr, "--format", "json"], work)
    b = m100(["inventory", "suceava.csv", "--format", "json"], work)
    assert a.returncode == 0, a.stderr
    assert json.loads(a.stdout)["basic_tco2e"] == json.loads(b.stdout)["basic_tco2e"]
    many = work / "many.csv"
    many.write_text("city\r" + "suceava\r" * (inputs.MAX_ROWS + 10), newline="")
    timed_refusal(["inventory", many, "--out", work / "o"], work, "many.csv", "100,000 rows")


def test_a_wide_csv_is_refused_by_its_cells(work):
    """Found here: a 32 MB CSV of 200 columns (75,000 rows) was read in 2 s but took the
    inventory reader 16 s (and 700 MB) before it refused its third row."""
    cols = ["city", "year", "gpc_ref", "fuel", "amount", "unit"]
    cols += [f"c{i}" for i in range(inputs.MAX_COLUMNS - len(cols))]
    row = ",".join(["suceava", "2021", "I.1.1", "natural_gas", "1", "MWh"] + ["1"] * 194) + "\n"
    path = work / "wide.csv"
    path.write_text(",".join(cols) + "\n" + row * 75_000)
    assert path.stat().st_size < inputs.MAX_FILE_BYTES
    timed_refusal(["inventory", path, "--out", work / "o"], work, "wide.csv", "2,000,000 cells")


def test_a_csv_at_the_cell_cap_is_read_in_seconds(work):
    """10,000 rows of 200 columns: read whole, then refused for its repeated rows."""
    cols = ["city", "year", "gpc_ref", "fuel", "amount", "unit"]
    cols += [f"c{i}" for i in range(inputs.MAX_COLUMNS - len(cols))]
    row = ",".join(["suceava", "2021", "I.1.1", "natural_gas", "1", "MWh"] + ["1"] * 194) + "\n"
    path = work / "atcap.csv"
    path.write_text(",".join(cols) + "\n" + row * (inputs.MAX_CELLS // inputs.MAX_COLUMNS))
    timed_refusal(["inventory", path, "--out", work / "o"], work, "atcap.csv", "duplicate")


def _workbook(
    path: Path, rows: int, *, second: int = 0, excel: bool = False, **cells: object
) -> Path:
    """A workbook of the inventory's first row ``rows`` times, and a ``second`` sheet of as
    many rows: in openpyxl's write-only mode, text cells as inline strings and no
    <dimension> element (so that opening the workbook parses every sheet whole); ``excel``,
    as Excel writes it (shared strings, <dimension> first)."""
    df = _inventory_rows()
    wb = openpyxl.Workbook(write_only=not excel)
    if excel:
        wb.remove(wb.active)
    first = [v or None for v in df.iloc[0]]
    for title, n in (("activity", rows), ("more", second)):
        if title == "activity" or n:
            ws = wb.create_sheet(title)
            ws.append(list(df.columns))
            for _ in range(n):
                ws.append(first)
    wb.save(path)
    if cells:
        wb = openpyxl.load_workbook(path)
        for ref, value in cells.items():
            wb.active[ref] = value
        wb.save(path)
    return path


def test_a_stray_cell_within_the_row_and_column_caps(work):
    """Found here: a 10 kB workbook with values in GR1 and A100001 (within 100,000 rows and
    200 columns) made a table of 20 million cells: 20 s and 900 MB."""
    path = _workbook(work / "corners.xlsx", 3, GR1="x", A100001="y")
    assert path.stat().st_size < 20_000
    timed_refusal(
        ["inventory", path, "--out", work / "o"],
        work,
        "corners.xlsx",
        "A100001 and GR1",
        "2,000,000 cells",
        out=work / "o",
    )


def test_a_workbook_is_refused_by_the_tags_it_holds(work):
    """Found here: a 3 MB workbook of 100,000 rows took 34 s in openpyxl, and a sheet
    without a <dimension> element is parsed whole when the workbook is opened, whichever
    sheet is read. The tags are counted, not parsed."""
    path = _workbook(work / "dense.xlsx", 8_000)
    timed_refusal(
        ["inventory", path, "--out", work / "o"],
        work,
        "dense.xlsx",
        "XML tags",
        f"{inputs.MAX_WORKBOOK_TAGS:,}",
        out=work / "o",
    )
    # The big sheet second, the inventory first: still counted (it is parsed on opening).
    _workbook(work / "second.xlsx", 5, second=8_000)
    timed_refusal(
        ["inventory", work / "second.xlsx", "--out", work / "o"],
        work,
        "second.xlsx",
        "XML tags",
        out=work / "o",
    )


def test_other_sheets_with_a_dimension_are_not_counted(work):
    """An inventory sheet next to a big sheet that Excel wrote (with its <dimension> first)
    is read: only the sheet read, and what openpyxl parses on opening, count."""
    _write_xlsx(_inventory_rows(), work / "two.xlsx")
    wb = openpyxl.load_workbook(work / "two.xlsx")
    big = wb.create_sheet("hourly")
    for h in range(20_000):
        big.append([h, "x", 1.5, 2.5, 3.5, 4.5])
    wb.save(work / "two.xlsx")
    with zipfile.ZipFile(work / "two.xlsx") as zf:
        assert zf.read("xl/worksheets/sheet2.xml").count(b"<") > inputs.MAX_WORKBOOK_TAGS
    p = m100(["inventory", work / "two.xlsx", "--format", "json"], work)
    assert p.returncode == 0, p.stderr
    b = m100(["inventory", "suceava.csv", "--format", "json"], work)
    assert json.loads(p.stdout)["basic_tco2e"] == pytest.approx(json.loads(b.stdout)["basic_tco2e"])


def _sheet_tags(path: Path) -> int:
    with zipfile.ZipFile(path) as zf:
        return zf.read("xl/worksheets/sheet1.xml").count(b"<")


def test_a_workbook_at_the_tag_cap_is_read_in_seconds(work):
    """Its sheet just under the cap (with a <dimension>, as Excel writes it: parsed once)."""
    a = _sheet_tags(_workbook(work / "a.xlsx", 100, excel=True))
    per_row = (_sheet_tags(_workbook(work / "b.xlsx", 200, excel=True)) - a) / 100
    rows = int(0.97 * inputs.MAX_WORKBOOK_TAGS / per_row)
    path = _workbook(work / "atcap.xlsx", rows, excel=True)
    assert 0.9 * inputs.MAX_WORKBOOK_TAGS < _sheet_tags(path) < inputs.MAX_WORKBOOK_TAGS
    timed_refusal(["inventory", path, "--out", work / "o"], work, "atcap.xlsx", "duplicate")


def test_a_csv_of_one_huge_cell_is_read_in_seconds(work):
    body = INVENTORY.read_text(encoding="utf-8")
    room = inputs.MAX_FILE_BYTES - len(body) - 1000
    row = body.splitlines()[1].split(",")
    row[-1] = "x" * room
    path = work / "cell.csv"
    path.write_text(body + ",".join(row) + "\n", encoding="utf-8")
    timed_refusal(["inventory", path, "--out", work / "o"], work, "cell.csv", "duplicate")


def test_a_yaml_of_many_values_is_refused_before_it_is_built(work):
    """Found here: a 1 MB scenario of 350,000 plain values (no alias) was composed into
    nodes (4 s) before its size was refused; the parser's events are counted first."""
    path = work / "flat.yaml"
    path.write_text("name: t\ncities: [suceava]\nextra: [" + "1, " * 349_000 + "1]\n")
    timed_refusal(["run", path, "--out", work / "o"], work, "flat.yaml", "more than 100,000 values")


def test_a_yaml_at_the_alias_cap_is_read_in_seconds(work):
    """Aliases that expand to just under 100,000 values: counted, not expanded; the
    scenario is then refused for its unknown field."""
    lines = ["a0: &a0 [" + ", ".join(["1"] * 10) + "]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 4)]
    text = "\n".join(lines) + "\nextra: [" + ", ".join(["*a3"] * 7) + "]\n"
    text = text.replace("a0: ", "name: t\ncities: [suceava]\na0: ", 1)
    path = work / "alias.yaml"
    path.write_text(text)
    assert inputs.parse_yaml(text, "alias.yaml")  # under the cap
    timed_refusal(["run", path, "--out", work / "o"], work, "alias.yaml", "a0")


def _read_json_bounded(path: Path) -> tuple[subprocess.CompletedProcess, float]:
    code = "import sys; from m100model.inputs import read_json; print(len(read_json(sys.argv[1])))"
    started = time.perf_counter()
    p = subprocess.run(
        [sys.executable, "-c", code, path],
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
        preexec_fn=bounded(),
    )
    return p, time.perf_counter() - started


def test_json_nested_at_the_depth_cap_is_read_in_seconds(tmp_path):
    """Found here: 32 MB of lists nested 32 deep took 40 s to check for depth (character by
    character in Python; now in C, 2 s) and then 13 s and 1.6 GB to build 16 million lists:
    refused now by their number. Just under that number, read in a second."""
    unit = "[" * inputs.MAX_DEPTH + "]" * inputs.MAX_DEPTH
    path = tmp_path / "deep.json"
    path.write_text("[" + ",".join([unit[1:-1]] * (inputs.MAX_FILE_BYTES // 66 - 1)) + "]")
    p, elapsed = _read_json_bounded(path)
    assert p.returncode == 1 and "more than 100,000 lists and objects" in p.stderr, p.stderr
    assert elapsed < PARSE_SECONDS, f"{elapsed:.1f} s"
    n = inputs.MAX_NODES // inputs.MAX_DEPTH
    path.write_text("[" + ",".join([unit[1:-1]] * (n - 1)) + "]")
    p, elapsed = _read_json_bounded(path)
    assert p.returncode == 0 and p.stdout.strip() == str(n - 1), p.stderr[-2000:]
    assert elapsed < PARSE_SECONDS, f"{elapsed:.1f} s"
    path.write_text("[" * (inputs.MAX_DEPTH + 1) + "]" * (inputs.MAX_DEPTH + 1))
    with pytest.raises(inputs.InputError, match="nested more than 32"):
        inputs.read_json(path)
    path.write_text('["' + "[" * 100 + '", "\\"[[[["]')  # brackets in strings do not count
    assert inputs.read_json(path) == ["[" * 100, '"[[[[']


# ---------------------------------------------------------------------------------------
# Real kills: SIGKILL a writer mid-write
# ---------------------------------------------------------------------------------------
WRITER = r"""
import sys, time
from pathlib import Path
from m100model.io import OutputExistsError, write_results_dir

target, tag, pause, files = Path(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
ready = target.with_name(f"ready.{tag}")
if pause in ("between-renames", "before-tidying"):
    real, renames = Path.rename, []

    def rename(self, dst):
        moved = real(self, dst)
        renames.append(dst)
        parked = pause == "between-renames" and Path(dst).name.endswith(".old")
        if parked or (pause == "before-tidying" and len(renames) == 2):
            ready.touch()
            time.sleep(600)
        return moved

    Path.rename = rename


def fill(folder):
    for k in range(files):
        (folder / f"f{k}.txt").write_text(tag)
        if pause == "fill" and k == files // 2:
            ready.touch()
            time.sleep(600)
        elif pause == "slow":
            time.sleep(0.003)


go = target.with_name("go")
while "--wait" in sys.argv and not go.exists():
    time.sleep(0.0005)
try:
    write_results_dir(target, fill, force="--force" in sys.argv)
except OutputExistsError as exc:
    print(f"error: {exc}", file=sys.stderr)
    sys.exit(2)
"""


def writer(tmp: Path, tag: str, pause: str = "none", *flags: str, files: int = 10):
    script = tmp / "writer.py"
    if not script.exists():
        script.write_text(WRITER, encoding="utf-8")
    return subprocess.Popen(
        [sys.executable, script, tmp / "res", tag, pause, str(files), *flags],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=bounded(),
    )


def wait_for(path: Path, proc: subprocess.Popen, seconds: float = 60) -> None:
    end = time.monotonic() + seconds
    while not path.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < end, f"{path.name} never appeared"
        time.sleep(0.01)


def kill(proc: subprocess.Popen) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=TIMEOUT)
    assert proc.returncode == -signal.SIGKILL


def tags(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text() for p in sorted(folder.iterdir())}


def whole(tag: str, files: int = 10) -> dict[str, str]:
    return {f"f{k}.txt": tag for k in sorted(range(files), key=lambda k: f"f{k}.txt")}


@pytest.fixture
def previous(tmp_path: Path) -> Path:
    """A folder `res` of complete previous results (ten files 'old')."""
    w = writer(tmp_path, "old")
    _, err = w.communicate(timeout=TIMEOUT)
    assert w.returncode == 0, err
    assert tags(tmp_path / "res") == whole("old")
    return tmp_path


def test_a_writer_killed_while_it_fills_loses_nothing(previous):
    w = writer(previous, "new", "fill", "--force")
    wait_for(previous / "ready.new", w)
    assert [n for n in leftovers(previous, "res") if n.startswith(f".res.{w.pid}.")]  # mid-write
    kill(w)
    assert tags(previous / "res") == whole("old")
    # The next writer (without --force: refused) removes what the killed one left.
    nxt = writer(previous, "next")
    _, err = nxt.communicate(timeout=TIMEOUT)
    assert nxt.returncode == 2 and len(err.strip().splitlines()) == 1 and "exists" in err
    assert tags(previous / "res") == whole("old")
    assert leftovers(previous, "res") == []


def test_a_writer_killed_between_the_two_renames_loses_nothing(previous):
    """Killed with the previous results parked as `.res.old` and no `res`: the next
    command that writes there (`m100 inventory`, without --force) puts them back first, and
    refuses; with --force it replaces them, and nothing hidden remains."""
    w = writer(previous, "new", "between-renames", "--force")
    wait_for(previous / "ready.new", w)
    kill(w)
    assert not (previous / "res").exists()
    assert tags(previous / ".res.old") == whole("old")
    (previous / "suceava.csv").write_bytes(INVENTORY.read_bytes())
    refused(["inventory", "suceava.csv", "--out", "res"], previous, "res exists", "--force")
    assert tags(previous / "res") == whole("old")
    assert leftovers(previous, "res") == []
    p = m100(["inventory", "suceava.csv", "--out", "res", "--force"], previous)
    assert p.returncode == 0, p.stderr
    assert sorted(tags(previous / "res")) == INVENTORY_FILES
    assert leftovers(previous, "res") == []


def test_a_writer_killed_before_it_tidied_leaves_nothing_hidden(previous):
    """Killed after the swap, before it removed the previous results it had parked: the
    new results are whole, and the next writer removes the parked ones (they stayed, whole
    copies of old results, until a later --force write)."""
    w = writer(previous, "new", "before-tidying", "--force")
    wait_for(previous / "ready.new", w)
    kill(w)
    assert tags(previous / "res") == whole("new")
    assert (previous / ".res.old").exists()
    nxt = writer(previous, "next")
    _, err = nxt.communicate(timeout=TIMEOUT)
    assert nxt.returncode == 2 and "exists" in err
    assert tags(previous / "res") == whole("new")
    assert leftovers(previous, "res") == []


def _inventory_folder(folder: Path) -> str:
    """The city of a complete `m100 inventory --out` folder (asserting it is one run's
    whole output: its four files, a summary and tables of the same city)."""
    assert sorted(p.name for p in folder.iterdir()) == INVENTORY_FILES
    city = json.loads((folder / "summary.json").read_text())["city"]
    emissions = pd.read_csv(folder / "emissions.csv", dtype=str)
    assert set(emissions["city"]) == {city}
    return city


@pytest.mark.slow
def test_m100_inventory_killed_at_any_moment_loses_nothing(work):
    """`m100 inventory --out res --force` over previous results, SIGKILLed after 0.1 to
    2 s: `res` always holds one run's whole output (or, killed between the renames, the
    previous one parked, which the next run puts back); the next run leaves nothing hidden."""
    (work / "cluj.csv").write_bytes(OTHER_CITY.read_bytes())
    assert m100(["inventory", "cluj.csv", "--out", "res"], work).returncode == 0
    seen = set()
    for delay in [0.1 * k for k in range(1, 21)]:
        p = subprocess.Popen(
            [*M100, "inventory", "suceava.csv", "--out", "res", "--force"],
            cwd=work,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=bounded(),
        )
        time.sleep(delay)
        if p.poll() is None:
            p.kill()
        p.wait(timeout=TIMEOUT)
        if not (work / "res").exists():
            assert _inventory_folder(work / ".res.old") == "cluj_napoca"
            seen.add("parked")
        else:
            seen.add(_inventory_folder(work / "res"))
        if p.returncode == 0:
            break
    assert "suceava" in seen, "no run finished within 2 s"
    refused(["inventory", "cluj.csv", "--out", "res"], work, "res exists")
    _inventory_folder(work / "res")
    assert leftovers(work, "res") == []


def _lines(path: Path) -> int:
    try:
        return len(path.read_bytes().splitlines())
    except FileNotFoundError:
        return 0


def _ensemble_result(folder: Path) -> tuple[list, dict, dict]:
    """A finished ensemble's samples (by id), summary and tables, without its timings."""
    samples = sorted(
        (json.loads(line) for line in (folder / "samples.jsonl").read_text().splitlines()),
        key=lambda r: r["sample_id"],
    )
    for record in samples:
        record.pop("seconds", None)
        for run in record.get("runs", {}).values():
            run.pop("seconds", None)
    summary = json.loads((folder / "summary.json").read_text())
    summary.pop("timing", None)
    tables = {p.name: p.read_text() for p in sorted(folder.glob("*.csv"))}
    return samples, summary, tables


@pytest.mark.slow
def test_m100_ensemble_killed_mid_way_resumes_to_the_same_result(work):
    """`m100 ensemble`, SIGKILLed while its samples stream in: the rerun with the same
    settings resumes where it stopped (it does not start again) and ends with the samples,
    summary and tables of a run never interrupted; nothing hidden is left beside them."""
    args = ["ensemble", WORKSHOP, "--serial", "--no-progress", "--mode", "fixed"]
    args += ["--samples", "120"]
    p = m100([*args, "--out", "whole"], work, limit="data")
    assert p.returncode == 0, p.stderr[-2000:]
    killed = subprocess.Popen(
        [*M100, *map(str, args), "--out", "res"],
        cwd=work,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        preexec_fn=bounded("data"),
    )
    end = time.monotonic() + TIMEOUT
    while _lines(work / "res" / "samples.jsonl") < 20:
        assert killed.poll() is None, killed.communicate()
        assert time.monotonic() < end, "no sample was written"
        time.sleep(0.02)
    kill(killed)
    written = (work / "res" / "samples.jsonl").read_bytes()
    kept = written[: written.rfind(b"\n") + 1]  # the whole lines (a last one may be cut)
    done = len(kept.splitlines())
    assert 20 <= done < 120, done  # killed mid-way
    assert not (work / "res" / "summary.json").exists()
    p = m100([*args, "--out", "res"], work, limit="data")  # no --force: it resumes
    assert p.returncode == 0, p.stderr[-2000:]
    # the samples written before the kill are kept as they were (their own timings), and
    # only the rest are sampled
    assert (work / "res" / "samples.jsonl").read_bytes().startswith(kept)
    timing = json.loads((work / "res" / "summary.json").read_text())["timing"]
    assert (timing["resumed_samples"], timing["new_samples"]) == (done, 120 - done)
    resumed = _ensemble_result(work / "res")
    assert resumed[1]["finished"] == 120
    assert resumed == _ensemble_result(work / "whole")
    assert leftovers(work, "res") == [] and not list((work / "res").glob(".*"))


# ---------------------------------------------------------------------------------------
# Two processes writing one folder at once
# ---------------------------------------------------------------------------------------
def _start_together(procs: list[subprocess.Popen], tmp: Path) -> list[tuple[int, str]]:
    time.sleep(0.5)  # both waiting for the signal (Python started, modules imported)
    (tmp / "go").touch()
    done = [(p.communicate(timeout=TIMEOUT)[1], p.returncode) for p in procs]
    done = [(rc, err) for err, rc in done]
    (tmp / "go").unlink()
    return done


def test_two_writer_processes_with_force_at_once(tmp_path):
    """Both finish; the folder is one writer's whole output, never a mix."""
    for _ in range(3):
        procs = [writer(tmp_path, t, "slow", "--force", "--wait", files=40) for t in "ab"]
        done = _start_together(procs, tmp_path)
        assert [rc for rc, _ in done] == [0, 0], done
        assert tags(tmp_path / "res") in (whole("a", 40), whole("b", 40))
        assert leftovers(tmp_path, "res") == []


def test_two_writer_processes_without_force_at_once(tmp_path):
    """One writes; the other is refused with one line and writes nothing."""
    for _ in range(3):
        procs = [writer(tmp_path, t, "slow", "--wait", files=40) for t in "ab"]
        done = _start_together(procs, tmp_path)
        assert sorted(rc for rc, _ in done) == [0, 2], done
        err = next(e for rc, e in done if rc == 2).strip().splitlines()
        assert len(err) == 1 and ("meanwhile" in err[0] or "exists" in err[0]), err
        assert tags(tmp_path / "res") in (whole("a", 40), whole("b", 40))
        assert leftovers(tmp_path, "res") == []
        for p in (tmp_path / "res").iterdir():
            p.unlink()
        (tmp_path / "res").rmdir()


def test_two_m100_inventory_force_runs_into_one_folder(work):
    """`m100 inventory A --out res --force` and `m100 inventory B --out res --force` at
    once: each exits 0 (or 2 with one line), and `res` is one run's whole output, byte for
    byte what that run writes alone."""
    (work / "cluj.csv").write_bytes(OTHER_CITY.read_bytes())
    alone = {}
    for city, file in (("suceava", "suceava.csv"), ("cluj_napoca", "cluj.csv")):
        assert m100(["inventory", file, "--out", "res", "--force"], work).returncode == 0
        alone[city] = {p.name: p.read_bytes() for p in (work / "res").iterdir()}
    for _ in range(2):
        procs = [
            subprocess.Popen(
                [*M100, "inventory", f, "--out", "res", "--force"],
                cwd=work,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
                preexec_fn=bounded(),
            )
            for f in ("suceava.csv", "cluj.csv")
        ]
        for p in procs:
            _, err = p.communicate(timeout=TIMEOUT)
            assert p.returncode in (0, 2), err
            assert "Traceback" not in err
            if p.returncode == 2:
                assert len(err.strip().splitlines()) == 1, err
        city = _inventory_folder(work / "res")
        assert {p.name: p.read_bytes() for p in (work / "res").iterdir()} == alone[city]
        assert leftovers(work, "res") == []
