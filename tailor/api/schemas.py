"""The published JSON Schemas: one file per versioned result, `docs/schemas/<name>.json`.

`tailor schemas --write docs/schemas` regenerates them (`make docs`); a test fails when a model and its
published schema differ, so a change to a result's shape is seen in review, with its version.
"""

from __future__ import annotations

import json

from pydantic import BaseModel

from engine.explain.schema import SCHEMA as EXPLANATION_SCHEMA
from engine.explain.schema import Explanation
from engine.household_summary import SCHEMA as HOUSEHOLD_SCHEMA
from engine.household_summary import HouseholdSummary
from solver.result import SCHEMA as RESULT_SCHEMA
from solver.result import RebalanceResult
from tailor.api.decision import DECISION_SCHEMA, Decision
from tailor.api.household import HOUSEHOLD_RUN_SCHEMA, HouseholdReport
from tailor.api.models import CHECK_SCHEMA, REBALANCE_SCHEMA, CheckReport, RebalanceReport
from tailor.batch.summary import BOOK_SCHEMA, BookReport
from tailor.service.models import ERROR_SCHEMA, JOB_SCHEMA, ErrorBody, JobStatus

SCHEMAS: dict[str, type[BaseModel]] = {
    CHECK_SCHEMA: CheckReport,
    REBALANCE_SCHEMA: RebalanceReport,
    RESULT_SCHEMA: RebalanceResult,
    EXPLANATION_SCHEMA: Explanation,
    DECISION_SCHEMA: Decision,
    BOOK_SCHEMA: BookReport,
    HOUSEHOLD_SCHEMA: HouseholdSummary,
    HOUSEHOLD_RUN_SCHEMA: HouseholdReport,
    JOB_SCHEMA: JobStatus,
    ERROR_SCHEMA: ErrorBody,
}


def file_name(schema: str) -> str:
    """`tailor.result/1` → `tailor.result.v1.json`."""
    name, version = schema.split("/")
    return f"{name}.v{version}.json"


def schema_text(schema: str) -> str:
    body = SCHEMAS[schema].model_json_schema(mode="serialization", by_alias=True)
    body = {"$id": schema, "title": schema, **{k: v for k, v in body.items() if k != "title"}}
    return json.dumps(body, indent=2, sort_keys=True) + "\n"
