"""Policy language figures: parse + check time of a 200-rule policy (target: median under 50 ms),
round-trip and fuzz counts. A fuzz case that raised anything but TailorError would stop the script
with its traceback, so "0 uncaught exceptions" is what finishing means.

    .venv/bin/python benchmarks/bench_policy.py [--fuzz 10000] [--yaml-fuzz 3000] [--round-trips 2000]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for tests.policy_lang (strategies, fuzzing)

from compiler.check import compile_policy
from compiler.language import format_dsl, format_yaml, parse_text
from market.master import load_master


def policy_with_200_rules() -> str:
    """Realistic mix: caps and exclusions on real tickers, restrictions, budgets, one of each
    singleton kind; 200 statements."""
    tickers = [t for t in load_master().tickers if "." not in t][:150]
    lines = ['policy "Benchmark: 200 rules"', "layer account", ""]
    lines += ["target sp500 tilt sector \"Energy\" -1%", "wash sale window 31 days scope household",
              "holding period no short-term gains defer 31 days", "trading minimum trade $250 whole shares",
              "cash reserve 2% withdraw $25k", "transition over 3 years", "gift $10k",
              "preferences tax_sensitive", "harvest losses over 5% and $500", "tracking error at most 2%"]
    measures = ("long-term gains", "short-term gains", "net gains", "tax")
    lines += [f"budget {m} $20k per year" for m in measures]
    lines += [f"cap {t} at {1 + i % 9}% because \"position limit {i}\"" for i, t in enumerate(tickers[:70])]
    lines += [f"exclude {t} sell as budget allows" for t in tickers[70:110]]
    lines += ['exclude category tobacco', 'exclude category fossil_fuels extended',
              'exclude sub-industry "Casinos & Gaming"', 'cap sector "Information Technology" at 35%']
    lines += [f"restrict buying {t}" for t in tickers[110:140]]
    lines += [f'restrict selling {t} lots "{t}-1"' for t in tickers[140:150]]
    lines += [f"rule band-{i}: tracking error band {t} -1% to +1%" for i, t in enumerate(tickers[:30])]
    lines += ["restrict buying competitors of JPM by industry", "restrict buying held away AMZN, NVDA"]
    body = [line for line in lines[3:] if line]
    assert len(body) == 200, len(body)
    return "\n".join(lines) + "\n"


def time_parse_and_check(text: str, name: str, runs: int) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU milliseconds per run. On a shared machine the CPU time is the fairer
    figure: it does not count time spent waiting for a core."""
    wall, cpu = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        compile_policy(parse_text(text, name))
        wall.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
    return wall, cpu


def round_trips(count: int) -> int:
    from hypothesis import HealthCheck, given, settings

    from tests.policy_lang.strategies import policies

    done = 0

    @settings(max_examples=count, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    @given(policies)
    def check(policy):  # type: ignore[no-untyped-def]
        nonlocal done
        assert parse_text(format_dsl(policy), "g.tailor") == policy
        assert parse_text(format_yaml(policy), "g.yaml") == policy
        done += 1

    check()
    return done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--fuzz", type=int, default=10_000)
    parser.add_argument("--round-trips", type=int, default=2_000)
    parser.add_argument("--yaml-fuzz", type=int, default=3_000)
    args = parser.parse_args()

    load_master()
    dsl = policy_with_200_rules()
    with tempfile.TemporaryDirectory() as folder:
        dsl_name = str(Path(folder) / "bench.tailor")
        yaml_text = format_yaml(parse_text(dsl, dsl_name))
        yaml_name = str(Path(folder) / "bench.yaml")
        for text, name, label in ((dsl, dsl_name, "DSL "), (yaml_text, yaml_name, "YAML")):
            time_parse_and_check(text, name, 3)  # warm caches (grammar, master)
            wall, cpu = time_parse_and_check(text, name, args.runs)
            print(f"parse+check 200-rule policy ({label}): median {statistics.median(wall):.1f} ms wall "
                  f"(p90 {sorted(wall)[int(0.9 * len(wall))]:.1f} ms), {statistics.median(cpu):.1f} ms CPU, "
                  f"over {args.runs} runs (target < 50 ms)")

    start = time.perf_counter()
    done = round_trips(args.round_trips)
    print(f"round trips (generated ASTs, DSL and YAML each): {done} policies, all equal, "
          f"{time.perf_counter() - start:.1f} s")

    from tests.policy_lang.fuzzing import mutants, run_case

    start = time.perf_counter()
    outcomes = Counter(run_case(text, name) for text, name in mutants(args.fuzz, seed=2026))
    print(f"fuzz (mutated shipped policies): {sum(outcomes.values())} cases, "
          f"{outcomes['diagnostics']} gave diagnostics, {outcomes['ok']} still valid, 0 uncaught exceptions, "
          f"{time.perf_counter() - start:.1f} s")

    start = time.perf_counter()
    shaped = yaml_fuzz(args.yaml_fuzz)
    print(f"fuzz (generated YAML of plausible shape): {sum(shaped.values())} cases, "
          f"{shaped['diagnostics']} gave diagnostics, {shaped['ok']} valid, 0 uncaught exceptions, "
          f"{time.perf_counter() - start:.1f} s")


def yaml_fuzz(count: int) -> Counter:
    from hypothesis import HealthCheck, given, settings

    from tests.policy_lang.fuzzing import run_case, yaml_documents

    outcomes: Counter = Counter()

    @settings(max_examples=count, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(yaml_documents())
    def check(text: str) -> None:
        outcomes[run_case(text, "fuzz.yaml")] += 1

    check()
    return outcomes


if __name__ == "__main__":
    main()
