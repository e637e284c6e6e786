"""A simulation's files, written atomically; the checkpoint a paused or stopped run resumes from.

    periods.csv / periods.parquet   one row per step (engine.records.PeriodRow)
    trades.csv / trades.parquet     every trade line, with its cost
    events.csv                      corporate actions on held names, names leaving the index
    basis_adjustments.csv           wash sales' disallowed losses carried into replacement lots
    years.csv                       each tax year: realized, carryforwards in and out, tax, how paid
    simulation.json                 `tailor.simulation/1`: status, screens, days without a plan,
                                    summary, and the sha256 of every table above
    timings.json                    seconds per stage (the one file that depends on the machine)
    checkpoint.json                 only while a run is unfinished: the exact ledger and the records

Every file is written in full to a temporary file in the folder and renamed into place, tables
first and simulation.json last, so a crash leaves the previous complete set or the new one. Same
spec, same bytes: money is rounded to the cent, fractions to fixed places, Parquet is written from
typed columns without pandas or timestamp metadata.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import json
import os
import tempfile
import typing
from datetime import date
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import TypeAdapter

from core.diagnostics import TailorError, error
from engine.records import SCHEMA, AdjustmentRow, EventRow, PeriodRow, SimulationResult, TradeRow, YearRow

if typing.TYPE_CHECKING:
    from engine.run import Run

EXACT = {"shares", "price", "per_share"}  # decimals kept as written; every other Decimal is money


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    return str(value)


def table_csv(rows: tuple, kind: type) -> bytes:
    names = [f.name for f in dataclasses.fields(kind)]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(names)
    for row in rows:
        writer.writerow([_text(getattr(row, name)) for name in names])
    return buffer.getvalue().encode()


def _arrow_type(name: str, hint: Any) -> pa.DataType:
    text = str(hint)
    if "Decimal" in text:
        return pa.string() if name in EXACT else pa.decimal128(20, 2)
    if "date" in text:
        return pa.date32()
    if "float" in text:
        return pa.float64()
    if "int" in text:
        return pa.int64()
    return pa.string()


def table_parquet(rows: tuple, kind: type) -> bytes:
    hints = typing.get_type_hints(kind)
    columns = {}
    for f in dataclasses.fields(kind):
        kind_of = _arrow_type(f.name, hints[f.name])
        values = [getattr(row, f.name) for row in rows]
        if kind_of == pa.string():
            values = [None if v is None else str(v) for v in values]
        columns[f.name] = pa.array(values, type=kind_of)
    buffer = pa.BufferOutputStream()
    pq.write_table(pa.table(columns), buffer, compression="zstd", store_schema=False)
    return buffer.getvalue().to_pybytes()


def simulation_json(result: SimulationResult, files: dict[str, bytes]) -> bytes:
    adapter = TypeAdapter(SimulationResult)
    data = adapter.dump_python(result, mode="json", exclude={"periods", "trades", "events", "adjustments",
                                                                    "timings"})
    body = {"schema": SCHEMA, **data, "steps_done": len(result.periods),
            "files": {name: hashlib.sha256(content).hexdigest() for name, content in sorted(files.items())}}
    return (json.dumps(body, indent=2) + "\n").encode()


def _write(out: Path, name: str, content: bytes) -> None:
    handle, temp = tempfile.mkstemp(dir=out, prefix=f".{name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(content)
        os.chmod(temp, 0o644)
        os.replace(temp, out / name)
    finally:
        Path(temp).unlink(missing_ok=True)


def write_outputs(result: SimulationResult, out: Path, unfinished: Run | None) -> list[Path]:
    """Write every file (and the checkpoint when the run is not complete; remove it when it is)."""
    tables: dict[str, bytes] = {
        "periods.csv": table_csv(result.periods, PeriodRow),
        "periods.parquet": table_parquet(result.periods, PeriodRow),
        "trades.csv": table_csv(result.trades, TradeRow),
        "trades.parquet": table_parquet(result.trades, TradeRow),
        "events.csv": table_csv(result.events, EventRow), "years.csv": table_csv(result.years, YearRow),
        "basis_adjustments.csv": table_csv(result.adjustments, AdjustmentRow)}
    try:
        out.mkdir(parents=True, exist_ok=True)
        for name, content in tables.items():
            _write(out, name, content)
        if unfinished is not None:
            save_checkpoint(out, unfinished)
        _write(out, "timings.json", (json.dumps(result.timings, indent=2, sort_keys=True) + "\n").encode())
        _write(out, "simulation.json", simulation_json(result, tables))
        if unfinished is None:
            (out / "checkpoint.json").unlink(missing_ok=True)
    except OSError as exc:
        raise TailorError(error("A118", f"--out {out}: cannot write: {exc.strerror or exc}", None,
                                "check the folder's permissions and free space")) from None
    return [out / name for name in (*tables, "simulation.json", "timings.json")]


def _run_adapter() -> TypeAdapter:
    from engine.run import Run

    return TypeAdapter(Run)


def save_checkpoint(out: Path, run: Run) -> None:
    out.mkdir(parents=True, exist_ok=True)
    _write(out, "checkpoint.json", _run_adapter().dump_json(run))


def load_checkpoint(out: Path, digest: str) -> Run | None:
    """The run saved in `out`, or None when there is none; M120 when it belongs to another spec (or
    the policy, account or data changed since)."""
    path = out / "checkpoint.json"
    if not path.is_file():
        return None
    try:
        run = _run_adapter().validate_json(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise TailorError(error("M120", f"{path} cannot be read: {str(exc).splitlines()[0]}", None,
                                "remove it to start the simulation over")) from None
    if run.digest != digest:
        raise TailorError(error("M120", f"{path} was written by another simulation (the spec, its policy, "
                                "its account or the data differ)", None,
                                "resume with the spec that started it, or remove the checkpoint to start "
                                "over"))
    return run
