"""Account data, market data, the base optimisation model, HiGHS solve, verification."""
