"""Marginal abatement cost curve (MACC) of the candidate projects.

Each project is ranked by its levelised cost per tonne avoided in its first possible year:

.. math::

    c_p = \\frac{K_p\\,\\mathrm{CRF}(r, L_p) + o_p + \\sum_k \\bar\\pi_{k,p} \\Delta_{p,k}}
               {-\\sum_k \\Delta_{p,k} I_{k,t_p} + q_p},
    \\qquad \\mathrm{CRF}(r, L) = \\frac{r}{1-(1+r)^{-L}},
    \\qquad \\bar\\pi_{k,p} = \\frac{\\sum_{\\tau=t_p}^{t_p+L_p-1} (1+r)^{-\\tau} \\pi_{k,\\tau}}
                             {\\sum_{\\tau=t_p}^{t_p+L_p-1} (1+r)^{-\\tau}}

(capex :math:`K` annualised with the capital recovery factor, opex :math:`o`, energy cost
change at the prices :math:`\\pi` levelised over the project's life, years beyond the
horizon at the last year's price, since ETS2 makes later years dearer; abatement from the
activity changes :math:`\\Delta` at the intensities :math:`I` of that year plus
sequestration :math:`q`). A MACC ranks measures one by
one; the optimisation sees what a ranking cannot: shared activity pools, budgets and tickets,
lead times, grid decarbonisation over time and indivisibility. Showing both side by side is
the point.
"""

from __future__ import annotations

import pandas as pd

from m100model.portfolio.data import PortfolioData


def capital_recovery_factor(rate: float, life: float) -> float:
    """Annuity factor that turns a capital cost into an equal yearly cost over ``life``."""
    if rate == 0:
        return 1.0 / life
    return rate / (1 - (1 + rate) ** -life)


def levelised_price(d: PortfolioData, pool: str, start: int, life: int, rate: float) -> float:
    """A pool's price (M EUR per GWh) averaged over the years ``start`` to
    ``start + life - 1`` with discount weights; years beyond the horizon take its last
    year's price."""
    row = d.pool_price.loc[pool]
    last = d.years[-1]
    num = den = 0.0
    for tau in range(start, start + max(1, life)):
        w = (1 + rate) ** -(tau - start)
        num += w * float(row[min(tau, last)])
        den += w
    return num / den


def macc(d: PortfolioData, discount_rate: float) -> pd.DataFrame:
    """One row per candidate project: ``cost_eur_per_t``, ``abatement_kt_per_unit``,
    ``potential_kt`` (at full deployment, per year), sorted by cost, with the cumulative
    potential (the x axis of the curve)."""
    pr = d.projects
    effects = d.effects.groupby("project_id")
    rows = []
    for p, row in pr.iterrows():
        t = int(min(max(row["earliest"], d.years[0]), d.years[-1]))
        cost = float(d.capex.at[p, t]) * capital_recovery_factor(discount_rate, row["lifetime"])
        cost += float(row["opex"])
        abated = float(row["seq"])
        if p in effects.groups:
            for e in effects.get_group(p).itertuples():
                price = levelised_price(d, e.pool_id, t, int(row["lifetime"]), discount_rate)
                cost += price * e.delta
                abated -= e.delta * float(d.pool_intensity.at[e.pool_id, t])
        rows.append(
            dict(
                project_id=p,
                city=row["city"],
                archetype_id=row["archetype_id"],
                name=row["name"],
                theme=row["theme"],
                year=t,
                cost_meur_per_unit_yr=cost,
                abatement_kt_per_unit=abated,
                cost_eur_per_t=(cost / abated * 1000.0) if abated > 0 else float("inf"),
                potential_kt=abated * float(row["max_units"]),
            )
        )
    out = pd.DataFrame(rows)
    out = out[out["abatement_kt_per_unit"] > 0].sort_values("cost_eur_per_t", kind="stable")
    out["cumulative_kt"] = out["potential_kt"].cumsum()
    out["start_kt"] = out["cumulative_kt"] - out["potential_kt"]
    return out.reset_index(drop=True)


def compare_with_optimum(curve: pd.DataFrame, portfolio: pd.DataFrame) -> pd.DataFrame:
    """The MACC with the optimum's peak share of each project's maximum beside it."""
    chosen = portfolio.set_index("project_id")["peak_share"] if not portfolio.empty else None
    out = curve.copy()
    out["optimal_share"] = out["project_id"].map(chosen).fillna(0.0) if chosen is not None else 0.0
    return out
