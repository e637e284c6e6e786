"""budget — realized gains allowed per tax year: short-term, long-term, net, or estimated tax dollars.
Counts gains already realized this year; `$0` is allowed (realize no gains at all).

    budget long-term gains $20k per year
    budget short-term gains $0 per year
    budget tax $5,000 per year
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from compiler.ir import RuleIR
from compiler.rules.base import Change, RuleKind, compare_bound
from policy_lang.ast import Quantity, RuleNode, Unit
from policy_lang.quantities import format_quantity
from policy_lang.syntax import SyntaxErrorExample

if TYPE_CHECKING:
    from decimal import Decimal

    from lark import Tree
    from pyomo.environ import Block

    from compiler.check import CheckContext
    from policy_lang.tree_reader import TreeReader
    from policy_lang.yaml_fields import Fields
    from solver.account import TaxProfile
    from solver.account_scope import RuleScope
    from solver.contribution import Contribution
    from solver.verify import Outcome, Violation

Measure = Literal["short_term", "long_term", "net", "tax"]
MEASURES: tuple[str, ...] = ("short_term", "long_term", "net", "tax")
_DSL = {"short_term": "short-term gains", "long_term": "long-term gains", "net": "net gains", "tax": "tax"}


class BudgetNode(RuleNode):
    kind: ClassVar[str] = "budget"
    measure: Measure
    amount: Quantity

    def subject_key(self) -> str:
        return self.measure.replace("_", "-")


class BudgetIR(RuleIR):
    kind: Literal["budget"] = "budget"
    measure: Measure
    amount: Decimal  # dollars per tax year, including what was realized earlier this year


class Budget(RuleKind[BudgetNode, BudgetIR]):
    name = "budget"
    keyword = "budget"
    syntax_errors: ClassVar[dict[str, SyntaxErrorExample]] = {
        "budget": ("P107", "say which gains the budget counts",
                   "write `budget long-term gains $20k per year` (or short-term gains, net gains, tax)",
                   ["budget $20k\n", "budget $20k per year\n", "budget gains $5k\n"])}
    node_type = BudgetNode
    ir_type = BudgetIR
    summary = "realized gains (short-term, long-term, net) or estimated tax allowed per tax year"
    yaml_keys = ("measure", "amount")
    grammar = r"""
budget_rule: "budget" budget_measure quantity ("per" "year")?
budget_measure: "short-term" "gains"  -> budget_short_term
              | "long-term" "gains"   -> budget_long_term
              | "net" "gains"         -> budget_net
              | "tax"                 -> budget_tax
"""

    def build(self, tree: Tree, reader: TreeReader) -> dict[str, Any]:
        measure, amount = reader.trees(tree)
        return {"measure": str(measure.data).removeprefix("budget_"),
                "amount": reader.quantity(amount, (Unit.USD,), "a budget")}

    def format(self, node: BudgetNode) -> str:
        return f"budget {_DSL[node.measure]} {format_quantity(node.amount)} per year"

    def from_yaml(self, fields: Fields) -> dict[str, Any]:
        return {"measure": fields.choice("measure", MEASURES, required=True),
                "amount": fields.quantity("amount", (Unit.USD,), "a budget", required=True)}

    def to_yaml(self, node: BudgetNode) -> dict[str, Any]:
        return {"measure": node.measure, "amount": format_quantity(node.amount)}

    # ---- optimizer side -----------------------------------------------------------------------
    def not_per_account(self, rule: BudgetIR) -> str | None:
        return None  # the gains the account's own sales realize, on top of its file's year so far

    def lower(self, rule: BudgetIR, block: Block, model: RuleScope) -> Contribution:
        import pyomo.environ as pyo

        from solver.contribution import Contribution

        contribution = Contribution()
        if not model.taxable:
            return contribution
        from decimal import Decimal

        from solver.model import ROUNDING_MARGIN_USD

        tax, (st_gain, lt_gain) = model.tax, model.realized_gains()
        st = st_gain + model.fraction(tax.realized_short_term_ytd)
        lt = lt_gain + model.fraction(tax.realized_long_term_ytd)
        # Up to a dollar of room for rounding shares to 6 places after solving, never so much that
        # doing nothing would break the budget; a budget already spent means "no more this year".
        ytd = self.before(rule, tax)
        room = rule.amount - min(ROUNDING_MARGIN_USD, max(rule.amount - ytd, Decimal(0)))
        limit = model.fraction(max(room, ytd))
        if rule.measure == "short_term":
            model.add(block, "limit", st, upper=limit)
        elif rule.measure == "long_term":
            model.add(block, "limit", lt, upper=limit)
        elif rule.measure == "net":
            model.add(block, "limit", st + lt, upper=limit)
        elif ytd > room:
            # Spent by the convex bound below. The bound overstates the tax of a year whose long-term
            # loss offsets short-term gains, so holding the bound where it stands could still add tax
            # (and pass the budget); realizing no further gain of either character cannot, as the tax
            # never falls when a gain grows.
            model.add(block, "no_more_short_term", st_gain, upper=0)
            model.add(block, "no_more_long_term", lt_gain, upper=0)
        else:
            # Tax after netting is bounded above by max(0, s·ST + l·LT, l·(ST + LT)) with ST and LT
            # net of carryforwards (s ≥ l): a convex bound, so `tax ≤ amount` stays linear and safe.
            s, rate_l = float(tax.short_term_rate), float(tax.long_term_rate)
            st_net = st - model.fraction(tax.carryforward_short_term)
            lt_net = lt - model.fraction(tax.carryforward_long_term)
            block.tax = pyo.Var(bounds=(0.0, limit))
            block.above_rates = pyo.Constraint(expr=block.tax >= s * st_net + rate_l * lt_net)
            block.above_netted = pyo.Constraint(expr=block.tax >= rate_l * (st_net + lt_net))
        return contribution

    @staticmethod
    def before(rule: BudgetIR, tax: TaxProfile) -> Decimal:
        """What the measure stood at before this rebalance (for tax: the model's convex bound)."""
        from decimal import Decimal

        st, lt = tax.realized_short_term_ytd, tax.realized_long_term_ytd
        if rule.measure == "tax":
            st, lt = st - tax.carryforward_short_term, lt - tax.carryforward_long_term
            return max(Decimal(0), tax.short_term_rate * st + tax.long_term_rate * lt,
                       tax.long_term_rate * (st + lt))
        return {"short_term": st, "long_term": lt, "net": st + lt}[rule.measure]

    # ---- verifier side: the rule's meaning re-derived from the IR, sharing nothing with `lower` ----
    @staticmethod
    def standing(rule: BudgetIR, short_term: Decimal, long_term: Decimal, tax: TaxProfile) -> Decimal:
        """The measure for a tax year that has realized these gains: the gains of one character, both
        together, or the tax on them after netting (Schedule D, as the verifier reads it)."""
        from solver.verify_law import capital_gains_tax

        if rule.measure == "tax":
            return capital_gains_tax(short_term, long_term, tax.carryforward_short_term,
                                     tax.carryforward_long_term, tax.short_term_rate, tax.long_term_rate)
        return {"short_term": short_term, "long_term": long_term, "net": short_term + long_term}[rule.measure]

    def measured(self, rule: BudgetIR, outcome: Outcome) -> Decimal:
        """The measure for the tax year with this rebalance's gains added to those realized before."""
        return self.standing(rule, outcome.ytd_short_term, outcome.ytd_long_term, outcome.account.tax)

    def verify(self, rule: BudgetIR, outcome: Outcome) -> list[Violation]:
        """The year's measure stays within the budget — or, where gains realized earlier this year had
        already passed it, does not grow: those cannot be undone, but no more may be added."""
        from solver.verify import Violation
        from solver.verify_law import cents

        if not outcome.account.is_taxable:
            return []
        tax = outcome.account.tax
        used = cents(self.measured(rule, outcome))
        before = cents(self.standing(rule, tax.realized_short_term_ytd, tax.realized_long_term_ytd, tax))
        if used > max(rule.amount, before):
            return [Violation(code="V208", message=f"{rule.measure.replace('_', '-')} budget of "
                              f"${rule.amount:,} exceeded: ${used:,} this tax year")]
        return []

    def explain(self, rule: BudgetIR, outcome: Outcome) -> list[str]:
        from solver.tax import to_cents

        used = to_cents(self.measured(rule, outcome))
        tax = outcome.account.tax
        earlier = to_cents(tax.realized_long_term_ytd + tax.realized_short_term_ytd)
        return [f"{rule.measure.replace('_', '-')} budget: ${used:,} of ${rule.amount:,} used this tax "
                f"year (including ${earlier:,} realized before)"]

    def compare(self, old: BudgetNode, new: BudgetNode) -> Change:
        if old.measure != new.measure:
            return Change.CHANGED
        return compare_bound(float(old.amount.value), float(new.amount.value), upper=True)

    def check(self, node: BudgetNode, ctx: CheckContext) -> BudgetIR | None:
        amount = ctx.money(node.amount, "a budget")
        if amount is None:
            return None
        return BudgetIR(id=ctx.rule_id(node), span=node.span, reason=node.reason, locked=node.locked,
                        measure=node.measure, amount=amount)
