"""Input bounds. A policy is a small human-written file; anything far larger is a mistake or an attack,
and gets a clear error instead of unbounded memory or time."""

MAX_FILE_BYTES = 1_000_000  # one policy file
MAX_RULES = 5_000  # rules in one file
MAX_LIST_ITEMS = 5_000  # entries in one list (tickers, lots, YAML sequences)
MAX_NESTING = 12  # YAML nesting depth
MAX_STRING = 4_000  # characters in one string (reasons, names)
MAX_EXTENDS_DEPTH = 8  # firm → model → household → account needs 4
MAX_LINE = 10_000  # characters on one DSL line
