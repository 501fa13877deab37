"""The exercise registry: what each exercise asks, what it uses, how long it takes, and how an
answer to it is checked.

Every expected answer is computed from the library and the exercise's data when the check
runs, so the checkers stay right when the data change; no expected answer is written down.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd

from m100model.exercises.answers import (
    AnswerError,
    CheckResult,
    MissingAnswer,
    brief,
    format_number,
    read_quantity,
)
from m100model.i18n import N_, _, language, number, tr, use_language

MODULES: dict[str, str] = {
    "mrv": N_("GHG accounting and MRV"),
    "mobility": N_("Module 1: Sustainable mobility and urban transport"),
    "buildings": N_("Module 2: The built environment and climate-responsive architecture"),
    "energy": N_("Module 3: Energy systems and renewable integration"),
    "nature": N_("Module 4: Nature-based solutions and green infrastructure"),
    "circular": N_("Module 5: Circular economy and zero waste"),
    "governance": N_("Module 6: Policy, governance and community"),
}
"""Course modules, in the order of the book (keys are the folder names in ``exercises/``);
``tr(MODULES[key], "ro")`` gives a title in Romanian."""

PREFIXES = {
    "ghg": "mrv",
    "mob": "mobility",
    "bld": "buildings",
    "en": "energy",
    "nbs": "nature",
    "circ": "circular",
    "gov": "governance",
}
LEVELS = ("guided", "structured", "open")
"""Guided: fill in one value with the formula given. Structured: several steps with the
library. Open: design an answer; any valid one is accepted and scored against the optimum."""


@dataclass(frozen=True)
class Exercise:
    """One exercise.

    ``expected`` computes the answer from the library and the exercise's data; ``inputs``
    returns the data a learner works with; ``slips`` gives the values that common mistakes
    produce, each with a hint about the concept behind the mistake.

    The texts (title, objective, data, question, hint, judged, the slips' hints) are written
    in English and marked with ``N_``; :meth:`in_language` gives the exercise as a learner of
    another language reads it.
    """

    id: str
    title: str
    level: str
    minutes: int
    objective: str
    data: str
    question: str
    hint: str
    expected: Callable[[], Any]
    unit: str = ""
    unit_label: str = ""
    rtol: float = 0.01
    book: str = ""
    inputs: Callable[[], dict] = field(default=lambda: {})
    slips: Callable[[], list[tuple[float, str]]] | None = None
    checker: Callable[[Exercise, Any], CheckResult] | None = None
    judged: str = ""  # how a non-numeric answer is judged

    @property
    def module(self) -> str:
        return PREFIXES[self.id.split("-")[0]]

    @property
    def numeric(self) -> bool:
        return self.checker is None

    @property
    def tolerance_text(self) -> str:
        """How the answer is judged, for the exercise's header (in the current language)."""
        if not self.numeric:
            return tr(self.judged) if self.judged else _("Any valid answer is accepted.")
        label = self.unit_label or self.unit
        if label:
            text = _(
                "Answer in {unit} or any equivalent unit (a bare number is read in {unit}); "
                "answers within ±{pct} are accepted."
            )
        else:
            text = _("Answer with a pure number; answers within ±{pct} are accepted.")
        return text.format(unit=label, pct=number(self.rtol * 100, "g") + "%")

    def in_language(self, lang: str | None = None) -> Exercise:
        """The exercise with its texts in ``lang`` (the current language by default)."""
        if (lang or language()) == "en":
            return self
        return replace(
            self,
            title=tr(self.title, lang),
            objective=tr(self.objective, lang),
            data=tr(self.data, lang),
            question=tr(self.question, lang),
            hint=tr(self.hint, lang),
        )  # ``judged`` is shown through tolerance_text, which translates it

    def check(self, answer: object) -> CheckResult:
        """Check an answer (never raises: a bad answer gives a clear message)."""
        if self.checker is not None:
            return self.checker(self, answer)
        return check_numeric(self, answer)


def _close(value: float, expected: float, rtol: float) -> bool:
    if expected == 0:
        return abs(value) <= rtol
    return abs(value - expected) <= rtol * abs(expected)


def check_numeric(ex: Exercise, answer: object) -> CheckResult:
    """A numeric answer against the computed value, within the exercise's tolerance."""
    label = ex.unit_label or ex.unit
    try:
        value = read_quantity(answer, ex.unit)
    except MissingAnswer as exc:
        return CheckResult(ex.id, False, str(exc), hint=tr(ex.hint), answered=False)
    except AnswerError as exc:
        example = f"{number(12.5, 'g')} {label}".strip() if label else number(0.25, "g")
        return CheckResult(
            ex.id,
            False,
            _("could not read your answer: {reason}.").format(reason=exc),
            hint=_("give one number, with its unit if you like, e.g. '{example}'").format(
                example=example
            ),
        )
    expected = float(ex.expected())
    pct = number(ex.rtol * 100, "g") + "%"
    if _close(value, expected, ex.rtol):
        return CheckResult(
            ex.id,
            True,
            _(
                "Your answer is within ±{pct} of the value the kit computes from the same data."
            ).format(pct=pct),
        )
    return CheckResult(
        ex.id,
        False,
        _("{value} is not it yet.").format(value=format_number(value, label)),
        hint=_diagnose(ex, value),
    )


def _diagnose(ex: Exercise, value: float) -> str:
    """A hint for a wrong numeric answer: a known slip if it matches one, else the concept."""
    expected = float(ex.expected())
    for slip_value, slip_hint in ex.slips() if ex.slips else []:
        if _close(value, slip_value, ex.rtol):
            return tr(slip_hint)
    if expected != 0:
        ratio = value / expected
        for factor in (1e3, 1e6, 100):
            if _close(ratio, factor, ex.rtol) or _close(ratio, 1 / factor, ex.rtol):
                what = number(factor, ",.0f")
                if ratio > 1:
                    text = _(
                        "your answer is {factor} times larger than it should be: check the "
                        "units (the question asks for {unit}; a bare number is read in that "
                        "unit)."
                    )
                else:
                    text = _(
                        "your answer is {factor} times smaller than it should be: check the "
                        "units (the question asks for {unit}; a bare number is read in that "
                        "unit)."
                    )
                return text.format(factor=what, unit=ex.unit_label or _("a pure number"))
        if _close(-value, expected, ex.rtol):
            return _("the size looks right but the sign does not: which way does the change go?")
    if value > expected:
        return _("your answer is higher than the kit's value; {hint}").format(hint=tr(ex.hint))
    return _("your answer is lower than the kit's value; {hint}").format(hint=tr(ex.hint))


# ---------------------------------------------------------------------------------------
# The registry
# ---------------------------------------------------------------------------------------
_REGISTRY: dict[str, Exercise] = {}
_LOADED: list[bool] = []


def register(*exercises: Exercise) -> None:
    for ex in exercises:
        if ex.id in _REGISTRY:
            raise ValueError(f"exercise {ex.id} registered twice")
        if ex.level not in LEVELS:
            raise ValueError(f"exercise {ex.id}: level must be one of {LEVELS}")
        if ex.id.split("-")[0] not in PREFIXES:
            raise ValueError(f"exercise {ex.id}: unknown module prefix")
        _REGISTRY[ex.id] = ex


def _load() -> dict[str, Exercise]:
    if not _LOADED:
        from m100model.exercises import cpd, mrv, open_ended  # noqa: F401  (they register)

        _LOADED.append(True)
    return _REGISTRY


def _sort_key(ex_id: str) -> tuple[int, int]:
    prefix, number = ex_id.split("-")
    return list(PREFIXES).index(prefix), int(number)


def get(exercise_id: str) -> Exercise:
    """The exercise with this id (``"ghg-1"``); a KeyError names the known ids."""
    reg = _load()
    key = str(exercise_id).strip().lower() if isinstance(exercise_id, str) else None
    if key not in reg:
        raise KeyError(
            _("unknown exercise '{given}' (known: {known})").format(
                given=brief(exercise_id, 30), known=", ".join(sorted(reg, key=_sort_key))
            )
        )
    return reg[key]


def all_exercises() -> list[Exercise]:
    """Every exercise, in course order."""
    reg = _load()
    return [reg[k] for k in sorted(reg, key=_sort_key)]


def exercise_table(module: str | None = None, lang: str | None = None) -> pd.DataFrame:
    """One row per exercise: id, module, title, level, minutes, objective, data used (the
    texts in ``lang``, the current language by default)."""
    rows = [
        dict(
            id=ex.id,
            module=ex.module,
            title=tr(ex.title, lang),
            level=ex.level,
            minutes=ex.minutes,
            objective=tr(ex.objective, lang),
            data=tr(ex.data, lang),
        )
        for ex in all_exercises()
        if module is None or ex.module == module
    ]
    return pd.DataFrame(rows)


def check(exercise_id: str, answer: object, lang: str | None = None) -> CheckResult:
    """Check an answer to an exercise: ``correct`` or ``not yet``, with a hint.

    Numeric answers may be plain numbers (read in the exercise's unit), pint quantities or
    strings with a unit (``"2.03 kt"``, ``"2025.6 t CO2e"``); they are accepted within the
    exercise's stated tolerance. Open exercises take a design (for example a portfolio,
    ``{archetype_id: units}``) and score it against the optimum. Never raises.

    Reading an answer takes time in proportion to its size, and answers have bounds: a
    numeric answer of more than :data:`~m100model.exercises.answers.MAX_ANSWER_CHARS`
    characters (once runs of white space are collapsed), a table or a design of more rows
    than the exercise can use, is refused with a message saying so.

    ``lang="ro"`` gives the feedback and hints in Romanian (and reads a number the Romanian
    way: ``"2,03 kt"``, ``"2.025,6 t"``); by default, the current language
    (:func:`m100model.i18n.set_language`, ``M100_LANG``), else English.
    """
    with use_language(lang):
        try:
            ex = get(exercise_id)
        except KeyError as exc:
            return CheckResult(brief(exercise_id, 30), False, str(exc.args[0]), answered=False)
        try:
            return ex.check(answer)
        except Exception as exc:  # a checker must never crash a learner's notebook
            return CheckResult(
                ex.id,
                False,
                _("the checker could not use your answer ({kind}: {reason}).").format(
                    kind=type(exc).__name__, reason=brief(_exception_text(exc), 200)
                ),
                hint=_("check the form of your answer against the exercise's example."),
            )


def _exception_text(exc: Exception) -> str:
    try:
        return str(exc)
    except Exception:  # an exception that cannot show itself
        return type(exc).__name__
