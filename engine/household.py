"""A household rebalanced account by account: the "sleeve" baseline that issue 14 §5 compares the
one-model household mode with (docs/households.md).

Each tradable account is rebalanced on its own by today's one-account engine, under its policy stack
(the household's, then the account's own), so each tracks the household target by itself; a held-away
account is counted and never traded. Then the household is judged as one: the combined holdings'
tracking error against the household target (the household policy's target rule), the value sold,
and the day's trades of every account checked together for wash sales across accounts by the
verifier's own check (solver/verify_household.py), which each account's plan cannot see. The tax is
recomputed with those wash sales counted (Schedule D netting of solver/verify_law.py), beside the sum
of what the plans claim.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from itertools import pairwise
from typing import Any

from compiler.check import compile_policy
from compiler.inputs import check_account
from compiler.ir import CompiledPolicy
from compiler.language import load_layers
from compiler.rules import RULE_KINDS
from core.diagnostics import TailorError, error
from engine.household_summary import AccountLine, CrossAccountWash, HouseholdSummary, TaxLine
from engine.rebalance import RebalanceOptions, plan
from policy_lang.ast import LAYERS
from solver.household import Household, HouseholdAccount
from solver.lots import Trade
from solver.market import Market
from solver.result import RebalanceResult
from solver.tax import carryforward_created, to_cents
from solver.verify import Outcome, build_outcome, tracking_error
from solver.verify_household import HouseholdWash, household_wash_sales
from solver.verify_law import added_tax


@dataclass(frozen=True)
class Sleeve:
    """One account's part: its outcome (with no trades when it is held away or has no verified plan)
    and, for a tradable account, its plan's result and policy."""

    member: HouseholdAccount
    outcome: Outcome
    result: RebalanceResult | None = None
    policy: CompiledPolicy | None = None

    @property
    def traded(self) -> bool:
        return self.result is not None and self.result.verified

    @property
    def trades(self) -> list[Trade]:
        return self.outcome.trades if self.traded else []


@dataclass(frozen=True)
class SleeveRun:
    summary: HouseholdSummary
    sleeves: tuple[Sleeve, ...]


def check_layers(household: Household) -> None:
    """A142: each account's stack — the household policy, then its own, each with what it extends —
    runs firm → model → household → account (an explicit stack is merged in the order given, which
    `extends` alone would have checked)."""
    household_layers = load_layers(household.policy)
    problems = []
    if household_layers[-1].layer == "account":
        problems.append(error("A142", "the household policy is an account policy (`layer account`)",
                              household.policy_span, "give it `layer household`; accounts' own policies "
                              "layer under it"))
    for member in household.tradable:
        if member.policy is None:
            continue
        stack = list(household_layers)
        stack += [p for p in load_layers(member.policy) if all(p.file != q.file for q in stack)]
        declared = [p for p in stack if p.layer is not None]
        for upper, lower in pairwise(declared):
            if LAYERS.index(upper.layer) > LAYERS.index(lower.layer):  # type: ignore[arg-type]
                problems.append(error(
                    "A142", f"{member.name}'s policies put {lower.file} (layer {lower.layer}) under "
                    f"{upper.file} (layer {upper.layer})", member.policy_span,
                    "layers run firm → model → household → account: give the account's policy "
                    "`layer account` and let it extend the household policy or nothing above it"))
                break
    if problems:
        raise TailorError(problems)


def household_policies(household: Household) -> tuple[CompiledPolicy, dict[str, CompiledPolicy]]:
    """The household policy alone (its target and identical groups judge the household) and each
    tradable account's stack, checked against its account before any market data is loaded."""
    check_layers(household)
    policies = {}
    for member in household.tradable:
        policies[member.name] = compile_policy(household.policy_layers(member))  # type: ignore[arg-type]
        check_account(policies[member.name], member.account)
    return compile_policy(household.policy), policies


def household_target(policy: CompiledPolicy, market: Market) -> dict[str, float]:
    """The household policy's target rule's weights (benchmark and tilts) on the market's date."""
    weights = RULE_KINDS["target"].weights(policy.one("target"), market)  # type: ignore[attr-defined]
    return {str(t): float(w) for t, w in weights.items() if w > 0}


def refuse_contributions(household: Household) -> None:
    """The sleeves run each account alone, so they cannot move cash between accounts: a
    `max_contribution` is refused there (A143), never ignored; household mode moves it."""
    for member in household.accounts:
        if member.max_contribution > 0:
            raise TailorError(error(
                "A143", f"account {member.name} may receive ${member.max_contribution:,} from the others, "
                "which the sleeves (each account alone) cannot move", member.span,
                "use --mode household, or remove `max_contribution`"))


def run_sleeves(household: Household, market: Market, options: RebalanceOptions | None = None) -> SleeveRun:
    """Every tradable account rebalanced on its own, then the household judged as one (the module)."""
    refuse_contributions(household)
    options = options or RebalanceOptions()
    household_policy, policies = household_policies(household)
    target = household_target(household_policy, market)
    sleeves = []
    for member in household.accounts:
        market.check_account(member.account)
        policy = policies.get(member.name)
        if policy is None:
            sleeves.append(Sleeve(member, build_outcome(member.account, market, [], target)))
            continue
        found = plan(member.account, policy, market, options)
        unplanned = found.outcome is None or not found.result.verified
        outcome = build_outcome(member.account, market, [], target) if unplanned else found.outcome
        sleeves.append(Sleeve(member, outcome, found.result, policy))  # type: ignore[arg-type]
    wash = household_policy.one("wash_sale")
    groups = getattr(wash, "groups", ())
    matches = household_wash_sales(household, {s.member.name: s.trades for s in sleeves}, groups)
    return SleeveRun(summary=_summary(household, household_policy, market, target, sleeves, matches),
                     sleeves=tuple(sleeves))


def _line(sleeve: Sleeve, target: dict[str, float], market: Market) -> AccountLine:
    o, result = sleeve.outcome, sleeve.result
    summary = result.summary if result is not None and sleeve.traded else None
    return AccountLine(
        name=sleeve.member.name, kind=sleeve.member.kind, traded=sleeve.traded,
        status=result.solve.status if result is not None else None, value_before=to_cents(o.value_before),
        value_after=to_cents(o.value_after if sleeve.traded else o.value_before),
        estimated_tax=summary.estimated_tax if summary else Decimal("0.00"),
        disallowed_loss=summary.disallowed_loss if summary else Decimal("0.00"),
        tracking_error_before=round(tracking_error(market, o.shares_before, o.cash_before, target), 6),
        tracking_error_after=round(tracking_error(market, o.shares_after, o.cash_after, target), 6),
        turnover=round(float(o.turnover), 6), sells=len(o.sales), buys=len(o.buys))


def planned_tax(sleeves: list[Sleeve]) -> TaxLine:
    """What the accounts' own plans claim, each blind to the other accounts' trades of the day: the
    tax their sales add this year, and the loss they carry to next year with its value today."""
    summaries = [s.result.summary for s in sleeves if s.traded and s.result and s.result.summary]
    return TaxLine(tax=sum((x.estimated_tax for x in summaries), Decimal(0)),
                      carried_forward=sum((x.carryforward_short_term + x.carryforward_long_term
                                           for x in summaries), Decimal(0)),
                      carried_value=sum((x.carryforward_value for x in summaries), Decimal(0)))


def household_tax(sleeves: list[Sleeve], matches: list[HouseholdWash]) -> TaxLine:
    """The same with every wash sale of the household counted: each sale's loss less what the
    household's matches disallow (the account's own and the other accounts'), netted by Schedule D."""
    disallowed: dict[tuple[str, str | None], Decimal] = defaultdict(Decimal)
    for match in matches:
        disallowed[(match.loss_account, match.lot_id)] += match.loss_disallowed
    tax, carried, value = Decimal(0), Decimal(0), Decimal(0)
    for sleeve in sleeves:
        account = sleeve.member.account
        if not (sleeve.traded and account.is_taxable):
            continue
        st, lt = Decimal(0), Decimal(0)
        for sale in sleeve.outcome.sales:
            realized = sale.gain + disallowed[(sleeve.member.name, sale.trade.lot_id)]
            st, lt = (st, lt + realized) if sale.long_term else (st + realized, lt)
        rates = account.tax
        tax += added_tax(rates.realized_short_term_ytd, rates.realized_long_term_ytd, st, lt,
                         rates.carryforward_short_term, rates.carryforward_long_term, rates.short_term_rate,
                         rates.long_term_rate)
        carried_st, carried_lt = carryforward_created(
            rates.realized_short_term_ytd, rates.realized_long_term_ytd, st, lt,
            rates.carryforward_short_term, rates.carryforward_long_term)
        carried += carried_st + carried_lt
        value += rates.carryforward_rate * (carried_st + carried_lt)
    return TaxLine(tax=to_cents(tax), carried_forward=to_cents(carried), carried_value=to_cents(value))


def wash_sales_across(matches: list[HouseholdWash]) -> dict[str, Any]:
    """The household summary's wash sales across accounts (`HouseholdSummary.wash_sales`), the loss they
    disallow and the part of it lost for good (replacements in an IRA or a Roth)."""
    washes = tuple(CrossAccountWash(
        ticker=m.ticker, loss_account=m.loss_account, sale=m.sale, sold_on=m.sold_on,
        replacement_account=m.replacement_account, replacement=m.replacement,
        replacement_ticker=m.replacement_ticker, replacement_acquired=m.replacement_acquired, shares=m.shares,
        loss_disallowed=to_cents(m.loss_disallowed), lost_for_good=m.permanent)
        for m in matches if m.across_accounts)
    return {"wash_sales": washes,
            "loss_disallowed_across_accounts": sum((w.loss_disallowed for w in washes), Decimal(0)),
            "loss_lost_for_good": sum((w.loss_disallowed for w in washes if w.lost_for_good), Decimal(0))}


def _summary(household: Household, policy: CompiledPolicy, market: Market, target: dict[str, float],
             sleeves: list[Sleeve], matches: list[HouseholdWash]) -> HouseholdSummary:
    before: dict[str, Decimal] = defaultdict(Decimal)
    after: dict[str, Decimal] = defaultdict(Decimal)
    for sleeve in sleeves:
        o = sleeve.outcome
        for ticker, shares in o.shares_before.items():
            before[ticker] += shares
        for ticker, shares in (o.shares_after if sleeve.traded else o.shares_before).items():
            after[ticker] += shares
    cash_before = sum((s.outcome.cash_before for s in sleeves), Decimal(0))
    cash_after = sum((s.outcome.cash_after if s.traded else s.outcome.cash_before for s in sleeves),
                     Decimal(0))
    lines = tuple(_line(s, target, market) for s in sleeves)
    value_before = sum((s.outcome.value_before for s in sleeves), Decimal(0))
    sold = sum((sale.trade.amount for s in sleeves if s.traded for sale in s.outcome.sales), Decimal(0))
    # Totals are sums of the lines as reported (to the cent), so household.json adds up.
    return HouseholdSummary(
        household_id=household.household_id, as_of=household.as_of, mode="sleeves", policy_name=policy.name,
        policy_hash=policy.policy_hash, household_hash=household.input_hash,
        complete=all(s.traded for s in sleeves if s.member.tradable), accounts=lines,
        value_before=sum((line.value_before for line in lines), Decimal(0)),
        value_after=sum((line.value_after for line in lines), Decimal(0)),
        as_planned=planned_tax(sleeves), household_tax=household_tax(sleeves, matches),
        tracking_error_before=round(tracking_error(market, dict(before), cash_before, target), 6),
        tracking_error_after=round(tracking_error(market, dict(after), cash_after, target), 6),
        turnover=round(float(sold / value_before), 6) if value_before > 0 else 0.0,
        **wash_sales_across(matches))
