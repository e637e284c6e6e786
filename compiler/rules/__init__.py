"""The table of rule kinds. Adding a kind is adding one module and one line here; nothing else in the
parser, checker or solver names a rule kind."""

from __future__ import annotations

from compiler.rules.base import Change, RuleKind
from compiler.rules.budget import Budget
from compiler.rules.cap import Cap
from compiler.rules.cash import Cash
from compiler.rules.dividend_yield import DividendYield
from compiler.rules.exclude import Exclude
from compiler.rules.gift import Gift
from compiler.rules.harvest import Harvest
from compiler.rules.holding_period import HoldingPeriod
from compiler.rules.preferences import Preferences
from compiler.rules.restrict_buying import RestrictBuying
from compiler.rules.restrict_selling import RestrictSelling
from compiler.rules.target import Target
from compiler.rules.tracking_error import TrackingError
from compiler.rules.trading import Trading
from compiler.rules.transition import Transition
from compiler.rules.wash_sale import WashSale

RULE_KINDS: dict[str, RuleKind] = {kind.name: kind for kind in (
    Target(), Exclude(), RestrictBuying(), RestrictSelling(), Cap(), Budget(), TrackingError(),
    Harvest(), WashSale(), HoldingPeriod(), Trading(), Cash(), Transition(), Gift(), Preferences(),
    DividendYield(),
)}

__all__ = ["RULE_KINDS", "Change", "RuleKind"]
