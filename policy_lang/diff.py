"""Semantic diff of two versions of a policy file: which rules were added, removed, tightened,
loosened or changed (and locked/unlocked) — what a compliance reviewer needs, not a text diff."""

from __future__ import annotations

from dataclasses import dataclass

from policy_lang.ast import PolicyFile, RuleNode
from policy_lang.formatter import format_rule
from policy_lang.layers import rule_key
from policy_lang.syntax import RuleKinds


@dataclass(frozen=True)
class RuleChange:
    change: str  # added | removed | tightened | loosened | changed | header
    key: str
    old: str | None  # canonical DSL text of the old rule (or header value)
    new: str | None
    new_line: int | None = None
    old_line: int | None = None

    def as_dict(self) -> dict[str, object]:
        return {"change": self.change, "rule": self.key, "old": self.old, "new": self.new,
                "old_line": self.old_line, "new_line": self.new_line}


def _compare(old: RuleNode, new: RuleNode, kinds: RuleKinds) -> str | None:
    change = kinds[old.kind].compare(old, new).value
    lock = "same" if old.locked == new.locked else ("tightened" if new.locked else "loosened")
    found = {c for c in (change, lock) if c not in ("unchanged", "same")}
    if not found:
        return "changed" if old.reason != new.reason else None
    if len(found) == 1:
        return found.pop()
    return "changed"


def diff_policies(old: PolicyFile, new: PolicyFile, *, kinds: RuleKinds) -> list[RuleChange]:
    changes: list[RuleChange] = []
    for label, a, b in (("policy", old.name, new.name), ("layer", old.layer, new.layer),
                        ("extends", ", ".join(t.value for t in old.extends),
                         ", ".join(t.value for t in new.extends))):
        if a != b:
            changes.append(RuleChange("header", label, a or None, b or None))
    old_rules = {rule_key(r, kinds=kinds): r for r in old.rules}
    new_rules = {rule_key(r, kinds=kinds): r for r in new.rules}
    def text(rule: RuleNode) -> str:
        return format_rule(rule, kinds=kinds)

    for key, rule in old_rules.items():
        if key not in new_rules:
            changes.append(RuleChange("removed", key, text(rule), None, old_line=rule.span.line))
    for key, rule in new_rules.items():
        before = old_rules.get(key)
        if before is None:
            changes.append(RuleChange("added", key, None, text(rule), new_line=rule.span.line))
        elif (kind := _compare(before, rule, kinds)) is not None:
            changes.append(RuleChange(kind, key, text(before), text(rule),
                                      new_line=rule.span.line, old_line=before.span.line))
    return changes


_MARK = {"added": "+", "removed": "-", "tightened": "↓", "loosened": "↑", "changed": "~", "header": "#"}


def render_diff(changes: list[RuleChange], old_name: str, new_name: str) -> str:
    if not changes:
        return f"no semantic changes between {old_name} and {new_name}\n"
    lines = [f"--- {old_name}", f"+++ {new_name}"]
    for c in changes:
        lines.append(f"{_MARK[c.change]} {c.change:<9} {c.key}")
        if c.old is not None:
            lines.append(f"      was: {c.old}" + (f"  (line {c.old_line})" if c.old_line else ""))
        if c.new is not None:
            lines.append(f"      now: {c.new}" + (f"  (line {c.new_line})" if c.new_line else ""))
    counts = {k: sum(1 for c in changes if c.change == k) for k in _MARK}
    lines.append(", ".join(f"{n} {'header change' + 's' * (n != 1) if k == 'header' else k}"
                           for k, n in counts.items() if n))
    return "\n".join(lines) + "\n"
