"""The rebalance result: a versioned, machine-readable plan (`tailor.result/1`).

Money is a decimal string rounded to the cent (half-even); shares are decimal strings with up to
6 places; weights and tracking error are fractions rounded to 6 places. Only `timings` (seconds per
stage) depends on the machine: everything else is a function of the inputs, and `plan_hash` (sha256
of the JSON without `timings`) proves two runs gave the same plan.
"""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field

from core.diagnostics import Span
from solver.market import MarketInfo
from solver.verify import Violation

SCHEMA = "tailor.result/1"


class WashSaleMatch(BaseModel):
    """Shares of a loss sale matched with replacement shares (Treas. Reg. §1.1091-1(c)): their loss is
    disallowed and moves into the replacement shares' basis."""

    model_config = ConfigDict(frozen=True)

    replacement: str  # a lot of this account, or where the shares were bought (`bought 2021-04-01`)
    replacement_acquired: date
    shares_matched: Decimal
    disallowed_loss: Decimal


class BasisAdjustment(BaseModel):
    """Replacement shares after a wash sale: their cost basis with the disallowed loss added, and the
    holding period they take over from the loss shares they matched (§1223(3))."""

    model_config = ConfigDict(frozen=True)

    replacement: str
    ticker: str
    shares: Decimal
    loss_added: Decimal
    adjusted_basis: Decimal  # of these shares, after the addition
    holding_period_start: date  # the matched loss shares' (or the replacement's own, if earlier)
    from_lot: str


class TradeLine(BaseModel):
    model_config = ConfigDict(frozen=True)

    action: Literal["sell", "buy", "gift"]
    ticker: str
    shares: Decimal
    price: Decimal
    amount: Decimal
    lot_id: str | None = None
    acquired: date | None = None
    cost_basis: Decimal | None = None
    realized_gain: Decimal | None = None  # net of a wash sale's disallowed loss
    term: Literal["short", "long"] | None = None
    disallowed_loss: Decimal | None = None  # a sale's loss that a wash sale disallows
    wash_sale: tuple[WashSaleMatch, ...] = ()
    account: str | None = None  # in a household's plan, the account that trades; None: the one account


class SolveInfo(BaseModel):
    """How the plan was found (solver/solve.py): `status` is `optimal` only when the proven gap on the
    exact objective is at or below `requested_gap`; `feasible` is a verified plan with the proven gap
    `mip_gap` (the search ended on a work limit, or on the clock: `stop`). Work counts are
    deterministic; only `stop == "time_limit"` depends on the machine."""

    model_config = ConfigDict(frozen=True)

    status: str
    stop: str
    proven_optimal: bool
    mip_gap: float | None  # (objective − bound) / max(|objective|, 1 bp); None without a bound
    requested_gap: float
    time_limit_seconds: float
    objective_bp: float | None  # exact objective, basis points of account value
    bound_bp: float | None
    lp_solves: int
    tangent_cuts: int
    nodes: int
    binaries_on: int
    lazy_groups_on: int
    lazy_groups: int


class Summary(BaseModel):
    model_config = ConfigDict(frozen=True)

    value_before: Decimal
    value_after: Decimal
    cash_before: Decimal
    cash_flow: Decimal
    cash_after: Decimal
    realized_short_term: Decimal
    realized_long_term: Decimal
    realized_short_term_ytd: Decimal
    realized_long_term_ytd: Decimal
    estimated_tax: Decimal
    disallowed_loss: Decimal = Decimal(0)  # by wash sales: not in the realized gains above
    # Losses this plan adds to next year's carryforward (after the $3,000 offset), by character;
    # negative when its gains use up losses that would otherwise have carried forward. Valued at
    # `carryforward_rate` per dollar (the account's `carryforward_value`, or its default):
    # `carryforward_value` is what the optimiser counted for them, beside `estimated_tax`.
    carryforward_short_term: Decimal = Decimal(0)
    carryforward_long_term: Decimal = Decimal(0)
    carryforward_rate: Decimal = Decimal(0)
    carryforward_value: Decimal = Decimal(0)
    tracking_error_before: float
    tracking_error_after: float
    # S&P 500 ETFs held or targeted, which both tracking errors measure as the index's constituents.
    looked_through: tuple[str, ...] = ()
    turnover: float  # value sold / value before trading (as `trading … max turnover`); buys not counted
    sells: int
    buys: int


class RuleRef(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    kind: str
    span: Span


class AccountPart(BaseModel):
    """One account of a household's plan: its own cash and values before and after, its realized
    gains (an IRA's or a Roth's realize none a return sees) and its trades (`trades` lines name it)."""

    model_config = ConfigDict(frozen=True)

    account_id: str
    account_type: Literal["taxable", "ira", "roth"]
    traded: bool  # False: held away, counted in the household's weights and wash sales only
    value_before: Decimal
    value_after: Decimal
    cash_before: Decimal
    cash_after: Decimal
    realized_short_term: Decimal
    realized_long_term: Decimal
    disallowed_loss: Decimal
    contribution: Decimal  # cash received from the household's other accounts (negative: given to them)
    cash_flow: Decimal = Decimal(0)  # its own policy's deposit (negative: withdrawal)
    sells: int
    buys: int


class RebalanceResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    schema_: str = Field(default=SCHEMA, alias="schema")
    account_id: str
    household_id: str | None
    as_of: date
    priced_as_of: date  # the close the trades are priced at: the last trading day on or before as_of
    market: MarketInfo | None = None  # where the prices came from, and the risk model's date and age
    policy_name: str
    policy_hash: str
    policy_sources: tuple[str, ...]
    account_hash: str
    solve: SolveInfo
    verified: bool
    # A relaxed plan (`tailor explain --relax`) is never `verified`: it gives up the rules listed here,
    # and the verifier has confirmed that it keeps every other rule of the policy. Empty otherwise.
    verified_except: tuple[str, ...] = ()
    violations: tuple[Violation, ...]
    summary: Summary | None
    trades: tuple[TradeLine, ...]
    basis_adjustments: tuple[BasisAdjustment, ...] = ()
    # A household's plan (one model over its accounts): each account's part; `summary` is the
    # household's. Empty for one account.
    accounts: tuple[AccountPart, ...] = ()
    rules: tuple[RuleRef, ...]
    timings: dict[str, float] = Field(default_factory=dict)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def plan_hash(self) -> str:
        body = self.model_dump_json(by_alias=True, exclude={"timings", "plan_hash"})
        return hashlib.sha256(body.encode()).hexdigest()

    def to_json(self) -> str:
        return self.model_dump_json(by_alias=True, indent=2) + "\n"
