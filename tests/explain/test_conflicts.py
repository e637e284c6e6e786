"""Which rules conflict: elastic mode, an irreducible set of rules, and the nearest feasible plan."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from compiler.check import compile_policy
from compiler.rules import RULE_KINDS
from compiler.rules.trading import TradingIR
from engine.explain import conflict, explain, relaxed_plan
from engine.explain.elastic import ElasticModel, conflicting_rules
from engine.rebalance import plan
from solver.account import Account
from solver.account_files import load_account
from solver.handoff import INF
from solver.market import Market
from tests.explain.conftest import ROOT, at, budget, cap, exclude, policy

# JPM is ~24% of the legacy portfolio with large long-term gains: a 5% cap needs them realized.
RULES = (
    cap("cap-jpm", "JPM", 0.05, 5),
    budget("budget-lt", "long_term", 0, 6),
    exclude("no-xom", ("XOM",), 7),
)


@pytest.fixture(scope="module")
def infeasible(legacy: Account, market: Market):
    compiled = policy(*RULES)
    solved = plan(legacy, compiled, market)
    assert solved.result.solve.status == "infeasible"
    return solved, compiled


def test_conflict_names_exactly_the_rules_that_cannot_hold_together(infeasible) -> None:
    solved, compiled = infeasible
    conflict = explain(solved, compiled).conflict
    assert conflict is not None
    assert set(conflict.rules) == {"cap-jpm", "budget-lt"}
    assert "`cap-jpm` (policies/example.tailor:5)" in conflict.text
    assert "`budget-lt` (policies/example.tailor:6)" in conflict.text


def test_a_plan_that_was_found_has_no_conflict_to_name(legacy: Account, market: Market) -> None:
    """Asked of a rebalance that found a plan, the conflict search refuses: it would have answered
    that no rule conflicts and the account "cannot be traded at all" (the explanation benchmark's
    once-infeasible policy had become feasible and reported an empty conflict)."""
    kept = [r for r in RULES if r.id != "budget-lt"]
    compiled = policy(*kept)
    solved = plan(legacy, compiled, market)
    assert solved.result.solve.status == "optimal"
    with pytest.raises(ValueError, match="found a plan"):
        conflict(solved, compiled)


def test_each_conflicting_rule_is_enough_to_give_and_says_how_far(infeasible) -> None:
    solved, compiled = infeasible
    relaxations = {r.rule_id: r for r in explain(solved, compiled).conflict.relaxations}
    assert all(r.feasible_alone and r.slack > 0 for r in relaxations.values())
    assert any("above its cap of 5.0000%" in n for n in relaxations["cap-jpm"].needs)
    assert any(n.startswith("long-term budget of $0 exceeded") for n in relaxations["budget-lt"].needs)


def test_the_conflict_is_irreducible(infeasible, legacy: Account, market: Market) -> None:
    """Independently of elastic mode: each rule alone holds, and the pair does not."""
    solved, compiled = infeasible
    rules = set(explain(solved, compiled).conflict.rules)
    for dropped in rules:
        kept = [r for r in RULES if r.id != dropped]
        assert plan(legacy, policy(*kept), market).result.solve.status == "optimal"


def test_relaxed_plan_gives_up_only_conflicting_rules(infeasible) -> None:
    solved, compiled = infeasible
    relaxed = relaxed_plan(solved, compiled)
    assert relaxed.summary is not None and relaxed.solve.status == "relaxed"
    given_up = {v.rule_id for v in relaxed.violations}
    assert given_up and given_up <= {"cap-jpm", "budget-lt"}
    assert not relaxed.verified and set(relaxed.verified_except) == given_up
    assert not any(t.ticker == "XOM" and t.action == "buy" for t in relaxed.trades)
    held_xom = [t for t in relaxed.trades if t.ticker == "XOM" and t.action == "sell"]
    assert held_xom  # the satisfiable exclusion still sells XOM


@pytest.mark.parametrize("locked", ["cap-jpm", "budget-lt"])
def test_the_nearest_plan_keeps_the_locked_rule(locked: str, legacy: Account, market: Market) -> None:
    """A locked rule takes precedence: whichever of the two is locked, the nearest plan keeps it and
    gives up the other, and the verifier confirms that it keeps every rule but that one."""
    rules = [r.model_copy(update={"locked": r.id == locked}) for r in RULES]
    compiled = policy(*rules)
    relaxed = relaxed_plan(plan(legacy, compiled, market), compiled)
    assert relaxed is not None
    other = ({"cap-jpm", "budget-lt"} - {locked}).pop()
    assert relaxed.verified_except == (other,)
    assert {v.rule_id for v in relaxed.violations} == {other}


def test_slack_goes_on_every_bounded_row_of_every_rule_block_and_nowhere_else(infeasible) -> None:
    solved, compiled = infeasible
    elastic = ElasticModel(solved.model, solved.solution.compiled, compiled, solved.provenance)
    rule_rows = [
        r
        for r, c in enumerate(elastic.compiled.rows)
        if c.parent_block() is not None and c.parent_block().local_name in solved.provenance
    ]
    lower, upper = elastic.compiled.row_lower, elastic.compiled.row_upper
    expected = int(np.sum(upper[rule_rows] < INF) + np.sum(lower[rule_rows] > -INF))
    assert sum(len(c) for c in elastic.slack_cols.values()) == expected > 0
    assert set(elastic.slack_cols) <= {r.id for r in compiled.rules}


def test_a_cap_that_cannot_be_met_at_once_is_offered_a_glide_path(legacy: Account, market: Market) -> None:
    """Cutting JPM (27% of the account) to 10% at once needs ~$750k of long-term gains; the budget
    allows $300k. Besides loosening either rule, the explanation offers the shortest glide path under
    which the whole policy holds — and it does."""
    rules = (cap("cap-jpm", "JPM", 0.10, 5), budget("budget-lt", "long_term", 300_000, 6))
    found = explain(plan(legacy, policy(*rules), market), policy(*rules)).conflict
    assert sorted(found.rules) == ["budget-lt", "cap-jpm"]
    assert found.alternatives == ("spread `cap-jpm` (policies/example.tailor:5) over 2 years "
                                  "(a re-solve confirms the policy then holds)",)
    assert found.alternatives[0] in found.text
    glide = rules[0].model_copy(update={"years": 2})
    assert plan(legacy, policy(glide, rules[1]), market).result.verified
    assert RULE_KINDS["cap"].alternatives(glide) == []  # a cap already on a glide path offers none


def test_the_batch_names_the_same_conflict_as_explain(infeasible) -> None:
    """A batch records only the conflicting rules (conflicting_rules), without the rest of the
    explanation: they are the rules `tailor explain` names."""
    solved, compiled = infeasible
    assert conflicting_rules(solved, compiled) == explain(solved, compiled).conflict.rules


def test_a_conflict_that_needs_whole_shares_is_cut_down_by_the_integer_pass(
    legacy: Account, market: Market
) -> None:
    """JPM held between 5% and 5.0001% of the account: the band is narrower than one share, so with
    whole shares it cannot hold on its own, while its linear relaxation can. The relaxed pass of the
    conflict search localises {budget-lt, band-jpm} (the band's 5% needs long-term gains); the
    integer pass drops the budget, and the conflict named is the band alone."""
    whole = TradingIR(id="whole", span=at(5), min_trade_usd=None, whole_shares=True, max_turnover=None,
                      max_positions=None)
    band = cap("band-jpm", "JPM", 0.050001, 7).model_copy(update={"min_weight": 0.05})
    compiled = policy(whole, budget("budget-lt", "long_term", 0, 6), band)
    solved = plan(legacy, compiled, market)
    assert solved.result.solve.status == "infeasible"
    elastic = ElasticModel(solved.model, solved.solution.compiled, compiled, solved.provenance)
    candidates = [r.id for r in compiled.rules if r.id in elastic.slack_cols]
    assert elastic.deletion_filter(candidates, relaxation=True) == ["budget-lt", "band-jpm"]
    assert elastic.irreducible() == ["band-jpm"]
    # independently of elastic mode: the band cannot hold with whole shares, and holds without them
    assert plan(legacy, policy(whole, band), market).result.solve.status == "infeasible"
    assert plan(legacy, policy(band), market).result.solve.status == "optimal"


def test_a_feasibility_test_is_decided_by_its_work_limits_not_the_clock(
        market: Market, tmp_path: Path) -> None:
    """`sp500_2000` under the direct-indexing model, tracking within 0.05% and no net gains: no plan.
    The conflict search asks whether the wash-sale window and the tracking limit hold without the
    budget. With the policy's objective off (a pure feasibility test), HiGHS's root LP ran 580,000
    simplex iterations into the 30 s clock and the test ended undecided; with it on (the answer does
    not depend on it), a first point decides it, and the budget is proven needed."""
    text = (f'policy "tight"\nlayer account\nextends "{ROOT}/policies/models/direct_index.tailor"\n\n'
            "rule tight-tracking: tracking error at most 0.05%\n"
            "rule no-gains: budget net gains $0 per year\n")
    (tmp_path / "tight.tailor").write_text(text)
    compiled = compile_policy(tmp_path / "tight.tailor")
    account = load_account(ROOT / "examples" / "accounts" / "sp500_2000" / "account.yaml")
    solved = plan(account, compiled, market)
    assert solved.result.solve.status == "infeasible"
    elastic = ElasticModel(solved.model, solved.solution.compiled, compiled, solved.provenance)
    assert elastic.feasible({"firm-wash-sale", "tight-tracking"})
    assert elastic.decided
    assert not elastic.feasible({"firm-wash-sale", "tight-tracking", "no-gains"}, relaxation=True)
