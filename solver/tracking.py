"""Ex-ante tracking error in a linear model: separable tangent cuts, refined until exact.

With the factor covariance diagonalised (`solver.market.RiskArrays`), active variance is a sum of
one-dimensional convex squares: factor terms fⱼ² (fⱼ = 100·Σᵢ Lᵢⱼ aᵢ, in percent) and specific
terms 10⁴·sᵢ·aᵢ². Each term has an epigraph variable (h[j], q[i]) bounded below by tangent lines
(cuts). Tangents under-estimate a square, so the model's variance is a lower bound of the exact one;
after each solve the terms whose exact value exceeds their epigraph get a new tangent at the
current point, and the model is re-solved until the exact tracking error differs from the model's
by less than a tolerance. A tracking-error limit written as `variance ≤ limit²` therefore holds on
the exact figure within that tolerance — no quadratic solver needed (HiGHS solves no MIQP).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import highspy
import numpy as np

from solver.handoff import INF, Compiled
from solver.look_through import LookThrough
from solver.model import AccountModel

RELATIVE_GRID = (1.0, 0.5, -0.5)
ABSOLUTE_GRID = (-0.04, -0.02, -0.01, -0.005, -0.0025, 0.0025, 0.005, 0.01, 0.02, 0.04)
VARIANCE_BACK_OFF = 0.94  # a variance limit's share while a whole-share point is sought (TE 0.97)


@dataclass
class TrackingColumns:
    weight: np.ndarray
    factor: np.ndarray
    q: np.ndarray
    h: np.ndarray
    specific: np.ndarray  # 10⁴·sᵢ, so that a specific term is specific·aᵢ² in %²
    target: np.ndarray
    loadings: np.ndarray  # 100·L, so that factor = loadingsᵀ·a in percent (a: effective active weights)
    # ETFs measured as their index's constituents: a specific term is on a name's effective active
    # weight (solver/look_through.py); the identity when no ETF is held.
    look: LookThrough

    def __post_init__(self) -> None:
        self.effective_target = self.look.effective(self.target)

    def active(self, x: np.ndarray) -> np.ndarray:
        """Effective active weights: M·(w − t)."""
        held = np.where(self.weight >= 0, x[np.maximum(self.weight, 0)], 0.0)
        return self.look.effective(held - self.target)

    def exact_terms(self, active: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self.specific * active * active, (self.loadings.T @ active) ** 2

    def model_terms(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        q = np.where(self.q >= 0, x[np.maximum(self.q, 0)], 0.0)
        h = np.where(self.h >= 0, x[np.maximum(self.h, 0)], 0.0)
        return q, h


def tracking_columns(model: AccountModel, compiled: Compiled) -> TrackingColumns:
    m = model.m
    n, k = len(model.data.tickers), model.data.risk.loadings.shape[1]
    return TrackingColumns(weight=compiled.cols([m.weight[i] for i in range(n)]),
                           factor=compiled.cols([m.factor[j] for j in range(k)]),
                           q=compiled.cols([m.q[i] for i in range(n)]),
                           h=compiled.cols([m.h[j] for j in range(k)]),
                           specific=1e4 * model.data.risk.specific_var, target=model.target_weights,
                           loadings=100.0 * model.data.risk.loadings, look=model.data.look_through)


def variance_limit_rows(compiled: Compiled, variance_col: int) -> np.ndarray:
    """The rows that hold the variance under a limit (`variance ≤ limit²`: a tracking-error rule's,
    the household's), not the tangents, which bound it from below."""
    column = compiled.matrix[:, [variance_col]].tocoo()
    upper, lower = compiled.row_upper[column.row], compiled.row_lower[column.row]
    limits = (column.data > 0) & (upper < INF) & (lower == -INF)
    return compiled.in_highs(column.row[limits]).astype(np.int32)


@contextmanager
def variance_backed_off(highs: highspy.Highs, rows: np.ndarray) -> Iterator[None]:
    """Every limit in `rows` at VARIANCE_BACK_OFF of itself while inside, restored on leaving. A
    relaxation's point on a binding tracking-error limit has whole-share neighbours that pass it; the
    point of the backed-off relaxation, rounded, usually keeps the limit itself."""
    _, _, lower, upper, _ = highs.getRows(len(rows), rows)
    highs.changeRowsBounds(len(rows), rows, lower, upper * VARIANCE_BACK_OFF)
    try:
        yield
    finally:
        highs.changeRowsBounds(len(rows), rows, lower, upper)


def add_tangents(compiled: Compiled, cols: TrackingColumns, specific_at: dict[int, float],
                 factor_at: dict[int, float]) -> int:
    """Add tangents q_i ≥ s(2c·a − c²) at a = c (a = e − t: effective active weight, e_i = w_i +
    Σ_etf share_i·w_etf) and h_j ≥ 2c·f − c² at f = c: one row per name (in index order; its own
    weight and each ETF holding it), then one per factor; built as arrays (the initial grid adds 13
    such batches, ~6,500 rows on a 500-name account)."""
    look = cols.look
    names = np.array(sorted(specific_at), dtype=np.int64)
    c = np.array([specific_at[i] for i in names.tolist()], dtype=float)
    # Weights are never negative, so an active weight below -target never occurs; an ETF looked
    # through has no effective weight of its own.
    keep = (cols.q[names] >= 0) & (cols.weight[names] >= 0) & (c >= -cols.effective_target[names]) \
        & look.counted[names] if len(names) else np.zeros(0, dtype=bool)
    names, c = names[keep], c[keep]
    s, t = cols.specific[names], cols.effective_target[names]
    factors = np.array(sorted(factor_at), dtype=np.int64)
    f = np.array([factor_at[j] for j in factors.tolist()], dtype=float)
    keep = (cols.h[factors] >= 0) & (cols.factor[factors] >= 0) if len(factors) else np.zeros(0, dtype=bool)
    factors, f = factors[keep], f[keep]
    count = len(names) + len(factors)
    if not count:
        return 0
    slope = -2.0 * s * c
    # Each name's row: q, its own weight, then the ETFs that hold it (share > 0).
    share = look.share[names]
    row, etf = np.nonzero(share > 0)
    per_row = np.r_[2 + np.bincount(row, minlength=len(names)), np.full(len(factors), 2)]
    start = np.r_[0, np.cumsum(per_row)[:-1]]
    index = np.empty(int(per_row.sum()), dtype=np.int32)
    value = np.empty(len(index))
    named, factored = start[:len(names)], start[len(names):]
    index[named], index[named + 1] = cols.q[names], cols.weight[names]
    value[named], value[named + 1] = 1.0, slope
    if len(row):
        rank = np.arange(len(row)) - np.searchsorted(row, row)  # row is sorted: position within its row
        at = named[row] + 2 + rank
        index[at] = cols.weight[look.etfs[etf]]
        value[at] = slope[row] * share[row, etf]
    index[factored], index[factored + 1] = cols.h[factors], cols.factor[factors]
    value[factored], value[factored + 1] = 1.0, -2.0 * f
    lower = np.r_[-s * c * c - 2.0 * s * c * t, -f * f]
    compiled.highs.addRows(count, lower, np.full(count, INF), len(index), start.astype(np.int32), index,
                           value)
    return count


def tangent_grid(active: np.ndarray, absolute_scale: float = 1.0) -> Iterator[np.ndarray]:
    """Where solutions land, one array of points per batch of tangents (a point at 0 is no tangent
    worth a row: callers drop it): between the current active weights and their mirror image
    (rebalancing moves them towards zero), then fixed points of ±0.25% … ±4% times `absolute_scale`
    for everything (a name on target today can still become a replacement or be sold)."""
    for scale in RELATIVE_GRID:
        yield scale * active
    for point in ABSOLUTE_GRID:
        yield np.full(len(active), absolute_scale * point)


def initial_tangents(compiled: Compiled, cols: TrackingColumns, held_active: np.ndarray) -> int:
    """Tangents on `tangent_grid` for every name's active weight and every factor exposure (in
    percent: the fixed points scaled by 40, i.e. ±0.1% … ±1.6%). `held_active`: held minus target
    weights over the universe, looked through here."""
    held_active = cols.look.effective(held_active)
    count = 0
    for specific, factor in zip(tangent_grid(held_active), tangent_grid(cols.loadings.T @ held_active, 40.0),
                                strict=True):
        count += add_tangents(compiled, cols, {i: float(c) for i, c in enumerate(specific) if c != 0},
                              {j: float(f) for j, f in enumerate(factor) if f != 0})
    return count


def refine(compiled: Compiled, cols: TrackingColumns, x: np.ndarray,
           tolerance_pct: float) -> tuple[float, int]:
    """Compare model and exact tracking error at solution x; add tangents where they are loose.

    Returns the exact tracking error (percent) and the number of cuts added (0: within tolerance).
    """
    active = cols.active(x)
    exact_q, exact_h = cols.exact_terms(active)
    model_q, model_h = cols.model_terms(x)
    exact = float(exact_q.sum() + exact_h.sum())
    modelled = float(model_q.sum() + model_h.sum())
    if np.sqrt(exact) - np.sqrt(max(modelled, 0.0)) <= tolerance_pct:
        return float(np.sqrt(exact)), 0
    gap_q, gap_h = exact_q - model_q, exact_h - model_h
    floor = 1e-3 * max(gap_q.max(initial=0.0), gap_h.max(initial=0.0))
    factor = cols.loadings.T @ active
    added = add_tangents(compiled, cols, {int(i): float(active[i]) for i in np.flatnonzero(gap_q > floor)},
                         {int(j): float(factor[j]) for j in np.flatnonzero(gap_h > floor)})
    return float(np.sqrt(exact)), added

