"""ETF look-through in every tracking error: an S&P 500 ETF held (SPY, IVV, VOO) is measured as the
index's constituents — name j's effective weight is its own weight plus the ETF's weight × j's index
weight on the as-of date (`Market.look_through`; solver/look_through.py for the model's rows).

Tolerances. The ETF's price is derived from the S&P 500 price index (market/etfs.py), but its price
never enters a tracking error: only its weight does, which the look-through spreads over the same
cap weights (data/reference: market caps, SPY weights) that `target sp500` tracks. So 100% VOO
against `target sp500` is 0 up to float rounding (1e-12), and a stock portfolio held at index weight
matches the same dollars in the ETF up to the 6-decimal rounding of its share counts (1e-7)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import sparse

from compiler.lower import lower_policy
from compiler.rules import RULE_KINDS
from compiler.rules.target import TargetIR
from compiler.rules.tracking_error import TrackingErrorIR
from core.diagnostics import TailorError
from engine.rebalance import plan
from engine.screens import Screener
from engine.spec import Bands
from solver.account import Account
from solver.handoff import compile_to_highs
from solver.look_through import LookThrough, universe
from solver.lots import Lot
from solver.market import Market, risk_arrays
from solver.model import AccountModel
from solver.tracking import add_tangents, tracking_columns
from solver.verify import build_outcome, tracking_error
from tests.solver.conftest import AS_OF, policy, span

SHARE = Decimal("0.000001")


def etf_account(market: Market, ticker: str, dollars: Decimal, cash: Decimal = Decimal(0),
                lots: tuple[Lot, ...] = ()) -> Account:
    shares = (dollars / market.price(ticker)).quantize(SHARE)
    etf = Lot(lot_id=f"{ticker}-1", ticker=ticker, acquired=date(2016, 3, 1), shares=shares,
              basis_per_share=Decimal("190.00"))
    return Account(account_id=f"{ticker.lower()}-account", cash=cash, lots=(*lots, etf), as_of=AS_OF)


def value_of(account: Account, market: Market) -> Decimal:
    return sum((lot.shares * market.price(lot.ticker) for lot in account.lots), account.cash)


def shares_of(account: Account) -> dict[str, Decimal]:
    held: dict[str, Decimal] = {}
    for lot in account.lots:
        held[lot.ticker] = held.get(lot.ticker, Decimal(0)) + lot.shares
    return held


@pytest.fixture(scope="module")
def sp500(market: Market) -> dict[str, float]:
    return {t: float(w) for t, w in market.target("sp500").items()}


def test_all_in_voo_tracks_the_index_exactly(market: Market, sp500: dict[str, float]) -> None:
    account = etf_account(market, "VOO", Decimal(1_000_000))
    assert tracking_error(market, shares_of(account), account.cash, sp500) == pytest.approx(0.0, abs=1e-12)
    found = plan(account, policy(), market)
    result = found.result
    assert result.verified and result.trades == ()  # nothing to do: the ETF is the index
    assert result.summary.tracking_error_before == pytest.approx(0.0, abs=1e-12)
    assert result.summary.looked_through == ("VOO",)
    assert found.solution.tracking_error_pct == pytest.approx(0.0, abs=1e-4)


def test_half_voo_half_a_direct_index_is_in_between(market: Market, index_account: Account,
                                                    sp500: dict[str, float]) -> None:
    """`index_2012`, a direct index bought in 2012 and left to drift, beside VOO of the same value:
    the active weights halve (the look-through is linear), and so does the tracking error."""
    direct = value_of(index_account, market)
    half = etf_account(market, "VOO", direct, index_account.cash, index_account.lots)
    alone = tracking_error(market, shares_of(index_account), index_account.cash, sp500)
    mixed = tracking_error(market, shares_of(half), half.cash, sp500)
    assert alone > 0.01
    assert 0 < mixed < alone
    assert mixed == pytest.approx(alone * float(direct / value_of(half, market)), rel=1e-6)


def test_the_model_and_the_verifier_agree_and_the_limit_holds(market: Market, index_account: Account) -> None:
    """Held VOO beside the drifted direct index, under a limit below where it starts: the model's
    exact tracking error (its tangents refined on the effective weights) is the verifier's, and it
    meets the limit without selling the ETF's worth of stocks."""
    half = etf_account(market, "VOO", value_of(index_account, market), index_account.cash, index_account.lots)
    limit = TrackingErrorIR(id="te", span=span(5), max_te=0.006, bands=())
    found = plan(half, policy(limit), market)
    summary = found.result.summary
    assert found.result.verified, found.result.violations
    assert summary.tracking_error_before > 0.008
    assert summary.tracking_error_after <= 0.006 + 1e-4
    assert found.solution.tracking_error_pct / 100 == pytest.approx(summary.tracking_error_after, abs=2e-5)
    assert summary.looked_through == ("VOO",)


def test_the_verifier_refuses_a_looked_through_tracking_error_over_the_limit(
        market: Market, index_account: Account, sp500: dict[str, float]) -> None:
    half = etf_account(market, "VOO", value_of(index_account, market), index_account.cash, index_account.lots)
    outcome = build_outcome(half, market, [], sp500)  # no trades: looked through, 0.83%
    rule = TrackingErrorIR(id="te", span=span(5), max_te=0.005, bands=())
    violations = RULE_KINDS["tracking_error"].verify(rule, outcome)
    assert [v.code for v in violations] == ["V209"]
    assert "0.83" in violations[0].message
    assert RULE_KINDS["tracking_error"].verify(rule.model_copy(update={"max_te": 0.009}), outcome) == []


def test_a_simulation_screens_the_etf_looked_through(market: Market, index_account: Account,
                                                     sp500: dict[str, float]) -> None:
    """A simulation's fast path measures the account's ex-ante tracking error itself (engine/screens.py):
    the same figure as the verifier's, and its gradient prices a unit of VOO as the index's stocks."""
    half = etf_account(market, "VOO", value_of(index_account, market), index_account.cash, index_account.lots)
    screener = Screener(policy(), "proof", Bands())
    at = screener.position(half, market, market.target("sp500"))
    assert at.tracking_error == pytest.approx(tracking_error(market, shares_of(half), half.cash, sp500),
                                              abs=1e-9)
    index = {t: i for i, t in enumerate(at.tickers)}
    through = sum(w * at.gradient[index[t]] for t, w in sp500.items())
    assert at.gradient[index["VOO"]] == pytest.approx(through, rel=1e-9)


def test_the_explanation_says_the_etf_is_looked_through(market: Market, sp500: dict[str, float]) -> None:
    account = etf_account(market, "SPY", Decimal(250_000), Decimal(5_000))
    outcome = build_outcome(account, market, [], sp500)
    rule = TargetIR(id="target", span=span(1), benchmark="sp500")
    [line] = RULE_KINDS["target"].explain(rule, outcome)
    assert "SPY looked through to the S&P 500's stocks" in line


def test_an_etf_without_index_weights_is_refused_not_counted_as_zero(market: Market) -> None:
    bare = replace(market, benchmarks={})
    with pytest.raises(TailorError) as info:
        tracking_error(bare, {"IVV": Decimal(10)}, Decimal(0), {"AAPL": 1.0})
    assert info.value.diagnostics[0].code == "D122"
    with pytest.raises(TailorError) as info:
        universe({"IVV", "AAPL"}, bare)
    assert info.value.diagnostics[0].code == "D122"


def test_a_target_etf_no_account_holds_is_refused(market: Market, index_account: Account, tmp_path) -> None:
    model = tmp_path / "blend.csv"
    model.write_text("ticker,weight\nVOO,50%\nAAPL,30%\nMSFT,20%\n", encoding="utf-8")
    target = TargetIR(id="target", span=span(1), benchmark="model", model_path=str(model))
    with pytest.raises(TailorError) as info:
        plan(index_account, policy(target), market)
    assert info.value.diagnostics[0].code == "S117"
    assert "VOO" in info.value.diagnostics[0].message


def test_a_tangent_is_on_the_effective_weight(market: Market, index_account: Account) -> None:
    """The specific tangent of a name the ETF holds, q ≥ s(2c·a − c²), reads a = its own weight + the
    ETF's × its index weight − its effective target: at any weights, the row's bound on q is that."""
    half = etf_account(market, "VOO", value_of(index_account, market), index_account.cash, index_account.lots)
    model = AccountModel([half], market)
    lower_policy(policy(), model)
    compiled = compile_to_highs(model.m)
    cols = tracking_columns(model, compiled)
    j, c = model.data.index["AAPL"], 0.01
    assert add_tangents(compiled, cols, {j: c}, {}) == 1
    lp = compiled.highs.getLp()
    matrix = sparse.csc_matrix((lp.a_matrix_.value_, lp.a_matrix_.index_, lp.a_matrix_.start_),
                               shape=(lp.num_row_, lp.num_col_)).tocsr()
    row = matrix[lp.num_row_ - 1].toarray().ravel()
    assert np.count_nonzero(row) == 3  # q, AAPL's weight, VOO's weight
    weights = np.random.default_rng(7).dirichlet(np.ones(len(model.data.tickers)))
    x = np.zeros(lp.num_col_)
    x[cols.weight] = weights
    bound = (lp.row_lower_[-1] - row @ x) / row[cols.q[j]]
    active = cols.look.effective(weights - cols.target)[j]
    s = cols.specific[j]
    assert bound == pytest.approx(s * (2 * c * active - c * c), rel=1e-9)


# ---- properties: the one definition, read by the model's arrays and by the verifier ------------------
ETFS = ("SPY", "IVV", "VOO")


@st.composite
def portfolios(draw: st.DrawFn) -> tuple[dict[str, float], dict[str, float]]:
    """Weights on a few stocks and ETFs (and cash: they sum to at most 1), and a fraction of the
    account put in the index."""
    stocks = draw(st.lists(st.sampled_from(("AAPL", "MSFT", "JPM", "XOM", "TSLA", "KO", "NVDA")),
                           max_size=4, unique=True))
    etfs = draw(st.lists(st.sampled_from(ETFS), max_size=3, unique=True))
    raw = {t: draw(st.floats(0.01, 1.0)) for t in (*stocks, *etfs)}
    invested = draw(st.floats(0.0, 1.0))
    total = sum(raw.values()) or 1.0
    return {t: w * invested / total for t, w in raw.items()}, {"index": draw(st.floats(0.05, 0.9))}


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(drawn=portfolios())
def test_effective_weights_keep_the_invested_weight(market: Market, drawn) -> None:
    weights, _ = drawn
    effective = market.look_through(pd.Series(weights, dtype=float))
    assert not set(effective.index) & set(ETFS)
    assert float(effective.sum()) == pytest.approx(sum(weights.values()), abs=1e-12)
    assert (effective >= 0).all()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(drawn=portfolios(), etf=st.sampled_from(ETFS))
def test_stocks_at_index_weight_are_the_etf(market: Market, sp500: dict[str, float], drawn, etf: str) -> None:
    """The same dollars in the index's stocks (at index weight, 6-decimal shares) or in one ETF give
    the same tracking error, beside the same other holdings; and the model's arrays (M·w on the
    universe, the diagonalised risk model) give the verifier's figure."""
    weights, share = drawn
    value, fraction = Decimal(2_000_000), Decimal(repr(share["index"]))
    others = {t: (Decimal(repr(w)) * value * (1 - fraction) / market.price(t)).quantize(SHARE)
              for t, w in weights.items()}
    index_dollars = value * fraction
    through_stocks = dict(others)
    for t, w in sp500.items():
        through_stocks[t] = through_stocks.get(t, Decimal(0)) + \
            (Decimal(repr(w)) * index_dollars / market.price(t)).quantize(SHARE)
    through_etf = dict(others)
    through_etf[etf] = through_etf.get(etf, Decimal(0)) + (index_dollars / market.price(etf)).quantize(SHARE)
    cash = value - sum((s * market.price(t) for t, s in through_etf.items()), Decimal(0))
    cash = max(cash, Decimal(0))
    te_stocks = tracking_error(market, through_stocks, cash, sp500)
    te_etf = tracking_error(market, through_etf, cash, sp500)
    assert te_etf == pytest.approx(te_stocks, abs=1e-7)
    # The model's reading: effective active weights M·(w − t) over its universe.
    tickers = universe(set(through_etf), market)
    look = LookThrough.of(tickers, market)
    total = float(sum((s * market.price(t) for t, s in through_etf.items()), cash))
    held = np.array([float(through_etf.get(t, Decimal(0)) * market.price(t)) / total for t in tickers])
    target = np.array([sp500.get(t, 0.0) for t in tickers])
    variance = risk_arrays(market.risk, tickers).variance(look.effective(held - target))
    assert np.sqrt(variance) == pytest.approx(te_etf, abs=1e-9)
