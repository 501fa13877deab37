"""The kit's texts in the learner's language: English (the source) or Romanian.

Every text a learner or trainer reads from the library (the exercises and their checker's
feedback, chart titles, axes and legends, the explorer's widget labels, the self-assessment
summaries) is written once, in English, in the code, and marked for translation:

- ``_("...")`` translates at once into the current language (a message built when it is
  shown, such as a checker's feedback; placeholders are filled in afterwards with
  ``.format(...)``, so a translation can put them where Romanian needs them);
- ``N_("...")`` only marks a text kept for later (an exercise's question, a chart's axis
  title); :func:`tr` translates it where it is shown.

The Romanian translations live in message catalogues (gettext ``.po`` files) in
``m100model/locales/ro/``, one per source file, kept in step with the code by
``scripts/i18n.py update`` (new texts arrive empty, changed ones marked fuzzy); a test fails
while any text is untranslated or fuzzy. This is Sphinx's and Babel's gettext workflow, the
one the book's Romanian edition uses, applied to the library.

The current language is, in order: the one a caller asked for (``check(..., lang="ro")``,
``charts.pathway_chart(..., lang="ro")``, :func:`use_language`), the one set for the session
(:func:`set_language`, what a Romanian notebook does in its first cell), the ``M100_LANG``
environment variable, else English.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import os
from collections.abc import Iterator
from pathlib import Path

LANGUAGES = ("en", "ro")
"""Languages of the kit's texts: English (the source) and Romanian."""

LANGUAGE_NAMES = {"en": "English", "ro": "Română"}

CATALOGUES = Path(__file__).resolve().parent / "locales"
"""Where the message catalogues are: ``locales/<language>/<source>.po``."""

_CURRENT: contextvars.ContextVar[str | None] = contextvars.ContextVar("m100_lang", default=None)
_SESSION: list[str] = []


class MissingTranslation(LookupError):
    """A text with no translation, in strict mode (``M100_I18N_STRICT=1``, used by the tests
    to find a text built at run time that no catalogue can hold)."""


def check_language(lang: str) -> str:
    """``lang`` if the kit has it (``"en"`` or ``"ro"``); a ValueError names the known ones."""
    code = str(lang).strip().lower()
    if code not in LANGUAGES:
        raise ValueError(f"language '{lang}': known are {', '.join(LANGUAGES)}")
    return code


def language() -> str:
    """The current language (see the module's documentation for the order)."""
    lang = _CURRENT.get()
    if lang is not None:
        return lang
    if _SESSION:
        return _SESSION[-1]
    env = os.environ.get("M100_LANG", "").strip().lower()
    return env if env in LANGUAGES else "en"


def set_language(lang: str) -> str:
    """Set the session's language (a Romanian notebook's first cell: ``set_language("ro")``).
    Returns it."""
    _SESSION[:] = [check_language(lang)]
    return _SESSION[0]


@contextlib.contextmanager
def use_language(lang: str | None) -> Iterator[str]:
    """Within the block, texts are in ``lang`` (``None`` keeps the current language)."""
    if lang is None:
        yield language()
        return
    token = _CURRENT.set(check_language(lang))
    try:
        yield _CURRENT.get() or "en"
    finally:
        _CURRENT.reset(token)


@functools.cache
def catalogue(lang: str) -> dict[str, str]:
    """Every translated text of ``lang``: English source -> translation (fuzzy and empty
    entries left out, so they fall back to English)."""
    from babel.messages.pofile import read_po

    messages: dict[str, str] = {}
    folder = CATALOGUES / check_language(lang)
    for path in sorted(folder.glob("*.po")):
        with path.open("rb") as f:
            cat = read_po(f, locale=lang)
        for m in cat:
            if m.id and m.string and not m.fuzzy:
                messages[str(m.id)] = str(m.string)
    return messages


def tr(text: str, lang: str | None = None) -> str:
    """``text`` (an English text marked with ``N_``) in ``lang`` or the current language.
    A text without a translation stays English (an error in strict mode)."""
    code = check_language(lang) if lang is not None else language()
    if code == "en" or not text:
        return text
    found = catalogue(code).get(text)
    if found is None:
        if os.environ.get("M100_I18N_STRICT"):
            raise MissingTranslation(f"no {code} translation of {text[:80]!r}")
        return text
    return found


def _(text: str) -> str:
    """``text`` in the current language (a message built when it is shown)."""
    return tr(text)


def N_(text: str) -> str:
    """Mark ``text`` for translation where it is shown (:func:`tr`); returns it unchanged."""
    return text


def number(value: float, spec: str = ",.2f", lang: str | None = None) -> str:
    """``value`` formatted with a Python format ``spec`` in the language's notation: English
    "1,234.5", Romanian "1.234,5" (the decimal comma and the thousands dot)."""
    text = format(value, spec)
    code = check_language(lang) if lang is not None else language()
    if code == "ro":
        return romanian_number(text)
    return text


def romanian_number(text: str) -> str:
    """A number formatted the English way ("1,234.5", "0.701", "12.5%") written the
    Romanian way ("1.234,5", "0,701", "12,5%")."""
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")
