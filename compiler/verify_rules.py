"""The verifier's policy half: the accounting problems `solver.verify.build_outcome` found, then each
rule's own check, looked up in the rule-kind table. It lives above `solver/` because the table does:
the rule kinds lower into solver's model, so solver never imports them."""

from __future__ import annotations

from collections.abc import Iterable

from compiler.rules import RULE_KINDS
from solver.verify import Outcome, Violation


def verify(outcome: Outcome, rules: Iterable) -> list[Violation]:
    """Accounting invariants, then each rule's own check (looked up in the rule-kind table)."""
    rules = list(rules)
    violations = list(outcome.problems)
    if outcome.gifts and not any(RULE_KINDS[rule.kind].moves_lots_out for rule in rules):
        violations.append(Violation(code="V106", message=f"{len(outcome.gifts)} lots leave the account "
                                    "in kind, but no rule of the policy moves lots out"))
    for rule in rules:
        for found in RULE_KINDS[rule.kind].verify(rule, outcome):
            violations.append(found.model_copy(update={"rule_id": found.rule_id or rule.id,
                                                       "span": found.span or rule.span}))
    return violations
