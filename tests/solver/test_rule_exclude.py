"""exclude: sells every lot of the excluded names and never buys them."""

from decimal import Decimal

from compiler.rules.budget import BudgetIR
from compiler.rules.exclude import ExcludeIR
from solver.account import Account
from solver.market import Market
from tests.solver.conftest import run, span

TOBACCO = ExcludeIR(id="no-tobacco", span=span(5), subject="category tobacco (core)", tickers=("MO", "PM"),
                    sell="immediately")


def test_exclude_sells_tobacco_and_never_buys_it(legacy_account: Account, market: Market) -> None:
    before = run(legacy_account, market).outcome
    assert before.shares_after.get("MO", 0) > 0  # the default keeps MO
    after = run(legacy_account, market, TOBACCO).outcome
    assert after.shares_after.get("MO", 0) == 0 and after.shares_after.get("PM", 0) == 0
    assert not after.bought(["MO", "PM"])
    assert {s.trade.ticker for s in after.sales} >= {"MO"}


def test_exclude_as_budget_allows_sells_only_what_the_budget_allows(legacy_account: Account,
                                                                   market: Market) -> None:
    gradual = TOBACCO.model_copy(update={"sell": "as_budget_allows"})
    budget = BudgetIR(id="lt", span=span(6), measure="long_term", amount=Decimal(20000))  # all used YTD
    outcome = run(legacy_account, market, gradual, budget).outcome
    assert outcome.ytd_long_term <= Decimal(20000)
    assert not outcome.bought(["MO", "PM"])
    # No room left this year: long-term gains on MO are paid for by harvesting long-term losses.
    assert outcome.realized_long_term <= 0
    assert outcome.weight_after(["MO"]) < outcome.weight_before(["MO"])
