"""solver/implied_bounds.py: bounds and big-M coefficients tightened without losing a feasible point.

On the random small MILPs of test_branch.py (knapsacks, facility covers with big-M capacity rows,
mixed models, infeasible ones), against enumeration of every 0/1 assignment; then on a real account,
whose model the solve must leave as it found it."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
from scipy import sparse

from compiler.check import compile_policy
from compiler.lower import lower_policy
from solver.account_files import load_account
from solver.handoff import Compiled, compile_to_highs
from solver.implied_bounds import tighten
from solver.market import Market
from solver.model import AccountModel
from solver.search import Search, SolveOptions
from solver.solve import solve
from tests.solver.test_branch import CASES, Instance, brute_force, case, later, run

ROOT = Path(__file__).resolve().parents[2]
ACCOUNT = ROOT / "examples" / "accounts" / "index_2012" / "account.yaml"
RETIREE = ROOT / "policies" / "clients" / "retiree_cash.tailor"


def compiled(instance: Instance) -> Compiled:
    """The instance as the search's hand-off gives it (only what `tighten` reads is real)."""
    matrix = sparse.csr_array(instance.matrix)
    integer = np.zeros(len(instance.cost), dtype=bool)
    integer[instance.binaries] = True
    return Compiled(highs=instance.highs(), columns=[], rows=[None] * matrix.shape[0], column_of={},
                    integer=integer, objective_offset=0.0, matrix=matrix, row_lower=instance.row_lower,
                    row_upper=instance.row_upper)


def as_instance(model: Compiled, binaries: np.ndarray) -> Instance:
    """The HiGHS model as it now stands, as an instance."""
    lp = model.highs.getLp()
    matrix = sparse.csc_array((np.asarray(lp.a_matrix_.value_), np.asarray(lp.a_matrix_.index_),
                               np.asarray(lp.a_matrix_.start_)),
                              shape=(model.highs.getNumRow(), model.highs.getNumCol())).toarray()
    return Instance(np.asarray(lp.col_cost_), matrix, np.asarray(lp.row_lower_), np.asarray(lp.row_upper_),
                    np.asarray(lp.col_lower_), np.asarray(lp.col_upper_), binaries)


def relaxation(instance: Instance) -> float:
    highs = instance.highs()
    return highs.getInfo().objective_function_value if run(highs, later()) == "optimal" else np.inf


def feasible_assignments(instance: Instance) -> set[tuple[float, ...]]:
    """Every 0/1 point of a binaries-only instance that meets every row and bound."""
    points = np.array(list(itertools.product((0.0, 1.0), repeat=len(instance.cost))))
    return {tuple(p) for p in points if instance.is_feasible(p)}


@pytest.mark.parametrize(("family", "seed"), CASES)
def test_tightening_keeps_every_integer_point_and_only_raises_the_relaxation(family: str, seed: int) -> None:
    instance, optimum = case(family, seed)
    model = compiled(instance)
    tightened = tighten(model, np.zeros(0, dtype=np.int64))
    after = as_instance(model, instance.binaries)
    # The same optimum (+inf: still infeasible) by enumeration, and a relaxation no weaker and still below it.
    assert brute_force(after) == pytest.approx(optimum, rel=1e-6, abs=1e-6)
    lifted, before = relaxation(after), relaxation(instance)
    if np.isfinite(before):
        assert lifted >= before - 1e-7 * max(1.0, abs(before))
    if np.isfinite(optimum):
        assert lifted <= optimum + 1e-6 * max(1.0, abs(optimum))
    if len(instance.binaries) == len(instance.cost):  # binaries only: no feasible point is lost
        assert feasible_assignments(after) == feasible_assignments(instance)
    # Put back: the original bounds and coefficients in HiGHS and in the compiled matrix.
    lower0, upper0 = after.col_lower.copy(), after.col_upper.copy()
    tightened.undo(model, lower0, upper0)
    model.highs.changeColsBounds(len(lower0), np.arange(len(lower0), dtype=np.int32), lower0, upper0)
    restored = as_instance(model, instance.binaries)
    assert np.array_equal(restored.matrix, instance.matrix)
    assert np.array_equal(model.matrix.toarray(), instance.matrix)
    assert np.array_equal(restored.col_lower, instance.col_lower)
    assert np.array_equal(restored.col_upper, instance.col_upper)


def test_the_facility_covers_big_m_rows_shrink_and_their_relaxations_rise() -> None:
    """Not vacuous: a capacity row `demand·x ≤ capacity·y` whose customers cannot fill the capacity
    gets the smaller coefficient, and the relaxation rises on some covers."""
    shrunk = risen = 0
    for family, seed in CASES:
        if family != "facility":
            continue
        instance, _ = case(family, seed)
        model = compiled(instance)
        shrunk += len(tighten(model, np.zeros(0, dtype=np.int64)).entries)
        risen += relaxation(as_instance(model, instance.binaries)) > relaxation(instance) + 1e-6
    assert shrunk >= 20 and risen >= 5, (shrunk, risen)


def test_rows_kept_keep_their_coefficients() -> None:
    """The search keeps the wash-sale switches' rows as written (solver/search.py): rows passed as
    kept are never shrunk, though their bounds still propagate."""
    for family, seed in CASES:
        if family != "facility":
            continue
        instance, _ = case(family, seed)
        capacity = np.flatnonzero(np.isinf(instance.row_lower))  # (the `≤ 0` big-M rows)
        model = compiled(instance)
        tightened = tighten(model, capacity)
        assert not np.isin(tightened.rows, capacity).any()
        assert np.array_equal(model.matrix.toarray()[capacity], instance.matrix[capacity])


@pytest.fixture(scope="module")
def retiree_model(market: Market) -> AccountModel:
    """A real account (570 lots) under the retiree's policy: a withdrawal, a tax budget, a $250
    minimum trade in whole shares."""
    model = AccountModel([load_account(ACCOUNT)], market)
    lower_policy(compile_policy(RETIREE), model)
    return model


def test_a_real_account_gets_tighter_bounds_and_a_higher_relaxation(retiree_model: AccountModel) -> None:
    search = Search(retiree_model, SolveOptions(), deadline=float("inf"))
    # Whole-share sales stop at a lot's last whole share; unreachable minimum trades are fixed at 0.
    assert len(search.tightened.columns) > 1000 and len(search.tightened.entries) > 500
    fixed = search.compiled.integer.astype(bool) & (search.lower0 == search.upper0)
    assert np.count_nonzero(fixed) >= 5  # (7: names whose whole shares fall short of the minimum sale)
    assert search.lp() == "optimal"
    tight = search.highs.getInfo().objective_function_value
    columns = np.arange(len(search.lower0))
    search.tightened.undo(search.compiled, search.lower0, search.upper0)
    search.release(columns)
    assert search.lp() == "optimal"
    assert tight > search.highs.getInfo().objective_function_value + 1e-3  # (bp)


def test_the_solve_leaves_the_model_as_the_rules_wrote_it(retiree_model: AccountModel) -> None:
    """Explanations reopen the solved model and drop rules from it: no bound a rule implied may stay."""
    solution = solve(retiree_model)
    assert solution.status in ("optimal", "feasible")
    fresh = compile_to_highs(retiree_model.m)
    solved = solution.compiled
    assert np.array_equal(solved.matrix.toarray(), fresh.matrix.toarray())
    solved.restore_layout()
    lp, original = solved.highs.getLp(), fresh.highs.getLp()
    assert np.array_equal(np.asarray(lp.col_lower_), np.asarray(original.col_lower_))
    assert np.array_equal(np.asarray(lp.col_upper_), np.asarray(original.col_upper_))
    rows = len(fresh.rows)
    matrix = sparse.csc_array((np.asarray(lp.a_matrix_.value_), np.asarray(lp.a_matrix_.index_),
                               np.asarray(lp.a_matrix_.start_)),
                              shape=(solved.highs.getNumRow(), solved.highs.getNumCol())).tocsr()[:rows]
    assert (matrix != fresh.matrix).nnz == 0
