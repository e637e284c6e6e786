"""Models with per-plan overrides: `tailor diff --policy` shows what a model change means for an
account after its overrides, and `tailor batch --changed MODEL` rebalances exactly the accounts whose
effective policy changed."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest

from core.diagnostics import TailorError
from tailor.api.overrides import effective_change
from tailor.batch.runner import BatchSettings, run_batch
from tests.book.conftest import FIRM, make_account

MODEL = ('policy "Test model"\nlayer model\nextends "{firm}"\n\n'
         "rule model-tracking: tracking error at most {te}\n")
PLAIN = 'policy "Plain account"\nlayer account\nextends "model.tailor"\n'
OVERRIDE = ('policy "Own tracking limit"\nlayer account\nextends "model.tailor"\n\n'
            "rule model-tracking: tracking error at most 4%\n")


@pytest.fixture
def policies(tmp_path: Path) -> Path:
    firm = os.path.relpath(FIRM, tmp_path)
    (tmp_path / "model.tailor").write_text(MODEL.format(firm=firm, te="3%"))
    (tmp_path / "model_new.tailor").write_text(MODEL.format(firm=firm, te="2.5%"))
    (tmp_path / "plain.tailor").write_text(PLAIN)
    (tmp_path / "override.tailor").write_text(OVERRIDE)
    return tmp_path


def test_a_model_change_after_each_accounts_overrides(policies: Path) -> None:
    old, new = str(policies / "model.tailor"), str(policies / "model_new.tailor")
    plain = effective_change(str(policies / "plain.tailor"), old, new)
    assert [(c.change, c.key) for c in plain.model] == [("tightened", "tracking_error")]
    assert [(c.change, c.key) for c in plain.effective] == [("tightened", "tracking_error")]
    overridden = effective_change(str(policies / "override.tailor"), old, new)
    assert overridden.model and overridden.effective == []  # its own 4% stands
    with pytest.raises(TailorError) as found:
        effective_change(str(FIRM), old, new)
    assert found.value.diagnostics[0].code == "B111"


def test_batch_changed_rebalances_exactly_the_accounts_the_change_reaches(policies: Path) -> None:
    rows = [("plain", "plain.tailor"), ("override", "override.tailor"),
            ("firm", os.path.relpath(FIRM, policies))]
    with (policies / "book.csv").open("w", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(("id", "account", "policy"))
        for i, (name, policy) in enumerate(rows):
            make_account(policies / name, name, 20, offset=5 * i)
            writer.writerow((name, f"{name}/account.yaml", policy))
    out = policies / "out"
    first = run_batch(policies / "book.csv", out, BatchSettings(workers=1))
    assert first.run.ran == 3
    model = policies / "model.tailor"
    model.write_text((policies / "model_new.tailor").read_text())
    again = run_batch(policies / "book.csv", out, BatchSettings(workers=1, changed=str(model)))
    assert (again.run.ran, again.run.skipped) == (1, 2)
    before = {d.id: d.policy_hash for d in first.accounts}
    after = {d.id: d.policy_hash for d in again.accounts}
    assert after["plain"] != before["plain"]
    assert after["override"] == before["override"] and after["firm"] == before["firm"]
