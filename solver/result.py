"""The rebalance result: a versioned, machine-readable plan (`tailor.result/1`).

Money is a decimal string rounded to the cent (half-even); shares are decimal strings with up to
6 places; weights and tracking error are fractions rounded to 6 places. Nothing in the JSON
depends on timing, so the same inputs give the same bytes. Timings travel beside the result.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from policy_lang.diagnostics import Span
from solver.verify import Violation

SCHEMA = "tailor.result/1"


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
    realized_gain: Decimal | None = None
    term: Literal["short", "long"] | None = None


class SolveInfo(BaseModel):
    model_config = ConfigDict(frozen=True)

    status: str
    proven_optimal: bool
    mip_gap: float
    requested_gap: float
    time_limit_seconds: float
    objective_bp: float | None
    tangent_rounds: int
    tangent_cuts: int


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
    tracking_error_before: float
    tracking_error_after: float
    turnover: float
    sells: int
    buys: int


class RuleRef(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str
    kind: str
    span: Span


class RebalanceResult(BaseModel):
    model_config = ConfigDict(frozen=True)

    schema_: str = Field(default=SCHEMA, alias="schema")
    account_id: str
    household_id: str | None
    as_of: date
    policy_name: str
    policy_hash: str
    policy_sources: tuple[str, ...]
    account_hash: str
    solve: SolveInfo
    verified: bool
    violations: tuple[Violation, ...]
    summary: Summary | None
    trades: tuple[TradeLine, ...]
    rules: tuple[RuleRef, ...]

    def to_json(self) -> str:
        return self.model_dump_json(by_alias=True, indent=2) + "\n"
