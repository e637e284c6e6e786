"""One step of a simulation: corporate actions and the tax year since the last step, the fast path's
screens, and — unless they prove nothing would trade — a verified rebalance applied to the ledger.

Trading costs are not part of the rebalance's objective, so the plan must leave cash for them: the
step raises the policy's cash reserve by an estimate of the costs; when the plan still leaves too
little, its largest buy gives way (re-verified, engine.costs), and failing that the step solves again
with the actual costs (plus a margin) as the estimate. A plan is applied only when the verifier accepts
it; a step without one records why and leaves the account as it was (deposits are still credited,
withdrawals are owed to the next step).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

import pandas as pd

from compiler.ir import CompiledPolicy
from compiler.rules import RULE_KINDS
from core.diagnostics import TailorError
from engine.actions import Event, apply_actions
from engine.costs import cut_largest_buy
from engine.explain import conflict
from engine.inputs import Context
from engine.ledger import ZERO, Applied, Ledger, YearEnd, account_of, apply_plan, prune, roll_year
from engine.rebalance import Plan, plan
from engine.screens import Verdict, decimal_prices
from solver.market import Market
from solver.result import RebalanceResult
from solver.tax import money_text, to_cents

COST_ATTEMPTS = 3
MAX_EXPLAINED = 5  # infeasible days explained with the conflicting rules (each costs a few seconds)


@dataclass
class Step:
    """What one step did: the new ledger and everything the records need."""

    day: date
    ledger: Ledger
    value_before: Decimal
    flow: Decimal = ZERO
    tax_paid: Decimal = ZERO
    tax: Decimal = ZERO
    events: list[Event] = field(default_factory=list)
    years: list[YearEnd] = field(default_factory=list)
    verdict: Verdict | None = None
    result: RebalanceResult | None = None
    applied: Applied | None = None
    dividends: Decimal = ZERO
    distributions: Decimal = ZERO
    realized: tuple[Decimal, Decimal] = (ZERO, ZERO)
    trouble: tuple[str, str, str] | None = None  # code, message, explanation
    target: pd.Series | None = None
    market: Market | None = None
    prices: dict[str, Decimal] = field(default_factory=dict)  # the day's closes as exact decimals

    def add_realized(self, short_term: Decimal, long_term: Decimal) -> None:
        self.realized = (self.realized[0] + short_term, self.realized[1] + long_term)


def value_of(ledger: Ledger, prices: Mapping[str, Decimal]) -> Decimal:
    """At the day's closes (`Step.prices`: the market's prices as exact decimals)."""
    return sum((shares * prices[t] for t, shares in ledger.shares().items()), ledger.cash)


def _left_index(ctx: Context, ledger: Ledger, before: date, day: date) -> list[Event]:
    held = ledger.shares()
    gone = (set(ctx.days.members(before)) - set(ctx.days.members(day))) & set(held)
    return [Event(day, t, "left_index", held[t], ZERO, ZERO, ZERO, "left the S&P 500: its target weight is 0")
            for t in sorted(gone)]


def _since_last(ctx: Context, ledger: Ledger, day: date, step: Step) -> Ledger:
    """Corporate actions after the last step, the tax year closed on the way (Schedule D netting,
    the carryforwards rolled), last year's tax due from cash when the spec says so."""
    rates, taxable = ctx.rates, ctx.account.is_taxable
    before, tax_before = ledger.day, ledger.tax(rates)
    if before is None:
        return ledger
    step.events += _left_index(ctx, ledger, before, day)
    if day.year > ledger.year:
        year_end = date(ledger.year, 12, 31)
        acts = apply_actions(ledger, ctx.history, before, year_end, taxable)
        step.tax += acts.ledger.tax(rates) - tax_before
        ledger, closed = roll_year(acts.ledger, rates, day.year)
        step.years.append(closed)
        step.events += acts.events
        step.dividends += acts.dividends
        step.distributions += acts.distributions
        step.add_realized(acts.realized_short_term, acts.realized_long_term)
        if ctx.spec.tax.paid_from == "cash":
            step.tax_paid = closed.tax
        before, tax_before = year_end, ZERO
    acts = apply_actions(ledger, ctx.history, before, day, taxable)
    step.tax += acts.ledger.tax(rates) - tax_before
    step.events += acts.events
    step.dividends += acts.dividends
    step.distributions += acts.distributions
    step.add_realized(acts.realized_short_term, acts.realized_long_term)
    return acts.ledger


def _step_policy(policy: CompiledPolicy, flow: Decimal, cost_reserve: Decimal,
                 value: Decimal) -> CompiledPolicy:
    """The policy with this step's cash flow, and its reserve raised by the cash the costs will take
    (so that after paying them the policy's own reserve still holds)."""
    rules = []
    for rule in policy.rules:
        if rule.kind == "cash":
            pct = Decimal(repr(getattr(rule, "reserve_pct", None) or 0.0))
            reserve = max(getattr(rule, "reserve_usd", None) or ZERO, pct * max(value + flow, ZERO))
            rule = rule.model_copy(update={"deposit_usd": max(flow, ZERO), "withdrawal_usd": max(-flow, ZERO),
                                           "reserve_usd": to_cents(reserve + cost_reserve) if cost_reserve
                                           else getattr(rule, "reserve_usd", None)})
        rules.append(rule)
    return policy.model_copy(update={"rules": tuple(rules)})


def _explain(found: Plan, policy: CompiledPolicy) -> str:
    try:
        return conflict(found, policy).text
    except TailorError as exc:  # the explanation is a courtesy: its own failure must not stop the run
        return f"(no explanation: {exc.diagnostics[0].message})"


def _reserve(policy: CompiledPolicy, value: Decimal) -> Decimal:
    rule = policy.one("cash")
    pct = Decimal(repr(getattr(rule, "reserve_pct", None) or 0.0))
    return max(getattr(rule, "reserve_usd", None) or ZERO, pct * value)


def _solve(ctx: Context, ledger: Ledger, step: Step, market: Market, explained: int) -> None:
    """Rebalance until the plan leaves cash for its costs; apply it if the verifier accepts it. The
    first estimate of the costs is the last solve's (or the spread on the cash to invest)."""
    account = account_of(ledger, ctx.account, ctx.rates, ctx.window)
    costs = ctx.spec.costs
    estimate = ZERO
    if costs.spread_bp or costs.fee:
        to_invest = max(ledger.cash + step.flow, ZERO)
        estimate = max(ledger.last_costs, to_cents(to_invest * costs.spread_bp / 10_000 + costs.fee))
    for _ in range(COST_ATTEMPTS):
        policy = _step_policy(ctx.policy, step.flow, estimate, step.value_before)
        found = plan(account, policy, market, ctx.options)
        step.result = result = found.result
        if not result.verified:
            break
        applied = apply_plan(ledger, result.trades, step.flow, step.day, costs, ctx.account.is_taxable,
                             adjustments=result.basis_adjustments)
        shortfall = _reserve(ctx.policy, value_of(applied.ledger, step.prices)) - applied.ledger.cash
        if shortfall > 0:
            target = ctx.screener.position(account, market, step.target).target
            cut = cut_largest_buy(result, shortfall, policy, account, market, target, step.flow)
            if cut is not None:
                step.result = result = cut
                applied = apply_plan(ledger, cut.trades, step.flow, step.day, costs, ctx.account.is_taxable,
                                     adjustments=cut.basis_adjustments)
                shortfall = _reserve(ctx.policy, value_of(applied.ledger, step.prices)) - applied.ledger.cash
        if shortfall <= 0:
            step.applied = applied
            return
        estimate = to_cents(applied.costs * Decimal("1.1") + costs.fee)
    if result.verified:
        step.trouble = ("M132", f"no plan left cash for its trading costs in {COST_ATTEMPTS} attempts", "")
    elif result.violations:
        step.trouble = ("M131", "the verifier refused the plan: " + "; ".join(
            f"{v.code} {v.message}" for v in result.violations[:3]), "")
    else:
        why = f"no verified plan (solver status {result.solve.status}, stop {result.solve.stop})"
        if step.flow < 0:  # the likeliest cause: say how much had to be raised from what
            why += (f"; the step had to raise {money_text(-step.flow)} (withdrawals and tax) from an account "
                    f"worth {money_text(step.value_before)}")
        text = _explain(found, policy) if result.solve.status == "infeasible" and explained < MAX_EXPLAINED \
            else ""
        step.trouble = ("M130", why, text)


def run_step(ctx: Context, ledger: Ledger, day: date, explained: int) -> Step:
    step = Step(day=day, ledger=ledger, value_before=ZERO)
    ledger = _since_last(ctx, ledger, day, step)
    ledger = prune(ledger.model_copy(update={"day": day}), day, ctx.window)
    step.flow = ctx.flows.get(day, ZERO) - step.tax_paid - ledger.owed
    ledger = ledger.model_copy(update={"owed": ZERO})
    market = ctx.days.market(day, ctx.risk_days[day])
    account = account_of(ledger, ctx.account, ctx.rates, ctx.window)
    step.market, step.prices = market, decimal_prices(market, market.prices.index)
    step.value_before = value_of(ledger, step.prices)
    target_rule = ctx.policy.one("target")
    step.target = RULE_KINDS["target"].weights(target_rule, market, account)  # type: ignore[attr-defined]
    step.verdict = ctx.screener.screen(account, market, step.target, step.flow != 0, ledger, step.prices)
    tax_before = ledger.tax(ctx.rates)
    if step.verdict.skip:
        step.ledger = ledger
        return step
    _solve(ctx, ledger, step, market, explained)
    if step.applied is None:  # no plan: money that arrived is still there; what had to leave is owed
        step.ledger = ledger.model_copy(update={"cash": ledger.cash + max(step.flow, ZERO),
                                                "owed": max(-step.flow, ZERO)})
        return step
    new = step.applied.ledger
    kept = set(step.verdict.qualifying) & {lot.lot_id for lot in new.lots}
    after = account_of(new, ctx.account, ctx.rates, ctx.window)
    value = float(value_of(new, step.prices))
    summary = step.result.summary if step.result is not None else None
    te = summary.tracking_error_after if summary is not None else step.verdict.tracking_error
    step.ledger = new.model_copy(update={
        "declined": tuple(sorted(kept)), "last_costs": step.applied.costs, "tracking_error": te,
        "idle": ctx.screener.idle(after, value) if value > 0 else 0.0})
    step.tax += new.tax(ctx.rates) - tax_before
    step.add_realized(step.applied.realized_short_term, step.applied.realized_long_term)
    return step
