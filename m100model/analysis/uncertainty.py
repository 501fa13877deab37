"""Uncertain inputs: sampling them, and applying one draw to a portfolio model.

A scenario's ``uncertainty:`` section (:class:`~m100model.scenario.UncertaintySpec`) names
the uncertain inputs, each with a scipy.stats distribution. :func:`draw` samples the unit
cube with a fixed seed (Latin hypercube or scrambled Sobol, from :mod:`scipy.stats.qmc`)
and maps each column through the input's quantile function:

.. math::

    \\theta_{s,j} = F_j^{-1}(u_{s,j}), \\qquad u_{s,\\cdot} \\in [0, 1]^J

Every kind of input except the discount rate is a multiplier on what the scenario
assembled (1 = as assembled); :class:`Perturbation` turns one draw into new values of the
model's mutable parameters (see :meth:`PortfolioSolver.set_parameters`), always from the
assembled base values, so samples never drift into each other.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import qmc

from m100model.errors import InputError
from m100model.portfolio.data import PortfolioData
from m100model.scenario import U_EPS, UncertainInput, UncertaintySpec


def draw(
    spec: UncertaintySpec,
    *,
    samples: int | None = None,
    seed: int | None = None,
    method: str | None = None,
) -> pd.DataFrame:
    """Sample the uncertain inputs: one row per sample (``sample_id`` 0..n-1), one column per
    input (its value: a multiplier, or the discount rate). Reproducible: the same spec, size,
    seed and method give the same table."""
    n = samples if samples is not None else spec.samples
    seed = spec.seed if seed is None else seed
    method = method or spec.method
    d = len(spec.inputs)
    rng = np.random.default_rng(seed)
    if method == "sobol":
        engine = qmc.Sobol(d=d, scramble=True, rng=rng)
        # Draw the next power of two (Sobol's balance needs it) and keep the first n points.
        u = engine.random_base2(int(np.ceil(np.log2(max(n, 1)))))[:n]
    elif method == "lhs":
        u = qmc.LatinHypercube(d=d, rng=rng).random(n)
    else:
        raise ValueError(f"unknown sampling method '{method}' (expected lhs or sobol)")
    u = np.clip(u, U_EPS, 1 - U_EPS)
    out = pd.DataFrame({"sample_id": np.arange(n, dtype=int)})
    for j, inp in enumerate(spec.inputs):
        out[inp.name] = inp.distribution.frozen().ppf(u[:, j])
    return out


def quantile(inp: UncertainInput, q: float) -> float:
    """The value of an input at probability ``q``."""
    return float(inp.distribution.frozen().ppf(min(max(q, U_EPS), 1 - U_EPS)))


def base_value(inp: UncertainInput, discount_rate: float) -> float:
    """The input's value in the scenario as assembled: 1 for multipliers, the scenario's
    discount rate for ``discount_rate``."""
    return discount_rate if inp.kind == "discount_rate" else 1.0


def _matches(sub: str, prefixes: list[str]) -> bool:
    return not prefixes or any(sub == p or sub.startswith(p + ".") for p in prefixes)


@dataclass
class Perturbation:
    """What each uncertain input touches in one assembled model, and the base values to
    multiply. Built once per model; :meth:`parameters` gives the keyword arguments of
    :meth:`PortfolioSolver.set_parameters` for one draw.

    Parameters
    ----------
    data
        The assembled model inputs, before any change.
    spec
        The uncertain inputs.
    discount_rate
        The scenario's discount rate (the base of a ``discount_rate`` input).
    source
        The scenario file, for error messages.
    """

    data: PortfolioData
    spec: UncertaintySpec
    discount_rate: float
    source: str = "<scenario>"

    def __post_init__(self) -> None:
        d = self.data
        self.years = list(d.years)
        self.base_intensity = {
            (k, t): float(d.pool_intensity.at[k, t]) for k in d.pools.index for t in self.years
        }
        self.base_price = {
            (k, t): float(d.pool_price.at[k, t]) for k in d.pools.index for t in self.years
        }
        self.base_envelope = dict(d.envelope)
        self.base_offset = d.offset_price * 1e3
        self.targets: dict[str, list] = {}
        for i, inp in enumerate(self.spec.inputs):
            keys = self._select(inp)
            if inp.kind not in ("offset_price", "discount_rate") and not keys:
                raise InputError(
                    self.source,
                    f"the uncertain input '{inp.name}' ({inp.kind}) matches nothing in this "
                    "scenario (check its fuels, themes, archetypes, subsectors or instruments)",
                    field=f"uncertainty.inputs.{i}",
                )
            self.targets[inp.name] = keys

    def _select(self, inp: UncertainInput) -> list:
        d = self.data
        pools, pr = d.pools, d.projects
        if inp.kind == "capex":
            return [
                p
                for p in pr.index
                if (not inp.themes or pr.at[p, "theme"] in inp.themes)
                and (not inp.archetypes or pr.at[p, "archetype_id"] in inp.archetypes)
            ]
        if inp.kind == "grid_factor":
            return [k for k in pools.index if pools.at[k, "fuel"] == "electricity"]
        if inp.kind in ("emission_factor", "energy_price"):
            return [
                k
                for k in pools.index
                if (not inp.fuels or pools.at[k, "fuel"] in inp.fuels)
                and (inp.kind == "emission_factor" or pools.at[k, "unit"] == "MWh")
            ]
        if inp.kind == "driver_growth":
            return [
                k for k in pools.index if _matches(str(pools.at[k, "subsector"]), inp.subsectors)
            ]
        if inp.kind == "envelope":
            return [key for key in d.envelope if not inp.instruments or key[0] in inp.instruments]
        return []

    def base_values(self) -> dict[str, float]:
        return {inp.name: base_value(inp, self.discount_rate) for inp in self.spec.inputs}

    def parameters(self, values: dict[str, float]) -> dict:
        """``set_parameters`` arguments for one draw (missing inputs at their base value)."""
        v = {**self.base_values(), **{k: float(x) for k, x in values.items()}}
        intensity = dict(self.base_intensity)
        price = dict(self.base_price)
        envelope = dict(self.base_envelope)
        capex = dict.fromkeys(self.data.projects.index, 1.0)
        activity = {key: 1.0 for key in self.base_intensity}
        first, last = self.years[0], self.years[-1]
        span = max(1, last - first)
        offset = self.base_offset
        rate = self.discount_rate
        for inp in self.spec.inputs:
            x = v[inp.name]
            keys = self.targets[inp.name]
            if inp.kind == "capex":
                for p in keys:
                    capex[p] *= x
            elif inp.kind in ("grid_factor", "emission_factor"):
                for k in keys:
                    for t in self.years:
                        intensity[(k, t)] *= x
            elif inp.kind == "energy_price":
                for k in keys:
                    for t in self.years:
                        price[(k, t)] *= x
            elif inp.kind == "driver_growth":
                for k in keys:
                    for t in self.years:
                        activity[(k, t)] *= 1.0 + (x - 1.0) * (t - first) / span
            elif inp.kind == "envelope":
                for key in keys:
                    envelope[key] *= x
            elif inp.kind == "offset_price":
                offset *= x
            elif inp.kind == "discount_rate":
                rate = x
        return dict(
            intensity=intensity,
            price=price,
            capex_factor=capex,
            activity_factor=activity,
            envelope=envelope,
            offset_price_eur_per_t=offset,
            discount_rate=rate,
        )
