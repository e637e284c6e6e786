"""Batch jobs of the service: a book sent as JSON, run in the background by the batch machinery (one
job at a time; its accounts on the service's pool or Dask cluster), polled by id.

Jobs live in memory and in a temporary folder each, for as long as the service runs; the oldest
finished jobs are dropped past `MAX_JOBS`. Their decisions go to the decision log like any batch's.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import tempfile
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from rich.console import Console

from core.diagnostics import Diagnostic, TailorError, error
from tailor.batch.book import ID_PATTERN
from tailor.batch.runner import BatchSettings, previous_decision, run_batch
from tailor.batch.summary import BookReport
from tailor.decision_log.store import DecisionLog
from tailor.service.files import policy_path, write_files
from tailor.service.models import JobAccountResult, JobRequest, JobStatus, ServiceError

if TYPE_CHECKING:
    from tailor.service.app import ServiceSettings

MAX_JOBS = 100


@dataclass
class Job:
    id: str
    folder: Path
    accounts: int
    state: Literal["queued", "running", "finished", "failed"] = "queued"
    done: int = 0
    report: BookReport | None = None
    diagnostics: tuple[Diagnostic, ...] = ()
    lock: threading.Lock = field(default_factory=threading.Lock)

    def status(self) -> JobStatus:
        with self.lock:
            return JobStatus(id=self.id, state=self.state, accounts=self.accounts, done=self.done,
                             summary=self.report, diagnostics=self.diagnostics)


class Jobs:
    def __init__(self, settings: ServiceSettings, log: DecisionLog):
        self.settings, self.log = settings, log
        self.jobs: dict[str, Job] = {}
        self.runner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tailor-job")
        self.lock = threading.Lock()

    def start(self, request: JobRequest) -> JobStatus:
        """Lay the book out in the job's folder (refusing unsafe files now, 422) and queue it."""
        job = Job(id=uuid.uuid4().hex, folder=Path(tempfile.mkdtemp(prefix="tailor-job-")),
                  accounts=len(request.accounts))
        try:
            book = self._book(request, job.folder)
        except BaseException:
            shutil.rmtree(job.folder, ignore_errors=True)
            raise
        with self.lock:
            self._evict()
            self.jobs[job.id] = job
        self.runner.submit(self._run, job, book, request)
        return job.status()

    def _book(self, request: JobRequest, folder: Path) -> Path:
        ids = [a.id for a in request.accounts]
        if len(set(ids)) != len(ids):
            duplicate = next(i for i in ids if ids.count(i) > 1)
            raise TailorError(error("B105", f"account id {duplicate!r} is given twice", None,
                                    "give each account of the job its own id"))
        rows = []
        for entry in request.accounts:
            where = folder / "inputs" / entry.id
            account = write_files(entry.account, where / "account")
            policy = policy_path(entry.policy, self.settings.policies, where / "policy")
            market = write_files(entry.market, where / "market").parent if entry.market else None
            rows.append({"id": entry.id, "account": str(account), "policy": str(policy),
                         "as_of": entry.as_of.isoformat() if entry.as_of else "",
                         "market": str(market) if market else ""})
        book = folder / "book.csv"
        with book.open("w", newline="") as out:
            writer = csv.DictWriter(out, ("id", "account", "policy", "as_of", "market"), lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
        return book

    def _run(self, job: Job, book: Path, request: JobRequest) -> None:
        with job.lock:
            job.state = "running"

        def advanced() -> None:
            with job.lock:
                job.done += 1

        limit = min(request.options.time_limit or self.settings.time_limit, self.settings.time_limit)
        settings = BatchSettings(workers=None if self.settings.scheduler else self.settings.workers,
                                 scheduler=self.settings.scheduler, time_limit=limit,
                                 **({} if request.options.gap is None else {"mip_gap": request.options.gap}))
        try:
            report = run_batch(book, job.folder / "out", settings, log=self.log,
                               console=Console(file=io.StringIO()), on_outcome=advanced)
        except TailorError as exc:
            with job.lock:
                job.state, job.diagnostics = "failed", tuple(exc.diagnostics)
            return
        except Exception as exc:  # a bug: the job says so rather than running for ever
            with job.lock:
                job.state = "failed"
                job.diagnostics = (error("B110", f"internal error: {type(exc).__name__}: {exc}", None,
                                         "this is a bug in tailor; please report it"),)
            return
        with job.lock:
            job.state, job.report = "finished", report

    def _evict(self) -> None:
        finished = [j for j in self.jobs.values() if j.state in ("finished", "failed")]
        for job in finished[:max(0, len(self.jobs) + 1 - MAX_JOBS)]:
            del self.jobs[job.id]
            shutil.rmtree(job.folder, ignore_errors=True)

    def _job(self, job_id: str) -> Job:
        job = self.jobs.get(job_id)
        if job is None:
            raise ServiceError(404, error("H105", f"no job {job_id[:40]!r}", None,
                                          "use the id POST /v1/jobs returned (jobs last while the service "
                                          "runs)"))
        return job

    def status(self, job_id: str) -> JobStatus:
        return self._job(job_id).status()

    def account(self, job_id: str, account_id: str) -> JobAccountResult:
        job = self._job(job_id)
        folder = job.folder / "out" / account_id
        decision = previous_decision(folder / "decision.json") if ID_PATTERN.fullmatch(account_id) else None
        if decision is None:
            raise ServiceError(404, error("H105", f"job {job_id[:12]} has no decision for account "
                                          f"{account_id[:40]!r} yet", None,
                                          "poll the job until it has run the account"))
        result_file = folder / "result.json"
        result: dict[str, Any] | None = json.loads(result_file.read_text()) if result_file.exists() else None
        return JobAccountResult(decision=decision, result=result)
