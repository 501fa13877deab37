"""Sphinx helpers of the course book: the chart JavaScript, served from the build folder,
and the bibliography files.

Charts in the book are Vega-Lite specs drawn in the browser by Vega-Embed (see
``m100model.charts.show``). Nothing is loaded from a CDN: at the start of an HTML build this
extension writes ``_static/vega-bundle.js`` (Vega, Vega-Lite and Vega-Embed, bundled offline
by vl-convert) into the build folder, once, and adds it to the pages that hold a chart.
"""

from __future__ import annotations

import re
from pathlib import Path

from sphinx.transforms import SphinxTransform
from sphinx.util.nodes import get_node_line, get_node_source
from sphinx_exercise.nodes import exercise_subtitle

BUNDLE = "vega-bundle.js"
CHART_CLASS = "m100-chart"


def _vegalite_version() -> str:
    import altair as alt

    major_minor = alt.SCHEMA_VERSION.lstrip("v").split(".")[:2]
    return ".".join(major_minor)


def _header() -> str:
    import vl_convert as vlc

    return (
        f"/* Vega {vlc.get_vega_version()}, Vega-Lite {_vegalite_version()}, "
        f"Vega-Embed {vlc.get_vega_embed_version()}: bundled offline by vl-convert for the "
        "M100 course book. */\n"
    )


def write_bundle(app) -> None:
    """Write ``_static/vega-bundle.js`` into the build folder unless an identical one is
    there. The bundle is wrapped in a function so that its top-level names cannot clash with
    the theme's scripts; it sets ``window.vegaEmbed``."""
    if app.builder.format != "html":
        return
    import vl_convert as vlc

    target = Path(app.outdir) / "_static" / BUNDLE
    header = _header()
    if target.exists():
        with target.open(encoding="utf-8") as fh:
            if fh.readline() == header:
                return
    target.parent.mkdir(parents=True, exist_ok=True)
    code = vlc.javascript_bundle(vl_version=_vegalite_version())
    tmp = target.with_suffix(".tmp")
    tmp.write_text(header + "(function () {\n" + code + "\n})();\n", encoding="utf-8")
    tmp.replace(target)


def add_bundle_to_chart_pages(app, pagename, templatename, context, doctree) -> None:
    """Load the bundle on the pages that hold a chart (and only there), and drop the Thebe
    files Jupyter Book adds to every page: live kernels need the network, the book does not
    use them."""
    if CHART_CLASS in context.get("body", ""):
        app.add_js_file(BUNDLE, priority=200)
    for key in ("script_files", "css_files"):
        files = context.get(key)
        if files is not None:
            files[:] = [f for f in files if not _is_thebe(f)]


def _is_thebe(asset) -> bool:
    """A Thebe script or stylesheet, or an inline script that configures Thebe."""
    text = str(getattr(asset, "filename", None) or "")
    text += str(getattr(asset, "attributes", {}).get("body", ""))
    return "thebe" in text.lower()


def add_bibfiles(app, config) -> None:
    """Use every ``.bib`` file under ``book/`` (e.g. a module's own ``references.bib``) beside
    the ones named in ``_config.yml``, so that a page's citations resolve wherever its
    author keeps the entries."""
    listed = list(getattr(config, "bibtex_bibfiles", []) or [])
    src = Path(app.srcdir)
    for bib in sorted((src / "book").rglob("*.bib")):
        rel = bib.relative_to(src).as_posix()
        if "_build" not in bib.parts and rel not in listed:
            listed.append(rel)
    config.bibtex_bibfiles = listed


def number_per_page(app, env) -> list[str]:
    """Number equations, figures, tables and exercises from 1 on every page.

    The book's pages have no section numbers, so Sphinx numbers each kind of item across the
    whole book: the first equation of a late page was "(6)" and module 2's exercises were
    "Exercise 8-10" while its text spoke of exercises 1 and 2. Runs after Sphinx's own
    numbering (``env-get-updated``, later priority) and keeps its order within each page;
    references ({numref}, {eq}, {ref}) read the same table, so they follow.
    """
    changed = []
    for docname, kinds in env.toc_fignumbers.items():
        for numbers in kinds.values():
            order = sorted(numbers, key=lambda key: numbers[key])
            for index, key in enumerate(order, start=1):
                if numbers[key] != (index,):
                    numbers[key] = (index,)
                    changed.append(docname)
    return sorted(set(changed))


def add_edition_switch(app, pagename, templatename, context, doctree) -> None:
    """A link at the top of every page to the same page in the other language edition(s).

    ``m100_editions`` lists ``[language, name, root]``, ``root`` being where that edition's
    pages are relative to this edition's root (``ro/`` from English, ``../`` from Romanian).
    """
    editions = app.config.m100_editions
    if not editions or "body" not in context:
        return
    up = "../" * pagename.count("/")
    links = " · ".join(
        f'<a href="{up}{root}{pagename}.html" hreflang="{lang}" lang="{lang}">{name}</a>'
        for lang, name, root in editions
    )
    context["body"] = f'<p class="m100-edition-switch">{links}</p>\n' + context["body"]


_NUMBER = re.compile(r"^[+\-\u2212]?[\d,]*\d(?:\.\d+)?%?$")


def romanian_number(text: str) -> str:
    """A number formatted the English way ("1,234.5", "0.701", "12.5%") written the
    Romanian way ("1.234,5", "0,701", "12,5%"); any other text unchanged."""
    if not _NUMBER.match(text):
        return text
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")


def glue_numbers_in_language(app, config) -> None:
    """In the Romanian edition, numbers glued into the text ({glue:text}`key:,.1f`) use the
    decimal comma and the thousands dot: the pages' format specifications stay those of
    Python (one source), only the printed result follows the edition's language."""
    if config.language != "ro":
        return
    from myst_nb.ext.glue import roles

    english = roles.format_plain_text

    def formatted(value, spec):
        return romanian_number(english(value, spec))

    roles.format_plain_text = formatted


def glue_in_translations(app, config) -> None:
    """Let {glue:...} roles in a translated message find the page's glued values.

    Sphinx parses each translated message as a small document of its own, after MyST-NB
    has finished the page and dropped its notebook renderer from the page's document, so
    every glued value of a translated paragraph would be lost ("No key ... found in glue
    data"). The renderer MyST-NB made last (the one of the page being read, since the
    translation transforms run at the end of reading that page) answers such a lookup.
    """
    if config.language == "en":
        return
    from myst_nb import sphinx_
    from myst_nb.ext.glue import directives, roles, utils

    last: dict[str, object] = {}
    original_load = sphinx_.load_renderer

    def load_renderer(name):
        renderer_class = original_load(name)

        def make(*args, **kwargs):
            last["renderer"] = renderer_class(*args, **kwargs)
            return last["renderer"]

        return make

    original_retrieve = utils.retrieve_glue_data

    def retrieve(document, key):
        if "nb_renderer" not in document and "renderer" in last:
            document = {"nb_renderer": last["renderer"]}
        return original_retrieve(document, key)

    sphinx_.load_renderer = load_renderer
    for module in (utils, roles, directives):
        module.retrieve_glue_data = retrieve


def translate_toc_captions(app, doctree) -> None:
    """Part captions of the table of contents ("Start here", ...) in the edition's language.

    Sphinx extracts them into the root page's catalogue but does not translate the captions
    of the toctree that Jupyter Book writes into that page; this does, from the same
    catalogue, after the page is read.
    """
    if app.config.language == "en":
        return
    from sphinx import addnodes
    from sphinx.locale import init as init_locale
    from sphinx.util.i18n import docname_to_domain

    toctrees = [node for node in doctree.findall(addnodes.toctree) if node.get("caption")]
    if not toctrees:
        return
    dirs = [str(Path(app.srcdir, folder)) for folder in app.config.locale_dirs]
    domain = docname_to_domain(app.env.docname, app.config.gettext_compact)
    catalog, found = init_locale(dirs, app.config.language, domain)
    if not found:
        return
    for node in toctrees:
        node["caption"] = node["rawcaption"] = catalog.gettext(node["caption"])


class ExerciseSubtitles(SphinxTransform):
    """Make the titles of ``{exercise}`` boxes translatable.

    sphinx-exercise builds the title ("Exercise 3 (A school roof)") from its directive's
    argument without a source, and Sphinx skips a node without a source as a built-in
    message: the subtitle stayed English in the Romanian edition. This gives it its page and
    line before Sphinx translates the page's messages (priority 20), and notes the message on
    the exercise for :func:`extract_exercise_subtitles`.
    """

    default_priority = 5

    def apply(self, **kwargs) -> None:
        for node in self.document.findall(exercise_subtitle):
            if node.source:
                continue
            node.source = get_node_source(node.parent)
            try:
                node.line = get_node_line(node.parent)
            except ValueError:
                node.line = 0
            node.rawsource = node.astext()
            node.parent.parent["m100_subtitle"] = (node.rawsource, node.source, node.line)


class ExerciseSubtitlesInSolutions(SphinxTransform):
    """Give the solutions the translated exercise titles.

    sphinx-exercise titles a solution ("Solution to Exercise 3 (A school roof)") from the copy
    of the exercise it keeps from when the directive ran, before Sphinx translated the page;
    this refreshes that copy after the translation (priority 20).
    """

    default_priority = 25

    def apply(self, **kwargs) -> None:
        registry = getattr(self.env, "sphinx_exercise_registry", {})
        for node in self.document.findall(_has_subtitle):
            entry = registry.get(node.get("label"))
            if entry is not None and entry.get("docname") == self.env.docname:
                entry["node"] = node.deepcopy()


def _has_subtitle(node) -> bool:
    return "m100_subtitle" in getattr(node, "attributes", {})


def extract_exercise_subtitles(app, doctree, docname) -> None:
    """Add the exercises' titles to the page's message catalogue (gettext builder only).

    Sphinx extracts a page's messages from the resolved page, where sphinx-exercise has
    already melted the subtitle into a plain title ("Exercise 3 (A school roof)"); the
    message noted by :class:`ExerciseSubtitles` is added here instead.
    """
    from sphinx.builders.gettext import I18nBuilder, MsgOrigin
    from sphinx.util.i18n import docname_to_domain

    if not isinstance(app.builder, I18nBuilder):
        return
    catalog = app.builder.catalogs[docname_to_domain(docname, app.config.gettext_compact)]
    for node in doctree.findall(_has_subtitle):
        msg, source, line = node["m100_subtitle"]
        catalog.add(msg, MsgOrigin(source, line))


def exercise_words_in_language(app, config) -> None:
    """sphinx-exercise's own words ("Exercise", "Solution to") from the kit's catalogue
    ``_ext/locales/<language>/exercise.po`` first, sphinx-exercise's after (a fallback).

    Connected before sphinx-exercise reads them (``config-inited``, early priority).
    """
    po = Path(__file__).parent / "locales" / str(config.language) / "exercise.po"
    if not po.is_file():
        return
    import gettext
    import io

    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po
    from sphinx import locale

    with po.open("rb") as fh:
        catalogue = read_po(fh)
    buffer = io.BytesIO()
    write_mo(buffer, catalogue)
    buffer.seek(0)
    ours = gettext.GNUTranslations(buffer)
    theirs = locale.translators.get(("general", "exercise"))
    if theirs is not None:
        ours.add_fallback(theirs)
    locale.translators["general", "exercise"] = ours


def setup(app):
    app.add_config_value("m100_editions", [], "html")
    app.connect("config-inited", exercise_words_in_language, priority=400)
    app.add_transform(ExerciseSubtitles)
    app.add_transform(ExerciseSubtitlesInSolutions)
    app.connect("doctree-resolved", extract_exercise_subtitles)
    app.connect("doctree-read", translate_toc_captions)
    app.connect("config-inited", glue_in_translations)
    app.connect("config-inited", glue_numbers_in_language)
    app.connect("html-page-context", add_edition_switch)
    app.connect("config-inited", add_bibfiles)
    app.connect("env-get-updated", number_per_page, priority=900)
    app.connect("builder-inited", write_bundle)
    app.connect("html-page-context", add_bundle_to_chart_pages)
    return {"version": "0.1", "parallel_read_safe": True, "parallel_write_safe": True}
