"""Trades as exact decimals: the optimiser's floats snapped to shares and cents.

Shares are rounded *down* to 6 decimal places (or to whole shares), so no lot is oversold and no
buy exceeds what the model paid for; a sale within rounding of a whole lot sells the whole lot.
If snapping leaves cash a few cents short, the largest buy gives way. Each trade settles for its
shares × price to the cent (`Trade.amount`), which is what the cash check counts.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_UP, Decimal

import numpy as np
import pyomo.environ as pyo

from solver.lots import SHARE_STEP, Lot, Trade
from solver.model import CASH_MARGIN_USD, PRIMAL_TOLERANCE, AccountModel
from solver.money import CENT, shares_freeing
from solver.solve import Solution
from solver.tax import to_cents

# A trade worth less than half a cent, or than the solver's row tolerance, is noise, not a decision.
# Anything larger is kept: a few cents from a second lot can be what lifts a sale to its minimum.
DUST_DOLLARS = 0.005
DUST_FRACTION = 2 * PRIMAL_TOLERANCE


def snap_shares(value: float, whole: bool, rounding: str | None = None) -> Decimal:
    """Shares to 6 places rounded down, or whole shares rounded to nearest (or as `rounding` says)."""
    step = Decimal(1) if whole else SHARE_STEP
    rounding = rounding or (ROUND_HALF_EVEN if whole else ROUND_DOWN)
    return Decimal(repr(value)).quantize(step, rounding=rounding)


def from_lot(shares: Decimal, available: Decimal) -> Decimal:
    """Shares taken from a lot: all that is left of it when the snapped figure is within rounding of
    that (or above it), so no sliver of a lot is left behind or oversold."""
    return available if available - shares <= SHARE_STEP * 10 or shares > available else shares


def _account_of(model: AccountModel) -> Callable[[int], str | None]:
    """The account a trade of lot k names: in a household its account, for one account none."""
    if not model.data.household:
        return lambda _: None
    ids, lot_account = [member.account_id for member in model.data.accounts], model.data.lot_account
    return lambda k: ids[lot_account[k]]


def extract_trades(model: AccountModel, solution: Solution, whole_shares: bool = False,
                   exits: bool = True, gains_as_reported: bool = False) -> list[Trade]:
    """The plan's trades; under whole shares with `exits`, a position sold down to its fractional
    remainders is sold whole (`_exit_whole`); with `gains_as_reported`, rounding the sale lines to the
    cent adds no realized gain (`_no_gain_from_cents`)."""
    m, x, compiled = model.m, solution.x, solution.compiled
    market = model.data.market
    prices = {t: market.price(t) for t in model.data.tickers if t in market.prices.index}
    dust = max(DUST_DOLLARS, DUST_FRACTION * model.data.value)
    trades: list[Trade] = []
    sell_cols = compiled.cols(list(m.sell.values()))
    closed = _sold_out(model, solution, dust) | (_closed_out(model, solution) if whole_shares else set())
    owner = _account_of(model)
    for k, lot in enumerate(model.data.lots):
        dollars = float(x[sell_cols[k]]) * model.data.value if sell_cols[k] >= 0 else 0.0
        if dollars < dust and not (lot.ticker in closed and _sellable(m.sell[k].ub)):
            continue
        price = prices[lot.ticker]
        # A closed-out position sells each lot in full, its fractional remainder and slivers included.
        shares = lot.shares if lot.ticker in closed else from_lot(
            snap_shares(dollars / float(price), whole_shares), lot.shares)
        if shares > 0:
            trades.append(Trade(action="sell", ticker=lot.ticker, shares=shares, price=price,
                                lot_id=lot.lot_id, acquired=lot.acquired,
                                basis_per_share=lot.basis_per_share, account=owner(k)))
    if gains_as_reported:
        trades = _no_gain_from_cents(model, trades, closed, Decimal(1) if whole_shares else SHARE_STEP)
    if model.data.household:
        gifts = _transfers(model, solution, prices, {t.lot_id: t.shares for t in trades}, dust, False, owner)
        return trades + gifts + _household_buys(model, solution, trades, prices, dust)
    buy_cols = compiled.cols(list(m.buy.values()))
    buys = []
    for i, ticker in enumerate(model.data.tickers):
        dollars = float(x[buy_cols[i]]) * model.data.value if buy_cols[i] >= 0 else 0.0
        if dollars < dust:
            continue
        shares = snap_shares(dollars / float(prices[ticker]), whole_shares)
        if shares > 0:
            buys.append(Trade(action="buy", ticker=ticker, shares=shares, price=prices[ticker]))
    cash_col = compiled.col(m.cash)
    # Cash may end up to CASH_MARGIN_USD below the plan (reserves keep that room in the model): trimming
    # a whole share of a buy for half a cent would move the plan more than the cent does.
    planned_cash = _cash_floor(float(x[cash_col]), model.data.value)
    sold = {t.lot_id: t.shares for t in trades}
    gifts = _transfers(model, solution, prices, sold, dust, whole_shares, owner)
    if whole_shares and exits:
        trades = _exit_whole(model, trades, {t.ticker for t in (*buys, *gifts)}, prices)
    cash = model.data.account.cash + model.total_cash_flow
    return trades + gifts + _fit_cash(cash, trades, buys, whole_shares, planned_cash)


def extract_contributions(model: AccountModel, solution: Solution) -> dict[str, Decimal]:
    """A household's cash moved between accounts, net per account (+ received, − given), to the cent
    and adding up to zero: each amount is rounded down, then the larger side trimmed to the smaller
    (its largest amount first), so no account receives more than was given or than it may."""
    m = model.m
    if not hasattr(m, "given"):
        return {}

    def cents(variables: dict[int, object]) -> dict[int, Decimal]:
        cols = solution.compiled.cols(list(variables.values()))
        value = model.data.value
        return {a: Decimal(repr(max(float(solution.x[c]), 0.0) * value)).quantize(CENT, rounding=ROUND_DOWN)
                if c >= 0 else Decimal(0) for a, c in zip(variables, cols, strict=True)}

    given, received = cents(dict(m.given.items())), cents(dict(m.received.items()))
    for side, other in ((given, received), (received, given)):
        excess = sum(side.values(), Decimal(0)) - sum(other.values(), Decimal(0))
        for a in sorted(side, key=lambda k: -side[k]):
            cut = min(excess, side[a]) if excess > 0 else Decimal(0)
            side[a] -= cut
            excess -= cut
    net = {a: received.get(a, Decimal(0)) - given.get(a, Decimal(0)) for a in {*given, *received}}
    return {model.data.accounts[a].account_id: amount for a, amount in sorted(net.items()) if amount}


def _no_gain_from_cents(model: AccountModel, sells: list[Trade], closed: set[str],
                        step: Decimal) -> list[Trade]:
    """The sales, with rounding kept from adding realized gain. A sale line reports its gain as its
    proceeds less its basis, each to the cent, so the lines can add up to more than the exact gain of
    the same trades — and a limit the plan meets exactly (a budget already spent: no more net gain)
    would read as broken by cents. Where the lines of a character report more gain than its sales
    realize, a sale of one of its gain lots gives way by the fewest `step`s of a share (a millionth,
    or a whole share) that cover it; so does a sale of either character where the net is more (a
    character without gain lots reports no line above zero, so only its share of the net can be).
    The sale cut is of a name the plan does not sell out (`closed`), part of a lot rather than all of
    one (no sliver left), in the sell order that stays largest after the cut: a minimum trade binds on
    the smallest orders, and a cut of a few cents took one below it (an order of $2,000.01 for a
    $2,000 minimum); in fractional shares a weight moves by ~1e-9, within the verifier's
    tolerance, under whole shares by a share. `engine.rebalance.plan` asks for it only when the
    verifier refuses the plain trades, and keeps it only when the verifier accepts it (a cut could
    take an order below its minimum, or a name over a cap)."""
    data = model.data
    at = {lot.lot_id: k for k, lot in enumerate(data.lots)}
    whole = {t.lot_id for t in sells if t.shares == data.lots[at[t.lot_id or ""]].shares}

    def of(term: bool, t: Trade) -> bool:  # a sale of that character whose gain a return sees
        k = at[t.lot_id or ""]
        return bool(data.lot_taxed[k]) and bool(data.lot_long_term[k]) == term

    def gain_per_share(t: Trade) -> Decimal:
        return t.price - (t.basis_per_share or t.price)

    def reported(t: Trade) -> Decimal:  # the line's gain: proceeds less basis, each to the cent
        return t.amount - to_cents(t.shares * (t.basis_per_share or Decimal(0)))

    # What the trades as planned realize exactly, by character: the most their lines may report.
    exact = {term: sum((t.shares * gain_per_share(t) for t in sells if of(term, t)), Decimal(0))
             for term in (False, True)}
    for _ in range(3):  # a cut line rounds again: a second pass covers what that leaves
        over = {term: sum((reported(t) for t in sells if of(term, t)), Decimal(0)) - exact[term]
                for term in (False, True)}
        gains = {term: [t for t in sells if of(term, t) and t.ticker not in closed and gain_per_share(t) > 0]
                 for term in (False, True)}
        todo = [(term, over[term]) for term in (False, True) if over[term] > 0 and gains[term]]
        if not todo and over[False] + over[True] > 0:
            todo = [(term, over[False] + over[True]) for term in (False, True) if gains[term]][:1]
        if not todo:
            return sells
        orders: dict[str, Decimal] = {}
        for t in sells:
            orders[t.ticker] = orders.get(t.ticker, Decimal(0)) + t.amount
        for term, need in todo:
            cut = max(gains[term], key=lambda t: (t.lot_id not in whole, orders[t.ticker]
                                                  - need * t.price / gain_per_share(t), t.lot_id or ""))
            # Two cents more than the excess: the line's proceeds and basis each round again after the
            # cut, which can move its reported gain by a cent each way against the exact.
            fewer = ((need + 2 * CENT) / gain_per_share(cut)).quantize(step, rounding=ROUND_UP)
            shares = cut.shares - fewer
            sells = [t for t in (t.model_copy(update={"shares": max(shares, Decimal(0))}) if t is cut else t
                                 for t in sells) if t.shares > 0]
    return sells


def _household_buys(model: AccountModel, solution: Solution, sells: list[Trade], prices: dict[str, Decimal],
                    dust: float) -> list[Trade]:
    """A household's buys, by account (`buy_in`), each account's trimmed to its own planned cash (after
    the cash it gives or receives, and its own deposits and withdrawals)."""
    m, x, compiled, data = model.m, solution.x, solution.compiled, model.data
    moved = extract_contributions(model, solution)
    keys = list(m.buy_in.keys())
    cols = compiled.cols(list(m.buy_in.values()))
    cash_cols = compiled.cols(list(m.cash_in.values()))
    buys: list[Trade] = []
    for a, member in enumerate(data.accounts):
        mine = []
        for (owner, i), col in zip(keys, cols, strict=True):
            dollars = float(x[col]) * data.value if owner == a and col >= 0 else 0.0
            if dollars < dust:
                continue
            ticker = data.tickers[i]
            shares = snap_shares(dollars / float(prices[ticker]), False)
            if shares > 0:
                mine.append(Trade(action="buy", ticker=ticker, shares=shares, price=prices[ticker],
                                  account=member.account_id))
        planned = float(x[cash_cols[a]]) if cash_cols[a] >= 0 else float(model.account_cash_before[a])
        floor = _cash_floor(planned, data.value)
        sold = [t for t in sells if t.account == member.account_id]
        cash = member.cash + moved.get(member.account_id, Decimal(0)) + model.account_flows.get(a, Decimal(0))
        buys += _fit_cash(cash, sold, mine, False, floor)
    return buys


def _exit_whole(model: AccountModel, sells: list[Trade], kept: set[str],
                prices: dict[str, Decimal]) -> list[Trade]:
    """A position the plan sells down to its lots' fractional remainders (reinvested dividends: a whole-
    share sale cannot take them), buying and giving none of it, is exited: each of its lots is sold in
    full, so no sub-share sliver is left to track. It adds a fraction of a share per lot to a sale the
    plan chose, so the verifier decides (`engine.rebalance.plan` takes the plan without it when the
    verifier refuses it, e.g. a budget the extra gain would pass)."""
    sold = {t.lot_id: t for t in sells}
    whole_sold = {t.lot_id: t.shares for t in sells}  # a lot sold to its remainder: its whole shares
    lots_of: dict[str, list[Lot]] = {}
    for lot in model.data.lots:
        lots_of.setdefault(lot.ticker, []).append(lot)
    exited = {ticker for ticker, lots in lots_of.items()
              if ticker not in kept and any(lot.lot_id in sold for lot in lots)
              and any(lot.shares % 1 for lot in lots)
              and all(whole_sold.get(lot.lot_id, 0) == int(lot.shares) for lot in lots)}
    if not exited:
        return sells
    return [Trade(action="sell", ticker=lot.ticker, shares=lot.shares, price=prices[lot.ticker],
                  lot_id=lot.lot_id, acquired=lot.acquired, basis_per_share=lot.basis_per_share)
            if lot.ticker in exited else sold[lot.lot_id]
            for lot in model.data.lots if lot.ticker in exited or lot.lot_id in sold]


def _closed_out(model: AccountModel, solution: Solution) -> set[str]:
    """Names whose position the whole-share model closes out (`Contribution.whole_shares`)."""
    names = model.close_out_names
    cols = solution.compiled.cols([model.m.close_out[i] for i in names]) if names else []
    return {model.data.tickers[i] for i, col in zip(names, cols, strict=True)
            if col >= 0 and solution.x[col] > 0.5}


def _sellable(most: float | None) -> bool:
    """May the model sell a lot whose sale is at most `most` (no rule fixed it at zero)?"""
    return most is None or most > 0


def _sold_out(model: AccountModel, solution: Solution, dust: float) -> set[str]:
    """Names held that the plan leaves at less than `dust`: their every lot is sold in full. The model
    cannot see a sliver under its tolerance (a lot of 0.000001 shares, left by a wash sale's basis
    adjustment), and a position closed but for it is not closed: the verifier refused such plans,
    the sliver an excluded name still held (V203) or replacement stock for a loss sale (V218)."""
    data = model.data
    weights = solution.compiled.cols(list(model.m.weight.values()))
    # A name's weight after the plan is of the value after flows and gifts (the `holding` row).
    left = np.where(weights >= 0, solution.x[np.maximum(weights, 0)], np.inf) * pyo.value(model.value_after)
    out = np.flatnonzero((data.held > 0) & (left * data.value < dust))
    return {data.tickers[i] for i in out.tolist()}


def _transfers(model: AccountModel, solution: Solution, prices: dict[str, Decimal],
               sold: dict[str | None, Decimal], dust: float, whole: bool,
               owner: Callable[[int], str | None]) -> list[Trade]:
    """Shares leaving in kind (`AccountModel.declare_transfer`), rounded down even in whole shares (a
    gift never exceeds what was asked for), never more than the sale left of the lot."""
    lots = sorted(model.transferable)
    cols = solution.compiled.cols([model.m.transfer[k] for k in lots]) if lots else []
    gifts = []
    for k, col in zip(lots, cols, strict=True):
        dollars = float(solution.x[col]) * model.data.value if col >= 0 else 0.0
        if dollars < dust:
            continue
        lot, price = model.data.lots[k], prices[model.data.lots[k].ticker]
        left = lot.shares - sold.get(lot.lot_id, Decimal(0))
        shares = from_lot(snap_shares(dollars / float(price), whole, rounding=ROUND_DOWN), left)
        if shares > 0:
            gifts.append(Trade(action="gift", ticker=lot.ticker, shares=shares, price=price,
                               lot_id=lot.lot_id, acquired=lot.acquired,
                               basis_per_share=lot.basis_per_share, account=owner(k)))
    return gifts


def _cash_floor(planned: float, value: float) -> Decimal:
    """The least cash the trades may leave: the model's planned cash (a fraction of `value`) less the
    margin its reserve rows keep (CASH_MARGIN_USD), to the nearest cent as the verifier counts. The plan
    rounded down to the cent first and the margin taken after could fall up to 2.99 cents below it, where
    the rows keep 2: in the 10-year monthly simulation, 2013-07-31 ended at $4.00 of cash against a
    reserve of $4.01 (V212), and the step was lost."""
    floor = Decimal(repr(max(planned, 0.0) * value)) - CASH_MARGIN_USD
    return max(floor.quantize(CENT, rounding=ROUND_HALF_EVEN), Decimal(0))


def _fit_cash(cash_before: Decimal, sells: list[Trade], buys: list[Trade], whole: bool,
              floor: Decimal) -> list[Trade]:
    """Trim the largest buy if rounding left less cash than the model planned (reserves hold)."""
    cash = cash_before + sum((t.amount for t in sells), Decimal(0)) - sum((t.amount for t in buys),
                                                                         Decimal(0))
    if cash >= floor or not buys:
        return buys
    largest = int(np.argmax([float(t.amount) for t in buys]))
    trade = buys[largest]
    cut = shares_freeing(floor - cash, trade.price, Decimal(1) if whole else SHARE_STEP)
    buys[largest] = trade.model_copy(update={"shares": max(trade.shares - cut, Decimal(0))})
    return [t for t in buys if t.shares > 0]
