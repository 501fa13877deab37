"""Work on a message catalogue (.po) of the book's Romanian edition as plain JSON.

Translators (and the completeness test) need three things the gettext tools do not give in
one step::

    python scripts/po_tool.py todo locales/ro/LC_MESSAGES/book/intro.po > intro.json
    python scripts/po_tool.py apply locales/ro/LC_MESSAGES/book/intro.po intro.json
    python scripts/po_tool.py status locales/ro/LC_MESSAGES

``todo`` writes the untranslated and fuzzy messages as a JSON list of
``{"id": English, "str": current translation}``; ``apply`` reads such a list back (after
the ``str`` fields are filled in), sets each translation and clears its fuzzy flag, and
refuses a translation that drops or changes a MyST role, a ``$...$`` formula or a code span
of its English message (a glued ``key`` may become ``key_ro``, the Romanian variant a page
glues for words or numbers that must read in Romanian); ``status`` counts, per catalogue,
the messages and those still untranslated or fuzzy. Catalogues are read and written with
Babel, as sphinx-intl does.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

# Parts of a message that must come through a translation unchanged (their targets, that
# is: a role's visible text may be translated when it has an explicit <target>).
ROLE = re.compile(r"\{([a-z:]+)\}`([^`]*)`")
MATH = re.compile(r"(?<!\\)\$[^$]+\$")
CODE = re.compile(r"(?<!`)`([^`{}]+)`(?!`)")


def _role_targets(text: str) -> list[str]:
    """Each role as ``name:target`` (the target is what follows ``<`` when there is one, and
    the whole content for roles whose content is itself a key or a value)."""
    out = []
    for name, body in ROLE.findall(text):
        target = re.search(r"<([^<>]+)>\s*$", body)
        if name in {"term", "doc", "ref", "numref"}:
            out.append(f"{name}:{(target.group(1) if target else body).strip()}")
        elif name.startswith("glue"):
            # A page may glue a Romanian variant of a value as ``key_ro`` (words, or a
            # number in Romanian notation): a translation may use it in place of ``key``.
            key, _, spec = body.strip().partition(":")
            out.append(f"{name}:{key.removesuffix('_ro')}:{spec}")
        else:  # cite, eq, math ...: the content is a key, a list of keys or maths
            out.append(f"{name}:{body.strip()}")
    return sorted(out)


def problems(english: str, romanian: str) -> list[str]:
    """What a translation dropped or changed that must survive it."""
    found = []
    if _role_targets(english) != _role_targets(romanian):
        found.append(f"roles differ: {_role_targets(english)} vs {_role_targets(romanian)}")
    if sorted(MATH.findall(english)) != sorted(MATH.findall(romanian)):
        found.append("a $...$ formula differs")
    code_en = sorted(CODE.findall(ROLE.sub("", english)))
    code_ro = sorted(CODE.findall(ROLE.sub("", romanian)))
    if code_en != code_ro:
        found.append(f"code spans differ: {code_en} vs {code_ro}")
    return found


def _read(path: Path):
    with path.open("rb") as handle:
        return read_po(handle)


def _write(path: Path, catalog) -> None:
    tmp = path.with_suffix(".po.tmp")
    with tmp.open("wb") as handle:
        write_po(handle, catalog, width=100, omit_header=False)
    tmp.replace(path)


def todo(path: Path) -> list[dict]:
    catalog = _read(path)
    return [{"id": m.id, "str": m.string} for m in catalog if m.id and (not m.string or m.fuzzy)]


def apply(path: Path, entries: list[dict]) -> list[str]:
    catalog = _read(path)
    errors = []
    for entry in entries:
        message = catalog.get(entry["id"])
        if message is None:
            errors.append(f"not in {path.name}: {entry['id'][:60]!r}")
            continue
        text = entry.get("str") or ""
        if not text.strip():
            continue
        bad = problems(entry["id"], text)
        if bad:
            errors.append(f"{entry['id'][:60]!r}: {'; '.join(bad)}")
            continue
        message.string = text
        message.flags.discard("fuzzy")
    catalog.fuzzy = False
    _write(path, catalog)
    return errors


def status(folder: Path) -> list[tuple[str, int, int, int]]:
    rows = []
    for path in sorted(folder.rglob("*.po")):
        catalog = _read(path)
        messages = [m for m in catalog if m.id]
        missing = sum(1 for m in messages if not m.string)
        fuzzy = sum(1 for m in messages if m.fuzzy)
        rows.append((path.relative_to(folder).as_posix(), len(messages), missing, fuzzy))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("todo").add_argument("po", type=Path)
    p = sub.add_parser("apply")
    p.add_argument("po", type=Path)
    p.add_argument("json", type=Path)
    sub.add_parser("status").add_argument("folder", type=Path)
    args = parser.parse_args()
    if args.command == "todo":
        json.dump(todo(args.po), sys.stdout, ensure_ascii=False, indent=1)
        print()
    elif args.command == "apply":
        errors = apply(args.po, json.loads(args.json.read_text(encoding="utf-8")))
        for line in errors:
            print(line, file=sys.stderr)
        raise SystemExit(2 if errors else 0)
    else:
        for name, total, missing, fuzzy in status(args.folder):
            print(f"{name}: {total} messages, {missing} untranslated, {fuzzy} fuzzy")


if __name__ == "__main__":
    main()
