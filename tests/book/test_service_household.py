"""`POST /v1/household`: a household over HTTP, in one model or as sleeves, with the CLI's codes — the
shipped Smith household (examples/households/smith) sent as files, its policies with it."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tailor.service.app import ServiceSettings, create_app
from tests.book.conftest import ROOT

SMITH = ROOT / "examples" / "households" / "smith"
POLICIES = ("households/smith.tailor", "models/direct_index.tailor", "firm/default.tailor")
GAP = {"gap": 0.01}  # a 1% gap: a few seconds of one core


def household_files(accounts: tuple[str, ...] = ("joint", "ira", "roth", "brokerage"),
                    policy: str = "policies/smith.tailor") -> dict:
    """household.yaml with only `accounts`' entries, every file they name, and the household policy
    with the policies it extends, side by side in `policies/` (a sent policy names no `..`: H106)."""
    text = (SMITH / "household.yaml").read_text()
    text = text.replace("../../../policies/households/smith.tailor", policy)
    head, _, entries = text.partition("accounts:\n")
    kept = [e for e in entries.split("  - name: ")[1:] if any(f"account: {a}/" in e for a in accounts)]
    files = {"household.yaml": head + "accounts:\n" + "".join("  - name: " + e for e in kept)}
    for account in accounts:
        for path in sorted((SMITH / account).iterdir()):
            files[f"{account}/{path.name}"] = path.read_text()
    for name in POLICIES:
        text = (ROOT / "policies" / name).read_text()
        for other in POLICIES:
            text = text.replace(f'"../{other}"', f'"{Path(other).name}"')
        files[f"policies/{Path(name).name}"] = text
    return {"files": files, "main": "household.yaml"}


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(create_app(ServiceSettings(time_limit=120)), raise_server_exceptions=False)


def _codes(response) -> list[str]:
    body = response.json()
    assert body["schema"] == "tailor.error/1" and body["status"] == response.status_code
    return [d["code"] for d in body["diagnostics"]]


def test_the_smith_household_in_one_model(client: TestClient) -> None:
    response = client.post("/v1/household", json={"household": household_files(), "mode": "household",
                                                  "options": GAP})
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["schema"] == "tailor.household_run/1" and report["status"] == "verified"
    [one] = report["plans"]
    assert one["status"] == "verified" and one["result"]["verified"]
    traded = {t["account"] for t in one["result"]["trades"]}
    assert traded and traded <= {"smith-joint", "smith-ira", "smith-roth"}  # never the held-away one
    summary = report["summary"]
    assert summary["schema"] == "tailor.household/1" and summary["mode"] == "household"
    assert summary["tracking_error_after"] < summary["tracking_error_before"]
    assert summary["wash_sales"] == [] and Decimal(summary["loss_lost_for_good"]) == 0


def test_sleeves_plan_each_account_and_judge_them_as_one(client: TestClient) -> None:
    """The Roth beside the held-away brokerage account: one plan (the brokerage is never traded), the
    household's figures over both."""
    files = household_files(("roth", "brokerage"))
    report = client.post("/v1/household", json={"household": files, "mode": "sleeves", "options": GAP}).json()
    assert report["mode"] == "sleeves" and report["status"] == "verified"
    assert [p["result"]["account_id"] for p in report["plans"]] == ["smith-roth"]
    lines = {line["name"]: line for line in report["summary"]["accounts"]}
    assert lines["smith-brokerage"]["traded"] is False and lines["smith-roth"]["traded"] is True


@pytest.mark.parametrize(("policy", "code"), [
    ("../../../policies/households/smith.tailor", "A145"),  # household.yaml leads out of the request
    ("/etc/passwd", "A145"),
    ("policies/nowhere.tailor", "A101"),
])
def test_a_household_reaches_no_file_outside_it(client: TestClient, policy: str, code: str) -> None:
    response = client.post("/v1/household", json={"household": household_files(policy=policy),
                                                  "mode": "household"})
    assert response.status_code == 422 and _codes(response) == [code]
    assert response.json()["diagnostics"][0]["span"]["file"] == "household.yaml"  # not the service's folder


def test_a_sent_policy_extends_only_files_of_the_request(client: TestClient) -> None:
    files = household_files()
    files["files"]["policies/smith.tailor"] = files["files"]["policies/smith.tailor"] \
        .replace('"direct_index.tailor"', '"../../../../policies/models/direct_index.tailor"')
    response = client.post("/v1/household", json={"household": files, "mode": "household"})
    assert response.status_code == 422 and _codes(response) == ["H106"]


def test_refused_inputs_and_options_carry_the_cli_codes(client: TestClient) -> None:
    files = household_files()
    files["files"]["household.yaml"] = files["files"]["household.yaml"].replace("type: roth", "type: rot")
    bad = client.post("/v1/household", json={"household": files, "mode": "household"})
    assert bad.status_code == 422 and _codes(bad) == ["A136"]
    off = client.post("/v1/household", json={"household": household_files(), "mode": "sleeve"})
    assert off.status_code == 422 and set(_codes(off)) == {"H104"}
    contribution = household_files()
    contribution["files"]["household.yaml"] = contribution["files"]["household.yaml"].replace(
        "    account: ira/account.yaml\n", "    account: ira/account.yaml\n    max_contribution: 7000\n")
    sleeves = client.post("/v1/household", json={"household": contribution, "mode": "sleeves"})
    assert sleeves.status_code == 422 and _codes(sleeves) == ["A143"]  # refused there, never ignored


def test_the_service_limits_hold() -> None:
    hasty = TestClient(create_app(ServiceSettings(time_limit=0.05)), raise_server_exceptions=False)
    slow = hasty.post("/v1/household", json={"household": household_files(), "mode": "household"})
    assert slow.status_code == 504 and _codes(slow) == ["H102"]
    small = TestClient(create_app(ServiceSettings(max_body=10_000)), raise_server_exceptions=False)
    big = small.post("/v1/household", json={"household": household_files(), "mode": "household"})
    assert big.status_code == 413 and _codes(big) == ["H101"]  # the shipped household is ~25 kB


def test_the_endpoint_is_in_the_openapi_schema(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    operation = schema["paths"]["/v1/household"]["post"]
    assert {"200", "422", "413", "504"} <= set(operation["responses"])
    assert Path(operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]).name == \
        "HouseholdRequest"
