"""Lowering: each compiled rule becomes one Pyomo Block on the account model, named by its rule id.

The rule kind does the work (`RULE_KINDS[rule.kind].lower`); this pass only creates the Blocks and
returns the provenance map from Block name to rule id, kind and source span, so that any component
the solver reports (a binding row, an infeasible block, an objective term) can be traced back to the
line of the policy that made it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

import pyomo.environ as pyo
from pyomo.common.gc_manager import PauseGC

from compiler.ir import CompiledPolicy
from compiler.rules import RULE_KINDS
from core.diagnostics import Span

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
    provenance: dict[str, Provenance] = {}
    with PauseGC():
        _lower_rules(policy, model, provenance)
    return provenance


def _lower_rules(policy: CompiledPolicy, model: AccountModel, provenance: dict[str, Provenance]) -> None:
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
    # `restrict buying outside target` reads from the target); the minimum trades — so that every rule
    # is lowered knowing all of it, whatever the policy's order.
    for rule, kind, _ in blocks:
        weights = kind.target_weights(rule, model)
        if weights is not None:
            model.set_target(weights)
    for rule, kind, _ in blocks:
        model.forbid_buying(kind.forbidden_buys(rule, model))
    for rule, kind, block in blocks:
        minimum = kind.minimum_trade(rule, model)
        if minimum is not None:  # every buy, and every sale of a held name: none, or at least this
            for i in range(len(model.tickers)):
                model.lazy.set_min_buy(i, minimum, block)
                if model.held[i] > 0:
                    model.lazy.set_min_sell(i, minimum, block)
    for rule, kind, block in blocks:
        kind.lower(rule, block, model)


def rule_of(component: pyo.Component, provenance: dict[str, Provenance]) -> Provenance | None:
    """The rule whose Block holds `component` (None for the base model)."""
    block = component.parent_block()
    while block is not None:
        found = provenance.get(block.local_name)
        if found is not None:
            return found
        block = block.parent_block()
    return None
