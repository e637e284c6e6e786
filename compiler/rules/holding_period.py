"""holding period — do not realize short-term gains; defer sales of lots that turn long-term soon.

    holding period no short-term gains
    holding period defer 31 days
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Literal

from compiler.ir import RuleIR
from compiler.rules.base import DEFAULT_SPAN, Change, RuleKind, combine, compare_bound
from policy_lang.ast import Quantity, RuleNode, Unit
from policy_lang.quantities import format_quantity
from policy_lang.yaml_fields import fail

if TYPE_CHECKING:
    from datetime import date
    from decimal import Decimal

    from lark import Tree
    from pyomo.environ import Block

    from compiler.check import CheckContext
    from policy_lang.tree_reader import TreeReader
    from policy_lang.yaml_fields import Fields
    from solver.account_scope import RuleScope
    from solver.contribution import Contribution
    from solver.lots import Lot
    from solver.verify import Outcome, Violation


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

    # ---- optimizer side -----------------------------------------------------------------------
    @staticmethod
    def held_back(rule: HoldingPeriodIR, lot: Lot, price: Decimal, on: date) -> str | None:
        """Why this lot may not be sold on `on` at `price` (None: it may). Only gains are held back: a
        lot at a loss or at cost may always be sold. Long-term means held more than one year."""
        from solver.tax import days_to_long_term

        if price <= lot.basis_per_share:
            return None
        days = days_to_long_term(lot.held_since, on)
        if days == 0:
            return None
        if rule.no_short_term_gains:
            return f"a short-term gain (long-term in {days} days)"
        if rule.defer_days is not None and days <= rule.defer_days:
            return f"a gain that turns long-term in {days} days, within the {rule.defer_days}-day deferral"
        return None

    def not_per_account(self, rule: HoldingPeriodIR) -> str | None:
        return None  # the account's own taxed lots

    def lower(self, rule: HoldingPeriodIR, block: Block, model: RuleScope) -> Contribution:
        """One row per rule: the held-back lots sell nothing (all sells are non-negative). Tax-exempt
        accounts realize no taxable gains, so the rule does not apply to them."""
        import numpy as np

        from solver.contribution import Contribution
        from solver.model import linear

        contribution = Contribution()
        if not model.taxable:
            return contribution
        data = model.data
        # Only a short-term lot can be held back, and only one whose sale a return sees (not a
        # household IRA's): the lot arrays say which, the exact test decides.
        own = np.fromiter(model.own_lots, dtype=np.int64)
        short = own[data.lot_taxed[own] & ~data.lot_long_term[own]].tolist()
        prices = {t: data.market.price(t) for t in {data.lots[x].ticker for x in short}}
        held = [x for x in short
                if self.held_back(rule, data.lots[x], prices[data.lots[x].ticker], data.as_of) is not None]
        model.add(block, "held_back", linear([1.0] * len(held), [model.m.sell[x] for x in held]), upper=0)
        return contribution

    # ---- verifier side: the rule's meaning re-derived from the IR, sharing nothing with `lower` ----
    @staticmethod
    def forbids(rule: HoldingPeriodIR, acquired: date, gain: Decimal, on: date) -> str | None:
        """Why the rule forbids a sale on `on` realizing `gain` from a lot bought on `acquired` (None:
        it does not). The rule speaks of gains only, and of lots not yet long-term on the sale date:
        `no short-term gains` forbids every such sale, `defer N days` those that a sale N days later
        would make long-term. Holding periods are the verifier's own (solver.verify_law)."""
        from datetime import timedelta

        from solver.verify_law import held_more_than_one_year

        if gain <= 0 or held_more_than_one_year(acquired, on):
            return None
        if rule.no_short_term_gains:
            return "a short-term gain"
        later = None if rule.defer_days is None else on + timedelta(days=rule.defer_days)
        if later is not None and held_more_than_one_year(acquired, later):
            return f"a gain that turns long-term within the {rule.defer_days}-day deferral"
        return None

    def verify(self, rule: HoldingPeriodIR, outcome: Outcome) -> list[Violation]:
        from solver.verify import Violation

        if not outcome.account.is_taxable:
            return []
        lots = {lot.lot_id: lot for lot in outcome.account.lots}
        found = []
        for sale in outcome.sales:
            lot = lots[sale.trade.lot_id or ""]
            why = self.forbids(rule, lot.held_since, sale.gain, outcome.as_of)
            if why is not None:
                found.append(Violation(code="V230", span=outcome.account.span_of(lot.lot_id), message=(
                    f"sold lot {lot.lot_id} ({lot.ticker}, bought {lot.acquired}) realizing {why}")))
        return found

    def explain(self, rule: HoldingPeriodIR, outcome: Outcome) -> list[str]:
        if not rule.no_short_term_gains and rule.defer_days is None:
            return ["holding period: no restriction"]
        if not outcome.account.is_taxable:
            return ["holding period: not applied (the account is tax-exempt)"]
        held = [lot for lot in outcome.account.lots if self.held_back(
            rule, lot, outcome.prices[lot.ticker], outcome.as_of) is not None]
        which = "short-term gains" if rule.no_short_term_gains else \
            f"gains turning long-term within {rule.defer_days} days"
        return [f"holding period: {len(held)} lots with {which} kept unsold"]

    def default(self) -> HoldingPeriodNode:
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
