"""Shared fixtures for solver tests: a real market, the shipped example accounts, policies from IR."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from compiler.ir import CompiledPolicy, RuleIR
from compiler.rules.cash import CashIR
from compiler.rules.preferences import PreferencesIR
from compiler.rules.target import TargetIR
from compiler.rules.wash_sale import WashSaleIR
from core.diagnostics import Span
from engine.rebalance import Plan, plan
from solver.account import Account
from solver.account_files import load_account
from solver.lots import Lot
from solver.market import Market
from solver.verify import Outcome

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "accounts"
SINGLETONS = {"target", "preferences", "wash_sale", "cash", "trading", "transition", "holding_period"}


def span(line: int = 1) -> Span:
    return Span.point("policies/test.tailor", line, 1, 10)


def defaults() -> list[RuleIR]:
    return [TargetIR(id="target", span=span(1), benchmark="sp500"),
            PreferencesIR(id="preferences", span=span(2), preset="balanced", tax_weight=1.0,
                          tracking_weight=1.0, cost_weight=1.0),
            WashSaleIR(id="wash_sale", span=span(3), window_days=30, scope="account", groups=()),
            CashIR(id="cash", span=span(4), reserve_pct=None, reserve_usd=None, deposit_usd=Decimal(0),
                   withdrawal_usd=Decimal(0))]


def policy(*rules: RuleIR) -> CompiledPolicy:
    """A compiled policy: the defaults a checked policy would carry, then `rules` (a rule of a
    singleton kind replaces the default of that kind)."""
    kinds = {r.kind for r in rules} & SINGLETONS
    merged = [r for r in defaults() if r.kind not in kinds] + list(rules)
    return CompiledPolicy(name="test", policy_hash="0" * 64, sources=("policies/test.tailor",),
                          rules=tuple(merged))


AS_OF = date(2021, 4, 21)


@pytest.fixture(scope="session")
def market() -> Market:
    return Market.load(AS_OF)


@pytest.fixture(scope="session")
def index_account() -> Account:
    return load_account(EXAMPLES / "index_2012" / "account.yaml")


@pytest.fixture(scope="session")
def legacy_account() -> Account:
    return load_account(EXAMPLES / "legacy_jpm" / "account.yaml")


@pytest.fixture(scope="session")
def benchmark_account(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """The benchmark set's accounts by name (benchmarks/account_specs.py), each written once from the
    real prices by the benchmark's own generator (benchmarks/accounts.py), as `bench_set.py` builds
    them; returns its account.yaml."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        import account_specs
        import accounts
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    folder = tmp_path_factory.mktemp("benchmark_accounts")

    def written(name: str) -> Path:
        path = folder / name / "account.yaml"
        if not path.exists():
            spec = next(spec for spec in account_specs.SPECS if spec.name == name)
            accounts.write(spec, *accounts.build(spec), out=folder)
        return path
    return written


def run(account: Account, market: Market, *rules: RuleIR, with_defaults: bool = True) -> Plan:
    """Rebalance `account` under the default rules plus `rules`; the result must verify."""
    compiled = policy(*rules) if with_defaults else CompiledPolicy(
        name="test", policy_hash="0" * 64, sources=(), rules=tuple(rules))
    outcome = plan(account, compiled, market)
    assert outcome.result.verified, outcome.result.violations
    return outcome


def with_lots(account: Account, *lots: Lot) -> Account:
    return account.model_copy(update={"lots": (*account.lots, *lots)})


def settled_within(outcome: Outcome) -> Decimal:
    """How far a plan's trades may move the account's value, or a gift's value differ from what leaves:
    each trade settles to the cent (its shares × price rounded half-even), so by half a cent at most."""
    return Decimal("0.005") * (len(outcome.sales) + len(outcome.buys) + len(outcome.gifts))
