"""Perspective splits of the wash-sale switch (solver/perspective.py): every plan the switch allows
keeps its objective, and the relaxation no longer harvests a loss while buying it back for free.

The account: the 60 largest S&P 500 names bought at the 2020-02-19 peak and a quarter as much of
each on 2016-01-04, rebalanced on 2020-03-23 under the benchmark's plain harvesting policy: every
peak lot at a loss, most 2016 lots at a gain — the day a direct index's relaxation leans hardest on
harvest-and-rebuy."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

import numpy as np
import pyomo.environ as pyo
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import sparse

from compiler.check import compile_policy
from compiler.lower import lower_policy
from engine.rebalance import RebalanceOptions, plan
from solver.account import Account
from solver.account_files import load_account
from solver.lazy import activate, relax
from solver.lots import Lot
from solver.market import Market
from solver.model import AccountModel
from solver.search import Search, SolveOptions, relative_gap
from solver.solve import solve

ROOT = Path(__file__).resolve().parents[2]
POLICY = ROOT / "benchmarks" / "policies" / "plain_harvest.tailor"
DIRECT_INDEX = ROOT / "policies" / "models" / "direct_index.tailor"
CRASH, PEAK, START = date(2020, 3, 23), date(2020, 2, 19), date(2016, 1, 4)
RECENT = date(2020, 3, 2)  # within the 30 days before the crash day


@pytest.fixture(scope="module")
def crash_market() -> Market:
    return Market.load(CRASH)


def _account(market: Market, account_id: str, purchases: tuple[tuple[date, Decimal], ...]) -> Account:
    """The 60 largest names by index weight, $1M of them bought on each date times its share."""
    from market.prices import load_prices

    history = load_prices()
    weights = market.benchmarks["sp500"].sort_values(ascending=False).head(60)
    lots = []
    for bought, share in purchases:
        prices = history.close_on(bought)
        for ticker, weight in weights.items():
            if not np.isfinite(prices.get(ticker, np.nan)):
                continue  # (listed since: Linde's shares of 2018)
            price = Decimal(str(round(float(prices[ticker]), 2)))
            shares = (Decimal(str(round(weight * 1_000_000, 2))) * share / price).quantize(Decimal("0.001"))
            lots.append(Lot(lot_id=f"{ticker}-{bought}", ticker=str(ticker), acquired=bought, shares=shares,
                            basis_per_share=price))
    return Account(account_id=account_id, cash=Decimal(5_000), lots=tuple(lots), as_of=CRASH)


@pytest.fixture(scope="module")
def crash_account(crash_market: Market) -> Account:
    return _account(crash_market, "crash-60", ((PEAK, Decimal(1)), (START, Decimal("0.25"))))


def _model(account: Account, market: Market) -> AccountModel:
    model = AccountModel([account], market)
    lower_policy(compile_policy(POLICY), model)
    return model


def _relaxation_bound(search: Search, *, splits: bool) -> float:
    """The relaxation with every switch on (binaries continuous), tangents refined to convergence."""
    activate(search.compiled, [g for g in search.lazy if g.splits])
    if splits:
        search.splits.enable()
    status, converged, _ = search.lp_rounds(relaxation=True)
    assert status == "optimal" and converged
    return float(search.highs.getInfo().objective_function_value)


def test_the_split_relaxation_is_tighter_and_still_below_the_plan(crash_account: Account,
                                                                   crash_market: Market) -> None:
    big_m = _relaxation_bound(Search(_model(crash_account, crash_market), SolveOptions(), float("inf")),
                              splits=False)
    split = _relaxation_bound(Search(_model(crash_account, crash_market), SolveOptions(), float("inf")),
                              splits=True)
    solution = solve(_model(crash_account, crash_market))
    assert solution.status in ("optimal", "feasible")
    # Harvest-and-rebuy now pays its tracking error: the bound rises towards the plan, never past it.
    assert split > big_m + 0.05
    assert split <= solution.objective + 1e-6
    assert (split - big_m) / (solution.objective - big_m) > 0.2  # a fifth of the gap closed, at least


def test_share_for_share_loss_sales_are_split_too(crash_market: Market) -> None:
    """A name bought again 21 days ago (2020-03-02, itself below its price then) may sell its peak
    lots only share for share (compiler/rules/wash_share.py): its loss-sale binary is a switch too,
    z = 1 selling the loss lots and buying none. Split, its relaxation stops harvesting while buying
    back: on this account the big-M bound sat 17.7 bp below the plan, the split one 0.8 bp."""
    account = _account(crash_market, "recent-60", ((PEAK, Decimal(1)), (RECENT, Decimal("0.25"))))
    model = _model(account, crash_market)
    assert len(model.m.rule_wash_sale.loss_sale_share) >= 50
    search = Search(model, SolveOptions(), float("inf"))
    assert sum(bool(group.splits) for group in search.lazy) >= 50
    big_m = _relaxation_bound(Search(_model(account, crash_market), SolveOptions(), float("inf")),
                              splits=False)
    split = _relaxation_bound(search, splits=True)
    solution = solve(_model(account, crash_market))
    assert solution.status in ("optimal", "feasible")
    assert big_m + 10 < split <= solution.objective + 1e-6
    assert (split - big_m) / (solution.objective - big_m) > 0.8


def test_the_relaxation_once_more_raises_the_bound_and_proves_the_plan(
        benchmark_account: Callable[[str], Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """After the first repair and its improvement, the relaxation is solved once more with the groups
    the repair switched on, their splits in (solver/solve.py, `_rebound`): on the benchmark set's
    direct index at the 2009 bottom (5,065 lots, 2009-03-09, the firm's direct-indexing model) it
    raises the bound from −140.652 to −140.596 bp, which proves the plan (−140.510 bp) within the
    requested 0.1%: 0.101% before it, 0.061% after. (With the sum of a switch's loss sales bounded
    by z alone, before session 16, it raised this bound by 0.41 bp and its repair found the better
    plan; the rows per loss lot now give most of that bound from the first LP.)"""
    import solver.solve as solve_module

    seen: list[tuple[float, float, float, float]] = []
    rebound = solve_module._rebound

    def watched(search: Search) -> None:
        before, bound = search.best.objective, search.bound
        rebound(search)
        seen.append((before, search.best.objective, bound, search.bound))

    monkeypatch.setattr(solve_module, "_rebound", watched)
    found = plan(load_account(benchmark_account("di_2009_bottom")), compile_policy(DIRECT_INDEX),
                 Market.load(date(2009, 3, 9)), RebalanceOptions(mip_gap=1e-3))
    [(before, after, bound_before, bound_after)] = seen
    assert after <= before
    assert bound_after > bound_before + 0.04  # −140.652 → −140.596 bp
    assert relative_gap(after, bound_before) > 1e-3 >= relative_gap(after, bound_after)
    solution = found.solution
    assert solution.status == "optimal" and solution.bound >= bound_after - 1e-9
    assert found.result.verified


def test_every_switch_side_keeps_the_names_own_tracking_term(crash_account: Account,
                                                             crash_market: Market) -> None:
    """At z = 0 or 1 the split rows admit the plan's point with each name's exact specific risk: the
    split prices a whole plan exactly as the name's own term does."""
    model = _model(crash_account, crash_market)
    solution = solve(model)
    compiled, x = solution.compiled, solution.x.copy()
    lazy = relax(compiled, model.lazy.groups)  # (the hand-off's HiGHS model again: rows freed)
    with_splits = [g for g in lazy if g.splits]
    assert len(with_splits) >= 20
    activate(compiled, with_splits)
    free: list[int] = []
    for group in with_splits:
        z = int(group.binaries[0])
        block = compiled.matrix[group.rows]
        for side in (1.0, 0.0):  # the side the point's trades allow (both when it trades neither)
            x[z] = side
            activity = block @ x
            if np.all(activity <= compiled.row_upper[group.rows] + 1e-9) and \
                    np.all(activity >= compiled.row_lower[group.rows] - 1e-9):
                break
        else:
            pytest.fail(f"the plan breaks switch {z}")
        for split in group.splits:
            i = split.ticker
            free += [compiled.col(split.weight_on), compiled.col(split.q_on), compiled.col(split.q_off)]
            q = compiled.col(model.m.q[i])
            active = x[compiled.col(model.m.weight[i])] - model.target_weights[i]
            x[q] = 1e4 * model.data.risk.specific_var[i] * active ** 2 + 1e-12
    free.append(compiled.col(model.m.variance))  # (the sum of the terms, q now exact)
    highs = compiled.highs
    fixed = np.setdiff1d(np.arange(len(x)), free).astype(np.int32)
    highs.changeColsBounds(len(fixed), fixed, x[fixed], x[fixed])
    highs.setOptionValue("solve_relaxation", True)
    highs.run()
    assert highs.getModelStatus().name == "kOptimal"


@pytest.fixture(scope="module")
def split_search(crash_account: Account, crash_market: Market) -> tuple[AccountModel, Search]:
    """The crash account's search, every switch on and its splits' tangents in (the grid)."""
    model = _model(crash_account, crash_market)
    search = Search(model, SolveOptions(), float("inf"))
    activate(search.compiled, [g for g in search.lazy if g.splits])
    search.splits.enable()
    return model, search


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_trade_of_either_side_fits_the_split_at_its_exact_term(split_search: tuple[AccountModel, Search],
                                                                  data: st.DataObject) -> None:
    """Any sale of any of a name's lots and any buy, on the side its switch allows, satisfies the
    split's rows and every tangent the search added, at w₁ = z·w and q₁ = z·s·a², q₀ = (1 − z)·s·a²
    (the perspective at z ∈ {0, 1})."""
    model, search = split_search
    splits = [(g, split) for g in search.lazy if g.splits for split in g.splits]
    group, split = data.draw(st.sampled_from(splits))
    z = data.draw(st.sampled_from([0.0, 1.0]))
    compiled, m, lots = search.compiled, model.m, model.data.lots_of[split.ticker]
    x = np.zeros(len(compiled.columns))
    losses = set(np.flatnonzero(model.data.lot_gain < 0).tolist())
    for lot in lots:
        if z == 1.0 or lot not in losses:  # side 0 sells no loss lot
            x[compiled.col(m.sell[lot])] = data.draw(st.floats(0, 1)) * model.data.lot_value[lot]
    i = split.ticker
    if z == 0.0:
        x[compiled.col(m.buy[i])] = data.draw(st.floats(0, 0.02))
    sold = sum(x[compiled.col(m.sell[lot])] for lot in lots)
    weight = (model.data.held[i] - sold + x[compiled.col(m.buy[i])]) / float(pyo.value(model.post_value))
    term = 1e4 * model.data.risk.specific_var[i] * (weight - model.target_weights[i]) ** 2
    x[compiled.col(m.weight[i])], x[compiled.col(m.q[i])] = weight, term
    x[compiled.col(split.binary)], x[compiled.col(split.weight_on)] = z, z * weight
    x[compiled.col(split.q_on)], x[compiled.col(split.q_off)] = z * term, (1 - z) * term
    lp = compiled.highs.getLp()
    matrix = sparse.csc_array((lp.a_matrix_.value_, lp.a_matrix_.index_, lp.a_matrix_.start_),
                              shape=(lp.num_row_, lp.num_col_)).tocsr()
    own = {compiled.col(c) for c in (split.binary, split.weight_on, split.q_on, split.q_off)}
    rows = [r for r in range(lp.num_row_) if own & set(matrix.indices[matrix.indptr[r]:matrix.indptr[r + 1]])
            and r not in set(group.rows)]  # the split's rows and tangents (the switch rows hold by the side)
    activity = matrix[rows] @ x
    assert len(rows) > 5
    assert np.all(activity >= np.asarray(lp.row_lower_)[rows] - 1e-9)
    assert np.all(activity <= np.asarray(lp.row_upper_)[rows] + 1e-9)
