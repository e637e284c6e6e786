"""With no point from the repairs — near the relaxation's point, nor with every safe side taken —
HiGHS's MIP decides the binaries on the whole problem: its first point, or a proof that there is
none (solver/solve.py; solver/mip_phases.py, `binary_mip`). "No plan" then means a proven-infeasible
policy, which `tailor explain` turns into the rules that conflict.

On the 2,000-lot S&P 500 benchmark account (2021-04-21), tracking within 0.05% while realizing no net
gain cannot hold with the firm's wash-sale rule. Until session 17 the search gave up with the safe
sides fixed for good — a restriction, whose infeasibility proves nothing — and answered "no plan
within the work limits, no proof" (`work_limit`) in 0.5 s; HiGHS's presolve proves the whole problem
infeasible in 0.1 s. (`tailor explain` then names `firm-wash-sale`, `tight-tracking` and `no-gains`,
in about 40 s: not run here.)"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from compiler.check import compile_policy
from engine.rebalance import RebalanceOptions, plan
from solver.account_files import load_account
from solver.market import Market

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("trading", ["", "rule firm-trading: trading minimum trade $100 whole shares\n"])
def test_a_policy_no_repair_can_meet_is_proven_infeasible(tmp_path: Path, trading: str) -> None:
    """In whole shares too: there HiGHS first searches the restriction (as before) and, finding no
    point in it either, the whole problem."""
    written = tmp_path / "tight.tailor"
    written.write_text(
        'policy "Tighter tracking than the account\'s losses can pay for"\n'
        "layer account\n"
        f'extends "{ROOT / "policies" / "models" / "direct_index.tailor"}"\n\n'
        "rule tight-tracking: tracking error at most 0.05%\n"
        "rule no-gains: budget net gains $0 per year\n" + trading)
    policy = compile_policy(written)
    account = load_account(ROOT / "examples" / "accounts" / "sp500_2000" / "account.yaml")
    solved = plan(account, policy, Market.load(date(2021, 4, 21)), RebalanceOptions())
    assert solved.result.solve.status == "infeasible"
    assert solved.result.solve.stop == "infeasible"
