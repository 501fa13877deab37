"""The exercises: every checker with a correct, a wrong, a unit-converted and a malformed
answer; the open exercises' scoring; the registry; the exercise notebooks (with their blanks)
running in this process; and the notebooks kept in step with their one source."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import math
from pathlib import Path

import nbformat
import pandas as pd
import pint
import pytest

from m100model.exercises import (
    MODULES,
    all_exercises,
    check,
    data,
    exercise,
    exercises,
    expected,
    hint,
    read_quantity,
)
from m100model.exercises.answers import AnswerError, MissingAnswer
from m100model.units import ureg

ROOT = Path(__file__).resolve().parents[1]
EXERCISES = ROOT / "exercises"
NUMERIC = [ex.id for ex in all_exercises() if ex.numeric]
OPEN_PORTFOLIO = ["mob-3", "bld-3", "en-3", "circ-3", "gov-3"]

# An equivalent way to write a value in each unit the exercises use.
CONVERTED = {
    "t": lambda v: f"{v / 1000!r} kt CO2e",
    "kt": lambda v: f"{v * 1000!r} tCO2e",
    "EUR/t": lambda v: f"{v / 1000!r} kEUR/t CO2e",
    "t/MWh": lambda v: f"{v * 1000!r} g/kWh",
    "year": lambda v: f"{v * 12!r} months",
    "m**3": lambda v: f"{v * 1000!r} L",
    "MEUR": lambda v: f"EUR {v!r}m",
    "": lambda v: f"{v * 100!r} %",
}


# ---------------------------------------------------------------------------------------
# Reading answers
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("answer", "unit", "value"),
    [
        (2025.6, "t", 2025.6),
        ("2025.6 t CO2e", "t", 2025.6),
        ("2.03 kt", "t", 2030.0),
        ("2,025.6 tCO2e", "t", 2025.6),
        ("2.025,6 t", "t", 2025.6),
        ("2 025,6 t", "t", 2025.6),
        ("2.03 ktCO2e", "t", 2030.0),
        ("45 t CO2 per year", "t", 45.0),
        ("45 t/yr", "t", 45.0),
        ("700 g/kWh", "t/MWh", 0.7),
        ("EUR 668/t", "EUR/t", 668.0),
        ("€668 per tCO2e", "EUR/t", 668.0),
        ("45 M EUR", "MEUR", 45.0),
        ("10.7 %", "", 0.107),
        ("10.7 cents per euro", "", 0.107),
        ("1344 kg CO2e/t", "", 1.344),
        ("560 m³", "m**3", 560.0),
        ("~2000 t", "t", 2000.0),
        ("2 tons", "t", 2.0),  # metric tonnes, not US short tons
        ("1.5 kt", "kt", 1.5),  # a kilotonne, never a knot
    ],
)
def test_answers_are_read_in_any_equivalent_unit(answer, unit, value):
    assert read_quantity(answer, unit) == pytest.approx(value)


def test_pint_quantities_of_any_registry_are_read():
    assert read_quantity(ureg.Quantity(2.03, "kilotonne"), "t") == pytest.approx(2030)
    other = pint.UnitRegistry()
    assert read_quantity(other.Quantity(2030, "kilogram") * 1000, "t") == pytest.approx(2030)


@pytest.mark.parametrize(
    ("answer", "fragment"),
    [
        ("abc", "could not read a number"),
        ("5 m", "cannot be converted"),
        ("12 furlongs of gas", "could not read the unit"),
        ([1, 2], "expected one number"),
        ({"a": 1}, "expected one number"),
        (True, "expected a number"),
        (float("nan"), "finite"),
    ],
)
def test_malformed_answers_give_a_clear_message(answer, fragment):
    with pytest.raises(AnswerError, match=fragment):
        read_quantity(answer, "t")


@pytest.mark.parametrize("blank", [..., None, "", "   "])
def test_blanks_are_missing_answers(blank):
    with pytest.raises(MissingAnswer):
        read_quantity(blank, "t")


# ---------------------------------------------------------------------------------------
# The numeric checkers: correct, wrong, unit-converted, malformed
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("exercise_id", NUMERIC)
def test_numeric_checker(exercise_id):
    ex = exercise(exercise_id)
    value = float(expected(exercise_id))
    assert math.isfinite(value) and value != 0

    right = check(exercise_id, value)
    assert right.correct and right.status == "correct", right
    assert "correct" in str(right)

    inside = check(exercise_id, value * (1 + ex.rtol / 2))
    assert inside.correct, inside

    wrong = check(exercise_id, value * 1.37)
    assert not wrong.correct and wrong.status == "not yet"
    assert wrong.hint
    for shown in (f"{value:.4g}", f"{value:,.1f}", f"{value:,.2f}"):
        assert shown not in wrong.hint, f"the hint gives the answer away: {wrong}"

    converted = check(exercise_id, CONVERTED[ex.unit](value))
    assert converted.correct, (CONVERTED[ex.unit](value), converted)

    for bad in ("twelve", [value], "5 furlongs"):
        result = check(exercise_id, bad)
        assert not result.correct
        assert "could not read your answer" in result.message

    blank = check(exercise_id, ...)
    assert not blank.correct and not blank.answered
    assert "no answer yet" in blank.message


@pytest.mark.parametrize("exercise_id", [i for i in NUMERIC if exercise(i).slips])
def test_common_slips_get_their_own_hint(exercise_id):
    ex = exercise(exercise_id)
    for value, slip_hint in ex.slips():
        result = check(exercise_id, value)
        assert not result.correct
        assert result.hint == slip_hint


def test_a_factor_of_1000_is_diagnosed_as_a_unit_slip():
    value = float(expected("ghg-1"))
    result = check("ghg-1", value / 1000)  # kt given as a bare number read in t
    assert not result.correct
    assert "units" in result.hint


def test_unknown_exercise_and_hints():
    result = check("ghg-99", 1.0)
    assert not result.correct and "unknown exercise" in result.message
    assert "ghg-1" in result.message
    assert "TJ" in hint("ghg-1")


# ---------------------------------------------------------------------------------------
# ghg-5: the table exercise
# ---------------------------------------------------------------------------------------
def _closed_town() -> pd.DataFrame:
    """The town's table with every gap closed by a key that fits the facts."""
    from m100model.exercises.mrv import TOWN_FACTS, inventory_of

    activity = data("ghg-5")["activity"]
    fits = {ref: keys[0] for refs, keys, _ in TOWN_FACTS for ref in refs}
    gaps = inventory_of(activity).gaps["gpc_ref"]
    rows = [
        dict(gpc_ref=ref, notation_key=fits.get(ref, "NO"), comment=f"Explained for {ref} here.")
        for ref in gaps
    ]
    return pd.concat([activity, pd.DataFrame(rows)], ignore_index=True)


def test_ghg5_accepts_a_complete_table_as_a_dataframe_or_rows():
    table = _closed_town()
    assert check("ghg-5", table).correct
    rows = table.drop(columns=["city", "year"]).to_dict("records")
    assert check("ghg-5", rows).correct  # the same answer, in another form


def test_ghg5_wrong_answers():
    activity = data("ghg-5")["activity"]
    open_gaps = check("ghg-5", activity)
    assert not open_gaps.correct and "neither a figure nor a notation key" in open_gaps.message

    table = _closed_town()
    wrong_key = table.copy()
    wrong_key.loc[wrong_key["gpc_ref"] == "II.4.1", "notation_key"] = "NE"
    result = check("ghg-5", wrong_key)
    assert not result.correct and "II.4.1" in result.message and "airport" in result.message

    no_comment = table.copy()
    no_comment.loc[no_comment["gpc_ref"] == "I.6.1", "comment"] = None
    assert "needs an explanation" in check("ghg-5", no_comment).message
    too_short = table.copy()
    too_short.loc[too_short["gpc_ref"] == "I.6.1", "comment"] = "none"
    assert "no real explanation" in check("ghg-5", too_short).message

    lost = table[table["fuel"] != "diesel"]
    assert "lost data rows" in check("ghg-5", lost).message


def test_ghg5_malformed_answers():
    assert "could not read your answer" in check("ghg-5", "all keys NO").message
    bad = _closed_town()
    bad.loc[len(bad)] = {"gpc_ref": "IX.9.9", "notation_key": "NO", "comment": "Made up here."}
    result = check("ghg-5", bad)
    assert not result.correct and "cannot read" in result.message and "gpc_ref" in result.message


# ---------------------------------------------------------------------------------------
# Open exercises: portfolios fixed in the model and scored against the optimum
# ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("exercise_id", OPEN_PORTFOLIO)
def test_open_portfolio_checker(exercise_id):
    best = expected(exercise_id)
    assert best["feasible"]
    req = data(exercise_id)["requirements"]
    assert best["investment_meur"] <= req["budget_meur"] * 1.001

    right = check(exercise_id, best["units"])
    assert right.correct, right
    assert right.figures["extra_meur"] == pytest.approx(0, abs=0.05)
    assert "least-cost" in right.message

    # The same portfolio as shares of the city maximum, and as a table.
    cand = data(exercise_id)["candidates"].set_index("archetype")
    shares = {
        a: f"{100 * float(u / cand.at[a, 'city_maximum'])!r}%" for a, u in best["units"].items()
    }
    assert check(exercise_id, shares).correct
    table = pd.DataFrame({"archetype": list(best["units"]), "units": list(best["units"].values())})
    assert check(exercise_id, table).correct

    empty = check(exercise_id, {})
    assert not empty.correct and "misses the target path" in empty.message

    for bad, fragment in (
        ("everything", "could not read your portfolio"),
        ({"no_such_measure": 3}, "not a candidate"),
        ({cand.index[0]: -1}, "at least 0"),
        ({cand.index[0]: cand["city_maximum"].iloc[0] * 2}, "more than the city's maximum"),
        ({cand.index[0]: "lots"}, "could not read"),
    ):
        result = check(exercise_id, bad)
        assert not result.correct and fragment in result.message, (bad, result)
    assert not check(exercise_id, ...).answered


def test_a_costlier_portfolio_is_accepted_and_scored():
    best = expected("mob-3")
    # Leave out the measure that pays for itself most and build more of another.
    cand = data("mob-3")["candidates"].set_index("archetype")
    units = {a: u * 0.9 for a, u in best["units"].items()}
    result = check("mob-3", units)
    assert result.correct, result
    assert result.figures["extra_meur"] > 0.05
    assert result.details is not None and not result.details.empty
    assert {"archetype", "yours", "least_cost", "difference"} <= set(result.details.columns)
    assert "differs most" in result.message
    assert set(result.details["archetype"]) <= set(cand.index)


def test_why_a_portfolio_fails():
    over = check("mob-3", {"mob_ebus": 100, "mob_ev_van": "50%", "mob_parking_lez": "100%"})
    assert not over.correct and "more than the budget" in over.message
    assert over.figures["investment_meur"] > 25

    pace = check("mob-3", {"mob_tram": 25})
    assert not pace.correct and "can be in service by 2030" in pace.message

    prerequisite = check("bld-3", {"bld_reno_gas": 100, "bld_heat_pump": "20%"})
    assert not prerequisite.correct and "gov_one_stop_shop" in prerequisite.message


def test_nbs3_design():
    best = expected("nbs-3")
    assert check("nbs-3", best["units"]).correct
    costly = {**best["units"], "nbs_trees": 1_000}
    result = check("nbs-3", costly)
    assert result.correct and "more" in result.message and result.details is not None
    short = check("nbs-3", {"nbs_forest": 10})
    assert not short.correct and "1,000 t" in short.message
    assert "could not read your design" in check("nbs-3", 42).message


def _scramble(value):
    """Change an input in place where it can be changed, as a careless notebook might."""
    if isinstance(value, dict):
        for k, v in list(value.items()):
            value[k] = _scramble(v)
        return value
    if isinstance(value, pd.DataFrame):
        for col in value.select_dtypes("number").columns:
            value[col] = value[col] * 2 + 1
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value * 2 + 1
    return value


@pytest.mark.parametrize("exercise_id", [ex.id for ex in all_exercises()])
def test_changing_the_inputs_never_changes_the_answer(exercise_id):
    before = expected(exercise_id)
    _scramble(data(exercise_id))
    after = expected(exercise_id)
    if isinstance(before, dict) and "units" in before:
        assert after["units"] == pytest.approx(before["units"])
    elif isinstance(before, float | int):
        assert after == pytest.approx(before)
    else:
        assert after == before


def test_every_check_is_quick_once_the_model_is_built():
    import time

    for exercise_id in [*NUMERIC, *OPEN_PORTFOLIO, "nbs-3", "ghg-5"]:
        check(exercise_id, ...)  # builds and caches what the check needs
        answer = expected(exercise_id)
        answer = answer["units"] if isinstance(answer, dict) and "units" in answer else 1.0
        t0 = time.perf_counter()
        check(exercise_id, answer)
        assert time.perf_counter() - t0 < 2.0, exercise_id


# ---------------------------------------------------------------------------------------
# The registry and the notebooks
# ---------------------------------------------------------------------------------------
def test_every_module_has_its_exercises_from_guided_to_open():
    table = exercises()
    counts = table.groupby("module").size()
    assert counts["mrv"] >= 5
    for module in MODULES:
        assert counts[module] >= 3, module
        levels = table.loc[table["module"] == module, "level"].tolist()
        assert levels[0] == "guided" and levels[-1] == "open", (module, levels)
    for ex in all_exercises():
        assert ex.objective and ex.data and ex.question and ex.hint
        assert 5 <= ex.minutes <= 90
        assert (ROOT / "book" / f"{ex.book}.md").exists(), ex.book


def _notebooks(folder: str) -> list[Path]:
    if folder == "solutions":
        return sorted((EXERCISES / "solutions").glob("*.ipynb"))
    return sorted(p for m in MODULES for p in (EXERCISES / m).glob("*.ipynb"))


def test_every_exercise_has_a_notebook_and_a_worked_solution():
    ids = {ex.id for ex in all_exercises()}
    exercise_ids = {p.name.split("_")[0] for p in _notebooks("exercises")}
    solution_ids = {p.name.split("_")[0] for p in _notebooks("solutions")}
    assert exercise_ids == ids
    assert solution_ids == ids


def _generator():
    spec = importlib.util.spec_from_file_location("make_notebooks", EXERCISES / "make_notebooks.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_notebooks_are_in_step_with_their_source(tmp_path):
    gen = _generator()
    pairs = []
    for ex in all_exercises():
        name = gen.notebook_name(ex)
        solution = name.replace(".", "_solution.")
        for made, stored, fresh in (
            (gen.exercise_notebook(ex), EXERCISES / ex.module / name, tmp_path / name),
            (gen.solution_notebook(ex), EXERCISES / "solutions" / solution, tmp_path / solution),
        ):
            nbformat.write(made, fresh)
            pairs.append((stored, fresh))
    gen.ruff_format([str(tmp_path)])  # as the generator leaves them
    for stored, fresh in pairs:
        old = [c.source for c in nbformat.read(stored, as_version=4).cells]
        new = [c.source for c in nbformat.read(fresh, as_version=4).cells]
        assert old == new, f"{stored.name} is out of date: run `make exercise-notebooks`"
    page = (ROOT / "book" / "exercises.md").read_text(encoding="utf-8")
    assert page == gen.book_page(), "book/exercises.md is out of date: run the generator"


def test_solution_notebooks_are_stored_with_outputs():
    for path in _notebooks("solutions"):
        nb = nbformat.read(path, as_version=4)
        last = [c for c in nb.cells if c.cell_type == "code"][-1]
        assert "nbval-check-output" in last.metadata.get("tags", [])
        assert "correct" in "".join(o.get("text", "") for o in last.outputs), path.name


@pytest.mark.parametrize("path", _notebooks("exercises"), ids=lambda p: p.name.split("_")[0])
def test_exercise_notebooks_run_with_their_blanks(path):
    """Each exercise notebook runs top to bottom with its blanks (``...``) left in, and its
    check cell says "not yet: no answer yet" instead of failing."""
    nb = nbformat.read(path, as_version=4)
    namespace: dict = {"__name__": "__main__"}
    result = None
    with contextlib.redirect_stdout(io.StringIO()):
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            code = cell.source
            body, _, last = code.rpartition("\n")
            if last.startswith("check("):  # the check cell: keep what it returns
                exec(compile(body, str(path), "exec"), namespace)
                result = eval(compile(last, str(path), "eval"), namespace)
            else:
                exec(compile(code, str(path), "exec"), namespace)
    assert namespace["answer"] is Ellipsis
    assert result is not None and not result.correct and not result.answered
    assert "no answer yet" in result.message


@pytest.mark.parametrize("exercise_id", OPEN_PORTFOLIO)
def test_portfolio_question_states_the_checked_target(exercise_id):
    """The question a learner reads names the reduction, year and budget the checker uses;
    and the target is not met by the baseline alone (an empty portfolio misses it)."""
    from m100model.exercises import exercise
    from m100model.exercises.open_ended import SPECS

    spec = SPECS[exercise_id]
    question = exercise(exercise_id).question
    assert f"{spec.reduction:.0%} below 2021 by {spec.target_year}" in question
    assert f"EUR {spec.budget_meur:g} m" in question
    if spec.reduction > 0:
        empty = check(exercise_id, {})
        assert not empty.correct


# ---------------------------------------------------------------------------------------
# Answers nobody here wrote: bounded, linear, one clear message (Issue 12)
# ---------------------------------------------------------------------------------------
_PADDED = r"""
import json, sys
from m100model.exercises import check
from m100model.exercises.answers import AnswerError, read_quantity

ws = " \t\n" * 13_000  # about 40 kB of white space
cases = {
    "between": "12" + " " * 40_000 + "t",
    "before": " " * 40_000 + "12 t",
    "inside_unit": "12 t" + ws + "per year",
    "no_break": "12" + "\u00a0" * 40_000 + "kt",
    "unit_then_junk": "12 t" + " " * 40_000 + "x",
    "comma_then_unit": "12 ," + " " * 40_000 + "t",
    "digits": "1" * 300,
    "letters": "12 " + "x" * 40_000,
    "huge": "12" + " " * 200_000 + "t",
}
out = {}
for name, answer in cases.items():
    try:
        out[name] = read_quantity(answer, "t")
    except AnswerError as exc:
        out[name] = "error: " + str(exc)
out["check"] = check("ghg-1", "12 t" + ws + "per year").text()
out["check_long"] = check("ghg-1", "12 " + "t" * 1_000).text()
json.dump(out, sys.stdout)
"""


def _limited():
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (2 * 2**30, 2 * 2**30))


def test_answers_padded_with_white_space_are_read_in_linear_time():
    """An answer padded with 40 kB of white space (before the number, between number and
    unit, inside the unit) is read as if written normally; one that is still long once the
    white space is collapsed is refused with a message saying so. The checker ran in
    quadratic time on such answers (minutes): the subprocess's timeout is the guard."""
    import json
    import subprocess
    import sys

    run = subprocess.run(
        [sys.executable, "-c", _PADDED],
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=_limited,
        cwd=ROOT,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    out = json.loads(run.stdout)
    assert out["between"] == pytest.approx(12)
    assert out["before"] == pytest.approx(12)
    assert out["inside_unit"] == pytest.approx(12)
    assert out["no_break"] == pytest.approx(12_000)
    assert out["unit_then_junk"].startswith("error: could not read the unit 't x'")
    assert out["comma_then_unit"].startswith("error: could not read the unit")
    for name in ("digits", "letters", "huge"):
        assert "characters long" in out[name] and "12.5 t" in out[name], out[name]
    for name, text in out.items():
        if isinstance(text, str) and name != "check" and name != "check_long":
            assert "\n" not in text and len(text) < 400, (name, text[:500])
    assert "is not it yet" in out["check"]
    assert "could not read your answer" in out["check_long"]
    assert "characters long" in out["check_long"]
    assert len(out["check_long"]) < 600


@pytest.mark.parametrize(
    ("answer", "fragment"),
    [
        (10**400, "too large"),
        ("1e999 t", "finite"),
        ("1e999", "finite"),
        ("12 degC", "cannot be used for an amount"),
        ("12 dB", "cannot be used for an amount"),
        (ureg.Quantity(10**400, "t"), "too large"),
        ("12 t\n\nimport os", "could not read the unit"),
    ],
    ids=["huge-int", "1e999-t", "1e999", "degC", "dB", "huge-quantity", "two-lines"],
)
def test_answers_that_no_unit_can_fit_give_an_answer_error(answer, fragment):
    """Numbers too large for a float, temperatures and logarithmic units raised pint's or
    Python's own errors (OverflowError, OffsetUnitCalculusError) instead of a message."""
    with pytest.raises(AnswerError, match=fragment) as info:
        read_quantity(answer, "t")
    assert "\n" not in str(info.value)


def test_messages_quote_a_learners_text_briefly():
    result = check("ghg-1", "twelve" + "\n" * 50 + "x" * 150)
    assert not result.correct and "could not read" in result.message
    assert "\n" not in result.message and len(result.message) < 300
    unknown = check("ghg-" + "9" * 10_000, 1.0)
    assert "unknown exercise" in unknown.message and len(unknown.message) < 600
    assert len(unknown.exercise) <= 30


def test_table_answers_are_bounded():
    """ghg-5 takes a table: one too long, too wide, with a huge or nested cell, is refused
    with a message for the learner before the kit builds an inventory from it."""
    table = _closed_town()
    rows = table.drop(columns=["city", "year"]).to_dict("records")
    many = check("ghg-5", rows * 500)
    assert not many.correct and "rows" in many.message and "at most 500" in many.message
    wide = table.copy()
    for i in range(40):
        wide[f"extra_{i}"] = 1
    assert "columns" in check("ghg-5", wide).message
    long_comment = table.copy()
    long_comment.loc[long_comment.index[-1], "comment"] = "Because " * 100_000
    result = check("ghg-5", long_comment)
    assert not result.correct and "characters" in result.message, result
    assert len(result.message) < 400
    nested = table.copy().astype(object)
    nested.at[nested.index[-1], "comment"] = ["a", "list"]
    assert "expected a number or a text" in check("ghg-5", nested).message
    assert "row 3 of your list is a str" in check("ghg-5", [{}, {}, "x"]).message


def test_portfolio_answers_are_bounded_and_read_in_linear_time():
    from m100model.exercises.open_ended import PortfolioInputError, read_portfolio

    cand = pd.DataFrame({"archetype": ["a", "b"], "city_maximum": [10.0, 20.0]})
    assert read_portfolio({"a": "50" + " " * 40_000 + "%", "b": "\t4\n"}, cand) == {
        "a": 5.0,
        "b": 4.0,
    }
    table = pd.DataFrame({"archetype": ["a", "b"], "share": [0.5, 1e-7]})
    assert read_portfolio(table, cand) == pytest.approx({"a": 5.0, "b": 2e-6})
    for answer, fragment in (
        ({f"x{i}": 1 for i in range(1_000)}, "1,000 entries"),
        ({"a": "1" * 100}, "characters is not a number"),
        ({"a": "12" + "x" * 40_000}, "characters is not a number"),
        ({"a": 10**400}, "finite"),
        ({"a": float("inf")}, "finite"),
        ({"z" * 100_000: 1}, "is not a candidate"),
        ({("a",): 1}, "is not a candidate"),
        (pd.DataFrame({"archetype": ["a"], "share": ["half"]}), "expected a share"),
        (pd.DataFrame({"archetype": ["a"], "share": [[1]]}), "expected a share"),
    ):
        with pytest.raises(PortfolioInputError, match=fragment) as info:
            read_portfolio(answer, cand)
        assert "\n" not in str(info.value) and len(str(info.value)) < 300
