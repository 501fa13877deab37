"""What a learner reads in the built book: no missing values in tables, numbering that
starts on each page and agrees with the text.

Reads ``book/_build/html`` (``make test`` builds it first; run alone, the test builds it the
same way when it is missing). Pure HTML parsing, no browser.
"""

from __future__ import annotations

import re
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "book" / "_build" / "html"
# What pandas writes for a missing value when a table is not formatted for people.
MISSING = {"nan", "NaN", "None", "<NA>", "NaT", "inf", "-inf"}


@pytest.fixture(scope="module")
def pages() -> dict[str, str]:
    if not (HTML / "index.html").exists():
        subprocess.run(["make", "book"], cwd=ROOT, check=True)
    found = {
        p.relative_to(HTML).as_posix(): p.read_text(encoding="utf-8")
        for p in sorted(HTML.rglob("*.html"))
        if not any(part.startswith("_") for part in p.relative_to(HTML).parts)
        and p.name not in {"genindex.html", "search.html"}
    }
    assert len(found) > 20, f"only {len(found)} pages in {HTML}"
    return found


class _Cells(HTMLParser):
    """The text of every table cell of a page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.cells: list[str] = []
        self._depth = 0
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in {"td", "th"}:
            self._depth += 1
            self._text = []

    def handle_endtag(self, tag):
        if tag in {"td", "th"} and self._depth:
            self._depth -= 1
            self.cells.append("".join(self._text).strip())

    def handle_data(self, data):
        if self._depth:
            self._text.append(data)


def _main_text(html: str) -> str:
    """The article's text (tags removed), without the navigation around it."""
    start = html.find('<article class="bd-article">')
    end = html.find("</article>", start)
    body = html[start:end] if start >= 0 else html
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    text = re.sub(r"<[^>]+>", " ", body)
    return re.sub(r"\s+", " ", text)


def test_no_missing_value_is_shown_in_a_table(pages):
    shown = []
    for name, html in pages.items():
        parser = _Cells()
        parser.feed(html)
        bad = sorted({cell for cell in parser.cells if cell in MISSING})
        if bad:
            shown.append(f"{name}: {bad}")
    assert not shown, "tables show missing values as text: " + "; ".join(shown)


def test_equations_are_numbered_from_one_on_every_page(pages):
    wrong = []
    for name, html in pages.items():
        numbers = [int(n) for n in re.findall(r'class="eqno">\((\d+)\)', html)]
        if numbers and numbers != list(range(1, len(numbers) + 1)):
            wrong.append(f"{name}: {numbers}")
    assert not wrong, "equation numbers do not run 1, 2, 3 ... on the page: " + "; ".join(wrong)


def _exercise_numbers(html: str) -> list[int]:
    return [
        int(n)
        for n in re.findall(
            r'<p class="admonition-title"><span class="caption-number">'
            r"(?:Exercise|Exercițiul) (\d+) </span>",
            html,
        )
    ]


def test_exercises_are_numbered_from_one_on_every_page(pages):
    wrong = []
    for name, html in pages.items():
        numbers = _exercise_numbers(html)
        if numbers and numbers != list(range(1, len(numbers) + 1)):
            wrong.append(f"{name}: {numbers}")
    assert not wrong, "exercise numbers do not run 1, 2, 3 ... on the page: " + "; ".join(wrong)


def test_the_text_names_only_exercises_the_page_has(pages):
    """'Exercise 2', 'exercises 1 and 2', 'Exercises 1-3' in a page's text (its facilitator
    notes, its solutions) must point at an exercise that page numbers."""
    wrong = []
    # "Exercise 2", "exercises 1 and 2"; not "a transition-lab exercise 9 h" (a duration).
    mention = re.compile(
        r"\b(?:[Ee]xercises?|[Ee]xercițiu(?:l|lui)?|[Ee]xercițiile(?:lor)?) (\d+)"
        r"(?:\s*(?:and|și|to|-|–|,)\s*(\d+))?(?!\d|[.,]\d|\s*(?:h\b|hours?|min|ore|de ore))"
    )
    for name, html in pages.items():
        count = len(_exercise_numbers(html))
        text = _main_text(html)
        for match in mention.finditer(text):
            cited = [int(g) for g in match.groups() if g]
            if count == 0 or max(cited) > count:
                wrong.append(f"{name}: '{match.group(0)}' but the page has {count} exercises")
    assert not wrong, "; ".join(wrong)


def test_the_exercise_pages_name_exercises_by_their_id(pages):
    """book/exercises.md heads each exercise with its id (ghg-1 ...); the directive itself is
    unnumbered so that no second, different number appears next to the id."""
    html = pages["book/exercises.html"]
    assert _exercise_numbers(html) == []
    ids = re.findall(r'<div class="exercise admonition" id="ex-([a-z]+-\d+)"', html)
    assert len(ids) >= 20 and "ghg-1" in ids


def _glance_hours(page: Path) -> tuple[float, float, float, float]:
    """(total, reading, worked, facilitated) from a module page's "At a glance" box."""
    text = re.sub(r"\s+", " ", page.read_text(encoding="utf-8"))
    match = re.search(r"\*\*CPD hours:\*\* ([\d.]+) \((.*?)\)\.", text)
    assert match, f"{page.name}: no 'CPD hours' line in its At a glance box"
    parts = [float(x) for x in re.findall(r"([\d.]+) h\b", match.group(2))]
    assert len(parts) == 3, f"{page.name}: expected reading, exercises and session hours"
    return (float(match.group(1)), *parts)


def test_the_curriculum_table_gives_each_module_the_hours_of_its_page():
    """book/cpd/index.md's hours table must repeat each module's At a glance box, and its
    totals must add up."""
    index = (ROOT / "book" / "cpd" / "index.md").read_text(encoding="utf-8")
    rows = re.findall(
        r"^\| (\d)\. [^|]+\| ([\d.]+) \| ([\d.]+) \| ([\d.]+) \| ([\d.]+) \|$", index, re.M
    )
    assert len(rows) == 6
    sums = [0.0] * 4
    for number, *hours in rows:
        page = next((ROOT / "book" / "cpd").glob(f"0{number}_*.md"))
        total, reading, worked, session = _glance_hours(page)
        table = [float(h) for h in hours]
        assert table == [reading, worked, session, total], f"module {number}: {table}"
        assert reading + worked + session == pytest.approx(total), page.name
        sums = [a + b for a, b in zip(sums, table, strict=True)]
    total_row = re.search(
        r"\| \*\*Total\*\* \| \*\*([\d.]+)\*\* \| \*\*([\d.]+)\*\* \| "
        r"\*\*([\d.]+)\*\* \| \*\*([\d.]+)\*\* \|",
        index,
    )
    assert total_row and [float(x) for x in total_row.groups()] == pytest.approx(sums)
    assert f"Full course ({sums[3]:g} h)" in index
    # The table of the six modules repeats each module's hours and their total.
    modules = re.findall(r"^\| \{doc\}`(\d)\. [^|]+\|[^|]+\|[^|]+\| ([\d.]+) \|$", index, re.M)
    assert len(modules) == 6
    for number, hours in modules:
        page = next((ROOT / "book" / "cpd").glob(f"0{number}_*.md"))
        assert float(hours) == _glance_hours(page)[0], f"module {number} in the modules table"
    total = re.search(r"^\| \| \| \*\*Total\*\* \| \*\*([\d.]+)\*\* \|$", index, re.M)
    assert total and float(total.group(1)) == pytest.approx(sums[3])


class _Tables(HTMLParser):
    """Each table of a page as (caption, header cells)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[tuple[str, list[str]]] = []
        self._in: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append(("", []))
        elif tag in {"th", "caption"} and self.tables:
            self._in, self._text = tag, []

    def handle_endtag(self, tag):
        if tag == self._in and self.tables:
            text = " ".join("".join(self._text).split())
            _caption, headers = self.tables[-1]
            if tag == "caption":
                self.tables[-1] = (text, headers)
            else:
                headers.append(text)
            self._in = None

    def handle_data(self, data):
        if self._in:
            self._text.append(data)


def test_tables_name_their_columns_for_people(pages):
    """No internal column name (snake_case such as ``emissions_t`` or ``city_name``) heads a
    table a learner reads, except a table whose caption says it shows a file format, where
    the names are the lesson (in the Romanian edition the caption says „formatul fișierului”)."""
    internal = re.compile(r"^[a-z0-9]+(?:_[a-z0-9]+)+$")
    found = []
    for name, html in pages.items():
        parser = _Tables()
        parser.feed(html)
        for caption, headers in parser.tables:
            if re.search(r"file format|formatul(?:ui)? fișierului", caption.lower()):
                continue
            bad = sorted({h for h in headers if internal.match(h)})
            if bad:
                found.append(f"{name}: {bad}")
    assert not found, "tables headed by internal names: " + "; ".join(found)


class _Blocks(HTMLParser):
    """The text of each paragraph, list item and table cell of a page, in order."""

    BLOCKS = ("p", "li", "td", "th")

    def __init__(self) -> None:
        super().__init__()
        self.blocks: list[str] = []
        self._open: list[list[str]] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.BLOCKS:
            self._open.append([])

    def handle_endtag(self, tag):
        if tag in self.BLOCKS and self._open:
            self.blocks.append(" ".join(" ".join(self._open.pop()).split()))

    def handle_data(self, data):
        for block in self._open:  # an item's text includes its nested paragraphs
            block.append(data)


SUCEAVA_TARGET = re.compile(
    r"(\d+)\s*%\s*(?:cut\s+)?(?:below|sub nivelul din)\s+2021\s+(?:by|până în)\s+(20\d\d)"
)


def test_suceava_targets_other_than_the_contracts_are_called_teaching_targets(pages):
    """Suceava's Climate City Contract aims at about 80% below 2021 by 2030. Any other target
    the book sets for Suceava (a workshop's, an exercise's, a module's) says it is a teaching
    target, in the same paragraph, in both editions: a learner must never read two different
    targets as the city's. A target counts as Suceava's when its paragraph, or the one before
    it (a list's previous item), names Suceava."""
    bad = []
    for name, html in pages.items():
        parser = _Blocks()
        parser.feed(html)
        previous = ""
        for block in parser.blocks:
            if "Suceava" in block or "Suceava" in previous:
                for m in SUCEAVA_TARGET.finditer(block):
                    contract = m.group(2) == "2030" and int(m.group(1)) == 80
                    labelled = "teaching target" in block or "țintă didactică" in block
                    if not (contract or labelled):
                        bad.append(f"{name}: {m.group(0)!r} in {block[:80]!r}")
            previous = block
    assert not bad, "Suceava targets not called teaching targets:\n" + "\n".join(bad)
