"""Golden files: the exact text of `tailor explain` for shipped policies on shipped example accounts.

Each case's text (`solver.explain.render.to_text`) must equal expected/<case>.txt byte for byte.
After an intended change (of wording, of a policy, or of the solver), regenerate with
`UPDATE_GOLDEN=1 .venv/bin/pytest tests/golden/explanations` and review the diff.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest

from compiler.check import compile_policy
from solver.account_files import load_account
from solver.explain import explain
from solver.explain.render import to_text
from solver.market import Market
from solver.rebalance import plan

ROOT = Path(__file__).resolve().parents[3]
EXPECTED = Path(__file__).parent / "expected"
CASES = {
    "legacy_three_year__legacy_jpm": ("policies/clients/legacy_three_year.tailor", "legacy_jpm"),
    "executive__legacy_jpm": ("policies/clients/executive.tailor", "legacy_jpm"),
    "gift_appreciated__sp500_2000": ("policies/clients/gift_appreciated.tailor", "sp500_2000"),
    "cap_versus_budget__legacy_jpm": ("policies/examples/cap_versus_budget.tailor", "legacy_jpm"),
}


@pytest.fixture(scope="module")
def market() -> Market:
    return Market.load(date(2021, 4, 21))


@pytest.mark.parametrize("case", sorted(CASES))
def test_explanation_text(case: str, market: Market, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # spans are written relative to the repository, as a user runs the CLI
    policy_path, account = CASES[case]
    policy = compile_policy(policy_path)
    solved = plan(load_account(f"examples/accounts/{account}/account.yaml"), policy, market)
    text = to_text(explain(solved, policy))
    expected = EXPECTED / f"{case}.txt"
    if os.environ.get("UPDATE_GOLDEN"):
        expected.write_text(text, encoding="utf-8")
    assert text == expected.read_text(encoding="utf-8")
