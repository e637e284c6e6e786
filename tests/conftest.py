"""Suite-wide settings.

Hypothesis draws its examples from a fixed seed (`derandomize`), so a fresh clone on any machine runs
exactly the examples that were run here: a property test that passes here passes in CI, and one that
fails names the same example everywhere. Explore new examples locally with
`HYPOTHESIS_PROFILE=explore .venv/bin/pytest ...`; pin what it finds with `@example`.
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, database=None)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
