"""Money adds up to the cent in what a plan reports (README "Rounding and exactness").

Each trade settles for its shares × price to the cent; a sale's cost basis is its shares × the lot's
basis per share to the cent; its realized gain is the one less the other plus the loss a wash sale
disallows, and a sale's matches disallow, between them, exactly that line's loss when all its shares
are matched. Every total is the sum of its lines, and cash moves by the lines' amounts — what a
compliance reader checks when reconciling trades.csv with result.json and the custodian's cash.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compiler.check import compile_policy
from engine.rebalance import _summary, _trade_lines, plan
from solver import trades
from solver.account import Account
from solver.account_files import load_account
from solver.lots import Lot, Trade
from solver.market import Market
from solver.model import AccountModel
from solver.result import Summary, TradeLine
from solver.verify import build_outcome
from tests.solver.conftest import ROOT, run

ZERO = Decimal(0)


def assert_adds_up(lines: tuple[TradeLine, ...], summary: Summary) -> None:
    sales = [line for line in lines if line.action == "sell"]
    for line in sales:
        assert line.amount - line.cost_basis + (line.disallowed_loss or ZERO) == line.realized_gain, line
        assert sum((m.disallowed_loss for m in line.wash_sale), ZERO) == (line.disallowed_loss or ZERO), line
    for term, total in (("short", summary.realized_short_term), ("long", summary.realized_long_term)):
        assert sum((line.realized_gain for line in sales if line.term == term), ZERO) == total
    assert sum((line.disallowed_loss or ZERO for line in sales), ZERO) == summary.disallowed_loss
    moved = sum((line.amount for line in sales), ZERO) - sum((line.amount for line in lines
                                                              if line.action == "buy"), ZERO)
    assert summary.cash_before + summary.cash_flow + moved == summary.cash_after


def test_a_real_plan_adds_up(index_account: Account, market: Market) -> None:
    outcome = run(index_account, market).outcome
    lines = _trade_lines(outcome)
    assert sum(line.action == "sell" for line in lines) > 20
    # Cent rounding decides something here: some lines' exact gains round otherwise than their parts.
    assert any(s.trade.shares * (s.trade.price - lot.basis_per_share) != s.gain
               for s in outcome.sales for lot in index_account.lots if lot.lot_id == s.trade.lot_id)
    assert_adds_up(lines, _summary(outcome))


@pytest.fixture(scope="module")
def losing(index_account: Account, market: Market) -> list[Lot]:
    """Lots of the index account worth less than they cost on the market's day, with prices and bases
    of many decimals: what makes each line's cents differ from the exact figures."""
    lots = [lot for lot in index_account.lots if market.price(lot.ticker) < lot.basis_per_share]
    assert len(lots) >= 10
    return lots


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_sales_and_their_wash_sales_add_up(data: st.DataObject, index_account: Account, market: Market,
                                           losing: list[Lot]) -> None:
    """Any loss sales (part or all of a lot, fractional shares) with buys of the same names today,
    which replace some or all of the loss shares: every line and total adds up to the cent."""
    sold = data.draw(st.lists(st.sampled_from(losing), min_size=1, max_size=8,
                              unique_by=lambda lot: lot.lot_id))
    trades = []
    for lot in sold:
        shares = data.draw(st.decimals(min_value=Decimal("0.000001"), max_value=lot.shares, places=6))
        trades.append(Trade(action="sell", ticker=lot.ticker, shares=shares, price=market.price(lot.ticker),
                            lot_id=lot.lot_id, acquired=lot.acquired, basis_per_share=lot.basis_per_share))
    for ticker in sorted({lot.ticker for lot in sold}):
        if data.draw(st.booleans()):
            shares = data.draw(st.decimals(min_value=Decimal("0.000001"), max_value=Decimal(50), places=6))
            trades.append(Trade(action="buy", ticker=ticker, shares=shares, price=market.price(ticker)))
    outcome = build_outcome(index_account, market, trades, target={})
    assert_adds_up(_trade_lines(outcome), _summary(outcome))
    for s in outcome.sales:
        matched = sum((m.shares for m in outcome.wash_matches if m.lot_id == s.trade.lot_id), ZERO)
        if matched == s.trade.shares:  # all of its shares replaced: all of its loss disallowed
            assert s.disallowed == -s.gain and s.realized == 0


def test_rounding_adds_no_gain_to_a_spent_allowance(benchmark_account: Callable[[str], Path], market: Market,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """legacy_aapl has realized $75,000 of long-term gains this year, beyond its $25,000 transition
    budget: the plan may sell AAPL's gains only against losses, netting no more than $0. The exact
    gains of its trades net to $0 or less; their lines, each to the cent, would net to more, and the
    verifier refuses them (V231) — so a gain lot's sale gives way by the millionths of a share that
    cover it (solver.trades._no_gain_from_cents), which the verifier accepts."""
    account = load_account(benchmark_account("legacy_aapl"))
    policy = compile_policy(ROOT / "benchmarks" / "policies" / "transition_tax_budget.tailor")
    result = plan(account, policy, market).result
    assert result.verified and result.summary is not None
    assert result.summary.realized_short_term + result.summary.realized_long_term <= 0
    assert any(line.realized_gain > 0 for line in result.trades if line.action == "sell")
    assert_adds_up(result.trades, result.summary)

    monkeypatch.setattr(trades, "_no_gain_from_cents", lambda model, sells, closed, step: sells)
    uncut = plan(account, policy, market).result
    assert [v.code for v in uncut.violations] == ["V231"]


def reported(sales: list[Trade]) -> Decimal:
    """The sale lines' gain: each line's proceeds less its basis, each to the cent (half-even)."""
    cent = Decimal("0.01")
    return sum(((t.shares * t.price).quantize(cent) - (t.shares * t.basis_per_share).quantize(cent)
                for t in sales), ZERO)


def exact(sales: list[Trade]) -> Decimal:
    return sum((t.shares * (t.price - t.basis_per_share) for t in sales), ZERO)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), whole=st.booleans())
def test_a_gain_cut_reports_no_more_gain_than_the_trades_realize(
        data: st.DataObject, whole: bool, legacy_account: Account, market: Market,
        legacy_model: AccountModel) -> None:
    """Any sales of the legacy account's lots, in millionths or in whole shares: after
    `_no_gain_from_cents`, each character's lines report no more gain than its sales as drawn
    realize exactly, where it has a gain sale to cut, and the net lines no more than the net, where
    either has; only gain sales shrink, by whole steps."""
    lots = data.draw(st.lists(st.sampled_from(legacy_account.lots), min_size=1, max_size=12,
                              unique_by=lambda lot: lot.lot_id))
    step = Decimal(1) if whole else Decimal("0.000001")
    sells = []
    for lot in lots:
        if (most := int(lot.shares / step)) >= 1:
            shares = data.draw(st.integers(min_value=1, max_value=most)) * step
            sells.append(Trade(action="sell", ticker=lot.ticker, shares=shares,
                               price=market.price(lot.ticker), lot_id=lot.lot_id, acquired=lot.acquired,
                               basis_per_share=lot.basis_per_share))
    cut = trades._no_gain_from_cents(legacy_model, sells, set(), step)
    drawn = {t.lot_id: t for t in sells}
    for t in cut:
        assert t.shares == drawn[t.lot_id].shares or (t.shares < drawn[t.lot_id].shares
                                                      and t.price > t.basis_per_share)
        assert t.shares % step == 0
    long_term = dict(zip((lot.lot_id for lot in legacy_model.data.lots),
                         legacy_model.data.lot_long_term.tolist(), strict=True))
    any_gain = False
    for term in (False, True):
        mine = [t for t in sells if long_term[t.lot_id] == term]
        if any(t.price > t.basis_per_share for t in mine):
            any_gain = True
            assert reported([t for t in cut if long_term[t.lot_id] == term]) <= exact(mine)
    if any_gain:
        assert reported(cut) <= exact(sells)
    # ... and gives up no more than that takes: the lines' excess (by character and net), two cents a
    # cut for its own rounding, and a step's gain.
    terms = [[t for t in sells if long_term[t.lot_id] == term] for term in (False, True)]
    excess = sum((max(reported(mine) - exact(mine), ZERO) for mine in (*terms, sells)), ZERO)
    left = {t.lot_id: t.shares for t in cut}
    changed = [t for t in sells if left.get(t.lot_id) != t.shares]  # cut, or cut to nothing and dropped
    given_up = exact(sells) - exact(cut)
    assert given_up <= excess + sum((Decimal("0.02") + step * (t.price - t.basis_per_share)
                                     for t in changed), ZERO)


def test_a_gain_cut_spares_the_small_orders(legacy_account: Account, market: Market,
                                           legacy_model: AccountModel) -> None:
    """The cut lands in the sell order that stays largest after it, not in the lot with the most gain
    per dollar: a $1,335 AAPL sale (gain 84% of its proceeds) beside a $15,054 JPM sale (34%). Cutting
    the AAPL sale would cost the fewest dollars, but a minimum trade binds on the small orders (a
    $2,000 order cut by 8 cents fell below a $2,000 minimum: V213, where the budget's V208 had been)."""
    lots = {lot.lot_id: lot for lot in legacy_account.lots}
    sells = [Trade(action="sell", ticker=lot.ticker, shares=Decimal(shares), price=market.price(lot.ticker),
                   lot_id=lot.lot_id, acquired=lot.acquired, basis_per_share=lot.basis_per_share)
             for lot, shares in ((lots["LEG-00019"], "10.000001"), (lots["LEG-00016"], "100.000003"))]
    assert reported(sells) > exact(sells)
    cut = trades._no_gain_from_cents(legacy_model, sells, set(), Decimal("0.000001"))
    assert reported(cut) <= exact(sells)
    assert [t.shares for t in cut if t.ticker == "AAPL"] == [Decimal("10.000001")]
    assert [t.shares for t in cut if t.ticker == "JPM"] < [Decimal("100.000003")]


@pytest.fixture(scope="module")
def legacy_model(legacy_account: Account, market: Market) -> AccountModel:
    return AccountModel([legacy_account], market)


def test_trades_take_no_more_of_the_cash_than_the_reserve_rows_leave(market: Market) -> None:
    """The reserve rows keep the planned cash CASH_MARGIN_USD above the reserve; snapping trades may
    take that margin, no more. When the plan was rounded down to the cent before the margin came off,
    HiGHS's $4.029999… (a $4.01 reserve plus the margin, within its tolerance) left a floor of $4.00,
    and the 10-year monthly simulation lost its 2013-07-31 step to V212 (cash $4.00, reserve $4.01)."""
    value = 1_357_815.68
    planned = (4.01 + 0.02 - 1e-9) / value
    floor = trades._cash_floor(planned, value)
    assert floor == Decimal("4.01")
    buy = Trade(action="buy", ticker="AAPL", shares=Decimal("1.000000"), price=market.price("AAPL"))
    cash_before = buy.amount + Decimal("4.00")  # the buy as snapped leaves $4.00
    kept = trades._fit_cash(cash_before, [], [buy], False, floor)
    assert cash_before - sum(t.amount for t in kept) >= Decimal("4.01")
    assert kept[0].shares > Decimal("0.999")  # (a sliver of the buy gives way, not the buy)
