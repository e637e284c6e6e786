"""Is the risk model calibrated? Forecast vs realized tracking error on the shipped history.

For many dates, build the model as of the date, form active portfolios against the cap-weighted
S&P 500 of that date, forecast their tracking error, then measure the realized tracking error of
the same (fixed) weights over the following `--horizon` trading days. The bias statistic is
realized / forecast: near 1 means calibrated; its spread includes the sampling noise of a
`horizon`-day realized volatility (about 1/sqrt(2·horizon), ~9% at 63 days).

    .venv/bin/python benchmarks/risk_calibration.py                 # quarterly 2002–2020 (~2 min)
    .venv/bin/python benchmarks/risk_calibration.py --step 12       # yearly, quicker
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from market.index import index_weights, renormalise
from market.master import load_master
from market.prices import load_prices
from market.risk_build import HALF_LIFE, LOOKBACK, build_risk_model


def active_portfolios(benchmark: pd.Series, rng: np.random.Generator) -> list[tuple[str, pd.Series]]:
    master = load_master()
    out = []
    for sector in master.sectors:
        members = set(master.in_sector(sector)) & set(benchmark.index)
        if members and benchmark[list(members)].sum() < 0.9:
            out.append(("minus a sector", renormalise(benchmark, members)))
    for category in ("fossil_fuels", "weapons", "alcohol"):
        out.append(("minus a screen", renormalise(benchmark, master.screen(category, "extended"))))
    for _ in range(10):
        dropped = rng.choice(benchmark.index, size=50, replace=False)
        out.append(("minus 50 random names", renormalise(benchmark, dropped)))
    for _ in range(10):
        tilted = benchmark * np.exp(0.5 * rng.standard_normal(len(benchmark)))
        out.append(("random tilt", tilted / tilted.sum()))
    for _ in range(5):
        kept = rng.choice(benchmark.index, size=100, replace=False, p=benchmark.to_numpy())
        sample = benchmark[kept]
        out.append(("100-name cap sample", sample / sample.sum()))
    return [(kind, portfolio.sub(benchmark, fill_value=0.0)) for kind, portfolio in out]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--start", default="2002-01-01")
    parser.add_argument("--end", default="2020-12-31")
    parser.add_argument("--step", type=int, default=3, help="months between forecast dates")
    parser.add_argument("--horizon", type=int, default=63, help="trading days of realized returns")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--half-life", type=float, default=HALF_LIFE, help="days (model default)")
    parser.add_argument("--lookback", type=int, default=LOOKBACK, help="days (model default)")
    args = parser.parse_args()
    prices = load_prices()
    rng = np.random.default_rng(args.seed)
    rows = []
    started = time.perf_counter()
    for stamp in pd.date_range(args.start, args.end, freq=f"{args.step}MS"):
        as_of = stamp.date()
        row = prices.row_on(as_of)
        if row + args.horizon >= len(prices.dates):
            break
        model = build_risk_model(as_of, lookback=args.lookback, half_life=args.half_life)
        benchmark = index_weights(as_of, "cap")
        future = prices.returns.iloc[row + 1: row + 1 + args.horizon]
        for kind, active in active_portfolios(benchmark, rng):
            forecast = model.tracking_error(active)
            daily = future[active.index].fillna(0.0).to_numpy() @ active.to_numpy()
            realized = float(np.std(daily, ddof=1) * np.sqrt(252))
            rows.append({"date": as_of, "kind": kind, "forecast": forecast, "realized": realized})
    results = pd.DataFrame(rows)
    results["ratio"] = results["realized"] / results["forecast"]
    elapsed = time.perf_counter() - started
    print(f"model: lookback {args.lookback} days, half-life {args.half_life:g} days")
    print(f"{results['date'].nunique()} dates {results['date'].min()} … {results['date'].max()}, "
          f"{len(results)} portfolios, horizon {args.horizon} trading days, {elapsed:.0f} s")
    summary = results.groupby("kind")["ratio"].describe(percentiles=[0.1, 0.5, 0.9])
    summary["mean forecast"] = results.groupby("kind")["forecast"].mean()
    summary.loc["all"] = results["ratio"].describe(percentiles=[0.1, 0.5, 0.9])
    summary.loc["all", "mean forecast"] = results["forecast"].mean()
    columns = ["count", "mean", "std", "10%", "50%", "90%", "mean forecast"]
    print("bias statistic = realized TE / forecast TE")
    print(summary[columns].to_string(float_format=lambda v: f"{v:.3f}"))
    by_year = results.groupby(pd.to_datetime(results["date"]).dt.year)["ratio"].mean()
    print("mean bias by year:", " ".join(f"{y}:{v:.2f}" for y, v in by_year.items()))
    log_ratio = np.log(results["ratio"])
    print(f"geometric mean bias {np.exp(log_ratio.mean()):.3f}; share of tests with realized within "
          f"±25% of forecast: {(np.abs(log_ratio) < np.log(1.25)).mean():.1%}")


if __name__ == "__main__":
    main()
