"""What a household run reports (schema `tailor.household/1`): one line per account and the household's
figures, money to the cent. Written by `tailor household` as household.json and household.csv beside
each account's result.json (docs/households.md)."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

SCHEMA = "tailor.household/1"


class AccountLine(BaseModel):
    """One account of the household: its own plan (none for a held-away account, or when no verified
    plan was found), against the household target."""

    model_config = ConfigDict(frozen=True)

    name: str
    kind: Literal["taxable", "traditional_ira", "roth", "held_away"]
    traded: bool  # a verified plan was found and is counted (False: held away, or no plan)
    status: str | None  # the solve's status; None for a held-away account
    value_before: Decimal
    value_after: Decimal
    estimated_tax: Decimal  # as the account's own plan claims it (0 outside a taxable account)
    disallowed_loss: Decimal  # the wash sales the account's own plan counts
    tracking_error_before: float  # the account alone against the household target
    tracking_error_after: float
    turnover: float
    sells: int
    buys: int


class CrossAccountWash(BaseModel):
    """A loss sale matched with another account's shares (solver/verify_household.py)."""

    model_config = ConfigDict(frozen=True)

    ticker: str
    loss_account: str
    sale: str
    sold_on: date
    replacement_account: str
    replacement: str
    replacement_ticker: str
    replacement_acquired: date
    shares: Decimal
    loss_disallowed: Decimal
    lost_for_good: bool  # the replacement is in an IRA or a Roth (Rev. Rul. 2008-5)


class TaxLine(BaseModel):
    """The day's tax across the taxable accounts: what its sales add to this year's tax, and the loss
    they carry to next year (after the $3,000 offset) with its value today."""

    model_config = ConfigDict(frozen=True)

    tax: Decimal
    carried_forward: Decimal
    carried_value: Decimal


class HouseholdSummary(BaseModel):
    """The household's figures. `household_tax` counts every wash sale of the household; `as_planned`
    sums what each account's plan claims, blind to the other accounts' trades of the same day. Turnover
    is the value sold over the household's value before trading (held-away accounts included)."""

    model_config = ConfigDict(frozen=True, populate_by_name=True)

    schema_: str = Field(default=SCHEMA, alias="schema")
    household_id: str
    as_of: date
    mode: Literal["sleeves", "household"]
    policy_name: str
    policy_hash: str  # the household policy's
    household_hash: str  # household.yaml and every account's input hash
    complete: bool  # every tradable account has a verified plan
    accounts: tuple[AccountLine, ...]
    value_before: Decimal
    value_after: Decimal
    as_planned: TaxLine
    household_tax: TaxLine
    tracking_error_before: float  # the combined holdings against the household target
    tracking_error_after: float
    turnover: float
    loss_disallowed_across_accounts: Decimal
    loss_lost_for_good: Decimal  # of that, the part whose replacement is in an IRA or a Roth
    wash_sales: tuple[CrossAccountWash, ...]

    def to_json(self) -> str:
        return self.model_dump_json(by_alias=True, indent=2) + "\n"

    def to_csv(self) -> str:
        """One row per account and a last row `household`, with the figures both have."""
        columns = ("name", "kind", "value_before", "value_after", "estimated_tax", "tracking_error_before",
                   "tracking_error_after", "turnover")
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(columns)
        for line in self.accounts:
            writer.writerow([getattr(line, column) for column in columns])
        writer.writerow(["household", "household", self.value_before, self.value_after,
                         self.household_tax.tax, self.tracking_error_before, self.tracking_error_after,
                         self.turnover])
        return out.getvalue()
