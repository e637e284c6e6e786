"""numpy's and scipy's BLAS on one thread: a plan depends on its inputs only, not on the machine.

OpenBLAS splits a long dot product or matrix product over its threads and adds the partial sums in
another order, so the last bits of an objective or of a risk-model loading change with the thread
count, and where the search meets a tie (two vertices of one LP optimum, two strong-branching sides
of one cost) it goes the other way. Left at the machine's core count, `tailor rebalance` on the
14,686-lot `di_2021_rally` under the direct-indexing model wrote other trades on two threads than
on one, at the same objective, and 6 of the benchmark set's 56 plans differed. HiGHS runs
single-threaded for the same reason, and the vector work the BLAS threads sped up is a small part of
a solve.

The pin is for the whole process (threadpoolctl sets the libraries' own thread count; a context
manager would restore it under another thread's solve), set where each library is loaded:
`market.risk_build` and `solver.market` on import (numpy's: a risk model is built, and cached for
every later plan of its date, by whichever loads first — `tailor data risk-model` loads no solver),
and `solver.handoff` (scipy's, which its imports load). Not on every solve: a caller that sets the
thread count itself afterwards has decided it.
"""

from __future__ import annotations

from threadpoolctl import threadpool_limits


def one_thread() -> None:
    """Every BLAS library loaded so far on one thread (0.8 ms)."""
    threadpool_limits(limits=1, user_api="blas")
