"""Whole shares: every trade is a whole number of shares, the result verifies, and the gap is honest.

Whole-share counts are solved relaxed, rounded (solver/rounding.py) and, when rounding costs more
than the gap allows, handed to HiGHS as integers with the rounded point as its start. No timing
asserts: a 30 s limit is generous (these solve in seconds), so a regression shows as a missing
solution or an unproven gap, not as a slow test.
"""

import time
from datetime import date
from decimal import Decimal
from pathlib import Path

import highspy
import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from scipy import sparse

from compiler.check import compile_policy
from compiler.rules.budget import BudgetIR
from compiler.rules.cap import CapIR
from compiler.rules.cash import CashIR
from compiler.rules.exclude import ExcludeIR
from compiler.rules.tracking_error import TrackingErrorIR
from compiler.rules.trading import TradingIR
from compiler.verify_rules import verify
from engine.rebalance import Plan, RebalanceOptions, plan
from solver import rounding
from solver.account import Account
from solver.deadline import run_mip_within
from solver.handoff import compile_to_highs
from solver.highs_runs import STATUS, run_highs
from solver.lazy import relax
from solver.lots import Lot
from solver.market import Market
from solver.model import AccountModel
from solver.rounding import round_counts
from solver.tracking import initial_tangents, tracking_columns
from solver.trades import extract_trades
from solver.verify import build_outcome
from solver.whole_shares import count_columns
from tests.solver.conftest import ROOT, policy, span
from tests.solver.test_properties import accounts, check_contract, random_account, rules

LIMIT = RebalanceOptions(time_limit=30.0)


def whole(outcome) -> bool:
    """Every trade is whole shares, but for a sale that closes its position (fractions included)."""
    lines = [*outcome.buys, *(s.trade for s in outcome.sales)]
    return bool(lines) and all(t.shares == t.shares.to_integral_value() for t in lines
                               if t.action == "buy" or outcome.shares_after.get(t.ticker, 0) > 0)


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
    # The gap is relative to max(|objective|, 1 bp) (solver/solve.py).
    objective, gap = fractional.solution.objective, fractional.solution.gap
    low = objective - gap * max(abs(objective), 1.0)
    assert rounded.solution.objective >= low - 1e-6
    assert rounded.outcome.cash_after >= Decimal("0.01") * rounded.outcome.value_after - Decimal("0.01")


def _stuck_count(names: np.ndarray, first_point: rounding.FirstPoint | None = None) -> np.ndarray | None:
    """Two share counts of lots, each sale ≥ 0 at a cost of 1: together at least half a share
    (a minimum sale), and the second at most 0.8 more than the first (a forced order: a later lot
    sold past a point only with the earlier one). The relaxation sells half a share of the second
    lot; whole, that is 0 (below the minimum) or 1 (past the order) unless the first lot moves too,
    and the first, integral at 0 in the relaxation, is pinned there."""
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    highs.addVars(2, np.zeros(2), np.full(2, 10.0))
    highs.addRow(0.5, highspy.kHighsInf, 2, np.array([0, 1], dtype=np.int32), np.ones(2))
    highs.addRow(-highspy.kHighsInf, 0.8, 2, np.array([0, 1], dtype=np.int32), np.array([-1.0, 1.0]))
    highs.changeColsCost(2, np.array([0, 1], dtype=np.int32), np.array([1.0, 0.5]))
    highs.run()
    x = np.asarray(highs.getSolution().col_value)
    assert x[0] == 0.0 and x[1] == pytest.approx(0.5)
    return round_counts(highs, np.array([], dtype=np.int32), np.array([0, 1]), np.array([True, True]), names,
                        x, float("inf"), run_highs, first_point)


def test_a_count_stuck_between_its_names_pinned_counts_frees_them() -> None:
    """Rounding dives count by count with the counts integral in the relaxation pinned: a count that
    fits neither way, decided first and still stuck, frees the other counts of its own name (on the
    2008 crash's retiree account, a DVN lot at 0.63 shares left the whole repair without a plan, and
    the plan, with no harvest, at +65.8 bp against −54.7 once freed). Another name's counts stay."""
    point = _stuck_count(np.array([7, 7]))
    assert point is not None and point[:2].tolist() == [1.0, 0.0]
    assert _stuck_count(np.array([7, 8])) is None


def test_when_every_dive_is_stuck_a_neighbourhood_mip_finds_the_point() -> None:
    """The stuck count of another name (no pinned count of its own to free): every dive fails, and
    HiGHS's MIP over the counts within NEIGHBOURHOOD_SHARES of the point, run until its first point,
    finds a whole-share one that keeps both rows. On `index_2012` (tracking within 0.5%, a spent tax
    budget, whole shares) that step turned "no plan in 60 s" into a verified plan in 18 s."""
    nodes: list[int] = []

    def first_point(highs: highspy.Highs, max_nodes: int) -> np.ndarray | None:
        nodes.append(max_nodes)
        return run_mip_within(highs, max_nodes, True, time.perf_counter() + 60.0, 1.0, None, STATUS).x

    point = _stuck_count(np.array([7, 8]), first_point)
    assert nodes == [rounding.NEIGHBOURHOOD_NODES]
    assert point is not None and point[:2].tolist() in ([1.0, 0.0], [1.0, 1.0], [2.0, 0.0])
    assert point[0] + point[1] >= 0.5 and point[1] - point[0] <= 0.8


def test_rounding_keeps_every_row(legacy_account: Account, market: Market) -> None:
    """`round_counts` alone: from the relaxation's point, every count integral and every row held."""
    model = AccountModel([legacy_account], market)
    from compiler.lower import lower_policy

    lower_policy(policy(trading(True), deposit()), model)
    compiled = compile_to_highs(model.m)
    highs = compiled.highs
    cols = tracking_columns(model, compiled)
    initial_tangents(compiled, cols, model.data.held - cols.target)  # something to buy for
    relax(compiled, model.lazy.groups)  # minimum trades off: only the counts are integer
    counts, up, names = count_columns(model, compiled)
    highs.setOptionValue("solve_relaxation", True)
    highs.run()
    x = np.asarray(highs.getSolution().col_value)
    assert (np.abs(x[counts] - np.round(x[counts])) > 1e-6).sum() > 5  # something to round
    point = round_counts(highs, np.array([], dtype=np.int32), counts, up, names, x, float("inf"), run_highs)
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


def _one_opt(runs: list[int]) -> np.ndarray | None:
    """Two share counts: the first wants 2.3 (|x₁ − 2.3| in the objective, through t), the second
    costs 0.1 a share, and together they reach 2.8. The relaxation is (2.3, 0.5); in the safe
    directions, (3, 0) holds. The 1-opt then tries x₁ at 2 (breaks the row) and x₂ at 1 (costs 0.1
    more: its reduced cost says so)."""
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    highs.addVars(3, np.zeros(3), np.array([10.0, 10.0, highspy.kHighsInf]))
    highs.changeColsCost(3, np.array([0, 1, 2], dtype=np.int32), np.array([0.0, 0.1, 1.0]))
    for lower, index, value in ((-2.3, [0, 2], [-1.0, 1.0]), (2.3, [0, 2], [1.0, 1.0]),
                                (2.8, [0, 1], [1.0, 1.0])):
        highs.addRow(lower, highspy.kHighsInf, 2, np.array(index, dtype=np.int32), np.array(value))
    highs.run()
    x = np.asarray(highs.getSolution().col_value)
    assert x[:2] == pytest.approx([2.3, 0.5])

    def counted(highs: highspy.Highs, deadline: float) -> str:
        runs.append(1)
        return run_highs(highs, deadline)

    return round_counts(highs, np.array([], dtype=np.int32), np.array([0, 1]), np.array([True, False]),
                        np.array([1, 2]), x, float("inf"), counted)


def test_a_move_its_reduced_cost_prices_no_lower_is_not_tried(monkeypatch: pytest.MonkeyPatch) -> None:
    """Rounding's 1-opt moves a count to its other integer only where the fixed LP's reduced cost of
    that count says the move may lower the objective: the LP's value is convex in a fixed column, its
    reduced cost a subgradient. The same point as trying every move, with an LP fewer. (On the 2008
    crash's retiree, 7,452 lots, the 1-opt tried 45 moves of about 235: 1.2 s instead of 2.4.)"""
    filtered: list[int] = []
    point = _one_opt(filtered)
    every: list[int] = []
    monkeypatch.setattr(rounding, "SLOPE_TOLERANCE", -np.inf)  # (no move skipped)
    tried_all = _one_opt(every)
    assert point is not None and tried_all is not None
    assert point[:2].tolist() == tried_all[:2].tolist() == [3.0, 0.0]
    assert (len(filtered), len(every)) == (2, 3)


# Four lots ($280k, mostly NVDA) under a 2% tracking-error limit, whole shares, no minimum trade: the
# plan the model proves within the gap tracks at 2.0004%; snapped to whole shares it was reported
# `optimal` at 2.0267% and failed verification (deterministically, in the old solve loop and the
# new): the flake "2.03% after snapping", there reported `feasible` on the clock. The model left
# $4,685.525 of cash, `solver.trades._fit_cash` rounded that *up* to $4,685.53 as its floor, found the
# snapped cash half a cent short and trimmed one whole share of the largest buy (AMZN, $3,362).
SNAPPED_PAST_THE_LIMIT = random_account(
    [("T", 2911, 259), ("NVDA", 3053, 397), ("AAPL", 3238, 5), ("KO", 1900, 33)], 26079, 13577)
# 24 lots ($712k) under the same limit: a verified plan exists (the previous solve loop proved one
# optimal, at 2.0076%, in 16 s); 8 s may not find it, the contract's longer second solve must.
PLAN_EXISTS = random_account(
    [("BA", 3124, 298), ("HD", 290, 63), ("CSCO", 1951, 287), ("NVDA", 1589, 103), ("PG", 598, 275),
     ("KO", 1195, 187), ("INTC", 2053, 198), ("PG", 1984, 198), ("JNJ", 109, 48), ("JPM", 2941, 367),
     ("INTC", 11, 252), ("MSFT", 2254, 307), ("HD", 2138, 114), ("T", 2494, 164), ("CSCO", 2550, 58),
     ("JPM", 2742, 88), ("WMT", 1426, 171), ("PG", 3120, 306), ("JNJ", 1006, 53), ("JPM", 268, 90),
     ("BA", 1756, 192), ("JPM", 2799, 19), ("WMT", 2128, 337), ("XOM", 1667, 84)], 48618, 14350)
# 11 lots ($1.35M, 67% AAPL) under "exclude AAPL, MSFT as the budget allows", "cap AAPL 2%", a 2% limit
# and a $250 minimum trade (found by hypothesis): a verified plan exists (the previous solve loop:
# optimal, 2.004%); a search that ends on its work limit without a plan or a proof is no verdict.
PLAN_EXISTS_UNDER_A_CAP = random_account(
    [("XOM", 162, 49), ("WMT", 1197, 252), ("AAPL", 208, 204), ("AAPL", 299, 40), ("JPM", 181, 259),
     ("HD", 43, 400), ("KO", 485, 315), ("HD", 1766, 320), ("HD", 755, 205), ("BA", 2719, 14),
     ("JNJ", 163, 239)], 239, -575)
# Eleven 2012 lots of AAPL ($41.5k, $432 cash) under "exclude NVDA", "cap JNJ 2%", no long-term gains
# and whole shares with a $2,000 minimum trade (found by hypothesis): the account as it stands is a
# verified plan (no trade breaks any rule), yet the search ended on its limits without one.
NOTHING_TO_DO = random_account([("AAPL", 0, 1)] * 11, 432, 0)
TWO_PERCENT = TrackingErrorIR(id="te", span=span(), max_te=0.02, bands=())


@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(account=accounts(), chosen=rules(), minimum=st.sampled_from([0, 250, 2000]))
@example(account=SNAPPED_PAST_THE_LIMIT, chosen=[TWO_PERCENT], minimum=0)
@example(account=PLAN_EXISTS, chosen=[TWO_PERCENT], minimum=0)
@example(account=PLAN_EXISTS_UNDER_A_CAP, minimum=250, chosen=[
    ExcludeIR(id="x", span=span(), subject="names", tickers=("AAPL", "MSFT"), sell="as_budget_allows"),
    CapIR(id="cap", span=span(), subject="AAPL", tickers=("AAPL",), max_weight=0.02, min_weight=None,
          years=None, long_term_only=False),
    TWO_PERCENT])
@example(account=NOTHING_TO_DO, minimum=2000, chosen=[
    ExcludeIR(id="x", span=span(), subject="names", tickers=("NVDA",), sell="immediately"),
    CapIR(id="cap", span=span(), subject="JNJ", tickers=("JNJ",), max_weight=0.02, min_weight=None,
          years=None, long_term_only=False),
    BudgetIR(id="budget", span=span(), measure="long_term", amount=Decimal(0))])
def test_random_whole_share_results_verify(account: Account, chosen: list, minimum: int,
                                           market: Market) -> None:
    """Random small accounts and policies with whole shares, held to the solver's contract
    (`check_contract`: a returned plan verifies — the verifier re-checks every rule after the counts
    are snapped, and V214 every trade line —, `optimal` is within the requested gap, `infeasible`
    names its conflict, and a search the clock stopped without a plan gets a far longer second
    solve that must reach a verdict); every trade of the plan is a whole number of shares. A small
    account against a 500-name target under a binding tracking-error limit is where rounding is
    hardest: a time-limited plan once broke a 2% limit after snapping (2.03%) and was reported
    `feasible`."""
    rule = TradingIR(id="trading", span=span(), min_trade_usd=Decimal(minimum) or None, whole_shares=True,
                     max_turnover=None, max_positions=None)
    chosen = [r for r in chosen if r.kind != "trading"] + [rule]
    compiled = policy(*chosen)
    solved = check_contract(plan(account, compiled, market, RebalanceOptions(time_limit=8.0)), account,
                            compiled, market)
    if solved.outcome is not None:
        lines = [*solved.outcome.buys, *(s.trade for s in solved.outcome.sales)]
        assert all(t.shares == t.shares.to_integral_value() for t in lines)


def test_a_fractional_remainder_is_sold_with_its_position(index_account: Account, market: Market) -> None:
    """index_2012's lots all end in a fraction (reinvested dividends). Excluding a held name under whole
    shares sells the whole position, fractions included; other sales stay in whole shares (issue 9)."""
    held = {lot.ticker for lot in index_account.lots}
    assert all(lot.shares % 1 for lot in index_account.lots if lot.ticker == "XOM") and "XOM" in held
    no_xom = ExcludeIR(id="no-xom", span=span(6), subject="XOM", tickers=("XOM",), sell="immediately")
    result = plan(index_account, policy(trading(True), no_xom), market, LIMIT)
    assert result.result.verified, result.result.violations
    outcome = result.outcome
    assert outcome.shares_after.get("XOM", 0) == 0
    xom = outcome.sold(["XOM"])
    held_xom = sum(lot.shares for lot in index_account.lots if lot.ticker == "XOM")
    assert sum(s.trade.shares for s in xom) == held_xom
    others = [*outcome.buys, *(s.trade for s in outcome.sales if s.trade.ticker != "XOM"
                               and outcome.shares_after.get(s.trade.ticker, 0) > 0)]
    assert others and all(t.shares % 1 == 0 for t in others)


def _xom_at_a_loss(account: Account) -> Account:
    """The legacy account with its XOM lots replaced by two at a loss, each ending in a fraction."""
    lots = [lot for lot in account.lots if lot.ticker != "XOM"]
    xom = [Lot(lot_id="XOM-A", ticker="XOM", acquired=date(2015, 1, 2), shares=Decimal("10.37"),
               basis_per_share=Decimal(90)),
           Lot(lot_id="XOM-B", ticker="XOM", acquired=date(2016, 1, 4), shares=Decimal("0.4"),
               basis_per_share=Decimal(95))]
    return account.model_copy(update={"lots": (*lots, *xom)})


def test_a_voluntary_exit_sells_the_fractional_remainders_too(legacy_account: Account,
                                                              market: Market) -> None:
    """No rule keeps XOM out, but the plan harvests its loss ($90.00 and $95.00 a share, XOM at $56.00)
    and sells every whole share: the remainders (0.37 of one lot, and a reinvested-dividend lot of 0.4
    shares that no whole-share sale could touch) go with them, so no sub-share sliver is left."""
    found = plan(_xom_at_a_loss(legacy_account), policy(trading(True)), market, LIMIT)
    assert found.result.verified, found.result.violations
    sold = {s.trade.lot_id: s.trade.shares for s in found.outcome.sold(["XOM"])}
    assert sold == {"XOM-A": Decimal("10.37"), "XOM-B": Decimal("0.4")}
    assert found.outcome.shares_after.get("XOM", 0) == 0
    # The whole-share solution itself sold the whole shares only.
    whole_only = extract_trades(found.model, found.solution, whole_shares=True, exits=False)
    assert {t.lot_id: t.shares for t in whole_only if t.ticker == "XOM"} == {"XOM-A": Decimal(10)}


def test_an_exit_the_verifier_refuses_keeps_its_remainders(legacy_account: Account, market: Market) -> None:
    """Under a turnover limit the plan fills, the same exit's remainders (0.77 shares, $43) would pass
    it: the verifier refuses that plan (V215), and the plan as solved, in whole shares, is taken."""
    account = _xom_at_a_loss(legacy_account)
    limited = trading(True).model_copy(update={"max_turnover": 0.0778})
    found = plan(account, policy(limited), market, LIMIT)
    assert found.result.verified, found.result.violations
    assert {t.lot_id: t.shares for t in found.result.trades if t.ticker == "XOM"} == {"XOM-A": Decimal(10)}
    exited = extract_trades(found.model, found.solution, whole_shares=True)
    assert {t.lot_id: t.shares for t in exited if t.ticker == "XOM"} == {"XOM-A": Decimal("10.37"),
                                                                           "XOM-B": Decimal("0.4")}
    outcome = build_outcome(account, market, exited, found.outcome.target, found.model.cash_flow)
    assert "V215" in {v.code for v in verify(outcome, policy(limited).rules)}
