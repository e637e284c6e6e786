"""Trades as exact decimals: the optimiser's floats snapped to shares and cents.

Shares are rounded *down* to 6 decimal places (or to whole shares), so no lot is oversold and no
buy exceeds what the model paid for; a sale within rounding of a whole lot sells the whole lot.
If snapping leaves cash a few cents short, the largest buy gives way. Money is exact here and
rounded to the cent (half-even) only when reported.
"""

from __future__ import annotations

from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_UP, Decimal

import numpy as np

from solver.lots import Trade
from solver.model import AccountModel
from solver.solve import Solution

SHARE_STEP = Decimal("0.000001")
CENT = Decimal("0.01")
DUST_DOLLARS = 0.50  # a trade worth less than this is float noise, not a decision


def snap_shares(value: float, whole: bool) -> Decimal:
    step = Decimal(1) if whole else SHARE_STEP
    return Decimal(repr(value)).quantize(step, rounding=ROUND_HALF_EVEN if whole else ROUND_DOWN)


def extract_trades(model: AccountModel, solution: Solution, whole_shares: bool = False) -> list[Trade]:
    m, x, compiled = model.m, solution.x, solution.compiled
    prices = {t: model.market.price(t) for t in model.tickers if t in model.market.prices.index}
    trades: list[Trade] = []
    sell_cols = compiled.cols(list(m.sell.values()))
    for k, lot in enumerate(model.lots):
        dollars = float(x[sell_cols[k]]) * model.value if sell_cols[k] >= 0 else 0.0
        if dollars < DUST_DOLLARS:
            continue
        price = prices[lot.ticker]
        shares = snap_shares(dollars / float(price), whole_shares)
        if lot.shares - shares <= SHARE_STEP * 10 or shares > lot.shares:
            shares = lot.shares
        if shares > 0:
            trades.append(Trade(action="sell", ticker=lot.ticker, shares=shares, price=price, lot_id=lot.lot_id,
                                acquired=lot.acquired, basis_per_share=lot.basis_per_share))
    buy_cols = compiled.cols(list(m.buy.values()))
    buys = []
    for i, ticker in enumerate(model.tickers):
        dollars = float(x[buy_cols[i]]) * model.value if buy_cols[i] >= 0 else 0.0
        if dollars < DUST_DOLLARS:
            continue
        shares = snap_shares(dollars / float(prices[ticker]), whole_shares)
        if shares > 0:
            buys.append(Trade(action="buy", ticker=ticker, shares=shares, price=prices[ticker]))
    cash_col = compiled.col(m.cash)
    planned_cash = Decimal(repr(max(float(x[cash_col]), 0.0) * model.value)).quantize(CENT, rounding=ROUND_UP)
    return trades + _fit_cash(model, trades, buys, whole_shares, planned_cash)


def _fit_cash(model: AccountModel, sells: list[Trade], buys: list[Trade], whole: bool,
              floor: Decimal) -> list[Trade]:
    """Trim the largest buy if rounding left less cash than the model planned (reserves hold)."""
    cash = model.account.cash + model.cash_flow + sum(
        (t.amount for t in sells), Decimal(0)) - sum((t.amount for t in buys), Decimal(0))
    if cash >= floor or not buys:
        return buys
    largest = int(np.argmax([float(t.amount) for t in buys]))
    trade = buys[largest]
    step = Decimal(1) if whole else SHARE_STEP
    cut = ((floor - cash) / trade.price).quantize(step, rounding=ROUND_UP)
    buys[largest] = trade.model_copy(update={"shares": max(trade.shares - cut, Decimal(0))})
    return [t for t in buys if t.shares > 0]
