"""tracking error: the exact ex-ante figure meets the limit within one basis point; bands hold."""

from compiler.rules.tracking_error import Band, TrackingErrorIR
from solver.account import Account
from solver.market import Market
from tests.solver.conftest import run, span


def test_limit_holds_on_the_exact_figure(legacy_account: Account, market: Market) -> None:
    free = run(legacy_account, market).result.summary.tracking_error_after
    assert free > 0.03
    rule = TrackingErrorIR(id="te", span=span(5), max_te=0.03, bands=())
    plan = run(legacy_account, market, rule)
    exact = plan.result.summary.tracking_error_after
    assert exact <= 0.03 + 0.0001
    assert exact > 0.029  # binding: tax keeps it from going lower than needed


def test_sector_band(legacy_account: Account, market: Market) -> None:
    banks = ("BAC", "C", "JPM", "WFC")
    band = Band(subject="banks", tickers=banks, lower=-0.01, upper=0.05)
    plan = run(legacy_account, market, TrackingErrorIR(id="te", span=span(5), max_te=None, bands=(band,)))
    active = float(plan.outcome.weight_after(banks)) - plan.outcome.target_of(banks)
    assert -0.01 - 1e-6 <= active <= 0.05 + 1e-6
