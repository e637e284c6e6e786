"""`_improve`'s flips judged on the fixed LP, which sees only the lazy groups switched on: a point
they reach may break a group still off. It is repaired from rather than dropped (solver/solve.py).

The account: the benchmark set's di_2016_low (tests/solver/conftest.py: 6,032 lots, 2016-02-11)
under the firm's direct-indexing model. Its first repair gives −106.086 bp; the flips reach a point
that breaks groups still off, and its repair −106.113 bp, the plan's, proven optimal. (Before the
wash-sale switch's rows per loss lot of session 16: −106.106 → −106.162 bp.)
(di_2010_summer showed this until the splits were in from the first LP, and transition_45 until
the repair's strong branching took the most fractional binaries first: their first repairs now find
a plan the flips do not improve this way.)"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import numpy as np
import pytest

import solver.solve as solve_module
from compiler.check import compile_policy
from engine.rebalance import RebalanceOptions, plan
from solver.account_files import load_account
from solver.market import Market
from solver.search import Point, Search

ROOT = Path(__file__).resolve().parents[2]
POLICY = ROOT / "policies" / "models" / "direct_index.tailor"


def test_flips_that_break_a_group_still_off_are_repaired(benchmark_account: Callable[[str], Path],
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    repaired: list[tuple[float, float]] = []
    improve, repair_point = solve_module._improve, solve_module.repair.repair_point

    def watched_improve(search: Search) -> None:
        def watched_repair(inner: Search, x: np.ndarray) -> Point | None:
            point = repair_point(inner, x)
            repaired.append((inner.best.objective, point.objective if point else float("inf")))
            return point

        monkeypatch.setattr(solve_module.repair, "repair_point", watched_repair)
        try:
            improve(search)
        finally:
            monkeypatch.setattr(solve_module.repair, "repair_point", repair_point)

    monkeypatch.setattr(solve_module, "_improve", watched_improve)
    found = plan(load_account(benchmark_account("di_2016_low")), compile_policy(POLICY),
                 Market.load(date(2016, 2, 11)), RebalanceOptions(mip_gap=1e-3))
    [(before, after)] = repaired  # the flips broke groups still off: repaired once
    assert after < before - 0.02  # −106.086 → −106.113 bp
    assert found.solution.status == "optimal" and found.result.verified
    assert found.solution.objective == pytest.approx(after, abs=1e-6)
