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
    from collections.abc import Mapping

    from lark import Tree
    from pyomo.environ import Block

    from compiler.check import CheckContext
    from policy_lang.tree_reader import TreeReader
    from policy_lang.yaml_fields import Fields
    from solver.account import Account
    from solver.model import AccountModel
    from solver.verify import Outcome, Violation

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

    # ---- optimizer side -----------------------------------------------------------------------
    # A transition paces the *tax* of moving to the target; how far the portfolio moves within that
    # pace is the objective's tax/tracking trade-off (preferences), and tracking-error or cap rules
    # can demand more progress.
    #   immediate  — no limit beyond the other rules.
    #   tax_budget — net realized gains of the tax year (realized so far plus this rebalance) at most
    #                the budget.
    #   over_years — the same with the budget set to 1/N of the account's embedded net gain at the
    #                start of the tax year (unrealized now plus realized so far this year): the legacy
    #                gains are spread evenly over N tax years, and each year recomputes 1/N of what is
    #                left — the remaining gap closes by 1/N a year, as a cap's glide path does.
    # Gains realized earlier in the year cannot be undone: once they exceed the year's allowance the
    # rebalance realizes no further net gain (it may still harvest losses). Tax-exempt accounts have
    # no gains to pace.

    @staticmethod
    def embedded_gain(account: Account, prices: Mapping[str, Decimal]) -> Decimal:
        """Net unrealized gain of all lots plus net gains realized so far this tax year, exact."""
        unrealized = sum((lot.shares * (prices[lot.ticker] - lot.basis_per_share) for lot in account.lots),
                         Decimal(0))
        return unrealized + account.tax.realized_short_term_ytd + account.tax.realized_long_term_ytd

    def allowance(self, rule: TransitionIR, account: Account,
                  prices: Mapping[str, Decimal]) -> Decimal | None:
        """Net realized gains allowed this tax year (None: no limit)."""
        if rule.mode == "tax_budget" and rule.budget_usd is not None:
            return rule.budget_usd
        if rule.mode == "over_years" and rule.years:
            return max(self.embedded_gain(account, prices), Decimal(0)) / rule.years
        return None

    @staticmethod
    def room(allowance: Decimal, account: Account) -> Decimal:
        """Net gain this rebalance may still realize: the allowance less this year's, never below 0."""
        used = account.tax.realized_short_term_ytd + account.tax.realized_long_term_ytd
        return max(allowance - used, Decimal(0))

    def lower(self, rule: TransitionIR, block: Block, model: AccountModel) -> None:
        prices = {t: model.market.price(t) for t in model.account.tickers}
        allowance = self.allowance(rule, model.account, prices)
        if allowance is None or not model.taxable:
            return
        room = model.fraction(self.room(allowance, model.account))
        model.add(block, "net_gains", model.m.st_gain + model.m.lt_gain, upper=room)

    # ---- verifier side: the rule's meaning re-derived from the IR, sharing nothing with `lower` ----
    @staticmethod
    def allowed_net_gains(rule: TransitionIR, account: Account,
                          prices: Mapping[str, Decimal]) -> Decimal | None:
        """The tax year's net realized gains the rule allows (None: no limit): the tax budget, or 1/N
        of the net gain the account carries into the tax year — what selling every lot now would
        realize (market value less cost basis) plus what was realized earlier this year — never
        below zero."""
        from decimal import Decimal

        if rule.mode == "tax_budget":
            return rule.budget_usd
        if rule.mode != "over_years" or not rule.years:
            return None
        value = sum((lot.shares * prices[lot.ticker] for lot in account.lots), Decimal(0))
        basis = sum((lot.shares * lot.basis_per_share for lot in account.lots), Decimal(0))
        earlier = account.tax.realized_short_term_ytd + account.tax.realized_long_term_ytd
        return max(value - basis + earlier, Decimal(0)) / rule.years

    def verify(self, rule: TransitionIR, outcome: Outcome) -> list[Violation]:
        """The year's net realized gains stay within the allowance — or, where gains realized earlier
        this year had already passed it, do not grow (those cannot be undone)."""
        from decimal import Decimal

        from solver.verify import Violation
        from solver.verify_law import cents

        allowed = self.allowed_net_gains(rule, outcome.account, outcome.prices)
        if allowed is None or not outcome.account.is_taxable:
            return []
        earlier = outcome.account.tax.realized_short_term_ytd + outcome.account.tax.realized_long_term_ytd
        now = outcome.realized_short_term + outcome.realized_long_term
        if cents(earlier + now) > max(cents(allowed), cents(earlier)):
            left = cents(max(allowed - earlier, Decimal(0)))
            return [Violation(code="V231", message=f"realized ${cents(now):,} of net gains; this year's "
                              f"transition allowance of ${cents(allowed):,} leaves ${left:,}")]
        return []

    def explain(self, rule: TransitionIR, outcome: Outcome) -> list[str]:
        from solver.tax import to_cents

        moved = f"tracking error {outcome.tracking_error_before:.2%} → {outcome.tracking_error_after:.2%}"
        allowance = self.allowance(rule, outcome.account, outcome.prices)
        if allowance is None:
            return [f"transition immediate: {moved}"]
        if rule.mode == "tax_budget":
            pace = f"within a ${rule.budget_usd:,} tax budget"
        else:
            embedded = to_cents(self.embedded_gain(outcome.account, outcome.prices))
            pace = f"over {rule.years} years (1/{rule.years} of the ${embedded:,} embedded net gain)"
        used = to_cents(outcome.ytd_short_term + outcome.ytd_long_term)
        return [f"transition {pace}: ${used:,} of ${to_cents(allowance):,} net gains used this tax year; "
                f"{moved}"]

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
