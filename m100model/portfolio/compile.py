"""The Pyomo model as a parametric standard form: matrix, bounds and costs, each entry a
polynomial in the model's mutable parameters.

Pyomo's ``LinearStandardFormCompiler`` evaluates mutable parameters when it compiles, so a
changed grid factor, price, capex multiplier or discount rate used to mean compiling the
whole model again (most of the time of an ensemble sample). Here the model is compiled once
with the parameters kept symbolic (``generate_standard_repn(..., compute_values=False)``):
every coefficient becomes a sum of monomials :math:`a \\prod_i \\theta_{s_i}` over a flat
vector :math:`\\theta` of parameter values, stored as arrays. Changing parameters then
re-evaluates the affected entries with a few vectorised numpy operations, and the solver
writes only what changed into HiGHS.

Fixed variables are compiled as constants at their fixed values; fixing or unfixing a
variable after compiling needs a new compile (:meth:`PortfolioSolver.recompile`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pyomo.environ as pyo
from pyomo.core.expr import numeric_expr as ne
from pyomo.repn import generate_standard_repn

MAX_DEGREE = 3  # the most parameters multiplied in one coefficient of this model

Poly = list[tuple[float, tuple[int, ...]]]


class CompileError(ValueError):
    """The model holds something the standard form cannot carry."""


class _Params:
    """Slots of the mutable parameters in the flat vector; slot 0 is the constant 1."""

    def __init__(self) -> None:
        self.slot: dict[int, int] = {}
        self.objects: list = [None]

    def of(self, p) -> int:
        k = self.slot.get(id(p))
        if k is None:
            k = len(self.objects)
            self.slot[id(p)] = k
            self.objects.append(p)
        return k

    def values(self) -> np.ndarray:
        out = np.ones(len(self.objects))
        for k in range(1, len(self.objects)):
            out[k] = pyo.value(self.objects[k])
        return out


def _mul(a: Poly, b: Poly) -> Poly:
    return [(ca * cb, sa + sb) for ca, sa in a for cb, sb in b if ca * cb != 0.0]


def _poly(e, params: _Params) -> Poly:
    """A coefficient expression as a list of monomials (coefficient, parameter slots)."""
    if e.__class__ in (int, float):
        return [(float(e), ())] if e else []
    if not hasattr(e, "is_expression_type"):
        return [(float(e), ())] if float(e) else []
    if e.is_expression_type():
        if isinstance(e, ne.SumExpression | ne.NPV_SumExpression | ne.LinearExpression):
            out: Poly = []
            for arg in e.args:
                out.extend(_poly(arg, params))
            return out
        if isinstance(e, ne.ProductExpression | ne.MonomialTermExpression):
            a, b = e.args
            return _mul(_poly(a, params), _poly(b, params))
        if isinstance(e, ne.NegationExpression):
            return [(-c, s) for c, s in _poly(e.args[0], params)]
        if isinstance(e, ne.DivisionExpression):
            num, den = e.args
            if den.__class__ not in (int, float) and not _is_constant(den):
                raise CompileError(f"division by a parameter in {e}")
            return [(c / float(pyo.value(den)), s) for c, s in _poly(num, params)]
        raise CompileError(f"unsupported expression {type(e).__name__} in a coefficient: {e}")
    if e.is_parameter_type():
        if getattr(e, "mutable", True) and not _is_constant(e):
            return [(1.0, (params.of(e),))]
        v = float(pyo.value(e))
        return [(v, ())] if v else []
    if e.is_variable_type():  # a fixed variable: a constant at its value
        v = float(e.value or 0.0)
        return [(v, ())] if v else []
    v = float(pyo.value(e))
    return [(v, ())] if v else []


def _is_constant(e) -> bool:
    if e.__class__ in (int, float):
        return True
    if e.is_parameter_type():
        return not getattr(e.parent_component(), "mutable", False)
    return e.is_constant()


@dataclass
class ParamVector:
    """One vector of the standard form (costs, row bounds or matrix values): a static part
    plus monomials ``coef * theta[s1] * theta[s2] * theta[s3]`` added at positions ``at``."""

    static: np.ndarray
    at: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    coef: np.ndarray = field(default_factory=lambda: np.zeros(0))
    slots: np.ndarray = field(default_factory=lambda: np.zeros((MAX_DEGREE, 0), dtype=np.int64))

    @classmethod
    def from_polys(cls, polys: list[Poly], size: int) -> ParamVector:
        static = np.zeros(size)
        at, coef, slots = [], [], []
        for i, poly in enumerate(polys):
            for c, s in poly:
                if not s:
                    static[i] += c
                    continue
                if len(s) > MAX_DEGREE:
                    raise CompileError(f"a coefficient multiplies {len(s)} parameters")
                at.append(i)
                coef.append(c)
                slots.append(s + (0,) * (MAX_DEGREE - len(s)))
        return cls(
            static=static,
            at=np.asarray(at, dtype=np.int64),
            coef=np.asarray(coef, dtype=float),
            slots=np.asarray(slots, dtype=np.int64).reshape(-1, MAX_DEGREE).T.copy(),
        )

    @property
    def parametric(self) -> bool:
        return len(self.at) > 0

    def evaluate(self, theta: np.ndarray) -> np.ndarray:
        if not self.parametric:
            return self.static.copy()
        terms = self.coef * theta[self.slots[0]] * theta[self.slots[1]] * theta[self.slots[2]]
        return self.static + np.bincount(self.at, weights=terms, minlength=len(self.static))


@dataclass
class StandardForm:
    """``min c'x + c0  s.t.  lo <= A x <= up,  l <= x <= u`` with parametric c, c0, lo, up, A.

    Columns and rows keep their Pyomo names: ``col_keys[j] = (variable name, index)`` and
    ``row_keys[i] = (constraint name, index)``; ``col_pos`` and ``row_pos`` map back."""

    col_vars: list
    col_keys: list[tuple[str, object]]
    row_keys: list[tuple[str, object]]
    col_lower: np.ndarray
    col_upper: np.ndarray
    integer: np.ndarray  # column numbers of integer variables
    cost: ParamVector
    offset: ParamVector
    row_lower: ParamVector
    row_upper: ParamVector
    a_start: np.ndarray  # CSC pattern
    a_index: np.ndarray
    a_value: ParamVector
    params: _Params
    col_pos: dict[str, dict[object, int]] = field(default_factory=dict)
    row_pos: dict[str, dict[object, int]] = field(default_factory=dict)

    @property
    def n_cols(self) -> int:
        return len(self.col_keys)

    @property
    def n_rows(self) -> int:
        return len(self.row_keys)


def _key(obj) -> tuple[str, object]:
    return obj.parent_component().name, obj.index()


def compile_model(m: pyo.ConcreteModel) -> StandardForm:
    """Compile a linear (mixed-integer) Pyomo model with one objective."""
    params = _Params()
    col_of: dict[int, int] = {}
    col_vars: list = []

    def col(v) -> int:
        j = col_of.get(id(v))
        if j is None:
            j = len(col_vars)
            col_of[id(v)] = j
            col_vars.append(v)
        return j

    objs = list(m.component_data_objects(pyo.Objective, active=True))
    if len(objs) != 1:
        raise CompileError(f"the model has {len(objs)} active objectives (expected 1)")
    obj = objs[0]
    sign = 1.0 if obj.sense == pyo.minimize else -1.0
    repn = generate_standard_repn(obj.expr, compute_values=False, quadratic=False)
    if repn.nonlinear_expr is not None:
        raise CompileError("the objective is not linear")
    cost_terms: dict[int, Poly] = {}
    for c, v in zip(repn.linear_coefs, repn.linear_vars, strict=True):
        cost_terms.setdefault(col(v), []).extend((sign * a, s) for a, s in _poly(c, params))
    offset_poly = [(sign * a, s) for a, s in _poly(repn.constant, params)]

    row_keys: list[tuple[str, object]] = []
    lo_polys: list[Poly] = []
    up_polys: list[Poly] = []
    entries_r: list[int] = []
    entries_c: list[int] = []
    entry_polys: list[Poly] = []
    inf: Poly = [(math.inf, ())]
    for con in m.component_data_objects(pyo.Constraint, active=True):
        repn = generate_standard_repn(con.body, compute_values=False, quadratic=False)
        if repn.nonlinear_expr is not None:
            raise CompileError(f"constraint {con.name} is not linear")
        i = len(row_keys)
        row_keys.append(_key(con))
        const = _poly(repn.constant, params)
        neg = [(-a, s) for a, s in const]
        lo = con.lower
        up = con.upper
        lo_polys.append([(-math.inf, ())] if lo is None else _poly(lo, params) + neg)
        up_polys.append(inf if up is None else _poly(up, params) + neg)
        for c, v in zip(repn.linear_coefs, repn.linear_vars, strict=True):
            poly = _poly(c, params)
            entries_r.append(i)
            entries_c.append(col(v))
            entry_polys.append(poly)

    n = len(col_vars)
    cost = ParamVector.from_polys([cost_terms.get(j, []) for j in range(n)], n)
    offset = ParamVector.from_polys([offset_poly], 1)
    row_lower = ParamVector.from_polys(lo_polys, len(row_keys))
    row_upper = ParamVector.from_polys(up_polys, len(row_keys))
    # CSC order: by column, then row; duplicates (a variable twice in a row) summed.
    rr = np.asarray(entries_r, dtype=np.int64)
    cc = np.asarray(entries_c, dtype=np.int64)
    order = np.lexsort((rr, cc))
    key = cc[order] * max(1, len(row_keys)) + rr[order]
    uniq, first = np.unique(key, return_index=True)
    slot_of_entry = np.empty(len(order), dtype=np.int64)
    slot_of_entry[order] = np.searchsorted(uniq, key)
    merged: list[Poly] = [[] for _ in range(len(uniq))]
    for e, poly in enumerate(entry_polys):
        merged[slot_of_entry[e]].extend(poly)
    a_index = (uniq % max(1, len(row_keys))).astype(np.int32)
    a_cols = uniq // max(1, len(row_keys))
    a_start = np.searchsorted(a_cols, np.arange(n + 1)).astype(np.int32)
    a_value = ParamVector.from_polys(merged, len(uniq))
    del first

    col_lower = np.array([-math.inf if v.lb is None else float(v.lb) for v in col_vars])
    col_upper = np.array([math.inf if v.ub is None else float(v.ub) for v in col_vars])
    integer = np.array([j for j, v in enumerate(col_vars) if v.is_integer()], dtype=np.int32)
    col_keys = [_key(v) for v in col_vars]
    sf = StandardForm(
        col_vars=col_vars,
        col_keys=col_keys,
        row_keys=row_keys,
        col_lower=col_lower,
        col_upper=col_upper,
        integer=integer,
        cost=cost,
        offset=offset,
        row_lower=row_lower,
        row_upper=row_upper,
        a_start=a_start,
        a_index=a_index,
        a_value=a_value,
        params=params,
    )
    for j, (name, idx) in enumerate(col_keys):
        sf.col_pos.setdefault(name, {})[idx] = j
    for i, (name, idx) in enumerate(row_keys):
        sf.row_pos.setdefault(name, {})[idx] = i
    return sf
