"""`tailor serve`: the API over HTTP (FastAPI). check, rebalance, explain and a household (in one model
or as sleeves) answer at once; batch jobs run in the background on the batch machinery and are polled.

Every error is a `tailor.error/1` body with diagnostics carrying the CLI's codes: 422 for inputs the
CLI would refuse (P…, A…, D…) or a body that does not match the schema (H104), 401 without the
bearer token (H103), 404 for an unknown job (H105), 413 for a body over the limit (H101), 504 past the
time limit (H102). An unexpected exception is a bug; it is still answered in that shape (500).
"""

from __future__ import annotations

import secrets
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, TypeVar

import anyio
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from core.diagnostics import Diagnostic, TailorError, error
from engine.explain.schema import Explanation
from engine.rebalance import RebalanceOptions
from solver.household_files import load_household
from tailor.api.decision import engine_version
from tailor.api.engine import check, explain, rebalance
from tailor.api.household import HouseholdReport, household
from tailor.api.models import CheckReport, RebalanceReport
from tailor.decision_log.record import record_decisions, record_report
from tailor.decision_log.store import DecisionLog
from tailor.service.files import confine_policies, hide_folder, policy_path, write_files
from tailor.service.jobs import Jobs
from tailor.service.limits import BodyLimit
from tailor.service.models import (
    CheckRequest,
    ErrorBody,
    Health,
    HouseholdRequest,
    JobAccountResult,
    JobRequest,
    JobStatus,
    Options,
    RebalanceRequest,
    ServiceError,
)

T = TypeVar("T")
# Module level, not in create_app: FastAPI resolves the (postponed) annotations in this module's globals.
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(HTTPBearer(auto_error=False))]


@dataclass(frozen=True)
class ServiceSettings:
    policies: Path | None = None  # the policy library requests may name
    token: str | None = None  # bearer token; None: no authentication (bind to localhost then)
    max_body: int = 10_000_000  # bytes
    time_limit: float = 60.0  # seconds per request, and the most a solve is given
    workers: int = 1  # batch jobs' local processes
    scheduler: str | None = None  # or a Dask cluster for batch jobs
    decision_log: str | None = None


def _body(status: int, diagnostics: list[Diagnostic] | tuple[Diagnostic, ...]) -> JSONResponse:
    body = ErrorBody(status=status, diagnostics=tuple(diagnostics))
    return JSONResponse(body.model_dump(mode="json", by_alias=True), status_code=status)


ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorBody, "description": text}
    for code, text in ((401, "no or wrong bearer token (H103)"), (413, "body too large (H101)"),
                       (422, "inputs refused, with the CLI's codes, or a body off the schema (H104)"),
                       (504, "past the service's time limit (H102)"))}


def create_app(settings: ServiceSettings = ServiceSettings()) -> FastAPI:
    app = FastAPI(title="tailor", version=engine_version(), description=(
        "Tax-managed rebalancing: check policies, rebalance and explain accounts, run batch jobs. "
        "Errors are tailor.error/1 bodies with the CLI's diagnostic codes (docs/errors.md)."),
        responses=ERRORS)
    app.add_middleware(BodyLimit, limit=settings.max_body)
    solving = threading.Lock()  # one solve at a time: Pyomo's model building is not thread-safe
    log = DecisionLog(settings.decision_log)
    jobs = Jobs(settings, log)
    def authorised(credentials: Credentials) -> None:
        if settings.token is None:
            return
        given = credentials.credentials if credentials is not None else ""
        if not secrets.compare_digest(given.encode(), settings.token.encode()):
            raise ServiceError(401, error("H103", "missing or wrong bearer token", None,
                                          "send `Authorization: Bearer <token>`"))

    @app.exception_handler(TailorError)
    async def refused(_: Request, exc: TailorError) -> JSONResponse:
        return _body(422, exc.diagnostics)

    @app.exception_handler(ServiceError)
    async def service_error(_: Request, exc: ServiceError) -> JSONResponse:
        response = _body(exc.status, [exc.diagnostic])
        if exc.status == 401:
            response.headers["WWW-Authenticate"] = "Bearer"
        return response

    @app.exception_handler(RequestValidationError)
    async def off_schema(_: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [error("H104", f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"[:300], None,
                          "see the OpenAPI schema, GET /openapi.json") for e in exc.errors()[:25]]
        return _body(422, problems)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = "H105" if exc.status_code == 404 else "H104"
        return _body(exc.status_code, [error(code, str(exc.detail), None, "see GET /docs for the endpoints")])

    async def solve(work: Callable[[], T]) -> T:
        """Run `work` in a thread, one solve at a time, within the service's time limit."""
        def locked() -> T:
            with solving:
                return work()
        try:
            with anyio.fail_after(settings.time_limit):  # the thread runs on: the solve's limit ends it
                return await anyio.to_thread.run_sync(locked, abandon_on_cancel=True)
        except TimeoutError:
            raise ServiceError(504, error("H102", f"the request took longer than {settings.time_limit:g} s",
                                          None, "start a batch job (POST /v1/jobs) for long work")) from None

    def options(given: Options) -> RebalanceOptions:
        default = RebalanceOptions()
        limit = min(given.time_limit or default.time_limit, settings.time_limit)
        return RebalanceOptions(time_limit=limit, mip_gap=default.mip_gap if given.gap is None else given.gap)

    @app.get("/v1/health", response_model=Health)
    def health() -> Health:
        return Health(version=engine_version())

    @app.post("/v1/check", response_model=CheckReport, dependencies=[Depends(authorised)])
    async def check_policies(request: CheckRequest) -> CheckReport:
        def work() -> CheckReport:
            with tempfile.TemporaryDirectory(prefix="tailor-check-") as folder:
                try:
                    paths = [policy_path(ref, settings.policies, Path(folder) / str(i))
                             for i, ref in enumerate(request.policies)]
                    report = check(paths)
                except TailorError as exc:
                    raise hide_folder(exc, Path(folder)) from None
                hidden = hide_folder(TailorError(list(report.diagnostics)), Path(folder)).diagnostics
                files = tuple(f.model_copy(update={"file": f.file.replace(f"{folder}/", "")})
                              for f in report.files)
                return report.model_copy(update={"diagnostics": tuple(hidden), "files": files})
        return await solve(work)

    def _rebalanced(request: RebalanceRequest, explaining: bool) -> RebalanceReport | Explanation:
        with tempfile.TemporaryDirectory(prefix="tailor-rebalance-") as folder:
            try:
                return _in_folder(request, explaining, Path(folder))
            except TailorError as exc:
                raise hide_folder(exc, Path(folder)) from None

    def _in_folder(request: RebalanceRequest, explaining: bool, root: Path) -> RebalanceReport | Explanation:
        account = write_files(request.account, root / "account")
        policy = policy_path(request.policy, settings.policies, root / "policy")
        market = write_files(request.market, root / "market").parent if request.market else None
        chosen = options(request.options)
        if explaining:
            return explain(account, policy, market, as_of=request.as_of, options=chosen)
        report = rebalance(account, policy, market, as_of=request.as_of, options=chosen)
        record_report(log, "serve", {"endpoint": "/v1/rebalance"}, report, chosen)
        return report

    @app.post("/v1/rebalance", response_model=RebalanceReport, dependencies=[Depends(authorised)])
    async def rebalance_account(request: RebalanceRequest) -> Any:
        return await solve(lambda: _rebalanced(request, explaining=False))

    @app.post("/v1/explain", response_model=Explanation, dependencies=[Depends(authorised)])
    async def explain_account(request: RebalanceRequest) -> Any:
        return await solve(lambda: _rebalanced(request, explaining=True))

    def _household(request: HouseholdRequest) -> HouseholdReport:
        with tempfile.TemporaryDirectory(prefix="tailor-household-") as folder:
            root = Path(folder)
            chosen = options(request.options)
            try:
                # household.yaml names only files of the request (A145), its policies likewise (H106)
                loaded = load_household(write_files(request.household, root), inside=root)
                policies = [loaded.policy, *(m.policy for m in loaded.accounts if m.policy)]
                confine_policies([Path(p) for p in policies], root)
                report = household(loaded, request.mode, chosen)
            except TailorError as exc:
                raise hide_folder(exc, root) from None
        record_decisions(log, "serve", {"endpoint": "/v1/household", "mode": request.mode},
                         [(plan.result, list(plan.diagnostics), None) for plan in report.plans], chosen)
        return report

    @app.post("/v1/household", response_model=HouseholdReport, dependencies=[Depends(authorised)])
    async def household_accounts(request: HouseholdRequest) -> Any:
        return await solve(lambda: _household(request))

    @app.post("/v1/jobs", response_model=JobStatus, status_code=202, dependencies=[Depends(authorised)])
    async def start_job(request: JobRequest) -> JobStatus:
        return await run_in_threadpool(jobs.start, request)

    @app.get("/v1/jobs/{job_id}", response_model=JobStatus, dependencies=[Depends(authorised)])
    def job_status(job_id: str) -> JobStatus:
        return jobs.status(job_id)

    @app.get("/v1/jobs/{job_id}/accounts/{account_id}", response_model=JobAccountResult,
             dependencies=[Depends(authorised)])
    def job_account(job_id: str, account_id: str) -> JobAccountResult:
        return jobs.account(job_id, account_id)

    return app
