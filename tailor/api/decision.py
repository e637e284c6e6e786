"""A decision: what one rebalance of one account decided, with everything needed to prove how.

`tailor.decision/1` is the record a batch writes for each account (OUT/<id>/decision.json, a row of
the book summary), the decision log stores for every command and batch, and the service reports for a
job's accounts. It names the inputs by their hashes (account files, policy, market), the engine
version and the options, so compliance can tell which policy version and inputs produced a trade.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from importlib.metadata import PackageNotFoundError, version
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from core.diagnostics import Diagnostic
from engine.rebalance import RebalanceOptions
from solver.outputs import TRADE_COLUMNS
from solver.result import RebalanceResult
from tailor.api.models import RebalanceReport

DECISION_SCHEMA = "tailor.decision/1"
# A decision's status: a report's (tailor.rebalance/1), or `error` when the inputs did not load.
DecisionStatus = Literal["verified", "infeasible", "time_limit", "no_plan", "refused", "error"]


def engine_version() -> str:
    try:
        return version("tailor")
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "unknown"


class Figures(BaseModel):
    """A verified plan's totals (money as decimal strings, as in result.json)."""

    model_config = ConfigDict(frozen=True)

    trades: int
    sells: int
    buys: int
    value_before: str
    sold: str  # value sold: turnover × value before, to the cent
    estimated_tax: str
    realized_short_term: str
    realized_long_term: str
    turnover: float
    tracking_error_before: float
    tracking_error_after: float


class Decision(BaseModel):
    model_config = ConfigDict(frozen=True, populate_by_name=True)

    schema_: Literal["tailor.decision/1"] = Field(default=DECISION_SCHEMA, alias="schema")
    id: str  # the book's id for the account (its output folder), or the account id outside a batch
    account_id: str | None = None  # as the account file states it; None when it did not load
    household_id: str | None = None
    account_file: str | None = None
    policy_file: str | None = None
    as_of: date | None = None
    status: DecisionStatus
    policy_name: str | None = None
    policy_hash: str | None = None
    policy_sources: tuple[str, ...] = ()
    account_hash: str | None = None  # sha256 of account.yaml and every file it names
    market_source: str | None = None  # "bundled" or "snapshot"
    market_digest: str | None = None  # the snapshot's sha256 (files included); None for the bundled data
    engine_version: str = Field(default_factory=engine_version)
    time_limit: float | None = None
    mip_gap: float | None = None
    key: str | None = None  # sha256 of everything above that decides the plan: equal keys, equal plans
    plan_hash: str | None = None  # result.json's plan_hash; None without a result
    figures: Figures | None = None  # None unless verified
    conflict: tuple[str, ...] = ()  # an infeasible policy's smallest set of conflicting rule ids
    diagnostics: tuple[Diagnostic, ...] = ()
    trades: tuple[dict[str, str], ...] = ()  # trades.csv's rows (verified plans only), for the log
    timings: dict[str, float] = Field(default_factory=dict)

    def to_json(self) -> str:
        return self.model_dump_json(by_alias=True, indent=2) + "\n"


def input_key(*, account_hash: str, policy_hash: str, as_of: date, market_digest: str | None,
              options: RebalanceOptions, engine: str) -> str:
    """Equal keys mean the same account files, policy, market, date, options and engine: a re-run
    would give the same plan, so a batch skips it."""
    body = {"engine": engine, "account": account_hash, "policy": policy_hash, "as_of": as_of.isoformat(),
            "market": market_digest, "time_limit": options.time_limit, "mip_gap": options.mip_gap}
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def trade_rows(result: RebalanceResult) -> tuple[dict[str, str], ...]:
    """trades.csv's rows as text, for the decision log."""
    rows = []
    for line in result.trades:
        data = line.model_dump(mode="json")
        row = {c: "" if data[c] is None else str(data[c]) for c in TRADE_COLUMNS}
        if line.account is not None:  # a household's plan: trades.csv names the account too
            row["account"] = line.account
        rows.append(row)
    return tuple(rows)


def figures_of(result: RebalanceResult) -> Figures | None:
    summary = result.summary
    if summary is None or not result.verified:
        return None
    sold = sum((t.amount for t in result.trades if t.action == "sell"), start=summary.value_before * 0)
    return Figures(trades=len(result.trades), sells=summary.sells, buys=summary.buys,
                   value_before=str(summary.value_before), sold=str(sold),
                   estimated_tax=str(summary.estimated_tax),
                   realized_short_term=str(summary.realized_short_term),
                   realized_long_term=str(summary.realized_long_term), turnover=summary.turnover,
                   tracking_error_before=summary.tracking_error_before,
                   tracking_error_after=summary.tracking_error_after)


def decision_of(report: RebalanceReport, options: RebalanceOptions, *, id: str | None = None,
                account_file: str | None = None, policy_file: str | None = None,
                conflict: tuple[str, ...] = (), trades: tuple[dict[str, str], ...] = (),
                timings: dict[str, float] | None = None) -> Decision:
    result = report.result
    market = result.market
    engine = engine_version()
    return Decision(id=id or result.account_id, account_id=result.account_id,
                    household_id=result.household_id,
                    account_file=account_file, policy_file=policy_file, as_of=result.as_of,
                    status=report.status, policy_name=result.policy_name, policy_hash=result.policy_hash,
                    policy_sources=result.policy_sources, account_hash=result.account_hash,
                    market_source=market.source if market else None,
                    market_digest=market.snapshot_digest if market else None, engine_version=engine,
                    time_limit=options.time_limit, mip_gap=options.mip_gap,
                    key=input_key(account_hash=result.account_hash, policy_hash=result.policy_hash,
                                  as_of=result.as_of,
                                  market_digest=market.snapshot_digest if market else None,
                                  options=options, engine=engine),
                    plan_hash=result.plan_hash,
                    figures=figures_of(result), conflict=conflict, diagnostics=report.diagnostics,
                    trades=trades, timings=dict(timings if timings is not None else result.timings))


def failed_decision(id: str, diagnostics: tuple[Diagnostic, ...], *, account_file: str | None = None,
                    policy_file: str | None = None, as_of: date | None = None,
                    timings: dict[str, float] | None = None) -> Decision:
    """Inputs that did not load (a bad file, an unknown ticker): the diagnostics, no plan."""
    return Decision(id=id, account_file=account_file, policy_file=policy_file, as_of=as_of, status="error",
                    diagnostics=diagnostics, timings=dict(timings or {}))
