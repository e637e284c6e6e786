"""The market as one rebalance sees it: prices on the as-of date, benchmark weights, risk model.

An immutable value, so a rebalance is a pure function of (accounts, policy, market, options) and a
batch can ship it to worker processes. `Market.load` assembles it from the bundled history
(`market`); `Market.from_snapshot` from the caller's prices on a date past it
(`market.snapshot`), with the bundled risk model and a statement of its age (`MarketInfo`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cached_property
from typing import TYPE_CHECKING, Literal, Protocol

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict

from core.blas import one_thread
from core.diagnostics import Diagnostic, Span, TailorError, error, warning
from solver.account import Account, check_against_market

one_thread()  # numpy's BLAS for the plan's own arithmetic (market/risk_build.py pins it for risk models too)

if TYPE_CHECKING:
    from market.snapshot import Snapshot


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


class MarketInfo(BaseModel):
    """Where a rebalance's market data came from and how old its risk model is (result.json `market`)."""

    model_config = ConfigDict(frozen=True)

    source: Literal["bundled", "snapshot"]
    snapshot: str | None = None  # snapshot.yaml as given (<memory>: built in Python); None when bundled
    snapshot_digest: str | None = None  # sha256 of snapshot.yaml and the files it names
    snapshot_sources: tuple[str, ...] = ()  # where the snapshot says its figures come from
    risk_model_as_of: date  # the last day of returns the risk model is estimated from
    risk_model_age_days: int  # calendar days from then to `as_of`: how stale the risk model is
    # Priced stocks the risk model has no estimate for: no factor exposure, its largest specific variance.
    not_in_risk_model: tuple[str, ...] = ()
    # Renamed tickers estimated from their predecessor's history (META: FB).
    risk_model_predecessors: dict[str, str] = {}


@dataclass(frozen=True)
class Market:
    as_of: date
    prices: pd.Series
    risk: RiskModel
    benchmarks: Mapping[str, pd.Series]
    known_tickers: frozenset[str]
    groups: Mapping[str, str] = field(default_factory=dict)
    priced_as_of: date | None = None  # the trading day whose close prices it; None: `as_of` itself
    info: MarketInfo | None = None  # where the data came from and the risk model's age (result.json)
    snapshot: Snapshot | None = None  # the caller's market data, when it is not the bundled history

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

    def staleness_note(self) -> Diagnostic | None:
        """Warning D117 when the risk model stops before the close that prices the plan (a snapshot
        past the bundled history): its exposures and volatilities are that much older."""
        info = self.info
        if info is None or info.risk_model_as_of >= self.pricing_date:
            return None
        outside = (f"; {len(info.not_in_risk_model)} priced names it has no estimate for count with no "
                   "factor exposure and its largest specific variance" if info.not_in_risk_model else "")
        return warning("D117", f"the risk model is estimated from returns up to {info.risk_model_as_of}, "
                       f"{info.risk_model_age_days:,} days before the as-of date {self.as_of}",
                       self.snapshot.as_of_span if self.snapshot else None,
                       "the bundled price history ends there: exposures and volatilities have moved since, "
                       f"so read the tracking error as an estimate{outside}")

    def notes(self) -> list[Diagnostic]:
        """The warnings a command prints before it solves: D109 (pricing close), D117 (stale risk model)."""
        return [note for note in (self.pricing_note(), self.staleness_note()) if note is not None]

    def check_account(self, account: Account) -> None:
        """Refuse an account this market cannot value or trade, before any model is built: on a
        snapshot, a different as-of date (D115) or a held name without a price (D114, naming the lot);
        then unknown tickers, missing prices and dates after the as-of date (A106–A108, A114)."""
        if self.snapshot is not None:
            from solver.snapshot_checks import check_against_snapshot

            check_against_snapshot(account, self.snapshot)
        check_against_market(account, self.as_of, self.prices.index, self.known_tickers)

    @cached_property
    def decimal_prices(self) -> dict[str, Decimal]:
        """Every close as an exact decimal (the shortest decimal that round-trips the float), built once:
        a rebalance asks for them from several rules, the trades and the verifier."""
        return {str(t): Decimal(repr(float(p))) for t, p in self.prices.items()}

    def price(self, ticker: str) -> Decimal:
        return self.decimal_prices[ticker]

    def look_through(self, weights: pd.Series) -> pd.Series:
        """Weights with every S&P 500 ETF position (SPY, IVV, VOO) replaced by the index's constituents
        at this market's index weights (`market.index.look_through`: a name's own weight plus the ETF's
        weight times its index weight). Every tracking error is measured on these. An ETF with a weight
        and no index weights to look through is D122, never a tracking error of 0."""
        from market.etfs import is_index_etf
        from market.index import look_through

        etfs = sorted(str(t) for t, w in weights.items() if is_index_etf(str(t)) and w != 0)
        if etfs and "sp500" not in self.benchmarks:
            origin = self.snapshot.origin if self.snapshot else "<memory>"
            raise TailorError(error(
                "D122", f"{', '.join(etfs)} must be looked through to the S&P 500's constituents, but the "
                f"market {origin} gives no index weights on {self.as_of}",
                Span.point(origin, 1, 1) if self.snapshot else None,
                "add `target: target.csv` (the index's weights on the as-of date) to the snapshot, so that "
                "the ETF is measured as the stocks it holds"))
        return look_through(weights, self.benchmarks["sp500"]) if etfs else \
            weights.drop([t for t in weights.index if is_index_etf(str(t))])

    def target(self, benchmark: str, model_path: str | None = None) -> pd.Series:
        if benchmark == "model":  # its names may be any this market knows (a snapshot adds securities)
            from market.etfs import SP500_ETFS
            from market.index import MAX_MODEL_BYTES
            from market.model_file import read_model_file

            known = set(self.known_tickers) | set(SP500_ETFS)
            weights = read_model_file(str(model_path), known, MAX_MODEL_BYTES)
            unpriced = [t for t, w in weights.items() if w > 0 and t not in self.prices.index]
            if self.snapshot is not None and unpriced:  # the caller can add the missing closes
                raise TailorError(error(
                    "D114", f"the target model {model_path} names {', '.join(unpriced[:5])}"
                    f"{' …' if len(unpriced) > 5 else ''}, without a price in the market snapshot "
                    f"{self.snapshot.origin}", Span.point(str(model_path), 1, 1),
                    "add their closes to the snapshot's prices, or take them out of the model"))
            return weights
        if benchmark not in self.benchmarks:  # only a snapshot without index weights lacks them
            origin = self.snapshot.origin if self.snapshot else "<memory>"
            raise TailorError(error(
                "D116", f"the policy tracks `target {benchmark}`, but the market snapshot {origin} gives no "
                "index weights", Span.point(origin, 1, 1) if origin != "<memory>" else None,
                "add `target: target.csv` (ticker,weight: the index on the as-of date) to the snapshot, or "
                "give the account its own target model (`target:` in account.yaml, or --target)"))
        return self.benchmarks[benchmark]

    @classmethod
    def load(cls, as_of: date) -> Market:
        """Prices (last close on or before `as_of`), S&P 500 cap and equal weights and the factor risk
        model from the shipped data (market)."""
        from market.etfs import is_index_etf
        from market.index import index_weights
        from market.master import load_master
        from market.prices import load_prices
        from market.risk_build import risk_model

        history = load_prices()
        prices = history.close_on(as_of)
        benchmarks = {"sp500": index_weights(as_of, scheme="cap"),
                      "sp500_equal": index_weights(as_of, scheme="equal")}
        risk = risk_model(as_of)
        covered = set(risk.tickers)
        outside = tuple(t for t in prices.index.sort_values() if t not in covered and not is_index_etf(t))
        info = MarketInfo(source="bundled", risk_model_as_of=risk.as_of,
                          risk_model_age_days=(as_of - risk.as_of).days, not_in_risk_model=outside)
        return cls(as_of=as_of, prices=prices.sort_index(), risk=risk, benchmarks=benchmarks,
                   known_tickers=frozenset(load_master().tickers) | frozenset(prices.index),
                   priced_as_of=history.trading_day_on(as_of), info=info)

    @classmethod
    def from_snapshot(cls, snapshot: Snapshot) -> Market:
        """The caller's closes and index weights on the snapshot's date, its securities added to the
        master, and the bundled risk model through the last day of history on or before that date
        (market/snapshot_risk.py). Compile the policy against `snapshot.master`."""
        from market.snapshot_risk import snapshot_risk_model

        prices = snapshot.price_series()
        risk, outside, predecessors = snapshot_risk_model(snapshot.as_of, prices.index)
        info = MarketInfo(source="snapshot", snapshot=snapshot.origin, snapshot_digest=snapshot.digest,
                          snapshot_sources=snapshot.sources,
                          risk_model_as_of=risk.as_of, risk_model_age_days=(snapshot.as_of - risk.as_of).days,
                          not_in_risk_model=outside, risk_model_predecessors=predecessors)
        return cls(as_of=snapshot.as_of, prices=prices, risk=risk, benchmarks=snapshot.benchmarks(),
                   known_tickers=frozenset(snapshot.master.tickers) | frozenset(prices.index), info=info,
                   snapshot=snapshot)
