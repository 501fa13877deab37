"""The glossary in both directions: every entry of ``book/glossary.md`` gives its Romanian term,
and the page's Romanian – English index is the one ``scripts/glossary_index.py`` writes from
those entries today (so the two directions cannot drift), in Romanian alphabetical order, with
the terms Romanian professionals look for."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GLOSSARY = ROOT / "book" / "glossary.md"


def _tool():
    spec = importlib.util.spec_from_file_location(
        "glossary_index", ROOT / "scripts" / "glossary_index.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


TOOL = _tool()
TEXT = GLOSSARY.read_text(encoding="utf-8")


def test_every_entry_has_its_romanian_term():
    found = TOOL.entries(TEXT)  # fails on an entry without **RO:** *...*.
    assert len(found) >= 129
    english = [e for e, _ro in found]
    assert len(set(english)) == len(english), "a term has two entries"


def test_the_index_and_the_count_are_in_step_with_the_entries():
    assert TOOL.render(TEXT) == TEXT, "run python scripts/glossary_index.py"
    assert f"The glossary holds {len(TOOL.entries(TEXT))} terms" in TEXT


def test_the_index_links_every_entry():
    linked = {english for _ro, english in TOOL.index_rows(TOOL.entries(TEXT))}
    assert linked == {english for english, _ro in TOOL.entries(TEXT)}
    for english in linked:
        assert f"{{term}}`{english}`" in TEXT.split(TOOL.BEGIN)[1]


@pytest.mark.parametrize(
    "term", ["nZEB", "CPE", "audit energetic", "SACET", "PUG", "PUZ", "SIDU", "PMUD", "PAEDC"]
)
def test_the_index_has_the_terms_professionals_use(term):
    """Each is found where it sorts, by the word or acronym a Romanian professional uses."""
    forms = [ro for ro, _english in TOOL.index_rows(TOOL.entries(TEXT))]
    assert any(f == term or f.startswith(term + " ") for f in forms), term


def test_romanian_alphabetical_order():
    words = ["ac", "ăb", "âa", "ba", "ia", "iz", "îa", "ja", "sz", "șa", "ta", "tz", "ța", "ua"]
    assert sorted(reversed(words), key=TOOL.collation_key) == words
    # Case and punctuation do not count; a space comes before any letter; digits first.
    assert sorted(["Analiză", "an de referință"], key=TOOL.collation_key) == [
        "an de referință",
        "Analiză",
    ]
    assert sorted(["oraș-burete", "oraș oglindă"], key=TOOL.collation_key) == [
        "oraș oglindă",
        "oraș-burete",
    ]
    assert sorted(["cofinanțare", "CO2e"], key=TOOL.collation_key) == ["CO2e", "cofinanțare"]


def test_acronyms_are_listed_both_ways():
    assert TOOL.romanian_forms("certificat de performanță energetică (CPE)") == [
        "certificat de performanță energetică (CPE)",
        "CPE (certificat de performanță energetică)",
    ]
    assert TOOL.romanian_forms("GPC (Protocolul GES pentru orașe)")[1] == (
        "Protocolul GES pentru orașe (GPC)"
    )
    # Not an acronym: an English word in brackets, a single letter, a year after the bracket.
    for term in ("domeniul 1 (scope 1)", "confidențial (C)", "Program Regional (PR) 2021–2027"):
        assert TOOL.romanian_forms(term) == [term]
