"""Input bounds. A policy is a small human-written file; anything far larger is a mistake or an attack,
and gets a clear error instead of unbounded memory or time.

Account files come from other systems (custodians, order management), so they are bounded too: their
size, their lines, how many problems one file reports, and every number in them (docs/solver.md,
"Account files", states these bounds for users)."""

from decimal import Decimal

MAX_FILE_BYTES = 1_000_000  # one policy file
MAX_RULES = 5_000  # rules in one file
MAX_LIST_ITEMS = 5_000  # entries in one list (tickers, lots, YAML sequences)
MAX_NESTING = 12  # YAML nesting depth
MAX_STRING = 4_000  # characters in one string (reasons, names)
MAX_EXTENDS_DEPTH = 8  # firm → model → household → account needs 4
MAX_LINE = 10_000  # characters on one DSL line

# ---- account files (solver/account_files.py) ----------------------------------------------------------
MAX_ACCOUNT_YAML_BYTES = 1_000_000  # account.yaml holds a dozen scalars
MAX_TABLE_BYTES = 50_000_000  # a lots or transactions file
# Rows of a lots or transactions table: 15 times the largest account benchmarked (13,401 lots). Each lot
# is a variable of the model, and reading 200,000 already takes seconds and a few hundred MB.
MAX_TABLE_ROWS = 200_000
MAX_TABLE_LINE = 10_000  # characters on one CSV line (a lot's line is ~60)
# Every diagnostic quotes a line of its file, so a file whose every row is wrong would print as much
# again as it holds; past this many, the rest are counted in one note instead.
MAX_FILE_PROBLEMS = 25
MAX_TICKER = 16  # characters in a ticker (an ISIN has 12)
# Numbers: finite, within these bounds, and at most MAX_DECIMALS decimal places. Far beyond any real
# account, they keep floats in the model exact enough and stop 1e30 shares or 1e-999999 (printed in
# full by `{:f}`: a megabyte per value) from reaching the engine.
MAX_DECIMALS = 20  # a float written by another system (0.30000000000000004) has 17
MAX_MONEY = Decimal("1e12")  # cash, realized gains, year-to-date gains, carryforwards: $1 trillion
MAX_SHARES = Decimal("1e10")  # shares in one lot or transaction: 10 billion
MAX_PRICE = Decimal("1e7")  # a price or cost basis per share: $10 million (BRK.A is ~$400k)
