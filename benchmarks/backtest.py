"""Backtest (issue 12 §5): harvesting daily, monthly and annually on the real history, ten-year cohorts.

    .venv/bin/python benchmarks/backtest.py run   [--cohorts 2011,2005,...] [--years 10] [--out out/backtest]
                                                  [--policy benchmarks/policies/index_members_only.tailor]
    .venv/bin/python benchmarks/backtest.py table [--cohorts …] [--out out/backtest] [--markdown]

`run` simulates each cohort at each cadence (annual, monthly, daily; `--cadences` to choose) and writes
each run's outputs to `OUT/<start>-<cadence>/` with the spec it ran (`spec.yaml`); a run whose folder
already holds a complete simulation is not repeated, so a run killed half-way continues where it was.
`table` reads every complete folder and prints the comparison (engine.backtest: after-tax returns
against an index fund, tax alpha with and without liquidation, tax paid, realized tracking error).

The account of every cohort: $1,000,000 of cash on the first trading day of February of the cohort's
year, invested on the first step in the S&P 500 members priced that day, run for `--years` years under
`policies/models/direct_index.tailor` (harvest losses over 5% and $500, tracking error at most 3%;
`--policy` names another, e.g. `benchmarks/policies/index_members_only.tailor`, which buys only the
day's index members and so cannot buy a future member ahead of its inclusion),
2 bp of spread on every trade, tax at 37% short-term, 20% long-term and on dividends, paid from the
account's cash each January (a net loss beyond the $3,000 offset is carried forward, not refunded),
fast path `bands` at every cadence. One core: HiGHS runs single-threaded and the BLAS threads are
pinned to one before numpy loads.
"""

from __future__ import annotations

import os

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import argparse  # noqa: E402 - after the thread pins, which must precede numpy's import
import json  # noqa: E402
import time  # noqa: E402
from datetime import date  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
POLICY = ROOT / "policies" / "models" / "direct_index.tailor"
# Spread over the period, so that an interrupted batch still covers its years.
COHORTS = (2011, 2005, 2000, 2008, 2003, 2009, 2001, 2006, 2010, 2002, 2007, 2004)
CADENCES = ("annual", "monthly", "daily")

SPEC = """\
# Backtest cohort {year}, {cadence} harvesting (benchmarks/backtest.py)
start: {start}
end: {end}
cadence: {cadence}
policy: {policy}
cash: 1000000
tax:
  short_term_rate: 0.37
  long_term_rate: 0.20
  dividend_rate: 0.20
  paid_from: cash
costs:
  spread_bp: 2
fast_path: bands
"""


def folder_of(out: Path, year: int, cadence: str) -> Path:
    return out / f"{year}-{cadence}"


def complete(folder: Path) -> bool:
    summary = folder / "simulation.json"
    return summary.is_file() and json.loads(summary.read_text()).get("status") == "complete"


def run(out: Path, cohorts: list[int], cadences: list[str], years: int, policy: Path) -> None:
    from engine import load_spec, simulate

    for year in cohorts:
        for cadence in cadences:
            folder = folder_of(out, year, cadence)
            if complete(folder):
                print(f"{folder.name}: done before", flush=True)
                continue
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "spec.yaml").write_text(
                SPEC.format(
                    year=year,
                    cadence=cadence,
                    start=date(year, 2, 1),
                    end=date(year + years, 1, 31),
                    policy=os.path.relpath(policy, folder),
                )
            )
            began = time.perf_counter()
            result = simulate(
                load_spec(folder / "spec.yaml"), out=folder, resume=(folder / "checkpoint.json").is_file()
            )
            s = result.summary
            print(
                f"{folder.name}: {result.status} in {time.perf_counter() - began:.0f} s; "
                f"{s.solved if s else 0} solved of {s.steps if s else 0}; load {os.getloadavg()[0]:.2f}",
                flush=True,
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=("run", "table"))
    parser.add_argument("--cohorts", default=",".join(map(str, COHORTS)))
    parser.add_argument("--cadences", default=",".join(CADENCES))
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--out", type=Path, default=ROOT / "out" / "backtest")
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--policy", type=Path, default=POLICY, help="the policy every run holds")
    args = parser.parse_args()
    if args.what == "run":
        run(args.out, [int(y) for y in args.cohorts.split(",")], args.cadences.split(","), args.years,
            args.policy.resolve())
    else:
        from engine.backtest import cohort_table

        print(cohort_table(args.out, args.markdown, {int(y) for y in args.cohorts.split(",")}))


if __name__ == "__main__":
    main()
