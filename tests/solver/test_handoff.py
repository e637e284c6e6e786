"""The hand-off: array rows copied straight into HiGHS give the same matrix as Pyomo's own compiler.

The base model's rows are `MatrixRows` (solver/matrix_rows.py) and reach HiGHS without Pyomo
expressions; rule rows go through Pyomo's `LinearStandardFormCompiler`. The reference here compiles
the *whole* model through that compiler (array rows included, read as ordinary constraints), and
every row, bound, coefficient, column bound, cost and integrality must agree, matched by Pyomo object.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
import pyomo.environ as pyo
import pytest
from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler

from compiler.check import compile_policy
from compiler.lower import lower_policy
from solver.handoff import INF, Compiled, compile_to_highs
from solver.market import Market
from solver.model import AccountModel
from tests.solver.conftest import EXAMPLES, ROOT

POLICIES = ROOT / "policies" / "clients"


def _model(market: Market, account: str, policy: str) -> AccountModel:
    from solver.account_files import load_account

    model = AccountModel([load_account(EXAMPLES / account / "account.yaml")], market)
    model.declare_cash_flow(Decimal(25_000))  # post-flow scaling of the holding rows
    lower_policy(compile_policy(POLICIES / policy), model)
    return model


def _rows_by_constraint(constraints: list, matrix: object, lower: np.ndarray, upper: np.ndarray,
                        columns: list) -> dict[int, tuple[float, float, dict[int, float]]]:
    """Constraint → (lower, upper, {var id: coefficient}); a ranged constraint's two rows merge."""
    csr = matrix.tocsr()
    rows: dict[int, tuple[float, float, dict[int, float]]] = {}
    for r, constraint in enumerate(constraints):
        start, stop = csr.indptr[r], csr.indptr[r + 1]
        coefs = {id(columns[c]): float(v) for c, v in zip(csr.indices[start:stop], csr.data[start:stop],
                                                            strict=True)}
        low, high, _ = rows.get(id(constraint), (-INF, INF, coefs))
        rows[id(constraint)] = (max(low, float(lower[r])), min(high, float(upper[r])), coefs)
    return rows


def _reference(model: AccountModel) -> tuple[dict, dict, dict, dict]:
    info = LinearStandardFormCompiler().write(model.m, mixed_form=True, set_sense=pyo.minimize)
    sense = np.array([row.bound_type for row in info.rows])
    rhs = np.asarray(info.rhs, dtype=float)
    rows = _rows_by_constraint([row.constraint for row in info.rows], info.A,
                               np.where(sense == 1, -INF, rhs), np.where(sense == -1, INF, rhs), info.columns)
    bounds = {id(v): (v.lb, v.ub) for v in info.columns}
    cost = dict(zip(map(id, info.columns), np.asarray(info.c.toarray()).ravel().tolist(), strict=True))
    integer = {id(v): v.is_integer() or v.is_binary() for v in info.columns}
    return rows, bounds, cost, integer


def _fast(compiled: Compiled) -> tuple[dict, dict, dict, dict]:
    rows = _rows_by_constraint(compiled.rows, compiled.matrix, compiled.row_lower, compiled.row_upper,
                               compiled.columns)
    lp = compiled.highs.getLp()
    lower, upper = np.asarray(lp.col_lower_), np.asarray(lp.col_upper_)
    bounds = {id(v): (None if lo == -INF else lo, None if hi == INF else hi)
              for v, lo, hi in zip(compiled.columns, lower.tolist(), upper.tolist(), strict=True)}
    cost = dict(zip(map(id, compiled.columns), np.asarray(lp.col_cost_).tolist(), strict=True))
    integer = dict(zip(map(id, compiled.columns), compiled.integer.tolist(), strict=True))
    return rows, bounds, cost, integer


def _assert_same(model: AccountModel) -> Compiled:
    compiled = compile_to_highs(model.m)
    rows, bounds, cost, integer = _fast(compiled)
    ref_rows, ref_bounds, ref_cost, ref_integer = _reference(model)
    assert rows.keys() == ref_rows.keys()
    for key, (low, high, coefs) in ref_rows.items():
        got_low, got_high, got_coefs = rows[key]
        assert got_low == pytest.approx(low, rel=1e-12, abs=1e-15)
        assert got_high == pytest.approx(high, rel=1e-12, abs=1e-15)
        assert got_coefs.keys() == coefs.keys()
        assert np.allclose([got_coefs[v] for v in coefs], list(coefs.values()), rtol=1e-12, atol=0)
    assert bounds == ref_bounds and integer == ref_integer
    assert cost.keys() == ref_cost.keys()
    assert np.allclose([cost[v] for v in ref_cost], list(ref_cost.values()), rtol=1e-12, atol=0)
    return compiled


def test_array_rows_hand_off_the_same_matrix_as_pyomo(market: Market) -> None:
    """A gift (transfer columns in the holding rows), a cash flow and a budget on sp500_2000."""
    model = _model(market, "sp500_2000", "gift_appreciated.tailor")
    compiled = _assert_same(model)
    m = model.m
    assert len(compiled.rows_of([m.cash_balance[0]])) == 1
    assert compiled.matrix.shape == (len(compiled.rows), len(compiled.columns))
    # The base rows are ordinary constraints to any Pyomo tool: their body evaluates like the matrix row.
    x = np.linspace(0.0, 1.0, len(compiled.columns))
    for var, value in zip(compiled.columns, x.tolist(), strict=True):
        var.set_value(value, skip_validation=True)
    row = compiled.rows_of([m.holding[5]])[0]
    assert pyo.value(m.holding[5].body) == pytest.approx(float((compiled.matrix[[row]] @ x)[0]))
    assert m.holding[5].equality and m.holding[5].upper == pytest.approx(float(model.data.held[5]))
    assert "cash" in str(m.cash_balance[0].expr)


def test_fixed_variables_and_inactive_rows_are_handled_like_pyomo(market: Market) -> None:
    """Whole shares (integer columns); a fixed sale moves to the bounds; a switched-off row is left out."""
    model = _model(market, "legacy_jpm", "retiree_cash.tailor")
    m = model.m
    held_lot = int(np.argmax(model.data.lot_value))
    m.sell[held_lot].fix(0.5 * float(model.data.lot_value[held_lot]))
    m.buy[3].fix(0.0)
    m.factor_definition[2].deactivate()
    compiled = _assert_same(model)
    assert compiled.column_of.get(id(m.sell[held_lot])) is None
    assert not compiled.rows_of([m.factor_definition[2]]) and compiled.rows_of([m.factor_definition[1]])
    assert compiled.integer.any()
