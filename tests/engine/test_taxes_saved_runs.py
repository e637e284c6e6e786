"""The taxes-saved report on a real short simulation (conftest's quarterly legacy account: a tax-year
roll, the COVID drawdown, AAPL's 4:1 split), as a simulation and as a recorded period, its files, and
its errors."""

from __future__ import annotations

import csv
import json
from decimal import Decimal
from pathlib import Path

import pytest

from core.diagnostics import TailorError
from engine import SimulationResult
from engine.taxes_saved import account_report, book_report
from engine.taxes_saved_inputs import from_record, from_simulation, simulation_lots
from engine.taxes_saved_outputs import report_files
from tailor.cli import main


def test_the_replay_holds_the_lots_the_simulation_held_and_sells_what_it_sold(
    quarterly: tuple[SimulationResult, Path],
) -> None:
    result, out = quarterly
    period = from_simulation(out.parent / "spec.yaml", out)
    assert [s.day for s in period.steps] == [p.date for p in result.periods]
    # The lots after each step are as many as the simulation held, and so are those before the next one
    # (splits and distributions change none).
    _, replayed = simulation_lots(out.parent / "spec.yaml", out)
    assert [len(r.after) for r in replayed] == [p.lots for p in result.periods]
    assert [len(s.lots) for s in period.steps[1:]] == [p.lots for p in result.periods[:-1]]
    for step, row in zip(period.steps, result.periods, strict=True):
        assert step.value == row.value and step.invested == row.value - row.cash
        sold = [t for t in result.trades if t.date == step.day and t.action == "sell"]
        assert len(step.sales) == len(sold)
        for sale, trade in zip(step.sales, sold, strict=True):  # gross of costs: the log's gain + cost
            assert sale.lot_id == trade.lot_id and abs(
                sale.gain - (trade.realized_gain + trade.cost)
            ) < Decimal("0.02")
    assert any(s.sales for s in period.steps)
    # Among them wash sales, whose replacement lots the replay adjusts as the simulation did (one is
    # sold again at 2019-12-31: tests/engine/test_simulate.py).
    assert result.adjustments and any(sale.disallowed for s in period.steps for sale in s.sales)


def test_a_recorded_period_reports_what_the_simulation_does(
    quarterly: tuple[SimulationResult, Path],
) -> None:
    _, out = quarterly
    folder = out.parent
    simulated = from_simulation(folder / "spec.yaml", out)
    recorded = from_record(folder / "account.yaml", folder / "policy.tailor", out)
    fee = Decimal(25)
    one = account_report("a", simulated.steps, simulated.rates, fee)
    other = account_report("a", recorded.steps, recorded.rates, fee)
    assert one.steps == other.steps and one.years == other.years


def test_the_report_files_add_up_and_the_page_stands_alone(
    quarterly: tuple[SimulationResult, Path],
) -> None:
    _, out = quarterly
    period = from_simulation(out.parent / "spec.yaml", out)
    report = account_report("legacy30", period.steps, period.rates, Decimal(20))
    files = report_files(book_report([report]), Decimal(20))
    steps = list(csv.DictReader(files["steps.csv"].decode().splitlines()))
    assert len(steps) == len(period.steps)
    assert (
        sum(Decimal(r["tax_value"]) for r in steps)
        == report.tax_value
        == Decimal(steps[-1]["tax_value_total"])
    )
    assert sum(Decimal(r["fee"]) for r in steps) == report.fees
    for row in steps:  # each step's tax value is its two parts, in cents
        assert Decimal(row["tax_value"]) == Decimal(row["tax_saved"]) + Decimal(row["tax_deferred"])
        assert Decimal(row["tax_value"]).as_tuple().exponent == -2
    years = list(csv.DictReader(files["years.csv"].decode().splitlines()))
    assert [int(y["year"]) for y in years] == [2019, 2020]
    body = json.loads(files["taxes_saved.json"])
    assert body["schema"] == "tailor.taxes_saved/1" and body["accounts"][0]["tax_value"] == str(
        report.tax_value
    )
    page = files["taxes_saved.html"].decode()
    assert page.count("<svg") == 2 and "src=" not in page and "<link" not in page  # one file, charts inline
    assert report_files(book_report([report]), Decimal(20)) == files  # same report, same bytes


def test_the_command_writes_the_report_and_refuses_bad_input(
        quarterly: tuple[SimulationResult, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, out = quarterly
    report = tmp_path / "report"

    def command(fee: str, spec: Path) -> int:
        return main(["report", "taxes-saved", "--fee-bps", fee, "--out", str(report),
                     "--simulation", str(spec), str(out)])
    spec = out.parent / "spec.yaml"
    assert command("20", spec) == 0
    assert sorted(p.name for p in report.iterdir()) == ["accounts.csv", "steps.csv", "taxes_saved.html",
                                                         "taxes_saved.json", "years.csv"]
    capsys.readouterr()
    assert command("-3", spec) == 1 and "M162" in capsys.readouterr().err
    other = tmp_path / "other.yaml"  # the same spec with other costs: not the run that wrote the folder
    other.write_text(spec.read_text().replace("spread_bp: 5", "spread_bp: 6")
                     .replace("policy: policy.tailor", f"policy: {out.parent / 'policy.tailor'}")
                     .replace("account: account.yaml", f"account: {out.parent / 'account.yaml'}"))
    assert command("20", other) == 1 and "M160" in capsys.readouterr().err


def test_a_sale_from_a_lot_not_held_is_located(
    quarterly: tuple[SimulationResult, Path], tmp_path: Path
) -> None:
    _, out = quarterly
    folder = tmp_path / "record"
    folder.mkdir()
    (folder / "periods.csv").write_bytes((out / "periods.csv").read_bytes())
    lines = (out / "trades.csv").read_text().splitlines()
    sale = next(n for n, line in enumerate(lines) if ",sell," in line)
    lines[sale] = lines[sale].replace(lines[sale].split(",")[4], "NOSUCHLOT", 1)
    (folder / "trades.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(TailorError) as caught:
        from_record(out.parent / "account.yaml", out.parent / "policy.tailor", folder)
    [problem] = caught.value.diagnostics
    assert problem.code == "M161" and "NOSUCHLOT" in problem.message
    assert (problem.span.line, problem.span.column) == (
        sale + 1,
        len(",".join(lines[sale].split(",")[:4])) + 2,
    )


def test_a_recorded_table_with_a_misspelt_column_or_a_bad_value_is_located(tmp_path: Path) -> None:
    from engine.taxes_saved_inputs import PERIOD_COLUMNS, Table

    (tmp_path / "periods.csv").write_text("dat,value,cash\n2020-03-16,1000,10\n")
    with pytest.raises(TailorError) as caught:
        Table(tmp_path / "periods.csv", PERIOD_COLUMNS)
    [problem] = caught.value.diagnostics
    assert problem.code == "M161" and "`date`" in problem.message and "dat" in (problem.hint or "")
    (tmp_path / "periods.csv").write_text("date,value,cash\n2020-03-16,1,000.50,10\n")  # a separator
    with pytest.raises(TailorError) as caught:
        Table(tmp_path / "periods.csv", PERIOD_COLUMNS)
    [problem] = caught.value.diagnostics
    assert problem.code == "M161" and "4 cells for 3 columns" in problem.message and problem.span.line == 2
    (tmp_path / "periods.csv").write_text("date,value,cash\n2020-03-16,1000.50,1O\n")  # a letter O
    table = Table(tmp_path / "periods.csv", PERIOD_COLUMNS)
    with pytest.raises(TailorError) as caught:
        table.decimal(table.rows[0], "cash")
    [problem] = caught.value.diagnostics
    assert problem.code == "M161" and "'1O'" in problem.message
    assert (problem.span.line, problem.span.column) == (2, 20)  # where the cash cell starts


def test_the_spec_may_be_named_relative_or_absolute(quarterly: tuple[SimulationResult, Path],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The simulation was given the spec's absolute path; the report accepts it relative too."""
    _, out = quarterly
    whole = from_simulation(out.parent / "spec.yaml", out)
    monkeypatch.chdir(out.parent)
    assert from_simulation("spec.yaml", "out").steps == whole.steps
