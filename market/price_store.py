"""The project's fast price format: wide numpy arrays built once from the shipped parquet.

Building reads the long parquet (2.4 M rows), validates it, pivots it to dates × tickers, repairs
the adjusted-close glitches, appends the S&P 500 ETFs priced from the index level, and saves one
uncompressed .npz in the cache directory, named by a digest of the source files (so editing the
data, or the repair rules via FORMAT_VERSION, rebuilds it). Later loads only read that file.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from core.paths import cache_dir, data_dir, file_digest
from market.etfs import SP500_ETFS
from market.price_checks import Repair, find_and_repair_glitches, repair_split_factors, validate_table

FORMAT_VERSION = "1"
PRICE_FILE = Path("market") / "sp500_daily_1999_2021.parquet"
INDEX_FILE = Path("market") / "sp500_index_daily_1990_2022.csv.gz"
FIELDS = ("close", "adjusted_close", "dividend_amount", "split_coefficient")


def source_paths() -> tuple[Path, Path]:
    root = data_dir()
    return root / PRICE_FILE, root / INDEX_FILE


def data_version() -> str:
    """Digest of the price sources and the repair rules: part of every derived cache key."""
    return f"{FORMAT_VERSION}-{file_digest(*source_paths())}"


def load_arrays() -> dict[str, np.ndarray]:
    """The arrays of the fast format (read-only memory maps), built and cached on first use."""
    version = data_version()
    path = cache_dir() / f"prices-{version}"
    if not path.is_dir():
        arrays = build_arrays()
        arrays["data_version"] = np.array(version)
        _save_directory(path, arrays)
    return {file.stem: np.load(file, mmap_mode="r", allow_pickle=False) for file in path.glob("*.npy")}


def _save_directory(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """Write every array into a fresh temporary directory, then rename it into place in one step."""
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    tmp.chmod(0o755)
    try:
        for name, values in arrays.items():
            np.save(tmp / f"{name}.npy", values, allow_pickle=False)
        os.rename(tmp, path)
    except OSError:
        if not path.is_dir():  # losing a race to another process that built the same data is fine
            raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def build_arrays() -> dict[str, np.ndarray]:
    price_path, index_path = source_paths()
    table = pq.read_table(price_path)
    validate_table(table, str(price_path))
    day_values = table.column("date").to_numpy().astype("datetime64[D]")
    ticker_values = table.column("ticker").to_numpy(zero_copy_only=False).astype(str)
    dates = np.unique(day_values)
    tickers = np.unique(ticker_values)
    rows = np.searchsorted(dates, day_values)
    cols = np.searchsorted(tickers, ticker_values)
    wide = {}
    for field in FIELDS:
        matrix = np.full((len(dates), len(tickers)), np.nan)
        matrix[rows, cols] = table.column(field).to_numpy()
        wide[field] = matrix
    adjusted, repairs = find_and_repair_glitches(dates, list(tickers), wide["close"], wide["adjusted_close"],
                                                 wide["dividend_amount"], wide["split_coefficient"])
    wide["adjusted_close"] = adjusted
    wide["split_coefficient"], split_repairs = repair_split_factors(
        dates, list(tickers), wide["close"], adjusted, wide["dividend_amount"], wide["split_coefficient"],
        repairs)
    repairs = sorted(repairs + split_repairs, key=lambda r: (r.date, r.ticker, r.kind))
    etf_close = _etf_closes(index_path, dates)
    etf_count = etf_close.shape[1]
    out = {field: np.hstack([wide[field], etf_extra]) for field, etf_extra in (
        ("close", etf_close), ("adjusted_close", etf_close),
        ("dividend_amount", np.where(np.isnan(etf_close), np.nan, 0.0)),
        ("split_coefficient", np.where(np.isnan(etf_close), np.nan, 1.0)))}
    out["dates"] = dates
    out["tickers"] = np.concatenate([tickers, np.array(list(SP500_ETFS))])
    out["etf_count"] = np.array(etf_count)
    out["repairs"] = np.array(json.dumps([r.model_dump(mode="json") for r in repairs]))
    return out


def _etf_closes(index_path: Path, dates: np.ndarray) -> np.ndarray:
    level = pd.read_csv(index_path, parse_dates=["Date"]).set_index("Date")["SP500"]
    level.index = level.index.values.astype("datetime64[D]")
    aligned = level.reindex(pd.Index(dates)).ffill().to_numpy()
    columns = []
    for etf in SP500_ETFS.values():
        listed = dates >= np.datetime64(etf.inception)
        columns.append(np.where(listed, aligned / etf.divisor, np.nan))
    return np.column_stack(columns)


def repairs_from(arrays: dict[str, np.ndarray]) -> tuple[Repair, ...]:
    return tuple(Repair.model_validate(item) for item in json.loads(str(arrays["repairs"])))
