"""The verifier's tests use the solver tests' real market and example accounts."""

from tests.solver.conftest import legacy_account, market  # noqa: F401 - fixtures, by name
