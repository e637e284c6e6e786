"""harvest — realize losses on lots whose loss is at least x% of basis and at least $y.

    harvest losses over 5% and $1,000
    harvest losses over 10%
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from compiler.ir import RuleIR
from compiler.rules.base import Change, RuleKind, combine, compare_bound
from policy_lang.ast import Quantity, RuleNode, Unit
from policy_lang.quantities import WEIGHT_UNITS, format_quantity
from policy_lang.syntax import SyntaxErrorExample
from policy_lang.yaml_fields import fail

if TYPE_CHECKING:
    from lark import Tree
    from pyomo.environ import Block

    from compiler.check import CheckContext
    from policy_lang.tree_reader import TreeReader
    from policy_lang.yaml_fields import Fields
    from solver.contribution import Contribution
    from solver.lots import Lot
    from solver.model import AccountModel
    from solver.verify import Outcome, Violation

_UNITS = (*WEIGHT_UNITS, Unit.USD)


class HarvestNode(RuleNode):
    kind: ClassVar[str] = "harvest"
    min_loss_pct: Quantity | None = None
    min_loss_usd: Quantity | None = None


class HarvestIR(RuleIR):
    kind: Literal["harvest"] = "harvest"
    min_loss_pct: float  # loss as a fraction of the lot's basis, e.g. 0.05
    min_loss_usd: Decimal  # and at least this many dollars (0: no dollar floor)


class Harvest(RuleKind[HarvestNode, HarvestIR]):
    name = "harvest"
    keyword = "harvest"
    syntax_errors: ClassVar[dict[str, SyntaxErrorExample]] = {
        "harvest": ("P108", "write the harvest threshold after `losses over`",
                    "e.g. `harvest losses over 5% and $1,000`",
                    ["harvest losses 5%\n", "harvest 5%\n", "harvest losses\n"])}
    node_type = HarvestNode
    ir_type = HarvestIR
    summary = "harvest losses on lots down at least x% and $y"
    yaml_keys = ("min_loss", "min_loss_usd")
    grammar = r"""
harvest_rule: "harvest" "losses" "over" quantity ("and" quantity)?
"""

    def build(self, tree: Tree, reader: TreeReader) -> dict[str, Any]:
        fields: dict[str, Any] = {}
        for item in reader.trees(tree):
            q = reader.quantity(item, _UNITS, "a harvest threshold")
            key = "min_loss_usd" if q.unit is Unit.USD else "min_loss_pct"
            if key in fields:
                reader.fail("P212", "give one percentage and one dollar threshold", item,
                            "e.g. `harvest losses over 5% and $1,000`")
            fields[key] = q
        return fields

    def format(self, node: HarvestNode) -> str:
        parts = [format_quantity(q) for q in (node.min_loss_pct, node.min_loss_usd) if q is not None]
        return "harvest losses over " + " and ".join(parts)

    def from_yaml(self, fields: Fields) -> dict[str, Any]:
        pct = fields.quantity("min_loss", WEIGHT_UNITS, "a harvest threshold")
        usd = fields.quantity("min_loss_usd", (Unit.USD,), "a harvest threshold")
        if pct is None and usd is None:
            fail("P205", "`harvest` needs `min_loss` (e.g. 5%) and/or `min_loss_usd` (e.g. $1,000)",
                 fields.span)
        return {"min_loss_pct": pct, "min_loss_usd": usd}

    def to_yaml(self, node: HarvestNode) -> dict[str, Any]:
        out = {}
        if node.min_loss_pct is not None:
            out["min_loss"] = format_quantity(node.min_loss_pct)
        if node.min_loss_usd is not None:
            out["min_loss_usd"] = format_quantity(node.min_loss_usd)
        return out

    # ---- optimizer side -----------------------------------------------------------------------
    # The base objective values every realized loss by Schedule D netting (solver/schedule_d.py): at
    # the short-term rate, the long-term rate or the carryforward value, whichever the year's other
    # gains give it. So without this rule the optimiser harvests any loss whose tax saving beats the
    # tracking error and trading cost of its replacement — down to losses of a fraction of a percent.
    # The thresholds say which losses are worth harvesting: a lot below them gives back a credit at
    # the short-term rate, the most netting ever credits a dollar of loss, so its loss is worth
    # nothing to the optimiser at best (a small loss on a long-term lot offsetting short-term gains
    # would otherwise still be worth the difference of the rates); a qualifying lot keeps its full
    # credit and is harvested whenever its saving outweighs the risk of the replacement (risk-aware
    # harvesting; wash-sale and every other rule still bind). Loss sales below the thresholds are not
    # forbidden: trimming an overweight name, an exclusion or a cash need may sell such a lot, which
    # is then priced a little above its netted tax. So the rule shapes the objective and has no hard
    # condition to verify; `explain` reports which qualifying lots were harvested.

    @staticmethod
    def qualifies(rule: HarvestIR, lot: Lot, price: Decimal) -> bool:
        """The lot's whole unrealized loss is at least the percentage of its basis and the dollars."""
        loss = lot.shares * (lot.basis_per_share - price)
        pct = Decimal(repr(rule.min_loss_pct))
        return loss > 0 and loss >= rule.min_loss_usd and loss >= pct * lot.cost_basis

    def lower(self, rule: HarvestIR, block: Block, model: AccountModel) -> Contribution:
        import pyomo.environ as pyo

        from solver.contribution import Contribution
        from solver.model import linear

        contribution = Contribution()
        if not model.data.taxable:
            return contribution
        account = model.data.account
        tax, prices = account.tax, {t: model.data.market.price(t) for t in account.tickers}
        small = [x for x, lot in enumerate(model.data.lots)
                 if model.data.lot_gain[x] < 0 and not self.qualifies(rule, lot, prices[lot.ticker])]
        if not small:
            return contribution
        # The most the base objective's netting can credit these losses, in bp, taken back: a small
        # long-term loss that offsets short-term gains is credited at the short-term rate.
        rate = float(tax.short_term_rate)
        block.withheld_credit = pyo.Expression(expr=linear(
            [-1e4 * rate * model.data.lot_gain[x] for x in small], [model.m.sell[x] for x in small]))
        contribution.add_objective(rule.id, model.m.objective_weight["tax"] * block.withheld_credit)
        return contribution

    # ---- verifier side: the rule's meaning re-derived from the IR, sharing nothing with `lower` ----
    def verify(self, rule: HarvestIR, outcome: Outcome) -> list[Violation]:
        """Nothing is forbidden (see above): the thresholds shape the objective only."""
        return []

    def explain(self, rule: HarvestIR, outcome: Outcome) -> list[str]:
        from solver.tax import to_cents

        if not outcome.account.is_taxable:
            return ["harvest: not applied (the account is tax-exempt)"]
        candidates = {lot.lot_id for lot in outcome.account.lots
                      if self.qualifies(rule, lot, outcome.prices[lot.ticker])}
        losses = [s for s in outcome.sales if s.gain < 0]
        harvested = [s for s in losses if s.trade.lot_id in candidates]
        other = [s for s in losses if s.trade.lot_id not in candidates]

        def total(sales: list) -> Decimal:
            return to_cents(-sum((s.realized for s in sales), Decimal(0)))
        line = (f"harvest: {len({s.trade.lot_id for s in harvested})} of {len(candidates)} lots past the "
                f"thresholds harvested, realizing ${total(harvested):,} of losses")
        if other:
            line += f"; {len(other)} smaller losses (${total(other):,}) realized as rebalancing needed"
        return [line]

    def compare(self, old: HarvestNode, new: HarvestNode) -> Change:
        """A higher threshold harvests less: tighter."""
        def pct(n: HarvestNode) -> float:
            return n.min_loss_pct.fraction if n.min_loss_pct else 0.0

        def usd(n: HarvestNode) -> float:
            return float(n.min_loss_usd.value) if n.min_loss_usd else 0.0
        return combine(compare_bound(pct(old), pct(new), upper=False),
                       compare_bound(usd(old), usd(new), upper=False))

    def check(self, node: HarvestNode, ctx: CheckContext) -> HarvestIR | None:
        pct = ctx.weight(node.min_loss_pct, "a harvest threshold") if node.min_loss_pct else 0.0
        usd = ctx.money(node.min_loss_usd, "a harvest threshold") if node.min_loss_usd else Decimal("0.00")
        if pct is None or usd is None:
            return None
        if node.min_loss_pct is not None and pct >= 1.0:
            ctx.error("P401", "a loss can never reach 100% of a lot's basis", node.min_loss_pct.span,
                      "harvest thresholds are usually 2% to 10%")
            return None
        return HarvestIR(id=ctx.rule_id(node), span=node.span, reason=node.reason, locked=node.locked,
                         min_loss_pct=pct, min_loss_usd=usd)
