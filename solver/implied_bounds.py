"""Implied bounds: tighten the model before the search, as a MIP presolve would, without changing
which integer points are feasible.

1. **Bound propagation.** Each row's activity range over the columns' bounds bounds every column in
   it; sweeps repeat while a bound moves. A binary's bounds round inward: a minimum trade's binary
   whose trade cannot reach the minimum is fixed at 0. A whole-share count's do not: rounded, they
   sent the repair of an extreme policy (`index_2012 · TE 0.5% · tax $0 · $100 whole shares`,
   benchmarks/bench_extremes.py) through failed dives into HiGHS's whole-share MIP and the 60 s
   clock, where it had a plan in 18.6 s (not rounded: 8.9 s); measured, not understood.
2. **Big-M coefficients.** A row `Σ a·x + c·z ≤ u` with one binary z (a minimum trade's cap, a
   matched-first sale's) says at z = 1 only that `Σ a·x ≤ u − c`; where the columns' bounds keep
   Σ a·x below that anyway, c shrinks until z = 1 allows exactly their most (the mirrored row
   `… ≥ l` likewise). At z = 0 and z = 1 the row admits the same points; in between, the relaxation
   pays more of z for the same trade. Rows the caller keeps (the wash-sale switches': solver/search.py)
   stay as written.

Every bound comes from the full problem's rows (the lazy groups' too, and the tracking error's
tangents, valid cuts of its variance), so each relaxation the search solves is still a relaxation and
every plan still feasible. HiGHS's own presolve does the same, and more, inside each MIP run; the
search's LP re-solves and its branch and bound never had it. On the 2008 crash's retiree (whole
shares) the first relaxation rose from −71.17 to −67.59 bp and the proven gap fell from 2.41% to
0.40% (docs/benchmarks.md, session 20).

The search works on the tightened model; `Tightened.undo` puts the original bounds and coefficients
back when it ends, so what reopens the model (explanations) can drop a rule without the bounds that
rule implied still standing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from solver.handoff import Compiled

MAX_SWEEPS = 12
HUGE = 1e20  # a bound this large counts as none
TINY = 1e-9  # coefficients below this bound no column (their quotients would be noise)
MOVE = 1e-6  # a bound moves only by more than this share of its size (plus TINY): no creeping sweeps
# Every derived bound and coefficient is loosened by SLACK + SHARE × its size. SLACK is ten times
# HiGHS's primal tolerance (solver/highs_runs.py): at 1e-9, HiGHS's presolve found the 2008 crash's
# retiree infeasible, the bounds it derived from these meeting within its tolerance.
SLACK = 1e-8
SHARE = 1e-7
ROUND = 1e-6  # a binary's bound rounds to the integer within this of it


@dataclass(frozen=True)
class Tightened:
    """What `tighten` changed, to put back: the columns' original bounds, and the matrix entries
    (positions in `Compiled.matrix.data`, their rows and columns) with their original values."""

    columns: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    entries: np.ndarray
    rows: np.ndarray
    entry_columns: np.ndarray
    values: np.ndarray

    @classmethod
    def nothing(cls) -> Tightened:
        none, no_values = np.zeros(0, dtype=np.int64), np.zeros(0)
        return cls(none, no_values, no_values, none, none, none, no_values)

    def undo(self, compiled: Compiled, lower0: np.ndarray, upper0: np.ndarray) -> None:
        """The original bounds into the search's `lower0`/`upper0` (what it releases columns to: the
        caller releases them into HiGHS), the original coefficients into HiGHS and `Compiled.matrix`."""
        lower0[self.columns], upper0[self.columns] = self.lower, self.upper
        compiled.matrix.data[self.entries] = self.values
        rows = compiled.in_highs(self.rows)
        for row, column, value in zip(rows.tolist(), self.entry_columns.tolist(), self.values.tolist(),
                                      strict=True):
            if row >= 0:  # (a row left out comes back from `Compiled.matrix`)
                compiled.highs.changeCoeff(row, column, value)


def tighten(compiled: Compiled, kept_rows: np.ndarray) -> Tightened:
    """Propagate bounds over HiGHS's model as it stands — call it while every row is at its bounds,
    before the lazy groups are relaxed — then shrink the big-M coefficients of the compiled rows but
    `kept_rows`, in HiGHS and in `Compiled.matrix`. A model the propagation finds infeasible is left
    as it is: the search then proves it so and `tailor explain` names the rules."""
    highs = compiled.highs
    columns = highs.getNumCol()
    _, _, _, lower0, upper0, _ = highs.getCols(columns, np.arange(columns, dtype=np.int32))
    # The compiled rows as `Compiled.matrix` holds them (HiGHS has the same), then the rows added since
    # (the tangents), read from HiGHS: its `getLp` would copy every entry through Python lists.
    own = compiled.matrix.tocoo()  # (entries in the order of `compiled.matrix.data`)
    added = _added_rows(compiled)
    data = np.r_[own.data, added.value]
    keep = np.abs(data) >= TINY
    rows = _Rows(np.r_[own.row, len(compiled.rows) + added.row][keep], np.r_[own.col, added.col][keep],
                 data[keep], _infinite(np.r_[compiled.row_lower, added.lower]),
                 _infinite(np.r_[compiled.row_upper, added.upper]))
    binary = compiled.integer.astype(bool) & (upper0 - lower0 <= 1)
    lower, upper = _propagate(rows, _infinite(lower0), _infinite(upper0), binary)
    if np.any(lower > upper + SLACK + SHARE * np.abs(upper)):
        return Tightened.nothing()
    lower = np.minimum(lower, upper)  # (within the slack: meet)
    moved = np.flatnonzero((lower != lower0) | (upper != upper0))
    if len(moved):
        highs.changeColsBounds(len(moved), moved.astype(np.int32), lower[moved], upper[moved])
    entries, values = _shrink_big_m(compiled, own, lower, upper, kept_rows)
    return Tightened(moved, lower0[moved], upper0[moved], entries, own.row[entries], own.col[entries], values)


def _added_rows(compiled: Compiled) -> _Rows:
    """HiGHS's rows after the compiled ones (rows counted from 0)."""
    indices = np.arange(len(compiled.rows), compiled.highs.getNumRow(), dtype=np.int32)
    if not len(indices):
        return _Rows(*(np.zeros(0, dtype=dtype) for dtype in (np.int32, np.int32, float, float, float)))
    _, _, lower, upper, _ = compiled.highs.getRows(len(indices), indices)
    _, start, index, value = compiled.highs.getRowsEntries(len(indices), indices)
    row = np.repeat(np.arange(len(indices), dtype=np.int32), np.diff(np.r_[start, len(index)]))
    return _Rows(row, index, value, lower, upper)


def _infinite(values: np.ndarray) -> np.ndarray:
    return np.where(np.abs(values) >= HUGE, np.copysign(np.inf, values), values)


@dataclass
class _Rows:
    """A matrix as coordinates, with its rows' bounds."""

    row: np.ndarray
    col: np.ndarray
    value: np.ndarray
    lower: np.ndarray
    upper: np.ndarray

    def others(self, lower: np.ndarray, upper: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For every entry, the least and the most activity of its row's *other* entries (−inf or
        +inf when another entry is unbounded that way)."""
        positive = self.value > 0
        with np.errstate(invalid="ignore"):  # (a zero coefficient times an infinite bound: no term)
            least = np.nan_to_num(self.value * np.where(positive, lower[self.col], upper[self.col]), nan=0.0,
                                  posinf=np.inf, neginf=-np.inf)
            most = np.nan_to_num(self.value * np.where(positive, upper[self.col], lower[self.col]), nan=0.0,
                                 posinf=np.inf, neginf=-np.inf)
        rows = len(self.lower)
        return _without(self.row, least, rows, -np.inf), _without(self.row, most, rows, np.inf)


def _without(row: np.ndarray, term: np.ndarray, rows: int, unbounded: float) -> np.ndarray:
    """Each entry's row sum of `term` less the entry's own term; infinite terms counted apart, so a
    row with one infinite term still bounds that term's column."""
    infinite = np.isinf(term)
    finite = np.where(infinite, 0.0, term)
    total = np.bincount(row, finite, rows)
    rest_infinite = np.bincount(row, infinite, rows)[row] - infinite
    return np.where(rest_infinite > 0, unbounded, total[row] - finite)


def _propagate(rows: _Rows, lower: np.ndarray, upper: np.ndarray,
               binary: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sweeps of bound propagation until no bound moves by more than MOVE (at most MAX_SWEEPS), the
    binaries' bounds rounded inward."""
    positive = rows.value > 0
    for _ in range(MAX_SWEEPS):
        least, most = rows.others(lower, upper)
        with np.errstate(invalid="ignore", over="ignore"):
            # a·x ≤ upper − least(others) and a·x ≥ lower − most(others); inf − inf bounds nothing
            top = np.nan_to_num(rows.upper[rows.row] - least, nan=np.inf, posinf=np.inf, neginf=-np.inf)
            bottom = np.nan_to_num(rows.lower[rows.row] - most, nan=-np.inf, posinf=np.inf, neginf=-np.inf)
            column_top = np.where(positive, top, bottom) / rows.value
            column_bottom = np.where(positive, bottom, top) / rows.value
        candidate_upper = np.full_like(upper, np.inf)
        candidate_lower = np.full_like(lower, -np.inf)
        np.minimum.at(candidate_upper, rows.col, column_top)
        np.maximum.at(candidate_lower, rows.col, column_bottom)
        candidate_upper = _infinite(candidate_upper)
        candidate_lower = _infinite(candidate_lower)
        with np.errstate(invalid="ignore"):  # (inf + inf stays inf)
            candidate_upper = candidate_upper + SLACK + SHARE * np.abs(candidate_upper)
            candidate_lower = candidate_lower - SLACK - SHARE * np.abs(candidate_lower)
        candidate_upper = np.where(binary, np.floor(candidate_upper + ROUND), candidate_upper)
        candidate_lower = np.where(binary, np.ceil(candidate_lower - ROUND), candidate_lower)
        with np.errstate(invalid="ignore"):  # (inf against inf: not lowered)
            lowered = candidate_upper < upper - MOVE * np.abs(upper) - TINY
            raised = candidate_lower > lower + MOVE * np.abs(lower) + TINY
        if not lowered.any() and not raised.any():
            break
        upper = np.where(lowered, candidate_upper, upper)
        lower = np.where(raised, candidate_lower, lower)
    return lower, upper


def _shrink_big_m(compiled: Compiled, own: sparse.coo_array, lower: np.ndarray, upper: np.ndarray,
                  kept_rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Shrink the binary's coefficient in each one-sided compiled row with exactly one binary (module
    docstring, 2.) but `kept_rows`, in HiGHS and in `Compiled.matrix` (`own`: its entries, in the order
    of its `data`); returns the entries changed and their original values."""
    row, col, value = own.row, own.col, own.data
    binary = compiled.integer.astype(bool) & (lower == 0) & (upper == 1)
    one_binary = np.bincount(row, binary[col], len(compiled.rows))[row] == 1
    one_binary &= ~np.isin(row, kept_rows)
    rows = _Rows(row, col, value, _infinite(compiled.row_lower), _infinite(compiled.row_upper))
    least, most = rows.others(lower, upper)
    row_lower, row_upper = rows.lower[row], rows.upper[row]
    candidate = binary[col] & one_binary
    with np.errstate(invalid="ignore"):  # (unbounded sides: no candidate below)
        # Σ + c·z ≤ u, c < 0: at z = 1, Σ ≤ u − c; Σ never passes `most`, so c = u − most is enough.
        cap = row_upper - most - SLACK - SHARE * np.abs(most)
        capped = (candidate & (value < 0) & np.isinf(row_lower) & np.isfinite(row_upper)
                  & np.isfinite(most) & (cap < 0) & (cap > value * (1 - MOVE)))
        # Σ + c·z ≥ l, c > 0: at z = 1, Σ ≥ l − c; Σ never falls below `least`: c = l − least.
        floor = row_lower - least + SLACK + SHARE * np.abs(least)
        floored = (candidate & (value > 0) & np.isinf(row_upper) & np.isfinite(row_lower)
                   & np.isfinite(least) & (floor > 0) & (floor < value * (1 - MOVE)))
    changed = np.flatnonzero(capped | floored)
    new = np.where(capped, cap, floor)[changed]
    original = value[changed].copy()  # (`own` shares its data with `Compiled.matrix`)
    compiled.matrix.data[changed] = new
    for r, c, v in zip(row[changed].tolist(), col[changed].tolist(), new.tolist(), strict=True):
        compiled.highs.changeCoeff(r, c, v)
    return changed, original
