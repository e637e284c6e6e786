"""A household rebalanced through the API: what `tailor household` does, as one function.

    report = tailor.household("examples/households/smith/household.yaml", "household")
    report.status, report.summary, report.plans[0].result.trades

`household` mode plans every account in one model (engine/household_plan.py), `sleeves` each account
on its own and judges them as one (engine/household.py); both return a `tailor.household_run/1` report:
how the run ended, the household's figures (`tailor.household/1`) and each plan as a
`tailor.rebalance/1` report — one for the household's model, one per traded account for the sleeves.
A plan that is not verified carries no trades and no summary, as in `tailor rebalance`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from core.diagnostics import Diagnostic
from engine.household_summary import HouseholdSummary
from engine.rebalance import RebalanceOptions
from solver.household import Household
from solver.result import RebalanceResult
from tailor.api.engine import status_of
from tailor.api.inputs import PathLike
from tailor.api.models import RebalanceReport, RebalanceStatus, _Run
from tailor.api.outputs import failure

HOUSEHOLD_RUN_SCHEMA = "tailor.household_run/1"
HouseholdMode = Literal["household", "sleeves"]
# The command that names an infeasible household policy's conflicting rules (one model).
EXPLAINED_BY = "`tailor household … --mode household --explain`"


class HouseholdReport(_Run):
    """`tailor.household`: a household's run in one mode. `status` is `verified` only when every plan
    is; otherwise the first plan's that is not. `summary` (the household's figures) is there when the
    household model's plan is verified, and always for the sleeves (an account without a verified plan
    counts as not traded, `complete` false). `diagnostics`: the market's warnings (D109, D117)."""

    schema_: Literal["tailor.household_run/1"] = Field(default=HOUSEHOLD_RUN_SCHEMA, alias="schema")
    household_id: str
    mode: HouseholdMode
    status: RebalanceStatus
    summary: HouseholdSummary | None
    plans: tuple[RebalanceReport, ...]
    diagnostics: tuple[Diagnostic, ...] = ()



def _report(result: RebalanceResult, problems: list[Diagnostic]) -> RebalanceReport:
    if problems:  # nothing that reads as a plan to execute
        result = result.model_copy(update={"trades": (), "summary": None})
    return RebalanceReport(status=status_of(problems, result.solve.status), result=result,
                           diagnostics=tuple(problems))


def household(source: PathLike | Household, mode: HouseholdMode,
              options: RebalanceOptions | None = None) -> HouseholdReport:
    """Rebalance a household (household.yaml, or a loaded `Household`) on the bundled market of its
    date, in one model (`household`) or account by account (`sleeves`)."""
    from engine.household import run_sleeves
    from engine.household_plan import plan_household
    from solver.household_files import load_household
    from solver.market import Market

    loaded = source if isinstance(source, Household) else load_household(source)
    market = Market.load(loaded.as_of)
    options = options or RebalanceOptions()
    if mode == "household":
        found = plan_household(loaded, market, options)
        result = found.plan.result
        problems = failure(result, found.plan.model.data.account, found.policy, options.time_limit,
                           explained_by=EXPLAINED_BY)
        plans = (_report(result, problems),)
        summary = found.summary if not problems else None
    else:
        run = run_sleeves(loaded, market, options)
        plans = tuple(_report(s.result, failure(s.result, s.member.account, s.policy, options.time_limit))
                      for s in run.sleeves if s.result is not None and s.policy is not None)
        summary = run.summary
    status = next((p.status for p in plans if not p.verified), "verified")
    return HouseholdReport(household_id=loaded.household_id, mode=mode, status=status, summary=summary,
                           plans=plans, diagnostics=tuple(market.notes()))
