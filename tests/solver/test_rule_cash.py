"""cash: reserves are kept, deposits invested, withdrawals raised."""

from decimal import Decimal

from compiler.rules.cash import CashIR
from solver.account import Account
from solver.market import Market
from tests.solver.conftest import run, settled_within, span


def cash(**fields) -> CashIR:
    base = dict(id="cash", span=span(5), reserve_pct=None, reserve_usd=None, deposit_usd=Decimal(0),
                withdrawal_usd=Decimal(0))
    return CashIR(**{**base, **fields})


def test_reserve_percent(legacy_account: Account, market: Market) -> None:
    assert run(legacy_account, market).outcome.cash_after < 100
    outcome = run(legacy_account, market, cash(reserve_pct=0.05)).outcome
    assert outcome.cash_after >= Decimal("0.05") * outcome.value_after - Decimal("0.01")


def test_withdrawal_is_raised_and_deposit_invested(legacy_account: Account, market: Market) -> None:
    rule = cash(withdrawal_usd=Decimal(100000), reserve_usd=Decimal(10000))
    out = run(legacy_account, market, rule).outcome
    assert out.cash_flow == Decimal(-100000)
    assert out.cash_after >= Decimal(10000)
    assert abs(out.value_after - (out.value_before - Decimal(100000))) <= settled_within(out)
    deposit = run(legacy_account, market, cash(deposit_usd=Decimal(200000))).outcome
    assert deposit.cash_after < 1000
    assert sum(t.amount for t in deposit.buys) > Decimal(200000)
