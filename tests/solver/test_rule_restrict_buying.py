"""restrict buying: names the default would buy are not bought."""

from pathlib import Path

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


def test_outside_target_buys_only_the_models_names(legacy_account: Account, market: Market,
                                                   tmp_path: Path) -> None:
    """A 100-name model mandate (the 100 largest S&P 500 names): without the rule the optimizer buys
    names outside the model (factor hedges); with it every buy is one of the 100, and the verifier's
    check finds the buys outside in the plan made without it."""
    from compiler.rules.restrict_buying import RestrictBuying
    from compiler.rules.target import TargetIR
    from market.index import index_weights

    weights = index_weights(market.as_of, scheme="cap").sort_values(ascending=False).head(100)
    model = tmp_path / "top100.csv"
    weights = weights / weights.sum()
    model.write_text("ticker,weight\n" + "".join(f"{t},{w:.12f}\n" for t, w in weights.items()))
    target = TargetIR(id="target", span=span(1), benchmark="model", model_path=str(model))
    rule = RestrictBuyingIR(id="mandate", span=span(5), subject="names outside the target", tickers=(),
                            outside_target=True)
    free = run(legacy_account, market, target).outcome
    outside = {t.ticker for t in free.buys} - set(weights.index)
    assert outside, "the test needs a plan that buys outside the model"
    strict = run(legacy_account, market, target, rule).outcome
    assert strict.buys and {t.ticker for t in strict.buys} <= set(weights.index)
    found = RestrictBuying().verify(rule, free)
    assert {v.code for v in found} == {"V204"} and len(found) == len(free.bought(outside))
    assert not RestrictBuying().verify(rule, strict)
