"""Tiny books for the batch, log and service tests: accounts cut from the legacy_jpm example (real
lots and prices of 2021-04-21), a few seconds of solving in all."""

from __future__ import annotations

import csv
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest

ROOT = Path(__file__).resolve().parents[2]
LOTS = ROOT / "examples/accounts/legacy_jpm/lots.csv"
FIRM = ROOT / "policies/firm/default.tailor"
CONFLICT = ROOT / "policies/examples/cap_versus_budget.tailor"
T = TypeVar("T")


def make_account(folder: Path, name: str, lots: int, offset: int = 0, cash: str = "25000.00") -> Path:
    """An account of `lots` lots of legacy_jpm, starting at row `offset`."""
    folder.mkdir(parents=True, exist_ok=True)
    with LOTS.open() as source:
        rows = list(csv.reader(source))
    chosen = [rows[0], *rows[1 + offset:1 + offset + lots]]
    with (folder / "lots.csv").open("w", newline="") as out:
        csv.writer(out, lineterminator="\n").writerows(chosen)
    (folder / "account.yaml").write_text(f"account: {name}\ntype: taxable\nas_of: 2021-04-21\ncash: {cash}\n"
                                         "lots: lots.csv\n")
    return folder / "account.yaml"


def make_book(folder: Path, accounts: int, *, lots: int = 30, policy: Path = FIRM,
              extra: list[tuple[str, str, str]] = ()) -> Path:
    """book.csv with `accounts` accounts acct-00… under `policy`, plus `extra` rows (id, account, policy)."""
    rows = []
    for i in range(accounts):
        name = f"acct-{i:02d}"
        path = make_account(folder / "accounts" / name, name, lots, offset=(7 * i) % 100)
        rows.append((name, str(path.relative_to(folder)), os.path.relpath(policy, folder)))
    book = folder / "book.csv"
    with book.open("w", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(("id", "account", "policy"))
        writer.writerows([*rows, *extra])
    return book


@pytest.fixture(autouse=True)
def decision_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test's own decision log (commands record to it by default)."""
    path = tmp_path / "decisions.db"
    monkeypatch.setenv("TAILOR_DECISION_LOG", str(path))
    return path


def finish_within(seconds: float, work: Callable[[], T]) -> T:
    """work(), failing the test if it has not finished after `seconds` instead of hanging the suite (it
    runs on a daemon thread, which the interpreter does not wait for at exit)."""
    done: list[T] = []
    failed: list[BaseException] = []

    def run() -> None:
        try:
            done.append(work())
        except BaseException as exc:  # re-raised in the test's own thread
            failed.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"not finished within {seconds} s"
    if failed:
        raise failed[0]
    return done[0]
