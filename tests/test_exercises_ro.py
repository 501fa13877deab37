"""The exercises' Romanian edition (``exercises/ro/``): a notebook and a worked solution for
every exercise, written from the same source as the English ones with every text a learner
reads in Romanian; the notebooks run with their blanks and the checker answers "încă nu"; the
worked solutions are stored executed, each ending in "corect"."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import tokenize
from pathlib import Path

import nbformat
import pytest

from m100model import i18n
from m100model.exercises import MODULES, all_exercises

ROOT = Path(__file__).resolve().parents[1]
RO = ROOT / "exercises" / "ro"
EXERCISES = all_exercises()

# Lines of the English notebooks' texts (header, fixed cells) a Romanian notebook must not have.
ENGLISH_LINES = (
    "Learning objective",
    "Expected time",
    "Data used",
    "Read first",
    "How answers are judged",
    "worked solution",
    "Worked solution",
    "· Exercise",
    "All city numbers",
    "## The question",
    "## Your working",
    "## Your answer",
    "## Solution",
    "## Check",
    "## What this shows",
    "Stuck?",
    "the course book",
    "guided (",
    "structured (",
    "open (",
)


def _generator():
    spec = importlib.util.spec_from_file_location(
        "make_notebooks", ROOT / "exercises" / "make_notebooks.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GEN = _generator()


@pytest.fixture
def session_language():
    """Running a Romanian notebook in this process sets the session's language: put it
    back afterwards, so that other tests still run in English."""
    saved = list(i18n._SESSION)
    yield
    i18n._SESSION[:] = saved


def _notebooks(kind: str) -> list[Path]:
    if kind == "solutions":
        return sorted((RO / "solutions").glob("*.ipynb"))
    return sorted(p for m in MODULES for p in (RO / m).glob("*.ipynb"))


def test_every_exercise_has_a_romanian_notebook_and_worked_solution():
    for ex in EXERCISES:
        assert GEN.exercise_path(ex, "ro").exists(), ex.id
        assert GEN.solution_path(ex, "ro").exists(), ex.id
    assert {p.name.split("_")[0] for p in _notebooks("exercises")} == {e.id for e in EXERCISES}
    assert {p.name.split("_")[0] for p in _notebooks("solutions")} == {e.id for e in EXERCISES}
    assert len(_notebooks("exercises")) == len(_notebooks("solutions")) == len(EXERCISES)
    # named after the Romanian titles, in plain ASCII
    for ex in EXERCISES:
        name = GEN.exercise_path(ex, "ro").name
        assert name.isascii() and name != GEN.exercise_path(ex, "en").name, name
        assert GEN.solution_path(ex, "ro").name.endswith("_solutie.ipynb")
    assert (RO / "README.md").exists()


def test_romanian_notebooks_are_in_step_with_their_source(tmp_path, monkeypatch):
    """The stored notebooks are what the generator writes now; in strict mode, so that a
    text without a Romanian translation (an exercise's, a header's, a code comment's) fails."""
    monkeypatch.setenv("M100_I18N_STRICT", "1")
    pairs = []
    for ex in EXERCISES:
        for made, stored in (
            (GEN.exercise_notebook(ex, "ro"), GEN.exercise_path(ex, "ro")),
            (GEN.solution_notebook(ex, "ro"), GEN.solution_path(ex, "ro")),
        ):
            fresh = tmp_path / stored.name
            nbformat.write(made, fresh)
            pairs.append((stored, fresh))
    GEN.ruff_format([str(tmp_path)])
    for stored, fresh in pairs:
        old = [c.source for c in nbformat.read(stored, as_version=4).cells]
        new = [c.source for c in nbformat.read(fresh, as_version=4).cells]
        assert old == new, f"{stored.name} is out of date: run `make exercise-notebooks`"


def test_english_notebooks_stay_english_whatever_the_session_language(monkeypatch):
    ex = EXERCISES[0]
    english = [c.source for c in GEN.exercise_notebook(ex).cells]
    monkeypatch.setenv("M100_LANG", "ro")
    assert [c.source for c in GEN.exercise_notebook(ex).cells] == english
    assert [c.source for c in GEN.exercise_notebook(ex, "en").cells] == english


@pytest.mark.parametrize("ex", EXERCISES, ids=lambda e: e.id)
def test_romanian_notebooks_have_no_english_text(ex):
    """Every text cell differs from the English notebook's (the header, the question, the
    steps, what the exercise shows) and no English header line is left; the first code cell
    sets the language."""
    for lang_path, en_path in (
        (GEN.exercise_path(ex, "ro"), GEN.exercise_path(ex, "en")),
        (GEN.solution_path(ex, "ro"), GEN.solution_path(ex, "en")),
    ):
        ro = nbformat.read(lang_path, as_version=4)
        en = nbformat.read(en_path, as_version=4)
        ro_text = [c.source for c in ro.cells if c.cell_type == "markdown"]
        en_text = [c.source for c in en.cells if c.cell_type == "markdown"]
        assert len(ro_text) == len(en_text)
        for ro_cell, en_cell in zip(ro_text, en_text, strict=True):
            assert ro_cell != en_cell, f"{lang_path.name}: not translated: {en_cell[:60]!r}"
            for line in ENGLISH_LINES:
                assert line not in ro_cell, f"{lang_path.name}: English {line!r}"
        first = next(c for c in ro.cells if c.cell_type == "code")
        assert 'set_language("ro")' in first.source
        assert "from m100model.i18n import set_language" in first.source


def _without_texts(code: str) -> list[tuple[int, str]]:
    """The tokens of ``code`` without its comments and the strings a learner reads."""
    out = []
    for tok in tokenize.generate_tokens(io.StringIO(code).readline):
        if tok.type in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE):
            continue
        if tok.type == tokenize.STRING and tok.string[:1] in "\"'":
            value = eval(tok.string)  # a literal of the generator's own code
            if value in GEN.CODE_STRINGS or value in {i18n.tr(t, "ro") for t in GEN.CODE_STRINGS}:
                out.append((tok.type, "<text>"))
                continue
        out.append((tok.type, tok.string))
    return out


def _codes() -> list[str]:
    codes = []
    for content in GEN.CONTENT.values():
        codes += [*content["show"], content["starter"], *(c for _t, c in content["steps"])]
        if content.get("answer_starter"):
            codes.append(content["answer_starter"])
    return codes


def test_translated_strings_are_never_keys():
    """A string put into the learner's language is a text, never a key the code looks up
    (``x["buses"]`` must stay ``x["buses"]``)."""
    for code in _codes():
        tokens = list(tokenize.generate_tokens(io.StringIO(code).readline))
        for before, tok, after in zip(tokens, tokens[1:], tokens[2:], strict=False):
            text = tok.type == tokenize.STRING and tok.string[:1] in "\"'"
            if text and eval(tok.string) in GEN.CODE_STRINGS:
                assert (before.string, after.string) != ("[", "]"), code[:60]


def test_romanian_code_is_the_english_code():
    """Only comments and the listed texts change: the code a learner runs is the same."""
    with i18n.use_language("ro"):
        for code in _codes():
            translated = GEN.code_in_language(code)
            assert _without_texts(translated) == _without_texts(code), code[:60]
            for line in translated.split("\n"):  # ruff format cannot shorten a comment
                assert "# " not in line or len(line) <= GEN.LINE_LENGTH, line


def test_a_comment_not_listed_for_translation_stops_the_romanian_edition():
    with i18n.use_language("ro"), pytest.raises(ValueError, match="CODE_COMMENTS"):
        GEN.code_in_language("x = 1  # a comment nobody listed")
    assert GEN.code_in_language("x = 1  # a comment nobody listed") == (
        "x = 1  # a comment nobody listed"
    )


def test_romanian_solutions_are_stored_with_outputs():
    for path in _notebooks("solutions"):
        nb = nbformat.read(path, as_version=4)
        last = [c for c in nb.cells if c.cell_type == "code"][-1]
        assert "nbval-check-output" in last.metadata.get("tags", [])
        printed = "".join(o.get("text", "") for o in last.outputs)
        assert printed.strip() == "corect", path.name


@pytest.mark.parametrize("path", _notebooks("exercises"), ids=lambda p: p.name.split("_")[0])
def test_romanian_notebooks_run_with_their_blanks(path, monkeypatch, session_language):
    """Each Romanian notebook runs top to bottom with its blanks (``...``) left in, and its
    check cell says "încă nu" (no answer yet), in Romanian, with every text translated."""
    monkeypatch.setenv("M100_I18N_STRICT", "1")
    nb = nbformat.read(path, as_version=4)
    namespace: dict = {"__name__": "__main__"}
    result = None
    with contextlib.redirect_stdout(io.StringIO()):
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            code = cell.source
            body, _nl, last = code.rpartition("\n")
            if last.startswith("check("):  # the check cell: keep what it returns
                exec(compile(body, str(path), "exec"), namespace)
                result = eval(compile(last, str(path), "eval"), namespace)
            else:
                exec(compile(code, str(path), "exec"), namespace)
    assert i18n.language() == "ro"
    assert namespace["answer"] is Ellipsis
    assert result is not None and not result.correct and not result.answered
    assert result.lang == "ro" and result.status == "încă nu"
    assert result.text().startswith(f"{path.name.split('_')[0]}: încă nu")
    assert "MissingTranslation" not in result.text()
    assert "no answer yet" not in result.message
