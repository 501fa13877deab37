"""A generated national-scale instance of the portfolio model (for benchmarks only).

Each of ``towns`` synthetic towns (30 candidate projects each, one per archetype) copies one
of the 12 distinct M100 cities in turn (Bucharest is left out: Sector 2 lies inside it) and
scales its activity pools, project sizes and city envelopes to a random population between
20,000 and 300,000. The model is linear (no indivisible projects, no tickets), as a national
screening run would be. Nothing here is presented as data about real towns.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from m100model.cities import load_cities
from m100model.portfolio.data import PortfolioData, assemble
from m100model.scenario import Scenario


def national_data(towns: int = 320, seed: int = 7) -> PortfolioData:
    cities = [c for c in load_cities().index if c != "bucharest"]
    scn = Scenario(
        name="national",
        cities=cities,
        indivisible=False,
        tickets=False,
        target={"kind": "net_zero", "reduction": 0.8, "year": 2035},
    )
    base = assemble(scn)
    rng = np.random.default_rng(seed)
    pop = load_cities()["population_2021"].astype(float)
    pools, acts, ints, prices, projects, capex, effects = [], [], [], [], [], [], []
    envelope, target_kt, groups, offset_from, baseline_kt, base_kt = {}, {}, {}, {}, {}, {}
    total_scale = 0.0
    for i in range(towns):
        template = cities[i % len(cities)]
        town = f"town_{i:03d}"
        f = rng.uniform(20_000, 300_000) / pop[template]
        total_scale += f * pop[template]
        tp = base.pools[base.pools["city"] == template]
        rename = {k: k.replace(template, town, 1) for k in tp.index}
        pools.append(tp.rename(index=rename).assign(city=town, pool_id=lambda x: x.index))
        acts.append(base.pool_activity.loc[tp.index].rename(index=rename) * f)
        ints.append(base.pool_intensity.loc[tp.index].rename(index=rename))
        prices.append(base.pool_price.loc[tp.index].rename(index=rename))
        pr = base.projects[base.projects["city"] == template]
        prename = {p: p.replace(template, town, 1) for p in pr.index}
        projects.append(
            pr.rename(index=prename).assign(
                city=town,
                project_id=lambda x: x.index,
                max_units=pr["max_units"].values * f,
                max_rate=pr["max_rate"].values * f,
                fgroup=[g.replace(template, town, 1) for g in pr["fgroup"]],
            )
        )
        capex.append(base.capex.loc[pr.index].rename(index=prename))
        ef = base.effects[base.effects["project_id"].isin(pr.index)]
        effects.append(
            ef.assign(project_id=ef["project_id"].map(prename), pool_id=ef["pool_id"].map(rename))
        )
        for (s, c, t), v in base.envelope.items():
            if c == template:
                envelope[(s, town, t)] = v * f
        for (g, t), v in base.target_kt.items():
            if g == template:
                target_kt[(town, t)] = v * f
        for (g, t), v in base.baseline_kt.items():
            if g == template:
                baseline_kt[(town, t)] = v * f
        groups[town] = [town]
        base_kt[town] = base.base_kt[template] * f
        if template in base.offset_from:
            offset_from[town] = base.offset_from[template]
    national_scale = total_scale / float(pop[cities].sum())
    for (s, c, t), v in base.envelope.items():
        if c == "*":
            envelope[(s, c, t)] = v * national_scale
    return PortfolioData(
        years=base.years,
        discount_rate=base.discount_rate,
        discount=dict(base.discount),
        groups=groups,
        target_kt=target_kt,
        budget_kt={},
        offset_from=offset_from,
        offset_price=base.offset_price,
        penalty=base.penalty,
        pools=pd.concat(pools),
        pool_activity=pd.concat(acts),
        pool_intensity=pd.concat(ints),
        pool_price=pd.concat(prices),
        projects=pd.concat(projects),
        capex=pd.concat(capex),
        effects=pd.concat(effects, ignore_index=True),
        instruments=base.instruments,
        envelope=envelope,
        eligibility=base.eligibility,
        prep_grant=base.prep_grant.iloc[0:0],
        requires=[],
        excludes=[],
        bundles={},
        tickets=False,
        base_year=base.base_year,
        base_kt=base_kt,
        baseline_kt=baseline_kt,
        target_year={g: 2035 for g in groups},
    )
