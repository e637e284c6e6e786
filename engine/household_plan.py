"""A household rebalanced as one: every account in one model under the household policy (issue 14).

The accounts of one taxpayer and spouse are one portfolio toward one target: tax is paid where a sale
realizes it (never in an IRA or a Roth), each account pays for its own buys, and a loss sale in a
taxable account is never matched with shares of another account (solver/model.py, `buy_in`,
`cash_in`; compiler/rules/wash_share.py, `in_one_account`). The plan is verified against the policy
on the household as one account and each account's own accounting (engine/rebalance.py), and then by
the verifier's own cross-account wash-sale check (solver/verify_household.py, V237), which sees every
account's trades of the day together. The household's figures are those the sleeve baseline reports
(engine/household.py), so the two modes compare line for line (docs/households.md).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

from compiler.check import compile_policy
from compiler.inputs import check_account
from compiler.ir import CompiledPolicy, RuleIR
from compiler.lower import refuse_unscoped
from engine.household import check_layers, household_target, wash_sales_across
from engine.household_summary import AccountLine, HouseholdSummary, TaxLine
from engine.rebalance import Plan, RebalanceOptions, plan
from solver.account import Account
from solver.household import Household, HouseholdAccount
from solver.household_view import HouseholdTerms
from solver.lots import Trade
from solver.market import Market
from solver.result import AccountPart, RebalanceResult
from solver.tax import to_cents
from solver.verify import build_outcome, tracking_error
from solver.verify_household import HouseholdWash, cross_account_violations, household_wash_sales
from solver.verify_law import added_tax


@dataclass(frozen=True)
class HouseholdPlan:
    plan: Plan  # its result: the household's summary, each account's part, every trade with its account
    policy: CompiledPolicy
    summary: HouseholdSummary | None  # None when no verified plan was found


def account_rules(household: Household, policy: CompiledPolicy) -> dict[str, tuple[RuleIR, ...]]:
    """Each account's own rules: those of its stack `[household policy, account policy]` that the
    household policy does not state as they are — the account's new rules and its tightenings of the
    household's (layering refuses a locked rule loosened: P501; the household's rule still holds for
    the household). Checked against the account, and refused (A141, each on its line) where one
    account cannot be governed by them, before any model is built."""
    if not any(member.policy for member in household.tradable):
        return {}
    check_layers(household)
    stated = {rule.id: rule for rule in policy.rules}
    found: dict[str, tuple[RuleIR, ...]] = {}
    for member in household.tradable:
        if member.policy is None:
            continue
        stack = compile_policy(household.policy_layers(member))  # type: ignore[arg-type]
        check_account(stack, member.account)
        found[member.account.account_id] = tuple(r for r in stack.rules if stated.get(r.id) != r)
    refuse_unscoped(found)
    return found


def plan_household(household: Household, market: Market,
                   options: RebalanceOptions | None = None) -> HouseholdPlan:
    policy = compile_policy(household.policy)
    own_rules = account_rules(household, policy)
    members = household.accounts
    if len(members) == 1 and own_rules:  # one account: its model is the account's, under its stack
        policy = compile_policy(household.policy_layers(members[0]))  # type: ignore[arg-type]
        own_rules = {}
    terms = HouseholdTerms(
        held_away=frozenset(m.account.account_id for m in members if not m.tradable),
        max_contribution={m.account.account_id: m.max_contribution for m in members
                          if m.max_contribution > 0})
    found = plan([member.account for member in household.accounts], policy, market,
                 options or RebalanceOptions(), terms, own_rules)
    if found.outcome is None:
        return HouseholdPlan(plan=found, policy=policy, summary=None)
    trades = found.outcome.trades
    wash = policy.one("wash_sale")
    by_account = {m.name: _trades_of(m.account, trades, household) for m in household.accounts}
    matches = household_wash_sales(household, by_account, getattr(wash, "groups", ()))
    across = cross_account_violations(matches)
    if across:
        result = found.result.model_copy(update={"violations": (*found.result.violations, *across),
                                                 "verified": False})
        found = replace(found, result=result)
    summary = _summary(household, policy, market, found, trades, matches) if found.result.verified else None
    return HouseholdPlan(plan=found, policy=policy, summary=summary)


def _trades_of(account: Account, trades: list[Trade], household: Household) -> list[Trade]:
    """The account's trades: those naming it, or every trade in a household of one account (its model
    is one account's, whose trades name none)."""
    if len(household.accounts) == 1:
        return trades
    return [t for t in trades if t.account == account.account_id]


def _part_of_one(member: HouseholdAccount, result: RebalanceResult) -> AccountPart:
    """A household of one account: its part is the plan's summary."""
    s = result.summary
    assert s is not None
    return AccountPart(account_id=member.account.account_id, account_type=member.account.account_type,
                       traded=member.tradable, value_before=s.value_before, value_after=s.value_after,
                       cash_before=s.cash_before, cash_after=s.cash_after,
                       realized_short_term=s.realized_short_term, realized_long_term=s.realized_long_term,
                       disallowed_loss=s.disallowed_loss, contribution=Decimal(0), sells=s.sells, buys=s.buys)


def _summary(household: Household, policy: CompiledPolicy, market: Market, found: Plan,
             trades: list[Trade], matches: list[HouseholdWash]) -> HouseholdSummary:
    """The sleeve baseline's figures for the one-model plan. A taxable account's line states the tax
    its own sales would add on their own; the household's tax nets every taxable account's sales on
    the joint return, as the model prices it."""
    result, merged = found.result, found.outcome
    assert result.summary is not None and merged is not None
    target = household_target(policy, market)
    lines, parts = [], {p.account_id: p for p in result.accounts}
    for member in household.accounts:
        account = member.account
        own = build_outcome(account, market, _trades_of(account, trades, household), target)
        part = parts.get(account.account_id) or _part_of_one(member, result)
        rates = account.tax
        tax = added_tax(rates.realized_short_term_ytd, rates.realized_long_term_ytd,
                        part.realized_short_term, part.realized_long_term, rates.carryforward_short_term,
                        rates.carryforward_long_term, rates.short_term_rate, rates.long_term_rate) \
            if account.is_taxable else Decimal(0)
        lines.append(AccountLine(
            name=member.name, kind=member.kind, traded=member.tradable,
            status=result.solve.status if member.tradable else None, value_before=part.value_before,
            value_after=part.value_after, estimated_tax=to_cents(tax), disallowed_loss=part.disallowed_loss,
            tracking_error_before=_te(market, own.shares_before, own.cash_before, target),
            tracking_error_after=_te(market, own.shares_after, own.cash_after, target),
            turnover=round(float(own.turnover), 6), sells=part.sells, buys=part.buys))
    s = result.summary
    tax = TaxLine(tax=s.estimated_tax, carried_forward=s.carryforward_short_term + s.carryforward_long_term,
                  carried_value=s.carryforward_value)
    return HouseholdSummary(
        household_id=household.household_id, as_of=household.as_of, mode="household",
        policy_name=policy.name, policy_hash=policy.policy_hash, household_hash=household.input_hash,
        complete=True,
        accounts=tuple(lines), value_before=sum((line.value_before for line in lines), Decimal(0)),
        value_after=sum((line.value_after for line in lines), Decimal(0)), as_planned=tax,
        household_tax=tax,
        tracking_error_before=_te(market, merged.shares_before, merged.cash_before, target),
        tracking_error_after=_te(market, merged.shares_after, merged.cash_after, target),
        turnover=round(float(merged.turnover), 6),
        **wash_sales_across(matches))


def _te(market: Market, shares: dict[str, Decimal], cash: Decimal, target: dict[str, float]) -> float:
    return round(tracking_error(market, shares, cash, target), 6)
