"""Write and show a rebalance result: trades.csv, result.json (atomic), a rich terminal summary."""

from __future__ import annotations

import csv
import io
import os
import tempfile
from decimal import Decimal
from pathlib import Path

from rich.console import Console
from rich.table import Table

from solver.market import MarketInfo
from solver.result import RebalanceResult, SolveInfo
from solver.tax import money_text

TRADE_COLUMNS = ("action", "ticker", "lot_id", "acquired", "shares", "price", "amount", "cost_basis",
                 "realized_gain", "term", "disallowed_loss")


def write_atomic(path: Path, text: str) -> None:
    """Write to a temporary file in the same directory, then rename over the target."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            out.write(text)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def trades_csv(result: RebalanceResult) -> str:
    """One row per trade; a household's plan names each trade's account in a first column."""
    columns = (("account",) if any(line.account for line in result.trades) else ()) + TRADE_COLUMNS
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for line in result.trades:
        data = line.model_dump(mode="json")
        writer.writerow(["" if data[c] is None else data[c] for c in columns])
    return buffer.getvalue()


def write_result(result: RebalanceResult, out_dir: Path) -> list[Path]:
    paths = [out_dir / "trades.csv", out_dir / "result.json"]
    write_atomic(paths[0], trades_csv(result))
    write_atomic(paths[1], result.to_json())
    return paths


def _money(value: Decimal) -> str:
    return money_text(value)


_STOPS = {"gap": "gap reached", "work_limit": "work limit reached", "time_limit": "time limit reached"}


def _market_line(info: MarketInfo) -> str:
    """`snapshot examples/…/snapshot.yaml; risk model 2021-04-21 (2,039 days old, 38 names without an
    estimate)`: the staleness issue 10 asks every run to state."""
    source = f"snapshot {info.snapshot}" if info.source == "snapshot" else "bundled history"
    count = len(info.not_in_risk_model)
    outside = f", {count} name{'s' if count != 1 else ''} without an estimate" if count else ""
    return f"{source}; risk model {info.risk_model_as_of} ({info.risk_model_age_days:,} days old{outside})"


def _solve_line(info: SolveInfo) -> str:
    """`optimal (gap 0.0081% ≤ 0.1%)`, `feasible (proven gap 1.62%, work limit reached)`."""
    if info.mip_gap is None:
        return info.status
    gap = f"{info.mip_gap:.4%}"
    if info.proven_optimal:
        return f"{info.status} (proven gap {gap} ≤ {info.requested_gap:.4%})"
    return f"{info.status} (proven gap {gap}, {_STOPS.get(info.stop, info.stop)})"


def render_summary(result: RebalanceResult, console: Console,
                   timings: dict[str, float] | None = None) -> None:
    info, summary = result.solve, result.summary
    title = f"Rebalance {result.account_id} as of {result.as_of} — policy {result.policy_name}"
    table = Table(title=title, show_header=False)
    table.add_column("item", style="bold")
    table.add_column("value", justify="right")
    table.add_row("solve", _solve_line(info))
    if summary is not None:
        table.add_row("account value", _money(summary.value_before))
        table.add_row("trades", f"{summary.sells} lot sales, {summary.buys} buys")
        table.add_row("turnover", f"{summary.turnover:.2%}")
        table.add_row("realized short-term", _money(summary.realized_short_term))
        table.add_row("realized long-term", _money(summary.realized_long_term))
        table.add_row("estimated tax (− saves)", _money(summary.estimated_tax))
        if summary.disallowed_loss:
            table.add_row("loss disallowed (wash sales)", _money(summary.disallowed_loss))
        carried = summary.carryforward_short_term + summary.carryforward_long_term
        if carried:
            table.add_row("loss carried forward (value)",
                          f"{_money(carried)} ({_money(summary.carryforward_value)})")
        through = f" ({', '.join(summary.looked_through)} looked through)" if summary.looked_through else ""
        table.add_row("tracking error",
                      f"{summary.tracking_error_before:.2%} → {summary.tracking_error_after:.2%}{through}")
        table.add_row("cash", f"{_money(summary.cash_before)} → {_money(summary.cash_after)}")
    if result.market is not None:
        table.add_row("market data", _market_line(result.market))
    verified = "yes" if result.verified else "[red]NO[/red]"
    if result.verified_except:
        verified = f"[yellow]all rules but {', '.join(result.verified_except)}[/yellow]"
    table.add_row("verified", verified)
    table.add_row("policy hash", result.policy_hash[:16])
    if timings:
        table.add_row("time", ", ".join(f"{k} {v:.2f}s" for k, v in timings.items()))
    console.print(table)
