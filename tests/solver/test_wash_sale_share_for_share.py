"""Wash sales share for share (Treas. Reg. §1.1091-1(c), Publication 550): a loss sale with fewer
replacement shares than shares sold disallows the loss on the matched shares only, earliest acquired
first; the loss moves into the replacement shares' basis and their holding period takes over."""

from dataclasses import replace
from datetime import date
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from compiler.rules.trading import TradingIR
from compiler.rules.wash_sale import WashSaleIR
from compiler.rules.wash_share import matched_shares
from compiler.verify_rules import verify
from engine.explain import explain
from solver.account import Account, Transaction
from solver.lots import Lot
from solver.market import Market
from solver.outputs import trades_csv
from solver.verify import build_outcome
from solver.verify_law import added_tax, match_share_for_share
from tests.solver.conftest import policy, run, span, with_lots

RULE = WashSaleIR(id="wash_sale", span=span(3), window_days=30, scope="account", groups=())
# XOM is $56.00 on 2021-04-21. The legacy account holds three XOM lots at a loss: LEG-00046 (bought
# 2006-01-03 at $58.47, $2.47 a share), LEG-00047 (2017, $82.10) and LEG-00048 (2018, $85.81).
XOM_2014 = Lot(lot_id="XOM-2014", ticker="XOM", acquired=date(2014, 6, 2), shares=Decimal(3000),
               basis_per_share=Decimal(100))  # $44.00 a share of loss
XOM_NEW = Lot(lot_id="XOM-NEW", ticker="XOM", acquired=date(2021, 4, 1), shares=Decimal(10),
              basis_per_share=Decimal("57.97"))  # bought 20 days ago: 10 replacement shares


def test_only_the_matched_shares_lose_their_loss(legacy_account: Account, market: Market) -> None:
    """Before, the recent 10 shares forbade every XOM loss sale. Now the plan harvests them: the 10
    replacement shares match the 10 earliest-acquired loss shares sold — LEG-00046's, bought 2006,
    though XOM-2014's loss per share is far larger — so 10 × ($58.47 − $56.00) = $24.70 is
    disallowed, added to XOM-NEW's basis (10 × $57.97 + $24.70 = $604.40), and XOM-NEW's holding
    period starts on 2006-01-03."""
    plan = run(with_lots(legacy_account, XOM_2014, XOM_NEW), market, RULE)
    outcome, result = plan.outcome, plan.result
    sold = {s.trade.lot_id: s for s in outcome.sold(["XOM"])}
    assert {"LEG-00046", "XOM-2014"} <= set(sold) and "XOM-NEW" not in sold
    assert sold["LEG-00046"].disallowed == Decimal("24.70")
    assert all(s.disallowed == 0 for lot, s in sold.items() if lot != "LEG-00046")
    # Realized gains and the estimated tax are net of the disallowed loss (all XOM lots are long-term).
    raw_lt = sum((s.gain for s in outcome.sales if s.long_term), Decimal(0))
    assert outcome.realized_long_term == raw_lt + Decimal("24.70")
    tax = legacy_account.tax
    assert outcome.estimated_tax == added_tax(tax.realized_short_term_ytd, tax.realized_long_term_ytd,
                                              outcome.realized_short_term, raw_lt + Decimal("24.70"),
                                              tax.carryforward_short_term, tax.carryforward_long_term,
                                              tax.short_term_rate, tax.long_term_rate)
    line = next(t for t in result.trades if t.lot_id == "LEG-00046")
    assert line.disallowed_loss == Decimal("24.70")
    assert line.realized_gain == (sold["LEG-00046"].gain + Decimal("24.70")).quantize(Decimal("0.01"))
    assert [(w.replacement, w.shares_matched, w.disallowed_loss) for w in line.wash_sale] == \
        [("XOM-NEW", Decimal(10), Decimal("24.70"))]
    assert result.summary is not None and result.summary.disallowed_loss == Decimal("24.70")
    [adjusted] = result.basis_adjustments
    assert (adjusted.replacement, adjusted.shares, adjusted.adjusted_basis) == \
        ("XOM-NEW", Decimal(10), Decimal("604.40"))
    assert adjusted.holding_period_start == date(2006, 1, 3)
    assert "24.70" in trades_csv(result).splitlines()[1 + result.trades.index(line)]
    assert result.verified
    reason = next(r for r in explain(plan, policy(RULE)).trades if r.lot_id == "LEG-00046")
    assert "10 of 359.1585 shares matched with lot XOM-NEW bought 2021-04-01: $24.70 disallowed, added to " \
        "its basis" in reason.text and reason.realized_gain == line.realized_gain
    # The model charged the same: its long-term gain is the verifier's, to the share snapping.
    model = plan.model
    charged = plan.solution.x[plan.solution.compiled.cols([model.m.lt_gain])[0]] * model.data.value
    assert abs(charged - float(outcome.realized_long_term)) < 1.0


def test_a_plan_claiming_the_full_loss_is_refused(legacy_account: Account, market: Market) -> None:
    plan = run(with_lots(legacy_account, XOM_2014, XOM_NEW), market, RULE)
    outcome = plan.outcome
    full = replace(outcome, realized_long_term=outcome.realized_long_term - Decimal("24.70"))
    assert [v.code for v in verify(full, [RULE])] == ["V235"]
    assert not verify(outcome, [RULE])


def test_whole_shares_harvest_share_for_share(legacy_account: Account, market: Market) -> None:
    """Under `trading … whole shares` the same harvest is offered: LEG-00046's first 10 shares match
    XOM-NEW's 10 and their $24.70 is disallowed; every XOM sale is whole shares (the lots' fractional
    remainders stay, as XOM-NEW keeps the position open)."""
    whole = TradingIR(id="trading", span=span(5), min_trade_usd=None, whole_shares=True, max_turnover=None,
                      max_positions=None)
    plan = run(with_lots(legacy_account, XOM_2014, XOM_NEW), market, RULE, whole)
    sold = {s.trade.lot_id: s for s in plan.outcome.sold(["XOM"])}
    assert "LEG-00046" in sold and "XOM-NEW" not in sold
    assert all(s.trade.shares % 1 == 0 for s in sold.values())
    assert sold["LEG-00046"].disallowed == Decimal("24.70")
    [adjusted] = plan.result.basis_adjustments
    assert (adjusted.replacement, adjusted.shares, adjusted.adjusted_basis) == \
        ("XOM-NEW", Decimal(10), Decimal("604.40"))


def test_shares_bought_elsewhere_replace_too(legacy_account: Account, market: Market) -> None:
    """10 XOM shares bought 20 days ago and since moved out of this account are still replacement
    shares (they open no lot here): the loss sale is allowed, 10 shares' loss disallowed."""
    buy = Transaction(on=date(2021, 4, 1), ticker="XOM", action="buy", shares=Decimal(10),
                      price=Decimal("57.97"))
    account = with_lots(legacy_account, XOM_2014)
    account = account.model_copy(update={"transactions": (*account.transactions, buy)})
    plan = run(account, market, RULE)
    [match] = plan.outcome.wash_matches
    assert (match.lot_id, match.replacement, match.shares, match.loss_disallowed) == \
        ("LEG-00046", "bought 2021-04-01", Decimal(10), Decimal("24.70"))
    reason = next(r for r in explain(plan, policy(RULE)).trades if r.lot_id == "LEG-00046")
    assert "10 of 359.1585 shares matched with the shares bought 2021-04-01: $24.70 disallowed" in reason.text


def test_the_law_matches_in_order_of_acquisition() -> None:
    """Replacement shares in the order bought, loss shares in the order bought, earliest first."""
    sold = [("late", date(2020, 1, 1), Decimal(5)), ("early", date(2010, 1, 1), Decimal(3))]
    bought = [("r2", date(2021, 4, 10), Decimal(4)), ("r1", date(2021, 4, 1), Decimal(2))]
    assert match_share_for_share(sold, bought) == [("early", "r1", Decimal(2)), ("early", "r2", Decimal(1)),
                                                   ("late", "r2", Decimal(3))]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 50), st.integers(1, 40)), min_size=1, max_size=4),
       st.integers(1, 120), st.data())
def test_the_models_charge_is_the_laws(lots: list[tuple[int, int]], replacement: int,
                                      data: st.DataObject) -> None:
    """For any sale the model allows (the first R loss shares before any other), the loss it charges
    as disallowed — a lot's matched part at its loss per share — is the verifier's matching's."""
    shares = [Decimal(s) for s, _ in lots]
    matched = matched_shares(shares, Decimal(replacement))
    all_matched = data.draw(st.booleans()) and sum(matched) == replacement
    sold = []
    for held, part in zip(shares, matched, strict=True):
        if all_matched:  # w = 1: the matched shares all sold, any of the rest
            sold.append(part + Decimal(data.draw(st.integers(0, int(held - part)))))
        else:  # w = 0: any of the matched shares, none of the rest
            sold.append(Decimal(data.draw(st.integers(0, int(part)))))
    loss = [Decimal(per) for _, per in lots]
    charged = sum((min(s, part) * per for s, part, per in zip(sold, matched, loss, strict=True)), Decimal(0))
    law = match_share_for_share([(str(k), date(2000 + k, 1, 1), s) for k, s in enumerate(sold) if s > 0],
                                [("R", date(2021, 4, 1), Decimal(replacement))])
    assert charged == sum((n * loss[int(lot)] for lot, _, n in law), Decimal(0))


def test_a_window_past_30_days_still_forbids(legacy_account: Account, market: Market) -> None:
    """Under a 45-day window, XOM bought 40 days ago is outside the statutory 30: no disallowance to
    charge, but the policy's caution keeps forbidding the loss sale — and the verifier names it."""
    old = XOM_NEW.model_copy(update={"acquired": date(2021, 3, 12)})
    wide = RULE.model_copy(update={"window_days": 45})
    plan = run(with_lots(legacy_account, XOM_2014, old), market, wide)
    assert not [s for s in plan.outcome.sold(["XOM"]) if s.gain < 0]
    harvest = run(with_lots(legacy_account, XOM_2014, XOM_NEW), market, RULE).outcome
    sales = [s.trade for s in harvest.sales]
    outcome = build_outcome(with_lots(legacy_account, XOM_2014, old), market, [*sales, *harvest.buys],
                            harvest.target)
    assert "V218" in {v.code for v in verify(outcome, [wide])}


def test_a_recent_loss_sale_keeps_the_name_unsold_at_a_loss(legacy_account: Account, market: Market) -> None:
    """XOM bought 20 days ago (shares since moved out) and sold at a loss 10 days ago: the bought
    shares may already replace the earlier sale's, so the share-for-share matching does not settle a
    new loss sale: it is forbidden. (Had the bought shares been a lot held here, selling the whole
    position would be allowed: the liquidation exception.)"""
    bought = Transaction(on=date(2021, 4, 1), ticker="XOM", action="buy", shares=Decimal(10),
                         price=Decimal("57.97"))
    sale = Transaction(on=date(2021, 4, 11), ticker="XOM", action="sell", shares=Decimal(5),
                       price=Decimal("57"), realized_gain=Decimal(-50))
    account = with_lots(legacy_account, XOM_2014)
    account = account.model_copy(update={"transactions": (*account.transactions, bought, sale)})
    plan = run(account, market, RULE)
    assert not [s for s in plan.outcome.sold(["XOM"]) if s.gain < 0]
