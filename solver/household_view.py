"""A household's accounts merged into the one account its household-level rules read.

One taxpayer and spouse file one return: their taxable accounts share a tax profile (rates, the
year's gains, carryforwards), and a wash sale reaches every account (IRC §1091; Rev. Rul. 2008-5). So
the rules of a household policy — the target, tracking error, harvesting, budgets, wash sales — read
one merged account: every lot, every account's cash and recent trades, the joint tax profile. Which
account holds what stays with the model (`AccountArrays.lot_account`), which splits buys and cash by
account.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from core.diagnostics import Span, TailorError, error
from solver.account import Account


@dataclass(frozen=True)
class HouseholdTerms:
    """What a household file says of its accounts beyond their files: the accounts counted but never
    traded (held away), and the most cash each account may receive from the others in one rebalance
    (`max_contribution`; an account not named receives none)."""

    held_away: frozenset[str] = frozenset()
    max_contribution: dict[str, Decimal] = field(default_factory=dict)


def merged_view(accounts: list[Account], held_away: frozenset[str] = frozenset()) -> Account:
    """The household as one account: taxable when any of its accounts is, with that account's tax
    profile (every taxable account that trades must state the same one: S112; a held-away account
    realizes nothing here), every lot, each account's in turn (lot ids unique across the household:
    S113), and every account's recent trades, each naming its account."""
    taxable = [a for a in accounts if a.is_taxable and a.account_id not in held_away] \
        or [a for a in accounts if a.is_taxable]
    profiles = {a.tax for a in taxable}
    if len(profiles) > 1:
        first, other = taxable[0], next(a for a in taxable if a.tax != taxable[0].tax)
        raise TailorError(error(
            "S112", f"the household's taxable accounts {first.account_id} and {other.account_id} state "
            "different tax profiles; one return nets their gains", Span.point(other.source, 1, 1),
            f"give {other.account_id} the same `tax:` as {first.account_id} (rates, year-to-date gains, "
            "carryforwards of the joint return)"))
    seen: dict[str, str] = {}
    for member in accounts:
        for lot in member.lots:
            if lot.lot_id in seen:
                raise TailorError(error(
                    "S113", f"lot {lot.lot_id} is in both {seen[lot.lot_id]} and {member.account_id}",
                    member.span_of(lot.lot_id), "give each lot of the household its own id"))
            seen[lot.lot_id] = member.account_id
    first = taxable[0] if taxable else accounts[0]
    trades = tuple(t if t.account is not None else t.model_copy(update={"account": member.account_id})
                   for member in accounts for t in member.transactions)
    return Account(account_id=first.household_id or "+".join(a.account_id for a in accounts),
                   household_id=first.household_id, account_type=first.account_type,
                   cash=sum((a.cash for a in accounts), Decimal(0)),
                   lots=tuple(lot for member in accounts for lot in member.lots), transactions=trades,
                   household_transactions=(),  # every account's trades are the merged account's own
                   tax=first.tax, source=first.source,
                   lot_spans={k: v for member in accounts for k, v in member.lot_spans.items()},
                   lot_accounts={lot.lot_id: member.account_id for member in accounts for lot in member.lots},
                   as_of=first.as_of, as_of_span=first.as_of_span)
