"""cap: the concentrated employer position comes down to its cap, or one step of its glide path."""

from compiler.rules.cap import Cap, CapIR
from solver.account import Account
from solver.market import Market
from tests.solver.conftest import run, span


def cap(**fields) -> CapIR:
    base = dict(id="cap-jpm", span=span(5), subject="JPM", tickers=("JPM",), max_weight=0.10, min_weight=None,
                years=None, long_term_only=False)
    return CapIR(**{**base, **fields})


def test_cap_brings_jpm_to_ten_percent(legacy_account: Account, market: Market) -> None:
    assert run(legacy_account, market).outcome.weight_after(["JPM"]) > 0.15
    outcome = run(legacy_account, market, cap()).outcome
    assert float(outcome.weight_after(["JPM"])) <= 0.10 + 1e-6


def test_glide_path_closes_a_third_of_the_gap_with_long_term_lots(legacy_account: Account,
                                                                   market: Market) -> None:
    rule = cap(years=3, long_term_only=True)
    outcome = run(legacy_account, market, rule).outcome
    now = float(outcome.weight_before(["JPM"]))
    step = now - (now - 0.10) / 3
    assert float(outcome.weight_after(["JPM"])) <= step + 1e-6
    assert all(s.long_term for s in outcome.sold(["JPM"]))


def test_sector_floor(legacy_account: Account, market: Market) -> None:
    banks = ("BAC", "C", "JPM", "WFC")
    outcome = run(legacy_account, market, cap(subject="banks", tickers=banks, max_weight=None,
                                                min_weight=0.30)).outcome
    weight = float(outcome.weight_after(banks))
    assert weight >= 0.30 - 1e-6
    # The verifier tells the two ways a cap fails apart: below its floor (V220), above its cap (V206).
    below = cap(subject="banks", tickers=banks, max_weight=None, min_weight=weight + 0.01)
    above = cap(subject="banks", tickers=banks, max_weight=weight - 0.01)
    assert [v.code for v in Cap().verify(below, outcome)] == ["V220"]
    assert [v.code for v in Cap().verify(above, outcome)] == ["V206"]


def test_a_cap_as_budget_allows_gives_way_to_the_budget(legacy_account: Account, market: Market) -> None:
    """Cutting JPM to 10% at once needs far more long-term gains than a $100k budget (with $20k
    already realized this year) allows. A plain cap makes the policy infeasible; `as budget allows`
    sells JPM down as far as the budget goes — the budget binds, the cap gives way (issue 9 §4)."""
    from decimal import Decimal

    from compiler.rules.budget import BudgetIR
    from engine.rebalance import plan
    from tests.solver.conftest import policy

    budget = BudgetIR(id="lt-budget", span=span(6), measure="long_term", amount=Decimal(100_000))
    hard = plan(legacy_account, policy(cap(long_term_only=True), budget), market)
    assert hard.result.solve.status == "infeasible"
    outcome = run(legacy_account, market, cap(long_term_only=True, as_budget_allows=True), budget).outcome
    before, after = float(outcome.weight_before(["JPM"])), float(outcome.weight_after(["JPM"]))
    assert 0.10 < after < before - 0.02
    assert outcome.ytd_long_term > Decimal(99_990)  # the whole budget goes to cutting JPM
    assert all(s.long_term for s in outcome.sold(["JPM"])) and not outcome.bought(["JPM"])
