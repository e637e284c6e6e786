"""The taxes-saved report as one self-contained HTML page: tables and matplotlib charts inlined as SVG.

The charts are drawn with the Agg backend (no display needed) and written as SVG with glyphs as
paths, no date and a fixed hash salt, so the page needs no other file and the same report gives the
same bytes.
"""

from __future__ import annotations

import html
import io
from decimal import Decimal

from engine.taxes_saved import BookReport

STYLE = """body{font-family:system-ui,sans-serif;margin:2em auto;max-width:72em;color:#222}
table{border-collapse:collapse;margin:1em 0}
td,th{padding:.25em .7em;border-bottom:1px solid #ddd;text-align:right}
th:first-child,td:first-child{text-align:left}.pass{color:#176c2f}.fail{color:#a3231c}
figure{margin:1.5em 0}figcaption{color:#555;font-size:.9em}"""


def _money(amount: Decimal) -> str:
    return f"${amount:,.2f}" if amount >= 0 else f"−${-amount:,.2f}"


def _svg(figure: object) -> str:
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None}, bbox_inches="tight")  # type: ignore[attr-defined]
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def _charts(book: BookReport) -> list[tuple[str, str]]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    matplotlib.rcParams.update({"svg.hashsalt": "tailor", "svg.fonttype": "path", "font.size": 9})
    charts: list[tuple[str, str]] = []
    figure, axes = plt.subplots(figsize=(8, 3.6))
    for account in book.accounts:
        days = [row.day for row in account.steps]
        axes.plot(
            days,
            [float(r.tax_value_total - r.fee_total) for r in account.steps],
            linewidth=1,
            label=account.name,
        )
    axes.axhline(0, color="#888", linewidth=0.8)
    axes.set_ylabel("tax value − fees, since the start ($)")
    if len(book.accounts) <= 12:
        axes.legend(fontsize=7, frameon=False)
    charts.append(
        (
            "Tax value saved or deferred less the fees paid, since the start, per account: above zero the "
            "account's tax management has paid for its fee.",
            _svg(figure),
        )
    )
    plt.close(figure)

    years = sorted({y.year for a in book.accounts for y in a.years})
    saved = [
        float(sum((y.tax_saved for a in book.accounts for y in a.years if y.year == year), Decimal(0)))
        for year in years
    ]
    deferred = [
        float(sum((y.tax_deferred for a in book.accounts for y in a.years if y.year == year), Decimal(0)))
        for year in years
    ]
    fees = [
        float(sum((y.fee for a in book.accounts for y in a.years if y.year == year), Decimal(0)))
        for year in years
    ]
    figure, axes = plt.subplots(figsize=(8, 3.2))
    positions = list(range(len(years)))
    for shift, heights, label, colour in (
        (-0.27, saved, "tax saved (losses beyond the plain rebalance)", "#2b6cb0"),
        (0.0, deferred, "tax deferred (gains the plain rebalance would realize)", "#dd8a2e"),
        (0.27, fees, "fees", "#999999"),
    ):
        axes.bar([p + shift for p in positions], heights, width=0.27, label=label, color=colour)
    net = [a + b for a, b in zip(saved, deferred, strict=True)]
    axes.scatter(positions, net, color="black", s=12, zorder=3, label="tax value (saved + deferred)")
    axes.set_xticks(positions, [str(y) for y in years])
    axes.axhline(0, color="#888", linewidth=0.8)
    axes.set_ylabel("$ per year")
    axes.legend(fontsize=7, frameon=False)
    charts.append(
        ("Each year, the book's tax saved and deferred (either can be negative), their sum, and its fees.",
         _svg(figure))
    )
    plt.close(figure)

    if len(book.accounts) > 1:
        figure, axes = plt.subplots(figsize=(5, 4))
        xs, ys = [float(a.fees) for a in book.accounts], [float(a.tax_value) for a in book.accounts]
        axes.scatter(xs, ys, s=14, c=["#176c2f" if a.exceeds_fee else "#a3231c" for a in book.accounts])
        top = max([*xs, *ys, 1.0])
        axes.plot([0, top], [0, top], color="#888", linewidth=0.8)
        axes.set_xlabel("fees over the period ($)")
        axes.set_ylabel("tax value over the period ($)")
        charts.append(
            (
                "Each account's tax value against its fees: above the diagonal, tax value exceeds fees.",
                _svg(figure),
            )
        )
        plt.close(figure)
    return charts


def report_html(book: BookReport, fee_bps: Decimal) -> bytes:
    rows = "".join(
        f"<tr><td>{html.escape(a.name)}</td><td>{a.start}</td><td>{a.end}</td><td>{_money(a.end_value)}</td>"
        f"<td>{_money(a.tax_saved)}</td><td>{_money(a.tax_deferred)}</td><td>{_money(a.tax_value)}</td>"
        f"<td>{_money(a.fees)}</td><td class={'pass' if a.exceeds_fee else 'fail'}>"
        f"{'yes' if a.exceeds_fee else 'no'}</td></tr>"
        for a in book.accounts
    )
    years = "".join(
        f"<tr><td>{html.escape(a.name)}</td><td>{y.year}</td><td>{_money(y.losses_beyond_plain)}</td>"
        f"<td>{_money(y.gains_deferred)}</td><td>{_money(y.tax_value)}</td><td>{_money(y.fee)}</td>"
        f"<td class={'pass' if y.exceeds_fee else 'fail'}>{'yes' if y.exceeds_fee else 'no'}</td></tr>"
        for a in book.accounts
        for y in a.years
    )
    figures = "".join(
        f"<figure>{svg}<figcaption>{html.escape(caption)}</figcaption></figure>"
        for caption, svg in _charts(book)
    )
    page = f"""<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Taxes saved or deferred against fees</title><style>{STYLE}</style></head><body>
<h1>Taxes saved or deferred against a {fee_bps} bp fee</h1>
<p>{len(book.accounts)} account(s); tax value exceeds fees for <b>{book.share_of_accounts:.0%}</b> of accounts
and <b>{book.share_of_dollars:.0%}</b> of dollars (values at the end).
Book: tax value {_money(book.tax_value)},
fees {_money(book.fees)}.</p>
<p>Incremental method: a loss counts only beyond what a plain rebalance (each name back to its target weight,
lots sold first in, first out, from the same holdings and prices) would have realized; gains the plain
rebalance would have realized and the account did not count as deferred. Valued at the account's short- and
long-term rates; money in cents, rounded half-even per step. The method: docs/taxes_saved.md.</p>
{figures}
<h2>Accounts</h2><table><tr><th>account</th><th>from</th><th>to</th><th>value at the end</th>
<th>tax saved</th><th>tax deferred</th><th>tax value</th><th>fees</th><th>exceeds fees</th></tr>{rows}</table>
<h2>Years</h2><table><tr><th>account</th><th>year</th><th>losses beyond plain</th><th>gains deferred</th>
<th>tax value</th><th>fees</th><th>exceeds fees</th></tr>{years}</table>
</body></html>
"""
    return page.encode()
