"""The configuration of one language edition of the course book.

The book has one source per page (English, in ``book/``) and one gettext message catalogue
per page and language (``locales/<lang>/LC_MESSAGES/``), the usual Sphinx workflow. The
English edition is built from ``_config.yml``; this script writes the configuration of
another edition from it, so that the two cannot drift apart::

    python scripts/book_edition.py ro book/_build/_config_ro.yml

The edition differs only in its language, its title and search text, and the link back to
the English edition. Its code cells run again with ``M100_LANG`` set to its language, in an
execution cache of its own: the code is the same (so every number glued into the text is
the same in both editions), but the charts' titles, axes and legends and the tables' labels
that the code writes are in the edition's language (``m100model.i18n``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]

EDITIONS = {
    # The English edition as configured in _config.yml, but reading the English build's
    # execution cache: for extracting the messages (`make book-catalogues`) without running
    # every page again.
    "en": {},
    "ro": {
        "title": "Orașe M100 neutre climatic: kitul cursului",
        "search": "Căutați în curs...",
        # Where the other edition is, relative to this edition's root, and its name.
        "links": [["en", "English", "../"]],
        # Sphinx settings of the edition (MyST-NB's labels of a hidden code cell).
        "config": {
            "nb_code_prompt_show": "Arată codul celulei",
            "nb_code_prompt_hide": "Ascunde codul celulei",
        },
    },
}


def edition_config(lang: str) -> dict:
    """``_config.yml`` with the settings of the ``lang`` edition."""
    if lang not in EDITIONS:
        raise SystemExit(f"no edition '{lang}': known are {', '.join(sorted(EDITIONS))}")
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    edition = EDITIONS[lang]
    config["title"] = edition.get("title", config["title"])
    # English pages run once (the English build's cache); a translated edition runs its
    # pages again in its own language (`M100_LANG`, set by the Makefile for its build), so
    # that charts, tables and texts the code writes are in that language, with a cache of
    # its own.
    cache = ".jupyter_cache" if lang == "en" else f".jupyter_cache_{lang}"
    config.setdefault("execute", {})["cache"] = str(ROOT / "book" / "_build" / cache)
    # The configuration file is written elsewhere (book/_build): paths that Sphinx and
    # Jupyter Book resolve against the configuration's folder become absolute.
    local = config.setdefault("sphinx", {}).setdefault("local_extensions", {})
    for name, folder in local.items():
        local[name] = str(ROOT / folder)
    sphinx = config["sphinx"].setdefault("config", {})
    for key in ("html_static_path", "html_extra_path", "locale_dirs"):
        if key in sphinx:
            sphinx[key] = [str(ROOT / folder) for folder in sphinx[key]]
    if "html_favicon" in sphinx:
        sphinx["html_favicon"] = str(ROOT / sphinx["html_favicon"])
    sphinx["language"] = lang
    if "links" in edition:
        sphinx["m100_editions"] = edition["links"]
    sphinx.update(edition.get("config", {}))
    if "search" in edition:
        sphinx.setdefault("html_theme_options", {})["search_bar_text"] = edition["search"]
    return config


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lang", help="language code of the edition, e.g. ro")
    parser.add_argument("out", type=Path, help="the configuration file to write")
    args = parser.parse_args()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    text = yaml.safe_dump(edition_config(args.lang), allow_unicode=True, sort_keys=False)
    args.out.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
