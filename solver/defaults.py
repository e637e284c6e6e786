"""The solve's default limits, in a module of their own: the CLI shows them in `--help` without
importing the solver (Pyomo, HiGHS and SciPy take a second and a half to import)."""

DEFAULT_TIME_LIMIT = 60.0  # seconds: a safety net; work limits end the search first
DEFAULT_MIP_GAP = 1e-3  # relative gap on the exact objective (solver/search.py: relative_gap)
OBJECTIVE_FLOOR_BP = 1.0  # the gap's denominator never falls below 1 bp of the account
