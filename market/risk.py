"""Factor risk model: Σ = B F Bᵀ + D, and ex-ante tracking error sqrt(aᵀ Σ a) of active weights a.

B (n × k) holds each stock's exposures to the market, its GICS sector and a few statistical
factors; F (k × k) is the annualised factor covariance; D the annualised specific variances. The
model never forms Σ (n × n) to evaluate risk: with x = Bᵀa,
    TE² = xᵀ F x + Σᵢ dᵢ aᵢ²,      ∇TE = (B F x + D a) / TE,
so one evaluation for 500 names costs a few microseconds of BLAS. The gradient is what the
optimizer's outer-approximation cuts need: TE(a) ≥ TE(a₀) + ∇TE(a₀)ᵀ (a − a₀), exact at a₀.

Estimation and caching live in market.risk_build; `risk_model(as_of)` is the entry point.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from core.diagnostics import TailorError
from market.errors import unknown_name


def _read_only(values: np.ndarray) -> np.ndarray:
    values = np.array(values, dtype=float)
    values.flags.writeable = False
    return values


@dataclass(frozen=True, eq=False)
class RiskModel:
    """Frozen, picklable factor model as of one date. Arrays are read-only."""

    as_of: date
    tickers: tuple[str, ...]
    factor_names: tuple[str, ...]
    exposures: np.ndarray  # n × k
    factor_cov: np.ndarray  # k × k, annualised
    specific_var: np.ndarray  # n, annualised
    window_start: date
    window_end: date
    observations: int
    data_version: str = ""
    settings: tuple[tuple[str, float], ...] = ()
    short_history: tuple[str, ...] = ()  # tickers given prior exposures (too little history)
    _position: dict[str, int] = field(init=False, repr=False, compare=False)
    _index: pd.Index = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "exposures", _read_only(self.exposures))
        object.__setattr__(self, "factor_cov", _read_only(self.factor_cov))
        object.__setattr__(self, "specific_var", _read_only(self.specific_var))
        object.__setattr__(self, "_position", {t: i for i, t in enumerate(self.tickers)})
        object.__setattr__(self, "_index", pd.Index(self.tickers, name="ticker"))
        n, k = self.exposures.shape
        if n != len(self.tickers) or k != len(self.factor_names) or self.factor_cov.shape != (k, k) \
                or self.specific_var.shape != (n,):
            raise ValueError("risk model arrays do not match its tickers and factors")

    def __getstate__(self) -> dict[str, object]:
        return {name: getattr(self, name) for name in self.__dataclass_fields__ if not name.startswith("_")}

    def __setstate__(self, state: dict[str, object]) -> None:
        for name, value in state.items():
            object.__setattr__(self, name, value)
        self.__post_init__()

    # ---- weights ↔ arrays -------------------------------------------------------------------
    def position(self, ticker: str) -> int:
        return self._position[ticker]

    def covers(self, ticker: str) -> bool:
        return ticker in self._position

    def to_array(self, active: pd.Series) -> np.ndarray:
        """Active weights as an array in the model's ticker order; names absent count as zero.

        A non-zero weight on a name the model does not cover is an error (D102), never dropped.
        """
        outside = active.index.difference(self._index)
        unknown = [t for t in outside if active[t] != 0]
        if unknown:
            raise TailorError([unknown_name("ticker", t, self.tickers).diagnostics[0] for t in unknown])
        return active.reindex(self._index, fill_value=0.0).to_numpy(dtype=float)

    def _series(self, values: np.ndarray, name: str) -> pd.Series:
        return pd.Series(values, index=self._index, name=name)

    # ---- array interface (what the optimizer calls in its loops) ---------------------------
    @property
    def factor_cov_sqrt(self) -> np.ndarray:
        """L with L Lᵀ = F, so TE² = ‖Lᵀ Bᵀ a‖² + Σ dᵢ aᵢ² (a sum of squares of linear terms).

        From the eigen-decomposition, not Cholesky: F is only positive *semi*-definite (the
        cap-weighted sector factors sum to about zero), so Cholesky can fail.
        """
        eigenvalues, eigenvectors = np.linalg.eigh(self.factor_cov)
        return eigenvectors * np.sqrt(np.clip(eigenvalues, 0.0, None))

    def tracking_error_array(self, active: np.ndarray) -> float:
        x = self.exposures.T @ active
        variance = float(x @ self.factor_cov @ x + np.dot(self.specific_var * active, active))
        return float(np.sqrt(max(variance, 0.0)))

    def gradient_array(self, active: np.ndarray) -> np.ndarray:
        """∇TE at `active` (zero vector at a = 0, where TE is not differentiable)."""
        x = self.exposures.T @ active
        covariance_times_a = self.exposures @ (self.factor_cov @ x) + self.specific_var * active
        te = float(np.sqrt(max(float(active @ covariance_times_a), 0.0)))
        return covariance_times_a / te if te > 0 else np.zeros_like(active)

    def covariance(self) -> np.ndarray:
        """The full n × n annualised covariance B F Bᵀ + D (for checks and small problems)."""
        return self.exposures @ self.factor_cov @ self.exposures.T + np.diag(self.specific_var)

    # ---- pandas interface -------------------------------------------------------------------
    def tracking_error(self, active: pd.Series) -> float:
        """Annualised ex-ante tracking error, as a fraction (0.015 is 1.5%)."""
        return self.tracking_error_array(self.to_array(active))

    def te_gradient(self, active: pd.Series) -> pd.Series:
        return self._series(self.gradient_array(self.to_array(active)), "te_gradient")

    def factor_exposures(self, active: pd.Series) -> pd.Series:
        """Active exposure to each factor, Bᵀa."""
        x = self.exposures.T @ self.to_array(active)
        return pd.Series(x, index=pd.Index(self.factor_names, name="factor"), name="exposure")

    def marginal_contributions(self, active: pd.Series) -> pd.Series:
        """Each name's contribution aᵢ · ∂TE/∂aᵢ; they sum to the tracking error (Euler)."""
        a = self.to_array(active)
        return self._series(a * self.gradient_array(a), "te_contribution")

    def risk_split(self, active: pd.Series) -> dict[str, float]:
        """Tracking-error variance split into factor and specific parts (annualised, squared)."""
        a = self.to_array(active)
        x = self.exposures.T @ a
        return {"factor": float(x @ self.factor_cov @ x), "specific": float(np.dot(self.specific_var * a, a))}
