"""The anytime solve (solver/solve.py): every account gets a verified plan, the claim matches the
proof, and work limits — not the clock — decide the answer.

The hard case is a direct index bought every quarter and rebalanced in a crash: dozens of names
hold lots at a loss beside recent purchases, and each needs a harvest-or-rebuy decision (the old
solver gave up past twelve such binaries).
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_DOWN, Decimal
from pathlib import Path

import pytest

from compiler.check import compile_policy
from engine.rebalance import RebalanceOptions, plan
from market.index import index_weights
from market.prices import load_prices
from solver.account import Account
from solver.lots import Lot
from solver.market import Market
from solver.search import OBJECTIVE_FLOOR_BP, relative_gap
from solver.splits import apply_splits

ROOT = Path(__file__).resolve().parents[2]
CRASH = date(2020, 3, 23)
HARVEST_POLICY = """policy "Plain harvesting"
target sp500
harvest losses over 1.5%
wash sale window 30 days
trading minimum trade $10
preferences balanced
"""


def quarterly_index(as_of: date, first_year: int, names: int) -> Account:
    """The `names` largest index members bought cap-weighted with $200k, then $20k each quarter."""
    prices = load_prices()
    days = prices.dates
    lots: list[Lot] = []
    for year in range(first_year, as_of.year + 1):
        for month in (1, 4, 7, 10):
            on = days[days >= f"{year}-{month:02d}-01"][0].date()
            if on > as_of:
                break
            weights = index_weights(on).nlargest(names)
            close = prices.close_on(on)
            dollars = 200_000 if not lots else 20_000
            for ticker, w in (weights / weights.sum()).items():
                price = Decimal(repr(float(close[ticker])))
                shares = (Decimal(dollars * float(w)) / price).quantize(Decimal("0.0001"), ROUND_DOWN)
                lots.append(Lot(lot_id=f"Q-{len(lots) + 1:05d}", ticker=ticker, acquired=on, shares=shares,
                                basis_per_share=price))
    lots = apply_splits(lots, lots[0].acquired, as_of, prices)
    return Account(account_id="quarterly", cash=Decimal("5000"), lots=tuple(lots))


@pytest.fixture(scope="module")
def crash_market() -> Market:
    return Market.load(CRASH)


@pytest.fixture(scope="module")
def harvest_policy(tmp_path_factory: pytest.TempPathFactory):
    path = tmp_path_factory.mktemp("policies") / "harvest.tailor"
    path.write_text(HARVEST_POLICY)
    return compile_policy(path)


@pytest.fixture(scope="module")
def crash_account() -> Account:
    return quarterly_index(CRASH, 2017, 120)


# The case takes ~24 s of one core: a generous clock, so that only the work limits stop it even on a
# machine shared with other jobs (a 60 s clock fired at load 9).
GENEROUS = RebalanceOptions(time_limit=600.0)


@pytest.fixture(scope="module")
def crash_plan(crash_account: Account, harvest_policy, crash_market: Market):
    return plan(crash_account, harvest_policy, crash_market, GENEROUS)


def test_a_harvest_heavy_account_gets_a_verified_plan(crash_plan) -> None:
    result = crash_plan.result
    assert result.verified, result.violations
    assert result.solve.status in ("optimal", "feasible")
    # The hard case: more harvest-or-rebuy decisions than the branch and bound takes on.
    assert result.solve.binaries_on > 12, result.solve
    assert any(t.action == "sell" and t.realized_gain < 0 for t in result.trades)


def test_the_reported_gap_is_the_proven_gap_of_the_exact_objective(crash_plan) -> None:
    info, solution = crash_plan.result.solve, crash_plan.solution
    assert info.bound_bp is not None and info.objective_bp is not None
    assert info.bound_bp <= info.objective_bp
    assert info.mip_gap == pytest.approx(relative_gap(solution.objective, solution.bound), abs=1e-6)
    assert info.mip_gap == pytest.approx(
        (info.objective_bp - info.bound_bp) / max(abs(info.objective_bp), OBJECTIVE_FLOOR_BP), abs=1e-5)
    # The exact objective includes the exact active variance, never the tangents' lower estimate.
    assert solution.tracking_error_pct == pytest.approx(crash_plan.result.summary.tracking_error_after * 100,
                                                        abs=1e-3)
    assert (info.status == "optimal") == (info.mip_gap <= info.requested_gap)


def test_work_limits_decide_the_answer_not_the_clock(crash_account: Account, harvest_policy,
                                                     crash_market: Market, crash_plan) -> None:
    again = plan(crash_account, harvest_policy, crash_market, RebalanceOptions(time_limit=1200.0))
    first, second = crash_plan.result, again.result
    assert first.solve.stop != "time_limit" and second.solve.stop != "time_limit"
    assert second.trades == first.trades
    assert second.solve.model_copy(update={"time_limit_seconds": 600.0}) == first.solve


def test_the_clock_is_a_safety_net_that_says_when_it_fired(crash_account: Account, harvest_policy,
                                                           crash_market: Market) -> None:
    hurried = plan(crash_account, harvest_policy, crash_market, RebalanceOptions(time_limit=0.05)).result
    assert hurried.solve.stop == "time_limit"
    assert hurried.solve.status in ("feasible", "time_limit")
    assert hurried.verified == (hurried.solve.status == "feasible")


def test_an_all_cash_account_is_invested_under_the_firm_policy(market: Market) -> None:
    account = Account(account_id="new-client", cash=Decimal("10000.00"), lots=())
    result = plan(account, compile_policy(ROOT / "policies" / "firm" / "default.tailor"), market).result
    assert result.verified, result.violations
    assert result.solve.status in ("optimal", "feasible")
    assert result.summary is not None and result.summary.buys > 0
    # Every buy meets the firm's locked $100 minimum trade.
    assert all(t.amount >= 100 for t in result.trades if t.action == "buy")
