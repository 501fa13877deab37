"""Altair charts of the kit: one function per chart type, each returning an ``alt.Chart``.

Every chart has a title and axis labels with units, uses the Okabe-Ito colour-blind-safe
palette, and reads well when printed. Themes and funding sources have one fixed colour each
(:func:`theme_scale`, :func:`funding_scale`, :func:`theme_colours`,
:func:`instrument_colours`), the same in the report, the notebooks and the explorer.
:func:`to_png` and :func:`to_svg` export offline through vl-convert.

Every chart function takes ``lang`` (``"en"``, ``"ro"``; ``None``: the current language, see
:mod:`m100model.i18n`): axis, legend and tooltip titles, series names and the labels that
come from the kit's data (CPD themes, GPC sectors and sub-sectors, scopes, funding sources,
programmes) are then in that language, and numbers are written the Romanian way (decimal
comma, thousands dot: Vega-Lite's ``config.locale``). A chart's ``title`` is the caller's
text, shown as given. Identifiers stay as they are (project, run and portfolio ids, tornado
inputs, indicator names, city ids). English charts are the same as before the translation.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Iterable

import altair as alt
import numpy as np
import pandas as pd

from m100model.i18n import N_, MissingTranslation, _, language, number, tr, use_language
from m100model.io import check_renderer
from m100model.projects import THEME_NAMES, THEMES

# Okabe & Ito (2008) colour-blind-safe palette.
OKABE_ITO = [
    "#E69F00",
    "#56B4E9",
    "#009E73",
    "#F0E442",
    "#0072B2",
    "#D55E00",
    "#CC79A7",
    "#999999",
    "#000000",
]
# One fixed colour per CPD theme (by display name) and per funding source: every chart that
# colours by theme or funding source gives Altair the full domain, so a colour never moves
# when a redraw shows another subset (the explorer's sliders, another city).
THEME_COLOURS = dict(zip([THEME_NAMES[t] for t in THEMES], OKABE_ITO, strict=False))
WIDTH = 560

# Funding sources: Okabe-Ito and Paul Tol's muted scheme (both colour-blind safe), grouped by
# kind: the city's own money blue, EU and national grants blues, greens and yellows, loans
# oranges and reds, bonds and private money purples.
_INSTRUMENT_COLOUR_OF = {
    "municipal_budget": "#0072B2",
    "pnrr_c5": "#56B4E9",
    "pnrr_c10": "#88CCEE",
    "pnrr_c16": "#332288",
    "regional_programme": "#009E73",
    "national_programmes": "#44AA99",
    "modernisation_fund": "#117733",
    "social_climate_fund": "#DDCC77",
    "ets2_revenue": "#F0E442",
    "elena": "#999933",
    "eib_loan": "#D55E00",
    "eib_framework_loan": "#E69F00",
    "eib_intermediated_loan": "#CC6677",
    "green_bond": "#882255",
    "esco": "#AA4499",
    "private_capital": "#CC79A7",
}
# For an instrument added to data/funding/instruments.csv without a colour of its own.
_SPARE_COLOURS = ["#999999", "#661100", "#6699CC", "#888888", "#000000", "#DDDDDD"]


# ---------------------------------------------------------------------------------------
# Labels from the kit's data, in the chart's language
# ---------------------------------------------------------------------------------------
# The values of the data columns that charts show as labels, marked for translation: each has
# its Romanian in the catalogue (tests/test_charts_widgets_ro.py checks that every value in
# the data files has one). A chart in English shows them as they are.
THEME_LABELS = (  # m100model.projects.THEME_NAMES
    N_("Sustainable mobility"),
    N_("Built environment"),
    N_("Energy systems"),
    N_("Nature-based solutions"),
    N_("Circular economy and waste"),
    N_("Governance and enablers"),
)
GPC_SECTOR_LABELS = (  # data/gpc/gpc_reference.csv, sector_name
    N_("Stationary energy"),
    N_("Transportation"),
    N_("Waste"),
    N_("Industrial processes and product use (IPPU)"),
    N_("Agriculture, forestry and other land use (AFOLU)"),
    N_("Other scope 3"),
)
GPC_SUBSECTOR_LABELS = (  # data/gpc/gpc_reference.csv, subsector_name
    N_("Residential buildings"),
    N_("Commercial and institutional buildings and facilities"),
    N_("Manufacturing industries and construction"),
    N_("Energy industries"),
    N_("Agriculture, forestry and fishing activities"),
    N_("Non-specified sources"),
    N_("Fugitive emissions from mining, processing, storage and transportation of coal"),
    N_("Fugitive emissions from oil and natural gas systems"),
    N_("On-road transportation"),
    N_("Railways"),
    N_("Waterborne navigation"),
    N_("Aviation"),
    N_("Off-road transportation"),
    N_("Solid waste disposal"),
    N_("Biological treatment of waste"),
    N_("Incineration and open burning"),
    N_("Wastewater treatment and discharge"),
    N_("Industrial processes"),
    N_("Product use"),
    N_("Livestock"),
    N_("Land"),
    N_("Aggregate sources and non-CO2 emission sources on land"),
)
FUNDING_SOURCE_LABELS = (  # data/funding/instruments.csv, name (short_instrument_name)
    N_("Municipal budget (own capital spending)"),
    N_("PNRR Component 5 - Renovation Wave (RRF)"),
    N_("PNRR Component 10 - Local Fund (RRF)"),
    N_("PNRR Component 16 - REPowerEU chapter (RRF)"),
    N_("Regional Programmes 2021-2027 (ERDF)"),
    N_("National programmes of the Environment Fund Administration (AFM)"),
    N_("Modernisation Fund (EU ETS revenues)"),
    N_("EIB direct project loan"),
    N_("EIB framework / programme loan (public sector)"),
    N_("EIB intermediated loan via local banks"),
    N_("ELENA - European Local Energy Assistance (EIB/EC)"),
    N_("Municipal green bond (Bucharest Stock Exchange)"),
    N_("Energy performance contracting (ESCO)"),
    N_("Private capital"),
    N_("Social Climate Fund (Regulation (EU) 2023/955)"),
    N_("Romania's ETS2 auction revenue (buildings and road transport fuels)"),
)
MONITORING_LABELS = (  # m100model.analysis.monitoring: its own sector rows, the status
    N_("Total (BASIC sectors)"),
    N_("Removals (nature-based projects)"),
    N_("on track"),
    N_("off track"),
)
EFFECT_LABELS = (  # LMDI effects: m100model.analysis.monitoring.EFFECT_NAMES, the total
    N_("Activity (population)"),
    N_("Structure (sector and fuel mix)"),
    N_("Energy intensity (energy per person)"),
    N_("Emission factor (emissions per unit of energy)"),
    N_("Total change"),
)
UNIT_LABELS = (  # the transition indicators' units that are words (the others are symbols)
    N_("share of the bus fleet"),
    N_("vehicles"),
    N_("MW thermal"),
    N_("share of electricity use"),
    N_("share"),
    N_("t CO2e per person"),
)


def translate_labels(values: Iterable[object], *, only: Iterable[str] | None = None) -> list:
    """Labels from the data in the current language (:func:`~m100model.i18n.tr`, once per
    distinct value); a value that is not text (a missing one) stays. With ``only``, the
    values not in it stay as they are (symbols such as units' "km")."""
    values = list(values)
    keep = None if only is None else set(only)
    found = {
        v: tr(v) for v in {v for v in values if isinstance(v, str)} if keep is None or v in keep
    }
    return [found.get(v, v) if isinstance(v, str) else v for v in values]


def _in_language(df: pd.DataFrame, columns: dict[str, Iterable[str] | None]) -> pd.DataFrame:
    """``df`` with the label ``columns`` in the current language (values limited to the
    column's ``only`` set when it has one); in English the frame itself, unchanged."""
    if language() == "en":
        return df
    return df.assign(
        **{c: translate_labels(df[c], only=only) for c, only in columns.items() if c in df.columns}
    )


@functools.cache
def _programme_names(folder: str) -> dict[str, str]:
    from m100model.projects import load_archetypes

    arch = load_archetypes()
    return {
        str(n): str(r).strip()
        for n, r in zip(arch["name"], arch["name_ro"], strict=True)
        if isinstance(r, str) and r.strip()
    }


def programme_names(names: Iterable[object]) -> list:
    """Programme (archetype) names in the current language: the Romanian names are data,
    ``name_ro`` of ``data/projects/archetypes.csv``. A name without one stays English (an
    error in strict mode, ``M100_I18N_STRICT=1``)."""
    names = list(names)
    if language() == "en":
        return names
    from m100model.tables import data_dir

    known = _programme_names(str(data_dir()))
    out = []
    for n in names:
        if isinstance(n, str) and n not in known and os.environ.get("M100_I18N_STRICT"):
            raise MissingTranslation(f"no name_ro for the programme {n[:80]!r}")
        out.append(known.get(n, n) if isinstance(n, str) else n)
    return out


def _tip(shorthand: str, label: str, **kwargs) -> alt.Tooltip:
    """A tooltip field that English charts show under the field's own name (as before the
    translation) and a chart in another language under ``label`` translated."""
    if language() == "en":
        return alt.Tooltip(shorthand, **kwargs)
    return alt.Tooltip(shorthand, title=tr(label), **kwargs)


ROMANIAN_NUMBERS = alt.Locale(
    number=alt.NumberLocale(decimal=",", thousands=".", grouping=[3], currency=["", " EUR"])
)
"""Vega's number format in a Romanian chart: decimal comma, thousands dot ("1.234,5")."""


def _localised(chart):
    """The chart with its language's number format (Vega-Lite's ``config.locale``, which the
    browser and vl-convert both read, offline) and room for its longer labels (Romanian runs
    some 20% longer than English: Vega cuts a label at 160 to 180 pixels); an English chart
    as it is. A chart so configured is shown or saved as it is (Altair does not layer or
    concatenate configured charts)."""
    if language() == "ro":
        return chart.configure(
            locale=ROMANIAN_NUMBERS,
            legend=alt.LegendConfig(titleLimit=260, labelLimit=260),
            axis=alt.AxisConfig(labelLimit=220),
        )
    return chart


def theme_colours() -> dict[str, str]:
    """The colour of each CPD theme, by display name in the current language (all themes,
    fixed order)."""
    return dict(zip(translate_labels(THEME_COLOURS), THEME_COLOURS.values(), strict=True))


def theme_scale() -> alt.Scale:
    """Altair colour scale over all CPD themes (display names in the current language): the
    same theme has the same colour in every chart, whatever subset a chart shows."""
    colours = theme_colours()
    return alt.Scale(domain=list(colours), range=list(colours.values()))


_theme_scale = theme_scale  # the earlier private name


def short_instrument_name(name: str) -> str:
    """A funding source's name short enough for a legend or a table row: the part before a
    comma or colon ("Private capital: owners' own funds ..." -> "Private capital")."""
    return name.split(":")[0].split(", ")[0].strip()


def funding_source_names() -> dict[str, str]:
    """Short display name of every instrument in ``data/funding/instruments.csv``, by id, in
    the current language."""
    from m100model.projects import load_instruments

    inst = load_instruments()
    ids = [str(s) for s in inst.index]
    names = translate_labels(short_instrument_name(str(n)) for n in inst["name"])
    return dict(zip(ids, names, strict=True))


def instrument_colours() -> dict[str, str]:
    """The colour of every instrument in ``data/funding/instruments.csv``, by id (fixed)."""
    from m100model.projects import load_instruments

    out, spare = {}, iter(_SPARE_COLOURS * 10)
    for s in load_instruments().index:
        out[str(s)] = _INSTRUMENT_COLOUR_OF.get(str(s)) or next(spare)
    return out


def funding_colours() -> dict[str, str]:
    """The colour of every funding source, by its short display name in the current
    language (what the charts' legends show)."""
    names, colours = funding_source_names(), instrument_colours()
    return {names[s]: colours[s] for s in names}


def funding_scale() -> alt.Scale:
    """Altair colour scale over all funding sources (short display names in the current
    language, full domain)."""
    colours = funding_colours()
    return alt.Scale(domain=list(colours), range=list(colours.values()))


def inventory_chart(
    by_subsector: pd.DataFrame, title: str, *, lang: str | None = None
) -> alt.Chart:
    """Horizontal bars of an inventory by GPC sub-sector and scope (t CO2e)."""
    with use_language(lang):
        df = _in_language(by_subsector, {"subsector_name": None})
        scope = _("Scope {scope}")
        df = df.assign(
            scope=df["scope"].map(lambda s: scope.format(scope=s)),
            label=df["subsector"] + " " + df["subsector_name"],
        )
        chart = (
            alt.Chart(df, title=title, width=WIDTH)
            .mark_bar()
            .encode(
                y=alt.Y("label:N", sort="-x", title=_("GPC sub-sector")),
                x=alt.X("sum(tco2e):Q", title=_("Emissions (t CO2e per year)")),
                color=alt.Color(
                    "scope:N",
                    title=_("Scope"),
                    scale=alt.Scale(range=[OKABE_ITO[4], OKABE_ITO[0], OKABE_ITO[7]]),
                ),
                tooltip=[
                    _tip("label:N", N_("GPC sub-sector")),
                    _tip("scope:N", N_("Scope")),
                    alt.Tooltip("sum(tco2e):Q", format=",.0f", title="t CO2e"),
                ],
            )
        )
        return _localised(chart)


# The explorer's charts are drawn from named tables: ``*_data`` computes them from model
# results, ``draw_*`` lays the chart out over them (DataFrames, or ``alt.NamedData`` when the
# rows travel separately, as in the scenario explorer's live charts), and ``*_chart`` does both.
ChartData = pd.DataFrame | alt.NamedData
_PATHWAY_ORDER = [N_("Remaining emissions"), *THEME_COLOURS]
_PATHWAY_LINES = (N_("Baseline (no new projects)"), N_("Target path"))


def pathway_data(
    emissions: pd.DataFrame, wedges: pd.DataFrame, *, lang: str | None = None
) -> dict[str, pd.DataFrame]:
    """The pathway chart's tables: ``stack`` (remaining emissions and the abatement wedges by
    theme, kt CO2e, with their stacking order) and ``lines`` (baseline and target path),
    labelled in ``lang``."""
    with use_language(lang):
        em = emissions.groupby("year", as_index=False)[
            ["baseline_kt", "emissions_kt", "target_kt"]
        ].sum(min_count=1)
        w = wedges.groupby(["year", "theme_name"], as_index=False)["abated_kt"].sum()
        w = w[w["abated_kt"] > 0]
        # Built from arrays: the explorer redraws at every slider step.
        years, n = em["year"].to_numpy(), len(em)
        names = ["Remaining emissions"] * n + w["theme_name"].tolist()
        baseline, target = _PATHWAY_LINES
        stack = pd.DataFrame(
            {
                "year": np.concatenate([years, w["year"].to_numpy()]),
                "abated_kt": np.concatenate(
                    [em["emissions_kt"].to_numpy(), w["abated_kt"].to_numpy()]
                ),
                "theme_name": names if language() == "en" else translate_labels(names),
                "order": [_PATHWAY_ORDER.index(t) for t in names],
            }
        )
        lines = pd.DataFrame(
            {
                "year": np.concatenate([years, years]),
                "series": [tr(baseline)] * n + [tr(target)] * n,
                "kt": np.concatenate([em["baseline_kt"].to_numpy(), em["target_kt"].to_numpy()]),
            }
        )
        return {"stack": stack, "lines": lines}


def draw_pathway(
    data: dict[str, ChartData], title: str, *, lang: str | None = None
) -> alt.LayerChart:
    """The pathway chart over the tables of :func:`pathway_data` (made in the same
    language)."""
    with use_language(lang):
        # the full domain (every theme), so a theme keeps its colour whatever the data hold
        colours = alt.Scale(
            domain=translate_labels(_PATHWAY_ORDER), range=["#D9D9D9", *THEME_COLOURS.values()]
        )
        area = (
            alt.Chart(data["stack"])
            .mark_area(opacity=0.9)
            .encode(
                x=alt.X("year:O", title=_("Year")),
                y=alt.Y("sum(abated_kt):Q", stack="zero", title=_("Emissions (kt CO2e per year)")),
                color=alt.Color("theme_name:N", title=_("Abatement by theme"), scale=colours),
                order=alt.Order("order:Q"),
                tooltip=[
                    _tip("year:O", N_("Year")),
                    _tip("theme_name:N", N_("Theme")),
                    alt.Tooltip("sum(abated_kt):Q", format=",.1f", title="kt CO2e"),
                ],
            )
        )
        line = (
            alt.Chart(data["lines"])
            .mark_line(strokeWidth=2.5)
            .encode(
                x="year:O",
                y="kt:Q",
                strokeDash=alt.StrokeDash(
                    "series:N", title="", scale=alt.Scale(range=[[1, 0], [6, 4]])
                ),
                color=alt.value("#000000"),
                tooltip=[
                    _tip("year:O", N_("Year")),
                    _tip("series:N", N_("Series")),
                    _tip("kt:Q", N_("kt CO2e"), format=",.1f"),
                ],
            )
        )
        chart = alt.layer(area, line, title=title, width=WIDTH).resolve_scale(color="independent")
        return _localised(chart)


def pathway_chart(
    emissions: pd.DataFrame, wedges: pd.DataFrame, title: str, *, lang: str | None = None
) -> alt.LayerChart:
    """Emissions against the target, with the abatement wedges by CPD theme stacked between
    the modelled pathway and the baseline (kt CO2e per year)."""
    with use_language(lang):
        return draw_pathway(pathway_data(emissions, wedges), title)


def investment_data(
    investment: pd.DataFrame, *, lang: str | None = None
) -> dict[str, pd.DataFrame]:
    """The investment chart's table: ``bars``, M EUR by year and funding source (``source``:
    the instrument's short display name in ``lang``)."""
    with use_language(lang):
        bars = investment.groupby(["year", "instrument"], as_index=False)["meur"].sum()
        names = funding_source_names()
        bars["source"] = [names.get(s, s) for s in bars["instrument"]]
        return {"bars": bars}


def draw_investment(
    data: dict[str, ChartData], title: str, *, lang: str | None = None
) -> alt.Chart:
    """The investment chart over the table of :func:`investment_data` (one fixed colour per
    funding source, :func:`funding_scale`; made in the same language)."""
    with use_language(lang):
        chart = (
            alt.Chart(data["bars"], title=title, width=WIDTH)
            .mark_bar()
            .encode(
                x=alt.X("year:O", title=_("Year")),
                y=alt.Y("sum(meur):Q", title=_("Investment (M EUR per year)")),
                color=alt.Color(
                    "source:N",
                    title=_("Funding source"),
                    scale=funding_scale(),
                    legend=alt.Legend(labelLimit=320),
                ),
                tooltip=[
                    _tip("year:O", N_("Year")),
                    alt.Tooltip("source:N", title=_("Funding source")),
                    alt.Tooltip("sum(meur):Q", format=",.2f", title="M EUR"),
                ],
            )
        )
        return _localised(chart)


def investment_chart(investment: pd.DataFrame, title: str, *, lang: str | None = None) -> alt.Chart:
    """The investment plan: money by year and funding source (M EUR)."""
    with use_language(lang):
        return draw_investment(investment_data(investment), title)


_MACC_COLUMNS = [
    "name",
    "city",
    "cost_eur_per_t",
    "potential_kt",
    "start_kt",
    "cumulative_kt",
    "shown_cost",
    "optimal_share",
]


def macc_data(
    curve: pd.DataFrame, *, cap_eur_per_t: float = 2000.0, lang: str | None = None
) -> dict[str, pd.DataFrame]:
    """The MACC chart's table: ``curve``, one row per candidate with the columns the chart
    shows (cost per tonne clipped to ``±cap_eur_per_t`` as ``shown_cost``; the programme's
    name in ``lang``)."""
    with use_language(lang):
        df = curve.copy()
        df["shown_cost"] = df["cost_eur_per_t"].clip(lower=-cap_eur_per_t, upper=cap_eur_per_t)
        if "optimal_share" not in df:
            df["optimal_share"] = 0.0
        if language() != "en" and "name" in df:
            df["name"] = programme_names(df["name"])
        return {"curve": df[[c for c in _MACC_COLUMNS if c in df]]}


def draw_macc(
    data: dict[str, ChartData],
    title: str,
    *,
    cap_eur_per_t: float = 2000.0,
    lang: str | None = None,
) -> alt.Chart:
    """The MACC chart over the table of :func:`macc_data` (made in the same language)."""
    with use_language(lang):
        chart = (
            alt.Chart(data["curve"], title=title, width=WIDTH)
            .mark_rect(stroke="#333333", strokeWidth=0.3)
            .encode(
                x=alt.X(
                    "start_kt:Q", title=_("Abatement potential (kt CO2e per year, cumulative)")
                ),
                x2="cumulative_kt:Q",
                y=alt.Y(
                    "shown_cost:Q",
                    title=_("Cost (EUR per t CO2e, shown within ±{cap})").format(
                        cap=number(cap_eur_per_t, ",.0f")
                    ),
                ),
                y2=alt.datum(0),
                color=alt.Color(
                    "optimal_share:Q",
                    title=_("Share built in the optimum"),
                    scale=alt.Scale(scheme="blues", domain=[0, 1]),
                ),
                tooltip=[
                    _tip("name:N", N_("Programme")),
                    _tip("city:N", N_("City")),
                    alt.Tooltip("cost_eur_per_t:Q", format=",.0f", title="EUR/t"),
                    alt.Tooltip("potential_kt:Q", format=",.1f", title=_("kt/yr")),
                    alt.Tooltip("optimal_share:Q", format=".0%", title=_("built")),
                ],
            )
        )
        return _localised(chart)


def macc_chart(
    curve: pd.DataFrame,
    title: str,
    *,
    cap_eur_per_t: float = 2000.0,
    lang: str | None = None,
) -> alt.Chart:
    """Marginal abatement cost curve: each bar is a candidate project, its width the yearly
    abatement at full deployment, its height the cost per tonne; the colour shows how much of
    it the optimal portfolio builds."""
    with use_language(lang):
        return draw_macc(
            macc_data(curve, cap_eur_per_t=cap_eur_per_t), title, cap_eur_per_t=cap_eur_per_t
        )


def to_png(chart: alt.TopLevelMixin, path: str, scale: float = 2.0) -> None:
    """Save a chart as PNG, offline (vl-convert)."""
    check_renderer()
    chart.save(path, format="png", scale_factor=scale)


def to_svg(chart: alt.TopLevelMixin, path: str) -> None:
    """Save a chart as SVG, offline (vl-convert)."""
    check_renderer()
    chart.save(path, format="svg")


def programme_comparison_chart(
    comparison: pd.DataFrame, title: str, *, lang: str | None = None
) -> alt.Chart:
    """Per programme, the share of the city's maximum the teams chose, the share their plan
    built, and the share the least-cost portfolio builds (workshop simulation; columns of
    :func:`m100model.workshop.compare_portfolios`)."""
    with use_language(lang):
        series = {
            "chosen_share": _("Chosen by the teams"),
            "built_share": _("Built in the teams' plan"),
            "least_cost_share": _("Least-cost portfolio"),
        }
        df = comparison.melt(
            ["archetype", "name", "theme"], list(series), var_name="series", value_name="share"
        )
        df["series"] = df["series"].map(series)
        if language() != "en":
            df = df.assign(name=programme_names(df["name"]), theme=translate_labels(df["theme"]))
        chart = (
            alt.Chart(df, title=title, width=WIDTH - 200, height=alt.Step(6))
            .mark_bar()
            .encode(
                y=alt.Y(
                    "name:N",
                    title=None,
                    sort=alt.EncodingSortField("theme"),
                    axis=alt.Axis(labelLimit=340),
                ),
                yOffset=alt.YOffset("series:N", sort=list(series.values())),
                x=alt.X(
                    "share:Q",
                    title=_("Share of the city's maximum deployment"),
                    axis=alt.Axis(format="%"),
                    scale=alt.Scale(domain=[0, 1]),
                ),
                color=alt.Color(
                    "series:N",
                    title="",
                    sort=list(series.values()),
                    scale=alt.Scale(
                        domain=list(series.values()),
                        range=[OKABE_ITO[0], OKABE_ITO[4], OKABE_ITO[7]],
                    ),
                ),
                tooltip=[
                    _tip("name:N", N_("Programme")),
                    _tip("series:N", N_("Series")),
                    _tip("share:Q", N_("Share"), format=".0%"),
                ],
            )
        )
        return _localised(chart)


def baseline_chart(
    baseline: pd.DataFrame, target: pd.DataFrame, title: str, *, lang: str | None = None
) -> alt.LayerChart:
    """A baseline projection stacked by GPC sector, with the target path as a dashed line
    (kt CO2e per year). ``baseline`` as :func:`m100model.pathways.baseline` returns it;
    ``target`` has ``year`` and ``target_kt``."""
    from m100model.inventory import gpc_reference

    with use_language(lang):
        ref = gpc_reference().drop_duplicates("subsector").set_index("subsector")
        df = baseline.assign(sector=baseline["subsector"].map(ref["sector_name"]))
        df = df.groupby(["year", "sector"], as_index=False)["tco2e"].sum()
        df["kt"] = df["tco2e"] / 1000.0
        colours = [OKABE_ITO[4], OKABE_ITO[0], OKABE_ITO[2], OKABE_ITO[6]]
        if language() == "en":
            sectors = alt.Scale(range=colours)
        else:  # the English order of the sectors, so that each keeps its colour
            domain = translate_labels(sorted(df["sector"].unique()))
            sectors = alt.Scale(domain=domain, range=colours)
            df = df.assign(sector=translate_labels(df["sector"]))
        area = (
            alt.Chart(df)
            .mark_area(opacity=0.85)
            .encode(
                x=alt.X("year:O", title=_("Year")),
                y=alt.Y("sum(kt):Q", stack="zero", title=_("Emissions (kt CO2e per year)")),
                color=alt.Color("sector:N", title=_("Baseline by GPC sector"), scale=sectors),
                tooltip=[
                    _tip("year:O", N_("Year")),
                    _tip("sector:N", N_("GPC sector")),
                    alt.Tooltip("sum(kt):Q", format=",.1f", title="kt"),
                ],
            )
        )
        line = (
            alt.Chart(target.assign(series=_("Target path")))
            .mark_line(strokeWidth=2.5, strokeDash=[6, 4], color="#000000")
            .encode(
                x="year:O",
                y="target_kt:Q",
                tooltip=[
                    _tip("year:O", N_("Year")),
                    alt.Tooltip("target_kt:Q", format=",.1f", title=_("target kt")),
                ],
            )
        )
        return _localised(alt.layer(area, line, title=title, width=WIDTH))


# ---------------------------------------------------------------------------------------
# Charts in the course book (offline)
# ---------------------------------------------------------------------------------------
BOOK_CHART_CLASS = "m100-chart"
_EMBED_OPTIONS = {
    "renderer": "svg",
    "actions": {"export": True, "source": False, "compiled": False, "editor": False},
}
_book_chart_count = 0


class BookChart:
    """One chart as the course book shows it: an HTML container and a call to Vega-Embed.

    The page loads Vega-Embed from the book's own ``_static/vega-bundle.js`` (written at
    build time by ``book/_ext/m100_book.py``), never from a CDN. Outside the book (e.g. in
    JupyterLab) use the chart itself, which Altair's own renderer displays.
    """

    def __init__(self, chart: alt.TopLevelMixin) -> None:
        global _book_chart_count
        _book_chart_count += 1
        self.spec = chart.to_dict()
        self.div_id = f"m100-chart-{_book_chart_count}"

    def _repr_html_(self) -> str:
        spec = json.dumps(self.spec, separators=(",", ":")).replace("</", "<\\/")
        options = json.dumps(_EMBED_OPTIONS)
        missing = json.dumps(_("Chart not drawn: vega-bundle.js did not load."), ensure_ascii=False)
        return (
            f'<div id="{self.div_id}" class="{BOOK_CHART_CLASS}"></div>\n'
            "<script>(function () {\n"
            f'  var el = document.getElementById("{self.div_id}");\n'
            "  function draw() {\n"
            f"    window.vegaEmbed(el, {spec}, {options})\n"
            "      .catch(function (err) { console.error(err); });\n"
            "  }\n"
            "  if (window.vegaEmbed) { draw(); } else {\n"
            f"    el.textContent = {missing};\n"
            '    console.error("m100 chart: vegaEmbed is missing");\n'
            "  }\n"
            "})();</script>"
        )

    def __repr__(self) -> str:
        return f"<m100 book chart {self.div_id}>"


BOOK_WIDTH = 460  # the book's text column holds a plot this wide with its axes


def show(chart: alt.TopLevelMixin, *, width: int | None = BOOK_WIDTH) -> BookChart:
    """Display a chart in the course book, offline (see :class:`BookChart`).

    A single or layered chart is narrowed to ``width`` pixels and its legend put below the
    plot, so that it fits the book's text column (``width=None`` keeps the chart as it is).
    """
    if width is not None and isinstance(chart, alt.Chart | alt.LayerChart):
        chart = chart.properties(width=width)
    book = BookChart(chart)
    config = book.spec.setdefault("config", {})
    if width is not None and isinstance(chart, alt.Chart | alt.LayerChart):
        config.setdefault("legend", {}).update(orient="bottom", columns=2)
    if language() == "ro":
        # A chart drawn on the page itself (not by a chart function) gets the Romanian
        # number format too, and the room for longer labels that _localised gives.
        config.setdefault("locale", ROMANIAN_NUMBERS.to_dict())
        config.setdefault("legend", {}).setdefault("titleLimit", 260)
        config["legend"].setdefault("labelLimit", 260)
        config.setdefault("axis", {}).setdefault("labelLimit", 220)
    return book


# ---------------------------------------------------------------------------------------
# Decision analysis: ensembles, alternatives, trade-offs, monitoring
# ---------------------------------------------------------------------------------------
def target_probability_chart(
    prob: pd.DataFrame, title: str, *, lang: str | None = None
) -> alt.Chart:
    """Probability of meeting each year's target across an ensemble, one line per run (the
    fixed plan(s) and the re-optimised portfolio; runs keep their ids)."""
    with use_language(lang):
        groups = [g for g in prob["group"].unique() if g != "all"]
        df = prob[prob["group"] == ("all" if "all" in set(prob["group"]) else groups[0])]
        chart = (
            alt.Chart(df, title=title, width=WIDTH)
            .mark_line(point=True, strokeWidth=2)
            .encode(
                x=alt.X("year:O", title=_("Year")),
                y=alt.Y(
                    "p_met:Q",
                    title=_("Probability of meeting the target"),
                    scale=alt.Scale(domain=[0, 1]),
                ),
                color=alt.Color("run:N", title=_("Portfolio"), scale=alt.Scale(range=OKABE_ITO)),
                tooltip=[
                    _tip("run:N", N_("Portfolio")),
                    _tip("year:O", N_("Year")),
                    alt.Tooltip("p_met:Q", format=".0%", title=_("P(met)")),
                ],
            )
        )
        return _localised(chart)


def cost_distribution_chart(
    costs: pd.DataFrame, title: str, *, lang: str | None = None
) -> alt.Chart:
    """Histogram of the net present cost over the samples (``sample_costs`` table), one
    colour per run."""
    with use_language(lang):
        df = costs[costs["cost_meur"].notna()]
        chart = (
            alt.Chart(df, title=title, width=WIDTH)
            .mark_bar(opacity=0.6)
            .encode(
                x=alt.X(
                    "cost_meur:Q", bin=alt.Bin(maxbins=30), title=_("Net present cost (M EUR)")
                ),
                y=alt.Y("count():Q", stack=None, title=_("Samples")),
                color=alt.Color("run:N", title=_("Portfolio"), scale=alt.Scale(range=OKABE_ITO)),
                tooltip=[
                    _tip("run:N", N_("Portfolio")),
                    alt.Tooltip("count():Q", title=_("samples")),
                ],
            )
        )
        return _localised(chart)


def robustness_chart(
    freq: pd.DataFrame, title: str, *, top: int = 30, lang: str | None = None
) -> alt.Chart:
    """How often each project is chosen when the portfolio is re-optimised per sample."""
    with use_language(lang):
        df = freq.head(top)
        chart = (
            alt.Chart(df, title=title, width=WIDTH)
            .mark_bar(color=OKABE_ITO[4])
            .encode(
                y=alt.Y("project_id:N", sort="-x", title=_("Project")),
                x=alt.X(
                    "frequency:Q",
                    title=_("Share of samples in which it is chosen"),
                    scale=alt.Scale(domain=[0, 1]),
                ),
                tooltip=[
                    _tip("project_id:N", N_("Project")),
                    _tip("frequency:Q", N_("Share of samples"), format=".0%"),
                    alt.Tooltip("mean_share:Q", format=".0%", title=_("mean share of maximum")),
                ],
            )
        )
        return _localised(chart)


def regret_chart(regret: pd.DataFrame, title: str, *, lang: str | None = None) -> alt.Chart:
    """Candidate plans: mean cost against maximum regret (lower left is better)."""
    with use_language(lang):
        # the legend's true / false in words where the language is not English
        yes, no = json.dumps(_("yes")), json.dumps(_("no"))
        legend = (
            alt.Undefined
            if language() == "en"
            else alt.Legend(labelExpr=f"datum.value ? {yes} : {no}")
        )
        chart = (
            alt.Chart(regret, title=title, width=WIDTH)
            .mark_point(size=120, filled=True)
            .encode(
                x=alt.X(
                    "max_regret_meur:Q",
                    title=_("Maximum regret (M EUR, with shortfall penalty)"),
                ),
                y=alt.Y("cost_mean_meur:Q", title=_("Mean cost (M EUR, with shortfall penalty)")),
                color=alt.Color(
                    "minimax_regret:N",
                    title=_("Minimum-regret choice"),
                    scale=alt.Scale(domain=[True, False], range=[OKABE_ITO[5], OKABE_ITO[7]]),
                    legend=legend,
                ),
                tooltip=[
                    _tip("candidate:N", N_("Candidate plan")),
                    alt.Tooltip("p_all_met:Q", format=".0%", title=_("P(all targets met)")),
                    _tip("max_regret_meur:Q", N_("Maximum regret (M EUR)"), format=",.1f"),
                    _tip("cost_mean_meur:Q", N_("Mean cost (M EUR)"), format=",.1f"),
                ],
            )
        )
        return _localised(chart)


def alternatives_chart(by_theme: pd.DataFrame, title: str, *, lang: str | None = None) -> alt.Chart:
    """Near-optimal alternatives side by side: investment by CPD theme (M EUR; portfolios
    keep their ids)."""
    with use_language(lang):
        df = _in_language(by_theme, {"theme_name": None})
        chart = (
            alt.Chart(df, title=title, width=WIDTH)
            .mark_bar()
            .encode(
                x=alt.X("portfolio:N", title=_("Portfolio"), sort=None),
                y=alt.Y("sum(investment_meur):Q", title=_("Investment (M EUR, whole horizon)")),
                color=alt.Color("theme_name:N", title=_("Theme"), scale=theme_scale()),
                tooltip=[
                    _tip("portfolio:N", N_("Portfolio")),
                    _tip("theme_name:N", N_("Theme")),
                    alt.Tooltip("sum(investment_meur):Q", format=",.1f", title="M EUR"),
                ],
            )
        )
        return _localised(chart)


def pareto_chart(front: pd.DataFrame, title: str, *, lang: str | None = None) -> alt.Chart:
    """The Pareto front: net present cost against cumulative emissions or job-years."""
    with use_language(lang):
        against = str(front["against"].iloc[0]) if len(front) else "emissions"
        field, label = (
            ("cumulative_emissions_kt", N_("Cumulative emissions (kt CO2e over the model years)"))
            if against == "emissions"
            else ("jobs", N_("Jobs created (job-years)"))
        )
        chart = (
            alt.Chart(
                front[front["status"].isin(["optimal", "feasible"])], title=title, width=WIDTH
            )
            .mark_line(point=True, color=OKABE_ITO[5], strokeWidth=2)
            .encode(
                x=alt.X(f"{field}:Q", title=tr(label), scale=alt.Scale(zero=False)),
                y=alt.Y(
                    "cost_meur:Q",
                    title=_("Net present cost (M EUR)"),
                    scale=alt.Scale(zero=False),
                ),
                tooltip=[
                    _tip(f"{field}:Q", label, format=",.1f"),
                    alt.Tooltip("cost_meur:Q", format=",.1f", title="M EUR"),
                ],
            )
        )
        return _localised(chart)


_TORNADO_LABELS = {
    "cost": N_("Optimal net present cost (M EUR)"),
    "emissions": N_("Emissions of the re-optimised portfolio (kt CO2e)"),
    "plan_emissions": N_("Emissions of the least-cost plan kept fixed (kt CO2e)"),
}


def tornado_chart(
    table: pd.DataFrame, title: str, *, measure: str = "cost", lang: str | None = None
) -> alt.LayerChart:
    """One-at-a-time sensitivity: for each input, the bar spans the result at its low and
    high value (``measure`` = ``cost``, ``emissions`` or ``plan_emissions``; inputs keep
    their ids)."""
    with use_language(lang):
        unit = "meur" if measure == "cost" else "kt"
        low, high = f"{measure}_low_{unit}", f"{measure}_high_{unit}"
        base = f"{measure}_base_{unit}"
        label = tr(_TORNADO_LABELS[measure])
        df = table.assign(
            lo=table[[low, high]].min(axis=1),
            hi=table[[low, high]].max(axis=1),
            swing=(table[high] - table[low]).abs(),
        )
        bars = (
            alt.Chart(df)
            .mark_bar(color=OKABE_ITO[1])
            .encode(
                y=alt.Y(
                    "input:N", sort=alt.EncodingSortField("swing", order="descending"), title=""
                ),
                x=alt.X("lo:Q", title=label, scale=alt.Scale(zero=False)),
                x2="hi:Q",
                tooltip=[
                    _tip("input:N", N_("Input")),
                    _tip("low_value:Q", N_("Low value"), format=".3g"),
                    _tip("high_value:Q", N_("High value"), format=".3g"),
                    alt.Tooltip(f"{low}:Q", format=",.2f", title=_("at low value")),
                    alt.Tooltip(f"{high}:Q", format=",.2f", title=_("at high value")),
                ],
            )
        )
        rule = (
            alt.Chart(df.head(1))
            .mark_rule(color="#000000", strokeDash=[4, 3])
            .encode(x=f"{base}:Q")
        )
        return _localised(alt.layer(bars, rule, title=title, width=WIDTH))


def monitoring_chart(progress: pd.DataFrame, title: str, *, lang: str | None = None) -> alt.Chart:
    """Monitoring inventory against the planned pathway by GPC sector: bars of the gap
    (actual - planned, kt CO2e), orange when off track."""
    with use_language(lang):
        df = progress[progress["gap_kt"].notna()]
        df = _in_language(df, {"sector_name": None, "status": None})
        chart = (
            alt.Chart(df, title=title, width=WIDTH)
            .mark_bar()
            .encode(
                y=alt.Y("sector_name:N", sort=None, title=_("GPC sector")),
                x=alt.X("gap_kt:Q", title=_("Gap: actual minus planned (kt CO2e)")),
                color=alt.Color(
                    "status:N",
                    title="",
                    scale=alt.Scale(
                        domain=translate_labels(["on track", "off track"]),
                        range=[OKABE_ITO[2], OKABE_ITO[0]],
                    ),
                ),
                tooltip=[
                    _tip("sector_name:N", N_("GPC sector")),
                    _tip("planned_kt:Q", N_("Planned (kt CO2e)"), format=",.1f"),
                    _tip("actual_kt:Q", N_("Actual (kt CO2e)"), format=",.1f"),
                    _tip("gap_kt:Q", N_("Gap (kt CO2e)"), format=",.1f"),
                    _tip("status:N", N_("Status")),
                ],
            )
        )
        return _localised(chart)


def lmdi_chart(totals: pd.DataFrame, title: str, *, lang: str | None = None) -> alt.Chart:
    """LMDI decomposition: the contribution of each driver to the change in emissions."""
    with use_language(lang):
        df = totals[totals["effect"] != "residual"].copy()
        total, driver = _("Total change"), _("Driver")
        df["kind"] = df["effect"].map(lambda e: total if e == "total" else driver)
        df = _in_language(df, {"effect_name": None})
        # the driver bars blue, the total black, in any language
        kinds = sorted([total, driver], key=lambda k: k != driver)
        colours = (
            alt.Scale(range=[OKABE_ITO[4], "#000000"])
            if language() == "en"
            else alt.Scale(domain=kinds, range=[OKABE_ITO[4], "#000000"])
        )
        chart = (
            alt.Chart(df, title=title, width=WIDTH)
            .mark_bar()
            .encode(
                y=alt.Y("effect_name:N", sort=None, title=""),
                x=alt.X("kt:Q", title=_("Change in emissions (kt CO2e)")),
                color=alt.Color("kind:N", title="", scale=colours),
                tooltip=[
                    _tip("effect_name:N", N_("Effect")),
                    _tip("kt:Q", N_("kt CO2e"), format=",.2f"),
                ],
            )
        )
        return _localised(chart)


def indicators_chart(
    indicators: pd.DataFrame, title: str, *, lang: str | None = None
) -> alt.FacetChart:
    """Transition indicators per year, one small panel per indicator (indicators keep their
    ids; their units are in ``lang``)."""
    with use_language(lang):
        df = _in_language(indicators, {"unit": UNIT_LABELS})
        chart = (
            alt.Chart(df, width=170, height=110)
            .mark_line(color=OKABE_ITO[4], strokeWidth=2)
            .encode(
                x=alt.X("year:O", title=_("Year"), axis=alt.Axis(values=[2030, 2040, 2050])),
                y=alt.Y("value:Q", title=""),
                tooltip=[
                    _tip("indicator:N", N_("Indicator")),
                    _tip("year:O", N_("Year")),
                    _tip("value:Q", N_("Value"), format=",.3g"),
                    _tip("unit:N", N_("Unit")),
                ],
            )
            .facet(facet=alt.Facet("indicator:N", title=None), columns=3, title=title)
            .resolve_scale(y="independent")
        )
        return _localised(chart)
