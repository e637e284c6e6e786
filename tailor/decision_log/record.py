"""Recording a command's decision: `tailor rebalance` and `tailor explain` append theirs to the
decision log as a run of one decision, whatever the outcome (a verified plan, an infeasible policy,
a time limit)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from core.diagnostics import Diagnostic
from engine.rebalance import RebalanceOptions
from solver.result import RebalanceResult
from tailor.api.decision import decision_of, trade_rows
from tailor.api.engine import status_of
from tailor.api.models import RebalanceReport
from tailor.decision_log.store import DecisionLog


def record_command(log: DecisionLog, command: str, arguments: dict[str, Any], result: RebalanceResult,
                   problems: list[Diagnostic], options: RebalanceOptions) -> int:
    """Append the run and its decision; the decision's id in the log."""
    return record_decisions(log, command, arguments, [(result, problems, None)], options)[0]


def record_decisions(log: DecisionLog, command: str, arguments: dict[str, Any],
                     results: list[tuple[RebalanceResult, list[Diagnostic], str | None]],
                     options: RebalanceOptions) -> list[int]:
    """Append one run with a decision for each (result, its problems, its account file — else the
    command's `account` argument): a household's accounts run account by account are one run."""
    shown = {k: str(v) if isinstance(v, Path) else v for k, v in arguments.items() if k != "run"}
    decisions = []
    for result, problems, account_file in results:
        if problems:  # as result.json of a failed run: nothing that reads as a plan to execute
            result = result.model_copy(update={"trades": (), "summary": None})
        report = RebalanceReport(status=status_of(problems, result.solve.status), result=result,
                                 diagnostics=tuple(problems))
        decisions.append(decision_of(report, options, account_file=account_file or shown.get("account"),
                                     policy_file=shown.get("policy"), trades=trade_rows(result)))
    with log.run(command, shown) as run_id:
        return [log.record(run_id, decision) for decision in decisions]


def record_report(log: DecisionLog, command: str, arguments: dict[str, Any], report: RebalanceReport,
                  options: RebalanceOptions) -> int:
    """Append an API call's decision (the service's rebalances) as a run of one decision."""
    decision = decision_of(report, options, trades=trade_rows(report.result))
    with log.run(command, arguments) as run_id:
        return log.record(run_id, decision)
