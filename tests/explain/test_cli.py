"""`tailor explain` end to end: JSON with the versioned schema, --relax writing the nearest plan."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tailor.cli import main
from tests.explain.conftest import ROOT

ACCOUNT = str(ROOT / "examples" / "accounts" / "legacy_jpm" / "account.yaml")


def test_explain_json_prices_every_rule(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    policy = tmp_path / "p.tailor"
    policy.write_text('policy "P"\nlayer account\n\nrule no-jpm: exclude JPM\n', encoding="utf-8")
    assert main(["explain", "--policy", str(policy), "--account", ACCOUNT, "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["schema"] == "tailor.explanation/1" and data["status"] == "optimal"
    costs = {c["rule_id"]: c for c in data["rules"]}
    assert costs["no-jpm"]["binding"] and costs["no-jpm"]["span"]["line"] == 4
    jpm = [t for t in data["trades"] if t["ticker"] == "JPM"]
    assert jpm and all(any(f["rule_id"] == "no-jpm" for f in t["rules"]) for t in jpm)


def test_explain_relax_writes_the_nearest_plan(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    policy = tmp_path / "p.tailor"
    policy.write_text(
        'policy "P"\nlayer account\n\nrule cap-jpm: cap JPM at 5%\n'
        "rule budget-lt: budget long-term gains $0 per year\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    assert main(["explain", "--policy", str(policy), "--account", ACCOUNT, "--relax", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "cap-jpm" in printed and "Nearest feasible plan" in printed
    explanation = json.loads((out / "explanation.json").read_text())
    assert sorted(explanation["conflict"]["rules"]) == ["budget-lt", "cap-jpm"]
    relaxed = json.loads((out / "result.json").read_text())
    assert relaxed["solve"]["status"] == "relaxed" and relaxed["violations"]
    assert {v["rule_id"] for v in relaxed["violations"]} <= {"cap-jpm", "budget-lt"}
    assert (out / "trades.csv").read_text().startswith("action,ticker")


def test_explain_says_when_no_plan_was_found_in_time(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """When the search ends without a plan (the clock, or a work limit, stopped it), the explanation
    says so, and what to try, instead of printing empty tables. Whether a given limit finds a plan
    depends on the machine, so the solve is made to come back empty: the real plan, its trades taken
    away, its status `time_limit`."""
    import dataclasses

    import engine.rebalance

    real = engine.rebalance.plan

    def out_of_time(*args: object, **kwargs: object) -> engine.rebalance.Plan:
        found = real(*args, **kwargs)
        solve = found.result.solve.model_copy(update={"status": "time_limit", "proven_optimal": False})
        result = found.result.model_copy(update={"solve": solve, "verified": False, "violations": (),
                                                 "summary": None, "trades": ()})
        return dataclasses.replace(found, result=result, outcome=None)

    monkeypatch.setattr(engine.rebalance, "plan", out_of_time)
    policy = tmp_path / "p.tailor"
    policy.write_text('policy "P"\nlayer account\n\nrule no-jpm: exclude JPM\n', encoding="utf-8")
    assert main(["explain", "--policy", str(policy), "--account", ACCOUNT]) == 0
    printed = capsys.readouterr().out
    assert "time_limit" in printed and "nothing to explain yet" in printed and "Why each trade" not in printed


def test_explain_takes_the_account_inputs_as_rebalance_does(tmp_path: Path,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    """No as-of date is guessed (A113), the account's target replaces the policy's benchmark and
    the explanation says so, and --out is checked before the solve (A118)."""
    from tests.solver.test_cli_rebalance import copy_account, top_names

    top_names(tmp_path / "top100.csv", 100)
    account = copy_account(tmp_path, None, "target: top100.csv\n")
    policy = tmp_path / "p.tailor"
    policy.write_text('policy "P"\nlayer account\n\nrestrict buying outside target\n', encoding="utf-8")
    args = ["explain", "--policy", str(policy), "--account", str(account)]
    assert main(args) == 1
    assert "error[A113]" in capsys.readouterr().err
    (tmp_path / "file").write_text("")
    assert main([*args, "--as-of", "2021-04-21", "--out", str(tmp_path / "file")]) == 1
    assert "error[A118]" in capsys.readouterr().err
    assert main([*args, "--as-of", "2021-04-21", "--format", "json"]) == 0
    explanation = json.dumps(json.loads(capsys.readouterr().out))
    assert "the account's target model top100.csv" in explanation
    assert "no buying outside the target (100 names in it)" in explanation


def test_explain_prints_each_rules_own_lines(capsys: pytest.CaptureFixture[str]) -> None:
    """Under the cost table, each rule's account of itself in policy terms: the shipped retiree's
    dividend-yield floor, 1.27% before, binding at 2.00% after."""
    policy = str(ROOT / "policies" / "clients" / "retiree_income.tailor")
    account = str(ROOT / "examples" / "accounts" / "index_2012" / "account.yaml")
    assert main(["explain", "--policy", policy, "--account", account]) == 0
    printed = capsys.readouterr().out
    assert "income: dividend yield 1.27% → 2.00% after trading (at least 2.00%; at its limit: it binds)" \
        in printed
    assert "income: annual dividends moved most by " in printed
