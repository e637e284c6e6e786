"""UPDATE_GOLDEN never turns a run green by rewriting: a rewritten file fails its test."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.golden.update import REWRITTEN, update, updating


def test_a_rewritten_golden_fails_its_test(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UPDATE_GOLDEN", "1")
    assert updating()
    path = tmp_path / "case.txt"
    path.write_text("old\n", encoding="utf-8")
    with pytest.raises(pytest.fail.Exception, match=r"rewrote .*case\.txt .*review"):
        update(path, "new\n")
    assert path.read_text(encoding="utf-8") == "new\n"
    assert REWRITTEN.pop() == str(path)  # (not a file of the repository: keep it out of the summary)
    update(path, "new\n")  # already what it should be: nothing rewritten, nothing failed


def test_update_golden_0_is_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UPDATE_GOLDEN", "0")
    assert not updating()
