"""holding period — do not realize short-term gains; defer sales of lots that turn long-term soon.

    holding period no short-term gains
    holding period defer 31 days
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Literal

from compiler.ir import RuleIR
from compiler.rules.base import Change, RuleKind, combine, compare_bound
from policy_lang.ast import Quantity, RuleNode, Unit
from policy_lang.quantities import format_quantity
from policy_lang.yaml_fields import fail

if TYPE_CHECKING:
    from lark import Tree

    from compiler.check import CheckContext
    from policy_lang.tree_reader import TreeReader
    from policy_lang.yaml_fields import Fields


class HoldingPeriodNode(RuleNode):
    kind: ClassVar[str] = "holding_period"
    no_short_term_gains: bool = False
    defer: Quantity | None = None


class HoldingPeriodIR(RuleIR):
    kind: Literal["holding_period"] = "holding_period"
    no_short_term_gains: bool  # never sell a short-term lot at a gain
    defer_days: int | None  # do not sell a gain lot that turns long-term within this many days


class HoldingPeriod(RuleKind[HoldingPeriodNode, HoldingPeriodIR]):
    name = "holding_period"
    keyword = "holding period"
    node_type = HoldingPeriodNode
    ir_type = HoldingPeriodIR
    summary = "avoid short-term gains; defer sales of lots about to turn long-term"
    yaml_keys = ("no_short_term_gains", "defer")
    grammar = r"""
holding_period_rule: "holding" "period" holding_period_clause+
holding_period_clause: "no" "short-term" "gains"  -> holding_period_no_short_term
                     | "defer" quantity           -> holding_period_defer
"""

    def build(self, tree: Tree, reader: TreeReader) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        for clause in reader.trees(tree):
            key = "defer" if clause.data == "holding_period_defer" else "no_short_term_gains"
            if key in fields:
                reader.fail("P212", "clause given twice in one holding period rule", clause, "keep one")
            fields[key] = (reader.quantity(clause.children[0], (Unit.DAYS,), "a deferral")
                           if key == "defer" else True)
        return fields

    def format(self, node: HoldingPeriodNode) -> str:
        parts = ["holding period"]
        if node.no_short_term_gains:
            parts.append("no short-term gains")
        if node.defer is not None:
            parts.append(f"defer {format_quantity(node.defer)}")
        return " ".join(parts)

    def from_yaml(self, fields: Fields) -> dict[str, Any]:
        out = {"no_short_term_gains": fields.boolean("no_short_term_gains"),
               "defer": fields.quantity("defer", (Unit.DAYS,), "a deferral")}
        if not out["no_short_term_gains"] and out["defer"] is None:
            fail("P205", "`holding_period` needs `no_short_term_gains: true` or `defer` (e.g. 31 days)",
                 fields.span)
        return out

    def to_yaml(self, node: HoldingPeriodNode) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if node.no_short_term_gains:
            out["no_short_term_gains"] = True
        if node.defer is not None:
            out["defer"] = format_quantity(node.defer)
        return out

    def default(self) -> HoldingPeriodNode:
        from compiler.check import DEFAULT_SPAN
        return HoldingPeriodNode(span=DEFAULT_SPAN, reason="default: no holding-period restriction")

    def compare(self, old: HoldingPeriodNode, new: HoldingPeriodNode) -> Change:
        def days(n: HoldingPeriodNode) -> float:
            return float(n.defer.value) if n.defer else 0.0
        return combine(compare_bound(float(old.no_short_term_gains), float(new.no_short_term_gains),
                                     upper=False), compare_bound(days(old), days(new), upper=False))

    def check(self, node: HoldingPeriodNode, ctx: CheckContext) -> HoldingPeriodIR | None:
        defer = ctx.whole(node.defer, "a deferral", low=1, high=365) if node.defer else None
        if node.defer is not None and defer is None:
            return None
        return HoldingPeriodIR(id=ctx.rule_id(node), span=node.span, reason=node.reason,
                               locked=node.locked, no_short_term_gains=node.no_short_term_gains,
                               defer_days=defer)
