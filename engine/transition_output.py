"""A transition report on disk: `transition.html` (what a prospect reads: the scenarios side by side,
two charts, a table per year) and the same figures as CSV — `summary.csv`, `years.csv` (per scenario
and tax year) and `steps.csv` (per scenario and step: value, tracking error, the legacy share and
each legacy name's weight). Every file is written whole to a temporary file and renamed into place,
the HTML last.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from pathlib import Path

from engine.report_html import chart, figure, page, paragraph, section, table
from engine.transition import ScenarioResult, TransitionReport
from solver.outputs import write_atomic
from solver.tax import money_text

SUMMARY_COLUMNS = ("scenario", "policy", "total_tax", "tax_share_of_start", "first_year_tax",
                   "final_tracking_error", "final_legacy_share", "end_value", "days_without_plan")
YEAR_COLUMNS = ("scenario", "year", "tax", "cumulative_tax", "realized_short_term", "realized_long_term",
                "tracking_error", "legacy_share", "value")


def _csv(rows: list[list[object]], header: tuple[str, ...] | list[str]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def _share(amount: Decimal, whole: Decimal) -> float:
    return float(amount / whole) if whole else 0.0


def summary_rows(report: TransitionReport) -> list[list[object]]:
    rows = []
    for result in report.scenarios:
        last = result.years[-1] if result.years else None
        rows.append([result.scenario.name, result.scenario.source, result.total_tax,
                     f"{_share(result.total_tax, report.start_value):.6f}",
                     result.years[0].tax if result.years else Decimal(0),
                     f"{last.tracking_error:.6f}" if last else "", f"{last.legacy_share:.6f}" if last else "",
                     last.value if last else "", len(result.simulation.troubles)])
    return rows


def _year_rows(report: TransitionReport) -> list[list[object]]:
    return [[r.scenario.name, y.year, y.tax, y.cumulative_tax, y.realized_short_term, y.realized_long_term,
             f"{y.tracking_error:.6f}", f"{y.legacy_share:.6f}", y.value]
            for r in report.scenarios for y in r.years]


def _step_rows(report: TransitionReport) -> tuple[list[str], list[list[object]]]:
    names = list(report.starting_weights)
    header = ["scenario", "date", "value", "tracking_error", "legacy_share", *names]
    rows = []
    for r in report.scenarios:
        for k, (day, period) in enumerate(zip(r.steps, r.simulation.periods, strict=True)):
            rows.append([r.scenario.name, day, period.value, f"{period.tracking_error:.6f}",
                         f"{r.legacy_share[k]:.6f}", *(f"{r.weights[n][k]:.6f}" for n in names)])
    return header, rows


def _tax_and_tracking(report: TransitionReport) -> str:
    fig = figure(7.5, 4.2)
    axes = fig.add_subplot()
    for r in report.scenarios:
        taxes = [float(y.cumulative_tax) for y in r.years]
        errors = [y.tracking_error * 100 for y in r.years]
        axes.plot(taxes, errors, marker="o", label=r.scenario.name)
        for x, y, year in zip(taxes, errors, (y.year for y in r.years), strict=True):
            axes.annotate(str(year), (x, y), textcoords="offset points", xytext=(4, 4), fontsize=7)
    axes.set_xlabel("cumulative tax ($)")
    axes.set_ylabel("tracking error at year end (%)")
    axes.xaxis.set_major_formatter(lambda value, _: f"{value:,.0f}")
    axes.grid(alpha=0.3)
    axes.legend(fontsize=8)
    return chart(fig, "Each point is a tax year's end: the tax paid so far against the tracking error "
                 "left (ex-ante, annualised). Down and to the left is better.")


def _legacy_weights(report: TransitionReport) -> str:
    from matplotlib.dates import DateFormatter, YearLocator

    count = len(report.scenarios)
    columns = min(count, 3)
    rows = -(-count // columns)
    fig = figure(3.6 * columns, 2.9 * rows)
    grid = fig.subplots(rows, columns, sharey=True, squeeze=False).flatten()
    for axes in grid[count:]:
        axes.set_visible(False)
    for k, r in enumerate(report.scenarios):
        axes = grid[k]
        axes.xaxis.set_major_locator(YearLocator(base=max(1, (r.steps[-1].year - r.steps[0].year) // 6 + 1)))
        axes.xaxis.set_major_formatter(DateFormatter("%Y"))
        days = [report.start, *r.steps]  # the account before the first trade, then after each step
        for name in report.chart_names:
            weights = [report.starting_weights[name], *r.weights[name]]
            axes.plot(days, [w * 100 for w in weights], label=name, linewidth=1.2)
        before = sum(report.starting_weights.values())
        axes.plot(days, [s * 100 for s in (before, *r.legacy_share)], color="black", linestyle="--",
                  label="all legacy lots")
        axes.set_title(r.scenario.name, fontsize=9)
        axes.set_ylabel("% of the account", fontsize=8)
        axes.tick_params(labelsize=7)
        axes.grid(alpha=0.3)
        if k == 0:
            axes.legend(fontsize=6, ncols=2)
    return chart(fig, "The legacy names' weights before the first trade and after each step (all lots of "
                 "the name, the new ones included), and the share of the account still in the lots held "
                 "at the start (dashed).")


def _year_table(result: ScenarioResult) -> str:
    return section(result.scenario.name, paragraph(f"Policy: {result.scenario.source}.", "note"), table(
        ("tax year", "tax", "cumulative tax", "short-term gains", "long-term gains", "tracking error",
         "legacy lots left", "value"),
        [(y.year, money_text(y.tax), money_text(y.cumulative_tax), money_text(y.realized_short_term),
          money_text(y.realized_long_term), f"{y.tracking_error:.2%}", f"{y.legacy_share:.1%}",
          money_text(y.value)) for y in result.years]))


def html_report(report: TransitionReport) -> str:
    start = money_text(report.start_value)
    lead = (f"Account {report.account_id}, worth {start} on {report.start}, moved to its target in "
            f"{len(report.scenarios)} ways and simulated through the market of {report.start} to "
            f"{report.end} ({report.cadence} rebalancing).")
    share = _share(report.liquidation_tax, report.start_value)
    liquidation = (f"Selling every lot on {report.start} would have realized a tax of "
                   f"{money_text(report.liquidation_tax)} ({share:.2%} of the account).")
    overview = table(("scenario", "total tax", "of the start value", "first year's tax", "tracking error at "
                      "the end", "legacy lots left", "value at the end", "days without a plan"),
                     [(row[0], money_text(row[2]), f"{float(row[3]):.2%}", money_text(row[4]),
                       f"{float(row[5]):.2%}" if row[5] else "", f"{float(row[6]):.1%}" if row[6] else "",
                       money_text(row[7]) if row[7] != "" else "", row[8]) for row in summary_rows(report)])
    heaviest = ", ".join(f"{name} {weight:.1%}" for name, weight in list(report.starting_weights.items())[:8])
    notes = [paragraph(note, "note") for note in report.notes]
    return page(f"Transition analysis: {report.account_id}", lead, [
        section("The scenarios side by side", paragraph(liquidation), overview, *notes),
        section("Tax against tracking error", _tax_and_tracking(report)),
        section("The legacy names over time", paragraph(f"Heaviest legacy names at the start: {heaviest}."),
                _legacy_weights(report)),
        *(_year_table(result) for result in report.scenarios),
        section("How these figures were made", paragraph(
            "Each scenario is a simulation by tailor's engine over the recorded prices (dividends, splits "
            "and the tax year included; trades at the day's close), each rebalance a plan the independent "
            "verifier accepted. Taxes are federal, at the account's rates, netted per tax year with "
            "carryforwards; the last year is open (tax accrued so far). Past markets stand in for the "
            "future: the figures show how the scenarios differ, not what the next years will bring.",
            "note"))])


def write_report(report: TransitionReport, out: str | Path) -> list[Path]:
    """The CSV files, then transition.html; returns the paths written."""
    folder = Path(out)
    step_header, step_rows = _step_rows(report)
    files = [(folder / "summary.csv", _csv(summary_rows(report), SUMMARY_COLUMNS)),
             (folder / "years.csv", _csv(_year_rows(report), YEAR_COLUMNS)),
             (folder / "steps.csv", _csv(step_rows, step_header)),
             (folder / "transition.html", html_report(report))]
    for path, text in files:
        write_atomic(path, text)
    return [path for path, _ in files]
