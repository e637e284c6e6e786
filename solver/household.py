"""A household as the engine sees it: its accounts, each with its type and files, and one policy.

Plain frozen pydantic values (picklable), read by `solver.household_files` from `household.yaml`
(docs/households.md). A household's accounts belong to one taxpayer and spouse, so a wash sale
reaches across them (IRC §1091; Rev. Rul. 2008-5 for an IRA's purchase).

`held_away` is not a tax type but a mode: the account is counted in the household's holdings and
wash sales and never traded. Its tax type stays its account file's `type` (a held-away 401(k) is
`ira`, a brokerage account elsewhere `taxable`), because that decides whether its loss sales can be
washed. The three tradable kinds map onto `Account.account_type` one to one (`ACCOUNT_TYPE_OF`).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict

from core.diagnostics import Span
from solver.account import Account, AccountType, Transaction

HouseholdAccountKind = Literal["taxable", "traditional_ira", "roth", "held_away"]
HOUSEHOLD_ACCOUNT_KINDS: tuple[str, ...] = ("taxable", "traditional_ira", "roth", "held_away")
# The tax type an account of each tradable kind has in its own file; held_away keeps the file's.
ACCOUNT_TYPE_OF: dict[str, AccountType] = {"taxable": "taxable", "traditional_ira": "ira", "roth": "roth"}


class HouseholdAccount(BaseModel):
    """One account of the household: its name there, its kind, the account as loaded from its file
    (with the other accounts' recent trades as `household_transactions`), the account's own policy
    layered under the household's (None: the household's alone) and the most cash the household's
    other accounts may move into it (0: none, the default)."""

    model_config = ConfigDict(frozen=True)

    name: str
    kind: HouseholdAccountKind
    account: Account
    policy: str | None = None
    max_contribution: Decimal = Decimal(0)
    span: Span | None = None  # the account's entry in household.yaml
    policy_span: Span | None = None  # its `policy:` there

    @property
    def tradable(self) -> bool:
        return self.kind != "held_away"


class Household(BaseModel):
    model_config = ConfigDict(frozen=True)

    household_id: str
    as_of: date
    policy: str  # the household policy file (resolved path): the layer every account's policy sits under
    policy_span: Span | None = None  # `policy:` in household.yaml
    accounts: tuple[HouseholdAccount, ...]
    source: str = "<memory>"
    input_hash: str = ""

    @property
    def tradable(self) -> tuple[HouseholdAccount, ...]:
        return tuple(member for member in self.accounts if member.tradable)

    def member(self, name: str) -> HouseholdAccount:
        return next(member for member in self.accounts if member.name == name)

    def policy_layers(self, member: HouseholdAccount) -> list[str]:
        """The account's policy stack, top first: the household's, then the account's own."""
        return [self.policy] if member.policy is None else [self.policy, member.policy]

    def recent_transactions(self) -> tuple[Transaction, ...]:
        """Every account's recent trades, each naming the account that made it."""
        return tuple(trade.model_copy(update={"account": member.name})
                     for member in self.accounts for trade in member.account.transactions)
