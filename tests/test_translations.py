"""The Romanian edition's message catalogues are complete and in step with the English pages.

``make book`` extracts the English pages' messages into ``book/_build/pot/_build/gettext``
(one ``.pot`` per page); each must have its catalogue in ``locales/ro/LC_MESSAGES`` with the
same messages, every one translated and none fuzzy. A translation keeps the MyST roles'
targets, the formulas and the code of its English message, and writes Romanian quotation
marks. (Comma-below ș and ț are checked with every other file in test_romanian_spelling.py.)
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
POT = ROOT / "book" / "_build" / "pot" / "_build" / "gettext"
LOCALE = ROOT / "locales" / "ro" / "LC_MESSAGES"
sys.path.insert(0, str(ROOT / "scripts"))
from po_tool import CODE, ROLE, problems  # noqa: E402


def _read(path: Path):
    with path.open("rb") as handle:
        return read_po(handle)


@pytest.fixture(scope="module")
def templates() -> dict[str, set[str]]:
    if not POT.is_dir():
        subprocess.run(["make", "book"], cwd=ROOT, check=True)
    found = {
        p.relative_to(POT).with_suffix("").as_posix(): {m.id for m in _read(p) if m.id}
        for p in sorted(POT.rglob("*.pot"))
    }
    assert len(found) >= 25, f"only {len(found)} message templates in {POT}"
    return found


def catalogues() -> dict[str, object]:
    return {
        p.relative_to(LOCALE).with_suffix("").as_posix(): _read(p) for p in LOCALE.rglob("*.po")
    }


def test_every_page_has_a_catalogue_with_its_messages(templates):
    po = catalogues()
    assert sorted(templates) == sorted(po), "pages and catalogues differ"
    drift = []
    for page, ids in templates.items():
        have = {m.id for m in po[page] if m.id}
        if have != ids:
            drift.append(f"{page}: {len(ids - have)} new, {len(have - ids)} obsolete")
    assert not drift, "run `make book-catalogues` and translate: " + "; ".join(drift)


def test_every_message_is_translated_and_none_is_fuzzy():
    left = []
    for page, catalog in catalogues().items():
        messages = [m for m in catalog if m.id]
        empty = sum(1 for m in messages if not m.string.strip())
        fuzzy = sum(1 for m in messages if m.fuzzy)
        if empty or fuzzy:
            left.append(f"{page}: {empty} untranslated, {fuzzy} fuzzy")
    assert not left, "; ".join(left)


def test_translations_keep_roles_formulas_and_code():
    bad = []
    for page, catalog in catalogues().items():
        for m in catalog:
            if m.id and m.string:
                for problem in problems(m.id, m.string):
                    bad.append(f"{page}: {m.id[:50]!r}: {problem}")
    assert not bad, "\n".join(bad[:20])


def test_romanian_quotation_marks():
    """Quoted words are „...” in Romanian: no English curly quotes and no straight double
    quotes outside code and roles."""
    bad = []
    for page, catalog in catalogues().items():
        for m in catalog:
            if not m.id or not m.string or m.string == m.id:
                continue
            prose = CODE.sub("", ROLE.sub("", m.string))
            prose = re.sub(r"\$[^$]+\$", "", prose)
            prose = re.sub(r"\]\([^)]*\)", "]", prose)  # link targets
            if "\u201c" in prose or '"' in prose:
                bad.append(f"{page}: {m.string[:70]!r}")
    assert not bad, "\n".join(bad[:20])


HTML = ROOT / "book" / "_build" / "html"
EXERCISE = re.compile(r"^`{3,}\{exercise\} (.+)$", re.M)


def test_exercise_titles_are_translated_on_the_built_pages(templates):
    """An ``{exercise} Title`` box (and the solution that names it) shows its title in the
    edition's language: sphinx-exercise builds the title without a source, which Sphinx
    neither extracts nor translates unless book/_ext/m100_book.py gives it one. The Romanian
    number reads "Exercițiul 3"."""
    import html as html_lib

    checked = 0
    for source in sorted((ROOT / "book").rglob("*.md")):
        if "_build" in source.parts:
            continue
        titles = EXERCISE.findall(source.read_text(encoding="utf-8"))
        if not titles:
            continue
        page = source.relative_to(ROOT).with_suffix("")
        po = {m.id: m.string for m in _read(LOCALE / page.with_suffix(".po"))}
        en, ro = (
            html_lib.unescape((HTML / edition / page.with_suffix(".html")).read_text("utf-8"))
            .replace("\u2019", "'")  # the English edition's smart quotes
            .replace("\u201c", '"')
            .replace("\u201d", '"')
            for edition in ("", "ro")
        )
        for number, title in enumerate(titles, start=1):
            assert po.get(title), f"{page}: {title!r} has no translation"
            assert f"Exercise {number} </span> ({title})" in en, (page, title)
            ro_title = po[title].replace("\u201d", '"')
            assert f"Exercițiul {number} </span> ({ro_title})" in ro, (page, title)
            assert f"Exercițiul {number} ({ro_title})" in ro, f"{page}: solution of {title!r}"
            assert f"({title})" not in ro, f"{page}: {title!r} left in English"
            checked += 1
    assert checked >= 28, checked


SWITCH = re.compile(r'<p class="m100-edition-switch"><a href="([^"]+)" hreflang="(en|ro)"')


def test_every_page_links_to_the_same_page_in_the_other_edition(templates):
    """Each page of each edition has one link to the other language's edition, and it leads
    to the same page there (which exists)."""
    editions = {"en": HTML, "ro": HTML / "ro"}
    checked = 0
    for lang, root in editions.items():
        other = "ro" if lang == "en" else "en"
        for page in sorted((root / "book").rglob("*.html")):
            if "_sources" in page.parts:
                continue
            links = SWITCH.findall(page.read_text(encoding="utf-8"))
            assert len(links) == 1, f"{page}: {len(links)} edition links"
            href, hreflang = links[0]
            assert hreflang == other, page
            target = (page.parent / href).resolve()
            assert target == (editions[other] / page.relative_to(root)).resolve(), page
            assert target.is_file(), target
            checked += 1
    assert checked >= 60, checked
