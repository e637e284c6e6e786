"""The taxes-saved report's files, each written in full to a temporary file and renamed into place:

steps.csv          one row per account and step: realized by the account and by the plain
                   rebalance, the difference, its tax value, the fee, year-to-date and running totals
years.csv          per account and year: the same, summed, and whether the tax value exceeds the fee
accounts.csv       per account: the whole period
taxes_saved.json   `tailor.taxes_saved/1`: the method, the fee, the rates, the book's shares, every
                   account with its years
taxes_saved.html   the page with its charts (engine.taxes_saved_html), one self-contained file
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from decimal import Decimal
from pathlib import Path

from core.diagnostics import TailorError, error
from engine.outputs import _write
from engine.taxes_saved import AccountReport, BookReport, StepFigures, YearFigures
from engine.taxes_saved_html import report_html

SCHEMA = "tailor.taxes_saved/1"
METHOD = (
    "incremental: losses beyond a plain rebalance's (each name back to its target weight renormalised over "
    "the names held before or after the step, lots first in first out, same holdings and prices, an excess "
    "the account kept counted once) and gains it would have realized that the account deferred, valued at "
    "the account's rate for their term"
)
ROUNDING = "exact decimals per step, rounded to the cent half-even; totals add the rounded step figures"


def _csv(header: list[str], rows: list[list[object]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows([["" if v is None else str(v) for v in row] for row in rows])
    return buffer.getvalue().encode()


def _rows(accounts: tuple[AccountReport, ...], kind: type, part: str) -> bytes:
    names = [f.name for f in dataclasses.fields(kind)]
    return _csv(
        ["account", *names],
        [[a.name, *(getattr(r, n) for n in names)] for a in accounts for r in getattr(a, part)],
    )


def _account_json(account: AccountReport) -> dict[str, object]:
    return {
        "name": account.name,
        "start": account.start.isoformat(),
        "end": account.end.isoformat(),
        "rates": {"short_term": str(account.rates.short_term), "long_term": str(account.rates.long_term)},
        "end_value": str(account.end_value),
        "tax_saved": str(account.tax_saved),
        "tax_deferred": str(account.tax_deferred),
        "tax_value": str(account.tax_value),
        "fees": str(account.fees),
        "exceeds_fee": account.exceeds_fee,
        "years": [
            {k: (str(v) if isinstance(v, Decimal) else v) for k, v in dataclasses.asdict(y).items()}
            for y in account.years
        ],
    }


def report_files(book: BookReport, fee_bps: Decimal) -> dict[str, bytes]:
    summary = [
        "account",
        "start",
        "end",
        "end_value",
        "tax_saved",
        "tax_deferred",
        "tax_value",
        "fees",
        "exceeds_fee",
    ]
    body = {
        "schema": SCHEMA,
        "method": METHOD,
        "rounding": ROUNDING,
        "fee_bps": str(fee_bps),
        "accounts_count": len(book.accounts),
        "share_of_accounts": book.share_of_accounts,
        "share_of_dollars": book.share_of_dollars,
        "tax_value": str(book.tax_value),
        "fees": str(book.fees),
        "accounts": [_account_json(a) for a in book.accounts],
    }
    return {
        "steps.csv": _rows(book.accounts, StepFigures, "steps"),
        "years.csv": _rows(book.accounts, YearFigures, "years"),
        "accounts.csv": _csv(
            summary,
            [
                [
                    a.name,
                    a.start,
                    a.end,
                    a.end_value,
                    a.tax_saved,
                    a.tax_deferred,
                    a.tax_value,
                    a.fees,
                    a.exceeds_fee,
                ]
                for a in book.accounts
            ],
        ),
        "taxes_saved.json": (json.dumps(body, indent=2) + "\n").encode(),
        "taxes_saved.html": report_html(book, fee_bps),
    }


def write_report(book: BookReport, fee_bps: Decimal, out: Path) -> list[Path]:
    files = report_files(book, fee_bps)
    try:
        out.mkdir(parents=True, exist_ok=True)
        for name, content in files.items():
            _write(out, name, content)
    except OSError as exc:
        raise TailorError(
            error(
                "A118",
                f"--out {out}: cannot write: {exc.strerror or exc}",
                None,
                "check the folder's permissions and free space",
            )
        ) from None
    return [out / name for name in files]
