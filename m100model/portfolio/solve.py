"""Solving the portfolio model with HiGHS, re-solving it after a change, and the one interface
through which everything else changes the model.

The flow follows PyPSA's ``optimize``: build the Pyomo model (:mod:`.build`), compile it
once to a parametric standard form (:mod:`.compile`), hand it to one persistent ``highspy``
instance, solve (phase logic, limits, the gap in cost terms), assign the solution, assign
the duals (one documented method), then post-process into tables (:mod:`.results`).

Changes
    Every input a workshop slider, an ensemble sample or an analysis changes is a mutable
    parameter of the Pyomo model (targets, envelopes, intensities, prices, capex and
    activity multipliers, offset price, discount rate). The compiled form keeps each matrix
    entry, cost and bound as a polynomial in those parameters, so a change re-evaluates a
    few numpy arrays and writes only what changed into HiGHS, which re-solves from the last
    basis. Nothing is recompiled.

Named operations
    Analyses, the workshop, the exercises and the widgets change the model only through
    named operations (:meth:`PortfolioSolver.add_row`, :meth:`bound`,
    :meth:`set_objective`, :meth:`cols`, :meth:`rows`, :meth:`values`), keyed by the Pyomo
    names of variables and constraints (like linopy's labelled constraints). They survive a
    parameter change and a recompile; nothing outside this package touches HiGHS.

Solving (:meth:`PortfolioSolver.solve`)
    Targets are elastic: a shortfall :math:`u \\ge 0` is priced at a penalty :math:`P`
    per kt. One run minimises cost plus :math:`P \\sum u`. For a MIP it stops when the gap
    *in cost terms* is within ``mip_gap`` of the plan's own cost (not of the
    penalty-inflated objective). That single run already gives the cheapest plan at its
    shortfall up to the gap: any plan :math:`x` with shortfall :math:`s(x) \\le s_1` has
    :math:`c(x) \\ge \\text{bound} - P s(x) \\ge c_1 - \\text{gap}`. A second phase (missed
    targets relaxed by the shortfall, cost only) runs only when the first stopped on a
    limit with a larger gap; it starts from the first plan and is kept only if cheaper.
    For an LP the second phase is never needed. Each run has its own time limit.

Shadow prices (:meth:`PortfolioSolver.duals`)
    One method everywhere: the row duals of the final LP (for a MIP, the LP with the integer
    decisions fixed at their optimal values). Where the optimal basis is primally
    non-degenerate the duals are unique and the simplex duals are used; otherwise they are
    not unique and the kit reports the interior-point solution without crossover, computed
    from a cold start in a separate HiGHS instance, which converges to the centre of the set
    of optimal duals. Either way the prices do not depend on what was solved before.
"""

from __future__ import annotations

import contextlib
import contextvars
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import highspy
import numpy as np
import pyomo.environ as pyo

from m100model.errors import InputError
from m100model.portfolio.build import build_model
from m100model.portfolio.compile import StandardForm, compile_model
from m100model.portfolio.data import PortfolioData, finance_cost_factor
from m100model.scenario import SolverSpec

INF = highspy.kHighsInf
DUAL_CONSTRAINTS = ("target_path", "carbon_budget", "envelope_limit")
SHORT_TOL = 1e-7  # kt
OK = ("optimal", "feasible")

Terms = dict[str, dict]  # variable name -> {index: coefficient}


@dataclass(frozen=True)
class Observer:
    """Who watches the HiGHS runs of this context (see :func:`observe`)."""

    progress: Callable[[dict], None] | None = None
    verbose: bool = False


_NOBODY = Observer()
_OBSERVER: contextvars.ContextVar[Observer] = contextvars.ContextVar(
    "m100_solver_observer",
    default=_NOBODY,  # frozen: never changed
)


@contextlib.contextmanager
def observe(
    progress: Callable[[dict], None] | None = None, *, verbose: bool = False
) -> Iterator[None]:
    """Within the block, every HiGHS run of a mixed-integer model reports its progress to
    ``progress`` (at most twice a second: a dict with HiGHS's relative ``gap``, its ``primal``
    and ``dual`` bounds in objective units, M EUR, and the ``nodes`` explored), and with
    ``verbose`` HiGHS writes its log to standard output."""
    token = _OBSERVER.set(Observer(progress, verbose))
    try:
        yield
    finally:
        _OBSERVER.reset(token)


class _Progress:
    def __init__(self, report: Callable[[dict], None]) -> None:
        self.report = report
        self.last = 0.0

    def __call__(self, e) -> None:
        now = time.monotonic()
        if now - self.last < 0.5:
            return
        self.last = now
        d = e.data_out
        self.report(
            dict(
                gap=float(d.mip_gap),
                primal=float(d.mip_primal_bound),
                dual=float(d.mip_dual_bound),
                nodes=int(d.mip_node_count),
            )
        )


class NoPlanError(InputError):
    """A solve ended without any plan (a limit stopped it first, or the model has none)."""


def require_plan(solver: PortfolioSolver, source: str) -> None:
    """Raise :class:`NoPlanError`, naming what to change, when the last solve found no plan:
    results must not be read from a model that holds none."""
    s = solver.stats
    if s.status in OK:
        return
    if s.limit:
        raise NoPlanError(
            source,
            f"the solver stopped on the {s.limit} before it found any plan; raise it "
            "(solver.time_limit, in seconds) or make the model smaller",
            field="solver.time_limit",
        )
    raise NoPlanError(source, f"the model has no plan (HiGHS: {s.status})")


@dataclass
class SolveStats:
    """Timings (s) and solver facts of the last solve.

    ``status`` is ``optimal`` (within the gap), ``feasible`` (a plan, but a limit stopped
    the search: see ``limit``), ``no solution`` or ``infeasible``. ``gap_meur`` is the
    distance in M EUR between the plan's cost and the best cost HiGHS could prove possible
    at the same or a smaller shortfall (0 for an LP)."""

    build_s: float = 0.0
    compile_s: float = 0.0
    solve_s: float = 0.0
    dual_s: float = 0.0
    status: str = ""
    objective: float = math.nan
    bound: float = math.nan
    gap_meur: float = math.nan
    limit: str = ""  # "time limit", "iteration limit" or "" when no limit stopped a run
    phases: int = 0
    runs: int = 0
    dual_method: str = ""
    n_vars: int = 0
    n_cons: int = 0
    n_binary: int = 0
    history: list[float] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        return dict(
            status=self.status,
            limit=self.limit or None,
            gap_meur=None if math.isnan(self.gap_meur) else self.gap_meur,
            build_s=self.build_s,
            compile_s=self.compile_s,
            solve_s=self.solve_s,
            dual_s=self.dual_s,
            phases=self.phases,
            runs=self.runs,
            dual_method=self.dual_method,
            variables=self.n_vars,
            constraints=self.n_cons,
            integer_variables=self.n_binary,
            mip_bound=self.bound,
            notes=list(self.notes),
        )


@dataclass
class _Row:
    terms: Terms
    lower: float
    upper: float


class PortfolioSolver:
    """One model, one persistent HiGHS instance, named operations on both.

    Parameters
    ----------
    data
        The assembled model inputs.
    spec
        Solver options (gap, time limit per run, threads, presolve).
    """

    def __init__(self, data: PortfolioData, spec: SolverSpec | None = None) -> None:
        self.data = data
        self.spec = spec or SolverSpec()
        t0 = time.perf_counter()
        self._model = build_model(data)
        self.stats = SolveStats(build_s=time.perf_counter() - t0)
        self.shortfall: dict = {}
        self._duals: dict | None = None
        self._x: np.ndarray | None = None  # primal solution (columns)
        self._loaded = True
        self._extra: dict[str, _Row] = {}  # named rows added on top of the model
        self._bounds: dict[str, dict] = {}  # variable -> {index: (lower, upper)} overrides
        self._objective: Terms | None = None
        self._objective_offset = 0.0
        self._pending: dict[str, dict] = {}  # parameter values not yet written into Pyomo
        self.highs = self._new_highs()
        self._compile()

    # ---------------------------------------------------------------------------------
    # The model, kept in step with the last solution
    # ---------------------------------------------------------------------------------
    @property
    def model(self) -> pyo.ConcreteModel:
        """The Pyomo model; its variables hold the last solution."""
        self._sync_params()
        if not self._loaded and self._x is not None:
            for v, x in zip(self.sf.col_vars, self._x, strict=True):
                v.set_value(float(x), skip_validation=True)
            self._loaded = True
        return self._model

    def _sync_params(self) -> None:
        for name, values in self._pending.items():
            comp = self._model.component(name)
            for key, v in values.items():
                comp[key].set_value(v)
        self._pending = {}

    @property
    def is_mip(self) -> bool:
        return len(self.sf.integer) > 0

    def _new_highs(self) -> highspy.Highs:
        h = highspy.Highs()
        for name, value in (
            ("output_flag", False),
            ("threads", int(self.spec.threads)),
            ("random_seed", 0),
        ):
            h.setOptionValue(name, value)
        return h

    # ---------------------------------------------------------------------------------
    # Compiling and writing into HiGHS
    # ---------------------------------------------------------------------------------
    def _compile(self) -> None:
        t0 = time.perf_counter()
        self._sync_params()
        self.sf: StandardForm = compile_model(self._model)
        self.theta = self.sf.params.values()
        self._slots: dict[str, dict] = {}
        self._dirty = np.zeros(len(self.theta), dtype=bool)
        self._uses = {name: np.unique(getattr(self.sf, name).slots) for name in self._VECTORS}
        self._cur: dict[str, np.ndarray] = {}
        self._pass_model(keep_basis=False)
        self.stats.compile_s = time.perf_counter() - t0
        self.stats.n_vars = self.sf.n_cols
        self.stats.n_cons = self.sf.n_rows
        self.stats.n_binary = len(self.sf.integer)
        # HiGHS's MIP presolve (highspy 1.12-1.15) has been seen to end "optimal" at a wrong
        # objective and to call feasible models infeasible on small instances of this model
        # (tests/test_portfolio_oracle.py, regression seeds): MIPs are solved without it
        # unless the scenario asks for it (see SolverSpec).
        self.highs.setOptionValue("presolve", self.spec.presolve if self.is_mip else "choose")

    def recompile(self) -> None:
        """Compile the Pyomo model again (after fixing or unfixing variables); named rows,
        bounds and objective are re-applied and the basis kept where it still fits."""
        basis = self.highs.getBasis()
        n, m = self.highs.getNumCol(), self.highs.getNumRow()
        self._compile()
        if basis.valid and self.highs.getNumCol() == n and self.highs.getNumRow() == m:
            self.highs.setBasis(basis)

    _VECTORS = ("cost", "offset", "row_lower", "row_upper", "a_value")

    def _evaluate(self, only_dirty: bool = False) -> dict[str, np.ndarray]:
        """The compiled vectors at the current parameters; with ``only_dirty``, vectors
        that no changed parameter touches are taken as they are."""
        sf, th, out = self.sf, self.theta, {}
        for name in self._VECTORS:
            vec = getattr(sf, name)
            if only_dirty and name in self._cur and not self._dirty[self._uses[name]].any():
                out[name] = self._cur[name]
            else:
                out[name] = vec.evaluate(th)
        self._dirty[:] = False
        return out

    def _col_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """Column bounds: the model's, with the named overrides (by Pyomo name, so they
        survive a recompile)."""
        lo, up = self.sf.col_lower.copy(), self.sf.col_upper.copy()
        for name, over in self._bounds.items():
            pos = self.cols(name)
            for idx, (a, b) in over.items():
                j = pos.get(idx)
                if j is not None:
                    lo[j], up[j] = a, b
        return lo, up

    def _pass_model(self, keep_basis: bool = True) -> None:
        """Write the whole model (with named rows, bounds and objective) into HiGHS."""
        sf = self.sf
        cur = self._evaluate()
        basis = self.highs.getBasis() if keep_basis else None
        lp = highspy.HighsLp()
        n, m = sf.n_cols, sf.n_rows
        lp.num_col_, lp.num_row_ = n, m
        lp.offset_ = float(cur["offset"][0])
        lp.col_cost_ = cur["cost"]
        lo, up = self._col_bounds()
        self._lo, self._up = lo.copy(), up.copy()  # the bounds HiGHS holds
        lp.col_lower_, lp.col_upper_ = _finite(lo, -INF), _finite(up, INF)
        lp.row_lower_ = _finite(cur["row_lower"], -INF)
        lp.row_upper_ = _finite(cur["row_upper"], INF)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = sf.a_start
        lp.a_matrix_.index_ = sf.a_index
        lp.a_matrix_.value_ = cur["a_value"]
        if len(sf.integer):
            kinds = np.array([highspy.HighsVarType.kContinuous] * n)
            kinds[sf.integer] = highspy.HighsVarType.kInteger
            lp.integrality_ = list(kinds)
        self.highs.passModel(lp)
        self._cur = cur
        for row in self._extra.values():
            self._add_highs_row(row)
        if self._objective is not None:
            self._apply_objective()
        if (
            basis is not None
            and basis.valid
            and len(basis.col_status) == n
            and len(basis.row_status) == self.highs.getNumRow()
        ):
            self.highs.setBasis(basis)

    def _push(self) -> None:
        """Write parameter changes into HiGHS: costs and row bounds in place; a changed
        matrix by passing the model again (the basis is kept)."""
        if not self._dirty.any():
            return
        new = self._evaluate(only_dirty=True)
        cur = self._cur
        if new["a_value"] is not cur["a_value"] and not np.array_equal(
            new["a_value"], cur["a_value"]
        ):
            self._pass_model(keep_basis=True)
            return
        h = self.highs
        if self._objective is None:
            changed = np.flatnonzero(new["cost"] != cur["cost"]).astype(np.int32)
            if len(changed):
                h.changeColsCost(len(changed), changed, new["cost"][changed])
            if new["offset"][0] != cur["offset"][0]:
                h.changeObjectiveOffset(float(new["offset"][0]))
        rows = np.flatnonzero(
            (new["row_lower"] != cur["row_lower"]) | (new["row_upper"] != cur["row_upper"])
        ).astype(np.int32)
        if len(rows):
            lo = _finite(new["row_lower"][rows], -INF)
            up = _finite(new["row_upper"][rows], INF)
            h.changeRowsBounds(len(rows), rows, lo, up)
        self._cur = new

    def basis(self):
        """The current simplex basis (opaque), for :meth:`warm_start`."""
        return self.highs.getBasis()

    def warm_start(self, basis) -> None:
        """Start the next run from a saved basis (so that a sequence of re-solves does not
        depend on the order they come in: an ensemble's samples, for instance)."""
        self._push()
        # Everything HiGHS keeps from earlier runs (factorisation, pricing weights) goes
        # first: with it, a degenerate model can end at another of its optimal vertices
        # depending on what was solved before.
        self.highs.clearSolver()
        if basis is not None and basis.valid:
            self.highs.setBasis(basis)

    def write_mps(self, path: str | Path) -> None:
        """Export the model (as HiGHS holds it, named rows included) to an MPS file."""
        self._push()
        self.highs.writeModel(str(path))

    # ---------------------------------------------------------------------------------
    # Named components
    # ---------------------------------------------------------------------------------
    def cols(self, var: str) -> dict:
        """HiGHS column of each index of a Pyomo variable (fixed ones are not columns)."""
        return self.sf.col_pos.get(var, {})

    def rows(self, con: str) -> dict:
        """HiGHS row of each index of a Pyomo constraint."""
        return self.sf.row_pos.get(con, {})

    def values(self, var: str) -> dict:
        """The last solution's value of each index of a variable (fixed ones at their
        value); empty for a variable the model does not have (e.g. ``short_budget`` without
        a carbon budget)."""
        comp = self._model.component(var)
        if comp is None:
            return {}
        pos = self.cols(var)
        x = self._x if self._x is not None else np.zeros(self.sf.n_cols)
        out = {}
        for idx, v in comp.items():
            j = pos.get(idx)
            out[idx] = float(x[j]) if j is not None else float(v.value or 0.0)
        return out

    def solution(self) -> np.ndarray:
        """The last primal solution, by HiGHS column."""
        return np.zeros(self.sf.n_cols) if self._x is None else self._x.copy()

    def vector(self, terms: Terms) -> np.ndarray:
        """Dense coefficients over the columns from named terms (fixed variables dropped)."""
        out = np.zeros(self.sf.n_cols)
        for var, coefs in terms.items():
            pos = self.cols(var)
            for idx, c in coefs.items():
                j = pos.get(idx)
                if j is not None:
                    out[j] += c
        return out

    def terms(self, vector: np.ndarray) -> Terms:
        """Named terms from dense coefficients over the columns."""
        out: Terms = {}
        for j in np.flatnonzero(vector):
            name, idx = self.sf.col_keys[j]
            out.setdefault(name, {})[idx] = float(vector[j])
        return out

    def objective_vector(self) -> tuple[np.ndarray, float]:
        """The model's own objective (net present cost plus penalties): coefficients over
        the columns and the constant."""
        self._push()
        return self._cur["cost"].copy(), float(self._cur["offset"][0])

    # -- named rows ------------------------------------------------------------------------
    def _add_highs_row(self, row: _Row) -> None:
        vec = self.vector(row.terms)
        nz = np.flatnonzero(vec).astype(np.int32)
        self.highs.addRow(
            -INF if math.isinf(row.lower) else row.lower,
            INF if math.isinf(row.upper) else row.upper,
            len(nz),
            nz,
            vec[nz],
        )

    def _extra_row_index(self, name: str) -> int:
        return self.sf.n_rows + list(self._extra).index(name)

    def add_row(
        self, name: str, terms: Terms | np.ndarray, lower: float = -math.inf, upper=math.inf
    ) -> None:
        """Add a named row ``lower <= sum(terms) <= upper`` (replacing one of that name)."""
        if name in self._extra:
            self.remove_row(name)
        if isinstance(terms, np.ndarray):
            terms = self.terms(terms)
        row = _Row(terms, float(lower), float(upper))
        self._extra[name] = row
        self._add_highs_row(row)

    def set_row_bounds(self, name: str, lower: float = -math.inf, upper=math.inf) -> None:
        """New bounds of a named row."""
        row = self._extra[name]
        row.lower, row.upper = float(lower), float(upper)
        self.highs.changeRowBounds(
            self._extra_row_index(name),
            -INF if math.isinf(row.lower) else row.lower,
            INF if math.isinf(row.upper) else row.upper,
        )

    def remove_row(self, name: str) -> None:
        if name not in self._extra:
            return
        i = self._extra_row_index(name)
        del self._extra[name]
        self.highs.deleteRows(1, np.array([i], dtype=np.int32))

    # -- named bounds ----------------------------------------------------------------------
    def bound(self, var: str, lower: dict | None = None, upper: dict | None = None) -> None:
        """Override the bounds of indices of a variable (the other bound of each index
        keeps its current value). Undone by :meth:`unbound`."""
        pos = self.cols(var)
        keys = [k for k in dict.fromkeys([*(lower or {}), *(upper or {})]) if k in pos]
        if not keys:
            return
        cols = np.fromiter((pos[k] for k in keys), dtype=np.int32, count=len(keys))
        lo, up = self._lo[cols], self._up[cols]
        nan = math.nan
        if lower:
            new = np.fromiter((lower.get(k, nan) for k in keys), dtype=float, count=len(keys))
            lo = np.where(np.isnan(new), lo, new)
        if upper:
            new = np.fromiter((upper.get(k, nan) for k in keys), dtype=float, count=len(keys))
            up = np.where(np.isnan(new), up, new)
        self._lo[cols], self._up[cols] = lo, up
        pairs = zip(lo.tolist(), up.tolist(), strict=True)
        self._bounds.setdefault(var, {}).update(zip(keys, pairs, strict=True))
        self.highs.changeColsBounds(len(cols), cols, _finite(lo, -INF), _finite(up, INF))

    def unbound(self, var: str | None = None) -> None:
        """Back to the model's bounds for a variable (or all variables)."""
        names = [v for v in self._bounds if var is None or v == var]
        for name in names:
            pos = self.cols(name)
            cols = np.fromiter((pos[k] for k in self._bounds.pop(name) if k in pos), dtype=np.int32)
            if len(cols):
                lo, up = self.sf.col_lower[cols], self.sf.col_upper[cols]
                self._lo[cols], self._up[cols] = lo, up
                self.highs.changeColsBounds(len(cols), cols, _finite(lo, -INF), _finite(up, INF))

    def model_bounds(self, var: str) -> dict:
        """The model's own (lower, upper) bounds of each index of a variable."""
        return {
            idx: (float(self.sf.col_lower[j]), float(self.sf.col_upper[j]))
            for idx, j in self.cols(var).items()
        }

    # -- named objective -------------------------------------------------------------------
    def _apply_objective(self) -> None:
        vec = self.vector(self._objective or {})
        n = self.sf.n_cols
        self.highs.changeColsCost(n, np.arange(n, dtype=np.int32), vec)
        self.highs.changeObjectiveOffset(self._objective_offset)

    def set_objective(self, terms: Terms | np.ndarray, offset: float = 0.0) -> None:
        """Minimise another linear objective until :meth:`reset_objective`."""
        self._objective = self.terms(terms) if isinstance(terms, np.ndarray) else terms
        self._objective_offset = float(offset)
        self._apply_objective()

    def reset_objective(self) -> None:
        """Back to the model's objective (net present cost plus penalties)."""
        if self._objective is None:
            return
        self._objective = None
        n = self.sf.n_cols
        self.highs.changeColsCost(n, np.arange(n, dtype=np.int32), self._cur["cost"])
        self.highs.changeObjectiveOffset(float(self._cur["offset"][0]))

    # ---------------------------------------------------------------------------------
    # Parameters (what sliders and samples change): no rebuild, no recompile
    # ---------------------------------------------------------------------------------
    def _set(self, param: str, values: dict) -> None:
        """New values of a mutable parameter: into the compiled form at once (vectorised),
        into the Pyomo model when it is next read (:attr:`model`)."""
        if not values:
            return
        slots = self._slots.get(param)
        if slots is None:
            comp = self._model.component(param)
            where = self.sf.params.slot
            slots = self._slots[param] = {key: where.get(id(p), 0) for key, p in comp.items()}
        idx = np.fromiter((slots[k] for k in values), dtype=np.int64, count=len(values))
        vals = np.fromiter(values.values(), dtype=float, count=len(values))
        used = idx > 0
        self.theta[idx[used]] = vals[used]
        self._dirty[idx[used]] = True
        self._pending.setdefault(param, {}).update(values)

    def _value(self, param: str, key) -> float:
        """A parameter's current value."""
        if key in self._pending.get(param, {}):
            return float(self._pending[param][key])
        return float(pyo.value(self._model.component(param)[key]))

    def set_targets(self, target_kt: dict[tuple[str, int], float]) -> None:
        """New yearly caps (kt CO2e) by (group, year)."""
        self._set("target", target_kt)
        self.data.target_kt.update(target_kt)

    def set_envelope(self, instrument: str, meur_per_year: float, city: str = "*") -> None:
        """New yearly envelope (M EUR) of an instrument in every year it is available."""
        keys = {k: meur_per_year for k in self.data.envelope if k[0] == instrument and k[1] == city}
        self._set("envelope", keys)
        self.data.envelope.update(keys)

    def set_discount_rate(self, rate: float) -> None:
        """New discount rate: discount factors and the finance cost of loans and bonds."""
        self.set_parameters(discount_rate=rate)

    def set_intensities(self, by_pool_year: dict[tuple[str, int], float]) -> None:
        """New emission intensities (kt per GWh or per kt) of pools, e.g. another grid path."""
        self.set_parameters(intensity=by_pool_year)

    def set_prices(self, by_pool_year: dict[tuple[str, int], float]) -> None:
        """New energy prices (M EUR per GWh) of pools in years."""
        self.set_parameters(price=by_pool_year)

    def set_offset_price(self, eur_per_t: float) -> None:
        self.set_parameters(offset_price_eur_per_t=eur_per_t)

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
        price: dict[tuple[str, int], float] | None = None,
        capex_factor: dict[str, float] | None = None,
        activity_factor: dict[tuple[str, int], float] | None = None,
        envelope: dict[tuple[str, str, int], float] | None = None,
        offset_price_eur_per_t: float | None = None,
        discount_rate: float | None = None,
    ) -> None:
        """Change several inputs at once (what an ensemble does for each sample).
        Intensities in kt per GWh (or per kt) and prices in M EUR per GWh, both by (pool,
        year); envelopes in M EUR
        by (instrument, city or "*", year); the factors are multipliers."""
        d = self.data
        if intensity:
            self._set("intensity", intensity)
            _set_cells(d.pool_intensity, intensity)
        if price:
            self._set("price", price)
            _set_cells(d.pool_price, price)
        if capex_factor:
            self._set("capex_factor", capex_factor)
            current = {p: self._value("capex_factor", p) for p in self.data.projects.index}
            self._set("capex_bigm", {None: max([1.0, *current.values()])})
        if activity_factor:
            self._set("activity_factor", activity_factor)
        if envelope:
            keys = {k: v for k, v in envelope.items() if k in d.envelope}
            self._set("envelope", keys)
            d.envelope.update(keys)
        if offset_price_eur_per_t is not None:
            self._set("offset_price", {None: offset_price_eur_per_t * 1e-3})
            d.offset_price = offset_price_eur_per_t * 1e-3
        if discount_rate is not None:
            self._discount(discount_rate)

    def _discount(self, rate: float) -> None:
        d = self.data
        d.discount_rate = float(rate)
        d.discount = d.discount_factors(rate)
        self._set("disc", d.discount)
        inst = d.instruments
        if not {"kind", "interest_rate", "tenor", "perspective"} <= set(inst.columns):
            return  # hand-made data with fixed cost factors
        factors = {
            s: finance_cost_factor(
                r["kind"], r["interest_rate"], r["tenor"], rate, r["perspective"]
            )
            for s, r in inst.iterrows()
        }
        self._set("cost_factor", factors)
        for s, cf in factors.items():
            inst.at[s, "cost_factor"] = cf

    # ---------------------------------------------------------------------------------
    # Solving
    # ---------------------------------------------------------------------------------
    def _short_cols(self) -> dict:
        out = {(g, t): j for (g, t), j in self.cols("short").items()}
        out.update({(g, None): j for g, j in self.cols("short_budget").items()})
        return out

    def run(self, *, time_limit: float | None = None, cost_gap: bool = True) -> str:
        """One HiGHS run on the model as it stands (named rows, bounds and objective
        included), with its own time limit; the solution is assigned. Returns the status
        (``optimal``, ``feasible`` when a limit stopped it with a plan, ``no solution``,
        ``infeasible``). For a MIP under the model's own objective the search stops when
        the gap in cost terms is within ``mip_gap`` of the plan's cost."""
        self._push()
        h = self.highs
        limit = float(self.spec.time_limit if time_limit is None else time_limit)
        # HiGHS's run clock accumulates over run() calls on one instance: the limit is set
        # relative to it, so each run gets the whole limit.
        h.setOptionValue("time_limit", h.getRunTime() + limit)
        watch = None
        if not self.is_mip and self.spec.lp_method == "ipm":
            h.setOptionValue("solver", "ipm")
            h.setOptionValue("run_crossover", "off")
        if self.is_mip:
            h.setOptionValue("mip_rel_gap", 0.0 if cost_gap else float(self.spec.mip_gap))
            h.setOptionValue("mip_abs_gap", 1e-6)
            if cost_gap and self._objective is None:
                watch = _CostGap(self, float(self.spec.mip_gap))
                watch.attach(h)
        observer = _OBSERVER.get()
        progress = _Progress(observer.progress) if observer.progress and self.is_mip else None
        if progress is not None:
            h.cbMipInterrupt.subscribe(progress)
        if observer.verbose:
            h.setOptionValue("output_flag", True)
        try:
            h.run()
            if (
                h.getModelStatus() == highspy.HighsModelStatus.kInfeasible
                and self._objective is None
            ):
                # Doing nothing is always feasible (targets are elastic): an "infeasible"
                # answer is a presolve fault. Retry without presolve.
                presolve = h.getOptionValue("presolve")[1]
                h.setOptionValue("presolve", "off")
                h.setOptionValue("time_limit", h.getRunTime() + limit)
                h.run()
                h.setOptionValue("presolve", presolve)
        finally:
            if watch is not None:
                watch.detach(h)
            if progress is not None:
                h.cbMipInterrupt.unsubscribe(progress)
            if observer.verbose:
                h.setOptionValue("output_flag", False)
        self.stats.runs += 1
        info = h.getInfo()
        model_status = h.getModelStatus()
        status = _status(model_status, info)
        self._last_limit = ""
        if model_status == highspy.HighsModelStatus.kInterrupt and watch and watch.done:
            status = "optimal"  # stopped by the cost-gap rule: optimal within the gap
        elif status == "feasible" or (status == "no solution" and _is_limit(model_status)):
            self._last_limit = _limit_name(model_status)
        self._last_status = status
        if status in OK:
            self._x = np.asarray(h.getSolution().col_value, dtype=float)
            self._loaded = False
            self._last_objective = info.objective_function_value
            self._last_bound = info.mip_dual_bound if self.is_mip else self._last_objective
        return status

    def solve(self, *, duals: bool = True) -> SolveStats:
        """Solve (or re-solve from the last basis); assign the solution and, if asked, the
        duals of targets and envelopes. See the module docstring for the phase logic."""
        t0 = time.perf_counter()
        st = self.stats
        st.notes, st.limit, st.phases, st.runs = [], "", 1, 0
        self._duals = None
        status = self.run()
        self.shortfall = self.current_shortfall() if status in OK else {}
        if status in OK:
            priced = self.penalty_meur()
            st.objective = self._last_objective - priced
            st.bound = self._last_bound - priced
            st.gap_meur = max(0.0, st.objective - st.bound) if self.is_mip else 0.0
            st.limit = self._last_limit
            if self._last_limit and self.is_mip and self.shortfall:
                self._phase_two()
        else:
            st.objective = st.bound = st.gap_meur = math.nan
            st.limit = self._last_limit
        st.status = status if not (status in OK and st.limit) else "feasible"
        if st.limit:
            st.notes.append(
                f"stopped on the {st.limit} ({self.spec.time_limit:g} s per run): the plan "
                + (
                    f"may cost up to {st.gap_meur:,.1f} M EUR more than the best possible"
                    if status in OK and math.isfinite(st.gap_meur)
                    else "is not proven near the best possible"
                    if status in OK
                    else "was not found"
                )
            )
        st.solve_s = time.perf_counter() - t0
        st.history.append(st.solve_s)
        if status in OK and duals:
            self.duals()
        return st

    def _phase_two(self) -> None:
        """After a run stopped on a limit with a shortfall: minimise cost with each missed
        target relaxed by its shortfall, starting from the first plan; keep the cheaper
        plan (never a worse one)."""
        st = self.stats
        st.phases = 2
        x1, short = self._x.copy(), dict(self.shortfall)
        first = (st.objective, st.bound, st.gap_meur)
        relaxed = self._relax(short)
        try:
            sol = highspy.HighsSolution()
            sol.col_value = list(x1)
            sol.value_valid = True
            self.highs.setSolution(sol)
            status = self.run()
        finally:
            self._unrelax(relaxed)
        if status in OK:
            extra = sum(self.current_shortfall().values())
            priced = self.penalty_meur()
            cost2 = self._last_objective - priced
            if cost2 < first[0] - 1e-9 and extra <= 1e-6:
                st.notes.append(f"phase 2 lowered the cost by {first[0] - cost2:,.1f} M EUR")
                st.objective, st.bound = cost2, self._last_bound - priced
                st.gap_meur = max(0.0, st.objective - st.bound)
                st.limit = self._last_limit
                self.shortfall = short
                return
        # Keep the first plan.
        self._x, self._loaded, self.shortfall = x1, False, short
        st.objective, st.bound, st.gap_meur = first
        st.notes.append("phase 2 found no cheaper plan; the first plan is kept")

    def _relax(self, shortfall: dict) -> list[tuple[str, object, float]]:
        """Relax each missed target by its shortfall (parameter changes, undone by
        :meth:`_unrelax`)."""
        out = []
        for (g, t), u in shortfall.items():
            if t is None:
                out.append(("budget", g, self.data.budget_kt[g]))
                self._set("budget", {g: self.data.budget_kt[g] + u})
            else:
                v = self._value("target", (g, t))
                out.append(("target", (g, t), v))
                self._set("target", {(g, t): v + u})
        return out

    def _unrelax(self, relaxed: list) -> None:
        for name, key, v in relaxed:
            self._set(name, {key: v})

    def _penalty_weights(self) -> tuple[np.ndarray, np.ndarray]:
        """Shortfall columns and their penalty (M EUR per kt, discounted): their cost in the
        model's objective, which holds nothing else."""
        cols = np.fromiter(self._short_cols().values(), dtype=np.int64)
        self._push()
        return cols, self._cur["cost"][cols]

    def penalty_meur(self, x: np.ndarray | None = None) -> float:
        """The priced shortfall (M EUR, present value) of the last solution, or of ``x``:
        a signal that steers the model, not a cost anyone pays."""
        x = self._x if x is None else x
        if x is None:
            return math.nan
        cols, w = self._penalty_weights()
        return float(w @ np.maximum(x[cols], 0.0)) if len(cols) else 0.0

    def current_shortfall(self) -> dict:
        """The last run's shortfall (kt) by (group, year), and by (group, None) for a carbon
        budget (:attr:`shortfall` is the one :meth:`solve` found; this also reads a plain
        :meth:`run`, e.g. under another objective)."""
        x = self._x
        return {key: float(x[j]) for key, j in self._short_cols().items() if x[j] > SHORT_TOL}

    # ---------------------------------------------------------------------------------
    # Duals: one method (see the module docstring)
    # ---------------------------------------------------------------------------------
    def duals(self) -> dict[tuple[str, object], float]:
        """Row duals of the targets and envelopes, by (constraint name, index), for the
        last solution. Computed once per solution."""
        if self._duals is not None:
            return self._duals
        t0 = time.perf_counter()
        wanted = {(name, idx): i for name in DUAL_CONSTRAINTS for idx, i in self.rows(name).items()}
        self._duals = {}
        if not wanted or self._x is None or self._objective is not None:
            # Under another objective (alternatives, trade-offs) the row duals are not
            # prices of the net present cost.
            return self._duals
        h = self.highs
        if not self.is_mip and self._objective is None and not self._degenerate():
            row_dual = np.asarray(h.getSolution().row_dual)
            self.stats.dual_method = "simplex (unique: non-degenerate optimum)"
        else:
            row_dual = self._ipm_duals()
            self.stats.dual_method = "interior point without crossover (centre of optimal duals)"
        if row_dual is not None:
            self._duals = {key: float(row_dual[i]) for key, i in wanted.items()}
        self.stats.dual_s = time.perf_counter() - t0
        return self._duals

    def _degenerate(self) -> bool:
        """True unless every basic variable and row lies strictly inside its bounds."""
        h = self.highs
        basis = h.getBasis()
        if not basis.valid:
            return True
        sol = h.getSolution()
        lp = h.getLp()
        basic = highspy.HighsBasisStatus.kBasic
        tol = 1e-9
        cs = np.array([s == basic for s in basis.col_status])
        x = np.asarray(sol.col_value)[cs]
        lo, up = np.asarray(lp.col_lower_)[cs], np.asarray(lp.col_upper_)[cs]
        if np.any(np.abs(x - lo) <= tol * (1 + np.abs(lo))) or np.any(
            np.abs(x - up) <= tol * (1 + np.abs(up))
        ):
            return True
        rs = np.array([s == basic for s in basis.row_status])
        r = np.asarray(sol.row_value)[rs]
        lo, up = np.asarray(lp.row_lower_)[rs], np.asarray(lp.row_upper_)[rs]
        return bool(
            np.any(np.abs(r - lo) <= tol * (1 + np.abs(lo)))
            or np.any(np.abs(r - up) <= tol * (1 + np.abs(up)))
        )

    def _ipm_duals(self) -> np.ndarray | None:
        """Duals of the final LP by interior point without crossover, from a cold start in
        a fresh HiGHS instance (integers fixed at the solution's values)."""
        lp = self.highs.getLp()
        n = self.sf.n_cols
        if self.is_mip:
            cols = self.sf.integer
            fixed = np.round(self._x[cols])
            lo, up = np.asarray(lp.col_lower_).copy(), np.asarray(lp.col_upper_).copy()
            lo[cols] = fixed
            up[cols] = fixed
            lp.col_lower_, lp.col_upper_ = lo, up
            lp.integrality_ = [highspy.HighsVarType.kContinuous] * n
        h = self._new_highs()
        h.setOptionValue("solver", "ipm")
        h.setOptionValue("run_crossover", "off")
        h.setOptionValue("time_limit", float(self.spec.time_limit))
        h.passModel(lp)
        h.run()
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            ended = _status(h.getModelStatus(), h.getInfo())
            self.stats.notes.append(f"shadow prices not available: the dual solve ended {ended}")
            return None
        return np.asarray(h.getSolution().row_dual)


def _finite(a: np.ndarray, inf: float) -> np.ndarray:
    """Infinite bounds as HiGHS's infinity."""
    return np.where(np.isinf(a), inf, a)


def _set_cells(df, values: dict) -> None:
    """Write ``{(row, column): value}`` into a DataFrame in one operation."""
    rows = df.index.get_indexer([k[0] for k in values])
    cols = df.columns.get_indexer([k[1] for k in values])
    if (rows < 0).any() or (cols < 0).any():
        raise KeyError("a row or column is not in the table")
    vals = np.fromiter(values.values(), dtype=float, count=len(values))
    for j in np.unique(cols):
        sel = cols == j
        col = df.iloc[:, j].to_numpy(dtype=float, copy=True)
        col[rows[sel]] = vals[sel]
        df.isetitem(j, col)


class _CostGap:
    """Stops a MIP search when the gap is within ``rel`` of the incumbent's cost, the
    objective without the shortfall penalty (a relative gap on the penalty-inflated
    objective would allow billions of euros)."""

    def __init__(self, solver: PortfolioSolver, rel: float) -> None:
        self.rel = rel
        self.short, self.weight = solver._penalty_weights()
        self.cost = math.nan
        self.done = False

    def attach(self, h: highspy.Highs) -> None:
        h.cbMipImprovingSolution.subscribe(self._improving)
        h.cbMipInterrupt.subscribe(self._interrupt)

    def detach(self, h: highspy.Highs) -> None:
        h.cbMipImprovingSolution.unsubscribe(self._improving)
        h.cbMipInterrupt.unsubscribe(self._interrupt)

    def _improving(self, e) -> None:
        sol = np.asarray(e.data_out.mip_solution)
        priced = float(self.weight @ sol[self.short]) if len(self.short) else 0.0
        self.cost = float(e.data_out.objective_function_value) - priced

    def _interrupt(self, e) -> None:
        # The flag is set either way: HiGHS keeps it between runs of one instance.
        if not math.isnan(self.cost):
            gap = float(e.data_out.mip_primal_bound) - float(e.data_out.mip_dual_bound)
            self.done = gap <= max(1e-6, self.rel * abs(self.cost))
        e.interrupt(self.done)


def _is_limit(status) -> bool:
    return status in (
        highspy.HighsModelStatus.kTimeLimit,
        highspy.HighsModelStatus.kIterationLimit,
        highspy.HighsModelStatus.kSolutionLimit,
    )


def _limit_name(status) -> str:
    return {
        highspy.HighsModelStatus.kTimeLimit: "time limit",
        highspy.HighsModelStatus.kIterationLimit: "iteration limit",
        highspy.HighsModelStatus.kSolutionLimit: "solution limit",
        highspy.HighsModelStatus.kInterrupt: "interrupt",
    }.get(status, "")


def _status(status: highspy.HighsModelStatus, info) -> str:
    if status == highspy.HighsModelStatus.kOptimal:
        return "optimal"
    if _is_limit(status) or status == highspy.HighsModelStatus.kInterrupt:
        return "feasible" if info.primal_solution_status == 2 else "no solution"
    if status == highspy.HighsModelStatus.kInfeasible:
        return "infeasible"
    return str(status).rsplit(".", 1)[-1]
