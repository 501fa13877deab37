"""Printable handouts: each module page of the built book as a PDF, per language edition.

For workshops without laptops. Debian's Chromium (the one the book's browser test uses)
prints each built page offline (``--print-to-pdf``), after its formulas and charts are
drawn; the theme's print style drops the navigation. Run after ``make book`` (and
``make book-ro`` for the Romanian edition)::

    python scripts/handouts.py                      # every module, every built edition
    python scripts/handouts.py --pages book/cpd/05_circular --out /tmp/h

Writes ``book/_build/handouts/<language>/<page>.pdf`` (``cpd-01_mobility.pdf``, ...).
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HTML = ROOT / "book" / "_build" / "html"
# Where each edition's pages are in the build.
EDITIONS = {"en": HTML, "ro": HTML / "ro"}
# The pages a trainer hands out: the six CPD modules, the units of the MRV module and the
# workshop material.
PAGES = [
    *(
        f"book/cpd/0{n}_{name}"
        for n, name in enumerate(
            ["mobility", "built_environment", "energy", "nature_based", "circular", "governance"],
            start=1,
        )
    ),
    "book/mrv/index",
    "book/mrv/01_frameworks",
    "book/mrv/02_emission_profile",
    "book/mrv/03_targets_timeframes",
    "book/mrv/04_achievements",
    "book/mrv/05_accounting_training",
    "book/mrv/06_validation",
    "book/mrv/07_monitoring",
    "book/workshop/role_cards",
    "book/workshop/agendas",
    "book/workshop/facilitator_guide",
    "book/workshop/transition_lab",
    "book/glossary",
]
PAGE_TIMEOUT_S = 120


def chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    raise SystemExit("Chromium is missing: run `make chromium` (Debian's chromium package)")


def print_page(html: Path, pdf: Path) -> int:
    """Print one built page to ``pdf``; the number of PDF pages."""
    pdf.parent.mkdir(parents=True, exist_ok=True)
    tmp = pdf.with_suffix(".pdf.part")
    command = [
        chromium(),
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--no-pdf-header-footer",
        # Let MathJax and the Vega charts draw before printing.
        "--virtual-time-budget=15000",
        "--run-all-compositor-stages-before-draw",
        f"--print-to-pdf={tmp}",
        html.as_uri(),
    ]
    subprocess.run(command, check=True, capture_output=True, timeout=PAGE_TIMEOUT_S)
    data = tmp.read_bytes()
    if not data.startswith(b"%PDF"):
        raise SystemExit(f"{html}: Chromium wrote no PDF")
    tmp.replace(pdf)
    return len(re.findall(rb"/Type\s*/Page[^s]", data))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--pages", nargs="*", default=PAGES, help="pages, e.g. book/cpd/05_circular"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "book" / "_build" / "handouts")
    args = parser.parse_args()
    built = {lang: root for lang, root in EDITIONS.items() if (root / "index.html").exists()}
    if not built:
        raise SystemExit(f"no built book in {HTML}: run `make book` first")
    for lang, root in built.items():
        for page in args.pages:
            html = root / f"{page}.html"
            if not html.exists():
                raise SystemExit(f"{html}: no such page in the {lang} edition")
            name = page.removeprefix("book/").replace("/", "-") + ".pdf"
            pages = print_page(html, args.out / lang / name)
            print(f"{lang}/{name}: {pages} pages", file=sys.stdout)


if __name__ == "__main__":
    main()
