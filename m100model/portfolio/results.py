"""Reading a solved portfolio model into tidy tables: the selected portfolio and its
schedule, emissions against target (with wedges by theme), the investment plan by year and
funding source, shadow prices, and a diagnosis of what keeps a target out of reach."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd
import pyomo.environ as pyo

from m100model.portfolio.solve import PortfolioSolver
from m100model.projects import THEME_NAMES

TOL = 1e-6


@dataclass
class PortfolioResult:
    """Everything a report, chart or notebook needs from one solve.

    Money in M EUR, emissions in kt CO2e (the summary converts for display).
    """

    status: str
    npv_meur: float  # net present cost of the portfolio (without shortfall penalties)
    penalty_meur: float  # the priced shortfall: a signal, not a cost anyone pays
    emissions: pd.DataFrame  # group, year, baseline_kt, emissions_kt, target_kt, shortfall_kt
    wedges: pd.DataFrame  # group, year, theme, abated_kt
    deployment: pd.DataFrame  # project_id, city, archetype_id, theme, year, commissioned, active
    portfolio: pd.DataFrame  # one row per selected project: units, share of maximum, capex
    investment: pd.DataFrame  # year, instrument, city, meur
    shadow_carbon: pd.DataFrame  # group, year, eur_per_t
    shadow_budget: pd.DataFrame  # instrument, city, year, value_per_eur
    bundles: pd.DataFrame  # bundle, selected
    tickets: pd.DataFrame  # finance group, instrument, used, meur
    diagnosis: list[dict] = field(default_factory=list)
    stats: dict = field(default_factory=dict)
    prices_pending: bool = False  # shadow prices not read yet (see add_prices)

    @property
    def feasible(self) -> bool:
        """True when every target is met without shortfall."""
        short = self.emissions["shortfall_kt"]
        if "budget_shortfall_kt" in self.emissions:
            short = short + self.emissions["budget_shortfall_kt"].fillna(0.0)
        return bool((short <= 1e-6).all())


def extract(solver: PortfolioSolver, *, prices: bool = True) -> PortfolioResult:
    """Tidy results from a solved :class:`PortfolioSolver`: the solution is read once, then
    each table is made by its own function. With ``prices=False`` the shadow prices are
    left for :func:`add_prices` (an interactive view can draw its charts first)."""
    sol = Solution.read(solver)
    emissions = emissions_table(solver, sol)
    result = PortfolioResult(
        status=solver.stats.status,
        npv_meur=solver.stats.objective,  # the plan's cost, without the priced shortfall
        penalty_meur=solver.penalty_meur(),
        emissions=emissions,
        wedges=wedges_table(solver, sol),
        deployment=deployment_table(solver, sol),
        portfolio=portfolio_table(solver, sol),
        investment=investment_table(solver, sol),
        shadow_carbon=pd.DataFrame(columns=CARBON_PRICE_COLUMNS),
        shadow_budget=pd.DataFrame(columns=ENVELOPE_PRICE_COLUMNS),
        bundles=bundles_table(solver, sol),
        tickets=tickets_table(solver, sol),
        stats=solver.stats.as_dict(),
        prices_pending=True,
    )
    if prices:
        add_prices(result, solver)
    result.diagnosis = diagnose(solver, result)
    return result


def add_prices(result: PortfolioResult, solver: PortfolioSolver) -> PortfolioResult:
    """Fill in the shadow prices of targets and envelopes (the solver must still hold the
    solution the result was read from)."""
    if result.prices_pending:
        result.shadow_carbon = carbon_prices(solver, result.emissions)
        result.shadow_budget = envelope_prices(solver)
        result.stats["dual_s"] = solver.stats.dual_s
        result.stats["dual_method"] = solver.stats.dual_method
        result.prices_pending = False
    return result


CARBON_PRICE_COLUMNS = ["group", "year", "eur_per_t", "binding", "shortfall", "basis"]
ENVELOPE_PRICE_COLUMNS = ["instrument", "city", "year", "value_per_eur"]


@dataclass
class Solution:
    """The values of one solution, read once (Pyomo lookups are slow in loops)."""

    x: dict
    n: dict
    spend: dict
    info: dict

    @classmethod
    def read(cls, solver: PortfolioSolver) -> Solution:
        m = solver.model  # holds the last solution
        pr = solver.data.projects
        info = pr[["city", "archetype_id", "theme", "name", "unit", "max_units", "bundle"]].to_dict(
            "index"
        )
        return cls(
            x=solver.values("x"),
            n=solver.values("n"),
            spend={key: pyo.value(e) for key, e in m.spend.items()},
            info=info,
        )


DEPLOYMENT_COLUMNS = [
    "project_id",
    "city",
    "archetype_id",
    "theme",
    "year",
    "commissioned",
    "active",
    "spend_meur",
]


def deployment_table(solver: PortfolioSolver, sol: Solution) -> pd.DataFrame:
    """Units commissioned and active, and spending, by project and year."""
    m, info = solver.model, sol.info
    rows = [
        dict(
            project_id=p,
            city=info[p]["city"],
            archetype_id=info[p]["archetype_id"],
            theme=info[p]["theme"],
            year=t,
            commissioned=sol.x[p, t],
            active=sol.n[p, t],
            spend_meur=sol.spend[p, t],
        )
        for p in m.P
        for t in m.T
        if sol.x[p, t] > TOL or sol.n[p, t] > TOL
    ]
    return pd.DataFrame(rows, columns=DEPLOYMENT_COLUMNS)


PORTFOLIO_COLUMNS = [
    "project_id",
    "city",
    "archetype_id",
    "name",
    "theme",
    "unit",
    "units",
    "max_units",
    "peak_share",
    "first_year",
    "capex_meur",
    "bundle",
]


def portfolio_table(solver: PortfolioSolver, sol: Solution) -> pd.DataFrame:
    """One row per selected project: units built, peak share of its maximum, capex."""
    m, info = solver.model, sol.info
    rows = []
    for p in m.P:
        built_years = [t for t in m.T if sol.x[p, t] > TOL]
        if not built_years:
            continue
        cap = float(info[p]["max_units"])
        rows.append(
            dict(
                project_id=p,
                city=info[p]["city"],
                archetype_id=info[p]["archetype_id"],
                name=info[p]["name"],
                theme=info[p]["theme"],
                unit=info[p]["unit"],
                units=sum(sol.x[p, t] for t in m.T),
                max_units=cap,
                peak_share=max(sol.n[p, t] for t in m.T) / cap,
                first_year=built_years[0],
                capex_meur=sum(v for t in m.T if (v := sol.spend[p, t]) > TOL),
                bundle=info[p]["bundle"],
            )
        )
    return pd.DataFrame(rows, columns=PORTFOLIO_COLUMNS)


def emissions_table(solver: PortfolioSolver, sol: Solution) -> pd.DataFrame:
    """Emissions of each target group against its baseline and target, with the
    shortfall (the smallest the candidates allow) by year."""
    d = solver.data
    em_val = solver.values("emissions")
    target = solver.model.target
    rows = []
    for g, members in d.groups.items():
        for t in d.years:
            rows.append(
                dict(
                    group=g,
                    year=t,
                    baseline_kt=d.baseline_kt[(g, t)],
                    emissions_kt=sum(em_val[c, t] for c in members),
                    target_kt=(pyo.value(target[g, t]) if (g, t) in d.target_kt else math.nan),
                    shortfall_kt=solver.shortfall.get((g, t), 0.0),
                )
            )
    emissions = pd.DataFrame(rows)
    if d.budget_kt:
        for g in d.groups:
            short = solver.shortfall.get((g, None), 0.0)
            emissions.loc[emissions["group"] == g, "budget_shortfall_kt"] = short
    return emissions


def wedges_table(solver: PortfolioSolver, sol: Solution) -> pd.DataFrame:
    """Abatement (kt CO2e) by group, year and theme: each project's activity changes at
    that year's intensity, plus sequestration."""
    d, info = solver.data, sol.info
    pr = d.projects
    group_of = {c: g for g, members in d.groups.items() for c in members}
    intensity = d.pool_intensity
    wedge: dict[tuple[str, int, str], float] = {}
    for e in d.effects.itertuples():
        p = e.project_id
        g, th = group_of[info[p]["city"]], info[p]["theme"]
        for t in d.years:
            n = sol.n[p, t]
            if n <= TOL:
                continue
            key = (g, t, th)
            wedge[key] = wedge.get(key, 0.0) - e.delta * n * float(intensity.at[e.pool_id, t])
    for p, seq in pr.loc[pr["seq"] > 0, "seq"].items():
        for t in d.years:
            key = (group_of[info[p]["city"]], t, info[p]["theme"])
            wedge[key] = wedge.get(key, 0.0) + float(seq) * sol.n[p, t]
    return pd.DataFrame(
        [
            dict(group=g, year=t, theme=th, theme_name=THEME_NAMES[th], abated_kt=v)
            for (g, t, th), v in wedge.items()
        ],
        columns=["group", "year", "theme", "theme_name", "abated_kt"],
    )


def investment_table(solver: PortfolioSolver, sol: Solution) -> pd.DataFrame:
    """Money (M EUR) by year, instrument and city."""
    F = solver.values("F")
    inv = [
        dict(finance_group=f, city=c, instrument=s, year=t, meur=v)
        for (f, c, s, t), v in F.items()
        if v > TOL
    ]
    investment = pd.DataFrame(inv, columns=["finance_group", "city", "instrument", "year", "meur"])
    return investment.groupby(["year", "instrument", "city"], as_index=False)["meur"].sum()


def carbon_prices(solver: PortfolioSolver, emissions: pd.DataFrame) -> pd.DataFrame:
    """Implied carbon price (EUR/t, undiscounted to the year) of each yearly target, and of
    each carbon budget (``year`` empty, EUR/t in first-year money).

    - ``binding``: the target holds emissions down that year (a non-zero dual).
    - ``shortfall``: the target is missed that year; the dual then only echoes the
      shortfall penalty, so ``eur_per_t`` is left empty.
    - ``basis``: ``year`` where the price is that year's own; ``flat YYYY-YYYY`` on a flat
      stretch of the target (the same cap in consecutive years). There the yearly duals are
      not determined one by one, only their discounted sum is: tightening every year of the
      stretch by a tonne costs :math:`\\sum_{t \\in B} \\mu_t` (present value, over the
      stretch's binding years :math:`B` where the target is met). Each year of the stretch
      then shows the levelised price, the constant price per tonne with that present value:
      :math:`\\bar p = \\sum_{t \\in B} \\mu_t / \\sum_{t \\in B} d_t`.
    - ``shortfall elsewhere``: the target is met this year but missed in another year of the
      same group. The same projects, money and building capacity serve several years, so a
      met year's dual then prices the tonne partly at the shortfall penalty of the missed
      years (a tonne cut in 2038 may mean building later, which costs penalty in 2037);
      ``eur_per_t`` is left empty. A group shows prices only if it meets every yearly cap.
    """
    d = solver.data
    duals = solver.duals() if solver.stats.status in ("optimal", "feasible") else {}
    short = {(r.group, r.year): r.shortfall_kt > 1e-6 for r in emissions.itertuples()}
    rows = []
    yearly = {idx: -y for (name, idx), y in duals.items() if name == "target_path"}
    for g in dict.fromkeys(g for g, _t in yearly):
        years = sorted(t for gg, t in yearly if gg == g)
        for first, last in _flat_stretches(g, years, d.target_kt):
            span = [t for t in years if first <= t <= last]
            met = [t for t in span if not short.get((g, t), False)]
            binding = [t for t in met if abs(yearly[g, t] / d.discount[t]) * 1000.0 >= 0.01]
            flat = last > first
            level = (
                sum(yearly[g, t] for t in binding) / sum(d.discount[t] for t in binding) * 1e3
                if flat and binding
                else 0.0
            )
            coupled = any(short.get((g, t), False) for t in years)
            for t in span:
                own = round(yearly[g, t] / d.discount[t] * 1000.0, 2) + 0.0
                shown = t in met and not coupled
                rows.append(
                    dict(
                        group=g,
                        year=t,
                        eur_per_t=(round(level, 2) + 0.0 if flat else own) if shown else math.nan,
                        binding=t in binding,
                        shortfall=t not in met,
                        basis="shortfall elsewhere"
                        if t in met and coupled
                        else (f"flat {first}-{last}" if flat else "year"),
                    )
                )
    for (name, idx), y in duals.items():
        if name == "carbon_budget":
            missed = solver.shortfall.get((idx, None), 0.0) > 1e-6
            price = round(-y / d.discount[d.years[0]] * 1000.0, 2) + 0.0
            rows.append(
                dict(
                    group=idx,
                    year=None,
                    eur_per_t=math.nan if missed else price,
                    binding=abs(price) >= 0.01,
                    shortfall=missed,
                    basis="budget",
                )
            )
    return pd.DataFrame(rows, columns=CARBON_PRICE_COLUMNS)


def _flat_stretches(g: str, years: list[int], caps: dict) -> list[tuple[int, int]]:
    """Maximal runs of consecutive years with the same cap (a single year is its own run)."""
    out: list[tuple[int, int]] = []
    for t in years:
        if out and t == out[-1][1] + 1 and math.isclose(caps[g, t], caps[g, out[-1][1]]):
            out[-1] = (out[-1][0], t)
        else:
            out.append((t, t))
    return out


def envelope_prices(solver: PortfolioSolver) -> pd.DataFrame:
    """Value (EUR of net present cost saved) of one more EUR in each yearly envelope."""
    d = solver.data
    duals = solver.duals() if solver.stats.status in ("optimal", "feasible") else {}
    rows = [
        dict(instrument=s, city=c, year=t, value_per_eur=round(-y / d.discount[t], 6) + 0.0)
        for (s, c, t), y in (
            (idx, y) for (name, idx), y in duals.items() if name == "envelope_limit"
        )
    ]
    return pd.DataFrame(rows, columns=ENVELOPE_PRICE_COLUMNS)


def bundles_table(solver: PortfolioSolver, sol: Solution) -> pd.DataFrame:
    w = solver.values("w")
    d = solver.data
    return pd.DataFrame(
        [
            dict(bundle=b, selected=bool(round(w.get(b, 0.0))), projects=len(d.bundles[b]))
            for b in d.bundles
        ],
        columns=["bundle", "selected", "projects"],
    )


def tickets_table(solver: PortfolioSolver, sol: Solution) -> pd.DataFrame:
    z = solver.values("z")
    F = solver.values("F")
    amount: dict[tuple[str, str], float] = {}
    for (f, _c, s, _t), v in F.items():
        amount[(f, s)] = amount.get((f, s), 0.0) + v
    rows = [
        dict(finance_group=f, instrument=s, used=bool(round(v)), meur=amount.get((f, s), 0.0))
        for (f, s), v in z.items()
    ]
    return pd.DataFrame(rows, columns=["finance_group", "instrument", "used", "meur"])


def diagnose(solver: PortfolioSolver, result: PortfolioResult) -> list[dict]:
    """For each target group that falls short: in which years, by how much, and what binds
    (projects at their maximum, activity pools used up, envelopes exhausted)."""
    m, d = solver.model, solver.data
    pr = d.projects
    out = []
    short = result.emissions[result.emissions["shortfall_kt"] > 1e-3]
    for g, part in short.groupby("group", sort=False):
        cities = d.groups[g]
        years = [int(y) for y in part["year"]]
        worst = part.loc[part["shortfall_kt"].idxmax()]
        t = int(worst["year"])
        at_max = [
            str(pr.at[p, "archetype_id"])
            for p in m.P
            if pr.at[p, "city"] in cities
            and pyo.value(m.n[p, t]) >= float(pr.at[p, "max_units"]) * (1 - 1e-6)
        ]
        pools_used = [
            k
            for k in m.K_SHARED
            if d.pools.at[k, "city"] in cities and pyo.value(m.activity[k, t]) <= 1e-6
        ]
        envelopes = sorted(
            {
                s
                for (s, c, tt), con in m.envelope_limit.items()
                if tt <= t
                and (c == "*" or c in cities)
                and pyo.value(con.body) >= pyo.value(m.envelope[s, c, tt]) * (1 - 1e-6)
                and pyo.value(m.envelope[s, c, tt]) > 0
            }
        )
        earliest: dict[str, int] = {}
        for p in m.P:
            if pr.at[p, "city"] in cities:
                a = str(pr.at[p, "archetype_id"])
                earliest[a] = min(earliest.get(a, 10_000), int(pr.at[p, "earliest"]))
        not_yet = [a for a, y in earliest.items() if y > years[0]]
        # Built as fast as allowed (the normal rate, or the last mark-up tier) in a year up to
        # the worst one: the supply chain, not money or potential, set the pace.
        fastest = sorted(
            {
                str(pr.at[p, "archetype_id"])
                for p in m.P
                if pr.at[p, "city"] in cities and not pr.at[p, "indivisible"]
                for tt in m.T
                if tt <= t and m.x[p, tt].ub and pyo.value(m.x[p, tt]) >= m.x[p, tt].ub * (1 - 1e-6)
            }
        )
        out.append(
            dict(
                group=g,
                years=f"{min(years)}-{max(years)}" if len(years) > 1 else str(years[0]),
                total_shortfall_kt=float(part["shortfall_kt"].sum()),
                worst_year=t,
                worst_shortfall_kt=float(worst["shortfall_kt"]),
                target_kt=float(worst["target_kt"]),
                emissions_kt=float(worst["emissions_kt"]),
                projects_at_maximum=sorted(set(at_max)),
                pools_used_up=[k.split("|", 1)[1] for k in pools_used],
                envelopes_exhausted=envelopes,
                not_available_in_first_short_year=sorted(set(not_yet)),
                built_at_fastest_rate=fastest,
                limits=limits_in_words(at_max, pools_used, fastest, not_yet, envelopes),
            )
        )
    return out


def limits_in_words(
    at_max: list, pools: list, fastest: list, not_yet: list, envelopes: list
) -> list[str]:
    """What holds a target back, as kinds of real-world limit: the physical potential
    (measures at their ceiling, activity used up), the pace of building, lead times, and
    money (funding envelopes exhausted)."""
    out = []
    if at_max or pools:
        out.append("physical potential")
    if fastest:
        out.append("build rate")
    if not_yet:
        out.append("lead time")
    if envelopes:
        out.append("money")
    return out
