"""`tailor report` — reports over a simulated or recorded period.

    tailor report taxes-saved --fee-bps N --out DIR
        [--simulation SPEC FOLDER ...] [--recorded ACCOUNT POLICY FOLDER ...]

`taxes-saved`: the taxes an account saved or deferred against a plain rebalance (the incremental
method, docs/taxes_saved.md), step by step and year to date, against an annual fee of N basis points;
for several accounts (a book), the share of accounts and of dollars whose tax value exceeds their fees.
Each `--simulation` is a spec and the folder `tailor simulate` wrote from it; each `--recorded` is a
starting account file, a policy and a folder holding periods.csv and trades.csv. DIR receives steps.csv,
years.csv, accounts.csv, taxes_saved.json and taxes_saved.html.
"""

from __future__ import annotations

import argparse
from decimal import Decimal, InvalidOperation

from core.diagnostics import TailorError, error

MAX_FEE_BPS = Decimal(10_000)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "report", help="reports over a simulated or recorded period", description=__doc__.splitlines()[0]
    )
    kinds = parser.add_subparsers(dest="report", required=True, metavar="REPORT")
    taxes = kinds.add_parser(
        "taxes-saved",
        help="taxes saved or deferred against a fee (incremental method)",
        description=__doc__.split("\n\n")[2],
    )
    taxes.add_argument(
        "--fee-bps", required=True, metavar="N", help="the annual fee, in basis points of the value"
    )
    taxes.add_argument("--out", required=True, metavar="DIR", help="folder for the tables, JSON and HTML")
    taxes.add_argument(
        "--simulation",
        nargs=2,
        action="append",
        default=[],
        metavar=("SPEC", "FOLDER"),
        help="a simulation spec and the folder it wrote (repeat for a book)",
    )
    taxes.add_argument(
        "--recorded",
        nargs=3,
        action="append",
        default=[],
        metavar=("ACCOUNT", "POLICY", "FOLDER"),
        help="a starting account, its policy and a folder with periods.csv and trades.csv",
    )
    taxes.set_defaults(run=run)


def fee_bps(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite() or not 0 <= value <= MAX_FEE_BPS:
        raise TailorError(
            error(
                "M162",
                f"--fee-bps {text}: give the annual fee in basis points, a number from 0 to {MAX_FEE_BPS}",
                None,
                "e.g. --fee-bps 20 for 0.20% a year",
            )
        )
    return value


def run(args: argparse.Namespace) -> int:
    from rich.console import Console
    from rich.table import Table

    from engine.taxes_saved import account_report, book_report
    from engine.taxes_saved_inputs import from_record, from_simulation
    from engine.taxes_saved_outputs import write_report
    from solver.tax import money_text
    from tailor.commands.rebalance import check_out_dir

    fee = fee_bps(args.fee_bps)
    out = check_out_dir(args.out)
    if not args.simulation and not args.recorded:
        raise TailorError(
            error(
                "M162",
                "no period to report on",
                None,
                "give --simulation SPEC FOLDER or --recorded ACCOUNT POLICY FOLDER (repeat for a book)",
            )
        )
    folders = [f for _, f in args.simulation] + [f for *_, f in args.recorded]
    twice = sorted({f for f in folders if folders.count(f) > 1})
    if twice:
        raise TailorError(
            error("M162", f"{twice[0]} is given twice", None, "give each account's folder once")
        )
    periods = [from_simulation(spec, folder) for spec, folder in args.simulation]
    periods += [from_record(account, policy, folder) for account, policy, folder in args.recorded]
    book = book_report([account_report(p.name, p.steps, p.rates, fee) for p in periods])
    write_report(book, fee, out)
    table = Table(title=f"Taxes saved or deferred against a {fee} bp fee")
    for column in ("account", "tax saved", "tax deferred", "tax value", "fees", "exceeds"):
        table.add_column(column, justify="left" if column == "account" else "right")
    for a in book.accounts:
        table.add_row(
            a.name,
            money_text(a.tax_saved),
            money_text(a.tax_deferred),
            money_text(a.tax_value),
            money_text(a.fees),
            "yes" if a.exceeds_fee else "no",
        )
    console = Console()
    console.print(table)
    console.print(
        f"tax value exceeds fees for {book.share_of_accounts:.0%} of accounts, "
        f"{book.share_of_dollars:.0%} of dollars; wrote {out}/ (steps, years, accounts, "
        "taxes_saved.json, taxes_saved.html)"
    )
    return 0
