"""Account inputs against the policy, before anything is built: each rule kind refuses what it cannot
honour as written (`RuleKind.check_account`) — a locked target the account would replace, household
trades a wash-sale rule would need or ignore. Called by the engine and, earlier, by the CLI."""

from __future__ import annotations

from typing import TYPE_CHECKING

from compiler.ir import CompiledPolicy
from compiler.rules import RULE_KINDS

if TYPE_CHECKING:
    from solver.account import Account


def check_account(policy: CompiledPolicy, account: Account) -> None:
    for rule in policy.rules:
        RULE_KINDS[rule.kind].check_account(rule, account)
