"""The Pyomo model as a parametric standard form: matrix, bounds and costs, each entry a
polynomial in the model's mutable parameters.

Pyomo's ``LinearStandardFormCompiler`` evaluates mutable parameters when it compiles, so a
changed grid factor, price, capex multiplier or discount rate used to mean compiling the
whole model again (most of the time of an ensemble sample). Here the model is compiled once
with the parameters kept symbolic: every coefficient becomes a sum of monomials
:math:`a \\prod_i \\theta_{s_i}` over a flat vector :math:`\\theta` of parameter values,
stored as arrays. Changing parameters then re-evaluates the affected entries with a few
vectorised numpy operations, and the solver writes only what changed into HiGHS.

Each objective and constraint is read in one walk of its expression tree (:class:`_Linear`),
which gives the same linear form, variable order and coefficients as
``generate_standard_repn(..., compute_values=False)`` followed by :func:`_poly`, the
general path, still used for the shapes the walker does not know (and tested against it,
and against Pyomo's ``LinearStandardFormCompiler``, in ``tests/test_compile.py``).

Fixed variables are compiled as constants at their fixed values; fixing or unfixing a
variable after compiling needs a new compile (:meth:`PortfolioSolver.recompile`).
"""

from __future__ import annotations

import gc
import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import chain

import numpy as np
import pyomo.environ as pyo
from pyomo.common.numeric_types import native_numeric_types
from pyomo.core.expr import numeric_expr as ne
from pyomo.repn import generate_standard_repn

MAX_DEGREE = 3  # the most parameters multiplied in one coefficient of this model

Poly = list[tuple[float, tuple[int, ...]]]


@contextmanager
def gc_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused for a block. Building a model allocates
    hundreds of thousands of small objects that stay alive, and the collector, triggered
    by allocations, walks them again and again (about half the time of ``build_model`` on
    the 13-city model). Temporaries are freed by reference counting meanwhile; the
    collector resumes afterwards (its first pass then walks the new objects once)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


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


_SUMS = (ne.SumExpression, ne.NPV_SumExpression, ne.LinearExpression)


def _poly(e, params: _Params) -> Poly:
    """A coefficient expression as a list of monomials (coefficient, parameter slots)."""
    if e.__class__ in (int, float):
        return [(float(e), ())] if e else []
    if not hasattr(e, "is_expression_type"):
        return [(float(e), ())] if float(e) else []
    if e.is_expression_type():
        if isinstance(e, _SUMS):
            # Sums nest deeply (Python's sum() builds a chain): flatten without recursion,
            # terms in order (as the walker, so that both sum them alike).
            out: Poly = []
            stack = [e]
            while stack:
                x = stack.pop()
                if hasattr(x, "is_expression_type") and isinstance(x, _SUMS):
                    stack.extend(reversed(x.args))
                else:
                    out.extend(_poly(x, params))
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


# ---------------------------------------------------------------------------------------
# Linear forms with parametric coefficients, in one walk of each expression tree
# ---------------------------------------------------------------------------------------
# A coefficient is a float (made of numbers only, as Pyomo's native constants) or a Poly
# (it involves a mutable parameter, even if it is zero now). The distinction matters
# because, like ``generate_standard_repn``, a row drops a variable whose coefficient is a
# native zero and keeps one whose coefficient is a parametric expression.
Coef = float | Poly


class _Fallback(Exception):
    """An expression the walker does not handle: compiled by ``generate_standard_repn``."""


def _times(a: Coef, b: Coef) -> Coef:
    """The product of two coefficients, ``a`` the outer multiplier (kept first in the
    parameter slots, as ``_poly`` of Pyomo's ``multiplier * coefficient``)."""
    if a.__class__ is float:
        if b.__class__ is float:
            return a * b
        if a == 1.0:
            return b
        return [(a * c, s) for c, s in b if a * c != 0.0]
    if b.__class__ is float:
        if b == 1.0:
            return a
        return [(c * b, s) for c, s in a if c * b != 0.0]
    return [(ca * cb, sa + sb) for ca, sa in a for cb, sb in b if ca * cb != 0.0]


def _as_poly(a: Coef) -> Poly:
    if a.__class__ is float:
        return [(a, ())] if a else []
    return a


def _is_number(x) -> bool:
    return x.__class__ in native_numeric_types or not hasattr(x, "is_expression_type")


def _plus(a: Coef, b: Coef) -> Coef:
    if a.__class__ is float and b.__class__ is float:
        return a + b
    return _as_poly(a) + _as_poly(b)


_MONOMIAL = ne.MonomialTermExpression
_SUM = ne.SumExpression
_LINEAR = ne.LinearExpression
_PRODUCT = ne.ProductExpression


class _Linear:
    """The linear form of an expression, ``const + sum_v coef_v v``, with coefficients
    (floats or Polys) following ``generate_standard_repn(..., compute_values=False)``
    followed by ``_poly``, in one walk instead of two: a multiplier is carried down the
    tree (products, negations, divisions by a number) and applied at the leaves. Named
    expressions (``m.spend``, ``m.activity``) are walked once and reused; parameters are
    mapped to their slot once.

    ``form(e)`` returns ``(lin, var_of, const)``: coefficients by ``id`` of the variable
    (in the order variables are first met), the variables, and the constant as a list of
    coefficients. Anything else (a product of two variable expressions, a division by a
    parameter, functions, immutable parameters) raises :class:`_Fallback`."""

    def __init__(self, params: _Params) -> None:
        self.params = params
        self.named: dict[int, tuple] = {}
        self.memo: dict[int, tuple] = {}
        self.dispatch = {
            _MONOMIAL: self._monomial,
            _SUM: self._sum,
            _LINEAR: self._sum,
            _PRODUCT: self._product,
            ne.NegationExpression: self._negation,
            ne.DivisionExpression: self._division,
        }

    def form(self, e) -> tuple[dict[int, Coef], dict[int, object], list[Coef]]:
        lin: dict[int, Coef] = {}
        var_of: dict[int, object] = {}
        const: list[Coef] = []
        self.collect(e, 1.0, lin, var_of, const)
        return lin, var_of, const

    def collect(self, e, mult: Coef, lin: dict, var_of: dict, const: list) -> None:
        handler = self.dispatch.get(e.__class__)
        if handler is None:
            handler = self._classify(e)
        handler(e, mult, lin, var_of, const)

    def _classify(self, e):
        cls = e.__class__
        if _is_number(e):
            handler = self._number
        elif not e.is_potentially_variable():
            handler = self._constant
        elif e.is_variable_type():
            handler = self._variable
        elif e.is_named_expression_type():
            handler = self._named
        else:
            raise _Fallback
        self.dispatch[cls] = handler
        return handler

    # -- leaves ------------------------------------------------------------------------
    def _number(self, e, mult, lin, var_of, const) -> None:
        if e:
            const.append(_times(mult, float(e)))

    def _constant(self, e, mult, lin, var_of, const) -> None:
        const.append(_times(mult, self.poly(e)))

    def _variable(self, v, mult, lin, var_of, const) -> None:
        if v.fixed:  # a constant at its value
            if v.value:
                const.append(_times(mult, float(v.value)))
            return
        k = id(v)
        old = lin.get(k)
        if old is None:
            lin[k] = mult
            var_of[k] = v
        else:
            lin[k] = _plus(old, mult)

    # -- operators ---------------------------------------------------------------------
    def _sum(self, e, mult, lin, var_of, const) -> None:
        dispatch = self.dispatch
        monomial, variable = self._monomial, self._variable
        for arg in e.args:
            handler = dispatch.get(arg.__class__)
            if handler is monomial:  # the common terms, without a call
                c, v = arg._args_
                if c.__class__ is float and mult.__class__ is float:
                    if c:
                        variable(v, mult * c, lin, var_of, const)
                elif not _is_number(c):
                    variable(v, _times(mult, self.poly(c)), lin, var_of, const)
                elif c:
                    variable(v, _times(mult, float(c)), lin, var_of, const)
            elif handler is variable:
                variable(arg, mult, lin, var_of, const)
            else:
                if handler is None:
                    handler = self._classify(arg)
                handler(arg, mult, lin, var_of, const)

    def _monomial(self, e, mult, lin, var_of, const) -> None:
        c, v = e._args_
        if not _is_number(c):
            self._variable(v, _times(mult, self.poly(c)), lin, var_of, const)
        elif c:
            self._variable(v, _times(mult, float(c)), lin, var_of, const)

    def _product(self, e, mult, lin, var_of, const) -> None:
        a, b = e._args_
        if _is_number(a):
            if a:
                self.collect(b, _times(mult, float(a)), lin, var_of, const)
        elif _is_number(b):
            if b:
                self.collect(a, _times(mult, float(b)), lin, var_of, const)
        elif not a.is_potentially_variable():
            self.collect(b, _times(mult, self.poly(a)), lin, var_of, const)
        elif not b.is_potentially_variable():
            self.collect(a, _times(mult, self.poly(b)), lin, var_of, const)
        else:
            raise _Fallback

    def _negation(self, e, mult, lin, var_of, const) -> None:
        self.collect(e._args_[0], _times(mult, -1.0), lin, var_of, const)

    def _division(self, e, mult, lin, var_of, const) -> None:
        num, den = e._args_
        if not _is_number(den):
            raise _Fallback
        den = float(den)
        if not den:
            raise ZeroDivisionError(f"division by zero in {e}")
        mult = mult / den if mult.__class__ is float else [(c / den, s) for c, s in mult]
        self.collect(num, mult, lin, var_of, const)

    def _named(self, e, mult, lin, var_of, const) -> None:
        hit = self.named.get(id(e))
        if hit is None:
            sub_lin, sub_var, sub_const = self.form(e.expr)
            terms = [
                (k, sub_var[k], c)
                for k, c in sub_lin.items()
                if c.__class__ is not float or c  # native zeros dropped, as Pyomo's sums do
            ]
            hit = self.named[id(e)] = (e, terms, sub_const)
        _, terms, sub_const = hit
        if mult.__class__ is not float or mult != 1.0:
            terms = [(k, v, _times(mult, c)) for k, v, c in terms]
        for k, v, c in terms:
            old = lin.get(k)
            if old is None:
                lin[k] = c
                var_of[k] = v
            else:
                lin[k] = _plus(old, c)
        for c in sub_const:
            const.append(_times(mult, c))

    # -- coefficients (expressions without variables) -------------------------------------
    def poly(self, e) -> Poly:
        """``_poly`` for the usual shapes (parameters, products, sums, negations,
        divisions by a number), a list of monomials; anything else raises ``_Fallback``.
        The result may be shared: never modify it."""
        hit = self.memo.get(id(e))  # parameters, and sums met before
        if hit is not None:
            return hit[1]
        cls = e.__class__
        if cls is ne.NPV_ProductExpression:
            a, b = e._args_
            return _mul(self.poly(a), self.poly(b))
        if _is_number(e):
            return [(float(e), ())] if e else []
        if cls is ne.NPV_SumExpression:  # (the energy cost of a project, in every year)
            out: Poly = []
            for arg in e.args:
                out.extend(self.poly(arg))
            self.memo[id(e)] = (e, out)  # the expression kept alive: its id stays its own
            return out
        if cls is ne.NPV_NegationExpression:
            return [(-c, s) for c, s in self.poly(e._args_[0])]
        if cls is ne.NPV_DivisionExpression:
            num, den = e._args_
            if not _is_number(den):
                raise _Fallback
            den = float(den)
            return [(c / den, s) for c, s in self.poly(num)]
        if e.is_parameter_type():
            if not getattr(e.parent_component(), "mutable", False):
                raise _Fallback
            out = [(1.0, (self.params.of(e),))]
            self.memo[id(e)] = (e, out)
            return out
        if not e.is_expression_type() and not e.is_variable_type() and e.is_constant():
            v = float(pyo.value(e))  # a numeric constant
            return [(v, ())] if v else []
        raise _Fallback


class _Vector:
    """A ParamVector filled one position at a time with coefficients."""

    def __init__(self) -> None:
        self.static: list[float] = []
        self.at: list[int] = []
        self.coef: list[float] = []
        self.slots: list[tuple[int, ...]] = []

    def add(self, c: Coef) -> None:
        if c.__class__ is float:
            self.static.append(c)
            return
        i = len(self.static)
        v = 0.0
        for a, s in c:
            if s:
                self.at.append(i)
                self.coef.append(a)
                self.slots.append(s)
            else:
                v += a
        self.static.append(v)

    def done(self, order: np.ndarray | None = None) -> ParamVector:
        """The vector, its positions permuted by ``order`` (new position -> old) if given."""
        n = len(self.slots)
        degree = np.fromiter(map(len, self.slots), dtype=np.int64, count=n)
        if n and degree.max() > MAX_DEGREE:
            raise CompileError(f"a coefficient multiplies {degree.max()} parameters")
        # Slots as a (MAX_DEGREE, n) array, padded with slot 0 (the constant 1).
        flat = np.fromiter(chain.from_iterable(self.slots), dtype=np.int64, count=degree.sum())
        first = np.cumsum(degree) - degree
        slots = np.zeros((MAX_DEGREE, n), dtype=np.int64)
        which = np.arange(len(flat)) - np.repeat(first, degree)  # 0, 1 or 2 in its monomial
        slots[which, np.repeat(np.arange(n), degree)] = flat
        static = np.asarray(self.static, dtype=float)
        at = np.asarray(self.at, dtype=np.int64)
        if order is not None:
            static = static[order]
            where = np.empty(len(order), dtype=np.int64)
            where[order] = np.arange(len(order))
            at = where[at]
        return ParamVector(
            static=static,
            at=at,
            coef=np.asarray(self.coef, dtype=float),
            slots=slots,
        )


def _generic_form(e, params: _Params, owner):
    """The slow, general path: ``generate_standard_repn`` and ``_poly``."""
    repn = generate_standard_repn(e, compute_values=False, quadratic=False)
    if repn.nonlinear_expr is not None:
        what = "the objective" if owner.ctype is pyo.Objective else f"constraint {owner.name}"
        raise CompileError(f"{what} is not linear")
    lin = {}
    var_of = {}
    for c, v in zip(repn.linear_coefs, repn.linear_vars, strict=True):
        lin[id(v)] = _poly(c, params)
        var_of[id(v)] = v
    return lin, var_of, [_poly(repn.constant, params)]


def compile_model(m: pyo.ConcreteModel) -> StandardForm:
    """Compile a linear (mixed-integer) Pyomo model with one objective."""
    with gc_paused():
        return _compile(m)


def _compile(m: pyo.ConcreteModel) -> StandardForm:
    params = _Params()
    walker = _Linear(params)
    col_of: dict[int, int] = {}
    col_vars: list = []

    def form(e, owner):
        try:
            return walker.form(e)
        except _Fallback:
            return _generic_form(e, params, owner)

    objs = list(m.component_data_objects(pyo.Objective, active=True))
    if len(objs) != 1:
        raise CompileError(f"the model has {len(objs)} active objectives (expected 1)")
    obj = objs[0]
    sign = 1.0 if obj.sense == pyo.minimize else -1.0
    lin, var_of, const = form(obj.expr, obj)
    cost_of: dict[int, Coef] = {}
    for k, c in lin.items():
        if c.__class__ is float and not c:
            continue
        col_of[k] = len(col_vars)
        col_vars.append(var_of[k])
        cost_of[col_of[k]] = _times(sign, _as_poly(c))
    offset = _Vector()
    offset.add([(sign * a, s) for c in const for a, s in _as_poly(c)])

    row_keys: list[tuple[str, object]] = []
    lower, upper = _Vector(), _Vector()
    entry_row: list[int] = []
    entry_col: list[int] = []
    matrix = _Vector()
    matrix_static = matrix.static  # the usual entry: a plain number
    names: dict[int, str] = {}
    for con in m.component_data_objects(pyo.Constraint, active=True):
        lo, body, up = con.to_bounded_expression()
        lin, var_of, const = form(body, con)
        i = len(row_keys)
        comp = con.parent_component()
        name = names.get(id(comp))
        if name is None:
            name = names[id(comp)] = comp.name
        row_keys.append((name, con.index()))
        neg = [(-a, s) for c in const for a, s in _as_poly(c)]
        lower.add([(-math.inf, ())] if lo is None else _bound_poly(walker, lo, params) + neg)
        upper.add([(math.inf, ())] if up is None else _bound_poly(walker, up, params) + neg)
        for k, c in lin.items():
            if c.__class__ is float and not c:
                continue
            j = col_of.get(k)
            if j is None:
                j = col_of[k] = len(col_vars)
                col_vars.append(var_of[k])
            entry_row.append(i)
            entry_col.append(j)
            if c.__class__ is float:
                matrix_static.append(c)
            else:
                matrix.add(c)

    n = len(col_vars)
    n_rows = len(row_keys)
    cost = _Vector()
    for j in range(n):
        cost.add(cost_of.get(j, 0.0))
    # CSC order: by column, then row (a variable appears once in a row's linear form).
    rr = np.asarray(entry_row, dtype=np.int64)
    cc = np.asarray(entry_col, dtype=np.int64)
    order = np.lexsort((rr, cc))
    key = cc[order] * max(1, n_rows) + rr[order]
    if len(key) > 1 and not (np.diff(key) > 0).all():
        raise CompileError("a variable appears twice in one row")
    a_index = rr[order].astype(np.int32)
    a_start = np.searchsorted(cc[order], np.arange(n + 1)).astype(np.int32)

    bounds = [v.bounds for v in col_vars]
    col_lower = np.array([-math.inf if lb is None else float(lb) for lb, _ in bounds])
    col_upper = np.array([math.inf if ub is None else float(ub) for _, ub in bounds])
    integer = np.array([j for j, v in enumerate(col_vars) if v.is_integer()], dtype=np.int32)
    col_keys = []
    for v in col_vars:
        comp = v.parent_component()
        name = names.get(id(comp))
        if name is None:
            name = names[id(comp)] = comp.name
        col_keys.append((name, v.index()))
    sf = StandardForm(
        col_vars=col_vars,
        col_keys=col_keys,
        row_keys=row_keys,
        col_lower=col_lower,
        col_upper=col_upper,
        integer=integer,
        cost=cost.done(),
        offset=offset.done(),
        row_lower=lower.done(),
        row_upper=upper.done(),
        a_start=a_start,
        a_index=a_index,
        a_value=matrix.done(order),
        params=params,
    )
    for j, (name, idx) in enumerate(col_keys):
        sf.col_pos.setdefault(name, {})[idx] = j
    for i, (name, idx) in enumerate(row_keys):
        sf.row_pos.setdefault(name, {})[idx] = i
    return sf


def _bound_poly(walker: _Linear, e, params: _Params) -> Poly:
    """A row bound as a Poly (the walker's fast path, else ``_poly``)."""
    try:
        return walker.poly(e)
    except _Fallback:
        return _poly(e, params)
