"""Solving the portfolio model with HiGHS, and re-solving it after a change.

The Pyomo model is compiled once to matrix form (Pyomo's ``LinearStandardFormCompiler``) and
handed to one persistent ``highspy`` instance: the known fast path for models of this size.
A changed target or envelope is a change of row bounds in HiGHS, which re-solves from the
previous basis without rebuilding anything (a few milliseconds at workshop scale). A changed
coefficient (grid decarbonisation, energy prices, discount rate) updates the model's mutable
parameters and recompiles. After a MIP solve the integer decisions are fixed and the LP
re-solved once to read the duals (shadow prices) of the target and envelope rows.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import highspy
import numpy as np
import pyomo.environ as pyo
from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler

from m100model.portfolio.build import build_model
from m100model.portfolio.data import PortfolioData, finance_cost_factor
from m100model.scenario import SolverSpec

INF = highspy.kHighsInf
DUAL_CONSTRAINTS = ("target_path", "carbon_budget", "envelope_limit")
SHORT_TOL = 1e-7  # kt


@dataclass
class SolveStats:
    """Timings (s) and solver facts of the last solve."""

    build_s: float = 0.0
    compile_s: float = 0.0
    solve_s: float = 0.0
    dual_s: float = 0.0
    status: str = ""
    objective: float = math.nan
    bound: float = math.nan
    n_vars: int = 0
    n_cons: int = 0
    n_binary: int = 0
    history: list[float] = field(default_factory=list)


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
        self.highs = highspy.Highs()
        for name, value in (
            ("output_flag", False),
            ("threads", self.spec.threads),
            ("time_limit", float(self.spec.time_limit)),
            ("mip_rel_gap", float(self.spec.mip_gap)),
            ("random_seed", 0),
        ):
            self.highs.setOptionValue(name, value)
        self.duals: dict = {}
        self.shortfall: dict = {}
        self._compile()

    # -- matrix hand-off -----------------------------------------------------------------
    def _compile(self) -> None:
        t0 = time.perf_counter()
        info = LinearStandardFormCompiler().write(self.model, mixed_form=True)
        self.columns = info.columns
        self.rows = info.rows
        self.row_index = {con: i for i, (con, _) in enumerate(info.rows)}
        n, m_rows = len(info.columns), len(info.rows)
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = n, m_rows
        lp.offset_ = float(info.c_offset[0]) if len(info.c_offset) else 0.0
        lp.col_cost_ = np.asarray(info.c.toarray()[0] if n else [], dtype=float)
        lp.col_lower_ = np.array([-INF if v.lb is None else v.lb for v in info.columns], float)
        lp.col_upper_ = np.array([INF if v.ub is None else v.ub for v in info.columns], float)
        rhs = np.asarray(info.rhs, dtype=float)
        sense = np.array([s for _, s in info.rows], dtype=int)
        lp.row_lower_ = np.where(sense <= 0, rhs, -INF)
        lp.row_upper_ = np.where(sense >= 0, rhs, INF)
        a = info.A.tocsc()
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = a.indptr
        lp.a_matrix_.index_ = a.indices
        lp.a_matrix_.value_ = a.data
        self.integer_cols = [j for j, v in enumerate(info.columns) if v.is_integer()]
        # HiGHS's MIP presolve (highspy 1.12-1.15) has been seen to end "optimal" at a wrong
        # objective and to call feasible models infeasible on small instances of this model
        # (tests/test_portfolio_oracle.py, regression seeds): MIPs are solved without it
        # unless the scenario asks for it (see SolverSpec).
        self.highs.setOptionValue("presolve", self.spec.presolve if self.integer_cols else "choose")
        if self.integer_cols:
            kinds = [highspy.HighsVarType.kContinuous] * n
            for j in self.integer_cols:
                kinds[j] = highspy.HighsVarType.kInteger
            lp.integrality_ = kinds
        self.highs.passModel(lp)
        self.stats.compile_s = time.perf_counter() - t0
        self.stats.n_vars, self.stats.n_cons, self.stats.n_binary = (
            n,
            m_rows,
            len(self.integer_cols),
        )

    def write_mps(self, path: str | Path) -> None:
        """Export the model (as HiGHS holds it) to an MPS file."""
        self.highs.writeModel(str(path))

    # -- changes -------------------------------------------------------------------------
    def _set_rhs(self, con: pyo.Constraint, value: float) -> None:
        i = self.row_index.get(con)
        if i is None:
            return
        if self.rows[i][1] >= 0:
            self.highs.changeRowBounds(i, -INF, value)
        else:
            self.highs.changeRowBounds(i, value, INF)

    def set_targets(self, target_kt: dict[tuple[str, int], float]) -> None:
        """New yearly caps (kt CO2e) by (group, year): row bounds only, no rebuild."""
        m = self.model
        for key, value in target_kt.items():
            m.target[key] = value
            self.data.target_kt[key] = value
            if hasattr(m, "target_path") and key in m.target_path:
                self._set_rhs(m.target_path[key], value)

    def set_envelope(self, instrument: str, meur_per_year: float, city: str = "*") -> None:
        """New yearly envelope (M EUR) of an instrument in every year it is available."""
        m = self.model
        for s, c, t in list(self.data.envelope):
            if s == instrument and c == city:
                m.envelope[s, c, t] = meur_per_year
                self.data.envelope[(s, c, t)] = meur_per_year
                if (s, c, t) in m.envelope_limit:
                    self._set_rhs(m.envelope_limit[s, c, t], meur_per_year)

    def _recompile(self) -> None:
        basis = self.highs.getBasis()
        self._compile()
        if (
            basis.valid
            and len(basis.col_status) == self.stats.n_vars
            and len(basis.row_status) == self.stats.n_cons
        ):
            self.highs.setBasis(basis)

    def set_discount_rate(self, rate: float) -> None:
        """New discount rate: discount factors and the finance cost of loans and bonds."""
        self._discount(rate)
        self._recompile()

    def _discount(self, rate: float) -> None:
        m, d = self.model, self.data
        first = d.years[0]
        for t in d.years:
            value = (1 + rate) ** -(t - first)
            m.disc[t] = value
            d.discount[t] = value
        inst = d.instruments
        if {"kind", "interest_rate", "tenor", "perspective"} <= set(inst.columns):
            for s, r in inst.iterrows():
                cf = finance_cost_factor(
                    r["kind"], r["interest_rate"], r["tenor"], rate, r["perspective"]
                )
                m.cost_factor[s] = cf
                inst.at[s, "cost_factor"] = cf

    def set_intensities(self, by_pool_year: dict[tuple[str, int], float]) -> None:
        """New emission intensities (kt per GWh or per kt) of pools, e.g. another grid path."""
        for (k, t), v in by_pool_year.items():
            self.model.intensity[k, t] = v
            self.data.pool_intensity.at[k, t] = v
        self._recompile()

    def set_prices(self, by_pool: dict[str, float]) -> None:
        """New energy prices (M EUR per GWh) of pools."""
        for k, v in by_pool.items():
            self.model.price[k] = v
            self.data.pools.at[k, "price"] = v
        self._recompile()

    def set_offset_price(self, eur_per_t: float) -> None:
        self.model.offset_price = eur_per_t * 1e-3
        self.data.offset_price = eur_per_t * 1e-3
        self._recompile()

    def set_capex_factors(self, by_project: dict[str, float]) -> None:
        """Multiply the investment cost of projects (1 = as assembled)."""
        self.set_parameters(capex_factor=by_project)

    def set_activity_factors(self, by_pool_year: dict[tuple[str, int], float]) -> None:
        """Multiply the baseline activity of pools in years (1 = as assembled)."""
        self.set_parameters(activity_factor=by_pool_year)

    def set_parameters(
        self,
        *,
        intensity: dict[tuple[str, int], float] | None = None,
        price: dict[str, float] | None = None,
        capex_factor: dict[str, float] | None = None,
        activity_factor: dict[tuple[str, int], float] | None = None,
        envelope: dict[tuple[str, str, int], float] | None = None,
        offset_price_eur_per_t: float | None = None,
        discount_rate: float | None = None,
    ) -> None:
        """Change several inputs at once and recompile once (what an ensemble does for each
        sample). Intensities in kt per GWh (or per kt), prices in M EUR per GWh, envelopes
        in M EUR by (instrument, city or "*", year); the factors are multipliers."""
        m, d = self.model, self.data
        for (k, t), v in (intensity or {}).items():
            m.intensity[k, t] = v
            d.pool_intensity.at[k, t] = v
        for k, v in (price or {}).items():
            m.price[k] = v
            d.pools.at[k, "price"] = v
        if capex_factor:
            for p, v in capex_factor.items():
                m.capex_factor[p] = v
            m.capex_bigm = max([1.0, *(pyo.value(m.capex_factor[p]) for p in m.P)])
        for key, v in (activity_factor or {}).items():
            m.activity_factor[key] = v
        for key, v in (envelope or {}).items():
            if key in d.envelope:
                m.envelope[key] = v
                d.envelope[key] = v
        if offset_price_eur_per_t is not None:
            m.offset_price = offset_price_eur_per_t * 1e-3
            d.offset_price = offset_price_eur_per_t * 1e-3
        if discount_rate is not None:
            self._discount(discount_rate)
        self._recompile()

    # -- solving ---------------------------------------------------------------------------
    def solve(self, *, duals: bool = True) -> SolveStats:
        """Solve (or re-solve from the previous basis) and load the solution into the Pyomo
        variables; then, if asked, the duals of targets and envelopes.

        Two phases when a target is out of reach. Phase 1 minimises cost plus the priced
        shortfall, which finds the smallest shortfall the candidates allow (the penalty
        dominates). Phase 2 relaxes each missed target by exactly that shortfall and
        minimises the cost of reaching the achievable path, so that the MIP gap, the reported
        cost and the shadow prices are about the portfolio, not about the penalty.
        :attr:`shortfall` holds phase 1's shortfall (phase 2 adds none, up to tolerance).
        """
        t0 = time.perf_counter()
        relaxed: list[tuple[pyo.Constraint, float]] = []
        ok = self._run_and_load()
        self.shortfall = self._shortfall() if ok else {}
        if ok and self.shortfall:
            for con, (value, extra) in self._missed_rows(self.shortfall).items():
                self._set_rhs(con, value + extra)
                relaxed.append((con, value))
            ok = self._run_and_load()
        self.stats.solve_s = time.perf_counter() - t0
        self.stats.history.append(self.stats.solve_s)
        self.duals = {}
        if ok and duals:
            t1 = time.perf_counter()
            self.duals = self._duals(self.highs.getSolution().col_value)
            self.stats.dual_s = time.perf_counter() - t1
        for con, value in relaxed:
            self._set_rhs(con, value)
        if not ok:
            self.stats.objective = math.nan
        return self.stats

    def _run_and_load(self) -> bool:
        self.highs.run()
        if self.highs.getModelStatus() == highspy.HighsModelStatus.kInfeasible:
            # Doing nothing is always feasible (targets are elastic): an "infeasible" answer
            # is a presolve fault. Retry without presolve.
            presolve = self.highs.getOptionValue("presolve")[1]
            self.highs.setOptionValue("presolve", "off")
            self.highs.run()
            self.highs.setOptionValue("presolve", presolve)
        info = self.highs.getInfo()
        self.stats.status = _status(self.highs.getModelStatus(), info)
        if self.stats.status not in ("optimal", "feasible"):
            return False
        self.stats.objective = info.objective_function_value
        self.stats.bound = (
            info.mip_dual_bound if self.integer_cols else info.objective_function_value
        )
        values = self.highs.getSolution().col_value
        for v, x in zip(self.columns, values, strict=True):
            v.set_value(x, skip_validation=True)
        return True

    def _shortfall(self) -> dict:
        """Shortfall (kt) by (group, year), and by group for a carbon budget."""
        m = self.model
        out = {key: v.value for key, v in m.short.items() if (v.value or 0.0) > SHORT_TOL}
        if hasattr(m, "short_budget"):
            out.update(
                {
                    (g, None): v.value
                    for g, v in m.short_budget.items()
                    if (v.value or 0.0) > SHORT_TOL
                }
            )
        return out

    def _missed_rows(self, shortfall: dict) -> dict:
        """The target rows to relax in phase 2: constraint -> (current bound, shortfall)."""
        m = self.model
        rows = {}
        for (g, t), u in shortfall.items():
            if t is None:
                rows[m.carbon_budget[g]] = (self.data.budget_kt[g], u)
            else:
                rows[m.target_path[g, t]] = (pyo.value(m.target[g, t]), u)
        return rows

    def _duals(self, values: list[float]) -> dict:
        """Row duals of the targets and envelopes (from the LP with integers fixed)."""
        m = self.model
        wanted = [
            con
            for name in DUAL_CONSTRAINTS
            if m.component(name) is not None
            for con in m.component(name).values()
            if con in self.row_index
        ]
        if not wanted:
            return {}
        h = self.highs
        if not self.integer_cols:
            row_dual = h.getSolution().row_dual
            return {con: row_dual[self.row_index[con]] for con in wanted}
        cols = np.array(self.integer_cols, dtype=np.int32)
        lp = h.getLp()
        lower = np.asarray(lp.col_lower_)[cols]
        upper = np.asarray(lp.col_upper_)[cols]
        fixed = np.round(np.asarray(values)[cols])
        cont = np.array([highspy.HighsVarType.kContinuous] * len(cols))
        h.changeColsIntegrality(len(cols), cols, cont)
        h.changeColsBounds(len(cols), cols, fixed, fixed)
        try:
            h.run()
            ok = h.getModelStatus() == highspy.HighsModelStatus.kOptimal
            row_dual = h.getSolution().row_dual
            return {con: row_dual[self.row_index[con]] for con in wanted} if ok else {}
        finally:
            h.changeColsBounds(len(cols), cols, lower, upper)
            h.changeColsIntegrality(
                len(cols), cols, np.array([highspy.HighsVarType.kInteger] * len(cols))
            )


def _status(status: highspy.HighsModelStatus, info) -> str:
    if status == highspy.HighsModelStatus.kOptimal:
        return "optimal"
    if status in (
        highspy.HighsModelStatus.kTimeLimit,
        highspy.HighsModelStatus.kIterationLimit,
        highspy.HighsModelStatus.kInterrupt,
    ):
        return "feasible" if info.primal_solution_status == 2 else "no solution"
    if status == highspy.HighsModelStatus.kInfeasible:
        return "infeasible"
    return str(status).rsplit(".", 1)[-1]
