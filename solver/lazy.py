"""Lazy disjunctions: binaries enter the model only where the solution shows they bind.

A minimum trade (zero or at least L) or a wash-sale switch (loss sale or buy, not both) is a small
group of rows tied by one or two binaries. Most such groups never bind: the optimum trades zero or
far above L, or does not both buy and loss-sell a name. So every group starts relaxed (rows free,
binaries continuous); after each solve the groups that the solution violates — no 0/1 value of
their binaries satisfies their rows — are switched on, and the model is solved again.

This is exact: each solve is a relaxation of the full problem, so a solution that violates no group
is feasible for the full problem and optimal (within the MIP gap) for it.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import highspy
import numpy as np

from solver.handoff import INF, Compiled

FEASIBILITY_TOLERANCE = 1e-7


@dataclass
class LazyGroup:
    rows: np.ndarray
    binaries: np.ndarray
    active: bool = False


def relax(compiled: Compiled, groups: list[tuple[list, list]]) -> list[LazyGroup]:
    """Free the groups' rows and make their binaries continuous in HiGHS."""
    lazy = []
    for constraints, binaries in groups:
        rows = np.array(compiled.rows_of(constraints), dtype=np.int32)
        cols = compiled.cols(binaries)
        if len(rows) == 0 or (cols < 0).any():
            continue
        lazy.append(LazyGroup(rows=rows, binaries=cols))
    if lazy:
        rows = np.concatenate([g.rows for g in lazy])
        compiled.highs.changeRowsBounds(len(rows), rows, np.full(len(rows), -INF), np.full(len(rows), INF))
        cols = np.unique(np.concatenate([g.binaries for g in lazy]))
        continuous = np.full(len(cols), highspy.HighsVarType.kContinuous.value, dtype=np.int32)
        compiled.highs.changeColsIntegrality(len(cols), cols, continuous)
    return lazy


def _satisfied(compiled: Compiled, group: LazyGroup, x: np.ndarray) -> bool:
    block = compiled.matrix[group.rows]
    base = block @ x - block[:, group.binaries] @ x[group.binaries]
    lower, upper = compiled.row_lower[group.rows], compiled.row_upper[group.rows]
    for values in itertools.product((0.0, 1.0), repeat=len(group.binaries)):
        activity = base + block[:, group.binaries] @ np.array(values)
        if np.all(activity >= lower - FEASIBILITY_TOLERANCE) and np.all(activity <= upper + FEASIBILITY_TOLERANCE):
            return True
    return False


def activate_violated(compiled: Compiled, groups: list[LazyGroup], x: np.ndarray) -> int:
    """Switch on every inactive group that `x` violates; return how many were switched on."""
    switched = [g for g in groups if not g.active and not _satisfied(compiled, g, x)]
    if not switched:
        return 0
    rows = np.concatenate([g.rows for g in switched])
    compiled.highs.changeRowsBounds(len(rows), rows, compiled.row_lower[rows], compiled.row_upper[rows])
    cols = np.unique(np.concatenate([g.binaries for g in switched]))
    integer = np.full(len(cols), highspy.HighsVarType.kInteger.value, dtype=np.int32)
    compiled.highs.changeColsIntegrality(len(cols), cols, integer)
    for group in switched:
        group.active = True
    return len(switched)
