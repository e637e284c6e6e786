"""holding period: no short-term gains, and no gain sales of lots about to turn long-term.

The legacy account (30 names, concentrated in JPM) holds one short-term JPM lot bought 2021-01-04.
We add a real short-term lot: 1,600 BDX bought 2020-05-01 at that day's close ($251.87), worth 5% of
the account against a 0.2% index weight. On the as-of date 2021-04-21 it is short-term with a small
gain and turns long-term on 2021-05-02, in 11 days.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from compiler.rules import RULE_KINDS
from compiler.rules.holding_period import HoldingPeriodIR
from compiler.verify_rules import verify
from engine.rebalance import Plan, plan
from solver.account import Account
from solver.lots import Lot, Trade
from solver.market import Market
from solver.tax import days_to_long_term
from solver.verify import build_outcome
from tests.solver.conftest import policy, span

BDX_LOT = Lot(lot_id="NEW-BDX", ticker="BDX", acquired=date(2020, 5, 1), shares=Decimal(1600),
              basis_per_share=Decimal("251.87"))
JPM_SHORT = "LEG-00018"  # bought 2021-01-04 at $125.87: a short-term gain, long-term in 259 days


def rule(no_short_term_gains: bool = False, defer_days: int | None = None) -> HoldingPeriodIR:
    return HoldingPeriodIR(id="holding_period", span=span(9), no_short_term_gains=no_short_term_gains,
                           defer_days=defer_days)


@pytest.fixture(scope="module")
def account(legacy_account: Account) -> Account:
    return legacy_account.model_copy(update={"lots": (*legacy_account.lots, BDX_LOT)})


@pytest.fixture(scope="module")
def base(account: Account, market: Market) -> Plan:
    return plan(account, policy(), market)


def sold(result: Plan) -> dict[str, Decimal]:
    assert result.result.solve.status == "optimal"
    assert result.result.violations == ()
    return {s.trade.lot_id or "": s.trade.shares for s in result.outcome.sales}


def test_lots_are_what_the_tests_assume(account: Account, market: Market) -> None:
    jpm = next(lot for lot in account.lots if lot.lot_id == JPM_SHORT)
    assert days_to_long_term(BDX_LOT.acquired, market.as_of) == 11
    assert days_to_long_term(jpm.acquired, market.as_of) == 259
    assert market.price("BDX") > BDX_LOT.basis_per_share and market.price("JPM") > jpm.basis_per_share


def test_without_the_rule_short_term_gains_are_the_cheapest_lots_to_sell(base: Plan) -> None:
    sales = sold(base)
    assert BDX_LOT.lot_id in sales and JPM_SHORT in sales


def test_no_short_term_gains_sells_long_term_lots_instead(account: Account, market: Market,
                                                        base: Plan) -> None:
    held = plan(account, policy(rule(no_short_term_gains=True)), market)
    sales = sold(held)
    assert BDX_LOT.lot_id not in sales and JPM_SHORT not in sales
    assert held.outcome.realized_short_term <= 0
    # JPM is still trimmed toward its index weight, from long-term lots, at a higher tax bill.
    assert any(lot_id.startswith("LEG-") for lot_id in sales)
    assert held.outcome.realized_long_term > base.outcome.realized_long_term
    assert held.outcome.estimated_tax > base.outcome.estimated_tax


@pytest.mark.parametrize(("defer_days", "bdx_sold"), [(11, False), (10, True)])
def test_defer_holds_back_exactly_the_lots_inside_the_window(account: Account, market: Market,
                                                             defer_days: int, bdx_sold: bool) -> None:
    sales = sold(plan(account, policy(rule(defer_days=defer_days)), market))
    assert (BDX_LOT.lot_id in sales) is bdx_sold
    assert JPM_SHORT in sales  # long-term only in 259 days: not deferred


def test_verifier_catches_a_short_term_gain_sale(account: Account, market: Market) -> None:
    jpm = next(lot for lot in account.lots if lot.lot_id == JPM_SHORT)
    trade = Trade(action="sell", ticker="JPM", shares=Decimal(100), price=market.price("JPM"),
                  lot_id=jpm.lot_id, acquired=jpm.acquired, basis_per_share=jpm.basis_per_share)
    outcome = build_outcome(account, market, [trade], target={})
    assert verify(outcome, [rule(defer_days=31)]) == []  # outside the deferral window: allowed
    found = verify(outcome, [rule(no_short_term_gains=True)])
    assert [v.code for v in found] == ["V230"]
    assert JPM_SHORT in found[0].message and found[0].rule_id == "holding_period"


def test_verifier_allows_short_term_losses(account: Account, market: Market) -> None:
    """A short-term lot sold at a loss realizes no gain: the rule never holds it back."""
    loser = Lot(lot_id="NEW-LOSS", ticker="BDX", acquired=date(2021, 3, 1), shares=Decimal(10),
                basis_per_share=market.price("BDX") + 20)
    with_loser = account.model_copy(update={"lots": (*account.lots, loser)})
    trade = Trade(action="sell", ticker="BDX", shares=Decimal(10), price=market.price("BDX"),
                  lot_id=loser.lot_id, acquired=loser.acquired, basis_per_share=loser.basis_per_share)
    outcome = build_outcome(with_loser, market, [trade], target={})
    assert verify(outcome, [rule(no_short_term_gains=True, defer_days=365)]) == []


def test_explanation_counts_the_lots_kept(account: Account, market: Market) -> None:
    result = plan(account, policy(rule(no_short_term_gains=True)), market)
    lines = RULE_KINDS["holding_period"].explain(rule(no_short_term_gains=True), result.outcome)
    assert lines == ["holding period: 2 lots with short-term gains kept unsold"]
