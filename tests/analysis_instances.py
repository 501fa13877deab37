"""A hand-checkable portfolio instance for the decision-analysis tests.

One city, one grid-electricity pool of 100 GWh a year at 0.3 kt CO2e/GWh (30 kt), two model
years, and one divisible project that saves 1 GWh a year per unit (at most 50 units, at
most 20 commissioned a year, no lead time, 30-year life). The targets are 28 kt in 2025 and
20 kt in 2026. With a positive discount rate the least-cost plan builds as late as the
deployment rate allows: 13.33 units in 2025 (so that 20 more in 2026 reach the 33.33 the
2026 target needs), emitting 0.3 x 86.67 = 26 kt in 2025 and 20 kt in 2026.

With the grid factor multiplied by theta ~ U(0.8, 1.4) and the plan kept fixed, the plan
meets the 2025 target when 26 theta <= 28 and the 2026 target when 20 theta <= 20:

    P(2025) = (28/26 - 0.8) / 0.6 = 0.4615...,   P(2026) = (1 - 0.8) / 0.6 = 1/3.

Re-optimised per sample, the 2026 target can be met while 0.3 theta (100 - 40) <= 20, i.e.
theta <= 10/9: P = (10/9 - 0.8) / 0.6 = 0.5185...
"""

from __future__ import annotations

import pandas as pd

from m100model.portfolio.data import PortfolioData
from m100model.scenario import UncertaintySpec

YEARS = [2025, 2026]
RATE = 0.04
TARGET = {2025: 28.0, 2026: 20.0}
EMISSIONS_PLAN = {2025: 26.0, 2026: 20.0}
LOW, WIDTH = 0.8, 0.6  # theta ~ U(LOW, LOW + WIDTH)


def p_plan(year: int) -> float:
    return (TARGET[year] / EMISSIONS_PLAN[year] - LOW) / WIDTH


P_REOPT_ALL = (10 / 9 - LOW) / WIDTH


def hand_instance() -> PortfolioData:
    pools = pd.DataFrame(
        [
            dict(
                pool_id="c|I.1|electricity",
                city="c",
                subsector="I.1",
                fuel="electricity",
                unit="MWh",
            )
        ]
    ).set_index("pool_id", drop=False)
    projects = pd.DataFrame(
        [
            dict(
                project_id="c:saver",
                city="c",
                archetype_id="saver",
                theme="energy",
                name="Electricity saver",
                unit="unit",
                indivisible=False,
                max_units=50.0,
                max_rate=20.0,
                earliest=2025,
                lifetime=30,
                lead=0,
                opex=0.0,
                seq=0.0,
                prep_share=0.0,
                jobs=10.0,
                energy_poor=0.0,
                bundle=None,
                fgroup="c:energy",
            )
        ]
    ).set_index("project_id", drop=False)
    instruments = pd.DataFrame(
        [
            dict(
                instrument_id="budget",
                name="Budget",
                kind="budget",
                scope="city",
                cost_factor=0.0,
                min_ticket=float("nan"),
                max_ticket=float("nan"),
                available_from=2020,
                available_to=2060,
            )
        ]
    ).set_index("instrument_id", drop=False)
    return PortfolioData(
        years=list(YEARS),
        discount_rate=RATE,
        discount={t: (1 + RATE) ** -(t - YEARS[0]) for t in YEARS},
        groups={"c": ["c"]},
        target_kt={("c", t): v for t, v in TARGET.items()},
        budget_kt={},
        offset_from={},
        offset_price=0.1,
        penalty=10.0,
        pools=pools,
        pool_activity=pd.DataFrame({2025: [100.0], 2026: [100.0]}, index=pools.index),
        pool_intensity=pd.DataFrame({2025: [0.3], 2026: [0.3]}, index=pools.index),
        pool_price=pd.DataFrame({2025: [0.0], 2026: [0.0]}, index=pools.index),
        projects=projects,
        capex=pd.DataFrame({2025: [1.0], 2026: [1.0]}, index=projects.index),
        effects=pd.DataFrame([dict(project_id="c:saver", pool_id="c|I.1|electricity", delta=-1.0)]),
        instruments=instruments,
        envelope={("budget", "c", t): 1000.0 for t in YEARS},
        eligibility={("budget", "energy"): 1.0},
        prep_grant=pd.DataFrame(
            columns=["instrument_id", "coverage", "min_investment", "envelope", "themes"]
        ).set_index("instrument_id", drop=False),
        base_year=2021,
        base_kt={"c": 30.0},
        baseline_kt={("c", t): 30.0 for t in YEARS},
    )


def grid_spec(samples: int = 30, seed: int = 7, method: str = "lhs") -> UncertaintySpec:
    return UncertaintySpec.model_validate(
        dict(
            samples=samples,
            seed=seed,
            method=method,
            inputs=[
                dict(
                    name="grid",
                    kind="grid_factor",
                    distribution=dict(name="uniform", loc=LOW, scale=WIDTH),
                )
            ],
        )
    )
