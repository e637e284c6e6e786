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


def test_explain_says_when_no_plan_was_found_in_time(tmp_path: Path,
                                                     capsys: pytest.CaptureFixture[str]) -> None:
    """A $3M minimum trade on a $7.6M account leaves a hard combinatorial search: within 1 s there is
    no plan, and the explanation says so (and what to try) instead of printing empty tables."""
    policy = tmp_path / "p.tailor"
    policy.write_text('policy "P"\nlayer account\n\ntrading minimum trade $3,000,000\n'
                      "tracking error at most 6%\n", encoding="utf-8")
    assert main(["explain", "--policy", str(policy), "--account", ACCOUNT, "--time-limit", "1"]) == 0
    printed = capsys.readouterr().out
    assert "time_limit" in printed and "nothing to explain yet" in printed and "Why each trade" not in printed
