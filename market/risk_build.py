"""Estimating the factor risk model from daily returns up to a date, and caching it by date.

Factors (k = 1 + 11 + STATISTICAL):
  market       cap-weighted return of the index members on the date (weights fixed over the window);
  11 sectors   each GICS sector's cap-weighted return minus the market;
  stat_1…m     principal components of what the market and sector factors leave unexplained.
Exposures are time-series regressions of each stock on the market and its own sector's factor
(exponentially weighted, half-life `half_life` days), then the loadings of its residual on the
principal components. Factor covariance: exponentially weighted, annualised ×252. Specific
variance: the exponentially weighted variance of what remains, shrunk towards the median of the
stock's sector (weight SHRINKAGE) and floored at SPECIFIC_FLOOR.

Short history: a stock with fewer than MIN_OBSERVATIONS returns in the window gets prior
exposures (market 1, own sector 1, statistical 0) and the 75th percentile specific variance of its
sector — a deliberately cautious guess. Stocks without a price on the date are left out.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np

from core.blas import one_thread
from core.diagnostics import TailorError, error
from core.paths import cache_dir, write_atomically
from market.index import market_caps
from market.master import load_master
from market.prices import load_prices
from market.risk import RiskModel

# A risk model's last bits follow the BLAS thread count, and the cache then serves them to every plan
# of that date: built by `tailor data risk-model` (which loads no solver) on the machine's threads,
# di_2010_summer's loadings differed from a fresh machine's by 2e-15 and its search took another path.
one_thread()

MODEL_VERSION = "3"  # 3: built on one BLAS thread, whoever builds it (caches of 2 may hold other bits)
LOOKBACK = 504
HALF_LIFE = 21
STATISTICAL = 5
MIN_OBSERVATIONS = 60
SHRINKAGE = 0.3
SPECIFIC_FLOOR = 0.0025  # 5% annual specific volatility
ANNUAL = 252


def _ew_weights(length: int, half_life: float) -> np.ndarray:
    weights = 0.5 ** (np.arange(length)[::-1] / half_life)
    return weights / weights.sum()


def build_risk_model(as_of: date, lookback: int = LOOKBACK, half_life: float = HALF_LIFE,
                     statistical: int = STATISTICAL) -> RiskModel:
    """Estimate the model from the `lookback` daily returns ending on the last trading day ≤ as_of."""
    prices = load_prices()
    master = load_master()
    row = prices.row_on(as_of)
    window = prices.window_returns(as_of, lookback)
    if len(window) < MIN_OBSERVATIONS:
        raise TailorError(error("D107", f"only {len(window)} trading days of returns before "
                                        f"{as_of.isoformat()}; a risk model needs {MIN_OBSERVATIONS}",
                                hint=f"choose a date after {prices.dates[MIN_OBSERVATIONS].date()}"))
    priced_today = prices.close.iloc[row][list(prices.stocks)].notna()
    tickers = [t for t in prices.stocks if priced_today[t]]
    returns = window[tickers].to_numpy()
    observed = np.isfinite(returns)
    returns = np.where(observed, returns, 0.0)
    weights = _ew_weights(len(window), half_life)
    sectors = sorted(master.sectors)
    sector_of = np.array([sectors.index(master.resolve(t).sector) for t in tickers])

    market, excess = _market_and_sector_returns(as_of, tickers, returns, observed, sector_of, sectors)
    betas, residual = _regress_on_market_and_sector(returns, observed, weights, market, excess, sector_of)
    pc_returns, pc_loadings, specific = _principal_components(residual, observed, weights, statistical)

    counts = observed.sum(axis=0)
    short = counts < MIN_OBSERVATIONS
    factor_returns = np.column_stack([market, excess, pc_returns])
    n, k = len(tickers), factor_returns.shape[1]
    exposures = np.zeros((n, k))
    exposures[:, 0] = betas[:, 0]
    exposures[np.arange(n), 1 + sector_of] = betas[:, 1]
    exposures[:, 1 + len(sectors):] = pc_loadings
    exposures[short] = 0.0
    exposures[short, 0] = 1.0
    exposures[np.flatnonzero(short), 1 + sector_of[short]] = 1.0

    centred = factor_returns - weights @ factor_returns
    factor_cov = (centred * weights[:, None]).T @ centred * ANNUAL
    specific_var = _shrink_specific(specific * ANNUAL, sector_of, short)
    names = ("market", *(f"sector:{s}" for s in sectors), *(f"stat_{i + 1}" for i in range(statistical)))
    return RiskModel(as_of=as_of, tickers=tuple(tickers), factor_names=names, exposures=exposures,
                     factor_cov=factor_cov, specific_var=specific_var,
                     window_start=window.index[0].date(), window_end=window.index[-1].date(),
                     observations=len(window), data_version=prices.data_version,
                     settings=(("lookback", float(lookback)), ("half_life", float(half_life)),
                               ("statistical", float(statistical))),
                     short_history=tuple(t for t, s in zip(tickers, short, strict=True) if s))


def _market_and_sector_returns(as_of: date, tickers: list[str], returns: np.ndarray, observed: np.ndarray,
                               sector_of: np.ndarray, sectors: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Cap-weighted market and sector-minus-market daily returns (caps of the members on as_of)."""
    caps = market_caps(as_of)["cap"].reindex(tickers).fillna(0.0).to_numpy()
    weighted = observed * caps

    def cap_weighted(mask: np.ndarray) -> np.ndarray:
        w = weighted * mask
        total = w.sum(axis=1)
        return np.divide((returns * w).sum(axis=1), total, out=np.zeros(len(total)), where=total > 0)

    market = cap_weighted(np.ones(len(tickers), dtype=bool))
    excess = np.column_stack([cap_weighted(sector_of == s) - market for s in range(len(sectors))])
    return market, excess


def _regress_on_market_and_sector(returns: np.ndarray, observed: np.ndarray, weights: np.ndarray,
                                  market: np.ndarray, sector_excess: np.ndarray,
                                  sector_of: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per stock, weighted least squares of r on [1, market, own-sector excess] over its observed days."""
    t, n = returns.shape
    regressors = np.empty((t, n, 3))
    regressors[:, :, 0] = 1.0
    regressors[:, :, 1] = market[:, None]
    regressors[:, :, 2] = sector_excess[:, sector_of]
    w = weights[:, None] * observed
    gram = np.einsum("tn,tni,tnj->nij", w, regressors, regressors) + 1e-12 * np.eye(3)
    moment = np.einsum("tn,tni,tn->ni", w, regressors, returns)
    coef = np.linalg.solve(gram, moment[:, :, None])[:, :, 0]
    residual = (returns - np.einsum("tni,ni->tn", regressors, coef)) * observed
    return coef[:, 1:], residual


def _principal_components(residual: np.ndarray, observed: np.ndarray, weights: np.ndarray,
                          count: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Top principal components of the weighted residuals: factor returns, loadings, leftover variance."""
    scaled = residual * np.sqrt(weights)[:, None]
    left, singular, right = np.linalg.svd(scaled, full_matrices=False)
    # Scaled so loadings have unit root-mean-square across stocks, like betas (the product is unchanged).
    root_n = np.sqrt(residual.shape[1])
    pc_returns = left[:, :count] * singular[:count] / np.sqrt(weights)[:, None] / root_n
    loadings = right[:count].T * root_n
    specific_returns = residual - pc_returns @ loadings.T
    seen = weights[:, None] * observed
    specific = (seen * specific_returns ** 2).sum(axis=0) / np.maximum(seen.sum(axis=0), 1e-12)
    return pc_returns, loadings, specific


def _shrink_specific(specific: np.ndarray, sector_of: np.ndarray, short: np.ndarray) -> np.ndarray:
    out = specific.copy()
    for sector in np.unique(sector_of):
        members = (sector_of == sector) & ~short
        pool = specific[members] if members.any() else specific[~short]
        target = float(np.median(pool))
        out[members] = (1 - SHRINKAGE) * specific[members] + SHRINKAGE * target
        out[(sector_of == sector) & short] = float(np.percentile(pool, 75))
    return np.maximum(out, SPECIFIC_FLOOR)


# ---- cache -------------------------------------------------------------------------------------
def _cache_path(trading_day: date, data_version: str) -> Path:
    key = f"{trading_day.isoformat()}-L{LOOKBACK}-H{HALF_LIFE}-S{STATISTICAL}-v{MODEL_VERSION}-{data_version}"
    return cache_dir() / "risk" / f"risk-{key}.npz"


def risk_model(as_of: date) -> RiskModel:
    """The risk model for `as_of` with the default settings: loaded from the cache, else built and saved."""
    prices = load_prices()
    trading_day = prices.dates[prices.row_on(as_of)].date()
    path = _cache_path(trading_day, prices.data_version)
    if path.exists():
        return load_model(path)
    model = build_risk_model(trading_day)
    save_model(model, path)
    return model


def save_model(model: RiskModel, path: Path) -> None:
    meta = {"as_of": model.as_of.isoformat(), "tickers": list(model.tickers),
            "factor_names": list(model.factor_names), "window_start": model.window_start.isoformat(),
            "window_end": model.window_end.isoformat(), "observations": model.observations,
            "data_version": model.data_version, "settings": [list(s) for s in model.settings],
            "short_history": list(model.short_history)}

    def write(tmp: Path) -> None:
        with tmp.open("wb") as handle:
            np.savez(handle, exposures=model.exposures, factor_cov=model.factor_cov,
                     specific_var=model.specific_var, meta=np.array(json.dumps(meta)))

    write_atomically(path, write)


def load_model(path: Path) -> RiskModel:
    with np.load(path, allow_pickle=False) as stored:
        meta = json.loads(str(stored["meta"]))
        return RiskModel(as_of=date.fromisoformat(meta["as_of"]), tickers=tuple(meta["tickers"]),
                         factor_names=tuple(meta["factor_names"]), exposures=stored["exposures"],
                         factor_cov=stored["factor_cov"], specific_var=stored["specific_var"],
                         window_start=date.fromisoformat(meta["window_start"]),
                         window_end=date.fromisoformat(meta["window_end"]),
                         observations=int(meta["observations"]), data_version=meta["data_version"],
                         settings=tuple((str(k), float(v)) for k, v in meta["settings"]),
                         short_history=tuple(meta["short_history"]))
