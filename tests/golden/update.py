"""`UPDATE_GOLDEN=1`: rewrite golden files, and fail every test whose file was rewritten.

A regenerated golden is a claim someone has to review, so a run that rewrites one is never green:
the test fails with the file's name, and the end of the run lists every rewritten file (see
tests/golden/conftest.py). Review `git diff -- tests/golden`, then run again without UPDATE_GOLDEN.
A file that already matches is left alone and its test passes as usual.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
REWRITTEN: list[str] = []  # repository-relative paths rewritten in this run, for the summary


def updating() -> bool:
    return os.environ.get("UPDATE_GOLDEN", "") not in ("", "0")


def update(path: Path, text: str) -> None:
    """Under UPDATE_GOLDEN only: write `text` to `path` when it differs, and then fail the test."""
    old = path.read_text(encoding="utf-8") if path.exists() else None
    if old == text:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    name = str(path.resolve().relative_to(ROOT)) if path.resolve().is_relative_to(ROOT) else str(path)
    REWRITTEN.append(name)
    pytest.fail(
        f"UPDATE_GOLDEN rewrote {name} ({'new file' if old is None else 'changed'}). This test fails "
        f"on purpose: review `git diff -- {name}`, then run again without UPDATE_GOLDEN.",
        pytrace=False,
    )
