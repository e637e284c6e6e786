"""The Python API (`import tailor`): the same plan from files or objects, failures as reports or
located errors, never tracebacks; the package loads the solver only when asked."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import tailor
from tailor.api.schemas import SCHEMAS, file_name, schema_text

ROOT = Path(__file__).resolve().parents[2]
ACCOUNT = ROOT / "examples/accounts/legacy_jpm/account.yaml"
POLICY = ROOT / "policies/clients/executive.tailor"
CONFLICT = ROOT / "policies/examples/cap_versus_budget.tailor"


@pytest.fixture(scope="module")
def report() -> tailor.RebalanceReport:
    return tailor.rebalance(ACCOUNT, POLICY)


def test_rebalance_from_files_is_verified_with_trades(report: tailor.RebalanceReport) -> None:
    assert report.status == "verified" and report.verified
    assert report.result.verified and report.result.trades
    assert report.result.account_id == "legacy_jpm"
    assert json.loads(report.to_json())["schema"] == "tailor.rebalance/1"
    assert json.loads(report.to_json())["result"]["schema"] == "tailor.result/1"


def test_objects_and_files_give_the_same_plan(report: tailor.RebalanceReport) -> None:
    account, policy = tailor.load_account(ACCOUNT), tailor.load_policy(POLICY)
    market = tailor.Market.load(account.as_of)
    again = tailor.rebalance(account, policy, market)
    assert again.result.plan_hash == report.result.plan_hash


def test_an_infeasible_policy_is_a_report_with_the_cli_code() -> None:
    found = tailor.rebalance(ACCOUNT, CONFLICT)
    assert found.status == "infeasible"
    assert found.diagnostics[0].code == "S101"
    assert found.result.trades == () and found.result.summary is None


def test_bad_inputs_raise_located_diagnostics(tmp_path: Path) -> None:
    with pytest.raises(tailor.TailorError) as missing:
        tailor.rebalance(tmp_path / "account.yaml", POLICY)
    assert missing.value.diagnostics[0].code == "A101"
    bad = tmp_path / "bad.tailor"
    bad.write_text('policy "x"\nrule r: cap APPL at 5%\n')
    with pytest.raises(tailor.TailorError) as unknown:
        tailor.rebalance(ACCOUNT, bad)
    first = unknown.value.diagnostics[0]
    assert first.code == "P301" and first.span.line == 2 and "AAPL" in (first.hint or "")


def test_a_date_the_account_contradicts_is_refused() -> None:
    from datetime import date

    with pytest.raises(tailor.TailorError) as found:
        tailor.rebalance(ACCOUNT, POLICY, as_of=date(2020, 1, 2))
    assert found.value.diagnostics[0].code == "A114"


def test_check_reports_files_and_diagnostics(tmp_path: Path) -> None:
    good = tailor.check(ROOT / "policies/clients")
    assert good.ok and good.files and all(f.policy_hash for f in good.files)
    bad = tmp_path / "bad.yaml"
    bad.write_text("policy: x\nrules:\n  - cap: {ticker: AAPL, max: 5%, colour: red}\n")
    found = tailor.check([bad])
    assert not found.ok and found.files[0].ok is False
    assert found.diagnostics[0].code == "P204" and found.diagnostics[0].span.line == 3


def test_explain_names_the_conflicting_rules() -> None:
    explanation = tailor.explain(ACCOUNT, CONFLICT)
    assert explanation.status == "infeasible" and explanation.conflict is not None
    assert explanation.conflict.rules


def test_import_tailor_loads_the_solver_only_on_use() -> None:
    code = ("import sys, tailor; before = 'engine.rebalance' in sys.modules; tailor.rebalance; "
            "print(before, 'engine.rebalance' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True"]


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_published_schemas_match_the_models(name: str) -> None:
    published = ROOT / "docs/schemas" / file_name(name)
    assert published.exists(), f"run `tailor schemas --write docs/schemas` to publish {name}"
    assert published.read_text() == schema_text(name), f"{published} is stale: run `make docs`"


def test_simulate_is_part_of_the_api(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text("colour: red\n")
    with pytest.raises(tailor.TailorError) as found:
        tailor.simulate(spec)
    assert found.value.diagnostics[0].code.startswith("M") and found.value.diagnostics[0].span.line == 1
