"""Random accounts (lots at real historical prices) under random policies: every solved result passes
the independent verifier; a policy that cannot be met comes back infeasible, never as wrong trades."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compiler.ir import RuleIR
from compiler.rules.budget import BudgetIR
from compiler.rules.cap import CapIR
from compiler.rules.cash import CashIR
from compiler.rules.exclude import ExcludeIR
from compiler.rules.restrict_selling import RestrictSellingIR
from compiler.rules.tracking_error import TrackingErrorIR
from compiler.rules.trading import TradingIR
from solver.account import Account, TaxProfile
from solver.data.prices import load_prices
from solver.data.splits import apply_splits
from solver.lots import Lot
from solver.market import Market
from solver.rebalance import RebalanceOptions, plan
from tests.solver.conftest import policy, span

NAMES = ("AAPL", "MSFT", "JPM", "XOM", "JNJ", "PG", "KO", "INTC", "CSCO", "T", "WMT", "HD", "BA", "NVDA")
START = date(2012, 1, 3)


@st.composite
def accounts(draw: st.DrawFn) -> Account:
    prices = load_prices()
    lots = []
    for k in range(draw(st.integers(3, 25))):
        ticker = draw(st.sampled_from(NAMES))
        acquired = START + timedelta(days=draw(st.integers(0, 3350)))
        close = float(prices.close_on(acquired)[ticker])
        lots.append(Lot(lot_id=f"R{k}", ticker=ticker, acquired=acquired,
                        shares=Decimal(draw(st.integers(1, 400))), basis_per_share=Decimal(repr(close))))
    lots = apply_splits(lots, START, date(2021, 4, 21), prices)
    return Account(account_id="random", cash=Decimal(draw(st.integers(0, 50000))), lots=tuple(lots),
                   tax=TaxProfile(realized_long_term_ytd=Decimal(draw(st.integers(-5000, 20000)))))


@st.composite
def rules(draw: st.DrawFn) -> list[RuleIR]:
    found: list[RuleIR] = []
    if draw(st.booleans()):
        names = tuple(sorted(draw(st.sets(st.sampled_from(NAMES), min_size=1, max_size=3))))
        found.append(ExcludeIR(id="x", span=span(), subject="names", tickers=names,
                               sell=draw(st.sampled_from(["immediately", "as_budget_allows"]))))
    if draw(st.booleans()):
        name = draw(st.sampled_from(NAMES))
        found.append(CapIR(id="cap", span=span(), subject=name, tickers=(name,),
                           max_weight=draw(st.sampled_from([0.02, 0.05, 0.2])), min_weight=None,
                           years=draw(st.sampled_from([None, 2])), long_term_only=draw(st.booleans())))
    if draw(st.booleans()):
        found.append(BudgetIR(id="budget", span=span(), measure=draw(st.sampled_from(["long_term", "net"])),
                              amount=Decimal(draw(st.integers(0, 40000)))))
    if draw(st.booleans()):
        found.append(TrackingErrorIR(id="te", span=span(), max_te=draw(st.sampled_from([0.02, 0.05, 0.15])),
                                     bands=()))
    if draw(st.booleans()):
        found.append(CashIR(id="cash", span=span(), reserve_pct=draw(st.sampled_from([None, 0.02])),
                            reserve_usd=None, deposit_usd=Decimal(draw(st.sampled_from([0, 25000]))),
                            withdrawal_usd=Decimal(0)))
    if draw(st.booleans()):
        # Whole shares stay out: a small account with whole shares is a hard MIP (docs/solver.md).
        minimum = Decimal(draw(st.sampled_from([100, 2000])))
        found.append(TradingIR(id="trading", span=span(), min_trade_usd=minimum,
                               whole_shares=False, max_turnover=None, max_positions=None))
    if draw(st.booleans()):
        name = draw(st.sampled_from(NAMES))
        found.append(RestrictSellingIR(id="keep", span=span(), subject=name, tickers=(name,), lot_ids=()))
    return found


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(account=accounts(), chosen=rules())
def test_every_result_is_verified_or_infeasible(account: Account, chosen: list[RuleIR],
                                                market: Market) -> None:
    outcome = plan(account, policy(*chosen), market, RebalanceOptions(time_limit=10))
    result = outcome.result
    if result.solve.status in ("optimal", "feasible"):
        assert result.verified, (result.solve, result.violations)
    else:
        assert result.solve.status in ("infeasible", "time_limit")
        assert result.trades == () and not result.verified
