"""Why each trade: the rules and objective terms that drive or hold back every lot sale and buy, and
the overweight lots that were kept (with the gain a sale would realize and the days to long-term).

Every figure comes from the model at the fixed-integer LP optimum (`engine.explain.forces`); the
trade figures themselves (shares, dollars, gains) come from the verified outcome in exact decimals.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np

from compiler.lower import Provenance
from engine.explain.forces import Direction, Forces
from engine.explain.schema import RuleForce, TermEffect, TradeReason
from solver.tax import days_to_long_term, long_term_from, money_text, to_cents
from solver.verify import LotSale, Outcome
from solver.verify_wash import WashMatch

REPORT_SHARE = 0.02  # show forces of at least 2% of the trade's largest one
REPORT_FLOOR_BP = 0.005
KEPT_MIN_OVERWEIGHT = 0.001  # explain kept lots in names more than 0.10% overweight after trading
KEPT_MAX = 10
REPLACEMENTS = 2


def cite(rule_id: str, provenance: dict[str, Provenance]) -> str:
    found = next((p for p in provenance.values() if p.rule_id == rule_id), None)
    return f"`{rule_id}` ({found.span.file}:{found.span.line})" if found else f"`{rule_id}`"


def _money(amount: Decimal) -> str:
    return money_text(amount)


class ReasonBuilder:
    def __init__(self, forces: Forces, outcome: Outcome, provenance: dict[str, Provenance]):
        self.forces, self.outcome, self.provenance = forces, outcome, provenance
        self.by_rule = {p.rule_id: p for p in provenance.values()}
        self.model = forces.bench.model
        self.value = self.model.data.value

    # -- shared -----------------------------------------------------------------------------------
    def _explain(self, d: Direction, size: float) -> tuple[tuple[RuleForce, ...], tuple[TermEffect, ...]]:
        rules = self.forces.rule_forces(d, size)
        terms = self.forces.term_effects(d, size)
        largest = max([abs(v) for v in (*rules.values(), *terms.values())], default=0.0)
        floor = max(REPORT_FLOOR_BP, REPORT_SHARE * largest)
        shown_rules = tuple(
            RuleForce(
                rule_id=rid,
                kind=self.by_rule[rid].kind,
                span=self.by_rule[rid].span,
                role="requires" if bp > 0 else "limits",
                bp=round(bp, 2),
            )
            for rid, bp in sorted(rules.items(), key=lambda kv: (-abs(kv[1]), kv[0]))
            if abs(bp) >= floor
        )
        shown_terms = tuple(
            TermEffect(
                tag=tag,
                span=self.by_rule[owner].span if (owner := self._owner(tag)) in self.by_rule else None,
                bp=round(bp, 2),
                role="favours" if bp < 0 else "costs",
            )
            for tag, bp in sorted(terms.items(), key=lambda kv: (-abs(kv[1]), kv[0]))
            if abs(bp) >= floor
        )
        return shown_rules, shown_terms

    def _owner(self, tag: str) -> str:
        """The rule that tagged an objective term: `harvest`, or `preferences` for `preferences.tax`."""
        return tag if tag in self.by_rule else tag.rsplit(".", 1)[0]

    def _because(self, rules: tuple[RuleForce, ...], terms: tuple[TermEffect, ...]) -> str:
        parts = []
        need = [f"{cite(r.rule_id, self.provenance)}" for r in rules if r.role == "requires"]
        hold = [f"{cite(r.rule_id, self.provenance)}" for r in rules if r.role == "limits"]
        if need:
            parts.append("required by " + ", ".join(need))
        if hold:
            parts.append("limited by " + ", ".join(hold))
        if terms:
            parts.append("objective: " + ", ".join(self._terms(terms)))
        return "; ".join(parts) if parts else "no binding rule; objective indifferent at the margin"

    def _terms(self, terms: tuple[TermEffect, ...]) -> list[str]:
        """Term effects grouped by the rule that tagged them: "tax -3.21 bp, tracking +0.19 bp via
        `preferences` (policies/firm/default.tailor:14)"."""
        groups: dict[str, list[str]] = {}
        for t in terms:
            owner = self._owner(t.tag)
            label = t.tag[len(owner) + 1 :] if t.tag.startswith(owner + ".") else t.tag
            groups.setdefault(owner, []).append(f"{label} {t.bp:+.2f} bp")
        return [
            f"{', '.join(items)} via {cite(owner, self.provenance)}"
            if owner in self.by_rule
            else ", ".join(items)
            for owner, items in groups.items()
        ]

    def _wash_sale(self, sale: LotSale) -> list[str]:
        """The sale's shares matched with replacement shares (Treas. Reg. §1.1091-1(c)) and the loss
        each match moves into the replacement's basis."""
        def which(m: WashMatch) -> str:
            if m.replacement in self.model.data.lot_index:
                return f"lot {m.replacement}{self._held_in(m.replacement)} bought {m.replacement_acquired}"
            return f"the shares {m.replacement}"

        whole = f"{sale.trade.shares.normalize():,f}"
        return [f"; {m.shares.normalize():,f} of {whole} shares matched with {which(m)}: "
                f"{_money(m.loss_disallowed)} disallowed, added to its basis"
                for m in self.outcome.wash_matches if m.lot_id == sale.trade.lot_id]

    # -- trades -----------------------------------------------------------------------------------
    def trades(self) -> list[TradeReason]:
        out = []
        buys = sorted({t.ticker for t in self.outcome.buys})
        for sale in self.outcome.sales:
            trade = sale.trade
            lot = self.model.data.lot_index[trade.lot_id]
            size = float(trade.amount) / self.value
            rules, terms = self._explain(self.forces.sale(lot), size)
            replaced = self._replacements(trade.ticker, buys) if sale.gain < 0 else ()
            term = "long" if sale.long_term else "short"
            gain = (
                f"at a {_money(-sale.gain)} loss"
                if sale.gain < 0
                else f"realizing a {_money(sale.gain)} {term}-term gain"
            )
            text = (
                f"sold lot {trade.lot_id} of {trade.ticker} ({trade.shares.normalize():f} shares, "
                f"{_money(trade.amount)}) {gain}: {self._because(rules, terms)}"
            )
            if replaced:
                text += f"; replaced by {' and '.join(replaced)}"
            text += "".join(self._wash_sale(sale))
            out.append(
                TradeReason(
                    action="sell",
                    ticker=trade.ticker,
                    lot_id=trade.lot_id,
                    shares=trade.shares,
                    amount=to_cents(trade.amount),
                    realized_gain=to_cents(sale.realized),
                    term=term,
                    rules=rules,
                    terms=terms,
                    replaced_by=replaced,
                    text=text,
                )
            )
        for trade in self.outcome.buys:
            i = self.model.data.index[trade.ticker]
            rules, terms = self._explain(self.forces.purchase(i), float(trade.amount) / self.value)
            text = (
                f"bought {trade.shares.normalize():f} shares of {trade.ticker} ({_money(trade.amount)}): "
                f"{self._because(rules, terms)}"
            )
            out.append(
                TradeReason(
                    action="buy",
                    ticker=trade.ticker,
                    lot_id=None,
                    shares=trade.shares,
                    amount=to_cents(trade.amount),
                    realized_gain=None,
                    term=None,
                    rules=rules,
                    terms=terms,
                    text=text,
                )
            )
        return out

    def _replacements(self, ticker: str, buys: list[str]) -> tuple[str, ...]:
        """The bought names whose returns move most with the sold one (risk-model covariance)."""
        model = self.model
        loadings, specific = model.data.risk.loadings, model.data.risk.specific_var
        i = model.data.index[ticker]
        scored = []
        for name in buys:
            j = model.data.index[name]
            if j == i:
                continue
            cov = float(loadings[i] @ loadings[j])
            corr = cov / np.sqrt(
                float(loadings[i] @ loadings[i] + specific[i])
                * float(loadings[j] @ loadings[j] + specific[j])
            )
            if corr > 0.5:
                scored.append((-corr, name))
        return tuple(name for _, name in sorted(scored)[:REPLACEMENTS])

    # -- kept lots --------------------------------------------------------------------------------
    def kept(self) -> list[TradeReason]:
        """For each name still overweight after trading, its cheapest unsold lot: why not sell it?"""
        model, outcome, point = self.model, self.outcome, self.forces.point
        found = []
        for ticker in sorted(outcome.shares_after):
            over = float(outcome.weight_after([ticker])) - outcome.target.get(ticker, 0.0)
            if over <= KEPT_MIN_OVERWEIGHT or ticker not in model.data.index:
                continue
            data = model.data
            lots = [  # a held-away account's lots are never sold: nothing to explain there
                k
                for k in data.lots_of[data.index[ticker]]
                if outcome.lot_remaining.get(data.lots[k].lot_id, Decimal(0)) > 0
                and data.tradable[data.lot_account[k]]
            ]
            if not lots:
                continue
            rc = point.col_dual[self.forces.cols.sell[lots]]
            lot = lots[int(np.argmin(rc))]
            found.append((-over, ticker, lot, over))
        out = []
        for _, ticker, lot, over in sorted(found)[:KEPT_MAX]:
            out.append(self._kept_reason(ticker, lot, over))
        return out

    def _held_in(self, lot_id: str) -> str:
        """In a household's plan, the account holding a lot (` in smith-ira`); nothing for one account."""
        account = self.outcome.account.lot_accounts.get(lot_id)
        return f" in {account}" if account else ""

    def _bought_elsewhere(self, ticker: str, lot: int) -> str:
        """A household's recent purchases of the name in accounts other than the lot's: the other side
        of a wash sale across accounts, which the loss sale would make."""
        data, account = self.model.data, self.outcome.account
        if not data.household:
            return ""
        own = account.lot_accounts.get(data.lots[lot].lot_id)
        bought = sorted({(t.account, t.on) for t in account.transactions
                         if t.action == "buy" and t.ticker == ticker and t.account != own
                         and 0 <= (data.as_of - t.on).days <= 30})
        return "".join(f"; {who} bought {ticker} on {on} (a loss sale now would be a wash sale across "
                       "accounts)" for who, on in bought)

    def _kept_reason(self, ticker: str, lot: int, over: float) -> TradeReason:
        model, outcome = self.model, self.outcome
        record = model.data.lots[lot]
        remaining = outcome.lot_remaining[record.lot_id]
        price = outcome.prices[ticker]
        shares = min(
            remaining, (Decimal(repr(over)) * outcome.value_after / price).quantize(Decimal("0.000001"))
        )
        amount = shares * price
        gain = shares * (price - record.basis_per_share)
        long_term = bool(model.data.lot_long_term[lot])
        size = float(amount) / self.value
        rules, terms = self._explain(self.forces.sale(lot), size)
        # Forces on a sale that did not happen: those opposing it explain the decision.
        days = None if long_term else days_to_long_term(record.held_since, model.data.as_of)
        term = "long" if long_term else "short"
        what = f"a {_money(-gain)} loss" if gain < 0 else f"a {_money(gain)} {term}-term gain"
        if not model.data.lot_taxed[lot]:  # a household's IRA or Roth lot
            what, gain = "no taxable gain or loss (an IRA or a Roth)", Decimal(0)
        text = (
            f"kept lot {record.lot_id}{self._held_in(record.lot_id)} of {ticker} although {over:.2%} "
            f"overweight: selling {shares.normalize():f} shares would realize {what}"
        )
        if days:
            text += f"; it turns long-term in {days} days ({long_term_from(record.held_since)})"
        text += f"; {self._because(rules, terms)}"
        if gain < 0 and any(r.kind == "wash_sale" for r in rules):
            text += self._bought_elsewhere(ticker, lot)
        return TradeReason(
            action="keep",
            ticker=ticker,
            lot_id=record.lot_id,
            shares=shares,
            amount=to_cents(amount),
            realized_gain=to_cents(gain),
            term=term,
            days_to_long_term=days,
            overweight=round(over, 6),
            rules=rules,
            terms=terms,
            text=text,
        )
