"""Self-check quizzes answered on the page: the ``m100-quiz`` directive.

::

    ```{m100-quiz} mrv
    ```

renders a module's questions from the self-assessment bank (``exercises/assessment/
<module>.yaml``, read by :mod:`m100model.assessment`, the same questions ``m100 assess``
grades) in the language of the build (``language``: ``en`` or ``ro``): each question's text,
its choices as buttons or a number input with its unit and a Check button, and an empty
feedback line and a hidden explanation that ``_static/m100-quiz.js`` fills and shows once the
learner answers. Nothing is loaded from elsewhere; the script is added only to the pages
that hold a quiz.

A unit page shows only its own questions of the module, in the order given::

    ```{m100-quiz} mrv
    :questions: q1 q2 q3
    ```

The same HTML, with the ids listed in ``data-questions``; an id the module's bank does not
have (or one given twice) fails the build with a message naming it.

The quiz is one raw HTML block, so Sphinx's gettext does not extract it: the bank is
bilingual already and the page catalogues do not change.
"""

from __future__ import annotations

import html
import json
import math
import re
from typing import ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.util.docutils import SphinxDirective

SCRIPT = "m100-quiz.js"
QUIZ_CLASS = "m100-quiz"

WORDS = {
    "en": {
        "lead": "Answer on the page: each answer is checked at once.",
        "correct": "Correct",
        "wrong": "Not yet",
        "invalid": "Type a number",
        "check": "Check",
        "answer": "Your answer",
        "explanation": "Explanation",
        "choices": "Choices",
    },
    "ro": {
        "lead": "Răspundeți direct pe pagină: fiecare răspuns este verificat imediat.",
        "correct": "Corect",
        "wrong": "Nu încă",
        "invalid": "Introduceți un număr",
        "check": "Verificați",
        "answer": "Răspunsul dumneavoastră",
        "explanation": "Explicație",
        "choices": "Variante de răspuns",
    },
}

# How a bank unit is shown next to the number input.
UNITS = {
    "en": {"m**3": "m³", "year": "years", "MEUR": "million EUR"},
    "ro": {"m**3": "m³", "year": "ani", "MEUR": "mil. EUR"},
}


def shown_unit(unit: str, lang: str) -> str:
    return UNITS.get(lang, {}).get(unit, unit)


# ---------------------------------------------------------------------------------------
# The numeric check: the same rule as _static/m100-quiz.js (tests/test_quiz.py runs both)
# ---------------------------------------------------------------------------------------
_THOUSANDS = {
    "en": re.compile(r"^\d{1,3}(,\d{3})+(\.\d*)?$"),
    "ro": re.compile(r"^\d{1,3}(\.\d{3})+(,\d*)?$"),
}
_PLAIN = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$", re.I)


def read_number(text: str, lang: str = "en") -> float | None:
    """The number a learner typed, or None. A decimal point or a decimal comma; thousands
    grouped the edition's way ("1,010.5" in English, "1.010,5" in Romanian); spaces
    ignored; a final "%" divides by 100."""
    s = re.sub(r"[\s\u00a0\u202f]", "", text or "").replace("\u2212", "-")
    scale = 1.0
    if s.endswith("%"):
        s, scale = s[:-1], 0.01
    sign = ""
    if s[:1] in "+-" and s:
        sign, s = s[0], s[1:]
    if _THOUSANDS["ro" if lang == "ro" else "en"].match(s):
        group, point = (".", ",") if lang == "ro" else (",", ".")
        s = s.replace(group, "").replace(point, ".")
    else:
        s = s.replace(",", ".")
    s = sign + s
    if not _PLAIN.match(s):
        return None
    value = float(s) * scale
    return value if math.isfinite(value) else None


def is_right(value: float, answer: float, tolerance: float) -> bool:
    """Within the relative tolerance of the answer (absolute when the answer is 0): the rule
    of :meth:`m100model.assessment.Question.grade`."""
    if answer:
        return abs(value - answer) <= tolerance * abs(answer) * (1 + 1e-12)
    return abs(value) <= tolerance


# ---------------------------------------------------------------------------------------
# The HTML
# ---------------------------------------------------------------------------------------
def _attr(value: object) -> str:
    return html.escape(str(value), quote=True)


def question_ids(text: str) -> list[str]:
    """The ids of a ``:questions:`` option: separated by spaces or commas."""
    return [qid for qid in re.split(r"[\s,]+", text or "") if qid]


def pick_questions(quiz, ids: list[str]) -> list:
    """The module's questions ``ids``, in that order. ValueError names an id the bank does not
    have, an id given twice, or an empty list."""
    if not ids:
        raise ValueError(f"m100-quiz: no question ids given for module '{quiz.module}'")
    known = {q.id: q for q in quiz.questions}
    unknown = [qid for qid in ids if qid not in known]
    if unknown:
        raise ValueError(
            f"m100-quiz: module '{quiz.module}' has no question "
            + ", ".join(repr(qid) for qid in unknown)
            + f" (its questions: {', '.join(known)})"
        )
    twice = sorted({qid for qid in ids if ids.count(qid) > 1})
    if twice:
        raise ValueError(
            f"m100-quiz: question {', '.join(twice)} of module '{quiz.module}' is listed twice"
        )
    return [known[qid] for qid in ids]


def quiz_html(quiz, lang: str, questions: list[str] | None = None) -> str:
    """One module's quiz as an HTML block (every text escaped): all its questions, or only
    ``questions`` (ids, in that order; see :func:`pick_questions`)."""
    words = WORDS.get(lang, WORDS["en"])
    esc = html.escape
    data = {k: words[k] for k in ("correct", "wrong", "invalid")}
    chosen = quiz.questions if questions is None else pick_questions(quiz, questions)
    subset = "" if questions is None else f' data-questions="{_attr(" ".join(questions))}"'
    out = [
        f'<div class="{QUIZ_CLASS}" id="m100-quiz-{_attr(quiz.module)}" '
        f'data-module="{_attr(quiz.module)}"{subset} lang="{_attr(lang)}" '
        f"data-words='{_attr(json.dumps(data, ensure_ascii=False))}'>",
        f'<p class="m100-quiz-lead">{esc(words["lead"])}</p>',
        '<ol class="m100-quiz-questions">',
    ]
    for q in chosen:
        qid = f"m100-quiz-{quiz.module}-{q.id}"
        attrs = f'class="m100-quiz-question" id="{_attr(qid)}" data-type="{_attr(q.type)}"'
        if q.type == "numeric":
            attrs += f' data-answer="{float(q.answer)!r}" data-tolerance="{q.tolerance!r}"'
        else:
            attrs += f' data-answer="{_attr(q.answer)}"'
        out.append(f"<li {attrs}>")
        out.append(f'<p class="m100-quiz-text" id="{_attr(qid)}-text">{esc(q.text_in(lang))}</p>')
        if q.type == "choice":
            out.append(
                f'<div class="m100-quiz-choices" role="group" aria-labelledby="{_attr(qid)}-text">'
            )
            for key, text in (q.choices_in(lang) or {}).items():
                out.append(
                    f'<button type="button" class="m100-quiz-choice" data-choice="{_attr(key)}">'
                    f'<span class="m100-quiz-key">({esc(key)})</span> {esc(text)}</button>'
                )
            out.append("</div>")
        else:
            unit = shown_unit(q.unit, lang)
            out.append(
                '<form class="m100-quiz-numeric" novalidate>'
                f'<label for="{_attr(qid)}-input">{esc(words["answer"])}</label> '
                f'<input type="text" inputmode="decimal" autocomplete="off" '
                f'id="{_attr(qid)}-input" class="m100-quiz-input" '
                f'aria-describedby="{_attr(qid)}-text">'
                + (f' <span class="m100-quiz-unit">{esc(unit)}</span>' if unit else "")
                + f' <button type="submit" class="m100-quiz-check">{esc(words["check"])}</button>'
                "</form>"
            )
        out.append('<p class="m100-quiz-feedback" aria-live="polite"></p>')
        out.append(
            '<div class="m100-quiz-explanation" hidden>'
            f'<span class="m100-quiz-label">{esc(words["explanation"])}:</span> '
            f"{esc(q.explanation_in(lang))}</div>"
        )
        out.append("</li>")
    out += ["</ol>", "</div>"]
    return "\n".join(out)


class QuizDirective(SphinxDirective):
    """``{m100-quiz} <module>``: the module's self-check quiz from the bank; with
    ``:questions: q1 q2``, only those questions of the module."""

    required_arguments = 1
    optional_arguments = 0
    has_content = False
    option_spec: ClassVar[dict] = {"questions": directives.unchanged_required}

    def run(self) -> list[nodes.Node]:
        from m100model.assessment import assessment_dir, load_assessment
        from m100model.errors import InputError

        module = self.arguments[0].strip()
        lang = self.config.language or "en"
        try:
            quiz = load_assessment(module)
        except InputError as exc:
            raise self.error(f"m100-quiz: {exc}") from None
        self.env.note_dependency(str(assessment_dir() / f"{module}.yaml"))
        self.env.note_dependency(__file__)
        if lang == "ro" and quiz.missing_romanian():
            raise self.error(
                f"m100-quiz: module '{module}' has no Romanian for "
                + ", ".join(quiz.missing_romanian())
            )
        ids = question_ids(self.options["questions"]) if "questions" in self.options else None
        try:
            block = quiz_html(quiz, lang, ids)
        except ValueError as exc:
            raise self.error(str(exc)) from None
        node = nodes.raw("", block, format="html")
        node["translatable"] = False
        return [node]


def add_script_to_quiz_pages(app, pagename, templatename, context, doctree) -> None:
    """Load the quiz script on the pages that hold a quiz (and only there)."""
    if f'class="{QUIZ_CLASS}"' in context.get("body", ""):
        app.add_js_file(SCRIPT, priority=500)


def setup(app):
    app.add_directive("m100-quiz", QuizDirective)
    app.connect("html-page-context", add_script_to_quiz_pages)
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}
