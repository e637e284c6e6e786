"""A first whole-share point when a tracking-error limit binds (solver/repair.py, `repair_backed_off`):
the relaxation's point sits on the limit and every whole-share neighbour passes it, so rounding finds
nothing, and HiGHS's MIP once searched past two minutes for a first point. Backing the variance limit
off 3% of TE gives a point that keeps the limit itself. (The whole search now reaches a better plan
through HiGHS's MIP within its work limits before it needs the back-off, which stays its fallback:
the second test shows the fallback itself, the first the plan.)"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from compiler.check import compile_policy
from compiler.lower import lower_policy
from engine.rebalance import RebalanceOptions, plan
from solver import repair, rounding, tracking
from solver.account_files import load_account
from solver.market import Market
from solver.model import AccountModel
from solver.search import Point, Search, SolveOptions

ROOT = Path(__file__).resolve().parents[2]
ACCOUNT = Path(__file__).parent / "accounts" / "binding_tracking_whole_shares" / "account.yaml"
POLICY = ROOT / "policies" / "clients" / "retiree_cash.tailor"


def test_a_binding_tracking_limit_still_gets_a_whole_share_plan(market: Market) -> None:
    found = plan(load_account(ACCOUNT), compile_policy(POLICY), market, RebalanceOptions(time_limit=120))
    assert found.result.verified, found.result.violations
    assert found.result.solve.status in ("optimal", "feasible")
    assert found.result.solve.stop != "time_limit"
    assert found.result.summary is not None
    summary = found.result.summary
    assert summary.tracking_error_after <= 3.0
    assert summary.cash_flow == -60_000
    assert summary.cash_after >= summary.value_after * 2 / 100  # the 2% reserve, after the withdrawal
    buys = [t for t in found.result.trades if t.action == "buy"]
    assert buys and all(t.shares == t.shares.to_integral_value() for t in buys)


def test_only_the_backed_off_repair_finds_a_whole_share_point(market: Market,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """The fallback for a point rounding cannot round. The rounding is held to 4 dives here (its limit
    before session 16; with 8 it rounds this point, at 2.9985% TE) and without its neighbourhood MIP
    (which rounds it too, at 2.9909%): from the relaxation's point on the limit it then finds no
    whole-share point; the repair with the limit backed off finds one that keeps the limit itself, and
    with the limit not backed off (VARIANCE_BACK_OFF = 1) none."""
    monkeypatch.setattr(rounding, "MAX_DIVES", 4)
    monkeypatch.setattr(Search, "first_point", lambda self, highs, max_nodes: None)

    def first_points(back_off: float) -> tuple[Point | None, Point | None]:
        monkeypatch.setattr(tracking, "VARIANCE_BACK_OFF", back_off)
        model = AccountModel([load_account(ACCOUNT)], market)
        lower_policy(compile_policy(POLICY), model)
        search = Search(model, SolveOptions(time_limit=120), time.perf_counter() + 120)
        assert search.lp_rounds(relaxation=True)[0] == "optimal"
        return repair.repair_point(search, search.x()), repair.repair_backed_off(search)

    rounded, backed_off = first_points(tracking.VARIANCE_BACK_OFF)
    assert rounded is None
    assert backed_off is not None and backed_off.tracking_error_pct <= 3.0
    assert first_points(1.0) == (None, None)
