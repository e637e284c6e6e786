"""Whole shares: every trade is a whole number of shares, the result verifies, and the gap is honest.

Whole-share counts are solved relaxed, rounded (solver/rounding.py) and, when rounding costs more
than the gap allows, handed to HiGHS as integers with the rounded point as its start. No timing
asserts: a 30 s limit is generous (these solve in seconds), so a regression shows as a missing
solution or an unproven gap, not as a slow test.
"""

from decimal import Decimal
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import sparse

from compiler.check import compile_policy
from compiler.rules.cash import CashIR
from compiler.rules.trading import TradingIR
from solver.account import Account
from solver.handoff import compile_to_highs
from solver.lazy import relax
from solver.market import Market
from solver.model import AccountModel
from solver.rebalance import Plan, RebalanceOptions, plan
from solver.rounding import round_counts
from solver.solve import _run
from solver.tracking import initial_tangents, tracking_columns
from tests.solver.conftest import ROOT, policy, span
from tests.solver.test_properties import accounts, rules

LIMIT = RebalanceOptions(time_limit=30.0)


def whole(outcome) -> bool:
    lines = [*outcome.buys, *(s.trade for s in outcome.sales)]
    return bool(lines) and all(t.shares == t.shares.to_integral_value() for t in lines)


def trading(whole_shares: bool) -> TradingIR:
    return TradingIR(id="trading", span=span(5), min_trade_usd=Decimal(250), whole_shares=whole_shares,
                     max_turnover=None, max_positions=None)


def deposit() -> CashIR:
    return CashIR(id="cash", span=span(4), reserve_pct=0.01, reserve_usd=None, deposit_usd=Decimal(100000),
                  withdrawal_usd=Decimal(0))


def solved(account: Account, market: Market, whole_shares: bool) -> Plan:
    return plan(account, policy(trading(whole_shares), deposit()), market, LIMIT)


def test_retiree_withdrawal_in_whole_shares(index_account: Account, market: Market) -> None:
    """The shipped policy (withdraw $60k, keep 2%, tax ≤ $8k, whole shares) on the 570-lot account:
    it once ran into the 60 s limit without a solution."""
    result = plan(index_account, compile_policy(Path(ROOT, "policies/clients/retiree_cash.tailor")),
                  market, LIMIT)
    assert result.result.solve.status == "optimal", result.result.solve
    assert result.result.verified, result.result.violations
    assert result.result.solve.mip_gap <= result.result.solve.requested_gap
    outcome = result.outcome
    assert whole(outcome)
    assert outcome.cash_flow == Decimal(-60000)
    assert outcome.cash_after >= Decimal("0.02") * outcome.value_after - Decimal("0.01")
    assert outcome.estimated_tax <= 8000


def test_whole_share_deposit_is_no_better_than_fractional(legacy_account: Account, market: Market) -> None:
    """A deposit buys many names (many fractional counts to round). Fractional shares relax whole
    shares, so the whole-share objective can beat the fractional optimum by at most that one's gap:
    a whole-share result better than that would be a wrong bound or an infeasible point."""
    fractional = solved(legacy_account, market, False)
    rounded = solved(legacy_account, market, True)
    assert rounded.result.solve.status in ("optimal", "feasible"), rounded.result.solve
    assert rounded.result.verified, rounded.result.violations
    assert whole(rounded.outcome) and not whole(fractional.outcome)
    low = fractional.solution.objective - fractional.solution.gap * abs(fractional.solution.objective)
    assert rounded.solution.objective >= low - 1e-6
    assert rounded.outcome.cash_after >= Decimal("0.01") * rounded.outcome.value_after - Decimal("0.01")


def test_rounding_keeps_every_row(legacy_account: Account, market: Market) -> None:
    """`round_counts` alone: from the relaxation's point, every count integral and every row held."""
    model = AccountModel([legacy_account], market)
    from compiler.lower import lower_policy

    lower_policy(policy(trading(True), deposit()), model)
    model.finish()
    compiled = compile_to_highs(model.m)
    highs = compiled.highs
    cols = tracking_columns(model, compiled)
    initial_tangents(compiled, cols, model.held - cols.target)  # something to buy for
    relax(compiled, model.lazy_groups)  # minimum trades off: only the counts are integer
    variables, up = model.share_counts()
    counts = compiled.cols(variables)
    highs.setOptionValue("solve_relaxation", True)
    highs.run()
    x = np.asarray(highs.getSolution().col_value)
    assert (np.abs(x[counts] - np.round(x[counts])) > 1e-6).sum() > 5  # something to round
    point = round_counts(highs, np.array([], dtype=np.int32), counts, np.array(up), x, float("inf"), _run)
    assert point is not None
    assert np.abs(point[counts] - np.round(point[counts])).max() <= 1e-9
    lp = highs.getLp()  # every row, the tangents added after the hand-off included
    a = lp.a_matrix_
    matrix = sparse.csc_array((a.value_, a.index_, a.start_), shape=(lp.num_row_, lp.num_col_))
    activity = matrix @ point
    assert (activity >= np.asarray(lp.row_lower_) - 1e-7).all()
    assert (activity <= np.asarray(lp.row_upper_) + 1e-7).all()
    assert (point >= np.asarray(lp.col_lower_) - 1e-9).all()
    assert (point <= np.asarray(lp.col_upper_) + 1e-9).all()


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(account=accounts(), chosen=rules(), minimum=st.sampled_from([0, 250, 2000]))
def test_random_whole_share_results_verify(account: Account, chosen: list, minimum: int,
                                           market: Market) -> None:
    """Random small accounts and policies with whole shares: a result is whole and verified (the
    verifier re-checks every rule and V214 every trade line), or there is none. (A small account
    against a 500-name target under a binding tracking-error limit can defeat the rounding, and
    HiGHS from scratch may then run out of time: `time_limit`, never wrong trades.)"""
    rule = TradingIR(id="trading", span=span(), min_trade_usd=Decimal(minimum) or None, whole_shares=True,
                     max_turnover=None, max_positions=None)
    chosen = [r for r in chosen if r.kind != "trading"] + [rule]
    result = plan(account, policy(*chosen), market, RebalanceOptions(time_limit=8.0))
    if result.result.solve.status in ("optimal", "feasible"):
        assert result.result.verified, (result.result.solve, result.result.violations)
        lines = [*result.outcome.buys, *(s.trade for s in result.outcome.sales)]
        assert all(t.shares == t.shares.to_integral_value() for t in lines)
    else:
        assert result.result.solve.status in ("infeasible", "time_limit"), result.result.solve
        assert result.result.trades == () and not result.result.verified
