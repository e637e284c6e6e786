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
from typing import TYPE_CHECKING

from solver.account import Account
from solver.lots import Lot, Trade
from solver.money import apportioned
from solver.verify_law import added_tax, cents, in_wash_sale_period, match_share_for_share

if TYPE_CHECKING:
    from solver.verify import Outcome, Violation

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
    # The replacement shares' holding period after the match: it includes the matched loss shares'
    # (§1223(3)), so it starts when theirs did, or when the replacement's own did if that is earlier.
    holding_period_start: date


def _replacements(account: Account, as_of: date, ticker: str, lots: list[Lot], remaining: dict[str, Decimal],
                  loss_lots: set[str], bought_now: Iterable[Trade]) -> list[Replacement]:
    """(who, acquired, shares, price per share) of `ticker` (whose lots are `lots`) acquired within 30
    days of a sale today: recent lots' shares this plan keeps (shares sold in the sale itself replace
    nothing, nor do a loss lot's own shares, Rev. Rul. 56-602), recorded buys that are no lot of this
    account (another account of the household, or shares since sold), and this plan's buys."""
    def recent(on: date) -> bool:
        return on <= as_of and in_wash_sale_period(as_of, on)

    # A recorded buy that opened a lot of its account is that lot (in a household's merged view, the
    # account that holds each lot is known; in one account, its own buys have no account).
    held = {(account.lot_accounts.get(lot.lot_id), lot.acquired) for lot in lots}
    found = [(lot.lot_id, lot.acquired, remaining[lot.lot_id], lot.basis_per_share) for lot in lots
             if recent(lot.acquired) and remaining[lot.lot_id] > 0 and lot.lot_id not in loss_lots]
    found += [(f"bought {t.on}" if t.account is None else f"bought in {t.account} {t.on}", t.on, t.shares,
               t.price)
              for t in (*account.transactions, *(account.household_transactions or ()))
              if t.action == "buy" and t.ticker == ticker and recent(t.on)
              and (t.account, t.on) not in held]
    found += [("bought now", as_of, t.shares, t.price) for t in bought_now if t.ticker == ticker]
    return found


def wash_matches(account: Account, as_of: date, losses: Iterable[tuple[Trade, Lot]],
                 remaining: dict[str, Decimal], buys: Iterable[Trade]) -> list[WashMatch]:
    """Every match of the loss sales `losses` (a sale and its lot) with replacement shares."""
    buys = list(buys)
    by_ticker: dict[str, list[tuple[Trade, Lot]]] = {}
    for trade, lot in losses:
        by_ticker.setdefault(lot.ticker, []).append((trade, lot))
    held: dict[str, list[Lot]] = {}
    for lot in account.lots:
        if lot.ticker in by_ticker:
            held.setdefault(lot.ticker, []).append(lot)
    found = []
    for ticker, sold in sorted(by_ticker.items()):
        lots = {lot.lot_id: (trade, lot) for trade, lot in sold}
        replacing = _replacements(account, as_of, ticker, held[ticker], remaining, set(lots), buys)
        price = {who: (on, each) for who, on, _, each in replacing}
        since = {lot.lot_id: lot.held_since for lot in held[ticker]}
        pairs = list(match_share_for_share([(lot.lot_id, lot.acquired, trade.shares) for trade, lot in sold],
                                           [(who, on, shares) for who, on, shares, _ in replacing]))
        for (lot_id, who, shares), loss in zip(pairs, _disallowed(pairs, lots), strict=True):
            lot = lots[lot_id][1]
            on, each = price[who]
            found.append(WashMatch(lot_id=lot_id, ticker=ticker, replacement=who, replacement_acquired=on,
                                   shares=shares, loss_disallowed=loss,
                                   adjusted_basis=cents(shares * each) + loss,
                                   holding_period_start=min(lot.held_since, since.get(who, on))))
    return found


def _disallowed(pairs: list[tuple[str, str, Decimal]], lots: dict[str, tuple[Trade, Lot]]) -> list[Decimal]:
    """What each match (loss lot, replacement, shares) disallows: its sale's loss — the line's basis
    less its proceeds, each to the cent — shared among its matches by shares, the sale's unmatched
    shares keeping the rest (`apportioned`), so a sale whose shares are all matched disallows exactly
    its line's loss."""
    parts = {}
    for lot_id in dict.fromkeys(lot_id for lot_id, _, _ in pairs):
        trade, lot = lots[lot_id]
        matched = [shares for other, _, shares in pairs if other == lot_id]
        loss = cents(trade.shares * lot.basis_per_share) - trade.amount
        parts[lot_id] = iter(apportioned(loss, [*matched, trade.shares - sum(matched, Decimal(0))]))
    return [next(parts[lot_id]) for lot_id, _, _ in pairs]


def unaccounted(outcome: Outcome) -> list[Violation]:
    """V235: the plan's realized gains and estimated tax leave out a loss its wash sales disallow.
    The matches are derived afresh from the lots and trades, not read from the outcome."""
    from solver.verify import Violation

    account = outcome.account
    if not account.is_taxable:
        return []
    lots = {lot.lot_id: lot for lot in account.lots}
    losses = [(s.trade, lots[s.trade.lot_id or ""]) for s in outcome.sales if s.gain < 0]
    matches = wash_matches(account, outcome.as_of, losses, outcome.lot_remaining, outcome.buys)
    term = {s.trade.lot_id: s.long_term for s in outcome.sales}
    st = sum((s.gain for s in outcome.sales if not s.long_term), Decimal(0))
    lt = sum((s.gain for s in outcome.sales if s.long_term), Decimal(0))
    for match in matches:
        st, lt = (st, lt + match.loss_disallowed) if term[match.lot_id] else (st + match.loss_disallowed, lt)
    tax = account.tax
    estimated = added_tax(tax.realized_short_term_ytd, tax.realized_long_term_ytd, st, lt,
                          tax.carryforward_short_term, tax.carryforward_long_term, tax.short_term_rate,
                          tax.long_term_rate)
    claimed = (outcome.realized_short_term, outcome.realized_long_term, outcome.estimated_tax)
    if tuple(map(cents, claimed)) == (cents(st), cents(lt), cents(estimated)):
        return []
    disallowed = sum((match.loss_disallowed for match in matches), Decimal(0))
    return [Violation(code="V235", message=f"wash sales disallow {cents(disallowed)} of loss: realized "
                      f"short-term {cents(st)}, long-term {cents(lt)}, estimated tax {cents(estimated)}; "
                      f"the plan reports {', '.join(str(cents(c)) for c in claimed)}")]
