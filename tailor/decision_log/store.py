"""The decision log: every decision of every command and batch, in an embedded SQLite file by default
or any database SQLAlchemy reaches (`--decision-log postgresql+psycopg://…`).

Each decision is appended in one transaction with its trades, so a crash mid-batch leaves every
recorded decision whole and its run without `finished_at`: a consistent log that says the run did not
finish. SQLite runs in WAL mode with a busy timeout, so concurrent commands append without failing.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, insert, inspect, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

from core.diagnostics import TailorError, error
from tailor.api.decision import Decision, engine_version
from tailor.decision_log.schema import LOG_SCHEMA, decisions, meta, metadata, runs, trades

ENV = "TAILOR_DECISION_LOG"
BUSY_SECONDS = 30


def default_url() -> str:
    """TAILOR_DECISION_LOG, else a SQLite file in the user's data folder (like a shell's history)."""
    if os.environ.get(ENV):
        return os.environ[ENV]
    home = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return str(home / "tailor" / "decisions.db")


def _url(given: str) -> str:
    """A database URL; a plain path is a SQLite file (its folder is created)."""
    if "://" in given:
        return given
    path = Path(given).expanduser().resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{path}"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _problem(url: str, exc: Exception) -> TailorError:
    shown = make_url(url).render_as_string(hide_password=True) if "://" in url else url
    reason = str(exc).splitlines()[0] if str(exc) else ""
    return TailorError(error("L101", f"decision log {shown}: {type(exc).__name__}: {reason}",
                             None, "give --decision-log a database URL (sqlite:///path/decisions.db, "
                             "postgresql+psycopg://user@host/db) or a file path, with its driver installed"))


def _add_missing_columns(conn: Connection) -> None:
    """A log written by an earlier tailor of the same schema lacks the nullable columns added since
    (trades' `disallowed_loss`): they are added, empty for the decisions recorded before. Columns are
    only ever added to `tailor.log/1`, never changed or removed (that would be a new schema)."""
    found = inspect(conn)
    for table in metadata.sorted_tables:
        have = {column["name"] for column in found.get_columns(table.name)}
        for column in table.columns:
            if column.name not in have and column.nullable:
                kind = column.type.compile(dialect=conn.dialect)
                conn.execute(text(f'ALTER TABLE {table.name} ADD COLUMN "{column.name}" {kind}'))


class DecisionLog:
    def __init__(self, url: str | None = None):
        given = url or default_url()
        try:
            self.url = _url(given)
            self.engine: Engine = create_engine(self.url)
            if self.engine.dialect.name == "sqlite":
                event.listen(self.engine, "connect", _sqlite_pragmas)
            metadata.create_all(self.engine)
            with self.engine.begin() as conn:
                _add_missing_columns(conn)
                found = conn.execute(select(meta.c.value).where(meta.c.key == "schema")).scalar()
                if found is None:
                    conn.execute(insert(meta).values(key="schema", value=LOG_SCHEMA))
        except (ArgumentError, NoSuchModuleError, SQLAlchemyError, OSError, ValueError) as exc:
            raise _problem(given, exc) from None
        if found not in (None, LOG_SCHEMA):
            raise TailorError(error("L102", f"decision log {given} holds schema {found}, not {LOG_SCHEMA}",
                                    None,
                                    "use the tailor version that wrote it, or another --decision-log"))

    def close(self) -> None:
        self.engine.dispose()

    def start_run(self, command: str, arguments: dict[str, Any]) -> str:
        run_id = uuid.uuid4().hex
        self._write(lambda conn: conn.execute(insert(runs).values(
            run_id=run_id, command=command, started_at=_now(), engine_version=engine_version(),
            arguments=json.dumps(arguments, sort_keys=True, default=str))))
        return run_id

    def finish_run(self, run_id: str, status: str) -> None:
        self._write(lambda conn: conn.execute(update(runs).where(runs.c.run_id == run_id).values(
            finished_at=_now(), status=status)))

    def record(self, run_id: str, decision: Decision) -> int:
        """Append one decision and its trades, all or nothing; its decision_id."""
        f = decision.figures
        row = {"run_id": run_id, "recorded_at": _now(), "id": decision.id, "account_id": decision.account_id,
               "household_id": decision.household_id,
               "as_of": decision.as_of.isoformat() if decision.as_of else None, "status": decision.status,
               "policy_name": decision.policy_name, "policy_hash": decision.policy_hash,
               "policy_sources": json.dumps(list(decision.policy_sources)),
               "account_file": decision.account_file, "policy_file": decision.policy_file,
               "account_hash": decision.account_hash, "market_source": decision.market_source,
               "market_digest": decision.market_digest, "engine_version": decision.engine_version,
               "time_limit": decision.time_limit, "mip_gap": decision.mip_gap, "input_key": decision.key,
               "plan_hash": decision.plan_hash, "conflict": json.dumps(list(decision.conflict)),
               "diagnostics": json.dumps([d.model_dump(mode="json") for d in decision.diagnostics]),
               "timings": json.dumps(decision.timings, sort_keys=True)}
        if f is not None:
            row |= f.model_dump()

        def write(conn: Any) -> int:
            decision_id = int(conn.execute(insert(decisions).values(**row)).inserted_primary_key[0])
            if decision.trades:
                conn.execute(insert(trades), [{"decision_id": decision_id, "seq": i,
                                               **{k: (v or None) for k, v in line.items()}}
                                              for i, line in enumerate(decision.trades, start=1)])
            return decision_id

        return self._write(write)

    def _write(self, body: Any) -> Any:
        try:
            with self.engine.begin() as conn:
                return body(conn)
        except SQLAlchemyError as exc:
            raise _problem(self.url, exc) from None

    @contextmanager
    def run(self, command: str, arguments: dict[str, Any]) -> Iterator[str]:
        """A run around a command: `failed` when it raises, `finished` otherwise."""
        run_id = self.start_run(command, arguments)
        try:
            yield run_id
        except BaseException:
            self.finish_run(run_id, "failed")
            raise
        self.finish_run(run_id, "finished")


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers never block the appending writer
    cursor.execute(f"PRAGMA busy_timeout={BUSY_SECONDS * 1000}")  # concurrent commands wait their turn
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()
