"""The failed solve's HiGHS model, forked, re-solved under changing bounds (engine/explain/elastic.py
asks it questions): LP rounds with the solve's own tangents and lazy groups, and whether an integer
point exists.

An integer test whose relaxation holds needs one integer point to say "can hold", and HiGHS's MIP,
which starts each run with a presolve and a root solve from scratch, is the last resort: first the
relaxation's point rounded (to the nearest, then whole-share counts the safe way; each with the
Schedule D binaries flipped too), polished like a plan; then a branch and bound over warm LPs
(solver/branch.py); with whole shares, the counts rounded and fixed and the few binaries left
branched on, then the same from the relaxation with its tracking-error limits backed off. On the
batch book's `retiree_cash` conflicts these spared HiGHS's MIP 2–4 s a test. The MIP itself runs
within a node budget over all its runs: a work limit, so the answer is the same at any machine load;
beyond it the question is undecided (`decided`). Behind the work limits, one clock for the whole
conflict search (`deadline`, by default EXPLAIN_TIME_LIMIT from the fork): every HiGHS run gets what
is left of it, so a search of many tests ends near its deadline, its last questions undecided. The
limit was once a fixed 30 s, which HiGHS reads on the clock of all the instance's runs for an LP
(one 30 s for the whole fork) and on the run's own for a MIP (`tailor explain` on `sp500_2000` under
tracking within 0.05% and no net gains took 76 s, two least-slack MIPs spending 30 s each in HiGHS's
root).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator

import numpy as np

from engine.explain.workbench import fork, release_forbidden_buys
from solver.branch import branch_and_bound
from solver.deadline import grace, run_mip_within
from solver.handoff import Compiled
from solver.highs_runs import STATUS, run_highs
from solver.lazy import LazyGroups, activate_violated, relax
from solver.model import AccountModel
from solver.tracking import refine, tracking_columns, variance_backed_off, variance_limit_rows
from solver.whole_shares import count_columns

TE_TOLERANCE_PCT = 0.005
MAX_ROUNDS = 20
EXPLAIN_TIME_LIMIT = 60.0  # seconds for a whole conflict search: a safety net behind the work limits
INTEGRAL = 1e-9
MAX_BRANCH_BINARIES = 24  # a feasibility test branches itself on at most this many binaries ...
MAX_BRANCH_NODES = 200  # ... within this many node LPs; beyond either, HiGHS's MIP decides ...
MAX_TEST_NODES = 200  # ... within this many nodes; beyond, the test is undecided


class WarmModel:
    """The forked model, its last LP point, and the integer tests over it."""

    def __init__(self, model: AccountModel, compiled: Compiled, deadline: float | None = None):
        self.deadline = time.perf_counter() + EXPLAIN_TIME_LIMIT if deadline is None else deadline
        compiled = fork(compiled)
        self.model, self.compiled, self.highs = model, compiled, compiled.highs
        self.cols = tracking_columns(model, compiled)
        self.lazy: LazyGroups = relax(compiled, model.lazy.groups)
        # The Schedule D binaries never decide feasibility (any gains net): alone, they need no MIP.
        self.netting = compiled.cols(model.netting_binaries())
        release_forbidden_buys(self.model, self.compiled)
        self.x = np.zeros(0)  # the last solved point (kept: changing bounds clears HiGHS's solution)
        # Whole-share counts, and which way each rounds safely (solver/whole_shares.py)
        count_cols, up, _ = count_columns(model, compiled)
        self.counts = np.zeros(len(compiled.columns), dtype=bool)
        self.round_up = np.zeros(len(compiled.columns), dtype=bool)
        self.counts[count_cols], self.round_up[count_cols] = True, up
        self.variance_limits = variance_limit_rows(compiled, compiled.col(model.m.variance))
        self.decided = True  # whether the last integer test was decided (a proof either way)

    def integer_point_exists(self) -> bool:
        """After LP rounds whose relaxation holds: is there an integer point? Only a proven "no" says
        no; an undecided test (`decided` False) says yes, so that a conflict keeps its rule."""
        self.decided = True
        if self._holds_rounded():
            return True
        branched = self._branch()
        if branched is not None:
            return branched
        if self._holds_counts_rounded() or self._holds_backed_off():
            return True
        status = self._mip(MAX_TEST_NODES, first_point=True)
        self.decided = status in ("optimal", "infeasible")
        return status != "infeasible"

    def _deciding(self) -> np.ndarray:
        """The integer columns that decide feasibility (all but the Schedule D binaries)."""
        deciding = self._integers()
        deciding[self.netting[self.netting >= 0]] = False
        return deciding

    def _integers(self) -> np.ndarray:
        integer = self.compiled.integer.copy()
        for group in self.lazy:
            integer[group.binaries] = group.active
        return integer

    def _solve(self) -> str:
        """One LP run within what is left of the deadline (`solver.highs_runs.run_highs`: the limit on
        HiGHS's cumulative clock, a run the simplex gives up on from an inherited basis run again from
        scratch — left undecided, it would count as "feasible" and keep a rule in a conflict it is not
        needed for). "optimal", "infeasible", or undecided: "error"."""
        status = run_highs(self.highs, self.deadline)
        return status if status in ("optimal", "infeasible") else "error"

    def _rounds(self, relaxation: bool) -> str:
        self.highs.setOptionValue("solve_relaxation", relaxation)
        for _ in range(MAX_ROUNDS):
            status = self._solve()
            if status != "optimal":
                return status
            self.x = np.asarray(self.highs.getSolution().col_value)
            x = self.x[: len(self.compiled.columns)]
            _, added = refine(self.compiled, self.cols, x, TE_TOLERANCE_PCT)
            if not added and not activate_violated(self.compiled, self.lazy, x):
                return "optimal"
        return "error"

    def _size(self) -> tuple[int, int]:
        """Lazy groups switched on and rows (tangents): what a polish may have added."""
        return sum(g.active for g in self.lazy), self.highs.getNumRow()

    def _bounds(self, cols: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        _, _, _, lower, upper, _ = self.highs.getCols(len(cols), cols)
        return lower, upper

    def _polished_at(self, cols: np.ndarray, values: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> str:
        """LP rounds with `cols` fixed at `values` (clipped into `lower`…`upper`, their bounds, which
        are restored after)."""
        self.highs.changeColsBounds(len(cols), cols, *(np.clip(values, lower, upper),) * 2)
        try:
            return self._rounds(relaxation=True)
        finally:
            self.highs.changeColsBounds(len(cols), cols, lower, upper)

    def _rounded(self, cols: np.ndarray) -> list[np.ndarray]:
        """The last LP point's values of `cols` rounded to the nearest, then (when it differs) with
        whole-share counts rounded the safe way: a sale up, a buy down, more cash."""
        x = self.x[cols]
        nearest = np.round(x)
        safe = np.where(self.counts[cols], np.where(self.round_up[cols], np.ceil(x - INTEGRAL),
                                                    np.floor(x + INTEGRAL)), nearest)
        return [nearest] if np.array_equal(safe, nearest) else [nearest, safe]

    def _branch(self, fixed: np.ndarray | None = None) -> bool | None:
        """Feasibility by branch and bound over the deciding binaries (solver/branch.py), each leaf
        polished as `_holds_rounded` polishes: True when a leaf is a point of the model, False when no
        choice of the binaries has a feasible relaxation (a proof: tangents and lazy groups off only
        relax), None when undecided within the work limits (general integers, too many binaries, a
        node limit) — the MIP then decides. Integer columns in `fixed` (the caller fixed them) are not
        branched on; an exhausted tree then proves nothing about the model, only about that fixing."""
        for _ in range(MAX_ROUNDS):
            cols = np.flatnonzero(self._integers() & ~fixed if fixed is not None else self._integers())
            # (the Schedule D binaries among them: the leaf fixes them)
            binary = all(self.compiled.columns[c].is_binary() for c in cols)
            if len(cols) > MAX_BRANCH_BINARIES or not binary:
                return None
            found = branch_and_bound(self.highs, cols, 0.0, self.deadline,
                                     lambda _highs, _deadline: self._solve(), max_nodes=MAX_BRANCH_NODES)
            if found.status == "infeasible":
                return False if fixed is None else None
            if found.x is None:
                return None
            self.x = found.x
            size = self._size()
            if self._holds_rounded():
                return True
            if self._size() == size:
                return None  # the leaf fails for another reason than the groups or tangents it grew
        return None

    def _holds_rounded(self) -> bool:
        """Fix the integer columns at the last LP point's values, rounded, and polish (tangents and lazy
        groups, as `_mip` polishes its point): True when that is a point of the model — a feasible
        integer point, found without the MIP. Bounds are restored either way."""
        cols = np.flatnonzero(self._integers()).astype(np.int32)
        lower, upper = self._bounds(cols)
        active = self._size()[0]
        for values in self._roundings(cols):
            holds = self._polished_at(cols, values, lower, upper) == "optimal"
            if self._size()[0] != active:
                break  # the point broke a group: rounding again from it would not be the LP's point
            if holds:
                return True
        return False

    def _roundings(self, cols: np.ndarray) -> Iterator[np.ndarray]:
        """The last LP point's integer values rounded (`_rounded`), each with the Schedule D binaries as
        rounded, then flipped: they follow the gains the rounded trades realise, which rounding them
        alone ignores (a fractional `nets_to_gain` at 0.43 rounded to 0 under net gains has no point)."""
        netting = np.flatnonzero(np.isin(cols, self.netting))
        for values in self._rounded(cols):
            for flips in itertools.product((False, True), repeat=len(netting)):
                choice = values.copy()
                choice[netting] = np.where(flips, 1.0 - values[netting], values[netting])
                yield choice

    def _holds_counts_rounded(self) -> bool:
        """Whole shares: the share counts rounded (to the nearest, then the safe way) and fixed, and the
        few binaries left — lazy groups' switches, minimum trades, the Schedule D binaries — decided by
        branching on warm LPs, so that they follow the rounded counts (rounded alone, a switch at 0.3
        beside a count rounded up contradicts it). True when a leaf is a point of the model."""
        if not self.counts.any():
            return False
        cols = np.flatnonzero(self.counts & self._integers()).astype(np.int32)
        fixed = np.zeros(len(self.counts), dtype=bool)
        fixed[cols] = True
        lower, upper = self._bounds(cols)
        for values in self._rounded(cols):
            self.highs.changeColsBounds(len(cols), cols, *(np.clip(values, lower, upper),) * 2)
            try:
                if self._branch(fixed):
                    return True
            finally:
                self.highs.changeColsBounds(len(cols), cols, lower, upper)
        return False

    def _holds_backed_off(self) -> bool:
        """With whole shares under a binding tracking-error limit, the relaxation's point sits on the
        limit and its whole-share neighbours pass it (the search's `repair_backed_off`): the relaxation
        once more with the variance limits backed off, its point rounded and polished under the limits
        themselves. In the batch book's `retiree_cash` conflicts this spares HiGHS's MIP 2–4 s a test."""
        if not self.counts.any() or not len(self.variance_limits):
            return False
        with variance_backed_off(self.highs, self.variance_limits):
            if self._rounds(relaxation=True) != "optimal":
                return False
        return self._holds_rounded() or self._holds_counts_rounded()

    def _mip(self, max_nodes: int, first_point: bool = False) -> str:
        """Solve the MIP once, fix its integer choices and polish the tangents on the LP (as the solve
        does); only when polishing needs new integer choices (a lazy group switched on, or the fixed
        choices no longer fit the refined tangents) is the MIP solved again. All runs together
        within `max_nodes` branch-and-bound nodes: reaching them leaves the question undecided, or
        with a point, "feasible" (a point, not proven the best). With
        `first_point` (a feasibility test, the objective on), each run stops at its first point. Each
        run is on a copy, ended at the deadline (solver/deadline.py): HiGHS checks its own clock only
        between the MIP's steps, and one cut round of its root took 5 s on a 2,000-lot index."""
        nodes = 0
        for _ in range(MAX_ROUNDS):
            if nodes >= max_nodes:
                return "error"
            self.highs.setOptionValue("solve_relaxation", False)
            # The live model's last point as the copy's start, as HiGHS would take it in place (it
            # completes such a start by a sub-MIP): without it the low-turnover conflict of
            # bench_explain.py took 10.7 s instead of 4.3.
            solution = self.highs.getSolution()
            start = np.asarray(solution.col_value) if solution.value_valid else None
            run = run_mip_within(self.highs, max_nodes - nodes, first_point, self.deadline,
                                 grace(EXPLAIN_TIME_LIMIT), start, STATUS)
            nodes += max(1, run.nodes)
            if run.status == "infeasible":
                return "infeasible"
            if run.x is None:
                return "error"
            cols = np.flatnonzero(self._integers()).astype(np.int32)
            size = self._size()
            polished = self._polished_at(cols, np.round(run.x[cols]), *self._bounds(cols))
            if polished == "optimal" and self._size()[0] == size[0]:
                # (a point the limits stopped short of proving best: "feasible", a point all the same)
                return "optimal" if run.status == "optimal" or first_point else "feasible"
            if self._size() == size:
                break  # the point fails for another reason than groups or tangents: the MIP would repeat it
        return "error"
