"""The portfolio model against an independent oracle.

:func:`oracle` writes the optimisation problem of :mod:`m100model.portfolio.build` (its
module docstring states the maths) as sparse matrices, straight from
:class:`PortfolioData`, and solves it with :func:`scipy.optimize.milp` (HiGHS inside
scipy). It shares no code with the Pyomo model: equal optima on many small random
instances (``tests/portfolio_instances.py``) are evidence that both say the same thing.

Where the oracle may differ in form it does, on purpose: it keeps redundant constraints the
model leaves out (co-financing shares of 1, instruments before the first spending year),
counts active units as a window sum where the model uses a stock recursion, and uses its own
big-M values; none of that changes the optimum.

:meth:`PortfolioSolver.solve` minimises the penalised cost; the plan it returns must also be
the cheapest way to reach the achievable path (the targets relaxed by its shortfall):
:func:`check_against_oracle` checks both.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

import numpy as np
import pytest
import scipy.sparse as sp
from portfolio_instances import random_instance
from scipy.optimize import Bounds, LinearConstraint, milp

from m100model.portfolio.data import PortfolioData
from m100model.portfolio.solve import PortfolioSolver
from m100model.scenario import SolverSpec

LP_SEEDS = range(30)
MIP_SEEDS = range(1000, 1015)
BUDGET_SEEDS = range(2000, 2005)
# (seed, decision step) where the step changes the optimum (most instances leave the
# indivisible project unbuilt anyway).
STEP_CASES = [(3012, 2), (3021, 2), (3022, 2), (3023, 2), (3026, 2), (3033, 3)]
REL, ABS = 1e-6, 1e-7

Lin = dict[int, float]  # a linear expression: column -> coefficient


def _add(out: Lin, expr: Lin, scale: float = 1.0) -> Lin:
    for j, a in expr.items():
        out[j] = out.get(j, 0.0) + scale * a
    return out


@dataclass
class _Problem:
    """Columns with bounds and integrality, rows lo <= a.x <= hi, a linear cost."""

    lb: list[float] = field(default_factory=list)
    ub: list[float] = field(default_factory=list)
    integer: list[int] = field(default_factory=list)
    cost: Lin = field(default_factory=dict)
    rows: list[tuple[Lin, float, float]] = field(default_factory=list)

    def var(self, lb: float = 0.0, ub: float = math.inf, *, integer: bool = False) -> int:
        self.lb.append(lb)
        self.ub.append(ub)
        self.integer.append(int(integer))
        return len(self.lb) - 1

    def row(self, expr: Lin, lo: float = -math.inf, hi: float = math.inf) -> None:
        self.rows.append((dict(expr), lo, hi))

    def solve(self) -> tuple[float, np.ndarray]:
        n = len(self.lb)
        c = np.zeros(n)
        for j, a in self.cost.items():
            c[j] += a
        data, ri, ci = [], [], []
        for i, (expr, _, _) in enumerate(self.rows):
            for j, a in expr.items():
                ri.append(i)
                ci.append(j)
                data.append(a)
        a_mat = sp.csr_array((data, (ri, ci)), shape=(len(self.rows), n))
        lo = np.array([r[1] for r in self.rows])
        hi = np.array([r[2] for r in self.rows])
        res = milp(
            c,
            integrality=np.array(self.integer),
            bounds=Bounds(np.array(self.lb), np.array(self.ub)),
            constraints=LinearConstraint(a_mat, lo, hi),
            # Presolve off: HiGHS presolve (1.12 in scipy, also 1.15 in highspy) can loop forever,
            # ignoring its time limit, on small MIPs with parallel rows and a fixed column.
            options={"mip_rel_gap": 0.0, "presolve": False, "time_limit": 60.0},
        )
        assert res.status == 0, res.message
        return float(res.fun), res.x


@dataclass
class OracleResult:
    objective: float
    solution: np.ndarray
    columns: dict[str, dict]  # block name -> key -> column

    @property
    def shortfall(self) -> dict:
        """Shortfall (kt) by (group, year), or (group, None) for a carbon budget."""
        out = {}
        for key, j in self.columns["short"].items():
            if self.solution[j] > 1e-7:
                out[key if isinstance(key, tuple) else (key, None)] = float(self.solution[j])
        return out


def oracle(d: PortfolioData, relax: dict | None = None) -> OracleResult:
    """Minimum of the penalised net present cost of ``d``, written from the formulation with
    scipy. ``relax`` adds kt to targets: by (group, year), or by (group, None) to a budget."""
    relax = relax or {}
    lp = _Problem()
    years = d.years
    first, horizon = years[0], years[-1]
    pr = d.projects
    proj = {
        str(p): dict(
            city=str(r["city"]),
            theme=str(r["theme"]),
            indivisible=bool(r["indivisible"]),
            units=float(r["max_units"]),
            rate=float(r["max_rate"]),
            earliest=int(r["earliest"]),
            life=int(r["lifetime"]),
            lead=int(r["lead"]),
            opex=float(r["opex"]),
            seq=float(r["seq"]),
            prep=float(r["prep_share"]),
            fgroup=str(r["fgroup"]),
            owner=str(r.get("owner", "public")),
        )
        for p, r in pr.iterrows()
    }
    capex = {(p, t): float(d.capex.at[p, t]) for p in proj for t in years}
    never = {a for a, b in d.requires if not b}

    # Commissioning x[p,t]; indivisible projects commission all units at once (y binary),
    # in their earliest year or every `decision_step` years after it.
    x, y, rush = {}, {}, {}
    ceiling = 1.0 + sum(width for width, _ in d.rate_tiers)
    step = max(1, int(d.decision_step))
    for p, q in proj.items():
        for t in years:
            closed = t < q["earliest"] or p in never
            closed |= q["indivisible"] and (t - q["earliest"]) % step != 0
            ub = 0.0 if closed else (q["units"] if q["indivisible"] else q["rate"] * ceiling)
            x[p, t] = lp.var(0.0, ub)
            if q["indivisible"]:
                y[p, t] = lp.var(0.0, 0.0 if closed else 1.0, integer=True)
                lp.row({x[p, t]: 1.0, y[p, t]: -q["units"]}, 0.0, 0.0)
            elif d.rate_tiers and t >= q["earliest"] and q["rate"] > 0:
                # Faster than the normal rate: tier k holds up to width_k x rate units.
                for k, (width, _markup) in enumerate(d.rate_tiers):
                    rush[p, t, k] = lp.var(0.0, width * q["rate"])
                lp.row(
                    _add({x[p, t]: 1.0}, {rush[p, t, k]: -1.0 for k in range(len(d.rate_tiers))}),
                    hi=q["rate"],
                )

    # Active units: what was commissioned in the last `lifetime` years.
    n: dict[tuple[str, int], Lin] = {}
    for p, q in proj.items():
        for t in years:
            n[p, t] = {x[p, tau]: 1.0 for tau in years if t - q["life"] < tau <= t}
            lp.row(n[p, t], hi=q["units"])

    # Spending: capex of units commissioned in t, evenly over the `lead` years before t (in
    # t itself without lead time); years outside the horizon are not modelled.
    spend: dict[tuple[str, int], Lin] = {(p, t): {} for p in proj for t in years}
    for p, q in proj.items():
        for t in years:
            lead = q["lead"]
            when = [t] if lead == 0 else list(range(t - lead, t))
            for tau in when:
                if (p, tau) in spend:
                    _add(spend[p, tau], {x[p, t]: capex[p, t] / max(lead, 1)})
                    for k, (_w, markup) in enumerate(d.rate_tiers):
                        if (p, t, k) in rush:
                            premium = max(capex[p, t], 0.0) * markup / max(lead, 1)
                            _add(spend[p, tau], {rush[p, t, k]: premium})

    # Pools and emissions.
    deltas: dict[str, list[tuple[str, float]]] = defaultdict(list)  # pool -> (project, delta)
    for e in d.effects.itertuples():
        deltas[str(e.pool_id)].append((str(e.project_id), float(e.delta)))
    em_const: dict[tuple[str, int], float] = defaultdict(float)
    em_lin: dict[tuple[str, int], Lin] = defaultdict(dict)
    for k, pool in d.pools.iterrows():
        c = str(pool["city"])
        for t in years:
            base = float(d.pool_activity.at[k, t])
            change: Lin = {}
            for p, delta in deltas[str(k)]:
                _add(change, n[p, t], delta)
            if any(delta < 0 for _, delta in deltas[str(k)]):
                lp.row(change, lo=-base)  # shared pool: activity stays >= 0
            intensity = float(d.pool_intensity.at[k, t])
            em_const[c, t] += intensity * base
            _add(em_lin[c, t], change, intensity)
    for p, q in proj.items():
        if q["seq"] > 0:
            for t in years:
                _add(em_lin[q["city"], t], n[p, t], -q["seq"])

    def group_em(g: str, t: int) -> tuple[float, Lin]:
        const, lin = 0.0, {}
        for c in d.groups[g]:
            const += em_const[c, t]
            _add(lin, em_lin[c, t])
        return const, lin

    # Targets, elastic: a yearly cap (missing caps are no cap) or a cumulative budget.
    short = {}
    if d.budget_kt:
        for g in d.groups:
            short[g] = lp.var()
            lp.cost[short[g]] = d.penalty * d.discount[years[0]]  # discounted like any cost
            const, lin = 0.0, {}
            for t in years:
                c0, l0 = group_em(g, t)
                const += c0
                _add(lin, l0)
            lp.row(
                _add(lin, {short[g]: -1.0}), hi=d.budget_kt[g] + relax.get((g, None), 0.0) - const
            )
    else:
        for g in d.groups:
            for t in years:
                short[g, t] = lp.var()
                lp.cost[short[g, t]] = d.penalty * d.discount[t]
                if (g, t) in d.target_kt:
                    const, lin = group_em(g, t)
                    cap = d.target_kt[g, t] + relax.get((g, t), 0.0)
                    lp.row(_add(lin, {short[g, t]: -1.0}), hi=cap - const)

    # Offsets: residual emissions from the offset year on are bought at a price.
    offset = {}
    for g, year in d.offset_from.items():
        for t in years:
            if t >= year:
                offset[g, t] = lp.var()
                lp.cost[offset[g, t]] = d.discount[t] * d.offset_price
                const, lin = group_em(g, t)
                lp.row(_add({offset[g, t]: 1.0}, lin, -1.0), lo=const)

    # Finance: per finance group, city and year, the instruments pay exactly the spending.
    members: dict[tuple[str, str], list[str]] = defaultdict(list)
    for p, q in proj.items():
        members[q["fgroup"], q["city"]].append(p)
    inst = {str(s): r for s, r in d.instruments.iterrows()}
    fin: dict[tuple[str, str, str, int], int] = {}
    for (f, c), ps in members.items():
        for t in years:
            total: Lin = {}
            for p in ps:
                _add(total, spend[p, t])
            paid: Lin = {}
            for s, r in inst.items():
                key = (s, c if r["scope"] == "city" else "*", t)
                share: Lin = {}
                eligible = False
                for p in ps:
                    # private capital pays for privately owned projects only
                    if r.get("serves") == "private" and proj[p]["owner"] != "private":
                        continue
                    if (s, proj[p]["theme"]) in d.eligibility:
                        eligible = True
                        _add(share, spend[p, t], d.eligibility[s, proj[p]["theme"]])
                if not eligible or key not in d.envelope:
                    continue
                if not r["available_from"] <= t <= r["available_to"]:
                    continue
                fin[f, c, s, t] = v = lp.var()
                lp.cost[v] = d.discount[t] * float(r["cost_factor"])
                lp.row(_add({v: 1.0}, share, -1.0), hi=0.0)  # co-financing share
                paid[v] = 1.0
            lp.row(_add(paid, total, -1.0), 0.0, 0.0)

    for key, cap in d.envelope.items():
        s, c, t = key
        used = {
            v: 1.0
            for (_, c2, s2, t2), v in fin.items()
            if s2 == s and t2 == t and (c == "*" or c2 == c)
        }
        if used and s in inst and (inst[s]["scope"] == "city") == (c != "*"):
            lp.row(used, hi=cap)

    # Tickets: a finance group takes a ticketed instrument or not at all; if it does, the
    # operation must be big enough: for a loan, the group's total spending (the project cost
    # the lender's threshold refers to); otherwise the amount the instrument provides. At
    # most `max_ticket` from the instrument in total.
    def bound_spend(ps: list[str]) -> float:
        return sum(capex[p, t] * lp.ub[x[p, t]] for p in ps for t in years) + 1.0

    group_projects: dict[str, list[str]] = defaultdict(list)
    for p, q in proj.items():
        group_projects[q["fgroup"]].append(p)
    ticket = {}
    for f, ps in group_projects.items():
        for s, r in inst.items():
            used = {v: 1.0 for (f2, _, s2, _), v in fin.items() if f2 == f and s2 == s}
            if not used:
                continue
            if not math.isnan(float(r["min_ticket"])):
                ticket[f, s] = z = lp.var(0.0, 1.0, integer=True)
                size: Lin = {}
                if r["kind"] == "loan":
                    for p in ps:
                        for t in years:
                            _add(size, spend[p, t])
                else:
                    size = dict(used)
                lp.row(_add({z: -float(r["min_ticket"])}, size), lo=0.0)
                lp.row(_add({z: -bound_spend(ps)}, used), hi=0.0)
            if not math.isnan(float(r["max_ticket"])):
                lp.row(used, hi=float(r["max_ticket"]))

    # Preparation grants: a share of a group's preparation cost, if it invests enough.
    grant = {}
    for s, r in d.prep_grant.iterrows():
        in_envelope: Lin = {}
        for f, ps in group_projects.items():
            if not any(proj[p]["theme"] in r["themes"] for p in ps):
                continue
            grant[f, s] = g = lp.var()
            use = lp.var(0.0, 1.0, integer=True)
            lp.cost[g] = -d.discount[first]
            prep_cost: Lin = {}
            invest: Lin = {}
            for p in ps:
                for t in years:
                    prep = proj[p]["prep"]
                    _add(prep_cost, spend[p, t], prep / (1 + prep))
                    _add(invest, spend[p, t])
            lp.row(_add({g: 1.0}, prep_cost, -float(r["coverage"])), hi=0.0)
            lp.row({g: 1.0, use: -bound_spend(ps)}, hi=0.0)
            lp.row(_add({use: -float(r["min_investment"])}, invest), lo=0.0)
            in_envelope[g] = 1.0
        if in_envelope:
            lp.row(in_envelope, hi=float(r["envelope"]))

    # Bundles: all members at full scope (at least once), or none of them.
    bundle = {}
    for b, ps in d.bundles.items():
        bundle[b] = w = lp.var(0.0, 1.0, integer=True)
        for p in ps:
            q = proj[p]
            for t in years:
                if q["indivisible"]:
                    lp.row({y[p, t]: 1.0, w: -1.0}, hi=0.0)
                else:
                    lp.row({x[p, t]: 1.0, w: -q["rate"]}, hi=0.0)
            lp.row(_add({w: -q["units"]}, {x[p, t]: 1.0 for t in years}), lo=0.0)

    # Relations, on the share of each project's maximum that is active.
    for a, b in d.requires:
        if b:
            for t in years:
                expr = {j: v / proj[a]["units"] for j, v in n[a, t].items()}
                lp.row(_add(expr, n[b, t], -1.0 / proj[b]["units"]), hi=0.0)
    for a, b in d.excludes:
        for t in years:
            expr = {j: v / proj[a]["units"] for j, v in n[a, t].items()}
            lp.row(_add(expr, n[b, t], 1.0 / proj[b]["units"]), hi=1.0)

    # Cost: discounted spending, operation, energy bills (each year at that year's price) and
    # finance cost; penalties (above) are discounted too; salvage of the life left after the
    # horizon, straight line.
    bill: dict[tuple[str, int], float] = defaultdict(float)
    for e in d.effects.itertuples():
        for t in years:
            price = float(d.pool_price.at[e.pool_id, t])
            bill[str(e.project_id), t] += price * float(e.delta)
    for p, q in proj.items():
        for t in years:
            _add(lp.cost, spend[p, t], d.discount[t])
            _add(lp.cost, n[p, t], d.discount[t] * (q["opex"] + bill[p, t]))
            left = max(0, t + q["life"] - 1 - horizon)
            _add(lp.cost, {x[p, t]: -d.discount[horizon] * capex[p, t] * left / q["life"]})

    objective, solution = lp.solve()
    return OracleResult(
        objective,
        solution,
        dict(
            x=x,
            y=y,
            rush=rush,
            short=short,
            fin=fin,
            ticket=ticket,
            grant=grant,
            offset=offset,
            bundle=bundle,
        ),
    )


def check_against_oracle(d: PortfolioData) -> None:
    """The solver's answer against the oracle.

    The solver minimises the penalised cost and reports the plan's cost without the priced
    shortfall. So the reported objective plus the priced shortfall is the penalised optimum,
    and the reported objective is the oracle's optimum with each target relaxed by the
    solver's shortfall (the plan is also the cheapest way to reach what it reaches).
    """
    solver = PortfolioSolver(d, SolverSpec(mip_gap=0.0))
    stats = solver.solve()
    assert stats.status == "optimal"
    penalised = stats.objective + d.penalty * sum(
        u * d.discount[t if t is not None else d.years[0]]
        for (_g, t), u in solver.shortfall.items()
    )
    assert penalised == pytest.approx(oracle(d).objective, rel=REL, abs=ABS)
    relaxed = oracle(d, relax=solver.shortfall)
    assert stats.objective == pytest.approx(relaxed.objective, rel=REL, abs=ABS)
    assert relaxed.shortfall == {}


@pytest.mark.parametrize("seed", LP_SEEDS)
def test_lp_optimum_matches_oracle(seed: int) -> None:
    check_against_oracle(random_instance(seed, integer=False))


@pytest.mark.parametrize("seed", MIP_SEEDS)
def test_mip_optimum_matches_oracle(seed: int) -> None:
    check_against_oracle(random_instance(seed, integer=True))


@pytest.mark.parametrize(("seed", "step"), STEP_CASES)
def test_decision_step_optimum_matches_oracle(seed: int, step: int) -> None:
    d = random_instance(seed, integer=True, decision_step=step)
    every_year = random_instance(seed, integer=True)
    assert oracle(d).objective > oracle(every_year).objective + 1e-6  # the step matters here
    check_against_oracle(d)


@pytest.mark.parametrize("seed", BUDGET_SEEDS)
def test_carbon_budget_optimum_matches_oracle(seed: int) -> None:
    check_against_oracle(random_instance(seed, integer=seed % 2 == 1, budget=True))


# Regression cases found by running the check above on seeds 1000-1399: seed 1130 made
# highspy 1.13-1.15 end a MIP "optimal" at 5.966 M EUR where the optimum is 3.304 (hence the
# pin to highspy 1.12); seed 1024 has a preparation grant no finance group qualifies for,
# which used to crash the model build.
REGRESSION_SEEDS = [1130, 1024]


@pytest.mark.parametrize("seed", REGRESSION_SEEDS)
def test_regressions(seed: int) -> None:
    check_against_oracle(random_instance(seed, integer=True))


def test_instances_exercise_every_block() -> None:
    """The random instances are only evidence if their optima use what is being tested:
    each feature below is active at the optimum of some instance and idle in another."""
    seen: dict[str, set[bool]] = defaultdict(set)
    for seed, integer in [(s, False) for s in LP_SEEDS] + [(s, True) for s in MIP_SEEDS]:
        d = random_instance(seed, integer=integer)
        res = oracle(d)
        val, cols = res.solution, res.columns

        def used(block: str, val=val, cols=cols) -> bool:
            return any(val[j] > 1e-6 for j in cols[block].values())

        seen["shortfall"].add(used("short"))
        if d.rate_tiers:
            seen["faster than the normal rate"].add(used("rush"))
        seen["offset"].add(used("offset"))
        seen["loan"].add(
            any(val[j] > 1e-6 for (_, _, s, _), j in cols["fin"].items() if s == "loan")
        )
        binds = False
        for (s, c, t), cap in d.envelope.items():
            drawn = sum(
                val[j]
                for (_, c2, s2, t2), j in cols["fin"].items()
                if s2 == s and t2 == t and (c == "*" or c2 == c)
            )
            binds |= drawn >= cap - 1e-6
        seen["envelope binds"].add(binds)
        built = {key: val[j] for key, j in cols["x"].items()}
        seen["retirement within the horizon"].add(
            any(
                v > 1e-6 and t + int(d.projects.at[p, "lifetime"]) <= d.years[-1]
                for (p, t), v in built.items()
            )
        )
        dry = False
        for k in set(d.effects.loc[d.effects["delta"] < 0, "pool_id"]):
            for t in d.years:
                left = float(d.pool_activity.at[k, t])
                for e in d.effects[d.effects["pool_id"] == k].itertuples():
                    life = int(d.projects.at[e.project_id, "lifetime"])
                    active = sum(built[e.project_id, tau] for tau in d.years if t - life < tau <= t)
                    left += e.delta * active
                dry |= left <= 1e-6
        seen["shared pool used up"].add(dry)
        if integer:
            seen["ticket taken"].add(any(val[j] > 0.5 for j in cols["ticket"].values()))
            seen["preparation grant"].add(used("grant"))
            seen["bundle delivered"].add(any(val[j] > 0.5 for j in cols["bundle"].values()))
            seen["indivisible built"].add(any(val[j] > 0.5 for j in cols["y"].values()))
    for feature, outcomes in seen.items():
        assert outcomes == {True, False}, feature
