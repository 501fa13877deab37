"""Draw the course book's diagrams as plain, accessible SVG files, in English and Romanian.

Run from the repository root::

    python scripts/make_figures.py          # write the SVG files
    python scripts/make_figures.py --check  # exit 1 if a committed file differs

It writes, into ``book/_static/figures/``:

* ``gpc_scopes.svg``     the GPC scopes 1, 2 and 3 around a city boundary, and which of them
  make up the BASIC and BASIC+ reporting levels (book/mrv/01_frameworks.md);
* ``ccc_structure.svg``  the three documents of a Climate City Contract and the outputs of
  the kit that feed each (book/context.md, book/cpd/06_governance.md);
* ``bundling_flow.svg``  how several cities' programmes, bundled, reach the EIB's minimum
  direct-loan ticket and are then financed and delivered (book/cpd/06_governance.md);

and each of them again in Romanian, ``<name>.ro.svg`` beside the English file: Sphinx shows
that one in the Romanian edition of the book (its ``figure_language_filename``,
``{root}.{language}{ext}``), with no change to the pages. Every text of a figure (its title,
its description for screen readers, its labels) is marked for translation (``_``/``N_``,
``m100model.i18n``); the Romanian texts are in the catalogue
``m100model/locales/ro/scripts.make_figures.po``. A line break in a text (``\\n``) is where
the figure breaks the line, so a translation chooses its own; every line is measured, and
a box grows (or the script stops) when a longer Romanian text would not fit.

The fourth figure, ``renovation_section.svg`` (book/cpd/02_built_environment.md), is drawn
by hand; the script writes its Romanian copy by putting the translation of each of its texts
(``RENOVATION_TEXTS``) in place of the English, everything else unchanged.

Every file is self-contained: no script, no external font or image, text as real SVG text
in the generic ``sans-serif`` family, a ``<title>`` and a ``<desc>`` for screen readers, and
the Okabe-Ito colours of ``m100model.charts`` (light tints for fills, dark text on them).
The numbers in the bundling diagram (the EIB ticket and share, ELENA's threshold and
coverage, the kit's preparation saving) are read from the kit's data, so the diagram changes
when the data do; the three programme sizes are the illustrative ones of Module 6's
exercise 1. ``tests/test_figures.py`` checks that this script reproduces the committed files.
"""

from __future__ import annotations

import argparse
import html
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

ROOT = Path(__file__).resolve().parents[1]
OUT_DIR = ROOT / "book" / "_static" / "figures"

if str(ROOT) not in sys.path:  # run as a script from anywhere
    sys.path.insert(0, str(ROOT))

from m100model.charts import OKABE_ITO  # noqa: E402
from m100model.i18n import N_, _, language, romanian_number, tr, use_language  # noqa: E402

ORANGE, SKY, GREEN, YELLOW, BLUE, VERMILLION, PURPLE, GREY, BLACK = OKABE_ITO
INK = "#1a1a1a"  # text: near black, well above 7:1 on every tint below
MUTED = "#333333"
WINE = "#882255"  # the kit's green-bond colour (Paul Tol muted), as in charts.py


def tint(colour: str, amount: float = 0.18) -> str:
    """``colour`` mixed with white (``amount`` of the colour): a light fill for a box."""
    rgb = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    mixed = [round(255 - (255 - c) * amount) for c in rgb]
    return "#" + "".join(f"{c:02x}" for c in mixed)


# --- text width -----------------------------------------------------------------------------
# Advance widths of DejaVu Sans (the widest common sans-serif; Chromium's default on Linux),
# in em. Used only to check that every line fits its box when the script runs.
_NARROW = dict.fromkeys("ijl|!'.,:;", 0.32)
_WIDTHS = {
    **_NARROW,
    " ": 0.32,
    "f": 0.36,
    "t": 0.40,
    "r": 0.42,
    "(": 0.40,
    ")": 0.40,
    "-": 0.37,
    "s": 0.53,
    "c": 0.56,
    "z": 0.53,
    "m": 0.98,
    "w": 0.82,
    "I": 0.30,
    "M": 0.87,
    "W": 0.99,
}


def text_width(s: str, size: float, *, bold: bool = False, mono: bool = False) -> float:
    """Estimated rendered width of ``s`` in px (on the generous side)."""
    if mono:
        return len(s) * 0.61 * size  # bold monospace has the same advance
    em = 0.0
    for ch in s:
        if ch in _WIDTHS:
            em += _WIDTHS[ch]
        elif ch.isupper():
            em += 0.72
        else:
            em += 0.63
    return em * size * (1.1 if bold else 1.0)


def split(text: str) -> list[str]:
    """The lines of a (translated) text: a line break is where the figure breaks the line."""
    return text.split("\n")


def _lang_attribute(lang: str) -> str:
    """The language of a translated figure, for screen readers (the English files have none)."""
    return "" if lang == "en" else f' lang="{lang}"'


def _n(v: float) -> str:
    """A coordinate, written without trailing zeros."""
    return f"{round(v, 2):g}"


@dataclass
class Figure:
    """A small SVG canvas with the few shapes the diagrams need."""

    name: str
    width: int
    height: int
    title: str
    desc: str
    parts: list[str] = field(default_factory=list)
    markers: dict[str, str] = field(default_factory=dict)
    lang: str = "en"

    # shapes
    def rect(
        self,
        x: float,
        y: float,
        w: float,
        h: float,
        *,
        fill: str = "none",
        stroke: str = INK,
        stroke_width: float = 1.5,
        rx: float = 8,
        dash: str | None = None,
    ) -> None:
        extra = f' stroke-dasharray="{dash}"' if dash else ""
        self.parts.append(
            f'<rect x="{_n(x)}" y="{_n(y)}" width="{_n(w)}" height="{_n(h)}" rx="{_n(rx)}" '
            f'fill="{fill}" stroke="{stroke}" stroke-width="{_n(stroke_width)}"{extra}/>'
        )

    def circle(self, cx: float, cy: float, r: float, *, fill: str, stroke: str = "none") -> None:
        self.parts.append(
            f'<circle cx="{_n(cx)}" cy="{_n(cy)}" r="{_n(r)}" fill="{fill}" stroke="{stroke}"/>'
        )

    def line(
        self,
        x1: float,
        y1: float,
        x2: float,
        y2: float,
        *,
        stroke: str = INK,
        stroke_width: float = 1.5,
        dash: str | None = None,
    ) -> None:
        extra = f' stroke-dasharray="{dash}"' if dash else ""
        self.parts.append(
            f'<line x1="{_n(x1)}" y1="{_n(y1)}" x2="{_n(x2)}" y2="{_n(y2)}" stroke="{stroke}" '
            f'stroke-width="{_n(stroke_width)}"{extra}/>'
        )

    def arrow(
        self,
        points: list[tuple[float, float]],
        *,
        colour: str = INK,
        stroke_width: float = 2,
        dash: str | None = None,
    ) -> None:
        """A line through ``points`` with an arrowhead at the last one."""
        marker = f"{self.name}-arrow-{colour.lstrip('#')}"
        self.markers[marker] = colour
        extra = f' stroke-dasharray="{dash}"' if dash else ""
        pts = " ".join(f"{_n(x)},{_n(y)}" for x, y in points)
        self.parts.append(
            f'<polyline points="{pts}" fill="none" stroke="{colour}" '
            f'stroke-width="{_n(stroke_width)}" stroke-linejoin="round"{extra} '
            f'marker-end="url(#{marker})"/>'
        )

    def text(
        self,
        x: float,
        y: float,
        s: str,
        *,
        size: float = 14,
        bold: bool = False,
        anchor: str = "start",
        fill: str = INK,
        mono: bool = False,
        max_width: float | None = None,
    ) -> None:
        """One line of text with its baseline at ``y``; fails if it is wider than
        ``max_width`` (an estimate for DejaVu Sans, the widest common sans-serif)."""
        if max_width is not None:
            w = text_width(s, size, bold=bold, mono=mono)
            if w > max_width:
                raise ValueError(f"{self.name}: {s!r} is about {w:.0f} px, > {max_width:.0f}")
        attrs = [f'x="{_n(x)}"', f'y="{_n(y)}"']
        if size != 14:
            attrs.append(f'font-size="{_n(size)}"')
        if bold:
            attrs.append('font-weight="bold"')
        if anchor != "start":
            attrs.append(f'text-anchor="{anchor}"')
        if fill != INK:
            attrs.append(f'fill="{fill}"')
        if mono:
            attrs.append('font-family="monospace"')
        self.parts.append(f"<text {' '.join(attrs)}>{escape(s)}</text>")

    def lines(
        self,
        x: float,
        y: float,
        lines: list[str],
        *,
        size: float = 14,
        step: float | None = None,
        **kw,
    ) -> float:
        """Several lines, the first baseline at ``y``; returns the next free baseline."""
        step = step or round(size * 1.4)
        for i, s in enumerate(lines):
            self.text(x, y + i * step, s, size=size, **kw)
        return y + len(lines) * step

    def badge(self, x: float, y: float, level: str) -> None:
        """A BASIC (solid blue, white text) or BASIC+ (white, vermillion outline) tag whose
        top-left corner is at (x, y): told apart by text and by shape, not by colour alone."""
        w, h = 66, 22
        if level == "BASIC":
            self.rect(x, y, w, h, fill=BLUE, stroke=BLUE, rx=11)
            self.text(
                x + w / 2, y + 15.5, "BASIC", size=12, bold=True, anchor="middle", fill="#ffffff"
            )
        else:
            self.rect(
                x, y, w, h, fill="#ffffff", stroke=VERMILLION, stroke_width=2, rx=11, dash="4 2"
            )
            self.text(x + w / 2, y + 15.5, "BASIC+", size=12, bold=True, anchor="middle")

    def number(self, cx: float, cy: float, n: int, colour: str = INK) -> None:
        """A step number in a filled circle."""
        self.circle(cx, cy, 15, fill=colour)
        self.text(cx, cy + 5.5, str(n), size=16, bold=True, anchor="middle", fill="#ffffff")

    # output
    def svg(self) -> str:
        defs = "".join(
            f'<marker id="{mid}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
            f'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
            f'fill="{colour}"/></marker>'
            for mid, colour in sorted(self.markers.items())
        )
        head = (
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{self.width}" '
            f'height="{self.height}" viewBox="0 0 {self.width} {self.height}" role="img" '
            f'aria-labelledby="{self.name}-title {self.name}-desc" font-family="sans-serif" '
            f'font-size="14" fill="{INK}"{_lang_attribute(self.lang)}>'
        )
        body = [
            head,
            f'<title id="{self.name}-title">{escape(self.title)}</title>',
            f'<desc id="{self.name}-desc">{escape(self.desc)}</desc>',
        ]
        if defs:
            body.append(f"<defs>{defs}</defs>")
        body.append(
            f'<rect x="0" y="0" width="{self.width}" height="{self.height}" fill="#ffffff"/>'
        )
        body += self.parts
        body.append("</svg>")
        return "\n".join(body) + "\n"


# --- 1. GPC scopes --------------------------------------------------------------------------


def gpc_scopes(lang: str = "en") -> str:
    """The three GPC scopes around a city boundary, with the reporting level of each item."""
    with use_language(lang):
        return _gpc_scopes(lang)


def _gpc_scopes(lang: str) -> str:
    fig = Figure(
        "gpc-scopes",
        800,
        664,
        _("GPC scopes 1, 2 and 3 and the BASIC and BASIC+ reporting levels"),
        _(
            "A dashed line marks the city boundary. Inside it, scope 1 holds the emissions from "
            "sources inside the boundary: stationary energy (fuel burnt in buildings and "
            "industry), transport (fuel used by vehicles in the city) and waste treated in the "
            "city, all three in BASIC; industrial processes and product use (IPPU) and "
            "agriculture, forestry and other land use (AFOLU), both in BASIC+. Also inside, "
            "scope 2 holds the emissions from grid-supplied electricity, heat, steam or cooling "
            "used in the city, wherever the power or heat plant stands: BASIC. An arrow brings "
            "this energy from power and heat plants on the grid. Outside the boundary, scope 3 "
            "holds other emissions caused by activities in the city: transmission and "
            "distribution losses of grid energy (BASIC+), waste from the city treated outside "
            "it (BASIC) and the out-of-city part of transboundary transport (BASIC+). A key at "
            "the bottom: BASIC covers scopes 1 and 2 of stationary energy and transport and "
            "scopes 1 and 3 of waste; BASIC+ adds IPPU and AFOLU (scope 1) and transboundary "
            "transport and grid losses (scope 3)."
        ),
        lang=lang,
    )
    # The city boundary and what lies inside it.
    fig.rect(16, 16, 440, 488, fill="#fafafa", stroke=INK, stroke_width=2.5, rx=26, dash="10 6")
    fig.text(36, 42, _("Inside the city boundary"), size=15, bold=True, max_width=412)
    fig.text(472, 42, _("Outside the boundary"), size=15, bold=True, max_width=312)

    def scope_box(x, y, w, h, colour, heading, subtitle, items, bottom):
        """A scope's box, ``h`` high or more when its (translated) texts need it, never
        below ``bottom``."""
        inner = w - 32
        badge_x = x + w - 12 - 66
        text_w = badge_x - 8 - (x + 16)
        sub = split(subtitle)
        items = [(split(name), split(detail), level) for name, detail, level in items]
        end = y + 48 + 19 * len(sub) + 12
        end += sum(17 * len(n) + 16 * len(d) + 7 for n, d, _level in items)
        h = max(h, end - 7 - y + 3)
        if y + h > bottom:
            raise ValueError(f"{heading}: the box would reach {y + h} (> {bottom})")
        fig.rect(x, y, w, h, fill=tint(colour), stroke=colour, stroke_width=2)
        fig.text(x + 16, y + 27, heading, size=17, bold=True, max_width=inner)
        after = fig.lines(x + 16, y + 48, sub, size=14, step=19, max_width=inner)
        yy = after + 12
        for name, detail, level in items:
            below = fig.lines(x + 16, yy, name, size=14, step=17, bold=True, max_width=text_w)
            fig.lines(x + 16, below, detail, size=13, step=16, fill=MUTED, max_width=text_w)
            fig.badge(badge_x, yy - 15, level)
            yy += 17 * len(name) + 16 * len(detail) + 7

    scope_box(
        32,
        56,
        408,
        282,
        ORANGE,
        _("Scope 1"),
        _("Emissions from sources inside the boundary"),
        [
            (_("Stationary energy"), _("fuel burnt in buildings and industry"), "BASIC"),
            (_("Transport"), _("fuel used by vehicles in the city"), "BASIC"),
            (_("Waste"), _("waste and wastewater treated in the city"), "BASIC"),
            ("IPPU", _("industrial processes and product use"), "BASIC+"),
            ("AFOLU", _("agriculture, forestry, other land use"), "BASIC+"),
        ],
        bottom=346,
    )
    scope_box(
        32,
        354,
        408,
        134,
        BLUE,
        _("Scope 2"),
        _("Grid-supplied energy used inside the boundary"),
        [
            (
                _("Electricity, heat, steam, cooling"),
                _("used in buildings, industry and transport,\nwherever the plant stands"),
                "BASIC",
            ),
        ],
        bottom=496,
    )
    scope_box(
        472,
        56,
        312,
        246,
        GREEN,
        _("Scope 3"),
        _("Emissions outside the boundary\ncaused by activities inside it"),
        [
            (
                _("Grid losses"),
                _("transmission and distribution\nlosses of grid energy"),
                "BASIC+",
            ),
            (_("Waste from the city"), _("treated or landfilled outside it"), "BASIC"),
            (
                _("Transboundary transport"),
                _("the out-of-city part of trips\nto or from the city"),
                "BASIC+",
            ),
        ],
        bottom=368,
    )
    # Power and heat plants feeding the grid, and the energy they send into the city.
    plant = split(_("Power and heat plants"))
    where = split(_("on the grid, inside or\noutside the city"))
    plant_h = max(80, 27 + 19 * (len(plant) - 1) + 19 + 17 * (len(where) - 1) + 17)
    fig.rect(560, 380, 224, plant_h, fill=tint(GREY, 0.25), stroke="#666666", stroke_width=1.5)
    after = fig.lines(576, 407, plant, size=14, step=19, bold=True, max_width=192)
    fig.lines(576, after, where, size=13, step=17, fill=MUTED, max_width=192)
    fig.arrow([(560, 440), (446, 440)], colour=INK, stroke_width=2.5)
    grid_energy = split(_("grid energy"))
    for i, line in enumerate(reversed(grid_energy)):
        fig.text(505, 430 - 15 * i, line, size=13, anchor="middle", fill=MUTED, max_width=110)

    # Key: the two reporting levels.
    basic = split(_("scopes 1 and 2 of stationary energy and transport, scopes 1 and 3 of waste"))
    basic_plus = split(
        _(
            "BASIC, plus IPPU and AFOLU (scope 1) and transboundary transport and\n"
            "grid losses (scope 3)"
        )
    )
    plus_y = max(596, 576 + 19 * (len(basic) - 1) + 20)
    key_h = max(128, plus_y + 16 + 19 * (len(basic_plus) - 1) + 17 - 520)
    fig.height = 520 + key_h + 16
    fig.rect(16, 520, 768, key_h, fill="#ffffff", stroke="#999999", stroke_width=1.2)
    fig.text(32, 546, _("Reporting levels"), size=15, bold=True, max_width=736)
    fig.badge(32, 560, "BASIC")
    fig.lines(110, 576, basic, step=19, max_width=660)
    fig.badge(32, plus_y, "BASIC+")
    fig.lines(110, plus_y + 16, basic_plus, step=19, max_width=660)
    return fig.svg()


# --- 2. Climate City Contract ---------------------------------------------------------------


def ccc_structure(lang: str = "en") -> str:
    """The three documents of a Climate City Contract and the kit outputs that feed them."""
    with use_language(lang):
        return _ccc_structure(lang)


def _ccc_structure(lang: str) -> str:
    fig = Figure(
        "ccc-structure",
        800,
        640,
        _("The Climate City Contract and what the kit contributes to it"),
        _(
            "On the right, a frame labelled Climate City Contract holds three documents. "
            "1, Commitments: the vision, the ambition and the target year (2030 for Mission "
            "cities, 2035 for M100 mirror cities), signed by the city and its local partners, "
            "saying who commits to what. 2, Action Plan: the baseline inventory and the targets, "
            "the measures by sector (buildings, energy, mobility, nature-based solutions, waste) "
            "and the portfolio of actions with its emission pathway. 3, Investment Plan: what "
            "the measures cost (the capital needs), the funding sources (grants, loans, bonds, own "
            "budget, private capital) and a strategy to raise and combine the money. Approval by "
            "the Mission's experts earns the Mission Label. On the left, what the course and the "
            "kit contribute, with arrows into the documents: Module 6 of the course (governance, "
            "engagement, transition labs) feeds the Commitments; the m100 inventory command "
            "gives the base-year GHG inventory for the Action Plan; the m100 run command gives "
            "the least-cost portfolio and its emissions against the targets for the Action Plan, "
            "and investment_plan.xlsx, the spending by year and funding source, for the "
            "Investment Plan. At the bottom, the m100 monitor command compares a later "
            "inventory with the planned pathway, by GPC sector, with the transition indicators; "
            "an arrow from it back to the contract shows that the contract is reviewed and "
            "updated as a living document."
        ),
        lang=lang,
    )
    fig.text(16, 40, _("From the course and the kit"), size=15, bold=True, max_width=310)

    # The contract and its three documents.
    fig.rect(340, 16, 444, 476, fill="#fafafa", stroke=INK, stroke_width=2.5, rx=14)
    fig.text(356, 44, _("Climate City Contract"), size=19, bold=True, max_width=412)
    fig.text(
        356,
        64,
        _("approved by the Mission's experts: Mission Label"),
        size=13,
        fill=MUTED,
        max_width=412,
    )

    def document(y, h, n, colour, heading, texts):
        lines = [line for text in texts for line in split(text)]
        fig.rect(356, y, 412, h, fill=tint(colour), stroke=colour, stroke_width=2)
        fig.number(378, y + 24, n, colour=INK)
        fig.text(402, y + 30, heading, size=17, bold=True, max_width=350)
        end = fig.lines(372, y + 56, lines, size=14, step=20, max_width=380)
        if end - 20 + 12 > y + h:
            raise ValueError(f"{heading}: text overflows the box")

    document(
        80,
        112,
        1,
        ORANGE,
        _("Commitments"),
        [
            _("Vision, ambition and target year (2030 or 2035)"),
            _("Signed by the city and its local partners"),
            _("Who commits to what"),
        ],
    )
    document(
        208,
        136,
        2,
        BLUE,
        _("Action Plan"),
        [
            _("Baseline inventory and targets"),
            _("Measures by sector: buildings, energy,\nmobility, nature-based solutions, waste"),
            _("Portfolio of actions and its emission pathway"),
        ],
    )
    document(
        360,
        116,
        3,
        GREEN,
        _("Investment Plan"),
        [
            _("What the measures cost: the capital needs"),
            _(
                "Funding sources: grants, loans, bonds, own\n"
                "budget, private capital; a financing strategy"
            ),
        ],
    )

    def at_most(lines: list[str], n: int, where: str) -> list[str]:
        if len(lines) > n:
            raise ValueError(f"{where}: {len(lines)} lines, room for {n}")
        return lines

    # What the course and the kit give, with arrows into the documents.
    def source(y, h, heading, text, *, colour, mono=True):
        fig.rect(16, y, 310, h, fill=tint(colour), stroke=colour, stroke_width=1.5)
        fig.text(28, y + 24, heading, size=15, bold=True, mono=mono, max_width=286)
        lines = at_most(split(text), 2, heading)
        fig.lines(28, y + 45, lines, size=13, step=18, fill=MUTED, max_width=286)

    source(
        90,
        76,
        _("Course, Module 6"),
        _("governance, engagement and transition\nlabs: agree who commits to what"),
        colour=PURPLE,
        mono=False,
    )
    fig.arrow([(326, 128), (354, 128)])

    source(
        218,
        74,
        "m100 inventory",
        _("base-year GHG inventory: GPC BASIC and\nBASIC+, and the Covenant of Mayors view"),
        colour=GREY,
    )
    fig.arrow([(326, 255), (354, 255)])

    fig.rect(16, 308, 310, 176, fill=tint(GREY), stroke=GREY, stroke_width=1.5)
    fig.text(28, 332, "m100 run", size=15, bold=True, mono=True)
    fig.text(
        28,
        352,
        _("least-cost portfolio that meets the targets"),
        size=13,
        fill=MUTED,
        max_width=286,
    )
    fig.rect(28, 366, 286, 46, fill="#ffffff", stroke=GREY, stroke_width=1.2, rx=6)
    fig.lines(
        40,
        385,
        at_most(split(_("projects, their timing, emissions\nagainst the targets")), 2, "m100 run"),
        size=13,
        step=17,
        max_width=266,
    )
    fig.arrow([(314, 389), (333, 389), (333, 330), (354, 330)])
    fig.rect(28, 424, 286, 48, fill="#ffffff", stroke=GREY, stroke_width=1.2, rx=6)
    fig.text(40, 443, "investment_plan.xlsx", size=13, bold=True, mono=True, max_width=266)
    fig.text(40, 461, _("spending by year and funding source"), size=13, max_width=266)
    fig.arrow([(314, 448), (354, 448)])

    # Monitoring closes the loop.
    fig.rect(16, 548, 768, 76, fill=tint(YELLOW, 0.22), stroke="#8a7d00", stroke_width=1.5)
    fig.text(32, 572, "m100 monitor", size=15, bold=True, mono=True)
    monitor = _(
        "a later inventory against the planned pathway: the gap by GPC sector and the\n"
        "transition indicators of the plan"
    )
    fig.lines(
        32,
        594,
        at_most(split(monitor), 2, "m100 monitor"),
        size=13,
        step=18,
        fill=MUTED,
        max_width=736,
    )
    fig.arrow([(166, 484), (166, 546)], colour=MUTED, dash="5 4")
    the_plan = _("the plan")
    fig.text(174, 524, the_plan, size=13, fill=MUTED, max_width=120)
    fig.arrow([(560, 548), (560, 494)], colour=INK, stroke_width=2.5)
    review = _("review and update: a living document")
    # Right-aligned at 550, it must end before "the plan" begins.
    room = 550 - (174 + text_width(the_plan, 13) + 12)
    fig.text(550, 526, review, size=13, anchor="end", fill=MUTED, max_width=room)
    return fig.svg()


# --- 3. Bundling ----------------------------------------------------------------------------

# Three illustrative programmes (M EUR), as in Module 6's exercise 1 (book/cpd/06_governance.md).
ILLUSTRATIVE_PROGRAMMES = {N_("City A"): 18.0, N_("City B"): 15.0, N_("City C"): 12.0}


def finance_rules() -> dict[str, float]:
    """The bundling numbers as the kit's data and scenario defaults hold them."""
    from m100model.projects import load_eligibility, load_instruments
    from m100model.scenario import BundleSpec

    inst = load_instruments()
    shares = load_eligibility().query("instrument_id == 'eib_loan'")["max_share"]
    if shares.nunique() != 1:
        raise ValueError("the EIB direct loan's maximum share differs by theme: redraw the figure")
    return {
        "ticket": float(inst.at["eib_loan", "min_ticket"]) / 1e6,
        "eib_share": float(shares.iloc[0]),
        "elena_min": float(inst.at["elena", "min_ticket"]) / 1e6,
        "elena_cover": float(inst.at["elena", "prep_cost_coverage"]),
        "prep_saving": float(BundleSpec.model_fields["prep_saving"].default),
    }


def _m(v: float) -> str:
    """M EUR as the book writes them: 'EUR 22.5 m', 'EUR 25 m' ('22,5 mil. euro' in Romanian)."""
    amount = f"{v:,.1f}".removesuffix(".0")
    if language() == "ro":
        amount = romanian_number(amount)
    return _("EUR {amount} m").format(amount=amount)


def bundling_flow(lang: str = "en") -> str:
    """Several cities' programmes, bundled, reach the EIB ticket and are financed together."""
    with use_language(lang):
        return _bundling_flow(lang)


def _bundling_flow(lang: str) -> str:
    r = finance_rules()
    progs = ILLUSTRATIVE_PROGRAMMES
    total = sum(progs.values())
    eib_max = r["eib_share"] * total
    pct = f"{r['eib_share']:.0%}"
    saving, cover = f"{r['prep_saving']:.0%}", f"{r['elena_cover']:.0%}"
    fig = Figure(
        "bundling-flow",
        800,
        752,
        _("Bundling: from several cities' projects to one financed programme"),
        _(
            "Four steps from top to bottom, with illustrative numbers. Step 1, each city's "
            "project pipeline: {programmes}. A dashed line marks the EIB's minimum ticket for a "
            "direct loan, {ticket}; every programme alone is below it, so none can borrow "
            "directly from the EIB. Step 2, the programmes are bundled by theme or region (a "
            "territorial transition cluster makes this routine) into one programme of {total}, "
            "above the line: the EIB may lend directly up to {pct} of its cost, {eib_max}. One "
            "feasibility study and one tender: the kit assumes {saving} lower preparation "
            "costs, and ELENA pays up to {cover} of preparation costs for programmes of about "
            "{elena_min} or more. Step 3, blended finance: the EIB direct loan (at most {pct} "
            "of the cost), grants (PNRR, Regional Programme, AFM; ELENA for preparation), the "
            "municipal budgets of the cities and a municipal green bond. Step 4, implementation "
            "and monitoring: the councils agree on one procurement, one loan and one timetable; "
            "the bundle is delivered whole or not at all; each city monitors its emissions "
            "against its pathway."
        ).format(
            programmes=", ".join(f"{tr(c)} {_m(v)}" for c, v in progs.items()),
            ticket=_m(r["ticket"]),
            total=_m(total),
            pct=pct,
            eib_max=_m(eib_max),
            saving=saving,
            cover=cover,
            elena_min=_m(r["elena_min"]),
        ),
        lang=lang,
    )
    x0, scale = 150, 10.0  # bar origin (px) and px per M EUR
    tx = x0 + scale * r["ticket"]

    def band(y, h, n, colour, heading):
        fig.rect(16, y, 768, h, fill=tint(colour, 0.1), stroke=colour, stroke_width=1.5)
        fig.number(44, y + 24, n, colour=INK)
        fig.text(68, y + 30, heading, size=16, bold=True, max_width=700)

    def down(y1, y2, label):
        fig.arrow([(44, y1), (44, y2)], stroke_width=2.5)
        fig.text(58, (y1 + y2) / 2 + 5, label, size=13, fill=MUTED, max_width=718)

    # 1. Pipelines.
    band(16, 178, 1, SKY, _("Each city's project pipeline (illustrative)"))
    y = 62
    for city, v in progs.items():
        fig.text(x0 - 10, y + 16, tr(city), size=14, anchor="end", max_width=x0 - 10 - 64)
        fig.rect(x0, y, scale * v, 22, fill=SKY, stroke=INK, stroke_width=1, rx=2)
        fig.text(x0 + 8, y + 16, _m(v), size=13, max_width=scale * v - 12)
        y += 34
    room = 784 - 16 - tx - 10
    minimum = split(_("EIB direct-loan minimum: {amount}").format(amount=_m(r["ticket"])))
    after = fig.lines(tx + 10, 78, minimum, size=13, bold=True, step=18, max_width=room)
    alone = split(_("Each programme alone is below it:\nno direct EIB loan"))
    alone_y = max(106, after + 10)
    if alone_y + 18 * (len(alone) - 1) > 162:
        raise ValueError("bundling flow: the text beside the EIB ticket is too long")
    fig.lines(tx + 10, alone_y, alone, size=13, step=18, fill=MUTED, max_width=room)
    fig.text(
        68,
        180,
        _("e.g. electric buses and cycle lanes in cities of one region"),
        size=13,
        fill=MUTED,
        max_width=700,
    )
    down(
        194,
        226,
        _("bundle by theme or region (a territorial transition cluster makes this routine)"),
    )

    # 2. The bundle. A longer (translated) text makes the band taller and moves the rest down.
    above = split(
        _(
            "Above the minimum ticket: the EIB may lend directly up to {pct} of the cost, {amount}."
        ).format(pct=pct, amount=_m(eib_max))
    ) + split(
        _(
            "One feasibility study and one tender: the kit assumes {saving} lower preparation "
            "costs. ELENA pays\nup to {cover} of preparation costs for programmes of about "
            "{amount} or more."
        ).format(saving=saving, cover=cover, amount=_m(r["elena_min"]))
    )
    shift = 18 * max(0, len(above) - 3)
    band(
        228,
        150 + shift,
        2,
        BLUE,
        _("One bundled programme, prepared and procured as one operation"),
    )
    fig.text(x0 - 10, 292, _("Bundle"), size=14, bold=True, anchor="end", max_width=x0 - 10 - 64)
    xs = x0
    for i, (city, v) in enumerate(progs.items()):
        dark = i % 2 == 0
        fill = BLUE if dark else tint(BLUE, 0.45)
        fig.rect(xs, 274, scale * v, 26, fill=fill, stroke=INK, stroke_width=1, rx=2)
        fig.text(
            xs + 8,
            292,
            tr(city),
            size=13,
            fill="#ffffff" if dark else INK,
            max_width=scale * v - 12,
        )
        xs += scale * v
    fig.text(xs + 8, 292, _m(total), size=14, bold=True, max_width=784 - 16 - xs - 8)
    fig.lines(68, 326, above, size=13, step=18, max_width=700)
    # The EIB ticket across both bar charts.
    fig.line(tx, 56, tx, 162, stroke=VERMILLION, stroke_width=2.5, dash="7 5")
    fig.line(tx, 264, tx, 308, stroke=VERMILLION, stroke_width=2.5, dash="7 5")
    down(378 + shift, 410 + shift, _("finance the programme from several sources"))

    # 3. Blended finance.
    band(412 + shift, 194, 3, GREEN, _("Blended finance"))
    sources = [
        (
            VERMILLION,
            _("EIB direct loan"),
            _("at most {pct} of the programme's cost").format(pct=pct),
        ),
        (GREEN, _("Grants"), _("PNRR, Regional Programme, AFM;\nELENA for the preparation")),
        (BLUE, _("City budgets"), _("each city's own capital spending")),
        (WINE, _("Municipal green bond"), _("for example on the Bucharest\nStock Exchange")),
    ]
    w, h, gap = 346, 64, 12
    for k, (colour, name, detail) in enumerate(sources):
        xs, ys = 68 + (k % 2) * (w + gap), 456 + shift + (k // 2) * (h + gap)
        lines = split(detail)
        if len(lines) > 2:
            raise ValueError(f"bundling flow: {name}: {len(lines)} lines, room for 2")
        fig.rect(xs, ys, w, h, fill="#ffffff", stroke=colour, stroke_width=2.5, rx=6)
        fig.rect(xs, ys, 10, h, fill=colour, stroke=colour, stroke_width=0, rx=0)
        fig.text(xs + 22, ys + 22, name, size=14, bold=True, max_width=w - 32)
        fig.lines(xs + 22, ys + 40, lines, size=13, step=16, fill=MUTED, max_width=w - 32)
    down(606 + shift, 638 + shift, _("deliver and follow up"))

    # 4. Implementation and monitoring.
    delivery = split(
        _(
            "The councils agree on one procurement, one loan and one timetable; the bundle is "
            "delivered whole\nor not at all. Each city monitors its emissions against its "
            "pathway (m100 monitor)."
        )
    )
    more = 18 * max(0, len(delivery) - 2)
    band(640 + shift, 96 + more, 4, ORANGE, _("Implementation and monitoring"))
    fig.lines(68, 696 + shift, delivery, size=13, step=18, max_width=700)
    fig.height = 752 + shift + more
    return fig.svg()


# --- 4. The renovation section, drawn by hand: its Romanian copy -----------------------------

# The texts of renovation_section.svg, in the file's order, each with the room it has: the
# widest it may be at its place, in px as text_width() estimates them (where the English label
# fills its place, its own width); a line break joins the lines of one label. The title and
# description are not drawn, and the legend is laid out again for the translated labels (room
# None). "MVHR" stays as it is in both languages.
RENOVATION_TEXTS: list[tuple[str, float | None]] = [
    (
        N_("Section through a pre-1990 block of flats: heat losses before, and a deep renovation"),
        None,
    ),
    (
        N_(
            "Two halves of one building section. Left, as built: an uninsulated concrete panel "
            "wall, roof and ground-floor slab, single or old double windows, leaky joints and a "
            "cantilevered balcony slab that forms a thermal bridge; red arrows show heat "
            "escaping through each. Right, after deep renovation: external insulation on walls, "
            "roof and the ground-floor slab, new windows, mechanical ventilation with heat "
            "recovery and the balcony wrapped or thermally broken."
        ),
        None,
    ),
    (N_("As built (before 1990)"), 480),
    (N_("After a deep renovation"), 480),
    (N_("Ground / unheated basement"), 470),
    (N_("Roof: no or little insulation"), 205),
    (N_("Wall: bare concrete panel"), 350),
    (N_("Old windows, leaky joints"), 350),
    (N_("Balcony slab: thermal bridge"), 260),
    (N_("Floor slab: uninsulated"), 185),
    (N_("Ventilation: open windows,\nwarm air lost"), 195),
    ("MVHR", 84),
    (N_("Roof insulation"), 470),
    (N_("External wall insulation (ETICS)"), 247),
    (N_("New windows, airtight joints"), 216),
    (N_("Balconies wrapped or\nthermally broken"), 166),
    (N_("Ventilation with heat recovery"), 340),
    (N_("Insulation under the ground-floor slab"), 470),
    (N_("Reinforced concrete"), None),
    (N_("Added insulation"), None),
    (N_("Heat loss"), None),
    (N_("Supply and extract air"), None),
    (N_("Schematic, not to scale"), None),
]
KEPT = {"MVHR"}
_SVG_TEXT = re.compile(r"<(title|desc|text)\b([^>]*)>([^<]*)</\1>")


def _font_of(source: str, element: re.Match) -> tuple[float, bool]:
    """The font size and weight of a text element of a hand-written SVG: its own, else its
    group's (``<g font-size=...>``), else the file's."""
    before = source[: element.start()]
    attributes = [element.group(2)]
    if before.rfind("<g") > before.rfind("</g>"):
        attributes.append(before[before.rfind("<g") :].split(">", 1)[0])
    attributes.append(source.split(">", 1)[0])
    size = next(float(m[1]) for a in attributes if (m := re.search(r'font-size="([\d.]+)"', a)))
    bold = any("font-weight" in a for a in attributes[:-1])
    return size, bold


def renovation_section(lang: str = "ro") -> str:
    """``renovation_section.svg`` with its texts in ``lang``; fails when the English file's
    texts are no longer those of ``RENOVATION_TEXTS``, or a translation does not fit."""
    source = (OUT_DIR / "renovation_section.svg").read_text(encoding="utf-8")
    found = list(_SVG_TEXT.finditer(source))
    wanted = [line for text, _room in RENOVATION_TEXTS for line in split(text)]
    have = [html.unescape(m.group(3)) for m in found]
    if have != wanted:
        raise ValueError("renovation_section.svg's texts changed: update RENOVATION_TEXTS")
    new: list[str] = []
    with use_language(lang):
        for text, room in RENOVATION_TEXTS:
            lines = split(text if text in KEPT else tr(text))
            if len(lines) != len(split(text)):
                raise ValueError(f"renovation section: {text!r} must stay {len(split(text))} lines")
            for line in lines:
                size, bold = _font_of(source, found[len(new)])
                w = text_width(line, size, bold=bold)
                if room is not None and w > room:
                    raise ValueError(f"renovation section: {line!r} is about {w:.0f} px, > {room}")
                new.append(line)
    out, last = [], 0
    for m, text in zip(found, new, strict=True):
        out += [source[last : m.start(3)], escape(text)]
        last = m.end(3)
    out.append(source[last:])
    svg = _reflow_legend("".join(out))
    return svg.replace("<svg ", f"<svg{_lang_attribute(lang)} ", 1)


_LEGEND = re.compile(r"(<!-- legend -->\s*<g font-size=\"(\d+)\">\n)(.*?)(\n\s*</g>)", re.DOTALL)
_X = re.compile(r'\b(x|x1|x2)="([\d.]+)"')


def _reflow_legend(svg: str, gap: float = 20) -> str:
    """The renovation section's legend row laid out again for translated labels: each swatch
    ``gap`` px after the label before it (the English file is spaced for the English labels);
    the right-aligned note at the end must still have room."""
    legend = _LEGEND.search(svg)
    if legend is None:
        raise ValueError("renovation_section.svg: no legend group after <!-- legend -->")
    size = float(legend.group(2))
    x, shift, rows = None, 0.0, []
    for row in legend.group(3).split("\n"):
        label = _SVG_TEXT.search(row)
        dx = shift
        if label and 'text-anchor="end"' in row:  # the note at the right: it stays
            dx = 0.0
            right = float(_X.search(row).group(2))
            if x is not None and right - text_width(html.unescape(label.group(3)), size) < x:
                raise ValueError(f"renovation section legend: {label.group(3)!r} has no room")
        elif label:  # a swatch's label: it moves with its swatch
            text_x = float(_X.search(row).group(2)) + shift
            x = text_x + text_width(html.unescape(label.group(3)), size) + gap
        else:  # a swatch: the first stays, the others follow the label before them
            start = float(_X.search(row).group(2))
            shift = dx = 0.0 if x is None else round(x - start)
        rows.append(_X.sub(lambda m, dx=dx: f'{m[1]}="{_n(float(m[2]) + dx)}"', row))
    return svg[: legend.start(3)] + "\n".join(rows) + svg[legend.end(3) :]


# --- the files --------------------------------------------------------------------------------

FIGURES = {
    "gpc_scopes.svg": gpc_scopes,
    "ccc_structure.svg": ccc_structure,
    "bundling_flow.svg": bundling_flow,
}
TRANSLATIONS = ("ro",)
"""The languages each figure is drawn in besides English: ``<name>.<lang>.svg``."""


def translated_name(name: str, lang: str) -> str:
    """``gpc_scopes.svg`` -> ``gpc_scopes.ro.svg`` (Sphinx's ``{root}.{language}{ext}``)."""
    stem, ext = name.rsplit(".", 1)
    return f"{stem}.{lang}.{ext}"


def build() -> dict[str, str]:
    """The text of every figure, by file name: the English ones and their translations
    (the hand-drawn renovation section only translated)."""
    files = {name: make() for name, make in FIGURES.items()}
    for lang in TRANSLATIONS:
        for name, make in FIGURES.items():
            files[translated_name(name, lang)] = make(lang)
        files[translated_name("renovation_section.svg", lang)] = renovation_section(lang)
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args(argv)
    stale = []
    for name, text in build().items():
        path = OUT_DIR / name
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path.relative_to(ROOT)}")
    if stale:
        print("out of date (run python scripts/make_figures.py): " + ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
