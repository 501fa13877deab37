"""Altair charts of the kit: one function per chart type, each returning an ``alt.Chart``.

Every chart has a title and axis labels with units, uses the Okabe-Ito colour-blind-safe
palette, and reads well when printed. Themes and funding sources have one fixed colour each
(:func:`theme_scale`, :func:`funding_scale`, :func:`theme_colours`,
:func:`instrument_colours`), the same in the report, the notebooks and the explorer.
:func:`to_png` and :func:`to_svg` export offline through vl-convert.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

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


def theme_colours() -> dict[str, str]:
    """The colour of each CPD theme, by display name (all themes, fixed order)."""
    return dict(THEME_COLOURS)


def theme_scale() -> alt.Scale:
    """Altair colour scale over all CPD themes (display names): the same theme has the same
    colour in every chart, whatever subset a chart shows."""
    return alt.Scale(domain=list(THEME_COLOURS), range=list(THEME_COLOURS.values()))


_theme_scale = theme_scale  # the earlier private name


def short_instrument_name(name: str) -> str:
    """A funding source's name short enough for a legend or a table row: the part before a
    comma or colon ("Private capital: owners' own funds ..." -> "Private capital")."""
    return name.split(":")[0].split(", ")[0].strip()


def funding_source_names() -> dict[str, str]:
    """Short display name of every instrument in ``data/funding/instruments.csv``, by id."""
    from m100model.projects import load_instruments

    inst = load_instruments()
    return {str(s): short_instrument_name(str(n)) for s, n in inst["name"].items()}


def instrument_colours() -> dict[str, str]:
    """The colour of every instrument in ``data/funding/instruments.csv``, by id (fixed)."""
    from m100model.projects import load_instruments

    out, spare = {}, iter(_SPARE_COLOURS * 10)
    for s in load_instruments().index:
        out[str(s)] = _INSTRUMENT_COLOUR_OF.get(str(s)) or next(spare)
    return out


def funding_colours() -> dict[str, str]:
    """The colour of every funding source, by its short display name (what the charts'
    legends show)."""
    names, colours = funding_source_names(), instrument_colours()
    return {names[s]: colours[s] for s in names}


def funding_scale() -> alt.Scale:
    """Altair colour scale over all funding sources (short display names, full domain)."""
    colours = funding_colours()
    return alt.Scale(domain=list(colours), range=list(colours.values()))


def inventory_chart(by_subsector: pd.DataFrame, title: str) -> alt.Chart:
    """Horizontal bars of an inventory by GPC sub-sector and scope (t CO2e)."""
    df = by_subsector.assign(
        scope=by_subsector["scope"].map(lambda s: f"Scope {s}"),
        label=by_subsector["subsector"] + " " + by_subsector["subsector_name"],
    )
    return (
        alt.Chart(df, title=title, width=WIDTH)
        .mark_bar()
        .encode(
            y=alt.Y("label:N", sort="-x", title="GPC sub-sector"),
            x=alt.X("sum(tco2e):Q", title="Emissions (t CO2e per year)"),
            color=alt.Color(
                "scope:N",
                title="Scope",
                scale=alt.Scale(range=[OKABE_ITO[4], OKABE_ITO[0], OKABE_ITO[7]]),
            ),
            tooltip=[
                "label:N",
                "scope:N",
                alt.Tooltip("sum(tco2e):Q", format=",.0f", title="t CO2e"),
            ],
        )
    )


# The explorer's charts are drawn from named tables: ``*_data`` computes them from model
# results, ``draw_*`` lays the chart out over them (DataFrames, or ``alt.NamedData`` when the
# rows travel separately, as in the scenario explorer's live charts), and ``*_chart`` does both.
ChartData = pd.DataFrame | alt.NamedData
_PATHWAY_ORDER = ["Remaining emissions", *THEME_COLOURS]


def pathway_data(emissions: pd.DataFrame, wedges: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The pathway chart's tables: ``stack`` (remaining emissions and the abatement wedges by
    theme, kt CO2e, with their stacking order) and ``lines`` (baseline and target path)."""
    em = emissions.groupby("year", as_index=False)[
        ["baseline_kt", "emissions_kt", "target_kt"]
    ].sum(min_count=1)
    w = wedges.groupby(["year", "theme_name"], as_index=False)["abated_kt"].sum()
    w = w[w["abated_kt"] > 0]
    # Built from arrays: the explorer redraws at every slider step.
    years, n = em["year"].to_numpy(), len(em)
    names = ["Remaining emissions"] * n + w["theme_name"].tolist()
    stack = pd.DataFrame(
        {
            "year": np.concatenate([years, w["year"].to_numpy()]),
            "abated_kt": np.concatenate([em["emissions_kt"].to_numpy(), w["abated_kt"].to_numpy()]),
            "theme_name": names,
            "order": [_PATHWAY_ORDER.index(t) for t in names],
        }
    )
    lines = pd.DataFrame(
        {
            "year": np.concatenate([years, years]),
            "series": ["Baseline (no new projects)"] * n + ["Target path"] * n,
            "kt": np.concatenate([em["baseline_kt"].to_numpy(), em["target_kt"].to_numpy()]),
        }
    )
    return {"stack": stack, "lines": lines}


def draw_pathway(data: dict[str, ChartData], title: str) -> alt.LayerChart:
    """The pathway chart over the tables of :func:`pathway_data`."""
    # the full domain (every theme), so a theme keeps its colour whatever the data hold
    colours = alt.Scale(domain=_PATHWAY_ORDER, range=["#D9D9D9", *THEME_COLOURS.values()])
    area = (
        alt.Chart(data["stack"])
        .mark_area(opacity=0.9)
        .encode(
            x=alt.X("year:O", title="Year"),
            y=alt.Y("sum(abated_kt):Q", stack="zero", title="Emissions (kt CO2e per year)"),
            color=alt.Color("theme_name:N", title="Abatement by theme", scale=colours),
            order=alt.Order("order:Q"),
            tooltip=[
                "year:O",
                "theme_name:N",
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
            tooltip=["year:O", "series:N", alt.Tooltip("kt:Q", format=",.1f")],
        )
    )
    return alt.layer(area, line, title=title, width=WIDTH).resolve_scale(color="independent")


def pathway_chart(emissions: pd.DataFrame, wedges: pd.DataFrame, title: str) -> alt.LayerChart:
    """Emissions against the target, with the abatement wedges by CPD theme stacked between
    the modelled pathway and the baseline (kt CO2e per year)."""
    return draw_pathway(pathway_data(emissions, wedges), title)


def investment_data(investment: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The investment chart's table: ``bars``, M EUR by year and funding source (``source``:
    the instrument's short display name)."""
    bars = investment.groupby(["year", "instrument"], as_index=False)["meur"].sum()
    names = funding_source_names()
    bars["source"] = [names.get(s, s) for s in bars["instrument"]]
    return {"bars": bars}


def draw_investment(data: dict[str, ChartData], title: str) -> alt.Chart:
    """The investment chart over the table of :func:`investment_data` (one fixed colour per
    funding source, :func:`funding_scale`)."""
    return (
        alt.Chart(data["bars"], title=title, width=WIDTH)
        .mark_bar()
        .encode(
            x=alt.X("year:O", title="Year"),
            y=alt.Y("sum(meur):Q", title="Investment (M EUR per year)"),
            color=alt.Color(
                "source:N",
                title="Funding source",
                scale=funding_scale(),
                legend=alt.Legend(labelLimit=320),
            ),
            tooltip=[
                "year:O",
                alt.Tooltip("source:N", title="Funding source"),
                alt.Tooltip("sum(meur):Q", format=",.2f", title="M EUR"),
            ],
        )
    )


def investment_chart(investment: pd.DataFrame, title: str) -> alt.Chart:
    """The investment plan: money by year and funding source (M EUR)."""
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


def macc_data(curve: pd.DataFrame, *, cap_eur_per_t: float = 2000.0) -> dict[str, pd.DataFrame]:
    """The MACC chart's table: ``curve``, one row per candidate with the columns the chart
    shows (cost per tonne clipped to ``±cap_eur_per_t`` as ``shown_cost``)."""
    df = curve.copy()
    df["shown_cost"] = df["cost_eur_per_t"].clip(lower=-cap_eur_per_t, upper=cap_eur_per_t)
    if "optimal_share" not in df:
        df["optimal_share"] = 0.0
    return {"curve": df[[c for c in _MACC_COLUMNS if c in df]]}


def draw_macc(
    data: dict[str, ChartData], title: str, *, cap_eur_per_t: float = 2000.0
) -> alt.Chart:
    """The MACC chart over the table of :func:`macc_data`."""
    return (
        alt.Chart(data["curve"], title=title, width=WIDTH)
        .mark_rect(stroke="#333333", strokeWidth=0.3)
        .encode(
            x=alt.X("start_kt:Q", title="Abatement potential (kt CO2e per year, cumulative)"),
            x2="cumulative_kt:Q",
            y=alt.Y(
                "shown_cost:Q", title=f"Cost (EUR per t CO2e, shown within ±{cap_eur_per_t:,.0f})"
            ),
            y2=alt.datum(0),
            color=alt.Color(
                "optimal_share:Q",
                title="Share built in the optimum",
                scale=alt.Scale(scheme="blues", domain=[0, 1]),
            ),
            tooltip=[
                "name:N",
                "city:N",
                alt.Tooltip("cost_eur_per_t:Q", format=",.0f", title="EUR/t"),
                alt.Tooltip("potential_kt:Q", format=",.1f", title="kt/yr"),
                alt.Tooltip("optimal_share:Q", format=".0%", title="built"),
            ],
        )
    )


def macc_chart(curve: pd.DataFrame, title: str, *, cap_eur_per_t: float = 2000.0) -> alt.Chart:
    """Marginal abatement cost curve: each bar is a candidate project, its width the yearly
    abatement at full deployment, its height the cost per tonne; the colour shows how much of
    it the optimal portfolio builds."""
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


def programme_comparison_chart(comparison: pd.DataFrame, title: str) -> alt.Chart:
    """Per programme, the share of the city's maximum the teams chose, the share their plan
    built, and the share the least-cost portfolio builds (workshop simulation; columns of
    :func:`m100model.workshop.compare_portfolios`)."""
    series = {
        "chosen_share": "Chosen by the teams",
        "built_share": "Built in the teams' plan",
        "least_cost_share": "Least-cost portfolio",
    }
    df = comparison.melt(
        ["archetype", "name", "theme"], list(series), var_name="series", value_name="share"
    )
    df["series"] = df["series"].map(series)
    return (
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
                title="Share of the city's maximum deployment",
                axis=alt.Axis(format="%"),
                scale=alt.Scale(domain=[0, 1]),
            ),
            color=alt.Color(
                "series:N",
                title="",
                sort=list(series.values()),
                scale=alt.Scale(
                    domain=list(series.values()), range=[OKABE_ITO[0], OKABE_ITO[4], OKABE_ITO[7]]
                ),
            ),
            tooltip=["name:N", "series:N", alt.Tooltip("share:Q", format=".0%")],
        )
    )


def baseline_chart(baseline: pd.DataFrame, target: pd.DataFrame, title: str) -> alt.LayerChart:
    """A baseline projection stacked by GPC sector, with the target path as a dashed line
    (kt CO2e per year). ``baseline`` as :func:`m100model.pathways.baseline` returns it;
    ``target`` has ``year`` and ``target_kt``."""
    from m100model.inventory import gpc_reference

    ref = gpc_reference().drop_duplicates("subsector").set_index("subsector")
    df = baseline.assign(sector=baseline["subsector"].map(ref["sector_name"]))
    df = df.groupby(["year", "sector"], as_index=False)["tco2e"].sum()
    df["kt"] = df["tco2e"] / 1000.0
    area = (
        alt.Chart(df)
        .mark_area(opacity=0.85)
        .encode(
            x=alt.X("year:O", title="Year"),
            y=alt.Y("sum(kt):Q", stack="zero", title="Emissions (kt CO2e per year)"),
            color=alt.Color(
                "sector:N",
                title="Baseline by GPC sector",
                scale=alt.Scale(range=[OKABE_ITO[4], OKABE_ITO[0], OKABE_ITO[2], OKABE_ITO[6]]),
            ),
            tooltip=["year:O", "sector:N", alt.Tooltip("sum(kt):Q", format=",.1f", title="kt")],
        )
    )
    line = (
        alt.Chart(target.assign(series="Target path"))
        .mark_line(strokeWidth=2.5, strokeDash=[6, 4], color="#000000")
        .encode(
            x="year:O",
            y="target_kt:Q",
            tooltip=["year:O", alt.Tooltip("target_kt:Q", format=",.1f", title="target kt")],
        )
    )
    return alt.layer(area, line, title=title, width=WIDTH)


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
        import json

        spec = json.dumps(self.spec, separators=(",", ":")).replace("</", "<\\/")
        options = json.dumps(_EMBED_OPTIONS)
        return (
            f'<div id="{self.div_id}" class="{BOOK_CHART_CLASS}"></div>\n'
            "<script>(function () {\n"
            f'  var el = document.getElementById("{self.div_id}");\n'
            "  function draw() {\n"
            f"    window.vegaEmbed(el, {spec}, {options})\n"
            "      .catch(function (err) { console.error(err); });\n"
            "  }\n"
            "  if (window.vegaEmbed) { draw(); } else {\n"
            '    el.textContent = "Chart not drawn: vega-bundle.js did not load.";\n'
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
        chart = chart.properties(width=width).configure_legend(orient="bottom", columns=2)
    return BookChart(chart)


# ---------------------------------------------------------------------------------------
# Decision analysis: ensembles, alternatives, trade-offs, monitoring
# ---------------------------------------------------------------------------------------
def target_probability_chart(prob: pd.DataFrame, title: str) -> alt.Chart:
    """Probability of meeting each year's target across an ensemble, one line per run (the
    fixed plan(s) and the re-optimised portfolio)."""
    groups = [g for g in prob["group"].unique() if g != "all"]
    df = prob[prob["group"] == ("all" if "all" in set(prob["group"]) else groups[0])]
    return (
        alt.Chart(df, title=title, width=WIDTH)
        .mark_line(point=True, strokeWidth=2)
        .encode(
            x=alt.X("year:O", title="Year"),
            y=alt.Y(
                "p_met:Q", title="Probability of meeting the target", scale=alt.Scale(domain=[0, 1])
            ),
            color=alt.Color("run:N", title="Portfolio", scale=alt.Scale(range=OKABE_ITO)),
            tooltip=["run:N", "year:O", alt.Tooltip("p_met:Q", format=".0%", title="P(met)")],
        )
    )


def cost_distribution_chart(costs: pd.DataFrame, title: str) -> alt.Chart:
    """Histogram of the net present cost over the samples (``sample_costs`` table), one
    colour per run."""
    df = costs[costs["cost_meur"].notna()]
    return (
        alt.Chart(df, title=title, width=WIDTH)
        .mark_bar(opacity=0.6)
        .encode(
            x=alt.X("cost_meur:Q", bin=alt.Bin(maxbins=30), title="Net present cost (M EUR)"),
            y=alt.Y("count():Q", stack=None, title="Samples"),
            color=alt.Color("run:N", title="Portfolio", scale=alt.Scale(range=OKABE_ITO)),
            tooltip=["run:N", alt.Tooltip("count():Q", title="samples")],
        )
    )


def robustness_chart(freq: pd.DataFrame, title: str, *, top: int = 30) -> alt.Chart:
    """How often each project is chosen when the portfolio is re-optimised per sample."""
    df = freq.head(top)
    return (
        alt.Chart(df, title=title, width=WIDTH)
        .mark_bar(color=OKABE_ITO[4])
        .encode(
            y=alt.Y("project_id:N", sort="-x", title="Project"),
            x=alt.X(
                "frequency:Q",
                title="Share of samples in which it is chosen",
                scale=alt.Scale(domain=[0, 1]),
            ),
            tooltip=[
                "project_id:N",
                alt.Tooltip("frequency:Q", format=".0%"),
                alt.Tooltip("mean_share:Q", format=".0%", title="mean share of maximum"),
            ],
        )
    )


def regret_chart(regret: pd.DataFrame, title: str) -> alt.Chart:
    """Candidate plans: mean cost against maximum regret (lower left is better)."""
    return (
        alt.Chart(regret, title=title, width=WIDTH)
        .mark_point(size=120, filled=True)
        .encode(
            x=alt.X("max_regret_meur:Q", title="Maximum regret (M EUR, with shortfall penalty)"),
            y=alt.Y("cost_mean_meur:Q", title="Mean cost (M EUR, with shortfall penalty)"),
            color=alt.Color(
                "minimax_regret:N",
                title="Minimum-regret choice",
                scale=alt.Scale(domain=[True, False], range=[OKABE_ITO[5], OKABE_ITO[7]]),
            ),
            tooltip=[
                "candidate:N",
                alt.Tooltip("p_all_met:Q", format=".0%", title="P(all targets met)"),
                alt.Tooltip("max_regret_meur:Q", format=",.1f"),
                alt.Tooltip("cost_mean_meur:Q", format=",.1f"),
            ],
        )
    )


def alternatives_chart(by_theme: pd.DataFrame, title: str) -> alt.Chart:
    """Near-optimal alternatives side by side: investment by CPD theme (M EUR)."""
    return (
        alt.Chart(by_theme, title=title, width=WIDTH)
        .mark_bar()
        .encode(
            x=alt.X("portfolio:N", title="Portfolio", sort=None),
            y=alt.Y("sum(investment_meur):Q", title="Investment (M EUR, whole horizon)"),
            color=alt.Color("theme_name:N", title="Theme", scale=theme_scale()),
            tooltip=[
                "portfolio:N",
                "theme_name:N",
                alt.Tooltip("sum(investment_meur):Q", format=",.1f", title="M EUR"),
            ],
        )
    )


def pareto_chart(front: pd.DataFrame, title: str) -> alt.Chart:
    """The Pareto front: net present cost against cumulative emissions or job-years."""
    against = str(front["against"].iloc[0]) if len(front) else "emissions"
    field, label = (
        ("cumulative_emissions_kt", "Cumulative emissions (kt CO2e over the model years)")
        if against == "emissions"
        else ("jobs", "Jobs created (job-years)")
    )
    return (
        alt.Chart(front[front["status"].isin(["optimal", "feasible"])], title=title, width=WIDTH)
        .mark_line(point=True, color=OKABE_ITO[5], strokeWidth=2)
        .encode(
            x=alt.X(f"{field}:Q", title=label, scale=alt.Scale(zero=False)),
            y=alt.Y("cost_meur:Q", title="Net present cost (M EUR)", scale=alt.Scale(zero=False)),
            tooltip=[
                alt.Tooltip(f"{field}:Q", format=",.1f"),
                alt.Tooltip("cost_meur:Q", format=",.1f", title="M EUR"),
            ],
        )
    )


def tornado_chart(table: pd.DataFrame, title: str, *, measure: str = "cost") -> alt.LayerChart:
    """One-at-a-time sensitivity: for each input, the bar spans the result at its low and
    high value (``measure`` = ``cost``, ``emissions`` or ``plan_emissions``)."""
    unit = "meur" if measure == "cost" else "kt"
    low, high, base = f"{measure}_low_{unit}", f"{measure}_high_{unit}", f"{measure}_base_{unit}"
    label = {
        "cost": "Optimal net present cost (M EUR)",
        "emissions": "Emissions of the re-optimised portfolio (kt CO2e)",
        "plan_emissions": "Emissions of the least-cost plan kept fixed (kt CO2e)",
    }[measure]
    df = table.assign(
        lo=table[[low, high]].min(axis=1),
        hi=table[[low, high]].max(axis=1),
        swing=(table[high] - table[low]).abs(),
    )
    bars = (
        alt.Chart(df)
        .mark_bar(color=OKABE_ITO[1])
        .encode(
            y=alt.Y("input:N", sort=alt.EncodingSortField("swing", order="descending"), title=""),
            x=alt.X("lo:Q", title=label, scale=alt.Scale(zero=False)),
            x2="hi:Q",
            tooltip=[
                "input:N",
                alt.Tooltip("low_value:Q", format=".3g"),
                alt.Tooltip("high_value:Q", format=".3g"),
                alt.Tooltip(f"{low}:Q", format=",.2f", title="at low value"),
                alt.Tooltip(f"{high}:Q", format=",.2f", title="at high value"),
            ],
        )
    )
    rule = alt.Chart(df.head(1)).mark_rule(color="#000000", strokeDash=[4, 3]).encode(x=f"{base}:Q")
    return alt.layer(bars, rule, title=title, width=WIDTH)


def monitoring_chart(progress: pd.DataFrame, title: str) -> alt.Chart:
    """Monitoring inventory against the planned pathway by GPC sector: bars of the gap
    (actual - planned, kt CO2e), orange when off track."""
    df = progress[progress["gap_kt"].notna()]
    return (
        alt.Chart(df, title=title, width=WIDTH)
        .mark_bar()
        .encode(
            y=alt.Y("sector_name:N", sort=None, title="GPC sector"),
            x=alt.X("gap_kt:Q", title="Gap: actual minus planned (kt CO2e)"),
            color=alt.Color(
                "status:N",
                title="",
                scale=alt.Scale(
                    domain=["on track", "off track"], range=[OKABE_ITO[2], OKABE_ITO[0]]
                ),
            ),
            tooltip=[
                "sector_name:N",
                alt.Tooltip("planned_kt:Q", format=",.1f"),
                alt.Tooltip("actual_kt:Q", format=",.1f"),
                alt.Tooltip("gap_kt:Q", format=",.1f"),
                "status:N",
            ],
        )
    )


def lmdi_chart(totals: pd.DataFrame, title: str) -> alt.Chart:
    """LMDI decomposition: the contribution of each driver to the change in emissions."""
    df = totals[totals["effect"] != "residual"].copy()
    df["kind"] = df["effect"].map(lambda e: "Total change" if e == "total" else "Driver")
    return (
        alt.Chart(df, title=title, width=WIDTH)
        .mark_bar()
        .encode(
            y=alt.Y("effect_name:N", sort=None, title=""),
            x=alt.X("kt:Q", title="Change in emissions (kt CO2e)"),
            color=alt.Color("kind:N", title="", scale=alt.Scale(range=[OKABE_ITO[4], "#000000"])),
            tooltip=["effect_name:N", alt.Tooltip("kt:Q", format=",.2f")],
        )
    )


def indicators_chart(indicators: pd.DataFrame, title: str) -> alt.FacetChart:
    """Transition indicators per year, one small panel per indicator."""
    return (
        alt.Chart(indicators, width=170, height=110)
        .mark_line(color=OKABE_ITO[4], strokeWidth=2)
        .encode(
            x=alt.X("year:O", title="Year", axis=alt.Axis(values=[2030, 2040, 2050])),
            y=alt.Y("value:Q", title=""),
            tooltip=["indicator:N", "year:O", alt.Tooltip("value:Q", format=",.3g"), "unit:N"],
        )
        .facet(facet=alt.Facet("indicator:N", title=None), columns=3, title=title)
        .resolve_scale(y="independent")
    )
