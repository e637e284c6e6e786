"""cap — maximum (and/or minimum) weight of a security, sector, industry or screen category; optionally
reached over N years (a glide path for a concentrated position) selling only long-term lots.

    cap AAPL at 10%
    cap AAPL at 10% over 3 years sell only long-term lots
    cap AAPL at 10% over 3 years starting 2024-01-15 from 27%
    cap sector "Information Technology" at 35%
    cap MSFT at least 2%
    cap JPM between 1% and 4%
    cap JPM at 10% over 3 years sell only long-term lots as budget allows

`as budget allows` gives the other rules precedence: weight beyond the limit is priced at `GIVE_WAY_BP`
(more than any tax); the verifier checks the rule never moves away from its limit. A glide path with a
start is a dated schedule of limits that ends whatever the cadence; without a start each rebalance
closes 1/N of the remaining gap. Both are described in docs/language.md ("A cap's glide path").
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from compiler.claims import Claim, Says
from compiler.ir import RuleIR
from compiler.rules.base import (
    Change,
    RuleKind,
    combine,
    compare_bound,
    day_or_none,
    fraction_or_none,
    years_after,
)
from policy_lang.ast import Quantity, RuleNode, Subject, Unit
from policy_lang.formatting import format_subject, subject_to_yaml
from policy_lang.quantities import WEIGHT_UNITS, format_quantity
from policy_lang.syntax import SyntaxErrorExample
from policy_lang.yaml_fields import SUBJECT_KEYS, fail

if TYPE_CHECKING:
    from collections.abc import Callable
    from decimal import Decimal

    from lark import Tree
    from pyomo.environ import Block

    from compiler.check import CheckContext
    from policy_lang.tree_reader import TreeReader
    from policy_lang.yaml_fields import Fields
    from solver.account_scope import RuleScope
    from solver.contribution import Contribution
    from solver.verify import Outcome, Violation


class CapNode(RuleNode):
    kind: ClassVar[str] = "cap"
    subject: Subject
    max: Quantity | None = None
    min: Quantity | None = None
    over: Quantity | None = None  # years of glide path
    starting: Quantity | None = None  # the glide path's start date
    start_weight: Quantity | None = None  # `from`: the subject's weight on the start date
    long_term_only: bool = False
    as_budget_allows: bool = False

    def subject_key(self) -> str:
        return ("floor-" if self.max is None else "") + self.subject.slug()


class CapIR(RuleIR):
    kind: Literal["cap"] = "cap"
    subject: str
    tickers: tuple[str, ...]
    max_weight: float | None  # of the whole subject (a sector cap bounds the sum of its names)
    min_weight: float | None
    years: int | None  # glide path: from the starting weight down to the cap over this many years
    start: date | None = None  # the glide path's first day; None: no memory (1/N of the gap each time)
    start_weight: float | None = None  # the weight on `start`; None: the weight before that day's rebalance
    long_term_only: bool  # sell only long-term lots to reduce the position
    as_budget_allows: bool = False  # gives way to the other rules (budgets) instead of binding


class Cap(RuleKind[CapNode, CapIR]):
    name = "cap"
    keyword = "cap"
    syntax_errors: ClassVar[dict[str, SyntaxErrorExample]] = {
        "cap_at": ("P105", "a cap needs `at`, `at least` or `between`",
                   "write `cap AAPL at 10%`, `cap AAPL at least 2%` or `cap AAPL between 2% and 10%`",
                   ["cap AAPL 10%\n", "cap sector \"Energy\" 30%\n", "cap AAPL max 10%\n"])}
    node_type = CapNode
    ir_type = CapIR
    summary = "maximum/minimum weight of a security or group, optionally over N years"
    yaml_keys = (*SUBJECT_KEYS, "max", "min", "over", "starting", "from", "long_term_only",
                 "as_budget_allows")
    grammar = r"""
cap_rule: "cap" subject cap_bound cap_option*
cap_bound: "at" quantity                      -> cap_max
         | "at" "least" quantity              -> cap_min
         | "between" quantity "and" quantity  -> cap_between
cap_option: "over" quantity                   -> cap_over
          | "starting" quantity                -> cap_starting
          | "starting" quantity "from" quantity -> cap_starting_from
          | "sell" "only" "long-term" "lots"  -> cap_long_term_only
          | "as" "budget" "allows"            -> cap_as_budget_allows
"""

    def build(self, tree: Tree, reader: TreeReader) -> dict[str, Any]:
        subject, bound, *options = reader.trees(tree)
        qs = [reader.quantity(q, WEIGHT_UNITS, "a cap") for q in reader.trees(bound)]
        fields: dict[str, Any] = {"subject": reader.subject(subject)}
        if bound.data == "cap_max":
            fields["max"] = qs[0]
        elif bound.data == "cap_min":
            fields["min"] = qs[0]
        else:
            fields["min"], fields["max"] = qs
        for option in options:
            key = str(option.data).removeprefix("cap_").removesuffix("_from")
            if fields.get(key) is not None:
                reader.fail("P212", f"`{_OPTION_TEXT[key]}` given twice in one cap", option, "keep one")
            if key == "over":
                fields[key] = reader.quantity(option.children[0], (Unit.YEARS,), "a glide path")
            elif key == "starting":
                day, *weight = reader.trees(option)
                fields[key] = reader.quantity(day, (Unit.DATE,), "a glide path's start")
                if weight:
                    fields["start_weight"] = reader.quantity(weight[0], WEIGHT_UNITS, "a starting weight")
            else:
                fields[key] = True
        return fields

    def format(self, node: CapNode) -> str:
        if node.max is not None and node.min is not None:
            bound = f"between {format_quantity(node.min)} and {format_quantity(node.max)}"
        elif node.max is not None:
            bound = f"at {format_quantity(node.max)}"
        else:
            bound = f"at least {format_quantity(node.min)}" if node.min else ""
        text = f"cap {format_subject(node.subject)} {bound}"
        if node.over is not None:
            text += f" over {format_quantity(node.over)}"
        if node.starting is not None:
            text += f" starting {format_quantity(node.starting)}"
        if node.start_weight is not None:
            text += f" from {format_quantity(node.start_weight)}"
        text += " sell only long-term lots" if node.long_term_only else ""
        return text + (" as budget allows" if node.as_budget_allows else "")

    def from_yaml(self, fields: Fields) -> dict[str, Any]:
        out = {"subject": fields.subject(),
               "max": fields.quantity("max", WEIGHT_UNITS, "a cap"),
               "min": fields.quantity("min", WEIGHT_UNITS, "a minimum weight"),
               "over": fields.quantity("over", (Unit.YEARS,), "a glide path"),
               "starting": fields.quantity("starting", (Unit.DATE,), "a glide path's start"),
               "start_weight": fields.quantity("from", WEIGHT_UNITS, "a starting weight"),
               "long_term_only": fields.boolean("long_term_only"),
               "as_budget_allows": fields.boolean("as_budget_allows")}
        if out["max"] is None and out["min"] is None:
            fail("P205", "`cap` needs `max` (e.g. max: 10%) or `min`", fields.span)
        if out["start_weight"] is not None and out["starting"] is None:
            fail("P209", "`from` is the weight on the glide path's start: it goes with `starting`",
                 out["start_weight"].span)
        return out

    def to_yaml(self, node: CapNode) -> dict[str, Any]:
        out = subject_to_yaml(node.subject)
        for key, name in (("max", "max"), ("min", "min"), ("over", "over"), ("starting", "starting"),
                          ("start_weight", "from")):
            value = getattr(node, key)
            if value is not None:
                out[name] = format_quantity(value)
        for key in ("long_term_only", "as_budget_allows"):
            if getattr(node, key):
                out[key] = True
        return out

    # ---- optimizer side -----------------------------------------------------------------------
    def refuse_unknown_start(self, rule: CapIR, today: date) -> None:
        """A path starting after `today`, or before it from a weight no one recorded, has no limit today."""
        from core.diagnostics import TailorError, error

        if rule.start is None or not rule.years:
            return
        if rule.start > today:
            raise TailorError(error("P415", f"the glide path of `{rule.id}` starts on {rule.start}, after "
                                    f"the rebalance date {today}", rule.span,
                                    f"start it on or before {today}, or rebalance on or after {rule.start}"))
        if rule.start < today and rule.start_weight is None:
            raise TailorError(error("P416", f"the glide path of `{rule.id}` started on {rule.start}, before "
                                    f"the rebalance date {today}, from a weight the policy does not give",
                                    rule.span, f"write the weight {rule.subject} had that day: `starting "
                                    f"{rule.start} from 27%` (leave `from` out only when rebalancing on the "
                                    "start date)"))

    def limits(self, rule: CapIR, weight_now: float, today: date) -> tuple[float | None, float | None]:
        """This rebalance's bounds. On a glide path with a start, the limit of the day: linear from the
        starting weight to the cap (or floor) over N years. Without a start, 1/N of the gap now."""
        upper, lower = rule.max_weight, rule.min_weight
        if not rule.years:
            return upper, lower
        origin, still = weight_now, (rule.years - 1) / rule.years
        if rule.start is not None:
            self.refuse_unknown_start(rule, today)
            origin = weight_now if rule.start_weight is None else rule.start_weight
            end = years_after(rule.start, rule.years)
            still = min(max((end - today).days / (end - rule.start).days, 0.0), 1.0)
        if upper is not None and origin > upper:
            upper += (origin - upper) * still
        if lower is not None and origin < lower:
            lower -= (lower - origin) * still
        return upper, lower

    def started(self, rule: CapIR, first_day: date, weight_of: Callable[[tuple[str, ...]], Decimal]) -> CapIR:
        """The rule as a run of rebalances from `first_day` carries it: a path starting that day without
        a stated weight keeps the weight it had before that day's rebalance."""
        self.refuse_unknown_start(rule, first_day)
        if rule.start != first_day or rule.start_weight is not None:
            return rule
        return rule.model_copy(update={"start_weight": float(weight_of(rule.tickers))})

    def not_per_account(self, rule: CapIR) -> str | None:
        return None  # a weight in the account's own value, its own lots sold

    def lower(self, rule: CapIR, block: Block, model: RuleScope) -> Contribution:
        import pyomo.environ as pyo

        from solver.contribution import Contribution
        from solver.model import linear

        data, contribution = model.data, Contribution()
        upper, lower = self.limits(rule, model.weight_before(rule.tickers), data.as_of)
        if rule.as_budget_allows:  # beyond the limit is allowed, at a price above any tax
            beyond = block.beyond = pyo.Var(["above", "below"], bounds=(0, None))
            if upper is not None:
                model.limit_weight(block, "limit_above", rule.tickers, upper=upper, give=beyond["above"])
            if lower is not None:
                model.limit_weight(block, "limit_below", rule.tickers, lower=lower, give=beyond["below"])
            contribution.add_objective(rule.id, GIVE_WAY_BP * (block.beyond["above"] + block.beyond["below"]))
        else:
            model.limit_weight(block, "limit", rule.tickers, lower=lower, upper=upper)
        if rule.long_term_only:  # lots taxed and not long-term (a household's IRA lots realize no gain)
            short = [x for x in model.lots_in(rule.tickers) if data.lot_taxed[x] > data.lot_long_term[x]]
            model.add(block, "long_term_only", linear([1.0] * len(short), [model.m.sell[x] for x in short]),
                      upper=0)
        return contribution

    # ---- verifier side: the rule's meaning re-derived from the IR, sharing nothing with `lower` ----
    @staticmethod
    def bounds_this_rebalance(rule: CapIR, weight_before: Decimal,
                              day: date) -> tuple[Decimal | None, Decimal | None]:
        """The rule text. A glide path starting on S from weight W over N years allows, on day D, the
        cap (or floor) plus the share of W's excess (or shortfall) that the days from D to the path's
        end (S + N years, Feb 29 → Feb 28) are of the path's days: all of it on S, none from the end
        on. Without a start it closes 1/N of the distance now, leaving (N−1)/N of it. Without a glide
        path the cap and floor hold now."""
        from calendar import monthrange
        from decimal import Decimal

        cap = None if rule.max_weight is None else Decimal(repr(rule.max_weight))
        floor = None if rule.min_weight is None else Decimal(repr(rule.min_weight))
        if not rule.years:
            return cap, floor
        origin, left = weight_before, Decimal(rule.years - 1) / Decimal(rule.years)
        if rule.start is not None:
            if rule.start_weight is not None:
                origin = Decimal(repr(rule.start_weight))
            year = rule.start.year + rule.years
            finish = date(year, rule.start.month, min(rule.start.day, monthrange(year, rule.start.month)[1]))
            span_days = Decimal(finish.toordinal() - rule.start.toordinal())
            days_left = Decimal(finish.toordinal() - day.toordinal())
            left = min(max(days_left, Decimal(0)), span_days) / span_days
        if cap is not None and origin > cap:
            cap += (origin - cap) * left
        if floor is not None and origin < floor:
            floor -= (floor - origin) * left
        return cap, floor

    def verify(self, rule: CapIR, outcome: Outcome) -> list[Violation]:
        from decimal import Decimal

        from solver.verify import WEIGHT_TOLERANCE, Violation

        before = outcome.weight_before(rule.tickers)
        if rule.years and rule.start is not None and rule.start > outcome.as_of:
            return [Violation(code="V234", message=f"{rule.subject}'s glide path starts on {rule.start}: "
                              f"it has no limit on {outcome.as_of}")]
        if rule.years and rule.start is not None and rule.start < outcome.as_of and rule.start_weight is None:
            return [Violation(code="V234", message=f"{rule.subject}'s glide path started on {rule.start} "
                              f"from a weight the policy does not give: it has no limit on {outcome.as_of}")]
        cap, floor = self.bounds_this_rebalance(rule, before, outcome.as_of)
        if rule.as_budget_allows:  # it may stay beyond its limit, never move further from it
            cap = None if cap is None else max(cap, before)
            floor = None if floor is None else min(floor, before)
        weight, tolerance = outcome.weight_after(rule.tickers), Decimal(repr(WEIGHT_TOLERANCE))
        found = []
        if cap is not None and weight > cap + tolerance:
            found.append(Violation(code="V206", message=f"{rule.subject} weighs {weight:.4%}, above its "
                                   f"cap of {cap:.4%} for this rebalance"))
        if floor is not None and weight < floor - tolerance:
            found.append(Violation(code="V220", message=f"{rule.subject} weighs {weight:.4%}, below its "
                                   f"floor of {floor:.4%} for this rebalance"))
        if rule.long_term_only:  # `long_term` is the verifier's own holding period (solver.verify_law)
            found += [Violation(code="V207", message=f"sold short-term lot {s.trade.lot_id} of "
                                f"{s.trade.ticker} under a long-term-only cap")
                      for s in outcome.sold(rule.tickers) if not s.long_term]
        return found

    def alternatives(self, rule: CapIR) -> list[tuple[str, CapIR]]:
        if rule.max_weight is None or rule.years is not None:
            return []
        return [(f"spread {{rule}} over {years} years", rule.model_copy(update={"years": years}))
                for years in (2, 3, 5, 10)]

    def explain(self, rule: CapIR, outcome: Outcome) -> list[str]:
        before, after = outcome.weight_before(rule.tickers), outcome.weight_after(rule.tickers)
        upper, lower = self.limits(rule, float(before), outcome.as_of)
        bound = f"at most {upper:.2%}" if upper is not None else f"at least {lower:.2%}"
        beyond = (upper is not None and after > upper) or (lower is not None and after < lower)
        gave_way = ", as far as the other rules allow" if rule.as_budget_allows and beyond else ""
        if not rule.years:
            return [f"{rule.subject}: {before:.2%} → {after:.2%}, {bound} this rebalance{gave_way}"]
        if rule.start is None:
            return [f"{rule.subject}: {before:.2%} → {after:.2%}, {bound} this rebalance{gave_way} (a "
                    f"{rule.years}-year glide path without a start: each rebalance closes 1/{rule.years} of "
                    "the remaining gap and never reaches the limit; `starting DATE` gives a path that ends)"]
        return [f"{rule.subject}: {before:.2%} → {after:.2%}, {bound} this rebalance{gave_way}: the glide "
                f"path's limit on {outcome.as_of}", self.schedule_text(rule, float(before), outcome.as_of)]

    def schedule_text(self, rule: CapIR, weight_now: float, today: date) -> str:
        """The path's yearly points, and which stretch of it bound this rebalance."""
        if rule.start_weight is None:  # rebalancing on the start date: today's weight is the start's
            rule = rule.model_copy(update={"start_weight": weight_now})
        assert rule.start is not None and rule.years is not None
        ends = [years_after(rule.start, years) for years in range(rule.years + 1)]
        points = []
        for day in ends:
            upper, lower = self.limits(rule, weight_now, day)
            points.append(f"{day} {upper if upper is not None else lower:.2%}")
        after = [day for day in ends if day > today]
        where = (f"between the points of {ends[len(ends) - len(after) - 1]} and {after[0]}" if after
                 else "after its end: the limit holds from now on")
        return (f"glide path of {rule.subject} from {rule.start_weight:.2%} on {rule.start}: "
                f"{' · '.join(points)}; this rebalance falls {where}")

    def compare(self, old: CapNode, new: CapNode) -> Change:
        if old.subject != new.subject or (old.starting is None) != (new.starting is None) \
                or (old.start_weight is None) != (new.start_weight is None):
            return Change.CHANGED  # with memory or without; a measured start weight or a stated one
        years = compare_bound(_years(old), _years(new), upper=True)
        later = compare_bound(day_or_none(old.starting), day_or_none(new.starting), upper=True)  # slower
        origin = compare_bound(fraction_or_none(old.start_weight), fraction_or_none(new.start_weight),
                               upper=True)
        upper = compare_bound(fraction_or_none(old.max), fraction_or_none(new.max), upper=True)
        lower = compare_bound(fraction_or_none(old.min), fraction_or_none(new.min), upper=False)
        return combine(upper, lower, years, later, origin,
                       compare_bound(float(old.long_term_only), float(new.long_term_only), upper=False),
                       compare_bound(float(old.as_budget_allows), float(new.as_budget_allows), upper=True))

    def claims(self, rule: CapIR) -> list[Claim]:
        bounds = ((Says.AT_MOST, rule.max_weight), (Says.AT_LEAST, rule.min_weight))
        return [Claim(says, rule.tickers, rule.subject, rule.id, rule.span, weight)
                for says, weight in bounds if weight is not None]

    def check(self, node: CapNode, ctx: CheckContext) -> CapIR | None:
        max_weight = ctx.weight(node.max, "a cap", positive=True) if node.max else None
        min_weight = ctx.weight(node.min, "a minimum weight") if node.min else None
        years = ctx.whole(node.over, "a glide path", low=1, high=30) if node.over else None
        tickers = ctx.resolve(node.subject)
        if max_weight is not None and min_weight is not None and min_weight > max_weight:
            ctx.error("P402", f"this cap can never hold: minimum {format_quantity(node.min)} is above "
                      f"maximum {format_quantity(node.max)}", node.span,  # type: ignore[arg-type]
                      "swap the two numbers")
            return None
        if node.max is None and node.over is not None:
            ctx.error("P406", "a glide path (`over N years`) needs a maximum to glide down to",
                      node.over.span, "write e.g. `cap AAPL at 10% over 3 years`")
            return None
        if node.starting is not None and node.over is None:
            ctx.error("P414", "`starting` dates a glide path, and this cap has none",
                      node.starting.span,
                      f"add its length: `over 3 years starting {node.starting.text}`, or drop `starting`")
            return None
        start_weight = ctx.weight(node.start_weight, "a starting weight") if node.start_weight else None
        if tickers is None or (node.start_weight is not None and start_weight is None):
            return None
        ctx.warn_if_outside_target(tickers, node.subject, "cap")
        return CapIR(id=ctx.rule_id(node), span=node.span, reason=node.reason, locked=node.locked,
                     subject=node.subject.describe(), tickers=tickers, max_weight=max_weight,
                     min_weight=min_weight, years=years, long_term_only=node.long_term_only,
                     as_budget_allows=node.as_budget_allows, start_weight=start_weight,
                     start=date.fromisoformat(node.starting.text) if node.starting and node.starting.text
                     else None)


# Weight beyond a cap that gives way costs this (bp per unit), as "as budget allows" exits: above any tax.
GIVE_WAY_BP = 1e4
_OPTION_TEXT = {"over": "over", "starting": "starting", "long_term_only": "sell only long-term lots",
                "as_budget_allows": "as budget allows"}


def _years(node: CapNode) -> float | None:
    """A longer glide path is looser; no glide path is the tightest (0 years)."""
    return float(node.over.value) if node.over is not None else 0.0
