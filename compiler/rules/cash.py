"""cash — keep a reserve (% of account value or dollars), invest a deposit, raise a withdrawal.

    cash reserve 2%
    cash reserve $5,000 withdraw $40k
    cash deposit $100k
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from compiler.ir import RuleIR
from compiler.rules.base import DEFAULT_SPAN, Change, RuleKind, combine, compare_bound
from policy_lang.ast import Quantity, RuleNode, Unit
from policy_lang.quantities import WEIGHT_UNITS, format_quantity
from policy_lang.yaml_fields import fail

if TYPE_CHECKING:
    from decimal import Decimal

    from lark import Tree
    from pyomo.environ import Block

    from compiler.check import CheckContext
    from policy_lang.tree_reader import TreeReader
    from policy_lang.yaml_fields import Fields
    from solver.account_scope import RuleScope
    from solver.contribution import Contribution
    from solver.verify import Outcome, Violation

_USD = (Unit.USD,)


class CashNode(RuleNode):
    kind: ClassVar[str] = "cash"
    reserve: Quantity | None = None
    deposit: Quantity | None = None
    withdraw: Quantity | None = None


class CashIR(RuleIR):
    kind: Literal["cash"] = "cash"
    reserve_pct: float | None  # keep at least this fraction of account value in cash
    reserve_usd: Decimal | None  # keep at least this many dollars in cash
    deposit_usd: Decimal  # new money arriving now, to invest
    withdrawal_usd: Decimal  # cash to raise now, on top of the reserve


class Cash(RuleKind[CashNode, CashIR]):
    name = "cash"
    keyword = "cash"
    node_type = CashNode
    ir_type = CashIR
    summary = "cash reserve (% or $), a deposit to invest, a withdrawal to raise"
    yaml_keys = ("reserve", "deposit", "withdraw")
    grammar = r"""
cash_rule: "cash" cash_clause+
cash_clause: "reserve" quantity   -> cash_reserve
           | "deposit" quantity   -> cash_deposit
           | "withdraw" quantity  -> cash_withdraw
"""

    def build(self, tree: Tree, reader: TreeReader) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        for clause in reader.trees(tree):
            key = str(clause.data).removeprefix("cash_")
            if key in fields:
                reader.fail("P212", f"`{key}` given twice in one cash rule", clause, "keep one")
            units = (*WEIGHT_UNITS, Unit.USD) if key == "reserve" else _USD
            fields[key] = reader.quantity(clause.children[0], units, f"a cash {key}")
        return fields

    def format(self, node: CashNode) -> str:
        parts = ["cash"] + [f"{key} {format_quantity(q)}" for key in ("reserve", "deposit", "withdraw")
                            if (q := getattr(node, key)) is not None]
        return " ".join(parts)

    def from_yaml(self, fields: Fields) -> dict[str, Any]:
        out = {"reserve": fields.quantity("reserve", (*WEIGHT_UNITS, Unit.USD), "a cash reserve"),
               "deposit": fields.quantity("deposit", _USD, "a cash deposit"),
               "withdraw": fields.quantity("withdraw", _USD, "a cash withdraw")}
        if not any(out.values()):
            fail("P205", "`cash` needs at least one of: reserve, deposit, withdraw", fields.span)
        return out

    def to_yaml(self, node: CashNode) -> dict[str, Any]:
        return {key: format_quantity(q) for key in ("reserve", "deposit", "withdraw")
                if (q := getattr(node, key)) is not None}

    def default(self) -> CashNode:
        return CashNode(span=DEFAULT_SPAN, reason="default: no reserve, no deposit, no withdrawal")

    # ---- optimizer side -----------------------------------------------------------------------
    def cash_flow(self, rule: CashIR) -> Decimal:
        return rule.deposit_usd - rule.withdrawal_usd

    def not_per_account(self, rule: CashIR) -> str | None:
        return None  # the account's own reserve and its own deposit or withdrawal

    def lower(self, rule: CashIR, block: Block, model: RuleScope) -> Contribution:
        from solver.contribution import Contribution
        from solver.model import CASH_MARGIN_USD

        contribution = Contribution()
        # The reserve plus the cent that snapping trades to exact shares may take from planned cash
        # (solver/trades.py keeps cash within a cent of the plan).
        margin = model.fraction(CASH_MARGIN_USD)
        if rule.reserve_pct:
            model.add(block, "reserve_pct", model.cash_after - rule.reserve_pct * model.value_after,
                      lower=margin)
        if rule.reserve_usd:
            model.add(block, "reserve_usd", model.cash_after, lower=model.fraction(rule.reserve_usd) + margin)
        return contribution

    # ---- verifier side: the rule's meaning re-derived from the IR, sharing nothing with `lower` ----
    def reserve(self, rule: CashIR, outcome: Outcome) -> Decimal:
        """The cash to keep after trading: the larger of the percentage of the account's value after
        trading and the dollar reserve."""
        from decimal import Decimal

        pct = Decimal(repr(rule.reserve_pct or 0.0)) * outcome.value_after
        return max(pct, rule.reserve_usd or Decimal(0))

    def verify(self, rule: CashIR, outcome: Outcome) -> list[Violation]:
        from solver.verify import Violation
        from solver.verify_law import cents

        found = []
        if outcome.cash_flow != rule.deposit_usd - rule.withdrawal_usd:
            found.append(Violation(code="V211", message=f"cash flow {outcome.cash_flow} differs from the "
                                   f"policy's deposit {rule.deposit_usd} less withdrawal "
                                   f"{rule.withdrawal_usd}"))
        reserve = cents(self.reserve(rule, outcome))
        if cents(outcome.cash_after) < reserve:
            found.append(Violation(code="V212", message=f"cash after trades "
                                   f"${cents(outcome.cash_after):,} is below the reserve of ${reserve:,}"))
        return found

    def explain(self, rule: CashIR, outcome: Outcome) -> list[str]:
        from solver.tax import to_cents

        reserve = to_cents(self.reserve(rule, outcome))
        return [f"cash ${to_cents(outcome.cash_before):,} → ${to_cents(outcome.cash_after):,} "
                f"(flow ${to_cents(outcome.cash_flow):,}, reserve ${reserve:,})"]

    def compare(self, old: CashNode, new: CashNode) -> Change:
        if (old.deposit, old.withdraw) != (new.deposit, new.withdraw):
            return Change.CHANGED
        a, b = old.reserve, new.reserve
        if a is not None and b is not None and (a.unit is Unit.USD) != (b.unit is Unit.USD):
            return Change.CHANGED
        return combine(compare_bound(float(a.value) if a else 0.0, float(b.value) if b else 0.0,
                                     upper=False))

    def check(self, node: CashNode, ctx: CheckContext) -> CashIR | None:
        reserve_pct = reserve_usd = None
        if node.reserve is not None and node.reserve.unit is Unit.USD:
            reserve_usd = ctx.money(node.reserve, "a cash reserve")
        elif node.reserve is not None:
            reserve_pct = ctx.weight(node.reserve, "a cash reserve")
        deposit = ctx.money(node.deposit, "a deposit") if node.deposit else Decimal("0.00")
        withdrawal = ctx.money(node.withdraw, "a withdrawal") if node.withdraw else Decimal("0.00")
        if deposit is None or withdrawal is None or (node.reserve and reserve_pct is None
                                                     and reserve_usd is None):
            return None
        if deposit and withdrawal:
            ctx.warning("P452", "this cash rule both deposits and withdraws", node.span,
                        "net them into one: a deposit of the difference, or a withdrawal")
        return CashIR(id=ctx.rule_id(node), span=node.span, reason=node.reason, locked=node.locked,
                      reserve_pct=reserve_pct, reserve_usd=reserve_usd, deposit_usd=deposit,
                      withdrawal_usd=withdrawal)
