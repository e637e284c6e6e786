"""The IR: normalised, name-resolved, solver-independent rules — what the optimizer compiles.

Each rule kind defines its IR class in its own module (`compiler/rules/<kind>.py`), subclassing
`RuleIR`. Normalisation: weights and percentages are fractions (`0.10` for 10%), money is `Decimal`
dollars, durations are whole days or years, tickers are sorted tuples of security-master tickers (a
sector, sub-industry or screen category has already become the tickers it covers).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from pydantic import BaseModel, ConfigDict

from core.diagnostics import Diagnostic, Span

if TYPE_CHECKING:
    pass


class RuleIR(BaseModel):
    """Fields every compiled rule has; `id` is unique within a CompiledPolicy."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    kind: str
    span: Span
    reason: str | None = None
    locked: bool = False


IR = TypeVar("IR", bound=RuleIR)


class CompiledPolicy(BaseModel):
    """A merged, checked policy. `policy_hash` is the sha256 of its canonical DSL text; it is
    stamped on every decision so compliance can prove which policy version produced which trades."""

    model_config = ConfigDict(frozen=True)

    name: str
    policy_hash: str
    sources: tuple[str, ...]
    rules: tuple[RuleIR, ...]
    warnings: tuple[Diagnostic, ...] = ()

    def of_kind(self, kind: str | type[IR]) -> tuple[RuleIR, ...]:
        """Rules of one kind, in policy order: `of_kind("cap")` or `of_kind(CapIR)`."""
        name = kind if isinstance(kind, str) else kind.model_fields["kind"].default
        return tuple(rule for rule in self.rules if rule.kind == name)

    def one(self, kind: str) -> RuleIR | None:
        """The single rule of a singleton kind (target, wash_sale, preferences, ...), if present."""
        found = self.of_kind(kind)
        return found[-1] if found else None

    def by_id(self, rule_id: str) -> RuleIR:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)
