"""Small random portfolio instances, built directly as :class:`PortfolioData` (no files).

Every number is O(1-100) in model units (M EUR, kt CO2e, GWh), so the problems are well
scaled. The instances are drawn to exercise each block of the formulation sometimes but not
always: retirement inside the horizon (short lifetimes), lead times, shared pools that run
dry, envelopes that bind, targets out of reach (elastic shortfall), offsets from a target
year, co-financing shares, ticket sizes, preparation grants, bundles, indivisible projects,
prerequisites and exclusions.

``integer=False`` gives a pure LP: no indivisible projects, no bundles, no minimum tickets,
no preparation grants. Projects respect the invariant of ``assemble()``: spending never
starts before the first model year (``earliest >= first year + lead``).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from m100model.portfolio.data import PortfolioData

FIRST_YEAR = 2025
THEMES = ("buildings", "mobility", "energy", "nbs", "circular")
FUELS = (
    ("I.1.1", "natural_gas", 0.20),
    ("I.1.2", "electricity", 0.30),
    ("II.1.1", "diesel", 0.27),
    ("I.2.1", "district_heat", 0.25),
)
PROJECT_COLUMNS = [
    "project_id",
    "city",
    "archetype_id",
    "theme",
    "name",
    "unit",
    "indivisible",
    "max_units",
    "max_rate",
    "earliest",
    "lifetime",
    "lead",
    "opex",
    "seq",
    "prep_share",
    "jobs",
    "energy_poor",
    "bundle",
    "fgroup",
    "owner",
]
INSTRUMENT_COLUMNS = [
    "instrument_id",
    "name",
    "kind",
    "scope",
    "cost_factor",
    "min_ticket",
    "max_ticket",
    "available_from",
    "available_to",
    "serves",
]
PREP_COLUMNS = ["instrument_id", "coverage", "min_investment", "envelope", "themes"]


def _u(rng: np.random.Generator, lo: float, hi: float) -> float:
    return round(float(rng.uniform(lo, hi)), 4)


def random_instance(
    seed: int, *, integer: bool, budget: bool = False, decision_step: int = 1
) -> PortfolioData:
    """A small random instance: 1-2 cities (each its own target group), 3-5 years, 2-4
    projects (3-4 when ``integer``) and 2-3 activity pools per city, 2-3 instruments.

    ``integer=True`` adds one indivisible project (1-2 units, all at once), often a bundle
    of two small projects, a minimum ticket on the loan and, often, a preparation grant.
    ``budget=True`` replaces the yearly caps by a cumulative carbon budget per group;
    ``decision_step`` is the spacing of the years an indivisible project may start in.
    """
    rng = np.random.default_rng(seed)
    n_years = int(rng.integers(3, 6))
    years = list(range(FIRST_YEAR, FIRST_YEAR + n_years))
    first, horizon = years[0], years[-1]
    rate = _u(rng, 0.0, 0.06)
    discount = {t: (1 + rate) ** -(t - first) for t in years}
    cities = [f"city{i}" for i in range(int(rng.integers(1, 3)))]
    groups = {c: [c] for c in cities}

    # -- pools ---------------------------------------------------------------------------
    pool_rows, activity, intensity, price = [], {}, {}, {}
    for c in cities:
        n_pools = int(rng.integers(2, 4))
        for j in rng.permutation(len(FUELS))[:n_pools]:
            sub, fuel, i0 = FUELS[j]
            k = f"{c}|{sub}|{fuel}"
            pool_rows.append(
                dict(
                    pool_id=k,
                    city=c,
                    subsector=sub,
                    fuel=fuel,
                    unit="MWh",
                )
            )
            a0, growth = _u(rng, 10.0, 80.0), _u(rng, -0.03, 0.03)
            decline = _u(rng, 0.0, 0.08) if fuel == "electricity" else 0.0
            scale = _u(rng, 0.5, 2.0)
            activity[k] = {t: a0 * (1 + growth * (t - first)) for t in years}
            intensity[k] = {t: i0 * scale * (1 - decline * (t - first)) for t in years}
            # a price that may rise after a start year, as ETS2 raises fossil prices
            p0, step, start = _u(rng, 0.02, 0.15), _u(rng, 0.0, 0.05), int(rng.choice(years))
            price[k] = {t: p0 + (step if t >= start else 0.0) for t in years}
    pools = pd.DataFrame(pool_rows).set_index("pool_id", drop=False)
    pool_activity = pd.DataFrame(activity).T.reindex(columns=years)
    pool_intensity = pd.DataFrame(intensity).T.reindex(columns=years)
    pool_price = pd.DataFrame(price).T.reindex(columns=years)

    # -- projects ------------------------------------------------------------------------
    proj_rows, capex_rows, eff_rows = [], {}, []
    for c in cities:
        city_pools = list(pools.index[pools["city"] == c])
        for j in range(int(rng.integers(3 if integer else 2, 5))):
            p = f"{c}:a{j}"
            theme = str(rng.choice(THEMES[:4]))
            lead = int(rng.integers(0, 3))
            earliest = min(first + lead + int(rng.integers(0, 2)), horizon)
            max_units = _u(rng, 2.0, 10.0)
            prep = _u(rng, 0.0, 0.15)
            proj_rows.append(
                dict(
                    project_id=p,
                    city=c,
                    archetype_id=f"a{j}",
                    theme=theme,
                    name=f"measure {j}",
                    unit="unit",
                    indivisible=False,
                    max_units=max_units,
                    max_rate=round(max_units * _u(rng, 0.25, 1.0), 4),
                    earliest=earliest,
                    lifetime=int(rng.integers(1, 7)),
                    lead=lead,
                    opex=_u(rng, 0.0, 0.5),
                    seq=_u(rng, 0.1, 2.0) if rng.random() < 0.3 else 0.0,
                    prep_share=prep,
                    jobs=_u(rng, 0.0, 10.0),
                    energy_poor=_u(rng, 0.0, 100.0),
                    bundle=None,
                    fgroup=f"{c}:{theme}",
                )
            )
            c0, learning = _u(rng, 1.0, 20.0), _u(rng, 0.0, 0.05)
            capex_rows[p] = {t: c0 * (1 - learning) ** (t - first) * (1 + prep) for t in years}
            order = rng.permutation(len(city_pools))
            eff_rows.append(
                dict(project_id=p, pool_id=city_pools[order[0]], delta=-_u(rng, 1.0, 8.0))
            )
            if rng.random() < 0.4:  # fuel switch: part of the saving reappears elsewhere
                eff_rows.append(
                    dict(project_id=p, pool_id=city_pools[order[1]], delta=_u(rng, 0.2, 3.0))
                )
    projects = pd.DataFrame(proj_rows, columns=PROJECT_COLUMNS).set_index("project_id", drop=False)
    capex = pd.DataFrame(capex_rows).T.reindex(columns=years)
    effects = pd.DataFrame(eff_rows, columns=["project_id", "pool_id", "delta"])
    ids = list(projects.index)

    bundles: dict[str, list[str]] = {}
    if integer:
        p = str(rng.choice(ids))  # one indivisible project: a few units, all at once
        projects.at[p, "indivisible"] = True
        projects.at[p, "max_units"] = projects.at[p, "max_rate"] = float(rng.integers(1, 3))
        if rng.random() < 0.6:
            pair = sorted(str(q) for q in rng.choice(ids, size=2, replace=False))
            for q in pair:  # small enough to be delivered whole in a year
                projects.at[q, "bundle"] = "b1"
                projects.at[q, "fgroup"] = "b1"
                if not projects.at[q, "indivisible"]:
                    projects.at[q, "max_units"] = projects.at[q, "max_rate"] = _u(rng, 1.0, 3.0)
            bundles["b1"] = pair

    # -- relations -----------------------------------------------------------------------
    requires: list[tuple[str, str]] = []
    excludes: list[tuple[str, str]] = []
    c = str(rng.choice(cities))
    local = [q for q in ids if projects.at[q, "city"] == c]
    a, b = (str(q) for q in rng.choice(local, size=2, replace=False))
    requires.append((a, b))
    if len(local) > 2 and rng.random() < 0.4:
        rest = [q for q in local if q not in (a, b)]
        excludes.append((str(rng.choice([a, b])), str(rng.choice(rest))))
    if rng.random() < 0.15:
        requires.append((str(rng.choice(ids)), ""))  # prerequisite not available

    # -- targets -------------------------------------------------------------------------
    baseline_kt = {}
    for g, members in groups.items():
        ks = pools.index[pools["city"].isin(members)]
        em = (pool_activity.loc[ks] * pool_intensity.loc[ks]).sum()
        for t in years:
            baseline_kt[(g, t)] = float(em[t])
    target_kt, budget_kt, offset_from = {}, {}, {}
    for g in groups:
        cut = _u(rng, 0.02, 0.2) if rng.random() < 0.4 else _u(rng, 0.2, 0.9)
        if budget:
            budget_kt[g] = sum(baseline_kt[(g, t)] for t in years) * (1 - cut / 2)
        else:  # a straight line from the baseline to `cut` below it in the last year
            for i, t in enumerate(years):
                target_kt[(g, t)] = baseline_kt[(g, t)] * (1 - cut * i / (n_years - 1))
        if rng.random() < 0.5:
            offset_from[g] = int(rng.integers(first, horizon + 1))

    # -- instruments ---------------------------------------------------------------------
    nan = math.nan
    inst_rows = [
        dict(
            instrument_id="budget",
            name="City budget",
            kind="budget",
            scope="city",
            cost_factor=0.0,
            min_ticket=nan,
            max_ticket=nan,
            available_from=first,
            available_to=horizon,
        ),
        dict(
            instrument_id="grant",
            name="National grant",
            kind="grant",
            scope="national",
            cost_factor=-1.0,
            min_ticket=nan,
            max_ticket=_u(rng, 5.0, 30.0) if rng.random() < 0.3 else nan,
            available_from=first + int(rng.integers(0, 2)),
            available_to=horizon,
        ),
    ]
    envelope: dict[tuple[str, str, int], float] = {}
    for t in years:
        for c in cities:
            envelope[("budget", c, t)] = _u(rng, 2.0, 30.0)
        if t >= inst_rows[1]["available_from"]:
            envelope[("grant", "*", t)] = _u(rng, 2.0, 30.0)
    eligibility = {("budget", th): 1.0 for th in THEMES}
    for th in rng.permutation(THEMES)[: int(rng.integers(2, 5))]:
        eligibility[("grant", str(th))] = _u(rng, 0.3, 0.85)
    if rng.random() < 0.7:
        inst_rows.append(
            dict(
                instrument_id="loan",
                name="Development bank loan",
                kind="loan",
                scope="national",
                cost_factor=_u(rng, 0.02, 0.12),
                min_ticket=_u(rng, 2.0, 12.0) if integer else nan,
                max_ticket=nan,
                available_from=first,
                available_to=horizon - int(rng.integers(0, 2)),
            )
        )
        for t in years:
            if t <= inst_rows[-1]["available_to"]:
                envelope[("loan", "*", t)] = _u(rng, 5.0, 50.0)
        for th in rng.permutation(THEMES)[: int(rng.integers(1, 4))]:
            eligibility[("loan", str(th))] = 1.0
    # Owners and private capital, drawn from a second stream so that the rest of an
    # instance stays what it was for its seed: private money pays only for private projects.
    own = np.random.default_rng(seed + 7_000_000)
    projects["owner"] = [str(own.choice(["public", "private"])) for _ in ids]
    if own.random() < 0.5:
        inst_rows.append(
            dict(
                instrument_id="private",
                name="Owners' capital",
                kind="private",
                scope="city",
                cost_factor=_u(own, 0.0, 0.15),
                min_ticket=nan,
                max_ticket=nan,
                available_from=first,
                available_to=horizon,
                serves="private",
            )
        )
        for t in years:
            for c in cities:
                envelope[("private", c, t)] = _u(own, 1.0, 20.0)
        for th in THEMES:
            eligibility[("private", th)] = 1.0
    for row in inst_rows:
        row.setdefault("serves", "all")
    instruments = pd.DataFrame(inst_rows, columns=INSTRUMENT_COLUMNS).set_index(
        "instrument_id", drop=False
    )

    prep_rows = []
    if integer and rng.random() < 0.7:
        themes = tuple(sorted(str(th) for th in rng.permutation(THEMES)[:3]))
        prep_rows.append(
            dict(
                instrument_id="elena",
                coverage=_u(rng, 0.5, 0.9),
                min_investment=_u(rng, 2.0, 30.0),
                envelope=_u(rng, 0.2, 3.0),
                themes=themes,
            )
        )
    prep_grant = pd.DataFrame(prep_rows, columns=PREP_COLUMNS).set_index(
        "instrument_id", drop=False
    )

    return PortfolioData(
        years=years,
        discount_rate=rate,
        discount=discount,
        groups=groups,
        target_kt=target_kt,
        budget_kt=budget_kt,
        offset_from=offset_from,
        offset_price=_u(rng, 0.05, 0.3),
        penalty=_u(rng, 1.0, 20.0),
        pools=pools,
        pool_activity=pool_activity,
        pool_intensity=pool_intensity,
        pool_price=pool_price,
        projects=projects,
        capex=capex,
        effects=effects,
        instruments=instruments,
        envelope=envelope,
        eligibility=eligibility,
        prep_grant=prep_grant,
        requires=requires,
        excludes=excludes,
        bundles=bundles,
        tickets=True,
        base_year=2021,
        base_kt={g: baseline_kt[(g, first)] for g in groups},
        baseline_kt=baseline_kt,
        decision_step=decision_step,
        rate_tiers=_rate_tiers(seed),
    )


def _rate_tiers(seed: int) -> list[tuple[float, float]]:
    """Building faster than the normal rate: none (a hard rate) in about a third of the
    instances, else one or two tiers with rising mark-ups. Drawn from a stream of its own,
    so that the rest of each instance stays as it was for its seed."""
    rng = np.random.default_rng(seed + 100_000)
    if rng.random() < 0.3:
        return []
    tiers, markup = [], 0.0
    for _ in range(int(rng.integers(1, 3))):
        markup += _u(rng, 0.05, 0.6)
        tiers.append((_u(rng, 0.3, 1.5), markup))
    return tiers
