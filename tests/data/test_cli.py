"""`tailor data info` and `tailor data risk-model` end to end (in-process)."""

from __future__ import annotations

import pytest

from tailor.cli import main


def test_data_info_reports_ranges_counts_and_repairs(capsys):
    assert main(["data", "info"]) == 0
    out = capsys.readouterr().out
    assert "683 securities" in out and "1999-11-01 … 2021-04-21" in out
    assert "VAR ends 2021-04-16" in out and "BF.B is absent" in out
    assert "ANTM 2002-03-18 level_shift" in out and "TRMB 2007-02-26 missing_split" in out


def test_risk_model_command_builds_and_summarises(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("TAILOR_CACHE", str(tmp_path))
    assert main(["data", "risk-model", "--as-of", "2020-12-31"]) == 0
    out = capsys.readouterr().out
    assert "17 factors" in out and "tracking error" in out
    assert len(list((tmp_path / "risk").glob("*.npz"))) == 1


def test_dates_outside_the_history_are_diagnostics_not_tracebacks(capsys):
    assert main(["data", "risk-model", "--as-of", "2030-01-01"]) == 1
    assert "error[D101]" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:
        main(["data", "risk-model", "--as-of", "yesterday"])
    assert info.value.code == 2
