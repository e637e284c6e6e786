"""Golden tests: a loud summary of every file `UPDATE_GOLDEN=1` rewrote (each of their tests failed)."""

from __future__ import annotations

import pytest

from tests.golden.update import REWRITTEN


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not REWRITTEN:
        return
    terminalreporter.section("UPDATE_GOLDEN rewrote golden files", sep="!", red=True, bold=True)
    for name in REWRITTEN:
        terminalreporter.write_line(f"  {name}")
    terminalreporter.write_line(
        "Their tests FAILED on purpose: review `git diff -- tests/golden`, commit what is intended, and "
        "run again without UPDATE_GOLDEN."
    )
