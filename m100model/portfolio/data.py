"""The numbers the portfolio model is built from, in model units.

:class:`PortfolioData` holds plain tables in the units the optimisation uses, so that the
model is numerically sound: money in **M EUR**, emissions in **kt CO2e**, activity in
**GWh** (energy) or **kt** (waste). :func:`assemble` makes it from a :class:`Scenario`; tests
make small ones by hand.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from m100model import plausibility
from m100model.cities import load_cities
from m100model.errors import InputError
from m100model.factors import load_factors
from m100model.inventory import Inventory, load_inventory
from m100model.pathways import (
    BaselineSettings,
    baseline,
    grid_trajectory,
    target_path,
    unit_intensity,
)
from m100model.prices import pool_price
from m100model.projects import (
    ceiling,
    load_archetypes,
    load_effects,
    load_eligibility,
    load_instruments,
    load_relations,
)
from m100model.scenario import Scenario, TargetSpec
from m100model.tables import data_dir, display_path, read_table

TO_MODEL = 1e-3  # MWh -> GWh and t -> kt
PHASE_OFFSET_YEARS = 5  # a programme's phase k may start (k-1) x 5 years after phase 1


@dataclass
class PortfolioData:
    """All inputs of the portfolio model (see :mod:`m100model.portfolio.build` for the
    formulation). Index names: ``p`` project, ``k`` activity pool, ``s`` instrument, ``g``
    target group, ``t`` year."""

    years: list[int]
    discount_rate: float  # the scenario's real discount rate
    discount: dict[int, float]  # discount factor of each year (1 in the first year)
    groups: dict[str, list[str]]
    target_kt: dict[tuple[str, int], float]
    budget_kt: dict[str, float]
    offset_from: dict[str, int]
    offset_price: float
    penalty: float
    pools: pd.DataFrame  # index k: city, subsector, fuel, unit
    pool_activity: pd.DataFrame  # k x t, baseline activity (GWh or kt)
    pool_intensity: pd.DataFrame  # k x t, kt CO2e per GWh or per kt
    pool_price: pd.DataFrame  # k x t, M EUR per GWh (0 for waste pools)
    projects: pd.DataFrame  # index p, see assemble()
    capex: pd.DataFrame  # p x t, M EUR per unit commissioned in t (incl. preparation)
    effects: pd.DataFrame  # rows: project_id, pool_id, delta (GWh or kt per unit per year)
    instruments: pd.DataFrame  # index s: scope, cost_factor, min_ticket, max_ticket
    envelope: dict[tuple[str, str, int], float]  # (s, city or "*", t) -> M EUR
    eligibility: dict[tuple[str, str], float]  # (s, theme) -> max share of spend
    # Projects may carry an ``owner`` column (``public``: the city or its companies;
    # ``private``: households, owners' associations, firms) and instruments a ``serves``
    # column (``all`` or ``private``): private capital pays only for what private owners own.
    prep_grant: pd.DataFrame  # index s: coverage, min_investment (M EUR), envelope (M EUR)
    requires: list[tuple[str, str]] = field(default_factory=list)
    excludes: list[tuple[str, str]] = field(default_factory=list)
    bundles: dict[str, list[str]] = field(default_factory=dict)
    tickets: bool = True
    decision_step: int = 1  # indivisible projects may start every `decision_step` years
    # Building faster than the normal yearly rate: (extra rate as a multiple of the normal
    # rate, mark-up as a share of capex) per tier, cheapest first; empty = a hard rate.
    rate_tiers: list[tuple[float, float]] = field(default_factory=list)
    base_year: int = 2021
    base_kt: dict[str, float] = field(default_factory=dict)
    baseline_kt: dict[tuple[str, int], float] = field(default_factory=dict)
    target_year: dict[str, int] = field(default_factory=dict)  # each group's own target year
    warnings: list[str] = field(default_factory=list)  # plausibility of the inventories

    @staticmethod
    def discount_factors_for(years: list[int], rate: float) -> dict[int, float]:
        """:math:`d_t = (1 + r)^{-(t - t_0)}`, with :math:`t_0` the first model year."""
        return {t: (1 + rate) ** -(t - years[0]) for t in years}

    def discount_factors(self, rate: float) -> dict[int, float]:
        return self.discount_factors_for(self.years, rate)

    @property
    def first_action_year(self) -> int:
        """The first year a project can be in service: target paths leave the baseline
        there (before it, the cap is the baseline itself)."""
        first = int(self.projects["earliest"].min()) if not self.projects.empty else self.years[0]
        return min(first, self.years[-1])

    def refresh_baseline(self) -> None:
        """Recompute each group's no-new-projects emissions from the pools' activity and
        intensity (after the intensities changed, e.g. another grid path)."""
        for g, members in self.groups.items():
            ks = self.pools.index[self.pools["city"].isin(members)]
            em = (self.pool_activity.loc[ks] * self.pool_intensity.loc[ks]).sum()
            for t in self.years:
                self.baseline_kt[(g, t)] = float(em[t])

    def target_caps(self, target: TargetSpec) -> dict[tuple[str, int], float]:
        """Yearly caps (kt CO2e) by (group, year) of a yearly target (``net_zero``,
        ``reduction`` or ``custom``; a ``budget`` has no yearly caps): the path from each
        group's baseline in the first year a project can act to the target, as in
        :func:`~m100model.pathways.target_path`. The one place caps are computed."""
        if target.kind == "budget":
            return {}
        start = self.first_action_year
        kind = "custom" if target.kind == "custom" else "net_zero"
        caps = {}
        for g in self.groups:
            path = target_path(
                self.base_kt[g],
                self.base_year,
                self.years,
                kind=kind,
                year=target.year or self.target_year[g],
                reduction=target.reduction,
                points=target.points,
                start=(start, self.baseline_kt[(g, start)]),
            )
            for t, v in zip(self.years, path, strict=True):
                caps[(g, t)] = float(v) if t >= start else self.baseline_kt[(g, t)]
        return caps

    @property
    def first_year(self) -> int:
        return self.years[0]

    @property
    def horizon(self) -> int:
        return self.years[-1]

    def max_share(self, s: str, project: dict) -> float:
        """The largest share of a project's spending that instrument ``s`` may pay: its
        eligibility for the project's theme, but 0 where ``s`` serves private owners only and
        the project is not privately owned."""
        share = self.eligibility.get((s, project["theme"]), 0.0)
        if share and s in self.private_only and project.get("owner", "public") != "private":
            return 0.0
        return share

    @functools.cached_property
    def private_only(self) -> frozenset[str]:
        """Instruments that pay only for privately owned projects."""
        inst = self.instruments
        if "serves" not in inst.columns:
            return frozenset()
        return frozenset(inst.index[inst["serves"] == "private"])

    def finance_groups(self) -> dict[str, list[str]]:
        """Projects financed as one operation: each bundle, and each city's theme programme
        for projects outside bundles."""
        out: dict[str, list[str]] = {}
        for p, row in self.projects.iterrows():
            out.setdefault(str(row["fgroup"]), []).append(str(p))
        return out


def annuity_cost_factor(rate: float, tenor: float, discount: float) -> float:
    """Present value (at ``discount``) of the repayments of 1 EUR borrowed at ``rate`` over
    ``tenor`` years as an annuity, minus the EUR borrowed: the finance cost per EUR."""
    if not tenor or tenor <= 0:
        return 0.0
    n = round(tenor)
    payment = 1.0 / n if rate == 0 else rate / (1 - (1 + rate) ** -n)
    pv = payment * n if discount == 0 else payment * (1 - (1 + discount) ** -n) / discount
    return pv - 1.0


def finance_cost_factor(
    kind: str, rate: float, tenor: float, discount: float, perspective: str
) -> float:
    """Cost per EUR provided by an instrument, in present value.

    City perspective: grants cost the city nothing (-1 offsets the capex they pay), its own
    budget costs nothing extra, loans, bonds and ESCO contracts cost their interest
    (:func:`annuity_cost_factor`); private capital is not the city's money and is not used
    (:func:`assemble_finance` leaves it out).

    Society perspective: every euro of capex is a cost whoever pays it; grants, the city
    budget, public loans and bonds are transfers between members of society (0). Private
    capital and ESCO contracts carry their cost of capital above the social discount rate
    (the annuity at the private rate, discounted at the scenario's rate, less the EUR lent;
    never below 0): a real cost of financing through owners who demand a higher return."""
    if kind == "budget":
        return 0.0
    if perspective == "society":
        if kind in PRIVATE_KINDS:
            return max(0.0, annuity_cost_factor(rate, tenor, discount))
        return 0.0
    if kind == "grant":
        return -1.0
    return annuity_cost_factor(rate, tenor, discount)


PRIVATE_KINDS = ("private", "esco")  # money whose cost of capital is a private return


def rate_tiers() -> list[tuple[float, float]]:
    """Tiers above the normal yearly rate (``data/projects/build_rate_tiers.csv``) as
    (width in multiples of the normal rate, mark-up on capex), cheapest first."""
    path = data_dir() / "projects" / "build_rate_tiers.csv"
    t = read_table(
        path,
        ["tier", "from_multiple", "to_multiple", "value"],
        numeric=["from_multiple", "to_multiple", "value"],
    )
    shown = t.attrs["path"]
    tiers, edge, markup = [], 1.0, 0.0
    for i, row in t.iterrows():
        if row["to_multiple"] <= 1.0:
            continue  # the normal rate itself
        if row["from_multiple"] != edge or row["to_multiple"] <= edge:
            raise InputError(
                shown,
                f"expected tiers that follow each other from 1 in order, got "
                f"{row['from_multiple']:g}-{row['to_multiple']:g} after {edge:g}",
                row=int(i) + 2,
                column="from_multiple",
            )
        if row["value"] < markup:
            raise InputError(
                shown,
                f"expected a mark-up of at least {markup:g} (rising from tier to tier)",
                row=int(i) + 2,
                column="value",
            )
        tiers.append((float(row["to_multiple"] - edge), float(row["value"])))
        edge, markup = float(row["to_multiple"]), float(row["value"])
    return tiers


def assemble(scn: Scenario, inventories: dict[str, Inventory] | None = None) -> PortfolioData:
    """Build :class:`PortfolioData` from a validated scenario and the bundled data, one
    function per block of :mod:`m100model.portfolio.build`."""
    lib = load_factors()
    cities = load_cities().loc[scn.cities]
    years = scn.years
    invs = inventories or {
        c: load_inventory(
            scn.inventory_path(c), gwp=scn.gwp, grid_method=scn.grid_method, factors=lib
        )
        for c in scn.cities
    }
    warnings = []
    for c, inv in invs.items():
        warnings += plausibility.warnings(inv, float(cities.at[c, "population_2021"]))
        if inv.city != c:
            raise InputError(
                display_path(scn.inventory_path(c)) if inventories is None else "<inventories>",
                f"holds the inventory of '{inv.city}', but the scenario gives it for '{c}'",
                row=int(inv.emissions["row"].min()) if "row" in inv.emissions else None,
                column="city",
            )
    base_year = max(inv.year for inv in invs.values())
    arch = load_archetypes()
    if scn.archetypes != "all":
        arch = arch.loc[scn.archetypes]
    effects = load_effects()
    effects = effects[effects["archetype_id"].isin(arch.index)]
    pools, pool_activity, pool_intensity, pool_price = assemble_pools(scn, invs, effects, lib)
    projects, capex, effects_df = assemble_projects(scn, cities, arch, effects, base_year)
    instruments, envelope, eligibility, prep_grant = assemble_finance(scn, cities)
    requires, excludes = assemble_relations(scn, projects)
    groups = (
        {c: [c] for c in scn.cities}
        if scn.target.scope == "city"
        else {g: list(m) for g, m in (scn.target.clusters or {}).items()}
    )
    d = PortfolioData(
        years=years,
        discount_rate=scn.discount_rate,
        discount=PortfolioData.discount_factors_for(years, scn.discount_rate),
        groups=groups,
        target_kt={},
        budget_kt={},
        offset_from={},
        offset_price=scn.offset_price_eur_per_t * 1e-3,
        penalty=scn.shortfall_penalty_eur_per_t * 1e-3,
        pools=pools,
        pool_activity=pool_activity,
        pool_intensity=pool_intensity,
        pool_price=pool_price,
        projects=projects,
        capex=capex,
        effects=effects_df,
        instruments=instruments,
        envelope=envelope,
        eligibility=eligibility,
        prep_grant=prep_grant,
        requires=requires,
        excludes=excludes,
        bundles={b.id: list(projects.index[projects["bundle"] == b.id]) for b in scn.bundles},
        tickets=scn.tickets,
        decision_step=scn.decision_step,
        rate_tiers=rate_tiers() if scn.build_rate == "soft" else [],
        base_year=base_year,
        warnings=warnings,
    )
    assemble_targets(d, scn, cities, invs)
    return d


def assemble_pools(
    scn: Scenario, invs: dict[str, Inventory], effects: pd.DataFrame, lib
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Activity pools (a city's GPC sub-sector and fuel): baseline activity (GWh or kt),
    emission intensity (kt CO2e per GWh or per kt) and price (M EUR per GWh, with the ETS2
    pass-through: :func:`m100model.prices.pool_price`) by year. Pools that projects add to
    but the inventory lacks (e.g. tram electricity) start empty."""
    years = scn.years
    settings = BaselineSettings(grid_scenario=scn.grid_scenario, measures=scn.baseline)
    pool_rows, act_rows, int_rows = [], {}, {}
    for c in scn.cities:
        bl = baseline(invs[c], years, settings)
        bl = bl[bl["year"].isin(years)]
        for (sub, fuel), part in bl.groupby(["subsector", "fuel"], sort=False):
            k = f"{c}|{sub}|{fuel}"
            unit = str(part["unit"].iloc[0])
            pool_rows.append(dict(pool_id=k, city=c, subsector=sub, fuel=fuel, unit=unit))
            act_rows[k] = part.set_index("year")["activity"] * TO_MODEL
            # t CO2e per MWh == kt per GWh; t per t == kt per kt
            int_rows[k] = part.set_index("year")["intensity"]

    grid = dict(zip(years, grid_trajectory(scn.grid_scenario, years), strict=True))
    known = {r["pool_id"] for r in pool_rows}
    for c in scn.cities:
        for e in effects.drop_duplicates(["subsector", "fuel"]).itertuples():
            k = f"{c}|{e.subsector}|{e.fuel}"
            if k in known:
                continue
            known.add(k)
            kind = lib.fuel_kind(e.fuel)
            unit = "t" if kind in ("waste", "wastewater") else "MWh"
            i0 = unit_intensity(
                e.subsector, e.fuel, invs[c].year, lib, gwp=scn.gwp, grid_method=scn.grid_method
            )
            g0 = grid_trajectory(scn.grid_scenario, [invs[c].year])[0]
            scale = {t: grid[t] / g0 if kind == "electricity" and g0 else 1.0 for t in years}
            pool_rows.append(dict(pool_id=k, city=c, subsector=e.subsector, fuel=e.fuel, unit=unit))
            act_rows[k] = pd.Series(0.0, index=years)
            int_rows[k] = pd.Series({t: i0 * scale[t] for t in years})
    pools = pd.DataFrame(pool_rows).set_index("pool_id", drop=False)
    pool_activity = pd.DataFrame(act_rows).T.reindex(columns=years)
    pool_intensity = pd.DataFrame(int_rows).T.reindex(columns=years)
    pool_price = pool_prices(pools, years, scn)
    return pools, pool_activity, pool_intensity, pool_price


def pool_prices(pools: pd.DataFrame, years: list[int], scn: Scenario) -> pd.DataFrame:
    """Price of each pool by year in M EUR per GWh (= EUR/MWh x 1e-3), times the scenario's
    ``energy_price_factor``; 0 for waste and wastewater pools (tonnes, not energy)."""
    by_source: dict[tuple[str, str], np.ndarray] = {}  # the same in every city
    out = {}
    for k, sub, fuel, unit in zip(
        pools.index, pools["subsector"], pools["fuel"], pools["unit"], strict=True
    ):
        if unit != "MWh":
            out[k] = np.zeros(len(years))
            continue
        if (sub, fuel) not in by_source:
            eur = pool_price(sub, fuel, years, scenario=scn.prices, ets2=scn.ets2)
            by_source[sub, fuel] = eur * 1e-3 * scn.energy_price_factor
        out[k] = by_source[sub, fuel]
    return pd.DataFrame(out, index=years).T.reindex(index=pools.index)


def assemble_projects(
    scn: Scenario,
    cities: pd.DataFrame,
    arch: pd.DataFrame,
    effects: pd.DataFrame,
    base_year: int,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Candidate projects (an archetype in a city, possibly in phases): potential, build
    rate, timing, costs (capex per unit by commissioning year, with learning and
    preparation) and effects on the pools (GWh or kt per unit per year)."""
    years = scn.years
    bundle_of = {(c, a): b.id for b in scn.bundles for c in b.cities for a in b.archetypes}
    saving_of = {b.id: b.prep_saving for b in scn.bundles}
    effects_of = {
        a: list(zip(part["subsector"], part["fuel"], part["delta"], strict=True))
        for a, part in effects.groupby("archetype_id", sort=False)
    }
    proj_rows, capex_rows, eff_rows = [], {}, []
    for c, city in cities.iterrows():
        pop = float(city["population_2021"])
        for a_id, a in arch.iterrows():
            units = ceiling(a, c, pop) * scn.project_scale
            if units <= 0:
                continue
            bundle = bundle_of.get((c, a_id))
            phases = 1 if bundle or (a["indivisible"] and scn.indivisible) else scn.phases
            lead = math.ceil(float(a["lead_time"]))
            prep = float(a["prep_cost_share"]) * (1 - saving_of.get(bundle, 0.0))
            for k in range(1, phases + 1):
                p = f"{c}:{a_id}" + (f":phase{k}" if phases > 1 else "")
                earliest = years[0] + lead + (k - 1) * PHASE_OFFSET_YEARS
                if earliest > years[-1]:
                    continue
                proj_rows.append(
                    dict(
                        project_id=p,
                        city=c,
                        archetype_id=a_id,
                        theme=a["theme"],
                        name=a["name"],
                        unit=a["unit"],
                        indivisible=bool(a["indivisible"]) and scn.indivisible,
                        owner=a["owner"],
                        max_units=units / phases,
                        max_rate=float(a["max_share_per_year"]) * units / phases,
                        earliest=earliest,
                        lifetime=max(1, round(float(a["lifetime"]))),
                        lead=lead,
                        opex=float(a["opex"]) * 1e-6,
                        seq=float(a["sequestration"]) * 1e-3,
                        prep_share=prep,
                        jobs=float(a["jobs"]),
                        energy_poor=float(a["energy_poor_households"]),
                        bundle=bundle,
                        fgroup=bundle or f"{c}:{a['theme']}",
                    )
                )
                lr = float(a["learning_rate"])
                capex_rows[p] = pd.Series(
                    {
                        t: float(a["capex"])
                        * 1e-6
                        * (1 - lr) ** max(0, t - lead - base_year)
                        * (1 + prep)
                        for t in years
                    }
                )
                for sub, fuel, delta in effects_of.get(a_id, []):
                    eff_rows.append(
                        dict(project_id=p, pool_id=f"{c}|{sub}|{fuel}", delta=float(delta) * 1e-3)
                    )
    projects = pd.DataFrame(proj_rows).set_index("project_id", drop=False)
    capex = pd.DataFrame(capex_rows).T.reindex(columns=years)
    effects_df = pd.DataFrame(eff_rows, columns=["project_id", "pool_id", "delta"])
    return projects, capex, effects_df


def assemble_targets(
    d: PortfolioData, scn: Scenario, cities: pd.DataFrame, invs: dict[str, Inventory]
) -> None:
    """Target groups' base-year emissions, no-new-projects baseline, target year, and
    yearly caps (:meth:`PortfolioData.target_caps`) or carbon budget; offsets from the
    target year for a net-zero target."""
    base_kt = {c: invs[c].basic_tco2e * 1e-3 for c in scn.cities}
    d.base_kt = {g: sum(base_kt[c] for c in m) for g, m in d.groups.items()}
    d.refresh_baseline()
    d.target_year = {
        g: scn.target.year or max(int(cities.at[c, "target_year"]) for c in members)
        for g, members in d.groups.items()
    }
    if scn.target.kind == "budget":
        total = sum(d.base_kt.values())
        d.budget_kt = {
            g: float(scn.target.budget_kt or 0.0) * d.base_kt[g] / total for g in d.groups
        }
        return
    d.target_kt = d.target_caps(scn.target)
    if scn.target.kind == "net_zero":
        d.offset_from = dict(d.target_year)


def assemble_finance(
    scn: Scenario, cities: pd.DataFrame
) -> tuple[pd.DataFrame, dict, dict, pd.DataFrame]:
    """Funding instruments (cost per EUR from the scenario's perspective, tickets,
    availability), yearly envelopes by (instrument, city or "*", year), eligibility by theme,
    and preparation grants (ELENA)."""
    years = scn.years
    inst = load_instruments()
    if scn.instruments != "all":
        inst = inst.loc[scn.instruments]
    overrides = scn.instrument_overrides
    inst = inst[[overrides[s].enabled if s in overrides else True for s in inst.index]]
    if scn.perspective == "city":  # owners' own money is not the city's to plan
        inst = inst[inst["kind"] != "private"]
    prep = inst[inst["prep_cost_coverage"].fillna(0) > 0]
    money = inst.drop(index=prep.index)
    rows = []
    for s, r in money.iterrows():
        tenor = 0.0 if pd.isna(r["tenor"]) else float(r["tenor"])
        cf = finance_cost_factor(
            str(r["kind"]), float(r["interest_rate"]), tenor, scn.discount_rate, scn.perspective
        )
        rows.append(
            dict(
                instrument_id=s,
                name=r["name"],
                kind=r["kind"],
                scope=r["scope"],
                cost_factor=cf,
                interest_rate=float(r["interest_rate"]),
                tenor=tenor,
                perspective=scn.perspective,
                serves="private" if r["kind"] == "private" else "all",
                min_ticket=_meur(r["min_ticket"]) if scn.tickets else math.nan,
                max_ticket=_meur(r["max_ticket"]) if scn.tickets else math.nan,
                available_from=int(r["available_from"]),
                available_to=int(r["available_to"]),
            )
        )
    instruments = pd.DataFrame(rows).set_index("instrument_id", drop=False)
    share = national_share(scn.cities)
    envelope = {}
    for s, r in money.iterrows():
        ov = overrides.get(s)
        for t in years:
            if not int(r["available_from"]) <= t <= int(r["available_to"]):
                continue
            if r["scope"] == "city":
                per_cap = (
                    ov.envelope_per_capita
                    if ov and ov.envelope_per_capita is not None
                    else float(r["envelope_per_capita"])
                )
                for c, city in cities.iterrows():
                    envelope[(s, c, t)] = per_cap * float(city["population_2021"]) * 1e-6
            else:
                annual = (
                    ov.annual_envelope_meur
                    if ov and ov.annual_envelope_meur is not None
                    else float(r["annual_envelope"]) * 1e-6 * share
                )
                envelope[(s, "*", t)] = annual
    elig = load_eligibility()
    eligibility = {
        (r.instrument_id, r.theme): float(r.max_share)
        for r in elig.itertuples()
        if r.instrument_id in instruments.index and r.max_share > 0
    }
    prep_grant = pd.DataFrame(
        [
            dict(
                instrument_id=s,
                coverage=float(r["prep_cost_coverage"]),
                min_investment=_meur(r["min_ticket"]) if scn.tickets else 0.0,
                envelope=float(r["annual_envelope"])
                * 1e-6
                * sum(1 for t in years if int(r["available_from"]) <= t <= int(r["available_to"])),
                themes=tuple(e.theme for e in elig.itertuples() if e.instrument_id == s),
            )
            for s, r in prep.iterrows()
        ],
        columns=["instrument_id", "coverage", "min_investment", "envelope", "themes"],
    ).set_index("instrument_id", drop=False)
    return instruments, envelope, eligibility, prep_grant


def assemble_relations(
    scn: Scenario, projects: pd.DataFrame
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Prerequisites (``(a, "")`` when a's prerequisite is not a candidate: a is never
    built) and mutually exclusive pairs, between the projects of each city."""
    requires, excludes = [], []
    rel = load_relations()
    of: dict[tuple[str, str], list[str]] = {}
    for p, c, a in zip(projects.index, projects["city"], projects["archetype_id"], strict=True):
        of.setdefault((c, a), []).append(p)
    for r in rel.itertuples():
        for c in scn.cities:
            a = of.get((c, r.archetype_id), [])
            b = of.get((c, r.other_archetype_id), [])
            if len(a) == 0:
                continue
            target_list = requires if r.relation == "requires" else excludes
            for pa in a:
                if len(b) == 0 and r.relation == "requires":
                    target_list.append((pa, ""))  # prerequisite not available: never built
                for pb in b:
                    target_list.append((pa, pb))
    return requires, excludes


def national_share(city_ids: list[str]) -> float:
    """Share of the national envelopes (sized for the 13 M100 cities together) that the
    scenario's cities may draw on: their population over that of all M100 cities, counting
    Bucharest once (Sector 2 lies inside it)."""
    cities = load_cities()

    def population(ids: list[str]) -> float:
        ids = set(ids)
        if "bucharest" in ids:
            ids.discard("bucharest_sector_2")
        return float(cities.loc[sorted(ids), "population_2021"].sum())

    return population(city_ids) / population(list(cities.index))


def _meur(value: float) -> float:
    return (
        math.nan
        if value is None or (isinstance(value, float) and np.isnan(value))
        else float(value) * 1e-6
    )
