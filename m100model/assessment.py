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
A file that cannot be read is skipped with a warning naming it, never a crash (see
:func:`collect` for what is skipped and what is refused).

An answer is a text, a number or ``null`` (a blank). A file holding anything else as an
answer (a list, an object, ``true``/``false``) does not follow this schema and is refused by
:func:`read_submission` with one line naming the file and the question. An answer that
follows the schema but cannot be graded (a text that is not a quantity, a number too large
to use, a unit that does not fit the question) counts as wrong.
"""

from __future__ import annotations

import datetime as dt
import errno
import json
import math
import os
import re
import stat
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Literal

import pandas as pd
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    model_validator,
)

from m100model.errors import InputError, pydantic_message
from m100model.i18n import N_, _, number, tr, use_language
from m100model.inputs import read_json, read_yaml
from m100model.tables import display_path

PHASES = ("before", "after")
REVIEW_BELOW = 0.5  # a question most participants miss after the module becomes an issue
LOW_GAIN = 0.5  # a statement whose confidence rises by less points to a unit to rewrite
MAX_SUBMISSION_BYTES = 2 * 2**20
"""Largest participant file read (a year of records is a few kB)."""
MAX_SUBMISSIONS = 10_000
"""Most ``*.json`` files in a folder of submissions (a cohort is a few dozen)."""
MAX_WARNINGS_PER_FILE = 5
"""Warnings given for one file; more are counted in one last warning."""
_MODULE_NAME = re.compile(r"[A-Za-z0-9_-]{1,40}")


def assessment_dir() -> Path:
    """The folder of the self-assessments (``$M100_ASSESSMENT`` overrides it)."""
    env = os.environ.get("M100_ASSESSMENT")
    return Path(env) if env else Path(__file__).resolve().parents[1] / "exercises" / "assessment"


# ---------------------------------------------------------------------------------------
# The self-assessments
# ---------------------------------------------------------------------------------------
class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


LANGUAGES = ("en", "ro")
"""Languages of the self-assessments: English, and Romanian in the ``*_ro`` fields."""


def _language(lang: str) -> str:
    if lang not in LANGUAGES:
        raise ValueError(f"language '{lang}': known are {', '.join(LANGUAGES)}")
    return lang


class Statement(_Strict):
    id: str = Field(min_length=1)
    text: str = Field(min_length=1)
    text_ro: str | None = Field(default=None, min_length=1)
    unit: str | None = None

    def text_in(self, lang: str = "en") -> str:
        """The statement in ``lang`` (English where it has no Romanian)."""
        return (self.text_ro if _language(lang) == "ro" else None) or self.text


class Question(_Strict):
    id: str = Field(min_length=1)
    type: Literal["choice", "numeric"]
    text: str = Field(min_length=1)
    text_ro: str | None = Field(default=None, min_length=1)
    statement: str | None = None
    choices: dict[str, str] | None = None
    choices_ro: dict[str, str] | None = None
    answer: str | float
    unit: str = Field(default="", max_length=64)
    tolerance: float = Field(default=0.01, ge=0, allow_inf_nan=False)
    explanation: str = Field(min_length=1)
    explanation_ro: str | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _romanian(self) -> Question:
        """The Romanian of a question is all there or not at all: text, explanation and,
        for a choice question, every choice under the same keys."""
        given = [self.text_ro, self.explanation_ro, self.choices_ro]
        if all(v is None for v in given):
            return self
        missing = [
            name
            for name, value in (("text_ro", self.text_ro), ("explanation_ro", self.explanation_ro))
            if value is None
        ]
        if self.type == "choice" and self.choices_ro is None:
            missing.append("choices_ro")
        if missing:
            raise ValueError(f"question {self.id}: the Romanian needs {', '.join(missing)} too")
        if self.type == "numeric" and self.choices_ro is not None:
            raise ValueError(f"question {self.id}: a numeric question has no choices_ro")
        if self.choices_ro is not None and list(self.choices_ro) != list(self.choices or {}):
            raise ValueError(f"question {self.id}: choices_ro must have the keys of choices")
        if self.choices_ro is not None and not all(v.strip() for v in self.choices_ro.values()):
            raise ValueError(f"question {self.id}: a Romanian choice is empty")
        return self

    def text_in(self, lang: str = "en") -> str:
        """The question in ``lang`` (English where it has no Romanian)."""
        return (self.text_ro if _language(lang) == "ro" else None) or self.text

    def choices_in(self, lang: str = "en") -> dict[str, str] | None:
        """The choices in ``lang`` (English where the question has no Romanian)."""
        return (self.choices_ro if _language(lang) == "ro" else None) or self.choices

    def explanation_in(self, lang: str = "en") -> str:
        """The explanation in ``lang`` (English where the question has no Romanian)."""
        return (self.explanation_ro if _language(lang) == "ro" else None) or self.explanation

    @property
    def has_romanian(self) -> bool:
        return self.text_ro is not None

    @model_validator(mode="after")
    def _consistent(self) -> Question:
        if self.type == "choice":
            if not self.choices:
                raise ValueError(f"question {self.id}: a choice question needs choices")
            if str(self.answer) not in self.choices:
                raise ValueError(f"question {self.id}: the answer must be one of the choices")
        elif isinstance(self.answer, str):
            raise ValueError(f"question {self.id}: a numeric question needs a number as answer")
        elif not math.isfinite(self.answer):
            raise ValueError(f"question {self.id}: the answer must be a finite number")
        else:
            from m100model.exercises.answers import read_quantity

            try:
                read_quantity(1.0, self.unit)  # the question's unit must be one
            except ValueError as exc:
                raise ValueError(f"question {self.id}: unit '{self.unit}': {exc}") from None
        return self

    def grade(self, given: object) -> bool | None:
        """True or False for an answer, None when it was left blank. Never raises: an answer
        that cannot be read (a text that is not a quantity, a number too large to use, a
        list) is wrong. Takes time in proportion to the answer's length."""
        from m100model.exercises.answers import is_missing, read_quantity

        if is_missing(given):
            return None
        if self.type == "choice":
            if isinstance(given, str):
                text = given
            elif isinstance(given, int) and not isinstance(given, bool) and abs(given) < 10**9:
                text = str(given)  # choices numbered 1, 2, 3
            else:
                return False
            text = text.strip().lower().rstrip(").").lstrip("(")
            return text == str(self.answer).lower()
        try:
            value = read_quantity(given, self.unit)
        except (ValueError, TypeError, ArithmeticError):  # AnswerError is a ValueError
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
    title_ro: str | None = Field(default=None, min_length=1)
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

    def title_in(self, lang: str = "en") -> str:
        """The module's title in ``lang`` (English where it has no Romanian)."""
        return (self.title_ro if _language(lang) == "ro" else None) or self.title

    def missing_romanian(self) -> list[str]:
        """What has no Romanian yet: ``title``, statement and question ids."""
        missing = [] if self.title_ro else ["title"]
        missing += [s.id for s in self.statements if s.text_ro is None]
        return missing + [q.id for q in self.questions if not q.has_romanian]

    def form(self, *, answers: bool = False, lang: str = "en") -> str:
        """The self-assessment as text (with answers and explanations for the trainer), in
        English or Romanian (``lang="ro"``; English where a text has no Romanian)."""
        words = _FORM_WORDS[_language(lang)]
        lines = [f"{self.title_in(lang)}: {words['title']}", ""]
        lines.append(words["rate"])
        lines += [f"  {s.id}. {s.text_in(lang)}" for s in self.statements]
        lines.append("")
        for q in self.questions:
            lines.append(f"{q.id}. {q.text_in(lang)}")
            choices = q.choices_in(lang)
            if choices:
                lines += [f"    ({k}) {v}" for k, v in choices.items()]
            elif q.unit:
                lines.append("    " + words["unit"].format(unit=q.unit))
            if answers:
                answer = q.answer
                if lang == "ro" and isinstance(answer, float | int):
                    answer = str(answer).replace(".", ",")
                lines.append(f"    {words['answer']}: {answer}. {q.explanation_in(lang)}")
        return "\n".join(lines)


_FORM_WORDS = {
    "en": {
        "title": "self-assessment",
        "rate": "Rate each statement from 1 (I could not do this) to 5 (I could teach this):",
        "unit": "(answer in {unit}, or any equivalent unit)",
        "answer": "Answer",
    },
    "ro": {
        "title": "autoevaluare",
        "rate": (
            "Evaluați fiecare afirmație de la 1 (nu aș putea face acest lucru) la 5 (aș putea "
            "preda acest lucru):"
        ),
        "unit": "(răspuns în {unit} sau în orice unitate echivalentă)",
        "answer": "Răspuns",
    },
}


def load_assessment(module: str, folder: str | Path | None = None) -> Assessment:
    """A module's self-assessment (``mrv``, ``mobility``, ``buildings``, ``energy``,
    ``nature``, ``circular``, ``governance``)."""
    base = Path(folder) if folder else assessment_dir()
    if not isinstance(module, str) or not _MODULE_NAME.fullmatch(module):
        raise InputError(
            display_path(base),
            f"no self-assessment for module '{_one_line(module, 40)}' (known: {_known(base)})",
        )
    path = base / f"{module}.yaml"
    shown = display_path(path)
    if not os.path.lexists(path):
        raise InputError(shown, f"no self-assessment for module '{module}' (known: {_known(base)})")
    raw = read_yaml(path)  # one line for a folder, a pipe, a loop, bad UTF-8 or YAML
    try:
        return Assessment.model_validate(raw)
    except ValidationError as exc:
        raise _schema_error(shown, exc) from None


def _known(base: Path) -> str:
    try:
        return ", ".join(sorted(p.stem for p in base.glob("*.yaml")))
    except OSError:
        return "none found"


def _schema_error(shown: str, exc: ValidationError) -> InputError:
    """The first problem pydantic found, as one line naming the field."""
    err = exc.errors()[0]
    where = ".".join(_one_line(p, 40) for p in err["loc"]) or None
    message = _one_line(pydantic_message(err), 200)
    return InputError(shown, message, field=where)


def _one_line(value: object, limit: int = 300) -> str:
    """Text from a user's file as a message may show it: one line, at most ``limit``
    characters."""
    from m100model.exercises.answers import brief

    return brief(value if isinstance(value, str) else str(value), limit)


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
def _json_kind(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return f"a {type(value).__name__}"


def _answer(value: object) -> object:
    """An answer: a text, a number or null (a blank)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value
    raise ValueError(
        f'expected the answer as a text (such as "b" or "1.01 kt"), a number or null, '
        f"got {_json_kind(value)}"
    )


def _rating(value: object) -> object:
    """A confidence rating: a whole number from 1 to 5, or null."""
    if isinstance(value, bool | list | dict):
        raise ValueError(f"expected a whole number from 1 to 5 or null, got {_json_kind(value)}")
    return value


Answer = Annotated[object, BeforeValidator(_answer)]
Rating = Annotated[int | None, BeforeValidator(_rating)]


class Record(_Strict):
    """One participant's self-assessment of one module, before or after it."""

    module: str = Field(min_length=1, max_length=40)
    phase: Literal["before", "after"]
    date: str | None = Field(default=None, max_length=40)
    hours: float | None = Field(default=None, ge=0, allow_inf_nan=False)
    confidence: dict[str, Rating] = Field(default_factory=dict)
    answers: dict[str, Answer] = Field(default_factory=dict)
    exercises: list[str] = Field(default_factory=list)
    feedback: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _scale(self) -> Record:
        for sid, v in self.confidence.items():
            if v is not None and not 1 <= v <= 5:
                raise ValueError(f"confidence '{sid}': expected 1 to 5, got {v}")
        return self


class Submission(_Strict):
    """A participant's file: a code (no name), optional role and organisation, records,
    and optionally the language the participant answered in (``lang``)."""

    participant: str = Field(min_length=1, max_length=40)
    role: str | None = Field(default=None, max_length=200)
    organisation: str | None = Field(default=None, max_length=200)
    lang: Literal["en", "ro"] | None = None
    """The language the participant answered in: numbers are read as that language writes
    them (in ``"ro"`` the comma is the decimal mark, ``1,010 kt`` is 1.01 kt; otherwise it
    groups thousands, as in English; see :func:`m100model.exercises.answers.read_quantity`).
    It never depends on the language the summary is shown in."""
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
    lang: str | None = None,
) -> Path:
    """Add (or replace) a participant's record for a module and phase in
    ``folder/<participant>.json``; returns the file. The participant is a code such as
    ``P07``, never a name. ``lang="ro"`` records that the participant answers in Romanian
    (numbers are then read the Romanian way when graded)."""
    if not _CODE.match(participant):
        raise ValueError(
            f"participant '{participant}': use a code of letters, digits, '-', '_' or '.' "
            "(such as P07), never a name"
        )
    load_assessment(module)  # fails early on an unknown module
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{participant}.json"
    exists = os.path.lexists(path)
    sub = read_submission(path) if exists else Submission(participant=participant)
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
    if lang is not None:
        sub.lang = _language(lang)  # type: ignore[assignment]
    raw = sub.model_dump(exclude={"lang"} if sub.lang is None else None)
    path.write_text(json.dumps(raw, indent=2, ensure_ascii=False) + "\n", "utf-8")
    return path


def _plain(value: object) -> object:
    """An answer as JSON can hold it (a pint quantity becomes '2.03 kilometric_ton')."""
    if value is None or value is Ellipsis:
        return None
    if isinstance(value, str | int | float | bool):
        return value
    return str(value)


def read_submission(path: str | Path) -> Submission:
    """One participant's file (``InputError`` naming the file and the field if it is bad).

    Read with :func:`m100model.inputs.read_json`: a folder, a pipe, a symbolic link that
    loops, text that is not UTF-8 or not JSON, nesting deeper than 32 levels or a file of more
    than :data:`MAX_SUBMISSION_BYTES` is refused with one line before anything is parsed. A
    file that does not follow the schema (an answer that is a list, an object or
    ``true``/``false``; a confidence outside 1-5; ...) is refused with the field, e.g.
    ``records.0.answers.q3``."""
    path = Path(path)
    raw = read_json(path, limit=MAX_SUBMISSION_BYTES)
    if isinstance(raw, dict) and "records" not in raw and "module" in raw:
        meta = {k: raw.pop(k) for k in ("participant", "role", "organisation") if k in raw}
        raw = {**meta, "records": [raw]}  # a file holding a single record
    try:
        return Submission.model_validate(raw)
    except ValidationError as exc:
        raise _schema_error(display_path(path), exc) from None


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
        # Counts and means per participant, module and phase, computed once: the table takes
        # time in proportion to the rows, not to participants times rows.
        keys = ["participant", "module", "phase"]
        right_of = self.answers[self.answers["correct"].eq(True)].groupby(keys).size().to_dict()
        rated = self.ratings.dropna(subset=["rating"])
        mean_of = rated.groupby(keys)["rating"].mean().to_dict()
        rows = []
        for (p, m), recs in self.records.groupby(["participant", "module"], sort=True):
            row = {
                "participant": p,
                "role": recs["role"].iloc[0],
                "organisation": recs["organisation"].iloc[0],
                "module": m,
                "asked": len(self.assessments[m].questions),
            }
            phases = set(recs["phase"])
            for phase in PHASES:
                has = phase in phases
                right = int(right_of.get((p, m, phase), 0)) if has else None
                row[f"right_{phase}"] = right
                row[f"score_{phase}"] = right / row["asked"] if has else math.nan
                mean = mean_of.get((p, m, phase))
                row[f"confidence_{phase}"] = float(mean) if mean is not None else math.nan
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
        took_of = self.records.groupby(["module", "phase"])["participant"].nunique().to_dict()
        ans = self.answers
        right_of = ans[ans["correct"].eq(True)].groupby(["module", "question", "phase"]).size()
        right_of = right_of.to_dict()
        for m, a in self.assessments.items():
            took = {ph: int(took_of.get((m, ph), 0)) for ph in PHASES}
            if not sum(took.values()):
                continue
            for q in a.questions:
                row = {"module": m, "question": q.id, "type": q.type, "text": q.text}
                for ph in PHASES:
                    right = int(right_of.get((m, q.id, ph), 0))
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
        present = set(self.ratings["module"])
        rated = self.ratings.dropna(subset=["rating"])
        groups = rated.groupby(["module", "statement", "phase"])["rating"]
        n_of, mean_of = groups.size().to_dict(), groups.mean().to_dict()
        for m, a in self.assessments.items():
            if m not in present:
                continue
            for s in a.statements:
                row = {"module": m, "statement": s.id, "text": s.text}
                for ph in PHASES:
                    n = int(n_of.get((m, s.id, ph), 0))
                    row[f"n_{ph}"] = n
                    row[f"mean_{ph}"] = float(mean_of[(m, s.id, ph)]) if n else math.nan
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

    # -- what a trainer reads ------------------------------------------------------------------
    @property
    def participants(self) -> int:
        """How many participants the cohort's submissions name."""
        return int(self.records["participant"].nunique()) if not self.records.empty else 0

    def headline(self, where: str, *, lang: str | None = None) -> str:
        """ "4 participants in <where>" (``where``: the folder as the caller shows it)."""
        with use_language(lang):
            n = self.participants
            template = (
                _("{n} participant in {folder}") if n == 1 else _("{n} participants in {folder}")
            )
            return template.format(n=number(n, ",d"), folder=where)

    def module_titles(self, *, lang: str | None = None) -> str:
        """The modules of the summary with their titles ("Modules: mrv = GHG accounting and
        MRV; ..."), from the bank (the Romanian ``title_ro`` in Romanian)."""
        with use_language(lang) as code:
            present = set(self.records["module"]) if not self.records.empty else set()
            titles = "; ".join(
                _("{module} = {title}").format(module=m, title=a.title_in(code))
                for m, a in self.assessments.items()
                if m in present
            )
            return _("Modules: {titles}").format(titles=titles)

    def display_tables(self, *, lang: str | None = None) -> list[DisplayTable]:
        """The three tables as ``m100 assess`` prints them: headers, titles and words in
        ``lang``; ids (participants, modules, questions) and numbers as in the data (the
        caller writes the numbers in the language's notation)."""
        with use_language(lang):
            by_p = self.by_participant()
            by_q = self.by_question()
            by_s = self.by_statement()

            def quiz(right: object, asked: int) -> str:
                return "" if right is None or right != right else f"{int(right)}/{asked}"

            def columns(values: dict) -> pd.DataFrame:
                return pd.DataFrame({tr(k): v for k, v in values.items()})

            participant = columns(
                {
                    N_("participant"): by_p["participant"],
                    N_("module"): by_p["module"],
                    N_("quiz before"): [
                        quiz(r, a) for r, a in zip(by_p["right_before"], by_p["asked"], strict=True)
                    ],
                    N_("quiz after"): [
                        quiz(r, a) for r, a in zip(by_p["right_after"], by_p["asked"], strict=True)
                    ],
                    N_("conf. before"): by_p["confidence_before"],
                    N_("conf. after"): by_p["confidence_after"],
                    N_("hours"): by_p["hours"],
                    N_("exercises"): [len(e.split(", ")) if e else 0 for e in by_p["exercises"]],
                }
            )
            question = columns(
                {
                    N_("module"): by_q["module"],
                    N_("question"): by_q["question"],
                    N_("type"): by_q["type"].map(lambda t: tr(QUESTION_TYPES.get(t, t))),
                    N_("right before"): by_q["right_before"],
                    N_("right after"): by_q["right_after"],
                    N_("review"): by_q["review"].map({True: _("review"), False: ""}),
                }
            )
            statement = columns(
                {
                    N_("module"): by_s["module"],
                    N_("statement"): by_s["statement"],
                    N_("before"): by_s["mean_before"],
                    N_("after"): by_s["mean_after"],
                    N_("gain"): by_s["gain"],
                    N_("low gain"): by_s["low_gain"].map({True: _("low"), False: ""}),
                }
            )
            return [
                DisplayTable(
                    _("Per participant: quiz (right/asked) and confidence (1-5)"), participant, 1
                ),
                DisplayTable(_("Per question: share of participants answering right"), question),
                DisplayTable(_("Per statement: mean confidence (1-5)"), statement),
            ]

    def advice(self, *, lang: str | None = None) -> list[str]:
        """What the summary asks of the trainer: the questions most participants still miss
        after the module, the statements whose confidence hardly rose."""
        with use_language(lang):
            lines = []
            review = self.by_question().query("review")
            if not review.empty:
                lines.append(
                    _(
                        "Questions most participants still miss after the module (review the "
                        "unit): {questions}"
                    ).format(
                        questions=", ".join(f"{r.module} {r.question}" for r in review.itertuples())
                    )
                )
            low = self.by_statement().query("low_gain")
            if not low.empty:
                lines.append(
                    _(
                        "Statements with little gain in confidence (rewrite or give more time): "
                        "{statements}"
                    ).format(
                        statements=", ".join(f"{r.module} {r.statement}" for r in low.itertuples())
                    )
                )
            return lines


QUESTION_TYPES = {"choice": N_("choice"), "numeric": N_("numeric")}
"""The kinds of question, as the summary names them."""


@dataclass(frozen=True)
class DisplayTable:
    """A table of the trainer's summary as shown: its title, its columns under the labels
    of the language, and the decimals of its numbers."""

    title: str
    table: pd.DataFrame
    digits: int = 2


def _check_folder(folder: Path) -> None:
    """Refuse, with one line, a path that is not a folder one can list."""
    name = display_path(folder)
    try:
        st = os.stat(folder)
    except FileNotFoundError:
        raise InputError(name, "not a folder of submissions (it does not exist)") from None
    except ValueError:  # a NUL character in the path
        raise InputError(name, "not a folder of submissions (not a usable path)") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            why = "a symbolic link that leads round in a loop"
        elif exc.errno in (errno.EACCES, errno.EPERM):
            why = "permission denied"
        else:
            why = exc.strerror or type(exc).__name__
        raise InputError(name, f"not a folder of submissions ({why})") from None
    if not stat.S_ISDIR(st.st_mode):
        raise InputError(
            name,
            "is a file, not a folder of submissions; give the folder that holds the "
            "participants' .json files",
        )


def _submission_files(folder: Path) -> list[Path]:
    """The ``*.json`` entries of ``folder``, sorted by name (whatever they are: each is
    checked when read)."""
    name = display_path(folder)
    names: list[str] = []
    try:
        with os.scandir(folder) as entries:
            for entry in entries:
                if entry.name.endswith(".json"):
                    names.append(entry.name)
                    if len(names) > MAX_SUBMISSIONS:
                        raise InputError(
                            name,
                            f"holds more than {MAX_SUBMISSIONS:,} .json files; the kit reads "
                            "up to that many submissions from one folder",
                        )
    except OSError as exc:
        raise InputError(name, f"cannot be listed ({exc.strerror or type(exc).__name__})") from None
    return [folder / n for n in sorted(names)]


def _quoted(text: str) -> str:
    """A name from a file quoted in a message ('q9' in English, „q9” in Romanian)."""
    # TRANSLATORS: quotation marks around a name from a participant's file.
    return _("'{text}'").format(text=text)


def _listing(ids: list[str], limit: int = 3) -> str:
    shown = ", ".join(_quoted(_one_line(i, 40)) for i in ids[:limit])
    if len(ids) <= limit:
        return shown
    return _("{shown} and {n} more").format(shown=shown, n=number(len(ids) - limit, ",d"))


class _Warnings:
    """Warnings for one file: one line each, at most :data:`MAX_WARNINGS_PER_FILE`, then
    a count of the rest."""

    def __init__(self, name: str) -> None:
        self.name = _one_line(name, 120)
        self.lines: list[str] = []
        self.more = 0

    def add(self, text: str) -> None:
        if len(self.lines) < MAX_WARNINGS_PER_FILE:
            self.lines.append(f"{self.name}: {_one_line(text, 400)}")
        else:
            self.more += 1

    def done(self) -> list[str]:
        if self.more:
            self.lines.append(
                _("{file}: {n} more warnings like these").format(
                    file=self.name, n=number(self.more, ",d")
                )
            )
        return self.lines


def collect(
    folder: str | Path,
    *,
    modules: list[str] | None = None,
    assessments: dict[str, Assessment] | None = None,
    strict: bool = False,
    lang: str | None = None,
) -> Cohort:
    """Read every ``*.json`` submission in ``folder`` (one per participant) and grade it,
    for every module or only ``modules``. The warnings are in ``lang`` (``"en"`` or
    ``"ro"``; ``None``: the current language, see :mod:`m100model.i18n`); the tables hold
    data (ids and numbers), the same in every language.

    Refused with an :class:`~m100model.errors.InputError` (one line; ``m100 assess`` exits
    with status 2 and writes nothing): a ``folder`` that does not exist, is a file, is a
    symbolic link that loops or cannot be listed; one with more than
    :data:`MAX_SUBMISSIONS` ``.json`` files; an unknown module in ``modules``.

    Skipped with a warning naming the file (a trainer gets the summary of everyone else and
    the list of files to fix): a ``*.json`` entry that is a folder, a pipe, a device or a
    symbolic link that loops or leads nowhere; a file that is not UTF-8, not JSON, nested
    too deep or larger than :data:`MAX_SUBMISSION_BYTES`; a file that does not follow the
    submission schema (the warning names the field, e.g. ``records.0.answers.q3`` for an
    answer that is a list, an object or ``true``). Within a file that is read: records of
    unknown modules and answers to unknown questions are ignored with a warning (at most
    :data:`MAX_WARNINGS_PER_FILE` a file, then a count); an answer that follows the schema
    but cannot be graded counts as wrong. When the same participant, module and phase
    appear more than once, the last record (in file-name order) is used.

    With ``strict=True`` a file that would be skipped is refused instead: the first one's
    :class:`~m100model.errors.InputError` is raised (for a trainer who wants every file
    fixed before a summary is made).

    Takes time in proportion to the size of the files.
    """
    with use_language(lang):
        return _collect(folder, modules=modules, assessments=assessments, strict=strict)


def _collect(
    folder: str | Path,
    *,
    modules: list[str] | None,
    assessments: dict[str, Assessment] | None,
    strict: bool,
) -> Cohort:
    folder = Path(folder)
    _check_folder(folder)
    known = assessments if assessments is not None else load_assessments()
    for m in modules or []:
        if m not in known:
            raise InputError(
                display_path(assessment_dir()),
                f"unknown module '{_one_line(m, 40)}' ({', '.join(known)})",
            )
    quizzes = {m: a for m, a in known.items() if modules is None or m in modules}
    warnings: list[str] = []
    # One entry per participant, module and phase: a later record replaces an earlier one.
    graded: dict[tuple[str, str, str], tuple[dict, list[dict], list[dict]]] = {}
    seen: dict[tuple[str, str, str], str] = {}
    shown_folder = Path(display_path(folder))
    for path in _submission_files(folder):
        try:
            sub = read_submission(path)
        except InputError as exc:
            # Named as listed in the folder (a symbolic link by its own name, not its target).
            message = exc.message
            if message == "file not found" and path.is_symlink():
                message = "is a symbolic link to a file that does not exist"
            exc = InputError(
                shown_folder / path.name,
                message,
                row=exc.row,
                column=exc.column,
                field=exc.field,
            )
            if strict:
                raise exc from None
            warnings.append(_("skipped {error}").format(error=_one_line(str(exc), 400)))
            continue
        notes = _Warnings(path.name)
        if len(sub.participant.split()) > 1:  # white space between words: a name
            notes.add(
                _(
                    "participant {participant} looks like a name; use a code such as P07 in "
                    "anything you share"
                ).format(participant=_quoted(sub.participant))
            )
        unknown = Counter(r.module for r in sub.records if r.module not in known)
        if unknown:
            template = (
                _("unknown module {modules} skipped")
                if len(unknown) == 1
                else _("unknown modules {modules} skipped")
            )
            notes.add(template.format(modules=_listing(list(unknown))))
        # The last record of each module and phase in this file (earlier ones are replaced).
        last: dict[tuple[str, str], Record] = {}
        repeats: Counter = Counter()
        for rec in sub.records:
            if rec.module in quizzes:
                if (rec.module, rec.phase) in last:
                    repeats[(rec.module, rec.phase)] += 1
                last[(rec.module, rec.phase)] = rec
        for (module, phase), n in repeats.items():
            template = (
                _("{module} before of {participant} appears {n} times; the last one is used")
                if phase == "before"
                else _("{module} after of {participant} appears {n} times; the last one is used")
            )
            notes.add(
                template.format(module=module, participant=sub.participant, n=number(n + 1, "d"))
            )
        for rec in last.values():
            key = (sub.participant, rec.module, rec.phase)
            if key in seen:
                template = (
                    _("{module} before of {participant} also in {file}; the later file is used")
                    if rec.phase == "before"
                    else _("{module} after of {participant} also in {file}; the later file is used")
                )
                notes.add(
                    template.format(
                        module=rec.module,
                        participant=sub.participant,
                        file=_one_line(seen[key], 120),
                    )
                )
                del graded[key]  # re-inserted below, in this file's place
            seen[key] = path.name
            graded[key] = _grade(sub, rec, quizzes[rec.module], notes)
        warnings += notes.done()
    rec_rows = [r for r, _a, _r in graded.values()]
    ans_rows = [row for _r, a, _s in graded.values() for row in a]
    rat_rows = [row for _r, _a, r in graded.values() for row in r]
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


def _grade(
    sub: Submission, rec: Record, quiz: Assessment, notes: _Warnings
) -> tuple[dict, list[dict], list[dict]]:
    """One record's row, its graded answers and its ratings."""
    qids = {q.id for q in quiz.questions}
    sids = {s.id for s in quiz.statements}
    extra = sorted(set(rec.answers) - qids)
    if extra:
        template = (
            _("{module} has no question {ids}; ignored")
            if len(extra) == 1
            else _("{module} has no questions {ids}; ignored")
        )
        notes.add(template.format(module=rec.module, ids=_listing(extra)))
    extra = sorted(set(rec.confidence) - sids)
    if extra:
        template = (
            _("{module} has no statement {ids}; ignored")
            if len(extra) == 1
            else _("{module} has no statements {ids}; ignored")
        )
        notes.add(template.format(module=rec.module, ids=_listing(extra)))
    base = {"participant": sub.participant, "module": rec.module, "phase": rec.phase}
    record = {
        **base,
        "role": sub.role,
        "organisation": sub.organisation,
        "date": rec.date,
        "hours": rec.hours,
        "exercises": list(rec.exercises),
    }
    answers = []
    with use_language(sub.lang or "en"):  # the participant's numbers, whatever is shown
        for q in quiz.questions:
            given = rec.answers.get(q.id)
            answers.append(
                {**base, "question": q.id, "answer": _plain(given), "correct": q.grade(given)}
            )
    ratings = [
        {**base, "statement": s.id, "rating": rec.confidence.get(s.id)} for s in quiz.statements
    ]
    return record, answers, ratings
