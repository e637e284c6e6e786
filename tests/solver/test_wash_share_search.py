"""Wash sales share for share in the search (solver/solve.py): the harvest choices never cost the
plan, and no binary is spent on a loss sale the other rules already rule out."""

from datetime import date
from decimal import Decimal

import pytest

import solver.repair
from compiler.rules.trading import TradingIR
from compiler.rules.wash_sale import WashSaleIR
from solver.account import Account
from solver.lots import Lot
from solver.market import Market
from tests.solver.conftest import run, span, with_lots

RULE = WashSaleIR(id="wash_sale", span=span(3), window_days=30, scope="account", groups=())
XOM_2014 = Lot(lot_id="XOM-2014", ticker="XOM", acquired=date(2014, 6, 2), shares=Decimal(3000),
               basis_per_share=Decimal(100))  # $44.00 a share of loss at $56.00
XOM_NEW = Lot(lot_id="XOM-NEW", ticker="XOM", acquired=date(2021, 4, 1), shares=Decimal(10),
              basis_per_share=Decimal("57.97"))  # bought 20 days ago: 10 replacement shares


def test_a_repair_that_fails_falls_back_to_the_safe_sides(legacy_account: Account, market: Market,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """If the repair finds no point (its budgets spent on clashing choices), the search fixes every
    harvest choice on its safe side — no loss sale of XOM, bought 20 days ago — and repairs again: a
    verified plan, whose bound is still the whole problem's (below the harvesting plan's objective,
    which a bound of the restricted problem would exceed)."""
    account = with_lots(legacy_account, XOM_2014, XOM_NEW)
    harvest = run(account, market, RULE)
    assert [s for s in harvest.outcome.sold(["XOM"]) if s.gain < 0]
    repair, calls = solver.repair.repair_point, []

    def failing_first(*args: object) -> object:
        calls.append(args)
        return None if len(calls) == 1 else repair(*args)

    monkeypatch.setattr(solver.repair, "repair_point", failing_first)
    safe = run(account, market, RULE)
    assert len(calls) == 2 and safe.result.verified
    assert not [s for s in safe.outcome.sold(["XOM"]) if s.gain < 0]
    info = safe.result.solve
    assert info.bound_bp <= harvest.result.solve.objective_bp < info.objective_bp


def test_no_choice_for_a_loss_sale_below_the_minimum_trade(legacy_account: Account, market: Market) -> None:
    """TGT: one share at a loss ($206.77) and 10 bought 11 days ago, against a $1,000 minimum trade. A
    sale reaching the minimum must take some of the recent lot, which a loss sale may not (its
    replacement shares stay): the model states no loss sale outright, with no binary to decide."""
    price = market.price("TGT")
    old = Lot(lot_id="TGT-OLD", ticker="TGT", acquired=date(2019, 1, 2), shares=Decimal(1),
              basis_per_share=(price * Decimal("1.5")).quantize(Decimal("0.01")))
    new = Lot(lot_id="TGT-NEW", ticker="TGT", acquired=date(2021, 4, 10), shares=Decimal(10),
              basis_per_share=price)
    minimum = TradingIR(id="trading", span=span(5), min_trade_usd=Decimal(1000), whole_shares=False,
                        max_turnover=None, max_positions=None)
    plan = run(with_lots(legacy_account, old, new), market, RULE, minimum)
    assert not [s for s in plan.outcome.sold(["TGT"]) if s.gain < 0]
    assert not len(plan.model.m.rule_wash_sale.loss_sale_share)
    # XOM's loss lots, worth far more than the minimum, keep their choice, tied to XOM's minimum-trade
    # binaries by valid inequalities that leave the harvest in place.
    plan = run(with_lots(legacy_account, old, new, XOM_2014, XOM_NEW), market, RULE, minimum)
    assert len(plan.model.m.rule_wash_sale.loss_sale_share) == 1
    assert sum(s.disallowed for s in plan.outcome.sold(["XOM"])) == Decimal("24.70")
