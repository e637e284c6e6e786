"""Suite-wide settings.

Hypothesis draws its examples from a fixed seed (`derandomize`), so a fresh clone on any machine runs
exactly the examples that were run here: a property test that passes here passes in CI, and one that
fails names the same example everywhere. Explore new examples locally with
`HYPOTHESIS_PROFILE=explore .venv/bin/pytest ...`; pin what it finds with `@example`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

settings.register_profile("ci", derandomize=True, database=None)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(autouse=True, scope="session")
def _decision_log(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Commands record their decisions in the decision log; the suite's go to a file of its own, not to
    the user's log (~/.local/share/tailor/decisions.db). Subprocesses inherit it."""
    path: Path = tmp_path_factory.mktemp("log") / "decisions.db"
    before = os.environ.get("TAILOR_DECISION_LOG")
    os.environ["TAILOR_DECISION_LOG"] = str(path)
    yield
    if before is None:
        os.environ.pop("TAILOR_DECISION_LOG", None)
    else:
        os.environ["TAILOR_DECISION_LOG"] = before
