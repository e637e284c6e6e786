"""The simulation's markets are the data layer's markets, built faster."""

from __future__ import annotations

import pickle
from datetime import date

import pandas as pd
import pytest

from engine.market_day import CapWeights, Days, risk_days
from market.index import index_weights
from market.prices import load_prices


@pytest.mark.parametrize("day", [date(2001, 3, 5), date(2008, 10, 10), date(2014, 4, 3), date(2021, 4, 21)])
def test_cap_weights_are_index_weights(day: date) -> None:
    expected = index_weights(day, "cap")
    found = CapWeights(load_prices()).on(day)
    pd.testing.assert_series_equal(found, expected, rtol=1e-12)


def test_closes_walking_forward_are_close_on() -> None:
    history = load_prices()
    days = Days(history, frozenset())
    for day in (date(2021, 4, 14), date(2021, 4, 19), date(2021, 4, 21), date(2010, 1, 4)):  # VAR ends 04-16
        pd.testing.assert_series_equal(days.closes(day), history.close_on(day).sort_index())


def test_a_market_of_the_day_pickles_with_its_benchmarks() -> None:
    days = Days(load_prices(), frozenset({"AAPL"}))
    market = days.market(date(2020, 6, 1), date(2020, 6, 1))
    copy = pickle.loads(pickle.dumps(market))
    expected = index_weights(date(2020, 6, 1), "cap")
    pd.testing.assert_series_equal(copy.benchmarks["sp500"], expected, rtol=1e-12)
    assert copy.benchmarks["sp500_equal"].equals(index_weights(date(2020, 6, 1), "equal"))


def test_a_name_first_priced_in_a_period_starts_a_new_model() -> None:
    # FOXA is priced from 2019-03-12, FOX from 03-13, DOW from 03-20 (index members from their first day).
    steps = [d.date() for d in load_prices().dates if date(2019, 3, 1) <= d.date() <= date(2019, 4, 2)]
    found = risk_days(steps, "monthly", load_prices())
    assert [found[date(2019, 3, d)] for d in (11, 12, 19, 20, 29)] == [
        date(2019, 3, 1), date(2019, 3, 12), date(2019, 3, 13), date(2019, 3, 20), date(2019, 3, 20)]
    assert found[date(2019, 4, 2)] == date(2019, 4, 1)
    market = Days(load_prices(), frozenset()).market(date(2019, 3, 20), found[date(2019, 3, 20)])
    assert "DOW" in market.risk.tickers


def test_risk_models_are_those_of_the_periods_first_step() -> None:
    steps = [date(2020, 3, 30), date(2020, 3, 31), date(2020, 4, 1), date(2020, 7, 1)]
    assert risk_days(steps, "monthly", load_prices()) == {steps[0]: steps[0], steps[1]: steps[0],
                                                          steps[2]: steps[2], steps[3]: steps[3]}
    assert risk_days(steps, "quarterly", load_prices())[steps[2]] == steps[2]
    assert risk_days(steps, "each_step", load_prices())[steps[1]] == steps[1]
