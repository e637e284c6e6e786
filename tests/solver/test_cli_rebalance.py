"""`tailor rebalance` end to end: writes verified trades; refuses unverified ones and says why."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from solver.verify import Violation
from tailor.cli import main
from tests.solver.conftest import EXAMPLES, ROOT

POLICY = ROOT / "policies" / "firm" / "default.tailor"
ACCOUNT = EXAMPLES / "legacy_jpm" / "account.yaml"


def test_rebalance_writes_trades_and_result(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert main(["rebalance", "--policy", str(POLICY), "--account", str(ACCOUNT), "--out", str(out)]) == 0
    result = json.loads((out / "result.json").read_text())
    assert result["schema"] == "tailor.result/1" and result["verified"] is True
    assert result["solve"]["status"] == "optimal"
    lines = (out / "trades.csv").read_text().splitlines()
    assert len(lines) == len(result["trades"]) + 1
    assert "verified" in capsys.readouterr().out


def test_unverified_trades_are_not_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    import solver.rebalance

    def broken(outcome, rules):  # stands in for a verifier that finds a fault
        return [Violation(code="V101", message="lot LEG-00001 (JPM) oversold by 1")]

    monkeypatch.setattr(solver.rebalance, "verify", broken)
    out = tmp_path / "out"
    assert main(["rebalance", "--policy", str(POLICY), "--account", str(ACCOUNT), "--out", str(out)]) == 1
    assert not out.exists()
    err = capsys.readouterr().err
    assert "error[V101]" in err and "oversold" in err and "were not written" in err


def test_bad_as_of_date_is_a_diagnostic(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["rebalance", "--policy", str(POLICY), "--account", str(ACCOUNT), "--as-of", "21/04/2021"]
    assert main(args) == 1
    assert "error[A111]" in capsys.readouterr().err
