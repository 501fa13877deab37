"""Romanian is written with comma-below ș and ț (and Ș, Ț), never the cedilla forms ş, ţ
that older fonts and keyboards produce, nor BibTeX's ``\\c{s}`` / ``\\c{t}`` (which render
as cedillas), in every file a learner or a generated page can show."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CEDILLA = re.compile(r"[\u015e\u015f\u0162\u0163]|\\c\{?\s*[sStT]\}?")
SUFFIXES = {".md", ".bib", ".py", ".ipynb", ".csv", ".yml", ".yaml", ".txt", ".cfg", ".po"}
FOLDERS = ["book", "data", "exercises", "locales", "m100model", "notebooks", "scripts"]


def test_no_cedilla_forms_of_s_and_t() -> None:
    files = [
        f
        for folder in FOLDERS
        for f in (ROOT / folder).rglob("*")
        if f.suffix in SUFFIXES and "_build" not in f.parts
    ]
    files += [ROOT / "README.md", ROOT / "_config.yml", ROOT / "_toc.yml"]
    assert len(files) > 100
    bad = []
    for f in files:
        for n, line in enumerate(f.read_text(encoding="utf-8").splitlines(), 1):
            if CEDILLA.search(line) and f.name != Path(__file__).name:
                bad.append(f"{f.relative_to(ROOT)}:{n}: {CEDILLA.search(line).group()!r}")
    assert bad == []
