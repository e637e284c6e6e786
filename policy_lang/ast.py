"""The policy AST: what both surface syntaxes (YAML and the text DSL) parse into.

Every node carries the Span it came from. Node equality ignores spans, so a policy printed and parsed
back equals the original even though its positions moved. Rule-kind nodes live in their rule module
(`compiler/rules/<kind>.py`); this module holds the shared pieces: quantities, subjects, the rule base
class and the policy file.
"""

from __future__ import annotations

import re
from decimal import Decimal
from enum import StrEnum
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict

from core.diagnostics import Span

LAYERS: tuple[str, ...] = ("firm", "model", "household", "account")
_NON_ALNUM = re.compile(r"[^\w]|_", re.UNICODE)


class Node(BaseModel):
    """Base of every AST node: frozen, positioned, compared without positions."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    span: Span

    def _key(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in type(self).model_fields if name != "span")

    def __eq__(self, other: object) -> bool:
        if type(self) is not type(other):
            return NotImplemented
        return self._key() == other._key()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash((type(self).__name__, self._key()))


class Unit(StrEnum):
    PERCENT = "percent"
    BPS = "bps"
    USD = "usd"
    SHARES = "shares"
    YEARS = "years"
    DAYS = "days"
    DATE = "date"
    NUMBER = "number"


class Quantity(Node):
    """A number with the unit it was written in: `10%`, `150bps`, `$20k`, `3 years`, `2024-01-31`.

    `value` keeps what the author wrote (10 for `10%`, 20000 for `$20k`); a date keeps its ISO text.
    """

    value: Decimal
    unit: Unit
    text: str | None = None  # the ISO date for Unit.DATE

    def _key(self) -> tuple[Any, ...]:
        return (self.value, self.unit, self.text)

    @property
    def fraction(self) -> float:
        """A weight as a fraction: 10% -> 0.10, 150bps -> 0.015."""
        scale = Decimal(100) if self.unit is Unit.PERCENT else Decimal(10000)
        return float(self.value / scale)


SubjectKind = Literal["tickers", "sector", "industry", "sub_industry", "category"]
TIERS: tuple[str, ...] = ("core", "extended", "broad")


class Subject(Node):
    """What a rule is about: a list of tickers, a GICS sector/industry/sub-industry, or a screen."""

    kind: SubjectKind
    names: tuple[str, ...]
    tier: str | None = None  # screen categories only; None means "core"

    def describe(self) -> str:
        if self.kind == "tickers":
            return ", ".join(self.names)
        label = self.kind.replace("_", "-")
        tier = f" ({self.tier})" if self.tier else ""
        return f"{label} {self.names[0]}{tier}"

    def slug(self) -> str:
        text = "-".join(self.names) if self.kind == "tickers" else f"{self.kind}-{self.names[0]}"
        return _NON_ALNUM.sub("-", text.lower()).strip("-")


class Text(Node):
    """A string with a position, e.g. a file named in `extends` or a model path."""

    value: str


class RuleNode(Node):
    """Fields every rule has. Subclasses (one per rule kind) add theirs; `kind` names the kind."""

    kind: ClassVar[str]

    id: str | None = None
    reason: str | None = None
    locked: bool = False

    def subject_key(self) -> str:
        """The part of a generated id that tells two rules of the same kind apart."""
        return ""


class PolicyFile(Node):
    """One parsed file: header (name, layer, extends) and its rules, in source order."""

    file: str
    name: str | None = None
    layer: str | None = None
    extends: tuple[Text, ...] = ()
    rules: tuple[RuleNode, ...] = ()

    def _key(self) -> tuple[Any, ...]:
        return (self.name, self.layer, self.extends, self.rules)
