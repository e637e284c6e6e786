"""An account as the engine sees it: tax lots, cash, recent transactions and the tax profile.

Plain frozen pydantic values (picklable, hashable inputs for a pure rebalance). Files are read by
`solver.account_files`; checks that need market data (unknown tickers, missing prices, dates after
the as-of date) are in `check_against_market`, called by the rebalance before any model is built.
"""

from __future__ import annotations

from collections.abc import Collection, Container
from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from core.diagnostics import Diagnostic, Span, TailorError, error
from core.suggest import did_you_mean
from solver.lots import Lot

AccountType = Literal["taxable", "ira", "roth"]


class Transaction(BaseModel):
    """A recent trade (last 30 days) that matters for wash sales: a buy, or a sale at a loss."""

    model_config = ConfigDict(frozen=True)

    on: date
    ticker: str
    action: Literal["buy", "sell"]
    shares: Decimal
    price: Decimal
    realized_gain: Decimal = Decimal(0)
    account: str | None = None  # another account of the household that made the trade; None: this one
    span: Span | None = None  # where the file records it, for diagnostics (None when built in code)

    @property
    def is_loss_sale(self) -> bool:
        return self.action == "sell" and self.realized_gain < 0


# A dollar of loss carried to next year is worth less than a dollar netted this year: by default it
# is taken to offset a long-term gain some five years on, discounted at about 6% a year (1.06⁻⁵ ≈
# 0.75). docs/solver.md, "Schedule D netting", states and justifies it.
CARRYFORWARD_DISCOUNT = Decimal("0.75")


class TaxProfile(BaseModel):
    """Rates as fractions; year-to-date gains signed; carryforwards as positive loss amounts;
    `carryforward_value`: what a dollar of loss carried to next year is worth today (a fraction;
    None: CARRYFORWARD_DISCOUNT × the long-term rate)."""

    model_config = ConfigDict(frozen=True)

    short_term_rate: Decimal = Decimal("0.37")
    long_term_rate: Decimal = Decimal("0.20")
    realized_short_term_ytd: Decimal = Decimal(0)
    realized_long_term_ytd: Decimal = Decimal(0)
    carryforward_short_term: Decimal = Decimal(0)
    carryforward_long_term: Decimal = Decimal(0)
    carryforward_value: Decimal | None = None

    @model_validator(mode="after")
    def _nettable(self) -> TaxProfile:
        # The optimiser's Schedule D netting (solver/schedule_d.py) is exact only under these; account
        # files are checked first with located errors (A128), so this guards profiles built in code.
        problem = tax_rate_problem(self.short_term_rate, self.long_term_rate, self.carryforward_value)
        if problem is not None:
            raise ValueError(problem)
        return self

    @property
    def carryforward_rate(self) -> Decimal:
        """The value today of a dollar of loss carried forward: as stated, or the default."""
        if self.carryforward_value is not None:
            return self.carryforward_value
        return CARRYFORWARD_DISCOUNT * self.long_term_rate


def tax_rate_problem(short_term: Decimal, long_term: Decimal, carryforward: Decimal | None) -> str | None:
    """What makes rates unusable for netting (None: nothing). A long-term rate above the short-term
    rate is almost always the two swapped; a carried dollar worth as much as the short-term rate
    would tie with the $3,000 ordinary offset, which the law uses first."""
    if long_term > short_term:
        return (f"long_term_rate {long_term} is above short_term_rate {short_term}: long-term gains are "
                "never taxed more than short-term ones")
    if carryforward is not None and not (0 <= carryforward < short_term or carryforward == 0):
        return (f"carryforward_value {carryforward} must be at least 0 and below short_term_rate "
                f"{short_term}: a dollar carried to next year is worth less than one offset this year")
    return None


class AccountTarget(BaseModel):
    """The account's own target model (`target:` in account.yaml or `--target`): ticker → weight,
    read once when the account is loaded, so the weights used are the bytes that were hashed."""

    model_config = ConfigDict(frozen=True)

    path: str  # resolved path of the ticker,weight CSV
    given: str  # the path as the user wrote it, for messages
    origin: str  # "account.yaml `target`" or "--target": where it came from, for messages
    span: Span | None = None  # the `target:` value in account.yaml; None when given on the command line
    weights: tuple[tuple[str, float], ...]  # sorted by ticker, summing to 1


class Account(BaseModel):
    model_config = ConfigDict(frozen=True)

    account_id: str
    household_id: str | None = None
    account_type: AccountType = "taxable"
    cash: Decimal = Decimal(0)
    lots: tuple[Lot, ...]
    transactions: tuple[Transaction, ...] = ()
    # Recent trades of the household's other accounts (`household_transactions:`), which a wash-sale
    # rule of scope household counts; None when the account file does not give them.
    household_transactions: tuple[Transaction, ...] | None = None
    tax: TaxProfile = Field(default_factory=TaxProfile)
    source: str = "<memory>"
    lot_spans: dict[str, Span] = Field(default_factory=dict)
    input_hash: str = ""
    # The trade date the account file states (`as_of:`), with where it is stated. Optional in the
    # file, but a rebalance needs a date from somewhere: see `account_files.resolve_as_of`.
    as_of: date | None = None
    as_of_span: Span | None = None
    target: AccountTarget | None = None
    # A household's merged view (solver/household_view.py): the account that holds each lot, so that a
    # recorded buy is told from the lot it opened in that account. Empty for one account.
    lot_accounts: dict[str, str] = Field(default_factory=dict)

    @property
    def is_taxable(self) -> bool:
        return self.account_type == "taxable"

    @property
    def tickers(self) -> tuple[str, ...]:
        return tuple(sorted({lot.ticker for lot in self.lots}))

    def span_of(self, lot_id: str) -> Span:
        return self.lot_spans.get(lot_id) or Span.point(self.source, 1, 1)


def check_against_market(account: Account, as_of: date, priced: Container[str],
                         known: Collection[str]) -> None:
    """Reject lots the engine cannot value or trade: unknown tickers, missing prices, future dates.

    `known` are the security master's tickers; `priced` those with a price on `as_of`. An account
    that states its own as-of date is valued on that date only (A114).
    """
    if account.as_of is not None and account.as_of != as_of:
        raise TailorError(error(
            "A114", f"the account states as_of {account.as_of}, but the rebalance is as of {as_of}",
            account.as_of_span or Span.point(account.source, 1, 1),
            f"value the account on the date it states: drop the other date ({as_of}), or change "
            f"`as_of:` in {account.source} if the account's lots and cash are as of {as_of}"))
    problems: list[Diagnostic] = []
    for lot in account.lots:
        span = account.span_of(lot.lot_id)
        if lot.ticker not in known:
            problems.append(error("A106", f"lot {lot.lot_id}: unknown ticker {lot.ticker!r}", span,
                                  did_you_mean(lot.ticker, known) or "use the ticker as listed in the "
                                  "security master (`tailor data info`)"))
        elif lot.ticker not in priced:
            problems.append(error("A108", f"lot {lot.lot_id}: no price for {lot.ticker} on {as_of}", span,
                                  "choose an --as-of date with market data for every held ticker"))
        if lot.acquired > as_of:
            problems.append(error("A107", f"lot {lot.lot_id}: acquired {lot.acquired}, after the as-of "
                                  f"date {as_of}", span, "check the date or choose a later --as-of date"))
    for trade in account.transactions:
        if trade.on > as_of:
            problems.append(error("A107", f"transaction on {trade.on} is after the as-of date {as_of}",
                                  trade.span or Span.point(account.source, 1, 1),
                                  "check the date or choose a later --as-of date"))
    if problems:
        raise TailorError(problems)
