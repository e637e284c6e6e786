"""The account's Schedule D binaries in the anytime search (solver/solve.py).

solver/schedule_d.py nets the year's gains with at most two binaries per account: the sign of the
year's net gain and of its long-term part. They are not like the lazy groups' binaries, each of which
decides one trade: either of them changes the price of every gain at once, so the search decides
them first and bounds the other choices apart:

1. `decide`: after the relaxation's first LP, fix them as the law signs its gains and run LP rounds
   there (tangents, lazy groups); then each other combination's LP, stopped by the dual simplex as
   soon as its bound passes that one's (`objective_bound`): the lowest is chosen, with LP rounds.
   The repair starts from that point, its binaries integral, and keeps them. (Further relaxation
   rounds would refine tangents around a point that taxes short-term gains at the long-term rate:
   the LP rounds are spent on the chosen combination instead; `settle` gives the bound.)
2. `settle`, once the repair has a point: each combination (at most four) is bounded by its LP with
   every other choice relaxed — a warm re-solve that the dual simplex stops as soon as its bound
   passes the point (`objective_bound`): that combination cannot beat it. The least of these
   bounds is a bound of the whole problem, and well above the plain relaxation, which taxes
   short-term gains at the long-term rate (its binaries fractional). The least of them is raised
   further by a few LP rounds in its combination (`_refined`: tangents refined, the wash-sale
   splits' among them, solver/perspective.py). A combination whose bound is within half the
   requested gap of the point is settled too: it cannot beat it by enough to matter.
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

from solver.defaults import OBJECTIVE_FLOOR_BP

if TYPE_CHECKING:
    from solver.handoff import Compiled
    from solver.kept_basis import SavedBasis
    from solver.model import AccountModel
    from solver.search import Search

INF = float("inf")
# LP rounds that refine the least combination bound in `settle`: the splits' tangents converge slowly
# at a fractional point (48 rounds on di_2018_selloff × plain_harvest), and the first few give most.
REFINE_ROUNDS = 8


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
        self.infeasible: set[tuple[float, ...]] = set()  # combinations whose LP has no point
        self.basis: SavedBasis | None = None  # the chosen combination's relaxation, at `decide`

    def decide(self, search: Search, x: np.ndarray) -> np.ndarray | None:
        """Step 1: the combination the law gives x's gains, unless another one's LP is lower: each of
        the others is a warm re-solve stopped as soon as its bound passes the first one's LP. LP rounds
        on the one chosen; the columns released again. None without such binaries or an optimal LP."""
        if not len(self.columns) or self.schedule_d is None:
            return None
        chosen = self.law_signs(x)
        point, objective = self._rounds(search, chosen)
        if point is None:
            return None
        lower = [(value, values) for values, value in self._combinations(search, chosen, objective)[1:]
                 if value < objective]
        if lower:
            chosen = min(lower, key=lambda found: found[0])[1]
            point, _ = self._rounds(search, chosen)
        self.choice = chosen if point is not None else None
        self.basis = search.basis() if point is not None else None
        return point

    def _rounds(self, search: Search, values: np.ndarray) -> tuple[np.ndarray | None, float]:
        """LP rounds (tangents, lazy groups) with the binaries fixed at `values`: point and objective."""
        search.fix(self.columns, values)
        try:
            status, _, _ = search.lp_rounds(relaxation=False)
            if status != "optimal":
                return None, INF
            return search.x().copy(), search.last_objective
        finally:
            search.release(self.columns)

    def _combinations(self, search: Search, chosen: np.ndarray,
                      cutoff: float) -> list[tuple[np.ndarray, float]]:
        """Every combination's LP bound, `chosen` first and then one binary flipped per step (Gray
        code: each LP starts from a basis one decision away), each stopped by the dual simplex once
        its bound passes `cutoff` (then `cutoff` is its bound); INF when infeasible, NaN when the LP
        stopped short (it bounds nothing)."""
        found = []
        search.highs.setOptionValue("objective_bound", cutoff)
        try:
            for k in range(2 ** len(self.columns)):
                gray = (k ^ (k >> 1)) >> np.arange(len(self.columns)) & 1
                values = (chosen.astype(int) ^ gray).astype(float)
                if tuple(values) in self.infeasible:
                    found.append((values, INF))
                    continue
                search.fix(self.columns, values)
                status = search.lp()
                if search.highs.getModelStatus() == highspy.HighsModelStatus.kObjectiveBound:
                    found.append((values, cutoff))
                elif status == "optimal":
                    found.append((values, float(search.highs.getInfo().objective_function_value)))
                elif status == "infeasible":
                    found.append((values, INF))
                    self.infeasible.add(tuple(values))  # for good: cuts and groups only add rows
                else:
                    found.append((values, float("nan")))
        finally:
            search.highs.setOptionValue("objective_bound", INF)
            search.release(self.columns)
        return found

    def _refined(self, search: Search, found: list[tuple[np.ndarray, float]],
                 cutoff: float) -> list[tuple[np.ndarray, float]]:
        """The least bound below `cutoff` raised by LP rounds in its combination — tangents refined
        (the wash-sale splits' too: solver/perspective.py), no group switched on, so each LP is still
        a relaxation of it — then the next least, while a round raises one. `_combinations` solves one
        LP each, on the tangents as they are."""
        found, budget = list(found), REFINE_ROUNDS
        while budget > 0:
            k = min(range(len(found)), key=lambda j: found[j][1])
            values, bound = found[k]
            if not np.isfinite(bound) or bound >= cutoff:
                break
            search.fix(self.columns, values)
            try:
                before = search.rounds
                status, _, _ = search.lp_rounds(relaxation=False, rounds=budget, switch=False)
                budget -= search.rounds - before
                objective = search.last_objective
            finally:
                search.release(self.columns)
            if status == "infeasible":  # (for good: cuts only add rows)
                self.infeasible.add(tuple(values))
                objective = INF
            elif status != "optimal" or objective <= bound:
                break
            found[k] = (values, objective)
        return found

    def law_signs(self, x: np.ndarray) -> np.ndarray:
        """The binaries' values the law gives the gains of point x."""
        assert self.schedule_d is not None
        law = self.schedule_d.law(*(float(x[c]) if c >= 0 else 0.0 for c in self.gain_columns))
        return np.array([law[var.local_name] for var in self.schedule_d.binaries])

    def settle(self, search: Search) -> None:
        """Step 2: bound every combination; hold the chosen one when all others are settled."""
        if self.choice is None:
            return
        if search.out_of_time():  # its LPs would stop on the clock and bound nothing (as below)
            self.choice = None
            return
        best = search.best
        # A combination whose bound passes the best point cannot beat it; one within half the
        # requested gap of it cannot beat it by enough to matter.
        cutoff = INF if best is None else best.objective
        settled_above = cutoff - (0 if best is None else search.options.mip_gap / 2 * max(
            abs(best.objective), OBJECTIVE_FLOOR_BP))
        # From the basis of the chosen combination's relaxation at `decide`, not the repair's, every
        # binary fixed: on a 9,528-lot account the first LP took 6,716 simplex iterations from there
        # (3,494 from scratch), 156 from this one.
        search.restore(self.basis)
        found = self._combinations(search, self.choice, cutoff)
        if np.isnan([value for _, value in found]).any():  # a stopped LP bounds nothing
            self.choice = None
            return
        bounds = [value for _, value in self._refined(search, found, cutoff)]
        search.bound = max(search.bound, min(bounds))
        self.elsewhere = min(bounds[1:], default=INF)
        if self.elsewhere >= settled_above:
            search.ambiguous = search.ambiguous[~np.isin(search.ambiguous, self.columns)]  # no flips
        else:  # another combination may still pay: flipped in `_improve`, branched on in `_prove`
            self.choice = None

    def held(self) -> np.ndarray:
        """The binaries held at the chosen combination (none unless every other one is settled)."""
        return self.columns if self.choice is not None else self.columns[:0]

    def others_hold_no_point(self) -> bool:
        """Every other combination's LP is infeasible: what holds for the chosen one holds for all."""
        return self.elsewhere == INF

    @contextmanager
    def holding(self, search: Search) -> Iterator[np.ndarray]:
        """Step 3: hold them while a branch and bound or HiGHS's MIP runs; yields the held columns."""
        held = self.held()
        search.fix(held, self.choice if len(held) else np.zeros(0))
        try:
            yield held
        finally:
            search.release(held)

    def covering(self, bound: float, held: np.ndarray) -> float:
        """The problem's bound from one found with `held` binaries held, which covers their combination
        only: the other combinations' least bound caps it."""
        return min(bound, self.elsewhere) if len(held) else bound

    def raise_bound(self, search: Search, bound: float, held: np.ndarray) -> None:
        search.bound = max(search.bound, self.covering(bound, held))
