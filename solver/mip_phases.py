"""The anytime search's phases that hand the current model to HiGHS's own MIP (solver/solve.py).

HiGHS sees the model as the search left it: the lazy groups switched on (their binaries integer), the
others off (`full_problem_mip` switches every one on), the tangents so far, the share counts
continuous unless made strict. That is a relaxation of the full problem, so the MIP's dual bound is a
bound of it (through the netting choice, which may hold the Schedule D binaries:
`NettingChoice.raise_bound`). Its point may break a group still off or a tangent: every point is
polished before it counts, and a run whose point failed for that reason runs again with the model it
grew.
"""

from __future__ import annotations

from collections.abc import Callable

import highspy
import numpy as np

from solver import repair
from solver.deadline import MipRun, grace, run_mip_within
from solver.highs_runs import RENS, STATUS, sub_mip_heuristics
from solver.lazy import activate, settled
from solver.search import Point, Search, set_integrality

MAX_MIP_NODES = 50  # HiGHS MIP nodes for whole shares that rounding could not settle, in each of
MAX_MIP_RUNS = 3  # at most this many runs (another when a point fails its polish on new tangents)
MAX_RUNS_WITHOUT_POINT = 12  # runs while no point is known: each adds what its point broke
FULL_PROBLEM_MIP_NODES = 1  # HiGHS's root on the full problem (`full_problem_mip`)


def highs_mip(search: Search, max_nodes: int, first_point: bool, start: np.ndarray | None = None) -> MipRun:
    """One run of HiGHS's MIP on the current model, from `start` (else the best point) as a complete
    start, within `max_nodes` (and until its first point, with `first_point`), ended by the deadline
    (solver/deadline.py); its nodes are counted and its dual bound, a relaxation's, raises the
    bound."""
    if start is None and search.best is not None:
        start = search.best.x
    with search.netting.holding(search) as held:
        run = run_mip_within(search.highs, max_nodes, first_point, search.deadline,
                             grace(search.options.time_limit), start, STATUS)
    search.nodes += run.nodes
    if run.status in ("optimal", "feasible"):
        search.netting.raise_bound(search, run.dual_bound, held)
    return run


def binary_mip(search: Search, max_nodes: int = MAX_MIP_NODES) -> bool:
    """HiGHS's MIP over the switched-on binaries (share counts continuous: a relaxation, its bound
    holds), from the best point, within `max_nodes`; its point, counts rounded to whole shares, is
    polished and offered. Used where the search's own branch and bound does not reach (too many
    binaries), and for whole shares that rounding could not reach from the repaired point (a vertex of
    the binaries' MIP often rounds where a dive's LP point does not). True when its point broke new
    tangents or groups: run it again on the grown model."""
    binaries = search.binary_columns()
    if not len(binaries):
        return False
    run = highs_mip(search, max_nodes, first_point=False)
    held = search.netting.held()
    if run.status == "infeasible" and search.best is None and search.proves_the_problem(held):
        # HiGHS's model is a relaxation of the problem (the groups still off relaxed, the tangents
        # cuts): no point in it, none in the problem.
        search.stop = "infeasible"
    if run.status not in ("optimal", "feasible") or run.x is None:
        return False
    x = run.x
    if search.counts.mask.any():
        x = search.round_counts(binaries, x)
        if x is None:
            return False
    point, grew = search.polish_or_grow(x)
    # A point that broke groups still off (HiGHS sees only those switched on) is repaired from, before
    # the MIP runs again with them: its choices are nearly a plan. In a 10-year monthly simulation, three
    # runs in a row (8 s each) found points that polishing rejected so, keeping a 7.8% gap until the
    # fourth; the run after a repaired point starts from it.
    search.offer(repair.repair_point(search, x) if grew else point)
    return grew and not search.closed()


def whole_share_mip(search: Search, without_point: Callable[[], None] = lambda: None) -> None:
    """Whole shares whose rounding left more than the gap, or found no point: HiGHS's MIP over every
    integer column, started from the best point when there is one, within a node budget. Its point
    may break a lazy group still off (HiGHS sees only the groups switched on): polishing switches it
    on and the MIP runs again, a bounded number of times. Without a point, the first run has a node
    budget too; when it ends without one, `without_point` may find one another way (solver/solve.py:
    the repair with the tracking-error limits backed off) before HiGHS searches on without a limit."""
    search.counts = search.counts.strict(search.compiled)
    sub_mip_heuristics(search.highs, True)
    bounded_first = search.best is None
    # Without a point, every run adds the tangents or groups its point broke: give it more runs.
    for _ in range(MAX_MIP_RUNS if search.best else MAX_RUNS_WITHOUT_POINT):
        if search.mip_done or search.closed() or search.out_of_time():
            return
        integer = search.integer_columns() | search.counts.mask
        set_integrality(search.compiled, np.flatnonzero(integer), True)
        # Without a point yet, HiGHS searches until its first whole-share point (or the clock): never
        # nothing when a plan exists. With one, a node budget bounds the improvement.
        nodes = MAX_MIP_NODES if search.best or bounded_first else highspy.kHighsIInf
        run = highs_mip(search, nodes, first_point=search.best is None)
        if bounded_first and run.x is None and run.status not in ("infeasible", "time_limit"):
            bounded_first = False
            without_point()
            search.counts = search.counts.strict(search.compiled)
            continue
        bounded_first = False
        if run.status not in ("optimal", "feasible") or run.x is None:
            search.mip_done = True
            if run.status == "infeasible" and search.best is None:
                search.stop = "infeasible"  # the MIP with only some groups on is a relaxation
            return
        point, grew = search.polish_or_grow(run.x)
        search.offer(point)
        search.mip_done = not grew  # (a point that broke new tangents or groups: decided again with them)


def full_problem_mip(search: Search) -> None:
    """Whole shares still short of the gap on a model with too many counts for `whole_share_mip`:
    every lazy group switched on — the full problem, so HiGHS's point breaks no group and its dual
    bound, with every count integer, bounds the problem — and HiGHS's root (FULL_PROBLEM_MIP_NODES) from
    the best point, polished on the full model (a complete start HiGHS accepts). The search's own tree
    bounds with the counts continuous and rounds them after the binaries are decided; HiGHS's root
    decides both together (docs/solver.md, "Whole shares")."""
    # The best point's binaries of groups still off are the relaxation's, not choices: each at a side
    # its rows allow, the same plan holds in the full model (and explanations, which fix binaries at
    # the plan's values, find it feasible there).
    start = settled(search.compiled, search.lazy, search.best.x)
    search.best = Point(start, *search.exact_objective(start))
    activate(search.compiled, [g for g in search.lazy if not g.active])
    search.counts = search.counts.strict(search.compiled)
    polished = search.polish(start)
    if polished is None:
        # (Not seen on the benchmark set or the extreme policies. From a start it does not accept,
        # HiGHS's root found no point on two extreme policies in 12–14 s, its bound below the search's.)
        return
    search.offer(polished)
    # RENS alone: on the set's two whole-share retirees and the whole-share extreme policies, the plans
    # and bounds of RINS, RENS and root reduced cost together (the crash's retiree 0.084% against
    # 0.081%) in a third of their time.
    sub_mip_heuristics(search.highs, True, (RENS,))
    run = highs_mip(search, FULL_PROBLEM_MIP_NODES, first_point=False, start=polished.x)
    if run.x is not None:
        search.offer(search.polish(run.x))
