"""Batch and service speed (issue 13): a generated book of 1,000 accounts from real prices.

    .venv/bin/python benchmarks/bench_batch.py                 # everything (about half an hour here)
    .venv/bin/python benchmarks/bench_batch.py --only book     # the full book on 2 pool workers
    .venv/bin/python benchmarks/bench_batch.py --only compare  # pool and Dask, 1 and 2 workers, a sample
    .venv/bin/python benchmarks/bench_batch.py --only bare --sample 60  # one process, CPU per account
                                                         # (--check-conflicts: each one irreducible?,
                                                         #  also with --only book)
    .venv/bin/python benchmarks/bench_batch.py --only service  # requests per second, p50/p99 latency

The book (benchmarks/book/, git-ignored) holds 1,000 accounts of 30 to 2,000 lots (log-uniform), each
an S&P 500 direct index bought at real closes every quarter from a random start (2008–2019) to
2021-04-21, split-adjusted, under a mix of the shipped policies. Figures: docs/batch.md, "Speed".
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import os
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from functools import cache
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from market.index import index_weights  # noqa: E402
from market.prices import load_prices  # noqa: E402
from solver.lots import Lot  # noqa: E402
from solver.splits import apply_splits  # noqa: E402

BOOK = ROOT / "benchmarks" / "book"
AS_OF = date(2021, 4, 21)
ACCOUNTS = 1000
POLICIES = ("firm/default.tailor", "models/direct_index.tailor", "clients/faith_esg_family.tailor",
            "clients/zero_gains.tailor", "transitions/tax_budget.tailor", "clients/retiree_cash.tailor")
SHARE = Decimal("0.000001")


@cache
def quarter_days() -> list[date]:
    days = load_prices().dates
    found = []
    for year in range(2008, 2022):
        for month in (1, 4, 7, 10):
            on = days[days >= np.datetime64(f"{year}-{month:02d}-01")]
            if len(on) and on[0].date() <= AS_OF:
                found.append(on[0].date())
    return found


@cache
def day_closes(on: date) -> dict[str, float]:
    return {t: float(c) for t, c in load_prices().close_on(on).dropna().items() if c > 0}


@cache
def top_members(on: date) -> tuple[tuple[str, float], ...]:
    weights = index_weights(on).sort_values(ascending=False)
    closes = day_closes(on)
    return tuple((t, float(w)) for t, w in weights.items() if t in closes)


def account_lots(rng: np.random.Generator, count: int) -> list[Lot]:
    """`count` lots: quarterly purchases of the largest members, from a random start year."""
    days = [d for d in quarter_days() if d.year >= int(rng.integers(2008, 2020))]
    per_day = max(1, math.ceil(count / len(days)))
    lots: list[Lot] = []
    prices = load_prices()
    for on in days:
        closes = day_closes(on)
        members = top_members(on)
        chosen = rng.choice(len(members), size=min(per_day, len(members)), replace=False)
        for i in sorted(chosen):
            ticker, weight = members[i]
            price = Decimal(repr(float(closes[ticker])))
            shares = (Decimal(repr(5_000_000 * weight + 2_000)) / price).quantize(SHARE, ROUND_HALF_EVEN)
            lots.append(Lot(lot_id=f"L{len(lots) + 1:05d}", ticker=ticker, acquired=on, shares=shares,
                            basis_per_share=price))
            if len(lots) == count:
                return apply_splits(lots, lots[0].acquired, AS_OF, prices)
    return apply_splits(lots, lots[0].acquired, AS_OF, prices)


def make_book(accounts: int) -> Path:
    """benchmarks/book/book.csv and one folder per account (reused when already there)."""
    book = BOOK / "book.csv"
    if book.exists() and sum(1 for _ in book.open()) == accounts + 1:
        return book
    rng = np.random.default_rng(13)
    rows = []
    for i in range(accounts):
        name = f"acct-{i:04d}"
        folder = BOOK / "accounts" / name
        folder.mkdir(parents=True, exist_ok=True)
        size = round(math.exp(rng.uniform(math.log(30), math.log(2000))))
        priced = day_closes(AS_OF)  # a name without a close on the as-of date cannot be traded
        lots = [lot for lot in account_lots(rng, size) if lot.ticker in priced]
        with (folder / "lots.csv").open("w", newline="") as out:
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(("lot_id", "ticker", "acquired", "shares", "basis_per_share"))
            writer.writerows((lot.lot_id, lot.ticker, lot.acquired, lot.shares.quantize(SHARE),
                              lot.basis_per_share.quantize(SHARE, ROUND_HALF_EVEN)) for lot in lots)
        cash = int(rng.integers(0, 50_000))
        (folder / "account.yaml").write_text(f"account: {name}\nas_of: {AS_OF}\ncash: {cash}\n"
                                             "lots: lots.csv\n")
        policy = os.path.relpath(ROOT / "policies" / POLICIES[i % len(POLICIES)], BOOK)
        rows.append((name, f"accounts/{name}/account.yaml", policy))
    with book.open("w", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(("id", "account", "policy"))
        writer.writerows(rows)
    return book


def sample_book(book: Path, size: int) -> Path:
    """The first `size` accounts of the book (every policy and size range is spread through it)."""
    lines = book.read_text().splitlines()
    sample = book.with_name(f"sample_{size}.csv")
    sample.write_text("\n".join(lines[:size + 1]) + "\n")
    return sample


def bare(book: Path) -> dict:
    """The same accounts rebalanced one after another in this process, inputs shared as a batch
    worker shares them, and an infeasible account's conflicting rules found as a batch finds them:
    the same work without the batch machinery. Wall and CPU seconds (CPU is what compares under a
    shared machine's load), the CPU of the solves and of the conflict search, and the conflicts."""
    import tailor
    from engine.explain.elastic import conflicting_rules
    from engine.rebalance import RebalanceOptions
    from tailor.api.engine import decide
    from tailor.api.inputs import resolve
    from tailor.batch.book import read_book

    policies: dict[str, object] = {}
    markets: dict[date, object] = {}
    decide_cpu = conflict_cpu = 0.0
    statuses: dict[str, int] = {}
    conflicts: dict[str, list[str]] = {}
    account_cpu: dict[str, float] = {}  # the decision's CPU, per account
    started, started_cpu = time.perf_counter(), time.process_time()
    for entry in read_book(book):
        account = tailor.load_account(entry.account)
        # Loaded once, as a worker's cache does (setdefault's argument would load it every time).
        if entry.policy not in policies:
            policies[entry.policy] = tailor.load_policy(entry.policy)
        if account.as_of not in markets:
            markets[account.as_of] = tailor.Market.load(account.as_of)
        policy, market = policies[entry.policy], markets[account.as_of]
        inputs = resolve(account, policy, market)
        before = time.process_time()
        solved, report = decide(inputs, RebalanceOptions())
        decide_cpu += time.process_time() - before
        account_cpu[entry.id] = time.process_time() - before
        statuses[report.status] = statuses.get(report.status, 0) + 1
        if report.status == "infeasible" and solved.result.solve.status == "infeasible":
            before = time.process_time()
            conflicts[entry.id] = list(conflicting_rules(solved, inputs.policy))
            conflict_cpu += time.process_time() - before
    wall, cpu = time.perf_counter() - started, time.process_time() - started_cpu
    return {"accounts": sum(statuses.values()), "wall_s": round(wall, 1), "cpu_s": round(cpu, 1),
            "cpu_per_account_s": round(cpu / max(1, sum(statuses.values())), 3),
            "decide_cpu_s": round(decide_cpu, 1), "conflict_cpu_s": round(conflict_cpu, 1),
            "decide_cpu_median_s": round(statistics.median(account_cpu.values()), 3),
            "slowest_decisions_s": {k: round(v, 2)
                                    for k, v in sorted(account_cpu.items(), key=lambda kv: -kv[1])[:8]},
            "statuses": statuses, "conflicts": conflicts}


def check_conflicts(book: Path, conflicts: dict[str, list[str]]) -> dict:
    """Each conflict found, checked on fresh elastic models of its account: the rules cannot hold
    together, and without any one of them the rest can. Counts the conflicts that pass."""
    import tailor
    from engine.explain.elastic import ElasticModel
    from engine.rebalance import RebalanceOptions
    from tailor.api.engine import decide
    from tailor.api.inputs import resolve
    from tailor.batch.book import read_book

    irreducible, failed = 0, []
    for entry in read_book(book):
        if entry.id not in conflicts:
            continue
        account = tailor.load_account(entry.account)
        inputs = resolve(account, tailor.load_policy(entry.policy), tailor.Market.load(account.as_of))
        solved, _ = decide(inputs, RebalanceOptions())
        fresh = (solved.model, solved.solution.compiled, inputs.policy, solved.provenance)
        rules = set(conflicts[entry.id])
        if rules and not ElasticModel(*fresh).feasible(rules) and \
                all(ElasticModel(*fresh).feasible(rules - {r}) for r in rules):
            irreducible += 1
        else:
            failed.append(entry.id)
    return {"conflicts": len(conflicts), "irreducible": irreducible, "not_irreducible": failed}


def batch(book: Path, out: Path, **settings: object) -> dict:
    from rich.console import Console

    from tailor.batch.runner import BatchSettings, run_batch

    started = time.perf_counter()
    report = run_batch(book, out, BatchSettings(force=True, **settings), console=Console(quiet=True))
    wall = time.perf_counter() - started
    done = len(report.accounts)
    return {"accounts": done, "wall_s": round(wall, 1), "per_hour": round(3600 * done / wall),
            "verified": report.totals.verified, "infeasible": report.totals.infeasible,
            "time_limit": report.totals.time_limit, "no_plan": report.totals.no_plan,
            "refused": report.totals.refused, "errors": report.totals.errors,
            "policies_compiled": report.run.policies_compiled, "markets_loaded": report.run.markets_loaded}


class Cluster:
    """A Dask scheduler and `workers` single-threaded workers on this machine."""

    def __init__(self, workers: int, folder: Path):
        folder.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        address = folder / "scheduler.json"
        address.unlink(missing_ok=True)
        self.processes = [subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host",
                                            "127.0.0.1", "--port", "0", "--no-dashboard", "--scheduler-file",
                                            str(address)], env=env, stderr=subprocess.DEVNULL)]
        while not address.exists():
            time.sleep(0.1)
        self.address = json.loads(address.read_text())["address"]
        worker = [sys.executable, "-m", "distributed.cli.dask_worker", self.address, "--nthreads", "1",
                  "--no-dashboard"]
        self.processes += [subprocess.Popen(worker, env=env, stderr=subprocess.DEVNULL)
                           for _ in range(workers)]
        from distributed import Client

        with Client(self.address) as client:
            client.wait_for_workers(workers, timeout=60)

    def close(self) -> None:
        for process in self.processes:
            process.terminate()
            process.wait()


def compare(book: Path, size: int) -> dict:
    sample = sample_book(book, size)
    found = {"sample": size, "bare": bare(sample)}
    for workers in (1, 2):
        found[f"pool_{workers}"] = batch(sample, BOOK / f"out_pool_{workers}", workers=workers)
        cluster = Cluster(workers, BOOK / "cluster")
        try:
            found[f"dask_{workers}"] = batch(sample, BOOK / f"out_dask_{workers}", scheduler=cluster.address)
        finally:
            cluster.close()
    found["overhead_pool_1"] = round(found["pool_1"]["wall_s"] / found["bare"]["wall_s"] - 1, 3)
    return found


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def load(url: str, body: dict, requests: int, concurrency: int) -> dict:
    import httpx

    latencies: list[float] = []
    lock = threading.Lock()

    def one(_: int) -> None:
        with httpx.Client(timeout=120) as client:
            started = time.perf_counter()
            response = client.post(url, json=body)
            response.raise_for_status()
            with lock:
                latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(one, range(requests)))
    wall = time.perf_counter() - started
    return {"requests": requests, "concurrency": concurrency, "per_second": round(requests / wall, 2),
            "p50_ms": round(1000 * statistics.median(latencies)),
            "p99_ms": round(1000 * percentile(latencies, 0.99))}


def service(book: Path) -> dict:
    import httpx

    server = subprocess.Popen([sys.executable, "-m", "tailor.cli", "serve", "--port", "8765", "--policies",
                               str(ROOT / "policies"), "--decision-log", str(BOOK / "service.db")],
                              cwd=ROOT, stderr=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    try:
        for _ in range(200):
            try:
                httpx.get("http://127.0.0.1:8765/v1/health")
                break
            except httpx.TransportError:
                time.sleep(0.1)
        check = {"policies": [{"library": {"path": "clients/executive.tailor"}}]}
        lots = next(p for p in sorted((BOOK / "accounts").glob("*/lots.csv"))
                    if 480 <= sum(1 for _ in p.open()) - 1 <= 520)
        account = {"files": {"account.yaml": (lots.parent / "account.yaml").read_text(),
                             "lots.csv": lots.read_text()}, "main": "account.yaml"}
        rebalance = {"account": account, "policy": {"library": {"path": "models/direct_index.tailor"}}}
        load("http://127.0.0.1:8765/v1/rebalance", rebalance, 2, 1)  # warm: imports, market data
        return {"check": load("http://127.0.0.1:8765/v1/check", check, 200, 4),
                "rebalance_500_lots": load("http://127.0.0.1:8765/v1/rebalance", rebalance, 30, 2),
                "account": lots.parent.name}
    finally:
        server.terminate()
        server.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("bare", "book", "compare", "service"))
    parser.add_argument("--accounts", type=int, default=ACCOUNTS)
    parser.add_argument("--sample", type=int, default=120, help="accounts in the pool/Dask comparison")
    parser.add_argument("--check-conflicts", action="store_true",
                        help="with --only bare or book: check each conflict irreducible on fresh models "
                             "(untimed)")
    args = parser.parse_args()
    started = time.perf_counter()
    book = make_book(args.accounts)
    print(f"book: {args.accounts} accounts in {book.parent} ({time.perf_counter() - started:.0f} s to make)",
          flush=True)
    figures: dict[str, object] = {}
    if args.only == "bare":  # one process, CPU time: the per-account work, comparable under load
        sample = sample_book(book, args.sample)
        figures["bare"] = bare(sample)
        print(json.dumps(figures["bare"], indent=2), flush=True)
        if args.check_conflicts:
            figures["conflicts_checked"] = check_conflicts(sample, figures["bare"]["conflicts"])
            print(json.dumps(figures["conflicts_checked"], indent=2), flush=True)
    if args.only in (None, "compare"):
        figures["compare"] = compare(book, args.sample)
        print(json.dumps(figures["compare"], indent=2), flush=True)
    if args.only in (None, "book"):
        figures["book_pool_2"] = batch(book, BOOK / "out_book", workers=2)
        per_hour = figures["book_pool_2"]["per_hour"]
        figures["hours_for_10000_on_2_cores"] = round(10_000 / per_hour, 2)
        print(json.dumps({k: figures[k] for k in ("book_pool_2", "hours_for_10000_on_2_cores")}, indent=2),
              flush=True)
        if args.check_conflicts:
            decided = json.loads((BOOK / "out_book" / "book.json").read_text())["accounts"]
            conflicts = {a["id"]: list(a["conflict"]) for a in decided if a["conflict"]}
            figures["book_conflicts_checked"] = check_conflicts(book, conflicts)
            print(json.dumps(figures["book_conflicts_checked"], indent=2), flush=True)
    if args.only in (None, "service"):
        figures["service"] = service(book)
        print(json.dumps(figures["service"], indent=2), flush=True)
    (BOOK / f"figures_{args.only or 'all'}.json").write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
