"""Price history on the shipped parquet: validation, glitch repair, look-ups, ETF prices."""

from __future__ import annotations

import contextlib
from datetime import date

import numpy as np
import pyarrow as pa
import pytest

from core.diagnostics import TailorError
from market.price_checks import find_and_repair_glitches, validate_table
from market.prices import load_prices

README_GLITCHES = {("ANTM", date(2002, 3, 18)), ("TRMB", date(2007, 2, 23)), ("ZBRA", date(2003, 8, 21)),
                   ("KSU", date(2000, 7, 13)), ("GNRC", date(2010, 2, 12)), ("MSI", date(2011, 1, 4)),
                   ("SO", date(2001, 4, 3))}


@pytest.fixture(scope="module")
def prices():
    return load_prices()


def test_shape_and_range(prices):
    assert (prices.first, prices.last) == (date(1999, 11, 1), date(2021, 4, 21))
    assert len(prices.stocks) == 504 and prices.etfs == ("SPY", "IVV", "VOO")
    assert prices.dates.is_monotonic_increasing and prices.dates.is_unique
    assert prices.last_dates["VAR"].date() == date(2021, 4, 16)
    assert "BF.B" not in prices.tickers


def test_every_glitch_the_readme_lists_is_detected_and_repaired(prices):
    found = {(r.ticker, r.date) for r in prices.repairs if r.kind in ("spike", "level_shift")}
    assert found >= README_GLITCHES
    assert len(found) <= 12  # a detector that flags real crashes would find dozens
    for ticker, day in README_GLITCHES:
        move = prices.returns.loc[str(day), ticker]
        assert abs(move) < 0.10, (ticker, day, move)


def test_real_crashes_are_left_alone(prices):
    assert prices.returns.loc["2008-09-15", "AIG"] < -0.5  # AIG fell 61% that day
    assert not any(r.ticker == "AIG" for r in prices.repairs)


def test_repaired_history_has_no_one_day_reversals_of_doubling(prices):
    log_returns = np.log1p(prices.returns.to_numpy())
    today, tomorrow = log_returns[1:-1], log_returns[2:]
    with np.errstate(invalid="ignore"):
        spikes = (np.abs(today) > np.log(1.8)) & (np.abs(today + tomorrow) < 0.1)
    assert not spikes.any()


def test_split_factors_are_repaired_for_lots(prices):
    assert prices.split_factors.loc["2002-03-18", "ANTM"] == 1.0  # booked 2.0, price never halved
    assert prices.split_factors.loc["2007-02-26", "TRMB"] == 2.0  # unbooked, price halved
    assert prices.split_factors.loc["2014-06-09", "AAPL"] == pytest.approx(7.0, rel=1e-5)


def test_close_on_takes_the_last_close_on_or_before(prices):
    saturday = prices.close_on(date(2014, 6, 7), ["AAPL"])
    assert saturday["AAPL"] == prices.close.loc["2014-06-06", "AAPL"]
    assert prices.close_on(date(2021, 4, 21))["VAR"] == prices.close.loc["2021-04-16", "VAR"]
    assert "CARR" not in prices.close_on(date(2019, 1, 2))


def test_close_on_errors_name_the_range_or_a_close_ticker(prices):
    with pytest.raises(TailorError) as info:
        prices.close_on(date(2022, 1, 3))
    assert info.value.diagnostics[0].code == "D101"
    assert "1999-11-01 … 2021-04-21" in info.value.diagnostics[0].message
    with pytest.raises(TailorError) as info:
        prices.close_on(date(2020, 1, 2), ["MSFT", "APPL"])
    assert info.value.diagnostics[0].code == "D102" and "`AAPL`" in info.value.diagnostics[0].hint
    with pytest.raises(TailorError, match=r"BF\.B has no price history"):
        prices.close_on(date(2020, 1, 2), ["BF.B"])
    with pytest.raises(TailorError, match="no price for VOO on or before 2005-01-03"):
        prices.close_on(date(2005, 1, 3), ["VOO"])


def test_splits_between(prices):
    events = prices.splits_between(date(2014, 1, 1), date(2020, 12, 31))
    aapl = events[events["ticker"] == "AAPL"]
    assert list(aapl["date"]) == [date(2014, 6, 9), date(2020, 8, 31)]
    assert list(aapl["ratio"].round(4)) == [7.0, 4.0]
    assert prices.splits_between(date(2014, 6, 9), date(2014, 6, 9)).empty  # effective after start
    with pytest.raises(TailorError) as info:  # a reversed window, not a date outside the history (D101)
        prices.splits_between(date(2020, 12, 31), date(2014, 1, 1))
    assert info.value.diagnostics[0].code == "D120"


def test_the_shared_history_cannot_be_edited(prices):
    """Writing into a frame of the history fails while nothing else views it (its arrays are read-only)
    and, once another view exists, copy-on-write gives the writer a private copy: either way the
    history every caller shares stays intact, whatever earlier tests left viewing it."""
    last = prices.dates[-1]
    frame = prices.close
    with pytest.raises(ValueError, match="read-only"):
        frame.loc[last, "AAPL"] = 0.0
    view = frame["AAPL"]
    frame.loc[last, "AAPL"] = 0.0
    assert frame.loc[last, "AAPL"] == 0.0 and view.loc[last] == 133.5
    returns = prices.returns
    with pytest.raises(ValueError, match="read-only"):
        returns.iloc[-1, 0] = 0.0
    ends = prices.last_dates
    with contextlib.suppress(ValueError):
        ends["VAR"] = ends["AAPL"]
    assert load_prices().close.loc[last, "AAPL"] == 133.5  # AAPL's real close on 2021-04-21
    assert load_prices().returns.iloc[-1, 0] == prices.returns.iloc[-1, 0] != 0.0
    assert load_prices().last_dates["VAR"].date() == date(2021, 4, 16)


def test_etf_prices_follow_the_index_level(prices):
    spy = prices.close["SPY"]
    assert spy.loc["2020-12-31"] == pytest.approx(375.607, abs=0.001)  # S&P 500 closed at 3756.07
    assert np.isnan(prices.close.loc["2010-09-03", "VOO"])
    assert not np.isnan(prices.close.loc["2010-09-07", "VOO"])
    ratio = prices.close.loc["2020-12-31", "IVV"] / prices.close.loc["2020-12-31", "SPY"]
    assert ratio == pytest.approx(1.0)


def _table(**overrides):
    columns = {"date": pa.array(np.array(["2020-01-02", "2020-01-03", "2020-01-02"], dtype="datetime64[us]")),
               "ticker": pa.array(["A", "A", "B"]), "close": pa.array([1.0, 2.0, 3.0]),
               "adjusted_close": pa.array([1.0, 2.0, 3.0]), "dividend_amount": pa.array([0.0, 0.0, 0.0]),
               "split_coefficient": pa.array([1.0, 1.0, 1.0])}
    columns.update(overrides)
    return pa.table(columns)


def test_validator_accepts_a_clean_table_and_names_each_fault():
    validate_table(_table(), "prices.parquet")
    with pytest.raises(TailorError) as info:
        validate_table(_table(close=pa.array([1.0, -2.0, 3.0]),
                              date=pa.array(np.array(["2020-01-02", "2020-01-02", "2020-01-02"],
                                                     dtype="datetime64[us]"))), "prices.parquet")
    messages = [d.message for d in info.value.diagnostics]
    assert any("close ≤ 0" in m for m in messages)
    assert any("duplicate (ticker, date)" in m for m in messages)
    assert all(d.code == "D104" and m.startswith("prices.parquet") for d, m in zip(info.value.diagnostics,
                                                                                     messages, strict=True))
    with pytest.raises(TailorError, match="not contiguous"):
        validate_table(_table(ticker=pa.array(["A", "B", "A"])), "prices.parquet")
    with pytest.raises(TailorError, match="missing column 'close'"):
        validate_table(_table().drop_columns(["close"]), "prices.parquet")


def test_detector_on_a_synthetic_spike_and_level_shift():
    days = 8
    dates = np.arange(np.datetime64("2020-01-01"), np.datetime64("2020-01-01") + days)
    close = np.full((days, 3), 100.0)
    adjusted = close.copy()
    adjusted[4, 0] = 300.0  # one-day spike, raw close flat
    adjusted[:5, 1] = 50.0  # factor booked on the wrong day: earlier closes halved
    close[:, 2] = [100, 101, 99, 40, 41, 40, 42, 41]  # a real crash: raw and adjusted agree
    adjusted[:, 2] = close[:, 2]
    zeros, ones = np.zeros_like(close), np.ones_like(close)
    repaired, repairs = find_and_repair_glitches(dates, ["SPIKE", "SHIFT", "CRASH"], close, adjusted,
                                                 zeros, ones)
    assert [(r.ticker, r.kind) for r in repairs] == [("SPIKE", "spike"), ("SHIFT", "level_shift")]
    assert np.allclose(repaired[:, 0], 100.0) and np.allclose(repaired[:, 1], 100.0)
    assert np.array_equal(repaired[:, 2], adjusted[:, 2])
