"""The book summary: one row per account and the book's totals, as JSON (`tailor.book/1`), CSV and
Parquet in OUT, and a closing table in the terminal.

Rows are in the book's order and hold only what the inputs decide, so the same book gives the same
summary whatever the number of workers; `timings` of each decision and the `run` section (backend,
workers, speed, retries) are the only parts that differ between runs.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from decimal import Decimal
from pathlib import Path
from typing import Literal

import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import BaseModel, ConfigDict, Field
from rich.console import Console
from rich.table import Table

from solver.tax import money_text
from tailor.api.decision import Decision

BOOK_SCHEMA = "tailor.book/1"
CSV_COLUMNS = ("id", "account_id", "status", "as_of", "policy_name", "policy_hash", "account_hash",
               "plan_hash",
               "trades", "sells", "buys", "value_before", "sold", "estimated_tax", "realized_short_term",
               "realized_long_term", "turnover", "tracking_error_before", "tracking_error_after", "conflict",
               "codes", "message", "seconds")


class Totals(BaseModel):
    model_config = ConfigDict(frozen=True)

    accounts: int
    verified: int
    infeasible: int
    time_limit: int
    no_plan: int
    refused: int
    errors: int
    trades: int
    value_before: str  # of the verified accounts
    sold: str
    estimated_tax: str
    turnover: float  # value sold / value before, over the verified accounts


class RunInfo(BaseModel):
    """How this run went: what differs between two runs of the same book."""

    model_config = ConfigDict(frozen=True)

    backend: Literal["pool", "dask"]
    workers: int
    ran: int  # accounts rebalanced in this run
    skipped: int  # accounts whose inputs had not changed since their last decision (or not --changed)
    retried: int | None  # worker deaths survived by retrying their account (None: Dask does not say)
    policies_compiled: int  # summed over workers: once per worker and policy, not per account
    markets_loaded: int
    seconds: float
    accounts_per_second: float


class BookReport(BaseModel):
    model_config = ConfigDict(frozen=True, populate_by_name=True)

    schema_: Literal["tailor.book/1"] = Field(default=BOOK_SCHEMA, alias="schema")
    book: str
    accounts: tuple[Decision, ...]
    totals: Totals
    run: RunInfo

    def to_json(self) -> str:
        # trades are in each account's trades.csv (and the decision log), not repeated here
        body = self.model_dump_json(by_alias=True, indent=2, exclude={"accounts": {"__all__": {"trades"}}})
        return body + "\n"


def totals(decisions: list[Decision]) -> Totals:
    count = {status: sum(d.status == status for d in decisions)
             for status in ("verified", "infeasible", "time_limit", "no_plan", "refused", "error")}
    figures = [d.figures for d in decisions if d.figures is not None]
    value = sum((Decimal(f.value_before) for f in figures), Decimal(0))
    sold = sum((Decimal(f.sold) for f in figures), Decimal(0))
    return Totals(accounts=len(decisions), verified=count["verified"], infeasible=count["infeasible"],
                  time_limit=count["time_limit"], no_plan=count["no_plan"], refused=count["refused"],
                  errors=count["error"], trades=sum(f.trades for f in figures), value_before=str(value),
                  sold=str(sold),
                  estimated_tax=str(sum((Decimal(f.estimated_tax) for f in figures), Decimal(0))),
                  turnover=round(float(sold / value), 6) if value else 0.0)


def _row(d: Decision) -> dict[str, object]:
    f = d.figures
    errors = [x for x in d.diagnostics if x.is_error]
    return {"id": d.id, "account_id": d.account_id, "status": d.status,
            "as_of": d.as_of.isoformat() if d.as_of else None, "policy_name": d.policy_name,
            "policy_hash": d.policy_hash, "account_hash": d.account_hash, "plan_hash": d.plan_hash,
            "trades": f.trades if f else None, "sells": f.sells if f else None, "buys": f.buys if f else None,
            "value_before": f.value_before if f else None, "sold": f.sold if f else None,
            "estimated_tax": f.estimated_tax if f else None,
            "realized_short_term": f.realized_short_term if f else None,
            "realized_long_term": f.realized_long_term if f else None, "turnover": f.turnover if f else None,
            "tracking_error_before": f.tracking_error_before if f else None,
            "tracking_error_after": f.tracking_error_after if f else None, "conflict": " ".join(d.conflict),
            "codes": " ".join(x.code for x in errors), "message": errors[0].message if errors else "",
            "seconds": round(sum(d.timings.values()), 3)}


def summary_csv(report: BookReport) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for decision in report.accounts:
        writer.writerow({k: "" if v is None else v for k, v in _row(decision).items()})
    return buffer.getvalue()


def write_parquet(report: BookReport, path: Path) -> None:
    """book.parquet, replaced atomically like the text files (written beside it, then renamed)."""
    rows = [_row(d) for d in report.accounts]
    table = pa.Table.from_pylist(rows, schema=pa.schema(
        [(c, pa.int64() if c in ("trades", "sells", "buys") else pa.float64()
          if c in ("turnover", "tracking_error_before", "tracking_error_after", "seconds") else pa.string())
         for c in CSV_COLUMNS]))
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(handle)
    try:
        pq.write_table(table, temp)
        os.replace(temp, path)
    finally:
        Path(temp).unlink(missing_ok=True)


def print_summary(report: BookReport, console: Console) -> None:
    t, run = report.totals, report.run
    table = Table(title=f"Book {report.book}: {t.accounts} accounts", show_header=False)
    table.add_column("item", style="bold")
    table.add_column("value")
    table.add_row("verified", str(t.verified))
    table.add_row("infeasible", str(t.infeasible))
    for d in (d for d in report.accounts if d.status == "infeasible"):
        table.add_row("", f"{d.id}: rules {', '.join(d.conflict) or '(not found)'} conflict")
    table.add_row("time limit", str(t.time_limit))
    if t.no_plan or t.refused:
        table.add_row("no plan / refused", f"{t.no_plan} / {t.refused}")
    table.add_row("errors", str(t.errors))
    for d in report.accounts:
        if d.status in ("error", "time_limit", "no_plan", "refused"):
            first = next((x for x in d.diagnostics if x.is_error), None)
            if first is not None:
                table.add_row("", f"{d.id}: [{first.code}] {first.message}"[:160])
    table.add_row("trades", f"{t.trades:,}")
    table.add_row("estimated tax (− saves)", money_text(Decimal(t.estimated_tax)))
    table.add_row("turnover", f"{t.turnover:.2%} of {money_text(Decimal(t.value_before))}")
    retried = "" if run.retried is None else f", {run.retried} retried"
    table.add_row("run", f"{run.ran} rebalanced, {run.skipped} unchanged{retried}; {run.backend} of "
                  f"{run.workers} worker{'s' * (run.workers != 1)}, {run.seconds:.1f} s, "
                  f"{run.accounts_per_second:.2f} accounts/s")
    console.print(table)
