"""The compliance questions `tailor log` answers, as queries on the decision log (tailor.log/1).

Each returns plain rows (dicts of JSON values), so the CLI prints them as a table or JSON alike. Hashes
and run ids may be given as prefixes, as git's.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, func, select

from core.diagnostics import TailorError, error
from tailor.decision_log.schema import decisions, runs, trades

# What two decisions of an account are compared on, beyond their trades.
COMPARED = ("as_of", "status", "policy_name", "policy_hash", "policy_sources", "account_hash",
            "market_source", "market_digest", "engine_version", "time_limit", "mip_gap", "plan_hash",
            "trades", "value_before", "estimated_tax", "realized_short_term", "realized_long_term",
            "turnover", "tracking_error_after")
TRADE_KEY = ("action", "ticker", "lot_id")


def _none(what: str, hint: str) -> TailorError:
    return TailorError(error("L103", what, None, hint))


def list_runs(conn: Connection, limit: int) -> list[dict[str, Any]]:
    counts = (select(decisions.c.run_id, func.count().label("decisions")).group_by(decisions.c.run_id)
              .subquery())
    query = (select(runs.c.run_id, runs.c.command, runs.c.started_at, runs.c.finished_at, runs.c.status,
                    func.coalesce(counts.c.decisions, 0).label("decisions"))
             .outerjoin(counts, counts.c.run_id == runs.c.run_id)
             .order_by(runs.c.started_at.desc()).limit(limit))
    return [dict(row._mapping) for row in conn.execute(query)]


def traded_under(conn: Connection, policy_hash: str, *, all_decisions: bool = False) -> list[dict[str, Any]]:
    """Which accounts traded under a policy (its content hash, or a prefix of it)."""
    query = (select(decisions.c.account_id, decisions.c.id, decisions.c.as_of, decisions.c.status,
                    decisions.c.trades, decisions.c.policy_name, decisions.c.policy_hash, decisions.c.run_id,
                    decisions.c.decision_id, decisions.c.recorded_at)
             .where(decisions.c.policy_hash.startswith(policy_hash.lower()))
             .order_by(decisions.c.account_id, decisions.c.decision_id))
    if not all_decisions:
        query = query.where(decisions.c.trades > 0)
    return [dict(row._mapping) for row in conn.execute(query)]


def trade_provenance(conn: Connection, account: str, ticker: str, *, lot: str | None = None,
                     as_of: str | None = None) -> list[dict[str, Any]]:
    """Which policy version and inputs produced the trades of a ticker (and lot) in an account."""
    query = (select(trades.c.decision_id, trades.c.seq, trades.c.action, trades.c.ticker, trades.c.lot_id,
                    trades.c.shares, trades.c.amount, trades.c.realized_gain, decisions.c.account_id,
                    decisions.c.as_of, decisions.c.policy_name, decisions.c.policy_hash,
                    decisions.c.policy_sources, decisions.c.policy_file, decisions.c.account_file,
                    decisions.c.account_hash, decisions.c.market_source, decisions.c.market_digest,
                    decisions.c.engine_version, decisions.c.plan_hash, decisions.c.run_id,
                    decisions.c.recorded_at)
             .join(decisions, decisions.c.decision_id == trades.c.decision_id)
             .where((decisions.c.account_id == account) | (decisions.c.id == account),
                    trades.c.ticker == ticker.upper())
             .order_by(trades.c.decision_id, trades.c.seq))
    if lot is not None:
        query = query.where(trades.c.lot_id == lot)
    if as_of is not None:
        query = query.where(decisions.c.as_of == as_of)
    rows = [dict(row._mapping) for row in conn.execute(query)]
    for row in rows:
        row["policy_sources"] = json.loads(row["policy_sources"])
    return rows


def _decision(conn: Connection, decision_id: int) -> dict[str, Any]:
    row = conn.execute(select(decisions).where(decisions.c.decision_id == decision_id)).first()
    if row is None:
        raise _none(f"no decision {decision_id} in the log", "`tailor log runs` lists what the log holds")
    found = dict(row._mapping)
    for column in ("policy_sources", "conflict", "diagnostics", "timings"):
        found[column] = json.loads(found[column])
    found["trade_lines"] = [dict(r._mapping) for r in conn.execute(
        select(trades).where(trades.c.decision_id == decision_id).order_by(trades.c.seq))]
    return found


def show(conn: Connection, decision_id: int) -> dict[str, Any]:
    return _decision(conn, decision_id)


def changes(conn: Connection, account: str, first: int | None = None,
            second: int | None = None) -> dict[str, Any]:
    """What changed between two decisions of an account: by default its last two."""
    if first is None or second is None:
        ids = [row.decision_id for row in conn.execute(
            select(decisions.c.decision_id)
            .where((decisions.c.account_id == account) | (decisions.c.id == account))
            .order_by(decisions.c.decision_id.desc()).limit(2))]
        if len(ids) < 2:
            raise _none(f"account {account!r} has {len(ids)} decision{'s' * (len(ids) != 1)} in the log; "
                        "two are needed to compare", "check the account id (`tailor log runs`, `tailor log "
                        "accounts`), or rebalance it again")
        second, first = ids
    old, new = _decision(conn, first), _decision(conn, second)
    fields = {name: {"old": old[name], "new": new[name]} for name in COMPARED if old[name] != new[name]}

    def keyed(lines: list[dict[str, Any]]) -> dict[tuple, dict[str, Any]]:
        return {tuple(line[k] for k in TRADE_KEY): line for line in lines}

    before, after = keyed(old["trade_lines"]), keyed(new["trade_lines"])
    changed = [{"trade": dict(zip(TRADE_KEY, key, strict=True)), "old_shares": before[key]["shares"],
                "new_shares": after[key]["shares"]}
               for key in sorted(before.keys() & after.keys(), key=str)
               if before[key]["shares"] != after[key]["shares"]]
    return {"account": account, "old": first, "new": second, "fields": fields,
            "trades_added": [after[k] for k in sorted(after.keys() - before.keys(), key=str)],
            "trades_removed": [before[k] for k in sorted(before.keys() - after.keys(), key=str)],
            "trades_changed": changed}
