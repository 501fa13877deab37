"""Altair charts of the kit: one function per chart type, each returning an ``alt.Chart``.

Every chart has a title and axis labels with units, uses the Okabe-Ito colour-blind-safe
palette, and reads well when printed. :func:`to_png` and :func:`to_svg` export offline
through vl-convert.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

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
THEME_COLOURS = dict(zip([THEME_NAMES[t] for t in THEMES], OKABE_ITO, strict=False))
WIDTH = 560


def _theme_scale() -> alt.Scale:
    return alt.Scale(domain=list(THEME_COLOURS), range=list(THEME_COLOURS.values()))


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


def pathway_chart(emissions: pd.DataFrame, wedges: pd.DataFrame, title: str) -> alt.LayerChart:
    """Emissions against the target, with the abatement wedges by CPD theme stacked between
    the modelled pathway and the baseline (kt CO2e per year)."""
    em = emissions.groupby("year", as_index=False)[
        ["baseline_kt", "emissions_kt", "target_kt"]
    ].sum(min_count=1)
    w = wedges.groupby(["year", "theme_name"], as_index=False)["abated_kt"].sum()
    w = w[w["abated_kt"] > 0]
    remaining = em[["year", "emissions_kt"]].rename(columns={"emissions_kt": "abated_kt"})
    remaining["theme_name"] = "Remaining emissions"
    stack = pd.concat([remaining, w], ignore_index=True)
    order = ["Remaining emissions", *THEME_COLOURS]
    stack["order"] = stack["theme_name"].map(order.index)
    colours = alt.Scale(domain=order, range=["#D9D9D9", *THEME_COLOURS.values()])
    area = (
        alt.Chart(stack)
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
    lines = em.melt("year", ["baseline_kt", "target_kt"], var_name="series", value_name="kt")
    lines["series"] = lines["series"].map(
        {"baseline_kt": "Baseline (no new projects)", "target_kt": "Target path"}
    )
    line = (
        alt.Chart(lines)
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


def investment_chart(investment: pd.DataFrame, title: str) -> alt.Chart:
    """The investment plan: money by year and funding source (M EUR)."""
    df = investment.groupby(["year", "instrument"], as_index=False)["meur"].sum()
    palette = [*OKABE_ITO, "#882255", "#44AA99", "#117733", "#332288"]
    return (
        alt.Chart(df, title=title, width=WIDTH)
        .mark_bar()
        .encode(
            x=alt.X("year:O", title="Year"),
            y=alt.Y("sum(meur):Q", title="Investment (M EUR per year)"),
            color=alt.Color("instrument:N", title="Funding source", scale=alt.Scale(range=palette)),
            tooltip=[
                "year:O",
                "instrument:N",
                alt.Tooltip("sum(meur):Q", format=",.2f", title="M EUR"),
            ],
        )
    )


def macc_chart(curve: pd.DataFrame, title: str, *, cap_eur_per_t: float = 2000.0) -> alt.Chart:
    """Marginal abatement cost curve: each bar is a candidate project, its width the yearly
    abatement at full deployment, its height the cost per tonne; the colour shows how much of
    it the optimal portfolio builds."""
    df = curve.copy()
    df["shown_cost"] = df["cost_eur_per_t"].clip(lower=-cap_eur_per_t, upper=cap_eur_per_t)
    if "optimal_share" not in df:
        df["optimal_share"] = 0.0
    return (
        alt.Chart(df, title=title, width=WIDTH)
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


def to_png(chart: alt.TopLevelMixin, path: str, scale: float = 2.0) -> None:
    """Save a chart as PNG, offline (vl-convert)."""
    chart.save(path, format="png", scale_factor=scale)


def to_svg(chart: alt.TopLevelMixin, path: str) -> None:
    """Save a chart as SVG, offline (vl-convert)."""
    chart.save(path, format="svg")
