"""transition — how fast a legacy portfolio moves to the target: at once, over N years, or within a
tax budget per year.

    transition immediate
    transition over 3 years
    transition over 3 years starting 2024-01-15
    transition within tax budget $25k per year

`over N years starting DATE` is a path that ends: each tax year may realize the share of the net gain
the account carries into it that the year's days are of the path's days left (start to start + N
years), so the last year of the path may realize all that is left and from the path's end on nothing
is paced. Without a start it has no memory: each tax year may realize 1/N of what the account
carries, and the legacy gains are never all realized on a date (docs/language.md).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from compiler.ir import RuleIR
from compiler.rules.base import (
    DEFAULT_SPAN,
    Change,
    RuleKind,
    combine,
    compare_bound,
    day_or_none,
    years_after,
)
from policy_lang.ast import Quantity, RuleNode, Unit
from policy_lang.quantities import format_quantity
from policy_lang.syntax import SyntaxErrorExample
from policy_lang.yaml_fields import fail

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from lark import Tree
    from pyomo.environ import Block

    from compiler.check import CheckContext
    from policy_lang.tree_reader import TreeReader
    from policy_lang.yaml_fields import Fields
    from solver.account import Account
    from solver.contribution import Contribution
    from solver.model import AccountModel
    from solver.verify import Outcome, Violation

Mode = Literal["immediate", "over_years", "tax_budget"]
MODES: tuple[str, ...] = ("immediate", "over_years", "tax_budget")


class TransitionNode(RuleNode):
    kind: ClassVar[str] = "transition"
    mode: Mode = "immediate"
    years: Quantity | None = None
    budget: Quantity | None = None
    starting: Quantity | None = None  # the path's first day (over_years only)


class TransitionIR(RuleIR):
    kind: Literal["transition"] = "transition"
    mode: Mode
    years: int | None  # over_years: close 1/years of the remaining gap to the target each year
    budget_usd: Decimal | None  # tax_budget: realized net gains allowed per tax year
    start: date | None = None  # over_years: the path's first day; None: 1/N of what is left each year


class Transition(RuleKind[TransitionNode, TransitionIR]):
    name = "transition"
    keyword = "transition"
    syntax_errors: ClassVar[dict[str, SyntaxErrorExample]] = {
        "transition": ("P114", "unknown transition",
                       "write `transition immediate`, `transition over 3 years` or "
                       "`transition within tax budget $20k per year`",
                       ["transition 3 years\n", "transition gradual\n", "transition\n"])}
    node_type = TransitionNode
    ir_type = TransitionIR
    summary = "move to the target immediately, over N years, or within a tax budget per year"
    yaml_keys = ("mode", "years", "budget", "starting")
    grammar = r"""
transition_rule: "transition" transition_mode
transition_mode: "immediate"                                    -> transition_immediate
               | "over" quantity ("starting" quantity)?         -> transition_over_years
               | "within" "tax" "budget" quantity ("per" "year")? -> transition_tax_budget
"""

    def build(self, tree: Tree, reader: TreeReader) -> dict[str, Any]:
        mode = reader.trees(tree)[0]
        name = str(mode.data).removeprefix("transition_")
        if name == "over_years":
            years, *start = reader.trees(mode)
            return {"mode": name, "years": reader.quantity(years, (Unit.YEARS,), "a transition"),
                    "starting": reader.quantity(start[0], (Unit.DATE,), "a transition's start")
                    if start else None}
        if name == "tax_budget":
            return {"mode": name, "budget": reader.quantity(mode.children[0], (Unit.USD,), "a tax budget")}
        return {"mode": name}

    def format(self, node: TransitionNode) -> str:
        if node.mode == "over_years" and node.years is not None:
            start = f" starting {format_quantity(node.starting)}" if node.starting is not None else ""
            return f"transition over {format_quantity(node.years)}{start}"
        if node.mode == "tax_budget" and node.budget is not None:
            return f"transition within tax budget {format_quantity(node.budget)} per year"
        return "transition immediate"

    def from_yaml(self, fields: Fields) -> dict[str, Any]:
        mode = fields.choice("mode", MODES, required=True)
        years = fields.quantity("years", (Unit.YEARS,), "a transition", required=mode == "over_years")
        budget = fields.quantity("budget", (Unit.USD,), "a tax budget", required=mode == "tax_budget")
        starting = fields.quantity("starting", (Unit.DATE,), "a transition's start")
        if (years is not None and mode != "over_years") or (budget is not None and mode != "tax_budget") \
                or (starting is not None and mode != "over_years"):
            fail("P209", "`years` and `starting` go with `mode: over_years`, `budget` with "
                 "`mode: tax_budget`", fields.span)
        return {"mode": mode, "years": years, "budget": budget, "starting": starting}

    def to_yaml(self, node: TransitionNode) -> dict[str, Any]:
        out: dict[str, Any] = {"mode": node.mode}
        if node.years is not None:
            out["years"] = format_quantity(node.years)
        if node.budget is not None:
            out["budget"] = format_quantity(node.budget)
        if node.starting is not None:
            out["starting"] = format_quantity(node.starting)
        return out

    # ---- optimizer side -----------------------------------------------------------------------
    # A transition paces the *tax* of moving to the target; how far the portfolio moves within that
    # pace is the objective's tax/tracking trade-off (preferences), and tracking-error or cap rules
    # can demand more progress.
    #   immediate  — no limit beyond the other rules.
    #   tax_budget — net realized gains of the tax year (realized so far plus this rebalance) at most
    #                the budget.
    #   over_years — the same with the budget set to a share of the account's embedded net gain at
    #                the start of the tax year (unrealized now plus realized so far this year). With a
    #                start: the share of the path's remaining days (from the later of 1 January and
    #                the start, to start + N years) that fall in this tax year — 1 in the path's last
    #                year, no limit after its end. Without a start: 1/N, recomputed each year on what
    #                is left, so the gap closes by 1/N a year and never on a date.
    # Gains realized earlier in the year cannot be undone: once they exceed the year's allowance the
    # rebalance realizes no further net gain (it may still harvest losses). Tax-exempt accounts have
    # no gains to pace.

    @staticmethod
    def embedded_gain(account: Account, prices: Mapping[str, Decimal]) -> Decimal:
        """Net unrealized gain of all lots plus net gains realized so far this tax year, exact."""
        unrealized = sum((lot.shares * (prices[lot.ticker] - lot.basis_per_share) for lot in account.lots),
                         Decimal(0))
        return unrealized + account.tax.realized_short_term_ytd + account.tax.realized_long_term_ytd

    @staticmethod
    def path_end(rule: TransitionIR) -> date:
        assert rule.start is not None and rule.years is not None
        return years_after(rule.start, rule.years)

    def share_this_year(self, rule: TransitionIR, today: date) -> Decimal | None:
        """Of the gain carried into today's tax year, the share a path with a start allows this year
        (None: past the path's end, nothing left to pace)."""
        assert rule.start is not None
        if rule.start > today:
            from core.diagnostics import TailorError, error

            raise TailorError(error("P415", f"the transition starts on {rule.start}, after the rebalance "
                                    f"date {today}", rule.span, f"start it on or before {today}, or "
                                    f"rebalance on or after {rule.start}"))
        end = self.path_end(rule)
        if today >= end:
            return None
        opening = max(date(today.year, 1, 1), rule.start)
        return Decimal((min(date(today.year + 1, 1, 1), end) - opening).days) / Decimal((end - opening).days)

    def allowance(self, rule: TransitionIR, account: Account,
                  prices: Mapping[str, Decimal], today: date) -> Decimal | None:
        """Net realized gains allowed this tax year (None: no limit)."""
        if rule.mode == "tax_budget" and rule.budget_usd is not None:
            return rule.budget_usd
        if rule.mode != "over_years" or not rule.years:
            return None
        embedded = max(self.embedded_gain(account, prices), Decimal(0))
        if rule.start is None:
            return embedded / rule.years
        share = self.share_this_year(rule, today)
        return None if share is None else embedded * share

    def started(self, rule: TransitionIR, first_day: date,
                weight_of: Callable[[tuple[str, ...]], Decimal]) -> TransitionIR:
        """A run of rebalances from `first_day` needs nothing carried (the path is in dates); a start
        after that day is refused before the first step."""
        if rule.start is not None:
            self.share_this_year(rule, first_day)
        return rule

    @staticmethod
    def room(allowance: Decimal, account: Account) -> Decimal:
        """Net gain this rebalance may still realize: the allowance less this year's, never below 0."""
        used = account.tax.realized_short_term_ytd + account.tax.realized_long_term_ytd
        return max(allowance - used, Decimal(0))

    def lower(self, rule: TransitionIR, block: Block, model: AccountModel) -> Contribution:
        from solver.contribution import Contribution

        contribution = Contribution()
        prices = {t: model.data.market.price(t) for t in model.data.account.tickers}
        allowance = self.allowance(rule, model.data.account, prices, model.data.market.as_of)
        if allowance is None or not model.data.taxable:
            return contribution
        room = model.fraction(self.room(allowance, model.data.account))
        model.add(block, "net_gains", model.m.st_gain + model.m.lt_gain, upper=room)
        return contribution

    # ---- verifier side: the rule's meaning re-derived from the IR, sharing nothing with `lower` ----
    @staticmethod
    def allowed_net_gains(rule: TransitionIR, account: Account, prices: Mapping[str, Decimal],
                          day: date) -> Decimal | None:
        """The tax year's net realized gains the rule allows (None: no limit): the tax budget, or a
        share of the net gain the account carries into the tax year — what selling every lot now would
        realize (market value less cost basis) plus what was realized earlier this year — never below
        zero. Without a start the share is 1/N. With one, the path runs from its start to the same
        calendar day N years on (Feb 29 → Feb 28), and the share is this tax year's days of the path
        over the path's days from this tax year's first day (or the start) to its end: no limit from
        the end on."""
        from calendar import monthrange
        from decimal import Decimal

        if rule.mode == "tax_budget":
            return rule.budget_usd
        if rule.mode != "over_years" or not rule.years:
            return None
        value = sum((lot.shares * prices[lot.ticker] for lot in account.lots), Decimal(0))
        basis = sum((lot.shares * lot.basis_per_share for lot in account.lots), Decimal(0))
        earlier = account.tax.realized_short_term_ytd + account.tax.realized_long_term_ytd
        carried = max(value - basis + earlier, Decimal(0))
        if rule.start is None:
            return carried / rule.years
        year = rule.start.year + rule.years
        finish = date(year, rule.start.month, min(rule.start.day, monthrange(year, rule.start.month)[1]))
        if day.toordinal() >= finish.toordinal():
            return None
        first = rule.start if rule.start.year == day.year else date(day.year, 1, 1)
        last = finish if finish.year == day.year else date(day.year + 1, 1, 1)
        this_year = Decimal(last.toordinal() - first.toordinal())
        return carried * this_year / Decimal(finish.toordinal() - first.toordinal())

    def verify(self, rule: TransitionIR, outcome: Outcome) -> list[Violation]:
        """The year's net realized gains stay within the allowance — or, where gains realized earlier
        this year had already passed it, do not grow (those cannot be undone)."""
        from decimal import Decimal

        from solver.verify import Violation
        from solver.verify_law import cents

        if rule.start is not None and rule.start > outcome.as_of:
            return [Violation(code="V234", message=f"the transition starts on {rule.start}: it has no "
                              f"allowance on {outcome.as_of}")]
        allowed = self.allowed_net_gains(rule, outcome.account, outcome.prices, outcome.as_of)
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
        allowance = self.allowance(rule, outcome.account, outcome.prices, outcome.as_of)
        if allowance is None and rule.mode == "over_years" and rule.start is not None:
            return [f"transition over {rule.years} years from {rule.start}: the path ended on "
                    f"{self.path_end(rule)}, nothing is paced any more; {moved}"]
        if allowance is None:
            return [f"transition immediate: {moved}"]
        if rule.mode == "tax_budget":
            pace = f"within a ${rule.budget_usd:,} tax budget"
        elif rule.start is None:
            embedded = to_cents(self.embedded_gain(outcome.account, outcome.prices))
            pace = (f"over {rule.years} years without a start (1/{rule.years} of the ${embedded:,} embedded "
                    "net gain each tax year, which never realizes it all; `starting DATE` gives a path that "
                    "ends)")
        else:
            embedded = to_cents(self.embedded_gain(outcome.account, outcome.prices))
            share = self.share_this_year(rule, outcome.as_of) or Decimal(1)
            pace = (f"over {rule.years} years from {rule.start} to {self.path_end(rule)} ({share:.1%} of the "
                    f"${embedded:,} embedded net gain in {outcome.as_of.year}: this tax year's share of the "
                    "path's days left)")
        used = to_cents(outcome.ytd_short_term + outcome.ytd_long_term)
        return [f"transition {pace}: ${used:,} of ${to_cents(allowance):,} net gains used this tax year; "
                f"{moved}"]

    def default(self) -> TransitionNode:
        return TransitionNode(span=DEFAULT_SPAN, reason="default: move to the target immediately")

    def compare(self, old: TransitionNode, new: TransitionNode) -> Change:
        if old.mode != new.mode or (old.starting is None) != (new.starting is None):
            return Change.CHANGED  # a path with a start and one without mean different things
        if old.years is not None and new.years is not None:  # more years, a later start: less tax a year
            return combine(compare_bound(float(old.years.value), float(new.years.value), upper=False),
                           compare_bound(day_or_none(old.starting), day_or_none(new.starting), upper=False))
        if old.budget is not None and new.budget is not None:
            return compare_bound(float(old.budget.value), float(new.budget.value), upper=True)
        return Change.SAME

    def check(self, node: TransitionNode, ctx: CheckContext) -> TransitionIR | None:
        years = ctx.whole(node.years, "a transition", low=1, high=30) if node.years else None
        budget = ctx.money(node.budget, "a tax budget") if node.budget else None
        if (node.years and years is None) or (node.budget and budget is None):
            return None
        start = date.fromisoformat(node.starting.text) if node.starting and node.starting.text else None
        return TransitionIR(id=ctx.rule_id(node), span=node.span, reason=node.reason, locked=node.locked,
                            mode=node.mode, years=years, budget_usd=budget, start=start)
