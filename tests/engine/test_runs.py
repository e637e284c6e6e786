"""Runs as a user meets them: the fast path's proof, days without a plan, determinism, resuming, the
command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine import load_spec, simulate
from engine.inputs import prepare
from engine.ledger import account_of
from engine.rebalance import plan
from engine.step import run_step
from tailor.cli import main

# An IRA that pays 200 bp a unit traded (cost 40): after investing its cash it has nothing to gain from
# trading on most days, so the `proof` fast path skips them (and solving them shows nothing to do).
PATIENT = 'policy "Patient IRA"\nlayer account\n\ntarget sp500\ntrading minimum trade $100\n' \
          "preferences tax 1 tracking 1 cost 40\n"
SPEC = ("start: 2020-06-01\nend: {end}\ncadence: daily\npolicy: policy.tailor\ncash: 200000\n"
        "account_type: ira\n")


def folder_with(tmp_path: Path, spec: str, policy: str = PATIENT) -> Path:
    (tmp_path / "policy.tailor").write_text(policy)
    (tmp_path / "spec.yaml").write_text(spec)
    return tmp_path / "spec.yaml"


def test_the_proof_skips_only_days_the_rebalance_would_leave_alone(tmp_path: Path) -> None:
    ctx = prepare(load_spec(folder_with(tmp_path, SPEC.format(end="2020-06-12"))))
    ledger, skipped = ctx.initial(), 0
    for day in ctx.steps:
        step = run_step(ctx, ledger, day, 0)
        ledger = step.ledger
        if not step.verdict.skip:
            continue
        skipped += 1
        account = account_of(ledger, ctx.account, ctx.rates, ctx.window)
        at = ctx.screener.position(account, step.market, step.target)
        doing_nothing = 10 * (100 * at.tracking_error) ** 2  # bp: the tracking penalty (no tax in an IRA)
        result = plan(account, ctx.policy, step.market, ctx.options).result
        assert result.verified and result.trades == ()
        assert result.solve.bound_bp >= doing_nothing - 1e-3  # nothing better than doing nothing exists
    assert skipped >= 2


def test_a_day_without_a_plan_is_recorded_and_the_run_goes_on(tmp_path: Path) -> None:
    spec = SPEC.format(end="2020-06-03") + "cash_flows:\n  - withdraw: 500000\n    on: 2020-06-02\n"
    result = simulate(load_spec(folder_with(tmp_path, spec)))
    assert result.status == "complete" and [p.status for p in result.periods] == ["solved", "infeasible",
                                                                                   "infeasible"]
    first = result.troubles[0]
    assert (first.code, str(first.date), first.action) == ("M130", "2020-06-02", "skipped")
    assert "raise $500,000.00" in first.message and first.explanation
    assert result.periods[1].owed == 500000 and result.periods[1].flow == 0  # owed, tried again next step


def test_a_policy_that_cannot_hold_stops_with_the_conflict_named(tmp_path: Path) -> None:
    policy = ('policy "Impossible"\nlayer account\n\ntarget sp500\ncash reserve 30%\n'
              "tracking error at most 2%\n")
    spec = SPEC.format(end="2020-06-03") + "on_infeasible: stop\n"
    result = simulate(load_spec(folder_with(tmp_path, spec, policy)), out=tmp_path / "out")
    assert result.status == "stopped" and len(result.periods) == 1
    [trouble] = result.troubles
    assert trouble.action == "stopped" and "policy.tailor:5" in trouble.explanation \
        and "policy.tailor:6" in trouble.explanation
    assert (tmp_path / "out" / "checkpoint.json").is_file() and (tmp_path / "out" / "periods.csv").is_file()


def test_same_spec_same_bytes_and_a_resumed_run_is_the_same_run(tmp_path: Path) -> None:
    spec = folder_with(tmp_path, SPEC.format(end="2020-06-05") + "costs:\n  spread_bp: 4\n  fee: 0.25\n")
    whole = simulate(load_spec(spec), out=tmp_path / "whole")
    # Files written after every step on the way (as a long run does every 30 s): the end is the same.
    paused = simulate(load_spec(spec), out=tmp_path / "parts", max_steps=2, checkpoint_seconds=0)
    assert paused.status == "paused" and len(paused.periods) == 2
    assert (tmp_path / "parts" / "checkpoint.json").is_file()
    resumed = simulate(load_spec(spec), out=tmp_path / "parts", resume=True)
    assert whole.status == resumed.status == "complete" and resumed.periods == whole.periods
    assert not (tmp_path / "parts" / "checkpoint.json").exists()
    for name in ("periods.csv", "periods.parquet", "trades.csv", "trades.parquet", "events.csv", "years.csv",
                 "basis_adjustments.csv", "simulation.json"):
        assert (tmp_path / "whole" / name).read_bytes() == (tmp_path / "parts" / name).read_bytes(), name


def test_the_command_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = str(folder_with(tmp_path, SPEC.format(end="2020-06-02")))
    out = str(tmp_path / "out")
    assert main(["simulate", spec, "--out", out, "--quiet", "--steps", "1"]) == 0
    assert main(["simulate", spec, "--out", out, "--quiet"]) == 1
    assert "M121" in capsys.readouterr().err
    assert main(["simulate", spec, "--out", out, "--quiet", "--resume"]) == 0
    printed = capsys.readouterr().out
    assert "complete" in printed and "2 of 2" in printed
    (tmp_path / "spec.yaml").write_text(SPEC.format(end="2020-06-02").replace("daily", "dayly"))
    assert main(["simulate", spec, "--out", out, "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "M103" in err and "spec.yaml:3:10" in err and "`daily`" in err
