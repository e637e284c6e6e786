"""Fixtures for explanation tests: the real market as of 2021-04-21, the shipped legacy portfolio
(30 names, a concentrated JPMorgan position, 135 lots) and policies built from IR."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from compiler.ir import CompiledPolicy, RuleIR
from compiler.rules.budget import BudgetIR
from compiler.rules.cap import CapIR
from compiler.rules.cash import CashIR
from compiler.rules.exclude import ExcludeIR
from compiler.rules.preferences import PreferencesIR
from compiler.rules.target import TargetIR
from compiler.rules.tracking_error import TrackingErrorIR
from compiler.rules.wash_sale import WashSaleIR
from core.diagnostics import Span
from solver.account import Account
from solver.account_files import load_account
from solver.market import Market

ROOT = Path(__file__).resolve().parents[2]
AS_OF = date(2021, 4, 21)
SOURCE = "policies/example.tailor"


def at(line: int) -> Span:
    return Span.point(SOURCE, line, 1, 10)


def policy(*rules: RuleIR) -> CompiledPolicy:
    """The defaults a checked policy carries (lines 1-4), then `rules`."""
    base = [
        TargetIR(id="target", span=at(1), benchmark="sp500"),
        PreferencesIR(
            id="preferences",
            span=at(2),
            preset="balanced",
            tax_weight=1.0,
            tracking_weight=1.0,
            cost_weight=1.0,
        ),
        WashSaleIR(id="wash-sale", span=at(3), window_days=30, scope="account", groups=()),
        CashIR(
            id="cash",
            span=at(4),
            reserve_pct=None,
            reserve_usd=None,
            deposit_usd=Decimal(0),
            withdrawal_usd=Decimal(0),
        ),
    ]
    return CompiledPolicy(name="example", policy_hash="0" * 64, sources=(SOURCE,), rules=(*base, *rules))


def cap(rule_id: str, ticker: str, weight: float, line: int) -> CapIR:
    return CapIR(
        id=rule_id,
        span=at(line),
        subject=ticker,
        tickers=(ticker,),
        max_weight=weight,
        min_weight=None,
        years=None,
        long_term_only=False,
    )


def budget(rule_id: str, measure: str, dollars: int, line: int) -> BudgetIR:
    return BudgetIR(id=rule_id, span=at(line), measure=measure, amount=Decimal(dollars))


def exclude(rule_id: str, tickers: tuple[str, ...], line: int) -> ExcludeIR:
    return ExcludeIR(
        id=rule_id, span=at(line), subject=", ".join(tickers), tickers=tickers, sell="immediately"
    )


def tracking(rule_id: str, limit: float, line: int) -> TrackingErrorIR:
    return TrackingErrorIR(id=rule_id, span=at(line), max_te=limit)


@pytest.fixture(scope="session")
def market() -> Market:
    return Market.load(AS_OF)


@pytest.fixture(scope="session")
def legacy() -> Account:
    return load_account(ROOT / "examples" / "accounts" / "legacy_jpm" / "account.yaml")
