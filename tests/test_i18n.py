"""The library's texts in Romanian: the catalogues are complete and in step with the code,
the translations keep every placeholder, and what a learner reads (the checker's feedback,
the exercises) is Romanian when asked for, with numbers written the Romanian way."""

from __future__ import annotations

import importlib.util
import re
import string
from pathlib import Path

import pytest

from m100model import i18n
from m100model.exercises import all_exercises, check, exercise, expected

ROOT = Path(__file__).resolve().parents[1]


def _tool():
    spec = importlib.util.spec_from_file_location("i18n_tool", ROOT / "scripts" / "i18n.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


TOOL = _tool()


def _messages():
    for path in sorted((i18n.CATALOGUES / "ro").glob("*.po")):
        for m in TOOL.read(path, "ro"):
            if m.id:
                yield path.stem, m


def test_catalogues_complete_and_in_step_with_the_code():
    """Every marked text of the code is in its catalogue, translated and not fuzzy; no
    catalogue holds a text the code no longer has; one text is translated one way."""
    found = TOOL.problems()
    assert not found, "\n".join(found[:30]) + "\n(run scripts/i18n.py update, then translate)"


def test_marked_texts_are_literals():
    """A marked text must be a plain string: ``_(f"...")`` cannot be looked up (Babel does not
    extract it), so its placeholders go in ``{...}`` and are filled in with ``.format``."""
    bad = []
    for path in TOOL.source_files():
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"\bN?_\(\s*f[\"']", line):
                bad.append(f"{path.relative_to(ROOT)}:{n}")
    assert not bad, bad


def _fields(text: str) -> list[str]:
    return sorted(f for _lit, f, _spec, _conv in string.Formatter().parse(text) if f is not None)


def test_translations_keep_placeholders_and_markup():
    """A translation has the same ``{placeholders}``, the same code spans and the same
    formulas as its English text, and uses Romanian quotation marks."""
    bad = []
    for name, m in _messages():
        if not m.string:
            continue
        try:
            same = _fields(m.id) == _fields(m.string)
        except ValueError:  # a text with literal braces (code) is not a format string
            same = m.id.count("{") == m.string.count("{")
        if not same:
            bad.append(f"{name}: placeholders differ: {m.id[:60]!r}")
        if sorted(re.findall(r"`[^`]+`", m.id)) != sorted(re.findall(r"`[^`]+`", m.string)):
            bad.append(f"{name}: code spans differ: {m.id[:60]!r}")
        if sorted(re.findall(r"\$[^$]+\$", m.id)) != sorted(re.findall(r"\$[^$]+\$", m.string)):
            bad.append(f"{name}: formulas differ: {m.id[:60]!r}")
        prose = re.sub(r"`[^`]+`|\$[^$]+\$|\{[^}]*\}", "", m.string)
        if "\u201c" in prose or ('"' in prose and '"' not in m.id):
            bad.append(f"{name}: English quotation marks: {m.string[:60]!r}")
        for cedilla in "\u015e\u015f\u0162\u0163":
            if cedilla in m.string:
                bad.append(f"{name}: cedilla {cedilla!r}: {m.string[:60]!r}")
    assert not bad, "\n".join(bad[:30])


def test_language_choice():
    assert i18n.language() in i18n.LANGUAGES
    with i18n.use_language("ro"):
        assert i18n.language() == "ro"
        with i18n.use_language("en"):
            assert i18n.language() == "en"
        assert i18n.number(2025.6, ",.1f") == "2.025,6"
    assert i18n.number(2025.6, ",.1f", "en") == "2,025.6"
    with pytest.raises(ValueError, match="known are en, ro"):
        i18n.use_language("fr").__enter__()


def test_check_speaks_romanian(monkeypatch):
    """The checker's verdict, message and hint in Romanian; a Romanian number is read the
    Romanian way ("2.025,6", a lone comma is the decimal mark)."""
    monkeypatch.setenv("M100_I18N_STRICT", "1")
    value = float(expected("ghg-1"))  # t CO2e
    right = check("ghg-1", i18n.number(value, ",.1f", "ro") + " t", lang="ro")
    assert right.correct and right.lang == "ro"
    assert right.text().startswith("ghg-1: corect")
    assert "±" in right.message and "kit" in right.message
    assert check("ghg-1", i18n.number(value / 1000, ".3f", "ro") + " kt", lang="ro").correct
    wrong = check("ghg-1", value * 1000, lang="ro")
    assert wrong.text().startswith("ghg-1: încă nu")
    assert "Indiciu:" in wrong.text()
    assert wrong.hint != check("ghg-1", value * 1000, lang="en").hint
    blank = check("ghg-1", ..., lang="ro")
    assert not blank.answered and "..." in blank.message
    assert blank.message != check("ghg-1", ..., lang="en").message
    # the English reading is unchanged: "2,025.6" is two thousand and twenty-five point six
    assert check("ghg-1", f"{value:,.1f} t", lang="en").correct


@pytest.mark.parametrize("ex", all_exercises(), ids=lambda e: e.id)
def test_every_exercise_has_its_texts_in_romanian(ex, monkeypatch):
    """In strict mode a text without a translation raises: every text of every exercise, and
    the feedback to a blank and to a wrong answer, are in the catalogues."""
    monkeypatch.setenv("M100_I18N_STRICT", "1")
    ro = exercise(ex.id, "ro")
    for field in ("title", "objective", "data", "question", "hint"):
        assert getattr(ro, field) != getattr(ex, field) or not getattr(ex, field), field
    with i18n.use_language("ro"):
        assert ro.tolerance_text
    for answer in (..., "not a number", -1.0e9):
        result = check(ex.id, answer, lang="ro")
        assert "MissingTranslation" not in result.text(), result.text()
    if ex.slips:
        for _value, hint in ex.slips():
            assert i18n.tr(hint, "ro") != hint


def test_answers_in_romanian_words_and_notation(monkeypatch):
    """A Romanian learner's units ("pe an", "ani", "tone", "cenți pe euro", "milioane EUR")
    are read, and "1.500" (the Romanian thousands dot, or Python's decimal point?) is refused
    with a message saying how to write either, rather than guessed."""
    from m100model.exercises.answers import AnswerError, read_quantity

    monkeypatch.setenv("M100_I18N_STRICT", "1")
    with i18n.use_language("ro"):
        assert read_quantity("1,2 kt pe an", "t") == pytest.approx(1200)
        assert read_quantity("25 de ani", "year") == 25
        assert read_quantity("5 cenți pe euro", "%") == 5
        assert read_quantity("45 milioane EUR", "MEUR") == 45
        assert read_quantity("12,5 tone", "t") == 12.5
        assert read_quantity("2.025,6 t", "t") == pytest.approx(2025.6)
        assert read_quantity("1.234.567 t", "t") == 1234567
        assert read_quantity(1.5, "t") == 1.5  # a Python number is a number
        with pytest.raises(AnswerError, match="1500 pentru mii sau 1,500 pentru zecimale"):
            read_quantity("1.500 t", "t")
    assert read_quantity("1.500 t", "t") == 1.5  # English: a decimal point
