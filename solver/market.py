"""The market as one rebalance sees it: prices on the as-of date, benchmark weights, risk model.

An immutable value, so a rebalance is a pure function of (accounts, policy, market, options) and a
batch can ship it to worker processes. `Market.load` assembles it from `solver.data`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Protocol

import numpy as np
import pandas as pd

from policy_lang.diagnostics import Diagnostic, warning


class RiskModel(Protocol):
    """Factor model: covariance = X F Xᵀ + diag(s), annualised, for `tickers` in that order."""

    tickers: tuple[str, ...] | list[str] | pd.Index
    exposures: np.ndarray | pd.DataFrame
    factor_cov: np.ndarray | pd.DataFrame
    specific_var: np.ndarray | pd.Series

    def tracking_error(self, active: pd.Series) -> float: ...


@dataclass(frozen=True)
class RiskArrays:
    """The risk model restricted to a universe, with the factor covariance diagonalised.

    `loadings` (n×k) = X·Q·√Λ, so the factor part of active variance is ‖loadingsᵀ a‖² — a sum of
    squares of k linear forms — and the specific part is Σ sᵢ aᵢ²: variance is separable, which
    lets the model approximate it with one-dimensional tangent cuts (see solver/tracking.py).
    """

    loadings: np.ndarray
    specific_var: np.ndarray

    def variance(self, active: np.ndarray) -> float:
        factor = self.loadings.T @ active
        return float(factor @ factor + self.specific_var @ (active * active))


def risk_arrays(risk: RiskModel, universe: list[str]) -> RiskArrays:
    tickers = list(risk.tickers)
    position = {t: i for i, t in enumerate(tickers)}
    rows = np.array([position.get(t, -1) for t in universe])
    exposures = np.asarray(risk.exposures, dtype=float)
    specific = np.asarray(risk.specific_var, dtype=float)
    x = np.where(rows[:, None] >= 0, exposures[np.maximum(rows, 0)], 0.0)
    # A name the risk model does not cover gets the largest specific variance: unknown is risky.
    s = np.where(rows >= 0, specific[np.maximum(rows, 0)], specific.max())
    eigval, eigvec = np.linalg.eigh(np.asarray(risk.factor_cov, dtype=float))
    keep = eigval > eigval.max() * 1e-10
    loadings = x @ eigvec[:, keep] * np.sqrt(eigval[keep])
    return RiskArrays(loadings=loadings, specific_var=s)


@dataclass(frozen=True)
class Market:
    as_of: date
    prices: pd.Series
    risk: RiskModel
    benchmarks: Mapping[str, pd.Series]
    known_tickers: frozenset[str]
    groups: Mapping[str, str] = field(default_factory=dict)
    priced_as_of: date | None = None  # the trading day whose close prices it; None: `as_of` itself

    @property
    def pricing_date(self) -> date:
        """The close the prices are from: the last trading day on or before `as_of`."""
        return self.priced_as_of or self.as_of

    def pricing_note(self) -> Diagnostic | None:
        """Warning D109 when `as_of` is not a trading day (a weekend or market holiday), so that the
        plan is not silently priced at an earlier close."""
        if self.pricing_date == self.as_of:
            return None
        return warning("D109", f"priced at the close of {self.pricing_date.isoformat()}, the last trading "
                       f"day on or before {self.as_of.isoformat()}",
                       hint=f"{self.as_of.isoformat()} is not a trading day (a weekend or market holiday)")

    def price(self, ticker: str) -> Decimal:
        """The closing price as an exact decimal (the shortest decimal that round-trips the float)."""
        return Decimal(repr(float(self.prices[ticker])))

    def target(self, benchmark: str, model_path: str | None = None) -> pd.Series:
        if benchmark == "model":
            from solver.data.index import model_weights

            return model_weights(str(model_path))
        return self.benchmarks[benchmark]

    @classmethod
    def load(cls, as_of: date) -> Market:
        """Prices (last close on or before `as_of`), S&P 500 cap and equal weights and the factor risk
        model from the shipped data (solver.data)."""
        from solver.data.index import index_weights
        from solver.data.master import load_master
        from solver.data.prices import load_prices
        from solver.data.risk_build import risk_model

        history = load_prices()
        prices = history.close_on(as_of)
        benchmarks = {"sp500": index_weights(as_of, scheme="cap"),
                      "sp500_equal": index_weights(as_of, scheme="equal")}
        return cls(as_of=as_of, prices=prices.sort_index(), risk=risk_model(as_of), benchmarks=benchmarks,
                   known_tickers=frozenset(load_master().tickers) | frozenset(prices.index),
                   priced_as_of=history.trading_day_on(as_of))
