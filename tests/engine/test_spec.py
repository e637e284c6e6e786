"""The spec: every key read, every problem located, the schedule of steps and flows."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from core.diagnostics import TailorError
from engine import SimulationSpec, load_spec
from engine.inputs import prepare
from engine.schedule import flows_by_step, step_days
from market.prices import load_prices
from tests.engine.conftest import write_account, write_spec

BASE = "start: 2019-06-28\nend: 2019-12-31\ncadence: monthly\npolicy: policy.tailor\naccount: account.yaml\n"


def problems(path: Path) -> list[tuple[str, int | None, str, str | None]]:
    with pytest.raises(TailorError) as caught:
        prepare(load_spec(path))
    return [(d.code, d.span.line if d.span else None, d.message, d.hint) for d in caught.value.diagnostics]


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    write_account(tmp_path)
    return tmp_path


def test_a_valid_spec_reads_every_key(folder: Path) -> None:
    spec = load_spec(write_spec(folder, BASE + """cash_flows:
  - deposit: 5000
    every: month
    from: 2019-07-15
    until: 2019-11-15
  - withdraw: $2,500.50
    on: 2019-10-05
tax:
  short_term_rate: 37%
  long_term_rate: 0.2
  dividend_rate: 0.15
  paid_from: cash
costs:
  spread_bp: 3
  fee: 0.5
on_infeasible: stop
fast_path: bands
bands:
  cash: 0.5%
  tracking_error: 0.002
risk_model: quarterly
solver:
  time_limit: 30
  gap: 0.002
"""))
    assert spec.cadence == "monthly" and spec.on_infeasible == "stop" and spec.fast_path == "bands"
    assert spec.cash_flows[1].amount == Decimal("-2500.50")
    assert spec.cash_flows[0].starting == date(2019, 7, 15)
    assert spec.tax.short_term_rate == Decimal("0.37") and spec.tax.paid_from == "cash"
    assert spec.band_settings.cash == pytest.approx(0.005) and spec.time_limit == 30
    assert spec.policy == str(folder / "policy.tailor")  # relative to the spec's folder
    assert spec.span("cash_flows[1].on").line == 12


def test_unknown_keys_are_located_with_did_you_mean(folder: Path) -> None:
    found = problems(write_spec(folder, BASE + "on_infeasable: skip\ncosts:\n  spred_bp: 2\n"))
    assert [(c, line) for c, line, *_ in found] == [("M102", 6), ("M102", 8)]
    assert "`on_infeasible`" in found[0][3] and "`spread_bp`" in found[1][3]


def test_a_cadence_that_does_not_exist(folder: Path) -> None:
    [(code, line, message, hint)] = problems(write_spec(folder, BASE.replace("monthly", "montly")))
    assert (code, line) == ("M103", 3) and "montly" in message and "`monthly`" in hint


def test_a_key_only_another_setting_reads_is_an_error(folder: Path) -> None:
    found = problems(write_spec(folder, BASE + "bands:\n  cash: 1%\naccount_type: ira\n"))
    assert {(c, line) for c, line, *_ in found} == {("M107", 7), ("M107", 8)}


def test_account_and_cash_both_or_neither(folder: Path) -> None:
    assert problems(write_spec(folder, BASE + "cash: 1000\n"))[0][0] == "M105"
    assert problems(write_spec(folder, BASE.replace("account: account.yaml\n", "")))[0][0] == "M105"


def test_bad_values_are_located(folder: Path) -> None:
    body = BASE.replace("2019-12-31", "2019-13-01") + "tax:\n  long_term_rate: 20\n"
    found = problems(write_spec(folder, body))
    assert [(c, line) for c, line, *_ in found] == [("M103", 2), ("M103", 7)]


def test_a_schedule_outside_the_history(folder: Path) -> None:
    [(code, line, _, hint)] = problems(write_spec(folder, BASE.replace("2019-12-31", "2022-01-31")))
    assert (code, line) == ("M104", 2) and "2021-04-21" in hint
    [(code, line, _, _)] = problems(write_spec(folder, BASE.replace("2019-06-28", "1999-12-01")))
    assert (code, line) == ("M104", 1)


def test_a_flow_outside_the_simulation_is_located(folder: Path) -> None:
    [(code, line, message, _)] = problems(write_spec(folder, BASE + "cash_flows:\n  - deposit: 100\n"
                                                     "    on: 2020-02-01\n"))
    assert (code, line) == ("M104", 8) and "outside the simulation" in message


def test_the_account_must_be_as_of_the_start(folder: Path) -> None:
    [(code, line, message, _)] = problems(write_spec(folder, BASE.replace("2019-06-28", "2019-07-31")))
    assert code == "M105" and "as of 2019-06-28" in message and line == 3  # account.yaml's `as_of`


def test_policies_that_act_on_every_rebalance_are_refused(folder: Path) -> None:
    (folder / "policy.tailor").write_text((folder / "policy.tailor").read_text() + "cash deposit $1,000\n")
    [(code, line, _, hint)] = problems(write_spec(folder, BASE))
    assert code == "M106" and line == 10 and "cash_flows" in hint


def test_a_spec_that_is_not_a_file_or_not_yaml(tmp_path: Path) -> None:
    with pytest.raises(TailorError) as caught:
        load_spec(tmp_path / "sepc.yaml")
    assert caught.value.diagnostics[0].code == "M101"
    (tmp_path / "spec.yaml").write_text("start: [2019\n")
    with pytest.raises(TailorError) as caught:
        load_spec(tmp_path / "spec.yaml")
    assert caught.value.diagnostics[0].code == "M100"


def spec(cadence: str, **fields: object) -> SimulationSpec:
    return SimulationSpec(start=date(2019, 6, 29), end=date(2020, 1, 15), cadence=cadence, policy="p",
                          cash=Decimal(1), **fields)


@pytest.mark.parametrize(("cadence", "count", "second"), [
    ("daily", 138, date(2019, 7, 2)), ("weekly", 30, date(2019, 7, 5)), ("monthly", 8, date(2019, 7, 31)),
    ("quarterly", 4, date(2019, 9, 30)), ("annual", 3, date(2019, 12, 31))])
def test_steps_are_the_first_trading_day_then_period_ends(cadence: str, count: int, second: date) -> None:
    steps = step_days(load_prices().dates, spec(cadence))
    assert steps[0] == date(2019, 7, 1)  # 29 June 2019 is a Saturday
    assert (len(steps), steps[1], steps[-1]) == (count, second, date(2020, 1, 15))


def test_flows_move_to_the_next_step() -> None:
    from engine.spec import CashFlow

    flows = (CashFlow(amount=Decimal(100), every="month", starting=date(2019, 7, 31)),
             CashFlow(amount=Decimal(-40), on=date(2019, 8, 3)))
    steps = step_days(load_prices().dates, spec("weekly", cash_flows=flows))
    due = flows_by_step(spec("weekly", cash_flows=flows), steps)
    assert due[date(2019, 8, 2)] == Decimal(100)  # the 31st of July is a Wednesday: that week's Friday
    assert due[date(2019, 8, 9)] == Decimal(-40)  # a Saturday: the next week's step
    assert due[date(2019, 10, 4)] == Decimal(100)  # the 30th of September: 31 falls back to the month's end
    assert sum(due.values()) == 6 * 100 - 40 and pd.Timestamp(min(due)).year == 2019


@pytest.mark.parametrize("name", ["direct_index_monthly.yaml", "direct_index_daily.yaml"])
def test_the_shipped_example_specs_are_valid(name: str) -> None:
    ctx = prepare(load_spec(Path(__file__).parents[2] / "examples" / "simulations" / name))
    assert ctx.steps[0] >= ctx.spec.start and ctx.steps[-1] <= ctx.spec.end
