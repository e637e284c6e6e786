"""The conflict search's integer tests under whole shares (engine/explain/elastic.py): a rule set whose
relaxation holds needs one whole-share point to show that it holds, found by rounding the share counts
and branching on the few binaries left, or from the relaxation with the tracking-error limit backed
off — where HiGHS's MIP spent 2–4 s a test on the batch book's `retiree_cash` accounts."""

from __future__ import annotations

from pathlib import Path

import pytest

from compiler.check import compile_policy
from engine.explain import conflict
from engine.explain.elastic import ElasticModel, conflicting_rules
from engine.rebalance import Plan, plan
from solver.account_files import load_account
from solver.market import Market

ROOT = Path(__file__).resolve().parents[2]
ACCOUNT = Path(__file__).parent / "accounts" / "whole_share_conflict" / "account.yaml"
POLICY = ROOT / "policies" / "clients" / "retiree_cash.tailor"
CONFLICT = ("model-tracking", "budget-tax")


@pytest.fixture(scope="module")
def infeasible(market: Market) -> Plan:
    solved = plan(load_account(ACCOUNT), compile_policy(POLICY), market)
    assert solved.result.solve.status == "infeasible"
    return solved


def test_the_tracking_error_test_needs_no_mip(infeasible: Plan, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test that keeps the tracking-error limit is decided without HiGHS's MIP (the tax budget
    alone may still need it: its relaxation's point sells exactly up to the budget)."""
    tested: list[frozenset[str]] = []
    by_mip: list[frozenset[str]] = []
    feasible, mip = ElasticModel.feasible, ElasticModel._mip

    def recording_feasible(self: ElasticModel, hard: set[str], relaxation: bool = False) -> bool:
        tested.append(frozenset(hard))
        return feasible(self, hard, relaxation)

    def recording_mip(self: ElasticModel, max_nodes: int) -> str:
        by_mip.append(tested[-1])
        return mip(self, max_nodes)

    monkeypatch.setattr(ElasticModel, "feasible", recording_feasible)
    monkeypatch.setattr(ElasticModel, "_mip", recording_mip)
    assert conflicting_rules(infeasible, compile_policy(POLICY)) == CONFLICT
    assert frozenset({"model-tracking"}) in tested
    assert not [hard for hard in by_mip if "model-tracking" in hard]


def test_the_mip_alone_finds_the_same_conflict(infeasible: Plan, monkeypatch: pytest.MonkeyPatch) -> None:
    """What the rounding, the branching and the backed-off limit answer, HiGHS's MIP answers too: with
    them switched off, every integer test goes to the MIP and the conflict is the same."""
    monkeypatch.setattr(ElasticModel, "_holds_rounded", lambda self: False)
    monkeypatch.setattr(ElasticModel, "_holds_counts_rounded", lambda self: False)
    monkeypatch.setattr(ElasticModel, "_holds_backed_off", lambda self: False)
    monkeypatch.setattr(ElasticModel, "_branch", lambda self, fixed=None: None)
    assert conflicting_rules(infeasible, compile_policy(POLICY)) == CONFLICT


def test_a_rule_kept_by_an_undecided_test_is_named(market: Market, monkeypatch: pytest.MonkeyPatch) -> None:
    """tests/solver/accounts/held_netting_infeasible: every test is decided (since the wash-sale
    splits' rows, solver/perspective.py, HiGHS's MIP proves the set without `cash` infeasible; it
    used to find a whole-share point there that polishing could not keep). When the test without a
    rule is undecided within the work limits — made so here — that rule stays in the conflict as
    unproven: the set is shown to conflict, not to be the smallest."""
    account = ROOT / "tests" / "solver" / "accounts" / "held_netting_infeasible" / "account.yaml"
    policy = compile_policy(POLICY)
    solved = plan(load_account(account), policy, market)
    decided = ElasticModel(solved.model, solved.solution.compiled, policy, solved.provenance)
    assert decided.irreducible() == ["firm-wash-sale", "model-tracking", "cash", "budget-tax"]
    assert decided.unproven == set()
    feasible = ElasticModel.feasible

    def undecided_without_cash(self: ElasticModel, hard: set[str], relaxation: bool = False) -> bool:
        if relaxation or "cash" in hard:
            return feasible(self, hard, relaxation)
        self.decided = False  # as when the work limit ends the integer test
        return True

    monkeypatch.setattr(ElasticModel, "feasible", undecided_without_cash)
    elastic = ElasticModel(solved.model, solved.solution.compiled, policy, solved.provenance)
    conflict = elastic.irreducible()
    assert conflict == ["firm-wash-sale", "model-tracking", "cash", "budget-tax"]
    assert elastic.unproven == {"cash"}
    monkeypatch.undo()
    assert not ElasticModel(solved.model, solved.solution.compiled, policy, solved.provenance).feasible(
        set(conflict))


def test_a_rule_whose_least_give_is_unproven_says_how_far_at_most(infeasible: Plan) -> None:
    """The least-slack MIP of `budget-tax` alone reaches its node limit with a plan in hand: the rule
    is enough to give (a plan holds with only it relaxed), and how far that plan takes it is a bound
    on what it must give, stated as one ("at most"), where the conflict said only "undecided"."""
    policy = compile_policy(POLICY)
    found = conflict(infeasible, policy)
    budget = next(r for r in found.relaxations if r.rule_id == "budget-tax")
    assert budget.feasible_alone and budget.decided and not budget.least
    assert budget.needs and budget.needs[0].startswith("tax budget of $8,000.00 exceeded")
    assert "by at most" in budget.text and "by at most" in found.text
