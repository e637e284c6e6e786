"""What the HTTP service takes and gives (its OpenAPI schema is generated from these models).

Files travel in the request body as text, named as they would be in a folder: an account is its
account.yaml and the files it names, a policy its files (or a path in the service's policy library),
a market snapshot its snapshot.yaml and tables. They are read by the CLI's loaders, with the CLI's
diagnostics. Every model forbids unknown fields: a field the service ignored could hold a setting the
caller expects to apply.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from core.diagnostics import Diagnostic
from tailor.api.decision import Decision
from tailor.batch.summary import BookReport

ERROR_SCHEMA = "tailor.error/1"
JOB_SCHEMA = "tailor.job/1"
MAX_FILES = 20
MAX_HOUSEHOLD_FILES = 60  # a household of several accounts, each with up to three files, and its policies
FileName = Annotated[str, Field(min_length=1, max_length=200)]


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class FileSet(_Request):
    """Files by name (relative, `/` between folders), and which one is the entry point."""

    files: dict[FileName, str] = Field(max_length=MAX_FILES)
    main: FileName


class LibraryPolicy(_Request):
    path: FileName  # a policy file in the service's library (--policies), e.g. clients/executive.tailor


class PolicyRef(_Request):
    """A policy from the service's library, or sent as files (which may extend each other)."""

    library: LibraryPolicy | None = None
    files: FileSet | None = None


class Options(_Request):
    time_limit: float | None = Field(default=None, gt=0, le=3600)  # capped by the service's own limit
    gap: float | None = Field(default=None, ge=0, lt=1)


class CheckRequest(_Request):
    policies: list[PolicyRef] = Field(min_length=1, max_length=MAX_FILES)


class RebalanceRequest(_Request):
    account: FileSet
    policy: PolicyRef
    market: FileSet | None = None  # a market snapshot; default: the bundled history on the as-of date
    as_of: date | None = None
    options: Options = Options()


class HouseholdFiles(FileSet):
    """A household: its household.yaml (`main`), every account's files and the policies it names, by
    their paths relative to household.yaml (`joint/account.yaml`, `policies/smith.tailor`)."""

    files: dict[FileName, str] = Field(max_length=MAX_HOUSEHOLD_FILES)


class HouseholdRequest(_Request):
    household: HouseholdFiles
    mode: Literal["household", "sleeves"]  # one model for every account, or each account on its own
    options: Options = Options()


class JobAccount(_Request):
    id: Annotated[str, Field(pattern=r"^[A-Za-z0-9_][A-Za-z0-9._-]{0,99}$")]
    account: FileSet
    policy: PolicyRef
    market: FileSet | None = None
    as_of: date | None = None


class JobRequest(_Request):
    accounts: list[JobAccount] = Field(min_length=1, max_length=1000)
    options: Options = Options()


class ServiceError(Exception):
    """An HTTP error of the service's own (not a refused input): its status and diagnostic."""

    def __init__(self, status: int, diagnostic: Diagnostic):
        super().__init__(diagnostic.message)
        self.status, self.diagnostic = status, diagnostic


class ErrorBody(BaseModel):
    """Every error the service answers: the HTTP status and diagnostics with the CLI's codes."""

    model_config = ConfigDict(populate_by_name=True)

    schema_: Literal["tailor.error/1"] = Field(default=ERROR_SCHEMA, alias="schema")
    status: int
    diagnostics: tuple[Diagnostic, ...]


class JobStatus(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    schema_: Literal["tailor.job/1"] = Field(default=JOB_SCHEMA, alias="schema")
    id: str
    state: Literal["queued", "running", "finished", "failed"]
    accounts: int
    done: int
    summary: BookReport | None = None  # when finished
    diagnostics: tuple[Diagnostic, ...] = ()  # why it failed (a book that did not load)


class JobAccountResult(BaseModel):
    """One account of a finished (or running) job: its decision and, when it has one, its result.json."""

    decision: Decision
    result: dict | None = None


class Health(BaseModel):
    status: Literal["ok"] = "ok"
    version: str
