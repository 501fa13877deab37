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
    assert p04["right_before"] == 0 and p04["right_after"] == 5 and p04["asked"] == 7
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
