"""Property-based fuzzing of what users bring: inventories, scenarios and submissions are
generated from their schemas, mutated, and fed to the command line. Whatever the input,
the command ends in one of two ways:

* exit 0 with valid output: every promised file in ``--out``, JSON that any reader
  accepts (no NaN or Infinity);
* exit 2 with one line on standard error and nothing written;

never a traceback, never a file outside ``--out``, never a partial or temporary folder.

The commands run in this process (typer's test runner), in a fresh folder that is the
working directory, so that a write anywhere else in it is seen.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from typer.testing import CliRunner

from m100model.cli import app
from m100model.inventory import OPTIONAL_COLUMNS, REQUIRED_COLUMNS
from m100model.tables import data_dir

BASE = pd.read_csv(
    data_dir() / "inventories" / "suceava_2021.csv", dtype=str, keep_default_na=False
)
COLUMNS = list(REQUIRED_COLUMNS + OPTIONAL_COLUMNS)
FUZZ = settings(
    max_examples=int(os.environ.get("M100_FUZZ_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    # The same examples on every run (CI stays reproducible); M100_FUZZ_RANDOM=1 explores.
    derandomize=os.environ.get("M100_FUZZ_RANDOM") is None,
)

# Values a spreadsheet or a YAML file can hold, the awkward ones over-represented.
NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.sampled_from([0, -1, 1e300, 1e-300, 2**63, float("inf"), float("nan")]),
)
TEXTS = st.one_of(
    st.text(max_size=40),
    st.sampled_from(
        [
            "",
            " ",
            "=1+1",
            "+cmd|' /C calc'!A0",
            "@SUM(A1)",
            "-2+3",
            "1e999",
            "1,5",
            "TRUE",
            "NaN",
            "inf",
            "\x00",
            "ș" * 50,
            "../../etc/passwd",
            "m" + "**2" * 20,
            "(" * 30 + "t" + ")" * 30,
            "ton",
            "gal",
            "kt",
            "MWh",
            "GJ",
            "m3",
            "t",
            "vkm",
            "I.1.1",
            "II.1.1",
            "III.1.1",
            "X.9.9",
            "NO",
            "IE",
            "natural_gas",
            "electricity",
            "diesel",
            "suceava",
            "cluj_napoca",
        ]
    ),
)
CELLS = st.one_of(TEXTS, NUMBERS, st.booleans(), st.none())


@contextmanager
def _folder():
    """A fresh folder as the working directory."""
    old = Path.cwd()
    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(tmp)
        try:
            yield Path(tmp)
        finally:
            os.chdir(old)


def _refuse_constants(name: str) -> None:
    raise AssertionError(f"{name} in JSON output")


def _check_outcome(result, folder: Path, inputs: set[str], out: Path, files: tuple[str, ...]):
    """The promise, whatever the input."""
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception  # a traceback: the property fails with it
    assert result.exit_code in (0, 2), (result.exit_code, result.output[-2000:])
    written = {p.name for p in folder.iterdir()} - inputs
    if result.exit_code == 2:
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1, result.stderr
        assert written == set(), f"written although refused: {written}"
    else:
        assert written == {out.name}, f"written outside --out: {written - {out.name}}"
        for name in files:
            assert (out / name).is_file(), f"{name} missing from {sorted(os.listdir(out))}"
        for path in out.glob("*.json"):
            json.loads(path.read_text(encoding="utf-8"), parse_constant=_refuse_constants)


# ---------------------------------------------------------------------------------------
# Inventories
# ---------------------------------------------------------------------------------------
@st.composite
def inventories(draw) -> tuple[pd.DataFrame, str]:
    rows = draw(
        st.lists(st.integers(0, len(BASE) - 1), min_size=1, max_size=len(BASE), unique=True)
    )
    df = BASE.iloc[sorted(rows)].reset_index(drop=True).astype(object)
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["cell", "cell", "cell", "drop", "extra", "dup", "rename"]))
        if kind == "cell":
            r = draw(st.integers(0, len(df) - 1))
            c = draw(st.sampled_from(COLUMNS))
            if c in df.columns:
                df.at[r, c] = draw(CELLS)
        elif kind == "drop" and len(df.columns) > 1:
            df = df.drop(columns=[draw(st.sampled_from(list(df.columns)))])
        elif kind == "extra":
            df[draw(st.text(min_size=1, max_size=10))] = draw(CELLS)
        elif kind == "dup":
            df = pd.concat([df, df.iloc[[draw(st.integers(0, len(df) - 1))]]], ignore_index=True)
        elif kind == "rename":
            old = draw(st.sampled_from(list(df.columns)))
            df = df.rename(columns={old: draw(TEXTS) or "x"})
    return df, draw(st.sampled_from(["csv", "xlsx"]))


def _write_inventory(df: pd.DataFrame, fmt: str, path: Path) -> None:
    if fmt == "csv":
        df.to_csv(path, index=False)
        return
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append([ILLEGAL_CHARACTERS_RE.sub("", str(c)) for c in df.columns])
    for row in df.itertuples(index=False):
        cells = []
        for v in row:
            if isinstance(v, float) and not math.isfinite(v):
                v = str(v)  # a workbook cannot hold them as numbers
            elif isinstance(v, int) and not isinstance(v, bool) and abs(v) > 2**53:
                v = float(v)
            elif isinstance(v, str):
                v = ILLEGAL_CHARACTERS_RE.sub("", v)  # what a workbook can hold
            cells.append(v)
        ws.append(cells)
    wb.save(path)


@FUZZ
@given(inventories())
def test_fuzzed_inventories(case) -> None:
    df, fmt = case
    with _folder() as folder:
        name = f"activity.{fmt}"
        _write_inventory(df, fmt, folder / name)
        out = folder / "out"
        result = CliRunner().invoke(
            app, ["inventory", name, "--out", "out", "--format", "json"], catch_exceptions=True
        )
        _check_outcome(
            result,
            folder,
            {name},
            out,
            ("summary.json", "emissions.csv", "gpc_table.csv", "com_view.csv"),
        )
        if result.exit_code == 0:
            json.loads(result.stdout, parse_constant=_refuse_constants)


# ---------------------------------------------------------------------------------------
# Scenarios
# ---------------------------------------------------------------------------------------
SMALL = {
    "name": "fuzz",
    "cities": ["suceava"],
    "first_year": 2025,
    "horizon": 2030,
    "target": {"kind": "reduction", "year": 2030, "reduction": 0.05},
    "archetypes": ["en_led", "mob_ebus"],
    "indivisible": False,
    "tickets": False,
    "solver": {"time_limit": 5},  # a mutation that makes a big model still ends soon
}
FIELDS = [
    "name",
    "description",
    "cities",
    "inventories",
    "first_year",
    "horizon",
    "target",
    "target.kind",
    "target.year",
    "target.reduction",
    "grid_scenario",
    "archetypes",
    "project_scale",
    "phases",
    "indivisible",
    "decision_step",
    "build_rate",
    "baseline",
    "prices",
    "ets2",
    "instruments",
    "instrument_overrides",
    "tickets",
    "discount_rate",
    "gwp",
    "grid_method",
    "perspective",
    "offset_price_eur_per_t",
    "shortfall_penalty_eur_per_t",
    "energy_price_factor",
    "solver",
    "solver.threads",
    "solver.time_limit",
    "solver.mip_gap",
    "bundles",
    "uncertainty",
    "unknown_field",
]
YAML_VALUES = st.recursive(
    CELLS, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXTS, inner, max_size=4)
)
GOOD = {
    "name": st.from_regex(r"[a-z][a-z0-9_-]{0,20}", fullmatch=True),
    "description": st.text(max_size=200),
    "first_year": st.integers(2024, 2026),
    "horizon": st.integers(2030, 2032),
    "discount_rate": st.floats(0, 0.3),
    "target.kind": st.sampled_from(["reduction", "net_zero"]),
    "target.reduction": st.floats(0, 1),
    "project_scale": st.floats(0.1, 3),
    "phases": st.integers(1, 2),
    "indivisible": st.booleans(),
    "tickets": st.booleans(),
    "grid_scenario": st.sampled_from(["necp", "frozen"]),
    "baseline": st.sampled_from(["wem", "frozen"]),
    "prices": st.sampled_from(["wem", "frozen"]),
    "ets2": st.sampled_from(["central", "low", "high", "none"]),
    "build_rate": st.sampled_from(["soft", "hard"]),
    "gwp": st.sampled_from(["AR4", "AR5", "AR6"]),
    "perspective": st.sampled_from(["city", "society"]),
    "archetypes": st.sampled_from([["en_led"], ["mob_ebus", "en_pv_public"]]),
    "solver.mip_gap": st.floats(0, 0.1),
    "solver.time_limit": st.floats(1, 10),
    "solver.threads": st.integers(1, 2),
}


@st.composite
def scenarios(draw) -> dict:
    raw = json.loads(json.dumps(SMALL))
    for _ in range(draw(st.integers(1, 3))):
        field = draw(st.sampled_from(FIELDS))
        good = GOOD.get(field)
        bad = good is None or draw(st.integers(0, 2)) == 0  # a good value two times in three
        value = draw(YAML_VALUES if bad else good)
        *parents, leaf = field.split(".")
        node = raw
        for p in parents:
            if not isinstance(node.get(p), dict):
                node[p] = {}
            node = node[p]
        if draw(st.integers(0, 9)) == 0:
            node.pop(leaf, None)
        else:
            node[leaf] = value
    return raw


def _yaml_text(raw: dict) -> str:
    def clean(v):  # YAML cannot hold every float or control character as typed
        if isinstance(v, float) and math.isnan(v):
            return ".nan"
        if isinstance(v, str):
            return "".join(ch for ch in v if ch >= " " or ch in "\t\n")
        if isinstance(v, dict):
            return {clean(k): clean(x) for k, x in v.items()}
        if isinstance(v, list):
            return [clean(x) for x in v]
        return v

    return yaml.safe_dump(clean(raw), sort_keys=False, allow_unicode=True)


@pytest.mark.slow
@settings(FUZZ, max_examples=max(FUZZ.max_examples // 2, 10))
@given(scenarios())
def test_fuzzed_scenarios(raw) -> None:
    with _folder() as folder:
        (folder / "s.yaml").write_text(_yaml_text(raw), encoding="utf-8")
        out = folder / "out"
        result = CliRunner().invoke(app, ["run", "s.yaml", "--out", "out"], catch_exceptions=True)
        _check_outcome(
            result,
            folder,
            {"s.yaml"},
            out,
            ("summary.json", "report.html", "investment_plan.xlsx"),
        )


# ---------------------------------------------------------------------------------------
# Submissions (m100 assess)
# ---------------------------------------------------------------------------------------
COHORT = data_dir().parent / "exercises" / "assessment" / "example_cohort"
SUBMISSIONS = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(COHORT.glob("*.json"))]
JSON_VALUES = st.recursive(
    st.one_of(
        TEXTS,
        st.floats(allow_nan=False, allow_infinity=False),
        st.integers(-(10**20), 10**20),
        st.booleans(),
        st.none(),
    ),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXTS, inner, max_size=4),
    max_leaves=12,
)
PATHS = [
    ("participant",),
    ("role",),
    ("records",),
    ("records", 0, "module"),
    ("records", 0, "phase"),
    ("records", 0, "hours"),
    ("records", 0, "confidence"),
    ("records", 0, "confidence", "s1"),
    ("records", 0, "answers"),
    ("records", 0, "answers", "q1"),
    ("records", 0, "answers", "q3"),
    ("records", 0, "answers", "q5"),
    ("records", 0, "exercises"),
    ("records", 1, "answers", "q2"),
    ("unknown",),
]


@st.composite
def cohorts(draw) -> list[bytes]:
    files = []
    for base in draw(st.lists(st.sampled_from(SUBMISSIONS), min_size=1, max_size=3)):
        sub = json.loads(json.dumps(base))
        for _ in range(draw(st.integers(0, 3))):
            *parents, leaf = draw(st.sampled_from(PATHS))
            node = sub
            for p in parents:
                node = node[p] if isinstance(node, dict | list) and _has(node, p) else None
                if node is None:
                    break
            if isinstance(node, dict | list) and (isinstance(node, dict) or _has(node, leaf)):
                node[leaf] = draw(JSON_VALUES)
        text = json.dumps(sub, ensure_ascii=False).encode("utf-8")
        if draw(st.integers(0, 9)) == 0:  # a damaged file: cut short, or not UTF-8
            text = draw(st.sampled_from([text[: len(text) // 2], text.replace(b"P0", b"\xff")]))
        files.append(text)
    return files


def _has(node: dict | list, key: object) -> bool:
    return key in node if isinstance(node, dict) else isinstance(key, int) and key < len(node)


@FUZZ
@given(cohorts())
def test_fuzzed_submissions(files) -> None:
    with _folder() as folder:
        subs = folder / "subs"
        subs.mkdir()
        for i, data in enumerate(files):
            (subs / f"p{i}.json").write_bytes(data)
        result = CliRunner().invoke(
            app, ["assess", "subs", "--out", "out", "--format", "json"], catch_exceptions=True
        )
        _check_outcome(
            result,
            folder,
            {"subs"},
            folder / "out",
            ("by_participant.csv", "by_question.csv", "by_statement.csv", "summary.json"),
        )
        if result.exit_code == 0:
            json.loads(result.stdout, parse_constant=_refuse_constants)
            assert sorted(p.name for p in subs.iterdir()) == [
                f"p{i}.json" for i in range(len(files))
            ]
