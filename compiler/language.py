"""tailor's policy language: policy_lang's parser, printers, layering and diff bound to the rule kinds.

policy_lang is generic over the kinds (`policy_lang.syntax.RuleKinds`): the kinds live in
`compiler/rules/` because each also lowers into solver's model, so policy_lang cannot import them.
Every caller above the compiler reads policies through these names.
"""

from __future__ import annotations

from functools import partial

from compiler.rules import RULE_KINDS
from policy_lang import diff, formatter, layers, load

parse_text = partial(load.parse_text, kinds=RULE_KINDS)
parse_file = partial(load.parse_file, kinds=RULE_KINDS)
format_dsl = partial(formatter.format_dsl, kinds=RULE_KINDS)
format_yaml = partial(formatter.format_yaml, kinds=RULE_KINDS)
diff_policies = partial(diff.diff_policies, kinds=RULE_KINDS)
load_layers = partial(layers.load_layers, kinds=RULE_KINDS)
merge = partial(layers.merge, kinds=RULE_KINDS)
merge_policy = partial(layers.merge_policy, kinds=RULE_KINDS)
