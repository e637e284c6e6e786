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
    for rule in sorted(policy.rules, key=lambda r: RULE_KINDS[r.kind].lowering_phase):
        name = block_name(rule.id)
        while name in provenance:
            name += "_"
        block = pyo.Block(concrete=True)
        model.m.add_component(name, block)
        RULE_KINDS[rule.kind].lower(rule, block, model)
        provenance[name] = Provenance(rule_id=rule.id, kind=rule.kind, span=rule.span)


def rule_of(component: pyo.Component, provenance: dict[str, Provenance]) -> Provenance | None:
    """The rule whose Block holds `component` (None for the base model)."""
    block = component.parent_block()
    while block is not None:
        found = provenance.get(block.local_name)
        if found is not None:
            return found
        block = block.parent_block()
    return None
