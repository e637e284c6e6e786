"""Layering: a policy `extends` others, firm → model → household → account; merging only narrows.

Rules are matched across layers by id (explicit, or generated from kind + subject). A lower layer may
tighten any rule and loosen one that is not `locked`; loosening a locked rule is an error naming both
places. A locked rule stays locked in every layer below. Within one file, two rules with the same id
are an error (give one an explicit `rule NAME:` id).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from core.diagnostics import Diagnostic, Related, Span, TailorError, error
from core.limits import MAX_EXTENDS_DEPTH
from core.suggest import did_you_mean
from policy_lang.ast import LAYERS, PolicyFile, RuleNode
from policy_lang.load import POLICY_SUFFIXES, parse_file
from policy_lang.syntax import RuleKinds


@dataclass
class MergedPolicy:
    name: str
    sources: tuple[str, ...]  # files in layer order, top first
    rules: tuple[RuleNode, ...]
    base_dir: Path  # folder of the lowest layer (file references resolve beside their declaring file)
    declared_name: str | None = None  # as written in the lowest layer (part of the content hash)
    warnings: list[Diagnostic] = field(default_factory=list)


def rule_key(rule: RuleNode, *, kinds: RuleKinds) -> str:
    """What identifies a rule across layers: a kind without a subject (trading, wash sale, …) has one
    rule per policy whatever its label; other rules match by explicit id, else kind + subject."""
    generated = kinds[rule.kind].generated_id(rule)
    return generated if generated == rule.kind else (rule.id or generated)


def load_layers(path: str | Path, root: PolicyFile | None = None, *, kinds: RuleKinds) -> list[PolicyFile]:
    """The file (or the already parsed `root`) and everything it extends, top layer first, each once."""
    ordered: list[PolicyFile] = []
    seen: dict[Path, PolicyFile] = {}
    diagnostics: list[Diagnostic] = []

    def visit(policy: PolicyFile, chain: tuple[Path, ...]) -> None:
        resolved = Path(policy.file).resolve()
        if len(chain) > MAX_EXTENDS_DEPTH:
            raise TailorError(error("P506", f"more than {MAX_EXTENDS_DEPTH} levels of `extends`",
                                    policy.span, "firm → model → household → account needs four"))
        for parent_ref in policy.extends:
            parent_path = Path(os.path.normpath(Path(policy.file).parent / parent_ref.value))
            if parent_path.resolve() in (*chain, resolved):
                diagnostics.append(error("P504", f"`{parent_ref.value}` is extended in a cycle",
                                         parent_ref.span, "remove the `extends` that closes the cycle"))
                continue
            if not parent_path.is_file():
                folder = parent_path.parent
                siblings = [p.name for p in folder.glob("*") if p.suffix in POLICY_SUFFIXES] \
                    if folder.is_dir() else []
                diagnostics.append(error("P505", f"extended policy `{parent_ref.value}` not found",
                                         parent_ref.span, did_you_mean(parent_path.name, siblings)
                                         or "paths are relative to the extending file"))
                continue
            parent = seen.get(parent_path.resolve())
            if parent is None:
                parent = parse_file(str(parent_path), kinds=kinds)
                visit(parent, (*chain, resolved))
            _check_layer_order(parent, policy, parent_ref.span, diagnostics)
        if resolved not in seen:
            seen[resolved] = policy
            ordered.append(policy)

    visit(root if root is not None else parse_file(str(path), kinds=kinds), ())
    if diagnostics:
        raise TailorError(diagnostics)
    return ordered


def _check_layer_order(parent: PolicyFile, child: PolicyFile, span: Span,
                       diagnostics: list[Diagnostic]) -> None:
    if parent.layer is None or child.layer is None:
        return
    if LAYERS.index(parent.layer) >= LAYERS.index(child.layer):
        diagnostics.append(error(
            "P503", f"a {child.layer} policy cannot extend a {parent.layer} policy", span,
            "layers run firm → model → household → account; extend only layers above this one",
            (Related(message=f"`{parent.file}` is declared `layer {parent.layer}` here",
                     span=parent.span),)))


def merge(layers: list[PolicyFile], *, kinds: RuleKinds) -> MergedPolicy:
    """Merge layers (top first) into one rule list, enforcing `locked` and narrowing."""
    merged: dict[str, RuleNode] = {}
    diagnostics: list[Diagnostic] = []
    for policy in layers:
        in_file: dict[str, RuleNode] = {}
        for rule in policy.rules:
            key = rule_key(rule, kinds=kinds)
            if key in in_file:
                diagnostics.append(error(
                    "P502", f"two rules with the same id `{key}` in one file", rule.span,
                    "merge them into one rule, or give one an explicit id: `rule NAME: …`",
                    (Related(message="the first one is here", span=in_file[key].span),)))
                continue
            in_file[key] = rule
            old = merged.get(key)
            if old is None:
                merged[key] = rule
                continue
            change = kinds[rule.kind].compare(old, rule)
            if old.locked and change.value in ("loosened", "changed"):
                diagnostics.append(error(
                    "P501", f"this rule {'loosens' if change.value == 'loosened' else 'changes'} the "
                    f"locked rule `{old.id or key}`", rule.span,
                    "a lower layer may only tighten a locked rule; ask the owner of the upper layer",
                    (Related(message="locked here", span=old.span),)))
                continue
            inherited = {"locked": rule.locked or old.locked, "id": rule.id or old.id}
            merged[key] = rule.model_copy(update=inherited)
    if diagnostics:
        raise TailorError(diagnostics)
    leaf = layers[-1]
    name = leaf.name or Path(leaf.file).stem
    return MergedPolicy(name=name, sources=tuple(p.file for p in layers), rules=tuple(merged.values()),
                        base_dir=Path(leaf.file).parent, declared_name=leaf.name)


def merge_policy(source: str | Path | list[str | Path] | PolicyFile, *, kinds: RuleKinds) -> MergedPolicy:
    """One file with its `extends`, an explicit stack of files (top first), or a parsed policy."""
    if isinstance(source, PolicyFile):
        return merge(load_layers(source.file, root=source, kinds=kinds), kinds=kinds)
    paths = source if isinstance(source, list) else [source]
    layers: list[PolicyFile] = []
    for path in paths:
        for policy in load_layers(path, kinds=kinds):
            if all(Path(p.file).resolve() != Path(policy.file).resolve() for p in layers):
                layers.append(policy)
    return merge(layers, kinds=kinds)
