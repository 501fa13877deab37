"""The book's diagrams (``book/_static/figures/*.svg``) are self-contained, accessible SVG:
each parses as XML, has a ``<title>`` and a ``<desc>`` for screen readers, loads nothing from
outside (no http(s) link, no ``@import``, no script), names only generic font families (so it
never asks the reader's browser for a font it may not have, nor a web font), holds its words as
real SVG text, and is used by at least one page of the book. The three figures drawn by
``scripts/make_figures.py`` must also be exactly what the script draws today.

Each figure has its Romanian copy, ``<name>.ro.svg`` beside it, which the Romanian edition
shows in its place (Sphinx's ``figure_language_filename``): written by the same script from the
catalogue ``m100model/locales/ro/scripts.make_figures.po``, with every text in Romanian (the
script runs in strict mode: a text with no translation stops it), and held to the same checks."""

from __future__ import annotations

import importlib.util
import re
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIGURES_DIR = ROOT / "book" / "_static" / "figures"
SVG_NS = "{http://www.w3.org/2000/svg}"
FIGURES = sorted(FIGURES_DIR.glob("*.svg"))
GENERIC_FAMILIES = {
    "serif",
    "sans-serif",
    "monospace",
    "cursive",
    "fantasy",
    "system-ui",
    "ui-serif",
    "ui-sans-serif",
    "ui-monospace",
    "ui-rounded",
    "math",
    "emoji",
    "fangsong",
}
# A {figure} directive, backtick or colon fenced, and its path argument.
FIGURE_DIRECTIVE = re.compile(r"^\s*(?:`{3,}|:{3,})\{figure\}\s+(\S+)", re.MULTILINE)
EXTERNAL = re.compile(r"^\s*(?:[a-z][a-z0-9+.-]*:|//)", re.IGNORECASE)  # a scheme or //host


def _local(tag: str) -> str:
    """An element or attribute name without its namespace."""
    return tag.rsplit("}", 1)[-1]


def _tree(path: Path) -> ET.Element:
    return ET.parse(path).getroot()


def _styles(root: ET.Element) -> list[str]:
    """All CSS the file holds: <style> elements and style="" attributes."""
    css = [el.text or "" for el in root.iter() if _local(el.tag) == "style"]
    css += [el.attrib["style"] for el in root.iter() if "style" in el.attrib]
    return css


DRAWN = {"gpc_scopes.svg", "ccc_structure.svg", "bundling_flow.svg"}
TRANSLATED = DRAWN | {"renovation_section.svg"}


def _ro(name: str) -> str:
    """``gpc_scopes.svg`` -> ``gpc_scopes.ro.svg``: Sphinx's ``{root}.{language}{ext}``."""
    return name.removesuffix(".svg") + ".ro.svg"


def test_the_figures_exist() -> None:
    names = {f.name for f in FIGURES}
    assert names >= DRAWN
    assert {_ro(n) for n in TRANSLATED} <= names, "a figure has no Romanian copy"


@pytest.mark.parametrize("path", FIGURES, ids=lambda p: p.name)
def test_svg_parses_and_is_accessible(path: Path) -> None:
    root = _tree(path)
    assert root.tag == f"{SVG_NS}svg", f"{path.name}: the root is {root.tag}, not an SVG element"
    assert "viewBox" in root.attrib, f"{path.name}: no viewBox, so it cannot scale to the page"
    for part in ("title", "desc"):
        found = [el for el in root if el.tag == f"{SVG_NS}{part}"]
        assert found, f"{path.name}: no <{part}> child of <svg>"
        assert (found[0].text or "").strip(), f"{path.name}: the <{part}> is empty"
    texts = [el for el in root.iter() if el.tag == f"{SVG_NS}text"]
    assert texts, f"{path.name}: no <text>: labels must be real text, not outlines"


@pytest.mark.parametrize("path", FIGURES, ids=lambda p: p.name)
def test_svg_loads_nothing_from_outside(path: Path) -> None:
    root = _tree(path)
    bad = []
    for el in root.iter():
        name = _local(el.tag)
        if name in {"script", "foreignObject"}:
            bad.append(f"<{name}>")
        for attr, value in el.attrib.items():
            a = _local(attr)
            if a in {"href", "src"} and EXTERNAL.match(value) and not value.startswith("#"):
                bad.append(f"<{name} {a}={value!r}>")
            if a.lower().startswith("on"):
                bad.append(f"<{name} {a}=...> (an event handler is a script)")
    for css in _styles(root):
        if "@import" in css or "@font-face" in css:
            bad.append(f"CSS {css[:60]!r}")
        bad += [
            f"CSS url({u})"
            for u in re.findall(r"url\(\s*['\"]?([^'\")]+)", css)
            if EXTERNAL.match(u)
        ]
    assert bad == [], f"{path.name} refers outside itself: {bad}"


@pytest.mark.parametrize("path", FIGURES, ids=lambda p: p.name)
def test_svg_uses_only_generic_font_families(path: Path) -> None:
    root = _tree(path)
    declared = [el.attrib["font-family"] for el in root.iter() if "font-family" in el.attrib]
    for css in _styles(root):
        declared += re.findall(r"font-family\s*:\s*([^;}]+)", css)
        for shorthand in re.findall(r"(?<![-\w])font\s*:\s*([^;}]+)", css):
            # font: [style weight] size[/line-height] family, ...: the families come last.
            family = re.search(r"\d[\d.]*[a-z%]*(?:\s*/\s*\S+)?\s+(.+)$", shorthand.strip())
            declared.append(family.group(1) if family else shorthand)
    families = {f.strip().strip("'\"").lower() for value in declared for f in value.split(",")}
    named = sorted(families - GENERIC_FAMILIES)
    assert named == [], f"{path.name} names fonts the reader may not have: {named}"


def _figure_paths() -> set[Path]:
    """Every file a {figure} directive of the book points at, resolved."""
    used = set()
    for page in (ROOT / "book").rglob("*.md"):
        if "_build" in page.parts:
            continue
        for target in FIGURE_DIRECTIVE.findall(page.read_text(encoding="utf-8")):
            # Sphinx reads a path starting with / from the source folder (the repository root
            # here, see _config.yml), any other from the page's folder.
            base = ROOT if target.startswith("/") else page.parent
            used.add((base / target.lstrip("/")).resolve())
    return used


@pytest.mark.parametrize("path", FIGURES, ids=lambda p: p.name)
def test_svg_is_used_by_a_book_page(path: Path) -> None:
    # A translation (name.ro.svg) is shown in place of its English file (name.svg).
    english = path.with_name(re.sub(r"\.[a-z]{2}\.svg$", ".svg", path.name))
    assert english.exists(), f"{path.name} has no English file {english.name}"
    assert english.resolve() in _figure_paths(), (
        f"{english.name} is not shown by any {{figure}} directive in book/**/*.md"
    )


def test_the_romanian_edition_picks_the_romanian_figures() -> None:
    """Sphinx shows ``name.ro.svg`` in place of ``name.svg`` in the Romanian edition as long
    as neither configuration changes ``figure_language_filename`` (its default is
    ``{root}.{language}{ext}``)."""
    spec = importlib.util.spec_from_file_location(
        "book_edition", ROOT / "scripts" / "book_edition.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for lang in ("en", "ro"):
        config = module.edition_config(lang)["sphinx"]["config"]
        pattern = config.get("figure_language_filename", "{root}.{language}{ext}")
        assert pattern == "{root}.{language}{ext}", f"{lang}: figure_language_filename {pattern}"
    assert module.edition_config("ro")["sphinx"]["config"]["language"] == "ro"


def _make_figures():
    spec = importlib.util.spec_from_file_location(
        "make_figures", ROOT / "scripts" / "make_figures.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up while being built
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def built() -> dict[str, str]:
    """What the script draws now, in strict mode: a text with no Romanian stops it."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("M100_I18N_STRICT", "1")
        return _make_figures().build()


def test_make_figures_reproduces_the_committed_files(built) -> None:
    assert set(built) == DRAWN | {_ro(n) for n in TRANSLATED}
    stale = [
        n for n, text in built.items() if (FIGURES_DIR / n).read_text(encoding="utf-8") != text
    ]
    assert stale == [], f"run python scripts/make_figures.py and commit: {stale} are out of date"


# Texts that are the same in both languages: reporting levels, GPC sectors' acronyms, the
# kit's commands and file, the ventilation unit's acronym, step numbers, and one word.
SAME_IN_ROMANIAN = {
    "BASIC",
    "BASIC+",
    "IPPU",
    "AFOLU",
    "m100 inventory",
    "m100 run",
    "m100 monitor",
    "investment_plan.xlsx",
    "MVHR",
    "Transport",
    "1",
    "2",
    "3",
    "4",
}


def _texts(svg: str) -> list[str]:
    """The title, the description and every text of a figure."""
    root = ET.fromstring(svg)
    return [
        (el.text or "").strip()
        for el in root.iter()
        if _local(el.tag) in {"title", "desc", "text"} and (el.text or "").strip()
    ]


@pytest.mark.parametrize("name", sorted(TRANSLATED))
def test_romanian_figure_has_no_english_left(name: str, built) -> None:
    english = (FIGURES_DIR / name).read_text(encoding="utf-8")
    romanian = built[_ro(name)]
    assert ET.fromstring(romanian).attrib.get("lang") == "ro"
    left = sorted(set(_texts(romanian)) & set(_texts(english)) - SAME_IN_ROMANIAN)
    assert left == [], f"{_ro(name)} still says, in English: {left}"
    text = " ".join(_texts(romanian))
    assert not re.search("[\u015e\u015f\u0162\u0163]", text), "cedilla ş/ţ: use ș/ț"
    assert "\u201c" not in text and '"' not in text, "Romanian quotation marks are „...”"
    assert re.search("[ăâîșțĂÂÎȘȚ]", text), "no Romanian letter at all"
