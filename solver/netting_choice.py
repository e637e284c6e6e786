"""The account's Schedule D binaries in the anytime search (solver/solve.py).

solver/schedule_d.py nets the year's gains with at most two binaries per account: the sign of the
year's net gain and of its long-term part. They are not like the lazy groups' binaries, each of which
decides one trade: either of them changes the price of every gain at once, so the search decides
them first and bounds the other choices apart:

1. `decide`: after the relaxation, fix them as the law signs the relaxation's own gains, and run LP
   rounds there (the repair then starts from that point, its binaries integral, and keeps them).
2. `settle`, once the repair has a point: each combination (at most four) is bounded by its LP with
   every other choice relaxed — a warm re-solve that the dual simplex stops as soon as its bound
   passes the point by more than half the requested gap (`objective_bound`). The least of these
   bounds is a bound of the whole problem, and well above the plain relaxation, which taxes
   short-term gains at the long-term rate (its binaries fractional).
3. When every other combination is settled so, the binaries are *held* at the chosen one: not
   flipped by `_improve`, fixed in the branch and bound and in HiGHS's MIP (every node's netting is
   then exact, and no node is spent on them), whose bounds then cover the chosen combination only —
   the others keep their own (`raise_bound`). Otherwise they stay free and both may explore them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import highspy
import numpy as np

if TYPE_CHECKING:
    from solver.handoff import Compiled
    from solver.model import AccountModel
    from solver.search import Search

INF = float("inf")


class NettingChoice:
    """The Schedule D binaries' columns, the combination chosen and the bound of the others."""

    def __init__(self, model: AccountModel, compiled: Compiled):
        columns = compiled.cols(model.netting_binaries())
        self.columns = columns[columns >= 0].astype(np.int64)
        self.schedule_d = model.netting
        gains = (model.m.st_gain, model.m.lt_gain)
        self.gain_columns = [compiled.column_of.get(id(var), -1) for var in gains]
        self.choice: np.ndarray | None = None  # decided (and, after `settle`, held when not None)
        self.elsewhere = -INF  # the least bound of the other combinations

    def decide(self, search: Search, x: np.ndarray) -> np.ndarray | None:
        """Step 1: the point of LP rounds with the binaries fixed as the law signs x's gains (the
        columns released again), or None without such binaries or an optimal LP."""
        if not len(self.columns) or self.schedule_d is None:
            return None
        law = self.schedule_d.law(*(float(x[c]) if c >= 0 else 0.0 for c in self.gain_columns))
        chosen = np.array([law[var.local_name] for var in self.schedule_d.binaries])
        search.fix(self.columns, chosen)
        status, _, _ = search.lp_rounds(relaxation=False)  # (tangents near the choice, for the repair)
        point = search.x().copy() if status == "optimal" else None
        search.release(self.columns)
        self.choice = chosen if point is not None else None
        return point

    def settle(self, search: Search) -> None:
        """Step 2: bound every combination; hold the chosen one when all others are settled."""
        from solver.search import OBJECTIVE_FLOOR_BP

        if self.choice is None:
            return
        chosen, best = self.choice.astype(int), search.best
        cutoff = INF if best is None else \
            best.objective - search.options.mip_gap / 2 * max(abs(best.objective), OBJECTIVE_FLOOR_BP)
        bounds, complete = [], True
        search.highs.setOptionValue("objective_bound", cutoff)
        try:
            # The chosen combination first, then one binary flipped per step (Gray code): each LP
            # starts from a basis one decision away.
            for k in range(2 ** len(self.columns)):
                gray = (k ^ (k >> 1)) >> np.arange(len(self.columns)) & 1
                search.fix(self.columns, (chosen ^ gray).astype(float))
                status = search.lp()
                if search.highs.getModelStatus() == highspy.HighsModelStatus.kObjectiveBound:
                    bounds.append(cutoff)  # the dual simplex's bound passed the cutoff
                elif status in ("optimal", "infeasible"):
                    bounds.append(float(search.highs.getInfo().objective_function_value)
                                  if status == "optimal" else INF)
                else:
                    complete = False  # a stopped LP bounds nothing
        finally:
            search.highs.setOptionValue("objective_bound", INF)
            search.release(self.columns)
        if not complete:
            self.choice = None
            return
        search.bound = max(search.bound, min(bounds))
        self.elsewhere = min(bounds[1:], default=INF)
        if self.elsewhere >= cutoff:
            search.ambiguous = search.ambiguous[~np.isin(search.ambiguous, self.columns)]  # no flips
        else:  # another combination may still pay: flipped in `_improve`, branched on in `_prove`
            self.choice = None

    def held(self) -> np.ndarray:
        """The binaries held at the chosen combination (none unless every other one is settled)."""
        return self.columns if self.choice is not None else self.columns[:0]

    @contextmanager
    def holding(self, search: Search) -> Iterator[np.ndarray]:
        """Step 3: hold them while a branch and bound or HiGHS's MIP runs; yields the held columns."""
        held = self.held()
        search.fix(held, self.choice if len(held) else np.zeros(0))
        try:
            yield held
        finally:
            search.release(held)

    def raise_bound(self, search: Search, bound: float, held: np.ndarray) -> None:
        """A bound found with `held` binaries held covers their combination only."""
        search.bound = max(search.bound, min(bound, self.elsewhere) if len(held) else bound)
