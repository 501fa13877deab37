"""Exercises with automatic feedback for the course's modules.

A learner checks an answer with :func:`check`::

    from m100model.exercises import check

    check("ghg-1", "2.03 kt")  # ghg-1: correct / not yet, with a hint
    check("ghg-1", "2,03 kt", lang="ro")  # the same in Romanian: corect / încă nu, indiciu

Numeric answers may be plain numbers (read in the exercise's unit), pint quantities or
strings with a unit, and are accepted within the exercise's stated tolerance. Open
exercises take a design, e.g. ``check("gov-3", {"en_led": 8000, "mob_cycle": "50%"})``, and
score any valid one against the optimum. Every expected answer is computed from the library
and the exercise's data when the check runs; :func:`expected` shows it (for trainers and the
solution notebooks).

``exercise(id)`` gives an exercise's objective, data, expected time and question;
``data(id)`` the inputs a learner works with; ``exercises()`` a table of them all.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from m100model.exercises.answers import AnswerError, CheckResult, read_quantity
from m100model.exercises.registry import (
    LEVELS,
    MODULES,
    Exercise,
    all_exercises,
    check,
    exercise_table,
    get,
)
from m100model.i18n import tr

__all__ = [
    "LEVELS",
    "MODULES",
    "AnswerError",
    "CheckResult",
    "Exercise",
    "all_exercises",
    "check",
    "data",
    "exercise",
    "exercises",
    "expected",
    "hint",
    "read_quantity",
]


def exercise(exercise_id: str, lang: str | None = None) -> Exercise:
    """The exercise with this id (``"ghg-1"``, ``"mob-3"``, ...), its texts in ``lang``
    (``"en"`` or ``"ro"``; the current language by default)."""
    return get(exercise_id).in_language(lang)


def exercises(module: str | None = None, lang: str | None = None) -> pd.DataFrame:
    """A table of the exercises (of one module: ``"mrv"``, ``"mobility"``, ...), in ``lang``."""
    return exercise_table(module, lang)


def data(exercise_id: str) -> dict[str, Any]:
    """The inputs of an exercise, as the learner gets them (numbers and tables computed from
    the kit's data)."""
    return get(exercise_id).inputs()


def hint(exercise_id: str, lang: str | None = None) -> str:
    """The exercise's hint: the concept to use, never the answer (in ``lang``)."""
    return tr(get(exercise_id).hint, lang)


def expected(exercise_id: str) -> Any:
    """The answer the checker computes from the library (for trainers and solutions)."""
    return get(exercise_id).expected()
