"""The verifier's wash sales share for share: which loss shares a plan sells are matched with
replacement shares, and what each match disallows (the law: `solver.verify_law.match_share_for_share`).

Verifier side: like `solver.verify`, it imports nothing of the optimiser. The statutory 30-day
period applies here, whatever window a policy's rule sets: a longer window is a policy's caution,
not a disallowance. Replacement shares are a ticker's own shares only; a policy's groups of
substantially identical tickers keep forbidding loss sales outright (`WashSale.verify`, V218).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from solver.account import Account
from solver.lots import Lot, Trade
from solver.verify_law import in_wash_sale_period, match_share_for_share

Replacement = tuple[str, date, Decimal, Decimal]  # (whose, acquired, shares, price per share)


@dataclass(frozen=True)
class WashMatch:
    """Shares of one loss lot sold, matched with replacement shares: their loss is disallowed."""

    lot_id: str  # the loss lot sold
    ticker: str
    replacement: str  # a lot of this account, or where the shares were bought (`bought 2021-04-01`)
    replacement_acquired: date
    shares: Decimal
    loss_disallowed: Decimal  # positive: the matched shares' loss, added to the replacement's basis
    adjusted_basis: Decimal  # the matched replacement shares' cost basis after the addition
    holding_period_start: date  # the matched loss shares' acquisition: tacked onto the replacement


def _replacements(account: Account, as_of: date, ticker: str, remaining: dict[str, Decimal],
                  loss_lots: set[str], bought_now: Iterable[Trade]) -> list[Replacement]:
    """(who, acquired, shares, price per share) of `ticker` acquired within 30 days of a sale today:
    recent lots' shares this plan keeps (shares sold in the sale itself replace nothing, nor do a loss
    lot's own shares, Rev. Rul. 56-602), recorded buys that are no lot of this account (another
    account of the household, or shares since sold), and this plan's buys."""
    def recent(on: date) -> bool:
        return on <= as_of and in_wash_sale_period(as_of, on)

    lots = [lot for lot in account.lots if lot.ticker == ticker]
    held = {lot.acquired for lot in lots}
    found = [(lot.lot_id, lot.acquired, remaining[lot.lot_id], lot.basis_per_share) for lot in lots
             if recent(lot.acquired) and remaining[lot.lot_id] > 0 and lot.lot_id not in loss_lots]
    found += [(f"bought {t.on}" if t.account is None else f"bought in {t.account} {t.on}", t.on, t.shares,
               t.price)
              for t in (*account.transactions, *(account.household_transactions or ()))
              if t.action == "buy" and t.ticker == ticker and recent(t.on)
              and (t.account is not None or t.on not in held)]
    found += [("bought now", as_of, t.shares, t.price) for t in bought_now if t.ticker == ticker]
    return found


def wash_matches(account: Account, as_of: date, losses: Iterable[tuple[Trade, Lot]],
                 remaining: dict[str, Decimal], buys: Iterable[Trade]) -> list[WashMatch]:
    """Every match of the loss sales `losses` (a sale and its lot) with replacement shares."""
    buys = list(buys)
    by_ticker: dict[str, list[tuple[Trade, Lot]]] = {}
    for trade, lot in losses:
        by_ticker.setdefault(lot.ticker, []).append((trade, lot))
    found = []
    for ticker, sold in sorted(by_ticker.items()):
        lots = {lot.lot_id: (trade, lot) for trade, lot in sold}
        replacing = _replacements(account, as_of, ticker, remaining, set(lots), buys)
        price = {who: (on, each) for who, on, _, each in replacing}
        for lot_id, who, shares in match_share_for_share(
                [(lot.lot_id, lot.acquired, trade.shares) for trade, lot in sold],
                [(who, on, shares) for who, on, shares, _ in replacing]):
            trade, lot = lots[lot_id]
            loss = shares * (lot.basis_per_share - trade.price)
            on, each = price[who]
            found.append(WashMatch(lot_id=lot_id, ticker=ticker, replacement=who, replacement_acquired=on,
                                   shares=shares, loss_disallowed=loss, adjusted_basis=shares * each + loss,
                                   holding_period_start=lot.acquired))
    return found
