"""restrict selling: lots named (or all lots of a name) are kept."""

from compiler.rules.restrict_selling import RestrictSellingIR
from solver.account import Account
from solver.market import Market
from tests.solver.conftest import run, span


def test_no_jpm_lot_is_sold(legacy_account: Account, market: Market) -> None:
    assert run(legacy_account, market).outcome.sold(["JPM"])  # the default trims JPM
    rule = RestrictSellingIR(id="keep-jpm", span=span(5), subject="JPM", tickers=("JPM",), lot_ids=())
    outcome = run(legacy_account, market, rule).outcome
    assert not outcome.sold(["JPM"])
    assert outcome.shares_after["JPM"] == outcome.shares_before["JPM"]


def test_named_lots_are_kept(legacy_account: Account, market: Market) -> None:
    sold = [s.trade.lot_id for s in run(legacy_account, market).outcome.sales][:3]
    rule = RestrictSellingIR(id="gifted-lots", span=span(5), subject="lots", tickers=(), lot_ids=tuple(sold))
    outcome = run(legacy_account, market, rule).outcome
    assert not {s.trade.lot_id for s in outcome.sales} & set(sold)
