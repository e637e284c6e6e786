"""Market-data timings: loading prices and the security master, building a risk model, and
evaluating ex-ante tracking error (value and gradient) for ~500 names.

    .venv/bin/python benchmarks/bench_data.py
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from market import master as master_module  # noqa: E402
from market import prices as prices_module  # noqa: E402
from market.index import index_weights  # noqa: E402
from market.price_store import build_arrays, source_paths  # noqa: E402
from market.risk_build import build_risk_model  # noqa: E402

AS_OF = date(2020, 12, 31)


def timed(action: Callable[[], object], repeat: int) -> tuple[float, float]:
    """(median, best) wall seconds over `repeat` runs."""
    runs = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        runs.append(time.perf_counter() - started)
    return statistics.median(runs), min(runs)


def report(label: str, seconds: tuple[float, float], unit: str = "ms") -> None:
    scale = {"ms": 1e3, "us": 1e6, "s": 1.0}[unit]
    print(f"{label:<58} median {seconds[0] * scale:9.2f} {unit}   best {seconds[1] * scale:9.2f} {unit}")


def fresh_prices() -> object:
    prices_module.load_prices.cache_clear()
    return prices_module.load_prices()


def fresh_master() -> object:
    master_module.load_master.cache_clear()
    return master_module.load_master()


def main() -> None:
    price_path, _ = source_paths()
    fresh_prices()  # make sure the fast format exists before timing its load
    report("raw parquet, pandas.read_parquet (for comparison)", timed(lambda: pd.read_parquet(price_path), 3))
    report("build fast format from parquet (validate, pivot, repair)", timed(build_arrays, 2))
    report("load_prices() from the fast format (whole history)", timed(fresh_prices, 7))
    prices = prices_module.load_prices()
    in_new_process = [sys.executable, "-c", "from market import load_prices; load_prices()"]
    report("new process: start Python, import pandas, load_prices()",
           timed(lambda: subprocess.run(in_new_process, check=True, cwd=ROOT), 3))
    report("  … then touch every close (page in the memory map)",
           timed(lambda: float(np.nansum(prices.close.to_numpy())), 5))
    report("load_master() (security master + screens + membership)", timed(fresh_master, 7))
    report(f"index_weights({AS_OF}, 'cap')", timed(lambda: index_weights(AS_OF, "cap"), 5))
    report(f"build_risk_model({AS_OF})", timed(lambda: build_risk_model(AS_OF), 3), "s")

    model = build_risk_model(AS_OF)
    benchmark = index_weights(AS_OF, "cap")
    rng = np.random.default_rng(0)
    tilted = benchmark * np.exp(0.3 * rng.standard_normal(len(benchmark)))
    active_series = (tilted / tilted.sum()).sub(benchmark, fill_value=0.0)
    active = model.to_array(active_series)
    print(f"tracking error of {len(model.tickers)} names, {len(model.factor_names)} factors "
          f"(a random tilt: TE {model.tracking_error_array(active):.2%})")
    report("  tracking_error_array(a)", timed(lambda: model.tracking_error_array(active), 2000), "us")
    report("  gradient_array(a)", timed(lambda: model.gradient_array(active), 2000), "us")
    report("  tracking_error(pd.Series) incl. alignment",
           timed(lambda: model.tracking_error(active_series), 200), "us")
    dense = model.covariance()
    report("  dense sqrt(aᵀΣa) with Σ precomputed (reference)",
           timed(lambda: float(np.sqrt(active @ dense @ active)), 2000), "us")


if __name__ == "__main__":
    main()
