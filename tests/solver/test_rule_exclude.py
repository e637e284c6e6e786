"""exclude: sells every lot of the excluded names and never buys them."""

from datetime import date
from decimal import Decimal

from compiler.rules.budget import BudgetIR
from compiler.rules.exclude import ExcludeIR
from solver.account import Account
from solver.lots import Lot
from solver.market import Market
from tests.solver.conftest import run, span, with_lots

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


def test_a_sliver_of_an_excluded_name_is_sold(legacy_account: Account, market: Market) -> None:
    """The account holds TSLA only as a sliver: 0.000001 shares ($0.0007), as a wash sale's basis
    adjustment leaves behind. The model cannot see it (under its tolerance); the plan must still
    sell it, or the exclusion is not met (V203) and the verifier refuses the plan."""
    sliver = Lot(lot_id="TSLA-SLIVER", ticker="TSLA", acquired=date(2020, 4, 2), shares=Decimal("0.000001"),
                 basis_per_share=Decimal("96.00"))
    no_tsla = ExcludeIR(id="no-tsla", span=span(5), subject="TSLA", tickers=("TSLA",), sell="immediately")
    outcome = run(with_lots(legacy_account, sliver), market, no_tsla).outcome  # (run asserts verified)
    sold = [(s.trade.lot_id, s.trade.shares) for s in outcome.sold(["TSLA"])]
    assert sold == [("TSLA-SLIVER", sliver.shares)]
    assert outcome.shares_after.get("TSLA", 0) == 0
