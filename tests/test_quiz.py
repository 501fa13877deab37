"""The self-check quizzes of the course book: one bilingual bank, rendered on the page.

The bank is ``exercises/assessment/<module>.yaml`` (the questions ``m100 assess`` grades);
every question and statement has its Romanian. The ``{m100-quiz}`` directive
(``book/_ext/m100_quiz.py``) writes each module's questions into its page in the build's
language (a unit page of the MRV module: only its own questions, ``:questions:``); no page
keeps a static quiz of its own. ``book/_static/m100-quiz.js`` checks a numeric answer with
the same rule as the Python in the extension (run here on the same inputs with Node.js, when
it is installed) and as :meth:`m100model.assessment.Question.grade`. The browser test
(``tests/test_book_offline.py``) answers the quizzes in both editions.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from m100model.assessment import Question, load_assessment, load_assessments

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "book" / "_build" / "html"
JS = ROOT / "book" / "_static" / "m100-quiz.js"
sys.path.insert(0, str(ROOT / "book" / "_ext"))
import m100_quiz  # noqa: E402

# The page of each module's whole quiz (the `book:` of its bank file).
PAGES = {
    "mrv": "book/mrv/index.html",
    "mobility": "book/cpd/01_mobility.html",
    "buildings": "book/cpd/02_built_environment.html",
    "energy": "book/cpd/03_energy.html",
    "nature": "book/cpd/04_nature_based.html",
    "circular": "book/cpd/05_circular.html",
    "governance": "book/cpd/06_governance.html",
}
# The MRV units' pages and the questions of their quiz (`:questions:`), in order.
UNIT_PAGES = {
    "book/mrv/01_frameworks.html": ["q1", "q2", "q8", "q4", "q3"],
    "book/mrv/02_emission_profile.html": ["q9", "q10", "q11"],
    "book/mrv/03_targets_timeframes.html": ["q12", "q13", "q14", "q5"],
    "book/mrv/04_achievements.html": ["q6", "q15", "q16"],
}


BOOK = ROOT / "book"
# A {m100-quiz} directive in a page's source: its module and its `:questions:` (or None).
_DIRECTIVE = re.compile(
    r"^```\{m100-quiz\}[ \t]+(\S+)[ \t]*\n(?::questions:[ \t]*([^\n]*)\n)?```[ \t]*$", re.M
)


def _sources() -> list[Path]:
    return sorted(p for p in BOOK.rglob("*.md") if "_build" not in p.relative_to(BOOK).parts)


def _quizzes_in_sources() -> dict[str, tuple[str, list[str] | None]]:
    """Each page with a quiz (``book/...html``): its module and its question ids (None: all)."""
    found = {}
    for path in _sources():
        hits = _DIRECTIVE.findall(path.read_text(encoding="utf-8"))
        assert len(hits) <= 1, path
        for module, ids in hits:
            page = path.relative_to(ROOT).with_suffix(".html").as_posix()
            found[page] = (module, m100_quiz.question_ids(ids) if ids else None)
    return found


def _romanian_texts(quiz) -> list[str]:
    texts = [quiz.title_ro] + [s.text_ro for s in quiz.statements]
    for q in quiz.questions:
        texts += [q.text_ro, q.explanation_ro, *(q.choices_ro or {}).values()]
    return texts


# ---------------------------------------------------------------------------------------
# The bank
# ---------------------------------------------------------------------------------------
def test_every_question_and_statement_has_its_romanian():
    quizzes = load_assessments()
    assert set(quizzes) == set(PAGES)
    for module, quiz in quizzes.items():
        assert quiz.missing_romanian() == [], module
        assert quiz.book and PAGES[module] == f"book/{quiz.book}.html"
        for q in quiz.questions:
            if q.type == "choice":
                assert list(q.choices_ro) == list(q.choices), (module, q.id)
            else:
                assert q.choices_ro is None and isinstance(q.answer, float)


_GPC_REF = re.compile(r"\b[IV]+(\.\d+)+\b")


def test_the_romanian_of_the_bank_follows_the_style_rules():
    """Comma-below ș ț, Romanian quotation marks, the decimal comma, the glossary's terms."""
    for module, quiz in load_assessments().items():
        for text in _romanian_texts(quiz):
            where = f"{module}: {text}"
            assert not set("şţŞŢ") & set(text), where
            assert '"' not in text and "“" not in text, where
            assert text.count("„") == text.count("”"), where
            bare = _GPC_REF.sub("", text)
            assert not re.search(r"\b0\.\d|\d\.\d{1,2}\b|\b[1-9]\d{0,2},\d{3}\b", bare), where
            assert "abatere" not in text.lower(), where
            assert not re.search(r"\bscope\b", text), where


def test_the_right_answers_are_spread_over_the_positions():
    """A learner cannot pass a module's quiz by always picking the same letter: in every
    module no key is the right one in more than 60% of its choice questions (true/false
    questions keep True before False, ordered scales stay in order; the others balance)."""
    for module, quiz in load_assessments().items():
        keys = [str(q.answer) for q in quiz.questions if q.type == "choice"]
        assert keys, module
        for q in quiz.questions:
            if q.type == "choice":
                assert str(q.answer) in q.choices, (module, q.id)
        for key in set(keys):
            share = keys.count(key) / len(keys)
            assert share <= 0.6, (module, key, f"{keys.count(key)} of {len(keys)}", keys)


def test_incomplete_romanian_is_refused():
    base = {
        "id": "q1",
        "type": "choice",
        "text": "Which?",
        "choices": {"a": "One", "b": "Two"},
        "answer": "a",
        "explanation": "Because.",
    }
    Question.model_validate(base)  # English only is fine
    full = {
        **base,
        "text_ro": "Care?",
        "choices_ro": {"a": "Unu", "b": "Doi"},
        "explanation_ro": "Pentru că.",
    }
    Question.model_validate(full)
    for drop in ("text_ro", "choices_ro", "explanation_ro"):
        broken = {k: v for k, v in full.items() if k != drop}
        with pytest.raises(ValidationError, match=drop):
            Question.model_validate(broken)
    with pytest.raises(ValidationError, match="keys of choices"):
        Question.model_validate({**full, "choices_ro": {"a": "Unu", "c": "Trei"}})
    numeric = {"id": "q2", "type": "numeric", "text": "How many?", "answer": 2.0}
    numeric |= {"explanation": "Two.", "text_ro": "Câte?", "explanation_ro": "Două."}
    Question.model_validate(numeric)
    with pytest.raises(ValidationError, match="no choices_ro"):
        Question.model_validate({**numeric, "choices_ro": {"a": "x"}})


def test_the_form_in_romanian():
    quiz = load_assessment("mrv")
    english, romanian = quiz.form(answers=True), quiz.form(answers=True, lang="ro")
    assert english.startswith("GHG accounting and MRV: self-assessment")
    assert romanian.startswith("Contabilizarea GES și MRV: autoevaluare")
    assert "Răspuns: b." in romanian and "Domeniul 2" in romanian
    assert "Scope 2" not in romanian and "Domeniul 2" not in english
    assert english == quiz.form(answers=True, lang="en")
    with pytest.raises(ValueError, match="language 'fr'"):
        quiz.form(lang="fr")


# ---------------------------------------------------------------------------------------
# The pages: one quiz each, from the bank, and no static quiz left
# ---------------------------------------------------------------------------------------
def _section(text: str, heading: str) -> str | None:
    """The text under a ``## heading`` up to the next heading of level 1 or 2."""
    found = re.search(rf"^## {re.escape(heading)}[ \t]*\n(.*?)(?=^#{{1,2}} |\Z)", text, re.M | re.S)
    return found.group(1) if found else None


def test_no_page_keeps_a_static_quiz():
    """A page's 'Self-check quiz' section holds the {m100-quiz} directive and nothing else:
    no numbered questions, no dropdown answers (a second bank that would drift)."""
    sections = 0
    for path in _sources():
        text = path.read_text(encoding="utf-8")
        assert text.count("## Self-check quiz") <= 1, path
        body = _section(text, "Self-check quiz")
        if body is None:
            continue
        sections += 1
        assert _DIRECTIVE.fullmatch(body.strip()), (path, body[:200])
        assert "dropdown" not in body and "admonition" not in body, path
    assert sections == len(_quizzes_in_sources())


def test_every_quiz_page_and_its_questions():
    """Each module's whole quiz is on its `book:` page; the MRV units' pages show their own
    questions (every question whose statement belongs to the unit), ids known to the bank,
    each once; every question of the bank is on some unit page or is for a unit without a
    quiz."""
    quizzes = load_assessments()
    on_pages = _quizzes_in_sources()
    whole = {page: module for page, (module, ids) in on_pages.items() if ids is None}
    assert whole == {page: module for module, page in PAGES.items()}
    units = {page: ids for page, (module, ids) in on_pages.items() if ids is not None}
    assert set(units) == set(UNIT_PAGES)
    assert {on_pages[page][0] for page in units} == {"mrv"}
    mrv = quizzes["mrv"]
    unit_of = {
        q.id: {st.id: st.unit for st in mrv.statements}.get(q.statement) for q in mrv.questions
    }
    for page, ids in units.items():
        assert ids == UNIT_PAGES[page], page
        assert m100_quiz.pick_questions(mrv, ids)  # known ids, each once
        unit = page.removeprefix("book/").removesuffix(".html")
        own = {qid for qid, of in unit_of.items() if of == unit}
        assert own <= set(ids), (page, own - set(ids))
        assert sum(q.type == "choice" for q in m100_quiz.pick_questions(mrv, ids)) >= 2, page
    listed = {qid for ids in units.values() for qid in ids}
    with_quiz = {p.removeprefix("book/").removesuffix(".html") for p in units}
    for qid, unit in unit_of.items():
        assert qid in listed or unit not in with_quiz, qid


# ---------------------------------------------------------------------------------------
# The directive's HTML
# ---------------------------------------------------------------------------------------
def test_quiz_html_escapes_the_bank_text():
    quiz = load_assessment("mrv").model_copy(deep=True)
    quiz.questions[0].text = 'Is <script>alert("x")</script> & "quoted" text safe?'
    quiz.questions[0].choices = {"a": "<b>bold</b>", "b": "x' onclick='y", "c": "c"}
    out = m100_quiz.quiz_html(quiz, "en")
    assert "<script>" not in out and "<b>bold</b>" not in out
    assert html.escape(quiz.questions[0].text) in out
    assert "x&#x27; onclick=&#x27;y" in out


@pytest.mark.parametrize("lang", ["en", "ro"])
def test_quiz_html_has_every_question_in_the_language(lang):
    words = m100_quiz.WORDS[lang]
    for quiz in load_assessments().values():
        out = m100_quiz.quiz_html(quiz, lang)
        assert words["lead"] in out
        assert out.count('class="m100-quiz-question"') == len(quiz.questions)
        assert out.count('aria-live="polite"') == len(quiz.questions)
        for q in quiz.questions:
            assert html.escape(q.text_in(lang)) in out
            assert html.escape(q.explanation_in(lang)) in out
            for text in (q.choices_in(lang) or {}).values():
                assert html.escape(text) in out


def test_a_subset_of_the_questions_in_the_language():
    """``:questions:`` shows those questions only, in the order given, with the same HTML as
    the whole quiz (what the script and the browser test look for), in either language."""
    quiz = load_assessment("mrv")
    for lang in ("en", "ro"):
        whole = m100_quiz.quiz_html(quiz, lang)
        part = m100_quiz.quiz_html(quiz, lang, ["q3", "q1", "q8"])
        assert 'data-questions="q3 q1 q8"' in part and "data-questions" not in whole
        shown = re.findall(r'id="m100-quiz-mrv-(q\d+)" data-type', part)
        assert shown == ["q3", "q1", "q8"]
        for qid in ("q3", "q1", "q8"):
            q = quiz.question(qid)
            assert html.escape(q.text_in(lang)) in part
            assert html.escape(q.explanation_in(lang)) in part
            item = re.search(rf'<li [^>]*id="m100-quiz-mrv-{qid}".*?</li>', whole, re.S)
            assert item and item.group(0) in part  # the same markup as in the whole quiz
        for q in quiz.questions:
            if q.id not in ("q3", "q1", "q8"):
                assert html.escape(q.text_in(lang)) not in part, q.id
        assert m100_quiz.WORDS[lang]["lead"] in part


def test_unknown_or_repeated_ids_are_refused():
    quiz = load_assessment("mrv")
    assert m100_quiz.question_ids(" q1, q2\tq5 ") == ["q1", "q2", "q5"]
    with pytest.raises(
        ValueError, match=r"module 'mrv' has no question 'q99', 'Q1' \(its questions: q1, q2"
    ):
        m100_quiz.quiz_html(quiz, "en", ["q1", "q99", "Q1"])
    with pytest.raises(ValueError, match="question q2 of module 'mrv' is listed twice"):
        m100_quiz.pick_questions(quiz, ["q2", "q1", "q2"])
    with pytest.raises(ValueError, match="no question ids given"):
        m100_quiz.pick_questions(quiz, [])


def _sphinx(tmp_path: Path, page: str, lang: str = "en") -> subprocess.CompletedProcess:
    """Build one page with the quiz directive (Sphinx, warnings as errors)."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "conf.py").write_text(
        f"import sys\nsys.path.insert(0, {str(ROOT / 'book' / '_ext')!r})\n"
        f"extensions = ['m100_quiz']\nlanguage = {lang!r}\n",
        encoding="utf-8",
    )
    (src / "index.rst").write_text(page, encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "-q", "-b", "html", str(src), str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.parametrize("lang", ["en", "ro"])
def test_the_directive_builds_a_unit_quiz(tmp_path, lang):
    page = "Quiz\n====\n\n.. m100-quiz:: mrv\n   :questions: q9 q3\n"
    run = _sphinx(tmp_path, page, lang)
    assert run.returncode == 0, run.stderr
    out = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    assert re.findall(r'id="m100-quiz-mrv-(q\d+)" data-type', out) == ["q9", "q3"]
    assert html.escape(load_assessment("mrv").question("q9").text_in(lang)) in out
    assert f'lang="{lang}"' in out and "m100-quiz.js" in out


def test_an_unknown_id_fails_the_build(tmp_path):
    run = _sphinx(tmp_path, "Quiz\n====\n\n.. m100-quiz:: mrv\n   :questions: q1 q99\n")
    assert run.returncode != 0
    assert "m100-quiz: module 'mrv' has no question 'q99'" in run.stderr


def _built(page: str) -> str:
    if not (HTML / "index.html").exists():
        subprocess.run(["make", "book"], cwd=ROOT, check=True)
    return (HTML / page).read_text(encoding="utf-8")


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["en", "ro"])
def test_built_pages_hold_their_module_quiz_in_the_edition_language(lang):
    """Every bank question is on its module's page of both editions, in the edition's
    language, with the quiz script; each MRV unit page has its own questions and no others;
    no other page loads the script."""
    prefix = "ro/" if lang == "ro" else ""
    other = "en" if lang == "ro" else "ro"
    for module, quiz in load_assessments().items():
        page = _built(prefix + PAGES[module])
        assert f'id="m100-quiz-{module}"' in page, (lang, module)
        assert m100_quiz.WORDS[lang]["lead"] in page
        assert m100_quiz.WORDS[other]["lead"] not in page
        for q in quiz.questions:
            assert html.escape(q.text_in(lang)) in page, (lang, module, q.id)
            assert html.escape(q.explanation_in(lang)) in page, (lang, module, q.id)
            if q.text_in(other) != q.text_in(lang):
                assert html.escape(q.text_in(other)) not in page, (lang, module, q.id)
        assert re.search(r'<script src="[./]*_static/m100-quiz\.js', page)
    mrv = load_assessment("mrv")
    for unit, ids in UNIT_PAGES.items():
        page = _built(prefix + unit)
        assert page.count('class="m100-quiz"') == 1, (lang, unit)
        assert f'id="m100-quiz-mrv" data-module="mrv" data-questions="{" ".join(ids)}"' in page
        assert re.findall(r'id="m100-quiz-mrv-(q\d+)" data-type', page) == ids, (lang, unit)
        assert m100_quiz.WORDS[lang]["lead"] in page
        for q in mrv.questions:
            shown = html.escape(q.text_in(lang)) in page
            assert shown is (q.id in ids), (lang, unit, q.id)
            if q.id in ids:
                assert html.escape(q.explanation_in(lang)) in page, (lang, unit, q.id)
        assert re.search(r'<script src="[./]*_static/m100-quiz\.js', page)
        assert "dropdown" not in page.split('id="self-check-quiz"')[-1].split("</section>")[0]
    root = HTML / prefix if prefix else HTML
    with_script = {
        p.relative_to(root).as_posix()
        for p in root.rglob("*.html")
        if "m100-quiz.js" in p.read_text(encoding="utf-8")
        and not p.relative_to(root).parts[0].startswith("_")
    }
    if lang == "en":
        with_script = {p for p in with_script if not p.startswith("ro/")}
    assert with_script == set(PAGES.values()) | set(UNIT_PAGES)


# ---------------------------------------------------------------------------------------
# The numeric check: Python and JavaScript agree, and agree with Question.grade
# ---------------------------------------------------------------------------------------
_TYPED = [
    "1010",
    "1 010",
    "1010.0",
    "1010,0",
    "1,010",
    "1.010",
    "1.010,5",
    "1,010.5",
    "0,49",
    "0.49",
    ",5",
    "21%",
    "21 %",
    "-3",
    "\u22123,5",
    "1e3",
    "",
    "abc",
    "1,2,3",
    "1..2",
    "12t",
    "Infinity",
]


def _numeric_items(lang: str) -> list[tuple[float, float]]:
    """(data-answer, data-tolerance) of every numeric question, as the page writes them."""
    found = []
    for quiz in load_assessments().values():
        out = m100_quiz.quiz_html(quiz, lang)
        for answer, tol in re.findall(r'data-answer="([^"]+)" data-tolerance="([^"]+)"', out):
            found.append((float(answer), float(tol)))
    return found


def _cases(lang: str) -> list[tuple[str, float, float]]:
    cases = [(typed, 1010.0, 0.01) for typed in _TYPED]
    for answer, tol in _numeric_items(lang):
        for factor in (1, 1 + 0.99 * tol, 1 - 0.99 * tol, 1 + 1.01 * tol, 1 - 1.01 * tol, 10):
            value = answer * factor
            text = repr(value)
            cases.append((text.replace(".", ",") if lang == "ro" else text, answer, tol))
    return cases


def _python_results(lang: str) -> list[list]:
    out = []
    for typed, answer, tol in _cases(lang):
        value = m100_quiz.read_number(typed, lang)
        out.append([value, None if value is None else m100_quiz.is_right(value, answer, tol)])
    return out


def test_the_python_check_reads_both_decimal_marks():
    read = m100_quiz.read_number
    assert read("1010,5") == read("1010.5") == 1010.5
    assert read("1,010", "en") == 1010 and read("1.010", "ro") == 1010
    assert read("1.010", "en") == 1.01 and read("1,010", "ro") == 1.01
    assert read("21%") == pytest.approx(0.21)
    assert read("abc") is None and read("") is None and read("1e999") is None


def test_the_check_agrees_with_the_grading_of_submissions():
    """Within the tolerance for the page is within it for `m100 assess` (the answer typed in
    the question's unit), for every numeric question of the bank."""
    for quiz in load_assessments().values():
        for q in quiz.questions:
            if q.type != "numeric":
                continue
            for factor in (1, 1 + 0.99 * q.tolerance, 1 - 0.99 * q.tolerance, 1.05, 0.9, 10):
                value = float(q.answer) * factor
                page = m100_quiz.is_right(m100_quiz.read_number(repr(value)), q.answer, q.tolerance)
                assert page is q.grade(value), (quiz.module, q.id, factor)


@pytest.mark.skipif(shutil.which("node") is None, reason="Node.js is not installed")
@pytest.mark.parametrize("lang", ["en", "ro"])
def test_the_javascript_check_agrees_with_the_python_one(lang):
    cases = _cases(lang)
    script = (
        "global.window = {};\n"
        "global.document = {readyState: 'complete', querySelectorAll: () => []};\n"
        + JS.read_text(encoding="utf-8")
        + "\nconst cases = "
        + json.dumps(cases)
        + ";\nconsole.log(JSON.stringify(cases.map(([t, a, tol]) => {"
        f" const v = window.M100Quiz.readNumber(t, {json.dumps(lang)});"
        " return [v, v === null ? null : window.M100Quiz.isRight(v, a, tol)]; })));\n"
    )
    run = subprocess.run(
        ["node", "-e", script], capture_output=True, text=True, timeout=60, check=True
    )
    js = json.loads(run.stdout)
    python = _python_results(lang)
    assert len(js) == len(python)
    for case, j, p in zip(cases, js, python, strict=True):
        assert j[1] == p[1], (case, j, p)
        assert (j[0] is None) == (p[0] is None), (case, j, p)
        if p[0] is not None:
            assert j[0] == pytest.approx(p[0]), (case, j, p)
