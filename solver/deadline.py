"""HiGHS's MIP under a wall-clock deadline that holds (issue 8 §3: the clock is a safety net, never
overrun by more than a few percent).

HiGHS checks its `time_limit` (and calls its MIP interrupt callback) only between the MIP's steps,
and one step can be long: on a 94-lot whole-share account the root's separation rounds and sub-MIP
heuristics ran 3 s of CPU between two checks, and in a loaded pool a 30 s limit ended at 82 s of wall
clock. So a MIP run here is made on a copy of the model in a thread of its own, while this thread
waits for it until the deadline. At the deadline the copy is told to stop (its interrupt callback
says so at HiGHS's next check); if it has not stopped within a short grace, it is abandoned — it
stops at that next check and its copy is dropped, the live model untouched — and the search goes on
with what it had. LP re-solves stay on the live model: the simplex checks the clock every iteration.

Nothing here decides an answer: the copy carries every option and the start, and runs the same
single-threaded, seeded search as the live model would (the same point, bound and node count); the
clock only ends it, and then the search's stop says `time_limit`.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import highspy
import numpy as np

GRACE_FRACTION = 0.01  # of the time limit: how long a run told to stop may take to stop
MIN_GRACE_SECONDS = 0.05


@dataclass(frozen=True)
class MipRun:
    """How one run of HiGHS's MIP ended: its status as `solver.highs_runs.run_highs` names them, its point
    (None without one), dual bound and nodes."""

    status: str
    x: np.ndarray | None
    dual_bound: float
    nodes: int


def grace(time_limit: float) -> float:
    return max(MIN_GRACE_SECONDS, GRACE_FRACTION * time_limit)


def run_mip(highs: highspy.Highs, deadline: float, grace_seconds: float, start: np.ndarray | None,
            status_of: dict[highspy.HighsModelStatus, str]) -> MipRun:
    """HiGHS's MIP on a copy of `highs` (model and options as they are now; `start`, a complete point,
    passed with setSolution), ended by the deadline: see the module docstring."""
    copy = highspy.Highs()
    copy.passOptions(highs.getOptions())
    copy.passModel(highs.getModel())
    if start is not None:
        solution = highspy.HighsSolution()
        solution.col_value = start.tolist()
        solution.value_valid = True
        copy.setSolution(solution)
    stop = threading.Event()

    def interrupt(event: highspy.highs.HighsCallbackEvent) -> None:
        if stop.is_set() or time.perf_counter() >= deadline:
            event.interrupt()

    copy.cbMipInterrupt += interrupt
    copy.setOptionValue("time_limit", max(deadline - time.perf_counter(), 0.01))
    # Not a daemon: the interpreter's exit waits for an abandoned run to reach HiGHS's next check
    # (a daemon thread still inside HiGHS at exit is torn down mid-call, and the process aborts).
    worker = threading.Thread(target=copy.run, name="highs-mip", daemon=False)
    worker.start()
    worker.join(max(deadline - time.perf_counter(), 0.0))
    if worker.is_alive():
        stop.set()
        worker.join(grace_seconds)
        if worker.is_alive():  # abandoned: it stops at HiGHS's next check, on its own copy
            return MipRun("time_limit", None, -float("inf"), 0)
    info = copy.getInfo()
    interrupted = copy.getModelStatus() == highspy.HighsModelStatus.kInterrupt
    status = "time_limit" if interrupted else status_of.get(copy.getModelStatus(), "error")
    has_point = info.primal_solution_status == 2
    if status in ("time_limit", "error") and has_point:
        status = "feasible"  # stopped early (clock, interrupt, solution or node limit) with a point
    x = np.asarray(copy.getSolution().col_value).copy() if has_point else None
    return MipRun(status, x, float(info.mip_dual_bound), int(info.mip_node_count))


def run_mip_within(highs: highspy.Highs, max_nodes: int, first_point: bool, deadline: float,
                   grace_seconds: float, start: np.ndarray | None,
                   status_of: dict[highspy.HighsModelStatus, str]) -> MipRun:
    """`run_mip` within `max_nodes` (a work limit), and until its first point with `first_point`; the
    live model's node and solution limits are back as they were after."""
    highs.setOptionValue("mip_max_nodes", max_nodes)
    highs.setOptionValue("mip_max_improving_sols", 1 if first_point else highspy.kHighsIInf)
    try:
        return run_mip(highs, deadline, grace_seconds, start, status_of)
    finally:
        highs.setOptionValue("mip_max_nodes", highspy.kHighsIInf)
        highs.setOptionValue("mip_max_improving_sols", highspy.kHighsIInf)
