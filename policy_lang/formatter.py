"""Printing a PolicyFile: canonical DSL text or canonical YAML. Parsing either back gives an equal
AST (spans aside), which the round-trip property tests check over generated policies."""

from __future__ import annotations

import hashlib
from typing import Any

import yaml

from policy_lang.ast import PolicyFile, RuleNode
from policy_lang.comments import Comments
from policy_lang.formatting import quote
from policy_lang.syntax import RuleKinds

WIDTH = 100  # canonical DSL lines longer than this put `because "…"` on a continuation line


def format_rule(rule: RuleNode, *, kinds: RuleKinds) -> str:
    """One DSL statement: `[rule ID:] [locked] BODY [because "REASON"]`."""
    body = kinds[rule.kind].format(rule)
    prefix = (f"rule {rule.id}: " if rule.id else "") + ("locked " if rule.locked else "")
    suffix = f" because {quote(rule.reason)}" if rule.reason is not None else ""
    if suffix and len((prefix + body + suffix).rsplit("\n", 1)[-1]) > WIDTH:
        suffix = "\n   " + suffix  # a long reason goes on a continuation line
    return prefix + body + suffix


def _wrap(head: str, items: list[str]) -> str:
    """`head a, b, c` with continuation lines when it would be wider than WIDTH."""
    lines = [head + items[0]]
    for item in items[1:]:
        if len(lines[-1]) + 2 + len(item) > WIDTH:
            lines[-1] += ","
            lines.append("    " + item)
        else:
            lines[-1] += ", " + item
    return "\n".join(lines)


def format_dsl(policy: PolicyFile, comments: Comments | None = None, *, kinds: RuleKinds) -> str:
    comments = comments or Comments()
    lines = list(comments.head)
    if policy.name is not None:
        lines.append(f"policy {quote(policy.name)}")
    if policy.layer is not None:
        lines.append(f"layer {policy.layer}")
    if policy.extends:
        lines.append(_wrap("extends ", [quote(t.value) for t in policy.extends]))
    if len(lines) > len(comments.head) and policy.rules:  # a blank line between header and rules
        lines.append("")
    for index, rule in enumerate(policy.rules):
        if index in comments.leading:
            if index and lines[-1] != "":
                lines.append("")
            lines.extend(comments.leading[index])
        text = format_rule(rule, kinds=kinds)
        lines.append(text + "".join(f"  {c}" for c in comments.trailing.get(index, [])))
    if comments.tail:
        lines.extend(["", *comments.tail] if lines else comments.tail)
    return "\n".join(lines) + "\n"


def rule_to_yaml(rule: RuleNode, *, kinds: RuleKinds) -> dict[str, Any]:
    entry: dict[str, Any] = {rule.kind: kinds[rule.kind].to_yaml(rule)}
    if rule.id is not None:
        entry["id"] = rule.id
    if rule.locked:
        entry["locked"] = True
    if rule.reason is not None:
        entry["reason"] = rule.reason
    return entry


def _dump(data: Any, flow: bool | None = None) -> str:
    """Block style at the top, flow style for innermost collections (`{ticker: AAPL, max: 10%}`)."""
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=flow, width=100)


def format_yaml(policy: PolicyFile, comments: Comments | None = None, *, kinds: RuleKinds) -> str:
    comments = comments or Comments()
    header: dict[str, Any] = {}
    if policy.name is not None:
        header["policy"] = policy.name
    if policy.layer is not None:
        header["layer"] = policy.layer
    parts = [c + "\n" for c in comments.head] + ([_dump(header, flow=False)] if header else [])
    if policy.extends:
        parts.append(_dump({"extends": [t.value for t in policy.extends]}))
    if not policy.rules:
        return "".join(parts) + "rules: []\n" + "".join(c + "\n" for c in comments.tail)
    parts.append("rules:\n")
    for index, rule in enumerate(policy.rules):
        parts.extend(c + "\n" for c in comments.leading.get(index, []))
        entry = _dump([rule_to_yaml(rule, kinds=kinds)])
        trailing = "".join(f"  {c}" for c in comments.trailing.get(index, []))
        if trailing:
            first, _, rest = entry.partition("\n")
            entry = f"{first}{trailing}\n{rest}"
        parts.append(entry)
    parts.extend(c + "\n" for c in comments.tail)
    return "".join(parts)


def content_hash(canonical_text: str) -> str:
    return hashlib.sha256(canonical_text.encode("utf-8")).hexdigest()
