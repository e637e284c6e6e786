"""target: the benchmark and its tilts decide what the account tracks."""

from dataclasses import replace
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


def _account_target(account: Account, weights: dict[str, float]) -> Account:
    from solver.account import AccountTarget

    target = AccountTarget(path="/accounts/model.csv", given="model.csv", origin="account.yaml `target`",
                           weights=tuple(sorted(weights.items())))
    return account.model_copy(update={"target": target})


def test_the_accounts_target_replaces_the_benchmark_and_keeps_the_tilts(legacy_account: Account,
                                                                         market: Market) -> None:
    from compiler.rules.target import Target

    model = {"AAPL": 0.5, "MSFT": 0.3, "JPM": 0.2}
    account = _account_target(legacy_account, model)
    tilt = Tilt(subject="MSFT", tickers=("MSFT",), active=0.05)
    rule = TargetIR(id="target", span=span(1), benchmark="sp500", tilts=(tilt,))
    outcome = run(account, market, rule).outcome  # verified: the target check (V201) agrees
    assert set(outcome.target) == set(model)
    assert abs(outcome.target["MSFT"] - 0.35) < 1e-9 and abs(sum(outcome.target.values()) - 1) < 1e-9
    assert "the account's target model model.csv" in Target().explain(rule, outcome)[0]
    # the verifier rebuilds the target from the account: a plan tracking the policy's S&P 500
    # instead is caught
    plain = run(legacy_account, market, rule).outcome
    assert [v.code for v in Target().verify(rule, replace(plain, account=account))] == ["V201"]


def test_a_locked_target_refuses_the_accounts_target(legacy_account: Account, market: Market) -> None:
    import pytest

    from core.diagnostics import TailorError
    from engine.rebalance import plan
    from tests.solver.conftest import policy

    account = _account_target(legacy_account, {"AAPL": 1.0})
    locked = TargetIR(id="firm-target", span=span(7), benchmark="sp500", locked=True)
    with pytest.raises(TailorError) as exc:
        plan(account, policy(locked), market)
    (diagnostic,) = exc.value.diagnostics
    assert diagnostic.code == "A117" and diagnostic.span == span(7)
    assert "policies/test.tailor:7" in diagnostic.message and "model.csv" in diagnostic.message
