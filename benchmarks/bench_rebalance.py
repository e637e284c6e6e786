"""Rebalance benchmark: S&P 500 accounts with 2,000 and 10,000 lots under a policy using every rule kind.

Prints, per account: time to parse+check+compile the policy, load the account, build the Pyomo model
and lower the rules, hand it to HiGHS, solve (all rounds), verify; the MIP gap reached. Then, in the
same run, the base model (every rebalance's rows: holdings, cash, gains, turnover, factor exposures,
variance with its tangent cuts) built through Pyomo and built directly as numpy/scipy arrays passed
to highspy (the two HiGHS models are checked to be identical, array for array), both solved by the
same LP rounds: the ratio is the cost of the Pyomo layer.

    .venv/bin/python benchmarks/bench_rebalance.py [--repeat 5] [--without KIND …] [--full-only]

`--without dividend_yield` drops that kind's line from the policy, to price one rule kind by running
with and without it; `--full-only` skips the base-model comparison.

One core: HiGHS runs single-threaded. Figures are medians of --repeat runs (the two base-model paths
alternate, so machine load falls on both); the load average is printed before and after.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

import highspy
import numpy as np
from scipy import sparse

from compiler.check import compile_policy
from engine.rebalance import plan
from solver.account import Account
from solver.account_arrays import AccountArrays
from solver.account_files import load_account
from solver.contribution import Contribution
from solver.handoff import INF, compile_to_highs
from solver.market import Market
from solver.model import TRACKING_BP_PER_PCT2, TRADING_COST_BP, AccountModel
from solver.tracking import TrackingColumns, initial_tangents, refine, tracking_columns

ROOT = Path(__file__).resolve().parents[1]
AS_OF = date(2021, 4, 21)
ACCOUNTS = ("sp500_2000", "sp500_10000")
POLICY = """policy "Benchmark: every rule kind"
target sp500 tilt sector "Information Technology" +1%
exclude category tobacco sell as budget allows
restrict buying competitors of JPM
restrict selling lots "{lot}"
cap AAPL at 6%
budget long-term gains $250k per year
tracking error at most 2%
harvest losses over 5% and $500
wash sale window 30 days scope household group GOOG, GOOGL
holding period defer 31 days
trading minimum trade $250 max turnover 20%
cash reserve 1%
transition over 3 years
gift $10k
preferences balanced
dividend yield at least 1.5%
"""


def median_of(repeat: int, work):  # a timing helper: (median time, last result)
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def policy_text(without: set[str]) -> str:
    """The benchmark policy less the lines of the kinds in `without` (each kind is one line)."""
    from compiler.rules import RULE_KINDS

    dropped = tuple(RULE_KINDS[kind].keyword for kind in without)
    return "".join(line for line in POLICY.splitlines(keepends=True) if not line.startswith(dropped))


def full_policy(name: str, market: Market, repeat: int, without: set[str]) -> dict[str, object]:
    account_path = ROOT / "examples" / "accounts" / name / "account.yaml"
    load_time, account = median_of(repeat, lambda: load_account(account_path))
    with tempfile.TemporaryDirectory() as folder:
        policy_path = Path(folder) / "every_rule.tailor"
        policy_path.write_text(policy_text(without).format(lot=account.lots[0].lot_id))
        # The first compile in a process (later ones hit the loaded grammar and master).
        compile_time, policy = median_of(1, lambda: compile_policy(policy_path))
    from compiler.rules import RULE_KINDS

    assert {r.kind for r in policy.rules} == set(RULE_KINDS) - without, "the policy must use every rule kind"
    runs, cpu = [], []
    for _ in range(repeat):
        started, cpu_started = time.perf_counter(), time.process_time()
        outcome = plan(account, policy, market)
        runs.append((time.perf_counter() - started, outcome))
        cpu.append(time.process_time() - cpu_started)  # CPU seconds: what the machine's load leaves alone
    total = statistics.median(r[0] for r in runs)
    timings = {key: statistics.median(r[1].timings[key] for r in runs) for key in runs[0][1].timings}
    outcome = runs[-1][1]
    result = outcome.result
    return {"account": name, "lots": len(account.lots), "load": load_time, "policy": compile_time,
            **timings, "engine": total, "engine_cpu": statistics.median(cpu),
            "end_to_end": load_time + compile_time + total,
            "status": result.solve.status, "gap": result.solve.mip_gap, "verified": result.verified,
            "rounds": result.solve.lp_solves,
            "lazy": f"{outcome.solution.lazy_active}/{outcome.solution.lazy_total}",
            "trades": len(result.trades)}


def _lp_rounds(highs: highspy.Highs, cols: TrackingColumns) -> tuple[float, int]:
    rounds = 0
    while True:
        rounds += 1
        highs.run()
        _, added = refine(_Handle(highs), cols, np.asarray(highs.getSolution().col_value), 0.005)
        if not added:
            return highs.getInfo().objective_function_value, rounds


class _Handle:
    """What the tangent functions need of a compiled model: its HiGHS instance."""

    def __init__(self, highs: highspy.Highs):
        self.highs = highs


def _configure(highs: highspy.Highs) -> None:
    highs.setOptionValue("output_flag", False)
    highs.setOptionValue("threads", 1)
    highs.setOptionValue("primal_feasibility_tolerance", 1e-9)


def _base_model(account: Account, market: Market) -> tuple[AccountModel, float]:
    """The base model with the default objective; also returns the time to declare it (account data
    and Vars), the rest being `finish` (the base rows and the objective)."""
    started = time.perf_counter()
    model = AccountModel([account], market, schedule_d=False)
    declared = time.perf_counter() - started
    model.declare_target(market.benchmarks["sp500"])
    # Gains priced at their rates, as the direct model prices them: the comparison is of the Pyomo
    # layer on one LP, and the Schedule D netting (tax_cost: a Block with binaries) is not in it.
    tax = account.tax
    model.assemble([Contribution(objective={
        "tax": 1e4 * (float(tax.short_term_rate) * model.m.st_gain
                      + float(tax.long_term_rate) * model.m.lt_gain),
        "tracking": model.tracking_penalty(), "cost": model.trading_cost()})])
    return model, declared


def base_through_pyomo(account: Account, market: Market) -> dict[str, float]:
    started = time.perf_counter()
    model, declared = _base_model(account, market)
    built = time.perf_counter()
    compiled = compile_to_highs(model.m)
    _configure(compiled.highs)
    handed = time.perf_counter()
    cols = tracking_columns(model, compiled)
    initial_tangents(compiled, cols, model.data.held - cols.target)
    objective, _ = _lp_rounds(compiled.highs, cols)
    solved = time.perf_counter()
    return {"declare": declared, "finish": built - started - declared, "build": built - started,
            "handoff": handed - built, "solve": solved - handed, "total": solved - started,
            "objective": objective}


def direct_target(data: AccountArrays, market: Market) -> np.ndarray:
    """The S&P 500 weights over the universe, renormalised: what `AccountModel.declare_target` sets."""
    aligned = market.benchmarks["sp500"].reindex(data.tickers).fillna(0.0).to_numpy(dtype=float)
    return aligned / aligned.sum()


def direct_highs(data: AccountArrays, target: np.ndarray) -> tuple[highspy.Highs, TrackingColumns]:
    """The same base model as numpy/scipy arrays: columns [sell | buy | weight | cash, st, lt, traded |
    factor | q | h | variance], rows [holding | cash | st | lt | traded | factor | variance], written
    from the same account preparation (`AccountArrays`) the Pyomo model starts from."""
    n, lots, k = len(data.tickers), len(data.lots), data.risk.loadings.shape[1]
    sell, buy, weight = 0, lots, lots + n
    cash, st, lt, traded = lots + 2 * n, lots + 2 * n + 1, lots + 2 * n + 2, lots + 2 * n + 3
    factor, q = traded + 1, traded + 1 + k
    h, variance = q + n, q + n + k
    ncols = variance + 1
    short = ~data.lot_long_term
    loadings = 100.0 * data.look_through.transpose(data.risk.loadings)  # as the model's factor rows
    lot_ids, ids = np.arange(lots), np.arange(n)
    blocks = [  # (row, col, value)
        (data.lot_ticker, sell + lot_ids, np.ones(lots)), (ids, buy + ids, -np.ones(n)),
        (ids, weight + ids, np.ones(n)),
        (np.full(n + lots + 1, n), np.r_[cash, buy + ids, sell + lot_ids],
         np.r_[1.0, np.ones(n), -np.ones(lots)]),
        (np.full(lots + 1, n + 1), np.r_[st, sell + lot_ids],
         np.r_[1.0, np.where(short, -data.lot_gain, 0.0)]),
        (np.full(lots + 1, n + 2), np.r_[lt, sell + lot_ids],
         np.r_[1.0, np.where(short, 0.0, -data.lot_gain)]),
        (np.full(n + lots + 1, n + 3), np.r_[traded, buy + ids, sell + lot_ids],
         np.r_[1.0, -np.ones(n + lots)]),
        (n + 4 + np.repeat(np.arange(k), n + 1),
         np.concatenate([np.r_[factor + j, weight + ids] for j in range(k)]),
         np.concatenate([np.r_[1.0, -loadings[:, j]] for j in range(k)])),
        (np.full(n + k + 1, n + 4 + k), np.r_[variance, q + ids, h + np.arange(k)],
         np.r_[1.0, -np.ones(n + k)]),
    ]
    rows = np.concatenate([b[0] for b in blocks])
    cols_ = np.concatenate([b[1] for b in blocks])
    vals = np.concatenate([b[2] for b in blocks])
    matrix = sparse.csc_array((vals, (rows, cols_)), shape=(n + 5 + k, ncols))
    matrix.eliminate_zeros()
    rhs = np.r_[data.held, float(data.account.cash) / data.value, 0.0, 0.0, 0.0, -loadings.T @ target, 0.0]
    lower = np.zeros(ncols)
    lower[[st, lt]] = -INF
    lower[factor:factor + k] = -INF
    upper = np.full(ncols, INF)
    upper[sell:sell + lots] = data.lot_value
    upper[buy:buy + n] = 1.0
    tax = data.account.tax
    cost = np.zeros(ncols)
    cost[st], cost[lt] = 1e4 * float(tax.short_term_rate), 1e4 * float(tax.long_term_rate)
    cost[traded], cost[variance] = TRADING_COST_BP, TRACKING_BP_PER_PCT2
    highs = highspy.Highs()
    _configure(highs)
    highs.passModel(ncols, len(rhs), matrix.nnz, 1, 1, 0.0, cost, lower, upper, rhs, rhs,
                    matrix.indptr.astype(np.int32), matrix.indices.astype(np.int32), matrix.data,
                    np.zeros(ncols, dtype=np.int32))
    cols = TrackingColumns(weight=(weight + ids).astype(np.int32),
                           factor=(factor + np.arange(k)).astype(np.int32),
                           q=(q + ids).astype(np.int32), h=(h + np.arange(k)).astype(np.int32),
                           specific=1e4 * data.risk.specific_var, target=target,
                           loadings=100.0 * data.risk.loadings, look=data.look_through)
    return highs, cols


def base_direct(account: Account, market: Market) -> dict[str, float]:
    """Account → arrays → highspy, timed from the same starting point as the Pyomo path."""
    started = time.perf_counter()
    data = AccountArrays([account], market)
    highs, cols = direct_highs(data, direct_target(data, market))
    built = time.perf_counter()
    initial_tangents(_Handle(highs), cols, data.held - cols.target)
    objective, _ = _lp_rounds(highs, cols)
    solved = time.perf_counter()
    return {"build": built - started, "solve": solved - built, "total": solved - started,
            "objective": objective}


def assert_same_lp(account: Account, market: Market) -> None:
    """The Pyomo path and the direct path hand HiGHS the very same LP (costs, bounds, matrix)."""
    model, _ = _base_model(account, market)
    direct = direct_highs(model.data, direct_target(model.data, market))[0].getLp()
    assert np.allclose(direct_target(model.data, market), model.target_weights, rtol=0, atol=1e-15)
    pyomo = compile_to_highs(model.m).highs.getLp()
    for name in ("col_cost_", "col_lower_", "col_upper_", "row_lower_", "row_upper_"):
        assert np.array_equal(getattr(pyomo, name), getattr(direct, name)), name
    for name in ("start_", "index_", "value_"):
        assert np.array_equal(getattr(pyomo.a_matrix_, name), getattr(direct.a_matrix_, name)), name


def base_comparison(name: str, market: Market, repeat: int) -> dict[str, object]:
    account = load_account(ROOT / "examples" / "accounts" / name / "account.yaml")
    assert_same_lp(account, market)
    pyomo, direct = [], []
    for _ in range(repeat):  # alternating, so that load on the shared machine falls on both
        pyomo.append(base_through_pyomo(account, market))
        direct.append(base_direct(account, market))
    for run in pyomo + direct:
        assert abs(run["objective"] - direct[0]["objective"]) <= 1e-6 * max(1.0, abs(direct[0]["objective"]))
    ratios = [p["total"] / d["total"] for p, d in zip(pyomo, direct, strict=True)]
    return {"account": name, **{f"pyomo_{key}": statistics.median(r[key] for r in pyomo) for key in pyomo[0]},
            **{f"direct_{key}": statistics.median(r[key] for r in direct) for key in direct[0]},
            "ratio": statistics.median(ratios), "ratio_low": min(ratios), "ratio_high": max(ratios)}


def full_layer(name: str, market: Market, repeat: int, without: set[str]) -> dict[str, object]:
    """The Pyomo layer on the full policy: building the model and lowering every rule (`build`) and
    compiling it to HiGHS arrays (`compile`), against passing those same arrays to highspy (`raw`:
    the arrays a path without Pyomo would have to produce, their construction not counted — so the
    ratio, if anything, overstates Pyomo's cost). The rest of the solve (initial tangents, relaxing
    the lazy groups, the search) is the same work on both paths and counts on both. CPU seconds."""
    from compiler.lower import lower_policy
    from solver.solve import solve

    account = load_account(ROOT / "examples" / "accounts" / name / "account.yaml")
    with tempfile.TemporaryDirectory() as folder:
        policy_path = Path(folder) / "every_rule.tailor"
        policy_path.write_text(policy_text(without).format(lot=account.lots[0].lot_id))
        policy = compile_policy(policy_path)
    runs = []
    for _ in range(repeat):
        started = time.process_time()
        model = AccountModel([account], market)
        lower_policy(policy, model)
        build = time.process_time() - started
        started = time.process_time()
        lp = compile_to_highs(model.m).highs.getLp()
        compile_ = time.process_time() - started
        direct = highspy.Highs()
        direct.setOptionValue("output_flag", False)
        started = time.process_time()
        direct.passModel(lp)
        raw = time.process_time() - started
        model = AccountModel([account], market)
        lower_policy(policy, model)
        started = time.process_time()
        solve(model)
        search = time.process_time() - started  # compiling included
        runs.append({"build": build, "compile": compile_, "raw": raw, "search": search,
                     "ratio": (build + search) / (raw + search - compile_)})
    ratios = [r["ratio"] for r in runs]
    return {"account": name, **{key: statistics.median(r[key] for r in runs) for key in runs[0]},
            "ratio_low": min(ratios), "ratio_high": max(ratios)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--without", nargs="*", default=[], metavar="KIND",
                        help="rule kinds to leave out of the policy (e.g. dividend_yield)")
    parser.add_argument("--full-only", action="store_true", help="skip the base-model comparison")
    args = parser.parse_args()
    without = set(args.without)
    print(f"machine: {platform.machine()} {platform.processor() or ''} python {platform.python_version()}, "
          f"HiGHS {highspy.Highs().version()}, 1 thread")
    started = time.perf_counter()
    market = Market.load(AS_OF)
    print("market data load (prices, index weights, risk model; cached): "
          f"{time.perf_counter() - started:.2f}s")
    print(f"load average (1, 5, 15 min) before: {os.getloadavg()}")
    left_out = f" but {', '.join(sorted(without))}" if without else ""
    print(f"\nfull policy (every rule kind{left_out}), medians of", args.repeat)
    print(f"{'account':<12} {'lots':>6} {'load':>6} {'policy':>7} {'build':>6} {'handoff':>8} "
          f"{'solve':>6} {'verify':>7} {'engine':>7} {'cpu':>6} {'total':>6}  status   gap      "
          "rounds lazy    trades")
    for name in ACCOUNTS:
        r = full_policy(name, market, args.repeat, without)
        print(f"{r['account']:<12} {r['lots']:>6} {r['load']:>6.2f} {r['policy']:>7.2f} "
              f"{r['build']:>6.2f} {r['handoff']:>8.2f} {r['solve']:>6.2f} {r['verify']:>7.2f} "
              f"{r['engine']:>7.2f} {r['engine_cpu']:>6.2f} {r['end_to_end']:>6.2f}  {r['status']:<8} "
              f"{r['gap']:<8.4%} "
              f"{r['rounds']:>6} {r['lazy']:<7} {r['trades']:>6}  verified={r['verified']}")
    print("\nPyomo layer on the full policy (CPU): build + lowering and compiling to HiGHS, against the "
          f"same arrays passed to highspy; the search counts on both; medians of {args.repeat}")
    print(f"{'account':<12} {'build':>6} {'compile':>8} {'raw':>6} {'search':>7} | ratio")
    for name in ACCOUNTS:
        r = full_layer(name, market, args.repeat, without)
        print(f"{r['account']:<12} {r['build']:>6.3f} {r['compile']:>8.3f} {r['raw']:>6.3f} "
              f"{r['search']:>7.3f} | {r['ratio']:.2f} ({r['ratio_low']:.2f}–{r['ratio_high']:.2f})")
    if args.full_only:
        return
    print("\nbase model: Pyomo (build + hand-off) vs numpy arrays straight into highspy; the same LP "
          f"(checked), same LP rounds; medians of {args.repeat}, ratio = median of per-run ratios (range)")
    print(f"{'account':<12} {'declare':>8} {'finish':>7} {'handoff':>8} {'solve':>6} {'total':>6} | "
          f"{'direct build':>12} {'solve':>6} {'total':>6} | ratio")
    for name in ACCOUNTS:
        r = base_comparison(name, market, args.repeat)
        print(f"{r['account']:<12} {r['pyomo_declare']:>8.3f} {r['pyomo_finish']:>7.3f} "
              f"{r['pyomo_handoff']:>8.3f} {r['pyomo_solve']:>6.3f} {r['pyomo_total']:>6.3f} | "
              f"{r['direct_build']:>12.3f} {r['direct_solve']:>6.3f} {r['direct_total']:>6.3f} | "
              f"{r['ratio']:.2f} ({r['ratio_low']:.2f}–{r['ratio_high']:.2f})")
    print(f"load average (1, 5, 15 min) after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
