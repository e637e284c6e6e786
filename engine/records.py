"""What a simulation reports: one row per step, every trade, every corporate action, every tax year,
every day without a verified plan, and the run's summary.

Money is a Decimal rounded to the cent (half-even), fractions are floats rounded to 6 places, so the
records are the same bytes on every machine. The period table and the trade log are the inputs of
the reports built on a simulation (transition, taxes saved, cadence comparisons).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict

from engine.ledger import YearEnd

SCHEMA = "tailor.simulation/1"
Status = Literal["solved", "skipped", "infeasible", "refused"]


@dataclass(frozen=True)
class PeriodRow:
    step: int
    date: date
    status: Status  # solved (a verified plan applied), skipped (fast path), infeasible / refused (no plan)
    screens: str  # "skip", or the screens that did not pass ("flow+cash"), or "off"
    value: Decimal  # after trades and costs, at the close
    cash: Decimal
    flow: Decimal  # money in (+) or out (−) at this step: scheduled flows and tax paid from cash
    dividends: Decimal
    distributions: Decimal
    costs: Decimal
    realized_short_term: Decimal  # this period, after costs (distributions' gains included)
    realized_long_term: Decimal
    harvested: Decimal  # losses realized by sales, as a positive amount
    tax: Decimal  # tax this period adds to its year (gains netted with carryforwards, and dividends)
    tax_paid: Decimal  # last year's tax paid from cash at this step
    owed: Decimal  # withdrawals not yet made (no plan could raise them)
    turnover: float  # value sold / value before trading
    trades: int
    lots: int
    names: int
    tracking_error: float  # ex-ante, after trading
    period_return: float  # time-weighted: flows at the step are not return
    index_return: float  # the target's total return over the period (held from the previous step)
    tracking_difference: float  # period_return − index_return
    cumulative_difference: float  # growth of the account − growth of the index, since the start
    gap: float | None  # the solve's proven gap (None when not solved)


@dataclass(frozen=True)
class TradeRow:
    step: int
    date: date
    action: str
    ticker: str
    lot_id: str | None
    acquired: date | None
    shares: Decimal
    price: Decimal
    amount: Decimal
    cost: Decimal  # this line's share of its order's spread and fee
    cost_basis: Decimal | None  # of the shares sold; of a buy: amount plus cost
    realized_gain: Decimal | None  # after the cost, net of the loss a wash sale disallows
    term: str | None
    disallowed_loss: Decimal | None  # of a sale: the loss its wash sales disallow (engine.ledger)


@dataclass(frozen=True)
class AdjustmentRow:
    """A wash sale's disallowed loss carried into the replacement shares (engine.ledger.carry): their
    basis raised by `loss_added`, their holding period starting on `holding_period_start`. `lot_id` is
    the replacement lot; `matched_lot_id` the lot holding the matched shares now (`lot_id` when all of
    it matched), empty when the replacement is no lot of the account (nothing carried)."""

    step: int
    date: date
    ticker: str
    lot_id: str
    matched_lot_id: str | None
    shares: Decimal
    loss_added: Decimal
    holding_period_start: date
    from_lot: str  # the loss lot sold


@dataclass(frozen=True)
class EventRow:
    step: int
    date: date
    ticker: str
    kind: str  # split | dividend | distribution | left_index
    shares: Decimal
    per_share: Decimal
    amount: Decimal
    realized_gain: Decimal
    note: str


@dataclass(frozen=True)
class YearRow(YearEnd):
    """A closed tax year (its figures in cents) and how its tax was paid."""

    paid_from: str  # cash | outside | "" (the last, open year: accrued so far, not paid)
    paid_on: date | None


@dataclass(frozen=True)
class Trouble:
    """A step without a verified plan (or a stop): where, why, and what the simulation did."""

    step: int
    date: date
    code: str
    message: str
    explanation: str  # the conflicting rules (`tailor explain`'s elastic mode), when found
    action: str  # skipped | stopped


class Summary(BaseModel):
    model_config = ConfigDict(frozen=True)

    start_value: Decimal
    end_value: Decimal
    deposits: Decimal
    withdrawals: Decimal
    dividends: Decimal
    distributions: Decimal
    costs: Decimal
    realized_short_term: Decimal
    realized_long_term: Decimal
    harvested: Decimal
    tax: Decimal  # accrued over the whole simulation (the last year's so far included)
    tax_paid: Decimal
    total_return: float
    index_total_return: float
    annualised_return: float
    annualised_index_return: float
    annualised_tracking_difference: float
    realized_tracking_error: float  # stdev of the period differences, annualised
    steps: int
    solved: int
    skipped: int
    without_plan: int


@dataclass(frozen=True)
class SimulationResult:
    """Everything a run produced. `status`: complete, stopped (a day without a plan under
    `on_infeasible: stop`, or an error: `troubles` says which and where), paused (`max_steps`), or
    running (files written while the run goes on: a killed run leaves them so)."""

    spec_digest: str
    policy_name: str
    policy_hash: str
    account_id: str
    status: Literal["complete", "stopped", "paused", "running"]
    steps_planned: int
    periods: tuple[PeriodRow, ...]
    trades: tuple[TradeRow, ...]
    events: tuple[EventRow, ...]
    years: tuple[YearRow, ...]
    troubles: tuple[Trouble, ...]
    screens: dict[str, int]  # per screen: steps on which it did not pass; "skipped": steps skipped
    summary: Summary | None
    adjustments: tuple[AdjustmentRow, ...] = ()  # wash sales' basis adjustments, in the order made
    timings: dict[str, float] = field(default_factory=dict, compare=False)  # seconds; machine-dependent
