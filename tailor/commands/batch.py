"""`tailor batch BOOK --out DIR` — rebalance a book of accounts: a local process pool or a Dask cluster.

    tailor batch book.csv --out out/book [--workers 2 | --scheduler tcp://HOST:8786]
                 [--force] [--changed policies/models/direct_index.tailor] [--time-limit 60] [--gap 0.001]

BOOK is a CSV or Parquet table, one row per account: `account` (account.yaml) and `policy`, optionally
`id` (the output folder; default the account's folder name), `as_of`, `market` (a snapshot folder) and
`target`, paths relative to the book (docs/batch.md). Each account's trades.csv, result.json and
decision.json land in DIR/<id>/, the summary in DIR/book.csv, book.parquet and book.json. An account
that fails is reported with its diagnostic and the others go on; a re-run skips accounts whose inputs
are unchanged unless --force; --changed MODEL rebalances the accounts whose effective policy a change to
MODEL changed. Every decision is recorded in the decision log. Exit 0 when every account has a
verified plan, 1 otherwise.
"""

from __future__ import annotations

import argparse

LOG_HELP = ("the decision log: a database URL (sqlite:///…, postgresql+psycopg://…) or a SQLite file; "
            "default $TAILOR_DECISION_LOG, else ~/.local/share/tailor/decisions.db")


def register(subparsers: argparse._SubParsersAction) -> None:
    from tailor.commands.rebalance import add_solve_options

    parser = subparsers.add_parser("batch", help="rebalance a book of accounts (process pool or Dask)",
                                   description=__doc__.splitlines()[0])
    parser.add_argument("book", metavar="BOOK", help="a .csv or .parquet table of accounts")
    parser.add_argument("--out", required=True, metavar="DIR", help="outputs: DIR/<id>/ and DIR/book.*")
    parser.add_argument("--workers", type=int, metavar="N", help="local worker processes (default 1)")
    parser.add_argument("--scheduler", metavar="ADDRESS", help="a Dask scheduler, tcp://HOST:PORT")
    parser.add_argument("--force", action="store_true", help="rebalance accounts whose inputs are unchanged")
    parser.add_argument("--changed", metavar="MODEL",
                        help="only the accounts whose effective policy a change to this policy file changed")
    add_solve_options(parser, each=" per account", highs_log=False)
    parser.add_argument("--decision-log", metavar="URL", help=LOG_HELP)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from tailor.batch.runner import BatchSettings, run_batch
    from tailor.batch.summary import print_summary
    from tailor.decision_log.store import DecisionLog

    log = DecisionLog(args.decision_log)  # a log that cannot be written stops the batch before it runs
    settings = BatchSettings(workers=args.workers, scheduler=args.scheduler, force=args.force,
                             changed=args.changed, time_limit=args.time_limit, mip_gap=args.gap)
    try:
        report = run_batch(args.book, args.out, settings, log=log)
    finally:
        log.close()
    print_summary(report, Console())
    return 0 if report.totals.verified == report.totals.accounts else 1
