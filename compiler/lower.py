"""Lowering: each compiled rule becomes one Pyomo Block on the account model, named by its rule id.

The rule kind does the work; this pass runs it in three steps and returns the provenance map from
Block name to rule id, kind and source span, so that any component the solver reports (a binding row,
an infeasible block, an objective term) can be traced back to the line of the policy that made it:

1. every rule's declarations, which others read (the target, the names no one may buy, the minimum
   trades, cash flows, transfers in kind), applied to the base model before any rule is lowered;
2. every rule's `lower`, which writes only into its own Block and returns a `Contribution`
   (solver/contribution.py) — so no lowering depends on the policy's order or on another's effects;
3. one assembly of all contributions (`AccountModel.assemble`).

In a household, each account's own policy's rules go through the same steps on that account's part of
the model (`solver/account_scope.py: AccountScope`), named `<account>/<rule id>` in the provenance;
a rule whose kind cannot govern one account is refused (A141, `refuse_unscoped`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pyomo.environ as pyo
from pyomo.common.gc_manager import PauseGC

from compiler.ir import CompiledPolicy, RuleIR
from compiler.rules import RULE_KINDS
from core.diagnostics import Span, TailorError, error
from solver.contribution import Contribution

if TYPE_CHECKING:
    from solver.account_scope import RuleScope
    from solver.model import AccountModel


@dataclass(frozen=True)
class Provenance:
    rule_id: str
    kind: str
    span: Span


def block_name(rule_id: str) -> str:
    return "rule_" + re.sub(r"[^A-Za-z0-9_]", "_", rule_id)


def account_rule_id(account_id: str, rule_id: str) -> str:
    """An account's own rule as the plan names it: `smith-joint/no-energy` (ids repeat across accounts)."""
    return f"{account_id}/{rule_id}"


def refuse_unscoped(account_rules: Mapping[str, Sequence[RuleIR]]) -> None:
    """A141 for every rule of an account's own policy that cannot govern one account of the model
    (`RuleKind.not_per_account`), all at once, each on its line: ignoring one would be silent."""
    problems = []
    for account_id, rules in account_rules.items():
        for rule in rules:
            why = RULE_KINDS[rule.kind].not_per_account(rule)
            if why is not None:
                problems.append(error(
                    "A141", f"rule `{rule.id}` of {account_id}'s own policy: {why}", rule.span,
                    f"state this `{RULE_KINDS[rule.kind].keyword}` rule in the household policy, or run "
                    "the accounts one by one (`--mode sleeves`)"))
    if problems:
        raise TailorError(problems)


def lower_policy(policy: CompiledPolicy, model: AccountModel,
                 account_rules: Mapping[str, Sequence[RuleIR]] | None = None) -> dict[str, Provenance]:
    """Lower every rule of `policy` onto `model` and, in a household, each account's own rules
    (`account_rules`, by account id) onto that account's part of it; then assemble the model."""
    provenance: dict[str, Provenance] = {}
    with PauseGC():
        contributions = _lower_rules(policy, model, account_rules or {}, provenance)
    model.assemble(contributions)
    return provenance


def _scoped_rules(policy: CompiledPolicy, model: AccountModel,
                  account_rules: Mapping[str, Sequence[RuleIR]]) -> list[tuple[RuleIR, RuleScope, str]]:
    """Each rule with the part of the model it governs and the id the plan knows it by: the policy's
    rules the whole model, an account's own rules that account's scope (solver/account_scope.py)."""
    from solver.account_scope import AccountScope

    scoped: list[tuple[RuleIR, RuleScope, str]] = [(rule, model, rule.id) for rule in policy.rules]
    if not account_rules:
        return scoped
    refuse_unscoped(account_rules)
    positions = {member.account_id: a for a, member in enumerate(model.data.accounts)}
    for account_id, rules in account_rules.items():
        if not rules:
            continue
        if not model.data.household or account_id not in positions:
            raise ValueError(f"account rules for {account_id}, not an account of this household model")
        scope = AccountScope(model, positions[account_id])
        scoped += [(rule, scope, account_rule_id(account_id, rule.id)) for rule in rules]
    return scoped


def _lower_rules(policy: CompiledPolicy, model: AccountModel, account_rules: Mapping[str, Sequence[RuleIR]],
                 provenance: dict[str, Provenance]) -> list[Contribution]:
    blocks = []
    for rule, scope, rule_id in _scoped_rules(policy, model, account_rules):
        name = block_name(rule_id)
        while name in provenance:
            name += "_"
        block = pyo.Block(concrete=True)
        model.m.add_component(name, block)
        provenance[name] = Provenance(rule_id=rule_id, kind=rule.kind, span=rule.span)
        blocks.append((rule, RULE_KINDS[rule.kind], block, scope))
    # First what rules declare for the others — the target; the names no one may buy (which
    # `restrict buying outside target` reads from the target); the minimum trades; cash flows and
    # transfers in kind, which size the account after trading — so that every rule is lowered knowing
    # all of it, whatever the policy's order. An account's own rules declare for its part only.
    for rule, kind, _, _ in blocks:
        weights = kind.target_weights(rule, model)
        if weights is not None:
            model.declare_target(weights)
    for rule, kind, _, scope in blocks:
        scope.declare_forbidden_buys(kind.forbidden_buys(rule, scope))
        flow = kind.cash_flow(rule)
        if flow and scope is model and model.data.household:
            raise TailorError(error(
                "S114", "a deposit or withdrawal in a household policy does not say which account's cash it "
                "moves", rule.span, "state it in that account's own policy, or run the accounts one by one"))
        scope.declare_cash_flow(flow)
        transfer = kind.transfer(rule, model)
        if transfer is not None:
            model.declare_transfer(transfer.lots, transfer.dollars)
    for rule, kind, block, scope in blocks:
        minimum = kind.minimum_trade(rule, model)
        if minimum is not None:  # every buy, and every sale of a held name: none, or at least this
            scope.declare_minimum_trade(minimum, block)
    contributions = [kind.lower(rule, block, scope) for rule, kind, block, scope in blocks]
    for (rule, _, _, _), contribution in zip(blocks, contributions, strict=True):
        if contribution.whole_shares and model.data.household:
            raise TailorError(error(
                "S115", "whole shares are not yet offered for a household in one model", rule.span,
                "trade fractional shares, or rebalance the accounts one by one (`--mode sleeves`)"))
    return contributions


def rule_of(component: pyo.Component, provenance: dict[str, Provenance]) -> Provenance | None:
    """The rule whose Block holds `component` (None for the base model)."""
    block = component.parent_block()
    while block is not None:
        found = provenance.get(block.local_name)
        if found is not None:
            return found
        block = block.parent_block()
    return None
