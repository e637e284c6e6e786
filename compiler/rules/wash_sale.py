"""wash sale — the window around a loss sale in which buying substantially identical stock disallows
the loss (30 days by default), whether purchases in other household accounts count, and groups of
securities treated as substantially identical.

    wash sale window 30 days scope household group GOOG, GOOGL group VOO, IVV, SPY

Scope household counts the recent trades of the household's other accounts, which the account file
gives as `household_transactions` (IRC §1091 reaches every account of the taxpayer and spouse). An
account that names no household is a household of one, so both scopes mean the same for it. An
account that names a household must give those trades under scope household (A132; an empty file
states that no other account traded), and may not give them under scope account, which would
ignore them (A133).
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from compiler.ir import RuleIR
from compiler.rules.base import DEFAULT_SPAN, Change, RuleKind, combine, compare_bound
from policy_lang.ast import Quantity, RuleNode, Subject, Unit
from policy_lang.formatting import format_subject
from policy_lang.quantities import format_quantity
from policy_lang.syntax import SyntaxErrorExample

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence
    from datetime import date

    from lark import Tree
    from pyomo.environ import Block

    from compiler.check import CheckContext
    from policy_lang.tree_reader import TreeReader
    from policy_lang.yaml_fields import Fields
    from solver.account import Account, Transaction
    from solver.contribution import Contribution
    from solver.lots import Lot
    from solver.model import AccountModel
    from solver.verify import Outcome, Violation

Scope = Literal["account", "household"]
LEGAL_WINDOW_DAYS = 30


class WashSaleNode(RuleNode):
    kind: ClassVar[str] = "wash_sale"
    window: Quantity | None = None
    scope: Scope = "account"
    groups: tuple[Subject, ...] = ()


class WashSaleIR(RuleIR):
    kind: Literal["wash_sale"] = "wash_sale"
    window_days: int  # days before and after a loss sale
    scope: Scope
    groups: tuple[tuple[str, ...], ...]  # each group's tickers are substantially identical


class WashSale(RuleKind[WashSaleNode, WashSaleIR]):
    name = "wash_sale"
    keyword = "wash sale"
    syntax_errors: ClassVar[dict[str, SyntaxErrorExample]] = {
        "wash_sale": ("P109", "a wash sale rule takes clauses",
                      "e.g. `wash sale window 30 days scope household group GOOG, GOOGL`",
                      ["wash sale\n", "wash sale 30 days\n", "wash sale household\n"])}
    node_type = WashSaleNode
    ir_type = WashSaleIR
    summary = "wash-sale window, scope (account|household) and substantially identical groups"
    yaml_keys = ("window", "scope", "groups")
    grammar = r"""
wash_sale_rule: "wash" "sale" wash_sale_clause+
wash_sale_clause: "window" quantity        -> wash_sale_window
                | "scope" "account"        -> wash_sale_account
                | "scope" "household"      -> wash_sale_household
                | "group" ticker_list      -> wash_sale_group
"""

    def build(self, tree: Tree, reader: TreeReader) -> dict[str, Any]:
        fields: dict[str, Any] = {"groups": []}
        for clause in reader.trees(tree):
            kind = str(clause.data).removeprefix("wash_sale_")
            key = {"account": "scope", "household": "scope"}.get(kind, kind)
            if key in fields and key != "group":
                reader.fail("P212", f"`{key}` given twice in one wash sale rule", clause, "keep one")
            if kind == "window":
                fields["window"] = reader.quantity(clause.children[0], (Unit.DAYS,), "a wash sale window")
            elif kind == "group":
                fields["groups"].append(Subject(kind="tickers", names=reader.tickers(clause.children[0]),
                                                span=reader.span(clause.children[0])))
            else:
                fields["scope"] = kind
        fields["groups"] = tuple(fields["groups"])
        return fields

    def format(self, node: WashSaleNode) -> str:
        parts = ["wash sale"]
        if node.window is not None:
            parts.append(f"window {format_quantity(node.window)}")
        parts.append(f"scope {node.scope}")
        parts.extend(f"group {format_subject(g)}" for g in node.groups)
        return " ".join(parts)

    def from_yaml(self, fields: Fields) -> dict[str, Any]:
        groups = fields.ticker_groups("groups")
        return {"window": fields.quantity("window", (Unit.DAYS,), "a wash sale window"),
                "scope": fields.choice("scope", ("account", "household")) or "account",
                "groups": groups}

    def to_yaml(self, node: WashSaleNode) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if node.window is not None:
            out["window"] = format_quantity(node.window)
        out["scope"] = node.scope
        if node.groups:
            out["groups"] = [list(g.names) for g in node.groups]
        return out

    def default(self) -> WashSaleNode:
        return WashSaleNode(span=DEFAULT_SPAN, reason="default: 30-day window within the account")

    # ---- optimizer side -----------------------------------------------------------------------
    @staticmethod
    def identical(rule: WashSaleIR, tickers: Iterable[str]) -> dict[str, tuple[str, ...]]:
        """Each ticker's group of substantially identical securities (itself when ungrouped). Groups
        that share a ticker are one group: being substantially identical is transitive."""
        merged: list[set[str]] = []
        for group in rule.groups:
            joined = set(group)
            for other in [m for m in merged if m & joined]:
                joined |= other
                merged.remove(other)
            merged.append(joined)
        groups = {t: (t,) for t in tickers}
        for joined in merged:
            for t in joined:
                groups[t] = tuple(sorted(joined))
        return groups

    @staticmethod
    def trades_in_scope(rule: WashSaleIR, account: Account) -> tuple[Transaction, ...]:
        """The recent trades the rule counts: the account's own, and under scope household those of
        the household's other accounts."""
        if rule.scope == "household" and account.household_transactions:
            return account.transactions + account.household_transactions
        return account.transactions

    @classmethod
    def window_buys_all_held(cls, rule: WashSaleIR, account: Account, group: Iterable[str], as_of: date,
                             days: int, lots_of: Mapping[str, Sequence[Lot]]) -> bool:
        """Is every purchase of the group within the window a lot this account still holds (`lots_of`:
        the account's lots by ticker)? Only then can a sale of the whole position leave no replacement
        shares behind (a purchase in another account of the household never qualifies)."""
        group = set(group)
        buys = [t for t in cls.trades_in_scope(rule, account)
                if t.action == "buy" and t.ticker in group and 0 <= (as_of - t.on).days <= days]
        held = {(lot.ticker, lot.acquired) for ticker in group for lot in lots_of.get(ticker, ())}
        return all(t.account is None and (t.ticker, t.on) in held for t in buys)

    def check_account(self, rule: WashSaleIR, account: Account) -> None:
        from core.diagnostics import Span, TailorError, error

        given = account.household_transactions is not None
        if rule.scope == "household" and account.household_id is not None and not given:
            raise TailorError(error(
                "A132", f"wash-sale rule `{rule.id}` has scope household, but {account.source} gives no "
                f"recent trades of household {account.household_id}'s other accounts", rule.span,
                "add `household_transactions: FILE` to the account file: the other accounts' buys and loss "
                "sales of the last 30 days (columns account, date, ticker, action, shares, price, "
                "realized_gain; a header alone states there were none)"))
        if rule.scope == "account" and given:
            raise TailorError(error(
                "A133", f"{account.source} gives household_transactions, but wash-sale rule `{rule.id}` "
                "has scope account and would ignore them", Span.point(account.source, 1, 1),
                f"set `scope household` in the rule at {rule.span.file}:{rule.span.line}, or remove "
                "`household_transactions` from the account file"))

    def recent_loss_sales(self, rule: WashSaleIR, model: AccountModel) -> set[str]:
        """Tickers the rule's trades sold at a loss within its window: buying them now would be a wash
        sale."""
        return {t.ticker for t in self.trades_in_scope(rule, model.data.account)
                if t.is_loss_sale and 0 <= (model.data.as_of - t.on).days <= rule.window_days}

    def forbidden_buys(self, rule: WashSaleIR, model: AccountModel) -> list[int]:
        loss_sold = self.recent_loss_sales(rule, model)
        groups = set(self.identical(rule, model.data.tickers).values())
        return sorted({i for group in groups if loss_sold & set(group) for i in model.ids(group)})

    def lower(self, rule: WashSaleIR, block: Block, model: AccountModel) -> Contribution:
        import pyomo.environ as pyo

        from compiler.rules.wash_share import ShareForShare, in_one_account, replacement_shares
        from compiler.rules.wash_switch import liquidation_groups, switch_groups
        from solver.contribution import Contribution
        from solver.model import linear
        from solver.perspective import split_modes

        contribution = Contribution()
        as_of, account = model.data.as_of, model.data.account
        groups = set(self.identical(rule, model.data.tickers).values())
        trades = self.trades_in_scope(rule, account)
        recent: dict[str, list[int]] = {}  # days since each buy within the window, by ticker
        for ticker, on in [*((t.ticker, t.on) for t in trades if t.action == "buy"),
                           *((lot.ticker, lot.acquired) for lot in account.lots)]:
            if 0 <= (as_of - on).days <= rule.window_days:
                recent.setdefault(ticker, []).append((as_of - on).days)
        bought = set(recent)
        lots_of: dict[str, list] = {}
        for lot in account.lots:
            lots_of.setdefault(lot.ticker, []).append(lot)
        share_for_share_rows = ShareForShare(model)
        loss_sold = self.recent_loss_sales(rule, model)
        block.conflict = pyo.ConstraintList()  # the liquidations' rows (wash_switch.py), declared first
        switches, liquidations = [], []
        for k, group in enumerate(sorted(groups)):
            ids = model.ids(group)
            if not ids:
                continue
            losses = [x for x in model.lots_in(group) if model.data.lot_gain[x] < 0]
            if loss_sold & set(group):  # a recent loss sale: buying now would be a wash sale (forbidden_buys)
                model.add(block, f"no_buy_{k}", model.bought_of(group), upper=0)
            if losses and bought & set(group):  # a recent buy: a loss sale now would be a wash sale
                if set(ids) <= model.buy_forbidden and \
                        self.window_buys_all_held(rule, account, group, as_of, rule.window_days, lots_of):
                    liquidations.append((ids, losses, model.lots_in(group)))
                elif self.share_for_share(group, loss_sold, recent) and in_one_account(
                        model, losses, [t for t in trades if t.action == "buy" and t.ticker in group],
                        rule.window_days):
                    # ... of only the shares matched with the replacement shares (wash_share.py)
                    replacing = replacement_shares(group[0], lots_of.get(group[0], ()), trades, as_of,
                                                   LEGAL_WINDOW_DAYS, account.lot_accounts)
                    recent_lots = [x for x in model.lots_in(group)
                                   if (as_of - model.data.lots[x].acquired).days <= LEGAL_WINDOW_DAYS]
                    share_for_share_rows.add(ids[0], losses, recent_lots, replacing)
                else:
                    model.add(block, f"no_loss_sale_{k}",
                              linear([1.0] * len(losses), [model.m.sell[x] for x in losses]), upper=0)
            elif losses and not set(ids) <= model.buy_forbidden:
                switches.append((ids, losses))
        # ... unless the sale takes the whole position, the shares bought in the window included, and
        # buys none back: no replacement shares remain, and a loss deferred into their basis would be
        # realized in the same sale. This is how an exclusion sells a name bought days ago. Offered
        # only for names another rule keeps out (never bought again): for names the account keeps,
        # sell-everything-and-stay-out is seldom worth its tracking error, and a disjunction per
        # recently bought name made a 500-name account's solve 150 times slower.
        shared = share_for_share_rows.declare(block)
        block.liquidate = pyo.Var(range(len(liquidations)), domain=pyo.Binary)
        liquidating = [(block.liquidate[k], ids, losses) for k, (ids, losses, _) in enumerate(liquidations)]
        # Loss sale and buy of one group in the same rebalance: one or the other, never both. A lazy
        # disjunction: its binary enters the solve only if the optimum wants both. Each name's weight
        # is split between the two sides (solver/perspective.py): the relaxation then pays tracking
        # error for selling a loss and buying it back, which the big-M rows alone let it do for free.
        # The share-for-share loss sales are such switches too (z = 1 sells the loss lots, buys none),
        # and so are the liquidations (z = 1 sells every lot, so its side keeps no weight).
        block.loss_sale = pyo.Var(range(len(switches)), domain=pyo.Binary)
        switching = [(block.loss_sale[k], ids, losses) for k, (ids, losses) in enumerate(switches)]
        splits = split_modes(model, block, [*shared, *liquidating, *switching])
        after = len(shared) + len(liquidations)
        share_for_share_rows.write(block, contribution, splits[:len(shared)])
        contribution.lazy_groups += liquidation_groups(model, block, liquidations, splits[len(shared):after])
        contribution.lazy_groups += switch_groups(model, block, switching, splits[after:])
        return contribution

    @staticmethod
    def share_for_share(group: tuple[str, ...], loss_sold: set[str], recent: dict[str, list[int]]) -> bool:
        """Can a loss sale of `group` be made, only its matched shares' loss disallowed? For one ticker
        whose recent buys (`recent`: days since each, within the rule's window) all fall in the
        statutory 30 days (a longer window is the policy's caution) and which had no recent loss sale
        (its replacement shares may already replace that one's)."""
        return len(group) == 1 and not loss_sold & set(group) and all(
            days <= LEGAL_WINDOW_DAYS for days in recent.get(group[0], ()))

    # ---- verifier side: the rule's meaning re-derived from the IR, sharing nothing with `lower` ----
    def verify(self, rule: WashSaleIR, outcome: Outcome) -> list[Violation]:
        """§1091 with the rule's window, groups and scope (solver.verify_law): no buy of stock
        substantially identical to a loss sale made within the window (V217); no loss sale with
        identical stock bought within the window before it (V218) or in the same rebalance (V219) —
        except the share-for-share case, whose disallowed loss the plan must account for (V235).
        §1091 reaches every account of the taxpayer, so under scope household the recent trades of
        the household's other accounts count as this account's own."""
        from solver.verify import Violation
        from solver.verify_law import substantially_identical
        from solver.verify_wash import unaccounted

        identical: dict[str, frozenset[str]] = {}

        def same(ticker: str) -> frozenset[str]:
            if ticker not in identical:
                identical[ticker] = substantially_identical(ticker, rule.groups)
            return identical[ticker]

        days = rule.window_days
        elsewhere = [t for t in outcome.account.household_transactions or ()
                     if rule.scope == "household" and outcome.is_recent(t.on, days)]
        # (ticker, day, the other account that traded: None for this one)
        loss_sales = [(ticker, on, None) for ticker, on in outcome.recent_loss_sales(days)]
        loss_sales += [(t.ticker, t.on, t.account) for t in elsewhere
                       if t.action == "sell" and t.realized_gain < 0]
        purchases = [(ticker, on, None) for ticker, on in outcome.recent_purchases(days)]
        purchases += [(t.ticker, t.on, t.account) for t in elsewhere if t.action == "buy"]
        found = [Violation(code="V217", message=f"bought {t.ticker} within {days} days of the loss sale of "
                           f"{_where(ticker, account)} on {on}")
                 for ticker, on, account in loss_sales for t in outcome.buys if t.ticker in same(ticker)]
        bought_now = {t.ticker for t in outcome.buys}
        sold_at_a_loss = {ticker for ticker, _, _ in loss_sales}
        replacing: dict[frozenset[str], list[tuple[str, date, str | None]]] = {}  # once per identical set
        for sale in outcome.sales:
            if sale.gain >= 0:
                continue
            group = same(sale.trade.ticker)
            if group not in replacing:
                replacing[group] = self.replacements(group, purchases, bought_now, outcome)
            # Share for share (solver.verify_wash) settles one ticker's replacements bought within the
            # statutory 30 days when no recent loss sale may have used them up; others forbid the sale.
            settled = len(group) == 1 and not group & sold_at_a_loss
            found += [Violation(code="V218", message=f"loss sale of lot {sale.trade.lot_id} "
                                f"({sale.trade.ticker}) within {days} days of buying "
                                f"{_where(t, account)} on {on}")
                      for t, on, account in replacing[group]
                      if not (settled and outcome.is_recent(on, LEGAL_WINDOW_DAYS))]
            if group & bought_now:
                found.append(Violation(code="V219", message=f"lot {sale.trade.lot_id} of {sale.trade.ticker} "
                                       f"sold at a loss while {', '.join(sorted(group & bought_now))} is "
                                       "bought in the same rebalance"))
        return found + unaccounted(outcome)

    @staticmethod
    def replacements(group: frozenset[str], purchases: Iterable[tuple[str, date, str | None]],
                     bought_now: set[str], outcome: Outcome) -> list[tuple[str, date, str | None]]:
        """Purchases — (ticker, day, other account or None) — of `group` within the window that stay
        replacement shares for a loss sale now. None do when the plan disposes of them all: nothing
        of the group is held after it or bought in it, and every one of those purchases opened a lot
        of this account (then sold with the rest). Shares bought in another account of the household,
        or bought here and moved elsewhere, are still held. See docs/architecture.md, departures."""
        recent = [bought for bought in purchases if bought[0] in group]
        if not recent or group & bought_now or any(outcome.shares_after.get(t, 0) > 0 for t in group):
            return recent
        lots = {(lot.ticker, lot.acquired) for lot in outcome.account.lots if lot.ticker in group}
        here = all(account is None and (t, on) in lots for t, on, account in recent)
        return [] if here else recent

    def explain(self, rule: WashSaleIR, outcome: Outcome) -> list[str]:
        from solver.tax import to_cents

        losses = [s for s in outcome.sales if s.gain < 0]
        washed = [s for s in losses if s.disallowed]
        if not washed:
            return [f"wash sales ({rule.window_days}-day window): {len(losses)} loss sales, none repurchased "
                    f"within the window"]
        disallowed = sum((s.disallowed for s in washed), Decimal(0))
        return [f"wash sales ({rule.window_days}-day window): {len(losses)} loss sales, {len(washed)} of "
                "them matched share for share with shares bought within 30 days: "
                f"${to_cents(disallowed):,} of loss disallowed and added to the replacement shares' basis"]

    def compare(self, old: WashSaleNode, new: WashSaleNode) -> Change:
        def days(n: WashSaleNode) -> float:
            return float(n.window.value) if n.window else LEGAL_WINDOW_DAYS
        old_groups = {frozenset(g.names) for g in old.groups}
        new_groups = {frozenset(g.names) for g in new.groups}
        groups = (Change.SAME if old_groups == new_groups else Change.TIGHTER if old_groups < new_groups
                  else Change.LOOSER if old_groups > new_groups else Change.CHANGED)
        scope = (Change.SAME if old.scope == new.scope else
                 Change.TIGHTER if new.scope == "household" else Change.LOOSER)
        return combine(compare_bound(days(old), days(new), upper=False), scope, groups)

    def check(self, node: WashSaleNode, ctx: CheckContext) -> WashSaleIR | None:
        window = LEGAL_WINDOW_DAYS
        if node.window is not None:
            days = ctx.whole(node.window, "a wash sale window", low=1, high=365)
            if days is None:
                return None
            if days < LEGAL_WINDOW_DAYS:
                ctx.error("P407", f"a wash sale window of {days} days is shorter than the "
                          f"{LEGAL_WINDOW_DAYS} days the tax rules use", node.window.span,
                          "use 30 days or more")
                return None
            window = days
        groups = []
        for group in node.groups:
            if len(group.names) < 2:
                ctx.error("P408", "a substantially identical group needs at least two tickers", group.span,
                          "e.g. `group GOOG, GOOGL`")
                continue
            groups.append(ctx.tickers_lenient(group))
        return WashSaleIR(id=ctx.rule_id(node), span=node.span, reason=node.reason, locked=node.locked,
                          window_days=window, scope=node.scope, groups=tuple(groups))


def _where(ticker: str, account: str | None) -> str:
    """A trade's ticker, with the household's other account that made it, if one did."""
    return ticker if account is None else f"{ticker} in {account}"
