"""budget: realized gains this tax year, including what was realized before, stay within the budget."""

from decimal import Decimal

from compiler.rules.budget import BudgetIR
from solver.account import Account
from solver.market import Market
from tests.solver.conftest import run, span


def budget(measure: str, amount: int) -> BudgetIR:
    return BudgetIR(id=f"budget-{measure}", span=span(5), measure=measure, amount=Decimal(amount))


def test_long_term_budget_counts_year_to_date_gains(legacy_account: Account, market: Market) -> None:
    assert legacy_account.tax.realized_long_term_ytd == 20000
    assert run(legacy_account, market).result.summary.realized_long_term > 100000
    outcome = run(legacy_account, market, budget("long_term", 50000)).outcome
    assert outcome.ytd_long_term <= 50000
    assert outcome.realized_long_term <= 30000  # only $30,000 of room left this year


def test_short_term_and_net_budgets(legacy_account: Account, market: Market) -> None:
    outcome = run(legacy_account, market, budget("short_term", 3500), budget("net", 40000)).outcome
    assert outcome.ytd_short_term <= 3500
    assert outcome.ytd_short_term + outcome.ytd_long_term <= 40000


def test_tax_budget_uses_netted_tax(legacy_account: Account, market: Market) -> None:
    rule = budget("tax", 15000)
    outcome = run(legacy_account, market, rule).outcome
    from compiler.rules import RULE_KINDS

    assert RULE_KINDS["budget"].measured(rule, outcome) <= 15000
