"""Run outputs shared by the CLI, batches and the service: the --out folder check, the atomic commit
of a run's files, and the record of a run without a verified plan.

Light on purpose (no solver import at load time): `tailor check` and `tailor --help` import it.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.diagnostics import Diagnostic, TailorError, error

if TYPE_CHECKING:
    from compiler.ir import CompiledPolicy
    from solver.account import Account
    from solver.result import RebalanceResult


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




def _diagnostic_json(d: Diagnostic) -> dict[str, Any]:
    span = d.span
    return {"severity": d.severity.value, "code": d.code, "message": d.message, "hint": d.hint,
            "file": span.file if span else None, "line": span.line if span else None,
            "column": span.column if span else None}


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


def failure(result: RebalanceResult, account: Account, policy: CompiledPolicy, time_limit: float,
            explained_by: str = "`tailor explain` with the same arguments") -> list[Diagnostic]:
    """Why there is no plan to execute (empty when the plan is verified); `explained_by`: the command
    that names an infeasible policy's conflicting rules."""
    if result.summary is None and result.solve.status == "time_limit":
        return [error("S102", f"no plan found for {account.account_id} within the time limit of "
                      f"{time_limit:g} s (policy {', '.join(policy.sources)})", None,
                      "raise --time-limit, or relax the rules that need binaries (minimum trade, "
                      "whole shares, position limits)")]
    if result.summary is None and result.solve.status in ("work_limit", "error"):
        # (an LP the simplex could not decide is no proof of infeasibility either)
        why = "within the search's work limits" if result.solve.status == "work_limit" else \
            "(the solver could not decide an LP)"
        return [error("S103", f"no plan found for {account.account_id} {why}, "
                      f"and no proof that the policy {', '.join(policy.sources)} is infeasible", None,
                      "please report this account and policy: the search should always find a plan "
                      "when one exists; meanwhile relax the minimum trade or whole shares")]
    if result.summary is None:
        return [error("S101", f"no trades satisfy the policy {', '.join(policy.sources)} "
                      f"for {account.account_id} (solver status: {result.solve.status})", None,
                      f"{explained_by} names the rules that conflict and how far each must give")]
    return [] if result.verified else _refusal(result)


