"""The portfolio model, built from :class:`~m100model.portfolio.data.PortfolioData` by small
pure functions, one per block, so that each can be read (and shown to learners) on its own.

Notation: projects :math:`p` (an archetype in a city), years :math:`t`, activity pools
:math:`k` (a city's GPC sub-sector and fuel), instruments :math:`s`, target groups :math:`g`
(a city, or a cluster sharing the burden), finance groups :math:`f` (a bundle, or a city's
programme in one theme). Units: M EUR, kt CO2e, GWh or kt of activity.

Decisions
    :math:`x_{p,t} \\ge 0` units commissioned in year :math:`t`; :math:`y_{p,t} \\in \\{0,1\\}`
    for indivisible projects (:math:`x_{p,t} = U_p y_{p,t}`); :math:`w_b \\in \\{0,1\\}` a
    bundle is delivered; :math:`F_{f,c,s,t} \\ge 0` money from instrument :math:`s`;
    :math:`z_{f,s} \\in \\{0,1\\}` group :math:`f` uses ticketed instrument :math:`s`.

Active units and spending
    :math:`n_{p,t} = n_{p,t-1} + x_{p,t} - x_{p,t-L_p}` (units retire after their lifetime
    :math:`L_p`); capex (with preparation) is
    spent evenly over the :math:`\\ell_p` lead years before commissioning:
    :math:`S_{p,\\tau} = \\sum_{t:\\, t-\\ell_p \\le \\tau < t} c_{p,t} x_{p,t} / \\ell_p`.

Emissions
    :math:`E_{c,t} = \\sum_{k \\in c} I_{k,t} \\big(A_{k,t} + \\sum_p \\Delta_{p,k} n_{p,t}\\big)
    - \\sum_{p \\in c} q_p n_{p,t}`, with shared pools
    :math:`A_{k,t} + \\sum_p \\Delta_{p,k} n_{p,t} \\ge 0` (two measures cannot both claim the
    same activity).

Targets (elastic)
    :math:`\\sum_{c \\in g} E_{c,t} - u_{g,t} \\le \\bar E_{g,t}`, shortfall
    :math:`u_{g,t} \\ge 0` priced at a penalty, so an infeasible target becomes a diagnosis.

Objective: net present cost
    :math:`\\sum_t d_t \\big[\\sum_p (S_{p,t} + o_p n_{p,t}
    + \\sum_k \\pi_{k,t} \\Delta_{p,k} n_{p,t}) + \\sum_{f,c,s} \\phi_s F_{f,c,s,t}
    + \\lambda^{off} O_{g,t} + \\lambda^{pen} u_{g,t}\\big]
    - \\text{salvage} - \\text{preparation grants}` (the shortfall penalty
    is discounted like every other cost, so where a target is missed its dual, undiscounted
    to the year, is :math:`\\lambda^{pen}` itself).
"""

from __future__ import annotations

import math
from collections import defaultdict

import pandas as pd
import pyomo.environ as pyo

from m100model.portfolio.compile import gc_paused
from m100model.portfolio.data import PortfolioData


def build_model(d: PortfolioData) -> pyo.ConcreteModel:
    """The whole model: sets, then each block in turn."""
    check_data(d)
    with gc_paused():  # hundreds of thousands of small objects: see gc_paused
        m = pyo.ConcreteModel(name="m100_portfolio")
        add_sets(m, d)
        add_parameters(m, d)
        add_deployment(m, d)
        add_pools_and_emissions(m, d)
        add_targets(m, d)
        add_finance(m, d)
        add_preparation_grants(m, d)
        add_bundles(m, d)
        add_relations(m, d)
        add_objective(m, d)
    return m


def check_data(d: PortfolioData) -> None:
    """Inputs the formulation relies on: spending must fall inside the model years."""
    pr = d.projects
    early = pr[pr["earliest"] - pr["lead"] < d.years[0]]
    if not early.empty:
        p = early.index[0]
        raise ValueError(
            f"project {p}: earliest commissioning {early.at[p, 'earliest']} minus lead time "
            f"{early.at[p, 'lead']} falls before the first model year {d.years[0]}; its "
            "spending could not be charged"
        )


def rows(table: pd.DataFrame) -> dict:
    """A table as plain dicts, ``rows(table)[index][column]``. The blocks below read their
    inputs this way: pandas' scalar access (``table.at[i, c]``) costs microseconds, too
    slow inside loops over projects x years."""
    return table.to_dict("index")


# ---------------------------------------------------------------------------------------
def add_sets(m: pyo.ConcreteModel, d: PortfolioData) -> None:
    """Index sets (names in capitals)."""
    m.T = pyo.Set(initialize=d.years, ordered=True)
    m.P = pyo.Set(initialize=list(d.projects.index), ordered=True)
    m.K = pyo.Set(initialize=list(d.pools.index), ordered=True)
    m.G = pyo.Set(initialize=list(d.groups), ordered=True)
    m.S = pyo.Set(initialize=list(d.instruments.index), ordered=True)
    indivisible = d.projects["indivisible"].to_dict()
    m.P_INDIV = pyo.Set(within=m.P, initialize=[p for p in d.projects.index if indivisible[p]])
    m.B = pyo.Set(initialize=list(d.bundles), ordered=True)


def add_parameters(m: pyo.ConcreteModel, d: PortfolioData) -> None:
    """Mutable parameters: what a workshop slider changes without rebuilding the model."""
    m.target = pyo.Param(
        [(g, t) for g in d.groups for t in d.years],
        mutable=True,
        initialize={k: v for k, v in d.target_kt.items()},
        default=1e9,
    )
    intensity = rows(d.pool_intensity)
    m.intensity = pyo.Param(
        m.K, m.T, mutable=True, initialize=lambda _, k, t: float(intensity[k][t])
    )
    price = rows(d.pool_price)
    m.price = pyo.Param(m.K, m.T, mutable=True, initialize=lambda _, k, t: float(price[k][t]))
    m.disc = pyo.Param(m.T, mutable=True, initialize=lambda _, t: d.discount[t])
    cost_factor = d.instruments["cost_factor"].to_dict()
    m.cost_factor = pyo.Param(m.S, mutable=True, initialize=lambda _, s: float(cost_factor[s]))
    m.envelope = pyo.Param(list(d.envelope), mutable=True, initialize=dict(d.envelope))
    m.offset_price = pyo.Param(mutable=True, initialize=d.offset_price)
    m.penalty = pyo.Param(mutable=True, initialize=d.penalty)
    m.budget = pyo.Param(m.G, mutable=True, initialize=lambda _, g: d.budget_kt.get(g, 0.0))
    # Multipliers for uncertainty analysis (1 = the assembled data): the investment cost of
    # each project, and the baseline activity of each pool and year. ``capex_bigm`` scales
    # the big-M bounds on spending so that they stay valid when capex factors exceed 1.
    m.capex_factor = pyo.Param(m.P, mutable=True, initialize=1.0)
    m.activity_factor = pyo.Param(m.K, m.T, mutable=True, initialize=1.0)
    m.capex_bigm = pyo.Param(mutable=True, initialize=1.0)


# ---------------------------------------------------------------------------------------
def add_deployment(m: pyo.ConcreteModel, d: PortfolioData) -> None:
    """Units commissioned per year from the earliest year, within the normal yearly rate or
    faster at a mark-up (soft build rate); active units; at most the maximum deployment
    active at once (replacement after the lifetime is allowed); capex, with any mark-up,
    spent over the lead years."""
    pr = rows(d.projects)
    capex = rows(d.capex)

    tiers = list(d.rate_tiers)
    ceiling = 1.0 + sum(width for width, _ in tiers)  # in multiples of the normal rate

    def bounds(_, p, t):
        if t < pr[p]["earliest"]:
            return (0.0, 0.0)
        cap = pr[p]["max_units"] if pr[p]["indivisible"] else pr[p]["max_rate"] * ceiling
        return (0.0, float(cap))

    m.x = pyo.Var(m.P, m.T, domain=pyo.NonNegativeReals, bounds=bounds)
    # Building faster than the normal yearly rate R_p: units beyond it fill tiers k of
    # width w_k R_p at a mark-up m_k on capex (rising with k, so the cheaper tier is used
    # first): x_{p,t} <= R_p + sum_k v_{p,t,k}, 0 <= v_{p,t,k} <= w_k R_p.
    m.RATE_TIER = pyo.RangeSet(len(tiers))
    m.markup = pyo.Param(m.RATE_TIER, initialize=lambda _, k: tiers[k - 1][1])
    fast = [
        (p, t)
        for p in m.P
        if not pr[p]["indivisible"] and tiers
        for t in m.T
        if t >= pr[p]["earliest"] and pr[p]["max_rate"] > 0
    ]
    m.FAST = pyo.Set(initialize=fast, dimen=2, ordered=True)
    m.v = pyo.Var(
        m.FAST,
        m.RATE_TIER,
        domain=pyo.NonNegativeReals,
        bounds=lambda _, p, t, k: (0.0, float(tiers[k - 1][0] * pr[p]["max_rate"])),
    )

    @m.Constraint(m.FAST)
    def build_rate(m, p, t):
        return m.x[p, t] <= float(pr[p]["max_rate"]) + sum(m.v[p, t, k] for k in m.RATE_TIER)

    m.y = pyo.Var(m.P_INDIV, m.T, domain=pyo.Binary)
    step = max(1, int(d.decision_step))
    for p in m.P_INDIV:
        for t in m.T:
            # Indivisible projects start in their earliest year or every `step` years after.
            if t < pr[p]["earliest"] or (t - pr[p]["earliest"]) % step:
                m.y[p, t].fix(0)

    @m.Constraint(m.P_INDIV, m.T)
    def indivisible(m, p, t):
        return m.x[p, t] == pr[p]["max_units"] * m.y[p, t]

    years = d.years
    m.n = pyo.Var(m.P, m.T, domain=pyo.NonNegativeReals)

    @m.Constraint(m.P, m.T)
    def active_units(m, p, t):
        """n[p,t] = n[p,t-1] + x[p,t] - x[p,t-L]: units retire after their lifetime."""
        life = int(pr[p]["lifetime"])
        previous = m.n[p, t - 1] if t > years[0] else 0.0
        retired = m.x[p, t - life] if t - life >= years[0] else 0.0
        return m.n[p, t] == previous + m.x[p, t] - retired

    @m.Constraint(m.P, m.T)
    def max_active(m, p, t):
        return m.n[p, t] <= float(pr[p]["max_units"])

    in_model = set(years)

    def rush(p, t):
        """Units beyond the normal rate, each weighted by its tier's mark-up."""
        if (p, t) not in m.FAST:
            return 0.0
        return sum(m.markup[k] * m.v[p, t, k] for k in m.RATE_TIER)

    def spend(m, p, tau):
        """Units commissioned in t are paid in the lead years t-lead..t-1 (in t if lead 0)."""
        lead = int(pr[p]["lead"])
        paid_for = [tau] if lead == 0 else range(tau + 1, tau + lead + 1)
        # The mark-up is on the capex of the units built faster (none on a unit cheaper
        # than the alternative it replaces: a negative extra cost).
        terms = [
            m.capex_factor[p]
            / max(lead, 1)
            * (float(capex[p][t]) * m.x[p, t] + max(float(capex[p][t]), 0.0) * rush(p, t))
            for t in paid_for
            if t in in_model
        ]
        return sum(terms) if terms else 0.0

    m.spend = pyo.Expression(m.P, m.T, rule=spend)


# ---------------------------------------------------------------------------------------
def add_pools_and_emissions(m: pyo.ConcreteModel, d: PortfolioData) -> None:
    """Activity of each pool after the projects' changes (never below zero) and each city's
    emissions, valued at that year's intensity (so abatement follows grid decarbonisation)."""
    by_pool: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for e in d.effects.itertuples():
        by_pool[e.pool_id].append((e.project_id, e.delta))
    shrinking = [k for k, es in by_pool.items() if any(delta < 0 for _, delta in es)]
    baseline = rows(d.pool_activity)

    def activity(m, k, t):
        return float(baseline[k][t]) * m.activity_factor[k, t] + sum(
            delta * m.n[p, t] for p, delta in by_pool[k]
        )

    m.activity = pyo.Expression(m.K, m.T, rule=activity)
    m.K_SHARED = pyo.Set(within=m.K, initialize=shrinking)

    @m.Constraint(m.K_SHARED, m.T)
    def shared_pool(m, k, t):
        return m.activity[k, t] >= 0

    cities = sorted({c for members in d.groups.values() for c in members})
    pools_of = {c: list(d.pools.index[d.pools["city"] == c]) for c in cities}
    pr = rows(d.projects)
    seq = {p: float(pr[p]["seq"]) for p in pr if pr[p]["seq"] > 0}
    projects_of = {c: [p for p in seq if pr[p]["city"] == c] for c in cities}
    m.C = pyo.Set(initialize=cities, ordered=True)

    m.emissions = pyo.Var(m.C, m.T, domain=pyo.Reals)

    @m.Constraint(m.C, m.T)
    def city_emissions(m, c, t):
        return m.emissions[c, t] == (
            sum(m.intensity[k, t] * m.activity[k, t] for k in pools_of[c])
            - sum(seq[p] * m.n[p, t] for p in projects_of[c])
        )


def add_targets(m: pyo.ConcreteModel, d: PortfolioData) -> None:
    """Elastic targets: a yearly cap per group (or a cumulative budget), with a priced
    shortfall; residual emissions from the target year on are offset at a price."""
    m.short = pyo.Var(m.G, m.T, domain=pyo.NonNegativeReals)

    def group_emissions(m, g, t):
        return sum(m.emissions[c, t] for c in d.groups[g])

    if d.budget_kt:
        m.short_budget = pyo.Var(m.G, domain=pyo.NonNegativeReals)

        @m.Constraint(m.G)
        def carbon_budget(m, g):
            return sum(group_emissions(m, g, t) for t in m.T) - m.short_budget[g] <= m.budget[g]

        for g in m.G:
            for t in m.T:
                m.short[g, t].fix(0)
    else:

        @m.Constraint(m.G, m.T)
        def target_path(m, g, t):
            return group_emissions(m, g, t) - m.short[g, t] <= m.target[g, t]

    offset_idx = [(g, t) for g, y in d.offset_from.items() for t in d.years if t >= y]
    m.OFFSET_IDX = pyo.Set(initialize=offset_idx, dimen=2)
    m.offset = pyo.Var(m.OFFSET_IDX, domain=pyo.NonNegativeReals)

    @m.Constraint(m.OFFSET_IDX)
    def residual_offset(m, g, t):
        return m.offset[g, t] >= group_emissions(m, g, t)


# ---------------------------------------------------------------------------------------
def _finance_index(d: PortfolioData) -> list[tuple[str, str, str, int]]:
    pr = rows(d.projects)
    instruments = rows(d.instruments)
    idx = []
    for f, members in d.finance_groups().items():
        cities = sorted({pr[p]["city"] for p in members})
        first_spend = min(pr[p]["earliest"] - pr[p]["lead"] for p in members)
        for c in cities:
            for s, inst in instruments.items():
                if not any(d.max_share(s, pr[p]) > 0 for p in members):
                    continue
                for t in d.years:
                    if t < first_spend or not inst["available_from"] <= t <= inst["available_to"]:
                        continue
                    key = (s, c, t) if inst["scope"] == "city" else (s, "*", t)
                    if key in d.envelope:
                        idx.append((f, c, s, t))
    return idx


def add_finance(m: pyo.ConcreteModel, d: PortfolioData) -> None:
    """Every euro spent is financed: by eligible instruments, within each instrument's
    co-financing share, yearly envelope and ticket sizes (a minimum ticket is met by the
    whole finance group, which is why bundling matters)."""
    pr = rows(d.projects)
    inst = rows(d.instruments)
    groups = d.finance_groups()
    m.FIN = pyo.Set(initialize=_finance_index(d), dimen=4, ordered=True)
    m.F = pyo.Var(m.FIN, domain=pyo.NonNegativeReals)
    by_gct: dict[tuple[str, str, int], list[str]] = defaultdict(list)
    for f, c, s, t in m.FIN:
        by_gct[(f, c, t)].append(s)
    members_gc = {
        (f, c): [p for p in ps if pr[p]["city"] == c]
        for f, ps in groups.items()
        for c in sorted({pr[p]["city"] for p in ps})
    }
    balance_idx = [(f, c, t) for (f, c) in members_gc for t in d.years]

    @m.Constraint(balance_idx)
    def financed(m, f, c, t):
        spend = sum(m.spend[p, t] for p in members_gc[(f, c)])
        return sum(m.F[f, c, s, t] for s in by_gct.get((f, c, t), [])) == spend

    share_idx = [
        (f, c, s, t)
        for f, c, s, t in m.FIN
        if any(d.max_share(s, pr[p]) < 1.0 for p in members_gc[(f, c)])
    ]

    @m.Constraint(share_idx)
    def cofinancing_share(m, f, c, s, t):
        return m.F[f, c, s, t] <= sum(
            d.max_share(s, pr[p]) * m.spend[p, t] for p in members_gc[(f, c)]
        )

    by_env: dict[tuple[str, str, int], list] = defaultdict(list)
    for f, c, s, t in m.FIN:
        key = (s, c, t) if inst[s]["scope"] == "city" else (s, "*", t)
        by_env[key].append((f, c, s, t))

    @m.Constraint(list(by_env))
    def envelope_limit(m, s, c, t):
        return sum(m.F[i] for i in by_env[(s, c, t)]) <= m.envelope[s, c, t]

    by_fs: dict[tuple[str, str], list] = defaultdict(list)
    for f, c, s, t in m.FIN:
        by_fs[(f, s)].append((f, c, s, t))
    ticketed = [(f, s) for (f, s) in by_fs if not math.isnan(inst[s]["min_ticket"])]
    capped = [(f, s) for (f, s) in by_fs if not math.isnan(inst[s]["max_ticket"])]
    m.TICKET = pyo.Set(initialize=ticketed, dimen=2, ordered=True)
    m.z = pyo.Var(m.TICKET, domain=pyo.Binary)
    bound = spend_bound(d)
    big = {f: sum(bound[p] for p in ps) * m.capex_bigm for f, ps in groups.items()}

    @m.Constraint(m.TICKET)
    def min_ticket(m, f, s):
        """A lender's threshold is on the cost of the operation (EIB direct loans: projects
        or bundles costing more than EUR 25 m); a bond's on the amount it raises."""
        if inst[s]["kind"] == "loan":
            size = sum(m.spend[p, t] for p in groups[f] for t in m.T)
        else:
            size = sum(m.F[i] for i in by_fs[(f, s)])
        return size >= inst[s]["min_ticket"] * m.z[f, s]

    @m.Constraint(m.TICKET)
    def ticket_switch(m, f, s):
        return sum(m.F[i] for i in by_fs[(f, s)]) <= big[f] * m.z[f, s]

    @m.Constraint(capped)
    def max_ticket(m, f, s):
        return sum(m.F[i] for i in by_fs[(f, s)]) <= inst[s]["max_ticket"]


def spend_bound(d: PortfolioData) -> dict[str, float]:
    """An upper bound on what each project can spend over the horizon (for big-M): a
    finance group's bound is the sum over its projects."""
    pr = rows(d.projects)
    peak_capex = d.capex.max(axis=1).to_dict()
    span = d.years[-1] - d.years[0] + 1
    # The steepest mark-up a unit can carry (building faster than the normal rate).
    markup = 1.0 + max((mk for _, mk in d.rate_tiers), default=0.0)
    bound = {}
    for p in pr:
        generations = math.ceil(span / max(1, int(pr[p]["lifetime"]))) + 1
        bound[p] = float(pr[p]["max_units"]) * float(peak_capex[p]) * generations * markup
    return bound


def add_preparation_grants(m: pyo.ConcreteModel, d: PortfolioData) -> None:
    """Grants for project preparation (ELENA): cover a share of a finance group's
    preparation cost if the group invests at least the programme minimum."""
    pr = rows(d.projects)
    grant = rows(d.prep_grant)
    groups = d.finance_groups()
    bound = spend_bound(d)
    idx = []
    for s, g in grant.items():
        for f, ps in groups.items():
            if any(pr[p]["theme"] in g["themes"] for p in ps):
                idx.append((f, s))
    m.PREP = pyo.Set(initialize=idx, dimen=2, ordered=True)
    m.PREP_MIN = pyo.Set(
        within=m.PREP, initialize=[(f, s) for f, s in idx if grant[s]["min_investment"] > 0]
    )
    m.grant = pyo.Var(m.PREP, domain=pyo.NonNegativeReals)
    m.uses_grant = pyo.Var(m.PREP_MIN, domain=pyo.Binary)

    def prep_cost(m, f):
        return sum(
            m.spend[p, t] * pr[p]["prep_share"] / (1 + pr[p]["prep_share"])
            for p in groups[f]
            for t in m.T
        )

    def investment(m, f):
        return sum(m.spend[p, t] for p in groups[f] for t in m.T)

    @m.Constraint(m.PREP)
    def grant_share(m, f, s):
        return m.grant[f, s] <= grant[s]["coverage"] * prep_cost(m, f)

    @m.Constraint(m.PREP_MIN)
    def grant_switch(m, f, s):
        big = sum(bound[p] for p in groups[f])
        return m.grant[f, s] <= big * m.capex_bigm * m.uses_grant[f, s]

    @m.Constraint(m.PREP_MIN)
    def grant_minimum(m, f, s):
        return investment(m, f) >= grant[s]["min_investment"] * m.uses_grant[f, s]

    @m.Constraint(list(grant))
    def grant_envelope(m, s):
        used = [m.grant[f, s2] for f, s2 in m.PREP if s2 == s]
        if not used:  # no finance group qualifies for this grant
            return pyo.Constraint.Skip
        return sum(used) <= grant[s]["envelope"]


def add_bundles(m: pyo.ConcreteModel, d: PortfolioData) -> None:
    """A bundle is delivered whole or not at all: its projects may be built only if the
    bundle is selected, and then each reaches its full scope at least once."""
    m.w = pyo.Var(m.B, domain=pyo.Binary)
    pr = rows(d.projects)
    members = [(b, p) for b, ps in d.bundles.items() for p in ps]

    @m.Constraint(members, m.T)
    def bundle_only(m, b, p, t):
        if pr[p]["indivisible"]:
            return m.y[p, t] <= m.w[b]
        return m.x[p, t] <= float(pr[p]["max_rate"]) * m.w[b]

    @m.Constraint(members)
    def bundle_complete(m, b, p):
        return sum(m.x[p, t] for t in m.T) >= float(pr[p]["max_units"]) * m.w[b]


def add_relations(m: pyo.ConcreteModel, d: PortfolioData) -> None:
    """Prerequisites (a project's share of its maximum may not exceed that of the project
    it requires, year by year) and mutually exclusive options."""
    cap = {p: float(units) for p, units in d.projects["max_units"].items()}
    req = [(a, b) for a, b in d.requires if b]
    never = [a for a, b in d.requires if not b]
    for a in never:
        for t in m.T:
            m.x[a, t].fix(0)

    @m.Constraint(req, m.T)
    def prerequisite(m, a, b, t):
        return m.n[a, t] / cap[a] <= m.n[b, t] / cap[b]

    @m.Constraint(d.excludes, m.T)
    def exclusive(m, a, b, t):
        return m.n[a, t] / cap[a] + m.n[b, t] / cap[b] <= 1


def add_objective(m: pyo.ConcreteModel, d: PortfolioData) -> None:
    """Net present cost (M EUR): spending, operation, energy cost changes, finance cost,
    offsets and shortfall penalties, less preparation grants and the salvage value of assets
    that outlive the horizon."""
    pr = rows(d.projects)
    capex = rows(d.capex)
    horizon = d.years[-1]
    by_project: dict[str, list[tuple[str, float]]] = defaultdict(list)
    for e in d.effects.itertuples():
        by_project[e.project_id].append((e.pool_id, e.delta))

    def salvage(p, t):
        life = int(pr[p]["lifetime"])
        remaining = max(0, t + life - 1 - horizon)
        return float(capex[p][t]) * remaining / life

    def energy(p, t):
        return sum(m.price[k, t] * delta for k, delta in by_project[p])

    cost = sum(
        m.disc[t] * (m.spend[p, t] + (float(pr[p]["opex"]) + energy(p, t)) * m.n[p, t])
        for p in m.P
        for t in m.T
    )
    finance = sum(m.disc[t] * m.cost_factor[s] * m.F[f, c, s, t] for f, c, s, t in m.FIN)
    grants = sum(m.disc[m.T.first()] * m.grant[i] for i in m.PREP)
    offsets = sum(m.disc[t] * m.offset_price * m.offset[g, t] for g, t in m.OFFSET_IDX)
    # The shortfall penalty is discounted like every other cost: in a year a target is
    # missed, the target's dual undiscounted to that year is then the penalty itself.
    shortfall = sum(m.disc[t] * m.penalty * m.short[g, t] for g in m.G for t in m.T)
    if d.budget_kt:
        first = m.T.first()
        shortfall = shortfall + m.disc[first] * m.penalty * sum(m.short_budget[g] for g in m.G)
    residual = m.disc[horizon] * sum(
        salvage(p, t) * m.capex_factor[p] * m.x[p, t] for p in m.P for t in m.T
    )
    m.npv = pyo.Objective(
        expr=cost + finance - grants + offsets + shortfall - residual, sense=pyo.minimize
    )
