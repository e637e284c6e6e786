"""`tailor rebalance` — rebalance one account under a policy: verified lot-level trades.

    tailor rebalance --policy policies/clients/faith_esg_family.tailor
                     --account examples/accounts/index_2012/account.yaml
                     [--as-of 2021-04-21] [--market SNAPSHOT] [--target model.csv] [--out out/esg]
                     [--time-limit 60] [--gap 0.001]

The as-of date is the account's `as_of` or --as-of; never a default (A113 when neither is given,
A114 when they differ). --market prices the account from the caller's market snapshot (a folder
with snapshot.yaml, docs/data.md) instead of the bundled history: the date is then the snapshot's,
and the account's `as_of` and --as-of must agree with it (D115).
--target (or `target:` in account.yaml) replaces the policy's benchmark with
the account's own model. Prints a summary table. With --out, writes DIR/trades.csv and
DIR/result.json (schema tailor.result/1); --out is checked before anything is solved (A118). Trades
that fail the independent verifier are never written: the command prints why and exits 1. Exit 1
also when no trades satisfy the policy or none were found in time; with --out, result.json then
records the status, the diagnostics and the timings, and no trades.csv is left in DIR.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from policy_lang.diagnostics import Diagnostic, Related, TailorError, error, render

if TYPE_CHECKING:
    from compiler.ir import CompiledPolicy
    from solver.account import Account
    from solver.market import Market
    from solver.result import RebalanceResult

AS_OF_HELP = ("trade date, YYYY-MM-DD; default: the account's `as_of` (one of the two is required; "
              "given both, they must agree)")
MARKET_HELP = ("a market snapshot (folder with snapshot.yaml: prices on its as_of date, optional index "
               "weights and securities; docs/data.md) to price the account instead of the bundled "
               "1999-2021 history")
TARGET_HELP = ("the account's target model, a ticker,weight CSV: replaces the policy's benchmark (tilts "
               "still apply; refused by a locked target rule); default: account.yaml's `target`")


def register(subparsers: argparse._SubParsersAction) -> None:
    from solver.defaults import DEFAULT_MIP_GAP, DEFAULT_TIME_LIMIT

    parser = subparsers.add_parser("rebalance", help="rebalance an account under a policy",
                                   description=__doc__.splitlines()[0])
    parser.add_argument("--policy", required=True, metavar="P", help="policy file (.tailor or .yaml)")
    parser.add_argument("--account", required=True, metavar="A", help="account.yaml (see docs/solver.md)")
    parser.add_argument("--as-of", metavar="DATE", help=AS_OF_HELP)
    parser.add_argument("--market", metavar="SNAPSHOT", help=MARKET_HELP)
    parser.add_argument("--target", metavar="FILE", help=TARGET_HELP)
    parser.add_argument("--out", metavar="DIR", help="write trades.csv and result.json here")
    parser.add_argument("--time-limit", type=float, default=DEFAULT_TIME_LIMIT, metavar="S",
                        help=f"solver time limit in seconds (default {DEFAULT_TIME_LIMIT:g})")
    parser.add_argument("--gap", type=float, default=DEFAULT_MIP_GAP, metavar="G",
                        help=f"relative MIP gap to prove (default {DEFAULT_MIP_GAP:g} = 0.1%%)")
    parser.add_argument("--log", action="store_true", help="show the HiGHS log")
    parser.set_defaults(run=run)


# ---- inputs shared by the commands that take an account (rebalance, explain) ------------------------
def parse_as_of(text: str | None) -> date | None:
    """--as-of as a date (None when not given); anything but YYYY-MM-DD is A111."""
    from policy_lang.dates import parse_date

    if text is None:
        return None
    found = parse_date(text)
    if found is None:
        raise TailorError(error("A111", f"--as-of: {text!r} is not a date",
                                hint="write YYYY-MM-DD, e.g. --as-of 2021-04-21"))
    return found


def check_options(args: argparse.Namespace) -> None:
    if args.time_limit <= 0 or not 0 <= args.gap < 1:
        raise TailorError(error("A112", "--time-limit must be positive and --gap in [0, 1)"))


def check_out_dir(text: str) -> Path:
    """--out must be a folder tailor can write (or create). Checked before the solve, so that a
    typo costs nothing and nothing is written (A118)."""
    out = Path(text)
    if out.exists() and not out.is_dir():
        raise TailorError(error("A118", f"--out {text} is a file, not a folder", None,
                                "give a folder for trades.csv and result.json (it is created if missing)"))
    existing = out
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise TailorError(error("A118", f"--out {text}: {existing} is a file, so no folder can be made "
                                "under it", None, "give a folder path that does not pass through a file"))
    if not os.access(existing, os.W_OK | os.X_OK):
        what = "folder" if existing == out else f"folder {existing}, where it would be created,"
        raise TailorError(error("A118", f"--out {text}: the {what} is not writable", None,
                                "choose a folder you may write to, or fix its permissions"))
    return out


def load_inputs(args: argparse.Namespace,
                timings: dict[str, float]) -> tuple[CompiledPolicy, Account, Market]:
    """Policy, account (with --target) and the market on the account's date (--as-of or `as_of`), or
    the market snapshot's (--market): its securities join the master the policy is checked against."""
    from compiler.check import compile_policy
    from compiler.inputs import check_account
    from solver.account_files import load_account, resolve_as_of
    from solver.data.snapshot import load_snapshot
    from solver.market import Market
    from solver.snapshot_checks import resolve_snapshot_as_of

    given = parse_as_of(args.as_of)
    started = time.perf_counter()
    snapshot = load_snapshot(args.market) if args.market else None  # its problems before any solve
    reading = time.perf_counter() - started
    started = time.perf_counter()
    policy = compile_policy(args.policy, master=snapshot.master if snapshot else None)
    timings["policy"] = time.perf_counter() - started
    started = time.perf_counter() - reading  # the snapshot's reading counts as data loading
    account = load_account(args.account, target=args.target)
    check_account(policy, account)  # A117, A132, A133 now, not after the market has loaded
    if snapshot is not None:
        resolve_snapshot_as_of(account, snapshot, given)  # D115 before the risk model is loaded
        market = Market.from_snapshot(snapshot)
    else:
        market = _bundled_market(account, resolve_as_of(account, given), given)
    timings["data"] = time.perf_counter() - started
    for note in market.notes():  # a weekend's close (D109), a risk model older than the prices (D117)
        print(render(note), file=sys.stderr)
    return policy, account, market


def _bundled_market(account: Account, as_of: date, given: date | None) -> Market:
    from solver.market import Market

    try:
        return Market.load(as_of)
    except TailorError as exc:  # e.g. a date outside the price history: say where the date came from
        if given is not None or account.as_of_span is None:
            raise
        note = (Related(message="the date is the account's `as_of`", span=account.as_of_span),)
        raise TailorError([d.model_copy(update={"related": (*d.related, *note)}) for d in exc.diagnostics]) \
            from None


# ---- outputs ----------------------------------------------------------------------------------------
def _diagnostic_json(d: Diagnostic) -> dict[str, Any]:
    span = d.span
    return {"severity": d.severity.value, "code": d.code, "message": d.message, "hint": d.hint,
            "file": span.file if span else None, "line": span.line if span else None,
            "column": span.column if span else None}


def with_timings(result: RebalanceResult, timings: dict[str, float]) -> RebalanceResult:
    """The result with the command's stage timings (policy and data loading, then the engine's)."""
    if "timings" not in type(result).model_fields:  # a result without the field: failed runs add it
        return result
    return result.model_copy(update={"timings": {k: round(v, 3) for k, v in timings.items()}})


def failed_result_json(result: RebalanceResult, problems: list[Diagnostic], timings: dict[str, float]) -> str:
    """result.json of a run without a verified plan: status, diagnostics and timings; no trades and
    no summary, so that nothing in it reads as a plan to execute."""
    data = json.loads(result.model_copy(update={"trades": (), "summary": None}).to_json())
    data["diagnostics"] = [_diagnostic_json(d) for d in problems]
    data["timings"] = {k: round(v, 3) for k, v in timings.items()}  # replaces the engine's: a superset
    return json.dumps(data, indent=2) + "\n"


def commit(out: Path, files: dict[str, str | None]) -> list[Path]:
    """Replace files in `out` as one unit: every new file is first written in full to a temporary
    file beside it, then files mapped to None are removed and the new ones renamed into place, in
    the order given (result.json last). A failed run thus never leaves a stale trades.csv next to
    its result.json, and a crash while writing leaves the previous files untouched."""
    temps: dict[str, str] = {}
    try:
        out.mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            if text is not None:
                handle, temps[name] = tempfile.mkstemp(dir=out, prefix=f".{name}.", suffix=".tmp")
                with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
                    stream.write(text)
                os.chmod(temps[name], 0o666 & ~_umask())  # mkstemp's 0600 would hide them from others
        for name in files:
            if name in temps:
                os.replace(temps.pop(name), out / name)
            else:
                (out / name).unlink(missing_ok=True)
    except OSError as exc:
        raise TailorError(error("A118", f"--out {out}: cannot write: {exc.strerror or exc}", None,
                                "check the folder's permissions and free space")) from None
    finally:
        for temp in temps.values():
            Path(temp).unlink(missing_ok=True)
    return [out / name for name, text in files.items() if text is not None]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _refusal(result: RebalanceResult) -> list[Diagnostic]:
    return [error(v.code, f"trade check failed: {v.message}" + (f" (rule {v.rule_id})" if v.rule_id else ""),
                  v.span, "the trades were not written (result.json records the refusal); please report "
                  "this as a bug")
            for v in result.violations]


def failure(result: RebalanceResult, account: Account, policy: CompiledPolicy,
            time_limit: float) -> list[Diagnostic]:
    """Why there is no plan to execute (empty when the plan is verified)."""
    if result.summary is None and result.solve.status == "time_limit":
        return [error("S102", f"no plan found for {account.account_id} within the time limit of "
                      f"{time_limit:g} s (policy {', '.join(policy.sources)})", None,
                      "raise --time-limit, or relax the rules that need binaries (minimum trade, "
                      "whole shares, position limits)")]
    if result.summary is None and result.solve.status == "work_limit":
        return [error("S103", f"no plan found for {account.account_id} within the search's work limits, "
                      f"and no proof that the policy {', '.join(policy.sources)} is infeasible", None,
                      "please report this account and policy: the search should always find a plan "
                      "when one exists; meanwhile relax the minimum trade or whole shares")]
    if result.summary is None:
        return [error("S101", f"no trades satisfy the policy {', '.join(policy.sources)} "
                      f"for {account.account_id} (solver status: {result.solve.status})", None,
                      "`tailor explain` with the same arguments names the rules that conflict "
                      "and how far each must give")]
    return [] if result.verified else _refusal(result)


def run(args: argparse.Namespace) -> int:
    from rich.console import Console

    from solver.outputs import render_summary, trades_csv
    from solver.rebalance import RebalanceOptions, plan

    check_options(args)
    out = check_out_dir(args.out) if args.out else None
    timings: dict[str, float] = {}
    policy, account, market = load_inputs(args, timings)
    outcome = plan(account, policy, market, RebalanceOptions(time_limit=args.time_limit, mip_gap=args.gap,
                                                             log=args.log))
    timings.update(outcome.timings)
    result = with_timings(outcome.result, timings)
    console = Console()
    render_summary(result, console, timings)
    problems = failure(result, account, policy, args.time_limit)
    if out is not None:
        files = ({"trades.csv": None, "result.json": failed_result_json(result, problems, timings)}
                 if problems else {"trades.csv": trades_csv(result), "result.json": result.to_json()})
        for path in commit(out, files):
            console.print(f"wrote {path}")
    if problems:
        raise TailorError(problems)
    return 0
