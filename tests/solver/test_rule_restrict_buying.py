"""restrict buying: names the default would buy are not bought."""

from compiler.rules.restrict_buying import RestrictBuyingIR
from solver.account import Account
from solver.market import Market
from tests.solver.conftest import run, span


def test_restricted_names_are_not_bought(legacy_account: Account, market: Market) -> None:
    default_buys = {t.ticker for t in run(legacy_account, market).outcome.buys}
    banned = tuple(sorted(default_buys))[:5]
    rule = RestrictBuyingIR(id="no-competitors", span=span(5), subject="competitors", tickers=banned)
    outcome = run(legacy_account, market, rule).outcome
    assert not outcome.bought(banned)
    assert outcome.buys  # the money goes elsewhere
