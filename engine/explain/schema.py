"""The explanation, machine-readable (`tailor.explanation/1`).

Money is a decimal string to the cent (half-even); objective effects are basis points of the account
value rounded to 0.01 bp; tracking error is in percent rounded to 4 places. Nothing depends on
timing, so the same inputs give the same bytes.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from core.diagnostics import Span

SCHEMA = "tailor.explanation/1"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class RuleForce(_Frozen):
    """A rule Block whose rows are binding at the solution and move with this trade. `bp` is the
    rule's share of the trade's balance of marginal costs (positive: the rule needs the trade)."""

    rule_id: str
    kind: str
    span: Span
    role: Literal["requires", "limits"]
    bp: float


class TermEffect(_Frozen):
    """An objective term (tagged by rule id in the model) and how much this trade moves it."""

    tag: str
    span: Span | None
    bp: float
    role: Literal["favours", "costs"]


class TradeReason(_Frozen):
    action: Literal["sell", "buy", "keep"]
    ticker: str
    lot_id: str | None
    shares: Decimal
    amount: Decimal
    realized_gain: Decimal | None
    term: Literal["short", "long"] | None
    days_to_long_term: int | None = None
    overweight: float | None = None  # for kept lots: active weight after trading (fraction)
    rules: tuple[RuleForce, ...]
    terms: tuple[TermEffect, ...]
    replaced_by: tuple[str, ...] = ()
    text: str


class RuleCost(_Frozen):
    rule_id: str
    kind: str
    span: Span
    locked: bool
    binding: bool  # some row of its Block has a nonzero dual
    shapes_objective: bool  # its tagged objective terms are nonzero at the solution
    rows: int
    binding_rows: int
    shadow_price_bp: float  # largest |dual| of its rows: objective bp per unit of the row's bound
    without_status: str  # the re-solve with the rule's Block switched off
    objective_change_bp: float | None  # objective with the rule minus without (≥ 0: what it costs)
    tracking_error_change_pct: float | None  # tracking error with minus without, percentage points
    short_term_change: Decimal | None  # realized short-term gains with minus without
    long_term_change: Decimal | None
    turnover_change: float | None
    lines: tuple[str, ...]  # the rule kind's own explanation of its effect on the outcome
    text: str


class Relaxation(_Frozen):
    """How much one conflicting rule must give, alone, for everything else to hold."""

    rule_id: str
    kind: str
    span: Span
    locked: bool
    feasible_alone: bool
    decided: bool = True  # False: whether this rule alone is enough was not decided within the work limits
    slack: float  # in the units of its model rows (fractions of the account value, or %² for variance)
    needs: tuple[str, ...]  # the rule kind's verifier on the plan with only this rule relaxed
    # False: `slack` and `needs` are those of a plan the search found with only this rule relaxed,
    # the least it must give not proven within the search's limits (it must give at most that)
    least: bool = True
    text: str


class Conflict(_Frozen):
    rules: tuple[str, ...]  # an irreducible set: drop any one and the rest can hold together ...
    # ... except these, kept because the test without one was undecided within the work limits (the
    # set is proven to conflict, not to be the smallest); with no rules, whether they conflict at all
    unproven: tuple[str, ...] = ()
    also: tuple[tuple[str, ...], ...] = ()  # further irreducible sets, found with a rule of each set aside
    relaxations: tuple[Relaxation, ...]
    elastic_violations: tuple[str, ...]  # what the nearest (weighted) plan gives up
    alternatives: tuple[str, ...] = ()  # other forms of a conflicting rule that a re-solve showed hold
    text: str


class Explanation(_Frozen):
    schema_: str = Field(default=SCHEMA, alias="schema")
    account_id: str
    as_of: str
    policy_name: str
    policy_hash: str
    status: str
    method: str
    trades: tuple[TradeReason, ...]
    kept: tuple[TradeReason, ...]
    rules: tuple[RuleCost, ...]
    conflict: Conflict | None = None

    def to_json(self) -> str:
        return self.model_dump_json(by_alias=True, indent=2) + "\n"
