"""One registry of diagnostic codes: for each code, its title, what it means and how to fix it.

A code is a letter for the stage that reports it and three digits: P policies, A accounts, D market
data, S the solve, T policy tests, V the verifier, M simulations; B books and batches, L the
decision log, H the HTTP service. Each code has one meaning, so that an advisor can look it up
and an integrator can act on it without reading the message. The table is product copy; the
sources only use the codes (`error("P205", …)`) and say the particulars in the message.

docs/errors.md is generated from this registry (`tailor codes --markdown`, `make docs`), and
`tailor codes CODE` prints one entry. tests/policy_lang/test_error_codes.py checks that every code
the sources use is registered, that every registered code is used, and that docs/errors.md is what
the generator prints.

The registry sits beside `core.diagnostics` at the bottom of the import graph: it imports
nothing from compiler/ or solver/.
"""

from __future__ import annotations

from core.error_codes.account import ACCOUNT
from core.error_codes.entry import CODE_PATTERN, ErrorCode, Family
from core.error_codes.interfaces import BOOK, DECISION_LOG, SERVICE
from core.error_codes.market_data import MARKET_DATA
from core.error_codes.policy_checks import LAYERS, NAMES, VALUES
from core.error_codes.policy_fields import FIELDS
from core.error_codes.policy_syntax import FILES, SYNTAX
from core.error_codes.runs import POLICY_TESTS, SOLVE
from core.error_codes.simulation import SIMULATION
from core.error_codes.verification import ACCOUNTING, RULES

__all__ = ["CODES", "CODE_PATTERN", "FAMILIES", "ErrorCode", "Family", "family_of"]

# In the order of a run: the policy is read, checked and layered, the account and market loaded, the
# model solved and its trades verified. Policy tests, which drive whole runs, come next, then the
# interfaces that drive many: books and batches, the decision log, the HTTP service.
FAMILIES: tuple[Family, ...] = (FILES, SYNTAX, FIELDS, NAMES, VALUES, LAYERS, ACCOUNT, MARKET_DATA, SOLVE,
                                ACCOUNTING, RULES, POLICY_TESTS, SIMULATION, BOOK, DECISION_LOG, SERVICE)

CODES: dict[str, ErrorCode] = {entry.code: entry for family in FAMILIES for entry in family.codes}


def family_of(code: str) -> Family | None:
    return next((family for family in FAMILIES if code.startswith(family.prefix)), None)
