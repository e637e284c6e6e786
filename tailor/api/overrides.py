"""What a change to a model policy means for one account after its overrides.

A model is extended by many account (or plan) policies, each of which may tighten its rules, or loosen
those it does not lock. `effective_change` merges the account's layers twice, with the old and the new
version of the model in the model's place, and compares the two effective policies: a model rule an
account overrides changes nothing for that account. (The layers above the model are the account's
current ones.)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from compiler.language import diff_policies, load_layers, merge, parse_file
from core.diagnostics import Span, TailorError, error
from policy_lang.ast import PolicyFile
from policy_lang.diff import RuleChange


@dataclass(frozen=True)
class EffectiveChange:
    model: list[RuleChange]  # the model's own changes
    effective: list[RuleChange]  # what they change in the account's effective policy


def model_file(spec: str) -> Path:
    """The file a policy spec names: `git:REV:path` → path."""
    return Path(spec.split(":", 2)[2]) if spec.startswith("git:") else Path(spec)


def _effective(layers: list[PolicyFile], at: int, model: PolicyFile) -> PolicyFile:
    merged = merge([*layers[:at], model, *layers[at + 1:]])
    leaf = layers[-1]
    span = Span.point(leaf.file, 1, 1)
    return PolicyFile(file=leaf.file, name=merged.declared_name, layer=leaf.layer, extends=leaf.extends,
                      rules=merged.rules, span=span)


def effective_change(policy: str, old: str, new: str) -> EffectiveChange:
    """The model's changes from `old` to `new` (files or git:REV:path), and what they change for the
    account policy `policy`, which must extend the model (B111)."""
    layers = load_layers(policy)
    targets = {model_file(spec).resolve() for spec in (old, new) if model_file(spec).is_file()}
    at = next((i for i, layer in enumerate(layers) if Path(layer.file).resolve() in targets), None)
    if at is None:
        raise TailorError(error("B111", f"{policy} does not extend {model_file(new)}", None,
                                "its layers are " + ", ".join(layer.file for layer in layers)))
    before, after = parse_file(old), parse_file(new)
    effective = diff_policies(_effective(layers, at, before), _effective(layers, at, after))
    return EffectiveChange(model=diff_policies(before, after), effective=effective)
