"""A simulation applies a plan's wash sales share for share: the disallowed loss leaves the realized gain
and moves into the matched replacement shares (split off when only part of a lot matched), whose
holding period starts with the loss shares'; their purchase date stays, for later wash-sale windows.
Figures by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from compiler.rules.wash_sale import WashSaleIR
from engine.ledger import Ledger, Rates, account_of, apply_plan
from engine.spec import Costs
from engine.taxes_saved import sale_of
from solver.account import Account
from solver.lots import Lot, Trade
from solver.market import Market
from solver.result import BasisAdjustment, TradeLine
from solver.verify import build_outcome
from tests.solver.conftest import run, span, with_lots

RATES = Rates(short_term=Decimal("0.37"), long_term=Decimal("0.20"), dividend=Decimal("0.15"))
SOLD_ON = date(2019, 6, 3)
OLD = Lot(lot_id="OLD", ticker="MSFT", acquired=date(2018, 3, 1), shares=Decimal(10),
          basis_per_share=Decimal(100))
NEW = Lot(lot_id="NEW", ticker="MSFT", acquired=date(2019, 5, 20), shares=Decimal(6),
          basis_per_share=Decimal(80))


def _sell_four_old_at_70() -> tuple[TradeLine, ...]:
    return (TradeLine(action="sell", ticker="MSFT", shares=Decimal(4), price=Decimal(70), amount=Decimal(280),
                      lot_id="OLD", acquired=OLD.acquired, cost_basis=Decimal(400), realized_gain=Decimal(0),
                      term="long", disallowed_loss=Decimal(120)),)


# The plan's match: NEW's 6 replacement shares, bought 14 days before the sale, match the 4 loss shares
# sold; 4 × ($100 − $70) = $120 is disallowed, and 4 of NEW's shares take it (4 × $80 + $120 = $440).
MATCH = BasisAdjustment(replacement="NEW", ticker="MSFT", shares=Decimal(4), loss_added=Decimal(120),
                        adjusted_basis=Decimal(440), holding_period_start=OLD.acquired, from_lot="OLD")


def test_a_partly_matched_replacement_lot_is_split_and_the_loss_is_not_realized() -> None:
    start = Ledger(day=None, year=2019, lots=(OLD, NEW), cash=Decimal(0))
    done = apply_plan(start, _sell_four_old_at_70(), Decimal(0), SOLD_ON, Costs(spread_bp=Decimal(10),
                                                                                fee=Decimal(1)),
                      True, adjustments=(MATCH,))
    # The sale's cost, 280 × 10 bp + $1 = $1.28, is all that is realized: 4 × (70 − 100) + 120 − 1.28.
    assert done.realized_long_term == Decimal("-1.28") and done.realized_short_term == 0
    assert done.harvested == Decimal("1.28")
    lots = {lot.lot_id: lot for lot in done.ledger.lots}
    assert set(lots) == {"OLD", "NEW", "NEW~OLD"}
    assert lots["OLD"].shares == 6
    # The 2 unmatched shares keep everything; the 4 matched ones cost $110 a share and are held since
    # the loss shares were bought, but were still bought on 2019-05-20.
    assert (lots["NEW"].shares, lots["NEW"].basis_per_share, lots["NEW"].held_since) == (
        2, 80, date(2019, 5, 20))
    matched = lots["NEW~OLD"]
    assert (matched.shares, matched.basis_per_share, matched.cost_basis) == (4, 110, 440)
    assert (matched.acquired, matched.held_since) == (date(2019, 5, 20), date(2018, 3, 1))
    [recorded] = [t for t in done.ledger.transactions if t.action == "sell"]
    assert recorded.realized_gain == Decimal("-1.28")  # still a loss sale for the next steps' windows
    # A month later the matched shares sell at $90: a $80 long-term loss (4 × (90 − 110)), where the
    # unadjusted lot would have shown a $40 short-term gain (4 × (90 − 80)).
    later = sale_of(matched, Decimal(4), Decimal(90), date(2019, 7, 1))
    assert (later.gain, later.term) == (Decimal(-80), "long")
    unadjusted = sale_of(NEW, Decimal(4), Decimal(90), date(2019, 7, 1))
    assert (unadjusted.gain, unadjusted.term) == (Decimal(40), "short")


def test_a_fully_matched_replacement_lot_keeps_its_id() -> None:
    start = Ledger(day=None, year=2019, lots=(OLD, NEW.model_copy(update={"shares": Decimal(4)})),
                   cash=Decimal(0))
    done = apply_plan(start, _sell_four_old_at_70(), Decimal(0), SOLD_ON, Costs(), True, adjustments=(MATCH,))
    assert done.realized_long_term == 0 and done.harvested == 0
    assert [c.lot_id for c in done.carried] == ["NEW"]
    new = next(lot for lot in done.ledger.lots if lot.lot_id == "NEW")
    assert (new.shares, new.cost_basis, new.held_since) == (4, 440, date(2018, 3, 1))
    # Without a tax return nothing is disallowed: the loss is the sale's, the lot unchanged.
    untaxed = apply_plan(start, _sell_four_old_at_70(), Decimal(0), SOLD_ON, Costs(), False,
                         adjustments=(MATCH,))
    assert untaxed.carried == () and NEW.model_copy(update={"shares": Decimal(4)}) in untaxed.ledger.lots


def test_the_next_rebalance_sells_the_replacement_at_its_adjusted_basis_and_term(
        legacy_account: Account, market: Market) -> None:
    """The plan of tests/solver/test_wash_sale_share_for_share.py: LEG-00046's 10 earliest loss shares
    ($58.47, bought 2006-01-03) match XOM-NEW's 10 (bought 2021-04-01 at $57.97); XOM is $56.00."""
    xom_new = Lot(lot_id="XOM-NEW", ticker="XOM", acquired=date(2021, 4, 1), shares=Decimal(10),
                  basis_per_share=Decimal("57.97"))
    xom_2014 = Lot(lot_id="XOM-2014", ticker="XOM", acquired=date(2014, 6, 2), shares=Decimal(3000),
                   basis_per_share=Decimal(100))
    account = with_lots(legacy_account, xom_2014, xom_new)
    rule = WashSaleIR(id="wash_sale", span=span(3), window_days=30, scope="account", groups=())
    result = run(account, market, rule).result
    start = Ledger(day=None, year=2021, lots=account.lots, cash=account.cash)
    done = apply_plan(start, result.trades, Decimal(0), market.as_of, Costs(), True,
                      adjustments=result.basis_adjustments)
    # With no trading costs the simulation realizes what the verified plan reported.
    assert result.summary is not None
    cents = Decimal("0.01")
    assert (done.realized_short_term.quantize(cents), done.realized_long_term.quantize(cents)) == (
        result.summary.realized_short_term, result.summary.realized_long_term)
    adjusted = next(lot for lot in done.ledger.lots if lot.lot_id == "XOM-NEW")
    assert adjusted.basis_per_share == Decimal("60.44")  # 57.97 + (58.47 − 56.00)
    assert (adjusted.acquired, adjusted.held_since) == (date(2021, 4, 1), date(2006, 1, 3))
    # The next rebalance's account sells XOM-NEW at $56.00: 10 × (56.00 − 60.44) = −$44.40, long-term
    # (held since 2006), where the unadjusted lot would realize −$19.70 short-term.
    later = account_of(done.ledger.model_copy(update={"day": market.as_of}), account, RATES, 30)
    sale = Trade(action="sell", ticker="XOM", shares=Decimal(10), price=Decimal("56"), lot_id="XOM-NEW",
                 acquired=adjusted.acquired, basis_per_share=adjusted.basis_per_share)
    [sold] = build_outcome(later, market, [sale], {}).sales
    assert (sold.gain, sold.long_term) == (Decimal("-44.40"), True)
