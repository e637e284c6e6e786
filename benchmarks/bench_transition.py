"""Transition report benchmark (issue 12 §3): the three-scenario report on the shipped legacy example.

    .venv/bin/python benchmarks/bench_transition.py [--start 2014-12-31] [--years 5] [--out DIR]

The account: examples/accounts/legacy_jpm (30 names, a quarter in JPM), replayed from --start;
scenarios immediate, over 3 years and over 5 years under the default base (tailor's defaults without
credit for harvested losses, tracking weight 20), annual rebalancing. One core: HiGHS runs
single-threaded and the BLAS threads are pinned to one before numpy loads. Prints wall and CPU
seconds (the report and each scenario), the load average before and after, and the figures set
beside the seed material's: the liquidation tax as a share of the account, each scenario's tax and
the tracking error it ends with.
"""

from __future__ import annotations

import os

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import argparse  # noqa: E402 - after the thread pins, which must precede numpy's import
import platform  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from datetime import date  # noqa: E402
from pathlib import Path  # noqa: E402

from engine.run import Progress  # noqa: E402
from engine.transition import TransitionRequest, transition_report  # noqa: E402
from engine.transition_output import write_report  # noqa: E402
from solver.tax import money_text  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
ACCOUNT = ROOT / "examples" / "accounts" / "legacy_jpm" / "account.yaml"
SEED_LIQUIDATION_TAX = 0.0721  # average liquidation tax cost in the seed material
SEED_TRACKING_ERROR = 0.0154  # tracking error after a tax-aware transition in the seed material


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--start", default="2014-12-31", type=date.fromisoformat)
    parser.add_argument("--years", default=5, type=int)
    parser.add_argument("--out", type=Path, help="keep the report here (default: a temporary folder)")
    args = parser.parse_args()
    print(f"python {platform.python_version()}, load average before {os.getloadavg()}")
    seconds: dict[str, float] = {}
    clock = {"last": time.perf_counter()}

    def step(name: str, _: Progress) -> None:
        now = time.perf_counter()
        seconds[name] = seconds.get(name, 0.0) + now - clock["last"]
        clock["last"] = now

    wall, cpu = time.perf_counter(), time.process_time()
    with tempfile.TemporaryDirectory() as scratch:
        out = args.out or Path(scratch)
        request = TransitionRequest(account=str(ACCOUNT), start=args.start, years=args.years)
        report = transition_report(request, folder=out, progress=step)
        write_report(report, out)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"report: {len(report.scenarios)} scenarios, {report.start} to {report.end}: {wall:.1f} s wall, "
          f"{cpu:.1f} s CPU (target: at most 60 s)")
    print("seconds per scenario (wall, the first includes loading the data): "
          + ", ".join(f"{name} {value:.1f}" for name, value in seconds.items()))
    share = float(report.liquidation_tax / report.start_value)
    print(f"account {money_text(report.start_value)}; selling every lot: tax "
          f"{money_text(report.liquidation_tax)} = {share:.2%} of it "
          f"(seed: {SEED_LIQUIDATION_TAX:.2%} on average)")
    for result in report.scenarios:
        last, first = result.years[-1], result.years[0]
        print(f"  {result.scenario.name}: tax {money_text(result.total_tax)} "
              f"({float(result.total_tax / report.start_value):.2%} of the start), tracking error "
              f"{first.tracking_error:.2%} after {first.year} → {last.tracking_error:.2%} after {last.year} "
              f"(seed: {SEED_TRACKING_ERROR:.2%}), legacy lots left {last.legacy_share:.1%}, "
              f"days without a plan {len(result.simulation.troubles)}")
    print(f"load average after {os.getloadavg()}")


if __name__ == "__main__":
    main()
