"""The library's message catalogues: extract the texts marked for translation, keep the
Romanian catalogues in step, and say what is left to translate.

Run from the repository root::

    .venv/bin/python scripts/i18n.py update    # new texts empty, changed ones fuzzy
    .venv/bin/python scripts/i18n.py status    # per catalogue: messages, untranslated, fuzzy
    .venv/bin/python scripts/i18n.py todo m100model.charts   # what is left, as a .po excerpt

Texts are marked in the code with ``_("...")`` or ``N_("...")`` (see ``m100model/i18n.py``);
each source file has its own catalogue, ``m100model/locales/ro/<dotted path>.po``, so that
translators of different files do not edit one file. ``tests/test_i18n.py`` fails while a
catalogue is out of step with the code, or holds an untranslated or fuzzy message.
"""

from __future__ import annotations

import argparse
import datetime
import io
import json
import re
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
LOCALES = ROOT / "m100model" / "locales"
TARGETS = ("ro",)
KEYWORDS = {"_": None, "N_": None}
SOURCES = ("m100model", "exercises/make_notebooks.py", "scripts/make_figures.py", "book")
"""Where marked texts are looked for: every .py file below these, and the code cells of the
book's pages (``book/**/*.md``: their charts' titles and their tables' labels)."""
CODE_CELL = re.compile(r"^```\{code-cell\}[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)


def source_files() -> list[Path]:
    files: list[Path] = []
    for entry in SOURCES:
        path = ROOT / entry
        if path.is_dir():
            files.extend(sorted(path.rglob("*.py")) + sorted(path.rglob("*.md")))
        else:
            files.append(path)
    return [f for f in files if "locales" not in f.parts and "_build" not in f.parts]


def _code_of(path: Path) -> bytes:
    """The Python of a file: a .py file whole; a book page's code cells, each at its own
    line (their option lines, ``:tags: ...``, blanked), so locations stay the page's lines."""
    text = path.read_text(encoding="utf-8")
    if path.suffix != ".md":
        return text.encode()
    lines = [""] * text.count("\n")
    for cell in CODE_CELL.finditer(text):
        first = text.count("\n", 0, cell.start(1))
        for i, line in enumerate(cell.group(1).splitlines()):
            lines[first + i] = "" if line.startswith(":") else line
    return "\n".join(lines).encode()


def catalogue_name(source: Path) -> str:
    """``m100model/exercises/mrv.py`` -> ``m100model.exercises.mrv``."""
    return ".".join(source.relative_to(ROOT).with_suffix("").parts)


def templates_from_code() -> dict[str, Catalog]:
    """One template catalogue per source file that has marked texts."""
    templates: dict[str, Catalog] = {}
    for path in source_files():
        found = list(
            extract(
                "python",
                io.BytesIO(_code_of(path)),
                keywords=KEYWORDS,
                comment_tags=("TRANSLATORS:",),
                strip_comment_tags=True,
            )
        )
        if not found:
            continue
        name = catalogue_name(path)
        cat = Catalog(project="m100model", domain=name)
        rel = str(path.relative_to(ROOT))
        for lineno, message, comments, _context in found:
            if not message:
                continue
            cat.add(message, locations=[(rel, lineno)], auto_comments=comments)
        templates[name] = cat
    return templates


def read(path: Path, lang: str) -> Catalog:
    with path.open("rb") as f:
        return read_po(f, locale=lang)


FIXED_DATE = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)


def write(cat: Catalog, path: Path) -> None:
    """Write a catalogue with a header that does not change from one update to the next
    (no dates or placeholders: a catalogue changes only when its messages do)."""
    cat.header_comment = (
        f"# Romanian translations of the m100model texts in {path.stem}.\n"
        "# Kept in step with the code by scripts/i18n.py (see m100model/i18n.py)."
    )
    cat.fuzzy = False
    cat.version = "1"
    cat.creation_date = cat.revision_date = FIXED_DATE
    cat.last_translator = cat.language_team = "M100 course kit contributors"
    cat.msgid_bugs_address = ""
    buf = io.BytesIO()
    write_po(buf, cat, width=96, sort_output=False, include_previous=True, include_lineno=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    new = buf.getvalue()
    if not path.exists() or path.read_bytes() != new:
        path.write_bytes(new)


def update(only: list[str] | None = None) -> None:
    """Bring the catalogues (or ``only`` these) in step with the code."""
    templates = templates_from_code()
    for lang in TARGETS:
        folder = LOCALES / lang
        for name, template in templates.items():
            if only and name not in only:
                continue
            path = folder / f"{name}.po"
            if path.exists():
                cat = read(path, lang)
                cat.update(template, update_header_comment=False)
                cat.obsolete.clear()
            else:
                cat = Catalog(locale=lang, project="m100model", domain=name)
                cat.update(template)
            write(cat, path)
        for path in folder.glob("*.po"):
            if path.stem not in templates and not only:
                path.unlink()
                print(f"removed {path.relative_to(ROOT)} (no marked texts left in its source)")
    status()


def problems() -> list[str]:
    """Every way the catalogues are not ready: out of step with the code, untranslated,
    fuzzy, or one text translated two ways."""
    out: list[str] = []
    templates = templates_from_code()
    for lang in TARGETS:
        folder = LOCALES / lang
        seen: dict[str, tuple[str, str]] = {}
        names = {p.stem for p in folder.glob("*.po")}
        for name in sorted(names - set(templates)):
            out.append(f"{lang}/{name}.po: its source has no marked texts (run update)")
        for name, template in sorted(templates.items()):
            path = folder / f"{name}.po"
            if not path.exists():
                out.append(f"{lang}/{name}.po: missing (run scripts/i18n.py update)")
                continue
            cat = read(path, lang)
            wanted = {m.id for m in template if m.id}
            have = {m.id for m in cat if m.id}
            for msg in sorted(wanted - have):
                out.append(f"{lang}/{name}.po: not in the catalogue: {msg[:70]!r}")
            for msg in sorted(have - wanted):
                out.append(f"{lang}/{name}.po: no longer in the code: {msg[:70]!r}")
            for m in cat:
                if not m.id:
                    continue
                if m.fuzzy:
                    out.append(f"{lang}/{name}.po: fuzzy: {m.id[:70]!r}")
                elif not m.string:
                    out.append(f"{lang}/{name}.po: untranslated: {m.id[:70]!r}")
                elif m.id in seen and seen[m.id][1] != m.string:
                    out.append(
                        f"{lang}/{name}.po: {m.id[:50]!r} translated differently in "
                        f"{seen[m.id][0]}.po"
                    )
                else:
                    seen.setdefault(m.id, (name, m.string))
    return out


def status() -> None:
    for lang in TARGETS:
        total = untranslated = fuzzy = 0
        for path in sorted((LOCALES / lang).glob("*.po")):
            cat = read(path, lang)
            msgs = [m for m in cat if m.id]
            u = sum(1 for m in msgs if not m.string)
            fz = sum(1 for m in msgs if m.fuzzy)
            total, untranslated, fuzzy = total + len(msgs), untranslated + u, fuzzy + fz
            print(f"{lang}/{path.stem}: {len(msgs)} messages, {u} untranslated, {fz} fuzzy")
        print(f"{lang}: {total} messages, {untranslated} untranslated, {fuzzy} fuzzy")


def todo(name: str, lang: str = "ro") -> None:
    """The messages of one catalogue still to translate, as a .po excerpt."""
    cat = read(LOCALES / lang / f"{name}.po", lang)
    left = Catalog(locale=lang, domain=name)
    for m in cat:
        if m.id and (m.fuzzy or not m.string):
            left[m.id] = m
    buf = io.BytesIO()
    write_po(buf, left, width=96, omit_header=True, include_previous=True)
    sys.stdout.write(buf.getvalue().decode())


def apply(name: str, translations: Path, lang: str = "ro") -> None:
    """Fill in translations from a JSON object {English text: translation}; a filled-in
    message is no longer fuzzy. Texts not in the catalogue are refused."""
    path = LOCALES / lang / f"{name}.po"
    cat = read(path, lang)
    given = json.loads(translations.read_text(encoding="utf-8"))
    unknown = [k for k in given if k not in cat]
    if unknown:
        raise SystemExit(f"{path.name}: not in the catalogue: {unknown[0][:70]!r}")
    for msgid, text in given.items():
        m = cat[msgid]
        m.string = text
        m.flags.discard("fuzzy")
        m.previous_id = []
    write(cat, path)
    print(f"{path.name}: {len(given)} translations applied")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    u = sub.add_parser("update")
    u.add_argument("--only", nargs="*", help="catalogue names (m100model.charts ...)")
    sub.add_parser("status")
    sub.add_parser("check")
    t = sub.add_parser("todo")
    t.add_argument("catalogue")
    a = sub.add_parser("apply")
    a.add_argument("catalogue")
    a.add_argument("json", type=Path)
    args = parser.parse_args()
    if args.command == "update":
        update(args.only)
    elif args.command == "status":
        status()
    elif args.command == "todo":
        todo(args.catalogue)
    elif args.command == "apply":
        apply(args.catalogue, args.json)
    else:
        found = problems()
        print("\n".join(found) or "catalogues complete")
        return 1 if found else 0
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
