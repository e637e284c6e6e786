"""`tailor log` — ask the decision log compliance questions.

    tailor log runs                                  recent runs (command, when, how many decisions)
    tailor log accounts --policy-hash 3fa2c1…        which accounts traded under this policy version
    tailor log trade ACCOUNT TICKER [--lot L] [--as-of D]
                                                     which policy version and inputs produced a trade
    tailor log diff ACCOUNT [--between OLD NEW]      what changed between two runs of an account
    tailor log show DECISION                         one decision with its trades

Every command and batch records its decisions in the log (docs/batch.md, "Decision log"); --format
json prints the rows as JSON. Exit 1 (L103) when nothing matches.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from tailor.commands.batch import LOG_HELP


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("log", help="compliance questions to the decision log",
                                   description=__doc__.splitlines()[0])
    parser.add_argument("--decision-log", metavar="URL", help=LOG_HELP)
    parser.add_argument("--format", choices=("text", "json"), default="text")
    questions = parser.add_subparsers(dest="question", required=True, metavar="QUESTION")
    runs = questions.add_parser("runs", help="recent runs")
    runs.add_argument("--limit", type=int, default=20)
    accounts = questions.add_parser("accounts", help="accounts that traded under a policy hash")
    accounts.add_argument("--policy-hash", required=True, metavar="HASH", help="the hash or a prefix of it")
    accounts.add_argument("--all", action="store_true", help="decisions without trades too")
    trade = questions.add_parser("trade", help="the policy version and inputs behind a trade")
    trade.add_argument("account", metavar="ACCOUNT")
    trade.add_argument("ticker", metavar="TICKER")
    trade.add_argument("--lot", metavar="LOT_ID")
    trade.add_argument("--as-of", metavar="DATE")
    diff = questions.add_parser("diff", help="what changed between two runs of an account")
    diff.add_argument("account", metavar="ACCOUNT")
    diff.add_argument("--between", nargs=2, type=int, metavar=("OLD", "NEW"), help="two decision ids")
    show = questions.add_parser("show", help="one decision and its trades")
    show.add_argument("decision", type=int, metavar="DECISION")
    parser.set_defaults(run=run)


def _ask(args: argparse.Namespace, conn: Any) -> Any:
    from core.diagnostics import TailorError, error
    from tailor.decision_log import queries

    if args.question == "runs":
        return queries.list_runs(conn, args.limit)
    if args.question == "accounts":
        found = queries.traded_under(conn, args.policy_hash, all_decisions=args.all)
        what = "decisions" if args.all else "trades"
    elif args.question == "trade":
        found = queries.trade_provenance(conn, args.account, args.ticker, lot=args.lot, as_of=args.as_of)
        what = "trades of this ticker"
    elif args.question == "diff":
        between = args.between or (None, None)
        return queries.changes(conn, args.account, *between)
    else:
        return queries.show(conn, args.decision)
    if not found:
        raise TailorError(error("L103", f"no {what} in the log match", None,
                                "check the id or hash; `tailor log runs` lists what the log holds"))
    return found


def _print_rows(rows: list[dict[str, Any]], title: str) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    for column in rows[0]:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*("" if v is None else str(v)[:64] for v in row.values()))
    Console(width=200).print(table)


def _print_diff(found: dict[str, Any]) -> None:
    print(f"account {found['account']}: decision {found['old']} → {found['new']}")
    for name, change in found["fields"].items():
        print(f"  {name}: {change['old']} → {change['new']}")
    if not found["fields"]:
        print("  same inputs, policy and figures")
    for label, key in (("added", "trades_added"), ("removed", "trades_removed")):
        for line in found[key]:
            print(f"  trade {label}: {line['action']} {line['shares']} {line['ticker']}"
                  + (f" (lot {line['lot_id']})" if line["lot_id"] else ""))
    for line in found["trades_changed"]:
        trade = line["trade"]
        print(f"  trade changed: {trade['action']} {trade['ticker']} {trade['lot_id'] or ''}: "
              f"{line['old_shares']} → {line['new_shares']} shares")


def _print_trades(rows: list[dict[str, Any]]) -> None:
    for row in rows:
        lot = f" lot {row['lot_id']}" if row["lot_id"] else ""
        market = row["market_digest"] or row["market_source"]
        print(f"{row['action']} {row['shares']} {row['ticker']}{lot} in {row['account_id']} "
              f"as of {row['as_of']} (decision {row['decision_id']}, run {row['run_id']}, "
              f"recorded {row['recorded_at']})\n"
              f"  policy {row['policy_name']!r} {row['policy_hash']}\n"
              f"    layers: {', '.join(row['policy_sources'])}\n"
              f"  account {row['account_file']} {row['account_hash']}\n"
              f"  market {market}; engine {row['engine_version']}; plan {row['plan_hash']}")


def run(args: argparse.Namespace) -> int:
    from tailor.decision_log.store import DecisionLog

    log = DecisionLog(args.decision_log)
    try:
        with log.engine.connect() as conn:
            found = _ask(args, conn)
    finally:
        log.close()
    if args.format == "json":
        print(json.dumps(found, indent=2, default=str))
    elif args.question == "diff":
        _print_diff(found)
    elif args.question == "trade":
        _print_trades(found)
    elif args.question == "show":
        lines = found.pop("trade_lines")
        for key, value in found.items():
            print(f"{key}: {json.dumps(value, default=str) if isinstance(value, list | dict) else value}")
        if lines:
            _print_rows(lines, f"trades of decision {args.decision}")
    else:
        _print_rows(found, "runs" if args.question == "runs" else "decisions under the policy")
    return 0
