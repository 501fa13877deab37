"""The glossary's Romanian – English index, written from the glossary's own entries.

``book/glossary.md`` gives every term of the course in English with its Romanian (``**RO:**
*...*``). Its last section lists the Romanian terms in Romanian alphabetical order, each
with a link to the English entry that explains it, so that a reader who knows only the
Romanian term (*audit energetic*, CPE, SACET) finds the entry. This script writes that table
(and the count of terms at the top of the page) from the entries, so the two directions
cannot drift apart::

    python scripts/glossary_index.py          # rewrite the index in book/glossary.md
    python scripts/glossary_index.py --check  # exit 1 if it is out of step with the entries

Romanian alphabetical order: a ă â b c d e f g h i î j k l m n o p q r s ș t ț u v w x y z
(so ă after a, â after ă, î after i, ș after s, ț after t), digits before letters, case and
punctuation ignored, a space before any letter (*an de referință* before *analiză*). A term
whose Romanian is an acronym with its expansion, or the other way round (*certificat de
performanță energetică (CPE)*, *PNRR (Planul Național de Redresare și Reziliență)*), is listed
both ways (also as *CPE (certificat de performanță energetică)*), so it is found by its
acronym as well as by its words. ``tests/test_glossary.py`` checks the page is in step.
"""

from __future__ import annotations

import argparse
import re
import sys
import unicodedata
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GLOSSARY = ROOT / "book" / "glossary.md"

ALPHABET = "aăâbcdefghiîjklmnopqrsștțuvwxyz"
"""The Romanian alphabet in its order (q, w, x, y only in loanwords)."""

BEGIN = "% BEGIN romanian-english-index: written by scripts/glossary_index.py, do not edit"
END = "% END romanian-english-index"
HEADER = "| Romanian term | English entry |\n|---|---|"
COUNT = re.compile(r"The glossary holds (\d+) terms")
BLOCK = re.compile(r"^```\{glossary\}\n(.*?)^```$", re.MULTILINE | re.DOTALL)
RO = re.compile(r"^\*\*RO:\*\* \*(.+?)\*\.(?: |$)")


def entries(text: str) -> list[tuple[str, str]]:
    """(English term, Romanian term) of every entry of the page's glossary, in its order."""
    block = BLOCK.search(text)
    if block is None:
        raise ValueError("book/glossary.md: no {glossary} directive")
    found: list[tuple[str, str]] = []
    term = None
    for line in block.group(1).splitlines():
        if not line.strip() or line.startswith(":"):
            continue
        if not line[0].isspace():
            term = line.strip()
            continue
        if term is None:
            raise ValueError(f"book/glossary.md: a definition with no term: {line[:60]!r}")
        ro = RO.match(line.strip())
        if ro is None:
            raise ValueError(
                f"book/glossary.md: {term}: the definition does not start **RO:** *...*."
            )
        found.append((term, ro.group(1)))
        term = None
    return found


def is_acronym(text: str) -> bool:
    """An acronym such as CPE, EU ETS, CO2e, nZEB, M100 or BASIC+ (not scope 1, not C)."""
    if not re.fullmatch(r"[A-Za-z0-9+]+(?: [A-Za-z0-9+]+)*", text):
        return False
    if re.search(r"[a-z]{2}", text):  # a word in lower case
        return False
    return sum(c.isupper() or c.isdigit() for c in text) >= 2 and any(c.isupper() for c in text)


def romanian_forms(romanian: str) -> list[str]:
    """How a Romanian term is looked up: as written, and, for an acronym with its expansion
    (either way round), also the other way round."""
    forms = [romanian]
    pair = re.fullmatch(r"(.+?) \(([^()]+)\)", romanian)
    if pair:
        outer, inner = pair.groups()
        if is_acronym(inner) != is_acronym(outer):
            forms.append(f"{inner} ({outer})")
    return forms


def collation_key(text: str) -> tuple:
    """Sort key in Romanian alphabetical order (see the module's documentation)."""
    key = []
    for ch in text.lower():
        if ch in ALPHABET:
            key.append((2, ALPHABET.index(ch)))
        elif ch.isdigit():
            key.append((1, int(ch)))
        elif ch.isspace():
            if key and key[-1] != (0, 0):
                key.append((0, 0))
        elif ch.isalpha():  # a letter from another language: as its base letter
            base = unicodedata.normalize("NFD", ch)[0]
            if base in ALPHABET:
                key.append((2, ALPHABET.index(base)))
    return (tuple(key), text.lower(), text)


def index_rows(found: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """(Romanian form, English term), in Romanian alphabetical order."""
    rows = {(form, english) for english, romanian in found for form in romanian_forms(romanian)}
    return sorted(rows, key=lambda row: (collation_key(row[0]), row[1].lower()))


def table(found: list[tuple[str, str]]) -> str:
    lines = [HEADER]
    for romanian, english in index_rows(found):
        lines.append(f"| *{romanian}* | {{term}}`{english}` |")
    return "\n".join(lines)


def render(text: str) -> str:
    """The page with its index and its count of terms written from its entries."""
    found = entries(text)
    if COUNT.search(text) is None:
        raise ValueError("book/glossary.md: no sentence 'The glossary holds N terms'")
    text = COUNT.sub(f"The glossary holds {len(found)} terms", text, count=1)
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        raise ValueError(f"book/glossary.md: no index between {BEGIN!r} and {END!r}")
    return text[: start + len(BEGIN)] + "\n\n" + table(found) + "\n\n" + text[end:]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args(argv)
    text = GLOSSARY.read_text(encoding="utf-8")
    new = render(text)
    if args.check:
        if new != text:
            print("out of date: run python scripts/glossary_index.py")
            return 1
        return 0
    if new != text:
        GLOSSARY.write_text(new, encoding="utf-8")
        print(f"wrote {GLOSSARY.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
