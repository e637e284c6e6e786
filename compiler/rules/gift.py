"""gift — donate $X of appreciated long-term lots this year (to charity or a donor-advised fund),
removing their embedded gains instead of realizing them.

    gift $25k
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from compiler.ir import RuleIR
from compiler.rules.base import Change, RuleKind
from policy_lang.ast import Quantity, RuleNode, Unit
from policy_lang.quantities import format_quantity

if TYPE_CHECKING:
    from lark import Tree

    from compiler.check import CheckContext
    from policy_lang.tree_reader import TreeReader
    from policy_lang.yaml_fields import Fields


class GiftNode(RuleNode):
    kind: ClassVar[str] = "gift"
    amount: Quantity


class GiftIR(RuleIR):
    kind: Literal["gift"] = "gift"
    amount_usd: Decimal  # market value of appreciated long-term lots to give this year


class Gift(RuleKind[GiftNode, GiftIR]):
    name = "gift"
    keyword = "gift"
    node_type = GiftNode
    ir_type = GiftIR
    summary = "donate $X of appreciated long-term lots this year"
    yaml_keys = ("amount",)
    grammar = r"""
gift_rule: "gift" quantity ("of" "appreciated" "lots")?
"""

    def build(self, tree: Tree, reader: TreeReader) -> dict[str, Any]:
        return {"amount": reader.quantity(reader.trees(tree)[0], (Unit.USD,), "a gift")}

    def format(self, node: GiftNode) -> str:
        return f"gift {format_quantity(node.amount)} of appreciated lots"

    def from_yaml(self, fields: Fields) -> dict[str, Any]:
        return {"amount": fields.quantity("amount", (Unit.USD,), "a gift", required=True)}

    def to_yaml(self, node: GiftNode) -> dict[str, Any]:
        return {"amount": format_quantity(node.amount)}

    def compare(self, old: GiftNode, new: GiftNode) -> Change:
        return Change.SAME if old == new else Change.CHANGED

    def check(self, node: GiftNode, ctx: CheckContext) -> GiftIR | None:
        amount = ctx.money(node.amount, "a gift")
        if amount is None:
            return None
        if amount == 0:
            ctx.warning("P453", "a gift of $0 does nothing", node.amount.span, "remove the rule")
        return GiftIR(id=ctx.rule_id(node), span=node.span, reason=node.reason, locked=node.locked,
                      amount_usd=amount)
