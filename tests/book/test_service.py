"""`tailor serve`: the API over HTTP, tested with an HTTP client (httpx through Starlette's TestClient)
and fuzzed from its own OpenAPI schema (schemathesis): no generated request gets a 500."""

from __future__ import annotations

import time

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from tailor.service.app import ServiceSettings, create_app
from tests.book.conftest import ROOT

ACCOUNT = ROOT / "examples/accounts/legacy_jpm"
TOKEN = "s3cret"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def _account_files() -> dict:
    names = ("account.yaml", "lots.csv", "transactions.csv")
    return {"files": {n: (ACCOUNT / n).read_text() for n in names}, "main": "account.yaml"}


def _library(path: str) -> dict:
    return {"library": {"path": path}}


@pytest.fixture(scope="module")
def client() -> TestClient:
    app = create_app(ServiceSettings(policies=ROOT / "policies", token=TOKEN, time_limit=30))
    return TestClient(app, raise_server_exceptions=False)


def _codes(response) -> list[str]:
    body = response.json()
    assert body["schema"] == "tailor.error/1" and body["status"] == response.status_code
    return [d["code"] for d in body["diagnostics"]]


def test_health_needs_no_token(client: TestClient) -> None:
    assert client.get("/v1/health").json()["status"] == "ok"


def test_a_token_is_required(client: TestClient) -> None:
    response = client.post("/v1/check", json={"policies": [_library("clients/executive.tailor")]})
    assert response.status_code == 401 and _codes(response) == ["H103"]
    wrong = client.post("/v1/check", json={"policies": [_library("clients/executive.tailor")]},
                        headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401


def test_check_a_library_policy_and_a_sent_one(client: TestClient) -> None:
    good = client.post("/v1/check", json={"policies": [_library("clients/executive.tailor")]}, headers=AUTH)
    assert good.status_code == 200 and good.json()["errors"] == 0
    sent = {"files": {"files": {"p.tailor": 'policy "x"\nrule r: cap APPL at 5%\n'}, "main": "p.tailor"}}
    bad = client.post("/v1/check", json={"policies": [sent]}, headers=AUTH).json()
    assert bad["errors"] == 1 and bad["diagnostics"][0]["code"] == "P301"
    assert bad["diagnostics"][0]["span"]["file"] == "0/p.tailor"  # the service's folder is not shown


def test_rebalance_and_explain(client: TestClient) -> None:
    body = {"account": _account_files(), "policy": _library("clients/executive.tailor")}
    report = client.post("/v1/rebalance", json=body, headers=AUTH)
    assert report.status_code == 200
    assert report.json()["status"] == "verified" and report.json()["result"]["trades"]
    conflict = {"account": _account_files(), "policy": _library("examples/cap_versus_budget.tailor")}
    infeasible = client.post("/v1/rebalance", json=conflict, headers=AUTH).json()
    assert infeasible["status"] == "infeasible" and infeasible["diagnostics"][0]["code"] == "S101"
    why = client.post("/v1/explain", json=conflict, headers=AUTH).json()
    assert why["schema"] == "tailor.explanation/1" and why["conflict"]["rules"]


def test_bad_inputs_carry_the_cli_codes(client: TestClient) -> None:
    files = _account_files()
    files["files"]["lots.csv"] = "lot_id,ticker,acquired,shares,basis_per_share,colour\n"
    body = {"account": files, "policy": _library("firm/default.tailor")}
    response = client.post("/v1/rebalance", json=body, headers=AUTH)
    assert response.status_code == 422 and _codes(response) == ["A102"]
    assert response.json()["diagnostics"][0]["span"]["file"] == "account/lots.csv"
    off = client.post("/v1/rebalance", json={"account": files, "policy": {}, "colour": 1}, headers=AUTH)
    assert off.status_code == 422 and set(_codes(off)) == {"H104"}


@pytest.mark.parametrize("policy", [
    {"files": {"files": {"p.tailor": 'policy "x"\nextends "../../../etc/passwd"\n'}, "main": "p.tailor"}},
    {"files": {"files": {"../p.tailor": "x"}, "main": "../p.tailor"}},
    {"library": {"path": "../pyproject.toml"}},
])
def test_a_request_reaches_no_file_outside_it(client: TestClient, policy: dict) -> None:
    body = {"account": _account_files(), "policy": policy}
    response = client.post("/v1/rebalance", json=body, headers=AUTH)
    assert response.status_code == 422 and _codes(response) == ["H106"]


def test_size_and_time_limits() -> None:
    small = TestClient(create_app(ServiceSettings(max_body=1000)), raise_server_exceptions=False)
    json_type = {"content-type": "application/json"}
    big = small.post("/v1/check", content=b"{" + b" " * 2000 + b"}", headers=json_type)
    assert big.status_code == 413 and _codes(big) == ["H101"]
    chunks = small.post("/v1/check", content=iter([b" " * 600, b" " * 600]), headers=json_type)
    assert chunks.status_code == 413
    hasty = TestClient(create_app(ServiceSettings(policies=ROOT / "policies", time_limit=0.05)),
                       raise_server_exceptions=False)
    slow = hasty.post("/v1/rebalance", json={"account": _account_files(),
                                             "policy": _library("clients/executive.tailor")})
    assert slow.status_code == 504 and _codes(slow) == ["H102"]


def test_a_batch_job_runs_in_the_background(client: TestClient) -> None:
    accounts = [{"id": "jpm", "account": _account_files(), "policy": _library("clients/executive.tailor")},
                {"id": "broken", "policy": _library("clients/executive.tailor"),
                 "account": {"files": {"account.yaml": "lots: none.csv\n"}, "main": "account.yaml"}}]
    started = client.post("/v1/jobs", json={"accounts": accounts}, headers=AUTH)
    assert started.status_code == 202 and started.json()["accounts"] == 2
    job = started.json()["id"]
    deadline = time.monotonic() + 600  # two accounts; generous for a loaded machine, but bounded
    while (status := client.get(f"/v1/jobs/{job}", headers=AUTH).json())["state"] in ("queued", "running"):
        assert time.monotonic() < deadline, status
        time.sleep(0.2)
    assert status["state"] == "finished" and status["done"] == 2
    assert status["summary"]["totals"]["verified"] == 1 and status["summary"]["totals"]["errors"] == 1
    one = client.get(f"/v1/jobs/{job}/accounts/jpm", headers=AUTH).json()
    assert one["decision"]["status"] == "verified" and one["result"]["verified"]
    broken = client.get(f"/v1/jobs/{job}/accounts/broken", headers=AUTH).json()
    assert broken["decision"]["diagnostics"][0]["code"] == "A101"
    assert _codes(client.get("/v1/jobs/nope", headers=AUTH)) == ["H105"]
    assert client.get(f"/v1/jobs/{job}/accounts/nobody", headers=AUTH).status_code == 404


FUZZED = create_app(ServiceSettings(policies=ROOT / "policies", time_limit=20))
schema = schemathesis.openapi.from_asgi("/openapi.json", FUZZED)


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_generated_request_is_a_server_error(case) -> None:
    case.call_and_validate(checks=[not_a_server_error])
