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

    @property
    def feasible(self) -> bool:
        """True when every target is met without shortfall."""
        short = self.emissions["shortfall_kt"]
        if "budget_shortfall_kt" in self.emissions:
            short = short + self.emissions["budget_shortfall_kt"].fillna(0.0)
        return bool((short <= 1e-6).all())


def extract(solver: PortfolioSolver) -> PortfolioResult:
    """Tidy results from a solved :class:`PortfolioSolver`."""
    m, d = solver.model, solver.data
    pr = d.projects
    years = d.years

    # Read every value once (Pyomo lookups and DataFrame.at are slow in loops).
    info = pr[["city", "archetype_id", "theme", "name", "unit", "max_units", "bundle"]].to_dict(
        "index"
    )
    x_val = {key: v.value or 0.0 for key, v in m.x.items()}
    n_val = {key: v.value or 0.0 for key, v in m.n.items()}
    spend_val = {key: pyo.value(e) for key, e in m.spend.items()}

    dep = [
        dict(
            project_id=p,
            city=info[p]["city"],
            archetype_id=info[p]["archetype_id"],
            theme=info[p]["theme"],
            year=t,
            commissioned=x_val[p, t],
            active=n_val[p, t],
            spend_meur=spend_val[p, t],
        )
        for p in m.P
        for t in m.T
        if x_val[p, t] > TOL or n_val[p, t] > TOL
    ]
    deployment = pd.DataFrame(
        dep,
        columns=[
            "project_id",
            "city",
            "archetype_id",
            "theme",
            "year",
            "commissioned",
            "active",
            "spend_meur",
        ],
    )

    portfolio = []
    for p in m.P:
        built_years = [t for t in m.T if x_val[p, t] > TOL]
        if not built_years:
            continue
        cap = float(info[p]["max_units"])
        portfolio.append(
            dict(
                project_id=p,
                city=info[p]["city"],
                archetype_id=info[p]["archetype_id"],
                name=info[p]["name"],
                theme=info[p]["theme"],
                unit=info[p]["unit"],
                units=sum(x_val[p, t] for t in m.T),
                max_units=cap,
                peak_share=max(n_val[p, t] for t in m.T) / cap,
                first_year=built_years[0],
                capex_meur=sum(v for t in m.T if (v := spend_val[p, t]) > TOL),
                bundle=info[p]["bundle"],
            )
        )
    portfolio_df = pd.DataFrame(
        portfolio,
        columns=[
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
        ],
    )

    em = []
    for g, members in d.groups.items():
        for t in years:
            e = sum(pyo.value(m.emissions[c, t]) for c in members)
            em.append(
                dict(
                    group=g,
                    year=t,
                    baseline_kt=d.baseline_kt[(g, t)],
                    emissions_kt=e,
                    target_kt=(pyo.value(m.target[g, t]) if (g, t) in d.target_kt else math.nan),
                    shortfall_kt=solver.shortfall.get((g, t), 0.0),
                )
            )
    emissions = pd.DataFrame(em)
    if d.budget_kt:
        for g in d.groups:
            short = solver.shortfall.get((g, None), 0.0)
            emissions.loc[emissions["group"] == g, "budget_shortfall_kt"] = short

    group_of = {c: g for g, members in d.groups.items() for c in members}
    wedge: dict[tuple[str, int, str], float] = {}
    for e in d.effects.itertuples():
        p = e.project_id
        key0 = (group_of[info[p]["city"]], info[p]["theme"])
        for t in years:
            n = n_val[p, t]
            if n <= TOL:
                continue
            key = (key0[0], t, key0[1])
            wedge[key] = wedge.get(key, 0.0) - e.delta * n * pyo.value(m.intensity[e.pool_id, t])
    for p, seq in pr.loc[pr["seq"] > 0, "seq"].items():
        for t in years:
            key = (group_of[info[p]["city"]], t, info[p]["theme"])
            wedge[key] = wedge.get(key, 0.0) + float(seq) * n_val[p, t]
    wedges = pd.DataFrame(
        [
            dict(group=g, year=t, theme=th, theme_name=THEME_NAMES[th], abated_kt=v)
            for (g, t, th), v in wedge.items()
        ],
        columns=["group", "year", "theme", "theme_name", "abated_kt"],
    )

    inv = [
        dict(finance_group=f, city=c, instrument=s, year=t, meur=m.F[f, c, s, t].value or 0.0)
        for f, c, s, t in m.FIN
    ]
    investment = pd.DataFrame(inv, columns=["finance_group", "city", "instrument", "year", "meur"])
    investment = investment[investment["meur"] > TOL]
    investment = investment.groupby(["year", "instrument", "city"], as_index=False)["meur"].sum()

    duals = solver.duals
    carbon, budget = [], []
    if hasattr(m, "target_path"):
        for (g, t), con in m.target_path.items():
            if con in duals:
                carbon.append(dict(group=g, year=t, eur_per_t=-duals[con] / d.discount[t] * 1000.0))
    if hasattr(m, "carbon_budget"):
        for g, con in m.carbon_budget.items():
            if con in duals:
                carbon.append(dict(group=g, year=None, eur_per_t=-duals[con] * 1000.0))
    for (s, c, t), con in m.envelope_limit.items():
        if con in duals:
            budget.append(
                dict(instrument=s, city=c, year=t, value_per_eur=-duals[con] / d.discount[t])
            )
    shadow_carbon = pd.DataFrame(carbon, columns=["group", "year", "eur_per_t"])
    shadow_budget = pd.DataFrame(budget, columns=["instrument", "city", "year", "value_per_eur"])

    bundles = pd.DataFrame(
        [
            dict(bundle=b, selected=bool(round(m.w[b].value or 0)), projects=len(d.bundles[b]))
            for b in m.B
        ],
        columns=["bundle", "selected", "projects"],
    )
    tickets = []
    for f, s in m.TICKET:
        used = bool(round(m.z[f, s].value or 0))
        amount = sum(m.F[i].value or 0.0 for i in m.FIN if i[0] == f and i[2] == s)
        tickets.append(dict(finance_group=f, instrument=s, used=used, meur=amount))
    tickets_df = pd.DataFrame(tickets, columns=["finance_group", "instrument", "used", "meur"])

    # Phase 2 relaxed the missed targets by the shortfall: the objective is the portfolio's
    # cost (plus any penalty left, which is zero up to solver tolerance).
    penalty = pyo.value(m.penalty) * sum(solver.shortfall.values())
    residual_penalty = pyo.value(m.penalty) * sum(v.value or 0.0 for v in m.short.values())
    if d.budget_kt:
        residual_penalty += pyo.value(m.penalty) * sum(
            v.value or 0.0 for v in m.short_budget.values()
        )
    result = PortfolioResult(
        status=solver.stats.status,
        npv_meur=solver.stats.objective - residual_penalty,
        penalty_meur=penalty,
        emissions=emissions,
        wedges=wedges,
        deployment=deployment,
        portfolio=portfolio_df,
        investment=investment,
        shadow_carbon=shadow_carbon,
        shadow_budget=shadow_budget,
        bundles=bundles,
        tickets=tickets_df,
        stats=dict(
            build_s=solver.stats.build_s,
            solve_s=solver.stats.solve_s,
            dual_s=solver.stats.dual_s,
            variables=solver.stats.n_vars,
            constraints=solver.stats.n_cons,
            integer_variables=solver.stats.n_binary,
            mip_bound=solver.stats.bound,
        ),
    )
    result.diagnosis = diagnose(solver, result)
    return result


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
            )
        )
    return out
