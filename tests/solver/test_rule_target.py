"""target: the benchmark and its tilts decide what the account tracks."""

from decimal import Decimal

from compiler.rules.target import TargetIR, Tilt
from solver.account import Account
from solver.market import Market
from tests.solver.conftest import run, span


def test_tilt_overweights_a_name(legacy_account: Account, market: Market) -> None:
    plain = run(legacy_account, market).outcome
    name = min(t.ticker for t in plain.buys)
    tilt = Tilt(subject=name, tickers=(name,), active=0.03)
    tilted = run(legacy_account, market, TargetIR(id="target", span=span(1), benchmark="sp500",
                                                   tilts=(tilt,))).outcome
    assert abs(tilted.target[name] - plain.target[name] - 0.03) < 1e-9
    assert abs(sum(tilted.target.values()) - 1) < 1e-9
    assert tilted.weight_after([name]) > plain.weight_after([name]) + Decimal("0.01")


def test_equal_weight_target_spreads_purchases(legacy_account: Account, market: Market) -> None:
    cap = run(legacy_account, market).outcome
    equal = run(legacy_account, market, TargetIR(id="target", span=span(1), benchmark="sp500_equal")).outcome
    assert max(equal.target.values()) < 0.01 < max(cap.target.values())
    assert equal.target != cap.target
    assert {t.ticker for t in equal.buys} != {t.ticker for t in cap.buys}
