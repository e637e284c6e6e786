"""What a rule says about holding names, in the words the contradiction check compares.

A kind states its claims (`RuleKind.claims`); the checker compares claims, never kinds, so a new kind
that caps, floors, forces out or freezes names is checked against every other by saying so.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from core.diagnostics import Span


class Says(StrEnum):
    AT_MOST = "at most"  # the names' weight stays at or below `weight` (a cap)
    AT_LEAST = "at least"  # the names' weight stays at or above `weight` (a floor)
    SELL_ALL = "sell all"  # the names leave the account (`now`: this rebalance; else as a budget allows)
    NO_BUYING = "no buying"
    NO_SELLING = "no selling"
    MORE = "more"  # the rule wants more of the names than the index holds (a positive tilt)


@dataclass(frozen=True)
class Claim:
    says: Says
    tickers: tuple[str, ...]
    subject: str
    rule_id: str
    span: Span
    weight: float | None = None
    now: bool = True
