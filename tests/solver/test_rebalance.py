"""The engine end to end on the shipped example accounts and real 2021 market data."""

from __future__ import annotations

import pickle
from collections import defaultdict
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from compiler.rules.cap import CapIR
from compiler.rules.restrict_selling import RestrictSellingIR
from compiler.verify_rules import verify
from solver.account import Account
from solver.lots import Trade
from solver.market import Market
from solver.outputs import trades_csv, write_result
from solver.verify import build_outcome
from tests.solver.conftest import run, span


def test_default_policy_on_the_legacy_account(legacy_account: Account, market: Market) -> None:
    plan = run(legacy_account, market)
    result, summary = plan.result, plan.result.summary
    assert result.solve.status == "optimal" and result.solve.proven_optimal
    assert result.solve.mip_gap <= 0.001
    assert summary.tracking_error_after < summary.tracking_error_before
    assert summary.cash_after >= 0
    assert plan.outcome.weight_after(["JPM"]) < plan.outcome.weight_before(["JPM"])
    assert abs(plan.solution.tracking_error_pct / 100 - summary.tracking_error_after) < 1e-4
    assert result.schema_ == "tailor.result/1" and result.account_hash == legacy_account.input_hash


def test_lots_are_chosen_by_tax_cost_not_fifo(legacy_account: Account, market: Market) -> None:
    """Within a ticker, every lot sold costs no more tax per dollar than any lot kept."""
    plan = run(legacy_account, market)
    rates = legacy_account.tax
    price = {t: market.price(t) for t in legacy_account.tickers}

    def tax_rate(lot) -> Decimal:
        rate = rates.long_term_rate if plan.model.data.lot_long_term[plan.model.data.lot_index[lot.lot_id]] \
            else rates.short_term_rate
        return rate * (1 - lot.basis_per_share / price[lot.ticker])

    sold = {s.trade.lot_id for s in plan.outcome.sales}
    untouched = defaultdict(list)
    for lot in legacy_account.lots:
        if lot.lot_id not in sold:
            untouched[lot.ticker].append(tax_rate(lot))
    checked = 0
    for sale in plan.outcome.sales:
        lot = next(x for x in legacy_account.lots if x.lot_id == sale.trade.lot_id)
        if untouched[lot.ticker]:
            assert tax_rate(lot) <= min(untouched[lot.ticker]) + Decimal("0.0001")
            checked += 1
    assert checked > 0


def test_same_inputs_give_the_same_bytes(legacy_account: Account, market: Market, tmp_path: Path) -> None:
    first, second = run(legacy_account, market).result, run(legacy_account, market).result
    # Only the timings may differ: everything else, and so the plan hash, is a function of the inputs.
    untimed = [r.model_copy(update={"timings": {}}).to_json() for r in (first, second)]
    assert untimed[0] == untimed[1]
    assert first.plan_hash == second.plan_hash and len(first.plan_hash) == 64
    assert trades_csv(first) == trades_csv(second)
    assert pickle.loads(pickle.dumps(first)) == first
    paths = write_result(first, tmp_path / "out")
    assert [p.name for p in sorted((tmp_path / "out").iterdir())] == ["result.json", "trades.csv"]
    assert paths[0].read_text().splitlines()[0].startswith("action,ticker,lot_id,acquired,shares")
    assert '"schema": "tailor.result/1"' in paths[1].read_text()


def test_money_is_reported_to_the_cent(legacy_account: Account, market: Market) -> None:
    result = run(legacy_account, market).result
    for line in result.trades:
        assert line.amount == line.amount.quantize(Decimal("0.01"))
        assert line.shares == line.shares.quantize(Decimal("0.000001"))
    assert result.summary.estimated_tax == result.summary.estimated_tax.quantize(Decimal("0.01"))


def test_a_policy_that_cannot_be_met_is_infeasible_not_wrong(legacy_account: Account, market: Market) -> None:
    cap = CapIR(id="cap-jpm", span=span(5), subject="JPM", tickers=("JPM",), max_weight=0.05,
                min_weight=None, years=None, long_term_only=False)
    keep = RestrictSellingIR(id="keep-jpm", span=span(6), subject="JPM", tickers=("JPM",), lot_ids=())
    from engine.rebalance import plan
    from tests.solver.conftest import policy

    result = plan(legacy_account, policy(cap, keep), market).result
    assert result.solve.status == "infeasible"
    assert result.trades == () and result.summary is None and not result.verified


def test_verifier_catches_oversold_lots_and_negative_cash(legacy_account: Account, market: Market) -> None:
    lot = legacy_account.lots[0]
    price = market.price(lot.ticker)
    oversell = Trade(action="sell", ticker=lot.ticker, shares=lot.shares + 1, price=price, lot_id=lot.lot_id,
                     acquired=lot.acquired, basis_per_share=lot.basis_per_share)
    splurge = Trade(action="buy", ticker="AAPL", shares=Decimal(100000), price=market.price("AAPL"))
    outcome = build_outcome(legacy_account, market, [oversell, splurge], {"AAPL": 1.0})
    assert {v.code for v in verify(outcome, [])} == {"V101", "V102"}


def test_verifier_rejects_a_trade_at_another_price(legacy_account: Account, market: Market) -> None:
    trade = Trade(action="buy", ticker="MSFT", shares=Decimal(1), price=Decimal(1))
    outcome = build_outcome(legacy_account, market, [trade], {"MSFT": 1.0})
    assert [v.code for v in outcome.problems] == ["V103"]


@pytest.mark.parametrize("missing", ["ZZZZ"])
def test_unknown_held_ticker_stops_before_solving(legacy_account: Account, market: Market,
                                                  missing: str) -> None:
    from core.diagnostics import TailorError
    from solver.lots import Lot
    from tests.solver.conftest import with_lots

    bad = with_lots(legacy_account, Lot(lot_id="X-1", ticker=missing, acquired=date(2020, 1, 2),
                                        shares=Decimal(1), basis_per_share=Decimal(10)))
    with pytest.raises(TailorError) as exc:
        run(bad, market)
    assert exc.value.diagnostics[0].code == "A106"
