"""transition — how fast a legacy portfolio moves to the target: at once, over N years, or within a
tax budget per year.

    transition immediate
    transition over 3 years
    transition within tax budget $25k per year
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from compiler.ir import RuleIR
from compiler.rules.base import Change, RuleKind, compare_bound
from policy_lang.ast import Quantity, RuleNode, Unit
from policy_lang.quantities import format_quantity
from policy_lang.yaml_fields import fail

if TYPE_CHECKING:
    from lark import Tree

    from compiler.check import CheckContext
    from policy_lang.tree_reader import TreeReader
    from policy_lang.yaml_fields import Fields

Mode = Literal["immediate", "over_years", "tax_budget"]
MODES: tuple[str, ...] = ("immediate", "over_years", "tax_budget")


class TransitionNode(RuleNode):
    kind: ClassVar[str] = "transition"
    mode: Mode = "immediate"
    years: Quantity | None = None
    budget: Quantity | None = None


class TransitionIR(RuleIR):
    kind: Literal["transition"] = "transition"
    mode: Mode
    years: int | None  # over_years: close 1/years of the remaining gap to the target each year
    budget_usd: Decimal | None  # tax_budget: realized net gains allowed per tax year


class Transition(RuleKind[TransitionNode, TransitionIR]):
    name = "transition"
    keyword = "transition"
    node_type = TransitionNode
    ir_type = TransitionIR
    summary = "move to the target immediately, over N years, or within a tax budget per year"
    yaml_keys = ("mode", "years", "budget")
    grammar = r"""
transition_rule: "transition" transition_mode
transition_mode: "immediate"                                    -> transition_immediate
               | "over" quantity                                -> transition_over_years
               | "within" "tax" "budget" quantity ("per" "year")? -> transition_tax_budget
"""

    def build(self, tree: Tree, reader: TreeReader) -> dict[str, Any]:
        mode = reader.trees(tree)[0]
        name = str(mode.data).removeprefix("transition_")
        if name == "over_years":
            return {"mode": name, "years": reader.quantity(mode.children[0], (Unit.YEARS,), "a transition")}
        if name == "tax_budget":
            return {"mode": name, "budget": reader.quantity(mode.children[0], (Unit.USD,), "a tax budget")}
        return {"mode": name}

    def format(self, node: TransitionNode) -> str:
        if node.mode == "over_years" and node.years is not None:
            return f"transition over {format_quantity(node.years)}"
        if node.mode == "tax_budget" and node.budget is not None:
            return f"transition within tax budget {format_quantity(node.budget)} per year"
        return "transition immediate"

    def from_yaml(self, fields: Fields) -> dict[str, Any]:
        mode = fields.choice("mode", MODES, required=True)
        years = fields.quantity("years", (Unit.YEARS,), "a transition", required=mode == "over_years")
        budget = fields.quantity("budget", (Unit.USD,), "a tax budget", required=mode == "tax_budget")
        if (years is not None and mode != "over_years") or (budget is not None and mode != "tax_budget"):
            fail("P209", "`years` goes with `mode: over_years`, `budget` with `mode: tax_budget`",
                 fields.span)
        return {"mode": mode, "years": years, "budget": budget}

    def to_yaml(self, node: TransitionNode) -> dict[str, Any]:
        out: dict[str, Any] = {"mode": node.mode}
        if node.years is not None:
            out["years"] = format_quantity(node.years)
        if node.budget is not None:
            out["budget"] = format_quantity(node.budget)
        return out

    def default(self) -> TransitionNode:
        from compiler.check import DEFAULT_SPAN
        return TransitionNode(span=DEFAULT_SPAN, reason="default: move to the target immediately")

    def compare(self, old: TransitionNode, new: TransitionNode) -> Change:
        if old.mode != new.mode:
            return Change.CHANGED
        if old.years is not None and new.years is not None:  # more years: slower, less tax — looser
            return compare_bound(float(old.years.value), float(new.years.value), upper=False)
        if old.budget is not None and new.budget is not None:
            return compare_bound(float(old.budget.value), float(new.budget.value), upper=True)
        return Change.SAME

    def check(self, node: TransitionNode, ctx: CheckContext) -> TransitionIR | None:
        years = ctx.whole(node.years, "a transition", low=1, high=30) if node.years else None
        budget = ctx.money(node.budget, "a tax budget") if node.budget else None
        if (node.years and years is None) or (node.budget and budget is None):
            return None
        return TransitionIR(id=ctx.rule_id(node), span=node.span, reason=node.reason, locked=node.locked,
                            mode=node.mode, years=years, budget_usd=budget)
