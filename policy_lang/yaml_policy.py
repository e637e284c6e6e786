"""The YAML syntax (`*.yaml`): the same AST as the DSL.

    policy: Executive with concentrated employer stock
    layer: account
    extends: [../firm.yaml]
    rules:
      - exclude: {category: tobacco}
        id: no-tobacco
        locked: true
        reason: firm policy
      - cap: {ticker: AAPL, max: 10%, over: 3 years, long_term_only: true}
"""

from __future__ import annotations

from typing import Any

from core.diagnostics import Diagnostic, Span, TailorError, error
from core.limits import MAX_RULES
from core.suggest import did_you_mean
from core.yaml_reader import YMap, YScalar, YSeq, read_yaml
from policy_lang.ast import LAYERS, PolicyFile, RuleNode, Text
from policy_lang.syntax import RuleKinds
from policy_lang.yaml_fields import WORD_PATTERN, Fields, fail

TOP_KEYS = ("policy", "layer", "extends", "rules")
RULE_META = ("id", "reason", "locked")


def parse_yaml(text: str, file: str, *, kinds: RuleKinds) -> PolicyFile:
    root = read_yaml(text, file)
    if root is None:
        raise TailorError(error("P006", "the policy file is empty", Span.point(file, 1, 1),
                                "a policy is a mapping with `policy`, `extends` and `rules`"))
    if not isinstance(root, YMap):
        fail("P220", "a YAML policy is a mapping with `policy`, `layer`, `extends` and `rules`", root.span,
             "start the file with e.g. `policy: My policy` and a `rules:` list")
    top = Fields(root, "policy file", TOP_KEYS)
    top.finish()
    layer = top.choice("layer", LAYERS)
    extends = tuple(Text(value=s.value, span=s.span) for s in top.scalars("extends"))
    rules_node = root.get("rules")
    empty = isinstance(rules_node, YScalar) and rules_node.tag == "null"
    if rules_node is not None and not isinstance(rules_node, YSeq) and not empty:
        fail("P221", "`rules` must be a list (each entry starts with `- `)", rules_node.span)
    items = rules_node.items if isinstance(rules_node, YSeq) else ()
    if len(items) > MAX_RULES:
        fail("P121", f"more than {MAX_RULES} rules in one file", items[MAX_RULES].span,
             "split the policy into layers")
    rules: list[RuleNode] = []
    diagnostics: list[Diagnostic] = []
    for item in items:
        try:
            rules.append(_rule(item, kinds))
        except TailorError as exc:
            diagnostics.extend(exc.diagnostics)
    if diagnostics:
        raise TailorError(diagnostics)
    return PolicyFile(file=file, name=top.string("policy"), layer=layer, extends=extends,
                      rules=tuple(rules), span=root.span)


def _rule(item: Any, kinds: RuleKinds) -> RuleNode:
    if not isinstance(item, YMap):
        fail("P222", "each rule is a mapping whose key names its kind, e.g. `- exclude: {ticker: MO}`",
             item.span, "kinds: " + ", ".join(kinds))
    kind_keys = [key for key, _ in item.items if key.value not in RULE_META]
    if len(kind_keys) != 1:
        span = kind_keys[1].span if len(kind_keys) > 1 else item.span
        fail("P223", "each rule has exactly one kind key" + (
            f"; found {', '.join(k.value for k in kind_keys)}" if kind_keys else ""), span,
             "split it into one list entry per rule")
    key = kind_keys[0]
    kind = kinds.get(key.value)
    if kind is None:
        fail("P224", f"unknown rule kind `{key.value}`", key.span,
             did_you_mean(key.value.replace(" ", "_"), list(kinds)) or "kinds: " + ", ".join(kinds))
    body = item.get(key.value)
    if not isinstance(body, YMap):
        assert body is not None
        fail("P225", f"`{key.value}` takes a mapping of fields", body.span,
             f"e.g. `{key.value}: {{{kind.yaml_keys[0]}: …}}`; fields: {', '.join(kind.yaml_keys)}")
    meta = Fields(item, key.value, (key.value, *RULE_META))
    rule_id = meta.string("id")
    if rule_id is not None and WORD_PATTERN.fullmatch(rule_id) is None:
        fail("P226", f"rule id `{rule_id}` must be lower-case letters, digits, `-` or `_`",
             item.get("id").span,  # type: ignore[union-attr]
             "e.g. `no-tobacco`")
    fields = Fields(body, key.value, kind.yaml_keys)
    fields.finish()
    values = kind.from_yaml(fields)
    return kind.node_type(id=rule_id, reason=meta.string("reason"), locked=meta.boolean("locked"),
                          span=item.span, **values)
