"""Where a rule or key of a policy file is, so that every error names its line.

``tomllib`` (the standard library's reader, which the parser trusts for the values) gives
no positions, and a second full TOML parser only for positions would be a dependency for
one message. The layout of a policy is narrow (``[[rules]]`` headers, ``[rules.when]`` and
``[rules.then]`` tables, or dotted and inline keys), so a line scan finds it; where it does
not (a key inside a multi-line string, say) the error names the rule's line instead.
"""

from __future__ import annotations

import re

__all__ = ["Lines"]

_RULE_HEADER = re.compile(r"^\s*\[\[\s*rules\s*\]\]\s*(#.*)?$")
_SUB_HEADER = re.compile(r"^\s*\[\s*rules\s*\.\s*([A-Za-z0-9_-]+)\s*\]\s*(#.*)?$")


def _assigns(key: str) -> re.Pattern[str]:
    k = re.escape(key)
    return re.compile(rf"(?:^|[\s{{,.])(?:{k}|\"{k}\"|'{k}')\s*=")


class Lines:
    """Line numbers (1-based) of the rules and keys of one policy text."""

    def __init__(self, text: str) -> None:
        self.lines = text.splitlines()
        self.rule_starts = [i for i, line in enumerate(self.lines) if _RULE_HEADER.match(line)]

    def rule(self, index: int) -> int:
        """The line of the ``index``-th rule's ``[[rules]]`` header (else of ``rules =``)."""
        if index < len(self.rule_starts):
            return self.rule_starts[index] + 1
        return self.top("rules")

    def _span(self, index: int) -> range:
        if index >= len(self.rule_starts):
            return range(0)
        start = self.rule_starts[index]
        nxt = index + 1
        end = self.rule_starts[nxt] if nxt < len(self.rule_starts) else len(self.lines)
        return range(start, end)

    def top(self, key: str) -> int:
        """The line of a top-level key or table (before the first rule), else line 1."""
        end = self.rule_starts[0] if self.rule_starts else len(self.lines)
        pattern = _assigns(key)
        header = re.compile(rf"^\s*\[+\s*{re.escape(key)}\s*[\].]")
        for i in range(end):
            line = self.lines[i].split("#", 1)[0]
            if header.match(line) or pattern.search(" " + line):
                return i + 1
        return 1

    def key(self, index: int, key: str, section: str | None = None) -> int:
        """The line of ``key`` in the ``index``-th rule: directly in the rule, or in its
        ``section`` (``when`` or ``then``) as a table, dotted key or inline table. Falls
        back to the section's line, then the rule's."""
        pattern = _assigns(key)
        current: str | None = None
        section_line: int | None = None
        for i in self._span(index):
            line = self.lines[i]
            sub = _SUB_HEADER.match(line)
            if sub:
                current = sub.group(1)
                if current == section:
                    section_line = i + 1
                continue
            code = " " + line.split("#", 1)[0]
            if section is not None and section_line is None and _assigns(section).search(code):
                section_line = i + 1
            if not pattern.search(code):
                continue
            if section is None and current is None:
                return i + 1
            if section is not None and (
                current == section or re.search(rf"(?:^|\s){re.escape(section)}\s*[.=]", code)
            ):
                return i + 1
        return section_line or self.rule(index)
