"""Printable handouts: a built module page prints to a PDF of several pages, offline, in
every built edition (scripts/handouts.py with Debian's Chromium)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
import handouts  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def built() -> dict[str, Path]:
    if not (handouts.HTML / "index.html").exists():
        subprocess.run(["make", "book"], cwd=ROOT, check=True)
    return {
        lang: root for lang, root in handouts.EDITIONS.items() if (root / "index.html").exists()
    }


def test_every_handout_page_exists_in_every_built_edition(built):
    missing = [
        f"{lang}: {page}"
        for lang, root in built.items()
        for page in handouts.PAGES
        if not (root / f"{page}.html").exists()
    ]
    assert not missing


def test_a_module_prints_to_a_pdf_of_several_pages(built, tmp_path):
    for lang, root in built.items():
        pdf = tmp_path / lang / "cpd-05_circular.pdf"
        pages = handouts.print_page(root / "book" / "cpd" / "05_circular.html", pdf)
        data = pdf.read_bytes()
        assert data.startswith(b"%PDF")
        assert pages == len(re.findall(rb"/Type\s*/Page[^s]", data))
        # The module is several screens long: a one-page PDF would mean an empty print.
        assert pages >= 5, f"{lang}: {pages} pages"
        assert not pdf.with_suffix(".pdf.part").exists()
