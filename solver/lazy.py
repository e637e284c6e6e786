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
from solver.model import PRIMAL_TOLERANCE


@dataclass
class LazyGroup:
    """Rows tied by a few binaries; `extra`, rows switched on and off with them that no violation is
    read from (a perspective split's, solver/perspective.py), and `splits`, those splits."""

    rows: np.ndarray
    binaries: np.ndarray
    extra: np.ndarray
    splits: list
    active: bool = False


class LazyGroups(list[LazyGroup]):
    """The groups of one model, with the rows of the one-binary groups (every group the rules declare
    today) stacked once: a violation check is then one sparse product over all of them, not a Python
    loop over hundreds of groups on every LP round (rows and matrix never change; only `active`)."""

    def __init__(self, compiled: Compiled, groups: list[LazyGroup]):
        super().__init__(groups)
        self.single = np.array([len(g.binaries) == 1 for g in groups], dtype=bool)
        single = [g for g in groups if len(g.binaries) == 1]
        sizes = np.array([len(g.rows) for g in single], dtype=np.int64)
        rows = np.concatenate([g.rows for g in single]) if single else np.zeros(0, dtype=np.int32)
        self.single_binary = np.array([g.binaries[0] for g in single], dtype=np.int64)  # in `single`'s order
        self.binary = np.repeat(self.single_binary, sizes)
        self.block = compiled.matrix[rows]
        self.coef = np.asarray(self.block[np.arange(len(rows)), self.binary]).ravel()
        self.lower = compiled.row_lower[rows] - PRIMAL_TOLERANCE
        self.upper = compiled.row_upper[rows] + PRIMAL_TOLERANCE
        self.starts = np.r_[0, np.cumsum(sizes)[:-1]].astype(np.int64) if len(single) else sizes

    def active_flags(self) -> np.ndarray:
        return np.fromiter((g.active for g in self), dtype=bool, count=len(self))


def relax(compiled: Compiled, groups: list[tuple[list, list, list]]) -> LazyGroups:
    """Free the groups' rows and make their binaries (or lazy integers) continuous in HiGHS."""
    lazy = []
    row_index, column_of = compiled.row_index(), compiled.column_of
    for constraints, binaries, splits in groups:  # (a 500-name account has ~900 groups: lookups inlined)
        rows = [r for c in constraints for r in row_index.get(id(c), ())]
        cols = [column_of.get(id(v), -1) for v in binaries]
        if not rows or min(cols, default=0) < 0:
            continue
        extra = [r for split in splits for c in split.rows for r in row_index.get(id(c), ())]
        lazy.append(LazyGroup(rows=np.array(rows, dtype=np.int32), binaries=np.array(cols, dtype=np.int32),
                              extra=np.array(extra, dtype=np.int32), splits=splits))
    if lazy:
        rows = np.concatenate([g.rows for g in lazy] + [g.extra for g in lazy])
        compiled.highs.changeRowsBounds(len(rows), rows, np.full(len(rows), -INF), np.full(len(rows), INF))
        cols = np.unique(np.concatenate([g.binaries for g in lazy]))
        continuous = np.full(len(cols), highspy.HighsVarType.kContinuous.value, dtype=np.int32)
        compiled.highs.changeColsIntegrality(len(cols), cols, continuous)
    return LazyGroups(compiled, lazy)


def leave_out_off(compiled: Compiled, groups: LazyGroups) -> None:
    """Take the rows of the groups still off out of HiGHS until their group is switched on
    (`Compiled.leave_out`): free rows that every run pays for. First a run of no simplex iteration,
    which has HiGHS scale the LP with them in: HiGHS scales on its first run and keeps that scaling for
    the rows added later. Scaled without them, the 20,235-lot `di_monthly_20k × plain_harvest` took
    44,528 simplex iterations instead of 15,403, its big-M rows put back badly scaled (docs/solver.md)."""
    off, on = [g for g in groups if not g.active], [g for g in groups if g.active]
    if not off:
        return
    highs = compiled.highs
    kept = [(name, highs.getOptionValue(name)[1]) for name in ("simplex_iteration_limit", "presolve")]
    highs.setOptionValue("simplex_iteration_limit", 0)
    highs.setOptionValue("presolve", "off")
    highs.setOptionValue("solve_relaxation", True)
    try:
        highs.run()
    finally:
        for name, value in kept:
            highs.setOptionValue(name, value)
        highs.setOptionValue("solve_relaxation", False)
    rows = np.concatenate([g.rows for g in off] + [g.extra for g in off])
    kept_rows = np.concatenate([g.rows for g in on] + [g.extra for g in on]) if on else rows[:0]
    compiled.leave_out(np.setdiff1d(rows, kept_rows))


def _allowed(compiled: Compiled, group: LazyGroup, x: np.ndarray) -> np.ndarray | None:
    """The first 0/1 values of the group's binaries under which its rows hold at x, or None."""
    block = compiled.matrix[group.rows]
    base = block @ x - block[:, group.binaries] @ x[group.binaries]
    lower, upper = compiled.row_lower[group.rows], compiled.row_upper[group.rows]
    for values in itertools.product((0.0, 1.0), repeat=len(group.binaries)):
        activity = base + block[:, group.binaries] @ np.array(values)
        if np.all(activity >= lower - PRIMAL_TOLERANCE) and \
                np.all(activity <= upper + PRIMAL_TOLERANCE):
            return np.array(values)
    return None


def _single_sides(groups: LazyGroups, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each one-binary group, in `groups.single`'s order: do its rows hold at x with z = 0, with
    z = 1? One sparse product over their stacked rows."""
    if not len(groups.starts):
        return np.zeros(0, dtype=bool), np.zeros(0, dtype=bool)
    base = groups.block @ x - groups.coef * x[groups.binary]
    ok_off = np.logical_and.reduceat((base >= groups.lower) & (base <= groups.upper), groups.starts)
    on = base + groups.coef
    ok_on = np.logical_and.reduceat((on >= groups.lower) & (on <= groups.upper), groups.starts)
    return ok_off, ok_on


def _violated(compiled: Compiled, groups: LazyGroups, x: np.ndarray) -> list[LazyGroup]:
    """The groups still off that `x` violates: the one-binary groups in one sparse product over their
    stacked rows (z = 0 and z = 1 both tried), any other group one by one."""
    off = ~groups.active_flags()
    found = [g for g, single, o in zip(groups, groups.single, off, strict=True)
             if o and not single and _allowed(compiled, g, x) is None]
    ok_off, ok_on = _single_sides(groups, x)
    single = np.flatnonzero(groups.single)
    found += [groups[i] for i in single[~(ok_off | ok_on) & off[single]].tolist()]
    return found


def settled(compiled: Compiled, groups: LazyGroups, x: np.ndarray) -> np.ndarray:
    """`x`, which violates no group, with every group's binaries at a side its rows allow: kept where
    they are one, else 0 where 0 is, else 1. A point polished while a group was off has that group's
    binaries at the relaxation's values (also when the group was switched on after): settled, the
    point holds in the model with every group on."""
    x = x.copy()
    for group, single in zip(groups, groups.single, strict=True):
        if not single and not _holds(compiled, group, x):
            x[group.binaries] = _allowed(compiled, group, x)
    ok_off, ok_on = _single_sides(groups, x)
    binaries = groups.single_binary
    value = x[binaries]
    kept = ((value == 0.0) & ok_off) | ((value == 1.0) & ok_on)
    x[binaries[~kept]] = np.where(ok_off[~kept], 0.0, 1.0)
    return x


def _holds(compiled: Compiled, group: LazyGroup, x: np.ndarray) -> bool:
    """Are the group's binaries 0 or 1 at x, and its rows met there?"""
    values = x[group.binaries]
    if not np.all((values == 0.0) | (values == 1.0)):
        return False
    activity = compiled.matrix[group.rows] @ x
    return bool(np.all(activity >= compiled.row_lower[group.rows] - PRIMAL_TOLERANCE)
                and np.all(activity <= compiled.row_upper[group.rows] + PRIMAL_TOLERANCE))


def violated(compiled: Compiled, groups: LazyGroups, x: np.ndarray) -> bool:
    """Does `x` break any group that is still switched off?"""
    return bool(_violated(compiled, groups, x))


def activate_violated(compiled: Compiled, groups: LazyGroups, x: np.ndarray) -> int:
    """Switch on every inactive group that `x` violates; return how many were switched on."""
    return activate(compiled, _violated(compiled, groups, x))


def activate(compiled: Compiled, switched: list[LazyGroup]) -> int:
    """Switch these groups on (rows back to their bounds, binaries integer); return how many."""
    switched = [g for g in switched if not g.active]
    if not switched:
        return 0
    rows = np.unique(np.concatenate([g.rows for g in switched] + [g.extra for g in switched]))
    if compiled.highs_row is None:
        compiled.highs.changeRowsBounds(len(rows), rows, compiled.row_lower[rows], compiled.row_upper[rows])
    else:
        absent = rows[compiled.highs_row[rows] < 0]
        if len(absent):
            compiled.put_back(absent)
    cols = np.unique(np.concatenate([g.binaries for g in switched]))
    integer = np.full(len(cols), highspy.HighsVarType.kInteger.value, dtype=np.int32)
    compiled.highs.changeColsIntegrality(len(cols), cols, integer)
    for group in switched:
        group.active = True
    return len(switched)
