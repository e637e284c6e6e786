"""The public engine function: accounts + compiled policy + market + options → verified result.

Pure: typed inputs in, a typed (picklable) result out; no files, no globals. `plan` returns the
working parts too (model, solution, outcome, provenance) for explanations; `rebalance` returns
the result alone.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal

import numpy as np

from compiler.inputs import check_account
from compiler.ir import CompiledPolicy, RuleIR
from compiler.lower import Provenance, account_rule_id, lower_policy
from compiler.verify_rules import rule_violations, verify
from solver.account import Account
from solver.defaults import DEFAULT_MIP_GAP, DEFAULT_TIME_LIMIT
from solver.household_view import HouseholdTerms
from solver.lots import Trade
from solver.market import Market
from solver.model import AccountModel
from solver.result import (
    AccountPart,
    BasisAdjustment,
    RebalanceResult,
    RuleRef,
    SolveInfo,
    Summary,
    TradeLine,
    WashSaleMatch,
)
from solver.search import SolveOptions
from solver.solve import Solution, solve
from solver.tax import carryforward_created, to_cents
from solver.trades import extract_contributions, extract_trades
from solver.verify import Outcome, build_outcome
from solver.verify_household import contribution_violations


@dataclass(frozen=True)
class RebalanceOptions:
    time_limit: float = DEFAULT_TIME_LIMIT
    mip_gap: float = DEFAULT_MIP_GAP
    log: bool = False


@dataclass
class Plan:
    result: RebalanceResult
    model: AccountModel
    solution: Solution
    outcome: Outcome | None
    provenance: dict[str, Provenance]
    timings: dict[str, float] = field(default_factory=dict)
    # A household's accounts' own rules, by account id (their ids in the plan: `account_rule_id`).
    account_rules: Mapping[str, Sequence[RuleIR]] = field(default_factory=dict)

    def account_rule(self, rule_id: str) -> tuple[int, RuleIR] | None:
        """The account (its position in the model) and the rule of an account's own rule's plan id."""
        for a, member in enumerate(self.model.data.accounts):
            for rule in self.account_rules.get(member.account_id, ()):
                if account_rule_id(member.account_id, rule.id) == rule_id:
                    return a, rule
        return None


def _trade_lines(outcome: Outcome) -> tuple[TradeLine, ...]:
    # A gift of shares realizes no gain: its line says $0.00 realized (its cost basis goes with it).
    def matched(lot_id: str | None) -> tuple[WashSaleMatch, ...]:
        return tuple(WashSaleMatch(replacement=m.replacement, replacement_acquired=m.replacement_acquired,
                                   shares_matched=m.shares, disallowed_loss=to_cents(m.loss_disallowed))
                     for m in outcome.wash_matches if m.lot_id == lot_id)

    lines = [TradeLine(action=s.trade.action, ticker=s.trade.ticker, shares=s.trade.shares,
                       price=s.trade.price, amount=to_cents(s.trade.amount), lot_id=s.trade.lot_id,
                       acquired=s.trade.acquired,
                       cost_basis=s.basis,
                       realized_gain=to_cents(s.realized if s.trade.action == "sell" else Decimal(0)),
                       term="long" if s.long_term else "short",
                       disallowed_loss=to_cents(s.disallowed) if s.disallowed else None,
                       wash_sale=matched(s.trade.lot_id) if s.disallowed else (), account=s.trade.account)
             for s in (*outcome.sales, *outcome.gifts)]
    lines += [TradeLine(action="buy", ticker=t.ticker, shares=t.shares, price=t.price,
                        amount=to_cents(t.amount), account=t.account)
              for t in outcome.buys]
    return tuple(lines)


def _basis_adjustments(outcome: Outcome) -> tuple[BasisAdjustment, ...]:
    return tuple(BasisAdjustment(replacement=m.replacement, ticker=m.ticker, shares=m.shares,
                                 loss_added=to_cents(m.loss_disallowed),
                                 adjusted_basis=to_cents(m.adjusted_basis),
                                 holding_period_start=m.holding_period_start, from_lot=m.lot_id)
                 for m in outcome.wash_matches)


def _carryforward(outcome: Outcome) -> dict[str, Decimal]:
    """The carryforward the plan creates and its value (solver/schedule_d.py prices it the same way)."""
    account, tax = outcome.account, outcome.account.tax
    if not account.is_taxable:
        return {}
    st, lt = carryforward_created(tax.realized_short_term_ytd, tax.realized_long_term_ytd,
                                  outcome.realized_short_term, outcome.realized_long_term,
                                  tax.carryforward_short_term, tax.carryforward_long_term)
    return {"carryforward_short_term": to_cents(st), "carryforward_long_term": to_cents(lt),
            "carryforward_rate": tax.carryforward_rate.normalize(),
            "carryforward_value": to_cents(tax.carryforward_rate * (st + lt))}


def _summary(outcome: Outcome) -> Summary:
    return Summary(value_before=to_cents(outcome.value_before), value_after=to_cents(outcome.value_after),
                   cash_before=to_cents(outcome.cash_before),
                   cash_flow=to_cents(outcome.cash_flow + outcome.cash_moved),
                   cash_after=to_cents(outcome.cash_after),
                   realized_short_term=to_cents(outcome.realized_short_term),
                   realized_long_term=to_cents(outcome.realized_long_term),
                   realized_short_term_ytd=to_cents(outcome.ytd_short_term),
                   realized_long_term_ytd=to_cents(outcome.ytd_long_term),
                   estimated_tax=to_cents(outcome.estimated_tax), **_carryforward(outcome),
                   disallowed_loss=to_cents(sum((s.disallowed for s in outcome.sales), Decimal(0))),
                   tracking_error_before=round(outcome.tracking_error_before, 6),
                   tracking_error_after=round(outcome.tracking_error_after, 6),
                   looked_through=outcome.looked_through,
                   turnover=round(float(outcome.turnover), 6), sells=len(outcome.sales),
                   buys=len(outcome.buys))


def account_outcome(model: AccountModel, trades: list[Trade], position: int, target: dict[str, float],
                    moved: Decimal = Decimal(0)) -> Outcome:
    """A household account's own trades applied to it: its own flows, and `moved`, the cash the others
    give it (negative: it gives them)."""
    member = model.data.accounts[position]
    mine = [t for t in trades if t.account == member.account_id]
    flow = model.account_flows.get(position, Decimal(0))
    return build_outcome(member, model.data.market, mine, target, flow, cash_moved=moved)


def _outcome(model: AccountModel, trades: list[Trade], target: dict[str, float], moved: dict[str, Decimal],
             account_rules: Mapping[str, Sequence[RuleIR]]) -> tuple[Outcome, tuple[AccountPart, ...]]:
    """The plan applied to the account. For a household: to the merged account the policy's rules
    read (its IRAs' and Roths' sales realize no taxable gain), with each account's own accounting
    — shares per lot, prices, cash that pays for its own buys after its own flows and what it gives or
    receives (`moved`), which the household file must allow — checked on its own, and its own
    policy's rules (`account_rules`) checked on its own trades; and each account's part."""
    data = model.data
    if not data.household:
        return build_outcome(data.account, data.market, trades, target, model.cash_flow), ()
    untaxed = frozenset(lot.lot_id for member in data.accounts if not member.is_taxable
                        for lot in member.lots)
    merged = build_outcome(data.account, data.market, trades, target, model.cash_flow, untaxed,
                           model.total_cash_flow - model.cash_flow)
    problems, parts = contribution_violations(data.terms, moved), []
    for a, (member, traded) in enumerate(zip(data.accounts, data.tradable.tolist(), strict=True)):
        flow = moved.get(member.account_id, Decimal(0))
        rules = account_rules.get(member.account_id, ())
        # The household's target only where an account's own rule may read it (`outside target`).
        own = account_outcome(model, trades, a, target if rules else {}, flow)
        problems += [p.model_copy(update={"message": f"{member.account_id}: {p.message}"})
                     for p in (*own.problems, *rule_violations(
                         own, rules, [account_rule_id(member.account_id, r.id) for r in rules]))]
        sales = [s for s in merged.sales if s.trade.account == member.account_id]
        parts.append(AccountPart(
            account_id=member.account_id, account_type=member.account_type, traded=traded,
            value_before=to_cents(own.value_before), value_after=to_cents(own.value_after),
            cash_before=to_cents(own.cash_before), cash_after=to_cents(own.cash_after),
            realized_short_term=to_cents(sum((s.realized for s in sales if not s.long_term), Decimal(0))),
            realized_long_term=to_cents(sum((s.realized for s in sales if s.long_term), Decimal(0))),
            disallowed_loss=to_cents(sum((s.disallowed for s in sales), Decimal(0))), contribution=flow,
            cash_flow=to_cents(own.cash_flow), sells=len(own.sales), buys=len(own.buys)))
    return replace(merged, problems=(*merged.problems, *problems)), tuple(parts)


def plan(accounts: Account | list[Account], policy: CompiledPolicy, market: Market,
         options: RebalanceOptions = RebalanceOptions(), terms: HouseholdTerms | None = None,
         account_rules: Mapping[str, Sequence[RuleIR]] | None = None) -> Plan:
    """Rebalance one account, or a household's accounts in one model (`terms`: the accounts counted
    but never traded, and the cash each may receive from the others; `account_rules`: each account's
    own policy's rules, by account id, which govern that account's part of the model and are checked
    on its own trades)."""
    account_rules = account_rules or {}
    accounts = [accounts] if isinstance(accounts, Account) else list(accounts)
    timings: dict[str, float] = {}
    started = time.perf_counter()
    for account in accounts:
        check_account(policy, account)
        market.check_account(account)
    model = AccountModel(accounts, market, terms=terms)
    provenance = lower_policy(policy, model, account_rules)
    timings["build"] = time.perf_counter() - started
    solution = solve(model, SolveOptions(time_limit=options.time_limit, mip_gap=options.mip_gap,
                                         log=options.log))
    timings["handoff"] = solution.timings["handoff"]
    timings["solve"] = solution.timings["solve"]
    started = time.perf_counter()
    account = model.data.account
    outcome, violations, parts = None, (), ()
    if solution.status in ("optimal", "feasible"):
        trades = extract_trades(model, solution, whole_shares=model.whole_shares)
        target = {t: float(w) for t, w in zip(model.data.tickers, model.target_weights, strict=True) if w > 0}
        moved = extract_contributions(model, solution)
        outcome, parts = _outcome(model, trades, target, moved, account_rules)
        violations = tuple(verify(outcome, policy.rules))
        # Refused: under whole shares, the trades without the remainders of the positions they exit;
        # then with a gain sale cut by the shares its lines' cents add (a limit on gains met exactly,
        # a budget already spent, reads as broken by them). The first the verifier accepts is kept.
        retries = [*([{"exits": False}] if model.whole_shares else []), {"gains_as_reported": True}]
        for retry in retries if violations else []:
            kept = extract_trades(model, solution, whole_shares=model.whole_shares, **retry)
            if kept != trades:
                kept_outcome, kept_parts = _outcome(model, kept, target, moved, account_rules)
                if not (kept_violations := tuple(verify(kept_outcome, policy.rules))):
                    outcome, violations, parts = kept_outcome, kept_violations, kept_parts
                    break
    timings["verify"] = time.perf_counter() - started
    solved = outcome is not None
    info = SolveInfo(status=solution.status, stop=solution.stop, proven_optimal=solution.proven_optimal,
                     mip_gap=round(solution.gap, 6) if np.isfinite(solution.gap) else None,
                     requested_gap=options.mip_gap, time_limit_seconds=options.time_limit,
                     objective_bp=round(solution.objective, 4) if solved else None,
                     bound_bp=round(solution.bound, 4) if np.isfinite(solution.bound) else None,
                     lp_solves=solution.rounds, tangent_cuts=solution.cuts, nodes=solution.nodes,
                     binaries_on=solution.binaries_on, lazy_groups_on=solution.lazy_active,
                     lazy_groups=solution.lazy_total)
    result = RebalanceResult(
        account_id=account.account_id, household_id=account.household_id, as_of=market.as_of,
        priced_as_of=market.pricing_date, market=market.info,
        policy_name=policy.name, policy_hash=policy.policy_hash, policy_sources=policy.sources,
        account_hash=account.input_hash, solve=info, verified=outcome is not None and not violations,
        violations=violations, summary=_summary(outcome) if outcome else None,
        trades=_trade_lines(outcome) if outcome else (),
        basis_adjustments=_basis_adjustments(outcome) if outcome else (), accounts=parts,
        rules=(*(RuleRef(id=r.id, kind=r.kind, span=r.span) for r in policy.rules),
               *(RuleRef(id=account_rule_id(owner, r.id), kind=r.kind, span=r.span)
                 for owner, rules in account_rules.items() for r in rules)),
        timings={k: round(v, 3) for k, v in timings.items()})
    return Plan(result=result, model=model, solution=solution, outcome=outcome, provenance=provenance,
                timings=timings, account_rules=account_rules)


def rebalance(accounts: Account | list[Account], policy: CompiledPolicy, market: Market,
              options: RebalanceOptions = RebalanceOptions()) -> RebalanceResult:
    return plan(accounts, policy, market, options).result

