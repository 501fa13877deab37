"""Solving the portfolio model with HiGHS, and re-solving it after a change.

:class:`PortfolioSolver` keeps one persistent HiGHS instance (Pyomo's ``pyomo.contrib.solver``
interface) on one built model: a changed target, envelope, price, discount rate or grid
trajectory updates mutable parameters and re-solves without rebuilding. After a MIP solve the
integer decisions are fixed and the LP re-solved once, to read the dual values (shadow
prices) of the target and envelope constraints.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

import pyomo.environ as pyo
from pyomo.contrib.solver.common.results import TerminationCondition
from pyomo.contrib.solver.solvers.highs import Highs

from m100model.portfolio.build import build_model
from m100model.portfolio.data import PortfolioData
from m100model.scenario import SolverSpec


@dataclass
class SolveStats:
    """Timings (s) and solver facts of the last solve."""

    build_s: float = 0.0
    solve_s: float = 0.0
    dual_s: float = 0.0
    status: str = ""
    objective: float = math.nan
    bound: float = math.nan
    n_vars: int = 0
    n_cons: int = 0
    n_binary: int = 0
    history: list[float] = field(default_factory=list)


def _integer_vars(m: pyo.ConcreteModel) -> list[pyo.Var]:
    return [v for v in m.component_data_objects(pyo.Var, active=True)
            if v.is_integer() or v.is_binary()]


class PortfolioSolver:
    """One model, one persistent HiGHS instance.

    Parameters
    ----------
    data
        The assembled model inputs.
    spec
        Solver options (MIP gap, time limit, threads).
    """

    def __init__(self, data: PortfolioData, spec: SolverSpec | None = None) -> None:
        self.data = data
        self.spec = spec or SolverSpec()
        t0 = time.perf_counter()
        self.model = build_model(data)
        self.stats = SolveStats(build_s=time.perf_counter() - t0)
        self.opt = Highs()
        self.opt.config.load_solutions = True
        self.opt.config.raise_exception_on_nonoptimal_result = False
        self.opt.config.threads = self.spec.threads
        self.opt.config.time_limit = self.spec.time_limit
        self.opt.config.rel_gap = self.spec.mip_gap
        self.opt.config.solver_options = {"random_seed": 0}
        self.integers = _integer_vars(self.model)
        m = self.model
        self.stats.n_vars = sum(1 for _ in m.component_data_objects(pyo.Var, active=True))
        self.stats.n_cons = sum(1 for _ in m.component_data_objects(pyo.Constraint, active=True))
        self.stats.n_binary = len(self.integers)
        self.duals: dict = {}

    # -- changes -------------------------------------------------------------------------
    def set_targets(self, target_kt: dict[tuple[str, int], float]) -> None:
        """New yearly caps (kt CO2e) by (group, year)."""
        for key, value in target_kt.items():
            self.model.target[key] = value
        self.data.target_kt.update(target_kt)

    def set_envelope(self, instrument: str, meur_per_year: float, city: str = "*") -> None:
        """New yearly envelope (M EUR) of an instrument, in every year it is available."""
        for (s, c, t) in list(self.data.envelope):
            if s == instrument and c == city:
                self.model.envelope[s, c, t] = meur_per_year
                self.data.envelope[(s, c, t)] = meur_per_year

    def set_discount_rate(self, rate: float) -> None:
        first = self.data.years[0]
        for t in self.data.years:
            value = (1 + rate) ** -(t - first)
            self.model.disc[t] = value
            self.data.discount[t] = value

    def set_intensity(self, pool: str, by_year: dict[int, float]) -> None:
        for t, v in by_year.items():
            self.model.intensity[pool, t] = v
            self.data.pool_intensity.at[pool, t] = v

    def set_price_factor(self, factor: float, base_prices: dict[str, float]) -> None:
        """Scale every pool's energy price (M EUR per GWh) from its base value."""
        for k, v in base_prices.items():
            self.model.price[k] = v * factor

    def set_offset_price(self, eur_per_t: float) -> None:
        self.model.offset_price = eur_per_t * 1e-3

    # -- solving ---------------------------------------------------------------------------
    def solve(self, *, duals: bool = True) -> SolveStats:
        """Solve (or re-solve) and load the solution; then, if asked, the duals."""
        t0 = time.perf_counter()
        res = self.opt.solve(self.model)
        self.stats.solve_s = time.perf_counter() - t0
        self.stats.history.append(self.stats.solve_s)
        tc = res.termination_condition
        self.stats.status = _status(tc)
        self.stats.objective = (res.incumbent_objective if res.incumbent_objective is not None
                                else math.nan)
        self.stats.bound = res.objective_bound if res.objective_bound is not None else math.nan
        self.duals = {}
        if duals and self.stats.status in ("optimal", "feasible"):
            t1 = time.perf_counter()
            self.duals = self._duals()
            self.stats.dual_s = time.perf_counter() - t1
        return self.stats

    def _duals(self) -> dict:
        """Duals of the targets and envelopes, from the LP with integer decisions fixed."""
        m = self.model
        cons = []
        for name in ("target_path", "carbon_budget", "envelope_limit"):
            comp = m.component(name)
            if comp is not None:
                cons.extend(comp.values())
        if not cons:
            return {}
        if not self.integers:
            return self.opt._get_duals(cons)
        saved = [(v, v.domain, v.fixed) for v in self.integers]
        for v in self.integers:
            v.fix(round(v.value or 0.0))
            v.domain = pyo.Reals
        try:
            res = self.opt.solve(m)
            ok = res.termination_condition == TerminationCondition.convergenceCriteriaSatisfied
            return self.opt._get_duals(cons) if ok else {}
        finally:
            for v, domain, fixed in saved:
                v.domain = domain
                if not fixed:
                    v.unfix()


def _status(tc: TerminationCondition) -> str:
    if tc == TerminationCondition.convergenceCriteriaSatisfied:
        return "optimal"
    if tc in (TerminationCondition.maxTimeLimit, TerminationCondition.iterationLimit):
        return "feasible"
    if tc in (TerminationCondition.provenInfeasible, TerminationCondition.locallyInfeasible):
        return "infeasible"
    return str(tc.name)
