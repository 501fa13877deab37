"""Self-assessment before and after each module, and the trainer's summary of a cohort.

Each module has a short self-assessment in ``exercises/assessment/<module>.yaml``: statements
(the module's learning objectives in the first person, rated from 1 "I could not do this" to
5 "I could teach this") and multiple-choice and numeric questions with their answers and
explanations. A participant takes the same self-assessment at the start (``before``) and at
the end (``after``) of a module, as the course's evaluation framework asks
(``book/evaluation.md``, level 2: learning).

Submissions are JSON files, one per participant, named by a participant code, never a name::

    {
        "participant": "P07",
        "role": "architect",
        "organisation": "Suceava city hall",
        "records": [
            {
                "module": "mrv",
                "phase": "before",
                "date": "2026-03-12",
                "confidence": {"s1": 2, "s2": 3},
                "answers": {"q1": "b", "q3": "1010 t"},
            },
            {
                "module": "mrv",
                "phase": "after",
                "date": "2026-03-13",
                "hours": 9.5,
                "confidence": {"s1": 4, "s2": 4},
                "answers": {"q1": "b", "q3": "1.01 kt"},
                "exercises": ["ghg-1", "ghg-2"],
            },
        ],
    }

:func:`save_submission` writes (or extends) such a file; :func:`collect` reads a folder of
them into tables per participant, per question and per statement (``m100 assess FOLDER``).
A file that cannot be read is skipped with a warning naming it, never a crash.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from m100model.errors import InputError
from m100model.tables import display_path

PHASES = ("before", "after")
REVIEW_BELOW = 0.5  # a question most participants miss after the module becomes an issue
LOW_GAIN = 0.5  # a statement whose confidence rises by less points to a unit to rewrite


def assessment_dir() -> Path:
    """The folder of the self-assessments (``$M100_ASSESSMENT`` overrides it)."""
    env = os.environ.get("M100_ASSESSMENT")
    return Path(env) if env else Path(__file__).resolve().parents[1] / "exercises" / "assessment"


# ---------------------------------------------------------------------------------------
# The self-assessments
# ---------------------------------------------------------------------------------------
class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Statement(_Strict):
    id: str = Field(min_length=1)
    text: str = Field(min_length=1)
    unit: str | None = None


class Question(_Strict):
    id: str = Field(min_length=1)
    type: Literal["choice", "numeric"]
    text: str = Field(min_length=1)
    statement: str | None = None
    choices: dict[str, str] | None = None
    answer: str | float
    unit: str = ""
    tolerance: float = Field(default=0.01, ge=0)
    explanation: str = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> Question:
        if self.type == "choice":
            if not self.choices:
                raise ValueError(f"question {self.id}: a choice question needs choices")
            if str(self.answer) not in self.choices:
                raise ValueError(f"question {self.id}: the answer must be one of the choices")
        elif isinstance(self.answer, str):
            raise ValueError(f"question {self.id}: a numeric question needs a number as answer")
        return self

    def grade(self, given: object) -> bool | None:
        """True or False for an answer, None when it was left blank."""
        from m100model.exercises.answers import AnswerError, is_missing, read_quantity

        if is_missing(given):
            return None
        if self.type == "choice":
            text = str(given).strip().lower().rstrip(").").lstrip("(")
            return text == str(self.answer).lower()
        try:
            value = read_quantity(given, self.unit)
        except AnswerError:
            return False
        expected = float(self.answer)
        return (
            abs(value - expected) <= self.tolerance * abs(expected)
            if expected
            else (abs(value) <= self.tolerance)
        )


class Assessment(_Strict):
    """One module's self-assessment."""

    module: str = Field(min_length=1)
    title: str = Field(min_length=1)
    book: str | None = None
    statements: list[Statement] = Field(min_length=1)
    questions: list[Question] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> Assessment:
        for what, ids in (
            ("statement", [s.id for s in self.statements]),
            ("question", [q.id for q in self.questions]),
        ):
            if len(set(ids)) != len(ids):
                raise ValueError(f"two {what}s share an id")
        known = {s.id for s in self.statements}
        for q in self.questions:
            if q.statement is not None and q.statement not in known:
                raise ValueError(f"question {q.id}: unknown statement '{q.statement}'")
        return self

    def question(self, qid: str) -> Question:
        return next(q for q in self.questions if q.id == qid)

    def form(self, *, answers: bool = False) -> str:
        """The self-assessment as text (with answers and explanations for the trainer)."""
        lines = [f"{self.title}: self-assessment", ""]
        lines.append("Rate each statement from 1 (I could not do this) to 5 (I could teach this):")
        lines += [f"  {s.id}. {s.text}" for s in self.statements]
        lines.append("")
        for q in self.questions:
            lines.append(f"{q.id}. {q.text}")
            if q.choices:
                lines += [f"    ({k}) {v}" for k, v in q.choices.items()]
            elif q.unit:
                lines.append(f"    (answer in {q.unit}, or any equivalent unit)")
            if answers:
                lines.append(f"    Answer: {q.answer}. {q.explanation}")
        return "\n".join(lines)


def load_assessment(module: str, folder: str | Path | None = None) -> Assessment:
    """A module's self-assessment (``mrv``, ``mobility``, ``buildings``, ``energy``,
    ``nature``, ``circular``, ``governance``)."""
    base = Path(folder) if folder else assessment_dir()
    path = base / f"{module}.yaml"
    shown = display_path(path)
    if not path.exists():
        known = ", ".join(sorted(p.stem for p in base.glob("*.yaml")))
        raise InputError(shown, f"no self-assessment for module '{module}' (known: {known})")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        return Assessment.model_validate(raw)
    except yaml.YAMLError as exc:
        raise InputError(shown, f"not valid YAML ({exc})") from None
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or None
        raise InputError(shown, err["msg"].removeprefix("Value error, "), field=where) from None


def load_assessments(folder: str | Path | None = None) -> dict[str, Assessment]:
    """Every module's self-assessment, in course order."""
    from m100model.exercises.registry import MODULES

    base = Path(folder) if folder else assessment_dir()
    found = {p.stem for p in base.glob("*.yaml")}
    order = [m for m in MODULES if m in found] + sorted(found - set(MODULES))
    return {m: load_assessment(m, base) for m in order}


# ---------------------------------------------------------------------------------------
# Submissions
# ---------------------------------------------------------------------------------------
class Record(_Strict):
    """One participant's self-assessment of one module, before or after it."""

    module: str = Field(min_length=1)
    phase: Literal["before", "after"]
    date: str | None = None
    hours: float | None = Field(default=None, ge=0)
    confidence: dict[str, int | None] = Field(default_factory=dict)
    answers: dict[str, object] = Field(default_factory=dict)
    exercises: list[str] = Field(default_factory=list)
    feedback: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _scale(self) -> Record:
        for sid, v in self.confidence.items():
            if v is not None and not 1 <= v <= 5:
                raise ValueError(f"confidence '{sid}': expected 1 to 5, got {v}")
        return self


class Submission(_Strict):
    """A participant's file: a code (no name), optional role and organisation, records."""

    participant: str = Field(min_length=1, max_length=40)
    role: str | None = None
    organisation: str | None = None
    records: list[Record] = Field(default_factory=list)


_CODE = re.compile(r"^[A-Za-z0-9_.-]+$")


def save_submission(
    folder: str | Path,
    participant: str,
    module: str,
    phase: str,
    *,
    answers: dict | None = None,
    confidence: dict | None = None,
    exercises: list[str] | None = None,
    hours: float | None = None,
    role: str | None = None,
    organisation: str | None = None,
    date: str | None = None,
) -> Path:
    """Add (or replace) a participant's record for a module and phase in
    ``folder/<participant>.json``; returns the file. The participant is a code such as
    ``P07``, never a name."""
    if not _CODE.match(participant):
        raise ValueError(
            f"participant '{participant}': use a code of letters, digits, '-', '_' or '.' "
            "(such as P07), never a name"
        )
    load_assessment(module)  # fails early on an unknown module
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{participant}.json"
    if path.exists():
        sub = Submission.model_validate(json.loads(path.read_text(encoding="utf-8")))
    else:
        sub = Submission(participant=participant)
    record = Record(
        module=module,
        phase=phase,  # type: ignore[arg-type]
        date=date or dt.date.today().isoformat(),
        hours=hours,
        confidence=dict(confidence or {}),
        answers={k: _plain(v) for k, v in (answers or {}).items()},
        exercises=list(exercises or []),
    )
    sub.records = [r for r in sub.records if (r.module, r.phase) != (module, phase)] + [record]
    sub.role = role or sub.role
    sub.organisation = organisation or sub.organisation
    path.write_text(json.dumps(sub.model_dump(), indent=2, ensure_ascii=False) + "\n", "utf-8")
    return path


def _plain(value: object) -> object:
    """An answer as JSON can hold it (a pint quantity becomes '2.03 kilometric_ton')."""
    if value is None or value is Ellipsis:
        return None
    if isinstance(value, str | int | float | bool):
        return value
    return str(value)


def read_submission(path: str | Path) -> Submission:
    """One participant's file (``InputError`` naming the file and the field if it is bad)."""
    path = Path(path)
    shown = display_path(path)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(shown, f"cannot be read ({exc})") from None
    except json.JSONDecodeError as exc:
        raise InputError(shown, f"not valid JSON ({exc.msg})", row=exc.lineno) from None
    if isinstance(raw, dict) and "records" not in raw and "module" in raw:
        meta = {k: raw.pop(k) for k in ("participant", "role", "organisation") if k in raw}
        raw = {**meta, "records": [raw]}  # a file holding a single record
    try:
        return Submission.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or None
        raise InputError(shown, err["msg"].removeprefix("Value error, "), field=where) from None


# ---------------------------------------------------------------------------------------
# The trainer's summary
# ---------------------------------------------------------------------------------------
@dataclass
class Cohort:
    """A folder of submissions, graded.

    ``answers``: one row per participant, module, phase and question (``correct`` is True,
    False or missing for a blank); ``ratings``: one row per participant, module, phase and
    statement; ``records``: one row per participant, module and phase; ``warnings``: files
    or records that were skipped, and why.
    """

    answers: pd.DataFrame
    ratings: pd.DataFrame
    records: pd.DataFrame
    assessments: dict[str, Assessment]
    warnings: list[str] = field(default_factory=list)

    # -- per participant -------------------------------------------------------------------
    def by_participant(self) -> pd.DataFrame:
        """One row per participant and module: quiz score before and after (answers right
        out of answers asked), mean confidence before and after, hours, exercises."""
        cols = [
            "participant",
            "role",
            "organisation",
            "module",
            "score_before",
            "score_after",
            "right_before",
            "right_after",
            "asked",
            "confidence_before",
            "confidence_after",
            "confidence_gain",
            "hours",
            "exercises",
        ]
        if self.records.empty:
            return pd.DataFrame(columns=cols)
        rows = []
        for (p, m), recs in self.records.groupby(["participant", "module"], sort=True):
            row = {
                "participant": p,
                "role": recs["role"].iloc[0],
                "organisation": recs["organisation"].iloc[0],
                "module": m,
                "asked": len(self.assessments[m].questions),
            }
            for phase in PHASES:
                ans = self.answers[
                    (self.answers["participant"] == p)
                    & (self.answers["module"] == m)
                    & (self.answers["phase"] == phase)
                ]
                has = phase in set(recs["phase"])
                right = int(ans["correct"].eq(True).sum()) if has else None
                row[f"right_{phase}"] = right
                row[f"score_{phase}"] = right / row["asked"] if has else math.nan
                rat = self.ratings[
                    (self.ratings["participant"] == p)
                    & (self.ratings["module"] == m)
                    & (self.ratings["phase"] == phase)
                ]["rating"].dropna()
                row[f"confidence_{phase}"] = float(rat.mean()) if len(rat) else math.nan
            row["confidence_gain"] = row["confidence_after"] - row["confidence_before"]
            hours = recs["hours"].dropna()
            row["hours"] = float(hours.max()) if len(hours) else math.nan
            done = sorted({e for lst in recs["exercises"] for e in lst})
            row["exercises"] = ", ".join(done)
            rows.append(row)
        order = list(self.assessments)
        rows.sort(key=lambda r: (r["participant"], order.index(r["module"])))
        return pd.DataFrame(rows, columns=cols)

    # -- per question ------------------------------------------------------------------------
    def by_question(self) -> pd.DataFrame:
        """One row per module and question: the share answering right before and after
        (blanks count as not right), and ``review`` when most miss it after the module."""
        rows = []
        for m, a in self.assessments.items():
            part = self.answers[self.answers["module"] == m]
            took = {
                ph: self.records[(self.records["module"] == m) & (self.records["phase"] == ph)][
                    "participant"
                ].nunique()
                for ph in PHASES
            }
            if not sum(took.values()):
                continue
            for q in a.questions:
                row = {"module": m, "question": q.id, "type": q.type, "text": q.text}
                for ph in PHASES:
                    sel = part[(part["question"] == q.id) & (part["phase"] == ph)]
                    right = int(sel["correct"].eq(True).sum())
                    row[f"n_{ph}"] = took[ph]
                    row[f"right_{ph}"] = right / took[ph] if took[ph] else math.nan
                row["gain"] = row["right_after"] - row["right_before"]
                row["review"] = bool(took["after"] and row["right_after"] < REVIEW_BELOW)
                rows.append(row)
        cols = [
            "module",
            "question",
            "type",
            "text",
            "n_before",
            "right_before",
            "n_after",
            "right_after",
            "gain",
            "review",
        ]
        return pd.DataFrame(rows, columns=cols)

    # -- per statement -----------------------------------------------------------------------
    def by_statement(self) -> pd.DataFrame:
        """One row per module and statement: mean confidence (1-5) before and after, the
        gain, and ``low_gain`` when it rose by less than half a point."""
        rows = []
        for m, a in self.assessments.items():
            part = self.ratings[self.ratings["module"] == m]
            if part.empty:
                continue
            for s in a.statements:
                row = {"module": m, "statement": s.id, "text": s.text}
                for ph in PHASES:
                    r = part[(part["statement"] == s.id) & (part["phase"] == ph)]["rating"]
                    r = r.dropna()
                    row[f"n_{ph}"] = len(r)
                    row[f"mean_{ph}"] = float(r.mean()) if len(r) else math.nan
                row["gain"] = row["mean_after"] - row["mean_before"]
                row["low_gain"] = bool(row["gain"] == row["gain"] and row["gain"] < LOW_GAIN)
                rows.append(row)
        cols = [
            "module",
            "statement",
            "text",
            "n_before",
            "mean_before",
            "n_after",
            "mean_after",
            "gain",
            "low_gain",
        ]
        return pd.DataFrame(rows, columns=cols)

    def summary(self) -> dict:
        """The three tables and the warnings as plain types (``m100 assess --format json``)."""

        def records(df: pd.DataFrame) -> list[dict]:
            out = []
            for row in df.to_dict("records"):
                out.append(
                    {
                        k: (None if isinstance(v, float) and math.isnan(v) else v)
                        for k, v in row.items()
                    }
                )
            return out

        return {
            "participants": int(self.records["participant"].nunique())
            if not self.records.empty
            else 0,
            "by_participant": records(self.by_participant()),
            "by_question": records(self.by_question()),
            "by_statement": records(self.by_statement()),
            "warnings": self.warnings,
        }


def _key(row: dict) -> tuple[str, str, str]:
    return row["participant"], row["module"], row["phase"]


def collect(
    folder: str | Path,
    *,
    modules: list[str] | None = None,
    assessments: dict[str, Assessment] | None = None,
) -> Cohort:
    """Read every ``*.json`` submission in ``folder`` (one per participant) and grade it,
    for every module or only ``modules``.

    Bad files, unknown modules, questions or statements are skipped with a warning.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise InputError(display_path(folder), "not a folder of submissions")
    known = assessments if assessments is not None else load_assessments()
    for m in modules or []:
        if m not in known:
            raise InputError(
                display_path(assessment_dir()), f"unknown module '{m}' ({', '.join(known)})"
            )
    quizzes = {m: a for m, a in known.items() if modules is None or m in modules}
    warnings: list[str] = []
    ans_rows, rat_rows, rec_rows = [], [], []
    seen: dict[tuple[str, str, str], str] = {}
    for path in sorted(folder.glob("*.json")):
        try:
            sub = read_submission(path)
        except InputError as exc:
            warnings.append(f"skipped {exc}")
            continue
        if " " in sub.participant.strip():
            warnings.append(
                f"{path.name}: participant '{sub.participant}' looks like a name; use a code "
                "such as P07 in anything you share"
            )
        for rec in sub.records:
            if rec.module not in known:
                warnings.append(f"{path.name}: unknown module '{rec.module}' skipped")
                continue
            if rec.module not in quizzes:
                continue
            key = (sub.participant, rec.module, rec.phase)
            if key in seen:
                warnings.append(
                    f"{path.name}: {rec.module} {rec.phase} of {sub.participant} also in "
                    f"{seen[key]}; the later file is used"
                )
                ans_rows = [r for r in ans_rows if _key(r) != key]
                rat_rows = [r for r in rat_rows if _key(r) != key]
                rec_rows = [r for r in rec_rows if _key(r) != key]
            seen[key] = path.name
            quiz = quizzes[rec.module]
            qids = {q.id for q in quiz.questions}
            sids = {s.id for s in quiz.statements}
            for qid in sorted(set(rec.answers) - qids):
                warnings.append(f"{path.name}: {rec.module} has no question '{qid}'; ignored")
            for sid in sorted(set(rec.confidence) - sids):
                warnings.append(f"{path.name}: {rec.module} has no statement '{sid}'; ignored")
            base = {"participant": sub.participant, "module": rec.module, "phase": rec.phase}
            rec_rows.append(
                {
                    **base,
                    "role": sub.role,
                    "organisation": sub.organisation,
                    "date": rec.date,
                    "hours": rec.hours,
                    "exercises": list(rec.exercises),
                }
            )
            for q in quiz.questions:
                given = rec.answers.get(q.id)
                ans_rows.append(
                    {**base, "question": q.id, "answer": _plain(given), "correct": q.grade(given)}
                )
            for s in quiz.statements:
                rat_rows.append({**base, "statement": s.id, "rating": rec.confidence.get(s.id)})
    answers = pd.DataFrame(
        ans_rows, columns=["participant", "module", "phase", "question", "answer", "correct"]
    )
    ratings = pd.DataFrame(
        rat_rows, columns=["participant", "module", "phase", "statement", "rating"]
    )
    ratings["rating"] = pd.to_numeric(ratings["rating"], errors="coerce")
    records = pd.DataFrame(
        rec_rows,
        columns=[
            "participant",
            "module",
            "phase",
            "role",
            "organisation",
            "date",
            "hours",
            "exercises",
        ],
    )
    return Cohort(answers, ratings, records, quizzes, warnings)
