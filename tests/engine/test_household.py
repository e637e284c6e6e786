"""The sleeve baseline on the shipped household (examples/households/smith, as of 2020-03-23): each
account rebalanced on its own toward the household target, then judged as one household."""

from __future__ import annotations

import csv
import io
import json
from decimal import Decimal
from pathlib import Path

import pytest
from rich.console import Console

from core.diagnostics import TailorError
from engine.household import SleeveRun, check_layers, household_policies, household_tax, run_sleeves
from engine.household_plan import plan_household
from engine.rebalance import RebalanceOptions
from solver.household import Household
from solver.household_files import load_household
from solver.market import Market
from solver.verify_household import household_wash_sales
from tailor.cli import main
from tailor.commands.household import _write, render_household
from tests.engine.conftest import SMITH
from tests.solver.test_household_files import GOOD, write_household


@pytest.fixture(scope="module")
def sleeves(smith: Household) -> SleeveRun:
    # A 5% gap: the three plans take ~12 s of one core instead of ~80 s at the default 0.1%; what the
    # tests assert (the IRAs' buys washing the joint account's losses) holds at any gap.
    return run_sleeves(smith, Market.load(smith.as_of), RebalanceOptions(mip_gap=0.05))


def test_every_tradable_account_is_planned_and_the_held_away_one_is_not(sleeves: SleeveRun) -> None:
    summary = sleeves.summary
    assert summary.complete and summary.mode == "sleeves"
    lines = {line.name: line for line in summary.accounts}
    assert [(n, lines[n].traded) for n in lines] == [("smith-joint", True), ("smith-ira", True),
                                                     ("smith-roth", True), ("smith-brokerage", False)]
    away = lines["smith-brokerage"]
    assert (away.status, away.sells, away.buys, away.turnover) == (None, 0, 0, 0.0)
    assert away.tracking_error_before == away.tracking_error_after
    assert summary.value_before == sum((line.value_before for line in summary.accounts), Decimal(0))
    for sleeve in sleeves.sleeves:  # each sleeve tracks the household target on its own
        if sleeve.traded:
            assert sleeve.result is not None and sleeve.result.verified
            assert lines[sleeve.member.name].tracking_error_after < 0.03


def test_the_sleeves_lose_harvested_losses_in_the_iras(sleeves: SleeveRun) -> None:
    """The joint account harvests while the IRA and the Roth, rebalancing on their own, buy the same
    names the same day: every cross-account wash sale is a joint loss lost for good."""
    summary = sleeves.summary
    assert summary.wash_sales
    assert {w.loss_account for w in summary.wash_sales} == {"smith-joint"}
    assert {w.replacement_account for w in summary.wash_sales} == {"smith-ira", "smith-roth"}
    assert all(w.lost_for_good and w.replacement == "bought now" for w in summary.wash_sales)
    assert summary.loss_lost_for_good == summary.loss_disallowed_across_accounts > 0
    assert summary.loss_lost_for_good == sum((w.loss_disallowed for w in summary.wash_sales), Decimal(0))


def test_the_household_tax_counts_what_the_plans_could_not_see(sleeves: SleeveRun, smith: Household) -> None:
    """The joint account's losses exceed this year's offset, so its tax is the same either way and the
    loss carried forward is what the same-day wash sales take: less by the loss they disallow (to the
    cent per match). With no other account's trades counted, the household reading agrees with the
    joint plan's own."""
    summary = sleeves.summary
    planned, counted = summary.as_planned, summary.household_tax
    assert planned.tax == counted.tax
    lost = planned.carried_forward - counted.carried_forward
    assert abs(lost - summary.loss_lost_for_good) <= Decimal("0.01") * len(summary.wash_sales)
    joint = next(s for s in sleeves.sleeves if s.member.name == "smith-joint")
    alone = household_wash_sales(smith, {"smith-joint": joint.trades})
    own = household_tax([joint], alone)
    assert joint.result is not None and joint.result.summary is not None
    assert own.tax == joint.result.summary.estimated_tax
    claimed = joint.result.summary.carryforward_short_term + joint.result.summary.carryforward_long_term
    assert abs(own.carried_forward - claimed) <= Decimal("0.01")  # one sum rounded against two


def test_the_household_is_closer_to_its_target_than_before(sleeves: SleeveRun) -> None:
    summary = sleeves.summary
    assert summary.tracking_error_after < summary.tracking_error_before
    assert 0 < summary.turnover < 1


def test_the_summary_is_written_with_each_accounts_result(sleeves: SleeveRun, tmp_path: Path) -> None:
    console = Console(file=io.StringIO(), width=80)
    _write(tmp_path, sleeves, {}, console)
    summary = json.loads((tmp_path / "household.json").read_text())
    assert summary["schema"] == "tailor.household/1" and summary["household_id"] == "smith"
    rows = list(csv.DictReader(io.StringIO((tmp_path / "household.csv").read_text())))
    assert [row["name"] for row in rows] == ["smith-joint", "smith-ira", "smith-roth", "smith-brokerage",
                                             "household"]
    assert rows[-1]["estimated_tax"] == summary["household_tax"]["tax"]
    for name in ("smith-joint", "smith-ira", "smith-roth"):
        assert json.loads((tmp_path / name / "result.json").read_text())["verified"] is True
        assert (tmp_path / name / "trades.csv").exists()
    assert not (tmp_path / "smith-brokerage").exists()
    assert not [p for p in tmp_path.rglob(".*.tmp")]
    render_household(sleeves.summary, console)
    assert "smith-brokerage  held away" in console.file.getvalue()  # type: ignore[attr-defined]


def test_the_api_loads_a_household_and_names_the_summary(smith: Household) -> None:
    import tailor

    assert tailor.load_household(SMITH) == smith
    assert tailor.household_sleeves is run_sleeves
    assert tailor.household_plan is plan_household
    assert tailor.HouseholdSummary.model_fields["schema_"].default == "tailor.household/1"


def test_a_bad_household_file_is_a_diagnostic_not_a_traceback(tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "household.yaml"
    path.write_text("household: smith\nas_of: 2020-03-23\npolicy: nowhere.tailor\naccounts: []\n")
    assert main(["household", str(path), "--mode", "sleeves"]) == 1
    err = capsys.readouterr().err
    assert "error[A101]" in err and "error[A135]" in err and "Traceback" not in err


def layered(tmp_path: Path, household_layer: str, account_policy: str) -> Household:
    """A household whose policy is `layer household_layer` and whose joint account has the policy
    `account_policy` (written to joint.tailor)."""
    text = GOOD.replace("    account: joint/account.yaml\n",
                        "    account: joint/account.yaml\n    policy: joint.tailor\n")
    write_household(tmp_path, text)
    (tmp_path / "household.tailor").write_text(f'policy "Smith household"\nlayer {household_layer}\n'
                                               "wash sale window 30 days scope household\n")
    (tmp_path / "joint.tailor").write_text(account_policy)
    return load_household(tmp_path / "household.yaml")


def test_an_account_policy_layers_under_the_household_policy(tmp_path: Path) -> None:
    fine = layered(tmp_path, "household", 'policy "Joint"\nlayer account\nextends "household.tailor"\n')
    check_layers(fine)
    _, policies = household_policies(fine)
    assert [Path(p).name for p in policies["joint"].sources] == ["household.tailor", "joint.tailor"]


def test_policies_out_of_layer_order_are_refused(tmp_path: Path) -> None:
    upside_down = layered(tmp_path, "household", 'policy "Joint"\nlayer model\n')
    with pytest.raises(TailorError) as exc:
        check_layers(upside_down)
    (found,) = exc.value.diagnostics
    assert (found.code, found.span.line, found.span.column) == ("A142", 8, 13)
    assert "joint.tailor (layer model) under" in found.message
    account_as_household = layered(tmp_path, "account", 'policy "Joint"\nlayer account\n')
    with pytest.raises(TailorError) as exc:
        check_layers(account_as_household)
    assert [(d.code, d.span.line) for d in exc.value.diagnostics] == [("A142", 3)]
