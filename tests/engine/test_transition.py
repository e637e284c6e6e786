"""`tailor transition` on the shipped legacy example (legacy_jpm, replayed from 2017-12-29): the
replayed account, the scenarios side by side through `engine.simulate`, the files written, and every
option refused with its reason before anything is simulated."""

from __future__ import annotations

import csv
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from core.diagnostics import TailorError
from engine.transition import TransitionReport, TransitionRequest, transition_report
from engine.transition_inputs import generated, replay_account, write_account
from engine.transition_output import html_report, write_report
from solver.account_files import load_account
from tailor.cli import main

ROOT = Path(__file__).resolve().parents[2]
LEGACY = str(ROOT / "examples" / "accounts" / "legacy_jpm" / "account.yaml")
START = date(2017, 12, 29)


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[TransitionReport, Path]:
    out = tmp_path_factory.mktemp("transition")
    found = transition_report(TransitionRequest(account=LEGACY, start=START, years=2, over=(2,)), folder=out)
    write_report(found, out)
    return found, out


def test_the_account_is_replayed_as_it_stood_on_the_start() -> None:
    account = load_account(LEGACY)
    replayed = replay_account(account, START)
    kept = {lot.lot_id: lot for lot in account.lots if lot.acquired <= START}
    assert {lot.lot_id for lot in replayed.lots} == set(kept) and len(kept) < len(account.lots)
    for lot in replayed.lots:  # the same cost, in the shares of the day (splits since undone)
        assert abs(lot.shares * lot.basis_per_share - kept[lot.lot_id].cost_basis) < Decimal("0.01")
        if lot.ticker in ("AAPL", "JPM"):  # AAPL's 4:1 of 2020-08-31 undone; JPM did not split
            assert lot.shares * (4 if lot.ticker == "AAPL" else 1) == kept[lot.lot_id].shares
    assert replayed.as_of == START and replayed.tax.realized_long_term_ytd == 0 and not replayed.transactions


def test_the_scenarios_differ_as_their_pace_says(report: tuple[TransitionReport, Path]) -> None:
    found, _ = report
    immediate, paced = found.scenarios
    assert [s.scenario.name for s in found.scenarios] == ["immediate", "over 2 years"]
    assert all(not s.simulation.troubles and s.simulation.status == "complete" for s in found.scenarios)
    # Immediately the legacy names go at once; paced, the start's tax year (two days of a two-year
    # path) allows almost nothing, and the tracking error comes down a year later.
    assert immediate.years[0].tax > 20 * max(paced.years[0].tax, Decimal(1))
    assert immediate.years[0].tracking_error < paced.years[0].tracking_error
    assert paced.years[1].tracking_error < paced.years[0].tracking_error
    assert immediate.legacy_share[0] < paced.legacy_share[0] <= 1
    assert Decimal("0.05") < found.liquidation_tax / found.start_value < Decimal("0.15")
    assert next(iter(found.starting_weights)) == "JPM" and found.chart_names[0] == "JPM"


def test_the_files_hold_the_same_figures(report: tuple[TransitionReport, Path]) -> None:
    found, out = report
    years = list(csv.DictReader((out / "years.csv").open()))
    assert [(r["scenario"], int(r["year"])) for r in years] == [
        (s.scenario.name, y.year) for s in found.scenarios for y in s.years]
    assert [Decimal(r["tax"]) for r in years] == [y.tax for s in found.scenarios for y in s.years]
    steps = list(csv.DictReader((out / "steps.csv").open()))
    assert len(steps) == sum(len(s.steps) for s in found.scenarios) and "JPM" in steps[0]
    page = (out / "transition.html").read_text()
    assert page.count("<svg") == 2 and "<script" not in page and "over 2 years" in page
    assert html_report(found) == page  # deterministic: no date or random ids in the charts
    assert (out / "start" / "account.yaml").is_file() and not list(out.glob(".*.tmp"))
    assert load_account(out / "start" / "account.yaml").as_of == START


def test_a_locked_transition_rule_refuses_the_generated_scenarios(tmp_path: Path) -> None:
    from compiler.check import compile_policy

    path = tmp_path / "base.tailor"
    path.write_text('policy "locked"\nlocked transition within tax budget $10k per year\n')
    with pytest.raises(TailorError) as caught:
        generated(compile_policy(path), "immediate", "transition immediate", None)
    found = caught.value.diagnostics[0]
    assert found.code == "M151" and found.span is not None and found.span.line == 2


@pytest.mark.parametrize(("args", "code", "says"), [
    (["--start", "2021-06-01"], "M150", "after the account's date 2021-04-21"),
    (["--start", "2019-01-02"], "M150", "after the price history"),
    (["--start", "2002-01-02"], "M150", "held none of its lots"),
    (["--start", "2019-13-01"], "A111", "is not a date"),
    (["--cadence", "anual"], "M152", "did you mean `annual`"),
    (["--years", "0"], "M152", "--years '0'"),
    (["--over", "2.5"], "M152", "--over '2.5'"),
    (["--tax-budget", "ten"], "M152", "positive amount of dollars"),
    (["--tax-budget", "10%"], "M152", "positive amount of dollars"),
    (["--scenario", "plan"], "M152", "write NAME=POLICY"),
    (["--scenario", "over 3 years=x.tailor"], "M152", "already called"),
    (["--scenario", "mine=missing.tailor"], "M101", "not found"),
    (["--tracking-weight", "0"], "M152", "--tracking-weight '0'"),
    (["--legacy-names", "x"], "M152", "--legacy-names 'x'"),
])
def test_bad_options_are_refused_before_simulating(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                   args: list[str], code: str, says: str) -> None:
    status = main(["transition", "--account", LEGACY, "--out", str(tmp_path / "out"), "--start", "2014-12-31",
                   *args])
    err = capsys.readouterr().err
    assert status == 1 and f"[{code}]" in err and says in err, err
    assert not (tmp_path / "out" / "transition.html").exists()


def test_no_scenario_left_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["transition", "--account", LEGACY, "--out", str(tmp_path), "--no-immediate", "--over", "3",
                   "--start", "2014-12-31", "--scenario", "a=" + str(tmp_path / "none.tailor")])
    assert status == 1 and "[M101]" in capsys.readouterr().err


def test_every_scenario_asked_for_is_built() -> None:
    from engine.transition import scenarios

    client = str(ROOT / "policies" / "clients" / "legacy_three_year.tailor")
    built = scenarios(TransitionRequest(account=LEGACY, over=(3,), tax_budgets=(Decimal(25_000),),
                                        policies=(("advisor", client),), tracking_weight=5.0), START)
    assert [s.name for s in built] == ["immediate", "over 3 years", "tax $25,000/yr", "advisor"]
    paced, budget, advisor = (s.policy.one("transition") for s in built[1:])
    assert paced.start == START and paced.years == 3  # type: ignore[union-attr]
    assert budget.budget_usd == Decimal(25_000)  # type: ignore[union-attr]
    assert advisor.start is None and advisor.years == 3  # as written  # type: ignore[union-attr]
    assert all(s.policy.one("preferences").tracking_weight == 5.0 for s in built[:3])  # type: ignore[union-attr]
    assert len({s.policy.policy_hash for s in built}) == 4


def test_the_replayed_account_file_keeps_a_tacked_holding_period(tmp_path: Path) -> None:
    """A lot a wash sale adjusted is written with its holding period's start, and read back the same."""
    account = replay_account(load_account(LEGACY), START)
    first = account.lots[0]
    adjusted = first.model_copy(update={"holding_period_start": date(2003, 5, 1)})  # bought 2004-01-02
    account = account.model_copy(update={"lots": (adjusted, *account.lots[1:])})
    again = load_account(write_account(account, tmp_path))
    assert again.lots[0].held_since == date(2003, 5, 1) and again.lots[0].acquired == first.acquired
    assert all(lot.holding_period_start is None for lot in again.lots[1:])
