"""Run policy tests: rebalance each case's account under its policy, explain when asked, and check
every expectation. A failure names the expectation's file:line:column, what was expected and what
came out; a case whose policy or account does not load reports those diagnostics instead."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cached_property

from compiler.ir import CompiledPolicy
from core.diagnostics import Diagnostic, TailorError
from core.suggest import did_you_mean
from engine.explain import explain
from engine.explain.policy_tests import COUNT, MONEY, PERCENT, Expectation, PolicyCase
from engine.explain.render import to_text
from engine.explain.schema import Explanation
from engine.rebalance import Plan, RebalanceOptions, plan
from solver.market import Market
from solver.tax import money_text


@dataclass
class CaseResult:
    case: PolicyCase
    failures: list[str] = field(default_factory=list)
    errors: list[Diagnostic] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return not self.failures and not self.errors


class _Subject:
    """What expectations look at: the plan, and its explanation computed only when needed."""

    def __init__(self, solved: Plan, policy: CompiledPolicy):
        self.plan, self.policy = solved, policy

    @cached_property
    def explanation(self) -> Explanation:
        return explain(self.plan, self.policy)


def _fmt(key: str, value: Decimal | float) -> str:
    if key in PERCENT:
        return f"{float(value) * 100:.4g}%"
    if key in COUNT:
        return str(int(value))
    return money_text(Decimal(value))


def _measure(subject: _Subject, key: str) -> Decimal | None:
    result = subject.plan.result
    if key == "trades":
        return Decimal(len(result.trades))
    summary = result.summary
    if summary is None:
        return None
    value = {"cash_after": summary.cash_after, "tracking_error": summary.tracking_error_after}.get(key)
    if value is None:
        value = getattr(summary, key)
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


def _rule_tickers(subject: _Subject, rule_id: str, lots: bool = False) -> set[str] | str:
    ids = [r.id for r in subject.policy.rules]
    if rule_id not in ids:
        return f"the policy has no rule `{rule_id}`" + (
            f" ({hint})" if (hint := did_you_mean(rule_id, ids)) else ""
        )
    rule = subject.policy.by_id(rule_id)
    found = set(getattr(rule, "tickers", ()) or ())
    if lots:
        found |= set(getattr(rule, "lot_ids", ()) or ())
    if not found:
        return f"rule `{rule_id}` names no securities"
    return found


def _check(expectation: Expectation, subject: _Subject) -> str | None:
    """None when the expectation holds; otherwise what went wrong."""
    key, value, result = expectation.key, expectation.value, subject.plan.result
    if key == "status":
        ok = result.solve.status == value or (value == "feasible" and result.solve.status == "optimal")
        return None if ok else f"expected status {value}, got {result.solve.status}"
    if key == "verified":
        return (
            None
            if result.verified == value
            else f"expected verified: {value}, got {result.verified}"
            + (f" ({'; '.join(v.message for v in result.violations[:3])})" if result.violations else "")
        )
    if key in (*MONEY, *PERCENT, *COUNT):
        bound, limit = value  # type: ignore[misc]
        actual = _measure(subject, key)
        if actual is None:
            return (
                f"expected {key} {bound.replace('_', ' ')} {_fmt(key, limit)}, but there is no plan "
                f"(status {result.solve.status})"
            )
        ok = actual <= limit if bound == "at_most" else actual >= limit
        return (
            None
            if ok
            else f"expected {key} {bound.replace('_', ' ')} {_fmt(key, limit)}, got {_fmt(key, actual)}"
        )
    if key in ("binding", "not_binding"):
        costs = {c.rule_id: c for c in subject.explanation.rules}
        wrong = []
        for rule_id in value:  # type: ignore[union-attr]
            if rule_id not in costs:
                return f"no rule `{rule_id}` in the explanation (is the plan infeasible?)" + (
                    f"; {hint}" if (hint := did_you_mean(rule_id, list(costs))) else ""
                )
            active = costs[rule_id].binding or costs[rule_id].shapes_objective
            if active != (key == "binding"):
                wrong.append(rule_id)
        return None if not wrong else f"expected {', '.join(wrong)} {key.replace('_', ' ')}, but it is not"
    if key == "conflict":
        conflict = subject.explanation.conflict
        found = [sorted(c) for c in ((conflict.rules, *conflict.also) if conflict else ())]
        if sorted(value) in found:
            return None
        return f"expected a conflict between {sorted(value)}, found {found or 'none'}"
    if key == "explanation_contains":
        text = to_text(subject.explanation)
        missing = [v for v in value if v not in text]  # type: ignore[union-attr]
        return None if not missing else f"the explanation does not contain {missing}"
    return _tickers(key, value, subject)  # type: ignore[arg-type]


def _tickers(key: str, value: tuple[str, ...], subject: _Subject) -> str | None:
    outcome = subject.plan.outcome
    if outcome is None:
        return f"expected {key}, but there is no plan (status {subject.plan.result.solve.status})"
    names: set[str] = set()
    if key.endswith("_of"):
        for rule_id in value:
            found = _rule_tickers(subject, rule_id, lots=key.startswith("sells"))
            if isinstance(found, str):
                return found
            names |= found
    else:
        names = set(value)
    if key.startswith("holds"):
        bad = sorted(t for t, s in outcome.shares_after.items() if s > 0 and t in names)
        verb = "still held"
    elif key.startswith("buys"):
        bad = sorted({t.ticker for t in outcome.buys if t.ticker in names})
        verb = "bought"
    else:
        bad = sorted(
            {
                s.trade.ticker if s.trade.ticker in names else s.trade.lot_id or ""
                for s in outcome.sales
                if s.trade.ticker in names or s.trade.lot_id in names
            }
        )
        verb = "sold"
    return None if not bad else f"{key}: {', '.join(bad[:10])}{' …' if len(bad) > 10 else ''} {verb}"


def run_case(case: PolicyCase, markets: dict[date, Market]) -> CaseResult:
    from compiler.check import compile_policy
    from solver.account_files import load_account, resolve_as_of

    started = time.perf_counter()
    outcome = CaseResult(case)
    try:
        policy = compile_policy(case.policy)
        account = load_account(case.account)
        as_of = resolve_as_of(account, case.as_of, flag="`as_of`")
        if as_of not in markets:
            markets[as_of] = Market.load(as_of)
        solved = plan(account, policy, markets[as_of], RebalanceOptions(time_limit=case.time_limit))
        subject = _Subject(solved, policy)
        for expectation in case.expectations:
            problem = _check(expectation, subject)
            if problem is not None:
                outcome.failures.append(f"{expectation.span}: {problem}")
    except TailorError as exc:
        outcome.errors = exc.diagnostics
    outcome.seconds = time.perf_counter() - started
    return outcome
