"""gift: give $X of appreciated long-term lots in kind — no sale, no realized gain, no cash.

The legacy account's most appreciated long-term lot is UNH bought 2009-04-01 at $20.68 (19× its
basis on the as-of date); gifting it removes the most embedded gain per dollar given.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from compiler.rules import RULE_KINDS
from compiler.rules.gift import GiftIR
from compiler.rules.trading import TradingIR
from compiler.verify_rules import verify
from core.diagnostics import TailorError
from engine.rebalance import Plan, plan
from solver.account import Account
from solver.lots import Lot, Trade
from solver.market import Market
from solver.outputs import trades_csv
from solver.verify import build_outcome
from tests.solver.conftest import policy, settled_within, span

KIND = RULE_KINDS["gift"]


def gift(amount: int | str) -> GiftIR:
    return GiftIR(id="gift", span=span(9), amount_usd=Decimal(amount))


def gain_ratio(lot: Lot, market: Market) -> Decimal:
    return market.price(lot.ticker) / lot.basis_per_share


@pytest.fixture(scope="module")
def given(legacy_account: Account, market: Market) -> Plan:
    result = plan(legacy_account, policy(gift(25_000)), market)
    assert result.result.solve.status == "optimal"
    assert result.result.violations == ()
    return result


def test_gives_the_most_appreciated_long_term_lot(given: Plan, legacy_account: Account,
                                                  market: Market) -> None:
    eligible = [lot for lot in legacy_account.lots
                if KIND.eligible(lot, market.price(lot.ticker), market.as_of)]
    best = max(eligible, key=lambda lot: gain_ratio(lot, market))
    assert (best.lot_id, best.ticker) == ("LEG-00125", "UNH")
    assert [g.trade.lot_id for g in given.outcome.gifts] == [best.lot_id]
    assert sum((g.trade.amount for g in given.outcome.gifts), Decimal(0)) == pytest.approx(Decimal(25_000),
                                                                                       abs=Decimal("0.01"))


def test_a_gift_is_neither_a_sale_nor_cash(given: Plan, legacy_account: Account, market: Market) -> None:
    without = plan(legacy_account, policy(), market).outcome
    outcome = given.outcome
    assert all(s.trade.action == "sell" for s in outcome.sales)
    # The gift leaves at its value to the cent (as every trade settles), the sales move none but cents.
    given_away = sum((g.trade.amount for g in outcome.gifts), Decimal(0))
    assert abs(outcome.value_after - (outcome.value_before - given_away)) <= settled_within(outcome)
    assert abs(without.value_after - without.value_before) <= settled_within(without)
    # The gifted UNH shares carry $23,700 of gain that is never realized.
    assert outcome.gifts[0].gain > 23_000
    unh = next(lot for lot in legacy_account.lots if lot.lot_id == "LEG-00125")
    unh_sold = sum((s.trade.shares for s in outcome.sales if s.trade.lot_id == unh.lot_id), Decimal(0))
    assert outcome.lot_remaining[unh.lot_id] == unh.shares - unh_sold - outcome.gifts[0].trade.shares


def test_gift_lines_in_the_trade_list(given: Plan) -> None:
    (line,) = [t for t in given.result.trades if t.action == "gift"]
    assert (line.ticker, line.lot_id, line.term, line.realized_gain) == ("UNH", "LEG-00125", "long",
                                                                         Decimal("0.00"))
    assert line.amount == Decimal("25000.00")
    rows = [row for row in trades_csv(given.result).splitlines() if row.startswith("gift,")]
    assert rows == [f"gift,UNH,LEG-00125,2009-04-01,{line.shares},{line.price},25000.00,{line.cost_basis},"
                    "0.00,long,"]


def test_explanation(given: Plan) -> None:
    (line,) = KIND.explain(gift(25_000), given.outcome)
    assert line.startswith("gift: $25,000.00 of shares from 1 appreciated long-term lots given in kind")
    assert "of tax never owed" in line


def test_a_gift_larger_than_the_appreciated_lots_is_an_error(legacy_account: Account,
                                                              market: Market) -> None:
    with pytest.raises(TailorError) as caught:
        plan(legacy_account, policy(gift(50_000_000)), market)
    (diagnostic,) = caught.value.diagnostics
    assert diagnostic.code == "S110" and diagnostic.span == span(9)
    assert "appreciated long-term lots" in diagnostic.message


def _gift_trade(account: Account, market: Market, lot_id: str, shares: Decimal) -> Trade:
    lot = next(lot for lot in account.lots if lot.lot_id == lot_id)
    return Trade(action="gift", ticker=lot.ticker, shares=shares, price=market.price(lot.ticker),
                 lot_id=lot.lot_id, acquired=lot.acquired, basis_per_share=lot.basis_per_share)


def test_verifier_catches_a_short_term_lot_and_a_wrong_amount(legacy_account: Account,
                                                               market: Market) -> None:
    jpm_short = _gift_trade(legacy_account, market, "LEG-00018", Decimal(100))  # bought 2021-01-04
    outcome = build_outcome(legacy_account, market, [jpm_short], target={})
    assert outcome.cash_after == outcome.cash_before and outcome.realized_short_term == 0
    codes = sorted(v.code for v in verify(outcome, [gift(jpm_short.amount)]))
    assert codes == ["V232"]
    unh = _gift_trade(legacy_account, market, "LEG-00125", Decimal(50))
    outcome = build_outcome(legacy_account, market, [unh], target={})
    assert verify(outcome, [gift(unh.amount)]) == []
    assert [v.code for v in verify(outcome, [gift(25_000)])] == ["V233"]


def test_lots_leave_in_kind_only_under_a_gift_rule(legacy_account: Account, market: Market) -> None:
    unh = _gift_trade(legacy_account, market, "LEG-00125", Decimal(50))
    outcome = build_outcome(legacy_account, market, [unh], target={})
    assert [v.code for v in verify(outcome, [])] == ["V106"]


def test_a_lot_cannot_be_both_sold_and_given_beyond_its_shares(legacy_account: Account,
                                                               market: Market) -> None:
    lot = next(lot for lot in legacy_account.lots if lot.lot_id == "LEG-00125")
    sale = Trade(action="sell", ticker="UNH", shares=lot.shares, price=market.price("UNH"), lot_id=lot.lot_id,
                 acquired=lot.acquired, basis_per_share=lot.basis_per_share)
    outcome = build_outcome(legacy_account, market, [sale, _gift_trade(legacy_account, market, lot.lot_id,
                                                                       Decimal(1))], target={})
    assert [v.code for v in verify(outcome, [gift(outcome.gifts[0].trade.amount)])] == ["V101"]


def test_whole_share_gifts_round_down(legacy_account: Account, market: Market) -> None:
    whole = TradingIR(id="trading", span=span(8), min_trade_usd=None, whole_shares=True, max_turnover=None,
                      max_positions=None)
    result = plan(legacy_account, policy(gift(25_000), whole), market)
    assert result.result.solve.status == "optimal" and result.result.violations == ()
    (given,) = result.outcome.gifts
    assert given.trade.shares == 62  # $25,000 / $398.81 = 62.69 UNH shares: never more than asked
    assert 25_000 - given.trade.price < given.trade.amount <= 25_000
