"""Golden files: what `tailor explain` must say for shipped policies on shipped example accounts.

A rebalance has many equally optimal plans, so the golden (expected/<case>.json) holds only the facts
every correct solve agrees on — statuses, objective values within a stated tolerance, each rule's
effect and price, conflicting rule sets, the wording's outline — never a trade list, a per-lot amount
or a figure measured on one arbitrary optimum. facts.py says what is pinned and with what tolerance.

Each golden is checked twice: as solved here, and with HiGHS switched to another simplex strategy
and seed, which lands on other optimal vertices where a problem is degenerate. A fact that
held only for one of them would be one machine's accident, not a property of the policy.

After an intended change (of wording, of a policy, of the solver), regenerate with
`UPDATE_GOLDEN=1 .venv/bin/pytest tests/golden/explanations`: rewritten files fail their tests
(tests/golden/update.py) until the diff is reviewed and the tests run again without UPDATE_GOLDEN.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import highspy
import pytest

from compiler.check import compile_policy
from engine.explain import explain
from engine.explain.render import to_text
from engine.explain.schema import Explanation
from engine.rebalance import Plan, plan
from solver.account_files import load_account
from solver.market import Market
from tests.golden.explanations.facts import as_golden, differences, facts, price_tolerance
from tests.golden.update import update, updating

ROOT = Path(__file__).resolve().parents[3]
EXPECTED = Path(__file__).parent / "expected"
CASES = {
    "legacy_three_year__legacy_jpm": ("policies/clients/legacy_three_year.tailor", "legacy_jpm"),
    "executive__legacy_jpm": ("policies/clients/executive.tailor", "legacy_jpm"),
    "gift_appreciated__sp500_2000": ("policies/clients/gift_appreciated.tailor", "sp500_2000"),
    "cap_versus_budget__legacy_jpm": ("policies/examples/cap_versus_budget.tailor", "legacy_jpm"),
}
# Another simplex (primal instead of dual) and another seed: other pivots, other optimal vertices.
OTHER_HIGHS = {"simplex_strategy": 4, "random_seed": 7}


@pytest.fixture(scope="module")
def market() -> Market:
    return Market.load(date(2021, 4, 21))


def other_highs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every HiGHS instance made from here on uses OTHER_HIGHS, whatever the solver asks for."""
    set_option, init = highspy.Highs.setOptionValue, highspy.Highs.__init__

    def patched_set(self: highspy.Highs, name: str, value: object) -> object:
        return set_option(self, name, OTHER_HIGHS.get(name, value))

    def patched_init(self: highspy.Highs, *args: object, **kwargs: object) -> None:
        init(self, *args, **kwargs)
        for name, value in OTHER_HIGHS.items():
            set_option(self, name, value)

    monkeypatch.setattr(highspy.Highs, "setOptionValue", patched_set)
    monkeypatch.setattr(highspy.Highs, "__init__", patched_init)


def explained(case: str, market: Market) -> tuple[dict, Plan, Explanation]:
    policy_path, account = CASES[case]
    policy = compile_policy(policy_path)
    solved = plan(load_account(f"examples/accounts/{account}/account.yaml"), policy, market)
    e = explain(solved, policy)
    found = facts({"policy": policy_path, "account": account}, solved, e, policy, to_text(e))
    return found, solved, e


def check_contract(solved: Plan, e: Explanation) -> None:
    """What holds of any correct solve and its explanation, golden or not."""
    result, solve = solved.result, solved.result.solve
    if solve.status == "optimal":
        assert solve.mip_gap is not None and solve.mip_gap <= solve.requested_gap, solve
    if result.summary is not None:
        assert result.verified, result.violations
        assert len(e.trades) == result.summary.sells + result.summary.buys  # every trade has a reason
    if solve.status == "infeasible":
        assert e.conflict is not None and e.conflict.rules, "an infeasible policy names its conflict"
    binding = {c.rule_id for c in e.rules if c.binding}
    for reason in (*e.trades, *e.kept):
        cited = {f.rule_id for f in reason.rules}
        assert cited <= binding, (reason.text, cited - binding)  # a trade cites only rules with a dual
    for cost in e.rules:
        if cost.objective_change_bp is None or solve.objective_bp is None:
            continue
        tolerance = price_tolerance(solve.objective_bp, solve.objective_bp - cost.objective_change_bp,
                                    max(solve.requested_gap, solve.mip_gap or 0.0))
        if abs(cost.objective_change_bp) > tolerance:
            # Removing it moves the optimum, so no optimal dual can be zero on it: its rows bind or
            # its objective terms are in play.
            assert cost.binding or cost.shapes_objective, cost


def compare(case: str, found: dict, write: bool) -> None:
    path = EXPECTED / f"{case}.json"
    if write and updating():
        update(path, json.dumps(as_golden(found), indent=2, ensure_ascii=False) + "\n")
    expected = json.loads(path.read_text(encoding="utf-8"))
    problems = differences(expected, found)
    assert not problems, f"{path.name} differs:\n  " + "\n  ".join(problems)


@pytest.mark.parametrize("case", sorted(CASES))
def test_explanation_facts(case: str, market: Market, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # spans are written relative to the repository, as a user runs the CLI
    found, solved, e = explained(case, market)
    check_contract(solved, e)
    compare(case, found, write=True)


@pytest.mark.parametrize("case", sorted(CASES))
def test_explanation_facts_hold_for_other_optima(case: str, market: Market,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)
    other_highs(monkeypatch)
    found, solved, e = explained(case, market)
    check_contract(solved, e)
    compare(case, found, write=False)  # goldens are written from the default solve only
