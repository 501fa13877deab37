"""The parametric standard form (:mod:`m100model.portfolio.compile`) against Pyomo's own
``LinearStandardFormCompiler``, an independent compiler that evaluates the parameters when
it compiles.

For random instances (``tests/portfolio_instances.py``), the workshop scenario and a small
hand-made model with the shapes the fast walker leaves to the generic path: rows and
columns are matched by name, our vectors evaluated at the model's parameter values
(``sf.params.values()``) and compared with Pyomo's matrix, costs, offset and right-hand
sides; then the mutable parameters are changed in the Pyomo model and our vectors,
evaluated at the re-read values without compiling again, are compared with a fresh Pyomo
compile. The comparison is shown to fail on a stale parameter vector and on corrupted
compiled forms. Last, the fast walker is checked against the general path it replaces
(``generate_standard_repn`` and ``_poly``): equal to the last bit at random parameters.
"""

from __future__ import annotations

import functools

import numpy as np
import pyomo.environ as pyo
import pytest
import scipy.sparse as sp
from portfolio_instances import random_instance
from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler

from m100model.portfolio import compile as compile_module
from m100model.portfolio.build import build_model
from m100model.portfolio.compile import CompileError, StandardForm, compile_model
from m100model.tables import data_dir

RTOL, ATOL = 1e-9, 1e-9
CASES = [
    *[dict(seed=s, integer=False) for s in (100, 101, 102, 103)],
    *[dict(seed=s, integer=True) for s in (1100, 1101, 1102, 1103)],
    dict(seed=7, integer=True, budget=True),
    dict(seed=8, integer=True, decision_step=2),
]
IDS = [
    f"{'mip' if c['integer'] else 'lp'}{c['seed']}"
    + ("-budget" if c.get("budget") else "")
    + ("-step2" if c.get("decision_step") else "")
    for c in CASES
]


def _name(obj) -> tuple[str, object]:
    return obj.parent_component().name, obj.index()


def _close(ours: np.ndarray, ref: np.ndarray, what: str) -> None:
    ours, ref = np.asarray(ours, dtype=float), np.asarray(ref, dtype=float)
    assert ours.shape == ref.shape, f"{what}: shapes {ours.shape} and {ref.shape}"
    bad = ~np.isclose(ours, ref, rtol=RTOL, atol=ATOL)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise AssertionError(
            f"{what}: {int(bad.sum())} of {bad.size} differ, first at {i}: {ours.flat[i]!r} "
            f"(compiled) vs {ref.flat[i]!r} (Pyomo)"
        )


def assert_matches_pyomo(sf: StandardForm, m: pyo.ConcreteModel, theta: np.ndarray) -> None:
    """Our compiled form, evaluated at ``theta``, is Pyomo's standard form of ``m`` as it is
    now (mixed form: one row per equality, one per finite side of an inequality)."""
    ref = LinearStandardFormCompiler().write(m, mixed_form=True)
    rhs = np.asarray(ref.rhs, dtype=float)
    cost = sf.cost.evaluate(theta)
    offset = sf.offset.evaluate(theta)
    lower = sf.row_lower.evaluate(theta)
    upper = sf.row_upper.evaluate(theta)
    a = sp.csc_array(
        (sf.a_value.evaluate(theta), sf.a_index, sf.a_start), shape=(sf.n_rows, sf.n_cols)
    )

    # Columns: every Pyomo column is ours; ours that Pyomo drops have no nonzero now.
    for j, v in enumerate(sf.col_vars):
        assert _name(v) == sf.col_keys[j], f"column {j}: {sf.col_keys[j]} is {v.name}"
        assert not v.fixed, f"fixed variable {v.name} compiled as a column"
    cols = np.array([sf.col_pos[name][idx] for name, idx in map(_name, ref.columns)], dtype=int)
    assert len(set(cols.tolist())) == len(cols)
    dropped = np.setdiff1d(np.arange(sf.n_cols), cols)
    _close(cost[dropped], np.zeros(len(dropped)), "cost of columns Pyomo drops")
    _close(
        abs(a[:, dropped]).sum(axis=0) if len(dropped) else np.zeros(0),
        np.zeros(len(dropped)),
        "matrix columns Pyomo drops",
    )

    # Rows: each of ours is in Pyomo's list with the senses its bounds call for.
    senses: dict[int, list[tuple[int, int]]] = {}
    for r, (con, sense) in enumerate(ref.rows):
        i = sf.row_pos[_name(con)[0]][_name(con)[1]]
        senses.setdefault(i, []).append((sense, r))
    rows = np.array([sf.row_pos[name][idx] for name, idx in (_name(c) for c, _ in ref.rows)])
    for i in range(sf.n_rows):
        name = sf.row_keys[i]
        got = sorted(s for s, _ in senses.get(i, []))
        if not got:  # Pyomo leaves out rows without variables: ours must be empty and hold
            assert a[[i], :].count_nonzero() == 0 or abs(a[[i], :]).max() <= ATOL, name
            assert lower[i] <= ATOL and upper[i] >= -ATOL, name
            continue
        if np.isfinite(lower[i]) and np.isclose(lower[i], upper[i], rtol=RTOL, atol=ATOL):
            want = [0]
        else:
            want = sorted(
                ([-1] if np.isfinite(lower[i]) else []) + ([1] if np.isfinite(upper[i]) else [])
            )
        assert got == want, f"row {name}: senses {got} in Pyomo's form, bounds say {want}"
        for sense, r in senses[i]:
            bound = upper[i] if sense >= 0 else lower[i]
            _close(np.array([bound]), rhs[[r]], f"{'upper' if sense >= 0 else 'lower'} {name}")
            if sense == 0:
                _close(np.array([lower[i]]), rhs[[r]], f"lower {name}")

    # Matrix, costs, offset.
    diff = sp.coo_array(a[rows][:, cols] - ref.A)
    diff.eliminate_zeros()
    if diff.nnz:
        ours = a[rows][:, cols].toarray()[diff.row, diff.col]
        theirs = ref.A.toarray()[diff.row, diff.col]
        _close(ours, theirs, "matrix")
    _close(cost[cols], ref.c.toarray()[0], "cost")
    _close(offset, ref.c_offset, "objective offset")

    # Bounds and integrality of the columns (from the variables themselves).
    _close(sf.col_lower, [-np.inf if v.lb is None else v.lb for v in sf.col_vars], "lower bounds")
    _close(sf.col_upper, [np.inf if v.ub is None else v.ub for v in sf.col_vars], "upper bounds")
    integer = [j for j, v in enumerate(sf.col_vars) if v.is_integer()]
    assert sf.integer.tolist() == integer


def change_parameters(m: pyo.ConcreteModel, seed: int) -> int:
    """Scale about half the values of every mutable parameter (targets, envelopes,
    intensities, discount factors, capex factors, ...) by a factor in [0.5, 1.5]."""
    rng = np.random.default_rng(seed)
    changed = 0
    for param in m.component_objects(pyo.Param):
        if not param.mutable:
            continue
        for p in param.values():
            if rng.random() < 0.5:
                p.set_value(pyo.value(p) * rng.uniform(0.5, 1.5))
                changed += 1
    return changed


@functools.cache
def workshop_data():
    from m100model.portfolio.data import assemble
    from m100model.scenario import load_scenario

    return assemble(load_scenario(data_dir() / "scenarios" / "workshop.yaml"))


def _data(case: dict):
    return random_instance(**case)


# -- against Pyomo's compiler ---------------------------------------------------------------
@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_random_instance_matches_pyomo(case: dict) -> None:
    m = build_model(_data(case))
    sf = compile_model(m)
    theta = sf.params.values()
    assert_matches_pyomo(sf, m, theta)
    assert change_parameters(m, case["seed"]) > 0
    new_theta = sf.params.values()
    assert not np.array_equal(new_theta, theta)
    assert_matches_pyomo(sf, m, new_theta)


def test_workshop_matches_pyomo() -> None:
    m = build_model(workshop_data())
    sf = compile_model(m)
    assert sf.n_cols > 1000 and sf.a_value.parametric
    assert_matches_pyomo(sf, m, sf.params.values())
    for name, key, value in (  # sliders the workshop moves, then all parameters at once
        ("disc", m.T.last(), 0.5),
        ("capex_factor", m.P.first(), 1.7),
        ("intensity", next(iter(m.intensity)), 0.05),
        ("target", next(iter(m.target)), 123.0),
        ("envelope", next(iter(m.envelope)), 42.0),
    ):
        m.component(name)[key] = value
    change_parameters(m, 1)
    assert_matches_pyomo(sf, m, sf.params.values())


# -- the comparison can fail -------------------------------------------------------------
def test_stale_parameters_are_caught() -> None:
    m = build_model(_data(CASES[5]))
    sf = compile_model(m)
    theta = sf.params.values()
    change_parameters(m, 5)
    with pytest.raises(AssertionError):
        assert_matches_pyomo(sf, m, theta)


def _corrupt(sf: StandardForm, theta: np.ndarray, how: str) -> None:
    """Change one thing in a compiled form that changes its value at ``theta``."""
    if how == "matrix_number":
        k = int(np.flatnonzero(sf.a_value.static)[0])
        sf.a_value.static[k] *= 1.001
    elif how == "matrix_monomial":
        vec = sf.a_value
        k = int(np.flatnonzero(vec.coef * theta[vec.slots[0]])[0])
        vec.coef[k] *= 1.001
    elif how == "matrix_slot":  # a coefficient reading another parameter
        vec = sf.a_value
        k = int(np.flatnonzero(vec.coef)[0])
        other = np.flatnonzero(~np.isclose(theta, theta[vec.slots[0][k]]))
        vec.slots[0][k] = int(other[other > 0][0])
    elif how == "cost":
        k = int(np.flatnonzero(sf.cost.evaluate(theta))[0])
        sf.cost.static[k] += 0.01 * max(1.0, abs(sf.cost.evaluate(theta)[k]))
    elif how == "row_bound":
        k = int(np.flatnonzero(np.isfinite(sf.row_upper.evaluate(theta)))[-1])
        sf.row_upper.static[k] += 0.5
    elif how == "row_order":  # two rows' names swapped
        (n1, i1), (n2, i2) = sf.row_keys[0], sf.row_keys[-1]
        sf.row_pos[n1][i1], sf.row_pos[n2][i2] = sf.row_pos[n2][i2], sf.row_pos[n1][i1]
    elif how == "column_bound":
        sf.col_upper[int(np.flatnonzero(np.isfinite(sf.col_upper))[0])] += 1.0
    elif how == "integrality":
        sf.integer = sf.integer[1:]
    else:
        raise ValueError(how)


@pytest.mark.parametrize(
    "how",
    [
        "matrix_number",
        "matrix_monomial",
        "matrix_slot",
        "cost",
        "row_bound",
        "row_order",
        "column_bound",
        "integrality",
    ],
)
def test_corrupted_form_is_caught(how: str) -> None:
    m = build_model(_data(CASES[5]))
    sf = compile_model(m)
    theta = sf.params.values()
    assert_matches_pyomo(sf, m, theta)
    _corrupt(sf, theta, how)
    with pytest.raises(AssertionError):
        assert_matches_pyomo(sf, m, theta)


# -- the fast walker against the generic path (generate_standard_repn + _poly) --------------
def _generic_only(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self, e):
        raise compile_module._Fallback

    monkeypatch.setattr(compile_module._Linear, "form", refuse)


@pytest.mark.parametrize("case", [*CASES, "workshop"], ids=[*IDS, "workshop"])
def test_walker_equals_generic_path(case, monkeypatch: pytest.MonkeyPatch) -> None:
    """Same columns, rows and pattern, and the same polynomials, summed in the same order:
    equal to the last bit at random parameter vectors, not only at the model's values."""
    m = build_model(workshop_data() if case == "workshop" else _data(case))
    fast = compile_model(m)
    _generic_only(monkeypatch)
    slow = compile_model(m)
    assert fast.col_keys == slow.col_keys and fast.row_keys == slow.row_keys
    np.testing.assert_array_equal(fast.a_start, slow.a_start)
    np.testing.assert_array_equal(fast.a_index, slow.a_index)
    np.testing.assert_array_equal(fast.col_lower, slow.col_lower)
    np.testing.assert_array_equal(fast.col_upper, slow.col_upper)
    np.testing.assert_array_equal(fast.integer, slow.integer)
    assert set(fast.params.slot) == set(slow.params.slot)  # the same parameters, any order
    rng = np.random.default_rng(0)
    for _ in range(3):
        value = {k: rng.uniform(-2.0, 2.0) for k in fast.params.slot}
        theta = [
            np.array([1.0] + [value[id(p)] for p in sf.params.objects[1:]]) for sf in (fast, slow)
        ]
        for vec in ("cost", "offset", "row_lower", "row_upper", "a_value"):
            # Equal up to rounding: the two paths may multiply a monomial's numbers in
            # another order (a last-bit difference, 1e-16 relative).
            np.testing.assert_allclose(
                getattr(fast, vec).evaluate(theta[0]),
                getattr(slow, vec).evaluate(theta[1]),
                rtol=1e-14,
                atol=0.0,
                err_msg=vec,
            )


# -- shapes the fast walker hands to the generic path --------------------------------------
def small_model() -> pyo.ConcreteModel:
    """Named expressions reused under different multipliers, a ranged row, a product with
    a fixed variable, an immutable parameter in a division, negations, a row with only a
    fixed variable, a native zero coefficient and a maximised objective."""
    m = pyo.ConcreteModel()
    m.I = pyo.Set(initialize=[1, 2, 3])
    m.x = pyo.Var(m.I, bounds=(0, 10))
    m.y = pyo.Var(domain=pyo.Binary)
    m.f = pyo.Var(initialize=2.0)
    m.f.fix()
    m.p = pyo.Param(m.I, mutable=True, initialize={1: 1.5, 2: -0.5, 3: 2.0})
    m.q = pyo.Param(mutable=True, initialize=3.0)
    m.k = pyo.Param(initialize=4.0)
    m.e = pyo.Expression(expr=m.p[1] * m.x[1] - 2 * m.x[2] + m.q)
    m.c1 = pyo.Constraint(expr=m.q * m.e + m.e / 4 <= m.p[3] * 10)
    m.c2 = pyo.Constraint(expr=pyo.inequality(m.p[2], m.x[1] + m.x[2] - m.x[3] / m.k, m.q + 5))
    m.c3 = pyo.Constraint(expr=m.f * m.x[3] + m.x[1] == m.x[2] - (m.p[1] * m.q) * m.y)
    m.c4 = pyo.Constraint(expr=-(m.x[1] - m.p[2] * (m.x[2] + 3 * m.x[3])) >= -m.q)
    m.c5 = pyo.Constraint(expr=m.f * 2 <= m.q * 5 + 3)
    m.c6 = pyo.Constraint(expr=sum(m.p[i] * m.x[i] for i in m.I) + 0 * m.y <= 100)
    m.obj = pyo.Objective(
        expr=m.q * sum(m.x[i] for i in m.I) - m.e + m.p[1] * m.p[2] * m.y + 7,
        sense=pyo.maximize,
    )
    return m


def test_small_model_matches_pyomo(monkeypatch: pytest.MonkeyPatch) -> None:
    generic = []
    original = compile_module._generic_form

    def counted(e, params, owner):
        generic.append(owner.name)
        return original(e, params, owner)

    monkeypatch.setattr(compile_module, "_generic_form", counted)
    m = small_model()
    sf = compile_model(m)
    assert sf.n_rows == 6 and sf.n_cols == 4
    assert "c3" in generic and "obj" not in generic  # the product with a fixed variable
    assert_matches_pyomo(sf, m, sf.params.values())
    m.q = 0.25
    m.p[2] = 1.0
    assert_matches_pyomo(sf, m, sf.params.values())


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        (lambda m: m.x[1] * m.x[2] <= 1, "not linear"),
        (lambda m: m.x[1] / m.q <= 1, "division by a parameter"),
    ],
    ids=["product_of_variables", "division_by_parameter"],
)
def test_unsupported_rows_refused(expr, message: str) -> None:
    m = small_model()
    m.bad = pyo.Constraint(expr=expr(m))
    with pytest.raises(CompileError, match=message):
        compile_model(m)
