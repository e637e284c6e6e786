"""The decision log's tables (schema `tailor.log/1`, documented in docs/batch.md, "Decision log").

Money is stored as text (the decimal strings of result.json), never as a float column: a log that
rounds a cent cannot prove a trade. Dates and times are ISO 8601 text (UTC for times), so the same
queries run on SQLite and on a server database.
"""

from __future__ import annotations

from sqlalchemy import Column, Float, ForeignKey, Index, Integer, MetaData, String, Table, Text

LOG_SCHEMA = "tailor.log/1"

metadata = MetaData()

meta = Table(
    "tailor_meta", metadata,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)

runs = Table(
    "tailor_runs", metadata,
    Column("run_id", String(32), primary_key=True),  # uuid4 hex
    Column("command", String(32), nullable=False),  # rebalance | explain | batch | serve
    Column("started_at", String(32), nullable=False),
    Column("finished_at", String(32)),  # NULL: the run stopped before it finished (a crash, a kill)
    Column("status", String(16)),  # finished | failed; NULL while running or after a crash
    Column("engine_version", String(64), nullable=False),
    Column("arguments", Text, nullable=False),  # JSON: the command's arguments (book, options, …)
)

decisions = Table(
    "tailor_decisions", metadata,
    Column("decision_id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(32), ForeignKey("tailor_runs.run_id"), nullable=False),
    Column("recorded_at", String(32), nullable=False),
    Column("id", String(128), nullable=False),  # the book's id (output folder) or the account id
    Column("account_id", String(256)),
    Column("household_id", String(256)),
    Column("as_of", String(10)),
    Column("status", String(16), nullable=False),
    Column("policy_name", Text),
    Column("policy_hash", String(64)),
    Column("policy_sources", Text, nullable=False),  # JSON list of files, top layer first
    Column("account_file", Text),
    Column("policy_file", Text),
    Column("account_hash", String(64)),
    Column("market_source", String(16)),
    Column("market_digest", String(64)),
    Column("engine_version", String(64), nullable=False),
    Column("time_limit", Float),
    Column("mip_gap", Float),
    Column("input_key", String(64)),
    Column("plan_hash", String(64)),
    Column("trades", Integer),
    Column("sells", Integer),
    Column("buys", Integer),
    Column("value_before", String(32)),
    Column("sold", String(32)),
    Column("estimated_tax", String(32)),
    Column("realized_short_term", String(32)),
    Column("realized_long_term", String(32)),
    Column("turnover", Float),
    Column("tracking_error_before", Float),
    Column("tracking_error_after", Float),
    Column("conflict", Text, nullable=False),  # JSON list of rule ids
    Column("diagnostics", Text, nullable=False),  # JSON list: severity, code, message, span, hint
    Column("timings", Text, nullable=False),  # JSON: seconds per stage
)

trades = Table(
    "tailor_trades", metadata,
    Column("decision_id", Integer, ForeignKey("tailor_decisions.decision_id"), primary_key=True),
    Column("seq", Integer, primary_key=True),  # the line's position in trades.csv
    Column("action", String(8), nullable=False),
    Column("ticker", String(16), nullable=False),
    Column("lot_id", String(256)),
    Column("acquired", String(10)),
    Column("shares", String(32), nullable=False),
    Column("price", String(32), nullable=False),
    Column("amount", String(32), nullable=False),
    Column("cost_basis", String(32)),
    Column("realized_gain", String(32)),
    Column("term", String(8)),
    Column("disallowed_loss", String(32)),  # a sale's loss a wash sale disallows
    Column("account", String(256)),  # a household plan's trade: the account that trades
)

# Every column of trades.csv (solver.outputs.TRADE_COLUMNS) has its column here; a test keeps them in
# step, since an insert would silently drop a key the table lacks.
Index("tailor_decisions_account", decisions.c.account_id, decisions.c.decision_id)
Index("tailor_decisions_policy", decisions.c.policy_hash)
Index("tailor_decisions_run", decisions.c.run_id)
Index("tailor_trades_ticker", trades.c.ticker)
