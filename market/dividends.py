"""Trailing-twelve-month dividend yields from the price history's `dividend_amount`.

A payout counts when it is income: below half the previous close (a larger one is a spin-off or a
special distribution the data records as a dividend: docs/data.md). Each is scaled to today's shares
by the split factors booked after it, and divided by today's close. Read by the `dividend yield` rule
kind (its floor and ceiling) and by a household's asset location (solver/model.py), each lowering's
own reading; the verifier computes its own in exact decimals.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

WINDOW_DAYS = 365  # trailing twelve months: ex-dates after the as-of date less this, up to the as-of date
DISTRIBUTION_SHARE = 0.5  # a payout of this share of the previous close or more is not income


def trailing_yields(as_of: date, close: pd.Series, tickers: list[str]) -> np.ndarray | None:
    """Each ticker's yield on `as_of` (0 for a name the history does not price), over today's `close`
    (indexed by ticker); None when the bundled history does not cover the year before `as_of`."""
    import numpy as np  # here, not above: the rule kinds read this module's constants at start-up

    from market.prices import load_prices

    history = load_prices()
    first_day = as_of - timedelta(days=WINDOW_DAYS - 1)
    if first_day <= history.first or as_of > history.last:  # a payout's previous close too
        return None
    columns = history.close.columns.get_indexer(tickers)
    found = columns >= 0
    start = int(history.dates.searchsorted(np.datetime64(first_day)))
    end = history.row_on(as_of) + 1
    paid = np.nan_to_num(history.dividends.to_numpy()[start:end, columns[found]])
    factors = np.nan_to_num(history.split_factors.to_numpy()[start:end, columns[found]], nan=1.0)
    previous = history.close.to_numpy()[start - 1:end - 1, columns[found]] / factors
    income = paid < DISTRIBUTION_SHARE * np.nan_to_num(previous, nan=np.inf)
    from_row_on = np.cumprod(factors[::-1], axis=0)[::-1]  # row r: the product of factors r … end
    later_splits = np.vstack([from_row_on[1:], np.ones((1, factors.shape[1]))])
    per_share = (np.where(income, paid, 0.0) / later_splits).sum(axis=0)
    today = close.reindex(tickers).to_numpy(dtype=float)
    rates = np.zeros(len(tickers))
    rates[found] = per_share / today[found]
    return np.nan_to_num(rates)
