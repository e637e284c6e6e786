"""`_improve`'s flips judged on the fixed LP, which sees only the lazy groups switched on: a point
they reach may break a group still off. It is repaired from rather than dropped (solver/solve.py).

The account: the benchmark set's transition_45 (45 names bought over years, as of the March 2020
low; built here by benchmarks/accounts.py from the real prices, as `bench_set.py` builds it) under
the benchmark's three-year transition. Its first repair gives −325.8 bp; the flips reach a point
that breaks groups still off, and its repair −359.95 bp, the plan's."""

from __future__ import annotations

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
POLICY = ROOT / "benchmarks" / "policies" / "transition_over_3_years.tailor"


@pytest.fixture
def transition_45(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The benchmark account's files, written by the benchmark's own generator into `tmp_path`."""
    monkeypatch.syspath_prepend(str(ROOT / "benchmarks"))
    import account_specs
    import accounts

    monkeypatch.setattr(accounts, "OUT", tmp_path)
    spec = next(spec for spec in account_specs.SPECS if spec.name == "transition_45")
    accounts.write(spec, *accounts.build(spec))
    return tmp_path / "transition_45" / "account.yaml"


def test_flips_that_break_a_group_still_off_are_repaired(transition_45: Path,
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
    found = plan(load_account(transition_45), compile_policy(POLICY), Market.load(date(2020, 3, 23)),
                 RebalanceOptions(mip_gap=1e-3))
    [(before, after)] = repaired  # the flips broke groups still off: repaired once
    assert after < before - 10  # −325.8 → −359.95 bp
    assert found.solution.status == "optimal" and found.result.verified
    assert found.solution.objective == pytest.approx(after, abs=1e-6)
