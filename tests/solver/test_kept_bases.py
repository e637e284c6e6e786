"""Warm starts from a kept basis (`Search.restore`): the netting's settle starts from the basis of
the chosen combination's relaxation, `_improve` from the basis the best point was polished on, the
strong-branching dive from the rounded side's optimum after the other side lost. They move the dual
simplex's starting point only: each LP has the same optimum, so the plan's objective stays what it
was, in fewer simplex iterations. (An LP with several optimal vertices may end on another one from
another start; the search may then take a round more or less.)"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import highspy
import numpy as np
import pytest

from compiler.check import compile_policy
from engine.rebalance import RebalanceOptions, plan
from solver.account_files import load_account
from solver.market import Market
from solver.search import Search, SolveOptions
from solver.tracking import refine

ROOT = Path(__file__).resolve().parents[2]
ACCOUNT = ROOT / "examples" / "accounts" / "index_2012" / "account.yaml"
POLICY = ROOT / "benchmarks" / "policies" / "plain_harvest.tailor"
DIRECT_INDEX = ROOT / "policies" / "models" / "direct_index.tailor"


class Iterations:
    """Simplex iterations summed over every HiGHS run while installed."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.total = 0
        run = highspy.Highs.run

        def counted(highs: highspy.Highs) -> highspy.HighsStatus:
            status = run(highs)
            self.total += highs.getInfo().simplex_iteration_count
            return status
        monkeypatch.setattr(highspy.Highs, "run", counted)


def test_a_basis_kept_before_rows_were_added_restarts_the_same_lp(market: Market) -> None:
    from compiler.lower import lower_policy
    from solver.model import AccountModel

    model = AccountModel([load_account(ACCOUNT)], market)
    lower_policy(compile_policy(POLICY), model)
    search = Search(model, SolveOptions(), deadline=float("inf"))
    assert search.lp() == "optimal"
    kept = search.basis()
    rows = search.highs.getNumRow()
    assert kept.rows == rows
    # The next LP point far away (everything sold): its tangents are new rows the kept basis lacks.
    x = search.x().copy()
    x[search.cols.weight[search.cols.weight >= 0]] = 0.0
    _, added = refine(search.compiled, search.cols, x, 1e-9)
    assert added and search.highs.getNumRow() == rows + added
    search.lp()  # the basis moves on
    search.restore(kept)
    restored = search.highs.getBasis()  # taken as given: the kept statuses, the new rows' slacks basic
    assert list(restored.col_status) == list(kept.statuses.col_status)
    basic = [highspy.HighsBasisStatus.kBasic] * added
    assert list(restored.row_status) == [*kept.statuses.row_status, *basic]
    assert search.lp() == "optimal"
    warm = search.highs.getInfo().objective_function_value
    search.highs.clearSolver()
    assert search.lp() == "optimal"
    assert warm == pytest.approx(search.highs.getInfo().objective_function_value, rel=1e-9, abs=1e-9)


def test_kept_bases_change_the_work_not_the_plan(benchmark_account: Callable[[str], Path],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """On the benchmark set's di_2016_low under the firm's direct-indexing model (6,032 lots,
    2016-02-11): the same plan's objective in 8,061 simplex iterations against 10,482 without kept
    bases. (Where an LP has several optimal vertices, a warm start may end on another one, whose
    tangents take a polishing round more or less: here 89 LPs against 90. On di_2010_summer, this
    test's case until session 16, the search now closes its gap before the kept bases matter: 6,701
    against 6,700.)"""
    account, policy = load_account(benchmark_account("di_2016_low")), compile_policy(DIRECT_INDEX)
    market = Market.load(date(2016, 2, 11))
    with monkeypatch.context() as cold:
        counted = Iterations(cold)
        cold.setattr(Search, "restore", lambda self, basis: None)
        without = plan(account, policy, market, RebalanceOptions())
    counted_warm = Iterations(monkeypatch)
    warm = plan(account, policy, market, RebalanceOptions())
    assert warm.result.solve.status == without.result.solve.status == "optimal"
    assert warm.result.solve.objective_bp == pytest.approx(without.result.solve.objective_bp, abs=1e-4)
    assert counted_warm.total < 0.9 * counted.total
    assert np.isfinite(warm.result.solve.objective_bp)


def test_a_resumed_node_starts_from_its_parents_basis(benchmark_account: Callable[[str], Path],
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The branch and bound resumes an open node from the basis its parent's LP ended on
    (solver/branch.py), not from wherever the last dive left HiGHS: a bound change away instead of
    a jump across the tree. On the 2008 crash under the firm's direct-indexing model (7,452 lots,
    2008-10-10), its node budget held at the 183 nodes of session 17's, where the tree stops short of
    the gap: the same plan, and its bound within 0.001%, in 19,282 simplex iterations against 24,972
    without. (Open nodes' LPs with several optimal vertices end on one or another; with today's budget
    the tree closes the gap, in 219 nodes one way and 221 the other.)"""
    import solver.branch
    import solver.solve

    monkeypatch.setattr(solver.solve, "NODE_WORK", 2_000_000)  # 183 nodes on this model
    account, policy = load_account(benchmark_account("di_2008_crash")), compile_policy(DIRECT_INDEX)
    market = Market.load(date(2008, 10, 10))
    with monkeypatch.context() as cold:
        counted = Iterations(cold)
        cold.setattr(solver.branch, "restore", lambda highs, basis: None)
        without = plan(account, policy, market, RebalanceOptions())
    counted_warm = Iterations(monkeypatch)
    warm = plan(account, policy, market, RebalanceOptions())
    assert warm.solution.nodes == without.solution.nodes == 183  # (the tree is the same size)
    assert warm.result.solve.objective_bp == without.result.solve.objective_bp
    # (the bound by the same tree, up to the open nodes' LPs ending on other optimal vertices)
    assert warm.solution.bound == pytest.approx(without.solution.bound, rel=1e-4)
    assert counted_warm.total < 0.85 * counted.total
