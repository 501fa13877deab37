"""The main job's outputs: ``summary.json``, an offline HTML report with Altair charts, the
Climate City Contract investment plan as Excel, and CSVs.

The report inlines the Vega JavaScript so that it works offline. vl-convert bundles it (a few
seconds), so the bundle is built once per vl-convert version and kept in the kit's cache
folder (:func:`vega_bundle`).
"""

from __future__ import annotations

import contextlib
import hashlib
import html
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from m100model.analysis.macc import compare_with_optimum, macc
from m100model.cities import city_name
from m100model.io import cache_dir, check_renderer, neutralised, write_atomic, write_csv, write_json
from m100model.pathways import IAMC_COLUMNS, MODEL_NAME
from m100model.portfolio.data import PortfolioData, assemble
from m100model.portfolio.results import PortfolioResult, extract
from m100model.portfolio.solve import PortfolioSolver, require_plan
from m100model.scenario import Scenario

if TYPE_CHECKING:
    import altair as alt


@dataclass
class RunOutput:
    """A solved scenario with everything derived from it."""

    scenario: Scenario
    data: PortfolioData
    solver: PortfolioSolver
    result: PortfolioResult
    macc: pd.DataFrame


def run_scenario(scn: Scenario, source: str | None = None) -> RunOutput:
    """Assemble, build, solve and read out a scenario (``source``: the scenario's file, for
    messages)."""
    data = assemble(scn)
    solver = PortfolioSolver(data, scn.solver)
    solver.solve()
    require_plan(solver, source or f"scenario '{scn.name}'")
    result = extract(solver)
    curve = compare_with_optimum(macc(data, scn.discount_rate), result.portfolio)
    return RunOutput(scn, data, solver, result, curve)


def aggregate_groups(groups: list[str]) -> list[str]:
    """Groups summed into scenario totals: Bucharest Sector 2 lies inside Bucharest, so it is
    left out of totals when both are in the scenario."""
    if "bucharest" in groups and "bucharest_sector_2" in groups:
        return [g for g in groups if g != "bucharest_sector_2"]
    return list(groups)


def _r(x: float, nd: int = 3) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else round(float(x), nd)


def _envelope_values(prices: pd.DataFrame) -> dict:
    out: dict[str, dict[int, float]] = {}
    for e in prices.itertuples():
        if abs(e.value_per_eur) >= 1e-6:
            out.setdefault(f"{e.instrument}|{e.city}", {})[int(e.year)] = _r(e.value_per_eur, 4)
    return out


def _target_year_table(r, d) -> dict:
    """Each target group in its own target year: emissions against target, met or not, and
    the implied carbon price with its basis (the year's own, or levelised over a flat
    stretch of the target)."""
    em = r.emissions.set_index(["group", "year"])
    sc = r.shadow_carbon.dropna(subset=["year"]).set_index(["group", "year"])
    out = {}
    for g in d.groups:
        t = int(d.target_year.get(g, max(d.years)))
        if (g, t) not in em.index:
            continue
        row = em.loc[(g, t)]
        price = sc.loc[(g, t)] if (g, t) in sc.index else None
        short = em.loc[g]["shortfall_kt"]
        out[g] = {
            "target_year": t,
            "baseline_kt": _r(row["baseline_kt"]),
            "emissions_kt": _r(row["emissions_kt"]),
            "target_kt": _r(row["target_kt"]),
            "met": bool(row["shortfall_kt"] <= 1e-6),
            "years_missed": [int(y) for y, v in short.items() if v > 1e-6],
            "carbon_price_eur_per_t": None if price is None else _r(price["eur_per_t"], 1),
            "price_basis": None if price is None else str(price["basis"]),
        }
    return out


def summary(out: RunOutput) -> dict:
    """The run's key figures (``summary.json``)."""
    r, d, scn = out.result, out.data, out.scenario
    em = r.emissions
    counted = aggregate_groups(list(d.groups))
    total = (
        em[em["group"].isin(counted)]
        .groupby("year")[["emissions_kt", "target_kt", "baseline_kt"]]
        .sum(min_count=1)
    )
    # Prices only where a target binds and is met: in a year a target is missed the dual
    # echoes the shortfall penalty (left empty by extract()).
    sp = r.shadow_carbon.dropna(subset=["year", "eur_per_t"])
    price_max = sp.groupby("year")["eur_per_t"].max() if not sp.empty else pd.Series(dtype=float)
    budget_price = r.shadow_carbon[r.shadow_carbon["year"].isna()]
    missed = r.shadow_carbon[r.shadow_carbon["shortfall"].astype(bool)]
    inv = r.investment.groupby(["instrument", "year"])["meur"].sum()
    return {
        "scenario": scn.name,
        "description": scn.description,
        "status": r.status,
        "targets_met": r.feasible,
        "npv_meur": _r(r.npv_meur),
        "shortfall_penalty_meur": _r(r.penalty_meur),
        "perspective": scn.perspective,
        "discount_rate": scn.discount_rate,
        "gwp_set": scn.gwp,
        "grid_method": scn.grid_method,
        "grid_scenario": scn.grid_scenario,
        "data_quality": "illustrative: city inventories are derived from national statistics "
        "and many project costs are unsourced; see data/*/README.md",
        "cities": scn.cities,
        "totals_exclude": sorted(set(d.groups) - set(counted)),
        "emissions_kt": {int(y): _r(v) for y, v in total["emissions_kt"].items()},
        "target_kt": {int(y): _r(v) for y, v in total["target_kt"].items()},
        "baseline_kt": {int(y): _r(v) for y, v in total["baseline_kt"].items()},
        "by_group": {
            g: {
                "emissions_kt": {
                    int(t): _r(v) for t, v in part.set_index("year")["emissions_kt"].items()
                },
                "target_kt": {
                    int(t): _r(v) for t, v in part.set_index("year")["target_kt"].items()
                },
                "shortfall_kt": {
                    int(t): _r(v)
                    for t, v in part.set_index("year")["shortfall_kt"].items()
                    if v > 1e-6
                },
            }
            for g, part in em.groupby("group", sort=False)
        },
        "by_city_in_target_year": _target_year_table(r, d),
        "selected_projects": [
            {
                "project": p.project_id,
                "city": p.city,
                "archetype": p.archetype_id,
                "theme": p.theme,
                "units": _r(p.units),
                "unit": p.unit,
                "peak_share_of_maximum": _r(p.peak_share),
                "first_year": int(p.first_year),
                "capex_meur": _r(p.capex_meur),
            }
            for p in r.portfolio.itertuples()
        ],
        "investment_meur": {
            s: {int(y): _r(v) for (s2, y), v in inv.items() if s2 == s}
            for s in sorted({s for s, _ in inv.index})
        },
        "shadow_price_eur_per_t": {int(y): _r(v, 1) for y, v in price_max.items()},
        "shadow_price_basis": "highest implied carbon price across target groups, EUR per t "
        "CO2e in the year's money: the dual of the year's target undiscounted to the year; on a "
        "flat stretch of a target (the same cap in consecutive years) only the duals' "
        "discounted sum is determined, so each year of the stretch shows the levelised price "
        "over its binding years (carbon_price_flat_stretches); only years whose target is met "
        "(in a year a target is missed the dual only echoes the shortfall penalty), and only "
        "for groups that meet every yearly cap (where a group misses some years, the same "
        "projects and money serve several years, so its met years' duals carry part of the "
        "penalty too: basis 'shortfall elsewhere'); "
        "non-unique duals: the centre of the optimal set (interior point, see "
        "m100model/portfolio/solve.py)",
        "carbon_price_flat_stretches": {
            g: {
                basis.removeprefix("flat "): {
                    "eur_per_t": _r(grp["eur_per_t"].dropna().iloc[0], 1)
                    if grp["eur_per_t"].notna().any()
                    else None,
                    "binding_years": [int(y) for y in grp.loc[grp["binding"], "year"]],
                }
                for basis, grp in part.groupby("basis", sort=False)
                if basis.startswith("flat ")
            }
            for g, part in r.shadow_carbon.dropna(subset=["year"]).groupby("group", sort=False)
            if part["basis"].str.startswith("flat ").any()
        },
        "shadow_price_eur_per_t_by_group": {
            g: {int(y): _r(v, 1) for y, v in part.set_index("year")["eur_per_t"].items()}
            for g, part in sp.groupby("group", sort=False)
        },
        "shortfall_years_without_price": {
            g: sorted(int(y) for y in part["year"].dropna())
            for g, part in missed.groupby("group", sort=False)
        },
        "carbon_budget_price_eur_per_t": {
            b.group: (None if pd.isna(b.eur_per_t) else _r(b.eur_per_t, 1))
            for b in budget_price.itertuples()
        },
        "envelope_value_per_eur": _envelope_values(r.shadow_budget),
        "envelope_value_basis": "EUR of net present cost saved by one more EUR in the yearly "
        "envelope (instrument|city, city '*' for a national envelope), in the year's money; "
        "binding envelopes only",
        "stopped_on_limit": r.stats.get("limit") or None,
        "bundles": [
            {"bundle": b.bundle, "selected": bool(b.selected)} for b in r.bundles.itertuples()
        ],
        "tickets_used": [
            {"finance_group": t.finance_group, "instrument": t.instrument, "meur": _r(t.meur)}
            for t in r.tickets.itertuples()
            if t.used
        ],
        "diagnosis": r.diagnosis,
        "solver": {k: _r(v, 4) if isinstance(v, float) else v for k, v in r.stats.items()},
    }


def iamc_table(out: RunOutput) -> pd.DataFrame:
    """Emissions, targets and investment in IAMC long form."""
    r, scn = out.result, out.scenario
    rows = []
    for e in r.emissions.itertuples():
        for var, val in (
            ("Emissions|CO2e|BASIC", e.emissions_kt),
            ("Emissions|CO2e|BASIC|Baseline", e.baseline_kt),
            ("Target|Emissions|CO2e|BASIC", e.target_kt),
        ):
            rows.append((MODEL_NAME, scn.name, e.group, var, "kt CO2e/yr", int(e.year), val))
    for w in r.wedges.itertuples():
        rows.append(
            (
                MODEL_NAME,
                scn.name,
                w.group,
                f"Abatement|CO2e|{w.theme_name}",
                "kt CO2e/yr",
                int(w.year),
                w.abated_kt,
            )
        )
    for i in r.investment.itertuples():
        rows.append(
            (
                MODEL_NAME,
                scn.name,
                i.city,
                f"Investment|{i.instrument}",
                "M EUR/yr",
                int(i.year),
                i.meur,
            )
        )
    return pd.DataFrame(rows, columns=IAMC_COLUMNS)


def _chart_block(chart: alt.TopLevelMixin, div: str) -> str:
    spec = json.dumps(chart.to_dict())
    return (
        f'<div id="{div}" class="chart"></div>\n<script>vegaEmbed("#{div}", {spec}, '
        '{"actions": false, "renderer": "svg"});</script>'
    )


def report_charts(out: RunOutput) -> dict[str, alt.TopLevelMixin]:
    from m100model import charts

    r = out.result
    name = out.scenario.name
    counted = aggregate_groups(list(out.data.groups))
    em = r.emissions[r.emissions["group"].isin(counted)]
    wedges = r.wedges[r.wedges["group"].isin(counted)]
    return {
        "pathway": charts.pathway_chart(
            em, wedges, f"{name}: emissions against the target (illustrative data)"
        ),
        "investment": charts.investment_chart(
            r.investment, f"{name}: investment plan by funding source"
        ),
        "macc": charts.macc_chart(
            out.macc,
            f"{name}: marginal abatement cost of the candidates and what the optimum builds",
        ),
    }


def html_report(out: RunOutput, info: dict) -> str:
    """A self-contained HTML page (the Vega JavaScript is inlined: it works offline)."""
    r = out.result
    blocks = "\n".join(_chart_block(c, f"chart-{k}") for k, c in report_charts(out).items())
    diag = "".join(
        f"<li><b>{html.escape(city_name(x['group']))}</b>: short of the target in "
        f"{x['years']} (worst {x['worst_year']}: {x['worst_shortfall_kt']:,.1f} kt above a "
        f"target of {x['target_kt']:,.1f} kt). Held back by "
        f"{html.escape(', '.join(x.get('limits', [])) or 'nothing identified')}. Binding: "
        f"projects at their maximum "
        f"({html.escape(', '.join(x['projects_at_maximum']) or 'none')}); built as fast as "
        f"allowed ({html.escape(', '.join(x.get('built_at_fastest_rate', [])) or 'none')}); "
        f"funding envelopes "
        f"exhausted ({html.escape(', '.join(x['envelopes_exhausted']) or 'none')}); "
        f"not yet available because of lead times "
        f"({html.escape(', '.join(x['not_available_in_first_short_year']) or 'none')}).</li>"
        for x in r.diagnosis
    )
    top = r.portfolio.sort_values("capex_meur", ascending=False).head(25)
    shown = pd.DataFrame(
        {
            "City": top["city"].map(city_name),
            "Project": top["name"],
            "Units built": top["units"].map(lambda v: f"{v:,.1f}"),
            "Unit": top["unit"],
            "Peak share of maximum": top["peak_share"].map(lambda v: f"{v:.0%}"),
            "First year": top["first_year"],
            "Spending (M EUR)": top["capex_meur"].map(lambda v: f"{v:,.2f}"),
        }
    )
    table = shown.to_html(index=False, classes="t", border=0)
    solver = info.get("solver", {})
    gap = solver.get("gap_meur")
    limit = (
        f'<p class="warn"><b>Stopped on the {html.escape(solver["limit"])}.</b> The solver '
        "did not finish its search: the plan "
        + (
            f"may cost up to {gap:,.1f} M EUR more than the best possible"
            if gap is not None and math.isfinite(gap)
            else "is not proven near the best possible"
        )
        + ". Raise <code>solver.time_limit</code> in the scenario to search longer.</p>"
        if solver.get("limit")
        else ""
    )
    bundle = vega_bundle()
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>M100 scenario report: {html.escape(out.scenario.name)}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;
color:#222}} .warn{{background:#fff4d6;border-left:4px solid #E69F00;padding:.6rem 1rem}}
table.t{{border-collapse:collapse;font-size:.9rem}} table.t td,table.t th{{padding:.2rem .5rem;
border-bottom:1px solid #ddd;text-align:right}} .chart{{margin:1.5rem 0}}
table.t td:nth-child(-n+2),table.t th:nth-child(-n+2){{text-align:left}}</style>
<script>{bundle}</script></head><body>
<h1>Scenario <code>{html.escape(out.scenario.name)}</code></h1>
<p>{html.escape(out.scenario.description)}</p>
<p class="warn"><b>Illustrative data.</b> The city inventories are derived from national
statistics, not published city inventories, and many project costs are unsourced estimates
(see <code>data/*/README.md</code>). Use the results to learn the method, not as a plan.</p>
{limit}
<ul><li>Status: <b>{html.escape(info["status"])}</b>; all targets met:
<b>{"yes" if info["targets_met"] else "no"}</b></li>
<li>Net present cost ({html.escape(info["perspective"])} perspective, discount rate
{info["discount_rate"]:.1%}): <b>{info["npv_meur"]:,.1f} M EUR</b>; negative means the
energy savings outweigh the costs</li>
<li>Shortfall penalty (a price on missing the target that steers the model, not a cost
anyone pays): {info["shortfall_penalty_meur"]:,.1f} M EUR</li>
<li>Cities: {html.escape(", ".join(city_name(c) for c in info["cities"]))}</li></ul>
{("<h2>Why targets are missed</h2><ul>" + diag + "</ul>") if diag else ""}
{blocks}
<h2>Largest projects in the optimal portfolio</h2>{table}
</body></html>"""


_BUNDLE_HEADER = "/* m100 Vega bundle: vl-convert {version}, sha256 {digest} */\n"
_BUNDLE_HEADER_RE = re.compile(r"/\* m100 Vega bundle: vl-convert (\S+), sha256 ([0-9a-f]{64}) \*/")


def _vl_convert_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("vl-convert-python")
    except PackageNotFoundError:  # pragma: no cover - vl_convert from elsewhere
        import vl_convert as vlc

        return str(vlc.__version__)


def vega_bundle_path() -> Path:
    """The cache file of the Vega bundle for the installed vl-convert."""
    safe = re.sub(r"[^0-9A-Za-z.+-]", "_", _vl_convert_version())
    return cache_dir() / f"vega-bundle-vl-convert-{safe}.js"


def _read_bundle(path: Path, version: str) -> str | None:
    """The cached bundle, or None when the file is missing, empty, damaged or for another
    version: the header's checksum must match what follows it."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    first, sep, code = text.partition("\n")
    match = _BUNDLE_HEADER_RE.fullmatch(first)
    if not sep or not code or match is None or match.group(1) != version:
        return None
    if hashlib.sha256(code.encode("utf-8")).hexdigest() != match.group(2):
        return None
    return code


def vega_bundle() -> str:
    """Vega, Vega-Lite and Vega-Embed as one JavaScript bundle (``vegaEmbed``), for pages that
    must work offline.

    vl-convert builds it from the copies it carries (nothing is fetched), which takes several
    seconds, so the result is kept in :func:`~m100model.io.cache_dir` under a name holding the
    vl-convert version, written atomically with a checksum header. A missing, empty or
    damaged cache file is rebuilt; when the cache folder cannot be written, the bundle is
    built every time.
    """
    version = _vl_convert_version()
    path = vega_bundle_path()
    code = _read_bundle(path, version)
    if code is None:
        check_renderer()
        import vl_convert as vlc

        code = vlc.javascript_bundle()
        digest = hashlib.sha256(code.encode("utf-8")).hexdigest()
        with contextlib.suppress(OSError):  # no writable cache: correct, only slower
            write_atomic(path, _BUNDLE_HEADER.format(version=version, digest=digest) + code)
    return code


def excel_plan(out: RunOutput, path: Path) -> None:
    """The Climate City Contract investment-plan tables as an Excel workbook."""
    r = out.result
    plan = r.investment.pivot_table(
        index="instrument", columns="year", values="meur", aggfunc="sum", fill_value=0.0
    )
    plan.loc["Total"] = plan.sum()
    by_city = r.investment.pivot_table(
        index=["city", "instrument"], columns="year", values="meur", aggfunc="sum", fill_value=0.0
    )
    readme = pd.DataFrame(
        {
            "M100 course kit: investment plan": [
                f"Scenario: {out.scenario.name}",
                "Money in M EUR per year by funding source "
                "(Climate City Contract investment plan).",
                "ILLUSTRATIVE: derived city inventories and partly unsourced costs; "
                "see the data/ READMEs.",
            ]
        }
    )
    # Text cells neutralised: openpyxl writes a text starting with "=" as a formula.
    with pd.ExcelWriter(path, engine="openpyxl") as xl:
        neutralised(readme).to_excel(xl, sheet_name="Read me", index=False)
        neutralised(plan).to_excel(xl, sheet_name="Investment plan")
        neutralised(by_city).to_excel(xl, sheet_name="By city")
        neutralised(r.portfolio).to_excel(xl, sheet_name="Portfolio", index=False)
        neutralised(r.emissions).to_excel(xl, sheet_name="Emissions", index=False)
        neutralised(r.shadow_carbon).to_excel(xl, sheet_name="Shadow prices", index=False)
        neutralised(iamc_table(out)).to_excel(xl, sheet_name="IAMC", index=False)


def write_outputs(out: RunOutput, folder: Path) -> dict:
    """Fill a results folder; returns the summary."""
    info = summary(out)
    write_json(folder / "summary.json", info)
    (folder / "report.html").write_text(html_report(out, info), encoding="utf-8")
    excel_plan(out, folder / "investment_plan.xlsx")
    r = out.result
    write_csv(folder / "emissions.csv", r.emissions)
    write_csv(folder / "wedges.csv", r.wedges)
    write_csv(folder / "portfolio.csv", r.portfolio)
    write_csv(folder / "deployment.csv", r.deployment)
    write_csv(folder / "investment.csv", r.investment)
    write_csv(folder / "shadow_prices.csv", r.shadow_carbon)
    write_csv(folder / "budget_shadow_prices.csv", r.shadow_budget)
    write_csv(folder / "macc.csv", out.macc)
    write_csv(folder / "pathway_iamc.csv", iamc_table(out))
    return info
