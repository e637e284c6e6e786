"""The verifier's wash sales across a household's accounts: a loss sale in a taxable account and a
purchase of the same or a substantially identical security in any account of the household within 30
days before or after (IRC §1091(a); the taxpayer and spouse are one, and an IRA's or a Roth's purchase
counts too, Rev. Rul. 2008-5).

Verifier side: like `solver.verify_wash`, it imports nothing of the optimiser and applies the law of
`solver.verify_law` (the statutory 30 days, whatever window a policy sets; matching share for share).
It checks a day's trades of every account together, so it sees what a rebalance of one account
cannot: another account's trades of the same day.

How shares are matched (Treas. Reg. §1.1091-1(b)–(c), each replacement share used once): loss sales
are taken in the order they were made (the recorded ones by date, then the day's by the acquisition
of the lot sold); each is matched with the replacement shares acquired within 30 days of its date that
no earlier sale has used, in the order of their acquisition. Replacement shares are every account's
recent purchases (a lot acquired in the window that the day's trades keep, or a recorded buy of a
name since sold) and the day's buys; a loss lot's own shares never replace it (Rev. Rul. 56-602).
History stays history: only the matches that involve a trade of the day are returned, but earlier
matches use up their replacement shares first.

The disallowed loss of a match is added to the replacement shares' basis when they are in a taxable
account (deferred); in an IRA or a Roth it is added to nothing and is lost for good (Rev. Rul. 2008-5).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from solver.household import Household
from solver.household_view import HouseholdTerms
from solver.lots import Trade
from solver.verify import Violation
from solver.verify_law import cents, in_wash_sale_period, substantially_identical


@dataclass(frozen=True)
class HouseholdWash:
    """Loss shares of one sale matched with replacement shares of (possibly) another account."""

    ticker: str
    loss_account: str
    sale: str  # the lot sold today (`lot JNT-00012`) or the recorded sale (`sold 2020-03-09`)
    lot_id: str | None  # the lot sold today; None for a recorded sale
    sold_on: date
    replacement_account: str
    replacement: str  # `lot IRA-00051`, `bought 2020-03-16` or `bought now`
    replacement_ticker: str
    replacement_acquired: date
    shares: Decimal
    loss_disallowed: Decimal  # positive
    permanent: bool  # the replacement is in an IRA or a Roth: the loss is never recovered

    @property
    def across_accounts(self) -> bool:
        return self.loss_account != self.replacement_account


@dataclass
class _Loss:
    account: str
    ticker: str
    label: str
    lot_id: str | None
    sold_on: date
    acquired: date  # of the shares sold: the order of sales of one day
    shares: Decimal
    loss_per_share: Decimal
    today: bool


@dataclass
class _Replacement:
    account: str
    ticker: str
    label: str
    acquired: date
    shares: Decimal  # left to match
    today: bool
    sheltered: bool  # in an IRA or a Roth


def _losses(household: Household, trades: Mapping[str, Sequence[Trade]]) -> list[_Loss]:
    """Every loss sale of a taxable account: recorded within 30 days before the day, and the day's."""
    as_of = household.as_of
    found = []
    for member in household.accounts:
        if not member.account.is_taxable:
            continue
        for t in member.account.transactions:
            if t.is_loss_sale and t.on <= as_of and in_wash_sale_period(as_of, t.on):
                found.append(_Loss(member.name, t.ticker, f"sold {t.on}", None, t.on, t.on, t.shares,
                                   -t.realized_gain / t.shares, today=False))
        for trade in trades.get(member.name, ()):
            basis = trade.basis_per_share
            if trade.action == "sell" and basis is not None and trade.price < basis:
                found.append(_Loss(member.name, trade.ticker, f"lot {trade.lot_id}", trade.lot_id, as_of,
                                   trade.acquired or as_of, trade.shares, basis - trade.price, today=True))
    return sorted(found, key=lambda loss: (loss.sold_on, loss.acquired, loss.account, loss.label))


def _replacements(household: Household, trades: Mapping[str, Sequence[Trade]]) -> list[_Replacement]:
    """Shares acquired by any account within 30 days before the day, or on it."""
    as_of = household.as_of
    found = []
    for member in household.accounts:
        account, day = member.account, trades.get(member.name, ())
        sheltered = account.account_type in ("ira", "roth")
        sold = {t.lot_id: t.shares for t in day if t.action in ("sell", "gift")}
        # A lot sold at a loss today replaces nothing, neither its own loss (Rev. Rul. 56-602) nor
        # another's (as in solver.verify_wash).
        losing = {t.lot_id for t in day if t.action == "sell" and t.basis_per_share is not None
                  and t.price < t.basis_per_share}
        lot_days = set()
        for lot in account.lots:
            if lot.acquired <= as_of and in_wash_sale_period(as_of, lot.acquired):
                lot_days.add((lot.ticker, lot.acquired))
                kept = lot.shares - sold.get(lot.lot_id, Decimal(0))
                if kept > 0 and lot.lot_id not in losing:
                    found.append(_Replacement(member.name, lot.ticker, f"lot {lot.lot_id}", lot.acquired,
                                              kept, False, sheltered))
        for t in account.transactions:  # a recorded buy that is no lot: its shares were sold since
            if t.action == "buy" and t.on <= as_of and in_wash_sale_period(as_of, t.on) \
                    and (t.ticker, t.on) not in lot_days:
                found.append(_Replacement(member.name, t.ticker, f"bought {t.on}", t.on, t.shares, False,
                                          sheltered))
        found += [_Replacement(member.name, t.ticker, "bought now", as_of, t.shares, True, sheltered)
                  for t in day if t.action == "buy"]
    return sorted(found, key=_acquisition)


def _acquisition(each: _Replacement) -> tuple[date, str, str]:
    """Replacement shares are matched in the order of their acquisition (ties by account and name)."""
    return each.acquired, each.account, each.label


def household_wash_sales(household: Household, trades: Mapping[str, Sequence[Trade]],
                         groups: Iterable[Iterable[str]] = ()) -> list[HouseholdWash]:
    """The wash sales the day's `trades` (account name → its trades) make or complete, in any account
    of the household; `groups` are a policy's substantially identical tickers. See the module."""
    groups = [tuple(group) for group in groups]
    by_ticker: dict[str, list[_Replacement]] = {}  # each in the order of acquisition
    for each in _replacements(household, trades):
        by_ticker.setdefault(each.ticker, []).append(each)
    found = []
    for loss in _losses(household, trades):
        identical = substantially_identical(loss.ticker, groups)
        candidates = by_ticker.get(loss.ticker, []) if len(identical) == 1 else sorted(
            (each for ticker in identical for each in by_ticker.get(ticker, ())), key=_acquisition)
        left = loss.shares
        for each in candidates:
            if left <= 0:
                break
            if each.shares <= 0 or not in_wash_sale_period(loss.sold_on, each.acquired):
                continue
            taken = min(left, each.shares)
            left -= taken
            each.shares -= taken
            if loss.today or each.today:
                found.append(HouseholdWash(
                    ticker=loss.ticker, loss_account=loss.account, sale=loss.label, lot_id=loss.lot_id,
                    sold_on=loss.sold_on, replacement_account=each.account, replacement=each.label,
                    replacement_ticker=each.ticker,
                    replacement_acquired=each.acquired, shares=taken,
                    loss_disallowed=taken * loss.loss_per_share, permanent=each.sheltered))
    return found


def cross_account_violations(matches: Iterable[HouseholdWash]) -> list[Violation]:
    """V237: each match of a loss sale with another account's shares, naming both accounts."""
    found = []
    for m in matches:
        if not m.across_accounts:
            continue
        fate = ("lost for good: the replacement is in a tax-sheltered account (Rev. Rul. 2008-5)"
                if m.permanent else f"deferred into the basis of {m.replacement_account}'s shares")
        found.append(Violation(code="V237", message=(
            f"{m.loss_account} sells {m.ticker} at a loss ({m.sale}, sold {m.sold_on}) and "
            f"{m.replacement_account} acquires {m.replacement_ticker} ({m.replacement}) within 30 days: "
            f"{m.shares} shares' loss of {cents(m.loss_disallowed)} is disallowed, {fate}")))
    return found


def contribution_violations(terms: HouseholdTerms, moved: Mapping[str, Decimal]) -> list[Violation]:
    """V238: cash moved between accounts (`moved`: net per account id, + received) that the household
    file does not allow, or that does not add up to zero."""
    found, total = [], sum(moved.values(), Decimal(0))
    if total != 0:
        found.append(Violation(code="V238", message=f"cash moved between the accounts adds up to "
                                                    f"${cents(total):,}, not $0"))
    for account, amount in sorted(moved.items()):
        away = account in terms.held_away
        allowed = Decimal(0) if away else terms.max_contribution.get(account, Decimal(0))
        if amount > allowed or (away and amount):
            found.append(Violation(code="V238", message=(
                f"{account} receives ${cents(amount):,}, more than the ${cents(allowed):,} the household "
                "file allows" if amount > 0 else f"{account} is held away and gives ${cents(-amount):,}")))
    return found
