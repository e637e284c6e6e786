"""Branch and bound over LP re-solves, for a MIP (minimisation) with a handful of binaries.

With four to eight binaries switched on, HiGHS's MIP solver spends seconds on the account model in
presolve, a root LP from scratch and root cut separation (12.8 s for one node on the 10,000-lot
benchmark, docs/benchmarks.md), while an LP re-solve from the previous basis takes milliseconds. Up
to MAX_BINARIES binaries, branching ourselves on the LP relaxation is exact and much cheaper.

Search. A node is the LP relaxation with some binaries fixed at 0 or 1 (column bounds on the live
`highs`, re-solved from the previous basis); its bound is the largest LP objective of its ancestors
(−inf at the root), below which no point of its subtree lies. A node whose LP point has every free
binary within INTEGRAL of 0 or 1 (or none free) is a leaf: an incumbent if it beats the current one.
A node whose LP is above the incumbent is pruned as soon as the dual simplex's objective passes it
(HiGHS's `objective_bound`): it could neither improve the incumbent nor stay open, so this saves
simplex iterations and changes no decision (a third of the CPU on a 1,154-lot account's 367 nodes).
Otherwise it branches on the free binary of best pseudo-cost score (below; ties: the first in
`binaries`) and the search dives into the child of lower estimated increase, pseudo-cost times
distance (until both directions have costs: the child nearer the LP value); when a dive ends, it resumes at
the open node of least bound (ties: the one created first). On the 3-account household of
docs/benchmarks.md a share-for-share loss sale at 0.999 raised the bound by 0.0055 bp up and nothing
down, and the nearer side found that rise again from every open node. A resumed node starts from the
basis its parent's LP ended on (solver/kept_basis.py): the last LP was elsewhere in the tree, often
hundreds of simplex iterations away, where the parent's basis is one bound change away
(`sp500_2000`: 4,196 simplex iterations for the plan against 4,812; the benchmark set 372,404
against 387,293). Nothing depends on the clock:
the answer is a function of the model, `gap`, `max_nodes` and `incumbent`, unless the `deadline`, a
safety net, passes first.

Tightening: a model whose rows under-estimate a convex term (solver/search.py: the tracking error's
tangents) passes `tighten(x, closing)`, which adds cuts valid everywhere and says how many. A node
whose LP optimum `tighten` cuts off is solved once more (a second node LP): its bound is then that of
the tightened model. The caller adds cuts only where the node's point, valued exactly, reaches
`closing`, the objective at which the node would be closed: elsewhere the rise could not close it.
On `di_2021_rally × direct_index` (14,686 lots, docs/benchmarks.md) this took the proof from 0.12% to
0.09% within the same node budget; on the 2,000-lot benchmark account from 0.095% to 0.04%.

Branching: each binary's pseudo-costs are the mean objective increase per unit of change that its
branchings down and up have caused so far (a child whose LP passed the incumbent counts the increase
that far, a lower estimate; an infeasible one counts nothing); one never branched on in a direction
takes the mean of those that were (1 before any). The score of a fractional binary at value f is
max(down·f, ε)·max(up·(1 − f), ε) — the product rule, which at the root, with every cost equal, is
the most fractional binary. On a retiree's account of 1,154 lots of the batch benchmark (acct-0041)
it took 137 nodes to the gap where most-fractional branching took 370 (docs/batch.md). A binary within
NEARLY_INTEGRAL of 0 or 1 is branched on only when every fractional one is: its nearer child moves
the LP by nothing, and its far child, left open at its parent's bound, costs a dive later (on the
household above, minimum buys at 1e-5 were chosen by the product once a zero increase made the mean
down-cost 0). With the dive rule above, the household's branch and bound took 20 nodes (0.21 s)
where it took 28 (0.38 s).

Gap: relative_gap(objective, bound) = (objective − bound) / max(|objective|, 1e-9), as solver/solve.py
measures it. An open node is closed once relative_gap(incumbent, its bound) ≤ `gap`; the search is
complete when every open node is closed (or none is left).

Result, on every path:
- bound = min(incumbent objective, bound of every open node), counting a node whose LP stopped short
  as open: a lower bound on the MIP's optimum. +inf when the tree is exhausted without a point; −inf
  when the root was never solved or a node LP was unbounded.
- status "optimal": complete with an incumbent, so relative_gap(objective, bound) ≤ `gap`;
  "feasible": an incumbent, but stopped short; "infeasible": complete without one (every branch ends
  in an infeasible LP); "time_limit": stopped short by a limit without one; "unbounded": a node LP was
  unbounded (the MIP is unbounded or infeasible); "error": a node LP failed, no incumbent.
- stop: "complete"; "enough": the caller's `enough(bound)` said the tree's bound so far (the least of
  the incumbent and the open nodes' bounds) closes the caller's own gap; "nodes": `max_nodes` node LPs
  were solved; "time": the deadline passed, or a node LP stopped on it; "error": a node LP ended
  unbounded or in error.
Bounds and objectives are HiGHS's LP objectives, exact up to its tolerances. The returned point is the
LP solution of a leaf (or the given incumbent, trusted as feasible); the column bounds of the
binaries are restored and the `solve_relaxation` option is left off on exit, however it ends.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import highspy
import numpy as np

from solver.kept_basis import SavedBasis, keep, restore

MAX_BINARIES = 12
# The whole tree of MAX_BINARIES binaries has 2^(MAX_BINARIES + 1) - 1 nodes: by default, the node
# limit never cuts a search short, only the deadline can.
MAX_NODES = 2 ** (MAX_BINARIES + 1)
INTEGRAL = 1e-9
NEARLY_INTEGRAL = 1e-4  # branched on only when no binary is further from integral (module docstring)

Stop = Literal["complete", "enough", "nodes", "time", "error"]
# bound, creation order, fixed values (-1: free), and how it was made: (binary, up, parent's objective,
# distance moved) — None at the root
_Branching = tuple[int, int, float, float] | None
# ... and the basis its parent's LP ended on (None at the root)
_Node = tuple[float, int, np.ndarray, _Branching, SavedBasis | None]
SCORE_FLOOR = 1e-6


class PseudoCosts:
    """Objective increase per unit of change, by binary and direction (0: down, 1: up)."""

    def __init__(self, count: int):
        self.total = np.zeros((2, count))
        self.seen = np.zeros((2, count))

    def record(self, branching: _Branching, objective: float) -> None:
        if branching is not None:
            j, up, parent, distance = branching
            self.total[up, j] += max(objective - parent, 0.0) / max(distance, INTEGRAL)
            self.seen[up, j] += 1

    def costs(self) -> np.ndarray:
        """Per direction (row) and binary: its mean increase per unit, or its direction's mean."""
        known = self.seen > 0
        mean = np.where(known.any(axis=1), self.total.sum(axis=1) / np.maximum(self.seen.sum(axis=1), 1), 1.0)
        return np.where(known, self.total / np.maximum(self.seen, 1), mean[:, None])

    def first(self, j: int, value: float) -> float:
        """The child to dive into (module docstring): the side of lower estimated increase once both
        directions have been seen (before, one direction's cost is the default 1, not comparable to
        the other's), else the nearer side."""
        cost = self.costs()[:, j]
        down, up = cost[0] * value, cost[1] * (1.0 - value)
        if not self.seen.sum(axis=1).all():
            down, up = value, 1.0 - value
        return 0.0 if down < up or (down == up and value <= 0.5) else 1.0

    def choose(self, values: np.ndarray, fractional: np.ndarray) -> int:
        """The fractional binary of best score (module docstring)."""
        cost = self.costs()
        score = np.maximum(cost[0] * values, SCORE_FLOOR) * np.maximum(cost[1] * (1.0 - values), SCORE_FLOOR)
        candidates = fractional > (NEARLY_INTEGRAL if (fractional > NEARLY_INTEGRAL).any() else INTEGRAL)
        return int(np.argmax(np.where(candidates, score, -1.0)))


@dataclass
class BranchResult:
    status: str  # optimal | feasible | infeasible | time_limit | unbounded | error
    x: np.ndarray | None
    objective: float  # +inf without a point
    bound: float
    nodes: int  # node LPs solved
    stop: Stop


def relative_gap(objective: float, bound: float) -> float:
    return (objective - bound) / max(abs(objective), 1e-9)


def _tightened(highs: highspy.Highs, tighten: Callable[[np.ndarray, float], int], incumbent: bool,
               best: float, gap: float) -> bool:
    """Did `tighten` cut off this node's LP optimum? Asked only of a node still open at its LP value
    that an incumbent could close (module docstring)."""
    closing = best - gap * max(abs(best), 1e-9)  # (relative_gap(best, closing) = gap)
    return incumbent and highs.getModelStatus() == highspy.HighsModelStatus.kOptimal and \
        highs.getInfo().objective_function_value < closing and \
        bool(tighten(np.asarray(highs.getSolution().col_value), closing))


def branch_and_bound(highs: highspy.Highs, binaries: np.ndarray, gap: float, deadline: float,
                     run: Callable[[highspy.Highs, float], str], *, max_nodes: int = MAX_NODES,
                     incumbent: tuple[float, np.ndarray] | None = None,
                     tighten: Callable[[np.ndarray, float], int] | None = None,
                     enough: Callable[[float], bool] | None = None) -> BranchResult:
    """Minimise over the binary columns `binaries` by branching on LP relaxations; `incumbent`, a known
    feasible point (objective, x), is returned unless the search finds a better one. `enough`: the
    caller's own stop (module docstring, "Result")."""
    cols = np.asarray(binaries, dtype=np.int32)
    lp = highs.getLp()
    low0, up0 = np.asarray(lp.col_lower_)[cols], np.asarray(lp.col_upper_)[cols]
    best, best_x = float("inf"), None
    if incumbent is not None:
        best, best_x = float(incumbent[0]), np.array(incumbent[1], dtype=float)
    open_nodes: list[_Node] = []
    dive: _Node | None = (-float("inf"), 0, np.where(low0 == up0, low0, -1.0), None, None)
    costs = PseudoCosts(len(cols))
    created, nodes, unbounded = 1, 0, False
    stop: Stop = "complete"

    def closed(bound: float) -> bool:
        return best_x is not None and relative_gap(best, bound) <= gap

    highs.setOptionValue("solve_relaxation", True)
    try:
        while True:
            if dive is not None and closed(dive[0]):
                heapq.heappush(open_nodes, dive)  # still open: its bound counts
                dive = None
            if dive is None and (not open_nodes or closed(open_nodes[0][0])):
                stop = "complete"
                break
            if enough is not None and enough(min(best, open_nodes[0][0] if open_nodes else best,
                                                 dive[0] if dive is not None else best)):
                stop = "enough"
                break
            if nodes >= max_nodes:
                stop = "nodes"
                break
            if time.perf_counter() >= deadline:
                stop = "time"
                break
            resumed = dive is None
            node = dive if dive is not None else heapq.heappop(open_nodes)
            dive = None
            bound, _, fixed, branching, kept = node
            if resumed and kept is not None:
                restore(highs, kept)  # (a node left open: the last LP was elsewhere in the tree)
            free = fixed < 0
            highs.changeColsBounds(len(cols), cols, np.where(free, low0, fixed), np.where(free, up0, fixed))
            # A node whose LP is at or above the incumbent can neither improve it nor stay open (its
            # subtree's bound would be at least the incumbent's): its dual simplex stops there.
            highs.setOptionValue("objective_bound", best)
            status = run(highs, deadline)
            nodes += 1
            if tighten is not None and _tightened(highs, tighten, best_x is not None, best, gap):
                status = run(highs, deadline)  # (the node once more, on its cuts: counted as a node)
                nodes += 1
            if highs.getModelStatus() == highspy.HighsModelStatus.kObjectiveBound:
                costs.record(branching, best)  # (it rose at least that far)
                continue
            if status == "infeasible":
                continue
            if status != "optimal":
                heapq.heappush(open_nodes, node)
                unbounded = status == "unbounded"
                stop = "time" if status in ("time_limit", "feasible") else "error"
                break
            objective = float(highs.getInfo().objective_function_value)
            costs.record(branching, objective)
            x = np.asarray(highs.getSolution().col_value)
            values = x[cols]
            fractional = np.where(free, np.abs(values - np.round(values)), 0.0)
            if fractional.max(initial=0.0) <= INTEGRAL:
                if objective < best:
                    best, best_x = objective, x.copy()
                continue
            parent = keep(highs)
            j = costs.choose(values, fractional)
            first = costs.first(j, float(values[j]))
            children: list[_Node] = []
            for value in (first, 1.0 - first):
                if low0[j] <= value <= up0[j]:
                    child = fixed.copy()
                    child[j] = value
                    made = (j, int(value), objective, abs(value - float(values[j])))
                    children.append((max(bound, objective), created, child, made, parent))
                    created += 1
            for child_node in children[1:]:
                heapq.heappush(open_nodes, child_node)
            dive = children[0] if children else None
    finally:
        highs.changeColsBounds(len(cols), cols, low0, up0)
        highs.setOptionValue("solve_relaxation", False)
        highs.setOptionValue("objective_bound", float("inf"))
    if dive is not None:
        open_nodes.append(dive)
    bound = -float("inf") if unbounded else min([best, *(node[0] for node in open_nodes)])
    if unbounded:
        status = "unbounded"
    elif stop == "complete":
        status = "optimal" if best_x is not None else "infeasible"
    elif best_x is not None:
        status = "feasible"
    else:
        status = "time_limit" if stop in ("nodes", "time") else "error"
    return BranchResult(status, best_x, best, bound, nodes, stop)
