"""check, rebalance and explain on objects or files: what `tailor check|rebalance|explain` do, as functions.

Bad inputs raise `TailorError` carrying the CLI's located diagnostics; a run that finds no plan to
execute is not an exception but a `RebalanceReport` whose status and diagnostics say why.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from core.diagnostics import Diagnostic, TailorError, error
from engine.explain import explain as explain_plan
from engine.explain.schema import Explanation
from engine.rebalance import Plan, RebalanceOptions, plan
from tailor.api.inputs import AccountInput, Inputs, MarketInput, PathLike, PolicyInput, resolve
from tailor.api.models import CheckedFile, CheckReport, RebalanceReport, RebalanceStatus
from tailor.api.outputs import failure
from tailor.api.policies import check_files


def check(paths: PathLike | Sequence[PathLike]) -> CheckReport:
    """Check policy files (or folders of them) against the schema, the security master and the screens."""
    single = isinstance(paths, str) or not isinstance(paths, Sequence)
    names = [str(paths)] if single else [str(p) for p in paths]
    files, diagnostics = check_files(names)
    if not files:
        raise TailorError(error("P005", "no policy files found", None,
                                "pass .tailor or .yaml files, or a folder holding them"))
    errors = sum(d.is_error for d in diagnostics)
    return CheckReport(files=tuple(CheckedFile(**entry) for entry in files), diagnostics=tuple(diagnostics),
                       errors=errors, warnings=len(diagnostics) - errors)


def status_of(problems: list[Diagnostic], solver_status: str) -> RebalanceStatus:
    """The report's status from `failure`'s diagnostics (their codes are the CLI's)."""
    if not problems:
        return "verified"
    code = problems[0].code
    if code == "S101":
        return "infeasible"
    if code == "S102":
        return "time_limit"
    if code == "S103" or solver_status not in ("optimal", "feasible"):
        return "no_plan"
    return "refused"


def decide(inputs: Inputs, options: RebalanceOptions) -> tuple[Plan, RebalanceReport]:
    """Solve and verify, then say how it ended: the working plan (for explanations) and the report."""
    solved = plan(inputs.account, inputs.policy, inputs.market, options)
    result = solved.result
    problems = failure(result, inputs.account, inputs.policy, options.time_limit)
    if problems:  # nothing that reads as a plan to execute: as result.json of a failed CLI run
        result = result.model_copy(update={"trades": (), "summary": None})
    report = RebalanceReport(status=status_of(problems, result.solve.status), result=result,
                             diagnostics=(*problems, *inputs.notes))
    return solved, report


def rebalance(account: AccountInput, policy: PolicyInput, market: MarketInput = None, *,
              as_of: date | None = None, target: PathLike | None = None,
              options: RebalanceOptions | None = None) -> RebalanceReport:
    """Verified lot-level trades for one account under a policy (`tailor rebalance`)."""
    inputs = resolve(account, policy, market, as_of=as_of, target=target)
    return decide(inputs, options or RebalanceOptions())[1]


def explain(account: AccountInput, policy: PolicyInput, market: MarketInput = None, *,
            as_of: date | None = None, target: PathLike | None = None,
            options: RebalanceOptions | None = None) -> Explanation:
    """Why each trade, what each rule costs; for an impossible policy, the rules that conflict
    (`tailor explain`, schema tailor.explanation/1)."""
    inputs = resolve(account, policy, market, as_of=as_of, target=target)
    solved, _ = decide(inputs, options or RebalanceOptions())
    return explain_plan(solved, inputs.policy)

