"""The keyword index (book/keywords.md) covers every hashtag of the CapaCITIES learning
portfolio's index, each with at least one link to a page of the book, and names only
glossary terms that exist.

The 48 hashtags are read from the portfolio itself (the seed text beside the repository,
``shared/seeds/capacities-2-learning-portfolio-2026.txt``, or the file named by
``M100_PORTFOLIO_TEXT``) when it is there; the list below is the same index, checked against
the seed whenever the seed can be read, so that the test also runs without it.
"""

from __future__ import annotations

import fnmatch
import os
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
SEED_NAME = "capacities-2-learning-portfolio-2026.txt"

# The portfolio's "Index of #Hashtags", in its order and spelling.
PORTFOLIO_HASHTAGS = [
    "#Adaptation", "#Administration", "#AlternativeFunding", "#BottomUp", "#Budget",
    "#CapacityBuilding", "#CitiesNeeds", "#Collaboration", "#Communications", "#Coordination",
    "#Emissions", "#Engagement", "#EUFunding", "#Financing", "#Fragmentation", "#GHG",
    "#Implementation", "#InformationExchange", "#Interdisciplinarity", "#KnowledgeExchange",
    "#LanguageBarrier", "#LocalChallenges", "#LocalCommunities", "#MRV",
    "#MultiLevelGovernance", "#NationalClimateSupport", "#NationalFramework",
    "#NationalFunding", "#NonEU", "#OnlineTools", "#Optimization", "#Participation",
    "#Partnership", "#Policy", "#PPP", "#PreAccession", "#Quantification", "#R&D",
    "#RegulatoryFrameworks", "#Regulations", "#RegionalCooperation", "#SettingClimateGoals",
    "#Stakeholders", "#Standardization", "#StreamlinedProcurement", "#Synergies", "#Targets",
    "#TopDown",
]  # fmt: skip

DOC = re.compile(r"\{doc\}`([^`]+)`")
TERM = re.compile(r"\{term\}`([^`]+)`")
ROW = re.compile(r"^\|\s*\*\*(#[^*]+)\*\*\s*\|(.*)\|(.*)\|\s*$")


def _seed() -> Path | None:
    """The portfolio's text, if it can be found."""
    candidates = [
        os.environ.get("M100_PORTFOLIO_TEXT"),
        ROOT.parent / "shared" / "seeds" / SEED_NAME,
        ROOT / "shared" / "seeds" / SEED_NAME,
    ]
    for c in candidates:
        if c and Path(c).is_file():
            return Path(c)
    return None


def hashtags_from_seed(text: str) -> list[str]:
    """The hashtags of the portfolio's index: the lines between its heading and the next
    section, one hashtag at the start of each (some followed by an expansion in brackets,
    such as ``#GHG (*Greenhouse Gases*)``)."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == "Index of #Hashtags")
    tags = []
    for line in lines[start + 1 :]:
        if line.strip().upper().startswith("HOW TO DEFINE"):
            break
        m = re.match(r"\s*(#[A-Za-z&]+)", line)
        if m:
            tags.append(m.group(1))
    return tags


def portfolio_hashtags() -> list[str]:
    seed = _seed()
    if seed is None:
        return PORTFOLIO_HASHTAGS
    return hashtags_from_seed(seed.read_text(encoding="utf-8"))


def index_rows() -> dict[str, tuple[str, str]]:
    """Hashtag -> (pages cell, glossary cell) of the keyword page's table."""
    rows: dict[str, tuple[str, str]] = {}
    for line in (BOOK / "keywords.md").read_text(encoding="utf-8").splitlines():
        m = ROW.match(line)
        if m:
            tag = m.group(1).strip()
            assert tag not in rows, f"{tag} has two rows in book/keywords.md"
            rows[tag] = (m.group(2), m.group(3))
    return rows


def toc_documents() -> tuple[set[str], list[str]]:
    """The documents of _toc.yml (without suffix) and its glob patterns."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    files: set[str] = {toc["root"]}
    globs: list[str] = []

    def walk(entries: list[dict]) -> None:
        for e in entries:
            if "file" in e:
                files.add(e["file"])
            if "glob" in e:
                globs.append(e["glob"])
            for key in ("sections", "chapters"):
                walk(e.get(key, []))

    for part in toc.get("parts", []):
        walk(part.get("chapters", []))
    return files, globs


def doc_target(role_text: str) -> str:
    """The document a ``{doc}`` role in book/keywords.md points to, from the repository root
    (``text <target>`` or ``target``; relative to book/, or absolute from the root)."""
    m = re.search(r"<([^>]+)>\s*$", role_text)
    target = (m.group(1) if m else role_text).strip()
    if target.startswith("/"):
        return target.lstrip("/")
    return os.path.normpath(f"book/{target}").replace(os.sep, "/")


def in_toc(doc: str) -> bool:
    files, globs = toc_documents()
    source = [s for s in (ROOT / f"{doc}.md", ROOT / f"{doc}.ipynb") if s.is_file()]
    return bool(source) and (doc in files or any(fnmatch.fnmatch(doc, g) for g in globs))


def glossary_terms() -> set[str]:
    """The glossary's terms, lower case (Sphinx matches terms without regard to case)."""
    text = (BOOK / "glossary.md").read_text(encoding="utf-8")
    block = text.split("```{glossary}", 1)[1].split("```", 1)[0]
    return {
        line.strip().lower()
        for line in block.splitlines()
        if line.strip() and not line[0].isspace() and not line.startswith(":")
    }


def test_the_seed_index_has_48_hashtags() -> None:
    seed = _seed()
    if seed is None:
        pytest.skip("the portfolio's text is not beside the repository; using the copy above")
    tags = hashtags_from_seed(seed.read_text(encoding="utf-8"))
    assert len(tags) == 48
    assert tags == PORTFOLIO_HASHTAGS


@pytest.mark.parametrize("tag", portfolio_hashtags())
def test_every_portfolio_hashtag_has_a_row_with_a_working_page_link(tag: str) -> None:
    rows = index_rows()
    assert tag in rows, f"{tag} (portfolio index) has no row in book/keywords.md"
    links = [doc_target(t) for t in DOC.findall(rows[tag][0])]
    assert links, f"{tag}: no {{doc}} link in its pages column"
    assert any(in_toc(d) for d in links), f"{tag}: none of {links} is a page of _toc.yml"


def test_every_page_link_of_the_index_is_in_the_toc() -> None:
    text = (BOOK / "keywords.md").read_text(encoding="utf-8")
    bad = [d for d in map(doc_target, DOC.findall(text)) if not in_toc(d)]
    assert bad == []


def test_every_term_of_the_index_is_in_the_glossary() -> None:
    terms = glossary_terms()
    assert len(terms) > 50
    text = (BOOK / "keywords.md").read_text(encoding="utf-8")
    used = [re.sub(r"^.*<([^>]+)>\s*$", r"\1", t).strip() for t in TERM.findall(text)]
    assert used
    missing = sorted({t for t in used if t.lower() not in terms})
    assert missing == []


def test_the_hashtags_keep_the_portfolios_spelling() -> None:
    rows = index_rows()
    by_lower = {t.lower(): t for t in rows}
    for tag in portfolio_hashtags():
        assert by_lower.get(tag.lower()) == tag, f"{tag} spelt differently in the index"
