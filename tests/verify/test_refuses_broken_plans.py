"""The verifier refuses a plan that breaks a rule, and names the rule.

One verified plan of the legacy account (30 names, 27% in JPM) under a policy with a rule of every
kind that forbids something, and a lot of XOM bought 20 days ago (the plan harvests XOM's losses all
the same, share for share: V218's cases are in tests/solver/test_wash_sale_share_for_share.py). Each
case perturbs the plan's trades (or what it claims) to break one rule, and the verifier must name
that rule with the rule's code. Harvest and preferences shape the objective and forbid nothing, so
there is nothing to break.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_DOWN, Decimal

import pytest

from compiler.ir import CompiledPolicy
from compiler.rules.budget import BudgetIR
from compiler.rules.cap import CapIR
from compiler.rules.cash import CashIR
from compiler.rules.exclude import ExcludeIR
from compiler.rules.gift import GiftIR
from compiler.rules.holding_period import HoldingPeriodIR
from compiler.rules.restrict_buying import RestrictBuyingIR
from compiler.rules.restrict_selling import RestrictSellingIR
from compiler.rules.tracking_error import Band, TrackingErrorIR
from compiler.rules.trading import TradingIR
from compiler.rules.transition import TransitionIR
from compiler.verify_rules import verify
from engine.rebalance import Plan
from solver.account import Account
from solver.lots import SHARE_STEP, Lot, Trade
from solver.market import Market
from solver.verify import Outcome, build_outcome
from tests.solver.conftest import policy, run, span, with_lots

XOM_NEW = Lot(lot_id="XOM-NEW", ticker="XOM", acquired=date(2021, 4, 1), shares=Decimal(10),
              basis_per_share=Decimal("57.97"))
RULES = (
    ExcludeIR(id="no-tobacco", span=span(5), subject="MO, PM", tickers=("MO", "PM"), sell="immediately"),
    RestrictBuyingIR(id="no-tsla", span=span(6), subject="TSLA", tickers=("TSLA",)),
    RestrictSellingIR(id="keep-orcl", span=span(7), subject="ORCL", tickers=("ORCL",), lot_ids=()),
    CapIR(id="cap-jpm", span=span(8), subject="JPM", tickers=("JPM",), max_weight=0.10, min_weight=None,
          years=3, long_term_only=True),
    CapIR(id="floor-msft", span=span(8), subject="MSFT", tickers=("MSFT",), max_weight=None, min_weight=0.02,
          years=None, long_term_only=False),
    BudgetIR(id="budget-tax", span=span(9), measure="tax", amount=Decimal(150_000)),
    HoldingPeriodIR(id="holding_period", span=span(10), no_short_term_gains=True, defer_days=None),
    TrackingErrorIR(id="te", span=span(11), max_te=0.05, bands=(
        Band(subject="XOM and CVX", tickers=("XOM", "CVX"), lower=-0.02, upper=0.02),)),
    CashIR(id="cash", span=span(12), reserve_pct=0.01, reserve_usd=None, deposit_usd=Decimal(0),
           withdrawal_usd=Decimal(0)),
    TradingIR(id="trading", span=span(13), min_trade_usd=Decimal(500), whole_shares=False, max_turnover=0.4,
              max_positions=150),
    TransitionIR(id="transition", span=span(14), mode="tax_budget", years=None, budget_usd=Decimal(700_000)),
    GiftIR(id="gift", span=span(15), amount_usd=Decimal(25_000)),
)


@dataclass
class Base:
    account: Account
    market: Market
    compiled: CompiledPolicy
    outcome: Outcome
    trades: list[Trade] = field(default_factory=list)

    def lot(self, lot_id: str) -> Lot:
        return next(lot for lot in self.account.lots if lot.lot_id == lot_id)

    def sale(self, lot_id: str, shares: Decimal | None = None, action: str = "sell") -> Trade:
        lot = self.lot(lot_id)
        return Trade(action=action, ticker=lot.ticker, shares=lot.shares if shares is None else shares,
                     price=self.market.price(lot.ticker), lot_id=lot_id, acquired=lot.acquired,
                     basis_per_share=lot.basis_per_share)

    def buy(self, ticker: str, dollars: Decimal) -> Trade:
        price = self.market.price(ticker)
        return Trade(action="buy", ticker=ticker, shares=(dollars / price).quantize(SHARE_STEP, ROUND_DOWN),
                     price=price)

    def without(self, *lot_ids: str) -> list[Trade]:
        return [t for t in self.trades if t.lot_id not in lot_ids]


@pytest.fixture(scope="module")
def base(legacy_account: Account, market: Market) -> Base:
    account = with_lots(legacy_account, XOM_NEW)
    solved: Plan = run(account, market, *RULES)
    outcome = solved.outcome
    trades = [*(s.trade for s in outcome.sales), *outcome.buys, *(g.trade for g in outcome.gifts)]
    return Base(account, market, policy(*RULES), outcome, trades)


@dataclass(frozen=True)
class Case:
    code: str
    rule_id: str | None  # None: an accounting invariant, no rule
    trades: Callable[[Base], list[Trade]]
    target: Callable[[Base], dict[str, float]] | None = None
    cash_flow: Decimal = Decimal(0)


def cash_left(b: Base) -> Decimal:
    return b.outcome.cash_after


CASES = {
    "oversold lot": Case("V101", None, lambda b: [*b.without("LEG-00004"),
                                                   b.sale("LEG-00004", b.lot("LEG-00004").shares + 1)]),
    "cash overdrawn": Case("V102", None, lambda b: [*b.trades, b.buy("AAPL", cash_left(b) + 10_000)]),
    "price not the as-of close": Case("V103", None, lambda b: [
        *b.trades, b.buy("AAPL", Decimal(1000)).model_copy(update={"price": Decimal(1)})]),
    "fraction finer than a millionth": Case("V104", None, lambda b: [
        *b.trades, b.buy("AAPL", Decimal(1000)).model_copy(update={"shares": Decimal("1.0000001")})]),
    "sale from a lot the account lacks": Case("V105", None, lambda b: [
        *b.trades, b.sale("LEG-00019").model_copy(update={"lot_id": "NO-SUCH-LOT"})]),
    "target swapped": Case("V201", "target", lambda b: b.trades,
                           target=lambda b: {**b.outcome.target, "AAPL": b.outcome.target["AAPL"] + 0.01}),
    "excluded name bought": Case("V202", "no-tobacco", lambda b: [*b.trades, b.buy("MO", Decimal(5000))]),
    "excluded name kept": Case("V203", "no-tobacco", lambda b: [
        t for t in b.trades if t.ticker != "PM"]),
    "restricted name bought": Case("V204", "no-tsla", lambda b: [*b.trades, b.buy("TSLA", Decimal(5000))]),
    "restricted lot sold": Case("V205", "keep-orcl", lambda b: [*b.trades, b.sale("LEG-00127", Decimal(10))]),
    "cap exceeded": Case("V206", "cap-jpm", lambda b: [t for t in b.trades if t.ticker != "JPM"]),
    "floor broken": Case("V220", "floor-msft", lambda b: [
        *b.without(*(lot.lot_id for lot in b.account.lots if lot.ticker == "MSFT")),
        *(b.sale(lot.lot_id) for lot in b.account.lots if lot.ticker == "MSFT")]),
    "short-term lot sold under a long-term-only cap": Case("V207", "cap-jpm", lambda b: [
        *b.trades, b.sale("LEG-00018", Decimal(10))]),
    "tax budget exceeded": Case("V208", "budget-tax", lambda b: [
        *b.trades, b.sale("LEG-00133"), b.sale("LEG-00134")]),
    "tracking error above its limit": Case("V209", "te", lambda b: [
        *b.trades, b.buy("TSLA", Decimal(2_000_000))]),
    "active weight outside its band": Case("V210", "te", lambda b: [
        *b.trades, b.buy("CVX", Decimal(400_000))]),
    "cash flow not the policy's": Case("V211", "cash", lambda b: b.trades, cash_flow=Decimal(1000)),
    "cash below the reserve": Case("V212", "cash", lambda b: [*b.trades, b.buy("AAPL", cash_left(b) - 10)]),
    "trade below the minimum": Case("V213", "trading", lambda b: [*b.trades, b.buy("AAPL", Decimal(100))]),
    "turnover above its limit": Case("V215", "trading", lambda b: [
        *b.without(*(lot.lot_id for lot in b.account.lots)),
        *(b.sale(lot.lot_id) for lot in b.account.lots if lot.ticker in ("JPM", "AAPL", "MSFT", "NKE"))]),
    "too many positions": Case("V216", "trading", lambda b: [
        *b.trades, *(b.buy(t, Decimal(600)) for t in sorted(b.market.benchmarks["sp500"].index)[:140])]),
    "bought back after a recorded loss sale": Case("V217", "wash_sale", lambda b: [
        *b.trades, b.buy("INTC", Decimal(5000))]),
    "loss sale bought back at once": Case("V219", "wash_sale", lambda b: [
        *b.trades, b.buy("IBM", Decimal(5000))]),
    "short-term gain realized": Case("V230", "holding_period", lambda b: [
        *b.trades, b.sale("LEG-00018", Decimal(10))]),
    "transition allowance passed": Case("V231", "transition", lambda b: [
        *b.trades, *(b.sale(f"LEG-{k:05d}") for k in (133, 134, 56, 58))]),
    "lot given that is not long-term": Case("V232", "gift", lambda b: [
        *b.trades, b.sale("LEG-00018", Decimal(1), action="gift")]),
    "gift short of its amount": Case("V233", "gift", lambda b: [t for t in b.trades if t.action != "gift"]),
}


def test_the_plan_itself_verifies(base: Base) -> None:
    assert base.outcome.sales and base.outcome.buys and base.outcome.gifts
    again = build_outcome(base.account, base.market, base.trades, base.outcome.target, base.outcome.cash_flow)
    assert verify(again, base.compiled.rules) == []


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_broken_rule_is_named(base: Base, name: str) -> None:
    case = CASES[name]
    target = case.target(base) if case.target else base.outcome.target
    outcome = build_outcome(base.account, base.market, case.trades(base), target, case.cash_flow)
    found = {(v.code, v.rule_id) for v in verify(outcome, base.compiled.rules)}
    assert (case.code, case.rule_id) in found, sorted(found)


def test_lots_leave_in_kind_only_under_a_rule_that_moves_lots_out(base: Base) -> None:
    outcome = build_outcome(base.account, base.market, base.trades, base.outcome.target)
    rules = [r for r in base.compiled.rules if r.kind != "gift"]
    assert ("V106", None) in {(v.code, v.rule_id) for v in verify(outcome, rules)}
