"""Comments are not part of a policy (a reason that matters goes in `because "…"`), but `tailor fmt`
keeps them: each comment is attached to the rule below it (or to the line it trails) by position,
and printed back in the same place relative to its rule, in either syntax."""

from __future__ import annotations

from dataclasses import dataclass, field

from policy_lang.ast import PolicyFile


@dataclass
class Comments:
    head: list[str] = field(default_factory=list)  # before the first rule
    leading: dict[int, list[str]] = field(default_factory=dict)  # rule index → lines above it
    trailing: dict[int, list[str]] = field(default_factory=dict)  # rule index → comments on its lines
    tail: list[str] = field(default_factory=list)  # after the last rule

    def __bool__(self) -> bool:
        return bool(self.head or self.leading or self.trailing or self.tail)


def split_comment(line: str) -> tuple[str, str | None]:
    """(code, comment) of one line; `#` inside single or double quotes is not a comment, and in YAML
    a comment needs a blank before it (`a#b` is text)."""
    quote: str | None = None
    escaped = False
    for index, ch in enumerate(line):
        if quote is not None:
            if escaped:
                escaped = False
            elif ch == "\\" and quote == '"':
                escaped = True
            elif ch == quote:
                quote = None
        elif ch in "\"'" and (index == 0 or not line[index - 1].isalnum()):
            quote = ch
        elif ch == "#" and (index == 0 or line[index - 1] in " \t"):
            return line[:index], line[index:].rstrip()
    return line, None


def collect(source: str, policy: PolicyFile) -> Comments:
    comments = Comments()
    starts = [rule.span.line for rule in policy.rules]
    ends = [max(rule.span.end_line - (1 if rule.span.end_column == 1 else 0), rule.span.line)
            for rule in policy.rules]
    for number, raw in enumerate(source.splitlines(), start=1):
        code, comment = split_comment(raw)
        if comment is None:
            continue
        owner = next((i for i, (s, e) in enumerate(zip(starts, ends, strict=True)) if s <= number <= e),
                     None)
        if code.strip() and owner is not None:
            comments.trailing.setdefault(owner, []).append(comment)
        elif not starts or number < starts[0]:
            comments.head.append(comment)
        else:
            following = next((i for i, s in enumerate(starts) if s > number), None)
            if following is None:
                comments.tail.append(comment)
            else:
                comments.leading.setdefault(following, []).append(comment)
    return comments
