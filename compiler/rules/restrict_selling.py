"""restrict selling — never sell given securities, or given lots (e.g. low-basis shares kept for a
step-up in basis at death).

    restrict selling AAPL
    restrict selling lots "AAPL-1998-03", "AAPL-2001-07"
    restrict selling MSFT lots "MSFT-2003-01"
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Literal

from compiler.claims import Claim, Says
from compiler.ir import RuleIR
from compiler.rules.base import Change, RuleKind
from policy_lang.ast import RuleNode, Subject, Text
from policy_lang.formatting import format_subject, quote, subject_to_yaml
from policy_lang.yaml_fields import SUBJECT_KEYS, fail

if TYPE_CHECKING:
    from lark import Tree
    from pyomo.environ import Block

    from compiler.check import CheckContext
    from policy_lang.tree_reader import TreeReader
    from policy_lang.yaml_fields import Fields
    from solver.account_scope import RuleScope
    from solver.contribution import Contribution
    from solver.verify import Outcome, Violation


class RestrictSellingNode(RuleNode):
    kind: ClassVar[str] = "restrict_selling"
    subject: Subject | None = None
    lots: tuple[Text, ...] = ()

    def subject_key(self) -> str:
        lots = "lots-" + "-".join(lot.value for lot in self.lots) if self.lots else ""
        slug = "".join(c if c.isalnum() else "-" for c in lots.lower())
        return "-".join(p for p in ((self.subject.slug() if self.subject else ""), slug) if p)


class RestrictSellingIR(RuleIR):
    kind: Literal["restrict_selling"] = "restrict_selling"
    subject: str
    tickers: tuple[str, ...]  # never sell any lot of these (empty when the rule names lots)
    lot_ids: tuple[str, ...]  # never sell these lots


class RestrictSelling(RuleKind[RestrictSellingNode, RestrictSellingIR]):
    name = "restrict_selling"
    keyword = "restrict selling"
    node_type = RestrictSellingNode
    ir_type = RestrictSellingIR
    summary = "never sell given securities or lots"
    yaml_keys = (*SUBJECT_KEYS, "lots")
    grammar = r"""
restrict_selling_rule: "restrict" "selling" restrict_selling_what
restrict_selling_what: subject                            -> restrict_selling_subject
    | subject "lots" restrict_selling_lots                -> restrict_selling_subject_lots
    | "lots" restrict_selling_lots                        -> restrict_selling_only_lots
restrict_selling_lots: STRING ("," STRING)*
"""

    def build(self, tree: Tree, reader: TreeReader) -> dict[str, Any]:
        what = reader.trees(tree)[0]
        parts = reader.trees(what)
        subject = reader.subject(parts[0]) if parts[0].data != "restrict_selling_lots" else None
        lots = parts[-1].children if parts[-1].data == "restrict_selling_lots" else []
        return {"subject": subject, "lots": tuple(reader.text(tok) for tok in lots)}

    def format(self, node: RestrictSellingNode) -> str:
        parts = ["restrict selling"]
        if node.subject is not None:
            parts.append(format_subject(node.subject))
        if node.lots:
            parts.append("lots " + ", ".join(quote(lot.value) for lot in node.lots))
        return " ".join(parts)

    def from_yaml(self, fields: Fields) -> dict[str, Any]:
        subject = fields.subject(required=False)
        lots = tuple(Text(value=s.value, span=s.span) for s in fields.scalars("lots"))
        if subject is None and not lots:
            fail("P205", "`restrict_selling` needs a subject (ticker, tickers, …) or `lots`", fields.span)
        return {"subject": subject, "lots": lots}

    def to_yaml(self, node: RestrictSellingNode) -> dict[str, Any]:
        out = subject_to_yaml(node.subject) if node.subject is not None else {}
        if node.lots:
            out["lots"] = [lot.value for lot in node.lots]
        return out

    # ---- optimizer side -----------------------------------------------------------------------
    def not_per_account(self, rule: RestrictSellingIR) -> str | None:
        return None  # the account's own lots of the names, or its lots named

    def lower(self, rule: RestrictSellingIR, block: Block, model: RuleScope) -> Contribution:
        from core.diagnostics import TailorError, error
        from core.suggest import did_you_mean
        from solver.contribution import Contribution
        from solver.model import linear

        contribution = Contribution()
        # A protected lot the account does not hold is almost always a typo: protecting nothing in
        # silence would let the optimizer sell the lot the client meant.
        lot_index = model.lot_index
        unknown = [i for i in rule.lot_ids if i not in lot_index]
        if unknown:
            raise TailorError(error(
                "S111", f"lot {', '.join(unknown)} is not in account {model.account_id}", rule.span,
                did_you_mean(unknown[0], lot_index) or "use the lot ids of the account's lots file"))
        lots = sorted(set(model.lots_in(rule.tickers)) | {lot_index[i] for i in rule.lot_ids})
        model.add(block, "no_sale", linear([1.0] * len(lots), [model.m.sell[x] for x in lots]), upper=0)
        return contribution

    # ---- verifier side: the rule's meaning re-derived from the IR, sharing nothing with `lower` ----
    def verify(self, rule: RestrictSellingIR, outcome: Outcome) -> list[Violation]:
        from solver.verify import Violation

        return [Violation(code="V205", message=f"sold {s.trade.shares} shares of {s.trade.ticker} from "
                          f"restricted lot {s.trade.lot_id}")
                for s in outcome.sales if s.trade.ticker in rule.tickers or s.trade.lot_id in rule.lot_ids]

    def explain(self, rule: RestrictSellingIR, outcome: Outcome) -> list[str]:
        return [f"no selling {rule.subject}: those lots were kept"]

    def compare(self, old: RestrictSellingNode, new: RestrictSellingNode) -> Change:
        if old == new:
            return Change.SAME
        if old.subject == new.subject:
            old_lots, new_lots = {t.value for t in old.lots}, {t.value for t in new.lots}
            if old_lots < new_lots:
                return Change.TIGHTER
            if old_lots > new_lots:
                return Change.LOOSER
        return Change.CHANGED

    def claims(self, rule: RestrictSellingIR) -> list[Claim]:
        return [Claim(Says.NO_SELLING, rule.tickers, rule.subject, rule.id, rule.span)]

    def check(self, node: RestrictSellingNode, ctx: CheckContext) -> RestrictSellingIR | None:
        tickers: tuple[str, ...] = ()
        if node.subject is not None:
            resolved = ctx.resolve(node.subject)
            if resolved is None:
                return None
            tickers = resolved
        lot_ids = tuple(sorted({lot.value for lot in node.lots}))
        for lot in node.lots:
            if not lot.value.strip():
                ctx.error("P405", "a lot id cannot be empty", lot.span, "use the lot ids of the account file")
        subject = node.subject.describe() if node.subject else "lots"
        if lot_ids:
            subject += " lots " + ", ".join(lot_ids)
        return RestrictSellingIR(id=ctx.rule_id(node), span=node.span, reason=node.reason,
                                 locked=node.locked, subject=subject, tickers=() if lot_ids else tickers,
                                 lot_ids=lot_ids)
