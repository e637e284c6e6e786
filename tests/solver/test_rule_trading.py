"""trading: minimum trade sizes, whole shares, turnover and position limits."""

from collections import defaultdict
from decimal import Decimal

from compiler.lower import block_name, rule_of
from compiler.rules.trading import TradingIR
from solver.account import Account
from solver.market import Market
from tests.solver.conftest import run, span


def trading(**fields) -> TradingIR:
    base = dict(id="trading", span=span(5), min_trade_usd=None, whole_shares=False, max_turnover=None,
                max_positions=None)
    return TradingIR(**{**base, **fields})


def orders(outcome) -> dict[tuple[str, str], Decimal]:
    total: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for s in outcome.sales:
        total["sell", s.trade.ticker] += s.trade.amount
    for t in outcome.buys:
        total["buy", t.ticker] += t.amount
    return total


def test_minimum_trade_and_whole_shares(legacy_account: Account, market: Market) -> None:
    free = orders(run(legacy_account, market).outcome)
    assert min(free.values()) < 5000
    outcome = run(legacy_account, market, trading(min_trade_usd=Decimal(5000), whole_shares=True)).outcome
    for (action, ticker), amount in orders(outcome).items():
        assert amount >= 5000 or (action == "sell" and ticker not in outcome.shares_after)
    assert all(t.shares == t.shares.to_integral_value() for t in outcome.buys)


def test_minimum_trade_rows_belong_to_the_trading_rule(legacy_account: Account, market: Market) -> None:
    """The semi-continuous rows sit in the trading rule's Block: explanations price them and elastic
    mode relaxes them under the rule's own id, never as anonymous base-model rows."""
    solved = run(legacy_account, market, trading(min_trade_usd=Decimal(5000)))
    block = solved.model.m.component(block_name("trading"))
    rows = [row for name in ("min_buy", "min_sell") for row in block.component(name).values()]
    assert len(rows) > 30
    assert {rule_of(row, solved.provenance).rule_id for row in rows} == {"trading"}


def test_turnover_limit(legacy_account: Account, market: Market) -> None:
    outcome = run(legacy_account, market, trading(max_turnover=0.02)).outcome
    sold = sum(s.trade.amount for s in outcome.sales)
    assert sold <= Decimal("0.02") * outcome.value_before + Decimal("0.01")


def test_position_limit(legacy_account: Account, market: Market) -> None:
    free = run(legacy_account, market).outcome
    assert len(free.shares_after) > 40
    outcome = run(legacy_account, market, trading(max_positions=35)).outcome
    assert sum(1 for s in outcome.shares_after.values() if s > 0) <= 35


def test_turnover_means_sales_over_value_before_everywhere(legacy_account: Account, market: Market) -> None:
    """One meaning of turnover: the rule's constraint, its check and `summary.turnover` all count the
    value sold over the account value before trading; buys do not count."""
    from compiler.rules import RULE_KINDS

    solved = run(legacy_account, market, trading(max_turnover=0.02))
    outcome = solved.outcome
    sold = sum((s.trade.amount for s in outcome.sales), Decimal(0))
    bought = sum((t.amount for t in outcome.buys), Decimal(0))
    assert sold > 0 and bought != sold  # (bought + sold) / 2 would give another figure
    assert outcome.turnover == sold / outcome.value_before
    assert solved.result.summary.turnover == round(float(sold / outcome.value_before), 6)
    assert solved.result.summary.turnover <= 0.02 + 1e-6
    check = RULE_KINDS["trading"].verify
    assert check(trading(max_turnover=float(outcome.turnover) + 1e-5), outcome) == []
    assert [v.code for v in check(trading(max_turnover=float(outcome.turnover) - 1e-5), outcome)] == ["V215"]
