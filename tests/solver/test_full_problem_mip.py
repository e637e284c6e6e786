"""Whole shares on a large model (solver/mip_phases.py, `full_problem_mip`): when the search's own tree,
which bounds with the share counts continuous, leaves the gap open, HiGHS's root runs on the full
problem — every lazy group switched on, every count integer — from the best plan, its binaries settled
(solver/lazy.py, `settled`).

On `sp500_2000` (2,000 lots, more share counts than `whole_share_mip` takes) under `retiree_cash`
(whole shares, a $60,000 withdrawal, a tax budget, a minimum trade) the tree ends at a 0.115% gap and
the phase's bound proves the plan within 0.1%.
"""

from __future__ import annotations

import time
from pathlib import Path

import highspy
import numpy as np
import pytest

from compiler.check import compile_policy
from compiler.lower import lower_policy
from engine.explain import explain
from engine.rebalance import Plan, RebalanceOptions, plan
from solver import mip_phases, repair, solve
from solver.account_files import load_account
from solver.lazy import activate, settled
from solver.market import Market
from solver.model import PRIMAL_TOLERANCE, AccountModel
from solver.search import Search, SolveOptions

ROOT = Path(__file__).resolve().parents[2]
ACCOUNT = ROOT / "examples" / "accounts" / "sp500_2000" / "account.yaml"
RETIREE = ROOT / "policies" / "clients" / "retiree_cash.tailor"


def _retiree_search(market: Market) -> Search:
    model = AccountModel([load_account(ACCOUNT)], market)
    lower_policy(compile_policy(RETIREE), model)
    return Search(model, SolveOptions(), deadline=time.perf_counter() + 120)


def test_a_settled_point_holds_with_every_group_on(market: Market) -> None:
    search = _retiree_search(market)
    assert search.lp_rounds(relaxation=True)[0] == "optimal"
    point = repair.repair_point(search, search.x())
    assert point is not None
    off = [g for g in search.lazy if not g.active]
    assert len(off) > 100  # (most groups never switched on: their binaries are the relaxation's)
    x = settled(search.compiled, search.lazy, point.x)
    binaries = np.concatenate([g.binaries for g in search.lazy])
    others = np.setdiff1d(np.arange(len(x)), binaries)
    assert np.array_equal(x[others], point.x[others])  # the same trades: only lazy binaries move
    assert np.all((x[binaries] == 0.0) | (x[binaries] == 1.0))
    rows = np.concatenate([g.rows for g in search.lazy])
    activity = search.compiled.matrix[rows] @ x
    assert np.all(activity >= search.compiled.row_lower[rows] - PRIMAL_TOLERANCE)
    assert np.all(activity <= search.compiled.row_upper[rows] + PRIMAL_TOLERANCE)
    # The same plan in the full model: polished with every group on, the same objective.
    activate(search.compiled, off)
    search.counts = search.counts.strict(search.compiled)
    full = search.polish(x)
    assert full is not None and full.objective == pytest.approx(point.objective, abs=1e-6)


@pytest.fixture(scope="module")
def phase(market: Market) -> tuple[Plan, list[tuple[float, float, float]]]:
    """The retiree's plan, with the bound before and after each run of the phase and the HiGHS model's
    shape at its end (rows at their bounds, integer columns)."""
    runs: list[tuple[float, float, float]] = []
    original = mip_phases.full_problem_mip

    def recorded(search: Search) -> None:
        before = search.bound
        original(search)
        highs = search.highs
        lp = highs.getLp()
        at = search.compiled.in_highs(np.arange(len(search.compiled.rows)))
        lower, upper = np.asarray(lp.row_lower_)[at], np.asarray(lp.row_upper_)[at]
        every_row = bool(np.all(at >= 0) and np.array_equal(lower, search.compiled.row_lower)
                         and np.array_equal(upper, search.compiled.row_upper))
        integer = np.array([kind == highspy.HighsVarType.kInteger for kind in lp.integrality_])
        assert every_row and np.array_equal(integer, search.compiled.integer.astype(bool))
        runs.append((before, search.bound, search.best.objective))

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(solve, "full_problem_mip", recorded)
        found = plan(load_account(ACCOUNT), compile_policy(RETIREE), market, RebalanceOptions(time_limit=120))
    return found, runs


def test_the_full_problem_proves_the_plan_the_tree_could_not(phase: tuple[Plan, list]) -> None:
    found, runs = phase
    assert len(runs) == 1
    before, after, objective = runs[0]
    assert (objective - before) / abs(objective) > 0.001  # the tree's bound: short of the gap
    assert before < after <= objective
    solve_info = found.result.solve
    assert solve_info.status == "optimal" and solve_info.mip_gap <= 0.001
    assert found.result.verified, found.result.violations
    buys = [t for t in found.result.trades if t.action == "buy"]
    assert buys and all(t.shares == t.shares.to_integral_value() for t in buys)


def test_the_plan_is_explained_in_the_model_it_leaves(phase: tuple[Plan, list]) -> None:
    """Explanations fix the plan's binaries in the solved model, every group now on: the settled
    binaries keep that model feasible."""
    found, _ = phase
    explanation = explain(found, compile_policy(RETIREE))
    assert explanation.status == "optimal"
    assert len(explanation.trades) == len(found.result.trades)
