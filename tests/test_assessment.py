"""The self-assessments and the trainer's summary of a folder of submissions."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

from m100model.assessment import (
    PHASES,
    collect,
    load_assessment,
    load_assessments,
    read_submission,
    save_submission,
)
from m100model.cli import app
from m100model.errors import InputError
from m100model.exercises import MODULES

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "exercises" / "assessment" / "example_cohort"
runner = CliRunner()


def test_every_module_has_a_self_assessment_with_answers():
    quizzes = load_assessments()
    assert list(quizzes) == list(MODULES)
    for module, quiz in quizzes.items():
        assert quiz.module == module
        assert len(quiz.statements) >= 4 and len(quiz.questions) >= 5
        kinds = {q.type for q in quiz.questions}
        assert kinds == {"choice", "numeric"}, module
        for q in quiz.questions:
            assert q.grade(q.answer) is True, (module, q.id)
            assert q.explanation
        assert "Answer:" in quiz.form(answers=True) and "Answer:" not in quiz.form()


def test_grading_reads_units_and_letters():
    quiz = load_assessment("mrv")
    numeric = quiz.question("q3")  # 1,010 t
    assert numeric.grade("1.01 kt") is True
    assert numeric.grade("1010 t CO2") is True
    assert numeric.grade("101 t") is False
    assert numeric.grade("a lot") is False  # malformed: not right, no crash
    assert numeric.grade(None) is None
    choice = quiz.question("q1")
    assert choice.grade("B") is True and choice.grade("(b)") is True
    assert choice.grade("c") is False


def test_example_cohort_summary():
    cohort = collect(EXAMPLE)
    assert cohort.warnings == []
    part = cohort.by_participant()
    assert set(part["participant"]) == {"P01", "P02", "P03", "P04"}
    p04 = part[(part["participant"] == "P04") & (part["module"] == "mrv")].iloc[0]
    assert p04["right_before"] == 0 and p04["right_after"] == 11 and p04["asked"] == 16
    assert p04["confidence_gain"] > 0
    ques = cohort.by_question()
    assert set(ques["module"]) == {"mrv", "mobility"}
    q7 = ques[(ques["module"] == "mrv") & (ques["question"] == "q7")].iloc[0]
    assert q7["review"] and q7["right_after"] == pytest.approx(0.25)
    assert ques.loc[ques["question"] != "q7", "review"].eq(False).all()
    stat = cohort.by_statement()
    assert (stat["mean_after"] >= stat["mean_before"]).all()
    summary = cohort.summary()
    assert summary["participants"] == 4
    json.dumps(summary)  # plain types only


def test_only_one_module():
    cohort = collect(EXAMPLE, modules=["mobility"])
    assert set(cohort.by_participant()["module"]) == {"mobility"}
    assert cohort.warnings == []
    with pytest.raises(InputError, match="unknown module"):
        collect(EXAMPLE, modules=["cooking"])


def test_bad_files_are_skipped_with_a_warning(tmp_path):
    (tmp_path / "P10.json").write_text("{not json", encoding="utf-8")
    (tmp_path / "P11.json").write_text(
        json.dumps(
            {
                "participant": "P11",
                "records": [{"module": "mrv", "phase": "before", "confidence": {"s1": 7}}],
            }
        ),
        encoding="utf-8",
    )
    (tmp_path / "P12.json").write_text(
        json.dumps(
            {
                "participant": "Ana Pop",
                "records": [
                    {"module": "cooking", "phase": "after"},
                    {
                        "module": "mrv",
                        "phase": "after",
                        "answers": {"q1": "b", "q3": "lots", "q99": "x"},
                    },
                ],
            }
        ),
        encoding="utf-8",
    )
    # A file holding a single record, without the "records" list.
    (tmp_path / "P13.json").write_text(
        json.dumps({"participant": "P13", "module": "mrv", "phase": "before", "answers": {}}),
        encoding="utf-8",
    )
    cohort = collect(tmp_path)
    text = "\n".join(cohort.warnings)
    assert "P10.json" in text and "not valid JSON" in text
    assert "P11.json" in text and "1 to 5" in text
    assert "looks like a name" in text
    assert "unknown module 'cooking'" in text
    assert "no question 'q99'" in text
    part = cohort.by_participant()
    assert set(part["participant"]) == {"Ana Pop", "P13"}
    row = part[part["participant"] == "Ana Pop"].iloc[0]
    assert row["right_after"] == 1 and math.isnan(row["score_before"])


def test_save_submission_round_trip(tmp_path):
    path = save_submission(
        tmp_path,
        "P07",
        "energy",
        "before",
        answers={"q1": "a", "q3": "36 t"},
        confidence={"s1": 2},
        role="architect",
    )
    save_submission(tmp_path, "P07", "energy", "after", answers={"q1": "a"}, exercises=["en-1"])
    save_submission(tmp_path, "P07", "energy", "before", answers={"q1": "b"})  # replaces
    sub = read_submission(path)
    assert sub.role == "architect"
    assert [(r.module, r.phase) for r in sub.records] == [("energy", "after"), ("energy", "before")]
    assert sub.records[1].answers == {"q1": "b"}
    with pytest.raises(ValueError, match="never a name"):
        save_submission(tmp_path, "Ana Pop", "energy", "before")
    assert PHASES == ("before", "after")


def test_cli_assess(tmp_path):
    result = runner.invoke(app, ["assess", str(EXAMPLE)])
    assert result.exit_code == 0, result.output
    assert "4 participants" in result.stdout
    assert "Per question" in result.stdout and "review" in result.stdout

    result = runner.invoke(app, ["assess", str(EXAMPLE), "--format", "json"])
    assert result.exit_code == 0
    assert json.loads(result.stdout)["participants"] == 4

    out = tmp_path / "summary"
    result = runner.invoke(
        app, ["assess", str(EXAMPLE), "--module", "mrv", "--format", "csv", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "# by_question" in result.stdout
    for name in ("by_participant", "by_question", "by_statement"):
        assert (out / f"{name}.csv").exists()
    assert runner.invoke(app, ["assess", str(EXAMPLE), "--out", str(out)]).exit_code == 2

    bad = runner.invoke(app, ["assess", str(tmp_path / "missing")])
    assert bad.exit_code == 2 and "not a folder" in bad.stderr
    bad = runner.invoke(app, ["assess", str(EXAMPLE), "--module", "cooking"])
    assert bad.exit_code == 2 and "unknown module" in bad.stderr


# ---------------------------------------------------------------------------------------
# Files and answers nobody here wrote (Issue 12): one line, never a traceback or a hang
# ---------------------------------------------------------------------------------------
def _limited():
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (2 * 2**30, 2 * 2**30))


def _assess(*args, cwd=ROOT):
    """``m100 assess`` in a subprocess with a memory limit and a timeout (a regression fails
    rather than hangs)."""
    import subprocess
    import sys

    return subprocess.run(
        [sys.executable, "-m", "m100model.cli", "assess", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=_limited,
        cwd=cwd,
    )


def _write(folder: Path, participant: str, answers: dict, **record) -> Path:
    path = folder / f"{participant}.json"
    rec = {"module": "mrv", "phase": "after", "answers": answers, **record}
    path.write_text(json.dumps({"participant": participant, "records": [rec]}), "utf-8")
    return path


def test_long_answers_are_graded_in_linear_time(tmp_path):
    """Answers padded with white space (inside the unit, before a comma) took minutes to
    grade (the unit patterns were quadratic on long runs of white space); now the run is
    collapsed once and the answer read as written. The subprocess's timeout is the guard."""
    pad = " \t\n" * 14_000
    _write(
        tmp_path,
        "P01",
        {"q1": "b" + pad, "q3": "1.01 kt" + pad + "per year", "q5": "20 ," + pad + "kt"},
    )
    run = _assess(tmp_path, "--format", "json")
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stderr == ""
    summary = json.loads(run.stdout)
    right = {
        r["question"]: r["right_after"] for r in summary["by_question"] if r["module"] == "mrv"
    }
    assert right["q1"] == 1 and right["q3"] == 1 and right["q5"] == 0


@pytest.mark.parametrize(
    ("answer", "kind"),
    [
        (["1010", "t"], "a list"),
        ({"value": 1010, "unit": "t"}, "an object"),
        ({"a": [{"b": [1, 2]}]}, "an object"),
        (True, "true"),
        (False, "false"),
    ],
    ids=["list", "object", "nested", "true", "false"],
)
def test_an_answer_off_the_schema_skips_its_file_with_one_line(tmp_path, answer, kind):
    """An answer that is not a text, a number or null does not follow the schema: that file
    is skipped with one warning naming it and the question (the rest of the cohort is
    summarised); read_submission and collect(strict=True) refuse it with an InputError."""
    bad = _write(tmp_path, "P07", {"q1": "b", "q3": answer})
    _write(tmp_path, "P08", {"q1": "b", "q3": "1010 t"})
    cohort = collect(tmp_path)
    assert len(cohort.warnings) == 1
    (warning,) = cohort.warnings
    assert "P07.json" in warning and "answers.q3" in warning and kind in warning
    assert "expected the answer as a text" in warning and "\n" not in warning
    assert set(cohort.by_participant()["participant"]) == {"P08"}
    json.dumps(cohort.summary())
    assert len(cohort.by_question()) == len(load_assessment("mrv").questions)
    with pytest.raises(InputError, match=r"answers\.q3.*expected the answer") as info:
        read_submission(bad)
    assert info.value.field == "records.0.answers.q3"
    with pytest.raises(InputError, match=r"P07\.json"):
        collect(tmp_path, strict=True)


@pytest.mark.parametrize(
    "answer",
    [10**400, 1e308, float("nan"), "1e999 t", "12 degC", "x" * 100_000, "b" * 5, None, -0.0],
    ids=["huge-int", "1e308", "nan", "1e999", "degC", "100k-chars", "b-repeated", "null", "-0"],
)
def test_an_answer_on_the_schema_that_cannot_be_graded_counts_as_wrong(tmp_path, answer):
    """A number too large for a float (10**400 crashed the whole summary with an
    OverflowError), a temperature unit (pint's OffsetUnitCalculusError), a huge text: the
    answer is wrong (blank for null), and nothing else changes."""
    path = tmp_path / "P07.json"
    text = json.dumps(
        {
            "participant": "P07",
            "records": [
                {"module": "mrv", "phase": "after", "answers": {"q1": answer, "q3": answer}}
            ],
        }
    )
    path.write_text(text, "utf-8")
    cohort = collect(tmp_path)
    assert cohort.warnings == []
    rows = cohort.answers.set_index("question")
    expected = None if answer is None else False
    assert rows.at["q1", "correct"] is expected and rows.at["q3", "correct"] is expected
    part = cohort.by_participant()
    assert part.iloc[0]["right_after"] == 0
    json.dumps(cohort.summary())
    cohort.by_question()
    cohort.by_statement()


def test_other_fields_off_the_schema_are_refused(tmp_path):
    for record, field in (
        ({"confidence": {"s1": True}}, "records.0.confidence.s1"),
        ({"confidence": {"s1": [3]}}, "records.0.confidence.s1"),
        ({"hours": 1e999}, "records.0.hours"),
        ({"module": "m" * 1_000}, "records.0.module"),
    ):
        _write(tmp_path, "P07", {}, **record)
        with pytest.raises(InputError) as info:
            read_submission(tmp_path / "P07.json")
        assert info.value.field == field, (record, info.value)
        assert "\n" not in str(info.value) and len(str(info.value)) < 400


def test_warnings_are_one_line_each_and_bounded(tmp_path):
    """Question ids, participant codes and file names come from users: a warning shows them
    on one line, shortened; one file gives at most a few warnings however many problems it
    has."""
    records = [
        {"module": "mrv", "phase": "after", "answers": {f"q{i}\nx": "b" for i in range(5_000)}},
        *({"module": f"cooking{i}", "phase": "after"} for i in range(1_000)),
        *({"module": "mrv", "phase": "before", "answers": {"q99": 1}} for _ in range(1_000)),
    ]
    (tmp_path / "P\n07.json").write_text(
        json.dumps({"participant": "Ana\nPop", "records": records}), "utf-8"
    )
    cohort = collect(tmp_path)
    assert 3 <= len(cohort.warnings) <= 6, cohort.warnings
    for w in cohort.warnings:
        assert "\n" not in w and len(w) < 600, w
    text = "\n".join(cohort.warnings)
    assert "looks like a name" in text and "cooking0" in text and "997 more" in text
    assert "4,997 more" in text  # the unknown questions, three of them named
    assert "appears 1000 times; the last one is used" in text
    part = cohort.by_participant()
    assert len(part) == 1 and part.iloc[0]["right_before"] == 0


def test_submission_and_assessment_files_go_through_the_bounded_readers(tmp_path):
    import os

    (tmp_path / "x.json").mkdir()
    with pytest.raises(InputError, match="is a folder; expected a file"):
        read_submission(tmp_path / "x.json")
    (tmp_path / "loop.json").symlink_to(tmp_path / "loop.json")
    with pytest.raises(InputError, match="symbolic link that leads round in a loop"):
        read_submission(tmp_path / "loop.json")
    (tmp_path / "latin1.json").write_bytes('{"participant": "Ioana Ș"}'.encode("utf-16"))
    with pytest.raises(InputError, match="not UTF-8"):
        read_submission(tmp_path / "latin1.json")
    (tmp_path / "deep.json").write_text("[" * 5_000 + "]" * 5_000, "utf-8")
    with pytest.raises(InputError, match="nested more than 32 levels"):
        read_submission(tmp_path / "deep.json")
    (tmp_path / "big.json").write_text(json.dumps({"participant": "P1", "x": "a" * 3 * 2**20}))
    with pytest.raises(InputError, match="the kit reads files up to"):
        read_submission(tmp_path / "big.json")
    (tmp_path / "digits.json").write_text('{"participant": "P1", "answers": %s}' % ("9" * 5_000))
    with pytest.raises(InputError, match="not valid JSON"):
        read_submission(tmp_path / "digits.json")
    os.mkfifo(tmp_path / "fifo.json")
    with pytest.raises(InputError, match="not a regular file"):
        read_submission(tmp_path / "fifo.json")

    quizzes = tmp_path / "quizzes"
    quizzes.mkdir()
    (quizzes / "mrv.yaml").symlink_to(quizzes / "mrv.yaml")
    with pytest.raises(InputError, match="symbolic link that leads round in a loop"):
        load_assessment("mrv", quizzes)
    source = (ROOT / "exercises" / "assessment" / "mobility.yaml").read_text("utf-8")
    (quizzes / "mobility.yaml").write_text(source + "module: again\n", "utf-8")
    with pytest.raises(InputError, match="repeats the key 'module'"):
        load_assessment("mobility", quizzes)
    (quizzes / "energy.yaml").write_text(
        (ROOT / "exercises" / "assessment" / "energy.yaml")
        .read_text("utf-8")
        .replace("unit: t", "unit: t)(", 1),
        "utf-8",
    )
    with pytest.raises(InputError, match="unit 't\\)\\('") as info:
        load_assessment("energy", quizzes)
    assert info.value.field and info.value.field.startswith("questions.")
    with pytest.raises(InputError, match="no self-assessment for module"):
        load_assessment("../mrv", quizzes)


def test_cli_assess_skips_entries_that_are_not_submissions(tmp_path):
    """A pipe named a.json made `m100 assess` wait for ever; folders, loops, dangling links,
    non-UTF-8, deep or huge files named *.json are skipped with one line each naming the
    entry, and everyone else is summarised."""
    import os
    import shutil

    folder = tmp_path / "cohort"
    shutil.copytree(EXAMPLE, folder)
    (folder / "x.json").mkdir()
    os.mkfifo(folder / "a.json")
    (folder / "b.json").symlink_to(folder / "b.json")
    (folder / "c.json").symlink_to(folder / "nowhere")
    (folder / "d.json").write_bytes(b"\xff\xfe{}")
    (folder / "e.json").write_text("[" * 100 + "]" * 100, "utf-8")
    (folder / "f.json").write_text('"' + " " * 3 * 2**20 + '"', "utf-8")
    _write(folder, "P09", {"q3": ["1010", "t"]})
    out = tmp_path / "summary"
    run = _assess(folder, "--format", "json", "--out", out)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "Traceback" not in run.stderr
    lines = run.stderr.splitlines()
    expected = {
        "a.json": "not a regular file",
        "b.json": "loop",
        "c.json": "a file that does not exist",
        "d.json": "not UTF-8",
        "e.json": "nested more than 32",
        "f.json": "the kit reads files up to",
        "x.json": "is a folder",
        "P09.json": "answers.q3",
    }
    assert len(lines) == len(expected), lines
    for name, what in expected.items():
        (line,) = [ln for ln in lines if f"/{name}" in ln]
        assert line.startswith("warning: skipped") and what in line, line
    assert json.loads(run.stdout)["participants"] == 4
    assert (out / "by_question.csv").exists()


@pytest.mark.parametrize("kind", ["loop", "file", "missing"])
def test_cli_assess_refuses_a_folder_it_cannot_read(tmp_path, kind):
    """One line naming the path and what was expected, exit status 2, nothing written."""
    target = tmp_path / f"cohort-{kind}"
    if kind == "loop":
        target.symlink_to(target)
        what = "symbolic link that leads round in a loop"
    elif kind == "file":
        target.write_text("{}", "utf-8")
        what = "is a file, not a folder of submissions"
    else:
        what = "not a folder of submissions (it does not exist)"
    out = tmp_path / "summary"
    run = _assess(target, "--out", out)
    assert run.returncode == 2, (run.returncode, run.stderr)
    assert "Traceback" not in run.stderr
    lines = run.stderr.splitlines()
    assert len(lines) == 1, lines
    assert target.name in lines[0] and what in lines[0], lines[0]
    assert not out.exists()
    assert run.stdout == ""


def test_cli_assess_with_an_answer_off_the_schema(tmp_path):
    """The CLI form of test_an_answer_off_the_schema_skips_its_file_with_one_line: exactly
    one line on stderr naming the file and the question, the others summarised."""
    _write(tmp_path, "P07", {"q3": {"value": [1010]}})
    _write(tmp_path, "P08", {"q3": 10**400, "q5": "600" + " " * 50_000 + "kt"})
    out = tmp_path / "summary"
    run = _assess(tmp_path, "--format", "json", "--out", out)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "Traceback" not in run.stderr
    (line,) = run.stderr.splitlines()
    assert "P07.json" in line and "records.0.answers.q3" in line and "got an object" in line
    summary = json.loads(run.stdout)
    assert summary["participants"] == 1
    right = {
        r["question"]: r["right_after"] for r in summary["by_question"] if r["module"] == "mrv"
    }
    assert right["q3"] == 0 and right["q5"] == 1


def test_cli_assess_shows_user_text_that_looks_like_markup(tmp_path):
    """A question id such as '[/]' is shown as written (rich's markup in a warning made
    the CLI fail with a MarkupError); the escaping is cli.py's."""
    _write(tmp_path, "P07", {"[/]": "b", "[bold]q": "c"})
    run = _assess(tmp_path, "--format", "json")
    assert run.returncode == 0 and "Traceback" not in run.stderr, run.stderr[-2000:]
    assert "'[/]'" in run.stderr


_LARGE_COHORT = r"""
import pandas as pd
from m100model.assessment import PHASES, Cohort, load_assessments

quizzes = {m: q for m, q in load_assessments().items() if m in ("mrv", "mobility")}
records, answers, ratings = [], [], []
for i in range(2_000):
    for m, quiz in quizzes.items():
        for ph in PHASES:
            base = dict(participant=f"P{i:04d}", module=m, phase=ph)
            records.append(dict(base, role=None, organisation=None, date=None, hours=2.0,
                                exercises=[]))
            answers += [dict(base, question=q.id, answer="x", correct=ph == "after")
                        for q in quiz.questions]
            ratings += [dict(base, statement=s.id, rating=2 + (ph == "after"))
                        for s in quiz.statements]
cohort = Cohort(pd.DataFrame(answers), pd.DataFrame(ratings), pd.DataFrame(records), quizzes)
part = cohort.by_participant()
assert len(part) == 4_000, len(part)
assert (part["score_after"] == 1).all() and (part["score_before"] == 0).all()
assert (part["confidence_gain"] == 1).all()
ques = cohort.by_question()
assert (ques["right_after"] == 1).all() and (ques["n_after"] == 2_000).all()
stat = cohort.by_statement()
assert (stat["mean_after"] == 3).all() and (stat["n_before"] == 2_000).all()
print("ok")
"""


def test_the_summary_of_a_large_cohort_takes_linear_time():
    """by_participant filtered the whole answers table once per participant and module
    (quadratic: 50 s for a thousand participants); the subprocess's timeout is the guard."""
    import subprocess
    import sys

    run = subprocess.run(
        [sys.executable, "-c", _LARGE_COHORT],
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=_limited,
        cwd=ROOT,
    )
    assert run.returncode == 0 and run.stdout.strip() == "ok", run.stderr[-2000:]
