"""Step 2 of the anytime search (solver/solve.py): a relaxation's point turned into a polished,
feasible one — binaries rounded, the few that clash flipped or dived, strong branching on the
ambiguous ones, newly violated groups decided in further rounds, whole-share counts rounded — and the
two fallbacks when that finds nothing: every harvest choice on its safe side, and the tracking-error
limits backed off for a first whole-share point.
"""

from __future__ import annotations

import numpy as np

from solver.clashes import flip_clashes
from solver.lazy import activate
from solver.search import INTEGRAL, Point, Search
from solver.tracking import variance_backed_off, variance_limit_rows

MAX_DIVE_LPS = 160  # LP re-solves deciding binaries one by one, over all of a search's repairs
DIVE_TOLERANCE_BP = 1e-6
DIVE_MIN_FRACTION = 0.02  # a binary the relaxation left this near 0 or 1 keeps its rounded value
MAX_REPAIR_ROUNDS = 12  # rounds of deciding newly violated groups during a repair; after
SWITCH_ALL_AFTER = 6  # this many rounds that each broke new groups, every group is switched on


def _strong_dive(search: Search, columns: np.ndarray, values: np.ndarray,
                 ambiguous: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Decide the ambiguous binaries one at a time, each by strong branching on the LP in which the
    earlier decisions are fixed: fixed at 0 and at 1, the cheaper side wins and stays fixed. Seeing
    the earlier decisions matters: harvesting one name of a sector is cheap while a substitute can be
    bought, harvesting all of them is not. Two warm LP re-solves per binary, within a work budget
    that all the search's repairs share; the most fractional first, the rest keep their rounded
    values (as do those within DIVE_MIN_FRACTION of 0 or 1)."""
    values = values.copy()
    # The choices the relaxation already made are fixed first, as they will be in the end, so that
    # every comparison below sees them.
    search.fix(columns[~ambiguous], values[~ambiguous])
    free = search.lp_objective()  # the LP with binary j free bounds both of its sides from below
    # The budget goes where the relaxation decided least. In column order, the first repair of
    # `di_2020_covid × plain_harvest` spent all 240 LPs of the old budget on the first of its 293
    # ambiguous binaries, flipped 6 of them, and left none to the repairs after it; deciding the most
    # fractional first and not branching on the nearly decided, the benchmark set's plans summed
    # 12.3 bp better (20 better, 16 worse) in 7% fewer simplex iterations (docs/benchmarks.md).
    fraction = np.abs(x[columns] - values)
    undecided = np.flatnonzero(ambiguous & (fraction >= DIVE_MIN_FRACTION))
    for j in undecided[np.argsort(-fraction[undecided], kind="stable")]:
        if search.dive_lps + 2 > MAX_DIVE_LPS or search.out_of_time():
            break
        column = columns[j:j + 1]
        objectives: dict[float, float] = {}
        rounded, rounded_basis = values[j], None
        for value in (rounded, 1.0 - rounded):  # the rounded side first
            search.fix(column, np.array([value]))
            search.dive_lps += 1
            # The other side only needs to be seen to cost more than the rounded one (ties go to the
            # rounded side): its LP stops once its bound passes that.
            objectives[value] = search.lp_objective(cutoff=objectives.get(rounded, float("inf")))
            if objectives[value] <= free + DIVE_TOLERANCE_BP:
                break  # no other side can be cheaper than the LP with j free, within the tolerance
            if value == rounded:
                rounded_basis = search.basis()
        values[j] = min(objectives, key=lambda v: (objectives[v], v != rounded))
        if len(objectives) == 2 and values[j] == rounded:
            # Back to the rounded side's optimal basis: the next binary's LP starts one fix away from
            # it, not from wherever the other side's LP stopped.
            search.restore(rounded_basis)
        if np.isfinite(objectives[values[j]]):
            free = objectives[values[j]]
        search.fix(column, values[j:j + 1])
    return values


def _dive(search: Search, columns: np.ndarray, values: np.ndarray, x: np.ndarray) -> np.ndarray | None:
    """Fix one column at a time (the most decided first), taking the other value when the LP says
    the first is infeasible. For repairs whose all-at-once rounding breaks a row."""
    search.release(columns)
    order = np.argsort(np.abs(x[columns] - values), kind="stable")
    done = np.zeros(len(columns), dtype=bool)
    for j in order:
        if search.out_of_time():  # (each LP is quick: past the deadline, hundreds would still run)
            return None
        done[j] = True
        for value in (values[j], 1.0 - values[j]):
            values[j] = value
            search.fix(columns[done], values[done])
            status = search.lp()
            if status == "optimal":
                break
            if search.out_of_time():
                return None
        else:
            return None
    return values


def repair_point(search: Search, x: np.ndarray) -> Point | None:
    """Turn a relaxation's point into a polished feasible one (module docstring, step 2)."""
    ambiguous_seen: set[int] = set()
    for round_ in range(MAX_REPAIR_ROUNDS):
        if search.out_of_time():
            return None
        integer = search.integer_columns() & (search.lower0 < search.upper0)  # (not fixed for good)
        columns = np.flatnonzero(integer)
        values = np.clip(np.round(x[columns]), search.lower0[columns], search.upper0[columns])
        fractional = np.abs(x[columns] - np.round(x[columns])) > INTEGRAL
        ambiguous_seen.update(columns[fractional].tolist())
        binary = (search.lower0[columns] == 0.0) & (search.upper0[columns] == 1.0)
        # Binaries with a safe side (a wash sale's harvest, LazyBinaries.safe_sides) keep the rounded
        # side, clashes flipped below: strong branching on each of a crash's hundred harvests cost
        # ten times the rest of the search.
        ambiguous_now = fractional & binary & np.isnan(search.safe_value[columns])
        # The order they are decided in: the relaxation's own choices (which its point meets), the
        # rounded safe sides, the strong branching's.
        order = np.r_[np.flatnonzero(~fractional), np.flatnonzero(fractional & ~ambiguous_now),
                      np.flatnonzero(ambiguous_now)]
        if len(columns):
            values = _strong_dive(search, columns, values, ambiguous_now, x)
            search.fix(columns, values)
            # (This LP also leaves the basis the tangent rounds below start from.)
            # Fixing everything at once may leave no feasible LP: the few choices that clash found by
            # bisection and flipped, else one binary at a time.
            if search.lp() != "optimal" and binary.all() and \
                    not flip_clashes(search, columns, values, order, int((~fractional).sum())) and \
                    _dive(search, columns, values.copy(), x) is None:
                search.release(columns)
                return None
        status, _, switched = search.lp_rounds(relaxation=False)
        if status == "infeasible" and switched and len(columns) and binary.all() and \
                flip_clashes(search, columns, values, order, 0):
            # A group switched on here clashed with a few of the choices just fixed (a minimum sale that
            # must take a small position whole, against a loss sale that keeps its replacement lots).
            status, _, _ = search.lp_rounds(relaxation=False)
        x = search.x()
        search.release(columns)
        if status == "infeasible" and switched:
            # ... with many of them: decide again from the relaxation with those groups on (still a
            # relaxation: a bound).
            status, _, _ = search.lp_rounds(relaxation=True)
            if status != "optimal":
                return None
            x = search.x()
            continue
        if status != "optimal":
            return None
        if switched and round_ + 1 >= SWITCH_ALL_AFTER:
            # Groups keep breaking as the LP moves to names whose groups are still off (cash spread
            # over 500 names against a minimum trade): switch every group on at once and start the
            # decisions again from the relaxation with all of them on (a relaxation still: a bound).
            activate(search.compiled, search.lazy)
            status, _, _ = search.lp_rounds(relaxation=True)
            if status != "optimal":
                return None
            x = search.x()
            continue
        if switched:
            continue  # newly violated groups: their binaries are decided in the next round
        if search.counts.relaxed and search.counts.mask.any():
            rounded = search.round_counts(columns, x)
            if rounded is None:
                return None
            x = rounded
        # The Schedule D binaries first (dropped once settled): one flip changes every gain's price.
        netting = search.netting.columns
        # (Not the harvest choices share for share: flipping one alone mostly breaks its pair — a loss
        # sale given up under a forced order kept — and on a crash's direct index their 40 LPs were half
        # the search's work for no better plan.)
        seen = [c for c in sorted(ambiguous_seen - set(netting.tolist())) if np.isnan(search.safe_value[c])]
        search.ambiguous = np.r_[netting, seen].astype(np.int64)
        point, grew = search.polish_or_grow(x)
        if not grew:
            return point
        # Polishing switched groups on or added tangents: decide again in another round, with the
        # share counts free to move again (rounded for the old choices, they may not fit the new).
        search.counts = search.counts.relaxed_again(search.compiled)
        x = search.x()
    return None


def repair_safely(search: Search) -> Point | None:
    """The repair once more, every binary that has a safe side fixed there for good
    (`LazyBinaries.safe_sides`: a wash sale's harvest given up, as before sales share for share were
    offered). What is left is a restriction of the problem whose choices each forgo a trade, so its
    repair finds a point wherever the search without those choices did; the bound stays the one of
    the whole problem."""
    if np.isnan(search.safe_value).all() or search.out_of_time():
        return None
    search.fix_safe_sides()
    status, _, _ = search.lp_rounds(relaxation=True)  # (raises no bound now: `Search.restricted`)
    return repair_point(search, search.x()) if status == "optimal" else None


def repair_backed_off(search: Search) -> Point | None:
    """No whole-share point by rounding nor by HiGHS's MIP within its first budget: when a
    tracking-error limit binds, the relaxation's point sits on it and its whole-share neighbours pass
    it. The repair once more with every upper limit on the variance backed off (TE by 3%): a point
    found inside keeps the limit itself. On acct-0557 of the batch book (51 lots, a $60,000
    withdrawal, whole shares, TE at most 3%) HiGHS's MIP found no point in 120 s; a plan exists under
    2.9%. The bound does not rise meanwhile (`Search.restricted`). Tried before HiGHS's MIP, right
    after the repair, it cost accounts that MIP serves (acct-0107: 16.6 → 42.6 s): the groups a failed
    backed-off repair switches on weigh on every MIP run after it."""
    compiled = search.compiled
    rows = variance_limit_rows(compiled, search.variance_col)
    if not len(rows) or not search.counts.mask.any() or search.best is not None or search.out_of_time():
        return None
    restricted, search.restricted = search.restricted, True
    try:
        with variance_backed_off(search.highs, rows):
            search.counts = search.counts.relaxed_again(compiled)
            status, _, _ = search.lp_rounds(relaxation=True)
            return repair_point(search, search.x()) if status == "optimal" else None
    finally:
        search.restricted = restricted
