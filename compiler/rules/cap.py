"""cap — maximum (and/or minimum) weight of a security, sector, industry or screen category;
optionally reached over N years (a glide path for a concentrated position) selling only
long-term lots.

    cap AAPL at 10%
    cap AAPL at 10% over 3 years sell only long-term lots
    cap sector "Information Technology" at 35%
    cap MSFT at least 2%
    cap JPM between 1% and 4%
    cap JPM at 10% over 3 years sell only long-term lots as budget allows

`as budget allows` gives the other rules precedence over the cap: the weight moves toward the cap as
far as the budgets (and every other rule) let it, instead of the policy being infeasible. The model
prices each unit of weight beyond the limit at `GIVE_WAY_BP` (more than any tax), so the cap still
wins over tax and tracking error; the verifier checks that the rule never makes things worse (no
move away from its limit), and `explain` says how far it gave way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar, Literal

from compiler.ir import RuleIR
from compiler.rules.base import Change, RuleKind, combine, compare_bound, fraction_or_none
from policy_lang.ast import Quantity, RuleNode, Subject, Unit
from policy_lang.formatting import format_subject, subject_to_yaml
from policy_lang.quantities import WEIGHT_UNITS, format_quantity
from policy_lang.yaml_fields import SUBJECT_KEYS, fail

if TYPE_CHECKING:
    from decimal import Decimal

    from lark import Tree
    from pyomo.environ import Block

    from compiler.check import CheckContext
    from policy_lang.tree_reader import TreeReader
    from policy_lang.yaml_fields import Fields
    from solver.model import AccountModel
    from solver.verify import Outcome, Violation


class CapNode(RuleNode):
    kind: ClassVar[str] = "cap"
    subject: Subject
    max: Quantity | None = None
    min: Quantity | None = None
    over: Quantity | None = None  # years of glide path
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
    years: int | None  # glide path: from today's weight down to the cap over this many years
    long_term_only: bool  # sell only long-term lots to reduce the position
    as_budget_allows: bool = False  # gives way to the other rules (budgets) instead of binding


class Cap(RuleKind[CapNode, CapIR]):
    name = "cap"
    keyword = "cap"
    node_type = CapNode
    ir_type = CapIR
    summary = "maximum/minimum weight of a security or group, optionally over N years"
    yaml_keys = (*SUBJECT_KEYS, "max", "min", "over", "long_term_only", "as_budget_allows")
    grammar = r"""
cap_rule: "cap" subject cap_bound cap_option*
cap_bound: "at" quantity                      -> cap_max
         | "at" "least" quantity              -> cap_min
         | "between" quantity "and" quantity  -> cap_between
cap_option: "over" quantity                   -> cap_over
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
            key = str(option.data).removeprefix("cap_")
            if fields.get(key) is not None:
                reader.fail("P212", f"`{_OPTION_TEXT[key]}` given twice in one cap", option, "keep one")
            fields[key] = (reader.quantity(option.children[0], (Unit.YEARS,), "a glide path")
                           if key == "over" else True)
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
        text += " sell only long-term lots" if node.long_term_only else ""
        return text + (" as budget allows" if node.as_budget_allows else "")

    def from_yaml(self, fields: Fields) -> dict[str, Any]:
        out = {"subject": fields.subject(),
               "max": fields.quantity("max", WEIGHT_UNITS, "a cap"),
               "min": fields.quantity("min", WEIGHT_UNITS, "a minimum weight"),
               "over": fields.quantity("over", (Unit.YEARS,), "a glide path"),
               "long_term_only": fields.boolean("long_term_only"),
               "as_budget_allows": fields.boolean("as_budget_allows")}
        if out["max"] is None and out["min"] is None:
            fail("P205", "`cap` needs `max` (e.g. max: 10%) or `min`", fields.span)
        return out

    def to_yaml(self, node: CapNode) -> dict[str, Any]:
        out = subject_to_yaml(node.subject)
        for key in ("max", "min", "over"):
            value = getattr(node, key)
            if value is not None:
                out[key] = format_quantity(value)
        for key in ("long_term_only", "as_budget_allows"):
            if getattr(node, key):
                out[key] = True
        return out

    # ---- optimizer side -----------------------------------------------------------------------
    @staticmethod
    def limits(rule: CapIR, weight_now: float) -> tuple[float | None, float | None]:
        """This rebalance's bounds. A glide path over N years closes 1/N of the gap now (the next
        rebalances close the rest), so a position far above its cap is not sold at once."""
        upper, lower = rule.max_weight, rule.min_weight
        if rule.years and upper is not None and weight_now > upper:
            upper = weight_now - (weight_now - upper) / rule.years
        if rule.years and lower is not None and weight_now < lower:
            lower = weight_now + (lower - weight_now) / rule.years
        return upper, lower

    def lower(self, rule: CapIR, block: Block, model: AccountModel) -> None:
        ids = model.ids(rule.tickers)
        upper, lower = self.limits(rule, float(model.held[ids].sum()))
        from solver.model import linear

        if rule.as_budget_allows:  # beyond the limit is allowed, at a price above any tax
            import pyomo.environ as pyo

            block.beyond = pyo.Var(["above", "below"], bounds=(0, None))
            weight = model.weight_of(rule.tickers)
            if upper is not None:
                model.add(block, "limit_above", weight - block.beyond["above"], upper=upper)
            if lower is not None:
                model.add(block, "limit_below", weight + block.beyond["below"], lower=lower)
            model.add_objective(rule.id, GIVE_WAY_BP * (block.beyond["above"] + block.beyond["below"]))
        else:
            model.add(block, "limit", model.weight_of(rule.tickers), lower=lower, upper=upper)
        if rule.long_term_only:
            short = [x for x in model.lots_in(rule.tickers) if not model.lot_long_term[x]]
            model.add(block, "long_term_only", linear([1.0] * len(short), [model.m.sell[x] for x in short]),
                      upper=0)

    # ---- verifier side: the rule's meaning re-derived from the IR, sharing nothing with `lower` ----
    @staticmethod
    def bounds_this_rebalance(rule: CapIR, weight_before: Decimal) -> tuple[Decimal | None, Decimal | None]:
        """The rule text: a glide path over N years closes 1/N of the distance to the cap (or floor)
        now, so this rebalance may leave the other (N−1)/N of the excess above the cap (or of the
        shortfall below the floor). Without a glide path the cap and floor hold now."""
        from decimal import Decimal

        cap = None if rule.max_weight is None else Decimal(repr(rule.max_weight))
        floor = None if rule.min_weight is None else Decimal(repr(rule.min_weight))
        left = Decimal(rule.years - 1) / Decimal(rule.years) if rule.years else Decimal(0)
        if cap is not None and weight_before > cap:
            cap += (weight_before - cap) * left
        if floor is not None and weight_before < floor:
            floor -= (floor - weight_before) * left
        return cap, floor

    def verify(self, rule: CapIR, outcome: Outcome) -> list[Violation]:
        from decimal import Decimal

        from solver.verify import WEIGHT_TOLERANCE, Violation

        before = outcome.weight_before(rule.tickers)
        cap, floor = self.bounds_this_rebalance(rule, before)
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
        upper, lower = self.limits(rule, float(before))
        bound = f"at most {upper:.2%}" if upper is not None else f"at least {lower:.2%}"
        path = f" (step 1 of a {rule.years}-year glide path)" if rule.years else ""
        beyond = (upper is not None and after > upper) or (lower is not None and after < lower)
        gave_way = ", as far as the other rules allow" if rule.as_budget_allows and beyond else ""
        return [f"{rule.subject}: {before:.2%} → {after:.2%}, {bound} this rebalance{path}{gave_way}"]

    def compare(self, old: CapNode, new: CapNode) -> Change:
        if old.subject != new.subject:
            return Change.CHANGED
        years = compare_bound(_years(old), _years(new), upper=True)
        upper = compare_bound(fraction_or_none(old.max), fraction_or_none(new.max), upper=True)
        lower = compare_bound(fraction_or_none(old.min), fraction_or_none(new.min), upper=False)
        return combine(upper, lower, years,
                       compare_bound(float(old.long_term_only), float(new.long_term_only), upper=False),
                       compare_bound(float(old.as_budget_allows), float(new.as_budget_allows), upper=True))

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
        if tickers is None:
            return None
        ctx.warn_if_outside_target(tickers, node.subject, "cap")
        return CapIR(id=ctx.rule_id(node), span=node.span, reason=node.reason, locked=node.locked,
                     subject=node.subject.describe(), tickers=tickers, max_weight=max_weight,
                     min_weight=min_weight, years=years, long_term_only=node.long_term_only,
                     as_budget_allows=node.as_budget_allows)


# Each unit of weight beyond a cap that gives way costs this much (bp of account value per unit of
# weight), like holding a name excluded "as budget allows": more than any tax rate.
GIVE_WAY_BP = 1e4
_OPTION_TEXT = {"over": "over", "long_term_only": "sell only long-term lots",
                "as_budget_allows": "as budget allows"}


def _years(node: CapNode) -> float | None:
    """A longer glide path is looser; no glide path is the tightest (0 years)."""
    return float(node.over.value) if node.over is not None else 0.0
