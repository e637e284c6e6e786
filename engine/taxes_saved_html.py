"""The taxes-saved report as one self-contained HTML page (engine.report_html: inline CSS, matplotlib
charts as inline SVG, the same report giving the same bytes): tax value less fees since the start per
account, each year's tax saved and deferred beside its fees, each account's tax value against its fees
(a book), and the tables."""

from __future__ import annotations

from decimal import Decimal

from engine.report_html import chart, figure, page, paragraph, section, table
from engine.taxes_saved import BookReport

METHOD = (
    "Incremental method: a loss counts only beyond what a plain rebalance (each name back to its target "
    "weight, lots sold first in, first out, from the same holdings and prices; an excess the account "
    "keeps counted once) would have realized; gains the plain rebalance would have realized and the "
    "account did not count as deferred. Valued at the account's short- and long-term rates; money in "
    "cents, rounded half-even per step. The method: docs/taxes_saved.md."
)


def _money(amount: Decimal) -> str:
    return f"${amount:,.2f}" if amount >= 0 else f"−${-amount:,.2f}"


def _since_start(book: BookReport) -> str:
    fig = figure(8, 3.6)
    axes = fig.add_subplot()
    for account in book.accounts:
        axes.plot(
            [r.day for r in account.steps],
            [float(r.tax_value_total - r.fee_total) for r in account.steps],
            linewidth=1,
            label=account.name,
        )
    axes.axhline(0, color="#888", linewidth=0.8)
    axes.set_ylabel("tax value − fees, since the start ($)")
    if len(book.accounts) <= 12:
        axes.legend(fontsize=7, frameon=False)
    return chart(
        fig,
        "Tax saved or deferred less the fees paid, since the start, per account: above zero the "
        "account's tax management has paid for its fee.",
    )


def _by_year(book: BookReport) -> str:
    years = sorted({y.year for a in book.accounts for y in a.years})

    def total(name: str, year: int) -> float:
        return float(
            sum((getattr(y, name) for a in book.accounts for y in a.years if y.year == year), Decimal(0))
        )

    fig = figure(8, 3.2)
    axes = fig.add_subplot()
    positions = list(range(len(years)))
    for shift, name, label, colour in (
        (-0.27, "tax_saved", "tax saved (losses beyond the plain rebalance)", "#2b6cb0"),
        (0.0, "tax_deferred", "tax deferred (gains the plain rebalance would realize)", "#dd8a2e"),
        (0.27, "fee", "fees", "#999999"),
    ):
        axes.bar(
            [p + shift for p in positions],
            [total(name, y) for y in years],
            width=0.27,
            label=label,
            color=colour,
        )
    axes.scatter(
        positions,
        [total("tax_value", y) for y in years],
        color="black",
        s=12,
        zorder=3,
        label="tax value (saved + deferred)",
    )
    axes.set_xticks(positions, [str(y) for y in years])
    axes.axhline(0, color="#888", linewidth=0.8)
    axes.set_ylabel("$ per year")
    axes.legend(fontsize=7, frameon=False)
    return chart(
        fig,
        "Each year, the book's tax saved and deferred (either can be negative), their sum, and its fees.",
    )


def _against_fees(book: BookReport) -> str:
    fig = figure(5, 4)
    axes = fig.add_subplot()
    xs, ys = [float(a.fees) for a in book.accounts], [float(a.tax_value) for a in book.accounts]
    axes.scatter(xs, ys, s=14, c=["#176c2f" if a.exceeds_fee else "#a3231c" for a in book.accounts])
    top = max([*xs, *ys, 1.0])
    axes.plot([0, top], [0, top], color="#888", linewidth=0.8)
    axes.set_xlabel("fees over the period ($)")
    axes.set_ylabel("tax value over the period ($)")
    return chart(
        fig, "Each account's tax value against its fees: above the diagonal, tax value exceeds fees."
    )


def report_html(book: BookReport, fee_bps: Decimal) -> bytes:
    lead = (
        f"{len(book.accounts)} account(s): tax value exceeds fees for {book.share_of_accounts:.0%} of "
        f"accounts and {book.share_of_dollars:.0%} of dollars (values at the end). Book: tax value "
        f"{_money(book.tax_value)}, fees {_money(book.fees)}."
    )
    accounts = table(
        [
            "account",
            "from",
            "to",
            "value at the end",
            "tax saved",
            "tax deferred",
            "tax value",
            "fees",
            "exceeds fees",
        ],
        [
            [
                a.name,
                a.start,
                a.end,
                _money(a.end_value),
                _money(a.tax_saved),
                _money(a.tax_deferred),
                _money(a.tax_value),
                _money(a.fees),
                "yes" if a.exceeds_fee else "no",
            ]
            for a in book.accounts
        ],
    )
    years = table(
        ["account", "year", "losses beyond plain", "gains deferred", "tax value", "fees", "exceeds fees"],
        [
            [
                a.name,
                y.year,
                _money(y.losses_beyond_plain),
                _money(y.gains_deferred),
                _money(y.tax_value),
                _money(y.fee),
                "yes" if y.exceeds_fee else "no",
            ]
            for a in book.accounts
            for y in a.years
        ],
    )
    charts = [_since_start(book), _by_year(book)] + (
        [_against_fees(book)] if len(book.accounts) > 1 else []
    )
    return page(
        f"Taxes saved or deferred against a {fee_bps} bp fee",
        lead,
        [paragraph(METHOD, "note"), *charts, section("Accounts", accounts), section("Years", years)],
    ).encode()
