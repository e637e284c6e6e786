"""dividend yield — the portfolio's trailing dividend yield after trading, at least and/or at most x%.

    dividend yield at least 2.5%
    dividend yield at most 0.5%
    dividend yield between 1.5% and 3%

A name's yield on the as-of date is its trailing-twelve-month dividend per share over its close: the
`dividend_amount`s with ex-dates in the 365 days up to and including the as-of date, each divided by
the splits booked after its ex-date up to the as-of date (a dividend paid before a 4:1 split counts a
quarter per share of today), over the close that prices the plan. A payout of half the previous close
or more is a distribution (a spin-off), not income, as the simulation reads it (engine/actions.py).
The portfolio's yield is the value-weighted yield of what it holds after trading, cash at 0%; the ETFs
count at 0% (the data records no dividends for them). The limit is one linear row over the post-trade
weights, `Σ yᵢ·weightᵢ ≥ floor` (and/or `≤ ceiling`), in the rule's Block.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from compiler.ir import RuleIR
from compiler.rules.base import Change, RuleKind, combine, compare_bound, fraction_or_none
from core.diagnostics import TailorError, error
from market.dividends import WINDOW_DAYS
from policy_lang.ast import Quantity, RuleNode
from policy_lang.quantities import WEIGHT_UNITS, format_quantity
from policy_lang.syntax import SyntaxErrorExample
from policy_lang.yaml_fields import fail

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import date

    import numpy as np
    from lark import Tree
    from pyomo.environ import Block

    from compiler.check import CheckContext
    from policy_lang.tree_reader import TreeReader
    from policy_lang.yaml_fields import Fields
    from solver.contribution import Contribution
    from solver.market import Market
    from solver.model import AccountModel
    from solver.verify import Outcome, Violation

MAX_LIMIT = 0.25  # no S&P 500 name yields near this; a larger limit is a typo (25 for 2.5%)
YIELD_TOLERANCE = Decimal("0.000001")  # the verifier's slack: a ten-thousandth of a percentage point


class DividendYieldNode(RuleNode):
    kind: ClassVar[str] = "dividend_yield"
    min: Quantity | None = None
    max: Quantity | None = None


class DividendYieldIR(RuleIR):
    kind: Literal["dividend_yield"] = "dividend_yield"
    min_yield: float | None  # the portfolio's trailing yield after trading, at least this fraction
    max_yield: float | None  # … at most this fraction


class DividendYield(RuleKind[DividendYieldNode, DividendYieldIR]):
    name = "dividend_yield"
    keyword = "dividend yield"
    syntax_errors: ClassVar[dict[str, SyntaxErrorExample]] = {
        "dividend_yield": ("P128", "a dividend yield rule needs `at least`, `at most` or `between`",
                           "write `dividend yield at least 2.5%`, `dividend yield at most 0.5%` or "
                           "`dividend yield between 1.5% and 3%`",
                           ["dividend yield 2.5%\n", "dividend yield\n", "dividend yield min 2%\n",
                            "dividend yield above 2%\n"])}
    node_type = DividendYieldNode
    ir_type = DividendYieldIR
    summary = "the portfolio's trailing dividend yield after trading: at least, at most, or between"
    yaml_keys = ("min", "max")
    grammar = r"""
dividend_yield_rule: "dividend" "yield" dividend_yield_bound
dividend_yield_bound: "at" "least" quantity             -> dividend_yield_min
                    | "at" "most" quantity              -> dividend_yield_max
                    | "between" quantity "and" quantity -> dividend_yield_between
"""

    def build(self, tree: Tree, reader: TreeReader) -> dict[str, Any]:
        (bound,) = reader.trees(tree)
        limits = [reader.quantity(q, WEIGHT_UNITS, "a dividend yield") for q in reader.trees(bound)]
        if bound.data == "dividend_yield_min":
            return {"min": limits[0]}
        if bound.data == "dividend_yield_max":
            return {"max": limits[0]}
        return {"min": limits[0], "max": limits[1]}

    def format(self, node: DividendYieldNode) -> str:
        if node.min is not None and node.max is not None:
            return f"dividend yield between {format_quantity(node.min)} and {format_quantity(node.max)}"
        if node.min is not None:
            return f"dividend yield at least {format_quantity(node.min)}"
        return f"dividend yield at most {format_quantity(node.max)}"  # type: ignore[arg-type]

    def from_yaml(self, fields: Fields) -> dict[str, Any]:
        out = {"min": fields.quantity("min", WEIGHT_UNITS, "a dividend yield"),
               "max": fields.quantity("max", WEIGHT_UNITS, "a dividend yield")}
        if out["min"] is None and out["max"] is None:
            fail("P205", "`dividend_yield` needs `min` (e.g. min: 2.5%) or `max`", fields.span)
        return out

    def to_yaml(self, node: DividendYieldNode) -> dict[str, Any]:
        return {key: format_quantity(q) for key in ("min", "max") if (q := getattr(node, key)) is not None}

    def compare(self, old: DividendYieldNode, new: DividendYieldNode) -> Change:
        return combine(compare_bound(fraction_or_none(old.min), fraction_or_none(new.min), upper=False),
                       compare_bound(fraction_or_none(old.max), fraction_or_none(new.max), upper=True))

    def check(self, node: DividendYieldNode, ctx: CheckContext) -> DividendYieldIR | None:
        limits = {}
        for key, limit in (("min", node.min), ("max", node.max)):
            if limit is None:
                continue
            if not 0.0 <= limit.fraction <= MAX_LIMIT:
                ctx.error("P401", f"a dividend yield of {format_quantity(limit)} is out of range", limit.span,
                          f"use 0% to {MAX_LIMIT:.0%}: the highest-yielding S&P 500 names pay under 10%, "
                          "income portfolios aim at 2% to 5%")
                return None
            limits[key] = limit.fraction
        low, high = limits.get("min"), limits.get("max")
        if low is not None and high is not None and low > high:
            ctx.error("P402", f"dividend yield between {format_quantity(node.min)} and "  # type: ignore[arg-type]
                      f"{format_quantity(node.max)} is empty: the minimum is above the maximum",  # type: ignore[arg-type]
                      node.span, "swap the two numbers")
            return None
        return DividendYieldIR(id=ctx.rule_id(node), span=node.span, reason=node.reason, locked=node.locked,
                               min_yield=low, max_yield=high)

    def started(self, rule: DividendYieldIR, first_day: date,
                weight_of: Callable[[tuple[str, ...]], Decimal]) -> DividendYieldIR:
        """A simulation from a day without a year of dividend history behind it is refused before its
        first step, not at it."""
        from market.prices import load_prices

        if first_day - timedelta(days=WINDOW_DAYS) < load_prices().first:
            raise no_dividend_history(rule, first_day)
        return rule

    # ---- optimizer side -----------------------------------------------------------------------
    def lower(self, rule: DividendYieldIR, block: Block, model: AccountModel) -> Contribution:
        from solver.contribution import Contribution
        from solver.linear import linear
        from solver.model import PRIMAL_TOLERANCE

        contribution = Contribution()
        rates = self.rates(rule, model.data.market, model.data.tickers)
        if rule.min_yield:
            self.refuse_unreachable(rule, rates, model)
        payers = rates.nonzero()[0].tolist()
        income = linear(rates[payers], [model.m.weight[i] for i in payers])
        # Room for the solver's feasibility tolerance: the verifier checks the exact figure.
        if rule.min_yield:
            model.add(block, "floor", income, lower=rule.min_yield + 2 * PRIMAL_TOLERANCE)
        if rule.max_yield is not None:
            model.add(block, "ceiling", income, upper=max(rule.max_yield - 2 * PRIMAL_TOLERANCE, 0.0))
        return contribution

    @staticmethod
    def rates(rule: DividendYieldIR, market: Market, tickers: list[str]) -> np.ndarray:
        """Each ticker's trailing-twelve-month yield on the market's date (market/dividends.py); a
        market snapshot carries no dividend history (D121)."""
        from market.dividends import trailing_dividend_yield

        if market.snapshot is not None:
            raise no_dividend_history(rule, market.as_of)
        try:
            return trailing_dividend_yield(market.as_of, market.prices.reindex(tickers)).to_numpy()
        except TailorError:  # the history does not cover the year before the date
            raise no_dividend_history(rule, market.as_of) from None

    @staticmethod
    def refuse_unreachable(rule: DividendYieldIR, rates: np.ndarray, model: AccountModel) -> None:
        """A floor above every name's yield (P417), or above every name the account may buy or holds
        (P418), can never hold: said here, with the best that can, rather than as an infeasible solve."""
        floor = rule.min_yield or 0.0
        best = int(rates.argmax())
        if rates[best] < floor:
            raise TailorError(error(
                "P417", f"a dividend yield of at least {floor:.2%} is above every name's yield on "
                f"{model.data.as_of}: the highest is {model.data.tickers[best]} at {rates[best]:.2%}",
                rule.span,
                f"lower the floor to at most {rates[best]:.2%}, or to what an index-like portfolio "
                "can reach while tracking"))
        reachable = [i for i in range(len(rates)) if i not in model.buy_forbidden or model.data.held[i] > 0]
        top = max(reachable, key=lambda i: rates[i], default=None)
        if top is None or rates[top] < floor:
            barred = sorted((i for i in model.buy_forbidden if rates[i] >= floor), key=lambda i: -rates[i])
            names = ", ".join(f"{model.data.tickers[i]} {rates[i]:.2%}" for i in barred[:5])
            best_text = f"{model.data.tickers[top]} at {rates[top]:.2%}" if top is not None else "none"
            raise TailorError(error(
                "P418", f"a dividend yield of at least {floor:.2%} cannot hold: every name that yields that "
                f"much may not be bought under this policy ({names}{' …' if len(barred) > 5 else ''}) and "
                f"the account holds none; the best it may hold is {best_text}", rule.span,
                f"lower the floor to at most {rates[top]:.2%}, or let the account buy some of those names"
                if top is not None else "let the account buy some of those names"))

    # ---- verifier side: the rule's meaning re-derived from the IR, sharing nothing with `lower` ----
    @staticmethod
    def dividends_per_share(as_of: date, tickers: set[str]) -> dict[str, Decimal] | None:
        """Each ticker's dividends per share of today over the twelve months to `as_of`, in exact
        decimals (`_dividends_per_share`, every ticker of the history, once per date: a batch
        verifies thousands of accounts of one date). None when the history does not cover the
        window."""
        every = _dividends_per_share(as_of)
        return None if every is None else {ticker: every[ticker] for ticker in sorted(tickers & every.keys())}

    @classmethod
    def portfolio_yields(cls, outcome: Outcome) -> tuple[Decimal, Decimal, dict[str, Decimal]] | None:
        """The yield before and after trading: a year's dividends on the shares held, over the value
        with cash; and each name's dividends per share. None without the history."""
        names = set(outcome.shares_before) | set(outcome.shares_after)
        per_share = cls.dividends_per_share(outcome.as_of, names)
        if per_share is None:
            return None

        def yield_of(shares: dict[str, Decimal], value: Decimal) -> Decimal:
            income = sum((s * per_share.get(t, Decimal(0)) for t, s in shares.items()), Decimal(0))
            return income / value if value > 0 else Decimal(0)

        before = yield_of(outcome.shares_before, outcome.value_before)
        return before, yield_of(outcome.shares_after, outcome.value_after), per_share

    def verify(self, rule: DividendYieldIR, outcome: Outcome) -> list[Violation]:
        from solver.verify import Violation

        measured = self.portfolio_yields(outcome)
        if measured is None:
            return [Violation(code="V236", message=f"the dividend yield cannot be checked: the price history "
                              f"records no dividends for the twelve months to {outcome.as_of}")]
        after = measured[1]
        low = Decimal(repr(rule.min_yield)) if rule.min_yield is not None else None
        high = Decimal(repr(rule.max_yield)) if rule.max_yield is not None else None
        if (low is not None and after < low - YIELD_TOLERANCE) or (high is not None
                                                                   and after > high + YIELD_TOLERANCE):
            limit = f"at least {low:.2%}" if low is not None and after < low else f"at most {high:.2%}"
            return [Violation(code="V236", message=f"dividend yield after trading {after:.4%} breaks the "
                              f"limit: {limit}")]
        return []

    def explain(self, rule: DividendYieldIR, outcome: Outcome) -> list[str]:
        measured = self.portfolio_yields(outcome)
        if measured is None:
            return ["dividend yield: no dividend history for the twelve months to the as-of date"]
        before, after, per_share = measured
        limits = [f"at least {rule.min_yield:.2%}" if rule.min_yield is not None else "",
                  f"at most {rule.max_yield:.2%}" if rule.max_yield is not None else ""]
        at_limit = any(limit is not None and abs(after - Decimal(repr(limit))) <= Decimal("0.00001")
                       for limit in (rule.min_yield, rule.max_yield))
        lines = [f"dividend yield {before:.2%} → {after:.2%} after trading "
                 f"({' and '.join(filter(None, limits))}; "
                 f"{'at its limit: it binds' if at_limit else 'inside its limit'})"]
        zero = Decimal(0)
        changed = {t: (outcome.shares_after.get(t, zero) - outcome.shares_before.get(t, zero))
                   * per_share.get(t, zero) for t in set(outcome.shares_before) | set(outcome.shares_after)}
        movers = sorted((t for t, d in changed.items() if d), key=lambda t: -abs(changed[t]))[:5]
        if movers:
            lines.append("annual dividends moved most by " + ", ".join(
                f"{t} {'+' if changed[t] > 0 else '−'}${abs(changed[t]):,.0f}" for t in movers))
        return lines


def no_dividend_history(rule: DividendYieldIR, day: date) -> TailorError:
    """D121: the market data has no year of dividends before `day` (the first year of the bundled
    history, or a market snapshot, which records closes only)."""
    from market.prices import load_prices

    history = load_prices()
    return TailorError(error(
        "D121", f"rule {rule.id}: no dividend history for the twelve months to {day}", rule.span,
        "the bundled history holds a full year of dividends for as-of dates from "
        f"{history.first + timedelta(days=WINDOW_DAYS)} to {history.last}, and a market snapshot records "
        "none: rebalance on a date in that range, or drop the dividend yield rule"))


@lru_cache(maxsize=16)
def _dividends_per_share(as_of: date) -> dict[str, Decimal] | None:
    """Every ticker's dividends per share of today over the twelve months to `as_of`: every ex-date
    after `as_of` − 365 days up to `as_of`, a payout below half the previous close (on that day's
    share basis) divided by the splits of the ticker dated after it. None when the history does not
    cover the window. (The price history is loaded once and never changes: a function of the date.)"""
    import numpy as np

    from market.prices import load_prices

    history = load_prices()
    day_before = as_of - timedelta(days=WINDOW_DAYS)
    if day_before < history.first or as_of > history.last:
        return None
    splits: dict[str, list[tuple[date, Decimal]]] = {}
    for event in history.splits_between(day_before, as_of).itertuples():
        splits.setdefault(event.ticker, []).append((event.date, Decimal(repr(float(event.ratio)))))
    first, last = history.row_on(day_before) + 1, history.row_on(as_of)
    days = [d.date() for d in history.dates[first - 1:last + 1]]
    names = list(history.tickers)
    found = {ticker: Decimal(0) for ticker in names}
    paid = history.dividends.iloc[first:last + 1].to_numpy()  # the window's rows only
    window_closes = history.close.iloc[first - 1:last + 1].to_numpy()
    # The ex-dates only (none, or NaN before the listing, is no payout), each ticker's in date order.
    for k, j in zip(*(index.tolist() for index in np.nonzero(paid > 0)), strict=True):
        ticker, day = names[j], days[k + 1]
        ratio_that_day = next((r for d, r in splits.get(ticker, []) if d == day), Decimal(1))
        later = Decimal(1)
        for split_day, ratio in splits.get(ticker, []):
            if split_day > day:
                later *= ratio
        close_before = float(window_closes[k, j])
        listed_that_day = close_before != close_before  # NaN: no close the day before
        paid_out = Decimal(repr(float(paid[k, j])))
        if listed_that_day or paid_out * 2 < Decimal(repr(close_before)) / ratio_that_day:
            found[ticker] += paid_out / later
    return found
