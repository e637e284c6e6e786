"""Simulation benchmark (issue 12 §2): an S&P 500 direct index simulated for ten years.

    .venv/bin/python benchmarks/bench_simulate.py monthly        # 10 years, monthly steps
    .venv/bin/python benchmarks/bench_simulate.py daily          # 10 years, daily steps, fast path `bands`
    .venv/bin/python benchmarks/bench_simulate.py growth         # time against years (monthly) and names
    .venv/bin/python benchmarks/bench_simulate.py screens        # proof against bands on 3 daily months
    [--years N] [--fast-path proof|bands|off] [--profile]

The account: $1,000,000 of cash on 2011-04-21, invested on the first step in every S&P 500 member
priced that day (about 420 names: the data has only April-2021 members, so earlier dates have fewer),
then run under `policies/models/direct_index.tailor` (harvest losses over 5% and $500, $100 minimum
trade, household wash sales, tracking error at most 3%), costs 2 bp of each trade, tax paid from
outside. "names" runs the same on the N largest members of the start date (a target model file).
One core: HiGHS runs single-threaded and the BLAS threads are pinned to one before numpy loads. Prints
wall and CPU seconds, the steps solved and skipped, seconds per solve and per skipped step, the load
average before and after, and with --profile where the time goes.
"""

from __future__ import annotations

import os

for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import argparse  # noqa: E402 - after the thread pins, which must precede numpy's import
import cProfile  # noqa: E402
import platform  # noqa: E402
import pstats  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from datetime import date  # noqa: E402
from decimal import Decimal  # noqa: E402
from pathlib import Path  # noqa: E402

from engine import SimulationResult, SimulationSpec, simulate  # noqa: E402
from engine.run import Progress  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
POLICY = ROOT / "policies" / "models" / "direct_index.tailor"
END = date(2021, 4, 21)


def spec(years: int, cadence: str, fast_path: str = "bands", policy: Path = POLICY) -> SimulationSpec:
    start = date(END.year - years, END.month, END.day)
    return SimulationSpec(start=start, end=END, cadence=cadence, policy=str(policy), cash=Decimal(1_000_000),
                          costs={"spread_bp": Decimal(2)}, fast_path=fast_path)  # type: ignore[arg-type]


def top_names_policy(folder: Path, names: int, day: date) -> Path:
    """The direct-index policy tracking the `names` largest members on `day` (cap weights)."""
    from market.index import index_weights

    weights = index_weights(day, "cap").nlargest(names)
    weights = weights / weights.sum()
    rows = "".join(f"{t},{float(w)!r}\n" for t, w in weights.items())
    (folder / "top.csv").write_text("ticker,weight\n" + rows)
    firm = POLICY.parent.parent / "firm" / "default.tailor"
    text = POLICY.read_text().replace('extends "../firm/default.tailor"', f'extends "{firm}"')
    (folder / "policy.tailor").write_text(text + '\ntarget model "top.csv"\nrestrict buying outside target\n')
    return folder / "policy.tailor"


# Where the time goes (--profile): cumulative CPU seconds of these functions under a CPU-time profiler.
# Indented stages are part of the stage above them. The profiler's own cost inflates the Python-heavy
# stages several-fold (the hand-off to HiGHS: 28 s under it, 3.3 s without, on the monthly run);
# HiGHS's runs are native code and are not inflated.
STAGES = (
    ("simulation", "engine/run.py", "simulate"),
    ("  rebalances", "engine/rebalance.py", "plan"),
    ("    base model", "solver/model.py", "__init__"),
    ("    rules lowered", "compiler/lower.py", "lower_policy"),
    ("    model assembled (links, objective)", "solver/model.py", "assemble"),
    ("    search set-up (hand-off, tangents, lazy groups)", "solver/search.py", "__init__"),
    ("      hand-off to HiGHS", "solver/handoff.py", "compile_to_highs"),
    ("    repair", "solver/repair.py", "repair_point"),
    ("    improve", "solver/solve.py", "_improve"),
    ("    prove", "solver/solve.py", "_prove"),
    ("      HiGHS's MIP (binary_mip)", "solver/mip_phases.py", "binary_mip"),
    ("      branch and bound", "solver/branch.py", "branch_and_bound"),
    ("    HiGHS, every run (LPs and MIPs)", "~", "<built-in method highspy._core.run>"),
    ("    verifier", "solver/verify.py", "verify"),
    ("  market of the day (risk model included)", "engine/market_day.py", "market"),
    ("  screens", "engine/screens.py", "screen"),
    ("  corporate actions", "engine/actions.py", "apply_actions"),
    ("  records", "engine/run.py", "record"),
    ("  outputs and checkpoints", "engine/outputs.py", "write_outputs"),
)


def print_stages(profiler: cProfile.Profile) -> None:
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    print("where the CPU time goes (under the profiler):")
    for label, path, function in STAGES:
        found = [(calls, cumulative) for (file, _, name), (_, calls, _, cumulative, _) in stats.items()
                 if name == function and file.replace("\\", "/").endswith(path)]
        seconds, calls = sum(c for _, c in found), sum(n for n, _ in found)
        print(f"  {label:<52} {seconds:8.1f} s  {calls:6,} calls")


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"{one:.2f} {five:.2f} {fifteen:.2f}"


def run(label: str, simulation: SimulationSpec, profile: bool = False) -> SimulationResult:
    started, cpu = time.perf_counter(), time.process_time()
    last = [started]

    def progress(step: Progress) -> None:
        if time.perf_counter() - last[0] > 30:
            last[0] = time.perf_counter()
            print(f"  … {step.day} step {step.done}/{step.total} ({time.perf_counter() - started:.0f} s)",
                  flush=True)
    # CPU time, not the wall clock: on a shared machine the wall clock counts other jobs' time.
    profiler = cProfile.Profile(time.process_time) if profile else None
    if profiler:
        profiler.enable()
    with tempfile.TemporaryDirectory() as out:
        result = simulate(simulation, out=out, progress=progress)
    if profiler:
        profiler.disable()
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    s = result.summary
    solved = [p for p in result.periods if p.status != "skipped"]
    timings = result.timings
    solve_time = timings.get("steps", 0.0)
    print(f"{label}: {wall:.1f} s wall, {cpu:.1f} s CPU; {len(result.periods)} steps, "
          f"{s.solved if s else 0} solved, {s.skipped if s else 0} skipped, "
          f"{s.without_plan if s else 0} without a plan; prepare {timings.get('prepare', 0):.1f} s; "
          f"steps {solve_time:.1f} s; screens {result.screens}; trades {len(result.trades):,}; "
          f"lots at the end {result.periods[-1].lots if result.periods else 0:,}", flush=True)
    if s is not None:
        print(f"  return {s.total_return:.2%} (index {s.index_total_return:.2%}), tracking difference "
              f"{s.annualised_tracking_difference:+.2%}/yr, realized TE {s.realized_tracking_error:.2%}, "
              f"harvested ${s.harvested:,}, tax ${s.tax:,}, costs ${s.costs:,}; {len(solved)} steps solved",
              flush=True)
    if profiler:
        print_stages(profiler)
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", choices=("monthly", "daily", "growth", "screens"))
    parser.add_argument("--years", type=int, default=10)
    parser.add_argument("--fast-path", choices=("proof", "bands", "off"), default="bands")
    parser.add_argument("--profile", action="store_true")
    args = parser.parse_args()
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    print(f"nproc {os.cpu_count()}, {cpu}, Python {platform.python_version()}; load average {load()}")
    if args.what == "monthly":
        run(f"{args.years} years monthly ({args.fast_path})", spec(args.years, "monthly", args.fast_path),
            args.profile)
    elif args.what == "daily":
        run(f"{args.years} years daily ({args.fast_path})", spec(args.years, "daily", args.fast_path),
            args.profile)
    elif args.what == "screens":
        window = SimulationSpec(start=date(2019, 1, 2), end=date(2019, 3, 29), cadence="daily",
                                policy=str(POLICY), cash=Decimal(1_000_000))
        for mode in ("proof", "bands", "off"):
            run(f"3 months daily, fast path {mode}", window.model_copy(update={"fast_path": mode}))
    else:
        for years in (1, 2, 5):
            run(f"{years} years monthly, ~420-500 names", spec(years, "monthly"))
        start = date(END.year - 2, END.month, END.day)
        for names in (50, 100, 250):
            with tempfile.TemporaryDirectory() as folder:
                policy = top_names_policy(Path(folder), names, start)
                run(f"2 years monthly, {names} names", spec(2, "monthly", policy=policy))
    print(f"load average after: {load()}")


if __name__ == "__main__":
    main()
