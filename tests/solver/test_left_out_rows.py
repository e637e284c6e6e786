"""Switched-off lazy groups' rows stay out of HiGHS during the search (`solver.lazy.leave_out_off`):
each comes in, with its bounds, when its group is switched on, and `Compiled.restore_layout` gives what
reopens the model (explanations) every row at its own index again, the tangents after them."""

from __future__ import annotations

from pathlib import Path

import highspy
import numpy as np
import pytest
from scipy import sparse

from compiler.check import compile_policy
from compiler.lower import lower_policy
from solver.account_files import load_account
from solver.lazy import activate
from solver.market import Market
from solver.model import AccountModel
from solver.search import Search, SolveOptions

ROOT = Path(__file__).resolve().parents[2]
ACCOUNT = ROOT / "examples" / "accounts" / "index_2012" / "account.yaml"
POLICY = ROOT / "benchmarks" / "policies" / "plain_harvest.tailor"


def _rows(highs: highspy.Highs) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    lp = highs.getLp()
    a = lp.a_matrix_
    dense = sparse.csc_array((np.asarray(a.value_), np.asarray(a.index_), np.asarray(a.start_)),
                             shape=(lp.num_row_, lp.num_col_)).toarray()
    return dense, np.asarray(lp.row_lower_), np.asarray(lp.row_upper_)


def test_lazy_rows_are_out_until_switched_on_and_back_in_place_after(market: Market) -> None:
    model = AccountModel([load_account(ACCOUNT)], market)
    lower_policy(compile_policy(POLICY), model)
    search = Search(model, SolveOptions(), deadline=float("inf"))
    compiled, highs = search.compiled, search.highs
    assert not any(g.active for g in search.lazy)
    lazy_rows = np.unique(np.concatenate([np.r_[g.rows, g.extra] for g in search.lazy]))
    assert len(lazy_rows) > 100  # a direct index's minimum trades and wash-sale switches
    assert (compiled.highs_row[lazy_rows] == -1).all()
    kept = np.setdiff1d(np.arange(len(compiled.rows)), lazy_rows)
    assert (compiled.highs_row[kept] == np.arange(len(kept))).all()
    assert highs.getNumRow() == len(kept) + search.cuts  # the kept rows, then the tangents
    dense, lower, upper = _rows(highs)
    assert np.allclose(dense[:len(kept)], compiled.matrix[kept].toarray())

    group = search.lazy[0]
    before = highs.getNumRow()
    activate(compiled, [group])
    rows = np.unique(np.r_[group.rows, group.extra])
    placed = compiled.highs_row[rows]
    assert (placed == before + np.arange(len(rows))).all() and highs.getNumRow() == before + len(rows)
    dense, lower, upper = _rows(highs)
    assert np.allclose(dense[placed], compiled.matrix[rows].toarray())
    assert (lower[placed] == compiled.row_lower[rows]).all()
    assert (upper[placed] == compiled.row_upper[rows]).all()

    assert search.lp() == "optimal"
    objective, added = highs.getInfo().objective_function_value, highs.getNumRow()
    compiled.restore_layout()
    assert compiled.highs_row is None
    assert highs.getNumRow() == added + len(lazy_rows) - len(rows)  # the groups still off come back
    dense, lower, upper = _rows(highs)
    everything = len(compiled.rows)
    assert np.allclose(dense[:everything], compiled.matrix.toarray())
    off = np.setdiff1d(lazy_rows, rows)
    assert (lower[off] == -highspy.kHighsInf).all() and (upper[off] == highspy.kHighsInf).all()
    assert (lower[rows] == compiled.row_lower[rows]).all()
    assert (lower[kept] == compiled.row_lower[kept]).all() and (upper[kept] == compiled.row_upper[kept]).all()
    # The basis moved with its rows: the same LP again, from it, in no simplex iteration.
    assert search.lp() == "optimal"
    assert highs.getInfo().simplex_iteration_count == 0
    assert highs.getInfo().objective_function_value == pytest.approx(objective, rel=1e-12)
