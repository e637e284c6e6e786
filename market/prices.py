"""Daily prices 1999-11-01 … 2021-04-21: raw and adjusted closes, dividends, split factors.

`load_prices()` returns a cached, read-only `PriceHistory` of wide frames (dates × tickers) from the
project's fast format (market.price_store), with the shipped glitches already repaired; the
repairs are listed in `.repairs`. Known limits of the data: only April-2021 members are present
(survivorship bias), VAR ends 2021-04-16, BF.B is absent. The S&P 500 ETFs (SPY, IVV, VOO) are
extra columns priced from the index level (market.etfs).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from functools import cache, cached_property

import numpy as np
import pandas as pd

from core.diagnostics import TailorError, error
from market.errors import date_outside, unknown_name
from market.price_checks import Repair
from market.price_store import load_arrays, repairs_from


def _read_only(values: np.ndarray) -> np.ndarray:
    if values.flags.writeable:
        values.flags.writeable = False  # the cached history is shared: nobody may edit it in place
    return values


class PriceHistory:
    """Read-only price history; every frame has a DatetimeIndex named `date` and ticker columns.

    The arrays are shared by every caller in the process (`load_prices` is cached) and cannot be written.
    Each frame is built anew at every access, over those arrays (a few microseconds, no copy): under
    pandas' copy-on-write, writing into a frame that another view shares copies the data into that
    frame first, so a frame kept here would carry one caller's write to every other caller.
    """

    def __init__(self, arrays: dict[str, np.ndarray]):
        self.dates = pd.DatetimeIndex(arrays["dates"].astype("datetime64[ns]"), name="date")
        self._columns = pd.Index(arrays["tickers"].astype(str).tolist(), name="ticker")
        self._close = _read_only(arrays["close"])
        self._adjusted_close = _read_only(arrays["adjusted_close"])
        self._dividends = _read_only(arrays["dividend_amount"])
        self._split_factors = _read_only(arrays["split_coefficient"])
        etf_count = int(arrays["etf_count"])
        self.etfs: tuple[str, ...] = tuple(self._columns[len(self._columns) - etf_count:])
        self.stocks: tuple[str, ...] = tuple(self._columns[: len(self._columns) - etf_count])
        self.repairs: tuple[Repair, ...] = repairs_from(arrays)
        self.data_version = str(arrays["data_version"])
        self.first: date = self.dates[0].date()
        self.last: date = self.dates[-1].date()

    def _frame(self, values: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame(values, index=self.dates, columns=self._columns, copy=False)

    @property
    def close(self) -> pd.DataFrame:
        return self._frame(self._close)

    @property
    def adjusted_close(self) -> pd.DataFrame:
        return self._frame(self._adjusted_close)

    @property
    def dividends(self) -> pd.DataFrame:
        return self._frame(self._dividends)

    @property
    def split_factors(self) -> pd.DataFrame:
        return self._frame(self._split_factors)

    @property
    def tickers(self) -> tuple[str, ...]:
        return tuple(self._columns)

    @cached_property
    def _returns(self) -> np.ndarray:
        values = self._adjusted_close
        out = np.full_like(values, np.nan)
        out[1:] = values[1:] / values[:-1] - 1.0
        return _read_only(out)

    @property
    def returns(self) -> pd.DataFrame:
        """Daily total returns from the repaired adjusted closes (NaN before listing and after delisting)."""
        return self._frame(self._returns)

    @cached_property
    def _last_dates(self) -> np.ndarray:
        return _read_only(self.close.apply(lambda column: column.last_valid_index()).to_numpy())

    @property
    def last_dates(self) -> pd.Series:
        """Each ticker's last date with a price (VAR ends 2021-04-16)."""
        return pd.Series(self._last_dates, index=self._columns, copy=False)

    def row_on(self, as_of: date) -> int:
        """Position of the last trading day on or before `as_of` (D101 outside the history)."""
        if not self.first <= as_of <= self.last:
            raise date_outside("price history", as_of, self.first, self.last)
        return int(self.dates.searchsorted(pd.Timestamp(as_of), side="right")) - 1

    def check_tickers(self, tickers: Iterable[str]) -> list[str]:
        tickers = list(tickers)
        unknown = [t for t in tickers if t not in self._columns]
        if unknown:
            raise TailorError([_no_history(t, self.tickers) for t in unknown])
        return tickers

    def trading_day_on(self, as_of: date) -> date:
        """The last trading day on or before `as_of`: the close `close_on(as_of)` prices at (the
        day itself unless it is a weekend or market holiday; D101 outside the history)."""
        return self.dates[self.row_on(as_of)].date()

    def close_on(self, as_of: date, tickers: Iterable[str] | None = None) -> pd.Series:
        """Last raw close on or before `as_of`, per ticker.

        Without `tickers`: every ticker priced by then (delisted names keep their last close).
        With `tickers`: exactly those, in that order; an unknown ticker or one not yet trading is an
        error naming the valid range.
        """
        return self._last_on(self.close, as_of, tickers)

    def _last_on(self, frame: pd.DataFrame, as_of: date, tickers: Iterable[str] | None) -> pd.Series:
        row = self.row_on(as_of)
        window = frame.iloc[: row + 1]
        if tickers is not None:
            window = window[self.check_tickers(tickers)]
        last = window.ffill().iloc[-1] if len(window) else pd.Series(dtype=float)
        last.name = as_of
        if tickers is None:
            return last.dropna()
        missing = last.index[last.isna()]
        if len(missing):
            raise TailorError([error("D101", f"no price for {t} on or before {as_of.isoformat()}",
                                     hint=f"{t} is priced from {self.close[t].first_valid_index().date()}")
                               for t in missing])
        return last

    def splits_between(self, start: date, end: date) -> pd.DataFrame:
        """Split events effective after the close of `start` up to and including `end`.

        Columns: date, ticker, ratio (new shares per old share: 7.0 for AAPL's 2014 split).
        """
        if end < start:
            raise TailorError(error("D120", f"split window ends ({end}) before it starts ({start})"))
        first, last = self.row_on(start), self.row_on(end)
        block = self.split_factors.iloc[first + 1: last + 1]
        events = block.stack()
        events = events[events.notna() & (events != 1.0)]
        out = events.rename("ratio").reset_index()
        out["date"] = out["date"].dt.date
        return out[["date", "ticker", "ratio"]].sort_values(["date", "ticker"], ignore_index=True)

    def window_returns(self, end: date, days: int) -> pd.DataFrame:
        """The `days` daily total returns ending on the last trading day on or before `end`."""
        row = self.row_on(end)
        return self.returns.iloc[max(row - days + 1, 1): row + 1]


def _no_history(ticker: str, tickers: tuple[str, ...]) -> object:
    if ticker == "BF.B":
        return error("D102", "BF.B has no price history: the shipped price file lacks it",
                     hint="exclude BF.B or hold it outside the optimised sleeve")
    return unknown_name("ticker", ticker, tickers).diagnostics[0]


@cache
def load_prices() -> PriceHistory:
    """The whole price history, loaded once per process from the fast format (built on first use)."""
    return PriceHistory(load_arrays())
