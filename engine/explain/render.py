"""Explanations for people: plain text and rich terminal tables.

The plain text quotes figures of one optimal plan (trades, prices of re-solves), which another
machine may pick differently among equally good ones; its outline — header, section headings, one
line per rule — is what tests/golden/explanations pins (with the unique facts of the explanation).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

from engine.explain.schema import Explanation, RuleCost
from solver.tax import money_text

if TYPE_CHECKING:
    from decimal import Decimal


def _where(cost: RuleCost) -> str:
    return f"{cost.span.file}:{cost.span.line}"


def _price(cost: RuleCost) -> str:
    if cost.objective_change_bp is None:
        return "—"
    return f"{cost.objective_change_bp:+.2f} bp"


def _te(cost: RuleCost) -> str:
    return "—" if cost.tracking_error_change_pct is None else f"{cost.tracking_error_change_pct:+.2f} pp"


def _money(value: Decimal | None) -> str:
    return "—" if value is None else money_text(value)


def to_text(explanation: Explanation) -> str:
    e = explanation
    lines = [
        f"Explanation for account {e.account_id} as of {e.as_of}: policy {e.policy_name!r} "
        f"({e.policy_hash[:16]})",
        f"status: {e.status}",
        f"method: {e.method}",
        "",
    ]
    if e.conflict is not None:
        lines += ["Conflict", f"  {e.conflict.text}"]
        lines += [f"  - {r.text}" for r in e.conflict.relaxations]
        if e.conflict.elastic_violations:
            lines += ["  The nearest plan (weighted elastic mode) gives up:"]
            lines += [f"    {v}" for v in e.conflict.elastic_violations]
        return "\n".join(lines) + "\n"
    lines.append(f"Trades ({len(e.trades)})")
    lines += [f"  {t.text}" for t in e.trades]
    lines += ["", f"Kept although overweight ({len(e.kept)})"]
    lines += [f"  {t.text}" for t in e.kept]
    lines += ["", "Rules"]
    for cost in e.rules:
        lines.append(f"  {cost.text}")
        lines += [f"      {line}" for line in cost.lines]
    return "\n".join(lines) + "\n"


def print_rich(explanation: Explanation, console: Console) -> None:
    e = explanation
    console.print(
        f"[bold]Explanation[/bold] for account {e.account_id} as of {e.as_of}: policy "
        f"{e.policy_name!r} ({e.policy_hash[:16]}) — {e.status}"
    )
    if e.conflict is not None and not e.conflict.rules:
        console.print(e.conflict.text)
        return
    if e.conflict is None and not e.trades and e.method.startswith("none"):
        console.print(f"No plan was found ({e.status}), so there is nothing to explain yet: raise the time "
                      "limit, or relax the rules that need binaries (minimum trade, whole shares, position "
                      "limits).")
        return
    if e.conflict is not None:
        table = Table(title="Rules that cannot hold together")
        for column in ("rule", "where", "must give", "locked"):
            table.add_column(column)
        for r in e.conflict.relaxations:
            table.add_row(
                r.rule_id,
                f"{r.span.file}:{r.span.line}",
                ("" if r.least else "at most: ") + "; ".join(r.needs) if r.feasible_alone
                else "not enough alone" if r.decided else "undecided",
                "yes" if r.locked else "",
            )
        console.print(table)
        console.print(e.conflict.text)
        return
    trades = Table(title=f"Why each trade ({len(e.trades)})", show_lines=False)
    for column in ("trade", "ticker", "lot", "amount", "gain", "reasons"):
        trades.add_column(column, overflow="fold")
    for t in (*e.trades, *e.kept):
        reasons = t.text.split(": ", 1)[-1]
        trades.add_row(t.action, t.ticker, t.lot_id or "", _money(t.amount), _money(t.realized_gain), reasons)
    console.print(trades)
    rules = Table(title="What each rule costs")
    for column, justify in (
        ("rule", "left"),
        ("kind", "left"),
        ("where", "left"),
        ("binding", "left"),
        ("objective", "right"),
        ("tracking error", "right"),
        ("ST gains", "right"),
        ("LT gains", "right"),
        ("status without it", "left"),
    ):
        rules.add_column(column, justify=justify)  # type: ignore[arg-type]
    for cost in e.rules:
        rules.add_row(
            cost.rule_id,
            cost.kind,
            _where(cost),
            "yes" if cost.binding else "no",
            _price(cost),
            _te(cost),
            _money(cost.short_term_change),
            _money(cost.long_term_change),
            cost.without_status,
        )
    console.print(rules)
    # Each rule kind's own account of its effect (a yield before and after, a cash reserve), which the
    # table's columns cannot hold.
    for cost in e.rules:
        for line in cost.lines:
            console.print(f"  {cost.rule_id}: {line}", highlight=False, markup=False, soft_wrap=True)
