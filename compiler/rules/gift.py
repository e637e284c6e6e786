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
    from datetime import date

    from lark import Tree
    from pyomo.environ import Block

    from compiler.check import CheckContext
    from policy_lang.tree_reader import TreeReader
    from policy_lang.yaml_fields import Fields
    from solver.contribution import Contribution, Transfer
    from solver.lots import Lot
    from solver.model import AccountModel
    from solver.verify import Outcome, Violation


class GiftNode(RuleNode):
    kind: ClassVar[str] = "gift"
    amount: Quantity


class GiftIR(RuleIR):
    kind: Literal["gift"] = "gift"
    amount_usd: Decimal  # market value of appreciated long-term lots to give this year


class Gift(RuleKind[GiftNode, GiftIR]):
    name = "gift"
    moves_lots_out = True
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

    # ---- optimizer side -----------------------------------------------------------------------
    # Giving an appreciated long-term lot to charity deducts its market value and removes its gain
    # without realizing it, so the best lots to give carry the most gain per dollar. The shares leave
    # in kind (`Gift.transfer`, declared before lowering: no cash, no realized gain, a smaller
    # account), the amount is given exactly (to share rounding), and the objective credits the
    # long-term tax each gifted dollar would otherwise owe when sold (scaled by the tax weight), so
    # the optimiser picks the highest-gain lots — and, among close calls, those of overweight names,
    # as tracking error decides. Only lots long-term and above cost on the as-of date qualify: a
    # short-term gift deducts only its basis, and a lot at a loss is better sold (the loss is then
    # deductible).

    @staticmethod
    def eligible(lot: Lot, price: Decimal, on: date) -> bool:
        from solver.tax import is_long_term

        return price > lot.basis_per_share and is_long_term(lot.held_since, on)

    def transfer(self, rule: GiftIR, model: AccountModel) -> Transfer | None:
        """The gift leaves in kind from the appreciated long-term lots, declared before any rule is
        lowered: every rule's rows see the account after the gift."""
        import numpy as np

        from core.diagnostics import TailorError, error
        from solver.account_arrays import GAIN_NOISE
        from solver.contribution import Transfer

        if rule.amount_usd <= 0:
            return None
        data = model.data
        prices = {t: data.market.price(t) for t in data.account.tickers}
        # Lots whose gain a return sees, of an account that trades: in a household not an IRA's (no gain
        # to remove) nor a held-away account's (never traded); long-term, and appreciated: a gain the
        # lot arrays show plainly is one, one within float noise of none the exact test decides.
        giving = data.lot_taxed & data.tradable[data.lot_account] & data.lot_long_term
        plain, close = giving & (data.lot_gain > GAIN_NOISE), giving & (np.abs(data.lot_gain) <= GAIN_NOISE)
        lots = sorted([*np.flatnonzero(plain).tolist(),
                       *(x for x in np.flatnonzero(close).tolist()
                         if self.eligible(data.lots[x], prices[data.lots[x].ticker], data.as_of))])
        # Enough by a dollar in floats (their error is far below a dollar) is enough; else the decimals.
        enough = float(data.lot_value[lots].sum()) * data.value > float(rule.amount_usd) + 1
        available = rule.amount_usd if enough else sum(
            (data.lots[x].shares * prices[data.lots[x].ticker] for x in lots), Decimal(0))
        if available < rule.amount_usd:
            raise TailorError(error(
                "S110", f"a gift of ${rule.amount_usd:,} needs appreciated long-term lots worth that much; "
                f"the account holds ${available:,.2f} of them on {data.as_of}", rule.span,
                "lower the gift, or give cash instead"))
        return Transfer(lots=tuple(lots), dollars=rule.amount_usd)

    def lower(self, rule: GiftIR, block: Block, model: AccountModel) -> Contribution:
        """How the amount is taken from the declared lots (`m.transfer`), and the tax the gift takes
        off the account (the lots' embedded long-term gains) as a saving in tax units."""
        import numpy as np
        import pyomo.environ as pyo

        from solver.contribution import Contribution
        from solver.matrix_rows import one_row
        from solver.model import linear

        contribution = Contribution()
        if rule.amount_usd <= 0:
            return contribution
        # The lots this gift declared (`transfer`): every gift declares the same ones, the account's
        # appreciated long-term lots, so the declared set is this rule's without scanning the lots again.
        transfer, lots = model.transfers, sorted(model.transferable)
        amount = model.fraction(rule.amount_usd)
        if lots:  # (one row as arrays: 7,700 lots' expression cost 5 ms more to build and hand off)
            block.amount = one_row(np.ones(len(lots)), [transfer[x] for x in lots], amount, amount)
        if model.data.taxable:
            rate = 1e4 * float(model.data.account.tax.long_term_rate)
            block.tax_removed = pyo.Expression(expr=linear(
                [rate * float(model.data.lot_gain[x]) for x in lots], [transfer[x] for x in lots]))
            contribution.add_objective(rule.id, -model.m.objective_weight["tax"] * block.tax_removed)
        return contribution

    # ---- verifier side: the rule's meaning re-derived from the IR, sharing nothing with `lower` ----
    @staticmethod
    def giftable(acquired: date, gain: Decimal, on: date) -> bool:
        """The rule gives appreciated long-term lots: shares carrying a gain, held more than one year on
        the day given (the verifier's holding period, solver.verify_law)."""
        from solver.verify_law import held_more_than_one_year

        return gain > 0 and held_more_than_one_year(acquired, on)

    def verify(self, rule: GiftIR, outcome: Outcome) -> list[Violation]:
        """Each gifted lot qualifies, and the gift is the amount to within one share-rounding step
        (a millionth of a share, or one share for whole-share gifts) per gifted lot."""
        from solver.lots import SHARE_STEP
        from solver.verify import Violation

        lots = {lot.lot_id: lot for lot in outcome.account.lots}
        found = [Violation(code="V232", span=outcome.account.span_of(g.trade.lot_id or ""), message=(
                 f"gave lot {g.trade.lot_id} ({g.trade.ticker}, bought {g.trade.acquired}), which is not an "
                 f"appreciated long-term lot")) for g in outcome.gifts
                 if not self.giftable(lots[g.trade.lot_id or ""].held_since, g.gain, outcome.as_of)]
        given = sum((g.trade.amount for g in outcome.gifts), Decimal(0))
        slack = Decimal("0.01")
        for g in outcome.gifts:
            slack += g.trade.price * (1 if g.trade.shares % 1 == 0 else 10 * SHARE_STEP)
        if abs(given - rule.amount_usd) > slack:
            found.append(Violation(code="V233", message=f"gave ${given:,.2f} of shares, not the "
                                   f"${rule.amount_usd:,} the gift asks for"))
        return found

    def explain(self, rule: GiftIR, outcome: Outcome) -> list[str]:
        from solver.tax import to_cents

        given = to_cents(sum((g.trade.amount for g in outcome.gifts), Decimal(0)))
        gain = to_cents(sum((g.gain for g in outcome.gifts), Decimal(0)))
        line = (f"gift: ${given:,} of shares from {len(outcome.gifts)} appreciated long-term lots given "
                f"in kind, carrying ${gain:,} of unrealized gain")
        if outcome.account.is_taxable:
            line += f" (${to_cents(gain * outcome.account.tax.long_term_rate):,} of tax never owed)"
        return [line]

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
