"""Lowering: each compiled rule becomes one Pyomo Block on the account model, named by its rule id.

The rule kind does the work; this pass runs it in three steps and returns the provenance map from
Block name to rule id, kind and source span, so that any component the solver reports (a binding row,
an infeasible block, an objective term) can be traced back to the line of the policy that made it:

1. every rule's declarations, which others read (the target, the names no one may buy, the minimum
   trades, cash flows, transfers in kind), applied to the base model before any rule is lowered;
2. every rule's `lower`, which writes only into its own Block and returns a `Contribution`
   (solver/contribution.py) — so no lowering depends on the policy's order or on another's effects;
3. one assembly of all contributions (`AccountModel.assemble`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pyomo.environ as pyo
from pyomo.common.gc_manager import PauseGC

from compiler.ir import CompiledPolicy
from compiler.rules import RULE_KINDS
from core.diagnostics import Span, TailorError, error
from solver.contribution import Contribution

if TYPE_CHECKING:
    from solver.model import AccountModel


@dataclass(frozen=True)
class Provenance:
    rule_id: str
    kind: str
    span: Span


def block_name(rule_id: str) -> str:
    return "rule_" + re.sub(r"[^A-Za-z0-9_]", "_", rule_id)


def lower_policy(policy: CompiledPolicy, model: AccountModel) -> dict[str, Provenance]:
    """Lower every rule of `policy` onto `model` and assemble the model, ready to solve."""
    provenance: dict[str, Provenance] = {}
    with PauseGC():
        contributions = _lower_rules(policy, model, provenance)
    model.assemble(contributions)
    return provenance


def _lower_rules(policy: CompiledPolicy, model: AccountModel,
                 provenance: dict[str, Provenance]) -> list[Contribution]:
    blocks = []
    for rule in policy.rules:
        name = block_name(rule.id)
        while name in provenance:
            name += "_"
        block = pyo.Block(concrete=True)
        model.m.add_component(name, block)
        provenance[name] = Provenance(rule_id=rule.id, kind=rule.kind, span=rule.span)
        blocks.append((rule, RULE_KINDS[rule.kind], block))
    # First what rules declare for the others — the target; the names no one may buy (which
    # `restrict buying outside target` reads from the target); the minimum trades; cash flows and
    # transfers in kind, which size the account after trading — so that every rule is lowered knowing
    # all of it, whatever the policy's order.
    for rule, kind, _ in blocks:
        weights = kind.target_weights(rule, model)
        if weights is not None:
            model.declare_target(weights)
    for rule, kind, _ in blocks:
        model.declare_forbidden_buys(kind.forbidden_buys(rule, model))
        flow = kind.cash_flow(rule)
        if flow and model.data.household:
            raise TailorError(error(
                "S114", "a deposit or withdrawal in a household policy does not say which account's cash it "
                "moves", rule.span, "state it in that account's own policy, or run the accounts one by one"))
        model.declare_cash_flow(flow)
        transfer = kind.transfer(rule, model)
        if transfer is not None:
            model.declare_transfer(transfer.lots, transfer.dollars)
    for rule, kind, block in blocks:
        minimum = kind.minimum_trade(rule, model)
        if minimum is not None:  # every buy, and every sale of a held name: none, or at least this
            for i in range(len(model.data.tickers)):
                model.lazy.set_min_buy(i, minimum, block)
                if model.data.held[i] > 0:
                    model.lazy.set_min_sell(i, minimum, block)
    contributions = [kind.lower(rule, block, model) for rule, kind, block in blocks]
    for (rule, _, _), contribution in zip(blocks, contributions, strict=True):
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
