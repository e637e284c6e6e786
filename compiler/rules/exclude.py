"""exclude — never buy; sell existing holdings immediately (default) or as the tax budget allows.

    exclude category tobacco
    exclude category fossil_fuels extended sell as budget allows
    exclude MO, PM
    exclude sector "Energy"
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Literal

from compiler.claims import Claim, Says
from compiler.ir import RuleIR
from compiler.rules.base import Change, RuleKind, combine, compare_bound
from policy_lang.ast import TIERS, RuleNode, Subject
from policy_lang.formatting import format_subject, subject_to_yaml
from policy_lang.yaml_fields import SUBJECT_KEYS

if TYPE_CHECKING:
    from lark import Tree
    from pyomo.environ import Block

    from compiler.check import CheckContext
    from policy_lang.tree_reader import TreeReader
    from policy_lang.yaml_fields import Fields
    from solver.account_scope import RuleScope
    from solver.contribution import Contribution
    from solver.verify import Outcome, Violation

Sell = Literal["immediately", "as_budget_allows"]


class ExcludeNode(RuleNode):
    kind: ClassVar[str] = "exclude"
    subject: Subject
    sell: Sell = "immediately"

    def subject_key(self) -> str:
        return self.subject.slug()


class ExcludeIR(RuleIR):
    kind: Literal["exclude"] = "exclude"
    subject: str  # e.g. "category tobacco (core)"
    tickers: tuple[str, ...]
    sell: Sell


class Exclude(RuleKind[ExcludeNode, ExcludeIR]):
    name = "exclude"
    keyword = "exclude"
    node_type = ExcludeNode
    ir_type = ExcludeIR
    summary = "never buy these securities; sell holdings immediately or as the tax budget allows"
    yaml_keys = (*SUBJECT_KEYS, "sell")
    grammar = r"""
exclude_rule: "exclude" subject exclude_sell?
exclude_sell: "sell" "immediately"             -> exclude_immediately
            | "sell" "as" "budget" "allows"    -> exclude_as_budget_allows
"""

    def build(self, tree: Tree, reader: TreeReader) -> dict[str, Any]:
        subject, *sell = reader.trees(tree)
        mode = str(sell[0].data).removeprefix("exclude_") if sell else "immediately"
        return {"subject": reader.subject(subject), "sell": mode}

    def format(self, node: ExcludeNode) -> str:
        sell = " sell as budget allows" if node.sell == "as_budget_allows" else ""
        return f"exclude {format_subject(node.subject)}{sell}"

    def from_yaml(self, fields: Fields) -> dict[str, Any]:
        sell = fields.choice("sell", ("immediately", "as_budget_allows")) or "immediately"
        return {"subject": fields.subject(), "sell": sell}

    def to_yaml(self, node: ExcludeNode) -> dict[str, Any]:
        out = subject_to_yaml(node.subject)
        if node.sell != "immediately":
            out["sell"] = node.sell
        return out

    # ---- optimizer side -----------------------------------------------------------------------
    # Holding an excluded name that may be sold "as budget allows" costs this much (bp of account
    # value per unit of weight): more than any tax rate, so the optimiser sells whatever the
    # budgets let it sell.
    HOLDING_PENALTY_BP: ClassVar[float] = 1e4

    def not_per_account(self, rule: ExcludeIR) -> str | None:
        return None  # an account's exclusion: no buys there, its own holdings sold

    def forbidden_buys(self, rule: ExcludeIR, model: RuleScope) -> list[int]:
        return model.ids(rule.tickers)

    def lower(self, rule: ExcludeIR, block: Block, model: RuleScope) -> Contribution:
        from solver.contribution import Contribution

        contribution = Contribution()
        ids = model.ids(rule.tickers)
        model.add(block, "no_buy", model.bought_of(rule.tickers), upper=0)
        if rule.sell == "immediately":
            model.add(block, "sold_out", model.weight_of(rule.tickers), upper=0)
        elif ids:
            contribution.add_objective(rule.id, self.HOLDING_PENALTY_BP * model.weight_of(rule.tickers))
        return contribution

    # ---- verifier side: the rule's meaning re-derived from the IR, sharing nothing with `lower` ----
    def verify(self, rule: ExcludeIR, outcome: Outcome) -> list[Violation]:
        from solver.verify import Violation

        found = [Violation(code="V202", message=f"bought {t.shares} shares of excluded {t.ticker}")
                 for t in outcome.bought(rule.tickers)]
        if rule.sell == "immediately":
            found += [Violation(code="V203", message=f"{shares} shares of excluded {ticker} still held")
                      for ticker, shares in sorted(outcome.shares_after.items())
                      if ticker in rule.tickers and shares > 0]
        return found

    def explain(self, rule: ExcludeIR, outcome: Outcome) -> list[str]:
        sold = outcome.sold(rule.tickers)
        gain = sum((s.gain for s in sold), 0)
        left = outcome.weight_after(rule.tickers)
        return [f"excludes {rule.subject}: sold {len(sold)} lots (gain ${gain:,.2f}), "
                f"{left:.2%} of the account left in it, nothing bought"]

    def compare(self, old: ExcludeNode, new: ExcludeNode) -> Change:
        """A broader screen tier is tighter; selling immediately is tighter than as budget allows."""
        a, b = old.subject, new.subject
        sell = (Change.SAME if old.sell == new.sell else
                Change.TIGHTER if new.sell == "immediately" else Change.LOOSER)
        if a.kind == b.kind == "category" and a.names == b.names:
            tier = compare_bound(float(TIERS.index(a.tier or "core")), float(TIERS.index(b.tier or "core")),
                                 upper=False)
            return combine(tier, sell)
        return sell if a == b else Change.CHANGED

    def claims(self, rule: ExcludeIR) -> list[Claim]:
        return [Claim(Says.SELL_ALL, rule.tickers, rule.subject, rule.id, rule.span,
                      now=rule.sell == "immediately")]

    def check(self, node: ExcludeNode, ctx: CheckContext) -> ExcludeIR | None:
        tickers = ctx.resolve(node.subject)
        if tickers is None:
            return None
        ctx.warn_if_outside_target(tickers, node.subject, "exclusion")
        return ExcludeIR(id=ctx.rule_id(node), span=node.span, reason=node.reason, locked=node.locked,
                         subject=node.subject.describe(), tickers=tickers, sell=node.sell)
